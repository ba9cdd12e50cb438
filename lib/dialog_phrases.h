/* dialog_phrases.h: every sentence the built-in engine says, in English and
 * Spanish, by name. Private to lib/dialog*.c.
 *
 * A phrase is a template: printf conversions for the values the engine
 * fills in (a slot said aloud, a price), then personality tokens ({ack},
 * {sure}, {sorry}, {thanks}, {business}, {assistant}) rendered by
 * ctn_personality_render. Keeping them in one table lets a reviewer read
 * the whole script, and keeps the two languages side by side. */
#ifndef CTN_DIALOG_PHRASES_H
#define CTN_DIALOG_PHRASES_H

#include "language.h"

typedef enum {
    CTN_PH_AFTER_HOURS,
    CTN_PH_HOW_HELP,
    CTN_PH_WHAT_ELSE,
    CTN_PH_ANYTHING_ELSE,
    CTN_PH_SILENCE_1,
    CTN_PH_SILENCE_2,
    CTN_PH_NOMATCH_1,
    CTN_PH_NOMATCH_2,
    CTN_PH_EXAMPLES,
    CTN_PH_YES_OR_NO,
    CTN_PH_VOICEMAIL,
    CTN_PH_SPAM,
    CTN_PH_WRONG_NUMBER, /* spam's kind sibling: the caller dialled the wrong number */
    CTN_PH_TRANSFER,
    CTN_PH_NOBODY,
    CTN_PH_CLOSED_NOBODY,
    CTN_PH_ASK_PROBLEM,
    CTN_PH_ASK_NAME,
    CTN_PH_ASK_NAME_EMERGENCY,
    CTN_PH_ASK_ADDRESS,
    CTN_PH_ASK_ADDRESS_EMERGENCY,
    CTN_PH_CALLBACK_NOTE, /* %s: the caller's number, spoken */
    CTN_PH_ADDRESS_NOTE,  /* %s: the address, as corrected */
    CTN_PH_ASK_PHONE,
    CTN_PH_ASK_TIME,
    CTN_PH_AFTER_HOURS_BOOK,
    CTN_PH_MESSAGE_START,
    CTN_PH_ASK_MESSAGE,
    CTN_PH_MESSAGE_TAKEN, /* %s: the callback number, spoken */
    CTN_PH_MESSAGE_FAILED,
    CTN_PH_OFFER_FIRST, /* %s: the slot */
    CTN_PH_OFFER_NEXT,  /* %s: the slot */
    CTN_PH_OFFER_AGAIN, /* %s: the slot */
    CTN_PH_NOTHING_THEN,
    CTN_PH_NO_OPENINGS,
    CTN_PH_SCHEDULE_DOWN,
    CTN_PH_SLOT_TAKEN,
    CTN_PH_DECLINED,
    CTN_PH_BOOKED, /* %s name, %s slot, %s address */
    CTN_PH_BOOK_FAILED,
    CTN_PH_EMERGENCY_DISPATCHED,
    CTN_PH_EMERGENCY_NOT_DISPATCHED,
    CTN_PH_SAFETY_GAS,
    CTN_PH_SAFETY_ELECTRICAL,
    CTN_PH_EMERGENCY_VISIT,
    CTN_PH_EMERGENCY_CALLBACK, /* nobody on call could be alerted */
    CTN_PH_PRICE_NEVER,
    CTN_PH_PRICE_RANGE, /* %s service, %d min, %d max */
    CTN_PH_PRICE_EXACT, /* %s service, %d */
    CTN_PH_PRICE_FROM,  /* %s service, %d */
    CTN_PH_PRICE_DEPENDS,
    CTN_PH_PRICE_FEE, /* %d */
    CTN_PH_OFFER_BOOK,
    CTN_PH_HOURS, /* %s */
    CTN_PH_AREA_YES,
    CTN_PH_AREA_NO,
    CTN_PH_AREA_ASK,
    CTN_PH_AREA_ASK_LATER,
    CTN_PH_KB_MISS,
    CTN_PH_KB_MISS_SHORT,
    CTN_PH_WANT_MESSAGE,
    CTN_PH_THEN,
    CTN_PH_HANDOFF,             /* the built-in engine takes over from the realtime engine */
    CTN_PH_BLOCKED,             /* routing: the caller is on the blocked list */
    CTN_PH_LINES_BUSY,          /* routing: over the concurrent-call limit, voicemail */
    CTN_PH_RECORDED,            /* the caller's recorded message arrived */
    CTN_PH_TRANSFER_UNANSWERED, /* the person the call was passed to did not answer */
    CTN_PH_ARRIVAL_BOOKED,      /* %s: the booked slot */
    CTN_PH_ARRIVAL_DISPATCHED,  /* the on-call technician was texted */
    CTN_PH__COUNT
} ctn_phrase_e;

/* The template of phrase `id` in `lang` (static). */
const char *ctn_dialog_phrase(ctn_phrase_e id, ctn_lang_e lang);

/* Speech-recognition hints for what Cortana expects next, in `lang`:
 * `what` is one of "open", "yes_no", "address", "time", "phone". Static. */
const char *ctn_dialog_phrase_hints(const char *what, ctn_lang_e lang);

#endif
