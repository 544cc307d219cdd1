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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/shepherd.h"

#define MSG_MAX (SHEPHERD_TASK_CMD_MAX + 256)

struct task_slot {
    int fd;    /* the agent's connection, -1: free slot */
    pid_t pid; /* 0 until started */
};

struct task_server {
    int listen_fd;
    char path[sizeof (((struct sockaddr_un *)0)->sun_path)];
    struct task_slot slot[SHEPHERD_TASK_MAX];
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

/* One datagram: a JSON object. */
static int send_json (int fd, json_t *o, const int *fds, int nfds)
{
    char *text = o ? json_dumps (o, JSON_COMPACT) : NULL;
    json_decref (o);
    if (!text) {
        errno = ENOMEM;
        return -1;
    }
    struct iovec iov = {.iov_base = text, .iov_len = strlen (text)};
    union {
        char buf[CMSG_SPACE (3 * sizeof (int))];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds > 0) {
        memset (&u, 0, sizeof (u));
        mh.msg_control = u.buf;
        mh.msg_controllen = CMSG_SPACE (nfds * sizeof (int));
        struct cmsghdr *cm = CMSG_FIRSTHDR (&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN (nfds * sizeof (int));
        memcpy (CMSG_DATA (cm), fds, nfds * sizeof (int));
    }
    ssize_t n;
    while ((n = sendmsg (fd, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    free (text);
    return n < 0 ? -1 : 0;
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
    for (int i = 0; i < SHEPHERD_TASK_MAX; i++)
        ts->slot[i].fd = -1;
    ts->listen_fd = -1;
    if (set_addr (&sa, path) < 0) {
        herror_set (err, "task socket %s: path too long", path);
        goto fail;
    }
    snprintf (ts->path, sizeof (ts->path), "%s", path);
    unlink (path);
    ts->listen_fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    /* umask 077 around bind: the socket is never reachable by others,
     * not even between bind and chmod. */
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

int task_server_pollfds (struct task_server *ts, struct pollfd *p, int max)
{
    int n = 0;
    if (!ts || max < 1)
        return 0;
    p[n++] = (struct pollfd){.fd = ts->listen_fd, .events = POLLIN};
    for (int i = 0; i < SHEPHERD_TASK_MAX && n < max; i++) {
        if (ts->slot[i].fd >= 0)
            p[n++] = (struct pollfd){.fd = ts->slot[i].fd, .events = POLLIN};
    }
    return n;
}

static void slot_close (struct task_slot *s)
{
    if (s->fd >= 0)
        close (s->fd);
    s->fd = -1;
    s->pid = 0;
}

static void notef (char *note, size_t size, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static void notef (char *note, size_t size, const char *fmt, ...)
{
    size_t len = strlen (note);
    va_list ap;
    if (len + 3 >= size)
        return;
    if (len)
        strcpy (note + len, "; "), len += 2;
    va_start (ap, fmt);
    vsnprintf (note + len, size - len, fmt, ap);
    va_end (ap);
}

/* Read the request of slot s and start its task. */
static void take_request (struct task_slot *s, task_spawn_f spawn, void *arg, char *note,
                          size_t note_size)
{
    char *buf = malloc (MSG_MAX + 1);
    int fds[3] = {-1, -1, -1}, nfds = 0;
    union {
        char buf[CMSG_SPACE (3 * sizeof (int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = {.iov_base = buf, .iov_len = MSG_MAX};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof (u.buf)};
    struct herror err = {""};
    ssize_t n = buf ? recvmsg (s->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT) : -1;

    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        free (buf);
        return;
    }
    for (struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR (&mh) : NULL; cm; cm = CMSG_NXTHDR (&mh, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
            int k = (int)((cm->cmsg_len - CMSG_LEN (0)) / sizeof (int));
            int *v = (int *)CMSG_DATA (cm);
            for (int i = 0; i < k; i++) {
                if (nfds < 3)
                    fds[nfds++] = v[i];
                else
                    close (v[i]);
            }
        }
    }
    json_t *o = n > 0 ? (buf[n] = '\0', json_loads (buf, 0, NULL)) : NULL;
    const char *command = json_string_value (json_object_get (o, "command"));
    pid_t pid = -1;
    if (n <= 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || !command || nfds != 3)
        herror_set (&err, "bad task request");
    else
        pid = spawn (arg, command, fds, &err);
    for (int i = 0; i < nfds; i++)
        close (fds[i]);
    json_decref (o);
    free (buf);
    if (pid < 0) {
        notef (note, note_size, "task refused: %s", err.text);
        send_json (s->fd, json_pack ("{s:s}", "error", err.text), NULL, 0);
        slot_close (s);
        return;
    }
    s->pid = pid;
    notef (note, note_size, "task %d started", (int)pid);
    if (send_json (s->fd, json_pack ("{s:i}", "pid", (int)pid), NULL, 0) < 0) {
        kill (-pid, SIGKILL);
        notef (note, note_size, "task %d: its agent went away: killed", (int)pid);
    }
}

void task_server_handle (struct task_server *ts, const struct pollfd *p, int n, task_spawn_f spawn,
                         void *arg, char *note, size_t note_size)
{
    note[0] = '\0';
    for (int k = 1; ts && k < n; k++) {
        if (!p[k].revents)
            continue;
        struct task_slot *s = NULL;
        for (int i = 0; i < SHEPHERD_TASK_MAX && !s; i++)
            if (ts->slot[i].fd == p[k].fd)
                s = &ts->slot[i];
        if (!s)
            continue;
        if (s->pid == 0 && (p[k].revents & POLLIN)) {
            take_request (s, spawn, arg, note, note_size);
        } else if (s->pid > 0) {
            /* Nothing more comes from the agent: a hangup means it is gone. */
            char c;
            if (recv (s->fd, &c, 1, MSG_DONTWAIT) == 0 || (p[k].revents & (POLLHUP | POLLERR))) {
                kill (-s->pid, SIGKILL);
                notef (note, note_size, "task %d: its agent went away: killed", (int)s->pid);
                s->fd = (close (s->fd), -1); /* the pid stays until reaped */
            }
        } else if (p[k].revents & (POLLHUP | POLLERR)) {
            slot_close (s);
        }
    }
    if (!ts || n < 1 || !(p[0].revents & POLLIN))
        return;
    int fd;
    while ((fd = accept4 (ts->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
        struct task_slot *s = NULL;
        for (int i = 0; i < SHEPHERD_TASK_MAX && !s; i++)
            if (ts->slot[i].fd < 0 && ts->slot[i].pid == 0)
                s = &ts->slot[i];
        if (!s) {
            char text[80];
            snprintf (text, sizeof (text), "this job already runs %d tasks on this node",
                      SHEPHERD_TASK_MAX);
            send_json (fd, json_pack ("{s:s}", "error", text), NULL, 0);
            close (fd);
            notef (note, note_size, "task refused: %s", text);
            continue;
        }
        s->fd = fd;
        s->pid = 0;
    }
}

int task_server_reaped (struct task_server *ts, pid_t pid, int st)
{
    for (int i = 0; ts && pid > 0 && i < SHEPHERD_TASK_MAX; i++) {
        struct task_slot *s = &ts->slot[i];
        if (s->pid != pid)
            continue;
        int status = WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
        if (s->fd >= 0)
            send_json (s->fd, json_pack ("{s:i}", "status", status), NULL, 0);
        slot_close (s);
        return 1;
    }
    return 0;
}

int task_server_count (const struct task_server *ts)
{
    int n = 0;
    for (int i = 0; ts && i < SHEPHERD_TASK_MAX; i++)
        n += ts->slot[i].pid > 0;
    return n;
}

void task_server_close (struct task_server *ts)
{
    if (!ts)
        return;
    int saved = errno;
    for (int i = 0; i < SHEPHERD_TASK_MAX; i++)
        slot_close (&ts->slot[i]);
    if (ts->listen_fd >= 0)
        close (ts->listen_fd);
    unlink (ts->path);
    free (ts);
    errno = saved;
}

/* --------------------------------------------------------- agent side */

int shepherd_task_request (const char *statedir, unsigned long seq, const char *command,
                           const int fds[3], struct herror *err)
{
    char dir[4096], path[4200];
    struct sockaddr_un sa;
    if (strlen (command) > SHEPHERD_TASK_CMD_MAX) {
        errno = E2BIG;
        return herror_set (err, "the command is longer than %d bytes", SHEPHERD_TASK_CMD_MAX);
    }
    if (shepherd_jobdir (statedir, seq, dir, sizeof (dir)) < 0 ||
        snprintf (path, sizeof (path), "%s/%s", dir, SHEPHERD_TASK_SOCKET) >= (int)sizeof (path) ||
        set_addr (&sa, path) < 0)
        return herror_set (err, "task socket of job %lu: path too long", seq);
    int fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return herror_set (err, "socket: %s", strerror (errno));
    if (connect (fd, (struct sockaddr *)&sa, sizeof (sa)) < 0 ||
        send_json (fd, json_pack ("{s:s}", "command", command), fds, 3) < 0) {
        int saved = errno;
        close (fd);
        errno = saved;
        return herror_set (err, "the job's shepherd takes no task (%s)", strerror (errno));
    }
    fcntl (fd, F_SETFL, O_NONBLOCK);
    return fd;
}

int shepherd_task_reply (int fd, pid_t *pid, int *status, struct herror *err)
{
    char buf[1024];
    ssize_t n;
    while ((n = recv (fd, buf, sizeof (buf) - 1, MSG_DONTWAIT)) < 0 && errno == EINTR)
        ;
    if (n < 0 && errno == EAGAIN)
        return 0;
    if (n <= 0) {
        errno = n == 0 ? ECONNRESET : errno;
        return herror_set (err, "the job's shepherd ended");
    }
    buf[n] = '\0';
    json_t *o = json_loads (buf, 0, NULL);
    json_t *v;
    int rc = -1;
    if ((v = json_object_get (o, "pid")) && json_is_integer (v)) {
        *pid = (pid_t)json_integer_value (v);
        rc = 1;
    } else if ((v = json_object_get (o, "status")) && json_is_integer (v)) {
        *status = (int)json_integer_value (v);
        rc = 2;
    } else if ((v = json_object_get (o, "error")) && json_is_string (v)) {
        herror_set (err, "%s", json_string_value (v));
        rc = 3;
    } else {
        errno = EPROTO;
        herror_set (err, "the job's shepherd sent nonsense");
    }
    json_decref (o);
    return rc;
}
