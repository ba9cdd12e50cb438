/* mod_cortana_config.h: the module's per-server configuration.
 *
 * Every directive is declared exactly once, in CTN_CONFIG_DIRECTIVES below.
 * That one list generates the fields of ctn_server_conf_t, the command table,
 * the "unset" initialisation, the merge (a vhost's value wins when set) and the
 * defaults, so a directive cannot exist without a default or a merge rule.
 * tests/e2e/test_config.py checks that conf/cortana.conf and README.md
 * document every name in the list.
 *
 * Columns: X(kind, field, "Directive", default, scope, "help")
 *   kind     how the argument is parsed and validated (see ctn_conf_kind_e)
 *   default  a string parsed like an argument at post_config, or NULL (unset)
 *   scope    CTN_SCOPE_SERVER (main server or vhost) or CTN_SCOPE_GLOBAL
 *            (main server only: the worker and the ring are per host) */
#ifndef MOD_CORTANA_CONFIG_H
#define MOD_CORTANA_CONFIG_H

#include "httpd.h"
#include "http_config.h"

#ifndef CTN_SBINDIR
#define CTN_SBINDIR "/usr/local/sbin"
#endif

typedef enum {
    CTN_CONF_CONNINFO,     /* libpq conninfo string or postgresql:// URI */
    CTN_CONF_URL_HTTP,     /* absolute http:// or https:// URL */
    CTN_CONF_URL_WS,       /* absolute ws:// or wss:// URL */
    CTN_CONF_KEY_FILE,     /* readable file holding a 32-byte key (raw, hex or base64) */
    CTN_CONF_SECRET_FILE,  /* readable, non-empty file holding a secret */
    CTN_CONF_FILE,         /* readable, non-empty file (certificates) */
    CTN_CONF_EXECUTABLE,   /* path of an executable program */
    CTN_CONF_RUNTIME_PATH, /* path; relative ones are under DefaultRuntimeDir */
    CTN_CONF_TWILIO_SID,   /* "AC" + 32 hex digits */
    CTN_CONF_SECRET,       /* a non-empty secret given inline (never logged) */
    CTN_CONF_STRING,       /* a non-empty string */
    CTN_CONF_SECONDS,      /* integer seconds in a range */
    CTN_CONF_COUNT,        /* integer count in a range */
    CTN_CONF_BYTES,        /* byte size in a range, with optional K/M suffix */
    CTN_CONF_FLAG,         /* On|Off */
    CTN_CONF_SUBNETS       /* one or more IP addresses or CIDR blocks, or "all" */
} ctn_conf_kind_e;

typedef enum { CTN_SCOPE_SERVER, CTN_SCOPE_GLOBAL } ctn_conf_scope_e;

/* clang-format off */
#define CTN_CONFIG_DIRECTIVES(X) \
    X(CTN_CONF_CONNINFO,    database,               "CortanaDatabase",            NULL,                             CTN_SCOPE_SERVER, "libpq conninfo or URI of the RLS-bound application role") \
    X(CTN_CONF_COUNT,       db_pool_max,            "CortanaDatabasePoolMax",     "8",                              CTN_SCOPE_SERVER, "most PostgreSQL connections per httpd process (1-1024)") \
    X(CTN_CONF_URL_HTTP,    public_url,             "CortanaPublicURL",           NULL,                             CTN_SCOPE_SERVER, "the https:// base URL Twilio and owners use to reach this server") \
    X(CTN_CONF_KEY_FILE,    key_file,               "CortanaKeyFile",             NULL,                             CTN_SCOPE_SERVER, "file holding the 32-byte master key (sealed secrets, stream tokens)") \
    X(CTN_CONF_EXECUTABLE,  media_worker,           "CortanaMediaWorker",         CTN_SBINDIR "/cortana-media",     CTN_SCOPE_GLOBAL, "path of the cortana-media program the module supervises") \
    X(CTN_CONF_RUNTIME_PATH, media_socket,          "CortanaMediaSocket",         "cortana-media.sock",             CTN_SCOPE_GLOBAL, "unix socket the worker serves Twilio Media Streams on") \
    X(CTN_CONF_RUNTIME_PATH, media_control_socket,  "CortanaMediaControlSocket",  "cortana-media.ctl",              CTN_SCOPE_GLOBAL, "unix socket of the worker's control commands") \
    X(CTN_CONF_COUNT,       ring_size,              "CortanaEventRingSize",       "4096",                           CTN_SCOPE_GLOBAL, "live events held in shared memory (64-1048576)") \
    X(CTN_CONF_SECONDS,     tick_interval,          "CortanaWorkerTick",          "1",                              CTN_SCOPE_GLOBAL, "seconds between the worker's periodic ticks (1-60)") \
    X(CTN_CONF_FLAG,        peer_events,            "CortanaPeerEvents",          "Off",                            CTN_SCOPE_GLOBAL, "share live events with the other hosts of this database (PostgreSQL LISTEN/NOTIFY)") \
    X(CTN_CONF_COUNT,       media_chunk_ms,         "CortanaMediaChunk",          "60",                             CTN_SCOPE_GLOBAL, "milliseconds of caller audio per message to OpenAI, and of Cortana's audio per mark (20-200, by 20)") \
    X(CTN_CONF_TWILIO_SID,  twilio_account_sid,     "CortanaTwilioAccountSID",    NULL,                             CTN_SCOPE_SERVER, "Twilio account SID (AC...)") \
    X(CTN_CONF_SECRET,      twilio_auth_token,      "CortanaTwilioAuthToken",     NULL,                             CTN_SCOPE_SERVER, "Twilio auth token: signs webhooks and authenticates REST calls") \
    X(CTN_CONF_URL_HTTP,    twilio_api_base,        "CortanaTwilioAPIBase",       "https://api.twilio.com",         CTN_SCOPE_SERVER, "base URL of Twilio's REST API") \
    X(CTN_CONF_SECRET_FILE, openai_key_file,        "CortanaOpenAIKeyFile",       NULL,                             CTN_SCOPE_SERVER, "file holding the OpenAI API key; unset = built-in engine only") \
    X(CTN_CONF_URL_HTTP,    openai_api_base,        "CortanaOpenAIAPIBase",       "https://api.openai.com/v1",      CTN_SCOPE_SERVER, "base URL of OpenAI's REST API") \
    X(CTN_CONF_URL_WS,      openai_realtime_url,    "CortanaOpenAIRealtimeURL",   "wss://api.openai.com/v1/realtime", CTN_SCOPE_SERVER, "OpenAI Realtime WebSocket URL") \
    X(CTN_CONF_SECONDS,     openai_session_max,     "CortanaOpenAISessionMax",    "3300",                           CTN_SCOPE_GLOBAL, "seconds a Realtime session serves a call before the worker renews it, replaying the conversation (5-7200)") \
    X(CTN_CONF_FILE,        openai_ca_file,         "CortanaOpenAICAFile",        NULL,                             CTN_SCOPE_GLOBAL, "PEM certificates the worker trusts for wss:// to OpenAI instead of the system store (an egress proxy's CA)") \
    X(CTN_CONF_STRING,      openai_realtime_model,  "CortanaOpenAIRealtimeModel", "gpt-realtime",                   CTN_SCOPE_SERVER, "OpenAI Realtime model name") \
    X(CTN_CONF_SECRET_FILE, stripe_secret_key_file, "CortanaStripeSecretKeyFile", NULL,                             CTN_SCOPE_SERVER, "file holding the Stripe secret key; unset = every business on trial") \
    X(CTN_CONF_SECRET,      stripe_webhook_secret,  "CortanaStripeWebhookSecret", NULL,                             CTN_SCOPE_SERVER, "Stripe webhook signing secret (whsec_...)") \
    X(CTN_CONF_URL_HTTP,    stripe_api_base,        "CortanaStripeAPIBase",       "https://api.stripe.com",         CTN_SCOPE_SERVER, "base URL of Stripe's API") \
    X(CTN_CONF_STRING,      google_client_id,       "CortanaGoogleClientID",      NULL,                             CTN_SCOPE_SERVER, "Google OAuth client ID; unset = built-in calendar") \
    X(CTN_CONF_SECRET_FILE, google_client_secret_file, "CortanaGoogleClientSecretFile", NULL,                       CTN_SCOPE_SERVER, "file holding the Google OAuth client secret") \
    X(CTN_CONF_URL_HTTP,    google_api_base,        "CortanaGoogleAPIBase",       "https://www.googleapis.com",     CTN_SCOPE_SERVER, "base URL of Google's Calendar API") \
    X(CTN_CONF_URL_HTTP,    google_token_url,       "CortanaGoogleTokenURL",      "https://oauth2.googleapis.com/token", CTN_SCOPE_SERVER, "Google OAuth token endpoint") \
    X(CTN_CONF_URL_HTTP,    google_auth_url,        "CortanaGoogleAuthURL",       "https://accounts.google.com/o/oauth2/v2/auth", CTN_SCOPE_SERVER, "Google OAuth authorization endpoint") \
    X(CTN_CONF_URL_HTTP,    qdrant_url,             "CortanaQdrantURL",           NULL,                             CTN_SCOPE_SERVER, "Qdrant base URL; unset = PostgreSQL full-text search") \
    X(CTN_CONF_SECRET_FILE, qdrant_api_key_file,    "CortanaQdrantAPIKeyFile",    NULL,                             CTN_SCOPE_SERVER, "file holding the Qdrant API key") \
    X(CTN_CONF_FLAG,        signup,                 "CortanaSignup",              "On",                             CTN_SCOPE_SERVER, "whether owners may sign up themselves") \
    X(CTN_CONF_BYTES,       api_max_body,           "CortanaAPIMaxBody",          "256K",                           CTN_SCOPE_SERVER, "largest JSON request body the API accepts (1K-16M)") \
    X(CTN_CONF_SECONDS,     session_lifetime,       "CortanaSessionLifetime",     "1209600",                        CTN_SCOPE_SERVER, "seconds an owner's session lasts (300-31536000)") \
    X(CTN_CONF_SUBNETS,     metrics_allow,          "CortanaMetricsAllow",        "127.0.0.0/8 ::1",                CTN_SCOPE_SERVER, "addresses allowed to read /metrics")
/* clang-format on */

/* Storage type of each kind. */
#define CTN_CONF_CTYPE_CTN_CONF_CONNINFO     const char *
#define CTN_CONF_CTYPE_CTN_CONF_URL_HTTP     const char *
#define CTN_CONF_CTYPE_CTN_CONF_URL_WS       const char *
#define CTN_CONF_CTYPE_CTN_CONF_KEY_FILE     const char *
#define CTN_CONF_CTYPE_CTN_CONF_SECRET_FILE  const char *
#define CTN_CONF_CTYPE_CTN_CONF_FILE         const char *
#define CTN_CONF_CTYPE_CTN_CONF_EXECUTABLE   const char *
#define CTN_CONF_CTYPE_CTN_CONF_RUNTIME_PATH const char *
#define CTN_CONF_CTYPE_CTN_CONF_TWILIO_SID   const char *
#define CTN_CONF_CTYPE_CTN_CONF_SECRET       const char *
#define CTN_CONF_CTYPE_CTN_CONF_STRING       const char *
#define CTN_CONF_CTYPE_CTN_CONF_SECONDS      int
#define CTN_CONF_CTYPE_CTN_CONF_COUNT        int
#define CTN_CONF_CTYPE_CTN_CONF_BYTES        int
#define CTN_CONF_CTYPE_CTN_CONF_FLAG         int
#define CTN_CONF_CTYPE_CTN_CONF_SUBNETS      apr_array_header_t * /* of apr_ipsubnet_t * */

typedef struct ctn_server_conf_t {
#define CTN_CONF_FIELD(kind, field, name, dflt, scope, help) CTN_CONF_CTYPE_##kind field;
    CTN_CONFIG_DIRECTIVES(CTN_CONF_FIELD)
#undef CTN_CONF_FIELD
    /* Which directives this scope set, indexed like CTN_CONFIG_DIRECTIVES. */
    unsigned char set[64];
} ctn_server_conf_t;

extern const command_rec ctn_config_cmds[];

void *ctn_config_create_server(apr_pool_t *p, server_rec *s);
void *ctn_config_merge_server(apr_pool_t *p, void *base, void *add);

/* The merged configuration of `s` (defaults applied after post_config). */
ctn_server_conf_t *ctn_config_get(const server_rec *s);

/* Apply defaults to every server's merged configuration and run the checks
 * that need the whole configuration. Called from post_config (every pass).
 * Logs the problem and returns an HTTP_* style !OK on failure. */
int ctn_config_finalize(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s);

#endif
