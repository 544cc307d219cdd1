/* conn.h - framed, authenticated connections for the daemons (libevent)
 *
 * huddle-ctld and huddle-agent talk over TCP with the frames of proto.h.  A
 * struct conn wraps one libevent bufferevent: it does the hello exchange of
 * docs/protocol.md (MUNGE credentials both ways, see auth.h; on the
 * controller's local socket, conn_listen_local, the kernel's SO_PEERCRED
 * instead), then hands each message to a callback together with the peer's
 * authenticated uid/gid.
 *
 *   server side (conn_listen):  wait for hello, verify the credential for the
 *       role the peer claims, ask ops->allow, answer hello.ok with our own
 *       credential (opts->role, "ctld" for the controller).
 *   client side (conn_connect): queue our hello at once (so conn_send() may be
 *       called right away: messages follow the hello on the wire), verify the
 *       server's hello.ok credential for opts->peer_role, ask ops->allow.
 *
 * What conn answers by itself (the daemon never sees these frames):
 *   - oversize / too-short frame, a bad hello, a failed credential: an
 *     "error" message, then close (after the error is flushed);
 *   - a frame that is not JSON / not an object / has no string type (framing
 *     intact): an "error" reply carrying the frame's id when readable; the
 *     connection stays open and ops->refused (if set) is told, for logging;
 *   - a frame (or the hello) not complete within opts->stall_timeout seconds
 *     of its first byte (of the connection, for the hello): close.
 * The daemon answers member-level problems itself (proto_get_* + error reply).
 *
 * Like every library here conn never logs: ops->closed gets a reason the
 * daemon may log, and ops->refused reports frames refused on an open
 * connection.
 *
 * Lifetime: a conn frees itself after ops->closed returns (don't use it
 * afterwards).  conn_close() ends it gracefully; conn_destroy() at once,
 * without ops->closed.  Both may be called from inside any conn callback.
 * MUNGE calls are synchronous (a round trip to munged on a local socket).
 */
#ifndef HUDDLE_CONN_H
#define HUDDLE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <event2/event.h>
#include <jansson.h>

#include "herror.h"

#define CONN_STALL_TIMEOUT_DEFAULT 10 /* seconds */

struct conn;
struct conn_listener;

/* Who is at the other end, from the MUNGE credential or, on a UNIX socket,
 * from the kernel (valid once the hello is done; before that uid/gid are
 * (uid_t)-1 and role is ""). */
struct conn_peer {
    uid_t uid;
    gid_t gid;
    char role[33]; /* the role the credential was for: "client", "agent", "ctld" */
    char addr[64]; /* numeric "HOST:PORT" of the peer, for messages */
};

struct conn_options {
    const char *role;      /* our role: sent in our hello / hello.ok credential */
    const char *peer_role; /* client side: the role the server must prove (default "ctld") */
    size_t max_frame;      /* largest body accepted (0: PROTO_MAX_FRAME_DEFAULT) */
    int stall_timeout;     /* seconds (0: CONN_STALL_TIMEOUT_DEFAULT) */
    const char *bind_addr; /* conn_connect: local address to connect from (NULL: any);
                            * lets loopback test nodes appear as 127.0.0.2, .3, ... */
};

/* Callbacks; any may be NULL.  arg is the one given to conn_listen/connect. */
struct conn_ops {
    /* May this peer talk to us in peer->role?  Return 0 to accept, or -1 with
     * err filled (sent to the peer as "connection refused: TEXT"). */
    int (*allow) (const struct conn_peer *peer, void *arg, struct herror *err);
    /* The hello exchange is done. */
    void (*ready) (struct conn *c, const struct conn_peer *peer, void *arg);
    /* One message (never the hello).  msg is borrowed: json_incref to keep. */
    void (*msg) (struct conn *c, const struct conn_peer *peer, json_t *msg, void *arg);
    /* A frame was refused and answered with an error; the connection stays. */
    void (*refused) (struct conn *c, const struct conn_peer *peer, const char *text, void *arg);
    /* The connection ended (peer closed, error, timeout, protocol violation,
     * conn_close()); reason says which.  c is freed when this returns. */
    void (*closed) (struct conn *c, const struct conn_peer *peer, const char *reason, void *arg);
    /* Listener only: may one more connection from addr be taken, with nconns
     * open now (npending of them before their hello)?  Return 0 to take it,
     * -1 with err filled to close it at once (nothing is read from it).
     * NULL: every connection is taken. */
    int (*admit) (const char *addr, int nconns, int npending, void *arg, struct herror *err);
    /* Listener only: a connection was not taken (admit said no, or accept
     * failed: with EMFILE/ENFILE the listener pauses for a second instead
     * of spinning); addr is "?" when unknown. */
    void (*rejected) (const char *addr, const char *why, void *arg);
};

/* Listen on ADDR:PORT (addr NULL or "" = all addresses; port 0 = any, see
 * conn_listener_port) and run every accepted connection with opts/ops/arg.
 * opts->role is required.  opts and ops are copied (strings too). */
struct conn_listener *conn_listen (struct event_base *base, const char *addr, int port,
                                   const struct conn_options *opts, const struct conn_ops *ops,
                                   void *arg, struct herror *err);

/* Listen on a UNIX stream socket at PATH (absolute), for commands run on
 * the daemon's own host.  There the kernel says who connected
 * (SO_PEERCRED): the hello carries no credential, the hello.ok none either
 * (the client asks the kernel who listens, see client.h), and munged is
 * not asked at all.  A socket left at PATH by a daemon that died is
 * replaced; one a live daemon listens on is an error (EADDRINUSE), and so
 * is anything else there (EEXIST).  The socket is open
 * to every user, as the TCP port is; conn_listener_destroy removes it.
 * conn_peer.addr of its connections reads "local:PID". */
struct conn_listener *conn_listen_local (struct event_base *base, const char *path,
                                         const struct conn_options *opts,
                                         const struct conn_ops *ops, void *arg, struct herror *err);

/* The port actually bound (0 for a UNIX socket). */
int conn_listener_port (const struct conn_listener *l);

/* Connections the listener has open, and how many of them are still before
 * their hello. */
int conn_listener_count (const struct conn_listener *l, int *npending);

/* Stop listening and destroy (without callbacks) the connections it accepted
 * that are still open.  NULL-safe, keeps errno. */
void conn_listener_destroy (struct conn_listener *l);

/* Connect to HOST:PORT (name resolution blocks; the TCP connect does not) and
 * queue the hello.  Connection failures after this returns arrive through
 * ops->closed.  NULL with err on a bad address, resolution failure or when no
 * credential can be made. */
struct conn *conn_connect (struct event_base *base, const char *hostport,
                           const struct conn_options *opts, const struct conn_ops *ops, void *arg,
                           struct herror *err);

/* Send msg (borrowed): written at once when nothing is queued before it,
 * what the socket does not take (and every frame behind queued ones) queued
 * for the loop to write, in order.  -1 with errno: EINVAL (not a message),
 * EPIPE (the connection is closing), ENOMEM. */
int conn_send (struct conn *c, const json_t *msg);

/* Queue an error reply to req (its id copied). */
int conn_send_error (struct conn *c, const json_t *req, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Stop reading, flush what is queued (at most stall_timeout seconds), then
 * end the connection: ops->closed is called with reason "closed". */
void conn_close (struct conn *c);

/* End the connection now, without ops->closed.  NULL-safe, keeps errno. */
void conn_destroy (struct conn *c);

/* Hand the connection's socket over (to another process, say): returns a
 * duplicate of it (close-on-exec, non-blocking) and ends c at once, as
 * conn_destroy, without a word on the wire.  Only between frames: -1 with
 * errno EBUSY while bytes are buffered either way (the peer sent more
 * than one request, or a reply is still queued) or before the hello is
 * done; c is then untouched.  The caller owns the fd. */
int conn_hand_over (struct conn *c);

/* The peer (valid as long as c). */
const struct conn_peer *conn_peer (const struct conn *c);

/* True once the hello exchange is done. */
bool conn_ready (const struct conn *c);

/* Bytes queued for sending, for back-pressure decisions. */
size_t conn_output_pending (const struct conn *c);

/* One pointer of the daemon's own per-connection data (conn never frees it). */
void conn_set_aux (struct conn *c, void *aux);
void *conn_aux (const struct conn *c);

#endif
