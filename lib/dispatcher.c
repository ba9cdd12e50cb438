/* dispatcher.c: emergency dispatch and escalation (see dispatcher.h).
 *
 * The escalation chain of a business is its active technicians ordered by
 * on_call_order, then the owner's phone. Step n (1-based) is the nth link of
 * that chain; the dispatch row remembers the step, who was texted
 * (notified_phone, technician_id) and when the next escalation is due. */
#include "dispatcher.h"

#include "calls.h"
#include "emergency.h"
#include "json.h"
#include "log.h"
#include "personality.h"
#include "text.h"

#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

typedef struct link_t {
    const char *technician_id; /* NULL for the owner */
    const char *name;
    const char *phone;
} link_t;

/* The `step`th link of the business's chain; APR_ENOENT past its end. */
static apr_status_t chain_link(PGconn *conn, apr_pool_t *pool, const char *business_id, int step,
                               link_t *out)
{
    static const char sql[] =
        "(SELECT id::text, name, phone, 0 AS owner, on_call_order FROM technicians "
        " WHERE business_id = $1 AND active ORDER BY on_call_order, name) "
        "UNION ALL (SELECT NULL, 'owner', owner_phone, 1, 2147483647 FROM businesses "
        " WHERE id = $1 AND coalesce(owner_phone, '') <> '') "
        "ORDER BY 4, 5, 2 OFFSET $2::int LIMIT 1";
    char offset[12];
    const char *params[2] = {business_id, offset};
    PGresult *res;
    apr_status_t rv;

    apr_snprintf(offset, sizeof(offset), "%d", step - 1);
    rv = ctn_calls_exec(&res, conn, pool, "reading the on-call chain", PGRES_TUPLES_OK, sql, 2,
                        params);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (PQntuples(res) == 0) {
        return APR_ENOENT;
    }
    out->technician_id = PQgetisnull(res, 0, 0) ? NULL : apr_pstrdup(pool, PQgetvalue(res, 0, 0));
    out->name = apr_pstrdup(pool, PQgetvalue(res, 0, 1));
    out->phone = apr_pstrdup(pool, PQgetvalue(res, 0, 2));
    return APR_SUCCESS;
}

/* The language a business's technicians and owner are texted in: the
 * first its personality offers (`personality` is ai_personality's text; a
 * Spanish-only or Spanish-first business gets Spanish), whatever language
 * the caller spoke. */
static ctn_lang_e team_language(apr_pool_t *pool, const char *personality)
{
    ctn_personality_t *p = NULL;
    const char *why = NULL;
    json_object *json =
        personality ? ctn_json_parse(pool, personality, strlen(personality), &why) : NULL;

    /* APR_EINVAL: a member was wrong and replaced by its default; the
     * languages are still the ones the owner set (or English). */
    if (ctn_personality_parse(&p, pool, json, NULL, &why) != APR_SUCCESS && why) {
        ctn_log_debug(NULL, "texting in the personality's language despite: %s", why);
    }
    return p->default_lang;
}

static const char *or_unknown(const char *s, ctn_lang_e lang)
{
    return s && *s ? s : lang == CTN_LANG_ES ? "sin dato" : "unknown";
}

/* Text link `l` about the dispatch and move the dispatch to `step`. */
static apr_status_t notify(PGconn *conn, apr_pool_t *pool, const ctn_sms_client_t *sms,
                           const char *dispatch_id, int step, const link_t *l)
{
    static const char update[] =
        "UPDATE dispatches SET step = $2::int, technician_id = $3::uuid, notified_phone = $4, "
        "status = 'notified', notified_at = now(), due_at = now() + make_interval(secs => "
        "ack_window_s) WHERE id = $1 "
        "RETURNING business_id, call_log_id, message, "
        "(SELECT phone_number FROM businesses b WHERE b.id = dispatches.business_id), "
        "(SELECT ai_personality::text FROM businesses b WHERE b.id = dispatches.business_id)";
    char step_s[12];
    const char *params[4] = {dispatch_id, step_s, l->technician_id, l->phone};
    PGresult *res;
    ctn_sms_t text;
    ctn_lang_e lang;
    apr_status_t rv;

    apr_snprintf(step_s, sizeof(step_s), "%d", step);
    rv = ctn_calls_exec(&res, conn, pool, "updating the dispatch", PGRES_TUPLES_OK, update, 4,
                        params);
    if (rv != APR_SUCCESS || PQntuples(res) != 1) {
        return rv == APR_SUCCESS ? APR_ENOENT : rv;
    }
    memset(&text, 0, sizeof(text));
    text.business_id = apr_pstrdup(pool, PQgetvalue(res, 0, 0));
    text.call_log_id = PQgetisnull(res, 0, 1) ? NULL : apr_pstrdup(pool, PQgetvalue(res, 0, 1));
    text.dispatch_id = dispatch_id;
    text.to = l->phone;
    text.from = apr_pstrdup(pool, PQgetvalue(res, 0, 3));
    lang = team_language(pool, PQgetisnull(res, 0, 4) ? NULL : PQgetvalue(res, 0, 4));
    if (lang == CTN_LANG_ES) {
        text.body = apr_pstrcat(pool, PQgetvalue(res, 0, 2),
                                l->technician_id ? ""
                                                 : " (Ningún técnico confirmó: usted es el último "
                                                   "de la lista.)",
                                " Responda SÍ para tomarla o NO para pasarla.", NULL);
    } else {
        text.body = apr_pstrcat(pool, PQgetvalue(res, 0, 2),
                                l->technician_id ? ""
                                                 : " (No technician acknowledged: you are last "
                                                   "in line.)",
                                " Reply YES to take it or NO to pass.", NULL);
    }
    text.purpose = "dispatch";
    ctn_log_notice(NULL, "dispatch %s: step %d, texting %s", dispatch_id, step,
                   l->technician_id ? l->name : "the owner");
    return ctn_sms_enqueue(conn, pool, sms, &text, NULL);
}

/* Move to the next link, or mark the dispatch exhausted. */
static apr_status_t advance(PGconn *conn, apr_pool_t *pool, const ctn_sms_client_t *sms,
                            const char *business_id, const char *dispatch_id, int step)
{
    link_t next;
    apr_status_t rv = chain_link(conn, pool, business_id, step + 1, &next);

    if (rv == APR_ENOENT) {
        const char *params[1] = {dispatch_id};
        ctn_log_warning(NULL, "dispatch %s: nobody acknowledged, chain exhausted", dispatch_id);
        return ctn_calls_exec(NULL, conn, NULL, "exhausting the dispatch", PGRES_COMMAND_OK,
                              "UPDATE dispatches SET status = 'exhausted', due_at = NULL "
                              "WHERE id = $1",
                              1, params);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return notify(conn, pool, sms, dispatch_id, step + 1, &next);
}

static apr_status_t start(PGconn *conn, apr_pool_t *pool, const ctn_sms_client_t *sms,
                          const ctn_dispatch_request_t *req, const char **dispatch_id)
{
    /* One dispatch per call: the unique index on call_log_id makes a retried
     * or repeated start return the existing row without texting again. */
    static const char insert[] =
        "INSERT INTO dispatches (business_id, call_log_id, category, message, ack_window_s, "
        "status, step) VALUES ($1, $2::uuid, $3, $4, $5::int, 'pending', 0) "
        "ON CONFLICT (call_log_id) DO NOTHING RETURNING id";
    char window[12];
    const char *message;
    const char *params[5];
    PGresult *res;
    link_t first;
    ctn_lang_e lang = CTN_LANG_EN;
    apr_status_t rv;

    /* The text every link of the chain gets, in the business's language. */
    params[0] = req->business_id;
    if ((rv = ctn_calls_exec(&res, conn, pool, "reading the business's language", PGRES_TUPLES_OK,
                             "SELECT ai_personality::text FROM businesses WHERE id = $1", 1,
                             params)) != APR_SUCCESS) {
        return rv;
    }
    if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
        lang = team_language(pool, PQgetvalue(res, 0, 0));
    }
    message =
        apr_psprintf(pool,
                     lang == CTN_LANG_ES
                         ? "EMERGENCIA (%s) en %s: cliente %s%s%s, dirección: %s, problema: %s.%s%s"
                         : "EMERGENCY (%s) for %s: caller %s%s%s, address: %s, problem: %s.%s%s",
                     or_unknown(ctn_emergency_category_say(req->category, lang), lang),
                     req->business_name, or_unknown(req->caller_number, lang),
                     req->caller_name ? ", " : "", req->caller_name ? req->caller_name : "",
                     or_unknown(req->address, lang), or_unknown(req->problem, lang),
                     req->call_link ? (lang == CTN_LANG_ES ? " Llamada: " : " Call: ") : "",
                     req->call_link ? req->call_link : "");
    apr_snprintf(window, sizeof(window), "%d",
                 req->ack_window_s > 0 ? req->ack_window_s : CTN_DISPATCH_DEFAULT_ACK_WINDOW);
    params[0] = req->business_id;
    params[1] = req->call_log_id;
    params[2] = req->category;
    params[3] = message;
    params[4] = window;
    rv = ctn_calls_exec(&res, conn, pool, "creating the dispatch", PGRES_TUPLES_OK, insert, 5,
                        params);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (PQntuples(res) == 0) {
        /* The call's dispatch exists: what it did, not a success regardless
         * (one that texted nobody must not be reported as alerting anyone). */
        const char *p1[1] = {req->call_log_id};
        rv = ctn_calls_exec(&res, conn, pool, "reading the dispatch", PGRES_TUPLES_OK,
                            "SELECT id, notified_at IS NOT NULL FROM dispatches "
                            "WHERE call_log_id = $1",
                            1, p1);
        if (rv != APR_SUCCESS || PQntuples(res) != 1) {
            return rv == APR_SUCCESS ? APR_EGENERAL : rv;
        }
        if (dispatch_id) {
            *dispatch_id = apr_pstrdup(pool, PQgetvalue(res, 0, 0));
        }
        return PQgetvalue(res, 0, 1)[0] == 't' ? APR_SUCCESS : APR_ENOENT;
    }
    if (dispatch_id) {
        *dispatch_id = apr_pstrdup(pool, PQgetvalue(res, 0, 0));
    }
    rv = chain_link(conn, pool, req->business_id, 1, &first);
    if (rv == APR_ENOENT) {
        /* Recorded (exhausted), but nobody was alerted: the caller must not
         * be told that someone was. */
        ctn_log_err(req->call_sid, "emergency with no technician and no owner phone to text");
        rv = advance(conn, pool, sms, req->business_id, PQgetvalue(res, 0, 0), 0);
        return rv == APR_SUCCESS ? APR_ENOENT : rv;
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return notify(conn, pool, sms, apr_pstrdup(pool, PQgetvalue(res, 0, 0)), 1, &first);
}

apr_status_t ctn_dispatcher_start(PGconn *conn, apr_pool_t *pool, const ctn_sms_client_t *sms,
                                  const ctn_dispatch_request_t *req, const char **dispatch_id)
{
    /* All or nothing: a dispatch row left 'pending' by a failure after its
     * INSERT (the first text never queued, no due_at) is never escalated,
     * and a later start would find it and text nobody. Inside a caller's
     * transaction the caller commits or rolls back. */
    int own = PQtransactionStatus(conn) == PQTRANS_IDLE;
    apr_status_t rv;

    if (own && (rv = ctn_calls_exec(NULL, conn, NULL, "BEGIN", PGRES_COMMAND_OK, "BEGIN", 0,
                                    NULL)) != APR_SUCCESS) {
        return rv;
    }
    rv = start(conn, pool, sms, req, dispatch_id);
    if (own) {
        /* APR_ENOENT: recorded (exhausted, or the existing dispatch read). */
        int keep = rv == APR_SUCCESS || rv == APR_ENOENT;
        if (ctn_calls_exec(NULL, conn, NULL, "ending the dispatch transaction", PGRES_COMMAND_OK,
                           keep ? "COMMIT" : "ROLLBACK", 0, NULL) != APR_SUCCESS &&
            keep) {
            rv = APR_EGENERAL;
        }
    }
    return rv;
}

static apr_status_t set_tenant(PGconn *conn, const char *business_id)
{
    const char *params[1] = {business_id};

    return ctn_calls_exec(NULL, conn, NULL, "setting the tenant", PGRES_TUPLES_OK,
                          "SELECT set_config('cortana.business_id', $1, true)", 1, params);
}

apr_status_t ctn_dispatcher_escalate_due(PGconn *conn, apr_pool_t *pool,
                                         const ctn_sms_client_t *sms, int max, int *escalated)
{
    char max_s[12];
    const char *params[1] = {max_s};
    PGresult *res;
    apr_status_t rv;
    int n = 0;

    apr_snprintf(max_s, sizeof(max_s), "%d", max);
    if ((rv = ctn_calls_exec(NULL, conn, NULL, "BEGIN", PGRES_COMMAND_OK, "BEGIN", 0, NULL)) !=
        APR_SUCCESS) {
        return rv;
    }
    rv = ctn_calls_exec(&res, conn, pool, "claiming due dispatches", PGRES_TUPLES_OK,
                        "SELECT id, business_id, step FROM cortana_claim_due_dispatches($1::int)",
                        1, params);
    for (int i = 0; rv == APR_SUCCESS && i < PQntuples(res); i++) {
        const char *business_id = PQgetvalue(res, i, 1);
        if ((rv = set_tenant(conn, business_id)) == APR_SUCCESS &&
            (rv = advance(conn, pool, sms, business_id, PQgetvalue(res, i, 0),
                          atoi(PQgetvalue(res, i, 2)))) == APR_SUCCESS) {
            n++;
        }
    }
    if (ctn_calls_exec(NULL, conn, NULL, "ending the escalation transaction", PGRES_COMMAND_OK,
                       rv == APR_SUCCESS ? "COMMIT" : "ROLLBACK", 0, NULL) != APR_SUCCESS &&
        rv == APR_SUCCESS) {
        rv = APR_EGENERAL;
    }
    if (escalated) {
        *escalated = rv == APR_SUCCESS ? n : 0;
    }
    return rv;
}

/* Where normalised `text` holds `phrase` (normalised words) on word
 * boundaries, from `from` on; NULL: nowhere. */
static const char *find_phrase_from(const char *text, const char *from, const char *phrase)
{
    apr_size_t n = strlen(phrase);

    for (const char *p = strstr(from, phrase); p; p = strstr(p + 1, phrase)) {
        if ((p == text || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ')) {
            return p;
        }
    }
    return NULL;
}

static const char *find_phrase(const char *text, const char *phrase)
{
    return find_phrase_from(text, text, phrase);
}

/* Whether a negation comes before `p` in its clause of `text` ("can't be
 * there", "not coming", "no voy", "I don't think I can make it on my
 * way"): an acceptance so negated is a refusal. The clause starts after
 * the last sentence mark ("No. On my way" is not negated). */
static int negated(const char *text, const char *p)
{
    static const char *const negations[] = {"no",   "not",   "cant",  "cannot",  "wont",
                                            "dont", "never", "nunca", "tampoco", NULL};
    const char *w = p;

    while (w > text) {
        const char *end = w - 1; /* the space before the word at `w` */
        apr_size_t n;
        for (w = end; w > text && w[-1] != ' '; w--) {
        }
        n = (apr_size_t)(end - w);
        if (n == strlen(CTN_TEXT_CLAUSE) && strncmp(w, CTN_TEXT_CLAUSE, n) == 0) {
            return 0;
        }
        for (int i = 0; negations[i]; i++) {
            if (strlen(negations[i]) == n && strncmp(w, negations[i], n) == 0) {
                return 1;
            }
        }
    }
    return 0;
}

static int has_any(const char *text, const char *const *phrases)
{
    for (int i = 0; phrases[i]; i++) {
        if (find_phrase(text, phrases[i])) {
            return 1;
        }
    }
    return 0;
}

int ctn_dispatcher_parse_answer(const char *body)
{
    /* "No" that accepts: taken out before the refusals are looked for. */
    static const char *const no_matter[] = {"no problem",     "no prob",      "no problemo",
                                            "not a problem",  "no worries",   "no hay problema",
                                            "no hay bronca",  "sin problema", "no te preocupes",
                                            "no se preocupe", "dont worry",   NULL};
    static const char *const yes[] = {
        "yes",          "yep",        "yeah",     "yup",         "si",         "ok",
        "okay",         "sure",       "on it",    "omw",         "on my way",  "coming",
        "will do",      "got it",     "i got it", "ill take it", "taking it",  "be there",
        "heading over", "claro",      "voy",      "ya voy",      "en camino",  "vale",
        "dale",         "de acuerdo", "listo",    "lo tomo",     "me encargo", NULL};
    static const char *const yes_alone[] = {"y", "k", NULL};
    static const char *const no[] = {
        "no",      "n",       "nope",     "nah",     "pass",      "cant",
        "cannot",  "can not", "wont",     "busy",    "unable",    "not available",
        "decline", "paso",    "no puedo", "ocupado", "imposible", NULL};
    char text[512];
    int accepts = 0, refuses = 0;

    if (body == NULL) {
        return -1;
    }
    /* Normalised as callers' words are, so case and accents do not matter
     * ("SÍ!" is "si", "Can't" is "cant"). Every word counts, not only the
     * first ("No problem, on my way" accepts); phrases match whole words,
     * and an acceptance negated in its clause refuses ("can't be there",
     * "not coming", "no voy"): taking a refusal for a YES would stop the
     * escalation with nobody on the way. A reply that both accepts and
     * refuses, or does neither, is not guessed at. */
    ctn_text_normalize_into(text, sizeof(text), body);
    /* "Y" and "K" answer YES alone; in a sentence they are Spanish words
     * ("y": and; "k": que, in texts), so they count only as the whole reply. */
    for (int i = 0; yes_alone[i]; i++) {
        if (strcmp(text, yes_alone[i]) == 0) {
            return 1;
        }
    }
    for (int i = 0; no_matter[i]; i++) {
        char *p;
        while ((p = (char *)find_phrase(text, no_matter[i])) != NULL) {
            memset(p, '_', strlen(no_matter[i]));
            accepts = 1;
        }
    }
    for (int i = 0; yes[i]; i++) {
        for (const char *p = find_phrase(text, yes[i]); p;
             p = find_phrase_from(text, p + 1, yes[i])) {
            if (negated(text, p)) {
                refuses = 1;
            } else {
                accepts = 1;
            }
        }
    }
    if (refuses || has_any(text, no)) {
        return accepts ? -1 : 0;
    }
    return accepts ? 1 : -1;
}

static apr_status_t acknowledge(PGconn *conn, apr_pool_t *pool, const ctn_sms_client_t *sms,
                                const PGresult *d)
{
    static const char update[] =
        "WITH d AS (UPDATE dispatches SET status = 'acknowledged', ack_at = now(), due_at = NULL "
        "WHERE id = $1 RETURNING call_log_id, technician_id) "
        "UPDATE call_logs c SET assigned_tech_id = d.technician_id FROM d "
        "WHERE c.id = d.call_log_id RETURNING c.from_number, c.to_number, c.id, "
        "(SELECT name FROM businesses WHERE id = c.business_id), c.language";
    const char *params[1] = {PQgetvalue(d, 0, 0)};
    const char *tech_name = PQgetvalue(d, 0, 3);
    PGresult *res;
    apr_status_t rv;

    rv = ctn_calls_exec(&res, conn, pool, "acknowledging the dispatch", PGRES_TUPLES_OK, update, 1,
                        params);
    if (rv != APR_SUCCESS || PQntuples(res) != 1) {
        return rv;
    }
    ctn_log_notice(NULL, "dispatch %s acknowledged by %s", params[0], tech_name);
    if (PQgetvalue(d, 0, 4)[0] == 't') {
        /* Tell the caller help is coming (setting eta_sms_to_caller). */
        ctn_sms_t text;
        memset(&text, 0, sizeof(text));
        text.business_id = PQgetvalue(d, 0, 1);
        text.to = PQgetvalue(res, 0, 0);
        text.from = PQgetvalue(res, 0, 1);
        text.call_log_id = PQgetvalue(res, 0, 2);
        text.dispatch_id = params[0];
        text.purpose = "caller_eta";
        /* In the caller's language, as the call was; the owner (last in
         * line) is the business itself to the caller, not "the owner". */
        if (PQgetvalue(d, 0, 6)[0] == 't') {
            text.body = apr_psprintf(pool,
                                     strcmp(PQgetvalue(res, 0, 4), "es") == 0
                                         ? "%s: vamos en camino para ayudarle con su emergencia. "
                                           "Responda aquí o llámenos si algo cambia."
                                         : "%s: we're on the way to help with your emergency. "
                                           "Reply here or call us if anything changes.",
                                     PQgetvalue(res, 0, 3));
        } else {
            text.body = apr_psprintf(pool,
                                     strcmp(PQgetvalue(res, 0, 4), "es") == 0
                                         ? "%s: %s va en camino para ayudarle con su emergencia. "
                                           "Responda aquí o llámenos si algo cambia."
                                         : "%s: %s is on the way to help with your emergency. "
                                           "Reply here or call us if anything changes.",
                                     PQgetvalue(res, 0, 3), tech_name);
        }
        return ctn_sms_enqueue(conn, pool, sms, &text, NULL);
    }
    return APR_SUCCESS;
}

apr_status_t ctn_dispatcher_handle_reply(PGconn *conn, apr_pool_t *pool,
                                         const ctn_sms_client_t *sms, const char *business_id,
                                         const char *from, const char *body, int *handled)
{
    static const char find[] =
        "SELECT d.id, d.business_id, d.step, coalesce(t.name, 'the owner'), "
        "coalesce((b.settings->>'eta_sms_to_caller')::boolean, true), b.phone_number, "
        "d.technician_id IS NULL, b.ai_personality::text "
        "FROM dispatches d JOIN businesses b ON b.id = d.business_id "
        "LEFT JOIN technicians t ON t.id = d.technician_id "
        "WHERE d.business_id = $1 AND d.status = 'notified' AND d.notified_phone = $2 "
        "ORDER BY d.notified_at DESC LIMIT 1 FOR UPDATE OF d";
    const char *params[2] = {business_id, from};
    PGresult *res;
    apr_status_t rv;
    int answer = ctn_dispatcher_parse_answer(body);

    *handled = 0;
    if ((rv = ctn_calls_exec(NULL, conn, NULL, "BEGIN", PGRES_COMMAND_OK, "BEGIN", 0, NULL)) !=
        APR_SUCCESS) {
        return rv;
    }
    rv = ctn_calls_exec(&res, conn, pool, "finding the pending dispatch", PGRES_TUPLES_OK, find, 2,
                        params);
    if (rv == APR_SUCCESS && PQntuples(res) == 1) {
        *handled = 1;
        if (answer < 0) {
            /* Not a clear YES or NO ("who is this?"): ask, rather than
             * guess or let the window run out on a technician who replied. */
            ctn_sms_t text;
            memset(&text, 0, sizeof(text));
            text.business_id = business_id;
            text.to = from;
            text.from = PQgetvalue(res, 0, 5);
            text.dispatch_id = PQgetvalue(res, 0, 0);
            text.purpose = "dispatch";
            text.body = team_language(pool, PQgetvalue(res, 0, 7)) == CTN_LANG_ES
                            ? "Disculpe, no le entendimos: responda SÍ para tomar la emergencia "
                              "o NO para pasarla."
                            : "Sorry, we couldn't tell: reply YES to take the emergency or NO "
                              "to pass it on.";
            rv = ctn_sms_enqueue(conn, pool, sms, &text, NULL);
        } else {
            rv = answer ? acknowledge(conn, pool, sms, res)
                        : advance(conn, pool, sms, business_id, PQgetvalue(res, 0, 0),
                                  atoi(PQgetvalue(res, 0, 2)));
        }
    }
    if (ctn_calls_exec(NULL, conn, NULL, "ending the reply transaction", PGRES_COMMAND_OK,
                       rv == APR_SUCCESS ? "COMMIT" : "ROLLBACK", 0, NULL) != APR_SUCCESS &&
        rv == APR_SUCCESS) {
        rv = APR_EGENERAL;
    }
    return rv;
}
