/* text.h: normalising what callers say for the rule-based engine.
 *
 * Twilio's speech recognition returns UTF-8 text in any case, with or
 * without accents. The rules of lib/language.c, lib/emergency.c and
 * lib/intent.c match words of a normalised form: lower case, Spanish and
 * Latin accents folded to ASCII, punctuation turned into spaces (clause
 * boundaries kept as " . "), single spaces. */
#ifndef CTN_TEXT_H
#define CTN_TEXT_H

#include <apr_pools.h>
#include <apr_tables.h>

/* The normalised form of `utf8` (pool string). Invalid bytes are dropped. */
const char *ctn_text_normalize(apr_pool_t *pool, const char *utf8);

/* The words of a normalised text (array of const char *); clause
 * boundaries appear as the word ".". */
apr_array_header_t *ctn_text_words(apr_pool_t *pool, const char *normalized);

/* Position of `phrase` (normalised words separated by spaces; a word ending
 * in '*' matches any word with that prefix) in `words`, searching from
 * `from`; -1 when absent. */
int ctn_text_find(const apr_array_header_t *words, const char *phrase, int from);

/* Capitalise each word of a name ("maria lopez" → "Maria Lopez"). */
const char *ctn_text_title_case(apr_pool_t *pool, const char *s);

#endif
