/* simulator_media.h: Twilio's side of a bidirectional media stream, for the
 * call simulator (cortana-call --media).
 *
 * When the TwiML the simulator follows says <Connect><Stream url="…">,
 * Twilio opens a WebSocket to that URL and speaks the Media Streams protocol
 * (../shared/PROTOCOLS.md C): `connected`, `start` (the <Parameter>s as
 * customParameters), a `media` message every 20 ms of the caller's audio,
 * each `mark` it is sent echoed once the audio queued before it has played,
 * `clear` obeyed (queued audio dropped, its marks returned at once), and
 * `stop` when the caller hangs up. When the server closes the socket, the
 * TwiML after <Connect> runs.
 *
 * This file is that protocol and its clock, without the socket: lib/ carries
 * no libwebsockets header (it is linked into mod_cortana.so too), so the
 * program hands the simulator a WebSocket client (ctn_sim_ws_fn) that moves
 * whole text messages between the socket and a ctn_sim_stream_t.
 * cortana-call's is tools/cortana_call_ws.c, over libwebsockets. Every
 * function takes the current time, so a stream can be driven by a test's
 * clock. A stream is used by one thread at a time. */
#ifndef CTN_SIMULATOR_MEDIA_H
#define CTN_SIMULATOR_MEDIA_H

#include <apr_file_io.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#define CTN_SIM_FRAME_BYTES 160 /* 20 ms of 8 kHz mu-law: what Twilio sends at a time */
#define CTN_SIM_FRAME_USEC  20000

typedef struct ctn_sim_stream_t ctn_sim_stream_t;

/* What the streams of a call did, summed over its streams. */
typedef struct ctn_sim_media_stats_t {
    int streams;                 /* streams opened (socket connected) */
    int closed_by_server;        /* streams the server ended (TwiML went on) */
    apr_uint64_t frames_sent;    /* media messages sent, 20 ms each */
    apr_uint64_t audio_frames;   /* of which carried the caller's audio (--audio) */
    apr_uint64_t media_received; /* media messages received */
    apr_uint64_t bytes_received; /* mu-law bytes in them */
    apr_uint64_t marks_received; /* marks the server sent */
    apr_uint64_t marks_answered; /* marks echoed back (played, or cleared) */
    apr_uint64_t clears;         /* clear messages obeyed */
    apr_uint64_t bad_messages;   /* received messages that were not Media Streams JSON */
    apr_uint64_t record_errors;  /* media messages that could not be written to `record` */
    apr_time_t last_duration;    /* how long the last stream lasted */
    int audio_after_greeting;    /* 1: the caller's audio started once Cortana's first
                                  * audio had played; 0: after CTN_SIM_AUDIO_WAIT */
} ctn_sim_media_stats_t;

/* The caller's audio starts once the server's first audio has played out
 * (a caller answers the greeting), or this long into the stream when none
 * came. */
#define CTN_SIM_AUDIO_WAIT apr_time_from_sec(3)

/* A WebSocket client for one stream. It connects to `url` (ws:// or wss://)
 * and, until ctn_sim_stream_done() says the stream is over, sends each
 * message ctn_sim_stream_next() returns when it returns it (asking again at
 * the time it names), hands every whole text message received to
 * ctn_sim_stream_receive(), and calls ctn_sim_stream_closed() when the
 * server closes the socket or the connection is lost. It closes the socket
 * itself after the `stop` message. Returns APR_SUCCESS once the stream is
 * over, or an error with `*why` set when no WebSocket could be opened.
 * Blocking; runs on the simulator's thread. */
typedef apr_status_t ctn_sim_ws_fn(void *baton, ctn_sim_stream_t *stream, const char *url,
                                   apr_pool_t *pool, const char **why);

/* Media mode of the simulator (ctn_sim_config_t.media). */
typedef struct ctn_sim_media_t {
    ctn_sim_ws_fn *websocket; /* the program's WebSocket client */
    void *websocket_baton;
    const unsigned char *audio; /* the caller's audio, raw 8 kHz mu-law, played once;
                                 * NULL: silence (0xFF) throughout */
    apr_size_t audio_len;
    apr_file_t *record; /* the audio received is appended here (raw mu-law); NULL: dropped */
    int seconds;        /* the caller hangs up (stop) this long into a stream; 0: 15 */
} ctn_sim_media_t;

/* A stream of call `call_sid` with the <Stream>'s `params` (ctn_form_pair_t:
 * the <Parameter> names and values, copied). Its stats are added to
 * `*stats`, which must outlive the stream. */
ctn_sim_stream_t *ctn_sim_stream_create(apr_pool_t *pool, const ctn_sim_media_t *media,
                                        const char *account_sid, const char *call_sid,
                                        const apr_array_header_t *params,
                                        ctn_sim_media_stats_t *stats);

/* The next message to send at `now`, or NULL when none is due; then `*wake`
 * is when to ask again (0: never, the stream is over). The first call is the
 * moment the socket is open: it returns `connected`, then `start`. The text
 * (`*len` bytes, NUL-terminated) stays valid until the next call. */
const char *ctn_sim_stream_next(ctn_sim_stream_t *s, apr_time_t now, apr_size_t *len,
                                apr_time_t *wake);

/* A whole text message from the server, received at `now`. */
void ctn_sim_stream_receive(ctn_sim_stream_t *s, const char *msg, apr_size_t len, apr_time_t now);

/* The server closed the socket (or it was lost) at `now`. */
void ctn_sim_stream_closed(ctn_sim_stream_t *s, apr_time_t now);

/* 1 once the stream is over: `stop` was sent, or the server closed it. */
int ctn_sim_stream_done(const ctn_sim_stream_t *s);

/* 1 when the server ended the stream (the TwiML after <Connect> runs),
 * 0 when the caller did (stop sent). */
int ctn_sim_stream_closed_by_server(const ctn_sim_stream_t *s);

/* The URL the simulator connects to for a <Stream url>: the stream URL's
 * path on the origin of the server the simulator really talks to
 * (`server_url`, http[s]://host:port, whose scheme becomes ws[s]://). Twilio
 * would reach the same path through the public wss:// address; the
 * simulator's webhooks likewise go to the server, not to the public URL. A
 * relative URL is taken as a path. */
const char *ctn_sim_stream_url(apr_pool_t *pool, const char *server_url, const char *stream_url);

#endif
