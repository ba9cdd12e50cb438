/* media_main.c: cortana-media's entry point, its event loop and its tick.
 *
 *   cortana-media --stream-socket PATH --control-socket PATH
 *                 [--ring-shm PATH] [--tick SECONDS]
 *                 [--chunk-ms MS] [--session-max SECONDS] [--peer-events HOST_ID]
 *                 [--foreground]
 *
 * Started and supervised by mod_cortana (the database connection string
 * comes in the environment, CORTANA_DATABASE, never on the command line).
 * Exit status 78 (EX_CONFIG) means "bad configuration": the supervisor then
 * does not restart it in a loop. The worker never daemonizes (--foreground
 * is accepted and changes nothing); it logs to stderr, which httpd points at
 * its error log.
 *
 * The loop is libev, through lws's evlib plugin (LWS_SERVER_OPTION_LIBEV,
 * libwebsockets-evlib_ev.so): epoll-driven, no wake-ups while idle. When the
 * plugin cannot be loaded we fall back to lws's own poll loop and say so in
 * the log. On libev lws_service() runs the loop until the context is
 * destroyed, so stopping works like this in both modes: SIGTERM (or the tick
 * noticing httpd is gone) sets `stopping` and calls lws_cancel_service(); the
 * loop wakes with LWS_CALLBACK_EVENT_WAIT_CANCELLED and, on libev, calls
 * lws_context_destroy() once from inside the loop, which breaks ev_run; the
 * poll loop simply sees `stopping`. Then the context is destroyed for good
 * and both sockets are removed. */
#include "media_relay.h"

#include "log.h"

#include <apr_getopt.h>
#include <apr_strings.h>
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static media_t *the_media; /* for the signal handler only */

void media_request_stop(media_t *m)
{
    m->stopping = 1;
    if (m->context != NULL) {
        lws_cancel_service(m->context); /* async-signal-safe: a write to a pipe */
    }
}

void media_loop_woken(media_t *m)
{
    if (m->stopping && m->evlib && !m->destroying) {
        m->destroying = 1;
        lws_context_destroy(m->context); /* breaks ev_run; finished in run() */
    }
}

static void on_signal(int sig)
{
    if (the_media != NULL) {
        media_request_stop(the_media);
    }
}

static void usage(void)
{
    fputs("usage: cortana-media --stream-socket PATH --control-socket PATH\n"
          "                     [--ring-shm PATH] [--tick SECONDS]\n"
          "                     [--chunk-ms MS] [--session-max SECONDS]\n"
          "                     [--peer-events HOST_ID] [--foreground]\n"
          "environment (set by mod_cortana; secrets are wiped once read):\n"
          "  CORTANA_DATABASE               libpq conninfo (secret: its password)\n"
          "  CORTANA_OPENAI_KEY             OpenAI API key (secret); unset: realtime engine off\n"
          "  CORTANA_STREAM_KEY             hex key that signs stream tokens (secret)\n"
          "  CORTANA_OPENAI_REALTIME_URL    default wss://api.openai.com/v1/realtime\n"
          "  CORTANA_OPENAI_REALTIME_MODEL  default gpt-realtime\n"
          "  CORTANA_OPENAI_CA_FILE         PEM CAs for wss:// instead of the system store\n"
          "  CORTANA_TWILIO_API_BASE        Twilio's REST API base URL\n"
          "  CORTANA_TWILIO_ACCOUNT_SID     Twilio account (texts, call updates)\n"
          "  CORTANA_TWILIO_AUTH_TOKEN      Twilio auth token (secret)\n"
          "  CORTANA_PUBLIC_URL             this site's public base URL\n"
          "  CORTANA_MEDIA_DEBUG            any value: debug logging\n",
          stderr);
}

/* Options, or MEDIA_EXIT_BAD_CONFIG with the reason on stderr. */
static apr_status_t wipe_secret(void *secret)
{
    sodium_memzero(secret, strlen(secret));
    return APR_SUCCESS;
}

/* A secret the worker gets in its environment (mod_cortana_worker.c), as
 * its one copy in m->pool, wiped when that pool goes (at exit). unsetenv
 * only unlinks a variable: its string stays in the environment block, which
 * /proc/PID/environ shows to the same user for the worker's whole life, so
 * the value is wiped in place. NULL when it is not set. */
static const char *take_secret(media_t *m, const char *name)
{
    char *value = getenv(name), *copy = NULL;

    if (value != NULL) {
        copy = apr_pstrdup(m->pool, value);
        apr_pool_cleanup_register(m->pool, copy, wipe_secret, apr_pool_cleanup_null);
        sodium_memzero(value, strlen(value));
    }
    unsetenv(name);
    return copy;
}

static int parse_options(media_t *m, int argc, const char *const *argv)
{
    static const apr_getopt_option_t opts[] = {
        {"stream-socket", 's', 1, "unix socket for Twilio Media Streams"},
        {"control-socket", 'c', 1, "unix socket for control commands"},
        {"ring-shm", 'r', 1, "the event ring's shared-memory file"},
        {"tick", 't', 1, "seconds between periodic ticks (1-60)"},
        {"chunk-ms", 'k', 1, "caller audio per message to OpenAI, ms (20-200, by 20)"},
        {"session-max", 'x', 1, "seconds before an OpenAI session is renewed (5-7200)"},
        {"peer-events", 'p', 1, "this host's id: share live events through PostgreSQL"},
        {"foreground", 'f', 0, "stay in the foreground (always)"},
        {NULL, 0, 0, NULL}};
    apr_getopt_t *g;
    int ch;
    const char *arg;
    char *end;
    apr_status_t rv;

    apr_getopt_init(&g, m->pool, argc, argv);
    m->tick_seconds = 1;
    m->chunk_ms = 60;
    m->session_max_s = 3300;
    while ((rv = apr_getopt_long(g, opts, &ch, &arg)) == APR_SUCCESS) {
        switch (ch) {
        case 's':
            m->stream_socket = arg;
            break;
        case 'c':
            m->control_socket = arg;
            break;
        case 'r':
            m->ring_shm = *arg ? arg : NULL;
            break;
        case 't':
            m->tick_seconds = (int)strtol(arg, &end, 10);
            if (*end != '\0') {
                m->tick_seconds = 0;
            }
            break;
        case 'k':
            m->chunk_ms = (int)strtol(arg, &end, 10);
            if (*end != '\0' || m->chunk_ms < 20 || m->chunk_ms > 200 || m->chunk_ms % 20 != 0) {
                fprintf(stderr, "cortana-media: --chunk-ms %s: not 20-200 in steps of 20\n", arg);
                return MEDIA_EXIT_BAD_CONFIG;
            }
            break;
        case 'x':
            m->session_max_s = (int)strtol(arg, &end, 10);
            if (*end != '\0' || m->session_max_s < 5 || m->session_max_s > 7200) {
                fprintf(stderr, "cortana-media: --session-max %s: not 5-7200 seconds\n", arg);
                return MEDIA_EXIT_BAD_CONFIG;
            }
            break;
        case 'p':
            m->peer_host_id = arg;
            break;
        case 'f':
            break;
        }
    }
    if (rv != APR_EOF || g->ind != argc) {
        usage();
        return MEDIA_EXIT_BAD_CONFIG;
    }
    if (!m->stream_socket || !m->control_socket) {
        fputs("cortana-media: --stream-socket and --control-socket are required\n", stderr);
        usage();
        return MEDIA_EXIT_BAD_CONFIG;
    }
    if (m->tick_seconds < 1 || m->tick_seconds > 60) {
        fputs("cortana-media: --tick wants whole seconds from 1 to 60\n", stderr);
        return MEDIA_EXIT_BAD_CONFIG;
    }
    m->database = take_secret(m, "CORTANA_DATABASE"); /* its password, if it has one */
    m->twilio_auth_token = take_secret(m, "CORTANA_TWILIO_AUTH_TOKEN");
    return 0;
}

/* Attach to httpd's event ring, or MEDIA_EXIT_BAD_CONFIG with the reason logged. */
static int attach_ring(media_t *m)
{
    void *base;
    apr_size_t bytes = 0;
    apr_status_t rv;

    if (m->ring_shm == NULL) {
        ctn_log_warning(NULL, "no event ring given: live events from this worker are off");
        return 0;
    }
    if ((rv = ctn_ring_shm_attach(&base, &bytes, m->ring_shm, m->pool)) != APR_SUCCESS ||
        (rv = ctn_ring_attach(&m->ring, base, bytes, m->pool)) != APR_SUCCESS) {
        char err[128];
        ctn_log_err(NULL, "cannot attach the event ring %s: %s", m->ring_shm,
                    apr_strerror(rv, err, sizeof(err)));
        return MEDIA_EXIT_BAD_CONFIG;
    }
    return 0;
}

/* The periodic tick. For now it counts (the control socket reports it) and
 * watches for httpd's death — the parent-death signal set before exec is the
 * first line of defence, this is the second. It reschedules itself and must
 * stay short: it runs on the event loop. */
static void tick(lws_sorted_usec_list_t *sul)
{
    media_t *m = lws_container_of(sul, media_t, tick_sul);

    m->ticks++;
    ctn_log_debug(NULL, "tick %" APR_UINT64_T_FMT, m->ticks);
    if (getppid() != m->parent) {
        ctn_log_err(NULL, "httpd (pid %ld) is gone: exiting", (long)m->parent);
        media_request_stop(m);
        return;
    }
    lws_sul_schedule(m->context, 0, &m->tick_sul, tick,
                     (lws_usec_t)m->tick_seconds * LWS_USEC_PER_SEC);
}

static struct lws_vhost *listen_on(media_t *m, const char *name, const char *path,
                                   const struct lws_protocols *protocols, int raw)
{
    struct lws_context_creation_info info;

    memset(&info, 0, sizeof(info));
    info.vhost_name = name;
    info.iface = path;
    info.port = 0;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_UNIX_SOCK;
    if (raw) {
        info.options |= LWS_SERVER_OPTION_ADOPT_APPLY_LISTEN_ACCEPT_CONFIG;
        info.listen_accept_role = "raw-skt";
        info.listen_accept_protocol = protocols[0].name;
    }
    unlink(path); /* a stale socket of a worker that was killed */
    return lws_create_vhost(m->context, &info);
}

static struct lws_context *create_context(media_t *m)
{
    struct lws_context_creation_info info;
    struct lws_context *context;

    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_LIBEV;
    info.user = m;
    if ((context = lws_create_context(&info)) != NULL) {
        m->evlib = 1;
        return context;
    }
    ctn_log_warning(NULL, "the libev event-lib plugin of libwebsockets is not available "
                          "(libwebsockets-evlib-ev): running on lws's own poll loop");
    info.options &= ~(apr_uint64_t)LWS_SERVER_OPTION_LIBEV;
    m->evlib = 0;
    return lws_create_context(&info);
}

/* The socket directory must exist; the worker (httpd's User) makes it 0700
 * when it is missing, and leaves an existing one (DefaultRuntimeDir) alone. */
static void ensure_socket_dir(media_t *m, const char *path)
{
    char *dir = apr_pstrdup(m->pool, path), *slash = strrchr(dir, '/');

    if (slash != NULL && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            ctn_log_warning(NULL, "cannot create %s: %s", dir, strerror(errno));
        }
    }
}

static int run(media_t *m)
{
    if ((m->context = create_context(m)) == NULL) {
        ctn_log_err(NULL, "cannot create the libwebsockets context");
        return 1;
    }
    /* Sockets are created under the worker's own user (httpd's User) with
     * mode 0600 (the umask covers the moment between bind and chmod): only
     * httpd's children and tools running as that user (or root) connect. */
    ensure_socket_dir(m, m->stream_socket);
    ensure_socket_dir(m, m->control_socket);
    umask(0177);
    if (listen_on(m, "stream", m->stream_socket, media_stream_protocols, 0) == NULL ||
        listen_on(m, "control", m->control_socket, media_control_protocols, 1) == NULL ||
        chmod(m->stream_socket, 0600) != 0 || chmod(m->control_socket, 0600) != 0) {
        ctn_log_err(NULL, "cannot listen on %s or %s", m->stream_socket, m->control_socket);
        lws_context_destroy(m->context);
        return MEDIA_EXIT_BAD_CONFIG;
    }
    lws_sul_schedule(m->context, 0, &m->tick_sul, tick,
                     (lws_usec_t)m->tick_seconds * LWS_USEC_PER_SEC);
    switch (media_relay_init(m)) {
    case APR_SUCCESS:
        ctn_log_notice(NULL, "realtime engine on: OpenAI Realtime at %s", m->relay->url);
        break;
    case APR_ENOTIMPL:
        ctn_log_info(NULL, "realtime engine off: no OpenAI key (or no master key) configured");
        break;
    default:
        ctn_log_err(NULL, "cannot start the realtime relay: calls use the built-in engine");
        m->relay->api_key = NULL;
    }
    if (media_jobs_start(m) != APR_SUCCESS) {
        ctn_log_err(NULL, "cannot start the background jobs thread");
    }
    if (media_peers_start(m) != APR_SUCCESS) {
        ctn_log_err(NULL, "cannot start the peer events thread");
    }
    ctn_log_notice(NULL, "cortana-media ready (pid %ld, %s loop): streams on %s, control on %s",
                   (long)getpid(), m->evlib ? "libev" : "poll", m->stream_socket,
                   m->control_socket);
    /* On libev lws_service() returns only once the loop has been broken (see
     * the top of this file); on the poll loop it returns after each wait. */
    while (!m->stopping && !m->destroying) {
        if (lws_service(m->context, 0) < 0) {
            break;
        }
    }
    m->stopping = 1;
    media_relay_stop(m);
    media_jobs_stop(m);
    media_peers_stop(m);
    lws_context_destroy(m->context);
    unlink(m->stream_socket);
    unlink(m->control_socket);
    ctn_log_notice(NULL, "cortana-media stopped");
    return 0;
}

int main(int argc, const char *const *argv)
{
    media_t *m;
    apr_pool_t *pool;
    struct sigaction sa;
    int rc;

    if (apr_app_initialize(&argc, &argv, NULL) != APR_SUCCESS) {
        fputs("cortana-media: cannot initialise APR\n", stderr);
        return 1;
    }
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);
    ctn_log_set_sink(ctn_log_stderr_sink, "cortana-media",
                     getenv("CORTANA_MEDIA_DEBUG") ? CTN_LOG_DEBUG : CTN_LOG_NOTICE);
    lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
    m = apr_pcalloc(pool, sizeof(*m));
    m->pool = pool;
    m->started_at = apr_time_now();
    m->parent = getppid();
    if ((rc = parse_options(m, argc, argv)) != 0 || (rc = attach_ring(m)) != 0) {
        return rc;
    }
    the_media = m;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return run(m);
}
