/* test_dialog.c: scripted conversations with the built-in engine
 * (lib/dialog.c, dialog_state.c, dialog_phrases.c) and fake tools that
 * record what they were asked.
 *
 * Between turns the state is serialised to JSON text and parsed back, as
 * the webhooks do through call_logs.dialog_state, so every script also
 * proves that nothing the engine needs is lost on the way. After every
 * turn the invariants of a phone line hold: something is said, no
 * template token, printf conversion or JSON leaks into speech, and the
 * on-call technician is never alerted twice. */
#include "unit.h"

#include "dialog.h"
#include "dialog_phrases.h"

#include <apr_strings.h>
#include <stdio.h>
#include <string.h>

CTN_UNIT_POOL_FIXTURE

/* ------------------------------------------------------------ fake tools --- */

enum {
    F_OWNER = 1 << 0,        /* the business has an owner phone to transfer to */
    F_AFTER_HOURS = 1 << 1,  /* routing says closed */
    F_TAKEN_ONCE = 1 << 2,   /* book() answers APR_EEXIST the first time */
    F_KB = 1 << 3,           /* the knowledge base has an answer */
    F_NO_CALLER_ID = 1 << 4, /* anonymous caller */
    F_FIND_FAILS = 1 << 5,   /* the schedule cannot be read */
    F_DISPATCH_FAILS = 1 << 6,
    F_NO_THURSDAY = 1 << 7, /* nothing free on Thursdays */
    F_MESSAGE_FAILS = 1 << 8,
    F_FREEZING = 1 << 9,
};

typedef struct fake_t {
    unsigned flags;
    int dispatches, bookings, book_calls, messages, kb_calls, find_calls;
    const char *category;
    ctn_slots_t dispatched_with, booked_with, message_with;
    apr_time_t booked_start;
    ctn_time_pref_t last_pref;
} fake_t;

#define BASE_SEC 1800000000

static apr_status_t fake_find(void *b, apr_pool_t *pool, const ctn_time_pref_t *pref,
                              apr_time_t not_before, apr_array_header_t **slots)
{
    fake_t *f = b;

    f->find_calls++;
    f->last_pref = *pref;
    if (f->flags & F_FIND_FAILS) {
        return APR_ECONNREFUSED;
    }
    *slots = apr_array_make(pool, 3, sizeof(ctn_slot_t));
    if ((f->flags & F_NO_THURSDAY) && pref->weekday == 4) {
        return APR_SUCCESS;
    }
    for (int i = 0; i < 3; i++) {
        ctn_slot_t s = {apr_time_from_sec(BASE_SEC + 3600 * i),
                        apr_time_from_sec(BASE_SEC + 3600 * (i + 1))};
        if (s.start >= not_before) {
            APR_ARRAY_PUSH(*slots, ctn_slot_t) = s;
        }
    }
    return APR_SUCCESS;
}

static apr_status_t fake_book(void *b, apr_pool_t *pool, const ctn_slots_t *slots,
                              const ctn_slot_t *slot, const char **id)
{
    fake_t *f = b;

    (void)pool;
    f->book_calls++;
    if (f->flags & F_TAKEN_ONCE) {
        f->flags &= ~(unsigned)F_TAKEN_ONCE;
        return APR_EEXIST;
    }
    f->bookings++;
    f->booked_with = *slots;
    f->booked_start = slot->start;
    *id = "11111111-1111-1111-1111-111111111111";
    return APR_SUCCESS;
}

static apr_status_t fake_dispatch(void *b, apr_pool_t *pool, const ctn_slots_t *slots,
                                  const char *category)
{
    fake_t *f = b;

    f->dispatches++;
    f->category = apr_pstrdup(pool, category);
    f->dispatched_with = *slots;
    return f->flags & F_DISPATCH_FAILS ? APR_ECONNREFUSED : APR_SUCCESS;
}

static apr_status_t fake_kb(void *b, apr_pool_t *pool, const char *q, ctn_lang_e lang,
                            const char **answer)
{
    fake_t *f = b;

    (void)pool, (void)q;
    f->kb_calls++;
    *answer = !(f->flags & F_KB)    ? NULL
              : lang == CTN_LANG_ES ? "Ofrecemos financiamiento para calentadores."
                                    : "We offer financing on water heaters.";
    return APR_SUCCESS;
}

static apr_status_t fake_message(void *b, apr_pool_t *pool, const ctn_slots_t *slots)
{
    fake_t *f = b;

    (void)pool;
    if (f->flags & F_MESSAGE_FAILS) {
        return APR_ECONNREFUSED;
    }
    f->messages++;
    f->message_with = *slots;
    return APR_SUCCESS;
}

static const char *fake_say_slot(void *b, apr_pool_t *pool, apr_time_t start, ctn_lang_e lang)
{
    (void)b;
    return apr_psprintf(pool, lang == CTN_LANG_ES ? "espacio %d" : "slot %d",
                        (int)((apr_time_sec(start) - BASE_SEC) / 3600));
}

static const char *fake_hours(void *b, apr_pool_t *pool, ctn_lang_e lang)
{
    (void)b, (void)pool;
    return lang == CTN_LANG_ES ? "de lunes a viernes, de 8 a 5" : "Monday to Friday, 8 AM to 5 PM";
}

/* ---------------------------------------------------------- conversation --- */

typedef struct convo_t {
    fake_t fake;
    ctn_dialog_tools_t tools;
    ctn_dialog_context_t ctx;
    const char *state; /* JSON text between turns, as in call_logs.dialog_state */
    ctn_dialog_reply_t reply;
    ctn_dialog_state_t st;
    const char *said; /* Cortana's lines of the last turn, joined */
} convo_t;

static json_object *owned(const char *json)
{
    json_object *o = json ? json_tokener_parse(json) : NULL;
    if (o) {
        apr_pool_cleanup_register(unit_pool, o, (apr_status_t(*)(void *))json_object_put,
                                  apr_pool_cleanup_null);
    }
    return o;
}

static void keep_state(convo_t *c)
{
    c->state = ctn_dialog_state_serialize(unit_pool, &c->st);
}

/* What every reply must look like, whatever was said. */
static void check_reply(convo_t *c)
{
    ck_assert_int_gt(c->reply.lines->nelts, 0);
    for (int i = 0; i < c->reply.lines->nelts; i++) {
        const char *line = APR_ARRAY_IDX(c->reply.lines, i, const char *);
        ck_assert_msg(line && *line, "an empty line");
        ck_assert_msg(!strchr(line, '{') && !strchr(line, '}') && !strchr(line, '%') &&
                          !strstr(line, "CTN_") && !strstr(line, "(null)"),
                      "not speakable: '%s'", line);
    }
    ck_assert_int_le(c->fake.dispatches, 1);
    ck_assert_ptr_nonnull(c->reply.voice);
    if (c->reply.action == CTN_DIALOG_GATHER) {
        ck_assert_ptr_nonnull(c->reply.hints);
    }
    c->said = apr_array_pstrcat(unit_pool, c->reply.lines, ' ');
}

static void start(convo_t *c, unsigned flags, const char *personality)
{
    memset(c, 0, sizeof(*c));
    c->fake.flags = flags;
    c->tools = (ctn_dialog_tools_t){&c->fake, fake_find,    fake_book,     fake_dispatch,
                                    fake_kb,  fake_message, fake_say_slot, fake_hours};
    c->ctx.business_name = "Acme Plumbing";
    c->ctx.caller_number = flags & F_NO_CALLER_ID ? NULL : "+13125550142";
    c->ctx.owner_phone = flags & F_OWNER ? "+13125550100" : NULL;
    c->ctx.after_hours = (flags & F_AFTER_HOURS) != 0;
    c->ctx.freezing = (flags & F_FREEZING) != 0;
    c->ctx.tools = &c->tools;
    c->ctx.personality = owned(personality);
    c->ctx.services = owned("[{\"name\":\"Drain cleaning\",\"duration_minutes\":60,\"price_min\":"
                            "129,\"price_max\":249},{\"name\":\"Water heater installation\","
                            "\"price_min\":1200,\"price_max\":2400},{\"name\":\"Service call\","
                            "\"price_min\":89}]");
    c->ctx.pricing = owned("{\"service_call_fee\": 89}");
    c->ctx.service_area = owned("{\"zips\":[\"60614\",\"60601\"],\"cities\":[\"Evanston\","
                                "\"Oak Park\"],\"radius_miles\":25}");
    ctn_dialog_state_init(&c->st, CTN_LANG_EN);
    ck_assert_int_eq(ctn_dialog_start(&c->reply, unit_pool, &c->st, &c->ctx), APR_SUCCESS);
    check_reply(c);
    keep_state(c);
}

/* One turn, with the state read back from its JSON text first. */
static const char *turn(convo_t *c, const char *words)
{
    json_object *o = json_tokener_parse(c->state);

    ck_assert_ptr_nonnull(o);
    memset(&c->st, 0xa5, sizeof(c->st)); /* nothing may survive but the JSON */
    ck_assert_int_eq(ctn_dialog_state_from_json(&c->st, unit_pool, o), APR_SUCCESS);
    json_object_put(o);
    ck_assert_int_eq(ctn_dialog_turn(&c->reply, unit_pool, &c->st, &c->ctx, words), APR_SUCCESS);
    check_reply(c);
    keep_state(c);
    return c->said;
}

/* ------------------------------------------------------------- scripts --- */

enum { ANY = 0, GATHER = 'G', RECORD = 'R', TRANSFER = 'T', HANGUP = 'H' };

typedef struct step_t {
    const char *say;    /* NULL: silence */
    const char *expect; /* a substring of what Cortana answers, or NULL */
    int action;
} step_t;

typedef struct script_t {
    const char *name;
    unsigned flags;
    const char *personality;
    step_t steps[12];
    const char *disposition;
    int dispatches, bookings, messages;
    ctn_lang_e lang;
} script_t;

#define END                                                                                        \
    {                                                                                              \
        NULL, NULL, -1                                                                             \
    }

static const script_t scripts[] = {
    {"spanish flooded basement: dispatch at once, once, in Spanish",
     0,
     NULL,
     {{"Hola, se está inundando mi sótano", "técnico de guardia", GATHER},
      {"Vivo en 2200 calle Milwaukee", "nombre", GATHER},
      {"Me llamo José Ramírez", "espacio 0", GATHER},
      {"todavía hay mucha agua, se está inundando todo", NULL, GATHER},
      {"sí", "quedó agendado", GATHER},
      {"no, gracias", "Que tenga", HANGUP},
      END},
     "emergency_dispatched",
     1,
     1,
     0,
     CTN_LANG_ES},
    {"gas smell: dispatch, safety first",
     0,
     NULL,
     {{"I smell gas in my kitchen", "call 911", GATHER}, {"<hangup>", NULL, ANY}, END},
     "emergency_dispatched",
     1,
     0,
     0,
     CTN_LANG_EN},
    {"an emergency in the middle of a booking is dispatched at once",
     0,
     NULL,
     {{"I'd like to book an appointment", "problem", GATHER},
      {"my water heater burst and the basement is flooding", "on-call technician", GATHER},
      END},
     "emergency_dispatched",
     1,
     0,
     0,
     CTN_LANG_EN},
    {"a failed dispatch is not retried and the call goes on",
     F_DISPATCH_FAILS,
     NULL,
     {{"the basement is flooding", "couldn't reach anyone", GATHER},
      {"it's still flooding, 12 Elm Street", "name", GATHER},
      END},
     /* the caller waits for a call back: not a missed call */
     "message_taken",
     1,
     0,
     0,
     CTN_LANG_EN},
    {"negated emergency: no dispatch",
     0,
     NULL,
     {{"no, nothing is leaking, I just want a quote", NULL, GATHER}, END},
     "question_answered", /* the quote is answered (a price question) */
     0,
     0,
     0,
     CTN_LANG_EN},
    {"booking at the soonest slot, read back",
     0,
     NULL,
     {{"Hi, my kitchen drain is clogged, can someone come out?", "name", GATHER},
      {"My name is Maria Lopez", "address", GATHER},
      {"1420 Oak Street", "312-555-0142", GATHER},
      {"as soon as possible", "The soonest opening I have is slot 0", GATHER},
      {"yes", "You're booked, Maria Lopez, for slot 0 at 1420 Oak Street", GATHER},
      {"no thanks", "Have a great day", HANGUP},
      END},
     "booked",
     0,
     1,
     0,
     CTN_LANG_EN},
    {"an arrival question after a booking is answered with the booked time, not the hours",
     0,
     NULL,
     {{"Hi, my kitchen drain is clogged, can someone come out?", "name", GATHER},
      {"My name is Maria Lopez", "address", GATHER},
      {"1420 Oak Street", "312-555-0142", GATHER},
      {"as soon as possible", "slot 0", GATHER},
      {"yes", "booked", GATHER},
      {"what time will the technician arrive?", "slot 0", GATHER},
      END},
     "booked",
     0,
     1,
     0,
     CTN_LANG_EN},
    {"¿cuándo llegan? before a booking asks for a visit and is offered the soonest slot",
     0,
     NULL,
     {{"¿cuándo llegan?", "¿Cuál es el problema?", GATHER},
      {"Se me tapó el fregadero de la cocina", "nombre", GATHER},
      {"Me llamo Rosa Peña", "dirección", GATHER},
      {"Vivo en 2200 calle Milwaukee", "espacio 0", GATHER},
      {"sí", "quedó agendado", GATHER},
      END},
     "booked",
     0,
     1,
     0,
     CTN_LANG_ES},
    {"when can you get here? before a booking asks for a visit at the soonest slot",
     0,
     NULL,
     {{"when can you get here?", "What seems to be the problem?", GATHER},
      {"my kitchen drain is clogged", "name", GATHER},
      {"My name is Maria Lopez", "address", GATHER},
      {"1420 Oak Street", "The soonest opening I have is slot 0", GATHER},
      {"yes", "You're booked, Maria Lopez, for slot 0", GATHER},
      END},
     "booked",
     0,
     1,
     0,
     CTN_LANG_EN},
    {"¿llegan hasta Evanston? is still a service-area question",
     0,
     NULL,
     {{"¿llegan hasta Evanston?", "damos servicio en esa zona", GATHER}, END},
     "question_answered",
     0,
     0,
     0,
     CTN_LANG_ES},
    {"¿a qué hora van a llegar? after a booking: the booked time, in Spanish",
     0,
     NULL,
     {{"Se me tapó el fregadero de la cocina, ¿pueden venir?", "nombre", GATHER},
      {"Me llamo Rosa Peña", "dirección", GATHER},
      {"Vivo en 2200 calle Milwaukee", "312-555-0142", GATHER},
      {"lo antes posible", "espacio 0", GATHER},
      {"sí", "quedó agendado", GATHER},
      {"¿a qué hora van a llegar?", "Su visita quedó para espacio 0", GATHER},
      END},
     "booked",
     0,
     1,
     0,
     CTN_LANG_ES},
    {"¿a qué hora van a llegar? after a dispatch: the technician will text or call",
     0,
     NULL,
     {{"Hola, se está inundando mi sótano", "técnico de guardia", GATHER},
      {"¿a qué hora van a llegar?", "le escribirá o llamará", GATHER},
      END},
     "emergency_dispatched",
     1,
     0,
     0,
     CTN_LANG_ES},
    {"a corrected address replaces the first and is read back",
     0,
     NULL,
     {{"I need someone to look at my sink", "name", GATHER},
      {"Ana Ruiz", "address", GATHER},
      {"1420 Oak Street", "When would you like us to come", GATHER},
      {"no wait, it's 1430 Oak Street", "I have 1430 Oak Street as the address", GATHER},
      {"as soon as possible", "slot 0", GATHER},
      {"yes", "for slot 0 at 1430 Oak Street", GATHER},
      END},
     "booked",
     0,
     1,
     0,
     CTN_LANG_EN},
    {"an address corrected while a slot is offered, in Spanish",
     0,
     NULL,
     {{"Hola, quiero una cita, el fregadero está tapado", "nombre", GATHER},
      {"Me llamo Ana Ruiz", "dirección", GATHER},
      {"Vivo en 300 calle Clark", "número de contacto", GATHER},
      {"lo antes posible", "espacio 0", GATHER},
      {"no, perdón, es el 310 calle Clark",
       "tengo 310 Calle Clark como la dirección. ¿Le funciona espacio 0?", GATHER},
      {"sí", "quedó agendado para espacio 0 en 310 Calle Clark", GATHER},
      END},
     "booked",
     0,
     1,
     0,
     CTN_LANG_ES},
    {"booking in Spanish",
     0,
     NULL,
     {{"Hola, quiero una cita, el fregadero está tapado", "nombre", GATHER},
      {"Me llamo Ana Ruiz", "dirección", GATHER},
      {"Vivo en 300 calle Clark", "número de contacto", GATHER},
      {"lo antes posible", "espacio 0", GATHER},
      {"sí", "quedó agendado para espacio 0", GATHER},
      {"no, gracias", NULL, HANGUP},
      END},
     "booked",
     0,
     1,
     0,
     CTN_LANG_ES},
    {"yes to 'I can look for the soonest opening' offers the soonest",
     0,
     NULL,
     {{"Hi, my kitchen drain is clogged, can someone come out?", "name", GATHER},
      {"My name is Maria Lopez", "address", GATHER},
      {"1420 Oak Street", "When would you like us to come?", GATHER},
      {"yes", "The soonest opening I have is slot 0", GATHER},
      {"yes", "You're booked, Maria Lopez, for slot 0", GATHER},
      END},
     "booked",
     0,
     1,
     0,
     CTN_LANG_EN},
    {"sí to the time question offers the soonest, in Spanish",
     0,
     NULL,
     {{"Hola, quiero una cita, el fregadero está tapado", "nombre", GATHER},
      {"Me llamo Ana Ruiz", "dirección", GATHER},
      {"Vivo en 300 calle Clark", "número de contacto", GATHER},
      {"sí, por favor", "espacio 0", GATHER},
      {"sí", "quedó agendado para espacio 0", GATHER},
      END},
     "booked",
     0,
     1,
     0,
     CTN_LANG_ES},
    {"a number given instead of a time is noted and the time asked again",
     0,
     NULL,
     {{"Hi, my kitchen drain is clogged, can someone come out?", "name", GATHER},
      {"My name is Maria Lopez", "address", GATHER},
      {"1420 Oak Street", "When would you like us to come?", GATHER},
      {"my number is three one two five five five zero one nine nine",
       "I have 312-555-0199 as your callback number. When would you like us to come?", GATHER},
      {"tomorrow morning", "The soonest opening I have is slot 0", GATHER},
      {"yes", "You're booked", GATHER},
      END},
     "booked",
     0,
     1,
     0,
     CTN_LANG_EN},
    {"a number given instead of the address is no address",
     0,
     NULL,
     {{"Hi, my kitchen drain is clogged, can someone come out?", "name", GATHER},
      {"My name is Maria Lopez", "address", GATHER},
      {"my number is 312 555 0199", "What's the address", GATHER},
      END},
     "abandoned",
     0,
     0,
     0,
     CTN_LANG_EN},
    {"a described job needs no 'what seems to be the problem'",
     0,
     NULL,
     {{"I'd like to schedule a gas line installation", "name", GATHER}, END},
     "abandoned",
     0,
     0,
     0,
     CTN_LANG_EN},
    {"declining the first slot offers the next",
     0,
     NULL,
     {{"I need to book a repair for a leaky faucet", "name", GATHER},
      {"Sam Reed", "address", GATHER},
      {"77 Elm Street", "When would you like", GATHER},
      {"as soon as possible", "slot 0", GATHER},
      {"no", "The next opening I have is slot 1", GATHER},
      {"yes", "booked", GATHER},
      END},
     "booked",
     0,
     1,
     0,
     CTN_LANG_EN},
    {"two declines: a message for the office",
     0,
     NULL,
     {{"my toilet is broken, my name is Ann Lee, 12 Elm Street, as soon as possible", "slot 0",
       GATHER},
      {"no", "slot 1", GATHER},
      {"no, that doesn't work either", "passed your message on", GATHER},
      END},
     "message_taken",
     0,
     0,
     1,
     CTN_LANG_EN},
    {"slot taken by another call: the next is offered",
     F_TAKEN_ONCE,
     NULL,
     {{"I need to book a repair, my name is Ann Lee, 12 Elm Street, leaky faucet, asap", "slot 0",
       GATHER},
      {"yes", "just taken", GATHER},
      {"yes", "booked", GATHER},
      END},
     "booked",
     0,
     1,
     0,
     CTN_LANG_EN},
    {"nothing on the asked day: the soonest instead",
     F_NO_THURSDAY,
     NULL,
     {{"can you come fix my sink on Thursday? I'm Bo Diaz at 5 Pine Street", "anything open then",
       GATHER},
      {"yes", "booked", GATHER},
      END},
     "booked",
     0,
     1,
     0,
     CTN_LANG_EN},
    {"a new day asked during an offer searches again",
     0,
     NULL,
     {{"my sink is clogged, I'm Bo Diaz at 5 Pine Street, as soon as possible", "slot 0", GATHER},
      {"no, do you have anything Thursday afternoon?", "soonest opening", GATHER},
      END},
     "abandoned",
     0,
     0,
     0,
     CTN_LANG_EN},
    {"schedule unreachable: a message instead",
     F_FIND_FAILS,
     NULL,
     {{"my sink is clogged, I'm Bo Diaz at 5 Pine Street, as soon as possible", "take a message",
       GATHER},
      END},
     "message_taken",
     0,
     0,
     1,
     CTN_LANG_EN},
    {"the read-back number is not theirs: asked for one",
     0,
     NULL,
     {{"I need a repair, my faucet is leaking, I'm Ann Lee, 12 Elm Street", "312-555-0142", GATHER},
      {"no", "best number", GATHER},
      {"it's 773 555 0199", "When would you like", GATHER},
      {"tomorrow morning", "slot 0", GATHER},
      {"yes", "booked", GATHER},
      END},
     "booked",
     0,
     1,
     0,
     CTN_LANG_EN},
    {"anonymous caller: asked for a number",
     F_NO_CALLER_ID,
     NULL,
     {{"I need a repair, my faucet is leaking, I'm Ann Lee, 12 Elm Street", "best number", GATHER},
      {"um", "didn't quite get that", GATHER},
      {"three one two five five five zero one nine nine", "When would you like", GATHER},
      END},
     "abandoned",
     0,
     0,
     0,
     CTN_LANG_EN},
    {"negated emergency in Spanish: no dispatch, the question answered",
     0,
     NULL,
     {{"no, no huele a gas en la casa, quiero saber el horario", "Nuestro horario", GATHER}, END},
     "question_answered",
     0,
     0,
     0,
     CTN_LANG_ES},
    {"price with ranges, then a booking offer",
     0,
     NULL,
     {{"how much is drain cleaning", "between $129 and $249", GATHER},
      {"yes", "May I have your name?", GATHER},
      END},
     "question_answered",
     0,
     0,
     0,
     CTN_LANG_EN},
    {"price with exact policy",
     0,
     "{\"price_policy\": \"exact\"}",
     {{"what's the price of a new water heater", "Water heater installation starts at $1200",
       GATHER},
      {"no", NULL, HANGUP},
      END},
     "question_answered",
     0,
     0,
     0,
     CTN_LANG_EN},
    {"price with never policy: no numbers",
     0,
     "{\"price_policy\": \"never\"}",
     {{"how much is drain cleaning", "exact quote on site", GATHER}, END},
     "question_answered",
     0,
     0,
     0,
     CTN_LANG_EN},
    {"a Spanish price question hears the service's range",
     0,
     NULL,
     {{"¿cuánto cobran por destapar un drenaje?", "entre 129 y 249 dólares", GATHER},
      {"no, gracias", NULL, HANGUP},
      END},
     "question_answered",
     0,
     0,
     0,
     CTN_LANG_ES},
    {"a Spanish price question names the service it means",
     0,
     NULL,
     {{"¿cuánto cuesta la instalación de un calentador de agua?", "entre 1200 y 2400 dólares",
       GATHER},
      END},
     "question_answered",
     0,
     0,
     0,
     CTN_LANG_ES},
    {"a Spanish price question under an exact policy hears where it starts",
     0,
     "{\"price_policy\": \"exact\"}",
     {{"¿cuánto cuesta la limpieza del drenaje?", "empieza en 129 dólares", GATHER}, END},
     "question_answered",
     0,
     0,
     0,
     CTN_LANG_ES},
    {"a Spanish price answer names the service in Spanish",
     0,
     NULL,
     {{"¿cuánto cobran por destapar un drenaje?",
       "La limpieza de drenaje normalmente cuesta entre 129 y 249 dólares", GATHER},
      END},
     "question_answered",
     0,
     0,
     0,
     CTN_LANG_ES},
    {"a rule against quoting prices is a never policy",
     0,
     "{\"rules\": [\"Never promise a technician arrival time\", \"Never quote prices on the "
     "phone\"]}",
     {{"¿cuánto cobran por limpiar el drenaje?", "precio exacto", GATHER}, END},
     "question_answered",
     0,
     0,
     0,
     CTN_LANG_ES},
    {"hours in English",
     0,
     NULL,
     {{"what are your hours", "Our hours are Monday to Friday, 8 AM to 5 PM.", GATHER},
      {"no", "Have a great day", HANGUP},
      END},
     "question_answered",
     0,
     0,
     0,
     CTN_LANG_EN},
    {"hours in Spanish",
     0,
     NULL,
     {{"¿a qué hora abren el sábado?", "Nuestro horario es de lunes a viernes", GATHER}, END},
     "question_answered",
     0,
     0,
     0,
     CTN_LANG_ES},
    {"service area: a city served, a ZIP code not",
     0,
     NULL,
     {{"do you service Evanston", "Yes, we serve that area", GATHER},
      {"do you come to 90210?", "outside our service area", GATHER},
      END},
     "question_answered",
     0,
     0,
     0,
     CTN_LANG_EN},
    {"service area: asked for the ZIP code",
     0,
     NULL,
     {{"do you service my area?", "ZIP code", GATHER},
      {"60614", "Yes, we serve that area", GATHER},
      END},
     "question_answered",
     0,
     0,
     0,
     CTN_LANG_EN},
    {"knowledge base hit",
     F_KB,
     NULL,
     {{"do you offer financing", "We offer financing on water heaters.", GATHER},
      {"no, that's all, bye", NULL, HANGUP},
      END},
     "question_answered",
     0,
     0,
     0,
     CTN_LANG_EN},
    {"knowledge base miss: honest, then a message",
     0,
     NULL,
     {{"do you sell gift cards", "I don't have that information", GATHER},
      {"yes", "name", GATHER},
      {"Bob Stone", "message", GATHER},
      {"do you sell gift cards, call me", "passed your message on", GATHER},
      END},
     "message_taken",
     0,
     0,
     1,
     CTN_LANG_EN},
    {"leave a message",
     0,
     NULL,
     {{"I'd like to leave a message", "name", GATHER},
      {"Bob Stone", "message", GATHER},
      {"please call me about last week's invoice", "call you back at 312-555-0142", GATHER},
      {"no", NULL, HANGUP},
      END},
     "message_taken",
     0,
     0,
     1,
     CTN_LANG_EN},
    {"a message that cannot be saved is recorded",
     F_MESSAGE_FAILS,
     NULL,
     {{"Hola, buenas tardes, quiero dejar un mensaje por favor", "nombre", GATHER},
      {"Luis Mora", "mensaje", GATHER},
      {"que me llamen por la factura", "grabo", RECORD},
      END},
     "abandoned",
     0,
     0,
     0,
     CTN_LANG_ES},
    {"a person, with an owner phone: transfer",
     F_OWNER,
     NULL,
     {{"can I talk to a real person", "connect you", TRANSFER}, END},
     "transferred",
     0,
     0,
     0,
     CTN_LANG_EN},
    {"a person, no owner phone: a message",
     0,
     NULL,
     {{"quiero hablar con una persona", "le tomo un mensaje", GATHER},
      {"Carmen Díaz", "mensaje", GATHER},
      END},
     "abandoned",
     0,
     0,
     0,
     CTN_LANG_ES},
    {"a person after hours: a message, not a transfer",
     F_OWNER | F_AFTER_HOURS,
     NULL,
     {{"can I speak to the owner", "closed right now", GATHER}, END},
     "abandoned",
     0,
     0,
     0,
     CTN_LANG_EN},
    {"spam: a short refusal",
     0,
     NULL,
     {{"Hi, we're calling about your Google business listing", "not interested", HANGUP}, END},
     "spam",
     0,
     0,
     0,
     CTN_LANG_EN},
    {"wrong number: told kindly who they reached, not refused as a sales call",
     0,
     NULL,
     {{"oh sorry, wrong number", "No problem! You've reached Acme Plumbing.", HANGUP}, END},
     "spam",
     0,
     0,
     0,
     CTN_LANG_EN},
    {"wrong number in Spanish",
     0,
     NULL,
     {{"perdón, me equivoqué de número", "¡No se preocupe! Se comunicó con Acme Plumbing.", HANGUP},
      END},
     "spam",
     0,
     0,
     0,
     CTN_LANG_ES},
    {"goodbye",
     0,
     NULL,
     {{"never mind, goodbye", "Thanks for calling Acme Plumbing", HANGUP}, END},
     "abandoned",
     0,
     0,
     0,
     CTN_LANG_EN},
    {"two silences, then a recorded message",
     0,
     NULL,
     {{NULL, "Are you still there?", GATHER},
      {"", "can't hear you", GATHER},
      {NULL, "leave your name", RECORD},
      END},
     "abandoned",
     0,
     0,
     0,
     CTN_LANG_EN},
    {"not understood twice, then a recorded message",
     0,
     NULL,
     {{"um", "didn't quite get that", GATHER},
      {"hmm", "book a repair, prices", GATHER},
      {"uh", "after the tone", RECORD},
      END},
     "abandoned",
     0,
     0,
     0,
     CTN_LANG_EN},
    {"language switch mid-call",
     0,
     NULL,
     {{"Hi, I need to book a repair", "problem", GATHER},
      {"Perdón, mejor en español. Se me tapó el fregadero de la cocina", "nombre", GATHER},
      {"Me llamo Rosa Peña", "dirección", GATHER},
      END},
     "abandoned",
     0,
     0,
     0,
     CTN_LANG_ES},
    {"a business that only speaks English stays in English",
     0,
     "{\"languages\": [\"en\"]}",
     {{"Hola, se me tapó el fregadero de la cocina y necesito una cita", "name", GATHER}, END},
     "abandoned",
     0,
     0,
     0,
     CTN_LANG_EN},
    {"after hours, not an emergency: the next opening is booked",
     F_AFTER_HOURS,
     NULL,
     {{"my dishwasher stopped working, can you come out?", "closed right now", GATHER},
      {"Dana Kim", "address", GATHER},
      {"9 Lake Avenue", "When would you like", GATHER},
      {"whenever", "slot 0", GATHER},
      {"yes", "booked", GATHER},
      END},
     "booked",
     0,
     1,
     0,
     CTN_LANG_EN},
    {"after hours emergency: dispatched",
     F_AFTER_HOURS | F_FREEZING,
     NULL,
     {{"our furnace died and we have no heat", "on-call technician", GATHER}, END},
     "emergency_dispatched",
     1,
     0,
     0,
     CTN_LANG_EN},
    {"a question in the middle of a booking is answered, then the booking goes on",
     0,
     NULL,
     {{"I need someone to fix my garbage disposal", "name", GATHER},
      {"what are your hours", "Monday to Friday", GATHER},
      {"Kim Park", "address", GATHER},
      END},
     "question_answered",
     0,
     0,
     0,
     CTN_LANG_EN},
    {"a turn after the end only says goodbye",
     0,
     NULL,
     {{"goodbye", NULL, HANGUP}, {"hello?", "Have a great day", HANGUP}, END},
     "abandoned",
     0,
     0,
     0,
     CTN_LANG_EN},
};

START_TEST(scripted_conversations)
{
    const script_t *s = &scripts[_i];
    convo_t c;

    start(&c, s->flags, s->personality);
    for (int i = 0; i < 12 && s->steps[i].action >= 0; i++) {
        const step_t *step = &s->steps[i];
        const char *said;
        if (step->say && strcmp(step->say, "<hangup>") == 0) {
            break;
        }
        said = turn(&c, step->say);
        if (step->expect) {
            ck_assert_msg(strstr(said, step->expect) != NULL,
                          "%s: after '%s' expected '%s', got '%s'", s->name,
                          step->say ? step->say : "(silence)", step->expect, said);
        }
        if (step->action != ANY) {
            int got = "GRTH"[c.reply.action];
            ck_assert_msg(got == step->action, "%s: after '%s' expected action %c, got %c (%s)",
                          s->name, step->say ? step->say : "(silence)", step->action, got, said);
        }
    }
    ck_assert_msg(strcmp(ctn_dialog_finish(&c.st), s->disposition) == 0,
                  "%s: disposition %s, expected %s", s->name, ctn_dialog_disposition(&c.st),
                  s->disposition);
    ck_assert_msg(c.fake.dispatches == s->dispatches, "%s: %d dispatches", s->name,
                  c.fake.dispatches);
    ck_assert_msg(c.fake.bookings == s->bookings, "%s: %d bookings", s->name, c.fake.bookings);
    ck_assert_msg(c.fake.messages == s->messages, "%s: %d messages", s->name, c.fake.messages);
    ck_assert_msg(c.reply.lang == s->lang, "%s: replied in %s", s->name,
                  ctn_language_code(c.reply.lang));
}
END_TEST

/* ------------------------------------------------------- pinned details --- */

START_TEST(dispatch_happens_before_the_address_is_known)
{
    convo_t c;

    start(&c, 0, NULL);
    turn(&c, "Hola, se está inundando mi sótano");
    ck_assert_int_eq(c.fake.dispatches, 1);
    ck_assert_str_eq(c.fake.category, "flooding");
    ck_assert_ptr_null(c.fake.dispatched_with.address);
    ck_assert_str_eq(c.fake.dispatched_with.callback_number, "+13125550142");
    ck_assert_int_eq(c.reply.emergency, 1);
    ck_assert_str_eq(c.reply.intent, "emergency");
    ck_assert_int_eq(c.reply.expecting, CTN_EXPECT_ADDRESS);
    ck_assert_str_eq(c.reply.voice, "Polly.Lupe-Neural");
    ck_assert_int_eq(c.reply.language_switched, 1);
}
END_TEST

START_TEST(booking_passes_the_collected_slots_to_the_tool)
{
    convo_t c;

    start(&c, 0, NULL);
    turn(&c, "my kitchen drain is clogged, can you send someone");
    turn(&c, "Maria Lopez");
    turn(&c, "1420 Oak Street");
    turn(&c, "as soon as possible");
    ck_assert_int_eq(c.fake.last_pref.asap, 1);
    turn(&c, "no");
    turn(&c, "yes");
    ck_assert_int_eq(c.fake.bookings, 1);
    ck_assert_str_eq(c.fake.booked_with.name, "Maria Lopez");
    ck_assert_str_eq(c.fake.booked_with.address, "1420 Oak Street");
    ck_assert_str_eq(c.fake.booked_with.callback_number, "+13125550142");
    ck_assert_ptr_nonnull(c.fake.booked_with.problem);
    ck_assert(c.fake.booked_start == apr_time_from_sec(BASE_SEC + 3600));
    ck_assert_str_eq(c.st.appointment_id, "11111111-1111-1111-1111-111111111111");
}
END_TEST

START_TEST(corrected_callback_number_is_used)
{
    convo_t c;

    start(&c, 0, NULL);
    turn(&c, "I need a repair, my faucet is leaking, I'm Ann Lee, 12 Elm Street");
    turn(&c, "no");
    ck_assert_int_eq(c.reply.expecting, CTN_EXPECT_PHONE);
    turn(&c, "it's 773 555 0199");
    turn(&c, "as soon as possible");
    turn(&c, "yes");
    ck_assert_str_eq(c.fake.booked_with.callback_number, "+17735550199");
}
END_TEST

START_TEST(message_carries_name_number_and_words)
{
    convo_t c;

    start(&c, 0, NULL);
    turn(&c, "I'd like to leave a message");
    turn(&c, "Bob Stone");
    turn(&c, "please call me about last week's invoice");
    ck_assert_int_eq(c.fake.messages, 1);
    ck_assert_str_eq(c.fake.message_with.name, "Bob Stone");
    ck_assert_str_eq(c.fake.message_with.callback_number, "+13125550142");
    ck_assert_str_eq(c.fake.message_with.message, "please call me about last week's invoice");
}
END_TEST

START_TEST(never_policy_says_no_number_at_all)
{
    convo_t c;

    start(&c, 0, "{\"price_policy\": \"never\"}");
    turn(&c, "how much is drain cleaning");
    ck_assert_msg(strpbrk(c.said, "$0123456789") == NULL, "a number was said: %s", c.said);
}
END_TEST

START_TEST(language_switch_changes_voice_and_stt_language)
{
    convo_t c;

    start(&c, 0, NULL);
    ck_assert_int_eq(c.reply.lang, CTN_LANG_EN);
    ck_assert_str_eq(c.reply.voice, "Polly.Joanna-Neural");
    turn(&c, "Hi, I need to book a repair");
    ck_assert_int_eq(c.reply.language_switched, 0);
    turn(&c, "Perdón, mejor en español. Se me tapó el fregadero de la cocina");
    ck_assert_int_eq(c.reply.language_switched, 1);
    ck_assert_int_eq(c.reply.lang, CTN_LANG_ES);
    ck_assert_str_eq(c.reply.voice, "Polly.Lupe-Neural");
    /* One English name does not flip it back. */
    turn(&c, "Rosa Peña");
    ck_assert_int_eq(c.reply.lang, CTN_LANG_ES);
    ck_assert_int_eq(c.reply.language_switched, 0);
}
END_TEST

START_TEST(tone_reaches_engine_lines)
{
    convo_t c;

    start(&c, 0, "{\"tone\": \"professional\"}");
    turn(&c, "I'd like to book an appointment");
    ck_assert_ptr_nonnull(strstr(c.said, "Understood."));
    ck_assert_ptr_null(strstr(c.said, "Got it!"));
    start(&c, 0, "{\"tone\": \"calm\"}");
    turn(&c, "um");
    ck_assert_ptr_nonnull(strstr(c.said, "I'm sorry,"));
    start(&c, 0, NULL);
    turn(&c, "I'd like to book an appointment");
    ck_assert_ptr_nonnull(strstr(c.said, "Got it!"));
}
END_TEST

START_TEST(greeting_discloses_ai_and_after_hours)
{
    convo_t c;

    start(&c, 0, NULL);
    ck_assert_ptr_nonnull(strstr(c.said, "Acme Plumbing's AI assistant"));
    start(&c, 0, "{\"greeting\": {\"en\": \"Acme Plumbing, how can we help?\"}}");
    ck_assert_str_eq(c.said, "Acme Plumbing, how can we help? I'm an AI assistant.");
    start(&c, F_AFTER_HOURS, NULL);
    ck_assert_ptr_nonnull(strstr(c.said, "We're closed right now"));
    ck_assert_ptr_nonnull(strstr(c.said, "emergency"));
    start(&c, 0, "{\"languages\": [\"es\"]}");
    ck_assert_int_eq(c.reply.lang, CTN_LANG_ES);
    ck_assert_ptr_nonnull(strstr(c.said, "asistente virtual"));
}
END_TEST

START_TEST(hints_follow_what_is_expected)
{
    convo_t c;

    start(&c, 0, NULL);
    ck_assert_ptr_nonnull(strstr(c.reply.hints, "Drain cleaning"));
    turn(&c, "my sink is clogged, I'm Bo Diaz, 5 Pine Street, as soon as possible");
    ck_assert_int_eq(c.st.stage, CTN_STAGE_OFFER);
    ck_assert_ptr_nonnull(strstr(c.reply.hints, "yes,no"));
    turn(&c, "yes");
    start(&c, 0, NULL);
    turn(&c, "I want to book a repair, my toilet is running, I'm Bo Diaz");
    ck_assert_int_eq(c.reply.expecting, CTN_EXPECT_ADDRESS);
    ck_assert_ptr_nonnull(strstr(c.reply.hints, "street"));
}
END_TEST

/* Two questions in one breath are both answered, briefly, in either
 * order and language; one question with a day in it is one question. */
START_TEST(spanish_price_answers_say_the_service_in_spanish)
{
    static const struct {
        const char *text, *expect;
    } cases[] = {
        {"¿cuánto cuesta la instalación de un calentador de agua?",
         "La instalación de calentador de agua normalmente cuesta entre 1200 y 2400"},
        {"¿cuánto cuesta la visita?", "La visita cuesta 89 dólares"},
        /* no Spanish for "garbage": the owner's name as written */
        {"¿cuánto cuesta arreglar el triturador de basura?",
         "Garbage disposal repair normalmente cuesta entre 150 y 300"},
        {"¿cuánto cuesta reparar el aire acondicionado?",
         "La reparación de aire acondicionado normalmente cuesta entre 200 y 900"},
    };
    convo_t c;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        start(&c, 0, NULL);
        c.ctx.services =
            owned("[{\"name\":\"Water heater installation\",\"price_min\":1200,\"price_max\":2400},"
                  "{\"name\":\"Service call\",\"price_min\":89},"
                  "{\"name\":\"Garbage disposal repair\",\"price_min\":150,\"price_max\":300},"
                  "{\"name\":\"Air conditioning repair\",\"price_min\":200,\"price_max\":900}]");
        turn(&c, cases[i].text);
        ck_assert_msg(strstr(c.said, cases[i].expect), "'%s': got '%s'", cases[i].text, c.said);
    }
}
END_TEST

START_TEST(two_questions_at_once_are_both_answered)
{
    static const struct {
        const char *text, *first, *second;
    } cases[] = {
        {"how much is drain cleaning and are you open saturday?", "$129 and $249",
         "Monday to Friday"},
        {"are you open on saturday? and how much is drain cleaning", "Monday to Friday",
         "$129 and $249"},
        {"¿cuánto cuesta destapar el drenaje y abren el sábado?", "129 y 249",
         "de lunes a viernes"},
    };
    convo_t c;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *a, *b;
        start(&c, 0, NULL);
        turn(&c, cases[i].text);
        a = strstr(c.said, cases[i].first);
        b = strstr(c.said, cases[i].second);
        ck_assert_msg(a && b && a < b, "'%s': got '%s'", cases[i].text, c.said);
    }
    start(&c, 0, NULL);
    turn(&c, "how much is drain cleaning on saturday?");
    ck_assert_msg(strstr(c.said, "$129") && !strstr(c.said, "Monday to Friday"), "got '%s'",
                  c.said);
}
END_TEST

START_TEST(summary_tells_the_owner_what_happened)
{
    convo_t c;
    const char *summary;

    start(&c, 0, NULL);
    turn(&c, "Hola, se está inundando mi sótano");
    turn(&c, "Vivo en 2200 calle Milwaukee");
    turn(&c, "Me llamo José Ramírez");
    summary = ctn_dialog_summary(unit_pool, &c.st, NULL);
    ck_assert_ptr_nonnull(strstr(summary, "es call (emergency_dispatched)."));
    ck_assert_ptr_nonnull(strstr(summary, "Emergency: flooding, on-call technician alerted."));
    ck_assert_ptr_nonnull(strstr(summary, "José Ramírez"));
    ck_assert_ptr_nonnull(strstr(summary, "Milwaukee"));
    /* The category in words, not its identifier. */
    start(&c, 0, NULL);
    turn(&c, "I smell gas in my kitchen");
    summary = ctn_dialog_summary(unit_pool, &c.st, NULL);
    ck_assert_msg(strstr(summary, "Emergency: gas leak, on-call technician alerted.") != NULL, "%s",
                  summary);
    /* A state that knows of an emergency but not its kind (read back from
     * a call log's JSON) still reads as words. */
    start(&c, 0, NULL);
    c.st.emergency = c.st.dispatch_tried = c.st.dispatched = 1;
    c.st.emergency_category = NULL;
    summary = ctn_dialog_summary(unit_pool, &c.st, NULL);
    ck_assert_msg(strstr(summary, "Emergency, on-call technician alerted.") != NULL &&
                      strstr(summary, "(null)") == NULL,
                  "%s", summary);
    c.st.dispatch_tried = c.st.dispatched = 0;
    summary = ctn_dialog_summary(unit_pool, &c.st, NULL);
    ck_assert_msg(strstr(summary, "Emergency.") != NULL && strstr(summary, "(null)") == NULL, "%s",
                  summary);
}
END_TEST

/* ------------------------------------------------------------- handoff --- */

/* Lines of a realtime call: "C:" the caller, anything else Cortana. */
static ctn_dialog_handoff_t said_on_realtime(const char *const *lines)
{
    ctn_dialog_handoff_t h;
    apr_array_header_t *a = apr_array_make(unit_pool, 8, sizeof(ctn_dialog_line_t));

    memset(&h, 0, sizeof(h));
    ctn_slots_init(&h.booked);
    for (int i = 0; lines[i]; i++) {
        ctn_dialog_line_t *l = apr_array_push(a);
        int caller = strncmp(lines[i], "C:", 2) == 0;
        l->speaker = caller ? "caller" : "cortana";
        l->text = caller ? lines[i] + 2 : lines[i];
    }
    h.lines = a;
    return h;
}

/* The built-in engine takes over after the greeting's state, read back
 * from JSON as the gather webhook reads it. */
static const char *resume(convo_t *c, const ctn_dialog_handoff_t *h)
{
    json_object *o;

    c->st.realtime = 1; /* as /twilio/voice saves it for a realtime call */
    keep_state(c);
    o = json_tokener_parse(c->state);
    memset(&c->st, 0xa5, sizeof(c->st));
    ck_assert_int_eq(ctn_dialog_state_from_json(&c->st, unit_pool, o), APR_SUCCESS);
    json_object_put(o);
    ck_assert_int_eq(c->st.realtime, 1);
    ck_assert_int_eq(ctn_dialog_resume(&c->reply, unit_pool, &c->st, &c->ctx, h), APR_SUCCESS);
    check_reply(c);
    ck_assert_int_eq(c->st.realtime, 0);
    keep_state(c);
    return c->said;
}

static const struct {
    const char *text;
    ctn_expect_e what;
} asked_cases[] = {
    {"Sure. May I have your name?", CTN_EXPECT_NAME},
    {"Who am I speaking with?", CTN_EXPECT_NAME},
    {"Thanks, Maria. What's the address for the visit?", CTN_EXPECT_ADDRESS},
    {"I have your address. And your name, please?", CTN_EXPECT_NAME}, /* the last question */
    {"What's the best number to reach you?", CTN_EXPECT_PHONE},
    {"Can you describe the problem?", CTN_EXPECT_PROBLEM},
    {"When would you like us to come out?", CTN_EXPECT_TIME},
    {"¿Me da su nombre, por favor?", CTN_EXPECT_NAME},
    {"Gracias. ¿Cuál es la dirección?", CTN_EXPECT_ADDRESS},
    {"¿A qué hora le queda bien?", CTN_EXPECT_TIME},
    {"How can I help you today?", CTN_EXPECT_NONE},
    {"Reply 2 from the fake model.", CTN_EXPECT_NONE},
    {"", CTN_EXPECT_NONE},
};

START_TEST(what_a_question_asks_for)
{
    ck_assert_msg(ctn_dialog_asked(unit_pool, asked_cases[_i].text) == asked_cases[_i].what,
                  "'%s' asks for %d", asked_cases[_i].text,
                  (int)ctn_dialog_asked(unit_pool, asked_cases[_i].text));
}
END_TEST

/* The built-in engine's own questions read the same way in both
 * languages, so a handoff after them takes the answers for what was asked. */
START_TEST(the_engines_own_questions_are_understood)
{
    static const struct {
        ctn_phrase_e id;
        ctn_expect_e what;
    } own[] = {
        {CTN_PH_ASK_NAME, CTN_EXPECT_NAME},
        {CTN_PH_ASK_NAME_EMERGENCY, CTN_EXPECT_NAME},
        {CTN_PH_ASK_ADDRESS, CTN_EXPECT_ADDRESS},
        {CTN_PH_ASK_ADDRESS_EMERGENCY, CTN_EXPECT_ADDRESS},
        {CTN_PH_ASK_PHONE, CTN_EXPECT_PHONE},
        {CTN_PH_ASK_PROBLEM, CTN_EXPECT_PROBLEM},
        {CTN_PH_ASK_TIME, CTN_EXPECT_TIME},
        {CTN_PH_ASK_MESSAGE, CTN_EXPECT_MESSAGE},
        {CTN_PH_HOW_HELP, CTN_EXPECT_NONE},
        {CTN_PH_ANYTHING_ELSE, CTN_EXPECT_NONE},
    };

    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
        for (int lang = CTN_LANG_EN; lang <= CTN_LANG_ES; lang++) {
            const char *q = ctn_dialog_phrase(own[i].id, (ctn_lang_e)lang);
            ck_assert_msg(ctn_dialog_asked(unit_pool, q) == own[i].what, "'%s' asks for %d", q,
                          (int)ctn_dialog_asked(unit_pool, q));
        }
    }
}
END_TEST

START_TEST(handoff_keeps_what_the_caller_said_and_books_once)
{
    static const char *const lines[] = {"Thanks for calling Acme Plumbing! How can I help you?",
                                        "C:Hi, my kitchen drain is clogged, can someone come out?",
                                        "I can help with that. May I have your name?",
                                        "C:Maria Lopez",
                                        "Thanks, Maria. What's the address for the visit?",
                                        "C:1420 Oak Street",
                                        NULL};
    ctn_dialog_handoff_t h = said_on_realtime(lines);
    convo_t c;
    const char *said;

    start(&c, 0, NULL);
    said = resume(&c, &h);
    ck_assert_msg(strncmp(said, "Sorry, I had a hiccup — let me continue. ", 41) == 0, "%s", said);
    ck_assert_msg(!strstr(said, "name") && !strstr(said, "address") && !strstr(said, "problem"),
                  "asked again: %s", said);
    ck_assert_msg(strstr(said, "When would you like"), "%s", said);
    ck_assert_str_eq(c.reply.intent, "handoff");
    ck_assert_int_eq(c.reply.expecting, CTN_EXPECT_TIME);
    ck_assert_str_eq(c.st.slots.name, "Maria Lopez");
    ck_assert_str_eq(c.st.slots.address, "1420 Oak Street");
    ck_assert_ptr_nonnull(c.st.slots.problem);
    ck_assert_int_eq(c.st.goal, CTN_GOAL_BOOK);
    ck_assert_int_eq(c.st.turns, 3);
    ck_assert_int_eq(c.fake.dispatches + c.fake.bookings, 0);
    ck_assert_ptr_nonnull(strstr(turn(&c, "as soon as possible"), "slot 0"));
    ck_assert_ptr_nonnull(strstr(turn(&c, "yes"), "You're booked, Maria Lopez"));
    ck_assert_int_eq(c.fake.bookings, 1);
    ck_assert_str_eq(c.fake.booked_with.address, "1420 Oak Street");
}
END_TEST

START_TEST(handoff_speaks_the_callers_language)
{
    static const char *const lines[] = {"Thanks for calling Acme Plumbing! How can I help you?",
                                        "C:Hola, quiero una cita, el fregadero está tapado",
                                        "Claro. ¿Me da su nombre, por favor?", "C:Ana Ruiz", NULL};
    ctn_dialog_handoff_t h = said_on_realtime(lines);
    convo_t c;
    const char *said;

    start(&c, 0, NULL);
    said = resume(&c, &h);
    ck_assert_int_eq(c.reply.lang, CTN_LANG_ES);
    ck_assert_str_eq(c.reply.voice, "Polly.Lupe-Neural");
    ck_assert_msg(strstr(said, "problema técnico") && strstr(said, "dirección"), "%s", said);
    ck_assert_str_eq(c.st.slots.name, "Ana Ruiz");
    ck_assert_int_eq(c.reply.expecting, CTN_EXPECT_ADDRESS);
}
END_TEST

START_TEST(handoff_never_dispatches_twice)
{
    static const char *const lines[] = {"C:Hola, se está inundando mi sótano",
                                        "Ya avisé al técnico. ¿Cuál es la dirección?",
                                        "C:Vivo en 2200 calle Milwaukee", NULL};
    ctn_dialog_handoff_t h = said_on_realtime(lines);
    convo_t c;
    const char *said;

    h.dispatch_category = "flooding";
    h.dispatched = 1;
    h.emergency = 1;
    start(&c, 0, NULL);
    said = resume(&c, &h);
    ck_assert_int_eq(c.fake.dispatches, 0);
    ck_assert_int_eq(c.st.emergency && c.st.dispatched && c.st.dispatch_tried, 1);
    ck_assert_str_eq(c.st.emergency_category, "flooding");
    ck_assert_int_eq(c.reply.lang, CTN_LANG_ES);
    ck_assert_msg(strstr(said, "nombre") && !strstr(said, "dirección"), "%s", said);
    turn(&c, "todavía se está inundando todo, ayuda");
    ck_assert_int_eq(c.fake.dispatches, 0);
    ck_assert_str_eq(ctn_dialog_disposition(&c.st), "emergency_dispatched");
}
END_TEST

/* The realtime side's dispatch texted nobody (no technician, no owner
 * phone): tried, so not tried again, but not dispatched either. */
START_TEST(handoff_after_a_dispatch_that_alerted_nobody_is_not_dispatched)
{
    static const char *const lines[] = {"C:there's a strong gas smell in my kitchen", NULL};
    ctn_dialog_handoff_t h = said_on_realtime(lines);
    convo_t c;

    h.dispatch_category = "gas_leak";
    h.dispatched = 0;
    h.emergency = 1;
    start(&c, 0, NULL);
    resume(&c, &h);
    ck_assert_int_eq(c.fake.dispatches, 0);
    ck_assert_int_eq(c.st.dispatched, 0);
    ck_assert_int_eq(c.st.dispatch_tried, 1);
    ck_assert_str_eq(ctn_dialog_disposition(&c.st), "message_taken");
    ck_assert_ptr_nonnull(
        strstr(ctn_dialog_summary(unit_pool, &c.st, NULL), "nobody on call could be alerted"));
}
END_TEST

START_TEST(handoff_dispatches_an_emergency_nobody_dispatched)
{
    static const char *const lines[] = {"C:there's a strong gas smell in my kitchen", NULL};
    ctn_dialog_handoff_t h = said_on_realtime(lines);
    convo_t c;
    const char *said;

    start(&c, 0, NULL);
    said = resume(&c, &h);
    ck_assert_int_eq(c.fake.dispatches, 1);
    ck_assert_str_eq(c.fake.category, "gas_leak");
    ck_assert_msg(strstr(said, "hiccup") && strstr(said, "on-call technician") &&
                      strstr(said, "911") && strstr(said, "address"),
                  "%s", said);
    turn(&c, "I still smell gas");
    ck_assert_int_eq(c.fake.dispatches, 1);
}
END_TEST

START_TEST(handoff_after_a_booking_books_nothing_more)
{
    static const char *const lines[] = {"C:I need someone to fix a leaking faucet",
                                        "C:my name is Sam Reed", "C:77 Elm Street",
                                        "C:yes, tomorrow morning works", NULL};
    ctn_dialog_handoff_t h = said_on_realtime(lines);
    convo_t c;
    const char *said;

    h.appointment_id = "22222222-2222-2222-2222-222222222222";
    start(&c, 0, NULL);
    said = resume(&c, &h);
    ck_assert_msg(strstr(said, "anything else"), "%s", said);
    ck_assert_int_eq(c.fake.bookings + c.fake.book_calls + c.fake.find_calls, 0);
    ck_assert_str_eq(c.st.appointment_id, h.appointment_id);
    ck_assert_ptr_nonnull(strstr(turn(&c, "no thanks"), "Have a great day"));
    ck_assert_int_eq(c.fake.bookings, 0);
    ck_assert_str_eq(ctn_dialog_disposition(&c.st), "booked");
}
END_TEST

START_TEST(handoff_before_the_caller_spoke_just_asks)
{
    static const char *const lines[] = {"Thanks for calling Acme Plumbing! How can I help you?",
                                        NULL};
    ctn_dialog_handoff_t h = said_on_realtime(lines);
    convo_t c;

    start(&c, 0, NULL);
    ck_assert_str_eq(resume(&c, &h), "How can I help you?");
    ck_assert_int_eq(c.st.turns, 0);
    /* the caller's first words still decide the language */
    turn(&c, "sí");
    ck_assert_int_eq(c.reply.lang, CTN_LANG_ES);
}
END_TEST

START_TEST(handoff_after_goodbye_says_goodbye)
{
    static const char *const lines[] = {"C:what are your hours", "We're open 8 to 5.",
                                        "C:ok that's all, bye", NULL};
    ctn_dialog_handoff_t h = said_on_realtime(lines);
    convo_t c;

    start(&c, 0, NULL);
    resume(&c, &h);
    ck_assert_int_eq(c.reply.action, CTN_DIALOG_HANGUP);
    ck_assert_int_eq(ctn_dialog_resume(&c.reply, unit_pool, &c.st, &c.ctx, NULL), APR_EINVAL);
}
END_TEST

/* ----------------------------------------------------------- state JSON --- */

START_TEST(state_json_round_trip_keeps_everything)
{
    ctn_dialog_state_t st, back;
    json_object *o;
    const char *text;

    ctn_dialog_state_init(&st, CTN_LANG_ES);
    st.lang.pending = 1;
    st.stage = CTN_STAGE_OFFER;
    st.goal = CTN_GOAL_EMERGENCY;
    st.expecting = CTN_EXPECT_TIME;
    st.reprompts = 2;
    st.turns = 7;
    st.emergency = st.dispatched = st.dispatch_tried = 1;
    st.emergency_category = "gas_leak";
    st.callback_confirmed = st.caller_id_declined = 1;
    st.offered.start = apr_time_from_sec(BASE_SEC);
    st.offered.end = apr_time_from_sec(BASE_SEC + 3600);
    st.offers_declined = 1;
    st.appointment_id = "abc";
    st.message_taken = st.question_answered = st.transferred = st.spam = 1;
    st.last_intent = "yes";
    st.realtime = 1;
    st.slots.name = "José";
    st.slots.callback_number = "+13125550142";
    st.slots.address = "2200 Calle Milwaukee";
    st.slots.zip = "60614";
    st.slots.problem = "sótano inundado";
    st.slots.message = "llámenme";
    st.slots.when.asap = 1;
    st.slots.when.day_offset = 1;
    st.slots.when.weekday = 4;
    st.slots.when.part = CTN_DAYPART_AFTERNOON;
    st.slots.when_given = 1;

    text = ctn_dialog_state_serialize(unit_pool, &st);
    o = json_tokener_parse(text);
    ck_assert_msg(o != NULL, "not JSON: %s", text);
    ck_assert_int_eq(ctn_dialog_state_from_json(&back, unit_pool, o), APR_SUCCESS);
    ck_assert_str_eq(ctn_dialog_state_serialize(unit_pool, &back), text);
    ck_assert_int_eq(back.lang.current, CTN_LANG_ES);
    ck_assert_int_eq(back.stage, CTN_STAGE_OFFER);
    ck_assert_int_eq(back.goal, CTN_GOAL_EMERGENCY);
    ck_assert_int_eq(back.expecting, CTN_EXPECT_TIME);
    ck_assert(back.offered.start == st.offered.start && back.offered.end == st.offered.end);
    ck_assert_int_eq(back.slots.when.part, CTN_DAYPART_AFTERNOON);
    ck_assert_int_eq(back.slots.when.weekday, 4);
    ck_assert_int_eq(back.realtime, 1);
    ck_assert_str_eq(back.slots.problem, "sótano inundado");
    ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "stage")), "offer");
    json_object_put(o);
}
END_TEST

static const struct {
    const char *json;
    apr_status_t rv;
} stored_states[] = {
    {"{\"stage\": \"offer\", \"goal\": \"book\", \"offered_start\": 5}", APR_SUCCESS},
    /* The first format: enums as numbers, time preference flat in "slots". */
    {"{\"lang\":\"es\",\"stage\":1,\"goal\":2,\"expecting\":2,\"dispatched\":1,"
     "\"slots\":{\"name\":\"Ana\",\"day_offset\":1,\"weekday\":-1,\"part\":0,\"when_given\":1}}",
     APR_SUCCESS},
    {"{}", APR_SUCCESS},
    {"{\"stage\": 99}", APR_EINVAL},
    {"{\"stage\": \"dancing\"}", APR_EINVAL},
    {"{\"lang\": \"fr\"}", APR_EINVAL},
    {"{\"reprompts\": -1}", APR_EINVAL},
    {"{\"slots\": {\"name\": 42}}", APR_EINVAL},
    {"{\"slots\": [1, 2]}", APR_EINVAL},
    {"{\"slots\": {\"when\": {\"weekday\": 9}}}", APR_EINVAL},
    {"{\"turns\": \"seven\"}", APR_EINVAL},
    {"[]", APR_EINVAL},
    {"\"open\"", APR_EINVAL},
};

START_TEST(state_json_accepts_old_and_refuses_garbage)
{
    json_object *o = json_tokener_parse(stored_states[_i].json);
    ctn_dialog_state_t st;

    ck_assert_msg(ctn_dialog_state_from_json(&st, unit_pool, o) == stored_states[_i].rv, "%s",
                  stored_states[_i].json);
    if (stored_states[_i].rv != APR_SUCCESS) {
        /* Refused as a whole: a fresh state, nothing half-read. */
        ck_assert_int_eq(st.stage, CTN_STAGE_OPEN);
        ck_assert_int_eq(st.turns, 0);
        ck_assert_ptr_null(st.slots.name);
    }
    json_object_put(o);
}
END_TEST

START_TEST(state_json_first_format_is_read)
{
    json_object *o = json_tokener_parse(stored_states[1].json);
    ctn_dialog_state_t st;

    ck_assert_int_eq(ctn_dialog_state_from_json(&st, unit_pool, o), APR_SUCCESS);
    ck_assert_int_eq(st.lang.current, CTN_LANG_ES);
    ck_assert_int_eq(st.stage, CTN_STAGE_COLLECT);
    ck_assert_int_eq(st.goal, CTN_GOAL_EMERGENCY);
    ck_assert_int_eq(st.expecting, CTN_EXPECT_ADDRESS);
    ck_assert_int_eq(st.dispatched, 1);
    ck_assert_int_eq(st.dispatch_tried, 1); /* so it is never dispatched again */
    ck_assert_str_eq(st.slots.name, "Ana");
    ck_assert_int_eq(st.slots.when.day_offset, 1);
    ck_assert_int_eq(st.slots.when_given, 1);
    ck_assert_int_eq(ctn_dialog_state_from_json(&st, unit_pool, NULL), APR_EINVAL);
    json_object_put(o);
}
END_TEST

START_TEST(sentiment_from_the_callers_words)
{
    ck_assert_str_eq(ctn_dialog_sentiment(unit_pool, "great, thank you so much"), "positive");
    ck_assert_str_eq(ctn_dialog_sentiment(unit_pool, "this is ridiculous, I'm very upset"),
                     "negative");
    ck_assert_str_eq(ctn_dialog_sentiment(unit_pool, "I am not happy"), "negative");
    ck_assert_str_eq(ctn_dialog_sentiment(unit_pool, "muchas gracias, muy amable"), "positive");
    ck_assert_str_eq(ctn_dialog_sentiment(unit_pool, "my drain is clogged"), "neutral");
    ck_assert_str_eq(ctn_dialog_sentiment(unit_pool, NULL), "neutral");
}
END_TEST

START_TEST(null_arguments_are_refused)
{
    ctn_dialog_reply_t r;
    ctn_dialog_state_t st;
    ctn_dialog_context_t ctx;

    memset(&ctx, 0, sizeof(ctx));
    ctn_dialog_state_init(&st, CTN_LANG_EN);
    ck_assert_int_eq(ctn_dialog_turn(&r, unit_pool, &st, &ctx, "hi"), APR_EINVAL);
    ck_assert_int_eq(ctn_dialog_start(&r, unit_pool, NULL, &ctx), APR_EINVAL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dialog");
    TCase *tc = tcase_create("dialog");

    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_loop_test(tc, scripted_conversations, 0, (int)(sizeof(scripts) / sizeof(scripts[0])));
    tcase_add_test(tc, dispatch_happens_before_the_address_is_known);
    tcase_add_test(tc, booking_passes_the_collected_slots_to_the_tool);
    tcase_add_test(tc, corrected_callback_number_is_used);
    tcase_add_test(tc, message_carries_name_number_and_words);
    tcase_add_test(tc, never_policy_says_no_number_at_all);
    tcase_add_test(tc, language_switch_changes_voice_and_stt_language);
    tcase_add_test(tc, tone_reaches_engine_lines);
    tcase_add_test(tc, greeting_discloses_ai_and_after_hours);
    tcase_add_test(tc, spanish_price_answers_say_the_service_in_spanish);
    tcase_add_test(tc, two_questions_at_once_are_both_answered);
    tcase_add_test(tc, hints_follow_what_is_expected);
    tcase_add_test(tc, summary_tells_the_owner_what_happened);
    tcase_add_loop_test(tc, what_a_question_asks_for, 0,
                        (int)(sizeof(asked_cases) / sizeof(asked_cases[0])));
    tcase_add_test(tc, the_engines_own_questions_are_understood);
    tcase_add_test(tc, handoff_keeps_what_the_caller_said_and_books_once);
    tcase_add_test(tc, handoff_after_a_dispatch_that_alerted_nobody_is_not_dispatched);
    tcase_add_test(tc, handoff_speaks_the_callers_language);
    tcase_add_test(tc, handoff_never_dispatches_twice);
    tcase_add_test(tc, handoff_dispatches_an_emergency_nobody_dispatched);
    tcase_add_test(tc, handoff_after_a_booking_books_nothing_more);
    tcase_add_test(tc, handoff_before_the_caller_spoke_just_asks);
    tcase_add_test(tc, handoff_after_goodbye_says_goodbye);
    tcase_add_test(tc, state_json_round_trip_keeps_everything);
    tcase_add_loop_test(tc, state_json_accepts_old_and_refuses_garbage, 0,
                        (int)(sizeof(stored_states) / sizeof(stored_states[0])));
    tcase_add_test(tc, state_json_first_format_is_read);
    tcase_add_test(tc, sentiment_from_the_callers_words);
    tcase_add_test(tc, null_arguments_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
