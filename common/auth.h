/* auth.h - MUNGE credentials for the huddle hello
 *
 * Every connection starts with a hello carrying a MUNGE credential whose
 * payload is "huddle-hello:ROLE" (docs/protocol.md).  The receiver decodes it
 * through munged, which gives the sender's uid/gid: identity always comes
 * from here, never from a message body.
 *
 * munged's socket is the library default (/run/munge/munge.socket.2) unless
 * the environment variable HUDDLE_MUNGE_SOCKET names another, which is how
 * tests use a private munged (tests/munge-private.sh).
 *
 * Errors: -1 with errno (EACCES: the credential was refused; EIO / ECONNREFUSED:
 * munged could not be asked; EINVAL; ENOMEM) and err naming why, e.g.
 *     credential replayed
 *     credential is for role "client", expected "agent"
 */
#ifndef HUDDLE_AUTH_H
#define HUDDLE_AUTH_H

#include <sys/types.h>

#include "herror.h"

#define AUTH_SOCKET_ENV     "HUDDLE_MUNGE_SOCKET"
#define AUTH_PAYLOAD_PREFIX "huddle-hello:"

/* Roles in the hello (protocol.md). */
#define AUTH_ROLE_CLIENT "client"
#define AUTH_ROLE_AGENT  "agent"
#define AUTH_ROLE_CTLD   "ctld"
#define AUTH_ROLE_TASK                                                                             \
    "task" /* huddle-rsh asking an agent to start a task (agent/agentd_task.c)                     \
            */

/* Create a credential for role (a short word without ':').  On success
 * *cred is a malloc'd NUL-terminated string the caller frees. */
int auth_cred_create (const char *role, char **cred, struct herror *err);

/* The controller answers every hello with a credential of its own, which
 * costs a munged round trip while the client waits.  A spare made ahead of
 * need, while nothing else waits, takes that round trip off the client's
 * path: auth_cred_prepare() makes one (if none is kept), auth_cred_take()
 * hands it out once (taking it empties the slot) when it is for ROLE and
 * younger than AUTH_SPARE_MAX_AGE seconds, else creates one as
 * auth_cred_create() does.  The spare proves what a fresh credential does:
 * its payload names the role only, never the peer, and it is still well
 * inside munged's time-to-live (300 s by default) when a client decodes it.
 * One spare per process; not thread-safe (huddle's daemons are one thread). */
#define AUTH_SPARE_MAX_AGE 60
int auth_cred_prepare (const char *role, struct herror *err);
int auth_cred_take (const char *role, char **cred, struct herror *err);
/* Drop the spare (a daemon at exit, or after fork in a child). */
void auth_cred_discard (void);

/* Decode cred through munged and check that its payload is exactly
 * "huddle-hello:EXPECTED_ROLE".  Sets *uid and *gid (either may be NULL)
 * only on success.  A credential decodes once: a second attempt is refused
 * as replayed. */
int auth_cred_verify (const char *cred, const char *expected_role, uid_t *uid, gid_t *gid,
                      struct herror *err);

#endif
