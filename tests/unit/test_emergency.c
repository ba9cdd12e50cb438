/* test_emergency.c: emergency rules with negation, both languages (lib/emergency.c). */
#include "unit.h"

#include "emergency.h"

#include <string.h>

CTN_UNIT_POOL_FIXTURE

static const struct {
    const char *text;
    const char *category; /* NULL: not an emergency */
    int freezing;
} cases[] = {
    {"I smell gas in my kitchen", "gas_leak", 0},
    {"there's a gas leak in the basement", "gas_leak", 0},
    {"Huele a gas en la cocina", "gas_leak", 0},
    {"Se está inundando mi sótano", "flooding", 0},
    {"my basement is flooding", "flooding", 0},
    {"a pipe burst and there's water everywhere", "flooding", 0},
    {"se reventó un tubo y hay agua por todas partes", "flooding", 0},
    {"the panel is sparking", "electrical_hazard", 0},
    {"there's a burning smell from the breaker", "electrical_hazard", 0},
    {"huele a quemado en el enchufe", "electrical_hazard", 0},
    {"sewage is coming up through the drain", "sewage_backup", 0},
    {"hay aguas negras en el baño", "sewage_backup", 0},
    {"my carbon monoxide detector is going off", "carbon_monoxide", 0},
    {"the CO alarm keeps beeping", "carbon_monoxide", 0},
    {"no heat and it's freezing, the baby is cold", "no_heat", 0},
    {"no tengo calefacción y está helando", "no_heat", 0},
    {"the furnace is out", "no_heat", 1},
    {"no, nothing is leaking", NULL, 0},
    {"I don't smell gas, I just want a furnace tune up", NULL, 0},
    {"there's no gas smell", NULL, 0},
    {"no huele a gas", NULL, 0},
    {"it's not flooding anymore", NULL, 0},
    {"the furnace is out", NULL, 0},
    {"my neighbor's basement flooded last year, can you waterproof mine", NULL, 0},
    {"how much does it cost to fix a burst pipe", NULL, 0},
    {"I'd like to schedule a water heater installation", NULL, 0},
    {"no. it's flooding now", "flooding", 0},
    {"", NULL, 0},
};

START_TEST(detects_emergencies_and_respects_negation)
{
    ctn_emergency_match_t m;
    int hit = ctn_emergency_detect(unit_pool, cases[_i].text, NULL, cases[_i].freezing, &m);

    if (cases[_i].category) {
        ck_assert_msg(hit, "'%s' should be %s", cases[_i].text, cases[_i].category);
        ck_assert_str_eq(m.category, cases[_i].category);
    } else {
        ck_assert_msg(!hit, "'%s' is not an emergency (matched %s)", cases[_i].text,
                      hit ? m.phrase : "");
    }
}
END_TEST

START_TEST(business_rules_extend_the_builtin_ones)
{
    const char *why = NULL;
    json_object *json = json_tokener_parse(
        "[{\"phrase\": \"locked out\", \"category\": \"lockout\"}, {\"phrase\": \"Sótano\"}]");
    apr_array_header_t *rules = NULL;
    ctn_emergency_match_t m;

    ck_assert_int_eq(ctn_emergency_rules_from_json(&rules, unit_pool, json, &why), APR_SUCCESS);
    ck_assert(ctn_emergency_detect(unit_pool, "I'm locked out with my kid inside", rules, 0, &m));
    ck_assert_str_eq(m.category, "lockout");
    ck_assert(ctn_emergency_detect(unit_pool, "algo pasa en el sotano", rules, 0, &m));
    ck_assert_str_eq(m.category, "custom");
    ck_assert(!ctn_emergency_detect(unit_pool, "I'm not locked out", rules, 0, &m));
    json_object_put(json);
    json = json_tokener_parse("[{\"category\": \"x\"}]");
    ck_assert_int_eq(ctn_emergency_rules_from_json(&rules, unit_pool, json, &why), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "emergency_rules[0].phrase"));
    json_object_put(json);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("emergency");
    TCase *tc = tcase_create("emergency");

    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_loop_test(tc, detects_emergencies_and_respects_negation, 0,
                        (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, business_rules_extend_the_builtin_ones);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
