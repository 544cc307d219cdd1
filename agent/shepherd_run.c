/* shepherd_run.c - the shepherd process: set up, start, watch, kill and
 * account for one job (see shepherd.h for the contract) */
#define _GNU_SOURCE
#include "agent/shepherd_int.h"
#include "agent/lease.h"
#include "agent/shepherd_task.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <hwloc.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* A record from the job process to the shepherd, before exec: 'N' a note
 * for the comment, 'F' a failure (code = negative exit status).  Small
 * enough that one write is atomic on a pipe. */
struct child_msg {
    char kind;
    int code;
    char text[240];
};

struct run {
    struct shepherd_ctx *ctx;
    struct jobdesc *jd;
    int log_fd, sig_fd, msg_fd;
    /* owner */
    char user[256], home[PATH_MAX], shell[PATH_MAX];
    /* binding */
    hwloc_topology_t topo;
    hwloc_bitmap_t cpuset;
    bool bind;
    char *pulist;
    struct container *cont;
    char tmpdir[PATH_MAX];
    bool tmpdir_made;
    /* the script's "#!" interpreter ("" when the shell runs it) and its
     * optional argument (inside interp, or NULL) */
    char interp[PATH_MAX];
    const char *interp_arg;
    char **env;
    char *out_path, *err_path;
    char err_file[240]; /* the job's error file as the job opened it ("" unknown) */
    char pbs_line[256]; /* a "=>> PBS:" line on its way there */
    /* progress */
    pid_t job;
    bool exited, killing, kill_sent;
    long long kill_at; /* monotonic ms of the SIGKILL, once killing */
    int wstatus;
    enum shepherd_end reason;
    int fail_code;
    char error[256];
    char comment[512];
    time_t start_time, end_time;
    long mem_peak_kb; /* the container's peak, 0 when the backend keeps none */
    /* remote tasks (shepherd_task.h); a sister runs no script, only them */
    struct task_server *tasks;
    bool sister;
    /* an interactive job's first node: the job process is qsub -I's
     * session, started when qsub attaches (session_spawn) */
    bool interactive;
};

static long long mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Append to shepherd.log; when for_comment, also to the result's comment. */
static void note (struct run *r, bool for_comment, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static void note (struct run *r, bool for_comment, const char *fmt, ...)
{
    char text[512], line[600];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (text, sizeof (text), fmt, ap);
    va_end (ap);
    if (r->log_fd >= 0) {
        time_t now = time (NULL);
        struct tm tm;
        char ts[32];
        strftime (ts, sizeof (ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r (&now, &tm));
        (void)bufprintf (line, sizeof (line), "%s shepherd[%d]: %s\n", ts, (int)getpid(), text);
        (void)!write (r->log_fd, line, strlen (line));
    }
    if (for_comment) {
        size_t len = strlen (r->comment);
        bufprintf (r->comment + len, sizeof (r->comment) - len, "%s%s", len ? "; " : "", text);
    }
}

static void fail (struct run *r, int code, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static void fail (struct run *r, int code, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (r->error, sizeof (r->error), fmt, ap);
    va_end (ap);
    r->fail_code = code;
    r->reason = SHEPHERD_END_FAILED;
    note (r, false, "job cannot start: %s", r->error);
}

/* ---- process set-up -------------------------------------------------- */

/* Detach from the agent: own session, own signal handling, no inherited
 * fds (an agent's listening socket held by a shepherd would keep the port
 * busy across an agent restart). */
static int detach (struct run *r)
{
    setsid();
    prctl (PR_SET_CHILD_SUBREAPER, 1);
    char name[16];
    bufprintf (name, sizeof (name), "shep.%lu", r->jd->seq);
    prctl (PR_SET_NAME, name);
    struct sigaction sa = {.sa_handler = SIG_DFL};
    for (int sig = 1; sig < NSIG; sig++)
        (void)sigaction (sig, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);
    signal (SIGHUP, SIG_IGN);
    sigset_t set;
    sigemptyset (&set);
    sigaddset (&set, SIGCHLD);
    sigaddset (&set, SIGTERM);
    sigaddset (&set, SIGINT);
    sigaddset (&set, SIGUSR1);
    sigaddset (&set, SIGUSR2);
    sigprocmask (SIG_SETMASK, &set, NULL);

    /* The ready pipe may sit on 0-2 when the agent closed its stdio: park
     * it above them first, then give the shepherd /dev/null stdio and fd 3. */
    int ready = fcntl (r->ctx->ready_fd, F_DUPFD_CLOEXEC, 10);
    if (ready < 0)
        return -1;
    close (r->ctx->ready_fd);
    int null = open ("/dev/null", O_RDWR);
    for (int fd = 0; null >= 0 && fd < 3; fd++)
        if (null != fd)
            dup2 (null, fd);
    if (null > 2)
        close (null);
    if (dup2 (ready, 3) < 0)
        return -1;
    close (ready);
    r->ctx->ready_fd = 3;
    fcntl (3, F_SETFD, FD_CLOEXEC);
    close_range (4, ~0U, 0);
    char path[PATH_MAX + 32];
    bufprintf (path, sizeof (path), "%s/shepherd.log", r->ctx->jobdir);
    r->log_fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    r->sig_fd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (r->sig_fd < 0)
        return -1;
    bufprintf (path, sizeof (path), "%s/shepherd.pid", r->ctx->jobdir);
    char text[64];
    bufprintf (text, sizeof (text), "%d %llu\n", (int)getpid(), shepherd_proc_starttime (getpid()));
    if (shepherd_write_atomic (path, text, 0644) < 0)
        return -1;
    /* The task socket before the ready byte: once the agent knows the
     * job, a huddle-rsh for it finds the socket (its request waits in the
     * backlog until the shepherd's loop takes it). */
    struct herror err = {""};
    bufprintf (path, sizeof (path), "%s/%s", r->ctx->jobdir, SHEPHERD_TASK_SOCKET);
    if (!(r->tasks = task_server_open (path, &err)))
        note (r, true, "remote tasks (huddle-rsh) cannot start here: %s", err.text);
    char c = 'R';
    if (write (r->ctx->ready_fd, &c, 1) != 1)
        return -1;
    /* kept open for the job's process to say how it started (ready_close) */
    return 0;
}

/* The ready pipe is closed once nothing more comes on it: by the parent
 * after the job's fork (the child holds its copy until exec), at once on a
 * sister or a failed set-up. */
static void ready_close (struct run *r)
{
    if (r->ctx->ready_fd >= 0)
        close (r->ctx->ready_fd);
    r->ctx->ready_fd = -1;
}

static int resolve_owner (struct run *r)
{
    struct passwd *pw = getpwnam (r->jd->owner);
    if (!pw) {
        fail (r, SHEPHERD_EXIT_FAIL_UID, "owner %s is not a user on this node", r->jd->owner);
        return -1;
    }
    if (pw->pw_uid != r->jd->uid) {
        fail (r, SHEPHERD_EXIT_FAIL_UID, "owner %s has uid %d here, the job says %d", r->jd->owner,
              (int)pw->pw_uid, (int)r->jd->uid);
        return -1;
    }
    if (geteuid() != 0 && r->jd->uid != geteuid()) {
        fail (r, SHEPHERD_EXIT_FAIL_UID, "the agent runs as uid %d and cannot run jobs of %s",
              (int)geteuid(), r->jd->owner);
        return -1;
    }
    bufprintf (r->user, sizeof (r->user), "%s", pw->pw_name);
    bufprintf (r->home, sizeof (r->home), "%s", pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/");
    bufprintf (r->shell, sizeof (r->shell), "%s",
               pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh");
    /* -S: the entry for this host, else the one without a host */
    char shell[PATH_MAX];
    if (r->jd->shell_path &&
        jobspec_list_pick (r->jd->shell_path, r->ctx->opts.node_name, shell, sizeof (shell)) == 0)
        bufprintf (r->shell, sizeof (r->shell), "%s", shell);
    return 0;
}

/* Binding uses the real machine, whatever topology the agent advertises
 * (a test cluster may describe a bigger machine in XML): hwloc's
 * environment overrides are dropped in this process only. */
static void prepare_binding (struct run *r)
{
    const struct jobdesc_alloc *a = &r->jd->alloc[r->jd->here];
    r->pulist = jobdesc_pulist (r->jd);
    if (r->ctx->opts.no_bind || a->npus == 0)
        return;
    unsetenv ("HWLOC_XMLFILE");
    unsetenv ("HWLOC_SYNTHETIC");
    unsetenv ("HWLOC_FSROOT");
    unsetenv ("HWLOC_COMPONENTS");
    if (hwloc_topology_init (&r->topo) < 0 || hwloc_topology_load (r->topo) < 0) {
        note (r, true, "binding skipped: hwloc cannot read this machine's topology");
        return;
    }
    r->cpuset = hwloc_bitmap_alloc();
    for (size_t i = 0; i < a->npus; i++)
        hwloc_bitmap_set (r->cpuset, a->pus[i]);
    hwloc_const_cpuset_t here = hwloc_topology_get_topology_cpuset (r->topo);
    if (!hwloc_bitmap_isincluded (r->cpuset, here)) {
        char *have = NULL;
        hwloc_bitmap_list_asprintf (&have, here);
        note (r, true, "binding skipped: PUs %s are not all on this machine (it has %s)",
              r->pulist ? r->pulist : "?", have ? have : "?");
        free (have);
        return;
    }
    r->bind = true;
}

/* Run fn as the job's owner in a child (so that a path the owner controls
 * is never handled with root's rights).  Returns the child's exit code or
 * -1. */
static int as_owner (struct run *r, int (*fn) (struct run *))
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (geteuid() == 0 &&
            (setgroups (0, NULL) < 0 || setgid (r->jd->gid) < 0 || setuid (r->jd->uid) < 0))
            _exit (125);
        _exit (fn (r));
    }
    int st;
    while (waitpid (pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED (st) ? WEXITSTATUS (st) : -1;
}

static int append_line_cb (struct run *r)
{
    int fd = open (r->err_file, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return 1;
    size_t n = strlen (r->pbs_line);
    int rc = write (fd, r->pbs_line, n) == (ssize_t)n ? 0 : 1;
    close (fd);
    return rc;
}

/* A line for the job's user, in its error file, as PBS's mom writes "=>>
 * PBS:" lines: appended as the owner (never with root's rights to a path
 * the owner controls), only to the file the job opened. */
static void pbs_line (struct run *r, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void pbs_line (struct run *r, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (r->pbs_line, sizeof (r->pbs_line) - 1, fmt, ap);
    va_end (ap);
    strcat (r->pbs_line, "\n");
    if (!r->err_file[0])
        return; /* an interactive job has none: the caller tells qsub */
    if (as_owner (r, append_line_cb) != 0)
        note (r, false, "cannot write to %s as %s", r->err_file, r->user);
}

static int rm_chmod_cb (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    if (type == FTW_D)
        (void)chmod (path, 0700);
    return 0;
}

static int rm_cb (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)remove (path);
    return 0;
}

static int rm_tmpdir (struct run *r)
{
    nftw (r->tmpdir, rm_chmod_cb, 32, FTW_PHYS);
    nftw (r->tmpdir, rm_cb, 32, FTW_PHYS | FTW_DEPTH);
    return access (r->tmpdir, F_OK) == 0 ? 1 : 0;
}

/* Job ids are predictable and the TMPDIR base (/tmp by default) is
 * writable by everyone, so a fixed name such as BASE/huddle.JOBID can be
 * taken by another user before the job starts: a directory or symlink
 * planted there made the job fail.  TMPDIR is therefore
 * BASE/huddle.JOBID.XXXXXX from mkdtemp: a random suffix, made with
 * mkdir's exclusive create (which never follows a symlink) and retried
 * with another suffix on a collision, so nobody can take the name in
 * advance.  A root-owned parent (BASE/huddle) would keep the names
 * predictable, but it is itself a fixed name in a world-writable
 * directory: planted entries would have to be moved aside, and the owner
 * could not remove its TMPDIR from it.  The directory is made by the
 * shepherd (root), checked through an O_NOFOLLOW descriptor and handed
 * over with fchown.  BASE must keep others from renaming a TMPDIR away
 * afterwards: writable by others only with the sticky bit (as /tmp is).
 * Every failure here is transient or an admin's to fix, so the job is
 * requeued (RETRY) rather than failed. */
static const char *tmpdir_base (struct run *r)
{
    return r->ctx->opts.tmpdir_base ? r->ctx->opts.tmpdir_base : "/tmp";
}

static int check_tmpdir_base (struct run *r)
{
    const char *base = tmpdir_base (r);
    struct stat st;
    if (stat (base, &st) < 0) {
        fail (r, SHEPHERD_EXIT_RETRY, "cannot create TMPDIR: base %s: %s", base, strerror (errno));
        return -1;
    }
    if (!S_ISDIR (st.st_mode)) {
        fail (r, SHEPHERD_EXIT_RETRY, "cannot create TMPDIR: base %s is not a directory", base);
        return -1;
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
        fail (r, SHEPHERD_EXIT_RETRY,
              "cannot create TMPDIR: base %s is writable by other users without the sticky bit "
              "(they could replace a job's TMPDIR): chmod +t it",
              base);
        return -1;
    }
    return 0;
}

/* The contents are removed as the owner, so that nothing in it is handled
 * with root's rights; the emptied directory itself by root when the owner
 * may not write in the base (rmdir neither follows a symlink nor removes
 * what is not empty). */
static void remove_tmpdir (struct run *r)
{
    if (as_owner (r, rm_tmpdir) != 0 && rmdir (r->tmpdir) < 0 && errno != ENOENT)
        note (r, false, "could not remove all of %s", r->tmpdir);
}

/* A leftover of a crashed run of the same job (same owner, same job id) is
 * removed as the owner, so nothing is done with more rights than the
 * owner has; whatever belongs to someone else, or is not a directory, is
 * left alone. */
static void rm_stale_tmpdirs (struct run *r)
{
    const char *base = tmpdir_base (r);
    char prefix[PATH_MAX];
    bufprintf (prefix, sizeof (prefix), "huddle.%s.", r->jd->jobid);
    size_t plen = strlen (prefix);
    DIR *d = opendir (base);
    struct dirent *de;
    while (d && (de = readdir (d))) {
        struct stat st;
        if (strncmp (de->d_name, prefix, plen) != 0 || strlen (de->d_name + plen) != 6 ||
            fstatat (dirfd (d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISDIR (st.st_mode) || st.st_uid != r->jd->uid ||
            bufprintf (r->tmpdir, sizeof (r->tmpdir), "%s/%s", base, de->d_name) < 0)
            continue;
        note (r, false, "removing a stale %s", r->tmpdir);
        remove_tmpdir (r);
    }
    if (d)
        closedir (d);
    r->tmpdir[0] = '\0';
}

static int make_tmpdir (struct run *r)
{
    if (check_tmpdir_base (r) < 0)
        return -1;
    rm_stale_tmpdirs (r);
    if (bufprintf (r->tmpdir, sizeof (r->tmpdir), "%s/huddle.%s.XXXXXX", tmpdir_base (r),
                   r->jd->jobid) < 0 ||
        !mkdtemp (r->tmpdir)) {
        fail (r, SHEPHERD_EXIT_RETRY, "cannot create TMPDIR %s: %s", r->tmpdir, strerror (errno));
        return -1;
    }
    struct stat st;
    int fd = open (r->tmpdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int rc = fd < 0 ? -1 : fstat (fd, &st);
    if (rc == 0 && (!S_ISDIR (st.st_mode) || st.st_uid != geteuid())) {
        rc = -1;
        errno = EEXIST; /* replaced under us: only possible where the base check was wrong */
    }
    if (rc == 0)
        rc = fchown (fd, r->jd->uid, r->jd->gid) < 0 || fchmod (fd, 0700) < 0 ? -1 : 0;
    int saved = errno;
    if (fd >= 0)
        close (fd);
    if (rc < 0) {
        (void)rmdir (r->tmpdir); /* still empty and root's: the owner could not remove it */
        fail (r, SHEPHERD_EXIT_RETRY, "cannot set up TMPDIR %s: %s", r->tmpdir, strerror (saved));
        return -1;
    }
    r->tmpdir_made = true;
    return 0;
}

/* ---- the job process (between fork and exec) ------------------------- */

static void child_send (int fd, char kind, int code, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
/* Set in a session's process, whose stderr is qsub's terminal: a failure
 * goes there too, where the user waits for a prompt. */
static bool child_tells_stderr;

static void child_send (int fd, char kind, int code, const char *fmt, ...)
{
    struct child_msg m;
    memset (&m, 0, sizeof (m));
    m.kind = kind;
    m.code = code;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (m.text, sizeof (m.text), fmt, ap);
    va_end (ap);
    if (kind == 'F' && child_tells_stderr && fd >= 0)
        dprintf (2, "huddle: %s\n", m.text);
    if (fd < 0) {
        /* A remote task has no result of its own: its user reads why. */
        if (kind == 'F')
            dprintf (2, "huddle: %s\n", m.text);
        return;
    }
    (void)!write (fd, &m, sizeof (m));
}

#define CHILD_FAIL(code, ...)                                                                      \
    do {                                                                                           \
        child_send (msg, 'F', (code), __VA_ARGS__);                                                \
        _exit (127);                                                                               \
    } while (0)

/* Open an output file as the owner; a directory gets the default name.
 * O_APPEND, as PBS's mom opens them, so that a line qmsg appends while
 * the job runs is not overwritten by the job's next write. */
static int open_output (struct run *r, const char *path, char stream, char *used, size_t size)
{
    const int flags = O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_NOCTTY;
    bufprintf (used, size, "%s", path);
    int fd = open (used, flags, 0666);
    if (fd < 0 && errno == EISDIR) {
        char *name = jobenv_default_name (r->jd, stream);
        bufprintf (used, size, "%s/%s", path, name ? name : "output");
        free (name);
        fd = open (used, flags, 0666);
    }
    return fd;
}

/* Opens the job's stdout and stderr; out_used and err_used (PATH_MAX
 * each) get the files they went to ("" for none). */
static void child_stdio (struct run *r, int msg, bool in_home, char *out_used, char *err_used)
{
    char used[PATH_MAX], dflt[PATH_MAX];
    const char *out = r->out_path, *err = r->err_path;
    int fd1 = -1, fd2 = -1;
    char *name;
    /* PBS: with the workdir gone, default output goes to the home directory. */
    if (in_home && out && !r->jd->output && (name = jobenv_default_name (r->jd, 'o'))) {
        bufprintf (dflt, sizeof (dflt), "%s/%s", r->home, name);
        out = dflt;
        free (name);
    }
    /* -k o / -k e without d: PBS keeps the stream in the owner's home
     * directory on the execution host instead of delivering it. */
    const char *keep = r->jd->keep_files ? r->jd->keep_files : "";
    bool direct = strchr (keep, 'd') != NULL;
    char kept[PATH_MAX], kept_err[PATH_MAX];
    if (out && strchr (keep, 'o') && !direct && (name = jobenv_default_name (r->jd, 'o'))) {
        bufprintf (kept, sizeof (kept), "%s/%s", r->home, name);
        out = kept;
        free (name);
    }
    if (err && strchr (keep, 'e') && !direct && (name = jobenv_default_name (r->jd, 'e'))) {
        bufprintf (kept_err, sizeof (kept_err), "%s/%s", r->home, name);
        err = kept_err;
        free (name);
    }
    int null = open ("/dev/null", O_RDONLY);
    if (null < 0 || dup2 (null, 0) < 0)
        CHILD_FAIL (SHEPHERD_EXIT_FAIL_EXEC, "cannot open /dev/null: %s", strerror (errno));
    out_used[0] = err_used[0] = '\0';
    if (out && (fd1 = open_output (r, out, 'o', used, sizeof (used))) < 0)
        CHILD_FAIL (SHEPHERD_EXIT_FAIL_EXEC, "cannot open output file %s as %s: %s", used, r->user,
                    strerror (errno));
    if (out)
        bufprintf (out_used, PATH_MAX, "%s", used);
    char err_dflt[PATH_MAX];
    if (in_home && err && !r->jd->error && (name = jobenv_default_name (r->jd, 'e'))) {
        bufprintf (err_dflt, sizeof (err_dflt), "%s/%s", r->home, name);
        err = err_dflt;
        free (name);
    }
    if (err && out && !strcmp (err, out))
        fd2 = fd1;
    else if (err && (fd2 = open_output (r, err, 'e', used, sizeof (used))) < 0)
        CHILD_FAIL (SHEPHERD_EXIT_FAIL_EXEC, "cannot open error file %s as %s: %s", used, r->user,
                    strerror (errno));
    if (err)
        bufprintf (err_used, PATH_MAX, "%s", used);
    if (fd1 < 0) {
        fd1 = fd2; /* join eo */
        bufprintf (out_used, PATH_MAX, "%s", err_used);
    }
    if (fd2 < 0) {
        fd2 = fd1; /* join oe */
        bufprintf (err_used, PATH_MAX, "%s", out_used);
    }
    /* Where PBS's "=>> PBS:" lines go: the file opened last is the one
     * stderr goes to (the error file, or the output file it is joined
     * into).  A path too long for the message is not sent: no line then. */
    if (fd2 >= 0)
        child_send (msg, 'E', 0, "%s", strlen (used) < sizeof (r->err_file) ? used : "");
    if (dup2 (fd1, 1) < 0 || dup2 (fd2, 2) < 0)
        CHILD_FAIL (SHEPHERD_EXIT_FAIL_EXEC, "dup2: %s", strerror (errno));
}

/* -l cput, pcput, vmem, pvmem, pmem, file as setrlimit, as PBS's mom sets
 * them for a job on one node: the CPU limit is per process (SIGXCPU,
 * then SIGKILL a second later), the address space the smaller of vmem and
 * pvmem.  Only lowered: a limit above the inherited hard one is left.
 * Then -l nice, as the owner. */
static void set_limits (struct run *r, int msg)
{
    const struct jobspec_limits *l = &r->jd->limits;
    int64_t cpu = l->cput > 0 && (l->pcput == 0 || l->cput < l->pcput) ? l->cput : l->pcput;
    uint64_t as = l->vmem > 0 && (l->pvmem == 0 || l->vmem < l->pvmem) ? l->vmem : l->pvmem;
    struct {
        int res;
        const char *name;
        uint64_t soft, hard;
    } v[] = {
        {RLIMIT_CPU, "cput", (uint64_t)cpu, (uint64_t)cpu + 1},
        {RLIMIT_AS, "vmem", as, as},
        {RLIMIT_RSS, "pmem", l->pmem, l->pmem},
        {RLIMIT_FSIZE, "file", l->file, l->file},
    };
    for (size_t i = 0; i < sizeof (v) / sizeof (v[0]); i++) {
        struct rlimit cur;
        if (v[i].soft == 0 || getrlimit (v[i].res, &cur) < 0)
            continue;
        struct rlimit want = {.rlim_cur = v[i].soft, .rlim_max = v[i].hard};
        if (cur.rlim_max != RLIM_INFINITY && want.rlim_max > cur.rlim_max)
            want.rlim_max = cur.rlim_max;
        if (want.rlim_cur > want.rlim_max)
            want.rlim_cur = want.rlim_max;
        if (setrlimit (v[i].res, &want) < 0)
            child_send (msg, 'N', 0, "-l %s: setrlimit: %s", v[i].name, strerror (errno));
    }
    /* as the owner: a job may lower its priority, only root raise it */
    if (l->nice != 0 && setpriority (PRIO_PROCESS, 0, l->nice) < 0)
        child_send (msg, 'N', 0, "-l nice=%d: %s", l->nice, strerror (errno));
}

/* What the batch script and a remote task have in common between fork
 * and exec: the container, binding, the owner, umask, the working
 * directory (else home).  msg is the notes pipe (-1 for a task: failures
 * go to its stderr).  Returns whether it runs in home instead. */
static bool child_become (struct run *r, int msg)
{
    sigset_t none;
    sigemptyset (&none);
    signal (SIGPIPE, SIG_DFL);
    signal (SIGHUP, SIG_DFL);
    sigprocmask (SIG_SETMASK, &none, NULL);
    setsid();
    if (container_add (r->cont, 0) < 0)
        CHILD_FAIL (SHEPHERD_EXIT_RETRY, "cannot join the job's container: %s", strerror (errno));
    /* After joining: a v1 cpuset attach resets the affinity. */
    if (r->bind && hwloc_set_cpubind (r->topo, r->cpuset, HWLOC_CPUBIND_PROCESS) < 0)
        child_send (msg, 'N', 0, "binding to PUs %s failed: %s", r->pulist, strerror (errno));
    if (geteuid() == 0) {
        if (initgroups (r->user, r->jd->gid) < 0 || setgid (r->jd->gid) < 0 ||
            setuid (r->jd->uid) < 0)
            CHILD_FAIL (SHEPHERD_EXIT_FAIL_UID, "cannot become %s (uid %d gid %d): %s", r->user,
                        (int)r->jd->uid, (int)r->jd->gid, strerror (errno));
        if (r->jd->uid != 0 && setuid (0) == 0)
            CHILD_FAIL (SHEPHERD_EXIT_FAIL_UID, "could regain root after setuid");
    }
    /* PBS: the job and its output files are created under -W umask,
     * 077 by default. */
    umask (r->jd->umask >= 0 ? (mode_t)r->jd->umask : 077);
    bool in_home = false;
    if (chdir (r->jd->workdir) < 0) {
        int e = errno;
        if (chdir (r->home) < 0)
            CHILD_FAIL (SHEPHERD_EXIT_FAIL_EXEC, "workdir %s (%s) and home %s (%s) not accessible",
                        r->jd->workdir, strerror (e), r->home, strerror (errno));
        child_send (msg, 'N', 0, "workdir %s not accessible (%s): ran in %s", r->jd->workdir,
                    strerror (e), r->home);
        in_home = true;
    }
    return in_home;
}

/* A task's or the session's stdio: fds (which may sit on 0..2 in any
 * order) onto 0, 1, 2. */
static void child_take_stdio (const int fds[3])
{
    int keep[3];
    for (int i = 0; i < 3; i++)
        if ((keep[i] = fcntl (fds[i], F_DUPFD_CLOEXEC, 10)) < 0)
            _exit (127);
    for (int i = 0; i < 3; i++)
        if (dup2 (keep[i], i) < 0)
            _exit (127);
}

/* A remote task (shepherd_task.h): `SHELL -c COMMAND` as sshd runs it,
 * its stdio on the pipes the shepherd relays, the job's environment. */
static void task_exec (struct run *r, const char *command, const int fds[3])
    __attribute__ ((noreturn));
static void task_exec (struct run *r, const char *command, const int fds[3])
{
    int msg = -1;
    child_take_stdio (fds);
    child_become (r, msg);
    set_limits (r, msg);
    environ = r->env;
    char *argv[] = {r->shell, "-c", (char *)command, NULL};
    execve (r->shell, argv, r->env);
    CHILD_FAIL (SHEPHERD_EXIT_FAIL_EXEC, "cannot execute shell %s: %s", r->shell, strerror (errno));
}

/* task_spawn_f: fork the task, in the job's container. */
static pid_t task_spawn (void *arg, const char *command, const int fds[3], struct herror *err)
{
    struct run *r = arg;
    if (r->killing) {
        herror_set (err, "the job is ending");
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        herror_set (err, "fork: %s", strerror (errno));
        return -1;
    }
    if (pid == 0)
        task_exec (r, command, fds);
    (void)container_add (r->cont, pid);
    return pid;
}

/* qsub -I's session: the owner's login shell ("-bash", as sshd and PBS's
 * mom start it), with the job's environment and qsub's TERM, its stdio on
 * the terminal (made its controlling terminal, so that ^C and job
 * control reach its foreground processes) or the pipes the shepherd
 * relays. */
static void session_exec (struct run *r, const struct task_session *s, const int fds[3], int msg)
    __attribute__ ((noreturn));
static void session_exec (struct run *r, const struct task_session *s, const int fds[3], int msg)
{
    child_tells_stderr = true;
    child_take_stdio (fds);
    child_become (r, msg); /* setsid: a session without a terminal yet */
    if (s->pty && ioctl (0, TIOCSCTTY, 0) < 0)
        child_send (msg, 'N', 0, "the session's terminal: TIOCSCTTY: %s", strerror (errno));
    set_limits (r, msg);
    environ = r->env;
    if (s->term[0])
        setenv ("TERM", s->term, 1);
    const char *base = strrchr (r->shell, '/');
    char argv0[PATH_MAX];
    bufprintf (argv0, sizeof (argv0), "-%s", base ? base + 1 : r->shell);
    char *argv[] = {argv0, NULL};
    execve (r->shell, argv, environ);
    CHILD_FAIL (SHEPHERD_EXIT_FAIL_EXEC, "cannot execute shell %s: %s", r->shell, strerror (errno));
}

/* task_session_f: the interactive job's shell, once: it is the job's
 * process (its end is the job's end, its status the job's). */
static pid_t session_spawn (void *arg, const struct task_session *s, const int fds[3],
                            struct herror *err)
{
    struct run *r = arg;
    int pfd[2];
    if (!r->interactive) {
        herror_set (err, "job %s is not an interactive job (qsub -I) on this node", r->jd->jobid);
        return -1;
    }
    if (r->job != 0) {
        herror_set (err, "job %s already has its interactive session: qsub -I attaches once",
                    r->jd->jobid);
        return -1;
    }
    if (r->killing || r->reason == SHEPHERD_END_FAILED) {
        herror_set (err, "the job is ending");
        return -1;
    }
    /* The terminal is the owner's, as login(1) and sshd hand it over. */
    if (s->pty && geteuid() == 0 &&
        (fchown (fds[0], r->jd->uid, (gid_t)-1) < 0 || fchmod (fds[0], 0620) < 0)) {
        herror_set (err, "cannot give the terminal to %s: %s", r->user, strerror (errno));
        return -1;
    }
    if (pipe2 (pfd, O_CLOEXEC) < 0) {
        herror_set (err, "pipe: %s", strerror (errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        herror_set (err, "fork: %s", strerror (errno));
        close (pfd[0]);
        close (pfd[1]);
        return -1;
    }
    if (pid == 0) {
        close (pfd[0]);
        session_exec (r, s, fds, pfd[1]);
    }
    close (pfd[1]);
    (void)container_add (r->cont, pid);
    r->job = pid;
    r->msg_fd = pfd[0];
    fcntl (r->msg_fd, F_SETFL, O_NONBLOCK);
    note (r, false, "session %d started for qsub -I (%s)", (int)pid, s->pty ? "terminal" : "pipes");
    return pid;
}

static void child_exec (struct run *r, int msg) __attribute__ ((noreturn));
/* Tell the agent, through the ready pipe (shepherd.c read_started), the
 * job's session and where it runs and writes, just before the exec that
 * closes the pipe. */
static void child_started (struct run *r, const char *out_used, const char *err_used)
{
    char cwd[PATH_MAX], buf[4 * PATH_MAX + 32];
    if (r->ctx->ready_fd < 0 || !getcwd (cwd, sizeof (cwd)))
        return;
    int n = snprintf (buf, sizeof (buf), "%d%c%s%c%s%c%s%c", (int)getsid (0), 0, cwd, 0, out_used,
                      0, err_used, 0);
    /* The agent may have died since it read the ready byte (the job lives
     * on without it): a write to its closed end must not kill the job,
     * whose SIGPIPE is already the default again. */
    signal (SIGPIPE, SIG_IGN);
    if (n > 0 && (size_t)n < sizeof (buf))
        (void)!write (r->ctx->ready_fd, buf, (size_t)n);
    signal (SIGPIPE, SIG_DFL);
}

static void child_exec (struct run *r, int msg)
{
    char out_used[PATH_MAX], err_used[PATH_MAX];
    bool in_home = child_become (r, msg);
    child_stdio (r, msg, in_home, out_used, err_used);
    set_limits (r, msg);
    child_started (r, out_used, err_used);
    environ = r->env;
    if (r->jd->argv) {
        execvp (r->jd->argv[0], r->jd->argv);
        dprintf (2, "huddle: cannot execute %s: %s\n", r->jd->argv[0], strerror (errno));
        CHILD_FAIL (SHEPHERD_EXIT_FAIL_EXEC, "cannot execute %s: %s", r->jd->argv[0],
                    strerror (errno));
    }
    if (r->interp[0]) {
        char *argv[4];
        int n = 0;
        argv[n++] = r->interp;
        if (r->interp_arg)
            argv[n++] = (char *)r->interp_arg;
        argv[n++] = r->ctx->script;
        argv[n] = NULL;
        execve (r->interp, argv, r->env);
        /* "#!/bin/sh\r": the kernel would look for "/bin/sh\r" as well */
        int e = errno;
        size_t len = strlen (r->interp);
        bool cr = r->interp[len - 1] == '\r';
        if (cr)
            r->interp[len - 1] = '\0';
        const char *hint = cr ? " followed by a carriage return (DOS line ends?)" : "";
        dprintf (2, "huddle: cannot run the job script: its #! line names %s%s: %s\n", r->interp,
                 hint, strerror (e));
        CHILD_FAIL (SHEPHERD_EXIT_FAIL_EXEC,
                    "cannot run the job script: its #! line names %s%s: %s", r->interp, hint,
                    strerror (e));
    }
    char *argv[] = {r->shell, r->ctx->script, NULL};
    execve (r->shell, argv, r->env);
    dprintf (2, "huddle: cannot execute shell %s: %s\n", r->shell, strerror (errno));
    CHILD_FAIL (SHEPHERD_EXIT_FAIL_EXEC, "cannot execute shell %s: %s", r->shell, strerror (errno));
}

/* ---- watching -------------------------------------------------------- */

static void reap (struct run *r)
{
    int st;
    pid_t pid;
    while ((pid = waitpid (-1, &st, WNOHANG)) > 0) {
        if (task_server_reaped (r->tasks, pid, st))
            note (r, false, "task %d ended: status %d", (int)pid,
                  WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st));
        if (pid == r->job && !r->exited) {
            r->exited = true;
            r->wstatus = st;
            r->end_time = time (NULL);
        }
    }
}

static void read_child_msgs (struct run *r)
{
    struct child_msg m;
    ssize_t n;
    while ((n = read (r->msg_fd, &m, sizeof (m))) == (ssize_t)sizeof (m)) {
        m.text[sizeof (m.text) - 1] = '\0';
        if (m.kind == 'F' && r->reason != SHEPHERD_END_FAILED)
            fail (r, m.code, "%s", m.text);
        else if (m.kind == 'N')
            note (r, true, "%s", m.text);
        else if (m.kind == 'E')
            bufprintf (r->err_file, sizeof (r->err_file), "%s", m.text);
    }
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        close (r->msg_fd);
        r->msg_fd = -1;
    }
}

static void start_kill (struct run *r, enum shepherd_end why)
{
    if (r->killing)
        return;
    r->killing = true;
    r->reason = why;
    r->kill_at = mono_ms() + r->ctx->opts.kill_grace_ms;
    int n = container_signal (r->cont, SIGTERM);
    container_signal (r->cont, SIGCONT); /* a stopped process must see its TERM */
    note (r, false, "%s: SIGTERM sent to %d process(es), SIGKILL in %d ms",
          why == SHEPHERD_END_WALLTIME ? "walltime exceeded"
          : why == SHEPHERD_END_FENCED ? "lease ran out"
                                       : "kill requested",
          n, r->ctx->opts.kill_grace_ms);
}

/* The agent's lease (lease.h), every LEASE_CHECK_MS: once it has run out,
 * the controller may requeue the job elsewhere soon, so it stops here,
 * with at most the grace period the lease names.  A lease that cannot be
 * read counts as run out: the agent writes it before it takes a launch. */
static void check_lease (struct run *r, long long now, long long *next_check)
{
    struct lease l;
    const char *path = r->ctx->opts.lease_file;
    if (!path || r->killing || now < *next_check)
        return;
    *next_check = now + LEASE_CHECK_MS;
    int rc = lease_read (path, &l);
    if (rc == 0 && !lease_expired (&l, lease_clock_ms()))
        return;
    if (rc < 0)
        note (r, true, "job killed: cannot read the agent's lease %s: %s", path, strerror (errno));
    else
        note (r, true,
              "job killed: the node had not heard from the controller for %lld s "
              "(lease expired)",
              (long long)(l.length_ms / 1000));
    if (rc == 0 && l.grace_ms < r->ctx->opts.kill_grace_ms)
        r->ctx->opts.kill_grace_ms = l.grace_ms > 0 ? l.grace_ms : 1;
    start_kill (r, SHEPHERD_END_FENCED);
}

static void handle_signals (struct run *r)
{
    struct signalfd_siginfo si;
    while (read (r->sig_fd, &si, sizeof (si)) == (ssize_t)sizeof (si)) {
        if (si.ssi_signo == SIGCHLD)
            reap (r);
        else if (si.ssi_signo == SIGUSR1 && si.ssi_code == SI_QUEUE && si.ssi_int > 0 &&
                 si.ssi_int < NSIG) {
            int n = container_signal (r->cont, si.ssi_int);
            note (r, false, "signal %d delivered to %d process(es)", si.ssi_int, n);
        } else if (si.ssi_signo == SIGUSR2) {
            /* shepherd_set_walltime: watch() reads the limit each turn */
            if (si.ssi_code == SI_QUEUE && si.ssi_int > 0) {
                note (r, false, "walltime now %d s (was %ld)", si.ssi_int, r->jd->walltime);
                r->jd->walltime = si.ssi_int;
            }
        } else
            start_kill (r, SHEPHERD_END_KILLED);
    }
}

/* Whether the job is over on this node: the script has ended; on a
 * sister, which runs no script, once a kill (the job's end elsewhere,
 * qdel, walltime, the lease) has emptied its container. */
static bool job_over (struct run *r)
{
    if (r->interactive && r->job == 0)
        return (r->killing || r->reason == SHEPHERD_END_FAILED) &&
               container_is_empty (r->cont) == 1;
    if (!r->sister)
        return r->exited;
    return r->killing && container_is_empty (r->cont) == 1;
}

/* An interactive job whose qsub never attaches, or has gone away, ends:
 * nobody would ever use it. */
static void check_session (struct run *r, long long now, long long attach_end)
{
    if (!r->interactive || r->killing || r->reason == SHEPHERD_END_FAILED)
        return;
    if (r->job == 0 && now >= attach_end) {
        fail (r, SHEPHERD_EXIT_FAIL_EXEC, "qsub -I did not attach within %d s of the start",
              SHEPHERD_SESSION_WAIT);
        r->start_time = 0;
    } else if (r->job > 0 && !r->exited && task_server_session (r->tasks) == TASK_SESSION_GONE) {
        note (r, true, "job killed: qsub -I went away");
        start_kill (r, SHEPHERD_END_KILLED);
    }
}

static void watch (struct run *r)
{
    long long t0 = mono_ms();
    long long lease_check = t0;
    long long attach_end = t0 + SHEPHERD_SESSION_WAIT * 1000LL;
    char tnote[512];
    while (!job_over (r)) {
        long long now = mono_ms();
        /* PBS kills only a job strictly over its limit: a second past it
         * (read each turn: qalter may change it) */
        long long wall_end = r->jd->walltime ? t0 + (r->jd->walltime + 1) * 1000LL : 0;
        check_lease (r, now, &lease_check);
        check_session (r, now, attach_end);
        if (wall_end && !r->killing && now >= wall_end) {
            note (r, true, "job killed: walltime %ld exceeded limit %ld", (long)((now - t0) / 1000),
                  r->jd->walltime);
            pbs_line (r, "=>> PBS: job killed: walltime %ld exceeded limit %ld",
                      (long)((now - t0) / 1000), r->jd->walltime);
            if (r->interactive)
                task_server_session_say (r->tasks, r->pbs_line);
            start_kill (r, SHEPHERD_END_WALLTIME);
        }
        if (r->kill_at && now >= r->kill_at) {
            if (!r->kill_sent)
                note (r, false, "grace period over: SIGKILL");
            r->kill_sent = true;
            if (container_kill (r->cont, 2000) < 0)
                note (r, false, "processes survive SIGKILL: %s", strerror (errno));
            r->kill_at = mono_ms() + 1000;
        }
        long long next = -1;
        if (wall_end && !r->killing)
            next = wall_end;
        if (r->kill_at && (next < 0 || r->kill_at < next))
            next = r->kill_at;
        if (r->ctx->opts.lease_file && !r->killing && (next < 0 || lease_check < next))
            next = lease_check;
        if (r->interactive && r->job == 0 && !r->killing && (next < 0 || attach_end < next))
            next = attach_end;
        /* A killed sister looks at its container often: its processes need
         * not be our children (their exits are not all signalled here). */
        if (r->sister && r->killing && (next < 0 || next > now + 50))
            next = now + 50;
        int timeout = next < 0 ? -1 : (int)(next > now ? next - now : 0);
        struct pollfd p[2 + SHEPHERD_TASK_POLLFDS] = {{.fd = r->sig_fd, .events = POLLIN},
                                                      {.fd = r->msg_fd, .events = POLLIN}};
        int nt = task_server_pollfds (r->tasks, p + 2, SHEPHERD_TASK_POLLFDS);
        if (poll (p, 2 + nt, timeout) > 0) {
            if (p[0].revents)
                handle_signals (r);
            if (r->msg_fd >= 0 && p[1].revents)
                read_child_msgs (r);
            task_server_handle (r->tasks, p + 2, nt, task_spawn, session_spawn, r, tnote,
                                sizeof (tnote));
            if (tnote[0])
                note (r, false, "%s", tnote);
            /* qsub -I gone: say so before the shell's exit is reaped (the
             * hang-up kills it at once, and then the loop ends) */
            check_session (r, mono_ms(), attach_end);
        }
        reap (r); /* SIGCHLDs coalesce; never miss the job's exit */
    }
}

/* The job's top process has ended: nothing of it may stay behind. */
static void finish_job (struct run *r)
{
    if (r->msg_fd >= 0) {
        fcntl (r->msg_fd, F_SETFL, 0);
        read_child_msgs (r);
    }
    /* Killing: what got SIGTERM keeps the rest of its grace period to clean
     * up (MPI ranks, checkpoints) even though the top process is gone. */
    while (r->killing && !r->kill_sent && mono_ms() < r->kill_at &&
           container_is_empty (r->cont) == 0) {
        contain_sleep_ms (20);
        reap (r);
    }
    if (container_is_empty (r->cont) != 1) {
        note (r, false, "job process ended, killing what is left of the job");
        if (container_kill (r->cont, 5000) < 0)
            note (r, true, "processes of the job survive SIGKILL");
    }
    /* Orphans re-parented to us: collect them (and their rusage). */
    for (int i = 0; i < 100; i++) {
        int st;
        pid_t pid = waitpid (-1, &st, WNOHANG);
        if (pid < 0)
            break;
        if (pid == 0)
            contain_sleep_ms (10);
        else
            task_server_reaped (r->tasks, pid, st);
    }
}

/* How the batch script starts.  OpenPBS (resmom start_exec.c finish_exec
 * and set_shell) starts the shell, -S's or else the owner's login shell,
 * and writes the script's path to its stdin: the shell runs that file as a
 * command, so the kernel honours a "#!interpreter [arg]" first line, and
 * only a script without one is read by the shell itself.  huddle does the
 * same without the pipe: a script naming an interpreter is run as
 * `INTERPRETER [ARG] SCRIPT`, which is what the kernel would exec (done
 * here so that a missing interpreter gets a clear message and a noexec
 * state directory does not matter); any other as `SHELL SCRIPT`, r->shell
 * being where -S will go.  The script file is the owner's, mode 0500. */
static int prepare_interpreter (struct run *r)
{
    if (jobenv_script_interpreter (r->jd->script, r->interp, sizeof (r->interp), &r->interp_arg) <
        0) {
        fail (r, SHEPHERD_EXIT_FAIL_EXEC, "the job script's #! line is too long");
        return -1;
    }
    return 0;
}

static void write_result (struct run *r)
{
    struct rusage ru = {0};
    getrusage (RUSAGE_CHILDREN, &ru);
    int status = 0;
    if (r->reason == SHEPHERD_END_FAILED)
        status = r->fail_code;
    else if (WIFEXITED (r->wstatus))
        status = WEXITSTATUS (r->wstatus);
    else if (WIFSIGNALED (r->wstatus)) {
        status = 256 + WTERMSIG (r->wstatus); /* OpenPBS: 256 + the signal */
        if (!r->killing)
            r->reason = SHEPHERD_END_SIGNALED;
    }
    if (r->reason == SHEPHERD_END_WALLTIME)
        status = SHEPHERD_EXIT_KILL_WALLTIME;
    bool ran = r->reason != SHEPHERD_END_FAILED;
    /* resources_used.mem is the whole job's: the container's peak where
     * the backend accounts memory (three 200 MB processes are 600 MB, not
     * the 200 MB of the largest one).  Never less than the largest
     * process, whose RSS also counts shared pages charged elsewhere. */
    long mem_kb = r->mem_peak_kb > ru.ru_maxrss ? r->mem_peak_kb : ru.ru_maxrss;
    struct shepherd_result res = {.seq = r->jd->seq,
                                  .exit_status = status,
                                  .reason = r->reason,
                                  .start_time = ran ? r->start_time : 0,
                                  .end_time = r->end_time ? r->end_time : time (NULL),
                                  .utime = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
                                  .stime = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
                                  .maxrss_kb = mem_kb};
    bufprintf (res.error, sizeof (res.error), "%s", r->error);
    bufprintf (res.comment, sizeof (res.comment), "%s", r->comment);
    json_t *o = shepherd_result_to_json (&res);
    char *text = o ? json_dumps (o, JSON_COMPACT) : NULL;
    char path[PATH_MAX + 16];
    bufprintf (path, sizeof (path), "%s/result", r->ctx->jobdir);
    if (!text || shepherd_write_atomic (path, text, 0644) < 0)
        note (r, false, "cannot write %s: %s", path, strerror (errno));
    else
        note (r, false, "job ended: exit status %d (%s), memory %ld kB (%s)", status,
              shepherd_reason_name (r->reason), mem_kb,
              r->mem_peak_kb ? "the container's peak" : "the largest process");
    free (text);
    json_decref (o);
}

static void start_job (struct run *r)
{
    const struct jobdesc_alloc *a = &r->jd->alloc[r->jd->here];
    struct herror err = {{0}};
    struct container_spec spec = {
        .cpus = r->pulist, .mem = a->mem, .pids = r->ctx->opts.pids_max, .root = getpid()};
    if (!(r->cont = container_create (r->ctx->opts.contain, r->jd->seq, &spec, &err))) {
        fail (r, SHEPHERD_EXIT_RETRY, "cannot create the job's container: %s", err.text);
        return;
    }
    if (container_warning (r->cont))
        note (r, true, "%s", container_warning (r->cont));
    if (make_tmpdir (r) < 0)
        return;
    struct jobenv_ctx ectx = {.nodefile = r->ctx->nodefile,
                              .layout = r->ctx->layout,
                              .rankfile = r->ctx->rankfile,
                              .hostfile = r->ctx->hostfile,
                              .endpoints = r->ctx->endpoints,
                              .mpi = &r->ctx->opts.mpi,
                              .tmpdir = r->tmpdir,
                              .home = r->home,
                              .shell = r->shell,
                              .user = r->user,
                              .this_host = r->ctx->opts.node_name};
    /* Both fail only for want of memory: transient, so requeue. */
    if (!(r->env = jobenv_build (r->jd, &ectx, &err)) ||
        jobenv_output_paths (r->jd, &r->out_path, &r->err_path) < 0) {
        fail (r, SHEPHERD_EXIT_RETRY, "%s", err.text[0] ? err.text : "out of memory");
        return;
    }
    if (r->sister) {
        ready_close (r);
        /* No script here: the container waits for the job's remote tasks
         * until the job ends (job.kill), its walltime or the lease. */
        r->start_time = time (NULL);
        note (r, false, "joined as a sister node (%s)", contain_name (r->ctx->opts.contain));
        watch (r);
        finish_job (r);
        return;
    }
    if (r->interactive) {
        /* The job's process is the session qsub -I attaches to
         * (session_spawn); until then the job waits here, its walltime
         * running, as PBS's does while its qsub connects. */
        r->start_time = time (NULL);
        note (r, false, "waiting for qsub -I to attach (%s)", contain_name (r->ctx->opts.contain));
        watch (r);
        if (r->job == 0 && r->killing)
            r->wstatus = SIGTERM; /* as a shell killed by qdel would end: 271 */
        finish_job (r);
        return;
    }
    if (!r->jd->argv && prepare_interpreter (r) < 0)
        return;
    int pfd[2];
    if (pipe2 (pfd, O_CLOEXEC) < 0) {
        fail (r, SHEPHERD_EXIT_RETRY, "pipe: %s", strerror (errno));
        return;
    }
    r->start_time = time (NULL);
    r->job = fork();
    if (r->job < 0) {
        fail (r, SHEPHERD_EXIT_RETRY, "fork: %s", strerror (errno));
        close (pfd[0]);
        close (pfd[1]);
        return;
    }
    if (r->job == 0) {
        close (pfd[0]);
        child_exec (r, pfd[1]);
    }
    close (pfd[1]);
    ready_close (r);
    (void)container_add (r->cont, r->job);
    r->msg_fd = pfd[0];
    fcntl (r->msg_fd, F_SETFL, O_NONBLOCK);
    note (r, false, "job process %d started (%s)", (int)r->job,
          contain_name (r->ctx->opts.contain));
    watch (r);
    finish_job (r);
}

void shepherd_run (struct shepherd_ctx *ctx)
{
    struct run r = {.ctx = ctx, .jd = ctx->jd, .log_fd = -1, .sig_fd = -1, .msg_fd = -1};
    if (ctx->opts.kill_grace_ms <= 0)
        ctx->opts.kill_grace_ms = 10000;
    r.sister = ctx->jd->here != 0;
    r.interactive = ctx->jd->interactive && !r.sister;
    if (detach (&r) < 0)
        _exit (1); /* the agent sees no ready byte and reports it */
    if (resolve_owner (&r) == 0) {
        prepare_binding (&r);
        start_job (&r);
    }
    ready_close (&r);
    if (r.cont) {
        uint64_t peak;
        if (!r.job)
            ; /* never started: nothing to kill */
        else if (container_is_empty (r.cont) != 1)
            container_kill (r.cont, 5000);
        if (r.job > 0 && container_mem_peak (r.cont, &peak) == 0)
            r.mem_peak_kb = (long)(peak / 1024);
        task_server_close (r.tasks); /* every task was reaped with the container */
        r.tasks = NULL;
        if (container_remove (r.cont) < 0)
            note (&r, false, "cannot remove the job's container: %s", strerror (errno));
    }
    task_server_close (r.tasks); /* a set-up that failed: drop waiting requests */
    write_result (&r);
    if (r.tmpdir_made)
        remove_tmpdir (&r);
    char path[PATH_MAX + 16];
    bufprintf (path, sizeof (path), "%s/shepherd.pid", ctx->jobdir);
    unlink (path);
    _exit (0);
}
