/* intent.c: intent cues and their precedence (see intent.h). */
#include "intent.h"

#include "text.h"

#include <string.h>

/* An answer longer than this is not a plain yes or no. */
#define YES_NO_MAX_WORDS 5

static const char *const spam[] = {"recorded message",
                                   "car warranty",
                                   "extended warranty",
                                   "business listing",
                                   "google listing",
                                   "not looking for a plumber",
                                   "this is an automated",
                                   "press 1",
                                   "seo",
                                   "merchant services",
                                   NULL};
/* Someone who dialled the wrong number: no business for us (logged as
 * spam), but a person, told kindly whom they reached. */
static const char *const wrong_number[] = {"wrong number",
                                           "numero equivocado",
                                           "equivoque de numero",
                                           "marque mal",
                                           "misdialed",
                                           "dialed the wrong",
                                           NULL};
static const char *const goodbye[] = {"bye",         "goodbye",      "thats all",   "that is all",
                                      "thats it",    "nothing else", "no thats it", "adios",
                                      "eso es todo", "nada mas",     "hasta luego", NULL};
static const char *const human[] = {"real person",        "a person",           "human",
                                    "representative",     "operator",           "speak to someone",
                                    "talk to someone",    "speak with someone", "the owner",
                                    "a manager",          "una persona",        "el dueno",
                                    "hablar con alguien", "con el encargado",   NULL};
static const char *const message[] = {"leave a message",
                                      "take a message",
                                      "call me back",
                                      "have him call",
                                      "have her call",
                                      "have someone call",
                                      "dejar un mensaje",
                                      "dejarle un mensaje",
                                      "que me llame",
                                      "me devuelva la llamada",
                                      NULL};
static const char *const book[] = {"book",
                                   "schedule",
                                   "appointment",
                                   "come out",
                                   "send someone",
                                   "send a",
                                   "someone to come",
                                   "can you come",
                                   "come fix",
                                   "come look",
                                   "need someone",
                                   "need a plumber",
                                   "need a tech*",
                                   "repair",
                                   "fix",
                                   "install*",
                                   "replace",
                                   "clogged",
                                   "leak*",
                                   "broken",
                                   "not working",
                                   "isnt working",
                                   "stopped working",
                                   "cita",
                                   "agendar",
                                   "programar",
                                   "que vengan",
                                   "que venga",
                                   "pueden venir",
                                   "puede venir",
                                   "van a venir",
                                   "va a venir",
                                   "van a * venir",
                                   "va a * venir",
                                   "manden a alguien",
                                   "mandar a alguien",
                                   "reparar",
                                   "arreglar",
                                   "instalar",
                                   "tapado",
                                   "tapada",
                                   "fuga",
                                   "no funciona",
                                   "se descompuso",
                                   NULL};
static const char *const price[] = {"how much",
                                    "cost",
                                    "price",
                                    "prices",
                                    "pricing",
                                    "charge",
                                    "estimate",
                                    "quote",
                                    "fee",
                                    "rate",
                                    "rates",
                                    "cuanto cuesta",
                                    "cuanto cobran",
                                    "cuanto cobra",
                                    "precio",
                                    "costo",
                                    "cuanto me cobr*",
                                    "cuanto cobrarian",
                                    "cuanto sale",
                                    "cuanto me sale",
                                    "cuanto vale",
                                    "cuanto me cuesta",
                                    "cuanto costaria",
                                    "cuanto me costaria",
                                    NULL};
static const char *const hours[] = {"hours",    "open",          "close",   "closing",  "what time",
                                    "weekend",  "saturday",      "sunday",  "horario",  "abren",
                                    "cierran",  "a que hora",    "abierto", "abiertos", "sabado*",
                                    "domingo*", "fin de semana", NULL};
static const char *const area[] = {
    "service area", "do you service", "do you cover", "come to", "serve",
    "zip",          "area",           "near",         "llegan",  "trabajan en",
    "zona",         "dan servicio",   "servicio en",  "cubren",  NULL};
/* "Do you come out to 60610?" asks where the business goes, though "come
 * out" is a booking cue: the service area, unless the caller also names
 * work or a day ("do you come out to fix water heaters", "… today"). */
static const char *const area_asked[] = {"do you come out to",
                                         "do you * come out to",
                                         "do you come to",
                                         "do you * come to",
                                         "do you go to",
                                         "do you * go to",
                                         "do you go out to",
                                         "do you travel to",
                                         "vienen a",
                                         "vienen hasta",
                                         "van hasta",
                                         "llegan hasta",
                                         NULL};
static const char *const work[] = {"fix",      "repair",    "install*", "replace", "unclog",
                                   "clean*",   "look at",   "check",    "today",   "tonight",
                                   "tomorrow", "right now", "arreglar", "reparar", "instalar",
                                   "destapar", "hoy",       "manana",   NULL};
static const char *const question[] = {"do you",   "can you", "what", "which",   "why",   "how",
                                       "is there", "are you", "does", "tienen",  "hacen", "ofrecen",
                                       "que",      "cual",    "como", "aceptan", NULL};
static const char *const yes[] = {
    "yes",        "yeah",   "yep",        "yup",         "sure",     "correct",   "right",
    "ok",         "okay",   "that works", "sounds good", "perfect",  "please",    "absolutely",
    "definitely", "si",     "claro",      "correcto",    "perfecto", "esta bien", "de acuerdo",
    "por favor",  "eso es", "dale",       "bueno",       NULL};
static const char *const no[] = {"no",         "nope",        "nah",         "not really",
                                 "dont",       "doesnt work", "that doesnt", "negative",
                                 "todavia no", "mejor no",    NULL};

/* A question about when someone arrives: one of each list ("what time
 * will the technician arrive", "¿a qué hora van a llegar?", "cuánto
 * tardan"). */
static const char *const arrival_when[] = {"when",   "what time",  "how long",      "how soon",
                                           "cuando", "a que hora", "cuanto tiempo", "cuanto tard*",
                                           "eta",    NULL};
static const char *const arrival_verb[] = {"arriv*", "get here",   "be here", "show up",   "come",
                                           "coming", "on the way", "eta",     "llega*",    "vienen",
                                           "viene",  "venir",      "tard*",   "en camino", NULL};

static int any(const apr_array_header_t *words, const char *const *cues)
{
    for (int i = 0; cues[i]; i++) {
        if (ctn_text_find(words, cues[i], 0) >= 0) {
            return 1;
        }
    }
    return 0;
}

/* "¿van a Evanston?" asks where the business goes; "van a" before a verb
 * ("¿van a venir hoy?", "van a llamar") is the future tense, not a place. */
static int going_to_a_place(const apr_array_header_t *words)
{
    int at = ctn_text_find(words, "van a", 0);
    const char *next;
    apr_size_t n;

    if (at < 0 || at + 2 >= words->nelts) {
        return 0;
    }
    next = APR_ARRAY_IDX(words, at + 2, const char *);
    n = strlen(next);
    return strcmp(next, CTN_TEXT_CLAUSE) != 0 &&
           !(n > 2 && (strcmp(next + n - 2, "ar") == 0 || strcmp(next + n - 2, "er") == 0 ||
                       strcmp(next + n - 2, "ir") == 0));
}

static int starts_with(const apr_array_header_t *words, const char *const *cues)
{
    for (int i = 0; cues[i]; i++) {
        if (ctn_text_find(words, cues[i], 0) == 0) {
            return 1;
        }
    }
    return 0;
}

const char *ctn_intent_name(ctn_intent_e intent)
{
    static const char *const names[] = {"unknown", "spam",  "goodbye", "human",        "message",
                                        "book",    "price", "hours",   "service_area", "question",
                                        "yes",     "no",    "arrival"};
    return intent <= CTN_INTENT_ARRIVAL ? names[intent] : "unknown";
}

ctn_intent_e ctn_intent_yes_no(apr_pool_t *pool, const char *text)
{
    apr_array_header_t *words = ctn_text_words(pool, ctn_text_normalize(pool, text));
    int content = 0;

    for (int i = 0; i < words->nelts; i++) {
        content += strcmp(APR_ARRAY_IDX(words, i, const char *), ".") != 0;
    }
    if (content == 0) {
        return CTN_INTENT_UNKNOWN;
    }
    /* "no" before "yes": "no, that doesn't work for me" starts with a no. */
    if (starts_with(words, no) ||
        (content <= YES_NO_MAX_WORDS && any(words, no) && !any(words, yes))) {
        return CTN_INTENT_NO;
    }
    if (starts_with(words, yes) || (content <= YES_NO_MAX_WORDS && any(words, yes))) {
        return CTN_INTENT_YES;
    }
    return CTN_INTENT_UNKNOWN;
}

int ctn_intent_wrong_number(apr_pool_t *pool, const char *text)
{
    return any(ctn_text_words(pool, ctn_text_normalize(pool, text)), wrong_number);
}

ctn_intent_e ctn_intent_classify(apr_pool_t *pool, const char *text)
{
    return ctn_intent_classify_arranged(pool, text, 0);
}

ctn_intent_e ctn_intent_classify_arranged(apr_pool_t *pool, const char *text, int arranged)
{
    apr_array_header_t *words = ctn_text_words(pool, ctn_text_normalize(pool, text));

    if (any(words, spam) || any(words, wrong_number)) {
        return CTN_INTENT_SPAM;
    }
    if (any(words, human)) {
        return CTN_INTENT_HUMAN;
    }
    if (any(words, message)) {
        return CTN_INTENT_MESSAGE;
    }
    /* An explicit price question is answered first; the engine then offers
     * to book ("how much to install a water heater?"). */
    if (any(words, price)) {
        return CTN_INTENT_PRICE;
    }
    /* "¿Cuándo llegan?", "when can you get here?": with a visit arranged,
     * when it comes; before one, the caller asks for one (the slots read
     * it as the soonest), not where the business goes ("llegan" is an area
     * cue only with a place: "¿llegan hasta Evanston?"). */
    if (any(words, arrival_when) && any(words, arrival_verb)) {
        return arranged ? CTN_INTENT_ARRIVAL : CTN_INTENT_BOOK;
    }
    if (any(words, area_asked) && !any(words, work)) {
        return CTN_INTENT_SERVICE_AREA;
    }
    if (any(words, book)) {
        return CTN_INTENT_BOOK;
    }
    if (any(words, hours)) {
        return CTN_INTENT_HOURS;
    }
    if (any(words, area) || going_to_a_place(words)) {
        return CTN_INTENT_SERVICE_AREA;
    }
    if (words->nelts <= 6 && any(words, goodbye)) {
        return CTN_INTENT_GOODBYE;
    }
    if (words->nelts <= YES_NO_MAX_WORDS) {
        ctn_intent_e yn = ctn_intent_yes_no(pool, text);
        if (yn != CTN_INTENT_UNKNOWN) {
            return yn;
        }
    }
    if (any(words, question)) {
        return CTN_INTENT_QUESTION;
    }
    return CTN_INTENT_UNKNOWN;
}
