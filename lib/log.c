/* log.c: the process-wide log sink of libcortana (see log.h). */
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Lines longer than this are truncated: a log line is not a data channel. */
#define CTN_LOG_LINE_MAX 2048

static ctn_log_sink_fn *log_sink = ctn_log_stderr_sink;
static void *log_baton = "cortana";
static ctn_log_level_e log_max_level = CTN_LOG_INFO;

void ctn_log_set_sink(ctn_log_sink_fn *sink, void *baton, ctn_log_level_e max_level)
{
    log_sink = sink;
    log_baton = baton;
    log_max_level = max_level;
}

int ctn_log_enabled(ctn_log_level_e level)
{
    return log_sink != NULL && level <= log_max_level;
}

void ctn_log_at(const char *file, int line, ctn_log_level_e level, const char *call_sid,
                const char *fmt, ...)
{
    char message[CTN_LOG_LINE_MAX];
    va_list ap;

    if (!ctn_log_enabled(level)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    log_sink(log_baton, level, call_sid, file, line, message);
}

static const char *level_name(ctn_log_level_e level)
{
    switch (level) {
    case CTN_LOG_ERR:
        return "error";
    case CTN_LOG_WARNING:
        return "warn";
    case CTN_LOG_NOTICE:
        return "notice";
    case CTN_LOG_INFO:
        return "info";
    case CTN_LOG_DEBUG:
        return "debug";
    }
    return "?";
}

void ctn_log_stderr_sink(void *baton, ctn_log_level_e level, const char *call_sid, const char *file,
                         int line, const char *message)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    char buf[CTN_LOG_LINE_MAX + 256];
    int n;

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    /* One write(2) per line so lines from several threads never interleave. */
    n = snprintf(buf, sizeof(buf), "%s %s[%ld] %s %s%s%s\n", stamp, (const char *)baton,
                 (long)getpid(), level_name(level), call_sid ? call_sid : "", call_sid ? ": " : "",
                 message);
    if (n > (int)sizeof(buf) - 1) {
        n = (int)sizeof(buf) - 1;
        buf[n - 1] = '\n';
    }
    if (write(STDERR_FILENO, buf, (size_t)n) < 0) {
        /* Nowhere left to report it. */
    }
    (void)file;
    (void)line;
}
