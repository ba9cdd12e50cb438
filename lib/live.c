/* live.c: SSE messages of the live feed (see live.h). */
#include "live.h"

#include "log.h"

#include <apr_strings.h>
#include <string.h>
#include <sys/uio.h>

const char *ctn_live_message(apr_pool_t *pool, const ctn_ring_event_t *ev)
{
    /* Payloads are compact JSON (json-c escapes newlines), so one data line. */
    return apr_psprintf(pool, "id: %" APR_UINT64_T_FMT "\nevent: %s\ndata: %s\n\n", ev->seq,
                        ev->type, ev->payload);
}

apr_status_t ctn_live_replay(const char **messages, PGconn *conn, apr_pool_t *pool, apr_uint64_t id)
{
    static const char sql[] =
        "WITH recent AS (SELECT * FROM call_logs WHERE status = 'in-progress' OR started_at > "
        "now() - make_interval(mins => $1::int)) "
        "SELECT type, data::text FROM ("
        "SELECT c.started_at, c.id, 0 AS ord, 0 AS seq, 'call.started' AS type, "
        "json_build_object('call_id', c.id, 'call_sid', c.call_sid, 'from', c.from_number, "
        "'route', c.route, 'engine', c.engine, 'test', c.is_test, 'replayed', true) AS data "
        "FROM recent c "
        "UNION ALL SELECT c.started_at, c.id, 1, t.seq, 'transcript', json_build_object("
        "'call_id', c.id, 'call_sid', c.call_sid, 'speaker', t.speaker, 'text', t.text, "
        "'language', t.language, 'seq', t.seq, 'replayed', true) "
        "FROM recent c JOIN transcript_lines t ON t.call_log_id = c.id "
        "UNION ALL SELECT c.started_at, c.id, 2, 0, 'call.ended', json_build_object('call_id', "
        "c.id, 'call_sid', c.call_sid, 'disposition', coalesce(c.disposition, 'abandoned'), "
        "'duration_s', coalesce(c.duration_s, 0), 'replayed', true) "
        "FROM recent c WHERE c.status <> 'in-progress') e "
        "ORDER BY started_at, id, ord, seq";
    const char *params[1] = {apr_itoa(pool, LIVE_REPLAY_MINUTES)};
    PGresult *res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
    struct iovec *parts;
    int n;

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        ctn_log_err(NULL, "replaying the live feed failed: %s", PQresultErrorMessage(res));
        PQclear(res);
        return APR_EGENERAL;
    }
    n = PQntuples(res);
    parts = apr_palloc(pool, sizeof(*parts) * (n + 1));
    for (int i = 0; i < n; i++) {
        const char *m = apr_psprintf(pool, "id: %" APR_UINT64_T_FMT "\nevent: %s\ndata: %s\n\n", id,
                                     PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
        parts[i].iov_base = (void *)m;
        parts[i].iov_len = strlen(m);
    }
    *messages = n ? apr_pstrcatv(pool, parts, (apr_size_t)n, NULL) : "";
    PQclear(res);
    return APR_SUCCESS;
}
