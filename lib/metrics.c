/* metrics.c: lock-free shared counters and their Prometheus rendering.
 *
 * Segment layout (all 64-bit words, updated with __atomic builtins):
 *
 *   +--------+------------------------------------------+----------+--------+
 *   | magic  | requests[CTN_ROUTE_COUNT][STATUS_SLOTS]  | counters | gauges |
 *   +--------+------------------------------------------+----------+--------+
 *
 * Status codes map to a fixed slot each; anything else lands in "other". */
#include "metrics.h"

#include <apr_strings.h>
#include <apr_tables.h>
#include <string.h>

#define METRICS_MAGIC 0x43544e4d45545231ULL /* "CTNMETR1" */

/* The statuses Cortana answers with; the last slot counts the rest. */
static const int statuses[] = {200, 201, 204, 301, 302, 304, 400, 401, 403, 404,
                               405, 409, 413, 415, 422, 429, 500, 502, 503, 504};
#define STATUS_SLOTS ((int)(sizeof(statuses) / sizeof(statuses[0])) + 1)

static const char *const route_labels[CTN_ROUTE_COUNT] = {
    [CTN_ROUTE_HEALTHZ] = "/healthz",
    [CTN_ROUTE_METRICS] = "/metrics",
    [CTN_ROUTE_TWILIO_VOICE] = "/twilio/voice",
    [CTN_ROUTE_TWILIO_GATHER] = "/twilio/gather",
    [CTN_ROUTE_TWILIO_STATUS] = "/twilio/status",
    [CTN_ROUTE_TWILIO_VOICEMAIL] = "/twilio/voicemail",
    [CTN_ROUTE_TWILIO_SMS] = "/twilio/sms",
    [CTN_ROUTE_STRIPE_WEBHOOK] = "/stripe/webhook",
    [CTN_ROUTE_API] = "/api",
    [CTN_ROUTE_API_TRANSCRIPTS] = "/api/transcripts",
    [CTN_ROUTE_OAUTH] = "/oauth",
    [CTN_ROUTE_OTHER] = "other",
};

static const struct {
    const char *name, *help, *type;
} counter_info[CTN_COUNTER_COUNT] = {
    [CTN_COUNTER_WORKER_SPAWNS] = {"cortana_worker_spawns_total",
                                   "Media worker processes started by the supervisor", "counter"},
    [CTN_COUNTER_DB_ERRORS] = {"cortana_db_errors_total",
                               "Failed PostgreSQL acquisitions or queries", "counter"},
};

static const struct {
    const char *name, *help;
} gauge_info[CTN_GAUGE_COUNT] = {
    [CTN_GAUGE_DB_IN_USE] = {"cortana_db_connections_in_use",
                             "PostgreSQL connections checked out of the pools, all processes"},
};

struct ctn_metrics_t {
    apr_uint64_t magic;
    apr_uint64_t requests[CTN_ROUTE_COUNT][STATUS_SLOTS];
    apr_uint64_t counters[CTN_COUNTER_COUNT];
    apr_int64_t gauges[CTN_GAUGE_COUNT];
};

apr_size_t ctn_metrics_bytes(void)
{
    return sizeof(ctn_metrics_t);
}

ctn_metrics_t *ctn_metrics_format(void *base)
{
    ctn_metrics_t *m = base;

    memset(m, 0, sizeof(*m));
    m->magic = METRICS_MAGIC;
    return m;
}

ctn_route_e ctn_metrics_route_of(const char *path)
{
    for (int r = 0; r < CTN_ROUTE_OTHER; r++) {
        apr_size_t n = strlen(route_labels[r]);
        if (strncmp(path, route_labels[r], n) == 0 && (path[n] == '\0' || path[n] == '/')) {
            /* "/api/transcripts" is more specific than "/api": keep looking. */
            if (r == CTN_ROUTE_API && strncmp(path, "/api/transcripts", 16) == 0 &&
                (path[16] == '\0' || path[16] == '/')) {
                return CTN_ROUTE_API_TRANSCRIPTS;
            }
            return (ctn_route_e)r;
        }
    }
    return CTN_ROUTE_OTHER;
}

static int status_slot(int status)
{
    for (int i = 0; i < STATUS_SLOTS - 1; i++) {
        if (statuses[i] == status) {
            return i;
        }
    }
    return STATUS_SLOTS - 1;
}

void ctn_metrics_count_request(ctn_metrics_t *m, ctn_route_e route, int status)
{
    if (m == NULL || route < 0 || route >= CTN_ROUTE_COUNT) {
        return;
    }
    __atomic_add_fetch(&m->requests[route][status_slot(status)], 1, __ATOMIC_RELAXED);
}

void ctn_metrics_counter_add(ctn_metrics_t *m, ctn_counter_e counter, apr_uint64_t n)
{
    if (m != NULL && counter >= 0 && counter < CTN_COUNTER_COUNT) {
        __atomic_add_fetch(&m->counters[counter], n, __ATOMIC_RELAXED);
    }
}

void ctn_metrics_gauge_add(ctn_metrics_t *m, ctn_gauge_e gauge, apr_int64_t delta)
{
    if (m != NULL && gauge >= 0 && gauge < CTN_GAUGE_COUNT) {
        __atomic_add_fetch(&m->gauges[gauge], delta, __ATOMIC_RELAXED);
    }
}

apr_uint64_t ctn_metrics_request_count(ctn_metrics_t *m, ctn_route_e route, int status)
{
    return __atomic_load_n(&m->requests[route][status_slot(status)], __ATOMIC_RELAXED);
}

apr_uint64_t ctn_metrics_counter(ctn_metrics_t *m, ctn_counter_e counter)
{
    return __atomic_load_n(&m->counters[counter], __ATOMIC_RELAXED);
}

apr_int64_t ctn_metrics_gauge(ctn_metrics_t *m, ctn_gauge_e gauge)
{
    return __atomic_load_n(&m->gauges[gauge], __ATOMIC_RELAXED);
}

const char *ctn_metrics_render(ctn_metrics_t *m, apr_pool_t *pool)
{
    apr_array_header_t *out = apr_array_make(pool, 64, sizeof(const char *));

#define EMIT(...) (APR_ARRAY_PUSH(out, const char *) = apr_psprintf(pool, __VA_ARGS__))
    EMIT("# HELP cortana_http_requests_total Requests answered by mod_cortana, by route and "
         "status\n# TYPE cortana_http_requests_total counter\n");
    for (int r = 0; r < CTN_ROUTE_COUNT; r++) {
        for (int s = 0; s < STATUS_SLOTS; s++) {
            apr_uint64_t n = __atomic_load_n(&m->requests[r][s], __ATOMIC_RELAXED);
            if (n == 0) {
                continue;
            }
            if (s == STATUS_SLOTS - 1) {
                EMIT("cortana_http_requests_total{route=\"%s\",status=\"other\"} %" APR_UINT64_T_FMT
                     "\n",
                     route_labels[r], n);
            } else {
                EMIT("cortana_http_requests_total{route=\"%s\",status=\"%d\"} %" APR_UINT64_T_FMT
                     "\n",
                     route_labels[r], statuses[s], n);
            }
        }
    }
    for (int c = 0; c < CTN_COUNTER_COUNT; c++) {
        EMIT("# HELP %s %s\n# TYPE %s %s\n%s %" APR_UINT64_T_FMT "\n", counter_info[c].name,
             counter_info[c].help, counter_info[c].name, counter_info[c].type, counter_info[c].name,
             ctn_metrics_counter(m, (ctn_counter_e)c));
    }
    for (int g = 0; g < CTN_GAUGE_COUNT; g++) {
        EMIT("# HELP %s %s\n# TYPE %s gauge\n%s %" APR_INT64_T_FMT "\n", gauge_info[g].name,
             gauge_info[g].help, gauge_info[g].name, gauge_info[g].name,
             ctn_metrics_gauge(m, (ctn_gauge_e)g));
    }
#undef EMIT
    return apr_array_pstrcat(pool, out, 0);
}
