/* peers.c: the wire format of live events between hosts (see peers.h).
 *
 * A notification's payload is {"h":host,"b":business,"c":call_sid,
 * "t":type,"p":payload-text}; the event's own JSON travels as a string, so
 * the receiving worker writes exactly the bytes the sending host wrote to
 * its ring. Payloads stay far below PostgreSQL's 8000-byte limit: ring
 * payloads are at most CTN_RING_PAYLOAD_MAX bytes. */
#include "peers.h"

#include "json.h"
#include "ring.h"

#include <apr_strings.h>
#include <sodium.h>
#include <string.h>

const char *ctn_peers_new_host_id(apr_pool_t *pool)
{
    unsigned char raw[CTN_PEERS_HOST_ID_LEN / 2];
    char *hex = apr_palloc(pool, CTN_PEERS_HOST_ID_LEN + 1);

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(hex, CTN_PEERS_HOST_ID_LEN + 1, raw, sizeof(raw));
    return hex;
}

apr_status_t ctn_peers_notify(PGconn *conn, apr_pool_t *pool, const char *host_id,
                              const char *business_id, const char *call_sid, const char *type,
                              const char *payload)
{
    const char *params[2];
    PGresult *res;
    apr_status_t rv;

    if (conn == NULL || host_id == NULL) {
        return APR_SUCCESS;
    }
    params[0] = CTN_PEERS_CHANNEL;
    params[1] = apr_psprintf(pool, "{\"h\":%s,\"b\":%s,\"c\":%s,\"t\":%s,\"p\":%s}",
                             ctn_json_quote(pool, host_id), ctn_json_quote(pool, business_id),
                             ctn_json_quote(pool, call_sid), ctn_json_quote(pool, type),
                             ctn_json_quote(pool, payload));
    res = PQexecParams(conn, "SELECT pg_notify($1, $2)", 2, NULL, params, NULL, NULL, 0);
    rv = PQresultStatus(res) == PGRES_TUPLES_OK ? APR_SUCCESS : APR_EGENERAL;
    PQclear(res);
    return rv;
}

apr_status_t ctn_peers_parse(ctn_peer_event_t *ev, apr_pool_t *pool, const char *text)
{
    const char *why = NULL;
    json_object *o = ctn_json_parse(pool, text, strlen(text), &why);

    if (o == NULL) {
        return APR_EINVAL;
    }
    ev->host_id = ctn_json_get_string(o, "h", NULL);
    ev->business_id = ctn_json_get_string(o, "b", NULL);
    ev->call_sid = ctn_json_get_string(o, "c", NULL);
    ev->type = ctn_json_get_string(o, "t", NULL);
    ev->payload = ctn_json_get_string(o, "p", NULL);
    if (!ev->host_id || !ev->business_id || !ev->call_sid || !ev->type || !ev->payload ||
        strlen(ev->business_id) != 36 || strlen(ev->payload) > CTN_RING_PAYLOAD_MAX) {
        return APR_EINVAL;
    }
    ev->host_id = apr_pstrdup(pool, ev->host_id);
    ev->business_id = apr_pstrdup(pool, ev->business_id);
    ev->call_sid = apr_pstrdup(pool, ev->call_sid);
    ev->type = apr_pstrdup(pool, ev->type);
    ev->payload = apr_pstrdup(pool, ev->payload);
    return APR_SUCCESS;
}
