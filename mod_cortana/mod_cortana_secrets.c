/* mod_cortana_secrets.c: the keys the module reads once, as root.
 *
 * CortanaKeyFile and CortanaOpenAIKeyFile are meant to be readable by root
 * only, so they are read in post_config, before httpd forks its children
 * and drops privileges: children inherit the bytes (they sign media-stream
 * tokens), and the worker gets them in its environment, which only its own
 * user and root can read. Never logged; wiped when the configuration pool
 * goes (graceful restart reads them afresh). */
#include "mod_cortana.h"
#include "mod_cortana_config.h"

#include "stream_token.h"

#include <apr_file_io.h>
#include <apr_strings.h>
#include <sodium.h>
#include <string.h>

static unsigned char stream_key[CTN_KEY_BYTES];
static int have_stream_key;
static char openai_key[512];
static int have_openai_key;

const unsigned char *ctn_secrets_stream_key(void)
{
    return have_stream_key ? stream_key : NULL;
}

const char *ctn_secrets_openai_key(void)
{
    return have_openai_key ? openai_key : NULL;
}

static apr_status_t wipe(void *unused)
{
    sodium_memzero(stream_key, sizeof(stream_key));
    sodium_memzero(openai_key, sizeof(openai_key));
    have_stream_key = have_openai_key = 0;
    return APR_SUCCESS;
}

/* The first line of a secret file, without surrounding whitespace. */
static apr_status_t read_secret(char *out, apr_size_t size, const char *path, apr_pool_t *p)
{
    apr_file_t *f;
    apr_size_t len = size - 1;
    apr_status_t rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT, p);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = apr_file_read(f, out, &len);
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        return rv;
    }
    out[len] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
    while (len > 0 && (out[len - 1] == ' ' || out[len - 1] == '\t')) {
        out[--len] = '\0';
    }
    return out[0] ? APR_SUCCESS : APR_EINVAL;
}

static int secrets_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                               server_rec *s)
{
    ctn_server_conf_t *conf = ctn_config_get(s);
    apr_status_t rv;

    wipe(NULL);
    apr_pool_cleanup_register(pconf, NULL, wipe, apr_pool_cleanup_null);
    if (conf->key_file) {
        if ((rv = ctn_key_load(stream_key, conf->key_file, ptemp)) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "CortanaKeyFile %s: cannot read the key",
                         conf->key_file);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        have_stream_key = 1;
    }
    if (conf->openai_key_file) {
        if ((rv = read_secret(openai_key, sizeof(openai_key), conf->openai_key_file, ptemp)) !=
            APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                         "CortanaOpenAIKeyFile %s: cannot read the key", conf->openai_key_file);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        have_openai_key = 1;
    }
    return OK;
}

void ctn_secrets_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(secrets_post_config, NULL, NULL, APR_HOOK_FIRST);
}
