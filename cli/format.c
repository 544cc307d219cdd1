/* format.c - PBS-shaped rendering of jobs and nodes (see format.h)
 *
 * The layouts (column widths, truncation with '*', the 78-column wrapping
 * of qstat -f, the attribute names and their order) follow OpenPBS's
 * qstat and pbsnodes, because scripts in the wild parse them.  Where PBS has
 * a quirk (a 16-character job name is already truncated, the -aS header is
 * not aligned with its rows) the quirk is kept on purpose.
 *
 * Jobs and nodes are first turned into an ordered list of PBS attributes
 * (name, resource, text value); the text and the JSON renderers both walk
 * that list, so the two outputs cannot disagree.
 */
#define _GNU_SOURCE /* vasprintf, open_memstream */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/jobspec.h"
#include "common/pbs_format.h"
#include "common/pbs_resources.h"
#include "common/resreq.h"

#include "format.h"

#define LINE_LIMIT 78 /* qstat -f breaks values before this column */
#define TRUNC_CHAR '*'
#define NO_VALUE   " -- " /* qstat -a/-n for an unset column */

/* ------------------------------------------------------ reading members */

static const char *mstr (const json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value (json_object_get (o, key));
    return s ? s : dflt;
}

static int64_t mint (const json_t *o, const char *key, int64_t dflt)
{
    json_t *v = json_object_get (o, key);
    return json_is_integer (v) ? json_integer_value (v) : dflt;
}

static bool mhas (const json_t *o, const char *key)
{
    json_t *v = json_object_get (o, key);
    return v != NULL && !json_is_null (v);
}

/* ---------------------------------------------------------- value text */

/* ctime(3) without its newline: "Sat Nov 28 02:49:50 2026". */
static void fmt_ctime (char *buf, size_t len, int64_t epoch)
{
    time_t t = (time_t)epoch;
    struct tm tm;
    if (localtime_r (&t, &tm) == NULL || strftime (buf, len, "%a %b %e %H:%M:%S %Y", &tm) == 0)
        snprintf (buf, len, "%" PRId64, epoch);
}

/* Copy s into buf; when it is longer than max_len keep `keep` characters and
 * mark the cut with '*', as qstat does. */
static const char *fit (char *buf, size_t size, const char *s, size_t max_len, size_t keep)
{
    if (strlen (s) <= max_len)
        snprintf (buf, size, "%s", s);
    else
        snprintf (buf, size, "%.*s%c", (int)keep, s, TRUNC_CHAR);
    return buf;
}

/* ------------------------------------------------------ attribute lists */

struct attr {
    const char *name; /* PBS attribute name (a literal) */
    const char *res;  /* resource name (a literal) or NULL */
    char *value;      /* owned */
};

struct attrs {
    struct attr *v;
    size_t n, cap;
    bool nomem; /* an add failed: the list is incomplete */
};

static void attrs_vadd (struct attrs *a, const char *name, const char *res, const char *fmt,
                        va_list ap)
{
    char *value;
    if (a->nomem)
        return;
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 48;
        struct attr *v = realloc (a->v, cap * sizeof (*v));
        if (v == NULL) {
            a->nomem = true;
            return;
        }
        a->v = v;
        a->cap = cap;
    }
    if (vasprintf (&value, fmt, ap) < 0) {
        a->nomem = true;
        return;
    }
    a->v[a->n++] = (struct attr){name, res, value};
}

static void attrs_add (struct attrs *a, const char *name, const char *res, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static void attrs_add (struct attrs *a, const char *name, const char *res, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    attrs_vadd (a, name, res, fmt, ap);
    va_end (ap);
}

/* Add a value built in a memstream buffer (taken over; NULL = out of memory). */
static void attrs_add_built (struct attrs *a, const char *name, const char *res, char *built)
{
    if (built == NULL)
        a->nomem = true;
    else
        attrs_add (a, name, res, "%s", built);
    free (built);
}

static void attrs_clear (struct attrs *a)
{
    for (size_t i = 0; i < a->n; i++)
        free (a->v[i].value);
    free (a->v);
    *a = (struct attrs){0};
}

/* Fills a with the attributes of a job or a node. */
typedef void (*attrs_f) (struct attrs *a, const json_t *o, const struct format_ctx *ctx);

/* Prints one attribute line. */
typedef void (*attr_print_f) (FILE *out, const struct attr *at);

/* A growable string: open_memstream with the error folded into the result. */
struct sbuf {
    FILE *f;
    char *buf;
    size_t len;
};

static FILE *sbuf_open (struct sbuf *s)
{
    s->buf = NULL;
    s->len = 0;
    s->f = open_memstream (&s->buf, &s->len);
    return s->f;
}

/* The built string (caller frees), or NULL when anything failed. */
static char *sbuf_take (struct sbuf *s)
{
    if (s->f == NULL)
        return NULL;
    if (fclose (s->f) != 0) {
        free (s->buf);
        return NULL;
    }
    return s->buf;
}

/* ------------------------------------------------------------ job facts */

/* The job's request as the shared struct, so that common/pbs_format prints
 * it exactly as qsub's parser reads it back.  Caller resreq_clear()s. */
int format_job_resreq (const json_t *job, struct resreq *r)
{
    json_t *chunks = json_object_get (job, "chunks");
    json_t *place = json_object_get (job, "place");
    char text[64];
    size_t i;
    json_t *c;

    *r = (struct resreq){0};
    if (json_array_size (chunks) > 0) {
        r->chunks = calloc (json_array_size (chunks), sizeof (*r->chunks));
        if (r->chunks == NULL)
            return -1;
        r->nchunks = (int)json_array_size (chunks);
    }
    json_array_foreach (chunks, i, c)
    {
        struct resreq_chunk *rc = &r->chunks[i];
        rc->count = (int)mint (c, "count", 1);
        rc->ncpus = (int)mint (c, "ncpus", 1);
        rc->mpiprocs = (int)mint (c, "mpiprocs", rc->ncpus > 0 ? 1 : 0);
        rc->ngpus = (int)mint (c, "ngpus", 0);
        rc->mem = (uint64_t)mint (c, "mem", 0);
        snprintf (rc->host, sizeof (rc->host), "%s", mstr (c, "host", ""));
        rc->ompthreads = (int)mint (c, "ompthreads", 0);
        snprintf (rc->labels, sizeof (rc->labels), "%s", mstr (c, "labels", ""));
    }
    snprintf (text, sizeof (text), "%s:%s", mstr (place, "arrangement", "free"),
              mstr (place, "sharing", "shared"));
    (void)pbs_place_parse (text, &r->arrangement, &r->sharing, NULL, NULL);
    r->group_switch = strcmp (mstr (place, "group", ""), "switch") == 0;
    json_t *sw = json_object_get (job, "switches");
    r->max_switches = (int)mint (sw, "max", 0);
    r->switches_wait = mint (sw, "wait", -1);
    r->walltime = mint (job, "walltime", 0);
    snprintf (r->pgroup, sizeof (r->pgroup), "%s", mstr (job, "pgroup", ""));
    return 0;
}

char *format_place (const struct resreq *r, char *buf, size_t len)
{
    char place[PBS_FORMAT_BUFSIZE];
    snprintf (buf, len, "%s%s",
              pbs_format_place (r->arrangement, r->sharing, place, sizeof (place)),
              r->group_switch ? ":group=switch" : "");
    return buf;
}

int64_t format_resreq_nodect (const struct resreq *r)
{
    int64_t n = 0;
    for (int i = 0; i < r->nchunks; i++)
        n += r->chunks[i].count;
    return n;
}

static int64_t job_seq (const json_t *job)
{
    return mhas (job, "seq") ? mint (job, "seq", 0) : strtoll (mstr (job, "jobid", "0"), NULL, 10);
}

/* The server part of "SEQ.SERVER", else the context's. */
static const char *job_server (const json_t *job, const struct format_ctx *ctx)
{
    const char *dot = strchr (mstr (job, "jobid", ""), '.');
    return dot ? dot + 1 : (ctx->server ? ctx->server : "");
}

/* Seconds the job has run: resources_used.walltime when the controller sent
 * it, else measured from start_time to end_time (or now). */
static int64_t job_walltime_used (const json_t *job, const struct format_ctx *ctx)
{
    json_t *used = json_object_get (job, "resources_used");
    if (mhas (used, "walltime"))
        return mint (used, "walltime", 0);
    if (!mhas (job, "start_time"))
        return -1;
    return mint (job, "end_time", (int64_t)ctx->now) - mint (job, "start_time", 0);
}

static int64_t lowest (const json_t *ints)
{
    size_t i;
    json_t *v;
    int64_t low = 0;
    json_array_foreach (ints, i, v)
    {
        if (i == 0 || json_integer_value (v) < low)
            low = json_integer_value (v);
    }
    return low;
}

/* exec_host entry: NODE/FIRSTCORE*NCORES ("/N" alone for one core). */
static void write_exec_host (FILE *f, const json_t *a)
{
    json_t *cores = json_object_get (a, "cores");
    fprintf (f, "%s/%" PRId64, mstr (a, "node", "?"), lowest (cores));
    if (json_array_size (cores) > 1)
        fprintf (f, "*%zu", json_array_size (cores));
}

/* exec_vnode entry: (NODE:ncpus=N[:ngpus=G][:mem=Mkb]). */
static void write_exec_vnode (FILE *f, const json_t *a)
{
    size_t ngpus = json_array_size (json_object_get (a, "gpus"));
    fprintf (f, "(%s:ncpus=%zu", mstr (a, "node", "?"),
             json_array_size (json_object_get (a, "cores")));
    if (ngpus > 0)
        fprintf (f, ":ngpus=%zu", ngpus);
    if (mint (a, "mem", 0) > 0)
        fprintf (f, ":mem=%" PRId64 "kb", (mint (a, "mem", 0) + 1023) / 1024);
    fputc (')', f);
}

/* The allocation's entries written by write, joined with '+'. */
static char *join_allocation (const json_t *alloc, void (*write) (FILE *f, const json_t *a))
{
    struct sbuf s;
    size_t i;
    json_t *a;
    if (sbuf_open (&s) == NULL)
        return NULL;
    json_array_foreach (alloc, i, a)
    {
        if (i > 0)
            fputc ('+', s.f);
        write (s.f, a);
    }
    return sbuf_take (&s);
}

/* Variable_List: NAME=VALUE joined with commas, commas in values escaped. */
static char *job_variable_list (const json_t *env)
{
    struct sbuf s;
    const char *key;
    json_t *v;
    bool first = true;
    if (sbuf_open (&s) == NULL)
        return NULL;
    json_object_foreach ((json_t *)env, key, v)
    {
        fprintf (s.f, "%s%s=", first ? "" : ",", key);
        for (const char *p = json_string_value (v); p && *p; p++) {
            if (*p == ',')
                fputc ('\\', s.f);
            fputc (*p, s.f);
        }
        first = false;
    }
    return sbuf_take (&s);
}

/* Output_Path / Error_Path: HOST:PATH, PBS's NAME.oSEQ in the submit
 * directory when the user gave none. */
static void job_path (struct attrs *a, const json_t *job, const char *attr, const char *member,
                      char letter)
{
    const char *host = mstr (job, "submit_host", "");
    const char *dir = mstr (job, "workdir", "");
    const char *given = mstr (job, member, NULL);
    size_t glen = given ? strlen (given) : 0;
    if (glen > 0 && given[glen - 1] == '/') /* a directory: PBS's name inside it */
        attrs_add (a, attr, NULL, "%s%s%s%s.%c%" PRId64, strchr (given, ':') ? "" : host,
                   strchr (given, ':') ? "" : ":", given, mstr (job, "name", "STDIN"), letter,
                   job_seq (job));
    else if (given && strchr (given, ':'))
        attrs_add (a, attr, NULL, "%s", given);
    else if (given && given[0] == '/')
        attrs_add (a, attr, NULL, "%s:%s", host, given);
    else if (given)
        attrs_add (a, attr, NULL, "%s:%s/%s", host, dir, given);
    else
        attrs_add (a, attr, NULL, "%s:%s/%s.%c%" PRId64, host, dir, mstr (job, "name", "STDIN"),
                   letter, job_seq (job));
}

static void job_add_time (struct attrs *a, const char *name, const json_t *job, const char *member)
{
    char buf[64];
    if (!mhas (job, member))
        return;
    fmt_ctime (buf, sizeof (buf), mint (job, member, 0));
    attrs_add (a, name, NULL, "%s", buf);
}

static void job_resources_used (struct attrs *a, const json_t *job, const struct format_ctx *ctx,
                                const struct resreq *r)
{
    json_t *used = json_object_get (job, "resources_used");
    json_t *alloc = json_object_get (job, "allocation");
    int64_t ncpus = 0;
    size_t i;
    json_t *e;
    char buf[PBS_FORMAT_BUFSIZE];

    if (used == NULL && !mhas (job, "start_time"))
        return;
    json_array_foreach (alloc, i, e)
    {
        ncpus += (int64_t)json_array_size (json_object_get (e, "cores"));
    }
    attrs_add (a, "resources_used", "cput", "%s",
               pbs_format_walltime (mint (used, "cput", 0), buf, sizeof (buf)));
    attrs_add (a, "resources_used", "mem", "%" PRId64 "kb", mint (used, "mem_kb", 0));
    attrs_add (a, "resources_used", "ncpus", "%" PRId64,
               ncpus ? ncpus : (int64_t)resreq_total_ncpus (r));
    attrs_add (a, "resources_used", "walltime", "%s",
               pbs_format_walltime (job_walltime_used (job, ctx), buf, sizeof (buf)));
}

/* A text attribute of the job object (common/jobspec.h) under its PBS
 * name; dflt (NULL: none) when the job has none. */
static void job_text_attr (struct attrs *a, const json_t *job, enum jobspec_attr at,
                           const char *dflt)
{
    const char *v = mstr (job, jobspec_attr_name (at), dflt);
    if (v)
        attrs_add (a, jobspec_attr_pbs_name (at), NULL, "%s", v);
}

/* Resource_List.NAME of a limit (the "limits" member), when set. */
static void job_limit (struct attrs *a, const json_t *job, const char *name, bool is_time)
{
    char buf[PBS_FORMAT_BUFSIZE];
    int64_t v = mint (json_object_get (job, "limits"), name, 0);
    if (v > 0)
        attrs_add (a, "Resource_List", name, "%s",
                   is_time ? pbs_format_walltime (v, buf, sizeof (buf))
                           : pbs_format_size ((uint64_t)v, buf, sizeof (buf)));
}

/* Resource_List in PBS's (alphabetical) order. */
static void job_resource_list (struct attrs *a, const json_t *job, const struct resreq *r)
{
    char buf[PBS_FORMAT_BUFSIZE];
    uint64_t mem = pbs_resreq_total_mem (r);
    job_limit (a, job, "cput", true);
    job_limit (a, job, "file", false);
    if (mem > 0)
        attrs_add (a, "Resource_List", "mem", "%s", pbs_format_size (mem, buf, sizeof (buf)));
    attrs_add (a, "Resource_List", "ncpus", "%d", resreq_total_ncpus (r));
    if (resreq_total_ngpus (r) > 0)
        attrs_add (a, "Resource_List", "ngpus", "%d", resreq_total_ngpus (r));
    attrs_add (a, "Resource_List", "nodect", "%" PRId64, format_resreq_nodect (r));
    if (mhas (job, "nice"))
        attrs_add (a, "Resource_List", "nice", "%" PRId64, mint (job, "nice", 0));
    job_limit (a, job, "pcput", true);
    if (r->pgroup[0])
        attrs_add (a, "Resource_List", "pgroup", "%s", r->pgroup);
    attrs_add (a, "Resource_List", "place", "%s", format_place (r, buf, sizeof (buf)));
    job_limit (a, job, "pmem", false);
    job_limit (a, job, "pvmem", false);
    attrs_add_built (a, "Resource_List", "select", pbs_format_select (r));
    if (mhas (job, "software"))
        attrs_add (a, "Resource_List", "software", "%s", mstr (job, "software", ""));
    if (r->max_switches > 0 && r->switches_wait >= 0)
        attrs_add (a, "Resource_List", "switches", "%d@%s", r->max_switches,
                   pbs_format_walltime (r->switches_wait, buf, sizeof (buf)));
    else if (r->max_switches > 0)
        attrs_add (a, "Resource_List", "switches", "%d", r->max_switches);
    job_limit (a, job, "vmem", false);
    if (r->walltime > 0)
        attrs_add (a, "Resource_List", "walltime", "%s",
                   pbs_format_walltime (r->walltime, buf, sizeof (buf)));
}

/* OpenPBS's substate numbers for the states huddle has (queued 10, held
 * 20, waiting 30, running 42, exiting 50, finished 92). */
static int job_substate (const char *state)
{
    switch (state[0]) {
    case 'H':
        return 20;
    case 'W':
        return 30;
    case 'R':
        return 42;
    case 'E':
        return 50;
    case 'F':
        return 92;
    default:
        return 10;
    }
}

/* Submit_arguments: what qsub recorded, else the "-- command" of qsub --. */
static void job_submit_arguments (struct attrs *a, const json_t *job)
{
    json_t *argv = json_object_get (job, "argv");
    struct sbuf s;
    size_t i;
    json_t *v;
    if (mhas (job, "submit_args")) {
        attrs_add (a, "Submit_arguments", NULL, "%s", mstr (job, "submit_args", ""));
        return;
    }
    if (json_array_size (argv) == 0)
        return;
    if (sbuf_open (&s) == NULL) {
        a->nomem = true;
        return;
    }
    fputs ("--", s.f);
    json_array_foreach (argv, i, v)
    {
        fprintf (s.f, " %s", json_string_value (v) ? json_string_value (v) : "");
    }
    attrs_add_built (a, "Submit_arguments", NULL, sbuf_take (&s));
}

/* Every attribute qstat -f shows, in OpenPBS's order. */
static void job_attrs (struct attrs *a, const json_t *job, const struct format_ctx *ctx)
{
    const char *state = mstr (job, "state", "Q");
    json_t *alloc = json_object_get (job, "allocation");
    json_t *env = json_object_get (job, "env");
    struct resreq r;
    int64_t mtime;

    if (format_job_resreq (job, &r) < 0) {
        a->nomem = true;
        return;
    }
    attrs_add (a, "Job_Name", NULL, "%s", mstr (job, "name", "STDIN"));
    if (mhas (job, "submit_host"))
        attrs_add (a, "Job_Owner", NULL, "%s@%s", mstr (job, "owner", "?"),
                   mstr (job, "submit_host", ""));
    else
        attrs_add (a, "Job_Owner", NULL, "%s", mstr (job, "owner", "?"));
    job_resources_used (a, job, ctx, &r);
    attrs_add (a, "job_state", NULL, "%s", state);
    attrs_add (a, "queue", NULL, "%s", mstr (job, "queue", "workq"));
    attrs_add (a, "server", NULL, "%s", job_server (job, ctx));
    job_text_attr (a, job, JOBSPEC_ACCOUNT, NULL);
    job_text_attr (a, job, JOBSPEC_CHECKPOINT, "u");
    job_add_time (a, "ctime", job, "submit_time");
    job_path (a, job, "Error_Path", "error", 'e');
    if (json_array_size (alloc) > 0) {
        attrs_add_built (a, "exec_host", NULL, join_allocation (alloc, write_exec_host));
        attrs_add_built (a, "exec_vnode", NULL, join_allocation (alloc, write_exec_vnode));
    }
    job_add_time (a, "Execution_Time", job, "execution_time");
    job_text_attr (a, job, JOBSPEC_GROUP_LIST, NULL);
    /* set by the controller at start when a fabric or measured links say it */
    if (mhas (job, "switches_spanned"))
        attrs_add (a, "switches_spanned", NULL, "%" PRId64, mint (job, "switches_spanned", 0));
    if (mhas (job, "common_switch"))
        attrs_add (a, "common_switch", NULL, "%s", mstr (job, "common_switch", ""));
    if (mhas (job, "max_link_latency_us"))
        attrs_add (a, "max_link_latency_us", NULL, "%.1f",
                   json_number_value (json_object_get (job, "max_link_latency_us")));
    if (mhas (job, "pgroup_partition"))
        attrs_add (a, "pgroup_partition", NULL, "%" PRId64, mint (job, "pgroup_partition", 0));
    attrs_add (a, "Hold_Types", NULL, "%s", strcmp (state, "H") == 0 ? "u" : "n");
    attrs_add (a, "Join_Path", NULL, "%s", mstr (job, "join", "n"));
    job_text_attr (a, job, JOBSPEC_KEEP_FILES, "n");
    job_text_attr (a, job, JOBSPEC_MAIL_POINTS, "a");
    job_text_attr (a, job, JOBSPEC_MAIL_USERS, NULL);
    mtime = mint (job, "mtime", 0);
    if (mtime == 0)
        mtime = mint (job, "end_time", mint (job, "start_time", mint (job, "submit_time", 0)));
    if (mtime > 0) {
        char buf[64];
        fmt_ctime (buf, sizeof (buf), mtime);
        attrs_add (a, "mtime", NULL, "%s", buf);
    }
    job_path (a, job, "Output_Path", "output", 'o');
    attrs_add (a, "Priority", NULL, "%" PRId64, mint (job, "priority", 0));
    job_add_time (a, "qtime", job, "submit_time");
    attrs_add (a, "Rerunable", NULL, "%s",
               json_is_false (json_object_get (job, "rerunnable")) ? "False" : "True");
    job_resource_list (a, job, &r);
    job_add_time (a, "stime", job, "start_time");
    if (mhas (job, "session_id"))
        attrs_add (a, "session_id", NULL, "%" PRId64, mint (job, "session_id", 0));
    job_text_attr (a, job, JOBSPEC_SHELL_PATH, NULL);
    if (mhas (job, "jobdir"))
        attrs_add (a, "jobdir", NULL, "%s", mstr (job, "jobdir", ""));
    attrs_add (a, "substate", NULL, "%d", job_substate (state));
    job_text_attr (a, job, JOBSPEC_USER_LIST, NULL);
    if (json_is_object (env))
        attrs_add_built (a, "Variable_List", NULL, job_variable_list (env));
    attrs_add (a, "euser", NULL, "%s", mstr (job, "owner", "?"));
    if (mhas (job, "group"))
        attrs_add (a, "egroup", NULL, "%s", mstr (job, "group", ""));
    else if (mhas (job, "gid"))
        attrs_add (a, "egroup", NULL, "%" PRId64, mint (job, "gid", 0));
    job_text_attr (a, job, JOBSPEC_SANDBOX, NULL);
    if (mhas (job, "comment"))
        attrs_add (a, "comment", NULL, "%s", mstr (job, "comment", ""));
    if (strcmp (state, "H") != 0)
        job_add_time (a, "etime", job, "submit_time");
    /* the scheduler's reservation for a queued job, as PBS shows it */
    if (json_array_size (json_object_get (job, "estimated_allocation")) > 0)
        attrs_add_built (
            a, "estimated", "exec_vnode",
            join_allocation (json_object_get (job, "estimated_allocation"), write_exec_vnode));
    if (mhas (job, "estimated_start_time")) {
        char buf[64];
        fmt_ctime (buf, sizeof (buf), mint (job, "estimated_start_time", 0));
        attrs_add (a, "estimated", "start_time", "%s", buf);
    }
    if (mhas (job, "umask"))
        attrs_add (a, "umask", NULL, "%o", (unsigned)mint (job, "umask", 0));
    attrs_add (a, "run_count", NULL, "%" PRId64, mint (job, "run_count", 0));
    if (mhas (job, "exit_status"))
        attrs_add (a, "Exit_status", NULL, "%" PRId64, mint (job, "exit_status", 0));
    job_submit_arguments (a, job);
    job_text_attr (a, job, JOBSPEC_PROJECT, NULL);
    if (mhas (job, "submit_host"))
        attrs_add (a, "Submit_Host", NULL, "%s", mstr (job, "submit_host", ""));
    resreq_clear (&r);
}

/* ------------------------------------------------------------ JSON out */

/* PBS's JSON writer prints values that read as numbers as numbers. */
static json_t *json_typed (const char *s)
{
    const char *p = s + (*s == '-');
    bool number = *p != '\0' && (*p != '0' || p[1] == '\0') && strlen (p) < 19;
    for (const char *q = p; number && *q; q++)
        number = *q >= '0' && *q <= '9';
    return number ? json_integer (strtoll (s, NULL, 10)) : json_string (s);
}

/* Turn the attribute list into one JSON object: NAME.RES attributes nest as
 * {"NAME": {"RES": v}}; Variable_List and node "jobs" come from src as an
 * object and an array; zero resources_assigned are left out, as in PBS. */
static json_t *attrs_to_json (const struct attrs *a, const json_t *src)
{
    json_t *obj = json_object();
    int rc = obj ? 0 : -1;
    for (size_t i = 0; i < a->n && rc == 0; i++) {
        const struct attr *at = &a->v[i];
        if (strcmp (at->name, "Variable_List") == 0) {
            rc = json_object_set_new (obj, at->name, json_deep_copy (json_object_get (src, "env")));
        } else if (strcmp (at->name, "jobs") == 0) {
            rc =
                json_object_set_new (obj, at->name, json_deep_copy (json_object_get (src, "jobs")));
        } else if (at->res == NULL) {
            rc = json_object_set_new (obj, at->name, json_typed (at->value));
        } else if (strcmp (at->name, "resources_assigned") == 0 && at->value[0] == '0') {
            continue;
        } else {
            json_t *group = json_object_get (obj, at->name);
            if (group == NULL) {
                group = json_object();
                rc = json_object_set_new (obj, at->name, group);
            }
            if (rc == 0)
                rc = json_object_set_new (group, at->res, json_typed (at->value));
        }
    }
    if (rc < 0) {
        json_decref (obj);
        errno = ENOMEM;
        return NULL;
    }
    return obj;
}

/* {"timestamp":..,"pbs_version":..,"pbs_server":..,SECTION:{KEY:{attrs}}} */
static int dump_json (FILE *out, const json_t *items, const char *section, const char *key,
                      attrs_f fill, const struct format_ctx *ctx)
{
    json_t *root = json_pack ("{s:I, s:s, s:s, s:{}}", "timestamp", (json_int_t)ctx->now,
                              "pbs_version", ctx->version ? ctx->version : "", "pbs_server",
                              ctx->server ? ctx->server : "", section);
    json_t *sect = json_object_get (root, section);
    size_t i;
    json_t *item;
    int rc = root ? 0 : -1;

    json_array_foreach (items, i, item)
    {
        struct attrs a = {0};
        json_t *obj;
        if (rc < 0)
            break;
        fill (&a, item, ctx);
        obj = a.nomem ? NULL : attrs_to_json (&a, item);
        attrs_clear (&a);
        rc = obj ? json_object_set_new (sect, mstr (item, key, "?"), obj) : -1;
    }
    if (rc == 0 && json_dumpf (root, out, JSON_INDENT (4) | JSON_COMPACT | JSON_PRESERVE_ORDER) < 0)
        rc = -1;
    json_decref (root);
    if (rc < 0) {
        errno = ENOMEM;
        return -1;
    }
    fputc ('\n', out);
    return ferror (out) ? (errno = EIO, -1) : 0;
}

static int finish (FILE *out)
{
    if (ferror (out)) {
        errno = EIO;
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------- qstat text */

int format_jobs_table (FILE *out, const json_t *jobs, bool wide, const struct format_ctx *ctx)
{
    /* id, name, user, queue widths: OpenPBS's default and -w */
    const int w[2][4] = {{17, 16, 16, 16}, {30, 15, 15, 15}};
    const int *cw = w[wide];
    size_t i;
    json_t *job;
    if (json_array_size (jobs) == 0)
        return 0;
    if (wide)
        fprintf (out, "Job id                         Name            User             Time Use S "
                      "Queue\n"
                      "-----------------------------  --------------- ---------------  -------- - "
                      "---------------\n");
    else
        fprintf (out, "Job id            Name             User              Time Use S Queue\n"
                      "----------------  ---------------- ----------------  -------- - -----\n");
    json_array_foreach (jobs, i, job)
    {
        char id[320], name[32], user[32], tu[32], tuf[32], queue[32], full[256];
        const char *jobid = mstr (job, "jobid", "?");
        const char *dot = strchr (jobid, '.');
        json_t *used = json_object_get (job, "resources_used");
        /* SEQ.SERVER with the server's first label only */
        const char *end = dot ? strchr (dot + 1, '.') : NULL;
        snprintf (full, sizeof (full), "%.*s", end ? (int)(end - jobid) : (int)strlen (jobid),
                  jobid);
        if (mhas (used, "cput"))
            pbs_format_walltime (mint (used, "cput", 0), tu, sizeof (tu));
        else
            snprintf (tu, sizeof (tu), "0");
        /* the default layout keeps 15 of a name's 16 columns (PBS's NAMEL - 1) */
        size_t name_max = wide ? (size_t)cw[1] : 15;
        fprintf (
            out, "%-*s %-*s %-*s  %8s %1s %-*s\n", cw[0],
            fit (id, sizeof (id), full, (size_t)cw[0], (size_t)cw[0] - 1), cw[1],
            fit (name, sizeof (name), mstr (job, "name", "STDIN"), name_max, name_max - !!wide),
            cw[2],
            fit (user, sizeof (user), mstr (job, "owner", "?"), (size_t)cw[2], (size_t)cw[2] - 1),
            fit (tuf, sizeof (tuf), tu, 8, 7), mstr (job, "state", "?"), cw[3],
            fit (queue, sizeof (queue), mstr (job, "queue", "workq"), (size_t)cw[3],
                 (size_t)cw[3] - 1));
    }
    return finish (out);
}

/* The -a Memory column: PBS's size, its unit raised until it fits 4
 * digits; with -G in gigabytes ("2gb"), with -M in megawords ("256mw",
 * 8-byte words), rounded up as PBS rounds. */
static void fmt_size_column (char *buf, size_t len, uint64_t bytes, char unit_opt)
{
    static const char units[] = "bkmgtp";
    char text[PBS_FORMAT_BUFSIZE];
    char *unit;
    if (unit_opt == 'G' || unit_opt == 'M') {
        int shift = unit_opt == 'G' ? 30 : 20;
        uint64_t v = unit_opt == 'M' ? (bytes + 7) / 8 : bytes;
        uint64_t n = (v + ((UINT64_C (1) << shift) - 1)) >> shift;
        snprintf (buf, len, "%" PRIu64 "%s", n, unit_opt == 'G' ? "gb" : "mw");
        return;
    }
    uint64_t n = strtoull (pbs_format_size (bytes, text, sizeof (text)), &unit, 10);
    const char *u = strchr (units, *unit);
    size_t k = u ? (size_t)(u - units) : 0;

    while (n > 9999 && k < 5) {
        n = (n + 1023) >> 10;
        k++;
    }
    snprintf (buf, len, "%" PRIu64 "%s%s", n, k ? (char[]){units[k], '\0'} : "", "b");
}

/* exec_host nodes of a job, short names, in lines broken at '+' before 78
 * ("   node01/0+node02/0"); ONE_LINE (-1): all on the current line. */
static void print_exec_nodes (FILE *out, const char *exec_host, bool one_line)
{
    char line[256];
    size_t used = 0;
    const char *p = exec_host;
    while (*p) {
        size_t n = strcspn (p, "+");
        size_t host = strcspn (p, "./+");
        size_t rest = n - strcspn (p, "/+");
        size_t len = host + rest;
        if (used > 0 && used + len >= LINE_LIMIT - 1) {
            line[used] = '\0';
            fprintf (out, one_line ? "%s" : "   %s\n", line);
            used = 0;
        }
        if (used + len + 1 < sizeof (line)) {
            memcpy (line + used, p, host);
            memcpy (line + used + host, p + n - rest, rest);
            used += len;
            line[used++] = '+';
        }
        p += n + (p[n] == '+');
    }
    if (used > 0) {
        line[used - 1] = '\0';
        fprintf (out, one_line ? "%s" : "   %s\n", line);
    }
}

/* The alternate layout's seven leading columns: widths in the normal and
 * the wide (-w) layout, as OpenPBS's qstat has them. */
enum { COL_ID, COL_USER, COL_QUEUE, COL_NAME, COL_SESS, COL_NDS, COL_TSK, NCOLS };
static const char *const col_title[NCOLS] = {"Job ID", "Username", "Queue", "Jobname",
                                             "SessID", "NDS",      "TSK"};
static const int col_width[2][NCOLS] = {{15, 8, 8, 10, 6, 3, 3}, {30, 15, 15, 15, 8, 4, 5}};

static int alt_row (FILE *out, const json_t *job, const struct format_alt *o,
                    const struct format_ctx *ctx)
{
    const int *w = col_width[o->wide];
    char col[NCOLS][320], mem[32], req[32], elap[32], v[32];
    struct resreq r;
    int64_t wall = job_walltime_used (job, ctx);
    json_t *alloc = json_object_get (job, "allocation");

    if (format_job_resreq (job, &r) < 0)
        return -1;
    snprintf (v, sizeof (v), NO_VALUE);
    if (mhas (job, "session_id"))
        snprintf (v, sizeof (v), "%" PRId64, mint (job, "session_id", 0));
    fit (col[COL_SESS], sizeof (col[0]), v, (size_t)w[COL_SESS], (size_t)w[COL_SESS] - 1);
    snprintf (mem, sizeof (mem), NO_VALUE);
    if (pbs_resreq_total_mem (&r) > 0)
        fmt_size_column (mem, sizeof (mem), pbs_resreq_total_mem (&r), o->unit);
    snprintf (req, sizeof (req), NO_VALUE);
    if (r.walltime > 0)
        pbs_format_walltime (r.walltime, req, sizeof (req));
    snprintf (elap, sizeof (elap), NO_VALUE);
    if (wall >= 0)
        pbs_format_walltime (wall, elap, sizeof (elap));
    snprintf (v, sizeof (v), "%" PRId64, format_resreq_nodect (&r));
    fit (col[COL_NDS], sizeof (col[0]), v, (size_t)w[COL_NDS], (size_t)w[COL_NDS] - 1);
    snprintf (v, sizeof (v), "%d", resreq_total_ncpus (&r));
    fit (col[COL_TSK], sizeof (col[0]), resreq_total_ncpus (&r) ? v : NO_VALUE, (size_t)w[COL_TSK],
         (size_t)w[COL_TSK] - 1);
    resreq_clear (&r);
    const char *text[] = {mstr (job, "jobid", "?"), mstr (job, "owner", "?"),
                          mstr (job, "queue", "workq"), mstr (job, "name", "STDIN")};
    for (int k = COL_ID; k <= COL_NAME; k++)
        fit (col[k], sizeof (col[0]), text[k], (size_t)w[k], (size_t)w[k] - 1);
    for (int k = 0; k < NCOLS; k++)
        fprintf (out, k < COL_SESS ? "%-*.*s " : "%*.*s ", w[k], w[k], col[k]);
    fprintf (out, "%6.6s %5.5s %1.1s %5.5s", mem, req, mstr (job, "state", "?"), elap);
    fputc (o->one_line ? ' ' : '\n', out);
    if (o->nodes && json_array_size (alloc) > 0) {
        char *exec_host = join_allocation (alloc, write_exec_host);
        if (exec_host == NULL)
            return -1;
        print_exec_nodes (out, exec_host, o->one_line);
        free (exec_host);
    }
    if (o->comment && mhas (job, "comment"))
        fprintf (out, o->one_line ? " %s" : "   %s\n", mstr (job, "comment", ""));
    if (o->one_line)
        fputc ('\n', out);
    return 0;
}

int format_jobs_alt (FILE *out, const json_t *jobs, const struct format_alt *o,
                     const struct format_ctx *ctx)
{
    const int *w = col_width[o->wide];
    int lead = NCOLS;
    size_t i;
    json_t *job;
    if (json_array_size (jobs) == 0)
        return 0;
    for (int k = 0; k < NCOLS; k++)
        lead += w[k];
    fprintf (out, "\n%s: \n", ctx->server ? ctx->server : "");
    fprintf (out, "%*s%-7s%-8s%s\n", lead, "", "Req'd", "Req'd", "Elap");
    for (int k = 0; k < NCOLS; k++)
        fprintf (out, "%-*s ", w[k], col_title[k]);
    fprintf (out, "Memory Time  S Time\n");
    for (int k = 0; k < NCOLS; k++)
        fprintf (out, "%.*s ", w[k], "------------------------------");
    fprintf (out, "------ ----- - -----\n");
    json_array_foreach (jobs, i, job)
    {
        if (alt_row (out, job, o, ctx) < 0) {
            errno = ENOMEM;
            return -1;
        }
    }
    return finish (out);
}

/* "    NAME[.RES] = VALUE", broken at commas so that lines stay under 78
 * columns, continuation lines starting with a tab: qstat -f's layout. */
static void print_wrapped (FILE *out, const struct attr *at)
{
    int start = (int)strlen (at->name) + 7; /* 4 spaces + " = " */
    bool first = true;
    const char *p = at->value;

    fprintf (out, "    %s", at->name);
    if (at->res) {
        start += (int)strlen (at->res) + 1;
        fprintf (out, ".%s", at->res);
    }
    fputs (" = ", out);
    while (*p == ',')
        p++;
    while (*p) {
        int len = (int)strcspn (p, ",");
        if (len + start < LINE_LIMIT) {
            fwrite (p, 1, (size_t)len, out);
            start += len;
        } else {
            if (!first) {
                fputs ("\n\t", out);
                start = 9;
            }
            for (int k = 0; k < len; k++) {
                fputc (p[k], out);
                if (++start > LINE_LIMIT) {
                    start = 8;
                    fputs ("\n\t", out);
                }
            }
        }
        p += len;
        while (*p == ',')
            p++;
        if (*p) {
            first = false;
            fputc (',', out);
        }
    }
    fputc ('\n', out);
}

/* How one item (a job, a node) is written from its attributes. */
struct emit {
    const char *head, *key; /* the item's first line: HEAD then its KEY member */
    attr_print_f print;     /* blocks: one attribute per line */
    const char *delim;      /* -F dsv: everything on one line, joined by DELIM */
};

static void emit_block (FILE *out, const json_t *item, const struct attrs *a, const struct emit *e)
{
    fprintf (out, "%s%s\n", e->head, mstr (item, e->key, "?"));
    for (size_t k = 0; k < a->n; k++)
        e->print (out, &a->v[k]);
    fputc ('\n', out);
}

/* -F dsv: "HEAD=ID" then NAME[.RES]=VALUE joined by DELIM; a value's own
 * DELIM characters and newlines escaped with a backslash, and blanks
 * dropped from a node's jobs list, as OpenPBS does. */
static void emit_dsv (FILE *out, const json_t *item, const struct attrs *a, const struct emit *e)
{
    fprintf (out, "%s=%s", e->head, mstr (item, e->key, "?"));
    for (size_t k = 0; k < a->n; k++) {
        const struct attr *at = &a->v[k];
        bool jobs = strcmp (at->name, "jobs") == 0;
        fprintf (out, "%s%s%s%s=", e->delim, at->name, at->res ? "." : "", at->res ? at->res : "");
        for (const char *p = at->value; *p; p++) {
            if (jobs && *p == ' ')
                continue;
            if (*p == '\n') {
                fputs ("\\n", out);
                continue;
            }
            if (strchr (e->delim, *p) || *p == '\\')
                fputc ('\\', out);
            fputc (*p, out);
        }
    }
    fputc ('\n', out);
}

/* qstat -f, pbsnodes -a and their -F dsv: each item's attributes, written
 * as E says (a block per item, or a line). */
static int print_items (FILE *out, const json_t *items, attrs_f fill, const struct emit *e,
                        const struct format_ctx *ctx)
{
    size_t i;
    json_t *item;
    json_array_foreach (items, i, item)
    {
        struct attrs a = {0};
        fill (&a, item, ctx);
        if (a.nomem) {
            attrs_clear (&a);
            errno = ENOMEM;
            return -1;
        }
        if (e->delim)
            emit_dsv (out, item, &a, e);
        else
            emit_block (out, item, &a, e);
        attrs_clear (&a);
    }
    return finish (out);
}

int format_jobs_dsv (FILE *out, const json_t *jobs, const char *delim, const struct format_ctx *ctx)
{
    const struct emit e = {.head = "Job Id", .key = "jobid", .delim = delim};
    return print_items (out, jobs, job_attrs, &e, ctx);
}

int format_jobs_full (FILE *out, const json_t *jobs, const struct format_ctx *ctx)
{
    const struct emit e = {.head = "Job Id: ", .key = "jobid", .print = print_wrapped};
    return print_items (out, jobs, job_attrs, &e, ctx);
}

int format_jobs_json (FILE *out, const json_t *jobs, const struct format_ctx *ctx)
{
    return dump_json (out, jobs, "Jobs", "jobid", job_attrs, ctx);
}

/* ---------------------------------------------------------------- nodes */

static void node_attrs (struct attrs *a, const json_t *node, const struct format_ctx *ctx)
{
    const char *name = mstr (node, "name", "?");
    json_t *assigned = json_object_get (node, "assigned");
    json_t *jobs = json_object_get (node, "jobs");
    int64_t ngpus = mint (node, "ngpus", 0);
    size_t i;
    json_t *j;

    attrs_add (a, "Mom", NULL, "%s", name);
    attrs_add (a, "ntype", NULL, "PBS");
    attrs_add (a, "state", NULL, "%s", mstr (node, "state", "free"));
    attrs_add (a, "pcpus", NULL, "%" PRId64, mint (node, "ncpus", 0));
    if (json_array_size (json_object_get (node, "job_slots")) > 0)
        jobs = json_object_get (node, "job_slots"); /* PBS's "ID/INDEX" per cpu */
    if (json_array_size (jobs) > 0) {
        struct sbuf s;
        if (sbuf_open (&s) == NULL) {
            a->nomem = true;
            return;
        }
        json_array_foreach (jobs, i, j)
        {
            fprintf (s.f, "%s%s", i ? ", " : "",
                     json_string_value (j) ? json_string_value (j) : "");
        }
        attrs_add_built (a, "jobs", NULL, sbuf_take (&s));
    }
    attrs_add (a, "resources_available", "arch", "linux");
    attrs_add (a, "resources_available", "host", "%s", name);
    attrs_add (a, "resources_available", "mem", "%" PRId64 "kb", mint (node, "mem", 0) / 1024);
    attrs_add (a, "resources_available", "ncpus", "%" PRId64, mint (node, "ncpus", 0));
    if (ngpus > 0)
        attrs_add (a, "resources_available", "ngpus", "%" PRId64, ngpus);
    attrs_add (a, "resources_available", "vnode", "%s", name);
    attrs_add (a, "resources_assigned", "mem", "%" PRId64 "kb", mint (assigned, "mem", 0) / 1024);
    attrs_add (a, "resources_assigned", "ncpus", "%" PRId64, mint (assigned, "ncpus", 0));
    if (ngpus > 0)
        attrs_add (a, "resources_assigned", "ngpus", "%" PRId64, mint (assigned, "ngpus", 0));
    if (mhas (node, "comment"))
        attrs_add (a, "comment", NULL, "%s", mstr (node, "comment", ""));
    attrs_add (a, "resv_enable", NULL, "True");
    attrs_add (a, "sharing", NULL, "default_shared");
    if (mhas (node, "last_state_change_time"))
        attrs_add (a, "last_state_change_time", NULL, "%" PRId64,
                   mint (node, "last_state_change_time", 0));
}

/* "     NAME[.RES] = VALUE", times as ctime: pbsnodes -a's layout. */
static void print_node_attr (FILE *out, const struct attr *at)
{
    char when[64];
    const char *value = at->value;
    if (strcmp (at->name, "last_state_change_time") == 0) {
        fmt_ctime (when, sizeof (when), strtoll (value, NULL, 10));
        value = when;
    }
    fprintf (out, "     %s%s%s = %s\n", at->name, at->res ? "." : "", at->res ? at->res : "",
             value);
}

int format_nodes_full (FILE *out, const json_t *nodes, const struct format_ctx *ctx)
{
    const struct emit e = {.head = "", .key = "name", .print = print_node_attr};
    return print_items (out, nodes, node_attrs, &e, ctx);
}

/* pbsnodes -S memory: from kb, shrink while over 999 with PBS's rounding. */
static void summary_mem (char *buf, size_t len, int64_t kb)
{
    static const char units[] = " kmgtp?";
    int u = 1;
    while (kb > 999 && u < 6) {
        kb = ((kb % 1024) + kb) >> 10;
        u++;
    }
    snprintf (buf, len, "%" PRId64 "%cb", kb, units[u]);
}

/* The -Sj jobs column: job ids, the server suffix dropped when it is ours. */
static void summary_jobs (char *buf, size_t len, const json_t *jobs, const struct format_ctx *ctx)
{
    size_t i, used = 0;
    json_t *j;
    snprintf (buf, len, "--");
    json_array_foreach (jobs, i, j)
    {
        const char *id = json_string_value (j) ? json_string_value (j) : "";
        const char *dot = strchr (id, '.');
        int idlen = (int)strlen (id);
        if (dot && ctx->server && strcmp (dot + 1, ctx->server) == 0)
            idlen = (int)(dot - id);
        if (used < len)
            used += (size_t)snprintf (buf + used, len - used, "%s%.*s", i ? "," : "", idlen, id);
    }
}

/* A column of WIDTH, cut to it unless WHOLE (pbsnodes -L). */
static void summary_col (FILE *out, const char *s, int width, bool left, bool whole)
{
    int prec = whole ? (int)strlen (s) : width;
    fprintf (out, left ? "%-*.*s" : "%*.*s", width, prec, s);
}

static void summary_row (FILE *out, const json_t *node, bool job_columns, bool whole,
                         const struct format_ctx *ctx)
{
    const char *name = mstr (node, "name", "?");
    char state[64], mem[80], memf[32], memt[32], cpus[48], gpus[48], jobs[1024];
    json_t *assigned = json_object_get (node, "assigned");
    int64_t ncpus = mint (node, "ncpus", 0), ngpus = mint (node, "ngpus", 0);
    int64_t mem_kb = mint (node, "mem", 0) / 1024;
    size_t njobs = json_array_size (json_object_get (node, "jobs"));

    snprintf (state, sizeof (state), "%s", mstr (node, "state", "free"));
    state[strcspn (state, ",")] = '\0';
    if (!job_columns) {
        char n1[32], n2[32];
        summary_mem (mem, sizeof (mem), mem_kb);
        snprintf (n1, sizeof (n1), "%" PRId64, ncpus);
        snprintf (n2, sizeof (n2), "%" PRId64, ngpus);
        const struct {
            const char *s;
            int width;
            bool left;
        } cols[] = {{name, 15, true}, {state, 15, true}, {"--", 8, true}, {"--", 8, true},
                    {name, 15, true}, {"--", 10, true},  {mem, 8, false}, {n1, 7, false},
                    {"0", 7, false},  {n2, 7, false}};
        for (size_t k = 0; k < sizeof (cols) / sizeof (cols[0]); k++) {
            summary_col (out, cols[k].s, cols[k].width, cols[k].left, whole);
            fputc (' ', out);
        }
        fprintf (out, "%s\n", mstr (node, "comment", "--"));
        return;
    }
    summary_mem (memf, sizeof (memf), mem_kb - mint (assigned, "mem", 0) / 1024);
    summary_mem (memt, sizeof (memt), mem_kb);
    snprintf (mem, sizeof (mem), "%s/%s", memf, memt);
    snprintf (cpus, sizeof (cpus), "%" PRId64 "/%" PRId64, ncpus - mint (assigned, "ncpus", 0),
              ncpus);
    snprintf (gpus, sizeof (gpus), "%" PRId64 "/%" PRId64, ngpus - mint (assigned, "ngpus", 0),
              ngpus);
    summary_jobs (jobs, sizeof (jobs), json_object_get (node, "jobs"), ctx);
    summary_col (out, name, 15, true, whole);
    fputc (' ', out);
    summary_col (out, state, 15, true, whole);
    fprintf (out, " %6zu %5zu %6d ", njobs, njobs, 0);
    summary_col (out, mem, 12, false, whole);
    fputc (' ', out);
    summary_col (out, cpus, 7, false, whole);
    fputc (' ', out);
    summary_col (out, "0/0", 7, false, whole);
    fputc (' ', out);
    summary_col (out, gpus, 7, false, whole);
    fprintf (out, " %s\n", jobs);
}

int format_nodes_summary (FILE *out, const json_t *nodes, bool job_columns, bool whole,
                          const struct format_ctx *ctx)
{
    size_t i;
    json_t *node;
    if (job_columns)
        fprintf (out, "                                                        mem       ncpus   "
                      "nmics   ngpus\n"
                      "vnode           state           njobs   run   susp      f/t        f/t     "
                      "f/t     f/t   jobs\n"
                      "--------------- --------------- ------ ----- ------ ------------ ------- "
                      "------- ------- -------\n");
    else
        fprintf (out, "vnode           state           OS       hardware host            queue  "
                      "      mem     ncpus   nmics   ngpus  comment\n"
                      "--------------- --------------- -------- -------- --------------- "
                      "---------- -------- ------- ------- ------- ---------\n");
    json_array_foreach (nodes, i, node)
    {
        summary_row (out, node, job_columns, whole, ctx);
    }
    return finish (out);
}

int format_nodes_dsv (FILE *out, const json_t *nodes, const char *delim,
                      const struct format_ctx *ctx)
{
    const struct emit e = {.head = "Name", .key = "name", .delim = delim};
    return print_items (out, nodes, node_attrs, &e, ctx);
}

int format_nodes_json (FILE *out, const json_t *nodes, const struct format_ctx *ctx)
{
    return dump_json (out, nodes, "nodes", "name", node_attrs, ctx);
}
