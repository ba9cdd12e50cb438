/* test_stream_token.c: media-stream admission tokens and key files (lib/stream_token.c). */
#include "unit.h"

#include "stream_token.h"

#include <apr_strings.h>
#include <string.h>

CTN_UNIT_POOL_FIXTURE

static const unsigned char key[CTN_KEY_BYTES] = "0123456789abcdef0123456789abcdef";
static const char *sid = "CA0123456789abcdef0123456789abcdef";
static const char *biz = "4a11aa31-38ec-471e-afbc-4bcace91252d";
#define NOW apr_time_from_sec(1790000000)

START_TEST(a_signed_token_verifies_for_its_call_and_names_the_business)
{
    const char *token = ctn_stream_token_sign(unit_pool, key, sid, biz, NOW), *b = NULL,
               *why = NULL;

    ck_assert_int_eq(ctn_stream_token_verify(&b, &why, unit_pool, key, token, sid, NOW),
                     APR_SUCCESS);
    ck_assert_str_eq(b, biz);
    ck_assert_int_eq(ctn_stream_token_verify(&b, &why, unit_pool, key, token, sid,
                                             NOW + apr_time_from_sec(CTN_STREAM_TOKEN_TTL)),
                     APR_SUCCESS);
}
END_TEST

START_TEST(a_token_is_refused_for_another_call_key_business_or_after_expiry)
{
    const char *token = ctn_stream_token_sign(unit_pool, key, sid, biz, NOW), *b = NULL,
               *why = NULL;
    unsigned char other[CTN_KEY_BYTES];
    char *forged = apr_pstrdup(unit_pool, token);

    memcpy(other, key, sizeof(other));
    other[0] ^= 1;
    ck_assert_int_eq(ctn_stream_token_verify(&b, &why, unit_pool, key, token,
                                             "CA0123456789abcdef0123456789abcdee", NOW),
                     APR_EINVAL);
    ck_assert_int_eq(ctn_stream_token_verify(&b, &why, unit_pool, other, token, sid, NOW),
                     APR_EINVAL);
    forged[strchr(forged, '.') - forged + 1] = 'b'; /* another business, same MAC */
    ck_assert_int_eq(ctn_stream_token_verify(&b, &why, unit_pool, key, forged, sid, NOW),
                     APR_EINVAL);
    ck_assert_int_eq(ctn_stream_token_verify(&b, &why, unit_pool, key, token, sid,
                                             NOW + apr_time_from_sec(CTN_STREAM_TOKEN_TTL + 1)),
                     APR_TIMEUP);
    ck_assert_str_eq(why, "stream token expired");
}
END_TEST

START_TEST(malformed_tokens_are_refused)
{
    static const char *const bad[] = {"", "abc", "1.2.3",
                                      "x1790000060.4a11aa31-38ec-471e-afbc-4bcace91252d."
                                      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
    const char *b, *why;

    for (apr_size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(ctn_stream_token_verify(&b, &why, unit_pool, key, bad[i], sid, NOW),
                         APR_EINVAL);
    }
    ck_assert_int_eq(ctn_stream_token_verify(&b, &why, unit_pool, key, NULL, sid, NOW), APR_EINVAL);
}
END_TEST

START_TEST(key_files_hold_raw_hex_or_base64)
{
    unsigned char k[CTN_KEY_BYTES];
    const char hex[] = "3031323334353637383961626364656630313233343536373839616263646566\n";
    const char b64[] = "  MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n";

    ck_assert_int_eq(ctn_key_parse(k, (const char *)key, CTN_KEY_BYTES), APR_SUCCESS);
    ck_assert_mem_eq(k, key, CTN_KEY_BYTES);
    memset(k, 0, sizeof(k));
    ck_assert_int_eq(ctn_key_parse(k, hex, strlen(hex)), APR_SUCCESS);
    ck_assert_mem_eq(k, key, CTN_KEY_BYTES);
    memset(k, 0, sizeof(k));
    ck_assert_int_eq(ctn_key_parse(k, b64, strlen(b64)), APR_SUCCESS);
    ck_assert_mem_eq(k, key, CTN_KEY_BYTES);
    ck_assert_int_eq(ctn_key_parse(k, "short", 5), APR_EINVAL);
    ck_assert_int_eq(ctn_key_parse(k, hex, 63), APR_EINVAL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("stream_token");
    TCase *tc = tcase_create("tokens");

    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, a_signed_token_verifies_for_its_call_and_names_the_business);
    tcase_add_test(tc, a_token_is_refused_for_another_call_key_business_or_after_expiry);
    tcase_add_test(tc, malformed_tokens_are_refused);
    tcase_add_test(tc, key_files_hold_raw_hex_or_base64);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
