/* twilio_signature.c: X-Twilio-Signature (see twilio_signature.h).
 *
 * libsodium has no SHA-1, and Twilio's scheme needs it, so SHA-1 and HMAC
 * are implemented here, straight from RFC 3174 and RFC 2104. SHA-1 is only
 * used inside HMAC, where its collision weakness does not matter. */
#include "twilio_signature.h"

#include "form.h"

#include <apr_strings.h>
#include <sodium.h>
#include <string.h>

/* ------------------------------------------------------------------ SHA-1 --- */

typedef struct sha1_t {
    apr_uint32_t h[5];
    apr_uint64_t length; /* bytes */
    unsigned char block[64];
    apr_size_t used;
} sha1_t;

#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

static void sha1_block(sha1_t *s, const unsigned char *p)
{
    apr_uint32_t w[80], a, b, c, d, e, t;

    for (int i = 0; i < 16; i++) {
        w[i] = (apr_uint32_t)p[4 * i] << 24 | (apr_uint32_t)p[4 * i + 1] << 16 |
               (apr_uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    }
    for (int i = 16; i < 80; i++) {
        w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    }
    a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4];
    for (int i = 0; i < 80; i++) {
        apr_uint32_t f, k;
        if (i < 20) {
            f = (b & c) | (~b & d), k = 0x5A827999;
        } else if (i < 40) {
            f = b ^ c ^ d, k = 0x6ED9EBA1;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
        } else {
            f = b ^ c ^ d, k = 0xCA62C1D6;
        }
        t = ROL(a, 5) + f + e + k + w[i];
        e = d, d = c, c = ROL(b, 30), b = a, a = t;
    }
    s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d, s->h[4] += e;
}

static void sha1_init(sha1_t *s)
{
    static const apr_uint32_t init[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476,
                                         0xC3D2E1F0};
    memcpy(s->h, init, sizeof(init));
    s->length = 0;
    s->used = 0;
}

static void sha1_update(sha1_t *s, const unsigned char *data, apr_size_t len)
{
    s->length += len;
    while (len > 0) {
        apr_size_t n = 64 - s->used < len ? 64 - s->used : len;
        memcpy(s->block + s->used, data, n);
        s->used += n, data += n, len -= n;
        if (s->used == 64) {
            sha1_block(s, s->block);
            s->used = 0;
        }
    }
}

static void sha1_final(sha1_t *s, unsigned char digest[20])
{
    apr_uint64_t bits = s->length * 8;
    unsigned char pad = 0x80, zero = 0, len[8];

    sha1_update(s, &pad, 1);
    while (s->used != 56) {
        sha1_update(s, &zero, 1);
    }
    for (int i = 0; i < 8; i++) {
        len[i] = (unsigned char)(bits >> (56 - 8 * i));
    }
    sha1_update(s, len, 8);
    for (int i = 0; i < 5; i++) {
        digest[4 * i] = (unsigned char)(s->h[i] >> 24);
        digest[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
        digest[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
        digest[4 * i + 3] = (unsigned char)s->h[i];
    }
    sodium_memzero(s, sizeof(*s));
}

void ctn_sha1(const unsigned char *data, apr_size_t len, unsigned char digest[20])
{
    sha1_t s;

    sha1_init(&s);
    sha1_update(&s, data, len);
    sha1_final(&s, digest);
}

void ctn_hmac_sha1(const unsigned char *key, apr_size_t key_len, const unsigned char *data,
                   apr_size_t len, unsigned char mac[20])
{
    unsigned char k[64], pad[64], inner[20];
    sha1_t s;

    memset(k, 0, sizeof(k));
    if (key_len > 64) {
        ctn_sha1(key, key_len, k);
    } else {
        memcpy(k, key, key_len);
    }
    for (int i = 0; i < 64; i++) {
        pad[i] = k[i] ^ 0x36;
    }
    sha1_init(&s);
    sha1_update(&s, pad, 64);
    sha1_update(&s, data, len);
    sha1_final(&s, inner);
    for (int i = 0; i < 64; i++) {
        pad[i] = k[i] ^ 0x5c;
    }
    sha1_init(&s);
    sha1_update(&s, pad, 64);
    sha1_update(&s, inner, 20);
    sha1_final(&s, mac);
    sodium_memzero(k, sizeof(k));
    sodium_memzero(pad, sizeof(pad));
}

/* -------------------------------------------------------------- signature --- */

static const char *string_to_sign(apr_pool_t *pool, const char *url,
                                  const apr_array_header_t *params)
{
    apr_array_header_t *parts = apr_array_make(pool, 32, sizeof(const char *));
    const ctn_form_pair_t *prev = NULL;

    APR_ARRAY_PUSH(parts, const char *) = url;
    if (params != NULL && params->nelts > 0) {
        apr_array_header_t *sorted = ctn_form_sorted(pool, params);
        const ctn_form_pair_t *p = (const ctn_form_pair_t *)sorted->elts;
        for (int i = 0; i < sorted->nelts; i++) {
            if (prev && strcmp(prev->name, p[i].name) == 0 &&
                strcmp(prev->value, p[i].value) == 0) {
                continue; /* a repeated value is signed once */
            }
            APR_ARRAY_PUSH(parts, const char *) = p[i].name;
            APR_ARRAY_PUSH(parts, const char *) = p[i].value;
            prev = &p[i];
        }
    }
    return apr_array_pstrcat(pool, parts, 0);
}

const char *ctn_twilio_signature(apr_pool_t *pool, const char *auth_token, const char *url,
                                 const apr_array_header_t *params)
{
    const char *data = string_to_sign(pool, url, params);
    unsigned char mac[20];
    char *out = apr_palloc(pool, sodium_base64_ENCODED_LEN(20, sodium_base64_VARIANT_ORIGINAL));

    ctn_hmac_sha1((const unsigned char *)auth_token, strlen(auth_token),
                  (const unsigned char *)data, strlen(data), mac);
    sodium_bin2base64(out, sodium_base64_ENCODED_LEN(20, sodium_base64_VARIANT_ORIGINAL), mac,
                      sizeof(mac), sodium_base64_VARIANT_ORIGINAL);
    return out;
}

/* `url` with its port removed (`with_port` 0) or the scheme's default port
 * inserted when it has none (`with_port` 1); NULL when not applicable. */
static const char *port_variant(apr_pool_t *pool, const char *url, int with_port)
{
    const char *scheme_end = strstr(url, "://");
    const char *host, *host_end, *colon;
    const char *dflt;

    if (scheme_end == NULL) {
        return NULL;
    }
    dflt = strncmp(url, "https", 5) == 0 ? "443" : "80";
    host = scheme_end + 3;
    host_end = host + strcspn(host, "/?#");
    colon = memchr(host, ':', (apr_size_t)(host_end - host));
    if (with_port) {
        if (colon) {
            return NULL;
        }
        return apr_pstrcat(pool, apr_pstrmemdup(pool, url, (apr_size_t)(host_end - url)), ":", dflt,
                           host_end, NULL);
    }
    if (!colon) {
        return NULL;
    }
    return apr_pstrcat(pool, apr_pstrmemdup(pool, url, (apr_size_t)(colon - url)), host_end, NULL);
}

static int matches(apr_pool_t *pool, const char *token, const char *url,
                   const apr_array_header_t *params, const char *header)
{
    const char *expected = ctn_twilio_signature(pool, token, url, params);
    apr_size_t n = strlen(expected);

    return strlen(header) == n && sodium_memcmp(expected, header, n) == 0;
}

int ctn_twilio_signature_valid(apr_pool_t *pool, const char *auth_token, const char *url,
                               const apr_array_header_t *params, const char *header)
{
    const char *with_port, *without_port;

    if (auth_token == NULL || *auth_token == '\0' || header == NULL || *header == '\0') {
        return 0;
    }
    if (matches(pool, auth_token, url, params, header)) {
        return 1;
    }
    with_port = port_variant(pool, url, 1);
    without_port = port_variant(pool, url, 0);
    return (with_port && matches(pool, auth_token, with_port, params, header)) ||
           (without_port && matches(pool, auth_token, without_port, params, header));
}
