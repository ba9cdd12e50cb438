/* test_ratelimit.c: log-in failure counters (lib/ratelimit.c). */
#include "unit.h"

#include "ratelimit.h"

#include <apr_strings.h>
#include <string.h>

CTN_UNIT_POOL_FIXTURE

static apr_status_t no_lock(void *baton)
{
    return APR_SUCCESS;
}

static const ctn_ratelimit_lock_t nolock = {no_lock, no_lock, NULL};

static ctn_ratelimit_t *make(unsigned slots)
{
    apr_size_t bytes = ctn_ratelimit_bytes(slots);
    void *mem = apr_palloc(unit_pool, bytes);
    ctn_ratelimit_t *rl = NULL;

    ck_assert_int_eq(ctn_ratelimit_format(&rl, mem, bytes, slots, &nolock, unit_pool), APR_SUCCESS);
    return rl;
}

#define T0 apr_time_from_sec(1700000000)

START_TEST(allows_up_to_the_limit_then_says_how_long_to_wait)
{
    ctn_ratelimit_t *rl = make(64);

    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(ctn_ratelimit_retry_after(rl, "account:a", 5, T0), 0);
        ctn_ratelimit_fail(rl, "account:a", 900, T0);
    }
    ck_assert_int_eq(ctn_ratelimit_retry_after(rl, "account:a", 5, T0), 900);
    ck_assert_int_eq(ctn_ratelimit_retry_after(rl, "account:a", 5, T0 + apr_time_from_sec(600)),
                     300);
}
END_TEST

START_TEST(the_window_expires)
{
    ctn_ratelimit_t *rl = make(64);

    for (int i = 0; i < 5; i++) {
        ctn_ratelimit_fail(rl, "ip:1.2.3.4", 60, T0);
    }
    ck_assert_int_gt(ctn_ratelimit_retry_after(rl, "ip:1.2.3.4", 5, T0), 0);
    ck_assert_int_eq(ctn_ratelimit_retry_after(rl, "ip:1.2.3.4", 5, T0 + apr_time_from_sec(60)), 0);
    /* a failure after expiry starts a new window */
    ctn_ratelimit_fail(rl, "ip:1.2.3.4", 60, T0 + apr_time_from_sec(61));
    ck_assert_int_eq(ctn_ratelimit_retry_after(rl, "ip:1.2.3.4", 2, T0 + apr_time_from_sec(61)), 0);
}
END_TEST

START_TEST(keys_are_counted_apart_and_clear_forgets_one)
{
    ctn_ratelimit_t *rl = make(64);

    for (int i = 0; i < 3; i++) {
        ctn_ratelimit_fail(rl, "account:a", 900, T0);
    }
    ctn_ratelimit_fail(rl, "account:b", 900, T0);
    ck_assert_int_gt(ctn_ratelimit_retry_after(rl, "account:a", 3, T0), 0);
    ck_assert_int_eq(ctn_ratelimit_retry_after(rl, "account:b", 3, T0), 0);
    ctn_ratelimit_clear(rl, "account:a");
    ck_assert_int_eq(ctn_ratelimit_retry_after(rl, "account:a", 3, T0), 0);
}
END_TEST

START_TEST(a_full_table_reuses_the_oldest_slot_and_never_grows)
{
    ctn_ratelimit_t *rl = make(16);
    char key[32];

    for (int i = 0; i < 1000; i++) {
        apr_snprintf(key, sizeof(key), "ip:10.0.%d.%d", i / 256, i % 256);
        ctn_ratelimit_fail(rl, key, 600, T0 + apr_time_from_sec(i));
    }
    /* the newest key is still counted */
    ck_assert_int_gt(ctn_ratelimit_retry_after(rl, key, 1, T0 + apr_time_from_sec(999)), 0);
}
END_TEST

START_TEST(take_counts_the_attempt_before_it_is_judged)
{
    ctn_ratelimit_t *rl = make(64);

    /* five attempts in flight at once: the sixth is refused before any ends */
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(ctn_ratelimit_take(rl, "account:a", 5, 900, T0), 0);
    }
    ck_assert_int_eq(ctn_ratelimit_take(rl, "account:a", 5, 900, T0), 900);
    ck_assert_int_eq(ctn_ratelimit_retry_after(rl, "account:a", 5, T0), 900);
    /* a refused attempt counted nothing: after the window, five again */
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(ctn_ratelimit_take(rl, "account:a", 5, 900, T0 + apr_time_from_sec(900)),
                         0);
    }
    ck_assert_int_gt(ctn_ratelimit_take(rl, "account:a", 5, 900, T0 + apr_time_from_sec(900)), 0);
}
END_TEST

START_TEST(refund_gives_back_an_attempt_that_did_not_fail)
{
    ctn_ratelimit_t *rl = make(64);

    for (int i = 0; i < 10; i++) {
        ck_assert_int_eq(ctn_ratelimit_take(rl, "ip:1.2.3.4", 3, 600, T0), 0);
        ctn_ratelimit_refund(rl, "ip:1.2.3.4");
    }
    ck_assert_int_eq(ctn_ratelimit_retry_after(rl, "ip:1.2.3.4", 3, T0), 0);
    ctn_ratelimit_refund(rl, "ip:unknown"); /* nothing to give back: no effect */
    ctn_ratelimit_refund(rl, "ip:1.2.3.4"); /* never below zero */
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(ctn_ratelimit_take(rl, "ip:1.2.3.4", 3, 600, T0), 0);
    }
    ck_assert_int_gt(ctn_ratelimit_take(rl, "ip:1.2.3.4", 3, 600, T0), 0);
}
END_TEST

START_TEST(format_refuses_too_small_a_table)
{
    char mem[64];
    ctn_ratelimit_t *rl;

    ck_assert_int_eq(ctn_ratelimit_format(&rl, mem, sizeof(mem), 4, &nolock, unit_pool),
                     APR_EINVAL);
    ck_assert_int_eq(ctn_ratelimit_format(&rl, mem, sizeof(mem), 64, &nolock, unit_pool),
                     APR_EINVAL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ratelimit");
    TCase *tc = tcase_create("counters");

    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, allows_up_to_the_limit_then_says_how_long_to_wait);
    tcase_add_test(tc, the_window_expires);
    tcase_add_test(tc, keys_are_counted_apart_and_clear_forgets_one);
    tcase_add_test(tc, a_full_table_reuses_the_oldest_slot_and_never_grows);
    tcase_add_test(tc, take_counts_the_attempt_before_it_is_judged);
    tcase_add_test(tc, refund_gives_back_an_attempt_that_did_not_fail);
    tcase_add_test(tc, format_refuses_too_small_a_table);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
