/* text.h: normalising what callers say for the rule-based engine.
 *
 * Twilio's speech recognition returns UTF-8 text in any case, with or
 * without accents and punctuation. The rules of lib/language.c,
 * lib/emergency.c, lib/intent.c and lib/slots.c match words of one
 * normalised form: lower case ASCII letters and digits, Spanish and other
 * Latin accents folded ("sótano" → "sotano", "Ñ" → "n"), apostrophes
 * joined ("don't" → "dont", so contractions stay one word), other
 * punctuation turned into spaces, single spaces, no leading or trailing
 * space. Sentence punctuation (. , ; : ! ? ¿ ¡ …) is not simply erased: it
 * becomes the word "." (CTN_TEXT_CLAUSE), because clause boundaries carry
 * meaning the rules need ("no. it's flooding" is not a negated flood).
 * Marks are never doubled and never lead or trail. All functions here are
 * pure and may be called from any thread. */
#ifndef CTN_TEXT_H
#define CTN_TEXT_H

#include <apr_pools.h>
#include <apr_tables.h>

/* The word that stands for a clause boundary in normalised text. */
#define CTN_TEXT_CLAUSE "."

/* The normalised form of `utf8` (NULL reads as ""), allocated in `pool`.
 * Invalid UTF-8 bytes are dropped; characters outside Latin scripts
 * separate words. */
const char *ctn_text_normalize(apr_pool_t *pool, const char *utf8);

/* The same into a caller's buffer of `size` bytes (size > 0): when the
 * result does not fit it is cut after the last whole word that does.
 * Returns the length written (without the NUL). For callers that want no
 * allocation (per-utterance scoring). */
apr_size_t ctn_text_normalize_into(char *buf, apr_size_t size, const char *utf8);

/* The words of a normalised text (array of const char *, in `pool`);
 * clause boundaries appear as the word CTN_TEXT_CLAUSE. */
apr_array_header_t *ctn_text_words(apr_pool_t *pool, const char *normalized);

/* Whether `phrase` occurs in `words` on word boundaries; when it does and
 * `at` is not NULL, `*at` is the index of its first word (first
 * occurrence). `phrase` is normalised words separated by single spaces; a
 * word ending in '*' matches any word with that prefix ("leak*" matches
 * leak, leaks, leaking), a bare "*" matches any one word. No pattern word
 * but "." itself matches a clause boundary, so phrases never span clauses. */
int ctn_text_has_phrase(const apr_array_header_t *words, const char *phrase, int *at);

/* Index of the first occurrence of `phrase` (as above) at or after word
 * `from`; -1 when absent. */
int ctn_text_find(const apr_array_header_t *words, const char *phrase, int from);

/* At most `max` bytes of `utf8` (NULL reads as ""), cut before a character
 * that would not fit whole, with "…" appended when anything was cut; in
 * `pool`. For quoting what a caller said in a summary or a text. */
const char *ctn_text_prefix(apr_pool_t *pool, const char *utf8, apr_size_t max);

/* Capitalise each word of a name ("maria lopez" → "Maria Lopez"), in `pool`. */
const char *ctn_text_title_case(apr_pool_t *pool, const char *s);

#endif
