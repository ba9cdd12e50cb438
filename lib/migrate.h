/* migrate.h: numbered schema migrations (sql/NNN_name.sql).
 *
 * Each file is applied once, in order, inside its own transaction, and
 * recorded in schema_migrations; a transaction-scoped advisory lock makes
 * two concurrent runs safe. Run as the database owner (cortana-admin). */
#ifndef CTN_MIGRATE_H
#define CTN_MIGRATE_H

#include <apr_pools.h>
#include <libpq-fe.h>

/* Apply the migrations of `sql_dir` not yet applied. `*applied` gets how
 * many were. On failure `*why` names the file and PostgreSQL's message and
 * nothing of that file remains. */
apr_status_t ctn_migrate_apply(PGconn *conn, const char *sql_dir, apr_pool_t *pool, int *applied,
                               const char **why);

/* The highest applied version; 0 when none (or no schema_migrations). */
apr_status_t ctn_migrate_version(PGconn *conn, int *version);

#endif
