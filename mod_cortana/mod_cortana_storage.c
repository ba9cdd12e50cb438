/* mod_cortana_storage.c: Cortana's URLs are not files.
 *
 * Before handling a request httpd maps it onto the file system (the
 * map_to_storage phase): core walks <Directory> sections from the root down
 * to DocumentRoot + URI, with a stat(2) per path component and, wherever
 * AllowOverride permits, an open(2) of each directory's .htaccess. For a
 * Twilio webhook that is nine system calls, all failing, on every turn of
 * every call, and a hosting provider's .htaccess files have no business
 * deciding anything about /twilio/ or /api/.
 *
 * So, as mod_proxy does for its URLs, the module claims a request whose
 * <Location> hands it to one of its handlers (SetHandler cortana-…): in
 * translate_name, which httpd runs after a first walk of the <Location>
 * sections, it names the request's filename "cortana:<uri>" instead of a
 * path under DocumentRoot, and it answers map_to_storage for such names
 * itself, so the directory walk never runs. <Directory> sections and
 * .htaccess files then do not apply to those URLs; <Location> sections
 * still do (httpd walks them again after map_to_storage). A handler set any
 * other way (AddHandler, a <Directory> section) is left to httpd's usual
 * mapping. */
#include "mod_cortana.h"

#include "http_request.h"

#include <apr_strings.h>
#include <string.h>

#define CORTANA_FILENAME_PREFIX "cortana:"

/* The handler the request's <Location> sections set with SetHandler, or NULL. */
static const char *location_handler(request_rec *r)
{
    core_dir_config *core = ap_get_core_module_config(r->per_dir_config);
    const char *handler, *err = NULL;

    if (core == NULL || core->expr_handler == NULL) {
        return NULL;
    }
    handler = ap_expr_str_exec(r, core->expr_handler, &err);
    return err == NULL ? handler : NULL;
}

static int claim_cortana_url(request_rec *r)
{
    const char *handler;

    if (r->uri == NULL || r->uri[0] != '/' || r->proxyreq != PROXYREQ_NONE) {
        return DECLINED;
    }
    handler = location_handler(r);
    if (handler == NULL || strncmp(handler, "cortana-", 8) != 0) {
        return DECLINED;
    }
    r->filename = apr_pstrcat(r->pool, CORTANA_FILENAME_PREFIX, r->uri, NULL);
    return OK;
}

static int map_cortana_url(request_rec *r)
{
    if (r->filename != NULL &&
        strncmp(r->filename, CORTANA_FILENAME_PREFIX, sizeof(CORTANA_FILENAME_PREFIX) - 1) == 0) {
        return OK; /* nothing to map: the handler answers from the database */
    }
    return DECLINED;
}

void ctn_storage_register_hooks(apr_pool_t *p)
{
    (void)p;
    /* Before mod_alias and core's own translation, as mod_proxy's is. */
    ap_hook_translate_name(claim_cortana_url, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_map_to_storage(map_cortana_url, NULL, NULL, APR_HOOK_FIRST);
}
