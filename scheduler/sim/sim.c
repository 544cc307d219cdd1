#include "sim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench/benchstat.h"
#include "scheduler/core/fabric.h"

/* Ends to come: a binary min-heap by end time, then job index, so that the
 * replay does the same thing every time. */
struct end_event {
    int64_t end;
    int job;
};

struct replay {
    struct sched_snapshot *s;
    struct sched_queue *q;
    struct sim_job *jobs;
    int n;
    const struct sched_limits *limits;
    struct sched_alloc **alloc; /* per job while it runs */
    struct end_event *heap;
    int nheap;
    const char **names; /* scratch: an allocation's node names */
    int names_cap;
    struct sim_passes *passes;
    int passes_cap;
    struct herror *err;
};

void sim_job_request (const struct sim_job *j, struct resreq *req, struct resreq_chunk *chunk)
{
    *chunk = (struct resreq_chunk){.count = j->procs, .ncpus = 1, .mpiprocs = 1};
    *req = (struct resreq){.nchunks = 1,
                           .chunks = chunk,
                           .arrangement = RESREQ_FREE,
                           .sharing = RESREQ_SHARED,
                           .walltime = j->walltime};
}

static bool before (const struct end_event *a, const struct end_event *b)
{
    return a->end < b->end || (a->end == b->end && a->job < b->job);
}

/* The heap holds at most one event per job: its storage is sized once. */
static void heap_push (struct replay *rp, struct end_event e)
{
    int i = rp->nheap++;
    while (i > 0 && before (&e, &rp->heap[(i - 1) / 2])) {
        rp->heap[i] = rp->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    rp->heap[i] = e;
}

static struct end_event heap_pop (struct replay *rp)
{
    struct end_event top = rp->heap[0], last = rp->heap[--rp->nheap];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= rp->nheap)
            break;
        if (c + 1 < rp->nheap && before (&rp->heap[c + 1], &rp->heap[c]))
            c++;
        if (!before (&rp->heap[c], &last))
            break;
        rp->heap[i] = rp->heap[c];
        i = c;
    }
    if (rp->nheap > 0)
        rp->heap[i] = last;
    return top;
}

static int fail_nomem (struct replay *rp)
{
    errno = ENOMEM;
    return herror_set (rp->err, "out of memory");
}

/* Nodes and leaves of the allocation job J was given. */
static int record_placement (struct replay *rp, int j, const struct sched_alloc *a)
{
    int nn = sched_alloc_nnodes (a);
    if (nn > rp->names_cap) {
        const char **v = realloc (rp->names, (size_t)nn * sizeof (*v));
        if (!v)
            return fail_nomem (rp);
        rp->names = v;
        rp->names_cap = nn;
    }
    for (int i = 0; i < nn; i++)
        rp->names[i] = sched_alloc_node (a, i)->name;
    int leaves, level;
    if (sched_snapshot_span (rp->s, rp->names, nn, &leaves, &level) < 0)
        return herror_set (rp->err, "job %lld: its nodes are not the cluster's",
                           (long long)rp->jobs[j].id);
    rp->jobs[j].nnodes = nn;
    rp->jobs[j].leaves = leaves;
    return 0;
}

static int note_pass_time (struct replay *rp, double us)
{
    struct sim_passes *p = rp->passes;
    if (p->n == rp->passes_cap) {
        int cap = rp->passes_cap ? 2 * rp->passes_cap : 4096;
        double *v = realloc (p->us, (size_t)cap * sizeof (*v));
        if (!v)
            return fail_nomem (rp);
        p->us = v;
        rp->passes_cap = cap;
    }
    p->us[p->n++] = us;
    return 0;
}

static int apply_decision (struct replay *rp, struct sched_result *r, int i, int64_t now)
{
    const struct sched_decision *d = sched_result_get (r, i);
    int j = (int)(d->seq - 1);
    if (d->kind == SCHED_NEVER) {
        errno = EINVAL;
        return herror_set (rp->err, "job %lld (%d processors) can never run here: %s",
                           (long long)rp->jobs[j].id, rp->jobs[j].procs, d->reason);
    }
    if (d->kind != SCHED_START)
        return 0;
    struct sched_alloc *a = sched_result_take_alloc (r, i);
    if (!a)
        return fail_nomem (rp);
    rp->alloc[j] = a;
    rp->jobs[j].start = now;
    heap_push (rp, (struct end_event){now + rp->jobs[j].run, j});
    return record_placement (rp, j, a);
}

/* One pass at NOW, timed; its starts become end events. */
static int run_pass (struct replay *rp, int64_t now)
{
    double t0 = bench_now_us();
    struct sched_result *r = sched_pass (rp->s, rp->q, now, rp->limits);
    double us = bench_now_us() - t0;
    if (!r)
        return herror_set (rp->err, "scheduling pass at %lld: %s", (long long)now,
                           strerror (errno));
    int rc = note_pass_time (rp, us);
    for (int i = 0; rc == 0 && i < sched_result_count (r); i++)
        rc = apply_decision (rp, r, i, now);
    sched_result_destroy (r);
    return rc;
}

static int end_job (struct replay *rp, int j)
{
    if (sched_snapshot_release (rp->s, rp->alloc[j]) < 0)
        return herror_set (rp->err, "job %lld: releasing its allocation: %s",
                           (long long)rp->jobs[j].id, strerror (errno));
    sched_alloc_destroy (rp->alloc[j]);
    rp->alloc[j] = NULL;
    return 0;
}

static int submit_job (struct replay *rp, int j)
{
    struct resreq req;
    struct resreq_chunk chunk;
    sim_job_request (&rp->jobs[j], &req, &chunk);
    struct sched_job sj = {.seq = j + 1, .eligible_time = rp->jobs[j].submit, .req = &req};
    if (sched_queue_add (rp->q, &sj) < 0)
        return herror_set (rp->err, "job %lld: queueing it: %s", (long long)rp->jobs[j].id,
                           strerror (errno));
    return 0;
}

static int replay (struct replay *rp)
{
    int next = 0;
    while (next < rp->n || rp->nheap > 0) {
        int64_t now = next < rp->n ? rp->jobs[next].submit : INT64_MAX;
        if (rp->nheap > 0 && rp->heap[0].end < now)
            now = rp->heap[0].end;
        while (rp->nheap > 0 && rp->heap[0].end == now) {
            if (end_job (rp, heap_pop (rp).job) < 0)
                return -1;
        }
        while (next < rp->n && rp->jobs[next].submit == now) {
            if (submit_job (rp, next++) < 0)
                return -1;
        }
        if (run_pass (rp, now) < 0)
            return -1;
    }
    int left = sched_queue_size (rp->q);
    if (left > 0) {
        errno = EINVAL;
        return herror_set (rp->err, "%d jobs stayed queued with nothing running", left);
    }
    return 0;
}

static int check_jobs (const struct sim_job *jobs, int n, struct herror *err)
{
    for (int i = 0; i < n; i++) {
        const struct sim_job *j = &jobs[i];
        if (j->procs < 1 || j->run < 1 || j->walltime < j->run || j->submit < 0 ||
            (i > 0 && j->submit < jobs[i - 1].submit)) {
            errno = EINVAL;
            return herror_set (err,
                               "job %lld: needs processors >= 1, 1 <= run <= walltime, "
                               "and submit times in order",
                               (long long)j->id);
        }
    }
    return 0;
}

int sim_run (struct sim_cluster *c, struct sim_job *jobs, int n, const struct sched_limits *limits,
             struct sim_passes *passes, struct herror *err)
{
    *passes = (struct sim_passes){0};
    if (check_jobs (jobs, n, err) < 0)
        return -1;
    struct replay rp = {.s = sim_cluster_snapshot (c),
                        .q = sched_queue_create(),
                        .jobs = jobs,
                        .n = n,
                        .limits = limits,
                        .alloc = calloc ((size_t)n + 1, sizeof (*rp.alloc)),
                        .heap = malloc (((size_t)n + 1) * sizeof (*rp.heap)),
                        .passes = passes,
                        .err = err};
    int rc = -1;
    if (!rp.q || !rp.alloc || !rp.heap) {
        fail_nomem (&rp);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        jobs[i].start = -1;
        jobs[i].nnodes = 0;
        jobs[i].leaves = 0;
    }
    rc = replay (&rp);
out:
    /* after a failure, give the cluster back idle all the same */
    for (int i = 0; rp.alloc && i < n; i++) {
        if (rp.alloc[i]) {
            (void)sched_snapshot_release (rp.s, rp.alloc[i]);
            sched_alloc_destroy (rp.alloc[i]);
        }
    }
    free (rp.alloc);
    free (rp.heap);
    free (rp.names);
    sched_queue_destroy (rp.q);
    return rc;
}
