/* test_slots.c: intents and slot extraction (lib/intent.c, lib/slots.c). */
#include "unit.h"

#include "intent.h"
#include "slots.h"

#include <string.h>

CTN_UNIT_POOL_FIXTURE

static const struct {
    const char *text;
    ctn_intent_e intent;
} intents[] = {
    {"I'd like to book an appointment", CTN_INTENT_BOOK},
    {"my kitchen sink is clogged", CTN_INTENT_BOOK},
    {"quiero una cita para mañana", CTN_INTENT_BOOK},
    {"el fregadero está tapado", CTN_INTENT_BOOK},
    {"how much do you charge for drain cleaning", CTN_INTENT_PRICE},
    {"¿cuánto cobran por una visita?", CTN_INTENT_PRICE},
    {"¿cuánto me sale destapar el drenaje?", CTN_INTENT_PRICE},
    {"¿cuánto me cobrarían por instalar un calentador?", CTN_INTENT_PRICE},
    {"¿cuánto vale la visita?", CTN_INTENT_PRICE},
    {"¿cuánto me costaría cambiar el inodoro?", CTN_INTENT_PRICE},
    {"how much for a water heater install", CTN_INTENT_PRICE},
    {"what are your hours", CTN_INTENT_HOURS},
    {"¿a qué hora abren el sábado?", CTN_INTENT_HOURS},
    {"do you service Evanston", CTN_INTENT_SERVICE_AREA},
    {"do you offer financing", CTN_INTENT_QUESTION},
    {"I want to leave a message", CTN_INTENT_MESSAGE},
    {"quiero dejar un mensaje", CTN_INTENT_MESSAGE},
    {"can I talk to a real person", CTN_INTENT_HUMAN},
    {"quiero hablar con una persona", CTN_INTENT_HUMAN},
    {"we're calling about your Google business listing", CTN_INTENT_SPAM},
    {"sorry, wrong number", CTN_INTENT_SPAM},
    {"perdón, me equivoqué de número", CTN_INTENT_SPAM},
    {"what's your rate for a service call", CTN_INTENT_PRICE},
    {"¿Están abiertos el sábado?", CTN_INTENT_HOURS},
    {"¿abren los domingos?", CTN_INTENT_HOURS},
    {"¿Dan servicio en 60614?", CTN_INTENT_SERVICE_AREA},
    {"¿trabajan en Evanston?", CTN_INTENT_SERVICE_AREA},
    {"¿cubren la zona de Oak Park?", CTN_INTENT_SERVICE_AREA},
    {"¿pueden venir el sábado?", CTN_INTENT_BOOK},
    {"do you come out to 60610?", CTN_INTENT_SERVICE_AREA},
    {"do you guys come out to Evanston", CTN_INTENT_SERVICE_AREA},
    {"do you go to Oak Park?", CTN_INTENT_SERVICE_AREA},
    {"¿vienen hasta Evanston?", CTN_INTENT_SERVICE_AREA},
    /* "van a" + a verb is the future ("are you going to come"), not a place */
    {"¿van a venir hoy?", CTN_INTENT_BOOK},
    {"¿van a poder venir mañana?", CTN_INTENT_BOOK},
    {"¿cuándo va a venir el técnico?", CTN_INTENT_BOOK},
    {"¿van a mandar a alguien?", CTN_INTENT_BOOK},
    {"¿van a Evanston?", CTN_INTENT_SERVICE_AREA},
    {"¿van a Oak Park?", CTN_INTENT_SERVICE_AREA},
    {"can you come out tomorrow", CTN_INTENT_BOOK},
    {"do you come out to fix water heaters", CTN_INTENT_BOOK},
    {"can someone come out to 1420 Oak Street today", CTN_INTENT_BOOK},
    {"that's all, bye", CTN_INTENT_GOODBYE},
    {"yes please", CTN_INTENT_YES},
    {"sí, claro", CTN_INTENT_YES},
    {"no thanks", CTN_INTENT_NO},
    {"um", CTN_INTENT_UNKNOWN},
};

START_TEST(classifies_intents)
{
    ctn_intent_e got = ctn_intent_classify(unit_pool, intents[_i].text);
    ck_assert_msg(got == intents[_i].intent, "'%s': got %s", intents[_i].text,
                  ctn_intent_name(got));
}
END_TEST

START_TEST(yes_no_only_in_short_answers_or_at_the_start)
{
    ck_assert_int_eq(ctn_intent_yes_no(unit_pool, "yes that works"), CTN_INTENT_YES);
    ck_assert_int_eq(ctn_intent_yes_no(unit_pool, "no, that doesn't work for me"), CTN_INTENT_NO);
    ck_assert_int_eq(ctn_intent_yes_no(unit_pool, "there is no water coming out of the tap at all"),
                     CTN_INTENT_UNKNOWN);
    ck_assert_int_eq(ctn_intent_yes_no(unit_pool, ""), CTN_INTENT_UNKNOWN);
}
END_TEST

static const struct {
    const char *raw, *e164;
} phones[] = {
    {"312 555 0142", "+13125550142"},
    {"(312) 555-0142", "+13125550142"},
    {"+1 312 555 0142", "+13125550142"},
    {"three one two five five five zero one four two", "+13125550142"},
    {"tres uno dos cinco cinco cinco cero uno cuatro dos", "+13125550142"},
    {"+44 20 7946 0958", "+442079460958"},
    {"555 0142", NULL},
    {"my number is unknown", NULL},
};

START_TEST(normalizes_phone_numbers)
{
    const char *got = ctn_slots_phone(unit_pool, phones[_i].raw);
    if (phones[_i].e164) {
        ck_assert_ptr_nonnull(got);
        ck_assert_str_eq(got, phones[_i].e164);
    } else {
        ck_assert_ptr_null(got);
    }
}
END_TEST

START_TEST(extracts_names_addresses_and_problems)
{
    ctn_slots_t s;

    ctn_slots_init(&s);
    ctn_slots_extract(&s, unit_pool,
                      "Hi, my name is maria lopez and I live at 1420 Oak Street apartment 2",
                      CTN_EXPECT_NONE);
    ck_assert_str_eq(s.name, "Maria Lopez");
    ck_assert_str_eq(s.address, "1420 Oak Street Apt 2");
    ctn_slots_init(&s);
    ctn_slots_extract(&s, unit_pool, "I'm calling about my water heater, it's leaking",
                      CTN_EXPECT_NONE);
    ck_assert_ptr_null(s.name);
    ck_assert_ptr_nonnull(s.problem);
    ctn_slots_init(&s);
    ctn_slots_extract(&s, unit_pool, "¿habla español?", CTN_EXPECT_NONE);
    ck_assert_ptr_null(s.name); /* a question about the language, not a name */
    ctn_slots_init(&s);
    ctn_slots_extract(&s, unit_pool, "Juan Perez", CTN_EXPECT_NAME);
    ck_assert_str_eq(s.name, "Juan Perez");
    ctn_slots_extract(&s, unit_pool, "me llamo Pedro", CTN_EXPECT_NAME);
    ck_assert_str_eq(s.name, "Juan Perez"); /* never overwritten */
    ctn_slots_init(&s);
    ctn_slots_extract(&s, unit_pool, "Me llamo José Ramírez", CTN_EXPECT_NONE);
    ck_assert_str_eq(s.name, "José Ramírez"); /* the caller's spelling, accents kept */
    ctn_slots_init(&s);
    ctn_slots_extract(&s, unit_pool, "vivo en 2200 calle Milwaukee", CTN_EXPECT_NONE);
    ck_assert_ptr_nonnull(s.address);
    ctn_slots_init(&s);
    ctn_slots_extract(&s, unit_pool, "do you come to 60614?", CTN_EXPECT_NONE);
    ck_assert_str_eq(s.zip, "60614");
}
END_TEST

/* What is no name never becomes one: it would be read back in the booking
 * and the technician's text ("Thanks, Umm"). */
static const struct {
    const char *text;
    ctn_expect_e expecting;
    const char *name; /* NULL: none */
} names[] = {
    {"umm", CTN_EXPECT_NAME, NULL},
    {"Uhh...", CTN_EXPECT_NAME, NULL},
    {"hmm", CTN_EXPECT_NAME, NULL},
    {"mmm, este", CTN_EXPECT_NAME, NULL},
    {"um, John Smith", CTN_EXPECT_NAME, "John Smith"},
    {"this is about my water heater", CTN_EXPECT_NONE, NULL},
    {"this is regarding my bill", CTN_EXPECT_NONE, NULL},
    {"this is um, Maria", CTN_EXPECT_NONE, "Maria"},
    {"soy de Evanston", CTN_EXPECT_NONE, NULL},
    {"this is Maria Lopez", CTN_EXPECT_NONE, "Maria Lopez"},
    {"Emma", CTN_EXPECT_NAME, "Emma"},
    {"Hera Mae", CTN_EXPECT_NAME, "Hera Mae"},
    /* "this is", "I am", "I'm", "soy" open a name only when one follows */
    {"I'm wondering if you can come today", CTN_EXPECT_NONE, NULL},
    {"this is urgent", CTN_EXPECT_NONE, NULL},
    {"I'm calling about my sink", CTN_EXPECT_NONE, NULL},
    {"I am so sorry to bother you", CTN_EXPECT_NONE, NULL},
    {"I'm not sure what's wrong", CTN_EXPECT_NONE, NULL},
    {"I'm a customer of yours", CTN_EXPECT_NONE, NULL},
    {"I'm having trouble with my furnace", CTN_EXPECT_NONE, NULL},
    {"I'm worried about the water heater", CTN_EXPECT_NONE, NULL},
    {"I'm at home", CTN_EXPECT_NONE, NULL},
    {"I'm out of hot water", CTN_EXPECT_NONE, NULL},
    {"this is the third time I call", CTN_EXPECT_NONE, NULL},
    {"this is really bad", CTN_EXPECT_NONE, NULL},
    {"this is an emergency", CTN_EXPECT_NONE, NULL},
    {"I'm new to the area", CTN_EXPECT_NONE, NULL},
    {"I'm interested in a new water heater", CTN_EXPECT_NONE, NULL},
    {"soy cliente de ustedes", CTN_EXPECT_NONE, NULL},
    {"soy nueva en la zona", CTN_EXPECT_NONE, NULL},
    {"soy la dueña de la casa", CTN_EXPECT_NONE, NULL},
    {"this is Maria", CTN_EXPECT_NONE, "Maria"},
    {"I'm John Smith", CTN_EXPECT_NONE, "John Smith"},
    {"I am John", CTN_EXPECT_NONE, "John"},
    {"soy José Ramírez", CTN_EXPECT_NONE, "José Ramírez"},
    {"Hi this is Maria calling about my sink", CTN_EXPECT_NONE, "Maria"},
    {"I'm John, calling about my sink", CTN_EXPECT_NONE, "John"},
    {"my name is Ana and I need a plumber", CTN_EXPECT_NONE, "Ana"},
    {"me llamo María del Carmen", CTN_EXPECT_NONE, "María Del Carmen"},
};

/* A described job is the problem of a booking; a bare request is not. */
static const struct {
    const char *text;
    int problem;
} jobs[] = {
    {"schedule a gas line installation", 1},
    {"I need to install a gas line", 1},
    {"I'd like a furnace tune up", 1},
    {"quiero programar una instalación de línea de gas", 1},
    {"necesito reparar la línea de gas", 1},
    {"I'd like to book an appointment", 0},
    {"I want to schedule an installation", 0},
    {"I need a repair", 0},
    {"can you come fix it", 0},
    {"quiero agendar una cita", 0},
};

START_TEST(a_described_job_is_the_problem)
{
    ctn_slots_t s;

    ctn_slots_init(&s);
    ctn_slots_extract(&s, unit_pool, jobs[_i].text, CTN_EXPECT_NONE);
    ck_assert_msg((s.problem != NULL) == jobs[_i].problem, "'%s': got '%s'", jobs[_i].text,
                  s.problem ? s.problem : "(none)");
}
END_TEST

/* The problem is what is wrong, not the whole sentence: the caller's name,
 * address and time go in their own slots, not again in the technician's
 * text. A sentence with nothing else in it is kept whole. */
static const struct {
    const char *text;
    const char *problem;
} problems[] = {
    {"Hi this is Ana, I'm at 300 Clark St and my water heater is leaking, can you come tomorrow "
     "morning?",
     "my water heater is leaking"},
    {"My sink is clogged. I live at 1420 Oak Street", "My sink is clogged"},
    {"Me llamo Rosa, vivo en 2200 calle Milwaukee y el inodoro está tapado, ¿pueden venir hoy?",
     "el inodoro está tapado"},
    {"This is Tom, the toilet and the sink are clogged", "the toilet and the sink are clogged"},
    {"I'm calling about my water heater, it's leaking",
     "I'm calling about my water heater, it's leaking"},
    {"the sink is clogged and it smells", "the sink is clogged and it smells"},
};

START_TEST(the_problem_is_the_clause_that_says_it)
{
    ctn_slots_t s;

    ctn_slots_init(&s);
    ctn_slots_extract(&s, unit_pool, problems[_i].text, CTN_EXPECT_NONE);
    ck_assert_msg(s.problem && strcmp(s.problem, problems[_i].problem) == 0, "'%s': got '%s'",
                  problems[_i].text, s.problem ? s.problem : "(none)");
}
END_TEST

START_TEST(fillers_and_topics_are_no_names)
{
    ctn_slots_t s;

    ctn_slots_init(&s);
    ctn_slots_extract(&s, unit_pool, names[_i].text, names[_i].expecting);
    if (names[_i].name) {
        ck_assert_msg(s.name && strcmp(s.name, names[_i].name) == 0, "'%s': got '%s'",
                      names[_i].text, s.name ? s.name : "(none)");
    } else {
        ck_assert_msg(s.name == NULL, "'%s': got '%s'", names[_i].text, s.name);
    }
}
END_TEST

/* The unit is part of the address: the technician needs it at the door. */
static const struct {
    const char *text, *address;
} addresses[] = {
    {"1420 Oak Street, apartment 3B", "1420 Oak Street Apt 3B"},
    {"1420 Oak Street apt 3b", "1420 Oak Street Apt 3B"},
    {"it's 1420 Oak Street, unit 5, thanks", "1420 Oak Street Apt 5"},
    {"1420 Oak Street", "1420 Oak Street"},
    {"1420 Oak Street, and my name is Bob", "1420 Oak Street"},
    {"Calle Clark 300, departamento 4", "Calle Clark 300 Depto 4"},
    {"Vivo en 300 calle Clark, departamento 4B", "300 Calle Clark Depto 4B"},
    {"Vivo en 300 calle Clark", "300 Calle Clark"},
    {"ok, es el 300 calle Clark, cerca del Walmart", "300 Calle Clark"},
    {"sí, 45 avenida Central, depto 2", "45 Avenida Central Depto 2"},
};

START_TEST(addresses_keep_their_unit)
{
    ctn_slots_t s;

    ctn_slots_init(&s);
    ctn_slots_extract(&s, unit_pool, addresses[_i].text, CTN_EXPECT_NONE);
    ck_assert_msg(s.address && strcmp(s.address, addresses[_i].address) == 0, "'%s': got '%s'",
                  addresses[_i].text, s.address ? s.address : "(none)");
}
END_TEST

START_TEST(extracts_time_preferences)
{
    ctn_slots_t s;

    ctn_slots_init(&s);
    ctn_slots_extract(&s, unit_pool, "tomorrow morning if possible", CTN_EXPECT_TIME);
    ck_assert_int_eq(s.when.day_offset, 1);
    ck_assert_int_eq(s.when.part, CTN_DAYPART_MORNING);
    ctn_slots_init(&s);
    ctn_slots_extract(&s, unit_pool, "mañana por la tarde", CTN_EXPECT_TIME);
    ck_assert_int_eq(s.when.day_offset, 1);
    ck_assert_int_eq(s.when.part, CTN_DAYPART_AFTERNOON);
    ctn_slots_init(&s);
    ctn_slots_extract(&s, unit_pool, "next Tuesday", CTN_EXPECT_TIME);
    ck_assert_int_eq(s.when.weekday, 2);
    ctn_slots_init(&s);
    ctn_slots_extract(&s, unit_pool, "lo antes posible", CTN_EXPECT_TIME);
    ck_assert_int_eq(s.when.asap, 1);
    ck_assert_int_eq(s.when_given, 1);
    /* A phone number answering another question answers only the number. */
    ctn_slots_init(&s);
    ctn_slots_extract(&s, unit_pool, "my number is three one two five five five zero one nine nine",
                      CTN_EXPECT_TIME);
    ck_assert_str_eq(s.callback_number, "+13125550199");
    ck_assert_int_eq(s.when_given, 0);
    ctn_slots_init(&s);
    ctn_slots_extract(&s, unit_pool, "my number is 312 555 0199", CTN_EXPECT_ADDRESS);
    ck_assert_str_eq(s.callback_number, "+13125550199");
    ck_assert_ptr_null(s.address);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("slots");
    TCase *tc = tcase_create("slots");

    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_loop_test(tc, classifies_intents, 0, (int)(sizeof(intents) / sizeof(intents[0])));
    tcase_add_test(tc, yes_no_only_in_short_answers_or_at_the_start);
    tcase_add_loop_test(tc, normalizes_phone_numbers, 0, (int)(sizeof(phones) / sizeof(phones[0])));
    tcase_add_test(tc, extracts_names_addresses_and_problems);
    tcase_add_loop_test(tc, a_described_job_is_the_problem, 0,
                        (int)(sizeof(jobs) / sizeof(jobs[0])));
    tcase_add_loop_test(tc, the_problem_is_the_clause_that_says_it, 0,
                        (int)(sizeof(problems) / sizeof(problems[0])));
    tcase_add_loop_test(tc, fillers_and_topics_are_no_names, 0,
                        (int)(sizeof(names) / sizeof(names[0])));
    tcase_add_loop_test(tc, addresses_keep_their_unit, 0,
                        (int)(sizeof(addresses) / sizeof(addresses[0])));
    tcase_add_test(tc, extracts_time_preferences);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
