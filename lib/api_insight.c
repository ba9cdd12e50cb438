/* api_insight.c: analytics, and the API's own description.
 *
 *   GET /analytics?from&to      KPIs, by day, by hour of the week, by language
 *                               (to: today; from: 29 days before to)
 *   GET /openapi.json           the OpenAPI 3 document of this API (public)
 *
 * Analytics are one SQL statement over the calls of the range (an index
 * range scan of call_logs by business and start time), computed in the
 * business's time zone; test calls are left out. The figures count as an
 * owner does: a call is answered when it has ended and Cortana handled it
 * (any disposition but abandoned or spam; a call still in progress has none
 * yet, and ctn_calls_finish gives every ended call one), conversion is the
 * share of answered calls that booked, and the average duration is over the
 * calls that have ended. */
#include "api.h"

#include "api_schema.h"

#include <apr_strings.h>
#include <string.h>

static const ctn_api_schema_t count = {.type = CTN_SCHEMA_INTEGER, .min = 0};
#define RO  CTN_FIELD_READONLY
#define RON (CTN_FIELD_READONLY | CTN_FIELD_NULLABLE)

static const ctn_api_field_t day_fields[] = {
    {"date", &ctn_schema_date, RO}, {"calls", &count, RO}, {"booked", &count, RO}, {NULL, NULL, 0}};
static const ctn_api_schema_t day = {
    .name = "AnalyticsDay", .type = CTN_SCHEMA_OBJECT, .fields = day_fields};
static const ctn_api_field_t hour_fields[] = {
    {"dow",
     &(ctn_api_schema_t){
         .type = CTN_SCHEMA_INTEGER, .min = 0, .max = 6, .description = "0 = Sunday"},
     RO},
    {"hour", &(ctn_api_schema_t){.type = CTN_SCHEMA_INTEGER, .min = 0, .max = 23}, RO},
    {"calls", &count, RO},
    {NULL, NULL, 0}};
static const ctn_api_schema_t hour = {
    .name = "AnalyticsHour", .type = CTN_SCHEMA_OBJECT, .fields = hour_fields};
/* Documented counts: what each figure counts is what an owner reads it as. */
#define COUNT(text)  (&(ctn_api_schema_t){.type = CTN_SCHEMA_INTEGER, .min = 0, .description = text})
#define NUMBER(text) (&(ctn_api_schema_t){.type = CTN_SCHEMA_NUMBER, .min = 0, .description = text})
static const ctn_api_field_t analytics_fields[] = {
    {"from", &ctn_schema_date, RO},
    {"to", &ctn_schema_date, RO},
    {"calls",
     COUNT("calls received in the range, test calls left out (those still in progress "
           "too)"),
     RO},
    {"answered",
     COUNT("calls that have ended and that Cortana handled: any disposition but abandoned or "
           "spam; a call still in progress is not counted yet"),
     RO},
    {"booked", COUNT("calls that booked an appointment"), RO},
    {"conversion",
     NUMBER("the share of answered calls that booked (0 to 1, 4 decimals); null without an "
            "answered call"),
     RON},
    {"emergencies", COUNT("calls taken as emergencies"), RO},
    {"messages", COUNT("calls that ended with a message taken (a voicemail too)"), RO},
    {"avg_duration_s",
     NUMBER("the average duration of the calls that have ended, in seconds; null without one"),
     RON},
    {"by_language",
     &(ctn_api_schema_t){
         .type = CTN_SCHEMA_MAP, .items = &count, .description = "calls by language"},
     RO},
    {"by_day",
     &(ctn_api_schema_t){.type = CTN_SCHEMA_ARRAY,
                         .items = &day,
                         .description = "every day of the range, in the business's time zone"},
     RO},
    {"by_hour_of_week",
     &(ctn_api_schema_t){.type = CTN_SCHEMA_ARRAY,
                         .items = &hour,
                         .description = "calls by local day of the week and hour (the hours "
                                        "with calls only)"},
     RO},
    {NULL, NULL, 0}};
static const ctn_api_schema_t analytics = {
    .name = "Analytics", .type = CTN_SCHEMA_OBJECT, .fields = analytics_fields};

static int on_analytics(ctn_api_ctx_t *c)
{
    static const char sql[] =
        "WITH tz AS (SELECT timezone AS name FROM businesses WHERE id = cortana_tenant()), "
        "r0 AS (SELECT coalesce($2::date, (now() AT TIME ZONE tz.name)::date) AS d1, tz.name "
        "FROM tz), "
        "r AS (SELECT coalesce($1::date, r0.d1 - 29) AS d0, r0.d1, r0.name FROM r0), "
        "c AS MATERIALIZED (SELECT c.started_at AT TIME ZONE r.name AS local, c.disposition, "
        "c.emergency, c.duration_s, c.language, c.booked_appointment_id IS NOT NULL OR "
        "c.disposition = 'booked' AS booked, c.status <> 'in-progress' AND c.disposition "
        "NOT IN ('abandoned', 'spam') AS answered FROM call_logs c, r WHERE NOT c.is_test "
        "AND c.started_at >= (r.d0::timestamp AT TIME ZONE r.name) "
        "AND c.started_at < ((r.d1 + 1)::timestamp AT TIME ZONE r.name)), "
        "k AS (SELECT count(*) AS calls, count(*) FILTER (WHERE answered) AS answered, "
        "count(*) FILTER (WHERE answered AND booked) AS answered_booked, "
        "count(*) FILTER (WHERE booked) AS booked, count(*) FILTER "
        "(WHERE emergency) AS emergencies, count(*) FILTER (WHERE disposition = "
        "'message_taken') AS messages, avg(duration_s)::float8 AS avg_duration FROM c) "
        "SELECT json_build_object('from', r.d0, 'to', r.d1, 'calls', k.calls, 'answered', "
        "k.answered, 'booked', k.booked, 'conversion', CASE WHEN k.answered > 0 THEN "
        "round(k.answered_booked::numeric / k.answered, 4) END, 'emergencies', k.emergencies, "
        "'messages', k.messages, 'avg_duration_s', round(k.avg_duration::numeric, 1), "
        "'by_language', (SELECT coalesce(json_object_agg(language, n), '{}') FROM (SELECT "
        "language, count(*) AS n FROM c GROUP BY language) l), "
        "'by_day', (SELECT json_agg(json_build_object('date', d::date, 'calls', coalesce(x.n, "
        "0), 'booked', coalesce(x.b, 0)) ORDER BY d) FROM generate_series(r.d0, r.d1, "
        "interval '1 day') d LEFT JOIN (SELECT local::date AS day, count(*) AS n, count(*) "
        "FILTER (WHERE booked) AS b FROM c GROUP BY 1) x ON x.day = d::date), "
        "'by_hour_of_week', (SELECT coalesce(json_agg(json_build_object('dow', dow, 'hour', h, "
        "'calls', n) ORDER BY dow, h), '[]') FROM (SELECT extract(dow FROM local)::int AS dow, "
        "extract(hour FROM local)::int AS h, count(*) AS n FROM c GROUP BY 1, 2) w))::text "
        "FROM r, k WHERE r.d1 >= r.d0 AND r.d1 - r.d0 <= 400";
    const char *params[2] = {ctn_api_arg(c, "from"), ctn_api_arg(c, "to")}, *json = NULL;
    int err;

    for (int i = 0; i < 2; i++) {
        if (params[i] && (strlen(params[i]) != 10 || !ctn_api_time_arg_ok(c->pool, params[i]))) {
            return ctn_api_error(c, 400, "invalid", "must be a date (YYYY-MM-DD)",
                                 i ? "to" : "from");
        }
    }
    if ((err = ctn_api_query_json(c, &json, sql, 2, params)) != 0) {
        return err;
    }
    return json ? ctn_api_json(c, 200, json)
                : ctn_api_error(c, 400, "invalid", "the range must be 1 to 401 days", "to");
}

static int on_openapi(ctn_api_ctx_t *c)
{
    return ctn_api_json(c, 200, ctn_api_openapi(c->pool));
}

static const ctn_api_query_param_t range_params[] = {
    {"from", &ctn_schema_date, 0}, {"to", &ctn_schema_date, 0}, {NULL, NULL, 0}};

const ctn_api_route_t ctn_api_insight_routes[] = {
    {"GET", "/analytics", on_analytics, 0, NULL, &analytics, 200,
     "KPIs and charts for a date range (default: the 30 days up to `to`, today by default)",
     range_params},
    {"GET", "/openapi.json", on_openapi, CTN_API_PUBLIC | CTN_API_NO_DB, NULL, NULL, 200,
     "This document", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL}};
