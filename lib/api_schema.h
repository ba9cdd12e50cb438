/* api_schema.h: the shapes of the API's JSON, declared once in C.
 *
 * Each resource's JSON is described by a static ctn_api_schema_t tree. The
 * same tree validates request bodies (wrong type, unknown field, missing
 * required field, out-of-range value → 400 naming the field, e.g.
 * "hours.monday[0].open") and renders the OpenAPI document's schemas, so
 * what the server accepts and what the document says cannot drift apart. */
#ifndef CTN_API_SCHEMA_H
#define CTN_API_SCHEMA_H

#include <apr_pools.h>
#include <json-c/json.h>

typedef enum {
    CTN_SCHEMA_STRING,
    CTN_SCHEMA_INTEGER,
    CTN_SCHEMA_NUMBER,
    CTN_SCHEMA_BOOLEAN,
    CTN_SCHEMA_OBJECT,
    CTN_SCHEMA_ARRAY,
    CTN_SCHEMA_MAP /* an object with free keys, every value of `items` */
} ctn_schema_type_e;

/* String formats the validator checks. */
typedef enum {
    CTN_FORMAT_NONE,
    CTN_FORMAT_E164,      /* +15551234567 */
    CTN_FORMAT_EMAIL,     /* x@y */
    CTN_FORMAT_UUID,      /* canonical lower/upper-case uuid */
    CTN_FORMAT_DATE,      /* 2026-12-25 */
    CTN_FORMAT_DATE_TIME, /* RFC 3339 */
    CTN_FORMAT_HHMM,      /* 08:30, 24 h */
    CTN_FORMAT_TIMEZONE,  /* Area/City (checked against the tz database by PostgreSQL) */
    CTN_FORMAT_POSTAL     /* letters, digits, space and dash, 3–10 */
} ctn_schema_format_e;

enum {
    CTN_FIELD_REQUIRED = 1, /* must be present when creating */
    CTN_FIELD_READONLY = 2, /* returned, never accepted */
    CTN_FIELD_NULLABLE = 4  /* null accepted (clears the value) */
};

typedef struct ctn_api_field_t {
    const char *name;
    const struct ctn_api_schema_t *schema;
    unsigned flags;
} ctn_api_field_t;

typedef struct ctn_api_schema_t {
    const char *name; /* components/schemas name, or NULL for inline */
    ctn_schema_type_e type;
    ctn_schema_format_e format;
    long min, max;                 /* string length, integer value, array length; max 0: no limit */
    const ctn_api_field_t *fields; /* OBJECT: terminated by a NULL name */
    const struct ctn_api_schema_t *items; /* ARRAY items / MAP values */
    const char *const *enum_values;       /* STRING: NULL-terminated */
    const char *description;
} ctn_api_schema_t;

/* Validate `value` against `schema`. `creating`: the top level's required
 * members must be there (a PATCH leaves it 0); nested objects replace
 * whole values, so their required members are always required. Returns 1 when valid; else 0 with
 * `*field` (the path, e.g. "services[2].price_min", or NULL for the whole body) and `*message`,
 * pool strings. */
int ctn_api_schema_validate(const ctn_api_schema_t *schema, json_object *value, int creating,
                            apr_pool_t *pool, const char **field, const char **message);

/* The JSON Schema (OpenAPI 3.0 dialect) of `schema`, as a new json-c
 * object; named sub-schemas become $ref to #/components/schemas/<name>
 * and are added to `components` (an object) once. `top`: render a named
 * schema itself rather than a reference to it. */
json_object *ctn_api_schema_render(const ctn_api_schema_t *schema, json_object *components,
                                   int top);

/* The same for the body of an update (a route without CTN_API_CREATE): the
 * top level's required members are not required, as the validator has it.
 * A named schema with required members becomes a reference to a component
 * "<name>Update"; any other is rendered as ctn_api_schema_render does. */
json_object *ctn_api_schema_render_update(const ctn_api_schema_t *schema, json_object *components);

/* Characters (code points) of UTF-8 text `s`: what the document's
 * minLength and maxLength count (and PostgreSQL's length()), not bytes. */
long ctn_api_utf8_length(const char *s);

/* Common scalars. */
extern const ctn_api_schema_t ctn_schema_uuid, ctn_schema_e164, ctn_schema_date,
    ctn_schema_date_time, ctn_schema_bool, ctn_schema_lang, ctn_schema_name, ctn_schema_text,
    ctn_schema_count, ctn_schema_any_object, ctn_schema_error;

#endif
