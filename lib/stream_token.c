/* stream_token.c: media-stream admission tokens and key files (see stream_token.h). */
#include "stream_token.h"

#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <sodium.h>
#include <string.h>

apr_status_t ctn_key_parse(unsigned char key[CTN_KEY_BYTES], const char *buf, apr_size_t len)
{
    apr_size_t bin_len = 0;

    if (len == CTN_KEY_BYTES) {
        memcpy(key, buf, CTN_KEY_BYTES);
        return APR_SUCCESS;
    }
    while (len > 0 && apr_isspace(buf[len - 1])) {
        len--;
    }
    while (len > 0 && apr_isspace(*buf)) {
        buf++, len--;
    }
    if (len == 2 * CTN_KEY_BYTES) {
        return sodium_hex2bin(key, CTN_KEY_BYTES, buf, len, NULL, &bin_len, NULL) == 0 &&
                       bin_len == CTN_KEY_BYTES
                   ? APR_SUCCESS
                   : APR_EINVAL;
    }
    if (len == 44) {
        return sodium_base642bin(key, CTN_KEY_BYTES, buf, len, NULL, &bin_len, NULL,
                                 sodium_base64_VARIANT_ORIGINAL) == 0 &&
                       bin_len == CTN_KEY_BYTES
                   ? APR_SUCCESS
                   : APR_EINVAL;
    }
    return APR_EINVAL;
}

apr_status_t ctn_key_load(unsigned char key[CTN_KEY_BYTES], const char *path, apr_pool_t *pool)
{
    char buf[256];
    apr_size_t len = sizeof(buf);
    apr_file_t *f;
    apr_status_t rv;

    if ((rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, APR_OS_DEFAULT, pool)) !=
        APR_SUCCESS) {
        return rv;
    }
    rv = apr_file_read(f, buf, &len);
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        return rv;
    }
    rv = ctn_key_parse(key, buf, len);
    sodium_memzero(buf, sizeof(buf));
    return rv;
}

static void mac(char out[44], const unsigned char key[CTN_KEY_BYTES], const char *call_sid,
                const char *business_id, const char *expiry)
{
    crypto_auth_hmacsha256_state st;
    unsigned char digest[crypto_auth_hmacsha256_BYTES];

    crypto_auth_hmacsha256_init(&st, key, CTN_KEY_BYTES);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)"v1|", 3);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)call_sid, strlen(call_sid));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)"|", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)business_id, strlen(business_id));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)"|", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)expiry, strlen(expiry));
    crypto_auth_hmacsha256_final(&st, digest);
    sodium_bin2base64(out, 44, digest, sizeof(digest), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

const char *ctn_stream_token_sign(apr_pool_t *pool, const unsigned char key[CTN_KEY_BYTES],
                                  const char *call_sid, const char *business_id, apr_time_t now)
{
    const char *expiry = apr_psprintf(pool, "%" APR_INT64_T_FMT,
                                      (apr_int64_t)apr_time_sec(now) + CTN_STREAM_TOKEN_TTL);
    char m[44];

    mac(m, key, call_sid, business_id, expiry);
    return apr_pstrcat(pool, expiry, ".", business_id, ".", m, NULL);
}

apr_status_t ctn_stream_token_verify(const char **business_id, const char **why, apr_pool_t *pool,
                                     const unsigned char key[CTN_KEY_BYTES], const char *token,
                                     const char *call_sid, apr_time_t now)
{
    const char *dot1 = token ? strchr(token, '.') : NULL;
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    const char *expiry, *business;
    char m[44];

    if (dot2 == NULL || dot1 == token || dot2 - dot1 != 37 || strlen(dot2 + 1) != 43 ||
        call_sid == NULL || *call_sid == '\0') {
        *why = "malformed stream token";
        return APR_EINVAL;
    }
    expiry = apr_pstrmemdup(pool, token, (apr_size_t)(dot1 - token));
    business = apr_pstrmemdup(pool, dot1 + 1, 36);
    if (strspn(expiry, "0123456789") != strlen(expiry)) {
        *why = "malformed stream token";
        return APR_EINVAL;
    }
    mac(m, key, call_sid, business, expiry);
    if (sodium_memcmp(m, dot2 + 1, 43) != 0) {
        *why = "stream token does not verify for this call";
        return APR_EINVAL;
    }
    if (apr_atoi64(expiry) < (apr_int64_t)apr_time_sec(now)) {
        *why = "stream token expired";
        return APR_TIMEUP;
    }
    *business_id = business;
    return APR_SUCCESS;
}
