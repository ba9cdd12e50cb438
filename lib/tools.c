/* tools.c: the dialog tools against PostgreSQL (see tools.h). */
#include "tools.h"

#include "dispatcher.h"
#include "json.h"
#include "log.h"
#include "personality.h"

#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

/* Matches ranking below this are not answers, just shared words. */
#define KB_MIN_RANK 0.01
/* A spoken answer longer than this is cut at a sentence boundary. */
#define KB_SPOKEN_MAX 300

static int service_duration(const ctn_business_t *b)
{
    int longest = 0;
    size_t n = b->services ? json_object_array_length(b->services) : 0;

    /* The engine does not know which service yet: plan for the common one
     * (the shortest), at least an hour. */
    for (size_t i = 0; i < n; i++) {
        json_object *d = NULL;
        if (json_object_object_get_ex(json_object_array_get_idx(b->services, i), "duration_minutes",
                                      &d)) {
            int m = json_object_get_int(d);
            longest = longest == 0 || m < longest ? m : longest;
        }
    }
    return longest >= 60 ? longest : 60;
}

static apr_status_t find_slots(void *baton, apr_pool_t *pool, const ctn_time_pref_t *pref,
                               apr_time_t not_before, apr_array_header_t **slots)
{
    ctn_tools_t *t = baton;
    ctn_calendar_query_t q;

    memset(&q, 0, sizeof(q));
    q.business_id = t->business->id;
    q.duration_min = service_duration(t->business);
    q.buffer_min = ctn_business_setting_int(t->business, "travel_buffer_minutes", 30);
    q.lead_min = ctn_business_setting_int(t->business, "lead_minutes", 60);
    q.granularity_min = 30;
    q.horizon_days = 14;
    q.max = 3;
    q.pref = pref;
    q.not_before = not_before;
    return ctn_calendar_free_slots(slots, t->conn, pool, &q);
}

static apr_status_t book(void *baton, apr_pool_t *pool, const ctn_slots_t *slots,
                         const ctn_slot_t *slot, const char **id)
{
    ctn_tools_t *t = baton;
    return ctn_calendar_book(t->conn, pool, t->business->id, t->call->id, slots, slot, id);
}

static apr_status_t dispatch(void *baton, apr_pool_t *pool, const ctn_slots_t *slots,
                             const char *category)
{
    ctn_tools_t *t = baton;
    ctn_dispatch_request_t req;

    memset(&req, 0, sizeof(req));
    req.business_id = t->business->id;
    req.business_name = t->business->name;
    req.business_number = t->business->phone_number;
    req.call_log_id = t->call->id;
    req.call_sid = t->call->call_sid;
    req.category = category;
    req.caller_number = slots->callback_number ? slots->callback_number : t->call->from_number;
    req.caller_name = slots->name;
    req.address = slots->address;
    req.problem = slots->problem;
    req.call_link =
        t->public_url ? apr_pstrcat(pool, t->public_url, "/#/calls/", t->call->id, NULL) : NULL;
    req.ack_window_s = ctn_business_setting_int(t->business, "ack_window_seconds",
                                                CTN_DISPATCH_DEFAULT_ACK_WINDOW);
    ctn_log_notice(t->call->call_sid, "emergency (%s): dispatching", category);
    return ctn_dispatcher_start(t->conn, pool, t->sms, &req, NULL);
}

apr_status_t ctn_tools_kb_search(PGconn *conn, apr_pool_t *pool, const char *business_id,
                                 const char *question, const char *lang, const char **answer,
                                 const char **title)
{
    /* Any of the question's words (OR), in the caller's language's stemming. */
    static const char sql[] =
        "WITH q AS (SELECT to_tsquery(cfg, replace(plainto_tsquery(cfg, $2)::text, ' & ', ' | ')) "
        "  AS tsq FROM (SELECT (CASE WHEN $3 = 'es' THEN 'spanish' ELSE 'english' END)::regconfig "
        "  AS cfg) c) "
        "SELECT title, content, ts_rank_cd(search, q.tsq) AS rank FROM kb_documents, q "
        "WHERE business_id = $1 AND search @@ q.tsq ORDER BY rank DESC, updated_at DESC LIMIT 1";
    const char *params[3] = {business_id, question, lang};
    PGresult *res;
    apr_status_t rv;
    char *text;

    *answer = NULL;
    rv = ctn_calls_exec(&res, conn, pool, "searching the knowledge base", PGRES_TUPLES_OK, sql, 3,
                        params);
    if (rv != APR_SUCCESS || PQntuples(res) == 0 || atof(PQgetvalue(res, 0, 2)) < KB_MIN_RANK) {
        return rv;
    }
    text = apr_pstrdup(pool, PQgetvalue(res, 0, 1));
    if (strlen(text) > KB_SPOKEN_MAX) {
        char *cut = text + KB_SPOKEN_MAX;
        while (cut > text && *cut != '.') {
            cut--;
        }
        if (cut > text) {
            cut[1] = '\0';
        } else {
            text[KB_SPOKEN_MAX] = '\0';
        }
    }
    *answer = text;
    if (title) {
        *title = apr_pstrdup(pool, PQgetvalue(res, 0, 0));
    }
    return APR_SUCCESS;
}

static apr_status_t kb_search(void *baton, apr_pool_t *pool, const char *question, ctn_lang_e lang,
                              const char **answer)
{
    ctn_tools_t *t = baton;
    return ctn_tools_kb_search(t->conn, pool, t->business->id, question, ctn_language_code(lang),
                               answer, NULL);
}

ctn_lang_e ctn_tools_owner_language(apr_pool_t *pool, const ctn_business_t *b)
{
    ctn_personality_t *p = NULL;

    /* APR_EINVAL: a member was replaced by its default; the languages are
     * still the ones the owner set (or English). */
    (void)ctn_personality_parse(&p, pool, b->personality, b->name, NULL);
    return p->default_lang;
}

apr_status_t ctn_tools_notify_owner(PGconn *conn, apr_pool_t *pool, const ctn_sms_client_t *sms,
                                    const ctn_business_t *b, const ctn_call_t *call,
                                    const char *public_url, const char *const what[2])
{
    ctn_sms_t text;
    ctn_lang_e lang;

    if (b->owner_phone == NULL || *b->owner_phone == '\0' || call->is_test) {
        return APR_SUCCESS;
    }
    lang = ctn_tools_owner_language(pool, b);
    memset(&text, 0, sizeof(text));
    text.business_id = b->id;
    text.to = b->owner_phone;
    text.from = b->phone_number;
    text.body = apr_psprintf(pool,
                             lang == CTN_LANG_ES ? "Cortana: %s (llamada de %s). %s%s"
                                                 : "Cortana: %s (caller %s). %s%s",
                             what[lang], call->from_number, public_url ? public_url : "",
                             public_url ? apr_pstrcat(pool, "/#/calls/", call->id, NULL) : "");
    text.call_log_id = call->id;
    text.purpose = "owner_notice";
    return ctn_sms_enqueue(conn, pool, sms, &text, NULL);
}

static apr_status_t take_message(void *baton, apr_pool_t *pool, const ctn_slots_t *slots)
{
    ctn_tools_t *t = baton;
    const char *params[2] = {t->call->id, slots->message};
    apr_status_t rv = ctn_calls_exec(NULL, t->conn, NULL, "storing the message", PGRES_COMMAND_OK,
                                     "UPDATE call_logs SET message = $2 WHERE id = $1", 2, params);
    const char *what[2];

    if (rv != APR_SUCCESS) {
        return rv;
    }
    what[CTN_LANG_EN] =
        apr_psprintf(pool, "message from %s (%s): %s", slots->name ? slots->name : "a caller",
                     slots->callback_number ? slots->callback_number : "no number",
                     slots->message ? slots->message : "");
    what[CTN_LANG_ES] =
        apr_psprintf(pool, "mensaje de %s (%s): %s", slots->name ? slots->name : "un cliente",
                     slots->callback_number ? slots->callback_number : "sin número",
                     slots->message ? slots->message : "");
    return ctn_tools_notify_owner(t->conn, pool, t->sms, t->business, t->call, t->public_url, what);
}

static const char *say_slot(void *baton, apr_pool_t *pool, apr_time_t start, ctn_lang_e lang)
{
    ctn_tools_t *t = baton;
    return ctn_calendar_say(pool, t->conn, t->business->id, start, ctn_language_code(lang));
}

static const char *say_hours(void *baton, apr_pool_t *pool, ctn_lang_e lang)
{
    ctn_tools_t *t = baton;
    const char *h = ctn_calendar_say_hours(pool, t->conn, t->business->id, t->business->hours,
                                           t->business->hours_version, ctn_language_code(lang));
    return h ? h : "";
}

void ctn_tools_init(ctn_tools_t *t)
{
    t->ops.baton = t;
    t->ops.find_slots = find_slots;
    t->ops.book = book;
    t->ops.dispatch = dispatch;
    t->ops.kb_search = kb_search;
    t->ops.take_message = take_message;
    t->ops.say_slot = say_slot;
    t->ops.say_hours = say_hours;
}
