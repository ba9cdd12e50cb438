/* twiml.c: the TwiML builder (see twiml.h). */
#include "twiml.h"

#include <apr_strings.h>
#include <apr_tables.h>
#include <string.h>

/* Twilio's limits for <Gather hints>: 500 entries of 100 characters. */
#define HINTS_MAX_BYTES 4000

struct ctn_twiml_t {
    apr_pool_t *pool;
    apr_array_header_t *parts;
    int in_gather;
    const char *error;
};

ctn_twiml_t *ctn_twiml_create(apr_pool_t *pool)
{
    ctn_twiml_t *t = apr_pcalloc(pool, sizeof(*t));

    t->pool = pool;
    t->parts = apr_array_make(pool, 16, sizeof(const char *));
    APR_ARRAY_PUSH(t->parts, const char *) = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>";
    return t;
}

const char *ctn_twiml_escape(apr_pool_t *pool, const char *s)
{
    apr_size_t n = 0;
    char *out, *o;

    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        n += *c == '&' ? 5 : (*c == '<' || *c == '>') ? 4 : (*c == '"' || *c == '\'') ? 6 : 1;
    }
    out = o = apr_palloc(pool, n + 1);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        switch (*c) {
        case '&':
            memcpy(o, "&amp;", 5), o += 5;
            break;
        case '<':
            memcpy(o, "&lt;", 4), o += 4;
            break;
        case '>':
            memcpy(o, "&gt;", 4), o += 4;
            break;
        case '"':
            memcpy(o, "&quot;", 6), o += 6;
            break;
        case '\'':
            memcpy(o, "&apos;", 6), o += 6;
            break;
        default:
            /* XML 1.0 allows no control characters but tab, CR and LF. */
            *o++ = (*c < 0x20 && *c != '\t' && *c != '\n' && *c != '\r') ? ' ' : (char)*c;
        }
    }
    *o = '\0';
    return out;
}

static void put(ctn_twiml_t *t, const char *s)
{
    APR_ARRAY_PUSH(t->parts, const char *) = s;
}

static void attr(ctn_twiml_t *t, const char *name, const char *value)
{
    if (value != NULL) {
        put(t,
            apr_pstrcat(t->pool, " ", name, "=\"", ctn_twiml_escape(t->pool, value), "\"", NULL));
    }
}

void ctn_twiml_say(ctn_twiml_t *t, const char *text, const char *voice, const char *language)
{
    put(t, "<Say");
    attr(t, "voice", voice);
    attr(t, "language", language);
    put(t, apr_pstrcat(t->pool, ">", ctn_twiml_escape(t->pool, text ? text : ""), "</Say>", NULL));
}

void ctn_twiml_gather_begin(ctn_twiml_t *t, const char *action, const char *language,
                            const char *hints)
{
    if (t->in_gather) {
        t->error = "a <Gather> cannot contain another <Gather>";
        return;
    }
    t->in_gather = 1;
    put(t, "<Gather input=\"speech\" method=\"POST\" speechTimeout=\"auto\"");
    attr(t, "action", action);
    attr(t, "language", language);
    if (hints && *hints) {
        apr_size_t n = strlen(hints);
        if (n > HINTS_MAX_BYTES) {
            /* Cut at the last whole hint that fits. */
            char *cut = apr_pstrmemdup(t->pool, hints, HINTS_MAX_BYTES);
            char *comma = strrchr(cut, ',');
            if (comma) {
                *comma = '\0';
            }
            hints = cut;
        }
        attr(t, "hints", hints);
    }
    put(t, ">");
}

void ctn_twiml_gather_end(ctn_twiml_t *t)
{
    if (!t->in_gather) {
        t->error = "</Gather> without <Gather>";
        return;
    }
    t->in_gather = 0;
    put(t, "</Gather>");
}

static int check_top(ctn_twiml_t *t, const char *verb)
{
    if (t->in_gather) {
        t->error = apr_psprintf(t->pool, "<%s> is not allowed inside <Gather>", verb);
        return 0;
    }
    return 1;
}

void ctn_twiml_record(ctn_twiml_t *t, const char *action, const char *transcribe_callback,
                      int max_length)
{
    if (!check_top(t, "Record")) {
        return;
    }
    put(t, "<Record playBeep=\"true\" finishOnKey=\"#\" timeout=\"5\"");
    attr(t, "action", action);
    attr(t, "maxLength", apr_itoa(t->pool, max_length > 0 ? max_length : 120));
    if (transcribe_callback) {
        put(t, " transcribe=\"true\"");
        attr(t, "transcribeCallback", transcribe_callback);
    }
    put(t, "/>");
}

void ctn_twiml_redirect(ctn_twiml_t *t, const char *url)
{
    if (check_top(t, "Redirect")) {
        put(t, apr_pstrcat(t->pool, "<Redirect method=\"POST\">", ctn_twiml_escape(t->pool, url),
                           "</Redirect>", NULL));
    }
}

void ctn_twiml_connect_stream(ctn_twiml_t *t, const char *url, const char *param_name,
                              const char *param_value)
{
    if (!check_top(t, "Connect")) {
        return;
    }
    put(t, "<Connect><Stream");
    attr(t, "url", url);
    put(t, ">");
    if (param_name) {
        put(t, "<Parameter");
        attr(t, "name", param_name);
        attr(t, "value", param_value);
        put(t, "/>");
    }
    put(t, "</Stream></Connect>");
}

void ctn_twiml_dial(ctn_twiml_t *t, const char *number, const char *action, const char *caller_id)
{
    if (!check_top(t, "Dial")) {
        return;
    }
    put(t, "<Dial");
    attr(t, "action", action);
    attr(t, "callerId", caller_id);
    put(t, apr_pstrcat(t->pool, "><Number>", ctn_twiml_escape(t->pool, number), "</Number></Dial>",
                       NULL));
}

void ctn_twiml_hangup(ctn_twiml_t *t)
{
    if (check_top(t, "Hangup")) {
        put(t, "<Hangup/>");
    }
}

const char *ctn_twiml_finish(ctn_twiml_t *t, const char **why)
{
    if (t->error == NULL && t->in_gather) {
        t->error = "<Gather> not closed";
    }
    if (t->error) {
        *why = t->error;
        return NULL;
    }
    put(t, "</Response>");
    return apr_array_pstrcat(t->pool, t->parts, 0);
}
