/* media_server.c: the WebSocket endpoint httpd proxies Twilio Media Streams to.
 *
 * For now the worker accepts streams, counts them and reads Twilio's
 * messages without decoding any audio; relaying them to OpenAI Realtime is
 * the realtime engine's work (its own issue). A stream that ends is simply
 * closed, which makes Twilio continue with the TwiML after <Connect>, i.e.
 * the built-in engine. */
#include "media.h"

#include "log.h"

static int stream_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                           size_t len)
{
    media_t *m = lws_context_user(lws_get_context(wsi));

    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        m->calls++;
        m->streams_total++;
        ctn_log_info(NULL, "media stream opened (%lu open)", (unsigned long)m->calls);
        break;
    case LWS_CALLBACK_RECEIVE:
        /* Twilio's connected/start/media/mark/stop messages: nothing to do
         * until the realtime relay exists. */
        break;
    case LWS_CALLBACK_CLOSED:
        if (m->calls > 0) {
            m->calls--;
        }
        ctn_log_info(NULL, "media stream closed (%lu open)", (unsigned long)m->calls);
        break;
    default:
        break;
    }
    return 0;
}

const struct lws_protocols media_stream_protocols[] = {
    {"twilio-media", stream_callback, 0, 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};
