/* db.c: the PostgreSQL connection pool (see db.h). */
#include "db.h"

#include "log.h"

#include <apr_reslist.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

/* Statements that run longer than this are cancelled by the server: a phone
 * call cannot wait on a runaway query. */
#define DB_STATEMENT_TIMEOUT "5s"
#define DB_CONNECT_TIMEOUT   "3"

/* How long a request waits for a connection before it gives up. */
#define DB_WAIT_SECONDS 5

struct ctn_db_t {
    PGconn *conn;
    void *owner;
};

/* Connections are handed out first come, first served. The reslist alone
 * lets a thread that arrives just as a connection comes back take it ahead
 * of the threads already waiting, and wakes waiters in no particular order:
 * flat out, with far more requests than connections, some waited twenty
 * times the median. The line admits as many requests as the pool has
 * connections and hands each place given back to the longest waiter. */
typedef struct waiter_t {
    pthread_cond_t cond;
    int admitted;
    struct waiter_t *next;
} waiter_t;

typedef struct line_t {
    pthread_mutex_t lock;
    int free;              /* places nobody holds or waits for */
    waiter_t *head, *tail; /* waiters, oldest first */
} line_t;

struct ctn_db_pool_t {
    apr_pool_t *pool;
    apr_reslist_t *list;
    const char *conninfo;
    apr_thread_mutex_t *lock; /* guards last_error */
    char last_error[256];
    line_t line;
};

static apr_status_t line_destroy(void *data)
{
    pthread_mutex_destroy(&((line_t *)data)->lock);
    return APR_SUCCESS;
}

static apr_status_t line_init(line_t *l, int places, apr_pool_t *pool)
{
    int rc = pthread_mutex_init(&l->lock, NULL);

    if (rc != 0) {
        return rc;
    }
    l->free = places;
    l->head = l->tail = NULL;
    apr_pool_cleanup_register(pool, l, line_destroy, apr_pool_cleanup_null);
    return APR_SUCCESS;
}

/* A place back: to the oldest waiter, else free. */
static void line_leave(line_t *l)
{
    waiter_t *w;

    pthread_mutex_lock(&l->lock);
    if ((w = l->head) != NULL) {
        l->head = w->next;
        if (l->head == NULL) {
            l->tail = NULL;
        }
        w->admitted = 1;
        pthread_cond_signal(&w->cond);
    } else {
        l->free++;
    }
    pthread_mutex_unlock(&l->lock);
}

/* `w` out of the line (it gave up waiting). */
static void line_drop(line_t *l, waiter_t *w)
{
    waiter_t **p = &l->head, *prev = NULL;

    while (*p && *p != w) {
        prev = *p;
        p = &(*p)->next;
    }
    if (*p) {
        *p = w->next;
        if (l->tail == w) {
            l->tail = prev;
        }
    }
}

/* A place, waiting behind earlier arrivals for at most DB_WAIT_SECONDS
 * (APR_TIMEUP). */
static apr_status_t line_enter(line_t *l)
{
    waiter_t w = {.admitted = 0, .next = NULL};
    pthread_condattr_t attr;
    struct timespec deadline;
    apr_status_t rv = APR_SUCCESS;

    pthread_mutex_lock(&l->lock);
    if (l->free > 0 && l->head == NULL) {
        l->free--;
        pthread_mutex_unlock(&l->lock);
        return APR_SUCCESS;
    }
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w.cond, &attr);
    pthread_condattr_destroy(&attr);
    if (l->tail) {
        l->tail->next = &w;
    } else {
        l->head = &w;
    }
    l->tail = &w;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += DB_WAIT_SECONDS;
    while (!w.admitted) {
        if (pthread_cond_timedwait(&w.cond, &l->lock, &deadline) == ETIMEDOUT && !w.admitted) {
            line_drop(l, &w);
            rv = APR_TIMEUP;
            break;
        }
    }
    pthread_mutex_unlock(&l->lock);
    pthread_cond_destroy(&w.cond);
    return rv;
}

static void remember_error(ctn_db_pool_t *p, const char *message)
{
    apr_thread_mutex_lock(p->lock);
    apr_cpystrn(p->last_error, message ? message : "unknown error", sizeof(p->last_error));
    for (char *c = p->last_error; *c; c++) {
        if (*c == '\n') {
            *c = ' ';
        }
    }
    apr_thread_mutex_unlock(p->lock);
}

const char *ctn_db_pool_error(ctn_db_pool_t *p)
{
    return p->last_error[0] ? p->last_error : "no error";
}

static apr_status_t connect_one(PGconn **out, const char *conninfo, char *err, apr_size_t errlen)
{
    const char *keys[] = {"dbname", "application_name", "connect_timeout", "options", NULL};
    /* synchronous_commit stays on (the server's default): once Twilio has
     * our answer to a turn it never sends that turn again, so a commit
     * acknowledged before it is on disk could lose transcript lines and
     * dialog state with no trace on a PostgreSQL crash. A turn writes once
     * (one commit), which keeps the cost to one WAL flush per turn.
     *
     * Generic plans: the statements are prepared once per connection (see
     * calls.c) and are all small index lookups whose best plan does not
     * depend on the parameters; with the default plan_cache_mode PostgreSQL
     * kept planning most of them afresh on each execution (the row-level
     * security quals make the generic plan look no cheaper), which was a
     * quarter of its CPU per call turn. */
    const char *values[] = {conninfo, "cortana", DB_CONNECT_TIMEOUT,
                            "-c statement_timeout=" DB_STATEMENT_TIMEOUT
                            " -c plan_cache_mode=force_generic_plan",
                            NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 1);

    if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
        apr_cpystrn(err, conn ? PQerrorMessage(conn) : "out of memory", errlen);
        PQfinish(conn);
        return APR_ECONNREFUSED;
    }
    *out = conn;
    return APR_SUCCESS;
}

static apr_status_t db_construct(void **resource, void *params, apr_pool_t *pool)
{
    ctn_db_pool_t *p = params;
    ctn_db_t *db = apr_pcalloc(pool, sizeof(*db));
    char err[256];
    apr_status_t rv = connect_one(&db->conn, p->conninfo, err, sizeof(err));

    if (rv != APR_SUCCESS) {
        remember_error(p, err);
        return rv;
    }
    *resource = db;
    return APR_SUCCESS;
}

static apr_status_t db_destruct(void *resource, void *params, apr_pool_t *pool)
{
    ctn_db_t *db = resource;

    PQfinish(db->conn);
    db->conn = NULL;
    return APR_SUCCESS;
}

/* The pool's copy of the conninfo holds the database password, if any. */
static apr_status_t conninfo_wipe(void *conninfo)
{
    sodium_memzero(conninfo, strlen(conninfo));
    return APR_SUCCESS;
}

apr_status_t ctn_db_pool_create(ctn_db_pool_t **out, apr_pool_t *pool, const char *conninfo,
                                int min, int smax, int hmax, apr_interval_time_t ttl)
{
    ctn_db_pool_t *p = apr_pcalloc(pool, sizeof(*p));
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &errmsg);
    apr_status_t rv;

    if (opts == NULL) {
        ctn_log_err(NULL, "invalid database connection string: %s", errmsg ? errmsg : "?");
        PQfreemem(errmsg);
        return APR_EINVAL;
    }
    PQconninfoFree(opts);
    p->pool = pool;
    p->conninfo = apr_pstrdup(pool, conninfo);
    apr_pool_cleanup_register(pool, (void *)p->conninfo, conninfo_wipe, apr_pool_cleanup_null);
    if ((rv = apr_thread_mutex_create(&p->lock, APR_THREAD_MUTEX_DEFAULT, pool)) != APR_SUCCESS ||
        (rv = line_init(&p->line, hmax, pool)) != APR_SUCCESS) {
        return rv;
    }
    rv = apr_reslist_create(&p->list, min, smax, hmax, ttl, db_construct, db_destruct, p, pool);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    apr_reslist_timeout_set(p->list, apr_time_from_sec(DB_WAIT_SECONDS));
    *out = p;
    return APR_SUCCESS;
}

static apr_status_t run(ctn_db_t *db, const char *sql, int nparams, const char *const *params)
{
    PGresult *res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);

    PQclear(res);
    return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK ? APR_SUCCESS : APR_EGENERAL;
}

apr_status_t ctn_db_set_tenant(ctn_db_t *db, const char *business_id)
{
    const char *params[1] = {business_id ? business_id : ""};

    return run(db, "SELECT set_config('cortana.business_id', $1, false)", 1, params);
}

const char ctn_db_tenant_by_caller[] = "";

static apr_status_t acquire_admitted(ctn_db_t **out, ctn_db_pool_t *p, const char *business_id);

apr_status_t ctn_db_acquire(ctn_db_t **out, ctn_db_pool_t *p, const char *business_id)
{
    apr_status_t rv = line_enter(&p->line);

    if (rv != APR_SUCCESS) {
        return rv; /* busy, not broken: no error to remember */
    }
    if ((rv = acquire_admitted(out, p, business_id)) != APR_SUCCESS) {
        line_leave(&p->line);
    }
    return rv;
}

/* The checkout proper, once the line has given this request a place. */
static apr_status_t acquire_admitted(ctn_db_t **out, ctn_db_pool_t *p, const char *business_id)
{
    ctn_db_t *db = NULL;
    apr_status_t rv = apr_reslist_acquire(p->list, (void **)&db);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (PQstatus(db->conn) != CONNECTION_OK) {
        /* The server restarted or dropped us: one reconnection attempt. */
        PQreset(db->conn);
        if (PQstatus(db->conn) != CONNECTION_OK) {
            remember_error(p, PQerrorMessage(db->conn));
            apr_reslist_invalidate(p->list, db);
            return APR_ECONNREFUSED;
        }
    }
    if (business_id != ctn_db_tenant_by_caller &&
        (rv = ctn_db_set_tenant(db, business_id)) != APR_SUCCESS) {
        /* A dead socket shows up here first; retry once on a fresh connection. */
        PQreset(db->conn);
        if (PQstatus(db->conn) != CONNECTION_OK ||
            (rv = ctn_db_set_tenant(db, business_id)) != APR_SUCCESS) {
            remember_error(p, PQerrorMessage(db->conn));
            apr_reslist_invalidate(p->list, db);
            return APR_ECONNREFUSED;
        }
    }
    db->owner = NULL;
    *out = db;
    return APR_SUCCESS;
}

void ctn_db_release(ctn_db_pool_t *p, ctn_db_t *db)
{
    /* No round trip to clear the tenant: every acquisition sets it first
     * (to '' when there is none), or its user's first statement does
     * (CTN_DB_TENANT_BY_CALLER), so a released connection's tenant is never
     * seen by its next user. */
    if (PQstatus(db->conn) != CONNECTION_OK || PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
        apr_reslist_invalidate(p->list, db);
    } else {
        db->owner = NULL;
        apr_reslist_release(p->list, db);
    }
    line_leave(&p->line);
}

PGconn *ctn_db_conn(ctn_db_t *db)
{
    return db->conn;
}

void ctn_db_set_owner(ctn_db_t *db, void *owner)
{
    db->owner = owner;
}

void *ctn_db_owner(ctn_db_t *db)
{
    return db->owner;
}

static apr_status_t finish_conn(void *conn)
{
    PQfinish(conn);
    return APR_SUCCESS;
}

apr_status_t ctn_db_connect(PGconn **conn, apr_pool_t *pool, const char *conninfo, const char **why)
{
    char err[256];
    apr_status_t rv = connect_one(conn, conninfo, err, sizeof(err));

    if (rv != APR_SUCCESS) {
        *why = apr_pstrdup(pool, err);
        return rv;
    }
    apr_pool_cleanup_register(pool, *conn, finish_conn, apr_pool_cleanup_null);
    return APR_SUCCESS;
}
