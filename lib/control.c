/* control.c: a blocking, bounded client of the worker's control socket.
 *
 * One request per connection: connect (non-blocking, so the connect itself
 * is bounded too), send the line, read until the first newline, close. Every
 * wait is a poll() against one overall deadline, so a stuck or overloaded
 * worker costs the caller (an httpd thread answering /healthz) at most
 * `timeout`. The server side is media/media_control.c. */
#include "control.h"

#include <apr_strings.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Replies are small JSON documents; a longer line is an error. */
#define CONTROL_REPLY_MAX 65536

static int remaining_ms(apr_time_t deadline)
{
    apr_time_t left = deadline - apr_time_now();
    return left <= 0 ? 0 : (int)(left / 1000) + 1;
}

static apr_status_t wait_for(int fd, short events, apr_time_t deadline)
{
    struct pollfd p = {fd, events, 0};
    int n;

    do {
        n = poll(&p, 1, remaining_ms(deadline));
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return errno;
    }
    return n == 0 ? APR_ETIMEDOUT : APR_SUCCESS;
}

apr_status_t ctn_control_call(const char **reply, apr_pool_t *pool, const char *socket_path,
                              const char *request, apr_interval_time_t timeout)
{
    apr_time_t deadline = apr_time_now() + timeout;
    struct sockaddr_un addr;
    const char *line = apr_pstrcat(pool, request, "\n", NULL);
    apr_size_t sent = 0, len = strlen(line), got = 0;
    char *buf = apr_palloc(pool, CONTROL_REPLY_MAX + 1);
    apr_status_t rv = APR_SUCCESS;
    int fd;

    if (strlen(socket_path) >= sizeof(addr.sun_path)) {
        return APR_ENAMETOOLONG;
    }
    if (strchr(request, '\n') != NULL) {
        return APR_EINVAL; /* one line per request: it would read as two */
    }
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, socket_path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return errno;
    }
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        if (errno != EINPROGRESS && errno != EAGAIN) {
            rv = errno;
            goto leave;
        }
        if ((rv = wait_for(fd, POLLOUT, deadline)) != APR_SUCCESS) {
            goto leave;
        }
    }
    while (sent < len) {
        ssize_t n = send(fd, line + sent, len - sent, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if ((rv = wait_for(fd, POLLOUT, deadline)) != APR_SUCCESS) {
                goto leave;
            }
            continue;
        }
        if (n < 0) {
            rv = errno;
            goto leave;
        }
        sent += (apr_size_t)n;
    }
    for (;;) {
        ssize_t n;
        char *nl;
        if ((rv = wait_for(fd, POLLIN, deadline)) != APR_SUCCESS) {
            goto leave;
        }
        n = recv(fd, buf + got, CONTROL_REPLY_MAX - got, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            continue;
        }
        if (n <= 0) {
            rv = n == 0 ? APR_EOF : errno;
            goto leave;
        }
        got += (apr_size_t)n;
        buf[got] = '\0';
        if ((nl = memchr(buf, '\n', got)) != NULL) {
            *nl = '\0';
            *reply = buf;
            break;
        }
        if (got == CONTROL_REPLY_MAX) {
            rv = APR_ENOSPC;
            goto leave;
        }
    }
leave:
    close(fd);
    return rv;
}
