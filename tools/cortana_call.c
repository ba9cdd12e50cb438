/* cortana_call.c: cortana-call, the call simulator's command line.
 *
 *   cortana-call [--env var/dev.env] [--url URL] [--public-url URL] [--token T]
 *                [--from +E164] [--to +E164] [--script FILE | --say TEXT ...]
 *                [--call-sid CA…] [--test-call] [--quiet]
 *
 * Places one call against a running Cortana server as Twilio would (see
 * lib/simulator.h). The caller's words come from a script file, from --say
 * options, or — on a terminal with neither — from the keyboard. Defaults come
 * from the environment the dev stack writes (var/dev.env): CORTANA_URL,
 * CORTANA_TWILIO_AUTH_TOKEN, CORTANA_DEMO_NUMBER. Exit status: 0 when the
 * call ran to its end without an HTTP or TwiML error, 1 otherwise, 2 on
 * bad usage. */
#include "log.h"
#include "simulator.h"

#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_getopt.h>
#include <apr_strings.h>
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct options_t {
    ctn_sim_config_t cfg;
    const char *script_file;
    apr_array_header_t *says;
    int quiet;
} options_t;

static void usage(FILE *out)
{
    fputs("usage: cortana-call [--env FILE] [--url URL] [--public-url URL] [--token TOKEN]\n"
          "                    [--from +E164] [--to +E164] [--script FILE | --say TEXT ...]\n"
          "                    [--call-sid CA...] [--test-call] [--quiet]\n"
          "Places a simulated phone call against a running Cortana server, as Twilio would.\n"
          "Script lines: one caller turn per line; '<silence>', '<hangup>', 'record: words'.\n",
          out);
}

/* Read KEY=VALUE lines (the dev stack's var/dev.env) into the environment,
 * without overriding what is already set. */
static apr_status_t load_env_file(apr_pool_t *pool, const char *path)
{
    apr_file_t *f;
    char line[4096];
    apr_status_t rv;

    if ((rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT, pool)) != APR_SUCCESS) {
        return rv;
    }
    while (apr_file_gets(line, sizeof(line), f) == APR_SUCCESS) {
        char *eq = strchr(line, '=');
        apr_size_t n = strlen(line);
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            line[--n] = '\0';
        }
        if (line[0] == '#' || eq == NULL) {
            continue;
        }
        *eq = '\0';
        setenv(line, eq + 1, 0);
    }
    apr_file_close(f);
    return APR_SUCCESS;
}

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

/* Interactive caller: one line from the terminal per turn. */
static const char *ask_terminal(void *baton, apr_pool_t *pool, const char *language)
{
    char line[1024];

    fprintf(stdout, "you (%s)> ", language);
    fflush(stdout);
    if (fgets(line, sizeof(line), stdin) == NULL) {
        return NULL;
    }
    line[strcspn(line, "\r\n")] = '\0';
    return apr_pstrdup(pool, line);
}

static const char *ask_terminal_recording(void *baton, apr_pool_t *pool)
{
    return ask_terminal(baton, pool, "message");
}

static void print_event(void *baton, ctn_sim_event_e event, const char *language, const char *text)
{
    const options_t *o = baton;

    switch (event) {
    case CTN_SIM_SAY:
        printf("Cortana [%s]: %s\n", language ? language : "?", text);
        break;
    case CTN_SIM_CALLER:
        if (!o->quiet || *text) {
            printf("Caller: %s\n", *text ? text : "(silence)");
        }
        break;
    case CTN_SIM_RECORD:
        printf("Caller (recording): %s\n", text);
        break;
    case CTN_SIM_DIAL:
        printf("-- transferred to %s\n", text);
        break;
    case CTN_SIM_HANGUP:
        printf("-- call ended by %s\n", text);
        break;
    case CTN_SIM_INFO:
        if (!o->quiet) {
            printf("-- %s\n", text);
        }
        break;
    case CTN_SIM_ERROR:
        fprintf(stderr, "cortana-call: %s\n", text);
        break;
    }
    fflush(stdout);
}

static int parse_options(options_t *o, apr_pool_t *pool, int argc, const char *const *argv)
{
    static const apr_getopt_option_t opts[] = {
        {"env", 'e', 1, "read KEY=VALUE defaults from FILE"},
        {"url", 'u', 1, "server URL"},
        {"public-url", 'p', 1, "public URL Twilio signs"},
        {"token", 't', 1, "Twilio auth token"},
        {"from", 'f', 1, "caller number"},
        {"to", 'o', 1, "business number"},
        {"script", 's', 1, "script file"},
        {"say", 'y', 1, "one caller turn"},
        {"call-sid", 'c', 1, "call SID"},
        {"test-call", 'T', 0, "mark as a test call"},
        {"quiet", 'q', 0, "less output"},
        {"help", 'h', 0, "this help"},
        {NULL, 0, 0, NULL},
    };
    apr_getopt_t *g;
    int ch;
    const char *arg;
    apr_status_t rv;
    const char *env_file = NULL;

    o->says = apr_array_make(pool, 4, sizeof(const char *));
    apr_getopt_init(&g, pool, argc, argv);
    /* First pass for --env so that explicit options win over the file. */
    while ((rv = apr_getopt_long(g, opts, &ch, &arg)) == APR_SUCCESS) {
        switch (ch) {
        case 'e':
            env_file = arg;
            break;
        case 'u':
            o->cfg.server_url = arg;
            break;
        case 'p':
            o->cfg.public_url = arg;
            break;
        case 't':
            o->cfg.auth_token = arg;
            break;
        case 'f':
            o->cfg.from = arg;
            break;
        case 'o':
            o->cfg.to = arg;
            break;
        case 's':
            o->script_file = arg;
            break;
        case 'y':
            APR_ARRAY_PUSH(o->says, const char *) = arg;
            break;
        case 'c':
            o->cfg.call_sid = arg;
            break;
        case 'T':
            o->cfg.test_call = 1;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        }
    }
    if (rv != APR_EOF || g->ind != argc) {
        usage(stderr);
        return 2;
    }
    if (env_file && load_env_file(pool, env_file) != APR_SUCCESS) {
        fprintf(stderr, "cortana-call: cannot read %s\n", env_file);
        return 2;
    }
    if (!o->cfg.server_url)
        o->cfg.server_url = env_or("CORTANA_URL", "http://127.0.0.1:8080");
    if (!o->cfg.public_url)
        o->cfg.public_url = env_or("CORTANA_PUBLIC_URL", NULL);
    if (!o->cfg.auth_token)
        o->cfg.auth_token = env_or("CORTANA_TWILIO_AUTH_TOKEN", NULL);
    if (!o->cfg.to)
        o->cfg.to = env_or("CORTANA_DEMO_NUMBER", NULL);
    if (!o->cfg.from)
        o->cfg.from = "+13125550142";
    if (!o->cfg.auth_token || !o->cfg.to) {
        fprintf(stderr, "cortana-call: need --token and --to (or --env var/dev.env)\n");
        return 2;
    }
    if (o->script_file && o->says->nelts) {
        fprintf(stderr, "cortana-call: --script and --say cannot be combined\n");
        return 2;
    }
    return 0;
}

static int build_caller(ctn_sim_caller_t *caller, options_t *o, apr_pool_t *pool)
{
    const char *why = NULL;
    char *text = NULL;

    if (o->script_file) {
        apr_file_t *f;
        apr_finfo_t info;
        apr_size_t len;
        if (apr_file_open(&f, o->script_file, APR_FOPEN_READ, APR_OS_DEFAULT, pool) !=
                APR_SUCCESS ||
            apr_file_info_get(&info, APR_FINFO_SIZE, f) != APR_SUCCESS) {
            fprintf(stderr, "cortana-call: cannot read %s\n", o->script_file);
            return 2;
        }
        len = (apr_size_t)info.size;
        text = apr_pcalloc(pool, len + 1);
        apr_file_read_full(f, text, len, &len);
        apr_file_close(f);
    } else if (o->says->nelts) {
        text = apr_array_pstrcat(pool, o->says, '\n');
    } else if (isatty(STDIN_FILENO)) {
        caller->next_utterance = ask_terminal;
        caller->recording = ask_terminal_recording;
        caller->baton = o;
        return 0;
    } else {
        fprintf(stderr, "cortana-call: give --script or --say (stdin is not a terminal)\n");
        return 2;
    }
    if (ctn_sim_script_parse(caller, pool, text, &why) != APR_SUCCESS) {
        fprintf(stderr, "cortana-call: bad script: %s\n", why);
        return 2;
    }
    return 0;
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *pool;
    options_t o;
    ctn_sim_caller_t caller;
    ctn_sim_result_t result;
    apr_status_t rv;
    int rc;

    apr_app_initialize(&argc, &argv, NULL);
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);
    ctn_log_set_sink(ctn_log_stderr_sink, "cortana-call", CTN_LOG_WARNING);
    memset(&o, 0, sizeof(o));
    memset(&caller, 0, sizeof(caller));
    if ((rc = parse_options(&o, pool, argc, argv)) != 0 || (rc = build_caller(&caller, &o, pool))) {
        return rc;
    }
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "cortana-call: cannot initialise libsodium/libcurl\n");
        return 1;
    }
    rv = ctn_sim_run(&result, pool, &o.cfg, &caller, print_event, &o);
    printf("-- call %s: %d TwiML documents, %d errors\n", result.call_sid, result.documents,
           result.errors);
    curl_global_cleanup();
    return rv == APR_SUCCESS ? 0 : 1;
}
