/* unit.h: what every Check suite of tests/unit shares.
 *
 * Each test_<file>.c mirrors lib/<file>.c and defines `static Suite *suite(void)`;
 * CTN_UNIT_MAIN runs it quietly (Check prints its one summary line, and the
 * failures in full) and turns failures into the exit status. */
#ifndef CTN_UNIT_H
#define CTN_UNIT_H

#include <apr_general.h>
#include <apr_pools.h>
#include <check.h>
#include <stdlib.h>

#define CTN_UNIT_MAIN(suite_fn)                                                                    \
    int main(void)                                                                                 \
    {                                                                                              \
        SRunner *runner;                                                                           \
        int failed;                                                                                \
        apr_initialize();                                                                          \
        runner = srunner_create(suite_fn());                                                       \
        srunner_run_all(runner, CK_NORMAL);                                                        \
        failed = srunner_ntests_failed(runner);                                                    \
        srunner_free(runner);                                                                      \
        apr_terminate();                                                                           \
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;                                          \
    }

/* A pool per test, created in setup and destroyed in teardown. */
extern apr_pool_t *unit_pool;

#define CTN_UNIT_POOL_FIXTURE                                                                      \
    apr_pool_t *unit_pool;                                                                         \
    static void unit_setup(void)                                                                   \
    {                                                                                              \
        apr_pool_create(&unit_pool, NULL);                                                         \
    }                                                                                              \
    static void unit_teardown(void)                                                                \
    {                                                                                              \
        apr_pool_destroy(unit_pool);                                                               \
        unit_pool = NULL;                                                                          \
    }

#endif
