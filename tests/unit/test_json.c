/* test_json.c: json-c bound to pools, strict parsing, typed getters (lib/json.c). */
#include "unit.h"

#include "json.h"

#include <string.h>

CTN_UNIT_POOL_FIXTURE

static json_object *parse(const char *text, const char **why)
{
    return ctn_json_parse(unit_pool, text, strlen(text), why);
}

START_TEST(parses_one_document_owned_by_the_pool)
{
    const char *why = NULL;
    json_object *o = parse(" {\"a\": {\"b\": [1, 2, {\"c\": \"d\"}]}} \n", &why);

    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(ctn_json_serialize(unit_pool, o), "{\"a\":{\"b\":[1,2,{\"c\":\"d\"}]}}");
}
END_TEST

static const struct {
    const char *text, *reason;
} bad[] = {
    {"", "empty"},
    {"   ", "empty"},
    {"{\"a\":1} x", "trailing data"},
    {"{\"a\":", "unexpected end"},
    {"{a:1}", "invalid JSON"},
    {"null", "null"},
};

START_TEST(refuses_bad_documents_with_a_reason)
{
    const char *why = NULL;

    ck_assert_ptr_null(parse(bad[_i].text, &why));
    ck_assert_msg(why && strstr(why, bad[_i].reason), "'%s': %s", bad[_i].text, why);
}
END_TEST

START_TEST(typed_getters_do_not_coerce)
{
    const char *why;
    json_object *o = parse("{\"s\":\"5\",\"i\":5,\"b\":true,\"n\":null}", &why);
    long long i = 0;
    int b = 0;

    ck_assert_str_eq(ctn_json_get_string(o, "s", "x"), "5");
    ck_assert_str_eq(ctn_json_get_string(o, "i", "dflt"), "dflt");
    ck_assert_int_eq(ctn_json_get_int64(o, "i", &i), APR_SUCCESS);
    ck_assert_int_eq(i, 5);
    ck_assert_int_eq(ctn_json_get_int64(o, "s", &i), APR_EINVAL);
    ck_assert_int_eq(ctn_json_get_int64(o, "missing", &i), APR_ENOENT);
    ck_assert_int_eq(ctn_json_get_bool(o, "b", &b), APR_SUCCESS);
    ck_assert_int_eq(b, 1);
    ck_assert_int_eq(ctn_json_get_bool(o, "n", &b), APR_EINVAL);
    ck_assert_str_eq(ctn_json_get_string(NULL, "s", "x"), "x");
}
END_TEST

START_TEST(quote_escapes_for_json)
{
    ck_assert_str_eq(ctn_json_quote(unit_pool, "say \"hi\"\n\x01/"),
                     "\"say \\\"hi\\\"\\n\\u0001/\"");
    ck_assert_str_eq(ctn_json_quote(unit_pool, "s\xc3\xb3tano"), "\"s\xc3\xb3tano\"");
    ck_assert_str_eq(ctn_json_quote(unit_pool, NULL), "\"\"");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("json");

    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, parses_one_document_owned_by_the_pool);
    tcase_add_loop_test(tc, refuses_bad_documents_with_a_reason, 0,
                        (int)(sizeof(bad) / sizeof(bad[0])));
    tcase_add_test(tc, typed_getters_do_not_coerce);
    tcase_add_test(tc, quote_escapes_for_json);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
