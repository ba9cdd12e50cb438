/* db.h: a pool of PostgreSQL connections, with the tenant set for RLS.
 *
 * An apr_reslist of PGconn. Acquiring checks the connection's health
 * (reconnecting once when the server went away) and always sets the
 * connection's tenant (cortana.business_id, '' for none) so that row-level
 * security shows only that business's rows; a connection left inside a
 * transaction or broken is closed rather than reused. Thread-safe: httpd's
 * worker threads share one pool per process and get its connections in the
 * order they asked, waiting at most 5 s. */
#ifndef CTN_DB_H
#define CTN_DB_H

#include <apr_pools.h>
#include <apr_time.h>
#include <libpq-fe.h>

typedef struct ctn_db_pool_t ctn_db_pool_t;
typedef struct ctn_db_t ctn_db_t;

/* Validate `conninfo` (libpq keyword string or URI) and create the pool in
 * `pool`. Connections are opened lazily; `min` of them are kept open.
 * APR_EINVAL with `*why` when the conninfo does not parse. */
apr_status_t ctn_db_pool_create(ctn_db_pool_t **dbpool, apr_pool_t *pool, const char *conninfo,
                                int min, int smax, int hmax, apr_interval_time_t ttl);

/* Check out a connection with the tenant set to `business_id` (NULL: no
 * tenant). On failure the reason is kept for ctn_db_pool_error.
 *
 * CTN_DB_TENANT_BY_CALLER instead of a business id saves that round trip:
 * the connection comes with whatever tenant its last user left, and the
 * caller's first statement must set the tenant unconditionally before
 * anything else runs (ctn_business_id_by_number and ctn_calls_turn_load do;
 * they also reconnect once when the connection turns out dead). */
apr_status_t ctn_db_acquire(ctn_db_t **db, ctn_db_pool_t *dbpool, const char *business_id);
extern const char ctn_db_tenant_by_caller[];
#define CTN_DB_TENANT_BY_CALLER ctn_db_tenant_by_caller

/* Change the tenant of a checked-out connection. */
apr_status_t ctn_db_set_tenant(ctn_db_t *db, const char *business_id);

/* Return the connection (closed instead when unhealthy or inside a
 * transaction). Its tenant is reset by the next ctn_db_acquire. */
void ctn_db_release(ctn_db_pool_t *dbpool, ctn_db_t *db);

PGconn *ctn_db_conn(ctn_db_t *db);

/* The last connection error of the pool (never contains a password). */
const char *ctn_db_pool_error(ctn_db_pool_t *dbpool);

/* A pointer the caller may attach to a checked-out connection. */
void ctn_db_set_owner(ctn_db_t *db, void *owner);
void *ctn_db_owner(ctn_db_t *db);

/* Open a single connection outside any pool (tools). `*why` on failure. */
apr_status_t ctn_db_connect(PGconn **conn, apr_pool_t *pool, const char *conninfo,
                            const char **why);

#endif
