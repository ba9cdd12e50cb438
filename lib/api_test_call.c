/* api_test_call.c: POST /test-calls — the owner hears Cortana at work.
 *
 * A short scripted caller (emergency, booking or question; English or
 * Spanish) is played through the real webhook path of the owner's own
 * number by the call simulator (lib/simulator.c, the code behind
 * cortana-call), from a detached thread of this process, so the request
 * answers 202 at once and the owner watches the call live on the Calls
 * page. The call is marked as a test call (analytics leave it out; the
 * owner is not texted about it). At most MAX_CONCURRENT test calls run
 * per process, and at most MAX_PER_BUSINESS of them for one business, so
 * that one owner cannot hold every line while other owners get 429. */
#include "api.h"

#include "api_schema.h"
#include "json.h"
#include "log.h"
#include "simulator.h"

#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <pthread.h>
#include <string.h>

#define MAX_CONCURRENT   4
#define MAX_PER_BUSINESS (MAX_CONCURRENT / 2)

/* The scripted caller takes about as long to say a line as a person does,
 * so the owner watches the conversation unfold instead of seeing the whole
 * call land at once. */
#define CALLER_PAUSE apr_time_from_msec(800)

static const char *const scenarios[] = {"emergency", "booking", "question", NULL};
static const ctn_api_field_t request_fields[] = {
    {"scenario", &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING, .enum_values = scenarios}, 0},
    {"language", &ctn_schema_lang, 0},
    {NULL, NULL, 0}};
static const ctn_api_schema_t request = {
    .name = "TestCallRequest", .type = CTN_SCHEMA_OBJECT, .fields = request_fields};
static const ctn_api_field_t started_fields[] = {
    {"call_sid", &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING}, CTN_FIELD_READONLY},
    {"scenario", &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING}, CTN_FIELD_READONLY},
    {"language", &ctn_schema_lang, CTN_FIELD_READONLY},
    {NULL, NULL, 0}};
static const ctn_api_schema_t started = {
    .name = "TestCall", .type = CTN_SCHEMA_OBJECT, .fields = started_fields};

/* What the scripted caller says, by scenario and language. */
static const char *script(const char *scenario, const char *lang)
{
    int es = strcmp(lang, "es") == 0;

    if (strcmp(scenario, "emergency") == 0) {
        return es ? "Hola, se está inundando mi sótano, hay agua por todas partes\n"
                    "Vivo en 2200 calle Milwaukee\nMe llamo Prueba Cortana\nsí\nno, gracias\n"
                  : "Hi, my basement is flooding, there is water everywhere\n"
                    "I'm at 2200 Milwaukee Avenue\nMy name is Test Caller\nyes\nno thanks\n";
    }
    if (strcmp(scenario, "booking") == 0) {
        return es ? "Hola, quiero una cita, el fregadero está tapado\nMe llamo Prueba Cortana\n"
                    "Vivo en 300 calle Clark\nlo antes posible\nsí\nno, gracias\n"
                  : "Hi, my kitchen drain is clogged, can someone come out?\n"
                    "My name is Test Caller\n1420 Oak Street\nas soon as possible\nyes\n"
                    "no thanks\n";
    }
    return es ? "¿Cuál es su horario?\nno, gracias\n"
              : "What are your hours?\nDo you offer financing?\nno thanks\n";
}

typedef struct test_call_t {
    apr_pool_t *pool; /* the thread's own; destroyed when the call ends */
    int line;         /* its index in `lines` */
    ctn_sim_config_t cfg;
    ctn_sim_caller_t script; /* the scenario's lines */
    ctn_sim_caller_t caller; /* the same, at a speaking pace */
} test_call_t;

/* The business of each test call running in this process ("" when free).
 * A static initializer, so no thread ever races to create the lock. */
static char lines[MAX_CONCURRENT][37];
static pthread_mutex_t lines_lock = PTHREAD_MUTEX_INITIALIZER;

/* A line for a test call of `business_id`: its index, -1 when the business
 * already holds MAX_PER_BUSINESS, -2 when every line is taken. */
static int line_take(const char *business_id)
{
    int free_line = -2, held = 0;

    pthread_mutex_lock(&lines_lock);
    for (int i = 0; i < MAX_CONCURRENT; i++) {
        if (lines[i][0] == '\0') {
            free_line = free_line < 0 ? i : free_line;
        } else if (strcmp(lines[i], business_id) == 0) {
            held++;
        }
    }
    if (held >= MAX_PER_BUSINESS) {
        free_line = -1;
    } else if (free_line >= 0) {
        apr_cpystrn(lines[free_line], business_id, sizeof(lines[free_line]));
    }
    pthread_mutex_unlock(&lines_lock);
    return free_line;
}

static void line_release(int line)
{
    pthread_mutex_lock(&lines_lock);
    lines[line][0] = '\0';
    pthread_mutex_unlock(&lines_lock);
}

static void observe(void *baton, ctn_sim_event_e event, const char *language, const char *text)
{
    test_call_t *t = baton;

    if (event == CTN_SIM_ERROR) {
        ctn_log_warning(t->cfg.call_sid, "test call: %s", text);
    }
}

static const char *paced_utterance(void *baton, apr_pool_t *pool, const char *stt_language)
{
    test_call_t *t = baton;
    const char *words = t->script.next_utterance(t->script.baton, pool, stt_language);

    if (words != NULL) {
        apr_sleep(CALLER_PAUSE);
    }
    return words;
}

static const char *script_recording(void *baton, apr_pool_t *pool)
{
    test_call_t *t = baton;

    return t->script.recording ? t->script.recording(t->script.baton, pool) : NULL;
}

static const char *script_dial_status(void *baton, apr_pool_t *pool)
{
    test_call_t *t = baton;

    return t->script.dial_status ? t->script.dial_status(t->script.baton, pool) : NULL;
}

static void *APR_THREAD_FUNC run_call(apr_thread_t *thread, void *data)
{
    test_call_t *t = data;
    ctn_sim_result_t result;
    int line;

    ctn_sim_run(&result, t->pool, &t->cfg, &t->caller, observe, t);
    ctn_log_info(t->cfg.call_sid, "test call ended (%s, %d documents)",
                 result.ended_by ? result.ended_by : "?", result.documents);
    line = t->line;
    apr_pool_destroy(t->pool);
    line_release(line);
    return NULL;
}

static int on_test_call(ctn_api_ctx_t *c)
{
    const char *scenario = ctn_json_get_string(c->body, "scenario", "emergency");
    const char *lang = ctn_json_get_string(c->body, "language", "en");
    const char *number = NULL, *why = NULL;
    apr_pool_t *pool;
    apr_threadattr_t *attr;
    apr_thread_t *thread;
    test_call_t *t;
    json_object *out;
    int err, line;

    if (c->env->local_url == NULL || c->env->twilio_auth_token == NULL) {
        return ctn_api_error(c, 503, "unavailable",
                             "test calls need CortanaPublicURL and CortanaTwilioAuthToken", NULL);
    }
    if ((err = ctn_api_query_json(c, &number,
                                  "SELECT phone_number FROM businesses WHERE id = cortana_tenant()",
                                  0, NULL)) != 0) {
        return err;
    }
    if ((line = line_take(c->session->business_id)) < 0) {
        apr_table_setn(c->resp->headers, "Retry-After", "30");
        return ctn_api_error(c, 429, "busy",
                             line == -1 ? "this business's test calls are still running; try "
                                          "again when one has ended"
                                        : "too many test calls at once; try again shortly",
                             NULL);
    }
    apr_pool_create(&pool, NULL);
    t = apr_pcalloc(pool, sizeof(*t));
    t->pool = pool;
    t->line = line;
    t->cfg.server_url = apr_pstrdup(pool, c->env->local_url);
    t->cfg.public_url = c->env->public_url ? apr_pstrdup(pool, c->env->public_url) : NULL;
    t->cfg.auth_token = apr_pstrdup(pool, c->env->twilio_auth_token);
    t->cfg.call_sid = ctn_sim_call_sid(pool);
    t->cfg.from = "+15555550123";
    t->cfg.to = apr_pstrdup(pool, number);
    t->cfg.test_call = 1;
    t->cfg.timeout_ms = 15000;
    if (ctn_sim_script_parse(&t->script, pool, script(scenario, lang), &why) == APR_SUCCESS) {
        t->caller.next_utterance = paced_utterance;
        t->caller.recording = script_recording;
        t->caller.dial_status = script_dial_status;
        t->caller.baton = t;
    }
    if (t->caller.next_utterance == NULL || apr_threadattr_create(&attr, pool) != APR_SUCCESS ||
        apr_threadattr_detach_set(attr, 1) != APR_SUCCESS ||
        apr_thread_create(&thread, attr, run_call, t, pool) != APR_SUCCESS) {
        apr_pool_destroy(pool);
        line_release(line);
        return ctn_api_error(c, 503, "unavailable", "the test call could not start", NULL);
    }
    out = ctn_json_pool_own(c->pool, json_object_new_object());
    json_object_object_add(out, "call_sid", json_object_new_string(t->cfg.call_sid));
    json_object_object_add(out, "scenario", json_object_new_string(scenario));
    json_object_object_add(out, "language", json_object_new_string(lang));
    return ctn_api_json(c, 202, ctn_json_serialize(c->pool, out));
}

const ctn_api_route_t ctn_api_test_call_routes[] = {
    {"POST", "/test-calls", on_test_call, CTN_API_LIMITED, &request, &started, 202,
     "Place a scripted test call to the business's own number (watch it live)", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL}};
