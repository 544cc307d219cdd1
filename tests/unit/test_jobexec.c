/* test_jobexec.c - the agent's job runner with real processes
 *
 * Starts real jobs through shepherd_start in a temporary state directory and
 * checks what a user relies on: output files and their owner, exit status,
 * environment and PBS_NODEFILE, TMPDIR life cycle, running as the owner,
 * cpu binding, kill escalation leaving nothing behind (per containment
 * backend usable here), walltime, the lease fence, surviving the agent, pid
 * reuse.
 *
 * Tests that need root (other users, cgroups) skip when not root.
 * HUDDLE_CONTAIN picks the backend of the generic tests (default: auto).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "agent/contain.h"
#include "agent/jobenv.h"
#include "agent/lease.h"
#include "agent/shepherd.h"
#include "agent/shepherd_task.h"
#include "common/base64.h"
#include "common/jobspec.h"
#include "common/proto.h"

#define TEST_USER   "huddletest"
#define TEST_GROUP2 "huddletest2"

static char base[PATH_MAX], statedir[PATH_MAX], workdir[PATH_MAX], tmpbase[PATH_MAX];
static char cgname[64];
static struct contain *dflt_be;
static unsigned long next_seq = 1;

/* ---- helpers --------------------------------------------------------- */

/* snprintf whose truncation the compiler does not second-guess; the test
 * paths are short. */
static void xsnprintf (char *buf, size_t size, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static void xsnprintf (char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (buf, size, fmt, ap);
    va_end (ap);
}

static char *slurp (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
static char *slurp (const char *fmt, ...)
{
    char path[PATH_MAX * 2];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (path, sizeof (path), fmt, ap);
    va_end (ap);
    FILE *f = fopen (path, "re");
    if (!f)
        return NULL;
    char *buf = calloc (1, 65536);
    size_t n = fread (buf, 1, 65535, f);
    buf[n] = '\0';
    fclose (f);
    return buf;
}

static bool exists (const char *path)
{
    return access (path, F_OK) == 0;
}

/* Entries of dir whose name starts with prefix. */
static int count_entries (const char *dir, const char *prefix)
{
    DIR *d = opendir (dir);
    assert_non_null (d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir (d)))
        n += strncmp (de->d_name, prefix, strlen (prefix)) == 0;
    closedir (d);
    return n;
}

static void run_cmd (const char *cmd)
{
    int rc = system (cmd);
    (void)rc;
}

static struct contain *backend (const char *name)
{
    char dirname[128];
    /* each forced backend gets its own directory: removing it at the end
     * of a test must not pull the default backend's from under it */
    xsnprintf (dirname, sizeof (dirname), "%s%s%s", cgname, name ? "-" : "", name ? name : "");
    struct contain_config cfg = {.backend = name, .name = dirname};
    struct herror err = {{0}};
    return contain_create (&cfg, &err);
}

/* A job object as the controller sends it (jobspec_job_to_json plus
 * queue, walltime, the script and the allocation): one allocation entry
 * on node n0 with PU 0, owned by the caller. */
static json_t *make_job (const char *script)
{
    struct passwd *pw = getpwuid (geteuid());
    assert_non_null (pw);
    unsigned long seq = next_seq++;
    json_t *job = json_pack (
        "{s:I, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:{}, s:s, s:I, s:[{s:s, s:[i], s:[i], "
        "s:I, s:i}]}",
        "seq", (json_int_t)seq, "name", "t", "owner", pw->pw_name, "uid", (json_int_t)pw->pw_uid,
        "gid", (json_int_t)pw->pw_gid, "script", script, "workdir", workdir, "submit_host",
        "submithost", "queue", "batch", "env", "join", "n", "walltime", (json_int_t)0, "allocation",
        "node", "n0", "cores", 0, "pus", 0, "mem", (json_int_t)0, "mpiprocs", 1);
    assert_non_null (job);
    json_t *rest = json_pack ("{s:b, s:[{s:i, s:i, s:i, s:i, s:I}], s:{s:s, s:s}, s:i, s:b, s:b}",
                              "export_all", 0, "chunks", "count", 1, "ncpus", 1, "mpiprocs", 1,
                              "ngpus", 0, "mem", (json_int_t)0, "place", "arrangement", "free",
                              "sharing", "shared", "priority", 0, "hold", 0, "rerunnable", 1);
    assert_non_null (rest);
    assert_int_equal (json_object_update (job, rest), 0);
    json_decref (rest);
    return job;
}

static void set_owner (json_t *job, const char *user)
{
    struct passwd *pw = getpwnam (user);
    assert_non_null (pw);
    json_object_set_new (job, "owner", json_string (user));
    json_object_set_new (job, "uid", json_integer (pw->pw_uid));
    json_object_set_new (job, "gid", json_integer (pw->pw_gid));
}

static unsigned long job_seq (json_t *job)
{
    return (unsigned long)json_integer_value (json_object_get (job, "seq"));
}

static struct shepherd_opts default_opts (struct contain *be)
{
    struct shepherd_opts o = {.node_name = "n0",
                              .server_name = "srv",
                              .tmpdir_base = tmpbase,
                              .kill_grace_ms = 500,
                              .contain = be ? be : dflt_be};
    return o;
}

static struct shepherd *start (json_t *job, const struct shepherd_opts *opts)
{
    struct herror err = {{0}};
    struct shepherd *sh = shepherd_start (statedir, job, opts, &err);
    if (!sh)
        print_error ("shepherd_start: %s\n", err.text);
    assert_non_null (sh);
    return sh;
}

static void wait_result (struct shepherd *sh, struct shepherd_result *res)
{
    int rc = shepherd_wait (sh, 30000, res);
    assert_int_equal (rc, 0);
}

/* Start, wait, return the result; the job object is consumed. */
static struct shepherd_result run_job (json_t *job, struct contain *be)
{
    struct shepherd_opts o = default_opts (be);
    struct shepherd *sh = start (job, &o);
    struct shepherd_result res;
    wait_result (sh, &res);
    shepherd_destroy (sh);
    json_decref (job);
    return res;
}

static bool wait_for_lines (const char *path, int lines, int timeout_ms)
{
    for (int t = 0; t < timeout_ms; t += 20) {
        char *s = slurp ("%s", path);
        int n = 0;
        for (char *p = s; p && *p; p++)
            n += *p == '\n';
        free (s);
        if (n >= lines)
            return true;
        usleep (20000);
    }
    return false;
}

/* A live process: /proc/PID exists and is not a zombie. */
static bool alive (pid_t pid)
{
    char path[64], buf[512];
    xsnprintf (path, sizeof (path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen (path, "re");
    if (!f)
        return false;
    size_t n = fread (buf, 1, sizeof (buf) - 1, f);
    fclose (f);
    buf[n] = '\0';
    char *rp = strrchr (buf, ')');
    return rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
}

/* The user and group this program made, removed again at the end. */
static bool made_user, made_group;

static bool have_test_user (void)
{
    if (geteuid() != 0)
        return false;
    if (!getgrnam (TEST_GROUP2)) {
        run_cmd ("groupadd " TEST_GROUP2 " >/dev/null 2>&1");
        made_group = getgrnam (TEST_GROUP2) != NULL;
    }
    if (!getpwnam (TEST_USER)) {
        run_cmd ("useradd -M -d /tmp -s /bin/sh -U -G " TEST_GROUP2 " " TEST_USER
                 " >/dev/null 2>&1");
        made_user = getpwnam (TEST_USER) != NULL;
    }
    return getpwnam (TEST_USER) && getgrnam (TEST_GROUP2);
}

/* ---- fixtures -------------------------------------------------------- */

static int group_setup (void **state)
{
    xsnprintf (base, sizeof (base), "/tmp/huddle-jobexec.XXXXXX");
    if (!mkdtemp (base))
        return -1;
    chmod (base, 0711);
    xsnprintf (statedir, sizeof (statedir), "%s/state", base);
    xsnprintf (workdir, sizeof (workdir), "%s/work", base);
    xsnprintf (tmpbase, sizeof (tmpbase), "%s/tmp", base);
    if (mkdir (statedir, 0711) < 0 || mkdir (workdir, 0777) < 0 || mkdir (tmpbase, 0711) < 0)
        return -1;
    chmod (workdir, 01777);
    xsnprintf (cgname, sizeof (cgname), "huddle-test-%d", (int)getpid());
    dflt_be = backend (NULL);
    if (!dflt_be)
        dflt_be = backend ("pgrp");
    return dflt_be ? 0 : -1;
}

static int group_teardown (void **state)
{
    contain_remove_dirs (dflt_be);
    contain_destroy (dflt_be);
    if (made_user)
        run_cmd ("userdel " TEST_USER " >/dev/null 2>&1");
    if (made_group)
        run_cmd ("groupdel " TEST_GROUP2 " >/dev/null 2>&1");
    char cmd[PATH_MAX + 32];
    xsnprintf (cmd, sizeof (cmd), "rm -rf '%s'", base);
    if (getenv ("HUDDLE_TEST_KEEP") == NULL)
        run_cmd (cmd);
    return 0;
}

/* ---- tests ----------------------------------------------------------- */

static void test_output_files (void **state)
{
    json_t *job = make_job ("echo out; echo err >&2; echo more\n");
    unsigned long seq = job_seq (job);
    struct shepherd_result res = run_job (job, NULL);
    assert_int_equal (res.exit_status, 0);
    assert_int_equal (res.reason, SHEPHERD_END_EXITED);
    assert_int_equal (res.seq, seq);
    assert_true (res.end_time >= res.start_time && res.start_time > 0);
    char *o = slurp ("%s/t.o%lu", workdir, seq);
    char *e = slurp ("%s/t.e%lu", workdir, seq);
    assert_non_null (o);
    assert_non_null (e);
    assert_string_equal (o, "out\nmore\n");
    assert_string_equal (e, "err\n");
    free (o);
    free (e);
    struct stat st;
    char path[PATH_MAX * 2];
    xsnprintf (path, sizeof (path), "%s/t.o%lu", workdir, seq);
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_uid, geteuid());
    assert_int_equal (st.st_mode & 0777, 0600); /* PBS's default umask 077 */
}

static void test_join_and_paths (void **state)
{
    json_t *job = make_job ("echo out; echo err >&2\n");
    unsigned long seq = job_seq (job);
    json_object_set_new (job, "join", json_string ("oe"));
    struct shepherd_result res = run_job (job, NULL);
    assert_int_equal (res.exit_status, 0);
    char *o = slurp ("%s/t.o%lu", workdir, seq);
    assert_non_null (o);
    assert_string_equal (o, "out\nerr\n");
    free (o);
    char path[PATH_MAX * 2];
    xsnprintf (path, sizeof (path), "%s/t.e%lu", workdir, seq);
    assert_false (exists (path));

    /* -j eo, -e with a host (dropped) */
    job = make_job ("echo out; echo err >&2\n");
    seq = job_seq (job);
    json_object_set_new (job, "join", json_string ("eo"));
    xsnprintf (path, sizeof (path), "host:%s/both.txt", workdir);
    json_object_set_new (job, "error", json_string (path));
    res = run_job (job, NULL);
    assert_int_equal (res.exit_status, 0);
    o = slurp ("%s/both.txt", workdir);
    assert_non_null (o);
    assert_string_equal (o, "out\nerr\n");
    free (o);

    /* -o naming a directory: the default file name goes inside */
    job = make_job ("echo in-dir\n");
    seq = job_seq (job);
    json_object_set_new (job, "output", json_string (base));
    json_object_set_new (job, "array_index", json_integer (7));
    res = run_job (job, NULL);
    assert_int_equal (res.exit_status, 0);
    o = slurp ("%s/t.o%lu.7", base, seq);
    assert_non_null (o);
    assert_string_equal (o, "in-dir\n");
    free (o);
}

static void test_exit_status (void **state)
{
    struct shepherd_result res = run_job (make_job ("exit 3\n"), NULL);
    assert_int_equal (res.exit_status, 3);
    assert_int_equal (res.reason, SHEPHERD_END_EXITED);
    res = run_job (make_job ("kill -9 $$\n"), NULL);
    assert_int_equal (res.exit_status, 256 + SIGKILL); /* OpenPBS: 256 + the signal */
    assert_int_equal (res.reason, SHEPHERD_END_SIGNALED);
    /* argv instead of a script (qsub -- cmd args), searched in PATH */
    json_t *job = make_job ("");
    json_object_set_new (job, "argv", json_pack ("[s,s,s]", "sh", "-c", "exit 4"));
    res = run_job (job, NULL);
    assert_int_equal (res.exit_status, 4);
    /* usage is accounted: a busy loop shows up in utime */
    res = run_job (make_job ("i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done\n"), NULL);
    assert_int_equal (res.exit_status, 0);
    assert_true (res.utime + res.stime > 0.05);
    assert_true (res.maxrss_kb > 0);
}

static void test_environment (void **state)
{
    json_t *job = make_job ("env > env.$PBS_JOBID\n"
                            "test -d \"$TMPDIR\" && touch \"$TMPDIR/x\" && echo tmpok >> "
                            "env.$PBS_JOBID\n"
                            "cat \"$PBS_NODEFILE\" > nodes.$PBS_JOBID\n");
    unsigned long seq = job_seq (job);
    json_object_set_new (job, "allocation",
                         json_pack ("[{s:s, s:[i,i], s:[i,i], s:i}, {s:s, s:[i], s:[i], s:i},"
                                    " {s:s, s:[i], s:[i], s:[i,i]}]",
                                    "node", "n0", "cores", 0, 1, "pus", 0, 1, "mpiprocs", 2, "node",
                                    "n1", "cores", 0, "pus", 0, "mpiprocs", 3, "node", "n2",
                                    "cores", 3, "pus", 3, "gpus", 0, 1));
    json_object_set_new (job, "env",
                         json_pack ("{s:s, s:s, s:s}", "FOO", "bar baz", "PBS_O_PATH",
                                    "/opt/x/bin:/usr/bin:/bin", "PBS_JOBID", "fake"));
    json_object_set_new (job, "array_index", json_integer (2));
    struct shepherd_result res = run_job (job, NULL);
    assert_int_equal (res.exit_status, 0);
    char *env = slurp ("%s/env.%lu.srv", workdir, seq);
    assert_non_null (env);
    char want[256];
    xsnprintf (want, sizeof (want), "PBS_JOBID=%lu.srv\n", seq);
    assert_non_null (strstr (env, want));
    assert_non_null (strstr (env, "PBS_JOBNAME=t\n"));
    assert_non_null (strstr (env, "PBS_QUEUE=batch\n"));
    assert_non_null (strstr (env, "PBS_O_HOST=submithost\n"));
    assert_non_null (strstr (env, "PBS_ENVIRONMENT=PBS_BATCH\n"));
    assert_non_null (strstr (env, "PBS_ARRAY_INDEX=2\n"));
    assert_non_null (strstr (env, "NCPUS=2\n"));
    assert_non_null (strstr (env, "OMP_NUM_THREADS=2\n"));
    assert_non_null (strstr (env, "FOO=bar baz\n"));
    assert_non_null (strstr (env, "PATH=/opt/x/bin:/usr/bin:/bin\n"));
    xsnprintf (want, sizeof (want), "PBS_O_WORKDIR=%s\n", workdir);
    assert_non_null (strstr (env, want));
    xsnprintf (want, sizeof (want), "PBS_NODEFILE=%s/jobs/%lu/nodefile\n", statedir, seq);
    assert_non_null (strstr (env, want));
    /* TMPDIR=BASE/huddle.JOBID.XXXXXX: a name nobody can take in advance */
    xsnprintf (want, sizeof (want), "TMPDIR=%s/huddle.%lu.srv.", tmpbase, seq);
    const char *t = strstr (env, want);
    assert_non_null (t);
    assert_int_equal (strcspn (t + strlen (want), "\n"), 6);
    assert_non_null (strstr (env, "tmpok\n"));
    assert_null (strstr (env, "CUDA_VISIBLE_DEVICES")); /* n2 has the gpus, not n0 */
    xsnprintf (want, sizeof (want), "HUDDLE_LAYOUT=%s/jobs/%lu/layout.json\n", statedir, seq);
    assert_non_null (strstr (env, want));
    xsnprintf (want, sizeof (want), "HUDDLE_RANKFILE=%s/jobs/%lu/rankfile\n", statedir, seq);
    assert_non_null (strstr (env, want));
    free (env);
    /* Without a node model, the ranks share each node's cores in order. */
    char *rankfile = slurp ("%s/jobs/%lu/rankfile", statedir, seq);
    assert_non_null (rankfile);
    assert_string_equal (rankfile, "rank 0=n0 slot=0\nrank 1=n0 slot=1\nrank 2=n1 slot=0\n"
                                   "rank 3=n1 slot=0\nrank 4=n1 slot=0\nrank 5=n2 slot=3\n");
    free (rankfile);
    char *layout = slurp ("%s/jobs/%lu/layout.json", statedir, seq);
    assert_non_null (layout);
    assert_non_null (strstr (layout, "\"gpus\":[0,1]"));
    free (layout);
    char *nodes = slurp ("%s/nodes.%lu.srv", workdir, seq);
    assert_non_null (nodes);
    assert_string_equal (nodes, "n0\nn0\nn1\nn1\nn1\nn2\n"); /* n2: mpiprocs defaults to 1 */
    free (nodes);
    /* TMPDIR is gone once the job has ended */
    xsnprintf (want, sizeof (want), "huddle.%lu.srv.", seq);
    assert_int_equal (count_entries (tmpbase, want), 0);
}

/* Open MPI's environment and files for a job: the rsh agent, the hostfile
 * (slots from mpiprocs, nodes without ranks left out), the transport from
 * the agent's options, where a user's own MCA setting wins; the run's
 * cookie and the nodes' task endpoints for huddle-rsh. */
static void test_mpi_environment (void **state)
{
    json_t *job = make_job ("env > env.$PBS_JOBID\n");
    unsigned long seq = job_seq (job);
    json_object_set_new (job, "allocation",
                         json_pack ("[{s:s, s:[i], s:[i], s:i}, {s:s, s:[i], s:[i], s:i},"
                                    " {s:s, s:[i], s:[i], s:i}]",
                                    "node", "n0", "cores", 0, "pus", 0, "mpiprocs", 2, "node", "n1",
                                    "cores", 0, "pus", 0, "mpiprocs", 3, "node", "n2", "cores", 0,
                                    "pus", 0, "mpiprocs", 0));
    json_object_set_new (job, "env", json_pack ("{s:s}", "OMPI_MCA_pml", "ob1"));
    json_object_set_new (job, "cookie", json_string ("0123456789abcdef0123456789abcdef"));
    json_t *eps = json_pack ("{s:s, s:s, s:s}", "n0", "h0:1", "n1", "h1:2", "n7", "x:3");
    struct shepherd_opts o = default_opts (NULL);
    o.task_endpoints = eps;
    o.mpi = (struct jobenv_mpi){.rsh_agent = "/x/huddle-rsh",
                                .transport = "ofi",
                                .tcp_if = "lo",
                                .ofi_provider = "tcp",
                                .munge_socket = "/m.sock"};
    struct shepherd *sh = start (job, &o);
    struct shepherd_result res;
    wait_result (sh, &res);
    shepherd_destroy (sh);
    json_decref (job);
    json_decref (eps);
    assert_int_equal (res.exit_status, 0);
    char *env = slurp ("%s/env.%lu.srv", workdir, seq);
    assert_non_null (env);
    char want[PATH_MAX + 64];
    const char *lines[] = {"OMPI_MCA_plm_rsh_agent=/x/huddle-rsh\n",
                           "OMPI_MCA_pml=ob1\n",
                           "OMPI_MCA_mtl=ofi\n",
                           "OMPI_MCA_mtl_ofi_provider_include=tcp\n",
                           "OMPI_MCA_oob_tcp_if_include=lo\n",
                           "HUDDLE_JOB_COOKIE=0123456789abcdef0123456789abcdef\n",
                           "HUDDLE_MUNGE_SOCKET=/m.sock\n"};
    for (size_t i = 0; i < sizeof (lines) / sizeof (lines[0]); i++)
        if (!strstr (env, lines[i]))
            fail_msg ("no %s in the job's environment", lines[i]);
    assert_null (strstr (env, "OMPI_MCA_btl=")); /* that is the tcp transport's */
    xsnprintf (want, sizeof (want), "OMPI_MCA_orte_default_hostfile=%s/jobs/%lu/hostfile\n",
               statedir, seq);
    assert_non_null (strstr (env, want));
    xsnprintf (want, sizeof (want), "HUDDLE_TASK_ENDPOINTS=%s/jobs/%lu/endpoints\n", statedir, seq);
    assert_non_null (strstr (env, want));
    free (env);
    char *hostfile = slurp ("%s/jobs/%lu/hostfile", statedir, seq);
    assert_non_null (hostfile);
    assert_string_equal (hostfile, "n0 slots=2\nn1 slots=3\n");
    free (hostfile);
    char *endpoints = slurp ("%s/jobs/%lu/endpoints", statedir, seq);
    assert_non_null (endpoints);
    assert_string_equal (endpoints, "n0 h0:1\nn1 h1:2\n"); /* n7 is not the job's */
    free (endpoints);
}

/* Frames from fd (huddle-rsh's end) until task.exit or the end: the
 * output of each stream and the status; the first error's text. */
struct task_said {
    char out[4096], err[256], error[256];
    int status;
    bool started;
};

static void read_task (int fd, struct task_said *t)
{
    struct proto_decoder *d = proto_decoder_create (0);
    struct herror err;
    char buf[4096];
    memset (t, 0, sizeof (*t));
    t->status = -1;
    for (;;) {
        json_t *m;
        int rc;
        while ((rc = proto_decoder_next (d, &m, &err)) == 1) {
            const char *type = proto_msg_type (m);
            if (!strcmp (type, "task.spawn.ok"))
                t->started = true;
            else if (!strcmp (type, "task.exit"))
                t->status = (int)json_integer_value (json_object_get (m, "status"));
            else if (!strcmp (type, "error") && !t->error[0])
                xsnprintf (t->error, sizeof (t->error), "%s",
                           json_string_value (json_object_get (m, "error")));
            else if (!strcmp (type, "task.output")) {
                const char *data = json_string_value (json_object_get (m, "data"));
                size_t n;
                char *bytes = base64_decode (data, strlen (data), &n);
                assert_non_null (bytes);
                bool is_err = json_integer_value (json_object_get (m, "stream")) == 2;
                char *dst = is_err ? t->err : t->out;
                size_t room = (is_err ? sizeof (t->err) : sizeof (t->out)) - strlen (dst) - 1;
                strncat (dst, bytes, n < room ? n : room);
                free (bytes);
            }
            json_decref (m);
        }
        assert_int_equal (rc, 0);
        if (t->status >= 0)
            break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        assert_int_equal (poll (&p, 1, 20000), 1);
        ssize_t n = read (fd, buf, sizeof (buf));
        if (n <= 0)
            break;
        proto_decoder_feed (d, buf, (size_t)n);
    }
    proto_decoder_destroy (d);
}

static void send_frame (int fd, json_t *m)
{
    size_t len;
    void *f = proto_encode (m, &len);
    assert_non_null (f);
    assert_int_equal (write (fd, f, len), (ssize_t)len);
    free (f);
    json_decref (m);
}

/* A sister node's share of a job: no script runs, the container waits for
 * remote tasks until the job is killed there.  Tasks come through the
 * shepherd (a socketpair stands for huddle-rsh's connection): their
 * stdout, stderr, stdin and status, a bad frame answered, a task whose
 * huddle-rsh goes away killed. */
static void test_sister_and_tasks (void **state)
{
    json_t *job = make_job ("touch ran.$PBS_JOBID\n");
    unsigned long seq = job_seq (job);
    json_object_set_new (job, "allocation",
                         json_pack ("[{s:s, s:[i], s:[i]}, {s:s, s:[i], s:[i]}]", "node", "n0",
                                    "cores", 0, "pus", 0, "node", "n1", "cores", 0, "pus", 0));
    struct shepherd_opts o = default_opts (NULL);
    o.node_name = "n1";
    struct shepherd *sh = start (job, &o);
    struct herror err = {{0}};
    struct task_said t;
    int sv[2];

    /* A task: its output, both streams, and its status. */
    assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    if (shepherd_task_request (statedir, seq, "echo out $HUDDLE_NODE; echo err >&2; exit 3", false,
                               sv[1], &err) < 0)
        fail_msg ("task request: %s", err.text);
    close (sv[1]);
    read_task (sv[0], &t);
    close (sv[0]);
    assert_true (t.started);
    assert_string_equal (t.out, "out n1\n");
    assert_string_equal (t.err, "err\n");
    assert_int_equal (t.status, 3);

    /* stdin relayed; a frame that is not JSON is answered, not fatal. */
    assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal (shepherd_task_request (statedir, seq, "cat", true, sv[1], &err), 0);
    close (sv[1]);
    unsigned char junk[] = {0, 0, 0, 3, 'x', 'y', 'z'};
    assert_int_equal (write (sv[0], junk, sizeof (junk)), (ssize_t)sizeof (junk));
    send_frame (sv[0], json_pack ("{s:s, s:s}", "type", "task.input", "data", "aGkK")); /* hi */
    send_frame (sv[0], json_pack ("{s:s, s:b}", "type", "task.input", "eof", 1));
    read_task (sv[0], &t);
    close (sv[0]);
    assert_non_null (strstr (t.error, "JSON"));
    assert_string_equal (t.out, "hi\n");
    assert_int_equal (t.status, 0);

    /* huddle-rsh goes away: the task is killed, the job goes on. */
    assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal (shepherd_task_request (statedir, seq,
                                             "echo $$ > pid.$PBS_JOBID; exec sleep 60", false,
                                             sv[1], &err),
                      0);
    close (sv[1]);
    char path[PATH_MAX + 64];
    xsnprintf (path, sizeof (path), "%s/pid.%lu.srv", workdir, seq);
    assert_true (wait_for_lines (path, 1, 10000));
    char *pidtext = slurp ("%s", path);
    pid_t pid = (pid_t)atoi (pidtext);
    free (pidtext);
    assert_true (alive (pid));
    close (sv[0]);
    for (int i = 0; i < 250 && alive (pid); i++)
        usleep (20000);
    assert_false (alive (pid));
    assert_false (shepherd_done (sh));

    /* The job's end here: the sister's shepherd ends, no script ran. */
    assert_int_equal (shepherd_signal (sh, 0), 0);
    struct shepherd_result res;
    wait_result (sh, &res);
    shepherd_destroy (sh);
    json_decref (job);
    assert_int_equal (res.exit_status, 0);
    assert_int_equal (res.reason, SHEPHERD_END_KILLED);
    xsnprintf (path, sizeof (path), "%s/ran.%lu.srv", workdir, seq);
    assert_false (exists (path));
    /* Its task socket is gone with it. */
    assert_int_equal (shepherd_task_request (statedir, seq, "true", false, 0, &err), -1);
}

/* An interactive job (qsub -I): no script runs; the shell starts when
 * qsub attaches, on a terminal of qsub's size (task.winch resizes it)
 * that is its controlling terminal, or on pipes; its exit status is the
 * job's; a second attach is refused. */
static void test_interactive_session (void **state)
{
    json_t *job = make_job ("touch ran.$PBS_JOBID\n");
    unsigned long seq = job_seq (job);
    json_object_set_new (job, "interactive", json_true());
    json_object_set_new (job, "shell_path", json_string ("/bin/sh"));
    struct shepherd_opts o = default_opts (NULL);
    struct shepherd *sh = start (job, &o);
    struct herror err = {{0}};
    struct task_said t;
    int sv[2], sv2[2];
    struct task_session ss = {.pty = true, .rows = 30, .cols = 90, .term = "vt100"};

    assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    if (shepherd_session_request (statedir, seq, &ss, sv[1], &err) < 0)
        fail_msg ("session request: %s", err.text);
    close (sv[1]);
    send_frame (sv[0], json_pack ("{s:s, s:i, s:i}", "type", "task.winch", "rows", 31, "cols", 91));
    /* "stty size; tty -s && echo T$TERM$PBS_ENVIRONMENT; exit 7\n" */
    const char *line = "stty size; tty -s && echo T$TERM$PBS_ENVIRONMENT; exit 7\n";
    char *data = base64_encode (line, strlen (line));
    send_frame (sv[0], json_pack ("{s:s, s:s}", "type", "task.input", "data", data));
    free (data);

    /* the owner's second qsub -I is refused while the first is attached */
    assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv2), 0);
    assert_int_equal (shepherd_session_request (statedir, seq, &ss, sv2[1], &err), 0);
    close (sv2[1]);
    struct task_said t2;
    read_task (sv2[0], &t2);
    close (sv2[0]);
    assert_non_null (strstr (t2.error, "already has its interactive session"));

    read_task (sv[0], &t);
    close (sv[0]);
    assert_true (t.started);
    assert_non_null (strstr (t.out, "31 91"));
    assert_non_null (strstr (t.out, "Tvt100PBS_INTERACTIVE"));
    assert_int_equal (t.status, 7);
    struct shepherd_result res;
    wait_result (sh, &res);
    shepherd_destroy (sh);
    assert_int_equal (res.exit_status, 7);
    char path[PATH_MAX + 64];
    xsnprintf (path, sizeof (path), "%s/ran.%lu.srv", workdir, seq);
    assert_false (exists (path));
    json_decref (job);

    /* Without a terminal: pipes, stdout and stderr apart, stdin's end ends it. */
    job = make_job ("true\n");
    seq = job_seq (job);
    json_object_set_new (job, "interactive", json_true());
    json_object_set_new (job, "shell_path", json_string ("/bin/sh"));
    sh = start (job, &o);
    ss.pty = false;
    assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal (shepherd_session_request (statedir, seq, &ss, sv[1], &err), 0);
    close (sv[1]);
    line = "tty -s || echo notty; echo e >&2\n";
    data = base64_encode (line, strlen (line));
    send_frame (sv[0], json_pack ("{s:s, s:s}", "type", "task.input", "data", data));
    free (data);
    send_frame (sv[0], json_pack ("{s:s, s:b}", "type", "task.input", "eof", 1));
    read_task (sv[0], &t);
    close (sv[0]);
    assert_string_equal (t.out, "notty\n");
    assert_string_equal (t.err, "e\n");
    assert_int_equal (t.status, 0);
    wait_result (sh, &res);
    shepherd_destroy (sh);
    assert_int_equal (res.exit_status, 0);
    json_decref (job);

    /* A batch job takes no attach. */
    job = make_job ("sleep 30\n");
    seq = job_seq (job);
    sh = start (job, &o);
    assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal (shepherd_session_request (statedir, seq, &ss, sv[1], &err), 0);
    close (sv[1]);
    read_task (sv[0], &t);
    close (sv[0]);
    assert_non_null (strstr (t.error, "not an interactive job"));
    assert_int_equal (shepherd_signal (sh, 0), 0);
    wait_result (sh, &res);
    shepherd_destroy (sh);
    json_decref (job);
}

static void test_bad_jobs (void **state)
{
    struct shepherd_opts o = default_opts (NULL);
    struct herror err = {{0}};
    json_t *job = make_job ("true\n");
    json_object_del (job, "owner");
    assert_null (shepherd_start (statedir, job, &o, &err));
    assert_int_equal (errno, EINVAL);
    assert_string_equal (err.text, "job: owner: missing");
    json_decref (job);

    job = make_job ("true\n");
    json_object_set_new (job, "allocation",
                         json_pack ("[{s:s, s:[s]}]", "node", "n0", "pus", "zero"));
    assert_null (shepherd_start (statedir, job, &o, &err));
    assert_non_null (strstr (err.text, "pus[0]"));
    json_decref (job);

    /* the controller's codec refuses a node listed twice: so does the agent */
    job = make_job ("true\n");
    json_object_set_new (
        job, "allocation",
        json_pack ("[{s:s, s:[i]}, {s:s, s:[i]}]", "node", "n0", "pus", 0, "node", "n0", "pus", 1));
    assert_null (shepherd_start (statedir, job, &o, &err));
    assert_non_null (strstr (err.text, "node n0 appears twice"));
    json_decref (job);

    job = make_job ("true\n");
    json_object_set_new (job, "join", json_string ("xx"));
    assert_null (shepherd_start (statedir, job, &o, &err));
    assert_non_null (strstr (err.text, "join"));
    json_decref (job);

    job = make_job ("true\n");
    o.node_name = "elsewhere";
    assert_null (shepherd_start (statedir, job, &o, &err));
    assert_non_null (strstr (err.text, "no allocation on node elsewhere"));
    json_decref (job);
    job = json_pack ("[]");
    assert_null (shepherd_start (statedir, job, &o, &err)); /* not an object */
    json_decref (job);
    o.node_name = "n0";

    /* failures after the fork come back as results */
    job = make_job ("true\n");
    json_object_set_new (job, "owner", json_string ("no-such-user-huddle"));
    struct shepherd_result res = run_job (job, NULL);
    assert_int_equal (res.exit_status, SHEPHERD_EXIT_FAIL_UID);
    assert_int_equal (res.reason, SHEPHERD_END_FAILED);
    assert_non_null (strstr (res.error, "no-such-user-huddle"));

    job = make_job ("");
    json_object_set_new (job, "argv", json_pack ("[s]", "/nonexistent/program"));
    res = run_job (job, NULL);
    assert_int_equal (res.exit_status, SHEPHERD_EXIT_FAIL_EXEC);
    assert_non_null (strstr (res.error, "/nonexistent/program"));

    /* An error cut to its buffer inside a UTF-8 character still makes a
     * result: the codec keeps the valid prefix (the result file is JSON). */
    char longout[PATH_MAX];
    size_t at = (size_t)snprintf (longout, sizeof (longout), "/nonexistent/x");
    for (int i = 0; i < 150; i++)
        at += (size_t)snprintf (longout + at, sizeof (longout) - at, "\xc3\xa9");
    snprintf (longout + at, sizeof (longout) - at, "/o");
    job = make_job ("true\n");
    json_object_set_new (job, "output", json_string (longout));
    res = run_job (job, NULL);
    assert_int_equal (res.reason, SHEPHERD_END_FAILED);
    assert_int_equal (res.exit_status, SHEPHERD_EXIT_FAIL_EXEC);
    assert_non_null (strstr (res.error, "cannot open output file /nonexistent/x\xc3\xa9"));

    /* missing workdir: PBS runs the job in the owner's home */
    job = make_job ("pwd\n");
    unsigned long seq = job_seq (job);
    char out[PATH_MAX * 2];
    xsnprintf (out, sizeof (out), "%s/nowork.%lu", workdir, seq);
    json_object_set_new (job, "workdir", json_string ("/nonexistent/dir"));
    json_object_set_new (job, "output", json_string (out));
    json_object_set_new (job, "join", json_string ("oe"));
    res = run_job (job, NULL);
    assert_int_equal (res.exit_status, 0);
    assert_non_null (strstr (res.comment, "/nonexistent/dir"));
    char *pwd = slurp ("%s", out);
    assert_non_null (pwd);
    char home[PATH_MAX + 2];
    xsnprintf (home, sizeof (home), "%s\n", getpwuid (geteuid())->pw_dir);
    assert_string_equal (pwd, home);
    free (pwd);
}

static void test_runs_as_owner (void **state)
{
    if (!have_test_user())
        skip();
    struct passwd *pw = getpwnam (TEST_USER);
    struct group *g2 = getgrnam (TEST_GROUP2);
    json_t *job = make_job ("id -u; id -G; stat -c '%U %a' \"$TMPDIR\"; echo $USER $HOME\n");
    unsigned long seq = job_seq (job);
    set_owner (job, TEST_USER);
    struct shepherd_result res = run_job (job, NULL);
    assert_int_equal (res.exit_status, 0);
    char *o = slurp ("%s/t.o%lu", workdir, seq);
    assert_non_null (o);
    char want[256];
    xsnprintf (want, sizeof (want), "%d\n", (int)pw->pw_uid);
    assert_true (!strncmp (o, want, strlen (want)));
    xsnprintf (want, sizeof (want), " %d", (int)g2->gr_gid);
    char *groups = strchr (o, '\n') + 1;
    assert_non_null (strstr (groups, want)); /* supplementary group via initgroups */
    assert_non_null (strstr (o, TEST_USER " 700\n"));
    assert_non_null (strstr (o, TEST_USER " /tmp\n"));
    free (o);
    struct stat st;
    char path[PATH_MAX * 2];
    xsnprintf (path, sizeof (path), "%s/t.o%lu", workdir, seq);
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_uid, pw->pw_uid);
    /* output opened as the owner: a file only root may write is refused */
    job = make_job ("echo hi\n");
    set_owner (job, TEST_USER);
    json_object_set_new (job, "output", json_string ("/etc/huddle-should-not-exist"));
    res = run_job (job, NULL);
    assert_int_equal (res.exit_status, SHEPHERD_EXIT_FAIL_EXEC);
    assert_false (exists ("/etc/huddle-should-not-exist"));
}

/* TMPDIR cannot be taken in advance: what another user plants at the old
 * predictable names is neither used, followed nor removed; a base that
 * others could rename TMPDIR out of is refused with the retry status; a
 * leftover of a crashed run of the same job is removed. */
static void test_tmpdir_private (void **state)
{
    if (!have_test_user())
        skip();
    struct passwd *pw = getpwnam (TEST_USER);
    char planted[PATH_MAX * 2], link[PATH_MAX * 2], canary[PATH_MAX * 3];
    json_t *job = make_job ("stat -c '%u %a %F' \"$TMPDIR\"; touch \"$TMPDIR/x\"\n");
    unsigned long seq = job_seq (job);
    xsnprintf (planted, sizeof (planted), "%s/huddle.%lu.srv", tmpbase, seq);
    xsnprintf (link, sizeof (link), "%s/huddle", tmpbase);
    xsnprintf (canary, sizeof (canary), "%s/canary", planted);
    assert_int_equal (mkdir (planted, 0777), 0);
    assert_int_equal (symlink (planted, link), 0);
    FILE *f = fopen (canary, "w");
    assert_non_null (f);
    fclose (f);
    /* a leftover of an earlier run of this job, owned by its owner */
    char stale[PATH_MAX * 2];
    xsnprintf (stale, sizeof (stale), "%s/huddle.%lu.srv.abcdef", tmpbase, seq);
    assert_int_equal (mkdir (stale, 0700), 0);
    assert_int_equal (chown (stale, pw->pw_uid, pw->pw_gid), 0);
    set_owner (job, TEST_USER);
    struct shepherd_result res = run_job (job, NULL);
    assert_int_equal (res.exit_status, 0);
    char *o = slurp ("%s/t.o%lu", workdir, seq);
    char want[64];
    xsnprintf (want, sizeof (want), "%d 700 directory\n", (int)pw->pw_uid);
    assert_non_null (o);
    assert_string_equal (o, want);
    free (o);
    xsnprintf (want, sizeof (want), "huddle.%lu.srv.", seq);
    assert_int_equal (count_entries (tmpbase, want), 0); /* removed, the stale one too */
    assert_true (exists (canary));
    struct stat st;
    assert_int_equal (lstat (link, &st), 0);
    assert_true (S_ISLNK (st.st_mode));
    unlink (canary);
    rmdir (planted);
    unlink (link);

    /* a world-writable base without the sticky bit: requeue, not fail */
    assert_int_equal (chmod (tmpbase, 0777), 0);
    job = make_job ("true\n");
    seq = job_seq (job);
    res = run_job (job, NULL);
    assert_int_equal (chmod (tmpbase, 0711), 0);
    assert_int_equal (res.exit_status, SHEPHERD_EXIT_RETRY);
    assert_non_null (strstr (res.error, "sticky"));
    xsnprintf (want, sizeof (want), "huddle.%lu.srv", seq);
    assert_int_equal (count_entries (tmpbase, want), 0);
}

/* A "#!" first line names the interpreter, as under PBS (the kernel's
 * rule); a script without one is run by the shell. */
static void test_interpreter (void **state)
{
    char buf[64];
    const char *arg = "unset";
    assert_int_equal (jobenv_script_interpreter ("echo hi\n", buf, sizeof (buf), &arg), 0);
    assert_int_equal (jobenv_script_interpreter (NULL, buf, sizeof (buf), &arg), 0);
    assert_int_equal (jobenv_script_interpreter ("#!\n", buf, sizeof (buf), &arg), 0);
    assert_int_equal (jobenv_script_interpreter (" #!/bin/sh\n", buf, sizeof (buf), &arg), 0);
    assert_int_equal (jobenv_script_interpreter ("#!/bin/sh\necho\n", buf, sizeof (buf), &arg), 1);
    assert_string_equal (buf, "/bin/sh");
    assert_null (arg);
    assert_int_equal (
        jobenv_script_interpreter ("#! \t/usr/bin/env  python3 -u \t\nx", buf, sizeof (buf), &arg),
        1);
    assert_string_equal (buf, "/usr/bin/env");
    assert_string_equal (arg, "python3 -u");
    assert_int_equal (jobenv_script_interpreter ("#!/bin/sh", buf, 9, &arg), 1);
    assert_int_equal (jobenv_script_interpreter ("#!/bin/sh -e", buf, 10, &arg), -1);
    assert_int_equal (errno, ENAMETOOLONG);

    /* the kernel's argv: INTERPRETER [ARG] SCRIPT */
    json_t *job = make_job ("#!/bin/sh -eu\necho \"$0 $-\"\n");
    unsigned long seq = job_seq (job);
    struct shepherd_result res = run_job (job, NULL);
    assert_int_equal (res.exit_status, 0);
    char *o = slurp ("%s/t.o%lu", workdir, seq);
    char want[PATH_MAX + 64];
    xsnprintf (want, sizeof (want), "%s/jobs/%lu/script ", statedir, seq);
    assert_non_null (o);
    assert_true (!strncmp (o, want, strlen (want)));
    assert_non_null (strchr (o + strlen (want), 'e'));
    assert_non_null (strchr (o + strlen (want), 'u'));
    free (o);

    if (access ("/usr/bin/python3", X_OK) == 0) {
        job = make_job ("#!/usr/bin/python3\nimport sys\nprint('py', sys.version_info[0])\n");
        seq = job_seq (job);
        res = run_job (job, NULL);
        assert_int_equal (res.exit_status, 0);
        o = slurp ("%s/t.o%lu", workdir, seq);
        assert_non_null (o);
        assert_string_equal (o, "py 3\n");
        free (o);
    }

    job = make_job ("#!/nonexistent/interp\r\necho hi\n");
    seq = job_seq (job);
    res = run_job (job, NULL);
    assert_int_equal (res.exit_status, SHEPHERD_EXIT_FAIL_EXEC);
    assert_non_null (
        strstr (res.error, "#! line names /nonexistent/interp followed by a carriage"));
    o = slurp ("%s/t.e%lu", workdir, seq);
    assert_non_null (o);
    assert_non_null (strstr (o, "/nonexistent/interp"));
    free (o);
}

static void test_binding (void **state)
{
    long ncpu = sysconf (_SC_NPROCESSORS_ONLN);
    int pu = ncpu > 1 ? 1 : 0;
    json_t *job = make_job ("grep Cpus_allowed_list /proc/self/status\n");
    unsigned long seq = job_seq (job);
    json_object_set_new (job, "allocation",
                         json_pack ("[{s:s, s:[i], s:[i]}]", "node", "n0", "cores", pu, "pus", pu));
    struct shepherd_result res = run_job (job, NULL);
    assert_int_equal (res.exit_status, 0);
    char *o = slurp ("%s/t.o%lu", workdir, seq);
    char want[64];
    xsnprintf (want, sizeof (want), "Cpus_allowed_list:\t%d\n", pu);
    assert_non_null (o);
    assert_string_equal (o, want);
    free (o);

    /* PUs from a bigger machine's topology: the job runs unbound, and says so */
    job = make_job ("true\n");
    json_object_set_new (
        job, "allocation",
        json_pack ("[{s:s, s:[i], s:[i]}]", "node", "n0", "cores", 999, "pus", 999));
    res = run_job (job, NULL);
    assert_int_equal (res.exit_status, 0);
    assert_non_null (strstr (res.comment, "binding skipped"));
}

/* cgroup limits: the job's memory cgroup carries the requested limit and
 * its cpuset the allocated PU. */
static void test_cgroup_limits (void **state)
{
    if (strcmp (contain_name (dflt_be), "cgv1") != 0 || !contain_can_limit_memory (dflt_be))
        skip();
    json_t *job = make_job ("m=$(grep ':memory:' /proc/self/cgroup | cut -d: -f3)\n"
                            "c=$(grep ':cpuset:' /proc/self/cgroup | cut -d: -f3)\n"
                            "cat /sys/fs/cgroup/memory$m/memory.limit_in_bytes\n"
                            "cat /sys/fs/cgroup/cpuset$c/cpuset.cpus\n"
                            "echo $c\n");
    unsigned long seq = job_seq (job);
    json_object_set_new (json_array_get (json_object_get (job, "allocation"), 0), "mem",
                         json_integer (64 << 20));
    struct shepherd_result res = run_job (job, NULL);
    assert_int_equal (res.exit_status, 0);
    char *o = slurp ("%s/t.o%lu", workdir, seq);
    char want[256];
    xsnprintf (want, sizeof (want), "%d\n0\n/%s/job_%lu\n", 64 << 20, cgname, seq);
    assert_non_null (o);
    assert_string_equal (o, want);
    free (o);
}

/* The memory a job reports is all its processes' at once (the container's
 * peak), not the largest process's: three processes holding 64 MB each at
 * the same time report at least 192 MB.  Only backends that account memory
 * (cgv1 with a memory hierarchy, as on the development VM) can. */
static void test_mem_accounting (void **state)
{
    if (strcmp (contain_name (dflt_be), "cgv1") != 0 || !contain_can_limit_memory (dflt_be) ||
        access ("/usr/bin/python3", X_OK) != 0)
        skip();
    json_t *job = make_job (
        "hold='import os, sys, time\n"
        "b = b\"x\" * (64 << 20)\n"
        "open(\"mem.%s.%s\" % (os.environ[\"PBS_JOBID\"], sys.argv[1]), \"w\").close()\n"
        "for i in range(300):\n"
        "    if sum(os.path.exists(\"mem.%s.%d\" % (os.environ[\"PBS_JOBID\"], k)) for k in "
        "range(3)) == 3: break\n"
        "    time.sleep(0.1)\n'\n"
        "for k in 0 1 2; do python3 -c \"$hold\" $k & done\n"
        "wait\n");
    struct shepherd_result res = run_job (job, NULL);
    assert_int_equal (res.exit_status, 0);
    if (res.maxrss_kb < 3 * 64 * 1024)
        fail_msg ("maxrss_kb %ld: less than three processes of 64 MB", res.maxrss_kb);
}

/* The job from the kill tests: background children, a TERM-ignoring
 * grandchild, one that leaves the session with setsid; all record their
 * pid in pids.SEQ. */
static const char *kill_script = "P=pids.$PBS_JOBID\n"
                                 "sh -c 'trap \"\" TERM; echo $$ >> '$P'; exec sleep 1000' &\n"
                                 "( trap '' TERM; sleep 1000 & echo $! >> $P; wait ) &\n"
                                 "setsid sh -c 'echo $$ >> '$P'; exec sleep 1000' &\n"
                                 "sleep 1000 &\n"
                                 "echo $! >> $P\n"
                                 "echo $$ >> $P\n"
                                 "trap 'echo got WINCH >> winch.$PBS_JOBID' WINCH\n"
                                 "while :; do wait; done\n";

static void check_nothing_left (const char *pidfile)
{
    char *s = slurp ("%s", pidfile);
    assert_non_null (s);
    int count = 0;
    for (char *p = s, *end; *p; p = end) {
        long pid = strtol (p, &end, 10);
        if (end == p)
            break;
        count++;
        if (alive ((pid_t)pid))
            fail_msg ("process %ld of the job is still running", pid);
    }
    assert_int_equal (count, 5);
    free (s);
}

static void kill_test (struct contain *be)
{
    json_t *job = make_job (kill_script);
    unsigned long seq = job_seq (job);
    struct shepherd_opts o = default_opts (be);
    struct shepherd *sh = start (job, &o);
    char pidfile[PATH_MAX * 2], path[PATH_MAX * 2];
    xsnprintf (pidfile, sizeof (pidfile), "%s/pids.%lu.srv", workdir, seq);
    assert_true (wait_for_lines (pidfile, 5, 10000));
    usleep (100000); /* let the traps be installed */

    /* qsig: a signal is delivered, the job keeps running */
    assert_int_equal (shepherd_signal (sh, SIGWINCH), 0);
    xsnprintf (path, sizeof (path), "%s/winch.%lu.srv", workdir, seq);
    assert_true (wait_for_lines (path, 1, 5000));
    assert_false (shepherd_done (sh));

    /* qdel: TERM, then KILL after the grace period (500 ms): the
     * TERM-ignoring processes hold the job until then */
    struct timespec t0, t1;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    assert_int_equal (shepherd_signal (sh, 0), 0);
    struct shepherd_result res;
    wait_result (sh, &res);
    clock_gettime (CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true (took >= 0.45);
    assert_true (took < 5.0);
    assert_int_equal (res.reason, SHEPHERD_END_KILLED);
    assert_true (res.exit_status == 256 + SIGTERM || res.exit_status == 256 + SIGKILL);
    check_nothing_left (pidfile);
    assert_int_equal (shepherd_signal (sh, 0), -1);
    assert_int_equal (errno, ESRCH);
    shepherd_destroy (sh);
    json_decref (job);
    /* the job's cgroup is gone */
    if (strcmp (contain_name (o.contain), "pgrp") != 0) {
        struct herror err;
        struct container *c = container_open (o.contain, seq, &err);
        assert_null (c);
    }
}

static void test_kill_default_backend (void **state)
{
    kill_test (NULL);
}

static void test_kill_each_backend (void **state)
{
    const char *names[] = {"cgv2", "cgv1", "pgrp"};
    int ran = 0;
    for (int i = 0; i < 3; i++) {
        struct contain *be = backend (names[i]);
        if (!be) {
            print_message ("backend %s not usable here, skipped\n", names[i]);
            continue;
        }
        print_message ("backend %s: %s\n", names[i], contain_describe (be));
        kill_test (be);
        assert_int_equal (contain_remove_dirs (be), 0);
        contain_destroy (be);
        ran++;
    }
    assert_true (ran >= 1);
}

static void test_walltime (void **state)
{
    json_t *job = make_job ("sleep 30\n");
    json_object_set_new (job, "walltime", json_integer (1));
    long long seq = json_integer_value (json_object_get (job, "seq"));
    time_t t0 = time (NULL);
    struct shepherd_result res = run_job (job, NULL);
    /* PBS's line for the user, in the job's error file */
    char *err = slurp ("%s/t.e%lld", workdir, seq);
    assert_non_null (err);
    assert_non_null (strstr (err, "=>> PBS: job killed: walltime 2 exceeded limit 1\n"));
    free (err);
    assert_int_equal (res.reason, SHEPHERD_END_WALLTIME);
    assert_int_equal (res.exit_status, SHEPHERD_EXIT_KILL_WALLTIME); /* PBS's -29 */
    assert_non_null (strstr (res.comment, "walltime"));
    assert_true (time (NULL) - t0 >= 2); /* strictly over the limit of 1 s */
    assert_true (time (NULL) - t0 < 10);

    /* a script that ignores TERM gets KILL after the grace period */
    job = make_job ("trap '' TERM; sleep 30; sleep 30\n");
    json_object_set_new (job, "walltime", json_integer (1));
    res = run_job (job, NULL);
    assert_int_equal (res.reason, SHEPHERD_END_WALLTIME);
    assert_int_equal (res.exit_status, SHEPHERD_EXIT_KILL_WALLTIME);
}

/* The lease file: round trip, expiry, a lease of another boot, garbage. */
static void test_lease_file (void **state)
{
    char path[PATH_MAX + 16], tmp[PATH_MAX + 32];
    xsnprintf (path, sizeof (path), "%s/lease", statedir);
    xsnprintf (tmp, sizeof (tmp), "%s.tmp", path);
    struct lease l = {.start_ms = 5000, .length_ms = 6000, .grace_ms = 1000}, got;
    assert_int_equal (lease_write (path, &l), 0);
    assert_int_equal (lease_read (path, &got), 0);
    assert_int_equal (got.start_ms, 5000);
    assert_int_equal (got.length_ms, 6000);
    assert_int_equal (got.grace_ms, 1000);
    assert_true (exists (path));
    assert_false (exists (tmp));
    assert_false (lease_expired (&got, 5000));
    assert_false (lease_expired (&got, 10999));
    assert_true (lease_expired (&got, 11000)); /* start + length: over */
    assert_true (lease_expired (&got, 4999));  /* starts later: another boot */
    int64_t now = lease_clock_ms();
    assert_true (now > 0);
    assert_true (lease_clock_ms() >= now);

    FILE *f = fopen (path, "we");
    assert_non_null (f);
    fputs ("12 abc 3\n", f);
    fclose (f);
    errno = 0;
    assert_int_equal (lease_read (path, &got), -1);
    assert_int_equal (errno, EINVAL);
    unlink (path);
    assert_int_equal (lease_read (path, &got), -1);
    assert_int_equal (errno, ENOENT);
}

/* A job whose lease runs out is killed (reason fenced) with the lease's
 * grace, not its own; renewals keep it alive; a job whose lease file is
 * missing does not run on.  Without a lease file option nothing changes
 * (every other test). */
static void test_lease_fence (void **state)
{
    char path[PATH_MAX + 16];
    xsnprintf (path, sizeof (path), "%s/lease", statedir);
    struct lease l = {.start_ms = lease_clock_ms(), .length_ms = 1500, .grace_ms = 200};
    assert_int_equal (lease_write (path, &l), 0);
    json_t *job = make_job ("trap '' TERM; sleep 30; sleep 30\n");
    struct shepherd_opts o = default_opts (NULL);
    o.lease_file = path;
    o.kill_grace_ms = 20000; /* the lease's 200 ms apply */
    struct shepherd *sh = start (job, &o);
    /* Renewed for 3 s: still running after the first lease would have run out. */
    for (int i = 0; i < 6; i++) {
        usleep (500000);
        l.start_ms = lease_clock_ms();
        assert_int_equal (lease_write (path, &l), 0);
    }
    assert_false (shepherd_done (sh));
    int64_t t0 = lease_clock_ms();
    struct shepherd_result res;
    assert_int_equal (shepherd_wait (sh, 10000, &res), 0);
    int64_t took = lease_clock_ms() - t0;
    assert_int_equal (res.reason, SHEPHERD_END_FENCED);
    assert_int_equal (res.exit_status, 256 + SIGKILL); /* it ignored TERM */
    assert_non_null (strstr (res.comment, "lease"));
    /* lease 1.5 s + one check (1 s) + grace 0.2 s, and some slack */
    assert_true (took < 1500 + LEASE_CHECK_MS + 200 + 1500);
    assert_string_equal (shepherd_reason_name (res.reason), "fenced");
    shepherd_destroy (sh);
    shepherd_forget (statedir, job_seq (job));
    json_decref (job);

    unlink (path);
    job = make_job ("sleep 30\n");
    o = default_opts (NULL);
    o.lease_file = path;
    sh = start (job, &o);
    assert_int_equal (shepherd_wait (sh, 10000, &res), 0);
    assert_int_equal (res.reason, SHEPHERD_END_FENCED);
    assert_non_null (strstr (res.comment, "cannot read"));
    shepherd_destroy (sh);
    shepherd_forget (statedir, job_seq (job));
    json_decref (job);
}

/* The agent dies (kill -9) after starting a job; a new agent adopts the
 * job from the state directory and still gets its result. */
static void test_agent_death (void **state)
{
    json_t *job = make_job ("sleep 1; exit 5\n");
    unsigned long seq = job_seq (job);
    int pfd[2];
    assert_int_equal (pipe (pfd), 0);
    pid_t agent = fork();
    assert_true (agent >= 0);
    if (agent == 0) {
        struct shepherd_opts o = default_opts (NULL);
        struct shepherd *sh = shepherd_start (statedir, job, &o, NULL);
        char c = sh ? 'y' : 'n';
        (void)!write (pfd[1], &c, 1);
        pause();
        _exit (0);
    }
    char c = 0;
    assert_int_equal (read (pfd[0], &c, 1), 1);
    assert_int_equal (c, 'y');
    kill (agent, SIGKILL);
    waitpid (agent, NULL, 0);
    json_decref (job);
    close (pfd[0]);
    close (pfd[1]);

    struct herror err = {{0}};
    struct shepherd *sh = shepherd_adopt (statedir, seq, &err);
    assert_non_null (sh);
    assert_true (shepherd_pidfd (sh) >= 0); /* still running */
    struct shepherd_result res;
    assert_int_equal (shepherd_result (sh, &res), -1);
    assert_int_equal (errno, EAGAIN);
    wait_result (sh, &res);
    assert_int_equal (res.exit_status, 5);
    shepherd_destroy (sh);

    /* adopting a finished job gives its result at once */
    sh = shepherd_adopt (statedir, seq, &err);
    assert_non_null (sh);
    assert_true (shepherd_done (sh));
    assert_int_equal (shepherd_result (sh, &res), 0);
    assert_int_equal (res.exit_status, 5);
    shepherd_destroy (sh);

    /* same process: drop the handle while it runs, adopt it again */
    job = make_job ("sleep 1; exit 6\n");
    seq = job_seq (job);
    struct shepherd_opts o = default_opts (NULL);
    sh = start (job, &o);
    shepherd_destroy (sh);
    sh = shepherd_adopt (statedir, seq, &err);
    assert_non_null (sh);
    assert_false (shepherd_done (sh));
    wait_result (sh, &res);
    assert_int_equal (res.exit_status, 6);
    shepherd_destroy (sh);
    json_decref (job);

    /* list and forget */
    unsigned long *seqs;
    size_t n;
    assert_int_equal (shepherd_list (statedir, &seqs, &n), 0);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        found |= seqs[i] == seq;
    free (seqs);
    assert_true (found);
    assert_int_equal (shepherd_forget (statedir, seq), 0);
    assert_null (shepherd_adopt (statedir, seq, &err));
    assert_int_equal (errno, ENOENT);
}

static unsigned long long starttime_of (pid_t pid)
{
    char *s = slurp ("/proc/%d/stat", (int)pid);
    assert_non_null (s);
    char *p = strrchr (s, ')') + 2;
    for (int i = 0; i < 19; i++)
        p = strchr (p, ' ') + 1;
    unsigned long long v = strtoull (p, NULL, 10);
    free (s);
    return v;
}

/* A pid file naming a live process that is not the shepherd (the pid was
 * reused) must not be adopted as running. */
static void test_pid_reuse_guard (void **state)
{
    unsigned long seq = next_seq++;
    char dir[PATH_MAX * 2], path[PATH_MAX * 3];
    xsnprintf (dir, sizeof (dir), "%s/jobs/%lu", statedir, seq);
    assert_int_equal (mkdir (dir, 0711), 0);
    xsnprintf (path, sizeof (path), "%s/shepherd.pid", dir);
    pid_t other = fork();
    if (other == 0) {
        pause();
        _exit (0);
    }
    unsigned long long real = starttime_of (other);
    FILE *f = fopen (path, "we");
    fprintf (f, "%d %llu\n", (int)other, real + 12345);
    fclose (f);
    struct herror err;
    struct shepherd *sh = shepherd_adopt (statedir, seq, &err);
    assert_non_null (sh);
    assert_true (shepherd_done (sh));
    struct shepherd_result res;
    assert_int_equal (shepherd_result (sh, &res), 0);
    assert_int_equal (res.reason, SHEPHERD_END_LOST);
    assert_int_equal (res.exit_status, SHEPHERD_EXIT_LOST);
    assert_int_equal (shepherd_signal (sh, 0), -1); /* never signals the stranger */
    shepherd_destroy (sh);
    assert_true (alive (other));

    /* the same pid with its true start time is taken for a live shepherd */
    f = fopen (path, "we");
    fprintf (f, "%d %llu\n", (int)other, real);
    fclose (f);
    sh = shepherd_adopt (statedir, seq, &err);
    assert_non_null (sh);
    assert_false (shepherd_done (sh));
    shepherd_destroy (sh);
    kill (other, SIGKILL);
    waitpid (other, NULL, 0);
    assert_int_equal (shepherd_forget (statedir, seq), 0);
}

static void test_busy_job (void **state)
{
    json_t *job = make_job ("sleep 30\n");
    struct shepherd_opts o = default_opts (NULL);
    struct shepherd *sh = start (job, &o);
    struct herror err = {{0}};
    assert_null (shepherd_start (statedir, job, &o, &err)); /* same seq twice */
    assert_int_equal (errno, EBUSY);
    assert_int_equal (shepherd_forget (statedir, job_seq (job)), -1);
    assert_int_equal (errno, EBUSY);
    assert_int_equal (shepherd_signal (sh, 0), 0);
    struct shepherd_result res;
    wait_result (sh, &res);
    assert_int_equal (res.reason, SHEPHERD_END_KILLED);
    shepherd_destroy (sh);
    json_decref (job);
}

/* The result file's codec: encode -> decode -> equal; every bound refused
 * with a message naming the member. */
static void test_result_codec (void **state)
{
    struct shepherd_result res = {.seq = 17,
                                  .exit_status = 143,
                                  .reason = SHEPHERD_END_WALLTIME,
                                  .start_time = 1700000000,
                                  .end_time = 1700000060,
                                  .utime = 1.25,
                                  .stime = 0.5,
                                  .maxrss_kb = 4096,
                                  .error = "",
                                  .comment = "cpu binding skipped"};
    struct shepherd_result back;
    struct herror err = {{0}};

    for (int r = SHEPHERD_END_EXITED; r <= SHEPHERD_END_FENCED; r++) {
        res.reason = (enum shepherd_end)r;
        json_t *o = shepherd_result_to_json (&res);
        assert_non_null (o);
        assert_int_equal (shepherd_result_from_json (o, &back, &err), 0);
        assert_memory_equal (&back, &res, sizeof (res));
        enum shepherd_end parsed;
        assert_int_equal (shepherd_reason_parse (shepherd_reason_name (res.reason), &parsed), 0);
        assert_int_equal (parsed, res.reason);
        json_decref (o);
    }
    /* A subjob's seq goes through. */
    struct shepherd_result sub = res;
    sub.seq = (unsigned long)jobspec_subjob_seq (17, 3);
    json_t *so = shepherd_result_to_json (&sub);
    assert_non_null (so);
    assert_int_equal (shepherd_result_from_json (so, &back, &err), 0);
    assert_int_equal (back.seq, sub.seq);
    json_decref (so);
    /* The bounds themselves go through; full buffers too. */
    struct shepherd_result edge = {.seq = 2147483647,
                                   .exit_status = SHEPHERD_STATUS_MIN,
                                   .reason = SHEPHERD_END_FAILED,
                                   .end_time = SHEPHERD_TIME_MAX,
                                   .utime = SHEPHERD_CPU_MAX,
                                   .maxrss_kb = SHEPHERD_MAXRSS_MAX};
    memset (edge.error, 'e', sizeof (edge.error) - 1);
    memset (edge.comment, 'c', sizeof (edge.comment) - 1);
    json_t *o = shepherd_result_to_json (&edge);
    assert_non_null (o);
    assert_int_equal (shepherd_result_from_json (o, &back, &err), 0);
    assert_memory_equal (&back, &edge, sizeof (edge));
    json_decref (o);

    /* Text cut inside a UTF-8 character keeps its valid prefix. */
    struct shepherd_result cut = res;
    memset (cut.error, 0, sizeof (cut.error));
    strcpy (cut.error, "x\xc3");
    assert_non_null (o = shepherd_result_to_json (&cut));
    assert_int_equal (shepherd_result_from_json (o, &back, &err), 0);
    assert_string_equal (back.error, "x");
    json_decref (o);

    /* The encoder refuses what the decoder would. */
    struct shepherd_result bad = res;
    bad.exit_status = SHEPHERD_STATUS_MAX + 1;
    errno = 0;
    assert_null (shepherd_result_to_json (&bad));
    assert_int_equal (errno, EINVAL);
    bad = res;
    bad.reason = (enum shepherd_end)99;
    assert_null (shepherd_result_to_json (&bad));
    bad = res;
    bad.seq = 0;
    assert_null (shepherd_result_to_json (&bad));
    bad = res;
    bad.seq = (unsigned long)INT64_C (70000000000000000);
    assert_null (shepherd_result_to_json (&bad));
    bad = res;
    bad.utime = -1;
    assert_null (shepherd_result_to_json (&bad));

    char longtext[600];
    memset (longtext, 'a', sizeof (longtext) - 1);
    longtext[sizeof (longtext) - 1] = '\0';
    const struct {
        const char *key;
        json_t *value;
        const char *msg;
    } cases[] = {
        {"seq", NULL, "seq: missing"},
        {"seq", json_integer (0), "seq: must be an integer from 1 to 108086391056891903"},
        {"seq", json_integer (INT64_C (70000000000000000)),
         "seq: 70000000000000000 is neither a job's (1 to 2147483647) nor a subjob's"},
        {"exit_status", NULL, "exit_status: missing"},
        {"exit_status", json_string ("0"), "exit_status: must be an integer from -255 to 320"},
        {"exit_status", json_integer (321), "exit_status: must be an integer from -255 to 320"},
        {"exit_status", json_integer (-256), "exit_status: must be an integer from -255 to 320"},
        {"reason", NULL, "reason: missing"},
        {"reason", json_string ("gone"),
         "reason: must be one of exited, signaled, walltime, killed, failed, lost, fenced"},
        {"reason", json_integer (0),
         "reason: must be one of exited, signaled, walltime, killed, failed, lost, fenced"},
        {"start_time", json_integer (-1), "start_time: must be an integer from 0 to 253402300799"},
        {"end_time", NULL, "end_time: missing"},
        {"end_time", json_integer (INT64_C (253402300800)),
         "end_time: must be an integer from 0 to 253402300799"},
        {"utime", json_real (-0.5), "utime: must be a number from 0 to 1e+12"},
        {"stime", json_real (2e12), "stime: must be a number from 0 to 1e+12"},
        {"stime", json_string ("1"), "stime: must be a number from 0 to 1e+12"},
        {"maxrss_kb", json_integer (-1), "maxrss_kb: must be an integer from 0 to 1099511627776"},
        {"maxrss_kb", json_real (1.5), "maxrss_kb: must be an integer from 0 to 1099511627776"},
        {"error", json_string (longtext), "error: longer than 255 bytes"},
        {"error", json_stringn ("a\0b", 3), "error: must be a string without NUL characters"},
        {"comment", json_string (longtext), "comment: longer than 511 bytes"},
        {"comment", json_integer (1), "comment: must be a string without NUL characters"},
    };
    json_t *good = shepherd_result_to_json (&res);
    assert_non_null (good);
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        o = json_deep_copy (good);
        if (cases[i].value)
            json_object_set_new (o, cases[i].key, cases[i].value);
        else
            json_object_del (o, cases[i].key);
        errno = 0;
        if (shepherd_result_from_json (o, &back, &err) == 0)
            fail_msg ("accepted with %s changed", cases[i].key);
        assert_int_equal (errno, EINVAL);
        assert_string_equal (err.text, cases[i].msg);
        json_decref (o);
    }
    /* error and comment may be absent; unknown members are ignored. */
    o = json_deep_copy (good);
    json_object_del (o, "error");
    json_object_del (o, "comment");
    json_object_set_new (o, "jobid", json_string ("17.srv"));
    assert_int_equal (shepherd_result_from_json (o, &back, &err), 0);
    assert_string_equal (back.comment, "");
    json_decref (o);
    o = json_array();
    assert_int_equal (shepherd_result_from_json (o, &back, &err), -1);
    assert_string_equal (err.text, "result: must be an object");
    json_decref (o);
    json_decref (good);
}

/* A result file the codec refuses is a lost job, not a success. */
static void test_unreadable_result (void **state)
{
    json_t *job = make_job ("exit 0\n");
    unsigned long seq = job_seq (job);
    struct shepherd_result res = run_job (job, NULL);
    assert_int_equal (res.exit_status, 0);
    char path[PATH_MAX * 2], dir[PATH_MAX];
    assert_int_equal (shepherd_jobdir (statedir, seq, dir, sizeof (dir)), 0);
    xsnprintf (path, sizeof (path), "%s/result", dir);
    FILE *f = fopen (path, "we");
    assert_non_null (f);
    fprintf (f, "{\"seq\": %lu, \"reason\": \"exited\"}\n", seq);
    fclose (f);
    struct herror err = {{0}};
    struct shepherd *sh = shepherd_adopt (statedir, seq, &err);
    assert_non_null (sh);
    assert_int_equal (shepherd_result (sh, &res), 0);
    assert_int_equal (res.exit_status, SHEPHERD_EXIT_LOST);
    assert_int_equal (res.reason, SHEPHERD_END_LOST);
    assert_string_equal (res.error, "the shepherd's result cannot be read: exit_status: missing");
    shepherd_destroy (sh);
    assert_int_equal (shepherd_forget (statedir, seq), 0);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_output_files),      cmocka_unit_test (test_join_and_paths),
        cmocka_unit_test (test_exit_status),       cmocka_unit_test (test_environment),
        cmocka_unit_test (test_bad_jobs),          cmocka_unit_test (test_runs_as_owner),
        cmocka_unit_test (test_tmpdir_private),    cmocka_unit_test (test_interpreter),
        cmocka_unit_test (test_binding),           cmocka_unit_test (test_cgroup_limits),
        cmocka_unit_test (test_mem_accounting),    cmocka_unit_test (test_kill_default_backend),
        cmocka_unit_test (test_kill_each_backend), cmocka_unit_test (test_walltime),
        cmocka_unit_test (test_lease_file),        cmocka_unit_test (test_lease_fence),
        cmocka_unit_test (test_agent_death),       cmocka_unit_test (test_pid_reuse_guard),
        cmocka_unit_test (test_busy_job),          cmocka_unit_test (test_result_codec),
        cmocka_unit_test (test_unreadable_result), cmocka_unit_test (test_mpi_environment),
        cmocka_unit_test (test_sister_and_tasks),  cmocka_unit_test (test_interactive_session),
    };
    return cmocka_run_group_tests (tests, group_setup, group_teardown);
}
