/* media_main.c: cortana-media's entry point, its event loop and its tick.
 *
 *   cortana-media --stream-socket PATH --control-socket PATH
 *                 [--ring-shm PATH --ring-lock PATH] [--tick SECONDS]
 *
 * Started and supervised by mod_cortana (the database connection string
 * comes in the environment, CORTANA_DATABASE, never on the command line).
 * Exit status 78 (EX_CONFIG) means "bad configuration": the supervisor then
 * does not restart it in a loop. SIGTERM stops it cleanly: sockets removed. */
#include "media.h"

#include "log.h"

#include <apr_getopt.h>
#include <apr_strings.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static media_t *the_media;

static void on_signal(int sig)
{
    if (the_media != NULL) {
        the_media->stopping = 1;
        lws_cancel_service(the_media->context);
    }
}

static void usage(void)
{
    fputs("usage: cortana-media --stream-socket PATH --control-socket PATH\n"
          "                     [--ring-shm PATH --ring-lock PATH] [--tick SECONDS]\n",
          stderr);
}

static int parse_options(media_t *m, int argc, const char *const *argv)
{
    static const apr_getopt_option_t opts[] = {
        {"stream-socket", 's', 1, ""}, {"control-socket", 'c', 1, ""}, {"ring-shm", 'r', 1, ""},
        {"ring-lock", 'l', 1, ""},     {"tick", 't', 1, ""},           {NULL, 0, 0, NULL}};
    apr_getopt_t *g;
    int ch;
    const char *arg;
    apr_status_t rv;

    apr_getopt_init(&g, m->pool, argc, argv);
    m->tick_seconds = 1;
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
        case 'l':
            m->ring_lock = *arg ? arg : NULL;
            break;
        case 't':
            m->tick_seconds = atoi(arg);
            break;
        }
    }
    if (rv != APR_EOF || g->ind != argc || !m->stream_socket || !m->control_socket ||
        m->tick_seconds < 1 || m->tick_seconds > 60 || (!m->ring_shm != !m->ring_lock)) {
        usage();
        return MEDIA_EXIT_BAD_CONFIG;
    }
    m->database = getenv("CORTANA_DATABASE");
    return 0;
}

static int attach_ring(media_t *m)
{
    void *base;
    apr_size_t bytes = 0;
    ctn_ring_lock_t lock;
    apr_status_t rv;

    if (m->ring_shm == NULL) {
        ctn_log_warning(NULL, "no event ring given: live events from this worker are off");
        return 0;
    }
    if ((rv = ctn_ring_shm_attach(&base, &bytes, m->ring_shm, m->pool)) != APR_SUCCESS ||
        (rv = ctn_ring_flock_lock_create(&lock, m->ring_lock, m->pool)) != APR_SUCCESS ||
        (rv = ctn_ring_attach(&m->ring, base, bytes, &lock, m->pool)) != APR_SUCCESS) {
        char err[128];
        ctn_log_err(NULL, "cannot attach the event ring %s (lock %s): %s", m->ring_shm,
                    m->ring_lock, apr_strerror(rv, err, sizeof(err)));
        return MEDIA_EXIT_BAD_CONFIG;
    }
    return 0;
}

/* The periodic tick: later, dispatch escalations and the SMS outbox. It
 * reschedules itself; it must stay short (it runs on the event loop). */
static void tick(lws_sorted_usec_list_t *sul)
{
    media_t *m = lws_container_of(sul, media_t, tick_sul);

    m->ticks++;
    if (getppid() == 1) {
        ctn_log_err(NULL, "httpd is gone: exiting");
        m->stopping = 1;
        lws_cancel_service(m->context);
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

static int run(media_t *m)
{
    struct lws_context_creation_info info;

    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    info.user = m;
    m->context = lws_create_context(&info);
    if (m->context == NULL) {
        ctn_log_err(NULL, "cannot create the libwebsockets context");
        return 1;
    }
    /* Sockets are created 0600-ish under the worker's own user (httpd's
     * User); the umask keeps them from being world-accessible. */
    umask(077);
    if (listen_on(m, "stream", m->stream_socket, media_stream_protocols, 0) == NULL ||
        listen_on(m, "control", m->control_socket, media_control_protocols, 1) == NULL) {
        ctn_log_err(NULL, "cannot listen on %s or %s", m->stream_socket, m->control_socket);
        lws_context_destroy(m->context);
        return MEDIA_EXIT_BAD_CONFIG;
    }
    lws_sul_schedule(m->context, 0, &m->tick_sul, tick,
                     (lws_usec_t)m->tick_seconds * LWS_USEC_PER_SEC);
    if (media_jobs_start(m) != APR_SUCCESS) {
        ctn_log_err(NULL, "cannot start the background jobs thread");
    }
    ctn_log_notice(NULL, "cortana-media ready: streams on %s, control on %s", m->stream_socket,
                   m->control_socket);
    while (!m->stopping) {
        if (lws_service(m->context, 0) < 0) {
            break;
        }
    }
    m->stopping = 1;
    media_jobs_stop(m);
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

    apr_app_initialize(&argc, &argv, NULL);
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);
    ctn_log_set_sink(ctn_log_stderr_sink, "cortana-media",
                     getenv("CORTANA_MEDIA_DEBUG") ? CTN_LOG_DEBUG : CTN_LOG_NOTICE);
    lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
    m = apr_pcalloc(pool, sizeof(*m));
    m->pool = pool;
    m->started_at = apr_time_now();
    if ((rc = parse_options(m, argc, argv)) != 0 || (rc = attach_ring(m)) != 0) {
        return rc;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    the_media = m;
    return run(m);
}
