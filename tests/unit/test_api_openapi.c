/* test_api_openapi.c: the OpenAPI document's lifetime (lib/api_openapi.c). */
#include "unit.h"

#include "api.h"

#include <apr_strings.h>
#include <malloc.h>
#include <string.h>

CTN_UNIT_POOL_FIXTURE

/* Bytes malloc has handed out and not had back (0 under a sanitizer, whose
 * malloc mallinfo2 does not see: the test then proves nothing, and passes). */
static size_t heap_in_use(void)
{
    return mallinfo2().uordblks;
}

/* httpd builds the document in post_config with pconf; a graceful restart
 * clears pconf (and reloads the module, resetting its statics) and builds a
 * new one. A document on the heap outlived every configuration: one copy
 * leaked in the parent per restart. */
START_TEST(the_document_is_freed_with_the_configuration)
{
    apr_allocator_t *alloc;
    apr_pool_t *pconf;
    size_t before, length;
    char *copy;

    ck_assert_int_eq(apr_allocator_create(&alloc), APR_SUCCESS);
    ck_assert_int_eq(apr_pool_create_ex(&pconf, NULL, NULL, alloc), APR_SUCCESS);
    apr_allocator_owner_set(alloc, pconf);
    before = heap_in_use();
    length = strlen(ctn_api_openapi(pconf));
    copy = apr_pstrdup(unit_pool, ctn_api_openapi(unit_pool));
    ck_assert_uint_gt(length, 10000);
    ck_assert_ptr_eq(ctn_api_openapi(unit_pool), ctn_api_openapi(pconf)); /* built once */
    apr_pool_destroy(pconf);
    ck_assert_uint_lt(heap_in_use() > before ? heap_in_use() - before : 0, length / 2);
    /* the next configuration gets its own, the same */
    ck_assert_str_eq(ctn_api_openapi(unit_pool), copy);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("api_openapi");
    TCase *tc = tcase_create("lifetime");

    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, the_document_is_freed_with_the_configuration);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
