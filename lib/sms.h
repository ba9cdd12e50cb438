/* sms.h: text messages, outbound and inbound, through an outbox table.
 *
 * Nothing waits on Twilio while a caller is on the line: an outbound SMS is
 * a row in sms_messages. Without Twilio credentials it is stored with status
 * `simulated` at once (and shown on the dashboard); with credentials it is
 * `queued`, and the media worker's tick sends it (lib/sms.c
 * ctn_sms_send_due), retrying 5xx answers and timeouts with backoff and
 * recording every failure on the row. */
#ifndef CTN_SMS_H
#define CTN_SMS_H

#include <apr_pools.h>
#include <libpq-fe.h>

typedef struct ctn_sms_client_t {
    const char *api_base;    /* CortanaTwilioAPIBase */
    const char *account_sid; /* NULL or empty: simulate */
    const char *auth_token;
    int timeout_ms;
} ctn_sms_client_t;

typedef struct ctn_sms_t {
    const char *business_id;
    const char *to, *from, *body;
    const char *call_log_id; /* NULL when not about a call */
    const char *dispatch_id; /* NULL when not part of a dispatch */
    const char *purpose;     /* dispatch, owner_notice, missed_call, caller_eta, … */
} ctn_sms_t;

/* 1 when the client can really send (account SID and token set). */
int ctn_sms_client_live(const ctn_sms_client_t *client);

/* Store an outbound message: `queued` when the client is live, else
 * `simulated`. The connection's tenant must be the business. `*id` (may be
 * NULL) gets the row's id. */
apr_status_t ctn_sms_enqueue(PGconn *conn, apr_pool_t *pool, const ctn_sms_client_t *client,
                             const ctn_sms_t *sms, const char **id);

/* Store an inbound message (Twilio's SMS webhook), linked to the sender's
 * latest call with the business when there is one. */
apr_status_t ctn_sms_record_inbound(PGconn *conn, apr_pool_t *pool, const char *business_id,
                                    const char *from, const char *to, const char *body,
                                    const char *provider_sid, const char **id);

/* Send what is due (queued, next attempt reached), at most `max` messages,
 * across businesses. Runs in the worker's tick thread, never on a request
 * path: it blocks on Twilio. `*sent` (may be NULL) gets how many went out. */
apr_status_t ctn_sms_send_due(PGconn *conn, apr_pool_t *pool, const ctn_sms_client_t *client,
                              int max, int *sent);

#endif
