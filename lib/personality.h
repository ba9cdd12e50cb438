/* personality.h: how a business's receptionist sounds.
 *
 * businesses.ai_personality: {"assistant_name", "tone" (friendly |
 * professional | calm), "greeting" {"en","es"}, "sign_off" {"en","es"},
 * "voice" {"en","es"}, "disclose_ai" (default true), "price_policy"
 * (ranges | exact | never), "rules" [free text, for the realtime model]}.
 * Templates may use {business} and {assistant}. Every line of the built-in
 * engine goes through here; the greeting always tells the caller they are
 * speaking with an AI assistant unless the owner turned that off. */
#ifndef CTN_PERSONALITY_H
#define CTN_PERSONALITY_H

#include "language.h"

#include <apr_pools.h>
#include <json-c/json.h>

const char *ctn_personality_greeting(apr_pool_t *pool, json_object *p, const char *business,
                                     ctn_lang_e lang, int after_hours);
const char *ctn_personality_sign_off(apr_pool_t *pool, json_object *p, const char *business,
                                     ctn_lang_e lang);
/* Twilio <Say> voice for `lang` (default Polly.Joanna-Neural / Polly.Lupe-Neural). */
const char *ctn_personality_voice(json_object *p, ctn_lang_e lang);
/* "ranges" (default), "exact" or "never". */
const char *ctn_personality_price_policy(json_object *p);
/* A short acknowledgement in the personality's tone ("Got it!", "Understood."). */
const char *ctn_personality_ack(json_object *p, ctn_lang_e lang);

#endif
