/* test_json.c: json-c bound to pools, strict parsing, typed getters (lib/json.c). */
#include "unit.h"

#include "json.h"

#include <stdint.h>
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

/* The writer's documents parse back to what was written, whatever the
 * strings hold, nested objects and all; a buffer too small to start with
 * grows. */
START_TEST(writer_documents_parse_back_to_what_was_written)
{
    static const char nasty[] = "say \"hi\"\n\\ \x01\x1f\t\r\b\f/ s\xc3\xb3tano \xe2\x80\x94";
    ctn_json_writer_t w;
    json_object *o, *inner = NULL;
    const char *why = NULL, *text;

    ctn_jw_init(&w, unit_pool, 1);
    ctn_jw_object_begin(&w, NULL);
    ctn_jw_string(&w, "s", nasty);
    ctn_jw_string(&w, "none", NULL);
    ctn_jw_string_n(&w, "cut", "abcdef", 3);
    ctn_jw_int(&w, "min", -9223372036854775807LL - 1);
    ctn_jw_int(&w, "zero", 0);
    ctn_jw_int(&w, "n", 1234567);
    ctn_jw_bool(&w, "yes", 1);
    ctn_jw_object_begin(&w, "inner");
    ctn_jw_bool(&w, "no", 0);
    ctn_jw_object_begin(&w, "empty");
    ctn_jw_object_end(&w);
    ctn_jw_object_end(&w);
    ctn_jw_string(&w, "after", "x");
    ctn_jw_object_end(&w);
    text = ctn_jw_text(&w);
    o = ctn_json_parse(unit_pool, text, strlen(text), &why);
    ck_assert_msg(o != NULL, "%s: %s", text, why);
    ck_assert_str_eq(ctn_json_get_string(o, "s", NULL), nasty);
    ck_assert(json_object_is_type(json_object_object_get(o, "none"), json_type_null));
    ck_assert_str_eq(ctn_json_get_string(o, "cut", NULL), "abc");
    ck_assert(json_object_get_int64(json_object_object_get(o, "min")) == INT64_MIN);
    ck_assert_int_eq(json_object_get_int64(json_object_object_get(o, "zero")), 0);
    ck_assert_int_eq(json_object_get_int64(json_object_object_get(o, "n")), 1234567);
    ck_assert(json_object_get_boolean(json_object_object_get(o, "yes")));
    ck_assert(json_object_object_get_ex(o, "inner", &inner));
    ck_assert(!json_object_get_boolean(json_object_object_get(inner, "no")));
    ck_assert_int_eq(json_object_object_length(json_object_object_get(inner, "empty")), 0);
    ck_assert_str_eq(ctn_json_get_string(o, "after", NULL), "x");
    /* compact, and control characters in the \u form or their short escapes */
    ck_assert_ptr_null(strchr(text, '\n'));
    ck_assert_ptr_nonnull(strstr(text, "\\u0001\\u001f\\t\\r\\b\\f"));
}
END_TEST

/* Parsing reuses one tokener per thread: a failed document leaves nothing
 * behind that spoils the next one. */
START_TEST(a_bad_document_does_not_spoil_the_next_parse)
{
    const char *why = NULL;
    json_object *o;

    ck_assert_ptr_null(ctn_json_parse(unit_pool, "{\"a\": [1, 2", 12, &why));
    o = ctn_json_parse(unit_pool, "{\"b\": 2}", 8, &why);
    ck_assert_msg(o != NULL, "%s", why);
    ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "b")), 2);
    ck_assert_ptr_null(ctn_json_parse(unit_pool, "[1, }", 5, &why));
    o = ctn_json_parse(unit_pool, "7", 1, &why);
    ck_assert_msg(o != NULL, "%s", why);
    ck_assert_int_eq(json_object_get_int(o), 7);
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
    tcase_add_test(tc, writer_documents_parse_back_to_what_was_written);
    tcase_add_test(tc, a_bad_document_does_not_spoil_the_next_parse);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
