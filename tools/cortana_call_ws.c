/* cortana_call_ws.c: the libwebsockets client under cortana-call --media
 * (see cortana_call_ws.h).
 *
 * One context, one client connection, serviced on the caller's thread. The
 * stream (lib/simulator_media.c) decides what is sent and when: each time the
 * socket is writable the next due message is written, and when none is due
 * a timer (an lws sorted-usec-list entry) asks for writability again at the
 * time the stream names. Messages received are reassembled from fragments
 * and handed over whole. The stream is over once `stop` has been written
 * (the socket is then closed normally) or the server closed it. */
#include "cortana_call_ws.h"

#include <apr_strings.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <string.h>

#define RX_BUFFER 65536 /* per read; longer messages arrive in fragments */

typedef struct ws_state_t {
    apr_pool_t *pool;
    ctn_sim_stream_t *stream;
    struct lws_context *context;
    struct lws *wsi;
    lws_sorted_usec_list_t wake; /* the next message is due */
    unsigned char *tx;           /* LWS_PRE bytes of headroom, then the message */
    apr_size_t tx_cap;
    char *rx; /* a message arriving in fragments */
    apr_size_t rx_len, rx_cap;
    const char *why; /* the connection failed: why */
    int finished;
} ws_state_t;

static void log_lws(int level, const char *line)
{
    fprintf(stderr, "cortana-call: libwebsockets: %s", line);
}

static void wake_up(lws_sorted_usec_list_t *sul)
{
    ws_state_t *st = lws_container_of(sul, ws_state_t, wake);

    if (st->wsi) {
        lws_callback_on_writable(st->wsi);
    }
}

/* Write the next due message, or set the timer for when one is due.
 * Returns -1 to close the socket (the stream is over). */
static int pump(ws_state_t *st, struct lws *wsi)
{
    apr_time_t now = apr_time_now(), wake = 0;
    apr_size_t len = 0;
    const char *msg;

    if (ctn_sim_stream_done(st->stream)) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1; /* `stop` went out on the previous write */
    }
    msg = ctn_sim_stream_next(st->stream, now, &len, &wake);
    if (msg == NULL) {
        if (wake > 0) {
            lws_sul_schedule(st->context, 0, &st->wake, wake_up,
                             wake > now ? (lws_usec_t)(wake - now) : 0);
        }
        return 0;
    }
    if (st->tx_cap < LWS_PRE + len) {
        st->tx_cap = 2 * (LWS_PRE + len); /* grows to the longest message, then stays */
        st->tx = apr_palloc(st->pool, st->tx_cap);
    }
    memcpy(st->tx + LWS_PRE, msg, len);
    if (lws_write(wsi, st->tx + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len) {
        return -1;
    }
    lws_callback_on_writable(wsi); /* the next one may be due already */
    return 0;
}

static void receive(ws_state_t *st, struct lws *wsi, const char *in, apr_size_t len)
{
    if (lws_is_first_fragment(wsi) && lws_is_final_fragment(wsi)) {
        ctn_sim_stream_receive(st->stream, in, len, apr_time_now());
    } else {
        if (lws_is_first_fragment(wsi)) {
            st->rx_len = 0;
        }
        if (st->rx_len + len + 1 > st->rx_cap) {
            apr_size_t cap = st->rx_cap ? st->rx_cap : RX_BUFFER;
            char *grown;
            while (cap < st->rx_len + len + 1) {
                cap *= 2;
            }
            grown = apr_palloc(st->pool, cap); /* rare: the buffer only grows */
            if (st->rx_len) {
                memcpy(grown, st->rx, st->rx_len);
            }
            st->rx = grown;
            st->rx_cap = cap;
        }
        memcpy(st->rx + st->rx_len, in, len);
        st->rx_len += len;
        if (lws_is_final_fragment(wsi)) {
            ctn_sim_stream_receive(st->stream, st->rx, st->rx_len, apr_time_now());
            st->rx_len = 0;
        }
    }
    lws_callback_on_writable(wsi); /* a mark may be due at once (nothing left to play) */
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    ws_state_t *st = lws_context_user(lws_get_context(wsi));

    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        lws_callback_on_writable(wsi); /* connected, then start */
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return pump(st, wsi);
    case LWS_CALLBACK_CLIENT_RECEIVE:
        receive(st, wsi, in, len);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        st->why = apr_pstrdup(st->pool, in ? apr_pstrmemdup(st->pool, in, len) : "connect failed");
        st->wsi = NULL;
        st->finished = 1;
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        /* by us after `stop`, or by the server: then the TwiML goes on */
        ctn_sim_stream_closed(st->stream, apr_time_now());
        st->wsi = NULL;
        st->finished = 1;
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"twilio-media-sim", ws_callback, 0, RX_BUFFER, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

apr_status_t call_ws_run(void *baton, ctn_sim_stream_t *stream, const char *url, apr_pool_t *pool,
                         const char **why)
{
    struct lws_context_creation_info info;
    struct lws_client_connect_info ci;
    ws_state_t st;
    const char *prot = NULL, *addr = NULL, *path = NULL;
    char *copy = apr_pstrdup(pool, url);
    int port = 0;

    memset(&st, 0, sizeof(st));
    st.pool = pool;
    st.stream = stream;
    if (lws_parse_uri(copy, &prot, &addr, &port, &path) != 0 ||
        (strcmp(prot, "ws") != 0 && strcmp(prot, "wss") != 0)) {
        *why = apr_psprintf(pool, "not a ws:// or wss:// URL: %s", url);
        return APR_EINVAL;
    }
    lws_set_log_level(LLL_ERR, log_lws);
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.user = &st;
    info.fd_limit_per_thread = 8; /* one socket; lws would size its table by ulimit -n */
    info.options = strcmp(prot, "wss") == 0 ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0;
    if ((st.context = lws_create_context(&info)) == NULL) {
        *why = "cannot create a libwebsockets context";
        return APR_EGENERAL;
    }
    memset(&ci, 0, sizeof(ci));
    ci.context = st.context;
    ci.address = addr;
    ci.port = port;
    ci.path = apr_pstrcat(pool, "/", path, NULL);
    ci.host = addr;
    ci.origin = addr;
    ci.local_protocol_name = protocols[0].name;
    ci.ssl_connection = strcmp(prot, "wss") == 0 ? LCCSCF_USE_SSL : 0;
    ci.pwsi = &st.wsi;
    if (lws_client_connect_via_info(&ci) == NULL && st.why == NULL) {
        st.why = "cannot start the connection";
        st.finished = 1;
    }
    while (!st.finished) {
        if (lws_service(st.context, 0) < 0) {
            break;
        }
    }
    lws_sul_cancel(&st.wake);
    lws_context_destroy(st.context);
    if (st.why) {
        *why = st.why;
        return APR_ECONNREFUSED;
    }
    return APR_SUCCESS;
}
