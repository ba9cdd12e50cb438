/* twiml.h: writing TwiML answers.
 *
 * A small builder that escapes every text and attribute for XML, emits
 * only the attributes given, with Twilio's camelCase names, and refuses to
 * nest what TwiML does not allow (a <Gather> inside a <Gather>). */
#ifndef CTN_TWIML_H
#define CTN_TWIML_H

#include <apr_pools.h>

typedef struct ctn_twiml_t ctn_twiml_t;

ctn_twiml_t *ctn_twiml_create(apr_pool_t *pool);

void ctn_twiml_say(ctn_twiml_t *t, const char *text, const char *voice, const char *language);

/* <Gather input="speech" …>; attributes left NULL are omitted. */
void ctn_twiml_gather_begin(ctn_twiml_t *t, const char *action, const char *language,
                            const char *hints);
void ctn_twiml_gather_end(ctn_twiml_t *t);

/* <Record> for a voicemail, with a transcription callback. */
void ctn_twiml_record(ctn_twiml_t *t, const char *action, const char *transcribe_callback,
                      int max_length);
void ctn_twiml_redirect(ctn_twiml_t *t, const char *url);
/* <Connect><Stream url><Parameter name value/></Stream></Connect>: a
 * bidirectional media stream; the TwiML after it runs when the stream ends. */
void ctn_twiml_connect_stream(ctn_twiml_t *t, const char *url, const char *param_name,
                              const char *param_value);
void ctn_twiml_dial(ctn_twiml_t *t, const char *number, const char *action, const char *caller_id);
void ctn_twiml_hangup(ctn_twiml_t *t);

/* The document, or NULL (and `*why`) when the builder was misused. */
const char *ctn_twiml_finish(ctn_twiml_t *t, const char **why);

/* `s` escaped for XML text and attributes, without control characters. */
const char *ctn_twiml_escape(apr_pool_t *pool, const char *s);

#endif
