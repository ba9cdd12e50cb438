/* slots.h: the facts a caller gives: name, callback number, address, ZIP,
 * problem and preferred time, extracted from one utterance at a time.
 *
 * Extraction never erases a filled slot. `expecting` says what Cortana just
 * asked for, so that a bare answer ("Maria Lopez", "1420 Oak Street") is
 * taken for that slot. */
#ifndef CTN_SLOTS_H
#define CTN_SLOTS_H

#include <apr_pools.h>

typedef enum {
    CTN_EXPECT_NONE,
    CTN_EXPECT_NAME,
    CTN_EXPECT_ADDRESS,
    CTN_EXPECT_PHONE,
    CTN_EXPECT_PROBLEM,
    CTN_EXPECT_TIME,
    CTN_EXPECT_MESSAGE
} ctn_expect_e;

typedef enum {
    CTN_DAYPART_ANY,
    CTN_DAYPART_MORNING,
    CTN_DAYPART_AFTERNOON,
    CTN_DAYPART_EVENING
} ctn_daypart_e;

typedef struct ctn_time_pref_t {
    int asap;       /* "as soon as possible", "lo antes posible" */
    int day_offset; /* -1: none; 0 today, 1 tomorrow */
    int weekday;    /* -1: none; 0 Sunday … 6 Saturday */
    ctn_daypart_e part;
} ctn_time_pref_t;

typedef struct ctn_slots_t {
    const char *name;
    const char *callback_number; /* E.164 */
    const char *address;
    const char *zip;
    const char *problem;
    const char *message;
    ctn_time_pref_t when;
    int when_given;
} ctn_slots_t;

void ctn_slots_init(ctn_slots_t *slots);

void ctn_slots_extract(ctn_slots_t *slots, apr_pool_t *pool, const char *text,
                       ctn_expect_e expecting);

/* A spoken or typed phone number as E.164 (+1 for 10-digit NANP numbers),
 * or NULL when it is not one. Spoken digits in English or Spanish count. */
const char *ctn_slots_phone(apr_pool_t *pool, const char *text);

#endif
