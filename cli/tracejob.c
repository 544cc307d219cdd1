/* tracejob - a job's history, as OpenPBS's tracejob prints it
 *
 *     tracejob [-n DAYS] [-q] [-z] JOBID...
 *
 * OpenPBS's tracejob reads the server, scheduler, MoM and accounting logs
 * of the last DAYS days; huddle keeps each job's history as events in the
 * controller's store (job.events), written on every change of the job (the
 * same path every change takes), so one request answers it:
 *
 *     Job: 12.server
 *
 *     12/01/2026 11:30:02  S    submitted by root
 *     12/01/2026 11:30:02  S    started on node01 (run 1)
 *
 * The source letter is S (server) for every line: the agents' reports
 * reach the history through the controller.  -n, -q and -z are accepted
 * for scripts' sake (the history is complete and has no duplicates).
 * Exit status 153 for an unknown job, as qstat.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "climain.h"

static void usage (void)
{
    fprintf (stderr, "usage: tracejob [-a|s|l|m|v] [-c count] [-n days] [-f filter] [-p path] "
                     "[-w size] [-z] job_identifier...\n");
    exit (CLI_EXIT_USAGE);
}

static int trace_one (struct cli *cli, const char *id, int *status)
{
    int64_t seq;
    const char *server;
    if (cli_parse_jobid (cli, id, &seq, &server) < 0) {
        *status = CLI_EXIT_FAIL;
        return -1;
    }
    json_t *req = json_pack ("{s:s, s:I}", "type", "job.events", "seq", (json_int_t)seq);
    if (req && server)
        json_object_set_new (req, "server", json_string (server));
    json_t *reply = cli_request (cli, req, id, status);
    if (!reply)
        return -1;
    printf ("\nJob: %s\n\n", json_string_value (json_object_get (reply, "jobid")) ?: id);
    size_t i;
    json_t *e;
    json_array_foreach (json_object_get (reply, "events"), i, e)
    {
        time_t t = (time_t)json_integer_value (json_object_get (e, "time"));
        char when[32];
        struct tm tm;
        strftime (when, sizeof (when), "%m/%d/%Y %H:%M:%S", localtime_r (&t, &tm));
        printf ("%s  S    %s\n", when, json_string_value (json_object_get (e, "text")) ?: "");
    }
    json_decref (reply);
    return 0;
}

int main (int argc, char **argv)
{
    struct cli cli = {.prog = "tracejob"};
    int status = 0, c;

    while ((c = getopt (argc, argv, "aslmvc:n:f:p:w:zq")) != -1) {
        if (c == '?')
            usage();
    }
    if (optind == argc)
        usage();
    if (cli_open (&cli, "tracejob") < 0)
        return CLI_EXIT_FAIL;
    for (int i = optind; i < argc; i++)
        (void)trace_one (&cli, argv[i], &status);
    if (fflush (stdout) != 0)
        status = CLI_EXIT_FAIL;
    cli_close (&cli);
    return status;
}
