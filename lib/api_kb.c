/* api_kb.c: the knowledge base Cortana answers questions from.
 *
 *   GET    /kb                 documents (title, language, size; no content)
 *   POST   /kb                 add one (content up to 20,000 characters)
 *   GET    /kb/{id}            one, with its content
 *   PATCH  /kb/{id}
 *   DELETE /kb/{id}
 *   GET    /kb/search?q=…&language=en|es   what Cortana would answer
 *
 * Search is the engines' own (ctn_tools_kb_search: PostgreSQL full-text
 * search in English and Spanish), so the owner sees exactly what a caller
 * would hear. */
#include "api.h"

#include "api_schema.h"
#include "json.h"
#include "tools.h"

#include <apr_strings.h>

/* A document's content, in characters: what the schema counts and the README says. */
#define KB_CONTENT_MAX 20000

static const ctn_api_field_t document_fields[] = {
    {"id", &ctn_schema_uuid, CTN_FIELD_READONLY},
    {"title", &ctn_schema_name, CTN_FIELD_REQUIRED},
    {"content",
     &(ctn_api_schema_t){.type = CTN_SCHEMA_STRING,
                         .min = 1,
                         .max = KB_CONTENT_MAX,
                         .description = "up to 20,000 characters (not bytes)"},
     CTN_FIELD_REQUIRED},
    {"language", &ctn_schema_lang, 0},
    {"created_at", &ctn_schema_date_time, CTN_FIELD_READONLY},
    {"updated_at", &ctn_schema_date_time, CTN_FIELD_READONLY},
    {NULL, NULL, 0}};
static const ctn_api_schema_t document = {
    .name = "KbDocument", .type = CTN_SCHEMA_OBJECT, .fields = document_fields};

static const ctn_api_field_t summary_fields[] = {
    {"id", &ctn_schema_uuid, CTN_FIELD_READONLY},
    {"title", &ctn_schema_name, CTN_FIELD_READONLY},
    {"language", &ctn_schema_lang, CTN_FIELD_READONLY},
    {"size", &ctn_schema_count, CTN_FIELD_READONLY},
    {"excerpt", &ctn_schema_text, CTN_FIELD_READONLY},
    {"updated_at", &ctn_schema_date_time, CTN_FIELD_READONLY},
    {NULL, NULL, 0}};
static const ctn_api_schema_t summary = {
    .name = "KbDocumentSummary", .type = CTN_SCHEMA_OBJECT, .fields = summary_fields};
static const ctn_api_field_t list_fields[] = {
    {"items", &(ctn_api_schema_t){.type = CTN_SCHEMA_ARRAY, .items = &summary}, CTN_FIELD_READONLY},
    {NULL, NULL, 0}};
static const ctn_api_schema_t document_list = {
    .name = "KbDocumentList", .type = CTN_SCHEMA_OBJECT, .fields = list_fields};

static const ctn_api_field_t answer_fields[] = {
    {"question", &ctn_schema_text, CTN_FIELD_READONLY},
    {"found", &ctn_schema_bool, CTN_FIELD_READONLY},
    {"title", &ctn_schema_text, CTN_FIELD_READONLY | CTN_FIELD_NULLABLE},
    {"answer", &ctn_schema_text, CTN_FIELD_READONLY | CTN_FIELD_NULLABLE},
    {NULL, NULL, 0}};
static const ctn_api_schema_t answer = {
    .name = "KbAnswer", .type = CTN_SCHEMA_OBJECT, .fields = answer_fields};

static const ctn_api_table_t documents = {
    "kb_documents", "id, title, content, language, created_at, updated_at",
    "title",        &document,
    NULL,           1};
static const ctn_api_table_t summaries = {
    "kb_documents",
    "id, title, language, length(content) AS size, left(content, 160) AS excerpt, updated_at",
    "title",
    &summary,
    NULL,
    1};

static int on_list(ctn_api_ctx_t *c)
{
    return ctn_api_crud_list(c, &summaries);
}

static int on_create(ctn_api_ctx_t *c)
{
    return ctn_api_crud_create(c, &documents);
}

static int on_get(ctn_api_ctx_t *c)
{
    return ctn_api_crud_get(c, &documents, c->args[0]);
}

static int on_patch(ctn_api_ctx_t *c)
{
    return ctn_api_crud_update(c, &documents, c->args[0]);
}

static int on_delete(ctn_api_ctx_t *c)
{
    return ctn_api_crud_delete(c, &documents, c->args[0]);
}

static int on_search(ctn_api_ctx_t *c)
{
    const char *q = ctn_api_arg(c, "q"), *lang = ctn_api_arg(c, "language");
    const char *text = NULL, *title = NULL;
    json_object *out;

    if (q == NULL || ctn_api_utf8_length(q) > 500) {
        return ctn_api_error(c, 400, "invalid", "a question of 1 to 500 characters is required",
                             "q");
    }
    if (lang && strcmp(lang, "en") != 0 && strcmp(lang, "es") != 0) {
        return ctn_api_error(c, 400, "invalid", "must be en or es", "language");
    }
    if (ctn_tools_kb_search(c->conn, c->pool, c->session->business_id, q, lang ? lang : "en", &text,
                            &title) != APR_SUCCESS) {
        return ctn_api_error(c, 503, "unavailable", "the search failed", NULL);
    }
    out = ctn_json_pool_own(c->pool, json_object_new_object());
    json_object_object_add(out, "question", json_object_new_string(q));
    json_object_object_add(out, "found", json_object_new_boolean(text != NULL));
    json_object_object_add(out, "title", title ? json_object_new_string(title) : NULL);
    json_object_object_add(out, "answer", text ? json_object_new_string(text) : NULL);
    return ctn_api_json(c, 200, ctn_json_serialize(c->pool, out));
}

static const ctn_api_schema_t question = {.type = CTN_SCHEMA_STRING, .min = 1, .max = 500};
static const ctn_api_query_param_t search_params[] = {
    {"q", &question, 1}, {"language", &ctn_schema_lang, 0}, {NULL, NULL, 0}};

const ctn_api_route_t ctn_api_kb_routes[] = {
    {"GET", "/kb", on_list, 0, NULL, &document_list, 200, "Knowledge-base documents", NULL},
    {"POST", "/kb", on_create, CTN_API_CREATE, &document, &document, 201, "Add a document", NULL},
    {"GET", "/kb/search", on_search, 0, NULL, &answer, 200,
     "What Cortana would answer to a question", search_params},
    {"GET", "/kb/{id}", on_get, 0, NULL, &document, 200, "One document", NULL},
    {"PATCH", "/kb/{id}", on_patch, 0, &document, &document, 200, "Change a document", NULL},
    {"DELETE", "/kb/{id}", on_delete, 0, NULL, NULL, 204, "Delete a document", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL}};
