/* media_wire.c: what travels on a call's two sockets.
 *
 * Messages for each socket are queued as preformatted frames. Frames come
 * from per-call free lists (a small and a large size), so once a call is warm
 * the hot path allocates nothing; each frame keeps LWS_PRE bytes of headroom
 * for lws's WebSocket header. Incoming messages are read with relay_peek(), a
 * bounded scan for the few string members the hot path needs (json-c builds
 * a tree with dozens of allocations per message), and reassembled when lws
 * hands them over in fragments. */
#include "media_relay.h"

#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

#define SMALL_FRAME 1024  /* media, marks, appends of up to 60 ms */
#define LARGE_FRAME 16384 /* long audio deltas (control messages beyond SMALL are one-offs) */

/* ----------------------------------------------------------------- frames */

/* Audio frames up to LARGE_FRAME come from the call's pool and are recycled
 * through its free lists; bigger ones, and control messages beyond a small
 * frame (session.update, tool outputs, replays: a few per call), are
 * malloc'ed and freed once written, so no call keeps their size. */
frame_t *relay_frame_once(apr_size_t need)
{
    frame_t *f = malloc(sizeof(frame_t) + LWS_PRE + need);

    if (f == NULL) {
        abort(); /* as APR pools do when memory is out */
    }
    f->cap = need;
    f->once = 1;
    f->raw = 0;
    f->next = NULL;
    f->len = 0;
    return f;
}

frame_t *relay_frame(relay_call_t *c, apr_size_t need)
{
    frame_t **list = need <= SMALL_FRAME ? &c->free_small : &c->free_large;
    frame_t *f;

    if (need > LARGE_FRAME) {
        return relay_frame_once(need);
    } else if ((f = *list) != NULL) {
        *list = f->next;
    } else {
        apr_size_t cap = need <= SMALL_FRAME ? SMALL_FRAME : LARGE_FRAME;
        f = apr_palloc(c->pool, sizeof(frame_t) + LWS_PRE + cap);
        f->cap = cap;
        f->once = 0;
    }
    f->next = NULL;
    f->len = 0;
    f->raw = 0;
    return f;
}

apr_size_t relay_ws_header(unsigned char *h, apr_size_t len)
{
    h[0] = 0x81; /* FIN, text */
    if (len < 126) {
        h[1] = (unsigned char)len;
        return 2;
    }
    if (len < 65536) {
        h[1] = 126;
        h[2] = (unsigned char)(len >> 8);
        h[3] = (unsigned char)len;
        return 4;
    }
    h[1] = 127;
    for (int i = 0; i < 8; i++) {
        h[2 + i] = (unsigned char)((apr_uint64_t)len >> (56 - 8 * i));
    }
    return 10;
}

void relay_recycle(relay_call_t *c, frame_t *f)
{
    frame_t **list = f->cap <= SMALL_FRAME ? &c->free_small : &c->free_large;

    if (f->once) {
        free(f);
        return;
    }
    f->next = *list;
    *list = f;
}

static void free_queue(relay_call_t *c, frame_queue_t *q)
{
    for (frame_t *f = q->head, *next; f; f = next) {
        next = f->next;
        relay_recycle(c, f);
    }
    q->head = q->tail = NULL;
}

void relay_frames_drop_openai(relay_call_t *c)
{
    free_queue(c, &c->to_openai);
}

void relay_frames_free(relay_call_t *c)
{
    free_queue(c, &c->to_twilio);
    free_queue(c, &c->to_openai);
    free_queue(c, &c->held);
}

void relay_enqueue(frame_queue_t *q, frame_t *f)
{
    if (q->tail) {
        q->tail->next = f;
    } else {
        q->head = f;
    }
    q->tail = f;
}

/* A message goes out at once when its socket is established and nothing of
 * ours is queued before it. Asking lws for a writable callback per message
 * costs two epoll_ctl calls and a loop pass each, and asking the socket
 * whether it is choked a poll() each: together more than the send. What the
 * kernel does not take, lws keeps (its buflist_out, lws_issue_raw) and sends
 * before anything written after it, when the socket is writable again. */
static int write_frame(struct lws *wsi, frame_t *f)
{
    return lws_write(wsi, f->data + LWS_PRE, f->len, f->raw ? LWS_WRITE_RAW : LWS_WRITE_TEXT) <
                   (int)f->len
               ? -1
               : 0;
}

static void send_on(relay_call_t *c, struct lws *wsi, int established, frame_queue_t *q, frame_t *f)
{
    if (established && q->head == NULL) {
        if (write_frame(wsi, f) != 0) {
            lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC); /* broken */
        }
        relay_recycle(c, f);
        return;
    }
    relay_enqueue(q, f);
    lws_callback_on_writable(wsi);
}

void relay_send_twilio(relay_call_t *c, frame_t *f)
{
    if (c->twilio == NULL || c->twilio_closed) {
        relay_recycle(c, f);
        return;
    }
    send_on(c, c->twilio, 1, &c->to_twilio, f);
}

void relay_send_openai(relay_call_t *c, frame_t *f)
{
    if (c->openai == NULL || c->openai_closed) {
        relay_recycle(c, f);
        return;
    }
    send_on(c, c->openai, c->openai_established, &c->to_openai, f);
}

static frame_t *text_frame(relay_call_t *c, const char *json)
{
    apr_size_t n = strlen(json);
    frame_t *f = n <= SMALL_FRAME ? relay_frame(c, n) : relay_frame_once(n);

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
    frame_t *f;

    while ((f = q->head) != NULL) {
        q->head = f->next;
        if (q->head == NULL) {
            q->tail = NULL;
        }
        if (write_frame(wsi, f) != 0) {
            relay_recycle(c, f);
            return -1;
        }
        relay_recycle(c, f);
    }
    return 0;
}

int relay_rx_append(relay_rx_t *rx, const void *in, apr_size_t n, apr_size_t max)
{
    if (n > max - rx->len) { /* rx->len <= max always: no overflow */
        relay_rx_free(rx);   /* give the memory back now, not when the socket goes */
        rx->refused = 1;
        return APR_ENOSPC;
    }
    if (rx->len + n + 1 > rx->cap) {
        apr_size_t want = rx->cap ? rx->cap : 16384;
        char *grown;
        while (want < rx->len + n + 1) {
            want *= 2;
        }
        if (want > max + 1) {
            want = max + 1;
        }
        if ((grown = realloc(rx->buf, want)) == NULL) {
            return -1;
        }
        rx->buf = grown;
        rx->cap = want;
    }
    memcpy(rx->buf + rx->len, in, n);
    rx->len += n;
    rx->buf[rx->len] = '\0';
    return 0;
}

void relay_rx_free(relay_rx_t *rx)
{
    free(rx->buf);
    rx->buf = NULL;
    rx->len = rx->cap = 0;
    rx->refused = 0;
}

/* ---------------------------------------------------------- JSON peeking --- */

/* The raw string value of the first "key": "…" in `msg` (whitespace around
 * the colon allowed; no escapes expected: ids, base64, event names). 0 when
 * absent or escaped. */
int relay_peek(const char *msg, apr_size_t len, const char *key, const char **val, apr_size_t *vlen)
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

int relay_is(const char *v, apr_size_t n, const char *s)
{
    return strlen(s) == n && memcmp(v, s, n) == 0;
}
