/* daemon.h - what every huddle daemon does around its event loop
 *
 * huddle-ctld and huddle-agent share the same life cycle: a pid file that
 * appears only when the daemon is ready (tests and huddle-cluster wait on
 * it), SIGTERM/SIGINT to stop the loop, SIGHUP to reopen the log file
 * after rotation, SIGPIPE ignored.  This is daemon-only code: it logs
 * through common/log, which the daemon has initialised.
 */
#ifndef HUDDLE_DAEMON_H
#define HUDDLE_DAEMON_H

#include <event2/event.h>

#include "common/herror.h"

struct daemon_life;

/* Watch the signals on base.  progname and log_path (NULL: stderr) are
 * borrowed and must outlive the result; stop_note is appended to the
 * "SIGNAL: shutting down" line (e.g. " (jobs keep running)", or "").
 * NULL + err on failure. */
struct daemon_life *daemon_life_create (struct event_base *base, const char *progname,
                                        const char *log_path, const char *stop_note,
                                        struct herror *err);

/* Write our pid to path atomically (a reader never sees half a file); it is
 * removed again by daemon_life_destroy.  -1 + err on failure. */
int daemon_life_pid_file (struct daemon_life *life, const char *path, struct herror *err);

/* Stop watching signals and remove the pid file if one was written.
 * NULL-safe, keeps errno. */
void daemon_life_destroy (struct daemon_life *life);

#endif
