/* personality.h: how a business's receptionist sounds.
 *
 * businesses.ai_personality is a JSON object; every member is optional and
 * has a default, so a business with `{}` still gets a good receptionist:
 *
 *   assistant_name  string                      "Cortana"
 *   tone            friendly|professional|calm  "friendly"
 *   greeting        {"en": tpl, "es": tpl}      "Thanks for calling {business}! This is
 *                                               {assistant}, {business}'s AI assistant. …"
 *   sign_off        {"en": tpl, "es": tpl}      "Thanks for calling {business}. Have a great
 *                                               day!"
 *   voice           {"en": name, "es": name}    Polly.Joanna-Neural / Polly.Lupe-Neural
 *   languages       ["en", "es"]                both; the first is the call's default
 *   disclose_ai     boolean                     true
 *   price_policy    ranges|exact|never          "ranges"; when absent, a rule such as
 *                                               "Never quote prices" gives "never" and
 *                                               "Never quote exact prices" gives "ranges"
 *   rules           [string]                    none (the realtime model gets them verbatim)
 *
 * A template (greeting, sign_off, or any line of the built-in engine) may
 * use {business} and {assistant}; engine lines also use the tone's words
 * {ack}, {sure}, {sorry} and {thanks}, so the tone reaches every line
 * ("Got it!" / "Understood." / "Okay, I understand."). A template given as
 * a plain string is used for both languages. When disclose_ai is on, the
 * greeting always tells the caller they are speaking with an AI assistant,
 * even if the owner's own greeting forgot to. */
#ifndef CTN_PERSONALITY_H
#define CTN_PERSONALITY_H

#include "language.h"

#include <apr_pools.h>
#include <apr_tables.h>
#include <json-c/json.h>

typedef enum { CTN_TONE_FRIENDLY, CTN_TONE_PROFESSIONAL, CTN_TONE_CALM } ctn_tone_e;

typedef enum { CTN_PRICE_RANGES, CTN_PRICE_EXACT, CTN_PRICE_NEVER } ctn_price_policy_e;

typedef struct ctn_personality_t {
    const char *business;       /* the business's name, for {business} */
    const char *assistant_name; /* for {assistant} */
    ctn_tone_e tone;
    const char *greeting[2]; /* templates, indexed by ctn_lang_e */
    const char *sign_off[2];
    const char *voice[2];
    int speaks[2]; /* 1 when the business takes calls in that language */
    ctn_lang_e default_lang;
    int disclose_ai;
    ctn_price_policy_e price_policy;
    apr_array_header_t *rules; /* const char *: the owner's free-text rules */
} ctn_personality_t;

/* Facts about the business for the realtime model's instructions; any may
 * be NULL. */
typedef struct ctn_personality_facts_t {
    const char *hours;         /* "Monday to Friday, 8 AM to 5 PM; …" */
    json_object *services;     /* [{"name","duration_minutes","price_min","price_max"}] */
    json_object *pricing;      /* {"service_call_fee": n, "notes": {"en","es"}} */
    json_object *service_area; /* {"zips": [...], "cities": [...], "radius_miles": n} */
} ctn_personality_facts_t;

/* Parse businesses.ai_personality (NULL or `{}`: all defaults). `*pers` is
 * always set to a usable personality allocated in `pool`; it borrows
 * strings from `json`, which must live as long as it is used. Returns
 * APR_EINVAL with `*why` (pool string, may be NULL) when a member had the
 * wrong type or an unknown value and was replaced by its default — worth a
 * warning, never a reason to fail a call. Any thread. */
apr_status_t ctn_personality_parse(ctn_personality_t **pers, apr_pool_t *pool, json_object *json,
                                   const char *business, const char **why);

/* The greeting in `lang`, rendered, with the AI disclosure appended when it
 * is required and missing. Pool string. */
const char *ctn_personality_greeting(const ctn_personality_t *p, apr_pool_t *pool, ctn_lang_e lang);

/* The sign-off in `lang`, rendered. Pool string. */
const char *ctn_personality_sign_off(const ctn_personality_t *p, apr_pool_t *pool, ctn_lang_e lang);

/* Twilio <Say> voice for `lang` (static, or borrowed from the JSON). */
const char *ctn_personality_voice(const ctn_personality_t *p, ctn_lang_e lang);

/* A short acknowledgement in the personality's tone ("Got it!"). Static. */
const char *ctn_personality_ack(const ctn_personality_t *p, ctn_lang_e lang);

/* 1 when the business takes calls in `lang`. */
int ctn_personality_speaks(const ctn_personality_t *p, ctn_lang_e lang);

/* `tpl` with {business}, {assistant}, {ack}, {sure}, {sorry} and {thanks}
 * replaced; other braces are left alone, so a caller's words or a
 * knowledge-base answer pass through unchanged. Pool string (or `tpl`
 * itself when there is nothing to replace). */
const char *ctn_personality_render(const ctn_personality_t *p, apr_pool_t *pool, ctn_lang_e lang,
                                   const char *tpl);

/* Plain-text instructions for a realtime model: who it is, its tone,
 * languages, disclosure, price policy, the owner's rules and the business
 * facts (`facts` may be NULL). Pool string. */
const char *ctn_personality_instructions(const ctn_personality_t *p, apr_pool_t *pool,
                                         const ctn_personality_facts_t *facts);

/* "ranges", "exact" or "never". Static. */
const char *ctn_personality_price_policy_name(ctn_price_policy_e policy);

#endif
