/* jobenv.c - job description checks, environment, nodefile, output paths */
#define _GNU_SOURCE /* asprintf */
#include "agent/jobenv.h"

#include "common/jobspec.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/rset.h"
#include "topology/layout.h"

static void strv_free (char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free (*p);
    free (v);
}

void jobdesc_destroy (struct jobdesc *jd)
{
    if (!jd)
        return;
    int saved = errno;
    free (jd->jobid);
    free (jd->name);
    free (jd->owner);
    free (jd->script);
    strv_free (jd->argv);
    free (jd->workdir);
    free (jd->submit_host);
    free (jd->queue);
    strv_free (jd->env);
    free (jd->output);
    free (jd->error);
    free (jd->shell_path);
    free (jd->keep_files);
    for (size_t i = 0; i < jd->nalloc; i++) {
        free (jd->alloc[i].node);
        free (jd->alloc[i].cores);
        free (jd->alloc[i].pus);
        free (jd->alloc[i].gpus);
    }
    free (jd->alloc);
    free (jd->cookie);
    free (jd);
    errno = saved;
}

static int bad (struct herror *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static int bad (struct herror *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (err->text, sizeof (err->text), fmt, ap);
        va_end (ap);
    }
    errno = EINVAL;
    return -1;
}

/* A copy of N ids as the agent keeps them; NULL when N is 0. */
static unsigned *copy_ids (const int *v, int n, size_t *count)
{
    unsigned *out = n ? calloc ((size_t)n, sizeof (*out)) : NULL;
    for (int i = 0; out && i < n; i++)
        out[i] = (unsigned)v[i]; /* rset's decoder checked 0..RSET_MAX_ID */
    *count = out ? (size_t)n : 0;
    return out;
}

/* Entry IDX of the allocation, decoded by the one codec the controller
 * uses too (common/rset.h: the same members, defaults and bounds). */
/* Node N of the decoded allocation, as the agent keeps it. */
static int take_alloc (const struct rset_node *n, struct jobdesc_alloc *out, struct herror *err)
{
    out->node = strdup (n->name);
    out->cores = copy_ids (n->cores, n->ncores, &out->ncores);
    out->pus = copy_ids (n->pus, n->npus, &out->npus);
    out->gpus = copy_ids (n->gpus, n->ngpus, &out->ngpus);
    out->mem = n->mem;
    out->mpiprocs = (unsigned)n->nranks;
    if (!out->node || (n->ncores && !out->cores) || (n->npus && !out->pus) ||
        (n->ngpus && !out->gpus)) {
        errno = ENOMEM;
        return herror_set (err, "out of memory");
    }
    return 0;
}

/* The allocation, decoded whole by its one codec (common/rset.h), so the
 * agent refuses what the controller refuses (a node listed twice, too). */
static int parse_allocation (const json_t *alloc, struct jobdesc *jd, struct herror *err)
{
    struct rset *r = rset_from_json (alloc, err);
    if (!r) {
        if (errno == ENOMEM)
            herror_set (err, "out of memory");
        else
            herror_prefix (err, "job");
        return -1;
    }
    int rc = 0;
    jd->nalloc = (size_t)rset_nnodes (r);
    if (!(jd->alloc = calloc (jd->nalloc ? jd->nalloc : 1, sizeof (*jd->alloc)))) {
        jd->nalloc = 0;
        errno = ENOMEM;
        rc = herror_set (err, "out of memory");
    }
    for (size_t i = 0; rc == 0 && i < jd->nalloc; i++)
        rc = take_alloc (rset_node (r, (int)i), &jd->alloc[i], err);
    rset_destroy (r);
    return rc;
}

/* The job members, decoded by the common codec of the job object
 * (jobspec_job_from_json in common/jobspec.h), which holds each member's
 * type, bounds and presence rule for the controller and the agent alike;
 * here they are only moved into the agent's view of the job. */
static int take_job (const json_t *job, struct jobdesc *jd, struct herror *err)
{
    struct jobspec *js = jobspec_job_from_json (job, err);

    if (!js) {
        herror_prefix (err, "job");
        return -1;
    }
    jd->seq = (unsigned long)js->seq;
    jd->uid = js->uid;
    jd->gid = js->gid;
    jd->walltime = (long)js->res.walltime;
    jd->array_index = js->array_index;
    snprintf (jd->pgroup, sizeof (jd->pgroup), "%s", js->res.pgroup);
    /* set by the controller at start (not a request member) */
    jd->partition = (int)json_integer_value (json_object_get (job, "pgroup_partition"));
    snprintf (jd->join, sizeof (jd->join), "%s", jobspec_join_name (js->join));
    jd->umask = js->umask;
    jd->limits = js->limits;
    jd->interactive = js->interactive;
    /* PBS sets OMP_NUM_THREADS from the first chunk's ompthreads */
    jd->ompthreads = js->res.nchunks > 0 ? js->res.chunks[0].ompthreads : 0;
    jd->shell_path = js->attrs[JOBSPEC_SHELL_PATH];
    jd->keep_files = js->attrs[JOBSPEC_KEEP_FILES];
    js->attrs[JOBSPEC_SHELL_PATH] = js->attrs[JOBSPEC_KEEP_FILES] = NULL;
    /* The strings change hands: js frees what is left in it. */
    jd->jobid = js->jobid;
    jd->name = js->name;
    jd->owner = js->owner;
    jd->script = js->script;
    jd->argv = js->argv;
    jd->workdir = js->workdir;
    jd->submit_host = js->submit_host;
    jd->queue = js->queue;
    jd->output = js->output;
    jd->error = js->error;
    js->jobid = js->name = js->owner = js->script = js->workdir = NULL;
    js->submit_host = js->queue = js->output = js->error = NULL;
    js->argv = NULL;
    js->argc = 0;
    jd->env = calloc ((size_t)js->nenv + 1, sizeof (char *));
    for (int i = 0; jd->env && i < js->nenv; i++) {
        if (asprintf (&jd->env[i], "%s=%s", js->env[i].name, js->env[i].value) < 0) {
            jd->env[i] = NULL;
            strv_free (jd->env);
            jd->env = NULL;
        }
    }
    jobspec_destroy (js);
    if (!jd->env) {
        errno = ENOMEM;
        return herror_set (err, "out of memory");
    }
    return 0;
}

static int parse_body (const json_t *job, const char *node_name, const char *server,
                       struct jobdesc *jd, struct herror *err)
{
    if (!json_is_object (job))
        return bad (err, "job: not a JSON object");
    if (take_job (job, jd, err) < 0)
        return -1;
    json_t *alloc = json_object_get (job, "allocation");
    if (!json_is_array (alloc) || json_array_size (alloc) == 0)
        return bad (err, "job: member \"allocation\" must be a non-empty array");
    if (parse_allocation (alloc, jd, err) < 0)
        return -1;
    jd->here = 0;
    if (node_name) {
        size_t i;
        for (i = 0; i < jd->nalloc && strcmp (jd->alloc[i].node, node_name); i++)
            ;
        if (i == jd->nalloc)
            return bad (err, "job %lu has no allocation on node %s", jd->seq, node_name);
        jd->here = i;
    }
    json_t *cookie = json_object_get (job, "cookie");
    if (cookie && (!json_is_string (cookie) || json_string_length (cookie) < 16 ||
                   json_string_length (cookie) > 128))
        return bad (err, "job: member \"cookie\" must be a string of 16 to 128 characters");
    if (cookie && !(jd->cookie = strdup (json_string_value (cookie))))
        goto nomem;
    if (!jd->queue && !(jd->queue = strdup ("workq")))
        goto nomem;
    if (!jd->jobid) {
        size_t len = strlen (server ? server : "") + 32;
        if (!(jd->jobid = malloc (len)))
            goto nomem;
        snprintf (jd->jobid, len, server && *server ? "%lu.%s" : "%lu", jd->seq,
                  server ? server : "");
    }
    return 0;
nomem:
    errno = ENOMEM;
    return herror_set (err, "out of memory");
}

struct jobdesc *jobdesc_parse (const json_t *job, const char *node_name, const char *server,
                               struct herror *err)
{
    struct jobdesc *jd = calloc (1, sizeof (*jd));
    if (!jd) {
        errno = ENOMEM;
        herror_set (err, "out of memory");
        return NULL;
    }
    if (parse_body (job, node_name, server, jd, err) < 0) {
        jobdesc_destroy (jd);
        return NULL;
    }
    return jd;
}

unsigned jobdesc_ncpus (const struct jobdesc *jd)
{
    const struct jobdesc_alloc *a = &jd->alloc[jd->here];
    return (unsigned)(a->ncores ? a->ncores : a->npus);
}

static int cmp_unsigned (const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

char *jobdesc_pulist (const struct jobdesc *jd)
{
    const struct jobdesc_alloc *a = &jd->alloc[jd->here];
    size_t n = a->npus;
    unsigned *v = malloc ((n ? n : 1) * sizeof (*v));
    char *out = malloc (n * 12 + 1);
    if (!v || !out) {
        free (v);
        free (out);
        errno = ENOMEM;
        return NULL;
    }
    memcpy (v, a->pus, n * sizeof (*v));
    qsort (v, n, sizeof (*v), cmp_unsigned);
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && v[j + 1] <= v[j] + 1)
            j++;
        len += (size_t)sprintf (out + len, i == j ? "%s%u" : "%s%u-%u", len ? "," : "", v[i], v[j]);
        i = j + 1;
    }
    free (v);
    return out;
}

/* Write PATH through PATH.tmp and a rename, FILL writing the content, so a
 * reader never sees half a file; mode 0644 (the job's processes, running
 * as its owner, read it). */
static int write_atomic (const char *path, int (*fill) (FILE *, const void *), const void *arg,
                         struct herror *err)
{
    char tmp[4096];
    snprintf (tmp, sizeof (tmp), "%s.tmp", path);
    FILE *f = fopen (tmp, "we");
    if (!f)
        return herror_set (err, "cannot write %s: %s", tmp, strerror (errno));
    int rc = fill (f, arg);
    if (rc < 0 || fchmod (fileno (f), 0644) < 0 || ferror (f) || fclose (f) != 0) {
        int saved = errno ? errno : EIO;
        if (rc < 0)
            fclose (f);
        unlink (tmp);
        errno = saved;
        return herror_set (err, "cannot write %s: %s", tmp, strerror (errno));
    }
    if (rename (tmp, path) < 0) {
        int saved = errno;
        unlink (tmp);
        errno = saved;
        return herror_set (err, "cannot rename %s: %s", tmp, strerror (errno));
    }
    return 0;
}

static int fill_nodefile (FILE *f, const void *arg)
{
    const struct jobdesc *jd = arg;
    for (size_t i = 0; i < jd->nalloc; i++)
        for (unsigned r = 0; r < jd->alloc[i].mpiprocs; r++)
            fprintf (f, "%s\n", jd->alloc[i].node);
    return 0;
}

int jobenv_write_nodefile (const struct jobdesc *jd, const char *path, struct herror *err)
{
    return write_atomic (path, fill_nodefile, jd, err);
}

static int fill_hostfile (FILE *f, const void *arg)
{
    const struct jobdesc *jd = arg;
    for (size_t i = 0; i < jd->nalloc; i++)
        if (jd->alloc[i].mpiprocs > 0)
            fprintf (f, "%s slots=%u\n", jd->alloc[i].node, jd->alloc[i].mpiprocs);
    return 0;
}

int jobenv_write_hostfile (const struct jobdesc *jd, const char *path, struct herror *err)
{
    return write_atomic (path, fill_hostfile, jd, err);
}

struct endpoints_arg {
    const struct jobdesc *jd;
    const json_t *eps;
};

static int fill_endpoints (FILE *f, const void *arg)
{
    const struct endpoints_arg *a = arg;
    for (size_t i = 0; i < a->jd->nalloc; i++) {
        const char *node = a->jd->alloc[i].node;
        const char *ep = json_string_value (json_object_get (a->eps, node));
        if (ep && strlen (ep) <= 300 && !ep[strcspn (ep, " \t\r\n")])
            fprintf (f, "%s %s\n", node, ep);
    }
    return 0;
}

int jobenv_write_endpoints (const struct jobdesc *jd, const json_t *endpoints, const char *path,
                            struct herror *err)
{
    struct endpoints_arg a = {.jd = jd, .eps = endpoints};
    return write_atomic (path, fill_endpoints, &a, err);
}

static int fill_layout (FILE *f, const void *arg)
{
    if (json_dumpf (arg, f, JSON_COMPACT) < 0)
        return -1;
    return fputc ('\n', f) == EOF ? -1 : 0;
}

static int fill_rankfile (FILE *f, const void *arg)
{
    return layout_write_rankfile (arg, f);
}

int jobenv_write_layout (const struct jobdesc *jd, const json_t *job, const json_t *topology,
                         const char *layout_path, const char *rankfile_path, struct herror *err)
{
    struct rset *alloc = rset_from_json (json_object_get (job, "allocation"), err);
    if (!alloc)
        return -1;
    struct herror ignored;
    const struct topo_node **models = calloc ((size_t)rset_nnodes (alloc) + 1, sizeof (*models));
    struct topo_node *here = topology ? topo_node_from_json (topology, &ignored) : NULL;
    struct layout *l = NULL;
    if (models) {
        models[jd->here] = here;
        l = layout_create (alloc, models, &ignored);
        /* The controller placed on this very model, so a mismatch means
         * the agent's model changed under a running job: lay the ranks out
         * from the allocation alone rather than refuse the job. */
        if (!l && errno == EINVAL)
            l = layout_create (alloc, NULL, &ignored);
    }
    json_t *o = l ? layout_to_json (l) : NULL;
    /* the job's place in its placement group, for its ranks to read */
    if (o && jd->pgroup[0])
        json_object_set_new (o, "pgroup", json_string (jd->pgroup));
    if (o && jd->partition > 0)
        json_object_set_new (o, "partition", json_integer (jd->partition));
    int rc = -1;
    if (!o) {
        errno = ENOMEM;
        herror_set (err, "cannot lay out the job's ranks: out of memory");
    } else if (write_atomic (layout_path, fill_layout, o, err) == 0 &&
               write_atomic (rankfile_path, fill_rankfile, l, err) == 0) {
        rc = 0;
    }
    json_decref (o);
    layout_destroy (l);
    topo_node_destroy (here);
    free (models);
    rset_destroy (alloc);
    return rc;
}

char *jobenv_default_name (const struct jobdesc *jd, char stream)
{
    char *s = NULL;
    int rc = jd->array_index >= 0
                 ? asprintf (&s, "%s.%c%lld.%ld", jd->name, stream,
                             (long long)jobspec_subjob_base ((int64_t)jd->seq), jd->array_index)
                 : asprintf (&s, "%s.%c%lu", jd->name, stream, jd->seq);
    return rc < 0 ? NULL : s;
}

/* PATH with every ARRAY_INDEX_TOKEN replaced by INDEX (a malloc'd copy). */
#define ARRAY_INDEX_TOKEN "^array_index^"
static char *subst_index (const char *path, long index)
{
    char num[24];
    size_t tlen = strlen (ARRAY_INDEX_TOKEN), nlen, n = 0;
    nlen = (size_t)snprintf (num, sizeof (num), "%ld", index);
    for (const char *p = path; (p = strstr (p, ARRAY_INDEX_TOKEN)); p += tlen)
        n++;
    char *out = malloc (strlen (path) - n * tlen + n * nlen + 1), *o = out;
    if (!out)
        return NULL;
    for (const char *p = path, *hit;; p = hit + tlen) {
        if (!(hit = strstr (p, ARRAY_INDEX_TOKEN))) {
            strcpy (o, p);
            return out;
        }
        memcpy (o, p, (size_t)(hit - p));
        o += hit - p;
        memcpy (o, num, nlen);
        o += nlen;
    }
}

/* "host:/path" -> "/path"; relative -> WORKDIR/path; NULL -> default.  In
 * an array sub-job's path, PBS's ^array_index^ stands for its index. */
static char *resolve_path (const struct jobdesc *jd, const char *given, char stream)
{
    char *s = NULL;
    if (!given || !*given) {
        char *name = jobenv_default_name (jd, stream);
        int rc = name ? asprintf (&s, "%s/%s", jd->workdir, name) : -1;
        free (name);
        return rc < 0 ? NULL : s;
    }
    const char *colon = strchr (given, ':');
    const char *slash = strchr (given, '/');
    if (colon && (!slash || colon < slash))
        given = colon + 1;
    char *path = jd->array_index >= 0 ? subst_index (given, jd->array_index) : strdup (given);
    if (!path || path[0] == '/')
        return path;
    int rc = asprintf (&s, "%s/%s", jd->workdir, path);
    free (path);
    return rc < 0 ? NULL : s;
}

int jobenv_output_paths (const struct jobdesc *jd, char **out_path, char **err_path)
{
    char *o = NULL, *e = NULL;
    if (strcmp (jd->join, "eo") != 0 && !(o = resolve_path (jd, jd->output, 'o')))
        goto nomem;
    if (strcmp (jd->join, "oe") != 0 && !(e = resolve_path (jd, jd->error, 'e')))
        goto nomem;
    *out_path = o;
    *err_path = e;
    return 0;
nomem:
    free (o);
    errno = ENOMEM;
    return -1;
}

const char *jobenv_get (char *const *env, const char *name)
{
    size_t len = strlen (name);
    for (; env && *env; env++)
        if (!strncmp (*env, name, len) && (*env)[len] == '=')
            return *env + len + 1;
    return NULL;
}

struct envbuf {
    char **v;
    size_t n, cap;
};

/* Set NAME=value, replacing an earlier value of NAME. */
static int env_set (struct envbuf *b, const char *name, const char *value)
{
    char *s;
    if (asprintf (&s, "%s=%s", name, value ? value : "") < 0)
        return -1;
    size_t len = strlen (name);
    for (size_t i = 0; i < b->n; i++) {
        if (!strncmp (b->v[i], name, len) && b->v[i][len] == '=') {
            free (b->v[i]);
            b->v[i] = s;
            return 0;
        }
    }
    if (b->n + 2 > b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        char **nv = realloc (b->v, cap * sizeof (char *));
        if (!nv) {
            free (s);
            return -1;
        }
        b->v = nv;
        b->cap = cap;
    }
    b->v[b->n++] = s;
    b->v[b->n] = NULL;
    return 0;
}

static int env_setf (struct envbuf *b, const char *name, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static int env_setf (struct envbuf *b, const char *name, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (buf, sizeof (buf), fmt, ap);
    va_end (ap);
    return env_set (b, name, buf);
}

static char *idlist_csv (const unsigned *ids, size_t n)
{
    char *s = malloc (n * 12 + 1);
    if (!s)
        return NULL;
    size_t len = 0;
    s[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf (s + len, "%s%u", i ? "," : "", ids[i]);
    return s;
}

/* NAME=value unless the job's own environment has NAME (a user who sets an
 * MCA parameter means it). */
static int env_default (struct envbuf *b, const struct jobdesc *jd, const char *name,
                        const char *value)
{
    return jobenv_get (jd->env, name) ? 0 : env_set (b, name, value);
}

/* Open MPI: launch through huddle-rsh on the job's nodes, the transport
 * the agent was configured with. */
static int mpi_env (struct envbuf *b, const struct jobdesc *jd, const struct jobenv_ctx *ctx)
{
    const struct jobenv_mpi *m = ctx->mpi;
    int rc = 0;
    if (!m)
        return 0;
    if (m->munge_socket)
        rc |= env_set (b, "HUDDLE_MUNGE_SOCKET", m->munge_socket);
    if (m->rsh_agent)
        rc |= env_default (b, jd, "OMPI_MCA_plm_rsh_agent", m->rsh_agent);
    if (ctx->hostfile)
        rc |= env_default (b, jd, "OMPI_MCA_orte_default_hostfile", ctx->hostfile);
    const char *t = m->transport ? m->transport : "none";
    if (strcmp (t, "tcp") == 0) {
        rc |= env_default (b, jd, "OMPI_MCA_btl", "self,vader,tcp");
        if (m->tcp_if)
            rc |= env_default (b, jd, "OMPI_MCA_btl_tcp_if_include", m->tcp_if);
    } else if (strcmp (t, "ofi") == 0) {
        rc |= env_default (b, jd, "OMPI_MCA_pml", "cm");
        rc |= env_default (b, jd, "OMPI_MCA_mtl", "ofi");
        if (m->ofi_provider)
            rc |= env_default (b, jd, "OMPI_MCA_mtl_ofi_provider_include", m->ofi_provider);
    }
    if (m->tcp_if && strcmp (t, "none") != 0)
        rc |= env_default (b, jd, "OMPI_MCA_oob_tcp_if_include", m->tcp_if);
    return rc;
}

char **jobenv_build (const struct jobdesc *jd, const struct jobenv_ctx *ctx, struct herror *err)
{
    struct envbuf b = {0};
    const struct jobdesc_alloc *a = &jd->alloc[jd->here];
    unsigned ncpus = jobdesc_ncpus (jd);
    int rc = 0;
    for (char **p = jd->env; *p && rc == 0; p++) {
        char *eq = strchr (*p, '=');
        char *name = strndup (*p, (size_t)(eq - *p));
        rc = name ? env_set (&b, name, eq + 1) : -1;
        free (name);
    }
    const char *path = jobenv_get (jd->env, "PBS_O_PATH");
    if (!path)
        path = jobenv_get (jd->env, "PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    char *gpus = a->ngpus ? idlist_csv (a->gpus, a->ngpus) : NULL;
    rc |= env_set (&b, "PBS_JOBID", jd->jobid);
    rc |= env_set (&b, "PBS_JOBNAME", jd->name);
    rc |= env_set (&b, "PBS_NODEFILE", ctx->nodefile);
    if (ctx->this_host)
        rc |= env_set (&b, "HUDDLE_NODE", ctx->this_host);
    if (ctx->layout)
        rc |= env_set (&b, "HUDDLE_LAYOUT", ctx->layout);
    if (ctx->rankfile)
        rc |= env_set (&b, "HUDDLE_RANKFILE", ctx->rankfile);
    rc |= env_set (&b, "PBS_O_WORKDIR", jd->workdir);
    rc |= env_set (&b, "PBS_O_HOST", *jd->submit_host ? jd->submit_host : ctx->this_host);
    rc |= env_set (&b, "PBS_QUEUE", jd->queue);
    rc |= env_set (&b, "PBS_O_QUEUE", jd->queue);
    rc |= env_set (&b, "PBS_ENVIRONMENT", jd->interactive ? "PBS_INTERACTIVE" : "PBS_BATCH");
    rc |= env_setf (&b, "PBS_NODENUM", "%zu", jd->here);
    rc |= env_set (&b, "PBS_TASKNUM", "1");
    if (jd->array_index >= 0) {
        /* PBS_ARRAY_ID: the array's id, "SEQ[].SERVER" of "SEQ[I].SERVER" */
        const char *open = strchr (jd->jobid, '['), *close = open ? strchr (open, ']') : NULL;
        rc |= env_setf (&b, "PBS_ARRAY_INDEX", "%ld", jd->array_index);
        if (open && close)
            rc |= env_setf (&b, "PBS_ARRAY_ID", "%.*s[]%s", (int)(open - jd->jobid), jd->jobid,
                            close + 1);
    }
    if (jd->pgroup[0])
        rc |= env_set (&b, "HUDDLE_PGROUP", jd->pgroup);
    if (jd->partition > 0)
        rc |= env_setf (&b, "HUDDLE_PARTITION", "%d", jd->partition);
    rc |= env_setf (&b, "NCPUS", "%u", ncpus);
    if (!jobenv_get (jd->env, "OMP_NUM_THREADS"))
        rc |= env_setf (&b, "OMP_NUM_THREADS", "%u",
                        jd->ompthreads > 0 ? (unsigned)jd->ompthreads : ncpus);
    if (ctx->tmpdir)
        rc |= env_set (&b, "TMPDIR", ctx->tmpdir);
    rc |= env_set (&b, "HOME", ctx->home);
    rc |= env_set (&b, "USER", ctx->user);
    rc |= env_set (&b, "LOGNAME", ctx->user);
    rc |= env_set (&b, "SHELL", ctx->shell);
    rc |= env_set (&b, "PATH", path);
    if (a->ngpus)
        rc |= gpus ? env_set (&b, "CUDA_VISIBLE_DEVICES", gpus) : -1;
    free (gpus);
    if (jd->cookie)
        rc |= env_set (&b, "HUDDLE_JOB_COOKIE", jd->cookie);
    if (ctx->endpoints)
        rc |= env_set (&b, "HUDDLE_TASK_ENDPOINTS", ctx->endpoints);
    rc |= mpi_env (&b, jd, ctx);
    if (rc != 0 || !b.v) {
        jobenv_free (b.v);
        errno = ENOMEM;
        herror_set (err, "out of memory building the job environment");
        return NULL;
    }
    return b.v;
}

void jobenv_free (char **env)
{
    int saved = errno;
    strv_free (env);
    errno = saved;
}

/* The kernel's rule (fs/binfmt_script.c): "#!", optional blanks, the
 * interpreter up to a blank or the end of the line, then the rest of the
 * line without its surrounding blanks as one optional argument.  A bare
 * "#!" names no interpreter (execve says ENOEXEC, and a shell then runs the
 * file itself). */
int jobenv_script_interpreter (const char *script, char *buf, size_t size, const char **arg)
{
    if (!script || script[0] != '#' || script[1] != '!')
        return 0;
    const char *p = script + 2;
    p += strspn (p, " \t");
    size_t len = strcspn (p, " \t\n");
    if (len == 0)
        return 0;
    const char *a = p + len;
    a += strspn (a, " \t");
    size_t alen = strcspn (a, "\n");
    while (alen > 0 && (a[alen - 1] == ' ' || a[alen - 1] == '\t'))
        alen--;
    if (len + 1 + alen + 1 > size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy (buf, p, len);
    buf[len] = '\0';
    memcpy (buf + len + 1, a, alen);
    buf[len + 1 + alen] = '\0';
    *arg = alen ? buf + len + 1 : NULL;
    return 1;
}
