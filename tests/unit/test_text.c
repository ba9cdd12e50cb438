/* test_text.c: normalisation and phrase matching (lib/text.c). */
#include "unit.h"

#include "text.h"

#include <string.h>

CTN_UNIT_POOL_FIXTURE

static const struct {
    const char *name; /* the behaviour the case pins */
    const char *in;
    const char *out;
} normalize_cases[] = {
    {"folds_spanish_accents", "Se está inundando mi sótano", "se esta inundando mi sotano"},
    {"folds_upper_case_accents_and_enye", "ÁÉÍÓÚÜÑ áéíóúüñ", "aeiouun aeiouun"},
    {"inverted_marks_are_clause_marks_never_leading", "¿Se está INUNDANDO mi sótano? Sí, ñ",
     "se esta inundando mi sotano . si . n"},
    {"exclamation_marks_trimmed_and_not_doubled", "  ¡Hola!!  ", "hola"},
    {"spaces_collapse_and_contractions_join", "  I don't   smell gas!! ", "i dont smell gas"},
    {"commas_mark_clauses", "hi, uh, I smell gas in the kitchen",
     "hi . uh . i smell gas in the kitchen"},
    {"typographic_apostrophe_joins", "it\xe2\x80\x99s the water-heater", "its the water heater"},
    {"clause_mark_after_no_survives", "No. It's flooding", "no . its flooding"},
    {"digits_kept_and_number_punctuation_is_a_space", "8:30 tomorrow, $1,200.50",
     "8 30 tomorrow . 1 200 50"},
    {"ellipsis_is_a_clause_mark", "gas\xe2\x80\xa6 maybe", "gas . maybe"},
    {"no_break_space_separates",
     "agua\xc2\xa0"
     "fria",
     "agua fria"},
    {"decomposed_accents_fold_like_composed", "so\xcc\x81tano", "sotano"},
    {"latin_extended_names_fold", "\xc5\x81\xc3\xb3\x64\xc5\xba", "lodz"},
    {"emoji_separates_words", "gas\xf0\x9f\x98\x80leak", "gas leak"},
    {"invalid_bytes_dropped", "\xff\xfe ok", "ok"},
    {"latin1_byte_in_utf8_dropped", "caf\xe9 ok", "caf ok"},
    {"overlong_encoding_dropped",
     "a\xc0\xaf"
     "b",
     "ab"},
    {"surrogate_dropped",
     "a\xed\xa0\x80"
     "b",
     "ab"},
    {"truncated_sequence_at_end_dropped", "gas\xc3", "gas"},
    {"only_punctuation_is_empty", "... ?!", ""},
    {"empty_is_empty", "", ""},
};

START_TEST(normalizes)
{
    ck_assert_msg(
        strcmp(ctn_text_normalize(unit_pool, normalize_cases[_i].in), normalize_cases[_i].out) == 0,
        "%s: got '%s'", normalize_cases[_i].name,
        ctn_text_normalize(unit_pool, normalize_cases[_i].in));
}
END_TEST

START_TEST(null_normalizes_to_empty)
{
    ck_assert_str_eq(ctn_text_normalize(unit_pool, NULL), "");
    ck_assert_int_eq(ctn_text_words(unit_pool, "")->nelts, 0);
}
END_TEST

START_TEST(into_a_small_buffer_cuts_after_a_whole_word)
{
    char buf[13];

    ck_assert_uint_eq(ctn_text_normalize_into(buf, sizeof(buf), "Water heater leaking"), 12);
    ck_assert_str_eq(buf, "water heater");
    ck_assert_uint_eq(ctn_text_normalize_into(buf, 12, "Water heater leaking"), 5);
    ck_assert_str_eq(buf, "water");
    ck_assert_uint_eq(ctn_text_normalize_into(buf, 5, "Water"), 0);
    ck_assert_str_eq(buf, "");
    ck_assert_uint_eq(ctn_text_normalize_into(buf, 1, "a"), 0);
    ck_assert_str_eq(buf, "");
}
END_TEST

/* Any byte string: the result is only [a-z0-9], single spaces and lone
 * clause marks, never leading or trailing. */
START_TEST(random_bytes_never_break_the_form)
{
    unsigned long seed = 12345;

    for (int round = 0; round < 3000; round++) {
        char in[48];
        const char *out;
        int len = 1 + round % 47;
        for (int i = 0; i < len; i++) {
            seed = seed * 1103515245UL + 12345UL;
            in[i] = (char)((seed >> 16) % 255 + 1);
        }
        in[len] = '\0';
        out = ctn_text_normalize(unit_pool, in);
        ck_assert(out[0] != ' ' && out[0] != '.');
        for (const char *c = out; *c; c++) {
            ck_assert_msg((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == ' ' ||
                              *c == '.',
                          "byte 0x%02x in '%s'", (unsigned char)*c, out);
            ck_assert(!(c[0] == ' ' && c[1] == ' '));
            /* a mark is a word of its own, between two words */
            ck_assert(*c != '.' || (c > out && c[-1] == ' ' && c[1] == ' ' && c[2] != '.'));
        }
        ck_assert(*out == '\0' || (out[strlen(out) - 1] != ' ' && out[strlen(out) - 1] != '.'));
    }
}
END_TEST

static const struct {
    const char *name;
    const char *text; /* raw, normalised by the test */
    const char *phrase;
    int at; /* -1: absent */
} phrase_cases[] = {
    {"prefix_word_matches_inflections", "My water heater is leaking", "leak*", 4},
    {"prefix_is_a_prefix_not_a_substring", "what a bleak day", "leak*", -1},
    {"exact_word_needs_the_whole_word", "I smell gasoline", "smell gas", -1},
    {"multi_word_phrase_on_word_boundaries", "hi, I smell gas", "smell gas", 3},
    {"first_occurrence_wins", "gas here, gas there", "gas", 0},
    {"bare_star_matches_one_word", "the heat is out", "heat * out", 1},
    {"bare_star_matches_exactly_one_word", "the heat went right out", "heat * out", -1},
    {"phrases_do_not_span_clauses", "no. heat", "no heat", -1},
    {"star_does_not_match_a_clause_mark", "gas, leak", "gas *", -1},
    {"clause_mark_can_be_asked_for", "no. heat", "no . heat", 0},
    {"accented_text_matches_folded_phrase", "Se reventó un tubo", "se revento", 0},
    {"phrase_longer_than_text", "gas", "gas leak", -1},
    {"empty_phrase_never_matches", "gas", "", -1},
};

START_TEST(matches_phrases)
{
    apr_array_header_t *words =
        ctn_text_words(unit_pool, ctn_text_normalize(unit_pool, phrase_cases[_i].text));
    int at = -7;
    int found = ctn_text_has_phrase(words, phrase_cases[_i].phrase, &at);

    ck_assert_msg(found == (phrase_cases[_i].at >= 0), "%s", phrase_cases[_i].name);
    ck_assert_msg(at == (found ? phrase_cases[_i].at : -7), "%s: at %d", phrase_cases[_i].name, at);
    ck_assert_int_eq(ctn_text_find(words, phrase_cases[_i].phrase, 0), phrase_cases[_i].at);
}
END_TEST

START_TEST(find_searches_from_a_position)
{
    apr_array_header_t *words = ctn_text_words(unit_pool, "gas here . gas there");

    ck_assert_int_eq(ctn_text_find(words, "gas", 1), 3);
    ck_assert_int_eq(ctn_text_find(words, "gas", 4), -1);
    ck_assert_int_eq(ctn_text_find(words, "gas", -3), 0);
    ck_assert_int_eq(ctn_text_has_phrase(words, "gas", NULL), 1);
    ck_assert_int_eq(ctn_text_find(NULL, "gas", 0), -1);
}
END_TEST

START_TEST(title_case_capitalises_names)
{
    ck_assert_str_eq(ctn_text_title_case(unit_pool, "maria lopez-garcia"), "Maria Lopez-Garcia");
}
END_TEST

START_TEST(prefix_cuts_between_characters)
{
    /* "sótano": s, ó (2 bytes), t … — 2 bytes fit "s" only, 3 fit "só" */
    ck_assert_str_eq(ctn_text_prefix(unit_pool, "sótano", 2), "s\xE2\x80\xA6");
    ck_assert_str_eq(ctn_text_prefix(unit_pool, "sótano", 3), "s\xC3\xB3\xE2\x80\xA6");
    ck_assert_str_eq(ctn_text_prefix(unit_pool, "sótano", 7), "sótano");
    ck_assert_str_eq(ctn_text_prefix(unit_pool, NULL, 5), "");
    ck_assert_str_eq(ctn_text_prefix(unit_pool, "\xE2\x82\xAC\xE2\x82\xAC", 2), "\xE2\x80\xA6");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("text");
    TCase *tc = tcase_create("text");

    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_loop_test(tc, normalizes, 0,
                        (int)(sizeof(normalize_cases) / sizeof(normalize_cases[0])));
    tcase_add_test(tc, null_normalizes_to_empty);
    tcase_add_test(tc, into_a_small_buffer_cuts_after_a_whole_word);
    tcase_add_test(tc, random_bytes_never_break_the_form);
    tcase_add_loop_test(tc, matches_phrases, 0,
                        (int)(sizeof(phrase_cases) / sizeof(phrase_cases[0])));
    tcase_add_test(tc, find_searches_from_a_position);
    tcase_add_test(tc, title_case_capitalises_names);
    tcase_add_test(tc, prefix_cuts_between_characters);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
