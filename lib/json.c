/* json.c: json-c bound to APR pools (see json.h). */
#include "json.h"

#include <apr_strings.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

static apr_status_t json_put_cleanup(void *data)
{
    json_object_put((json_object *)data);
    return APR_SUCCESS;
}

json_object *ctn_json_pool_own(apr_pool_t *pool, json_object *obj)
{
    if (obj != NULL) {
        apr_pool_cleanup_register(pool, obj, json_put_cleanup, apr_pool_cleanup_null);
    }
    return obj;
}

static int only_space(const char *s, apr_size_t len)
{
    for (apr_size_t i = 0; i < len; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') {
            return 0;
        }
    }
    return 1;
}

/* One tokener per thread, reset between documents: a tokener is a large
 * allocation (its state stack and buffer), and making one per document cost
 * a malloc that also made glibc consolidate the small chunks json-c frees. */
static pthread_key_t tokener_key;
static pthread_once_t tokener_once = PTHREAD_ONCE_INIT;
static int tokener_key_made;

static void free_tokener(void *tok)
{
    json_tokener_free(tok);
}

static void make_tokener_key(void)
{
    tokener_key_made = pthread_key_create(&tokener_key, free_tokener) == 0;
}

/* httpd unloads the module on a graceful restart: the key must go with it,
 * or a thread ending later would call free_tokener where no code is left,
 * and each restart would use up one of the process's few keys. */
__attribute__((destructor)) static void delete_tokener_key(void)
{
    if (tokener_key_made) {
        pthread_key_delete(tokener_key);
    }
}

/* This thread's tokener, reset; `*owned` set when it is a one-off the
 * caller must free (no key to keep it under). NULL when out of memory. */
static json_tokener *thread_tokener(int *owned)
{
    json_tokener *tok;

    pthread_once(&tokener_once, make_tokener_key);
    *owned = !tokener_key_made;
    if (*owned) {
        return json_tokener_new();
    }
    tok = pthread_getspecific(tokener_key);
    if (tok == NULL && (tok = json_tokener_new()) != NULL &&
        pthread_setspecific(tokener_key, tok) != 0) {
        json_tokener_free(tok);
        tok = NULL;
    }
    if (tok != NULL) {
        json_tokener_reset(tok);
    }
    return tok;
}

json_object *ctn_json_parse(apr_pool_t *pool, const char *text, apr_size_t len, const char **why)
{
    json_tokener *tok;
    json_object *obj;
    enum json_tokener_error jerr;
    apr_size_t used;
    int owned;

    if (len > (apr_size_t)INT32_MAX) {
        *why = "document too large";
        return NULL;
    }
    if (len == 0 || only_space(text, len)) {
        *why = "empty document";
        return NULL;
    }
    tok = thread_tokener(&owned);
    if (tok == NULL) {
        *why = "out of memory";
        return NULL;
    }
    /* Passing the terminating NUL tells json-c the document ends here, so a
     * bare scalar ("null", "5") is complete rather than "to be continued". */
    obj = json_tokener_parse_ex(tok, apr_pstrmemdup(pool, text, len), (int)len + 1);
    jerr = json_tokener_get_error(tok);
    used = (apr_size_t)json_tokener_get_parse_end(tok);
    if (owned) {
        json_tokener_free(tok);
    }
    if (used > len) {
        used = len;
    }
    if (obj == NULL && jerr == json_tokener_success) {
        *why = "document is null";
        return NULL;
    }
    if (obj == NULL || jerr != json_tokener_success) {
        *why = apr_psprintf(pool, "invalid JSON at byte %" APR_SIZE_T_FMT ": %s", used,
                            jerr == json_tokener_continue ? "unexpected end of document"
                                                          : json_tokener_error_desc(jerr));
        json_object_put(obj);
        return NULL;
    }
    if (!only_space(text + used, len - used)) {
        *why = apr_psprintf(pool, "invalid JSON at byte %" APR_SIZE_T_FMT ": trailing data", used);
        json_object_put(obj);
        return NULL;
    }
    return ctn_json_pool_own(pool, obj);
}

const char *ctn_json_serialize(apr_pool_t *pool, json_object *obj)
{
    return apr_pstrdup(pool, json_object_to_json_string_ext(
                                 obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static json_object *member(json_object *obj, const char *key, json_type type)
{
    json_object *value = NULL;

    if (obj == NULL || !json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, key, &value) || !json_object_is_type(value, type)) {
        return NULL;
    }
    return value;
}

const char *ctn_json_get_string(json_object *obj, const char *key, const char *dflt)
{
    json_object *value = member(obj, key, json_type_string);

    return value ? json_object_get_string(value) : dflt;
}

apr_status_t ctn_json_get_int64(json_object *obj, const char *key, long long *out)
{
    json_object *value = NULL;

    if (obj == NULL || !json_object_object_get_ex(obj, key, &value)) {
        return APR_ENOENT;
    }
    if (!json_object_is_type(value, json_type_int)) {
        return APR_EINVAL;
    }
    *out = (long long)json_object_get_int64(value);
    return APR_SUCCESS;
}

apr_status_t ctn_json_get_bool(json_object *obj, const char *key, int *out)
{
    json_object *value = NULL;

    if (obj == NULL || !json_object_object_get_ex(obj, key, &value)) {
        return APR_ENOENT;
    }
    if (!json_object_is_type(value, json_type_boolean)) {
        return APR_EINVAL;
    }
    *out = json_object_get_boolean(value) ? 1 : 0;
    return APR_SUCCESS;
}

const char *ctn_json_quote(apr_pool_t *pool, const char *s)
{
    json_object *str = json_object_new_string(s ? s : "");
    const char *out = ctn_json_serialize(pool, str);

    json_object_put(str);
    return out;
}

/* ------------------------------------------------------------- writer --- */

void ctn_jw_init(ctn_json_writer_t *w, apr_pool_t *pool, apr_size_t capacity)
{
    w->pool = pool;
    w->cap = capacity < 64 ? 64 : capacity;
    w->buf = apr_palloc(pool, w->cap);
    w->len = 0;
    w->comma = 0;
}

/* Room for `n` more bytes and the terminating NUL. */
char *ctn_jw_room(ctn_json_writer_t *w, apr_size_t n)
{
    if (w->len + n + 1 > w->cap) {
        apr_size_t cap = w->cap * 2;
        char *buf;
        while (w->len + n + 1 > cap) {
            cap *= 2;
        }
        buf = apr_palloc(w->pool, cap);
        memcpy(buf, w->buf, w->len);
        w->buf = buf;
        w->cap = cap;
    }
    return w->buf + w->len;
}

void ctn_jw_raw(ctn_json_writer_t *w, const char *s, apr_size_t n)
{
    memcpy(ctn_jw_room(w, n), s, n);
    w->len += n;
}

/* RFC 8259 string: quotes, backslashes and control characters escaped;
 * other bytes (UTF-8 included) as they are. */
void ctn_jw_quoted(ctn_json_writer_t *w, const char *s, apr_size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char *out = ctn_jw_room(w, n * 6 + 2);
    char *o = out;

    *o++ = '"';
    for (apr_size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o++ = '"';
    w->len += (apr_size_t)(o - out);
}

static void member_key(ctn_json_writer_t *w, const char *key)
{
    if (w->comma) {
        ctn_jw_raw(w, ",", 1);
    }
    if (key != NULL) {
        ctn_jw_quoted(w, key, strlen(key));
        ctn_jw_raw(w, ":", 1);
    }
    w->comma = 1;
}

void ctn_jw_object_begin(ctn_json_writer_t *w, const char *key)
{
    member_key(w, key);
    ctn_jw_raw(w, "{", 1);
    w->comma = 0;
}

void ctn_jw_object_end(ctn_json_writer_t *w)
{
    ctn_jw_raw(w, "}", 1);
    w->comma = 1;
}

void ctn_jw_string_n(ctn_json_writer_t *w, const char *key, const char *value, apr_size_t n)
{
    member_key(w, key);
    if (value == NULL) {
        ctn_jw_raw(w, "null", 4);
    } else {
        ctn_jw_quoted(w, value, n);
    }
}

void ctn_jw_string(ctn_json_writer_t *w, const char *key, const char *value)
{
    ctn_jw_string_n(w, key, value, value ? strlen(value) : 0);
}

void ctn_jw_int(ctn_json_writer_t *w, const char *key, long long value)
{
    char digits[24], *d = digits + sizeof(digits);
    unsigned long long v = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;

    member_key(w, key);
    do {
        *--d = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (value < 0) {
        *--d = '-';
    }
    ctn_jw_raw(w, d, (apr_size_t)(digits + sizeof(digits) - d));
}

void ctn_jw_bool(ctn_json_writer_t *w, const char *key, int value)
{
    member_key(w, key);
    ctn_jw_raw(w, value ? "true" : "false", value ? 4 : 5);
}

const char *ctn_jw_text(ctn_json_writer_t *w)
{
    *ctn_jw_room(w, 0) = '\0';
    return w->buf;
}
