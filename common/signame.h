/* signame.h - signals by name, as qsig, the controller and the agent spell them
 *
 * One table for every program that takes a signal from a user or the
 * wire: "TERM", "SIGTERM" and "15" all name SIGTERM.  Only the signals a
 * job may usefully be sent are known (HUP INT QUIT KILL USR1 USR2 TERM
 * CONT STOP TSTP); numbers 1..NSIG-1 are taken as they are.
 */
#ifndef HUDDLE_SIGNAME_H
#define HUDDLE_SIGNAME_H

/* The signal S names, or -1 (errno EINVAL) for a name this table does not
 * know, a bad number or NULL. */
int signame_parse (const char *s);

/* The name of SIG without "SIG" ("TERM"), or NULL when the table has none. */
const char *signame_name (int sig);

#endif
