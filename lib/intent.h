/* intent.h: what a caller wants, from cue phrases in English and Spanish.
 *
 * Emergencies are not an intent here: lib/emergency.c decides them first,
 * in every engine. Yes/no are recognised only in short answers or at the
 * start of one ("yes please", "no gracias"), never as a word buried in a
 * sentence. When several intents are cued the first of spam, human,
 * message, price, book, hours, service area wins, then goodbye and yes/no
 * in short answers, then a general question: a caller who asks "how much to
 * install a water heater?" hears the price first and is then offered a
 * booking. */
#ifndef CTN_INTENT_H
#define CTN_INTENT_H

#include <apr_pools.h>

typedef enum {
    CTN_INTENT_UNKNOWN,
    CTN_INTENT_SPAM,
    CTN_INTENT_GOODBYE,
    CTN_INTENT_HUMAN,
    CTN_INTENT_MESSAGE,
    CTN_INTENT_BOOK,
    CTN_INTENT_PRICE,
    CTN_INTENT_HOURS,
    CTN_INTENT_SERVICE_AREA,
    CTN_INTENT_QUESTION,
    CTN_INTENT_YES,
    CTN_INTENT_NO,
    CTN_INTENT_ARRIVAL /* when the visit booked or dispatched this call arrives */
} ctn_intent_e;

/* "spam", "goodbye", "human", "message", "book", "price", "hours",
 * "service_area", "question", "yes", "no", "arrival", "unknown". */
const char *ctn_intent_name(ctn_intent_e intent);

/* The caller's primary intent in `text`. */
ctn_intent_e ctn_intent_classify(apr_pool_t *pool, const char *text);

/* As ctn_intent_classify, in a call where a visit is `arranged` (booked or
 * dispatched): then "when will you arrive?", "¿a qué hora van a llegar?"
 * ask about that visit (CTN_INTENT_ARRIVAL, ahead of price and hours);
 * before, "¿a qué hora vienen?" is still a booking or hours question. */
ctn_intent_e ctn_intent_classify_arranged(apr_pool_t *pool, const char *text, int arranged);

/* 1 when `text` says the caller dialled the wrong number (classified as
 * spam, but answered kindly). */
int ctn_intent_wrong_number(apr_pool_t *pool, const char *text);

/* Only yes/no (or UNKNOWN): for answers to a confirmation question. */
ctn_intent_e ctn_intent_yes_no(apr_pool_t *pool, const char *text);

#endif
