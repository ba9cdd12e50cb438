/* media_openai.c: the client WebSocket to OpenAI Realtime, one per call.
 *
 * Connects to CortanaOpenAIRealtimeURL (?model=…) with the API key as a
 * Bearer token; wss:// verifies the server's certificate against the system
 * store (ws:// is for the local fake only). Whatever ends this socket while
 * the call goes on hands the call to the built-in engine. */
#include "media_relay.h"

#include "log.h"

#include <apr_strings.h>
#include <sodium.h>
#include <string.h>

/* "Bearer <key>": OpenAI's keys are about 170 characters today. */
#define AUTH_MAX 1024

typedef struct openai_conn_t {
    relay_call_t *call;
} openai_conn_t;

int relay_openai_connect(relay_call_t *c)
{
    relay_t *r = c->m->relay;
    struct lws_client_connect_info ci;
    const char *prot = NULL, *addr = NULL, *path = NULL;
    char *url = apr_pstrdup(c->pool, r->url);
    int port = 0;

    if (lws_parse_uri(url, &prot, &addr, &port, &path) != 0) {
        return -1;
    }
    memset(&ci, 0, sizeof(ci));
    ci.context = c->m->context;
    ci.vhost = r->client_vhost;
    ci.address = addr;
    ci.port = port;
    ci.host = addr;
    ci.origin = addr;
    ci.path = apr_psprintf(c->pool, "/%s%smodel=%s", path, strchr(path, '?') ? "&" : "?", r->model);
    ci.protocol = NULL;
    ci.local_protocol_name = "openai-realtime";
    ci.ssl_connection = strcmp(prot, "wss") == 0 ? LCCSCF_USE_SSL : 0;
    ci.opaque_user_data = c;
    ci.pwsi = &c->openai;
    c->refs++; /* released in CONNECTION_ERROR / CLIENT_CLOSED */
    if (lws_client_connect_via_info(&ci) == NULL) {
        if (!c->openai_closed) { /* no callback released it already */
            c->openai_closed = 1;
            relay_call_release(c);
        }
        c->openai = NULL;
        return -1;
    }
    return 0;
}

static int openai_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                           size_t len)
{
    relay_call_t *c = lws_get_opaque_user_data(wsi);

    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        /* The header on the stack, wiped once lws has it: not a copy of the
         * key in the call's pool per connect, kept for the call's life. */
        unsigned char **p = in, *end = *p + len;
        char auth[AUTH_MAX];
        apr_size_t n = strlen(c->m->relay->api_key);
        int failed;
        if (n > sizeof(auth) - sizeof("Bearer ")) {
            ctn_log_err(c->call_sid, "the OpenAI key is longer than %d bytes", AUTH_MAX - 8);
            return -1;
        }
        memcpy(auth, "Bearer ", 7);
        memcpy(auth + 7, c->m->relay->api_key, n);
        failed = lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                              (const unsigned char *)auth, (int)(7 + n), p, end);
        sodium_memzero(auth, sizeof(auth));
        if (failed) {
            return -1;
        }
        break;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        c->openai_established = 1;
        relay_openai_connected(c);
        if (c->stopping) {
            return -1;
        }
        if (c->to_openai.head) {
            lws_callback_on_writable(wsi); /* session.update queued while connecting */
        }
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (c == NULL || c->rx_openai.refused) {
            break; /* the socket is being closed */
        }
        if (lws_is_first_fragment(wsi) && lws_is_final_fragment(wsi)) {
            relay_on_openai(c, in, len);
        } else {
            int rv = relay_rx_append(&c->rx_openai, in, len, RELAY_RX_OPENAI_MAX);
            if (rv == APR_ENOSPC) {
                /* A session that sends this is broken: its socket is closed
                 * and reopened (CLIENT_CLOSED), as after a drop. Not by
                 * returning -1: with the rest of the message still in its
                 * read buffer, lws 4.1.6 crashed then (the e2e test). */
                ctn_log_warning(c->call_sid, "OpenAI Realtime sent a message over %d bytes",
                                RELAY_RX_OPENAI_MAX);
                lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
                break;
            }
            if (rv != 0) {
                return -1;
            }
            if (lws_is_final_fragment(wsi)) {
                relay_on_openai(c, c->rx_openai.buf, c->rx_openai.len);
                relay_rx_free(&c->rx_openai);
            }
        }
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (c->stopping) {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
            return -1; /* the caller hung up: no reason to keep OpenAI busy */
        }
        if (relay_write_next(c, wsi, &c->to_openai) != 0) {
            return -1;
        }
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (c != NULL && !c->openai_closed) {
            /* This socket is done before anything else happens: a reconnect
             * (media_session.c) may give the call a new one. */
            const char *why = reason == LWS_CALLBACK_CLIENT_CLOSED
                                  ? "the session closed"
                                  : (in ? apr_pstrmemdup(c->pool, in, len) : "connection failed");
            c->openai_closed = 1;
            c->openai_established = 0;
            c->openai = NULL;
            /* a message it broke off in the middle: never to be completed,
             * and the next session's first pieces must not join it */
            relay_rx_free(&c->rx_openai);
            lws_set_opaque_user_data(wsi, NULL);
            relay_openai_gone(c, why);
            relay_call_release(c);
        }
        break;
    default:
        break;
    }
    return 0;
}

const struct lws_protocols media_openai_protocols[] = {
    {"openai-realtime", openai_callback, 0, RELAY_RX_OPENAI, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};
