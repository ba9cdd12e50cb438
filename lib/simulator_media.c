/* simulator_media.c: Twilio's side of a media stream (see simulator_media.h).
 *
 * A stream is a clock and three queues. The caller's frames are due every
 * 20 ms from the moment the socket opened (a late loop sends the missed ones
 * back to back, as their timestamps say). Audio from the server is "played"
 * in the order it came: `play_end` is when the last byte received will have
 * been heard (8 bytes a millisecond), and a mark is echoed when playback
 * reaches it — at once when nothing is queued, as Twilio does. `clear` drops
 * what is queued: playback ends now and every outstanding mark is returned.
 * `stop` is due `seconds` into the stream, after the frames due before it.
 *
 * What is sent every 20 ms is formatted into one buffer of the stream; marks
 * wait in a ring that only grows; received audio is decoded into a buffer
 * that only grows. Nothing on the frame path allocates once a stream is warm. */
#include "simulator_media.h"

#include "form.h"
#include "json.h"
#include "simulator.h"
#include "url.h"

#include <apr_strings.h>
#include <sodium.h>
#include <string.h>

#define DEFAULT_SECONDS 15
#define OUT_CAP         640 /* a media message is ~380 bytes */
#define MARK_INLINE     48  /* mark names up to this long are kept in the ring itself */
#define USEC_PER_BYTE   125 /* 8000 mu-law bytes a second */

typedef struct mark_t {
    apr_time_t due;        /* when playback reaches it */
    const char *long_name; /* NULL: the name is in `name` */
    char name[MARK_INLINE];
} mark_t;

typedef enum { PHASE_NEW, PHASE_CONNECTED, PHASE_STREAMING, PHASE_OVER } phase_e;

struct ctn_sim_stream_t {
    apr_pool_t *pool;
    apr_pool_t *scratch;  /* one received message's JSON; cleared per message */
    apr_pool_t *out_pool; /* mark echoes; cleared per message sent */
    const ctn_sim_media_t *media;
    ctn_sim_media_stats_t *stats;
    const char *stream_sid;
    const char *start_msg;
    const char *stop_stop; /* the stop message's "stop" member, JSON */
    phase_e phase;
    int closed_by_server;
    apr_time_t started, stop_at;
    apr_uint64_t seq;   /* sequenceNumber of the last message sent */
    apr_uint64_t chunk; /* media messages sent */
    /* the caller's audio */
    int audio_on;
    apr_size_t audio_pos;
    /* playback of the server's audio */
    int heard_any;
    apr_time_t play_end;
    mark_t *marks;
    apr_size_t mark_cap, mark_head, mark_count;
    unsigned char *rx;
    apr_size_t rx_cap;
    unsigned char frame[CTN_SIM_FRAME_BYTES];
    char out[OUT_CAP];
};

/* ------------------------------------------------------------ create --- */

ctn_sim_stream_t *ctn_sim_stream_create(apr_pool_t *pool, const ctn_sim_media_t *media,
                                        const char *account_sid, const char *call_sid,
                                        const apr_array_header_t *params,
                                        ctn_sim_media_stats_t *stats)
{
    ctn_sim_stream_t *s = apr_pcalloc(pool, sizeof(*s));
    const char *custom = "";

    s->pool = pool;
    apr_pool_create(&s->scratch, pool);
    apr_pool_create(&s->out_pool, pool);
    s->media = media;
    s->stats = stats;
    s->stream_sid = apr_pstrcat(pool, "MZ", ctn_sim_call_sid(pool) + 2, NULL);
    for (int i = 0; params && i < params->nelts; i++) {
        const ctn_form_pair_t *p = &APR_ARRAY_IDX(params, i, ctn_form_pair_t);
        custom = apr_pstrcat(pool, custom, i ? "," : "", ctn_json_quote(pool, p->name), ":",
                             ctn_json_quote(pool, p->value), NULL);
    }
    s->start_msg = apr_psprintf(
        pool,
        "{\"event\":\"start\",\"sequenceNumber\":\"1\",\"start\":{\"accountSid\":%s,"
        "\"streamSid\":\"%s\",\"callSid\":%s,\"tracks\":[\"inbound\"],\"customParameters\":{%s},"
        "\"mediaFormat\":{\"encoding\":\"audio/x-mulaw\",\"sampleRate\":8000,\"channels\":1}},"
        "\"streamSid\":\"%s\"}",
        ctn_json_quote(pool, account_sid), s->stream_sid, ctn_json_quote(pool, call_sid), custom,
        s->stream_sid);
    s->stop_stop = apr_pstrcat(pool, "{\"accountSid\":", ctn_json_quote(pool, account_sid),
                               ",\"callSid\":", ctn_json_quote(pool, call_sid), "}", NULL);
    s->mark_cap = 64;
    s->marks = apr_palloc(pool, s->mark_cap * sizeof(mark_t));
    return s;
}

/* --------------------------------------------------------------- marks --- */

static mark_t *mark_at(ctn_sim_stream_t *s, apr_size_t i)
{
    return &s->marks[(s->mark_head + i) % s->mark_cap];
}

static void mark_push(ctn_sim_stream_t *s, const char *name, apr_time_t due)
{
    mark_t *m;
    apr_size_t n = strlen(name);

    if (s->mark_count == s->mark_cap) { /* the ring only grows: twice, in order */
        mark_t *bigger = apr_palloc(s->pool, 2 * s->mark_cap * sizeof(mark_t));
        for (apr_size_t i = 0; i < s->mark_count; i++) {
            bigger[i] = *mark_at(s, i);
        }
        s->marks = bigger;
        s->mark_head = 0;
        s->mark_cap *= 2;
    }
    m = mark_at(s, s->mark_count++);
    m->due = due;
    if (n < sizeof(m->name)) {
        memcpy(m->name, name, n + 1);
        m->long_name = NULL;
    } else {
        m->long_name = apr_pstrmemdup(s->pool, name, n); /* rare: names are short */
    }
}

/* The mark echo, in the pool cleared after each message sent. */
static const char *mark_message(ctn_sim_stream_t *s, const mark_t *m, apr_size_t *len)
{
    const char *msg = apr_psprintf(
        s->out_pool,
        "{\"event\":\"mark\",\"sequenceNumber\":\"%" APR_UINT64_T_FMT
        "\",\"streamSid\":\"%s\",\"mark\":{\"name\":%s}}",
        s->seq, s->stream_sid, ctn_json_quote(s->out_pool, m->long_name ? m->long_name : m->name));

    *len = strlen(msg);
    return msg;
}

/* ---------------------------------------------------------------- send --- */

/* The caller's frame due at `t`: their audio once it has started, else silence. */
static void next_frame(ctn_sim_stream_t *s, apr_time_t t)
{
    const ctn_sim_media_t *md = s->media;
    apr_size_t n = 0;

    if (!s->audio_on && md->audio && s->audio_pos < md->audio_len) {
        if (s->heard_any && t >= s->play_end) {
            s->audio_on = 1;
            s->stats->audio_after_greeting = 1;
        } else if (t - s->started >= CTN_SIM_AUDIO_WAIT) {
            s->audio_on = 1;
            s->stats->audio_after_greeting = 0;
        }
    }
    if (s->audio_on && s->audio_pos < md->audio_len) {
        n = md->audio_len - s->audio_pos;
        n = n < CTN_SIM_FRAME_BYTES ? n : CTN_SIM_FRAME_BYTES;
        memcpy(s->frame, md->audio + s->audio_pos, n);
        s->audio_pos += n;
        s->stats->audio_frames++;
    }
    memset(s->frame + n, 0xFF, CTN_SIM_FRAME_BYTES - n); /* mu-law silence */
}

static const char *media_message(ctn_sim_stream_t *s, apr_time_t t, apr_size_t *len)
{
    char payload[CTN_SIM_FRAME_BYTES * 4 / 3 + 8];
    apr_uint64_t timestamp_ms = s->chunk * (CTN_SIM_FRAME_USEC / 1000);

    next_frame(s, t);
    sodium_bin2base64(payload, sizeof(payload), s->frame, CTN_SIM_FRAME_BYTES,
                      sodium_base64_VARIANT_ORIGINAL);
    s->chunk++;
    s->seq++;
    s->stats->frames_sent++;
    *len = (apr_size_t)apr_snprintf(
        s->out, sizeof(s->out),
        "{\"event\":\"media\",\"sequenceNumber\":\"%" APR_UINT64_T_FMT "\",\"media\":{\"track\":"
        "\"inbound\",\"chunk\":\"%" APR_UINT64_T_FMT "\",\"timestamp\":\"%" APR_UINT64_T_FMT
        "\",\"payload\":\"%s\"},\"streamSid\":\"%s\"}",
        s->seq, s->chunk, timestamp_ms, payload, s->stream_sid);
    return s->out;
}

static void over(ctn_sim_stream_t *s, apr_time_t now)
{
    s->phase = PHASE_OVER;
    s->stats->last_duration = s->started ? now - s->started : 0;
}

const char *ctn_sim_stream_next(ctn_sim_stream_t *s, apr_time_t now, apr_size_t *len,
                                apr_time_t *wake)
{
    apr_time_t media_due;

    apr_pool_clear(s->out_pool);
    *wake = 0;
    switch (s->phase) {
    case PHASE_OVER:
        return NULL;
    case PHASE_NEW:
        s->phase = PHASE_CONNECTED;
        s->started = now;
        s->stop_at =
            now + apr_time_from_sec(s->media->seconds > 0 ? s->media->seconds : DEFAULT_SECONDS);
        s->stats->streams++;
        strcpy(s->out, "{\"event\":\"connected\",\"protocol\":\"Call\",\"version\":\"1.0.0\"}");
        *len = strlen(s->out);
        return s->out;
    case PHASE_CONNECTED:
        s->phase = PHASE_STREAMING;
        s->seq = 1; /* "1" on start, +1 for each later message */
        *len = strlen(s->start_msg);
        return s->start_msg;
    case PHASE_STREAMING:
        break;
    }
    if (s->mark_count > 0 && mark_at(s, 0)->due <= now) {
        mark_t m = *mark_at(s, 0);
        s->mark_head = (s->mark_head + 1) % s->mark_cap;
        s->mark_count--;
        s->seq++;
        s->stats->marks_answered++;
        return mark_message(s, &m, len);
    }
    media_due = s->started + (apr_time_t)s->chunk * CTN_SIM_FRAME_USEC;
    if (media_due <= now && media_due < s->stop_at) {
        return media_message(s, media_due, len);
    }
    if (now >= s->stop_at) {
        s->seq++;
        over(s, now);
        *len =
            (apr_size_t)apr_snprintf(s->out, sizeof(s->out),
                                     "{\"event\":\"stop\",\"sequenceNumber\":\"%" APR_UINT64_T_FMT
                                     "\",\"stop\":%s,\"streamSid\":\"%s\"}",
                                     s->seq, s->stop_stop, s->stream_sid);
        return s->out;
    }
    *wake = media_due < s->stop_at ? media_due : s->stop_at;
    if (s->mark_count > 0 && mark_at(s, 0)->due < *wake) {
        *wake = mark_at(s, 0)->due;
    }
    return NULL;
}

/* ------------------------------------------------------------- receive --- */

static void on_media(ctn_sim_stream_t *s, json_object *media, apr_time_t now)
{
    const char *payload = ctn_json_get_string(media, "payload", NULL);
    apr_size_t b64 = payload ? strlen(payload) : 0, n = 0;
    apr_time_t start;

    if (payload == NULL) {
        s->stats->bad_messages++;
        return;
    }
    if (s->rx_cap < b64) {
        s->rx_cap = b64 * 2; /* the buffer only grows */
        s->rx = apr_palloc(s->pool, s->rx_cap);
    }
    if (sodium_base642bin(s->rx, s->rx_cap, payload, b64, NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        s->stats->bad_messages++;
        return;
    }
    s->stats->media_received++;
    s->stats->bytes_received += n;
    if (s->media->record && n > 0 &&
        apr_file_write_full(s->media->record, s->rx, n, NULL) != APR_SUCCESS) {
        s->stats->record_errors++;
    }
    start = s->play_end > now ? s->play_end : now;
    s->play_end = start + (apr_time_t)n * USEC_PER_BYTE;
    s->heard_any = 1;
}

void ctn_sim_stream_receive(ctn_sim_stream_t *s, const char *msg, apr_size_t len, apr_time_t now)
{
    json_object *o, *part = NULL;
    const char *event, *why = NULL;

    apr_pool_clear(s->scratch);
    o = ctn_json_parse(s->scratch, msg, len, &why);
    event = ctn_json_get_string(o, "event", NULL);
    if (event == NULL) {
        s->stats->bad_messages++;
    } else if (strcmp(event, "media") == 0) {
        json_object_object_get_ex(o, "media", &part);
        on_media(s, part, now);
    } else if (strcmp(event, "mark") == 0) {
        const char *name;
        json_object_object_get_ex(o, "mark", &part);
        name = ctn_json_get_string(part, "name", NULL);
        if (name == NULL) {
            s->stats->bad_messages++;
            return;
        }
        s->stats->marks_received++;
        mark_push(s, name, s->play_end > now ? s->play_end : now);
    } else if (strcmp(event, "clear") == 0) {
        /* Queued audio is dropped: Twilio returns every outstanding mark. */
        s->stats->clears++;
        s->play_end = now;
        for (apr_size_t i = 0; i < s->mark_count; i++) {
            mark_at(s, i)->due = now;
        }
    } else {
        s->stats->bad_messages++; /* a server sends only media, mark and clear */
    }
}

void ctn_sim_stream_closed(ctn_sim_stream_t *s, apr_time_t now)
{
    if (s->phase != PHASE_OVER) {
        s->closed_by_server = 1;
        s->stats->closed_by_server++;
        over(s, now);
    }
}

int ctn_sim_stream_done(const ctn_sim_stream_t *s)
{
    return s->phase == PHASE_OVER;
}

int ctn_sim_stream_closed_by_server(const ctn_sim_stream_t *s)
{
    return s->closed_by_server;
}

/* ----------------------------------------------------------------- URL --- */

/* http[s]://… as ws[s]://…, without trailing slashes. */
static const char *ws_scheme(apr_pool_t *pool, const char *url)
{
    apr_size_t n = strlen(url);
    const char *ws = url;

    while (n > 0 && url[n - 1] == '/') {
        n--;
    }
    if (strncmp(url, "https://", 8) == 0) {
        ws = apr_pstrcat(pool, "wss://", apr_pstrmemdup(pool, url + 8, n - 8), NULL);
    } else if (strncmp(url, "http://", 7) == 0) {
        ws = apr_pstrcat(pool, "ws://", apr_pstrmemdup(pool, url + 7, n - 7), NULL);
    } else {
        ws = apr_pstrmemdup(pool, url, n);
    }
    return ws;
}

const char *ctn_sim_stream_url(apr_pool_t *pool, const char *server_url, const char *stream_url)
{
    const char *server = ws_scheme(pool, server_url), *scheme_end, *path, *host_end;

    scheme_end = strstr(stream_url, "://");
    if (scheme_end == NULL) {
        path = stream_url[0] == '/' ? stream_url : apr_pstrcat(pool, "/", stream_url, NULL);
    } else {
        path = strchr(scheme_end + 3, '/');
        path = path ? path : "/";
    }
    /* the server's origin (scheme, host, port), whatever path it was given with */
    scheme_end = strstr(server, "://");
    host_end = scheme_end ? strchr(scheme_end + 3, '/') : NULL;
    if (host_end) {
        server = apr_pstrmemdup(pool, server, (apr_size_t)(host_end - server));
    }
    return ctn_url_join(pool, server, path);
}
