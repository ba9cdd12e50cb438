/* language.h: English or Spanish, per utterance and per call.
 *
 * Each utterance is scored on function words and common words of both
 * languages. The call's language only switches on a whole utterance that is
 * clearly the other language, or on two weaker ones in a row, so that a
 * loanword or a name ("taco", "José", a lone "sí") never flips it. */
#ifndef CTN_LANGUAGE_H
#define CTN_LANGUAGE_H

#include <apr_pools.h>

typedef enum { CTN_LANG_EN = 0, CTN_LANG_ES = 1 } ctn_lang_e;

typedef struct ctn_language_state_t {
    ctn_lang_e current;
    int pending; /* weak utterances in a row that pointed to the other language */
} ctn_language_state_t;

/* "en" / "es". */
const char *ctn_language_code(ctn_lang_e lang);
/* Twilio's <Say>/<Gather> language: "en-US" / "es-US". */
const char *ctn_language_tag(ctn_lang_e lang);
/* "es", "es-MX", "ES" → Spanish; anything else → English. */
ctn_lang_e ctn_language_from_code(const char *code);

/* The language of one utterance and the strength of the evidence: words of
 * that language minus words of the other (0 when no evidence). */
ctn_lang_e ctn_language_detect(apr_pool_t *pool, const char *text, int *evidence);

void ctn_language_state_init(ctn_language_state_t *st, ctn_lang_e initial);

/* Observe one utterance; returns 1 when the call's language switched. */
int ctn_language_observe(ctn_language_state_t *st, apr_pool_t *pool, const char *text);

#endif
