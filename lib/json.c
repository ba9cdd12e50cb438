/* json.c: json-c bound to APR pools (see json.h). */
#include "json.h"

#include <apr_strings.h>
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

json_object *ctn_json_parse(apr_pool_t *pool, const char *text, apr_size_t len, const char **why)
{
    json_tokener *tok;
    json_object *obj;
    enum json_tokener_error jerr;
    apr_size_t used;

    if (len > (apr_size_t)INT32_MAX) {
        *why = "document too large";
        return NULL;
    }
    if (len == 0 || only_space(text, len)) {
        *why = "empty document";
        return NULL;
    }
    tok = json_tokener_new();
    if (tok == NULL) {
        *why = "out of memory";
        return NULL;
    }
    /* Passing the terminating NUL tells json-c the document ends here, so a
     * bare scalar ("null", "5") is complete rather than "to be continued". */
    obj = json_tokener_parse_ex(tok, apr_pstrmemdup(pool, text, len), (int)len + 1);
    jerr = json_tokener_get_error(tok);
    used = (apr_size_t)json_tokener_get_parse_end(tok);
    if (used > len) {
        used = len;
    }
    if (obj == NULL && jerr == json_tokener_success) {
        json_tokener_free(tok);
        *why = "document is null";
        return NULL;
    }
    if (obj == NULL || jerr != json_tokener_success) {
        *why = apr_psprintf(pool, "invalid JSON at byte %" APR_SIZE_T_FMT ": %s", used,
                            jerr == json_tokener_continue ? "unexpected end of document"
                                                          : json_tokener_error_desc(jerr));
        json_object_put(obj);
        json_tokener_free(tok);
        return NULL;
    }
    json_tokener_free(tok);
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
