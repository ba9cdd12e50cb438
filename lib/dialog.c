/* dialog.c: the built-in conversation, one caller turn at a time (see
 * dialog.h).
 *
 * A turn: (1) the caller's words update the call's language (with
 * hysteresis, and only to a language the business speaks); (2) the
 * emergency rules run first, in any stage — a match dispatches at once
 * through the tools, exactly once per call, before anything else is asked;
 * (3) slots are extracted for what was asked; (4) the stage decides what
 * comes next. Goals collect their slots in a fixed order (book: problem,
 * name, address, callback, time; emergency: address, name; message: name,
 * message, callback), then act. A question asked in the middle of a goal
 * ("how much is it?") is answered and the pending question asked again.
 * Silence or an answer not understood is re-prompted twice, with other
 * words the second time; the third time Cortana records a message, so no
 * caller is lost. Every line comes from the phrase table and is rendered
 * by the business's personality. */
#include "dialog.h"

#include "dialog_phrases.h"
#include "emergency.h"
#include "intent.h"
#include "personality.h"
#include "text.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#define MAX_REPROMPTS    2 /* then a voicemail */
#define DECLINES_ALLOWED 2 /* offers declined before a message is taken */
#define NAME_MAX_WORDS   4 /* longer bare answers are sentences, not names */

/* One turn's working set. */
typedef struct dlg_t {
    ctn_dialog_reply_t *r;
    apr_pool_t *pool;
    ctn_dialog_state_t *st;
    const ctn_dialog_context_t *ctx;
    const ctn_personality_t *pers;
    const char *text; /* this turn's words, NULL for silence */
    int reprompted;   /* this turn asked again instead of moving on */
    int new_number;   /* this turn's words gave a callback number */
    int new_address;  /* this turn's words corrected the address */
} dlg_t;

static ctn_lang_e lang_of(const dlg_t *d)
{
    return d->st->lang.current;
}

/* ------------------------------------------------------------- speaking --- */

static void say_text(dlg_t *d, const char *text)
{
    if (text && *text) {
        APR_ARRAY_PUSH(d->r->lines, const char *) =
            ctn_personality_render(d->pers, d->pool, lang_of(d), text);
    }
}

static void say(dlg_t *d, ctn_phrase_e id)
{
    say_text(d, ctn_dialog_phrase(id, lang_of(d)));
}

static void sayf(dlg_t *d, ctn_phrase_e id, ...)
{
    va_list ap;

    va_start(ap, id);
    say_text(d, apr_pvsprintf(d->pool, ctn_dialog_phrase(id, lang_of(d)), ap));
    va_end(ap);
}

/* A North American number as "312-555-0142": text-to-speech reads that as
 * a phone number, where "+13125550142" comes out as one big integer. */
static const char *spoken_number(apr_pool_t *pool, const char *e164)
{
    if (e164 && strlen(e164) == 12 && strncmp(e164, "+1", 2) == 0) {
        return apr_psprintf(pool, "%.3s-%.3s-%.4s", e164 + 2, e164 + 5, e164 + 8);
    }
    return e164 ? e164 : "";
}

static const char *say_slot(dlg_t *d, apr_time_t start)
{
    return d->ctx->tools->say_slot(d->ctx->tools->baton, d->pool, start, lang_of(d));
}

/* ------------------------------------------------------------- endings --- */

static void end_call(dlg_t *d)
{
    say_text(d, ctn_personality_sign_off(d->pers, d->pool, lang_of(d)));
    d->r->action = CTN_DIALOG_HANGUP;
    d->st->stage = CTN_STAGE_DONE;
    d->st->expecting = CTN_EXPECT_NONE;
}

/* Say `why` and end the call (no sign-off: a refusal, or thanks after a
 * recording). */
static void hang_up_after(dlg_t *d, ctn_phrase_e why)
{
    say(d, why);
    d->r->action = CTN_DIALOG_HANGUP;
    d->st->stage = CTN_STAGE_DONE;
    d->st->expecting = CTN_EXPECT_NONE;
}

/* Record a voicemail: the last resort that never loses a caller. The
 * module marks the call message_taken when the recording arrives. */
static void voicemail(dlg_t *d, ctn_phrase_e why)
{
    say(d, why);
    d->r->action = CTN_DIALOG_RECORD;
    d->st->stage = CTN_STAGE_DONE;
    d->st->expecting = CTN_EXPECT_NONE;
}

static void anything_else(dlg_t *d)
{
    say(d, CTN_PH_ANYTHING_ELSE);
    d->st->stage = CTN_STAGE_ANYTHING_ELSE;
    d->st->goal = CTN_GOAL_NONE;
    d->st->expecting = CTN_EXPECT_NONE;
}

/* Ask a yes/no question about starting `goal` ("Would you like me to book
 * a visit?"). */
static void propose(dlg_t *d, ctn_goal_e goal, ctn_phrase_e question)
{
    say(d, question);
    d->st->stage = CTN_STAGE_ANYTHING_ELSE;
    d->st->goal = goal;
    d->st->expecting = CTN_EXPECT_NONE;
}

/* --------------------------------------------------------------- goals --- */

static void offer(dlg_t *d, int next);

static void ask(dlg_t *d, ctn_expect_e what, ctn_phrase_e question)
{
    d->st->stage = CTN_STAGE_COLLECT;
    d->st->expecting = what;
    say(d, question);
}

/* The callback number. A number the caller said wins; otherwise the
 * number they call from is read back ("I have 312-555-0142 as your
 * callback number.") — unless `quiet`, when a later line reads it — and
 * the caller can correct it in their next answer. With no caller ID, or
 * when they said it is not theirs, Cortana asks for one. Returns 1 when
 * settled, else asks and returns 0. */
static int settle_callback(dlg_t *d, int quiet)
{
    ctn_dialog_state_t *st = d->st;

    if (st->callback_confirmed) {
        return 1;
    }
    if (st->slots.callback_number) {
        st->callback_confirmed = 1;
        return 1;
    }
    if (d->ctx->caller_number && *d->ctx->caller_number && !st->caller_id_declined) {
        st->slots.callback_number = d->ctx->caller_number;
        st->callback_confirmed = 1;
        if (!quiet) {
            sayf(d, CTN_PH_CALLBACK_NOTE, spoken_number(d->pool, d->ctx->caller_number));
        }
        return 1;
    }
    ask(d, CTN_EXPECT_PHONE, CTN_PH_ASK_PHONE);
    return 0;
}

static void deliver_message(dlg_t *d)
{
    const ctn_dialog_tools_t *tools = d->ctx->tools;

    if (tools->take_message(tools->baton, d->pool, &d->st->slots) != APR_SUCCESS) {
        voicemail(d, CTN_PH_MESSAGE_FAILED);
        return;
    }
    d->st->message_taken = 1;
    sayf(d, CTN_PH_MESSAGE_TAKEN, spoken_number(d->pool, d->st->slots.callback_number));
    anything_else(d);
}

/* Ask for the next missing slot of the goal, or act when none is missing. */
static void advance(dlg_t *d)
{
    ctn_dialog_state_t *st = d->st;
    ctn_slots_t *s = &st->slots;

    switch (st->goal) {
    case CTN_GOAL_MESSAGE:
        if (!s->name) {
            ask(d, CTN_EXPECT_NAME, CTN_PH_ASK_NAME);
        } else if (!s->message) {
            ask(d, CTN_EXPECT_MESSAGE, CTN_PH_ASK_MESSAGE);
        } else if (settle_callback(d, 1)) {
            deliver_message(d);
        }
        return;
    case CTN_GOAL_EMERGENCY:
        /* The technician was alerted already; these help them find the caller. */
        if (!s->address) {
            ask(d, CTN_EXPECT_ADDRESS, CTN_PH_ASK_ADDRESS_EMERGENCY);
        } else if (!s->name) {
            ask(d, CTN_EXPECT_NAME, CTN_PH_ASK_NAME_EMERGENCY);
        } else {
            s->when.asap = 1;
            s->when_given = 1;
            offer(d, 0);
        }
        return;
    case CTN_GOAL_AREA:
        ask(d, CTN_EXPECT_NONE, CTN_PH_AREA_ASK);
        return;
    case CTN_GOAL_BOOK:
        if (!s->problem) {
            ask(d, CTN_EXPECT_PROBLEM, CTN_PH_ASK_PROBLEM);
        } else if (!s->name) {
            ask(d, CTN_EXPECT_NAME, CTN_PH_ASK_NAME);
        } else if (!s->address) {
            ask(d, CTN_EXPECT_ADDRESS, CTN_PH_ASK_ADDRESS);
        } else if (!settle_callback(d, 0)) {
            return;
        } else if (!s->when_given) {
            ask(d, CTN_EXPECT_TIME, CTN_PH_ASK_TIME);
        } else {
            offer(d, 0);
        }
        return;
    case CTN_GOAL_NONE:
    default:
        st->stage = CTN_STAGE_OPEN;
        st->expecting = CTN_EXPECT_NONE;
        say(d, CTN_PH_HOW_HELP);
        return;
    }
}

/* Booking failed or was declined: the team will call back. An emergency
 * caller needs no message — the technician already has the call, or, when
 * nobody could be alerted, the call log has the caller's details. */
static void fall_back_to_message(dlg_t *d, ctn_phrase_e why)
{
    if (d->st->goal == CTN_GOAL_EMERGENCY) {
        say(d, d->st->dispatched ? CTN_PH_EMERGENCY_VISIT : CTN_PH_EMERGENCY_CALLBACK);
        anything_else(d);
        return;
    }
    say(d, why);
    d->st->goal = CTN_GOAL_MESSAGE;
    if (!d->st->slots.message && d->st->slots.problem) {
        d->st->slots.message = d->st->slots.problem;
    }
    advance(d);
}

/* No time preference: the soonest. */
static void reset_when(ctn_slots_t *s)
{
    memset(&s->when, 0, sizeof(s->when));
    s->when.day_offset = -1;
    s->when.weekday = -1;
    s->when_given = 0;
}

static int specific_time(const ctn_time_pref_t *t)
{
    return t->day_offset >= 0 || t->weekday >= 0 || t->part != CTN_DAYPART_ANY;
}

/* Offer the soonest free slot for the preference (or the one after the
 * slot on offer); nothing then widens to the soonest at all. */
static void offer(dlg_t *d, int next)
{
    const ctn_dialog_tools_t *tools = d->ctx->tools;
    ctn_dialog_state_t *st = d->st;
    apr_array_header_t *slots = NULL;
    apr_time_t not_before = next ? st->offered.start + 1 : 0;

    if (tools->find_slots(tools->baton, d->pool, &st->slots.when, not_before, &slots) !=
        APR_SUCCESS) {
        fall_back_to_message(d, CTN_PH_SCHEDULE_DOWN);
        return;
    }
    if ((slots == NULL || slots->nelts == 0) && specific_time(&st->slots.when)) {
        say(d, CTN_PH_NOTHING_THEN);
        reset_when(&st->slots);
        st->slots.when.asap = 1;
        st->slots.when_given = 1;
        slots = NULL;
        if (tools->find_slots(tools->baton, d->pool, &st->slots.when, not_before, &slots) !=
            APR_SUCCESS) {
            fall_back_to_message(d, CTN_PH_SCHEDULE_DOWN);
            return;
        }
    }
    if (slots == NULL || slots->nelts == 0) {
        fall_back_to_message(d, CTN_PH_NO_OPENINGS);
        return;
    }
    st->offered = APR_ARRAY_IDX(slots, 0, ctn_slot_t);
    st->stage = CTN_STAGE_OFFER;
    st->expecting = CTN_EXPECT_NONE;
    sayf(d, next ? CTN_PH_OFFER_NEXT : CTN_PH_OFFER_FIRST, say_slot(d, st->offered.start));
}

static void book(dlg_t *d)
{
    const ctn_dialog_tools_t *tools = d->ctx->tools;
    ctn_dialog_state_t *st = d->st;
    const char *id = NULL;
    apr_status_t rv;

    if (!st->slots.callback_number) {
        st->slots.callback_number = d->ctx->caller_number;
    }
    rv = tools->book(tools->baton, d->pool, &st->slots, &st->offered, &id);
    if (rv == APR_EEXIST) {
        say(d, CTN_PH_SLOT_TAKEN);
        offer(d, 1);
        return;
    }
    if (rv != APR_SUCCESS || id == NULL) {
        fall_back_to_message(d, CTN_PH_BOOK_FAILED);
        return;
    }
    st->appointment_id = apr_pstrdup(d->pool, id);
    sayf(d, CTN_PH_BOOKED,
         st->slots.name ? st->slots.name : ctn_dialog_phrase(CTN_PH_THEN, lang_of(d)),
         say_slot(d, st->offered.start), st->slots.address ? st->slots.address : "");
    anything_else(d);
}

/* ----------------------------------------------------------- questions --- */

/* Spanish trade words and the English words of service names they stand
 * for: owners name their services in English ("Drain cleaning"), so a
 * Spanish caller's "destapar un drenaje" must count as "drain". Matched on
 * the word's prefix (normalised, accents folded); an entry may give two
 * English words ("calentador" is the heater of "water heater"). `say`, when
 * set, is how a Spanish line names `en` (or, for a two-word entry, the two
 * English words side by side), with its article. */
static const struct {
    const char *es, *en, *en2, *say;
} trade_words[] = {
    {"destap", "drain", "clean", NULL},
    {"drenaj", "drain", NULL, "el drenaje"},
    {"desagu", "drain", NULL, NULL},
    {"coladera", "drain", NULL, NULL},
    {"limpi", "clean", NULL, "la limpieza"},
    {"calentador", "heater", "water", "el calentador de agua"},
    {"agua", "water", NULL, "el agua"},
    {"instal", "install", NULL, "la instalación"},
    {"inodoro", "toilet", NULL, "el inodoro"},
    {"excusado", "toilet", NULL, NULL},
    {"tuberi", "pipe", NULL, "la tubería"},
    {"tubo", "pipe", NULL, NULL},
    {"cano", "pipe", NULL, NULL},
    {"fuga", "leak", NULL, "la fuga"},
    {"gotea", "leak", NULL, NULL},
    {"repar", "repair", NULL, "la reparación"},
    {"arregl", "repair", NULL, NULL},
    {"reemplaz", "replace", NULL, "el reemplazo"},
    {"cambi", "replace", NULL, NULL},
    {"fregadero", "sink", NULL, "el fregadero"},
    {"lavabo", "sink", NULL, NULL},
    {"lavamanos", "sink", NULL, NULL},
    {"triturador", "disposal", NULL, "el triturador"},
    {"alcantarill", "sewer", NULL, "el alcantarillado"},
    {"mantenimiento", "maintenance", NULL, "el mantenimiento"},
    {"inspecc", "inspection", NULL, "la inspección"},
    {"revision", "inspection", NULL, NULL},
    {"visita", "service", "call", "la visita"},
    {"bomba", "pump", NULL, "la bomba"},
    {"sumidero", "sump", NULL, "el sumidero"},
    {"calefaccion", "heating", NULL, "la calefacción"},
    {"horno", "furnace", NULL, "el horno"},
    {"caldera", "boiler", NULL, "la caldera"},
    {"aire", "air", NULL, NULL},
    {"acondicionado", "conditioning", "air", "el aire acondicionado"},
    {"cerradur", "lock", NULL, "la cerradura"},
    {"linea", "line", NULL, "la línea"},
};

/* `said` with the English words its Spanish trade words stand for added. */
static apr_array_header_t *with_trade_words(apr_array_header_t *said)
{
    int n = said->nelts;

    for (int k = 0; k < n; k++) {
        const char *w = APR_ARRAY_IDX(said, k, const char *);
        for (size_t t = 0; t < sizeof(trade_words) / sizeof(trade_words[0]); t++) {
            if (strncmp(w, trade_words[t].es, strlen(trade_words[t].es)) == 0) {
                APR_ARRAY_PUSH(said, const char *) = trade_words[t].en;
                if (trade_words[t].en2) {
                    APR_ARRAY_PUSH(said, const char *) = trade_words[t].en2;
                }
            }
        }
    }
    return said;
}

/* Whether the service-name word `word` is the English word `en` (compared
 * on up to five letters, as service_asked does: "cleaning" is "clean"). */
static int is_en_word(const char *word, const char *en)
{
    size_t n = strlen(en);

    return strncmp(word, en, n < 5 ? n : 5) == 0;
}

/* The Spanish for one unit of a service name ending at words[i]: a two-word
 * entry for words[i-1..i] ("service call"), else a one-word entry. NULL
 * when none; *used is how many words it took. */
static const char *spanish_unit(apr_array_header_t *words, int i, int *used)
{
    const char *w = APR_ARRAY_IDX(words, i, const char *);
    const char *prev = i > 0 ? APR_ARRAY_IDX(words, i - 1, const char *) : NULL;

    for (size_t t = 0; t < sizeof(trade_words) / sizeof(trade_words[0]); t++) {
        const char *en = trade_words[t].en, *en2 = trade_words[t].en2;
        if (!trade_words[t].say) {
            continue;
        }
        if (!en2 && is_en_word(w, en)) {
            *used = 1;
            return trade_words[t].say;
        }
        if (en2 && prev &&
            ((is_en_word(prev, en) && is_en_word(w, en2)) ||
             (is_en_word(prev, en2) && is_en_word(w, en)))) {
            *used = 2;
            return trade_words[t].say;
        }
    }
    return NULL;
}

/* How a Spanish line names a service the owner named in English: the
 * English compound read from its head ("Drain cleaning" is "La limpieza de
 * drenaje"), the head with its article and capitalised, as it starts the
 * sentence. The owner's name as written when a word has no entry. */
static const char *service_name_es(apr_pool_t *pool, const char *name)
{
    apr_array_header_t *words = ctn_text_words(pool, ctn_text_normalize(pool, name));
    const char *out = NULL;
    char *said;

    for (int i = words->nelts - 1; i >= 0;) {
        int used = 0;
        const char *unit = spanish_unit(words, i, &used);
        if (!unit) {
            return name;
        }
        if (!out) {
            out = unit;
        } else {
            out = apr_pstrcat(pool, out, " de ", strchr(unit, ' ') + 1, NULL);
        }
        i -= used;
    }
    if (!out) {
        return name;
    }
    said = apr_pstrdup(pool, out);
    said[0] = (char)apr_toupper(said[0]);
    return said;
}

/* The service the caller asks about: the one with most name words (four
 * letters or more, compared on their first five, so "install" finds
 * "installation") in the utterance, Spanish trade words counting as their
 * English names. */
static json_object *service_asked(dlg_t *d)
{
    apr_array_header_t *said =
        with_trade_words(ctn_text_words(d->pool, ctn_text_normalize(d->pool, d->text)));
    json_object *services = d->ctx->services, *best = NULL;
    int best_score = 0;

    for (size_t i = 0;
         json_object_is_type(services, json_type_array) && i < json_object_array_length(services);
         i++) {
        json_object *svc = json_object_array_get_idx(services, i), *name = NULL;
        apr_array_header_t *words;
        int score = 0;

        if (!json_object_object_get_ex(svc, "name", &name)) {
            continue;
        }
        words = ctn_text_words(d->pool, ctn_text_normalize(d->pool, json_object_get_string(name)));
        for (int w = 0; w < words->nelts; w++) {
            const char *word = APR_ARRAY_IDX(words, w, const char *);
            if (strlen(word) < 4) {
                continue;
            }
            for (int k = 0; k < said->nelts; k++) {
                if (strncmp(APR_ARRAY_IDX(said, k, const char *), word, 5) == 0) {
                    score++;
                    break;
                }
            }
        }
        if (score > best_score) {
            best = svc, best_score = score;
        }
    }
    return best;
}

static int member_int(json_object *o, const char *key, int *out)
{
    json_object *v = NULL;

    if (o && json_object_object_get_ex(o, key, &v) &&
        (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))) {
        *out = json_object_get_int(v);
        return 1;
    }
    return 0;
}

/* Prices from the services and pricing notes, as the price policy allows:
 * "never" gives no number at all (nor the notes, which may hold some). */
static void answer_price(dlg_t *d)
{
    json_object *svc, *name = NULL, *notes = NULL, *note = NULL;
    int lo = 0, hi = 0, has_lo, has_hi, fee = 0;

    if (d->pers->price_policy == CTN_PRICE_NEVER) {
        say(d, CTN_PH_PRICE_NEVER);
        return;
    }
    svc = service_asked(d);
    has_lo = member_int(svc, "price_min", &lo);
    has_hi = member_int(svc, "price_max", &hi);
    if (svc && has_lo && json_object_object_get_ex(svc, "name", &name)) {
        const char *what = json_object_get_string(name);
        if (lang_of(d) == CTN_LANG_ES) {
            what = service_name_es(d->pool, what);
        }
        if (!has_hi || hi == lo) {
            sayf(d, CTN_PH_PRICE_EXACT, what, lo);
        } else if (d->pers->price_policy == CTN_PRICE_EXACT) {
            sayf(d, CTN_PH_PRICE_FROM, what, lo);
        } else {
            sayf(d, CTN_PH_PRICE_RANGE, what, lo, hi);
        }
    } else {
        say(d, CTN_PH_PRICE_DEPENDS);
    }
    if (d->ctx->pricing && json_object_object_get_ex(d->ctx->pricing, "notes", &notes) &&
        json_object_object_get_ex(notes, ctn_language_code(lang_of(d)), &note) &&
        json_object_is_type(note, json_type_string)) {
        APR_ARRAY_PUSH(d->r->lines, const char *) = json_object_get_string(note);
    } else if (member_int(d->ctx->pricing, "service_call_fee", &fee)) {
        sayf(d, CTN_PH_PRICE_FEE, fee);
    }
}

/* 1 in the area, 0 outside, -1 unknown (no listed city nor ZIP code named). */
static int in_service_area(dlg_t *d)
{
    json_object *area = d->ctx->service_area, *zips = NULL, *cities = NULL;
    apr_array_header_t *words = ctn_text_words(d->pool, ctn_text_normalize(d->pool, d->text));
    ctn_slots_t said;

    if (json_object_object_get_ex(area, "cities", &cities)) {
        for (size_t i = 0;
             json_object_is_type(cities, json_type_array) && i < json_object_array_length(cities);
             i++) {
            const char *city = ctn_text_normalize(
                d->pool, json_object_get_string(json_object_array_get_idx(cities, i)));
            if (*city && ctn_text_find(words, city, 0) >= 0) {
                return 1;
            }
        }
    }
    ctn_slots_init(&said);
    ctn_slots_extract(&said, d->pool, d->text, CTN_EXPECT_NONE);
    if (said.zip == NULL) {
        return -1;
    }
    if (d->st->slots.zip == NULL) {
        d->st->slots.zip = said.zip;
    }
    if (json_object_object_get_ex(area, "zips", &zips)) {
        for (size_t i = 0;
             json_object_is_type(zips, json_type_array) && i < json_object_array_length(zips);
             i++) {
            const char *zip = json_object_get_string(json_object_array_get_idx(zips, i));
            if (zip && strcmp(zip, said.zip) == 0) {
                return 1;
            }
        }
    }
    return 0;
}

/* Answer a question. `side`: it came in the middle of a goal, whose
 * pending question the caller asks again next. Returns 1 when answered,
 * 0 when it led somewhere else (a ZIP code asked for, a message offered). */
static int answer_question(dlg_t *d, ctn_intent_e intent, int side)
{
    const ctn_dialog_tools_t *tools = d->ctx->tools;
    const char *answer = NULL;
    int area;

    switch (intent) {
    case CTN_INTENT_PRICE:
        answer_price(d);
        break;
    case CTN_INTENT_ARRIVAL:
        /* The visit this call arranged, not the opening hours. */
        if (d->st->appointment_id && d->st->offered.start) {
            sayf(d, CTN_PH_ARRIVAL_BOOKED, say_slot(d, d->st->offered.start));
        } else {
            say(d, CTN_PH_ARRIVAL_DISPATCHED);
        }
        break;
    case CTN_INTENT_HOURS:
        sayf(d, CTN_PH_HOURS, tools->say_hours(tools->baton, d->pool, lang_of(d)));
        break;
    case CTN_INTENT_SERVICE_AREA:
        if (d->ctx->service_area == NULL) {
            return answer_question(d, CTN_INTENT_QUESTION, side);
        }
        area = in_service_area(d);
        if (area < 0) {
            if (side) {
                say(d, CTN_PH_AREA_ASK_LATER);
                return 1;
            }
            d->st->goal = CTN_GOAL_AREA;
            advance(d);
            return 0;
        }
        say(d, area ? CTN_PH_AREA_YES : CTN_PH_AREA_NO);
        break;
    case CTN_INTENT_QUESTION:
    default:
        if (tools->kb_search(tools->baton, d->pool, d->text, lang_of(d), &answer) != APR_SUCCESS ||
            answer == NULL || *answer == '\0') {
            /* Honest: no guessing. */
            if (side) {
                say(d, CTN_PH_KB_MISS_SHORT);
                return 1;
            }
            propose(d, CTN_GOAL_MESSAGE, CTN_PH_KB_MISS);
            return 0;
        }
        /* The owner's words, read as they are. */
        APR_ARRAY_PUSH(d->r->lines, const char *) = answer;
        break;
    }
    d->st->question_answered = 1;
    return 1;
}

static int is_question(ctn_intent_e intent)
{
    return intent == CTN_INTENT_PRICE || intent == CTN_INTENT_HOURS ||
           intent == CTN_INTENT_SERVICE_AREA || intent == CTN_INTENT_QUESTION ||
           intent == CTN_INTENT_ARRIVAL;
}

/* Where a second question may start in `text` at `s` ("… and are you open
 * Saturday?", "…? ¿Y abren…"): the length of the separator, 0: none. */
static apr_size_t question_break(const char *text, const char *s)
{
    static const char *const joins[] = {"and", "y", "also", "tambien", NULL};

    if (*s == '?' || *s == ';' || *s == '.') {
        return 1;
    }
    if (s == text || s[-1] != ' ') {
        return 0;
    }
    for (int i = 0; joins[i]; i++) {
        apr_size_t n = strlen(joins[i]);
        if (strncasecmp(s, joins[i], n) == 0 && s[n] == ' ') {
            return n;
        }
    }
    return 0;
}

/* Answer the question(s) of this turn: two different questions in one
 * utterance ("how much is drain cleaning and are you open Saturday?") are
 * both answered, each from its own part, in order. Only question turns
 * are split, at the first break whose two sides ask different questions
 * (a few cue scans); one question with a day in it stays one. `priced`:
 * a price was asked (a booking is offered after). Returns as
 * answer_question. */
static int answer_questions(dlg_t *d, ctn_intent_e intent, int side, int *priced)
{
    int arranged = d->st->appointment_id != NULL || d->st->dispatched;
    const char *text = d->text;
    int breaks = 0;

    *priced = intent == CTN_INTENT_PRICE;
    for (const char *s = text; *s && breaks < 4; s++) {
        apr_size_t n = question_break(text, s);
        const char *first, *second;
        ctn_intent_e i1, i2;
        int ok;

        if (n == 0) {
            continue;
        }
        breaks++;
        first = apr_pstrmemdup(d->pool, text, (apr_size_t)(s - text));
        second = s + n;
        i1 = ctn_intent_classify_arranged(d->pool, first, arranged);
        i2 = ctn_intent_classify_arranged(d->pool, second, arranged);
        if (!is_question(i1) || !is_question(i2) || i1 == i2) {
            s += n - 1;
            continue;
        }
        d->text = first;
        ok = answer_question(d, i1, side);
        d->text = second;
        ok = ok && answer_question(d, i2, side);
        d->text = text;
        *priced = i1 == CTN_INTENT_PRICE || i2 == CTN_INTENT_PRICE;
        return ok;
    }
    return answer_question(d, intent, side);
}

/* --------------------------------------------------------- emergencies --- */

static void emergency(dlg_t *d, const char *category)
{
    const ctn_dialog_tools_t *tools = d->ctx->tools;
    ctn_dialog_state_t *st = d->st;

    st->emergency = 1;
    st->emergency_category = apr_pstrdup(d->pool, category);
    st->goal = CTN_GOAL_EMERGENCY;
    if (!st->slots.callback_number) {
        st->slots.callback_number = d->ctx->caller_number;
    }
    if (!st->dispatch_tried) {
        /* Exactly once per call, before anything else is asked: the
         * technician gets the caller's number now, the address later. */
        st->dispatch_tried = 1;
        st->dispatched =
            tools->dispatch(tools->baton, d->pool, &st->slots, category) == APR_SUCCESS;
    }
    say(d, st->dispatched ? CTN_PH_EMERGENCY_DISPATCHED : CTN_PH_EMERGENCY_NOT_DISPATCHED);
    if (strcmp(category, "gas_leak") == 0 || strcmp(category, "carbon_monoxide") == 0) {
        say(d, CTN_PH_SAFETY_GAS);
    } else if (strcmp(category, "electrical_hazard") == 0) {
        say(d, CTN_PH_SAFETY_ELECTRICAL);
    }
    advance(d);
}

/* ------------------------------------------------------------- prompts --- */

/* Ask again whatever is pending; `second` gives more help. */
static void ask_pending(dlg_t *d, int second)
{
    ctn_dialog_state_t *st = d->st;

    switch (st->stage) {
    case CTN_STAGE_OFFER:
        sayf(d, CTN_PH_OFFER_AGAIN, say_slot(d, st->offered.start));
        say(d, CTN_PH_YES_OR_NO);
        return;
    case CTN_STAGE_COLLECT:
        if (st->expecting == CTN_EXPECT_PHONE) {
            ask(d, CTN_EXPECT_PHONE, CTN_PH_ASK_PHONE);
        } else {
            advance(d);
        }
        return;
    case CTN_STAGE_ANYTHING_ELSE:
        say(d, st->goal == CTN_GOAL_BOOK      ? CTN_PH_OFFER_BOOK
               : st->goal == CTN_GOAL_MESSAGE ? CTN_PH_WANT_MESSAGE
                                              : CTN_PH_ANYTHING_ELSE);
        return;
    case CTN_STAGE_OPEN:
    default:
        say(d, CTN_PH_HOW_HELP);
        if (second) {
            say(d, CTN_PH_EXAMPLES);
        }
        return;
    }
}

/* Silence or not understood: ask again, in other words the second time;
 * the third time take a recorded message. */
static void reprompt(dlg_t *d, int silence)
{
    d->reprompted = 1;
    if (++d->st->reprompts > MAX_REPROMPTS) {
        voicemail(d, CTN_PH_VOICEMAIL);
        return;
    }
    if (d->st->reprompts == 1) {
        say(d, silence ? CTN_PH_SILENCE_1 : CTN_PH_NOMATCH_1);
    } else {
        say(d, silence ? CTN_PH_SILENCE_2 : CTN_PH_NOMATCH_2);
    }
    ask_pending(d, d->st->reprompts == 2);
}

/* ------------------------------------------------------------- intents --- */

/* Requests that take over whatever is going on. Returns 1 when handled. */
static int take_over(dlg_t *d, ctn_intent_e intent)
{
    ctn_dialog_state_t *st = d->st;

    switch (intent) {
    case CTN_INTENT_SPAM:
        st->spam = 1;
        say(d, ctn_intent_wrong_number(d->pool, d->text) ? CTN_PH_WRONG_NUMBER : CTN_PH_SPAM);
        d->r->action = CTN_DIALOG_HANGUP;
        st->stage = CTN_STAGE_DONE;
        st->expecting = CTN_EXPECT_NONE;
        return 1;
    case CTN_INTENT_GOODBYE:
        end_call(d);
        return 1;
    case CTN_INTENT_HUMAN:
        /* After hours the owner is not to be woken for a non-emergency. */
        if (d->ctx->owner_phone && *d->ctx->owner_phone && !d->ctx->after_hours) {
            say(d, CTN_PH_TRANSFER);
            d->r->action = CTN_DIALOG_TRANSFER;
            d->r->transfer_to = d->ctx->owner_phone;
            st->transferred = 1;
            st->stage = CTN_STAGE_DONE;
            st->expecting = CTN_EXPECT_NONE;
            return 1;
        }
        say(d, d->ctx->after_hours ? CTN_PH_CLOSED_NOBODY : CTN_PH_NOBODY);
        st->goal = CTN_GOAL_MESSAGE;
        advance(d);
        return 1;
    case CTN_INTENT_MESSAGE:
        if (st->goal == CTN_GOAL_MESSAGE) {
            return 0;
        }
        say(d, CTN_PH_MESSAGE_START);
        st->goal = CTN_GOAL_MESSAGE;
        advance(d);
        return 1;
    default:
        return 0;
    }
}

static void start_booking(dlg_t *d)
{
    say_text(d, ctn_personality_ack(d->pers, lang_of(d)));
    if (d->ctx->after_hours) {
        say(d, CTN_PH_AFTER_HOURS_BOOK);
    }
    d->st->goal = CTN_GOAL_BOOK;
    advance(d);
}

/* A new request, in the open stage. */
static void open_request(dlg_t *d, ctn_intent_e intent)
{
    if (take_over(d, intent)) {
        return;
    }
    switch (intent) {
    case CTN_INTENT_NO:
        end_call(d);
        return;
    case CTN_INTENT_YES:
        d->st->stage = CTN_STAGE_OPEN;
        say(d, CTN_PH_WHAT_ELSE);
        return;
    case CTN_INTENT_BOOK:
        start_booking(d);
        return;
    case CTN_INTENT_PRICE:
    case CTN_INTENT_HOURS:
    case CTN_INTENT_SERVICE_AREA:
    case CTN_INTENT_QUESTION:
    case CTN_INTENT_ARRIVAL: {
        /* A price asked is followed by the offer of a booking. */
        int priced;
        if (answer_questions(d, intent, 0, &priced)) {
            if (priced) {
                propose(d, CTN_GOAL_BOOK, CTN_PH_OFFER_BOOK);
            } else {
                anything_else(d);
            }
        }
        return;
    }
    default:
        break;
    }
    /* A described problem without a cue ("my water heater is leaking") is a booking. */
    if (d->st->slots.problem) {
        start_booking(d);
        return;
    }
    reprompt(d, 0);
}

/* -------------------------------------------------------------- stages --- */

/* Whether what was asked has been answered. */
static int answered(const dlg_t *d, ctn_expect_e what)
{
    const ctn_slots_t *s = &d->st->slots;

    switch (what) {
    case CTN_EXPECT_NAME:
        return s->name != NULL;
    case CTN_EXPECT_ADDRESS:
        return s->address != NULL;
    case CTN_EXPECT_PROBLEM:
        return s->problem != NULL;
    case CTN_EXPECT_TIME:
        return s->when_given;
    case CTN_EXPECT_MESSAGE:
        return s->message != NULL;
    case CTN_EXPECT_PHONE:
        return s->callback_number != NULL;
    default:
        return 1;
    }
}

static void on_collect(dlg_t *d, ctn_intent_e intent, ctn_intent_e yn)
{
    ctn_dialog_state_t *st = d->st;
    ctn_expect_e what = st->expecting;

    if (what != CTN_EXPECT_MESSAGE && take_over(d, intent)) {
        return;
    }
    if (st->goal == CTN_GOAL_AREA) {
        int area = in_service_area(d);
        if (area < 0) {
            reprompt(d, 0);
            return;
        }
        say(d, area ? CTN_PH_AREA_YES : CTN_PH_AREA_NO);
        st->question_answered = 1;
        anything_else(d);
        return;
    }
    if (d->new_address) {
        /* "No wait, it's 1430 Oak Street": the address corrected (not a
         * "no" to the number read back), read back, then on. */
        sayf(d, CTN_PH_ADDRESS_NOTE, st->slots.address);
        advance(d);
        return;
    }
    if (what == CTN_EXPECT_TIME && !answered(d, what) && yn == CTN_INTENT_NO &&
        st->slots.callback_number && d->ctx->caller_number &&
        strcmp(st->slots.callback_number, d->ctx->caller_number) == 0) {
        /* "No" to "when would you like us?" right after the caller's number
         * was read back: that is not the number to call. */
        st->caller_id_declined = 1;
        st->callback_confirmed = 0;
        st->slots.callback_number = NULL;
        ask(d, CTN_EXPECT_PHONE, CTN_PH_ASK_PHONE);
        return;
    }
    if (what == CTN_EXPECT_TIME && !answered(d, what) && yn == CTN_INTENT_YES) {
        /* "Yes" to "I can look for the soonest opening": the soonest. */
        st->slots.when.asap = 1;
        st->slots.when_given = 1;
    }
    if (!answered(d, what) && d->new_number && what != CTN_EXPECT_MESSAGE) {
        /* A number given instead of the answer: noted, then asked again. */
        st->callback_confirmed = 1;
        sayf(d, CTN_PH_CALLBACK_NOTE, spoken_number(d->pool, st->slots.callback_number));
        advance(d);
        return;
    }
    if (!answered(d, what)) {
        if (is_question(intent)) {
            /* A question in the middle: answer it, then ask again. */
            int priced;
            answer_questions(d, intent, 1, &priced);
            ask_pending(d, 0);
            return;
        }
        reprompt(d, 0);
        return;
    }
    if (what == CTN_EXPECT_PHONE) {
        st->callback_confirmed = 1;
    }
    advance(d);
}

static void on_offer(dlg_t *d, ctn_intent_e intent, ctn_intent_e yn, int new_time)
{
    ctn_dialog_state_t *st = d->st;

    if (d->new_address && yn != CTN_INTENT_YES) {
        /* "No, sorry, it's 310 Clark": the address corrected, not the slot
         * declined; the same slot offered again. */
        sayf(d, CTN_PH_ADDRESS_NOTE, st->slots.address);
        if (new_time) {
            offer(d, 0);
        } else {
            sayf(d, CTN_PH_OFFER_AGAIN, say_slot(d, st->offered.start));
        }
        return;
    }
    /* "No, do you have anything Thursday?": a new preference, search again. */
    if (yn != CTN_INTENT_YES && new_time) {
        offer(d, 0);
        return;
    }
    if (yn == CTN_INTENT_YES) {
        d->r->intent = "yes";
        book(d);
        return;
    }
    if (yn == CTN_INTENT_NO) {
        d->r->intent = "no";
        if (++st->offers_declined >= DECLINES_ALLOWED) {
            fall_back_to_message(d, CTN_PH_DECLINED);
        } else {
            offer(d, 1);
        }
        return;
    }
    if (take_over(d, intent)) {
        return;
    }
    if (is_question(intent)) {
        int priced;
        answer_questions(d, intent, 1, &priced);
        ask_pending(d, 0);
        return;
    }
    reprompt(d, 0);
}

static void on_anything_else(dlg_t *d, ctn_intent_e intent, ctn_intent_e yn)
{
    ctn_dialog_state_t *st = d->st;

    if (yn == CTN_INTENT_NO || intent == CTN_INTENT_GOODBYE) {
        end_call(d);
        return;
    }
    if (yn == CTN_INTENT_YES && (intent == CTN_INTENT_YES || intent == CTN_INTENT_UNKNOWN)) {
        if (st->goal == CTN_GOAL_BOOK) {
            start_booking(d);
        } else if (st->goal == CTN_GOAL_MESSAGE) {
            say(d, CTN_PH_MESSAGE_START);
            advance(d);
        } else {
            st->stage = CTN_STAGE_OPEN;
            say(d, CTN_PH_WHAT_ELSE);
        }
        return;
    }
    st->goal = CTN_GOAL_NONE;
    st->stage = CTN_STAGE_OPEN;
    open_request(d, intent);
}

/* --------------------------------------------------------------- hints --- */

/* The business's service names, then the words likely in the answer. */
static const char *hints_for(dlg_t *d)
{
    const ctn_dialog_state_t *st = d->st;
    json_object *services = d->ctx->services;
    const char *what = "open", *out = NULL;

    if (st->stage == CTN_STAGE_OFFER || st->stage == CTN_STAGE_ANYTHING_ELSE) {
        what = "yes_no";
    } else if (st->expecting == CTN_EXPECT_PHONE) {
        what = "phone";
    } else if (st->expecting == CTN_EXPECT_ADDRESS) {
        what = "address";
    } else if (st->expecting == CTN_EXPECT_TIME) {
        what = "time";
    }
    for (size_t i = 0;
         json_object_is_type(services, json_type_array) && i < json_object_array_length(services);
         i++) {
        json_object *name = NULL;
        if (json_object_object_get_ex(json_object_array_get_idx(services, i), "name", &name)) {
            out = out ? apr_pstrcat(d->pool, out, ",", json_object_get_string(name), NULL)
                      : json_object_get_string(name);
        }
    }
    return out ? apr_pstrcat(d->pool, out, ",", ctn_dialog_phrase_hints(what, lang_of(d)), NULL)
               : ctn_dialog_phrase_hints(what, lang_of(d));
}

/* --------------------------------------------------------------- turns --- */

static void begin(dlg_t *d, ctn_dialog_reply_t *r, apr_pool_t *pool, ctn_dialog_state_t *st,
                  const ctn_dialog_context_t *ctx)
{
    ctn_personality_t *pers = NULL;

    memset(d, 0, sizeof(*d));
    memset(r, 0, sizeof(*r));
    d->r = r, d->pool = pool, d->st = st, d->ctx = ctx;
    /* A malformed personality falls back to its defaults; warning about it
     * is for whoever loads the business, not for every turn. */
    (void)ctn_personality_parse(&pers, pool, ctx->personality, ctx->business_name, NULL);
    d->pers = pers;
    r->lines = apr_array_make(pool, 4, sizeof(const char *));
    r->action = CTN_DIALOG_GATHER;
    r->intent = "none";
}

static void end(dlg_t *d)
{
    ctn_dialog_reply_t *r = d->r;

    if (!d->reprompted) {
        d->st->reprompts = 0;
    }
    r->lang = lang_of(d);
    r->voice = ctn_personality_voice(d->pers, r->lang);
    r->expecting = r->action == CTN_DIALOG_GATHER ? d->st->expecting : CTN_EXPECT_NONE;
    r->hints = r->action == CTN_DIALOG_GATHER ? hints_for(d) : NULL;
    d->st->last_intent = r->intent;
}

apr_status_t ctn_dialog_start(ctn_dialog_reply_t *reply, apr_pool_t *pool, ctn_dialog_state_t *st,
                              const ctn_dialog_context_t *ctx)
{
    dlg_t d;

    if (reply == NULL || pool == NULL || st == NULL || ctx == NULL || ctx->tools == NULL) {
        return APR_EINVAL;
    }
    begin(&d, reply, pool, st, ctx);
    if (!ctn_personality_speaks(d.pers, st->lang.current)) {
        ctn_language_state_init(&st->lang, d.pers->default_lang);
    }
    say_text(&d, ctn_personality_greeting(d.pers, pool, st->lang.current));
    if (ctx->after_hours) {
        say(&d, CTN_PH_AFTER_HOURS);
    }
    st->stage = CTN_STAGE_OPEN;
    st->expecting = CTN_EXPECT_NONE;
    reply->intent = "greeting";
    end(&d);
    return APR_SUCCESS;
}

apr_status_t ctn_dialog_routed(ctn_dialog_reply_t *reply, apr_pool_t *pool, ctn_dialog_state_t *st,
                               const ctn_dialog_context_t *ctx, int busy)
{
    dlg_t d;

    if (reply == NULL || pool == NULL || st == NULL || ctx == NULL || ctx->tools == NULL) {
        return APR_EINVAL;
    }
    begin(&d, reply, pool, st, ctx);
    if (busy) {
        reply->intent = "message";
        voicemail(&d, CTN_PH_LINES_BUSY);
    } else {
        reply->intent = "spam";
        st->spam = 1;
        hang_up_after(&d, CTN_PH_BLOCKED);
    }
    end(&d);
    return APR_SUCCESS;
}

apr_status_t ctn_dialog_recorded(ctn_dialog_reply_t *reply, apr_pool_t *pool,
                                 ctn_dialog_state_t *st, const ctn_dialog_context_t *ctx)
{
    dlg_t d;

    if (reply == NULL || pool == NULL || st == NULL || ctx == NULL || ctx->tools == NULL) {
        return APR_EINVAL;
    }
    begin(&d, reply, pool, st, ctx);
    reply->intent = "message";
    hang_up_after(&d, CTN_PH_RECORDED);
    end(&d);
    return APR_SUCCESS;
}

apr_status_t ctn_dialog_transfer_unanswered(ctn_dialog_reply_t *reply, apr_pool_t *pool,
                                            ctn_dialog_state_t *st, const ctn_dialog_context_t *ctx)
{
    dlg_t d;

    if (reply == NULL || pool == NULL || st == NULL || ctx == NULL || ctx->tools == NULL) {
        return APR_EINVAL;
    }
    begin(&d, reply, pool, st, ctx);
    st->transferred = 0;
    reply->intent = "human";
    voicemail(&d, CTN_PH_TRANSFER_UNANSWERED);
    end(&d);
    return APR_SUCCESS;
}

/* The caller's words update the call's language (with hysteresis; the
 * first turn's words decide on less evidence, as the greeting's language
 * was only the business's default), but only to a language the business
 * speaks. */
static void observe_language(dlg_t *d, const char *utterance)
{
    ctn_dialog_state_t *st = d->st;
    ctn_language_state_t was = st->lang;

    if (!ctn_language_observe_call(&st->lang, utterance, st->turns == 1)) {
        return;
    }
    if (ctn_personality_speaks(d->pers, st->lang.current)) {
        d->r->language_switched = 1;
    } else {
        st->lang = was; /* the business does not take calls in it */
        st->lang.pending = 0;
    }
}

/* Slot extraction, minding what was asked: a bare answer counts for the
 * slot Cortana asked for, unless it is plainly something else — a question,
 * a request, a yes or a no — which must not become a name or a problem. */
static void extract(dlg_t *d, ctn_intent_e intent, ctn_intent_e yn)
{
    ctn_expect_e expecting = d->st->expecting;
    const char *number = d->st->slots.callback_number;
    const char *address = d->st->slots.address;

    if (d->st->stage != CTN_STAGE_COLLECT) {
        expecting = CTN_EXPECT_NONE;
    } else if (expecting != CTN_EXPECT_MESSAGE &&
               (is_question(intent) || intent == CTN_INTENT_HUMAN || intent == CTN_INTENT_SPAM ||
                intent == CTN_INTENT_GOODBYE || intent == CTN_INTENT_MESSAGE ||
                yn != CTN_INTENT_UNKNOWN)) {
        expecting = CTN_EXPECT_NONE;
    } else if (expecting == CTN_EXPECT_NAME &&
               ctn_text_words(d->pool, ctn_text_normalize(d->pool, d->text))->nelts >
                   NAME_MAX_WORDS) {
        expecting = CTN_EXPECT_NONE; /* a sentence: only "my name is …" counts */
    }
    ctn_slots_extract(&d->st->slots, d->pool, d->text, expecting);
    d->new_number = d->st->slots.callback_number != number;
    d->new_address = address && d->st->slots.address != address;
}

apr_status_t ctn_dialog_turn(ctn_dialog_reply_t *reply, apr_pool_t *pool, ctn_dialog_state_t *st,
                             const ctn_dialog_context_t *ctx, const char *utterance)
{
    ctn_emergency_match_t match;
    ctn_intent_e intent, yn;
    ctn_time_pref_t when_before;
    int when_given_before, new_time;
    dlg_t d;

    if (reply == NULL || pool == NULL || st == NULL || ctx == NULL || ctx->tools == NULL) {
        return APR_EINVAL;
    }
    begin(&d, reply, pool, st, ctx);
    st->turns++;
    if (utterance && *ctn_text_normalize(pool, utterance) != '\0') {
        d.text = utterance;
        observe_language(&d, utterance);
    }
    if (st->stage == CTN_STAGE_DONE) {
        end_call(&d);
        goto leave;
    }
    if (d.text == NULL) {
        reply->intent = "silence";
        reprompt(&d, 1);
        goto leave;
    }
    /* Emergencies first, whatever was asked. */
    memset(&match, 0, sizeof(match));
    if (ctn_emergency_detect(pool, utterance, ctx->emergency_rules, ctx->freezing, &match)) {
        reply->emergency = 1;
        if (!st->emergency) {
            reply->intent = "emergency";
            ctn_slots_extract(&st->slots, pool, utterance, CTN_EXPECT_NONE);
            emergency(&d, match.category);
            goto leave;
        }
    }
    intent =
        ctn_intent_classify_arranged(pool, utterance, st->appointment_id != NULL || st->dispatched);
    yn = ctn_intent_yes_no(pool, utterance);
    reply->intent = ctn_intent_name(intent);
    when_before = st->slots.when;
    when_given_before = st->slots.when_given;
    if (st->stage == CTN_STAGE_OFFER) {
        /* Only a preference said now counts, not the one being offered. */
        reset_when(&st->slots);
    }
    extract(&d, intent, yn);
    new_time = st->stage == CTN_STAGE_OFFER && st->slots.when_given;
    if (st->stage == CTN_STAGE_OFFER && !new_time) {
        st->slots.when = when_before;
        st->slots.when_given = when_given_before;
    }
    switch (st->stage) {
    case CTN_STAGE_OFFER:
        on_offer(&d, intent, yn, new_time);
        break;
    case CTN_STAGE_COLLECT:
        on_collect(&d, intent, yn);
        break;
    case CTN_STAGE_ANYTHING_ELSE:
        on_anything_else(&d, intent, yn);
        break;
    case CTN_STAGE_OPEN:
    default:
        open_request(&d, intent);
        break;
    }
leave:
    end(&d);
    return APR_SUCCESS;
}

/* ------------------------------------------------------------- handoff --- */

/* What Cortana's questions ask for, by cue phrases in both languages. The
 * built-in engine's own questions (dialog_phrases.c) are among them, so
 * whichever engine asked, the answer is read the same way. */
static const struct {
    ctn_expect_e what;
    const char *cue;
} asked_cues[] = {
    {CTN_EXPECT_NAME, "your name"},
    {CTN_EXPECT_NAME, "su nombre"},
    {CTN_EXPECT_NAME, "tu nombre"},
    {CTN_EXPECT_NAME, "who am i speaking"},
    {CTN_EXPECT_NAME, "con quien hablo"},
    {CTN_EXPECT_NAME, "como se llama"},
    {CTN_EXPECT_ADDRESS, "address"},
    {CTN_EXPECT_ADDRESS, "direccion"},
    {CTN_EXPECT_ADDRESS, "where are you located"},
    {CTN_EXPECT_ADDRESS, "where do you live"},
    {CTN_EXPECT_ADDRESS, "donde vive"},
    {CTN_EXPECT_ADDRESS, "donde se encuentra"},
    {CTN_EXPECT_PHONE, "phone number"},
    {CTN_EXPECT_PHONE, "callback number"},
    {CTN_EXPECT_PHONE, "best number"},
    {CTN_EXPECT_PHONE, "number to reach"},
    {CTN_EXPECT_PHONE, "reach you"},
    {CTN_EXPECT_PHONE, "numero de telefono"},
    {CTN_EXPECT_PHONE, "a que numero"},
    {CTN_EXPECT_PHONE, "numero de contacto"},
    {CTN_EXPECT_PROBLEM, "the problem"},
    {CTN_EXPECT_PROBLEM, "the issue"},
    {CTN_EXPECT_PROBLEM, "what seems"},
    {CTN_EXPECT_PROBLEM, "whats going on"},
    {CTN_EXPECT_PROBLEM, "what is going on"},
    {CTN_EXPECT_PROBLEM, "what happened"},
    {CTN_EXPECT_PROBLEM, "el problema"},
    {CTN_EXPECT_PROBLEM, "que paso"},
    {CTN_EXPECT_PROBLEM, "que esta pasando"},
    {CTN_EXPECT_TIME, "when would you like"},
    {CTN_EXPECT_TIME, "what time"},
    {CTN_EXPECT_TIME, "what day"},
    {CTN_EXPECT_TIME, "when works"},
    {CTN_EXPECT_TIME, "good time"},
    {CTN_EXPECT_TIME, "cuando le gustaria"},
    {CTN_EXPECT_TIME, "cuando le queda"},
    {CTN_EXPECT_TIME, "que dia"},
    {CTN_EXPECT_TIME, "que hora"},
    {CTN_EXPECT_MESSAGE, "what message"},
    {CTN_EXPECT_MESSAGE, "your message"},
    {CTN_EXPECT_MESSAGE, "que mensaje"},
    {CTN_EXPECT_MESSAGE, "su mensaje"},
};

ctn_expect_e ctn_dialog_asked(apr_pool_t *pool, const char *text)
{
    apr_array_header_t *words = ctn_text_words(pool, ctn_text_normalize(pool, text));
    ctn_expect_e what = CTN_EXPECT_NONE;
    int last = -1;

    for (size_t i = 0; i < sizeof(asked_cues) / sizeof(asked_cues[0]); i++) {
        /* The cue's last occurrence: a line may read one answer back and
         * ask the next question ("I have your address. What's your name?"). */
        for (int at = ctn_text_find(words, asked_cues[i].cue, 0); at >= 0;
             at = ctn_text_find(words, asked_cues[i].cue, at + 1)) {
            if (at > last) {
                last = at;
                what = asked_cues[i].what;
            }
        }
    }
    return what;
}

/* The requests a caller line can carry into the handoff, the last one
 * winning: a goal to pursue, or the end of the call. */
typedef struct recall_t {
    ctn_expect_e asked;   /* what Cortana's line before it asked for */
    ctn_intent_e request; /* book, message or human; UNKNOWN: none */
    ctn_intent_e ending;  /* goodbye or spam on the last caller line; UNKNOWN: none */
} recall_t;

/* One caller line of the realtime engine, weighed as a turn weighs it —
 * the emergency rules first, then intent and the slots for what was asked
 * — without acting on any of it: what was done is in the handoff. */
static void recall(dlg_t *d, recall_t *rc)
{
    ctn_dialog_state_t *st = d->st;
    ctn_emergency_match_t match;
    ctn_intent_e intent, yn;

    rc->ending = CTN_INTENT_UNKNOWN;
    memset(&match, 0, sizeof(match));
    if (ctn_emergency_detect(d->pool, d->text, d->ctx->emergency_rules, d->ctx->freezing, &match)) {
        if (!st->emergency) {
            st->emergency = 1;
            st->emergency_category = apr_pstrdup(d->pool, match.category);
        }
        ctn_slots_extract(&st->slots, d->pool, d->text, CTN_EXPECT_NONE);
        return;
    }
    intent = ctn_intent_classify(d->pool, d->text);
    yn = ctn_intent_yes_no(d->pool, d->text);
    /* extract() reads a bare answer for what was asked only while collecting. */
    st->stage = CTN_STAGE_COLLECT;
    st->expecting = rc->asked;
    extract(d, intent, yn);
    switch (intent) {
    case CTN_INTENT_BOOK:
    case CTN_INTENT_MESSAGE:
    case CTN_INTENT_HUMAN:
        rc->request = intent;
        break;
    case CTN_INTENT_GOODBYE:
    case CTN_INTENT_SPAM:
        rc->ending = intent;
        break;
    default:
        break;
    }
}

apr_status_t ctn_dialog_resume(ctn_dialog_reply_t *reply, apr_pool_t *pool, ctn_dialog_state_t *st,
                               const ctn_dialog_context_t *ctx, const ctn_dialog_handoff_t *h)
{
    const apr_array_header_t *lines = h ? h->lines : NULL;
    recall_t rc = {CTN_EXPECT_NONE, CTN_INTENT_UNKNOWN, CTN_INTENT_UNKNOWN};
    int heard = 0;
    dlg_t d;

    if (reply == NULL || pool == NULL || st == NULL || ctx == NULL || ctx->tools == NULL ||
        h == NULL) {
        return APR_EINVAL;
    }
    begin(&d, reply, pool, st, ctx);
    st->realtime = 0;
    for (int i = 0; lines && i < lines->nelts; i++) {
        const ctn_dialog_line_t *l = &APR_ARRAY_IDX(lines, i, ctn_dialog_line_t);
        if (l->speaker == NULL || l->text == NULL) {
            continue;
        }
        if (strcmp(l->speaker, "cortana") == 0) {
            rc.asked = ctn_dialog_asked(pool, l->text);
        } else if (strcmp(l->speaker, "caller") == 0 &&
                   *ctn_text_normalize(pool, l->text) != '\0') {
            heard++;
            st->turns++;
            d.text = l->text;
            observe_language(&d, l->text);
            recall(&d, &rc);
            rc.asked = CTN_EXPECT_NONE;
        }
    }
    d.text = NULL;
    /* What the realtime tools did is done: never again. A dispatch that
     * texted nobody (exhausted at once) was tried, not made. */
    if (h->dispatch_category) {
        st->emergency = st->dispatch_tried = 1;
        st->dispatched = h->dispatched != 0;
        if (*h->dispatch_category) {
            st->emergency_category = apr_pstrdup(pool, h->dispatch_category);
        }
    }
    st->emergency |= h->emergency;
    if (st->emergency && st->emergency_category == NULL) {
        st->emergency_category = "custom";
    }
    if (h->appointment_id) {
        st->appointment_id = apr_pstrdup(pool, h->appointment_id);
        st->slots.name = st->slots.name ? st->slots.name : h->booked.name;
        st->slots.address = st->slots.address ? st->slots.address : h->booked.address;
        st->slots.problem = st->slots.problem ? st->slots.problem : h->booked.problem;
        if (h->booked.callback_number) {
            st->slots.callback_number = h->booked.callback_number;
        }
    }
    st->message_taken |= h->message_taken;
    st->goal = CTN_GOAL_NONE;
    st->stage = CTN_STAGE_OPEN;
    st->expecting = CTN_EXPECT_NONE;
    st->reprompts = 0;
    reply->intent = "handoff";
    if (st->emergency && !st->dispatch_tried) {
        /* Recognised there, dispatched by nobody (the referee's job never
         * ran): the built-in referee does it now, before anything else. */
        say(&d, CTN_PH_HANDOFF);
        emergency(&d, st->emergency_category);
    } else if (rc.ending != CTN_INTENT_UNKNOWN) {
        take_over(&d, rc.ending); /* they were saying goodbye: let them go */
    } else {
        if (heard > 0 || st->emergency || st->appointment_id || st->message_taken) {
            say(&d, CTN_PH_HANDOFF);
        }
        if (st->appointment_id || st->message_taken) {
            anything_else(&d);
        } else if (st->emergency) {
            st->goal = CTN_GOAL_EMERGENCY;
            advance(&d);
        } else if (rc.request == CTN_INTENT_HUMAN || rc.request == CTN_INTENT_MESSAGE) {
            take_over(&d, rc.request);
        } else {
            st->goal =
                rc.request == CTN_INTENT_BOOK || st->slots.problem ? CTN_GOAL_BOOK : CTN_GOAL_NONE;
            advance(&d);
        }
    }
    end(&d);
    return APR_SUCCESS;
}

/* ------------------------------------------------------------- outcome --- */

const char *ctn_dialog_disposition(const ctn_dialog_state_t *st)
{
    if (st->dispatched) {
        return "emergency_dispatched";
    }
    if (st->appointment_id) {
        return "booked";
    }
    if (st->spam) {
        return "spam";
    }
    if (st->transferred) {
        return "transferred";
    }
    if (st->message_taken || st->emergency) {
        /* An emergency nobody on call could be alerted to: the caller waits
         * for the business's call back, as after a message. */
        return "message_taken";
    }
    if (st->question_answered) {
        return "question_answered";
    }
    return "abandoned";
}

const char *ctn_dialog_finish(ctn_dialog_state_t *st)
{
    st->stage = CTN_STAGE_DONE;
    st->expecting = CTN_EXPECT_NONE;
    return ctn_dialog_disposition(st);
}

const char *ctn_dialog_summary(apr_pool_t *pool, const ctn_dialog_state_t *st,
                               const char *disposition)
{
    const ctn_slots_t *s = &st->slots;
    apr_array_header_t *parts = apr_array_make(pool, 8, sizeof(const char *));

    APR_ARRAY_PUSH(parts, const char *) =
        apr_psprintf(pool, "%s call (%s).", ctn_language_code(st->lang.current),
                     disposition ? disposition : ctn_dialog_disposition(st));
    if (st->emergency) {
        APR_ARRAY_PUSH(parts, const char *) =
            /* The summary is written in English ("Caller:", "Callback:"),
             * whatever the call's language: so is the category. */
            apr_psprintf(pool, "Emergency%s%s%s.", st->emergency_category ? ": " : "",
                         st->emergency_category
                             ? ctn_emergency_category_say(st->emergency_category, CTN_LANG_EN)
                             : "",
                         st->dispatched       ? ", on-call technician alerted"
                         : st->dispatch_tried ? ", nobody on call could be alerted: call back"
                                              : "");
    }
    if (s->name) {
        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(pool, "Caller: %s.", s->name);
    }
    if (s->callback_number) {
        APR_ARRAY_PUSH(parts, const char *) =
            apr_psprintf(pool, "Callback: %s.", s->callback_number);
    }
    if (s->problem) {
        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(pool, "Problem: %s.", s->problem);
    }
    if (s->address) {
        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(pool, "Address: %s.", s->address);
    }
    if (st->appointment_id) {
        APR_ARRAY_PUSH(parts, const char *) = "Appointment booked.";
    }
    if (s->message) {
        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(pool, "Message: %s", s->message);
    }
    return apr_array_pstrcat(pool, parts, ' ');
}

/* ------------------------------------------------------------ sentiment --- */

const char *ctn_dialog_sentiment(apr_pool_t *pool, const char *caller_text)
{
    static const char *const good[] = {
        "thank*", "great",   "perfect*",  "awesome", "excellent", "wonderful", "appreciate*",
        "happy",  "gracias", "excelente", "genial",  "amable",    NULL};
    static const char *const bad[] = {
        "angry",      "terrible",     "awful",       "worst",     "upset",   "frustrat*",
        "ridiculous", "unacceptable", "disappoint*", "horrible",  "enojad*", "molest*",
        "pesimo",     "furios*",      "queja",       "complain*", NULL};
    apr_array_header_t *words;
    int score = 0;

    if (caller_text == NULL) {
        return "neutral";
    }
    words = ctn_text_words(pool, ctn_text_normalize(pool, caller_text));
    for (int i = 0; i < words->nelts; i++) {
        const char *w = APR_ARRAY_IDX(words, i, const char *);
        const char *prev = i > 0 ? APR_ARRAY_IDX(words, i - 1, const char *) : "";
        /* "not happy" flips; a bare "no" does not ("no thanks" is polite). */
        int negated = strcmp(prev, "not") == 0 || strcmp(prev, "nada") == 0;
        int sign = 0;
        for (int g = 0; good[g] && !sign; g++) {
            apr_array_header_t *one = apr_array_make(pool, 1, sizeof(const char *));
            APR_ARRAY_PUSH(one, const char *) = w;
            sign = ctn_text_find(one, good[g], 0) == 0 ? 1 : 0;
        }
        for (int b = 0; bad[b] && !sign; b++) {
            apr_array_header_t *one = apr_array_make(pool, 1, sizeof(const char *));
            APR_ARRAY_PUSH(one, const char *) = w;
            sign = ctn_text_find(one, bad[b], 0) == 0 ? -1 : 0;
        }
        score += negated ? -sign : sign;
    }
    return score > 0 ? "positive" : score < 0 ? "negative" : "neutral";
}
