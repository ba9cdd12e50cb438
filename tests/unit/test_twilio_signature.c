/* test_twilio_signature.c: X-Twilio-Signature against the known answers of
 * PROTOCOLS.md B.4 (re-checked there with Twilio's own SDK). */
#include "unit.h"

#include "form.h"
#include "twilio_signature.h"

#include <sodium.h>
#include <string.h>

CTN_UNIT_POOL_FIXTURE

static apr_array_header_t *form(const char *body)
{
    apr_array_header_t *pairs;
    const char *why;

    ck_assert_int_eq(ctn_form_parse(&pairs, unit_pool, body, strlen(body), &why), APR_SUCCESS);
    return pairs;
}

static const struct {
    const char *token, *url, *body, *signature;
} kats[] = {
    {"12345", "https://mycompany.com/myapp.php?foo=1&bar=2",
     "CallSid=CA1234567890ABCDE&Digits=1234&From=%2B14158675309&To=%2B18005551212&Caller=%"
     "2B14158675309",
     "RSOYDt4T1cUTdK1PDd93/VVr8B8="},
    {"12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2",
     "CallSid=CA1234567890ABCDE&Digits=1234&From=%2B14158675309&To=%2B18005551212&Caller=%"
     "2B14158675309",
     "kvajT1Ptam85bY51eRf/AJRuM3w="},
    {"12345", "https://mycompany.com/myapp.php?foo=1&bar=2",
     "Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234&Digits=1234",
     "IK+Dwps556ElfBT0I3Rgjkr1wJU="},
    {"12345",
     "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256="
     "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620",
     "", "a9nBmqA0ju/hNViExpshrM61xv4="},
    {"0123456789abcdef0123456789abcdef", "https://example.test/twilio/voice",
     "AccountSid=AC00000000000000000000000000000000&ApiVersion=2010-04-01&CallSid="
     "CA11111111111111111111111111111111&CallStatus=ringing&Direction=inbound&From=%2B15551234567"
     "&To=%2B15557654321",
     "6eMllwyPLcU2XznPo+xTgzkbM9E="},
    {"0123456789abcdef0123456789abcdef", "https://example.test/twilio/gather?step=2",
     "CallSid=CA11111111111111111111111111111111&SpeechResult=Book+a+table+for+two.&Confidence=0."
     "92",
     "Zh7lA9QjXbWxrxcvVNH3J1g4goM="},
};

START_TEST(signature_matches_known_answers)
{
    ck_assert_str_eq(
        ctn_twilio_signature(unit_pool, kats[_i].token, kats[_i].url, form(kats[_i].body)),
        kats[_i].signature);
    ck_assert(ctn_twilio_signature_valid(unit_pool, kats[_i].token, kats[_i].url,
                                         form(kats[_i].body), kats[_i].signature));
}
END_TEST

START_TEST(portless_url_accepts_the_default_port_signature)
{
    ck_assert(ctn_twilio_signature_valid(unit_pool, "12345", kats[0].url, form(kats[0].body),
                                         "kvajT1Ptam85bY51eRf/AJRuM3w="));
    ck_assert(ctn_twilio_signature_valid(unit_pool, "12345", kats[1].url, form(kats[1].body),
                                         "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
}
END_TEST

START_TEST(any_change_fails_verification)
{
    const char *good = kats[4].signature;

    ck_assert(!ctn_twilio_signature_valid(unit_pool, kats[4].token, kats[4].url,
                                          form("AccountSid=AC00000000000000000000000000000000"),
                                          good));
    ck_assert(!ctn_twilio_signature_valid(unit_pool, "wrong-token", kats[4].url, form(kats[4].body),
                                          good));
    ck_assert(!ctn_twilio_signature_valid(
        unit_pool, kats[4].token, "https://evil.test/twilio/voice", form(kats[4].body), good));
    ck_assert(!ctn_twilio_signature_valid(unit_pool, kats[4].token, kats[4].url, form(kats[4].body),
                                          "6eMllwyPLcU2XznPo+xTgzkbM9E"));
    ck_assert(
        !ctn_twilio_signature_valid(unit_pool, kats[4].token, kats[4].url, form(kats[4].body), ""));
    ck_assert(!ctn_twilio_signature_valid(unit_pool, "", kats[4].url, form(kats[4].body), good));
}
END_TEST

START_TEST(sha1_and_hmac_match_rfc_vectors)
{
    unsigned char d[20];
    char hex[41];

    ctn_sha1((const unsigned char *)"abc", 3, d);
    sodium_bin2hex(hex, sizeof(hex), d, 20);
    ck_assert_str_eq(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    ctn_sha1((const unsigned char *)"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
             d);
    sodium_bin2hex(hex, sizeof(hex), d, 20);
    ck_assert_str_eq(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    /* RFC 2202 test case 2. */
    ctn_hmac_sha1((const unsigned char *)"Jefe", 4,
                  (const unsigned char *)"what do ya want for nothing?", 28, d);
    sodium_bin2hex(hex, sizeof(hex), d, 20);
    ck_assert_str_eq(hex, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("twilio_signature");
    TCase *tc = tcase_create("signature");

    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_loop_test(tc, signature_matches_known_answers, 0,
                        (int)(sizeof(kats) / sizeof(kats[0])));
    tcase_add_test(tc, portless_url_accepts_the_default_port_signature);
    tcase_add_test(tc, any_change_fails_verification);
    tcase_add_test(tc, sha1_and_hmac_match_rfc_vectors);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
