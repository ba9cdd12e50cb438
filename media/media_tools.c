/* media_tools.c: the relay's work that may block — PostgreSQL, the event
 * ring's lock, Twilio's REST API — run on the relay's apr_thread_pool,
 * never on the event loop. Each job reads only the copies in its
 * relay_job_t, uses its own pool and its own checkout of the worker's
 * connection pool (tenant = the call's business), and leaves its answer in
 * job->result for the loop (media_relay.c).
 *
 * The tools are the built-in engine's (lib/tools.c, lib/calendar.c,
 * lib/dispatcher.c): the same booking, dispatch, knowledge search and
 * messages whichever engine takes the call. */
#include "media_relay.h"

#include "business.h"
#include "calendar.h"
#include "calls.h"
#include "db.h"
#include "emergency.h"
#include "json.h"
#include "language.h"
#include "log.h"
#include "peers.h"
#include "personality.h"
#include "slots.h"
#include "sms.h"
#include "tools.h"
#include "twilio.h"
#include "twiml.h"

#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

static ctn_db_pool_t *dbpool;
static ctn_sms_client_t sms;
static const char *public_url; /* links to calls in texts */

apr_status_t relay_tools_init(relay_t *r)
{
    const char *why = NULL;

    sms.api_base = getenv("CORTANA_TWILIO_API_BASE");
    sms.account_sid = getenv("CORTANA_TWILIO_ACCOUNT_SID");
    sms.auth_token = r->m->twilio_auth_token;
    public_url = getenv("CORTANA_PUBLIC_URL");
    if (r->m->database == NULL) {
        ctn_log_warning(NULL, "no CORTANA_DATABASE: realtime calls will not be logged");
        return APR_SUCCESS;
    }
    (void)why;
    return ctn_db_pool_create(&dbpool, r->m->pool, r->m->database, 0, 4, 4, apr_time_from_sec(60));
}

/* A connection with the call's business as tenant, released with the job's pool. */
static apr_status_t release_db(void *db)
{
    ctn_db_release(dbpool, db);
    return APR_SUCCESS;
}

static PGconn *job_db(relay_job_t *job)
{
    ctn_db_t *db = NULL;

    if (dbpool == NULL || ctn_db_acquire(&db, dbpool, job->business_id) != APR_SUCCESS) {
        ctn_log_err(job->call_sid, "database unavailable: %s",
                    dbpool ? ctn_db_pool_error(dbpool) : "not configured");
        return NULL;
    }
    apr_pool_cleanup_register(job->pool, db, release_db, apr_pool_cleanup_null);
    return ctn_db_conn(db);
}

/* The call and its business, for tools. */
static int load(relay_job_t *job, PGconn *conn, ctn_call_t **call, ctn_business_t **business)
{
    return ctn_business_load(business, conn, job->pool, job->business_id) == APR_SUCCESS &&
           ctn_calls_get(call, conn, job->pool, job->call_sid) == APR_SUCCESS;
}

/* The dialog tools on `conn` for the call, as the built-in engine has them. */
static void tools_for(ctn_tools_t *t, PGconn *conn, const ctn_call_t *call, const ctn_business_t *b)
{
    memset(t, 0, sizeof(*t));
    t->conn = conn;
    t->business = b;
    t->call = call;
    t->sms = &sms;
    t->public_url = public_url;
    ctn_tools_init(t);
}

/* --------------------------------------------------------- session setup --- */

static const char tools_schema[] =
    "[{\"type\":\"function\",\"name\":\"check_availability\",\"description\":\"Free "
    "appointment slots, soonest first.\",\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"duration_minutes\":{\"type\":\"integer\"}}}},"
    "{\"type\":\"function\",\"name\":\"book_appointment\",\"description\":\"Book one of the "
    "slots check_availability returned, after the caller confirmed it.\",\"parameters\":{"
    "\"type\":\"object\",\"properties\":{\"start\":{\"type\":\"string\",\"description\":\"the "
    "slot's start, as returned\"},\"name\":{\"type\":\"string\"},\"callback_number\":{\"type\":"
    "\"string\"},\"address\":{\"type\":\"string\"},\"problem\":{\"type\":\"string\"}},"
    "\"required\":[\"start\",\"name\"]}},"
    "{\"type\":\"function\",\"name\":\"dispatch_technician\",\"description\":\"An emergency "
    "(gas, flooding, no heat in freezing weather, sparking, sewage, carbon monoxide): text the "
    "on-call technician now.\",\"parameters\":{\"type\":\"object\",\"properties\":{\"problem\":{"
    "\"type\":\"string\"},\"address\":{\"type\":\"string\"},\"category\":{\"type\":\"string\"},"
    "\"name\":{\"type\":\"string\",\"description\":\"the caller's name, if they gave it\"}},"
    "\"required\":[\"problem\"]}},"
    "{\"type\":\"function\",\"name\":\"search_knowledgebase\",\"description\":\"The business's "
    "own answer to a question (policies, warranty, financing…).\",\"parameters\":{\"type\":"
    "\"object\",\"properties\":{\"question\":{\"type\":\"string\"}},\"required\":[\"question\"]}},"
    "{\"type\":\"function\",\"name\":\"take_message\",\"description\":\"Leave a message for the "
    "owner.\",\"parameters\":{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
    "\"callback_number\":{\"type\":\"string\"},\"message\":{\"type\":\"string\"}},\"required\":"
    "[\"message\"]}},"
    "{\"type\":\"function\",\"name\":\"transfer_to_human\",\"description\":\"Connect the caller "
    "to the owner (they asked for a person, or you cannot help).\",\"parameters\":{\"type\":"
    "\"object\",\"properties\":{\"reason\":{\"type\":\"string\"}}}},"
    "{\"type\":\"function\",\"name\":\"end_call\",\"description\":\"Hang up after you said "
    "goodbye.\",\"parameters\":{\"type\":\"object\",\"properties\":{}}}]";

const char *relay_tools_json(void)
{
    return tools_schema;
}

/* The call log's id and the session.update built from the personality. */
void relay_job_start(relay_job_t *job)
{
    PGconn *conn = job_db(job);
    ctn_call_t *call = NULL;
    ctn_business_t *b = NULL;
    ctn_personality_t *pers = NULL;
    ctn_personality_facts_t facts;
    const char *why = NULL, *instructions;
    json_object *tools;

    if (conn == NULL || !load(job, conn, &call, &b)) {
        instructions = "You are a friendly phone receptionist for a home-service business. "
                       "Answer in the caller's language (English or Spanish). Take a message.";
    } else {
        job->call_log_id = call->id;
        job->lang = call->language;
        ctn_personality_parse(&pers, job->pool, b->personality, b->name, &why);
        memset(&facts, 0, sizeof(facts));
        facts.hours =
            ctn_calendar_say_hours(job->pool, conn, b->id, b->hours, b->hours_version, "en");
        facts.services = b->services;
        facts.pricing = b->pricing;
        facts.service_area = b->service_area;
        instructions = ctn_personality_instructions(pers, job->pool, &facts);
        if (call->route && strcmp(call->route, "after_hours") == 0) {
            /* The greeting told the caller so; the model must act on it. */
            instructions = apr_pstrcat(
                job->pool, instructions,
                "\nThe office is closed right now. An emergency goes to the on-call technician "
                "(dispatch_technician); otherwise book the next opening during business hours or "
                "take a message. Do not transfer the caller to a person.",
                NULL);
        }
    }
    tools = json_tokener_parse(tools_schema);
    {
        json_object *root = ctn_json_pool_own(job->pool, json_object_new_object());
        json_object *session = json_object_new_object(), *audio = json_object_new_object();
        json_object *in = json_object_new_object(), *out = json_object_new_object();
        json_object *pcmu_in = json_object_new_object(), *pcmu_out = json_object_new_object();
        json_object *vad = json_object_new_object(), *transcription = json_object_new_object();
        json_object *modalities = json_object_new_array();

        json_object_object_add(root, "type", json_object_new_string("session.update"));
        json_object_object_add(session, "type", json_object_new_string("realtime"));
        json_object_object_add(session, "model",
                               json_object_new_string(job->call->m->relay->model));
        json_object_object_add(session, "instructions", json_object_new_string(instructions));
        json_object_array_add(modalities, json_object_new_string("audio"));
        json_object_object_add(session, "output_modalities", modalities);
        json_object_object_add(pcmu_in, "type", json_object_new_string("audio/pcmu"));
        json_object_object_add(pcmu_out, "type", json_object_new_string("audio/pcmu"));
        json_object_object_add(vad, "type", json_object_new_string("server_vad"));
        json_object_object_add(vad, "create_response", json_object_new_boolean(1));
        json_object_object_add(vad, "interrupt_response", json_object_new_boolean(1));
        json_object_object_add(transcription, "model",
                               json_object_new_string("gpt-4o-mini-transcribe"));
        json_object_object_add(in, "format", pcmu_in);
        json_object_object_add(in, "turn_detection", vad);
        json_object_object_add(in, "transcription", transcription);
        json_object_object_add(out, "format", pcmu_out);
        json_object_object_add(out, "voice", json_object_new_string("marin"));
        json_object_object_add(audio, "input", in);
        json_object_object_add(audio, "output", out);
        json_object_object_add(session, "audio", audio);
        json_object_object_add(session, "tools", tools);
        json_object_object_add(session, "tool_choice", json_object_new_string("auto"));
        json_object_object_add(root, "session", session);
        job->result = ctn_json_serialize(job->pool, root);
    }
}

/* ------------------------------------------------------ transcript lines --- */

static void publish(relay_job_t *job, PGconn *conn, const char *type, json_object *ev)
{
    media_t *m = job->call->m;
    const char *payload = ctn_json_serialize(job->pool, ev);

    if (m->ring && ctn_ring_write(m->ring, job->business_id, job->call_sid, type, payload, NULL) !=
                       APR_SUCCESS) {
        ctn_log_warning(job->call_sid, "event %s not published", type);
    }
    if (m->peer_host_id != NULL &&
        ctn_peers_notify(conn, job->pool, m->peer_host_id, job->business_id, job->call_sid, type,
                         payload) != APR_SUCCESS) {
        ctn_log_warning(job->call_sid, "event %s not sent to the other hosts: %s", type,
                        PQerrorMessage(conn));
    }
}

/* A caller line is weighed for its language on this pool thread (lib/
 * language.c, the built-in engine's detector and hysteresis), so the call
 * log of a Spanish realtime call says es as the built-in engine's would;
 * Cortana's lines take the call's language as the call log has it now
 * (job->lang is the loop's copy from the start of the call). */
void relay_job_line(relay_job_t *job)
{
    PGconn *conn = job_db(job);
    ctn_call_t *call = NULL;
    ctn_call_heard_t heard;
    json_object *ev;
    const char *call_log_id, *lang;
    int seq = 0;
    apr_size_t n = strlen(job->text);

    memset(&heard, 0, sizeof(heard));
    if (conn == NULL) {
        ctn_log_err(job->call_sid, "a %s line could not be stored", job->speaker);
        return;
    }
    if (strcmp(job->speaker, "caller") == 0) {
        if (ctn_calls_hear_caller(&heard, conn, job->pool, job->call_sid, job->text) !=
            APR_SUCCESS) {
            ctn_log_err(job->call_sid, "a caller line could not be stored");
            return;
        }
        call_log_id = heard.call_log_id;
        lang = heard.language;
        seq = heard.seq;
    } else {
        apr_array_header_t *lines = apr_array_make(job->pool, 1, sizeof(ctn_call_line_t));
        ctn_call_line_t *l = apr_array_push(lines);
        if (ctn_calls_get(&call, conn, job->pool, job->call_sid) != APR_SUCCESS) {
            ctn_log_err(job->call_sid, "a %s line could not be stored", job->speaker);
            return;
        }
        l->speaker = job->speaker;
        l->text = job->text;
        l->language = call->language ? call->language : job->lang;
        if (ctn_calls_save_turn(conn, job->pool, call, NULL, NULL, 0, NULL, NULL, lines, &seq) !=
            APR_SUCCESS) {
            ctn_log_err(job->call_sid, "a %s line could not be stored", job->speaker);
            return;
        }
        call_log_id = call->id;
        lang = l->language;
    }
    ev = ctn_json_pool_own(job->pool, json_object_new_object());
    json_object_object_add(ev, "speaker", json_object_new_string(job->speaker));
    json_object_object_add(ev, "text",
                           json_object_new_string_len(job->text, (int)(n > 600 ? 600 : n)));
    json_object_object_add(ev, "language", json_object_new_string(lang));
    json_object_object_add(ev, "seq", json_object_new_int(seq));
    json_object_object_add(ev, "call_id", json_object_new_string(call_log_id));
    json_object_object_add(ev, "call_sid", json_object_new_string(job->call_sid));
    publish(job, conn, "transcript", ev);
    if (strcmp(job->speaker, "caller") == 0 && heard.switched) {
        ctn_log_info(job->call_sid, "language switched to %s", lang);
        ev = ctn_json_pool_own(job->pool, json_object_new_object());
        json_object_object_add(ev, "language", json_object_new_string(lang));
        json_object_object_add(ev, "call_id", json_object_new_string(call_log_id));
        json_object_object_add(ev, "call_sid", json_object_new_string(job->call_sid));
        publish(job, conn, "call.updated", ev);
    }
}

/* ------------------------------------------------------------------ tools --- */

static const char *rfc3339(apr_pool_t *pool, apr_time_t t)
{
    apr_time_exp_t e;

    apr_time_exp_gmt(&e, t);
    return apr_psprintf(pool, "%04d-%02d-%02dT%02d:%02d:%02dZ", e.tm_year + 1900, e.tm_mon + 1,
                        e.tm_mday, e.tm_hour, e.tm_min, e.tm_sec);
}

/* Which of the caller's details a text carries (dispatches.texted_details). */
static const char *texted_details(const char *name, const char *address)
{
    int has_name = name && *name, has_address = address && *address;

    return has_name && has_address ? "{name,address}"
           : has_name              ? "{name}"
           : has_address           ? "{address}"
                                   : "{}";
}

/* The details the model gathered after the dispatch's text went out (the
 * referee's has the caller's words only), texted once to whoever the
 * dispatch has texted last and added to its message, which escalations
 * send: 1 when they were. Runs under dispatch()'s lock of the call log. */
static int follow_up(relay_job_t *job, PGconn *conn, ctn_tools_t *t, const char *name,
                     const char *problem, const char *address)
{
    const char *params[3] = {t->call->id, NULL, NULL}, *body;
    PGresult *res = NULL;
    ctn_personality_t *pers = NULL;
    const char *why = NULL;
    ctn_sms_t text;
    int es;

    if (ctn_calls_exec(&res, conn, job->pool, "reading the dispatch", PGRES_TUPLES_OK,
                       "SELECT d.id, d.notified_phone, 'name' = ANY (d.texted_details), "
                       "'address' = ANY (d.texted_details), EXISTS (SELECT 1 FROM sms_messages "
                       "s WHERE s.dispatch_id = d.id AND s.purpose = 'dispatch_update') FROM "
                       "dispatches d WHERE d.call_log_id = $1 AND d.status IN ('notified', "
                       "'acknowledged') AND d.notified_phone IS NOT NULL",
                       1, params) != APR_SUCCESS ||
        PQntuples(res) != 1 || PQgetvalue(res, 0, 4)[0] == 't') {
        return 0; /* nobody texted, or they were sent what the model added once already */
    }
    if (name && (!*name || PQgetvalue(res, 0, 2)[0] == 't')) {
        name = NULL;
    }
    if (address && (!*address || PQgetvalue(res, 0, 3)[0] == 't')) {
        address = NULL;
    }
    if (name == NULL && address == NULL) {
        return 0; /* the first text had them */
    }
    ctn_personality_parse(&pers, job->pool, t->business->personality, t->business->name, &why);
    es = pers->default_lang == CTN_LANG_ES; /* the team's language, as the dispatcher's */
    body = apr_pstrcat(job->pool, es ? "Más datos de la emergencia: " : "More on the emergency: ",
                       name ? (es ? "cliente " : "caller ") : "", name ? name : "",
                       name && address ? ", " : "",
                       address ? (es ? "dirección: " : "address: ") : "", address ? address : "",
                       problem && *problem ? (es ? ", problema: " : ", problem: ") : "",
                       problem && *problem ? problem : "", ".", NULL);
    memset(&text, 0, sizeof(text));
    text.business_id = job->business_id;
    text.call_log_id = t->call->id;
    text.dispatch_id = apr_pstrdup(job->pool, PQgetvalue(res, 0, 0));
    text.to = apr_pstrdup(job->pool, PQgetvalue(res, 0, 1));
    text.from = t->business->phone_number;
    text.body = body;
    text.purpose = "dispatch_update";
    params[0] = text.dispatch_id;
    params[1] = body;
    params[2] = texted_details(name, address);
    if (ctn_sms_enqueue(conn, job->pool, t->sms, &text, NULL) != APR_SUCCESS ||
        ctn_calls_exec(NULL, conn, NULL, "adding to the dispatch", PGRES_COMMAND_OK,
                       "UPDATE dispatches SET message = message || ' ' || $2, texted_details = "
                       "texted_details || $3::text[] WHERE id = $1",
                       3, params) != APR_SUCCESS) {
        return 0;
    }
    ctn_log_notice(job->call_sid, "dispatch %s: the caller's details texted to the technician",
                   text.dispatch_id);
    return 1;
}

/* The dispatch of an emergency, once per call, by the model's tool or the
 * referee, whichever comes first: 1 when the on-call technician was texted.
 * 0 when nobody could be (no one on call, no owner phone: the dispatcher's
 * APR_ENOENT) or the dispatch failed: the call log then says emergency and
 * message_taken, as the built-in engine's does, since the team must call the
 * caller back. A second try reads what the first did instead: the dispatcher
 * returns a call's existing dispatch as a success, even one that reached
 * nobody; `*before` is then 1, and the model's name and address the first
 * text lacked follow to the technician (follow_up; `*followed` says so).
 * The call log's row lock keeps a tool and the referee running at the
 * same moment in turn. -1 when the database kept it from being tried at
 * all (no call log locked): a later try may still dispatch. */
static int dispatch(relay_job_t *job, PGconn *conn, ctn_tools_t *t, const char *name,
                    const char *problem, const char *address, const char *category, int *before,
                    int *followed)
{
    ctn_slots_t slots;
    const char *params[1] = {t->call->id};
    PGresult *res = NULL;
    int dispatched = 0;

    if (ctn_calls_exec(NULL, conn, NULL, "BEGIN", PGRES_COMMAND_OK, "BEGIN", 0, NULL) !=
        APR_SUCCESS) {
        return -1;
    }
    if (ctn_calls_exec(&res, conn, job->pool, "locking the call log", PGRES_TUPLES_OK,
                       "SELECT emergency, disposition = 'emergency_dispatched' FROM call_logs "
                       "WHERE id = $1 FOR UPDATE",
                       1, params) != APR_SUCCESS ||
        PQntuples(res) != 1) {
        ctn_calls_exec(NULL, conn, NULL, "ROLLBACK", PGRES_COMMAND_OK, "ROLLBACK", 0, NULL);
        return -1;
    }
    *before = PQgetvalue(res, 0, 0)[0] == 't';
    *followed = 0;
    if (*before) {
        dispatched = PQgetvalue(res, 0, 1)[0] == 't';
        if (dispatched && (name || address)) {
            *followed = follow_up(job, conn, t, name, problem, address);
        }
        ctn_calls_exec(NULL, conn, NULL, "COMMIT", PGRES_COMMAND_OK, "COMMIT", 0, NULL);
        return dispatched;
    }
    ctn_slots_init(&slots);
    slots.name = name;
    slots.problem = problem;
    slots.address = address;
    slots.callback_number = t->call->from_number;
    dispatched = t->ops.dispatch(t->ops.baton, job->pool, &slots, category ? category : "custom") ==
                 APR_SUCCESS;
    if (dispatched) { /* what follow_up must not text again; failing, it rolls back below */
        const char *details[2] = {t->call->id, texted_details(name, address)};
        dispatched =
            ctn_calls_exec(NULL, conn, NULL, "recording the dispatch's details", PGRES_COMMAND_OK,
                           "UPDATE dispatches SET texted_details = $2::text[] WHERE "
                           "call_log_id = $1",
                           2, details) == APR_SUCCESS;
    }
    if (PQtransactionStatus(conn) == PQTRANS_INERROR) {
        /* a database error: nothing of the dispatch is kept, the call log
         * still says the caller waits for a call back */
        ctn_calls_exec(NULL, conn, NULL, "ROLLBACK", PGRES_COMMAND_OK, "ROLLBACK", 0, NULL);
    }
    ctn_calls_exec(NULL, conn, NULL, "marking the emergency", PGRES_COMMAND_OK,
                   dispatched ? "UPDATE call_logs SET emergency = true, disposition = "
                                "'emergency_dispatched' WHERE id = $1"
                              : "UPDATE call_logs SET emergency = true, disposition = CASE WHEN "
                                "disposition IS NULL OR disposition IN ('abandoned', "
                                "'question_answered') THEN 'message_taken' ELSE disposition END "
                                "WHERE id = $1",
                   1, params);
    if (PQtransactionStatus(conn) != PQTRANS_IDLE) {
        ctn_calls_exec(NULL, conn, NULL, "COMMIT", PGRES_COMMAND_OK, "COMMIT", 0, NULL);
    }
    return dispatched;
}

/* transfer_to_human / end_call: new TwiML for the live call through Twilio's
 * REST API (the stream ends and Twilio runs it). */
static const char *live_call_update(relay_job_t *job, PGconn *conn, ctn_tools_t *t, int hang_up)
{
    ctn_twilio_client_t client = {sms.api_base, sms.account_sid, sms.auth_token, 10000};
    ctn_twilio_result_t result;
    const char *twiml, *params[2];

    if (sms.account_sid == NULL || *sms.account_sid == '\0' || sms.auth_token == NULL) {
        return hang_up ? "{\"ok\":false,\"error\":\"this line cannot hang up by itself: say "
                         "goodbye and let the caller hang up\"}"
                       : "{\"ok\":false,\"error\":\"transfers are not available: take a "
                         "message instead\"}";
    }
    if (!hang_up && t->call->route && strcmp(t->call->route, "after_hours") == 0) {
        /* As the built-in engine: nobody is woken after hours for what is
         * not an emergency (emergencies go to the on-call technician). */
        return "{\"ok\":false,\"error\":\"the office is closed: nobody can take the call now; "
               "take a message instead (an emergency goes to dispatch_technician)\"}";
    }
    if (!hang_up && (t->business->owner_phone == NULL || *t->business->owner_phone == '\0')) {
        return "{\"ok\":false,\"error\":\"nobody to transfer to: take a message instead\"}";
    }
    if (hang_up) {
        twiml = "<Response><Hangup/></Response>";
    } else {
        /* The owner busy or not answering: /twilio/dial-status takes a
         * message, as for the built-in engine's transfers. */
        ctn_twiml_t *x = ctn_twiml_create(job->pool);
        ctn_personality_t *pers = NULL;
        ctn_lang_e lang = ctn_language_from_code(job->lang ? job->lang : "en");
        const char *why = NULL;
        /* Said as the built-in engine says it: the call's language, the
         * personality's voice and tone. */
        ctn_personality_parse(&pers, job->pool, t->business->personality, t->business->name, &why);
        if (!ctn_personality_speaks(pers, lang)) {
            lang = pers->default_lang;
        }
        ctn_twiml_say(x,
                      ctn_personality_render(
                          pers, job->pool, lang,
                          lang == CTN_LANG_ES ? "{sure} Le comunico ahora. Un momento, por favor."
                                              : "{sure} Let me connect you now. Please hold."),
                      ctn_personality_voice(pers, lang), ctn_language_tag(lang));
        ctn_twiml_dial(x, t->business->owner_phone,
                       public_url ? apr_pstrcat(job->pool, public_url, "/twilio/dial-status", NULL)
                                  : NULL,
                       t->business->phone_number);
        if ((twiml = ctn_twiml_finish(x, &why)) == NULL) {
            ctn_log_err(job->call_sid, "TwiML error: %s", why);
            return "{\"ok\":false,\"error\":\"that did not work: take a message instead\"}";
        }
    }
    if (ctn_twilio_update_call(&result, job->pool, &client, job->call_sid, twiml) != APR_SUCCESS) {
        ctn_log_warning(job->call_sid, "%s failed: %s", hang_up ? "hanging up" : "the transfer",
                        result.error_message ? result.error_message : "no answer");
        return "{\"ok\":false,\"error\":\"that did not work: take a message instead\"}";
    }
    if (!hang_up) {
        params[0] = t->call->id;
        params[1] = "transferred";
        ctn_calls_exec(NULL, conn, NULL, "marking the transfer", PGRES_COMMAND_OK,
                       "UPDATE call_logs SET disposition = coalesce(disposition, $2) WHERE id = $1",
                       2, params);
    }
    return hang_up ? "{\"ok\":true}" : "{\"ok\":true,\"note\":\"the owner's phone is ringing\"}";
}

static const char *tool_result(relay_job_t *job, PGconn *conn, ctn_tools_t *t, json_object *args)
{
    apr_pool_t *pool = job->pool;
    const char *name = job->name;
    /* the call's language as the loop followed it up to the tool's call */
    ctn_lang_e lang = ctn_language_from_code(job->lang ? job->lang : "en");

    if (strcmp(name, "check_availability") == 0) {
        apr_array_header_t *slots = NULL;
        json_object *out = ctn_json_pool_own(pool, json_object_new_object());
        json_object *list = json_object_new_array();
        if (t->ops.find_slots(t->ops.baton, pool, NULL, 0, &slots) != APR_SUCCESS) {
            return "{\"ok\":false,\"error\":\"the calendar is unavailable\"}";
        }
        for (int i = 0; i < slots->nelts && i < 3; i++) {
            const ctn_slot_t *s = &APR_ARRAY_IDX(slots, i, ctn_slot_t);
            json_object *o = json_object_new_object();
            json_object_object_add(o, "start", json_object_new_string(rfc3339(pool, s->start)));
            json_object_object_add(
                o, "say",
                json_object_new_string(t->ops.say_slot(t->ops.baton, pool, s->start, lang)));
            json_object_array_add(list, o);
        }
        json_object_object_add(out, "slots", list);
        return ctn_json_serialize(pool, out);
    }
    if (strcmp(name, "book_appointment") == 0) {
        ctn_slots_t who;
        ctn_slot_t slot;
        const char *id = NULL, *start = ctn_json_get_string(args, "start", NULL), *sec = NULL;
        const char *params[1] = {start};
        PGresult *res;
        apr_status_t rv;
        ctn_slots_init(&who);
        who.name = ctn_json_get_string(args, "name", NULL);
        who.callback_number = ctn_json_get_string(args, "callback_number", t->call->from_number);
        who.address = ctn_json_get_string(args, "address", NULL);
        who.problem = ctn_json_get_string(args, "problem", NULL);
        res = start
                  ? PQexecParams(conn, "SELECT (extract(epoch FROM $1::timestamptz) * 1e6)::bigint",
                                 1, NULL, params, NULL, NULL, 0)
                  : NULL;
        if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
            PQclear(res);
            return "{\"ok\":false,\"error\":\"start must be a time check_availability returned\"}";
        }
        sec = apr_pstrdup(pool, PQgetvalue(res, 0, 0));
        PQclear(res);
        slot.start = (apr_time_t)apr_atoi64(sec);
        slot.end = slot.start + apr_time_from_sec(60 * 60);
        rv = t->ops.book(t->ops.baton, pool, &who, &slot, &id);
        if (rv == APR_EEXIST) {
            return "{\"ok\":false,\"error\":\"that slot was just taken; offer the next one\"}";
        }
        if (rv != APR_SUCCESS) {
            return "{\"ok\":false,\"error\":\"the booking failed; take a message\"}";
        }
        {
            const char *p[2] = {t->call->id, id};
            ctn_calls_exec(
                NULL, conn, NULL, "linking the appointment", PGRES_COMMAND_OK,
                "UPDATE call_logs SET booked_appointment_id = $2, disposition = CASE WHEN "
                "disposition IS NULL OR disposition IN ('abandoned', "
                "'question_answered', 'message_taken', 'transferred', 'spam') THEN "
                "'booked' ELSE disposition END WHERE id = $1",
                2, p);
        }
        return apr_psprintf(pool, "{\"ok\":true,\"appointment_id\":\"%s\"}", id);
    }
    if (strcmp(name, "dispatch_technician") == 0) {
        int before = 0, followed = 0;
        int dispatched = dispatch(job, conn, t, ctn_json_get_string(args, "name", NULL),
                                  ctn_json_get_string(args, "problem", NULL),
                                  ctn_json_get_string(args, "address", NULL),
                                  ctn_json_get_string(args, "category", NULL), &before, &followed);
        job->flag = dispatched >= 0; /* tried: the referee stops */
        if (dispatched > 0 && before) {
            return followed ? "{\"ok\":true,\"note\":\"the on-call technician was already "
                              "texted; the details you gave were texted to them now\"}"
                            : "{\"ok\":true,\"note\":\"the on-call technician was already "
                              "texted\"}";
        }
        /* Said as the built-in engine says it (CTN_PH_EMERGENCY_NOT_DISPATCHED):
         * the caller must not believe help is on the way. */
        return dispatched > 0
                   ? "{\"ok\":true,\"note\":\"the on-call technician has been texted\"}"
                   : "{\"ok\":false,\"error\":\"nobody on call could be reached right "
                     "now: tell the caller so, that the team will call them back as soon "
                     "as they can, and to call 911 if anyone is in danger\"}";
    }
    if (strcmp(name, "search_knowledgebase") == 0) {
        const char *answer = NULL, *title = NULL;
        json_object *out = ctn_json_pool_own(pool, json_object_new_object());
        ctn_tools_kb_search(conn, pool, job->business_id, ctn_json_get_string(args, "question", ""),
                            ctn_language_code(lang), &answer, &title);
        json_object_object_add(out, "found", json_object_new_boolean(answer != NULL));
        json_object_object_add(out, "answer", answer ? json_object_new_string(answer) : NULL);
        return ctn_json_serialize(pool, out);
    }
    if (strcmp(name, "take_message") == 0) {
        ctn_slots_t who;
        ctn_slots_init(&who);
        who.name = ctn_json_get_string(args, "name", NULL);
        who.callback_number = ctn_json_get_string(args, "callback_number", t->call->from_number);
        who.message = ctn_json_get_string(args, "message", "");
        if (t->ops.take_message(t->ops.baton, pool, &who) != APR_SUCCESS) {
            return "{\"ok\":false,\"error\":\"the message could not be stored\"}";
        }
        {
            /* What the call log says the call was, as a voicemail does: a
             * message outranks a question answered, not a booking or a dispatch. */
            const char *p[1] = {t->call->id};
            ctn_calls_exec(NULL, conn, NULL, "marking the message", PGRES_COMMAND_OK,
                           "UPDATE call_logs SET disposition = 'message_taken' WHERE id = $1 AND "
                           "(disposition IS NULL OR disposition IN ('abandoned', "
                           "'question_answered'))",
                           1, p);
        }
        return "{\"ok\":true}";
    }
    if (strcmp(name, "transfer_to_human") == 0 || strcmp(name, "end_call") == 0) {
        return live_call_update(job, conn, t, strcmp(name, "end_call") == 0);
    }
    return "{\"ok\":false,\"error\":\"no such tool\"}";
}

void relay_job_tool(relay_job_t *job)
{
    PGconn *conn = job_db(job);
    ctn_call_t *call = NULL;
    ctn_business_t *b = NULL;
    ctn_tools_t t;
    const char *why = NULL;
    json_object *args = ctn_json_parse(job->pool, job->arguments, strlen(job->arguments), &why);

    if (conn == NULL || !load(job, conn, &call, &b)) {
        job->result = "{\"ok\":false,\"error\":\"the business's data is unavailable\"}";
        return;
    }
    tools_for(&t, conn, call, b);
    job->result = tool_result(job, conn, &t, args);
    ctn_log_info(job->call_sid, "tool %s: %s", job->name, job->result);
}

/* The built-in rules referee every caller line: an emergency the model has
 * not dispatched is dispatched here, whatever the model does. */
void relay_job_referee(relay_job_t *job)
{
    PGconn *conn = job_db(job);
    ctn_call_t *call = NULL;
    ctn_business_t *b = NULL;
    ctn_emergency_match_t match;
    apr_array_header_t *rules = NULL;
    const char *why = NULL;
    ctn_tools_t t;
    int before = 0, followed = 0, dispatched;

    if (conn == NULL || !load(job, conn, &call, &b)) {
        return;
    }
    if (ctn_emergency_rules_from_json(&rules, job->pool, ctn_business_setting(b, "emergency_rules"),
                                      &why) != APR_SUCCESS) {
        rules = NULL;
    }
    if (!ctn_emergency_detect(job->pool, job->text, rules,
                              ctn_business_setting_bool(b, "freezing", 0), &match)) {
        return;
    }
    if (call->disposition && strcmp(call->disposition, "emergency_dispatched") == 0) {
        job->flag = 1;
        return;
    }
    tools_for(&t, conn, call, b);
    ctn_log_notice(job->call_sid, "emergency rules matched \"%s\" (%s): dispatching", match.phrase,
                   match.category);
    dispatched = dispatch(job, conn, &t, NULL, job->text, NULL, match.category, &before, &followed);
    job->flag = dispatched >= 0; /* tried: the referee stops */
    if (before || dispatched < 0) {
        return; /* the model's dispatch (it knows what came of it), or none yet */
    }
    /* The model did not call dispatch_technician: it must learn what was
     * done, as from the tool, or it promises what nobody does — and the
     * technician's text lacks what only the model can ask for. */
    job->result =
        dispatched ? "An emergency was recognised in what the caller said, and the on-call "
                     "technician has just been alerted by text with the caller's number and words, "
                     "but no address or name. Tell the caller a technician has been alerted, ask "
                     "for the address and their name, then call dispatch_technician with them so "
                     "the technician gets them."
                   : "An emergency was recognised in what the caller said, but nobody on call "
                     "could be reached right now: tell the caller so, that the team will call "
                     "them back as soon as they can, and to call 911 if anyone is in danger. Do "
                     "not promise a technician.";
}

/* The control socket's hangup: Twilio ends the call (<Hangup/>), its stream
 * then stops and the worker closes the OpenAI session. */
int relay_tools_can_update_calls(void)
{
    return sms.account_sid != NULL && *sms.account_sid != '\0' && sms.auth_token != NULL;
}

void relay_job_hangup(relay_job_t *job)
{
    ctn_twilio_client_t client = {sms.api_base, sms.account_sid, sms.auth_token, 10000};
    ctn_twilio_result_t result;

    if (ctn_twilio_update_call(&result, job->pool, &client, job->call_sid,
                               "<Response><Hangup/></Response>") != APR_SUCCESS) {
        ctn_log_warning(job->call_sid, "hanging up (control socket) failed: %s",
                        result.error_message ? result.error_message : "no answer");
        return;
    }
    ctn_log_notice(job->call_sid, "hung up through the control socket");
}

void relay_job_stats(relay_job_t *job)
{
    PGconn *conn = job_db(job);
    const char *params[2] = {job->call_sid, job->result};

    if (conn != NULL) {
        ctn_calls_exec(NULL, conn, NULL, "storing the realtime figures", PGRES_COMMAND_OK,
                       "UPDATE call_logs SET realtime_stats = $2::jsonb WHERE call_sid = $1", 2,
                       params);
    }
}
