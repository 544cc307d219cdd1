/* qsub_interactive.c - qsub -I (see qsub_interactive.h) */
#define _GNU_SOURCE /* ppoll */
#include "qsub_interactive.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/auth.h"
#include "common/base64.h"
#include "common/proto.h"

#define CHUNK       (32 * 1024) /* input bytes per task.input */
#define ATTACH_SECS 10          /* how long a node that does not know the job yet is asked again */

static volatile sig_atomic_t got_signal; /* SIGINT, SIGTERM or SIGHUP: its number */
static volatile sig_atomic_t got_winch;

static void on_signal (int sig)
{
    if (sig == SIGWINCH)
        got_winch = 1;
    else
        got_signal = sig;
}

/* The signals qsub -I handles itself, blocked outside ppoll (and the
 * waits), so that none is missed between a check and a wait. */
static void catch_signals (sigset_t *unblocked)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigset_t set;
    sigemptyset (&set);
    sigemptyset (&sa.sa_mask);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH};
    for (size_t i = 0; i < sizeof (sigs) / sizeof (sigs[0]); i++) {
        sigaction (sigs[i], &sa, NULL);
        sigaddset (&set, sigs[i]);
    }
    signal (SIGPIPE, SIG_IGN);
    sigprocmask (SIG_BLOCK, &set, unblocked);
    sigdelset (unblocked, SIGINT);
    sigdelset (unblocked, SIGTERM);
    sigdelset (unblocked, SIGHUP);
    sigdelset (unblocked, SIGWINCH);
}

/* ------------------------------------------------------------- waiting */

/* Sleep ms unless a signal comes. */
static void pause_ms (int ms, const sigset_t *unblocked)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    (void)ppoll (NULL, 0, &ts, unblocked);
}

/* The job's first node once it runs (into node), 0; 1 when it finished
 * without a session; -1 after printing why. */
static int wait_for_start (struct cli *cli, int64_t seq, const char *jobid,
                           const sigset_t *unblocked, char *node, size_t size)
{
    for (int delay_ms = 100; !got_signal; delay_ms = delay_ms < 1000 ? delay_ms * 2 : 1000) {
        int status = 0;
        json_t *req = json_pack ("{s:s, s:[I], s:b}", "type", "job.query", "seqs", (json_int_t)seq,
                                 "finished", 1);
        json_t *reply = req ? cli_request (cli, req, jobid, &status) : NULL;
        if (!reply)
            return -1;
        json_t *job = json_array_get (json_object_get (reply, "jobs"), 0);
        const char *state = json_string_value (json_object_get (job, "state"));
        const char *nodes = json_string_value (json_object_get (job, "exec_nodes"));
        int rc = 2;
        if (!job) {
            fprintf (stderr, "qsub: job %s is gone\n", jobid);
            rc = -1;
        } else if (state && strcmp (state, "R") == 0 && nodes && nodes[0]) {
            snprintf (node, size, "%.*s", (int)strcspn (nodes, ","), nodes);
            rc = 0;
        } else if (state && (strcmp (state, "F") == 0 || strcmp (state, "E") == 0)) {
            const char *comment = json_string_value (json_object_get (job, "comment"));
            fprintf (stderr, "qsub: job %s ended before its session started%s%s\n", jobid,
                     comment ? ": " : "", comment ? comment : "");
            rc = 1;
        }
        json_decref (reply);
        if (rc != 2)
            return rc;
        pause_ms (delay_ms, unblocked);
    }
    return -1;
}

/* qsub was interrupted before the session: nobody will attach, so the
 * job must not hold its nodes. */
static void delete_job (struct cli *cli, int64_t seq, const char *jobid)
{
    int status = 0;
    json_t *req = json_pack ("{s:s, s:I}", "type", "job.delete", "seq", (json_int_t)seq);
    json_t *reply = req ? cli_request (cli, req, jobid, &status) : NULL;
    if (reply)
        printf ("\nqsub: job %s deleted: qsub -I was interrupted before the job started\n", jobid);
    json_decref (reply);
}

/* The task port of node (node.query's task_endpoint) into ep; -1 after
 * printing why. */
static int node_endpoint (struct cli *cli, const char *node, char *ep, size_t size)
{
    int status = 0;
    json_t *req = json_pack ("{s:s, s:[s]}", "type", "node.query", "names", node);
    json_t *reply = req ? cli_request (cli, req, node, &status) : NULL;
    const char *e = json_string_value (
        json_object_get (json_array_get (json_object_get (reply, "nodes"), 0), "task_endpoint"));
    int rc = 0;
    if (e)
        snprintf (ep, size, "%s", e);
    else if (reply) {
        fprintf (stderr,
                 "qsub: node %s takes no sessions now: its agent has no task port "
                 "registered (is it up?)\n",
                 node);
        rc = -1;
    } else
        rc = -1;
    json_decref (reply);
    return rc;
}

/* ------------------------------------------------------------ the relay */

struct session {
    struct client *c;
    const char *jobid;
    bool tty;             /* stdin is a terminal: raw mode, window size */
    bool raw;             /* our terminal is in raw mode (restore it) */
    struct termios saved; /* as it was */
    bool started;         /* task.spawn.ok came */
    bool input;           /* stdin still read */
    const sigset_t *unblocked;
};

static void restore_terminal (struct session *s)
{
    if (s->raw)
        tcsetattr (0, TCSADRAIN, &s->saved);
    s->raw = false;
}

static void make_raw (struct session *s)
{
    struct termios raw;
    if (!s->tty || tcgetattr (0, &s->saved) < 0)
        return;
    raw = s->saved;
    cfmakeraw (&raw);
    if (tcsetattr (0, TCSADRAIN, &raw) == 0)
        s->raw = true;
}

static int send_msg (struct session *s, json_t *m)
{
    struct herror err = {""};
    int rc = m ? (int)client_send (s->c, m, &err) : -1;
    json_decref (m);
    return rc < 0 ? -1 : 0;
}

static void send_winsize (struct session *s)
{
    struct winsize ws;
    if (s->tty && ioctl (0, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
        (void)send_msg (s, json_pack ("{s:s, s:i, s:i}", "type", "task.winch", "rows", ws.ws_row,
                                      "cols", ws.ws_col));
}

/* Stdin to the session: one chunk, or its end. */
static int forward_stdin (struct session *s)
{
    unsigned char buf[CHUNK];
    ssize_t n;
    while ((n = read (0, buf, sizeof (buf))) < 0 && errno == EINTR)
        ;
    if (n <= 0) {
        s->input = false;
        return send_msg (s, json_pack ("{s:s, s:b}", "type", "task.input", "eof", 1));
    }
    char *data = base64_encode (buf, (size_t)n);
    int rc =
        send_msg (s, data ? json_pack ("{s:s, s:s}", "type", "task.input", "data", data) : NULL);
    free (data);
    return rc;
}

enum { GO_ON = -1, RETRY = -2, BROKEN = -3 };

/* One message of the session: its exit status at the end, GO_ON, RETRY
 * (the node does not know the job yet), or BROKEN after printing why. */
static int on_message (struct session *s, json_t *m)
{
    const char *type = proto_msg_type (m);
    if (strcmp (type, "task.output") == 0) {
        const char *data = json_string_value (json_object_get (m, "data"));
        size_t n;
        unsigned char *bytes = data ? base64_decode (data, strlen (data), &n) : NULL;
        if (!bytes)
            return GO_ON;
        /* at once: the user watches a terminal (a closed stdout drops it) */
        FILE *f = json_integer_value (json_object_get (m, "stream")) == 2 ? stderr : stdout;
        if (fwrite (bytes, 1, n, f) == n)
            fflush (f);
        free (bytes);
        return GO_ON;
    }
    if (strcmp (type, "task.exit") == 0) {
        json_t *st = json_object_get (m, "status");
        return json_is_integer (st) ? (int)(json_integer_value (st) & 0xff) : CLI_EXIT_FAIL;
    }
    if (strcmp (type, "error") == 0) {
        const char *text = json_string_value (json_object_get (m, "error"));
        if (!s->started && json_is_true (json_object_get (m, "retry")))
            return RETRY;
        restore_terminal (s);
        fprintf (stderr, "qsub: job %s: %s\n", s->jobid, text ? text : "refused");
        return BROKEN;
    }
    if (strcmp (type, "task.spawn.ok") == 0 && !s->started) {
        s->started = true;
        s->input = true;
        /* Raw before "ready": what is typed from then on is echoed by the
         * node's terminal only, not by ours too. */
        make_raw (s);
        const char *nl = s->raw ? "\r\n" : "\n";
        printf ("qsub: job %s ready%s%s", s->jobid, nl, nl);
        fflush (stdout);
        send_winsize (s); /* it may have changed while we waited */
    }
    return GO_ON;
}

static int relay (struct session *s)
{
    struct herror err = {""};
    for (;;) {
        if (got_signal) {
            restore_terminal (s);
            fprintf (stderr, "\nqsub: %s: the session of job %s is hung up\n",
                     strsignal (got_signal), s->jobid);
            return 128 + got_signal;
        }
        if (got_winch) {
            got_winch = 0;
            send_winsize (s);
        }
        int pending = client_pending (s->c, &err);
        if (pending < 0)
            break;
        if (!pending) {
            struct pollfd p[2] = {{.fd = client_fd (s->c), .events = POLLIN},
                                  {.fd = 0, .events = POLLIN}};
            int n = ppoll (p, s->started && s->input ? 2 : 1, NULL, s->unblocked);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                break;
            if (s->started && s->input && p[1].revents && forward_stdin (s) < 0)
                break;
            if (!p[0].revents)
                continue;
        }
        json_t *m = client_recv (s->c, &err);
        if (!m)
            break;
        int rc = on_message (s, m);
        json_decref (m);
        if (rc != GO_ON)
            return rc;
    }
    restore_terminal (s);
    fprintf (stderr, "\nqsub: lost the connection to the session of job %s%s%s\n", s->jobid,
             err.text[0] ? ": " : "", err.text);
    return BROKEN;
}

/* Connect to ep and attach to job seq's session on node; its status. */
static int attach (struct session *s, const char *ep, int64_t seq, const char *node)
{
    struct herror err = {""};
    time_t give_up = time (NULL) + ATTACH_SECS;
    for (int pause = 100;; pause = pause < 1000 ? 2 * pause : pause) {
        s->c = client_connect_peer (ep, AUTH_ROLE_TASK, AUTH_ROLE_AGENT, &err);
        if (!s->c) {
            fprintf (stderr, "qsub: job %s: node %s's agent at %s: %s\n", s->jobid, node, ep,
                     err.text);
            return BROKEN;
        }
        struct winsize ws = {0};
        if (s->tty)
            (void)ioctl (0, TIOCGWINSZ, &ws);
        const char *term = getenv ("TERM");
        json_t *req = json_pack ("{s:s, s:I, s:s, s:b, s:i, s:i}", "type", "task.attach", "seq",
                                 (json_int_t)seq, "node", node, "pty", s->tty, "rows", ws.ws_row,
                                 "cols", ws.ws_col);
        if (req && s->tty && term && term[0] && strlen (term) < 64 && !strpbrk (term, " \t'\""))
            json_object_set_new (req, "term", json_string (term));
        int rc = send_msg (s, req) < 0 ? BROKEN : GO_ON;
        client_set_timeout (s->c, 0); /* a session may stay quiet for hours */
        if (rc == GO_ON)
            rc = relay (s);
        client_destroy (s->c);
        s->c = NULL;
        if (rc != RETRY)
            return rc;
        if (time (NULL) >= give_up || got_signal) {
            fprintf (stderr, "qsub: job %s: node %s does not know the job\n", s->jobid, node);
            return BROKEN;
        }
        pause_ms (pause, s->unblocked);
    }
}

int qsub_interactive (struct cli *cli, int64_t seq, const char *jobid)
{
    sigset_t unblocked;
    char node[256], ep[320];
    catch_signals (&unblocked);
    printf ("qsub: waiting for job %s to start\n", jobid);
    fflush (stdout);
    int rc = wait_for_start (cli, seq, jobid, &unblocked, node, sizeof (node));
    if (rc < 0 && got_signal) {
        delete_job (cli, seq, jobid);
        return 128 + got_signal;
    }
    if (rc != 0)
        return CLI_EXIT_FAIL;
    if (node_endpoint (cli, node, ep, sizeof (ep)) < 0)
        return CLI_EXIT_FAIL;
    struct session s = {.jobid = jobid, .tty = isatty (0) == 1, .unblocked = &unblocked};
    int status = attach (&s, ep, seq, node);
    restore_terminal (&s);
    if (status < 0)
        return CLI_EXIT_FAIL;
    printf ("\nqsub: job %s completed\n", jobid);
    fflush (stdout);
    return status;
}
