/* test_form.c: ordered form bodies (lib/form.c). */
#include "unit.h"

#include "form.h"

#include <string.h>

CTN_UNIT_POOL_FIXTURE

static apr_array_header_t *parse(const char *body)
{
    apr_array_header_t *pairs = NULL;
    const char *why = NULL;

    ck_assert_msg(ctn_form_parse(&pairs, unit_pool, body, strlen(body), &why) == APR_SUCCESS, "%s",
                  why);
    return pairs;
}

static const ctn_form_pair_t *at(apr_array_header_t *pairs, int i)
{
    return &((const ctn_form_pair_t *)pairs->elts)[i];
}

START_TEST(keeps_order_and_duplicates)
{
    apr_array_header_t *p = parse("b=2&a=1&b=3");

    ck_assert_int_eq(p->nelts, 3);
    ck_assert_str_eq(at(p, 0)->name, "b");
    ck_assert_str_eq(at(p, 2)->value, "3");
    ck_assert_str_eq(ctn_form_get(p, "b"), "2");
    ck_assert_ptr_null(ctn_form_get(p, "c"));
}
END_TEST

START_TEST(plus_is_space_and_escapes_decode)
{
    apr_array_header_t *p = parse("SpeechResult=se+est%C3%A1+inundando&From=%2B15551234567");

    ck_assert_str_eq(ctn_form_get(p, "SpeechResult"), "se est\xc3\xa1 inundando");
    ck_assert_str_eq(ctn_form_get(p, "From"), "+15551234567");
}
END_TEST

START_TEST(empty_values_and_bare_names)
{
    apr_array_header_t *p = parse("a=&b&&c=1");

    ck_assert_int_eq(p->nelts, 3);
    ck_assert_str_eq(ctn_form_get(p, "a"), "");
    ck_assert_str_eq(ctn_form_get(p, "b"), "");
    ck_assert_int_eq(parse("")->nelts, 0);
}
END_TEST

START_TEST(malformed_escapes_are_refused_naming_the_field)
{
    apr_array_header_t *p;
    const char *why = NULL;

    ck_assert_int_eq(ctn_form_parse(&p, unit_pool, "To=%2&From=x", 12, &why), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "'To'"));
    ck_assert_int_eq(ctn_form_parse(&p, unit_pool, "=x", 2, &why), APR_EINVAL);
    ck_assert_int_eq(ctn_form_parse(&p, unit_pool, "a=%00", 5, &why), APR_EINVAL);
}
END_TEST

START_TEST(encode_round_trips)
{
    apr_array_header_t *p = parse("Body=Hola+%C2%BFqu%C3%A9%3F&To=%2B1555");
    const char *body = ctn_form_encode(unit_pool, p);
    apr_array_header_t *q = parse(body);

    ck_assert_str_eq(body, "Body=Hola%20%C2%BFqu%C3%A9%3F&To=%2B1555");
    ck_assert_str_eq(ctn_form_get(q, "Body"), "Hola \xc2\xbfqu\xc3\xa9?");
}
END_TEST

START_TEST(sorted_by_name_then_value)
{
    apr_array_header_t *s = ctn_form_sorted(unit_pool, parse("b=2&a=9&b=1&A=0"));

    ck_assert_str_eq(at(s, 0)->name, "A");
    ck_assert_str_eq(at(s, 1)->name, "a");
    ck_assert_str_eq(at(s, 2)->value, "1");
    ck_assert_str_eq(at(s, 3)->value, "2");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("form");
    TCase *tc = tcase_create("form");

    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, keeps_order_and_duplicates);
    tcase_add_test(tc, plus_is_space_and_escapes_decode);
    tcase_add_test(tc, empty_values_and_bare_names);
    tcase_add_test(tc, malformed_escapes_are_refused_naming_the_field);
    tcase_add_test(tc, encode_round_trips);
    tcase_add_test(tc, sorted_by_name_then_value);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
