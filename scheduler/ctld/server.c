/* server.c - huddle-ctld's connections, message dispatch and per-turn commit
 *
 * Every message goes through a handler table ({type, handler}).  Handlers
 * change memory, put what changed into the store and queue their reply with
 * ctld_reply() (orders for agents with ctld_order()).  Nothing is sent from a
 * handler: the flush event, at the lowest priority, runs once the turn's
 * messages and the scheduling pass are done; it commits the store and only
 * then sends the queued replies and orders, in the order they were queued.
 * So an acknowledged change is always on disk, and a turn with a thousand
 * submits costs one commit.
 *
 * When the store cannot commit (a full disk: any user can fill a shared
 * /tmp) the controller stays up: the store keeps the turn (store.h), the
 * messages that acknowledge changes are held, new work is refused with
 * "state store full: ..." (ctld_store_writable), queries are still answered,
 * and a timer retries the commit every store_retry_interval until it
 * succeeds; then the held messages go out, in order.
 *
 * Connections are bounded so that no user can take the file descriptors
 * everybody needs: at most max_connections in all (from RLIMIT_NOFILE),
 * of which reserved_connections only for agents, root and the service user;
 * max_user_connections per other user; a command's connection idle for
 * client_idle_timeout is closed.  Refusals are logged, at most every 10 s.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statvfs.h>

#include "common/auth.h"
#include "common/conn.h"
#include "common/log.h"
#include "scheduler/ctld/ctld.h"
#include "scheduler/ctld/store.h"

/* Flush synchronously when this many replies wait, or the store's journal
 * holds this much: under a continuous stream of requests the
 * lowest-priority flush could otherwise wait long. */
#define OUTQ_FLUSH_NOW      4096
#define JOURNAL_FLUSH_NOW   (64u << 20)
#define FD_RESERVE          64 /* descriptors kept for the store, MUNGE, logs */
#define REJECT_LOG_INTERVAL 10 /* seconds between two refusal log lines */

struct peer {
    struct ctld *ctx;
    struct conn *conn; /* NULL once the connection ended */
    uid_t uid;
    gid_t gid;
    bool agent;
    char addr[64];
    char *node;          /* the node an agent registered as */
    int64_t last_active; /* when its last request came */
    int refs;
    struct peer *prev, *next;
};

struct outmsg {
    struct peer *peer; /* a reply: to this peer */
    char *node;        /* an order: to this node's agent */
    bool needs_commit; /* it tells of a change: sent only once that is on disk */
    json_t *msg;
    struct outmsg *next;
};

struct outq {
    struct outmsg *head, *tail;
    int n;
};

struct server {
    struct conn_listener *listener;
    struct conn_listener *local; /* local_socket, or NULL */
    struct peer *peers;
    int npeers;
    struct outq out;  /* this turn's messages */
    struct outq held; /* messages of turns the store could not commit yet */
    bool degraded;    /* the store cannot commit: new work is refused */
    int store_errno;
    char store_error[HERROR_TEXT_MAX];
    struct event *flush_ev, *retry_ev, *sweep_ev;
    struct event *spare_ev; /* makes the next hello's credential (auth.h) */
    int64_t last_reject_log;
    int rejects_unlogged;
};

int64_t ctld_now (void)
{
    return (int64_t)time (NULL);
}

void ctld_fatal (struct ctld *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    log_vmsg (LOG_LEVEL_ERROR, fmt, ap);
    va_end (ap);
    ctx->exit_code = 1;
    event_base_loopbreak (ctx->base);
}

/* ------------------------------------------------------------------ peers */

uid_t peer_uid (const struct peer *p)
{
    return p->uid;
}

gid_t peer_gid (const struct peer *p)
{
    return p->gid;
}

const char *peer_addr (const struct peer *p)
{
    return p->addr;
}

const char *peer_agent_node (const struct peer *p)
{
    return p->node;
}

void peer_set_agent_node (struct peer *p, const char *name)
{
    char *copy = name ? strdup (name) : NULL;
    free (p->node);
    p->node = copy;
}

struct peer *peer_ref (struct peer *p)
{
    if (p)
        p->refs++;
    return p;
}

void peer_unref (struct peer *p)
{
    if (p && --p->refs == 0) {
        free (p->node);
        free (p);
    }
}

static void peer_unlink (struct server *s, struct peer *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        s->peers = p->next;
    if (p->next)
        p->next->prev = p->prev;
    p->prev = p->next = NULL;
}

void server_close_peer (struct ctld *ctx, struct peer *p)
{
    if (p && p->conn)
        conn_close (p->conn);
}

/* ------------------------------------------------------- queue and flush */

static void outq_append (struct outq *q, struct outmsg *m)
{
    m->next = NULL;
    if (q->tail)
        q->tail->next = m;
    else
        q->head = m;
    q->tail = m;
    q->n++;
}

static void outq_push (struct ctld *ctx, struct peer *p, const char *node, json_t *msg)
{
    struct server *s = ctx->server;
    struct outmsg *m = calloc (1, sizeof (*m));
    if (!m || (node && !(m->node = strdup (node)))) {
        log_msg (LOG_LEVEL_ERROR, "out of memory: dropping a %s message", proto_msg_type (msg));
        free (m);
        json_decref (msg);
        return;
    }
    m->peer = peer_ref (p);
    m->msg = msg;
    m->needs_commit = true; /* on_msg clears it for replies of handlers that changed nothing */
    outq_append (&s->out, m);
    event_active (s->flush_ev, 0, 0);
}

void ctld_reply (struct ctld *ctx, struct peer *p, json_t *msg)
{
    if (!msg) {
        log_msg (LOG_LEVEL_ERROR, "out of memory: reply to %s dropped", p->addr);
        return;
    }
    outq_push (ctx, p, NULL, msg);
}

void ctld_order (struct ctld *ctx, const char *node, json_t *msg)
{
    if (!msg) {
        log_msg (LOG_LEVEL_ERROR, "out of memory: order to %s dropped", node);
        return;
    }
    outq_push (ctx, NULL, node, msg);
}

void ctld_dirty (struct ctld *ctx)
{
    event_active (ctx->server->flush_ev, 0, 0);
}

static void send_one (struct ctld *ctx, struct outmsg *m)
{
    struct peer *p = m->peer;
    if (m->node) {
        struct ctld_node *n = nodes_find (ctx, m->node);
        p = n ? node_peer (n) : NULL;
        if (!p) {
            log_msg (LOG_LEVEL_WARN, "node %s: no agent connection, %s not sent", m->node,
                     proto_msg_type (m->msg));
            return;
        }
    }
    if (!p->conn)
        return; /* the client went away: nobody to tell */
    if (conn_send (p->conn, m->msg) < 0)
        log_msg (LOG_LEVEL_WARN, "%s: cannot send %s: %s", p->addr, proto_msg_type (m->msg),
                 strerror (errno));
}

static void outq_free (struct outmsg *m)
{
    peer_unref (m->peer);
    free (m->node);
    json_decref (m->msg);
    free (m);
}

static void outq_send_all (struct ctld *ctx, struct outq *q)
{
    struct outmsg *m = q->head;
    q->head = q->tail = NULL;
    q->n = 0;
    while (m) {
        struct outmsg *next = m->next;
        send_one (ctx, m);
        outq_free (m);
        m = next;
    }
}

/* Does a held message go to the same place as m?  Then m must wait behind
 * it: one peer's messages never overtake each other. */
static bool held_for_same (const struct outq *held, const struct outmsg *m)
{
    for (const struct outmsg *h = held->head; h; h = h->next) {
        if (m->node ? h->node && strcmp (h->node, m->node) == 0 : h->peer == m->peer)
            return true;
    }
    return false;
}

/* While the store cannot commit: what tells of no change (a query's reply,
 * a refusal) goes out now, the rest waits for the commit. */
static void send_or_hold (struct ctld *ctx)
{
    struct server *s = ctx->server;
    struct outmsg *m = s->out.head;
    s->out.head = s->out.tail = NULL;
    s->out.n = 0;
    while (m) {
        struct outmsg *next = m->next;
        if (m->needs_commit || held_for_same (&s->held, m)) {
            outq_append (&s->held, m);
        } else {
            send_one (ctx, m);
            outq_free (m);
        }
        m = next;
    }
}

static void store_failed (struct ctld *ctx, const struct herror *err, int e)
{
    struct server *s = ctx->server;
    struct timeval tv = {ctx->cfg.store_retry_interval, 0};
    if (!s->degraded)
        log_msg (LOG_LEVEL_ERROR,
                 "cannot commit state: %s; refusing new work and retrying every %ds", err->text,
                 ctx->cfg.store_retry_interval);
    s->degraded = true;
    s->store_errno = e;
    snprintf (s->store_error, sizeof (s->store_error), "%s", err->text);
    if (!evtimer_pending (s->retry_ev, NULL))
        evtimer_add (s->retry_ev, &tv);
}

/* Commit the turn, then let the world know. */
static void server_flush (struct ctld *ctx)
{
    struct server *s = ctx->server;
    struct herror err = {""};

    if (s->degraded) {
        send_or_hold (ctx); /* the retry timer commits */
        return;
    }
    if (store_flush (ctx->store, &err) < 0) {
        if (!store_retrying (ctx->store)) {
            ctld_fatal (ctx, "cannot commit state: %s", err.text);
            return; /* nothing of this turn may be acknowledged */
        }
        store_failed (ctx, &err, errno);
        send_or_hold (ctx);
        return;
    }
    outq_send_all (ctx, &s->out);
}

static void flush_cb (evutil_socket_t fd, short what, void *arg)
{
    struct ctld *ctx = arg;
    if (ctx->exit_code == 0)
        server_flush (ctx);
}

static void retry_cb (evutil_socket_t fd, short what, void *arg)
{
    struct ctld *ctx = arg;
    struct server *s = ctx->server;
    struct herror err = {""};
    int pending = store_pending (ctx->store);

    if (ctx->exit_code != 0)
        return;
    if (store_flush (ctx->store, &err) < 0) {
        if (!store_retrying (ctx->store)) {
            ctld_fatal (ctx, "cannot commit state: %s", err.text);
            return;
        }
        store_failed (ctx, &err, errno);
        return;
    }
    log_msg (LOG_LEVEL_INFO, "state store commits again: %d held changes written, %d messages sent",
             pending, s->held.n + s->out.n);
    s->degraded = false;
    outq_send_all (ctx, &s->held);
    outq_send_all (ctx, &s->out);
    sched_request (ctx);
}

/* Refusing new work before the disk is full (rather than when a write
 * fails) answers the submit that would have filled it at once, and leaves
 * room for what running jobs still have to record. */
int ctld_store_writable (struct ctld *ctx, struct herror *err)
{
    struct server *s = ctx->server;
    struct statvfs fs;
    if (!s->degraded && !store_retrying (ctx->store)) {
        if (ctx->cfg.store_min_free == 0 || statvfs (ctx->cfg.state_dir, &fs) < 0)
            return 0;
        int64_t avail = (int64_t)fs.f_bavail * (int64_t)fs.f_frsize;
        if (avail >= ctx->cfg.store_min_free)
            return 0;
        return herror_set (err,
                           "state store full: %s has %lld bytes free, less than store_min_free "
                           "(%lld); nothing was changed, try again later",
                           ctx->cfg.state_dir, (long long)avail,
                           (long long)ctx->cfg.store_min_free);
    }
    return herror_set (err, "state store %s: %s; nothing was changed, try again later",
                       s->store_errno == ENOSPC || s->store_errno == EFBIG ? "full"
                                                                           : "cannot commit",
                       s->store_error[0] ? s->store_error : "a commit failed");
}

/* ---------------------------------------------------------------- dispatch */

/* Find the handler for a message, or queue the refusal; NULL then. */
static const struct proto_handler *find_handler (struct ctld *ctx, struct peer *p, json_t *msg)
{
    const char *type = proto_msg_type (msg);
    bool agent_only;
    const struct proto_handler *h = ctld_handler_find (type, &agent_only);
    if (h && agent_only && !p->agent) {
        log_msg (LOG_LEVEL_WARN, "%s (uid %d): %s refused: not an agent", p->addr, (int)p->uid,
                 type);
        ctld_reply (ctx, p, proto_error_reply (msg, "Unauthorized Request"));
        return NULL;
    }
    if (!h)
        ctld_reply (ctx, p, proto_error_reply (msg, "unknown message type \"%s\"", type));
    return h;
}

static void on_msg (struct conn *c, const struct conn_peer *cp, json_t *msg, void *arg)
{
    struct ctld *ctx = arg;
    struct server *s = ctx->server;
    struct peer *p = conn_aux (c);
    const char *type = proto_msg_type (msg);
    struct request rq = {.ctx = ctx, .peer = p};
    struct herror err = {""};

    if (!p || ctx->exit_code != 0)
        return;
    p->last_active = ctld_now();
    /* An error is never answered (docs/protocol.md): two peers must not
     * bounce errors back and forth.  Agents' errors are logged by their
     * handler; a client has nothing to report to us. */
    if (strcmp (type, "error") == 0 && !p->agent) {
        log_msg (LOG_LEVEL_DEBUG, "%s (uid %d): error message ignored", p->addr, (int)p->uid);
        return;
    }
    struct outmsg *mark = s->out.tail;
    int changes = store_pending (ctx->store);
    const struct proto_handler *h = find_handler (ctx, p, msg);
    if (h && h->fn (msg, &rq, &err) < 0) {
        log_msg (LOG_LEVEL_DEBUG, "%s: %s: %s", p->addr, type, err.text);
        ctld_reply (ctx, p, proto_error_reply (msg, "%s", err.text));
    }
    /* A handler that put nothing into the store acknowledged no change: its
     * replies need not wait for a commit (this matters while the store
     * cannot commit: queries are still answered). */
    if (store_pending (ctx->store) == changes) {
        for (struct outmsg *m = mark ? mark->next : s->out.head; m; m = m->next)
            m->needs_commit = false;
    }
    if (s->out.n >= OUTQ_FLUSH_NOW || store_journal_bytes (ctx->store) >= JOURNAL_FLUSH_NOW)
        server_flush (ctx);
}

/* The most connections in all: max_connections, or what the descriptor
 * limit leaves after FD_RESERVE (read each time: an admin may raise it on
 * the running daemon with prlimit). */
static int connection_limit (struct ctld *ctx)
{
    struct rlimit rl;
    int limit = ctx->cfg.max_connections;
    if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        int by_fds = rl.rlim_cur > FD_RESERVE ? (int)(rl.rlim_cur - FD_RESERVE) : 1;
        if (limit == 0 || by_fds < limit)
            limit = by_fds;
    }
    return limit > 0 ? limit : 1;
}

/* Before the hello nobody is known: connections are taken up to the limit,
 * but those still before their hello get at most half of it, so a flood of
 * silent connections (closed after the hello timeout anyway) cannot keep
 * agents and root out. */
static int on_admit (const char *addr, int nconns, int npending, void *arg, struct herror *err)
{
    struct ctld *ctx = arg;
    struct server *s = ctx->server;
    int limit = connection_limit (ctx);
    /* Both listeners count: they share the descriptors. */
    nconns = conn_listener_count (s->listener, &npending);
    if (s->local) {
        int lpending;
        nconns += conn_listener_count (s->local, &lpending);
        npending += lpending;
    }
    if (nconns >= limit)
        return herror_set (err,
                           "%d connections open, the limit is %d (max_connections, "
                           "file descriptor limit)",
                           nconns, limit);
    if (npending >= limit / 2 + 1)
        return herror_set (err, "%d connections wait for their hello, the limit is %d", npending,
                           limit / 2 + 1);
    return 0;
}

static void on_rejected (const char *addr, const char *why, void *arg)
{
    struct ctld *ctx = arg;
    struct server *s = ctx->server;
    int64_t now = ctld_now();
    if (now - s->last_reject_log < REJECT_LOG_INTERVAL) {
        s->rejects_unlogged++;
        return;
    }
    if (s->rejects_unlogged > 0)
        log_msg (LOG_LEVEL_WARN, "refused a connection from %s: %s (and %d more in the last %ds)",
                 addr, why, s->rejects_unlogged, (int)(now - s->last_reject_log));
    else
        log_msg (LOG_LEVEL_WARN, "refused a connection from %s: %s", addr, why);
    s->last_reject_log = now;
    s->rejects_unlogged = 0;
}

/* After the hello the uid is known: other users are held to
 * max_user_connections each and to what the reserve leaves. */
static int client_allowed (struct ctld *ctx, const struct conn_peer *cp, struct herror *err)
{
    struct server *s = ctx->server;
    if (ctld_privileged (ctx, cp->uid))
        return 0;
    int limit = connection_limit (ctx) - ctx->cfg.reserved_connections;
    if (s->npeers >= limit)
        return herror_set (err,
                           "too many connections: %d open, the limit for users is %d "
                           "(max_connections less reserved_connections)",
                           s->npeers, limit > 0 ? limit : 0);
    int mine = 0;
    for (const struct peer *p = s->peers; p; p = p->next)
        mine += p->uid == cp->uid && !p->agent;
    if (mine >= ctx->cfg.max_user_connections)
        return herror_set (err,
                           "too many connections: uid %d has %d open, the limit is %d "
                           "(max_user_connections)",
                           (int)cp->uid, mine, ctx->cfg.max_user_connections);
    return 0;
}

static int on_allow (const struct conn_peer *cp, void *arg, struct herror *err)
{
    struct ctld *ctx = arg;
    if (strcmp (cp->role, "agent") == 0) {
        if (!ctld_privileged (ctx, cp->uid))
            return herror_set (err, "uid %d may not connect as an agent", (int)cp->uid);
        return 0;
    }
    if (strcmp (cp->role, "client") == 0) {
        if (client_allowed (ctx, cp, err) < 0) {
            on_rejected (cp->addr, err->text, ctx);
            return -1;
        }
        return 0;
    }
    return herror_set (err, "role \"%s\" is not accepted here", cp->role);
}

/* Close commands' connections idle for client_idle_timeout (agents
 * heartbeat, and are watched by the node manager instead).  A connection
 * with messages waiting for a commit is not idle: its client waits for us. */
static void sweep_cb (evutil_socket_t fd, short what, void *arg)
{
    struct ctld *ctx = arg;
    struct server *s = ctx->server;
    int64_t now = ctld_now();
    int closed = 0;
    for (struct peer *p = s->peers; p; p = p->next) {
        struct outmsg probe = {.peer = p};
        if (p->agent || !p->conn || now - p->last_active < ctx->cfg.client_idle_timeout ||
            held_for_same (&s->held, &probe))
            continue;
        log_msg (LOG_LEVEL_DEBUG, "%s (uid %d): idle for %llds, closing", p->addr, (int)p->uid,
                 (long long)(now - p->last_active));
        server_close_peer (ctx, p);
        closed++;
    }
    if (closed > 0)
        log_msg (LOG_LEVEL_INFO, "closed %d idle client connection%s (client_idle_timeout %ds)",
                 closed, closed == 1 ? "" : "s", ctx->cfg.client_idle_timeout);
}

/* Make the credential the next hello.ok will carry, so that the client
 * waiting for it does not wait for munged too.  It runs at the lowest
 * priority from a timer of 0 s, i.e. on the loop turn after the hello.ok
 * was queued and after that turn's writes: the client has its answer
 * first.  A failure only means that the next hello makes its own. */
static void spare_cb (evutil_socket_t fd, short what, void *arg)
{
    struct herror err;
    if (auth_cred_prepare (AUTH_ROLE_CTLD, &err) < 0)
        log_msg (LOG_LEVEL_DEBUG, "no spare credential: %s", err.text);
}

static void on_ready (struct conn *c, const struct conn_peer *cp, void *arg)
{
    struct ctld *ctx = arg;
    struct server *s = ctx->server;
    struct timeval now = {0, 0};
    evtimer_add (s->spare_ev, &now);
    struct peer *p = calloc (1, sizeof (*p));
    if (!p) {
        log_msg (LOG_LEVEL_ERROR, "%s: out of memory, closing", cp->addr);
        conn_close (c);
        return;
    }
    p->ctx = ctx;
    p->conn = c;
    p->uid = cp->uid;
    p->gid = cp->gid;
    p->agent = strcmp (cp->role, "agent") == 0;
    snprintf (p->addr, sizeof (p->addr), "%s", cp->addr);
    p->refs = 1;
    p->last_active = ctld_now();
    p->next = s->peers;
    if (s->peers)
        s->peers->prev = p;
    s->peers = p;
    s->npeers++;
    conn_set_aux (c, p);
    log_msg (LOG_LEVEL_DEBUG, "%s: %s connected (uid %d)", cp->addr, cp->role, (int)cp->uid);
}

static void on_refused (struct conn *c, const struct conn_peer *cp, const char *text, void *arg)
{
    log_msg (LOG_LEVEL_WARN, "%s: refused a frame: %s", cp->addr, text);
}

static void on_closed (struct conn *c, const struct conn_peer *cp, const char *reason, void *arg)
{
    struct ctld *ctx = arg;
    struct peer *p = conn_aux (c);

    if (!p) {
        log_msg (LOG_LEVEL_INFO, "%s: connection ended before hello: %s", cp->addr, reason);
        return;
    }
    log_msg (p->node ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG, "%s%s%s: connection ended: %s", p->addr,
             p->node ? " node " : "", p->node ? p->node : "", reason);
    conn_set_aux (c, NULL);
    if (p->node)
        nodes_peer_closed (ctx, p);
    p->conn = NULL;
    peer_unlink (ctx->server, p);
    ctx->server->npeers--;
    peer_unref (p);
}

/* ------------------------------------------------------------- lifecycle */

int server_create (struct ctld *ctx, struct herror *err)
{
    struct server *s = calloc (1, sizeof (*s));
    if (!s)
        return herror_set (err, "out of memory");
    ctx->server = s;
    s->flush_ev = event_new (ctx->base, -1, 0, flush_cb, ctx);
    if (!s->flush_ev || event_priority_set (s->flush_ev, CTLD_PRI_FLUSH) < 0)
        return herror_set (err, "cannot create the flush event");
    s->retry_ev = evtimer_new (ctx->base, retry_cb, ctx);
    s->sweep_ev = event_new (ctx->base, -1, EV_PERSIST, sweep_cb, ctx);
    int every = ctx->cfg.client_idle_timeout / 4;
    struct timeval tv = {every < 1 ? 1 : every > 15 ? 15 : every, 0};
    s->spare_ev = evtimer_new (ctx->base, spare_cb, ctx);
    if (!s->retry_ev || !s->sweep_ev || !s->spare_ev || event_add (s->sweep_ev, &tv) < 0 ||
        event_priority_set (s->spare_ev, CTLD_PRI_FLUSH) < 0)
        return herror_set (err, "cannot create the server's timers");
    spare_cb (-1, 0, ctx);

    struct conn_options opts = {
        .role = "ctld",
        .max_frame = (size_t)ctx->cfg.max_message_size,
    };
    struct conn_ops ops = {
        .allow = on_allow,
        .ready = on_ready,
        .msg = on_msg,
        .refused = on_refused,
        .closed = on_closed,
        .admit = on_admit,
        .rejected = on_rejected,
    };
    s->listener =
        conn_listen (ctx->base, ctx->cfg.listen_host, ctx->cfg.listen_port, &opts, &ops, ctx, err);
    if (!s->listener)
        return -1;
    if (ctx->cfg.local_socket[0] != '\0' &&
        !(s->local = conn_listen_local (ctx->base, ctx->cfg.local_socket, &opts, &ops, ctx, err)))
        return -1;
    return 0;
}

int server_port (struct ctld *ctx)
{
    return conn_listener_port (ctx->server->listener);
}

void server_destroy (struct ctld *ctx)
{
    struct server *s = ctx->server;
    if (!s)
        return;
    /* Commit what the last turn did; its replies go nowhere (connections
     * close now), which is the same as the client losing the connection. */
    if (ctx->store && ctx->exit_code == 0) {
        struct herror err = {""};
        if (store_flush (ctx->store, &err) < 0)
            log_msg (LOG_LEVEL_ERROR,
                     "cannot commit state at exit: %s; what was not acknowledged is lost",
                     err.text);
    }
    struct outq *queues[] = {&s->held, &s->out};
    for (int i = 0; i < 2; i++) {
        while (queues[i]->head) {
            struct outmsg *m = queues[i]->head;
            queues[i]->head = m->next;
            outq_free (m);
        }
    }
    conn_listener_destroy (s->listener); /* destroys its conns, no callbacks */
    conn_listener_destroy (s->local);
    while (s->peers) {
        struct peer *p = s->peers;
        p->conn = NULL;
        peer_unlink (s, p);
        peer_unref (p);
    }
    if (s->flush_ev)
        event_free (s->flush_ev);
    if (s->retry_ev)
        event_free (s->retry_ev);
    if (s->sweep_ev)
        event_free (s->sweep_ev);
    if (s->spare_ev)
        event_free (s->spare_ev);
    auth_cred_discard();
    free (s);
    ctx->server = NULL;
}
