/* media_control.c: the worker's control socket.
 *
 * A raw unix-socket vhost (lws role "raw-skt", so lws accepts and adopts each
 * connection into the loop): one JSON object per line in, one JSON line out,
 * several lines per connection allowed. Commands:
 *   {"cmd":"stats"} -> {"ok":true,"pid":…,"uptime_s":…,"ticks":…,"calls":…,
 *                       "streams_total":…,"ring":{"capacity":…,"head":…,
 *                       "writes":…,"drops":…}}   (ring is null without a ring)
 *                       + the relay's figures (media_relay_stats)
 *   {"cmd":"calls"} -> {"ok":true,"calls":[{"call_sid":…,"stream_sid":…,
 *                       "business_id":…,"seconds":…,"state":…,"session":…,…}]}
 *   {"cmd":"hangup","call_sid":"CA…"} -> {"ok":true,…}: Twilio is asked to end
 *                       the call (<Hangup/>); its stream stops, the session closes
 *   {"cmd":"prewarm","call_sid":…,"business_id":…} (from /twilio/voice)
 *   anything else   -> {"ok":false,"error":"unknown command","cmd":…}
 *   not JSON        -> {"ok":false,"error":"invalid JSON: …"}
 * Requests are answered on the event loop from memory only and replies are
 * written when the socket is writable, so a slow client never stalls calls.
 * The client side is lib/control.c. */
#include "media.h"

#include "json.h"
#include "log.h"

#include <apr_strings.h>
#include <string.h>
#include <unistd.h>

/* A control line longer than this is refused and the connection closed. */
#define CONTROL_LINE_MAX 4096

typedef struct control_session_t {
    char in[CONTROL_LINE_MAX];
    size_t in_len;
    char *out; /* pending reply (malloc'd: sessions outlive any pool) */
    size_t out_len;
    int close_after;
} control_session_t;

static const char *stats_json(media_t *m, apr_pool_t *pool)
{
    ctn_ring_stats_t rs;
    const char *ring = "null";

    if (m->ring != NULL) {
        ctn_ring_stats(m->ring, &rs);
        ring = apr_psprintf(pool,
                            "{\"capacity\":%" APR_UINT64_T_FMT ",\"head\":%" APR_UINT64_T_FMT
                            ",\"writes\":%" APR_UINT64_T_FMT ",\"drops\":%" APR_UINT64_T_FMT "}",
                            rs.capacity, rs.head, rs.writes, rs.drops);
    }
    return apr_psprintf(
        pool,
        "{\"ok\":true,\"pid\":%ld,\"uptime_s\":%" APR_INT64_T_FMT ",\"ticks\":%" APR_UINT64_T_FMT
        ",\"calls\":%" APR_UINT64_T_FMT ",\"streams_total\":%" APR_UINT64_T_FMT ",\"ring\":%s,"
        "\"peer_events\":%s,\"peer_listening\":%s,\"peer_events_in\":%" APR_UINT64_T_FMT ",%s}",
        (long)getpid(), (apr_int64_t)apr_time_sec(apr_time_now() - m->started_at), m->ticks,
        m->calls, m->streams_total, ring, m->peer_host_id ? "true" : "false",
        m->peer_listening ? "true" : "false", m->peer_events_in, media_relay_stats(m, pool));
}

const char *media_control_answer(media_t *m, apr_pool_t *pool, const char *line, apr_size_t len)
{
    const char *why = NULL, *cmd;
    json_object *req = ctn_json_parse(pool, line, len, &why);

    if (req == NULL) {
        return apr_psprintf(pool, "{\"ok\":false,\"error\":%s}", ctn_json_quote(pool, why));
    }
    cmd = ctn_json_get_string(req, "cmd", NULL);
    if (cmd == NULL) {
        return "{\"ok\":false,\"error\":\"no cmd\"}";
    }
    if (strcmp(cmd, "stats") == 0) {
        return stats_json(m, pool);
    }
    if (strcmp(cmd, "calls") == 0) {
        return apr_pstrcat(pool, "{\"ok\":true,\"calls\":", media_relay_calls(m, pool), "}", NULL);
    }
    if (strcmp(cmd, "hangup") == 0) {
        return media_relay_hangup(m, pool, ctn_json_get_string(req, "call_sid", NULL));
    }
    if (strcmp(cmd, "prewarm") == 0) {
        /* /twilio/voice, before Twilio connects the stream: open the session now. */
        return media_relay_prewarm(m, ctn_json_get_string(req, "call_sid", NULL),
                                   ctn_json_get_string(req, "business_id", NULL)) == APR_SUCCESS
                   ? "{\"ok\":true}"
                   : "{\"ok\":false,\"error\":\"cannot prewarm\"}";
    }
    return apr_psprintf(pool, "{\"ok\":false,\"error\":\"unknown command\",\"cmd\":%s}",
                        ctn_json_quote(pool, cmd));
}

static void queue_reply(control_session_t *s, const char *reply, int close_after)
{
    size_t n = strlen(reply);
    char *out = realloc(s->out, s->out_len + n + 1);

    if (out == NULL) {
        s->close_after = 1;
        return;
    }
    memcpy(out + s->out_len, reply, n);
    out[s->out_len + n] = '\n';
    s->out = out;
    s->out_len += n + 1;
    s->close_after |= close_after;
}

static void take_lines(media_t *m, control_session_t *s)
{
    char *nl;

    while ((nl = memchr(s->in, '\n', s->in_len)) != NULL) {
        apr_pool_t *pool;
        size_t line_len = (size_t)(nl - s->in);
        apr_pool_create(&pool, m->pool);
        queue_reply(s, media_control_answer(m, pool, s->in, line_len), 0);
        apr_pool_destroy(pool);
        memmove(s->in, nl + 1, s->in_len - line_len - 1);
        s->in_len -= line_len + 1;
    }
}

static int control_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                            size_t len)
{
    media_t *m = lws_context_user(lws_get_context(wsi));
    control_session_t *s = user;

    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        /* Once per wake-up of the loop (this protocol is on one vhost). */
        media_relay_drain(m);
        media_loop_woken(m);
        break;
    case LWS_CALLBACK_RAW_ADOPT:
        memset(s, 0, sizeof(*s));
        break;
    case LWS_CALLBACK_RAW_RX:
        if (s->in_len + len > sizeof(s->in)) {
            queue_reply(s, "{\"ok\":false,\"error\":\"line too long\"}", 1);
        } else {
            memcpy(s->in + s->in_len, in, len);
            s->in_len += len;
            take_lines(m, s);
        }
        if (s->out_len) {
            lws_callback_on_writable(wsi);
        }
        break;
    case LWS_CALLBACK_RAW_WRITEABLE:
        if (s->out_len) {
            unsigned char *buf = malloc(LWS_PRE + s->out_len);
            int n;
            if (buf == NULL) {
                return -1;
            }
            memcpy(buf + LWS_PRE, s->out, s->out_len);
            n = lws_write(wsi, buf + LWS_PRE, s->out_len, LWS_WRITE_RAW);
            free(buf);
            if (n < (int)s->out_len) {
                return -1;
            }
            s->out_len = 0;
        }
        if (s->close_after) {
            return -1;
        }
        break;
    case LWS_CALLBACK_RAW_CLOSE:
        free(s->out);
        s->out = NULL;
        break;
    default:
        break;
    }
    return 0;
}

const struct lws_protocols media_control_protocols[] = {
    {"cortana-control", control_callback, sizeof(control_session_t), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};
