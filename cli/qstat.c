/* qstat - show jobs, in OpenPBS's layouts
 *
 *     qstat [-a|-i|-r|-H] [-n] [-s] [-1] [-w] [-G|-M] [-x] [-u USER[,USER]]
 *           [-f] [-F json|dsv [-D DELIM]] [JOBID... | DESTINATION...]
 *     qstat -Q [-f] [-F json|dsv [-D DELIM]] [DESTINATION...]
 *     qstat -B [-f] [-F json|dsv [-D DELIM]] [SERVER...]
 *
 * job.query to the controller (page by page), rendered by format.c.  With job ids,
 * finished jobs are asked for too so that a finished job gets PBS's "use -x"
 * message instead of "Unknown Job Id".  A DESTINATION is "QUEUE",
 * "@SERVER" or "QUEUE@SERVER" (OpenPBS's operand): the jobs of that
 * queue; the controller refuses a queue it does not have.  -i shows jobs
 * not running (E H Q T W), -r running ones (R S), -H finished ones (F, as
 * -x); -i -r -H and -a exclude each other, -G and -M too, and -1 needs -n
 * or -s, as in OpenPBS ("qstat: conflicting options").  -F json and dsv
 * show the -f attributes with or without -f.  -Q shows queues (queue.query:
 * OpenPBS's "Queue Max Tot Ena Str ..." table, or the -Qf attributes),
 * -B the server (server.query); neither goes with the job layouts' options.
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

enum layout { LAYOUT_TABLE, LAYOUT_ALT, LAYOUT_FULL, LAYOUT_JSON, LAYOUT_DSV };

/* What is shown: jobs, queues (-Q) or the server (-B). */
enum mode { MODE_JOBS, MODE_QUEUES, MODE_SERVER };

struct qstat_opts {
    enum layout layout;
    struct format_alt alt;
    bool finished;      /* -x, -H */
    const char *states; /* -i -r -H: the states shown; NULL all */
    const char *users;  /* -u: comma-separated */
    const char *delim;  /* -D */
    enum mode mode;     /* -Q, -B */
};

static void usage (void)
{
    fprintf (stderr, "usage: \n"
                     "qstat [-f] [-F json|dsv] [-D delim] [-J] [-p] [-t] [-x] [-E] [-w]\n"
                     "\t[ job_identifier... | destination... ]\n"
                     "qstat [-a|-i|-r|-H] [-J] [-t] [-u user] [-n] [-s] [-G|-M] [-1] [-w]\n"
                     "\t[ job_identifier... | destination... ]\n"
                     "qstat -Q [-f] [-F json|dsv] [-D delim] [ destination... ]\n"
                     "qstat -B [-f] [-F json|dsv] [-D delim] [ server_name... ]\n"
                     "qstat --version\n");
    exit (CLI_EXIT_USAGE);
}

static void conflict (void)
{
    fprintf (stderr, "qstat: conflicting options.\n");
    usage();
}

static void parse_options (int argc, char **argv, struct qstat_opts *o)
{
    bool full = false, alt = false;
    const char *format = NULL;
    int which = 0; /* -a -i -r -H given */
    int c;

    if (argc > 1 && strcmp (argv[1], "--version") == 0) {
        printf ("pbs_version = %s\n", PACKAGE_VERSION);
        exit (0);
    }
    while ((c = getopt (argc, argv, "afinrsxwu:F:D:HGM1QB")) != -1) {
        switch (c) {
        case 'Q':
        case 'B':
            if (o->mode != MODE_JOBS && o->mode != (c == 'Q' ? MODE_QUEUES : MODE_SERVER))
                conflict();
            o->mode = c == 'Q' ? MODE_QUEUES : MODE_SERVER;
            break;
        case 'a':
        case 'i':
        case 'r':
        case 'H':
            which++;
            alt = true;
            if (c == 'i')
                o->states = "EHQTW";
            else if (c == 'r')
                o->states = "RS";
            else if (c == 'H') {
                o->states = "F";
                o->finished = true;
            }
            break;
        case 'f':
            full = true;
            break;
        case 'n':
            o->alt.nodes = alt = true;
            break;
        case 's':
            o->alt.comment = alt = true;
            break;
        case '1':
            o->alt.one_line = true;
            break;
        case 'w':
            o->alt.wide = true;
            break;
        case 'G':
        case 'M':
            if (o->alt.unit && o->alt.unit != c)
                conflict();
            o->alt.unit = (char)c;
            alt = true;
            break;
        case 'x':
            o->finished = true;
            break;
        case 'u':
            o->users = optarg;
            alt = true; /* PBS: -u shows the alternate layout */
            break;
        case 'F':
            if (strcasecmp (optarg, "json") != 0 && strcasecmp (optarg, "dsv") != 0 &&
                strcasecmp (optarg, "default") != 0)
                usage();
            format = optarg;
            break;
        case 'D':
            o->delim = optarg;
            break;
        default:
            usage();
        }
    }
    bool json = format && strcasecmp (format, "json") == 0;
    bool dsv = format && strcasecmp (format, "dsv") == 0;
    if ((o->mode != MODE_JOBS && (alt || o->finished)) || which > 1 ||
        (o->alt.one_line && !o->alt.nodes && !o->alt.comment) || (full && alt && !o->users) ||
        ((json || dsv) && alt && !o->users) || (o->delim && !dsv))
        conflict();
    if ((json || dsv) && o->alt.wide) {
        fprintf (stderr, "qstat: option w cannot be used with -F\n");
        usage();
    }
    o->layout = json   ? LAYOUT_JSON
                : dsv  ? LAYOUT_DSV
                : full ? LAYOUT_FULL
                : alt  ? LAYOUT_ALT
                       : LAYOUT_TABLE;
}

/* Whether an operand names a destination (QUEUE, @SERVER, QUEUE@SERVER)
 * rather than a job (it starts with a digit). */
static bool is_destination (const char *s)
{
    return s[0] < '0' || s[0] > '9';
}

/* The -i/-r/-H and -u filters, on what the controller returned. */
static bool shown (const struct qstat_opts *o, const json_t *job)
{
    const char *state = json_string_value (json_object_get (job, "state"));
    const char *owner = json_string_value (json_object_get (job, "owner"));
    if (o->states && (!state || !state[0] || !strchr (o->states, state[0])))
        return false;
    return !o->users || (owner && cli_user_listed (o->users, owner));
}

static json_t *filter_jobs (const struct qstat_opts *o, const json_t *jobs)
{
    json_t *out = json_array();
    size_t i;
    json_t *job;
    json_array_foreach (jobs, i, job)
    {
        if (out && shown (o, job) && json_array_append (out, job) < 0) {
            json_decref (out);
            out = NULL;
        }
    }
    return out;
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
                            const char *server, int *status)
{
    json_t *shown = json_array();
    for (int i = 0; i < n && shown; i++) {
        json_t *job = find_job (jobs, seqs[i]);
        const char *state = json_string_value (json_object_get (job, "state"));
        if (job == NULL || !same_server (job, servers[i])) {
            /* PBS names the job in full: "Unknown Job Id 999.srv" */
            if (servers[i] || !server)
                fprintf (stderr, "%s: Unknown Job Id %s\n", cli->prog, ids[i]);
            else
                fprintf (stderr, "%s: Unknown Job Id %s.%s\n", cli->prog, ids[i], server);
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
        return format_jobs_table (stdout, jobs, o->alt.wide, &ctx);
    case LAYOUT_ALT:
        return format_jobs_alt (stdout, jobs, &o->alt, &ctx);
    case LAYOUT_FULL:
        return format_jobs_full (stdout, jobs, &ctx);
    case LAYOUT_JSON:
        return format_jobs_json (stdout, jobs, &ctx);
    case LAYOUT_DSV:
        return format_jobs_dsv (stdout, jobs, o->delim ? o->delim : "|", &ctx);
    }
    return 0;
}

/* job.query for what the options and operands ask; NULL after printing why. */
/* job.query for what the options and the job id operands IDS[0..N-1]
 * ask (QUEUE: a destination's queue, NULL none); NULL after printing why. */
static json_t *make_query (const struct qstat_opts *o, const struct cli *cli, char **ids, int n,
                           int64_t *seqs, const char **servers, const char *queue)
{
    /* Only -f (and JSON/DSV, which have every attribute) show
     * Variable_List: the other layouts do not ask for the environment. */
    bool full = o->layout == LAYOUT_FULL || o->layout == LAYOUT_JSON || o->layout == LAYOUT_DSV;
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
    if (o->users && !strchr (o->users, ',') && !strchr (o->users, '@'))
        json_object_set_new (req, "user", json_string (o->users)); /* fewer pages */
    if (queue && queue[0])
        json_object_set_new (req, "queue", json_string (queue));
    json_decref (list);
    return req;
fail:
    json_decref (list);
    json_decref (req);
    return NULL;
}

/* Append what REQ returns (filtered) to ALL, and keep the server name in
 * META's "server".  IDS: the job id operands REQ names, for their
 * messages. */
static int run_query (struct cli *cli, const struct qstat_opts *o, json_t *req, char **ids, int n,
                      const int64_t *seqs, const char **servers, json_t *all, json_t *meta,
                      int *status)
{
    json_t *reply = cli_query_jobs (cli, req, status);
    if (reply == NULL)
        return -1;
    json_t *jobs = json_object_get (reply, "jobs");
    if (!json_is_array (jobs)) {
        fprintf (stderr, "qstat: the controller's reply has no job list\n");
        json_decref (reply);
        *status = CLI_EXIT_FAIL;
        return -1;
    }
    const char *server = cli_server_name (cli, reply);
    json_t *named =
        n > 0 ? select_jobs (cli, jobs, ids, seqs, servers, n, o->finished, server, status)
              : json_incref (jobs);
    json_t *kept = named ? filter_jobs (o, named) : NULL;
    int rc = kept && json_array_extend (all, kept) == 0 ? 0 : -1;
    if (rc < 0) {
        fprintf (stderr, "qstat: out of memory\n");
        *status = CLI_EXIT_FAIL;
    }
    if (!json_object_get (meta, "server") && server)
        json_object_set_new (meta, "server", json_string (server));
    json_decref (kept);
    json_decref (named);
    json_decref (reply);
    return rc;
}

/* qstat -Q [DESTINATION...] and -B [SERVER...]: queue.query (the named
 * queues, all without names) or server.query, in the layout asked for. */
static int show_queues_or_server (struct cli *cli, const struct qstat_opts *o, char **operands,
                                  int n)
{
    bool queues = o->mode == MODE_QUEUES;
    int status = 0;
    json_t *req = json_pack ("{s:s}", "type", queues ? "queue.query" : "server.query");
    json_t *names = json_array();

    for (int i = 0; queues && i < n && names; i++)
        json_array_append_new (names, json_string (operands[i]));
    if (req && names && queues && n > 0)
        json_object_set (req, "names", names);
    json_decref (names);
    json_t *reply = cli_request (cli, req, NULL, &status);
    if (!reply)
        return status ? status : CLI_EXIT_FAIL;
    const char *server = cli_server_name (cli, reply);
    json_t *what = json_object_get (reply, queues ? "queues" : "status");
    struct format_ctx ctx = {.server = server, .version = PACKAGE_VERSION, .now = time (NULL)};
    const char *delim = o->delim ? o->delim : "|";
    int rc = -1;
    /* -B SERVER: one server answers; another's name is PBS's connect failure */
    for (int i = 0; !queues && i < n; i++) {
        if (!jobspec_server_matches (operands[i], server) &&
            strcmp (operands[i], cli->host ? cli->host : "") != 0) {
            fprintf (stderr, "qstat: cannot connect to server %s (this is %s)\n", operands[i],
                     server);
            status = CLI_EXIT_FAIL;
        }
    }
    switch (o->layout) {
    case LAYOUT_TABLE:
    case LAYOUT_ALT:
        rc = queues ? format_queues_table (stdout, what) : format_server_table (stdout, what);
        break;
    case LAYOUT_FULL:
        rc = queues ? format_queues_full (stdout, what, &ctx)
                    : format_server_full (stdout, what, &ctx);
        break;
    case LAYOUT_JSON:
        rc = queues ? format_queues_json (stdout, what, &ctx)
                    : format_server_json (stdout, what, &ctx);
        break;
    case LAYOUT_DSV:
        rc = queues ? format_queues_dsv (stdout, what, delim, &ctx)
                    : format_server_dsv (stdout, what, delim, &ctx);
        break;
    }
    if (rc < 0 || fflush (stdout) != 0) {
        fprintf (stderr, "qstat: cannot write the output\n");
        status = CLI_EXIT_FAIL;
    }
    json_decref (reply);
    return status;
}

int main (int argc, char **argv)
{
    struct qstat_opts o = {0};
    struct cli cli = {.prog = "qstat"};
    int status = CLI_EXIT_FAIL, n, nids = 0;
    int64_t *seqs;
    const char **servers;
    char **ids;
    json_t *all = json_array(), *meta = json_object();

    parse_options (argc, argv, &o);
    n = argc - optind;
    seqs = calloc ((size_t)n + 1, sizeof (*seqs));
    servers = calloc ((size_t)n + 1, sizeof (*servers));
    ids = calloc ((size_t)n + 1, sizeof (*ids));
    if (!seqs || !servers || !ids || !all || !meta) {
        fprintf (stderr, "qstat: out of memory\n");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        if (!is_destination (argv[optind + i]))
            ids[nids++] = argv[optind + i];
    }
    if (cli_open (&cli, "qstat") < 0)
        goto out;
    if (o.mode != MODE_JOBS) {
        status = show_queues_or_server (&cli, &o, argv + optind, n);
        goto done;
    }
    status = 0;
    /* the job ids, then each destination's jobs, in the order given */
    if (nids > 0 || nids == n) {
        json_t *req = make_query (&o, &cli, ids, nids, seqs, servers, NULL);
        if (!req || run_query (&cli, &o, req, ids, nids, seqs, servers, all, meta, &status) < 0)
            goto done;
    }
    for (int i = 0; i < n; i++) {
        const char *d = argv[optind + i];
        if (!is_destination (d))
            continue;
        char queue[256];
        const char *at = strchr (d, '@');
        snprintf (queue, sizeof (queue), "%.*s", at ? (int)(at - d) : (int)strlen (d), d);
        json_t *part = json_array();
        json_t *req = make_query (&o, &cli, NULL, 0, seqs, servers, queue);
        if (!part || !req ||
            run_query (&cli, &o, req, NULL, 0, seqs, servers, part, meta, &status) < 0) {
            json_decref (part);
            continue;
        }
        /* one server answers: "@OTHER" names none of its jobs */
        const char *name = json_string_value (json_object_get (meta, "server"));
        if (at && strcmp (at + 1, cli.host ? cli.host : "") != 0 &&
            !(name && jobspec_server_matches (at + 1, name))) {
            fprintf (stderr, "qstat: cannot connect to server %s (this is %s)\n", at + 1,
                     name ? name : "?");
            status = CLI_EXIT_FAIL;
        } else if (json_array_extend (all, part) < 0) {
            status = CLI_EXIT_FAIL;
        }
        json_decref (part);
    }
    json_t *reply = json_pack ("{s:O, s:O}", "jobs", all, "server",
                               json_object_get (meta, "server") ?: json_null());
    if (!reply || render (&o, all, &cli, reply) < 0 || fflush (stdout) != 0) {
        fprintf (stderr, "qstat: cannot write the output\n");
        status = CLI_EXIT_FAIL;
    }
    json_decref (reply);
done:
    cli_close (&cli);
out:
    json_decref (all);
    json_decref (meta);
    free (seqs);
    free (servers);
    free (ids);
    return status;
}
