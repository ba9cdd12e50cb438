/* mod_cortana_api.c: the owner REST API (SetHandler cortana-api on /api/).
 *
 * httpd glue only: read the body (CortanaAPIMaxBody, else 413), take the
 * session cookie, the X-CSRF-Token header and the client address, hand the
 * request to lib/api.c and write its JSON answer. GET /api/transcripts, a
 * long-lived Server-Sent Events stream, goes to mod_cortana_sse.c instead.
 *
 * Log-in failures are counted in a small shared-memory table (anonymous
 * apr_shm made in post_config, inherited by every child, guarded by the
 * global mutex "cortana-login"), so the limits hold across all children. */
#include "mod_cortana.h"
#include "mod_cortana_config.h"

#include "ap_mpm.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_mutex.h"
#include "unixd.h"

#include "api.h"
#include "db.h"
#include "ratelimit.h"

#include <apr_global_mutex.h>
#include <apr_shm.h>
#include <apr_strings.h>
#include <string.h>

#define LOGIN_MUTEX_TYPE "cortana-login"
#define LOGIN_SLOTS      4096 /* distinct addresses/accounts tracked at once */
#define SESSION_COOKIE   "cortana_session"

static apr_global_mutex_t *login_mutex;
static const char *login_lock_path;
static ctn_ratelimit_t *login_limits;

/* -------------------------------------------------- shared rate limits --- */

static apr_status_t limits_acquire(void *baton)
{
    return apr_global_mutex_lock(login_mutex);
}

static apr_status_t limits_release(void *baton)
{
    return apr_global_mutex_unlock(login_mutex);
}

static const ctn_ratelimit_lock_t limits_lock = {limits_acquire, limits_release, NULL};

static int api_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    return ap_mutex_register(pconf, LOGIN_MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0) == APR_SUCCESS
               ? OK
               : !OK;
}

static apr_status_t forget_limits(void *unused)
{
    login_limits = NULL;
    login_mutex = NULL;
    return APR_SUCCESS;
}

static int api_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    apr_size_t bytes = ctn_ratelimit_bytes(LOGIN_SLOTS);
    apr_shm_t *shm;
    apr_status_t rv;

    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    ctn_api_openapi(pconf); /* built with the configuration, before any thread can race for it */
    if ((rv = apr_shm_create(&shm, bytes, NULL, pconf)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "cannot create the log-in limits' memory");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    rv =
        ap_global_mutex_create(&login_mutex, &login_lock_path, LOGIN_MUTEX_TYPE, NULL, s, pconf, 0);
    if (rv != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR; /* logged by ap_global_mutex_create */
    }
    if (login_lock_path) {
        login_lock_path = apr_pstrdup(pconf, login_lock_path);
    }
    if ((rv = ap_unixd_set_global_mutex_perms(login_mutex)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "cannot hand the log-in lock to httpd's User");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    rv = ctn_ratelimit_format(&login_limits, apr_shm_baseaddr_get(shm), bytes, LOGIN_SLOTS,
                              &limits_lock, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "cannot format the log-in limits");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_cleanup_register(pconf, NULL, forget_limits, apr_pool_cleanup_null);
    return OK;
}

static void api_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv;

    if (login_mutex == NULL) {
        return;
    }
    if ((rv = apr_global_mutex_child_init(&login_mutex, login_lock_path, pchild)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "cannot attach the log-in limits' mutex: log-ins are not rate-limited");
        login_limits = NULL;
    }
}

/* ---------------------------------------------------------- the API env --- */

static apr_status_t env_db_acquire(void *baton, apr_pool_t *pool, const char *business_id,
                                   PGconn **conn)
{
    ctn_db_t *db = NULL;
    apr_status_t rv = ctn_mod_db_acquire(&db, baton, business_id, pool);

    if (rv == APR_SUCCESS) {
        *conn = ctn_db_conn(db);
    }
    return rv;
}

/* The session cookie is Secure unless the dev stack runs on plain-http loopback. */
static int secure_cookie(const char *public_url)
{
    static const char *const loopback[] = {"http://127.0.0.1", "http://localhost", "http://[::1]",
                                           NULL};

    if (public_url == NULL || strncmp(public_url, "https://", 8) == 0) {
        return 1;
    }
    /* The host must be the loopback one, not merely begin like it
     * (http://localhost.example.com is a real host on plain http). */
    for (int i = 0; loopback[i]; i++) {
        size_t n = strlen(loopback[i]);
        if (strncmp(public_url, loopback[i], n) == 0 &&
            (public_url[n] == '\0' || public_url[n] == ':' || public_url[n] == '/')) {
            return 0;
        }
    }
    return 1;
}

/* How this server reaches itself: the address and port the request came in on. */
static const char *local_url(request_rec *r)
{
    const char *ip = r->connection->local_ip;
    apr_port_t port = r->connection->local_addr->port;

    return apr_psprintf(r->pool, "http://%s%s%s:%u", strchr(ip, ':') ? "[" : "", ip,
                        strchr(ip, ':') ? "]" : "", (unsigned)port);
}

void ctn_mod_api_env(ctn_api_env_t *env, request_rec *r)
{
    ctn_server_conf_t *conf = ctn_config_get(r->server);

    memset(env, 0, sizeof(*env));
    env->db_acquire = env_db_acquire;
    env->baton = r->server;
    env->ratelimit = login_limits;
    env->public_url = conf->public_url;
    env->local_url = local_url(r);
    env->twilio_auth_token = conf->twilio_auth_token;
    env->signup_enabled = conf->signup;
    env->session_lifetime_s = conf->session_lifetime;
    env->secure_cookie = secure_cookie(conf->public_url);
}

/* --------------------------------------------------------------- request --- */

static int copy_header(void *out, const char *key, const char *value)
{
    apr_table_addn(out, key, value);
    return 1;
}

static int send_json(request_rec *r, int status, const char *json, apr_table_t *headers)
{
    r->status = status;
    if (headers) {
        apr_table_do(copy_header, r->headers_out, headers, NULL);
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    if (json == NULL) {
        return OK;
    }
    ap_set_content_type(r, "application/json");
    ap_rputs(json, r);
    return OK;
}

static int too_large(request_rec *r, int max)
{
    char *json = apr_psprintf(r->pool,
                              "{\"error\":{\"code\":\"too_large\",\"message\":\"the body is larger "
                              "than %d bytes (CortanaAPIMaxBody)\",\"field\":null}}",
                              max);

    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "%s %s refused (413): body over %d bytes",
                  r->method, r->uri, max);
    return send_json(r, HTTP_REQUEST_ENTITY_TOO_LARGE, json, NULL);
}

static int api_handler(request_rec *r)
{
    ctn_server_conf_t *conf;
    ctn_api_env_t env;
    ctn_api_request_t req;
    ctn_api_response_t resp;
    const char *why = NULL, *type;
    apr_status_t rv;

    if (r->handler == NULL || strcmp(r->handler, "cortana-api") != 0) {
        return DECLINED;
    }
    if (strncmp(r->uri, "/api", 4) != 0) {
        return HTTP_NOT_FOUND;
    }
    if (strcmp(r->uri, "/api/transcripts") == 0) {
        return ctn_sse_handle(r);
    }
    conf = ctn_config_get(r->server);
    memset(&req, 0, sizeof(req));
    req.method = r->method;
    req.path = r->uri + 4;
    req.query = r->args;
    req.session_token = ctn_mod_cookie(r, SESSION_COOKIE);
    req.csrf_token = apr_table_get(r->headers_in, "X-CSRF-Token");
    req.client_ip = r->useragent_ip;
    if (r->method_number == M_POST || r->method_number == M_PUT || r->method_number == M_PATCH) {
        const char *cl = apr_table_get(r->headers_in, "Content-Length");
        if (cl && apr_atoi64(cl) > conf->api_max_body) {
            return too_large(r, conf->api_max_body);
        }
        rv = ctn_mod_read_body(r, (apr_size_t)conf->api_max_body, &req.body, &req.body_len, &why);
        if (rv == APR_ENOSPC) {
            return too_large(r, conf->api_max_body);
        }
        if (rv != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r, "%s %s: %s", r->method, r->uri, why);
            return HTTP_BAD_REQUEST;
        }
        type = apr_table_get(r->headers_in, "Content-Type");
        /* The media type itself, parameters (charset) aside: application/jsonx is not JSON. */
        if (req.body_len > 0 && (type == NULL || strcasecmp(ap_field_noparam(r->pool, type),
                                                            "application/json") != 0)) {
            return send_json(r, HTTP_UNSUPPORTED_MEDIA_TYPE,
                             "{\"error\":{\"code\":\"unsupported_media_type\",\"message\":"
                             "\"send the body as application/json\",\"field\":null}}",
                             NULL);
        }
    }
    ctn_mod_api_env(&env, r);
    ctn_api_handle(&env, r->pool, &req, &resp);
    if (resp.status >= 400) {
        ap_log_rerror(APLOG_MARK, resp.status >= 500 ? APLOG_ERR : APLOG_INFO, 0, r,
                      "%s %s refused (%d): %s", r->method, r->uri, resp.status,
                      resp.log_reason ? resp.log_reason : "");
    }
    if (resp.status == HTTP_METHOD_NOT_ALLOWED) {
        r->allowed = 0; /* the body says so; no Allow list is kept per path */
    }
    return send_json(r, resp.status, resp.body, resp.headers);
}

void ctn_api_register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(api_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(api_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(api_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(api_handler, NULL, NULL, APR_HOOK_MIDDLE);
}
