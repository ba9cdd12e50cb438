/* test_ring.c: the shared-memory event ring (lib/ring.c).
 *
 * Single-process cases use a ring in pool memory; the cases about processes
 * use MAP_SHARED memory and fork(), as httpd's children and the worker share
 * the ring and the robust mutex inside it. */
#include "unit.h"

#include "log.h"
#include "ring.h"

#include <apr_strings.h>
#include <apr_time.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

CTN_UNIT_POOL_FIXTURE

/* Layout facts from ring.c's diagram, for tests that corrupt a segment. */
#define HEADER_BYTES  128
#define OFF_LOCK      64 /* the process-shared robust pthread mutex */
#define OFF_VERSION   8
#define OFF_CAPACITY  12
#define OFF_SLOT_SIZE 16

static ctn_ring_t *make_ring_at(void *mem, apr_uint32_t capacity)
{
    ctn_ring_t *ring = NULL;

    ck_assert_int_eq(ctn_ring_format(&ring, mem, ctn_ring_bytes(capacity), capacity, unit_pool),
                     APR_SUCCESS);
    return ring;
}

static ctn_ring_t *make_ring(apr_uint32_t capacity)
{
    return make_ring_at(apr_pcalloc(unit_pool, ctn_ring_bytes(capacity)), capacity);
}

/* The ring's lock, where the layout puts it. */
static pthread_mutex_t *ring_mutex(void *mem)
{
    return (pthread_mutex_t *)((char *)mem + OFF_LOCK);
}

static void *shared_memory(apr_size_t bytes)
{
    void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    ck_assert_ptr_ne(mem, MAP_FAILED);
    return mem;
}

/* ------------------------------------------------------------ sequencing --- */

START_TEST(events_get_increasing_sequence_numbers)
{
    ctn_ring_t *ring = make_ring(8);
    ctn_ring_event_t ev;
    apr_uint64_t seq = 0, missed = 99;
    apr_time_t before = apr_time_now();

    ck_assert_int_eq(ctn_ring_head(ring), 0);
    ck_assert_int_eq(ctn_ring_read(ring, 0, &ev, &missed), APR_EAGAIN);
    for (int i = 1; i <= 3; i++) {
        char payload[32];
        snprintf(payload, sizeof(payload), "{\"n\":%d}", i);
        ck_assert_int_eq(ctn_ring_write(ring, "b1", "CA1", "transcript", payload, &seq),
                         APR_SUCCESS);
        ck_assert_int_eq(seq, i);
    }
    ck_assert_int_eq(ctn_ring_head(ring), 3);
    ck_assert_int_eq(ctn_ring_read(ring, 1, &ev, &missed), APR_SUCCESS);
    ck_assert_int_eq(ev.seq, 2);
    ck_assert_int_eq(missed, 0);
    ck_assert_int_ge(ev.at, before);
    ck_assert_str_eq(ev.type, "transcript");
    ck_assert_str_eq(ev.business_id, "b1");
    ck_assert_str_eq(ev.call_sid, "CA1");
    ck_assert_str_eq(ev.payload, "{\"n\":2}");
    ck_assert_int_eq(ev.payload_len, strlen("{\"n\":2}"));
    ck_assert_int_eq(ctn_ring_read(ring, 3, &ev, NULL), APR_EAGAIN);
    ck_assert_int_eq(ctn_ring_read(ring, 1000, &ev, NULL), APR_EAGAIN);
}
END_TEST

/* Overwrite-oldest when full, and what a reader at `after` gets. */
static const struct {
    apr_uint32_t capacity;
    int writes;
    apr_uint64_t after;
    apr_uint64_t want_seq, want_missed, want_oldest, want_drops;
} wrap_cases[] = {
    /* not yet full: nothing dropped, nothing missed */
    {4, 3, 0, 1, 0, 1, 0},
    /* exactly full */
    {4, 4, 0, 1, 0, 1, 0},
    /* one over: event 1 overwritten, a reader from the start missed it */
    {4, 5, 0, 2, 1, 2, 1},
    /* many over: a reader that saw 2 lost 3..6 and resumes at 7 */
    {4, 10, 2, 7, 4, 7, 6},
    /* a reader that kept up is not affected by the wrap */
    {4, 10, 8, 9, 0, 7, 6},
    /* capacity 1 */
    {1, 5, 0, 5, 4, 5, 4},
};

START_TEST(full_ring_overwrites_oldest_and_counts_drops)
{
    ctn_ring_t *ring = make_ring(wrap_cases[_i].capacity);
    ctn_ring_stats_t st;
    ctn_ring_event_t ev;
    apr_uint64_t missed = 99;
    char payload[32];

    for (int i = 1; i <= wrap_cases[_i].writes; i++) {
        snprintf(payload, sizeof(payload), "{\"i\":%d}", i);
        ck_assert_int_eq(ctn_ring_write(ring, "b", "CA", "t", payload, NULL), APR_SUCCESS);
    }
    ctn_ring_stats(ring, &st);
    ck_assert_int_eq(st.capacity, wrap_cases[_i].capacity);
    ck_assert_int_eq(st.head, wrap_cases[_i].writes);
    ck_assert_int_eq(st.writes, wrap_cases[_i].writes);
    ck_assert_int_eq(st.oldest, wrap_cases[_i].want_oldest);
    ck_assert_int_eq(st.drops, wrap_cases[_i].want_drops);
    ck_assert_int_eq(ctn_ring_read(ring, wrap_cases[_i].after, &ev, &missed), APR_SUCCESS);
    ck_assert_int_eq(ev.seq, wrap_cases[_i].want_seq);
    ck_assert_int_eq(missed, wrap_cases[_i].want_missed);
    snprintf(payload, sizeof(payload), "{\"i\":%d}", (int)wrap_cases[_i].want_seq);
    ck_assert_str_eq(ev.payload, payload);
}
END_TEST

START_TEST(a_reader_catches_up_event_by_event_after_a_wrap)
{
    ctn_ring_t *ring = make_ring(3);
    ctn_ring_event_t ev;
    apr_uint64_t after = 0, missed, total_missed = 0, seen = 0;

    for (int i = 0; i < 7; i++) {
        ck_assert_int_eq(ctn_ring_write(ring, "b", "CA", "t", "{}", NULL), APR_SUCCESS);
    }
    while (ctn_ring_read(ring, after, &ev, &missed) == APR_SUCCESS) {
        total_missed += missed;
        seen++;
        after = ev.seq;
    }
    ck_assert_int_eq(after, 7);
    ck_assert_int_eq(seen, 3);
    ck_assert_int_eq(total_missed, 4);
}
END_TEST

/* ---------------------------------------------------------------- limits --- */

static char *text_of(apr_size_t len)
{
    char *s = apr_palloc(unit_pool, len + 1);

    memset(s, 'x', len);
    s[len] = '\0';
    return s;
}

/* Which argument, how long, accepted or not: nothing is ever truncated. */
static const struct {
    const char *name;
    int field; /* 0 business_id, 1 call_sid, 2 type, 3 payload */
    apr_size_t len;
    apr_status_t want;
} limit_cases[] = {
    {"uuid-length business id", 0, 36, APR_SUCCESS},
    {"business id one too long", 0, 37, APR_EINVAL},
    {"longest call sid", 1, 39, APR_SUCCESS},
    {"call sid one too long", 1, 40, APR_EINVAL},
    {"longest type", 2, 23, APR_SUCCESS},
    {"type one too long", 2, 24, APR_EINVAL},
    {"largest payload", 3, CTN_RING_PAYLOAD_MAX, APR_SUCCESS},
    {"payload one byte too large", 3, CTN_RING_PAYLOAD_MAX + 1, APR_EINVAL},
    {"payload far too large", 3, 100000, APR_EINVAL},
    {"empty payload", 3, 0, APR_SUCCESS},
};

START_TEST(fields_longer_than_their_slot_are_refused_not_truncated)
{
    ctn_ring_t *ring = make_ring(4);
    const char *args[4] = {"b", "CA", "t", "{}"};
    ctn_ring_event_t ev;
    apr_status_t rv;

    args[limit_cases[_i].field] = text_of(limit_cases[_i].len);
    rv = ctn_ring_write(ring, args[0], args[1], args[2], args[3], NULL);
    ck_assert_msg(rv == limit_cases[_i].want, "%s: got %d", limit_cases[_i].name, rv);
    if (rv != APR_SUCCESS) {
        ck_assert_int_eq(ctn_ring_head(ring), 0);
        return;
    }
    ck_assert_int_eq(ctn_ring_read(ring, 0, &ev, NULL), APR_SUCCESS);
    ck_assert_str_eq(ev.business_id, args[0]);
    ck_assert_str_eq(ev.call_sid, args[1]);
    ck_assert_str_eq(ev.type, args[2]);
    ck_assert_str_eq(ev.payload, args[3]);
    ck_assert_int_eq(ev.payload_len, strlen(args[3]));
}
END_TEST

START_TEST(null_strings_are_stored_empty)
{
    ctn_ring_t *ring = make_ring(4);
    ctn_ring_event_t ev;

    ck_assert_int_eq(ctn_ring_write(ring, NULL, NULL, "call.ended", NULL, NULL), APR_SUCCESS);
    ck_assert_int_eq(ctn_ring_read(ring, 0, &ev, NULL), APR_SUCCESS);
    ck_assert_str_eq(ev.business_id, "");
    ck_assert_str_eq(ev.call_sid, "");
    ck_assert_str_eq(ev.payload, "");
}
END_TEST

/* ---------------------------------------------------------------- attach --- */

/* Each case spoils a formatted segment in one way; attach must refuse it. */
static const struct {
    const char *name;
    apr_size_t offset; /* where to write `value` (apr_uint32_t), or (apr_size_t)-1 */
    apr_uint32_t value;
    apr_size_t bytes_short; /* attach with this many bytes fewer */
} attach_cases[] = {
    {"bad magic", 0, 0x12345678, 0},
    {"other version", OFF_VERSION, 99, 0},
    {"zero capacity", OFF_CAPACITY, 0, 0},
    {"capacity larger than the segment", OFF_CAPACITY, 17, 0},
    {"other slot size", OFF_SLOT_SIZE, 7, 0},
    {"segment one byte short", (apr_size_t)-1, 0, 1},
    {"segment smaller than the header", (apr_size_t)-1, 0, (apr_size_t)-2},
};

START_TEST(attach_refuses_what_is_not_a_ring_of_this_build)
{
    apr_size_t bytes = ctn_ring_bytes(16);
    char *mem = apr_pcalloc(unit_pool, bytes);
    apr_size_t give = bytes;
    ctn_ring_t *ring = NULL;

    ctn_log_set_sink(NULL, NULL, CTN_LOG_ERR); /* the reasons are expected */
    make_ring_at(mem, 16);
    ck_assert_int_eq(ctn_ring_attach(&ring, mem, bytes, unit_pool), APR_SUCCESS);
    if (attach_cases[_i].offset != (apr_size_t)-1) {
        memcpy(mem + attach_cases[_i].offset, &attach_cases[_i].value, sizeof(apr_uint32_t));
    }
    if (attach_cases[_i].bytes_short == (apr_size_t)-2) {
        give = HEADER_BYTES - 1;
    } else {
        give -= attach_cases[_i].bytes_short;
    }
    ck_assert_msg(ctn_ring_attach(&ring, mem, give, unit_pool) == APR_EINVAL, "%s",
                  attach_cases[_i].name);
}
END_TEST

START_TEST(attach_refuses_blank_memory_and_sees_the_formatters_events)
{
    apr_size_t bytes = ctn_ring_bytes(16);
    void *mem = apr_pcalloc(unit_pool, bytes);
    ctn_ring_t *writer, *reader;
    ctn_ring_event_t ev;

    ctn_log_set_sink(NULL, NULL, CTN_LOG_ERR);
    ck_assert_int_eq(ctn_ring_attach(&reader, mem, bytes, unit_pool), APR_EINVAL);
    writer = make_ring_at(mem, 16);
    ck_assert_int_eq(ctn_ring_attach(&reader, mem, bytes, unit_pool), APR_SUCCESS);
    ck_assert_int_eq(ctn_ring_write(writer, "b", "CA", "call.started", "{}", NULL), APR_SUCCESS);
    ck_assert_int_eq(ctn_ring_head(reader), 1);
    ck_assert_int_eq(ctn_ring_read(reader, 0, &ev, NULL), APR_SUCCESS);
    ck_assert_str_eq(ev.type, "call.started");
}
END_TEST

START_TEST(format_refuses_too_little_memory_or_no_capacity)
{
    apr_size_t bytes = ctn_ring_bytes(4);
    void *mem = apr_pcalloc(unit_pool, bytes);
    ctn_ring_t *ring;

    ck_assert_int_eq(ctn_ring_format(&ring, mem, bytes - 1, 4, unit_pool), APR_EINVAL);
    ck_assert_int_eq(ctn_ring_format(&ring, mem, bytes, 0, unit_pool), APR_EINVAL);
}
END_TEST

/* A writer that died inside the lock leaves a slot whose seq does not match:
 * readers skip it and count it as missed rather than return garbage. */
START_TEST(a_half_written_slot_is_skipped_and_counted_missed)
{
    apr_size_t bytes = ctn_ring_bytes(8);
    char *mem = apr_pcalloc(unit_pool, bytes);
    ctn_ring_t *ring = make_ring_at(mem, 8);
    ctn_ring_event_t *slots = (ctn_ring_event_t *)(mem + HEADER_BYTES), ev;
    apr_uint64_t missed = 0;

    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(ctn_ring_write(ring, "b", "CA", "t", "{}", NULL), APR_SUCCESS);
    }
    slots[1].seq = 10; /* event 2's slot, scribbled on */
    ck_assert_int_eq(ctn_ring_read(ring, 1, &ev, &missed), APR_SUCCESS);
    ck_assert_int_eq(ev.seq, 3);
    ck_assert_int_eq(missed, 1);
    slots[2].seq = 11; /* now the newest one too: nothing readable after 1 */
    ck_assert_int_eq(ctn_ring_read(ring, 1, &ev, &missed), APR_EAGAIN);
}
END_TEST

/* ------------------------------------------------------------- processes --- */

/* Two processes write through the ring's lock into one MAP_SHARED segment:
 * every sequence number appears exactly once. */
START_TEST(concurrent_writers_from_two_processes_lose_nothing)
{
    enum { PER_PROCESS = 2000, CAPACITY = 8192 };
    apr_size_t bytes = ctn_ring_bytes(CAPACITY);
    void *mem = shared_memory(bytes);
    ctn_ring_t *ring = make_ring_at(mem, CAPACITY);
    ctn_ring_stats_t st;
    static unsigned char seen[2 * PER_PROCESS + 1];
    int from_child = 0;
    pid_t child;
    int status;

    memset(seen, 0, sizeof(seen));
    child = fork();
    if (child == 0) {
        ctn_ring_t *r;
        /* Attached as the worker is, not inherited from the formatter. */
        if (ctn_ring_attach(&r, mem, bytes, unit_pool) != APR_SUCCESS) {
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
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ctn_ring_stats(ring, &st);
    ck_assert_int_eq(st.head, 2 * PER_PROCESS);
    ck_assert_int_eq(st.writes, 2 * PER_PROCESS);
    ck_assert_int_eq(st.drops, 0);
    for (apr_uint64_t after = 0;;) {
        ctn_ring_event_t ev;
        if (ctn_ring_read(ring, after, &ev, NULL) != APR_SUCCESS) {
            break;
        }
        ck_assert_int_eq(ev.seq, after + 1);
        ck_assert_int_eq(seen[ev.seq], 0);
        seen[ev.seq] = 1;
        from_child += strcmp(ev.business_id, "child") == 0;
        after = ev.seq;
    }
    for (int i = 1; i <= 2 * PER_PROCESS; i++) {
        ck_assert_int_eq(seen[i], 1);
    }
    ck_assert_int_eq(from_child, PER_PROCESS);
    munmap(mem, bytes);
}
END_TEST

#define HOLD_MS 300

/* Fork a child that takes the ring's lock in `mem`, tells us through a pipe,
 * holds it for HOLD_MS and then releases it, or, with `die_holding`, exits
 * still holding it. Returns the child's pid once it holds the lock. */
static pid_t child_holding_the_lock(void *mem, int die_holding, int *pipe_fd)
{
    int fds[2];
    char c;
    pid_t child;

    ck_assert_int_eq(pipe(fds), 0);
    child = fork();
    if (child == 0) {
        close(fds[0]);
        if (pthread_mutex_lock(ring_mutex(mem)) != 0 || write(fds[1], "x", 1) != 1) {
            _exit(2);
        }
        if (die_holding) {
            _exit(0);
        }
        usleep(HOLD_MS * 1000);
        _exit(pthread_mutex_unlock(ring_mutex(mem)) == 0 ? 0 : 4);
    }
    close(fds[1]);
    ck_assert_int_eq(read(fds[0], &c, 1), 1);
    *pipe_fd = fds[0];
    return child;
}

static void reap(pid_t child, int pipe_fd)
{
    int status;

    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    close(pipe_fd);
}

/* While another process is inside the lock (as a writer mid-write is), a
 * read waits for it; head stays readable without the lock. */
START_TEST(a_read_waits_while_another_process_holds_the_lock)
{
    apr_size_t bytes = ctn_ring_bytes(16);
    void *mem = shared_memory(bytes);
    ctn_ring_t *ring = make_ring_at(mem, 16);
    ctn_ring_event_t ev;
    apr_time_t t0, head_took, read_took;
    int pipe_fd;
    pid_t child;

    ck_assert_int_eq(ctn_ring_write(ring, "b", "CA", "t", "{\"a\":1}", NULL), APR_SUCCESS);
    child = child_holding_the_lock(mem, 0, &pipe_fd);
    t0 = apr_time_now();
    ck_assert_int_eq(ctn_ring_head(ring), 1);
    head_took = apr_time_now() - t0;
    ck_assert_int_eq(ctn_ring_read(ring, 0, &ev, NULL), APR_SUCCESS);
    read_took = apr_time_now() - t0;
    reap(child, pipe_fd);
    ck_assert_int_lt(head_took, apr_time_from_msec(50));
    ck_assert_int_ge(read_took, apr_time_from_msec(HOLD_MS - 50));
    ck_assert_str_eq(ev.payload, "{\"a\":1}");
    munmap(mem, bytes);
}
END_TEST

/* A process killed inside the lock (an httpd child mid-write) does not
 * wedge the ring: the next writer recovers the lock and carries on, and
 * readers see every event that was published. */
START_TEST(a_process_dying_inside_the_lock_does_not_wedge_the_ring)
{
    apr_size_t bytes = ctn_ring_bytes(16);
    void *mem = shared_memory(bytes);
    ctn_ring_t *ring = make_ring_at(mem, 16);
    ctn_ring_event_t ev;
    apr_uint64_t seq = 0, missed = 0;
    int pipe_fd;
    pid_t child;

    ck_assert_int_eq(ctn_ring_write(ring, "b", "CA", "t", "{\"n\":1}", NULL), APR_SUCCESS);
    child = child_holding_the_lock(mem, 1, &pipe_fd);
    reap(child, pipe_fd);
    ck_assert_int_eq(ctn_ring_write(ring, "b", "CA", "t", "{\"n\":2}", &seq), APR_SUCCESS);
    ck_assert_uint_eq(seq, 2);
    ck_assert_int_eq(ctn_ring_write(ring, "b", "CA", "t", "{\"n\":3}", &seq), APR_SUCCESS);
    ck_assert_int_eq(ctn_ring_read(ring, 1, &ev, &missed), APR_SUCCESS);
    ck_assert_str_eq(ev.payload, "{\"n\":2}");
    ck_assert_uint_eq(missed, 0);
    /* The lock is sound again: another process can still take it. */
    child = child_holding_the_lock(mem, 0, &pipe_fd);
    reap(child, pipe_fd);
    ck_assert_int_eq(ctn_ring_read(ring, 2, &ev, NULL), APR_SUCCESS);
    ck_assert_str_eq(ev.payload, "{\"n\":3}");
    munmap(mem, bytes);
}
END_TEST

START_TEST(wait_returns_the_head_at_once_when_it_moved)
{
    ctn_ring_t *ring = make_ring(4);

    ck_assert_int_eq(ctn_ring_write(ring, "b", "CA", "t", "{}", NULL), APR_SUCCESS);
    ck_assert_uint_eq(ctn_ring_wait(ring, 0, apr_time_from_sec(30)), 1);
    /* a ring made afresh (head behind the reader) is a change too */
    ck_assert_uint_eq(ctn_ring_wait(ring, 7, apr_time_from_sec(30)), 1);
}
END_TEST

START_TEST(wait_gives_up_after_its_timeout_with_the_same_head)
{
    ctn_ring_t *ring = make_ring(4);

    ck_assert_uint_eq(ctn_ring_wait(ring, 0, apr_time_from_msec(20)), 0);
    ck_assert_uint_eq(ctn_ring_wait(ring, 0, 0), 0);
}
END_TEST

START_TEST(a_write_in_another_process_wakes_a_sleeping_reader)
{
    apr_size_t bytes = ctn_ring_bytes(16);
    void *mem = shared_memory(bytes);
    ctn_ring_t *ring = make_ring_at(mem, 16);
    apr_time_t start;
    pid_t child;
    int status;

    child = fork();
    if (child == 0) {
        ctn_ring_t *r;
        apr_sleep(apr_time_from_msec(100));
        _exit(ctn_ring_attach(&r, mem, bytes, unit_pool) == APR_SUCCESS &&
                      ctn_ring_write(r, "b", "CA", "t", "{}", NULL) == APR_SUCCESS
                  ? 0
                  : 1);
    }
    start = apr_time_now();
    /* Woken by the write, long before the 60 s timeout. */
    ck_assert_uint_eq(ctn_ring_wait(ring, 0, apr_time_from_sec(60)), 1);
    ck_assert(apr_time_now() - start < apr_time_from_sec(30));
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ring");
    TCase *seq = tcase_create("sequencing");
    TCase *limits = tcase_create("limits");
    TCase *attach = tcase_create("attach");
    TCase *procs = tcase_create("processes");

    tcase_add_checked_fixture(seq, unit_setup, unit_teardown);
    tcase_add_test(seq, events_get_increasing_sequence_numbers);
    tcase_add_loop_test(seq, full_ring_overwrites_oldest_and_counts_drops, 0,
                        sizeof(wrap_cases) / sizeof(wrap_cases[0]));
    tcase_add_test(seq, a_reader_catches_up_event_by_event_after_a_wrap);
    tcase_add_test(seq, a_half_written_slot_is_skipped_and_counted_missed);
    suite_add_tcase(s, seq);

    tcase_add_checked_fixture(limits, unit_setup, unit_teardown);
    tcase_add_loop_test(limits, fields_longer_than_their_slot_are_refused_not_truncated, 0,
                        sizeof(limit_cases) / sizeof(limit_cases[0]));
    tcase_add_test(limits, null_strings_are_stored_empty);
    suite_add_tcase(s, limits);

    tcase_add_checked_fixture(attach, unit_setup, unit_teardown);
    tcase_add_loop_test(attach, attach_refuses_what_is_not_a_ring_of_this_build, 0,
                        sizeof(attach_cases) / sizeof(attach_cases[0]));
    tcase_add_test(attach, attach_refuses_blank_memory_and_sees_the_formatters_events);
    tcase_add_test(attach, format_refuses_too_little_memory_or_no_capacity);
    suite_add_tcase(s, attach);

    tcase_add_checked_fixture(procs, unit_setup, unit_teardown);
    tcase_add_test(procs, concurrent_writers_from_two_processes_lose_nothing);
    tcase_add_test(procs, a_read_waits_while_another_process_holds_the_lock);
    tcase_add_test(procs, a_process_dying_inside_the_lock_does_not_wedge_the_ring);
    tcase_add_test(procs, wait_returns_the_head_at_once_when_it_moved);
    tcase_add_test(procs, wait_gives_up_after_its_timeout_with_the_same_head);
    tcase_add_test(procs, a_write_in_another_process_wakes_a_sleeping_reader);
    tcase_set_timeout(procs, 60);
    suite_add_tcase(s, procs);
    return s;
}

CTN_UNIT_MAIN(suite)
