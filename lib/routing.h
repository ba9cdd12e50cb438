/* routing.h: what happens to an inbound call before the conversation.
 *
 * The order is the product's contract (DESIGN.md, "Routing before the
 * conversation"): blocked caller → subscription state (canceled: forward to
 * the owner's phone) → business hours in the business's time zone (after
 * hours: emergency-only script) → concurrency (over the plan's limit:
 * voicemail) → engine choice (realtime if configured and healthy, else the
 * built-in engine). The decision is pure: the caller gathers the facts (the
 * database, the calendar, the worker's health) and records the result on
 * the call log. */
#ifndef CTN_ROUTING_H
#define CTN_ROUTING_H

typedef enum {
    CTN_ROUTING_ANSWER,        /* normal conversation */
    CTN_ROUTING_AFTER_HOURS,   /* conversation with the emergency-only script */
    CTN_ROUTING_VOICEMAIL,     /* over the concurrent-call limit: take a message */
    CTN_ROUTING_FORWARD_OWNER, /* subscription ended: ring the owner directly */
    CTN_ROUTING_BLOCKED        /* caller on the business's blocked list */
} ctn_routing_decision_e;

typedef struct ctn_routing_input_t {
    const char *subscription_status; /* Stripe's: trialing, active, past_due, canceled, … */
    const char *plan;                /* trial, starter, pro, … (for the default call limit) */
    int open_now;                    /* 1 inside business hours (holidays already applied) */
    int active_calls;                /* calls of this business in progress, this one excluded */
    int overflow_limit;              /* the business's setting; <= 0: the plan's default */
    int caller_blocked;              /* 1 when the caller is on the blocked list */
    const char *owner_phone;         /* E.164 or NULL */
    int realtime_available;          /* OpenAI key configured and the worker reports it healthy */
} ctn_routing_input_t;

typedef struct ctn_routing_result_t {
    ctn_routing_decision_e decision;
    const char *engine; /* "builtin" or "realtime" (static string) */
    const char *reason; /* short, for the call log and the logs (static string) */
} ctn_routing_result_t;

/* Decide. Never fails: unknown subscription states are treated as active
 * (a caller is never dropped because of a billing detail). */
void ctn_routing_decide(const ctn_routing_input_t *in, ctn_routing_result_t *out);

/* The concurrent-call limit of a plan when the business set none. */
int ctn_routing_plan_limit(const char *plan);

/* "answer", "after_hours", "voicemail", "forward_owner", "blocked". */
const char *ctn_routing_decision_name(ctn_routing_decision_e decision);

#endif
