/* api.h: the owner REST API under /api/, independent of httpd.
 *
 * mod_cortana_api.c turns an HTTP request into a ctn_api_request_t (method,
 * path, query, body bytes, session cookie, CSRF header, client address) and
 * writes back the ctn_api_response_t this file's ctn_api_handle produces.
 * Everything between — routing, body validation against the route's schema
 * (lib/api_schema.c), sessions and CSRF (lib/accounts.c), log-in rate limits
 * (lib/ratelimit.c), the resource handlers (lib/api_*.c) — is here, in
 * libcortana, so that it is the same code whatever program runs it.
 *
 * Every query of an authenticated request runs on a connection whose tenant
 * is the session's business: row-level security, not a WHERE clause, keeps
 * one owner out of another's rows. Errors are JSON
 * {"error":{"code","message","field"}} with a 4xx/5xx status. */
#ifndef CTN_API_H
#define CTN_API_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <json-c/json.h>
#include <libpq-fe.h>

struct ctn_api_schema_t;
struct ctn_ratelimit_t;

/* What the program running the API provides. */
typedef struct ctn_api_env_t {
    /* A connection with the tenant set to `business_id` (NULL: none;
     * CTN_DB_TENANT_BY_CALLER: left as it is, for a caller whose first
     * statement sets it), released when `pool` is cleaned up. */
    apr_status_t (*db_acquire)(void *baton, apr_pool_t *pool, const char *business_id,
                               PGconn **conn);
    void *baton;
    struct ctn_ratelimit_t *ratelimit; /* NULL: no log-in limits */
    const char *public_url;            /* CortanaPublicURL */
    const char *local_url;             /* where this server answers itself (test calls) */
    const char *twilio_auth_token;     /* signs test calls */
    int signup_enabled;                /* CortanaSignup */
    long session_lifetime_s;           /* CortanaSessionLifetime */
    int secure_cookie;                 /* 1: the session cookie is Secure */
} ctn_api_env_t;

typedef struct ctn_api_request_t {
    const char *method; /* "GET", "POST", … */
    const char *path;   /* below /api, e.g. "/technicians/…" */
    const char *query;  /* raw query string or NULL */
    const char *body;   /* raw body (may be NULL) */
    apr_size_t body_len;
    const char *session_token; /* value of the session cookie, or NULL */
    const char *csrf_token;    /* X-CSRF-Token header, or NULL */
    const char *client_ip;
} ctn_api_request_t;

typedef struct ctn_api_response_t {
    int status;
    const char *body;       /* JSON text, or NULL for no body */
    apr_table_t *headers;   /* extra headers: Set-Cookie, Retry-After, Location */
    const char *log_reason; /* why a request was refused, for the error log */
} ctn_api_response_t;

/* The logged-in owner of a request. */
typedef struct ctn_api_session_t {
    const char *session_id, *user_id, *business_id, *csrf_token;
} ctn_api_session_t;

/* One request being handled: what handlers see. */
typedef struct ctn_api_ctx_t {
    apr_pool_t *pool;
    const ctn_api_env_t *env;
    const ctn_api_request_t *req;
    ctn_api_response_t *resp;
    const char *args[2];              /* path parameters ({id}) in order */
    apr_table_t *query;               /* decoded query parameters */
    json_object *body;                /* the validated JSON body, or NULL */
    const ctn_api_session_t *session; /* NULL on public routes */
    PGconn *conn;                     /* tenant = the session's business (or none) */
} ctn_api_ctx_t;

typedef int ctn_api_handler_fn(ctn_api_ctx_t *c);

/* A query parameter a route takes. The handler checks its value; `schema`
 * says what the handler accepts, for the OpenAPI document (a test walks the
 * two against each other). */
typedef struct ctn_api_query_param_t {
    const char *name;
    const struct ctn_api_schema_t *schema;
    int required; /* 1: the handler answers 400 without it */
} ctn_api_query_param_t;

enum {
    CTN_API_PUBLIC = 1, /* no session needed */
    CTN_API_NO_DB = 2,  /* needs no database connection */
    CTN_API_CREATE = 4, /* body validated as a creation: required fields required */
    /* For the OpenAPI document only: the statuses a route can answer besides
     * those every route of its kind can (400, 401, 403, 404, 413, 415, 503). */
    CTN_API_CONFLICTS = 8, /* 409: a value already in use, or a state that forbids the change */
    CTN_API_LIMITED = 16,  /* 429: a rate or concurrency limit, with Retry-After */
    CTN_API_SWITCHED = 32  /* 403 on a public route: the host turned it off (CortanaSignup) */
};

typedef struct ctn_api_route_t {
    const char *method;
    const char *pattern; /* "/technicians/{id}": {…} captures one segment */
    ctn_api_handler_fn *handler;
    unsigned flags;
    const struct ctn_api_schema_t *body;     /* request body schema, NULL: none accepted */
    const struct ctn_api_schema_t *response; /* for the OpenAPI document */
    int status;                              /* success status for the document */
    const char *summary;
    const ctn_api_query_param_t *query_params; /* NULL-name terminated; the only ones taken */
} ctn_api_route_t;

/* Handle one API request. `resp` is always filled (status, JSON body,
 * headers). Any thread; allocations in `pool`. */
void ctn_api_handle(const ctn_api_env_t *env, apr_pool_t *pool, const ctn_api_request_t *req,
                    ctn_api_response_t *resp);

/* The business of the session `token` for a long-lived stream (SSE): 0 and
 * `*business_id` (in `pool`), or 401 / 503. The connection it used goes
 * back to the pool when `pool` is cleaned up: pass a short-lived pool. */
int ctn_api_stream_session(const ctn_api_env_t *env, apr_pool_t *pool, const char *token,
                           const char **business_id);

/* ---- for handlers -------------------------------------------------------- */

/* Set an error response; returns `status`. `field` may be NULL. */
int ctn_api_error(ctn_api_ctx_t *c, int status, const char *code, const char *message,
                  const char *field);

/* Set a JSON response (text) with `status`; returns `status`. */
int ctn_api_json(ctn_api_ctx_t *c, int status, const char *json);

/* Run a parameterised statement that returns one row with one JSON text
 * column (or no row). On success the text is in `*json` (NULL: no row).
 * On failure sets the error response (constraint violations → 400/409 with
 * the field when known, anything else → 500 logged) and returns its status;
 * returns 0 on success. */
int ctn_api_query_json(ctn_api_ctx_t *c, const char **json, const char *sql, int nparams,
                       const char *const *params);

/* Same, prepared on the connection the first time (for hot statements of
 * few distinct shapes: never for SQL assembled from arbitrary members). */
int ctn_api_query_json_prepared(ctn_api_ctx_t *c, const char **json, const char *sql, int nparams,
                                const char *const *params);

/* Run a statement prepared on the connection the first time (unprepared
 * inside a transaction), its rows in PostgreSQL's binary format, for
 * a handler that writes the JSON itself. `*rows` lives as long as the
 * request's pool. Errors as ctn_api_query_json; returns 0 on success. */
int ctn_api_query_rows(ctn_api_ctx_t *c, PGresult **rows, const char *sql, int nparams,
                       const char *const *params);

/* Same, for statements whose result is only a count of affected rows. */
int ctn_api_exec(ctn_api_ctx_t *c, int *affected, const char *sql, int nparams,
                 const char *const *params);

/* A query parameter, or NULL. */
const char *ctn_api_arg(ctn_api_ctx_t *c, const char *name);

/* 1 when `s` is a canonical uuid (then it can be given to PostgreSQL). */
int ctn_api_is_uuid(const char *s);

/* 1 when the query argument `v` is absent, a date (a day in the business's
 * time zone) or an RFC 3339 time. */
int ctn_api_time_arg_ok(apr_pool_t *pool, const char *v);

/* A list's `cursor` argument, "<RFC 3339 time>~<id>" as the previous page's
 * next_cursor gave it: 1 and its parts (`*at` in `pool`), or 0 when it is
 * not one. */
int ctn_api_cursor_parse(const char *cursor, apr_pool_t *pool, const char **at, const char **id);

/* The Appointment schema (shared by calls and the schedule). */
extern const struct ctn_api_schema_t ctn_api_appointment_schema;

/* The JSON value `v` as a text parameter for PostgreSQL (NULL for null). */
const char *ctn_api_param(apr_pool_t *pool, json_object *v);

/* ---- rows of one table as JSON resources (lib/api_crud.c) --------------- */

typedef struct ctn_api_table_t {
    const char *table;   /* SQL identifier */
    const char *columns; /* select list: the resource's JSON members, e.g. "id, name" */
    const char *order;   /* ORDER BY of lists */
    const struct ctn_api_schema_t *schema; /* writable members are columns of the same name */
    const char *const *merged; /* jsonb columns a PATCH merges into (||) instead of replacing */
    int has_updated_at;        /* 1: an update sets updated_at = now() */
} ctn_api_table_t;

/* {"items":[…]} of every row the tenant sees. */
int ctn_api_crud_list(ctn_api_ctx_t *c, const ctn_api_table_t *t);
/* One row by id (404 when the id is malformed or not the tenant's). */
int ctn_api_crud_get(ctn_api_ctx_t *c, const ctn_api_table_t *t, const char *id);
/* Insert the validated body as a row of the tenant's business → 201. */
int ctn_api_crud_create(ctn_api_ctx_t *c, const ctn_api_table_t *t);
/* Update the members present in the body; `id` NULL: the tenant's own
 * business row (table businesses). */
int ctn_api_crud_update(ctn_api_ctx_t *c, const ctn_api_table_t *t, const char *id);
/* Delete by id → 204 (404 when not the tenant's). */
int ctn_api_crud_delete(ctn_api_ctx_t *c, const ctn_api_table_t *t, const char *id);

/* All routes, for the dispatcher and the OpenAPI document; `*n` gets the count. */
const ctn_api_route_t *ctn_api_routes(int *n);

/* The OpenAPI 3 document of every route, as JSON text. The first call
 * builds it in `pool`, and later calls return that one until `pool` is
 * cleared (then the next call builds anew): so make the first call with a
 * pool that lives as long as the configuration (httpd: pconf, in
 * post_config), before any thread starts — the build is not thread-safe. */
const char *ctn_api_openapi(apr_pool_t *pool);

/* Route tables of each part (lib/api_*.c), NULL-method terminated. */
extern const ctn_api_route_t ctn_api_account_routes[];
extern const ctn_api_route_t ctn_api_business_routes[];
extern const ctn_api_route_t ctn_api_team_routes[];
extern const ctn_api_route_t ctn_api_calls_routes[];
extern const ctn_api_route_t ctn_api_kb_routes[];
extern const ctn_api_route_t ctn_api_schedule_routes[];
extern const ctn_api_route_t ctn_api_insight_routes[];
extern const ctn_api_route_t ctn_api_test_call_routes[];

#endif
