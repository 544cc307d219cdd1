/* qdel, qhold, qrls - delete, hold or release jobs
 *
 *     qdel JOBID...        job.delete
 *     qhold [-h u] JOBID...  job.hold
 *     qrls [-h u] JOBID...   job.release
 *
 * One source, built three times: the program's name picks the verb.  Every
 * id is tried; the exit status is the last failure's (PBS's habit), 0 when
 * all succeeded.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "climain.h"

struct verb {
    const char *prog;
    const char *type; /* request sent for each job */
    const char *opts; /* getopt string */
};

static const struct verb verbs[] = {
    {"qdel", "job.delete", ""},
    {"qhold", "job.hold", "h:"},
    {"qrls", "job.release", "h:"},
};

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
    fprintf (stderr, "usage: %s %sjob_identifier...\n", v->prog, v->opts[0] ? "[-h u] " : "");
    exit (CLI_EXIT_USAGE);
}

int main (int argc, char **argv)
{
    const struct verb *v = verb_of (argv[0]);
    struct cli cli = {.prog = v->prog};
    int status = 0, c;

    while ((c = getopt (argc, argv, v->opts)) != -1) {
        /* only user holds exist: -h u is accepted for PBS scripts' sake */
        if (c != 'h' || strcmp (optarg, "u") != 0)
            usage (v);
    }
    if (optind == argc)
        usage (v);
    if (cli_open (&cli, v->prog) < 0)
        return CLI_EXIT_FAIL;
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
        reply = cli_request (&cli, req, argv[i], &status);
        json_decref (reply);
    }
    cli_close (&cli);
    return status;
}
