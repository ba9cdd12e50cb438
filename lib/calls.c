/* calls.c: call logs, transcript lines and dialog state (see calls.h). */
#include "calls.h"

#include "business.h"
#include "json.h"
#include "language.h"
#include "log.h"
#include "text.h"

#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

/* The columns call_from_row reads, for a query on `call_logs c`. */
#define CALL_COLUMNS                                                                               \
    "c.id, c.business_id, c.call_sid, c.from_number, c.to_number, c.status, c.language, "          \
    "c.engine, c.route, c.disposition, c.emergency, c.is_test, "                                   \
    "extract(epoch from c.started_at)::float8, c.dialog_state"

/* RETURNING cannot use the alias: the same columns, unqualified. */
#define CALL_COLUMNS_BARE                                                                          \
    "id, business_id, call_sid, from_number, to_number, status, language, engine, route, "         \
    "disposition, emergency, is_test, extract(epoch from started_at)::float8, dialog_state"

static apr_status_t clear_result(void *res)
{
    PQclear(res);
    return APR_SUCCESS;
}

/* Statements are prepared on each connection the first time they run there
 * and executed by name afterwards, so PostgreSQL parses and plans each of
 * them once per connection instead of once per webhook. The name is a hash
 * of the SQL text; SQLSTATE 26000 (no such prepared statement) triggers the
 * preparation. */
static const char *statement_name(char buf[24], const char *sql)
{
    apr_uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (const unsigned char *s = (const unsigned char *)sql; *s; s++) {
        h = (h ^ *s) * 1099511628211ULL;
    }
    apr_snprintf(buf, 24, "ctn_%016" APR_UINT64_T_HEX_FMT, h);
    return buf;
}

PGresult *ctn_calls_exec_prepared(PGconn *conn, const char *sql, int nparams,
                                  const char *const *params)
{
    return ctn_calls_exec_prepared_as(conn, sql, nparams, params, 0);
}

PGresult *ctn_calls_exec_prepared_as(PGconn *conn, const char *sql, int nparams,
                                     const char *const *params, int binary)
{
    char name[24];
    PGresult *res;
    const char *state;

    /* Inside a transaction a failed attempt would abort it: run unprepared. */
    if (PQtransactionStatus(conn) != PQTRANS_IDLE) {
        return PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, binary);
    }
    statement_name(name, sql);
    res = PQexecPrepared(conn, name, nparams, params, NULL, NULL, binary);
    state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (state == NULL || strcmp(state, "26000") != 0) {
        return res;
    }
    PQclear(res);
    res = PQprepare(conn, name, sql, nparams, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        return res;
    }
    PQclear(res);
    return PQexecPrepared(conn, name, nparams, params, NULL, NULL, binary);
}

apr_status_t ctn_calls_exec(PGresult **out, PGconn *conn, apr_pool_t *pool, const char *what,
                            ExecStatusType expect, const char *sql, int nparams,
                            const char *const *params)
{
    /* Transaction control has nothing to plan and cannot be prepared inside
     * an aborted transaction: run it directly. */
    PGresult *res =
        nparams == 0 ? PQexec(conn, sql) : ctn_calls_exec_prepared(conn, sql, nparams, params);

    if (PQresultStatus(res) != expect) {
        ctn_log_err(NULL, "%s failed: %s", what,
                    res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
        PQclear(res);
        if (out) {
            *out = NULL;
        }
        return APR_EGENERAL;
    }
    if (out && pool) {
        apr_pool_cleanup_register(pool, res, clear_result, apr_pool_cleanup_null);
        *out = res;
    } else {
        PQclear(res);
        if (out) {
            *out = NULL;
        }
    }
    return APR_SUCCESS;
}

static const char *col(apr_pool_t *pool, const PGresult *res, int c)
{
    return PQgetisnull(res, 0, c) ? NULL : apr_pstrdup(pool, PQgetvalue(res, 0, c));
}

static int flag(const PGresult *res, int c)
{
    return !PQgetisnull(res, 0, c) && PQgetvalue(res, 0, c)[0] == 't';
}

/* The call in row 0 of `res`, its CALL_COLUMNS starting at column `b`. */
static ctn_call_t *call_from_row(apr_pool_t *pool, const PGresult *res, int b)
{
    ctn_call_t *call = apr_pcalloc(pool, sizeof(*call));
    const char *state;

    call->id = col(pool, res, b + 0);
    call->business_id = col(pool, res, b + 1);
    call->call_sid = col(pool, res, b + 2);
    call->from_number = col(pool, res, b + 3);
    call->to_number = col(pool, res, b + 4);
    call->status = col(pool, res, b + 5);
    call->language = col(pool, res, b + 6);
    call->engine = col(pool, res, b + 7);
    call->route = col(pool, res, b + 8);
    call->disposition = col(pool, res, b + 9);
    call->emergency = flag(res, b + 10);
    call->is_test = flag(res, b + 11);
    call->started_at = (apr_time_t)(atof(PQgetvalue(res, 0, b + 12)) * APR_USEC_PER_SEC);
    state = PQgetisnull(res, 0, b + 13) ? NULL : PQgetvalue(res, 0, b + 13);
    if (state != NULL) {
        const char *why = NULL;
        call->dialog_state = ctn_json_parse(pool, state, strlen(state), &why);
    }
    return call;
}

apr_status_t ctn_calls_open(ctn_call_t **call, PGconn *conn, apr_pool_t *pool,
                            const ctn_call_open_t *in)
{
    /* ON CONFLICT … DO UPDATE (a no-op update) returns the existing row, and
     * xmax = 0 tells a fresh insert from a retry of the same webhook. */
    static const char sql[] =
        "INSERT INTO call_logs (business_id, call_sid, from_number, to_number, status, language, "
        "engine, route, is_test, started_at) VALUES ($1, $2, $3, $4, 'in-progress', $5, $6, $7, "
        "$8::boolean, now()) ON CONFLICT (call_sid) DO UPDATE SET call_sid = EXCLUDED.call_sid "
        "RETURNING " CALL_COLUMNS_BARE ", (xmax = 0)";
    const char *params[8] = {
        in->business_id, in->call_sid, in->from_number, in->to_number,
        in->language,    in->engine,   in->route,       in->is_test ? "true" : "false"};
    PGresult *res;
    apr_status_t rv;

    rv = ctn_calls_exec(&res, conn, pool, "creating the call log", PGRES_TUPLES_OK, sql, 8, params);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *call = call_from_row(pool, res, 0);
    (*call)->created = PQgetvalue(res, 0, 14)[0] == 't';
    return APR_SUCCESS;
}

apr_status_t ctn_calls_get(ctn_call_t **call, PGconn *conn, apr_pool_t *pool, const char *call_sid)
{
    static const char sql[] = "SELECT " CALL_COLUMNS " FROM call_logs c WHERE c.call_sid = $1";
    const char *params[1] = {call_sid};
    PGresult *res;
    apr_status_t rv;

    rv = ctn_calls_exec(&res, conn, pool, "reading the call log", PGRES_TUPLES_OK, sql, 1, params);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (PQntuples(res) != 1) {
        return APR_ENOENT;
    }
    *call = call_from_row(pool, res, 0);
    return APR_SUCCESS;
}

apr_status_t ctn_calls_turn_load(ctn_call_t **call, ctn_business_t **business, PGconn *conn,
                                 apr_pool_t *pool, const char *number, const char *call_sid)
{
    /* sql/003_turn_path.sql: the tenant set from the number, then the
     * business and the call read under row-level security, in one call. */
    static const char sql[] = "SELECT * FROM cortana_turn_load($1, $2)";
    const char *params[2] = {number, call_sid};
    PGresult *res = NULL;
    apr_status_t rv;

    *call = NULL;
    *business = NULL;
    rv = ctn_calls_exec(&res, conn, pool, "loading the business and the call", PGRES_TUPLES_OK, sql,
                        2, params);
    if (rv != APR_SUCCESS && PQstatus(conn) == CONNECTION_BAD) {
        /* A pooled connection whose server went away shows it here first:
         * the statement only reads and sets the tenant, so it is retried
         * once on a fresh connection. */
        PQreset(conn);
        if (PQstatus(conn) == CONNECTION_OK) {
            rv = ctn_calls_exec(&res, conn, pool, "loading the business and the call",
                                PGRES_TUPLES_OK, sql, 2, params);
        }
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (PQntuples(res) != 1) {
        return APR_ENOENT;
    }
    *business = ctn_business_from_row_shared(pool, res, 0);
    *call = PQgetisnull(res, 0, CTN_BUSINESS_NCOLUMNS)
                ? NULL
                : call_from_row(pool, res, CTN_BUSINESS_NCOLUMNS);
    return APR_SUCCESS;
}

apr_status_t ctn_calls_save_state(PGconn *conn, const ctn_call_t *call, const char *state,
                                  const char *language, int emergency, const char *disposition,
                                  const char *booked_appointment_id)
{
    static const char sql[] =
        "UPDATE call_logs SET dialog_state = $2::jsonb, language = coalesce($3, language), "
        "emergency = emergency OR $4::boolean, disposition = coalesce($5, disposition), "
        "booked_appointment_id = coalesce($6::uuid, booked_appointment_id) WHERE id = $1";
    const char *params[6] = {call->id,    state,
                             language,    emergency ? "true" : "false",
                             disposition, booked_appointment_id};

    return ctn_calls_exec(NULL, conn, NULL, "saving the dialog state", PGRES_COMMAND_OK, sql, 6,
                          params);
}

/* A PostgreSQL text[] literal: {"a","b"} with quotes and backslashes escaped. */
static const char *text_array(apr_pool_t *pool, const apr_array_header_t *lines, int field)
{
    apr_array_header_t *parts = apr_array_make(pool, lines->nelts * 2 + 2, sizeof(const char *));

    APR_ARRAY_PUSH(parts, const char *) = "{";
    for (int i = 0; i < lines->nelts; i++) {
        const ctn_call_line_t *l = &APR_ARRAY_IDX(lines, i, ctn_call_line_t);
        const char *v = field == 0 ? l->speaker : field == 1 ? l->text : l->language;
        apr_size_t n = strlen(v ? v : "");
        char *esc = apr_palloc(pool, 2 * n + 4), *o = esc;
        *o++ = '"';
        for (const char *s = v ? v : ""; *s; s++) {
            if (*s == '"' || *s == '\\') {
                *o++ = '\\';
            }
            *o++ = *s;
        }
        *o++ = '"';
        *o = '\0';
        if (i > 0) {
            APR_ARRAY_PUSH(parts, const char *) = ",";
        }
        APR_ARRAY_PUSH(parts, const char *) = esc;
    }
    APR_ARRAY_PUSH(parts, const char *) = "}";
    return apr_array_pstrcat(pool, parts, 0);
}

apr_status_t ctn_calls_save_turn(PGconn *conn, apr_pool_t *pool, const ctn_call_t *call,
                                 const char *state, const char *language, int emergency,
                                 const char *disposition, const char *booked_appointment_id,
                                 const apr_array_header_t *lines, int *first_seq)
{
    /* The state update and the inserts in one statement. The lines are
     * numbered from call_logs.transcript_seq, advanced by the same UPDATE:
     * two turns of one call running at once queue on the call's row and
     * get consecutive numbers (sql/003_turn_path.sql). */
    static const char sql[] =
        "WITH u AS (UPDATE call_logs SET dialog_state = coalesce($3::jsonb, dialog_state), "
        "language = coalesce($4, language), emergency = emergency OR $5::boolean, "
        "disposition = coalesce($6, disposition), "
        "booked_appointment_id = coalesce($7::uuid, booked_appointment_id), "
        "transcript_seq = transcript_seq + cardinality($8::text[]) WHERE id = $1 "
        "RETURNING transcript_seq - cardinality($8::text[]) AS s), "
        "ins AS (INSERT INTO transcript_lines (business_id, call_log_id, seq, speaker, text, "
        "language) SELECT $2, $1, u.s + l.n, l.speaker, l.text, l.lang FROM u, "
        "unnest($8::text[], $9::text[], $10::text[]) WITH ORDINALITY AS l(speaker, text, lang, n) "
        "RETURNING seq) "
        "SELECT s + 1 FROM u"; /* ins runs whether or not it is read */
    const char *params[10];
    PGresult *res;
    apr_status_t rv;

    params[0] = call->id;
    params[1] = call->business_id;
    params[2] = state;
    params[3] = language;
    params[4] = emergency ? "true" : "false";
    params[5] = disposition;
    params[6] = booked_appointment_id;
    params[7] = text_array(pool, lines, 0);
    params[8] = text_array(pool, lines, 1);
    params[9] = text_array(pool, lines, 2);
    rv = ctn_calls_exec(&res, conn, pool, "saving the turn", PGRES_TUPLES_OK, sql, 10, params);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
        ctn_log_err(call->call_sid, "saving the turn failed: the call log %s is not visible",
                    call->id);
        return APR_ENOENT;
    }
    if (first_seq) {
        *first_seq = atoi(PQgetvalue(res, 0, 0));
    }
    return APR_SUCCESS;
}

apr_status_t ctn_calls_hear_caller(ctn_call_heard_t *out, PGconn *conn, apr_pool_t *pool,
                                   const char *call_sid, const char *text)
{
    static const char read_sql[] = "SELECT id, business_id, language, language_pending, "
                                   "caller_lines FROM call_logs WHERE call_sid = $1";
    /* The line and the language state in one statement, numbered from
     * transcript_seq as in ctn_calls_save_turn. `caller_lines = $6` is the
     * count this line was weighed against: a caller line stored meanwhile
     * leaves this UPDATE no row, and nothing is written. */
    static const char write_sql[] =
        "WITH u AS (UPDATE call_logs SET language = $3, language_pending = $4::smallint, "
        "caller_lines = caller_lines + $5::int, transcript_seq = transcript_seq + 1 "
        "WHERE id = $1 AND caller_lines = $6::int RETURNING transcript_seq AS s), "
        "ins AS (INSERT INTO transcript_lines (business_id, call_log_id, seq, speaker, text, "
        "language) SELECT $2, $1, u.s, 'caller', $7, $3 FROM u RETURNING seq) "
        "SELECT s FROM u";
    /* Punctuation alone is not an utterance: it neither votes nor counts. */
    int spoken = *ctn_text_normalize(pool, text) != '\0';
    const char *params[7];
    PGresult *res;
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    for (int attempt = 0; attempt < 3; attempt++) {
        const char *p1[1] = {call_sid};
        ctn_language_state_t st;
        int heard;

        rv = ctn_calls_exec(&res, conn, pool, "reading the call's language", PGRES_TUPLES_OK,
                            read_sql, 1, p1);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (PQntuples(res) != 1) {
            return APR_ENOENT;
        }
        ctn_language_state_init(&st, ctn_language_from_code(PQgetvalue(res, 0, 2)));
        st.pending = atoi(PQgetvalue(res, 0, 3));
        heard = atoi(PQgetvalue(res, 0, 4));
        out->switched = spoken && ctn_language_observe_call(&st, text, heard == 0);
        out->call_log_id = apr_pstrdup(pool, PQgetvalue(res, 0, 0));
        out->language = ctn_language_code(st.current);
        params[0] = out->call_log_id;
        params[1] = apr_pstrdup(pool, PQgetvalue(res, 0, 1));
        params[2] = out->language;
        params[3] = apr_itoa(pool, st.pending);
        params[4] = spoken ? "1" : "0";
        params[5] = apr_itoa(pool, heard);
        params[6] = text;
        rv = ctn_calls_exec(&res, conn, pool, "storing a caller line", PGRES_TUPLES_OK, write_sql,
                            7, params);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (PQntuples(res) == 1) {
            out->seq = atoi(PQgetvalue(res, 0, 0));
            return APR_SUCCESS;
        }
    }
    ctn_log_warning(call_sid, "a caller line kept racing with others: not stored");
    return APR_EAGAIN;
}

apr_status_t ctn_calls_finish(PGconn *conn, const ctn_call_t *call, const char *status,
                              int duration_s, const char *disposition, const char *summary,
                              const char *sentiment)
{
    static const char sql[] =
        "UPDATE call_logs SET status = $2, ended_at = coalesce(ended_at, now()), "
        "duration_s = $3::int, disposition = coalesce($4, disposition, 'abandoned'), "
        "summary = coalesce($5, summary), sentiment = coalesce($6, sentiment), "
        "transcript = (SELECT string_agg(speaker || ': ' || text, E'\\n' ORDER BY seq) "
        "FROM transcript_lines WHERE call_log_id = $1) WHERE id = $1";
    char duration[16];
    const char *params[6];

    apr_snprintf(duration, sizeof(duration), "%d", duration_s < 0 ? 0 : duration_s);
    params[0] = call->id;
    params[1] = status;
    params[2] = duration;
    params[3] = disposition;
    params[4] = summary;
    params[5] = sentiment;
    return ctn_calls_exec(NULL, conn, NULL, "finishing the call log", PGRES_COMMAND_OK, sql, 6,
                          params);
}

apr_status_t ctn_calls_active_count(PGconn *conn, const char *business_id, int *count)
{
    static const char sql[] =
        "SELECT count(*) FROM call_logs WHERE business_id = $1 AND status = 'in-progress' "
        "AND ended_at IS NULL AND started_at > now() - interval '4 hours'";
    const char *params[1] = {business_id};
    PGresult *res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
    apr_status_t rv = APR_SUCCESS;

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        ctn_log_err(NULL, "counting active calls failed: %s", PQerrorMessage(conn));
        rv = APR_EGENERAL;
    } else {
        *count = atoi(PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    return rv;
}

apr_status_t ctn_calls_caller_blocked(PGconn *conn, const char *business_id, const char *phone,
                                      int *blocked)
{
    static const char sql[] =
        "SELECT 1 FROM blocked_numbers WHERE business_id = $1 AND phone = $2 LIMIT 1";
    const char *params[2] = {business_id, phone};
    PGresult *res = PQexecParams(conn, sql, 2, NULL, params, NULL, NULL, 0);
    apr_status_t rv = APR_SUCCESS;

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        ctn_log_err(NULL, "checking blocked numbers failed: %s", PQerrorMessage(conn));
        rv = APR_EGENERAL;
    } else {
        *blocked = PQntuples(res) > 0;
    }
    PQclear(res);
    return rv;
}
