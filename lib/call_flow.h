/* call_flow.h: what Cortana does with each Twilio webhook of a call.
 *
 * The module parses and authenticates the request (mod_cortana_twilio.c);
 * this file runs the call: finds the business by the dialled number, routes
 * the call (lib/routing.c), opens and updates the call log (lib/calls.c),
 * runs a turn of the built-in dialog engine (lib/dialog.c) with the shared
 * tools (lib/tools.c), publishes live events, and writes the TwiML answer.
 * It knows nothing of httpd: the environment gives it a database connection
 * and a place to publish events, so the worker and the tests can drive it
 * the same way. */
#ifndef CTN_CALL_FLOW_H
#define CTN_CALL_FLOW_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <libpq-fe.h>

typedef struct ctn_call_flow_env_t {
    /* A connection valid until `pool` is cleaned up, its tenant not reset:
     * the call flow's first statement on it always sets the tenant from the
     * dialled number (ctn_business_id_by_number or ctn_calls_turn_load).
     * Returns non-success when the database is unreachable. */
    apr_status_t (*db_acquire)(void *baton, apr_pool_t *pool, PGconn **conn);
    /* Publish a live event for the business's dashboard (the event ring;
     * with peer events, also the other hosts through `conn`, which may be
     * NULL when the database is down). `payload` is a JSON object's text. */
    void (*publish)(void *baton, PGconn *conn, const char *business_id, const char *call_sid,
                    const char *type, const char *payload);
    /* Ask the media worker to open the call's realtime session now (may be
     * NULL). Must not block for long: the caller is waiting for TwiML. */
    void (*prewarm)(void *baton, const char *call_sid, const char *business_id);
    void *baton;
    const char *public_url;      /* CortanaPublicURL (absolute action URLs) */
    const char *twilio_api_base; /* SMS through Twilio when the next two are set */
    const char *twilio_account_sid;
    const char *twilio_auth_token;
    int realtime_available; /* the realtime engine may take calls (then the next two are set) */
    const char *stream_url; /* wss://…/twilio/media */
    const unsigned char *stream_key; /* 32 bytes: signs the stream's admission token */
} ctn_call_flow_env_t;

/* Handle one webhook: `path` is the request path (/twilio/voice, …),
 * `params` its verified form parameters (ctn_form_pair_t). Returns the HTTP
 * status to answer with; `*twiml` is the TwiML body (NULL for none). On a
 * 4xx, `*why` says which parameter was missing or malformed. */
int ctn_call_flow_handle(const ctn_call_flow_env_t *env, apr_pool_t *pool, const char *path,
                         const apr_array_header_t *params, const char **twiml, const char **why);

#endif
