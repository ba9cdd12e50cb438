/* routing.c: the routing decision for an inbound call (see routing.h). */
#include "routing.h"

#include <string.h>

/* Concurrent calls a plan answers before overflow goes to voicemail. A
 * trial is generous enough to try Cortana with a test call while a real
 * call is in progress. */
static const struct {
    const char *plan;
    int limit;
} plan_limits[] = {
    {"trial", 2},
    {"starter", 3},
    {"pro", 10},
    {"business", 25},
};
#define DEFAULT_PLAN_LIMIT 2

int ctn_routing_plan_limit(const char *plan)
{
    for (size_t i = 0; plan && i < sizeof(plan_limits) / sizeof(plan_limits[0]); i++) {
        if (strcmp(plan, plan_limits[i].plan) == 0) {
            return plan_limits[i].limit;
        }
    }
    return DEFAULT_PLAN_LIMIT;
}

/* Subscription states in which Cortana no longer answers for the business.
 * past_due keeps answering: Stripe is still retrying the payment. */
static int subscription_ended(const char *status)
{
    return status != NULL && (strcmp(status, "canceled") == 0 || strcmp(status, "unpaid") == 0 ||
                              strcmp(status, "incomplete_expired") == 0);
}

void ctn_routing_decide(const ctn_routing_input_t *in, ctn_routing_result_t *out)
{
    int limit = in->overflow_limit > 0 ? in->overflow_limit : ctn_routing_plan_limit(in->plan);

    out->engine = in->realtime_available ? "realtime" : "builtin";
    if (in->caller_blocked) {
        out->decision = CTN_ROUTING_BLOCKED;
        out->reason = "caller is on the blocked list";
        return;
    }
    if (subscription_ended(in->subscription_status)) {
        if (in->owner_phone != NULL && *in->owner_phone) {
            out->decision = CTN_ROUTING_FORWARD_OWNER;
            out->reason = "subscription ended: forwarded to the owner";
        } else {
            out->decision = CTN_ROUTING_VOICEMAIL;
            out->reason = "subscription ended and no owner phone: voicemail";
        }
        return;
    }
    if (in->active_calls >= limit) {
        out->decision = CTN_ROUTING_VOICEMAIL;
        out->reason = "over the concurrent-call limit: voicemail";
        return;
    }
    if (!in->open_now) {
        out->decision = CTN_ROUTING_AFTER_HOURS;
        out->reason = "after hours: emergency-only script";
        return;
    }
    out->decision = CTN_ROUTING_ANSWER;
    out->reason = "open: answered";
}

const char *ctn_routing_decision_name(ctn_routing_decision_e decision)
{
    switch (decision) {
    case CTN_ROUTING_ANSWER:
        return "answer";
    case CTN_ROUTING_AFTER_HOURS:
        return "after_hours";
    case CTN_ROUTING_VOICEMAIL:
        return "voicemail";
    case CTN_ROUTING_FORWARD_OWNER:
        return "forward_owner";
    case CTN_ROUTING_BLOCKED:
        return "blocked";
    }
    return "answer";
}
