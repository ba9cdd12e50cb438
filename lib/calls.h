/* calls.h: the call log in PostgreSQL — one row per call, its transcript
 * lines, and the dialog state carried between webhooks.
 *
 * Every webhook of a call is a separate HTTP request that may land on any
 * httpd child (or, later, any host), so the conversation's state lives in
 * call_logs.dialog_state, read at the start of a turn and written at its end.
 * The connection's tenant must be the call's business (row-level security);
 * every function here takes the connection the caller acquired. */
#ifndef CTN_CALLS_H
#define CTN_CALLS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>
#include <json-c/json.h>
#include <libpq-fe.h>

typedef struct ctn_call_t {
    const char *id; /* call_logs.id (uuid) */
    const char *business_id;
    const char *call_sid;
    const char *from_number;
    const char *to_number;
    const char *status;   /* in-progress, completed, … */
    const char *language; /* "en" / "es" */
    const char *engine;   /* "builtin" / "realtime" */
    const char *route;
    const char *disposition; /* NULL while live */
    int emergency;
    int is_test;
    int created; /* 1 when ctn_calls_open created the row */
    apr_time_t started_at;
    json_object *dialog_state; /* NULL before the first save */
} ctn_call_t;

typedef struct ctn_call_open_t {
    const char *business_id, *call_sid, *from_number, *to_number;
    const char *route, *engine, *language;
    int is_test;
} ctn_call_open_t;

/* Create the call's row, or return the existing one when Twilio retries the
 * voice webhook (call_sid is unique). */
apr_status_t ctn_calls_open(ctn_call_t **call, PGconn *conn, apr_pool_t *pool,
                            const ctn_call_open_t *in);

/* The call with `call_sid` (visible to the connection's tenant); APR_ENOENT
 * when none. */
apr_status_t ctn_calls_get(ctn_call_t **call, PGconn *conn, apr_pool_t *pool, const char *call_sid);

struct ctn_business_t;

/* The start of a turn in one round trip (cortana_turn_load): make the
 * business that owns the dialled number `number` (E.164) the connection's
 * tenant — whatever tenant the connection had; the empty tenant when no
 * business has the number — and load that business and its call `call_sid`
 * (`*call` NULL when it has no such call). APR_ENOENT when no business has
 * the number. A connection found dead is reset and the load retried once.
 * The business's JSON documents are shared with the thread's next turns
 * (see ctn_business_from_row_shared): read-only, valid until the thread's
 * next turn load. */
apr_status_t ctn_calls_turn_load(ctn_call_t **call, struct ctn_business_t **business, PGconn *conn,
                                 apr_pool_t *pool, const char *number, const char *call_sid);

/* Store the dialog state (JSON text, ctn_dialog_state_serialize) and what
 * it says about the call so far. */
apr_status_t ctn_calls_save_state(PGconn *conn, const ctn_call_t *call, const char *state,
                                  const char *language, int emergency, const char *disposition,
                                  const char *booked_appointment_id);

typedef struct ctn_call_line_t {
    const char *speaker; /* caller, cortana, system */
    const char *text;
    const char *language;
} ctn_call_line_t;

/* End of a turn in one round trip: store the dialog state (JSON text, when
 * `state` is not NULL) and append `lines` (array of ctn_call_line_t) to the
 * transcript. `*first_seq` gets the number of the first line appended. */
apr_status_t ctn_calls_save_turn(PGconn *conn, apr_pool_t *pool, const ctn_call_t *call,
                                 const char *state, const char *language, int emergency,
                                 const char *disposition, const char *booked_appointment_id,
                                 const apr_array_header_t *lines, int *first_seq);

/* What ctn_calls_hear_caller stored. */
typedef struct ctn_call_heard_t {
    const char *call_log_id;
    const char *language; /* the call's language after the line, the line's too: "en"/"es" */
    int switched;         /* the line switched the call's language */
    int seq;              /* the line's number in the transcript */
} ctn_call_heard_t;

/* A caller line the realtime engine heard (the media worker's line job):
 * appended to the transcript of call `call_sid`, and the call's language
 * followed as the built-in engine follows it (ctn_language_observe_call,
 * its state between lines in call_logs.language, language_pending and
 * caller_lines: sql/006). The line is stored with the call's language
 * after it, so that a lone "sí" in an English call stays an English line.
 * Two round trips; a caller line of the same call stored between them
 * makes it read again (three times at most, then APR_EAGAIN). APR_ENOENT
 * when the connection's tenant has no such call. Strings in `out` live in
 * `pool`. Any thread, on a connection of its own. */
apr_status_t ctn_calls_hear_caller(ctn_call_heard_t *out, PGconn *conn, apr_pool_t *pool,
                                   const char *call_sid, const char *text);

/* The call ended (Twilio's status callback): status, duration, the final
 * disposition (NULL: keep what the dialog set, else 'abandoned'), summary
 * and sentiment; the whole transcript is copied into call_logs.transcript. */
apr_status_t ctn_calls_finish(PGconn *conn, const ctn_call_t *call, const char *status,
                              int duration_s, const char *disposition, const char *summary,
                              const char *sentiment);

/* Calls of the business in progress (stale rows older than 4 h ignored). */
apr_status_t ctn_calls_active_count(PGconn *conn, const char *business_id, int *count);

/* 1 when `phone` is on the business's blocked list. */
apr_status_t ctn_calls_caller_blocked(PGconn *conn, const char *business_id, const char *phone,
                                      int *blocked);

/* Run `sql` as a statement prepared on this connection (once, named by a
 * hash of its text), or unprepared inside a transaction. The caller owns
 * the result and checks its status; nothing is logged. */
PGresult *ctn_calls_exec_prepared(PGconn *conn, const char *sql, int nparams,
                                  const char *const *params);
/* The same with the result's values in PostgreSQL's binary format when
 * `binary` is nonzero (a prepared statement serves both formats). */
PGresult *ctn_calls_exec_prepared_as(PGconn *conn, const char *sql, int nparams,
                                     const char *const *params, int binary);

/* Run one SQL statement with text parameters and expect `expect`; on
 * failure log `what` with PostgreSQL's message and return APR_EGENERAL.
 * The result is bound to `pool` (or cleared at once when `pool` is NULL). */
apr_status_t ctn_calls_exec(PGresult **res, PGconn *conn, apr_pool_t *pool, const char *what,
                            ExecStatusType expect, const char *sql, int nparams,
                            const char *const *params);

#endif
