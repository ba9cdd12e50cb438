/* test_twiml.c: the TwiML writer (lib/twiml.c), read back by lib/twiml_reader.c. */
#include "unit.h"

#include "twiml.h"
#include "twiml_reader.h"

#include <string.h>

CTN_UNIT_POOL_FIXTURE

START_TEST(gather_with_say_then_redirect)
{
    ctn_twiml_t *t = ctn_twiml_create(unit_pool);
    const char *why = NULL, *doc;

    ctn_twiml_gather_begin(t, "https://x.test/twilio/gather", "es-US", "leak, flood");
    ctn_twiml_say(t, "¿En qué le puedo ayudar?", "Polly.Lupe-Neural", "es-US");
    ctn_twiml_gather_end(t);
    ctn_twiml_redirect(t, "https://x.test/twilio/gather");
    doc = ctn_twiml_finish(t, &why);
    ck_assert_str_eq(doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
                          "<Gather input=\"speech\" method=\"POST\" speechTimeout=\"auto\" "
                          "action=\"https://x.test/twilio/gather\" language=\"es-US\" "
                          "hints=\"leak, flood\"><Say voice=\"Polly.Lupe-Neural\" "
                          "language=\"es-US\">¿En qué le puedo ayudar?</Say></Gather>"
                          "<Redirect method=\"POST\">https://x.test/twilio/gather</Redirect>"
                          "</Response>");
}
END_TEST

START_TEST(escapes_text_and_attributes)
{
    ctn_twiml_t *t = ctn_twiml_create(unit_pool);
    const char *why = NULL, *doc;
    ctn_xml_node_t *root;

    ctn_twiml_say(t, "Tom & Jerry's <b> \"plumbing\"\x01", "v\"x", NULL);
    ctn_twiml_dial(t, "+13125550100", NULL, "+15557654321");
    ctn_twiml_hangup(t);
    doc = ctn_twiml_finish(t, &why);
    ck_assert_ptr_nonnull(doc);
    ck_assert_int_eq(ctn_xml_parse(&root, unit_pool, doc, strlen(doc), &why), APR_SUCCESS);
    ck_assert_str_eq(ctn_xml_child(root, 0)->text, "Tom & Jerry's <b> \"plumbing\"");
    ck_assert_str_eq(ctn_xml_attr(ctn_xml_child(root, 0), "voice", ""), "v\"x");
    ck_assert_str_eq(ctn_xml_child(ctn_xml_child(root, 1), 0)->text, "+13125550100");
    ck_assert_str_eq(ctn_xml_child(root, 2)->name, "Hangup");
}
END_TEST

START_TEST(misuse_is_an_error_not_invalid_twiml)
{
    ctn_twiml_t *t = ctn_twiml_create(unit_pool);
    const char *why = NULL;

    ctn_twiml_gather_begin(t, "/a", NULL, NULL);
    ctn_twiml_gather_begin(t, "/b", NULL, NULL);
    ck_assert_ptr_null(ctn_twiml_finish(t, &why));
    ck_assert_ptr_nonnull(strstr(why, "cannot contain another"));
    t = ctn_twiml_create(unit_pool);
    ctn_twiml_gather_begin(t, "/a", NULL, NULL);
    ctn_twiml_hangup(t);
    ck_assert_ptr_null(ctn_twiml_finish(t, &why));
    t = ctn_twiml_create(unit_pool);
    ctn_twiml_gather_begin(t, "/a", NULL, NULL);
    ck_assert_ptr_null(ctn_twiml_finish(t, &why));
    ck_assert_ptr_nonnull(strstr(why, "not closed"));
}
END_TEST

START_TEST(record_asks_for_a_transcription)
{
    ctn_twiml_t *t = ctn_twiml_create(unit_pool);
    const char *why = NULL, *doc;
    ctn_xml_node_t *root;

    ctn_twiml_record(t, "/twilio/voicemail", "/twilio/transcription", 0);
    doc = ctn_twiml_finish(t, &why);
    ck_assert_int_eq(ctn_xml_parse(&root, unit_pool, doc, strlen(doc), &why), APR_SUCCESS);
    ck_assert_str_eq(ctn_xml_attr(ctn_xml_child(root, 0), "transcribe", ""), "true");
    ck_assert_str_eq(ctn_xml_attr(ctn_xml_child(root, 0), "maxLength", ""), "120");
    ck_assert_str_eq(ctn_xml_attr(ctn_xml_child(root, 0), "transcribeCallback", ""),
                     "/twilio/transcription");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("twiml");
    TCase *tc = tcase_create("twiml");

    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, gather_with_say_then_redirect);
    tcase_add_test(tc, escapes_text_and_attributes);
    tcase_add_test(tc, misuse_is_an_error_not_invalid_twiml);
    tcase_add_test(tc, record_asks_for_a_transcription);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
