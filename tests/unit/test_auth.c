/* Unit tests for common/auth (MUNGE), common/conn (daemon side) and
 * common/client (CLI side), against a private munged started with
 * tests/munge-private.sh.  Every test is skipped when munged is missing. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "common/auth.h"
#include "common/client.h"
#include "common/conn.h"
#include "common/proto.h"

static char munge_dir[256];
static bool have_munge;

static int start_munge (void **state)
{
    char tmpl[] = "/tmp/huddle-test-auth.XXXXXX";
    if (!mkdtemp (tmpl))
        return 0;
    snprintf (munge_dir, sizeof (munge_dir), "%s", tmpl);
    /* munged wants its socket reachable by everyone (so do job users) */
    chmod (munge_dir, 0755);
    char cmd[512];
    snprintf (cmd, sizeof (cmd), "%s start %s/munge 2>&1", MUNGE_PRIVATE, munge_dir);
    FILE *p = popen (cmd, "r");
    char line[512] = "";
    if (p) {
        if (!fgets (line, sizeof (line), p))
            line[0] = '\0';
        int rc = pclose (p);
        line[strcspn (line, "\n")] = '\0';
        if (rc == 0 && line[0] == '/') {
            setenv (AUTH_SOCKET_ENV, line, 1);
            have_munge = true;
        } else {
            fprintf (stderr, "# no private munged, skipping: %s\n", line);
        }
    }
    if (!have_munge) {
        snprintf (cmd, sizeof (cmd), "rm -rf %s", munge_dir);
        if (system (cmd) != 0)
            fprintf (stderr, "# cleanup of %s failed\n", munge_dir);
        munge_dir[0] = '\0';
    }
    return 0;
}

static int stop_munge (void **state)
{
    char cmd[1024];
    if (munge_dir[0]) {
        snprintf (cmd, sizeof (cmd), "%s stop %s/munge >/dev/null 2>&1; rm -rf %s", MUNGE_PRIVATE,
                  munge_dir, munge_dir);
        if (system (cmd) != 0)
            fprintf (stderr, "# cleanup of %s failed\n", munge_dir);
    }
    return 0;
}

#define NEED_MUNGE()                                                                               \
    do {                                                                                           \
        if (!have_munge)                                                                           \
            skip();                                                                                \
    } while (0)

/* ------------------------------------------------------------------ auth */

static void cred_roundtrip (void **state)
{
    NEED_MUNGE();
    struct herror err;
    char *cred;
    uid_t uid = 12345;
    gid_t gid = 12345;
    assert_int_equal (auth_cred_create ("agent", &cred, &err), 0);
    assert_memory_equal (cred, "MUNGE:", 6);
    assert_int_equal (auth_cred_verify (cred, "agent", &uid, &gid, &err), 0);
    assert_int_equal (uid, getuid());
    assert_int_equal (gid, getgid());
    /* the same credential again is a replay */
    errno = 0;
    assert_int_equal (auth_cred_verify (cred, "agent", &uid, &gid, &err), -1);
    assert_int_equal (errno, EACCES);
    assert_string_equal (err.text, "credential replayed");
    free (cred);
}

/* The spare: taken once (the same text never handed out twice), only for
 * its role, and it decodes like a fresh credential. */
static void cred_spare (void **state)
{
    NEED_MUNGE();
    struct herror err;
    char *a, *b, *c;
    uid_t uid = 12345;
    assert_int_equal (auth_cred_prepare ("ctld", &err), 0);
    assert_int_equal (auth_cred_prepare ("ctld", &err), 0); /* keeps the one it has */
    assert_int_equal (auth_cred_take ("ctld", &a, &err), 0);
    assert_int_equal (auth_cred_take ("ctld", &b, &err), 0); /* none kept: a new one */
    assert_string_not_equal (a, b);
    assert_int_equal (auth_cred_verify (a, "ctld", &uid, NULL, &err), 0);
    assert_int_equal (uid, getuid());
    assert_int_equal (auth_cred_verify (b, "ctld", NULL, NULL, &err), 0);
    /* a spare of another role is not handed out for this one */
    assert_int_equal (auth_cred_prepare ("agent", &err), 0);
    assert_int_equal (auth_cred_take ("ctld", &c, &err), 0);
    assert_int_equal (auth_cred_verify (c, "ctld", NULL, NULL, &err), 0);
    assert_int_equal (auth_cred_prepare ("a:b", &err), -1);
    assert_int_equal (errno, EINVAL);
    auth_cred_discard();
    free (a);
    free (b);
    free (c);
}

static void cred_wrong_role (void **state)
{
    NEED_MUNGE();
    struct herror err;
    char *cred;
    uid_t uid = 777;
    assert_int_equal (auth_cred_create ("client", &cred, &err), 0);
    assert_int_equal (auth_cred_verify (cred, "agent", &uid, NULL, &err), -1);
    assert_int_equal (errno, EACCES);
    assert_string_equal (err.text, "credential is for role \"client\", expected \"agent\"");
    assert_int_equal (uid, 777); /* untouched on failure */
    free (cred);
}

static void cred_garbage (void **state)
{
    NEED_MUNGE();
    struct herror err;
    assert_int_equal (auth_cred_verify ("MUNGE:AAAAbogus:", "agent", NULL, NULL, &err), -1);
    assert_int_equal (errno, EACCES);
    assert_non_null (strstr (err.text, "credential"));
    assert_int_equal (auth_cred_verify ("hello", "agent", NULL, NULL, &err), -1);
    char *cred;
    assert_int_equal (auth_cred_create ("a:b", &cred, &err), -1);
    assert_int_equal (errno, EINVAL);
}

static void no_munged (void **state)
{
    NEED_MUNGE();
    struct herror err;
    char *cred;
    char *saved = strdup (getenv (AUTH_SOCKET_ENV));
    setenv (AUTH_SOCKET_ENV, "/nonexistent/munge.sock", 1);
    assert_int_equal (auth_cred_create ("agent", &cred, &err), -1);
    assert_non_null (strstr (err.text, "/nonexistent/munge.sock"));
    setenv (AUTH_SOCKET_ENV, saved, 1);
    free (saved);
}

/* ------------------------------------------------- a server in a thread */

struct server {
    struct event_base *base;
    struct conn_listener *l;
    struct event *poll;
    pthread_t thread;
    atomic_bool stop;
    atomic_int closed;
    atomic_int refused;
    char last_reason[256];
    pthread_mutex_t lock;
};

static void echo_msg (struct conn *c, const struct conn_peer *peer, json_t *msg, void *arg)
{
    const char *type = proto_msg_type (msg);
    if (!strcmp (type, "fail")) {
        conn_send_error (c, msg, "message fail: as requested");
        return;
    }
    if (!strcmp (type, "bye")) {
        json_t *r = proto_reply_ok (msg);
        conn_send (c, r);
        json_decref (r);
        conn_close (c);
        return;
    }
    json_t *r = proto_reply_ok (msg);
    json_object_set (r, "echo", msg);
    json_object_set_new (r, "uid", json_integer (peer->uid));
    json_object_set_new (r, "role", json_string (peer->role));
    conn_send (c, r);
    json_decref (r);
}

static int allow_clients_only (const struct conn_peer *peer, void *arg, struct herror *err)
{
    if (strcmp (peer->role, "client") != 0 && strcmp (peer->role, "agent") != 0)
        return herror_set (err, "role %s not accepted", peer->role);
    if (!strcmp (peer->role, "agent") && peer->uid == 0 && getenv ("TEST_DENY_AGENT"))
        return herror_set (err, "uid %d may not connect as agent", (int)peer->uid);
    return 0;
}

static void srv_refused (struct conn *c, const struct conn_peer *peer, const char *text, void *arg)
{
    struct server *s = arg;
    s->refused++;
}

static void srv_closed (struct conn *c, const struct conn_peer *peer, const char *reason, void *arg)
{
    struct server *s = arg;
    pthread_mutex_lock (&s->lock);
    snprintf (s->last_reason, sizeof (s->last_reason), "%s", reason);
    pthread_mutex_unlock (&s->lock);
    s->closed++;
}

static void poll_stop (evutil_socket_t fd, short what, void *arg)
{
    struct server *s = arg;
    if (s->stop)
        event_base_loopbreak (s->base);
}

static void *server_loop (void *arg)
{
    struct server *s = arg;
    event_base_dispatch (s->base);
    return NULL;
}

/* A server on 127.0.0.1, or on a UNIX socket at PATH when PATH is set. */
static struct server *server_start_at (int stall_timeout, const char *path)
{
    struct server *s = calloc (1, sizeof (*s));
    struct herror err;
    pthread_mutex_init (&s->lock, NULL);
    s->base = event_base_new();
    struct conn_options opts = {.role = "ctld", .max_frame = 1000, .stall_timeout = stall_timeout};
    struct conn_ops ops = {
        .allow = allow_clients_only, .msg = echo_msg, .refused = srv_refused, .closed = srv_closed};
    s->l = path ? conn_listen_local (s->base, path, &opts, &ops, s, &err)
                : conn_listen (s->base, "127.0.0.1", 0, &opts, &ops, s, &err);
    if (!s->l)
        fail_msg ("conn_listen: %s", err.text);
    s->poll = event_new (s->base, -1, EV_PERSIST, poll_stop, s);
    struct timeval tv = {0, 20000};
    event_add (s->poll, &tv);
    pthread_create (&s->thread, NULL, server_loop, s);
    return s;
}

static struct server *server_start (int stall_timeout)
{
    return server_start_at (stall_timeout, NULL);
}

static void server_stop (struct server *s)
{
    s->stop = true;
    pthread_join (s->thread, NULL);
    conn_listener_destroy (s->l);
    event_free (s->poll);
    event_base_free (s->base);
    pthread_mutex_destroy (&s->lock);
    free (s);
}

static char *addr_of (struct server *s)
{
    static char buf[64];
    snprintf (buf, sizeof (buf), "127.0.0.1:%d", conn_listener_port (s->l));
    return buf;
}

/* ------------------------------------------------------------- client */

static void client_request_reply (void **state)
{
    NEED_MUNGE();
    struct server *s = server_start (0);
    struct herror err;
    struct client *c = client_connect (addr_of (s), "client", &err);
    if (!c)
        fail_msg ("client_connect: %s", err.text);
    assert_int_equal (client_server_uid (c), getuid());
    assert_int_equal (client_uid (c), getuid());

    json_t *req = json_pack ("{s:s, s:i}", "type", "job.delete", "seq", 3);
    json_t *reply = client_request (c, req, &err);
    assert_non_null (reply);
    assert_string_equal (proto_msg_type (reply), "job.delete.ok");
    assert_int_equal (proto_msg_id (reply), proto_msg_id (req));
    assert_int_equal (json_integer_value (json_object_get (reply, "uid")), getuid());
    assert_string_equal (json_string_value (json_object_get (reply, "role")), "client");
    json_decref (reply);
    json_decref (req);

    /* error replies become NULL + the server's sentence */
    req = json_pack ("{s:s}", "type", "fail");
    assert_null (client_request (c, req, &err));
    assert_int_equal (errno, EREMOTEIO);
    assert_string_equal (err.text, "message fail: as requested");
    json_decref (req);

    /* pipelining: 200 sends, then 200 replies in order */
    for (int i = 0; i < 200; i++) {
        json_t *r = json_pack ("{s:s, s:i}", "type", "node.query", "n", i);
        assert_true (client_send (c, r, &err) > 0);
        json_decref (r);
    }
    int64_t last = -1;
    for (int i = 0; i < 200; i++) {
        json_t *r = client_recv (c, &err);
        assert_non_null (r);
        assert_true (proto_msg_id (r) > last);
        last = proto_msg_id (r);
        assert_int_equal (json_integer_value (json_object_get (json_object_get (r, "echo"), "n")),
                          i);
        json_decref (r);
    }

    /* the server closes after "bye" */
    req = json_pack ("{s:s}", "type", "bye");
    reply = client_request (c, req, &err);
    assert_non_null (reply);
    json_decref (reply);
    json_decref (req);
    assert_null (client_recv (c, &err));
    assert_int_equal (errno, ECONNRESET);
    client_destroy (c);
    server_stop (s);
}

static void client_errors (void **state)
{
    NEED_MUNGE();
    struct herror err;
    char *h, *p;
    assert_null (client_connect ("nohostport", "client", &err));
    assert_string_equal (err.text, "address \"nohostport\": expected HOST:PORT");
    assert_int_equal (client_parse_hostport ("h:0", &h, &p, &err), -1);
    assert_string_equal (err.text, "address \"h:0\": port must be a number from 1 to 65535");
    assert_int_equal (client_parse_hostport (":80", &h, &p, &err), -1);
    assert_int_equal (client_parse_hostport ("[::1]:7810", &h, &p, &err), 0);
    assert_string_equal (h, "::1");
    assert_string_equal (p, "7810");
    free (h);
    free (p);

    /* nothing listening */
    struct server *s = server_start (0);
    char addr[64];
    snprintf (addr, sizeof (addr), "%s", addr_of (s));
    server_stop (s);
    assert_null (client_connect (addr, "client", &err));
    assert_int_equal (errno, ECONNREFUSED);
    assert_non_null (strstr (err.text, "cannot connect to 127.0.0.1:"));

    /* the server refuses the role */
    s = server_start (0);
    assert_null (client_connect (addr_of (s), "ctld", &err));
    assert_string_equal (err.text, "connection refused: role ctld not accepted");
    server_stop (s);
}

static void server_address (void **state)
{
    struct herror err;
    char path[] = "/tmp/huddle-conf.XXXXXX";
    int fd = mkstemp (path);
    const char *text = "# huddle.conf\nheartbeat_interval = 5\n  server = head1:7810  # ctld\n";
    assert_int_equal (write (fd, text, strlen (text)), strlen (text));
    close (fd);

    setenv ("HUDDLE_SERVER", "envhost:1", 1);
    char *a = client_server_address (&err);
    assert_string_equal (a, "envhost:1");
    free (a);
    unsetenv ("HUDDLE_SERVER");
    setenv ("HUDDLE_CONF", path, 1);
    a = client_server_address (&err);
    assert_non_null (a);
    assert_string_equal (a, "head1:7810");
    free (a);
    setenv ("HUDDLE_CONF", "/nonexistent/huddle.conf", 1);
    assert_null (client_server_address (&err));
    assert_string_equal (err.text, "no controller address: set HUDDLE_SERVER=HOST:PORT or put "
                                   "\"server = HOST:PORT\" in /nonexistent/huddle.conf");
    unsetenv ("HUDDLE_CONF");
    unlink (path);
}

/* ------------------------------------------- raw sockets against conn */

static int raw_connect (struct server *s)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons (conn_listener_port (s->l))};
    inet_pton (AF_INET, "127.0.0.1", &sin.sin_addr);
    assert_int_equal (connect (fd, (struct sockaddr *)&sin, sizeof (sin)), 0);
    return fd;
}

static void raw_send (int fd, const void *buf, size_t len)
{
    assert_int_equal (send (fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void raw_send_msg (int fd, json_t *m)
{
    size_t len;
    void *f = proto_encode (m, &len);
    raw_send (fd, f, len);
    free (f);
    json_decref (m);
}

/* Read one message; NULL on EOF or after timeout_s. */
static json_t *raw_recv (int fd, struct proto_decoder *d, int timeout_s)
{
    for (;;) {
        json_t *m;
        struct herror err;
        int rc = proto_decoder_next (d, &m, &err);
        if (rc == 1)
            return m;
        assert_int_equal (rc, 0);
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll (&pfd, 1, timeout_s * 1000) <= 0)
            return NULL;
        char buf[4096];
        ssize_t n = recv (fd, buf, sizeof (buf), 0);
        if (n <= 0)
            return NULL;
        proto_decoder_feed (d, buf, (size_t)n);
    }
}

static void raw_hello (int fd, struct proto_decoder *d, const char *role)
{
    char *cred;
    struct herror err;
    assert_int_equal (auth_cred_create (role, &cred, &err), 0);
    raw_send_msg (fd, json_pack ("{s:s, s:i, s:s, s:s}", "type", "hello", "version", 1, "role",
                                 role, "cred", cred));
    free (cred);
    json_t *r = raw_recv (fd, d, 5);
    assert_non_null (r);
    assert_string_equal (proto_msg_type (r), "hello.ok");
    json_decref (r);
}

static void expect_error_then_close (int fd, struct proto_decoder *d, const char *text)
{
    json_t *r = raw_recv (fd, d, 5);
    assert_non_null (r);
    assert_string_equal (proto_msg_type (r), "error");
    const char *got = json_string_value (json_object_get (r, "error"));
    if (!strstr (got, text))
        fail_msg ("error \"%s\" does not contain \"%s\"", got, text);
    json_decref (r);
    assert_null (raw_recv (fd, d, 5)); /* then EOF */
}

static void conn_requires_hello (void **state)
{
    NEED_MUNGE();
    struct server *s = server_start (0);
    int fd = raw_connect (s);
    struct proto_decoder *d = proto_decoder_create (0);
    raw_send_msg (fd, json_pack ("{s:s, s:i}", "type", "job.delete", "seq", 1));
    expect_error_then_close (fd, d, "expected hello, got \"job.delete\"");
    close (fd);
    proto_decoder_destroy (d);

    /* replayed credential */
    char *cred;
    struct herror err;
    assert_int_equal (auth_cred_create ("client", &cred, &err), 0);
    for (int i = 0; i < 2; i++) {
        fd = raw_connect (s);
        d = proto_decoder_create (0);
        raw_send_msg (fd, json_pack ("{s:s, s:i, s:s, s:s}", "type", "hello", "version", 1, "role",
                                     "client", "cred", cred));
        json_t *r = raw_recv (fd, d, 5);
        assert_non_null (r);
        if (i == 0) {
            assert_string_equal (proto_msg_type (r), "hello.ok");
            json_decref (r);
        } else {
            assert_string_equal (json_string_value (json_object_get (r, "error")),
                                 "authentication failed: credential replayed");
            json_decref (r);
            assert_null (raw_recv (fd, d, 5));
        }
        close (fd);
        proto_decoder_destroy (d);
    }
    free (cred);

    /* claimed role differs from the credential's */
    assert_int_equal (auth_cred_create ("client", &cred, &err), 0);
    fd = raw_connect (s);
    d = proto_decoder_create (0);
    raw_send_msg (fd, json_pack ("{s:s, s:i, s:s, s:s}", "type", "hello", "version", 1, "role",
                                 "agent", "cred", cred));
    expect_error_then_close (
        fd, d, "authentication failed: credential is for role \"client\", expected \"agent\"");
    close (fd);
    proto_decoder_destroy (d);
    free (cred);

    /* version mismatch names both */
    assert_int_equal (auth_cred_create ("client", &cred, &err), 0);
    fd = raw_connect (s);
    d = proto_decoder_create (0);
    raw_send_msg (fd, json_pack ("{s:s, s:i, s:s, s:s}", "type", "hello", "version", 2, "role",
                                 "client", "cred", cred));
    expect_error_then_close (fd, d, "protocol version mismatch: peer speaks 2, we speak 1");
    close (fd);
    proto_decoder_destroy (d);
    free (cred);
    server_stop (s);
}

static void conn_bad_frames (void **state)
{
    NEED_MUNGE();
    struct server *s = server_start (1);
    int fd = raw_connect (s);
    struct proto_decoder *d = proto_decoder_create (0);
    raw_hello (fd, d, "client");

    /* invalid JSON: error reply, connection stays open */
    unsigned char bad[] = {0, 0, 0, 3, '{', 'x', '}'};
    raw_send (fd, bad, sizeof (bad));
    json_t *r = raw_recv (fd, d, 5);
    assert_non_null (r);
    assert_string_equal (proto_msg_type (r), "error");
    assert_non_null (strstr (json_string_value (json_object_get (r, "error")), "invalid JSON"));
    json_decref (r);
    /* no type, but an id: the reply carries it */
    const char *noid = "{\"id\":42}";
    unsigned char f[64] = {0, 0, 0, (unsigned char)strlen (noid)};
    memcpy (f + 4, noid, strlen (noid));
    raw_send (fd, f, 4 + strlen (noid));
    r = raw_recv (fd, d, 5);
    assert_int_equal (proto_msg_id (r), 42);
    json_decref (r);
    /* still usable */
    raw_send_msg (fd, json_pack ("{s:s, s:i}", "type", "ping", "id", 7));
    r = raw_recv (fd, d, 5);
    assert_string_equal (proto_msg_type (r), "ping.ok");
    json_decref (r);
    assert_int_equal (s->refused, 2);

    /* oversize (the test server's limit is 1000): error, then close */
    unsigned char big[4] = {0, 0, 0x10, 0};
    raw_send (fd, big, 4);
    expect_error_then_close (fd, d, "frame of 4096 bytes exceeds the limit of 1000 bytes");
    close (fd);
    proto_decoder_destroy (d);

    /* stalled mid-frame: closed after the stall timeout (1 s here) */
    fd = raw_connect (s);
    d = proto_decoder_create (0);
    raw_hello (fd, d, "client");
    unsigned char half[6] = {0, 0, 0, 20, '{', '"'};
    raw_send (fd, half, sizeof (half));
    time_t t0 = time (NULL);
    assert_null (raw_recv (fd, d, 5));
    assert_true (time (NULL) - t0 <= 3);
    close (fd);
    proto_decoder_destroy (d);

    /* no hello at all: closed too */
    fd = raw_connect (s);
    d = proto_decoder_create (0);
    assert_null (raw_recv (fd, d, 5));
    close (fd);
    proto_decoder_destroy (d);
    for (int i = 0; i < 100 && s->closed < 3; i++)
        usleep (10000);
    pthread_mutex_lock (&s->lock);
    assert_string_equal (s->last_reason, "no hello within 1 seconds");
    pthread_mutex_unlock (&s->lock);
    server_stop (s);
}

/* A random-bytes client never crashes the server (ASan build). */
static void conn_garbage (void **state)
{
    NEED_MUNGE();
    struct server *s = server_start (1);
    srand (7);
    for (int i = 0; i < 30; i++) {
        int fd = raw_connect (s);
        unsigned char buf[512];
        for (size_t j = 0; j < sizeof (buf); j++)
            buf[j] = (unsigned char)rand();
        if (i % 2)
            buf[0] = buf[1] = 0; /* plausible length */
        send (fd, buf, sizeof (buf), MSG_NOSIGNAL);
        close (fd);
    }
    /* still serving */
    struct herror err;
    struct client *c = client_connect (addr_of (s), "client", &err);
    assert_non_null (c);
    client_destroy (c);
    server_stop (s);
}

/* --------------------------------------- conn on both ends (agent side) */

struct agent {
    struct event_base *base;
    bool ready;
    json_t *reply;
    char reason[256];
    bool closed;
};

static void agent_ready (struct conn *c, const struct conn_peer *peer, void *arg)
{
    struct agent *a = arg;
    assert_string_equal (peer->role, "ctld");
    assert_int_equal (peer->uid, getuid());
    a->ready = true;
}

static void agent_msg (struct conn *c, const struct conn_peer *peer, json_t *msg, void *arg)
{
    struct agent *a = arg;
    a->reply = json_incref (msg);
    conn_close (c);
}

static void agent_closed (struct conn *c, const struct conn_peer *peer, const char *reason,
                          void *arg)
{
    struct agent *a = arg;
    snprintf (a->reason, sizeof (a->reason), "%s", reason);
    a->closed = true;
    event_base_loopbreak (a->base);
}

static void conn_both_ends (void **state)
{
    NEED_MUNGE();
    struct server *s = server_start (0);
    struct agent a = {.base = event_base_new()};
    struct conn_options opts = {.role = "agent"};
    struct conn_ops ops = {.ready = agent_ready, .msg = agent_msg, .closed = agent_closed};
    struct herror err;
    struct conn *c = conn_connect (a.base, addr_of (s), &opts, &ops, &a, &err);
    if (!c)
        fail_msg ("conn_connect: %s", err.text);
    /* may send before the hello is answered: it follows the hello */
    json_t *m = json_pack ("{s:s, s:i, s:s}", "type", "node.register", "id", 1, "name", "n1");
    assert_int_equal (conn_send (c, m), 0);
    json_decref (m);
    event_base_dispatch (a.base);
    assert_true (a.ready);
    assert_true (a.closed);
    assert_string_equal (a.reason, "closed");
    assert_non_null (a.reply);
    assert_string_equal (proto_msg_type (a.reply), "node.register.ok");
    assert_string_equal (json_string_value (json_object_get (a.reply, "role")), "agent");
    json_decref (a.reply);

    /* a server that proves the wrong role is refused by the client side */
    a = (struct agent){.base = a.base};
    opts.peer_role = "agent";
    c = conn_connect (a.base, addr_of (s), &opts, &ops, &a, &err);
    assert_non_null (c);
    event_base_dispatch (a.base);
    assert_false (a.ready);
    assert_string_equal (
        a.reason, "authentication failed: credential is for role \"ctld\", expected \"agent\"");

    /* connection refused arrives through closed */
    a = (struct agent){.base = a.base};
    opts.peer_role = NULL;
    c = conn_connect (a.base, "127.0.0.1:1", &opts, &ops, &a, &err);
    assert_non_null (c);
    event_base_dispatch (a.base);
    assert_non_null (strstr (a.reason, "connection error"));
    event_base_free (a.base);
    server_stop (s);
}

/* ------------------------------------------------------------- local socket */

/* A private directory for a UNIX socket; removed by the caller. */
static void local_dir (char *dir, size_t len)
{
    snprintf (dir, len, "/tmp/huddle-test-local.XXXXXX");
    assert_non_null (mkdtemp (dir));
}

/* On a UNIX socket the kernel names both ends: no munged is asked (the
 * test runs with munged's socket pointed nowhere). */
static void local_request_reply (void **state)
{
    char dir[64], path[96];
    local_dir (dir, sizeof (dir));
    snprintf (path, sizeof (path), "%s/ctld.sock", dir);
    const char *saved = getenv (AUTH_SOCKET_ENV);
    char *keep = saved ? strdup (saved) : NULL;
    setenv (AUTH_SOCKET_ENV, "/nonexistent/munge.sock", 1);

    struct server *s = server_start_at (0, path);
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    assert_true (S_ISSOCK (st.st_mode));
    assert_int_equal (st.st_mode & 0777, 0777);
    struct herror err;
    struct client *c = client_connect (path, "client", &err);
    if (!c)
        fail_msg ("client_connect %s: %s", path, err.text);
    assert_int_equal (client_server_uid (c), getuid());
    assert_int_equal (client_uid (c), getuid());
    assert_int_equal (client_gid (c), getgid());
    json_t *req = json_pack ("{s:s, s:i}", "type", "job.delete", "seq", 3);
    json_t *reply = client_request (c, req, &err);
    if (!reply)
        fail_msg ("request: %s", err.text);
    /* the server saw our uid from SO_PEERCRED, in role "client" */
    assert_int_equal (json_integer_value (json_object_get (reply, "uid")), getuid());
    assert_string_equal (json_string_value (json_object_get (reply, "role")), "client");
    json_decref (reply);
    json_decref (req);
    client_destroy (c);
    server_stop (s);
    /* the socket goes with its listener */
    assert_int_equal (stat (path, &st), -1);

    if (keep) {
        setenv (AUTH_SOCKET_ENV, keep, 1);
        free (keep);
    } else
        unsetenv (AUTH_SOCKET_ENV);
    rmdir (dir);
}

/* A socket left by a dead daemon is replaced; a file that is not a socket
 * is never removed. */
static void local_stale_and_foreign (void **state)
{
    char dir[64], path[96];
    local_dir (dir, sizeof (dir));
    snprintf (path, sizeof (path), "%s/ctld.sock", dir);
    int fd = socket (AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    strcpy (sun.sun_path, path);
    assert_int_equal (bind (fd, (struct sockaddr *)&sun, sizeof (sun)), 0);
    close (fd); /* the socket file stays, nobody listens */
    struct server *s = server_start_at (0, path);
    struct herror err;
    struct client *c = client_connect (path, "client", &err);
    if (!c)
        fail_msg ("client_connect after a stale socket: %s", err.text);
    client_destroy (c);
    /* a second listener does not take a live one's socket */
    struct event_base *b2 = event_base_new();
    struct conn_options o2 = {.role = "ctld"};
    struct conn_ops ops2 = {.msg = echo_msg};
    assert_null (conn_listen_local (b2, path, &o2, &ops2, NULL, &err));
    assert_int_equal (errno, EADDRINUSE);
    assert_non_null (strstr (err.text, "another daemon listens on it"));
    event_base_free (b2);
    server_stop (s);

    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fclose (f);
    struct event_base *base = event_base_new();
    struct conn_options opts = {.role = "ctld"};
    struct conn_ops ops = {.msg = echo_msg};
    struct conn_listener *l = conn_listen_local (base, path, &opts, &ops, NULL, &err);
    assert_null (l);
    assert_int_equal (errno, EEXIST);
    assert_non_null (strstr (err.text, "is not a socket"));
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    assert_true (S_ISREG (st.st_mode));
    l = conn_listen_local (base, "relative.sock", &opts, &ops, NULL, &err);
    assert_null (l);
    assert_non_null (strstr (err.text, "not an absolute path"));
    event_base_free (base);
    unlink (path);
    rmdir (dir);
}

/* A "controller" run by another user is refused before anything is sent:
 * on a UNIX socket by the owner the kernel names, on TCP by the uid in its
 * MUNGE credential (a credential for role "ctld" anyone can make).  Root
 * only: the impostor is a child that becomes nobody. */
static void impostor_refused (void **state)
{
    if (geteuid() != 0)
        skip();
    char dir[64], path[96];
    local_dir (dir, sizeof (dir));
    chmod (dir, 0777);
    snprintf (path, sizeof (path), "%s/ctld.sock", dir);
    int pfd[2];
    assert_int_equal (pipe (pfd), 0);
    pid_t pid = fork();
    assert_true (pid >= 0);
    if (pid == 0) {
        close (pfd[0]);
        if (setgid (65534) < 0 || setuid (65534) < 0)
            _exit (1);
        server_start_at (0, path);
        struct server *t = have_munge ? server_start (0) : NULL;
        int port = t ? conn_listener_port (t->l) : 0;
        if (write (pfd[1], &port, sizeof (port)) != sizeof (port))
            _exit (1);
        for (;;)
            pause(); /* the parent kills us */
    }
    close (pfd[1]);
    int port = 0;
    assert_int_equal (read (pfd[0], &port, sizeof (port)), (ssize_t)sizeof (port));
    struct herror err;
    setenv (CLIENT_CONF_ENV, "/nonexistent/huddle.conf", 1);
    struct client *c = client_connect (path, "client", &err);
    assert_null (c);
    assert_int_equal (errno, EACCES);
    assert_non_null (strstr (err.text, "is not the controller: it runs as uid 65534"));
    if (port > 0) {
        char addr[64];
        snprintf (addr, sizeof (addr), "127.0.0.1:%d", port);
        c = client_connect (addr, "client", &err);
        assert_null (c);
        assert_non_null (strstr (err.text, "is not the controller: it runs as uid 65534"));
    }
    unsetenv (CLIENT_CONF_ENV);
    kill (pid, SIGKILL);
    waitpid (pid, NULL, 0);
    close (pfd[0]);
    unlink (path);
    rmdir (dir);
}

int main (void)
{
    signal (SIGPIPE, SIG_IGN); /* as the daemons (daemon.c): a peer may go first */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (cred_roundtrip),      cmocka_unit_test (cred_spare),
        cmocka_unit_test (cred_wrong_role),     cmocka_unit_test (cred_garbage),
        cmocka_unit_test (no_munged),           cmocka_unit_test (client_request_reply),
        cmocka_unit_test (client_errors),       cmocka_unit_test (server_address),
        cmocka_unit_test (conn_requires_hello), cmocka_unit_test (conn_bad_frames),
        cmocka_unit_test (conn_garbage),        cmocka_unit_test (conn_both_ends),
        cmocka_unit_test (local_request_reply), cmocka_unit_test (local_stale_and_foreign),
        cmocka_unit_test (impostor_refused),
    };
    return cmocka_run_group_tests (tests, start_munge, stop_munge);
}
