/* shepherd.c - the agent's side of a job's shepherd: start, adopt, signal,
 * result.  The shepherd process itself is shepherd_run.c. */
#define _GNU_SOURCE
#include "agent/shepherd_int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct shepherd {
    char jobdir[PATH_MAX];
    unsigned long seq;
    pid_t pid;
    int pidfd;
    bool done;
    struct shepherd_started started; /* strings point into started_buf */
    char *started_buf;
};

unsigned long long shepherd_proc_starttime (pid_t pid)
{
    char path[64], buf[2048];
    bufprintf (path, sizeof (path), "/proc/%d/stat", (int)pid);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read (fd, buf, sizeof (buf) - 1);
    close (fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *p = strrchr (buf, ')');
    if (!p)
        return 0;
    /* after ')': field 3 (state) ... field 22 (starttime) is the 20th token */
    char *save = NULL, *tok = strtok_r (p + 1, " ", &save);
    for (int i = 1; tok && i < 20; i++)
        tok = strtok_r (NULL, " ", &save);
    return tok ? strtoull (tok, NULL, 10) : 0;
}

int shepherd_write_atomic (const char *path, const char *text, mode_t mode)
{
    char tmp[PATH_MAX + 8];
    bufprintf (tmp, sizeof (tmp), "%s.tmp", path);
    int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return -1;
    size_t len = strlen (text), off = 0;
    while (off < len) {
        ssize_t n = write (fd, text + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto fail;
        off += (size_t)n;
    }
    if (fchmod (fd, mode) < 0 || fsync (fd) < 0)
        goto fail;
    if (close (fd) < 0) {
        fd = -1;
        goto fail;
    }
    if (rename (tmp, path) < 0) {
        fd = -1;
        goto fail;
    }
    return 0;
fail:;
    int saved = errno;
    if (fd >= 0)
        close (fd);
    unlink (tmp);
    errno = saved;
    return -1;
}

int shepherd_jobdir (const char *statedir, unsigned long seq, char *buf, size_t size)
{
    int n = bufprintf (buf, size, "%s/jobs/%lu", statedir, seq);
    if (n < 0 || (size_t)n >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

static struct shepherd *handle_new (const char *jobdir, unsigned long seq)
{
    struct shepherd *sh = calloc (1, sizeof (*sh));
    if (!sh)
        return NULL;
    bufprintf (sh->jobdir, sizeof (sh->jobdir), "%s", jobdir);
    sh->seq = seq;
    sh->pidfd = -1;
    return sh;
}

void shepherd_destroy (struct shepherd *sh)
{
    if (!sh)
        return;
    int saved = errno;
    if (sh->pidfd >= 0)
        close (sh->pidfd);
    free (sh->started_buf);
    free (sh);
    errno = saved;
}

unsigned long shepherd_seq (const struct shepherd *sh)
{
    return sh->seq;
}

pid_t shepherd_pid (const struct shepherd *sh)
{
    return sh->pid;
}

const struct shepherd_started *shepherd_started (const struct shepherd *sh)
{
    return sh->started.session > 0 ? &sh->started : NULL;
}

int shepherd_pidfd (const struct shepherd *sh)
{
    return sh->done ? -1 : sh->pidfd;
}

/* Read "PID STARTTIME" from the pid file: 0, or -1 (ENOENT: none). */
static int read_pidfile (const char *jobdir, pid_t *pid, unsigned long long *start)
{
    char path[PATH_MAX + 16], buf[128];
    bufprintf (path, sizeof (path), "%s/shepherd.pid", jobdir);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read (fd, buf, sizeof (buf) - 1);
    close (fd);
    long p;
    if (n <= 0 || (buf[n] = '\0', sscanf (buf, "%ld %llu", &p, start) != 2) || p <= 1) {
        errno = EINVAL;
        return -1;
    }
    *pid = (pid_t)p;
    return 0;
}

/* A pidfd for the shepherd recorded in jobdir, or -1 when it is gone (or
 * the pid now names another process).  Opening first and checking the
 * start time second means the fd cannot refer to a newer process that
 * reused the pid. */
static int open_live_shepherd (const char *jobdir, pid_t *pidp)
{
    pid_t pid;
    unsigned long long start;
    if (read_pidfile (jobdir, &pid, &start) < 0)
        return -1;
    int fd = (int)pidfd_open (pid, 0);
    if (fd < 0)
        return -1;
    if (shepherd_proc_starttime (pid) != start) {
        close (fd);
        errno = ESRCH;
        return -1;
    }
    fcntl (fd, F_SETFD, FD_CLOEXEC);
    *pidp = pid;
    return fd;
}

bool shepherd_done (struct shepherd *sh)
{
    if (sh->done || sh->pidfd < 0)
        return true;
    struct pollfd p = {.fd = sh->pidfd, .events = POLLIN};
    if (poll (&p, 1, 0) == 1) {
        siginfo_t si;
        /* Reap it when it is our child; ECHILD (adopted) is fine. */
        (void)waitid ((idtype_t)P_PIDFD, (id_t)sh->pidfd, &si, WEXITED | WNOHANG);
        sh->done = true;
    }
    return sh->done;
}

static int rm_stale (const char *jobdir)
{
    const char *files[] = {"result",       "result.tmp",    "shepherd.pid", "shepherd.pid.tmp",
                           "script",       "nodefile",      "nodefile.tmp", "job.json",
                           "job.json.tmp", "shepherd.log",  "layout.json",  "layout.json.tmp",
                           "rankfile",     "rankfile.tmp",  "hostfile",     "hostfile.tmp",
                           "endpoints",    "endpoints.tmp", "task.sock"};
    char path[PATH_MAX + 32];
    for (size_t i = 0; i < sizeof (files) / sizeof (files[0]); i++) {
        bufprintf (path, sizeof (path), "%s/%s", jobdir, files[i]);
        if (unlink (path) < 0 && errno != ENOENT)
            return -1;
    }
    return 0;
}

/* Job directory, job.json, script and nodefile: everything that can fail
 * with a clear error before there is a process to report through. */
static int prepare_jobdir (const char *statedir, const json_t *job, struct shepherd_ctx *ctx,
                           struct herror *err)
{
    struct jobdesc *jd = ctx->jd;
    char path[PATH_MAX];
    struct stat st;
    if (stat (statedir, &st) < 0 || !S_ISDIR (st.st_mode))
        return herror_set (err, "state directory %s: %s", statedir,
                           errno ? strerror (errno) : "not a directory");
    if (jd->uid != geteuid() && !(st.st_mode & S_IXOTH)) {
        errno = EACCES;
        return herror_set (err, "state directory %s is not searchable by job owners (chmod o+x)",
                           statedir);
    }
    bufprintf (path, sizeof (path), "%s/jobs", statedir);
    if ((mkdir (path, 0711) < 0 && errno != EEXIST) || chmod (path, 0711) < 0)
        return herror_set (err, "cannot create %s: %s", path, strerror (errno));
    if (shepherd_jobdir (statedir, jd->seq, ctx->jobdir, sizeof (ctx->jobdir)) < 0)
        return herror_set (err, "state directory path too long");
    if (mkdir (ctx->jobdir, 0711) < 0) {
        if (errno != EEXIST)
            return herror_set (err, "cannot create %s: %s", ctx->jobdir, strerror (errno));
        pid_t pid;
        int fd = open_live_shepherd (ctx->jobdir, &pid);
        if (fd >= 0) {
            close (fd);
            errno = EBUSY;
            return herror_set (err, "job %lu is already running here (shepherd %d)", jd->seq,
                               (int)pid);
        }
        if (rm_stale (ctx->jobdir) < 0)
            return herror_set (err, "cannot clean %s: %s", ctx->jobdir, strerror (errno));
    }
    char *text = json_dumps (job, JSON_COMPACT);
    bufprintf (path, sizeof (path), "%s/job.json", ctx->jobdir);
    if (!text || shepherd_write_atomic (path, text, 0600) < 0) {
        free (text);
        return herror_set (err, "cannot write %s: %s", path, strerror (errno));
    }
    free (text);
    bufprintf (ctx->script, sizeof (ctx->script), "%s/script", ctx->jobdir);
    if (!jd->argv) {
        if (shepherd_write_atomic (ctx->script, jd->script, 0500) < 0 ||
            chown (ctx->script, jd->uid, jd->gid) < 0)
            return herror_set (err, "cannot write %s: %s", ctx->script, strerror (errno));
    }
    bufprintf (ctx->nodefile, sizeof (ctx->nodefile), "%s/nodefile", ctx->jobdir);
    bufprintf (ctx->layout, sizeof (ctx->layout), "%s/layout.json", ctx->jobdir);
    bufprintf (ctx->rankfile, sizeof (ctx->rankfile), "%s/rankfile", ctx->jobdir);
    bufprintf (ctx->hostfile, sizeof (ctx->hostfile), "%s/hostfile", ctx->jobdir);
    bufprintf (ctx->endpoints, sizeof (ctx->endpoints), "%s/endpoints", ctx->jobdir);
    if (jobenv_write_nodefile (jd, ctx->nodefile, err) < 0 ||
        jobenv_write_hostfile (jd, ctx->hostfile, err) < 0 ||
        jobenv_write_endpoints (jd, ctx->opts.task_endpoints, ctx->endpoints, err) < 0)
        return -1;
    return jobenv_write_layout (jd, job, ctx->opts.topology, ctx->layout, ctx->rankfile, err);
}

/* Wait for the shepherd's ready byte: it has written its pid file and
 * catches signals, so a kill sent right after start is never lost. */
static int wait_ready (int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int rc;
    while ((rc = poll (&p, 1, timeout_ms)) < 0 && errno == EINTR)
        ;
    if (rc == 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    char c;
    ssize_t n;
    while ((n = read (fd, &c, 1)) < 0 && errno == EINTR)
        ;
    if (n != 1) {
        errno = ECHILD;
        return -1;
    }
    return 0;
}

/* After the ready byte the pipe carries what the job's process says just
 * before it execs the script (shepherd_run.c, child_started): "SESSION\0
 * WORKDIR\0OUT\0ERR\0", then EOF (exec closes the pipe).  A sister, or
 * a job that fails before it gets there, closes it with nothing said.  The
 * wait is bounded apart from the ready byte's: the process may block in
 * the owner's workdir (a hung NFS mount); the launch is then acknowledged
 * without this, rather than held up or failed. */
#define STARTED_WAIT_MS 2000
static void read_started (int fd, struct shepherd *sh)
{
    size_t cap = 4 * PATH_MAX + 32, len = 0;
    char *buf = malloc (cap);
    struct timespec t0;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    while (buf && len < cap) {
        struct timespec t;
        clock_gettime (CLOCK_MONOTONIC, &t);
        long left =
            STARTED_WAIT_MS - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int rc = left > 0 ? poll (&p, 1, (int)left) : 0;
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            break;
        ssize_t n = read (fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    /* four NUL-terminated fields, the first a positive number */
    const char *f[4];
    size_t at = 0;
    int k = 0;
    for (; buf && k < 4 && at < len; k++) {
        const char *end = memchr (buf + at, '\0', len - at);
        if (!end)
            break;
        f[k] = buf + at;
        at = (size_t)(end - buf) + 1;
    }
    char *e;
    long sid = k == 4 ? strtol (f[0], &e, 10) : 0;
    if (k < 4 || *e || sid <= 0) {
        free (buf);
        return;
    }
    sh->started = (struct shepherd_started){
        .session = (pid_t)sid, .workdir = f[1], .out_file = f[2], .err_file = f[3]};
    sh->started_buf = buf;
}

struct shepherd *shepherd_start (const char *statedir, const json_t *job,
                                 const struct shepherd_opts *opts, struct herror *err)
{
    struct shepherd_ctx ctx = {0};
    if (!statedir || !job || !opts || !opts->contain) {
        errno = EINVAL;
        herror_set (err, "shepherd_start: statedir, job, opts and opts->contain are required");
        return NULL;
    }
    ctx.opts = *opts;
    if (!(ctx.jd = jobdesc_parse (job, opts->node_name, opts->server_name, err)))
        return NULL;
    if (prepare_jobdir (statedir, job, &ctx, err) < 0)
        goto fail;
    int ready[2];
    if (pipe2 (ready, O_CLOEXEC) < 0) {
        herror_set (err, "pipe: %s", strerror (errno));
        goto fail;
    }
    pid_t pid = fork();
    if (pid < 0) {
        herror_set (err, "fork: %s", strerror (errno));
        close (ready[0]);
        close (ready[1]);
        goto fail;
    }
    if (pid == 0) {
        close (ready[0]);
        ctx.ready_fd = ready[1];
        shepherd_run (&ctx);
    }
    close (ready[1]);
    int pidfd = (int)pidfd_open (pid, 0); /* our unreaped child: cannot be reused */
    int rc = wait_ready (ready[0], 30000);
    int saved = errno;
    if (pidfd < 0 || rc < 0) {
        close (ready[0]);
        if (rc < 0 && saved == ETIMEDOUT)
            kill (pid, SIGKILL);
        waitpid (pid, NULL, 0);
        if (pidfd >= 0)
            close (pidfd);
        errno = rc < 0 ? saved : errno;
        herror_set (err, "job %lu: shepherd did not start: %s (see %s/shepherd.log)", ctx.jd->seq,
                    strerror (errno), ctx.jobdir);
        goto fail;
    }
    fcntl (pidfd, F_SETFD, FD_CLOEXEC);
    struct shepherd *sh = handle_new (ctx.jobdir, ctx.jd->seq);
    if (!sh) {
        close (ready[0]);
        close (pidfd); /* the shepherd runs on; adopt can find it */
        herror_set (err, "out of memory");
        goto fail;
    }
    sh->pid = pid;
    sh->pidfd = pidfd;
    read_started (ready[0], sh);
    close (ready[0]);
    jobdesc_destroy (ctx.jd);
    return sh;
fail:
    jobdesc_destroy (ctx.jd);
    return NULL;
}

struct shepherd *shepherd_adopt (const char *statedir, unsigned long seq, struct herror *err)
{
    char jobdir[PATH_MAX], path[PATH_MAX + 16];
    if (shepherd_jobdir (statedir, seq, jobdir, sizeof (jobdir)) < 0) {
        herror_set (err, "state directory path too long");
        return NULL;
    }
    pid_t pid = 0;
    int fd = open_live_shepherd (jobdir, &pid);
    if (fd < 0) {
        struct stat st;
        bufprintf (path, sizeof (path), "%s/shepherd.pid", jobdir);
        bool had_pid = access (path, F_OK) == 0;
        bufprintf (path, sizeof (path), "%s/result", jobdir);
        if (!had_pid && stat (path, &st) < 0) {
            errno = ENOENT;
            herror_set (err, "job %lu: no shepherd pid file and no result in %s", seq, jobdir);
            return NULL;
        }
        pid = 0;
    }
    struct shepherd *sh = handle_new (jobdir, seq);
    if (!sh) {
        if (fd >= 0)
            close (fd);
        herror_set (err, "out of memory");
        return NULL;
    }
    sh->pid = pid;
    sh->pidfd = fd;
    sh->done = fd < 0;
    return sh;
}

/* SIGNO queued with VALUE: the shepherd reads both from its signalfd. */
static int send_value (struct shepherd *sh, int signo, int value)
{
    siginfo_t si;
    memset (&si, 0, sizeof (si));
    si.si_signo = signo;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_int = value;
    return pidfd_send_signal (sh->pidfd, signo, &si, 0);
}

int shepherd_signal (struct shepherd *sh, int sig)
{
    if (shepherd_done (sh)) {
        errno = ESRCH;
        return -1;
    }
    if (sig == 0)
        return pidfd_send_signal (sh->pidfd, SIGTERM, NULL, 0);
    if (sig < 0 || sig >= NSIG) {
        errno = EINVAL;
        return -1;
    }
    return send_value (sh, SIGUSR1, sig);
}

int shepherd_set_walltime (struct shepherd *sh, long seconds)
{
    if (shepherd_done (sh)) {
        errno = ESRCH;
        return -1;
    }
    if (seconds < 1 || seconds > INT_MAX) {
        errno = EINVAL;
        return -1;
    }
    return send_value (sh, SIGUSR2, (int)seconds);
}

/* A result file that is missing or does not decode is a job lost: what it
 * says cannot be trusted, and reading a missing exit_status as 0 would
 * report a success. */
static int read_result (const char *jobdir, unsigned long seq, struct shepherd_result *res)
{
    char path[PATH_MAX + 16];
    struct herror err = {""};
    json_error_t jerr;

    bufprintf (path, sizeof (path), "%s/result", jobdir);
    json_t *o = json_load_file (path, 0, &jerr);
    if (o && shepherd_result_from_json (o, res, &err) == 0 && res->seq == seq) {
        json_decref (o);
        return 0;
    }
    if (o && !err.text[0])
        herror_set (&err, "seq: %lu, not this job's", res->seq);
    json_decref (o);
    memset (res, 0, sizeof (*res));
    res->seq = seq;
    res->exit_status = SHEPHERD_EXIT_LOST;
    res->reason = SHEPHERD_END_LOST;
    if (!o)
        bufprintf (res->error, sizeof (res->error),
                   "the shepherd exited without writing a result (%s)", jerr.text);
    else
        bufprintf (res->error, sizeof (res->error), "the shepherd's result cannot be read: %s",
                   err.text);
    return 0;
}

int shepherd_result (struct shepherd *sh, struct shepherd_result *res)
{
    if (!shepherd_done (sh)) {
        errno = EAGAIN;
        return -1;
    }
    return read_result (sh->jobdir, sh->seq, res);
}

int shepherd_wait (struct shepherd *sh, int timeout_ms, struct shepherd_result *res)
{
    if (!shepherd_done (sh)) {
        struct pollfd p = {.fd = sh->pidfd, .events = POLLIN};
        int rc;
        while ((rc = poll (&p, 1, timeout_ms)) < 0 && errno == EINTR)
            ;
        if (rc == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
    }
    return shepherd_result (sh, res);
}

static int cmp_ulong (const void *a, const void *b)
{
    unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
    return x < y ? -1 : x > y;
}

int shepherd_list (const char *statedir, unsigned long **seqs, size_t *n)
{
    char path[PATH_MAX];
    bufprintf (path, sizeof (path), "%s/jobs", statedir);
    *seqs = NULL;
    *n = 0;
    DIR *d = opendir (path);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    unsigned long *v = NULL;
    size_t count = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir (d))) {
        char *end;
        unsigned long seq = strtoul (de->d_name, &end, 10);
        if (de->d_name[0] < '1' || de->d_name[0] > '9' || *end)
            continue;
        if (count == cap) {
            cap = cap ? 2 * cap : 16;
            unsigned long *nv = realloc (v, cap * sizeof (*v));
            if (!nv) {
                free (v);
                closedir (d);
                errno = ENOMEM;
                return -1;
            }
            v = nv;
        }
        v[count++] = seq;
    }
    closedir (d);
    if (count)
        qsort (v, count, sizeof (*v), cmp_ulong);
    *seqs = v;
    *n = count;
    return 0;
}

int shepherd_forget (const char *statedir, unsigned long seq)
{
    char jobdir[PATH_MAX];
    pid_t pid;
    if (shepherd_jobdir (statedir, seq, jobdir, sizeof (jobdir)) < 0)
        return -1;
    int fd = open_live_shepherd (jobdir, &pid);
    if (fd >= 0) {
        close (fd);
        errno = EBUSY;
        return -1;
    }
    if (rm_stale (jobdir) < 0 || rmdir (jobdir) < 0)
        return errno == ENOENT ? 0 : -1;
    return 0;
}
