/* personality.c: templates, voices and tone (see personality.h). */
#include "personality.h"

#include <apr_strings.h>
#include <apr_tables.h>
#include <string.h>

static const char *member_string(json_object *p, const char *key, ctn_lang_e lang)
{
    json_object *v = NULL, *l = NULL;

    if (p == NULL || !json_object_object_get_ex(p, key, &v)) {
        return NULL;
    }
    if (json_object_is_type(v, json_type_string)) {
        return json_object_get_string(v);
    }
    if (json_object_is_type(v, json_type_object) &&
        json_object_object_get_ex(v, ctn_language_code(lang), &l) &&
        json_object_is_type(l, json_type_string) && json_object_get_string_len(l) > 0) {
        return json_object_get_string(l);
    }
    return NULL;
}

static const char *assistant(json_object *p)
{
    const char *name = member_string(p, "assistant_name", CTN_LANG_EN);
    return name && *name ? name : "Cortana";
}

/* Replace {business} and {assistant}. */
static const char *render(apr_pool_t *pool, const char *tpl, const char *business,
                          const char *assistant_name)
{
    apr_array_header_t *out = apr_array_make(pool, 8, sizeof(const char *));

    while (*tpl) {
        const char *brace = strchr(tpl, '{');
        if (brace == NULL) {
            APR_ARRAY_PUSH(out, const char *) = tpl;
            break;
        }
        APR_ARRAY_PUSH(out, const char *) = apr_pstrmemdup(pool, tpl, (apr_size_t)(brace - tpl));
        if (strncmp(brace, "{business}", 10) == 0) {
            APR_ARRAY_PUSH(out, const char *) = business;
            tpl = brace + 10;
        } else if (strncmp(brace, "{assistant}", 11) == 0) {
            APR_ARRAY_PUSH(out, const char *) = assistant_name;
            tpl = brace + 11;
        } else {
            APR_ARRAY_PUSH(out, const char *) = "{";
            tpl = brace + 1;
        }
    }
    return apr_array_pstrcat(pool, out, 0);
}

static int discloses(const char *text)
{
    return strstr(text, "AI") || strstr(text, "virtual") || strstr(text, "artificial") ||
           strstr(text, "automated");
}

const char *ctn_personality_greeting(apr_pool_t *pool, json_object *p, const char *business,
                                     ctn_lang_e lang, int after_hours)
{
    const char *tpl = member_string(p, "greeting", lang);
    const char *text;
    json_object *flag = NULL;
    int disclose =
        !(p && json_object_object_get_ex(p, "disclose_ai", &flag) &&
          json_object_is_type(flag, json_type_boolean) && !json_object_get_boolean(flag));

    if (tpl == NULL) {
        tpl = lang == CTN_LANG_ES
                  ? "Gracias por llamar a {business}. Habla {assistant}, la asistente virtual de "
                    "{business}. ¿En qué le puedo ayudar?"
                  : "Thanks for calling {business}! This is {assistant}, {business}'s AI "
                    "assistant. How can I help you today?";
    }
    text = render(pool, tpl, business, assistant(p));
    if (disclose && !discloses(text)) {
        text = apr_pstrcat(pool, text,
                           lang == CTN_LANG_ES ? " Soy una asistente de inteligencia artificial."
                                               : " I'm an AI assistant.",
                           NULL);
    }
    if (after_hours) {
        text = apr_pstrcat(pool, text,
                           lang == CTN_LANG_ES
                               ? " Ahora estamos cerrados. Si es una emergencia, dígamelo y "
                                 "aviso al técnico de guardia; si no, puedo tomar un mensaje o "
                                 "agendar una cita."
                               : " We're closed right now. If this is an emergency, tell me and "
                                 "I'll alert the on-call technician; otherwise I can take a "
                                 "message or book a visit.",
                           NULL);
    }
    return text;
}

const char *ctn_personality_sign_off(apr_pool_t *pool, json_object *p, const char *business,
                                     ctn_lang_e lang)
{
    const char *tpl = member_string(p, "sign_off", lang);

    if (tpl == NULL) {
        tpl = lang == CTN_LANG_ES ? "Gracias por llamar a {business}. ¡Que tenga buen día!"
                                  : "Thanks for calling {business}. Have a great day!";
    }
    return render(pool, tpl, business, assistant(p));
}

const char *ctn_personality_voice(json_object *p, ctn_lang_e lang)
{
    const char *v = member_string(p, "voice", lang);
    return v ? v : lang == CTN_LANG_ES ? "Polly.Lupe-Neural" : "Polly.Joanna-Neural";
}

const char *ctn_personality_price_policy(json_object *p)
{
    const char *v = member_string(p, "price_policy", CTN_LANG_EN);
    return v && (strcmp(v, "exact") == 0 || strcmp(v, "never") == 0) ? v : "ranges";
}

const char *ctn_personality_ack(json_object *p, ctn_lang_e lang)
{
    const char *tone = member_string(p, "tone", CTN_LANG_EN);

    if (tone && strcmp(tone, "professional") == 0) {
        return lang == CTN_LANG_ES ? "Entendido." : "Understood.";
    }
    if (tone && strcmp(tone, "calm") == 0) {
        return lang == CTN_LANG_ES ? "De acuerdo, le entiendo." : "Okay, I understand.";
    }
    return lang == CTN_LANG_ES ? "¡Perfecto!" : "Got it!";
}
