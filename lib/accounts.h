/* accounts.h: owners' passwords and sessions.
 *
 * Passwords are hashed with libsodium's argon2id at its interactive limits.
 * A session is a random 256-bit token given to the browser in a cookie;
 * the database keeps only its BLAKE2b hash, so a copy of the sessions table
 * logs nobody in. Each session carries its own CSRF token, which
 * state-changing requests must echo in a header. */
#ifndef CTN_ACCOUNTS_H
#define CTN_ACCOUNTS_H

#include <apr_pools.h>
#include <libpq-fe.h>

/* Password lengths accepted, in characters (not bytes), by sign-up, a change
 * and cortana-admin. */
#define CTN_PASSWORD_MIN 10
#define CTN_PASSWORD_MAX 256

typedef struct ctn_session_t {
    const char *id, *user_id, *business_id, *csrf_token;
} ctn_session_t;

/* argon2id hash of `password` (pool string). APR_ENOMEM when libsodium
 * could not get the memory. Costs ~50 ms of CPU: never on an event loop. */
apr_status_t ctn_accounts_hash_password(const char **hash, apr_pool_t *pool, const char *password);

/* 1 when `password` matches `hash`. `hash` NULL compares against a fixed
 * dummy hash, so an unknown account costs as much time as a known one. */
int ctn_accounts_password_ok(const char *hash, const char *password);

/* Start a session for `user_id` of `business_id` (the connection's tenant
 * must be that business). `*token` is the cookie value (43 characters,
 * base64url), `*csrf` the CSRF token. */
apr_status_t ctn_accounts_session_create(const char **token, const char **csrf, PGconn *conn,
                                         apr_pool_t *pool, const char *user_id,
                                         const char *business_id, const char *ip, long lifetime_s);

/* A new token for the session `session_id` (the connection's tenant must be
 * its business): the old token stops working, the CSRF token and the expiry
 * stay. `*token` is the new cookie value. APR_ENOENT when the session is
 * gone. */
apr_status_t ctn_accounts_session_rotate(const char **token, PGconn *conn, apr_pool_t *pool,
                                         const char *session_id);

/* The live session of `token`, with the connection's tenant set to its
 * business in the same round trip (one prepared statement); APR_ENOENT
 * when unknown or expired, also for a token of the wrong shape, and then
 * the tenant is set to none. So it may be the first statement on a
 * connection checked out with CTN_DB_TENANT_BY_CALLER: whatever tenant the
 * connection's last user left is replaced either way, and a connection
 * whose server went away is reset and the lookup tried once more. Strings
 * live as long as `pool`. */
apr_status_t ctn_accounts_session_lookup(ctn_session_t **session, PGconn *conn, apr_pool_t *pool,
                                         const char *token);

/* Set the connection's tenant (RLS) to `business_id`. */
apr_status_t ctn_accounts_set_tenant(PGconn *conn, const char *business_id);

#endif
