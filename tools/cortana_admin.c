/* cortana_admin.c: cortana-admin, the operator's command line.
 *
 *   cortana-admin migrate [--database CONNINFO] [--sql-dir DIR]
 *   cortana-admin create-business --name N --phone +E164 [--timezone TZ]
 *                 --owner-email E --owner-password-file F [--database CONNINFO]
 *   cortana-admin reset-password --email E --password-file F [--database CONNINFO]
 *   cortana-admin version
 *   cortana-admin [COMMAND] --help
 *
 * The database defaults to $CORTANA_PGURI: the OWNER role (it sees every
 * tenant), never the RLS-bound application role. Exit status: 0 success,
 * 1 failure (with the reason on stderr), 2 bad usage. */
#include "accounts.h"
#include "api_schema.h"
#include "log.h"
#include "db.h"
#include "migrate.h"
#include "version.h"

#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_getopt.h>
#include <apr_strings.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CTN_SQLDIR
#define CTN_SQLDIR "/usr/local/share/cortana/sql"
#endif

typedef struct args_t {
    const char *database, *sql_dir, *name, *phone, *timezone, *email, *password_file;
} args_t;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: cortana-admin migrate [--database CONNINFO] [--sql-dir DIR]\n"
            "       cortana-admin create-business --name NAME --phone +E164 [--timezone TZ]\n"
            "                     --owner-email EMAIL --owner-password-file FILE\n"
            "       cortana-admin reset-password --email EMAIL --password-file FILE\n"
            "       cortana-admin version\n"
            "       cortana-admin [COMMAND] --help\n"
            "The database defaults to $CORTANA_PGURI (the owner role). A password file's first\n"
            "line is the password: %d to %d characters, as sign-up takes.\n"
            "Exit status: 0 done, 1 failed (the reason on stderr), 2 bad usage.\n",
            CTN_PASSWORD_MIN, CTN_PASSWORD_MAX);
}

static int fail(const char *what, const char *why)
{
    fprintf(stderr, "cortana-admin: %s: %s\n", what, why ? why : "failed");
    return 1;
}

static int parse_args(args_t *a, apr_pool_t *pool, int argc, const char *const *argv)
{
    static const apr_getopt_option_t opts[] = {{"database", 'd', 1, ""},
                                               {"sql-dir", 's', 1, ""},
                                               {"name", 'n', 1, ""},
                                               {"phone", 'p', 1, ""},
                                               {"timezone", 't', 1, ""},
                                               {"owner-email", 'e', 1, ""},
                                               {"email", 'e', 1, ""},
                                               {"owner-password-file", 'f', 1, ""},
                                               {"password-file", 'f', 1, ""},
                                               {"help", 'h', 0, ""},
                                               {NULL, 0, 0, NULL}};
    apr_getopt_t *g;
    int ch;
    const char *arg;
    apr_status_t rv;

    apr_getopt_init(&g, pool, argc, argv);
    g->ind = 2;
    while ((rv = apr_getopt_long(g, opts, &ch, &arg)) == APR_SUCCESS) {
        switch (ch) {
        case 'd':
            a->database = arg;
            break;
        case 's':
            a->sql_dir = arg;
            break;
        case 'n':
            a->name = arg;
            break;
        case 'p':
            a->phone = arg;
            break;
        case 't':
            a->timezone = arg;
            break;
        case 'e':
            a->email = arg;
            break;
        case 'f':
            a->password_file = arg;
            break;
        case 'h':
            return 3;
        }
    }
    if (rv != APR_EOF || g->ind != argc) {
        return 2;
    }
    if (a->database == NULL) {
        a->database = getenv("CORTANA_PGURI");
    }
    if (a->database == NULL) {
        fprintf(stderr, "cortana-admin: no database: give --database or set CORTANA_PGURI\n");
        return 2;
    }
    return 0;
}

/* The first line of a password file, under the rules of sign-up (CTN_PASSWORD_MIN
 * to CTN_PASSWORD_MAX characters); empty, too long or unreadable is an error. A line
 * longer than the buffer is read in part, and that part is already too long. */
static const char *read_password(apr_pool_t *pool, const char *path, const char **why)
{
    char line[4 * CTN_PASSWORD_MAX + 2] = "";
    const char *password = NULL;
    apr_file_t *f;
    long n;

    if (apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT, pool) != APR_SUCCESS) {
        *why = apr_psprintf(pool, "cannot read %s", path);
        return NULL;
    }
    apr_file_gets(line, sizeof(line), f);
    apr_file_close(f);
    line[strcspn(line, "\r\n")] = '\0';
    n = ctn_api_utf8_length(line);
    if (n < CTN_PASSWORD_MIN || n > CTN_PASSWORD_MAX) {
        *why = apr_psprintf(pool, "the password must have %d to %d characters", CTN_PASSWORD_MIN,
                            CTN_PASSWORD_MAX);
    } else {
        password = apr_pstrdup(pool, line);
    }
    sodium_memzero(line, sizeof(line));
    return password;
}

static const char *hash_password(apr_pool_t *pool, const char *password)
{
    const char *hash = NULL;

    return ctn_accounts_hash_password(&hash, pool, password) == APR_SUCCESS ? hash : NULL;
}

/* Why a statement failed, in words for the operator: a value another row
 * already has is named; anything else is PostgreSQL's message. */
static const char *query_error(apr_pool_t *pool, PGresult *res, const args_t *a)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);

    if (state && strcmp(state, "23505") == 0 && constraint) {
        if (strstr(constraint, "phone_number")) {
            return apr_psprintf(pool, "the phone number %s already has a business", a->phone);
        }
        if (strstr(constraint, "email")) {
            return apr_psprintf(pool, "the e-mail %s already has an account", a->email);
        }
    }
    return apr_pstrdup(pool, PQresultErrorMessage(res));
}

static PGresult *query(PGconn *conn, const char *sql, int n, const char *const *params)
{
    return PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
}

static int cmd_migrate(apr_pool_t *pool, const args_t *a)
{
    PGconn *conn;
    const char *why = NULL;
    int applied = 0, version = 0;

    if (ctn_db_connect(&conn, pool, a->database, &why) != APR_SUCCESS) {
        return fail("cannot connect", why);
    }
    if (ctn_migrate_apply(conn, a->sql_dir ? a->sql_dir : CTN_SQLDIR, pool, &applied, &why) !=
        APR_SUCCESS) {
        return fail("migration failed", why);
    }
    ctn_migrate_version(conn, &version);
    printf("migrations applied: %d, schema version: %d\n", applied, version);
    return 0;
}

static int cmd_create_business(apr_pool_t *pool, const args_t *a)
{
    PGconn *conn;
    const char *why = NULL, *password, *hash;
    PGresult *res;
    char *business_id;

    if (!a->name || !a->phone || !a->email || !a->password_file) {
        usage(stderr);
        return 2;
    }
    if ((password = read_password(pool, a->password_file, &why)) == NULL) {
        return fail("owner password", why);
    }
    if ((hash = hash_password(pool, password)) == NULL) {
        return fail("hashing the password", "out of memory");
    }
    if (ctn_db_connect(&conn, pool, a->database, &why) != APR_SUCCESS) {
        return fail("cannot connect", why);
    }
    {
        const char *p[3] = {a->name, a->phone, a->timezone ? a->timezone : "America/New_York"};
        PQclear(PQexec(conn, "BEGIN"));
        res = query(conn,
                    "INSERT INTO businesses (name, phone_number, timezone) VALUES ($1, $2, $3) "
                    "RETURNING id",
                    3, p);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            why = query_error(pool, res, a);
            PQclear(res);
            return fail("creating the business", why);
        }
        business_id = apr_pstrdup(pool, PQgetvalue(res, 0, 0));
        PQclear(res);
    }
    {
        const char *p[3] = {business_id, a->email, hash};
        res = query(conn,
                    "WITH u AS (INSERT INTO users (business_id, email, password_hash, role) "
                    "VALUES ($1, $2, $3, 'owner') RETURNING id) "
                    "UPDATE businesses SET owner_id = (SELECT id FROM u) WHERE id = $1",
                    3, p);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            why = query_error(pool, res, a);
            PQclear(res);
            return fail("creating the owner", why);
        }
        PQclear(res);
    }
    res = PQexec(conn, "COMMIT");
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        why = apr_pstrdup(pool, PQresultErrorMessage(res));
        PQclear(res);
        return fail("creating the business", why);
    }
    PQclear(res);
    printf("%s\n", business_id);
    return 0;
}

static int cmd_reset_password(apr_pool_t *pool, const args_t *a)
{
    PGconn *conn;
    const char *why = NULL, *password, *hash;
    PGresult *res;
    int updated;

    if (!a->email || !a->password_file) {
        usage(stderr);
        return 2;
    }
    if ((password = read_password(pool, a->password_file, &why)) == NULL) {
        return fail("password", why);
    }
    if ((hash = hash_password(pool, password)) == NULL) {
        return fail("hashing the password", "out of memory");
    }
    if (ctn_db_connect(&conn, pool, a->database, &why) != APR_SUCCESS) {
        return fail("cannot connect", why);
    }
    {
        const char *p[2] = {a->email, hash};
        /* Resetting a password also ends every session of that user. */
        res = query(conn,
                    "WITH u AS (UPDATE users SET password_hash = $2 WHERE lower(email) = "
                    "lower($1) RETURNING id), s AS (DELETE FROM sessions WHERE user_id IN "
                    "(SELECT id FROM u)) SELECT count(*) FROM u",
                    2, p);
    }
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        why = apr_pstrdup(pool, PQresultErrorMessage(res));
        PQclear(res);
        return fail("resetting the password", why);
    }
    updated = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    if (updated == 0) {
        return fail("resetting the password",
                    apr_psprintf(pool, "no user has the e-mail %s", a->email));
    }
    printf("password reset for %s\n", a->email);
    return 0;
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *pool;
    args_t a;
    int rc;

    apr_app_initialize(&argc, &argv, NULL);
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);
    ctn_log_set_sink(ctn_log_stderr_sink, "cortana-admin", CTN_LOG_WARNING);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "version") == 0) {
        printf("cortana-admin %s\n", CTN_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (sodium_init() < 0) {
        return fail("libsodium", "cannot initialise");
    }
    memset(&a, 0, sizeof(a));
    if ((rc = parse_args(&a, pool, argc, argv)) != 0) {
        if (rc == 3) { /* --help */
            usage(stdout);
            return 0;
        }
        if (rc == 2) {
            usage(stderr);
        }
        return rc;
    }
    if (strcmp(argv[1], "migrate") == 0) {
        return cmd_migrate(pool, &a);
    }
    if (strcmp(argv[1], "create-business") == 0) {
        return cmd_create_business(pool, &a);
    }
    if (strcmp(argv[1], "reset-password") == 0) {
        return cmd_reset_password(pool, &a);
    }
    usage(stderr);
    return 2;
}
