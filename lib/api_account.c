/* api_account.c: sign-up, log-in, log-out, the current owner, passwords.
 *
 *   POST  /signup     business + owner, then logged in (CortanaSignup on)
 *   POST  /login      e-mail + password → session cookie (rate-limited)
 *   POST  /logout     ends the session
 *   GET   /session    whether this browser is logged in (200 either way)
 *   GET   /me         who is logged in, their business, the CSRF token
 *   PATCH /me         the owner's interface language
 *   POST  /password   change the password; other sessions are ended
 *
 * Log-in failures are counted per client address and per account in shared
 * memory (lib/ratelimit.c); over the limit the answer is 429 with
 * Retry-After, before any password is checked. An attempt is counted when
 * it starts (and given back when it succeeds), so parallel guesses cannot
 * outrun the limit. */
#include "api.h"

#include "accounts.h"
#include "api_schema.h"
#include "json.h"
#include "log.h"
#include "ratelimit.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <sodium.h>
#include <string.h>

/* Failed log-ins allowed per window, per client address and per account. */
#define LOGIN_FAILS_PER_IP      30
#define LOGIN_IP_WINDOW_S       600
#define LOGIN_FAILS_PER_ACCOUNT 5
#define LOGIN_ACCOUNT_WINDOW_S  900

static const char *const locales[] = {"en", "es", NULL};
static const ctn_api_schema_t locale = {.type = CTN_SCHEMA_STRING, .enum_values = locales};
static const ctn_api_schema_t email = {
    .type = CTN_SCHEMA_STRING, .format = CTN_FORMAT_EMAIL, .min = 3, .max = 254};
static const ctn_api_schema_t new_password = {.type = CTN_SCHEMA_STRING,
                                              .min = CTN_PASSWORD_MIN,
                                              .max = CTN_PASSWORD_MAX,
                                              .description = "At least 10 characters"};
static const ctn_api_schema_t any_password = {
    .type = CTN_SCHEMA_STRING, .min = 1, .max = CTN_PASSWORD_MAX};
static const ctn_api_schema_t timezone = {.type = CTN_SCHEMA_STRING,
                                          .format = CTN_FORMAT_TIMEZONE,
                                          .description = "IANA time zone, e.g. America/Chicago"};

static const ctn_api_field_t signup_fields[] = {
    {"business_name", &ctn_schema_name, CTN_FIELD_REQUIRED},
    {"phone_number", &ctn_schema_e164, CTN_FIELD_REQUIRED},
    {"email", &email, CTN_FIELD_REQUIRED},
    {"password", &new_password, CTN_FIELD_REQUIRED},
    {"timezone", &timezone, 0},
    {"locale", &locale, 0},
    {NULL, NULL, 0}};
static const ctn_api_schema_t signup_body = {
    .name = "Signup", .type = CTN_SCHEMA_OBJECT, .fields = signup_fields};

static const ctn_api_field_t login_fields[] = {{"email", &email, CTN_FIELD_REQUIRED},
                                               {"password", &any_password, CTN_FIELD_REQUIRED},
                                               {NULL, NULL, 0}};
static const ctn_api_schema_t login_body = {
    .name = "Login", .type = CTN_SCHEMA_OBJECT, .fields = login_fields};

static const ctn_api_field_t password_fields[] = {
    {"current_password", &any_password, CTN_FIELD_REQUIRED},
    {"new_password", &new_password, CTN_FIELD_REQUIRED},
    {NULL, NULL, 0}};
static const ctn_api_schema_t password_body = {
    .name = "PasswordChange", .type = CTN_SCHEMA_OBJECT, .fields = password_fields};

static const ctn_api_field_t me_patch_fields[] = {{"locale", &locale, 0}, {NULL, NULL, 0}};
static const ctn_api_schema_t me_patch = {
    .name = "MeUpdate", .type = CTN_SCHEMA_OBJECT, .fields = me_patch_fields};

static const ctn_api_field_t user_fields[] = {{"id", &ctn_schema_uuid, CTN_FIELD_READONLY},
                                              {"email", &email, CTN_FIELD_READONLY},
                                              {"role", &ctn_schema_name, CTN_FIELD_READONLY},
                                              {"locale", &locale, CTN_FIELD_READONLY},
                                              {NULL, NULL, 0}};
static const ctn_api_schema_t user = {.type = CTN_SCHEMA_OBJECT, .fields = user_fields};
static const ctn_api_field_t business_ref_fields[] = {
    {"id", &ctn_schema_uuid, CTN_FIELD_READONLY},
    {"name", &ctn_schema_name, CTN_FIELD_READONLY},
    {"phone_number", &ctn_schema_e164, CTN_FIELD_READONLY},
    {"timezone", &timezone, CTN_FIELD_READONLY},
    {NULL, NULL, 0}};
static const ctn_api_schema_t business_ref = {.type = CTN_SCHEMA_OBJECT,
                                              .fields = business_ref_fields};
static const ctn_api_field_t me_fields[] = {
    {"user", &user, CTN_FIELD_READONLY},
    {"business", &business_ref, CTN_FIELD_READONLY},
    {"csrf_token", &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING}, CTN_FIELD_READONLY},
    {NULL, NULL, 0}};
static const ctn_api_schema_t me = {.name = "Me", .type = CTN_SCHEMA_OBJECT, .fields = me_fields};
static const ctn_api_field_t session_fields[] = {
    {"logged_in", &ctn_schema_bool, CTN_FIELD_READONLY},
    {"me", &me, CTN_FIELD_READONLY | CTN_FIELD_NULLABLE},
    {NULL, NULL, 0}};
static const ctn_api_schema_t session = {
    .name = "Session", .type = CTN_SCHEMA_OBJECT, .fields = session_fields};

/* The owner's view of themselves (JSON text in `*json`, NULL when the user
 * is gone); the connection's tenant is set. Returns 0 or an error status. */
static int me_json(ctn_api_ctx_t *c, const char **json, const char *user_id, const char *csrf)
{
    static const char sql[] =
        "SELECT json_build_object('user', json_build_object('id', u.id, 'email', u.email, "
        "'role', u.role, 'locale', u.locale), 'business', json_build_object('id', b.id, "
        "'name', b.name, 'phone_number', b.phone_number, 'timezone', b.timezone), "
        "'csrf_token', $2::text) FROM users u JOIN businesses b ON b.id = u.business_id "
        "WHERE u.id = $1";
    const char *params[2] = {user_id, csrf};

    return ctn_api_query_json(c, json, sql, 2, params);
}

static int reply_me(ctn_api_ctx_t *c, int status, const char *user_id, const char *csrf)
{
    const char *json = NULL;
    int err = me_json(c, &json, user_id, csrf);

    if (err) {
        return err;
    }
    if (json == NULL) {
        return ctn_api_error(c, 401, "unauthenticated", "log in first", NULL);
    }
    return ctn_api_json(c, status, json);
}

/* Whether the browser is logged in, without an error when it is not: the
 * dashboard asks this first, so a logged-out visit logs no failed request. */
static int on_session(ctn_api_ctx_t *c)
{
    ctn_session_t *s = NULL;
    const char *json = NULL;
    apr_status_t rv = ctn_accounts_session_lookup(&s, c->conn, c->pool, c->req->session_token);
    int err;

    if (rv != APR_SUCCESS && rv != APR_ENOENT) {
        return ctn_api_error(c, 503, "unavailable", "the database is unavailable", NULL);
    }
    if (rv == APR_SUCCESS && (err = me_json(c, &json, s->user_id, s->csrf_token)) != 0) {
        return err;
    }
    return ctn_api_json(c, 200,
                        json ? apr_pstrcat(c->pool, "{\"logged_in\":true,\"me\":", json, "}", NULL)
                             : "{\"logged_in\":false,\"me\":null}");
}

static void set_cookie(ctn_api_ctx_t *c, const char *token, long max_age)
{
    apr_table_addn(c->resp->headers, "Set-Cookie",
                   apr_psprintf(c->pool,
                                "cortana_session=%s; Path=/; Max-Age=%ld; HttpOnly; "
                                "SameSite=Strict%s",
                                token, max_age, c->env->secure_cookie ? "; Secure" : ""));
}

static int start_session(ctn_api_ctx_t *c, int status, const char *user_id, const char *business_id)
{
    const char *token, *csrf;

    if (ctn_accounts_session_create(&token, &csrf, c->conn, c->pool, user_id, business_id,
                                    c->req->client_ip, c->env->session_lifetime_s) != APR_SUCCESS) {
        return ctn_api_error(c, 503, "unavailable", "the session could not be stored", NULL);
    }
    set_cookie(c, token, c->env->session_lifetime_s);
    return reply_me(c, status, user_id, csrf);
}

/* A random version-4 uuid, so the business can be the tenant before it exists. */
static const char *new_uuid(apr_pool_t *pool)
{
    unsigned char b[16];

    randombytes_buf(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    return apr_psprintf(
        pool, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
        b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static int on_signup(ctn_api_ctx_t *c)
{
    static const char sql[] =
        "WITH b AS (INSERT INTO businesses (id, owner_id, name, phone_number, timezone) "
        "VALUES ($1, $2, $3, $4, $5) RETURNING id) "
        "INSERT INTO users (id, business_id, email, password_hash, role, locale) "
        "SELECT $2, b.id, $6, $7, 'owner', $8 FROM b";
    const char *business_id = new_uuid(c->pool), *user_id = new_uuid(c->pool), *hash;
    const char *params[8];
    int err;

    if (!c->env->signup_enabled) {
        return ctn_api_error(c, 403, "signup_disabled",
                             "sign-up is turned off on this server; ask your provider", NULL);
    }
    if (ctn_accounts_hash_password(&hash, c->pool, ctn_json_get_string(c->body, "password", "")) !=
        APR_SUCCESS) {
        return ctn_api_error(c, 503, "unavailable", "out of memory", NULL);
    }
    params[0] = business_id;
    params[1] = user_id;
    params[2] = ctn_json_get_string(c->body, "business_name", NULL);
    params[3] = ctn_json_get_string(c->body, "phone_number", NULL);
    params[4] = ctn_json_get_string(c->body, "timezone", "America/New_York");
    params[5] = ctn_json_get_string(c->body, "email", NULL);
    params[6] = hash;
    params[7] = ctn_json_get_string(c->body, "locale", "en");
    if (ctn_accounts_set_tenant(c->conn, business_id) != APR_SUCCESS) {
        return ctn_api_error(c, 503, "unavailable", "the database is unavailable", NULL);
    }
    if ((err = ctn_api_exec(c, NULL, sql, 8, params)) != 0) {
        if (err == 409 && c->resp->body && strstr(c->resp->log_reason, "phone_number")) {
            return ctn_api_error(c, 409, "conflict", "this phone number already has an account",
                                 "phone_number");
        }
        return err;
    }
    ctn_log_notice(NULL, "signup: business %s created", business_id);
    return start_session(c, 201, user_id, business_id);
}

static int too_many(ctn_api_ctx_t *c, long wait)
{
    apr_table_setn(c->resp->headers, "Retry-After", apr_psprintf(c->pool, "%ld", wait));
    return ctn_api_error(c, 429, "rate_limited",
                         "too many failed log-ins; try again in a few minutes", NULL);
}

static int on_login(ctn_api_ctx_t *c)
{
    const char *mail = ctn_json_get_string(c->body, "email", "");
    const char *password = ctn_json_get_string(c->body, "password", "");
    const char *ip_key = apr_pstrcat(c->pool, "ip:", c->req->client_ip, NULL);
    const char *account_key = NULL;
    const char *params[1] = {mail};
    apr_time_t now = apr_time_now();
    PGresult *res;
    long wait = 0;
    int ok;

    /* Each attempt counts as a failure from the start, so guesses sent all
     * at once cannot all pass the check before the first is judged; an
     * attempt that did not fail gives its count back. */
    if (c->env->ratelimit &&
        (wait = ctn_ratelimit_take(c->env->ratelimit, ip_key, LOGIN_FAILS_PER_IP, LOGIN_IP_WINDOW_S,
                                   now)) > 0) {
        return too_many(c, wait);
    }
    /* One row whether or not the account exists: lower($1) is the account's
     * key, folded by the same lower() that finds it, so every spelling of one
     * account ('JOSÉ@…', 'josé@…') shares one limit, and an unknown address
     * is limited like a known one. */
    res = PQexecParams(c->conn,
                       "SELECT u.user_id, u.business_id, u.password_hash, lower($1) FROM (VALUES "
                       "(1)) one LEFT JOIN cortana_user_for_login($1) u ON true",
                       1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        ctn_log_err(NULL, "log-in lookup failed: %s", PQresultErrorMessage(res));
        PQclear(res);
        if (c->env->ratelimit) {
            ctn_ratelimit_refund(c->env->ratelimit, ip_key);
        }
        return ctn_api_error(c, 503, "unavailable", "the database is unavailable", NULL);
    }
    account_key = apr_pstrcat(c->pool, "account:", PQgetvalue(res, 0, 3), NULL);
    if (c->env->ratelimit &&
        (wait = ctn_ratelimit_take(c->env->ratelimit, account_key, LOGIN_FAILS_PER_ACCOUNT,
                                   LOGIN_ACCOUNT_WINDOW_S, now)) > 0) {
        PQclear(res);
        ctn_ratelimit_refund(c->env->ratelimit, ip_key);
        return too_many(c, wait);
    }
    ok = ctn_accounts_password_ok(PQgetisnull(res, 0, 0) ? NULL : PQgetvalue(res, 0, 2), password);
    if (!ok) {
        PQclear(res);
        return ctn_api_error(c, 401, "bad_credentials", "wrong e-mail or password", NULL);
    }
    {
        const char *user_id = apr_pstrdup(c->pool, PQgetvalue(res, 0, 0));
        const char *business_id = apr_pstrdup(c->pool, PQgetvalue(res, 0, 1));
        const char *p[1] = {user_id};
        PQclear(res);
        if (c->env->ratelimit) {
            ctn_ratelimit_refund(c->env->ratelimit, ip_key);
            ctn_ratelimit_clear(c->env->ratelimit, account_key);
        }
        if (ctn_accounts_set_tenant(c->conn, business_id) != APR_SUCCESS) {
            return ctn_api_error(c, 503, "unavailable", "the database is unavailable", NULL);
        }
        ctn_api_exec(
            c, NULL,
            "WITH gone AS (DELETE FROM sessions WHERE user_id = $1 AND expires_at < now()) "
            "UPDATE users SET last_login_at = now() WHERE id = $1",
            1, p);
        return start_session(c, 200, user_id, business_id);
    }
}

static int on_logout(ctn_api_ctx_t *c)
{
    const char *params[1] = {c->session->session_id};
    int err = ctn_api_exec(c, NULL, "DELETE FROM sessions WHERE id = $1", 1, params);

    if (err) {
        return err;
    }
    set_cookie(c, "", 0);
    return ctn_api_json(c, 204, NULL);
}

static int on_me(ctn_api_ctx_t *c)
{
    return reply_me(c, 200, c->session->user_id, c->session->csrf_token);
}

static int on_me_patch(ctn_api_ctx_t *c)
{
    const char *params[2] = {c->session->user_id, ctn_json_get_string(c->body, "locale", NULL)};
    int err = ctn_api_exec(c, NULL, "UPDATE users SET locale = coalesce($2, locale) WHERE id = $1",
                           2, params);

    return err ? err : on_me(c);
}

/* A new password ends every other session and gives this one a new token
 * (a new cookie; the CSRF token stays): a copy of the cookie taken before
 * the change — what a changed password is meant to shut out — is dead. The
 * live feed opened with the old cookie ends at its next session check, and
 * the browser's EventSource comes back with the new one and Last-Event-ID.
 * Both in one transaction, so the answer never leaves half of it done. */
static int on_password(ctn_api_ctx_t *c)
{
    const char *params[3] = {c->session->user_id, NULL, c->session->session_id};
    const char *current = NULL, *hash, *token = NULL;
    apr_status_t rv;
    int err, done;

    if ((err = ctn_api_query_json(c, &current, "SELECT password_hash FROM users WHERE id = $1", 1,
                                  params)) != 0) {
        return err;
    }
    if (!ctn_accounts_password_ok(current, ctn_json_get_string(c->body, "current_password", ""))) {
        return ctn_api_error(c, 400, "bad_credentials", "the current password is wrong",
                             "current_password");
    }
    if (ctn_accounts_hash_password(
            &hash, c->pool, ctn_json_get_string(c->body, "new_password", "")) != APR_SUCCESS) {
        return ctn_api_error(c, 503, "unavailable", "out of memory", NULL);
    }
    params[1] = hash;
    if ((err = ctn_api_exec(c, NULL, "BEGIN", 0, NULL)) != 0) {
        return err;
    }
    if ((err = ctn_api_exec(c, NULL,
                            "WITH other AS (DELETE FROM sessions WHERE user_id = $1 AND id <> $3) "
                            "UPDATE users SET password_hash = $2 WHERE id = $1",
                            3, params)) != 0) {
        goto leave;
    }
    if ((rv = ctn_accounts_session_rotate(&token, c->conn, c->pool, c->session->session_id)) !=
        APR_SUCCESS) {
        err = rv == APR_ENOENT
                  ? ctn_api_error(c, 401, "unauthenticated", "log in first", NULL)
                  : ctn_api_error(c, 503, "unavailable", "the session could not be stored", NULL);
    }
leave:
    /* A failed COMMIT or ROLLBACK leaves the transaction open: the pool
     * then drops the connection rather than reuse it (lib/db.c). */
    done = ctn_api_exec(c, NULL, err == 0 ? "COMMIT" : "ROLLBACK", 0, NULL);
    if (err == 0 && done != 0) {
        return done;
    }
    if (err != 0) {
        return err;
    }
    set_cookie(c, token, c->env->session_lifetime_s);
    return ctn_api_json(c, 204, NULL);
}

const ctn_api_route_t ctn_api_account_routes[] = {
    {"POST", "/signup", on_signup,
     CTN_API_PUBLIC | CTN_API_CREATE | CTN_API_CONFLICTS | CTN_API_SWITCHED, &signup_body, &me, 201,
     "Create a business and its owner, and log in", NULL},
    {"POST", "/login", on_login, CTN_API_PUBLIC | CTN_API_CREATE | CTN_API_LIMITED, &login_body,
     &me, 200, "Log in (sets the session cookie)", NULL},
    {"POST", "/logout", on_logout, 0, NULL, NULL, 204, "Log out", NULL},
    {"GET", "/session", on_session, CTN_API_PUBLIC, NULL, &session, 200,
     "Whether this browser is logged in (never 401), and as whom", NULL},
    {"GET", "/me", on_me, 0, NULL, &me, 200, "The logged-in owner and the CSRF token", NULL},
    {"PATCH", "/me", on_me_patch, 0, &me_patch, &me, 200, "Change the interface language", NULL},
    {"POST", "/password", on_password, CTN_API_CREATE, &password_body, NULL, 204,
     "Change the password (ends every other session; this one gets a new cookie)", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL}};
