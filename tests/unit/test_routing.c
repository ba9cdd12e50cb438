/* test_routing.c: the routing decision's order and defaults (lib/routing.c). */
#include "unit.h"

#include "routing.h"

#include <string.h>

static const struct {
    const char *name;
    ctn_routing_input_t in;
    ctn_routing_decision_e decision;
    const char *engine;
} cases[] = {
    {"open_and_active_answers",
     {"active", "pro", 1, 0, 0, 0, "+13125550100", 0},
     CTN_ROUTING_ANSWER,
     "builtin"},
    {"realtime_when_available",
     {"active", "pro", 1, 0, 0, 0, NULL, 1},
     CTN_ROUTING_ANSWER,
     "realtime"},
    {"trialing_answers", {"trialing", "trial", 1, 0, 0, 0, NULL, 0}, CTN_ROUTING_ANSWER, "builtin"},
    {"past_due_still_answers",
     {"past_due", "pro", 1, 0, 0, 0, NULL, 0},
     CTN_ROUTING_ANSWER,
     "builtin"},
    {"unknown_status_answers", {"weird", NULL, 1, 0, 0, 0, NULL, 0}, CTN_ROUTING_ANSWER, "builtin"},
    {"null_status_answers", {NULL, NULL, 1, 0, 0, 0, NULL, 0}, CTN_ROUTING_ANSWER, "builtin"},
    {"closed_is_after_hours",
     {"active", "pro", 0, 0, 0, 0, NULL, 0},
     CTN_ROUTING_AFTER_HOURS,
     "builtin"},
    {"canceled_forwards_to_owner",
     {"canceled", "pro", 1, 0, 0, 0, "+13125550100", 0},
     CTN_ROUTING_FORWARD_OWNER,
     "builtin"},
    {"unpaid_forwards_to_owner",
     {"unpaid", "pro", 0, 0, 0, 0, "+13125550100", 0},
     CTN_ROUTING_FORWARD_OWNER,
     "builtin"},
    {"canceled_without_owner_phone_is_voicemail",
     {"canceled", "pro", 1, 0, 0, 0, "", 0},
     CTN_ROUTING_VOICEMAIL,
     "builtin"},
    {"over_plan_limit_is_voicemail",
     {"active", "starter", 1, 3, 0, 0, NULL, 0},
     CTN_ROUTING_VOICEMAIL,
     "builtin"},
    {"under_plan_limit_answers",
     {"active", "starter", 1, 2, 0, 0, NULL, 0},
     CTN_ROUTING_ANSWER,
     "builtin"},
    {"business_limit_overrides_plan",
     {"active", "pro", 1, 1, 1, 0, NULL, 0},
     CTN_ROUTING_VOICEMAIL,
     "builtin"},
    {"overflow_beats_after_hours",
     {"active", "trial", 0, 2, 0, 0, NULL, 0},
     CTN_ROUTING_VOICEMAIL,
     "builtin"},
    {"blocked_beats_everything",
     {"canceled", "pro", 0, 9, 0, 1, "+13125550100", 1},
     CTN_ROUTING_BLOCKED,
     "realtime"},
};

START_TEST(decides_in_the_documented_order)
{
    ctn_routing_result_t out;

    ctn_routing_decide(&cases[_i].in, &out);
    ck_assert_msg(out.decision == cases[_i].decision, "%s: got %s", cases[_i].name,
                  ctn_routing_decision_name(out.decision));
    ck_assert_str_eq(out.engine, cases[_i].engine);
    ck_assert_ptr_nonnull(out.reason);
}
END_TEST

START_TEST(plan_limits_have_a_default)
{
    ck_assert_int_eq(ctn_routing_plan_limit("pro"), 10);
    ck_assert_int_eq(ctn_routing_plan_limit("nonsense"), 2);
    ck_assert_int_eq(ctn_routing_plan_limit(NULL), 2);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("routing");
    TCase *tc = tcase_create("decide");

    tcase_add_loop_test(tc, decides_in_the_documented_order, 0,
                        (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, plan_limits_have_a_default);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
