/* log.h - the daemons' logger
 *
 * huddle-ctld and huddle-agent log through here; libraries never do (they
 * return errors and let the daemon decide).  One process-wide logger:
 *
 *     log_init ("huddle-ctld", LOG_LEVEL_INFO, NULL);      // stderr
 *     log_msg (LOG_LEVEL_WARN, "node %s missed %d heartbeats", name, n);
 *
 * Each line is "2025-01-31T12:00:00.123Z huddle-ctld[123]: warn: TEXT\n",
 * written with one write() so concurrent writers do not interleave.
 * Messages above the configured level are dropped cheaply.
 */
#ifndef HUDDLE_LOG_H
#define HUDDLE_LOG_H

#include <stdarg.h>

enum log_level {
    LOG_LEVEL_ERROR = 0,
    LOG_LEVEL_WARN = 1,
    LOG_LEVEL_INFO = 2,
    LOG_LEVEL_DEBUG = 3,
};

/* Set the program name (copied), the most verbose level that is written, and
 * the destination: a file path opened for append, or NULL for stderr.  May be
 * called again (e.g. to reopen a rotated file).  Returns 0, or -1 with errno
 * when the file cannot be opened (the previous destination stays). */
int log_init (const char *progname, enum log_level level, const char *path);

/* Change the level without reopening anything. */
void log_set_level (enum log_level level);
enum log_level log_get_level (void);

/* Close the log file, if any, and go back to stderr. */
void log_fini (void);

/* Write one line (a trailing newline in fmt is not needed).  Keeps errno, so
 * log_msg (LOG_LEVEL_ERROR, "...: %s", strerror (errno)) then return -1 works. */
void log_msg (enum log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void log_vmsg (enum log_level level, const char *fmt, va_list ap);

/* "error", "warn", "info", "debug". */
const char *log_level_name (enum log_level level);

/* Parse a level name (also accepts "warning" and the digits 0-3).  Returns 0
 * and sets *level, or -1 with errno = EINVAL. */
int log_level_parse (const char *s, enum log_level *level);

#endif
