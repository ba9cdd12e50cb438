/* calendar.h: the built-in calendar — business hours, free slots, booking.
 *
 * Time zones are PostgreSQL's: free slots are generated in the business's
 * local wall time from its hours (several intervals a day, overnight ones,
 * "24:00") and converted with AT TIME ZONE, which follows the tz database,
 * DST included; holidays close the whole local day. Existing appointments
 * widened by the travel buffer are excluded, and a booking can never
 * overlap another: the appointments table's exclusion constraint refuses it
 * (APR_EEXIST), even when two calls race for the same slot. The Google
 * Calendar backend comes later behind the same functions. */
#ifndef CTN_CALENDAR_H
#define CTN_CALENDAR_H

#include "slots.h"

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>
#include <json-c/json.h>
#include <libpq-fe.h>

typedef struct ctn_slot_t {
    apr_time_t start, end;
} ctn_slot_t;

typedef struct ctn_calendar_query_t {
    const char *business_id;
    int duration_min;            /* length of the job */
    int buffer_min;              /* travel time kept free before and after appointments */
    int lead_min;                /* soonest start from now */
    int granularity_min;         /* slot starts aligned on local :00/:30 … */
    int horizon_days;            /* how far to look */
    int max;                     /* slots to return */
    const ctn_time_pref_t *pref; /* NULL or the caller's preference */
    apr_time_t not_before;       /* 0, or skip slots starting before this */
} ctn_calendar_query_t;

/* Free slots, soonest first (array of ctn_slot_t). The tenant of `conn`
 * must be the business. */
apr_status_t ctn_calendar_free_slots(apr_array_header_t **slots, PGconn *conn, apr_pool_t *pool,
                                     const ctn_calendar_query_t *q);

/* 1 in `*open` when the business is open now (hours and holidays, local time). */
apr_status_t ctn_calendar_is_open(PGconn *conn, const char *business_id, int *open);

/* Book a slot; APR_EEXIST when it is no longer free. `*id` gets the
 * appointment's id. */
apr_status_t ctn_calendar_book(PGconn *conn, apr_pool_t *pool, const char *business_id,
                               const char *call_log_id, const ctn_slots_t *who,
                               const ctn_slot_t *slot, const char **id);

/* How Cortana says a slot: "tomorrow at 9 AM", "Thursday, December 3 at 10:30 AM";
 * Spanish "mañana a las 9 de la mañana", "el jueves 3 de diciembre a las 10:30 de la mañana". */
const char *ctn_calendar_say(apr_pool_t *pool, PGconn *conn, const char *business_id,
                             apr_time_t start, const char *lang);

/* The hours as a sentence in `lang` ("Monday to Friday, 8 AM to 5 PM; …"),
 * from `hours` (the business's hours, already loaded) when every interval is
 * in the simple "HH:MM" form, else read and converted by PostgreSQL. NULL
 * when the database fails. `hours_version` (ctn_business_t, 0: none) lets
 * the thread reuse the sentence it last made from the same document. */
const char *ctn_calendar_say_hours(apr_pool_t *pool, PGconn *conn, const char *business_id,
                                   json_object *hours, apr_uint64_t hours_version,
                                   const char *lang);

#endif
