/* url.c: a strict absolute-URL parser and RFC 3986 percent-encoding (see url.h). */
#include "url.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <string.h>

static int default_port(const char *scheme)
{
    if (strcmp(scheme, "http") == 0 || strcmp(scheme, "ws") == 0) {
        return 80;
    }
    if (strcmp(scheme, "https") == 0 || strcmp(scheme, "wss") == 0) {
        return 443;
    }
    return 0;
}

static int scheme_allowed(const char *scheme, const char *const *schemes)
{
    for (; schemes && *schemes; schemes++) {
        if (strcmp(scheme, *schemes) == 0) {
            return 1;
        }
    }
    return 0;
}

static int host_char_ok(char c)
{
    return apr_isalnum(c) || c == '-' || c == '.' || c == '_';
}

/* Validate "host" or "[v6]" in [start, end), store host (lower case). */
static apr_status_t parse_host(ctn_url_t *out, apr_pool_t *pool, const char *start, const char *end,
                               const char **why)
{
    if (start == end) {
        *why = "the URL has no host";
        return APR_EINVAL;
    }
    if (*start == '[') {
        if (end[-1] != ']' || end - start < 4) {
            *why = "the URL has a malformed IPv6 host";
            return APR_EINVAL;
        }
        for (const char *c = start + 1; c < end - 1; c++) {
            if (!apr_isxdigit(*c) && *c != ':' && *c != '.') {
                *why = "the URL has a malformed IPv6 host";
                return APR_EINVAL;
            }
        }
        out->host = apr_pstrmemdup(pool, start + 1, (apr_size_t)(end - start - 2));
        return APR_SUCCESS;
    }
    for (const char *c = start; c < end; c++) {
        if (!host_char_ok(*c)) {
            *why = apr_psprintf(pool, "the URL's host has an invalid character '%c'", *c);
            return APR_EINVAL;
        }
    }
    if (*start == '.' || *start == '-' || end[-1] == '-') {
        *why = "the URL's host is not a valid name";
        return APR_EINVAL;
    }
    out->host = apr_pstrmemdup(pool, start, (apr_size_t)(end - start));
    for (char *c = (char *)out->host; *c; c++) {
        *c = (char)apr_tolower(*c);
    }
    return APR_SUCCESS;
}

static apr_status_t parse_port(ctn_url_t *out, const char *start, const char *end, const char **why)
{
    long port = 0;

    if (start == end || end - start > 5) {
        *why = "the URL's port is not a number from 1 to 65535";
        return APR_EINVAL;
    }
    for (const char *c = start; c < end; c++) {
        if (!apr_isdigit(*c)) {
            *why = "the URL's port is not a number from 1 to 65535";
            return APR_EINVAL;
        }
        port = port * 10 + (*c - '0');
    }
    if (port < 1 || port > 65535) {
        *why = "the URL's port is not a number from 1 to 65535";
        return APR_EINVAL;
    }
    out->port = (int)port;
    out->port_given = 1;
    return APR_SUCCESS;
}

apr_status_t ctn_url_parse(ctn_url_t *out, apr_pool_t *pool, const char *text,
                           const char *const *schemes, const char **why)
{
    const char *sep, *authority, *auth_end, *host_end, *rest;
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    if (text == NULL || *text == '\0') {
        *why = "the URL is empty";
        return APR_EINVAL;
    }
    for (const char *c = text; *c; c++) {
        if ((unsigned char)*c <= 0x20 || *c == 0x7f) {
            *why = "the URL contains a space or a control character";
            return APR_EINVAL;
        }
    }
    sep = strstr(text, "://");
    if (sep == NULL || sep == text) {
        *why = "the URL has no scheme (expected e.g. https://host/)";
        return APR_EINVAL;
    }
    for (const char *c = text; c < sep; c++) {
        if (!apr_isalnum(*c) && *c != '+' && *c != '-' && *c != '.') {
            *why = "the URL's scheme is invalid";
            return APR_EINVAL;
        }
    }
    out->scheme = apr_pstrmemdup(pool, text, (apr_size_t)(sep - text));
    for (char *c = (char *)out->scheme; *c; c++) {
        *c = (char)apr_tolower(*c);
    }
    if (!scheme_allowed(out->scheme, schemes)) {
        *why = apr_psprintf(pool, "the URL's scheme '%s' is not one of those allowed here",
                            out->scheme);
        return APR_EINVAL;
    }
    authority = sep + 3;
    auth_end = authority + strcspn(authority, "/?#");
    if (memchr(authority, '@', (apr_size_t)(auth_end - authority)) != NULL) {
        *why = "the URL must not carry user information (put credentials in their directives)";
        return APR_EINVAL;
    }
    host_end = auth_end;
    if (*authority == '[') {
        const char *close = memchr(authority, ']', (apr_size_t)(auth_end - authority));
        if (close == NULL) {
            *why = "the URL has a malformed IPv6 host";
            return APR_EINVAL;
        }
        host_end = close + 1;
        if (host_end < auth_end && *host_end != ':') {
            *why = "the URL has a malformed IPv6 host";
            return APR_EINVAL;
        }
    } else {
        const char *colon = memchr(authority, ':', (apr_size_t)(auth_end - authority));
        if (colon != NULL) {
            host_end = colon;
        }
    }
    if ((rv = parse_host(out, pool, authority, host_end, why)) != APR_SUCCESS) {
        return rv;
    }
    out->port = default_port(out->scheme);
    if (host_end < auth_end) {
        if ((rv = parse_port(out, host_end + 1, auth_end, why)) != APR_SUCCESS) {
            return rv;
        }
    }
    rest = auth_end;
    if (strchr(rest, '#') != NULL) {
        *why = "the URL must not have a fragment";
        return APR_EINVAL;
    }
    {
        const char *q = strchr(rest, '?');
        const char *path_end = q ? q : rest + strlen(rest);
        out->path =
            path_end > rest ? apr_pstrmemdup(pool, rest, (apr_size_t)(path_end - rest)) : "/";
        out->query = q ? apr_pstrdup(pool, q + 1) : NULL;
    }
    return APR_SUCCESS;
}

const char *ctn_url_join(apr_pool_t *pool, const char *base, const char *path)
{
    apr_size_t n = strlen(base);

    while (n > 0 && base[n - 1] == '/') {
        n--;
    }
    return apr_pstrcat(pool, apr_pstrmemdup(pool, base, n), path, NULL);
}

static int unreserved(unsigned char c)
{
    return apr_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

const char *ctn_url_escape(apr_pool_t *pool, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    apr_size_t n = 0;
    char *out, *o;

    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        n += unreserved(*c) ? 1 : 3;
    }
    out = o = apr_palloc(pool, n + 1);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (unreserved(*c)) {
            *o++ = (char)*c;
        } else {
            *o++ = '%';
            *o++ = hex[*c >> 4];
            *o++ = hex[*c & 15];
        }
    }
    *o = '\0';
    return out;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

apr_status_t ctn_url_unescape(char **out, apr_size_t *out_len, apr_pool_t *pool, const char *s,
                              apr_size_t len, int plus_is_space)
{
    char *buf = apr_palloc(pool, len + 1);
    apr_size_t n = 0;

    for (apr_size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= len) {
                return APR_EINVAL;
            }
            hi = hexval(s[i + 1]);
            lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0) {
                return APR_EINVAL;
            }
            c = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c == '\0') {
            return APR_EINVAL;
        }
        buf[n++] = c;
    }
    buf[n] = '\0';
    *out = buf;
    if (out_len) {
        *out_len = n;
    }
    return APR_SUCCESS;
}
