/* test_personality.c: businesses.ai_personality parsed with its defaults,
 * the greeting's AI disclosure, templates and the tone's words
 * (lib/personality.c). */
#include "unit.h"

#include "personality.h"

#include <apr_strings.h>
#include <string.h>

CTN_UNIT_POOL_FIXTURE

static ctn_personality_t *parse(const char *json, apr_status_t expect, const char **why)
{
    json_object *o = json ? json_tokener_parse(json) : NULL;
    ctn_personality_t *p = NULL;
    const char *reason = NULL;

    if (o) {
        apr_pool_cleanup_register(unit_pool, o, (apr_status_t(*)(void *))json_object_put,
                                  apr_pool_cleanup_null);
    }
    ck_assert_msg(ctn_personality_parse(&p, unit_pool, o, "Acme Plumbing", &reason) == expect,
                  "%s: %s", json ? json : "NULL", reason ? reason : "no reason");
    ck_assert_ptr_nonnull(p);
    if (why) {
        *why = reason;
    }
    return p;
}

START_TEST(defaults_for_an_empty_personality)
{
    const char *inputs[] = {NULL, "{}", "null"};

    for (int i = 0; i < 3; i++) {
        ctn_personality_t *p = parse(inputs[i], APR_SUCCESS, NULL);
        ck_assert_str_eq(p->assistant_name, "Cortana");
        ck_assert_int_eq(p->tone, CTN_TONE_FRIENDLY);
        ck_assert_int_eq(p->disclose_ai, 1);
        ck_assert_int_eq(p->price_policy, CTN_PRICE_RANGES);
        ck_assert(ctn_personality_speaks(p, CTN_LANG_EN) && ctn_personality_speaks(p, CTN_LANG_ES));
        ck_assert_int_eq(p->default_lang, CTN_LANG_EN);
        ck_assert_str_eq(ctn_personality_voice(p, CTN_LANG_EN), "Polly.Joanna-Neural");
        ck_assert_str_eq(ctn_personality_voice(p, CTN_LANG_ES), "Polly.Lupe-Neural");
        ck_assert_str_eq(ctn_personality_greeting(p, unit_pool, CTN_LANG_EN),
                         "Thanks for calling Acme Plumbing! This is Cortana, Acme Plumbing's AI "
                         "assistant. How can I help you today?");
        ck_assert_str_eq(ctn_personality_greeting(p, unit_pool, CTN_LANG_ES),
                         "¡Gracias por llamar a Acme Plumbing! Soy Cortana, la asistente virtual "
                         "de Acme Plumbing. ¿En qué le puedo ayudar?");
        ck_assert_str_eq(ctn_personality_sign_off(p, unit_pool, CTN_LANG_EN),
                         "Thanks for calling Acme Plumbing. Have a great day!");
    }
}
END_TEST

static const struct {
    const char *json;
    ctn_lang_e lang;
    const char *greeting;
} greetings[] = {
    /* The owner forgot the disclosure: it is added, in the caller's language. */
    {"{\"greeting\": {\"en\": \"Acme, {assistant} speaking.\", \"es\": \"Acme, habla "
     "{assistant}.\"}, \"assistant_name\": \"Ava\"}",
     CTN_LANG_EN, "Acme, Ava speaking. I'm an AI assistant."},
    {"{\"greeting\": {\"en\": \"Acme, {assistant} speaking.\", \"es\": \"Acme, habla "
     "{assistant}.\"}, \"assistant_name\": \"Ava\"}",
     CTN_LANG_ES, "Acme, habla Ava. Soy una asistente de inteligencia artificial."},
    /* Already said: not twice. */
    {"{\"greeting\": {\"en\": \"Hi, I'm {business}'s virtual receptionist.\"}}", CTN_LANG_EN,
     "Hi, I'm Acme Plumbing's virtual receptionist."},
    {"{\"greeting\": {\"en\": \"Hi! You've reached an AI assistant for {business}.\"}}",
     CTN_LANG_EN, "Hi! You've reached an AI assistant for Acme Plumbing."},
    /* A word that merely contains "ai" is no disclosure. */
    {"{\"greeting\": {\"en\": \"Hi, this is Aidan's plumbing, we repair drains.\"}}", CTN_LANG_EN,
     "Hi, this is Aidan's plumbing, we repair drains. I'm an AI assistant."},
    /* The owner turned the disclosure off (some places do not require it). */
    {"{\"disclose_ai\": false, \"greeting\": {\"en\": \"{business}, how can we help?\"}}",
     CTN_LANG_EN, "Acme Plumbing, how can we help?"},
    /* One string for both languages; a missing language falls back to the default. */
    {"{\"greeting\": \"{business}!\"}", CTN_LANG_ES,
     "Acme Plumbing! Soy una asistente de inteligencia artificial."},
    {"{\"greeting\": {\"en\": \"{business}!\"}}", CTN_LANG_ES,
     "¡Gracias por llamar a Acme Plumbing! Soy Cortana, la asistente virtual de Acme Plumbing. "
     "¿En qué le puedo ayudar?"},
    /* Unknown braces are left as they are. */
    {"{\"greeting\": {\"en\": \"{business} {owner} {\"}}", CTN_LANG_EN,
     "Acme Plumbing {owner} { I'm an AI assistant."},
};

START_TEST(greeting_templates_and_disclosure)
{
    ctn_personality_t *p = parse(greetings[_i].json, APR_SUCCESS, NULL);

    ck_assert_str_eq(ctn_personality_greeting(p, unit_pool, greetings[_i].lang),
                     greetings[_i].greeting);
}
END_TEST

static const struct {
    const char *tone;
    ctn_lang_e lang;
    const char *rendered;
} tones[] = {
    {"friendly", CTN_LANG_EN, "Got it! | Sure! | Sorry, | Thanks!"},
    {"professional", CTN_LANG_EN, "Understood. | Certainly. | I apologize, | Thank you."},
    {"calm", CTN_LANG_EN, "Okay, I understand. | Of course. | I'm sorry, | Thank you."},
    {"friendly", CTN_LANG_ES, "¡Perfecto! | ¡Claro! | Perdón, | ¡Gracias!"},
    {"professional", CTN_LANG_ES, "Entendido. | Por supuesto. | Disculpe, | Gracias."},
    {"calm", CTN_LANG_ES, "De acuerdo, le entiendo. | Claro que sí. | Lo siento, | Gracias."},
};

START_TEST(tone_changes_the_small_words)
{
    ctn_personality_t *p =
        parse(apr_psprintf(unit_pool, "{\"tone\": \"%s\"}", tones[_i].tone), APR_SUCCESS, NULL);

    ck_assert_str_eq(
        ctn_personality_render(p, unit_pool, tones[_i].lang, "{ack} | {sure} | {sorry} | {thanks}"),
        tones[_i].rendered);
    ck_assert_str_eq(ctn_personality_ack(p, tones[_i].lang),
                     ctn_personality_render(p, unit_pool, tones[_i].lang, "{ack}"));
}
END_TEST

START_TEST(render_without_tokens_returns_the_text)
{
    ctn_personality_t *p = parse(NULL, APR_SUCCESS, NULL);
    const char *text = "Call 911 now.";

    ck_assert_ptr_eq(ctn_personality_render(p, unit_pool, CTN_LANG_EN, text), text);
    ck_assert_ptr_null(ctn_personality_render(p, unit_pool, CTN_LANG_EN, NULL));
    ck_assert_str_eq(ctn_personality_render(p, unit_pool, CTN_LANG_EN, "{assistant} at {business}"),
                     "Cortana at Acme Plumbing");
}
END_TEST

static const struct {
    const char *json;
    const char *member; /* named in `why` */
} bad[] = {
    {"{\"tone\": \"sarcastic\"}", "tone"},
    {"{\"tone\": 3}", "tone"},
    {"{\"price_policy\": \"cheap\"}", "price_policy"},
    {"{\"greeting\": 42}", "greeting"},
    {"{\"greeting\": {\"en\": \"\"}}", "greeting"},
    {"{\"voice\": [\"Polly.Joanna\"]}", "voice"},
    {"{\"disclose_ai\": \"no\"}", "disclose_ai"},
    {"{\"languages\": [\"fr\"]}", "languages"},
    {"{\"languages\": \"es\"}", "languages"},
    {"{\"rules\": \"be nice\"}", "rules"},
    {"{\"assistant_name\": \"\"}", "assistant_name"},
    {"[1, 2]", "ai_personality"},
};

START_TEST(bad_members_fall_back_to_defaults_with_a_reason)
{
    const char *why = NULL;
    ctn_personality_t *p = parse(bad[_i].json, APR_EINVAL, &why);

    ck_assert_ptr_nonnull(why);
    ck_assert_msg(strncmp(why, bad[_i].member, strlen(bad[_i].member)) == 0, "%s: why '%s'",
                  bad[_i].json, why);
    ck_assert_int_eq(p->tone, CTN_TONE_FRIENDLY);
    ck_assert_int_eq(p->disclose_ai, 1);
    ck_assert_int_eq(p->price_policy, CTN_PRICE_RANGES);
    ck_assert_str_eq(p->assistant_name, "Cortana");
    ck_assert(ctn_personality_speaks(p, CTN_LANG_EN) && ctn_personality_speaks(p, CTN_LANG_ES));
    ck_assert_ptr_nonnull(strstr(ctn_personality_greeting(p, unit_pool, CTN_LANG_EN), "AI"));
}
END_TEST

static const struct {
    const char *json;
    ctn_price_policy_e policy;
} policies[] = {
    {"{\"price_policy\": \"exact\"}", CTN_PRICE_EXACT},
    {"{\"price_policy\": \"never\"}", CTN_PRICE_NEVER},
    {"{\"price_policy\": \"ranges\"}", CTN_PRICE_RANGES},
    {"{\"rules\": [\"Never quote prices over the phone\"]}", CTN_PRICE_NEVER},
    {"{\"rules\": [\"Never quote exact prices\"]}", CTN_PRICE_RANGES},
    {"{\"rules\": [\"Don't give out pricing\"]}", CTN_PRICE_NEVER},
    {"{\"rules\": [\"Nunca dar precios por teléfono\"]}", CTN_PRICE_NEVER},
    {"{\"rules\": [\"Never promise a technician arrival time\"]}", CTN_PRICE_RANGES},
    /* An explicit policy wins over the rules. */
    {"{\"price_policy\": \"exact\", \"rules\": [\"Never quote prices\"]}", CTN_PRICE_EXACT},
};

START_TEST(price_policy_from_the_setting_or_the_rules)
{
    ctn_personality_t *p = parse(policies[_i].json, APR_SUCCESS, NULL);

    ck_assert_msg(p->price_policy == policies[_i].policy, "%s: %s", policies[_i].json,
                  ctn_personality_price_policy_name(p->price_policy));
}
END_TEST

START_TEST(languages_voices_and_sign_off)
{
    ctn_personality_t *p =
        parse("{\"languages\": [\"es\"], \"voice\": {\"es\": \"Polly.Mia-Neural\"}, "
              "\"sign_off\": {\"es\": \"Hasta pronto, le saluda {assistant}.\"}, "
              "\"assistant_name\": \"Sofía\"}",
              APR_SUCCESS, NULL);

    ck_assert(!ctn_personality_speaks(p, CTN_LANG_EN));
    ck_assert(ctn_personality_speaks(p, CTN_LANG_ES));
    ck_assert_int_eq(p->default_lang, CTN_LANG_ES);
    ck_assert_str_eq(ctn_personality_voice(p, CTN_LANG_ES), "Polly.Mia-Neural");
    ck_assert_str_eq(ctn_personality_voice(p, CTN_LANG_EN), "Polly.Joanna-Neural");
    ck_assert_str_eq(ctn_personality_sign_off(p, unit_pool, CTN_LANG_ES),
                     "Hasta pronto, le saluda Sofía.");
    p = parse("{\"languages\": [\"es\", \"en\"]}", APR_SUCCESS, NULL);
    ck_assert_int_eq(p->default_lang, CTN_LANG_ES);
    ck_assert(ctn_personality_speaks(p, CTN_LANG_EN));
}
END_TEST

START_TEST(instructions_carry_rules_policy_and_facts)
{
    ctn_personality_t *p =
        parse("{\"tone\": \"calm\", \"rules\": [\"Never promise a technician arrival time\"]}",
              APR_SUCCESS, NULL);
    json_object *services = json_tokener_parse(
        "[{\"name\": \"Drain cleaning\", \"price_min\": 129, \"price_max\": 249}]");
    json_object *area = json_tokener_parse("{\"cities\": [\"Chicago\", \"Evanston\"]}");
    ctn_personality_facts_t facts = {"Monday to Friday, 8 AM to 5 PM", services, NULL, area};
    const char *text = ctn_personality_instructions(p, unit_pool, &facts);

    ck_assert_ptr_nonnull(strstr(text, "You are Cortana, the AI phone receptionist of Acme"));
    ck_assert_ptr_nonnull(strstr(text, "calm"));
    ck_assert_ptr_nonnull(strstr(text, "- Never promise a technician arrival time"));
    ck_assert_ptr_nonnull(strstr(text, "Business hours: Monday to Friday, 8 AM to 5 PM."));
    ck_assert_ptr_nonnull(strstr(text, "Drain cleaning ($129 to $249)"));
    ck_assert_ptr_nonnull(strstr(text, "Cities served: Chicago, Evanston."));
    ck_assert_ptr_nonnull(strstr(text, "AI assistant"));

    p = parse("{\"price_policy\": \"never\", \"disclose_ai\": false}", APR_SUCCESS, NULL);
    text = ctn_personality_instructions(p, unit_pool, &facts);
    ck_assert_ptr_null(strstr(text, "$"));
    ck_assert_ptr_nonnull(strstr(text, "Never quote prices"));
    ck_assert_ptr_nonnull(strstr(text, "Services: Drain cleaning."));
    ck_assert_ptr_nonnull(ctn_personality_instructions(p, unit_pool, NULL));
    json_object_put(services);
    json_object_put(area);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("personality");
    TCase *tc = tcase_create("personality");

    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, defaults_for_an_empty_personality);
    tcase_add_loop_test(tc, greeting_templates_and_disclosure, 0,
                        (int)(sizeof(greetings) / sizeof(greetings[0])));
    tcase_add_loop_test(tc, tone_changes_the_small_words, 0,
                        (int)(sizeof(tones) / sizeof(tones[0])));
    tcase_add_test(tc, render_without_tokens_returns_the_text);
    tcase_add_loop_test(tc, bad_members_fall_back_to_defaults_with_a_reason, 0,
                        (int)(sizeof(bad) / sizeof(bad[0])));
    tcase_add_loop_test(tc, price_policy_from_the_setting_or_the_rules, 0,
                        (int)(sizeof(policies) / sizeof(policies[0])));
    tcase_add_test(tc, languages_voices_and_sign_off);
    tcase_add_test(tc, instructions_carry_rules_policy_and_facts);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
