/* simulator.c: Twilio's side of a call, played against a running server
 * (see simulator.h).
 *
 * The state of the call is the current TwiML document and the index of the
 * verb being executed. Verbs that hand control back to the server (a Gather
 * that got speech, a Record, a Redirect, a Dial with an action) post to
 * their action URL and replace the document with the answer, as Twilio does.
 * URLs in TwiML are resolved against the public URL (what Twilio would sign)
 * and sent to the server URL (where the server really listens). */
#include "simulator.h"

#include "form.h"
#include "twilio_signature.h"
#include "twiml_reader.h"
#include "url.h"

#include <apr_strings.h>
#include <curl/curl.h>
#include <sodium.h>
#include <string.h>

#define DEFAULT_ACCOUNT_SID "AC00000000000000000000000000000000"
#define DEFAULT_TIMEOUT_MS  10000
#define DEFAULT_MAX_STEPS   64
/* Twilio reports a confidence with every speech result; the simulator's
 * "recognition" is perfect but not certain. */
#define SIM_CONFIDENCE "0.92"

typedef struct call_t {
    apr_pool_t *pool;
    const ctn_sim_config_t *cfg;
    const ctn_sim_caller_t *caller;
    ctn_sim_observer_fn *observe;
    void *baton;
    ctn_sim_result_t *result;
    const char *public_base;
    apr_time_t started;
    int hung_up; /* the caller hung up */
    /* Transcription callbacks to post once the call has ended (Twilio
     * transcribes a recording after the status callback). */
    apr_array_header_t *transcriptions; /* transcription_t */
} call_t;

typedef struct transcription_t {
    const char *callback;
    apr_array_header_t *params;
} transcription_t;

/* The values Twilio gives DialCallStatus. */
static const char *const dial_statuses[] = {"completed", "answered", "busy", "no-answer",
                                            "failed",    "canceled", NULL};

typedef struct body_t {
    char *data;
    apr_size_t len, cap;
    apr_pool_t *pool;
} body_t;

const char *ctn_sim_call_sid(apr_pool_t *pool)
{
    unsigned char raw[16];
    char hex[33];

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
    return apr_pstrcat(pool, "CA", hex, NULL);
}

static void emit(call_t *c, ctn_sim_event_e event, const char *language, const char *text)
{
    if (c->observe) {
        c->observe(c->baton, event, language, text);
    }
}

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    body_t *b = userdata;
    apr_size_t n = size * nmemb;

    if (b->len + n + 1 > b->cap) {
        apr_size_t cap = (b->cap ? b->cap * 2 : 4096) + n;
        char *bigger = apr_palloc(b->pool, cap);
        if (b->len) {
            memcpy(bigger, b->data, b->len);
        }
        b->data = bigger;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

/* The parameters Twilio sends with every request of a call. */
static apr_array_header_t *call_params(call_t *c, const char *status)
{
    apr_array_header_t *p = apr_array_make(c->pool, 16, sizeof(ctn_form_pair_t));
    const char *account = c->cfg->account_sid ? c->cfg->account_sid : DEFAULT_ACCOUNT_SID;

    ctn_form_add(p, "AccountSid", account);
    ctn_form_add(p, "ApiVersion", "2010-04-01");
    ctn_form_add(p, "CallSid", c->result->call_sid);
    ctn_form_add(p, "CallStatus", status);
    ctn_form_add(p, "Called", c->cfg->to);
    ctn_form_add(p, "Caller", c->cfg->from);
    ctn_form_add(p, "Direction", "inbound");
    ctn_form_add(p, "From", c->cfg->from);
    ctn_form_add(p, "To", c->cfg->to);
    if (c->cfg->test_call) {
        /* Not a Twilio parameter: the server only honours it when the
         * signature is valid, so it cannot be forged by a third party. */
        ctn_form_add(p, "CortanaTestCall", "1");
    }
    return p;
}

/* Resolve a TwiML URL: returns the URL Twilio would request (and sign). */
static const char *public_url_of(call_t *c, const char *target)
{
    if (strncmp(target, "http://", 7) == 0 || strncmp(target, "https://", 8) == 0) {
        return target;
    }
    if (target[0] == '/') {
        return ctn_url_join(c->pool, c->public_base, target);
    }
    return ctn_url_join(c->pool, c->public_base, apr_pstrcat(c->pool, "/", target, NULL));
}

/* Where the request really goes: the public base swapped for the server's. */
static const char *server_url_of(call_t *c, const char *public_url)
{
    apr_size_t n = strlen(c->public_base);

    if (strncmp(public_url, c->public_base, n) == 0) {
        return ctn_url_join(c->pool, c->cfg->server_url, public_url + n);
    }
    return public_url;
}

/* POST `params` to `target`, signed. `*doc` gets the body (may be NULL). */
static apr_status_t post(call_t *c, const char *target, apr_array_header_t *params,
                         const char **doc, apr_size_t *doc_len)
{
    const char *url = public_url_of(c, target);
    const char *signature = ctn_twilio_signature(c->pool, c->cfg->auth_token, url, params);
    const char *form = ctn_form_encode(c->pool, params);
    body_t body = {NULL, 0, 0, c->pool};
    struct curl_slist *headers = NULL;
    CURL *curl = curl_easy_init();
    CURLcode cc;
    long status = 0;

    if (curl == NULL) {
        return APR_ENOMEM;
    }
    headers =
        curl_slist_append(headers, apr_pstrcat(c->pool, "X-Twilio-Signature: ", signature, NULL));
    headers = curl_slist_append(headers, "User-Agent: TwilioProxy/1.1 (cortana-call)");
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(curl, CURLOPT_URL, server_url_of(c, url));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                     (long)(c->cfg->timeout_ms > 0 ? c->cfg->timeout_ms : DEFAULT_TIMEOUT_MS));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    cc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    c->result->last_http_status = (int)status;
    if (cc != CURLE_OK) {
        emit(c, CTN_SIM_ERROR, NULL,
             apr_psprintf(c->pool, "POST %s failed: %s", url, curl_easy_strerror(cc)));
        return APR_EGENERAL;
    }
    if (status < 200 || status > 299) {
        emit(c, CTN_SIM_ERROR, NULL,
             apr_psprintf(c->pool, "POST %s answered HTTP %ld: %.200s", url, status,
                          body.data ? body.data : ""));
        return APR_EGENERAL;
    }
    if (doc) {
        *doc = body.data;
        *doc_len = body.len;
    }
    return APR_SUCCESS;
}

/* POST and parse the TwiML answer. */
static apr_status_t fetch_twiml(call_t *c, const char *target, apr_array_header_t *params,
                                ctn_xml_node_t **root)
{
    const char *doc = NULL, *why = NULL;
    apr_size_t len = 0;
    apr_status_t rv;

    if ((rv = post(c, target, params, &doc, &len)) != APR_SUCCESS) {
        return rv;
    }
    c->result->documents++;
    if (doc == NULL || ctn_xml_parse(root, c->pool, doc, len, &why) != APR_SUCCESS) {
        emit(c, CTN_SIM_ERROR, NULL,
             apr_psprintf(c->pool, "invalid TwiML from %s: %s", target, why ? why : "empty"));
        return APR_EINVAL;
    }
    if (strcmp((*root)->name, "Response") != 0) {
        emit(c, CTN_SIM_ERROR, NULL, "TwiML root is not <Response>");
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

static void say(call_t *c, const ctn_xml_node_t *node)
{
    emit(c, CTN_SIM_SAY, ctn_xml_attr(node, "language", "en-US"), node->text);
}

/* <Gather>: play nested Says, ask the caller, and post the speech.
 * Returns APR_SUCCESS with *next set when control moved to the action,
 * APR_SUCCESS with *next NULL to continue with the next verb. */
static apr_status_t gather(call_t *c, const ctn_xml_node_t *node, ctn_xml_node_t **next)
{
    const char *language = ctn_xml_attr(node, "language", "en-US");
    const char *words;
    apr_array_header_t *params;

    *next = NULL;
    for (int i = 0; ctn_xml_child(node, i); i++) {
        const ctn_xml_node_t *child = ctn_xml_child(node, i);
        if (strcmp(child->name, "Say") == 0) {
            say(c, child);
        }
    }
    words = c->caller->next_utterance(c->caller->baton, c->pool, language);
    if (words == NULL) {
        c->hung_up = 1;
        return APR_SUCCESS;
    }
    emit(c, CTN_SIM_CALLER, language, words);
    if (*words == '\0' && strcmp(ctn_xml_attr(node, "actionOnEmptyResult", "false"), "true")) {
        return APR_SUCCESS; /* Twilio makes no request and runs the next verb */
    }
    params = call_params(c, "in-progress");
    if (*words) {
        ctn_form_add(params, "SpeechResult", words);
        ctn_form_add(params, "Confidence", SIM_CONFIDENCE);
    }
    ctn_form_add(params, "Language", language);
    return fetch_twiml(c, ctn_xml_attr(node, "action", "/twilio/voice"), params, next);
}

/* <Record>: the caller speaks a message; post the action, and keep the
 * transcription callback, when one was asked for, for after the call. */
static apr_status_t record(call_t *c, const ctn_xml_node_t *node, ctn_xml_node_t **next)
{
    const char *words =
        c->caller->recording ? c->caller->recording(c->caller->baton, c->pool) : NULL;
    const char *rec_sid, *rec_url, *callback;
    apr_array_header_t *params;
    apr_status_t rv;

    *next = NULL;
    if (words == NULL) {
        c->hung_up = 1;
        return APR_SUCCESS;
    }
    emit(c, CTN_SIM_RECORD, NULL, words);
    rec_sid = apr_pstrcat(c->pool, "RE", ctn_sim_call_sid(c->pool) + 2, NULL);
    rec_url =
        apr_psprintf(c->pool, "https://api.twilio.com/2010-04-01/Accounts/%s/Recordings/%s",
                     c->cfg->account_sid ? c->cfg->account_sid : DEFAULT_ACCOUNT_SID, rec_sid);
    params = call_params(c, "in-progress");
    ctn_form_add(params, "RecordingSid", rec_sid);
    ctn_form_add(params, "RecordingUrl", rec_url);
    ctn_form_add(params, "RecordingDuration", apr_itoa(c->pool, 2 + (int)strlen(words) / 12));
    ctn_form_add(params, "Digits", "hangup");
    if ((rv = fetch_twiml(c, ctn_xml_attr(node, "action", "/twilio/voice"), params, next)) !=
        APR_SUCCESS) {
        return rv;
    }
    callback = ctn_xml_attr(node, "transcribeCallback", NULL);
    if (callback != NULL) {
        transcription_t *tr = apr_array_push(c->transcriptions);
        tr->callback = callback;
        tr->params = call_params(c, "completed");
        ctn_form_add(tr->params, "RecordingSid", rec_sid);
        ctn_form_add(tr->params, "RecordingUrl", rec_url);
        ctn_form_add(tr->params, "TranscriptionSid", apr_pstrcat(c->pool, "TR", rec_sid + 2, NULL));
        ctn_form_add(tr->params, "TranscriptionStatus", "completed");
        ctn_form_add(tr->params, "TranscriptionText", words);
        ctn_form_add(tr->params, "TranscriptionType", "fast");
    }
    return APR_SUCCESS;
}

/* <Dial>: the simulated party answers and the conversation ends well,
 * unless the caller's script says how the transfer ended (busy, no-answer…). */
static apr_status_t dial(call_t *c, const ctn_xml_node_t *node, ctn_xml_node_t **next)
{
    const char *number = node->text;
    const char *action = ctn_xml_attr(node, "action", NULL);
    const char *status =
        c->caller->dial_status ? c->caller->dial_status(c->caller->baton, c->pool) : NULL;
    int answered;
    apr_array_header_t *params;

    *next = NULL;
    status = status ? status : "completed";
    answered = strcmp(status, "completed") == 0 || strcmp(status, "answered") == 0;
    for (int i = 0; ctn_xml_child(node, i); i++) {
        if (strcmp(ctn_xml_child(node, i)->name, "Number") == 0) {
            number = ctn_xml_child(node, i)->text;
        }
    }
    emit(c, CTN_SIM_DIAL, NULL, number);
    if (!answered) {
        emit(c, CTN_SIM_INFO, NULL, apr_psprintf(c->pool, "the transfer ended %s", status));
    }
    if (action == NULL) {
        return APR_SUCCESS;
    }
    params = call_params(c, "in-progress");
    ctn_form_add(params, "DialCallStatus", status);
    if (answered) {
        /* Twilio reports a duration only for a call that was answered. */
        ctn_form_add(params, "DialCallDuration", "30");
    }
    ctn_form_add(params, "DialCallSid", ctn_sim_call_sid(c->pool));
    return fetch_twiml(c, action, params, next);
}

/* <Connect><Stream>: in media mode, Twilio's side of the stream, until the
 * caller hangs up (stop) or the server closes the socket; then, as with
 * Twilio, the TwiML after <Connect> runs — the realtime engine's <Redirect>
 * to the built-in one. Without a media mode the stream "ends" at once, which
 * is that same failover path. A stream that cannot be opened is reported as
 * an error and the TwiML goes on (Twilio's stream-error). */
static apr_status_t connect_stream(call_t *c, const ctn_xml_node_t *node)
{
    const ctn_sim_media_t *media = c->cfg->media;
    const ctn_xml_node_t *stream = NULL;
    const char *url, *ws_url, *why = NULL;
    apr_array_header_t *params;
    ctn_sim_stream_t *s;
    apr_pool_t *pool;
    apr_status_t rv;

    for (int i = 0; ctn_xml_child(node, i); i++) {
        if (strcmp(ctn_xml_child(node, i)->name, "Stream") == 0) {
            stream = ctn_xml_child(node, i);
        }
    }
    if (media == NULL || media->websocket == NULL || stream == NULL) {
        emit(c, CTN_SIM_INFO, NULL, "<Connect><Stream> skipped (no media mode)");
        return APR_SUCCESS;
    }
    if ((url = ctn_xml_attr(stream, "url", NULL)) == NULL || *url == '\0') {
        emit(c, CTN_SIM_ERROR, NULL, "<Stream> without a url");
        return APR_EINVAL;
    }
    params = apr_array_make(c->pool, 4, sizeof(ctn_form_pair_t));
    for (int i = 0; ctn_xml_child(stream, i); i++) {
        const ctn_xml_node_t *p = ctn_xml_child(stream, i);
        if (strcmp(p->name, "Parameter") == 0) {
            ctn_form_add(params, ctn_xml_attr(p, "name", ""), ctn_xml_attr(p, "value", ""));
        }
    }
    ws_url = ctn_sim_stream_url(c->pool, c->cfg->server_url, url);
    apr_pool_create(&pool, c->pool);
    s = ctn_sim_stream_create(pool, media,
                              c->cfg->account_sid ? c->cfg->account_sid : DEFAULT_ACCOUNT_SID,
                              c->result->call_sid, params, &c->result->media);
    emit(c, CTN_SIM_INFO, NULL, apr_psprintf(c->pool, "media stream to %s", ws_url));
    rv = media->websocket(media->websocket_baton, s, ws_url, pool, &why);
    if (rv != APR_SUCCESS) {
        emit(c, CTN_SIM_ERROR, NULL,
             apr_psprintf(c->pool, "media stream to %s failed: %s; the TwiML after <Connect> runs",
                          ws_url, why ? why : "unknown error"));
        c->result->errors++;
    } else if (!ctn_sim_stream_done(s) || ctn_sim_stream_closed_by_server(s)) {
        emit(c, CTN_SIM_INFO, NULL,
             apr_psprintf(c->pool,
                          "media stream closed by the server after %.1f s: the TwiML after "
                          "<Connect> runs",
                          (double)c->result->media.last_duration / APR_USEC_PER_SEC));
    } else {
        emit(c, CTN_SIM_INFO, NULL,
             apr_psprintf(c->pool, "caller hung up after %.1f s of media stream (stop sent)",
                          (double)c->result->media.last_duration / APR_USEC_PER_SEC));
        c->hung_up = 1;
    }
    apr_pool_destroy(pool);
    return APR_SUCCESS;
}

/* Run one document; `*next` is the following one, or NULL when the call ends. */
static apr_status_t run_document(call_t *c, const ctn_xml_node_t *doc, ctn_xml_node_t **next)
{
    apr_status_t rv = APR_SUCCESS;

    *next = NULL;
    for (int i = 0; ctn_xml_child(doc, i) && !c->hung_up; i++) {
        const ctn_xml_node_t *verb = ctn_xml_child(doc, i);

        if (strcmp(verb->name, "Say") == 0) {
            say(c, verb);
        } else if (strcmp(verb->name, "Pause") == 0 || strcmp(verb->name, "Play") == 0) {
            continue;
        } else if (strcmp(verb->name, "Gather") == 0) {
            rv = gather(c, verb, next);
        } else if (strcmp(verb->name, "Record") == 0) {
            rv = record(c, verb, next);
        } else if (strcmp(verb->name, "Dial") == 0) {
            rv = dial(c, verb, next);
        } else if (strcmp(verb->name, "Redirect") == 0) {
            return fetch_twiml(c, verb->text, call_params(c, "in-progress"), next);
        } else if (strcmp(verb->name, "Hangup") == 0 || strcmp(verb->name, "Reject") == 0) {
            return APR_SUCCESS;
        } else if (strcmp(verb->name, "Connect") == 0) {
            rv = connect_stream(c, verb);
        } else {
            emit(c, CTN_SIM_ERROR, NULL,
                 apr_psprintf(c->pool, "unsupported TwiML verb <%s>", verb->name));
            return APR_EINVAL;
        }
        if (rv != APR_SUCCESS || *next != NULL) {
            return rv;
        }
    }
    return rv;
}

static apr_status_t send_status(call_t *c)
{
    apr_array_header_t *params = call_params(c, "completed");
    apr_time_t elapsed = apr_time_now() - c->started;
    int seconds = (int)apr_time_sec(elapsed) + 1;

    ctn_form_add(params, "CallDuration", apr_itoa(c->pool, seconds));
    ctn_form_add(params, "CallbackSource", "call-progress-events");
    ctn_form_add(params, "SequenceNumber", "0");
    return post(c, "/twilio/status", params, NULL, NULL);
}

apr_status_t ctn_sim_run(ctn_sim_result_t *result, apr_pool_t *pool, const ctn_sim_config_t *cfg,
                         const ctn_sim_caller_t *caller, ctn_sim_observer_fn *observe, void *baton)
{
    call_t c = {
        pool,   cfg,  caller,         observe, baton,
        result, NULL, apr_time_now(), 0,       apr_array_make(pool, 1, sizeof(transcription_t))};
    ctn_xml_node_t *doc = NULL, *next = NULL;
    int max_steps = cfg->max_steps > 0 ? cfg->max_steps : DEFAULT_MAX_STEPS;
    apr_status_t rv;

    memset(result, 0, sizeof(*result));
    result->call_sid = cfg->call_sid ? apr_pstrdup(pool, cfg->call_sid) : ctn_sim_call_sid(pool);
    c.public_base = cfg->public_url ? cfg->public_url : cfg->server_url;
    rv = fetch_twiml(&c, "/twilio/voice", call_params(&c, "ringing"), &doc);
    while (rv == APR_SUCCESS && doc != NULL) {
        if (result->documents > max_steps) {
            emit(&c, CTN_SIM_ERROR, NULL, "too many TwiML documents: giving up");
            result->ended_by = "limit";
            rv = APR_EGENERAL;
            break;
        }
        rv = run_document(&c, doc, &next);
        doc = next;
    }
    if (rv != APR_SUCCESS) {
        result->errors++;
        if (result->ended_by == NULL) {
            result->ended_by = "error";
        }
    } else {
        result->ended_by = c.hung_up ? "caller" : "server";
    }
    emit(&c, CTN_SIM_HANGUP, NULL, result->ended_by);
    if (send_status(&c) != APR_SUCCESS) {
        result->errors++;
        rv = rv == APR_SUCCESS ? APR_EGENERAL : rv;
    }
    /* As Twilio: the transcriptions come after the call has ended. */
    for (int i = 0; i < c.transcriptions->nelts; i++) {
        const transcription_t *tr = &APR_ARRAY_IDX(c.transcriptions, i, transcription_t);
        if (post(&c, tr->callback, tr->params, NULL, NULL) != APR_SUCCESS) {
            result->errors++;
        }
    }
    return rv;
}

/* ------------------------------------------------------------ scripts --- */

typedef struct script_t {
    apr_array_header_t *turns;      /* const char *: utterance, "" or NULL (hang up) */
    apr_array_header_t *recordings; /* const char * */
    apr_array_header_t *dials;      /* const char *: DialCallStatus */
    int next_turn, next_recording, next_dial;
} script_t;

static const char *script_next(void *baton, apr_pool_t *pool, const char *language)
{
    script_t *s = baton;

    if (s->next_turn >= s->turns->nelts) {
        return NULL;
    }
    return APR_ARRAY_IDX(s->turns, s->next_turn++, const char *);
}

static const char *script_recording(void *baton, apr_pool_t *pool)
{
    script_t *s = baton;

    if (s->next_recording >= s->recordings->nelts) {
        return NULL;
    }
    return APR_ARRAY_IDX(s->recordings, s->next_recording++, const char *);
}

static const char *script_dial_status(void *baton, apr_pool_t *pool)
{
    script_t *s = baton;

    if (s->next_dial >= s->dials->nelts) {
        return NULL;
    }
    return APR_ARRAY_IDX(s->dials, s->next_dial++, const char *);
}

apr_status_t ctn_sim_script_parse(ctn_sim_caller_t *caller, apr_pool_t *pool, const char *text,
                                  const char **why)
{
    script_t *s = apr_pcalloc(pool, sizeof(*s));
    char *copy = apr_pstrdup(pool, text), *state = NULL;

    s->turns = apr_array_make(pool, 8, sizeof(const char *));
    s->recordings = apr_array_make(pool, 2, sizeof(const char *));
    s->dials = apr_array_make(pool, 1, sizeof(const char *));
    for (char *line = apr_strtok(copy, "\n", &state); line; line = apr_strtok(NULL, "\n", &state)) {
        while (*line == ' ' || *line == '\t') {
            line++;
        }
        for (apr_size_t n = strlen(line);
             n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\r' || line[n - 1] == '\t'); n--) {
            line[n - 1] = '\0';
        }
        if (*line == '\0' || *line == '#') {
            continue;
        }
        if (strcmp(line, "<silence>") == 0) {
            APR_ARRAY_PUSH(s->turns, const char *) = "";
        } else if (strcmp(line, "<hangup>") == 0) {
            APR_ARRAY_PUSH(s->turns, const char *) = NULL;
        } else if (strncmp(line, "record:", 7) == 0) {
            const char *words = line + 7;
            while (*words == ' ') {
                words++;
            }
            if (*words == '\0') {
                *why = "a 'record:' line needs the words of the message";
                return APR_EINVAL;
            }
            APR_ARRAY_PUSH(s->recordings, const char *) = words;
        } else if (strncmp(line, "dial:", 5) == 0) {
            const char *status = line + 5;
            int known = 0;
            while (*status == ' ') {
                status++;
            }
            for (int i = 0; dial_statuses[i]; i++) {
                known = known || strcmp(status, dial_statuses[i]) == 0;
            }
            if (!known) {
                *why = apr_psprintf(pool,
                                    "a 'dial:' line takes completed, answered, busy, no-answer, "
                                    "failed or canceled, not '%s'",
                                    status);
                return APR_EINVAL;
            }
            APR_ARRAY_PUSH(s->dials, const char *) = status;
        } else if (line[0] == '<') {
            *why = apr_psprintf(pool, "unknown script directive '%s'", line);
            return APR_EINVAL;
        } else {
            APR_ARRAY_PUSH(s->turns, const char *) = line;
        }
    }
    caller->next_utterance = script_next;
    caller->recording = script_recording;
    caller->dial_status = script_dial_status;
    caller->baton = s;
    return APR_SUCCESS;
}
