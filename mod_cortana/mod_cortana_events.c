/* mod_cortana_events.c: the shared-memory event ring of this host.
 *
 * post_config — not the first, check-only pass — creates the segment in the
 * runtime directory (cortana-ring.shm, a stale one from a crashed httpd is
 * replaced) and formats the ring in it, its lock included (a process-shared
 * robust mutex inside the segment, lib/ring.c); children inherit the
 * mapping. On graceful restart pconf is cleared, so the ring is made afresh
 * in a new file (SSE readers notice the sequence going back and fall back to
 * the database), while old children finish with the old one.
 *
 * The segment is named so that the media worker, a separate program running
 * as httpd's User, can attach to it: a file-backed MAP_SHARED mapping
 * (lib/ring.c), not an apr_shm — APR 1.7 on Linux implements named apr_shm
 * with shm_open(), creates it root-owned and has no apr_shm_perms_set for it
 * (APR_ENOTIMPL), so a worker that dropped privileges could not attach. The
 * file is created 0600 and handed to User/Group. */
#include "mod_cortana.h"
#include "mod_cortana_config.h"

#include "ap_mpm.h"
#include "http_core.h"
#include "unixd.h"

#include "peers.h"
#include "ring.h"

#include <apr_strings.h>
#include <unistd.h>

#define RING_SHM_FILE "cortana-ring.shm" /* under DefaultRuntimeDir */

static ctn_ring_t *ring;
static const char *shm_path;
static const char *host_id; /* CortanaPeerEvents On: this host's id on the channel */

ctn_ring_t *ctn_events_ring(void)
{
    return ring;
}

const char *ctn_events_shm_path(void)
{
    return shm_path;
}

const char *ctn_events_host_id(void)
{
    return host_id;
}

static apr_status_t forget_ring(void *unused)
{
    ring = NULL;
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
    rv = ctn_ring_format(&ring, base, bytes, (apr_uint32_t)conf->ring_size, pconf);
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

void ctn_events_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(events_post_config, NULL, NULL, APR_HOOK_MIDDLE);
}
