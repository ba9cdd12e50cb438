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
#include "db.h"
#include "ring.h"
#include "form.h"
#include "log.h"
#include "twilio_signature.h"
#include "twiml.h"

#include <apr_strings.h>
#include <string.h>

/* Twilio's webhook bodies are a few kilobytes; anything much larger is not Twilio. */
#define TWILIO_MAX_BODY (64 * 1024)

static apr_status_t read_body(request_rec *r, const char **body, apr_size_t *len, const char **why)
{
    apr_bucket_brigade *bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    apr_size_t total = 0, cap = TWILIO_MAX_BODY;
    const char *length = apr_table_get(r->headers_in, "Content-Length");
    char *buf;
    int seen_eos = 0;

    /* Twilio sends Content-Length: a buffer of that size, not of the
     * largest body, spares every request a 64 KiB allocation (httpd's
     * allocator takes blocks that large from malloc each time). The input
     * filter never delivers more than Content-Length. */
    if (length != NULL) {
        char *end = NULL;
        apr_off_t n = 0;
        if (apr_strtoff(&n, length, &end, 10) == APR_SUCCESS && end != length && *end == '\0' &&
            n >= 0 && n <= TWILIO_MAX_BODY) {
            cap = (apr_size_t)n;
        }
    }
    buf = apr_palloc(r->pool, cap + 1);

    do {
        apr_status_t rv = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES, APR_BLOCK_READ,
                                         TWILIO_MAX_BODY);
        if (rv != APR_SUCCESS) {
            *why = "cannot read the request body";
            return rv;
        }
        for (apr_bucket *b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
             b = APR_BUCKET_NEXT(b)) {
            const char *data;
            apr_size_t n;
            if (APR_BUCKET_IS_EOS(b)) {
                seen_eos = 1;
                break;
            }
            if (apr_bucket_read(b, &data, &n, APR_BLOCK_READ) != APR_SUCCESS) {
                *why = "cannot read the request body";
                return APR_EGENERAL;
            }
            if (total + n > cap) {
                *why = "request body too large for a Twilio webhook";
                return APR_ENOSPC;
            }
            memcpy(buf + total, data, n);
            total += n;
        }
        apr_brigade_cleanup(bb);
    } while (!seen_eos);
    buf[total] = '\0';
    *body = buf;
    *len = total;
    return APR_SUCCESS;
}

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

static void env_publish(void *baton, const char *business_id, const char *call_sid,
                        const char *type, const char *payload)
{
    ctn_ring_t *ring = ctn_events_ring();

    if (ring != NULL &&
        ctn_ring_write(ring, business_id, call_sid, type, payload, NULL) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, baton, "%s: event %s not published", call_sid,
                     type);
    }
}

static void call_flow_env(ctn_call_flow_env_t *env, server_rec *s)
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
    env->realtime_available = 0;
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
    if (read_body(r, &body, &len, &why) != APR_SUCCESS) {
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

    call_flow_env(&env, r->server);
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
