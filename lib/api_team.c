/* api_team.c: technicians and the on-call order.
 *
 *   GET    /technicians            the team, in on-call order
 *   POST   /technicians            add one (phone in E.164)
 *   GET    /technicians/{id}
 *   PATCH  /technicians/{id}       change, or deactivate with active=false
 *   DELETE /technicians/{id}
 *   PUT    /technicians/order      the whole on-call order, as a list of ids
 *
 * Emergency dispatch texts active technicians in on_call_order (lib/dispatcher.c). */
#include "api.h"

#include "api_schema.h"
#include "json.h"

#include <apr_strings.h>

static const ctn_api_field_t technician_fields[] = {
    {"id", &ctn_schema_uuid, CTN_FIELD_READONLY},
    {"name", &ctn_schema_name, CTN_FIELD_REQUIRED},
    {"phone", &ctn_schema_e164, CTN_FIELD_REQUIRED},
    {"role", &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING, .min = 1, .max = 100}, 0},
    {"on_call_order", &(ctn_api_schema_t){.type = CTN_SCHEMA_INTEGER, .min = 0, .max = 10000}, 0},
    {"active", &ctn_schema_bool, 0},
    {"created_at", &ctn_schema_date_time, CTN_FIELD_READONLY},
    {NULL, NULL, 0}};
static const ctn_api_schema_t technician = {
    .name = "Technician", .type = CTN_SCHEMA_OBJECT, .fields = technician_fields};
static const ctn_api_field_t list_fields[] = {
    {"items", &(ctn_api_schema_t){.type = CTN_SCHEMA_ARRAY, .items = &technician},
     CTN_FIELD_READONLY},
    {NULL, NULL, 0}};
static const ctn_api_schema_t technician_list = {
    .name = "TechnicianList", .type = CTN_SCHEMA_OBJECT, .fields = list_fields};
static const ctn_api_field_t order_fields[] = {
    {"ids",
     &(ctn_api_schema_t){.type = CTN_SCHEMA_ARRAY, .min = 1, .max = 500, .items = &ctn_schema_uuid},
     CTN_FIELD_REQUIRED},
    {NULL, NULL, 0}};
static const ctn_api_schema_t order_body = {.name = "TechnicianOrder",
                                            .type = CTN_SCHEMA_OBJECT,
                                            .fields = order_fields,
                                            .description =
                                                "Every technician's id, first on call first"};

static const ctn_api_table_t technicians = {
    "technicians",
    "id, name, phone, role, on_call_order, active, created_at",
    "active DESC, on_call_order, name",
    &technician,
    NULL,
    0};

static int on_list(ctn_api_ctx_t *c)
{
    return ctn_api_crud_list(c, &technicians);
}

/* Run `write` (a create or an update of technician `id`, NULL for a new
 * one) in one transaction holding the business's lock on its technician
 * list (an advisory lock: nothing else waits on it), so that two writes at
 * the same moment read positions one after the other: a new technician
 * goes to the end of the on-call list unless told, and a position given
 * explicitly may not be another technician's (409 naming on_call_order,
 * said for an owner: who holds it, and that the list is reordered;
 * PUT /technicians/order reorders). Returns `write`'s status, `ok` on
 * success. */
static int locked_write(ctn_api_ctx_t *c, const char *id, int ok,
                        int (*write)(ctn_api_ctx_t *, const char *))
{
    json_object *order = NULL;
    const char *found = NULL;
    int err, done;

    if ((err = ctn_api_exec(c, NULL, "BEGIN", 0, NULL)) != 0) {
        return err;
    }
    if ((err = ctn_api_exec(c, NULL,
                            "SELECT pg_advisory_xact_lock(hashtext('technicians'), "
                            "hashtext(cortana_tenant()::text))",
                            0, NULL)) != 0) {
        goto leave;
    }
    if (json_object_object_get_ex(c->body, "on_call_order", &order)) {
        const char *params[2] = {ctn_api_param(c->pool, order), id};
        if ((err = ctn_api_query_json(c, &found,
                                      "SELECT name FROM technicians WHERE on_call_order = $1::int "
                                      "AND ($2::uuid IS NULL OR id <> $2::uuid) LIMIT 1",
                                      2, params)) != 0) {
            goto leave;
        }
        if (found) {
            err = ctn_api_error(
                c, 409, "conflict",
                apr_psprintf(c->pool,
                             "%s already has this place in the on-call order; move technicians "
                             "up or down in the list to change the order",
                             found),
                "on_call_order");
            goto leave;
        }
    } else if (id == NULL) {
        const char *next = NULL;
        if ((err = ctn_api_query_json(
                 c, &next, "SELECT (coalesce(max(on_call_order), 0) + 1)::text FROM technicians", 0,
                 NULL)) != 0) {
            goto leave;
        }
        json_object_object_add(c->body, "on_call_order", json_object_new_int(atoi(next)));
    }
    err = write(c, id);
leave:
    /* A failed COMMIT or ROLLBACK leaves the transaction open: the pool
     * then drops the connection rather than reuse it (lib/db.c). */
    done = ctn_api_exec(c, NULL, err == ok ? "COMMIT" : "ROLLBACK", 0, NULL);
    return err == ok && done != 0 ? done : err;
}

static int create_technician(ctn_api_ctx_t *c, const char *id)
{
    return ctn_api_crud_create(c, &technicians);
}

static int update_technician(ctn_api_ctx_t *c, const char *id)
{
    return ctn_api_crud_update(c, &technicians, id);
}

static int on_create(ctn_api_ctx_t *c)
{
    return locked_write(c, NULL, 201, create_technician);
}

static int on_get(ctn_api_ctx_t *c)
{
    return ctn_api_crud_get(c, &technicians, c->args[0]);
}

static int on_patch(ctn_api_ctx_t *c)
{
    if (!ctn_api_is_uuid(c->args[0]) ||
        !json_object_object_get_ex(c->body, "on_call_order", NULL)) {
        return ctn_api_crud_update(c, &technicians, c->args[0]);
    }
    return locked_write(c, c->args[0], 200, update_technician);
}

static int on_delete(ctn_api_ctx_t *c)
{
    return ctn_api_crud_delete(c, &technicians, c->args[0]);
}

/* The order is all or nothing: every id must be one of the business's
 * technicians, each once, or nothing changes (400 naming "ids"). */
static int on_order(ctn_api_ctx_t *c)
{
    static const char sql[] =
        "WITH wanted AS (SELECT id::uuid AS id, ord FROM json_array_elements_text($1::json) "
        "WITH ORDINALITY AS w(id, ord)), "
        "ok AS (SELECT (SELECT count(*) FROM wanted) = (SELECT count(DISTINCT id) FROM wanted) "
        "AND (SELECT count(*) FROM wanted) = (SELECT count(*) FROM technicians) "
        "AND NOT EXISTS (SELECT 1 FROM wanted w LEFT JOIN technicians t ON t.id = w.id "
        "WHERE t.id IS NULL) AS valid), "
        "upd AS (UPDATE technicians t SET on_call_order = w.ord FROM wanted w, ok "
        "WHERE ok.valid AND t.id = w.id RETURNING t.id) "
        "SELECT CASE WHEN (SELECT valid FROM ok) THEN 'ok' END";
    json_object *ids = NULL;
    const char *params[1], *result = NULL;
    int err;

    json_object_object_get_ex(c->body, "ids", &ids);
    params[0] = ctn_json_serialize(c->pool, ids);
    if ((err = ctn_api_query_json(c, &result, sql, 1, params)) != 0) {
        return err;
    }
    if (result == NULL) {
        return ctn_api_error(c, 400, "invalid",
                             "must list every technician of the business exactly once", "ids");
    }
    return ctn_api_crud_list(c, &technicians);
}

const ctn_api_route_t ctn_api_team_routes[] = {
    {"GET", "/technicians", on_list, 0, NULL, &technician_list, 200,
     "Technicians, in on-call order", NULL},
    {"POST", "/technicians", on_create, CTN_API_CREATE | CTN_API_CONFLICTS, &technician,
     &technician, 201, "Add a technician", NULL},
    {"PUT", "/technicians/order", on_order, CTN_API_CREATE, &order_body, &technician_list, 200,
     "Set the on-call order", NULL},
    {"GET", "/technicians/{id}", on_get, 0, NULL, &technician, 200, "One technician", NULL},
    {"PATCH", "/technicians/{id}", on_patch, CTN_API_CONFLICTS, &technician, &technician, 200,
     "Change a technician", NULL},
    {"DELETE", "/technicians/{id}", on_delete, 0, NULL, NULL, 204, "Remove a technician", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL}};
