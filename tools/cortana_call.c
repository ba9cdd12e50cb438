/* cortana_call.c: cortana-call, the call simulator's command line.
 *
 *   cortana-call [--env var/dev.env] [--url URL] [--public-url URL] [--token T]
 *                [--from +E164] [--to +E164] [--script FILE | --say TEXT ...]
 *                [--call-sid CA…] [--test-call] [--quiet]
 *                [--media [--audio FILE] [--record FILE] [--seconds N]]
 *
 * Places one call against a running Cortana server as Twilio would (see
 * lib/simulator.h). The caller's words come from a script file, from --say
 * options, or — on a terminal with neither — from the keyboard. With --media
 * it also plays Twilio's side of the realtime engine's media stream
 * (lib/simulator_media.h, over tools/cortana_call_ws.c): the caller's audio
 * from a raw mu-law file or silence, marks answered as the server's audio
 * plays, what it hears recorded to a file; the script's lines then drive the
 * built-in engine if the server hands the call over. Defaults come
 * from the environment the dev stack writes (var/dev.env): CORTANA_URL,
 * CORTANA_TWILIO_AUTH_TOKEN, CORTANA_DEMO_NUMBER. Exit status: 0 when the
 * call ran to its end without an HTTP or TwiML error, 1 otherwise, 2 on
 * bad usage. */
#include "cortana_call_ws.h"
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
    int media;              /* --media: play the media stream of <Connect><Stream> */
    const char *audio_file; /* --audio: the caller's raw 8 kHz mu-law audio */
    const char *record_file;
    ctn_sim_media_t media_cfg;
} options_t;

static void usage(FILE *out)
{
    fputs("usage: cortana-call [--env FILE] [--url URL] [--public-url URL] [--token TOKEN]\n"
          "                    [--from +E164] [--to +E164] [--script FILE | --say TEXT ...]\n"
          "                    [--call-sid CA...] [--test-call] [--quiet]\n"
          "                    [--media [--audio FILE] [--record FILE] [--seconds N]]\n"
          "Places a simulated phone call against a running Cortana server, as Twilio would.\n"
          "Script lines: one caller turn per line; '<silence>', '<hangup>', 'record: words'\n"
          "               (answers the next <Record>), 'dial: STATUS' (the next <Dial> ends\n"
          "               busy, no-answer, failed or canceled; without it a transfer is\n"
          "               answered). Transcriptions are posted after the status callback.\n"
          "--media        open the <Connect><Stream> media stream as Twilio does (WebSocket to\n"
          "               the stream URL's path on --url): connected, start, a 20 ms media frame\n"
          "               at a time, marks answered once the audio before them has played,\n"
          "               clear obeyed, stop when the caller hangs up. If the server closes the\n"
          "               stream, the TwiML after <Connect> runs with the remaining script lines.\n"
          "               Without --media the stream is skipped (the built-in engine answers).\n"
          "--audio FILE   the caller's audio: raw 8 kHz mu-law, played once, starting when\n"
          "               Cortana's first audio has played (at most 3 s in); silence otherwise\n"
          "--record FILE  write the audio received from the server there (raw 8 kHz mu-law)\n"
          "--seconds N    the caller hangs up N seconds into the stream (default 15)\n",
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
        {"media", 'm', 0, "play the media stream"},
        {"audio", 'a', 1, "caller audio file (raw mu-law)"},
        {"record", 'r', 1, "record received audio"},
        {"seconds", 'S', 1, "seconds of media stream"},
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
        case 'm':
            o->media = 1;
            break;
        case 'a':
            o->audio_file = arg;
            break;
        case 'r':
            o->record_file = arg;
            break;
        case 'S': {
            char *end = NULL;
            long n = strtol(arg, &end, 10);
            if (end == arg || *end != '\0' || n < 1 || n > 86400) {
                fprintf(stderr, "cortana-call: --seconds wants 1 to 86400, not '%s'\n", arg);
                return 2;
            }
            o->media_cfg.seconds = (int)n;
            break;
        }
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
    if (!o->media && (o->audio_file || o->record_file || o->media_cfg.seconds)) {
        fprintf(stderr, "cortana-call: --audio, --record and --seconds need --media\n");
        return 2;
    }
    return 0;
}

/* --media: the caller's audio in memory, the recording open. */
static int build_media(options_t *o, apr_pool_t *pool)
{
    ctn_sim_media_t *m = &o->media_cfg;

    if (!o->media) {
        return 0;
    }
    m->websocket = call_ws_run;
    if (o->audio_file) {
        apr_file_t *f;
        apr_finfo_t info;
        apr_size_t len;
        unsigned char *data;
        if (apr_file_open(&f, o->audio_file, APR_FOPEN_READ, APR_OS_DEFAULT, pool) != APR_SUCCESS ||
            apr_file_info_get(&info, APR_FINFO_SIZE, f) != APR_SUCCESS) {
            fprintf(stderr, "cortana-call: cannot read %s\n", o->audio_file);
            return 2;
        }
        len = (apr_size_t)info.size;
        data = apr_palloc(pool, len ? len : 1);
        if (len && apr_file_read_full(f, data, len, &len) != APR_SUCCESS) {
            fprintf(stderr, "cortana-call: cannot read %s\n", o->audio_file);
            return 2;
        }
        apr_file_close(f);
        m->audio = data;
        m->audio_len = len;
    }
    if (o->record_file &&
        apr_file_open(&m->record, o->record_file,
                      APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_TRUNCATE | APR_FOPEN_BUFFERED,
                      APR_FPROT_OS_DEFAULT, pool) != APR_SUCCESS) {
        fprintf(stderr, "cortana-call: cannot write %s\n", o->record_file);
        return 2;
    }
    o->cfg.media = m;
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
    } else if (o->media) {
        text = ""; /* the stream is the conversation; a handed-over call hangs up */
    } else if (isatty(STDIN_FILENO)) {
        caller->next_utterance = ask_terminal;
        caller->recording = ask_terminal_recording;
        caller->dial_status = NULL; /* transfers are answered */
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
    if ((rc = parse_options(&o, pool, argc, argv)) != 0 ||
        (rc = build_caller(&caller, &o, pool)) != 0 || (rc = build_media(&o, pool)) != 0) {
        return rc;
    }
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "cortana-call: cannot initialise libsodium/libcurl\n");
        return 1;
    }
    rv = ctn_sim_run(&result, pool, &o.cfg, &caller, print_event, &o);
    if (o.media) {
        const ctn_sim_media_stats_t *ms = &result.media;
        printf("-- media: %d streams (%d closed by the server), %" APR_UINT64_T_FMT
               " frames sent (%" APR_UINT64_T_FMT " of caller audio%s), %" APR_UINT64_T_FMT
               " media received (%" APR_UINT64_T_FMT " bytes), %" APR_UINT64_T_FMT
               " marks received, %" APR_UINT64_T_FMT " answered, %" APR_UINT64_T_FMT
               " clears, %" APR_UINT64_T_FMT " bad messages\n",
               ms->streams, ms->closed_by_server, ms->frames_sent, ms->audio_frames,
               ms->audio_frames == 0      ? ""
               : ms->audio_after_greeting ? ", after Cortana's first audio"
                                          : ", after 3 s without audio",
               ms->media_received, ms->bytes_received, ms->marks_received, ms->marks_answered,
               ms->clears, ms->bad_messages);
        if (o.media_cfg.record &&
            (apr_file_close(o.media_cfg.record) != APR_SUCCESS || ms->record_errors > 0)) {
            fprintf(stderr, "cortana-call: %s is incomplete: could not write all it heard\n",
                    o.record_file);
        }
    }
    printf("-- call %s: %d TwiML documents, %d errors\n", result.call_sid, result.documents,
           result.errors);
    curl_global_cleanup();
    return rv == APR_SUCCESS ? 0 : 1;
}
