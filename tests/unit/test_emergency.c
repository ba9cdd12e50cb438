/* test_emergency.c: emergency rules with negation, both languages (lib/emergency.c).
 *
 * Decisions the cases pin (see emergency.h):
 *   - talk of the past, of a hypothesis, of a planned job or of a price in
 *     the same clause suppresses a match ("my neighbor's basement flooded
 *     last year, can you waterproof mine?" is not an emergency), unless the
 *     clause says it is happening right now; a price question does not
 *     suppress gas or carbon monoxide;
 *   - "it's not flooding anymore" is not an emergency;
 *   - an uncertain "I don't know if it's a gas leak" is one. */
#include "unit.h"

#include "emergency.h"

#include <string.h>

CTN_UNIT_POOL_FIXTURE

static const struct {
    const char *text;
    const char *category; /* NULL: not an emergency */
    int freezing;
} cases[] = {
    /* English */
    {"I smell gas in my kitchen", "gas_leak", 0},
    {"hi, uh, I smell gas in the kitchen", "gas_leak", 0},
    {"there's a gas leak in the basement", "gas_leak", 0},
    {"it smells like rotten eggs in here", "gas_leak", 0},
    {"my basement is flooding", "flooding", 0},
    {"a pipe burst and there's water everywhere", "flooding", 0},
    {"water is pouring through the ceiling", "flooding", 0},
    {"the water heater is leaking everywhere", "flooding", 0},
    {"water is leaking from the ceiling", "flooding", 0},
    {"the panel is sparking", "electrical_hazard", 0},
    {"there's a burning smell from the breaker", "electrical_hazard", 0},
    {"the outlet is smoking", "electrical_hazard", 0},
    {"sewage is coming up through the floor drain", "sewage_backup", 0},
    {"the toilet is overflowing with sewage", "sewage_backup", 0},
    {"my carbon monoxide detector is going off", "carbon_monoxide", 0},
    {"the CO alarm keeps beeping", "carbon_monoxide", 0},
    {"no heat and it's freezing, the baby is cold", "no_heat", 0},
    {"the furnace is out and we have a newborn", "no_heat", 0},
    {"the furnace is out", "no_heat", 1},
    {"we ain't got no heat and it's below zero", "no_heat", 0},
    {"we have no water at all", "no_water", 0},
    {"I'm locked out and my baby is inside", "lockout_danger", 0},
    /* English, negation that is not one */
    {"no. it's flooding now", "flooding", 0},
    {"no, the basement is flooding", "flooding", 0},
    {"no the basement is flooding", "flooding", 0},
    {"I don't know if it's a gas leak", "gas_leak", 0},
    {"I can't stop water pouring from the pipe", "flooding", 0},
    {"I'm not sure what happened but my basement is flooding", "flooding", 0},
    /* English, distance cues in another clause, or overridden */
    {"I smell gas. How much is it for someone to come out?", "gas_leak", 0},
    {"how much does it cost to fix a gas leak", "gas_leak", 0},
    {"it flooded last year and it's flooding again right now", "flooding", 0},
    {"how much to pump out my flooded basement right now", "flooding", 0},
    {"how much is an emergency visit for a burst pipe", "flooding", 0},
    /* Spanish */
    {"Huele a gas en la cocina", "gas_leak", 0},
    {"Se está inundando mi sótano", "flooding", 0},
    {"se reventó un tubo y hay agua por todas partes", "flooding", 0},
    {"hay agua por todas partes", "flooding", 0},
    {"no para de salir agua del techo", "flooding", 0},
    {"huele a quemado en el panel", "electrical_hazard", 0},
    {"hay chispas en el panel", "electrical_hazard", 0},
    {"hay humo saliendo del enchufe", "electrical_hazard", 0},
    {"hay aguas negras en el baño", "sewage_backup", 0},
    {"se regresa el drenaje", "sewage_backup", 0},
    {"la alarma de monóxido está sonando", "carbon_monoxide", 0},
    {"no tengo calefacción y está helando", "no_heat", 0},
    {"no tengo calefacción y hace mucho frío", "no_heat", 0},
    {"no sé si es una fuga de gas", "gas_leak", 0},
    {"mi hijo se quedó encerrado en el carro", "lockout_danger", 0},
    /* mixed */
    {"my sótano se está inundando", "flooding", 0},
    /* not emergencies: negation */
    {"no, nothing is leaking", NULL, 0},
    {"nothing is flooding, it's just a drip", NULL, 0},
    {"there's no gas smell", NULL, 0},
    {"I don't think there is any gas smell", NULL, 0},
    {"I don't smell gas, I just want a furnace tune up", NULL, 0},
    {"it's not flooding anymore", NULL, 0},
    {"the gas smell is gone now", NULL, 0},
    {"there's no sewage, the sink is just slow", NULL, 0},
    {"no huele a gas", NULL, 0},
    {"no hay agua en el piso", NULL, 0},
    {"ya no sale agua", NULL, 0},
    {"no se está inundando", NULL, 0},
    /* not emergencies: past, hypothesis, quote, planned work */
    {"my neighbor's basement flooded last year, can you waterproof mine?", NULL, 0},
    {"how much does it cost to fix a burst pipe", NULL, 0},
    {"how do I prevent a burst pipe", NULL, 0},
    {"our basement floods every spring, can you install a sump pump", NULL, 0},
    {"I need a carbon monoxide detector installed", NULL, 0},
    {"el año pasado se inundó el sótano", NULL, 0},
    {"¿cuánto cuesta reparar un tubo roto?", NULL, 0},
    /* not emergencies: near misses */
    {"I'd like to schedule a gas furnace tune-up", NULL, 0},
    {"the floodlight over the garage stopped working", NULL, 0},
    {"my smoke detector keeps chirping", NULL, 0},
    {"the furnace is out", NULL, 0},
    {"no heat but it's not freezing, just chilly", NULL, 0},
    {"I'm locked out of my house", NULL, 0},
    {"I'm locked out, my kids are at school", NULL, 0},
    {"no tengo agua caliente", NULL, 0},
    {"nos quedamos sin agua caliente", NULL, 0},
    {"the toilet is running", NULL, 0},
    {"", NULL, 0},
};

START_TEST(detects_emergencies_and_respects_negation)
{
    ctn_emergency_match_t m;
    int hit;

    memset(&m, 0, sizeof(m));
    hit = ctn_emergency_detect(unit_pool, cases[_i].text, NULL, cases[_i].freezing, &m);
    if (cases[_i].category) {
        ck_assert_msg(hit, "'%s' should be %s", cases[_i].text, cases[_i].category);
        ck_assert_msg(strcmp(m.category, cases[_i].category) == 0, "'%s' is %s (by '%s'), not %s",
                      cases[_i].text, m.category, m.phrase, cases[_i].category);
        ck_assert_str_eq(ctn_emergency_category_name(m.kind), m.category);
        ck_assert_ptr_nonnull(m.phrase);
    } else {
        ck_assert_msg(!hit, "'%s' is not an emergency (matched '%s')", cases[_i].text,
                      hit ? m.phrase : "");
    }
}
END_TEST

START_TEST(null_text_is_no_emergency)
{
    ctn_emergency_match_t m;

    ck_assert(!ctn_emergency_detect(unit_pool, NULL, NULL, 1, &m));
}
END_TEST

/* Every built-in rule, spoken as it is written, finds its own category:
 * no rule is shadowed by an earlier one of another category, and no rule
 * is written in a form the normaliser can never produce. */
START_TEST(every_builtin_rule_matches_itself)
{
    const ctn_emergency_rule_t *r;
    apr_size_t i;

    for (i = 0; (r = ctn_emergency_builtin_rule(i)) != NULL; i++) {
        char text[128];
        apr_size_t n = 0;
        ctn_emergency_match_t m;
        int lockout = strcmp(r->category, "lockout_danger") == 0;

        for (const char *p = r->phrase; *p && n < sizeof(text) - 40; p++) {
            if (*p == '*' && (p == r->phrase || p[-1] == ' ')) {
                memcpy(text + n, "is", 2); /* a bare '*' is any word */
                n += 2;
            } else if (*p != '*') {
                text[n++] = *p;
            }
        }
        text[n] = '\0';
        if (lockout) {
            strcat(text, " and my baby is inside");
        }
        ck_assert_msg(ctn_emergency_detect(unit_pool, text, NULL, 1, &m), "rule '%s' ('%s')",
                      r->phrase, text);
        ck_assert_msg(strcmp(m.category, r->category) == 0, "rule '%s' found as %s by '%s'",
                      r->phrase, m.category, m.phrase);
        ck_assert(r->lang != NULL && (strcmp(r->lang, "en") == 0 || strcmp(r->lang, "es") == 0));
    }
    ck_assert_uint_gt(i, 100);
    ck_assert_ptr_null(ctn_emergency_builtin_rule((apr_size_t)-1));
}
END_TEST

START_TEST(the_match_names_the_rule_and_its_language)
{
    ctn_emergency_match_t m;

    ck_assert(ctn_emergency_detect(unit_pool, "Huele a gas", NULL, 0, &m));
    ck_assert_int_eq(m.kind, CTN_EMERGENCY_GAS_LEAK);
    ck_assert_str_eq(m.phrase, "huele a gas");
    ck_assert_str_eq(m.lang, "es");
    ck_assert(
        ctn_emergency_detect(unit_pool, "I smell gas and the basement is flooding", NULL, 0, &m));
    ck_assert_str_eq(m.category, "gas_leak"); /* the most dangerous first */
    ck_assert_str_eq(m.lang, "en");
}
END_TEST

START_TEST(category_names_round_trip)
{
    for (int i = 0; i < CTN_EMERGENCY_CATEGORIES; i++) {
        ctn_emergency_category_e kind = CTN_EMERGENCY_CATEGORIES;
        ck_assert(ctn_emergency_category_from_name(
            ctn_emergency_category_name((ctn_emergency_category_e)i), &kind));
        ck_assert_int_eq(kind, i);
    }
    ck_assert_str_eq(ctn_emergency_category_name(CTN_EMERGENCY_LOCKOUT_DANGER), "lockout_danger");
    ck_assert_str_eq(ctn_emergency_category_name(CTN_EMERGENCY_CATEGORIES), "custom");
    {
        ctn_emergency_category_e kind = CTN_EMERGENCY_FLOODING;
        ck_assert(!ctn_emergency_category_from_name("lockout", &kind));
        ck_assert(!ctn_emergency_category_from_name(NULL, &kind));
        ck_assert_int_eq(kind, CTN_EMERGENCY_FLOODING);
    }
}
END_TEST

static apr_array_header_t *rules_from(const char *json_text)
{
    apr_array_header_t *rules = NULL;
    const char *why = NULL;
    json_object *json = json_tokener_parse(json_text);
    apr_status_t rv = ctn_emergency_rules_from_json(&rules, unit_pool, json, &why);

    json_object_put(json);
    ck_assert_msg(rv == APR_SUCCESS, "%s: %s", json_text, why);
    return rules;
}

START_TEST(business_rules_extend_the_builtin_ones)
{
    apr_array_header_t *rules =
        rules_from("[{\"phrase\": \"elevator stuck\", \"category\": \"lockout_danger\", "
                   "\"language\": \"en\"},"
                   " {\"phrase\": \"Sótano mojad*\", \"category\": \"flooding\", "
                   "\"language\": \"es\"},"
                   " {\"phrase\": \"No hot water\", \"language\": null},"
                   " {\"phrase\": \"gas\", \"category\": \"custom\"}]");
    const ctn_emergency_rule_t *r = (const ctn_emergency_rule_t *)rules->elts;
    ctn_emergency_match_t m;

    ck_assert_int_eq(rules->nelts, 4);
    ck_assert_str_eq(r[1].phrase, "sotano mojad*");
    ck_assert_str_eq(r[2].category, "custom");
    ck_assert_ptr_null(r[2].lang);

    ck_assert(ctn_emergency_detect(unit_pool,
                                   "The elevator is stuck? No, the ELEVATOR STUCK "
                                   "with people",
                                   rules, 0, &m));
    ck_assert_str_eq(m.category, "lockout_danger");
    ck_assert_str_eq(m.lang, "en");
    /* the prefix survives normalisation of the business's phrase */
    ck_assert(ctn_emergency_detect(unit_pool, "tengo el sótano mojada", rules, 0, &m));
    ck_assert_str_eq(m.category, "flooding");
    ck_assert_str_eq(m.lang, "es");
    /* business rules are negated like the built-in ones... */
    ck_assert(!ctn_emergency_detect(unit_pool, "no está el sótano mojado", rules, 0, &m));
    ck_assert(!ctn_emergency_detect(unit_pool, "the elevator is not stuck", rules, 0, &m));
    /* ...except that a rule that starts with a negator carries its own */
    ck_assert(ctn_emergency_detect(unit_pool, "we don't have no hot water", rules, 0, &m));
    ck_assert(ctn_emergency_detect(unit_pool, "there's no hot water", rules, 0, &m));
    ck_assert_str_eq(m.category, "custom");
    /* built-in rules come first */
    ck_assert(ctn_emergency_detect(unit_pool, "I smell gas", rules, 0, &m));
    ck_assert_str_eq(m.category, "gas_leak");
}
END_TEST

static const struct {
    const char *json;
    const char *why; /* a part of the message */
} bad_rules[] = {
    {"{\"phrase\": \"gas\"}", "emergency_rules must be an array"},
    {"[\"gas\"]", "emergency_rules[0] must be an object"},
    {"[{\"phrase\": \"gas\"}, {\"category\": \"custom\"}]", "emergency_rules[1].phrase"},
    {"[{\"phrase\": 12}]", "emergency_rules[0].phrase"},
    {"[{\"phrase\": \"...!\"}]", "emergency_rules[0].phrase"},
    {"[{\"phrase\": \"*\"}]", "emergency_rules[0].phrase"},
    {"[{\"phrase\": \"locked out\", \"category\": \"lockout\"}]",
     "emergency_rules[0].category must be one of"},
    {"[{\"phrase\": \"gas\", \"language\": \"fr\"}]", "emergency_rules[0].language"},
    {"[{\"phrase\": \"gas\", \"language\": 1}]", "emergency_rules[0].language"},
};

START_TEST(bad_business_rules_are_refused_naming_the_field)
{
    apr_array_header_t *rules = (apr_array_header_t *)1;
    const char *why = NULL;
    json_object *json = json_tokener_parse(bad_rules[_i].json);

    ck_assert_ptr_nonnull(json);
    ck_assert_int_eq(ctn_emergency_rules_from_json(&rules, unit_pool, json, &why), APR_EINVAL);
    ck_assert_ptr_null(rules);
    ck_assert_msg(why && strstr(why, bad_rules[_i].why), "%s: %s", bad_rules[_i].json, why);
    json_object_put(json);
}
END_TEST

START_TEST(no_business_rules_is_an_empty_list)
{
    apr_array_header_t *rules = NULL;
    const char *why = NULL;

    ck_assert_int_eq(ctn_emergency_rules_from_json(&rules, unit_pool, NULL, &why), APR_SUCCESS);
    ck_assert_int_eq(rules->nelts, 0);
    ck_assert_int_eq(rules_from("[]")->nelts, 0);
}
END_TEST

START_TEST(too_many_business_rules_are_refused)
{
    json_object *array = json_object_new_array();
    apr_array_header_t *rules = NULL;
    const char *why = NULL;

    for (int i = 0; i < 201; i++) {
        json_object *rule = json_object_new_object();
        json_object_object_add(rule, "phrase", json_object_new_string("stuck"));
        json_object_array_add(array, rule);
    }
    ck_assert_int_eq(ctn_emergency_rules_from_json(&rules, unit_pool, array, &why), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "at most"));
    json_object_put(array);
}
END_TEST

/* Texts name a category in words, in the text's language. */
START_TEST(categories_are_said_in_words)
{
    ck_assert_str_eq(ctn_emergency_category_say("gas_leak", CTN_LANG_EN), "gas leak");
    ck_assert_str_eq(ctn_emergency_category_say("gas_leak", CTN_LANG_ES), "fuga de gas");
    ck_assert_str_eq(ctn_emergency_category_say("sewage_backup", CTN_LANG_ES),
                     "retorno de aguas negras");
    ck_assert_str_eq(ctn_emergency_category_say("carbon_monoxide", CTN_LANG_EN), "carbon monoxide");
    for (int i = 0; i < CTN_EMERGENCY_CATEGORIES; i++) {
        const char *name = ctn_emergency_category_name((ctn_emergency_category_e)i);
        for (int lang = CTN_LANG_EN; lang <= CTN_LANG_ES; lang++) {
            const char *said = ctn_emergency_category_say(name, (ctn_lang_e)lang);
            ck_assert_ptr_nonnull(said);
            ck_assert_ptr_null(strchr(said, '_'));
        }
    }
    /* A name that is no category (a realtime model's) is said as it is. */
    ck_assert_str_eq(ctn_emergency_category_say("roof_collapse", CTN_LANG_EN), "roof_collapse");
    ck_assert_ptr_null(ctn_emergency_category_say(NULL, CTN_LANG_EN));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("emergency");
    TCase *tc = tcase_create("emergency");

    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_loop_test(tc, detects_emergencies_and_respects_negation, 0,
                        (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, null_text_is_no_emergency);
    tcase_add_test(tc, every_builtin_rule_matches_itself);
    tcase_add_test(tc, the_match_names_the_rule_and_its_language);
    tcase_add_test(tc, category_names_round_trip);
    tcase_add_test(tc, categories_are_said_in_words);
    tcase_add_test(tc, business_rules_extend_the_builtin_ones);
    tcase_add_loop_test(tc, bad_business_rules_are_refused_naming_the_field, 0,
                        (int)(sizeof(bad_rules) / sizeof(bad_rules[0])));
    tcase_add_test(tc, no_business_rules_is_an_empty_list);
    tcase_add_test(tc, too_many_business_rules_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
