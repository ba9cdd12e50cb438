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

/* The argon2id hash (interactive limits) of a random password that was
 * thrown away: checking a log-in for an unknown e-mail address against it
 * takes as long as checking a known address, and can never succeed. A
 * constant, so threads share it without any initialisation race. */
static const char dummy_hash[crypto_pwhash_STRBYTES] =
    "$argon2id$v=19$m=65536,t=2,p=1$YtwRZ5EKQR1GuV3snbyeiw$"
    "Kh9+qrnvn5/qdGKL5a+W1k02kpW/M9HEyyQ4B9vTtrw";

int ctn_accounts_password_ok(const char *hash, const char *password)
{
    if (hash == NULL) {
        /* The same work as a real check, and always a refusal. */
        if (crypto_pwhash_str_verify(dummy_hash, password, strlen(password)) == 0) {
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

apr_status_t ctn_accounts_session_rotate(const char **token, PGconn *conn, apr_pool_t *pool,
                                         const char *session_id)
{
    const char *t = random_token(pool);
    const char *params[2] = {session_id, token_hash_param(pool, t)};
    PGresult *res = PQexecParams(conn, "UPDATE sessions SET token_hash = $2::bytea WHERE id = $1",
                                 2, NULL, params, NULL, NULL, 0);
    apr_status_t rv = APR_EGENERAL;

    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        ctn_log_err(NULL, "rotating a session's token failed: %s", PQresultErrorMessage(res));
    } else {
        rv = strcmp(PQcmdTuples(res), "1") == 0 ? APR_SUCCESS : APR_ENOENT;
    }
    PQclear(res);
    *token = t;
    return rv;
}

static apr_status_t clear_result(void *res)
{
    PQclear(res);
    return APR_SUCCESS;
}

/* cortana_api_session (sql/009) as a prepared statement; see accounts.h. */
static PGresult *session_query(PGconn *conn, const char *hash_param)
{
    static const char sql[] = "SELECT session_id, user_id, business_id, csrf_token "
                              "FROM cortana_api_session($1::bytea)";
    const char *params[1] = {hash_param};
    PGresult *res = ctn_calls_exec_prepared(conn, sql, 1, params);

    if (PQresultStatus(res) != PGRES_TUPLES_OK && PQstatus(conn) == CONNECTION_BAD) {
        /* A pooled connection whose server went away shows it here first
         * (the request's first statement): one retry on a fresh connection,
         * which has no prepared statements yet. */
        PQclear(res);
        PQreset(conn);
        res = ctn_calls_exec_prepared(conn, sql, 1, params);
    }
    return res;
}

apr_status_t ctn_accounts_session_lookup(ctn_session_t **session, PGconn *conn, apr_pool_t *pool,
                                         const char *token)
{
    PGresult *res;
    ctn_session_t *s;

    if (token == NULL || strlen(token) != TOKEN_CHARS ||
        strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
            TOKEN_CHARS) {
        return ctn_accounts_set_tenant(conn, NULL) == APR_SUCCESS ? APR_ENOENT : APR_EGENERAL;
    }
    res = session_query(conn, token_hash_param(pool, token));
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        ctn_log_err(NULL, "looking up a session failed: %s",
                    res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
        PQclear(res);
        return APR_EGENERAL;
    }
    apr_pool_cleanup_register(pool, res, clear_result, apr_pool_cleanup_null);
    if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
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
