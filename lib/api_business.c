/* api_business.c: the business's settings and Cortana's personality.
 *
 *   GET   /business              settings: name, address, time zone, hours,
 *   PATCH /business              holidays, service area, services, pricing…
 *   GET   /personality           tone, greetings, rules, voices, languages
 *   PATCH /personality           (members replace; absent members stay)
 *   POST  /personality/preview   the greeting and a sample turn, rendered
 *
 * The shapes here are the ones lib/ reads during calls (hours by weekday
 * with several intervals, services with durations and price ranges, the
 * settings the dialog and dispatcher use), so what the owner saves is what
 * the next call uses. */
#include "api.h"

#include "api_schema.h"
#include "business.h"
#include "dialog.h"
#include "json.h"
#include "language.h"
#include "personality.h"
#include "tools.h"

#include <apr_strings.h>
#include <string.h>

/* ------------------------------------------------------------ schemas --- */

static const ctn_api_schema_t hhmm = {.type = CTN_SCHEMA_STRING, .format = CTN_FORMAT_HHMM};
static const ctn_api_field_t interval_fields[] = {
    {"open", &hhmm, CTN_FIELD_REQUIRED}, {"close", &hhmm, CTN_FIELD_REQUIRED}, {NULL, NULL, 0}};
static const ctn_api_schema_t interval = {
    .name = "Interval", .type = CTN_SCHEMA_OBJECT, .fields = interval_fields};
static const ctn_api_schema_t day = {.type = CTN_SCHEMA_ARRAY, .max = 4, .items = &interval};
static const ctn_api_field_t hours_fields[] = {
    {"monday", &day, 0}, {"tuesday", &day, 0},  {"wednesday", &day, 0}, {"thursday", &day, 0},
    {"friday", &day, 0}, {"saturday", &day, 0}, {"sunday", &day, 0},    {NULL, NULL, 0}};
static const ctn_api_schema_t hours = {
    .name = "Hours",
    .type = CTN_SCHEMA_OBJECT,
    .fields = hours_fields,
    .description = "Opening intervals per weekday, local time; an empty day is closed"};

static const ctn_api_field_t holiday_fields[] = {
    {"date", &ctn_schema_date, CTN_FIELD_REQUIRED}, {"name", &ctn_schema_name, 0}, {NULL, NULL, 0}};
static const ctn_api_schema_t holiday = {
    .name = "Holiday", .type = CTN_SCHEMA_OBJECT, .fields = holiday_fields};
static const ctn_api_schema_t holidays = {.type = CTN_SCHEMA_ARRAY, .max = 100, .items = &holiday};

static const ctn_api_schema_t postal = {.type = CTN_SCHEMA_STRING, .format = CTN_FORMAT_POSTAL};
static const ctn_api_schema_t money = {.type = CTN_SCHEMA_NUMBER, .min = 0};
static const ctn_api_field_t area_fields[] = {
    {"zips", &(ctn_api_schema_t){.type = CTN_SCHEMA_ARRAY, .max = 1000, .items = &postal}, 0},
    {"cities", &(ctn_api_schema_t){.type = CTN_SCHEMA_ARRAY, .max = 200, .items = &ctn_schema_name},
     0},
    {"radius_miles", &(ctn_api_schema_t){.type = CTN_SCHEMA_INTEGER, .min = 0, .max = 500}, 0},
    {NULL, NULL, 0}};
static const ctn_api_schema_t service_area = {
    .name = "ServiceArea",
    .type = CTN_SCHEMA_OBJECT,
    .fields = area_fields,
    .description = "ZIP/postal codes and/or cities, and a radius around the business address"};

static const ctn_api_field_t service_fields[] = {
    {"name", &ctn_schema_name, CTN_FIELD_REQUIRED},
    {"duration_minutes", &(ctn_api_schema_t){.type = CTN_SCHEMA_INTEGER, .min = 15, .max = 1440},
     0},
    {"price_min", &money, 0},
    {"price_max", &money, 0},
    {NULL, NULL, 0}};
static const ctn_api_schema_t service = {
    .name = "Service", .type = CTN_SCHEMA_OBJECT, .fields = service_fields};
static const ctn_api_schema_t services = {.type = CTN_SCHEMA_ARRAY, .max = 100, .items = &service};

static const ctn_api_field_t per_lang_fields[] = {{"en", &ctn_schema_text, CTN_FIELD_NULLABLE},
                                                  {"es", &ctn_schema_text, CTN_FIELD_NULLABLE},
                                                  {NULL, NULL, 0}};
static const ctn_api_schema_t per_lang = {
    .name = "PerLanguage", .type = CTN_SCHEMA_OBJECT, .fields = per_lang_fields};
static const ctn_api_field_t pricing_fields[] = {
    {"service_call_fee", &money, CTN_FIELD_NULLABLE}, {"notes", &per_lang, 0}, {NULL, NULL, 0}};
static const ctn_api_schema_t pricing = {
    .name = "Pricing", .type = CTN_SCHEMA_OBJECT, .fields = pricing_fields};

static const char *const categories[] = {"gas_leak",      "flooding",
                                         "no_heat",       "electrical_hazard",
                                         "sewage_backup", "carbon_monoxide",
                                         "no_water",      "lockout_danger",
                                         "custom",        NULL};
static const ctn_api_field_t rule_fields[] = {
    {"phrase", &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING, .min = 2, .max = 200},
     CTN_FIELD_REQUIRED},
    {"category", &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING, .enum_values = categories}, 0},
    {"language", &ctn_schema_lang, CTN_FIELD_NULLABLE},
    {NULL, NULL, 0}};
static const ctn_api_schema_t emergency_rule = {
    .name = "EmergencyRule",
    .type = CTN_SCHEMA_OBJECT,
    .fields = rule_fields,
    .description = "A phrase that always means an emergency for this business"};
static const ctn_api_field_t settings_fields[] = {
    {"ack_window_seconds", &(ctn_api_schema_t){.type = CTN_SCHEMA_INTEGER, .min = 30, .max = 3600},
     0},
    {"overflow_limit", &(ctn_api_schema_t){.type = CTN_SCHEMA_INTEGER, .min = 1, .max = 100}, 0},
    {"missed_call_text_back", &ctn_schema_bool, 0},
    {"eta_sms_to_caller", &ctn_schema_bool, 0},
    {"freezing", &ctn_schema_bool, 0},
    {"lead_minutes", &(ctn_api_schema_t){.type = CTN_SCHEMA_INTEGER, .min = 0, .max = 10080}, 0},
    {"travel_buffer_minutes", &(ctn_api_schema_t){.type = CTN_SCHEMA_INTEGER, .min = 0, .max = 240},
     0},
    {"emergency_rules",
     &(ctn_api_schema_t){.type = CTN_SCHEMA_ARRAY, .max = 200, .items = &emergency_rule}, 0},
    {NULL, NULL, 0}};
static const ctn_api_schema_t settings = {
    .name = "Settings",
    .type = CTN_SCHEMA_OBJECT,
    .fields = settings_fields,
    .description = "Dispatch and booking settings; a PATCH merges members"};

static const ctn_api_field_t business_fields[] = {
    {"id", &ctn_schema_uuid, CTN_FIELD_READONLY},
    {"name", &ctn_schema_name, 0},
    {"phone_number", &ctn_schema_e164, CTN_FIELD_READONLY},
    {"timezone",
     &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING, .format = CTN_FORMAT_TIMEZONE, .max = 64}, 0},
    {"address", &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING, .max = 300}, CTN_FIELD_NULLABLE},
    {"owner_phone", &ctn_schema_e164, CTN_FIELD_NULLABLE},
    {"hours", &hours, 0},
    {"holidays", &holidays, 0},
    {"service_area", &service_area, 0},
    {"services", &services, 0},
    {"pricing", &pricing, 0},
    {"settings", &settings, 0},
    {"plan", &ctn_schema_name, CTN_FIELD_READONLY},
    {"subscription_status", &ctn_schema_name, CTN_FIELD_READONLY},
    {"created_at", &ctn_schema_date_time, CTN_FIELD_READONLY},
    {"updated_at", &ctn_schema_date_time, CTN_FIELD_READONLY},
    {NULL, NULL, 0}};
static const ctn_api_schema_t business = {
    .name = "Business", .type = CTN_SCHEMA_OBJECT, .fields = business_fields};

static const char *const tones[] = {"friendly", "professional", "calm", NULL};
static const char *const policies[] = {"ranges", "exact", "never", NULL};
static const ctn_api_field_t personality_fields[] = {
    {"assistant_name", &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING, .min = 1, .max = 40}, 0},
    {"tone", &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING, .enum_values = tones}, 0},
    {"greeting", &per_lang, 0},
    {"sign_off", &per_lang, 0},
    {"voice", &per_lang, 0},
    {"languages",
     &(ctn_api_schema_t){.type = CTN_SCHEMA_ARRAY, .min = 1, .max = 2, .items = &ctn_schema_lang},
     0},
    {"disclose_ai", &ctn_schema_bool, 0},
    {"price_policy", &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING, .enum_values = policies}, 0},
    {"rules",
     &(ctn_api_schema_t){.type = CTN_SCHEMA_ARRAY,
                         .max = 30,
                         .items =
                             &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING, .min = 1, .max = 300}},
     0},
    {NULL, NULL, 0}};
static const ctn_api_schema_t personality = {
    .name = "Personality",
    .type = CTN_SCHEMA_OBJECT,
    .fields = personality_fields,
    .description = "How Cortana speaks; {business} and {assistant} are filled in"};

static const ctn_api_field_t preview_fields[] = {
    {"personality", &personality, 0},
    {"language", &ctn_schema_lang, 0},
    {"caller_says", &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING, .min = 1, .max = 500}, 0},
    {NULL, NULL, 0}};
static const ctn_api_schema_t preview_body = {
    .name = "PreviewRequest", .type = CTN_SCHEMA_OBJECT, .fields = preview_fields};
static const ctn_api_schema_t said = {.type = CTN_SCHEMA_ARRAY, .items = &ctn_schema_text};
static const ctn_api_field_t preview_language_fields[] = {
    {"language", &ctn_schema_lang, CTN_FIELD_READONLY},
    {"greeting", &said, CTN_FIELD_READONLY},
    {"voice", &ctn_schema_text, CTN_FIELD_READONLY},
    {"caller", &ctn_schema_text, CTN_FIELD_READONLY},
    {"reply", &said, CTN_FIELD_READONLY},
    {"sign_off", &ctn_schema_text, CTN_FIELD_READONLY},
    {NULL, NULL, 0}};
static const ctn_api_schema_t preview_language = {
    .name = "PreviewLanguage",
    .type = CTN_SCHEMA_OBJECT,
    .fields = preview_language_fields,
    .description = "The greeting and a sample turn in one language"};
static const ctn_api_field_t preview_out_fields[] = {
    {"greeting", &said, CTN_FIELD_READONLY},
    {"voice", &ctn_schema_text, CTN_FIELD_READONLY},
    {"caller", &ctn_schema_text, CTN_FIELD_READONLY},
    {"reply", &said, CTN_FIELD_READONLY},
    {"sign_off", &ctn_schema_text, CTN_FIELD_READONLY},
    {"languages", &(ctn_api_schema_t){.type = CTN_SCHEMA_ARRAY, .items = &preview_language},
     CTN_FIELD_READONLY},
    {NULL, NULL, 0}};
static const ctn_api_schema_t preview = {
    .name = "Preview",
    .type = CTN_SCHEMA_OBJECT,
    .fields = preview_out_fields,
    .description = "The greeting and sample turn in `language` (default: the first language "
                   "offered), and in `languages` the same for every language offered, in order"};

/* ----------------------------------------------------------- handlers --- */

static const char *const merged_settings[] = {"settings", NULL};
static const ctn_api_table_t business_table = {
    "businesses",
    "id, name, phone_number, timezone, address, owner_phone, hours, holidays, service_area, "
    "services, pricing, settings, plan, subscription_status, created_at, updated_at",
    "id",
    &business,
    merged_settings,
    1};

static int on_business_get(ctn_api_ctx_t *c)
{
    return ctn_api_crud_update(c, &business_table, NULL); /* an empty update reads */
}

/* The one rule between members the schema cannot say: a service's price
 * range runs upwards (Cortana would quote "between $249 and $129"). */
static int on_business_patch(ctn_api_ctx_t *c)
{
    json_object *list = NULL;

    if (json_object_object_get_ex(c->body, "services", &list)) {
        for (apr_size_t i = 0; i < json_object_array_length(list); i++) {
            json_object *svc = json_object_array_get_idx(list, i), *lo = NULL, *hi = NULL;
            if (json_object_object_get_ex(svc, "price_min", &lo) &&
                json_object_object_get_ex(svc, "price_max", &hi) &&
                json_object_get_double(hi) < json_object_get_double(lo)) {
                return ctn_api_error(
                    c, 400, "invalid", "must not be below price_min",
                    apr_psprintf(c->pool, "services[%" APR_SIZE_T_FMT "].price_max", i));
            }
        }
    }
    return ctn_api_crud_update(c, &business_table, NULL);
}

static int on_personality_get(ctn_api_ctx_t *c)
{
    const char *json = NULL;
    int err = ctn_api_query_json(c, &json,
                                 "SELECT ai_personality::text FROM businesses "
                                 "WHERE id = cortana_tenant()",
                                 0, NULL);

    return err ? err : ctn_api_json(c, 200, json ? json : "{}");
}

static int on_personality_patch(ctn_api_ctx_t *c)
{
    const char *params[1] = {ctn_json_serialize(c->pool, c->body)}, *json = NULL;
    int err = ctn_api_query_json(c, &json,
                                 "UPDATE businesses SET ai_personality = ai_personality || "
                                 "$1::jsonb, updated_at = now() WHERE id = cortana_tenant() "
                                 "RETURNING ai_personality::text",
                                 1, params);

    return err ? err : ctn_api_json(c, 200, json ? json : "{}");
}

/* A preview acts on nothing: booking, dispatch and messages succeed
 * without writing (the engine's reads — hours, slots, knowledge — are real). */
static apr_status_t preview_book(void *baton, apr_pool_t *pool, const ctn_slots_t *slots,
                                 const ctn_slot_t *slot, const char **id)
{
    *id = "00000000-0000-4000-8000-000000000000";
    return APR_SUCCESS;
}

static apr_status_t preview_dispatch(void *baton, apr_pool_t *pool, const ctn_slots_t *slots,
                                     const char *category)
{
    return APR_SUCCESS;
}

static apr_status_t preview_message(void *baton, apr_pool_t *pool, const ctn_slots_t *slots)
{
    return APR_SUCCESS;
}

/* The saved personality with the request's unsaved members on top. */
static json_object *merged_personality(ctn_api_ctx_t *c, json_object *saved)
{
    json_object *p = json_object_new_object(), *override = NULL;

    if (saved && json_object_is_type(saved, json_type_object)) {
        json_object_object_foreach(saved, key, value)
        {
            json_object_object_add(p, key, json_object_get(value));
        }
    }
    if (json_object_object_get_ex(c->body, "personality", &override)) {
        json_object_object_foreach(override, key, value)
        {
            json_object_object_add(p, key, json_object_get(value));
        }
    }
    return ctn_json_pool_own(c->pool, p);
}

static json_object *lines_json(const ctn_dialog_reply_t *r)
{
    json_object *a = json_object_new_array();

    for (int i = 0; i < r->lines->nelts; i++) {
        json_object_array_add(a, json_object_new_string(APR_ARRAY_IDX(r->lines, i, const char *)));
    }
    return a;
}

/* The greeting and one turn of a fresh call in `lang`, as a JSON object. */
static json_object *preview_turn(ctn_api_ctx_t *c, ctn_dialog_context_t *ctx,
                                 const ctn_personality_t *pers, ctn_lang_e lang, const char *caller)
{
    ctn_dialog_state_t st;
    ctn_dialog_reply_t greeting, reply;
    json_object *out = json_object_new_object();

    if (caller == NULL) {
        caller = lang == CTN_LANG_ES ? "¿Cuánto cobran por destapar un drenaje?"
                                     : "How much do you charge to unclog a drain?";
    }
    ctn_dialog_state_init(&st, lang);
    ctn_dialog_start(&greeting, c->pool, &st, ctx);
    ctn_dialog_turn(&reply, c->pool, &st, ctx, caller);
    json_object_object_add(out, "language", json_object_new_string(ctn_language_code(lang)));
    json_object_object_add(out, "greeting", lines_json(&greeting));
    json_object_object_add(out, "voice",
                           json_object_new_string(greeting.voice ? greeting.voice : ""));
    json_object_object_add(out, "caller", json_object_new_string(caller));
    json_object_object_add(out, "reply", lines_json(&reply));
    json_object_object_add(out, "sign_off",
                           json_object_new_string(ctn_personality_sign_off(pers, c->pool, lang)));
    return out;
}

/* The body was validated against the same Personality schema as PATCH
 * /personality, so a member is refused here exactly when saving it would
 * be (named under "personality."). */
static int on_preview(ctn_api_ctx_t *c)
{
    const char *code = ctn_json_get_string(c->body, "language", NULL), *why = NULL;
    const char *caller = ctn_json_get_string(c->body, "caller_says", NULL);
    ctn_business_t *b = NULL;
    ctn_personality_t *pers = NULL;
    ctn_tools_t tools;
    ctn_dialog_context_t ctx;
    ctn_lang_e asked, order[2];
    json_object *out, *langs;

    if (ctn_business_load(&b, c->conn, c->pool, c->session->business_id) != APR_SUCCESS) {
        return ctn_api_error(c, 503, "unavailable", "the database is unavailable", NULL);
    }
    memset(&tools, 0, sizeof(tools));
    tools.conn = c->conn;
    tools.business = b;
    ctn_tools_init(&tools);
    tools.ops.book = preview_book;
    tools.ops.dispatch = preview_dispatch;
    tools.ops.take_message = preview_message;
    memset(&ctx, 0, sizeof(ctx));
    ctx.business_name = b->name;
    ctx.personality = merged_personality(c, b->personality);
    ctx.services = b->services;
    ctx.pricing = b->pricing;
    ctx.service_area = b->service_area;
    ctx.caller_number = "+15555550100";
    ctx.owner_phone = b->owner_phone;
    ctx.tools = &tools.ops;
    ctn_personality_parse(&pers, c->pool, ctx.personality, b->name, &why);
    asked = code ? ctn_language_from_code(code) : pers->default_lang;

    /* The members of old: the asked language, with the caller's words. */
    out = ctn_json_pool_own(c->pool, preview_turn(c, &ctx, pers, asked, caller));
    json_object_object_del(out, "language");
    langs = json_object_new_array();
    order[0] = pers->default_lang;
    order[1] = pers->default_lang == CTN_LANG_EN ? CTN_LANG_ES : CTN_LANG_EN;
    for (int i = 0; i < 2; i++) {
        if (ctn_personality_speaks(pers, order[i])) {
            json_object_array_add(
                langs, preview_turn(c, &ctx, pers, order[i], order[i] == asked ? caller : NULL));
        }
    }
    json_object_object_add(out, "languages", langs);
    return ctn_api_json(c, 200, ctn_json_serialize(c->pool, out));
}

const ctn_api_route_t ctn_api_business_routes[] = {
    {"GET", "/business", on_business_get, 0, NULL, &business, 200, "The business's settings", NULL},
    {"PATCH", "/business", on_business_patch, 0, &business, &business, 200,
     "Change settings (members given replace; settings merges)", NULL},
    {"GET", "/personality", on_personality_get, 0, NULL, &personality, 200, "Cortana's personality",
     NULL},
    {"PATCH", "/personality", on_personality_patch, 0, &personality, &personality, 200,
     "Change the personality (members given replace)", NULL},
    {"POST", "/personality/preview", on_preview, 0, &preview_body, &preview, 200,
     "Render the greeting and a sample turn in each language offered, optionally with unsaved "
     "changes (validated as PATCH /personality validates them; nothing is saved)",
     NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL}};
