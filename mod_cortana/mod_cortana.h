/* mod_cortana.h: what the parts of the module share.
 *
 * mod_cortana.c holds the module record and calls each part's
 * *_register_hooks(); each part (config, events, worker, health, …) registers
 * its own hooks and exposes the few accessors the others need. */
#ifndef MOD_CORTANA_H
#define MOD_CORTANA_H

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"

#include <apr_time.h>

APLOG_USE_MODULE(cortana);
extern module AP_MODULE_DECLARE_DATA cortana_module;

struct ctn_ring_t;

/* ---- mod_cortana_events.c: the shared-memory event ring ---------------- */
void ctn_events_register_hooks(apr_pool_t *p);

/* The ring of this process (httpd parent or child), or NULL before
 * post_config / when it could not be created. */
struct ctn_ring_t *ctn_events_ring(void);

/* The path the worker attaches to the same ring by (valid after post_config). */
const char *ctn_events_shm_path(void);
/* CortanaPeerEvents On: this host's id on the peers' channel; else NULL. */
const char *ctn_events_host_id(void);

/* ---- mod_cortana_worker.c: supervision of cortana-media --------------- */
void ctn_worker_register_hooks(apr_pool_t *p);

typedef struct ctn_worker_status_t {
    int running;           /* 1 when a worker process is alive */
    pid_t pid;             /* its pid, 0 when none */
    apr_time_t started_at; /* when the current one started */
    apr_uint64_t restarts; /* restarts after unexpected deaths since httpd start */
} ctn_worker_status_t;

/* The worker's state as the parent last recorded it (shared memory, so any
 * child may call this). Returns APR_ENOTIMPL when supervision is off. */
apr_status_t ctn_worker_status(ctn_worker_status_t *out);

/* ---- mod_cortana_health.c: /healthz and /metrics ------------------------ */
void ctn_health_register_hooks(apr_pool_t *p);

struct ctn_metrics_t;
/* The process-shared counters (NULL before post_config). */
struct ctn_metrics_t *ctn_health_metrics(void);

/* ---- mod_cortana_storage.c: cortana-* locations skip the directory walk */
void ctn_storage_register_hooks(apr_pool_t *p);

/* ---- mod_cortana_twilio.c: the Twilio webhooks --------------------------- */
void ctn_twilio_register_hooks(apr_pool_t *p);

/* ---- mod_cortana_body.c: request bodies ---------------------------------- */

/* Read the whole request body (at most `max` bytes) into r->pool,
 * NUL-terminated. APR_ENOSPC when it is larger, other errors when the
 * client's body could not be read; `*why` says which. */
apr_status_t ctn_mod_read_body(request_rec *r, apr_size_t max, const char **body, apr_size_t *len,
                               const char **why);

/* The value of the request's cookie `name` (exact name match), or NULL. */
const char *ctn_mod_cookie(request_rec *r, const char *name);

/* ---- mod_cortana_api.c: the owner REST API and live transcripts ---------- */
void ctn_api_register_hooks(apr_pool_t *p);

struct ctn_api_env_t;
/* The API's view of this server (database, limits, URLs) for request `r`. */
void ctn_mod_api_env(struct ctn_api_env_t *env, request_rec *r);

/* ---- mod_cortana_sse.c: GET /api/transcripts ---------------------------- */
int ctn_sse_handle(request_rec *r);

/* ---- mod_cortana_secrets.c: keys read as root at start ----------------- */
void ctn_secrets_register_hooks(apr_pool_t *p);
/* The master key (CortanaKeyFile, 32 bytes) or NULL when none is set. */
const unsigned char *ctn_secrets_stream_key(void);
/* The OpenAI API key (CortanaOpenAIKeyFile) or NULL. */
const char *ctn_secrets_openai_key(void);

/* ---- mod_cortana_db.c: one PostgreSQL pool per httpd child -------------- */
void ctn_mod_db_register_hooks(apr_pool_t *p);

struct ctn_db_t;
/* Check out a connection of this child's pool for `s`, with the tenant set
 * for row-level security (`business_id` NULL: no tenant, so RLS shows no
 * business-owned rows). The connection goes back to the pool when `pool`
 * (normally r->pool) is cleaned up, or earlier with ctn_mod_db_release.
 * Returns APR_EGENERAL with the reason logged when the database is down. */
apr_status_t ctn_mod_db_acquire(struct ctn_db_t **db, server_rec *s, const char *business_id,
                                apr_pool_t *pool);
void ctn_mod_db_release(struct ctn_db_t *db);

#endif
