/* dialog.h: Cortana's built-in, rule-based conversation.
 *
 * One call is a sequence of turns; each webhook runs one turn: the caller's
 * words in, what Cortana says and does next out. Between turns the state
 * travels as JSON in the call log (ctn_dialog_state_to_json/from_json), so
 * any httpd child can run the next turn. The engine itself touches no
 * database and no network: what it needs done — find slots, book, dispatch
 * the on-call technician, search the knowledge base, take a message — it
 * asks of the tools the caller provides, the same tools the realtime engine
 * uses. Emergencies are checked on every caller line, first, in any state. */
#ifndef CTN_DIALOG_H
#define CTN_DIALOG_H

#include "calendar.h"
#include "language.h"
#include "slots.h"

#include <apr_pools.h>
#include <apr_tables.h>
#include <json-c/json.h>

typedef enum {
    CTN_STAGE_OPEN,          /* "how can I help?" */
    CTN_STAGE_COLLECT,       /* asking for the next missing slot of the goal */
    CTN_STAGE_OFFER,         /* a slot was offered: yes or no */
    CTN_STAGE_ANYTHING_ELSE, /* "anything else I can help with?" */
    CTN_STAGE_DONE
} ctn_stage_e;

typedef enum { CTN_GOAL_NONE, CTN_GOAL_BOOK, CTN_GOAL_EMERGENCY, CTN_GOAL_MESSAGE } ctn_goal_e;

typedef struct ctn_dialog_state_t {
    ctn_language_state_t lang;
    ctn_stage_e stage;
    ctn_goal_e goal;
    ctn_expect_e expecting;
    ctn_slots_t slots;
    int reprompts; /* consecutive silences or misunderstandings */
    int turns;
    int emergency;
    const char *emergency_category;
    int dispatched;
    ctn_slot_t offered; /* the slot on offer in CTN_STAGE_OFFER */
    int offers_declined;
    const char *appointment_id;
    int message_taken, question_answered, transferred, spam;
    const char *last_intent;
} ctn_dialog_state_t;

typedef struct ctn_dialog_tools_t {
    void *baton;
    /* Free slots for the preference, soonest first, none starting before
     * `not_before` (0: no limit). */
    apr_status_t (*find_slots)(void *baton, apr_pool_t *pool, const ctn_time_pref_t *pref,
                               apr_time_t not_before, apr_array_header_t **slots);
    /* APR_EEXIST when the slot was just taken by someone else. */
    apr_status_t (*book)(void *baton, apr_pool_t *pool, const ctn_slots_t *slots,
                         const ctn_slot_t *slot, const char **appointment_id);
    /* Text the on-call technician about an emergency (called once per call). */
    apr_status_t (*dispatch)(void *baton, apr_pool_t *pool, const ctn_slots_t *slots,
                             const char *category);
    /* A short answer from the knowledge base, or *answer NULL when none. */
    apr_status_t (*kb_search)(void *baton, apr_pool_t *pool, const char *question, ctn_lang_e lang,
                              const char **answer);
    apr_status_t (*take_message)(void *baton, apr_pool_t *pool, const ctn_slots_t *slots);
    /* "tomorrow at 9 AM" in the business's time zone. */
    const char *(*say_slot)(void *baton, apr_pool_t *pool, apr_time_t start, ctn_lang_e lang);
    /* The business hours as a sentence. */
    const char *(*say_hours)(void *baton, apr_pool_t *pool, ctn_lang_e lang);
} ctn_dialog_tools_t;

typedef struct ctn_dialog_context_t {
    const char *business_name;
    json_object *personality;  /* businesses.ai_personality */
    json_object *services;     /* [{"name","duration_minutes","price_min","price_max"}] */
    json_object *pricing;      /* {"service_call_fee": n, "notes": {"en","es"}} */
    json_object *service_area; /* {"zips": [...], "cities": [...]} */
    const apr_array_header_t *emergency_rules; /* extra rules, may be NULL */
    int after_hours;                           /* routing: closed now, emergency-only script */
    int freezing;                              /* no heat is an emergency */
    const char *caller_number;                 /* default callback number */
    const char *owner_phone;                   /* transfer target; NULL: take a message */
    const ctn_dialog_tools_t *tools;
} ctn_dialog_context_t;

typedef enum {
    CTN_DIALOG_GATHER,   /* listen for the caller's next words */
    CTN_DIALOG_RECORD,   /* record a voicemail */
    CTN_DIALOG_TRANSFER, /* dial `transfer_to` */
    CTN_DIALOG_HANGUP
} ctn_dialog_action_e;

typedef struct ctn_dialog_reply_t {
    apr_array_header_t *lines; /* const char *: what Cortana says, in order */
    ctn_lang_e lang;
    const char *voice;
    ctn_dialog_action_e action;
    const char *transfer_to;
    const char *intent; /* what the engine understood this turn */
    int language_switched;
    int emergency; /* an emergency was recognised this turn */
} ctn_dialog_reply_t;

void ctn_dialog_state_init(ctn_dialog_state_t *st, ctn_lang_e lang);

/* The greeting (first turn). */
apr_status_t ctn_dialog_start(ctn_dialog_reply_t *reply, apr_pool_t *pool, ctn_dialog_state_t *st,
                              const ctn_dialog_context_t *ctx);

/* One caller turn; `utterance` NULL or "" is silence. */
apr_status_t ctn_dialog_turn(ctn_dialog_reply_t *reply, apr_pool_t *pool, ctn_dialog_state_t *st,
                             const ctn_dialog_context_t *ctx, const char *utterance);

/* The disposition of a call that ended in this state. */
const char *ctn_dialog_disposition(const ctn_dialog_state_t *st);

/* A one-paragraph extractive summary of the call for the log and the owner. */
const char *ctn_dialog_summary(apr_pool_t *pool, const ctn_dialog_state_t *st);

/* "positive", "neutral" or "negative" from what the caller said (all their
 * lines, joined): a small bilingual lexicon with negation ("not happy"). */
const char *ctn_dialog_sentiment(apr_pool_t *pool, const char *caller_text);

json_object *ctn_dialog_state_to_json(const ctn_dialog_state_t *st);
apr_status_t ctn_dialog_state_from_json(ctn_dialog_state_t *st, apr_pool_t *pool,
                                        json_object *json);

#endif
