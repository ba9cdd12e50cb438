/* form.c: ordered form bodies (see form.h). */
#include "form.h"

#include "url.h"

#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

apr_status_t ctn_form_parse(apr_array_header_t **pairs, apr_pool_t *pool, const char *body,
                            apr_size_t len, const char **why)
{
    apr_array_header_t *out = apr_array_make(pool, 16, sizeof(ctn_form_pair_t));
    const char *p = body, *end = body + len;

    while (p < end) {
        const char *amp = memchr(p, '&', (apr_size_t)(end - p));
        const char *field_end = amp ? amp : end;
        const char *eq = memchr(p, '=', (apr_size_t)(field_end - p));
        const char *name_end = eq ? eq : field_end;
        ctn_form_pair_t *pair;
        char *name, *value;

        if (field_end == p) { /* "a=1&&b=2": tolerate empty fields */
            p = field_end + 1;
            continue;
        }
        if (name_end == p) {
            *why = "a form field has an empty name";
            return APR_EINVAL;
        }
        if (ctn_url_unescape(&name, NULL, pool, p, (apr_size_t)(name_end - p), 1) != APR_SUCCESS) {
            *why = "a form field name has a malformed %-escape";
            return APR_EINVAL;
        }
        if (eq) {
            if (ctn_url_unescape(&value, NULL, pool, eq + 1, (apr_size_t)(field_end - eq - 1), 1) !=
                APR_SUCCESS) {
                *why = apr_psprintf(pool, "form field '%s' has a malformed %%-escape", name);
                return APR_EINVAL;
            }
        } else {
            value = "";
        }
        pair = apr_array_push(out);
        pair->name = name;
        pair->value = value;
        p = field_end + 1;
    }
    *pairs = out;
    return APR_SUCCESS;
}

const char *ctn_form_get(const apr_array_header_t *pairs, const char *name)
{
    const ctn_form_pair_t *pair = (const ctn_form_pair_t *)pairs->elts;

    for (int i = 0; i < pairs->nelts; i++) {
        if (strcmp(pair[i].name, name) == 0) {
            return pair[i].value;
        }
    }
    return NULL;
}

void ctn_form_add(apr_array_header_t *pairs, const char *name, const char *value)
{
    ctn_form_pair_t *pair = apr_array_push(pairs);

    pair->name = name;
    pair->value = value;
}

const char *ctn_form_encode(apr_pool_t *pool, const apr_array_header_t *pairs)
{
    const ctn_form_pair_t *pair = (const ctn_form_pair_t *)pairs->elts;
    apr_array_header_t *parts = apr_array_make(pool, pairs->nelts * 4, sizeof(const char *));

    for (int i = 0; i < pairs->nelts; i++) {
        if (i > 0) {
            APR_ARRAY_PUSH(parts, const char *) = "&";
        }
        APR_ARRAY_PUSH(parts, const char *) = ctn_url_escape(pool, pair[i].name);
        APR_ARRAY_PUSH(parts, const char *) = "=";
        APR_ARRAY_PUSH(parts, const char *) = ctn_url_escape(pool, pair[i].value);
    }
    return apr_array_pstrcat(pool, parts, 0);
}

static int compare_pairs(const void *a, const void *b)
{
    const ctn_form_pair_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);

    return c != 0 ? c : strcmp(x->value, y->value);
}

apr_array_header_t *ctn_form_sorted(apr_pool_t *pool, const apr_array_header_t *pairs)
{
    apr_array_header_t *copy = apr_array_copy(pool, pairs);

    qsort(copy->elts, (size_t)copy->nelts, sizeof(ctn_form_pair_t), compare_pairs);
    return copy;
}
