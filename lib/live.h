/* live.h: the live feed of a business's calls as Server-Sent Events.
 *
 * GET /api/transcripts streams, for the owner's business only, the ring
 * events call.started, transcript, call.updated and call.ended; each SSE
 * message's id is the event's ring sequence number. A viewer that comes
 * back with Last-Event-ID resumes from the ring while it still holds the
 * events after that id; when it no longer does (the viewer was away for
 * longer than the ring's capacity, or httpd restarted and the ring is new),
 * the calls of the last LIVE_REPLAY_MINUTES and every call still in
 * progress are replayed from the database — call.started, every transcript
 * line, call.ended — marked "replayed": true, so the viewer can merge them
 * by call_id and line seq without losing any. This file formats; the httpd
 * glue (mod_cortana_sse.c) waits, writes and flushes. */
#ifndef CTN_LIVE_H
#define CTN_LIVE_H

#include "ring.h"

#include <apr_pools.h>
#include <libpq-fe.h>

#define LIVE_REPLAY_MINUTES 30

/* One ring event as an SSE message ("id: …\nevent: …\ndata: …\n\n"). */
const char *ctn_live_message(apr_pool_t *pool, const ctn_ring_event_t *ev);

/* The replay from the database as SSE messages, all with id `id` (the ring
 * head the stream continues from). The connection's tenant must be the
 * viewer's business. "" when there is nothing to replay. */
apr_status_t ctn_live_replay(const char **messages, PGconn *conn, apr_pool_t *pool,
                             apr_uint64_t id);

#endif
