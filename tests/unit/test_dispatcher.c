/* test_dispatcher.c: how a technician's reply to a dispatch text is read
 * (lib/dispatcher.c; the database paths are covered end to end). */
#include "unit.h"

#include "dispatcher.h"

static const struct {
    const char *name; /* the behaviour the case pins */
    const char *body;
    int answer; /* 1 takes it, 0 passes, -1 ask again */
} answer_cases[] = {
    {"yes_takes_it", "YES", 1},
    {"yes_with_more_words_takes_it", "YES omw", 1},
    {"si_in_capitals_takes_it", "SÍ", 1},
    {"ok_takes_it", "ok", 1},
    {"on_my_way_takes_it", "On my way", 1},
    {"no_problem_on_my_way_takes_it", "No problem, on my way", 1},
    {"no_worries_takes_it", "no worries, got it", 1},
    {"voy_para_alla_takes_it", "Voy para allá", 1},
    {"si_no_hay_problema_takes_it", "Sí, no hay problema", 1},
    {"en_camino_takes_it", "en camino", 1},
    {"no_passes", "no", 0},
    {"no_busy_passes", "no, busy", 0},
    {"cant_passes", "Can't, I'm on another job", 0},
    {"no_puedo_passes", "No puedo, estoy ocupado", 0},
    {"nope_passes", "nope", 0},
    {"yes_and_no_is_not_guessed", "yes but I can't", -1},
    {"a_question_is_not_guessed", "who is this?", -1},
    {"a_word_only_starting_like_yes_is_not_yes", "yesterday", -1},
    {"a_word_only_starting_like_no_is_not_no", "nothing", -1},
    {"empty_is_not_guessed", "", -1},
    {"cant_be_there_passes", "can't be there", 0},
    {"sorry_i_cant_be_there_passes", "Sorry, I can't be there tonight", 0},
    {"wont_be_there_passes", "I won't be there", 0},
    {"not_coming_passes", "not coming", 0},
    {"dont_think_i_can_be_there_passes", "I don't think I can be there", 0},
    {"no_voy_passes", "No voy, estoy lejos", 0},
    {"no_comma_on_my_way_is_not_negated", "No. On my way", -1},
    {"dont_worry_on_my_way_takes_it", "Don't worry, on my way", 1},
    {"be_there_takes_it", "I'll be there in 20", 1},
    {"be_there_twice_once_negated_is_not_guessed", "can't be there now, be there at 9", -1},
    {"a_word_only_ending_like_yes_is_not_yes", "eyes", -1},
    /* "y" is Spanish "and", "k" Spanish texting's "que": a reply of that
     * letter alone is a YES, the letter inside a sentence is not. */
    {"y_alone_takes_it", "Y", 1},
    {"k_alone_takes_it", "k", 1},
    {"y_alone_with_a_mark_takes_it", "Y!", 1},
    {"spanish_and_in_a_refusal_passes", "No puedo y estoy lejos", 0},
    {"spanish_and_in_a_refusal_without_no_passes", "Estoy ocupado y lejos", 0},
    {"spanish_and_in_a_question_is_not_guessed", "Quién es y dónde?", -1},
    {"spanish_texting_que_is_not_yes", "k pasa?", -1},
};

START_TEST(reads_answers)
{
    int got = ctn_dispatcher_parse_answer(answer_cases[_i].body);

    ck_assert_msg(got == answer_cases[_i].answer, "%s: \"%s\" read %d, expected %d",
                  answer_cases[_i].name, answer_cases[_i].body, got, answer_cases[_i].answer);
}
END_TEST

START_TEST(null_is_not_guessed)
{
    ck_assert_int_eq(ctn_dispatcher_parse_answer(NULL), -1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dispatcher");
    TCase *tc = tcase_create("dispatcher");

    tcase_add_loop_test(tc, reads_answers, 0,
                        (int)(sizeof(answer_cases) / sizeof(answer_cases[0])));
    tcase_add_test(tc, null_is_not_guessed);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
