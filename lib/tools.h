/* tools.h: the dialog tools backed by PostgreSQL — the same actions for
 * both engines: free slots and booking (lib/calendar.c), emergency dispatch
 * (lib/dispatcher.c), knowledge-base search (full-text, English and
 * Spanish), and messages for the owner (an SMS through lib/sms.c). */
#ifndef CTN_TOOLS_H
#define CTN_TOOLS_H

#include "business.h"
#include "calls.h"
#include "dialog.h"
#include "sms.h"

typedef struct ctn_tools_t {
    PGconn *conn; /* tenant set to the business */
    const ctn_business_t *business;
    const ctn_call_t *call;
    const ctn_sms_client_t *sms;
    const char *public_url; /* for links in texts */
    ctn_dialog_tools_t ops; /* filled by ctn_tools_init */
} ctn_tools_t;

void ctn_tools_init(ctn_tools_t *tools);

/* The best knowledge-base passage for `question`, shortened for speech,
 * or NULL when nothing matches well enough. */
apr_status_t ctn_tools_kb_search(PGconn *conn, apr_pool_t *pool, const char *business_id,
                                 const char *question, const char *lang, const char **answer,
                                 const char **title);

/* The language the business's owner is texted in: the first its
 * personality offers, whatever language the caller spoke (as technicians
 * are, lib/dispatcher.c). Any thread. */
ctn_lang_e ctn_tools_owner_language(apr_pool_t *pool, const ctn_business_t *b);

/* Text the owner about a call that needs them (message, voicemail,
 * emergency): what happened and a link to the call on the dashboard, in
 * ctn_tools_owner_language. `what` is indexed by ctn_lang_e (English,
 * Spanish). */
apr_status_t ctn_tools_notify_owner(PGconn *conn, apr_pool_t *pool, const ctn_sms_client_t *sms,
                                    const ctn_business_t *b, const ctn_call_t *call,
                                    const char *public_url, const char *const what[2]);

#endif
