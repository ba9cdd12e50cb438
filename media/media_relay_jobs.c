/* media_relay_jobs.c: work the event loop hands to the thread pool.
 *
 * Tools, database writes, ring writes and the emergency referee would block
 * the loop, so each runs as a job on the relay's apr_thread_pool. A job holds
 * a reference to its call (the call outlives it even if both sockets close)
 * and copies of what its thread may read. When it is done, relay_post()
 * queues it for the loop and wakes the loop (lws_cancel_service); the loop
 * finishes it in media_relay_drain(), where touching the call and its
 * sockets is safe again. */
#include "media_relay.h"

#include <apr_strings.h>
#include <string.h>

relay_job_t *relay_job(relay_call_t *c, void (*run)(relay_job_t *), void (*finish)(relay_job_t *))
{
    apr_pool_t *pool;
    relay_job_t *job;

    apr_pool_create(&pool, NULL); /* the thread's pool: never the call's */
    job = apr_pcalloc(pool, sizeof(*job));
    job->pool = pool;
    job->call = c;
    job->run = run;
    job->finish = finish;
    job->business_id = apr_pstrdup(pool, c->business_id);
    job->call_sid = apr_pstrdup(pool, c->call_sid);
    job->call_log_id = c->call_log_id ? apr_pstrdup(pool, c->call_log_id) : NULL;
    return job;
}

static void *APR_THREAD_FUNC run_job(apr_thread_t *thread, void *data)
{
    relay_job_t *job = data;

    job->run(job);
    relay_post(job);
    return NULL;
}

void relay_submit(relay_job_t *job)
{
    relay_t *r = job->call->m->relay;

    job->call->refs++;
    if (apr_thread_pool_push(r->workers, run_job, job, APR_THREAD_TASK_PRIORITY_NORMAL, NULL) !=
        APR_SUCCESS) {
        job->call->refs--;
        apr_pool_destroy(job->pool);
    }
}

void relay_post(relay_job_t *job)
{
    relay_t *r = job->call->m->relay;

    apr_thread_mutex_lock(r->lock);
    job->next = r->done;
    r->done = job;
    apr_thread_mutex_unlock(r->lock);
    lws_cancel_service(r->m->context);
}

void media_relay_drain(media_t *m)
{
    relay_t *r = m->relay;
    relay_job_t *list, *reversed = NULL;

    if (r == NULL || r->lock == NULL) {
        return; /* no realtime engine: nothing is ever posted */
    }
    apr_thread_mutex_lock(r->lock);
    list = r->done;
    r->done = NULL;
    apr_thread_mutex_unlock(r->lock);
    while (list) { /* oldest first */
        relay_job_t *next = list->next;
        list->next = reversed;
        reversed = list;
        list = next;
    }
    for (relay_job_t *job = reversed, *next; job; job = next) {
        relay_call_t *c = job->call;
        next = job->next;
        if (job->run == relay_job_start && job->result) {
            /* the call log and the instructions: the session can be set up */
            c->call_log_id = apr_pstrdup(c->pool, job->call_log_id ? job->call_log_id : "");
            if (job->lang && c->caller_lines == 0) {
                apr_cpystrn(c->lang, job->lang, sizeof(c->lang));
                ctn_language_state_init(&c->lang_state, ctn_language_from_code(c->lang));
            }
            if (c->openai && !c->openai_closed) {
                relay_send_openai_text(c, job->result);
            }
        } else if (job->run == relay_job_referee) {
            c->dispatch_tried |= job->flag;
            if (job->result && !c->stopping) { /* the referee dispatched, or failed to */
                relay_tell_model(c, job->result);
            }
        } else if (job->finish && !c->stopping) {
            job->finish(job);
        }
        apr_pool_destroy(job->pool);
        relay_call_release(c);
    }
}
