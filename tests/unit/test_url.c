/* test_url.c: the strict URL parser and percent-encoding (lib/url.c). */
#include "unit.h"

#include "url.h"

#include <string.h>

CTN_UNIT_POOL_FIXTURE

static const char *const web[] = {"http", "https", NULL};
static const char *const ws[] = {"ws", "wss", NULL};

static const struct {
    const char *text;
    const char *host;
    int port;
    const char *path;
    const char *query;
} good[] = {
    {"https://Voice.Example.com", "voice.example.com", 443, "/", NULL},
    {"http://127.0.0.1:8080/", "127.0.0.1", 8080, "/", NULL},
    {"https://api.twilio.com/2010-04-01?x=1", "api.twilio.com", 443, "/2010-04-01", "x=1"},
    {"http://[::1]:9000/v1", "::1", 9000, "/v1", NULL},
    {"HTTP://host_name.internal/a/b", "host_name.internal", 80, "/a/b", NULL},
};

START_TEST(parses_valid_urls)
{
    ctn_url_t url;
    const char *why = NULL;

    ck_assert_int_eq(ctn_url_parse(&url, unit_pool, good[_i].text, web, &why), APR_SUCCESS);
    ck_assert_str_eq(url.host, good[_i].host);
    ck_assert_int_eq(url.port, good[_i].port);
    ck_assert_str_eq(url.path, good[_i].path);
    if (good[_i].query) {
        ck_assert_str_eq(url.query, good[_i].query);
    } else {
        ck_assert_ptr_null(url.query);
    }
}
END_TEST

static const struct {
    const char *text;
    const char *reason;
} bad[] = {
    {"not-a-url", "no scheme"},
    {"", "empty"},
    {"ftp://example.com/", "not one of those allowed"},
    {"https://user:pw@example.com/", "user information"},
    {"https://example.com/#frag", "fragment"},
    {"https:///path", "no host"},
    {"https://example.com:0/", "port"},
    {"https://example.com:65536/", "port"},
    {"https://example.com:8o/", "port"},
    {"https://exa mple.com/", "space"},
    {"https://exa\tmple.com/", "control"},
    {"https://ex!ample.com/", "invalid character"},
    {"https://-example.com/", "not a valid name"},
    {"https://[::1/", "IPv6"},
};

START_TEST(rejects_bad_urls_with_a_reason)
{
    ctn_url_t url;
    const char *why = NULL;

    ck_assert_int_eq(ctn_url_parse(&url, unit_pool, bad[_i].text, web, &why), APR_EINVAL);
    ck_assert_msg(why && strstr(why, bad[_i].reason), "'%s': got '%s'", bad[_i].text, why);
}
END_TEST

START_TEST(websocket_schemes_are_separate)
{
    ctn_url_t url;
    const char *why;

    ck_assert_int_eq(ctn_url_parse(&url, unit_pool, "wss://api.openai.com/v1/realtime", ws, &why),
                     APR_SUCCESS);
    ck_assert_int_eq(url.port, 443);
    ck_assert_int_eq(ctn_url_parse(&url, unit_pool, "https://api.openai.com/", ws, &why),
                     APR_EINVAL);
}
END_TEST

START_TEST(escape_keeps_only_unreserved)
{
    ck_assert_str_eq(ctn_url_escape(unit_pool, "a b+c/~x.y_z-1"), "a%20b%2Bc%2F~x.y_z-1");
    ck_assert_str_eq(ctn_url_escape(unit_pool, "s\xc3\xb3tano"), "s%C3%B3tano");
    ck_assert_str_eq(ctn_url_escape(unit_pool, ""), "");
}
END_TEST

START_TEST(unescape_refuses_malformed_escapes)
{
    char *out;
    apr_size_t len;

    ck_assert_int_eq(ctn_url_unescape(&out, &len, unit_pool, "a%20b+c", 7, 1), APR_SUCCESS);
    ck_assert_str_eq(out, "a b c");
    ck_assert_int_eq(ctn_url_unescape(&out, &len, unit_pool, "a+b", 3, 0), APR_SUCCESS);
    ck_assert_str_eq(out, "a+b");
    ck_assert_int_eq(ctn_url_unescape(&out, &len, unit_pool, "%4", 2, 1), APR_EINVAL);
    ck_assert_int_eq(ctn_url_unescape(&out, &len, unit_pool, "%zz", 3, 1), APR_EINVAL);
    ck_assert_int_eq(ctn_url_unescape(&out, &len, unit_pool, "a%00b", 5, 1), APR_EINVAL);
    ck_assert_int_eq(ctn_url_unescape(&out, &len, unit_pool, "%C3%B3", 6, 1), APR_SUCCESS);
    ck_assert_str_eq(out, "\xc3\xb3");
}
END_TEST

START_TEST(join_avoids_double_slashes)
{
    ck_assert_str_eq(ctn_url_join(unit_pool, "https://a.test/", "/twilio/voice"),
                     "https://a.test/twilio/voice");
    ck_assert_str_eq(ctn_url_join(unit_pool, "https://a.test", "/x"), "https://a.test/x");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("url");
    TCase *tc = tcase_create("url");

    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_loop_test(tc, parses_valid_urls, 0, (int)(sizeof(good) / sizeof(good[0])));
    tcase_add_loop_test(tc, rejects_bad_urls_with_a_reason, 0, (int)(sizeof(bad) / sizeof(bad[0])));
    tcase_add_test(tc, websocket_schemes_are_separate);
    tcase_add_test(tc, escape_keeps_only_unreserved);
    tcase_add_test(tc, unescape_refuses_malformed_escapes);
    tcase_add_test(tc, join_avoids_double_slashes);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
