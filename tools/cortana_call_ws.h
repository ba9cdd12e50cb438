/* cortana_call_ws.h: the WebSocket under cortana-call's media mode.
 *
 * lib/simulator_media.c plays Twilio's side of a media stream without a
 * socket (lib/ carries no libwebsockets header); this is the socket: a
 * libwebsockets client that connects to the stream's URL and moves whole
 * text messages between it and the stream. */
#ifndef CORTANA_CALL_WS_H
#define CORTANA_CALL_WS_H

#include "simulator_media.h"

/* A ctn_sim_ws_fn (see simulator_media.h): one libwebsockets context per
 * stream, serviced on the calling thread until the stream is over. `baton`
 * is unused. */
apr_status_t call_ws_run(void *baton, ctn_sim_stream_t *stream, const char *url, apr_pool_t *pool,
                         const char **why);

#endif
