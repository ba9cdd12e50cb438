/* accounts.c: password hashing and sessions (see accounts.h). */
#include "accounts.h"

#include "calls.h"
#include "log.h"

#include <apr_strings.h>
#include <sodium.h>
#include <string.h>

#define TOKEN_BYTES 32
#define TOKEN_CHARS 43 /* base64url, no padding, of 32 bytes */

apr_status_t ctn_accounts_hash_password(const char **hash, apr_pool_t *pool, const char *password)
{
    char *out = apr_palloc(pool, crypto_pwhash_STRBYTES);

    if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        return APR_ENOMEM;
    }
    *hash = out;
    return APR_SUCCESS;
}

/* A hash of a password nobody knows, made once, so that a log-in attempt for
 * an unknown e-mail address takes as long as one for a known address. */
static const char *dummy_hash(void)
{
    static char hash[crypto_pwhash_STRBYTES];
    static int made;

    if (!made) {
        unsigned char secret[16];
        char hex[33];
        randombytes_buf(secret, sizeof(secret));
        sodium_bin2hex(hex, sizeof(hex), secret, sizeof(secret));
        if (crypto_pwhash_str(hash, hex, strlen(hex), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0) {
            made = 1;
        }
    }
    return made ? hash : NULL;
}

int ctn_accounts_password_ok(const char *hash, const char *password)
{
    if (hash == NULL) {
        const char *dummy = dummy_hash();
        /* The same work as a real check; nobody knows the dummy's password. */
        if (dummy && crypto_pwhash_str_verify(dummy, password, strlen(password)) == 0) {
            return 0;
        }
        return 0;
    }
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

/* `token`'s BLAKE2b-256 as a bytea literal for PostgreSQL ("\x…"). */
static const char *token_hash_param(apr_pool_t *pool, const char *token)
{
    unsigned char digest[32];
    char *out = apr_palloc(pool, 2 + 2 * sizeof(digest) + 1);

    crypto_generichash(digest, sizeof(digest), (const unsigned char *)token, strlen(token), NULL,
                       0);
    out[0] = '\\';
    out[1] = 'x';
    sodium_bin2hex(out + 2, 2 * sizeof(digest) + 1, digest, sizeof(digest));
    return out;
}

static const char *random_token(apr_pool_t *pool)
{
    unsigned char bytes[TOKEN_BYTES];
    char *out = apr_palloc(pool, TOKEN_CHARS + 1);

    randombytes_buf(bytes, sizeof(bytes));
    sodium_bin2base64(out, TOKEN_CHARS + 1, bytes, sizeof(bytes),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(bytes, sizeof(bytes));
    return out;
}

apr_status_t ctn_accounts_set_tenant(PGconn *conn, const char *business_id)
{
    const char *params[1] = {business_id ? business_id : ""};
    PGresult *res = PQexecParams(conn, "SELECT set_config('cortana.business_id', $1, false)", 1,
                                 NULL, params, NULL, NULL, 0);
    apr_status_t rv = PQresultStatus(res) == PGRES_TUPLES_OK ? APR_SUCCESS : APR_EGENERAL;

    if (rv != APR_SUCCESS) {
        ctn_log_err(NULL, "setting the tenant failed: %s", PQresultErrorMessage(res));
    }
    PQclear(res);
    return rv;
}

apr_status_t ctn_accounts_session_create(const char **token, const char **csrf, PGconn *conn,
                                         apr_pool_t *pool, const char *user_id,
                                         const char *business_id, const char *ip, long lifetime_s)
{
    const char *t = random_token(pool), *x = random_token(pool);
    const char *params[6] = {user_id, business_id, token_hash_param(pool, t),
                             x,       ip,          apr_psprintf(pool, "%ld", lifetime_s)};
    PGresult *res = PQexecParams(
        conn,
        "INSERT INTO sessions (user_id, business_id, token_hash, csrf_token, ip, expires_at) "
        "VALUES ($1, $2, $3::bytea, $4, $5::inet, now() + make_interval(secs => $6::int))",
        6, NULL, params, NULL, NULL, 0);
    apr_status_t rv = PQresultStatus(res) == PGRES_COMMAND_OK ? APR_SUCCESS : APR_EGENERAL;

    if (rv != APR_SUCCESS) {
        ctn_log_err(NULL, "creating a session failed: %s", PQresultErrorMessage(res));
    }
    PQclear(res);
    *token = t;
    *csrf = x;
    return rv;
}

apr_status_t ctn_accounts_session_lookup(ctn_session_t **session, PGconn *conn, apr_pool_t *pool,
                                         const char *token)
{
    /* One round trip: the session, and the connection's tenant set to its
     * business (left as it was — none — when there is no such session). */
    static const char sql[] = "SELECT s.session_id, s.user_id, s.business_id, s.csrf_token, "
                              "set_config('cortana.business_id', s.business_id::text, false) "
                              "FROM cortana_session_lookup($1::bytea) s";
    const char *params[1];
    PGresult *res = NULL;
    ctn_session_t *s;

    if (token == NULL || strlen(token) != TOKEN_CHARS ||
        strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
            TOKEN_CHARS) {
        return APR_ENOENT;
    }
    params[0] = token_hash_param(pool, token);
    if (ctn_calls_exec(&res, conn, pool, "looking up a session", PGRES_TUPLES_OK, sql, 1, params) !=
        APR_SUCCESS) {
        return APR_EGENERAL;
    }
    if (PQntuples(res) != 1) {
        return APR_ENOENT;
    }
    s = apr_pcalloc(pool, sizeof(*s));
    s->id = PQgetvalue(res, 0, 0);
    s->user_id = PQgetvalue(res, 0, 1);
    s->business_id = PQgetvalue(res, 0, 2);
    s->csrf_token = PQgetvalue(res, 0, 3);
    *session = s;
    return APR_SUCCESS;
}
