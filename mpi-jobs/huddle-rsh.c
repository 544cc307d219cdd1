/* huddle-rsh - start a command on another node of the current huddle job
 *
 *   huddle-rsh [SSH OPTIONS] [USER@]HOST COMMAND...     (rsh_args.h)
 *
 * Open MPI's rsh agent (the agent sets OMPI_MCA_plm_rsh_agent to it in
 * every job), as SGE's `qrsh -inherit` or PBS's pbs_tmrsh: mpirun calls it
 * with a node of the job's hostfile and an orted command line.  It asks
 * the agent on HOST (the job's endpoints file, HUDDLE_TASK_ENDPOINTS) to
 * start COMMAND inside this job (PBS_JOBID, with the run's cookie,
 * HUDDLE_JOB_COOKIE): same owner, container, binding, walltime and kill
 * as the job's script there (agent/agentd_task.c says who may).  It relays
 * stdin (unless -n), stdout and stderr, and exits with the command's
 * status (128+N when a signal N ended it).
 *
 * A node that does not know the job yet (its job.launch may arrive after
 * the first node's mpirun asks) is asked again, for at most RETRY_SECS.
 *
 * Exit status 255, with a line on stderr naming the host and why, when
 * the task cannot be started: not inside a job, a host outside the job's
 * allocation, the agent unreachable or refusing (ssh's convention, which
 * launchers check for).
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/auth.h"
#include "common/base64.h"
#include "common/client.h"
#include "common/proto.h"
#include "mpi-jobs/rsh_args.h"

#define EXIT_RSH   255
#define CHUNK      (32 * 1024) /* stdin bytes per task.input */
#define RETRY_SECS 10          /* how long a node that does not know the job yet is asked again */
#define RETRY      -3          /* on_message / relay: ask again */

static const char *host_shown = "";
/* What die() lets go of before it exits (a sanitizer build checks). */
static struct client *live;
static struct rsh_args args;
static char last_error[HERROR_TEXT_MAX];

static void die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));
static void die (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    fprintf (stderr, "huddle-rsh: %s%s", host_shown, host_shown[0] ? ": " : "");
    vfprintf (stderr, fmt, ap);
    fputc ('\n', stderr);
    va_end (ap);
    client_destroy (live);
    rsh_args_free (&args);
    exit (EXIT_RSH);
}

static void write_all (int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write (fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* a closed stdout: the output is dropped, as ssh does */
        p += w;
        n -= (size_t)w;
    }
}

static void send_or_die (struct client *c, json_t *m)
{
    struct herror err = {""};
    if (!m || client_send (c, m, &err) < 0)
        die ("%s", m ? err.text : "out of memory");
    json_decref (m);
}

/* Stdin to the task: one chunk, or its end. */
static bool forward_stdin (struct client *c)
{
    unsigned char buf[CHUNK];
    ssize_t n;
    while ((n = read (0, buf, sizeof (buf))) < 0 && errno == EINTR)
        ;
    if (n <= 0) {
        send_or_die (c, json_pack ("{s:s, s:b}", "type", "task.input", "eof", 1));
        return false;
    }
    char *data = base64_encode (buf, (size_t)n);
    send_or_die (c, data ? json_pack ("{s:s, s:s}", "type", "task.input", "data", data) : NULL);
    free (data);
    return true;
}

/* One message about the task: its status when it is the end, -1 to go
 * on, -2 to give up with why in fatal; *started once the task runs (stdin
 * may follow only then: the agent hands the connection to the job's
 * shepherd between the two). */
static int on_message (json_t *m, bool *started, char *fatal, size_t size)
{
    const char *type = proto_msg_type (m);
    if (strcmp (type, "task.output") == 0) {
        json_t *stream = json_object_get (m, "stream");
        const char *data = json_string_value (json_object_get (m, "data"));
        size_t n;
        unsigned char *bytes = data ? base64_decode (data, strlen (data), &n) : NULL;
        if (!bytes) {
            snprintf (fatal, size, "the agent sent output that is not base64");
            return -2;
        }
        write_all (json_integer_value (stream) == 2 ? 2 : 1, bytes, n);
        free (bytes);
        return -1;
    }
    if (strcmp (type, "task.exit") == 0) {
        json_t *st = json_object_get (m, "status");
        return json_is_integer (st) ? (int)(json_integer_value (st) & 0xff) : EXIT_RSH;
    }
    if (strcmp (type, "error") == 0) {
        const char *text = json_string_value (json_object_get (m, "error"));
        snprintf (fatal, size, "%s", text ? text : "refused");
        return !*started && json_is_true (json_object_get (m, "retry")) ? RETRY : -2;
    }
    if (strcmp (type, "task.spawn.ok") == 0)
        *started = true;
    return -1; /* or something newer: nothing to do */
}

static int relay (struct client *c, bool with_stdin)
{
    struct herror err = {""};
    bool started = false;
    for (;;) {
        bool reading = with_stdin && started;
        int pending = client_pending (c, &err);
        if (pending < 0)
            die ("%s", err.text);
        if (!pending) {
            struct pollfd p[2] = {{.fd = client_fd (c), .events = POLLIN},
                                  {.fd = 0, .events = POLLIN}};
            if (poll (p, reading ? 2 : 1, -1) < 0) {
                if (errno == EINTR)
                    continue;
                die ("poll: %s", strerror (errno));
            }
            if (reading && p[1].revents)
                with_stdin = forward_stdin (c);
            if (!p[0].revents)
                continue;
        }
        json_t *m = client_recv (c, &err);
        if (!m)
            die ("connection lost: %s", err.text);
        char fatal[HERROR_TEXT_MAX];
        int status = on_message (m, &started, fatal, sizeof (fatal));
        json_decref (m);
        if (status == -2)
            die ("%s", fatal);
        if (status == RETRY) {
            snprintf (last_error, sizeof (last_error), "%s", fatal);
            return RETRY;
        }
        if (status >= 0)
            return status;
    }
}

int main (int argc, char *argv[])
{
    struct rsh_args *a = &args;
    struct herror err = {""};
    unsigned long seq;
    char ep[320];

    signal (SIGPIPE, SIG_IGN);
    if (argc == 2 && strcmp (argv[1], "--help") == 0) {
        printf ("Usage: huddle-rsh [SSH OPTIONS] [USER@]HOST COMMAND...\n\n"
                "Run COMMAND on HOST, a node of the current huddle job, inside the job\n"
                "(Open MPI's rsh agent: OMPI_MCA_plm_rsh_agent).  Options ssh takes are\n"
                "accepted; -n reads stdin from /dev/null.  Exit status: COMMAND's, or 255\n"
                "when it cannot be started.\n");
        return 0;
    }
    if (rsh_args_parse (argc, argv, a, &err) < 0)
        die ("%s", err.text);
    host_shown = a->host;
    struct passwd *pw = getpwuid (getuid());
    if (a->user && (!pw || strcmp (a->user, pw->pw_name) != 0))
        die ("user %s: a task runs as the job's owner, not as another user", a->user);
    const char *jobid = getenv ("PBS_JOBID");
    const char *cookie = getenv ("HUDDLE_JOB_COOKIE");
    const char *eps = getenv ("HUDDLE_TASK_ENDPOINTS");
    if (!jobid || !cookie || !eps || !jobid[0] || !cookie[0] || !eps[0])
        die ("not inside a huddle job (PBS_JOBID, HUDDLE_JOB_COOKIE and HUDDLE_TASK_ENDPOINTS "
             "are set in a job's processes)");
    if (rsh_job_seq (jobid, &seq) < 0)
        die ("PBS_JOBID \"%.64s\" is not a job id", jobid);
    if (rsh_endpoint_find (eps, a->host, ep, sizeof (ep), &err) < 0)
        die ("%s of job %s", err.text, jobid);

    /* The node may not know the job for a moment yet (the first node's
     * mpirun can be quicker than its job.launch there): ask again, for at
     * most RETRY_SECS. */
    time_t give_up = time (NULL) + RETRY_SECS;
    int status;
    for (useconds_t pause = 100000;; pause = pause < 1000000 ? 2 * pause : pause) {
        struct client *c = live = client_connect_peer (ep, AUTH_ROLE_TASK, AUTH_ROLE_AGENT, &err);
        if (!c)
            die ("agent at %s: %s", ep, err.text);
        /* Only an agent (root, or one run by this very user) sees the cookie:
         * client_connect_peer checked the uid its credential carries. */
        json_t *req = json_pack ("{s:s, s:I, s:s, s:s, s:s, s:b}", "type", "task.spawn", "seq",
                                 (json_int_t)seq, "cookie", cookie, "node", a->host, "command",
                                 a->command, "stdin", !a->no_stdin);
        send_or_die (c, req);
        client_set_timeout (c, 0); /* a task may run quietly for days */
        status = relay (c, !a->no_stdin);
        client_destroy (c);
        live = NULL;
        if (status != RETRY)
            break;
        if (time (NULL) >= give_up)
            die ("%s", last_error);
        usleep (pause);
    }
    rsh_args_free (a);
    return status;
}
