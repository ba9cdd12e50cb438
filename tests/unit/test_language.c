/* test_language.c: language detection and hysteresis (lib/language.c). */
#include "unit.h"

#include "language.h"

#include <string.h>

CTN_UNIT_POOL_FIXTURE

enum { NONE, WEAK, STRONG }; /* what an utterance is worth to ctn_language_observe */

static const struct {
    const char *text;
    ctn_lang_e lang;
    int worth;
} detect_cases[] = {
    /* whole sentences switch on their own */
    {"Se está inundando mi sótano", CTN_LANG_ES, STRONG},
    {"se esta inundando mi sotano", CTN_LANG_ES, STRONG}, /* recognised without accents */
    {"Hola, necesito una cita para mañana", CTN_LANG_ES, STRONG},
    {"¿Cuánto cobran por destapar un drenaje?", CTN_LANG_ES, STRONG},
    {"no tengo calefacción y está helando", CTN_LANG_ES, STRONG},
    {"se reventó un tubo y hay agua por todas partes", CTN_LANG_ES, STRONG},
    {"sí, por favor", CTN_LANG_ES, STRONG},
    {"Hi, my water heater is leaking", CTN_LANG_EN, STRONG},
    {"hi, uh, I smell gas in the kitchen", CTN_LANG_EN, STRONG},
    {"Can you come tomorrow morning?", CTN_LANG_EN, STRONG},
    {"no, nothing is leaking", CTN_LANG_EN, STRONG},
    {"I don't smell gas", CTN_LANG_EN, STRONG},
    {"my sótano is flooding", CTN_LANG_EN, WEAK}, /* Spanglish leans to its grammar */
    /* a word or two is only a vote */
    {"sí", CTN_LANG_ES, WEAK},
    {"gracias", CTN_LANG_ES, WEAK},
    {"muchas gracias", CTN_LANG_ES, WEAK},
    {"yes", CTN_LANG_EN, WEAK},
    {"thank you", CTN_LANG_EN, WEAK},
    {"Me llamo José García", CTN_LANG_ES, WEAK},
    /* no evidence at all */
    {"ok", CTN_LANG_EN, NONE},
    {"okay", CTN_LANG_EN, NONE},
    {"555 123 4567", CTN_LANG_EN, NONE},
    {"Maria Lopez", CTN_LANG_EN, NONE},
    {"José", CTN_LANG_EN, NONE},    /* an accent without a Spanish word is a name */
    {"O'Brien", CTN_LANG_EN, NONE}, /* an apostrophe without an English word too */
    {"Mary's", CTN_LANG_EN, NONE},  /* a possessive is not a contraction of a listed word */
    {"taco", CTN_LANG_EN, NONE},
    {"no", CTN_LANG_EN, NONE}, /* both languages' word */
    {"", CTN_LANG_EN, NONE},
};

START_TEST(detects_utterances)
{
    ctn_language_evidence_t ev;
    int worth;

    ctn_language_weigh(&ev, detect_cases[_i].text);
    worth = ev.margin == 0 ? NONE : ev.margin >= CTN_LANGUAGE_STRONG_MARGIN ? STRONG : WEAK;
    ck_assert_msg(ev.lang == detect_cases[_i].lang, "'%s' detected as %s", detect_cases[_i].text,
                  ctn_language_code(ev.lang));
    ck_assert_msg(worth == detect_cases[_i].worth, "'%s' worth %d (margin %d, words %d)",
                  detect_cases[_i].text, worth, ev.margin, ev.words);
    ck_assert_msg((ev.confidence == 0.0) == (worth == NONE) && ev.confidence < 1.0,
                  "'%s' confidence %f", detect_cases[_i].text, ev.confidence);
}
END_TEST

START_TEST(confidence_grows_with_evidence)
{
    double none = -1, weak = -1, strong = -1;

    ck_assert_int_eq(ctn_language_detect_confidence("ok", &none), CTN_LANG_EN);
    ck_assert_int_eq(ctn_language_detect_confidence("gracias", &weak), CTN_LANG_ES);
    ck_assert_int_eq(ctn_language_detect_confidence("Se está inundando mi sótano", &strong),
                     CTN_LANG_ES);
    ck_assert(none == 0.0 && weak > 0.0 && strong > weak && strong < 1.0);
    ck_assert_int_eq(ctn_language_detect_confidence(NULL, NULL), CTN_LANG_EN);
}
END_TEST

START_TEST(detect_reports_the_margin)
{
    int evidence = -1;

    ck_assert_int_eq(ctn_language_detect(unit_pool, "gracias", &evidence), CTN_LANG_ES);
    ck_assert_int_eq(evidence, 1);
    ck_assert_int_eq(ctn_language_detect(unit_pool, "taco", &evidence), CTN_LANG_EN);
    ck_assert_int_eq(evidence, 0);
}
END_TEST

#define MAX_TURNS 6

/* A call: its language at the start, what the caller says, whether each
 * utterance switched the language ('1') or not ('0'), the language at the end. */
static const struct {
    const char *name;
    ctn_lang_e initial;
    const char *said[MAX_TURNS + 1];
    const char *switched;
    ctn_lang_e final;
} calls[] = {
    {"one_spanish_sentence_switches_an_english_call",
     CTN_LANG_EN,
     {"Se está inundando mi sótano", NULL},
     "1",
     CTN_LANG_ES},
    {"one_english_sentence_switches_a_spanish_call",
     CTN_LANG_ES,
     {"I need someone to fix my water heater today", NULL},
     "1",
     CTN_LANG_EN},
    {"names_loanwords_and_a_lone_si_do_not_switch",
     CTN_LANG_EN,
     {"José", "taco", "sí", "I need a plumber please", "okay", "Maria Lopez", NULL},
     "000000",
     CTN_LANG_EN},
    {"okay_does_not_switch_a_spanish_call", CTN_LANG_ES, {"okay", "ok", NULL}, "00", CTN_LANG_ES},
    {"two_weak_votes_in_a_row_switch", CTN_LANG_EN, {"gracias", "adiós", NULL}, "01", CTN_LANG_ES},
    {"two_english_words_in_a_row_switch_back",
     CTN_LANG_ES,
     {"yes", "thank you", NULL},
     "01",
     CTN_LANG_EN},
    {"the_current_language_breaks_the_row",
     CTN_LANG_EN,
     {"gracias", "I need a plumber", "gracias", NULL},
     "000",
     CTN_LANG_EN},
    {"a_number_neither_votes_nor_breaks_the_row",
     CTN_LANG_EN,
     {"sí", "555 123 4567", "gracias", NULL},
     "001",
     CTN_LANG_ES},
    {"after_a_switch_single_words_do_not_switch_back",
     CTN_LANG_EN,
     {"Se está inundando mi sótano", "okay", "yes", "sí", "my name is John Smith", NULL},
     "10001",
     CTN_LANG_EN},
    {"a_greeting_with_marks_is_still_only_a_vote",
     CTN_LANG_EN,
     {"¡Hola!", "buenas tardes", NULL},
     "01",
     CTN_LANG_ES},
    {"silence_changes_nothing", CTN_LANG_ES, {"", "...", NULL}, "00", CTN_LANG_ES},
};

START_TEST(calls_switch_with_hysteresis)
{
    ctn_language_state_t st;
    int n = 0;

    ctn_language_state_init(&st, calls[_i].initial);
    for (; calls[_i].said[n]; n++) {
        int switched = ctn_language_observe(&st, unit_pool, calls[_i].said[n]);
        ck_assert_msg(switched == calls[_i].switched[n] - '0', "%s: turn %d '%s' switched=%d",
                      calls[_i].name, n, calls[_i].said[n], switched);
    }
    ck_assert_int_eq((int)strlen(calls[_i].switched), n);
    ck_assert_msg(st.current == calls[_i].final, "%s", calls[_i].name);
    if (calls[_i].switched[n - 1] == '1') {
        ck_assert_int_eq(st.pending, 0); /* a switch leaves no votes behind */
    }
}
END_TEST

START_TEST(a_stored_state_out_of_range_is_repaired)
{
    ctn_language_state_t st = {CTN_LANG_EN, -5};

    ck_assert_int_eq(ctn_language_observe(&st, unit_pool, "gracias"), 0);
    ck_assert_int_eq(st.pending, 1);
    ck_assert_int_eq(ctn_language_observe(&st, unit_pool, "adiós"), 1);
    ck_assert_int_eq(st.current, CTN_LANG_ES);
    ck_assert_int_eq(st.pending, 0);
    ctn_language_state_init(&st, (ctn_lang_e)7);
    ck_assert_int_eq(st.current, CTN_LANG_EN);
}
END_TEST

/* A call's first caller utterance decides on a smaller margin than a switch
 * later in the call: the greeting's language was only the default. */
static const struct {
    ctn_lang_e initial;
    const char *text;
    int first;
    int switched;
    ctn_lang_e after;
} first_cases[] = {
    {CTN_LANG_EN, "sí", 1, 1, CTN_LANG_ES},        /* margin 2 decides the first words */
    {CTN_LANG_EN, "sí", 0, 0, CTN_LANG_EN},        /* ...and only a vote later */
    {CTN_LANG_EN, "gracias", 1, 0, CTN_LANG_EN},   /* margin 1 decides nothing */
    {CTN_LANG_ES, "thank you", 1, 1, CTN_LANG_EN}, /* both ways */
    {CTN_LANG_ES, "thank you", 0, 0, CTN_LANG_ES},
    {CTN_LANG_EN, "okay", 1, 0, CTN_LANG_EN}, /* no evidence */
    {CTN_LANG_EN, "Maria Lopez", 1, 0, CTN_LANG_EN},
    {CTN_LANG_EN, "Hola, necesito una cita", 0, 1, CTN_LANG_ES}, /* strong: any turn */
    {CTN_LANG_ES, "sí, por favor", 1, 0, CTN_LANG_ES},           /* already the call's language */
};

START_TEST(the_first_utterance_decides_on_less_evidence)
{
    ctn_language_state_t st;
    int switched;

    ctn_language_state_init(&st, first_cases[_i].initial);
    switched = ctn_language_observe_call(&st, first_cases[_i].text, first_cases[_i].first);
    ck_assert_msg(switched == first_cases[_i].switched && st.current == first_cases[_i].after,
                  "'%s' (first=%d): switched=%d, now %s", first_cases[_i].text,
                  first_cases[_i].first, switched, ctn_language_code(st.current));
    if (switched) {
        ck_assert_int_eq(st.pending, 0);
    }
}
END_TEST

START_TEST(codes_and_tags)
{
    ck_assert_str_eq(ctn_language_code(CTN_LANG_EN), "en");
    ck_assert_str_eq(ctn_language_code(CTN_LANG_ES), "es");
    ck_assert_str_eq(ctn_language_stt_tag(CTN_LANG_EN), "en-US");
    ck_assert_str_eq(ctn_language_stt_tag(CTN_LANG_ES), "es-US");
    ck_assert_str_eq(ctn_language_tag(CTN_LANG_ES), "es-US");
    ck_assert_int_eq(ctn_language_from_code("es"), CTN_LANG_ES);
    ck_assert_int_eq(ctn_language_from_code("es-MX"), CTN_LANG_ES);
    ck_assert_int_eq(ctn_language_from_code("ES_us"), CTN_LANG_ES);
    ck_assert_int_eq(ctn_language_from_code("en-US"), CTN_LANG_EN);
    ck_assert_int_eq(ctn_language_from_code("est"), CTN_LANG_EN);
    ck_assert_int_eq(ctn_language_from_code(""), CTN_LANG_EN);
    ck_assert_int_eq(ctn_language_from_code(NULL), CTN_LANG_EN);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("language");
    TCase *tc = tcase_create("language");

    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_loop_test(tc, detects_utterances, 0,
                        (int)(sizeof(detect_cases) / sizeof(detect_cases[0])));
    tcase_add_test(tc, confidence_grows_with_evidence);
    tcase_add_test(tc, detect_reports_the_margin);
    tcase_add_loop_test(tc, calls_switch_with_hysteresis, 0,
                        (int)(sizeof(calls) / sizeof(calls[0])));
    tcase_add_test(tc, a_stored_state_out_of_range_is_repaired);
    tcase_add_loop_test(tc, the_first_utterance_decides_on_less_evidence, 0,
                        (int)(sizeof(first_cases) / sizeof(first_cases[0])));
    tcase_add_test(tc, codes_and_tags);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
