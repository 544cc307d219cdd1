/* client.h - blocking connection to the controller, for the CLI commands
 *
 * qsub, qstat, ... open one connection, authenticate, send requests and wait
 * for replies; no event loop.  A connection does the hello of
 * docs/protocol.md: it sends a MUNGE credential for its role and checks that
 * the controller answered hello.ok with a credential for role "ctld".
 *
 * An address that is an absolute path is the controller's UNIX socket
 * (its option local_socket), for commands on the controller's own host:
 * there the kernel names both ends (SO_PEERCRED), no munged is asked, and
 * the first request goes out right behind the hello.
 *
 * Either way the server must run as root, as the caller, or as the
 * service_user named in huddle.conf ($HUDDLE_CONF): anyone can make a MUNGE
 * credential for role "ctld" or listen on a socket, so the uid the
 * credential (or the kernel) gives is what is checked, before anything but
 * the hello is sent:
 *     node1:15001 is not the controller: it runs as uid 1002, not as root,
 *     you or the service_user of /etc/huddle/huddle.conf
 *
 *     struct herror err;
 *     char *addr = client_server_address (&err);
 *     struct client *c = addr ? client_connect (addr, "client", &err) : NULL;
 *     json_t *reply = c ? client_request (c, req, &err) : NULL;
 *     if (!reply) { fprintf (stderr, "qdel: %s\n", err.text); ... }
 *
 * Errors: NULL/-1 with errno and err holding a sentence for the user.
 * Reply objects are new references the caller json_decref()s.
 */
#ifndef HUDDLE_CLIENT_H
#define HUDDLE_CLIENT_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "herror.h"

#define CLIENT_SERVER_ENV      "HUDDLE_SERVER"
#define CLIENT_CONF_ENV        "HUDDLE_CONF"
#define CLIENT_CONF_DEFAULT    "/etc/huddle/huddle.conf"
#define CLIENT_TIMEOUT_DEFAULT 30 /* seconds: connect, and each wait for a reply */

struct client;

/* Connect to HOST:PORT (or a UNIX socket's path), send the hello for role ("client", or "agent" for
 * tools that act for an agent) and check the controller's hello.ok.
 * Errors name the address, e.g. "cannot connect to node1:7810: Connection
 * refused", or "authentication failed: ..." from the controller. */
struct client *client_connect (const char *hostport, const char *role, struct herror *err);

/* The same to another kind of server: its hello.ok credential must be for
 * peer_role ("agent": huddle-rsh talking to a node agent). */
struct client *client_connect_peer (const char *hostport, const char *role, const char *peer_role,
                                    struct herror *err);

/* The connection's socket, for a caller that waits on it together with
 * other descriptors (poll).  Owned by c. */
int client_fd (const struct client *c);

/* Whether a whole message is already buffered, so that client_recv returns
 * it without reading (poll would not see it): 1 yes, 0 no, -1 a bad frame
 * (err says why).  Call it before waiting on client_fd. */
int client_pending (struct client *c, struct herror *err);

/* Close the connection and free c.  NULL-safe, keeps errno. */
void client_destroy (struct client *c);

/* Seconds to wait for a reply (and for connect); 0 waits forever. */
void client_set_timeout (struct client *c, int seconds);

/* The controller's uid (from its credential, or the kernel), and our own
 * as it saw them. */
uid_t client_server_uid (const struct client *c);
uid_t client_uid (const struct client *c);
gid_t client_gid (const struct client *c);

/* Send req and wait for its reply.  If req has no "id" one is assigned (req
 * is modified).  Returns the reply of type "TYPE.ok" (new reference).  An
 * "error" reply returns NULL with errno EREMOTEIO and err holding the
 * controller's sentence; a reply with another id, or a lost connection,
 * returns NULL with errno EPROTO / ECONNRESET.  Do not mix with pending
 * client_send()s whose replies have not been received. */
json_t *client_request (struct client *c, json_t *req, struct herror *err);

/* Pipelining: send without waiting.  Assigns an "id" if req has none (req is
 * modified) and returns the id used, or -1. */
int64_t client_send (struct client *c, json_t *req, struct herror *err);

/* Receive the next message, whatever its type (error replies included).
 * New reference, or NULL (timeout: ETIMEDOUT; closed: ECONNRESET). */
json_t *client_recv (struct client *c, struct herror *err);

/* Split "HOST:PORT" or "[V6ADDR]:PORT".  On success *host and *port are
 * malloc'd strings the caller frees. */
int client_parse_hostport (const char *s, char **host, char **port, struct herror *err);

/* The controller's address: $HUDDLE_SERVER, else "server = HOST:PORT" in
 * $HUDDLE_CONF or /etc/huddle/huddle.conf; else, as a PBS site has it,
 * $PBS_SERVER, else "PBS_SERVER=HOST" in $PBS_CONF_FILE or /etc/pbs.conf
 * (a host without ":PORT" gets CLIENT_DEFAULT_PORT, the controller's
 * default); else NULL with err
 *     no controller address: set HUDDLE_SERVER=HOST:PORT or put
 *     "server = HOST:PORT" in /etc/huddle/huddle.conf
 * Returns a malloc'd string the caller frees. */
#define CLIENT_DEFAULT_PORT "15001"
#define CLIENT_PBS_CONF     "/etc/pbs.conf"
char *client_server_address (struct herror *err);

/* S ("HOST", "HOST:PORT", "[V6]:PORT") as an address with a port: a
 * malloc'd copy, CLIENT_DEFAULT_PORT added when S has none.  NULL ENOMEM. */
char *client_with_port (const char *s);

#endif
