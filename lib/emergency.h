/* emergency.h: the emergency rules, English and Spanish, with negation.
 *
 * The referee of both engines: a caller line that matches a rule always
 * dispatches the on-call technician, whatever a model says. A rule is a
 * phrase over normalised words (lib/text.h: "smell* gas", "se revento",
 * "agua por todas partes"); the rules of both languages are always checked,
 * because callers mix them. A match does not count when, in its clause
 * (clauses end at punctuation and at "but", "pero", "and", "y", "because",
 * "porque"…):
 *   - a negator comes at most a few words before it: "I don't smell gas",
 *     "there's no gas smell", "nothing is leaking", "no huele a gas",
 *     "ya no sale agua". Rules that begin with a negator ("no heat", "no
 *     tengo calefacción") carry their own and are not cancelled by another
 *     ("we ain't got no heat" is a double negative, not a denial);
 *   - a word saying it is over follows it: "the gas smell is gone",
 *     "flooding stopped", "ya se arregló";
 *   - a cue puts it in the past, in a hypothesis or in a quote: "last year",
 *     "el año pasado", "how much does it cost", "cuánto cuesta", "to
 *     prevent", "install" — unless the same clause says it is happening
 *     "right now" / "ahorita". A cue in another clause does not suppress:
 *     "I smell gas, how much is a visit?" is an emergency.
 * Some rules need a second cue anywhere in the utterance: no heat needs
 * freezing weather (the caller's words, or the business's `freezing` flag)
 * or someone vulnerable (a baby, an elderly parent); a lockout needs a child
 * and "inside". Businesses add phrases in settings.emergency_rules.
 * Everything here may be called from any thread. */
#ifndef CTN_EMERGENCY_H
#define CTN_EMERGENCY_H

#include "language.h"

#include <apr_pools.h>
#include <apr_tables.h>
#include <json-c/json.h>

typedef enum {
    CTN_EMERGENCY_GAS_LEAK = 0,
    CTN_EMERGENCY_FLOODING,
    CTN_EMERGENCY_NO_HEAT,
    CTN_EMERGENCY_ELECTRICAL_HAZARD,
    CTN_EMERGENCY_SEWAGE_BACKUP,
    CTN_EMERGENCY_CARBON_MONOXIDE,
    CTN_EMERGENCY_NO_WATER,
    CTN_EMERGENCY_LOCKOUT_DANGER,
    CTN_EMERGENCY_CUSTOM,
    CTN_EMERGENCY_CATEGORIES /* how many there are; not a category */
} ctn_emergency_category_e;

typedef struct ctn_emergency_rule_t {
    const char *category; /* a category name: "gas_leak", "flooding", …, "custom" */
    const char *lang;     /* "en", "es", or NULL for both (informative: all rules apply) */
    const char *phrase;   /* normalised words; a trailing '*' on a word matches a prefix */
} ctn_emergency_rule_t;

typedef struct ctn_emergency_match_t {
    ctn_emergency_category_e kind;
    const char *category; /* the name of `kind` (static string) */
    const char *phrase;   /* the phrase of the rule that matched */
    const char *lang;     /* the rule's language: "en", "es" or NULL */
} ctn_emergency_match_t;

/* "gas_leak", "flooding", "no_heat", "electrical_hazard", "sewage_backup",
 * "carbon_monoxide", "no_water", "lockout_danger", "custom" (static
 * strings); "custom" for a value out of range. */
const char *ctn_emergency_category_name(ctn_emergency_category_e kind);

/* The category named `name` in words of `lang`, for texts people read
 * ("gas leak", "fuga de gas"); a name that is no category is returned as
 * it is, NULL as NULL. Static (or `name`). */
const char *ctn_emergency_category_say(const char *name, ctn_lang_e lang);

/* The category named `name`; 0 when it names none (then `*kind` is left). */
int ctn_emergency_category_from_name(const char *name, ctn_emergency_category_e *kind);

/* The built-in rules, in the order they are tried (most dangerous first):
 * rule `i`, or NULL when i >= their number. Static; for tests, speech
 * hints and the admin UI. */
const ctn_emergency_rule_t *ctn_emergency_builtin_rule(apr_size_t i);

/* A business's extra rules from settings.emergency_rules: NULL or an array
 * of {"phrase": "...", "category": "...", "language": "en"|"es"|null};
 * category and language may be left out ("custom", both languages). The
 * phrase is normalised like speech, keeping a trailing '*'. On success
 * `*rules` is an array of ctn_emergency_rule_t in `pool` (empty for NULL).
 * On APR_EINVAL `*why` (pool string) names the field at fault
 * ("emergency_rules[2].category must be one of ..."). Any thread. */
apr_status_t ctn_emergency_rules_from_json(apr_array_header_t **rules, apr_pool_t *pool,
                                           json_object *array, const char **why);

/* 1 and `*out` filled when `text` (a caller utterance, UTF-8) describes an
 * emergency; 0 otherwise (NULL or empty text included). Built-in rules are
 * tried before `extra` (the business's, may be NULL). `freezing` says it is
 * freezing outside: then no heat alone is an emergency. Scratch memory
 * comes from `pool`; `out` points to static strings or to `extra`'s. */
int ctn_emergency_detect(apr_pool_t *pool, const char *text, const apr_array_header_t *extra,
                         int freezing, ctn_emergency_match_t *out);

#endif
