/* business.h: a business as the engines see it, loaded from PostgreSQL.
 *
 * Both engines, the webhooks and the worker need the same facts about a
 * business for every call: its name, time zone, hours, services, pricing,
 * service area, personality and settings. They are loaded in one query and
 * the JSON columns parsed once, bound to the caller's pool. */
#ifndef CTN_BUSINESS_H
#define CTN_BUSINESS_H

#include <apr_pools.h>
#include <json-c/json.h>
#include <libpq-fe.h>

typedef struct ctn_business_t {
    const char *id;
    const char *name;
    const char *phone_number;
    const char *timezone;
    const char *address;
    const char *owner_phone;
    const char *plan;
    const char *subscription_status;
    json_object *hours;        /* {"monday":[{"open":"08:00","close":"17:00"}],…} */
    json_object *holidays;     /* [{"date":"2026-12-25","name":"…"}] */
    json_object *services;     /* [{"name","duration_minutes","price_min","price_max"}] */
    json_object *pricing;      /* {"notes":{"en","es"},"service_call_fee":…} */
    json_object *service_area; /* {"zips":[…],"cities":[…],"radius_miles":…} */
    json_object *personality;  /* ai_personality */
    json_object *settings;     /* see ctn_business_setting_* */
    /* Loaded by ctn_business_from_row_shared: identifies `hours` among the
     * documents this thread has parsed, for memos of what is derived from it
     * (ctn_calendar_say_hours); 0 otherwise. */
    apr_uint64_t hours_version;
} ctn_business_t;

/* The business that owns the dialled number `e164`, whatever tenant the
 * connection has (a SECURITY DEFINER lookup: webhooks know no tenant yet),
 * made the connection's tenant in the same round trip. APR_ENOENT when no
 * business has it. `*business_id` lives in `pool`. */
apr_status_t ctn_business_id_by_number(const char **business_id, PGconn *conn, apr_pool_t *pool,
                                       const char *e164);

/* The columns ctn_business_from_row reads, for a query on `businesses b`. */
#define CTN_BUSINESS_COLUMNS                                                                       \
    "b.id, b.name, b.phone_number, b.timezone, b.address, b.owner_phone, b.plan, "                 \
    "b.subscription_status, b.hours, b.holidays, b.services, b.pricing, b.service_area, "          \
    "b.ai_personality, b.settings"
#define CTN_BUSINESS_NCOLUMNS 15

/* The business in row 0 of `res`, its columns starting at `base`
 * (CTN_BUSINESS_COLUMNS); JSON columns parsed, everything in `pool`. */
ctn_business_t *ctn_business_from_row(apr_pool_t *pool, const PGresult *res, int base);

/* The same, except that the JSON documents (hours … settings) are shared
 * with the calling thread's later loads: each thread keeps the last text of
 * each JSON column and its parsed document, and returns that document again
 * while the text is unchanged (a changed setting is seen at once). Parsing
 * them was a quarter of httpd's CPU per call turn. The documents are
 * read-only and valid only until the thread's next shared load: for a
 * request that loads its business once and keeps nothing after it returns
 * (the webhooks' call flow), never for long-lived state. */
ctn_business_t *ctn_business_from_row_shared(apr_pool_t *pool, const PGresult *res, int base);

/* Load the business; the connection's tenant must be `business_id` (RLS).
 * APR_ENOENT when not visible. */
apr_status_t ctn_business_load(ctn_business_t **business, PGconn *conn, apr_pool_t *pool,
                               const char *business_id);

/* Settings with their defaults (businesses.settings jsonb). */
int ctn_business_setting_int(const ctn_business_t *b, const char *key, int dflt);
int ctn_business_setting_bool(const ctn_business_t *b, const char *key, int dflt);
json_object *ctn_business_setting(const ctn_business_t *b, const char *key);

#endif
