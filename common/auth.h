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

/* Decode cred through munged and check that its payload is exactly
 * "huddle-hello:EXPECTED_ROLE".  Sets *uid and *gid (either may be NULL)
 * only on success.  A credential decodes once: a second attempt is refused
 * as replayed. */
int auth_cred_verify (const char *cred, const char *expected_role, uid_t *uid, gid_t *gid,
                      struct herror *err);

#endif
