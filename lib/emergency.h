/* emergency.h: the emergency rules, English and Spanish, with negation.
 *
 * The referee of both engines: a caller line that matches a rule always
 * dispatches the on-call technician, whatever a model says. Rules are
 * phrases over normalised words (lib/text.h); a rule is cancelled by a
 * negation in the same clause shortly before it ("no, nothing is leaking",
 * "no huele a gas") or by a cue that the caller speaks of the past or of a
 * quote ("last year", "how much would"). Businesses add their own phrases
 * in settings.emergency_rules. */
#ifndef CTN_EMERGENCY_H
#define CTN_EMERGENCY_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <json-c/json.h>

typedef struct ctn_emergency_rule_t {
    const char *category; /* gas_leak, flooding, no_heat, electrical_hazard, … or custom */
    const char *phrase;   /* normalised words; a trailing '*' on a word matches a prefix */
} ctn_emergency_rule_t;

typedef struct ctn_emergency_match_t {
    const char *category;
    const char *phrase;
} ctn_emergency_match_t;

/* A business's extra rules from settings.emergency_rules: an array of
 * {"phrase": "...", "category": "..."} (category optional: "custom"). */
apr_status_t ctn_emergency_rules_from_json(apr_array_header_t **rules, apr_pool_t *pool,
                                           json_object *array, const char **why);

/* 1 and `*out` filled when `text` describes an emergency. `freezing` says
 * it is freezing outside (then "no heat" alone is an emergency). */
int ctn_emergency_detect(apr_pool_t *pool, const char *text, const apr_array_header_t *extra,
                         int freezing, ctn_emergency_match_t *out);

#endif
