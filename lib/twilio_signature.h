/* twilio_signature.h: Twilio's request signature (X-Twilio-Signature).
 *
 * Base64(HMAC-SHA1(auth token, URL + each parameter's name and value, names
 * sorted by byte value, each name's values sorted and de-duplicated)), as
 * Twilio's own SDKs compute it (PROTOCOLS.md B.1). The URL is the one Twilio
 * requested: CortanaPublicURL + path + query, never rebuilt from Host. */
#ifndef CTN_TWILIO_SIGNATURE_H
#define CTN_TWILIO_SIGNATURE_H

#include <apr_pools.h>
#include <apr_tables.h>

/* The signature of a request (`params` of ctn_form_pair_t, decoded; NULL or
 * empty for none). Pool string. */
const char *ctn_twilio_signature(apr_pool_t *pool, const char *auth_token, const char *url,
                                 const apr_array_header_t *params);

/* 1 when `header` is the signature of the request, comparing in constant
 * time; like the SDK, the URL also matches with its scheme's default port
 * inserted or removed. */
int ctn_twilio_signature_valid(apr_pool_t *pool, const char *auth_token, const char *url,
                               const apr_array_header_t *params, const char *header);

/* SHA-1 (RFC 3174) and HMAC-SHA1 (RFC 2104), exposed for the tests. */
void ctn_sha1(const unsigned char *data, apr_size_t len, unsigned char digest[20]);
void ctn_hmac_sha1(const unsigned char *key, apr_size_t key_len, const unsigned char *data,
                   apr_size_t len, unsigned char mac[20]);

#endif
