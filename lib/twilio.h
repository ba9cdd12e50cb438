/* twilio.h: Twilio's REST API (2010-04-01): sending SMS, updating live calls.
 *
 * Form-encoded POSTs with HTTP Basic auth (account SID : auth token) to
 * CortanaTwilioAPIBase, so tests point it at tests/fakes/fake_twilio.py.
 * Blocking (libcurl): call it from the worker's tick thread, never from a
 * request that a caller is waiting on. */
#ifndef CTN_TWILIO_H
#define CTN_TWILIO_H

#include <apr_pools.h>

typedef struct ctn_twilio_client_t {
    const char *api_base, *account_sid, *auth_token;
    int timeout_ms;
} ctn_twilio_client_t;

typedef struct ctn_twilio_result_t {
    int http_status;           /* 0 when no answer */
    const char *sid;           /* the message's SID (SM…) on success */
    const char *status;        /* Twilio's status ("queued") on success */
    int error_code;            /* Twilio's error code, 0 when none */
    const char *error_message; /* never contains the token */
    int retryable;             /* 5xx, 429, timeouts and connection errors */
} ctn_twilio_result_t;

apr_status_t ctn_twilio_send_sms(ctn_twilio_result_t *result, apr_pool_t *pool,
                                 const ctn_twilio_client_t *client, const char *from,
                                 const char *to, const char *body, const char *status_callback);

/* Redirect a live call to new TwiML (<Dial> the owner, <Hangup/>):
 * POST /Accounts/{sid}/Calls/{CallSid}.json with Twiml. */
apr_status_t ctn_twilio_update_call(ctn_twilio_result_t *result, apr_pool_t *pool,
                                    const ctn_twilio_client_t *client, const char *call_sid,
                                    const char *twiml);

#endif
