/* personality.c: templates, voices and tone (see personality.h).
 *
 * Parsing is forgiving on purpose: a malformed member is replaced by its
 * default and reported through `why`, so an owner's typo in the settings
 * never costs a caller. The tone's words live in one small table; engine
 * lines name them as {ack}, {sure}, {sorry} and {thanks}. */
#include "personality.h"

#include "text.h"

#include <apr_strings.h>
#include <string.h>

static const char *const default_greeting[2] = {
    "Thanks for calling {business}! This is {assistant}, {business}'s AI assistant. How can I "
    "help you today?",
    "¡Gracias por llamar a {business}! Soy {assistant}, la asistente virtual de {business}. ¿En "
    "qué le puedo ayudar?"};

static const char *const default_sign_off[2] = {
    "Thanks for calling {business}. Have a great day!",
    "Gracias por llamar a {business}. ¡Que tenga un buen día!"};

static const char *const default_voice[2] = {"Polly.Joanna-Neural", "Polly.Lupe-Neural"};

static const char *const disclosure[2] = {"I'm an AI assistant.",
                                          "Soy una asistente de inteligencia artificial."};

/* The tone's words: [token][tone][lang]. */
static const char *const tone_tokens[] = {"{ack}", "{sure}", "{sorry}", "{thanks}"};
static const char *const tone_words[][3][2] = {
    /* {ack} */
    {{"Got it!", "¡Perfecto!"},
     {"Understood.", "Entendido."},
     {"Okay, I understand.", "De acuerdo, le entiendo."}},
    /* {sure} */
    {{"Sure!", "¡Claro!"}, {"Certainly.", "Por supuesto."}, {"Of course.", "Claro que sí."}},
    /* {sorry} */
    {{"Sorry,", "Perdón,"}, {"I apologize,", "Disculpe,"}, {"I'm sorry,", "Lo siento,"}},
    /* {thanks} */
    {{"Thanks!", "¡Gracias!"}, {"Thank you.", "Gracias."}, {"Thank you.", "Gracias."}},
};

static const char *const tone_names[] = {"friendly", "professional", "calm"};
static const char *const policy_names[] = {"ranges", "exact", "never"};

const char *ctn_personality_price_policy_name(ctn_price_policy_e policy)
{
    return policy <= CTN_PRICE_NEVER ? policy_names[policy] : "ranges";
}

/* ------------------------------------------------------------- parsing --- */

typedef struct parse_t {
    apr_pool_t *pool;
    const char *why;
} parse_t;

static void complain(parse_t *ps, const char *member, const char *what)
{
    const char *msg = apr_psprintf(ps->pool, "%s: %s", member, what);
    ps->why = ps->why ? apr_pstrcat(ps->pool, ps->why, "; ", msg, NULL) : msg;
}

static int nonempty_string(json_object *v)
{
    return json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0;
}

/* A per-language member: {"en": "...", "es": "..."} or one string for both. */
static void per_language(parse_t *ps, json_object *json, const char *key, const char *out[2])
{
    json_object *v = NULL, *l = NULL;

    if (!json_object_object_get_ex(json, key, &v) || json_object_is_type(v, json_type_null)) {
        return;
    }
    if (nonempty_string(v)) {
        out[CTN_LANG_EN] = out[CTN_LANG_ES] = json_object_get_string(v);
        return;
    }
    if (!json_object_is_type(v, json_type_object)) {
        complain(ps, key, "expected {\"en\": \"...\", \"es\": \"...\"}");
        return;
    }
    for (int lang = CTN_LANG_EN; lang <= CTN_LANG_ES; lang++) {
        if (!json_object_object_get_ex(v, ctn_language_code((ctn_lang_e)lang), &l)) {
            continue;
        }
        if (nonempty_string(l)) {
            out[lang] = json_object_get_string(l);
        } else if (!json_object_is_type(l, json_type_null)) {
            complain(ps, key, "each language must be a non-empty string");
        }
    }
}

/* The index of `json[key]` in `names`, or -1 when absent; a bad value is
 * reported and also gives -1. */
static int enum_member(parse_t *ps, json_object *json, const char *key, const char *const *names,
                       int n)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(json, key, &v) || json_object_is_type(v, json_type_null)) {
        return -1;
    }
    if (json_object_is_type(v, json_type_string)) {
        for (int i = 0; i < n; i++) {
            if (strcmp(json_object_get_string(v), names[i]) == 0) {
                return i;
            }
        }
    }
    complain(ps, key, apr_psprintf(ps->pool, "unknown value %s", json_object_to_json_string(v)));
    return -1;
}

/* An owner who wrote "Never quote exact prices" but set no price_policy
 * means it: a rule about prices with a negation forbids numbers, unless it
 * only forbids exact ones (then ranges are fine). */
static int policy_from_rules(apr_pool_t *pool, const apr_array_header_t *rules)
{
    static const char *const money[] = {"pric*", "precio*", "quot*", "cotiza*", "cost*", NULL};
    static const char *const never[] = {"never", "nunca", "don t", "do not", "dont", "no", NULL};

    for (int i = 0; rules && i < rules->nelts; i++) {
        apr_array_header_t *w =
            ctn_text_words(pool, ctn_text_normalize(pool, APR_ARRAY_IDX(rules, i, const char *)));
        int m = 0, n = 0;
        for (int k = 0; money[k]; k++) {
            m |= ctn_text_find(w, money[k], 0) >= 0;
        }
        for (int k = 0; never[k]; k++) {
            n |= ctn_text_find(w, never[k], 0) >= 0;
        }
        if (m && n) {
            return ctn_text_find(w, "exact*", 0) >= 0 ? CTN_PRICE_RANGES : CTN_PRICE_NEVER;
        }
    }
    return -1;
}

static void parse_languages(parse_t *ps, ctn_personality_t *p, json_object *v)
{
    int speaks[2] = {0, 0}, first = -1;

    for (size_t i = 0; json_object_is_type(v, json_type_array) && i < json_object_array_length(v);
         i++) {
        const char *code = json_object_get_string(json_object_array_get_idx(v, i));
        int lang = -1;
        if (code && strcmp(code, "en") == 0) {
            lang = CTN_LANG_EN;
        } else if (code && strcmp(code, "es") == 0) {
            lang = CTN_LANG_ES;
        }
        if (lang >= 0) {
            speaks[lang] = 1;
            first = first < 0 ? lang : first;
        }
    }
    if (first < 0) {
        complain(ps, "languages", "expected an array with \"en\" and/or \"es\"");
        return;
    }
    p->speaks[CTN_LANG_EN] = speaks[CTN_LANG_EN];
    p->speaks[CTN_LANG_ES] = speaks[CTN_LANG_ES];
    p->default_lang = (ctn_lang_e)first;
}

apr_status_t ctn_personality_parse(ctn_personality_t **pers, apr_pool_t *pool, json_object *json,
                                   const char *business, const char **why)
{
    ctn_personality_t *p = apr_pcalloc(pool, sizeof(*p));
    parse_t ps = {pool, NULL};
    json_object *v = NULL;
    int e;

    p->business = business && *business ? business : "our office";
    p->assistant_name = "Cortana";
    p->tone = CTN_TONE_FRIENDLY;
    p->disclose_ai = 1;
    p->price_policy = CTN_PRICE_RANGES;
    p->speaks[CTN_LANG_EN] = p->speaks[CTN_LANG_ES] = 1;
    p->default_lang = CTN_LANG_EN;
    p->rules = apr_array_make(pool, 4, sizeof(const char *));
    for (int lang = CTN_LANG_EN; lang <= CTN_LANG_ES; lang++) {
        p->greeting[lang] = default_greeting[lang];
        p->sign_off[lang] = default_sign_off[lang];
        p->voice[lang] = default_voice[lang];
    }
    *pers = p;
    if (json == NULL || json_object_is_type(json, json_type_null)) {
        goto leave;
    }
    if (!json_object_is_type(json, json_type_object)) {
        complain(&ps, "ai_personality", "not a JSON object");
        goto leave;
    }
    if (json_object_object_get_ex(json, "assistant_name", &v)) {
        if (nonempty_string(v)) {
            p->assistant_name = json_object_get_string(v);
        } else {
            complain(&ps, "assistant_name", "expected a non-empty string");
        }
    }
    if ((e = enum_member(&ps, json, "tone", tone_names, 3)) >= 0) {
        p->tone = (ctn_tone_e)e;
    }
    per_language(&ps, json, "greeting", p->greeting);
    per_language(&ps, json, "sign_off", p->sign_off);
    per_language(&ps, json, "voice", p->voice);
    if (json_object_object_get_ex(json, "disclose_ai", &v)) {
        if (json_object_is_type(v, json_type_boolean)) {
            p->disclose_ai = json_object_get_boolean(v);
        } else {
            complain(&ps, "disclose_ai", "expected true or false");
        }
    }
    if (json_object_object_get_ex(json, "languages", &v)) {
        parse_languages(&ps, p, v);
    }
    if (json_object_object_get_ex(json, "rules", &v)) {
        if (json_object_is_type(v, json_type_array)) {
            for (size_t i = 0; i < json_object_array_length(v); i++) {
                json_object *r = json_object_array_get_idx(v, i);
                if (nonempty_string(r)) {
                    APR_ARRAY_PUSH(p->rules, const char *) = json_object_get_string(r);
                }
            }
        } else {
            complain(&ps, "rules", "expected an array of strings");
        }
    }
    if ((e = enum_member(&ps, json, "price_policy", policy_names, 3)) >= 0) {
        p->price_policy = (ctn_price_policy_e)e;
    } else if (!json_object_object_get_ex(json, "price_policy", NULL) &&
               (e = policy_from_rules(pool, p->rules)) >= 0) {
        p->price_policy = (ctn_price_policy_e)e;
    }
leave:
    if (why) {
        *why = ps.why;
    }
    return ps.why ? APR_EINVAL : APR_SUCCESS;
}

/* ----------------------------------------------------------- rendering --- */

const char *ctn_personality_render(const ctn_personality_t *p, apr_pool_t *pool, ctn_lang_e lang,
                                   const char *tpl)
{
    apr_array_header_t *out;
    int l = lang == CTN_LANG_ES ? CTN_LANG_ES : CTN_LANG_EN;

    if (tpl == NULL || strchr(tpl, '{') == NULL) {
        return tpl;
    }
    out = apr_array_make(pool, 8, sizeof(const char *));
    while (*tpl) {
        const char *brace = strchr(tpl, '{'), *value = NULL;
        apr_size_t skip = 0;

        if (brace == NULL) {
            APR_ARRAY_PUSH(out, const char *) = tpl;
            break;
        }
        APR_ARRAY_PUSH(out, const char *) = apr_pstrmemdup(pool, tpl, (apr_size_t)(brace - tpl));
        if (strncmp(brace, "{business}", 10) == 0) {
            value = p->business, skip = 10;
        } else if (strncmp(brace, "{assistant}", 11) == 0) {
            value = p->assistant_name, skip = 11;
        } else {
            for (size_t t = 0; t < sizeof(tone_tokens) / sizeof(tone_tokens[0]); t++) {
                apr_size_t n = strlen(tone_tokens[t]);
                if (strncmp(brace, tone_tokens[t], n) == 0) {
                    value = tone_words[t][p->tone][l], skip = n;
                    break;
                }
            }
        }
        if (value == NULL) {
            value = "{", skip = 1;
        }
        APR_ARRAY_PUSH(out, const char *) = value;
        tpl = brace + skip;
    }
    return apr_array_pstrcat(pool, out, 0);
}

/* Whether a greeting already tells the caller they speak with a machine. */
static int discloses(apr_pool_t *pool, const char *text)
{
    static const char *const cues[] = {"ai",         "a i", "artificial", "virtual", "automated",
                                       "automatic*", "bot", "robot",      "ia",      NULL};
    apr_array_header_t *words = ctn_text_words(pool, ctn_text_normalize(pool, text));

    for (int i = 0; cues[i]; i++) {
        if (ctn_text_find(words, cues[i], 0) >= 0) {
            return 1;
        }
    }
    return 0;
}

const char *ctn_personality_greeting(const ctn_personality_t *p, apr_pool_t *pool, ctn_lang_e lang)
{
    const char *text = ctn_personality_render(p, pool, lang, p->greeting[lang]);

    if (p->disclose_ai && !discloses(pool, text)) {
        text = apr_pstrcat(pool, text, " ", disclosure[lang], NULL);
    }
    return text;
}

const char *ctn_personality_sign_off(const ctn_personality_t *p, apr_pool_t *pool, ctn_lang_e lang)
{
    return ctn_personality_render(p, pool, lang, p->sign_off[lang]);
}

const char *ctn_personality_voice(const ctn_personality_t *p, ctn_lang_e lang)
{
    return p->voice[lang];
}

const char *ctn_personality_ack(const ctn_personality_t *p, ctn_lang_e lang)
{
    return tone_words[0][p->tone][lang];
}

int ctn_personality_speaks(const ctn_personality_t *p, ctn_lang_e lang)
{
    return p->speaks[lang];
}

/* -------------------------------------------------------- instructions --- */

static const char *const tone_descriptions[] = {"warm, upbeat and friendly",
                                                "courteous, concise and professional",
                                                "calm, patient and reassuring"};

/* "a, b, c", or NULL for none. */
static const char *join(apr_pool_t *pool, const apr_array_header_t *parts)
{
    const char *out = NULL;

    for (int i = 0; i < parts->nelts; i++) {
        const char *part = APR_ARRAY_IDX(parts, i, const char *);
        out = out ? apr_pstrcat(pool, out, ", ", part, NULL) : part;
    }
    return out;
}

static const char *services_text(apr_pool_t *pool, json_object *services, int with_prices)
{
    apr_array_header_t *parts = apr_array_make(pool, 8, sizeof(const char *));

    for (size_t i = 0;
         json_object_is_type(services, json_type_array) && i < json_object_array_length(services);
         i++) {
        json_object *s = json_object_array_get_idx(services, i), *name = NULL, *lo = NULL,
                    *hi = NULL;
        const char *line;
        if (!json_object_object_get_ex(s, "name", &name)) {
            continue;
        }
        line = json_object_get_string(name);
        if (with_prices && json_object_object_get_ex(s, "price_min", &lo)) {
            line = json_object_object_get_ex(s, "price_max", &hi)
                       ? apr_psprintf(pool, "%s ($%d to $%d)", line, json_object_get_int(lo),
                                      json_object_get_int(hi))
                       : apr_psprintf(pool, "%s (from $%d)", line, json_object_get_int(lo));
        }
        APR_ARRAY_PUSH(parts, const char *) = line;
    }
    return join(pool, parts);
}

static const char *string_list(apr_pool_t *pool, json_object *array)
{
    apr_array_header_t *parts = apr_array_make(pool, 8, sizeof(const char *));

    for (size_t i = 0;
         json_object_is_type(array, json_type_array) && i < json_object_array_length(array); i++) {
        APR_ARRAY_PUSH(parts, const char *) =
            json_object_get_string(json_object_array_get_idx(array, i));
    }
    return join(pool, parts);
}

const char *ctn_personality_instructions(const ctn_personality_t *p, apr_pool_t *pool,
                                         const ctn_personality_facts_t *facts)
{
    apr_array_header_t *t = apr_array_make(pool, 24, sizeof(const char *));
    json_object *v = NULL;
    const char *s;

#define ADD(...) (APR_ARRAY_PUSH(t, const char *) = apr_psprintf(pool, __VA_ARGS__))
    ADD("You are %s, the AI phone receptionist of %s, a home-service business.", p->assistant_name,
        p->business);
    ADD("Your tone is %s. Keep every answer short and natural for a phone call.",
        tone_descriptions[p->tone]);
    ADD("You speak %s; answer in the caller's language and switch when they do.",
        p->speaks[CTN_LANG_EN] && p->speaks[CTN_LANG_ES] ? "English and Spanish"
        : p->speaks[CTN_LANG_ES]                         ? "Spanish only"
                                                         : "English only");
    if (p->disclose_ai) {
        ADD("Say plainly that you are an AI assistant when the call starts and whenever asked.");
    }
    ADD("Emergencies (gas smell, flooding or a burst pipe, no heat in freezing weather, a "
        "sparking or burning panel, sewage backup, a carbon-monoxide alarm) come first: call "
        "the dispatch tool at once, then collect the address and name.");
    ADD("Otherwise help the caller book the soonest free slot (confirm before booking, then "
        "read back name, address and time), answer questions from the knowledge base, or take "
        "a message. Never invent facts: when you do not know, say so and offer to take a "
        "message.");
    switch (p->price_policy) {
    case CTN_PRICE_NEVER:
        ADD("Never quote prices or any numbers about cost: the technician quotes on site.");
        break;
    case CTN_PRICE_EXACT:
        ADD("You may quote the listed prices exactly.");
        break;
    default:
        ADD("Quote prices only as the listed ranges, never as an exact figure.");
        break;
    }
    if (p->rules->nelts) {
        ADD("The owner's rules, which always apply:");
        for (int i = 0; i < p->rules->nelts; i++) {
            ADD("- %s", APR_ARRAY_IDX(p->rules, i, const char *));
        }
    }
    if (facts) {
        if (facts->hours) {
            ADD("Business hours: %s.", facts->hours);
        }
        if ((s = services_text(pool, facts->services, p->price_policy != CTN_PRICE_NEVER))) {
            ADD("Services: %s.", s);
        }
        if (p->price_policy != CTN_PRICE_NEVER && facts->pricing &&
            json_object_object_get_ex(facts->pricing, "service_call_fee", &v)) {
            ADD("Service call fee: $%d.", json_object_get_int(v));
        }
        if (facts->service_area && json_object_object_get_ex(facts->service_area, "cities", &v) &&
            (s = string_list(pool, v))) {
            ADD("Cities served: %s.", s);
        }
        if (facts->service_area && json_object_object_get_ex(facts->service_area, "zips", &v) &&
            (s = string_list(pool, v))) {
            ADD("ZIP codes served: %s.", s);
        }
    }
#undef ADD
    return apr_array_pstrcat(pool, t, '\n');
}
