/* shepherd_task.c - remote tasks through a job's shepherd (see
 * shepherd_task.h) */
#define _GNU_SOURCE
#include "agent/shepherd_task.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/shepherd.h"
#include "common/base64.h"
#include "common/proto.h"

#define REQUEST_MAX (SHEPHERD_TASK_CMD_MAX + 256)
#define FRAME_MAX   (1024 * 1024)     /* from huddle-rsh: a task.input */
#define TX_LIMIT    (4 * 1024 * 1024) /* queued for huddle-rsh: stop reading the task */
#define STDIN_MAX   (4 * 1024 * 1024) /* queued for the task's stdin */
#define CHUNK       (48 * 1024)       /* output bytes per task.output */

/* What a pollfd of task_server_pollfds stands for. */
enum kind { K_LISTEN, K_CTL, K_SOCK, K_OUT, K_ERR, K_IN };

struct bytes {
    unsigned char *buf;
    size_t len, off, cap;
};

struct task_slot {
    bool used;
    int ctl;  /* the agent's hand-over, until its datagram is read; -1 */
    int sock; /* huddle-rsh's connection; -1 once gone */
    pid_t pid;
    int out, err, in; /* the task's pipes (ours), -1 once closed */
    struct bytes tx;  /* frames for huddle-rsh */
    struct bytes rx;  /* bytes for the task's stdin */
    bool in_eof;      /* close stdin once rx is written */
    struct proto_decoder *dec;
    bool exited, exit_sent;
    int status;
    bool session, pty; /* qsub -I's session; on a terminal (out and in: its master) */
};

struct task_server {
    int listen_fd;
    char path[sizeof (((struct sockaddr_un *)0)->sun_path)];
    struct task_slot slot[SHEPHERD_TASK_MAX];
    bool session_started; /* an interactive session was started (once) */
    struct {
        int slot;
        enum kind kind;
    } map[SHEPHERD_TASK_POLLFDS]; /* of the last task_server_pollfds */
};

static int set_addr (struct sockaddr_un *sa, const char *path)
{
    memset (sa, 0, sizeof (*sa));
    sa->sun_family = AF_UNIX;
    if (strlen (path) >= sizeof (sa->sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy (sa->sun_path, path);
    return 0;
}

static void notef (char *note, size_t size, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static void notef (char *note, size_t size, const char *fmt, ...)
{
    size_t len = strlen (note);
    va_list ap;
    if (len + 3 >= size)
        return;
    if (len) {
        strcpy (note + len, "; ");
        len += 2;
    }
    va_start (ap, fmt);
    vsnprintf (note + len, size - len, fmt, ap);
    va_end (ap);
}

static int bytes_add (struct bytes *b, const void *p, size_t n)
{
    if (b->off > 0 && b->off == b->len)
        b->off = b->len = 0;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *nb = realloc (b->buf, cap);
        if (!nb)
            return -1;
        b->buf = nb;
        b->cap = cap;
    }
    memcpy (b->buf + b->len, p, n);
    b->len += n;
    return 0;
}

static size_t bytes_pending (const struct bytes *b)
{
    return b->len - b->off;
}

static void close_fd (int *fd)
{
    if (*fd >= 0)
        close (*fd);
    *fd = -1;
}

/* ------------------------------------------------------------- frames */

/* Queue msg (stolen) for huddle-rsh. */
static void send_msg (struct task_slot *s, json_t *msg)
{
    size_t len;
    void *frame = msg && s->sock >= 0 ? proto_encode (msg, &len) : NULL;
    if (frame && bytes_add (&s->tx, frame, len) < 0)
        close_fd (&s->sock); /* out of memory: hang up, the task is killed */
    free (frame);
    json_decref (msg);
}

static void send_error (struct task_slot *s, const char *text)
{
    send_msg (s, proto_error_create (-1, text));
}

/* huddle-rsh is gone (or must be): the task cannot be relayed any more.
 * A session is hung up instead, as a terminal line that drops: closing
 * its master makes the kernel send SIGHUP to the session (on pipes it is
 * sent here); the shepherd then ends the job (task_server_session). */
static void hang_up (struct task_slot *s, const char *why, char *note, size_t note_size)
{
    if (s->pid > 0 && !s->exited && s->session) {
        if (!s->pty)
            kill (-s->pid, SIGHUP);
        notef (note, note_size, "session %d: %s: hung up", (int)s->pid, why);
    } else if (s->pid > 0 && !s->exited) {
        kill (-s->pid, SIGKILL);
        notef (note, note_size, "task %d: %s: killed", (int)s->pid, why);
    }
    close_fd (&s->sock);
    close_fd (&s->out);
    close_fd (&s->err);
    close_fd (&s->in);
}

/* The slot is done once the task is reaped and nothing is left to say. */
static void maybe_free (struct task_slot *s)
{
    if (s->exited && !s->exit_sent && s->out < 0 && s->err < 0 && s->sock >= 0) {
        send_msg (s, json_pack ("{s:s, s:i}", "type", "task.exit", "status", s->status));
        s->exit_sent = true;
        close_fd (&s->in);
    }
    bool quiet = s->sock < 0 || (s->exit_sent && bytes_pending (&s->tx) == 0) ||
                 (s->pid == 0 && bytes_pending (&s->tx) == 0);
    if (s->ctl >= 0 || !quiet || (s->pid > 0 && !s->exited) || s->out >= 0 || s->err >= 0)
        return;
    close_fd (&s->sock);
    close_fd (&s->in);
    free (s->tx.buf);
    free (s->rx.buf);
    proto_decoder_destroy (s->dec);
    memset (s, 0, sizeof (*s));
    s->ctl = s->sock = s->out = s->err = s->in = -1;
}

/* ------------------------------------------------------- shepherd side */

struct task_server *task_server_open (const char *path, struct herror *err)
{
    struct task_server *ts = calloc (1, sizeof (*ts));
    struct sockaddr_un sa;
    if (!ts) {
        herror_set (err, "out of memory");
        return NULL;
    }
    for (int i = 0; i < SHEPHERD_TASK_MAX; i++) {
        struct task_slot *s = &ts->slot[i];
        s->ctl = s->sock = s->out = s->err = s->in = -1;
    }
    ts->listen_fd = -1;
    if (set_addr (&sa, path) < 0) {
        herror_set (err, "task socket %s: path too long", path);
        goto fail;
    }
    snprintf (ts->path, sizeof (ts->path), "%s", path);
    unlink (path);
    ts->listen_fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    /* umask 077 around bind: the socket is never reachable by others,
     * not even between bind and a chmod. */
    mode_t old = umask (077);
    int rc = ts->listen_fd < 0 ? -1 : bind (ts->listen_fd, (struct sockaddr *)&sa, sizeof (sa));
    umask (old);
    if (rc < 0 || listen (ts->listen_fd, 16) < 0) {
        herror_set (err, "task socket %s: %s", path, strerror (errno));
        goto fail;
    }
    return ts;
fail:
    if (ts->listen_fd >= 0)
        close (ts->listen_fd);
    free (ts);
    return NULL;
}

static void add_fd (struct task_server *ts, struct pollfd *p, int *n, int max, int fd, short ev,
                    int slot, enum kind kind)
{
    if (fd < 0 || *n >= max || *n >= SHEPHERD_TASK_POLLFDS)
        return;
    p[*n] = (struct pollfd){.fd = fd, .events = ev};
    ts->map[*n].slot = slot;
    ts->map[*n].kind = kind;
    (*n)++;
}

int task_server_pollfds (struct task_server *ts, struct pollfd *p, int max)
{
    int n = 0;
    if (!ts)
        return 0;
    add_fd (ts, p, &n, max, ts->listen_fd, POLLIN, -1, K_LISTEN);
    for (int i = 0; i < SHEPHERD_TASK_MAX; i++) {
        struct task_slot *s = &ts->slot[i];
        if (!s->used)
            continue;
        add_fd (ts, p, &n, max, s->ctl, POLLIN, i, K_CTL);
        add_fd (ts, p, &n, max, s->sock, POLLIN | (bytes_pending (&s->tx) ? POLLOUT : 0), i,
                K_SOCK);
        /* huddle-rsh reads slower than the task writes: let the pipes
         * fill up, so that the task waits rather than our memory grows. */
        if (bytes_pending (&s->tx) < TX_LIMIT) {
            add_fd (ts, p, &n, max, s->out, POLLIN, i, K_OUT);
            add_fd (ts, p, &n, max, s->err, POLLIN, i, K_ERR);
        }
        if (bytes_pending (&s->rx))
            add_fd (ts, p, &n, max, s->in, POLLOUT, i, K_IN);
    }
    return n;
}

/* Pipes for the task: child[] goes to it, the other ends stay in s. */
static int make_pipes (struct task_slot *s, bool with_stdin, int child[3])
{
    int p[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
    int rc = 0;
    if (with_stdin)
        rc |= pipe2 (p[0], O_CLOEXEC | O_NONBLOCK);
    else if ((p[0][0] = open ("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
        rc = -1;
    rc |= pipe2 (p[1], O_CLOEXEC | O_NONBLOCK);
    rc |= pipe2 (p[2], O_CLOEXEC | O_NONBLOCK);
    if (rc < 0) {
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 2; k++)
                close_fd (&p[i][k]);
        return -1;
    }
    child[0] = p[0][0], s->in = p[0][1];
    child[1] = p[1][1], s->out = p[1][0];
    child[2] = p[2][1], s->err = p[2][0];
    /* The task's ends block, as a terminal's would. */
    for (int i = 0; i < 3; i++)
        fcntl (child[i], F_SETFL, fcntl (child[i], F_GETFL) & ~O_NONBLOCK);
    return 0;
}

/* A pseudo-terminal for a session: child[] gets three descriptors of its
 * slave, s its master (out for reading, in for writing), sized as qsub's
 * terminal.  Made by the shepherd (root); the session's spawn hands the
 * slave to the job's owner. */
static int make_pty (struct task_slot *s, const struct task_session *ss, int child[3])
{
    char name[128];
    int m = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
    int sl = -1;
    if (m < 0 || grantpt (m) < 0 || unlockpt (m) < 0 || ptsname_r (m, name, sizeof (name)) != 0 ||
        (sl = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
        goto fail;
    struct winsize ws = {.ws_row = (unsigned short)ss->rows, .ws_col = (unsigned short)ss->cols};
    if (ss->rows > 0 && ss->cols > 0)
        (void)ioctl (m, TIOCSWINSZ, &ws);
    child[0] = sl;
    child[1] = fcntl (sl, F_DUPFD_CLOEXEC, 0);
    child[2] = fcntl (sl, F_DUPFD_CLOEXEC, 0);
    s->out = m;
    s->in = fcntl (m, F_DUPFD_CLOEXEC, 0);
    if (child[1] < 0 || child[2] < 0 || s->in < 0) {
        close_fd (&child[1]);
        close_fd (&child[2]);
        close_fd (&s->in);
        s->out = -1;
        goto fail;
    }
    fcntl (m, F_SETFL, fcntl (m, F_GETFL) | O_NONBLOCK);
    return 0;
fail:;
    int e = errno;
    if (sl >= 0)
        close (sl);
    if (m >= 0)
        close (m);
    errno = e;
    return -1;
}

/* What spawning a task or the session gave (pid, or -1 with err): the
 * child's ends of its stdio are closed, the caller told. */
static void started (struct task_slot *s, pid_t pid, int child[3], const struct herror *err,
                     const char *what, char *note, size_t note_size)
{
    for (int i = 0; i < 3; i++)
        close (child[i]);
    if (pid < 0) {
        s->pid = 0;
        close_fd (&s->out);
        close_fd (&s->err);
        close_fd (&s->in);
        send_error (s, err->text);
        notef (note, note_size, "%s refused: %s", what, err->text);
        return;
    }
    s->pid = pid;
    send_msg (s, json_pack ("{s:s, s:i}", "type", "task.spawn.ok", "pid", (int)pid));
    notef (note, note_size, "%s %d started", what, (int)pid);
}

/* Read an attach datagram's terminal: 0, or -1 when it is malformed. */
static int session_from_json (const json_t *o, struct task_session *ss)
{
    json_t *rows = json_object_get (o, "rows"), *cols = json_object_get (o, "cols");
    const char *term = json_string_value (json_object_get (o, "term"));
    memset (ss, 0, sizeof (*ss));
    ss->pty = json_is_true (json_object_get (o, "pty"));
    json_int_t r = json_is_integer (rows) ? json_integer_value (rows) : 0;
    json_int_t c = json_is_integer (cols) ? json_integer_value (cols) : 0;
    if (r < 0 || r > 65535 || c < 0 || c > 65535) /* checked before the narrowing */
        return -1;
    ss->rows = (int)r;
    ss->cols = (int)c;
    snprintf (ss->term, sizeof (ss->term), "%s", term ? term : "");
    return 0;
}

/* qsub -I's datagram: start the session (once) on a terminal or pipes. */
static void take_attach (struct task_slot *s, const json_t *o, task_session_f session, void *arg,
                         char *note, size_t note_size)
{
    struct task_session ss;
    struct herror err = {""};
    int child[3];
    if (!session) {
        send_error (s, "the job ended on this node");
        return;
    }
    if (session_from_json (o, &ss) < 0) {
        send_error (s, "the agent's request was unreadable");
        return;
    }
    if (!(s->dec = proto_decoder_create (FRAME_MAX))) {
        send_error (s, "out of memory");
        return;
    }
    if ((ss.pty ? make_pty (s, &ss, child) : make_pipes (s, true, child)) < 0) {
        herror_set (&err, "cannot make the session's %s: %s", ss.pty ? "terminal" : "pipes",
                    strerror (errno));
        send_error (s, err.text);
        return;
    }
    s->session = true;
    s->pty = ss.pty;
    started (s, session (arg, &ss, child, &err), child, &err,
             ss.pty ? "session (terminal)" : "session (pipes)", note, note_size);
}

/* The agent's datagram: the command and huddle-rsh's connection. */
static void take_request (struct task_slot *s, task_spawn_f spawn, task_session_f session,
                          void *arg, char *note, size_t note_size)
{
    char *buf = malloc (REQUEST_MAX + 1);
    union {
        char buf[CMSG_SPACE (sizeof (int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = {.iov_base = buf, .iov_len = REQUEST_MAX};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof (u.buf)};
    ssize_t n = buf ? recvmsg (s->ctl, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT) : -1;
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        free (buf);
        return;
    }
    close_fd (&s->ctl);
    for (struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR (&mh) : NULL; cm; cm = CMSG_NXTHDR (&mh, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
            cm->cmsg_len == CMSG_LEN (sizeof (int)))
            memcpy (&s->sock, CMSG_DATA (cm), sizeof (int));
    json_t *o = n > 0 && !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
                    ? (buf[n] = '\0', json_loads (buf, 0, NULL))
                    : NULL;
    free (buf);
    const char *command = json_string_value (json_object_get (o, "command"));
    bool with_stdin = json_is_true (json_object_get (o, "stdin"));
    struct herror err = {""};
    int child[3];
    if (s->sock < 0) {
        notef (note, note_size, "task refused: a hand-over without a connection");
    } else if (json_is_true (json_object_get (o, "attach"))) {
        take_attach (s, o, session, arg, note, note_size);
    } else if (!command) {
        send_error (s, "the agent's request was unreadable");
    } else if (!spawn) {
        send_error (s, "the job ended on this node");
    } else if (!(s->dec = proto_decoder_create (FRAME_MAX))) {
        send_error (s, "out of memory");
    } else if (make_pipes (s, with_stdin, child) < 0) {
        herror_set (&err, "cannot make the task's pipes: %s", strerror (errno));
        send_error (s, err.text);
    } else {
        started (s, spawn (arg, command, child, &err), child, &err, "task", note, note_size);
    }
    json_decref (o);
}

/* Output of the task: one chunk as a task.output, or its end. */
static void relay_output (struct task_slot *s, int *fd, int stream)
{
    unsigned char buf[CHUNK];
    ssize_t n;
    while ((n = read (*fd, buf, sizeof (buf))) < 0 && errno == EINTR)
        ;
    if (n < 0 && errno == EAGAIN)
        return;
    if (n <= 0) {
        close_fd (fd);
        return;
    }
    char *data = base64_encode (buf, (size_t)n);
    send_msg (s, data ? json_pack ("{s:s, s:i, s:s}", "type", "task.output", "stream", stream,
                                   "data", data)
                      : NULL);
    free (data);
}

/* task.input from huddle-rsh: bytes for the task's stdin, or its end.
 * Anything else is ignored (an error is never answered). */
static void take_input (struct task_slot *s, json_t *m, char *note, size_t note_size)
{
    const char *type = proto_msg_type (m);
    if (strcmp (type, "task.winch") == 0) {
        json_int_t rows = json_integer_value (json_object_get (m, "rows"));
        json_int_t cols = json_integer_value (json_object_get (m, "cols"));
        struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
        if (s->pty && s->out >= 0 && rows > 0 && rows <= 65535 && cols > 0 && cols <= 65535)
            (void)ioctl (s->out, TIOCSWINSZ, &ws);
        return;
    }
    if (strcmp (type, "task.input") != 0)
        return;
    const char *data = json_string_value (json_object_get (m, "data"));
    if (data && s->in >= 0) {
        size_t n;
        void *b = base64_decode (data, strlen (data), &n);
        if (!b) {
            send_error (s, "message task.input: member \"data\" is not base64");
            return;
        }
        if (bytes_pending (&s->rx) + n > STDIN_MAX) {
            free (b);
            send_error (s, "the task does not read its input: more than 4 MiB wait for it");
            hang_up (s, "its input overflowed", note, note_size);
            return;
        }
        bytes_add (&s->rx, b, n);
        free (b);
    }
    if (json_is_true (json_object_get (m, "eof")))
        s->in_eof = true;
    if (s->in_eof && bytes_pending (&s->rx) == 0)
        close_fd (&s->in);
}

static void sock_read (struct task_slot *s, char *note, size_t note_size)
{
    char buf[16384];
    ssize_t n;
    while ((n = recv (s->sock, buf, sizeof (buf), MSG_DONTWAIT)) < 0 && errno == EINTR)
        ;
    if (n < 0 && errno == EAGAIN)
        return;
    if (n <= 0 || proto_decoder_feed (s->dec, buf, (size_t)n) < 0) {
        hang_up (s, "huddle-rsh went away", note, note_size);
        return;
    }
    json_t *m;
    struct herror err;
    int rc;
    while (s->sock >= 0 && (rc = proto_decoder_next (s->dec, &m, &err)) != 0) {
        if (rc < 0) {
            send_error (s, err.text);
            if (proto_error_is_fatal (proto_decoder_error (s->dec)))
                hang_up (s, "huddle-rsh sent garbage", note, note_size);
            continue;
        }
        take_input (s, m, note, note_size);
        json_decref (m);
    }
}

static void sock_write (struct task_slot *s, char *note, size_t note_size)
{
    ssize_t n =
        send (s->sock, s->tx.buf + s->tx.off, bytes_pending (&s->tx), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0)
        s->tx.off += (size_t)n;
    else if (n < 0 && errno != EAGAIN && errno != EINTR)
        hang_up (s, "huddle-rsh went away", note, note_size);
}

static void stdin_write (struct task_slot *s)
{
    ssize_t n = write (s->in, s->rx.buf + s->rx.off, bytes_pending (&s->rx));
    if (n > 0)
        s->rx.off += (size_t)n;
    else if (n < 0 && errno != EAGAIN && errno != EINTR)
        close_fd (&s->in); /* the task closed its stdin: the rest is dropped */
    if (s->in >= 0 && s->in_eof && bytes_pending (&s->rx) == 0)
        close_fd (&s->in);
}

static void accept_all (struct task_server *ts, char *note, size_t note_size)
{
    int fd;
    while ((fd = accept4 (ts->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
        struct task_slot *s = NULL;
        for (int i = 0; i < SHEPHERD_TASK_MAX && !s; i++)
            if (!ts->slot[i].used)
                s = &ts->slot[i];
        if (!s) {
            /* Its hand-over is dropped with the connection: huddle-rsh
             * sees its connection end. */
            close (fd);
            notef (note, note_size, "task refused: %d tasks run already", SHEPHERD_TASK_MAX);
            continue;
        }
        s->used = true;
        s->ctl = fd;
    }
}

void task_server_handle (struct task_server *ts, const struct pollfd *p, int n, task_spawn_f spawn,
                         task_session_f session, void *arg, char *note, size_t note_size)
{
    note[0] = '\0';
    for (int k = 0; ts && k < n; k++) {
        short r = p[k].revents;
        if (!r)
            continue;
        if (ts->map[k].kind == K_LISTEN) {
            accept_all (ts, note, note_size);
            continue;
        }
        struct task_slot *s = &ts->slot[ts->map[k].slot];
        /* A descriptor of this slot may have been closed by an earlier
         * entry of this round. */
        switch (ts->map[k].kind) {
        case K_CTL:
            if (s->ctl == p[k].fd)
                take_request (s, spawn, session, arg, note, note_size);
            if (s->session && s->pid > 0)
                ts->session_started = true;
            break;
        case K_SOCK:
            if (s->sock == p[k].fd && (r & POLLOUT))
                sock_write (s, note, note_size);
            if (s->sock == p[k].fd && (r & (POLLIN | POLLHUP | POLLERR)))
                sock_read (s, note, note_size);
            break;
        case K_OUT:
            if (s->out == p[k].fd)
                relay_output (s, &s->out, 1);
            break;
        case K_ERR:
            if (s->err == p[k].fd)
                relay_output (s, &s->err, 2);
            break;
        case K_IN:
            if (s->in == p[k].fd)
                stdin_write (s);
            break;
        case K_LISTEN:
            break;
        }
    }
    for (int i = 0; ts && i < SHEPHERD_TASK_MAX; i++)
        if (ts->slot[i].used)
            maybe_free (&ts->slot[i]);
}

int task_server_reaped (struct task_server *ts, pid_t pid, int st)
{
    for (int i = 0; ts && pid > 0 && i < SHEPHERD_TASK_MAX; i++) {
        struct task_slot *s = &ts->slot[i];
        if (!s->used || s->pid != pid || s->exited)
            continue;
        s->exited = true;
        s->status = WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
        maybe_free (s);
        return 1;
    }
    return 0;
}

int task_server_count (const struct task_server *ts)
{
    int n = 0;
    for (int i = 0; ts && i < SHEPHERD_TASK_MAX; i++)
        n += ts->slot[i].used && ts->slot[i].pid > 0 && !ts->slot[i].exited;
    return n;
}

enum task_session_state task_server_session (const struct task_server *ts)
{
    for (int i = 0; ts && i < SHEPHERD_TASK_MAX; i++)
        if (ts->slot[i].used && ts->slot[i].session && ts->slot[i].sock >= 0)
            return TASK_SESSION_LIVE;
    return ts && ts->session_started ? TASK_SESSION_GONE : TASK_SESSION_NONE;
}

void task_server_session_say (struct task_server *ts, const char *text)
{
    for (int i = 0; ts && i < SHEPHERD_TASK_MAX; i++) {
        struct task_slot *s = &ts->slot[i];
        if (!s->used || !s->session || s->sock < 0)
            continue;
        /* A terminal in raw mode on qsub's side: its newlines are ours
         * to make, as the node's line discipline makes the shell's. */
        char crlf[1024];
        size_t n = 0;
        for (const char *c = text; *c && n + 2 < sizeof (crlf); c++) {
            if (*c == '\n' && s->pty)
                crlf[n++] = '\r';
            crlf[n++] = *c;
        }
        char *data = base64_encode (crlf, n);
        send_msg (s, data ? json_pack ("{s:s, s:i, s:s}", "type", "task.output", "stream", 2,
                                       "data", data)
                          : NULL);
        free (data);
    }
}

static long long now_ms (void)
{
    struct timespec t;
    clock_gettime (CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void task_server_close (struct task_server *ts)
{
    if (!ts)
        return;
    int saved = errno;
    char note[256];
    /* The job is over here: drain what the tasks wrote, say how they
     * ended, flush, for at most a second. */
    long long end = now_ms() + 1000;
    struct pollfd p[SHEPHERD_TASK_POLLFDS];
    int n;
    close_fd (&ts->listen_fd);
    while ((n = task_server_pollfds (ts, p, SHEPHERD_TASK_POLLFDS)) > 0 && now_ms() < end) {
        if (poll (p, n, (int)(end - now_ms())) <= 0)
            break;
        task_server_handle (ts, p, n, NULL, NULL, NULL, note, sizeof (note));
    }
    for (int i = 0; i < SHEPHERD_TASK_MAX; i++) {
        struct task_slot *s = &ts->slot[i];
        if (!s->used)
            continue;
        close_fd (&s->ctl);
        hang_up (s, "the job ended", note, sizeof (note));
        s->exited = true;
        maybe_free (s);
    }
    unlink (ts->path);
    free (ts);
    errno = saved;
}

/* --------------------------------------------------------- agent side */

/* Send the datagram o (stolen) with sock to job seq's shepherd. */
static int hand_over (const char *statedir, unsigned long seq, json_t *o, int sock,
                      struct herror *err)
{
    char dir[4096], path[4200];
    struct sockaddr_un sa;
    if (shepherd_jobdir (statedir, seq, dir, sizeof (dir)) < 0 ||
        snprintf (path, sizeof (path), "%s/%s", dir, SHEPHERD_TASK_SOCKET) >= (int)sizeof (path) ||
        set_addr (&sa, path) < 0) {
        json_decref (o);
        return herror_set (err, "task socket of job %lu: path too long", seq);
    }
    char *text = o ? json_dumps (o, JSON_COMPACT) : NULL;
    json_decref (o);
    if (!text) {
        errno = ENOMEM;
        return herror_set (err, "out of memory");
    }
    /* Non-blocking: a shepherd that does not accept must not hold the
     * agent's loop (its backlog full: EAGAIN). */
    int fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    union {
        char buf[CMSG_SPACE (sizeof (int))];
        struct cmsghdr align;
    } u;
    memset (&u, 0, sizeof (u));
    struct iovec iov = {.iov_base = text, .iov_len = strlen (text)};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof (u.buf)};
    struct cmsghdr *cm = CMSG_FIRSTHDR (&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN (sizeof (int));
    memcpy (CMSG_DATA (cm), &sock, sizeof (int));
    int rc = fd < 0 || connect (fd, (struct sockaddr *)&sa, sizeof (sa)) < 0 ||
                     sendmsg (fd, &mh, MSG_NOSIGNAL) < 0
                 ? -1
                 : 0;
    int saved = errno;
    free (text);
    if (fd >= 0)
        close (fd);
    if (rc < 0) {
        errno = saved;
        return herror_set (err, "the job's shepherd takes no task here (%s)", strerror (saved));
    }
    return 0;
}

int shepherd_task_request (const char *statedir, unsigned long seq, const char *command,
                           bool with_stdin, int sock, struct herror *err)
{
    if (strlen (command) > SHEPHERD_TASK_CMD_MAX) {
        errno = E2BIG;
        return herror_set (err, "the command is longer than %d bytes", SHEPHERD_TASK_CMD_MAX);
    }
    json_t *o = json_pack ("{s:s, s:b}", "command", command, "stdin", with_stdin);
    return hand_over (statedir, seq, o, sock, err);
}

int shepherd_session_request (const char *statedir, unsigned long seq, const struct task_session *s,
                              int sock, struct herror *err)
{
    json_t *o = json_pack ("{s:b, s:b, s:i, s:i, s:s}", "attach", 1, "pty", s->pty, "rows", s->rows,
                           "cols", s->cols, "term", s->term);
    return hand_over (statedir, seq, o, sock, err);
}
