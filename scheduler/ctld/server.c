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
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/conn.h"
#include "common/log.h"
#include "scheduler/ctld/ctld.h"
#include "scheduler/ctld/store.h"

/* Flush synchronously when this many replies wait: under a continuous
 * stream of requests the lowest-priority flush could otherwise wait long. */
#define OUTQ_FLUSH_NOW 4096

struct peer {
    struct ctld *ctx;
    struct conn *conn; /* NULL once the connection ended */
    uid_t uid;
    gid_t gid;
    bool agent;
    char addr[64];
    char *node; /* the node an agent registered as */
    int refs;
    struct peer *prev, *next;
};

struct outmsg {
    struct peer *peer; /* a reply: to this peer */
    char *node;        /* an order: to this node's agent */
    json_t *msg;
    struct outmsg *next;
};

struct server {
    struct conn_listener *listener;
    struct peer *peers;
    struct outmsg *head, *tail;
    int nout;
    struct event *flush_ev;
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
    if (s->tail)
        s->tail->next = m;
    else
        s->head = m;
    s->tail = m;
    s->nout++;
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

/* Commit the turn, then let the world know. */
static void server_flush (struct ctld *ctx)
{
    struct server *s = ctx->server;
    struct herror err = {""};

    if (store_flush (ctx->store, &err) < 0) {
        ctld_fatal (ctx, "cannot commit state: %s", err.text);
        return; /* nothing of this turn may be acknowledged */
    }
    struct outmsg *m = s->head;
    s->head = s->tail = NULL;
    s->nout = 0;
    while (m) {
        struct outmsg *next = m->next;
        send_one (ctx, m);
        outq_free (m);
        m = next;
    }
}

static void flush_cb (evutil_socket_t fd, short what, void *arg)
{
    struct ctld *ctx = arg;
    if (ctx->exit_code == 0)
        server_flush (ctx);
}

/* ---------------------------------------------------------------- dispatch */

static const struct proto_handler *lookup (const struct proto_handler *const *tables,
                                           const char *type)
{
    for (int i = 0; tables[i]; i++) {
        const struct proto_handler *h = proto_handler_find (tables[i], type);
        if (h)
            return h;
    }
    return NULL;
}

static void on_msg (struct conn *c, const struct conn_peer *cp, json_t *msg, void *arg)
{
    struct ctld *ctx = arg;
    struct peer *p = conn_aux (c);
    static const struct proto_handler *const client_tables[] = {jobs_client_handlers,
                                                                nodes_client_handlers, NULL};
    static const struct proto_handler *const agent_tables[] = {nodes_agent_handlers,
                                                               jobs_agent_handlers, NULL};
    const char *type = proto_msg_type (msg);
    struct request rq = {.ctx = ctx, .peer = p};
    struct herror err = {""};

    if (!p || ctx->exit_code != 0)
        return;
    const struct proto_handler *h = lookup (client_tables, type);
    if (!h) {
        h = lookup (agent_tables, type);
        if (h && !p->agent) {
            log_msg (LOG_LEVEL_WARN, "%s (uid %d): %s refused: not an agent", p->addr, (int)p->uid,
                     type);
            ctld_reply (ctx, p, proto_error_reply (msg, "Unauthorized Request"));
            return;
        }
    }
    if (!h) {
        ctld_reply (ctx, p, proto_error_reply (msg, "unknown message type \"%s\"", type));
        return;
    }
    if (h->fn (msg, &rq, &err) < 0) {
        log_msg (LOG_LEVEL_DEBUG, "%s: %s: %s", p->addr, type, err.text);
        ctld_reply (ctx, p, proto_error_reply (msg, "%s", err.text));
    }
    if (ctx->server->nout >= OUTQ_FLUSH_NOW)
        server_flush (ctx);
}

static int on_allow (const struct conn_peer *cp, void *arg, struct herror *err)
{
    struct ctld *ctx = arg;
    if (strcmp (cp->role, "agent") == 0) {
        if (cp->uid != 0 && cp->uid != ctx->cfg.service_uid)
            return herror_set (err, "uid %d may not connect as an agent", (int)cp->uid);
        return 0;
    }
    if (strcmp (cp->role, "client") == 0)
        return 0;
    return herror_set (err, "role \"%s\" is not accepted here", cp->role);
}

static void on_ready (struct conn *c, const struct conn_peer *cp, void *arg)
{
    struct ctld *ctx = arg;
    struct server *s = ctx->server;
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
    p->next = s->peers;
    if (s->peers)
        s->peers->prev = p;
    s->peers = p;
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
    };
    s->listener =
        conn_listen (ctx->base, ctx->cfg.listen_host, ctx->cfg.listen_port, &opts, &ops, ctx, err);
    if (!s->listener)
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
            log_msg (LOG_LEVEL_ERROR, "cannot commit state at exit: %s", err.text);
    }
    while (s->head) {
        struct outmsg *m = s->head;
        s->head = m->next;
        outq_free (m);
    }
    conn_listener_destroy (s->listener); /* destroys its conns, no callbacks */
    while (s->peers) {
        struct peer *p = s->peers;
        p->conn = NULL;
        peer_unlink (s, p);
        peer_unref (p);
    }
    if (s->flush_ev)
        event_free (s->flush_ev);
    free (s);
    ctx->server = NULL;
}
