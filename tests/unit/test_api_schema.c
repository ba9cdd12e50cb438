/* test_api_schema.c: request validation against declared schemas (lib/api_schema.c). */
#include "unit.h"

#include "api_schema.h"
#include "json.h"

#include <string.h>

CTN_UNIT_POOL_FIXTURE

static const ctn_api_schema_t hhmm = {.type = CTN_SCHEMA_STRING, .format = CTN_FORMAT_HHMM};
static const ctn_api_field_t interval_fields[] = {
    {"open", &hhmm, CTN_FIELD_REQUIRED}, {"close", &hhmm, CTN_FIELD_REQUIRED}, {NULL, NULL, 0}};
static const ctn_api_schema_t interval = {.type = CTN_SCHEMA_OBJECT, .fields = interval_fields};
static const ctn_api_schema_t day = {.type = CTN_SCHEMA_ARRAY, .max = 2, .items = &interval};
static const ctn_api_schema_t count = {.type = CTN_SCHEMA_INTEGER, .min = 1, .max = 10};
static const char *const tones[] = {"calm", "friendly", NULL};
static const ctn_api_field_t fields[] = {
    {"id", &ctn_schema_uuid, CTN_FIELD_READONLY},
    {"name", &ctn_schema_name, CTN_FIELD_REQUIRED},
    {"phone", &ctn_schema_e164, CTN_FIELD_NULLABLE},
    {"email", &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING, .format = CTN_FORMAT_EMAIL}, 0},
    {"when", &ctn_schema_date_time, 0},
    {"day", &ctn_schema_date, 0},
    {"monday", &day, 0},
    {"count", &count, 0},
    {"fee", &(ctn_api_schema_t){.type = CTN_SCHEMA_NUMBER, .min = 0, .max = 1000}, 0},
    {"tone", &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING, .enum_values = tones}, 0},
    {"active", &ctn_schema_bool, 0},
    {"names", &(ctn_api_schema_t){.type = CTN_SCHEMA_MAP, .items = &ctn_schema_name}, 0},
    {"word", &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING, .min = 2, .max = 3}, 0},
    {NULL, NULL, 0}};
static const ctn_api_schema_t thing = {.type = CTN_SCHEMA_OBJECT, .fields = fields};

static const struct case_t {
    const char *what, *json;
    int creating;
    const char *field; /* NULL: valid */
} cases[] = {
    {"a minimal valid creation", "{\"name\":\"Dave\"}", 1, NULL},
    {"an update may leave required members out", "{\"count\":3}", 0, NULL},
    {"a creation may not", "{\"count\":3}", 1, "name"},
    {"unknown members are refused", "{\"name\":\"x\",\"nmae\":1}", 1, "nmae"},
    {"read-only members are refused", "{\"id\":\"0e959e4c-19b9-4208-9a01-32a0317fd516\"}", 0, "id"},
    {"no coercion from strings", "{\"count\":\"3\"}", 0, "count"},
    {"integers in range", "{\"count\":11}", 0, "count"},
    {"integers are not doubles", "{\"count\":2.5}", 0, "count"},
    {"numbers take integers", "{\"fee\":89}", 0, NULL},
    {"numbers not below the minimum", "{\"fee\":-0.5}", 0, "fee"},
    {"numbers up to the maximum", "{\"fee\":1000}", 0, NULL},
    {"numbers not above the maximum", "{\"fee\":1000.5}", 0, "fee"},
    {"integer numbers not above the maximum", "{\"fee\":1001}", 0, "fee"},
    {"empty names are refused", "{\"name\":\"\"}", 0, "name"},
    {"null only where nullable", "{\"phone\":null}", 0, NULL},
    {"null elsewhere is refused", "{\"name\":null}", 0, "name"},
    {"E.164 numbers", "{\"phone\":\"+13125550100\"}", 0, NULL},
    {"numbers without + are not E.164", "{\"phone\":\"3125550100\"}", 0, "phone"},
    {"E.164 has no leading zero", "{\"phone\":\"+0312555\"}", 0, "phone"},
    {"e-mail needs one @", "{\"email\":\"a@b@c\"}", 0, "email"},
    {"RFC 3339 with an offset", "{\"when\":\"2026-11-24T09:30:00-06:00\"}", 0, NULL},
    {"RFC 3339 with fractions and Z", "{\"when\":\"2026-11-24T15:30:00.123Z\"}", 0, NULL},
    {"a time without a zone is not RFC 3339", "{\"when\":\"2026-11-24T09:30:00\"}", 0, "when"},
    {"month 13 is no date", "{\"day\":\"2026-13-01\"}", 0, "day"},
    {"30 February is no date", "{\"day\":\"2026-02-30\"}", 0, "day"},
    {"31 April is no date", "{\"day\":\"2026-04-31\"}", 0, "day"},
    {"29 February only in a leap year", "{\"day\":\"2027-02-29\"}", 0, "day"},
    {"29 February of a leap year", "{\"day\":\"2028-02-29\"}", 0, NULL},
    {"2100 is no leap year", "{\"day\":\"2100-02-29\"}", 0, "day"},
    {"2000 is a leap year", "{\"day\":\"2000-02-29\"}", 0, NULL},
    {"date-times have real days too", "{\"when\":\"2026-02-30T10:00:00Z\"}", 0, "when"},
    {"hh:mm up to 24:00", "{\"monday\":[{\"open\":\"08:00\",\"close\":\"24:00\"}]}", 0, NULL},
    {"24:30 is no time", "{\"monday\":[{\"open\":\"08:00\",\"close\":\"24:30\"}]}", 0,
     "monday[0].close"},
    {"nested required members even in an update", "{\"monday\":[{\"open\":\"08:00\"}]}", 0,
     "monday[0].close"},
    {"arrays have a maximum",
     "{\"monday\":[{\"open\":\"08:00\",\"close\":\"09:00\"},"
     "{\"open\":\"10:00\",\"close\":\"11:00\"},"
     "{\"open\":\"12:00\",\"close\":\"13:00\"}]}",
     0, "monday"},
    {"enums", "{\"tone\":\"sarcastic\"}", 0, "tone"},
    {"booleans are not strings", "{\"active\":\"true\"}", 0, "active"},
    {"lengths count characters, not bytes", "{\"word\":\"\\u00f1\\u00e1\\u00e9\"}", 0, NULL},
    {"a character over the maximum", "{\"word\":\"\\u00f1\\u00e1\\u00e9\\u00ed\"}", 0, "word"},
    {"a character under the minimum", "{\"word\":\"\\u00f1\"}", 0, "word"},
    {"a four-byte character is one", "{\"word\":\"\\ud83d\\udd27\\u00f1\"}", 0, NULL},
    {"map values are checked", "{\"names\":{\"en\":\"Ok\",\"es\":\"\"}}", 0, "names.es"},
};

START_TEST(validates_and_names_the_field)
{
    const struct case_t *c = &cases[_i];
    const char *why = NULL, *field = NULL, *perr = NULL;
    json_object *v = ctn_json_parse(unit_pool, c->json, strlen(c->json), &perr);
    int ok;

    ck_assert_msg(v != NULL, "%s: bad test JSON: %s", c->what, perr);
    ok = ctn_api_schema_validate(&thing, v, c->creating, unit_pool, &field, &why);
    if (c->field == NULL) {
        ck_assert_msg(ok, "%s: refused (%s: %s)", c->what, field ? field : "-", why);
    } else {
        ck_assert_msg(!ok, "%s: accepted", c->what);
        ck_assert_msg(field && strcmp(field, c->field) == 0, "%s: field %s, wanted %s", c->what,
                      field ? field : "(null)", c->field);
        ck_assert_msg(why && *why, "%s: no message", c->what);
    }
}
END_TEST

START_TEST(renders_json_schema_with_references_once)
{
    static const ctn_api_schema_t named = {
        .name = "Interval", .type = CTN_SCHEMA_OBJECT, .fields = interval_fields};
    static const ctn_api_field_t two_fields[] = {
        {"a", &named, 0}, {"b", &named, CTN_FIELD_READONLY}, {NULL, NULL, 0}};
    static const ctn_api_schema_t two = {.type = CTN_SCHEMA_OBJECT, .fields = two_fields};
    json_object *components = ctn_json_pool_own(unit_pool, json_object_new_object());
    json_object *out = ctn_json_pool_own(unit_pool, ctn_api_schema_render(&two, components, 0));
    const char *text = ctn_json_serialize(unit_pool, out);

    ck_assert_int_eq(json_object_object_length(components), 1);
    ck_assert_ptr_nonnull(strstr(text, "\"additionalProperties\":false"));
    ck_assert_ptr_nonnull(strstr(text, "\"readOnly\":true"));
    ck_assert_ptr_nonnull(
        strstr(ctn_json_serialize(unit_pool, components), "\"required\":[\"open\",\"close\"]"));
}
END_TEST

START_TEST(an_update_body_requires_nothing_at_the_top)
{
    static const ctn_api_schema_t named = {
        .name = "Interval", .type = CTN_SCHEMA_OBJECT, .fields = interval_fields};
    json_object *components = ctn_json_pool_own(unit_pool, json_object_new_object());
    json_object *ref =
        ctn_json_pool_own(unit_pool, ctn_api_schema_render_update(&named, components));
    json_object *update = NULL, *created = NULL;

    ck_assert_str_eq(ctn_json_serialize(unit_pool, ref),
                     "{\"$ref\":\"#/components/schemas/IntervalUpdate\"}");
    ck_assert(json_object_object_get_ex(components, "IntervalUpdate", &update));
    ck_assert(!json_object_object_get_ex(update, "required", NULL));
    ck_assert(json_object_object_get_ex(update, "properties", NULL));
    /* the creation's schema keeps its required members */
    json_object_put(ctn_api_schema_render(&named, components, 0));
    ck_assert(json_object_object_get_ex(components, "Interval", &created));
    ck_assert(json_object_object_get_ex(created, "required", NULL));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("api_schema");
    TCase *tc = tcase_create("validate");

    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_loop_test(tc, validates_and_names_the_field, 0, sizeof(cases) / sizeof(cases[0]));
    tcase_add_test(tc, renders_json_schema_with_references_once);
    tcase_add_test(tc, an_update_body_requires_nothing_at_the_top);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
