/* qdel, qhold, qrls, qsig, qmove - act on jobs one by one
 *
 *     qdel [-W force] JOBID...        job.delete
 *     qhold [-h u] JOBID...           job.hold
 *     qrls [-h u] JOBID...            job.release
 *     qsig [-s SIGNAL] JOBID...       job.signal (default TERM)
 *     qmove DESTINATION JOBID...      job.move (DESTINATION: QUEUE[@SERVER])
 *     qrerun [-W force] JOBID...      job.rerun (administrators; force: -r n jobs too)
 *     qmsg [-E] [-O] MESSAGE JOBID... job.message (to the error file, -E, the default,
 *                                     and/or the output file, -O; PBS keeps 256 bytes)
 *
 * One source, built once per name: the program's name picks the verb.
 * Every id is tried; the exit status is the last failure's (PBS's habit), 0
 * when all succeeded.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/signame.h"

#include "climain.h"

struct verb {
    const char *prog;
    const char *type;  /* request sent for each job */
    const char *opts;  /* getopt string */
    const char *usage; /* what comes before the job ids */
    bool dest_first;   /* the first operand is a destination (qmove) or message (qmsg) */
};

static const struct verb verbs[] = {
    {"qdel", "job.delete", "W:", "[-W force] ", false},
    {"qhold", "job.hold", "h:", "[-h u] ", false},
    {"qrls", "job.release", "h:", "[-h u] ", false},
    {"qsig", "job.signal", "s:", "[-s signal] ", false},
    {"qmove", "job.move", "", "destination ", true},
    {"qrerun", "job.rerun", "W:", "[-W force] ", false},
    {"qmsg", "job.message", "EO", "[-O] [-E] msg_string ", true},
};

/* PBS's qmsg sends at most this much of the message (MAX_MSG_STRING_LEN). */
#define QMSG_MAX 256

/* The verb whose name argv[0] ends with (so "huddle-qrls" works too). */
static const struct verb *verb_of (const char *argv0)
{
    size_t len = strlen (argv0);
    for (size_t i = 1; i < sizeof (verbs) / sizeof (verbs[0]); i++) {
        size_t n = strlen (verbs[i].prog);
        if (len >= n && strcmp (argv0 + len - n, verbs[i].prog) == 0)
            return &verbs[i];
    }
    return &verbs[0];
}

static void usage (const struct verb *v)
{
    fprintf (stderr, "usage: %s %sjob_identifier...\n", v->prog, v->usage);
    exit (CLI_EXIT_USAGE);
}

int main (int argc, char **argv)
{
    const struct verb *v = verb_of (argv[0]);
    struct cli cli = {.prog = v->prog};
    const char *signal = "TERM", *queue = NULL;
    char to[3] = "";
    bool force = false;
    int status = 0, c;

    while ((c = getopt (argc, argv, v->opts)) != -1) {
        if (c == 's' && signame_parse (optarg) > 0) {
            signal = optarg;
        } else if (c == 's') {
            /* PBS's suspend/resume also free and retake the job's cores */
            fprintf (stderr, "%s: %s: %s\n", v->prog, optarg,
                     strcmp (optarg, "suspend") == 0 || strcmp (optarg, "resume") == 0
                         ? "suspending jobs is not supported (use -s STOP / -s CONT to pause "
                           "the processes, keeping their cores)"
                         : "unknown signal (HUP INT QUIT KILL USR1 USR2 TERM CONT STOP TSTP, "
                           "or a number)");
            return CLI_EXIT_USAGE;
        } else if (c == 'W' && strcmp (optarg, "force") != 0 &&
                   strncmp (optarg, "suppress_email=", 15) != 0) {
            usage (v);
        } else if (c == 'W' && strcmp (optarg, "force") == 0) {
            force = true;
        } else if (c == 'h' && strcmp (optarg, "u") != 0) {
            usage (v); /* only user holds exist: -h u is accepted for PBS scripts' sake */
        } else if (c == 'E' || c == 'O') {
            if (!strchr (to, c))
                to[strlen (to)] = (char)c;
        } else if (c == '?') {
            usage (v);
        }
    }
    if (v->dest_first && optind < argc)
        queue = argv[optind++];
    if (optind == argc)
        usage (v);
    /* qmsg: cut as PBS does, but never inside a UTF-8 character */
    char text[QMSG_MAX + 1];
    size_t cut = queue ? strlen (queue) : 0;
    if (cut > QMSG_MAX)
        for (cut = QMSG_MAX; cut > 0 && ((unsigned char)queue[cut] & 0xC0) == 0x80; cut--)
            ;
    snprintf (text, sizeof (text), "%.*s", (int)cut, queue ? queue : "");
    if (cli_open (&cli, v->prog) < 0)
        return CLI_EXIT_FAIL;
    char qname[256] = "";
    if (queue)
        snprintf (qname, sizeof (qname), "%.*s", (int)strcspn (queue, "@"), queue);
    for (int i = optind; i < argc; i++) {
        int64_t seq;
        const char *server;
        json_t *req, *reply;
        if (cli_parse_jobid (&cli, argv[i], &seq, &server) < 0) {
            status = CLI_EXIT_FAIL;
            continue;
        }
        /* The controller checks the server part: only it knows its name. */
        req = json_pack ("{s:s, s:I}", "type", v->type, "seq", (json_int_t)seq);
        if (req && server && json_object_set_new (req, "server", json_string (server)) < 0) {
            json_decref (req);
            req = NULL;
        }
        if (req && strcmp (v->prog, "qsig") == 0)
            json_object_set_new (req, "signal", json_string (signal));
        if (req && strcmp (v->prog, "qmsg") == 0) {
            json_object_set_new (req, "text", json_string (text));
            json_object_set_new (req, "to", json_string (to[0] ? to : "E"));
        } else if (req && queue) {
            json_object_set_new (req, "queue", json_string (qname));
        }
        if (req && force && strcmp (v->prog, "qrerun") == 0)
            json_object_set_new (req, "force", json_true());
        reply = cli_request (&cli, req, argv[i], &status);
        json_decref (reply);
    }
    cli_close (&cli);
    return status;
}
