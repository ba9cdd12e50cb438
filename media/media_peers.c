/* media_peers.c: other hosts' live events, into this host's ring.
 *
 * With --peer-events (CortanaPeerEvents On) the module and the worker send
 * every live event they write to their ring on the PostgreSQL channel
 * CTN_PEERS_CHANNEL as well (lib/peers.c). This thread keeps one connection
 * LISTENing on it and writes each event tagged with another host's id into
 * this host's ring, so an owner's dashboard here shows a call answered
 * anywhere. It waits in poll() on the connection's socket (a second at a
 * time, to notice a stop), and reconnects with a growing pause (up to 30 s)
 * when the database goes away. Events sent while it was disconnected are
 * not lost to viewers: the live feed replays from the database whenever the
 * ring cannot resume a viewer. */
#include "media.h"

#include "db.h"
#include "log.h"
#include "peers.h"

#include <apr_thread_proc.h>
#include <errno.h>
#include <poll.h>
#include <string.h>

static PGconn *listen_conn(media_t *m, apr_pool_t *pool)
{
    const char *why = NULL;
    PGconn *conn = NULL;
    PGresult *res;

    if (ctn_db_connect(&conn, pool, m->database, &why) != APR_SUCCESS) {
        ctn_log_warning(NULL, "peer events: database unavailable: %s", why);
        return NULL;
    }
    res = PQexec(conn, "LISTEN " CTN_PEERS_CHANNEL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        ctn_log_warning(NULL, "peer events: LISTEN failed: %s", PQerrorMessage(conn));
        PQclear(res);
        return NULL;
    }
    PQclear(res);
    ctn_log_info(NULL, "peer events: listening as host %s", m->peer_host_id);
    m->peer_listening = 1;
    return conn;
}

/* Write the notifications that came in; 0 once the connection is broken. */
static int take_notifications(media_t *m, PGconn *conn, apr_pool_t *pool)
{
    PGnotify *n;
    ctn_peer_event_t ev;

    if (!PQconsumeInput(conn)) {
        ctn_log_warning(NULL, "peer events: connection lost: %s", PQerrorMessage(conn));
        return 0;
    }
    while ((n = PQnotifies(conn)) != NULL) {
        if (ctn_peers_parse(&ev, pool, n->extra) != APR_SUCCESS) {
            ctn_log_warning(NULL, "peer events: a notification that is not an event: ignored");
        } else if (strcmp(ev.host_id, m->peer_host_id) != 0 && m->ring != NULL) {
            if (ctn_ring_write(m->ring, ev.business_id, ev.call_sid, ev.type, ev.payload, NULL) ==
                APR_SUCCESS) {
                m->peer_events_in++;
            }
        }
        PQfreemem(n);
        apr_pool_clear(pool);
    }
    return 1;
}

static void *APR_THREAD_FUNC peers_main(apr_thread_t *thread, void *data)
{
    media_t *m = data;
    apr_pool_t *conn_pool, *pool;
    PGconn *conn = NULL;
    int pause_s = 1;

    apr_pool_create(&conn_pool, NULL);
    apr_pool_create(&pool, NULL);
    while (!m->stopping) {
        struct pollfd pfd;
        if (conn == NULL && (conn = listen_conn(m, conn_pool)) == NULL) {
            apr_pool_clear(conn_pool);
            for (int i = 0; i < pause_s * 10 && !m->stopping; i++) {
                apr_sleep(apr_time_from_msec(100));
            }
            pause_s = pause_s < 30 ? pause_s * 2 : 30;
            continue;
        }
        pause_s = 1;
        pfd.fd = PQsocket(conn);
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (poll(&pfd, 1, 1000) < 0 && errno != EINTR) {
            break;
        }
        if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) && !take_notifications(m, conn, pool)) {
            apr_pool_clear(conn_pool); /* closes the connection (ctn_db_connect's cleanup) */
            conn = NULL;
            m->peer_listening = 0;
        }
    }
    apr_pool_destroy(pool);
    apr_pool_destroy(conn_pool);
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

apr_status_t media_peers_start(media_t *m)
{
    if (m->peer_host_id == NULL) {
        return APR_SUCCESS;
    }
    if (m->database == NULL) {
        ctn_log_warning(NULL, "no CORTANA_DATABASE: other hosts' live events are not shown");
        return APR_SUCCESS;
    }
    return apr_thread_create(&m->peers_thread, NULL, peers_main, m, m->pool);
}

void media_peers_stop(media_t *m)
{
    apr_status_t rv;

    if (m->peers_thread != NULL) {
        apr_thread_join(&rv, m->peers_thread);
    }
}
