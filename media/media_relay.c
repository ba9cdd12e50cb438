/* media_relay.c: one call relayed between Twilio and OpenAI Realtime.
 *
 * Audio is never decoded: Twilio's base64 mu-law payloads become
 * input_audio_buffer.append as they are (the payload is copied between two
 * string constants into a recycled frame), and the model's audio deltas are
 * base64-decoded only to cut them into whole 20 ms frames (160 bytes) —
 * Twilio's playback unit — then re-encoded, each group followed by a
 * numbered mark. Twilio echoes a mark when the audio before it has played,
 * so `item_heard` is what the caller has actually heard of the current
 * assistant item.
 *
 * Barge-in (input_audio_buffer.speech_started while audio of the current
 * item is unheard): response.cancel if a response is running,
 * conversation.item.truncate with audio_end_ms = item_heard / 8 (8 bytes per
 * millisecond; never more than was sent), Twilio `clear`, and the late
 * deltas of that item dropped. Playback state belongs to an item and starts
 * afresh with the next one, so the second reply after an uninterrupted first
 * is truncated at what was heard of the second.
 *
 * Tool calls, transcript lines and the emergency referee run on the thread
 * pool (media_tools.c); their results come back through relay_post() and
 * are handled here, on the loop, in media_relay_drain(). */
#include "media_relay.h"

#include "json.h"
#include "log.h"
#include "stream_token.h"

#include <apr_strings.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define SMALL_FRAME 1024
#define LARGE_FRAME 16384

/* ----------------------------------------------------------------- frames */

frame_t *relay_frame(relay_call_t *c, apr_size_t need)
{
    frame_t **list = need <= SMALL_FRAME ? &c->free_small : &c->free_large;
    frame_t *f = *list;

    if (f != NULL && f->cap >= need) {
        *list = f->next;
    } else {
        apr_size_t cap =
            need <= SMALL_FRAME ? SMALL_FRAME : (need > LARGE_FRAME ? need : LARGE_FRAME);
        f = apr_palloc(c->pool, sizeof(frame_t) + LWS_PRE + cap);
        f->cap = cap;
    }
    f->next = NULL;
    f->len = 0;
    return f;
}

static void recycle(relay_call_t *c, frame_t *f)
{
    frame_t **list = f->cap <= SMALL_FRAME ? &c->free_small : &c->free_large;

    f->next = *list;
    *list = f;
}

static void enqueue(frame_queue_t *q, frame_t *f)
{
    if (q->tail) {
        q->tail->next = f;
    } else {
        q->head = f;
    }
    q->tail = f;
}

void relay_send_twilio(relay_call_t *c, frame_t *f)
{
    if (c->twilio == NULL || c->twilio_closed) {
        recycle(c, f);
        return;
    }
    enqueue(&c->to_twilio, f);
    lws_callback_on_writable(c->twilio);
}

void relay_send_openai(relay_call_t *c, frame_t *f)
{
    if (c->openai == NULL || c->openai_closed) {
        recycle(c, f);
        return;
    }
    enqueue(&c->to_openai, f);
    lws_callback_on_writable(c->openai);
}

static frame_t *text_frame(relay_call_t *c, const char *json)
{
    apr_size_t n = strlen(json);
    frame_t *f = relay_frame(c, n);

    memcpy(f->data + LWS_PRE, json, n);
    f->len = n;
    return f;
}

void relay_send_openai_text(relay_call_t *c, const char *json)
{
    relay_send_openai(c, text_frame(c, json));
}

void relay_send_twilio_text(relay_call_t *c, const char *json)
{
    relay_send_twilio(c, text_frame(c, json));
}

int relay_write_next(relay_call_t *c, struct lws *wsi, frame_queue_t *q)
{
    frame_t *f = q->head;

    if (f == NULL) {
        return 0;
    }
    q->head = f->next;
    if (q->head == NULL) {
        q->tail = NULL;
    }
    if (lws_write(wsi, f->data + LWS_PRE, f->len, LWS_WRITE_TEXT) < (int)f->len) {
        recycle(c, f);
        return -1;
    }
    recycle(c, f);
    if (q->head) {
        lws_callback_on_writable(wsi);
    }
    return 0;
}

void relay_rx_append(relay_call_t *c, char **buf, apr_size_t *len, apr_size_t *cap, const void *in,
                     apr_size_t n)
{
    if (*len + n + 1 > *cap) {
        apr_size_t want = *cap ? *cap : 4096;
        char *grown;
        while (want < *len + n + 1) {
            want *= 2;
        }
        grown = apr_palloc(c->pool, want); /* rare: the buffer only grows */
        if (*len) {
            memcpy(grown, *buf, *len);
        }
        *buf = grown;
        *cap = want;
    }
    memcpy(*buf + *len, in, n);
    *len += n;
    (*buf)[*len] = '\0';
}

/* ------------------------------------------------------------- the call --- */

relay_call_t *relay_call_new(media_t *m, struct lws *twilio)
{
    apr_pool_t *pool;
    relay_call_t *c;

    apr_pool_create(&pool, m->pool);
    c = apr_pcalloc(pool, sizeof(*c));
    c->pool = pool;
    c->m = m;
    c->twilio = twilio;
    c->refs = 1;
    c->started_at = apr_time_now();
    apr_cpystrn(c->lang, "en", sizeof(c->lang));
    c->next = m->relay->calls;
    m->relay->calls = c;
    m->relay->calls_total++;
    return c;
}

void relay_call_release(relay_call_t *c)
{
    relay_t *r = c->m->relay;

    if (--c->refs > 0) {
        return;
    }
    for (relay_call_t **p = &r->calls; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    apr_pool_destroy(c->pool);
}

/* ---------------------------------------------------------- JSON peeking --- */

/* The raw string value of the first "key": "…" in `msg` (whitespace around
 * the colon allowed; no escapes expected: ids, base64, event names). 0 when
 * absent or escaped. */
static int peek(const char *msg, apr_size_t len, const char *key, const char **val,
                apr_size_t *vlen)
{
    apr_size_t kn = strlen(key);
    const char *end = msg + len, *p, *q;

    for (p = msg; p + kn + 2 < end; p++) {
        if (*p != '"' || memcmp(p + 1, key, kn) != 0 || p[kn + 1] != '"') {
            continue;
        }
        q = p + kn + 2;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')) {
            q++;
        }
        if (q >= end || *q != ':') {
            continue;
        }
        q++;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')) {
            q++;
        }
        if (q >= end || *q != '"') {
            continue;
        }
        p = ++q;
        while (q < end && *q != '"') {
            if (*q == '\\') {
                return 0; /* escaped: not for the fast path */
            }
            q++;
        }
        if (q >= end) {
            return 0;
        }
        *val = p;
        *vlen = (apr_size_t)(q - p);
        return 1;
    }
    return 0;
}

static int is(const char *v, apr_size_t n, const char *s)
{
    return strlen(s) == n && memcmp(v, s, n) == 0;
}

/* ------------------------------------------------------- Twilio → OpenAI --- */

static void forward_caller_audio(relay_call_t *c, const char *payload, apr_size_t n)
{
    static const char head[] = "{\"type\":\"input_audio_buffer.append\",\"audio\":\"";
    static const char tail[] = "\"}";
    frame_t *f;
    unsigned char *o;

    c->frames_in++;
    if (c->openai == NULL || c->openai_closed || !c->greeted) {
        return; /* before the session is ready the caller is hearing the greeting */
    }
    f = relay_frame(c, sizeof(head) + n + sizeof(tail));
    o = f->data + LWS_PRE;
    memcpy(o, head, sizeof(head) - 1);
    memcpy(o + sizeof(head) - 1, payload, n);
    memcpy(o + sizeof(head) - 1 + n, tail, sizeof(tail) - 1);
    f->len = sizeof(head) - 1 + n + sizeof(tail) - 1;
    relay_send_openai(c, f);
}

static void on_mark(relay_call_t *c, const char *name, apr_size_t n)
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
    }
}

static void on_start(relay_call_t *c, const char *msg, apr_size_t len)
{
    relay_t *r = c->m->relay;
    const char *why = NULL, *token, *business = NULL;
    json_object *o = ctn_json_parse(c->pool, msg, len, &why), *start = NULL, *params = NULL;
    relay_job_t *job;
    relay_call_t *w;

    if (o == NULL || !json_object_object_get_ex(o, "start", &start)) {
        ctn_log_warning(NULL, "media stream: a start event without start: %s", why ? why : "");
        c->stopping = 1;
        return;
    }
    apr_cpystrn(c->stream_sid, ctn_json_get_string(start, "streamSid", ""), sizeof(c->stream_sid));
    apr_cpystrn(c->call_sid, ctn_json_get_string(start, "callSid", ""), sizeof(c->call_sid));
    json_object_object_get_ex(start, "customParameters", &params);
    token = ctn_json_get_string(params, "token", NULL);
    if (ctn_stream_token_verify(&business, &why, c->pool, r->stream_key, token, c->call_sid,
                                apr_time_now()) != APR_SUCCESS) {
        ctn_log_warning(c->call_sid[0] ? c->call_sid : NULL, "media stream refused: %s", why);
        c->stopping = 1;
        return;
    }
    apr_cpystrn(c->business_id, business, sizeof(c->business_id));
    if ((w = relay_prewarmed(c->m, c->call_sid, c->business_id)) != NULL) {
        relay_attach(c, w); /* the stream callback switches to `w` */
        return;
    }
    ctn_log_info(c->call_sid, "media stream %s started", c->stream_sid);
    job = relay_job(c, relay_job_start, NULL);
    relay_submit(job);
    if (relay_openai_connect(c) != 0) {
        relay_openai_gone(c, "cannot connect to OpenAI Realtime");
    }
}

static void greet(relay_call_t *c);

/* The prewarmed session of `call_sid` (verified business), or NULL. */
relay_call_t *relay_prewarmed(media_t *m, const char *call_sid, const char *business_id)
{
    for (relay_call_t *w = m->relay->calls; w; w = w->next) {
        if (w->prewarmed && w->twilio == NULL && strcmp(w->call_sid, call_sid) == 0 &&
            strcmp(w->business_id, business_id) == 0) {
            return w;
        }
    }
    return NULL;
}

/* Move Twilio's stream from its provisional call `c` to the prewarmed `w`. */
relay_call_t *relay_attach(relay_call_t *c, relay_call_t *w)
{
    w->twilio = c->twilio;
    w->twilio_closed = 0;
    apr_cpystrn(w->stream_sid, c->stream_sid, sizeof(w->stream_sid));
    w->started_at = c->started_at;
    w->prewarmed = 0;
    lws_sul_cancel(&w->prewarm_sul); /* its reference now belongs to the stream */
    c->twilio = NULL;
    c->twilio_closed = 1;
    c->moved_to = w; /* released by media_server.c once it holds `w` */
    ctn_log_info(w->call_sid, "media stream %s joined its prewarmed session", w->stream_sid);
    greet(w);
    if (w->to_twilio.head) {
        lws_callback_on_writable(w->twilio);
    }
    return w;
}

static void prewarm_expired(lws_sorted_usec_list_t *sul)
{
    relay_call_t *w = lws_container_of(sul, relay_call_t, prewarm_sul);

    if (w->prewarmed) {
        ctn_log_info(w->call_sid, "no media stream came for the prewarmed session: closed");
        w->prewarmed = 0;
        w->stopping = 1;
        if (w->openai && !w->openai_closed) {
            lws_callback_on_writable(w->openai);
        }
        relay_call_release(w);
    }
}

apr_status_t media_relay_prewarm(media_t *m, const char *call_sid, const char *business_id)
{
    relay_call_t *w;

    if (m->relay == NULL || m->relay->api_key == NULL || call_sid == NULL || business_id == NULL ||
        strlen(call_sid) >= sizeof(w->call_sid) || strlen(business_id) != 36 ||
        relay_prewarmed(m, call_sid, business_id)) {
        return APR_EINVAL;
    }
    w = relay_call_new(m, NULL);
    w->prewarmed = 1;
    apr_cpystrn(w->call_sid, call_sid, sizeof(w->call_sid));
    apr_cpystrn(w->business_id, business_id, sizeof(w->business_id));
    relay_submit(relay_job(w, relay_job_start, NULL));
    if (relay_openai_connect(w) != 0) {
        w->prewarmed = 0;
        relay_call_release(w);
        return APR_EGENERAL;
    }
    lws_sul_schedule(m->context, 0, &w->prewarm_sul, prewarm_expired,
                     (lws_usec_t)RELAY_PREWARM_TTL * LWS_USEC_PER_SEC);
    return APR_SUCCESS;
}

void relay_on_twilio(relay_call_t *c, const char *msg, apr_size_t len)
{
    const char *event, *v;
    apr_size_t n, vn;

    if (!peek(msg, len, "event", &event, &n)) {
        ctn_log_warning(c->call_sid[0] ? c->call_sid : NULL,
                        "media stream: a message without event");
        return;
    }
    if (is(event, n, "media")) {
        if (peek(msg, len, "payload", &v, &vn)) {
            forward_caller_audio(c, v, vn);
        }
    } else if (is(event, n, "mark")) {
        if (peek(msg, len, "name", &v, &vn)) {
            on_mark(c, v, vn);
        }
    } else if (is(event, n, "start")) {
        on_start(c, msg, len);
    } else if (is(event, n, "stop")) {
        ctn_log_info(c->call_sid, "media stream stopped by Twilio");
        c->stopping = 1;
        if (c->openai && !c->openai_closed) {
            lws_callback_on_writable(c->openai); /* closes it */
        }
    }
}

/* ------------------------------------------------------- OpenAI → Twilio --- */

static void send_mark(relay_call_t *c)
{
    mark_t *mk;

    if (c->mark_next - c->mark_oldest >= RELAY_MARKS) {
        c->mark_oldest = c->mark_next - RELAY_MARKS + 1; /* forget the oldest */
    }
    mk = &c->marks[c->mark_next % RELAY_MARKS];
    mk->item = c->item_seq;
    mk->bytes = c->item_sent;
    {
        char json[128]; /* formatted on the stack, sent in a recycled frame */
        apr_snprintf(json, sizeof(json),
                     "{\"event\":\"mark\",\"streamSid\":\"%s\",\"mark\":{\"name\":\"m%u\"}}",
                     c->stream_sid, c->mark_next);
        relay_send_twilio_text(c, json);
    }
    c->mark_next++;
}

/* Send `n` bytes of mu-law (a whole number of frames) as one media message. */
static void send_audio(relay_call_t *c, const unsigned char *audio, apr_size_t n)
{
    static const char tail[] = "\"}}";
    char head[96];
    apr_size_t hn = (apr_size_t)apr_snprintf(head, sizeof(head),
                                             "{\"event\":\"media\",\"streamSid\":\"%s\",\"media\":"
                                             "{\"payload\":\"",
                                             c->stream_sid);
    apr_size_t b64 = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
    frame_t *f = relay_frame(c, hn + b64 + sizeof(tail));
    unsigned char *o = f->data + LWS_PRE;

    memcpy(o, head, hn);
    sodium_bin2base64((char *)o + hn, b64, audio, n, sodium_base64_VARIANT_ORIGINAL);
    memcpy(o + hn + b64 - 1, tail, sizeof(tail) - 1);
    f->len = hn + b64 - 1 + sizeof(tail) - 1;
    relay_send_twilio(c, f);
    c->item_sent += n;
    c->frames_out += n / RELAY_FRAME_BYTES;
    if (c->first_audio_at == 0) {
        c->first_audio_at = apr_time_now();
        ctn_log_info(c->call_sid,
                     "first audio to the caller %" APR_TIME_T_FMT " ms after the "
                     "stream started",
                     apr_time_as_msec(c->first_audio_at - c->started_at));
    }
    if (c->speech_stopped_at) {
        ctn_log_info(c->call_sid,
                     "turn %" APR_UINT64_T_FMT ": first audio %" APR_TIME_T_FMT
                     " ms after the caller stopped speaking",
                     c->turns, apr_time_as_msec(apr_time_now() - c->speech_stopped_at));
        c->speech_stopped_at = 0;
    }
    send_mark(c);
}

static void new_item(relay_call_t *c, const char *id, apr_size_t n)
{
    apr_size_t k = n < sizeof(c->item_id) - 1 ? n : sizeof(c->item_id) - 1;

    memcpy(c->item_id, id, k);
    c->item_id[k] = '\0';
    c->item_seq++;
    c->item_sent = 0;
    c->item_heard = 0;
    c->pending_len = 0;
}

static void on_audio_delta(relay_call_t *c, const char *msg, apr_size_t len)
{
    const char *item, *delta;
    apr_size_t in, dn, bin_len = 0, whole;

    if (!peek(msg, len, "item_id", &item, &in) || !peek(msg, len, "delta", &delta, &dn)) {
        return;
    }
    if (c->dropped_item[0] && is(item, in, c->dropped_item)) {
        return; /* late audio of a truncated item */
    }
    if (!is(item, in, c->item_id)) {
        new_item(c, item, in);
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
 * mu-law silence (0xFF) to a whole 20 ms. */
static void on_audio_done(relay_call_t *c)
{
    if (c->pending_len > 0) {
        memset(c->pending + c->pending_len, 0xFF, RELAY_FRAME_BYTES - c->pending_len);
        c->pending_len = 0;
        send_audio(c, c->pending, RELAY_FRAME_BYTES);
    }
}

static void barge_in(relay_call_t *c)
{
    apr_uint64_t heard = c->item_heard < c->item_sent ? c->item_heard : c->item_sent;

    if (c->item_id[0] == '\0' || c->item_sent <= c->item_heard) {
        return; /* nothing unheard: the caller is not interrupting anything */
    }
    if (c->response_active) {
        relay_send_openai_text(c, "{\"type\":\"response.cancel\"}");
    }
    {
        char json[192];
        apr_snprintf(json, sizeof(json),
                     "{\"type\":\"conversation.item.truncate\",\"item_id\":\"%s\","
                     "\"content_index\":0,\"audio_end_ms\":%" APR_UINT64_T_FMT "}",
                     c->item_id, heard / 8);
        relay_send_openai_text(c, json);
        apr_snprintf(json, sizeof(json), "{\"event\":\"clear\",\"streamSid\":\"%s\"}",
                     c->stream_sid);
        relay_send_twilio_text(c, json);
    }
    apr_cpystrn(c->dropped_item, c->item_id, sizeof(c->dropped_item));
    c->pending_len = 0;
    c->mark_oldest = c->mark_next; /* Twilio returns the cleared marks: ignore them */
    c->barge_ins++;
    ctn_log_info(c->call_sid,
                 "barge-in: truncated %s at %" APR_UINT64_T_FMT " ms of %" APR_UINT64_T_FMT
                 " ms sent",
                 c->item_id, heard / 8, c->item_sent / 8);
}

static void line(relay_call_t *c, const char *speaker, const char *text)
{
    relay_job_t *job;

    if (text == NULL || *text == '\0') {
        return;
    }
    job = relay_job(c, relay_job_line, NULL);
    job->speaker = speaker;
    job->text = apr_pstrdup(job->pool, text);
    job->lang = apr_pstrdup(job->pool, c->lang);
    relay_submit(job);
    if (strcmp(speaker, "caller") == 0 && !c->dispatched) {
        job = relay_job(c, relay_job_referee, NULL);
        job->text = apr_pstrdup(job->pool, text);
        relay_submit(job);
    }
}

static void tool_done(relay_job_t *job)
{
    relay_call_t *c = job->call;

    if (strcmp(job->name, "dispatch_technician") == 0 && job->flag) {
        c->dispatched = 1;
    }
    relay_send_openai_text(
        c, apr_psprintf(c->pool,
                        "{\"type\":\"conversation.item.create\",\"item\":{\"type\":"
                        "\"function_call_output\",\"call_id\":%s,\"output\":%s}}",
                        ctn_json_quote(c->pool, job->call_id),
                        ctn_json_quote(c->pool, job->result ? job->result : "{\"ok\":false}")));
    relay_send_openai_text(c, "{\"type\":\"response.create\"}");
}

/* The model goes on from the TwiML greeting once both the session and the
 * caller's stream are there (a prewarmed session waits for the stream). */
static void greet(relay_call_t *c)
{
    if (!c->greeted && c->session_ready && c->twilio != NULL && !c->twilio_closed) {
        c->greeted = 1;
        relay_send_openai_text(c, "{\"type\":\"response.create\",\"response\":{\"instructions\":"
                                  "\"The caller has just heard the greeting. Ask briefly how you "
                                  "can help.\"}}");
    }
}

static void on_event(relay_call_t *c, const char *type, json_object *o)
{
    if (strcmp(type, "session.created") == 0) {
        /* session.update is sent once the start job has the instructions */
    } else if (strcmp(type, "session.updated") == 0) {
        c->session_ready = 1;
        greet(c);
    } else if (strcmp(type, "response.created") == 0) {
        json_object *resp = NULL;
        c->response_active = 1;
        json_object_object_get_ex(o, "response", &resp);
        apr_cpystrn(c->response_id, ctn_json_get_string(resp, "id", ""), sizeof(c->response_id));
    } else if (strcmp(type, "response.done") == 0) {
        c->response_active = 0;
    } else if (strcmp(type, "input_audio_buffer.speech_started") == 0) {
        barge_in(c);
    } else if (strcmp(type, "input_audio_buffer.speech_stopped") == 0) {
        c->speech_stopped_at = apr_time_now();
        c->turns++;
    } else if (strcmp(type, "conversation.item.input_audio_transcription.completed") == 0) {
        line(c, "caller", ctn_json_get_string(o, "transcript", NULL));
    } else if (strcmp(type, "response.output_audio_transcript.done") == 0 ||
               strcmp(type, "response.audio_transcript.done") == 0) {
        line(c, "cortana", ctn_json_get_string(o, "transcript", NULL));
    } else if (strcmp(type, "response.output_audio.done") == 0 ||
               strcmp(type, "response.audio.done") == 0) {
        const char *item = ctn_json_get_string(o, "item_id", "");
        if (strcmp(item, c->item_id) == 0 && strcmp(item, c->dropped_item) != 0) {
            on_audio_done(c);
        }
    } else if (strcmp(type, "response.function_call_arguments.done") == 0) {
        relay_job_t *job = relay_job(c, relay_job_tool, tool_done);
        job->name = apr_pstrdup(job->pool, ctn_json_get_string(o, "name", ""));
        job->arguments = apr_pstrdup(job->pool, ctn_json_get_string(o, "arguments", "{}"));
        job->call_id = apr_pstrdup(job->pool, ctn_json_get_string(o, "call_id", ""));
        job->flag = c->dispatched;
        relay_submit(job);
    } else if (strcmp(type, "error") == 0) {
        json_object *err = NULL;
        json_object_object_get_ex(o, "error", &err);
        ctn_log_warning(c->call_sid, "OpenAI Realtime error: %s",
                        ctn_json_get_string(err, "message", "(no message)"));
    }
}

void relay_on_openai(relay_call_t *c, const char *msg, apr_size_t len)
{
    const char *type, *why = NULL;
    apr_size_t n;
    apr_pool_t *scratch;
    json_object *o;

    if (!peek(msg, len, "type", &type, &n)) {
        return;
    }
    if (is(type, n, "response.output_audio.delta") || is(type, n, "response.audio.delta")) {
        on_audio_delta(c, msg, len); /* the hot path: no JSON tree */
        return;
    }
    if (is(type, n, "response.output_audio_transcript.delta") ||
        is(type, n, "response.audio_transcript.delta") ||
        is(type, n, "response.function_call_arguments.delta") ||
        is(type, n, "rate_limits.updated")) {
        return;
    }
    apr_pool_create(&scratch, c->pool);
    if ((o = ctn_json_parse(scratch, msg, len, &why)) != NULL) {
        on_event(c, apr_pstrmemdup(scratch, type, n), o);
    } else {
        ctn_log_warning(c->call_sid, "OpenAI Realtime sent what is not JSON: %s", why);
    }
    apr_pool_destroy(scratch);
}

void relay_openai_connected(relay_call_t *c)
{
    ctn_log_info(c->call_sid, "OpenAI Realtime session open");
    c->m->relay->connect_failures = 0;
}

void relay_openai_gone(relay_call_t *c, const char *why)
{
    relay_t *r = c->m->relay;

    if (!c->stopping) {
        /* The call goes on with the built-in engine: closing Twilio's stream
         * makes Twilio run the <Redirect> after <Connect>. */
        ctn_log_warning(c->call_sid,
                        "OpenAI Realtime: %s; handing the call to the built-in "
                        "engine",
                        why);
        r->connect_failures++;
        r->last_failure_at = apr_time_now();
        c->stopping = 1;
        if (c->twilio && !c->twilio_closed) {
            lws_callback_on_writable(c->twilio);
        }
    }
}

/* ------------------------------------------------------------------ jobs --- */

relay_job_t *relay_job(relay_call_t *c, void (*run)(relay_job_t *), void (*finish)(relay_job_t *))
{
    apr_pool_t *pool;
    relay_job_t *job;

    apr_pool_create(&pool, NULL); /* the thread's pool: never the call's */
    job = apr_pcalloc(pool, sizeof(*job));
    job->pool = pool;
    job->call = c;
    job->run = run;
    job->finish = finish;
    job->business_id = apr_pstrdup(pool, c->business_id);
    job->call_sid = apr_pstrdup(pool, c->call_sid);
    job->call_log_id = c->call_log_id ? apr_pstrdup(pool, c->call_log_id) : NULL;
    return job;
}

static void *APR_THREAD_FUNC run_job(apr_thread_t *thread, void *data)
{
    relay_job_t *job = data;

    job->run(job);
    relay_post(job);
    return NULL;
}

void relay_submit(relay_job_t *job)
{
    relay_t *r = job->call->m->relay;

    job->call->refs++;
    if (apr_thread_pool_push(r->workers, run_job, job, APR_THREAD_TASK_PRIORITY_NORMAL, NULL) !=
        APR_SUCCESS) {
        job->call->refs--;
        apr_pool_destroy(job->pool);
    }
}

void relay_post(relay_job_t *job)
{
    relay_t *r = job->call->m->relay;

    apr_thread_mutex_lock(r->lock);
    job->next = r->done;
    r->done = job;
    apr_thread_mutex_unlock(r->lock);
    lws_cancel_service(r->m->context);
}

void media_relay_drain(media_t *m)
{
    relay_t *r = m->relay;
    relay_job_t *list, *reversed = NULL;

    if (r == NULL || r->lock == NULL) {
        return; /* no realtime engine: nothing is ever posted */
    }
    apr_thread_mutex_lock(r->lock);
    list = r->done;
    r->done = NULL;
    apr_thread_mutex_unlock(r->lock);
    while (list) { /* oldest first */
        relay_job_t *next = list->next;
        list->next = reversed;
        reversed = list;
        list = next;
    }
    for (relay_job_t *job = reversed, *next; job; job = next) {
        relay_call_t *c = job->call;
        next = job->next;
        if (job->run == relay_job_start && job->result) {
            /* the call log and the instructions: the session can be set up */
            c->call_log_id = apr_pstrdup(c->pool, job->call_log_id ? job->call_log_id : "");
            if (job->lang) {
                apr_cpystrn(c->lang, job->lang, sizeof(c->lang));
            }
            if (c->openai && !c->openai_closed) {
                relay_send_openai_text(c, job->result);
            }
        } else if (job->run == relay_job_referee && job->flag) {
            c->dispatched = 1;
        } else if (job->finish && !c->stopping) {
            job->finish(job);
        }
        apr_pool_destroy(job->pool);
        relay_call_release(c);
    }
}

/* ------------------------------------------------------------ lifecycle --- */

apr_status_t media_relay_init(media_t *m)
{
    relay_t *r = apr_pcalloc(m->pool, sizeof(*r));
    const char *key = getenv("CORTANA_OPENAI_KEY"), *stream_key = getenv("CORTANA_STREAM_KEY");
    struct lws_context_creation_info info;
    apr_status_t rv;

    r->m = m;
    m->relay = r;
    if (key == NULL || *key == '\0' || stream_key == NULL ||
        ctn_key_parse(r->stream_key, stream_key, strlen(stream_key)) != APR_SUCCESS) {
        return APR_ENOTIMPL;
    }
    r->api_key = apr_pstrdup(m->pool, key);
    r->url = getenv("CORTANA_OPENAI_REALTIME_URL");
    r->model = getenv("CORTANA_OPENAI_REALTIME_MODEL");
    if (r->url == NULL) {
        r->url = "wss://api.openai.com/v1/realtime";
    }
    if (r->model == NULL) {
        r->model = "gpt-realtime";
    }
    if ((rv = apr_thread_mutex_create(&r->lock, APR_THREAD_MUTEX_DEFAULT, m->pool)) !=
            APR_SUCCESS ||
        (rv = apr_thread_pool_create(&r->workers, 1, 4, m->pool)) != APR_SUCCESS ||
        (rv = relay_tools_init(r)) != APR_SUCCESS) {
        return rv;
    }
    memset(&info, 0, sizeof(info));
    info.vhost_name = "openai";
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = media_openai_protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    if ((r->client_vhost = lws_create_vhost(m->context, &info)) == NULL) {
        return APR_EGENERAL;
    }
    unsetenv("CORTANA_OPENAI_KEY"); /* no child process of ours inherits it */
    unsetenv("CORTANA_STREAM_KEY");
    return APR_SUCCESS;
}

void media_relay_stop(media_t *m)
{
    if (m->relay && m->relay->workers) {
        apr_thread_pool_destroy(m->relay->workers);
        m->relay->workers = NULL;
    }
}

const char *media_relay_stats(media_t *m, apr_pool_t *pool)
{
    relay_t *r = m->relay;
    int configured = r && r->api_key;
    /* Healthy unless the last connection attempts failed within a minute. */
    int healthy = configured && !(r->connect_failures >= 1 &&
                                  apr_time_now() - r->last_failure_at < apr_time_from_sec(60));

    return apr_psprintf(pool,
                        "\"openai_configured\":%s,\"openai_healthy\":%s,\"realtime_calls_total\":"
                        "%" APR_UINT64_T_FMT,
                        configured ? "true" : "false", healthy ? "true" : "false",
                        r ? r->calls_total : 0);
}
