/* language.h: English or Spanish, per utterance and per call.
 *
 * Each utterance is weighed on the function words and common words of both
 * languages (about 190 each; a word common in both languages' calls, such
 * as "no", "me", "a" or "okay", is in neither list), an accent, ñ, ¿ or ¡
 * as extra evidence for Spanish and an English contraction as extra
 * evidence for English; both extras only count next to a listed word, so a
 * name ("José", "O'Brien") alone is no evidence. The call's language
 * (ctn_language_state_t) switches at once on a whole utterance that is
 * clearly the other language, or on two weaker ones in a row, so that a
 * loanword, a name or a lone "sí" never flips it. The thresholds are the
 * CTN_LANGUAGE_* constants below. Everything here is pure, allocates
 * nothing, and may be called from any thread. */
#ifndef CTN_LANGUAGE_H
#define CTN_LANGUAGE_H

#include <apr_pools.h>

typedef enum { CTN_LANG_EN = 0, CTN_LANG_ES = 1 } ctn_lang_e;

/* An utterance switches the call's language on its own when the other
 * language leads by this many points: "se está inundando mi sótano" leads
 * by 6, "sí, por favor" by 4, "gracias" and "muchas gracias" by 1-2, a
 * lone "sí" by 2 (the word and its accent). 3 is the smallest margin that
 * no one- or two-word courtesy reaches and that a whole sentence of a
 * caller does. The extras add at most one point, so a margin of 3 always
 * takes at least two words of the language: an accent alone never switches. */
#define CTN_LANGUAGE_STRONG_MARGIN 3
/* Weaker utterances pointing to the other language, in a row, that switch:
 * one "gracias" is politeness, "gracias" then "adiós" is a Spanish speaker.
 * Utterances with no evidence (a number, a name, "okay") neither count nor
 * break the row; one pointing to the current language breaks it. */
#define CTN_LANGUAGE_WEAK_VOTES 2
/* Margin that decides a call's first caller utterance: the language the
 * call started in (the greeting's) was only the business's default, so the
 * caller's first words decide on less evidence than a switch in the middle
 * of a call needs — "sí" (2) does, "gracias" (1) alone does not. */
#define CTN_LANGUAGE_FIRST_MARGIN 2
/* Confidence is margin / (margin + this): 0 without evidence, 0.5 at a
 * margin of 2, 0.75 at 6; it only approaches 1. */
#define CTN_LANGUAGE_CONFIDENCE_HALF 2.0

/* The call's language, as plain ints so the dialog state can store it. */
typedef struct ctn_language_state_t {
    ctn_lang_e current;
    int pending; /* weaker utterances in a row that pointed to the other language */
} ctn_language_state_t;

/* What one utterance says about its language. */
typedef struct ctn_language_evidence_t {
    ctn_lang_e lang;   /* the language the evidence points to (English when none) */
    int margin;        /* points of `lang` minus points of the other; 0: no evidence */
    int words;         /* listed words of `lang` in the utterance */
    double confidence; /* 0..1, see CTN_LANGUAGE_CONFIDENCE_HALF */
} ctn_language_evidence_t;

/* "en" / "es" (static strings). */
const char *ctn_language_code(ctn_lang_e lang);
/* The language tag of Twilio's <Gather language> and <Say language>:
 * "en-US" / "es-US" (static strings). */
const char *ctn_language_stt_tag(ctn_lang_e lang);
/* The same as ctn_language_stt_tag (older name, kept for its callers). */
const char *ctn_language_tag(ctn_lang_e lang);
/* "es", "es-MX", "ES", "es_US" → Spanish; anything else, NULL included → English. */
ctn_lang_e ctn_language_from_code(const char *code);

/* Weigh one utterance (UTF-8 as recognised; NULL reads as ""). Utterances
 * longer than about 2 KB are weighed on their first 2 KB. */
void ctn_language_weigh(ctn_language_evidence_t *out, const char *text);

/* The language of one utterance; `*confidence` (may be NULL) is 0..1, 0
 * when there is no evidence ("ok", a number, a name). */
ctn_lang_e ctn_language_detect_confidence(const char *text, double *confidence);

/* The language of one utterance and the strength of the evidence as the
 * margin of ctn_language_weigh (0 when none). `pool` is not used (nothing
 * is allocated); it stays for the callers written against it. */
ctn_lang_e ctn_language_detect(apr_pool_t *pool, const char *text, int *evidence);

/* Start a call in `initial`. */
void ctn_language_state_init(ctn_language_state_t *st, ctn_lang_e initial);

/* Observe one caller utterance; returns 1 when the call's language switched
 * (st->current is then the new one), 0 otherwise. `pool` is not used. */
int ctn_language_observe(ctn_language_state_t *st, apr_pool_t *pool, const char *text);

/* Observe a caller utterance of a call, as both engines do: like
 * ctn_language_observe, except that on the call's first utterance (`first`
 * nonzero) a margin of CTN_LANGUAGE_FIRST_MARGIN switches. Returns 1 when
 * the call's language switched. Pure; any thread. */
int ctn_language_observe_call(ctn_language_state_t *st, const char *text, int first);

#endif
