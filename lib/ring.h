/* ring.h: a bounded ring of sequenced events in shared memory.
 *
 * The live feed of the dashboard: transcript lines and call state written by
 * any process (httpd children for built-in calls, the media worker for
 * realtime calls), read by SSE handlers that remember the last sequence
 * number they saw. When the ring is full the oldest event is overwritten and
 * counted as dropped; a reader that fell behind learns how many it missed and
 * resumes from the database. Writers serialise on a process-shared, robust
 * mutex that lives in the segment itself; readers copy an event under it. */
#ifndef CTN_RING_H
#define CTN_RING_H

#include <apr_pools.h>
#include <apr_time.h>

#define CTN_RING_PAYLOAD_MAX 1000

typedef struct ctn_ring_t ctn_ring_t;

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

/* Format a fresh ring in `base` (`bytes` long, at least ctn_ring_bytes(capacity)):
 * header, its lock, magic and empty slots. The handle lives in `pool`.
 * Never format memory that processes are using: a new ring gets new memory
 * (ctn_ring_shm_create makes a new file). */
apr_status_t ctn_ring_format(ctn_ring_t **ring, void *base, apr_size_t bytes, apr_uint32_t capacity,
                             apr_pool_t *pool);

/* Attach to a ring another process formatted; APR_EINVAL (the reason
 * logged) when `base` does not hold a ring of this build's format that fits
 * in `bytes`. */
apr_status_t ctn_ring_attach(ctn_ring_t **ring, void *base, apr_size_t bytes, apr_pool_t *pool);

/* Append an event; the ring sets its seq and time. NULL strings are empty.
 * Nothing is truncated: a payload longer than CTN_RING_PAYLOAD_MAX bytes, or
 * a business_id/call_sid/type longer than its field (36/39/23 characters),
 * is refused with APR_EINVAL. When the ring is full the oldest event is
 * overwritten and counted in drops. `*seq` (may be NULL) gets the new
 * sequence number. Takes the lock; any thread of any process. */
apr_status_t ctn_ring_write(ctn_ring_t *ring, const char *business_id, const char *call_sid,
                            const char *type, const char *payload, apr_uint64_t *seq);

/* Copy the first event with seq > `after` into `out` (the caller's storage;
 * the payload is NUL-terminated). APR_EAGAIN when there is none yet (decided
 * without the lock). When `after` is older than the oldest event held, the
 * oldest is returned and `*missed` (may be NULL) says how many events were
 * overwritten in between, so the reader can fetch them from the database.
 * Copies under the lock, so never a half-written event. Any thread. */
apr_status_t ctn_ring_read(ctn_ring_t *ring, apr_uint64_t after, ctn_ring_event_t *out,
                           apr_uint64_t *missed);

/* The last written sequence number (0: none), one atomic load, no lock:
 * cheap enough for SSE handlers to poll. */
apr_uint64_t ctn_ring_head(ctn_ring_t *ring);

/* Sleep until the head moves past `after` (or differs from it: a ring made
 * afresh by a graceful restart starts again from 0), at most `timeout`.
 * Returns the head. Any thread of any process; wakes within microseconds
 * of a write on Linux (a shared futex), polls every 20 ms elsewhere. */
apr_uint64_t ctn_ring_wait(ctn_ring_t *ring, apr_uint64_t after, apr_interval_time_t timeout);

/* Capacity, head, oldest held seq, writes and drops since format; atomic
 * loads, no lock (the figures may be from slightly different instants). */
void ctn_ring_stats(ctn_ring_t *ring, ctn_ring_stats_t *stats);

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
