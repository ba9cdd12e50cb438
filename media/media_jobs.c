/* media_jobs.c: the worker's background jobs — dispatch escalations and the
 * SMS outbox — on their own thread, never on the event loop.
 *
 * Every tick the thread escalates the dispatches whose acknowledgement
 * window has passed and sends the queued texts, across all businesses
 * (rows are claimed with FOR UPDATE SKIP LOCKED, so several hosts can run
 * this at once). It keeps one PostgreSQL connection and reconnects with the
 * tick as backoff when the database goes away. */
#include "media.h"

#include "db.h"
#include "dispatcher.h"
#include "log.h"
#include "sms.h"

#include <apr_thread_proc.h>
#include <stdlib.h>
#include <string.h>

/* Work taken per tick: bounded so one tick never runs long. */
#define JOBS_BATCH 20

static void run_jobs(media_t *m, apr_pool_t *pool, PGconn **conn, const ctn_sms_client_t *sms)
{
    const char *why = NULL;
    int escalated = 0, sent = 0;

    if (*conn == NULL || PQstatus(*conn) != CONNECTION_OK) {
        apr_pool_clear(m->jobs_conn_pool);
        *conn = NULL;
        if (ctn_db_connect(conn, m->jobs_conn_pool, m->database, &why) != APR_SUCCESS) {
            ctn_log_warning(NULL, "background jobs: database unavailable: %s", why);
            *conn = NULL;
            return;
        }
    }
    /* Texts first: one that fails for good makes its dispatch due at once,
     * so the escalation below texts the next person in this same tick. */
    if (ctn_sms_send_due(*conn, pool, sms, JOBS_BATCH, &sent) != APR_SUCCESS) {
        ctn_log_err(NULL, "sending queued SMS failed");
    }
    if (ctn_dispatcher_escalate_due(*conn, pool, sms, JOBS_BATCH, &escalated) != APR_SUCCESS) {
        ctn_log_err(NULL, "dispatch escalation failed");
    }
    if (escalated > 0) {
        int more = 0;

        if (ctn_sms_send_due(*conn, pool, sms, JOBS_BATCH, &more) != APR_SUCCESS) {
            ctn_log_err(NULL, "sending queued SMS failed");
        }
        sent += more;
    }
    if (escalated || sent) {
        ctn_log_info(NULL, "background jobs: %d escalations, %d texts sent", escalated, sent);
    }
    m->jobs_runs++;
}

static void *APR_THREAD_FUNC jobs_main(apr_thread_t *thread, void *data)
{
    media_t *m = data;
    apr_pool_t *pool;
    PGconn *conn = NULL;
    ctn_sms_client_t sms;

    memset(&sms, 0, sizeof(sms));
    sms.api_base = getenv("CORTANA_TWILIO_API_BASE");
    sms.account_sid = getenv("CORTANA_TWILIO_ACCOUNT_SID");
    sms.auth_token = m->twilio_auth_token;
    sms.timeout_ms = 10000;
    apr_pool_create(&pool, NULL);
    apr_pool_create(&m->jobs_conn_pool, NULL);
    while (!m->stopping) {
        run_jobs(m, pool, &conn, &sms);
        apr_pool_clear(pool);
        for (int i = 0; i < m->tick_seconds * 10 && !m->stopping; i++) {
            apr_sleep(apr_time_from_msec(100));
        }
    }
    apr_pool_destroy(m->jobs_conn_pool);
    apr_pool_destroy(pool);
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

apr_status_t media_jobs_start(media_t *m)
{
    if (m->database == NULL) {
        ctn_log_warning(NULL, "no CORTANA_DATABASE: escalations and the SMS outbox are off");
        return APR_SUCCESS;
    }
    return apr_thread_create(&m->jobs_thread, NULL, jobs_main, m, m->pool);
}

void media_jobs_stop(media_t *m)
{
    apr_status_t rv;

    if (m->jobs_thread != NULL) {
        apr_thread_join(&rv, m->jobs_thread);
    }
}
