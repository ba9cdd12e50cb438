/* language.c: English/Spanish detection with hysteresis (see language.h). */
#include "language.h"

#include "text.h"

#include <string.h>

/* Evidence needed to switch on one utterance: three more words of the other
 * language than of the current one ("se está inundando mi sótano" has five).
 * Weaker evidence (1-2) must come twice in a row. */
#define STRONG_EVIDENCE 3
#define WEAK_REPEATS    2

static const char *const english[] = {
    "the",     "a",         "an",       "i",           "my",    "is",       "are",      "was",
    "it",      "its",       "im",       "you",         "your",  "we",       "our",      "to",
    "of",      "and",       "in",       "on",          "at",    "for",      "with",     "have",
    "has",     "need",      "want",     "would",       "like",  "can",      "could",    "do",
    "does",    "dont",      "doesnt",   "not",         "this",  "that",     "there",    "what",
    "when",    "where",     "how",      "much",        "yes",   "no",       "please",   "thank",
    "thanks",  "hello",     "hi",       "water",       "leak",  "leaking",  "heater",   "smell",
    "gas",     "basement",  "flooding", "appointment", "book",  "schedule", "tomorrow", "today",
    "morning", "afternoon", "open",     "hours",       "price", "cost",     "name",     "address",
    "street",  "call",      "me",       "back",        "is",    "be",       "just",     "some",
    "someone", "get",       "come",     "out",         "about", "sure",     "okay",     "works",
    "good",    "bye",       "goodbye",  "who",         "am",    "will",     "help",     "from",
    "here",    "right",     "now",      NULL};

static const char *const spanish[] = {
    "el",        "la",       "los",      "las",      "un",         "una",    "unos",   "mi",
    "mis",       "es",       "esta",     "estan",    "son",        "yo",     "tengo",  "tiene",
    "usted",     "ustedes",  "que",      "de",       "del",        "y",      "en",     "con",
    "para",      "por",      "se",       "me",       "lo",         "le",     "nos",    "no",
    "si",        "quiero",   "quisiera", "necesito", "puede",      "pueden", "como",   "cuanto",
    "cuanta",    "cuando",   "donde",    "hola",     "gracias",    "buenos", "buenas", "dias",
    "tardes",    "noches",   "agua",     "fuga",     "calentador", "huele",  "olor",   "sotano",
    "inundando", "inundado", "cita",     "manana",   "hoy",        "tarde",  "abren",  "horario",
    "precio",    "cuesta",   "cobran",   "nombre",   "direccion",  "calle",  "llamar", "llamo",
    "favor",     "esta",     "todo",     "bien",     "claro",      "pero",   "muy",    "mas",
    "hay",       "casa",     "ahora",    "alguien",  "venir",      "vengan", "tubo",   "tuberia",
    "reparar",   "arreglar", "adios",    "hasta",    "luego",      "bano",   "cocina", "porque",
    "ya",        "eso",      "este",     "esto",     "vivo",       "soy",    NULL};

static int in_list(const char *word, const char *const *list)
{
    for (int i = 0; list[i]; i++) {
        if (strcmp(word, list[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

const char *ctn_language_code(ctn_lang_e lang)
{
    return lang == CTN_LANG_ES ? "es" : "en";
}

const char *ctn_language_tag(ctn_lang_e lang)
{
    return lang == CTN_LANG_ES ? "es-US" : "en-US";
}

ctn_lang_e ctn_language_from_code(const char *code)
{
    return code && (code[0] == 'e' || code[0] == 'E') && (code[1] == 's' || code[1] == 'S')
               ? CTN_LANG_ES
               : CTN_LANG_EN;
}

ctn_lang_e ctn_language_detect(apr_pool_t *pool, const char *text, int *evidence)
{
    apr_array_header_t *words = ctn_text_words(pool, ctn_text_normalize(pool, text));
    int en = 0, es = 0;

    for (int i = 0; i < words->nelts; i++) {
        const char *w = APR_ARRAY_IDX(words, i, const char *);
        int in_en = in_list(w, english), in_es = in_list(w, spanish);
        /* Words of both lists ("no", "me", "es"…) are no evidence. */
        en += in_en && !in_es;
        es += in_es && !in_en;
    }
    /* Accents and ñ are Spanish evidence the normaliser would erase. */
    if (text &&
        (strstr(text, "\xc3\xb1") || strstr(text, "\xc2\xbf") || strstr(text, "\xc2\xa1") ||
         strstr(text, "\xc3\xa1") || strstr(text, "\xc3\xb3") || strstr(text, "\xc3\xad"))) {
        es++;
    }
    *evidence = en > es ? en - es : es - en;
    return es > en ? CTN_LANG_ES : CTN_LANG_EN;
}

void ctn_language_state_init(ctn_language_state_t *st, ctn_lang_e initial)
{
    st->current = initial;
    st->pending = 0;
}

int ctn_language_observe(ctn_language_state_t *st, apr_pool_t *pool, const char *text)
{
    int evidence = 0;
    ctn_lang_e lang = ctn_language_detect(pool, text, &evidence);

    if (evidence == 0 || lang == st->current) {
        st->pending = 0;
        return 0;
    }
    if (evidence >= STRONG_EVIDENCE || ++st->pending >= WEAK_REPEATS) {
        st->current = lang;
        st->pending = 0;
        return 1;
    }
    return 0;
}
