/* ratelimit.h: failure counters in shared memory, for log-in rate limits.
 *
 * A fixed table of slots, each counting failures of one key (an IP address
 * or an account) within a window. Every httpd child maps the same table, so
 * a password guesser cannot spread attempts across processes. The table is
 * small and bounded: when it is full the slot with the oldest window is
 * reused (a flood of distinct keys can push an old key out; it cannot make
 * the table grow). Callers pass a lock that serialises all processes. */
#ifndef CTN_RATELIMIT_H
#define CTN_RATELIMIT_H

#include <apr_pools.h>
#include <apr_time.h>

typedef struct ctn_ratelimit_t ctn_ratelimit_t;

typedef struct ctn_ratelimit_lock_t {
    apr_status_t (*acquire)(void *baton);
    apr_status_t (*release)(void *baton);
    void *baton;
} ctn_ratelimit_lock_t;

/* Bytes of shared memory a table of `slots` needs. */
apr_size_t ctn_ratelimit_bytes(unsigned slots);

/* Format a table in `base` (zeroed or not) and return its handle in `pool`. */
apr_status_t ctn_ratelimit_format(ctn_ratelimit_t **rl, void *base, apr_size_t bytes,
                                  unsigned slots, const ctn_ratelimit_lock_t *lock,
                                  apr_pool_t *pool);

/* A handle on a table formatted by another process (after fork). */
apr_status_t ctn_ratelimit_attach(ctn_ratelimit_t **rl, void *base,
                                  const ctn_ratelimit_lock_t *lock, apr_pool_t *pool);

/* Seconds until `key` may try again when it may fail at most `max` times
 * per window (the window given to ctn_ratelimit_fail); 0 when it may try now. */
long ctn_ratelimit_retry_after(ctn_ratelimit_t *rl, const char *key, unsigned max, apr_time_t now);

/* Count one failure of `key`. */
void ctn_ratelimit_fail(ctn_ratelimit_t *rl, const char *key, long window_s, apr_time_t now);

/* Check and count in one step, for an attempt that takes a while to judge
 * (a password check): 0 when `key` may try now, and the attempt is counted
 * as a failure at once, so attempts running concurrently see each other;
 * else the seconds to wait, and nothing is counted. An attempt that turns
 * out not to be a failure gives its count back with ctn_ratelimit_refund. */
long ctn_ratelimit_take(ctn_ratelimit_t *rl, const char *key, unsigned max, long window_s,
                        apr_time_t now);

/* Give back one attempt counted by ctn_ratelimit_take. */
void ctn_ratelimit_refund(ctn_ratelimit_t *rl, const char *key);

/* Forget `key`'s failures (a successful log-in). */
void ctn_ratelimit_clear(ctn_ratelimit_t *rl, const char *key);

#endif
