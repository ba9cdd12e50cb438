/* stream_token.h: the short-lived token that admits a Twilio media stream.
 *
 * /twilio/voice puts a token in <Connect><Stream><Parameter name="token">;
 * the media worker admits the stream only when the token's HMAC-SHA256,
 * keyed with the master key (CortanaKeyFile), covers the stream's call SID,
 * the business and an expiry that has not passed. The token names the
 * business, so the worker needs no lookup to know whose call it is, and a
 * token cannot be replayed for another call or after a minute. Within the
 * minute it is not single-use by itself: the worker refuses a stream for a
 * call whose stream it is relaying already (media_relay.c).
 *
 *   token = <expiry unix seconds> "." <business uuid> "." base64url(HMAC(key,
 *           "v1|" call_sid "|" business_id "|" expiry))
 */
#ifndef CTN_STREAM_TOKEN_H
#define CTN_STREAM_TOKEN_H

#include <apr_pools.h>
#include <apr_time.h>

#define CTN_KEY_BYTES        32
#define CTN_STREAM_TOKEN_TTL 60 /* seconds */

/* A 32-byte key from a key file's contents: raw bytes, 64 hex digits or 44
 * base64 characters (surrounding whitespace ignored). APR_EINVAL otherwise. */
apr_status_t ctn_key_parse(unsigned char key[CTN_KEY_BYTES], const char *buf, apr_size_t len);

/* Read and parse the key file at `path`. */
apr_status_t ctn_key_load(unsigned char key[CTN_KEY_BYTES], const char *path, apr_pool_t *pool);

/* The token for `call_sid` of `business_id`, valid until `now` + TTL. */
const char *ctn_stream_token_sign(apr_pool_t *pool, const unsigned char key[CTN_KEY_BYTES],
                                  const char *call_sid, const char *business_id, apr_time_t now);

/* APR_SUCCESS and `*business_id` (pool string) when `token` is valid for
 * `call_sid` at `now`; APR_EINVAL (malformed or wrong MAC) or APR_TIMEUP
 * (expired) with `*why`. Constant-time MAC comparison. */
apr_status_t ctn_stream_token_verify(const char **business_id, const char **why, apr_pool_t *pool,
                                     const unsigned char key[CTN_KEY_BYTES], const char *token,
                                     const char *call_sid, apr_time_t now);

#endif
