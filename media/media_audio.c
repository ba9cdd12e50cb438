/* media_audio.c: the audio of one call, both ways, never decoded.
 *
 * Caller → OpenAI. Twilio sends 20 ms frames (160 bytes of mu-law in base64).
 * With a chunk of one frame (CortanaMediaChunk 20) each payload becomes an
 * input_audio_buffer.append as it is: its base64 is copied between two string
 * constants into a recycled frame. With larger chunks the payloads are
 * base64-decoded into the call's chunk buffer and sent as one append per
 * chunk: fewer, larger messages are where a relay's CPU goes (each WebSocket
 * message costs a send or a receive on both sides). A chunk that stays short
 * (the caller's last words before a pause in the stream) leaves at the next
 * flush tick, at most one frame after its time. Audio that arrives before the
 * OpenAI session is ready (connecting, or reconnecting) is held, in order,
 * and sent once it is: no frame is lost to a slow upstream.
 *
 * OpenAI → caller. Audio deltas whose base64 holds whole 20 ms frames, with
 * no partial frame pending, go to Twilio as they are. Otherwise the delta is
 * decoded only to cut it into whole frames (Twilio's playback unit), the
 * remainder waiting for the next delta (or padded with silence when the item
 * is done). Each media message of at least a chunk of audio is followed by a
 * numbered mark; Twilio echoes a mark when the audio before it has played, so
 * `item_heard` is what the caller has actually heard of the current assistant
 * item.
 *
 * Barge-in (input_audio_buffer.speech_started while audio of the current
 * item is unheard): response.cancel if a response is running,
 * conversation.item.truncate with audio_end_ms = item_heard / 8 (8 bytes per
 * millisecond; never more than was sent), Twilio `clear`, and the late
 * deltas of that item dropped. Playback state belongs to an item and starts
 * afresh with the next one, so the second reply after an uninterrupted first
 * is truncated at what was heard of the second. */
#include "media_relay.h"

#include "log.h"

#include <apr_strings.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* -------------------------------------------------------- caller → OpenAI */

static void hold(relay_call_t *c, frame_t *f)
{
    if (c->held_count >= RELAY_HELD_MAX) { /* 10-30 s of audio: the oldest goes */
        frame_t *old = c->held.head;
        c->held.head = old->next;
        if (c->held.head == NULL) {
            c->held.tail = NULL;
        }
        relay_recycle(c, old);
        c->held_count--;
        c->frames_dropped++;
    }
    relay_enqueue(&c->held, f);
    c->held_count++;
}

/* One append of `n` base64 characters, now or once the session is ready. */
static void append_b64(relay_call_t *c, const char *b64, apr_size_t n)
{
    static const char head[] = "{\"type\":\"input_audio_buffer.append\",\"audio\":\"";
    static const char tail[] = "\"}";
    frame_t *f = relay_frame(c, sizeof(head) + n + sizeof(tail));
    unsigned char *o = f->data + LWS_PRE;

    memcpy(o, head, sizeof(head) - 1);
    memcpy(o + sizeof(head) - 1, b64, n);
    memcpy(o + sizeof(head) - 1 + n, tail, sizeof(tail) - 1);
    f->len = sizeof(head) - 1 + n + sizeof(tail) - 1;
    if (c->session_ready && c->openai != NULL && !c->openai_closed) {
        relay_send_openai(c, f);
    } else {
        hold(c, f);
    }
}

/* Send the chunk buffer's audio as one append. */
static void flush_chunk(relay_call_t *c)
{
    char b64[sodium_base64_ENCODED_LEN(RELAY_CHUNK_MAX_BYTES, sodium_base64_VARIANT_ORIGINAL)];

    if (c->in_len == 0) {
        return;
    }
    sodium_bin2base64(b64, sizeof(b64), c->in_audio, c->in_len, sodium_base64_VARIANT_ORIGINAL);
    append_b64(c, b64, strlen(b64));
    c->in_len = 0;
}

void relay_caller_audio(relay_call_t *c, const char *payload, apr_size_t n)
{
    apr_size_t chunk = c->m->relay->chunk_bytes, got = 0;

    c->frames_in++;
    if (c->stopping) {
        return;
    }
    if (chunk <= RELAY_FRAME_BYTES ||
        n > sodium_base64_ENCODED_LEN(RELAY_FRAME_BYTES, sodium_base64_VARIANT_ORIGINAL)) {
        flush_chunk(c); /* keep the order */
        append_b64(c, payload, n);
        return;
    }
    if (c->in_len + RELAY_FRAME_BYTES > sizeof(c->in_audio)) {
        flush_chunk(c);
    }
    if (sodium_base642bin(c->in_audio + c->in_len, sizeof(c->in_audio) - c->in_len, payload, n,
                          NULL, &got, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
        ctn_log_warning(c->call_sid, "a media payload that is not base64: dropped");
        return;
    }
    if (c->in_len == 0) {
        c->in_since = lws_now_usecs();
    }
    c->in_len += got;
    if (c->in_len >= chunk) {
        flush_chunk(c);
    }
}

void relay_caller_audio_flush_due(relay_call_t *c, lws_usec_t now, lws_usec_t chunk_us)
{
    if (c->in_len > 0 && now - c->in_since >= chunk_us) {
        flush_chunk(c);
    }
}

void relay_caller_audio_release(relay_call_t *c)
{
    if (c->held.head == NULL || c->openai == NULL || c->openai_closed) {
        return;
    }
    if (c->to_openai.tail) {
        c->to_openai.tail->next = c->held.head;
    } else {
        c->to_openai.head = c->held.head;
    }
    c->to_openai.tail = c->held.tail;
    c->held.head = c->held.tail = NULL;
    c->held_count = 0;
    lws_callback_on_writable(c->openai);
}

/* -------------------------------------------------------- OpenAI → caller */

void relay_on_mark(relay_call_t *c, const char *name, apr_size_t n)
{
    unsigned long idx;
    char buf[16];

    if (n < 2 || n > 10 || name[0] != 'm') {
        return;
    }
    memcpy(buf, name + 1, n - 1);
    buf[n - 1] = '\0';
    idx = strtoul(buf, NULL, 10);
    if (idx >= c->mark_oldest && idx < c->mark_next) {
        const mark_t *mk = &c->marks[idx % RELAY_MARKS];
        if (mk->item == c->item_seq && mk->bytes > c->item_heard) {
            c->item_heard = mk->bytes;
        }
        c->mark_oldest = (apr_uint32_t)idx + 1;
        if (c->call_update && c->mark_oldest == c->mark_next) {
            relay_played_out(c);
        }
    }
}

#define MARK_JSON_MAX 128

/* The next numbered mark, closing what was sent of the item so far, as
 * JSON in `json`; its length. */
static apr_size_t next_mark(relay_call_t *c, char *json)
{
    mark_t *mk;
    apr_size_t n;

    if (c->mark_next - c->mark_oldest >= RELAY_MARKS) {
        c->mark_oldest = c->mark_next - RELAY_MARKS + 1; /* forget the oldest */
    }
    mk = &c->marks[c->mark_next % RELAY_MARKS];
    mk->item = c->item_seq;
    mk->bytes = (apr_uint32_t)c->item_sent;
    n = (apr_size_t)apr_snprintf(json, MARK_JSON_MAX,
                                 "{\"event\":\"mark\",\"streamSid\":\"%s\",\"mark\":{\"name\":"
                                 "\"m%u\"}}",
                                 c->stream_sid, c->mark_next);
    c->mark_next++;
    c->item_marked = c->item_sent;
    return n;
}

static void send_mark(relay_call_t *c)
{
    char json[MARK_JSON_MAX]; /* formatted on the stack, sent in a recycled frame */

    next_mark(c, json);
    relay_send_twilio_text(c, json);
}

static void first_audio_measures(relay_call_t *c)
{
    if (c->first_audio_at == 0) {
        c->first_audio_at = apr_time_now();
        ctn_log_info(c->call_sid,
                     "first audio to the caller %" APR_TIME_T_FMT " ms after the stream started",
                     apr_time_as_msec(c->first_audio_at - c->started_at));
    }
    if (c->speech_stopped_at) {
        apr_time_t took = apr_time_now() - c->speech_stopped_at;
        relay_record_turn_latency(c, took);
        ctn_log_info(c->call_sid,
                     "turn %" APR_UINT64_T_FMT ": first audio %" APR_TIME_T_FMT
                     " ms after the caller stopped speaking",
                     c->turns, apr_time_as_msec(took));
        c->speech_stopped_at = 0;
    }
}

/* One media message carrying `b64` (base64 of `bytes`, whole frames), and
 * the mark that follows it when a chunk of audio has gone since the last:
 * then both WebSocket frames are built here and leave in one write (one
 * send instead of two; Twilio reads two messages). */
static void send_audio_b64(relay_call_t *c, const char *b64, apr_size_t n, apr_size_t bytes)
{
    static const char tail[] = "\"}}";
    char mark[MARK_JSON_MAX];
    apr_size_t hn, media_len, mark_len = 0;
    int marked = c->item_sent + bytes - c->item_marked >= c->m->relay->chunk_bytes;
    frame_t *f;
    unsigned char *o;

    if (c->media_head_len == 0) { /* the stream's SID is known by now: once per call */
        c->media_head_len = (apr_size_t)apr_snprintf(
            c->media_head, sizeof(c->media_head),
            "{\"event\":\"media\",\"streamSid\":\"%s\",\"media\":{\"payload\":\"", c->stream_sid);
    }
    hn = c->media_head_len;
    media_len = hn + n + sizeof(tail) - 1;
    f = relay_frame(c, media_len + (marked ? 2 * 10 + MARK_JSON_MAX : 0));
    o = f->data + LWS_PRE;

    c->item_sent += bytes;
    c->frames_out += bytes / RELAY_FRAME_BYTES;
    if (marked) {
        mark_len = next_mark(c, mark);
        o += relay_ws_header(o, media_len);
    }
    memcpy(o, c->media_head, hn);
    memcpy(o + hn, b64, n);
    memcpy(o + hn + n, tail, sizeof(tail) - 1);
    o += media_len;
    if (marked) {
        o += relay_ws_header(o, mark_len);
        memcpy(o, mark, mark_len);
        o += mark_len;
        f->raw = 1;
    }
    f->len = (apr_size_t)(o - (f->data + LWS_PRE));
    relay_send_twilio(c, f);
    first_audio_measures(c);
}

/* Send `n` bytes of mu-law (whole frames), base64-encoded in the scratch. */
static void send_audio(relay_call_t *c, const unsigned char *audio, apr_size_t n)
{
    apr_size_t b64 = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
    char *out;

    if (c->b64_cap < b64) {
        c->b64_cap = 2 * b64;
        c->b64 = apr_palloc(c->pool, c->b64_cap); /* rare: only grows */
    }
    out = c->b64;
    sodium_bin2base64(out, b64, audio, n, sodium_base64_VARIANT_ORIGINAL);
    send_audio_b64(c, out, b64 - 1, n);
}

static void new_item(relay_call_t *c, const char *id, apr_size_t n)
{
    apr_size_t k = n < sizeof(c->item_id) - 1 ? n : sizeof(c->item_id) - 1;

    memcpy(c->item_id, id, k);
    c->item_id[k] = '\0';
    c->item_seq++;
    c->item_sent = 0;
    c->item_heard = 0;
    c->item_marked = 0;
    c->pending_len = 0;
}

/* The bytes a padded base64 string of `n` characters decodes to, or 0 when
 * it is not one (then it goes the decoding way, which checks it). */
static apr_size_t b64_decoded_len(const char *b64, apr_size_t n)
{
    if (n == 0 || n % 4 != 0) {
        return 0;
    }
    return n / 4 * 3 - (b64[n - 1] == '=') - (b64[n - 2] == '=');
}

void relay_audio_delta(relay_call_t *c, const char *item, apr_size_t in, const char *delta,
                       apr_size_t dn)
{
    apr_size_t bin_len = 0, whole;

    if (c->dropped_item[0] && relay_is(item, in, c->dropped_item)) {
        return; /* late audio of a truncated item */
    }
    if (!relay_is(item, in, c->item_id)) {
        new_item(c, item, in);
    }
    if (c->pending_len == 0) {
        apr_size_t bytes = b64_decoded_len(delta, dn);
        if (bytes > 0 && bytes % RELAY_FRAME_BYTES == 0) {
            send_audio_b64(c, delta, dn, bytes); /* whole frames: as they came */
            return;
        }
    }
    /* The pending tail first, then the decoded delta (shorter than its
     * base64), in the call's scratch buffer, which only ever grows. */
    if (c->scratch_cap < c->pending_len + dn) {
        c->scratch_cap = 2 * (c->pending_len + dn);
        c->scratch = apr_palloc(c->pool, c->scratch_cap);
    }
    memcpy(c->scratch, c->pending, c->pending_len);
    if (sodium_base642bin(c->scratch + c->pending_len, c->scratch_cap - c->pending_len, delta, dn,
                          NULL, &bin_len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
        ctn_log_warning(c->call_sid, "an audio delta that is not base64: dropped");
        return;
    }
    bin_len += c->pending_len;
    whole = bin_len - bin_len % RELAY_FRAME_BYTES;
    if (whole > 0) {
        send_audio(c, c->scratch, whole);
    }
    c->pending_len = bin_len - whole;
    memcpy(c->pending, c->scratch + whole, c->pending_len);
}

/* The item's audio is complete: its last partial frame is padded with
 * mu-law silence (0xFF) to a whole 20 ms, and a last mark tells when the
 * caller has heard all of it. */
void relay_audio_done(relay_call_t *c, const char *item)
{
    if (strcmp(item, c->item_id) != 0 || strcmp(item, c->dropped_item) == 0) {
        return;
    }
    if (c->pending_len > 0) {
        memset(c->pending + c->pending_len, 0xFF, RELAY_FRAME_BYTES - c->pending_len);
        c->pending_len = 0;
        send_audio(c, c->pending, RELAY_FRAME_BYTES);
    }
    if (c->item_sent > c->item_marked) {
        send_mark(c);
    }
}

void relay_barge_in(relay_call_t *c)
{
    apr_uint64_t heard = c->item_heard < c->item_sent ? c->item_heard : c->item_sent;
    char json[192];

    if (c->item_id[0] == '\0' || c->item_sent <= c->item_heard ||
        strcmp(c->item_id, c->dropped_item) == 0) {
        /* Nothing unheard, or the item was cut off already (the caller
         * speaks again before the next reply has audio): the caller is not
         * interrupting anything. */
        return;
    }
    if (c->response_active) {
        relay_send_openai_text(c, "{\"type\":\"response.cancel\"}");
    }
    apr_snprintf(json, sizeof(json),
                 "{\"type\":\"conversation.item.truncate\",\"item_id\":\"%s\","
                 "\"content_index\":0,\"audio_end_ms\":%" APR_UINT64_T_FMT "}",
                 c->item_id, heard / 8);
    relay_send_openai_text(c, json);
    apr_snprintf(json, sizeof(json), "{\"event\":\"clear\",\"streamSid\":\"%s\"}", c->stream_sid);
    relay_send_twilio_text(c, json);
    apr_cpystrn(c->dropped_item, c->item_id, sizeof(c->dropped_item));
    c->pending_len = 0;
    c->mark_oldest = c->mark_next; /* Twilio returns the cleared marks: ignore them */
    if (c->call_update) {
        relay_played_out(c);
    }
    c->barge_ins++;
    ctn_log_info(c->call_sid,
                 "barge-in: truncated %s at %" APR_UINT64_T_FMT " ms of %" APR_UINT64_T_FMT
                 " ms sent",
                 c->item_id, heard / 8, c->item_sent / 8);
}
