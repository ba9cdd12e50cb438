/* media_session.c: the life of a call's OpenAI Realtime session.
 *
 * Every connection must reach session.updated within RELAY_READY_S (3 s);
 * otherwise OpenAI counts as unreachable and the call goes to the built-in
 * engine (closing Twilio's stream runs the <Redirect> after <Connect>).
 *
 * A session lives at most CortanaOpenAISessionMax. Before that the worker
 * renews it at a quiet moment (no response playing, the caller not
 * speaking): it closes the old socket, opens a new one and replays the
 * conversation so far. An unexpected close mid-call is handled the same way,
 * up to RELAY_RECONNECTS_MAX times per call — not when an error event ended
 * the session (quota, key: a new session would meet the same). While the new
 * session comes up the caller's audio is held (media_audio.c), so the model
 * hears everything.
 * The conversation is kept as the conversation.item.create events that
 * replay it, in one malloc'ed buffer per call bounded to RELAY_HISTORY_MAX
 * bytes (the oldest lines go first), filled as transcript lines come. */
#include "media_relay.h"

#include "json.h"
#include "log.h"

#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

#define RELAY_READY_S        3
#define RELAY_RECONNECTS_MAX 3
#define RELAY_HISTORY_MAX    (32 * 1024)
#define RELAY_RENEW_RETRY_S  1

static void ready_overdue(lws_sorted_usec_list_t *sul)
{
    relay_call_t *c = lws_container_of(sul, relay_call_t, ready_sul);

    if (!c->session_ready && !c->stopping) {
        c->no_reconnect = 1; /* unreachable within the deadline: no more tries */
        relay_openai_gone(c, "no session within 3 s");
        if (c->openai != NULL) {
            lws_set_timeout(c->openai, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        }
    }
}

int relay_session_connect(relay_call_t *c)
{
    c->session_ready = 0;
    c->openai_closed = 0;
    c->openai_established = 0;
    lws_sul_schedule(c->m->context, 0, &c->ready_sul, ready_overdue,
                     (lws_usec_t)RELAY_READY_S * LWS_USEC_PER_SEC);
    return relay_openai_connect(c);
}

/* ------------------------------------------------------------- history --- */

/* Append one conversation.item.create event (a transcript line, a note or a
 * tool's result, without its newline) to the history that a new session
 * replays; the oldest lines go to make room. */
static void remember_event(relay_call_t *c, const char *event)
{
    apr_size_t n = strlen(event) + 1; /* with its newline */

    if (n >= RELAY_HISTORY_MAX) {
        return;
    }
    while (c->history_len + n > RELAY_HISTORY_MAX) { /* the oldest line goes */
        char *nl = memchr(c->history, '\n', c->history_len);
        apr_size_t drop = (apr_size_t)(nl - c->history) + 1;
        memmove(c->history, c->history + drop, c->history_len - drop);
        c->history_len -= drop;
    }
    if (c->history_len + n > c->history_cap) {
        apr_size_t want = c->history_cap ? c->history_cap : 2048;
        char *grown;
        while (want < c->history_len + n) {
            want *= 2;
        }
        if ((grown = realloc(c->history, want)) == NULL) {
            return;
        }
        c->history = grown;
        c->history_cap = want;
    }
    memcpy(c->history + c->history_len, event, n - 1);
    c->history[c->history_len + n - 1] = '\n';
    c->history_len += n;
}

/* A message item as a conversation.item.create event, in `pool`. */
static const char *item_event(apr_pool_t *pool, const char *role, const char *kind,
                              const char *text)
{
    return apr_psprintf(pool,
                        "{\"type\":\"conversation.item.create\",\"item\":{\"type\":"
                        "\"message\",\"role\":\"%s\",\"content\":[{\"type\":\"%s\","
                        "\"text\":%s}]}}",
                        role, kind, ctn_json_quote(pool, text));
}

void relay_session_remember(relay_call_t *c, const char *speaker, const char *text)
{
    int caller = strcmp(speaker, "caller") == 0;
    apr_pool_t *scratch;

    apr_pool_create(&scratch, c->pool);
    remember_event(c, item_event(scratch, caller ? "user" : "assistant",
                                 caller ? "input_text" : "output_text", text));
    apr_pool_destroy(scratch);
}

void relay_session_note(relay_call_t *c, const char *text, int tell_session)
{
    apr_pool_t *scratch;
    const char *event;

    apr_pool_create(&scratch, c->pool);
    event = item_event(scratch, "system", "input_text", text);
    remember_event(c, event);
    if (tell_session) {
        relay_send_openai_text(c, event);
    }
    apr_pool_destroy(scratch);
}

void relay_session_remember_tool(relay_call_t *c, const char *name, const char *result,
                                 int tell_session)
{
    apr_pool_t *scratch;

    apr_pool_create(&scratch, c->pool);
    relay_session_note(c, apr_psprintf(scratch, "The %s tool returned: %s", name, result),
                       tell_session);
    apr_pool_destroy(scratch);
}

static void replay(relay_call_t *c)
{
    apr_size_t lines = 0;

    for (char *p = c->history, *end = c->history + c->history_len; p && p < end;) {
        char *nl = memchr(p, '\n', (apr_size_t)(end - p));
        frame_t *f = relay_frame_once((apr_size_t)(nl - p));
        memcpy(f->data + LWS_PRE, p, (apr_size_t)(nl - p));
        f->len = (apr_size_t)(nl - p);
        relay_send_openai(c, f);
        p = nl + 1;
        lines++;
    }
    ctn_log_info(c->call_sid, "OpenAI Realtime session %u: %" APR_SIZE_T_FMT " lines replayed",
                 c->session_no, lines);
    relay_response_create(c, "{\"type\":\"response.create\",\"response\":{\"instructions\":"
                             "\"The line dropped for a moment. Go on with the call from where "
                             "it was, briefly, without greeting again.\"}}");
}

/* ------------------------------------------------------------- renewal --- */

static void renew_due(lws_sorted_usec_list_t *sul)
{
    relay_call_t *c = lws_container_of(sul, relay_call_t, renew_sul);

    if (c->stopping || c->openai == NULL || c->openai_closed) {
        return;
    }
    if (c->response_active || c->caller_speaking || c->item_sent > c->item_heard) {
        lws_sul_schedule(c->m->context, 0, &c->renew_sul, renew_due,
                         (lws_usec_t)RELAY_RENEW_RETRY_S * LWS_USEC_PER_SEC);
        return;
    }
    ctn_log_info(c->call_sid, "OpenAI Realtime session %u is near its maximum: renewing",
                 c->session_no);
    c->renewing = 1;
    c->session_ready = 0; /* the caller's audio is held from now on */
    lws_set_timeout(c->openai, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void relay_session_ready(relay_call_t *c)
{
    relay_t *r = c->m->relay;

    lws_sul_cancel(&c->ready_sul);
    c->session_ready = 1;
    if (c->session_no > 0) {
        replay(c);
    }
    relay_caller_audio_release(c);
    if (r->session_max > 0) {
        lws_sul_schedule(c->m->context, 0, &c->renew_sul, renew_due,
                         (lws_usec_t)r->session_max * LWS_USEC_PER_SEC);
    }
}

/* ----------------------------------------------------------- reconnect --- */

static void reconnect_now(lws_sorted_usec_list_t *sul)
{
    relay_call_t *c = lws_container_of(sul, relay_call_t, retry_sul);

    if (!c->stopping) {
        c->session_no++;
        relay_submit(relay_job(c, relay_job_start, NULL)); /* a fresh session.update */
        if (relay_session_connect(c) != 0) {
            c->no_reconnect = 1;
            relay_openai_gone(c, "cannot connect to OpenAI Realtime again");
        }
    }
    relay_call_release(c); /* the hold taken when it was scheduled */
}

int relay_session_lost(relay_call_t *c, const char *why)
{
    int planned = c->renewing;

    if (!planned && c->error_at && apr_time_now() - c->error_at < apr_time_from_sec(2)) {
        c->no_reconnect = 1; /* an error ended the session: a new one would meet it again */
    }
    if (c->no_reconnect || c->twilio == NULL || c->twilio_closed || !c->greeted ||
        (!planned && c->reconnects >= RELAY_RECONNECTS_MAX)) {
        return 0;
    }
    if (!planned) {
        c->reconnects++;
        ctn_log_warning(c->call_sid, "OpenAI Realtime: %s; reconnecting (%u of %d)", why,
                        c->reconnects, RELAY_RECONNECTS_MAX);
    }
    c->renewing = 0;
    c->session_ready = 0;
    c->response_active = c->response_asked = 0;
    c->response_wanted = 0; /* the replay ends with a response */
    c->caller_speaking = 0; /* the new session's VAD starts afresh */
    c->pending_len = 0;
    lws_sul_cancel(&c->renew_sul);
    relay_frames_drop_openai(c); /* written for the old session: meaningless to the new */
    c->refs++;
    lws_sul_schedule(c->m->context, 0, &c->retry_sul, reconnect_now, 1);
    return 1;
}

void relay_session_end(relay_call_t *c)
{
    lws_sul_cancel(&c->ready_sul);
    lws_sul_cancel(&c->renew_sul);
    lws_sul_cancel(&c->retry_sul);
    free(c->history);
    c->history = NULL;
    c->history_len = c->history_cap = 0;
}
