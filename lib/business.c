/* business.c: loading a business for the engines (see business.h). */
#include "business.h"

#include "calls.h"
#include "json.h"
#include "log.h"

#include <apr_strings.h>
#include <string.h>

static const char *copy_value(apr_pool_t *pool, const PGresult *res, int col)
{
    return PQgetisnull(res, 0, col) ? NULL : apr_pstrdup(pool, PQgetvalue(res, 0, col));
}

static json_object *json_value(apr_pool_t *pool, const PGresult *res, int col, json_type expected)
{
    const char *why = NULL;
    const char *text = PQgetisnull(res, 0, col) ? NULL : PQgetvalue(res, 0, col);
    json_object *obj = text ? ctn_json_parse(pool, text, strlen(text), &why) : NULL;

    if (obj == NULL || !json_object_is_type(obj, expected)) {
        obj = ctn_json_pool_own(pool, expected == json_type_array ? json_object_new_array()
                                                                  : json_object_new_object());
    }
    return obj;
}

/* Per-thread memo of the JSON columns (ctn_business_from_row_shared): the
 * last text of each column and its parsed document, in a pool of its own
 * that is cleared when the text changes. */
#define MEMO_COLUMNS 7

typedef struct memo_t {
    apr_pool_t *pool;
    const char *text;
    apr_size_t len;
    json_object *obj;
    apr_uint64_t version; /* this thread's memo_versions when obj was parsed */
} memo_t;

static _Thread_local memo_t memo[MEMO_COLUMNS];
static _Thread_local apr_uint64_t memo_versions;

/* The column's document, memoised; `*version` (may be NULL) gets the
 * memo's version, or 0 when the document is not the memo's. */
static json_object *json_value_shared(apr_pool_t *pool, const PGresult *res, int col,
                                      json_type expected, int slot, apr_uint64_t *version)
{
    memo_t *m = &memo[slot];
    const char *text;
    apr_size_t len;

    if (version) {
        *version = 0;
    }
    if (PQgetisnull(res, 0, col)) {
        return json_value(pool, res, col, expected);
    }
    text = PQgetvalue(res, 0, col);
    len = (apr_size_t)PQgetlength(res, 0, col);
    if (m->obj == NULL || m->len != len || memcmp(m->text, text, len) != 0) {
        if (m->pool == NULL) {
            if (apr_pool_create(&m->pool, NULL) != APR_SUCCESS) {
                return json_value(pool, res, col, expected);
            }
        } else {
            apr_pool_clear(m->pool);
        }
        m->obj = json_value(m->pool, res, col, expected);
        m->text = apr_pstrmemdup(m->pool, text, len);
        m->len = len;
        m->version = ++memo_versions;
    }
    if (version) {
        *version = m->version;
    }
    return m->obj;
}

apr_status_t ctn_business_id_by_number(const char **business_id, PGconn *conn, apr_pool_t *pool,
                                       const char *e164)
{
    /* One round trip: find the business and make it the connection's tenant
     * (an unknown number sets the empty tenant, which shows nothing). */
    static const char sql[] = "SELECT nullif(set_config('cortana.business_id', "
                              "coalesce(cortana_business_by_number($1)::text, ''), false), '')";
    const char *params[1] = {e164};
    PGresult *res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
    apr_status_t rv = APR_SUCCESS;

    if (PQresultStatus(res) != PGRES_TUPLES_OK && PQstatus(conn) == CONNECTION_BAD) {
        /* A pooled connection whose server went away shows it here first
         * (the statement only reads): one retry on a fresh connection. */
        PQclear(res);
        PQreset(conn);
        res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
    }

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        ctn_log_err(NULL, "business lookup by number failed: %s", PQerrorMessage(conn));
        rv = APR_EGENERAL;
    } else if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
        rv = APR_ENOENT;
    } else {
        *business_id = apr_pstrdup(pool, PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    return rv;
}

apr_status_t ctn_business_load(ctn_business_t **business, PGconn *conn, apr_pool_t *pool,
                               const char *business_id)
{
    static const char sql[] = "SELECT " CTN_BUSINESS_COLUMNS " FROM businesses b WHERE b.id = $1";
    const char *params[1] = {business_id};
    PGresult *res = NULL;
    apr_status_t rv;

    if ((rv = ctn_calls_exec(&res, conn, pool, "loading the business", PGRES_TUPLES_OK, sql, 1,
                             params)) != APR_SUCCESS) {
        return rv;
    }
    if (PQntuples(res) != 1) {
        return APR_ENOENT;
    }
    *business = ctn_business_from_row(pool, res, 0);
    return APR_SUCCESS;
}

static ctn_business_t *from_row(apr_pool_t *pool, const PGresult *res, int base, int shared)
{
    ctn_business_t *b = apr_pcalloc(pool, sizeof(*b));

    b->id = copy_value(pool, res, base + 0);
    b->name = copy_value(pool, res, base + 1);
    b->phone_number = copy_value(pool, res, base + 2);
    b->timezone = copy_value(pool, res, base + 3);
    b->address = copy_value(pool, res, base + 4);
    b->owner_phone = copy_value(pool, res, base + 5);
    b->plan = copy_value(pool, res, base + 6);
    b->subscription_status = copy_value(pool, res, base + 7);
    if (shared) {
        b->hours = json_value_shared(pool, res, base + 8, json_type_object, 0, &b->hours_version);
        b->holidays = json_value_shared(pool, res, base + 9, json_type_array, 1, NULL);
        b->services = json_value_shared(pool, res, base + 10, json_type_array, 2, NULL);
        b->pricing = json_value_shared(pool, res, base + 11, json_type_object, 3, NULL);
        b->service_area = json_value_shared(pool, res, base + 12, json_type_object, 4, NULL);
        b->personality = json_value_shared(pool, res, base + 13, json_type_object, 5, NULL);
        b->settings = json_value_shared(pool, res, base + 14, json_type_object, 6, NULL);
        return b;
    }
    b->hours = json_value(pool, res, base + 8, json_type_object);
    b->holidays = json_value(pool, res, base + 9, json_type_array);
    b->services = json_value(pool, res, base + 10, json_type_array);
    b->pricing = json_value(pool, res, base + 11, json_type_object);
    b->service_area = json_value(pool, res, base + 12, json_type_object);
    b->personality = json_value(pool, res, base + 13, json_type_object);
    b->settings = json_value(pool, res, base + 14, json_type_object);
    return b;
}

ctn_business_t *ctn_business_from_row(apr_pool_t *pool, const PGresult *res, int base)
{
    return from_row(pool, res, base, 0);
}

ctn_business_t *ctn_business_from_row_shared(apr_pool_t *pool, const PGresult *res, int base)
{
    return from_row(pool, res, base, 1);
}

json_object *ctn_business_setting(const ctn_business_t *b, const char *key)
{
    json_object *value = NULL;

    if (b->settings == NULL || !json_object_object_get_ex(b->settings, key, &value)) {
        return NULL;
    }
    return value;
}

int ctn_business_setting_int(const ctn_business_t *b, const char *key, int dflt)
{
    json_object *value = ctn_business_setting(b, key);

    return value && json_object_is_type(value, json_type_int) ? json_object_get_int(value) : dflt;
}

int ctn_business_setting_bool(const ctn_business_t *b, const char *key, int dflt)
{
    json_object *value = ctn_business_setting(b, key);

    return value && json_object_is_type(value, json_type_boolean) ? json_object_get_boolean(value)
                                                                  : dflt;
}
