/* dialog.h: Cortana's built-in, rule-based conversation.
 *
 * One call is a sequence of turns; each webhook runs one turn: the caller's
 * words in, what Cortana says and does next out. Between turns the state
 * travels as JSON in the call log (ctn_dialog_state_serialize/from_json), so
 * any httpd child can run the next turn. The engine itself touches no
 * database and no network: what it needs done — find slots, book, dispatch
 * the on-call technician, search the knowledge base, take a message — it
 * asks of the tools the caller provides, the same tools the realtime engine
 * uses. Emergencies are checked on every caller line, first, in any state,
 * and dispatched exactly once per call. Every line Cortana says comes from
 * the phrase table (dialog_phrases.c) through the business's personality
 * (personality.h).
 *
 * Files: dialog.c (the turns), dialog_state.c (state ⇄ JSON),
 * dialog_phrases.c (every sentence, English and Spanish). */
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
    CTN_STAGE_ANYTHING_ELSE, /* "anything else?", or a yes/no proposal of `goal` */
    CTN_STAGE_DONE
} ctn_stage_e;

typedef enum {
    CTN_GOAL_NONE,
    CTN_GOAL_BOOK,      /* problem, name, address, callback, time → offer → book */
    CTN_GOAL_EMERGENCY, /* (dispatched already) address, name → offer the soonest slot */
    CTN_GOAL_MESSAGE,   /* name, message, callback → take_message */
    CTN_GOAL_AREA       /* a ZIP code or a city → in the service area or not */
} ctn_goal_e;

typedef struct ctn_dialog_state_t {
    ctn_language_state_t lang;
    ctn_stage_e stage;
    ctn_goal_e goal;
    ctn_expect_e expecting; /* what Cortana just asked for */
    ctn_slots_t slots;
    int reprompts; /* consecutive silences or answers not understood */
    int turns;     /* caller turns so far */
    int emergency;
    const char *emergency_category;
    int dispatched;         /* the dispatch tool succeeded */
    int dispatch_tried;     /* the dispatch tool was called: never again this call */
    int callback_confirmed; /* slots.callback_number was read back or given */
    int caller_id_declined; /* the caller does not want the number they call from */
    ctn_slot_t offered;     /* the slot on offer in CTN_STAGE_OFFER */
    int offers_declined;    /* offers the caller said no to */
    const char *appointment_id;
    int message_taken, question_answered, transferred, spam;
    const char *last_intent;
    int realtime; /* the realtime engine holds the call: the next webhook is its handoff */
} ctn_dialog_state_t;

typedef struct ctn_dialog_tools_t {
    void *baton;
    /* Free slots for the preference, soonest first (ctn_slot_t), none
     * starting before `not_before` (0: no limit). */
    apr_status_t (*find_slots)(void *baton, apr_pool_t *pool, const ctn_time_pref_t *pref,
                               apr_time_t not_before, apr_array_header_t **slots);
    /* APR_EEXIST when the slot was just taken by someone else. */
    apr_status_t (*book)(void *baton, apr_pool_t *pool, const ctn_slots_t *slots,
                         const ctn_slot_t *slot, const char **appointment_id);
    /* Text the on-call technician about an emergency: called once per call,
     * as soon as it is recognised, possibly before the address is known. */
    apr_status_t (*dispatch)(void *baton, apr_pool_t *pool, const ctn_slots_t *slots,
                             const char *category);
    /* A short answer from the knowledge base, or *answer NULL when none. */
    apr_status_t (*kb_search)(void *baton, apr_pool_t *pool, const char *question, ctn_lang_e lang,
                              const char **answer);
    /* A message for the owner: slots->name, ->callback_number, ->message. */
    apr_status_t (*take_message)(void *baton, apr_pool_t *pool, const ctn_slots_t *slots);
    /* "tomorrow at 9 AM" in the business's time zone. */
    const char *(*say_slot)(void *baton, apr_pool_t *pool, apr_time_t start, ctn_lang_e lang);
    /* The business hours as a sentence ("Monday to Friday, 8 AM to 5 PM"). */
    const char *(*say_hours)(void *baton, apr_pool_t *pool, ctn_lang_e lang);
} ctn_dialog_tools_t;

typedef struct ctn_dialog_context_t {
    const char *business_name;
    json_object *personality;  /* businesses.ai_personality (see personality.h) */
    json_object *services;     /* [{"name","duration_minutes","price_min","price_max"}] */
    json_object *pricing;      /* {"service_call_fee": n, "notes": {"en","es"}} */
    json_object *service_area; /* {"zips": [...], "cities": [...]} */
    const apr_array_header_t *emergency_rules; /* extra rules, may be NULL */
    int after_hours;           /* routing: closed now: emergency-only script, no transfer */
    int freezing;              /* no heat is an emergency */
    const char *caller_number; /* default callback number (E.164), may be NULL */
    const char *owner_phone;   /* transfer target; NULL: take a message */
    const ctn_dialog_tools_t *tools;
} ctn_dialog_context_t;

typedef enum {
    CTN_DIALOG_GATHER,   /* listen for the caller's next words */
    CTN_DIALOG_RECORD,   /* record a voicemail */
    CTN_DIALOG_TRANSFER, /* dial `transfer_to` */
    CTN_DIALOG_HANGUP
} ctn_dialog_action_e;

typedef struct ctn_dialog_reply_t {
    apr_array_header_t *lines; /* const char *: what Cortana says, in order, rendered */
    ctn_lang_e lang;           /* <Say> and <Gather> language */
    const char *voice;         /* <Say> voice for `lang` */
    ctn_dialog_action_e action;
    const char *transfer_to;
    const char *intent;     /* what the engine understood this turn */
    ctn_expect_e expecting; /* what the caller's next words should hold (GATHER) */
    const char *hints;      /* <Gather hints>: comma-separated likely words (GATHER) */
    int language_switched;
    int emergency; /* the emergency rules matched this turn */
} ctn_dialog_reply_t;

/* A fresh state for a call in `lang`. */
void ctn_dialog_state_init(ctn_dialog_state_t *st, ctn_lang_e lang);

/* The greeting (first turn): the personality's greeting (with the AI
 * disclosure) and, after hours, the emergency-only notice. Strings in
 * `reply` and `st` live in `pool`. Any thread; `st` belongs to the caller.
 * APR_EINVAL only for a NULL argument. */
apr_status_t ctn_dialog_start(ctn_dialog_reply_t *reply, apr_pool_t *pool, ctn_dialog_state_t *st,
                              const ctn_dialog_context_t *ctx);

/* One caller turn; `utterance` NULL, "" or only punctuation is silence.
 * Calls the context's tools as needed. Always APR_SUCCESS with a usable
 * reply (a failing tool turns into a message or a voicemail); APR_EINVAL
 * only for a NULL argument. */
apr_status_t ctn_dialog_turn(ctn_dialog_reply_t *reply, apr_pool_t *pool, ctn_dialog_state_t *st,
                             const ctn_dialog_context_t *ctx, const char *utterance);

/* The routing answered for the engine: a blocked caller is refused
 * (`busy` 0: spam, hang up), or, over the concurrent-call limit, asked to
 * leave a message (`busy` 1: record). In the state's language with the
 * personality's voice and tone; the state is done. Any thread; APR_EINVAL
 * only for a NULL argument. */
apr_status_t ctn_dialog_routed(ctn_dialog_reply_t *reply, apr_pool_t *pool, ctn_dialog_state_t *st,
                               const ctn_dialog_context_t *ctx, int busy);

/* The caller's recorded message (a <Record> the engine or the routing
 * asked for) has arrived: thank them and hang up, in the call's language
 * and the personality's voice and tone. `st` is the call's state, or a
 * fresh one in the call log's language when it has none. Any thread;
 * APR_EINVAL only for a NULL argument. */
apr_status_t ctn_dialog_recorded(ctn_dialog_reply_t *reply, apr_pool_t *pool,
                                 ctn_dialog_state_t *st, const ctn_dialog_context_t *ctx);

/* The transfer to a person (CTN_DIALOG_TRANSFER) rang out — busy, no
 * answer, failed: the caller leaves a recorded message instead, and the
 * call is no longer counted as transferred. Any thread; APR_EINVAL only
 * for a NULL argument. */
apr_status_t ctn_dialog_transfer_unanswered(ctn_dialog_reply_t *reply, apr_pool_t *pool,
                                            ctn_dialog_state_t *st,
                                            const ctn_dialog_context_t *ctx);

/* A line said while the realtime engine held the call, as the transcript
 * stored it. */
typedef struct ctn_dialog_line_t {
    const char *speaker; /* "caller" or "cortana"; other lines are skipped */
    const char *text;
} ctn_dialog_line_t;

/* What the realtime engine left behind when its stream ended. */
typedef struct ctn_dialog_handoff_t {
    const apr_array_header_t *lines; /* ctn_dialog_line_t in the order said; may be NULL */
    const char *dispatch_category; /* the call's dispatch: its category ("" unknown); NULL: none */
    int dispatched;                /* that dispatch texted someone (0: nobody could be alerted) */
    int emergency;                 /* the call log says emergency */
    const char *appointment_id;    /* an appointment booked for the call, or NULL */
    ctn_slots_t booked;            /* that appointment's name, callback, address, problem */
    int message_taken;             /* a message for the owner was taken */
} ctn_dialog_handoff_t;

/* The built-in engine takes over a call the realtime engine held (its
 * stream ended abnormally). The state is rebuilt from what the caller
 * said there, weighed line by line as turns weigh them — language (with
 * hysteresis), emergency rules, intent, slots (a bare answer counts for
 * what Cortana had just asked: ctn_dialog_asked) — and from what the
 * realtime tools did (`handoff`): a dispatch or a booking is never made
 * again (a dispatch that alerted nobody is not retried, and the call is not
 * counted as dispatched); an emergency the rules recognised and nobody
 * dispatched is dispatched now. The reply is a short apology (when the caller had said
 * anything) and the next question the dialog needs; the state is then an
 * ordinary built-in state (realtime cleared). `st` is the state saved with
 * the greeting. Strings live in `pool`. Any thread; APR_EINVAL only for a
 * NULL argument. */
apr_status_t ctn_dialog_resume(ctn_dialog_reply_t *reply, apr_pool_t *pool, ctn_dialog_state_t *st,
                               const ctn_dialog_context_t *ctx,
                               const ctn_dialog_handoff_t *handoff);

/* What Cortana's line `text` (a realtime model's words, or the built-in
 * engine's own) asks the caller for: "May I have your name?" →
 * CTN_EXPECT_NAME, "¿Cuál es la dirección?" → CTN_EXPECT_ADDRESS; of
 * several questions the last counts; CTN_EXPECT_NONE when it asks for no
 * slot ("How can I help you?"). Pure; any thread. */
ctn_expect_e ctn_dialog_asked(apr_pool_t *pool, const char *text);

/* The disposition of a call in this state: emergency_dispatched, booked,
 * spam, transferred, message_taken, question_answered or abandoned (in
 * that order of precedence). An emergency that could not be dispatched
 * (nobody on call to text) is message_taken: the caller waits for the
 * business's call back; the call log's emergency flag says it is urgent.
 * Static string. */
const char *ctn_dialog_disposition(const ctn_dialog_state_t *st);

/* The call ended (the caller hung up, or Cortana did): marks the state
 * done and returns its final disposition. */
const char *ctn_dialog_finish(ctn_dialog_state_t *st);

/* A one-paragraph extractive summary of the call for the log and the owner.
 * `disposition` is the call's final one when something after the dialog's
 * last turn decided it (a voicemail), NULL for the state's own. */
const char *ctn_dialog_summary(apr_pool_t *pool, const ctn_dialog_state_t *st,
                               const char *disposition);

/* "positive", "neutral" or "negative" from what the caller said (all their
 * lines, joined): a small bilingual lexicon with negation ("not happy"). */
const char *ctn_dialog_sentiment(apr_pool_t *pool, const char *caller_text);

/* The state as compact JSON text in `pool`. Enums are stored by name, so a
 * stored state survives the enums growing. */
const char *ctn_dialog_state_serialize(apr_pool_t *pool, const ctn_dialog_state_t *st);

/* Read a state written by ctn_dialog_state_serialize (or by the first
 * format, with enums as numbers); strings are copied into `pool`.
 * APR_EINVAL, and `*st` a fresh English state, when `json` is not such a
 * state. */
apr_status_t ctn_dialog_state_from_json(ctn_dialog_state_t *st, apr_pool_t *pool,
                                        json_object *json);

#endif
