/* mod_cortana_twilio.c: the Twilio webhooks (SetHandler cortana-twilio).
 *
 *   POST /twilio/voice        a call comes in: route it, open the call log, greet
 *   POST /twilio/gather       one caller turn (SpeechResult) → the dialog engine
 *   POST /twilio/voicemail    <Record> action: the recording of a message
 *   POST /twilio/transcription <Record> transcribeCallback: its words
 *   POST /twilio/status       the call ended: finalise the call log
 *   POST /twilio/sms          an SMS to a business number (technician replies)
 *
 * Every request is refused (403) unless X-Twilio-Signature verifies over
 * CortanaPublicURL + the request's path and query, never the Host header.
 * Missing or malformed parameters get 400 with the reason in the log. A
 * caller is never dropped: when PostgreSQL is down the voice and gather
 * webhooks still answer with TwiML that records a message, and the
 * recording webhook answers 503 so Twilio retries it once the database is
 * back. The conversation itself is lib/'s (dialog, routing, tools); this file
 * only parses, calls and writes TwiML. */
#include "mod_cortana.h"
#include "mod_cortana_config.h"

#include "http_protocol.h"
#include "http_request.h"

#include "call_flow.h"
#include "control.h"
#include "db.h"
#include "ring.h"
#include "form.h"
#include "log.h"
#include "peers.h"
#include "twilio_signature.h"
#include "twiml.h"

#include <apr_strings.h>
#include <string.h>

/* Twilio's webhook bodies are a few kilobytes; anything much larger is not Twilio. */
#define TWILIO_MAX_BODY (64 * 1024)

/* The URL Twilio requested, as it signed it: the public base + path + query. */
static const char *signed_url(request_rec *r, const ctn_server_conf_t *conf)
{
    apr_size_t n = strlen(conf->public_url);

    while (n > 0 && conf->public_url[n - 1] == '/') {
        n--;
    }
    return apr_pstrcat(r->pool, apr_pstrmemdup(r->pool, conf->public_url, n), r->unparsed_uri,
                       NULL);
}

static int send_twiml(request_rec *r, const char *twiml)
{
    ap_set_content_type(r, "text/xml; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_rputs(twiml, r);
    return OK;
}

static int reject(request_rec *r, int status, const char *reason)
{
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "%s %s refused (%d): %s", r->method, r->uri,
                  status, reason);
    return status;
}

/* ------------------------------------------------ the call flow's world --- */

static apr_status_t env_db_acquire(void *baton, apr_pool_t *pool, PGconn **conn)
{
    ctn_db_t *db = NULL;
    /* The call flow's first statement is the number lookup, which sets the
     * tenant (see call_flow.h): no round trip to reset it here. */
    apr_status_t rv = ctn_mod_db_acquire(&db, baton, CTN_DB_TENANT_BY_CALLER, pool);

    if (rv == APR_SUCCESS) {
        *conn = ctn_db_conn(db);
    }
    return rv;
}

static void env_publish(void *baton, PGconn *conn, const char *business_id, const char *call_sid,
                        const char *type, const char *payload)
{
    ctn_ring_t *ring = ctn_events_ring();
    apr_pool_t *scratch;

    if (ring != NULL &&
        ctn_ring_write(ring, business_id, call_sid, type, payload, NULL) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, baton, "%s: event %s not published", call_sid,
                     type);
    }
    if (ctn_events_host_id() != NULL && conn != NULL) {
        apr_pool_create(&scratch, NULL);
        if (ctn_peers_notify(conn, scratch, ctn_events_host_id(), business_id, call_sid, type,
                             payload) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, baton,
                         "%s: event %s not sent to the other hosts: %s", call_sid, type,
                         PQerrorMessage(conn));
        }
        apr_pool_destroy(scratch);
    }
}

/* Whether the worker says it can reach OpenAI Realtime: asked over its
 * control socket at most once a second per child (a stale answer only
 * picks the engine of a call; the stream falls back by itself). */
static int worker_openai_healthy(server_rec *s, apr_pool_t *pool)
{
    static volatile apr_time_t checked_at;
    static volatile int healthy;
    ctn_server_conf_t *conf = ctn_config_get(s);
    const char *reply = NULL;
    apr_time_t now = apr_time_now();

    if (now - checked_at < apr_time_from_sec(1)) {
        return healthy;
    }
    healthy = conf->media_control_socket &&
              ctn_control_call(&reply, pool, conf->media_control_socket, "{\"cmd\":\"stats\"}",
                               apr_time_from_msec(200)) == APR_SUCCESS &&
              strstr(reply, "\"openai_healthy\":true") != NULL;
    checked_at = now;
    return healthy;
}

/* wss://host/twilio/media from the public URL (ws:// for a plain-http dev URL). */
static const char *stream_url(apr_pool_t *pool, const char *public_url)
{
    apr_size_t n = strlen(public_url);

    while (n > 0 && public_url[n - 1] == '/') {
        n--;
    }
    if (strncmp(public_url, "https://", 8) == 0) {
        return apr_pstrcat(pool, "wss://", apr_pstrmemdup(pool, public_url + 8, n - 8),
                           "/twilio/media", NULL);
    }
    return apr_pstrcat(pool, "ws://", apr_pstrmemdup(pool, public_url + 7, n - 7), "/twilio/media",
                       NULL);
}

static void env_prewarm(void *baton, const char *call_sid, const char *business_id)
{
    server_rec *s = baton;
    ctn_server_conf_t *conf = ctn_config_get(s);
    apr_pool_t *pool;
    const char *reply = NULL;

    apr_pool_create(&pool, NULL);
    if (ctn_control_call(&reply, pool, conf->media_control_socket,
                         apr_psprintf(pool,
                                      "{\"cmd\":\"prewarm\",\"call_sid\":\"%s\","
                                      "\"business_id\":\"%s\"}",
                                      call_sid, business_id),
                         apr_time_from_msec(100)) != APR_SUCCESS ||
        strstr(reply, "\"ok\":true") == NULL) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "%s: the realtime session was not prewarmed",
                     call_sid);
    }
    apr_pool_destroy(pool);
}

static void call_flow_env(ctn_call_flow_env_t *env, server_rec *s, apr_pool_t *pool)
{
    ctn_server_conf_t *conf = ctn_config_get(s);

    memset(env, 0, sizeof(*env));
    env->db_acquire = env_db_acquire;
    env->publish = env_publish;
    env->baton = s;
    env->public_url = conf->public_url;
    env->twilio_api_base = conf->twilio_api_base;
    env->twilio_account_sid = conf->twilio_account_sid;
    env->twilio_auth_token = conf->twilio_auth_token;
    env->stream_key = ctn_secrets_stream_key();
    env->realtime_available = ctn_secrets_openai_key() != NULL && env->stream_key != NULL &&
                              worker_openai_healthy(s, pool);
    env->stream_url = env->realtime_available ? stream_url(pool, conf->public_url) : NULL;
    env->prewarm = env->realtime_available && conf->media_control_socket ? env_prewarm : NULL;
}

static int twilio_handler(request_rec *r)
{
    ctn_server_conf_t *conf;
    ctn_call_flow_env_t env;
    const char *body = NULL, *why = NULL, *signature, *twiml = NULL;
    apr_size_t len = 0;
    apr_array_header_t *params;
    int status;

    if (r->handler == NULL || strcmp(r->handler, "cortana-twilio") != 0) {
        return DECLINED;
    }
    if (r->method_number != M_POST) {
        r->allowed = AP_METHOD_BIT << M_POST;
        return HTTP_METHOD_NOT_ALLOWED;
    }
    conf = ctn_config_get(r->server);
    if (conf->public_url == NULL || conf->twilio_auth_token == NULL) {
        return reject(r, HTTP_FORBIDDEN,
                      "CortanaPublicURL and CortanaTwilioAuthToken must be set to verify "
                      "Twilio's signature");
    }
    if (ctn_mod_read_body(r, TWILIO_MAX_BODY, &body, &len, &why) != APR_SUCCESS) {
        return reject(r, HTTP_BAD_REQUEST, why);
    }
    if (ctn_form_parse(&params, r->pool, body, len, &why) != APR_SUCCESS) {
        return reject(r, HTTP_BAD_REQUEST, why);
    }
    signature = apr_table_get(r->headers_in, "X-Twilio-Signature");
    if (signature == NULL) {
        return reject(r, HTTP_FORBIDDEN, "no X-Twilio-Signature header");
    }
    if (!ctn_twilio_signature_valid(r->pool, conf->twilio_auth_token, signed_url(r, conf), params,
                                    signature)) {
        return reject(r, HTTP_FORBIDDEN, "X-Twilio-Signature does not verify");
    }

    call_flow_env(&env, r->server, r->pool);
    status = ctn_call_flow_handle(&env, r->pool, r->uri, params, &twiml, &why);
    if (status >= 400) {
        return reject(r, status, why ? why : "refused");
    }
    if (twiml == NULL) {
        r->status = status > 0 ? status : HTTP_NO_CONTENT;
        return OK;
    }
    return send_twiml(r, twiml);
}

void ctn_twilio_register_hooks(apr_pool_t *p)
{
    ap_hook_handler(twilio_handler, NULL, NULL, APR_HOOK_MIDDLE);
}
