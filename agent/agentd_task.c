/* agentd_task.c - huddle-agent's task port: remote tasks for huddle-rsh
 *
 * Open MPI's mpirun starts its daemons (orted) on the other nodes of a job
 * with an "rsh agent"; in a huddle job that is huddle-rsh, which connects
 * here, on the agent of the node it names, and asks for the command to
 * run inside the same job.  The agent hands it to the job's shepherd on
 * this node (shepherd_task.h), which starts it as it starts a batch
 * script, and relays its stdin, stdout, stderr and exit status over the
 * connection (docs/protocol.md, "Remote tasks").
 *
 * Who may start a task.  The connection is authenticated as every huddle
 * connection is (MUNGE, role "task"): the agent learns the caller's uid
 * from munged.  A task.spawn names the job (seq) and shows the run's
 * cookie: a secret the controller makes at each start and sends only to
 * the run's agents, which put it into the environment of the run's
 * processes (HUDDLE_JOB_COOKIE).  The job must run on this node, be the
 * caller's uid's, and the cookie must be its current run's.  So:
 *   - another user cannot start tasks in the job: munged vouches for the
 *     uid, and the cookie is in no file others can read (the agent's job
 *     directory keeps it in root's job.json; /proc/PID/environ is the
 *     owner's);
 *   - a process of another job, or of an earlier run of this one, is
 *     refused even when it is the same user's: it does not hold this run's
 *     cookie by accident (a stale environment, a wrong PBS_JOBID);
 *   - but a process of the same user that goes looking for the cookie
 *     (reads /proc/PID/environ of the job's processes, or ptrace()s them)
 *     finds it.  That is by choice: a user can already do anything with
 *     their own processes, and starting a task in one's own job is what
 *     qsub gives them anyway (PBS's tm interface and Slurm's srun --jobid
 *     draw the same line).  The cookie separates jobs against mistakes,
 *     the uid separates users against attacks.
 * The cookie travels in the clear, as everything on huddle's TCP
 * connections does; whoever can read the cluster network can read jobs'
 * scripts too.
 *
 * The port is open to the network: it never trusts what arrives.  Frames
 * are bounded (TASK_MAX_FRAME), checked by conn (bad JSON, a missing
 * hello, a stalled frame: an error and close), members by proto_get_*;
 * connections are limited (TASK_MAX_CONNS), and a task.input that would
 * queue more than TASK_MAX_STDIN bytes for a task that does not read is
 * refused.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "agent/agentd.h"
#include "agent/shepherd_task.h"
#include "common/auth.h"
#include "common/base64.h"
#include "common/conn.h"

#define TASK_MAX_FRAME   (1024 * 1024) /* a task.input's data is at most 512 KiB */
#define TASK_MAX_CONNS   256
#define TASK_MAX_STDIN   (4 * 1024 * 1024) /* queued for a task's stdin */
#define TASK_MAX_PENDING (4 * 1024 * 1024) /* queued for huddle-rsh: stop reading */
#define TASK_CHUNK       (48 * 1024)       /* output bytes per task.output */

struct task {
    struct agentd *ad;
    struct conn *c;
    unsigned long seq;
    int ctl; /* the shepherd's connection (shepherd_task.h), -1 */
    struct event *ctl_ev, *resume_ev;
    struct bufferevent *out, *err, *in; /* the task's pipes (NULL once closed) */
    bool in_eof;                        /* close stdin once what is queued is written */
    bool started, exited;
    int status;
    pid_t pid;
    struct task *prev, *next; /* agentd_task's list */
};

struct agentd_task {
    struct conn_listener *l;
    char endpoint[320];
    struct task *head; /* one per connection past its hello */
};

static void task_free (struct task *t)
{
    struct agentd_task *at = t->ad->task;
    if (t->prev)
        t->prev->next = t->next;
    else
        at->head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    if (t->ctl_ev)
        event_free (t->ctl_ev);
    if (t->resume_ev)
        event_free (t->resume_ev);
    if (t->ctl >= 0)
        close (t->ctl); /* the shepherd kills a task still running */
    if (t->out)
        bufferevent_free (t->out);
    if (t->err)
        bufferevent_free (t->err);
    if (t->in)
        bufferevent_free (t->in);
    free (t);
}

/* Say why and end the connection (its closed callback frees t). */
static void task_fail (struct task *t, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
static void task_fail (struct task *t, const char *fmt, ...)
{
    char text[HERROR_TEXT_MAX];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (text, sizeof (text), fmt, ap);
    va_end (ap);
    json_t *e = proto_error_create (-1, text);
    if (e)
        conn_send (t->c, e);
    json_decref (e);
    log_msg (LOG_LEVEL_INFO, "task from %s: %s", conn_peer (t->c)->addr, text);
    conn_close (t->c);
}

/* The end, once the task has exited and its output is all relayed. */
static void maybe_finish (struct task *t)
{
    if (!t->exited || t->out || t->err)
        return;
    json_t *m = json_pack ("{s:s, s:i}", "type", "task.exit", "status", t->status);
    if (m)
        conn_send (t->c, m);
    json_decref (m);
    log_msg (LOG_LEVEL_DEBUG, "job %lu: task %d ended: status %d", t->seq, (int)t->pid, t->status);
    conn_close (t->c);
}

/* ------------------------------------------------------------- output */

static void set_reading (struct task *t, bool on)
{
    struct bufferevent *bev[2] = {t->out, t->err};
    for (int i = 0; i < 2; i++) {
        if (bev[i] && on)
            bufferevent_enable (bev[i], EV_READ);
        else if (bev[i])
            bufferevent_disable (bev[i], EV_READ);
    }
}

static void resume_cb (evutil_socket_t fd, short what, void *arg)
{
    struct task *t = arg;
    if (conn_output_pending (t->c) > TASK_MAX_PENDING) {
        struct timeval tv = {0, 20000};
        evtimer_add (t->resume_ev, &tv);
        return;
    }
    set_reading (t, true);
}

static void relay (struct task *t, struct bufferevent *bev, int stream)
{
    struct evbuffer *in = bufferevent_get_input (bev);
    unsigned char buf[TASK_CHUNK];
    int n;
    while ((n = evbuffer_remove (in, buf, sizeof (buf))) > 0) {
        char *data = base64_encode (buf, (size_t)n);
        json_t *m = data ? json_pack ("{s:s, s:i, s:s}", "type", "task.output", "stream", stream,
                                      "data", data)
                         : NULL;
        free (data);
        if (!m || conn_send (t->c, m) < 0) {
            json_decref (m);
            task_fail (t, "out of memory relaying the task's output");
            return;
        }
        json_decref (m);
    }
    /* huddle-rsh reads slower than the task writes: let the pipe fill up,
     * so the task waits, rather than the agent's memory. */
    if (conn_output_pending (t->c) > TASK_MAX_PENDING) {
        set_reading (t, false);
        struct timeval tv = {0, 20000};
        evtimer_add (t->resume_ev, &tv);
    }
}

static void out_read_cb (struct bufferevent *bev, void *arg)
{
    struct task *t = arg;
    relay (t, bev, bev == t->out ? 1 : 2);
}

static void out_event_cb (struct bufferevent *bev, short what, void *arg)
{
    struct task *t = arg;
    if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
        return;
    relay (t, bev, bev == t->out ? 1 : 2);
    if (bev == t->out)
        t->out = NULL;
    else
        t->err = NULL;
    bufferevent_free (bev);
    maybe_finish (t);
}

/* -------------------------------------------------------------- stdin */

static void close_stdin (struct task *t)
{
    if (t->in)
        bufferevent_free (t->in);
    t->in = NULL;
}

static void in_write_cb (struct bufferevent *bev, void *arg)
{
    struct task *t = arg;
    if (t->in_eof && evbuffer_get_length (bufferevent_get_output (bev)) == 0)
        close_stdin (t);
}

static void in_event_cb (struct bufferevent *bev, short what, void *arg)
{
    close_stdin (arg); /* the task closed its stdin: what follows is dropped */
}

/* ------------------------------------------------------- the shepherd */

static void ctl_cb (evutil_socket_t fd, short what, void *arg)
{
    struct task *t = arg;
    struct herror err = {""};
    pid_t pid = 0;
    int status = 0;
    int rc = shepherd_task_reply (t->ctl, &pid, &status, &err);
    if (rc == 0)
        return;
    if (rc == 1 && !t->started) {
        t->started = true;
        t->pid = pid;
        log_msg (LOG_LEVEL_INFO, "job %lu: task %d started for %s", t->seq, (int)pid,
                 conn_peer (t->c)->addr);
        json_t *m = json_pack ("{s:s, s:i}", "type", "task.spawn.ok", "pid", (int)pid);
        if (m)
            conn_send (t->c, m);
        json_decref (m);
        return;
    }
    event_del (t->ctl_ev);
    close (t->ctl);
    t->ctl = -1;
    if (rc == 3 || (rc < 0 && !t->started)) {
        task_fail (t, "%s: %s", t->ad->cfg.name, err.text);
        return;
    }
    /* The status, or the shepherd went away with the task (the job ended). */
    t->exited = true;
    t->status = rc == 2 ? status : 255;
    maybe_finish (t);
}

/* ------------------------------------------------------------ messages */

static struct bufferevent *pipe_bev (struct task *t, int fd, bool reading)
{
    struct bufferevent *bev =
        bufferevent_socket_new (t->ad->base, fd, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (!bev) {
        close (fd);
        return NULL;
    }
    if (reading) {
        bufferevent_setcb (bev, out_read_cb, NULL, out_event_cb, t);
        bufferevent_enable (bev, EV_READ);
    } else {
        bufferevent_setcb (bev, NULL, in_write_cb, in_event_cb, t);
        bufferevent_enable (bev, EV_WRITE);
    }
    return bev;
}

/* Pipes for the task: child[] goes to the shepherd, ours[] stays
 * (stdin's write end, stdout's and stderr's read ends; ours[0] -1 when the
 * task reads /dev/null).  0 or -1. */
static int make_pipes (bool with_stdin, int child[3], int ours[3])
{
    int p[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
    int rc = 0;
    if (with_stdin)
        rc |= pipe2 (p[0], O_CLOEXEC);
    else if ((p[0][0] = open ("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
        rc = -1;
    rc |= pipe2 (p[1], O_CLOEXEC);
    rc |= pipe2 (p[2], O_CLOEXEC);
    if (rc < 0) {
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 2; k++)
                if (p[i][k] >= 0)
                    close (p[i][k]);
        return -1;
    }
    child[0] = p[0][0], ours[0] = p[0][1];
    child[1] = p[1][1], ours[1] = p[1][0];
    child[2] = p[2][1], ours[2] = p[2][0];
    for (int i = 0; i < 3; i++)
        if (ours[i] >= 0)
            fcntl (ours[i], F_SETFL, O_NONBLOCK);
    return 0;
}

static int on_spawn (struct task *t, json_t *msg, uid_t uid, struct herror *err)
{
    struct agentd *ad = t->ad;
    int64_t seq;
    const char *cookie, *node, *command;
    bool with_stdin = false;
    if (t->ctl >= 0 || t->started || t->exited)
        return herror_set (err, "one task.spawn per connection");
    if (proto_get_int_range (msg, "seq", 1, 2147483647, &seq, err) < 0 ||
        proto_get_string (msg, "cookie", &cookie, err) < 0 ||
        proto_get_string (msg, "node", &node, err) < 0 ||
        proto_get_string (msg, "command", &command, err) < 0 ||
        proto_opt_bool (msg, "stdin", &with_stdin, err) < 0)
        return -1;
    if (strcmp (node, ad->cfg.name) != 0)
        return herror_set (err, "this is node %s, not %.64s", ad->cfg.name, node);
    if (agentd_jobs_task_check (ad, (unsigned long)seq, uid, cookie, err) < 0)
        return -1;
    int child[3], ours[3];
    if (make_pipes (with_stdin, child, ours) < 0)
        return herror_set (err, "cannot make the task's pipes: %s", strerror (errno));
    t->seq = (unsigned long)seq;
    t->ctl = shepherd_task_request (ad->cfg.state_dir, t->seq, command, child, err);
    for (int i = 0; i < 3; i++)
        close (child[i]);
    if (t->ctl < 0) {
        for (int i = 0; i < 3; i++)
            if (ours[i] >= 0)
                close (ours[i]);
        herror_prefix (err, "job %lu", t->seq);
        return -1;
    }
    t->out = pipe_bev (t, ours[1], true);
    t->err = pipe_bev (t, ours[2], true);
    t->in = ours[0] >= 0 ? pipe_bev (t, ours[0], false) : NULL;
    t->ctl_ev = event_new (ad->base, t->ctl, EV_READ | EV_PERSIST, ctl_cb, t);
    t->resume_ev = evtimer_new (ad->base, resume_cb, t);
    if (!t->out || !t->err || (ours[0] >= 0 && !t->in) || !t->ctl_ev || !t->resume_ev ||
        event_add (t->ctl_ev, NULL) < 0)
        return herror_set (err, "out of memory");
    return 0;
}

static int on_input (struct task *t, json_t *msg, struct herror *err)
{
    const char *data = NULL;
    bool eof = false;
    if (proto_opt_string (msg, "data", &data, err) < 0 ||
        proto_opt_bool (msg, "eof", &eof, err) < 0)
        return -1;
    if (!t->ctl_ev)
        return herror_set (err, "task.input before task.spawn");
    if (data && t->in) {
        size_t n;
        void *bytes = base64_decode (data, strlen (data), &n);
        if (!bytes)
            return herror_set (err, "message task.input: member \"data\" is not base64");
        if (evbuffer_get_length (bufferevent_get_output (t->in)) + n > TASK_MAX_STDIN) {
            free (bytes);
            return herror_set (err,
                               "the task does not read its input: more than %d bytes "
                               "wait for it",
                               TASK_MAX_STDIN);
        }
        bufferevent_write (t->in, bytes, n);
        free (bytes);
    }
    if (eof && t->in) {
        t->in_eof = true;
        in_write_cb (t->in, t);
    }
    return 0;
}

/* ---------------------------------------------------------- conn callbacks */

static int on_allow (const struct conn_peer *peer, void *arg, struct herror *err)
{
    if (strcmp (peer->role, AUTH_ROLE_TASK) != 0)
        return herror_set (err, "this port takes remote tasks only (role \"%s\")", AUTH_ROLE_TASK);
    return 0;
}

static int on_admit (const char *addr, int nconns, int npending, void *arg, struct herror *err)
{
    if (nconns >= TASK_MAX_CONNS)
        return herror_set (err, "too many task connections (%d)", TASK_MAX_CONNS);
    return 0;
}

static void on_ready (struct conn *c, const struct conn_peer *peer, void *arg)
{
    struct task *t = calloc (1, sizeof (*t));
    if (!t) {
        conn_close (c);
        return;
    }
    struct agentd *ad = arg;
    t->ad = ad;
    t->c = c;
    t->ctl = -1;
    t->next = ad->task->head;
    if (t->next)
        t->next->prev = t;
    ad->task->head = t;
    conn_set_aux (c, t);
}

static void on_msg (struct conn *c, const struct conn_peer *peer, json_t *msg, void *arg)
{
    struct task *t = conn_aux (c);
    struct herror err = {""};
    const char *type = proto_msg_type (msg);
    int rc;
    if (!t)
        return;
    if (strcmp (type, "task.spawn") == 0)
        rc = on_spawn (t, msg, peer->uid, &err);
    else if (strcmp (type, "task.input") == 0)
        rc = on_input (t, msg, &err);
    else if (strcmp (type, "error") == 0)
        return;
    else
        rc = herror_set (&err, "unknown message type \"%.64s\"", type);
    if (rc < 0)
        task_fail (t, "%s", err.text);
}

static void on_closed (struct conn *c, const struct conn_peer *peer, const char *reason, void *arg)
{
    struct task *t = conn_aux (c);
    if (!t)
        return;
    if (t->started && !t->exited)
        log_msg (LOG_LEVEL_INFO, "job %lu: task %d: huddle-rsh went away (%s): killed", t->seq,
                 (int)t->pid, reason);
    conn_set_aux (c, NULL);
    task_free (t);
}

static void on_rejected (const char *addr, const char *why, void *arg)
{
    log_msg (LOG_LEVEL_WARN, "task port: connection from %s refused: %s", addr, why);
}

/* ---------------------------------------------------------------- setup */

int agentd_task_open (struct agentd *ad, struct herror *err)
{
    struct agentd_task *at = calloc (1, sizeof (*at));
    struct conn_options opts = {.role = AUTH_ROLE_AGENT, .max_frame = TASK_MAX_FRAME};
    struct conn_ops ops = {
        .allow = on_allow,
        .ready = on_ready,
        .msg = on_msg,
        .closed = on_closed,
        .admit = on_admit,
        .rejected = on_rejected,
    };
    if (!at)
        return herror_set (err, "out of memory");
    ad->task = at;
    at->l = conn_listen (ad->base, ad->cfg.bind_address, ad->cfg.task_port, &opts, &ops, ad, err);
    if (!at->l) {
        herror_prefix (err, "task port");
        return -1;
    }
    snprintf (at->endpoint, sizeof (at->endpoint), "%s:%d", ad->cfg.task_address,
              conn_listener_port (at->l));
    log_msg (LOG_LEVEL_INFO, "remote tasks (huddle-rsh) on %s", at->endpoint);
    return 0;
}

void agentd_task_close (struct agentd *ad)
{
    if (!ad->task)
        return;
    conn_listener_destroy (ad->task->l); /* its connections too, without callbacks */
    while (ad->task->head)
        task_free (ad->task->head);
    free (ad->task);
    ad->task = NULL;
}

int agentd_task_register (struct agentd *ad, json_t *msg)
{
    if (!ad->task || !ad->task->l)
        return 0;
    return json_object_set_new (msg, "task_endpoint", json_string (ad->task->endpoint));
}
