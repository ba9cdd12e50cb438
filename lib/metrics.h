/* metrics.h: process-shared counters for /metrics (Prometheus text format).
 *
 * The counters live in a small shared-memory block that the httpd parent
 * creates before forking, so every child adds to the same numbers with atomic
 * operations (no lock, no allocation). Routes and statuses are fixed tables:
 * a scrape never grows without bound whatever clients send. */
#ifndef CTN_METRICS_H
#define CTN_METRICS_H

#include <apr_pools.h>

typedef enum {
    CTN_ROUTE_HEALTHZ,
    CTN_ROUTE_METRICS,
    CTN_ROUTE_TWILIO_VOICE,
    CTN_ROUTE_TWILIO_GATHER,
    CTN_ROUTE_TWILIO_STATUS,
    CTN_ROUTE_TWILIO_VOICEMAIL,
    CTN_ROUTE_TWILIO_SMS,
    CTN_ROUTE_STRIPE_WEBHOOK,
    CTN_ROUTE_API,
    CTN_ROUTE_API_TRANSCRIPTS,
    CTN_ROUTE_OAUTH,
    CTN_ROUTE_OTHER,
    CTN_ROUTE_COUNT
} ctn_route_e;

typedef enum {
    CTN_COUNTER_WORKER_SPAWNS, /* worker processes started (first start included) */
    CTN_COUNTER_DB_ERRORS,     /* failed acquisitions or queries */
    CTN_COUNTER_COUNT
} ctn_counter_e;

typedef enum {
    CTN_GAUGE_DB_IN_USE, /* PostgreSQL connections checked out, all processes */
    CTN_GAUGE_COUNT
} ctn_gauge_e;

typedef struct ctn_metrics_t ctn_metrics_t;

/* Bytes of shared memory the block needs. */
apr_size_t ctn_metrics_bytes(void);

/* Zero a fresh block at `base` (at least ctn_metrics_bytes() bytes) and
 * return it. Call once, in the process that creates the memory. */
ctn_metrics_t *ctn_metrics_format(void *base);

/* The route label of a request path ("/twilio/voice" → CTN_ROUTE_TWILIO_VOICE). */
ctn_route_e ctn_metrics_route_of(const char *path);

/* Count one finished request. Any thread of any process; lock-free. */
void ctn_metrics_count_request(ctn_metrics_t *m, ctn_route_e route, int status);
void ctn_metrics_counter_add(ctn_metrics_t *m, ctn_counter_e counter, apr_uint64_t n);
void ctn_metrics_gauge_add(ctn_metrics_t *m, ctn_gauge_e gauge, apr_int64_t delta);

apr_uint64_t ctn_metrics_request_count(ctn_metrics_t *m, ctn_route_e route, int status);
apr_uint64_t ctn_metrics_counter(ctn_metrics_t *m, ctn_counter_e counter);
apr_int64_t ctn_metrics_gauge(ctn_metrics_t *m, ctn_gauge_e gauge);

/* The block as Prometheus text exposition (version 0.0.4), in `pool`. */
const char *ctn_metrics_render(ctn_metrics_t *m, apr_pool_t *pool);

#endif
