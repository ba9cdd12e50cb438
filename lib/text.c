/* text.c: normalisation and phrase matching (see text.h). */
#include "text.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <string.h>

/* Latin-1 supplement letters (U+00C0..U+00FF) folded to ASCII; 0 = drop. */
static const char latin1_fold[64] = "aaaaaaaceeeeiiiidnooooo ouuuuyts"  /* C0..DF */
                                    "aaaaaaaceeeeiiiidnooooo ouuuuyty"; /* E0..FF */

const char *ctn_text_normalize(apr_pool_t *pool, const char *utf8)
{
    apr_size_t len = utf8 ? strlen(utf8) : 0;
    char *out = apr_palloc(pool, 3 * len + 1), *o = out;
    const unsigned char *s = (const unsigned char *)(utf8 ? utf8 : "");
    int space = 1;

#define PUT(c)                                                                                     \
    do {                                                                                           \
        char c_ = (c);                                                                             \
        if (c_ == ' ') {                                                                           \
            if (!space) {                                                                          \
                *o++ = ' ';                                                                        \
                space = 1;                                                                         \
            }                                                                                      \
        } else {                                                                                   \
            *o++ = c_;                                                                             \
            space = 0;                                                                             \
        }                                                                                          \
    } while (0)

    while (*s) {
        unsigned char c = *s;
        if (c < 0x80) {
            if (apr_isalnum(c) || c == '\'') {
                if (c != '\'') {
                    PUT((char)apr_tolower(c));
                }
            } else if (c == '.' || c == ',' || c == ';' || c == '!' || c == '?' || c == ':') {
                PUT(' ');
                PUT('.');
                PUT(' ');
            } else {
                PUT(' ');
            }
            s++;
        } else if (c == 0xC3 && s[1] >= 0x80 && s[1] <= 0xBF) {
            char f = latin1_fold[(s[1] + 0x40) - 0xC0];
            PUT(f == ' ' ? ' ' : f);
            s += 2;
        } else if (c == 0xC2 && s[1] >= 0x80 && s[1] <= 0xBF) {
            /* ¿ ¡ and other symbols: clause boundaries or spaces. */
            if (s[1] == 0xBF || s[1] == 0xA1) {
                PUT(' ');
                PUT('.');
                PUT(' ');
            } else {
                PUT(' ');
            }
            s += 2;
        } else {
            /* Other multi-byte characters: skip the sequence. */
            s++;
            while ((*s & 0xC0) == 0x80) {
                s++;
            }
            PUT(' ');
        }
    }
#undef PUT
    while (o > out && o[-1] == ' ') {
        o--;
    }
    *o = '\0';
    return out;
}

apr_array_header_t *ctn_text_words(apr_pool_t *pool, const char *normalized)
{
    apr_array_header_t *words = apr_array_make(pool, 16, sizeof(const char *));
    char *copy = apr_pstrdup(pool, normalized), *state = NULL;

    for (char *w = apr_strtok(copy, " ", &state); w; w = apr_strtok(NULL, " ", &state)) {
        APR_ARRAY_PUSH(words, const char *) = w;
    }
    return words;
}

static int word_matches(const char *word, const char *pattern, apr_size_t plen)
{
    if (plen > 0 && pattern[plen - 1] == '*') {
        return strncmp(word, pattern, plen - 1) == 0;
    }
    return strlen(word) == plen && strncmp(word, pattern, plen) == 0;
}

int ctn_text_find(const apr_array_header_t *words, const char *phrase, int from)
{
    const char *const *w = (const char *const *)words->elts;

    for (int i = from < 0 ? 0 : from; i < words->nelts; i++) {
        const char *p = phrase;
        int j = i;
        while (*p && j < words->nelts) {
            apr_size_t plen = strcspn(p, " ");
            if (!word_matches(w[j], p, plen)) {
                break;
            }
            p += plen;
            while (*p == ' ') {
                p++;
            }
            j++;
        }
        if (*p == '\0') {
            return i;
        }
    }
    return -1;
}

const char *ctn_text_title_case(apr_pool_t *pool, const char *s)
{
    char *out = apr_pstrdup(pool, s);
    int start = 1;

    for (char *c = out; *c; c++) {
        *c = start ? (char)apr_toupper(*c) : *c;
        start = (*c == ' ' || *c == '-');
    }
    return out;
}
