/* ring.c: the shared-memory event ring (see ring.h).
 *
 * Segment layout: one contiguous block with no pointers inside (every
 * process maps it at its own address), so slots are found by index.
 *
 *   offset 0                                                                    64
 *   +-------+---------+----------+-----------+------+--------+-------+-----+---------+-----+
 *   | magic | version | capacity | slot_size | head | writes | drops | gen | waiters | (8) |
 *   | u64   | u32     | u32      | u64       | u64  | u64    | u64   | u32 | u32     |     |
 *   +-------+---------+----------+-----------+------+--------+-------+-----+---------+-----+
 *   | lock: pthread_mutex_t, process-shared and robust (64 bytes)                        |
 *   +------------------------------------------------------------------------------------+
 *   128
 *   | slot 0            | slot 1            | ...   | slot capacity-1        |
 *   | ctn_ring_event_t  | (seq, at, business_id, call_sid, type, payload_len, |
 *   |                   |  payload[CTN_RING_PAYLOAD_MAX + 1])                 |
 *   +------------------------------------------------------------------------+
 *   128 + capacity * slot_size  (= ctn_ring_bytes(capacity))
 *
 * The event with sequence number s (1, 2, …) lives in slot (s - 1) % capacity.
 * head is the last sequence written; events max(1, head-capacity+1) .. head
 * are held. Writers fill the slot and then store head with release order
 * under the lock, so a poller may read head without the lock (acquire) to
 * decide whether to take the lock at all; readers copy a slot under the
 * lock, so they never see a slot half-written. writes and drops are only
 * changed under the lock but stored atomically so stats need no lock.
 *
 * The lock lives in the segment: a process-shared, robust pthread mutex,
 * initialised by ctn_ring_format. Every thread of every process that maps
 * the segment (httpd's children, the worker — a separate program, which APR
 * could not hand an apr_global_mutex) locks the same futex word, so an
 * uncontended write or read costs no system call at all; an earlier design
 * with a flock(2) lock file cost two per event, four events per caller turn,
 * plus a thread mutex in front of it. When a process dies holding the lock,
 * the next locker is told (EOWNERDEAD) and marks the mutex consistent: the
 * dead writer had not yet published the slot it was filling (head is stored
 * last), and the next write takes that slot over.
 *
 * Why a file-backed mapping of our own (ctn_ring_shm_create/attach) rather
 * than a named apr_shm: APR 1.7 on Linux makes named segments with
 * shm_open(), root-owned, and apr_shm_perms_set() returns APR_ENOTIMPL for
 * them, so a worker running as httpd's User could not attach. */
#include "ring.h"

#ifdef __linux__
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#endif

#include "log.h"

#include <apr_file_io.h>
#include <apr_portable.h>
#include <apr_strings.h>
#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define RING_MAGIC   0x43544e52494e4731ULL /* "CTNRING1" */
#define RING_VERSION 3

typedef struct ring_header_t {
    apr_uint64_t magic;
    apr_uint32_t version;
    apr_uint32_t capacity;
    apr_uint64_t slot_size;
    apr_uint64_t head;
    apr_uint64_t writes;
    apr_uint64_t drops;
    apr_uint32_t wake_gen; /* bumped on every write: the futex word readers sleep on */
    apr_uint32_t waiters;  /* readers asleep in ctn_ring_wait: wake only when > 0 */
    apr_uint64_t reserved;
    union {
        pthread_mutex_t mutex; /* process-shared, robust: see above */
        char bytes[64];
    } lock;
} ring_header_t;

/* The layout above is part of the segment's format (RING_VERSION). */
_Static_assert(sizeof(pthread_mutex_t) <= 64, "the ring's mutex must fit its 64 bytes");
_Static_assert(sizeof(ring_header_t) == 128, "ring header must stay 128 bytes");

struct ctn_ring_t {
    ring_header_t *hdr;
    ctn_ring_event_t *slots;
};

apr_size_t ctn_ring_bytes(apr_uint32_t capacity)
{
    return sizeof(ring_header_t) + (apr_size_t)capacity * sizeof(ctn_ring_event_t);
}

static apr_status_t make(ctn_ring_t **out, void *base, apr_pool_t *pool)
{
    ctn_ring_t *ring = apr_pcalloc(pool, sizeof(*ring));

    ring->hdr = base;
    ring->slots = (ctn_ring_event_t *)((char *)base + sizeof(ring_header_t));
    *out = ring;
    return APR_SUCCESS;
}

static apr_status_t init_lock(ring_header_t *hdr)
{
    pthread_mutexattr_t attr;
    int rc = pthread_mutexattr_init(&attr);

    if (rc == 0 && (rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED)) == 0 &&
        (rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST)) == 0) {
        rc = pthread_mutex_init(&hdr->lock.mutex, &attr);
    }
    pthread_mutexattr_destroy(&attr);
    return rc == 0 ? APR_SUCCESS : rc;
}

static apr_status_t lock_ring(ring_header_t *hdr)
{
    int rc = pthread_mutex_lock(&hdr->lock.mutex);

    if (rc == EOWNERDEAD) {
        /* Its holder died mid-write, before publishing its slot: nothing
         * the lock guards is half-done as far as readers can see. */
        ctn_log_warning(NULL, "event ring: a process died holding the ring's lock; recovered");
        rc = pthread_mutex_consistent(&hdr->lock.mutex);
    }
    return rc == 0 ? APR_SUCCESS : rc;
}

static apr_status_t unlock_ring(ring_header_t *hdr)
{
    int rc = pthread_mutex_unlock(&hdr->lock.mutex);
    return rc == 0 ? APR_SUCCESS : rc;
}

apr_status_t ctn_ring_format(ctn_ring_t **ring, void *base, apr_size_t bytes, apr_uint32_t capacity,
                             apr_pool_t *pool)
{
    ring_header_t *hdr = base;
    apr_status_t rv;

    if (capacity == 0 || bytes < ctn_ring_bytes(capacity)) {
        return APR_EINVAL;
    }
    memset(base, 0, ctn_ring_bytes(capacity));
    if ((rv = init_lock(hdr)) != APR_SUCCESS) {
        return rv;
    }
    hdr->version = RING_VERSION;
    hdr->capacity = capacity;
    hdr->slot_size = sizeof(ctn_ring_event_t);
    __atomic_store_n(&hdr->magic, RING_MAGIC, __ATOMIC_RELEASE);
    return make(ring, base, pool);
}

apr_status_t ctn_ring_attach(ctn_ring_t **ring, void *base, apr_size_t bytes, apr_pool_t *pool)
{
    ring_header_t *hdr = base;
    const char *why = NULL;

    if (bytes < sizeof(*hdr)) {
        why = "the segment is smaller than the ring's header";
    } else if (__atomic_load_n(&hdr->magic, __ATOMIC_ACQUIRE) != RING_MAGIC) {
        why = "no ring in the segment (bad magic)";
    } else if (hdr->version != RING_VERSION) {
        why = "the ring has another format version (httpd and the worker are of different builds)";
    } else if (hdr->slot_size != sizeof(ctn_ring_event_t)) {
        why = "the ring's slot size differs from this build's";
    } else if (hdr->capacity == 0 || bytes < ctn_ring_bytes(hdr->capacity)) {
        why = "the segment is smaller than the ring's capacity needs";
    }
    if (why != NULL) {
        ctn_log_err(NULL, "event ring: cannot attach: %s", why);
        return APR_EINVAL;
    }
    return make(ring, base, pool);
}

/* Copy `src` (NULL: empty) into a fixed field, or APR_EINVAL when it does
 * not fit: a truncated business id or call SID would route an event to the
 * wrong dashboard, so nothing is ever cut silently. */
static apr_status_t check_field(apr_size_t size, const char *src)
{
    return src == NULL || strlen(src) < size ? APR_SUCCESS : APR_EINVAL;
}

static void copy_field(char *dst, apr_size_t size, const char *src)
{
    apr_size_t n = src ? strlen(src) : 0;

    memcpy(dst, src ? src : "", n);
    memset(dst + n, 0, size - n); /* no stale bytes of the overwritten event */
}

/* Readers sleep on wake_gen with a futex that is not process-private, so a
 * write by any process (httpd child or worker) wakes readers in all of
 * them: the segment is a MAP_SHARED file mapping, and Linux keys shared
 * futexes by the file and offset. Elsewhere, readers poll. */
static void wake_readers(ring_header_t *hdr)
{
    __atomic_add_fetch(&hdr->wake_gen, 1, __ATOMIC_SEQ_CST);
#ifdef __linux__
    if (__atomic_load_n(&hdr->waiters, __ATOMIC_SEQ_CST) > 0) {
        syscall(SYS_futex, &hdr->wake_gen, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
    }
#endif
}

apr_status_t ctn_ring_write(ctn_ring_t *ring, const char *business_id, const char *call_sid,
                            const char *type, const char *payload, apr_uint64_t *seq)
{
    apr_size_t len = payload ? strlen(payload) : 0;
    ring_header_t *hdr = ring->hdr;
    ctn_ring_event_t *slot;
    apr_uint64_t next;
    apr_status_t rv;

    if (len > CTN_RING_PAYLOAD_MAX || check_field(sizeof(slot->business_id), business_id) ||
        check_field(sizeof(slot->call_sid), call_sid) || check_field(sizeof(slot->type), type)) {
        return APR_EINVAL;
    }
    if ((rv = lock_ring(hdr)) != APR_SUCCESS) {
        return rv;
    }
    next = hdr->head + 1;
    slot = &ring->slots[(next - 1) % hdr->capacity];
    if (next > hdr->capacity) {
        /* the slot's previous event is overwritten */
        __atomic_store_n(&hdr->drops, hdr->drops + 1, __ATOMIC_RELAXED);
    }
    slot->seq = next;
    slot->at = apr_time_now();
    copy_field(slot->business_id, sizeof(slot->business_id), business_id);
    copy_field(slot->call_sid, sizeof(slot->call_sid), call_sid);
    copy_field(slot->type, sizeof(slot->type), type);
    memcpy(slot->payload, payload ? payload : "", len);
    slot->payload[len] = '\0';
    slot->payload_len = len;
    __atomic_store_n(&hdr->writes, hdr->writes + 1, __ATOMIC_RELAXED);
    /* Last, with release order: a lock-free poller that sees the new head
     * will find the slot complete once it takes the lock. */
    __atomic_store_n(&hdr->head, next, __ATOMIC_RELEASE);
    rv = unlock_ring(hdr);
    wake_readers(hdr);
    if (seq) {
        *seq = next;
    }
    return rv;
}

apr_uint64_t ctn_ring_wait(ctn_ring_t *ring, apr_uint64_t after, apr_interval_time_t timeout)
{
    ring_header_t *hdr = ring->hdr;
    apr_uint32_t gen = __atomic_load_n(&hdr->wake_gen, __ATOMIC_SEQ_CST);
    apr_uint64_t head = __atomic_load_n(&hdr->head, __ATOMIC_ACQUIRE);

    if (head != after || timeout <= 0) {
        return head;
    }
#ifdef __linux__
    {
        struct timespec ts = {(time_t)(timeout / APR_USEC_PER_SEC),
                              (long)(timeout % APR_USEC_PER_SEC) * 1000};
        __atomic_add_fetch(&hdr->waiters, 1, __ATOMIC_SEQ_CST);
        /* Returns at once when a write bumped wake_gen since it was read. */
        syscall(SYS_futex, &hdr->wake_gen, FUTEX_WAIT, gen, &ts, NULL, 0);
        __atomic_sub_fetch(&hdr->waiters, 1, __ATOMIC_SEQ_CST);
    }
#else
    (void)gen;
    apr_sleep(timeout < 20000 ? timeout : 20000);
#endif
    return __atomic_load_n(&hdr->head, __ATOMIC_ACQUIRE);
}

apr_status_t ctn_ring_read(ctn_ring_t *ring, apr_uint64_t after, ctn_ring_event_t *out,
                           apr_uint64_t *missed)
{
    ring_header_t *hdr = ring->hdr;
    apr_uint64_t head, oldest, want, lost = 0;
    apr_status_t rv;

    if (missed) {
        *missed = 0;
    }
    if (__atomic_load_n(&hdr->head, __ATOMIC_ACQUIRE) <= after) {
        return APR_EAGAIN; /* the common case for pollers, without the lock */
    }
    if ((rv = lock_ring(hdr)) != APR_SUCCESS) {
        return rv;
    }
    head = hdr->head;
    oldest = head > hdr->capacity ? head - hdr->capacity + 1 : 1;
    want = after + 1;
    if (want < oldest) {
        lost = oldest - want;
        want = oldest;
    }
    /* A slot whose seq does not match its place (overwritten while we
     * looked, or never completed) is counted as lost. */
    while (want <= head && ring->slots[(want - 1) % hdr->capacity].seq != want) {
        lost++;
        want++;
    }
    if (want > head) {
        rv = APR_EAGAIN;
    } else {
        memcpy(out, &ring->slots[(want - 1) % hdr->capacity], sizeof(*out));
        out->payload[CTN_RING_PAYLOAD_MAX] = '\0';
    }
    if (missed) {
        *missed = lost;
    }
    {
        apr_status_t released = unlock_ring(hdr);
        return rv == APR_SUCCESS ? released : rv;
    }
}

apr_uint64_t ctn_ring_head(ctn_ring_t *ring)
{
    return __atomic_load_n(&ring->hdr->head, __ATOMIC_ACQUIRE);
}

void ctn_ring_stats(ctn_ring_t *ring, ctn_ring_stats_t *stats)
{
    ring_header_t *hdr = ring->hdr;

    stats->capacity = hdr->capacity;
    stats->head = __atomic_load_n(&hdr->head, __ATOMIC_ACQUIRE);
    stats->oldest = stats->head > hdr->capacity ? stats->head - hdr->capacity + 1 : 1;
    stats->writes = __atomic_load_n(&hdr->writes, __ATOMIC_RELAXED);
    stats->drops = __atomic_load_n(&hdr->drops, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------ file-backed memory --- */

typedef struct mapping_t {
    void *base;
    apr_size_t bytes;
    const char *unlink_path; /* NULL: keep the file */
} mapping_t;

static apr_status_t unmap(void *data)
{
    mapping_t *m = data;

    munmap(m->base, m->bytes);
    if (m->unlink_path) {
        unlink(m->unlink_path);
    }
    return APR_SUCCESS;
}

static apr_status_t map_fd(void **base, int fd, apr_size_t bytes, const char *unlink_path,
                           apr_pool_t *pool)
{
    mapping_t *m = apr_pcalloc(pool, sizeof(*m));
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

    if (p == MAP_FAILED) {
        return errno;
    }
    m->base = p;
    m->bytes = bytes;
    m->unlink_path = unlink_path;
    apr_pool_cleanup_register(pool, m, unmap, apr_pool_cleanup_null);
    *base = p;
    return APR_SUCCESS;
}

apr_status_t ctn_ring_shm_create(void **base, const char *path, apr_size_t bytes, long uid,
                                 long gid, apr_pool_t *pool)
{
    apr_status_t rv;
    int fd;

    unlink(path);
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        return errno;
    }
    if (ftruncate(fd, (off_t)bytes) != 0 ||
        ((uid >= 0 || gid >= 0) && fchown(fd, (uid_t)uid, (gid_t)gid) != 0)) {
        rv = errno;
        close(fd);
        unlink(path);
        return rv;
    }
    rv = map_fd(base, fd, bytes, apr_pstrdup(pool, path), pool);
    close(fd);
    return rv;
}

apr_status_t ctn_ring_shm_attach(void **base, apr_size_t *bytes, const char *path, apr_pool_t *pool)
{
    struct stat st;
    apr_status_t rv;
    int fd = open(path, O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        return errno;
    }
    if (fstat(fd, &st) != 0) {
        rv = errno;
        close(fd);
        return rv;
    }
    *bytes = (apr_size_t)st.st_size;
    rv = map_fd(base, fd, *bytes, NULL, pool);
    close(fd);
    return rv;
}
