/* control.h: the client side of the media worker's control socket.
 *
 * One JSON object per line in, one JSON line out, over a unix socket
 * (e.g. {"cmd":"stats"}). Used by httpd children (/healthz) and tools. */
#ifndef CTN_CONTROL_H
#define CTN_CONTROL_H

#include <apr_pools.h>
#include <apr_time.h>

/* Send `request` (one line, without the newline; APR_EINVAL if it holds
 * one) to the worker listening on `socket_path` and read its one-line reply
 * into `*reply` (allocated in `pool`, newline stripped). Gives up after
 * `timeout` in total with APR_ETIMEDOUT; otherwise the errno of what failed
 * (ENOENT or ECONNREFUSED when no worker runs), APR_EOF when the worker
 * closed without a full line, APR_ENOSPC for a reply over 64 KiB.
 * Blocking; any thread of any process. */
apr_status_t ctn_control_call(const char **reply, apr_pool_t *pool, const char *socket_path,
                              const char *request, apr_interval_time_t timeout);

#endif
