/* test_twiml_reader.c: the simulator's XML reader (lib/twiml_reader.c). */
#include "unit.h"

#include "twiml_reader.h"

#include <string.h>

CTN_UNIT_POOL_FIXTURE

static ctn_xml_node_t *parse_ok(const char *doc)
{
    ctn_xml_node_t *root = NULL;
    const char *why = NULL;
    apr_status_t rv = ctn_xml_parse(&root, unit_pool, doc, strlen(doc), &why);

    ck_assert_msg(rv == APR_SUCCESS, "parse failed: %s", why ? why : "?");
    return root;
}

START_TEST(reads_a_gather_with_nested_say_and_attributes)
{
    ctn_xml_node_t *root = parse_ok(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>"
        "<Gather input=\"speech\" action='/twilio/gather' language=\"es-US\">"
        "<Say voice=\"Polly.Lupe-Neural\" language=\"es-US\">¿En qué le puedo ayudar?</Say>"
        "</Gather><Redirect method=\"POST\">/twilio/gather</Redirect></Response>");
    const ctn_xml_node_t *gather = ctn_xml_child(root, 0), *say;

    ck_assert_str_eq(root->name, "Response");
    ck_assert_int_eq(root->children->nelts, 2);
    ck_assert_str_eq(gather->name, "Gather");
    ck_assert_str_eq(ctn_xml_attr(gather, "action", ""), "/twilio/gather");
    ck_assert_str_eq(ctn_xml_attr(gather, "language", ""), "es-US");
    ck_assert_ptr_null(ctn_xml_attr(gather, "hints", NULL));
    say = ctn_xml_child(gather, 0);
    ck_assert_str_eq(say->text, "¿En qué le puedo ayudar?");
    ck_assert_str_eq(ctn_xml_child(root, 1)->text, "/twilio/gather");
    ck_assert_ptr_null(ctn_xml_child(root, 2));
}
END_TEST

START_TEST(decodes_predefined_and_numeric_references)
{
    ctn_xml_node_t *root = parse_ok(
        "<Say a=\"&quot;x&quot; &amp; y\">Tom &amp; Jerry&apos;s &lt;b&gt; &#233;&#x1F600;</Say>");

    ck_assert_str_eq(ctn_xml_attr(root, "a", ""), "\"x\" & y");
    ck_assert_str_eq(root->text, "Tom & Jerry's <b> \xc3\xa9\xf0\x9f\x98\x80");
}
END_TEST

START_TEST(self_closing_elements_and_comments)
{
    ctn_xml_node_t *root =
        parse_ok("<!-- hi --><Response><Hangup/><!-- x --><Pause length=\"1\" /></Response>");

    ck_assert_int_eq(root->children->nelts, 2);
    ck_assert_str_eq(ctn_xml_child(root, 0)->name, "Hangup");
    ck_assert_str_eq(ctn_xml_attr(ctn_xml_child(root, 1), "length", ""), "1");
}
END_TEST

static const struct {
    const char *doc;
    const char *reason;
} bad_docs[] = {
    {"", "expected an element"},
    {"<Response>", "not closed"},
    {"<Response></Say>", "does not close"},
    {"<Say a=1>x</Say>", "not quoted"},
    {"<Say a=\"1\" a=\"2\">x</Say>", "duplicate attribute"},
    {"<Say>&bogus;</Say>", "unknown entity"},
    {"<Say>&#0;</Say>", "bad character reference"},
    {"<Say>&#xD800;</Say>", "bad character reference"},
    {"<!DOCTYPE x [<!ENTITY a \"b\">]><Say>&a;</Say>", "DTDs"},
    {"<Say>x</Say><Say>y</Say>", "content after"},
    {"<Say>x</Say", "malformed end tag"},
};

START_TEST(refuses_malformed_documents_with_a_reason)
{
    ctn_xml_node_t *root = NULL;
    const char *why = NULL;
    apr_status_t rv =
        ctn_xml_parse(&root, unit_pool, bad_docs[_i].doc, strlen(bad_docs[_i].doc), &why);

    ck_assert_int_eq(rv, APR_EINVAL);
    ck_assert_msg(why && strstr(why, bad_docs[_i].reason), "doc %d: '%s' lacks '%s'", _i,
                  why ? why : "(null)", bad_docs[_i].reason);
}
END_TEST

START_TEST(bounds_nesting_depth)
{
    char doc[4096] = "";
    ctn_xml_node_t *root = NULL;
    const char *why = NULL;

    for (int i = 0; i < 40; i++) {
        strcat(doc, "<a>");
    }
    for (int i = 0; i < 40; i++) {
        strcat(doc, "</a>");
    }
    ck_assert_int_eq(ctn_xml_parse(&root, unit_pool, doc, strlen(doc), &why), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "too deeply"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("twiml_reader");
    TCase *tc = tcase_create("parse");

    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, reads_a_gather_with_nested_say_and_attributes);
    tcase_add_test(tc, decodes_predefined_and_numeric_references);
    tcase_add_test(tc, self_closing_elements_and_comments);
    tcase_add_loop_test(tc, refuses_malformed_documents_with_a_reason, 0,
                        (int)(sizeof(bad_docs) / sizeof(bad_docs[0])));
    tcase_add_test(tc, bounds_nesting_depth);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
