/* media.h: what the parts of cortana-media share.
 *
 * One libwebsockets context running on libev (lws's evlib plugin): a vhost
 * on the unix socket that httpd proxies Twilio Media Streams to
 * (media_server.c), a vhost on the control socket (media_control.c), and a
 * periodic tick (media_main.c). Everything runs on the one event-loop
 * thread; nothing here blocks it. Other threads (media_jobs.c) never touch a
 * wsi: they set flags and call lws_cancel_service(). */
#ifndef MEDIA_H
#define MEDIA_H

#include "ring.h"

#include <apr_pools.h>
#include <libwebsockets.h>
#include <signal.h>
#include <sys/types.h>

#define MEDIA_EXIT_BAD_CONFIG 78 /* EX_CONFIG: the supervisor will not respawn */

typedef struct media_t {
    apr_pool_t *pool;
    struct lws_context *context;
    const char *stream_socket;
    const char *control_socket;
    const char *ring_shm;
    const char *database;          /* from CORTANA_DATABASE; may be NULL */
    const char *twilio_auth_token; /* from CORTANA_TWILIO_AUTH_TOKEN; may be NULL */
    int tick_seconds;
    int chunk_ms;             /* caller audio per append to OpenAI (20-200, whole frames) */
    int session_max_s;        /* seconds an OpenAI session lasts before it is renewed */
    const char *peer_host_id; /* --peer-events: share events with other hosts */
    struct apr_thread_t *peers_thread; /* media_peers.c */
    volatile apr_uint64_t peer_events_in;
    volatile int peer_listening; /* its LISTEN is in place */
    ctn_ring_t *ring;            /* NULL when no ring was given */
    apr_time_t started_at;
    apr_uint64_t ticks;
    apr_uint64_t calls; /* streams currently open */
    apr_uint64_t streams_total;
    lws_sorted_usec_list_t tick_sul;
    pid_t parent;   /* httpd's pid when we started: a change means it is gone */
    int evlib;      /* 1: the loop runs on libev; 0: lws's own poll loop */
    int destroying; /* lws_context_destroy already called from the loop */
    volatile sig_atomic_t stopping;
    struct relay_t *relay;            /* media_relay.c: OpenAI Realtime calls */
    struct apr_thread_t *jobs_thread; /* media_jobs.c */
    apr_pool_t *jobs_conn_pool;
    volatile apr_uint64_t jobs_runs;
} media_t;

/* ---- media_relay.c: Twilio Media Streams <-> OpenAI Realtime ----------- */

/* Set up the relay (OpenAI settings from the environment, its thread pool
 * and the client vhost). APR_ENOTIMPL when no OpenAI key is configured:
 * streams are then refused and the built-in engine takes every call. */
apr_status_t media_relay_init(media_t *m);
void media_relay_stop(media_t *m);
/* Loop thread (control socket): open the OpenAI session of `call_sid` now,
 * so it is warm when Twilio's stream for that call arrives (it attaches to
 * it); dropped if no stream comes within RELAY_PREWARM_TTL. */
apr_status_t media_relay_prewarm(media_t *m, const char *call_sid, const char *business_id);

/* Loop thread (control socket): the live calls as a JSON array; ending one. */
const char *media_relay_calls(media_t *m, apr_pool_t *pool);
const char *media_relay_hangup(media_t *m, apr_pool_t *pool, const char *call_sid);

/* Loop thread, on each wake-up: finish the work other threads posted. */
void media_relay_drain(media_t *m);
/* For the control socket's stats: "openai_configured", "openai_healthy",
 * "realtime_calls", … as JSON members (no braces). */
const char *media_relay_stats(media_t *m, apr_pool_t *pool);

extern const struct lws_protocols media_openai_protocols[];

/* Start / stop the thread that LISTENs for other hosts' live events and
 * writes them into this host's ring (only with --peer-events). */
apr_status_t media_peers_start(media_t *m);
void media_peers_stop(media_t *m);

/* Start / stop the background jobs thread (escalations, SMS outbox). */
apr_status_t media_jobs_start(media_t *m);
void media_jobs_stop(media_t *m);

/* The protocols of each vhost (terminated lists, static storage). */
extern const struct lws_protocols media_stream_protocols[];
extern const struct lws_protocols media_control_protocols[];

/* Ask the loop to stop: safe from a signal handler or any thread. */
void media_request_stop(media_t *m);

/* Called on the loop thread for LWS_CALLBACK_EVENT_WAIT_CANCELLED (after
 * lws_cancel_service()): finishes a requested stop. */
void media_loop_woken(media_t *m);

/* The reply to one control line (JSON text, no newline), in `pool`. */
const char *media_control_answer(media_t *m, apr_pool_t *pool, const char *line, apr_size_t len);

#endif
