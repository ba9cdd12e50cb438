/* api_schedule.c: appointments and free slots.
 *
 *   GET  /appointments?from&to&status&cursor&limit   the calendar, soonest first, in pages
 *   GET  /availability?from&duration_minutes&count   free slots (as the engines see them)
 *   POST /book                            book a slot (409 when it was just taken)
 *   POST /appointments/{id}/cancel       (409 once it is completed or canceled)
 *
 * Free slots come from the same function the dialog engine uses
 * (ctn_calendar_free_slots: hours, holidays, time zone, travel buffer,
 * lead time, existing appointments); double booking is impossible because
 * the appointments table has an exclusion constraint, not because this
 * file checks first. */
#include "api.h"

#include "api_schema.h"
#include "business.h"
#include "calendar.h"
#include "json.h"

#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

/* Appointments a page holds when the request does not say, and at most. */
#define PAGE_DEFAULT 100
#define PAGE_MAX     500

static const char *const statuses[] = {"booked", "confirmed", "completed", "canceled", NULL};

static const ctn_api_field_t list_fields[] = {
    {"items", &(ctn_api_schema_t){.type = CTN_SCHEMA_ARRAY, .items = &ctn_api_appointment_schema},
     CTN_FIELD_READONLY},
    {"next_cursor", &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING},
     CTN_FIELD_READONLY | CTN_FIELD_NULLABLE},
    {NULL, NULL, 0}};
static const ctn_api_schema_t appointment_list = {
    .name = "AppointmentList", .type = CTN_SCHEMA_OBJECT, .fields = list_fields};

static const ctn_api_field_t slot_fields[] = {
    {"starts_at", &ctn_schema_date_time, CTN_FIELD_READONLY},
    {"ends_at", &ctn_schema_date_time, CTN_FIELD_READONLY},
    {"label", &ctn_schema_text, CTN_FIELD_READONLY},
    {NULL, NULL, 0}};
static const ctn_api_schema_t slot = {
    .name = "Slot", .type = CTN_SCHEMA_OBJECT, .fields = slot_fields};
static const ctn_api_field_t availability_fields[] = {
    {"duration_minutes", &ctn_schema_count, CTN_FIELD_READONLY},
    {"slots", &(ctn_api_schema_t){.type = CTN_SCHEMA_ARRAY, .items = &slot}, CTN_FIELD_READONLY},
    {NULL, NULL, 0}};
static const ctn_api_schema_t availability = {
    .name = "Availability", .type = CTN_SCHEMA_OBJECT, .fields = availability_fields};

static const ctn_api_schema_t short_text = {.type = CTN_SCHEMA_STRING, .max = 500};
static const ctn_api_field_t book_fields[] = {
    {"starts_at", &ctn_schema_date_time, CTN_FIELD_REQUIRED},
    {"duration_minutes", &(ctn_api_schema_t){.type = CTN_SCHEMA_INTEGER, .min = 15, .max = 1440},
     0},
    {"customer_name", &ctn_schema_name, CTN_FIELD_REQUIRED},
    {"customer_phone", &ctn_schema_e164, CTN_FIELD_REQUIRED},
    {"customer_address", &short_text, CTN_FIELD_NULLABLE},
    {"problem", &short_text, CTN_FIELD_NULLABLE},
    {"service", &ctn_schema_name, CTN_FIELD_NULLABLE},
    {NULL, NULL, 0}};
static const ctn_api_schema_t book_body = {
    .name = "BookingRequest", .type = CTN_SCHEMA_OBJECT, .fields = book_fields};

#define APPOINTMENT_COLUMNS                                                                        \
    "id, starts_at, ends_at, status, customer_name, customer_phone, customer_address, problem, "   \
    "service, call_log_id, created_at"

/* A page of the calendar, soonest first, with keyset pagination as the
 * call log has it: next_cursor is the last shown row's start (UTC, to the
 * microsecond) and id. One row more than the page says whether there is a
 * next page. */
static int on_list(ctn_api_ctx_t *c)
{
    static const char sql[] =
        "SELECT json_build_object('items', coalesce(json_agg(p.a ORDER BY p.n) "
        "FILTER (WHERE p.n <= $6::int), '[]'), 'next_cursor', CASE WHEN count(*) > $6::int "
        "THEN max(p.cursor) FILTER (WHERE p.n = $6::int) END)::text "
        "FROM (SELECT a, row_number() OVER (ORDER BY a.starts_at, a.id) AS n, "
        "to_char(a.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') || '~' || "
        "a.id AS cursor FROM (SELECT " APPOINTMENT_COLUMNS " FROM appointments "
        "WHERE ($1::text IS NULL OR starts_at >= cortana_local_bound($1, false)) "
        "AND ($2::text IS NULL OR starts_at < cortana_local_bound($2, true)) "
        "AND ($3::text IS NULL OR status = $3) "
        "AND ($4::timestamptz IS NULL OR (starts_at, id) > ($4::timestamptz, $5::uuid)) "
        "ORDER BY starts_at, id LIMIT $6::int + 1) a) p";
    const char *params[6] = {
        ctn_api_arg(c, "from"), ctn_api_arg(c, "to"), ctn_api_arg(c, "status"), NULL, NULL, NULL};
    const char *json = NULL, *v;
    long limit = PAGE_DEFAULT;
    int err;

    if (!ctn_api_time_arg_ok(c->pool, params[0]) || !ctn_api_time_arg_ok(c->pool, params[1])) {
        return ctn_api_error(c, 400, "invalid", "must be a date or an RFC 3339 time",
                             ctn_api_time_arg_ok(c->pool, params[0]) ? "to" : "from");
    }
    if (params[2]) {
        const char *const *s = statuses;
        while (*s && strcmp(*s, params[2]) != 0) {
            s++;
        }
        if (*s == NULL) {
            return ctn_api_error(c, 400, "invalid", "is not an appointment status", "status");
        }
    }
    if ((v = ctn_api_arg(c, "cursor")) != NULL &&
        !ctn_api_cursor_parse(v, c->pool, &params[3], &params[4])) {
        return ctn_api_error(c, 400, "invalid", "is not a cursor this API gave", "cursor");
    }
    if ((v = ctn_api_arg(c, "limit")) != NULL) {
        char *end;
        limit = strtol(v, &end, 10);
        if (*end || limit < 1 || limit > PAGE_MAX) {
            return ctn_api_error(c, 400, "invalid",
                                 apr_psprintf(c->pool, "must be between 1 and %d", PAGE_MAX),
                                 "limit");
        }
    }
    params[5] = apr_ltoa(c->pool, limit);
    if ((err = ctn_api_query_json(c, &json, sql, 6, params)) != 0) {
        return err;
    }
    return ctn_api_json(c, 200, json);
}

static const char *rfc3339(apr_pool_t *pool, apr_time_t t)
{
    apr_time_exp_t e;

    apr_time_exp_gmt(&e, t);
    return apr_psprintf(pool, "%04d-%02d-%02dT%02d:%02d:%02dZ", e.tm_year + 1900, e.tm_mon + 1,
                        e.tm_mday, e.tm_hour, e.tm_min, e.tm_sec);
}

/* An integer query argument in [lo, hi], or `dflt` when absent; -1 when bad. */
static int int_arg(ctn_api_ctx_t *c, const char *name, int lo, int hi, int dflt)
{
    const char *v = ctn_api_arg(c, name);
    char *end;
    long n;

    if (v == NULL) {
        return dflt;
    }
    n = strtol(v, &end, 10);
    return *end == '\0' && n >= lo && n <= hi ? (int)n : -1;
}

static int on_availability(ctn_api_ctx_t *c)
{
    ctn_business_t *b = NULL;
    ctn_calendar_query_t q;
    apr_array_header_t *slots = NULL;
    json_object *out, *list;
    const char *from = ctn_api_arg(c, "from"), *lang = ctn_api_arg(c, "language");
    int duration = int_arg(c, "duration_minutes", 15, 1440, 60);
    int count = int_arg(c, "count", 1, 50, 10);

    if (duration < 0 || count < 0) {
        return ctn_api_error(c, 400, "invalid", "is out of range",
                             duration < 0 ? "duration_minutes" : "count");
    }
    if (from && (!ctn_api_time_arg_ok(c->pool, from) || strlen(from) == 10)) {
        return ctn_api_error(c, 400, "invalid", "must be an RFC 3339 time", "from");
    }
    if (lang && strcmp(lang, "en") != 0 && strcmp(lang, "es") != 0) {
        return ctn_api_error(c, 400, "invalid", "must be en or es", "language");
    }
    if (ctn_business_load(&b, c->conn, c->pool, c->session->business_id) != APR_SUCCESS) {
        return ctn_api_error(c, 503, "unavailable", "the database is unavailable", NULL);
    }
    memset(&q, 0, sizeof(q));
    q.business_id = b->id;
    q.duration_min = duration;
    q.buffer_min = ctn_business_setting_int(b, "travel_buffer_minutes", 30);
    q.lead_min = ctn_business_setting_int(b, "lead_minutes", 60);
    q.granularity_min = 30;
    q.horizon_days = 21;
    q.max = count;
    if (from) {
        const char *params[1] = {from}, *epoch = NULL;
        int err = ctn_api_query_json(
            c, &epoch, "SELECT (extract(epoch from $1::timestamptz) * 1000000)::bigint::text", 1,
            params);
        if (err) {
            return err;
        }
        q.not_before = (apr_time_t)apr_atoi64(epoch);
    }
    if (ctn_calendar_free_slots(&slots, c->conn, c->pool, &q) != APR_SUCCESS) {
        return ctn_api_error(c, 503, "unavailable", "free slots could not be computed", NULL);
    }
    out = ctn_json_pool_own(c->pool, json_object_new_object());
    list = json_object_new_array();
    for (int i = 0; i < slots->nelts; i++) {
        const ctn_slot_t *s = &APR_ARRAY_IDX(slots, i, ctn_slot_t);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "starts_at", json_object_new_string(rfc3339(c->pool, s->start)));
        json_object_object_add(o, "ends_at", json_object_new_string(rfc3339(c->pool, s->end)));
        json_object_object_add(o, "label",
                               json_object_new_string(ctn_calendar_say(
                                   c->pool, c->conn, b->id, s->start, lang ? lang : "en")));
        json_object_array_add(list, o);
    }
    json_object_object_add(out, "duration_minutes", json_object_new_int(duration));
    json_object_object_add(out, "slots", list);
    return ctn_api_json(c, 200, ctn_json_serialize(c->pool, out));
}

static int on_book(ctn_api_ctx_t *c)
{
    static const char sql[] =
        "WITH a AS (INSERT INTO appointments (business_id, starts_at, ends_at, customer_name, "
        "customer_phone, customer_address, problem, service) SELECT cortana_tenant(), "
        "$1::timestamptz, $1::timestamptz + make_interval(mins => $2::int), $3, $4, $5, $6, $7 "
        "WHERE $1::timestamptz > now() RETURNING " APPOINTMENT_COLUMNS
        ") SELECT row_to_json(a)::text FROM a";
    long long minutes = 60;
    const char *params[7], *json = NULL;
    int err;

    ctn_json_get_int64(c->body, "duration_minutes", &minutes);
    params[0] = ctn_json_get_string(c->body, "starts_at", NULL);
    params[1] = apr_psprintf(c->pool, "%ld", (long)minutes);
    params[2] = ctn_json_get_string(c->body, "customer_name", NULL);
    params[3] = ctn_json_get_string(c->body, "customer_phone", NULL);
    params[4] = ctn_json_get_string(c->body, "customer_address", NULL);
    params[5] = ctn_json_get_string(c->body, "problem", NULL);
    params[6] = ctn_json_get_string(c->body, "service", NULL);
    if ((err = ctn_api_query_json(c, &json, sql, 7, params)) != 0) {
        if (err == 409) {
            return ctn_api_error(c, 409, "slot_taken", "that time overlaps another appointment",
                                 "starts_at");
        }
        return err;
    }
    /* No row: the time has passed. Outside opening hours is the owner's
     * choice (a call-back squeezed in), a time gone by never is. */
    return json ? ctn_api_json(c, 201, json)
                : ctn_api_error(c, 400, "invalid", "must be in the future", "starts_at");
}

static int on_cancel(ctn_api_ctx_t *c)
{
    static const char sql[] =
        "WITH a AS (UPDATE appointments SET status = 'canceled' WHERE id = $1 "
        "AND status IN ('booked', 'confirmed') "
        "RETURNING " APPOINTMENT_COLUMNS ") SELECT row_to_json(a)::text FROM a";
    const char *params[1] = {c->args[0]}, *json = NULL;
    int err;

    if (!ctn_api_is_uuid(c->args[0])) {
        return ctn_api_error(c, 404, "not_found", "no such appointment", NULL);
    }
    if ((err = ctn_api_query_json(c, &json, sql, 1, params)) != 0) {
        return err;
    }
    if (json) {
        return ctn_api_json(c, 200, json);
    }
    /* Not changed: there is no such appointment, or it is over (completed,
     * or canceled already), which a cancel must not rewrite. */
    if ((err = ctn_api_query_json(c, &json, "SELECT status FROM appointments WHERE id = $1", 1,
                                  params)) != 0) {
        return err;
    }
    return json ? ctn_api_error(c, 409, "conflict",
                                apr_pstrcat(c->pool, "the appointment is ", json, " already", NULL),
                                "status")
                : ctn_api_error(c, 404, "not_found", "no such appointment", NULL);
}

static const ctn_api_schema_t local_bound = {
    .type = CTN_SCHEMA_STRING,
    .description = "A date (YYYY-MM-DD, a day in the business's time zone) or an RFC 3339 time"};
static const ctn_api_schema_t status = {.type = CTN_SCHEMA_STRING, .enum_values = statuses};
static const ctn_api_schema_t cursor = {.type = CTN_SCHEMA_STRING,
                                        .description = "next_cursor of the previous page"};
static const ctn_api_schema_t page_limit = {.type = CTN_SCHEMA_INTEGER,
                                            .min = 1,
                                            .max = PAGE_MAX,
                                            .description = "appointments a page holds"};
static const ctn_api_query_param_t list_params[] = {
    {"from", &local_bound, 0}, {"to", &local_bound, 0},   {"status", &status, 0},
    {"cursor", &cursor, 0},    {"limit", &page_limit, 0}, {NULL, NULL, 0}};
static const ctn_api_schema_t not_before = {
    .type = CTN_SCHEMA_STRING,
    .format = CTN_FORMAT_DATE_TIME,
    .description = "no slot before this time; the 21 days searched start on its local day"};
static const ctn_api_schema_t duration = {.type = CTN_SCHEMA_INTEGER, .min = 15, .max = 1440};
static const ctn_api_schema_t count = {.type = CTN_SCHEMA_INTEGER, .min = 1, .max = 50};
static const ctn_api_query_param_t availability_params[] = {{"from", &not_before, 0},
                                                            {"duration_minutes", &duration, 0},
                                                            {"count", &count, 0},
                                                            {"language", &ctn_schema_lang, 0},
                                                            {NULL, NULL, 0}};

const ctn_api_route_t ctn_api_schedule_routes[] = {
    {"GET", "/appointments", on_list, 0, NULL, &appointment_list, 200,
     "Appointments, soonest first; pages with next_cursor", list_params},
    {"POST", "/appointments/{id}/cancel", on_cancel, CTN_API_CONFLICTS, NULL,
     &ctn_api_appointment_schema, 200, "Cancel an appointment", NULL},
    {"GET", "/availability", on_availability, 0, NULL, &availability, 200,
     "Free slots, soonest first", availability_params},
    {"POST", "/book", on_book, CTN_API_CREATE | CTN_API_CONFLICTS, &book_body,
     &ctn_api_appointment_schema, 201, "Book an appointment", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL}};
