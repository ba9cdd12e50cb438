/* mod_cortana_worker.c: the httpd parent starts and supervises cortana-media.
 *
 * The mod_cgid pattern: at post_config (never in the check-only pass, never
 * for `apachectl -t`) the parent forks and execs the worker, registers it
 * with apr_proc_other_child_register, and the MPM's maintenance calls us
 * when it dies: we start a new one at once unless the MPM is stopping or the
 * worker exited with EX_CONFIG (78), its "bad configuration" code, which a
 * restart cannot fix. A worker dying again and again right after starting is
 * given up after CRASH_LOOP_LIMIT tries so httpd does not spin. On graceful
 * restart and stop, pconf's cleanup stops the worker (SIGTERM, then SIGKILL
 * after STOP_GRACE) and waits for it, so two workers never run at once.
 *
 * The worker runs as httpd's User (privileges are dropped between fork and
 * exec), dies with its parent (PR_SET_PDEATHSIG), and writes to httpd's
 * error log through the stderr it inherits. Its state is kept in a small
 * shared-memory block so any child can report it (/healthz, /metrics). */
#include "mod_cortana.h"
#include "mod_cortana_config.h"

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
#include <unistd.h>

#define WORKER_EXIT_BAD_CONFIG 78                       /* EX_CONFIG from sysexits.h */
#define STOP_GRACE             apr_time_from_msec(3000) /* SIGTERM → SIGKILL */
#define CRASH_WINDOW           apr_time_from_sec(5) /* a death this soon after start is a crash */
#define CRASH_LOOP_LIMIT       20

typedef struct worker_shared_t {
    volatile pid_t pid;
    volatile apr_time_t started_at;
    volatile apr_uint64_t restarts;
    volatile int running;
} worker_shared_t;

typedef struct supervisor_t {
    apr_pool_t *pconf;
    server_rec *s;
    apr_proc_t *proc;
    worker_shared_t *shared;
    int rapid_deaths;
    pid_t parent; /* only the httpd parent supervises */
} supervisor_t;

static worker_shared_t *shared_status;

apr_status_t ctn_worker_status(ctn_worker_status_t *out)
{
    if (shared_status == NULL) {
        return APR_ENOTIMPL;
    }
    out->pid = shared_status->pid;
    out->started_at = shared_status->started_at;
    out->restarts = shared_status->restarts;
    out->running = shared_status->running && shared_status->pid > 0 &&
                   (kill(shared_status->pid, 0) == 0 || errno == EPERM);
    return APR_SUCCESS;
}

static void maintenance(int reason, void *data, apr_wait_t status);

/* In the forked child, before exec: become the worker. Never returns. */
static void set_or_unset(const char *name, const char *value)
{
    if (value != NULL) {
        setenv(name, value, 1);
    } else {
        unsetenv(name);
    }
}

static void become_worker(supervisor_t *sup, const char *const *argv, const char *database)
{
    ctn_server_conf_t *conf = ctn_config_get(sup->s);

    sigset_t none;
    long maxfd = sysconf(_SC_OPEN_MAX);

    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1) {
        _exit(1); /* the parent is already gone */
    }
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++) {
        signal(sig, SIG_DFL);
    }
    if (geteuid() == 0) {
        if (setgid(ap_unixd_config.group_id) != 0 ||
            initgroups(ap_unixd_config.user_name, ap_unixd_config.group_id) != 0 ||
            setuid(ap_unixd_config.user_id) != 0) {
            _exit(WORKER_EXIT_BAD_CONFIG);
        }
    }
    for (long fd = 3; fd < (maxfd > 0 ? maxfd : 1024); fd++) {
        close((int)fd);
    }
    /* Secrets go through the environment, which only the worker's own user
     * can read, never through argv, which every user can. */
    set_or_unset("CORTANA_DATABASE", database);
    set_or_unset("CORTANA_TWILIO_API_BASE", conf->twilio_api_base);
    set_or_unset("CORTANA_TWILIO_ACCOUNT_SID", conf->twilio_account_sid);
    set_or_unset("CORTANA_TWILIO_AUTH_TOKEN", conf->twilio_auth_token);
    execv(argv[0], (char *const *)argv);
    _exit(127);
}

static apr_status_t spawn(supervisor_t *sup)
{
    ctn_server_conf_t *conf = ctn_config_get(sup->s);
    const char *argv[] = {conf->media_worker,
                          "--stream-socket",
                          conf->media_socket,
                          "--control-socket",
                          conf->media_control_socket,
                          "--ring-shm",
                          ctn_events_shm_path() ? ctn_events_shm_path() : "",
                          "--ring-lock",
                          ctn_events_lock_path() ? ctn_events_lock_path() : "",
                          "--tick",
                          apr_itoa(sup->pconf, conf->tick_interval),
                          NULL};
    pid_t pid = fork();

    if (pid < 0) {
        apr_status_t rv = errno;
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, sup->s, "cannot fork the media worker");
        return rv;
    }
    if (pid == 0) {
        become_worker(sup, argv, conf->database);
    }
    sup->proc = apr_pcalloc(sup->pconf, sizeof(*sup->proc));
    sup->proc->pid = pid;
    sup->shared->pid = pid;
    sup->shared->started_at = apr_time_now();
    sup->shared->running = 1;
    apr_proc_other_child_register(sup->proc, maintenance, sup, NULL, sup->pconf);
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, sup->s, "media worker %s started (pid %ld)",
                 conf->media_worker, (long)pid);
    return APR_SUCCESS;
}

static int mpm_stopping(void)
{
    int state = AP_MPMQ_STARTING;

    ap_mpm_query(AP_MPMQ_MPM_STATE, &state);
    return state == AP_MPMQ_STOPPING;
}

static void maintenance(int reason, void *data, apr_wait_t status)
{
    supervisor_t *sup = data;
    /* The MPM passes APR's decoded status: the exit code, or the number of
     * the signal that killed the process (APR does not say which). */
    int code = (int)status;

    switch (reason) {
    case APR_OC_REASON_DEATH:
    case APR_OC_REASON_LOST:
        apr_proc_other_child_unregister(sup);
        sup->shared->running = 0;
        sup->proc = NULL;
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, sup->s,
                     "media worker (pid %ld) died (exit status or signal %d)",
                     (long)sup->shared->pid, code);
        if (mpm_stopping()) {
            return;
        }
        if (code == WORKER_EXIT_BAD_CONFIG) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, sup->s,
                         "media worker reports a bad configuration: not restarting it; fix "
                         "the Cortana directives and restart httpd");
            return;
        }
        sup->rapid_deaths =
            apr_time_now() - sup->shared->started_at < CRASH_WINDOW ? sup->rapid_deaths + 1 : 0;
        if (sup->rapid_deaths >= CRASH_LOOP_LIMIT) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, sup->s,
                         "media worker died %d times right after starting: giving up until "
                         "httpd restarts",
                         sup->rapid_deaths);
            return;
        }
        sup->shared->restarts++;
        spawn(sup);
        break;
    case APR_OC_REASON_RESTART:
    case APR_OC_REASON_UNREGISTER:
        /* pconf's cleanup (below) stops the worker. */
        break;
    case APR_OC_REASON_UNWRITABLE:
    case APR_OC_REASON_RUNNING:
    default:
        break;
    }
}

/* pconf cleanup in the parent: stop the worker and wait for it. */
static apr_status_t stop_worker(void *data)
{
    supervisor_t *sup = data;
    apr_time_t deadline;
    pid_t pid;

    if (sup->proc == NULL || getpid() != sup->parent) {
        return APR_SUCCESS;
    }
    pid = sup->proc->pid;
    /* No apr_proc_other_child_unregister here: the registration was made on
     * pconf after this cleanup, so APR's own cleanup already removed it. */
    sup->proc = NULL;
    kill(pid, SIGTERM);
    deadline = apr_time_now() + STOP_GRACE;
    while (waitpid(pid, NULL, WNOHANG) == 0) {
        if (apr_time_now() > deadline) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, sup->s,
                         "media worker (pid %ld) ignored SIGTERM: killing it", (long)pid);
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            break;
        }
        apr_sleep(apr_time_from_msec(20));
    }
    sup->shared->running = 0;
    return APR_SUCCESS;
}

static apr_status_t forget_status(void *unused)
{
    shared_status = NULL;
    return APR_SUCCESS;
}

static int worker_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    supervisor_t *sup;
    apr_shm_t *shm;
    apr_status_t rv;

    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG ||
        ap_state_query(AP_SQ_RUN_MODE) != AP_SQ_RM_NORMAL) {
        return OK;
    }
    if ((rv = apr_shm_create(&shm, sizeof(worker_shared_t), NULL, pconf)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "cannot create the worker status memory");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    sup = apr_pcalloc(pconf, sizeof(*sup));
    sup->pconf = pconf;
    sup->s = s;
    sup->parent = getpid();
    sup->shared = apr_shm_baseaddr_get(shm);
    memset(sup->shared, 0, sizeof(*sup->shared));
    shared_status = sup->shared;
    apr_pool_cleanup_register(pconf, NULL, forget_status, apr_pool_cleanup_null);
    /* Registered after the shm so it runs before the shm is destroyed. */
    apr_pool_cleanup_register(pconf, sup, stop_worker, apr_pool_cleanup_null);
    if (spawn(sup) != APR_SUCCESS) {
        /* httpd still serves; /healthz reports the missing worker. */
        return OK;
    }
    return OK;
}

void ctn_worker_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(worker_post_config, NULL, NULL, APR_HOOK_LAST);
}
