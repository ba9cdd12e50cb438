/* mod_cortana.c: the module record and the hooks that tie its parts together.
 *
 * Each part registers its own hooks (config checks here; the event ring in
 * mod_cortana_events.c; the media worker's supervision in
 * mod_cortana_worker.c; /healthz and /metrics in mod_cortana_health.c). This
 * file also routes libcortana's log lines to the httpd error log, so that
 * `LogLevel cortana:debug` governs them like the module's own. */
#include "mod_cortana.h"
#include "mod_cortana_config.h"

#include "http_protocol.h"
#include "log.h"

#include <curl/curl.h>

/* libcortana's sink: one error-log line, prefixed with the call SID. */
static void httpd_log_sink(void *baton, ctn_log_level_e level, const char *call_sid,
                           const char *file, int line, const char *message)
{
    server_rec *s = baton;

    ap_log_error(file, line, APLOG_MODULE_INDEX, (int)level, 0, s, "%s%s%s",
                 call_sid ? call_sid : "", call_sid ? ": " : "", message);
}

static ctn_log_level_e httpd_log_level(server_rec *s)
{
    int level = APLOG_IS_LEVEL(s, APLOG_DEBUG)  ? APLOG_DEBUG
                : APLOG_IS_LEVEL(s, APLOG_INFO) ? APLOG_INFO
                                                : APLOG_NOTICE;
    return (ctn_log_level_e)level;
}

static apr_status_t curl_cleanup(void *unused)
{
    curl_global_cleanup();
    return APR_SUCCESS;
}

static int cortana_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                               server_rec *s)
{
    int rc;

    if ((rc = ctn_config_finalize(pconf, ptemp, s)) != OK) {
        return rc;
    }
    ctn_log_set_sink(httpd_log_sink, s, httpd_log_level(s));
    /* libcurl is initialised once in the parent, before any child forks;
     * easy handles are created per request, never shared across fork. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "libcurl failed to initialise");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_cleanup_register(pconf, NULL, curl_cleanup, apr_pool_cleanup_null);
    return OK;
}

static void cortana_register_hooks(apr_pool_t *p)
{
    /* Config first: the other parts' post_config hooks read finished values. */
    ap_hook_post_config(cortana_post_config, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ctn_secrets_register_hooks(p);
    ctn_events_register_hooks(p);
    ctn_worker_register_hooks(p);
    ctn_mod_db_register_hooks(p);
    ctn_health_register_hooks(p);
    ctn_storage_register_hooks(p);
    ctn_twilio_register_hooks(p);
    ctn_api_register_hooks(p);
}

module AP_MODULE_DECLARE_DATA cortana_module = {
    STANDARD20_MODULE_STUFF,
    NULL,                     /* per-directory config: none, handlers use SetHandler */
    NULL,                     /* merge per-directory config */
    ctn_config_create_server, /* per-server config */
    ctn_config_merge_server,  /* merge per-server config */
    ctn_config_cmds,          /* directives */
    cortana_register_hooks,
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
    AP_MODULE_FLAG_ALWAYS_MERGE
#endif
};
