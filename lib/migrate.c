/* migrate.c: applying sql/NNN_name.sql files in order (see migrate.h). */
#include "migrate.h"

#include "log.h"

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <stdlib.h>
#include <string.h>

/* Any 64-bit number that no other user of the database takes. */
#define MIGRATE_LOCK_KEY "727465616e6f"

typedef struct migration_t {
    int version;
    const char *name;
    const char *path;
} migration_t;

static int by_version(const void *a, const void *b)
{
    return ((const migration_t *)a)->version - ((const migration_t *)b)->version;
}

/* "001_schema.sql" → 1, "schema"; 0 for names that are not migrations. */
static int parse_name(const char *file, apr_pool_t *pool, const char **name)
{
    apr_size_t n = strlen(file);
    int digits = 0;

    while (apr_isdigit(file[digits])) {
        digits++;
    }
    if (digits != 3 || file[3] != '_' || n < 9 || strcmp(file + n - 4, ".sql") != 0) {
        return 0;
    }
    *name = apr_pstrmemdup(pool, file + 4, n - 8);
    return atoi(file);
}

static apr_status_t list_migrations(apr_array_header_t **out, const char *dir, apr_pool_t *pool,
                                    const char **why)
{
    apr_dir_t *d;
    apr_finfo_t info;
    apr_array_header_t *list = apr_array_make(pool, 8, sizeof(migration_t));
    apr_status_t rv = apr_dir_open(&d, dir, pool);

    if (rv != APR_SUCCESS) {
        *why = apr_psprintf(pool, "cannot read the migrations directory %s", dir);
        return rv;
    }
    while (apr_dir_read(&info, APR_FINFO_NAME | APR_FINFO_TYPE, d) == APR_SUCCESS) {
        const char *name;
        int version = info.filetype == APR_REG ? parse_name(info.name, pool, &name) : 0;
        if (version > 0) {
            migration_t *m = apr_array_push(list);
            m->version = version;
            m->name = name;
            m->path = apr_pstrcat(pool, dir, "/", info.name, NULL);
        }
    }
    apr_dir_close(d);
    qsort(list->elts, (size_t)list->nelts, sizeof(migration_t), by_version);
    for (int i = 1; i < list->nelts; i++) {
        if (((migration_t *)list->elts)[i].version == ((migration_t *)list->elts)[i - 1].version) {
            *why = apr_psprintf(pool, "two migrations have version %d",
                                ((migration_t *)list->elts)[i].version);
            return APR_EINVAL;
        }
    }
    *out = list;
    return APR_SUCCESS;
}

static apr_status_t exec(PGconn *conn, const char *sql, apr_pool_t *pool, const char **why)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    apr_status_t rv = APR_SUCCESS;

    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        *why = apr_pstrdup(pool, PQresultErrorMessage(res));
        rv = APR_EGENERAL;
    }
    PQclear(res);
    return rv;
}

static int already_applied(PGconn *conn, int version)
{
    char v[16];
    const char *params[1] = {v};
    PGresult *res;
    int found;

    apr_snprintf(v, sizeof(v), "%d", version);
    res = PQexecParams(conn, "SELECT 1 FROM schema_migrations WHERE version = $1::int", 1, NULL,
                       params, NULL, NULL, 0);
    found = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
    PQclear(res);
    return found;
}

static apr_status_t apply_one(PGconn *conn, const migration_t *m, apr_pool_t *pool, int *applied,
                              const char **why)
{
    char *sql;
    apr_size_t len;
    apr_file_t *f;
    apr_finfo_t info;
    char v[16];
    const char *params[2] = {v, m->name};
    PGresult *res;
    apr_status_t rv;

    if ((rv = exec(conn, "BEGIN", pool, why)) != APR_SUCCESS ||
        (rv = exec(conn, "SELECT pg_advisory_xact_lock(x'" MIGRATE_LOCK_KEY "'::bigint)", pool,
                   why)) != APR_SUCCESS) {
        return rv;
    }
    if (already_applied(conn, m->version)) {
        return exec(conn, "COMMIT", pool, why);
    }
    if ((rv = apr_file_open(&f, m->path, APR_FOPEN_READ, APR_OS_DEFAULT, pool)) != APR_SUCCESS ||
        (rv = apr_file_info_get(&info, APR_FINFO_SIZE, f)) != APR_SUCCESS) {
        *why = apr_psprintf(pool, "cannot read %s", m->path);
        goto rollback;
    }
    len = (apr_size_t)info.size;
    sql = apr_palloc(pool, len + 1);
    rv = apr_file_read_full(f, sql, len, &len);
    apr_file_close(f);
    if (rv != APR_SUCCESS) {
        *why = apr_psprintf(pool, "cannot read %s", m->path);
        goto rollback;
    }
    sql[len] = '\0';
    if ((rv = exec(conn, sql, pool, why)) != APR_SUCCESS) {
        *why = apr_psprintf(pool, "%s: %s", m->path, *why);
        goto rollback;
    }
    apr_snprintf(v, sizeof(v), "%d", m->version);
    res = PQexecParams(conn, "INSERT INTO schema_migrations (version, name) VALUES ($1::int, $2)",
                       2, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        *why = apr_pstrdup(pool, PQresultErrorMessage(res));
        PQclear(res);
        rv = APR_EGENERAL;
        goto rollback;
    }
    PQclear(res);
    if ((rv = exec(conn, "COMMIT", pool, why)) == APR_SUCCESS) {
        ctn_log_notice(NULL, "applied migration %03d_%s", m->version, m->name);
        (*applied)++;
    }
    return rv;
rollback:
    PQclear(PQexec(conn, "ROLLBACK"));
    return rv;
}

apr_status_t ctn_migrate_apply(PGconn *conn, const char *sql_dir, apr_pool_t *pool, int *applied,
                               const char **why)
{
    apr_array_header_t *list;
    apr_status_t rv;

    *applied = 0;
    if ((rv = list_migrations(&list, sql_dir, pool, why)) != APR_SUCCESS) {
        return rv;
    }
    rv = exec(conn,
              "SET client_min_messages = warning; "
              "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
              "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
              pool, why);
    for (int i = 0; rv == APR_SUCCESS && i < list->nelts; i++) {
        rv = apply_one(conn, &((migration_t *)list->elts)[i], pool, applied, why);
    }
    return rv;
}

apr_status_t ctn_migrate_version(PGconn *conn, int *version)
{
    PGresult *res = PQexec(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations");
    apr_status_t rv = APR_SUCCESS;

    *version = 0;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        *version = atoi(PQgetvalue(res, 0, 0));
    } else if (strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE)
                          ? PQresultErrorField(res, PG_DIAG_SQLSTATE)
                          : "",
                      "42P01") != 0) {
        rv = APR_EGENERAL; /* anything but "no such table" */
    }
    PQclear(res);
    return rv;
}
