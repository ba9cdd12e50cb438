/* mod_cortana_body.c: reading a request's body (whole, with a size limit)
 * and its cookies.
 *
 * Twilio's webhooks and the API's JSON bodies are small; both are read into
 * the request pool before parsing. The limit is checked while reading, so
 * an oversized body costs at most `max` bytes of memory. */
#include "mod_cortana.h"

#include "http_protocol.h"

#include <apr_strings.h>
#include <string.h>

apr_status_t ctn_mod_read_body(request_rec *r, apr_size_t max, const char **body, apr_size_t *len,
                               const char **why)
{
    apr_bucket_brigade *bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    apr_size_t total = 0, cap = max;
    const char *length = apr_table_get(r->headers_in, "Content-Length");
    char *buf;
    int seen_eos = 0;

    /* A buffer of the announced size, not of the largest body: httpd's
     * allocator takes big blocks from malloc on every request. The input
     * filter never delivers more than Content-Length. */
    if (length != NULL) {
        char *end = NULL;
        apr_off_t n = 0;
        if (apr_strtoff(&n, length, &end, 10) == APR_SUCCESS && end != length && *end == '\0' &&
            n >= 0 && (apr_size_t)n <= max) {
            cap = (apr_size_t)n;
        }
    }
    buf = apr_palloc(r->pool, cap + 1);

    do {
        apr_status_t rv =
            ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES, APR_BLOCK_READ, max);
        if (rv != APR_SUCCESS) {
            *why = "cannot read the request body";
            return rv;
        }
        for (apr_bucket *b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
             b = APR_BUCKET_NEXT(b)) {
            const char *data;
            apr_size_t n;
            if (APR_BUCKET_IS_EOS(b)) {
                seen_eos = 1;
                break;
            }
            if (apr_bucket_read(b, &data, &n, APR_BLOCK_READ) != APR_SUCCESS) {
                *why = "cannot read the request body";
                return APR_EGENERAL;
            }
            if (total + n > cap) {
                *why = "request body too large";
                return APR_ENOSPC;
            }
            memcpy(buf + total, data, n);
            total += n;
        }
        apr_brigade_cleanup(bb);
    } while (!seen_eos);
    buf[total] = '\0';
    *body = buf;
    *len = total;
    return APR_SUCCESS;
}

/* The value of cookie `name`, or NULL. */
const char *ctn_mod_cookie(request_rec *r, const char *name)
{
    const char *header = apr_table_get(r->headers_in, "Cookie");
    apr_size_t n = strlen(name);

    while (header && *header) {
        header += strspn(header, " ;");
        if (strncmp(header, name, n) == 0 && header[n] == '=') {
            const char *v = header + n + 1;
            return apr_pstrmemdup(r->pool, v, strcspn(v, ";"));
        }
        header = strchr(header, ';');
    }
    return NULL;
}
