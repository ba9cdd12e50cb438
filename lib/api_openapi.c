/* api_openapi.c: the OpenAPI 3 document of the REST API, built from the
 * route tables and schemas the server itself uses (see api_schema.h), so it
 * cannot describe an endpoint or a field the server does not have. */
#include "api.h"

#include "api_schema.h"
#include "json.h"
#include "version.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_object *error_response(const char *description)
{
    json_object *r = json_object_new_object(), *content = json_object_new_object(),
                *media = json_object_new_object(), *schema = json_object_new_object();

    json_object_object_add(schema, "$ref", json_object_new_string("#/components/schemas/Error"));
    json_object_object_add(media, "schema", schema);
    json_object_object_add(content, "application/json", media);
    json_object_object_add(r, "description", json_object_new_string(description));
    json_object_object_add(r, "content", content);
    return r;
}

/* `update`: the body of a route that is not a creation, whose top-level
 * required members the server does not require. */
static json_object *json_content(const ctn_api_schema_t *schema, json_object *components,
                                 int update)
{
    json_object *content = json_object_new_object(), *media = json_object_new_object();

    json_object_object_add(media, "schema",
                           update ? ctn_api_schema_render_update(schema, components)
                                  : ctn_api_schema_render(schema, components, 0));
    json_object_object_add(content, "application/json", media);
    return content;
}

/* "/technicians/{id}" → parameters: [{name: id, in: path, …}] + query ones. */
static json_object *parameters(const ctn_api_route_t *r, json_object *components)
{
    json_object *list = json_object_new_array();

    for (const char *p = strchr(r->pattern, '{'); p; p = strchr(p + 1, '{')) {
        const char *end = strchr(p, '}');
        json_object *param = json_object_new_object(), *schema = json_object_new_object();
        json_object_object_add(param, "name",
                               json_object_new_string_len(p + 1, (int)(end - p - 1)));
        json_object_object_add(param, "in", json_object_new_string("path"));
        json_object_object_add(param, "required", json_object_new_boolean(1));
        json_object_object_add(schema, "type", json_object_new_string("string"));
        json_object_object_add(schema, "format", json_object_new_string("uuid"));
        json_object_object_add(param, "schema", schema);
        json_object_array_add(list, param);
    }
    for (const ctn_api_query_param_t *q = r->query_params; q && q->name; q++) {
        json_object *param = json_object_new_object();
        json_object_object_add(param, "name", json_object_new_string(q->name));
        json_object_object_add(param, "in", json_object_new_string("query"));
        json_object_object_add(param, "required", json_object_new_boolean(q->required));
        json_object_object_add(param, "schema", ctn_api_schema_render(q->schema, components, 0));
        json_object_array_add(list, param);
    }
    return list;
}

/* "PATCH /technicians/{id}" → "patch_technicians_id". */
static const char *operation_id(apr_pool_t *pool, const ctn_api_route_t *r)
{
    char *id = apr_pstrcat(pool, r->method, r->pattern, NULL);

    for (char *p = id; *p; p++) {
        *p = apr_isalnum(*p) ? (char)apr_tolower(*p) : '_';
    }
    for (char *p = id; *p; p++) { /* squeeze runs of '_' */
        while (p[0] == '_' && (p[1] == '_' || p[1] == '\0')) {
            memmove(p, p + 1, strlen(p));
        }
    }
    return id;
}

static json_object *operation(apr_pool_t *pool, const ctn_api_route_t *r, json_object *components)
{
    json_object *op = json_object_new_object(), *responses = json_object_new_object();
    json_object *ok = json_object_new_object();
    char status[8];

    json_object_object_add(op, "summary", json_object_new_string(r->summary));
    json_object_object_add(op, "operationId", json_object_new_string(operation_id(pool, r)));
    json_object_object_add(op, "parameters", parameters(r, components));
    if (r->body) {
        json_object *body = json_object_new_object();
        json_object_object_add(body, "required", json_object_new_boolean(1));
        json_object_object_add(body, "content",
                               json_content(r->body, components, !(r->flags & CTN_API_CREATE)));
        json_object_object_add(op, "requestBody", body);
    }
    json_object_object_add(ok, "description", json_object_new_string("success"));
    if (r->response) {
        json_object_object_add(ok, "content", json_content(r->response, components, 0));
    }
    snprintf(status, sizeof(status), "%d", r->status);
    json_object_object_add(responses, status, ok);
    json_object_object_add(responses, "400", error_response("invalid request, names the field"));
    if (!(r->flags & CTN_API_PUBLIC)) {
        json_object_object_add(responses, "401", error_response("not logged in"));
        json_object_object_add(responses, "403", error_response("missing X-CSRF-Token"));
    } else if (r->flags & CTN_API_SWITCHED) {
        json_object_object_add(responses, "403", error_response("turned off on this server"));
    }
    if (strchr(r->pattern, '{')) {
        json_object_object_add(responses, "404", error_response("no such resource"));
    }
    if (r->flags & CTN_API_CONFLICTS) {
        json_object_object_add(responses, "409",
                               error_response("conflict: the value is in use, or the resource's "
                                              "state does not allow it"));
    }
    /* The module reads the body of every POST, PUT and PATCH, whatever the route. */
    if (strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0 ||
        strcmp(r->method, "PATCH") == 0) {
        json_object_object_add(responses, "413", error_response("body over CortanaAPIMaxBody"));
        json_object_object_add(responses, "415",
                               error_response("body not sent as application/json"));
    }
    if (r->flags & CTN_API_LIMITED) {
        json_object_object_add(responses, "429",
                               error_response("too many at once or too often; see Retry-After"));
    }
    if (!(r->flags & CTN_API_NO_DB)) {
        json_object_object_add(responses, "503", error_response("the database is unavailable"));
    }
    if (r->flags & CTN_API_PUBLIC) {
        json_object_object_add(op, "security", json_object_new_array());
    }
    json_object_object_add(op, "responses", responses);
    return op;
}

/* GET /transcripts is served by the module (mod_cortana_sse.c), not the
 * route table; its one query parameter resumes like Last-Event-ID. */
static const ctn_api_schema_t event_id = {
    .type = CTN_SCHEMA_INTEGER, .min = 0, .description = "the id of the last event received"};
static const ctn_api_query_param_t sse_params[] = {{"last_event_id", &event_id, 0},
                                                   {NULL, NULL, 0}};
static const ctn_api_route_t sse_route = {
    .method = "GET", .pattern = "/transcripts", .status = 200, .query_params = sse_params};

static const char *document; /* built once per configuration; the routes never change */

static apr_status_t forget_document(void *unused)
{
    document = NULL;
    return APR_SUCCESS;
}

const char *ctn_api_openapi(apr_pool_t *pool)
{
    json_object *doc, *info, *paths, *components, *schemas, *security, *scheme, *servers, *server;
    const ctn_api_route_t *routes;
    int n;

    if (document) {
        return document;
    }
    doc = json_object_new_object();
    info = json_object_new_object();
    paths = json_object_new_object();
    components = json_object_new_object();
    schemas = json_object_new_object();
    json_object_object_add(doc, "openapi", json_object_new_string("3.0.3"));
    json_object_object_add(info, "title", json_object_new_string("Cortana owner API"));
    json_object_object_add(info, "version", json_object_new_string(CTN_VERSION));
    json_object_object_add(
        info, "description",
        json_object_new_string("Log in with POST /api/login (a session cookie); send the "
                               "csrf_token of /api/me as X-CSRF-Token on every request that "
                               "changes something. Errors are {\"error\":{\"code\",\"message\","
                               "\"field\"}}. Live transcripts: GET /api/transcripts "
                               "(text/event-stream)."));
    json_object_object_add(doc, "info", info);
    servers = json_object_new_array();
    server = json_object_new_object();
    json_object_object_add(server, "url", json_object_new_string("/api"));
    json_object_array_add(servers, server);
    json_object_object_add(doc, "servers", servers);

    routes = ctn_api_routes(&n);
    /* Rendered for its component; the reference it returns is not used. */
    json_object_put(ctn_api_schema_render(&ctn_schema_error, schemas, 0));
    for (int i = 0; i < n; i++) {
        json_object *item = NULL;
        char method[8];
        if (!json_object_object_get_ex(paths, routes[i].pattern, &item)) {
            item = json_object_new_object();
            json_object_object_add(paths, routes[i].pattern, item);
        }
        apr_cpystrn(method, routes[i].method, sizeof(method));
        for (char *p = method; *p; p++) {
            *p = (char)apr_tolower(*p);
        }
        json_object_object_add(item, method, operation(pool, &routes[i], schemas));
    }
    {
        json_object *sse = json_object_new_object(), *get = json_object_new_object(),
                    *responses = json_object_new_object(), *ok = json_object_new_object(),
                    *content = json_object_new_object(), *media = json_object_new_object(),
                    *schema = json_object_new_object();
        json_object_object_add(schema, "type", json_object_new_string("string"));
        json_object_object_add(media, "schema", schema);
        json_object_object_add(content, "text/event-stream", media);
        json_object_object_add(ok, "description",
                               json_object_new_string("Server-Sent Events: call.started, "
                                                      "transcript, call.updated, call.ended; "
                                                      "id = ring sequence (Last-Event-ID "
                                                      "resumes)"));
        json_object_object_add(ok, "content", content);
        json_object_object_add(responses, "200", ok);
        json_object_object_add(responses, "400",
                               error_response("a query parameter other than last_event_id, or "
                                              "an id (parameter or Last-Event-ID) the feed did "
                                              "not give"));
        json_object_object_add(responses, "401", error_response("not logged in"));
        json_object_object_add(responses, "503", error_response("the database is unavailable"));
        json_object_object_add(get, "summary",
                               json_object_new_string("Live events of the business's calls"));
        json_object_object_add(get, "operationId", json_object_new_string("get_transcripts"));
        json_object_object_add(get, "parameters", parameters(&sse_route, schemas));
        json_object_object_add(get, "responses", responses);
        json_object_object_add(sse, "get", get);
        json_object_object_add(paths, "/transcripts", sse);
    }
    json_object_object_add(doc, "paths", paths);
    json_object_object_add(components, "schemas", schemas);
    security = json_object_new_object();
    scheme = json_object_new_object();
    json_object_object_add(scheme, "type", json_object_new_string("apiKey"));
    json_object_object_add(scheme, "in", json_object_new_string("cookie"));
    json_object_object_add(scheme, "name", json_object_new_string("cortana_session"));
    json_object_object_add(security, "session", scheme);
    json_object_object_add(components, "securitySchemes", security);
    json_object_object_add(doc, "components", components);
    {
        json_object *req = json_object_new_array(), *s = json_object_new_object();
        json_object_object_add(s, "session", json_object_new_array());
        json_object_array_add(req, s);
        json_object_object_add(doc, "security", req);
    }
    document = apr_pstrdup(pool, json_object_to_json_string_ext(
                                     doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    apr_pool_cleanup_register(pool, NULL, forget_document, apr_pool_cleanup_null);
    json_object_put(doc);
    return document;
}
