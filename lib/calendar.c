/* calendar.c: the built-in calendar in SQL (see calendar.h). */
#include "calendar.h"

#include "calls.h"
#include "log.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

/* The slots are computed by cortana_free_slots (sql/002_free_slots.sql), in
 * SQL because that is where the tz database is. */
static const char free_slots_sql[] =
    "SELECT extract(epoch FROM starts_at)::float8, extract(epoch FROM ends_at)::float8 "
    "FROM cortana_free_slots($1, $2::int, $3::int, $4::int, $5::int, $6::int, $7::int, $8::int, "
    "$9::int, $10::int, to_timestamp($11::float8), now())";

apr_status_t ctn_calendar_free_slots(apr_array_header_t **slots, PGconn *conn, apr_pool_t *pool,
                                     const ctn_calendar_query_t *q)
{
    char buf[10][24];
    const char *params[11];
    const ctn_time_pref_t *p = q->pref;
    PGresult *res;
    apr_status_t rv;
    apr_array_header_t *out;

    apr_snprintf(buf[0], 24, "%d", q->duration_min > 0 ? q->duration_min : 60);
    apr_snprintf(buf[1], 24, "%d", q->buffer_min >= 0 ? q->buffer_min : 30);
    apr_snprintf(buf[2], 24, "%d", q->lead_min >= 0 ? q->lead_min : 60);
    apr_snprintf(buf[3], 24, "%d", q->horizon_days > 0 ? q->horizon_days : 14);
    apr_snprintf(buf[4], 24, "%d", q->granularity_min > 0 ? q->granularity_min : 30);
    apr_snprintf(buf[5], 24, "%d", q->max > 0 ? q->max : 3);
    apr_snprintf(buf[6], 24, "%d", p && !p->asap ? p->day_offset : -1);
    apr_snprintf(buf[7], 24, "%d", p && !p->asap ? p->weekday : -1);
    apr_snprintf(buf[8], 24, "%d", p ? (int)p->part : 0);
    apr_snprintf(buf[9], 24, "%.6f", (double)q->not_before / APR_USEC_PER_SEC);
    params[0] = q->business_id;
    for (int i = 0; i < 10; i++) {
        params[i + 1] = buf[i];
    }
    rv = ctn_calls_exec(&res, conn, pool, "finding free slots", PGRES_TUPLES_OK, free_slots_sql, 11,
                        params);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    out = apr_array_make(pool, PQntuples(res) + 1, sizeof(ctn_slot_t));
    for (int i = 0; i < PQntuples(res); i++) {
        ctn_slot_t *s = apr_array_push(out);
        s->start = (apr_time_t)(atof(PQgetvalue(res, i, 0)) * APR_USEC_PER_SEC);
        s->end = (apr_time_t)(atof(PQgetvalue(res, i, 1)) * APR_USEC_PER_SEC);
    }
    *slots = out;
    return APR_SUCCESS;
}

apr_status_t ctn_calendar_is_open(PGconn *conn, const char *business_id, int *open)
{
    /* Today's intervals and yesterday's overnight ones, in local time. */
    static const char sql[] =
        "WITH b AS (SELECT timezone AS tz, hours, holidays FROM businesses WHERE id = $1), "
        "l AS (SELECT (now() AT TIME ZONE b.tz) AS t, b.* FROM b), "
        "iv AS (SELECT l.t, dd.day, (i->>'open')::time AS o, i->>'close' AS c, l.holidays "
        "  FROM l, (VALUES (0), (1)) AS back(n), "
        "  LATERAL (SELECT l.t::date - back.n AS day) dd, "
        "  jsonb_array_elements(coalesce(l.hours -> trim(to_char(dd.day, 'day')), '[]')) i) "
        "SELECT coalesce(bool_or(t >= day + o AND t < (CASE WHEN c = '24:00' OR c::time <= o "
        "  THEN day + 1 + (CASE WHEN c = '24:00' THEN '00:00' ELSE c END)::time "
        "  ELSE day + c::time END) AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(holidays) h "
        "  WHERE (h->>'date')::date = day)), false) FROM iv";
    const char *params[1] = {business_id};
    PGresult *res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
    apr_status_t rv = APR_SUCCESS;

    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        ctn_log_err(NULL, "checking business hours failed: %s", PQresultErrorMessage(res));
        rv = APR_EGENERAL;
    } else {
        *open = PQgetvalue(res, 0, 0)[0] == 't';
    }
    PQclear(res);
    return rv;
}

apr_status_t ctn_calendar_book(PGconn *conn, apr_pool_t *pool, const char *business_id,
                               const char *call_log_id, const ctn_slots_t *who,
                               const ctn_slot_t *slot, const char **id)
{
    static const char sql[] =
        "INSERT INTO appointments (business_id, call_log_id, customer_name, customer_phone, "
        "customer_address, problem, starts_at, ends_at) VALUES ($1, $2::uuid, $3, $4, $5, $6, "
        "to_timestamp($7::float8), to_timestamp($8::float8)) RETURNING id";
    char start[32], end[32];
    const char *params[8] = {business_id,  call_log_id,  who->name, who->callback_number,
                             who->address, who->problem, start,     end};
    PGresult *res;
    const char *state;

    apr_snprintf(start, sizeof(start), "%.6f", (double)slot->start / APR_USEC_PER_SEC);
    apr_snprintf(end, sizeof(end), "%.6f", (double)slot->end / APR_USEC_PER_SEC);
    res = PQexecParams(conn, sql, 8, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        *id = apr_pstrdup(pool, PQgetvalue(res, 0, 0));
        PQclear(res);
        return APR_SUCCESS;
    }
    state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (state && strcmp(state, "23P01") == 0) { /* exclusion_violation: slot taken */
        PQclear(res);
        return APR_EEXIST;
    }
    ctn_log_err(NULL, "booking failed: %s", PQresultErrorMessage(res));
    PQclear(res);
    return APR_EGENERAL;
}

static const char *const en_days[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                      "Thursday", "Friday", "Saturday"};
static const char *const es_days[] = {"domingo", "lunes",   "martes", "miércoles",
                                      "jueves",  "viernes", "sábado"};
static const char *const en_months[] = {"January",   "February", "March",    "April",
                                        "May",       "June",     "July",     "August",
                                        "September", "October",  "November", "December"};
static const char *const es_months[] = {"enero",      "febrero", "marzo",     "abril",
                                        "mayo",       "junio",   "julio",     "agosto",
                                        "septiembre", "octubre", "noviembre", "diciembre"};

/* "9 AM", "2:30 PM", "noon", "midnight"; "9 de la mañana", "2:30 de la
 * tarde", "3 de la madrugada", "mediodía", "medianoche" (nobody says "12
 * de la mañana"). */
static const char *clock_time(apr_pool_t *pool, int hour, int minute, int es)
{
    int h12 = hour % 12 == 0 ? 12 : hour % 12;
    const char *mins = minute ? apr_psprintf(pool, ":%02d", minute) : "";

    if (minute == 0 && hour % 12 == 0) {
        return hour % 24 == 0 ? (es ? "medianoche" : "midnight") : (es ? "mediodía" : "noon");
    }
    if (!es) {
        return apr_psprintf(pool, "%d%s %s", h12, mins, hour < 12 ? "AM" : "PM");
    }
    /* 1 to 5 is "de la madrugada" (nobody says "las 3 de la mañana"), the
     * half hour after midnight "de la noche" ("12:30 de la noche"). */
    return apr_psprintf(pool, "%d%s %s", h12, mins,
                        hour < 1    ? "de la noche"
                        : hour < 6  ? "de la madrugada"
                        : hour < 12 ? "de la mañana"
                        : hour < 19 ? "de la tarde"
                                    : "de la noche");
}

/* "at 9 AM", "at noon"; "a las 9 de la mañana", "a la 1 de la tarde", "al
 * mediodía", "a medianoche". */
static const char *say_time(apr_pool_t *pool, int hour, int minute, int es)
{
    int h12 = hour % 12 == 0 ? 12 : hour % 12;

    if (es && minute == 0 && hour % 12 == 0) {
        return hour % 24 == 0 ? "a medianoche" : "al mediodía";
    }
    return apr_pstrcat(pool, es ? (h12 == 1 ? "a la " : "a las ") : "at ",
                       clock_time(pool, hour, minute, es), NULL);
}

const char *ctn_calendar_say(apr_pool_t *pool, PGconn *conn, const char *business_id,
                             apr_time_t start, const char *lang)
{
    static const char sql[] =
        "SELECT extract(dow FROM l)::int, extract(day FROM l)::int, extract(month FROM l)::int, "
        "extract(hour FROM l)::int, extract(minute FROM l)::int, "
        "(l::date - (now() AT TIME ZONE b.timezone)::date) FROM businesses b, "
        "LATERAL (SELECT to_timestamp($2::float8) AT TIME ZONE b.timezone AS l) x WHERE b.id = $1";
    char ts[32];
    const char *params[2] = {business_id, ts};
    PGresult *res;
    int dow, day, month, hour, minute, diff, es = lang && strcmp(lang, "es") == 0;
    const char *when;

    apr_snprintf(ts, sizeof(ts), "%.6f", (double)start / APR_USEC_PER_SEC);
    if (ctn_calls_exec(&res, conn, pool, "formatting a slot", PGRES_TUPLES_OK, sql, 2, params) !=
            APR_SUCCESS ||
        PQntuples(res) != 1) {
        return es ? "pronto" : "soon";
    }
    dow = atoi(PQgetvalue(res, 0, 0)), day = atoi(PQgetvalue(res, 0, 1));
    month = atoi(PQgetvalue(res, 0, 2)), hour = atoi(PQgetvalue(res, 0, 3));
    minute = atoi(PQgetvalue(res, 0, 4)), diff = atoi(PQgetvalue(res, 0, 5));
    if (diff == 0) {
        when = es ? "hoy" : "today";
    } else if (diff == 1) {
        when = es ? "mañana" : "tomorrow";
    } else if (es) {
        when = apr_psprintf(pool, "el %s %d de %s", es_days[dow], day, es_months[month - 1]);
    } else {
        when = apr_psprintf(pool, "%s, %s %d", en_days[dow], en_months[month - 1], day);
    }
    return apr_psprintf(pool, "%s %s", when, say_time(pool, hour, minute, es));
}

/* One interval of the business's week: day 1 = Monday … 7 = Sunday. */
typedef struct hours_row_t {
    int day, open_h, open_m, close_h, close_m;
} hours_row_t;

/* "8:00", "08:00" or "08:00:00" (the forms the settings hold) → hour and
 * minute; 0 for anything else, which PostgreSQL's time input then judges. */
static int simple_time(const char *s, int *hour, int *minute)
{
    int h = 0, m = 0, n = 0;

    while (apr_isdigit(s[n]) && n < 2) {
        h = h * 10 + (s[n++] - '0');
    }
    if (n == 0 || s[n] != ':' || !apr_isdigit(s[n + 1]) || !apr_isdigit(s[n + 2])) {
        return 0;
    }
    m = (s[n + 1] - '0') * 10 + (s[n + 2] - '0');
    s += n + 3;
    if (*s == ':' && apr_isdigit(s[1]) && apr_isdigit(s[2]) &&
        (s[1] - '0') * 10 + (s[2] - '0') < 60) {
        s += 3;
    }
    if (*s != '\0' || h > 23 || m > 59) {
        return 0;
    }
    *hour = h;
    *minute = m;
    return 1;
}

/* The rows the SQL below returns, read from the business's hours already
 * loaded; 0 when a value is not in the simple form (the SQL decides then). */
static int hours_from_json(apr_array_header_t *rows, json_object *hours)
{
    static const char *const keys[] = {"monday", "tuesday",  "wednesday", "thursday",
                                       "friday", "saturday", "sunday"};

    if (hours == NULL || !json_object_is_type(hours, json_type_object)) {
        return 0;
    }
    for (int d = 0; d < 7; d++) {
        json_object *list = NULL;
        int first = rows->nelts;
        if (!json_object_object_get_ex(hours, keys[d], &list)) {
            continue; /* coalesce(… , '[]') */
        }
        if (list == NULL || !json_object_is_type(list, json_type_array)) {
            return 0;
        }
        for (size_t i = 0; i < json_object_array_length(list); i++) {
            json_object *iv = json_object_array_get_idx(list, i), *open = NULL, *close = NULL;
            hours_row_t row;
            const char *c;
            if (iv == NULL || !json_object_is_type(iv, json_type_object) ||
                !json_object_object_get_ex(iv, "open", &open) ||
                !json_object_object_get_ex(iv, "close", &close) || open == NULL || close == NULL ||
                !json_object_is_type(open, json_type_string) ||
                !json_object_is_type(close, json_type_string)) {
                return 0;
            }
            row.day = d + 1;
            c = json_object_get_string(close);
            if (!simple_time(json_object_get_string(open), &row.open_h, &row.open_m)) {
                return 0;
            }
            if (strcmp(c, "24:00") == 0) {
                row.close_h = 24;
                row.close_m = 0;
            } else if (!simple_time(c, &row.close_h, &row.close_m)) {
                return 0;
            }
            /* ORDER BY day, opening hour: insertion keeps the list's order on ties. */
            {
                int k = rows->nelts;
                APR_ARRAY_PUSH(rows, hours_row_t) = row;
                while (k > first && APR_ARRAY_IDX(rows, k - 1, hours_row_t).open_h > row.open_h) {
                    APR_ARRAY_IDX(rows, k, hours_row_t) = APR_ARRAY_IDX(rows, k - 1, hours_row_t);
                    k--;
                }
                APR_ARRAY_IDX(rows, k, hours_row_t) = row;
            }
        }
    }
    return 1;
}

static apr_status_t hours_from_sql(apr_array_header_t *rows, apr_pool_t *pool, PGconn *conn,
                                   const char *business_id)
{
    static const char sql[] =
        "SELECT d.n, extract(hour FROM (i->>'open')::time)::int, "
        "extract(minute FROM (i->>'open')::time)::int, "
        "CASE WHEN i->>'close' = '24:00' THEN 24 ELSE extract(hour FROM (i->>'close')::time)::int "
        "END, "
        "CASE WHEN i->>'close' = '24:00' THEN 0 ELSE extract(minute FROM (i->>'close')::time)::int "
        "END "
        "FROM businesses b, unnest($2::text[]) WITH ORDINALITY AS d(k, n), "
        "jsonb_array_elements(coalesce(b.hours -> d.k, '[]')) i WHERE b.id = $1 ORDER BY d.n, 2";
    const char *params[2] = {business_id,
                             "{monday,tuesday,wednesday,thursday,friday,saturday,sunday}"};
    PGresult *res;
    apr_status_t rv;

    if ((rv = ctn_calls_exec(&res, conn, pool, "reading the hours", PGRES_TUPLES_OK, sql, 2,
                             params)) != APR_SUCCESS) {
        return rv;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        hours_row_t *row = apr_array_push(rows);
        row->day = atoi(PQgetvalue(res, i, 0));
        row->open_h = atoi(PQgetvalue(res, i, 1));
        row->open_m = atoi(PQgetvalue(res, i, 2));
        row->close_h = atoi(PQgetvalue(res, i, 3));
        row->close_m = atoi(PQgetvalue(res, i, 4));
    }
    return APR_SUCCESS;
}

/* One day's interval as said: "8 AM to 5 PM", "9 AM to midnight", "open 24
 * hours" (a clock reads 12 AM for both ends of a day, which says nothing). */
static const char *say_interval(apr_pool_t *pool, const hours_row_t *row, int es)
{
    int midnight = row->close_h % 24 == 0 && row->close_m == 0;

    if (midnight && row->open_h == 0 && row->open_m == 0) {
        return es ? "abierto las 24 horas" : "open 24 hours";
    }
    return apr_psprintf(pool, es ? "de %s a %s" : "%s to %s",
                        clock_time(pool, row->open_h, row->open_m, es),
                        midnight ? (es ? "medianoche" : "midnight")
                                 : clock_time(pool, row->close_h, row->close_m, es));
}

/* Per-thread memo of the last sentence made from an hours document: hours
 * change seldom and are asked about often. Keyed by the document's version
 * (ctn_business_t.hours_version, unique within the thread) and language. */
typedef struct hours_memo_t {
    apr_uint64_t version;
    int es;
    char said[1024];
} hours_memo_t;

static _Thread_local hours_memo_t hours_memo;

static const char *say_hours_rows(apr_pool_t *pool, const apr_array_header_t *rows, int es);

const char *ctn_calendar_say_hours(apr_pool_t *pool, PGconn *conn, const char *business_id,
                                   json_object *hours, apr_uint64_t hours_version, const char *lang)
{
    apr_array_header_t *rows = apr_array_make(pool, 8, sizeof(hours_row_t));
    int es = lang && strcmp(lang, "es") == 0;
    const char *said;
    apr_size_t len;

    if (hours_version != 0 && hours_memo.version == hours_version && hours_memo.es == es) {
        return apr_pstrdup(pool, hours_memo.said);
    }
    if (!hours_from_json(rows, hours)) {
        /* Not memoised: the rows come from the database, not the document. */
        rows->nelts = 0;
        if (hours_from_sql(rows, pool, conn, business_id) != APR_SUCCESS) {
            return NULL;
        }
        return say_hours_rows(pool, rows, es);
    }
    said = say_hours_rows(pool, rows, es);
    len = strlen(said);
    if (hours_version != 0 && len < sizeof(hours_memo.said)) {
        memcpy(hours_memo.said, said, len + 1);
        hours_memo.version = hours_version;
        hours_memo.es = es;
    }
    return said;
}

static const char *say_hours_rows(apr_pool_t *pool, const apr_array_header_t *rows, int es)
{
    apr_array_header_t *parts = apr_array_make(pool, 8, sizeof(const char *));
    const char *prev_hours = NULL;
    int first_day = -1, last_day = -1;

    if (rows->nelts == 0) {
        return es ? "No tengo el horario a la mano." : "I don't have our hours on hand.";
    }
    /* Group consecutive days with the same hours: "Monday to Friday, 8 AM to 5 PM". */
    for (int i = 0; i <= rows->nelts; i++) {
        int day = -1;
        const char *text = NULL;
        if (i < rows->nelts) {
            const hours_row_t *row = &APR_ARRAY_IDX(rows, i, hours_row_t);
            day = row->day % 7; /* 1 = Monday … 7 = Sunday → 0 Sunday */
            text = say_interval(pool, row, es);
            if (prev_hours && strcmp(text, prev_hours) == 0 && day == (last_day + 1) % 7) {
                last_day = day;
                continue;
            }
        }
        if (prev_hours) {
            const char *const *names = es ? es_days : en_days;
            int days = (last_day - first_day + 7) % 7 + 1;
            const char *span =
                days == 7 && first_day != last_day ? (es ? "todos los días" : "every day")
                : first_day == last_day            ? names[first_day]
                                        : apr_psprintf(pool, es ? "de %s a %s" : "%s to %s",
                                                       names[first_day], names[last_day]);
            APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(pool, "%s, %s", span, prev_hours);
        }
        first_day = last_day = day;
        prev_hours = text;
    }
    return apr_array_pstrcat(pool, parts, ';');
}
