/* peers.h: live events shared between the hosts of one database.
 *
 * Each host has its own event ring (shared memory), so an owner watching the
 * dashboard on host A would not see a call answered on host B. With
 * CortanaPeerEvents On, whoever writes an event to its host's ring also
 * sends it on the PostgreSQL channel CTN_PEERS_CHANNEL (pg_notify), tagged
 * with its host's id; each host's media worker LISTENs on the channel and
 * writes the other hosts' events into its own ring (media/media_peers.c).
 * NOTIFY is not subject to row-level security: the ring holds every
 * business's events anyway and the live feed filters by business. */
#ifndef CTN_PEERS_H
#define CTN_PEERS_H

#include <apr_pools.h>
#include <libpq-fe.h>

#define CTN_PEERS_CHANNEL     "cortana_events"
#define CTN_PEERS_HOST_ID_LEN 16 /* hex characters */

/* A fresh random host id (CTN_PEERS_HOST_ID_LEN hex characters). */
const char *ctn_peers_new_host_id(apr_pool_t *pool);

/* Send one event to the other hosts on `conn` (one round trip). A NULL conn
 * or host_id sends nothing. Non-success is logged by the caller at most. */
apr_status_t ctn_peers_notify(PGconn *conn, apr_pool_t *pool, const char *host_id,
                              const char *business_id, const char *call_sid, const char *type,
                              const char *payload);

/* A notification's payload taken apart; APR_EINVAL when it is not one of
 * ours. The strings point into `pool`. */
typedef struct ctn_peer_event_t {
    const char *host_id, *business_id, *call_sid, *type, *payload;
} ctn_peer_event_t;

apr_status_t ctn_peers_parse(ctn_peer_event_t *ev, apr_pool_t *pool, const char *text);

#endif
