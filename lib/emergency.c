/* emergency.c: emergency detection (see emergency.h). */
#include "emergency.h"

#include "text.h"

#include <apr_strings.h>
#include <string.h>

/* How many words before a rule a negator still negates it. */
#define NEGATION_WINDOW 4

static const ctn_emergency_rule_t builtin_rules[] = {
    /* gas */
    {"gas_leak", "smell gas"},
    {"gas_leak", "smell* of gas"},
    {"gas_leak", "smell* like gas"},
    {"gas_leak", "gas leak*"},
    {"gas_leak", "leaking gas"},
    {"gas_leak", "gas smell"},
    {"gas_leak", "huele a gas"},
    {"gas_leak", "olor a gas"},
    {"gas_leak", "fuga de gas"},
    {"gas_leak", "escape de gas"},
    /* water */
    {"flooding", "flood*"},
    {"flooding", "burst pipe"},
    {"flooding", "pipe burst"},
    {"flooding", "pipe* burst"},
    {"flooding", "broken pipe"},
    {"flooding", "water everywhere"},
    {"flooding", "water pouring"},
    {"flooding", "water is pouring"},
    {"flooding", "gushing"},
    {"flooding", "inundand*"},
    {"flooding", "inundad*"},
    {"flooding", "inundacion"},
    {"flooding", "se reviento"},
    {"flooding", "tubo roto"},
    {"flooding", "tuberia rota"},
    {"flooding", "agua por todas partes"},
    {"flooding", "mucha agua"},
    /* heat */
    {"no_heat_cold", "no heat * freez*"},
    {"no_heat_cold", "heat * out * freez*"},
    /* electrical */
    {"electrical_hazard", "spark*"},
    {"electrical_hazard", "burning smell"},
    {"electrical_hazard", "smell* burning"},
    {"electrical_hazard", "smoke"},
    {"electrical_hazard", "smoking"},
    {"electrical_hazard", "electrical fire"},
    {"electrical_hazard", "chispa*"},
    {"electrical_hazard", "huele a quemado"},
    {"electrical_hazard", "olor a quemado"},
    {"electrical_hazard", "humo"},
    /* sewage */
    {"sewage_backup", "sewage"},
    {"sewage_backup", "sewer back*"},
    {"sewage_backup", "toilet overflow*"},
    {"sewage_backup", "aguas negras"},
    {"sewage_backup", "drenaje tapado"},
    {"sewage_backup", "se regresa el drenaje"},
    /* carbon monoxide */
    {"carbon_monoxide", "carbon monoxide"},
    {"carbon_monoxide", "co alarm"},
    {"carbon_monoxide", "co detector"},
    {"carbon_monoxide", "monoxido"},
    /* no water */
    {"no_water", "no water at all"},
    {"no_water", "sin agua"},
    {"no_water", "no tengo agua"},
    {"no_water", "no hay agua"},
    {NULL, NULL}};

/* "No heat" is an emergency in freezing weather, or when the caller says so. */
static const char *const no_heat[] = {"no heat",
                                      "heat * out",
                                      "heat isnt working",
                                      "furnace * out",
                                      "furnace stopped",
                                      "furnace isnt working",
                                      "no tengo calefaccion",
                                      "sin calefaccion",
                                      "no hay calefaccion",
                                      "calefaccion no funciona",
                                      NULL};
static const char *const cold_cues[] = {"freez*",     "below zero", "baby",    "elderly",
                                        "frozen",     "helad*",     "heland*", "congel*",
                                        "mucho frio", "bebe",       NULL};

static const char *const negators[] = {"no",    "not",     "dont",    "doesnt",  "isnt",  "arent",
                                       "wasnt", "never",   "nothing", "without", "nunca", "nada",
                                       "ni",    "tampoco", "ningun",  "ninguna", NULL};

/* Talk of the past or of a quote, not of a live emergency. */
static const char *const distance_cues[] = {"last year",
                                            "last month",
                                            "last week",
                                            "years ago",
                                            "a while ago",
                                            "how much would",
                                            "how much does",
                                            "how much is",
                                            "el ano pasado",
                                            "hace anos",
                                            "cuanto cuesta",
                                            "prevent*",
                                            "waterproof*",
                                            "inspection",
                                            "tune up",
                                            "maintenance",
                                            NULL};

static int negated(const apr_array_header_t *words, int at)
{
    const char *const *w = (const char *const *)words->elts;

    for (int i = at - 1; i >= 0 && i >= at - NEGATION_WINDOW; i--) {
        if (strcmp(w[i], ".") == 0) {
            return 0; /* another clause: "no. it's flooding" */
        }
        for (int n = 0; negators[n]; n++) {
            if (strcmp(w[i], negators[n]) == 0) {
                return 1;
            }
        }
    }
    /* "nothing is leaking" / "ya no": the negator just before, handled above;
     * "no longer flooding" likewise. */
    return 0;
}

/* Phrases with a '*' word standing alone match any single word there. */
static int find_phrase(const apr_array_header_t *words, const char *phrase, int from)
{
    if (strstr(phrase, " * ") == NULL) {
        return ctn_text_find(words, phrase, from);
    }
    /* "no heat * freez*": the two halves within six words, in order. */
    {
        const char *star = strstr(phrase, " * ");
        apr_size_t n = (apr_size_t)(star - phrase);
        char first[64], second[64];
        int a, b;
        if (n >= sizeof(first) || strlen(star + 3) >= sizeof(second)) {
            return -1;
        }
        memcpy(first, phrase, n);
        first[n] = '\0';
        strcpy(second, star + 3);
        a = ctn_text_find(words, first, from);
        if (a < 0) {
            return -1;
        }
        b = find_phrase(words, second, a + 1);
        return b >= 0 && b - a <= 6 ? a : -1;
    }
}

static int match_rule(const apr_array_header_t *words, const char *phrase)
{
    for (int at = find_phrase(words, phrase, 0); at >= 0; at = find_phrase(words, phrase, at + 1)) {
        /* Rules that begin with a negator ("no heat", "no hay agua") carry
         * their own negation: look before it. */
        if (!negated(words, at)) {
            return 1;
        }
    }
    return 0;
}

static int any(const apr_array_header_t *words, const char *const *phrases)
{
    for (int i = 0; phrases[i]; i++) {
        if (find_phrase(words, phrases[i], 0) >= 0) {
            return 1;
        }
    }
    return 0;
}

int ctn_emergency_detect(apr_pool_t *pool, const char *text, const apr_array_header_t *extra,
                         int freezing, ctn_emergency_match_t *out)
{
    apr_array_header_t *words;

    if (text == NULL || *text == '\0') {
        return 0;
    }
    words = ctn_text_words(pool, ctn_text_normalize(pool, text));
    if (any(words, distance_cues)) {
        return 0;
    }
    for (int i = 0; extra && i < extra->nelts; i++) {
        const ctn_emergency_rule_t *r = &APR_ARRAY_IDX(extra, i, ctn_emergency_rule_t);
        if (match_rule(words, r->phrase)) {
            out->category = r->category;
            out->phrase = r->phrase;
            return 1;
        }
    }
    for (int i = 0; builtin_rules[i].phrase; i++) {
        if (match_rule(words, builtin_rules[i].phrase)) {
            out->category = strcmp(builtin_rules[i].category, "no_heat_cold") == 0
                                ? "no_heat"
                                : builtin_rules[i].category;
            out->phrase = builtin_rules[i].phrase;
            return 1;
        }
    }
    for (int i = 0; no_heat[i]; i++) {
        if (match_rule(words, no_heat[i]) && (freezing || any(words, cold_cues))) {
            out->category = "no_heat";
            out->phrase = no_heat[i];
            return 1;
        }
    }
    return 0;
}

apr_status_t ctn_emergency_rules_from_json(apr_array_header_t **rules, apr_pool_t *pool,
                                           json_object *array, const char **why)
{
    apr_array_header_t *out = apr_array_make(pool, 4, sizeof(ctn_emergency_rule_t));

    if (array != NULL && !json_object_is_type(array, json_type_array)) {
        *why = "emergency_rules must be an array";
        return APR_EINVAL;
    }
    for (size_t i = 0; array && i < json_object_array_length(array); i++) {
        json_object *item = json_object_array_get_idx(array, i), *phrase = NULL, *cat = NULL;
        ctn_emergency_rule_t *rule;
        if (!json_object_is_type(item, json_type_object) ||
            !json_object_object_get_ex(item, "phrase", &phrase) ||
            !json_object_is_type(phrase, json_type_string) ||
            json_object_get_string_len(phrase) == 0) {
            *why = apr_psprintf(
                pool, "emergency_rules[%" APR_SIZE_T_FMT "].phrase must be a non-empty string",
                (apr_size_t)i);
            return APR_EINVAL;
        }
        rule = apr_array_push(out);
        rule->phrase = ctn_text_normalize(pool, json_object_get_string(phrase));
        rule->category = json_object_object_get_ex(item, "category", &cat) &&
                                 json_object_is_type(cat, json_type_string)
                             ? apr_pstrdup(pool, json_object_get_string(cat))
                             : "custom";
    }
    *rules = out;
    return APR_SUCCESS;
}
