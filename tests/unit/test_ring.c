/* test_ring.c: the shared-memory event ring (lib/ring.c). */
#include "unit.h"

#include "ring.h"

#include <apr_file_io.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

CTN_UNIT_POOL_FIXTURE

static apr_status_t no_lock(void *baton)
{
    return APR_SUCCESS;
}

static const ctn_ring_lock_t nolock = {no_lock, no_lock, NULL};

static ctn_ring_t *make_ring(apr_uint32_t capacity, const ctn_ring_lock_t *lock)
{
    apr_size_t bytes = ctn_ring_bytes(capacity);
    void *mem = apr_pcalloc(unit_pool, bytes);
    ctn_ring_t *ring = NULL;

    ck_assert_int_eq(ctn_ring_format(&ring, mem, bytes, capacity, lock, unit_pool), APR_SUCCESS);
    return ring;
}

START_TEST(events_get_increasing_sequence_numbers)
{
    ctn_ring_t *ring = make_ring(8, &nolock);
    ctn_ring_event_t ev;
    apr_uint64_t seq = 0, missed = 99;

    ck_assert_int_eq(ctn_ring_read(ring, 0, &ev, &missed), APR_EAGAIN);
    for (int i = 1; i <= 3; i++) {
        ck_assert_int_eq(ctn_ring_write(ring, "b1", "CA1", "transcript", "{\"n\":1}", &seq),
                         APR_SUCCESS);
        ck_assert_int_eq(seq, i);
    }
    ck_assert_int_eq(ctn_ring_head(ring), 3);
    ck_assert_int_eq(ctn_ring_read(ring, 1, &ev, &missed), APR_SUCCESS);
    ck_assert_int_eq(ev.seq, 2);
    ck_assert_int_eq(missed, 0);
    ck_assert_str_eq(ev.type, "transcript");
    ck_assert_str_eq(ev.business_id, "b1");
    ck_assert_str_eq(ev.payload, "{\"n\":1}");
    ck_assert_int_eq(ctn_ring_read(ring, 3, &ev, NULL), APR_EAGAIN);
}
END_TEST

START_TEST(full_ring_overwrites_oldest_and_counts_drops)
{
    ctn_ring_t *ring = make_ring(4, &nolock);
    ctn_ring_stats_t st;
    ctn_ring_event_t ev;
    apr_uint64_t missed = 0;
    char payload[32];

    for (int i = 1; i <= 10; i++) {
        snprintf(payload, sizeof(payload), "{\"i\":%d}", i);
        ck_assert_int_eq(ctn_ring_write(ring, "b", "CA", "t", payload, NULL), APR_SUCCESS);
    }
    ctn_ring_stats(ring, &st);
    ck_assert_int_eq(st.capacity, 4);
    ck_assert_int_eq(st.head, 10);
    ck_assert_int_eq(st.oldest, 7);
    ck_assert_int_eq(st.writes, 10);
    ck_assert_int_eq(st.drops, 6);
    /* A reader that last saw event 2 lost 3..6 and resumes at the oldest held. */
    ck_assert_int_eq(ctn_ring_read(ring, 2, &ev, &missed), APR_SUCCESS);
    ck_assert_int_eq(ev.seq, 7);
    ck_assert_int_eq(missed, 4);
    ck_assert_str_eq(ev.payload, "{\"i\":7}");
}
END_TEST

START_TEST(payload_too_large_is_refused_not_truncated)
{
    ctn_ring_t *ring = make_ring(4, &nolock);
    char big[CTN_RING_PAYLOAD_MAX + 2];

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_int_eq(ctn_ring_write(ring, "b", "CA", "t", big, NULL), APR_EINVAL);
    ck_assert_int_eq(ctn_ring_head(ring), 0);
    big[CTN_RING_PAYLOAD_MAX] = '\0';
    ck_assert_int_eq(ctn_ring_write(ring, "b", "CA", "t", big, NULL), APR_SUCCESS);
}
END_TEST

START_TEST(attach_validates_the_segment)
{
    apr_size_t bytes = ctn_ring_bytes(16);
    void *mem = apr_pcalloc(unit_pool, bytes);
    ctn_ring_t *ring;

    ck_assert_int_eq(ctn_ring_attach(&ring, mem, bytes, &nolock, unit_pool), APR_EINVAL);
    ck_assert_int_eq(ctn_ring_format(&ring, mem, bytes, 16, &nolock, unit_pool), APR_SUCCESS);
    ck_assert_int_eq(ctn_ring_attach(&ring, mem, bytes, &nolock, unit_pool), APR_SUCCESS);
    ck_assert_int_eq(ctn_ring_attach(&ring, mem, bytes - 1, &nolock, unit_pool), APR_EINVAL);
}
END_TEST

/* Two processes write through the flock lock into one MAP_SHARED segment:
 * every sequence number appears exactly once. */
START_TEST(concurrent_writers_from_two_processes_lose_nothing)
{
    enum { PER_PROCESS = 2000, CAPACITY = 8192 };
    apr_size_t bytes = ctn_ring_bytes(CAPACITY);
    void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    char path[] = "/tmp/cortana-ring-test-XXXXXX";
    int fd = mkstemp(path);
    ctn_ring_lock_t lock;
    ctn_ring_t *ring;
    ctn_ring_stats_t st;
    static unsigned char seen[2 * PER_PROCESS + 1];
    pid_t child;
    int status;

    ck_assert_ptr_ne(mem, MAP_FAILED);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(ctn_ring_flock_lock_create(&lock, path, unit_pool), APR_SUCCESS);
    ck_assert_int_eq(ctn_ring_format(&ring, mem, bytes, CAPACITY, &lock, unit_pool), APR_SUCCESS);
    child = fork();
    if (child == 0) {
        ctn_ring_lock_t own;
        ctn_ring_t *r;
        /* A separate open file description, as the worker has. */
        if (ctn_ring_flock_lock_create(&own, path, unit_pool) != APR_SUCCESS ||
            ctn_ring_attach(&r, mem, bytes, &own, unit_pool) != APR_SUCCESS) {
            _exit(2);
        }
        for (int i = 0; i < PER_PROCESS; i++) {
            if (ctn_ring_write(r, "child", "CA", "t", "{}", NULL) != APR_SUCCESS) {
                _exit(1);
            }
        }
        _exit(0);
    }
    for (int i = 0; i < PER_PROCESS; i++) {
        ck_assert_int_eq(ctn_ring_write(ring, "parent", "CA", "t", "{}", NULL), APR_SUCCESS);
    }
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ctn_ring_stats(ring, &st);
    ck_assert_int_eq(st.head, 2 * PER_PROCESS);
    ck_assert_int_eq(st.drops, 0);
    for (apr_uint64_t after = 0;;) {
        ctn_ring_event_t ev;
        if (ctn_ring_read(ring, after, &ev, NULL) != APR_SUCCESS) {
            break;
        }
        ck_assert_int_eq(ev.seq, after + 1);
        ck_assert_int_eq(seen[ev.seq], 0);
        seen[ev.seq] = 1;
        after = ev.seq;
    }
    for (int i = 1; i <= 2 * PER_PROCESS; i++) {
        ck_assert_int_eq(seen[i], 1);
    }
    unlink(path);
    munmap(mem, bytes);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ring");
    TCase *tc = tcase_create("ring");

    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, events_get_increasing_sequence_numbers);
    tcase_add_test(tc, full_ring_overwrites_oldest_and_counts_drops);
    tcase_add_test(tc, payload_too_large_is_refused_not_truncated);
    tcase_add_test(tc, attach_validates_the_segment);
    tcase_add_test(tc, concurrent_writers_from_two_processes_lose_nothing);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

CTN_UNIT_MAIN(suite)
