/* api_calls.c: the call log, and callers the business blocks.
 *
 *   GET    /calls?from&to&disposition&emergency&language&q&cursor&limit
 *   GET    /calls/{id}            with transcript, dispatch, texts, appointment
 *   POST   /calls/{id}/block      block the caller's number (one tap from the log)
 *   GET    /blocked-numbers
 *   POST   /blocked-numbers
 *   DELETE /blocked-numbers/{id}
 *
 * Lists are newest first with keyset pagination: `next_cursor` is the last
 * row's start time and id, so a page costs an index range scan however deep
 * the owner pages, and rows arriving meanwhile never shift a page.
 *
 * The list is the dashboard's hottest request: its rows come from
 * PostgreSQL as plain columns in the binary format and this file writes
 * the JSON (see "writing a page" below). Building it in SQL (json_agg over
 * the rows) was most of the database's time per request: PostgreSQL looks
 * up every column's type and output function again for every row. */
#include "api.h"

#include "api_schema.h"
#include "json.h"
#include "log.h"

#include <apr_strings.h>
#include <stdio.h>
#include <string.h>

#define PAGE_DEFAULT 50
#define PAGE_MAX     200

static const char *const dispositions[] = {
    "emergency_dispatched", "booked", "message_taken", "question_answered",
    "transferred",          "spam",   "abandoned",     NULL};
static const ctn_api_schema_t disposition = {.type = CTN_SCHEMA_STRING,
                                             .enum_values = dispositions};
static const ctn_api_schema_t str = {.type = CTN_SCHEMA_STRING};
static const ctn_api_schema_t integer = {.type = CTN_SCHEMA_INTEGER, .min = 0};

/* call_logs.realtime_stats: the worker's figures for a realtime call
 * (tokens, rate-limit headroom, latencies in ms, frames; -1 = not measured). */
static const ctn_api_schema_t figure = {.type = CTN_SCHEMA_INTEGER, .min = -1};
static const ctn_api_schema_t realtime_figures = {.type = CTN_SCHEMA_MAP, .items = &figure};

#define RO  CTN_FIELD_READONLY
#define RON (CTN_FIELD_READONLY | CTN_FIELD_NULLABLE)

static const ctn_api_field_t call_fields[] = {{"id", &ctn_schema_uuid, RO},
                                              {"call_sid", &str, RO},
                                              {"from_number", &str, RO},
                                              {"to_number", &str, RO},
                                              {"started_at", &ctn_schema_date_time, RO},
                                              {"ended_at", &ctn_schema_date_time, RON},
                                              {"status", &str, RO},
                                              {"duration_s", &integer, RON},
                                              {"disposition", &disposition, RON},
                                              {"language", &ctn_schema_lang, RO},
                                              {"engine", &str, RO},
                                              {"route", &str, RON},
                                              {"emergency", &ctn_schema_bool, RO},
                                              {"is_test", &ctn_schema_bool, RO},
                                              {"summary", &str, RON},
                                              {"sentiment", &str, RON},
                                              {"failover", &str, RON},
                                              {"realtime", &realtime_figures, RON},
                                              {NULL, NULL, 0}};
static const ctn_api_schema_t call = {
    .name = "Call", .type = CTN_SCHEMA_OBJECT, .fields = call_fields};
static const ctn_api_field_t call_list_fields[] = {
    {"items", &(ctn_api_schema_t){.type = CTN_SCHEMA_ARRAY, .items = &call}, RO},
    {"next_cursor", &str, RON},
    {NULL, NULL, 0}};
static const ctn_api_schema_t call_list = {
    .name = "CallList", .type = CTN_SCHEMA_OBJECT, .fields = call_list_fields};

static const ctn_api_field_t line_fields[] = {{"seq", &integer, RO},
                                              {"speaker", &str, RO},
                                              {"text", &str, RO},
                                              {"language", &str, RON},
                                              {"at", &ctn_schema_date_time, RO},
                                              {NULL, NULL, 0}};
static const ctn_api_schema_t line = {
    .name = "TranscriptLine", .type = CTN_SCHEMA_OBJECT, .fields = line_fields};
static const ctn_api_field_t dispatch_fields[] = {{"id", &ctn_schema_uuid, RO},
                                                  {"status", &str, RO},
                                                  {"step", &integer, RO},
                                                  {"category", &str, RON},
                                                  {"technician", &str, RON},
                                                  {"notified_phone", &str, RON},
                                                  {"notified_at", &ctn_schema_date_time, RON},
                                                  {"ack_at", &ctn_schema_date_time, RON},
                                                  {"due_at", &ctn_schema_date_time, RON},
                                                  {NULL, NULL, 0}};
static const ctn_api_schema_t dispatch = {
    .name = "Dispatch", .type = CTN_SCHEMA_OBJECT, .fields = dispatch_fields};
static const ctn_api_field_t sms_fields[] = {{"id", &ctn_schema_uuid, RO},
                                             {"direction", &str, RO},
                                             {"to_number", &str, RO},
                                             {"from_number", &str, RO},
                                             {"body", &str, RO},
                                             {"status", &str, RO},
                                             {"purpose", &str, RON},
                                             {"error", &str, RON},
                                             {"attempts", &integer, RO},
                                             {"created_at", &ctn_schema_date_time, RO},
                                             {NULL, NULL, 0}};
static const ctn_api_schema_t sms = {
    .name = "Sms", .type = CTN_SCHEMA_OBJECT, .fields = sms_fields};
static const ctn_api_field_t appointment_fields[] = {{"id", &ctn_schema_uuid, RO},
                                                     {"starts_at", &ctn_schema_date_time, RO},
                                                     {"ends_at", &ctn_schema_date_time, RO},
                                                     {"status", &str, RO},
                                                     {"customer_name", &str, RON},
                                                     {"customer_phone", &str, RON},
                                                     {"customer_address", &str, RON},
                                                     {"problem", &str, RON},
                                                     {"service", &str, RON},
                                                     {"call_log_id", &ctn_schema_uuid, RON},
                                                     {"created_at", &ctn_schema_date_time, RO},
                                                     {NULL, NULL, 0}};
const ctn_api_schema_t ctn_api_appointment_schema = {
    .name = "Appointment", .type = CTN_SCHEMA_OBJECT, .fields = appointment_fields};
static const ctn_api_field_t voicemail_fields[] = {{"id", &ctn_schema_uuid, RO},
                                                   {"recording_url", &str, RON},
                                                   {"duration_s", &integer, RON},
                                                   {"transcription", &str, RON},
                                                   {"created_at", &ctn_schema_date_time, RO},
                                                   {NULL, NULL, 0}};
static const ctn_api_schema_t voicemail = {
    .name = "Voicemail", .type = CTN_SCHEMA_OBJECT, .fields = voicemail_fields};
static const ctn_api_field_t detail_fields[] = {
    {"call", &call, RO},
    {"message", &str, RON},
    {"slots", &ctn_schema_any_object, RO},
    {"transcript", &(ctn_api_schema_t){.type = CTN_SCHEMA_ARRAY, .items = &line}, RO},
    {"dispatch", &dispatch, RON},
    {"sms", &(ctn_api_schema_t){.type = CTN_SCHEMA_ARRAY, .items = &sms}, RO},
    {"appointment", &ctn_api_appointment_schema, RON},
    {"voicemails", &(ctn_api_schema_t){.type = CTN_SCHEMA_ARRAY, .items = &voicemail}, RO},
    {"blocked", &ctn_schema_bool, RO},
    {NULL, NULL, 0}};
static const ctn_api_schema_t call_detail = {
    .name = "CallDetail", .type = CTN_SCHEMA_OBJECT, .fields = detail_fields};

static const ctn_api_field_t blocked_fields[] = {
    {"id", &ctn_schema_uuid, RO},
    {"phone", &ctn_schema_e164, CTN_FIELD_REQUIRED},
    {"reason", &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING, .max = 200}, CTN_FIELD_NULLABLE},
    {"created_at", &ctn_schema_date_time, RO},
    {NULL, NULL, 0}};
static const ctn_api_schema_t blocked = {
    .name = "BlockedNumber", .type = CTN_SCHEMA_OBJECT, .fields = blocked_fields};
static const ctn_api_field_t blocked_list_fields[] = {
    {"items", &(ctn_api_schema_t){.type = CTN_SCHEMA_ARRAY, .items = &blocked}, RO},
    {NULL, NULL, 0}};
static const ctn_api_schema_t blocked_list = {
    .name = "BlockedNumberList", .type = CTN_SCHEMA_OBJECT, .fields = blocked_list_fields};

#define CALL_JSON_COLUMNS                                                                          \
    "c.id, c.call_sid, c.from_number, c.to_number, c.started_at, c.ended_at, c.status, "           \
    "c.duration_s, c.disposition, c.language, c.engine, c.route, c.emergency, c.is_test, "         \
    "c.summary, c.sentiment, c.failover, c.realtime_stats AS realtime"

/* ------------------------------------------------------ writing a page --- */

/* The list's columns, in the order (and with the JSON names) of `call_fields`,
 * and how each arrives in PostgreSQL's binary format. */
#define LIST_COLUMNS                                                                               \
    "c.id, c.call_sid, c.from_number, c.to_number, c.started_at, c.ended_at, c.status, "           \
    "c.duration_s, c.disposition, c.language, c.engine, c.route, c.emergency, c.is_test, "         \
    "c.summary, c.sentiment, c.failover, c.realtime_stats"

typedef enum { COL_UUID, COL_TEXT, COL_TIME, COL_INT4, COL_BOOL, COL_JSONB } col_kind_t;

static const struct list_column_t {
    const char *key; /* "\"name\":", as written */
    col_kind_t kind;
    Oid type; /* PostgreSQL's type OID, checked against the result */
} list_columns[] = {{"\"id\":", COL_UUID, 2950},         {"\"call_sid\":", COL_TEXT, 25},
                    {"\"from_number\":", COL_TEXT, 25},  {"\"to_number\":", COL_TEXT, 25},
                    {"\"started_at\":", COL_TIME, 1184}, {"\"ended_at\":", COL_TIME, 1184},
                    {"\"status\":", COL_TEXT, 25},       {"\"duration_s\":", COL_INT4, 23},
                    {"\"disposition\":", COL_TEXT, 25},  {"\"language\":", COL_TEXT, 25},
                    {"\"engine\":", COL_TEXT, 25},       {"\"route\":", COL_TEXT, 25},
                    {"\"emergency\":", COL_BOOL, 16},    {"\"is_test\":", COL_BOOL, 16},
                    {"\"summary\":", COL_TEXT, 25},      {"\"sentiment\":", COL_TEXT, 25},
                    {"\"failover\":", COL_TEXT, 25},     {"\"realtime\":", COL_JSONB, 3802}};
#define LIST_NCOLS     ((int)(sizeof(list_columns) / sizeof(list_columns[0])))
#define COL_STARTED_AT 4

/* 1 when `rows` has the list's columns with the types this file decodes. */
static int list_columns_ok(const PGresult *rows)
{
    if (PQnfields(rows) != LIST_NCOLS) {
        return 0;
    }
    for (int i = 0; i < LIST_NCOLS; i++) {
        if (PQftype(rows, i) != list_columns[i].type || PQfformat(rows, i) != 1) {
            return 0;
        }
    }
    return 1;
}

/* The page is written with ctn_jw_* (json.c): outgrown buffers stay in the
 * pool until the request ends, and a page outgrows its first guess rarely. */
static void out_str(ctn_json_writer_t *o, const char *s)
{
    ctn_jw_raw(o, s, strlen(s));
}

static apr_uint64_t be_uint(const unsigned char *b, int n)
{
    apr_uint64_t v = 0;

    for (int i = 0; i < n; i++) {
        v = v << 8 | b[i];
    }
    return v;
}

/* A binary uuid (16 bytes) as its 36 characters, unquoted. */
static void out_uuid_chars(ctn_json_writer_t *o, const unsigned char *b)
{
    static const char hex[] = "0123456789abcdef";
    char *p = ctn_jw_room(o, 36);

    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            *p++ = '-';
        }
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    o->len += 36;
}

/* A binary timestamptz (microseconds since 2000-01-01 00:00 UTC) in UTC:
 * "YYYY-MM-DD", "HH:MM:SS" and the microseconds. 0 for ±infinity. */
typedef struct utc_time_t {
    long long year;
    int month, day, hour, minute, second, usec;
} utc_time_t;

static int utc_time(utc_time_t *t, const unsigned char *b)
{
    apr_int64_t us = (apr_int64_t)be_uint(b, 8);
    apr_int64_t days, secs, era, doe, yoe, doy, mp;

    if (us == APR_INT64_MAX || us == APR_INT64_MIN) {
        return 0;
    }
    days = us / 86400000000LL;
    us %= 86400000000LL;
    if (us < 0) {
        us += 86400000000LL;
        days--;
    }
    /* Days since 1970-01-01 to a civil date (H. Hinnant's days_from_civil inverse). */
    days += 10957 + 719468;
    era = (days >= 0 ? days : days - 146096) / 146097;
    doe = days - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    t->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    t->month = (int)(mp < 10 ? mp + 3 : mp - 9);
    t->year = yoe + era * 400 + (t->month <= 2);
    secs = us / 1000000;
    t->usec = (int)(us % 1000000);
    t->hour = (int)(secs / 3600);
    t->minute = (int)(secs / 60 % 60);
    t->second = (int)(secs % 60);
    return 1;
}

/* `v` (0 <= v < 10^width) in `width` digits, zero-padded. */
static char *put_digits(char *p, int v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

/* "YYYY-MM-DDTHH:MM:SS" (19 characters; printf for a year past 9999,
 * which no call has). Returns the end. */
static char *put_date_time(char *p, const utc_time_t *t)
{
    if (t->year < 0 || t->year > 9999) {
        return p + sprintf(p, "%04lld-%02d-%02dT%02d:%02d:%02d", t->year, t->month, t->day, t->hour,
                           t->minute, t->second);
    }
    p = put_digits(p, (int)t->year, 4);
    *p++ = '-';
    p = put_digits(p, t->month, 2);
    *p++ = '-';
    p = put_digits(p, t->day, 2);
    *p++ = 'T';
    p = put_digits(p, t->hour, 2);
    *p++ = ':';
    p = put_digits(p, t->minute, 2);
    *p++ = ':';
    return put_digits(p, t->second, 2);
}

/* As PostgreSQL writes a timestamptz in JSON with TimeZone UTC:
 * "2026-11-24T15:04:05.123+00:00", trailing zeros of the fraction dropped. */
static void out_time(ctn_json_writer_t *o, const unsigned char *b)
{
    utc_time_t t;
    char *start = ctn_jw_room(o, 64), *p = start;

    if (!utc_time(&t, b)) {
        out_str(o, be_uint(b, 8) >> 63 ? "\"-infinity\"" : "\"infinity\"");
        return;
    }
    *p++ = '"';
    p = put_date_time(p, &t);
    if (t.usec != 0) {
        int usec = t.usec, digits = 6;
        while (usec % 10 == 0) {
            usec /= 10;
            digits--;
        }
        *p++ = '.';
        p = put_digits(p, usec, digits);
    }
    memcpy(p, "+00:00\"", 7);
    o->len += (apr_size_t)(p + 7 - start);
}

static void out_value(ctn_json_writer_t *o, const PGresult *rows, int r, int i)
{
    const unsigned char *b = (const unsigned char *)PQgetvalue(rows, r, i);
    int n = PQgetlength(rows, r, i);

    if (PQgetisnull(rows, r, i)) {
        ctn_jw_raw(o, "null", 4);
        return;
    }
    switch (list_columns[i].kind) {
    case COL_UUID:
        ctn_jw_raw(o, "\"", 1);
        out_uuid_chars(o, b);
        ctn_jw_raw(o, "\"", 1);
        break;
    case COL_TEXT:
        ctn_jw_quoted(o, (const char *)b, (apr_size_t)n);
        break;
    case COL_TIME:
        out_time(o, b);
        break;
    case COL_INT4: {
        char digits[16];
        int len = apr_snprintf(digits, sizeof(digits), "%d", (int)(apr_int32_t)be_uint(b, 4));
        ctn_jw_raw(o, digits, (apr_size_t)len);
        break;
    }
    case COL_BOOL:
        out_str(o, b[0] ? "true" : "false");
        break;
    case COL_JSONB: /* a version byte (1), then the value as JSON text */
        ctn_jw_raw(o, (const char *)b + 1, (apr_size_t)n - 1);
        break;
    }
}

/* next_cursor: the last shown row's start time (UTC, to the microsecond) and id. */
static void out_cursor(ctn_json_writer_t *o, const PGresult *rows, int r)
{
    utc_time_t t;
    char *start = ctn_jw_room(o, 64), *p = start;
    const unsigned char *id = (const unsigned char *)PQgetvalue(rows, r, 0);

    if (!utc_time(&t, (const unsigned char *)PQgetvalue(rows, r, COL_STARTED_AT))) {
        ctn_jw_raw(o, "null", 4);
        return;
    }
    *p++ = '"';
    p = put_date_time(p, &t);
    *p++ = '.';
    p = put_digits(p, t.usec, 6);
    memcpy(p, "Z~", 2);
    o->len += (apr_size_t)(p + 2 - start);
    out_uuid_chars(o, id);
    ctn_jw_raw(o, "\"", 1);
}

/* {"items":[…the first `limit` rows…],"next_cursor":…} */
static const char *page_json(apr_pool_t *pool, const PGresult *rows, int limit)
{
    int nrows = PQntuples(rows), shown = nrows > limit ? limit : nrows;
    ctn_json_writer_t o;

    ctn_jw_init(&o, pool, 64 + (apr_size_t)shown * 640);
    out_str(&o, "{\"items\":[");
    for (int r = 0; r < shown; r++) {
        ctn_jw_raw(&o, r ? ",{" : "{", r ? 2 : 1);
        for (int i = 0; i < LIST_NCOLS; i++) {
            if (i) {
                ctn_jw_raw(&o, ",", 1);
            }
            out_str(&o, list_columns[i].key);
            out_value(&o, rows, r, i);
        }
        ctn_jw_raw(&o, "}", 1);
    }
    out_str(&o, "],\"next_cursor\":");
    if (nrows > limit) {
        out_cursor(&o, rows, shown - 1);
    } else {
        ctn_jw_raw(&o, "null", 4);
    }
    ctn_jw_raw(&o, "}", 1);
    return ctn_jw_text(&o);
}

/* ----------------------------------------------------------- the list --- */

int ctn_api_cursor_parse(const char *cursor, apr_pool_t *pool, const char **at, const char **id)
{
    const char *tilde = cursor ? strchr(cursor, '~') : NULL;

    if (tilde == NULL || !ctn_api_is_uuid(tilde + 1) || tilde - cursor < 20 ||
        tilde - cursor > 40) {
        return 0;
    }
    *at = apr_pstrmemdup(pool, cursor, (apr_size_t)(tilde - cursor));
    *id = tilde + 1;
    return strspn(*at, "0123456789-:.TZ+") == strlen(*at);
}

/* 1 when `v` is absent, a date or an RFC 3339 time. */
int ctn_api_time_arg_ok(apr_pool_t *pool, const char *v)
{
    const char *field = NULL, *why = NULL;
    json_object *s;
    int ok;

    if (v == NULL) {
        return 1;
    }
    s = json_object_new_string(v);
    ok = ctn_api_schema_validate(&ctn_schema_date, s, 0, pool, &field, &why) ||
         ctn_api_schema_validate(&ctn_schema_date_time, s, 0, pool, &field, &why);
    json_object_put(s);
    return ok;
}

/* The page query has only the conditions the request uses, so each shape
 * is prepared once per connection with a plan that fits it (the cursor
 * becomes an index condition, not a filter). */
typedef struct page_query_t {
    apr_pool_t *pool;
    char *where;
    const char *params[10];
    int n;
} page_query_t;

static void add_condition(page_query_t *q, const char *fmt, const char *value)
{
    q->params[q->n++] = value;
    q->where =
        apr_pstrcat(q->pool, q->where, " AND ", apr_psprintf(q->pool, fmt, q->n, q->n), NULL);
}

static int on_list(ctn_api_ctx_t *c)
{
    page_query_t q = {c->pool, "", {NULL}, 0};
    const char *v, *at = NULL, *id = NULL, *sql;
    PGresult *rows = NULL;
    int limit = PAGE_DEFAULT, err;

    for (int i = 0; i < 2; i++) {
        const char *name = i ? "to" : "from";
        if ((v = ctn_api_arg(c, name)) != NULL) {
            if (!ctn_api_time_arg_ok(c->pool, v)) {
                return ctn_api_error(c, 400, "invalid", "must be a date or an RFC 3339 time", name);
            }
            add_condition(&q,
                          i ? "c.started_at < cortana_local_bound($%d, true)"
                            : "c.started_at >= cortana_local_bound($%d, false)",
                          v);
        }
    }
    if ((v = ctn_api_arg(c, "disposition")) != NULL) {
        const char *const *d = dispositions;
        while (*d && strcmp(*d, v) != 0) {
            d++;
        }
        if (*d == NULL) {
            return ctn_api_error(c, 400, "invalid", "is not a disposition", "disposition");
        }
        add_condition(&q, "c.disposition = $%d", v);
    }
    if ((v = ctn_api_arg(c, "emergency")) != NULL) {
        if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
            return ctn_api_error(c, 400, "invalid", "must be true or false", "emergency");
        }
        /* As SQL text, not a parameter: the generic plan of `c.emergency`
         * uses the partial index of emergencies (sql/009). */
        q.where =
            apr_pstrcat(c->pool, q.where,
                        strcmp(v, "true") == 0 ? " AND c.emergency" : " AND NOT c.emergency", NULL);
    }
    if ((v = ctn_api_arg(c, "language")) != NULL) {
        if (strcmp(v, "en") != 0 && strcmp(v, "es") != 0) {
            return ctn_api_error(c, 400, "invalid", "must be en or es", "language");
        }
        add_condition(&q, "c.language = $%d", v);
    }
    if ((v = ctn_api_arg(c, "q")) != NULL) {
        if (ctn_api_utf8_length(v) > 200) {
            return ctn_api_error(c, 400, "invalid", "must have at most 200 characters", "q");
        }
        /* strpos, not LIKE: the text is the caller's, % and _ in it are not wildcards. */
        add_condition(&q,
                      "(strpos(c.from_number, $%d) > 0 OR EXISTS (SELECT 1 FROM "
                      "transcript_lines t WHERE t.call_log_id = c.id AND to_tsvector('simple', "
                      "t.text) @@ plainto_tsquery('simple', $%d)))",
                      v);
    }
    if ((v = ctn_api_arg(c, "cursor")) != NULL) {
        if (!ctn_api_cursor_parse(v, c->pool, &at, &id)) {
            return ctn_api_error(c, 400, "invalid", "is not a cursor this API gave", "cursor");
        }
        q.params[q.n++] = at;
        q.params[q.n++] = id;
        q.where =
            apr_psprintf(c->pool, "%s AND (c.started_at, c.id) < ($%d::timestamptz, $%d::uuid)",
                         q.where, q.n - 1, q.n);
    }
    if ((v = ctn_api_arg(c, "limit")) != NULL) {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || n < 1 || n > PAGE_MAX) {
            return ctn_api_error(c, 400, "invalid", "must be between 1 and 200", "limit");
        }
        limit = (int)n;
    }
    /* One row more than the page shows says whether there is a next page. */
    q.params[q.n++] = apr_itoa(c->pool, limit + 1);
    sql = apr_pstrcat(c->pool, "SELECT " LIST_COLUMNS " FROM call_logs c WHERE true", q.where,
                      " ORDER BY c.started_at DESC, c.id DESC LIMIT $", apr_itoa(c->pool, q.n),
                      "::int", NULL);
    if ((err = ctn_api_query_rows(c, &rows, sql, q.n, q.params)) != 0) {
        return err;
    }
    if (!list_columns_ok(rows)) {
        ctn_log_err(NULL, "GET /calls: the call list's columns are not the expected types");
        return ctn_api_error(c, 500, "internal", "the request could not be completed", NULL);
    }
    return ctn_api_json(c, 200, page_json(c->pool, rows, limit));
}

/* --------------------------------------------------------- one call --- */

static int on_get(ctn_api_ctx_t *c)
{
    static const char sql[] =
        "SELECT json_build_object('call', (SELECT row_to_json(x) FROM (SELECT " CALL_JSON_COLUMNS
        ") x), 'message', c.message, 'slots', c.slots, "
        "'transcript', (SELECT coalesce(json_agg(json_build_object('seq', t.seq, 'speaker', "
        "t.speaker, 'text', t.text, 'language', t.language, 'at', t.created_at) ORDER BY t.seq), "
        "'[]') FROM transcript_lines t WHERE t.call_log_id = c.id), "
        "'dispatch', (SELECT row_to_json(d) FROM (SELECT d.id, d.status, d.step, d.category, "
        "tech.name AS technician, d.notified_phone, d.notified_at, d.ack_at, d.due_at FROM "
        "dispatches d LEFT JOIN technicians tech ON tech.id = d.technician_id WHERE "
        "d.call_log_id = c.id) d), "
        "'sms', (SELECT coalesce(json_agg(s ORDER BY s.created_at), '[]') FROM (SELECT id, "
        "direction, to_number, from_number, body, status, purpose, error, attempts, created_at "
        "FROM sms_messages WHERE call_log_id = c.id) s), "
        "'appointment', (SELECT row_to_json(a) FROM (SELECT id, starts_at, ends_at, status, "
        "customer_name, customer_phone, customer_address, problem, service, call_log_id, "
        "created_at FROM appointments WHERE id = c.booked_appointment_id) a), "
        "'voicemails', (SELECT coalesce(json_agg(v ORDER BY v.created_at), '[]') FROM (SELECT "
        "id, recording_url, duration_s, transcription, created_at FROM voicemails WHERE "
        "call_log_id = c.id) v), "
        "'blocked', EXISTS (SELECT 1 FROM blocked_numbers bn WHERE bn.phone = c.from_number)"
        ")::text FROM call_logs c WHERE c.id = $1";
    const char *params[1] = {c->args[0]}, *json = NULL;
    int err;

    if (!ctn_api_is_uuid(c->args[0])) {
        return ctn_api_error(c, 404, "not_found", "no such call", NULL);
    }
    if ((err = ctn_api_query_json(c, &json, sql, 1, params)) != 0) {
        return err;
    }
    return json ? ctn_api_json(c, 200, json)
                : ctn_api_error(c, 404, "not_found", "no such call", NULL);
}

/* ------------------------------------------------------------ blocking --- */

static const ctn_api_table_t blocked_numbers = {
    "blocked_numbers", "id, phone, reason, created_at", "created_at DESC", &blocked, NULL, 0};

static int on_block_call(ctn_api_ctx_t *c)
{
    static const char sql[] =
        "WITH target AS (SELECT from_number FROM call_logs WHERE id = $1), "
        "ins AS (INSERT INTO blocked_numbers (business_id, phone, reason) SELECT "
        "cortana_tenant(), from_number, 'blocked from the call log' FROM target "
        "ON CONFLICT (business_id, phone) DO NOTHING RETURNING id, phone, reason, created_at) "
        "SELECT row_to_json(r)::text FROM (SELECT * FROM ins UNION ALL SELECT b.id, b.phone, "
        "b.reason, b.created_at FROM blocked_numbers b JOIN target t ON b.phone = t.from_number) r "
        "LIMIT 1";
    const char *params[1] = {c->args[0]}, *json = NULL;
    int err;

    if (!ctn_api_is_uuid(c->args[0])) {
        return ctn_api_error(c, 404, "not_found", "no such call", NULL);
    }
    if ((err = ctn_api_query_json(c, &json, sql, 1, params)) != 0) {
        return err;
    }
    return json ? ctn_api_json(c, 201, json)
                : ctn_api_error(c, 404, "not_found", "no such call", NULL);
}

static int on_blocked_list(ctn_api_ctx_t *c)
{
    return ctn_api_crud_list(c, &blocked_numbers);
}

static int on_blocked_create(ctn_api_ctx_t *c)
{
    return ctn_api_crud_create(c, &blocked_numbers);
}

static int on_blocked_delete(ctn_api_ctx_t *c)
{
    return ctn_api_crud_delete(c, &blocked_numbers, c->args[0]);
}

static const ctn_api_schema_t local_bound = {
    .type = CTN_SCHEMA_STRING,
    .description = "A date (YYYY-MM-DD, a day in the business's time zone) or an RFC 3339 time"};
static const ctn_api_schema_t search_text = {
    .type = CTN_SCHEMA_STRING,
    .max = 200,
    .description = "Words of the transcripts (all of them), or part of the caller's number"};
static const ctn_api_schema_t cursor = {.type = CTN_SCHEMA_STRING,
                                        .description = "next_cursor of the previous page"};
static const ctn_api_schema_t page_limit = {
    .type = CTN_SCHEMA_INTEGER, .min = 1, .max = PAGE_MAX, .description = "calls a page holds"};
static const ctn_api_query_param_t list_params[] = {{"from", &local_bound, 0},
                                                    {"to", &local_bound, 0},
                                                    {"disposition", &disposition, 0},
                                                    {"emergency", &ctn_schema_bool, 0},
                                                    {"language", &ctn_schema_lang, 0},
                                                    {"q", &search_text, 0},
                                                    {"cursor", &cursor, 0},
                                                    {"limit", &page_limit, 0},
                                                    {NULL, NULL, 0}};

const ctn_api_route_t ctn_api_calls_routes[] = {
    {"GET", "/calls", on_list, 0, NULL, &call_list, 200,
     "Calls, newest first, filtered; pages with next_cursor", list_params},
    {"GET", "/calls/{id}", on_get, 0, NULL, &call_detail, 200,
     "A call with its transcript, dispatch, texts, appointment and voicemails", NULL},
    {"POST", "/calls/{id}/block", on_block_call, 0, NULL, &blocked, 201,
     "Block the caller of a call", NULL},
    {"GET", "/blocked-numbers", on_blocked_list, 0, NULL, &blocked_list, 200, "Blocked callers",
     NULL},
    {"POST", "/blocked-numbers", on_blocked_create, CTN_API_CREATE | CTN_API_CONFLICTS, &blocked,
     &blocked, 201, "Block a number", NULL},
    {"DELETE", "/blocked-numbers/{id}", on_blocked_delete, 0, NULL, NULL, 204, "Unblock a number",
     NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL}};
