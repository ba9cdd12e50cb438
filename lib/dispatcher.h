/* dispatcher.h: emergency dispatch to the on-call technicians, with escalation.
 *
 * An emergency call texts the first active technician in on-call order. If
 * nobody answers YES within the business's acknowledgement window, the
 * next one is texted, then the owner; after the owner the dispatch is
 * `exhausted`. A technician's reply YES/SÍ acknowledges (recorded on the
 * dispatch and the call log, the caller optionally texted that help is on
 * the way), NO passes to the next at once. One dispatch row per call holds
 * the current step; every text is a row in sms_messages (lib/sms.c).
 * Technicians and the owner are texted in the business's first language
 * (its personality's `languages`), not the caller's.
 * Escalations are rows with a due time, picked up by the worker's tick with
 * FOR UPDATE SKIP LOCKED, so several hosts can share the work. */
#ifndef CTN_DISPATCHER_H
#define CTN_DISPATCHER_H

#include "sms.h"

#include <apr_pools.h>
#include <libpq-fe.h>

/* Acknowledgement window when the business set none (seconds). */
#define CTN_DISPATCH_DEFAULT_ACK_WINDOW 300

typedef struct ctn_dispatch_request_t {
    const char *business_id;
    const char *business_name;
    const char *business_number; /* SMS sender */
    const char *call_log_id;
    const char *call_sid;
    const char *category; /* emergency category, e.g. "flooding" */
    const char *caller_number;
    const char *caller_name; /* may be NULL */
    const char *address;     /* may be NULL */
    const char *problem;     /* may be NULL */
    const char *call_link;   /* dashboard URL of the call */
    int ack_window_s;        /* <= 0: the default */
} ctn_dispatch_request_t;

/* Start the dispatch of an emergency call (once per call: a second call for
 * the same call log returns the existing dispatch, and what it did). The
 * connection's tenant must be the business. APR_ENOENT when nobody was
 * alerted: the business has nobody to text (no active technician, no owner
 * phone; the dispatch is recorded, exhausted), or the call's existing
 * dispatch never texted anyone. Atomic: outside a transaction it runs in
 * its own, so any other failure leaves no dispatch and a later start tries
 * afresh; inside the caller's, the caller rolls back on failure. */
apr_status_t ctn_dispatcher_start(PGconn *conn, apr_pool_t *pool, const ctn_sms_client_t *sms,
                                  const ctn_dispatch_request_t *req, const char **dispatch_id);

/* Escalate dispatches whose acknowledgement window has passed, across
 * businesses (worker tick). `*escalated` (may be NULL) gets how many. */
apr_status_t ctn_dispatcher_escalate_due(PGconn *conn, apr_pool_t *pool,
                                         const ctn_sms_client_t *sms, int max, int *escalated);

/* A text from `from` to the business: if it is a technician's (or the
 * owner's) answer to a pending dispatch, apply it; a reply that is no clear
 * answer gets a text asking for YES or NO. `*handled` is 1 when it was a
 * reply to a pending dispatch. The tenant must be the business. */
apr_status_t ctn_dispatcher_handle_reply(PGconn *conn, apr_pool_t *pool,
                                         const ctn_sms_client_t *sms, const char *business_id,
                                         const char *from, const char *body, int *handled);

/* A technician's reply, English or Spanish, any case and accents: 1 when it
 * accepts (YES, SÍ, OK, "on my way", "voy para allá", "no problem"), 0 when
 * it refuses (NO, "can't", "no puedo", "busy", an acceptance negated in its
 * clause: "can't be there", "not coming", "no voy"), -1 when it does neither or
 * both ("yes but I can't"): the caller of ctn_dispatcher_handle_reply then
 * asks for YES or NO. Pure; any thread. */
int ctn_dispatcher_parse_answer(const char *body);

#endif
