/* emergency.c: emergency detection (see emergency.h).
 *
 * An utterance is normalised into words (lib/text.h); each rule phrase is
 * looked for at every position, and an occurrence counts unless its clause
 * negates it, says it is over, or puts it in the past or in a quote. The
 * tables below are the whole policy; the functions after them only walk
 * them. Every list holds normalised words: no accents, no apostrophes
 * ("dont", "theres"), a trailing '*' for a prefix, a bare '*' for any one
 * word. */
#include "emergency.h"

#include "text.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <string.h>

/* How many words before a rule phrase a negator still negates it: enough
 * for "I don't think there is any gas smell" (5), short enough that in
 * "I'm not home yet and my basement is flooding" the "not" is another
 * clause's (clause words stop the scan before the count does anyway). */
#define NEGATION_SCOPE_WORDS 5
/* How many words after a rule phrase "stopped", "gone", "ya se arregló"
 * still end it: "the gas smell is gone now" (2). */
#define OVER_SCOPE_WORDS 4
/* A business's extra rules are tried on every utterance: a bound keeps a
 * pasted word list from turning each turn into a long scan. */
#define MAX_EXTRA_RULES 200

/* What a rule needs besides its phrase, anywhere in the utterance. */
typedef enum {
    NEEDS_NOTHING,
    NEEDS_COLD,         /* freezing weather or someone vulnerable (or `freezing`) */
    NEEDS_CHILD_INSIDE, /* a child, and that someone is inside */
} needs_e;

typedef struct {
    ctn_emergency_rule_t rule; /* first member: ctn_emergency_builtin_rule hands it out */
    needs_e needs;
    const char *unless_next; /* the word that, right after the phrase, makes it another thing */
} builtin_t;

static const char *const category_names[CTN_EMERGENCY_CATEGORIES] = {
    "gas_leak",          "flooding",       "no_heat",
    "electrical_hazard", "sewage_backup",  "carbon_monoxide",
    "no_water",          "lockout_danger", "custom"};

/* The same, in words, indexed by ctn_lang_e: what texts say. */
static const char *const category_words[CTN_EMERGENCY_CATEGORIES][2] = {
    {"gas leak", "fuga de gas"},
    {"flooding", "inundación"},
    {"no heat", "sin calefacción"},
    {"electrical hazard", "peligro eléctrico"},
    {"sewage backup", "retorno de aguas negras"},
    {"carbon monoxide", "monóxido de carbono"},
    {"no water", "sin agua"},
    {"locked out, someone inside", "alguien encerrado"},
    {"other", "otra"}};

#define CO       "carbon_monoxide"
#define GAS      "gas_leak"
#define ELEC     "electrical_hazard"
#define SEWAGE   "sewage_backup"
#define FLOOD    "flooding"
#define HEAT     "no_heat"
#define LOCKOUT  "lockout_danger"
#define NO_WATER "no_water"
#define R(cat, lang, phrase)                                                                       \
    {                                                                                              \
        {cat, lang, phrase}, NEEDS_NOTHING, NULL                                                   \
    }
#define R_NEEDS(cat, lang, phrase, needs)                                                          \
    {                                                                                              \
        {cat, lang, phrase}, needs, NULL                                                           \
    }

/* Most dangerous first: when a caller says two things, the first category
 * found is the one the technician is paged for. */
static const builtin_t builtins[] = {
    /* carbon monoxide: an alarm is the usual way anyone knows */
    R(CO, "en", "carbon monoxide"),
    R(CO, "en", "monoxide"),
    R(CO, "en", "co alarm*"),
    R(CO, "en", "co detector*"),
    R(CO, "en", "co2 alarm*"), /* callers say CO2 for CO */
    R(CO, "en", "co2 detector*"),
    R(CO, "es", "monoxido"),
    R(CO, "es", "alarma de co"),
    /* gas */
    R(GAS, "en", "smell* gas"),
    R(GAS, "en", "smell* of gas"),
    R(GAS, "en", "smell* like gas"),
    R(GAS, "en", "gas smell*"),
    R(GAS, "en", "gas leak*"),
    R(GAS, "en", "leak* gas"),
    R(GAS, "en", "gas is leaking"),
    R(GAS, "en", "gas odor"),
    R(GAS, "en", "odor of gas"),
    R(GAS, "en", "rotten egg*"),
    R(GAS, "es", "huele a gas"),
    R(GAS, "es", "huele mucho a gas"),
    R(GAS, "es", "huele como a gas"),
    R(GAS, "es", "olor a gas"),
    R(GAS, "es", "olor de gas"),
    R(GAS, "es", "fuga de gas"),
    R(GAS, "es", "escape de gas"),
    R(GAS, "es", "sale gas"),
    R(GAS, "es", "saliendo gas"),
    R(GAS, "es", "saliendo el gas"),
    /* electrical */
    R(ELEC, "en", "spark"),
    R(ELEC, "en", "sparks"),
    R(ELEC, "en", "sparking"),
    R(ELEC, "en", "sparked"),
    R(ELEC, "en", "burning smell"),
    R(ELEC, "en", "smell* burning"),
    R(ELEC, "en", "smell* like burning"),
    R(ELEC, "en", "smell* something burning"),
    R(ELEC, "en", "smell* of burning"),
    R(ELEC, "en", "smell* like smoke"),
    R(ELEC, "en", "smoke coming"),
    R(ELEC, "en", "smoke from"),
    R(ELEC, "en", "theres smoke"),
    R(ELEC, "en", "there is smoke"),
    R(ELEC, "en", "smoking"),
    R(ELEC, "en", "electrical fire"),
    R(ELEC, "en", "on fire"),
    R(ELEC, "en", "caught fire"),
    R(ELEC, "en", "melted"),
    R(ELEC, "en", "electrocut*"),
    R(ELEC, "es", "chispa*"),
    R(ELEC, "es", "chispea*"),
    R(ELEC, "es", "huele a quemado"),
    R(ELEC, "es", "olor a quemado"),
    R(ELEC, "es", "sale humo"),
    R(ELEC, "es", "saliendo humo"),
    R(ELEC, "es", "salio humo"),
    R(ELEC, "es", "echa humo"),
    R(ELEC, "es", "echando humo"),
    R(ELEC, "es", "humo saliendo"),
    R(ELEC, "es", "hay humo"),
    R(ELEC, "es", "huele a humo"),
    R(ELEC, "es", "se esta quemando"),
    R(ELEC, "es", "cortocircuito"),
    R(ELEC, "es", "corto circuito"),
    R(ELEC, "es", "incendio"),
    R(ELEC, "es", "fuego"),
    /* sewage, before flooding: an overflowing toilet is sewage */
    R(SEWAGE, "en", "sewage"),
    R(SEWAGE, "en", "sewer* back*"),
    R(SEWAGE, "en", "sewer is backing up"),
    R(SEWAGE, "en", "sewer line back*"),
    R(SEWAGE, "en", "toilet* overflow*"),
    R(SEWAGE, "en", "toilet is overflowing"),
    R(SEWAGE, "en", "toilets are overflowing"),
    R(SEWAGE, "es", "aguas negras"),
    R(SEWAGE, "es", "aguas residuales"),
    R(SEWAGE, "es", "se regresa el drenaje"),
    R(SEWAGE, "es", "se esta regresando el drenaje"),
    R(SEWAGE, "es", "se regreso el drenaje"),
    R(SEWAGE, "es", "drenaje se regresa"),
    R(SEWAGE, "es", "drenaje se esta regresando"),
    R(SEWAGE, "es", "se desborda el inodoro"),
    R(SEWAGE, "es", "inodoro se desborda"),
    R(SEWAGE, "es", "inodoro se esta desbordando"),
    /* water; "flood*" would take "floodlight", hence the forms */
    R(FLOOD, "en", "flooding"),
    R(FLOOD, "en", "flooded"),
    R(FLOOD, "en", "flood"),
    R(FLOOD, "en", "floods"),
    R(FLOOD, "en", "burst pipe*"),
    R(FLOOD, "en", "pipe* burst"),
    R(FLOOD, "en", "pipe* * burst"),
    R(FLOOD, "en", "broken pipe*"),
    R(FLOOD, "en", "pipe* broke"),
    R(FLOOD, "en", "pipe is broken"),
    R(FLOOD, "en", "water main break*"),
    R(FLOOD, "en", "water main broke"),
    R(FLOOD, "en", "water everywhere"),
    R(FLOOD, "en", "water is everywhere"),
    R(FLOOD, "en", "water all over"),
    R(FLOOD, "en", "water pouring"),
    R(FLOOD, "en", "water is pouring"),
    R(FLOOD, "en", "pouring water"),
    R(FLOOD, "en", "water gushing"),
    R(FLOOD, "en", "gushing"),
    R(FLOOD, "en", "water spraying"),
    R(FLOOD, "en", "spraying water"),
    R(FLOOD, "en", "water coming through"),
    R(FLOOD, "en", "water coming in"),
    R(FLOOD, "en", "water coming from the ceiling"),
    R(FLOOD, "en", "leaking from the ceiling"),
    R(FLOOD, "en", "ceiling is leaking"),
    R(FLOOD, "en", "leaking heavily"),
    R(FLOOD, "en", "leaking a lot"),
    R(FLOOD, "en", "leaking badly"),
    R(FLOOD, "en", "leaking everywhere"),
    R(FLOOD, "en", "water heater burst"),
    R(FLOOD, "en", "inch* of water"),
    R(FLOOD, "en", "standing water"),
    R(FLOOD, "en", "full of water"),
    R(FLOOD, "en", "overflowing"),
    R(FLOOD, "es", "inund*"),
    R(FLOOD, "es", "se revienta"),
    R(FLOOD, "es", "revento"),
    R(FLOOD, "es", "reventado"),
    R(FLOOD, "es", "reventada"),
    R(FLOOD, "es", "tubo roto"),
    R(FLOOD, "es", "tuberia rota"),
    R(FLOOD, "es", "tubo quebrado"),
    R(FLOOD, "es", "se rompio el tubo"),
    R(FLOOD, "es", "se rompio un tubo"),
    R(FLOOD, "es", "se rompio la tuberia"),
    R(FLOOD, "es", "se rompio una tuberia"),
    R(FLOOD, "es", "agua por todas partes"),
    R(FLOOD, "es", "agua por todos lados"),
    R(FLOOD, "es", "agua por todo"),
    R(FLOOD, "es", "agua en el piso"),
    R(FLOOD, "es", "hay mucha agua"),
    R(FLOOD, "es", "mucha agua en"),
    R(FLOOD, "es", "sale mucha agua"),
    R(FLOOD, "es", "sale agua"),
    R(FLOOD, "es", "saliendo agua"),
    R(FLOOD, "es", "salir agua"), /* "no para de salir agua" */
    R(FLOOD, "es", "brota agua"),
    R(FLOOD, "es", "chorro* de agua"),
    R(FLOOD, "es", "fuga grande"),
    R(FLOOD, "es", "fuga muy grande"),
    /* no heat: only in the cold or with someone vulnerable at home */
    R_NEEDS(HEAT, "en", "no heat", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "no heating", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "without heat", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "dont have heat", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "dont have any heat", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "have no heat", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "heat* out", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "heat* * out", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "heat* not working", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "heat* * not working", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "heat* isnt working", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "heat* stopped working", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "furnace * out", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "furnace* not working", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "furnace * not working", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "furnace isnt working", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "furnace stopped", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "furnace * stopped", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "furnace died", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "furnace broke*", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "furnace is broken", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "boiler * out", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "boiler* not working", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "boiler * not working", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "boiler isnt working", NEEDS_COLD),
    R_NEEDS(HEAT, "en", "boiler stopped", NEEDS_COLD),
    R_NEEDS(HEAT, "es", "no tengo calefaccion", NEEDS_COLD),
    R_NEEDS(HEAT, "es", "no tenemos calefaccion", NEEDS_COLD),
    R_NEEDS(HEAT, "es", "no hay calefaccion", NEEDS_COLD),
    R_NEEDS(HEAT, "es", "sin calefaccion", NEEDS_COLD),
    R_NEEDS(HEAT, "es", "calefaccion no funciona", NEEDS_COLD),
    R_NEEDS(HEAT, "es", "calefaccion no sirve", NEEDS_COLD),
    R_NEEDS(HEAT, "es", "calefaccion no prende", NEEDS_COLD),
    R_NEEDS(HEAT, "es", "no funciona la calefaccion", NEEDS_COLD),
    R_NEEDS(HEAT, "es", "no sirve la calefaccion", NEEDS_COLD),
    R_NEEDS(HEAT, "es", "no prende la calefaccion", NEEDS_COLD),
    R_NEEDS(HEAT, "es", "se descompuso la calefaccion", NEEDS_COLD),
    R_NEEDS(HEAT, "es", "calefaccion se descompuso", NEEDS_COLD),
    R_NEEDS(HEAT, "es", "no hay calor", NEEDS_COLD),
    R_NEEDS(HEAT, "es", "caldera no funciona", NEEDS_COLD),
    R_NEEDS(HEAT, "es", "no prende la caldera", NEEDS_COLD),
    /* a child locked in (locksmiths; for others it still reaches the owner) */
    R_NEEDS(LOCKOUT, "en", "locked out", NEEDS_CHILD_INSIDE),
    R_NEEDS(LOCKOUT, "en", "locked in", NEEDS_CHILD_INSIDE),
    R_NEEDS(LOCKOUT, "en", "lock* inside", NEEDS_CHILD_INSIDE),
    R_NEEDS(LOCKOUT, "en", "locked * keys", NEEDS_CHILD_INSIDE),
    R_NEEDS(LOCKOUT, "en", "keys locked", NEEDS_CHILD_INSIDE),
    R_NEEDS(LOCKOUT, "en", "locked the door", NEEDS_CHILD_INSIDE),
    R_NEEDS(LOCKOUT, "es", "me quede afuera", NEEDS_CHILD_INSIDE),
    R_NEEDS(LOCKOUT, "es", "me quede fuera", NEEDS_CHILD_INSIDE),
    R_NEEDS(LOCKOUT, "es", "encerrad*", NEEDS_CHILD_INSIDE),
    R_NEEDS(LOCKOUT, "es", "se cerro la puerta", NEEDS_CHILD_INSIDE),
    R_NEEDS(LOCKOUT, "es", "se cerro el carro", NEEDS_CHILD_INSIDE),
    R_NEEDS(LOCKOUT, "es", "se cerro el coche", NEEDS_CHILD_INSIDE),
    R_NEEDS(LOCKOUT, "es", "llaves adentro", NEEDS_CHILD_INSIDE),
    /* no water at all (a dry faucet or no hot water is not an emergency) */
    R(NO_WATER, "en", "no water at all"),
    R(NO_WATER, "en", "no water in the house"),
    R(NO_WATER, "en", "no water in the whole house"),
    R(NO_WATER, "en", "no water anywhere"),
    R(NO_WATER, "en", "no running water"),
    R(NO_WATER, "en", "dont have any water"),
    R(NO_WATER, "en", "dont have running water"),
    R(NO_WATER, "en", "have no water"),
    R(NO_WATER, "es", "no tengo nada de agua"),
    R(NO_WATER, "es", "no tenemos nada de agua"),
    R(NO_WATER, "es", "no hay nada de agua"),
    R(NO_WATER, "es", "no sale nada de agua"),
    R(NO_WATER, "es", "no hay agua en toda la casa"),
    R(NO_WATER, "es", "no hay agua en la casa"),
    R(NO_WATER, "es", "sin agua en toda la casa"),
    {{NO_WATER, "es", "nos quedamos sin agua"}, NEEDS_NOTHING, "caliente"},
    {{NO_WATER, "es", "estamos sin agua"}, NEEDS_NOTHING, "caliente"},
};

#define BUILTIN_COUNT (sizeof(builtins) / sizeof(builtins[0]))

/* Freezing weather, or someone the cold endangers. */
static const char *const cold_cues[] = {
    "freez*",      "froz*",         "below zero",  "below freezing", "degrees below",   "subzero",
    "sub zero",    "so cold",       "very cold",   "really cold",    "extremely cold",  "too cold",
    "baby",        "babies",        "infant",      "newborn",        "elderly",         "grandma",
    "grandmother", "grandpa",       "grandfather", "heland*",        "helad*",          "congel*",
    "mucho frio",  "muy frio",      "bien frio",   "demasiado frio", "bajo cero",       "bebe",
    "bebes",       "recien nacido", "ancian*",     "abuel*",         "persona* mayor*", NULL};
static const char *const child_cues[] = {
    "baby", "babies",   "infant", "toddler",  "child", "children", "kid",   "kids",
    "son",  "daughter", "bebe",   "bebes",    "nino",  "nina",     "ninos", "ninas",
    "hijo", "hija",     "hijos",  "criatura", "nene",  "nena",     NULL};
static const char *const inside_cues[] = {"inside",      "in there",  "in the car", "in the house",
                                          "in the room", "alone",     "locked in",  "adentro",
                                          "dentro",      "encerrad*", "solo",       "sola",
                                          "solito",      "solita",    NULL};

/* Words that deny what follows them in their clause. */
static const char *const negators[] = {
    "no",     "not",     "dont",    "doesnt",  "didnt",  "isnt", "arent",   "wasnt",
    "werent", "aint",    "never",   "nothing", "nobody", "none", "without", "cant",
    "cannot", "neither", "nor",     "ni",      "nunca",  "nada", "jamas",   "tampoco",
    "sin",    "ningun",  "ninguna", "ninguno", "nadie",  NULL};

/* A negator right before one of these denies that word, not our phrase:
 * "I don't know if it's a gas leak", "it won't stop pouring", "no para de
 * salir agua", "no puedo cerrar la llave". */
static const char *const negation_takers[] = {
    "know",    "sure",     "care",       "understand", "mind",    "remember", "idea",      "matter",
    "stop",    "stopping", "turn",       "shut",       "find",    "get",      "only",      "para",
    "deja",    "dejan",    "puedo",      "podemos",    "sabemos", "entiendo", "encuentro", "se que",
    "se como", "se si",    "se por que", "se donde",   NULL};

/* After "no" at the start of a clause, these start a sentence: the "no"
 * answered the question ("no the basement is flooding"). */
static const char *const sentence_starts[] = {
    "its", "it",       "theres", "there", "my",  "the",  "our",  "we",    "i",   "im",
    "ive", "actually", "wait",   "sorry", "yes", "yeah", "this", "thats", "now", NULL};

/* Words that end a clause for negation and cue scope. */
static const char *const clause_words[] = {
    CTN_TEXT_CLAUSE, "but",    "pero",     "and",    "y",    "so",      "because",
    "porque",        "though", "although", "aunque", "sino", "however", NULL};

/* After the phrase: it is over. */
static const char *const over_cues[] = {"stopped",   "anymore",   "gone",  "fixed",
                                        "repaired",  "resolved",  "paro",  "arreglo",
                                        "arreglado", "arreglada", "quito", NULL};

/* In the phrase's clause: the past, a habit or a hypothesis ("my
 * neighbor's basement flooded last year", "it floods every spring", "how
 * do I prevent a burst pipe") or a planned job ("install a carbon monoxide
 * detector"). */
static const char *const distance_cues[] = {
    "every time",    "every year",       "every spring",
    "every winter",  "when it rains",    "whenever it rains",
    "cada vez",      "cada ano",         "cuando llueve",
    "last year",     "last month",       "last week",
    "last winter",   "last summer",      "last time",
    "years ago",     "months ago",       "weeks ago",
    "a while ago",   "a while back",     "in the past",
    "used to",       "what if",          "in case",
    "if it ever",    "if ever",          "prevent*",
    "to avoid",      "waterproof*",      "tune up",
    "maintenance",   "inspect*",         "el ano pasado",
    "el mes pasado", "la semana pasada", "el invierno pasado",
    "la otra vez",   "hace anos",        "hace meses",
    "hace tiempo",   "hace mucho",       "si alguna vez",
    "en caso de",    "por si",           "prevenir",
    "evitar",        "impermeabiliz*",   "instal*" /* install, instalar */,
    "mantenimiento", "inspeccion",       NULL};

/* In the phrase's clause: a question of price. Not for gas and carbon
 * monoxide: who asks what fixing a gas leak costs probably has one. */
static const char *const quote_cues[] = {
    "how much",      "price",         "quote",       "estimate",
    "cuanto cuesta", "cuanto cobra*", "cuanto sale", "precio",
    "cotizacion",    "presupuesto",   NULL};

/* In the phrase's clause: it is happening now, whatever else is said. */
static const char *const urgency_cues[] = {
    "right now",       "as we speak", "currently",  "at the moment", "ahora mismo", "ahorita",
    "en este momento", "emergency",   "emergencia", "urgent*",       "urgente",     NULL};

static const char *word_at(const apr_array_header_t *words, int i)
{
    return APR_ARRAY_IDX(words, i, const char *);
}

static int phrase_words(const char *phrase)
{
    int n = 1;

    for (; *phrase; phrase++) {
        n += *phrase == ' ';
    }
    return n;
}

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

/* Whether one of `phrases` starts at word `i`. */
static int phrase_at(const apr_array_header_t *words, int i, const char *const *phrases)
{
    for (int k = 0; phrases[k]; k++) {
        if (ctn_text_find(words, phrases[k], i) == i) {
            return 1;
        }
    }
    return 0;
}

/* Whether one of `phrases` lies wholly in words [start, end). */
static int phrase_within(const apr_array_header_t *words, int start, int end,
                         const char *const *phrases)
{
    for (int k = 0; phrases[k]; k++) {
        int at = ctn_text_find(words, phrases[k], start);
        if (at >= 0 && at + phrase_words(phrases[k]) <= end) {
            return 1;
        }
    }
    return 0;
}

/* Whether the word at `i` is a negator that negates what follows it. */
static int negates(const apr_array_header_t *words, int i, int clause_start)
{
    const char *w = word_at(words, i);

    if (!in_list(w, negators)) {
        return 0;
    }
    if (i + 1 < words->nelts && phrase_at(words, i + 1, negation_takers)) {
        return 0;
    }
    if (strcmp(w, "no") == 0 && i == clause_start && i + 1 < words->nelts &&
        in_list(word_at(words, i + 1), sentence_starts)) {
        return 0;
    }
    return 1;
}

static int clause_start_of(const apr_array_header_t *words, int at)
{
    while (at > 0 && !in_list(word_at(words, at - 1), clause_words)) {
        at--;
    }
    return at;
}

static int clause_end_of(const apr_array_header_t *words, int from)
{
    while (from < words->nelts && !in_list(word_at(words, from), clause_words)) {
        from++;
    }
    return from;
}

static int negated_before(const apr_array_header_t *words, int at, int clause_start)
{
    for (int i = at - 1; i >= clause_start && i >= at - NEGATION_SCOPE_WORDS; i--) {
        if (negates(words, i, clause_start)) {
            return 1;
        }
    }
    return 0;
}

/* Whether the occurrence of a phrase of `len` words at `at` counts. */
static int occurrence_counts(const apr_array_header_t *words, int at, int len, int own_negation,
                             int life_safety)
{
    int start = clause_start_of(words, at);
    int end = clause_end_of(words, at + len);

    if (!own_negation && negated_before(words, at, start)) {
        return 0;
    }
    for (int i = at + len; i < end && i < at + len + OVER_SCOPE_WORDS; i++) {
        if (in_list(word_at(words, i), over_cues)) {
            return 0;
        }
    }
    if ((phrase_within(words, start, end, distance_cues) ||
         (!life_safety && phrase_within(words, start, end, quote_cues))) &&
        !phrase_within(words, start, end, urgency_cues)) {
        return 0;
    }
    return 1;
}

/* Whether `phrase` occurs in a way that counts. */
static int rule_matches(const apr_array_header_t *words, const char *phrase,
                        const char *unless_next, const char *category)
{
    int at = ctn_text_find(words, phrase, 0), len, own_negation = 0, life_safety;
    apr_size_t first_len;
    char first[16];

    if (at < 0) {
        return 0; /* the usual case: nothing more to work out about the phrase */
    }
    len = phrase_words(phrase);
    life_safety = category && (strcmp(category, GAS) == 0 || strcmp(category, CO) == 0);
    first_len = strcspn(phrase, " ");
    if (first_len < sizeof(first)) {
        memcpy(first, phrase, first_len);
        first[first_len] = '\0';
        own_negation = in_list(first, negators);
    }
    for (; at >= 0; at = ctn_text_find(words, phrase, at + 1)) {
        if (unless_next && at + len < words->nelts &&
            strcmp(word_at(words, at + len), unless_next) == 0) {
            continue;
        }
        if (occurrence_counts(words, at, len, own_negation, life_safety)) {
            return 1;
        }
    }
    return 0;
}

/* Whether one of `cues` is said and not denied ("it's not freezing"). */
static int cue_said(const apr_array_header_t *words, const char *const *cues)
{
    for (int k = 0; cues[k]; k++) {
        for (int at = ctn_text_find(words, cues[k], 0); at >= 0;
             at = ctn_text_find(words, cues[k], at + 1)) {
            if (!negated_before(words, at, clause_start_of(words, at))) {
                return 1;
            }
        }
    }
    return 0;
}

static int needs_met(const apr_array_header_t *words, needs_e needs, int freezing)
{
    switch (needs) {
    case NEEDS_COLD:
        return freezing || cue_said(words, cold_cues);
    case NEEDS_CHILD_INSIDE:
        return cue_said(words, child_cues) && cue_said(words, inside_cues);
    case NEEDS_NOTHING:
        break;
    }
    return 1;
}

const char *ctn_emergency_category_name(ctn_emergency_category_e kind)
{
    return (unsigned)kind < CTN_EMERGENCY_CATEGORIES ? category_names[kind] : "custom";
}

const char *ctn_emergency_category_say(const char *name, ctn_lang_e lang)
{
    ctn_emergency_category_e kind;

    if (!ctn_emergency_category_from_name(name, &kind)) {
        return name;
    }
    return category_words[kind][lang == CTN_LANG_ES];
}

int ctn_emergency_category_from_name(const char *name, ctn_emergency_category_e *kind)
{
    for (int i = 0; name && i < CTN_EMERGENCY_CATEGORIES; i++) {
        if (strcmp(name, category_names[i]) == 0) {
            *kind = (ctn_emergency_category_e)i;
            return 1;
        }
    }
    return 0;
}

const ctn_emergency_rule_t *ctn_emergency_builtin_rule(apr_size_t i)
{
    return i < BUILTIN_COUNT ? &builtins[i].rule : NULL;
}

static void fill(ctn_emergency_match_t *out, const ctn_emergency_rule_t *rule)
{
    ctn_emergency_category_e kind = CTN_EMERGENCY_CUSTOM;

    ctn_emergency_category_from_name(rule->category, &kind);
    out->kind = kind;
    out->category = ctn_emergency_category_name(kind);
    out->phrase = rule->phrase;
    out->lang = rule->lang;
}

int ctn_emergency_detect(apr_pool_t *pool, const char *text, const apr_array_header_t *extra,
                         int freezing, ctn_emergency_match_t *out)
{
    apr_array_header_t *words;

    if (text == NULL || *text == '\0') {
        return 0;
    }
    words = ctn_text_words(pool, ctn_text_normalize(pool, text));
    for (apr_size_t i = 0; i < BUILTIN_COUNT; i++) {
        const builtin_t *b = &builtins[i];
        if (rule_matches(words, b->rule.phrase, b->unless_next, b->rule.category) &&
            needs_met(words, b->needs, freezing)) {
            fill(out, &b->rule);
            return 1;
        }
    }
    for (int i = 0; extra && i < extra->nelts; i++) {
        const ctn_emergency_rule_t *r = &APR_ARRAY_IDX(extra, i, ctn_emergency_rule_t);
        if (r->phrase && rule_matches(words, r->phrase, NULL, NULL)) {
            fill(out, r);
            return 1;
        }
    }
    return 0;
}

/* A business's phrase in the rules' form: each space-separated piece
 * normalised like speech, its trailing '*' kept; clause marks dropped.
 * NULL when no word of it has a letter or digit to match. */
static const char *normalize_phrase(apr_pool_t *pool, const char *raw)
{
    apr_array_header_t *out = apr_array_make(pool, 4, sizeof(const char *));
    char *copy = apr_pstrdup(pool, raw), *state = NULL;
    int literal = 0;

    for (char *piece = apr_strtok(copy, " \t\r\n", &state); piece;
         piece = apr_strtok(NULL, " \t\r\n", &state)) {
        apr_size_t n = strlen(piece);
        int prefix = n > 0 && piece[n - 1] == '*';
        apr_array_header_t *w;
        if (strcmp(piece, "*") == 0) {
            APR_ARRAY_PUSH(out, const char *) = "*";
            continue;
        }
        w = ctn_text_words(pool, ctn_text_normalize(pool, piece));
        for (int i = 0; i < w->nelts; i++) {
            const char *word = word_at(w, i);
            if (strcmp(word, CTN_TEXT_CLAUSE) == 0) {
                continue;
            }
            literal = 1;
            APR_ARRAY_PUSH(out, const char *) =
                prefix && i == w->nelts - 1 ? apr_pstrcat(pool, word, "*", NULL) : word;
        }
    }
    return literal ? apr_array_pstrcat(pool, out, ' ') : NULL;
}

apr_status_t ctn_emergency_rules_from_json(apr_array_header_t **rules, apr_pool_t *pool,
                                           json_object *array, const char **why)
{
    apr_array_header_t *out = apr_array_make(pool, 4, sizeof(ctn_emergency_rule_t));
    size_t n;

    *rules = NULL;
    if (array == NULL) {
        *rules = out;
        return APR_SUCCESS;
    }
    if (!json_object_is_type(array, json_type_array)) {
        *why = "emergency_rules must be an array";
        return APR_EINVAL;
    }
    n = json_object_array_length(array);
    if (n > MAX_EXTRA_RULES) {
        *why = apr_psprintf(pool, "emergency_rules may hold at most %d rules", MAX_EXTRA_RULES);
        return APR_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *item = json_object_array_get_idx(array, i), *v = NULL;
        ctn_emergency_rule_t rule = {"custom", NULL, NULL};
        ctn_emergency_category_e kind;

        if (!json_object_is_type(item, json_type_object)) {
            *why = apr_psprintf(pool, "emergency_rules[%lu] must be an object", (unsigned long)i);
            return APR_EINVAL;
        }
        if (!json_object_object_get_ex(item, "phrase", &v) ||
            !json_object_is_type(v, json_type_string) ||
            (rule.phrase = normalize_phrase(pool, json_object_get_string(v))) == NULL) {
            *why = apr_psprintf(pool, "emergency_rules[%lu].phrase must be a string with words",
                                (unsigned long)i);
            return APR_EINVAL;
        }
        if (json_object_object_get_ex(item, "category", &v) && v != NULL) {
            if (!json_object_is_type(v, json_type_string) ||
                !ctn_emergency_category_from_name(json_object_get_string(v), &kind)) {
                *why = apr_psprintf(pool,
                                    "emergency_rules[%lu].category must be one of gas_leak, "
                                    "flooding, no_heat, electrical_hazard, sewage_backup, "
                                    "carbon_monoxide, no_water, lockout_danger, custom",
                                    (unsigned long)i);
                return APR_EINVAL;
            }
            rule.category = ctn_emergency_category_name(kind);
        }
        if (json_object_object_get_ex(item, "language", &v) && v != NULL) {
            const char *lang =
                json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
            if (strcmp(lang, "en") != 0 && strcmp(lang, "es") != 0) {
                *why = apr_psprintf(pool,
                                    "emergency_rules[%lu].language must be \"en\", \"es\" "
                                    "or null",
                                    (unsigned long)i);
                return APR_EINVAL;
            }
            rule.lang = lang[1] == 'n' ? "en" : "es";
        }
        APR_ARRAY_PUSH(out, ctn_emergency_rule_t) = rule;
    }
    *rules = out;
    return APR_SUCCESS;
}
