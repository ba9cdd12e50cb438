/* sms.c: the SMS outbox and its sender (see sms.h).
 *
 * Backoff: attempt n (1-based) that fails with a retryable error is retried
 * after BACKOFF_BASE_S * 2^(n-1) seconds, up to MAX_ATTEMPTS; then the row is
 * `failed` with Twilio's last error. A non-retryable answer (4xx: bad number,
 * unverified sender) fails at once: retrying cannot fix it. */
#include "sms.h"

#include "calls.h"
#include "log.h"
#include "twilio.h"

#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ATTEMPTS   5
#define BACKOFF_BASE_S 2

int ctn_sms_client_live(const ctn_sms_client_t *client)
{
    return client != NULL && client->account_sid != NULL && *client->account_sid &&
           client->auth_token != NULL && *client->auth_token && client->api_base != NULL;
}

apr_status_t ctn_sms_enqueue(PGconn *conn, apr_pool_t *pool, const ctn_sms_client_t *client,
                             const ctn_sms_t *sms, const char **id)
{
    static const char sql[] =
        /* A text about a test call (the owner trying Cortana from the
         * dashboard) is never sent: it would wake a real technician. */
        "INSERT INTO sms_messages (business_id, direction, to_number, from_number, body, status, "
        "call_log_id, dispatch_id, purpose, next_attempt_at) "
        "VALUES ($1, 'outbound', $2, $3, $4, CASE WHEN EXISTS (SELECT 1 FROM call_logs c "
        "WHERE c.id = $6::uuid AND c.is_test) THEN 'simulated' ELSE $5 END, $6::uuid, $7::uuid, "
        "$8, now()) RETURNING id";
    const char *params[8] = {sms->business_id,
                             sms->to,
                             sms->from,
                             sms->body,
                             ctn_sms_client_live(client) ? "queued" : "simulated",
                             sms->call_log_id,
                             sms->dispatch_id,
                             sms->purpose};
    PGresult *res;
    apr_status_t rv;

    rv = ctn_calls_exec(&res, conn, pool, "queueing an SMS", PGRES_TUPLES_OK, sql, 8, params);
    if (rv == APR_SUCCESS && id) {
        *id = apr_pstrdup(pool, PQgetvalue(res, 0, 0));
    }
    return rv;
}

apr_status_t ctn_sms_record_inbound(PGconn *conn, apr_pool_t *pool, const char *business_id,
                                    const char *from, const char *to, const char *body,
                                    const char *provider_sid, const char **id)
{
    static const char sql[] =
        /* A reply lands on the caller's latest call (a missed-call text-back,
         * an ETA text), so the owner sees it with that call. */
        "INSERT INTO sms_messages (business_id, direction, to_number, from_number, body, status, "
        "provider_sid, purpose, call_log_id) VALUES ($1, 'inbound', $2, $3, $4, 'received', $5, "
        "'reply', (SELECT id FROM call_logs WHERE business_id = $1 AND from_number = $3 "
        "ORDER BY started_at DESC LIMIT 1)) RETURNING id";
    const char *params[5] = {business_id, to, from, body, provider_sid};
    PGresult *res;
    apr_status_t rv;

    rv =
        ctn_calls_exec(&res, conn, pool, "storing an inbound SMS", PGRES_TUPLES_OK, sql, 5, params);
    if (rv == APR_SUCCESS && id) {
        *id = apr_pstrdup(pool, PQgetvalue(res, 0, 0));
    }
    return rv;
}

/* Record the outcome of one attempt. A dispatch text that failed for good
 * (a 4xx, or retries used up) reached nobody: the dispatch waiting on that
 * number is made due now, so the escalation tick texts the next link at
 * once instead of after the whole acknowledgement window. Only while the
 * dispatch still waits on the number the text went to: an escalation or an
 * acknowledgement since then is left alone. */
static apr_status_t record_attempt(PGconn *conn, const char *id, int attempts,
                                   const ctn_twilio_result_t *result, apr_status_t rv)
{
    static const char sql[] =
        "WITH s AS (UPDATE sms_messages SET attempts = $2::int, status = $3, provider_sid = $4, "
        "error = $5, next_attempt_at = now() + make_interval(secs => $6::int) WHERE id = $1 "
        "RETURNING status, purpose, dispatch_id, to_number) "
        "UPDATE dispatches d SET due_at = now() FROM s WHERE s.status = 'failed' "
        "AND s.purpose = 'dispatch' AND d.id = s.dispatch_id AND d.status = 'notified' "
        "AND d.notified_phone = s.to_number AND d.due_at > now()";
    char attempts_s[12], delay_s[12];
    const char *status, *error = NULL;
    int delay = 0;
    const char *params[6];

    if (rv == APR_SUCCESS && result->http_status >= 200 && result->http_status < 300) {
        status = "sent";
    } else if (result->retryable && attempts < MAX_ATTEMPTS) {
        status = "queued";
        delay = BACKOFF_BASE_S << (attempts - 1);
    } else {
        status = "failed";
    }
    if (strcmp(status, "sent") != 0) {
        error = result->error_message ? result->error_message : "no answer from Twilio";
    }
    apr_snprintf(attempts_s, sizeof(attempts_s), "%d", attempts);
    apr_snprintf(delay_s, sizeof(delay_s), "%d", delay);
    params[0] = id;
    params[1] = attempts_s;
    params[2] = status;
    params[3] = result->sid;
    params[4] = error;
    params[5] = delay_s;
    if (strcmp(status, "sent") != 0) {
        ctn_log_warning(NULL, "SMS %s attempt %d: %s (%s)", id, attempts, error, status);
    }
    return ctn_calls_exec(NULL, conn, NULL, "recording an SMS attempt", PGRES_COMMAND_OK, sql, 6,
                          params);
}

apr_status_t ctn_sms_send_due(PGconn *conn, apr_pool_t *pool, const ctn_sms_client_t *client,
                              int max, int *sent)
{
    /* Claim rows across businesses with a SECURITY DEFINER function (the
     * worker's role is RLS-bound); SKIP LOCKED lets several hosts share the
     * outbox. The claim holds row locks until COMMIT. */
    static const char claim[] = "SELECT id, to_number, from_number, body, attempts, business_id "
                                "FROM cortana_claim_due_sms($1::int)";
    char max_s[12];
    const char *params[1] = {max_s};
    PGresult *res;
    ctn_twilio_client_t twilio;
    apr_status_t rv;
    int n = 0;

    if (sent) {
        *sent = 0;
    }
    if (!ctn_sms_client_live(client)) {
        return APR_SUCCESS;
    }
    apr_snprintf(max_s, sizeof(max_s), "%d", max);
    if ((rv = ctn_calls_exec(NULL, conn, NULL, "BEGIN", PGRES_COMMAND_OK, "BEGIN", 0, NULL)) !=
        APR_SUCCESS) {
        return rv;
    }
    if ((rv = ctn_calls_exec(&res, conn, pool, "claiming due SMS", PGRES_TUPLES_OK, claim, 1,
                             params)) != APR_SUCCESS) {
        goto leave;
    }
    memset(&twilio, 0, sizeof(twilio));
    twilio.api_base = client->api_base;
    twilio.account_sid = client->account_sid;
    twilio.auth_token = client->auth_token;
    twilio.timeout_ms = client->timeout_ms > 0 ? client->timeout_ms : 10000;
    for (int i = 0; i < PQntuples(res); i++) {
        ctn_twilio_result_t result;
        const char *id = PQgetvalue(res, i, 0);
        int attempts = atoi(PQgetvalue(res, i, 4)) + 1;
        apr_status_t srv;

        const char *tenant[1] = {PQgetvalue(res, i, 5)};

        /* The row is locked; RLS needs its business to update it. */
        if ((rv = ctn_calls_exec(NULL, conn, NULL, "setting the tenant", PGRES_TUPLES_OK,
                                 "SELECT set_config('cortana.business_id', $1, true)", 1,
                                 tenant)) != APR_SUCCESS) {
            goto leave;
        }
        memset(&result, 0, sizeof(result));
        srv = ctn_twilio_send_sms(&result, pool, &twilio, PQgetvalue(res, i, 2),
                                  PQgetvalue(res, i, 1), PQgetvalue(res, i, 3), NULL);
        if ((rv = record_attempt(conn, id, attempts, &result, srv)) != APR_SUCCESS) {
            goto leave;
        }
        if (srv == APR_SUCCESS && result.http_status >= 200 && result.http_status < 300) {
            n++;
        }
    }
leave:
    if (ctn_calls_exec(NULL, conn, NULL, rv == APR_SUCCESS ? "COMMIT" : "ROLLBACK",
                       PGRES_COMMAND_OK, rv == APR_SUCCESS ? "COMMIT" : "ROLLBACK", 0,
                       NULL) != APR_SUCCESS &&
        rv == APR_SUCCESS) {
        rv = APR_EGENERAL;
    }
    if (sent) {
        *sent = n;
    }
    return rv;
}
