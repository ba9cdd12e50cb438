/* slots.c: slot extraction (see slots.h). */
#include "slots.h"

#include "text.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <string.h>
#include <strings.h>

#define NAME_MAX_WORDS 4

void ctn_slots_init(ctn_slots_t *slots)
{
    memset(slots, 0, sizeof(*slots));
    slots->when.day_offset = -1;
    slots->when.weekday = -1;
}

static const char *const digit_words[][2] = {
    {"zero", "0"},  {"oh", "0"},   {"one", "1"},   {"two", "2"},    {"three", "3"}, {"four", "4"},
    {"five", "5"},  {"six", "6"},  {"seven", "7"}, {"eight", "8"},  {"nine", "9"},  {"cero", "0"},
    {"uno", "1"},   {"dos", "2"},  {"tres", "3"},  {"cuatro", "4"}, {"cinco", "5"}, {"seis", "6"},
    {"siete", "7"}, {"ocho", "8"}, {"nueve", "9"}, {NULL, NULL}};

const char *ctn_slots_phone(apr_pool_t *pool, const char *text)
{
    apr_array_header_t *words = ctn_text_words(pool, ctn_text_normalize(pool, text));
    char digits[32];
    apr_size_t n = 0;

    for (int i = 0; i < words->nelts && n < sizeof(digits) - 1; i++) {
        const char *w = APR_ARRAY_IDX(words, i, const char *);
        if (apr_isdigit(*w)) {
            for (; *w && n < sizeof(digits) - 1; w++) {
                if (apr_isdigit(*w)) {
                    digits[n++] = *w;
                }
            }
            continue;
        }
        for (int d = 0; digit_words[d][0]; d++) {
            if (strcmp(w, digit_words[d][0]) == 0) {
                digits[n++] = digit_words[d][1][0];
                break;
            }
        }
    }
    digits[n] = '\0';
    if (n == 10 && digits[0] >= '2') {
        return apr_pstrcat(pool, "+1", digits, NULL);
    }
    if (n == 11 && digits[0] == '1') {
        return apr_pstrcat(pool, "+", digits, NULL);
    }
    if (n >= 11 && n <= 15 && strchr(text, '+') != NULL) {
        return apr_pstrcat(pool, "+", digits, NULL);
    }
    return NULL;
}

/* The words of `text` after `cue` up to the end of the clause; `*end`
 * (may be NULL) is the index of the first word not taken. */
static const char *after_cue(apr_pool_t *pool, const apr_array_header_t *words, const char *cue,
                             int max_words, int *end)
{
    int at = ctn_text_find(words, cue, 0);
    apr_array_header_t *out;
    int cue_words = 1;

    if (at < 0) {
        return NULL;
    }
    for (const char *c = cue; *c; c++) {
        cue_words += *c == ' ';
    }
    out = apr_array_make(pool, 4, sizeof(const char *));
    int i;
    for (i = at + cue_words; i < words->nelts && out->nelts < max_words; i++) {
        const char *w = APR_ARRAY_IDX(words, i, const char *);
        if (strcmp(w, ".") == 0 || strcmp(w, "and") == 0 || strcmp(w, "y") == 0) {
            break;
        }
        APR_ARRAY_PUSH(out, const char *) = w;
    }
    if (end) {
        *end = i;
    }
    return out->nelts ? apr_array_pstrcat(pool, out, ' ') : NULL;
}

static int is_stopword(const char *w)
{
    static const char *const stop[] = {"calling", "having", "looking", "just", "not", "a", "the",
                                       "here", "trying", "so", "very", "sorry", "in", "at", "from",
                                       "with", "llamando", "aqui", "un", "una", "de", "el", "la",
                                       /* "¿habla español?" asks for a language */
                                       "espanol", "ingles", "english", "spanish",
                                       /* "this is about my water heater": a topic */
                                       "about", "regarding", "concerning", "re", "an", "my", "it",
                                       "sobre", "acerca", "por", "para", "mi", NULL};
    for (int i = 0; stop[i]; i++) {
        if (strcmp(w, stop[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The caller's own spelling of the normalised words `norm_name` in
 * `original` ("jose ramirez" → "José Ramírez"), or NULL when not found. */
static const char *original_spelling(apr_pool_t *pool, const char *original, const char *norm_name)
{
    apr_array_header_t *want = ctn_text_words(pool, norm_name);
    apr_array_header_t *out = apr_array_make(pool, 4, sizeof(const char *));
    char *copy = apr_pstrdup(pool, original), *state = NULL;
    int next = 0;

    for (char *tok = apr_strtok(copy, " ,.;:!?¿¡", &state); tok && next < want->nelts;
         tok = apr_strtok(NULL, " ,.;:!?¿¡", &state)) {
        if (strcmp(ctn_text_normalize(pool, tok), APR_ARRAY_IDX(want, next, const char *)) == 0) {
            APR_ARRAY_PUSH(out, const char *) = tok;
            next++;
        } else if (next > 0) {
            out->nelts = 0, next = 0;
        }
    }
    return next == want->nelts && next > 0 ? apr_array_pstrcat(pool, out, ' ') : NULL;
}

/* A hesitation ("um", "umm", "uhh", "hmm", "mmm", "este"): said while
 * thinking, never a name. Repeated letters are squeezed first. */
static int is_filler(const char *w)
{
    static const char *const fillers[] = {"um",  "uh", "uhm", "hm",  "m",  "mhm",  "er",
                                          "erm", "ah", "eh",  "ehm", "mm", "este", NULL};
    char squeezed[8];
    apr_size_t n = 0;

    for (; *w; w++) {
        if (n == 0 || squeezed[n - 1] != *w) {
            if (n == sizeof(squeezed) - 1) {
                return 0;
            }
            squeezed[n++] = *w;
        }
    }
    squeezed[n] = '\0';
    for (int i = 0; fillers[i]; i++) {
        if (strcmp(squeezed, fillers[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Words that follow "I'm", "this is" or "soy" when no name does: how the
 * caller is ("this is urgent", "I'm worried", "soy nueva") or who ("soy
 * cliente"). A name stops before one ("Maria calling about…"). */
static int is_no_name(const char *w)
{
    static const char *const words[] = {
        "urgent",    "important", "serious",   "worried",     "concerned",   "interested",
        "new",       "out",       "really",    "bad",         "terrible",    "sure",
        "glad",      "happy",     "afraid",    "ready",       "done",        "home",
        "back",      "still",     "also",      "only",        "actually",    "going",
        "gonna",     "stuck",     "available", "busy",        "free",        "frustrated",
        "desperate", "confused",  "ok",        "okay",        "fine",        "good",
        "all",       "too",       "on",        "of",          "to",          "for",
        "that",      "what",      "because",   "if",          "your",        "his",
        "her",       "their",     "our",       "this",        "customer",    "client",
        "tenant",    "owner",     "landlord",  "homeowner",   "neighbor",    "emergency",
        "cliente",   "nuevo",     "nueva",     "vecino",      "vecina",      "inquilino",
        "inquilina", "dueno",     "duena",     "propietario", "propietaria", "yo",
        "muy",       "su",        "del",       "los",         "las",         "tu",
        "urgente",   NULL};

    if (is_stopword(w)) {
        return 1;
    }
    for (int i = 0; words[i]; i++) {
        if (strcmp(w, words[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The particles of Spanish names ("María del Carmen", "José de la Cruz"). */
static int is_particle(const char *w)
{
    return strcmp(w, "de") == 0 || strcmp(w, "del") == 0 || strcmp(w, "la") == 0 ||
           strcmp(w, "las") == 0 || strcmp(w, "los") == 0;
}

/* Whether `w` reads as a verb in -ing ("wondering", "hoping", "asking"):
 * after "I'm" that is what the caller is doing, not who they are (a name
 * such as Irving is lost there; "my name is Irving" still works). */
static int is_gerund(const char *w)
{
    apr_size_t n = strlen(w);

    return n >= 6 && strcmp(w + n - 3, "ing") == 0;
}

/* Up to `max_words` words from word `from` to the end of the clause, after
 * the hesitations that open it ("um, John Smith" → "john smith"); NULL
 * when nothing is left. */
static const char *name_words(apr_pool_t *pool, const apr_array_header_t *words, int from,
                              int max_words)
{
    const char *const *w = (const char *const *)words->elts;
    apr_array_header_t *out;
    int i = from;

    while (i < words->nelts && (strcmp(w[i], CTN_TEXT_CLAUSE) == 0 || is_filler(w[i]))) {
        i++;
    }
    out = apr_array_make(pool, 4, sizeof(const char *));
    for (; i < words->nelts && out->nelts < max_words; i++) {
        if (strcmp(w[i], CTN_TEXT_CLAUSE) == 0 || strcmp(w[i], "and") == 0 ||
            strcmp(w[i], "y") == 0 || is_filler(w[i]) ||
            (out->nelts > 0 && is_no_name(w[i]) && !is_particle(w[i]))) {
            break;
        }
        APR_ARRAY_PUSH(out, const char *) = w[i];
    }
    return out->nelts ? apr_array_pstrcat(pool, out, ' ') : NULL;
}

static const char *name_of(apr_pool_t *pool, const char *raw)
{
    char *first;

    if (raw == NULL) {
        return NULL;
    }
    first = apr_pstrdup(pool, raw);
    first[strcspn(first, " ")] = '\0';
    if (is_stopword(first) || apr_isdigit(*first)) {
        return NULL;
    }
    return ctn_text_title_case(pool, raw);
}

static const char *extract_name(apr_pool_t *pool, const apr_array_header_t *words,
                                ctn_expect_e expecting, const char *original)
{
    const char *name = NULL;

    /* The cues from "this is" on also say other things ("this is urgent",
     * "I'm wondering if…", "soy cliente"): they open a name only when
     * what follows looks like one. */
    static const char *const cues[] = {"my name is", "name is", "me llamo", "mi nombre es", "habla",
                                       "this is",    "i am",    "im",       "soy",          NULL};
    static const int first_weak = 5;
    for (int i = 0; cues[i] && !name; i++) {
        int at = ctn_text_find(words, cues[i], 0);
        const char *raw;
        if (at < 0) {
            continue;
        }
        for (const char *c = cues[i]; *c; c++) {
            at += *c == ' ';
        }
        raw = name_words(pool, words, at + 1, 3);
        if (raw && i >= first_weak) {
            char first[32];
            apr_cpystrn(first, raw, sizeof(first));
            first[strcspn(first, " ")] = '\0';
            if (is_no_name(first) || is_gerund(first)) {
                continue;
            }
        }
        if (name_of(pool, raw)) {
            name = raw;
        }
    }
    if (!name && expecting == CTN_EXPECT_NAME && words->nelts > 0 &&
        words->nelts <= NAME_MAX_WORDS) {
        const char *raw = name_words(pool, words, 0, NAME_MAX_WORDS);
        if (name_of(pool, raw)) {
            name = raw;
        }
    }
    if (name) {
        const char *spelled = original_spelling(pool, original, name);
        return ctn_text_title_case(pool, spelled ? spelled : name);
    }
    return NULL;
}

static const char *const street_suffixes[] = {
    "street", "st",      "avenue",    "ave",     "road",    "rd", "drive", "dr",
    "lane",   "ln",      "boulevard", "blvd",    "court",   "ct", "way",   "place",
    "pl",     "terrace", "circle",    "parkway", "highway", NULL};

/* The unit after an address's street, at word `k` or after a comma
 * there ("apartment 3B", ", unit 5", ", departamento 4"): "Apt 3B",
 * "Depto 4"; NULL when there is none. */
static const char *unit_at(apr_pool_t *pool, const apr_array_header_t *words, int k)
{
    static const char *const units[][2] = {
        {"apartment", "Apt"},      {"apt", "Apt"},     {"unit", "Apt"},          {"suite", "Apt"},
        {"departamento", "Depto"}, {"depto", "Depto"}, {"apartamento", "Depto"}, {NULL, NULL}};
    const char *const *w = (const char *const *)words->elts;
    char *id;

    if (k < words->nelts && strcmp(w[k], CTN_TEXT_CLAUSE) == 0) {
        k++;
    }
    if (k + 1 >= words->nelts || strcmp(w[k + 1], CTN_TEXT_CLAUSE) == 0) {
        return NULL;
    }
    for (int u = 0; units[u][0]; u++) {
        if (strcmp(w[k], units[u][0]) == 0) {
            id = apr_pstrdup(pool, w[k + 1]);
            for (char *c = id; *c; c++) {
                *c = (char)apr_toupper(*c);
            }
            return apr_pstrcat(pool, units[u][1], " ", id, NULL);
        }
    }
    return NULL;
}

static const char *extract_address(apr_pool_t *pool, const apr_array_header_t *words,
                                   ctn_expect_e expecting, const char *original)
{
    const char *const *w = (const char *const *)words->elts;

    for (int i = 0; i < words->nelts; i++) {
        if (!apr_isdigit(w[i][0])) {
            continue;
        }
        /* "300 calle Clark": a house number before calle/avenida, to the
         * end of the clause. */
        if (i + 2 < words->nelts &&
            (strcmp(w[i + 1], "calle") == 0 || strcmp(w[i + 1], "avenida") == 0)) {
            int end = 0;
            const char *a = after_cue(pool, words, w[i + 1], 6, &end);
            const char *unit = unit_at(pool, words, end);
            if (a) {
                a = ctn_text_title_case(pool, apr_pstrcat(pool, w[i], " ", w[i + 1], " ", a, NULL));
                return unit ? apr_pstrcat(pool, a, " ", unit, NULL) : a;
            }
        }
        /* A house number followed within five words by a street suffix, or
         * "calle/avenida" before it. */
        for (int j = i + 1; j < words->nelts && j <= i + 5; j++) {
            int suffix = 0;
            for (int s = 0; street_suffixes[s]; s++) {
                suffix |= strcmp(w[j], street_suffixes[s]) == 0;
            }
            if (suffix) {
                apr_array_header_t *out = apr_array_make(pool, 8, sizeof(const char *));
                const char *unit;
                int k;
                for (k = i; k <= j; k++) {
                    APR_ARRAY_PUSH(out, const char *) = ctn_text_title_case(pool, w[k]);
                }
                if ((unit = unit_at(pool, words, k)) != NULL) {
                    APR_ARRAY_PUSH(out, const char *) = unit;
                }
                return apr_array_pstrcat(pool, out, ' ');
            }
        }
    }
    {
        static const char *const es_cues[] = {
            "vivo en", "la direccion es", "mi direccion es", "calle",
            "avenida", "i live at",       "address is",      NULL};
        for (int i = 0; es_cues[i]; i++) {
            int end = 0;
            const char *a = after_cue(pool, words, es_cues[i], 8, &end);
            if (a && strpbrk(a, "0123456789")) {
                const char *unit = unit_at(pool, words, end);
                a = ctn_text_title_case(pool, strncmp(es_cues[i], "calle", 5) == 0 ||
                                                      strncmp(es_cues[i], "avenida", 7) == 0
                                                  ? apr_pstrcat(pool, es_cues[i], " ", a, NULL)
                                                  : a);
                return unit ? apr_pstrcat(pool, a, " ", unit, NULL) : a;
            }
        }
    }
    if (expecting == CTN_EXPECT_ADDRESS && strpbrk(original, "0123456789")) {
        return original;
    }
    return NULL;
}

/* Whether the caller corrects something said before ("no wait, it's…",
 * "actually", "perdón, es el…"): only then does a second address replace
 * the first (one named in passing, "next to 12 Elm Street", does not). */
static int correcting(const apr_array_header_t *words)
{
    static const char *const cues[] = {"no",          "wait",         "actually",    "sorry",
                                       "i mean",      "i meant",      "correction",  "not",
                                       "perdon",      "disculpe",     "mejor dicho", "en realidad",
                                       "quise decir", "me equivoque", NULL};
    for (int i = 0; cues[i]; i++) {
        if (ctn_text_find(words, cues[i], 0) >= 0) {
            return 1;
        }
    }
    return 0;
}

static const char *extract_zip(apr_pool_t *pool, const apr_array_header_t *words)
{
    for (int i = 0; i < words->nelts; i++) {
        const char *w = APR_ARRAY_IDX(words, i, const char *);
        /* A five-digit number followed by more words is a house number. */
        int followed =
            i + 1 < words->nelts && strcmp(APR_ARRAY_IDX(words, i + 1, const char *), ".") != 0;
        if (strlen(w) == 5 && strspn(w, "0123456789") == 5 && !followed) {
            return apr_pstrdup(pool, w);
        }
    }
    return NULL;
}

static const char *const fixtures[] = {"water heater",
                                       "heater",
                                       "furnace",
                                       "boiler",
                                       "ac",
                                       "air conditioning",
                                       "air conditioner",
                                       "toilet",
                                       "sink",
                                       "drain",
                                       "pipe*",
                                       "faucet",
                                       "shower",
                                       "tub",
                                       "basement",
                                       "sewer",
                                       "outlet",
                                       "breaker",
                                       "panel",
                                       "lock",
                                       "door",
                                       "garbage disposal",
                                       "dishwasher",
                                       "leak*",
                                       "clog*",
                                       "calentador",
                                       "caldera",
                                       "aire acondicionado",
                                       "inodoro",
                                       "bano",
                                       "fregadero",
                                       "lavabo",
                                       "drenaje",
                                       "tuberia",
                                       "tubo",
                                       "llave",
                                       "regadera",
                                       "sotano",
                                       "enchufe",
                                       "cerradura",
                                       "fuga",
                                       "tapado",
                                       "tapada",
                                       NULL};

/* Work a caller can ask for ("a gas line installation", "reparar la línea"). */
static const char *const jobs[] = {
    "instal*",  "replac*",     "repair*", "repar*",      "fix",           "arregl*", "cambiar",
    "inspect*", "inspeccion*", "tune up", "maintenance", "mantenimiento", NULL};

/* Words of a request that say nothing of the job itself. */
static const char *const request_words[] = {
    "i",         "id",      "im",      "like",    "to",     "need",   "want",     "would",
    "an",        "the",     "my",      "our",     "please", "book",   "schedule", "appointment",
    "for",       "some",    "someone", "can",     "you",    "come",   "out",      "get",
    "have",      "new",     "and",     "its",     "this",   "that",   "quiero",   "necesito",
    "programar", "agendar", "una",     "cita",    "para",   "los",    "las",      "que",
    "por",       "favor",   "hacer",   "alguien", "venga",  "vengan", "tune",     NULL};

static int listed(const char *w, const char *const *list)
{
    for (int i = 0; list[i]; i++) {
        if (strcmp(w, list[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Whether the word `w` is one of the jobs ("installation" is "instal*"). */
static int job_word(const char *w)
{
    for (int i = 0; jobs[i]; i++) {
        apr_size_t n = strlen(jobs[i]);
        if (jobs[i][n - 1] == '*' ? strncmp(w, jobs[i], n - 1) == 0 : strcmp(w, jobs[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* A job named with what it is done to ("schedule a gas line installation",
 * "install a gas line"), not a bare request ("I need a repair", "can you
 * come fix it"): a job and a word of three letters or more that is neither
 * a job nor a request word. */
static int described_job(const apr_array_header_t *words)
{
    const char *const *w = (const char *const *)words->elts;
    int job = 0;

    for (int i = 0; jobs[i] && !job; i++) {
        job = ctn_text_find(words, jobs[i], 0) >= 0;
    }
    for (int i = 0; job && i < words->nelts; i++) {
        if (strlen(w[i]) >= 3 && !listed(w[i], request_words) && !job_word(w[i])) {
            return 1;
        }
    }
    return 0;
}

/* Whether `words` name a problem: a fixture, or a described job. */
static int names_problem(const apr_array_header_t *words)
{
    for (int i = 0; fixtures[i]; i++) {
        if (ctn_text_find(words, fixtures[i], 0) >= 0) {
            return 1;
        }
    }
    return described_job(words);
}

/* The length of the clause separator at `s` in `text` (a sentence mark, or
 * a conjunction on word boundaries: "and", "y", "but", "pero"); 0: none. */
static apr_size_t separator_at(const char *text, const char *s)
{
    static const char *const conjunctions[] = {"and", "but", "y", "pero", NULL};

    if (strchr(",.;:?!", *s)) {
        return 1;
    }
    if ((unsigned char)s[0] == 0xC2 &&
        ((unsigned char)s[1] == 0xBF || (unsigned char)s[1] == 0xA1)) {
        return 2; /* ¿ ¡ */
    }
    if (s > text && s[-1] != ' ') {
        return 0;
    }
    for (int i = 0; conjunctions[i]; i++) {
        apr_size_t n = strlen(conjunctions[i]);
        if (strncasecmp(s, conjunctions[i], n) == 0 && (s[n] == ' ' || s[n] == '\0')) {
            return n;
        }
    }
    return 0;
}

/* The part of `original` that says what is wrong: from the first to the
 * last clause that names a problem ("Hi this is Ana, I'm at 300 Clark St
 * and my water heater is leaking, can you come tomorrow?" → "my water
 * heater is leaking"). `original` itself when no clause does alone. */
static const char *problem_clause(apr_pool_t *pool, const char *original)
{
    const char *piece = original, *first = NULL, *last = NULL;

    for (const char *s = original;; s++) {
        apr_size_t sep = *s ? separator_at(original, s) : 1;
        if (sep == 0) {
            continue;
        }
        if (s > piece) {
            const char *norm = ctn_text_normalize(pool, apr_pstrmemdup(pool, piece, s - piece));
            if (names_problem(ctn_text_words(pool, norm))) {
                first = first ? first : piece;
                last = s;
            }
        }
        if (*s == '\0') {
            break;
        }
        s += sep - 1;
        piece = s + 1;
    }
    if (first == NULL) {
        return original;
    }
    while (first < last && apr_isspace(*first)) {
        first++;
    }
    while (last > first && apr_isspace(last[-1])) {
        last--;
    }
    return last > first ? apr_pstrmemdup(pool, first, last - first) : original;
}

/* The problem the caller describes; `others`: the utterance also gave
 * other slots (name, address, number, time), which are kept out of it. */
static const char *extract_problem(apr_pool_t *pool, const char *original,
                                   const apr_array_header_t *words, ctn_expect_e expecting,
                                   int others)
{
    if (names_problem(words)) {
        return others ? problem_clause(pool, original) : original;
    }
    return expecting == CTN_EXPECT_PROBLEM && words->nelts > 0 ? original : NULL;
}

/* "When can you get here?", "¿cuándo llegan?": with no day or time named,
 * the caller wants the soonest visit. */
static int asks_when_someone_comes(const apr_array_header_t *words)
{
    static const char *const when[] = {"when",   "how soon",   "what time",
                                       "cuando", "a que hora", NULL};
    static const char *const come[] = {"come",  "get here", "be here", "arriv*", "llega*",
                                       "venir", "vienen",   "vengan",  NULL};
    int asked = 0;

    for (int i = 0; when[i] && !asked; i++) {
        asked = ctn_text_find(words, when[i], 0) >= 0;
    }
    for (int i = 0; come[i] && asked; i++) {
        if (ctn_text_find(words, come[i], 0) >= 0) {
            return 1;
        }
    }
    return 0;
}

/* Returns whether `words` name a time. */
static int extract_time(ctn_slots_t *slots, const apr_array_header_t *words, ctn_expect_e expecting)
{
    static const char *const days[][2] = {{"sunday", "domingo"},  {"monday", "lunes"},
                                          {"tuesday", "martes"},  {"wednesday", "miercoles"},
                                          {"thursday", "jueves"}, {"friday", "viernes"},
                                          {"saturday", "sabado"}};
    ctn_time_pref_t *t = &slots->when;
    int given = 0;

    if (ctn_text_find(words, "as soon as", 0) >= 0 || ctn_text_find(words, "asap", 0) >= 0 ||
        ctn_text_find(words, "lo antes posible", 0) >= 0 ||
        ctn_text_find(words, "lo mas pronto", 0) >= 0 ||
        ctn_text_find(words, "right away", 0) >= 0 || ctn_text_find(words, "earliest", 0) >= 0 ||
        ctn_text_find(words, "soonest", 0) >= 0 || ctn_text_find(words, "whenever", 0) >= 0 ||
        ctn_text_find(words, "cuando sea", 0) >= 0 || ctn_text_find(words, "any time", 0) >= 0 ||
        ctn_text_find(words, "anytime", 0) >= 0) {
        t->asap = 1, given = 1;
    }
    if (ctn_text_find(words, "today", 0) >= 0 || ctn_text_find(words, "hoy", 0) >= 0) {
        t->day_offset = 0, given = 1;
    }
    if (ctn_text_find(words, "tomorrow", 0) >= 0 ||
        (ctn_text_find(words, "manana", 0) >= 0 && ctn_text_find(words, "en la manana", 0) < 0 &&
         ctn_text_find(words, "por la manana", 0) != 0)) {
        t->day_offset = 1, given = 1;
    }
    for (int d = 0; d < 7; d++) {
        if (ctn_text_find(words, days[d][0], 0) >= 0 || ctn_text_find(words, days[d][1], 0) >= 0) {
            t->weekday = d, given = 1;
        }
    }
    if (ctn_text_find(words, "morning", 0) >= 0 || ctn_text_find(words, "por la manana", 0) >= 0 ||
        ctn_text_find(words, "en la manana", 0) >= 0) {
        t->part = CTN_DAYPART_MORNING, given = 1;
    } else if (ctn_text_find(words, "afternoon", 0) >= 0 || ctn_text_find(words, "tarde", 0) >= 0) {
        t->part = CTN_DAYPART_AFTERNOON, given = 1;
    } else if (ctn_text_find(words, "evening", 0) >= 0 || ctn_text_find(words, "noche", 0) >= 0) {
        t->part = CTN_DAYPART_EVENING, given = 1;
    }
    if (!given && asks_when_someone_comes(words)) {
        t->asap = 1, given = 1;
    }
    if (given || expecting == CTN_EXPECT_TIME) {
        slots->when_given = 1;
    }
    return given;
}

void ctn_slots_extract(ctn_slots_t *slots, apr_pool_t *pool, const char *text,
                       ctn_expect_e expecting)
{
    const char *norm = ctn_text_normalize(pool, text ? text : "");
    apr_array_header_t *words = ctn_text_words(pool, norm);
    const char *v;
    int others = 0;

    if (words->nelts == 0) {
        return;
    }
    if (expecting == CTN_EXPECT_MESSAGE) {
        slots->message = apr_pstrdup(pool, text);
    }
    if ((v = ctn_slots_phone(pool, text)) != NULL) {
        slots->callback_number = v;
        others = 1;
        /* "My number is 312…" answering another question answers only the
         * number: not the address, nor the time (the soonest). */
        if (expecting != CTN_EXPECT_PHONE) {
            expecting = CTN_EXPECT_NONE;
        }
    }
    if (!slots->name && (v = extract_name(pool, words, expecting, text))) {
        slots->name = v;
        others = 1;
    }
    if (!slots->address && (v = extract_address(pool, words, expecting, text))) {
        slots->address = v;
        others = 1;
    } else if (slots->address && correcting(words) &&
               (v = extract_address(pool, words, CTN_EXPECT_NONE, text)) != NULL &&
               strcmp(v, slots->address) != 0) {
        slots->address = v; /* "no wait, it's 310 Clark Street" */
        others = 1;
    }
    if (!slots->zip && (v = extract_zip(pool, words))) {
        slots->zip = v;
    }
    others |= extract_time(slots, words, expecting);
    if (!slots->problem && (v = extract_problem(pool, text, words, expecting, others))) {
        slots->problem = apr_pstrdup(pool, v);
    }
}
