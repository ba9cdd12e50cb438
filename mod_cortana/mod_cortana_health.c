/* mod_cortana_health.c: GET /healthz (JSON) and GET /metrics (Prometheus).
 *
 * /healthz answers 200 only when the database answers and its schema is
 * migrated, the media worker is alive and answers its control socket, and
 * the event ring is attached; otherwise 503 with the part that failed, so a
 * load balancer takes the host out and a person sees why.
 *
 * /metrics renders the process-shared counters of lib/metrics.c plus the
 * ring's and the worker's state. It is refused (403) to clients outside
 * CortanaMetricsAllow, loopback by default. The counters live in an
 * anonymous shared-memory block created here at post_config, before the
 * children fork; every request a cortana-* handler answered is counted by
 * route and status in the log_transaction hook. */
#include "mod_cortana.h"
#include "mod_cortana_config.h"

#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"

#include "control.h"
#include "db.h"
#include "json.h"
#include "metrics.h"
#include "migrate.h"
#include "ring.h"
#include "version.h"

#include <apr_shm.h>
#include <apr_strings.h>
#include <string.h>

/* How long /healthz waits for the worker's control socket. */
#define HEALTH_WORKER_TIMEOUT apr_time_from_msec(1000)

static ctn_metrics_t *metrics;

ctn_metrics_t *ctn_health_metrics(void)
{
    return metrics;
}

/* ----------------------------------------------------------- the checks --- */

static int check_database(request_rec *r, json_object *out)
{
    ctn_db_t *db = NULL;
    apr_time_t start = apr_time_now();
    int version = 0, ok = 0;

    if (ctn_mod_db_acquire(&db, r->server, NULL, r->pool) != APR_SUCCESS) {
        json_object_object_add(out, "error", json_object_new_string("cannot connect"));
    } else if (ctn_migrate_version(ctn_db_conn(db), &version) != APR_SUCCESS) {
        json_object_object_add(out, "error", json_object_new_string("cannot read the schema"));
    } else if (version < 1) {
        json_object_object_add(out, "error",
                               json_object_new_string("not migrated: run cortana-admin migrate"));
    } else {
        ok = 1;
    }
    if (db) {
        ctn_mod_db_release(db);
    }
    json_object_object_add(out, "ok", json_object_new_boolean(ok));
    json_object_object_add(out, "schema_version", json_object_new_int(version));
    json_object_object_add(out, "latency_ms",
                           json_object_new_double((double)(apr_time_now() - start) / 1000.0));
    return ok;
}

static int check_worker(request_rec *r, json_object *out)
{
    ctn_server_conf_t *conf = ctn_config_get(r->server);
    ctn_worker_status_t status;
    const char *reply = NULL;
    int responding = 0;

    memset(&status, 0, sizeof(status));
    if (ctn_worker_status(&status) != APR_SUCCESS) {
        status.running = 0;
    }
    if (status.running && conf->media_control_socket != NULL) {
        responding =
            ctn_control_call(&reply, r->pool, conf->media_control_socket, "{\"cmd\":\"stats\"}",
                             HEALTH_WORKER_TIMEOUT) == APR_SUCCESS &&
            reply != NULL && strstr(reply, "\"ok\":true") != NULL;
    }
    json_object_object_add(out, "ok", json_object_new_boolean(status.running && responding));
    json_object_object_add(out, "pid", json_object_new_int64(status.pid));
    json_object_object_add(
        out, "uptime_s",
        json_object_new_int64(status.running ? apr_time_sec(apr_time_now() - status.started_at)
                                             : 0));
    json_object_object_add(out, "restarts", json_object_new_int64((int64_t)status.restarts));
    json_object_object_add(out, "responding", json_object_new_boolean(responding));
    return status.running && responding;
}

static int check_ring(json_object *out)
{
    ctn_ring_t *ring = ctn_events_ring();
    ctn_ring_stats_t stats;

    if (ring == NULL) {
        json_object_object_add(out, "ok", json_object_new_boolean(0));
        return 0;
    }
    ctn_ring_stats(ring, &stats);
    json_object_object_add(out, "ok", json_object_new_boolean(1));
    json_object_object_add(out, "capacity", json_object_new_int64((int64_t)stats.capacity));
    json_object_object_add(out, "head", json_object_new_int64((int64_t)stats.head));
    json_object_object_add(out, "writes", json_object_new_int64((int64_t)stats.writes));
    json_object_object_add(out, "drops", json_object_new_int64((int64_t)stats.drops));
    return 1;
}

static int health_handler(request_rec *r)
{
    json_object *doc, *db, *worker, *ring;
    int healthy;

    if (strcmp(r->handler, "cortana-health") != 0) {
        return DECLINED;
    }
    if (r->method_number != M_GET) {
        r->allowed = AP_METHOD_BIT << M_GET;
        return HTTP_METHOD_NOT_ALLOWED;
    }
    doc = ctn_json_pool_own(r->pool, json_object_new_object());
    db = json_object_new_object();
    worker = json_object_new_object();
    ring = json_object_new_object();
    json_object_object_add(doc, "database", db);
    json_object_object_add(doc, "worker", worker);
    json_object_object_add(doc, "ring", ring);
    healthy = check_database(r, db);
    healthy = check_worker(r, worker) && healthy;
    healthy = check_ring(ring) && healthy;
    json_object_object_add(doc, "status", json_object_new_string(healthy ? "ok" : "unavailable"));
    json_object_object_add(doc, "version", json_object_new_string(CTN_VERSION));

    r->status = healthy ? HTTP_OK : HTTP_SERVICE_UNAVAILABLE;
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_rputs(ctn_json_serialize(r->pool, doc), r);
    ap_rputc('\n', r);
    return OK;
}

/* ------------------------------------------------------------- metrics --- */

static int client_allowed(request_rec *r)
{
    apr_array_header_t *allow = ctn_config_get(r->server)->metrics_allow;

    for (int i = 0; allow && i < allow->nelts; i++) {
        if (apr_ipsubnet_test(APR_ARRAY_IDX(allow, i, apr_ipsubnet_t *), r->useragent_addr)) {
            return 1;
        }
    }
    return 0;
}

static const char *render_ring_and_worker(apr_pool_t *p)
{
    ctn_ring_t *ring = ctn_events_ring();
    ctn_ring_stats_t rs;
    ctn_worker_status_t ws;
    const char *text = "";

    if (ring != NULL) {
        ctn_ring_stats(ring, &rs);
        text = apr_psprintf(
            p,
            "# HELP cortana_ring_writes_total Events written to the shared-memory ring\n"
            "# TYPE cortana_ring_writes_total counter\ncortana_ring_writes_total %" APR_UINT64_T_FMT
            "\n# HELP cortana_ring_dropped_total Events overwritten before every reader saw "
            "them\n# TYPE cortana_ring_dropped_total counter\ncortana_ring_dropped_total "
            "%" APR_UINT64_T_FMT "\n# HELP cortana_ring_capacity Events the ring holds\n"
            "# TYPE cortana_ring_capacity gauge\ncortana_ring_capacity %" APR_UINT64_T_FMT "\n",
            (apr_uint64_t)rs.writes, (apr_uint64_t)rs.drops, (apr_uint64_t)rs.capacity);
    }
    memset(&ws, 0, sizeof(ws));
    if (ctn_worker_status(&ws) == APR_SUCCESS) {
        text = apr_psprintf(
            p,
            "%s# HELP cortana_worker_up Whether the media worker process is alive\n"
            "# TYPE cortana_worker_up gauge\ncortana_worker_up %d\n"
            "# HELP cortana_worker_restarts_total Media worker restarts after it died\n"
            "# TYPE cortana_worker_restarts_total counter\ncortana_worker_restarts_total "
            "%" APR_UINT64_T_FMT "\n",
            text, ws.running ? 1 : 0, (apr_uint64_t)ws.restarts);
    }
    return text;
}

static int metrics_handler(request_rec *r)
{
    if (strcmp(r->handler, "cortana-metrics") != 0) {
        return DECLINED;
    }
    if (r->method_number != M_GET) {
        r->allowed = AP_METHOD_BIT << M_GET;
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (!client_allowed(r)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "/metrics refused to %s (not in CortanaMetricsAllow)", r->useragent_ip);
        return HTTP_FORBIDDEN;
    }
    if (metrics == NULL) {
        return HTTP_SERVICE_UNAVAILABLE;
    }
    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_rputs(ctn_metrics_render(metrics, r->pool), r);
    ap_rputs(render_ring_and_worker(r->pool), r);
    return OK;
}

/* --------------------------------------------------------------- hooks --- */

static int count_request(request_rec *r)
{
    if (metrics != NULL && r->handler != NULL && strncmp(r->handler, "cortana-", 8) == 0) {
        ctn_metrics_count_request(metrics, ctn_metrics_route_of(r->uri), r->status);
    }
    return DECLINED;
}

static int health_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    apr_shm_t *shm;
    apr_status_t rv;

    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK; /* the check-only pass: nothing to share yet */
    }
    /* Anonymous memory, inherited by the children at fork. */
    rv = apr_shm_create(&shm, ctn_metrics_bytes(), NULL, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "cannot create the metrics shared memory");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    metrics = ctn_metrics_format(apr_shm_baseaddr_get(shm));
    return OK;
}

void ctn_health_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(health_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(health_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(metrics_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_log_transaction(count_request, NULL, NULL, APR_HOOK_MIDDLE);
}
