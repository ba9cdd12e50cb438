/* ring.h: a bounded ring of sequenced events in shared memory.
 *
 * The live feed of the dashboard: transcript lines and call state written by
 * any process (httpd children for built-in calls, the media worker for
 * realtime calls), read by SSE handlers that remember the last sequence
 * number they saw. When the ring is full the oldest event is overwritten and
 * counted as dropped; a reader that fell behind learns how many it missed and
 * resumes from the database. Writers serialise on a lock given by the
 * program (an apr_global_mutex in httpd, the same lock file with flock(2) in
 * the worker); readers copy an event under the same lock. */
#ifndef CTN_RING_H
#define CTN_RING_H

#include <apr_pools.h>
#include <apr_time.h>

#define CTN_RING_PAYLOAD_MAX 1000

typedef struct ctn_ring_t ctn_ring_t;

typedef struct ctn_ring_lock_t {
    apr_status_t (*acquire)(void *baton);
    apr_status_t (*release)(void *baton);
    void *baton;
} ctn_ring_lock_t;

typedef struct ctn_ring_event_t {
    apr_uint64_t seq; /* set by the ring on write */
    apr_time_t at;    /* set by the ring on write */
    char business_id[37];
    char call_sid[40];
    char type[24]; /* call.started, transcript, call.updated, call.ended */
    apr_size_t payload_len;
    char payload[CTN_RING_PAYLOAD_MAX + 1]; /* JSON text, NUL-terminated */
} ctn_ring_event_t;

typedef struct ctn_ring_stats_t {
    apr_uint64_t capacity, head, oldest, writes, drops;
} ctn_ring_stats_t;

/* Bytes of memory a ring of `capacity` events needs. */
apr_size_t ctn_ring_bytes(apr_uint32_t capacity);

/* Format a fresh ring in `base` (`bytes` long). The ring handle lives in `pool`. */
apr_status_t ctn_ring_format(ctn_ring_t **ring, void *base, apr_size_t bytes, apr_uint32_t capacity,
                             const ctn_ring_lock_t *lock, apr_pool_t *pool);

/* Attach to a ring another process formatted; APR_EINVAL when `base` does
 * not hold one of this version and size. */
apr_status_t ctn_ring_attach(ctn_ring_t **ring, void *base, apr_size_t bytes,
                             const ctn_ring_lock_t *lock, apr_pool_t *pool);

/* Append an event (strings are truncated to their fields; a payload longer
 * than CTN_RING_PAYLOAD_MAX is refused with APR_EINVAL). `*seq` (may be
 * NULL) gets its sequence number. Any thread of any process. */
apr_status_t ctn_ring_write(ctn_ring_t *ring, const char *business_id, const char *call_sid,
                            const char *type, const char *payload, apr_uint64_t *seq);

/* Copy the first event with seq > `after` into `out`. APR_EAGAIN when there
 * is none yet. When `after` is older than the oldest event held, the oldest
 * is returned and `*missed` (may be NULL) says how many were lost. */
apr_status_t ctn_ring_read(ctn_ring_t *ring, apr_uint64_t after, ctn_ring_event_t *out,
                           apr_uint64_t *missed);

/* The last written sequence number (0: none), without taking the lock. */
apr_uint64_t ctn_ring_head(ctn_ring_t *ring);

void ctn_ring_stats(ctn_ring_t *ring, ctn_ring_stats_t *stats);

/* The worker's side of the lock: flock(2) on the lock file httpd's
 * apr_global_mutex (mechanism flock) uses, plus a thread mutex. */
apr_status_t ctn_ring_flock_lock_create(ctn_ring_lock_t *lock, const char *path, apr_pool_t *pool);

/* File-backed shared memory for the ring: a file in the runtime directory,
 * mapped MAP_SHARED, so that an unrelated program (the worker) can attach by
 * path. `create` makes a fresh file (a stale one is replaced), sizes it, and
 * hands it to `uid`/`gid` (-1: leave) with mode 0600. Unmapped when `pool`
 * is cleaned up; `create`'s cleanup also removes the file. */
apr_status_t ctn_ring_shm_create(void **base, const char *path, apr_size_t bytes, long uid,
                                 long gid, apr_pool_t *pool);
apr_status_t ctn_ring_shm_attach(void **base, apr_size_t *bytes, const char *path,
                                 apr_pool_t *pool);
#endif
