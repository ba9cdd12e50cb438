/* simulator.h: plays Twilio against a running Cortana server.
 *
 * The call simulator behind `cortana-call` and the owner's test calls
 * (POST /api/test-calls). It signs every request exactly as Twilio does
 * (X-Twilio-Signature over the public URL and the sorted parameters), posts
 * the voice webhook, follows the TwiML it gets back — <Say> is reported with
 * its language, <Gather input="speech"> is answered by the caller, <Record>
 * with a transcription, <Redirect>, <Dial>, <Hangup> — and sends the status
 * callback when the call ends, then the transcriptions of its recordings, in
 * Twilio's order (Twilio transcribes a recording after the call has ended). No phone network
 * needed. With a media mode (simulator_media.h) it also plays Twilio's side of the
 * <Connect><Stream> media stream; without one the stream is skipped, which
 * is the realtime engine's failover path. */
#ifndef CTN_SIMULATOR_H
#define CTN_SIMULATOR_H

#include "simulator_media.h"

#include <apr_pools.h>
#include <apr_tables.h>

typedef struct ctn_sim_config_t {
    const char *server_url;       /* where requests go, e.g. http://127.0.0.1:8080 */
    const char *public_url;       /* the URL Twilio signs (CortanaPublicURL); NULL: server_url */
    const char *auth_token;       /* Twilio auth token the server verifies with */
    const char *account_sid;      /* NULL: a fixed test SID */
    const char *call_sid;         /* NULL: a random CA… SID */
    const char *from;             /* caller, E.164 */
    const char *to;               /* the business's number, E.164 */
    int timeout_ms;               /* per HTTP request; 0: 10 s */
    int max_steps;                /* TwiML documents followed before giving up; 0: 64 */
    int test_call;                /* 1: mark the call as a test call (owner's dashboard) */
    const ctn_sim_media_t *media; /* NULL: <Connect><Stream> is skipped at once */
} ctn_sim_config_t;

/* What the simulated caller says. Return NULL to hang up, "" for silence. */
typedef struct ctn_sim_caller_t {
    const char *(*next_utterance)(void *baton, apr_pool_t *pool, const char *stt_language);
    /* The words spoken into a <Record> (its transcription); NULL: hang up. */
    const char *(*recording)(void *baton, apr_pool_t *pool);
    /* How the next <Dial> ends, as Twilio's DialCallStatus ("completed",
     * "busy", "no-answer", "failed", "canceled"); the member or its answer
     * NULL: "completed" (the person answered). */
    const char *(*dial_status)(void *baton, apr_pool_t *pool);
    void *baton;
} ctn_sim_caller_t;

typedef enum {
    CTN_SIM_SAY,    /* Cortana spoke: text, language */
    CTN_SIM_CALLER, /* the caller spoke (text) or stayed silent ("") */
    CTN_SIM_RECORD, /* the caller left a recording: its transcription */
    CTN_SIM_DIAL,   /* the call is transferred: the number */
    CTN_SIM_HANGUP, /* the call ended: who ended it */
    CTN_SIM_INFO,   /* anything else worth printing */
    CTN_SIM_ERROR   /* an HTTP or TwiML error: what happened */
} ctn_sim_event_e;

typedef void ctn_sim_observer_fn(void *baton, ctn_sim_event_e event, const char *language,
                                 const char *text);

typedef struct ctn_sim_result_t {
    const char *call_sid;
    int documents; /* TwiML documents received */
    int errors;    /* HTTP or TwiML errors */
    int last_http_status;
    const char *ended_by;        /* "server" (Hangup / end of TwiML), "caller", "error", "limit" */
    ctn_sim_media_stats_t media; /* what the media streams did (media mode) */
} ctn_sim_result_t;

/* Place one call. Returns APR_SUCCESS when the call ran to its end without
 * an HTTP or TwiML error (the status callback included), else an error with
 * the details reported to `observe`. Blocking; any thread; uses libcurl
 * (curl_global_init must have been called by the program). */
apr_status_t ctn_sim_run(ctn_sim_result_t *result, apr_pool_t *pool, const ctn_sim_config_t *cfg,
                         const ctn_sim_caller_t *caller, ctn_sim_observer_fn *observe, void *baton);

/* A caller that plays a script: one line per turn; "# …" comments and blank
 * lines are skipped; "<silence>" says nothing; "<hangup>" hangs up;
 * "record: words" answers the next <Record>; "dial: STATUS" ends the next
 * <Dial> with that DialCallStatus (busy, no-answer, failed, canceled,
 * completed; without one a <Dial> is answered). Runs out → hangs up. */
apr_status_t ctn_sim_script_parse(ctn_sim_caller_t *caller, apr_pool_t *pool, const char *text,
                                  const char **why);

/* A random call SID: "CA" + 32 hex digits. */
const char *ctn_sim_call_sid(apr_pool_t *pool);

#endif
