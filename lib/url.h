/* url.h: parsing and percent-encoding of URLs.
 *
 * Cortana reaches every outside service through a base URL given in a
 * directive, and builds Twilio's signature base from CortanaPublicURL; both
 * need a strict parser that says what is wrong with a bad value. */
#ifndef CTN_URL_H
#define CTN_URL_H

#include <apr_pools.h>

typedef struct ctn_url_t {
    const char *scheme; /* lower case: "http", "https", "ws", "wss", "unix" */
    const char *host;   /* lower case; IPv6 literals without brackets */
    int port;           /* explicit port, or the scheme's default */
    int port_given;     /* 1 when the text named a port */
    const char *path;   /* "/" when the text had none */
    const char *query;  /* NULL when absent (without the '?') */
} ctn_url_t;

/* Parse an absolute URL whose scheme is one of `schemes` (a NULL-terminated
 * list, e.g. {"http", "https", NULL}). Rejects user info, fragments, empty or
 * invalid hosts, ports outside 1..65535, spaces and control characters.
 * On failure returns APR_EINVAL and sets `*why` to a reason naming the
 * offending part. `out`'s strings live in `pool`. */
apr_status_t ctn_url_parse(ctn_url_t *out, apr_pool_t *pool, const char *text,
                           const char *const *schemes, const char **why);

/* `base` without trailing slashes followed by `path` (which starts with "/"). */
const char *ctn_url_join(apr_pool_t *pool, const char *base, const char *path);

/* Percent-encode every byte outside RFC 3986's unreserved set
 * (ALPHA / DIGIT / "-" / "." / "_" / "~"). Space becomes "%20". */
const char *ctn_url_escape(apr_pool_t *pool, const char *s);

/* Decode %XX escapes (and '+' as space when `plus_is_space`). Returns
 * APR_EINVAL for a malformed escape or an embedded NUL; the result is
 * NUL-terminated and its length stored in `*out_len` when not NULL. */
apr_status_t ctn_url_unescape(char **out, apr_size_t *out_len, apr_pool_t *pool, const char *s,
                              apr_size_t len, int plus_is_space);

#endif
