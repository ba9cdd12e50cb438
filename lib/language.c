/* language.c: English/Spanish detection with hysteresis (see language.h).
 *
 * The word lists hold normalised words (lib/text.h): function words first,
 * then the words callers of home-service businesses use most. A word that
 * is common in both languages' calls is left out of both ("no", "me", "a",
 * "he", "son", "solo", "gas", "taco", "okay", "bye", "hello"): a Spanish
 * speaker says "okay" and "bye" as often as an English speaker does. */
#include "language.h"

#include "text.h"

#include <apr_lib.h>
#include <string.h>

/* Utterances are weighed on their first this many bytes of normalised text. */
#define WEIGH_BYTES 2048

static const char *const english[] = {
    /* function words */
    "the", "an", "i", "my", "mine", "is", "are", "was", "were", "be", "been", "being", "it", "its",
    "im", "ive", "ill", "id", "you", "your", "youre", "we", "our", "they", "their", "them", "she",
    "her", "his", "him", "us", "to", "of", "and", "in", "on", "at", "for", "with", "from", "about",
    "into", "over", "up", "out", "down", "off", "have", "had", "need", "want", "would", "like",
    "can", "could", "should", "will", "do", "does", "did", "dont", "doesnt", "didnt", "isnt",
    "arent", "wasnt", "cant", "wont", "not", "this", "that", "these", "those", "there", "theres",
    "thats", "whats", "what", "when", "where", "how", "why", "who", "which", "much", "many", "some",
    "any", "just", "but", "or", "if", "because", "also", "too", "again", "still", "all", "every",
    "something", "nothing", "anything", "am", "get", "got", "come", "send",
    /* answers and courtesy */
    "yes", "yeah", "yep", "please", "thank", "thanks", "hi", "hey", "sure", "right", "sorry",
    /* time */
    "morning", "afternoon", "evening", "today", "tomorrow", "tonight", "yesterday", "now", "week",
    "next", "soon", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    /* the trade */
    "water", "leak", "leaking", "leaks", "heater", "heat", "heating", "smell", "basement",
    "flooding", "flooded", "kitchen", "bathroom", "toilet", "sink", "pipe", "pipes", "furnace",
    "broken", "fix", "repair", "appointment", "book", "schedule", "someone", "somebody", "call",
    "back", "here", "house", "home", "price", "cost", "hours", "open", "name", "address", "street",
    "number", "phone", "works", "work", "working", "good", "great", "fine", "really", "very",
    "problem", "help", "know", "think", "maybe", "available", "going", "coming", "hot", "cold",
    NULL};

static const char *const spanish[] = {
    /* function words */
    "el", "la", "los", "las", "un", "una", "unos", "unas", "mi", "mis", "tu", "su", "sus", "es",
    "esta", "estan", "estoy", "estamos", "soy", "ser", "fue", "era", "hay", "yo", "tengo", "tiene",
    "tienen", "tenemos", "usted", "ustedes", "que", "de", "del", "y", "o", "en", "con", "para",
    "por", "se", "lo", "le", "les", "nos", "si", "como", "cuanto", "cuanta", "cuando", "donde",
    "quien", "cual", "porque", "pero", "muy", "mucho", "mucha", "muchas", "muchos", "ya", "tan",
    "mas", "menos", "otro", "otra", "todo", "toda", "todos", "nada", "algo", "eso", "este", "esto",
    "ese", "esa", "aqui", "alla", "tambien", "pues", "entonces", "sin", "ni", "al",
    /* verbs callers use */
    "quiero", "quisiera", "necesito", "necesita", "necesitamos", "puede", "pueden", "puedo",
    "podria", "hace", "hacer", "dice", "quiere", "sale", "saliendo", "sirve", "funciona", "prende",
    "venir", "vengan", "venga", "mandar", "llamo", "llamar", "arreglar", "reparar", "ayudar",
    /* answers and courtesy */
    "hola", "gracias", "buenos", "buenas", "favor", "bueno", "claro", "perfecto", "vale", "listo",
    "adios", "hasta", "luego", "senor", "senora", "oiga", "mire", "disculpe",
    /* time */
    "ahora", "ahorita", "hoy", "manana", "ayer", "semana", "dias", "tardes", "noches", "despues",
    "antes", "lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo",
    /* the trade */
    "casa", "agua", "fuga", "tubo", "tuberia", "calentador", "sotano", "cocina", "bano", "inodoro",
    "drenaje", "lavabo", "regadera", "techo", "piso", "pared", "luz", "calefaccion", "aire", "frio",
    "caliente", "roto", "rota", "inundando", "inundado", "alguien", "cita", "precio", "cuesta",
    "cobran", "horario", "abierto", "nombre", "direccion", "calle", "numero", "telefono", "ayuda",
    "emergencia", "urgente", "problema", "huele", "olor", NULL};

static int in_list(const char *word, const char *const *list)
{
    for (int i = 0; list[i]; i++) {
        /* The first letters first: most words of the list differ there. */
        if (word[0] == list[i][0] && strcmp(word, list[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Spanish spelling the normaliser folds away: á é í ó ú ü ñ (either case)
 * and the inverted marks ¿ ¡. */
static int has_spanish_marks(const char *text)
{
    static const char *const marks[] = {"\xc3\xa1", "\xc3\xa9", "\xc3\xad", "\xc3\xb3", "\xc3\xba",
                                        "\xc3\xbc", "\xc3\xb1", "\xc3\x81", "\xc3\x89", "\xc3\x8d",
                                        "\xc3\x93", "\xc3\x9a", "\xc3\x9c", "\xc3\x91", "\xc2\xbf",
                                        "\xc2\xa1", NULL};

    for (int i = 0; marks[i]; i++) {
        if (strstr(text, marks[i])) {
            return 1;
        }
    }
    return 0;
}

/* An English contraction: a letter, an apostrophe (' or ’), then one of
 * the contraction endings ("don't", "it's", "I'm", "we've", "you're"). */
static int has_contraction(const char *text)
{
    for (const char *p = text; *p; p++) {
        const char *q;
        if (!apr_isalpha(*p)) {
            continue;
        }
        if (p[1] == '\'') {
            q = p + 2;
        } else if (strncmp(p + 1, "\xe2\x80\x99", 3) == 0) {
            q = p + 4;
        } else {
            continue;
        }
        if ((q[0] == 't' || q[0] == 's' || q[0] == 'm' || q[0] == 'd') && !apr_isalpha(q[1])) {
            return 1;
        }
        if ((strncmp(q, "ll", 2) == 0 || strncmp(q, "ve", 2) == 0 || strncmp(q, "re", 2) == 0) &&
            !apr_isalpha(q[2])) {
            return 1;
        }
    }
    return 0;
}

const char *ctn_language_code(ctn_lang_e lang)
{
    return lang == CTN_LANG_ES ? "es" : "en";
}

const char *ctn_language_stt_tag(ctn_lang_e lang)
{
    return lang == CTN_LANG_ES ? "es-US" : "en-US";
}

const char *ctn_language_tag(ctn_lang_e lang)
{
    return ctn_language_stt_tag(lang);
}

ctn_lang_e ctn_language_from_code(const char *code)
{
    return code && (code[0] == 'e' || code[0] == 'E') && (code[1] == 's' || code[1] == 'S') &&
                   (code[2] == '\0' || code[2] == '-' || code[2] == '_')
               ? CTN_LANG_ES
               : CTN_LANG_EN;
}

void ctn_language_weigh(ctn_language_evidence_t *out, const char *text)
{
    char buf[WEIGH_BYTES];
    int en = 0, es = 0, en_points, es_points;

    text = text ? text : "";
    ctn_text_normalize_into(buf, sizeof(buf), text);
    for (char *w = buf; *w;) {
        apr_size_t n = strcspn(w, " ");
        char save = w[n];
        w[n] = '\0';
        {
            int in_en = in_list(w, english), in_es = in_list(w, spanish);
            /* A word of both lists is no evidence (none today; a safeguard
             * for whoever edits the lists). */
            en += in_en && !in_es;
            es += in_es && !in_en;
        }
        w[n] = save;
        w += n;
        while (*w == ' ') {
            w++;
        }
    }
    /* The extras need a listed word beside them: "José" alone, or
     * "O'Brien", is a name, not a language. */
    en_points = en + (en > 0 && has_contraction(text));
    es_points = es + (es > 0 && has_spanish_marks(text));
    if (es_points > en_points) {
        out->lang = CTN_LANG_ES;
        out->margin = es_points - en_points;
        out->words = es;
    } else {
        out->lang = CTN_LANG_EN;
        out->margin = en_points - es_points;
        out->words = out->margin > 0 ? en : 0;
    }
    out->confidence = out->margin / (out->margin + CTN_LANGUAGE_CONFIDENCE_HALF);
}

ctn_lang_e ctn_language_detect_confidence(const char *text, double *confidence)
{
    ctn_language_evidence_t ev;

    ctn_language_weigh(&ev, text);
    if (confidence) {
        *confidence = ev.confidence;
    }
    return ev.lang;
}

ctn_lang_e ctn_language_detect(apr_pool_t *pool, const char *text, int *evidence)
{
    ctn_language_evidence_t ev;

    (void)pool;
    ctn_language_weigh(&ev, text);
    if (evidence) {
        *evidence = ev.margin;
    }
    return ev.lang;
}

void ctn_language_state_init(ctn_language_state_t *st, ctn_lang_e initial)
{
    st->current = initial == CTN_LANG_ES ? CTN_LANG_ES : CTN_LANG_EN;
    st->pending = 0;
}

int ctn_language_observe(ctn_language_state_t *st, apr_pool_t *pool, const char *text)
{
    ctn_language_evidence_t ev;

    (void)pool;
    ctn_language_weigh(&ev, text);
    if (st->pending < 0) {
        st->pending = 0; /* the state may come from stored JSON */
    }
    if (ev.margin == 0) {
        return 0;
    }
    if (ev.lang == st->current) {
        st->pending = 0;
        return 0;
    }
    if (ev.margin >= CTN_LANGUAGE_STRONG_MARGIN || ++st->pending >= CTN_LANGUAGE_WEAK_VOTES) {
        st->current = ev.lang;
        st->pending = 0;
        return 1;
    }
    return 0;
}

int ctn_language_observe_call(ctn_language_state_t *st, const char *text, int first)
{
    ctn_language_evidence_t ev;

    if (ctn_language_observe(st, NULL, text)) {
        return 1;
    }
    if (!first) {
        return 0;
    }
    ctn_language_weigh(&ev, text);
    if (ev.lang != st->current && ev.margin >= CTN_LANGUAGE_FIRST_MARGIN) {
        ctn_language_state_init(st, ev.lang);
        return 1;
    }
    return 0;
}
