/* qselect - the ids of the jobs that meet criteria, as OpenPBS's qselect
 *
 *     qselect [-h hold_list] [-H] [-l resource_list] [-N name] [-p [op]priority]
 *             [-q destination] [-r y|n] [-s states] [-u user_list] [-x]
 *             [-A account] [-P project]
 *
 * One job id per line, in submit order, for every job meeting all the
 * criteria given; without -x (or -H) finished jobs are left out.  A
 * resource_list is RES.OP.VALUE[,RES.OP.VALUE...] with OP one of eq ne ge
 * gt le lt: ncpus, ngpus, nodect and mpiprocs compare as numbers, mem as
 * a size (2gb), walltime as a duration (1:00:00), anything else (place) as
 * text with eq and ne only.  -p takes [.OP.]PRIORITY.  Options huddle has no
 * data for (-a execution time, -c checkpoint, -J, -t, -T) are refused with
 * a sentence rather than ignored, so a script never gets a wrong list.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#include "common/pbs_format.h"
#include "common/pbs_resources.h"

#include "climain.h"
#include "format.h"

#define MAX_CRIT 32

enum op { OP_EQ, OP_NE, OP_GE, OP_GT, OP_LE, OP_LT };
static const char *const op_names[] = {"eq", "ne", "ge", "gt", "le", "lt"};

struct crit {
    char res[32];
    enum op op;
    bool text;      /* compare value as text */
    int64_t number; /* numbers, sizes (bytes), durations (seconds) */
    char value[128];
};

struct opts {
    const char *holds, *name, *queue, *rerun, *states, *users, *account, *project;
    bool finished, history;
    struct crit crit[MAX_CRIT];
    int ncrit;
    bool have_priority;
    struct crit priority;
};

static void usage (void)
{
    fprintf (stderr, "usage: qselect [-h hold_list] [-H] [-l resource_list] [-N name]\n"
                     "\t[-p [op]priority] [-q destination] [-r y|n] [-s states]\n"
                     "\t[-u user_list] [-x] [-A account] [-P project]\n"
                     "       qselect --version\n");
    exit (CLI_EXIT_USAGE);
}

static void bad (const char *what, const char *value, const char *why)
{
    fprintf (stderr, "qselect: %s \"%s\": %s\n", what, value, why);
    exit (CLI_EXIT_USAGE);
}

/* ".OP." at *S (after the resource name), moved past. */
static bool parse_op (const char **s, enum op *op)
{
    for (int k = 0; k < 6; k++) {
        size_t n = strlen (op_names[k]);
        if ((*s)[0] == '.' && strncmp (*s + 1, op_names[k], n) == 0 && (*s)[n + 1] == '.') {
            *op = (enum op)k;
            *s += n + 2;
            return true;
        }
    }
    return false;
}

/* The value of C as the kind of resource its name says. */
static void parse_value (struct crit *c, const char *v)
{
    struct herror err;
    snprintf (c->value, sizeof (c->value), "%s", v);
    if (strcmp (c->res, "mem") == 0) {
        uint64_t b;
        if (pbs_size_parse (v, &b, &err) < 0)
            bad ("-l mem", v, err.text);
        c->number = (int64_t)b;
    } else if (strcmp (c->res, "walltime") == 0) {
        if (pbs_walltime_parse (v, &c->number, &err) < 0)
            bad ("-l walltime", v, err.text);
    } else if (strcmp (c->res, "ncpus") == 0 || strcmp (c->res, "ngpus") == 0 ||
               strcmp (c->res, "nodect") == 0 || strcmp (c->res, "mpiprocs") == 0 ||
               strcmp (c->res, "priority") == 0) {
        char *end;
        c->number = strtoll (v, &end, 10);
        if (!*v || *end)
            bad ("-l", v, "not a whole number");
    } else {
        c->text = true;
        if (c->op != OP_EQ && c->op != OP_NE)
            bad ("-l", c->res, "only .eq. and .ne. compare text");
    }
}

static void parse_resources (struct opts *o, const char *list)
{
    const char *p = list;
    while (*p) {
        size_t len = strcspn (p, ",");
        char item[192];
        snprintf (item, sizeof (item), "%.*s", (int)len, p);
        if (o->ncrit == MAX_CRIT)
            bad ("-l", list, "too many criteria");
        struct crit *c = &o->crit[o->ncrit++];
        size_t nl = strcspn (item, ".");
        const char *rest = item + nl;
        snprintf (c->res, sizeof (c->res), "%.*s", (int)nl, item);
        if (nl == 0 || !parse_op (&rest, &c->op))
            bad ("-l", item, "expected RESOURCE.OP.VALUE with OP eq ne ge gt le lt");
        parse_value (c, rest);
        p += len + (p[len] == ',');
    }
}

static void parse_options (int argc, char **argv, struct opts *o)
{
    int c;
    if (argc > 1 && strcmp (argv[1], "--version") == 0) {
        printf ("pbs_version = %s\n", PACKAGE_VERSION);
        exit (0);
    }
    while ((c = getopt (argc, argv, "a:A:c:h:HJl:N:p:P:q:r:s:t:Tu:x")) != -1) {
        switch (c) {
        case 'a':
        case 'c':
        case 'J':
        case 't':
        case 'T':
            fprintf (stderr, "qselect: -%c: huddle does not keep %s yet\n", c,
                     c == 'a'   ? "execution times (qsub -a)"
                     : c == 'c' ? "checkpoint intervals"
                     : c == 'T' ? "estimated start times"
                                : "job arrays");
            exit (CLI_EXIT_USAGE);
        case 'A':
            o->account = optarg;
            break;
        case 'h':
            o->holds = optarg;
            break;
        case 'H':
            o->history = o->finished = true;
            break;
        case 'l':
            parse_resources (o, optarg);
            break;
        case 'N':
            o->name = optarg;
            break;
        case 'p': {
            const char *v = optarg;
            o->priority = (struct crit){.res = "priority", .op = OP_EQ};
            if (v[0] == '.' && !parse_op (&v, &o->priority.op))
                bad ("-p", optarg, "expected [.OP.]PRIORITY with OP eq ne ge gt le lt");
            parse_value (&o->priority, v);
            o->have_priority = true;
            break;
        }
        case 'P':
            o->project = optarg;
            break;
        case 'q':
            o->queue = optarg;
            break;
        case 'r':
            if (strcmp (optarg, "y") != 0 && strcmp (optarg, "n") != 0)
                bad ("-r", optarg, "must be y or n");
            o->rerun = optarg;
            break;
        case 's':
            if (strspn (optarg, "EFHMQRSTUWX") != strlen (optarg))
                bad ("-s", optarg, "states are letters of EFHMQRSTUWX");
            o->states = optarg;
            break;
        case 'u':
            o->users = optarg;
            break;
        case 'x':
            o->finished = true;
            break;
        default:
            usage();
        }
    }
    if (optind < argc)
        usage();
}

static bool compare (const struct crit *c, int64_t have, const char *text)
{
    int cmp =
        c->text ? strcmp (text ? text : "", c->value) : (have > c->number) - (have < c->number);
    switch (c->op) {
    case OP_EQ:
        return cmp == 0;
    case OP_NE:
        return cmp != 0;
    case OP_GE:
        return cmp >= 0;
    case OP_GT:
        return cmp > 0;
    case OP_LE:
        return cmp <= 0;
    case OP_LT:
        return cmp < 0;
    }
    return false;
}

static const char *mstr (const json_t *o, const char *key)
{
    return json_string_value (json_object_get (o, key));
}

static bool resource_matches (const struct crit *c, const json_t *job, const struct resreq *r)
{
    int64_t have = 0;
    char place[PBS_FORMAT_BUFSIZE + 16];
    if (strcmp (c->res, "ncpus") == 0)
        have = resreq_total_ncpus (r);
    else if (strcmp (c->res, "ngpus") == 0)
        have = resreq_total_ngpus (r);
    else if (strcmp (c->res, "nodect") == 0)
        have = format_resreq_nodect (r);
    else if (strcmp (c->res, "mem") == 0)
        have = (int64_t)pbs_resreq_total_mem (r);
    else if (strcmp (c->res, "walltime") == 0)
        have = r->walltime;
    else if (strcmp (c->res, "mpiprocs") == 0) {
        for (int i = 0; i < r->nchunks; i++)
            have += (int64_t)r->chunks[i].count * r->chunks[i].mpiprocs;
    } else if (strcmp (c->res, "place") == 0) {
        return compare (c, 0, format_place (r, place, sizeof (place)));
    } else {
        return compare (c, 0, mstr (job, c->res));
    }
    return compare (c, have, NULL);
}

static bool selected (const struct opts *o, const json_t *job)
{
    const char *state = mstr (job, "state");
    const char *owner = mstr (job, "owner");
    char s = state ? state[0] : '?';
    if (o->history && s != 'F')
        return false;
    if (o->states && !strchr (o->states, s))
        return false;
    if (o->users && !(owner && cli_user_listed (o->users, owner)))
        return false;
    if (o->name && strcmp (o->name, mstr (job, "name") ?: "STDIN") != 0)
        return false;
    if (o->holds) { /* any of the job's hold kinds listed (n: none) */
        const char *have = format_hold_types (job);
        bool any = false;
        for (const char *h = have; *h && !any; h++)
            any = strchr (o->holds, *h) != NULL;
        if (!any)
            return false;
    }
    if (o->rerun &&
        (json_is_false (json_object_get (job, "rerunnable")) ? 'n' : 'y') != o->rerun[0])
        return false;
    if (o->account && strcmp (o->account, mstr (job, "account") ?: "") != 0)
        return false;
    if (o->project && strcmp (o->project, mstr (job, "project") ?: "_pbs_project_default") != 0)
        return false;
    if (o->have_priority &&
        !compare (&o->priority, json_integer_value (json_object_get (job, "priority")), NULL))
        return false;
    if (o->ncrit == 0)
        return true;
    struct resreq r;
    if (format_job_resreq (job, &r) < 0)
        return false;
    bool ok = true;
    for (int i = 0; ok && i < o->ncrit; i++)
        ok = resource_matches (&o->crit[i], job, &r);
    resreq_clear (&r);
    return ok;
}

int main (int argc, char **argv)
{
    struct opts o = {0};
    struct cli cli = {.prog = "qselect"};
    int status = 0;

    parse_options (argc, argv, &o);
    json_t *req = json_pack ("{s:s, s:b}", "type", "job.query", "finished", o.finished);
    if (req && o.users && !strchr (o.users, ',') && !strchr (o.users, '@'))
        json_object_set_new (req, "user", json_string (o.users));
    if (req && o.queue && o.queue[0] != '@') {
        char q[256];
        snprintf (q, sizeof (q), "%.*s", (int)strcspn (o.queue, "@"), o.queue);
        json_object_set_new (req, "queue", json_string (q));
    }
    if (cli_open (&cli, "qselect") < 0) {
        json_decref (req);
        return CLI_EXIT_FAIL;
    }
    json_t *reply = cli_query_jobs (&cli, req, &status);
    size_t i;
    json_t *job;
    json_array_foreach (json_object_get (reply, "jobs"), i, job)
    {
        if (selected (&o, job))
            printf ("%s\n", mstr (job, "jobid") ?: "?");
    }
    if (fflush (stdout) != 0) {
        fprintf (stderr, "qselect: cannot write the output\n");
        status = CLI_EXIT_FAIL;
    }
    json_decref (reply);
    cli_close (&cli);
    return status;
}
