/* conn.c - framed, authenticated connections for the daemons (see conn.h) */
#define _GNU_SOURCE /* struct ucred, SO_PEERCRED */
#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "auth.h"
#include "client.h"
#include "proto.h"

struct conn_config {
    char role[33];
    char peer_role[33];
    size_t max_frame;
    int stall_timeout;
    struct conn_ops ops;
    void *arg;
};

struct conn {
    struct bufferevent *bev;
    struct event *timer; /* stall deadline, and the flush when closing */
    struct proto_decoder *dec;
    struct conn_config cfg;
    struct conn_peer peer;
    void *aux;
    bool server;
    bool connected; /* the socket is connected: conn_send may write at once */
    bool local;     /* on a UNIX socket: the peer is who the kernel says */
    uid_t local_uid;
    gid_t local_gid;
    bool authed;
    bool timer_armed; /* a frame (or the hello) is under way */
    bool closing;     /* flushing before the end */
    bool flush_deadline;
    char close_reason[HERROR_TEXT_MAX];
    bool finished; /* ops->closed has been called (or must not be) */
    int depth;     /* nesting of our own callbacks: free only at 0 */
    struct conn_listener *listener;
    struct conn *prev, *next; /* the listener's list */
};

struct conn_listener {
    struct evconnlistener *evl;
    struct event_base *base;
    struct conn_config cfg;
    struct conn *conns;
    int nconns, npending;
    struct event *pause_ev; /* accepting again after EMFILE */
    int port;
    char *path; /* a UNIX socket's, unlinked at the end */
};

static void conn_free (struct conn *c)
{
    if (c->listener) {
        if (c->prev)
            c->prev->next = c->next;
        else
            c->listener->conns = c->next;
        if (c->next)
            c->next->prev = c->prev;
        c->listener->nconns--;
        if (!c->authed)
            c->listener->npending--;
    }
    if (c->bev)
        bufferevent_free (c->bev);
    if (c->timer)
        event_free (c->timer);
    proto_decoder_destroy (c->dec);
    free (c);
}

/* Every entry from libevent brackets itself with enter/leave so that a conn
 * ended inside a user callback is freed only once the stack unwinds. */
static void enter (struct conn *c)
{
    c->depth++;
}

static void leave (struct conn *c)
{
    if (--c->depth == 0 && c->finished)
        conn_free (c);
}

/* The end: stop all I/O, tell the daemon (once), free when unwound. */
static void finish (struct conn *c, const char *reason)
{
    if (c->finished)
        return;
    c->finished = true;
    bufferevent_disable (c->bev, EV_READ | EV_WRITE);
    evtimer_del (c->timer);
    if (c->cfg.ops.closed) {
        c->depth++;
        c->cfg.ops.closed (c, &c->peer, reason, c->cfg.arg);
        c->depth--;
    }
    if (c->depth == 0)
        conn_free (c);
}

static void close_with (struct conn *c, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Begin a graceful close: no more reading, flush, then finish.  The flush is
 * checked from the timer so that the daemon's callbacks never nest. */
static void close_with (struct conn *c, const char *fmt, ...)
{
    if (c->closing || c->finished)
        return;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (c->close_reason, sizeof (c->close_reason), fmt, ap);
    va_end (ap);
    c->closing = true;
    bufferevent_disable (c->bev, EV_READ);
    struct timeval now = {0, 0};
    evtimer_add (c->timer, &now);
}

/* Send an error message and close (for protocol violations). */
static void fail_with (struct conn *c, const char *text)
{
    json_t *e = proto_error_create (-1, text);
    if (e) {
        conn_send (c, e);
        json_decref (e);
    }
    close_with (c, "%s", text);
}

static void arm_stall (struct conn *c)
{
    struct timeval tv = {c->cfg.stall_timeout, 0};
    evtimer_add (c->timer, &tv);
    c->timer_armed = true;
}

/* The stall deadline covers one frame, from its first byte, and the hello:
 * it is not pushed back by each byte, so a trickling peer times out too. */
static void update_stall (struct conn *c)
{
    if (c->closing || c->finished)
        return;
    bool want = !c->authed || proto_decoder_partial (c->dec);
    if (want && !c->timer_armed)
        arm_stall (c);
    else if (!want && c->timer_armed) {
        evtimer_del (c->timer);
        c->timer_armed = false;
    }
}

static void timer_cb (evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    enter (c);
    if (c->closing) {
        if (evbuffer_get_length (bufferevent_get_output (c->bev)) == 0 || c->flush_deadline)
            finish (c, c->close_reason);
        else {
            struct timeval tv = {c->cfg.stall_timeout, 0};
            c->flush_deadline = true;
            evtimer_add (c->timer, &tv);
        }
    } else if (!c->finished) {
        c->timer_armed = false;
        if (!c->authed)
            close_with (c, "no hello within %d seconds", c->cfg.stall_timeout);
        else
            close_with (c, "frame not complete within %d seconds", c->cfg.stall_timeout);
    }
    leave (c);
}

static int send_hello (struct conn *c, struct herror *err)
{
    char *cred = NULL;
    /* A server answers with the spare its daemon made ahead (auth.h); on a
     * UNIX socket the client asks the kernel who listens instead. */
    if (!c->local && (c->server ? auth_cred_take (c->cfg.role, &cred, err)
                                : auth_cred_create (c->cfg.role, &cred, err)) < 0)
        return -1;
    json_t *m;
    if (c->server && c->local)
        m = json_pack ("{s:s, s:i, s:I, s:I}", "type", "hello.ok", "version", PROTO_VERSION, "uid",
                       (json_int_t)c->peer.uid, "gid", (json_int_t)c->peer.gid);
    else if (c->server)
        m = json_pack ("{s:s, s:i, s:I, s:I, s:s}", "type", "hello.ok", "version", PROTO_VERSION,
                       "uid", (json_int_t)c->peer.uid, "gid", (json_int_t)c->peer.gid, "cred",
                       cred);
    else
        m = json_pack ("{s:s, s:i, s:s, s:s}", "type", "hello", "version", PROTO_VERSION, "role",
                       c->cfg.role, "cred", cred);
    free (cred);
    int rc = m ? conn_send (c, m) : -1;
    json_decref (m);
    if (rc < 0)
        herror_set (err, "cannot queue the hello: %s", strerror (errno));
    return rc;
}

/* Check version and credential of a hello (server) or hello.ok (client). */
static int check_hello (struct conn *c, json_t *msg, struct herror *err)
{
    const char *type = proto_msg_type (msg);
    const char *want = c->server ? "hello" : "hello.ok";
    if (!c->server && !strcmp (type, "error")) {
        const char *text = json_string_value (json_object_get (msg, "error"));
        return herror_set (err, "%s", text ? text : "error without text");
    }
    if (strcmp (type, want) != 0)
        return herror_set (err, "expected %s, got \"%.64s\"", want, type);
    int64_t version;
    const char *cred, *role = c->cfg.peer_role;
    if (proto_get_int (msg, "version", &version, err) < 0)
        return -1;
    if (version != PROTO_VERSION)
        return herror_set (err, "protocol version mismatch: peer speaks %lld, we speak %d",
                           (long long)version, PROTO_VERSION);
    if (!c->local && proto_get_string (msg, "cred", &cred, err) < 0)
        return -1;
    if (c->server && proto_get_string (msg, "role", &role, err) < 0)
        return -1;
    if (strlen (role) >= sizeof (c->peer.role))
        return herror_set (err, "role \"%.40s...\" is too long", role);
    uid_t uid = c->local_uid;
    gid_t gid = c->local_gid;
    if (!c->local && auth_cred_verify (cred, role, &uid, &gid, err) < 0) {
        herror_prefix (err, "authentication failed");
        return -1;
    }
    c->peer.uid = uid;
    c->peer.gid = gid;
    snprintf (c->peer.role, sizeof (c->peer.role), "%s", role);
    /* Who the peer is was proved; whether it may come in is another matter
     * (a role it may not take, too many connections): say so. */
    if (c->cfg.ops.allow && c->cfg.ops.allow (&c->peer, c->cfg.arg, err) < 0) {
        herror_prefix (err, "connection refused");
        return -1;
    }
    return 0;
}

static void handle_hello (struct conn *c, json_t *msg)
{
    struct herror err;
    if (check_hello (c, msg, &err) < 0 || (c->server && send_hello (c, &err) < 0)) {
        c->peer.uid = (uid_t)-1;
        c->peer.gid = (gid_t)-1;
        c->peer.role[0] = '\0';
        if (c->server)
            fail_with (c, err.text);
        else
            close_with (c, "%s", err.text);
        return;
    }
    c->authed = true;
    if (c->listener)
        c->listener->npending--;
    if (c->cfg.ops.ready)
        c->cfg.ops.ready (c, &c->peer, c->cfg.arg);
}

/* A frame the decoder refused. */
static void handle_refused (struct conn *c, const char *text)
{
    enum proto_error e = proto_decoder_error (c->dec);
    if (proto_error_is_fatal (e) || !c->authed) {
        fail_with (c, text);
        return;
    }
    json_t *reply = proto_error_create (proto_decoder_error_id (c->dec), text);
    if (reply) {
        conn_send (c, reply);
        json_decref (reply);
    }
    if (c->cfg.ops.refused)
        c->cfg.ops.refused (c, &c->peer, text, c->cfg.arg);
}

static void read_cb (struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    struct evbuffer *in = bufferevent_get_input (bev);
    char buf[16384];
    enter (c);
    while (!c->closing && !c->finished && evbuffer_get_length (in) > 0) {
        int n = evbuffer_remove (in, buf, sizeof (buf));
        if (n <= 0 || proto_decoder_feed (c->dec, buf, (size_t)n) < 0) {
            close_with (c, "out of memory reading a frame");
            break;
        }
        json_t *msg;
        int rc;
        struct herror err;
        while (!c->closing && !c->finished && (rc = proto_decoder_next (c->dec, &msg, &err))) {
            if (rc < 0) {
                handle_refused (c, err.text);
                continue;
            }
            if (!c->authed)
                handle_hello (c, msg);
            else if (c->cfg.ops.msg)
                c->cfg.ops.msg (c, &c->peer, msg, c->cfg.arg);
            json_decref (msg);
        }
    }
    update_stall (c);
    leave (c);
}

static void write_cb (struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    enter (c);
    if (c->closing && !c->finished && evbuffer_get_length (bufferevent_get_output (bev)) == 0)
        finish (c, c->close_reason);
    leave (c);
}

static void event_cb (struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;
    enter (c);
    if (what & BEV_EVENT_CONNECTED) {
        int one = 1;
        c->connected = true;
        setsockopt (bufferevent_getfd (bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
    } else if (what & BEV_EVENT_EOF) {
        finish (c, c->closing ? c->close_reason : "connection closed by peer");
    } else if (what & BEV_EVENT_ERROR) {
        char reason[HERROR_TEXT_MAX];
        snprintf (reason, sizeof (reason), "connection error: %s",
                  evutil_socket_error_to_string (EVUTIL_SOCKET_ERROR()));
        finish (c, reason);
    }
    leave (c);
}

static struct conn *conn_new (struct event_base *base, evutil_socket_t fd,
                              const struct conn_config *cfg, bool server)
{
    struct conn *c = calloc (1, sizeof (*c));
    if (!c)
        return NULL;
    c->cfg = *cfg;
    c->server = server;
    c->connected = server; /* accepted; a client's once bufferevent says so */
    c->peer.uid = (uid_t)-1;
    c->peer.gid = (gid_t)-1;
    c->bev = bufferevent_socket_new (base, fd, BEV_OPT_CLOSE_ON_FREE);
    c->timer = evtimer_new (base, timer_cb, c);
    c->dec = proto_decoder_create (cfg->max_frame);
    if (!c->bev || !c->timer || !c->dec) {
        if (!c->bev && fd >= 0)
            evutil_closesocket (fd);
        conn_free (c);
        errno = ENOMEM;
        return NULL;
    }
    bufferevent_setcb (c->bev, read_cb, write_cb, event_cb, c);
    arm_stall (c);
    return c;
}

static int config_init (struct conn_config *cfg, const struct conn_options *opts,
                        const struct conn_ops *ops, void *arg, bool server, struct herror *err)
{
    memset (cfg, 0, sizeof (*cfg));
    const char *peer_role = opts && opts->peer_role ? opts->peer_role : AUTH_ROLE_CTLD;
    if (!opts || !opts->role || strlen (opts->role) >= sizeof (cfg->role) ||
        strlen (peer_role) >= sizeof (cfg->peer_role)) {
        errno = EINVAL;
        return herror_set (err, "connection options need a role");
    }
    strcpy (cfg->role, opts->role);
    strcpy (cfg->peer_role, peer_role);
    cfg->max_frame = opts->max_frame;
    cfg->stall_timeout = opts->stall_timeout > 0 ? opts->stall_timeout : CONN_STALL_TIMEOUT_DEFAULT;
    if (ops)
        cfg->ops = *ops;
    cfg->arg = arg;
    return 0;
}

static void sockaddr_text (const struct sockaddr *sa, socklen_t len, char *out, size_t size)
{
    char host[INET6_ADDRSTRLEN], serv[8];
    if (getnameinfo (sa, len, host, sizeof (host), serv, sizeof (serv),
                     NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        snprintf (out, size, "?");
    else if (sa->sa_family == AF_INET6)
        snprintf (out, size, "[%.46s]:%.7s", host, serv);
    else
        snprintf (out, size, "%.46s:%.7s", host, serv);
}

static void rejected (struct conn_listener *l, const char *addr, const char *why)
{
    if (l->cfg.ops.rejected)
        l->cfg.ops.rejected (addr, why, l->cfg.arg);
}

static void accept_cb (struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa,
                       int salen, void *arg)
{
    struct conn_listener *l = arg;
    char addr[64];
    struct herror err;
    struct ucred cred = {.pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1};

    if (l->path) {
        /* The kernel's word on who connected: what MUNGE proves on TCP. */
        socklen_t cl = sizeof (cred);
        if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) {
            evutil_closesocket (fd);
            rejected (l, "local", "cannot read the peer's credentials (SO_PEERCRED)");
            return;
        }
        snprintf (addr, sizeof (addr), "local:%d", (int)cred.pid);
    } else
        sockaddr_text (sa, (socklen_t)salen, addr, sizeof (addr));
    if (l->cfg.ops.admit && l->cfg.ops.admit (addr, l->nconns, l->npending, l->cfg.arg, &err) < 0) {
        evutil_closesocket (fd);
        rejected (l, addr, err.text);
        return;
    }
    struct conn *c = conn_new (l->base, fd, &l->cfg, true);
    if (!c) {
        rejected (l, addr, "out of memory"); /* fd closed by conn_new */
        return;
    }
    if (l->path) {
        c->local = true;
        c->local_uid = cred.uid;
        c->local_gid = cred.gid;
    } else {
        int one = 1;
        setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
    }
    snprintf (c->peer.addr, sizeof (c->peer.addr), "%s", addr);
    c->listener = l;
    c->next = l->conns;
    if (l->conns)
        l->conns->prev = c;
    l->conns = c;
    l->nconns++;
    l->npending++;
    bufferevent_enable (c->bev, EV_READ | EV_WRITE);
}

static void resume_cb (evutil_socket_t fd, short what, void *arg)
{
    struct conn_listener *l = arg;
    evconnlistener_enable (l->evl);
}

/* accept() failed.  Out of file descriptors the socket stays readable, and
 * accepting again at once would spin: pause for a second (the connections
 * wait in the backlog meanwhile). */
static void accept_error_cb (struct evconnlistener *evl, void *arg)
{
    struct conn_listener *l = arg;
    int e = EVUTIL_SOCKET_ERROR();
    char why[128];
    snprintf (why, sizeof (why), "accept: %s", evutil_socket_error_to_string (e));
    if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
        struct timeval tv = {1, 0};
        evconnlistener_disable (l->evl);
        evtimer_add (l->pause_ev, &tv);
        snprintf (why, sizeof (why), "accept: %s (pausing for a second)",
                  evutil_socket_error_to_string (e));
    }
    rejected (l, "?", why);
}

/* Bind and listen on SA for both kinds of listener; NAME for messages. */
static struct conn_listener *listener_new (struct event_base *base, const struct sockaddr *sa,
                                           socklen_t salen, const char *name,
                                           const struct conn_options *opts,
                                           const struct conn_ops *ops, void *arg,
                                           struct herror *err)
{
    struct conn_listener *l = calloc (1, sizeof (*l));
    if (!l) {
        herror_set (err, "out of memory");
        return NULL;
    }
    l->base = base;
    if (config_init (&l->cfg, opts, ops, arg, true, err) < 0)
        goto fail;
    unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC;
    if (sa->sa_family != AF_UNIX)
        flags |= LEV_OPT_REUSEABLE;
    l->evl = evconnlistener_new_bind (base, accept_cb, l, flags, 128, sa, (int)salen);
    if (!l->evl) {
        int saved = errno;
        herror_set (err, "cannot listen on %s: %s", name, strerror (saved));
        errno = saved;
        goto fail;
    }
    if (!(l->pause_ev = evtimer_new (base, resume_cb, l))) {
        herror_set (err, "out of memory");
        goto fail;
    }
    evconnlistener_set_error_cb (l->evl, accept_error_cb);
    return l;
fail:
    conn_listener_destroy (l);
    return NULL;
}

struct conn_listener *conn_listen (struct event_base *base, const char *addr, int port,
                                   const struct conn_options *opts, const struct conn_ops *ops,
                                   void *arg, struct herror *err)
{
    char portstr[16], name[300];
    snprintf (portstr, sizeof (portstr), "%d", port);
    snprintf (name, sizeof (name), "%.250s:%d", addr && *addr ? addr : "*", port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res;
    int rc = getaddrinfo (addr && *addr ? addr : NULL, portstr, &hints, &res);
    if (rc != 0) {
        herror_set (err, "cannot listen on %s: %s", name, gai_strerror (rc));
        errno = EINVAL;
        return NULL;
    }
    struct conn_listener *l =
        listener_new (base, res->ai_addr, res->ai_addrlen, name, opts, ops, arg, err);
    freeaddrinfo (res);
    if (!l)
        return NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof (ss);
    if (getsockname (evconnlistener_get_fd (l->evl), (struct sockaddr *)&ss, &sl) == 0)
        l->port = ntohs (ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                  : ((struct sockaddr_in *)&ss)->sin_port);
    return l;
}

struct conn_listener *conn_listen_local (struct event_base *base, const char *path,
                                         const struct conn_options *opts,
                                         const struct conn_ops *ops, void *arg, struct herror *err)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (!path || path[0] != '/' || strlen (path) >= sizeof (sun.sun_path)) {
        herror_set (err, "local socket \"%.200s\": not an absolute path of at most %zu bytes",
                    path ? path : "", sizeof (sun.sun_path) - 1);
        errno = EINVAL;
        return NULL;
    }
    strcpy (sun.sun_path, path);
    /* A socket left by a daemon that died is replaced; one a live daemon
     * listens on, or anything else at PATH, is not ours to remove. */
    struct stat st;
    if (lstat (path, &st) == 0) {
        if (!S_ISSOCK (st.st_mode)) {
            errno = EEXIST;
            herror_set (err, "local socket %s: exists and is not a socket", path);
            return NULL;
        }
        int probe = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        bool live = probe >= 0 && (connect (probe, (struct sockaddr *)&sun, sizeof (sun)) == 0 ||
                                   errno == EAGAIN);
        if (probe >= 0)
            close (probe);
        if (live) {
            errno = EADDRINUSE;
            herror_set (err, "local socket %s: another daemon listens on it", path);
            return NULL;
        }
        if (unlink (path) < 0) {
            int saved = errno;
            herror_set (err, "local socket %s: cannot remove the old one: %s", path,
                        strerror (saved));
            errno = saved;
            return NULL;
        }
    }
    /* Anyone may connect, as anyone may reach the TCP port: who they are
     * is what SO_PEERCRED says. */
    mode_t old = umask (0);
    struct conn_listener *l =
        listener_new (base, (struct sockaddr *)&sun, sizeof (sun), path, opts, ops, arg, err);
    umask (old);
    if (l && !(l->path = strdup (path))) {
        conn_listener_destroy (l);
        unlink (path);
        errno = ENOMEM;
        herror_set (err, "out of memory");
        return NULL;
    }
    return l;
}

int conn_listener_port (const struct conn_listener *l)
{
    return l->port;
}

int conn_listener_count (const struct conn_listener *l, int *npending)
{
    if (npending)
        *npending = l->npending;
    return l->nconns;
}

void conn_listener_destroy (struct conn_listener *l)
{
    int saved = errno;
    if (l) {
        struct conn *c;
        while ((c = l->conns)) {
            l->conns = c->next;
            c->listener = NULL;
            c->prev = c->next = NULL;
            conn_destroy (c);
        }
        if (l->evl)
            evconnlistener_free (l->evl);
        if (l->path) {
            unlink (l->path);
            free (l->path);
        }
        if (l->pause_ev)
            event_free (l->pause_ev);
        free (l);
    }
    errno = saved;
}

/* A non-blocking socket for res's family bound to addr (any port), so the
 * peer sees the connection come from that address. */
static evutil_socket_t bound_socket (const struct addrinfo *res, const char *addr,
                                     struct herror *err)
{
    struct addrinfo hints = {.ai_family = res->ai_family,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_PASSIVE};
    struct addrinfo *local;
    int rc = getaddrinfo (addr, "0", &hints, &local);
    if (rc != 0) {
        herror_set (err, "bind address \"%s\": %s", addr, gai_strerror (rc));
        errno = EINVAL;
        return -1;
    }
    evutil_socket_t fd = socket (res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind (fd, local->ai_addr, local->ai_addrlen) < 0) {
        int saved = errno;
        herror_set (err, "bind address \"%s\": %s", addr, strerror (saved));
        if (fd >= 0)
            close (fd);
        freeaddrinfo (local);
        errno = saved;
        return -1;
    }
    freeaddrinfo (local);
    return fd;
}

struct conn *conn_connect (struct event_base *base, const char *hostport,
                           const struct conn_options *opts, const struct conn_ops *ops, void *arg,
                           struct herror *err)
{
    struct conn_config cfg;
    char *host, *port;
    if (config_init (&cfg, opts, ops, arg, false, err) < 0)
        return NULL;
    if (client_parse_hostport (hostport, &host, &port, err) < 0)
        return NULL;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
    struct addrinfo *res;
    int rc = getaddrinfo (host, port, &hints, &res);
    if (rc != 0) {
        herror_set (err, "cannot resolve \"%s\": %s", host, gai_strerror (rc));
        free (host);
        free (port);
        errno = EHOSTUNREACH;
        return NULL;
    }
    free (host);
    free (port);
    evutil_socket_t fd = -1;
    if (opts && opts->bind_addr && (fd = bound_socket (res, opts->bind_addr, err)) < 0) {
        freeaddrinfo (res);
        return NULL;
    }
    struct conn *c = conn_new (base, fd, &cfg, false);
    if (!c) {
        if (fd >= 0)
            close (fd);
        freeaddrinfo (res);
        herror_set (err, "out of memory");
        return NULL;
    }
    snprintf (c->peer.addr, sizeof (c->peer.addr), "%s", hostport);
    /* Connection errors from here on arrive, deferred, through event_cb. */
    rc = bufferevent_socket_connect (c->bev, res->ai_addr, (int)res->ai_addrlen);
    int saved = errno;
    freeaddrinfo (res);
    if (rc < 0) {
        herror_set (err, "cannot connect to %s: %s", hostport, strerror (saved));
        conn_destroy (c);
        errno = saved;
        return NULL;
    }
    if (send_hello (c, err) < 0) {
        conn_destroy (c);
        return NULL;
    }
    bufferevent_enable (c->bev, EV_READ | EV_WRITE);
    return c;
}

static void free_frame (const void *data, size_t len, void *arg)
{
    free ((void *)data);
}

/* With nothing queued before it, a frame is written at once, most often
 * whole: a reply leaves in the turn that made it, without waiting for the
 * loop to report the socket writable (two epoll_ctl and an epoll_wait per
 * reply).  What the socket does not take, and every frame behind queued
 * ones, goes to the output buffer; so does a frame the write failed for:
 * the bufferevent meets the same error and ends the connection its way. */
int conn_send (struct conn *c, const json_t *msg)
{
    if (c->closing || c->finished) {
        errno = EPIPE;
        return -1;
    }
    size_t len;
    char *frame = proto_encode (msg, &len);
    if (!frame)
        return -1;
    struct evbuffer *out = bufferevent_get_output (c->bev);
    size_t sent = 0;
    if (c->connected && evbuffer_get_length (out) == 0) {
        ssize_t n = send (bufferevent_getfd (c->bev), frame, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        sent = n > 0 ? (size_t)n : 0;
    }
    int rc = 0;
    if (sent == len)
        free (frame);
    else if (sent > 0) {
        rc = evbuffer_add (out, frame + sent, len - sent);
        free (frame);
    } else if ((rc = evbuffer_add_reference (out, frame, len, free_frame, NULL)) < 0)
        free (frame); /* handed to the evbuffer without a copy otherwise */
    if (rc < 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

int conn_send_error (struct conn *c, const json_t *req, const char *fmt, ...)
{
    char text[HERROR_TEXT_MAX];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (text, sizeof (text), fmt, ap);
    va_end (ap);
    json_t *e = proto_error_create (proto_msg_id (req), text);
    if (!e)
        return -1;
    int rc = conn_send (c, e);
    int saved = errno;
    json_decref (e);
    errno = saved;
    return rc;
}

void conn_close (struct conn *c)
{
    close_with (c, "closed");
}

void conn_destroy (struct conn *c)
{
    int saved = errno;
    if (c && !c->finished) {
        c->finished = true; /* no ops->closed */
        bufferevent_disable (c->bev, EV_READ | EV_WRITE);
        evtimer_del (c->timer);
        if (c->depth == 0)
            conn_free (c);
    }
    errno = saved;
}

int conn_hand_over (struct conn *c)
{
    if (!c->authed || c->closing || c->finished || proto_decoder_partial (c->dec) ||
        evbuffer_get_length (bufferevent_get_input (c->bev)) > 0 ||
        evbuffer_get_length (bufferevent_get_output (c->bev)) > 0) {
        errno = EBUSY;
        return -1;
    }
    int fd = fcntl (bufferevent_getfd (c->bev), F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return -1;
    conn_destroy (c);
    return fd;
}

const struct conn_peer *conn_peer (const struct conn *c)
{
    return &c->peer;
}

bool conn_ready (const struct conn *c)
{
    return c->authed;
}

size_t conn_output_pending (const struct conn *c)
{
    return evbuffer_get_length (bufferevent_get_output (c->bev));
}

void conn_set_aux (struct conn *c, void *aux)
{
    c->aux = aux;
}

void *conn_aux (const struct conn *c)
{
    return c->aux;
}
