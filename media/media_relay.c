/* media_relay.c: one call relayed between Twilio and OpenAI Realtime.
 *
 * A call is born with Twilio's stream (or earlier, prewarmed by
 * /twilio/voice through the control socket, and joined by the stream on
 * `start`); it holds a reference per open socket and per job in flight, and
 * its pool goes when the last is dropped. This file reads each side's events
 * and routes them: audio and marks to media_audio.c, tools, transcript lines
 * and the emergency referee to the thread pool (media_relay_jobs.c,
 * media_tools.c), whose results come back to the loop in media_relay_drain().
 * Only the hot events (media, mark, audio deltas) are read without json-c. */
#include "media_relay.h"

#include "json.h"
#include "log.h"
#include "stream_token.h"
#include "text.h"

#include <apr_strings.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- the call --- */

#define FLUSH_TICK_US (RELAY_FRAME_BYTES / 8 * LWS_US_PER_MS) /* one frame: 20 ms */

/* Caller audio chunks that stayed short leave within a frame of their time.
 * One timer for all calls, running while there are calls. */
static void flush_tick(lws_sorted_usec_list_t *sul)
{
    relay_t *r = lws_container_of(sul, relay_t, flush_sul);
    lws_usec_t now = lws_now_usecs(), chunk_us = (lws_usec_t)r->chunk_bytes / 8 * LWS_US_PER_MS;

    for (relay_call_t *c = r->calls; c; c = c->next) {
        relay_caller_audio_flush_due(c, now, chunk_us);
    }
    r->flush_scheduled = r->calls != NULL;
    if (r->flush_scheduled) {
        lws_sul_schedule(r->m->context, 0, &r->flush_sul, flush_tick, FLUSH_TICK_US);
    }
}

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
    c->least_tokens_left = c->least_requests_left = -1;
    apr_cpystrn(c->lang, "en", sizeof(c->lang));
    ctn_language_state_init(&c->lang_state, CTN_LANG_EN);
    c->next = m->relay->calls;
    m->relay->calls = c;
    m->relay->calls_total++;
    if (m->relay->chunk_bytes > RELAY_FRAME_BYTES && !m->relay->flush_scheduled) {
        m->relay->flush_scheduled = 1;
        lws_sul_schedule(m->context, 0, &m->relay->flush_sul, flush_tick, FLUSH_TICK_US);
    }
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
    r->frames_in += c->frames_in;
    r->frames_out += c->frames_out;
    r->frames_dropped += c->frames_dropped;
    r->barge_ins += c->barge_ins;
    relay_session_end(c);
    lws_sul_cancel(&c->prewarm_sul);
    lws_sul_cancel(&c->call_update_sul);
    if (c->call_update) { /* the call ended before what was said played out */
        apr_pool_destroy(c->call_update->pool);
        c->call_update = NULL;
    }
    relay_frames_free(c);
    relay_rx_free(&c->rx_twilio);
    relay_rx_free(&c->rx_openai);
    apr_pool_destroy(c->pool);
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
    for (w = r->calls; w; w = w->next) {
        if (w != c && w->twilio != NULL && !w->twilio_closed &&
            strcmp(w->call_sid, c->call_sid) == 0) {
            /* The token admits a call's stream for a minute, not once:
             * a replay while the call is live would open a second relay
             * (a second session, acting for the business with its tools). */
            ctn_log_warning(c->call_sid, "media stream refused: the call's stream is live already");
            c->stopping = 1;
            return;
        }
    }
    apr_cpystrn(c->business_id, business, sizeof(c->business_id));
    if ((w = relay_prewarmed(c->m, c->call_sid, c->business_id)) != NULL) {
        relay_attach(c, w); /* the stream callback switches to `w` */
        return;
    }
    ctn_log_info(c->call_sid, "media stream %s started", c->stream_sid);
    job = relay_job(c, relay_job_start, NULL);
    relay_submit(job);
    if (relay_session_connect(c) != 0) {
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
    w->media_head_len = 0; /* formatted again with this stream's SID */
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
    if (relay_session_connect(w) != 0) {
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

    if (!relay_peek(msg, len, "event", &event, &n)) {
        ctn_log_warning(c->call_sid[0] ? c->call_sid : NULL,
                        "media stream: a message without event");
        return;
    }
    if (relay_is(event, n, "media")) {
        if (relay_peek(msg, len, "payload", &v, &vn)) {
            relay_caller_audio(c, v, vn);
        }
    } else if (relay_is(event, n, "mark")) {
        if (relay_peek(msg, len, "name", &v, &vn)) {
            relay_on_mark(c, v, vn);
        }
    } else if (relay_is(event, n, "start")) {
        on_start(c, msg, len);
    } else if (relay_is(event, n, "stop")) {
        ctn_log_info(c->call_sid, "media stream stopped by Twilio");
        c->stopping = 1;
        if (c->openai && !c->openai_closed) {
            lws_callback_on_writable(c->openai); /* closes it */
        }
    }
}

/* A caller line moves the call's language here as ctn_calls_hear_caller
 * moves the call log's (punctuation alone neither votes nor counts), so a
 * tool asked right after it answers in that language without waiting for
 * the line's job. */
static void follow_language(relay_call_t *c, const char *text)
{
    char words[256];

    if (ctn_text_normalize_into(words, sizeof(words), text) == 0) {
        return;
    }
    ctn_language_observe_call(&c->lang_state, text, c->caller_lines == 0);
    c->caller_lines++;
    apr_cpystrn(c->lang, ctn_language_code(c->lang_state.current), sizeof(c->lang));
}

static void line(relay_call_t *c, const char *speaker, const char *text)
{
    relay_job_t *job;

    if (text == NULL || *text == '\0') {
        return;
    }
    if (strcmp(speaker, "caller") == 0) {
        follow_language(c, text);
    }
    job = relay_job(c, relay_job_line, NULL);
    job->speaker = speaker;
    job->text = apr_pstrdup(job->pool, text);
    job->lang = apr_pstrdup(job->pool, c->lang);
    relay_submit(job);
    relay_session_remember(c, speaker, text);
    if (strcmp(speaker, "caller") == 0 && !c->dispatch_tried) {
        job = relay_job(c, relay_job_referee, NULL);
        job->text = apr_pstrdup(job->pool, text);
        relay_submit(job);
    }
}

void relay_response_create(relay_call_t *c, const char *json)
{
    c->response_asked = 1;
    c->response_wanted = 0; /* this one hears whatever it was wanted for */
    relay_send_openai_text(c, json);
}

/* OpenAI runs one response at a time and refuses a response.create while
 * one is in progress (conversation_already_has_active_response): the model
 * calling two tools in one response, or a note coming while it speaks,
 * would each ask for one. What wants a response sets response_wanted; one
 * response.create goes at the next idle point — no response in progress or
 * asked for, and every tool of the model answered (response.done, or the
 * last tool's output). A caller who is speaking gets a response at the end
 * of the turn, which hears it all. */
static void respond_when_idle(relay_call_t *c)
{
    if (!c->response_wanted || !c->session_ready || c->response_active || c->response_asked ||
        c->tools_running > 0) {
        return;
    }
    c->response_wanted = 0;
    if (!c->caller_speaking) {
        relay_response_create(c, "{\"type\":\"response.create\"}");
    }
}

/* A tool's result goes back to the session that called it as the call's
 * output. When that session was replaced while the tool ran (a drop, a
 * renewal), the new one never saw the call_id: it is told the result as a
 * note, or — not ready yet — hears it in the history replayed when it is. */
static void tool_done(relay_job_t *job)
{
    relay_call_t *c = job->call;
    const char *result = job->result ? job->result : "{\"ok\":false}";
    int same_session = job->session_no == c->session_no && c->session_ready;

    c->tools_running--;
    if (strcmp(job->name, "dispatch_technician") == 0 && job->flag) {
        c->dispatch_tried = 1; /* texted or exhausted: the referee has nothing left to do */
    }
    relay_session_remember_tool(c, job->name, result, !same_session && c->session_ready);
    if (same_session) {
        relay_send_openai_text(
            c, apr_psprintf(job->pool,
                            "{\"type\":\"conversation.item.create\",\"item\":{\"type\":"
                            "\"function_call_output\",\"call_id\":%s,\"output\":%s}}",
                            ctn_json_quote(job->pool, job->call_id),
                            ctn_json_quote(job->pool, result)));
    }
    if (c->session_ready) {
        c->response_wanted = 1;
        respond_when_idle(c);
    }
}

void relay_tell_model(relay_call_t *c, const char *note)
{
    relay_session_note(c, note, c->session_ready);
    if (!c->session_ready) {
        return; /* the new session hears it replayed, and responds */
    }
    c->response_wanted = 1;
    respond_when_idle(c);
}

/* Hanging up or transferring ends the stream where Twilio is in its
 * playback: the model's end_call or transfer_to_human (what it said before,
 * generated faster than it plays) waits until Twilio has played what was
 * sent, within RELAY_PLAYOUT_WAIT_S. */
void relay_played_out(relay_call_t *c)
{
    relay_job_t *job = c->call_update;

    if (job != NULL) {
        c->call_update = NULL;
        lws_sul_cancel(&c->call_update_sul);
        if (c->stopping) {
            apr_pool_destroy(job->pool); /* the call ended meanwhile */
        } else {
            relay_submit(job);
        }
    }
}

static void call_update_overdue(lws_sorted_usec_list_t *sul)
{
    relay_played_out(lws_container_of(sul, relay_call_t, call_update_sul));
}

/* A call update that will not be made: the model is answered all the same. */
static void answer_only(relay_job_t *job)
{
    (void)job; /* job->result was set on the loop */
}

static int is_call_update(const relay_job_t *job)
{
    return strcmp(job->name, "end_call") == 0 || strcmp(job->name, "transfer_to_human") == 0;
}

/* One call update is held per playout: the model may call transfer_to_human
 * and end_call in one response (it thinks it should end its part), and
 * whichever went second would reach Twilio at once, cutting off what the
 * caller hears and, if it is the hang-up, leaving them with nobody. The
 * transfer wins in either order (a caller to be put through to a person
 * must be); of two alike the first stands. The other is answered, not made. */
static void submit_tool(relay_call_t *c, relay_job_t *job)
{
    relay_job_t *held = c->call_update, *loser;

    if (!is_call_update(job)) {
        relay_submit(job);
    } else if (held == NULL && c->mark_oldest != c->mark_next) {
        c->call_update = job; /* audio still playing */
        lws_sul_schedule(c->m->context, 0, &c->call_update_sul, call_update_overdue,
                         (lws_usec_t)RELAY_PLAYOUT_WAIT_S * LWS_USEC_PER_SEC);
    } else if (held == NULL) {
        relay_submit(job);
    } else {
        int transfer = strcmp(job->name, "transfer_to_human") == 0;
        if (transfer && strcmp(held->name, "end_call") == 0) {
            c->call_update = job;
            loser = held;
            loser->result = "{\"ok\":false,\"error\":\"not hung up: the caller is being "
                            "transferred to a person instead\"}";
        } else {
            loser = job;
            loser->result = transfer || strcmp(held->name, "end_call") == 0
                                ? "{\"ok\":true,\"note\":\"already under way\"}"
                                : "{\"ok\":false,\"error\":\"not hung up: the caller is "
                                  "being transferred to a person\"}";
        }
        loser->run = answer_only;
        relay_submit(loser);
    }
}

/* The model goes on from the TwiML greeting once both the session and the
 * caller's stream are there (a prewarmed session waits for the stream). */
static void greet(relay_call_t *c)
{
    if (!c->greeted && c->session_ready && c->twilio != NULL && !c->twilio_closed) {
        c->greeted = 1;
        relay_response_create(c, "{\"type\":\"response.create\",\"response\":{\"instructions\":"
                                 "\"The caller has just heard the greeting. Ask briefly how you "
                                 "can help.\"}}");
    }
}

static void on_event(relay_call_t *c, const char *type, json_object *o)
{
    if (strcmp(type, "session.created") == 0) {
        /* session.update is sent once the start job has the instructions */
    } else if (strcmp(type, "session.updated") == 0) {
        relay_session_ready(c);
        greet(c);
    } else if (strcmp(type, "response.created") == 0) {
        json_object *resp = NULL;
        c->response_active = 1;
        c->response_asked = 0; /* ours, or server VAD's (then ours is refused) */
        json_object_object_get_ex(o, "response", &resp);
        apr_cpystrn(c->response_id, ctn_json_get_string(resp, "id", ""), sizeof(c->response_id));
    } else if (strcmp(type, "response.done") == 0) {
        c->response_active = 0;
        relay_record_usage(c, o);
        respond_when_idle(c);
    } else if (strcmp(type, "rate_limits.updated") == 0) {
        relay_record_rate_limits(c, o);
    } else if (strcmp(type, "input_audio_buffer.speech_started") == 0) {
        c->caller_speaking = 1;
        relay_barge_in(c);
    } else if (strcmp(type, "input_audio_buffer.speech_stopped") == 0) {
        c->caller_speaking = 0;
        c->speech_stopped_at = apr_time_now();
        c->turns++;
    } else if (strcmp(type, "conversation.item.input_audio_transcription.completed") == 0) {
        line(c, "caller", ctn_json_get_string(o, "transcript", NULL));
    } else if (strcmp(type, "response.output_audio_transcript.done") == 0 ||
               strcmp(type, "response.audio_transcript.done") == 0) {
        line(c, "cortana", ctn_json_get_string(o, "transcript", NULL));
    } else if (strcmp(type, "response.output_audio.done") == 0 ||
               strcmp(type, "response.audio.done") == 0) {
        relay_audio_done(c, ctn_json_get_string(o, "item_id", ""));
    } else if (strcmp(type, "response.output_audio.delta") == 0 ||
               strcmp(type, "response.audio.delta") == 0) {
        /* only when the fast path could not read it (escapes) */
        const char *item = ctn_json_get_string(o, "item_id", ""),
                   *delta = ctn_json_get_string(o, "delta", "");
        relay_audio_delta(c, item, strlen(item), delta, strlen(delta));
    } else if (strcmp(type, "response.function_call_arguments.done") == 0) {
        relay_job_t *job = relay_job(c, relay_job_tool, tool_done);
        job->name = apr_pstrdup(job->pool, ctn_json_get_string(o, "name", ""));
        job->arguments = apr_pstrdup(job->pool, ctn_json_get_string(o, "arguments", "{}"));
        job->call_id = apr_pstrdup(job->pool, ctn_json_get_string(o, "call_id", ""));
        job->session_no = c->session_no;
        c->tools_running++;
        job->lang = apr_pstrdup(job->pool, c->lang);
        submit_tool(c, job);
    } else if (strcmp(type, "error") == 0) {
        json_object *err = NULL;
        json_object_object_get_ex(o, "error", &err);
        if (strcmp(ctn_json_get_string(err, "code", ""),
                   "conversation_already_has_active_response") == 0) {
            /* Our response.create met one server VAD started: the session
             * goes on, and ours is asked for again once that one is done. */
            ctn_log_info(c->call_sid, "OpenAI Realtime: a response was in progress; asking again "
                                      "when it is done");
            c->response_asked = 0;
            c->response_wanted = 1;
            respond_when_idle(c);
            return;
        }
        ctn_log_warning(c->call_sid, "OpenAI Realtime error: %s",
                        ctn_json_get_string(err, "message", "(no message)"));
        /* An invalid_request_error answers one event of ours that OpenAI
         * could not act on (response_cancel_not_active: a barge-in racing
         * the end of a response; a truncate past the audio; an unknown
         * call_id) and the session goes on; session_expired is one too, and
         * a new session would not meet it again. Only the others (quota,
         * server, rate limit) may end the session: a drop right after one
         * is no drop, and a new session would meet it again. */
        if (strcmp(ctn_json_get_string(err, "type", ""), "invalid_request_error") != 0) {
            c->error_at = apr_time_now();
        }
    }
}

void relay_on_openai(relay_call_t *c, const char *msg, apr_size_t len)
{
    const char *type, *why = NULL;
    apr_size_t n;
    apr_pool_t *scratch;
    json_object *o;

    if (!relay_peek(msg, len, "type", &type, &n)) {
        return;
    }
    if (relay_is(type, n, "response.output_audio.delta") ||
        relay_is(type, n, "response.audio.delta")) {
        const char *item, *delta;
        apr_size_t in, dn;
        if (relay_peek(msg, len, "item_id", &item, &in) &&
            relay_peek(msg, len, "delta", &delta, &dn)) {
            relay_audio_delta(c, item, in, delta, dn); /* the hot path: no JSON tree */
            return;
        }
    } else if (relay_is(type, n, "response.output_audio_transcript.delta") ||
               relay_is(type, n, "response.audio_transcript.delta") ||
               relay_is(type, n, "response.function_call_arguments.delta")) {
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

    if (!c->stopping && !relay_session_lost(c, why)) {
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

/* ------------------------------------------------------------ lifecycle --- */

/* The keys come in the environment (mod_cortana_worker.c). unsetenv only
 * unlinks a variable: its string stays in the process's environment block,
 * which /proc/PID/environ shows to the same user for the worker's whole
 * life. The value is wiped in place once it has been read or copied. */
static void wipe_env(const char *name)
{
    char *value = getenv(name);

    if (value != NULL) {
        sodium_memzero(value, strlen(value));
    }
    unsetenv(name); /* no child process of ours inherits it either */
}

/* The worker's one copy of each key, wiped when its pool goes (at exit). */
static apr_status_t wipe_keys(void *data)
{
    relay_t *r = data;

    if (r->api_key_copy != NULL) {
        sodium_memzero(r->api_key_copy, strlen(r->api_key_copy));
    }
    sodium_memzero(r->stream_key, sizeof(r->stream_key));
    return APR_SUCCESS;
}

apr_status_t media_relay_init(media_t *m)
{
    relay_t *r = apr_pcalloc(m->pool, sizeof(*r));
    const char *key = getenv("CORTANA_OPENAI_KEY"), *stream_key = getenv("CORTANA_STREAM_KEY");
    struct lws_context_creation_info info;
    apr_status_t rv;

    r->m = m;
    m->relay = r;
    apr_pool_cleanup_register(m->pool, r, wipe_keys, apr_pool_cleanup_null);
    if (key != NULL && *key != '\0') {
        r->api_key = r->api_key_copy = apr_pstrdup(m->pool, key);
    }
    if (stream_key == NULL ||
        ctn_key_parse(r->stream_key, stream_key, strlen(stream_key)) != APR_SUCCESS) {
        r->api_key = NULL; /* no realtime engine without both */
    }
    wipe_env("CORTANA_OPENAI_KEY");
    wipe_env("CORTANA_STREAM_KEY");
    if (r->api_key == NULL) {
        return APR_ENOTIMPL;
    }
    r->url = getenv("CORTANA_OPENAI_REALTIME_URL");
    r->model = getenv("CORTANA_OPENAI_REALTIME_MODEL");
    if (r->url == NULL) {
        r->url = "wss://api.openai.com/v1/realtime";
    }
    if (r->model == NULL) {
        r->model = "gpt-realtime";
    }
    r->chunk_bytes = (apr_size_t)(m->chunk_ms / 20) * RELAY_FRAME_BYTES;
    r->session_max = m->session_max_s;
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
    /* wss:// is verified against the system's store, or CortanaOpenAICAFile */
    info.client_ssl_ca_filepath = getenv("CORTANA_OPENAI_CA_FILE");
    if ((r->client_vhost = lws_create_vhost(m->context, &info)) == NULL) {
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

void media_relay_stop(media_t *m)
{
    if (m->relay && m->relay->workers) {
        apr_thread_pool_destroy(m->relay->workers);
        m->relay->workers = NULL;
    }
}
