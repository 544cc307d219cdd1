#include "backfill.h"

#include <errno.h>
#include <stdlib.h>

#include "common/idset.h"

struct resv {
    int64_t seq;
    int64_t start, end; /* end BACKFILL_NEVER: no walltime */
    const struct sched_alloc *plan;
    struct idset *nodes; /* dense indexes */
};

/* A running job and when it is expected back; at most what its end adds
 * to the free totals (snap_run.cores, gpus). */
struct ending {
    int64_t end;
    int64_t seq;
    const struct snap_run *run;
    long cores, gpus;
};

/* A time at which a job could start, how many running jobs (in order of
 * end) have ended by then, and at most how many cores and GPUs those
 * jobs' ends add to the cluster's free totals (backfill.now_cores). */
struct cand {
    int64_t t;
    int rel;
    long cores, gpus;
};

struct backfill {
    struct sched_snapshot *s;
    struct placement *p;
    int64_t now;
    struct resv *r;
    int n, cap;
    int64_t *from;        /* backfill_horizon(); NULL until the first reservation */
    struct ending *order; /* running jobs by expected end, rebuilt per reservation */
    int order_cap;
    int64_t *ends;     /* ends of the reservations, sorted */
    struct cand *cand; /* candidate start times of the job being reserved */
    int ncand, cand_cap;
    int released;                  /* running jobs (in order) released by the replay */
    int64_t latest;                /* the latest start of a reservation */
    int64_t need_cores, need_gpus; /* the job being reserved, in all */
    bool now_known;                /* the cluster's free totals at the start of */
    long now_cores, now_gpus;      /* this search, asked when first needed */
};

struct backfill *backfill_create (struct sched_snapshot *s, struct placement *p, int64_t now)
{
    struct backfill *b = calloc (1, sizeof (*b));
    if (!b) {
        errno = ENOMEM;
        return NULL;
    }
    b->s = s;
    b->p = p;
    b->now = now;
    return b;
}

void backfill_destroy (struct backfill *b)
{
    if (!b)
        return;
    int saved = errno;
    for (int i = 0; i < b->n; i++)
        idset_destroy (b->r[i].nodes);
    free (b->r);
    free (b->from);
    free (b->order);
    free (b->ends);
    free (b->cand);
    free (b);
    errno = saved;
}

int backfill_count (const struct backfill *b)
{
    return b->n;
}

int64_t backfill_latest (const struct backfill *b)
{
    return b->latest;
}

const int64_t *backfill_horizon (const struct backfill *b)
{
    return b->from;
}

/* When a running job is expected back: its window's end, now if that has
 * passed (it may end any moment), BACKFILL_NEVER with no walltime. */
static int64_t run_end (const struct backfill *b, const struct snap_run *r)
{
    int64_t end = rset_end (sched_alloc_rset (r->a));
    return end < b->now ? b->now : end;
}

/* By expected end, then seq: ties always break the same way. */
static int cmp_ending (const void *x, const void *y)
{
    const struct ending *a = x, *c = y;
    if (a->end != c->end)
        return a->end < c->end ? -1 : 1;
    return a->seq < c->seq ? -1 : a->seq > c->seq;
}

static int cmp_i64 (const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, c = *(const int64_t *)y;
    return a < c ? -1 : a > c;
}

/* The running jobs in order of expected end, and the reservations' ends. */
static int sort_inputs (struct backfill *b)
{
    struct sched_snapshot *s = b->s;
    if (s->nruns > b->order_cap) {
        struct ending *v = realloc (b->order, (size_t)s->nruns * sizeof (*v));
        if (!v)
            return -1;
        b->order = v;
        b->order_cap = s->nruns;
    }
    for (int i = 0; i < s->nruns; i++)
        b->order[i] = (struct ending){run_end (b, &s->runs[i]), s->runs[i].seq, &s->runs[i],
                                      s->runs[i].cores, s->runs[i].gpus};
    if (s->nruns > 1)
        qsort (b->order, (size_t)s->nruns, sizeof (*b->order), cmp_ending);
    int k = 0;
    for (int j = 0; j < b->n; j++) {
        if (b->r[j].end != BACKFILL_NEVER)
            b->ends[k++] = b->r[j].end;
    }
    if (k > 0)
        qsort (b->ends, (size_t)k, sizeof (*b->ends), cmp_i64);
    return k;
}

/* The nodes of the reservations whose window overlaps [T, END): a job
 * placed at T must keep off them.  NULL when there are none (or ENOMEM,
 * told by *ERR). */
static struct idset *overlapping (const struct backfill *b, int64_t t, int64_t end, bool *err)
{
    struct idset *skip = NULL;
    for (int j = 0; j < b->n; j++) {
        const struct resv *r = &b->r[j];
        if (r->start >= end || t >= r->end)
            continue;
        if (!skip && !(skip = idset_create()))
            goto nomem;
        for (int i = idset_first (r->nodes); i >= 0; i = idset_next (r->nodes, (unsigned)i)) {
            if (idset_set (skip, (unsigned)i) < 0)
                goto nomem;
        }
    }
    return skip;
nomem:
    idset_destroy (skip);
    *err = true;
    return NULL;
}

/* Try to place the job at T on the snapshot as replayed so far, off the
 * nodes of the earlier reservations it would overlap when RESV: with
 * PLAN, place it (claimed; the caller releases it); without, only ask
 * whether it would fit (placement_fits: the same answer, no claim).  0
 * (with *PLAN), -1 with errno ENOSPC (does not fit then) or ENOMEM. */
static int try_at (struct backfill *b, int64_t t, bool resv, int64_t seq, const struct resreq *req,
                   int64_t eligible, struct sched_alloc **plan)
{
    bool err = false;
    int64_t end = req->walltime > 0 ? t + req->walltime : BACKFILL_NEVER;
    struct idset *skip = resv ? overlapping (b, t, end, &err) : NULL;
    if (err) {
        errno = ENOMEM;
        return -1;
    }
    placement_set_horizon (b->p, NULL, 0);
    placement_set_waited (b->p, t - eligible);
    int rc;
    if (plan)
        rc = placement_place (b->p, &placement_free_now, seq, req, skip, plan);
    else if ((rc = placement_fits (b->p, &placement_free_now, req, skip)) == 1)
        rc = 0;
    else if (rc == 0) {
        errno = ENOSPC;
        rc = -1;
    }
    int saved = errno;
    idset_destroy (skip);
    errno = saved;
    return rc;
}

/* Keep the plan as a reservation: its nodes, and the per-node horizon. */
static int add_resv (struct backfill *b, int64_t seq, int64_t t, const struct resreq *req,
                     const struct sched_alloc *plan)
{
    struct sched_snapshot *s = b->s;
    if (b->n == b->cap) {
        int cap = b->cap ? 2 * b->cap : 8;
        struct resv *v = realloc (b->r, (size_t)cap * sizeof (*v));
        int64_t *e = realloc (b->ends, (size_t)cap * sizeof (*e));
        if (v)
            b->r = v;
        if (e)
            b->ends = e;
        if (!v || !e)
            return -1;
        b->cap = cap;
    }
    if (!b->from) {
        if (!(b->from = malloc (((size_t)s->n + 1) * sizeof (*b->from))))
            return -1;
        for (int i = 0; i < s->n; i++)
            b->from[i] = BACKFILL_NEVER;
    }
    struct idset *nodes = idset_create();
    if (!nodes)
        return -1;
    for (int k = 0; k < sched_alloc_nnodes (plan); k++) {
        int i = snap_find (s, sched_alloc_node (plan, k)->name);
        if (idset_set (nodes, (unsigned)i) < 0) {
            idset_destroy (nodes);
            return -1;
        }
    }
    for (int i = idset_first (nodes); i >= 0; i = idset_next (nodes, (unsigned)i)) {
        if (b->from[i] > t)
            b->from[i] = t;
    }
    int64_t end = req->walltime > 0 ? t + req->walltime : BACKFILL_NEVER;
    b->r[b->n++] = (struct resv){seq, t, end, plan, nodes};
    if (t > b->latest)
        b->latest = t;
    return 0;
}

/* The times at which the job could start (backfill.h): now, every
 * distinct expected end of a running job and every end of a reservation,
 * ascending, each with how many running jobs (in order of end) have ended
 * by then and the bound on the free totals then.  -1 ENOMEM. */
static int candidates (struct backfill *b, int nends)
{
    int R = b->s->nruns;
    if (R + nends + 1 > b->cand_cap) {
        struct cand *v = realloc (b->cand, (size_t)(R + nends + 1) * sizeof (*v));
        if (!v)
            return -1;
        b->cand = v;
        b->cand_cap = R + nends + 1;
    }
    int n = 0, i = 0, k = 0;
    int64_t t = b->now;
    long cores = 0, gpus = 0;
    while (t != BACKFILL_NEVER) {
        for (; i < R && b->order[i].end <= t; i++) {
            cores += b->order[i].cores;
            gpus += b->order[i].gpus;
        }
        while (k < nends && b->ends[k] <= t)
            k++;
        b->cand[n++] = (struct cand){t, i, cores, gpus};
        t = i < R ? b->order[i].end : BACKFILL_NEVER;
        if (k < nends && b->ends[k] < t)
            t = b->ends[k];
    }
    b->ncand = n;
    return 0;
}

/* Replay up to REL running jobs ended: release forward in order of end,
 * claim back in reverse, so the snapshot is always exactly the live one
 * less the first REL of them (claiming what was just freed cannot fail). */
static void replay_to (struct backfill *b, int rel)
{
    while (b->released < rel)
        (void)snap_release_run (b->s, b->order[b->released++].run);
    while (b->released > rel)
        (void)snap_claim_run (b->s, b->order[--b->released].run);
}

/* Does the job fit at candidate K (honouring earlier reservations when
 * RESV)?  1 yes; 0 no; -1 ENOMEM.  Only asked: the search places the job
 * once, at the candidate it settles on (backfill_reserve), so the
 * candidates it passes over cost no claim of a plan. */
static int probe (struct backfill *b, int k, bool resv, int64_t seq, const struct resreq *req,
                  int64_t eligible)
{
    if (k == 0 && b->cand[0].rel == 0 && (resv || b->n == 0))
        return 0; /* the cluster as it is now: the job was just refused */
    /* More than the cluster's totals can offer then: the placer would
     * refuse it from them (placement_request_totals), so neither replay
     * nor ask.  While the cluster is too full, which is most candidates
     * before T, a probe costs O(1) instead of releases and a placement. */
    if (!b->now_known) { /* the snapshot is the live one until the first replay */
        struct snap_totals now = snap_group_totals (b->s, 0);
        b->now_cores = now.cores;
        b->now_gpus = now.gpus;
        b->now_known = true;
    }
    if (b->need_cores > b->now_cores + b->cand[k].cores ||
        b->need_gpus > b->now_gpus + b->cand[k].gpus)
        return 0;
    replay_to (b, b->cand[k].rel);
    if (try_at (b, b->cand[k].t, resv, seq, req, eligible, NULL) == 0)
        return 1;
    return errno == ENOSPC ? 0 : -1;
}

/* The first candidate at which the job fits, ignoring earlier
 * reservations: -1 none, -2 ENOMEM.  The cluster then only grows as jobs
 * end, so a job that fits at one candidate fits at every later one (the
 * placer is exact for one chunk shape, placement.h): gallop forward (1,
 * 2, 4, ... candidates on) to a fit, then bisect back to the first,
 * O(log candidates) placements instead of one per end. */
static int earliest (struct backfill *b, int64_t seq, const struct resreq *req, int64_t eligible)
{
    int n = b->ncand, lo = -1, hi = -1, rc = 0;
    for (int k = 0, step = 1; k < n;
         k = lo + step < n ? lo + step : (lo == n - 1 ? n : n - 1), step *= 2) {
        if ((rc = probe (b, k, false, seq, req, eligible)) < 0)
            return -2;
        if (rc == 1) {
            hi = k;
            break;
        }
        lo = k;
    }
    if (hi < 0)
        return -1;
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        if ((rc = probe (b, mid, false, seq, req, eligible)) < 0)
            return -2;
        if (rc == 1)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

/* The first candidate at which the job fits: -1 none, -2 ENOMEM.
 * Earlier reservations only take options away, so the job cannot fit
 * before the time it would fit without them: from there, with them, a
 * later time can overlap more of them, so every candidate in turn
 * (conservative; depth bounds how often). */
static int first_fit (struct backfill *b, int64_t seq, const struct resreq *req, int64_t eligible)
{
    int k = earliest (b, seq, req, eligible);
    if (k < 0 || b->n == 0)
        return k;
    for (; k < b->ncand; k++) {
        int rc = probe (b, k, true, seq, req, eligible);
        if (rc != 0)
            return rc < 0 ? -2 : k;
    }
    return -1;
}

/* The plan at candidate K, where the search found that the job fits: the
 * snapshot replayed to K, the job placed as the probe there was asked
 * (with no earlier reservation, none to keep off), and given back.  0,
 * -1 ENOMEM. */
static int plan_at (struct backfill *b, int k, int64_t seq, const struct resreq *req,
                    int64_t eligible, struct sched_alloc **a)
{
    replay_to (b, b->cand[k].rel);
    if (try_at (b, b->cand[k].t, true, seq, req, eligible, a) < 0) {
        if (errno == ENOSPC) /* the probe said it fits: cannot happen */
            errno = EIO;
        return -1;
    }
    (void)snap_release (b->s, *a); /* a plan, not a start */
    return 0;
}

int backfill_reserve (struct backfill *b, int64_t seq, const struct resreq *req, int64_t eligible,
                      int64_t *start, struct sched_alloc **plan)
{
    struct sched_alloc *a = NULL;
    placement_request_totals (req, &b->need_cores, &b->need_gpus);
    b->now_known = false;
    int nends = sort_inputs (b);
    if (nends < 0 || candidates (b, nends) < 0) {
        errno = ENOMEM;
        return -1;
    }
    b->released = 0;
    int k = first_fit (b, seq, req, eligible);
    int rc = k >= 0 ? plan_at (b, k, seq, req, eligible, &a) : 0;
    int saved = errno;
    replay_to (b, 0);
    if (k == -2 || rc < 0) {
        errno = k == -2 ? ENOMEM : saved;
        return -1;
    }
    if (k < 0)
        return 0;
    int64_t t = b->cand[k].t;
    sched_alloc_set_window (a, t, req->walltime);
    if (add_resv (b, seq, t, req, a) < 0) {
        sched_alloc_destroy (a);
        errno = ENOMEM;
        return -1;
    }
    *start = t;
    *plan = a;
    return 1;
}

int64_t backfill_blocker (const struct backfill *b, const int *nodes, int n, int64_t end)
{
    int first = -1;
    if (!b->from)
        return -1;
    for (int k = 0; k < n; k++) {
        int i = nodes[k];
        if (i < 0 || i >= b->s->n || b->from[i] >= end)
            continue;
        for (int j = 0; j < b->n && (first < 0 || j < first); j++) {
            if (b->r[j].start < end && idset_test (b->r[j].nodes, (unsigned)i))
                first = j;
        }
    }
    return first < 0 ? -1 : b->r[first].seq;
}
