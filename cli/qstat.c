/* qstat - show jobs, in OpenPBS's layouts
 *
 *     qstat [-a | -n] [-f] [-x] [-u USER] [-F json] [JOBID...]
 *
 * job.query to the controller (page by page), rendered by format.c.  With job ids,
 * finished jobs are asked for too so that a finished job gets PBS's "use -x"
 * message instead of "Unknown Job Id".
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"

#include "common/jobspec.h"

#include "climain.h"
#include "format.h"

enum layout { LAYOUT_TABLE, LAYOUT_ALT, LAYOUT_NODES, LAYOUT_FULL, LAYOUT_JSON };

struct qstat_opts {
    enum layout layout;
    bool finished; /* -x */
    const char *user;
};

static void usage (void)
{
    fprintf (stderr, "usage: qstat [-a|-n] [-f] [-x] [-u user] [-F json] [job_identifier...]\n");
    exit (CLI_EXIT_USAGE);
}

static void parse_options (int argc, char **argv, struct qstat_opts *o)
{
    bool alt = false, nodes = false, full = false, json = false;
    int c;
    while ((c = getopt (argc, argv, "afnxu:F:")) != -1) {
        switch (c) {
        case 'a':
            alt = true;
            break;
        case 'f':
            full = true;
            break;
        case 'n':
            nodes = true;
            break;
        case 'x':
            o->finished = true;
            break;
        case 'u':
            o->user = optarg;
            alt = true; /* PBS: -u shows the alternate layout */
            break;
        case 'F':
            if (strcmp (optarg, "json") == 0)
                json = true;
            else if (strcmp (optarg, "default") != 0)
                usage();
            break;
        default:
            usage();
        }
    }
    o->layout = json    ? LAYOUT_JSON
                : full  ? LAYOUT_FULL
                : nodes ? LAYOUT_NODES
                : alt   ? LAYOUT_ALT
                        : LAYOUT_TABLE;
}

static json_t *find_job (const json_t *jobs, int64_t seq)
{
    size_t i;
    json_t *job;
    json_array_foreach (jobs, i, job)
    {
        if (json_integer_value (json_object_get (job, "seq")) == seq)
            return job;
    }
    return NULL;
}

/* Whether the server part the user typed (NULL: none) names the server of
 * job, whose "jobid" is SEQ.SERVER: 12.other is not job 12 here. */
static bool same_server (const json_t *job, const char *server)
{
    const char *jobid = json_string_value (json_object_get (job, "jobid"));
    const char *dot = jobid ? strchr (jobid, '.') : NULL;

    return !server || (dot && jobspec_server_matches (server, dot + 1));
}

/* The jobs to show, in the order the ids were given; reports the ids that
 * are unknown or finished (without -x) and lowers *status accordingly. */
static json_t *select_jobs (const struct cli *cli, const json_t *jobs, char **ids,
                            const int64_t *seqs, const char **servers, int n, bool finished,
                            int *status)
{
    json_t *shown = json_array();
    for (int i = 0; i < n && shown; i++) {
        json_t *job = find_job (jobs, seqs[i]);
        const char *state = json_string_value (json_object_get (job, "state"));
        if (job == NULL || !same_server (job, servers[i])) {
            fprintf (stderr, "%s: Unknown Job Id %s\n", cli->prog, ids[i]);
            *status = CLI_EXIT_UNKNOWN;
        } else if (!finished && state && strcmp (state, "F") == 0) {
            fprintf (stderr,
                     "%s: %s Job has finished, use -x or -H to obtain historical job "
                     "information\n",
                     cli->prog, ids[i]);
            *status = CLI_EXIT_FINISHED;
        } else if (json_array_append (shown, job) < 0) {
            json_decref (shown);
            shown = NULL;
        }
    }
    return shown;
}

static int render (const struct qstat_opts *o, const json_t *jobs, const struct cli *cli,
                   const json_t *reply)
{
    struct format_ctx ctx = {
        .server = cli_server_name (cli, reply),
        .version = PACKAGE_VERSION,
        .now = time (NULL),
    };
    switch (o->layout) {
    case LAYOUT_TABLE:
        return format_jobs_table (stdout, jobs, &ctx);
    case LAYOUT_ALT:
    case LAYOUT_NODES:
        return format_jobs_alt (stdout, jobs, o->layout == LAYOUT_NODES, &ctx);
    case LAYOUT_FULL:
        return format_jobs_full (stdout, jobs, &ctx);
    case LAYOUT_JSON:
        return format_jobs_json (stdout, jobs, &ctx);
    }
    return 0;
}

/* job.query for what the options and operands ask; NULL after printing why. */
static json_t *make_query (const struct qstat_opts *o, const struct cli *cli, char **ids, int n,
                           int64_t *seqs, const char **servers)
{
    /* Only -f (and JSON, which has every attribute) show Variable_List:
     * the other layouts do not ask for the environment. */
    bool full = o->layout == LAYOUT_FULL || o->layout == LAYOUT_JSON;
    json_t *req = json_pack ("{s:s, s:b, s:b}", "type", "job.query", "finished",
                             o->finished || n > 0, "full", full);
    json_t *list = json_array();
    if (req == NULL || list == NULL) {
        fprintf (stderr, "qstat: out of memory\n");
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        if (cli_parse_jobid (cli, ids[i], &seqs[i], &servers[i]) < 0)
            goto fail;
        json_array_append_new (list, json_integer (seqs[i]));
    }
    if (n > 0)
        json_object_set (req, "seqs", list);
    if (o->user)
        json_object_set_new (req, "user", json_string (o->user));
    json_decref (list);
    return req;
fail:
    json_decref (list);
    json_decref (req);
    return NULL;
}

int main (int argc, char **argv)
{
    struct qstat_opts o = {0};
    struct cli cli = {.prog = "qstat"};
    int status = CLI_EXIT_FAIL, n;
    int64_t *seqs;
    const char **servers;
    json_t *req = NULL, *reply = NULL, *shown = NULL, *jobs;

    parse_options (argc, argv, &o);
    n = argc - optind;
    seqs = calloc ((size_t)n + 1, sizeof (*seqs));
    servers = calloc ((size_t)n + 1, sizeof (*servers));
    if (seqs == NULL || servers == NULL ||
        (req = make_query (&o, &cli, argv + optind, n, seqs, servers)) == NULL)
        goto out;
    if (cli_open (&cli, "qstat") < 0) {
        json_decref (req);
        goto out;
    }
    status = 0;
    reply = cli_query_jobs (&cli, req, &status);
    if (reply == NULL)
        goto out;
    jobs = json_object_get (reply, "jobs");
    if (!json_is_array (jobs)) {
        fprintf (stderr, "qstat: the controller's reply has no job list\n");
        status = CLI_EXIT_FAIL;
        goto out;
    }
    shown = n > 0 ? select_jobs (&cli, jobs, argv + optind, seqs, servers, n, o.finished, &status)
                  : json_incref (jobs);
    if (shown == NULL || render (&o, shown, &cli, reply) < 0 || fflush (stdout) != 0) {
        fprintf (stderr, "qstat: cannot write the output\n");
        status = CLI_EXIT_FAIL;
    }
out:
    json_decref (shown);
    json_decref (reply);
    cli_close (&cli);
    free (seqs);
    free (servers);
    return status;
}
