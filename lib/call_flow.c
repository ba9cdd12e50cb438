/* call_flow.c: each Twilio webhook of a call (see call_flow.h).
 *
 * Never drop a caller: when the database cannot be reached the voice and
 * gather webhooks answer with TwiML that records a message; the recording
 * callbacks then answer 503 so that Twilio retries them until the database
 * is back. */
#include "call_flow.h"

#include "business.h"
#include "calls.h"
#include "dialog.h"
#include "dispatcher.h"
#include "emergency.h"
#include "form.h"
#include "json.h"
#include "log.h"
#include "personality.h"
#include "routing.h"
#include "slots.h"
#include "tools.h"
#include "stream_token.h"
#include "text.h"
#include "twiml.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

typedef struct turn_t {
    const ctn_call_flow_env_t *env;
    apr_pool_t *pool;
    const apr_array_header_t *params;
    const char *call_sid, *from, *to;
    PGconn *conn;
    ctn_business_t *business;
    ctn_call_t *call;
    ctn_sms_client_t sms;
    ctn_tools_t tools;
    ctn_dialog_context_t ctx;
    const char **why;
    apr_array_header_t *lines; /* ctn_call_line_t not yet stored */
} turn_t;

/* ---------------------------------------------------------- parameters --- */

static int valid_sid(const char *sid, const char *prefix)
{
    if (sid == NULL || strlen(sid) != 34 || strncmp(sid, prefix, 2) != 0) {
        return 0;
    }
    for (int i = 2; i < 34; i++) {
        if (!apr_isxdigit(sid[i])) {
            return 0;
        }
    }
    return 1;
}

/* The dialled number as E.164; Twilio normally sends it so already. */
static const char *e164(apr_pool_t *pool, const char *number)
{
    if (number == NULL) {
        return NULL;
    }
    if (number[0] == '+' && strlen(number) >= 8 &&
        strspn(number + 1, "0123456789") == strlen(number) - 1) {
        return number;
    }
    return ctn_slots_phone(pool, number);
}

static int bad_request(turn_t *t, const char *why)
{
    *t->why = why;
    return 400;
}

static int require_call(turn_t *t, int need_from_to)
{
    t->call_sid = ctn_form_get(t->params, "CallSid");
    t->from = ctn_form_get(t->params, "From");
    t->to = e164(t->pool, ctn_form_get(t->params, "To"));
    if (!valid_sid(t->call_sid, "CA")) {
        return bad_request(t,
                           t->call_sid ? "CallSid is not CA + 32 hex digits" : "missing CallSid");
    }
    if (need_from_to && (t->from == NULL || *t->from == '\0')) {
        return bad_request(t, "missing From");
    }
    if (need_from_to && t->to == NULL) {
        return bad_request(t, ctn_form_get(t->params, "To") ? "To is not a phone number"
                                                            : "missing To");
    }
    return 0;
}

/* ---------------------------------------------------------------- TwiML --- */

static const char *action_url(turn_t *t, const char *path)
{
    return apr_pstrcat(t->pool, t->env->public_url, path, NULL);
}

/* The caller can always leave a message, whatever failed. */
static const char *fallback_twiml(turn_t *t, ctn_lang_e lang)
{
    ctn_twiml_t *x = ctn_twiml_create(t->pool);
    const char *why;

    ctn_twiml_say(
        x,
        lang == CTN_LANG_ES ? "Disculpe, tenemos un problema técnico. Deje su nombre, su número y "
                              "un mensaje después del tono y le devolveremos la llamada."
                            : "Sorry, we're having a technical problem. Please leave your name, "
                              "number and a message after the tone, and we'll call you right back.",
        lang == CTN_LANG_ES ? "Polly.Lupe-Neural" : "Polly.Joanna-Neural", ctn_language_tag(lang));
    ctn_twiml_record(x, action_url(t, "/twilio/voicemail"), action_url(t, "/twilio/transcription"),
                     120);
    ctn_twiml_hangup(x);
    return ctn_twiml_finish(x, &why);
}

static const char *reply_twiml(turn_t *t, const ctn_dialog_reply_t *reply)
{
    ctn_twiml_t *x = ctn_twiml_create(t->pool);
    const char *lang = ctn_language_tag(reply->lang), *why = NULL, *doc;
    int n = reply->lines->nelts;

    if (reply->action == CTN_DIALOG_GATHER) {
        /* The engine's hints: the business's services and the words it
         * expects next, in the gather's language. */
        ctn_twiml_gather_begin(x, action_url(t, "/twilio/gather"), lang, reply->hints);
    }
    for (int i = 0; i < n; i++) {
        ctn_twiml_say(x, APR_ARRAY_IDX(reply->lines, i, const char *), reply->voice, lang);
    }
    switch (reply->action) {
    case CTN_DIALOG_GATHER:
        ctn_twiml_gather_end(x);
        /* No speech: Twilio runs the next verb; the gather webhook sees silence. */
        ctn_twiml_redirect(x, action_url(t, "/twilio/gather"));
        break;
    case CTN_DIALOG_RECORD:
        ctn_twiml_record(x, action_url(t, "/twilio/voicemail"),
                         action_url(t, "/twilio/transcription"), 120);
        ctn_twiml_hangup(x);
        break;
    case CTN_DIALOG_TRANSFER:
        ctn_twiml_dial(x, reply->transfer_to, action_url(t, "/twilio/dial-status"),
                       t->business->phone_number);
        break;
    case CTN_DIALOG_HANGUP:
        ctn_twiml_hangup(x);
        break;
    }
    doc = ctn_twiml_finish(x, &why);
    if (doc == NULL) {
        ctn_log_err(t->call_sid, "TwiML error: %s", why);
        return fallback_twiml(t, reply->lang);
    }
    return doc;
}

/* The realtime engine: the greeting at once (no model has warmed up yet),
 * then the media stream to the worker with its admission token, then — when
 * the stream ends abnormally — the built-in engine carries the call on. */
static const char *realtime_twiml(turn_t *t, const ctn_dialog_reply_t *greeting)
{
    ctn_twiml_t *x = ctn_twiml_create(t->pool);
    const char *lang = ctn_language_tag(greeting->lang), *why = NULL, *doc;

    for (int i = 0; i < greeting->lines->nelts; i++) {
        ctn_twiml_say(x, APR_ARRAY_IDX(greeting->lines, i, const char *), greeting->voice, lang);
    }
    ctn_twiml_connect_stream(x, t->env->stream_url, "token",
                             ctn_stream_token_sign(t->pool, t->env->stream_key, t->call_sid,
                                                   t->business->id, apr_time_now()));
    ctn_twiml_redirect(x, action_url(t, "/twilio/gather"));
    doc = ctn_twiml_finish(x, &why);
    if (doc == NULL) {
        ctn_log_err(t->call_sid, "TwiML error: %s", why);
        return reply_twiml(t, greeting);
    }
    if (t->env->prewarm) {
        /* The session warms up while Twilio plays the greeting. */
        t->env->prewarm(t->env->baton, t->call_sid, t->business->id);
    }
    return doc;
}

/* --------------------------------------------------------------- events --- */

static void publish(turn_t *t, const char *type, json_object *payload)
{
    json_object_object_add(payload, "call_id", json_object_new_string(t->call->id));
    json_object_object_add(payload, "call_sid", json_object_new_string(t->call->call_sid));
    if (t->env->publish) {
        t->env->publish(t->env->baton, t->conn, t->business->id, t->call->call_sid, type,
                        ctn_json_serialize(t->pool, payload));
    }
    json_object_put(payload);
}

/* The events of every turn are written without json-c objects: `w` holds
 * an open object with the event's own members; the call's are added here. */
static void publish_written(turn_t *t, const char *type, ctn_json_writer_t *w)
{
    ctn_jw_string(w, "call_id", t->call->id);
    ctn_jw_string(w, "call_sid", t->call->call_sid);
    ctn_jw_object_end(w);
    if (t->env->publish) {
        t->env->publish(t->env->baton, t->conn, t->business->id, t->call->call_sid, type,
                        ctn_jw_text(w));
    }
}

/* Lines are collected during the turn and written with the state in one
 * round trip (flush); their live events follow once they are stored. */
static void add_line(turn_t *t, const char *speaker, const char *text, ctn_lang_e lang)
{
    ctn_call_line_t *l;

    if (t->lines == NULL) {
        t->lines = apr_array_make(t->pool, 4, sizeof(ctn_call_line_t));
    }
    l = apr_array_push(t->lines);
    l->speaker = speaker;
    l->text = text;
    l->language = ctn_language_code(lang);
}

static void flush(turn_t *t, const char *state, const ctn_dialog_state_t *st)
{
    apr_array_header_t *none = apr_array_make(t->pool, 1, sizeof(ctn_call_line_t));
    const apr_array_header_t *lines = t->lines ? t->lines : none;
    const char *disposition = NULL;
    int seq = 0;

    if (st && (st->stage == CTN_STAGE_DONE || st->dispatched || st->appointment_id)) {
        disposition = ctn_dialog_disposition(st);
    }
    if (ctn_calls_save_turn(t->conn, t->pool, t->call, state,
                            st ? ctn_language_code(st->lang.current) : NULL, st ? st->emergency : 0,
                            disposition, st ? st->appointment_id : NULL, lines,
                            &seq) != APR_SUCCESS) {
        t->lines = NULL;
        return; /* logged; the call goes on */
    }
    for (int i = 0; i < lines->nelts; i++) {
        const ctn_call_line_t *l = &APR_ARRAY_IDX(lines, i, ctn_call_line_t);
        apr_size_t n = strlen(l->text);
        ctn_json_writer_t w;
        ctn_jw_init(&w, t->pool, 256 + n);
        ctn_jw_object_begin(&w, NULL);
        ctn_jw_string(&w, "speaker", l->speaker);
        /* The ring holds at most CTN_RING_PAYLOAD_MAX bytes: long lines are
         * shortened there (whole characters); the database keeps them whole. */
        ctn_jw_string(&w, "text", n > 600 ? ctn_text_prefix(t->pool, l->text, 600) : l->text);
        ctn_jw_string(&w, "language", l->language);
        ctn_jw_int(&w, "seq", seq + i);
        publish_written(t, "transcript", &w);
    }
    t->lines = NULL;
}

/* ---------------------------------------------------------------- setup --- */

/* Connect, find the business by the dialled number (which also makes it
 * the connection's tenant), and load it. */
static int open_business(turn_t *t, int with_call)
{
    const char *business_id = NULL;
    apr_status_t rv;

    if (t->env->db_acquire(t->env->baton, t->pool, &t->conn) != APR_SUCCESS) {
        return 503;
    }
    if (with_call) {
        /* A turn of a call needs the business and the call: the tenant set
         * and both loaded in one round trip. */
        rv = ctn_calls_turn_load(&t->call, &t->business, t->conn, t->pool, t->to, t->call_sid);
    } else if ((rv = ctn_business_id_by_number(&business_id, t->conn, t->pool, t->to)) ==
               APR_SUCCESS) {
        rv = ctn_business_load(&t->business, t->conn, t->pool, business_id);
        rv = rv == APR_ENOENT ? APR_EGENERAL : rv; /* found by number: must be visible */
    }
    if (rv == APR_ENOENT) {
        return 404;
    }
    if (rv != APR_SUCCESS) {
        return 503;
    }
    t->sms.api_base = t->env->twilio_api_base;
    t->sms.account_sid = t->env->twilio_account_sid;
    t->sms.auth_token = t->env->twilio_auth_token;
    return 0;
}

static void build_context(turn_t *t)
{
    const char *why = NULL;
    apr_array_header_t *rules = NULL;

    memset(&t->tools, 0, sizeof(t->tools));
    t->tools.conn = t->conn;
    t->tools.business = t->business;
    t->tools.call = t->call;
    t->tools.sms = &t->sms;
    t->tools.public_url = t->env->public_url;
    ctn_tools_init(&t->tools);
    memset(&t->ctx, 0, sizeof(t->ctx));
    t->ctx.business_name = t->business->name;
    t->ctx.personality = t->business->personality;
    t->ctx.services = t->business->services;
    t->ctx.pricing = t->business->pricing;
    t->ctx.service_area = t->business->service_area;
    if (ctn_emergency_rules_from_json(&rules, t->pool,
                                      ctn_business_setting(t->business, "emergency_rules"),
                                      &why) != APR_SUCCESS) {
        ctn_log_warning(t->call_sid, "ignoring the business's emergency rules: %s", why);
        rules = NULL;
    }
    t->ctx.emergency_rules = rules;
    t->ctx.freezing = ctn_business_setting_bool(t->business, "freezing", 0);
    t->ctx.caller_number = t->call ? t->call->from_number : t->from;
    t->ctx.owner_phone = t->business->owner_phone;
    t->ctx.after_hours = t->call && t->call->route && strcmp(t->call->route, "after_hours") == 0;
    t->ctx.tools = &t->tools.ops;
}

/* Persist the state and the turn's lines, then tell the dashboard. */
static void save_turn(turn_t *t, ctn_dialog_state_t *st, const ctn_dialog_reply_t *reply)
{
    ctn_json_writer_t w;

    for (int i = 0; i < reply->lines->nelts; i++) {
        add_line(t, "cortana", APR_ARRAY_IDX(reply->lines, i, const char *), reply->lang);
    }
    flush(t, ctn_dialog_state_serialize(t->pool, st), st);
    ctn_jw_init(&w, t->pool, 256);
    ctn_jw_object_begin(&w, NULL);
    ctn_jw_string(&w, "intent", reply->intent);
    ctn_jw_bool(&w, "emergency", st->emergency);
    ctn_jw_bool(&w, "booked", st->appointment_id != NULL);
    ctn_jw_string(&w, "language", ctn_language_code(st->lang.current));
    publish_written(t, "call.updated", &w);
}

/* ------------------------------------------------------------- webhooks --- */

/* A call to a number no business has (any more). */
static const char *not_in_service(turn_t *t)
{
    ctn_twiml_t *x = ctn_twiml_create(t->pool);
    const char *why;

    ctn_twiml_say(x, "Sorry, this number is not in service. Goodbye.", "Polly.Joanna-Neural",
                  "en-US");
    ctn_twiml_hangup(x);
    return ctn_twiml_finish(x, &why);
}

static int on_voice(turn_t *t, const char **twiml)
{
    ctn_routing_input_t in;
    ctn_routing_result_t route;
    ctn_call_open_t open;
    ctn_dialog_state_t st;
    ctn_dialog_reply_t reply;
    ctn_personality_t *pers = NULL;
    ctn_twiml_t *x;
    const char *why;
    int status, blocked = 0, active = 0, is_open = 1;

    if ((status = require_call(t, 1)) != 0) {
        return status;
    }
    if ((status = open_business(t, 0)) == 404) {
        ctn_log_warning(t->call_sid, "call to %s, which no business has", t->to);
        *twiml = not_in_service(t);
        return 200;
    }
    if (status != 0) {
        ctn_log_err(t->call_sid, "database unavailable: answering with voicemail");
        *twiml = fallback_twiml(t, CTN_LANG_EN);
        return 200;
    }
    memset(&in, 0, sizeof(in));
    ctn_calls_caller_blocked(t->conn, t->business->id, t->from, &blocked);
    ctn_calls_active_count(t->conn, t->business->id, &active);
    ctn_calendar_is_open(t->conn, t->business->id, &is_open);
    in.subscription_status = t->business->subscription_status;
    in.plan = t->business->plan;
    in.open_now = is_open;
    in.active_calls = active;
    in.overflow_limit = ctn_business_setting_int(t->business, "overflow_limit", 0);
    in.caller_blocked = blocked;
    in.owner_phone = t->business->owner_phone;
    in.realtime_available = t->env->realtime_available;
    ctn_routing_decide(&in, &route);
    /* The call starts in the first language the business offers (its
     * personality's `languages`); the caller's words may switch it. */
    (void)ctn_personality_parse(&pers, t->pool, t->business->personality, t->business->name, NULL);
    memset(&open, 0, sizeof(open));
    open.business_id = t->business->id;
    open.call_sid = t->call_sid;
    open.from_number = t->from;
    open.to_number = t->to;
    open.route = ctn_routing_decision_name(route.decision);
    open.engine = route.engine;
    open.language = ctn_language_code(pers->default_lang);
    open.is_test = ctn_form_get(t->params, "CortanaTestCall") != NULL;
    if (ctn_calls_open(&t->call, t->conn, t->pool, &open) != APR_SUCCESS) {
        *twiml = fallback_twiml(t, CTN_LANG_EN);
        return 200;
    }
    ctn_log_info(t->call_sid, "call from %s to %s: %s", t->from, t->to, route.reason);
    if (t->call->created) {
        json_object *ev = json_object_new_object();
        json_object_object_add(ev, "from", json_object_new_string(t->from));
        json_object_object_add(ev, "route", json_object_new_string(open.route));
        json_object_object_add(ev, "engine", json_object_new_string(open.engine));
        json_object_object_add(ev, "test", json_object_new_boolean(open.is_test));
        publish(t, "call.started", ev);
    }
    build_context(t);
    ctn_dialog_state_init(&st, pers->default_lang);
    x = ctn_twiml_create(t->pool);
    switch (route.decision) {
    case CTN_ROUTING_BLOCKED:
    case CTN_ROUTING_VOICEMAIL:
        /* In the business's first language, with its voice. */
        ctn_dialog_routed(&reply, t->pool, &st, &t->ctx, route.decision == CTN_ROUTING_VOICEMAIL);
        x = NULL;
        break;
    case CTN_ROUTING_FORWARD_OWNER:
        st.transferred = 1;
        st.stage = CTN_STAGE_DONE;
        ctn_twiml_dial(x, t->business->owner_phone, NULL, t->business->phone_number);
        break;
    default:
        ctn_dialog_start(&reply, t->pool, &st, &t->ctx);
        /* The realtime engine holds the call from here; the built-in engine
         * gets it back by the <Redirect> after the stream (on_handoff). */
        st.realtime = strcmp(route.engine, "realtime") == 0;
        save_turn(t, &st, &reply);
        *twiml = strcmp(route.engine, "realtime") == 0 ? realtime_twiml(t, &reply)
                                                       : reply_twiml(t, &reply);
        return 200;
    }
    ctn_calls_save_state(
        t->conn, t->call, ctn_dialog_state_serialize(t->pool, &st),
        ctn_language_code(st.lang.current), 0,
        route.decision == CTN_ROUTING_VOICEMAIL ? NULL : ctn_dialog_disposition(&st), NULL);
    *twiml = x ? ctn_twiml_finish(x, &why) : reply_twiml(t, &reply);
    return 200;
}

static int load_call(turn_t *t)
{
    int status;

    if ((status = open_business(t, 1)) != 0) {
        return status;
    }
    if (t->call == NULL) {
        return 404;
    }
    build_context(t);
    return 0;
}

/* ------------------------------------------------------------- handoff --- */

/* Marks the call log when the built-in engine takes a call over. */
#define FAILOVER "realtime_to_builtin"

/* What the realtime engine left of the call, read in the statement that
 * marks the failover: the transcript its worker stored, the call's
 * dispatch, an appointment booked for it, a message taken. On failure the
 * handoff is empty and the dialog simply asks how it can help. */
static void load_handoff(turn_t *t, ctn_dialog_handoff_t *h)
{
    static const char sql[] =
        "UPDATE call_logs c SET failover = coalesce(c.failover, $2) WHERE c.id = $1 RETURNING "
        "(SELECT json_agg(json_build_array(l.speaker, l.text) ORDER BY l.seq) "
        " FROM transcript_lines l WHERE l.call_log_id = c.id), "
        "(SELECT coalesce(d.category, '') FROM dispatches d WHERE d.call_log_id = c.id), "
        "c.emergency, c.message IS NOT NULL, "
        "(SELECT json_build_array(a.id, a.customer_name, a.customer_phone, a.customer_address, "
        " a.problem) FROM appointments a WHERE a.call_log_id = c.id AND a.status <> 'canceled' "
        " ORDER BY a.created_at LIMIT 1), "
        "(SELECT d.notified_at IS NOT NULL FROM dispatches d WHERE d.call_log_id = c.id)";
    const char *params[2] = {t->call->id, FAILOVER};
    apr_array_header_t *lines = apr_array_make(t->pool, 16, sizeof(ctn_dialog_line_t));
    json_object *said = NULL, *booked = NULL;
    PGresult *res = NULL;
    const char *why = NULL;

    memset(h, 0, sizeof(*h));
    ctn_slots_init(&h->booked);
    h->lines = lines;
    if (ctn_calls_exec(&res, t->conn, t->pool, "reading what the realtime engine left",
                       PGRES_TUPLES_OK, sql, 2, params) != APR_SUCCESS ||
        PQntuples(res) != 1) {
        return;
    }
    if (!PQgetisnull(res, 0, 0)) {
        said = ctn_json_parse(t->pool, PQgetvalue(res, 0, 0), PQgetlength(res, 0, 0), &why);
    }
    for (size_t i = 0;
         json_object_is_type(said, json_type_array) && i < json_object_array_length(said); i++) {
        json_object *pair = json_object_array_get_idx(said, i);
        ctn_dialog_line_t *l = apr_array_push(lines);
        l->speaker =
            apr_pstrdup(t->pool, json_object_get_string(json_object_array_get_idx(pair, 0)));
        l->text = apr_pstrdup(t->pool, json_object_get_string(json_object_array_get_idx(pair, 1)));
    }
    h->dispatch_category =
        PQgetisnull(res, 0, 1) ? NULL : apr_pstrdup(t->pool, PQgetvalue(res, 0, 1));
    /* Someone on the chain was texted; an exhausted dispatch that never
     * notified anyone alerted nobody. */
    h->dispatched = PQgetvalue(res, 0, 5)[0] == 't';
    h->emergency = PQgetvalue(res, 0, 2)[0] == 't';
    h->message_taken = PQgetvalue(res, 0, 3)[0] == 't';
    if (!PQgetisnull(res, 0, 4) &&
        (booked = ctn_json_parse(t->pool, PQgetvalue(res, 0, 4), PQgetlength(res, 0, 4), &why))) {
        const char **fields[4] = {&h->booked.name, &h->booked.callback_number, &h->booked.address,
                                  &h->booked.problem};
        h->appointment_id =
            apr_pstrdup(t->pool, json_object_get_string(json_object_array_get_idx(booked, 0)));
        for (int i = 0; i < 4; i++) {
            json_object *v = json_object_array_get_idx(booked, (size_t)i + 1);
            *fields[i] = json_object_is_type(v, json_type_string)
                             ? apr_pstrdup(t->pool, json_object_get_string(v))
                             : NULL;
        }
    }
}

/* The realtime engine's stream ended abnormally (OpenAI gone, the worker
 * restarted) and Twilio ran the <Redirect> of realtime_twiml: the built-in
 * engine carries the call on from what was said and done there. The final
 * disposition is still the status callback's. */
static int on_handoff(turn_t *t, ctn_dialog_state_t *st, const char *speech, const char **twiml)
{
    ctn_dialog_handoff_t h;
    ctn_dialog_reply_t reply;
    int heard = 0;

    load_handoff(t, &h);
    for (int i = 0; i < h.lines->nelts; i++) {
        heard += strcmp(APR_ARRAY_IDX(h.lines, i, ctn_dialog_line_t).speaker, "caller") == 0;
    }
    ctn_log_notice(t->call_sid,
                   "the realtime engine's stream ended: the built-in engine takes over after %d "
                   "caller lines%s%s",
                   heard,
                   h.dispatch_category ? (h.dispatched ? ", dispatched" : ", nobody alerted") : "",
                   h.appointment_id ? ", booked" : "");
    ctn_dialog_resume(&reply, t->pool, st, &t->ctx, &h);
    add_line(t, "system", "The realtime engine stopped; the built-in engine continues the call.",
             st->lang.current);
    if (speech && *speech) {
        /* A <Redirect> carries no speech; words that came anyway are a turn. */
        add_line(t, "caller", speech, st->lang.current);
        ctn_dialog_turn(&reply, t->pool, st, &t->ctx, speech);
    }
    {
        json_object *ev = json_object_new_object();
        json_object_object_add(ev, "engine", json_object_new_string("builtin"));
        json_object_object_add(ev, "failover", json_object_new_string(FAILOVER));
        publish(t, "call.updated", ev);
    }
    save_turn(t, st, &reply);
    *twiml = reply_twiml(t, &reply);
    return 200;
}

static int on_gather(turn_t *t, const char **twiml)
{
    ctn_dialog_state_t st;
    ctn_dialog_reply_t reply;
    const char *speech = ctn_form_get(t->params, "SpeechResult");
    int status;

    if ((status = require_call(t, 1)) != 0) {
        return status;
    }
    if ((status = load_call(t)) == 404) {
        return bad_request(t, "no call with this CallSid for the dialled number");
    }
    if (status != 0) {
        ctn_log_err(t->call_sid, "database unavailable mid-call: taking a message");
        *twiml = fallback_twiml(t, CTN_LANG_EN);
        return 200;
    }
    if (t->call->dialog_state == NULL ||
        ctn_dialog_state_from_json(&st, t->pool, t->call->dialog_state) != APR_SUCCESS) {
        ctn_dialog_state_init(&st, ctn_language_from_code(t->call->language));
        /* A realtime call whose greeting state was lost is handed over too. */
        st.realtime = t->call->engine && strcmp(t->call->engine, "realtime") == 0;
    }
    if (st.realtime) {
        return on_handoff(t, &st, speech, twiml);
    }
    if (speech && *speech) {
        add_line(t, "caller", speech, st.lang.current);
    }
    ctn_dialog_turn(&reply, t->pool, &st, &t->ctx, speech);
    if (reply.language_switched) {
        ctn_log_info(t->call_sid, "language switched to %s", ctn_language_code(reply.lang));
    }
    save_turn(t, &st, &reply);
    *twiml = reply_twiml(t, &reply);
    return 200;
}

/* A recording for a call with no call log: the voice webhook found the
 * database down and could only answer with fallback_twiml, and Twilio
 * retried the recording once it was back. The call log is opened now, so
 * the message is kept (and its transcription finds the call); on_voicemail
 * then closes it, since the status callback may well have come already. */
static int open_call_for_recording(turn_t *t)
{
    ctn_personality_t *pers = NULL;
    ctn_call_open_t open;

    memset(&open, 0, sizeof(open));
    open.business_id = t->business->id;
    open.call_sid = t->call_sid;
    open.from_number = t->from;
    open.to_number = t->to;
    open.route = ctn_routing_decision_name(CTN_ROUTING_VOICEMAIL);
    open.engine = "builtin";
    /* The business's first language, as /twilio/voice opens a call. */
    (void)ctn_personality_parse(&pers, t->pool, t->business->personality, t->business->name, NULL);
    open.language = ctn_language_code(pers->default_lang);
    if (ctn_calls_open(&t->call, t->conn, t->pool, &open) != APR_SUCCESS) {
        return 503;
    }
    ctn_log_notice(t->call_sid, "a recording for a call the database missed: call log opened");
    build_context(t);
    return 0;
}

static int on_voicemail(turn_t *t, const char **twiml)
{
    const char *url = ctn_form_get(t->params, "RecordingUrl");
    const char *rec_sid = ctn_form_get(t->params, "RecordingSid");
    const char *duration = ctn_form_get(t->params, "RecordingDuration");
    const char *params[5];
    ctn_dialog_state_t st;
    ctn_dialog_reply_t reply;
    int status, opened = 0;

    if ((status = require_call(t, 1)) != 0) {
        return status;
    }
    if (url == NULL || rec_sid == NULL) {
        return bad_request(t, "missing RecordingUrl or RecordingSid");
    }
    if ((status = load_call(t)) == 404 && t->business != NULL) {
        status = open_call_for_recording(t);
        opened = status == 0;
    }
    if (status == 404) {
        /* As /twilio/voice answers such a call: the caller is still on the
         * line, and a 4xx would have Twilio say "an application error". */
        ctn_log_warning(t->call_sid, "recording of a call to %s, which no business has", t->to);
        *twiml = not_in_service(t);
        return 200;
    }
    if (status != 0) {
        /* 503: Twilio retries the callback once the database is back. */
        *t->why = "database unavailable: Twilio will retry";
        return 503;
    }
    params[0] = t->business->id;
    params[1] = t->call->id;
    params[2] = rec_sid;
    params[3] = url;
    params[4] = duration;
    ctn_calls_exec(
        NULL, t->conn, NULL, "storing the voicemail", PGRES_COMMAND_OK,
        "INSERT INTO voicemails (business_id, call_log_id, recording_sid, recording_url, "
        "duration_s) VALUES ($1, $2, $3, $4, $5::int) ON CONFLICT (recording_sid) DO "
        "NOTHING",
        5, params);
    {
        const char *p2[2] = {t->call->id, url};
        ctn_calls_exec(NULL, t->conn, NULL, "linking the voicemail", PGRES_COMMAND_OK,
                       "UPDATE call_logs SET recording_url = $2, disposition = CASE WHEN "
                       "disposition IS NULL OR disposition IN ('abandoned', 'question_answered') "
                       "THEN 'message_taken' ELSE disposition END WHERE id = $1",
                       2, p2);
    }
    /* Thanked in the call's language (a Spanish caller sent to voicemail
     * after two re-prompts is still Spanish). */
    if (t->call->dialog_state == NULL ||
        ctn_dialog_state_from_json(&st, t->pool, t->call->dialog_state) != APR_SUCCESS) {
        ctn_dialog_state_init(&st, ctn_language_from_code(t->call->language));
    }
    ctn_dialog_recorded(&reply, t->pool, &st, &t->ctx);
    if (opened) {
        /* The call ends with this TwiML, and its status callback found no
         * call log (204) if it came while the database was down or before
         * this retry: left in-progress, the call would count against the
         * concurrent-call limit for hours. A status callback still to come
         * finishes it again with the real duration. */
        ctn_calls_finish(t->conn, t->call, "completed", duration ? atoi(duration) : 0,
                         "message_taken",
                         apr_psprintf(t->pool,
                                      "%s call (message_taken). Voicemail left while "
                                      "the database was unreachable.",
                                      t->call->language ? t->call->language : "en"),
                         NULL);
    }
    *twiml = reply_twiml(t, &reply);
    return 200;
}

/* A message that only a voicemail's transcription holds belongs in the
 * summary the owner reads (briefly). Twilio sends the transcription after
 * the status callback, which wrote the summary, or before it: called from
 * both, and idempotent for their retries. */
static void summarize_voicemail(turn_t *t)
{
    const char *params[1] = {t->call->id};

    ctn_calls_exec(NULL, t->conn, NULL, "summarizing the voicemail", PGRES_COMMAND_OK,
                   "UPDATE call_logs SET summary = summary || ' Voicemail: ' || left(message, 200) "
                   "|| CASE WHEN length(message) > 200 THEN '…' ELSE '' END WHERE id = $1 AND "
                   "message <> '' AND strpos(summary, message) = 0 AND "
                   "strpos(summary, ' Voicemail: ') = 0",
                   1, params);
}

static int on_transcription(turn_t *t, const char **twiml)
{
    const char *text = ctn_form_get(t->params, "TranscriptionText");
    const char *rec_sid = ctn_form_get(t->params, "RecordingSid");
    ctn_emergency_match_t match;
    int status;

    if ((status = require_call(t, 1)) != 0) {
        return status;
    }
    if (rec_sid == NULL) {
        return bad_request(t, "missing RecordingSid");
    }
    if ((status = load_call(t)) == 404 && t->business == NULL) {
        /* Nothing to keep it on, and nobody to tell: not worth a retry. */
        ctn_log_warning(t->call_sid, "transcription of a call to %s, which no business has", t->to);
        return 204;
    }
    if (status == 404) {
        return bad_request(t, "no call with this CallSid for the dialled number");
    }
    if (status != 0) {
        *t->why = "database unavailable: Twilio will retry";
        return 503;
    }
    *twiml = NULL;
    if (text == NULL || *text == '\0') {
        /* No words (Twilio transcribes US English only, and a failed
         * transcription has none): the owner still hears of the message. */
        static const char *const what[2] = {
            "voicemail with no transcription, listen to it on the call's page",
            "buzón de voz sin transcripción, escúchelo en la página de la llamada"};
        ctn_tools_notify_owner(t->conn, t->pool, &t->sms, t->business, t->call, t->env->public_url,
                               what);
        return 204;
    }
    {
        const char *params[2] = {rec_sid, text};
        ctn_calls_exec(NULL, t->conn, NULL, "storing the transcription", PGRES_COMMAND_OK,
                       "UPDATE voicemails SET transcription = $2 WHERE recording_sid = $1", 2,
                       params);
    }
    {
        const char *params[2] = {t->call->id, text};
        ctn_calls_exec(NULL, t->conn, NULL, "storing the message", PGRES_COMMAND_OK,
                       "UPDATE call_logs SET message = $2 WHERE id = $1", 2, params);
    }
    summarize_voicemail(t);
    add_line(t, "caller", text, ctn_language_from_code(t->call->language));
    flush(t, NULL, NULL);
    /* The referee: an emergency in a voicemail dispatches too. */
    if (ctn_emergency_detect(t->pool, text, t->ctx.emergency_rules, t->ctx.freezing, &match)) {
        ctn_slots_t slots;
        ctn_slots_init(&slots);
        ctn_slots_extract(&slots, t->pool, text, CTN_EXPECT_NONE);
        slots.callback_number = t->call->from_number;
        if (t->tools.ops.dispatch(t->tools.ops.baton, t->pool, &slots, match.category) !=
            APR_SUCCESS) {
            /* Nobody on call could be alerted: still an emergency, and a
             * message the business must call back about (the voicemail
             * made it message_taken). */
            const char *params[1] = {t->call->id};
            ctn_calls_exec(NULL, t->conn, NULL, "marking the emergency", PGRES_COMMAND_OK,
                           "UPDATE call_logs SET emergency = true WHERE id = $1", 1, params);
            const char *what[2] = {
                apr_psprintf(t->pool, "emergency voicemail, nobody on call could be alerted: %s",
                             text),
                apr_psprintf(t->pool,
                             "emergencia en el buzón de voz, no se pudo avisar a nadie de "
                             "guardia: %s",
                             text)};
            ctn_tools_notify_owner(t->conn, t->pool, &t->sms, t->business, t->call,
                                   t->env->public_url, what);
        } else {
            const char *params[1] = {t->call->id};
            /* A status callback that came first wrote a summary naming the
             * disposition it saw ("en call (message_taken)."): it names the
             * final one, as the call log's disposition does. */
            ctn_calls_exec(NULL, t->conn, NULL, "marking the emergency", PGRES_COMMAND_OK,
                           "UPDATE call_logs SET emergency = true, disposition = "
                           "'emergency_dispatched', summary = regexp_replace(summary, "
                           "'^([^(.]*)\\([a-z_]+\\)\\.', '\\1(emergency_dispatched).') "
                           "WHERE id = $1",
                           1, params);
            /* The status callback tells the owner of an emergency call; a
             * transcription usually comes after it (the call has ended). */
            if (t->call->status && strcmp(t->call->status, "in-progress") != 0) {
                const char *what[2] = {
                    apr_psprintf(t->pool, "emergency voicemail dispatched: %s", text),
                    apr_psprintf(t->pool, "emergencia en el buzón de voz, técnico avisado: %s",
                                 text)};
                ctn_tools_notify_owner(t->conn, t->pool, &t->sms, t->business, t->call,
                                       t->env->public_url, what);
            }
        }
    } else {
        const char *what[2] = {apr_psprintf(t->pool, "voicemail: %s", text),
                               apr_psprintf(t->pool, "buzón de voz: %s", text)};
        ctn_tools_notify_owner(t->conn, t->pool, &t->sms, t->business, t->call, t->env->public_url,
                               what);
    }
    return 204;
}

/* <Dial>'s action: the transfer to a person ended. Answered, the call is
 * over; busy, not answered or failed, the caller leaves a message instead
 * of being hung up on (the owner, on a job, only saw a missed call from
 * the business's own number). */
static int on_dial_status(turn_t *t, const char **twiml)
{
    const char *dial_status = ctn_form_get(t->params, "DialCallStatus");
    ctn_dialog_state_t st;
    ctn_dialog_reply_t reply;
    ctn_twiml_t *x;
    int status;

    if (dial_status == NULL ||
        (strcmp(dial_status, "busy") != 0 && strcmp(dial_status, "no-answer") != 0 &&
         strcmp(dial_status, "failed") != 0)) {
        x = ctn_twiml_create(t->pool);
        ctn_twiml_hangup(x);
        *twiml = ctn_twiml_finish(x, t->why);
        return 200;
    }
    if ((status = require_call(t, 1)) != 0) {
        return status;
    }
    if ((status = load_call(t)) == 404) {
        return bad_request(t, "no call with this CallSid for the dialled number");
    }
    if (status != 0) {
        ctn_log_err(t->call_sid, "database unavailable after a transfer: taking a message");
        *twiml = fallback_twiml(t, CTN_LANG_EN);
        return 200;
    }
    if (t->call->dialog_state == NULL ||
        ctn_dialog_state_from_json(&st, t->pool, t->call->dialog_state) != APR_SUCCESS) {
        ctn_dialog_state_init(&st, ctn_language_from_code(t->call->language));
    } else if (st.realtime) {
        /* The realtime engine followed the caller's language on the call
         * log; the dialog's state still has the greeting's. */
        ctn_language_state_init(&st.lang, ctn_language_from_code(t->call->language));
    }
    ctn_log_info(t->call_sid, "the transfer ended %s: taking a message", dial_status);
    ctn_dialog_transfer_unanswered(&reply, t->pool, &st, &t->ctx);
    save_turn(t, &st, &reply);
    *twiml = reply_twiml(t, &reply);
    return 200;
}

/* Dispositions from the least to the most telling, as ctn_dialog_disposition
 * ranks them; -1 for none. */
static int disposition_rank(const char *disposition)
{
    static const char *const order[] = {"abandoned",
                                        "question_answered",
                                        "message_taken",
                                        "transferred",
                                        "spam",
                                        "booked",
                                        "emergency_dispatched",
                                        NULL};

    for (int i = 0; disposition && order[i]; i++) {
        if (strcmp(disposition, order[i]) == 0) {
            return i;
        }
    }
    return -1;
}

/* A call the realtime engine held to its end: the built-in dialog never ran
 * (its state is the greeting's), so what happened is what the model's tools
 * recorded on the call log — a dispatch, a booking, a message, a transfer —
 * and otherwise, when the caller spoke, a conversation the model handled: a
 * question answered, not an abandoned call (which would text the caller
 * that they were missed). The summary says what the caller said. */
static void realtime_outcome(turn_t *t, const char *said, const char **disposition,
                             const char **summary)
{
    const char *outcome = t->call->disposition ? t->call->disposition
                          : said               ? "question_answered"
                                               : "abandoned";
    const char *emergency = "";

    if (t->call->emergency) {
        /* As the built-in summary says it: whether anyone on call was
         * alerted, or the business must call back. */
        const char *params[1] = {t->call->id};
        PGresult *res = NULL;
        const char *category = NULL;
        int alerted = 0;
        if (ctn_calls_exec(&res, t->conn, t->pool, "reading the call's dispatch", PGRES_TUPLES_OK,
                           "SELECT category, notified_at IS NOT NULL FROM dispatches "
                           "WHERE call_log_id = $1",
                           1, params) == APR_SUCCESS &&
            PQntuples(res) == 1) {
            category = PQgetisnull(res, 0, 0) ? NULL : PQgetvalue(res, 0, 0);
            alerted = PQgetvalue(res, 0, 1)[0] == 't';
        }
        emergency = apr_psprintf(
            t->pool, " Emergency: %s%s%s.",
            category ? ctn_emergency_category_say(category, CTN_LANG_EN) : "", category ? ", " : "",
            alerted ? "on-call technician alerted" : "nobody on call could be alerted: call back");
    }
    *disposition = t->call->disposition ? NULL : outcome;
    *summary = apr_psprintf(t->pool, "%s call, realtime engine (%s).%s%s%s%s",
                            t->call->language ? t->call->language : "en", outcome, emergency,
                            said ? " Caller: \"" : "",
                            said ? ctn_text_prefix(t->pool, said, 300) : "", said ? "\"" : "");
}

static int on_status(turn_t *t, const char **twiml)
{
    const char *call_status = ctn_form_get(t->params, "CallStatus");
    const char *duration = ctn_form_get(t->params, "CallDuration");
    ctn_dialog_state_t st;
    const char *disposition = NULL, *summary = NULL;
    int status, has_state;

    *twiml = NULL;
    if ((status = require_call(t, 1)) != 0) {
        return status;
    }
    if (call_status == NULL) {
        return bad_request(t, "missing CallStatus");
    }
    if ((status = load_call(t)) == 404) {
        return 204; /* a call we never answered (e.g. rejected upstream) */
    }
    if (status != 0) {
        *t->why = "database unavailable: Twilio will retry";
        return 503;
    }
    has_state = t->call->dialog_state &&
                ctn_dialog_state_from_json(&st, t->pool, t->call->dialog_state) == APR_SUCCESS;
    if (has_state) {
        disposition = ctn_dialog_disposition(&st);
        if (disposition_rank(t->call->disposition) > disposition_rank(disposition)) {
            /* Keep what a voicemail or a voicemail's dispatch recorded after
             * the dialog's last turn (a message left after a question). */
            disposition = NULL;
        }
        summary = ctn_dialog_summary(t->pool, &st, disposition ? NULL : t->call->disposition);
    }
    {
        const char *params[1] = {t->call->id}, *said = NULL;
        PGresult *res = NULL;
        const char *sentiment = "neutral";
        if (ctn_calls_exec(&res, t->conn, t->pool, "reading what the caller said", PGRES_TUPLES_OK,
                           "SELECT string_agg(text, ' ' ORDER BY seq) FROM transcript_lines "
                           "WHERE call_log_id = $1 AND speaker = 'caller'",
                           1, params) == APR_SUCCESS &&
            !PQgetisnull(res, 0, 0)) {
            said = PQgetvalue(res, 0, 0);
            sentiment = ctn_dialog_sentiment(t->pool, said);
        }
        if (has_state && st.realtime) {
            realtime_outcome(t, said, &disposition, &summary);
        }
        ctn_calls_finish(t->conn, t->call, call_status, duration ? atoi(duration) : 0, disposition,
                         summary, sentiment);
        summarize_voicemail(t);
    }
    /* Re-read to see the final disposition. */
    ctn_calls_get(&t->call, t->conn, t->pool, t->call_sid);
    if (t->call->disposition && strcmp(t->call->disposition, "abandoned") == 0 &&
        !t->call->is_test && ctn_business_setting_bool(t->business, "missed_call_text_back", 1)) {
        ctn_sms_t text;
        memset(&text, 0, sizeof(text));
        text.business_id = t->business->id;
        text.to = t->call->from_number;
        text.from = t->business->phone_number;
        text.call_log_id = t->call->id;
        text.purpose = "missed_call";
        /* In the language the call was in (a Spanish-only business's callers). */
        text.body = apr_psprintf(t->pool,
                                 t->call->language && strcmp(t->call->language, "es") == 0
                                     ? "¡Sentimos no haber atendido su llamada a %s! Responda "
                                       "a este mensaje o devuélvanos la llamada y le ayudamos "
                                       "enseguida."
                                     : "Sorry we missed you at %s! Reply to this text or call "
                                       "us back and we'll help right away.",
                                 t->business->name);
        if (text.to && text.to[0] == '+') {
            ctn_sms_enqueue(t->conn, t->pool, &t->sms, &text, NULL);
        }
    } else if (t->call->disposition && strcmp(t->call->disposition, "emergency_dispatched") == 0) {
        static const char *const what[2] = {"emergency call dispatched",
                                            "llamada de emergencia, técnico avisado"};
        ctn_tools_notify_owner(t->conn, t->pool, &t->sms, t->business, t->call, t->env->public_url,
                               what);
    }
    {
        json_object *ev = json_object_new_object();
        json_object_object_add(
            ev, "disposition",
            json_object_new_string(t->call->disposition ? t->call->disposition : "abandoned"));
        json_object_object_add(ev, "duration_s",
                               json_object_new_int(duration ? atoi(duration) : 0));
        publish(t, "call.ended", ev);
    }
    return 204;
}

static int on_sms(turn_t *t, const char **twiml)
{
    const char *from = ctn_form_get(t->params, "From");
    const char *body = ctn_form_get(t->params, "Body");
    const char *sid = ctn_form_get(t->params, "MessageSid");
    ctn_twiml_t *x;
    const char *why;
    int status, handled = 0;

    t->to = e164(t->pool, ctn_form_get(t->params, "To"));
    if (from == NULL || t->to == NULL || body == NULL) {
        return bad_request(t, "missing From, To or Body");
    }
    t->call_sid = sid;
    if ((status = open_business(t, 0)) != 0) {
        *t->why = status == 404 ? "no business has this number" : "database unavailable";
        return status == 404 ? 400 : 503;
    }
    ctn_sms_record_inbound(t->conn, t->pool, t->business->id, from, t->to, body, sid, NULL);
    ctn_dispatcher_handle_reply(t->conn, t->pool, &t->sms, t->business->id, from, body, &handled);
    x = ctn_twiml_create(t->pool);
    *twiml = ctn_twiml_finish(x, &why); /* no automatic reply */
    return 200;
}

int ctn_call_flow_handle(const ctn_call_flow_env_t *env, apr_pool_t *pool, const char *path,
                         const apr_array_header_t *params, const char **twiml, const char **why)
{
    turn_t t;

    memset(&t, 0, sizeof(t));
    t.env = env;
    t.pool = pool;
    t.params = params;
    t.why = why;
    *twiml = NULL;
    if (strcmp(path, "/twilio/voice") == 0) {
        return on_voice(&t, twiml);
    }
    if (strcmp(path, "/twilio/gather") == 0) {
        return on_gather(&t, twiml);
    }
    if (strcmp(path, "/twilio/voicemail") == 0) {
        return on_voicemail(&t, twiml);
    }
    if (strcmp(path, "/twilio/transcription") == 0) {
        return on_transcription(&t, twiml);
    }
    if (strcmp(path, "/twilio/dial-status") == 0) {
        return on_dial_status(&t, twiml);
    }
    if (strcmp(path, "/twilio/status") == 0) {
        return on_status(&t, twiml);
    }
    if (strcmp(path, "/twilio/sms") == 0) {
        return on_sms(&t, twiml);
    }
    *why = "no such Twilio webhook";
    return 404;
}
