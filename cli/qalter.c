/* qalter - change a job's attributes, as OpenPBS's qalter
 *
 *     qalter [-a DATETIME] [-l walltime=T] [-l select=SPEC] [-p PRIORITY] [-N NAME]
 *            [-h u|n] JOBID...
 *
 * One job.alter per job id with what the options change; the controller
 * decides what a job in its state may change (a waiting job: all of
 * these, within its queue's limits; a running one: its name, priority and
 * walltime, which only root may raise, docs/protocol.md) and records the change in the job's
 * history (tracejob).  -l takes several resources separated by commas, as PBS's. -a sets a waiting
 * job's execution time, as qsub -a does. -h u holds the job and -h n releases it, as qhold and qrls
 * do (job.hold, job.release: huddle has user holds only), after the other changes. Every id is
 * tried; the exit status is the last failure's (PBS's habit), 0 when all succeeded.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/jobspec.h"
#include "common/pbs_resources.h"

#include "climain.h"

static void usage (void)
{
    fprintf (stderr, "usage: qalter [-a date_time] [-l resource_list] [-N name] [-p priority] "
                     "job_identifier...\n");
    exit (CLI_EXIT_USAGE);
}

/* One RESOURCE=VALUE of -l into the request. */
static int add_resource (json_t *req, char *item)
{
    char *eq = strchr (item, '=');
    struct herror err;

    if (!eq) {
        fprintf (stderr, "qalter: illegal -l value\n");
        return -1;
    }
    *eq = '\0';
    const char *val = eq + 1;
    if (strcmp (item, "walltime") == 0) {
        int64_t secs = 0;
        int rc = pbs_walltime_parse (val, &secs, &err);
        if (rc < 0 || secs < 1) {
            fprintf (stderr, "qalter: illegal -l value: walltime=%s: %s\n", val,
                     rc < 0 ? err.text : "must be more than 0");
            return -1;
        }
        return json_object_set_new (req, "walltime", json_integer (secs));
    }
    if (strcmp (item, "select") == 0)
        return json_object_set_new (req, "select", json_string (val));
    fprintf (stderr,
             "qalter: -l %s: this server alters only walltime and select (resubmit the job to "
             "change %s)\n",
             item, item);
    return -1;
}

/* The options as job.alter's members (without type and job); -h's request
 * type in *hold (NULL: none). */
static json_t *parse_options (int argc, char **argv, const char **hold)
{
    json_t *req = json_object();
    int c;

    while (req && (c = getopt (argc, argv, "a:h:l:N:p:")) != -1) {
        char *end, *save = NULL;
        struct herror err;
        long p;
        int64_t when;
        switch (c) {
        case 'a':
            if (jobspec_parse_exec_time (optarg, &when, &err) < 0) {
                fprintf (stderr, "qalter: illegal -a value: %s\n", err.text);
                exit (CLI_EXIT_USAGE);
            }
            json_object_set_new (req, "execution_time", json_integer (when));
            break;
        case 'l':
            for (char *item = strtok_r (optarg, ",", &save); item;
                 item = strtok_r (NULL, ",", &save)) {
                if (add_resource (req, item) < 0)
                    exit (CLI_EXIT_USAGE);
            }
            break;
        case 'h':
            if (strcmp (optarg, "u") != 0 && strcmp (optarg, "n") != 0) {
                fprintf (stderr, "qalter: -h %s: this server has user holds only (-h u, -h n)\n",
                         optarg);
                exit (CLI_EXIT_USAGE);
            }
            *hold = optarg[0] == 'u' ? "job.hold" : "job.release";
            break;
        case 'N':
            if (jobspec_check_name (optarg, &err) < 0) {
                fprintf (stderr, "qalter: illegal -N value: %s\n", err.text);
                exit (CLI_EXIT_USAGE);
            }
            json_object_set_new (req, "name", json_string (optarg));
            break;
        case 'p':
            p = strtol (optarg, &end, 10);
            if (end == optarg || *end || p < JOBSPEC_PRIORITY_MIN || p > JOBSPEC_PRIORITY_MAX) {
                fprintf (stderr, "qalter: illegal -p value (a number from %d to %d)\n",
                         JOBSPEC_PRIORITY_MIN, JOBSPEC_PRIORITY_MAX);
                exit (CLI_EXIT_USAGE);
            }
            json_object_set_new (req, "priority", json_integer (p));
            break;
        default:
            usage();
        }
    }
    if (!req) {
        fprintf (stderr, "qalter: out of memory\n");
        exit (CLI_EXIT_FAIL);
    }
    if ((json_object_size (req) == 0 && !*hold) || optind == argc)
        usage();
    return req;
}

/* REQ's members (if any) and then HOLD (if any) for job SEQ[.SERVER]. */
static void alter_one (struct cli *cli, const json_t *attrs, const char *hold, const char *id,
                       int *status)
{
    int64_t seq;
    const char *server;
    if (cli_parse_jobid (cli, id, &seq, &server) < 0) {
        *status = CLI_EXIT_FAIL;
        return;
    }
    const char *types[2] = {json_object_size (attrs) ? "job.alter" : NULL, hold};
    for (int k = 0; k < 2; k++) {
        if (!types[k])
            continue;
        json_t *req = k == 0 ? json_deep_copy (attrs) : json_object();
        if (req && (json_object_set_new (req, "type", json_string (types[k])) < 0 ||
                    json_object_set_new (req, "seq", json_integer (seq)) < 0 ||
                    (server && json_object_set_new (req, "server", json_string (server)) < 0))) {
            json_decref (req);
            req = NULL;
        }
        json_t *reply = cli_request (cli, req, id, status);
        json_decref (reply);
        if (!reply)
            return; /* a refused change: the hold is not tried either */
    }
}

int main (int argc, char **argv)
{
    struct cli cli = {.prog = "qalter"};
    const char *hold = NULL;
    int status = 0;
    json_t *attrs = parse_options (argc, argv, &hold);

    if (cli_open (&cli, "qalter") < 0) {
        json_decref (attrs);
        return CLI_EXIT_FAIL;
    }
    for (int i = optind; i < argc; i++)
        alter_one (&cli, attrs, hold, argv[i], &status);
    cli_close (&cli);
    json_decref (attrs);
    return status;
}
