/* test_dialog.c: scripted conversations with the built-in engine
 * (lib/dialog.c) and fake tools that record what they were asked. The state
 * is serialised to JSON and read back between turns, as the webhooks do. */
#include "unit.h"

#include "dialog.h"

#include <apr_strings.h>
#include <stdio.h>
#include <string.h>

/* GCC 12 misreads a ternary inlined through Check's assertion macros as a NULL
 * argument to %s; every argument here is a non-NULL string. */
#pragma GCC diagnostic ignored "-Wformat-overflow"

CTN_UNIT_POOL_FIXTURE

typedef struct fake_t {
    int dispatches, bookings, messages, kb_calls, find_calls;
    int taken_first; /* book() answers APR_EEXIST once */
    const char *kb_answer;
    const char *category;
    const char *booked_name;
    apr_time_t booked_start;
} fake_t;

static apr_status_t fake_find(void *b, apr_pool_t *pool, const ctn_time_pref_t *pref,
                              apr_time_t not_before, apr_array_header_t **slots)
{
    fake_t *f = b;
    apr_time_t base = apr_time_from_sec(1800000000);

    f->find_calls++;
    *slots = apr_array_make(pool, 3, sizeof(ctn_slot_t));
    for (int i = 0; i < 3; i++) {
        ctn_slot_t s = {base + apr_time_from_sec(3600 * i),
                        base + apr_time_from_sec(3600 * (i + 1))};
        if (s.start >= not_before) {
            APR_ARRAY_PUSH(*slots, ctn_slot_t) = s;
        }
    }
    return APR_SUCCESS;
}

static apr_status_t fake_book(void *b, apr_pool_t *pool, const ctn_slots_t *slots,
                              const ctn_slot_t *slot, const char **id)
{
    fake_t *f = b;

    if (f->taken_first) {
        f->taken_first = 0;
        return APR_EEXIST;
    }
    f->bookings++;
    f->booked_name = slots->name;
    f->booked_start = slot->start;
    *id = "11111111-1111-1111-1111-111111111111";
    return APR_SUCCESS;
}

static apr_status_t fake_dispatch(void *b, apr_pool_t *pool, const ctn_slots_t *slots,
                                  const char *category)
{
    fake_t *f = b;
    f->dispatches++;
    f->category = category;
    return APR_SUCCESS;
}

static apr_status_t fake_kb(void *b, apr_pool_t *pool, const char *q, ctn_lang_e lang,
                            const char **answer)
{
    fake_t *f = b;
    f->kb_calls++;
    *answer = f->kb_answer;
    return APR_SUCCESS;
}

static apr_status_t fake_message(void *b, apr_pool_t *pool, const ctn_slots_t *slots)
{
    ((fake_t *)b)->messages++;
    return APR_SUCCESS;
}

static const char *fake_say_slot(void *b, apr_pool_t *pool, apr_time_t start, ctn_lang_e lang)
{
    return apr_psprintf(pool, "slot %d", (int)((apr_time_sec(start) - 1800000000) / 3600));
}

static const char *fake_hours(void *b, apr_pool_t *pool, ctn_lang_e lang)
{
    return lang == CTN_LANG_ES ? "lunes a viernes de 8 a 5" : "Monday to Friday, 8 AM to 5 PM";
}

typedef struct convo_t {
    fake_t fake;
    ctn_dialog_tools_t tools;
    ctn_dialog_context_t ctx;
    json_object *state; /* between turns, as in call_logs.dialog_state */
    ctn_dialog_reply_t reply;
    ctn_dialog_state_t st;
} convo_t;

static void start(convo_t *c, const char *owner_phone)
{
    memset(c, 0, sizeof(*c));
    c->tools = (ctn_dialog_tools_t){&c->fake, fake_find,    fake_book,     fake_dispatch,
                                    fake_kb,  fake_message, fake_say_slot, fake_hours};
    c->ctx.business_name = "Acme Plumbing";
    c->ctx.caller_number = "+13125550142";
    c->ctx.owner_phone = owner_phone;
    c->ctx.tools = &c->tools;
    c->ctx.services = json_tokener_parse(
        "[{\"name\":\"Drain "
        "cleaning\",\"duration_minutes\":60,\"price_min\":129,\"price_max\":249}]");
    c->ctx.pricing = json_tokener_parse("{\"service_call_fee\": 89}");
    c->ctx.service_area = json_tokener_parse("{\"zips\":[\"60614\"],\"cities\":[\"Evanston\"]}");
    ctn_dialog_state_init(&c->st, CTN_LANG_EN);
    ck_assert_int_eq(ctn_dialog_start(&c->reply, unit_pool, &c->st, &c->ctx), APR_SUCCESS);
    c->state = ctn_dialog_state_to_json(&c->st);
}

static void finish(convo_t *c)
{
    json_object_put(c->state);
    json_object_put(c->ctx.services);
    json_object_put(c->ctx.pricing);
    json_object_put(c->ctx.service_area);
}

/* One turn; returns all the lines Cortana said, joined. */
static const char *turn(convo_t *c, const char *words)
{
    ck_assert_int_eq(ctn_dialog_state_from_json(&c->st, unit_pool, c->state), APR_SUCCESS);
    ck_assert_int_eq(ctn_dialog_turn(&c->reply, unit_pool, &c->st, &c->ctx, words), APR_SUCCESS);
    json_object_put(c->state);
    c->state = ctn_dialog_state_to_json(&c->st);
    return apr_array_pstrcat(unit_pool, c->reply.lines, ' ');
}

static const char *shown(const char *words)
{
    return words ? words : "(silence)";
}

#define SAYS(c, words, expected)                                                                   \
    do {                                                                                           \
        const char *said_ = turn(c, words);                                                        \
        ck_assert_msg(strstr(said_, expected) != NULL, "after '%s' expected '%s', got '%s'",       \
                      shown(words), expected, said_);                                              \
    } while (0)

START_TEST(greeting_discloses_ai)
{
    convo_t c;
    start(&c, NULL);
    ck_assert_ptr_nonnull(strstr(APR_ARRAY_IDX(c.reply.lines, 0, const char *), "AI assistant"));
    ck_assert_int_eq(c.reply.action, CTN_DIALOG_GATHER);
    finish(&c);
}
END_TEST

START_TEST(spanish_flooded_basement_dispatches_once)
{
    convo_t c;
    start(&c, NULL);
    SAYS(&c, "Hola, se está inundando mi sótano", "técnico de guardia");
    ck_assert_int_eq(c.reply.lang, CTN_LANG_ES);
    ck_assert_int_eq(c.fake.dispatches, 1);
    ck_assert_str_eq(c.fake.category, "flooding");
    SAYS(&c, "Vivo en 2200 calle Milwaukee", "nombre");
    SAYS(&c, "Me llamo José Ramírez", "slot 0");
    SAYS(&c, "todavía hay mucha agua, se está inundando", "");
    ck_assert_int_eq(c.fake.dispatches, 1);
    ck_assert_str_eq(ctn_dialog_disposition(&c.st), "emergency_dispatched");
    finish(&c);
}
END_TEST

START_TEST(booking_soonest_slot_then_next_after_decline)
{
    convo_t c;
    start(&c, NULL);
    SAYS(&c, "my kitchen drain is clogged, can you send someone", "name");
    SAYS(&c, "Maria Lopez", "address");
    SAYS(&c, "1420 Oak Street", "When would you like");
    SAYS(&c, "as soon as possible", "slot 0");
    SAYS(&c, "no, that doesn't work", "slot 1");
    SAYS(&c, "yes", "You're booked, Maria Lopez");
    ck_assert_int_eq(c.fake.bookings, 1);
    ck_assert_str_eq(c.fake.booked_name, "Maria Lopez");
    ck_assert_str_eq(ctn_dialog_disposition(&c.st), "booked");
    SAYS(&c, "no thanks", "Have a great day");
    ck_assert_int_eq(c.reply.action, CTN_DIALOG_HANGUP);
    finish(&c);
}
END_TEST

START_TEST(slot_taken_by_another_call_offers_the_next)
{
    convo_t c;
    start(&c, NULL);
    c.fake.taken_first = 1;
    SAYS(&c, "I need to book a repair, my name is Ann Lee, 12 Elm Street, leaky faucet, asap",
         "slot 0");
    SAYS(&c, "yes", "just taken");
    ck_assert_ptr_nonnull(strstr(apr_array_pstrcat(unit_pool, c.reply.lines, ' '), "slot 1"));
    SAYS(&c, "yes", "booked");
    ck_assert_int_eq(c.fake.bookings, 1);
    finish(&c);
}
END_TEST

START_TEST(negated_emergency_is_not_dispatched)
{
    convo_t c;
    start(&c, NULL);
    turn(&c, "no, nothing is leaking, I just want a quote");
    ck_assert_int_eq(c.fake.dispatches, 0);
    finish(&c);
}
END_TEST

START_TEST(price_hours_area_and_knowledge_questions)
{
    convo_t c;
    start(&c, NULL);
    SAYS(&c, "how much is drain cleaning", "between $129 and $249");
    SAYS(&c, "no", "Have a great day");
    finish(&c);
    start(&c, NULL);
    SAYS(&c, "what are your hours", "Monday to Friday");
    SAYS(&c, "do you service Evanston", "Yes, we serve");
    c.fake.kb_answer = "We offer financing on water heaters.";
    SAYS(&c, "do you offer financing", "We offer financing");
    ck_assert_str_eq(ctn_dialog_disposition(&c.st), "question_answered");
    finish(&c);
    start(&c, NULL);
    SAYS(&c, "do you sell gift cards", "I don't have that information");
    finish(&c);
}
END_TEST

START_TEST(never_quote_prices_policy_is_respected)
{
    convo_t c;
    start(&c, NULL);
    c.ctx.personality = json_tokener_parse("{\"price_policy\": \"never\"}");
    {
        const char *said = turn(&c, "how much is drain cleaning");
        ck_assert_ptr_null(strstr(said, "$"));
        ck_assert_ptr_nonnull(strstr(said, "exact quote"));
    }
    json_object_put(c.ctx.personality);
    finish(&c);
}
END_TEST

START_TEST(message_human_spam_and_silence)
{
    convo_t c;
    start(&c, NULL);
    SAYS(&c, "I'd like to leave a message", "name");
    SAYS(&c, "Bob Stone", "message");
    SAYS(&c, "please call me about the invoice", "passed your message");
    ck_assert_int_eq(c.fake.messages, 1);
    finish(&c);
    start(&c, "+13125550100");
    turn(&c, "can I talk to a real person");
    ck_assert_int_eq(c.reply.action, CTN_DIALOG_TRANSFER);
    ck_assert_str_eq(c.reply.transfer_to, "+13125550100");
    ck_assert_str_eq(ctn_dialog_disposition(&c.st), "transferred");
    finish(&c);
    start(&c, NULL);
    SAYS(&c, "can I talk to a real person", "take a message");
    finish(&c);
    start(&c, NULL);
    turn(&c, "we're calling about your Google business listing");
    ck_assert_int_eq(c.reply.action, CTN_DIALOG_HANGUP);
    ck_assert_str_eq(ctn_dialog_disposition(&c.st), "spam");
    finish(&c);
    start(&c, NULL);
    ck_assert_ptr_nonnull(strstr(turn(&c, NULL), "still there"));
    SAYS(&c, "", "still there");
    turn(&c, NULL);
    ck_assert_int_eq(c.reply.action, CTN_DIALOG_RECORD);
    finish(&c);
}
END_TEST

START_TEST(sentiment_from_the_callers_words)
{
    ck_assert_str_eq(ctn_dialog_sentiment(unit_pool, "great, thank you so much"), "positive");
    ck_assert_str_eq(ctn_dialog_sentiment(unit_pool, "this is ridiculous, I'm very upset"),
                     "negative");
    ck_assert_str_eq(ctn_dialog_sentiment(unit_pool, "I am not happy"), "negative");
    ck_assert_str_eq(ctn_dialog_sentiment(unit_pool, "muchas gracias, muy amable"), "positive");
    ck_assert_str_eq(ctn_dialog_sentiment(unit_pool, "my drain is clogged"), "neutral");
    ck_assert_str_eq(ctn_dialog_sentiment(unit_pool, NULL), "neutral");
}
END_TEST

START_TEST(state_json_rejects_garbage)
{
    ctn_dialog_state_t st;
    json_object *bad = json_tokener_parse("{\"stage\": 99}");

    ck_assert_int_eq(ctn_dialog_state_from_json(&st, unit_pool, bad), APR_EINVAL);
    ck_assert_int_eq(ctn_dialog_state_from_json(&st, unit_pool, NULL), APR_EINVAL);
    json_object_put(bad);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dialog");
    TCase *tc = tcase_create("dialog");

    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, greeting_discloses_ai);
    tcase_add_test(tc, spanish_flooded_basement_dispatches_once);
    tcase_add_test(tc, booking_soonest_slot_then_next_after_decline);
    tcase_add_test(tc, slot_taken_by_another_call_offers_the_next);
    tcase_add_test(tc, negated_emergency_is_not_dispatched);
    tcase_add_test(tc, price_hours_area_and_knowledge_questions);
    tcase_add_test(tc, never_quote_prices_policy_is_respected);
    tcase_add_test(tc, message_human_spam_and_silence);
    tcase_add_test(tc, sentiment_from_the_callers_words);
    tcase_add_test(tc, state_json_rejects_garbage);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
