/* api.c: routing, authentication, validation and errors of the REST API
 * (see api.h). Resource handlers live in lib/api_<part>.c.
 *
 * Order of checks for every request, so that each failure has one answer:
 * unknown path → 404, known path with another method → 405, a query
 * parameter the route does not take or a body that is not a valid JSON
 * object of the route's schema → 400 naming the parameter or field,
 * no valid session → 401, a state-changing request without the session's
 * CSRF token → 403, then the handler. */
#include "api.h"

#include "accounts.h"
#include "api_schema.h"
#include "calls.h"
#include "db.h"
#include "form.h"
#include "json.h"
#include "log.h"

#include <apr_strings.h>
#include <sodium.h>
#include <string.h>

/* ------------------------------------------------------------- routes --- */

static const ctn_api_route_t *const route_tables[] = {
    ctn_api_account_routes, ctn_api_business_routes, ctn_api_team_routes,
    ctn_api_calls_routes,   ctn_api_kb_routes,       ctn_api_schedule_routes,
    ctn_api_insight_routes, ctn_api_test_call_routes};

#define MAX_ROUTES 96

const ctn_api_route_t *ctn_api_routes(int *n)
{
    static ctn_api_route_t all[MAX_ROUTES];
    static int count = -1;

    if (count < 0) { /* first call happens at start-up, before threads */
        int k = 0;
        for (apr_size_t t = 0; t < sizeof(route_tables) / sizeof(route_tables[0]); t++) {
            for (const ctn_api_route_t *r = route_tables[t]; r->method && k < MAX_ROUTES; r++) {
                all[k++] = *r;
            }
        }
        count = k;
    }
    *n = count;
    return all;
}

/* Match `path` against `pattern`, capturing {…} segments into args. */
static int path_matches(const char *pattern, const char *path, const char **args, int max_args,
                        apr_pool_t *pool)
{
    int nargs = 0;

    while (*pattern && *path) {
        if (*pattern == '{') {
            const char *end = strchr(path, '/');
            apr_size_t n = end ? (apr_size_t)(end - path) : strlen(path);
            if (n == 0 || nargs == max_args) {
                return 0;
            }
            args[nargs++] = apr_pstrmemdup(pool, path, n);
            path += n;
            pattern = strchr(pattern, '}') + 1;
            continue;
        }
        if (*pattern != *path) {
            return 0;
        }
        pattern++, path++;
    }
    return *pattern == '\0' && (*path == '\0' || strcmp(path, "/") == 0);
}

/* ------------------------------------------------------------ replies --- */

int ctn_api_json(ctn_api_ctx_t *c, int status, const char *json)
{
    c->resp->status = status;
    c->resp->body = json;
    return status;
}

int ctn_api_error(ctn_api_ctx_t *c, int status, const char *code, const char *message,
                  const char *field)
{
    json_object *err = json_object_new_object(), *top = json_object_new_object();

    json_object_object_add(err, "code", json_object_new_string(code));
    json_object_object_add(err, "message", json_object_new_string(message));
    json_object_object_add(err, "field", field ? json_object_new_string(field) : NULL);
    json_object_object_add(top, "error", err);
    c->resp->status = status;
    c->resp->body = ctn_json_serialize(c->pool, top);
    c->resp->log_reason = field ? apr_psprintf(c->pool, "%s: %s %s", code, field, message)
                                : apr_psprintf(c->pool, "%s: %s", code, message);
    json_object_put(top);
    return status;
}

/* ------------------------------------------------------------ queries --- */

/* The API field a constraint protects: PostgreSQL names CHECK and UNIQUE
 * constraints <table>_<column>_check / _key. A UNIQUE within the business
 * (business_id, column) is <table>_business_id_<column>_key, and
 * business_id is never a member of the API. */
static const char *constraint_field(apr_pool_t *pool, const char *table, const char *constraint)
{
    apr_size_t tn, n;
    const char *suffixes[] = {"_check", "_key", "_fkey"};

    if (table == NULL || constraint == NULL) {
        return NULL;
    }
    if (strcmp(constraint, "users_email_key") == 0) {
        return "email";
    }
    tn = strlen(table);
    if (strncmp(constraint, table, tn) != 0 || constraint[tn] != '_') {
        return NULL;
    }
    constraint += tn + 1;
    if (strncmp(constraint, "business_id_", 12) == 0) {
        constraint += 12;
    }
    n = strlen(constraint);
    for (int i = 0; i < 3; i++) {
        apr_size_t sn = strlen(suffixes[i]);
        if (n > sn && strcmp(constraint + n - sn, suffixes[i]) == 0) {
            return apr_pstrmemdup(pool, constraint, n - sn);
        }
    }
    return NULL;
}

/* An error of PostgreSQL as an API error: the caller's fault → 4xx. */
static int query_failed(ctn_api_ctx_t *c, PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *field = constraint_field(c->pool, PQresultErrorField(res, PG_DIAG_TABLE_NAME),
                                         PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME));
    const char *column = PQresultErrorField(res, PG_DIAG_COLUMN_NAME);

    if (state == NULL) {
        ctn_log_err(NULL, "API query failed: %s", PQerrorMessage(c->conn));
        return ctn_api_error(c, 503, "unavailable", "the database is unavailable", NULL);
    }
    if (strcmp(state, "23505") == 0) {
        return ctn_api_error(c, 409, "conflict", "this value is already in use", field);
    }
    if (strcmp(state, "23P01") == 0) {
        return ctn_api_error(c, 409, "conflict", "that time is no longer free", field);
    }
    if (strcmp(state, "23514") == 0 || strcmp(state, "23502") == 0) {
        return ctn_api_error(c, 400, "invalid", "the value is not acceptable",
                             field ? field : column);
    }
    if (strcmp(state, "23503") == 0) {
        return ctn_api_error(c, 400, "invalid", "refers to something that does not exist", field);
    }
    if (strncmp(state, "22", 2) == 0) {
        return ctn_api_error(c, 400, "invalid",
                             apr_pstrdup(c->pool, PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)),
                             column);
    }
    ctn_log_err(NULL, "API query failed (%s): %s", state, PQresultErrorMessage(res));
    return ctn_api_error(c, 500, "internal", "the request could not be completed", NULL);
}

static apr_status_t clear_result(void *res)
{
    PQclear(res);
    return APR_SUCCESS;
}

/* A query's rows, owned by the request's pool from now on; or the error's
 * HTTP status (the result freed). */
static int own_rows(ctn_api_ctx_t *c, PGresult *res)
{
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        int status = query_failed(c, res);
        PQclear(res);
        return status;
    }
    apr_pool_cleanup_register(c->pool, res, clear_result, apr_pool_cleanup_null);
    return 0;
}

static int query_json(ctn_api_ctx_t *c, const char **json, PGresult *res)
{
    int status = own_rows(c, res);

    if (status == 0) {
        *json = PQntuples(res) > 0 && !PQgetisnull(res, 0, 0) ? PQgetvalue(res, 0, 0) : NULL;
    }
    return status;
}

int ctn_api_query_json(ctn_api_ctx_t *c, const char **json, const char *sql, int nparams,
                       const char *const *params)
{
    return query_json(c, json, PQexecParams(c->conn, sql, nparams, NULL, params, NULL, NULL, 0));
}

int ctn_api_query_json_prepared(ctn_api_ctx_t *c, const char **json, const char *sql, int nparams,
                                const char *const *params)
{
    return query_json(c, json, ctn_calls_exec_prepared(c->conn, sql, nparams, params));
}

int ctn_api_query_rows(ctn_api_ctx_t *c, PGresult **rows, const char *sql, int nparams,
                       const char *const *params)
{
    PGresult *res = ctn_calls_exec_prepared_as(c->conn, sql, nparams, params, 1);
    int status = own_rows(c, res);

    *rows = status == 0 ? res : NULL;
    return status;
}

int ctn_api_exec(ctn_api_ctx_t *c, int *affected, const char *sql, int nparams,
                 const char *const *params)
{
    PGresult *res = PQexecParams(c->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    int status = 0;

    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        status = query_failed(c, res);
    } else if (affected) {
        *affected = atoi(PQcmdTuples(res));
    }
    PQclear(res);
    return status;
}

const char *ctn_api_arg(ctn_api_ctx_t *c, const char *name)
{
    const char *v = apr_table_get(c->query, name);

    return v && *v ? v : NULL;
}

int ctn_api_is_uuid(const char *s)
{
    static const char hex[] = "0123456789abcdefABCDEF";

    if (s == NULL || strlen(s) != 36) {
        return 0;
    }
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !strchr(hex, s[i])) {
            return 0;
        }
    }
    return 1;
}

const char *ctn_api_param(apr_pool_t *pool, json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        return NULL;
    case json_type_string:
        return json_object_get_string(v);
    case json_type_boolean:
        return json_object_get_boolean(v) ? "true" : "false";
    case json_type_int:
        return apr_psprintf(pool, "%" APR_INT64_T_FMT, (apr_int64_t)json_object_get_int64(v));
    default:
        return ctn_json_serialize(pool, v);
    }
}

/* ------------------------------------------------------------ request --- */

/* The route's query parameters, and only those, each at most once: the same
 * list the OpenAPI document gives, so a misspelt filter (?emergncy=true) is
 * a 400 naming it rather than a list silently left unfiltered. */
static int parse_query(ctn_api_ctx_t *c, const ctn_api_route_t *route)
{
    apr_array_header_t *pairs;
    const char *why = NULL, *q = c->req->query ? c->req->query : "";

    c->query = apr_table_make(c->pool, 8);
    if (ctn_form_parse(&pairs, c->pool, q, strlen(q), &why) != APR_SUCCESS) {
        return ctn_api_error(c, 400, "invalid_query", why, NULL);
    }
    for (int i = 0; i < pairs->nelts; i++) {
        const ctn_form_pair_t *p = &APR_ARRAY_IDX(pairs, i, ctn_form_pair_t);
        const ctn_api_query_param_t *known = route->query_params;
        while (known && known->name && strcmp(known->name, p->name) != 0) {
            known++;
        }
        if (known == NULL || known->name == NULL) {
            return ctn_api_error(c, 400, "invalid", "is not a parameter of this request", p->name);
        }
        /* ?limit=1&limit=500: which one was meant is unknown, so neither is taken. */
        if (apr_table_get(c->query, p->name) != NULL) {
            return ctn_api_error(c, 400, "invalid", "is given more than once", p->name);
        }
        apr_table_setn(c->query, p->name, p->value);
    }
    return 0;
}

static int parse_body(ctn_api_ctx_t *c, const ctn_api_route_t *route)
{
    const char *why = NULL, *field = NULL;
    json_object *body;

    if (route->body == NULL) {
        /* Nothing, or an empty object (what a generic client sends). */
        if (c->req->body_len > 0 && strspn(c->req->body, " \t\r\n") != c->req->body_len &&
            ((body = ctn_json_parse(c->pool, c->req->body, c->req->body_len, &why)) == NULL ||
             !json_object_is_type(body, json_type_object) || json_object_object_length(body) > 0)) {
            return ctn_api_error(c, 400, "unexpected_body", "this request takes no body", NULL);
        }
        return 0;
    }
    if (c->req->body_len == 0) {
        body = ctn_json_pool_own(c->pool, json_object_new_object());
    } else if ((body = ctn_json_parse(c->pool, c->req->body, c->req->body_len, &why)) == NULL) {
        return ctn_api_error(c, 400, "invalid_json", why, NULL);
    }
    if (!json_object_is_type(body, json_type_object)) {
        return ctn_api_error(c, 400, "invalid_json", "the body must be a JSON object", NULL);
    }
    if (!ctn_api_schema_validate(route->body, body, (route->flags & CTN_API_CREATE) != 0, c->pool,
                                 &field, &why)) {
        return ctn_api_error(c, 400, "invalid", why, field);
    }
    c->body = body;
    return 0;
}

static int changes_state(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

static int authenticate(ctn_api_ctx_t *c, const ctn_api_route_t *route)
{
    ctn_session_t *s = NULL;
    ctn_api_session_t *as;
    apr_status_t rv;

    /* A public route gets a connection with no tenant; any other sets its
     * tenant with the session lookup, its first statement. */
    const char *tenant = route->flags & CTN_API_PUBLIC ? NULL : CTN_DB_TENANT_BY_CALLER;

    if (c->env->db_acquire(c->env->baton, c->pool, tenant, &c->conn) != APR_SUCCESS) {
        return ctn_api_error(c, 503, "unavailable", "the database is unavailable", NULL);
    }
    if (route->flags & CTN_API_PUBLIC) {
        return 0;
    }
    rv = ctn_accounts_session_lookup(&s, c->conn, c->pool, c->req->session_token);
    if (rv == APR_ENOENT) {
        return ctn_api_error(c, 401, "unauthenticated", "log in first", NULL);
    }
    if (rv != APR_SUCCESS) {
        return ctn_api_error(c, 503, "unavailable", "the database is unavailable", NULL);
    }
    if (changes_state(c->req->method) &&
        (c->req->csrf_token == NULL || strlen(c->req->csrf_token) != strlen(s->csrf_token) ||
         sodium_memcmp(c->req->csrf_token, s->csrf_token, strlen(s->csrf_token)) != 0)) {
        return ctn_api_error(c, 403, "csrf", "missing or wrong X-CSRF-Token header", NULL);
    }
    as = apr_pcalloc(c->pool, sizeof(*as));
    as->session_id = s->id;
    as->user_id = s->user_id;
    as->business_id = s->business_id;
    as->csrf_token = s->csrf_token;
    c->session = as;
    return 0;
}

static const ctn_api_route_t *find_route(ctn_api_ctx_t *c, int *status)
{
    int n, path_known = 0;
    const ctn_api_route_t *routes = ctn_api_routes(&n);
    const char *method = strcmp(c->req->method, "HEAD") == 0 ? "GET" : c->req->method;

    for (int i = 0; i < n; i++) {
        const char *args[2] = {NULL, NULL};
        if (!path_matches(routes[i].pattern, c->req->path, args, 2, c->pool)) {
            continue;
        }
        path_known = 1;
        if (strcmp(routes[i].method, method) == 0) {
            c->args[0] = args[0];
            c->args[1] = args[1];
            return &routes[i];
        }
    }
    *status = path_known ? ctn_api_error(c, 405, "method_not_allowed",
                                         "this resource does not support that method", NULL)
                         : ctn_api_error(c, 404, "not_found", "no such API resource", NULL);
    return NULL;
}

void ctn_api_handle(const ctn_api_env_t *env, apr_pool_t *pool, const ctn_api_request_t *req,
                    ctn_api_response_t *resp)
{
    ctn_api_ctx_t ctx, *c = &ctx;
    const ctn_api_route_t *route;
    int status = 0;

    memset(c, 0, sizeof(*c));
    memset(resp, 0, sizeof(*resp));
    resp->headers = apr_table_make(pool, 4);
    c->pool = pool;
    c->env = env;
    c->req = req;
    c->resp = resp;

    if ((route = find_route(c, &status)) == NULL || (status = parse_query(c, route)) != 0 ||
        (status = parse_body(c, route)) != 0) {
        return;
    }
    if (!(route->flags & CTN_API_NO_DB) && (status = authenticate(c, route)) != 0) {
        return;
    }
    status = route->handler(c);
    if (resp->status == 0) {
        resp->status = status;
    }
}

int ctn_api_stream_session(const ctn_api_env_t *env, apr_pool_t *pool, const char *token,
                           const char **business_id)
{
    PGconn *conn = NULL;
    ctn_session_t *s = NULL;
    apr_status_t rv;

    if (token == NULL) {
        return 401;
    }
    if (env->db_acquire(env->baton, pool, CTN_DB_TENANT_BY_CALLER, &conn) != APR_SUCCESS) {
        return 503;
    }
    rv = ctn_accounts_session_lookup(&s, conn, pool, token);
    if (rv != APR_SUCCESS) {
        return rv == APR_ENOENT ? 401 : 503;
    }
    *business_id = s->business_id;
    return 0;
}
