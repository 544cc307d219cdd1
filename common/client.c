/* client.c - blocking connection to the controller (see client.h) */
#define _GNU_SOURCE /* struct ucred, SO_PEERCRED */
#include "client.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "proto.h"

/* Replies (qstat of a big cluster) may be larger than what the controller
 * accepts from clients; the limit here only guards against nonsense. */
#define CLIENT_MAX_FRAME (256u * 1024 * 1024)

struct client {
    int fd;
    char *addr;         /* "HOST:PORT" or the socket's path, as given, for messages */
    bool local;         /* a UNIX socket: the kernel names the peers (client.h) */
    bool hello_pending; /* local: the hello.ok is read before the first reply */
    char peer_role[33];
    struct proto_decoder *dec;
    int timeout; /* seconds, 0 = forever */
    int64_t next_id;
    uid_t server_uid;
    uid_t uid;
    gid_t gid;
    json_t *held; /* a message decoded by client_pending, returned next */
};

int client_parse_hostport (const char *s, char **host, char **port, struct herror *err)
{
    const char *h, *hend, *p;
    if (!s || !*s) {
        errno = EINVAL;
        return herror_set (err, "empty address: expected HOST:PORT");
    }
    if (s[0] == '[') {
        h = s + 1;
        hend = strchr (h, ']');
        if (!hend || hend[1] != ':') {
            errno = EINVAL;
            return herror_set (err, "address \"%s\": expected [IPV6]:PORT", s);
        }
        p = hend + 2;
    } else {
        hend = strrchr (s, ':');
        if (!hend) {
            errno = EINVAL;
            return herror_set (err, "address \"%s\": expected HOST:PORT", s);
        }
        h = s;
        p = hend + 1;
    }
    if (hend == h) {
        errno = EINVAL;
        return herror_set (err, "address \"%s\": host is empty", s);
    }
    char *end;
    errno = 0;
    long port_num = *p ? strtol (p, &end, 10) : -1;
    if (!*p || *end || errno || port_num < 1 || port_num > 65535 || !isdigit ((unsigned char)*p)) {
        errno = EINVAL;
        return herror_set (err, "address \"%s\": port must be a number from 1 to 65535", s);
    }
    char *hs = strndup (h, (size_t)(hend - h));
    char *ps = strdup (p);
    if (!hs || !ps) {
        free (hs);
        free (ps);
        errno = ENOMEM;
        return herror_set (err, "out of memory");
    }
    *host = hs;
    *port = ps;
    return 0;
}

/* Wait until fd is ready for events; timeout in seconds (0 = forever). */
static int wait_fd (int fd, short events, int timeout)
{
    struct pollfd pfd = {.fd = fd, .events = events};
    int ms = timeout > 0 ? timeout * 1000 : -1;
    for (;;) {
        int rc = poll (&pfd, 1, ms);
        if (rc > 0)
            return 0;
        if (rc == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (errno != EINTR)
            return -1;
    }
}

static int connect_one (const struct addrinfo *ai, int timeout)
{
    int fd = socket (ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        return -1;
    int flags = fcntl (fd, F_GETFL);
    if (flags < 0 || fcntl (fd, F_SETFL, flags | O_NONBLOCK) < 0)
        goto fail;
    if (connect (fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS)
            goto fail;
        if (wait_fd (fd, POLLOUT, timeout) < 0)
            goto fail;
        int soerr = 0;
        socklen_t sl = sizeof (soerr);
        if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
            goto fail;
        if (soerr) {
            errno = soerr;
            goto fail;
        }
    }
    if (fcntl (fd, F_SETFL, flags) < 0)
        goto fail;
    /* Requests are small and latency-bound (and pipelined in benchmarks). */
    int one = 1;
    if (ai->ai_family != AF_UNIX)
        setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
    return fd;
fail:;
    int saved = errno;
    close (fd);
    errno = saved;
    return -1;
}

/* A UNIX socket's path where an address may be given. */
static bool is_local (const char *addr)
{
    return addr && addr[0] == '/';
}

static int open_socket (const char *hostport, int timeout, struct herror *err)
{
    if (is_local (hostport)) {
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        if (strlen (hostport) >= sizeof (sun.sun_path)) {
            errno = ENAMETOOLONG;
            return herror_set (err, "local socket %.200s: the path is too long", hostport);
        }
        strcpy (sun.sun_path, hostport);
        struct addrinfo ai = {.ai_family = AF_UNIX,
                              .ai_socktype = SOCK_STREAM,
                              .ai_addr = (struct sockaddr *)&sun,
                              .ai_addrlen = sizeof (sun)};
        int fd = connect_one (&ai, timeout);
        if (fd < 0)
            return herror_set (err, "cannot connect to %s: %s", hostport, strerror (errno));
        return fd;
    }
    char *host, *port;
    if (client_parse_hostport (hostport, &host, &port, err) < 0)
        return -1;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC};
    struct addrinfo *res;
    int rc = getaddrinfo (host, port, &hints, &res);
    if (rc != 0) {
        herror_set (err, "cannot resolve \"%s\": %s", host, gai_strerror (rc));
        free (host);
        free (port);
        errno = rc == EAI_SYSTEM ? errno : EHOSTUNREACH;
        return -1;
    }
    free (host);
    free (port);
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
        fd = connect_one (ai, timeout);
    int saved = errno;
    freeaddrinfo (res);
    if (fd < 0) {
        errno = saved;
        return herror_set (err, "cannot connect to %s: %s", hostport, strerror (saved));
    }
    return fd;
}

static int send_all (struct client *c, const void *buf, size_t len, struct herror *err)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send (c->fd, p, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return herror_set (err, "sending to %s: %s", c->addr, strerror (errno));
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int send_msg (struct client *c, const json_t *msg, struct herror *err)
{
    size_t len;
    void *frame = proto_encode (msg, &len);
    if (!frame)
        return herror_set (err, "cannot encode a message: %s", strerror (errno));
    int rc = send_all (c, frame, len, err);
    int saved = errno;
    free (frame);
    errno = saved;
    return rc;
}

static json_t *recv_msg (struct client *c, struct herror *err)
{
    char buf[65536];
    if (c->held) {
        json_t *msg = c->held;
        c->held = NULL;
        return msg;
    }
    for (;;) {
        json_t *msg;
        int rc = proto_decoder_next (c->dec, &msg, err);
        if (rc == 1)
            return msg;
        if (rc < 0) {
            herror_prefix (err, "bad message from %s", c->addr);
            return NULL;
        }
        if (wait_fd (c->fd, POLLIN, c->timeout) < 0) {
            if (errno == ETIMEDOUT)
                herror_set (err, "no answer from %s within %d seconds", c->addr, c->timeout);
            else
                herror_set (err, "waiting for %s: %s", c->addr, strerror (errno));
            return NULL;
        }
        ssize_t n = recv (c->fd, buf, sizeof (buf), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            herror_set (err, "reading from %s: %s", c->addr, strerror (errno));
            return NULL;
        }
        if (n == 0) {
            errno = ECONNRESET;
            herror_set (err, "%s closed the connection", c->addr);
            return NULL;
        }
        if (proto_decoder_feed (c->dec, buf, (size_t)n) < 0) {
            herror_set (err, "out of memory");
            return NULL;
        }
    }
}

/* If the reply is an error message, turn it into err + NULL. */
static json_t *check_error (json_t *reply, int errnum, struct herror *err)
{
    const char *type = proto_msg_type (reply);
    if (type && !strcmp (type, "error")) {
        const char *text = json_string_value (json_object_get (reply, "error"));
        herror_set (err, "%s", text ? text : "error without text");
        json_decref (reply);
        errno = errnum;
        return NULL;
    }
    return reply;
}

static int conf_value (const char *path, const char *key, char **value, struct herror *err);

/* Whether a server running as UID may be trusted with what we send: root,
 * ourselves (a cluster of our own), or the service_user of huddle.conf.
 * Anyone can make a MUNGE credential for role "ctld"; only the uid it
 * carries, or the one the kernel gives for a UNIX socket, says who runs
 * the server.  -1 with err (EACCES) for any other uid. */
static int trusted_uid (const struct client *c, uid_t uid, const char *peer_role,
                        struct herror *err)
{
    if (uid == 0 || uid == getuid())
        return 0;
    const char *conf = getenv (CLIENT_CONF_ENV);
    if (!conf || !*conf)
        conf = CLIENT_CONF_DEFAULT;
    char *user = NULL;
    struct herror e;
    if (conf_value (conf, "service_user", &user, &e) > 0) {
        struct passwd *pw = getpwnam (user);
        bool ok = pw && pw->pw_uid == uid;
        free (user);
        if (ok)
            return 0;
    }
    errno = EACCES;
    return herror_set (err,
                       "%s is not the %s: it runs as uid %d, not as root, you or the "
                       "service_user of %s",
                       c->addr, strcmp (peer_role, AUTH_ROLE_CTLD) ? peer_role : "controller",
                       (int)uid, conf);
}

/* Read and check the server's hello.ok (or its refusal). */
static int hello_reply (struct client *c, struct herror *err)
{
    json_t *reply = recv_msg (c, err);
    if (!reply || !(reply = check_error (reply, EACCES, err)))
        return -1;
    struct herror e;
    const char *type = proto_msg_type (reply);
    const char *scred = NULL;
    int64_t version, uid, gid;
    if (strcmp (type, "hello.ok") != 0) {
        herror_set (err, "%s answered the hello with \"%.100s\"", c->addr, type);
        errno = EPROTO;
        goto fail;
    }
    if (proto_get_int (reply, "version", &version, &e) < 0 ||
        proto_get_int (reply, "uid", &uid, &e) < 0 || proto_get_int (reply, "gid", &gid, &e) < 0 ||
        (!c->local && proto_get_string (reply, "cred", &scred, &e) < 0)) {
        herror_set (err, "%s: %s", c->addr, e.text);
        errno = EPROTO;
        goto fail;
    }
    if (version != PROTO_VERSION) {
        herror_set (err, "%s speaks protocol version %lld, this program version %d", c->addr,
                    (long long)version, PROTO_VERSION);
        errno = EPROTO;
        goto fail;
    }
    if (!c->local) {
        uid_t suid;
        if (auth_cred_verify (scred, c->peer_role, &suid, NULL, &e) < 0) {
            if (strcmp (c->peer_role, AUTH_ROLE_CTLD) == 0)
                herror_set (err, "%s is not the controller: %s", c->addr, e.text);
            else
                herror_set (err, "%s is not a huddle %s: %s", c->addr, c->peer_role, e.text);
            goto fail;
        }
        if (trusted_uid (c, suid, c->peer_role, err) < 0)
            goto fail;
        c->server_uid = suid;
    }
    c->uid = (uid_t)uid;
    c->gid = (gid_t)gid;
    json_decref (reply);
    return 0;
fail:;
    int saved = errno;
    json_decref (reply);
    errno = saved;
    return -1;
}

/* Send the hello.  On TCP wait for the hello.ok: the server's credential
 * is checked before the caller sends anything else (a job's script, say).
 * On a UNIX socket the kernel has named the server before the hello goes
 * out, so requests may follow it at once and the hello.ok is read before
 * the first reply (client_recv): one round trip less. */
static int hello (struct client *c, const char *role, const char *peer_role, struct herror *err)
{
    char *cred = NULL;
    json_t *msg;
    snprintf (c->peer_role, sizeof (c->peer_role), "%s", peer_role);
    if (c->local) {
        /* Who listens is the kernel's word; ask before anything is sent. */
        struct ucred uc;
        socklen_t len = sizeof (uc);
        if (getsockopt (c->fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
            return herror_set (err, "%s: cannot read who listens (SO_PEERCRED): %s", c->addr,
                               strerror (errno));
        if (trusted_uid (c, uc.uid, peer_role, err) < 0)
            return -1;
        c->server_uid = uc.uid;
        /* what the kernel tells the server; its hello.ok says so again */
        c->uid = geteuid();
        c->gid = getegid();
        msg =
            json_pack ("{s:s, s:i, s:s}", "type", "hello", "version", PROTO_VERSION, "role", role);
    } else {
        if (auth_cred_create (role, &cred, err) < 0)
            return -1;
        msg = json_pack ("{s:s, s:i, s:s, s:s}", "type", "hello", "version", PROTO_VERSION, "role",
                         role, "cred", cred);
        free (cred);
    }
    if (!msg) {
        errno = ENOMEM;
        return herror_set (err, "out of memory");
    }
    int rc = send_msg (c, msg, err);
    json_decref (msg);
    if (rc < 0)
        return -1;
    if (c->local) {
        c->hello_pending = true;
        return 0;
    }
    return hello_reply (c, err);
}

/* The hello.ok a local connection has not read yet. */
static int finish_hello (struct client *c, struct herror *err)
{
    if (!c->hello_pending)
        return 0;
    c->hello_pending = false;
    return hello_reply (c, err);
}

json_t *client_recv (struct client *c, struct herror *err)
{
    if (finish_hello (c, err) < 0)
        return NULL;
    return recv_msg (c, err);
}

struct client *client_connect (const char *hostport, const char *role, struct herror *err)
{
    return client_connect_peer (hostport, role, AUTH_ROLE_CTLD, err);
}

struct client *client_connect_peer (const char *hostport, const char *role, const char *peer_role,
                                    struct herror *err)
{
    struct client *c = calloc (1, sizeof (*c));
    if (!c) {
        herror_set (err, "out of memory");
        return NULL;
    }
    c->fd = -1;
    c->timeout = CLIENT_TIMEOUT_DEFAULT;
    c->next_id = 1;
    if (!(c->addr = strdup (hostport ? hostport : "")) ||
        !(c->dec = proto_decoder_create (CLIENT_MAX_FRAME))) {
        errno = ENOMEM;
        herror_set (err, "out of memory");
        goto fail;
    }
    c->local = is_local (hostport);
    if ((c->fd = open_socket (hostport, c->timeout, err)) < 0)
        goto fail;
    if (hello (c, role, peer_role, err) < 0)
        goto fail;
    return c;
fail:
    client_destroy (c);
    return NULL;
}

void client_destroy (struct client *c)
{
    int saved = errno;
    if (c) {
        if (c->fd >= 0)
            close (c->fd);
        proto_decoder_destroy (c->dec);
        json_decref (c->held);
        free (c->addr);
        free (c);
    }
    errno = saved;
}

int client_fd (const struct client *c)
{
    return c->fd;
}

int client_pending (struct client *c, struct herror *err)
{
    if (finish_hello (c, err) < 0)
        return -1;
    if (c->held)
        return 1;
    int rc = proto_decoder_next (c->dec, &c->held, err);
    if (rc < 0)
        herror_prefix (err, "bad message from %s", c->addr);
    return rc;
}

void client_set_timeout (struct client *c, int seconds)
{
    c->timeout = seconds > 0 ? seconds : 0;
}

uid_t client_server_uid (const struct client *c)
{
    return c->server_uid;
}

uid_t client_uid (const struct client *c)
{
    return c->uid;
}

gid_t client_gid (const struct client *c)
{
    return c->gid;
}

int64_t client_send (struct client *c, json_t *req, struct herror *err)
{
    int64_t id = proto_msg_id (req);
    if (id < 0) {
        id = c->next_id++;
        if (json_object_set_new (req, "id", json_integer (id)) < 0) {
            errno = ENOMEM;
            return herror_set (err, "out of memory");
        }
    }
    if (send_msg (c, req, err) < 0)
        return -1;
    return id;
}

json_t *client_request (struct client *c, json_t *req, struct herror *err)
{
    int64_t id = client_send (c, req, err);
    if (id < 0)
        return NULL;
    json_t *reply = client_recv (c, err);
    if (!reply)
        return NULL;
    if (proto_msg_id (reply) != id) {
        /* An error about a frame the controller could not read carries no id. */
        if (proto_msg_id (reply) < 0 && (reply = check_error (reply, EREMOTEIO, err)) == NULL)
            return NULL;
        herror_set (err, "%s answered request %lld with id %lld", c->addr, (long long)id,
                    (long long)proto_msg_id (reply));
        json_decref (reply);
        errno = EPROTO;
        return NULL;
    }
    return check_error (reply, EREMOTEIO, err);
}

/* Find "server = VALUE" in a huddle.conf.  1 found, 0 not, -1 unreadable. */
/* The first "KEY = VALUE" (or KEY=VALUE) line of PATH: huddle's
 * "server = HOST:PORT", pbs.conf's "PBS_SERVER=HOST".  1 found (*value
 * malloc'd), 0 none or no file, -1 err. */
static int conf_value (const char *path, const char *key, char **value, struct herror *err)
{
    FILE *f = fopen (path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        return herror_set (err, "%s: %s", path, strerror (errno));
    }
    char line[1024];
    int found = 0;
    while (!found && fgets (line, sizeof (line), f)) {
        char *p = line;
        while (isspace ((unsigned char)*p))
            p++;
        size_t klen = strlen (key);
        if (strncmp (p, key, klen) != 0)
            continue;
        p += klen;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p++ != '=')
            continue;
        while (*p == ' ' || *p == '\t' || *p == '"')
            p++;
        size_t n = strcspn (p, "#\"\r\n");
        while (n > 0 && isspace ((unsigned char)p[n - 1]))
            n--;
        if (n == 0)
            continue;
        if (!(*value = strndup (p, n))) {
            fclose (f);
            errno = ENOMEM;
            return herror_set (err, "out of memory");
        }
        found = 1;
    }
    fclose (f);
    return found;
}

char *client_with_port (const char *s)
{
    bool v6 = s[0] == '[';
    bool has_port = v6 ? strstr (s, "]:") != NULL : strchr (s, ':') != NULL;
    if (has_port)
        return strdup (s);
    size_t n = strlen (s) + sizeof (CLIENT_DEFAULT_PORT) + 1;
    char *out = malloc (n);
    if (out)
        snprintf (out, n, "%s:%s", s, CLIENT_DEFAULT_PORT);
    return out;
}

char *client_server_address (struct herror *err)
{
    const char *env = getenv (CLIENT_SERVER_ENV);
    char *addr = NULL;
    if (env && *env) {
        if (!(addr = strdup (env))) {
            errno = ENOMEM;
            herror_set (err, "out of memory");
        }
        return addr;
    }
    const char *conf = getenv (CLIENT_CONF_ENV);
    if (!conf || !*conf)
        conf = CLIENT_CONF_DEFAULT;
    int rc = conf_value (conf, "server", &addr, err);
    if (rc < 0)
        return NULL;
    if (rc == 0) { /* a PBS site's own settings */
        const char *pbs = getenv ("PBS_SERVER");
        const char *pbsconf = getenv ("PBS_CONF_FILE");
        char *host = NULL;
        if (pbs && *pbs)
            rc = 1;
        else
            rc = conf_value (pbsconf && *pbsconf ? pbsconf : CLIENT_PBS_CONF, "PBS_SERVER", &host,
                             err);
        if (rc < 0)
            return NULL;
        if (rc > 0 && !(addr = client_with_port (host ? host : pbs))) {
            free (host);
            errno = ENOMEM;
            herror_set (err, "out of memory");
            return NULL;
        }
        free (host);
    }
    if (rc == 0) {
        errno = ENOENT;
        herror_set (err,
                    "no controller address: set %s=HOST:PORT or put \"server = HOST:PORT\" in %s",
                    CLIENT_SERVER_ENV, conf);
        return NULL;
    }
    return addr;
}
