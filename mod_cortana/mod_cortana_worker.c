/* mod_cortana_worker.c: the httpd parent starts and supervises cortana-media.
 *
 * The mod_cgid pattern. At post_config (never in the first, check-only pass,
 * never for `apachectl -t`, only in the parent) we fork and exec the worker
 * and register it with apr_proc_other_child_register. When it dies the MPM's
 * main loop reaps it and calls maintenance() with APR_OC_REASON_DEATH (or
 * LOST): we start a new one at once unless the MPM is stopping, or the
 * worker exited with EX_CONFIG (78), its "bad configuration" code, which a
 * restart cannot fix. A worker that keeps dying right after it starts is
 * restarted with a growing delay (100 ms doubling up to RESPAWN_DELAY_MAX);
 * the delay is spent in the forked child before exec, so the parent's main
 * loop never sleeps. The first restart after a healthy run is immediate; the
 * MPM reaps within its one-second maintenance cycle, so a dead worker is
 * replaced within about a second.
 *
 * Stopping: on graceful restart and on stop httpd clears pconf; the
 * other-child registration's cleanup calls us with APR_OC_REASON_UNREGISTER
 * (and ap_reclaim_child_processes may call with RESTART first). Either way
 * stop_worker() sends SIGTERM, waits up to STOP_GRACE, then SIGKILLs and
 * reaps, all before post_config of the next generation starts a new worker,
 * so two workers never run at once.
 *
 * Between fork and exec the child only makes system calls (everything that
 * allocates — argv, environment, supplementary groups — is prepared in the
 * parent): it resets the signal mask and handlers, drops to httpd's
 * User/Group when httpd runs as root, asks for SIGTERM when the parent dies
 * (PR_SET_PDEATHSIG, set after setuid since changing credentials clears it),
 * closes every inherited descriptor but stdin/stdout/stderr (stderr is
 * httpd's error log, so the worker's log lines land there), and execs. The
 * database conninfo and Twilio credentials travel in the environment, never
 * in argv, which any local user can read in /proc.
 *
 * The worker's state (pid, start time, restarts) lives in a small anonymous
 * shared-memory block created once on the process pool, so it survives
 * graceful restarts (restarts is a true counter for /metrics) and any httpd
 * child can answer /healthz from it. Only the parent writes it. */
#include "mod_cortana.h"
#include "mod_cortana_config.h"

#include "stream_token.h"

#include <sodium.h>

#include "ap_mpm.h"
#include "mpm_common.h"
#include "unixd.h"

#include <apr_shm.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORKER_EXIT_BAD_CONFIG 78 /* EX_CONFIG from sysexits.h; media.h has the same */
#define STOP_GRACE             apr_time_from_msec(3000) /* SIGTERM → SIGKILL */
#define CRASH_WINDOW           apr_time_from_sec(10)    /* dying this soon after start is a crash */
#define RESPAWN_DELAY_FIRST    100                      /* ms, after the second quick crash */
#define RESPAWN_DELAY_MAX      1000                     /* ms */
#define MAX_GROUPS             256
#define STATUS_KEY             "cortana-worker-status"

extern char **environ;

/* Written by the parent only, read by any child: each field is stored and
 * loaded atomically (a reader may see a pid with the previous started_at
 * for an instant, which /healthz tolerates). */
typedef struct worker_shared_t {
    pid_t pid;
    int running;
    apr_time_t started_at;
    apr_uint64_t restarts;
} worker_shared_t;

typedef struct supervisor_t {
    apr_pool_t *pconf;
    server_rec *s;
    worker_shared_t *shared;
    apr_proc_t proc;   /* the current worker, when have_proc */
    int have_proc;     /* a worker is running and registered */
    int stopped;       /* stop_worker ran: never respawn in this generation */
    int quick_deaths;  /* consecutive deaths within CRASH_WINDOW of starting */
    pid_t parent;      /* only the httpd parent supervises */
    const char **argv; /* prepared in the parent: the child must not allocate */
    const char **envp;
    gid_t groups[MAX_GROUPS];
    int ngroups; /* -1: do not change credentials (httpd is not root) */
} supervisor_t;

static worker_shared_t *shared_status;

apr_status_t ctn_worker_status(ctn_worker_status_t *out)
{
    worker_shared_t *sh = shared_status;

    if (sh == NULL) {
        return APR_ENOTIMPL;
    }
    out->pid = __atomic_load_n(&sh->pid, __ATOMIC_ACQUIRE);
    out->started_at = __atomic_load_n(&sh->started_at, __ATOMIC_RELAXED);
    out->restarts = __atomic_load_n(&sh->restarts, __ATOMIC_RELAXED);
    out->running = __atomic_load_n(&sh->running, __ATOMIC_RELAXED) && out->pid > 0 &&
                   (kill(out->pid, 0) == 0 || errno == EPERM);
    return APR_SUCCESS;
}

static void maintenance(int reason, void *data, apr_wait_t status);

/* ------------------------------------------------------------ the child --- */

/* Async-signal-safe message to stderr (httpd's error log) before exec. */
static void child_say(const char *what, const char *detail)
{
    static const char prefix[] = "cortana-media (supervisor): ";
    ssize_t ignored;

    ignored = write(STDERR_FILENO, prefix, sizeof(prefix) - 1);
    ignored = write(STDERR_FILENO, what, strlen(what));
    if (detail != NULL) {
        ignored = write(STDERR_FILENO, detail, strlen(detail));
    }
    ignored = write(STDERR_FILENO, "\n", 1);
    (void)ignored;
}

static void close_inherited_fds(void)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE) &&                                                  \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    if (close_range(3, ~0U, 0) == 0) {
        return; /* one system call instead of up to _SC_OPEN_MAX */
    }
#endif
    long maxfd = sysconf(_SC_OPEN_MAX);
    for (long fd = 3; fd < (maxfd > 0 && maxfd < 65536 ? maxfd : 65536); fd++) {
        close((int)fd);
    }
}

/* In the forked child: become the worker. Never returns. */
static void become_worker(const supervisor_t *sup, int delay_ms)
{
    struct sigaction dfl;
    sigset_t none;

    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        sigaction(sig, &dfl, NULL); /* fails harmlessly for SIGKILL, SIGSTOP */
    }
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (sup->ngroups >= 0) {
        if (setgroups((size_t)sup->ngroups, sup->groups) != 0 ||
            setgid(ap_unixd_config.group_id) != 0 || setuid(ap_unixd_config.user_id) != 0) {
            child_say("cannot switch to httpd's User/Group: ", strerror(errno));
            _exit(WORKER_EXIT_BAD_CONFIG);
        }
    }
    /* After setuid: a credential change clears the parent-death signal. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != sup->parent) {
        _exit(0); /* httpd died before we could ask */
    }
    close_inherited_fds();
    if (delay_ms > 0) {
        struct timespec ts = {delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
    }
    execve(sup->argv[0], (char *const *)sup->argv, (char *const *)sup->envp);
    child_say("cannot execute the media worker: ", strerror(errno));
    _exit(WORKER_EXIT_BAD_CONFIG);
}

/* ----------------------------------------------------------- the parent --- */

static apr_status_t spawn(supervisor_t *sup, int delay_ms)
{
    pid_t pid = fork();

    if (pid < 0) {
        apr_status_t rv = errno;
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, sup->s, "cannot fork the media worker");
        return rv;
    }
    if (pid == 0) {
        become_worker(sup, delay_ms);
    }
    memset(&sup->proc, 0, sizeof(sup->proc));
    sup->proc.pid = pid;
    sup->have_proc = 1;
    __atomic_store_n(&sup->shared->started_at, apr_time_now(), __ATOMIC_RELAXED);
    __atomic_store_n(&sup->shared->running, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&sup->shared->pid, pid, __ATOMIC_RELEASE);
    apr_proc_other_child_register(&sup->proc, maintenance, sup, NULL, sup->pconf);
    if (delay_ms > 0) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, sup->s,
                     "media worker %s started (pid %ld, exec delayed %d ms)", sup->argv[0],
                     (long)pid, delay_ms);
    } else {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, sup->s, "media worker %s started (pid %ld)",
                     sup->argv[0], (long)pid);
    }
    return APR_SUCCESS;
}

static int mpm_stopping(void)
{
    int state = AP_MPMQ_STARTING;

    if (ap_mpm_query(AP_MPMQ_MPM_STATE, &state) != APR_SUCCESS) {
        return 0;
    }
    return state == AP_MPMQ_STOPPING;
}

/* Forget the current worker: no longer registered, no longer running. */
static pid_t forget_proc(supervisor_t *sup)
{
    pid_t pid = sup->proc.pid;

    if (!sup->have_proc) {
        return 0;
    }
    sup->have_proc = 0; /* first: unregister calls maintenance(UNREGISTER) */
    apr_proc_other_child_unregister(sup);
    __atomic_store_n(&sup->shared->running, 0, __ATOMIC_RELAXED);
    return pid;
}

/* Stop the worker (SIGTERM, then SIGKILL after STOP_GRACE) and reap it.
 * Idempotent; a pconf cleanup and the RESTART/UNREGISTER reasons call it. */
static apr_status_t stop_worker(void *data)
{
    supervisor_t *sup = data;
    apr_time_t deadline;
    pid_t pid, got;
    int wstatus = 0;

    if (getpid() != sup->parent) {
        return APR_SUCCESS; /* a child cleaning its copy of pconf */
    }
    sup->stopped = 1;
    if ((pid = forget_proc(sup)) <= 0) {
        return APR_SUCCESS;
    }
    kill(pid, SIGTERM);
    deadline = apr_time_now() + STOP_GRACE;
    while ((got = waitpid(pid, &wstatus, WNOHANG)) == 0) {
        if (apr_time_now() > deadline) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, sup->s,
                         "media worker (pid %ld) ignored SIGTERM for %d ms: killing it", (long)pid,
                         (int)apr_time_as_msec(STOP_GRACE));
            kill(pid, SIGKILL);
            got = waitpid(pid, &wstatus, 0);
            break;
        }
        apr_sleep(apr_time_from_msec(10));
    }
    if (got == pid) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, sup->s, "media worker (pid %ld) stopped (%s %d)",
                     (long)pid, WIFSIGNALED(wstatus) ? "signal" : "exit status",
                     WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : WEXITSTATUS(wstatus));
    }
    return APR_SUCCESS;
}

static void maintenance(int reason, void *data, apr_wait_t status)
{
    supervisor_t *sup = data;
    /* For DEATH the MPM passes APR's decoded status: the exit code, or the
     * number of the signal that killed the process (APR does not say which).
     * LOST (someone else reaped it) passes -1. */
    int code = (int)status, delay_ms = 0;
    pid_t pid;

    switch (reason) {
    case APR_OC_REASON_DEATH:
    case APR_OC_REASON_LOST:
        if ((pid = forget_proc(sup)) <= 0) {
            break;
        }
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, sup->s, "media worker (pid %ld) died (%s %d)",
                     (long)pid,
                     reason == APR_OC_REASON_LOST ? "lost, status" : "exit status or signal", code);
        if (sup->stopped || mpm_stopping()) {
            break;
        }
        if (code == WORKER_EXIT_BAD_CONFIG) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, sup->s,
                         "media worker reports a bad configuration (exit status %d): not "
                         "restarting it; fix the Cortana directives and restart httpd",
                         WORKER_EXIT_BAD_CONFIG);
            break;
        }
        if (apr_time_now() - __atomic_load_n(&sup->shared->started_at, __ATOMIC_RELAXED) <
            CRASH_WINDOW) {
            sup->quick_deaths++;
        } else {
            sup->quick_deaths = 0;
        }
        if (sup->quick_deaths >= 2) {
            int shift = sup->quick_deaths - 2 < 4 ? sup->quick_deaths - 2 : 4;
            delay_ms = RESPAWN_DELAY_FIRST << shift;
            delay_ms = delay_ms < RESPAWN_DELAY_MAX ? delay_ms : RESPAWN_DELAY_MAX;
        }
        __atomic_add_fetch(&sup->shared->restarts, 1, __ATOMIC_RELAXED);
        spawn(sup, delay_ms);
        break;
    case APR_OC_REASON_RESTART:
    case APR_OC_REASON_UNREGISTER:
        if (sup->have_proc) {
            stop_worker(sup);
        }
        break;
    case APR_OC_REASON_UNWRITABLE:
    case APR_OC_REASON_RUNNING:
    default:
        break;
    }
}

static apr_status_t forget_status(void *unused)
{
    shared_status = NULL;
    return APR_SUCCESS;
}

/* The status block: created once on the process pool, found again through
 * the pool's userdata in later generations (the module itself is reloaded). */
static apr_status_t status_block(worker_shared_t **out, server_rec *s)
{
    apr_pool_t *ppool = s->process->pool;
    apr_shm_t *shm = NULL;
    apr_status_t rv;

    apr_pool_userdata_get((void **)&shm, STATUS_KEY, ppool);
    if (shm == NULL) {
        if ((rv = apr_shm_create(&shm, sizeof(worker_shared_t), NULL, ppool)) != APR_SUCCESS) {
            return rv;
        }
        memset(apr_shm_baseaddr_get(shm), 0, sizeof(worker_shared_t));
        apr_pool_userdata_set(shm, STATUS_KEY, apr_pool_cleanup_null, ppool);
    }
    *out = apr_shm_baseaddr_get(shm);
    return APR_SUCCESS;
}

/* argv and envp of the worker, and httpd User's groups, built in pconf. */
static apr_status_t prepare_exec(supervisor_t *sup)
{
    ctn_server_conf_t *conf = ctn_config_get(sup->s);
    apr_array_header_t *env = apr_array_make(sup->pconf, 32, sizeof(const char *));
    const char **argv = apr_pcalloc(sup->pconf, 20 * sizeof(*argv));
    int n = 0, ngroups = MAX_GROUPS;

    argv[n++] = conf->media_worker;
    argv[n++] = "--stream-socket";
    argv[n++] = conf->media_socket;
    argv[n++] = "--control-socket";
    argv[n++] = conf->media_control_socket;
    if (ctn_events_shm_path() != NULL) {
        argv[n++] = "--ring-shm";
        argv[n++] = ctn_events_shm_path();
    }
    argv[n++] = "--tick";
    argv[n++] = apr_itoa(sup->pconf, conf->tick_interval);
    argv[n++] = "--chunk-ms";
    argv[n++] = apr_itoa(sup->pconf, conf->media_chunk_ms);
    argv[n++] = "--session-max";
    argv[n++] = apr_itoa(sup->pconf, conf->openai_session_max);
    if (ctn_events_host_id() != NULL) {
        argv[n++] = "--peer-events";
        argv[n++] = ctn_events_host_id();
    }
    argv[n++] = "--foreground";
    argv[n] = NULL;
    sup->argv = argv;

    /* The environment: httpd's own minus any CORTANA_*, plus the secrets
     * (only the worker's user and root can read /proc/PID/environ). */
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, "CORTANA_", 8) != 0 || strncmp(*e, "CORTANA_MEDIA_DEBUG=", 20) == 0) {
            APR_ARRAY_PUSH(env, const char *) = *e;
        }
    }
#define PASS_ENV(name, value)                                                                      \
    if ((value) != NULL) {                                                                         \
        APR_ARRAY_PUSH(env, const char *) = apr_pstrcat(sup->pconf, name "=", value, NULL);        \
    }
    PASS_ENV("CORTANA_DATABASE", conf->database);
    PASS_ENV("CORTANA_PUBLIC_URL", conf->public_url);
    PASS_ENV("CORTANA_TWILIO_API_BASE", conf->twilio_api_base);
    PASS_ENV("CORTANA_TWILIO_ACCOUNT_SID", conf->twilio_account_sid);
    PASS_ENV("CORTANA_TWILIO_AUTH_TOKEN", conf->twilio_auth_token);
    PASS_ENV("CORTANA_OPENAI_KEY", ctn_secrets_openai_key());
    PASS_ENV("CORTANA_OPENAI_REALTIME_URL", conf->openai_realtime_url);
    PASS_ENV("CORTANA_OPENAI_REALTIME_MODEL", conf->openai_realtime_model);
    PASS_ENV("CORTANA_OPENAI_CA_FILE", conf->openai_ca_file);
    if (ctn_secrets_stream_key() != NULL) {
        char hex[2 * CTN_KEY_BYTES + 1];
        sodium_bin2hex(hex, sizeof(hex), ctn_secrets_stream_key(), CTN_KEY_BYTES);
        PASS_ENV("CORTANA_STREAM_KEY", hex);
        sodium_memzero(hex, sizeof(hex));
    }
#undef PASS_ENV
    APR_ARRAY_PUSH(env, const char *) = NULL;
    sup->envp = (const char **)env->elts;

    sup->ngroups = -1;
    if (geteuid() == 0) {
        if (getgrouplist(ap_unixd_config.user_name, ap_unixd_config.group_id, sup->groups,
                         &ngroups) < 0) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, sup->s,
                         "User %s is in more than %d groups: the media worker gets only its "
                         "primary group",
                         ap_unixd_config.user_name, MAX_GROUPS);
            sup->groups[0] = ap_unixd_config.group_id;
            ngroups = 1;
        }
        sup->ngroups = ngroups;
    }
    return APR_SUCCESS;
}

static int worker_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    supervisor_t *sup;
    apr_status_t rv;

    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG ||
        ap_state_query(AP_SQ_RUN_MODE) != AP_SQ_RM_NORMAL) {
        return OK;
    }
    sup = apr_pcalloc(pconf, sizeof(*sup));
    sup->pconf = pconf;
    sup->s = s;
    sup->parent = getpid();
    if ((rv = status_block(&sup->shared, s)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "cannot create the worker status memory");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    __atomic_store_n(&sup->shared->running, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&sup->shared->pid, 0, __ATOMIC_RELEASE);
    shared_status = sup->shared;
    apr_pool_cleanup_register(pconf, NULL, forget_status, apr_pool_cleanup_null);
    /* Registered before spawn() registers the other child on pconf, so on
     * clear this runs after the registration's cleanup (UNREGISTER), as a
     * backstop. */
    apr_pool_cleanup_register(pconf, sup, stop_worker, apr_pool_cleanup_null);
    if ((rv = prepare_exec(sup)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "cannot prepare the media worker");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* If even fork fails httpd still serves; /healthz reports the missing worker. */
    spawn(sup, 0);
    return OK;
}

void ctn_worker_register_hooks(apr_pool_t *p)
{
    /* LAST: after mod_cortana_events.c has created the ring it passes on. */
    ap_hook_post_config(worker_post_config, NULL, NULL, APR_HOOK_LAST);
}
