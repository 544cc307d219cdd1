/* agentd_jobs.c - huddle-agent's job table
 *
 * One entry per job directory in the state directory: a running shepherd
 * (its pidfd watched by the loop, so a job's end is seen at once, without
 * polling) or a finished one whose result waits for the controller's
 * job.ended.ok.  Only that ack removes the directory (shepherd_forget), so
 * a result survives an agent restart or a lost connection and is sent
 * again after the next registration; the controller ignores duplicates.
 *
 * Jobs are keyed by seq and run_count.  The shepherd's directory is keyed
 * by seq alone, so a relaunch of seq N (a higher run_count, after the
 * controller gave up on the old run) while the old run is still dying is
 * held back: the old run is told to die, and the new one starts from its
 * exit event.  The old run's result is then dropped (the controller has
 * moved on and would ignore it).  An ack of a dropped result that was
 * already sent is counted so that it does not make us forget the new run.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/agentd.h"
#include "agent/shepherd.h"
#include "common/conn.h"
#include "common/signame.h"

struct ajob {
    struct agentd *ad;
    unsigned long seq;
    int64_t run_count; /* -1 when unknown (job.json without one) */
    struct shepherd *sh;
    uid_t uid;             /* the owner, for task.spawn */
    gid_t gid;             /* its group, for job.message */
    char *cookie;          /* the run's secret (NULL: none), for task.spawn */
    struct event *exit_ev; /* the shepherd's pidfd, while it runs */
    bool done;
    struct shepherd_result res;
    bool ended_sent;     /* job.ended sent on this connection, ack awaited */
    int stale_acks;      /* acks still due for a dropped earlier run's result */
    json_t *next_launch; /* a newer run's job.launch, started once this one ends */
    bool kill_next;      /* ... and killed at once: a job.kill for it came first */
    struct ajob *prev, *next;
};

struct agentd_jobs {
    struct ajob *head;
    int count;
};

static struct ajob *job_find (struct agentd *ad, unsigned long seq)
{
    for (struct ajob *j = ad->jobs->head; j; j = j->next) {
        if (j->seq == seq)
            return j;
    }
    return NULL;
}

static void job_unlink_free (struct agentd *ad, struct ajob *j)
{
    struct agentd_jobs *js = ad->jobs;
    if (j->prev)
        j->prev->next = j->next;
    else
        js->head = j->next;
    if (j->next)
        j->next->prev = j->prev;
    js->count--;
    if (j->exit_ev)
        event_free (j->exit_ev);
    shepherd_destroy (j->sh); /* never signals */
    json_decref (j->next_launch);
    free (j->cookie);
    free (j);
}

/* What task.spawn checks, from the job object (job.launch's or job.json). */
static int job_identity (struct ajob *j, const json_t *job)
{
    json_t *uid = json_object_get (job, "uid");
    json_t *gid = json_object_get (job, "gid");
    const char *cookie = json_string_value (json_object_get (job, "cookie"));
    j->uid = json_is_integer (uid) ? (uid_t)json_integer_value (uid) : (uid_t)-1;
    j->gid = json_is_integer (gid) ? (gid_t)json_integer_value (gid) : (gid_t)-1;
    free (j->cookie);
    j->cookie = cookie ? strdup (cookie) : NULL;
    return cookie && !j->cookie ? -1 : 0;
}

static struct ajob *job_add (struct agentd *ad, unsigned long seq, int64_t run_count,
                             struct shepherd *sh, const json_t *job)
{
    struct agentd_jobs *js = ad->jobs;
    struct ajob *j = calloc (1, sizeof (*j));
    if (!j)
        return NULL;
    if (job_identity (j, job) < 0) {
        free (j);
        return NULL;
    }
    j->ad = ad;
    j->seq = seq;
    j->run_count = run_count;
    j->sh = sh;
    j->next = js->head;
    if (js->head)
        js->head->prev = j;
    js->head = j;
    js->count++;
    return j;
}

/* ------------------------------------------------------------ results */

static void send_ended (struct agentd *ad, struct ajob *j)
{
    const struct shepherd_result *r = &j->res;
    char comment[sizeof (r->error) + sizeof (r->comment) + 4];

    if (!j->done || j->ended_sent || !agentd_registered (ad))
        return;
    snprintf (comment, sizeof (comment), "%s%s%s", r->error,
              r->error[0] && r->comment[0] ? "; " : "", r->comment);
    json_t *msg =
        json_pack ("{s:s, s:I, s:i, s:s, s:I, s:I, s:f, s:f, s:I}", "type", "job.ended", "seq",
                   (json_int_t)j->seq, "exit_status", r->exit_status, "reason",
                   shepherd_reason_name (r->reason), "start_time", (json_int_t)r->start_time,
                   "end_time", (json_int_t)r->end_time, "utime", r->utime, "stime", r->stime,
                   "maxrss_kb", (json_int_t)r->maxrss_kb);
    if (msg && j->run_count >= 0)
        json_object_set_new (msg, "run_count", json_integer (j->run_count));
    if (msg && comment[0])
        json_object_set_new (msg, "comment", json_string (comment));
    if (msg && agentd_send (ad, msg) == 0)
        j->ended_sent = true;
    json_decref (msg);
}

static void start_next (struct agentd *ad, struct ajob *j);
static void job_ended (struct agentd *ad, struct ajob *j);

static void exit_cb (evutil_socket_t fd, short what, void *arg)
{
    struct ajob *j = arg;
    job_ended (j->ad, j);
}

/* Have the loop tell us when the shepherd exits.  May end (and free) j at
 * once when it already has. */
static void watch (struct agentd *ad, struct ajob *j)
{
    int fd = shepherd_pidfd (j->sh);
    if (fd < 0 || shepherd_done (j->sh)) {
        job_ended (ad, j);
        return;
    }
    j->exit_ev = event_new (ad->base, fd, EV_READ, exit_cb, j);
    if (!j->exit_ev || event_add (j->exit_ev, NULL) < 0)
        log_msg (LOG_LEVEL_ERROR, "job %lu: cannot watch its shepherd", j->seq);
}

/* The shepherd exited (or was found finished at adoption). */
static void job_ended (struct agentd *ad, struct ajob *j)
{
    if (shepherd_result (j->sh, &j->res) < 0) {
        if (errno == EAGAIN && j->exit_ev) {
            event_add (j->exit_ev, NULL); /* not gone after all: keep watching */
            return;
        }
        log_msg (LOG_LEVEL_ERROR, "job %lu: cannot read its result: %s", j->seq, strerror (errno));
        return;
    }
    j->done = true;
    if (j->exit_ev) {
        event_free (j->exit_ev);
        j->exit_ev = NULL;
    }
    log_msg (LOG_LEVEL_INFO, "job %lu (run %lld) ended: exit status %d (%s)%s%s", j->seq,
             (long long)j->run_count, j->res.exit_status, shepherd_reason_name (j->res.reason),
             j->res.error[0] ? ": " : "", j->res.error);
    if (j->next_launch)
        start_next (ad, j);
    else
        send_ended (ad, j);
}

/* ------------------------------------------------------------ launching */

/* "SERVER" of a jobid "SEQ.SERVER", for PBS_JOBID when the job lacks one. */
static void server_of (const json_t *job, char *buf, size_t size)
{
    const char *id = json_string_value (json_object_get (job, "jobid"));
    const char *dot = id ? strchr (id, '.') : NULL;
    snprintf (buf, size, "%s", dot && dot[1] ? dot + 1 : "huddle");
}

/* started: what the job's process said as it started (shepherd.h), for
 * the controller's qstat -f and qmsg; NULL for none. */
static void reply_launch (struct agentd *ad, unsigned long seq, int64_t run_count,
                          const char *error, const struct shepherd_started *started)
{
    json_t *msg = json_pack ("{s:s, s:I}", "type", error ? "job.launch.failed" : "job.launch.ok",
                             "seq", (json_int_t)seq);
    if (msg && run_count >= 0)
        json_object_set_new (msg, "run_count", json_integer (run_count));
    if (msg && error)
        json_object_set_new (msg, "error", json_string (error));
    if (msg && started) {
        json_object_set_new (msg, "session_id", json_integer (started->session));
        json_object_set_new (msg, "jobdir", json_string (started->workdir));
        if (started->out_file[0])
            json_object_set_new (msg, "output_file", json_string (started->out_file));
        if (started->err_file[0])
            json_object_set_new (msg, "error_file", json_string (started->err_file));
    }
    if (msg)
        agentd_send (ad, msg);
    json_decref (msg);
}

/* Start a run and answer the launch.  stale_acks carries over from a
 * replaced entry of the same seq. */
static void start_run (struct agentd *ad, const json_t *job, const json_t *endpoints,
                       unsigned long seq, int64_t run_count, int stale_acks, bool kill_at_once)
{
    struct herror err = {""};
    char server[256];
    server_of (job, server, sizeof (server));
    struct shepherd_opts opts = {
        .node_name = ad->cfg.name,
        .server_name = server,
        .tmpdir_base = ad->cfg.tmpdir_base,
        .kill_grace_ms = ad->kill_grace > 0 ? ad->kill_grace * 1000 : 1,
        .no_bind = ad->cfg.no_bind,
        .contain = ad->contain,
        .pids_max = ad->cfg.job_pids_max,
        .lease_file = ad->lease_file,
        .topology = ad->topology,
        .task_endpoints = endpoints,
        .mpi = ad->cfg.mpi,
    };
    struct shepherd *sh = shepherd_start (ad->cfg.state_dir, job, &opts, &err);
    if (!sh) {
        int saved = errno;
        log_msg (LOG_LEVEL_WARN, "job %lu: cannot launch: %s", seq, err.text);
        if (saved != EBUSY)
            shepherd_forget (ad->cfg.state_dir, seq); /* what prepare left behind */
        reply_launch (ad, seq, run_count, err.text, NULL);
        return;
    }
    struct ajob *j = job_add (ad, seq, run_count, sh, job);
    if (!j) {
        /* The shepherd runs on: a restart adopts it; report it lost now. */
        shepherd_destroy (sh);
        log_msg (LOG_LEVEL_ERROR, "job %lu: out of memory", seq);
        reply_launch (ad, seq, run_count, "out of memory in the agent", NULL);
        return;
    }
    j->stale_acks = stale_acks;
    log_msg (LOG_LEVEL_DEBUG, "job %lu (run %lld) started: shepherd %d", seq, (long long)run_count,
             (int)shepherd_pid (sh));
    reply_launch (ad, seq, run_count, NULL, shepherd_started (sh));
    if (kill_at_once)
        shepherd_signal (sh, 0);
    watch (ad, j);
}

/* The old run of j's seq ended and a newer one waits: drop the old result
 * (the controller has given up on that run) and start the new one. */
static int read_job (json_t *msg, json_t **job, unsigned long *seq, int64_t *run_count,
                     struct herror *err)
{
    int64_t s;
    if (proto_get_object (msg, "job", job, err) < 0)
        return -1;
    if (proto_get_int_range (*job, "seq", 1, LONG_MAX, &s, err) < 0 ||
        proto_opt_int (*job, "run_count", run_count, err) < 0) {
        herror_prefix (err, "message job.launch: member \"job\"");
        return -1;
    }
    *seq = (unsigned long)s;
    return 0;
}

/* job.launch's task_endpoints, NULL when absent or not an object. */
static const json_t *launch_endpoints (const json_t *msg)
{
    json_t *eps = json_object_get (msg, "task_endpoints");
    return json_is_object (eps) ? eps : NULL;
}

static void start_next (struct agentd *ad, struct ajob *j)
{
    json_t *msg = j->next_launch;
    unsigned long seq = j->seq;
    bool kill = j->kill_next;
    int stale = j->stale_acks + (j->ended_sent ? 1 : 0);
    int64_t run_count = -1;
    json_t *job = json_object_get (msg, "job");

    j->next_launch = NULL;
    proto_opt_int (job, "run_count", &run_count, NULL);
    log_msg (LOG_LEVEL_INFO, "job %lu: run %lld ended, starting run %lld", seq,
             (long long)j->run_count, (long long)run_count);
    job_unlink_free (ad, j);
    start_run (ad, job, launch_endpoints (msg), seq, run_count, stale, kill);
    json_decref (msg);
}

static int on_launch (json_t *msg, void *arg, struct herror *err)
{
    struct agentd_request *rq = arg;
    struct agentd *ad = rq->ad;
    json_t *job;
    unsigned long seq;
    int64_t run_count = -1;

    if (read_job (msg, &job, &seq, &run_count, err) < 0)
        return -1;
    struct ajob *j = job_find (ad, seq);
    if (!j) {
        start_run (ad, job, launch_endpoints (msg), seq, run_count, 0, false);
        return 0;
    }
    if (j->run_count == run_count && !j->next_launch) {
        /* A repeated order for the run we have: say so again. */
        reply_launch (ad, seq, run_count, NULL, shepherd_started (j->sh));
        send_ended (ad, j);
        return 0;
    }
    if (j->done) {
        int stale = j->stale_acks + (j->ended_sent ? 1 : 0);
        log_msg (LOG_LEVEL_INFO, "job %lu: run %lld replaces run %lld (its result dropped)", seq,
                 (long long)run_count, (long long)j->run_count);
        job_unlink_free (ad, j);
        start_run (ad, job, launch_endpoints (msg), seq, run_count, stale, false);
        return 0;
    }
    /* The old run still lives: it is not the controller's any more. */
    log_msg (LOG_LEVEL_INFO, "job %lu: run %lld waits for run %lld to end", seq,
             (long long)run_count, (long long)j->run_count);
    json_decref (j->next_launch);
    j->next_launch = json_incref (msg);
    j->kill_next = false;
    if (shepherd_signal (j->sh, 0) < 0 && errno == ESRCH)
        job_ended (ad, j);
    return 0;
}

/* ------------------------------------------------------------ killing */

/* signal?: a number, or a name with or without "SIG" (common/signame.h);
 * 0 when absent (the TERM-then-KILL kill). */
static int read_signal (json_t *msg, int *sig, struct herror *err)
{
    json_t *v = json_object_get (msg, "signal");
    *sig = 0;
    if (!v || json_is_null (v))
        return 0;
    if (json_is_integer (v) && json_integer_value (v) > 0 && json_integer_value (v) < NSIG) {
        *sig = (int)json_integer_value (v);
        return 0;
    }
    int s = json_is_string (v) ? signame_parse (json_string_value (v)) : -1;
    if (s > 0) {
        *sig = s;
        return 0;
    }
    errno = EPROTO;
    return herror_set (err, "message job.kill: member \"signal\" must be a signal number or name");
}

static int on_kill (json_t *msg, void *arg, struct herror *err)
{
    struct agentd_request *rq = arg;
    struct agentd *ad = rq->ad;
    int64_t seq, run_count = -1, grace = -1;
    int sig;

    if (proto_get_int_range (msg, "seq", 1, LONG_MAX, &seq, err) < 0 ||
        proto_opt_int (msg, "run_count", &run_count, err) < 0 ||
        proto_opt_int (msg, "grace", &grace, err) < 0 || read_signal (msg, &sig, err) < 0)
        return -1;
    struct ajob *j = job_find (ad, (unsigned long)seq);
    if (!j) {
        log_msg (LOG_LEVEL_INFO, "job.kill %lld: no such job here (already reported)",
                 (long long)seq);
        return 0;
    }
    if (j->next_launch && run_count >= 0) {
        int64_t next_rc = -1;
        proto_opt_int (json_object_get (j->next_launch, "job"), "run_count", &next_rc, NULL);
        if (next_rc == run_count) {
            /* The run waiting to start is the one to kill. */
            j->kill_next = sig == 0;
            return 0;
        }
    }
    if (run_count >= 0 && j->run_count >= 0 && run_count < j->run_count) {
        log_msg (LOG_LEVEL_DEBUG, "job.kill %lld run %lld: that run is over", (long long)seq,
                 (long long)run_count);
        return 0;
    }
    if (j->done)
        return 0; /* its result is on its way */
    if (sig)
        log_msg (LOG_LEVEL_INFO, "job %lld: signal %d (%s)", (long long)seq, sig, strsignal (sig));
    else
        log_msg (LOG_LEVEL_INFO, "job %lld: kill (TERM, KILL after %ds)", (long long)seq,
                 ad->kill_grace);
    if (shepherd_signal (j->sh, sig) < 0 && errno != ESRCH)
        log_msg (LOG_LEVEL_WARN, "job %lld: cannot signal its shepherd: %s", (long long)seq,
                 strerror (errno));
    return 0;
}

/* qalter of a running job's walltime: its shepherd here enforces the new
 * one (sent to every node of the run, as each shepherd enforces it). */
static int on_walltime (json_t *msg, void *arg, struct herror *err)
{
    struct agentd_request *rq = arg;
    struct agentd *ad = rq->ad;
    int64_t seq, run_count, walltime;

    if (proto_get_int_range (msg, "seq", 1, LONG_MAX, &seq, err) < 0 ||
        proto_get_int_range (msg, "run_count", 0, INT32_MAX, &run_count, err) < 0 ||
        proto_get_int_range (msg, "walltime", 1, INT32_MAX, &walltime, err) < 0)
        return -1;
    struct ajob *j = job_find (ad, (unsigned long)seq);
    if (!j || j->done || (j->run_count >= 0 && j->run_count != run_count)) {
        log_msg (LOG_LEVEL_DEBUG, "job.walltime %lld run %lld: that run does not run here",
                 (long long)seq, (long long)run_count);
        return 0;
    }
    if (shepherd_set_walltime (j->sh, (long)walltime) < 0) {
        if (errno != ESRCH)
            log_msg (LOG_LEVEL_WARN, "job %lld: cannot tell its shepherd the walltime: %s",
                     (long long)seq, strerror (errno));
        return 0;
    }
    log_msg (LOG_LEVEL_INFO, "job %lld: walltime now %lld s", (long long)seq, (long long)walltime);
    return 0;
}

/* ------------------------------------------------------------ qmsg */

/* Append text to path as uid/gid, in a child, so that a path the owner
 * controls is never opened with root's rights (O_NOFOLLOW: not through a
 * link either).  0, or -1 with errno. */
static int append_as (uid_t uid, gid_t gid, const char *path, const char *text)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (geteuid() == 0 && (setgroups (0, NULL) < 0 || setgid (gid) < 0 || setuid (uid) < 0))
            _exit (EPERM);
        int fd = open (path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
            _exit (errno);
        size_t n = strlen (text);
        _exit (write (fd, text, n) == (ssize_t)n ? 0 : (errno ? errno : EIO));
    }
    int st;
    while (waitpid (pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (WIFEXITED (st) && WEXITSTATUS (st) == 0)
        return 0;
    errno = WIFEXITED (st) ? WEXITSTATUS (st) : EINTR;
    return -1;
}

/* job.message (qmsg): the line goes to each named file of the job's run
 * here, as its owner; answered job.message.ok or .failed with the
 * controller's ref. */
static int on_message (json_t *msg, void *arg, struct herror *err)
{
    struct agentd_request *rq = arg;
    struct agentd *ad = rq->ad;
    int64_t seq, run_count = -1, ref;
    const char *text;
    json_t *files;
    char why[PATH_MAX + 128] = "";

    if (proto_get_int_range (msg, "seq", 1, LONG_MAX, &seq, err) < 0 ||
        proto_get_int (msg, "ref", &ref, err) < 0 ||
        proto_opt_int (msg, "run_count", &run_count, err) < 0 ||
        proto_get_string (msg, "text", &text, err) < 0 ||
        proto_get_array (msg, "files", &files, err) < 0)
        return -1;
    struct ajob *j = job_find (ad, (unsigned long)seq);
    if (!j || j->done || (run_count >= 0 && j->run_count != run_count))
        snprintf (why, sizeof (why), "job %lld does not run on this node", (long long)seq);
    size_t i;
    json_t *f;
    json_array_foreach (files, i, f)
    {
        const char *path = json_string_value (f);
        if (why[0])
            break;
        if (!path || path[0] != '/')
            snprintf (why, sizeof (why), "not an absolute path: %.200s", path ? path : "(none)");
        else if (append_as (j->uid, j->gid, path, text) < 0)
            snprintf (why, sizeof (why), "cannot append to %s: %s", path, strerror (errno));
    }
    if (why[0])
        log_msg (LOG_LEVEL_WARN, "job %lld: qmsg: %s", (long long)seq, why);
    json_t *reply =
        json_pack ("{s:s, s:I, s:I}", "type", why[0] ? "job.message.failed" : "job.message.ok",
                   "seq", (json_int_t)seq, "ref", (json_int_t)ref);
    if (reply && why[0])
        json_object_set_new (reply, "error", json_string (why));
    if (reply)
        agentd_send (ad, reply);
    json_decref (reply);
    return 0;
}

/* ------------------------------------------------------------ acks */

static int on_ended_ok (json_t *msg, void *arg, struct herror *err)
{
    struct agentd_request *rq = arg;
    struct agentd *ad = rq->ad;
    int64_t seq;

    if (proto_get_int_range (msg, "seq", 1, LONG_MAX, &seq, err) < 0) {
        log_msg (LOG_LEVEL_WARN, "%s", err->text);
        return 0; /* a reply: never answered */
    }
    struct ajob *j = job_find (ad, (unsigned long)seq);
    if (!j)
        return 0;
    if (j->stale_acks > 0) {
        j->stale_acks--;
        return 0;
    }
    if (!j->done || !j->ended_sent)
        return 0;
    if (shepherd_forget (ad->cfg.state_dir, j->seq) < 0)
        log_msg (LOG_LEVEL_WARN, "job %lu: cannot remove its directory: %s", j->seq,
                 strerror (errno));
    job_unlink_free (ad, j);
    return 0;
}

const struct proto_handler agentd_jobs_handlers[] = {
    {"job.launch", on_launch},     {"job.kill", on_kill},         {"job.message", on_message},
    {"job.walltime", on_walltime}, {"job.ended.ok", on_ended_ok}, {NULL, NULL},
};

/* ------------------------------------------------------ remote tasks */

/* Compare without leaking how much of a guess was right. */
static bool same_secret (const char *a, const char *b)
{
    size_t la = strlen (a), lb = strlen (b);
    unsigned char d = la != lb;
    for (size_t i = 0; i < la && i < lb; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

int agentd_jobs_task_check (struct agentd *ad, unsigned long seq, uid_t uid, const char *cookie,
                            struct herror *err)
{
    struct ajob *j = job_find (ad, seq);
    if (!j || j->done || j->next_launch) {
        /* Not yet, maybe: its job.launch may still be on its way here
         * while the first node's mpirun already asks. */
        errno = j ? ESRCH : EAGAIN;
        return herror_set (err, "job %lu does not run on %s", seq, ad->cfg.name);
    }
    if (uid != j->uid)
        return herror_set (err, "job %lu is not uid %d's", seq, (int)uid);
    if (cookie && (!j->cookie || !same_secret (cookie, j->cookie)))
        return herror_set (err,
                           "wrong job cookie for job %lu (HUDDLE_JOB_COOKIE is not this "
                           "run's)",
                           seq);
    return 0;
}

/* ------------------------------------------------------ registration */

json_t *agentd_jobs_report (struct agentd *ad)
{
    json_t *arr = json_array();
    for (struct ajob *j = ad->jobs->head; arr && j; j = j->next) {
        pid_t pid = j->done ? 0 : shepherd_pid (j->sh);
        json_t *o = json_pack ("{s:I, s:[]}", "seq", (json_int_t)j->seq, "pids");
        if (!o) {
            json_decref (arr);
            return NULL;
        }
        if (pid > 0)
            json_array_append_new (json_object_get (o, "pids"), json_integer (pid));
        if (j->run_count >= 0)
            json_object_set_new (o, "run_count", json_integer (j->run_count));
        json_array_append_new (arr, o);
    }
    return arr;
}

void agentd_jobs_registered (struct agentd *ad, json_t *kill)
{
    size_t i;
    json_t *v;
    json_array_foreach (kill, i, v)
    {
        struct ajob *j = json_is_integer (v) ? job_find (ad, json_integer_value (v)) : NULL;
        if (!j || j->done)
            continue;
        log_msg (LOG_LEVEL_INFO, "job %lu: killed (no longer this node's)", j->seq);
        if (shepherd_signal (j->sh, 0) < 0 && errno != ESRCH)
            log_msg (LOG_LEVEL_WARN, "job %lu: cannot signal its shepherd: %s", j->seq,
                     strerror (errno));
    }
    for (struct ajob *j = ad->jobs->head; j; j = j->next)
        send_ended (ad, j);
}

void agentd_jobs_disconnected (struct agentd *ad)
{
    for (struct ajob *j = ad->jobs->head; j; j = j->next) {
        j->ended_sent = false;
        j->stale_acks = 0;
    }
}

/* ------------------------------------------------------------ adoption */

/* The job object it was launched with (its job.json), NULL if unreadable. */
static json_t *stored_job (struct agentd *ad, unsigned long seq)
{
    char dir[4096], path[4200];
    if (shepherd_jobdir (ad->cfg.state_dir, seq, dir, sizeof (dir)) < 0)
        return NULL;
    snprintf (path, sizeof (path), "%s/job.json", dir);
    return json_load_file (path, 0, NULL);
}

static void adopt_one (struct agentd *ad, unsigned long seq)
{
    struct herror err = {""};
    struct shepherd *sh = shepherd_adopt (ad->cfg.state_dir, seq, &err);
    if (!sh) {
        log_msg (LOG_LEVEL_WARN, "job %lu: cannot adopt: %s%s", seq, err.text,
                 errno == ENOENT ? " (never started: removed)" : "");
        if (errno == ENOENT)
            shepherd_forget (ad->cfg.state_dir, seq);
        return;
    }
    json_t *job = stored_job (ad, seq);
    json_t *rc = json_object_get (job, "run_count");
    struct ajob *j =
        job_add (ad, seq, json_is_integer (rc) ? json_integer_value (rc) : -1, sh, job);
    json_decref (job);
    if (!j) {
        shepherd_destroy (sh);
        return;
    }
    if (shepherd_done (sh))
        job_ended (ad, j);
    else {
        log_msg (LOG_LEVEL_INFO, "job %lu (run %lld) adopted: shepherd %d", seq,
                 (long long)j->run_count, (int)shepherd_pid (sh));
        watch (ad, j);
    }
}

int agentd_jobs_create (struct agentd *ad, struct herror *err)
{
    unsigned long *seqs;
    size_t n;

    if (!(ad->jobs = calloc (1, sizeof (*ad->jobs))))
        return herror_set (err, "out of memory");
    if (shepherd_list (ad->cfg.state_dir, &seqs, &n) < 0)
        return herror_set (err, "cannot list %s/jobs: %s", ad->cfg.state_dir, strerror (errno));
    for (size_t i = 0; i < n; i++)
        adopt_one (ad, seqs[i]);
    free (seqs);
    if (n > 0)
        log_msg (LOG_LEVEL_INFO, "%zu jobs found in %s", n, ad->cfg.state_dir);
    return 0;
}

void agentd_jobs_destroy (struct agentd *ad)
{
    if (!ad->jobs)
        return;
    while (ad->jobs->head)
        job_unlink_free (ad, ad->jobs->head);
    free (ad->jobs);
    ad->jobs = NULL;
}
