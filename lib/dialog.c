/* dialog.c: the built-in conversation (see dialog.h).
 *
 * A turn: (1) the caller's words update the call's language; (2) emergency
 * rules run first, in any stage — a match dispatches at once through the
 * tools, exactly once per call; (3) slots are extracted for what was asked;
 * (4) the stage decides what comes next. Goals collect their slots in a
 * fixed order (book: problem, name, address, time; emergency: address,
 * name; message: name, message), then act. Silence or an answer that is not
 * understood is re-prompted twice; the third time Cortana takes a message. */
#include "dialog.h"

#include "emergency.h"
#include "intent.h"
#include "personality.h"
#include "text.h"

#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REPROMPTS         2
#define OFFERS_BEFORE_MESSAGE 3

#define L(st, en, es) ((st)->lang.current == CTN_LANG_ES ? (es) : (en))

static void say(ctn_dialog_reply_t *r, const char *line)
{
    if (line && *line) {
        APR_ARRAY_PUSH(r->lines, const char *) = line;
    }
}

static void begin(ctn_dialog_reply_t *r, apr_pool_t *pool, const ctn_dialog_state_t *st,
                  const ctn_dialog_context_t *ctx)
{
    memset(r, 0, sizeof(*r));
    r->lines = apr_array_make(pool, 4, sizeof(const char *));
    r->action = CTN_DIALOG_GATHER;
    r->lang = st->lang.current;
    r->voice = ctn_personality_voice(ctx->personality, st->lang.current);
    r->intent = "none";
}

void ctn_dialog_state_init(ctn_dialog_state_t *st, ctn_lang_e lang)
{
    memset(st, 0, sizeof(*st));
    ctn_language_state_init(&st->lang, lang);
    ctn_slots_init(&st->slots);
}

static void end_call(ctn_dialog_reply_t *r, apr_pool_t *pool, ctn_dialog_state_t *st,
                     const ctn_dialog_context_t *ctx)
{
    say(r, ctn_personality_sign_off(pool, ctx->personality, ctx->business_name, st->lang.current));
    r->action = CTN_DIALOG_HANGUP;
    st->stage = CTN_STAGE_DONE;
}

static void anything_else(ctn_dialog_reply_t *r, ctn_dialog_state_t *st)
{
    say(r, L(st, "Is there anything else I can help you with?",
             "¿Hay algo más en lo que le pueda ayudar?"));
    st->stage = CTN_STAGE_ANYTHING_ELSE;
    st->goal = CTN_GOAL_NONE;
    st->expecting = CTN_EXPECT_NONE;
}

/* Record a voicemail: the last resort that never loses a caller. */
static void take_voicemail(ctn_dialog_reply_t *r, ctn_dialog_state_t *st)
{
    say(r, L(st,
             "I'm sorry I couldn't help directly. Please leave your name, number and a short "
             "message after the tone, and we'll call you back.",
             "Disculpe, no pude ayudarle directamente. Deje su nombre, su número y un mensaje "
             "breve después del tono, y le devolveremos la llamada."));
    r->action = CTN_DIALOG_RECORD;
    st->stage = CTN_STAGE_DONE;
}

/* ---------------------------------------------------------------- goals --- */

static void offer_slot(ctn_dialog_reply_t *r, apr_pool_t *pool, ctn_dialog_state_t *st,
                       const ctn_dialog_context_t *ctx, int next);

static void ask_next_slot(ctn_dialog_reply_t *r, apr_pool_t *pool, ctn_dialog_state_t *st,
                          const ctn_dialog_context_t *ctx)
{
    ctn_slots_t *s = &st->slots;

    st->stage = CTN_STAGE_COLLECT;
    if (st->goal == CTN_GOAL_MESSAGE) {
        if (!s->name) {
            st->expecting = CTN_EXPECT_NAME;
            say(r, L(st, "Sure, I'll take a message. May I have your name?",
                     "Claro, le tomo un mensaje. ¿Me da su nombre?"));
            return;
        }
        if (!s->message) {
            st->expecting = CTN_EXPECT_MESSAGE;
            say(r, L(st, "What message would you like to leave?", "¿Qué mensaje desea dejar?"));
            return;
        }
        if (!s->callback_number) {
            s->callback_number = ctx->caller_number;
        }
        if (ctx->tools->take_message(ctx->tools->baton, pool, s) == APR_SUCCESS) {
            st->message_taken = 1;
            say(r, L(st,
                     "Thank you. I've passed your message on and someone will call you back "
                     "soon.",
                     "Gracias. Ya pasé su mensaje y alguien le devolverá la llamada pronto."));
        } else {
            take_voicemail(r, st);
            return;
        }
        anything_else(r, st);
        return;
    }
    if (st->goal == CTN_GOAL_EMERGENCY) {
        if (!s->address) {
            st->expecting = CTN_EXPECT_ADDRESS;
            say(r, L(st, "What is the address where the technician should go?",
                     "¿Cuál es la dirección a donde debe ir el técnico?"));
            return;
        }
        if (!s->name) {
            st->expecting = CTN_EXPECT_NAME;
            say(r, L(st, "And your name, please?", "¿Y su nombre, por favor?"));
            return;
        }
        s->when.asap = 1;
        s->when_given = 1;
        offer_slot(r, pool, st, ctx, 0);
        return;
    }
    /* Booking. */
    if (!s->problem) {
        st->expecting = CTN_EXPECT_PROBLEM;
        say(r, L(st, "Of course. What seems to be the problem?", "Claro. ¿Cuál es el problema?"));
        return;
    }
    if (!s->name) {
        st->expecting = CTN_EXPECT_NAME;
        say(r, L(st, "May I have your name?", "¿Me da su nombre, por favor?"));
        return;
    }
    if (!s->address) {
        st->expecting = CTN_EXPECT_ADDRESS;
        say(r, L(st, "What's the address for the visit?", "¿Cuál es la dirección de la visita?"));
        return;
    }
    if (!s->when_given) {
        st->expecting = CTN_EXPECT_TIME;
        say(r, L(st, "When would you like us to come? I can find the soonest opening.",
                 "¿Cuándo le gustaría que vayamos? Puedo buscar el primer espacio disponible."));
        return;
    }
    offer_slot(r, pool, st, ctx, 0);
}

/* Offer the soonest free slot (or the one after the slot just declined). */
static void offer_slot(ctn_dialog_reply_t *r, apr_pool_t *pool, ctn_dialog_state_t *st,
                       const ctn_dialog_context_t *ctx, int next)
{
    apr_array_header_t *slots = NULL;
    apr_time_t not_before = next ? st->offered.start + 1 : 0;
    const ctn_slot_t *slot;

    if (ctx->tools->find_slots(ctx->tools->baton, pool, &st->slots.when, not_before, &slots) !=
            APR_SUCCESS ||
        slots == NULL) {
        st->goal = CTN_GOAL_MESSAGE;
        say(r, L(st, "I'm having trouble reaching the schedule right now.",
                 "Tengo problemas para consultar la agenda en este momento."));
        ask_next_slot(r, pool, st, ctx);
        return;
    }
    if (slots->nelts == 0 && (st->slots.when.day_offset >= 0 || st->slots.when.weekday >= 0 ||
                              st->slots.when.part != CTN_DAYPART_ANY)) {
        /* Nothing at the asked time: widen to the soonest opening. */
        ctn_time_pref_t any;
        memset(&any, 0, sizeof(any));
        any.day_offset = -1, any.weekday = -1, any.asap = 1;
        st->slots.when = any;
        say(r, L(st, "I don't have anything open then.", "No tengo espacio en ese horario."));
        ctx->tools->find_slots(ctx->tools->baton, pool, &st->slots.when, not_before, &slots);
    }
    if (slots == NULL || slots->nelts == 0) {
        st->goal = CTN_GOAL_MESSAGE;
        say(r, L(st,
                 "I don't see an opening in the next two weeks, so I'll take a message for "
                 "the team.",
                 "No veo espacio en las próximas dos semanas, así que le tomo un mensaje."));
        ask_next_slot(r, pool, st, ctx);
        return;
    }
    slot = &APR_ARRAY_IDX(slots, 0, ctn_slot_t);
    st->offered = *slot;
    st->stage = CTN_STAGE_OFFER;
    st->expecting = CTN_EXPECT_NONE;
    say(r,
        apr_psprintf(pool, L(st, "%s %s. Does that work for you?", "%s %s. ¿Le funciona?"),
                     next ? L(st, "The next opening I have is", "El siguiente espacio que tengo es")
                          : L(st, "The soonest I can have someone there is",
                              "Lo más pronto que puedo enviar a alguien es"),
                     ctx->tools->say_slot(ctx->tools->baton, pool, slot->start, st->lang.current)));
}

static void confirm_booking(ctn_dialog_reply_t *r, apr_pool_t *pool, ctn_dialog_state_t *st,
                            const ctn_dialog_context_t *ctx)
{
    const char *id = NULL;
    apr_status_t rv;

    if (!st->slots.callback_number) {
        st->slots.callback_number = ctx->caller_number;
    }
    rv = ctx->tools->book(ctx->tools->baton, pool, &st->slots, &st->offered, &id);
    if (rv == APR_EEXIST) {
        say(r, L(st, "Oh, that time was just taken.", "Ese horario se acaba de ocupar."));
        offer_slot(r, pool, st, ctx, 1);
        return;
    }
    if (rv != APR_SUCCESS) {
        st->goal = CTN_GOAL_MESSAGE;
        say(r, L(st, "I couldn't save the booking, so I'll take a message for the team.",
                 "No pude guardar la cita, así que le tomo un mensaje para el equipo."));
        ask_next_slot(r, pool, st, ctx);
        return;
    }
    st->appointment_id = apr_pstrdup(pool, id);
    say(r, apr_psprintf(
               pool,
               L(st, "You're booked, %s: %s at %s. We'll call %s if anything changes.",
                 "Listo, %s: quedó agendado para %s en %s. Le llamaremos al %s si algo cambia."),
               st->slots.name ? st->slots.name : L(st, "all set", "todo listo"),
               ctx->tools->say_slot(ctx->tools->baton, pool, st->offered.start, st->lang.current),
               st->slots.address ? st->slots.address : L(st, "your address", "su dirección"),
               st->slots.callback_number ? st->slots.callback_number : L(st, "you", "usted")));
    anything_else(r, st);
}

/* ------------------------------------------------------------ questions --- */

static const char *price_answer(apr_pool_t *pool, ctn_dialog_state_t *st,
                                const ctn_dialog_context_t *ctx, const char *text)
{
    const char *policy = ctn_personality_price_policy(ctx->personality);
    const char *norm = ctn_text_normalize(pool, text);
    json_object *best = NULL, *notes = NULL, *note = NULL, *fee = NULL;
    size_t n = ctx->services ? json_object_array_length(ctx->services) : 0;
    const char *answer;

    for (size_t i = 0; i < n && !best; i++) {
        json_object *svc = json_object_array_get_idx(ctx->services, i), *name = NULL;
        if (json_object_object_get_ex(svc, "name", &name)) {
            apr_array_header_t *words =
                ctn_text_words(pool, ctn_text_normalize(pool, json_object_get_string(name)));
            /* A service matches when its distinctive (last) word is mentioned. */
            const char *key =
                words->nelts ? APR_ARRAY_IDX(words, words->nelts - 1, const char *) : "";
            if (*key && strstr(norm, key) != NULL) {
                best = svc;
            }
        }
    }
    if (strcmp(policy, "never") == 0) {
        answer = L(st,
                   "Every job is different, so the technician gives you an exact quote on "
                   "site before any work starts.",
                   "Cada trabajo es distinto, así que el técnico le da un precio exacto en el "
                   "lugar antes de empezar.");
    } else if (best) {
        json_object *lo = NULL, *hi = NULL, *name = NULL;
        json_object_object_get_ex(best, "name", &name);
        json_object_object_get_ex(best, "price_min", &lo);
        json_object_object_get_ex(best, "price_max", &hi);
        if (strcmp(policy, "exact") == 0 || !hi) {
            answer = apr_psprintf(pool, L(st, "%s starts at $%d.", "%s empieza en %d dólares."),
                                  json_object_get_string(name), json_object_get_int(lo));
        } else {
            answer = apr_psprintf(pool,
                                  L(st,
                                    "%s usually runs between $%d and $%d, depending on the "
                                    "job.",
                                    "%s normalmente cuesta entre %d y %d dólares, según el "
                                    "trabajo."),
                                  json_object_get_string(name), json_object_get_int(lo),
                                  json_object_get_int(hi));
        }
    } else {
        answer = L(st, "Prices depend on the job.", "El precio depende del trabajo.");
    }
    if (ctx->pricing && strcmp(policy, "never") != 0) {
        if (json_object_object_get_ex(ctx->pricing, "notes", &notes) &&
            json_object_object_get_ex(notes, ctn_language_code(st->lang.current), &note)) {
            answer = apr_pstrcat(pool, answer, " ", json_object_get_string(note), NULL);
        } else if (json_object_object_get_ex(ctx->pricing, "service_call_fee", &fee)) {
            answer = apr_psprintf(
                pool, L(st, "%s The service call is $%d.", "%s La visita cuesta %d dólares."),
                answer, json_object_get_int(fee));
        }
    }
    return answer;
}

static int in_service_area(apr_pool_t *pool, const ctn_dialog_context_t *ctx, const char *text,
                           const char *zip, int *known)
{
    json_object *zips = NULL, *cities = NULL;
    const char *norm = ctn_text_normalize(pool, text);

    *known = 0;
    if (ctx->service_area == NULL) {
        return 0;
    }
    if (zip && json_object_object_get_ex(ctx->service_area, "zips", &zips)) {
        *known = 1;
        for (size_t i = 0; i < json_object_array_length(zips); i++) {
            if (strcmp(json_object_get_string(json_object_array_get_idx(zips, i)), zip) == 0) {
                return 1;
            }
        }
    }
    if (json_object_object_get_ex(ctx->service_area, "cities", &cities)) {
        for (size_t i = 0; i < json_object_array_length(cities); i++) {
            const char *city = ctn_text_normalize(
                pool, json_object_get_string(json_object_array_get_idx(cities, i)));
            if (*city && strstr(norm, city)) {
                *known = 1;
                return 1;
            }
        }
    }
    return 0;
}

/* ----------------------------------------------------------------- turns --- */

static void handle_emergency(ctn_dialog_reply_t *r, apr_pool_t *pool, ctn_dialog_state_t *st,
                             const ctn_dialog_context_t *ctx, const char *category)
{
    r->emergency = 1;
    st->emergency = 1;
    st->emergency_category = apr_pstrdup(pool, category);
    st->goal = CTN_GOAL_EMERGENCY;
    if (!st->slots.callback_number) {
        st->slots.callback_number = ctx->caller_number;
    }
    if (!st->dispatched &&
        ctx->tools->dispatch(ctx->tools->baton, pool, &st->slots, category) == APR_SUCCESS) {
        st->dispatched = 1;
    }
    say(r, st->dispatched
               ? L(st,
                   "This sounds like an emergency. I'm alerting our on-call technician right "
                   "now.",
                   "Esto parece una emergencia. Estoy avisando ahora mismo a nuestro técnico de "
                   "guardia.")
               : L(st, "This sounds like an emergency.", "Esto parece una emergencia."));
    if (strcmp(category, "gas_leak") == 0 || strcmp(category, "carbon_monoxide") == 0) {
        say(r, L(st, "Please leave the house now and call 911 from outside.",
                 "Por favor salga de la casa ahora y llame al 911 desde afuera."));
    }
    ask_next_slot(r, pool, st, ctx);
}

static void open_request(ctn_dialog_reply_t *r, apr_pool_t *pool, ctn_dialog_state_t *st,
                         const ctn_dialog_context_t *ctx, const char *text, ctn_intent_e intent)
{
    int known = 0;

    switch (intent) {
    case CTN_INTENT_SPAM:
        st->spam = 1;
        say(r, L(st, "Thanks, but we're not interested. Goodbye.",
                 "Gracias, pero no nos interesa. Adiós."));
        r->action = CTN_DIALOG_HANGUP;
        st->stage = CTN_STAGE_DONE;
        return;
    case CTN_INTENT_GOODBYE:
    case CTN_INTENT_NO:
        end_call(r, pool, st, ctx);
        return;
    case CTN_INTENT_HUMAN:
        if (ctx->owner_phone && *ctx->owner_phone) {
            say(r, L(st, "Of course, let me connect you now. Please hold.",
                     "Claro, le comunico ahora. Un momento, por favor."));
            r->action = CTN_DIALOG_TRANSFER;
            r->transfer_to = ctx->owner_phone;
            st->transferred = 1;
            st->stage = CTN_STAGE_DONE;
            return;
        }
        say(r, L(st, "No one is available to take the call right now.",
                 "No hay nadie disponible para atender en este momento."));
        st->goal = CTN_GOAL_MESSAGE;
        ask_next_slot(r, pool, st, ctx);
        return;
    case CTN_INTENT_MESSAGE:
        st->goal = CTN_GOAL_MESSAGE;
        ask_next_slot(r, pool, st, ctx);
        return;
    case CTN_INTENT_BOOK:
        st->goal = CTN_GOAL_BOOK;
        say(r, ctn_personality_ack(ctx->personality, st->lang.current));
        ask_next_slot(r, pool, st, ctx);
        return;
    case CTN_INTENT_PRICE:
        say(r, price_answer(pool, st, ctx, text));
        st->question_answered = 1;
        say(r, L(st, "Would you like me to book a visit?", "¿Quiere que le agende una visita?"));
        st->stage = CTN_STAGE_ANYTHING_ELSE;
        st->goal = CTN_GOAL_BOOK; /* a "yes" books */
        return;
    case CTN_INTENT_HOURS:
        say(r, apr_pstrcat(pool, L(st, "Our hours are: ", "Nuestro horario es: "),
                           ctx->tools->say_hours(ctx->tools->baton, pool, st->lang.current), ".",
                           NULL));
        st->question_answered = 1;
        anything_else(r, st);
        return;
    case CTN_INTENT_SERVICE_AREA:
        if (in_service_area(pool, ctx, text, st->slots.zip, &known)) {
            say(r, L(st, "Yes, we serve that area.", "Sí, damos servicio en esa zona."));
        } else if (known || st->slots.zip) {
            say(r, L(st, "I'm sorry, that's outside our service area.",
                     "Lo siento, esa zona está fuera de nuestra área de servicio."));
        } else {
            say(r, L(st, "What's the ZIP code? I'll check it for you.",
                     "¿Cuál es el código postal? Se lo verifico."));
            st->stage = CTN_STAGE_OPEN;
            return;
        }
        st->question_answered = 1;
        anything_else(r, st);
        return;
    case CTN_INTENT_QUESTION: {
        const char *answer = NULL;
        if (ctx->tools->kb_search(ctx->tools->baton, pool, text, st->lang.current, &answer) ==
                APR_SUCCESS &&
            answer != NULL) {
            say(r, answer);
            st->question_answered = 1;
            anything_else(r, st);
        } else {
            say(r, L(st,
                     "I don't have that information, but I can take a message and have "
                     "someone call you back.",
                     "No tengo esa información, pero puedo tomar un mensaje para que le "
                     "devuelvan la llamada."));
            st->goal = CTN_GOAL_MESSAGE;
            st->stage = CTN_STAGE_ANYTHING_ELSE;
        }
        return;
    }
    default:
        break;
    }
    /* A zip code alone after "what's the ZIP code?" */
    if (st->slots.zip && in_service_area(pool, ctx, text, st->slots.zip, &known)) {
        say(r, L(st, "Yes, we serve that area.", "Sí, damos servicio en esa zona."));
        st->question_answered = 1;
        anything_else(r, st);
        return;
    }
    /* A described problem without a cue ("my water heater is leaking") is a booking. */
    if (st->slots.problem) {
        st->goal = CTN_GOAL_BOOK;
        say(r, ctn_personality_ack(ctx->personality, st->lang.current));
        ask_next_slot(r, pool, st, ctx);
        return;
    }
    if (++st->reprompts > MAX_REPROMPTS) {
        take_voicemail(r, st);
        return;
    }
    say(r, st->reprompts == 1
               ? L(st, "Sorry, I didn't quite get that. Could you tell me how I can help?",
                   "Perdón, no le entendí bien. ¿Me dice en qué le puedo ayudar?")
               : L(st, "You can say things like: book a repair, prices, or leave a message.",
                   "Puede decir por ejemplo: agendar una reparación, precios, o dejar un "
                   "mensaje."));
}

apr_status_t ctn_dialog_start(ctn_dialog_reply_t *reply, apr_pool_t *pool, ctn_dialog_state_t *st,
                              const ctn_dialog_context_t *ctx)
{
    begin(reply, pool, st, ctx);
    say(reply, ctn_personality_greeting(pool, ctx->personality, ctx->business_name,
                                        st->lang.current, ctx->after_hours));
    st->stage = CTN_STAGE_OPEN;
    reply->intent = "greeting";
    return APR_SUCCESS;
}

apr_status_t ctn_dialog_turn(ctn_dialog_reply_t *r, apr_pool_t *pool, ctn_dialog_state_t *st,
                             const ctn_dialog_context_t *ctx, const char *utterance)
{
    ctn_emergency_match_t match;
    ctn_intent_e intent, yn;
    int silent = utterance == NULL || *ctn_text_normalize(pool, utterance) == '\0';

    st->turns++;
    if (!silent) {
        int switched = ctn_language_observe(&st->lang, pool, utterance);
        begin(r, pool, st, ctx);
        r->language_switched = switched;
    } else {
        begin(r, pool, st, ctx);
    }
    if (st->stage == CTN_STAGE_DONE) {
        end_call(r, pool, st, ctx);
        return APR_SUCCESS;
    }
    if (silent) {
        if (++st->reprompts > MAX_REPROMPTS) {
            take_voicemail(r, st);
            return APR_SUCCESS;
        }
        r->intent = "silence";
        say(r, L(st, "Are you still there? How can I help you?",
                 "¿Sigue ahí? ¿En qué le puedo ayudar?"));
        return APR_SUCCESS;
    }
    ctn_slots_extract(&st->slots, pool, utterance, st->expecting);
    if (ctn_emergency_detect(pool, utterance, ctx->emergency_rules, ctx->freezing, &match) &&
        !st->emergency) {
        st->reprompts = 0;
        r->intent = "emergency";
        st->last_intent = "emergency";
        handle_emergency(r, pool, st, ctx, match.category);
        return APR_SUCCESS;
    }
    intent = ctn_intent_classify(pool, utterance);
    yn = ctn_intent_yes_no(pool, utterance);
    r->intent = ctn_intent_name(intent);
    st->last_intent = r->intent;
    switch (st->stage) {
    case CTN_STAGE_OFFER:
        st->reprompts = 0;
        if (yn == CTN_INTENT_YES) {
            r->intent = "yes";
            confirm_booking(r, pool, st, ctx);
        } else if (yn == CTN_INTENT_NO) {
            r->intent = "no";
            if (++st->offers_declined >= OFFERS_BEFORE_MESSAGE) {
                st->goal = CTN_GOAL_MESSAGE;
                say(r, L(st, "Let me take a message so the office can find a time with you.",
                         "Le tomo un mensaje para que la oficina busque un horario con usted."));
                ask_next_slot(r, pool, st, ctx);
            } else {
                offer_slot(r, pool, st, ctx, 1);
            }
        } else {
            say(r, L(st, "Sorry, does that time work for you? Please say yes or no.",
                     "Perdón, ¿le funciona ese horario? Diga sí o no, por favor."));
        }
        return APR_SUCCESS;
    case CTN_STAGE_COLLECT:
        st->reprompts = 0;
        if (intent == CTN_INTENT_SPAM || intent == CTN_INTENT_HUMAN) {
            open_request(r, pool, st, ctx, utterance, intent);
            return APR_SUCCESS;
        }
        ask_next_slot(r, pool, st, ctx);
        return APR_SUCCESS;
    case CTN_STAGE_ANYTHING_ELSE:
        st->reprompts = 0;
        if (yn == CTN_INTENT_NO || intent == CTN_INTENT_GOODBYE) {
            end_call(r, pool, st, ctx);
            return APR_SUCCESS;
        }
        if (yn == CTN_INTENT_YES && (intent == CTN_INTENT_YES || intent == CTN_INTENT_UNKNOWN)) {
            if (st->goal != CTN_GOAL_NONE) {
                ask_next_slot(r, pool, st, ctx);
            } else {
                say(r, L(st, "Sure, what can I do for you?", "Claro, ¿qué necesita?"));
                st->stage = CTN_STAGE_OPEN;
            }
            return APR_SUCCESS;
        }
        st->goal = CTN_GOAL_NONE;
        st->stage = CTN_STAGE_OPEN;
        open_request(r, pool, st, ctx, utterance, intent);
        return APR_SUCCESS;
    case CTN_STAGE_OPEN:
    default:
        open_request(r, pool, st, ctx, utterance, intent);
        if (intent != CTN_INTENT_UNKNOWN) {
            st->reprompts = 0;
        }
        return APR_SUCCESS;
    }
}

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
    if (st->message_taken) {
        return "message_taken";
    }
    if (st->question_answered) {
        return "question_answered";
    }
    return "abandoned";
}

const char *ctn_dialog_summary(apr_pool_t *pool, const ctn_dialog_state_t *st)
{
    const ctn_slots_t *s = &st->slots;
    apr_array_header_t *parts = apr_array_make(pool, 6, sizeof(const char *));

    APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(
        pool, "%s call (%s).", ctn_language_code(st->lang.current), ctn_dialog_disposition(st));
    if (st->emergency) {
        APR_ARRAY_PUSH(parts, const char *) =
            apr_psprintf(pool, "Emergency: %s%s.", st->emergency_category,
                         st->dispatched ? ", on-call technician alerted" : "");
    }
    if (s->name) {
        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(pool, "Caller: %s.", s->name);
    }
    if (s->problem) {
        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(pool, "Problem: %s.", s->problem);
    }
    if (s->address) {
        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(pool, "Address: %s.", s->address);
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

/* ---------------------------------------------------------- state JSON --- */

static void put_str(json_object *o, const char *key, const char *value)
{
    if (value) {
        json_object_object_add(o, key, json_object_new_string(value));
    }
}

static void put_int(json_object *o, const char *key, long long value)
{
    json_object_object_add(o, key, json_object_new_int64(value));
}

json_object *ctn_dialog_state_to_json(const ctn_dialog_state_t *st)
{
    json_object *o = json_object_new_object(), *s = json_object_new_object();

    put_str(o, "lang", ctn_language_code(st->lang.current));
    put_int(o, "lang_pending", st->lang.pending);
    put_int(o, "stage", st->stage);
    put_int(o, "goal", st->goal);
    put_int(o, "expecting", st->expecting);
    put_int(o, "reprompts", st->reprompts);
    put_int(o, "turns", st->turns);
    put_int(o, "emergency", st->emergency);
    put_str(o, "emergency_category", st->emergency_category);
    put_int(o, "dispatched", st->dispatched);
    put_int(o, "offered_start", st->offered.start);
    put_int(o, "offered_end", st->offered.end);
    put_int(o, "offers_declined", st->offers_declined);
    put_str(o, "appointment_id", st->appointment_id);
    put_int(o, "message_taken", st->message_taken);
    put_int(o, "question_answered", st->question_answered);
    put_int(o, "transferred", st->transferred);
    put_int(o, "spam", st->spam);
    put_str(o, "last_intent", st->last_intent);
    put_str(s, "name", st->slots.name);
    put_str(s, "callback_number", st->slots.callback_number);
    put_str(s, "address", st->slots.address);
    put_str(s, "zip", st->slots.zip);
    put_str(s, "problem", st->slots.problem);
    put_str(s, "message", st->slots.message);
    put_int(s, "asap", st->slots.when.asap);
    put_int(s, "day_offset", st->slots.when.day_offset);
    put_int(s, "weekday", st->slots.when.weekday);
    put_int(s, "part", st->slots.when.part);
    put_int(s, "when_given", st->slots.when_given);
    json_object_object_add(o, "slots", s);
    return o;
}

static const char *get_str(apr_pool_t *pool, json_object *o, const char *key)
{
    json_object *v = NULL;
    return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? apr_pstrdup(pool, json_object_get_string(v))
               : NULL;
}

static long long get_int(json_object *o, const char *key, long long dflt)
{
    json_object *v = NULL;
    return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)
               ? json_object_get_int64(v)
               : dflt;
}

apr_status_t ctn_dialog_state_from_json(ctn_dialog_state_t *st, apr_pool_t *pool, json_object *o)
{
    json_object *s = NULL;

    if (o == NULL || !json_object_is_type(o, json_type_object)) {
        return APR_EINVAL;
    }
    ctn_dialog_state_init(st, ctn_language_from_code(get_str(pool, o, "lang")));
    st->lang.pending = (int)get_int(o, "lang_pending", 0);
    st->stage = (ctn_stage_e)get_int(o, "stage", CTN_STAGE_OPEN);
    st->goal = (ctn_goal_e)get_int(o, "goal", CTN_GOAL_NONE);
    st->expecting = (ctn_expect_e)get_int(o, "expecting", CTN_EXPECT_NONE);
    st->reprompts = (int)get_int(o, "reprompts", 0);
    st->turns = (int)get_int(o, "turns", 0);
    st->emergency = (int)get_int(o, "emergency", 0);
    st->emergency_category = get_str(pool, o, "emergency_category");
    st->dispatched = (int)get_int(o, "dispatched", 0);
    st->offered.start = (apr_time_t)get_int(o, "offered_start", 0);
    st->offered.end = (apr_time_t)get_int(o, "offered_end", 0);
    st->offers_declined = (int)get_int(o, "offers_declined", 0);
    st->appointment_id = get_str(pool, o, "appointment_id");
    st->message_taken = (int)get_int(o, "message_taken", 0);
    st->question_answered = (int)get_int(o, "question_answered", 0);
    st->transferred = (int)get_int(o, "transferred", 0);
    st->spam = (int)get_int(o, "spam", 0);
    st->last_intent = get_str(pool, o, "last_intent");
    if (json_object_object_get_ex(o, "slots", &s)) {
        st->slots.name = get_str(pool, s, "name");
        st->slots.callback_number = get_str(pool, s, "callback_number");
        st->slots.address = get_str(pool, s, "address");
        st->slots.zip = get_str(pool, s, "zip");
        st->slots.problem = get_str(pool, s, "problem");
        st->slots.message = get_str(pool, s, "message");
        st->slots.when.asap = (int)get_int(s, "asap", 0);
        st->slots.when.day_offset = (int)get_int(s, "day_offset", -1);
        st->slots.when.weekday = (int)get_int(s, "weekday", -1);
        st->slots.when.part = (ctn_daypart_e)get_int(s, "part", 0);
        st->slots.when_given = (int)get_int(s, "when_given", 0);
    }
    if (st->stage > CTN_STAGE_DONE || st->goal > CTN_GOAL_MESSAGE ||
        st->expecting > CTN_EXPECT_MESSAGE) {
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}
