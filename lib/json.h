/* json.h: small helpers over json-c that bind objects to APR pools.
 *
 * json-c objects are reference counted; the helpers here hand an object's
 * last reference to a pool cleanup so that its lifetime is the pool's, the
 * way every other lifetime in Cortana is expressed. */
#ifndef CTN_JSON_H
#define CTN_JSON_H

#include <apr_pools.h>
#include <json-c/json.h>

/* Release `obj` when `pool` is cleared or destroyed. Returns `obj`. */
json_object *ctn_json_pool_own(apr_pool_t *pool, json_object *obj);

/* Parse exactly one JSON value from `text` (`len` bytes, which need not be
 * NUL-terminated). Trailing non-space bytes are an error. On success the
 * value belongs to `pool`. On failure returns NULL and sets `*why` (pool
 * string) to a reason fit for a log line or an API error message. */
json_object *ctn_json_parse(apr_pool_t *pool, const char *text, apr_size_t len, const char **why);

/* Compact serialisation of `obj`, copied into `pool`. */
const char *ctn_json_serialize(apr_pool_t *pool, json_object *obj);

/* Typed member getters. They return the default (or APR_ENOENT / APR_EINVAL
 * for the status-returning ones) when `obj` is not an object, when the
 * member is missing, or when it has another type: no silent coercion. */
const char *ctn_json_get_string(json_object *obj, const char *key, const char *dflt);
apr_status_t ctn_json_get_int64(json_object *obj, const char *key, long long *out);
apr_status_t ctn_json_get_bool(json_object *obj, const char *key, int *out);

/* `s` as a JSON string literal with quotes, escaped per RFC 8259. */
const char *ctn_json_quote(apr_pool_t *pool, const char *s);

/* A compact JSON document written straight into a pool buffer, for the
 * documents of hot paths (a turn's state, its live events): no json-c
 * objects, usually one allocation. Members are written in order; `key` is
 * NULL for the top-level value. A NULL string is written as null. The
 * writer does not check the document's shape: begin and end match because
 * the code that writes them does. */
typedef struct ctn_json_writer_t {
    apr_pool_t *pool;
    char *buf;
    apr_size_t len, cap;
    int comma; /* a member was written at this level: the next needs a comma */
} ctn_json_writer_t;

void ctn_jw_init(ctn_json_writer_t *w, apr_pool_t *pool, apr_size_t capacity);
void ctn_jw_object_begin(ctn_json_writer_t *w, const char *key);
void ctn_jw_object_end(ctn_json_writer_t *w);
void ctn_jw_string(ctn_json_writer_t *w, const char *key, const char *value);
void ctn_jw_string_n(ctn_json_writer_t *w, const char *key, const char *value, apr_size_t n);
void ctn_jw_int(ctn_json_writer_t *w, const char *key, long long value);
void ctn_jw_bool(ctn_json_writer_t *w, const char *key, int value);
/* The document so far, NUL-terminated; valid until the pool is cleared. */
const char *ctn_jw_text(ctn_json_writer_t *w);

/* Raw pieces, for documents laid out by their writer (keys already quoted,
 * numbers and JSON from elsewhere): no commas, no keys. ctn_jw_room makes
 * room for `n` more bytes and returns where they go; the writer then adds
 * what it wrote to w->len. */
char *ctn_jw_room(ctn_json_writer_t *w, apr_size_t n);
void ctn_jw_raw(ctn_json_writer_t *w, const char *s, apr_size_t n);
/* `s` (`n` bytes) as a JSON string: quotes, backslashes and control
 * characters escaped (\b \f \n \r \t, else \u00XX, as PostgreSQL does), other
 * bytes as they are. */
void ctn_jw_quoted(ctn_json_writer_t *w, const char *s, apr_size_t n);

#endif
