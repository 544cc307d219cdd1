/* agentd_task.c - huddle-agent's task port: remote tasks for huddle-rsh
 *
 * Open MPI's mpirun starts its daemons (orted) on the other nodes of a job
 * with an "rsh agent"; in a huddle job that is huddle-rsh, which connects
 * here, on the agent of the node it names, and asks for the command to
 * run inside the same job.  The agent checks who asks, then hands the
 * connection itself to the job's shepherd on this node (shepherd_task.h),
 * which starts the task as it starts a batch script and relays its stdin,
 * stdout, stderr and exit status (docs/protocol.md, "Remote tasks"): the
 * agent holds no task, so that tasks live on when it restarts, as jobs do.
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
 * qsub -I attaches here too (task.attach): the shell of an interactive
 * job is its shepherd's job process, started when qsub connects.  qsub
 * holds no cookie (it is made when the job starts and never leaves the
 * agents), so an attach is checked by uid alone: munged vouches that the
 * caller is the job's owner, which is the line that matters (see above),
 * and the job's shepherd takes one attach only, for an interactive job on
 * its first node, so a second connection cannot take over a session.
 *
 * The port is open to the network: it never trusts what arrives.  Frames
 * are bounded (TASK_MAX_FRAME), checked by conn (bad JSON, a missing
 * hello, a stalled frame: an error and close), members by proto_get_*;
 * connections are limited (TASK_MAX_CONNS in all, TASK_MAX_PENDING before
 * their hello, TASK_MAX_PER_UID of one uid waiting for their task.spawn),
 * one that sends no task.spawn within TASK_IDLE seconds of its hello is
 * closed, and a connection takes one task.spawn: so neither peers that
 * never finish their hello nor one user holding connections open can keep
 * other users' mpirun out.  After the hand-over the shepherd bounds what it
 * buffers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agentd.h"
#include "agent/shepherd_task.h"
#include "common/auth.h"
#include "common/conn.h"

#define TASK_MAX_FRAME   (1024 * 1024) /* a task.spawn's command is at most 64 KiB */
#define TASK_MAX_CONNS   256           /* connections before their task.spawn */
#define TASK_MAX_PENDING 64            /* of them before their hello */
#define TASK_MAX_PER_UID 32            /* of them of one uid, past the hello */
#define TASK_IDLE        10            /* seconds from the hello to the task.spawn */

/* A connection past its hello, waiting for its task.spawn. */
struct waiting {
    struct agentd_task *at;
    struct conn *c;
    struct event *idle;
    uid_t uid;
    struct waiting *prev, *next;
};

struct agentd_task {
    struct conn_listener *l;
    char endpoint[320];
    struct waiting *waiting; /* freed at close: the listener drops its
                              * connections without callbacks */
};

static void waiting_free (struct waiting *w)
{
    if (!w)
        return;
    if (w->prev)
        w->prev->next = w->next;
    else if (w->at)
        w->at->waiting = w->next;
    if (w->next)
        w->next->prev = w->prev;
    if (w->idle)
        event_free (w->idle);
    free (w);
}

static void idle_cb (evutil_socket_t fd, short what, void *arg)
{
    struct waiting *w = arg;
    log_msg (LOG_LEVEL_INFO, "task from %s: no task.spawn within %d s: closed",
             conn_peer (w->c)->addr, TASK_IDLE);
    conn_close (w->c);
}

/* Say why and end the connection; retry: the caller may ask again soon. */
static void refuse (struct conn *c, const char *text, bool retry)
{
    json_t *e = proto_error_create (-1, text);
    if (e && retry)
        json_object_set_new (e, "retry", json_true());
    if (e)
        conn_send (c, e);
    json_decref (e);
    log_msg (LOG_LEVEL_INFO, "task from %s refused: %s", conn_peer (c)->addr, text);
    conn_close (c);
}

/* What a task.spawn or task.attach hands to the shepherd. */
struct hand_over {
    const char *command;         /* task.spawn; NULL: task.attach */
    bool with_stdin;             /* task.spawn */
    struct task_session session; /* task.attach */
};

static int hand_over (struct agentd *ad, struct conn *c, int64_t seq, const struct hand_over *h,
                      struct herror *err);

/* task.spawn and task.attach name the job and this node: check those and
 * the caller (cookie NULL for an attach).  -1 with err: refused (*retry:
 * the job is not known here yet). */
static int check_job (struct agentd *ad, struct conn *c, int64_t seq, const char *node,
                      const char *cookie, bool *retry, struct herror *err)
{
    if (strcmp (node, ad->cfg.name) != 0)
        return herror_set (err, "this is node %s, not %.64s", ad->cfg.name, node);
    if (agentd_jobs_task_check (ad, (unsigned long)seq, conn_peer (c)->uid, cookie, err) < 0) {
        *retry = errno == EAGAIN;
        return -1;
    }
    return 0;
}

/* task.spawn: check it, then hand the connection to the job's shepherd,
 * which answers it from then on. */
static int on_spawn (struct agentd *ad, struct conn *c, json_t *msg, bool *retry,
                     struct herror *err)
{
    int64_t seq;
    const char *cookie, *node;
    struct hand_over h = {.command = NULL};
    if (proto_get_int_range (msg, "seq", 1, 2147483647, &seq, err) < 0 ||
        proto_get_string (msg, "cookie", &cookie, err) < 0 ||
        proto_get_string (msg, "node", &node, err) < 0 ||
        proto_get_string (msg, "command", &h.command, err) < 0 ||
        proto_opt_bool (msg, "stdin", &h.with_stdin, err) < 0 ||
        check_job (ad, c, seq, node, cookie, retry, err) < 0)
        return -1;
    return hand_over (ad, c, seq, &h, err);
}

/* task.attach (qsub -I): the same for the job's interactive session. */
static int on_attach (struct agentd *ad, struct conn *c, json_t *msg, bool *retry,
                      struct herror *err)
{
    int64_t seq, rows = 0, cols = 0;
    const char *node, *term = NULL;
    struct hand_over h = {.command = NULL};
    if (proto_get_int_range (msg, "seq", 1, 2147483647, &seq, err) < 0 ||
        proto_get_string (msg, "node", &node, err) < 0 ||
        proto_opt_bool (msg, "pty", &h.session.pty, err) < 0 ||
        proto_opt_int (msg, "rows", &rows, err) < 0 ||
        proto_opt_int (msg, "cols", &cols, err) < 0 ||
        proto_opt_string (msg, "term", &term, err) < 0)
        return -1;
    if (rows < 0 || rows > 65535 || cols < 0 || cols > 65535)
        return herror_set (err, "message task.attach: rows and cols are 0..65535");
    if (term && (strlen (term) >= sizeof (h.session.term) || strpbrk (term, " \t\r\n'\"")))
        return herror_set (err, "message task.attach: member \"term\" is not a terminal type");
    if (check_job (ad, c, seq, node, NULL, retry, err) < 0)
        return -1;
    h.session.rows = (int)rows;
    h.session.cols = (int)cols;
    snprintf (h.session.term, sizeof (h.session.term), "%s", term ? term : "");
    return hand_over (ad, c, seq, &h, err);
}

/* Give c to job seq's shepherd, which speaks on it from then on. */
static int hand_over (struct agentd *ad, struct conn *c, int64_t seq, const struct hand_over *h,
                      struct herror *err)
{
    uid_t uid = conn_peer (c)->uid;
    char addr[sizeof (conn_peer (c)->addr)];
    snprintf (addr, sizeof (addr), "%s", conn_peer (c)->addr);
    struct waiting *w = conn_aux (c);
    int fd = conn_hand_over (c);
    if (fd >= 0)
        waiting_free (w); /* c is gone without its closed callback */
    if (fd < 0)
        return herror_set (err,
                           errno == EBUSY ? "send nothing after task.spawn before "
                                            "task.spawn.ok"
                                          : "cannot hand the connection over: %s",
                           strerror (errno));
    /* c is gone: from here on only fd speaks to huddle-rsh. */
    int rc = h->command ? shepherd_task_request (ad->cfg.state_dir, (unsigned long)seq, h->command,
                                                 h->with_stdin, fd, err)
                        : shepherd_session_request (ad->cfg.state_dir, (unsigned long)seq,
                                                    &h->session, fd, err);
    if (rc < 0) {
        herror_prefix (err, "%s: job %lld", ad->cfg.name, (long long)seq);
        json_t *e = proto_error_create (-1, err->text);
        size_t len;
        void *frame = e ? proto_encode (e, &len) : NULL;
        if (frame)
            (void)!write (fd, frame, len);
        free (frame);
        json_decref (e);
        log_msg (LOG_LEVEL_WARN, "task from %s: %s", addr, err->text);
    } else
        log_msg (LOG_LEVEL_INFO, "job %lld: %s for uid %d from %s handed to its shepherd",
                 (long long)seq, h->command ? "task" : "qsub -I session", (int)uid, addr);
    close (fd);
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
    if (npending >= TASK_MAX_PENDING)
        return herror_set (err, "too many task connections before their hello (%d)",
                           TASK_MAX_PENDING);
    return 0;
}

static void on_ready (struct conn *c, const struct conn_peer *peer, void *arg)
{
    struct agentd *ad = arg;
    int mine = 0;
    for (struct waiting *o = ad->task->waiting; o; o = o->next)
        mine += o->uid == peer->uid;
    if (mine >= TASK_MAX_PER_UID) {
        char text[128];
        snprintf (text, sizeof (text),
                  "uid %d has %d task connections waiting for their task.spawn (at most %d)",
                  (int)peer->uid, mine, TASK_MAX_PER_UID);
        refuse (c, text, true);
        return;
    }
    struct waiting *w = calloc (1, sizeof (*w));
    struct timeval tv = {.tv_sec = TASK_IDLE};
    if (w) {
        w->c = c;
        w->uid = peer->uid;
    }
    if (!w || !(w->idle = evtimer_new (ad->base, idle_cb, w)) || evtimer_add (w->idle, &tv) < 0) {
        waiting_free (w);
        conn_close (c);
        return;
    }
    w->at = ad->task;
    w->next = w->at->waiting;
    if (w->next)
        w->next->prev = w;
    w->at->waiting = w;
    conn_set_aux (c, w);
}

static void on_closed (struct conn *c, const struct conn_peer *peer, const char *reason, void *arg)
{
    waiting_free (conn_aux (c));
    conn_set_aux (c, NULL);
}

static void on_msg (struct conn *c, const struct conn_peer *peer, json_t *msg, void *arg)
{
    struct herror err = {""};
    const char *type = proto_msg_type (msg);
    bool retry = false;
    int rc;
    if (strcmp (type, "task.spawn") == 0)
        rc = on_spawn (arg, c, msg, &retry, &err);
    else if (strcmp (type, "task.attach") == 0)
        rc = on_attach (arg, c, msg, &retry, &err);
    else if (strcmp (type, "error") == 0)
        return;
    else if (strcmp (type, "task.input") == 0)
        rc = herror_set (&err, "task.input before task.spawn");
    else
        rc = herror_set (&err, "unknown message type \"%.64s\"", type);
    if (rc < 0)
        refuse (c, err.text, retry);
}

static void on_rejected (const char *addr, const char *why, void *arg)
{
    log_msg (LOG_LEVEL_WARN, "task port: connection from %s refused: %s", addr, why);
}

/* ---------------------------------------------------------------- setup */

/* STATEDIR/task_port: the port an agent with task_port 0 picked, taken
 * again after a restart so that the endpoints its running jobs know stay
 * true (a port someone took meanwhile: a new one, and those jobs' new
 * huddle-rsh calls to this node fail). */
static int remembered_port (struct agentd *ad, char *path, size_t size)
{
    snprintf (path, size, "%s/task_port", ad->cfg.state_dir);
    FILE *f = fopen (path, "re");
    int port = 0;
    if (f && fscanf (f, "%d", &port) != 1)
        port = 0;
    if (f)
        fclose (f);
    return port > 0 && port < 65536 ? port : 0;
}

static void remember_port (const char *path, int port)
{
    char tmp[4300];
    snprintf (tmp, sizeof (tmp), "%.4200s.tmp", path);
    FILE *f = fopen (tmp, "we");
    if (!f || fprintf (f, "%d\n", port) < 0 || fclose (f) != 0 || rename (tmp, path) < 0)
        log_msg (LOG_LEVEL_WARN, "cannot write %s: %s", path, strerror (errno));
}

int agentd_task_open (struct agentd *ad, struct herror *err)
{
    char path[4200];
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
    int port = ad->cfg.task_port ? ad->cfg.task_port : remembered_port (ad, path, sizeof (path));
    at->l = conn_listen (ad->base, ad->cfg.bind_address, port, &opts, &ops, ad, err);
    if (!at->l && port && !ad->cfg.task_port)
        at->l = conn_listen (ad->base, ad->cfg.bind_address, 0, &opts, &ops, ad, err);
    if (!at->l) {
        herror_prefix (err, "task port");
        return -1;
    }
    if (!ad->cfg.task_port)
        remember_port (path, conn_listener_port (at->l));
    snprintf (at->endpoint, sizeof (at->endpoint), "%s:%d", ad->cfg.task_address,
              conn_listener_port (at->l));
    log_msg (LOG_LEVEL_INFO, "remote tasks (huddle-rsh) on %s", at->endpoint);
    return 0;
}

void agentd_task_close (struct agentd *ad)
{
    if (!ad->task)
        return;
    conn_listener_destroy (ad->task->l);
    while (ad->task->waiting)
        waiting_free (ad->task->waiting);
    free (ad->task);
    ad->task = NULL;
}

int agentd_task_register (struct agentd *ad, json_t *msg)
{
    if (!ad->task || !ad->task->l)
        return 0;
    return json_object_set_new (msg, "task_endpoint", json_string (ad->task->endpoint));
}
