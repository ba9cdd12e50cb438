/* mod_cortana_events.c: the shared-memory event ring of this host.
 *
 * pre_config registers the mutex "cortana-ring" (default mechanism flock, so
 * the Mutex directive can move its lock file); post_config — not the first,
 * check-only pass — creates the segment in the runtime directory
 * (cortana-ring.shm, a stale one from a crashed httpd is replaced), formats
 * the ring in it and creates the global mutex; child_init reattaches the
 * mutex in each child. On graceful restart pconf is cleared, so the ring is
 * made afresh (SSE readers notice the sequence going back and fall back to
 * the database).
 *
 * Both the segment and the lock file are named so that the media worker, a
 * separate program running as httpd's User, can attach to them:
 *  - the lock must use the flock mechanism (see lib/ring.c); any other
 *    choice in a Mutex directive fails post_config with the reason;
 *  - the segment is a file-backed MAP_SHARED mapping (lib/ring.c), not an
 *    apr_shm: APR 1.7 on Linux implements named apr_shm with shm_open(),
 *    creates it root-owned and has no apr_shm_perms_set for it
 *    (APR_ENOTIMPL), so a worker that dropped privileges could not attach.
 *    The file is created 0600 and handed to User/Group like the lock file
 *    (ap_unixd_set_global_mutex_perms). */
#include "mod_cortana.h"
#include "mod_cortana_config.h"

#include "ap_mpm.h"
#include "http_core.h"
#include "util_mutex.h"
#include "unixd.h"

#include "peers.h"
#include "ring.h"

#include <apr_global_mutex.h>
#include <apr_strings.h>
#include <string.h>
#include <unistd.h>

#define RING_MUTEX_TYPE "cortana-ring"
#define RING_SHM_FILE   "cortana-ring.shm" /* under DefaultRuntimeDir */

static ctn_ring_t *ring;
static apr_global_mutex_t *ring_mutex;
static const char *shm_path;
static const char *lock_path;
static const char *host_id; /* CortanaPeerEvents On: this host's id on the channel */

ctn_ring_t *ctn_events_ring(void)
{
    return ring;
}

const char *ctn_events_shm_path(void)
{
    return shm_path;
}

const char *ctn_events_lock_path(void)
{
    return lock_path;
}

const char *ctn_events_host_id(void)
{
    return host_id;
}

static apr_status_t mutex_acquire(void *baton)
{
    return apr_global_mutex_lock(*(apr_global_mutex_t **)baton);
}

static apr_status_t mutex_release(void *baton)
{
    return apr_global_mutex_unlock(*(apr_global_mutex_t **)baton);
}

static const ctn_ring_lock_t httpd_lock = {mutex_acquire, mutex_release, &ring_mutex};

static int events_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    return ap_mutex_register(pconf, RING_MUTEX_TYPE, NULL, APR_LOCK_FLOCK, 0) == APR_SUCCESS ? OK
                                                                                             : !OK;
}

static apr_status_t forget_ring(void *unused)
{
    ring = NULL;
    ring_mutex = NULL;
    host_id = NULL;
    return APR_SUCCESS;
}

static int events_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    ctn_server_conf_t *conf = ctn_config_get(s);
    apr_size_t bytes = ctn_ring_bytes((apr_uint32_t)conf->ring_size);
    void *base;
    apr_status_t rv;

    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    shm_path = ap_runtime_dir_relative(pconf, RING_SHM_FILE);
    rv = ctn_ring_shm_create(&base, shm_path, bytes,
                             geteuid() == 0 ? (long)ap_unixd_config.user_id : -1,
                             geteuid() == 0 ? (long)ap_unixd_config.group_id : -1, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "cannot create the event ring's shared memory %s (%" APR_SIZE_T_FMT " bytes)",
                     shm_path, bytes);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    rv = ap_global_mutex_create(&ring_mutex, &lock_path, RING_MUTEX_TYPE, NULL, s, pconf, 0);
    if (rv != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR; /* ap_global_mutex_create logged why */
    }
    if (lock_path == NULL || strcmp(apr_global_mutex_name(ring_mutex), "flock") != 0) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "Mutex %s must use the flock mechanism (it uses %s): the media worker, a "
                     "separate program, attaches to its lock file",
                     RING_MUTEX_TYPE, apr_global_mutex_name(ring_mutex));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    lock_path = apr_pstrdup(pconf, lock_path);
    if ((rv = ap_unixd_set_global_mutex_perms(ring_mutex)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "cannot hand the event ring's lock file %s to httpd's User", lock_path);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    rv = ctn_ring_format(&ring, base, bytes, (apr_uint32_t)conf->ring_size, &httpd_lock, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "cannot format the event ring");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* A new id per ring: the worker skips the events it finds tagged with it
     * (this host wrote them to its ring already). */
    host_id = conf->peer_events ? ctn_peers_new_host_id(pconf) : NULL;
    apr_pool_cleanup_register(pconf, NULL, forget_ring, apr_pool_cleanup_null);
    return OK;
}

static void events_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv;

    if (ring_mutex == NULL) {
        return;
    }
    rv = apr_global_mutex_child_init(&ring_mutex, lock_path, pchild);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "cannot attach the event ring's mutex");
        ring = NULL;
    }
}

void ctn_events_register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(events_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(events_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(events_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}
