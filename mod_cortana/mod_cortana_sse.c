/* mod_cortana_sse.c: GET /api/transcripts, the live feed (Server-Sent Events).
 *
 * One httpd worker thread per viewer, for as long as the viewer stays: the
 * thread sleeps on the event ring (ctn_ring_wait, a shared futex, so a line
 * written by any child or the media worker wakes it within microseconds),
 * sends the events of its owner's business, a comment every
 * KEEPALIVE_INTERVAL so proxies keep the connection, and notices a viewer
 * that went away within WAIT_SLICE (it peeks at the socket) so the thread
 * is free again promptly. No database connection is held while streaming:
 * one is taken only to check the session (at the start, then every
 * SESSION_RECHECK, so a feed ends with its session) and to replay missed
 * events.
 *
 * How many viewers a host holds is how many threads the MPM has beyond
 * those serving ordinary requests: with the event MPM, MaxRequestWorkers
 * (ThreadsPerChild × processes) — see README, "Live transcripts". */
#include "mod_cortana.h"

#include "http_protocol.h"
#include "http_request.h"

#include "api.h"
#include "form.h"
#include "live.h"
#include "ring.h"

#include <apr_portable.h>
#include <apr_strings.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#define KEEPALIVE_INTERVAL apr_time_from_sec(15)
#define WAIT_SLICE         apr_time_from_msec(500)
/* How often a viewer's session is looked up again, so that a log-out, a
 * password change or the session's expiry ends its feed within this long
 * (one cheap query per viewer per interval). */
#define SESSION_RECHECK apr_time_from_sec(5)

/* 1 when the viewer closed the connection (or it broke). */
static int viewer_gone(request_rec *r)
{
    apr_socket_t *sock = ap_get_conn_socket(r->connection);
    apr_os_sock_t fd;
    char byte;
    ssize_t n;

    if (r->connection->aborted) {
        return 1;
    }
    if (sock == NULL || apr_os_sock_get(&fd, sock) != APR_SUCCESS) {
        return 0;
    }
    n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static apr_status_t send_text(request_rec *r, const char *text)
{
    if (*text) {
        ap_rputs(text, r);
    }
    return ap_rflush(r) < 0 ? APR_ECONNABORTED : APR_SUCCESS;
}

/* Replay from the database, with a connection held only for the query. */
static apr_status_t replay(request_rec *r, const ctn_api_env_t *env, const char *business_id,
                           apr_uint64_t head)
{
    apr_pool_t *pool;
    PGconn *conn = NULL;
    const char *messages = "";
    apr_status_t rv;

    apr_pool_create(&pool, r->pool);
    rv = env->db_acquire(env->baton, pool, business_id, &conn);
    if (rv == APR_SUCCESS) {
        rv = ctn_live_replay(&messages, conn, pool, head);
    }
    if (rv == APR_SUCCESS) {
        rv = send_text(r, messages);
    } else {
        /* The viewer learns it may have missed something and reloads. */
        rv = send_text(r, apr_psprintf(pool,
                                       "id: %" APR_UINT64_T_FMT "\nevent: resync\ndata: "
                                       "{}\n\n",
                                       head));
    }
    apr_pool_destroy(pool);
    return rv;
}

/* 0 while the session `token` still belongs to `business_id`; 401 once it
 * has ended (logged out, expired, ended by a password change). A database
 * that cannot answer keeps the feed going until the next check. */
static int session_ended(const ctn_api_env_t *env, request_rec *r, const char *token,
                         const char *business_id)
{
    apr_pool_t *pool;
    const char *now_id = NULL;
    int status;

    apr_pool_create(&pool, r->pool);
    status = ctn_api_stream_session(env, pool, token, &now_id);
    if (status == 0 && strcmp(now_id, business_id) != 0) {
        status = 401;
    }
    apr_pool_destroy(pool); /* the connection goes back at once */
    return status == 401 ? 401 : 0;
}

/* An event id this feed gives: the decimal digits of a ring sequence. */
static int event_id_parse(const char *id, apr_uint64_t *seq)
{
    apr_uint64_t n = 0;

    if (*id == '\0' || strspn(id, "0123456789") != strlen(id)) {
        return 0;
    }
    for (; *id; id++) {
        if (n > (APR_UINT64_MAX - (apr_uint64_t)(*id - '0')) / 10) {
            return 0;
        }
        n = n * 10 + (apr_uint64_t)(*id - '0');
    }
    *seq = n;
    return 1;
}

/* Where a reconnecting viewer resumes: the Last-Event-ID header, else the
 * query parameter last_event_id (the feed's only one, as the OpenAPI
 * document has it), for a client that cannot set headers. `*resuming` 0:
 * neither was given (an empty one is none: EventSource never sends it), the
 * feed starts now. The ids are ring sequences and EventSource only sends
 * back one it was given, so anything but a number is a client's mistake:
 * 400 rather than a resume from 0. Returns 0, or 400 with `*bad` what is
 * wrong (the parameter or header) and `*why` how. */
static int resume_point(request_rec *r, apr_uint64_t *after, int *resuming, const char **bad,
                        const char **why)
{
    const char *id = apr_table_get(r->headers_in, "Last-Event-ID"), *query_id = NULL;
    const char *name = "Last-Event-ID";
    apr_array_header_t *pairs;

    *bad = NULL;
    *why = "the query string is malformed";
    if (r->args && ctn_form_parse(&pairs, r->pool, r->args, strlen(r->args), why) != APR_SUCCESS) {
        return HTTP_BAD_REQUEST;
    }
    for (int i = 0; r->args && i < pairs->nelts; i++) {
        const ctn_form_pair_t *p = &APR_ARRAY_IDX(pairs, i, ctn_form_pair_t);
        *bad = p->name;
        if (strcmp(p->name, "last_event_id") != 0) {
            *why = "is not a parameter of this request";
            return HTTP_BAD_REQUEST;
        }
        if (query_id != NULL) {
            *why = "is given more than once";
            return HTTP_BAD_REQUEST;
        }
        query_id = p->value;
    }
    if (id == NULL || *id == '\0') {
        id = query_id;
        name = "last_event_id";
    }
    *after = 0;
    *resuming = id != NULL && *id != '\0';
    if (*resuming && !event_id_parse(id, after)) {
        *bad = name;
        *why = "is not an event id of this feed";
        return HTTP_BAD_REQUEST;
    }
    *bad = NULL;
    return 0;
}

static int stream(request_rec *r, const ctn_api_env_t *env, const char *token,
                  const char *business_id, ctn_ring_t *ring, apr_uint64_t after, int resuming)
{
    apr_time_t last_write = apr_time_now(), last_check = last_write;
    ctn_ring_event_t *ev = apr_palloc(r->pool, sizeof(*ev));
    apr_uint64_t head = ctn_ring_head(ring);
    ctn_ring_stats_t stats;
    apr_pool_t *scratch; /* the messages of one wake-up; cleared after each */

    apr_pool_create(&scratch, r->pool);
    if (send_text(r, "retry: 2000\n: cortana live feed\n\n") != APR_SUCCESS) {
        return OK;
    }
    ctn_ring_stats(ring, &stats);
    if (!resuming) {
        after = head;
    } else if (after > head || (after + 1 < stats.oldest && head > 0)) {
        /* The ring no longer holds what the viewer missed. */
        if (replay(r, env, business_id, head) != APR_SUCCESS) {
            return OK;
        }
        after = head;
    }
    while (!viewer_gone(r)) {
        int wrote = 0;
        if (apr_time_now() - last_check >= SESSION_RECHECK) {
            if (session_ended(env, r, token, business_id)) {
                ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                              "live feed ended: the viewer's session is no longer valid");
                r->connection->keepalive = AP_CONN_CLOSE; /* EventSource comes back: 401 */
                break;
            }
            last_check = apr_time_now();
        }
        head = ctn_ring_wait(ring, after, WAIT_SLICE);
        if (head < after) { /* a new ring (graceful restart) */
            if (replay(r, env, business_id, head) != APR_SUCCESS) {
                return OK;
            }
            after = head;
            continue;
        }
        while (after < head) {
            apr_uint64_t missed = 0;
            if (ctn_ring_read(ring, after, ev, &missed) != APR_SUCCESS) {
                break;
            }
            if (missed > 0) {
                if (replay(r, env, business_id, head) != APR_SUCCESS) {
                    return OK;
                }
                after = head;
                break;
            }
            after = ev->seq;
            if (strcmp(ev->business_id, business_id) == 0) {
                ap_rputs(ctn_live_message(scratch, ev), r);
                wrote = 1;
            }
        }
        if (!wrote && apr_time_now() - last_write >= KEEPALIVE_INTERVAL) {
            ap_rputs(": keep-alive\n\n", r);
            wrote = 1;
        }
        if (wrote) {
            if (send_text(r, "") != APR_SUCCESS) {
                break;
            }
            last_write = apr_time_now();
        }
        apr_pool_clear(scratch);
    }
    return OK;
}

int ctn_sse_handle(request_rec *r)
{
    ctn_api_env_t env;
    ctn_ring_t *ring = ctn_events_ring();
    apr_pool_t *auth_pool;
    const char *business_id = NULL, *token, *bad = NULL, *why = NULL;
    apr_uint64_t from = 0;
    int status, resuming = 0;

    if (r->method_number != M_GET) {
        r->allowed = AP_METHOD_BIT << M_GET;
        return HTTP_METHOD_NOT_ALLOWED;
    }
    /* Before the session, as on the other API routes: a query parameter
     * other than last_event_id, or an id that is not one, is a 400 naming it. */
    if (resume_point(r, &from, &resuming, &bad, &why) != 0) {
        json_object *err = json_object_new_object(), *top = json_object_new_object();
        json_object_object_add(err, "code", json_object_new_string("invalid"));
        json_object_object_add(err, "message", json_object_new_string(why));
        json_object_object_add(err, "field", bad ? json_object_new_string(bad) : NULL);
        json_object_object_add(top, "error", err);
        ap_set_content_type(r, "application/json");
        r->status = HTTP_BAD_REQUEST;
        ap_rputs(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PLAIN), r);
        json_object_put(top);
        return OK;
    }
    ctn_mod_api_env(&env, r);
    token = ctn_mod_cookie(r, "cortana_session");
    apr_pool_create(&auth_pool, r->pool);
    status = ctn_api_stream_session(&env, auth_pool, token, &business_id);
    business_id = business_id ? apr_pstrdup(r->pool, business_id) : NULL;
    apr_pool_destroy(auth_pool); /* the connection goes back before streaming */
    if (status != 0) {
        ap_set_content_type(r, "application/json");
        r->status = status;
        ap_rputs(status == 401 ? "{\"error\":{\"code\":\"unauthenticated\",\"message\":\"log in "
                                 "first\",\"field\":null}}"
                               : "{\"error\":{\"code\":\"unavailable\",\"message\":\"the "
                                 "database is unavailable\",\"field\":null}}",
                 r);
        return OK;
    }
    if (ring == NULL) {
        return HTTP_SERVICE_UNAVAILABLE;
    }
    ap_set_content_type(r, "text/event-stream; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Accel-Buffering", "no");
    apr_table_setn(r->subprocess_env, "no-gzip", "1");
    return stream(r, &env, token, business_id, ring, from, resuming);
}
