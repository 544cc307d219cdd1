#include "trace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name, *text;
} drops[SIM_NDROPS] = {
    [SIM_DROP_CANCELLED] = {"cancelled", "cancelled before they started"},
    [SIM_DROP_NO_RUN_TIME] = {"no_run_time", "no run time"},
    [SIM_DROP_NO_PROCESSORS] = {"no_processors", "no processor count"},
    [SIM_DROP_TOO_BIG] = {"too_big", "more processors than the cluster has"},
    [SIM_DROP_NO_ESTIMATE] = {"no_estimate", "no requested time"},
    [SIM_DROP_NO_SUBMIT_TIME] = {"no_submit_time", "no submit time"},
};

const char *sim_drop_name (enum sim_drop d)
{
    return d >= 0 && d < SIM_NDROPS ? drops[d].name : "?";
}

const char *sim_drop_text (enum sim_drop d)
{
    return d >= 0 && d < SIM_NDROPS ? drops[d].text : "?";
}

static int64_t record_procs (const struct swf_record *r)
{
    return r->procs_alloc > 0 ? r->procs_alloc : r->procs_req;
}

int sim_trace_filter (const struct swf_record *r, int max_procs)
{
    if (r->run <= 0)
        return r->status == SWF_STATUS_CANCELLED ? SIM_DROP_CANCELLED : SIM_DROP_NO_RUN_TIME;
    int64_t procs = record_procs (r);
    if (procs <= 0)
        return SIM_DROP_NO_PROCESSORS;
    if (procs > max_procs)
        return SIM_DROP_TOO_BIG;
    if (r->time_req <= 0)
        return SIM_DROP_NO_ESTIMATE;
    if (r->submit < 0)
        return SIM_DROP_NO_SUBMIT_TIME;
    return -1;
}

void sim_trace_destroy (struct sim_trace *t)
{
    if (!t)
        return;
    int saved = errno;
    free (t->jobs);
    free (t->recs);
    free (t->header);
    free (t);
    errno = saved;
}

static int grow (struct sim_trace *t, int *cap)
{
    int n = *cap ? 2 * *cap : 1024;
    struct sim_job *j = realloc (t->jobs, (size_t)n * sizeof (*j));
    if (j)
        t->jobs = j;
    struct swf_record *r = j ? realloc (t->recs, (size_t)n * sizeof (*r)) : NULL;
    if (!r) {
        errno = ENOMEM;
        return -1;
    }
    t->recs = r;
    *cap = n;
    return 0;
}

static struct sim_job job_of (const struct swf_record *r)
{
    return (struct sim_job){.id = r->job,
                            .submit = r->submit,
                            .run = r->run < r->time_req ? r->run : r->time_req,
                            .walltime = r->time_req,
                            .procs = (int)record_procs (r),
                            .start = -1};
}

/* Submit time, then trace position: a stable sort by submit time. */
struct order {
    int64_t submit;
    int pos;
};

static int by_submit (const void *a, const void *b)
{
    const struct order *x = a, *y = b;
    if (x->submit != y->submit)
        return x->submit < y->submit ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Sort the jobs and their records together. */
static int sort_jobs (struct sim_trace *t)
{
    size_t n = t->njobs ? (size_t)t->njobs : 1;
    struct order *o = malloc (n * sizeof (*o));
    struct sim_job *jobs = malloc (n * sizeof (*jobs));
    struct swf_record *recs = malloc (n * sizeof (*recs));
    if (!o || !jobs || !recs) {
        free (o);
        free (jobs);
        free (recs);
        errno = ENOMEM;
        return -1;
    }
    for (int i = 0; i < t->njobs; i++)
        o[i] = (struct order){t->jobs[i].submit, i};
    qsort (o, (size_t)t->njobs, sizeof (*o), by_submit);
    for (int i = 0; i < t->njobs; i++) {
        jobs[i] = t->jobs[o[i].pos];
        recs[i] = t->recs[o[i].pos];
    }
    free (o);
    free (t->jobs);
    free (t->recs);
    t->jobs = jobs;
    t->recs = recs;
    return 0;
}

struct sim_trace *sim_trace_load (const char *path, int max_procs, struct herror *err)
{
    struct sim_trace *t = calloc (1, sizeof (*t));
    struct swf_reader *r = t ? swf_reader_open (path, err) : NULL;
    int cap = 0, rc;
    if (!t) {
        errno = ENOMEM;
        herror_set (err, "out of memory");
    }
    if (!r)
        goto fail;
    struct swf_record rec;
    while ((rc = swf_reader_next (r, &rec, err)) == 1) {
        t->records++;
        int d = sim_trace_filter (&rec, max_procs);
        if (d >= 0) {
            t->dropped[d]++;
            continue;
        }
        if (t->njobs == cap && grow (t, &cap) < 0) {
            herror_set (err, "%s: out of memory", path);
            goto fail;
        }
        t->recs[t->njobs] = rec;
        t->jobs[t->njobs++] = job_of (&rec);
        t->capped += rec.run > rec.time_req;
    }
    if (rc < 0)
        goto fail;
    if (!(t->header = strdup (swf_reader_header (r))) || sort_jobs (t) < 0) {
        errno = ENOMEM;
        herror_set (err, "%s: out of memory", path);
        goto fail;
    }
    swf_reader_close (r);
    return t;
fail:
    swf_reader_close (r);
    sim_trace_destroy (t);
    return NULL;
}
