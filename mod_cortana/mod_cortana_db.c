/* mod_cortana_db.c: one PostgreSQL connection pool per httpd child.
 *
 * Pools are created at child_init on the child's pool, one per distinct
 * CortanaDatabase (vhosts that inherit the main server's share its pool).
 * They start empty, so a database that is down when httpd starts costs
 * nothing until a request needs it, and a request then gets a clear error.
 * A checked-out connection is bound to the request's pool: it returns to the
 * pool (tenant cleared) when the request ends, even on an error path. */
#include "mod_cortana.h"
#include "mod_cortana_config.h"

#include "db.h"
#include "metrics.h"

#include <apr_hash.h>
#include <apr_strings.h>

/* Connections are closed after this long idle in the pool. */
#define DB_IDLE_TTL apr_time_from_sec(60)

/* conninfo -> ctn_db_pool_t *, this child's pools. */
static apr_hash_t *pools;

typedef struct checkout_t {
    ctn_db_pool_t *pool;
    ctn_db_t *db;
    apr_pool_t *owner;
} checkout_t;

static void db_child_init(apr_pool_t *pchild, server_rec *s)
{
    pools = apr_hash_make(pchild);
    for (server_rec *vs = s; vs; vs = vs->next) {
        ctn_server_conf_t *conf = ctn_config_get(vs);
        ctn_db_pool_t *pool;
        apr_status_t rv;

        if (conf->database == NULL || apr_hash_get(pools, conf->database, APR_HASH_KEY_STRING)) {
            continue;
        }
        rv = ctn_db_pool_create(&pool, pchild, conf->database, 0, conf->db_pool_max,
                                conf->db_pool_max, DB_IDLE_TTL);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, vs, "cannot create the database pool");
            continue;
        }
        apr_hash_set(pools, conf->database, APR_HASH_KEY_STRING, pool);
    }
}

static apr_status_t checkout_cleanup(void *data)
{
    checkout_t *co = data;

    if (co->db != NULL) {
        ctn_db_release(co->pool, co->db);
        co->db = NULL;
        ctn_metrics_gauge_add(ctn_health_metrics(), CTN_GAUGE_DB_IN_USE, -1);
    }
    return APR_SUCCESS;
}

apr_status_t ctn_mod_db_acquire(ctn_db_t **db, server_rec *s, const char *business_id,
                                apr_pool_t *pool)
{
    ctn_server_conf_t *conf = ctn_config_get(s);
    ctn_db_pool_t *dbpool;
    checkout_t *co;
    apr_status_t rv;

    *db = NULL;
    if (conf->database == NULL || pools == NULL) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "no database: CortanaDatabase is not set");
        return APR_EGENERAL;
    }
    dbpool = apr_hash_get(pools, conf->database, APR_HASH_KEY_STRING);
    if (dbpool == NULL) {
        return APR_EGENERAL; /* creation failed at child_init and was logged */
    }
    co = apr_pcalloc(pool, sizeof(*co));
    co->pool = dbpool;
    co->owner = pool;
    rv = ctn_db_acquire(&co->db, dbpool, business_id);
    if (rv == APR_TIMEUP) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     "no database connection came free in time: every one of this child's "
                     "CortanaDatabasePoolMax %d was busy",
                     conf->db_pool_max);
        ctn_metrics_counter_add(ctn_health_metrics(), CTN_COUNTER_DB_ERRORS, 1);
        return rv;
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "database unavailable: %s",
                     ctn_db_pool_error(dbpool));
        ctn_metrics_counter_add(ctn_health_metrics(), CTN_COUNTER_DB_ERRORS, 1);
        return rv;
    }
    ctn_metrics_gauge_add(ctn_health_metrics(), CTN_GAUGE_DB_IN_USE, 1);
    ctn_db_set_owner(co->db, co);
    apr_pool_cleanup_register(pool, co, checkout_cleanup, apr_pool_cleanup_null);
    *db = co->db;
    return APR_SUCCESS;
}

void ctn_mod_db_release(ctn_db_t *db)
{
    checkout_t *co = ctn_db_owner(db);

    if (co != NULL) {
        apr_pool_cleanup_run(co->owner, co, checkout_cleanup);
    }
}

void ctn_mod_db_register_hooks(apr_pool_t *p)
{
    ap_hook_child_init(db_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}
