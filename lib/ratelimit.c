/* ratelimit.c: failure counters in shared memory (see ratelimit.h).
 *
 *   +--------------------+------------------------------------------+
 *   | header             | slot[0] … slot[n-1]                      |
 *   | magic, slots       | key hash, window start (s), window, count |
 *   +--------------------+------------------------------------------+
 *
 * Keys are hashed (64-bit FNV-1a) and looked up by linear probing over at
 * most PROBE slots from the hash's home; nothing in the segment is a
 * pointer, so every process may map it at its own address. */
#include "ratelimit.h"

#include <apr_strings.h>
#include <string.h>

#define MAGIC 0x43524c31u /* "CRL1" */
#define PROBE 16

typedef struct slot_t {
    apr_uint64_t hash; /* 0: empty */
    apr_int64_t window_start;
    apr_int64_t window_s;
    apr_uint32_t count;
} slot_t;

typedef struct header_t {
    apr_uint32_t magic;
    apr_uint32_t slots;
} header_t;

struct ctn_ratelimit_t {
    header_t *header;
    slot_t *slot;
    ctn_ratelimit_lock_t lock;
};

apr_size_t ctn_ratelimit_bytes(unsigned slots)
{
    return APR_ALIGN_DEFAULT(sizeof(header_t)) + (apr_size_t)slots * sizeof(slot_t);
}

static ctn_ratelimit_t *handle(void *base, const ctn_ratelimit_lock_t *lock, apr_pool_t *pool)
{
    ctn_ratelimit_t *rl = apr_pcalloc(pool, sizeof(*rl));

    rl->header = base;
    rl->slot = (slot_t *)((char *)base + APR_ALIGN_DEFAULT(sizeof(header_t)));
    rl->lock = *lock;
    return rl;
}

apr_status_t ctn_ratelimit_format(ctn_ratelimit_t **rl, void *base, apr_size_t bytes,
                                  unsigned slots, const ctn_ratelimit_lock_t *lock,
                                  apr_pool_t *pool)
{
    if (slots < PROBE || bytes < ctn_ratelimit_bytes(slots)) {
        return APR_EINVAL;
    }
    memset(base, 0, ctn_ratelimit_bytes(slots));
    ((header_t *)base)->magic = MAGIC;
    ((header_t *)base)->slots = slots;
    *rl = handle(base, lock, pool);
    return APR_SUCCESS;
}

apr_status_t ctn_ratelimit_attach(ctn_ratelimit_t **rl, void *base,
                                  const ctn_ratelimit_lock_t *lock, apr_pool_t *pool)
{
    if (((header_t *)base)->magic != MAGIC) {
        return APR_EINVAL;
    }
    *rl = handle(base, lock, pool);
    return APR_SUCCESS;
}

static apr_uint64_t key_hash(const char *key)
{
    apr_uint64_t h = 1469598103934665603ULL;

    for (const unsigned char *s = (const unsigned char *)key; *s; s++) {
        h = (h ^ *s) * 1099511628211ULL;
    }
    return h ? h : 1; /* 0 marks an empty slot */
}

static int expired(const slot_t *s, apr_int64_t now_s)
{
    return s->hash == 0 || now_s >= s->window_start + s->window_s;
}

/* The slot of `hash`, or (when `claim`) a free, expired or the oldest slot
 * in its probe range, reset for it. NULL when absent and not claiming. */
static slot_t *find(ctn_ratelimit_t *rl, apr_uint64_t hash, int claim, apr_int64_t now_s)
{
    apr_uint32_t n = rl->header->slots;
    slot_t *victim = NULL;

    for (apr_uint32_t i = 0; i < PROBE; i++) {
        slot_t *s = &rl->slot[(hash + i) % n];
        if (s->hash == hash) {
            return s;
        }
        if (victim == NULL || (!expired(victim, now_s) &&
                               (expired(s, now_s) || s->window_start < victim->window_start))) {
            victim = s;
        }
    }
    if (!claim) {
        return NULL;
    }
    memset(victim, 0, sizeof(*victim));
    victim->hash = hash;
    victim->window_start = now_s;
    return victim;
}

long ctn_ratelimit_retry_after(ctn_ratelimit_t *rl, const char *key, unsigned max, apr_time_t now)
{
    apr_int64_t now_s = apr_time_sec(now);
    long wait = 0;
    slot_t *s;

    if (rl->lock.acquire(rl->lock.baton) != APR_SUCCESS) {
        return 0; /* fail open: a broken lock must not lock every owner out */
    }
    s = find(rl, key_hash(key), 0, now_s);
    if (s && !expired(s, now_s) && s->count >= max) {
        wait = (long)(s->window_start + s->window_s - now_s);
    }
    rl->lock.release(rl->lock.baton);
    return wait > 0 ? wait : 0;
}

/* Count one failure in `key`'s slot; the lock is held. */
static void count_failure(ctn_ratelimit_t *rl, apr_uint64_t hash, long window_s, apr_int64_t now_s)
{
    slot_t *s = find(rl, hash, 1, now_s);

    if (expired(s, now_s) || s->count == 0) {
        s->window_start = now_s;
        s->count = 0;
    }
    s->window_s = window_s;
    s->count++;
}

void ctn_ratelimit_fail(ctn_ratelimit_t *rl, const char *key, long window_s, apr_time_t now)
{
    if (rl->lock.acquire(rl->lock.baton) != APR_SUCCESS) {
        return;
    }
    count_failure(rl, key_hash(key), window_s, apr_time_sec(now));
    rl->lock.release(rl->lock.baton);
}

long ctn_ratelimit_take(ctn_ratelimit_t *rl, const char *key, unsigned max, long window_s,
                        apr_time_t now)
{
    apr_int64_t now_s = apr_time_sec(now);
    apr_uint64_t hash = key_hash(key);
    long wait = 0;
    slot_t *s;

    if (rl->lock.acquire(rl->lock.baton) != APR_SUCCESS) {
        return 0; /* fail open, as ctn_ratelimit_retry_after */
    }
    s = find(rl, hash, 0, now_s);
    if (s && !expired(s, now_s) && s->count >= max) {
        wait = (long)(s->window_start + s->window_s - now_s);
    }
    if (wait <= 0) {
        wait = 0;
        count_failure(rl, hash, window_s, now_s);
    }
    rl->lock.release(rl->lock.baton);
    return wait;
}

void ctn_ratelimit_refund(ctn_ratelimit_t *rl, const char *key)
{
    slot_t *s;

    if (rl->lock.acquire(rl->lock.baton) != APR_SUCCESS) {
        return;
    }
    s = find(rl, key_hash(key), 0, 0);
    if (s && s->count > 0) {
        s->count--;
    }
    rl->lock.release(rl->lock.baton);
}

void ctn_ratelimit_clear(ctn_ratelimit_t *rl, const char *key)
{
    slot_t *s;

    if (rl->lock.acquire(rl->lock.baton) != APR_SUCCESS) {
        return;
    }
    s = find(rl, key_hash(key), 0, 0);
    if (s) {
        s->count = 0;
    }
    rl->lock.release(rl->lock.baton);
}
