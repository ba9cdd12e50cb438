/* test_language.c: language detection and hysteresis (lib/language.c, lib/text.c). */
#include "unit.h"

#include "language.h"
#include "text.h"

#include <string.h>

CTN_UNIT_POOL_FIXTURE

START_TEST(normalize_folds_accents_and_marks_clauses)
{
    ck_assert_str_eq(ctn_text_normalize(unit_pool, "¿Se está INUNDANDO mi sótano? Sí, ñ"),
                     ". se esta inundando mi sotano . si . n");
    ck_assert_str_eq(ctn_text_normalize(unit_pool, "  I don't   smell gas!! "),
                     "i dont smell gas . .");
    ck_assert_str_eq(ctn_text_normalize(unit_pool, "\xff\xfe ok"), "ok");
}
END_TEST

static const struct {
    const char *text;
    ctn_lang_e lang;
    int strong;
} detect_cases[] = {
    {"Se está inundando mi sótano", CTN_LANG_ES, 1},
    {"Hola, necesito una cita para mañana", CTN_LANG_ES, 1},
    {"¿Cuánto cobran por destapar un drenaje?", CTN_LANG_ES, 1},
    {"Hi, my water heater is leaking", CTN_LANG_EN, 1},
    {"I smell gas in the kitchen", CTN_LANG_EN, 1},
    {"Can you come tomorrow morning?", CTN_LANG_EN, 1},
};

START_TEST(detects_whole_sentences)
{
    int evidence = 0;
    ctn_lang_e lang = ctn_language_detect(unit_pool, detect_cases[_i].text, &evidence);

    ck_assert_msg(lang == detect_cases[_i].lang, "%s", detect_cases[_i].text);
    ck_assert_int_ge(evidence, 3);
}
END_TEST

START_TEST(one_strong_sentence_switches_at_once)
{
    ctn_language_state_t st;

    ctn_language_state_init(&st, CTN_LANG_EN);
    ck_assert_int_eq(ctn_language_observe(&st, unit_pool, "Hola, se está inundando mi sótano"), 1);
    ck_assert_int_eq(st.current, CTN_LANG_ES);
}
END_TEST

START_TEST(loanwords_and_names_do_not_switch)
{
    static const char *const en_call[] = {"José", "taco", "sí", "okay", "Maria Lopez", NULL};
    ctn_language_state_t st;

    ctn_language_state_init(&st, CTN_LANG_EN);
    for (int i = 0; en_call[i]; i++) {
        ck_assert_msg(ctn_language_observe(&st, unit_pool, en_call[i]) == 0, "%s", en_call[i]);
        if (i == 2) {
            /* A weak Spanish word after an English sentence resets nothing. */
            ck_assert_int_eq(ctn_language_observe(&st, unit_pool, "I need a plumber please"), 0);
        }
    }
    ck_assert_int_eq(st.current, CTN_LANG_EN);
    ctn_language_state_init(&st, CTN_LANG_ES);
    ck_assert_int_eq(ctn_language_observe(&st, unit_pool, "okay"), 0);
    ck_assert_int_eq(st.current, CTN_LANG_ES);
}
END_TEST

START_TEST(weak_evidence_twice_in_a_row_switches)
{
    ctn_language_state_t st;

    ctn_language_state_init(&st, CTN_LANG_EN);
    ck_assert_int_eq(ctn_language_observe(&st, unit_pool, "gracias"), 0);
    ck_assert_int_eq(ctn_language_observe(&st, unit_pool, "adios"), 1);
    ck_assert_int_eq(st.current, CTN_LANG_ES);
}
END_TEST

START_TEST(codes_and_tags)
{
    ck_assert_str_eq(ctn_language_tag(CTN_LANG_ES), "es-US");
    ck_assert_str_eq(ctn_language_code(CTN_LANG_EN), "en");
    ck_assert_int_eq(ctn_language_from_code("es-MX"), CTN_LANG_ES);
    ck_assert_int_eq(ctn_language_from_code(NULL), CTN_LANG_EN);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("language");
    TCase *tc = tcase_create("language");

    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, normalize_folds_accents_and_marks_clauses);
    tcase_add_loop_test(tc, detects_whole_sentences, 0,
                        (int)(sizeof(detect_cases) / sizeof(detect_cases[0])));
    tcase_add_test(tc, one_strong_sentence_switches_at_once);
    tcase_add_test(tc, loanwords_and_names_do_not_switch);
    tcase_add_test(tc, weak_evidence_twice_in_a_row_switches);
    tcase_add_test(tc, codes_and_tags);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
