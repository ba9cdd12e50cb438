/* mod_cortana_config.c: parsing, validation, merging and defaults of every
 * Cortana directive.
 *
 * The directives are generated from CTN_CONFIG_DIRECTIVES (see the header):
 * one generic handler validates an argument according to its kind, so a bad
 * value makes `apache2 -t` fail with httpd's "Syntax error on line N of FILE"
 * followed by our reason, which always names the directive. Defaults are
 * parsed by the same code at post_config, so a default can never be a value
 * the parser would refuse. */
#include "mod_cortana.h"
#include "mod_cortana_config.h"

#include "http_core.h"
#include "url.h"

#include <apr_file_info.h>
#include <apr_lib.h>
#include <apr_network_io.h>
#include <apr_strings.h>
#include <libpq-fe.h>
#include <string.h>
#include <unistd.h>

/* One row per directive, generated from the list in the header. */
typedef struct directive_t {
    ctn_conf_kind_e kind;
    const char *name;
    const char *dflt;
    ctn_conf_scope_e scope;
    apr_size_t offset;
    apr_size_t size;
} directive_t;

#define CTN_CONF_ROW(kind, field, name, dflt, scope, help)                                         \
    {kind,                                                                                         \
     name,                                                                                         \
     dflt,                                                                                         \
     scope,                                                                                        \
     APR_OFFSETOF(ctn_server_conf_t, field),                                                       \
     sizeof(((ctn_server_conf_t *)0)->field)},
static const directive_t directives[] = {CTN_CONFIG_DIRECTIVES(CTN_CONF_ROW)};
#undef CTN_CONF_ROW

#define DIRECTIVE_COUNT ((int)(sizeof(directives) / sizeof(directives[0])))

typedef char directive_count_fits_set_flags[DIRECTIVE_COUNT <= 64 ? 1 : -1];

/* Numeric ranges of the integer directives, by name. */
typedef struct range_t {
    const char *name;
    apr_int64_t min, max, step; /* step 0: any value in the range */
} range_t;

static const range_t ranges[] = {
    {"CortanaDatabasePoolMax", 1, 1024, 0},
    {"CortanaEventRingSize", 64, 1048576, 0},
    {"CortanaWorkerTick", 1, 60, 0},
    {"CortanaMediaChunk", 20, 200, 20}, /* whole 20 ms frames */
    {"CortanaOpenAISessionMax", 5, 7200, 0},
    {"CortanaAPIMaxBody", 1024, 16 * 1024 * 1024, 0},
    {"CortanaSessionLifetime", 300, 31536000, 0},
};

static const range_t *range_of(const char *name)
{
    for (apr_size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        if (strcmp(ranges[i].name, name) == 0) {
            return &ranges[i];
        }
    }
    return NULL;
}

static void *field_at(ctn_server_conf_t *conf, int idx)
{
    return (char *)conf + directives[idx].offset;
}

static void store_string(ctn_server_conf_t *conf, int idx, const char *value)
{
    *(const char **)field_at(conf, idx) = value;
}

static void store_int(ctn_server_conf_t *conf, int idx, int value)
{
    *(int *)field_at(conf, idx) = value;
}

/* ------------------------------------------------------------ validators --- */

static const char *check_url(apr_pool_t *p, const directive_t *d, const char *arg)
{
    static const char *const http[] = {"http", "https", NULL};
    static const char *const ws[] = {"ws", "wss", NULL};
    ctn_url_t url;
    const char *why = NULL;

    if (ctn_url_parse(&url, p, arg, d->kind == CTN_CONF_URL_WS ? ws : http, &why) != APR_SUCCESS) {
        return apr_psprintf(p, "%s: '%s' is not a valid %s URL: %s", d->name, arg,
                            d->kind == CTN_CONF_URL_WS ? "ws:// or wss://" : "http:// or https://",
                            why);
    }
    if (url.query != NULL) {
        return apr_psprintf(p, "%s: the URL must not have a query string", d->name);
    }
    return NULL;
}

static const char *read_small_file(apr_pool_t *p, const directive_t *d, const char *path, char *buf,
                                   apr_size_t *len)
{
    apr_file_t *f;
    apr_status_t rv;
    char err[128];

    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(p, "%s: cannot read '%s': %s", d->name, path,
                            apr_strerror(rv, err, sizeof(err)));
    }
    rv = apr_file_read_full(f, buf, *len, len);
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        return apr_psprintf(p, "%s: cannot read '%s': %s", d->name, path,
                            apr_strerror(rv, err, sizeof(err)));
    }
    return NULL;
}

/* A key file holds 32 bytes: raw, as 64 hex digits, or as 44 base64
 * characters; a trailing newline is allowed. Nothing of it is kept here. */
static const char *check_key_file(apr_pool_t *p, const directive_t *d, const char *path)
{
    char buf[129];
    apr_size_t len = sizeof(buf) - 1;
    const char *err = read_small_file(p, d, path, buf, &len);
    int hex = 1;

    if (err != NULL) {
        return err;
    }
    if (len == 32) {
        memset(buf, 0, sizeof(buf));
        return NULL;
    }
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) {
        len--;
    }
    for (apr_size_t i = 0; i < len; i++) {
        hex = hex && apr_isxdigit(buf[i]);
    }
    memset(buf, 0, sizeof(buf));
    if ((len == 64 && hex) || len == 44) {
        return NULL;
    }
    return apr_psprintf(p,
                        "%s: '%s' does not hold a 32-byte key (expected 32 raw bytes, 64 hex "
                        "digits or 44 base64 characters; create one with "
                        "`head -c32 /dev/urandom > FILE`)",
                        d->name, path);
}

static const char *check_secret_file(apr_pool_t *p, const directive_t *d, const char *path)
{
    char buf[64];
    apr_size_t len = sizeof(buf);
    const char *err = read_small_file(p, d, path, buf, &len);

    memset(buf, 0, sizeof(buf));
    if (err != NULL) {
        return err;
    }
    if (len == 0) {
        return apr_psprintf(p, "%s: '%s' is empty", d->name, path);
    }
    return NULL;
}

static const char *check_executable(apr_pool_t *p, const directive_t *d, const char *path)
{
    apr_finfo_t info;

    if (apr_stat(&info, path, APR_FINFO_TYPE | APR_FINFO_PROT, p) != APR_SUCCESS ||
        info.filetype != APR_REG) {
        return apr_psprintf(p, "%s: '%s' is not a file", d->name, path);
    }
    if (access(path, X_OK) != 0 ||
        !(info.protection & (APR_UEXECUTE | APR_GEXECUTE | APR_WEXECUTE))) {
        return apr_psprintf(p, "%s: '%s' is not executable", d->name, path);
    }
    return NULL;
}

static const char *check_conninfo(apr_pool_t *p, const directive_t *d, const char *arg)
{
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(arg, &errmsg);
    const char *err = NULL;

    if (opts == NULL) {
        /* libpq's message names the bad keyword; it never echoes a password.
         * It ends with a newline, which would break httpd's one-line error. */
        char *msg = apr_pstrdup(p, errmsg ? errmsg : "?");
        for (char *c = msg; *c; c++) {
            *c = *c == '\n' ? ' ' : *c;
        }
        err = apr_psprintf(p, "%s: not a valid PostgreSQL connection string: %s", d->name, msg);
        if (errmsg) {
            PQfreemem(errmsg);
        }
        return err;
    }
    PQconninfoFree(opts);
    return NULL;
}

static const char *check_twilio_sid(apr_pool_t *p, const directive_t *d, const char *arg)
{
    int ok = strlen(arg) == 34 && arg[0] == 'A' && arg[1] == 'C';

    for (int i = 2; ok && arg[i]; i++) {
        ok = apr_isxdigit(arg[i]);
    }
    return ok ? NULL
              : apr_psprintf(p, "%s: '%s' is not a Twilio account SID (AC + 32 hex digits)",
                             d->name, arg);
}

static const char *parse_number(apr_pool_t *p, const directive_t *d, const char *arg, int *out)
{
    const range_t *range = range_of(d->name);
    apr_int64_t value, scale = 1;
    char *end = NULL;

    value = apr_strtoi64(arg, &end, 10);
    if (d->kind == CTN_CONF_BYTES && end && (*end == 'K' || *end == 'k')) {
        scale = 1024, end++;
    } else if (d->kind == CTN_CONF_BYTES && end && (*end == 'M' || *end == 'm')) {
        scale = 1024 * 1024, end++;
    }
    if (end == arg || *end != '\0' || !apr_isdigit(*arg)) {
        return apr_psprintf(p, "%s: '%s' is not a number", d->name, arg);
    }
    if (value > APR_INT32_MAX / scale) {
        return apr_psprintf(p, "%s: %s is out of range", d->name, arg);
    }
    value *= scale;
    if (range && (value < range->min || value > range->max)) {
        return apr_psprintf(p, "%s: %s is out of range (%" APR_INT64_T_FMT "-%" APR_INT64_T_FMT ")",
                            d->name, arg, range->min, range->max);
    }
    if (range && range->step && value % range->step != 0) {
        return apr_psprintf(p, "%s: %s is not a multiple of %" APR_INT64_T_FMT, d->name, arg,
                            range->step);
    }
    *out = (int)value;
    return NULL;
}

static const char *parse_flag(apr_pool_t *p, const directive_t *d, const char *arg, int *out)
{
    if (strcasecmp(arg, "on") == 0) {
        *out = 1;
        return NULL;
    }
    if (strcasecmp(arg, "off") == 0) {
        *out = 0;
        return NULL;
    }
    return apr_psprintf(p, "%s: '%s' must be On or Off", d->name, arg);
}

static const char *parse_subnet(apr_pool_t *p, const directive_t *d, const char *arg,
                                apr_array_header_t **list)
{
    apr_ipsubnet_t *subnet;
    char *ip = apr_pstrdup(p, arg);
    char *mask = strchr(ip, '/');
    char err[128];
    apr_status_t rv;

    if (*list == NULL) {
        *list = apr_array_make(p, 4, sizeof(apr_ipsubnet_t *));
    }
    if (strcasecmp(arg, "all") == 0) {
        ip = "0.0.0.0", mask = "0";
        rv = apr_ipsubnet_create(&subnet, ip, mask, p);
        if (rv == APR_SUCCESS) {
            APR_ARRAY_PUSH(*list, apr_ipsubnet_t *) = subnet;
            rv = apr_ipsubnet_create(&subnet, "::", "0", p);
        }
    } else {
        if (mask) {
            *mask++ = '\0';
        }
        rv = apr_ipsubnet_create(&subnet, ip, mask, p);
    }
    if (rv != APR_SUCCESS) {
        return apr_psprintf(p, "%s: '%s' is not an IP address or CIDR block: %s", d->name, arg,
                            apr_strerror(rv, err, sizeof(err)));
    }
    APR_ARRAY_PUSH(*list, apr_ipsubnet_t *) = subnet;
    return NULL;
}

/* Validate `arg` for directive `idx` and store it in `conf`. `explicit` is 0
 * for defaults, whose files may legitimately not exist yet. */
static const char *parse_value(apr_pool_t *p, ctn_server_conf_t *conf, int idx, const char *arg,
                               int explicit)
{
    const directive_t *d = &directives[idx];
    const char *err = NULL;
    int number = 0;

    if (*arg == '\0' && d->kind != CTN_CONF_SUBNETS) {
        return apr_psprintf(p, "%s: the value is empty", d->name);
    }
    switch (d->kind) {
    case CTN_CONF_CONNINFO:
        err = check_conninfo(p, d, arg);
        break;
    case CTN_CONF_URL_HTTP:
    case CTN_CONF_URL_WS:
        err = check_url(p, d, arg);
        break;
    case CTN_CONF_KEY_FILE:
        err = check_key_file(p, d, arg);
        break;
    case CTN_CONF_SECRET_FILE:
    case CTN_CONF_FILE:
        err = check_secret_file(p, d, arg);
        break;
    case CTN_CONF_EXECUTABLE:
        err = explicit ? check_executable(p, d, arg) : NULL;
        break;
    case CTN_CONF_TWILIO_SID:
        err = check_twilio_sid(p, d, arg);
        break;
    case CTN_CONF_RUNTIME_PATH:
    case CTN_CONF_SECRET:
    case CTN_CONF_STRING:
        break;
    case CTN_CONF_SECONDS:
    case CTN_CONF_COUNT:
    case CTN_CONF_BYTES:
        if ((err = parse_number(p, d, arg, &number)) == NULL) {
            store_int(conf, idx, number);
        }
        return err;
    case CTN_CONF_FLAG:
        if ((err = parse_flag(p, d, arg, &number)) == NULL) {
            store_int(conf, idx, number);
        }
        return err;
    case CTN_CONF_SUBNETS:
        return parse_subnet(p, d, arg, (apr_array_header_t **)field_at(conf, idx));
    }
    if (err == NULL) {
        store_string(conf, idx, apr_pstrdup(p, arg));
    }
    return err;
}

/* ------------------------------------------------------------- handlers --- */

static const char *set_directive(cmd_parms *cmd, void *dirconf, const char *arg)
{
    ctn_server_conf_t *conf = ap_get_module_config(cmd->server->module_config, &cortana_module);
    int idx = (int)(apr_uintptr_t)cmd->info;
    const directive_t *d = &directives[idx];
    const char *err;

    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE)) != NULL) {
        return err;
    }
    if (d->scope == CTN_SCOPE_GLOBAL && cmd->server->is_virtual) {
        return apr_psprintf(cmd->pool, "%s: only allowed in the main server configuration",
                            d->name);
    }
    if (d->kind == CTN_CONF_SUBNETS && !conf->set[idx]) {
        /* A list given in this scope replaces the inherited one. */
        *(apr_array_header_t **)field_at(conf, idx) = NULL;
    }
    if (d->kind != CTN_CONF_SUBNETS && conf->set[idx]) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                     "%s given twice in the same scope (%s:%d); the last one wins", d->name,
                     cmd->directive->filename, cmd->directive->line_num);
    }
    if ((err = parse_value(cmd->pool, conf, idx, arg, 1)) != NULL) {
        return err;
    }
    conf->set[idx] = 1;
    return NULL;
}

#define CTN_CONF_CMD(kind, field, name, dflt, scope, help)                                         \
    {name,                                                                                         \
     {.take1 = set_directive},                                                                     \
     (void *)(apr_uintptr_t)CTN_CONF_INDEX_##field,                                                \
     RSRC_CONF,                                                                                    \
     kind == CTN_CONF_SUBNETS ? ITERATE : TAKE1,                                                   \
     help},
#define CTN_CONF_ENUM(kind, field, name, dflt, scope, help) CTN_CONF_INDEX_##field,
enum { CTN_CONFIG_DIRECTIVES(CTN_CONF_ENUM) CTN_CONF_INDEX_COUNT };
#undef CTN_CONF_ENUM

const command_rec ctn_config_cmds[] = {
    CTN_CONFIG_DIRECTIVES(CTN_CONF_CMD){NULL, {NULL}, NULL, 0, 0, NULL}};
#undef CTN_CONF_CMD

/* ------------------------------------------------------ create and merge --- */

void *ctn_config_create_server(apr_pool_t *p, server_rec *s)
{
    ctn_server_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    for (int i = 0; i < DIRECTIVE_COUNT; i++) {
        if (directives[i].size == sizeof(int)) {
            store_int(conf, i, -1);
        }
    }
    return conf;
}

void *ctn_config_merge_server(apr_pool_t *p, void *base_, void *add_)
{
    const ctn_server_conf_t *base = base_, *add = add_;
    ctn_server_conf_t *merged = apr_pcalloc(p, sizeof(*merged));

    for (int i = 0; i < DIRECTIVE_COUNT; i++) {
        const ctn_server_conf_t *from = add->set[i] ? add : base;
        memcpy((char *)merged + directives[i].offset, (const char *)from + directives[i].offset,
               directives[i].size);
        merged->set[i] = from->set[i];
    }
    return merged;
}

ctn_server_conf_t *ctn_config_get(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &cortana_module);
}

/* --------------------------------------------------------- post_config --- */

static int apply_defaults(apr_pool_t *pconf, server_rec *s, ctn_server_conf_t *conf)
{
    for (int i = 0; i < DIRECTIVE_COUNT; i++) {
        const directive_t *d = &directives[i];
        const char *err;

        if (conf->set[i] || d->dflt == NULL) {
            continue;
        }
        if (d->kind == CTN_CONF_SUBNETS) {
            char *list = apr_pstrdup(pconf, d->dflt), *state = NULL;
            for (char *w = apr_strtok(list, " ", &state); w; w = apr_strtok(NULL, " ", &state)) {
                if ((err = parse_value(pconf, conf, i, w, 0)) != NULL) {
                    goto bad_default;
                }
            }
        } else if ((err = parse_value(pconf, conf, i, d->dflt, 0)) != NULL) {
            goto bad_default;
        }
        conf->set[i] = 1;
        continue;
    bad_default:
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "built-in default of %s is invalid: %s", d->name,
                     err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    for (int i = 0; i < DIRECTIVE_COUNT; i++) {
        if (directives[i].kind == CTN_CONF_RUNTIME_PATH && conf->set[i]) {
            const char **path = (const char **)field_at(conf, i);
            *path = ap_runtime_dir_relative(pconf, *path);
        }
    }
    return OK;
}

int ctn_config_finalize(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    ctn_server_conf_t *main_conf = ctn_config_get(s);
    int rc;

    for (server_rec *vs = s; vs; vs = vs->next) {
        if ((rc = apply_defaults(pconf, vs, ctn_config_get(vs))) != OK) {
            return rc;
        }
    }
    if (main_conf->database == NULL) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "CortanaDatabase is not set: calls, the API and the dashboard cannot work "
                     "until it is (see conf/cortana.conf)");
    }
    if (main_conf->public_url == NULL) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "CortanaPublicURL is not set: Twilio signatures cannot be verified, so "
                     "webhooks will be refused until it is");
    }
    (void)ptemp;
    return OK;
}
