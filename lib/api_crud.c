/* api_crud.c: rows of one table as JSON resources (see api.h).
 *
 * PostgreSQL renders the JSON (row_to_json, json_agg), so a resource is
 * read, filtered by row-level security and serialised in one statement.
 * Statements are assembled from the table's static description and the
 * names of members the schema validator already accepted; every value is a
 * parameter. */
#include "api.h"

#include "api_schema.h"

#include <apr_strings.h>
#include <string.h>

static int not_found(ctn_api_ctx_t *c)
{
    return ctn_api_error(c, 404, "not_found", "no such resource", NULL);
}

static int reply_row(ctn_api_ctx_t *c, int status, const char *sql, int n, const char **params)
{
    const char *json = NULL;
    int err = ctn_api_query_json(c, &json, sql, n, params);

    if (err) {
        return err;
    }
    return json ? ctn_api_json(c, status, json) : not_found(c);
}

int ctn_api_crud_list(ctn_api_ctx_t *c, const ctn_api_table_t *t)
{
    const char *sql = apr_psprintf(c->pool,
                                   "SELECT json_build_object('items', coalesce(json_agg(r), "
                                   "'[]'))::text FROM (SELECT %s FROM %s ORDER BY %s) r",
                                   t->columns, t->table, t->order);

    return reply_row(c, 200, sql, 0, NULL);
}

int ctn_api_crud_get(ctn_api_ctx_t *c, const ctn_api_table_t *t, const char *id)
{
    const char *params[1] = {id};

    if (!ctn_api_is_uuid(id)) {
        return not_found(c);
    }
    return reply_row(c, 200,
                     apr_psprintf(c->pool,
                                  "SELECT row_to_json(r)::text FROM (SELECT %s FROM %s "
                                  "WHERE id = $1) r",
                                  t->columns, t->table),
                     1, params);
}

static int is_merged(const ctn_api_table_t *t, const char *name)
{
    for (const char *const *m = t->merged; m && *m; m++) {
        if (strcmp(*m, name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The body's members as parameters, in `params` from index `first`. */
static int body_params(ctn_api_ctx_t *c, const char **names, const char **params, int first)
{
    int n = 0;

    json_object_object_foreach(c->body, key, value)
    {
        names[n] = key;
        params[first + n] = ctn_api_param(c->pool, value);
        n++;
    }
    return n;
}

int ctn_api_crud_create(ctn_api_ctx_t *c, const ctn_api_table_t *t)
{
    int n = json_object_object_length(c->body);
    const char **names = apr_pcalloc(c->pool, sizeof(char *) * (n + 1));
    const char **params = apr_pcalloc(c->pool, sizeof(char *) * (n + 1));
    char *cols = "business_id", *vals = "cortana_tenant()";

    n = body_params(c, names, params, 0);
    for (int i = 0; i < n; i++) {
        cols = apr_pstrcat(c->pool, cols, ", ", names[i], NULL);
        vals = apr_psprintf(c->pool, "%s, $%d", vals, i + 1);
    }
    return reply_row(c, 201,
                     apr_psprintf(c->pool,
                                  "WITH r AS (INSERT INTO %s (%s) VALUES (%s) RETURNING %s) "
                                  "SELECT row_to_json(r)::text FROM r",
                                  t->table, cols, vals, t->columns),
                     n, params);
}

int ctn_api_crud_update(ctn_api_ctx_t *c, const ctn_api_table_t *t, const char *id)
{
    int n = c->body ? json_object_object_length(c->body) : 0;
    const char **names = apr_pcalloc(c->pool, sizeof(char *) * (n + 1));
    const char **params = apr_pcalloc(c->pool, sizeof(char *) * (n + 2));
    char *set = NULL;

    if (id && !ctn_api_is_uuid(id)) {
        return not_found(c);
    }
    if (n == 0) {
        return id ? ctn_api_crud_get(c, t, id)
                  : reply_row(c, 200,
                              apr_psprintf(c->pool,
                                           "SELECT row_to_json(r)::text FROM (SELECT %s FROM %s "
                                           "WHERE id = cortana_tenant()) r",
                                           t->columns, t->table),
                              0, NULL);
    }
    n = body_params(c, names, params, 1);
    for (int i = 0; i < n; i++) {
        const char *one =
            is_merged(t, names[i])
                ? apr_psprintf(c->pool, "%s = %s || $%d::jsonb", names[i], names[i], i + 2)
                : apr_psprintf(c->pool, "%s = $%d", names[i], i + 2);
        set = set ? apr_pstrcat(c->pool, set, ", ", one, NULL) : (char *)one;
    }
    if (t->has_updated_at) {
        set = apr_pstrcat(c->pool, set, ", updated_at = now()", NULL);
    }
    params[0] = id;
    return reply_row(c, 200,
                     apr_psprintf(c->pool,
                                  "WITH r AS (UPDATE %s SET %s WHERE id = %s RETURNING %s) "
                                  "SELECT row_to_json(r)::text FROM r",
                                  t->table, set,
                                  id ? "$1::uuid"
                                     : "coalesce($1::uuid, "
                                       "cortana_tenant())",
                                  t->columns),
                     n + 1, params);
}

int ctn_api_crud_delete(ctn_api_ctx_t *c, const ctn_api_table_t *t, const char *id)
{
    const char *params[1] = {id};
    int affected = 0, err;

    if (!ctn_api_is_uuid(id)) {
        return not_found(c);
    }
    err = ctn_api_exec(c, &affected,
                       apr_psprintf(c->pool, "DELETE FROM %s WHERE id = $1", t->table), 1, params);
    if (err) {
        return err;
    }
    return affected ? ctn_api_json(c, 204, NULL) : not_found(c);
}
