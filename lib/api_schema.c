/* api_schema.c: validating request bodies and rendering JSON Schema from the
 * same static descriptions (see api_schema.h).
 *
 * The validator is strict on purpose: no coercion (a number in a string is
 * a wrong type), unknown members are refused so a typo in a field name is
 * an error instead of a silently ignored change, and every error names the
 * path of the offending member. */
#include "api_schema.h"

#include <apr_strings.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const lang_values[] = {"en", "es", NULL};

const ctn_api_schema_t ctn_schema_uuid = {.type = CTN_SCHEMA_STRING, .format = CTN_FORMAT_UUID};
const ctn_api_schema_t ctn_schema_e164 = {.type = CTN_SCHEMA_STRING,
                                          .format = CTN_FORMAT_E164,
                                          .description =
                                              "Phone number in E.164, e.g. +15551234567"};
const ctn_api_schema_t ctn_schema_date = {.type = CTN_SCHEMA_STRING, .format = CTN_FORMAT_DATE};
const ctn_api_schema_t ctn_schema_date_time = {.type = CTN_SCHEMA_STRING,
                                               .format = CTN_FORMAT_DATE_TIME};
const ctn_api_schema_t ctn_schema_bool = {.type = CTN_SCHEMA_BOOLEAN};
const ctn_api_schema_t ctn_schema_lang = {.type = CTN_SCHEMA_STRING, .enum_values = lang_values};
const ctn_api_schema_t ctn_schema_name = {.type = CTN_SCHEMA_STRING, .min = 1, .max = 200};
const ctn_api_schema_t ctn_schema_text = {.type = CTN_SCHEMA_STRING, .max = 2000};
const ctn_api_schema_t ctn_schema_count = {.type = CTN_SCHEMA_INTEGER, .min = 0, .max = 0};
const ctn_api_schema_t ctn_schema_any_object = {.type = CTN_SCHEMA_OBJECT};

static const ctn_api_field_t error_detail_fields[] = {
    {"code", &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING}, CTN_FIELD_REQUIRED},
    {"message", &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING}, CTN_FIELD_REQUIRED},
    {"field", &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING}, CTN_FIELD_NULLABLE},
    {NULL, NULL, 0}};
static const ctn_api_schema_t error_detail = {.type = CTN_SCHEMA_OBJECT,
                                              .fields = error_detail_fields};
static const ctn_api_field_t error_fields[] = {{"error", &error_detail, CTN_FIELD_REQUIRED},
                                               {NULL, NULL, 0}};
const ctn_api_schema_t ctn_schema_error = {
    .name = "Error", .type = CTN_SCHEMA_OBJECT, .fields = error_fields};

/* ------------------------------------------------------------ formats --- */

static int all_digits(const char *s, int n)
{
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

static int valid_uuid(const char *s)
{
    static const int dash[] = {8, 13, 18, 23};

    if (strlen(s) != 36) {
        return 0;
    }
    for (int i = 0, d = 0; i < 36; i++) {
        if (d < 4 && i == dash[d]) {
            if (s[i] != '-') {
                return 0;
            }
            d++;
        } else if (!isxdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

/* A day of the calendar: PostgreSQL refuses 2026-02-30 when it reads the
 * value (a holiday saved with it made every free-slot query fail). */
static int valid_date(const char *s)
{
    static const int days_in[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int year, month, day, leap;

    if (strlen(s) < 10 || !all_digits(s, 4) || s[4] != '-' || !all_digits(s + 5, 2) ||
        s[7] != '-' || !all_digits(s + 8, 2)) {
        return 0;
    }
    year = atoi(s);
    month = (s[5] - '0') * 10 + (s[6] - '0');
    day = (s[8] - '0') * 10 + (s[9] - '0');
    if (month < 1 || month > 12 || day < 1) {
        return 0;
    }
    leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return day <= days_in[month - 1] + (month == 2 && leap);
}

static int valid_hhmm(const char *s)
{
    return strlen(s) == 5 && all_digits(s, 2) && s[2] == ':' && all_digits(s + 3, 2) &&
           ((s[0] - '0') * 10 + (s[1] - '0')) <= 24 && ((s[3] - '0') * 10 + (s[4] - '0')) < 60 &&
           (s[0] != '2' || s[1] != '4' || strcmp(s + 3, "00") == 0);
}

static int two_digits(const char *s, int max)
{
    return all_digits(s, 2) && (s[0] - '0') * 10 + (s[1] - '0') <= max;
}

/* RFC 3339: date, 'T' (or a space), hh:mm[:ss[.frac]], then Z or ±hh:mm. */
static int valid_date_time(const char *s)
{
    const char *p = s + 10;

    if (!valid_date(s) || (*p != 'T' && *p != 't' && *p != ' ')) {
        return 0;
    }
    p++;
    if (!two_digits(p, 23) || p[2] != ':' || !two_digits(p + 3, 59)) {
        return 0;
    }
    p += 5;
    if (*p == ':') {
        if (!two_digits(p + 1, 60)) {
            return 0;
        }
        p += 3;
        if (*p == '.') {
            p++;
            if (!isdigit((unsigned char)*p)) {
                return 0;
            }
            while (isdigit((unsigned char)*p)) {
                p++;
            }
        }
    }
    if (*p == 'Z' || *p == 'z') {
        return p[1] == '\0';
    }
    return (*p == '+' || *p == '-') && two_digits(p + 1, 23) && p[3] == ':' &&
           two_digits(p + 4, 59) && p[6] == '\0';
}

static int valid_format(ctn_schema_format_e format, const char *s)
{
    apr_size_t n = strlen(s);

    switch (format) {
    case CTN_FORMAT_NONE:
        return 1;
    case CTN_FORMAT_E164:
        return n >= 8 && n <= 16 && s[0] == '+' && s[1] >= '1' && s[1] <= '9' &&
               all_digits(s + 1, (int)n - 1);
    case CTN_FORMAT_EMAIL: {
        const char *at = strchr(s, '@');
        return n <= 254 && at && at > s && at[1] && !strchr(at + 1, '@') && !strpbrk(s, " \t\r\n");
    }
    case CTN_FORMAT_UUID:
        return valid_uuid(s);
    case CTN_FORMAT_DATE:
        return n == 10 && valid_date(s);
    case CTN_FORMAT_DATE_TIME:
        return valid_date_time(s);
    case CTN_FORMAT_HHMM:
        return valid_hhmm(s);
    case CTN_FORMAT_TIMEZONE:
        return n >= 3 && n <= 64 &&
               strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789/_-+") == n;
    case CTN_FORMAT_POSTAL:
        return n >= 3 && n <= 10 &&
               strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -") == n;
    }
    return 0;
}

static const char *format_name(ctn_schema_format_e format)
{
    static const char *const names[] = {NULL,        "e164",  "email",    "uuid",  "date",
                                        "date-time", "hh:mm", "timezone", "postal"};
    return names[format];
}

/* ---------------------------------------------------------- validation --- */

typedef struct check_t {
    apr_pool_t *pool;
    int creating;
    const char *field, *message;
} check_t;

static int fail(check_t *k, const char *path, const char *message)
{
    k->field = path && *path ? path : NULL;
    k->message = message;
    return 0;
}

static const char *member_path(apr_pool_t *pool, const char *path, const char *name)
{
    return *path ? apr_pstrcat(pool, path, ".", name, NULL) : name;
}

static int check(check_t *k, const ctn_api_schema_t *s, json_object *v, const char *path);

/* Characters (code points) of UTF-8 text: what the document's minLength and
 * maxLength and PostgreSQL's length() count, not bytes (a Spanish text has
 * two-byte letters). */
long ctn_api_utf8_length(const char *s)
{
    long n = 0;

    for (; *s; s++) {
        n += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return n;
}

static int check_string(check_t *k, const ctn_api_schema_t *s, json_object *v, const char *path)
{
    const char *str = json_object_get_string(v);
    long n;

    if (strlen(str) != (apr_size_t)json_object_get_string_len(v)) {
        return fail(k, path, "must not contain NUL characters");
    }
    n = ctn_api_utf8_length(str);
    if (n < s->min) {
        return fail(k, path,
                    s->min == 1
                        ? "must not be empty"
                        : apr_psprintf(k->pool, "must have at least %ld characters", s->min));
    }
    if (s->max > 0 && n > s->max) {
        return fail(k, path, apr_psprintf(k->pool, "must have at most %ld characters", s->max));
    }
    if (!valid_format(s->format, str)) {
        return fail(k, path, apr_psprintf(k->pool, "is not a valid %s", format_name(s->format)));
    }
    if (s->enum_values) {
        for (const char *const *e = s->enum_values; *e; e++) {
            if (strcmp(*e, str) == 0) {
                return 1;
            }
        }
        return fail(k, path, "is not one of the allowed values");
    }
    return 1;
}

static int check_integer(check_t *k, const ctn_api_schema_t *s, json_object *v, const char *path)
{
    long n = (long)json_object_get_int64(v);

    if (n < s->min || (s->max > 0 && n > s->max)) {
        return fail(k, path,
                    s->max > 0
                        ? apr_psprintf(k->pool, "must be between %ld and %ld", s->min, s->max)
                        : apr_psprintf(k->pool, "must be at least %ld", s->min));
    }
    return 1;
}

/* The document renders min and max as minimum and maximum: both hold. */
static int check_number(check_t *k, const ctn_api_schema_t *s, json_object *v, const char *path)
{
    double n = json_object_get_double(v);

    if (n < (double)s->min || (s->max > 0 && n > (double)s->max)) {
        return fail(k, path,
                    s->max > 0
                        ? apr_psprintf(k->pool, "must be between %ld and %ld", s->min, s->max)
                        : apr_psprintf(k->pool, "must be at least %ld", s->min));
    }
    return 1;
}

static int check_object(check_t *k, const ctn_api_schema_t *s, json_object *v, const char *path)
{
    if (s->fields == NULL) {
        return 1; /* free-form */
    }
    json_object_object_foreach(v, key, member)
    {
        const ctn_api_field_t *f = s->fields;
        const char *p = member_path(k->pool, path, key);

        while (f->name && strcmp(f->name, key) != 0) {
            f++;
        }
        if (f->name == NULL) {
            return fail(k, p, "is not a known field");
        }
        if (f->flags & CTN_FIELD_READONLY) {
            return fail(k, p, "is read-only");
        }
        if (member == NULL) {
            if (!(f->flags & CTN_FIELD_NULLABLE)) {
                return fail(k, p, "must not be null");
            }
            continue;
        }
        if (!check(k, f->schema, member, p)) {
            return 0;
        }
    }
    /* A nested object is always given whole, so its required members are
     * required even in an update; only the top level of a PATCH is partial. */
    if (k->creating || *path) {
        for (const ctn_api_field_t *f = s->fields; f->name; f++) {
            if ((f->flags & CTN_FIELD_REQUIRED) && !json_object_object_get_ex(v, f->name, NULL)) {
                return fail(k, member_path(k->pool, path, f->name), "is required");
            }
        }
    }
    return 1;
}

static int check_array(check_t *k, const ctn_api_schema_t *s, json_object *v, const char *path)
{
    apr_size_t n = json_object_array_length(v);

    if ((long)n < s->min || (s->max > 0 && (long)n > s->max)) {
        return fail(k, path,
                    apr_psprintf(k->pool, "must have between %ld and %ld items", s->min,
                                 s->max > 0 ? s->max : (long)n));
    }
    for (apr_size_t i = 0; i < n; i++) {
        json_object *item = json_object_array_get_idx(v, i);
        const char *p = apr_psprintf(k->pool, "%s[%" APR_SIZE_T_FMT "]", path, i);
        if (item == NULL || !check(k, s->items, item, p)) {
            return item == NULL ? fail(k, p, "must not be null") : 0;
        }
    }
    return 1;
}

static int check_map(check_t *k, const ctn_api_schema_t *s, json_object *v, const char *path)
{
    json_object_object_foreach(v, key, member)
    {
        const char *p = member_path(k->pool, path, key);
        if (member == NULL || !check(k, s->items, member, p)) {
            return member == NULL ? fail(k, p, "must not be null") : 0;
        }
    }
    return 1;
}

static const char *type_name(ctn_schema_type_e type)
{
    static const char *const names[] = {"string", "integer", "number", "boolean",
                                        "object", "array",   "object"};
    return names[type];
}

static int check(check_t *k, const ctn_api_schema_t *s, json_object *v, const char *path)
{
    static const json_type want[] = {json_type_string,  json_type_int,    json_type_double,
                                     json_type_boolean, json_type_object, json_type_array,
                                     json_type_object};
    json_type have = json_object_get_type(v);

    if (have != want[s->type] && !(s->type == CTN_SCHEMA_NUMBER && have == json_type_int)) {
        return fail(k, path, apr_pstrcat(k->pool, "must be of type ", type_name(s->type), NULL));
    }
    switch (s->type) {
    case CTN_SCHEMA_STRING:
        return check_string(k, s, v, path);
    case CTN_SCHEMA_INTEGER:
        return check_integer(k, s, v, path);
    case CTN_SCHEMA_NUMBER:
        return check_number(k, s, v, path);
    case CTN_SCHEMA_BOOLEAN:
        return 1;
    case CTN_SCHEMA_OBJECT:
        return check_object(k, s, v, path);
    case CTN_SCHEMA_ARRAY:
        return check_array(k, s, v, path);
    case CTN_SCHEMA_MAP:
        return check_map(k, s, v, path);
    }
    return 0;
}

int ctn_api_schema_validate(const ctn_api_schema_t *schema, json_object *value, int creating,
                            apr_pool_t *pool, const char **field, const char **message)
{
    check_t k = {pool, creating, NULL, NULL};

    if (value == NULL) {
        *field = NULL;
        *message = "the body must be a JSON object, not null";
        return 0;
    }
    if (check(&k, schema, value, "")) {
        return 1;
    }
    *field = k.field;
    *message = k.message;
    return 0;
}

/* ----------------------------------------------------------- rendering --- */

static json_object *render(const ctn_api_schema_t *s, json_object *components, int top);

static void render_object(const ctn_api_schema_t *s, json_object *out, json_object *components)
{
    json_object *props = json_object_new_object(), *required = json_object_new_array();

    for (const ctn_api_field_t *f = s->fields; f->name; f++) {
        json_object *p = render(f->schema, components, 0);
        if (f->flags & CTN_FIELD_READONLY) {
            if (json_object_object_get_ex(p, "$ref", NULL)) {
                json_object *wrap = json_object_new_object(), *all = json_object_new_array();
                json_object_array_add(all, p);
                json_object_object_add(wrap, "allOf", all);
                p = wrap;
            }
            json_object_object_add(p, "readOnly", json_object_new_boolean(1));
        }
        if (f->flags & CTN_FIELD_NULLABLE) {
            json_object_object_add(p, "nullable", json_object_new_boolean(1));
        }
        json_object_object_add(props, f->name, p);
        if (f->flags & (CTN_FIELD_REQUIRED | CTN_FIELD_READONLY)) {
            json_object_array_add(required, json_object_new_string(f->name));
        }
    }
    json_object_object_add(out, "properties", props);
    json_object_object_add(out, "additionalProperties", json_object_new_boolean(0));
    if (json_object_array_length(required) > 0) {
        json_object_object_add(out, "required", required);
    } else {
        json_object_put(required);
    }
}

static void render_bounds(const ctn_api_schema_t *s, json_object *out)
{
    const char *lo = NULL, *hi = NULL;

    switch (s->type) {
    case CTN_SCHEMA_STRING:
        lo = "minLength", hi = "maxLength";
        break;
    case CTN_SCHEMA_INTEGER:
    case CTN_SCHEMA_NUMBER:
        lo = "minimum", hi = "maximum";
        break;
    case CTN_SCHEMA_ARRAY:
        lo = "minItems", hi = "maxItems";
        break;
    default:
        return;
    }
    if (s->min > 0 || s->type == CTN_SCHEMA_INTEGER || s->type == CTN_SCHEMA_NUMBER) {
        json_object_object_add(out, lo, json_object_new_int64(s->min));
    }
    if (s->max > 0) {
        json_object_object_add(out, hi, json_object_new_int64(s->max));
    }
}

static json_object *render(const ctn_api_schema_t *s, json_object *components, int top)
{
    json_object *out;

    if (s->name && !top) {
        if (!json_object_object_get_ex(components, s->name, NULL)) {
            /* Reserve the name first: schemas may refer to themselves. */
            json_object_object_add(components, s->name, NULL);
            json_object_object_add(components, s->name, render(s, components, 1));
        }
        char ref[160];
        apr_snprintf(ref, sizeof(ref), "#/components/schemas/%s", s->name);
        out = json_object_new_object();
        json_object_object_add(out, "$ref", json_object_new_string(ref));
        return out;
    }
    out = json_object_new_object();
    json_object_object_add(out, "type", json_object_new_string(type_name(s->type)));
    if (s->description) {
        json_object_object_add(out, "description", json_object_new_string(s->description));
    }
    if (s->format != CTN_FORMAT_NONE) {
        json_object_object_add(out, "format", json_object_new_string(format_name(s->format)));
    }
    render_bounds(s, out);
    if (s->enum_values) {
        json_object *e = json_object_new_array();
        for (const char *const *v = s->enum_values; *v; v++) {
            json_object_array_add(e, json_object_new_string(*v));
        }
        json_object_object_add(out, "enum", e);
    }
    if (s->type == CTN_SCHEMA_OBJECT && s->fields) {
        render_object(s, out, components);
    } else if (s->type == CTN_SCHEMA_ARRAY) {
        json_object_object_add(out, "items", render(s->items, components, 0));
    } else if (s->type == CTN_SCHEMA_MAP) {
        json_object_object_add(out, "additionalProperties", render(s->items, components, 0));
    }
    return out;
}

json_object *ctn_api_schema_render(const ctn_api_schema_t *schema, json_object *components, int top)
{
    return render(schema, components, top);
}

json_object *ctn_api_schema_render_update(const ctn_api_schema_t *schema, json_object *components)
{
    char name[128], ref[160];
    json_object *out;
    int partial = 0;

    for (const ctn_api_field_t *f = schema->fields;
         schema->type == CTN_SCHEMA_OBJECT && f && f->name && !partial; f++) {
        partial = (f->flags & CTN_FIELD_REQUIRED) != 0;
    }
    if (!partial || schema->name == NULL) {
        return render(schema, components, 0);
    }
    apr_snprintf(name, sizeof(name), "%sUpdate", schema->name);
    if (!json_object_object_get_ex(components, name, NULL)) {
        json_object *s = render(schema, components, 1);
        json_object_object_del(s, "required");
        json_object_object_add(components, name, s);
    }
    apr_snprintf(ref, sizeof(ref), "#/components/schemas/%s", name);
    out = json_object_new_object();
    json_object_object_add(out, "$ref", json_object_new_string(ref));
    return out;
}
