/* text.c: normalisation and phrase matching (see text.h).
 *
 * The normaliser decodes UTF-8 strictly (overlong forms, surrogates and
 * stray continuation bytes are invalid and dropped one byte at a time) and
 * classifies each character: a letter or digit to write (folded to ASCII),
 * an apostrophe (joins), a clause mark, a separator, or nothing at all
 * (combining accents, so decomposed "e\u0301" folds like "é"). Separators
 * and marks are kept pending and only written before the next letter,
 * which is what collapses runs and trims both ends. */
#include "text.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <string.h>

/* U+00C0..U+00FF folded to ASCII; ' ' for × and ÷, which separate. */
static const char latin1_fold[64] = "aaaaaaaceeeeiiiidnooooo ouuuuyts"  /* C0..DF */
                                    "aaaaaaaceeeeiiiidnooooo ouuuuyty"; /* E0..FF */

/* U+0100..U+017F (Latin Extended-A: Polish, Czech, Turkish… names) folded. */
static const char latin_ext_a_fold[128] = "aaaaaa"     /* 0100 Ā ā Ă ă Ą ą */
                                          "cccccccc"   /* 0106 Ć ć Ĉ ĉ Ċ ċ Č č */
                                          "dddd"       /* 010E Ď ď Đ đ */
                                          "eeeeeeeeee" /* 0112 Ē ē Ĕ ĕ Ė ė Ę ę Ě ě */
                                          "gggggggg"   /* 011C Ĝ ĝ Ğ ğ Ġ ġ Ģ ģ */
                                          "hhhh"       /* 0124 Ĥ ĥ Ħ ħ */
                                          "iiiiiiiiii" /* 0128 Ĩ ĩ Ī ī Ĭ ĭ Į į İ ı */
                                          "ii"         /* 0132 Ĳ ĳ */
                                          "jj"         /* 0134 Ĵ ĵ */
                                          "kkk"        /* 0136 Ķ ķ ĸ */
                                          "llllllllll" /* 0139 Ĺ ĺ Ļ ļ Ľ ľ Ŀ ŀ Ł ł */
                                          "nnnnnnnnn"  /* 0143 Ń ń Ņ ņ Ň ň ŉ Ŋ ŋ */
                                          "oooooo"     /* 014C Ō ō Ŏ ŏ Ő ő */
                                          "oo"         /* 0152 Œ œ */
                                          "rrrrrr"     /* 0154 Ŕ ŕ Ŗ ŗ Ř ř */
                                          "ssssssss"   /* 015A Ś ś Ŝ ŝ Ş ş Š š */
                                          "tttttt"     /* 0162 Ţ ţ Ť ť Ŧ ŧ */
                                          "uuuuuuuuuuuu" /* 0168 Ũ ũ Ū ū Ŭ ŭ Ů ů Ű ű Ų ų */
                                          "ww"           /* 0174 Ŵ ŵ */
                                          "yyy"          /* 0176 Ŷ ŷ Ÿ */
                                          "zzzzzz"       /* 0179 Ź ź Ż ż Ž ž */
                                          "s";           /* 017F ſ */

typedef enum {
    CH_LETTER, /* write `letter` */
    CH_APOS,   /* join the words on both sides */
    CH_CLAUSE, /* clause boundary */
    CH_NUMSEP, /* . , : — a boundary, but only a space between two digits ("8:30") */
    CH_SPACE,  /* separates words */
    CH_NONE    /* writes nothing (combining marks) */
} ch_class_e;

/* Length of the valid UTF-8 sequence at `s` and its code point, or 0 when
 * the byte at `s` does not start one (RFC 3629 table of well-formed
 * sequences). */
static int utf8_decode(const unsigned char *s, unsigned long *cp)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xBF;
    int n;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        *cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        *cp = c & 0x0F;
        lo = c == 0xE0 ? 0xA0 : 0x80; /* no overlong forms */
        hi = c == 0xED ? 0x9F : 0xBF; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        *cp = c & 0x07;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (s[1] < lo || s[1] > hi) {
        return 0;
    }
    *cp = (*cp << 6) | (s[1] & 0x3F);
    for (int i = 2; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    return n;
}

static ch_class_e classify(unsigned long cp, char *letter)
{
    if (cp < 0x80) {
        if (apr_isalnum((int)cp)) {
            *letter = (char)apr_tolower((int)cp);
            return CH_LETTER;
        }
        switch (cp) {
        case '\'':
        case '`':
            return CH_APOS;
        case '.':
        case ',':
        case ':':
            return CH_NUMSEP;
        case ';':
        case '!':
        case '?':
            return CH_CLAUSE;
        default:
            return CH_SPACE;
        }
    }
    if (cp == 0xA1 || cp == 0xBF || cp == 0x2026) { /* ¡ ¿ … */
        return CH_CLAUSE;
    }
    if (cp == 0xB4 || cp == 0x2018 || cp == 0x2019 || cp == 0x02BC) { /* ´ ‘ ’ ʼ */
        return CH_APOS;
    }
    if (cp >= 0xC0 && cp <= 0xFF) {
        *letter = latin1_fold[cp - 0xC0];
        return *letter == ' ' ? CH_SPACE : CH_LETTER;
    }
    if (cp >= 0x100 && cp <= 0x17F) {
        *letter = latin_ext_a_fold[cp - 0x100];
        return CH_LETTER;
    }
    if (cp >= 0x300 && cp <= 0x36F) {
        return CH_NONE;
    }
    return CH_SPACE;
}

/* The writer: separators wait in `pending_*` until a letter follows. */
typedef struct {
    char *buf;
    apr_size_t cap; /* bytes available for text, without the NUL */
    apr_size_t len;
    apr_size_t word_start; /* where the current word's separator begins */
    int pending_space, pending_mark, in_word, full;
} writer_t;

static void put_letter(writer_t *w, char c)
{
    const char *sep = "";
    apr_size_t n;

    if (!w->in_word) {
        w->word_start = w->len;
        if (w->len > 0) {
            sep = w->pending_mark ? " . " : " "; /* after a space or a mark */
        }
        w->pending_space = w->pending_mark = 0;
    }
    n = strlen(sep);
    if (w->len + n + 1 > w->cap) {
        w->len = w->word_start; /* cut after the last whole word */
        w->full = 1;
        return;
    }
    memcpy(w->buf + w->len, sep, n);
    w->len += n;
    w->buf[w->len++] = c;
    w->in_word = 1;
}

apr_size_t ctn_text_normalize_into(char *buf, apr_size_t size, const char *utf8)
{
    const unsigned char *s = (const unsigned char *)(utf8 ? utf8 : "");
    writer_t w;

    memset(&w, 0, sizeof(w));
    w.buf = buf;
    w.cap = size > 0 ? size - 1 : 0;
    while (*s && !w.full) {
        unsigned long cp = 0;
        char letter = 0;
        int n = utf8_decode(s, &cp);
        ch_class_e cls;

        if (n == 0) {
            s++; /* an invalid byte: dropped, as if absent */
            continue;
        }
        cls = classify(cp, &letter);
        if (cls == CH_NUMSEP) {
            /* "8:30", "1,200", "3.5": a number, not two clauses. */
            int between_digits =
                w.in_word && w.len > 0 && apr_isdigit(w.buf[w.len - 1]) && apr_isdigit(s[n]);
            cls = between_digits ? CH_SPACE : CH_CLAUSE;
        }
        switch (cls) {
        case CH_LETTER:
            put_letter(&w, letter);
            break;
        case CH_CLAUSE:
            w.pending_mark = 1;
            w.in_word = 0;
            break;
        case CH_SPACE:
            w.pending_space = 1;
            w.in_word = 0;
            break;
        case CH_APOS:
        case CH_NONE:
        case CH_NUMSEP:
            break;
        }
        s += n;
    }
    if (size > 0) {
        buf[w.len] = '\0';
    }
    return w.len;
}

const char *ctn_text_normalize(apr_pool_t *pool, const char *utf8)
{
    /* A letter takes at least one input byte and adds at most " . " before
     * itself: four output bytes per input byte always fit. */
    apr_size_t size = 4 * (utf8 ? strlen(utf8) : 0) + 1;
    char *out = apr_palloc(pool, size);

    ctn_text_normalize_into(out, size, utf8);
    return out;
}

apr_array_header_t *ctn_text_words(apr_pool_t *pool, const char *normalized)
{
    apr_array_header_t *words = apr_array_make(pool, 16, sizeof(const char *));
    char *copy = apr_pstrdup(pool, normalized ? normalized : ""), *state = NULL;

    for (char *w = apr_strtok(copy, " ", &state); w; w = apr_strtok(NULL, " ", &state)) {
        APR_ARRAY_PUSH(words, const char *) = w;
    }
    return words;
}

/* Whether `word` matches the pattern word `pattern` of `plen` bytes. */
static int word_matches(const char *word, const char *pattern, apr_size_t plen)
{
    if (word[0] == CTN_TEXT_CLAUSE[0] && word[1] == '\0') { /* the word CTN_TEXT_CLAUSE */
        return plen == 1 && pattern[0] == '.';
    }
    if (plen > 0 && pattern[plen - 1] == '*') {
        return strncmp(word, pattern, plen - 1) == 0;
    }
    return strlen(word) == plen && strncmp(word, pattern, plen) == 0;
}

int ctn_text_find(const apr_array_header_t *words, const char *phrase, int from)
{
    const char *const *w;

    if (words == NULL || phrase == NULL || *phrase == '\0') {
        return -1;
    }
    w = (const char *const *)words->elts;
    for (int i = from < 0 ? 0 : from; i < words->nelts; i++) {
        const char *p = phrase;
        int j = i;
        while (*p && j < words->nelts) {
            apr_size_t plen;
            /* Most phrases fail on their first letter: no word can match a
             * pattern that starts with another letter, except "*" (any
             * word). The clause word "." only matches the pattern ".". */
            if (*p != '*' && *p != ' ' && w[j][0] != *p) {
                break;
            }
            plen = strcspn(p, " ");
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

int ctn_text_has_phrase(const apr_array_header_t *words, const char *phrase, int *at)
{
    int i = ctn_text_find(words, phrase, 0);

    if (i >= 0 && at != NULL) {
        *at = i;
    }
    return i >= 0;
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

const char *ctn_text_prefix(apr_pool_t *pool, const char *utf8, apr_size_t max)
{
    apr_size_t n = utf8 ? strlen(utf8) : 0;

    if (n <= max) {
        return apr_pstrdup(pool, utf8 ? utf8 : "");
    }
    while (max > 0 && ((unsigned char)utf8[max] & 0xC0) == 0x80) {
        max--; /* utf8[max] continues a character: cut before that character */
    }
    return apr_pstrcat(pool, apr_pstrmemdup(pool, utf8, max), "\xE2\x80\xA6", NULL);
}
