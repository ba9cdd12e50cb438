/* media_relay.h: what the relay's files share (media_relay.c, media_server.c,
 * media_openai.c, media_tools.c). Everything here is touched by the event-loop
 * thread only, except relay_post(), which any thread may call.
 *
 * A call has two WebSockets: Twilio's media stream (server side, through
 * httpd's mod_proxy_wstunnel) and our client socket to OpenAI Realtime.
 * Messages for each are queued as preformatted frames (buffers recycled
 * through per-call free lists, so the hot path allocates nothing once a call
 * is warm) and written when lws says the socket is writable. */
#ifndef MEDIA_RELAY_H
#define MEDIA_RELAY_H

#include "media.h"

#include "language.h"

#include <apr_thread_mutex.h>
#include <apr_thread_pool.h>
#include <json-c/json.h>

#define RELAY_FRAME_BYTES     160 /* 20 ms of 8 kHz mu-law: Twilio's unit */
#define RELAY_MARKS           256 /* marks outstanding per call */
#define RELAY_PREWARM_TTL     20  /* seconds a prewarmed session waits for its stream */
#define RELAY_CHUNK_MAX_BYTES (10 * RELAY_FRAME_BYTES) /* CortanaMediaChunk 200 */
#define RELAY_HELD_MAX        500 /* appends held while the session is not ready */
#define RELAY_HIST_BUCKETS    8   /* turn latency: <50, <100, … <3200, ≥3200 ms */
#define RELAY_PLAYOUT_WAIT_S  15  /* longest wait for speech to play before a hang-up/transfer */
/* lws's receive buffer per socket: a Twilio media message is ~300 bytes; larger
 * messages (OpenAI's long deltas, session events) arrive in fragments that
 * relay_rx_append() joins. Both are resident for the whole call. */
#define RELAY_RX_TWILIO 2048
#define RELAY_RX_OPENAI 8192
/* The largest whole message joined per socket. Twilio's are small (a media
 * message ~300 bytes, `start` with its custom parameters a few KiB), and its
 * socket is open to anyone through httpd before the token is checked: a
 * bigger message closes the stream. OpenAI's can be large (session events
 * echo the instructions and tools, long deltas): a bigger one ends the
 * session, which is reopened as after a drop. */
#define RELAY_RX_TWILIO_MAX (64 * 1024)
#define RELAY_RX_OPENAI_MAX (4 * 1024 * 1024)

typedef struct frame_t {
    struct frame_t *next;
    apr_size_t cap, len;
    int once; /* malloc'ed for one message, freed once written */
    int raw;  /* already WebSocket frames (server side, unmasked): written as they are */
    unsigned char data[]; /* LWS_PRE bytes of headroom, then the message */
} frame_t;

typedef struct frame_queue_t {
    frame_t *head, *tail;
} frame_queue_t;

/* A message lws hands over in fragments, joined. Big messages are rare
 * (session events, long deltas): the buffer is malloc'ed for one and freed
 * once it is handled, so a call does not keep its largest message's size. */
typedef struct relay_rx_t {
    char *buf;
    apr_size_t len, cap;
    int refused; /* over its cap: the socket is closing, the rest is ignored */
} relay_rx_t;

typedef struct mark_t {
    apr_uint32_t item;  /* which assistant item it closes (item_seq) */
    apr_uint32_t bytes; /* that item's bytes sent when the mark was sent */
} mark_t;

typedef struct relay_call_t {
    apr_pool_t *pool;
    media_t *m;
    struct relay_call_t *next; /* relay->calls */
    struct lws *twilio, *openai;
    int refs; /* the Twilio socket + the OpenAI socket + jobs in flight */
    int twilio_closed, openai_closed, stopping;
    int openai_established; /* the OpenAI socket's handshake is done */
    char call_sid[40], stream_sid[40], business_id[37];
    char media_head[96];       /* {"event":"media",…"payload":" for this stream */
    apr_size_t media_head_len; /* 0 until the first audio to Twilio */
    const char *call_log_id;   /* set by the start job */
    frame_queue_t to_twilio, to_openai;
    frame_queue_t held; /* caller audio waiting for the session (media_audio.c) */
    apr_uint32_t held_count;
    unsigned char in_audio[RELAY_CHUNK_MAX_BYTES]; /* caller audio of the chunk so far */
    apr_size_t in_len;
    lws_usec_t in_since; /* when the chunk's first frame came */
    frame_t *free_small, *free_large;
    relay_rx_t rx_twilio, rx_openai; /* fragmented incoming messages */
    /* playback of the current assistant audio item */
    char item_id[64];
    apr_uint32_t item_seq;                    /* bumped per new item */
    apr_uint64_t item_sent;                   /* bytes of this item sent to Twilio */
    apr_uint64_t item_heard;                  /* bytes of this item Twilio says were played */
    apr_uint64_t item_marked;                 /* bytes of this item sent before the last mark */
    char dropped_item[64];                    /* deltas of this (truncated) item are dropped */
    unsigned char pending[RELAY_FRAME_BYTES]; /* the tail of a delta short of 20 ms */
    apr_size_t pending_len;
    unsigned char *scratch; /* decoded deltas; grows rarely */
    apr_size_t scratch_cap;
    char *b64; /* re-encoded audio; grows rarely */
    apr_size_t b64_cap;
    mark_t marks[RELAY_MARKS];
    apr_uint32_t mark_next, mark_oldest;
    int response_active; /* between response.created and response.done */
    int response_asked;  /* a response.create sent, its response.created not yet come */
    int response_wanted; /* a response is due at the next idle point (relay_respond) */
    char response_id[64];
    /* measurements */
    apr_time_t started_at, first_audio_at, speech_stopped_at;
    apr_uint64_t turns, frames_in, frames_out, frames_dropped, barge_ins;
    /* OpenAI's usage over the call's responses, its rate-limit headroom
     * (-1: not reported) and per-turn answer latency, for call_logs */
    apr_uint64_t responses, input_tokens, output_tokens, input_audio_tokens, output_audio_tokens,
        cached_tokens;
    apr_int64_t least_tokens_left, least_requests_left;
    apr_time_t turn_latency_sum, turn_latency_max;
    apr_uint64_t turns_answered;
    int greeted, emergency_pending;
    int dispatch_tried; /* by the model or the referee, reaching someone or not: never again */
    int tools_running;  /* the model's function calls not yet answered */
    int session_ready;  /* session.updated received */
    /* the OpenAI session's life (media_session.c) */
    unsigned session_no; /* 0: the first; one more per reconnect or renewal */
    unsigned reconnects; /* unplanned ones */
    int renewing;        /* we closed the session to renew it before its maximum */
    int no_reconnect;    /* OpenAI missed a deadline: the built-in engine takes over */
    int caller_speaking; /* between speech_started and speech_stopped */
    apr_time_t error_at; /* the last error event (a close right after it is no drop) */
    lws_sorted_usec_list_t ready_sul, renew_sul, retry_sul;
    char *history; /* conversation.item.create events, one per line (malloc'ed) */
    apr_size_t history_len, history_cap;
    int prewarmed; /* opened by /twilio/voice; holds a reference until a stream attaches */
    struct relay_call_t *moved_to; /* the stream joined this prewarmed call */
    lws_sorted_usec_list_t prewarm_sul;
    /* The call's language as the built-in detector follows it over the
     * caller's lines (the same algorithm and lines as the call log's): what
     * tools answer in. lang is its code. */
    ctn_language_state_t lang_state;
    unsigned caller_lines; /* spoken ones, as the detector counts them */
    char lang[3];
    /* The model's end_call or transfer_to_human, held while Twilio still
     * plays audio (the goodbye, or "let me connect you", it said just
     * before): submitted when the last mark comes back, or after
     * RELAY_PLAYOUT_WAIT_S. */
    struct relay_job_t *call_update;
    lws_sorted_usec_list_t call_update_sul;
} relay_call_t;

typedef struct relay_t {
    media_t *m;
    const char *api_key, *url, *model; /* api_key: NULL when the realtime engine is off */
    char *api_key_copy;                /* the key itself, wiped at exit (media_relay.c) */
    unsigned char stream_key[32];      /* wiped at exit too */
    struct lws_vhost *client_vhost;
    apr_thread_pool_t *workers; /* tools, database and ring writes */
    apr_thread_mutex_t *lock;   /* guards `done` */
    struct relay_job_t *done;   /* finished jobs for the loop */
    relay_call_t *calls;
    apr_uint64_t calls_total, connect_failures;
    apr_time_t last_failure_at;
    apr_size_t chunk_bytes;           /* caller audio per append, marks per this much audio */
    int session_max;                  /* seconds before a session is renewed; 0: never */
    lws_sorted_usec_list_t flush_sul; /* sends chunks left short (chunk > 1 frame) */
    int flush_scheduled;
    apr_uint64_t frames_in, frames_out, frames_dropped, barge_ins; /* of ended calls */
    apr_uint64_t turn_hist[RELAY_HIST_BUCKETS];
} relay_t;

/* Work for the thread pool and its answer for the loop. */
typedef struct relay_job_t {
    struct relay_job_t *next;
    apr_pool_t *pool;                     /* the job's own; destroyed by the loop after `finish` */
    relay_call_t *call;                   /* the loop's: read only `job` copies in `run` */
    void (*run)(struct relay_job_t *job); /* on a pool thread */
    void (*finish)(struct relay_job_t *job); /* on the loop, call still alive */
    /* copies the worker thread may read */
    const char *business_id, *call_sid, *call_log_id;
    const char *name, *arguments, *call_id; /* tools */
    const char *speaker, *text, *lang;      /* transcript lines */
    const char *result;                     /* out: JSON text for the model */
    int flag; /* dispatch_technician, referee: a dispatch was tried (reached anyone or not) */
    unsigned session_no; /* tools: the session that asked (relay_call_t.session_no) */
} relay_job_t;

/* ---- media_relay.c: the call, its events ---- */
relay_call_t *relay_call_new(media_t *m, struct lws *twilio);
void relay_call_release(relay_call_t *c); /* drop one reference; frees at zero */
/* Messages from each side (whole, reassembled). */
void relay_on_twilio(relay_call_t *c, const char *msg, apr_size_t len);
void relay_on_openai(relay_call_t *c, const char *msg, apr_size_t len);
void relay_openai_connected(relay_call_t *c);
void relay_openai_gone(relay_call_t *c, const char *why);
/* Twilio has played all the audio sent (every mark back, or cleared). */
void relay_played_out(relay_call_t *c);
/* Tell the model what it did not do itself (media_relay_jobs.c), and have
 * it say so as soon as it is not speaking or waiting for a tool. */
void relay_tell_model(relay_call_t *c, const char *note);
/* Ask for a response now (`json`: a whole response.create event), when the
 * call is known to be idle: a new session's greeting or replay. */
void relay_response_create(relay_call_t *c, const char *json);
relay_call_t *relay_prewarmed(media_t *m, const char *call_sid, const char *business_id);
relay_call_t *relay_attach(relay_call_t *provisional, relay_call_t *prewarmed);

/* ---- media_figures.c: usage, latency, the control socket's figures ---- */
void relay_record_turn_latency(relay_call_t *c, apr_time_t took);
void relay_record_usage(relay_call_t *c, json_object *response_done);
void relay_record_rate_limits(relay_call_t *c, json_object *rate_limits_updated);
void relay_record_call_stats(relay_call_t *c); /* the stream ended: to the call log */

/* ---- media_wire.c: frames, queues, reassembly, peeking ---- */
frame_t *relay_frame(relay_call_t *c, apr_size_t need);
frame_t *relay_frame_once(apr_size_t need); /* rare big messages: never kept */
/* The header of an unmasked final text frame of `len` bytes (a server's);
 * its length (2, 4 or 10 bytes). */
apr_size_t relay_ws_header(unsigned char *h, apr_size_t len);
void relay_recycle(relay_call_t *c, frame_t *f);
void relay_frames_free(relay_call_t *c);        /* what is still queued, before the pool goes */
void relay_frames_drop_openai(relay_call_t *c); /* queued for a session now closed */
void relay_enqueue(frame_queue_t *q, frame_t *f);
void relay_send_twilio(relay_call_t *c, frame_t *f);
void relay_send_openai(relay_call_t *c, frame_t *f);
void relay_send_openai_text(relay_call_t *c, const char *json);
void relay_send_twilio_text(relay_call_t *c, const char *json);
/* Write what is queued while the socket takes it; -1 to close the socket. */
int relay_write_next(relay_call_t *c, struct lws *wsi, frame_queue_t *q);
/* Join one more fragment; 0 on success, APR_ENOSPC when the message would
 * pass `max` bytes (the buffer is freed and `refused` set: the caller closes
 * the socket), -1 when memory is short. */
int relay_rx_append(relay_rx_t *rx, const void *in, apr_size_t n, apr_size_t max);
void relay_rx_free(relay_rx_t *rx);
/* The raw string value of the first "key":"…" in `msg`; 0 when absent or
 * escaped (then the caller parses the message with json-c). */
int relay_peek(const char *msg, apr_size_t len, const char *key, const char **val,
               apr_size_t *vlen);
int relay_is(const char *v, apr_size_t n, const char *s);

/* ---- media_audio.c: the audio both ways ---- */
void relay_caller_audio(relay_call_t *c, const char *payload, apr_size_t n);
void relay_caller_audio_release(relay_call_t *c); /* the session is ready: send what was held */
void relay_caller_audio_flush_due(relay_call_t *c, lws_usec_t now, lws_usec_t chunk_us);
void relay_on_mark(relay_call_t *c, const char *name, apr_size_t n);
void relay_audio_delta(relay_call_t *c, const char *item, apr_size_t in, const char *delta,
                       apr_size_t dn);
void relay_audio_done(relay_call_t *c, const char *item);
void relay_barge_in(relay_call_t *c);

/* ---- media_relay_jobs.c: the thread pool ---- */
void relay_post(relay_job_t *job); /* any thread */
relay_job_t *relay_job(relay_call_t *c, void (*run)(relay_job_t *), void (*finish)(relay_job_t *));
void relay_submit(relay_job_t *job); /* loop thread */

/* ---- media_openai.c ---- */
int relay_openai_connect(relay_call_t *c);

/* ---- media_session.c: deadline, renewal, reconnect with replay ---- */
int relay_session_connect(relay_call_t *c); /* connect, with the 3 s deadline */
void relay_session_ready(relay_call_t *c);  /* session.updated */
void relay_session_remember(relay_call_t *c, const char *speaker, const char *text);
/* A tool's result as a conversation item of its own (a system note), kept
 * in the history so that a renewed or reopened session hears it; with
 * `tell_session`, also sent to the current session (one that never saw the
 * tool's call_id cannot take a function_call_output for it). */
void relay_session_remember_tool(relay_call_t *c, const char *name, const char *result,
                                 int tell_session);
/* A fact the model learns out of band (the referee's dispatch), as a
 * system note kept in the history; with `tell_session`, sent now too. */
void relay_session_note(relay_call_t *c, const char *text, int tell_session);
/* The socket closed mid-call: 1 if a new session is on its way. */
int relay_session_lost(relay_call_t *c, const char *why);
void relay_session_end(relay_call_t *c); /* timers and history, before the pool goes */

/* ---- media_tools.c: database, ring and tools on the pool threads ---- */
void relay_job_start(relay_job_t *job);   /* the call log's id */
void relay_job_line(relay_job_t *job);    /* a transcript line: database + ring */
void relay_job_tool(relay_job_t *job);    /* a function call of the model */
void relay_job_referee(relay_job_t *job); /* emergency rules on a caller line */
void relay_job_hangup(relay_job_t *job);  /* Twilio ends the call (control socket) */
void relay_job_stats(relay_job_t *job);   /* call_logs.realtime_stats (job->result) */
int relay_tools_can_update_calls(void);   /* Twilio credentials are configured */
const char *relay_tools_json(void);       /* the tools' JSON schemas for session.update */
apr_status_t relay_tools_init(relay_t *r);

#endif
