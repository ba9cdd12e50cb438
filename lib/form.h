/* form.h: application/x-www-form-urlencoded bodies, in order.
 *
 * Twilio posts its webhooks as form bodies and signs the sorted parameters,
 * and its REST API takes form bodies too; the order and duplicates matter,
 * so a form is an array of pairs, not a hash table. */
#ifndef CTN_FORM_H
#define CTN_FORM_H

#include <apr_pools.h>
#include <apr_tables.h>

typedef struct ctn_form_pair_t {
    const char *name;
    const char *value;
} ctn_form_pair_t;

/* Parse `body` (`len` bytes) into an array of ctn_form_pair_t, in order.
 * '+' is a space; names may repeat; an empty body is an empty form.
 * Returns APR_EINVAL with `*why` set for a malformed escape, an embedded NUL
 * or an empty name. */
apr_status_t ctn_form_parse(apr_array_header_t **pairs, apr_pool_t *pool, const char *body,
                            apr_size_t len, const char **why);

/* The first value of `name`, or NULL. */
const char *ctn_form_get(const apr_array_header_t *pairs, const char *name);

/* Append a pair (strings are not copied). */
void ctn_form_add(apr_array_header_t *pairs, const char *name, const char *value);

/* Encode pairs as a form body, in their order (space as %20). */
const char *ctn_form_encode(apr_pool_t *pool, const apr_array_header_t *pairs);

/* A copy of `pairs` sorted by name, then value (byte order), as Twilio's
 * signature requires. The sort is stable for equal pairs. */
apr_array_header_t *ctn_form_sorted(apr_pool_t *pool, const apr_array_header_t *pairs);

#endif
