/* media_server.c: the WebSocket endpoint httpd proxies Twilio Media Streams to.
 *
 * Each stream is a call of the realtime engine (media_relay.c). A stream
 * whose start event carries no valid token is closed at once; closing a
 * stream makes Twilio run the TwiML after <Connect> — the <Redirect> to the
 * built-in engine — so the worker ends a stream whenever it cannot carry the
 * call (no OpenAI, OpenAI gone), and the caller is never dropped. */
#include "media_relay.h"

#include "log.h"

typedef struct stream_t {
    relay_call_t *call;
} stream_t;

static int stream_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                           size_t len)
{
    media_t *m = lws_context_user(lws_get_context(wsi));
    stream_t *s = user;
    relay_call_t *c = s ? s->call : NULL;

    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        m->calls++;
        m->streams_total++;
        if (m->relay == NULL || m->relay->api_key == NULL) {
            ctn_log_warning(NULL, "media stream refused: no OpenAI key is configured");
            return -1;
        }
        s->call = relay_call_new(m, wsi);
        break;
    case LWS_CALLBACK_RECEIVE:
        if (c == NULL) {
            return -1;
        }
        if (lws_is_first_fragment(wsi) && lws_is_final_fragment(wsi)) {
            relay_on_twilio(c, in, len);
        } else {
            int rv = relay_rx_append(&c->rx_twilio, in, len, RELAY_RX_TWILIO_MAX);
            if (rv == APR_ENOSPC) {
                /* not Twilio: whoever it is gets no more of our memory */
                ctn_log_warning(c->call_sid[0] ? c->call_sid : NULL,
                                "media stream closed: a message over %d bytes",
                                RELAY_RX_TWILIO_MAX);
                lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
                return -1;
            }
            if (rv != 0) {
                return -1;
            }
            if (lws_is_final_fragment(wsi)) {
                relay_on_twilio(c, c->rx_twilio.buf, c->rx_twilio.len);
                relay_rx_free(&c->rx_twilio);
            }
        }
        if (c->moved_to) { /* the stream joined the call's prewarmed session */
            s->call = c->moved_to;
            relay_call_release(c);
            c = s->call;
        }
        if (c->stopping && c->to_twilio.head == NULL) {
            return -1;
        }
        break;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (c == NULL) {
            return -1;
        }
        if (relay_write_next(c, wsi, &c->to_twilio) != 0) {
            return -1;
        }
        if (c->stopping && c->to_twilio.head == NULL) {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
            return -1; /* Twilio continues with the TwiML after <Connect> */
        }
        break;
    case LWS_CALLBACK_CLOSED:
        if (m->calls > 0) {
            m->calls--;
        }
        if (c != NULL) {
            ctn_log_info(c->call_sid[0] ? c->call_sid : NULL,
                         "media stream closed: %" APR_UINT64_T_FMT " frames in, %" APR_UINT64_T_FMT
                         " out, %" APR_UINT64_T_FMT " barge-ins",
                         c->frames_in, c->frames_out, c->barge_ins);
            relay_record_call_stats(c);
            c->twilio_closed = 1;
            c->twilio = NULL;
            c->stopping = 1;
            if (c->openai && !c->openai_closed) {
                lws_callback_on_writable(c->openai); /* close it now, not at OpenAI's leisure */
            }
            relay_call_release(c);
            s->call = NULL;
        }
        break;
    default:
        break;
    }
    return 0;
}

const struct lws_protocols media_stream_protocols[] = {
    {"twilio-media", stream_callback, sizeof(stream_t), RELAY_RX_TWILIO, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};
