/* submit_bench - submission throughput, turnaround, latency and controller
 * memory of a running huddle cluster
 *
 *   submit_bench throughput [--jobs N] [--window W] [--qsub PATH] [--no-hold]
 *                           [--local SOCKET] [--floor SOCKET]
 *                           [--floor-no-sync SOCKET]
 *   submit_bench turnaround [--jobs N] [--window W] [--poll-ms MS]
 *   submit_bench latency    [--jobs N] [--poll-ms MS]
 *   submit_bench memory     [--jobs N] [--window W] [--array]
 *   submit_bench breakdown  [--jobs N] [--qsub PATH]
 *   common options: [--ctld-pid PID] [--agent-pids PID,PID,...]
 *
 * Each prints one JSON object on stdout.  The controller is found as qsub
 * finds it ($HUDDLE_SERVER, or the config file) and MUNGE through
 * $HUDDLE_MUNGE_SOCKET, so `eval "$(huddle-cluster up ...)"` and then any
 * of these runs alone; bench/run does it for all of them.
 *
 *   throughput  N `qsub -h -- /bin/true` in a shell loop (one process and
 *               one connection per job, as users script it), then N of the
 *               same request through one connection: the jobspec -> JSON
 *               -> job.submit path qsub uses, pipelined W requests deep.
 *               Both in jobs/s, and their ratio.  --no-hold submits jobs
 *               that run (they need agents).  Beside the qsub loop, in
 *               alternating slices, the same loop of `qsub --help`: the
 *               process alone; submit_loop_ratio = qsub loop / help loop.
 *               --local SOCKET: a third loop in the same slices, through
 *               the controller's local socket (qsub on its host); then
 *               submit_loop_ratio is that loop's, submit_loop_ratio_tcp
 *               the TCP one's.  breakdown also times one such qsub.
 *               --floor SOCKET: one more loop in the same slices, against
 *               bench/submit_floor there (decode, write, fdatasync,
 *               answer: the least a server keeping qsub's promise does);
 *               submit_loop_ratio_floor is its ratio to the help loop.
 *               --floor-no-sync SOCKET: the same against submit_floor
 *               --no-sync: the difference is the disk's flush.
 *   breakdown   the steps of one qsub submit timed one by one, N times
 *               each (medians): MUNGE encode, MUNGE decode, connect and
 *               hello, job.submit on an open connection (controller work
 *               and commit), job.query (no commit), fdatasync of 32 KiB in
 *               the current directory (the commit's flush; back to back
 *               and 5 ms apart, with the device's writes per call), a
 *               wake-up round trip to a process on the same CPU and on
 *               another, `qsub --help` and `qsub -h -- /bin/true` each run
 *               once by sh, in turn; then the medians put together
 *               (per_submit_us).
 *   turnaround  N `/bin/true` jobs submitted through one connection; time
 *               from the first submit until the controller has recorded
 *               the last one finished (state F, seen by polling job.query
 *               every MS milliseconds for at most 256 unfinished jobs);
 *               CPU used meanwhile by the controller, by the agents (their
 *               own plus that of their reaped children: shepherds and the
 *               jobs themselves), and by the whole machine (/proc/stat).
 *   latency     N times, on an idle cluster: submit one `/bin/true` job and
 *               poll (every MS ms) until it is finished; submit -> finished
 *               in milliseconds (median, min, max).
 *   memory      the controller's VmRSS before and after N held jobs
 *               submitted through one connection, and per job.  With
 *               --array: before and after one job array of N subjobs
 *               (qsub -J 0-N-1, queued, not held: its first subjobs are
 *               in the scheduler's queue), and per subjob.
 *
 * Reference numbers printed as "reference" are from the issue (Slurm 22.05
 * on 2 cores, 8 nodes), not measured by this program.
 */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bench/benchstat.h"
#include "common/auth.h"
#include "common/client.h"
#include "common/jobspec.h"

#define MAX_AGENTS 64

extern char **environ;

struct opts {
    const char *mode;
    long jobs;
    long window;
    long poll_ms;
    bool hold;
    bool array; /* memory: one array of --jobs subjobs */
    const char *qsub;
    const char *local;        /* the controller's local socket, or NULL */
    const char *floor;        /* bench/submit_floor's socket, or NULL */
    const char *floor_nosync; /* the same, run with --no-sync */
    pid_t ctld_pid;
    pid_t agent_pids[MAX_AGENTS];
    int nagents;
};

struct cpu {
    double self_s;     /* utime + stime */
    double children_s; /* cutime + cstime: reaped descendants */
};

static double now_s (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die (const char *fmt, const char *arg)
{
    fprintf (stderr, "submit_bench: ");
    fprintf (stderr, fmt, arg);
    fprintf (stderr, "\n");
    exit (1);
}

/* Fields 14-17 of /proc/PID/stat, in seconds.  The comm field (2) may hold
 * blanks and parentheses, so parse from the last ')'. */
static int read_cpu (pid_t pid, struct cpu *cpu)
{
    char path[64], buf[4096];
    snprintf (path, sizeof (path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen (path, "r");
    if (!f)
        return -1;
    size_t n = fread (buf, 1, sizeof (buf) - 1, f);
    fclose (f);
    buf[n] = '\0';
    char *p = strrchr (buf, ')');
    unsigned long long ut, st, cut, cst;
    /* after ')': state(3) ppid pgrp session tty tpgid flags minflt cminflt
     * majflt cmajflt(13) utime(14) stime cutime cstime */
    if (!p || sscanf (p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
                      &ut, &st, &cut, &cst) != 4)
        return -1;
    double tck = (double)sysconf (_SC_CLK_TCK);
    cpu->self_s = (ut + st) / tck;
    cpu->children_s = (cut + cst) / tck;
    return 0;
}

/* Busy CPU time of the whole machine from /proc/stat's "cpu" line: all but
 * idle and iowait. */
static double machine_busy_s (void)
{
    unsigned long long v[10] = {0};
    FILE *f = fopen ("/proc/stat", "r");
    if (!f)
        return -1;
    int n = fscanf (f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                    &v[4], &v[5], &v[6], &v[7]);
    fclose (f);
    if (n < 4)
        return -1;
    unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    return busy / (double)sysconf (_SC_CLK_TCK);
}

static long vm_rss_kb (pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    snprintf (path, sizeof (path), "/proc/%d/status", (int)pid);
    FILE *f = fopen (path, "r");
    if (!f)
        return -1;
    while (fgets (line, sizeof (line), f))
        if (sscanf (line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose (f);
    return kb;
}

static struct client *connect_server (void)
{
    struct herror err;
    char *addr = client_server_address (&err);
    if (!addr)
        die ("%s", err.text);
    struct client *c = client_connect (addr, "client", &err);
    free (addr);
    if (!c)
        die ("%s", err.text);
    return c;
}

/* The job.submit request qsub builds for "qsub [-h] -- CMD", through the
 * same jobspec calls. */
static json_t *submit_request_args (int argc, char **argv)
{
    char cwd[PATH_MAX], host[256];
    struct herror err;
    struct jobspec *js = jobspec_create();

    if (!js || getcwd (cwd, sizeof (cwd)) == NULL || gethostname (host, sizeof (host)) < 0)
        die ("%s", "cannot build a job request");
    host[sizeof (host) - 1] = '\0';
    if (jobspec_parse_args (js, argc, argv, &err) < 0 ||
        jobspec_finalize (js, cwd, environ, host, &err) < 0)
        die ("%s", err.text);
    json_t *job = jobspec_to_json (js);
    jobspec_destroy (js);
    if (!job)
        die ("%s", "out of memory");
    /* qsub's Submit_arguments: what follows "qsub" */
    char args[256] = "";
    for (int i = 1; i < argc; i++)
        snprintf (args + strlen (args), sizeof (args) - strlen (args), "%s%s", i > 1 ? " " : "",
                  argv[i]);
    json_object_set_new (job, "submit_args", json_string (args));
    return json_pack ("{s:s, s:o}", "type", "job.submit", "job", job);
}

static json_t *submit_request (bool hold, const char *cmd)
{
    char *held[] = {"qsub", "-h", "--", (char *)cmd, NULL};
    char *running[] = {"qsub", "--", (char *)cmd, NULL};
    return hold ? submit_request_args (4, held) : submit_request_args (3, running);
}

/* Receive one reply; it must be job.submit.ok.  Returns its seq. */
static int64_t recv_submit (struct client *c)
{
    struct herror err;
    json_t *reply = client_recv (c, &err);
    if (!reply)
        die ("%s", err.text);
    const char *type = json_string_value (json_object_get (reply, "type"));
    if (!type || strcmp (type, "job.submit.ok") != 0) {
        const char *text = json_string_value (json_object_get (reply, "error"));
        die ("submit refused: %s", text ? text : "unexpected reply");
    }
    int64_t seq = json_integer_value (json_object_get (reply, "seq"));
    json_decref (reply);
    return seq;
}

/* Submit n jobs through c, at most window requests in flight; fills seqs
 * (may be NULL) in submission order. */
static void submit_pipelined (struct client *c, long n, long window, bool hold, int64_t *seqs)
{
    struct herror err;
    long sent = 0, got = 0;
    while (got < n) {
        while (sent < n && sent - got < window) {
            json_t *req = submit_request (hold, "/bin/true");
            if (client_send (c, req, &err) < 0)
                die ("%s", err.text);
            json_decref (req);
            sent++;
        }
        int64_t seq = recv_submit (c);
        if (seqs)
            seqs[got] = seq;
        got++;
    }
}

/* Wait until every job in seqs[0..n) is finished, polling job.query for at
 * most 256 of the unfinished ones every poll_ms.  Returns the number that
 * finished with a nonzero exit status. */
static long wait_finished (struct client *c, int64_t *seqs, long n, long poll_ms)
{
    long failed = 0, first = 0; /* seqs[0..first) are done; the rest is compacted */
    struct herror err;
    while (first < n) {
        json_t *list = json_array();
        for (long i = first; i < n && i < first + 256; i++)
            json_array_append_new (list, json_integer (seqs[i]));
        json_t *req = json_pack ("{s:s, s:o}", "type", "job.query", "seqs", list);
        json_t *reply = client_request (c, req, &err);
        json_decref (req);
        if (!reply)
            die ("%s", err.text);
        json_t *jobs = json_object_get (reply, "jobs"), *j;
        size_t idx;
        long checked = 0, done_now = 0;
        /* Replies come in the order asked; move the finished ones to the
         * front of the window so that first can advance past them. */
        json_array_foreach (jobs, idx, j)
        {
            const char *state = json_string_value (json_object_get (j, "state"));
            int64_t seq = json_integer_value (json_object_get (j, "seq"));
            checked++;
            if (state && !strcmp (state, "F")) {
                if (json_integer_value (json_object_get (j, "exit_status")) != 0)
                    failed++;
                for (long i = first + done_now; i < n && i < first + 256; i++)
                    if (seqs[i] == seq) {
                        seqs[i] = seqs[first + done_now];
                        seqs[first + done_now] = seq;
                        done_now++;
                        break;
                    }
            }
        }
        json_decref (reply);
        if (checked == 0)
            die ("%s", "job.query returned none of the jobs asked for");
        first += done_now;
        if (first < n && done_now < checked)
            usleep ((useconds_t)poll_ms * 1000);
    }
    return failed;
}

static double median (double *v, int n)
{
    for (int i = 1; i < n; i++) /* insertion sort: n is small */
        for (int k = i; k > 0 && v[k - 1] > v[k]; k--) {
            double t = v[k];
            v[k] = v[k - 1];
            v[k - 1] = t;
        }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void print_json (json_t *o)
{
    char *s = json_dumps (o, JSON_INDENT (2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION (6));
    if (!s)
        die ("%s", "out of memory");
    printf ("%s\n", s);
    free (s);
    json_decref (o);
}

/* Where it ran, and how busy the machine was already (the 1-minute load
 * average at the end: other work on the machine skews every number). */
static json_t *machine_info (void)
{
    char host[256] = "";
    double load = -1;
    FILE *f = fopen ("/proc/loadavg", "r");
    if (f) {
        if (fscanf (f, "%lf", &load) != 1)
            load = -1;
        fclose (f);
    }
    gethostname (host, sizeof (host) - 1);
    return json_pack ("{s:i, s:s, s:f}", "cpus_online", (int)sysconf (_SC_NPROCESSORS_ONLN), "host",
                      host, "loadavg_1min", load);
}

/* ------------------------------------------------------------ throughput */

/* Seconds for a sh loop of n runs of qsub with ARGS, addressing the
 * controller at ADDR (NULL: as $HUDDLE_SERVER says).  --help is the same
 * program doing nothing: it must exit 2 (usage) having printed only that. */
static double qsub_loop_at (const struct opts *o, long n, const char *args, bool help,
                            const char *addr)
{
    char script[1024];
    snprintf (
        script, sizeof (script),
        help ? "i=0; while [ $i -lt %ld ]; do \"$0\" %s >/dev/null 2>&1; [ $? = 2 ] || exit 1; "
               "i=$((i+1)); done"
             : "i=0; while [ $i -lt %ld ]; do \"$0\" %s >/dev/null || exit 1; "
               "i=$((i+1)); done",
        n, args);
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        if (addr)
            setenv ("HUDDLE_SERVER", addr, 1);
        execl ("/bin/sh", "sh", "-c", script, o->qsub, (char *)NULL);
        _exit (127);
    }
    int st;
    if (pid < 0 || waitpid (pid, &st, 0) < 0 || !WIFEXITED (st) || WEXITSTATUS (st) != 0)
        die ("the qsub loop failed (%s)", o->qsub);
    return now_s() - t0;
}

static double qsub_loop (const struct opts *o, long n, const char *args, bool help)
{
    return qsub_loop_at (o, n, args, help, NULL);
}

/* The submit loop and the `qsub --help` loop (process start, dynamic
 * linking, option parsing: what no submit can avoid) in LOOP_ROUNDS
 * alternating slices, so that a change in the machine's load (it is
 * shared) weighs on both alike; *help_s gets the help loop's total.  With
 * --local a third loop, the same submits through the controller's local
 * socket, takes its turn in each slice too (*local_s); with --floor and
 * --floor-no-sync those against bench/submit_floor (floor_s[0], [1]). */
#define LOOP_ROUNDS 10
static double qsub_loops (const struct opts *o, double *help_s, double *local_s, double floor_s[2])
{
    double submit_s = 0;
    const char *args = o->hold ? "-h -- /bin/true" : "-- /bin/true";
    *help_s = *local_s = floor_s[0] = floor_s[1] = 0;
    for (int r = 0; r < LOOP_ROUNDS; r++) {
        long n = o->jobs / LOOP_ROUNDS + (r < o->jobs % LOOP_ROUNDS);
        if (n == 0)
            continue;
        *help_s += qsub_loop (o, n, "--help", true);
        submit_s += qsub_loop (o, n, args, false);
        if (o->local)
            *local_s += qsub_loop_at (o, n, args, false, o->local);
        if (o->floor)
            floor_s[0] += qsub_loop_at (o, n, "-h -- /bin/true", false, o->floor);
        if (o->floor_nosync)
            floor_s[1] += qsub_loop_at (o, n, "-h -- /bin/true", false, o->floor_nosync);
    }
    return submit_s;
}

static void run_throughput (const struct opts *o)
{
    double help_s, local_s, floor_s[2];
    double loop_s = qsub_loops (o, &help_s, &local_s, floor_s);
    struct client *c = connect_server();
    double t0 = now_s();
    submit_pipelined (c, o->jobs, o->window, o->hold, NULL);
    double lib_s = now_s() - t0;
    client_destroy (c);

    /* Held jobs compare with Slurm's idle figure; jobs that run meanwhile
     * with its "while jobs run" range (the upper end). */
    double loop_rate = o->jobs / loop_s, lib_rate = o->jobs / lib_s;
    double ref = o->hold ? 70.0 : 43.0, target = 700.0;
    json_t *out = json_pack (
        "{s:s, s:I, s:b, s:{s:s, s:f, s:f}, s:{s:s, s:f, s:f}, s:f, s:f, s:b,"
        " s:{s:s, s:I, s:f, s:f}, s:f,"
        " s:{s:s, s:f, s:f, s:f}, s:f, s:s, s:f, s:b, s:o}",
        "benchmark", o->hold ? "submit_throughput_held" : "submit_throughput_running", "jobs",
        (json_int_t)o->jobs, "held", o->hold, "qsub_loop", "how",
        o->hold ? "sh loop of `qsub -h -- /bin/true`, one process and connection per job"
                : "sh loop of `qsub -- /bin/true` (the jobs run meanwhile), one process and "
                  "connection per job",
        "seconds", loop_s, "jobs_per_s", loop_rate, "help_loop", "how",
        "the same sh loop of `qsub --help` (exit 2, nothing sent), run in 10 slices "
        "alternating with the qsub loop's",
        "seconds", help_s, "runs_per_s", o->jobs / help_s, "submit_loop_ratio", loop_s / help_s,
        "target_submit_loop_ratio", 1.5, "submit_loop_ratio_met", loop_s / help_s <= 1.5,
        "one_connection", "how",
        "the same requests built as qsub does (jobspec -> JSON) and sent as job.submit through "
        "one connection, pipelined",
        "window", (json_int_t)o->window, "seconds", lib_s, "jobs_per_s", lib_rate,
        "one_connection_vs_qsub_loop", lib_rate / loop_rate, "reference", "what",
        "from the issue, not measured here: Slurm 22.05 sbatch shell loop, 2 cores",
        "jobs_per_s_idle", 70.0, "jobs_per_s_jobs_running_low", 30.0,
        "jobs_per_s_jobs_running_high", 43.0, "ratio_vs_reference", loop_rate / ref, "ratio_basis",
        o->hold ? "qsub_loop vs jobs_per_s_idle" : "qsub_loop vs jobs_per_s_jobs_running_high",
        "target_qsub_loop_jobs_per_s", target, "target_met", loop_rate >= target, "machine",
        machine_info());
    if (!out)
        die ("%s", "out of memory");
    /* The loop on the controller's host through its local socket: what a
     * user there gets with "server = PATH".  submit_loop_ratio is then
     * that one's, and the TCP loop's (what a login node gets) stays as
     * submit_loop_ratio_tcp. */
    json_object_set_new (out, "submit_loop_ratio_tcp", json_real (loop_s / help_s));
    json_object_set_new (out, "submit_loop_ratio_basis",
                         json_string (o->local ? "qsub_loop_local / help_loop: qsub on the "
                                                 "controller's host, through its local socket"
                                               : "qsub_loop / help_loop: TCP and MUNGE"));
    if (o->local) {
        json_object_set_new (
            out, "qsub_loop_local",
            json_pack ("{s:s, s:s, s:f, s:f}", "how",
                       "the same sh loop with HUDDLE_SERVER set to the controller's local socket "
                       "(the kernel names both ends, no munged), in the same alternating slices",
                       "socket", o->local, "seconds", local_s, "jobs_per_s", o->jobs / local_s));
        json_object_set_new (out, "submit_loop_ratio_local", json_real (local_s / help_s));
        json_object_set_new (out, "submit_loop_ratio", json_real (local_s / help_s));
        json_object_set_new (out, "submit_loop_ratio_met", json_boolean (local_s / help_s <= 1.5));
    }
    /* The same loop against a server that only commits and answers: the
     * part of the ratio that is the disk's and the kernel's, not huddle's. */
    if (o->floor) {
        json_object_set_new (
            out, "qsub_loop_floor",
            json_pack ("{s:s, s:s, s:f, s:f}", "how",
                       "the same sh loop of `qsub -h -- /bin/true` against bench/submit_floor: "
                       "each submit decoded, written and fdatasync'd on the state directory's "
                       "disk, then answered; no job model, store or scheduler",
                       "socket", o->floor, "seconds", floor_s[0], "jobs_per_s",
                       o->jobs / floor_s[0]));
        json_object_set_new (out, "submit_loop_ratio_floor", json_real (floor_s[0] / help_s));
        if (o->local)
            json_object_set_new (out, "local_vs_floor", json_real (local_s / floor_s[0]));
    }
    if (o->floor_nosync) {
        json_object_set_new (
            out, "qsub_loop_floor_no_sync",
            json_pack ("{s:s, s:s, s:f, s:f}", "how",
                       "the same against bench/submit_floor --no-sync: written, not flushed",
                       "socket", o->floor_nosync, "seconds", floor_s[1], "jobs_per_s",
                       o->jobs / floor_s[1]));
        json_object_set_new (out, "submit_loop_ratio_floor_no_sync",
                             json_real (floor_s[1] / help_s));
    }
    print_json (out);
}

/* ------------------------------------------------------------- breakdown */

/* Median and p99 of t[0..n) in microseconds, as {"median_us", "p99_us"}. */
static json_t *us_stats (double *t, int n, const char *what)
{
    double med, p99;
    bench_stats (t, n, &med, &p99);
    return json_pack ("{s:s, s:f, s:f}", "what", what, "median_us", med, "p99_us", p99);
}

/* Writes the block device holding fd has completed (/proc/diskstats, its
 * 8th column; a flush is one too), or -1 where it is not listed there (a
 * file system in memory, an overlay). */
static long device_writes (int fd)
{
    struct stat st;
    if (fstat (fd, &st) < 0)
        return -1;
    FILE *f = fopen ("/proc/diskstats", "r");
    if (!f)
        return -1;
    long writes = -1;
    unsigned maj, min;
    long w;
    char line[512];
    while (writes < 0 && fgets (line, sizeof (line), f))
        if (sscanf (line, "%u %u %*s %*s %*s %*s %*s %ld", &maj, &min, &w) == 3 &&
            maj == major (st.st_dev) && min == minor (st.st_dev))
            writes = w;
    fclose (f);
    return writes;
}

/* n times: overwrite one of the file's 32 blocks of size bytes (after
 * pause_us), then time its fdatasync into t[i] (microseconds).  The
 * device's writes per fdatasync (the data, the inode where the file system
 * writes it, the flush) in *writes, or -1 where they cannot be read; other
 * writers on the disk meanwhile count too. */
static void time_fdatasync (int fd, const char *block, size_t size, unsigned pause_us, double *t,
                            int n, double *writes)
{
    long w0 = device_writes (fd);
    for (int i = 0; i < n; i++) {
        if (pause_us)
            usleep (pause_us);
        if (pwrite (fd, block, size, (off_t)(i % 32) * (off_t)size) < 0)
            die ("write: %s", strerror (errno));
        double t0 = bench_now_us();
        if (fdatasync (fd) < 0)
            die ("fdatasync: %s", strerror (errno));
        t[i] = bench_now_us() - t0;
    }
    long w1 = device_writes (fd);
    *writes = w0 >= 0 && w1 >= w0 ? (double)(w1 - w0) / n : -1;
}

/* Pin the calling process to cpu: 0, or -1. */
static int pin_cpu (int cpu)
{
    cpu_set_t set;
    CPU_ZERO (&set);
    CPU_SET (cpu, &set);
    return sched_setaffinity (0, sizeof (set), &set);
}

/* The first two CPUs this process may run on, or -1 when it has fewer. */
static int two_cpus (int cpus[2])
{
    cpu_set_t set;
    int found = 0;
    if (sched_getaffinity (0, sizeof (set), &set) < 0)
        return -1;
    for (int c = 0; c < CPU_SETSIZE && found < 2; c++)
        if (CPU_ISSET (c, &set))
            cpus[found++] = c;
    return found == 2 ? 0 : -1;
}

/* n one-byte round trips over a UNIX socket pair, 1 ms apart (as a qsub
 * loop's steps are), with this process on CPU here and a child echoing on
 * CPU there: each round trip is two wake-ups of a process sleeping in
 * read().  On the same CPU the wake-up is a switch on a running CPU; on
 * another the sleeping CPU itself must be woken, which on a virtual
 * machine is the hypervisor's work.  t[i] in microseconds; the affinity
 * is given back. */
static void time_wakeups (int here, int there, double *t, int n)
{
    cpu_set_t saved;
    int sv[2];
    if (sched_getaffinity (0, sizeof (saved), &saved) < 0 ||
        socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        die ("wake-up round trips: %s", strerror (errno));
    pid_t pid = fork();
    if (pid < 0)
        die ("fork: %s", strerror (errno));
    char c = 'w';
    if (pid == 0) {
        close (sv[0]);
        if (pin_cpu (there) == 0)
            while (read (sv[1], &c, 1) == 1 && write (sv[1], &c, 1) == 1)
                ;
        _exit (0);
    }
    close (sv[1]);
    if (pin_cpu (here) < 0)
        die ("sched_setaffinity: %s", strerror (errno));
    for (int i = 0; i < n; i++) {
        usleep (1000);
        double t0 = bench_now_us();
        if (write (sv[0], &c, 1) != 1 || read (sv[0], &c, 1) != 1)
            die ("%s", "wake-up round trips: the echoing child went away");
        t[i] = bench_now_us() - t0;
    }
    close (sv[0]);
    waitpid (pid, NULL, 0);
    if (sched_setaffinity (0, sizeof (saved), &saved) < 0)
        die ("sched_setaffinity: %s", strerror (errno));
}

/* Where a qsub's time goes, one step at a time, each timed --jobs times
 * (medians, so another user's burst on the shared machine does not count):
 * the steps of one `qsub -h -- /bin/true` in the order it does them.
 * The rest of the loop's cost is the process (fork, exec, dynamic
 * linking): the help loop's per-run time. */
static void run_breakdown (const struct opts *o)
{
    int n = (int)o->jobs;
    double *t = calloc ((size_t)n, sizeof (*t));
    char **creds = calloc ((size_t)n, sizeof (*creds));
    struct herror err;
    if (!t || !creds)
        die ("%s", "out of memory");
    json_t *out =
        json_pack ("{s:s, s:I}", "benchmark", "submit_breakdown", "samples", (json_int_t)n);

    for (int i = 0; i < n; i++) {
        double t0 = bench_now_us();
        if (auth_cred_create (AUTH_ROLE_CLIENT, &creds[i], &err) < 0)
            die ("%s", err.text);
        t[i] = bench_now_us() - t0;
    }
    json_object_set_new (out, "munge_encode",
                         us_stats (t, n, "auth_cred_create: one munged round trip"));
    for (int i = 0; i < n; i++) {
        double t0 = bench_now_us();
        if (auth_cred_verify (creds[i], AUTH_ROLE_CLIENT, NULL, NULL, &err) < 0)
            die ("%s", err.text);
        t[i] = bench_now_us() - t0;
        free (creds[i]);
    }
    json_object_set_new (out, "munge_decode",
                         us_stats (t, n, "auth_cred_verify: one munged round trip"));

    char *addr = client_server_address (&err);
    if (!addr)
        die ("%s", err.text);
    for (int i = 0; i < n; i++) {
        double t0 = bench_now_us();
        struct client *c = client_connect (addr, "client", &err);
        if (!c)
            die ("%s", err.text);
        t[i] = bench_now_us() - t0;
        client_destroy (c);
    }
    free (addr);
    json_object_set_new (
        out, "connect_and_hello",
        us_stats (t, n,
                  "client_connect: TCP connect, our credential encoded, hello -> hello.ok "
                  "(the controller decodes ours, gives its own), its credential decoded"));

    struct client *c = connect_server();
    int64_t seq = 0;
    for (int i = 0; i < n; i++) {
        json_t *req = submit_request (true, "/bin/true");
        double t0 = bench_now_us();
        json_t *reply = client_request (c, req, &err);
        t[i] = bench_now_us() - t0;
        json_decref (req);
        if (!reply)
            die ("%s", err.text);
        seq = json_integer_value (json_object_get (reply, "seq"));
        json_decref (reply);
    }
    json_object_set_new (
        out, "submit_request",
        us_stats (t, n,
                  "job.submit -> job.submit.ok on an open connection, one at a time: the "
                  "controller's work, its commit (fsync) and one round trip"));
    for (int i = 0; i < n; i++) {
        json_t *req = json_pack ("{s:s, s:[I]}", "type", "job.query", "seqs", (json_int_t)seq);
        double t0 = bench_now_us();
        json_t *reply = req ? client_request (c, req, &err) : NULL;
        t[i] = bench_now_us() - t0;
        json_decref (req);
        if (!reply)
            die ("%s", err.text);
        json_decref (reply);
    }
    client_destroy (c);
    json_object_set_new (out, "query_request",
                         us_stats (t, n,
                                   "job.query of one job on an open connection: a round trip "
                                   "and the controller's work, no commit"));

    /* What the commit's fsync costs on this disk: the controller's store
     * writes about 8 WAL pages per submit and fdatasyncs them (strace);
     * the same here, in the current directory (bench/run's is on the
     * state directory's disk), overwriting as the WAL does once it wrapped. */
    char path[64];
    snprintf (path, sizeof (path), "submit_bench.fsync.%d", (int)getpid());
    int fd = open (path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    static char page[8 * 4096];
    if (fd < 0 || unlink (path) < 0)
        die ("cannot make a file in the current directory: %s", strerror (errno));
    memset (page, 'x', sizeof (page));
    for (int k = 0; k < 32; k++)
        if (pwrite (fd, page, sizeof (page), (off_t)k * (off_t)sizeof (page)) < 0)
            die ("write: %s", strerror (errno));
    if (fsync (fd) < 0)
        die ("fsync: %s", strerror (errno));
    double writes;
    time_fdatasync (fd, page, sizeof (page), 0, t, n, &writes);
    json_t *fs = us_stats (t, n,
                           "fdatasync of 32 KiB just overwritten in a file here: the commit's "
                           "flush on this disk");
    double fsync_us = json_real_value (json_object_get (fs, "median_us"));
    if (writes >= 0)
        json_object_set_new (fs, "device_writes_per_call", json_real (writes));
    json_object_set_new (out, "fdatasync", fs);
    /* The same 5 ms apart, longer than the kernel's coarse clock tick: each
     * write then moves the file's modification time, and on some file
     * systems (ext4 without a journal) fdatasync writes the inode too.  A
     * qsub loop's commits are about as far apart. */
    time_fdatasync (fd, page, sizeof (page), 5000, t, n, &writes);
    close (fd);
    fs = us_stats (t, n,
                   "the same fdatasync with 5 ms between the writes: the "
                   "file's modification time changed since the last one");
    if (writes >= 0)
        json_object_set_new (fs, "device_writes_per_call", json_real (writes));
    json_object_set_new (out, "fdatasync_5ms_apart", fs);

    /* What a wake-up costs: qsub and the controller wake each other at
     * least twice per submit, the help loop not at all. */
    int cpus[2];
    if (two_cpus (cpus) == 0) {
        time_wakeups (cpus[0], cpus[0], t, n);
        json_object_set_new (out, "wakeup_same_cpu",
                             us_stats (t, n,
                                       "a one-byte round trip to a process on the same CPU over a "
                                       "UNIX socket pair, 1 ms apart: two wake-ups"));
        time_wakeups (cpus[0], cpus[1], t, n);
        json_object_set_new (out, "wakeup_other_cpu",
                             us_stats (t, n,
                                       "the same round trip to a process on another CPU, which "
                                       "sleeps between them and must be woken"));
    }

    /* The two runs alternate, so that the machine's load weighs on both. */
    double *t2 = calloc ((size_t)n, sizeof (*t2));
    if (!t2)
        die ("%s", "out of memory");
    double *t3 = o->local ? calloc ((size_t)n, sizeof (*t3)) : NULL;
    for (int i = 0; i < n; i++) {
        t[i] = qsub_loop (o, 1, "--help", true) * 1e6;
        t2[i] = qsub_loop (o, 1, "-h -- /bin/true", false) * 1e6;
        if (t3)
            t3[i] = qsub_loop_at (o, 1, "-h -- /bin/true", false, o->local) * 1e6;
    }
    if (t3) {
        json_object_set_new (out, "qsub_submit_local",
                             us_stats (t3, n,
                                       "sh -c running `qsub -h -- /bin/true` once through the "
                                       "controller's local socket (no munged, hello and "
                                       "submit sent together)"));
        free (t3);
    }
    json_object_set_new (out, "qsub_help",
                         us_stats (t, n,
                                   "sh -c running `qsub --help` once: fork, exec, dynamic "
                                   "linking, nothing sent"));
    memcpy (t, t2, (size_t)n * sizeof (*t));
    free (t2);
    json_t *qs = us_stats (t, n, "sh -c running `qsub -h -- /bin/true` once");
    json_object_set_new (out, "qsub_submit", qs);
    /* The medians put together: what a submit adds to the process, and
     * the parts of it measured above (the rest: qsub's own work, munged's
     * and the controller's wake-ups between the steps). */
    double med[5];
    const char *keys[5] = {"qsub_help", "connect_and_hello", "submit_request", "query_request",
                           "qsub_submit"};
    for (int k = 0; k < 5; k++)
        med[k] = json_real_value (json_object_get (json_object_get (out, keys[k]), "median_us"));
    double extra = med[4] - med[0];
    json_object_set_new (
        out, "per_submit_us",
        json_pack ("{s:s, s:f, s:f, s:f, s:f, s:f, s:f}", "what",
                   "medians: qsub_submit - qsub_help = what a submit adds to the process; "
                   "hello = connect_and_hello; commit_flush = fdatasync; controller = "
                   "submit_request - fdatasync - query_request (its submit work, the SQLite "
                   "writes); round_trip = query_request; rest = extra - all of those",
                   "extra", extra, "hello", med[1], "commit_flush", fsync_us, "controller",
                   med[2] - fsync_us - med[3], "round_trip", med[3], "rest",
                   extra - med[1] - med[2]));
    json_object_set_new (out, "submit_to_help_ratio_of_medians", json_real (med[4] / med[0]));
    json_object_set_new (out, "machine", machine_info());
    free (t);
    free (creds);
    print_json (out);
}

/* ------------------------------------------------------------ turnaround */

struct cpu_sample {
    struct cpu ctld;
    struct cpu agents[MAX_AGENTS];
    double machine_s;
};

static void sample_cpu (const struct opts *o, struct cpu_sample *s)
{
    memset (s, 0, sizeof (*s));
    if (o->ctld_pid > 0 && read_cpu (o->ctld_pid, &s->ctld) < 0)
        die ("%s", "cannot read /proc/PID/stat of --ctld-pid");
    for (int i = 0; i < o->nagents; i++)
        if (read_cpu (o->agent_pids[i], &s->agents[i]) < 0)
            die ("%s", "cannot read /proc/PID/stat of an --agent-pids entry");
    s->machine_s = machine_busy_s();
}

static void run_turnaround (const struct opts *o)
{
    int64_t *seqs = calloc ((size_t)o->jobs, sizeof (*seqs));
    if (!seqs)
        die ("%s", "out of memory");
    struct client *c = connect_server();
    struct cpu_sample a, b;
    sample_cpu (o, &a);
    double t0 = now_s();
    submit_pipelined (c, o->jobs, o->window, false, seqs);
    double submit_s = now_s() - t0;
    long failed = wait_finished (c, seqs, o->jobs, o->poll_ms);
    double total_s = now_s() - t0;
    sample_cpu (o, &b);
    client_destroy (c);
    free (seqs);

    double ctld_s = b.ctld.self_s - a.ctld.self_s, agents_self = 0, agents_children = 0;
    for (int i = 0; i < o->nagents; i++) {
        agents_self += b.agents[i].self_s - a.agents[i].self_s;
        agents_children += b.agents[i].children_s - a.agents[i].children_s;
    }
    double n = (double)o->jobs, rate = n / total_s;
    double all_ms = (ctld_s + agents_self + agents_children) * 1e3 / n;
    json_t *out =
        json_pack ("{s:s, s:I, s:I, s:f, s:f, s:f, s:I, s:I}", "benchmark", "turnaround", "jobs",
                   (json_int_t)o->jobs, "failed_jobs", (json_int_t)failed, "submit_seconds",
                   submit_s, "first_submit_to_last_finished_seconds", total_s, "jobs_per_s", rate,
                   "poll_ms", (json_int_t)o->poll_ms, "agents", (json_int_t)o->nagents);
    if (o->ctld_pid > 0) {
        json_object_set_new (out, "ctld_cpu_ms_per_job", json_real (ctld_s * 1e3 / n));
        json_object_set_new (out, "agents_cpu_ms_per_job", json_real (agents_self * 1e3 / n));
        json_object_set_new (out, "shepherds_and_jobs_cpu_ms_per_job",
                             json_real (agents_children * 1e3 / n));
        json_object_set_new (out, "all_huddle_cpu_ms_per_job", json_real (all_ms));
        json_object_set_new (
            out, "cpu_counted",
            json_string ("utime+stime of huddle-ctld; utime+stime of each huddle-agent; "
                         "cutime+cstime of each agent = its reaped shepherds, including what "
                         "they reaped (the job's /bin/true and helper forks); all = the sum. "
                         "The ctld figure includes answering this program's job.query polls. "
                         "Not counted: munged, this client. Resolution 1/CLK_TCK s."));
    }
    json_object_set_new (out, "machine_busy_cpu_ms_per_job",
                         json_real ((b.machine_s - a.machine_s) * 1e3 / n));
    json_object_set_new (
        out, "reference",
        json_pack ("{s:s, s:I, s:f, s:f, s:f}", "what",
                   "from the issue, not measured here: Slurm 22.05, 2 cores, 8 nodes", "jobs",
                   (json_int_t)1000, "jobs_per_s_low", 9.0, "jobs_per_s_high", 14.0,
                   "cpu_ms_per_job", 135.0));
    json_object_set_new (out, "ratio_vs_reference_jobs_per_s_high", json_real (rate / 14.0));
    if (o->ctld_pid > 0)
        json_object_set_new (out, "ratio_vs_reference_cpu_per_job", json_real (135.0 / all_ms));
    json_object_set_new (out, "target",
                         json_pack ("{s:f, s:b, s:f, s:b}", "jobs_per_s", 140.0, "jobs_per_s_met",
                                    rate >= 140.0, "all_huddle_cpu_ms_per_job", 13.0, "cpu_met",
                                    o->ctld_pid > 0 && all_ms <= 13.0));
    json_object_set_new (out, "machine", machine_info());
    print_json (out);
}

/* --------------------------------------------------------------- latency */

static void run_latency (const struct opts *o)
{
    double *ms = calloc ((size_t)o->jobs, sizeof (*ms));
    if (!ms)
        die ("%s", "out of memory");
    struct client *c = connect_server();
    struct herror err;
    long failed = 0;
    for (long i = 0; i < o->jobs; i++) {
        json_t *req = submit_request (false, "/bin/true");
        double t0 = now_s();
        json_t *reply = client_request (c, req, &err);
        json_decref (req);
        if (!reply)
            die ("%s", err.text);
        int64_t seq = json_integer_value (json_object_get (reply, "seq"));
        json_decref (reply);
        failed += wait_finished (c, &seq, 1, o->poll_ms);
        ms[i] = (now_s() - t0) * 1e3;
    }
    client_destroy (c);
    double lo = ms[0], hi = ms[0];
    for (long i = 0; i < o->jobs; i++) {
        lo = ms[i] < lo ? ms[i] : lo;
        hi = ms[i] > hi ? ms[i] : hi;
    }
    double med = median (ms, (int)o->jobs);
    free (ms);
    print_json (json_pack (
        "{s:s, s:s, s:I, s:I, s:I, s:f, s:f, s:f, s:{s:s, s:f}, s:f, s:f, s:b, "
        "s:o}",
        "benchmark", "latency", "what",
        "1-node /bin/true job, submit -> state F recorded, idle cluster", "jobs",
        (json_int_t)o->jobs, "failed_jobs", (json_int_t)failed, "poll_ms", (json_int_t)o->poll_ms,
        "median_ms", med, "min_ms", lo, "max_ms", hi, "reference", "what",
        "from the issue, not measured here: Slurm 22.05 1-node true job", "submit_to_done_ms",
        330.0, "ratio_vs_reference", 330.0 / med, "target_ms", 50.0, "target_met", med <= 50.0,
        "machine", machine_info()));
}

/* ---------------------------------------------------------------- memory */

/* One array of o->jobs subjobs: what a subjob costs before it starts. */
static void run_memory_array (const struct opts *o)
{
    char range[64];
    snprintf (range, sizeof (range), "0-%ld", o->jobs - 1);
    char *argv[] = {"qsub", "-J", range, "--", "/bin/true", NULL};
    struct client *c = connect_server();
    struct herror err;
    long before = vm_rss_kb (o->ctld_pid);
    double t0 = now_s();
    json_t *req = submit_request_args (5, argv);
    if (client_send (c, req, &err) < 0)
        die ("%s", err.text);
    json_decref (req);
    recv_submit (c);
    double secs = now_s() - t0;
    client_destroy (c);
    long after = vm_rss_kb (o->ctld_pid);
    if (before < 0 || after < 0)
        die ("%s", "cannot read VmRSS of --ctld-pid");
    print_json (json_pack ("{s:s, s:I, s:I, s:I, s:f, s:f, s:o}", "benchmark", "ctld_memory_array",
                           "array_subjobs", (json_int_t)o->jobs, "rss_before_kb",
                           (json_int_t)before, "rss_after_kb", (json_int_t)after, "bytes_per_job",
                           (after - before) * 1024.0 / o->jobs, "submit_seconds", secs, "machine",
                           machine_info()));
}

static void run_memory (const struct opts *o)
{
    if (o->ctld_pid <= 0)
        die ("%s", "memory needs --ctld-pid");
    if (o->array) {
        run_memory_array (o);
        return;
    }
    struct client *c = connect_server();
    long before = vm_rss_kb (o->ctld_pid);
    double t0 = now_s();
    submit_pipelined (c, o->jobs, o->window, true, NULL);
    double secs = now_s() - t0;
    client_destroy (c);
    long after = vm_rss_kb (o->ctld_pid);
    if (before < 0 || after < 0)
        die ("%s", "cannot read VmRSS of --ctld-pid");
    print_json (json_pack ("{s:s, s:I, s:I, s:I, s:f, s:f, s:f, s:o}", "benchmark", "ctld_memory",
                           "held_jobs", (json_int_t)o->jobs, "rss_before_kb", (json_int_t)before,
                           "rss_after_kb", (json_int_t)after, "bytes_per_job",
                           (after - before) * 1024.0 / o->jobs, "submit_seconds", secs,
                           "submit_jobs_per_s", o->jobs / secs, "machine", machine_info()));
}

/* ------------------------------------------------------------------ main */

static void usage (void)
{
    fprintf (stderr,
             "usage: submit_bench throughput|breakdown|turnaround|latency|memory [--jobs "
             "N] [--window W]\n"
             "         [--poll-ms MS] [--qsub PATH] [--no-hold] [--array] [--ctld-pid PID]\n"
             "         [--agent-pids PID,...] [--local SOCKET] [--floor SOCKET]\n"
             "         [--floor-no-sync SOCKET]\n");
    exit (2);
}

static long parse_long (const char *s, const char *what, long min)
{
    char *end;
    errno = 0;
    long v = strtol (s, &end, 10);
    if (errno || end == s || *end || v < min)
        die ("bad value for %s", what);
    return v;
}

int main (int argc, char **argv)
{
    struct opts o = {.window = 256, .hold = true, .qsub = "qsub", .poll_ms = -1, .jobs = -1};
    static const struct option longopts[] = {{"jobs", required_argument, NULL, 'n'},
                                             {"window", required_argument, NULL, 'w'},
                                             {"poll-ms", required_argument, NULL, 'p'},
                                             {"qsub", required_argument, NULL, 'q'},
                                             {"no-hold", no_argument, NULL, 'H'},
                                             {"array", no_argument, NULL, 'A'},
                                             {"ctld-pid", required_argument, NULL, 'c'},
                                             {"agent-pids", required_argument, NULL, 'a'},
                                             {"local", required_argument, NULL, 'L'},
                                             {"floor", required_argument, NULL, 'F'},
                                             {"floor-no-sync", required_argument, NULL, 'N'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int ch;
    if (argc < 2 || argv[1][0] == '-')
        usage();
    o.mode = argv[1];
    optind = 2;
    while ((ch = getopt_long (argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'n':
            o.jobs = parse_long (optarg, "--jobs", 1);
            break;
        case 'w':
            o.window = parse_long (optarg, "--window", 1);
            break;
        case 'p':
            o.poll_ms = parse_long (optarg, "--poll-ms", 0);
            break;
        case 'q':
            o.qsub = optarg;
            break;
        case 'L':
            o.local = optarg;
            break;
        case 'F':
            o.floor = optarg;
            break;
        case 'N':
            o.floor_nosync = optarg;
            break;
        case 'H':
            o.hold = false;
            break;
        case 'A':
            o.array = true;
            break;
        case 'c':
            o.ctld_pid = (pid_t)parse_long (optarg, "--ctld-pid", 1);
            break;
        case 'a':
            for (char *save, *t = strtok_r (optarg, ",", &save); t;
                 t = strtok_r (NULL, ",", &save)) {
                if (o.nagents == MAX_AGENTS)
                    die ("%s", "too many --agent-pids");
                o.agent_pids[o.nagents++] = (pid_t)parse_long (t, "--agent-pids", 1);
            }
            break;
        default:
            usage();
        }
    }
    if (optind != argc)
        usage();
    if (!strcmp (o.mode, "throughput")) {
        o.jobs = o.jobs < 0 ? 10000 : o.jobs;
        run_throughput (&o);
    } else if (!strcmp (o.mode, "turnaround")) {
        o.jobs = o.jobs < 0 ? 2000 : o.jobs;
        o.poll_ms = o.poll_ms < 0 ? 20 : o.poll_ms;
        run_turnaround (&o);
    } else if (!strcmp (o.mode, "latency")) {
        o.jobs = o.jobs < 0 ? 20 : o.jobs;
        o.poll_ms = o.poll_ms < 0 ? 1 : o.poll_ms;
        run_latency (&o);
    } else if (!strcmp (o.mode, "breakdown")) {
        o.jobs = o.jobs < 0 ? 200 : o.jobs;
        run_breakdown (&o);
    } else if (!strcmp (o.mode, "memory")) {
        o.jobs = o.jobs < 0 ? 100000 : o.jobs;
        run_memory (&o);
    } else
        usage();
    return 0;
}
