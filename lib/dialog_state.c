/* dialog_state.c: a call's dialog state to and from JSON (see dialog.h).
 *
 * Each caller turn is a separate webhook, possibly in another httpd child,
 * so everything the engine remembers lives in call_logs.dialog_state. Enums
 * are written by name (a stored state stays readable after the enums grow);
 * integers from the first version of the format are still accepted. A
 * state that does not parse is refused as a whole: the webhook then starts
 * a fresh state rather than act on half of one. */
#include "dialog.h"
#include "json.h"

#include <apr_strings.h>
#include <string.h>

static const char *const stage_names[] = {"open", "collect", "offer", "anything_else", "done"};
static const char *const goal_names[] = {"none", "book", "emergency", "message", "area"};
static const char *const expect_names[] = {"none",    "name", "address", "phone",
                                           "problem", "time", "message"};
static const char *const part_names[] = {"any", "morning", "afternoon", "evening"};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

void ctn_dialog_state_init(ctn_dialog_state_t *st, ctn_lang_e lang)
{
    memset(st, 0, sizeof(*st));
    ctn_language_state_init(&st->lang, lang);
    ctn_slots_init(&st->slots);
}

/* ------------------------------------------------------------- writing --- */

static void put_str(ctn_json_writer_t *w, const char *key, const char *value)
{
    if (value) {
        ctn_jw_string(w, key, value);
    }
}

static void put_flag(ctn_json_writer_t *w, const char *key, int value)
{
    if (value) {
        ctn_jw_bool(w, key, 1);
    }
}

static void put_name(ctn_json_writer_t *w, const char *key, const char *const *names, int n,
                     int value)
{
    ctn_jw_string(w, key, value >= 0 && value < n ? names[value] : names[0]);
}

const char *ctn_dialog_state_serialize(apr_pool_t *pool, const ctn_dialog_state_t *st)
{
    const ctn_slots_t *sl = &st->slots;
    ctn_json_writer_t w;

    ctn_jw_init(&w, pool, 1024);
    ctn_jw_object_begin(&w, NULL);
    ctn_jw_string(&w, "lang", ctn_language_code(st->lang.current));
    ctn_jw_int(&w, "lang_pending", st->lang.pending);
    put_name(&w, "stage", stage_names, COUNT(stage_names), (int)st->stage);
    put_name(&w, "goal", goal_names, COUNT(goal_names), (int)st->goal);
    put_name(&w, "expecting", expect_names, COUNT(expect_names), (int)st->expecting);
    ctn_jw_int(&w, "reprompts", st->reprompts);
    ctn_jw_int(&w, "turns", st->turns);
    put_flag(&w, "emergency", st->emergency);
    put_str(&w, "emergency_category", st->emergency_category);
    put_flag(&w, "dispatched", st->dispatched);
    put_flag(&w, "dispatch_tried", st->dispatch_tried);
    put_flag(&w, "callback_confirmed", st->callback_confirmed);
    put_flag(&w, "caller_id_declined", st->caller_id_declined);
    if (st->offered.start) {
        ctn_jw_int(&w, "offered_start", st->offered.start);
        ctn_jw_int(&w, "offered_end", st->offered.end);
    }
    ctn_jw_int(&w, "offers_declined", st->offers_declined);
    put_str(&w, "appointment_id", st->appointment_id);
    put_flag(&w, "message_taken", st->message_taken);
    put_flag(&w, "question_answered", st->question_answered);
    put_flag(&w, "transferred", st->transferred);
    put_flag(&w, "spam", st->spam);
    put_str(&w, "last_intent", st->last_intent);
    put_flag(&w, "realtime", st->realtime);

    ctn_jw_object_begin(&w, "slots");
    put_str(&w, "name", sl->name);
    put_str(&w, "callback_number", sl->callback_number);
    put_str(&w, "address", sl->address);
    put_str(&w, "zip", sl->zip);
    put_str(&w, "problem", sl->problem);
    put_str(&w, "message", sl->message);
    ctn_jw_object_begin(&w, "when");
    put_flag(&w, "asap", sl->when.asap);
    ctn_jw_int(&w, "day_offset", sl->when.day_offset);
    ctn_jw_int(&w, "weekday", sl->when.weekday);
    put_name(&w, "part", part_names, COUNT(part_names), (int)sl->when.part);
    put_flag(&w, "given", sl->when_given);
    ctn_jw_object_end(&w);
    ctn_jw_object_end(&w);
    ctn_jw_object_end(&w);
    return ctn_jw_text(&w);
}

/* ------------------------------------------------------------- reading --- */

typedef struct reader_t {
    apr_pool_t *pool;
    int bad;
} reader_t;

static const char *get_str(reader_t *rd, json_object *o, const char *key)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
        return NULL;
    }
    if (!json_object_is_type(v, json_type_string)) {
        rd->bad = 1;
        return NULL;
    }
    return apr_pstrdup(rd->pool, json_object_get_string(v));
}

static long long get_int(reader_t *rd, json_object *o, const char *key, long long dflt)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v)) {
        return dflt;
    }
    if (json_object_is_type(v, json_type_boolean)) {
        return json_object_get_boolean(v);
    }
    if (!json_object_is_type(v, json_type_int)) {
        rd->bad = 1;
        return dflt;
    }
    return json_object_get_int64(v);
}

/* An enum member by name (or, from the first format, by number). */
static int get_enum(reader_t *rd, json_object *o, const char *key, const char *const *names, int n)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v)) {
        return 0;
    }
    if (json_object_is_type(v, json_type_string)) {
        for (int i = 0; i < n; i++) {
            if (strcmp(json_object_get_string(v), names[i]) == 0) {
                return i;
            }
        }
    } else if (json_object_is_type(v, json_type_int)) {
        long long i = json_object_get_int64(v);
        if (i >= 0 && i < n) {
            return (int)i;
        }
    }
    rd->bad = 1;
    return 0;
}

apr_status_t ctn_dialog_state_from_json(ctn_dialog_state_t *st, apr_pool_t *pool, json_object *o)
{
    reader_t rd = {pool, 0};
    json_object *s = NULL, *w = NULL;
    const char *lang;

    ctn_dialog_state_init(st, CTN_LANG_EN);
    if (o == NULL || !json_object_is_type(o, json_type_object)) {
        return APR_EINVAL;
    }
    lang = get_str(&rd, o, "lang");
    if (lang && strcmp(lang, "en") != 0 && strcmp(lang, "es") != 0) {
        rd.bad = 1;
    }
    st->lang.current = ctn_language_from_code(lang);
    st->lang.pending = (int)get_int(&rd, o, "lang_pending", 0);
    st->stage = (ctn_stage_e)get_enum(&rd, o, "stage", stage_names, COUNT(stage_names));
    st->goal = (ctn_goal_e)get_enum(&rd, o, "goal", goal_names, COUNT(goal_names));
    st->expecting = (ctn_expect_e)get_enum(&rd, o, "expecting", expect_names, COUNT(expect_names));
    st->reprompts = (int)get_int(&rd, o, "reprompts", 0);
    st->turns = (int)get_int(&rd, o, "turns", 0);
    st->emergency = (int)get_int(&rd, o, "emergency", 0);
    st->emergency_category = get_str(&rd, o, "emergency_category");
    st->dispatched = (int)get_int(&rd, o, "dispatched", 0);
    /* A state from before dispatch_tried existed: a dispatched call was tried. */
    st->dispatch_tried = (int)get_int(&rd, o, "dispatch_tried", st->dispatched);
    st->callback_confirmed = (int)get_int(&rd, o, "callback_confirmed", 0);
    st->caller_id_declined = (int)get_int(&rd, o, "caller_id_declined", 0);
    st->offered.start = (apr_time_t)get_int(&rd, o, "offered_start", 0);
    st->offered.end = (apr_time_t)get_int(&rd, o, "offered_end", 0);
    st->offers_declined = (int)get_int(&rd, o, "offers_declined", 0);
    st->appointment_id = get_str(&rd, o, "appointment_id");
    st->message_taken = (int)get_int(&rd, o, "message_taken", 0);
    st->question_answered = (int)get_int(&rd, o, "question_answered", 0);
    st->transferred = (int)get_int(&rd, o, "transferred", 0);
    st->spam = (int)get_int(&rd, o, "spam", 0);
    st->last_intent = get_str(&rd, o, "last_intent");
    st->realtime = (int)get_int(&rd, o, "realtime", 0);
    if (json_object_object_get_ex(o, "slots", &s)) {
        ctn_slots_t *sl = &st->slots;
        if (!json_object_is_type(s, json_type_object)) {
            rd.bad = 1;
        } else {
            sl->name = get_str(&rd, s, "name");
            sl->callback_number = get_str(&rd, s, "callback_number");
            sl->address = get_str(&rd, s, "address");
            sl->zip = get_str(&rd, s, "zip");
            sl->problem = get_str(&rd, s, "problem");
            sl->message = get_str(&rd, s, "message");
            /* The first format kept the time preference flat in "slots". */
            if (!json_object_object_get_ex(s, "when", &w)) {
                w = s;
                sl->when_given = (int)get_int(&rd, w, "when_given", 0);
            } else {
                sl->when_given = (int)get_int(&rd, w, "given", 0);
            }
            sl->when.asap = (int)get_int(&rd, w, "asap", 0);
            sl->when.day_offset = (int)get_int(&rd, w, "day_offset", -1);
            sl->when.weekday = (int)get_int(&rd, w, "weekday", -1);
            sl->when.part = (ctn_daypart_e)get_enum(&rd, w, "part", part_names, COUNT(part_names));
        }
    }
    if (st->reprompts < 0 || st->turns < 0 || st->offers_declined < 0 ||
        st->slots.when.weekday < -1 || st->slots.when.weekday > 6 ||
        st->slots.when.day_offset < -1) {
        rd.bad = 1;
    }
    if (rd.bad) {
        ctn_dialog_state_init(st, CTN_LANG_EN);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}
