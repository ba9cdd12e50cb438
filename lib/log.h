/* log.h: logging for libcortana, independent of the program it runs in.
 *
 * libcortana never writes to stderr or to the httpd error log itself: it calls
 * a sink that the program installs once at start-up. mod_cortana installs a
 * sink that calls ap_log_error (so `LogLevel cortana:debug` works); the worker
 * and the tools install ctn_log_stderr_sink. Every line that concerns a call
 * carries its CallSid as the prefix ("CA…: message"); pass NULL when a line
 * concerns no call. Never pass a secret, a password or a full card number. */
#ifndef CTN_LOG_H
#define CTN_LOG_H

#include <stdarg.h>

/* Levels follow syslog (and httpd's APLOG_*) numbering. */
typedef enum {
    CTN_LOG_ERR = 3,
    CTN_LOG_WARNING = 4,
    CTN_LOG_NOTICE = 5,
    CTN_LOG_INFO = 6,
    CTN_LOG_DEBUG = 7
} ctn_log_level_e;

/* A sink receives a finished message (no trailing newline). `call_sid` is
 * NULL or the call the line is about. Sinks must be thread-safe. */
typedef void ctn_log_sink_fn(void *baton, ctn_log_level_e level, const char *call_sid,
                             const char *file, int line, const char *message);

/* Install the process-wide sink and the most verbose level it wants.
 * Call once at start-up, before threads exist. */
void ctn_log_set_sink(ctn_log_sink_fn *sink, void *baton, ctn_log_level_e max_level);

/* True when a message at `level` would reach the sink (skip costly formatting). */
int ctn_log_enabled(ctn_log_level_e level);

/* Format and send one line. Thread-safe; never allocates from a pool. */
void ctn_log_at(const char *file, int line, ctn_log_level_e level, const char *call_sid,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The sink for programs: "2026-11-24T20:00:00Z cortana-media[pid] LEVEL CA…: message"
 * on stderr. `baton` is the program name (const char *). */
void ctn_log_stderr_sink(void *baton, ctn_log_level_e level, const char *call_sid, const char *file,
                         int line, const char *message);

#define ctn_log_err(sid, ...)     ctn_log_at(__FILE__, __LINE__, CTN_LOG_ERR, sid, __VA_ARGS__)
#define ctn_log_warning(sid, ...) ctn_log_at(__FILE__, __LINE__, CTN_LOG_WARNING, sid, __VA_ARGS__)
#define ctn_log_notice(sid, ...)  ctn_log_at(__FILE__, __LINE__, CTN_LOG_NOTICE, sid, __VA_ARGS__)
#define ctn_log_info(sid, ...)    ctn_log_at(__FILE__, __LINE__, CTN_LOG_INFO, sid, __VA_ARGS__)
#define ctn_log_debug(sid, ...)   ctn_log_at(__FILE__, __LINE__, CTN_LOG_DEBUG, sid, __VA_ARGS__)

#endif
