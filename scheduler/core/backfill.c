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

/* A running job and when it is expected back. */
struct ending {
    int64_t end;
    int64_t seq;
    const struct sched_alloc *a;
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
    int64_t *ends; /* ends of the reservations, sorted */
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
    free (b);
    errno = saved;
}

int backfill_count (const struct backfill *b)
{
    return b->n;
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
        b->order[i] = (struct ending){run_end (b, &s->runs[i]), s->runs[i].seq, s->runs[i].a};
    qsort (b->order, (size_t)s->nruns, sizeof (*b->order), cmp_ending);
    int k = 0;
    for (int j = 0; j < b->n; j++) {
        if (b->r[j].end != BACKFILL_NEVER)
            b->ends[k++] = b->r[j].end;
    }
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

/* Try to place the job at T on the snapshot as replayed so far.  0 with
 * *PLAN, -1 with errno ENOSPC (does not fit then) or ENOMEM. */
static int try_at (struct backfill *b, int64_t t, int64_t seq, const struct resreq *req,
                   int64_t eligible, struct sched_alloc **plan)
{
    bool err = false;
    int64_t end = req->walltime > 0 ? t + req->walltime : BACKFILL_NEVER;
    struct idset *skip = overlapping (b, t, end, &err);
    if (err) {
        errno = ENOMEM;
        return -1;
    }
    placement_set_horizon (b->p, NULL, 0);
    placement_set_waited (b->p, t - eligible);
    int rc = placement_place (b->p, &placement_free_now, seq, req, skip, plan);
    idset_destroy (skip);
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
    return 0;
}

int backfill_reserve (struct backfill *b, int64_t seq, const struct resreq *req, int64_t eligible,
                      int64_t *start, struct sched_alloc **plan)
{
    struct sched_snapshot *s = b->s;
    struct sched_alloc *a = NULL;
    int nends = sort_inputs (b);
    if (nends < 0) {
        errno = ENOMEM;
        return -1;
    }
    int R = s->nruns, released = 0, k = 0, rc = 0;
    int64_t t = b->now;
    for (;;) {
        while (released < R && b->order[released].end <= t)
            (void)snap_release (s, b->order[released++].a);
        /* at NOW with nothing freed the job was just refused: no need to ask */
        if (t > b->now || released > 0) {
            if (try_at (b, t, seq, req, eligible, &a) == 0) {
                rc = 1;
                break;
            }
            if (errno != ENOSPC) {
                rc = -1;
                break;
            }
        }
        int64_t next = released < R ? b->order[released].end : BACKFILL_NEVER;
        while (k < nends && b->ends[k] <= t)
            k++;
        if (k < nends && b->ends[k] < next)
            next = b->ends[k];
        if (next == BACKFILL_NEVER)
            break; /* nothing more will ever be freed */
        t = next;
    }
    int saved = errno;
    if (rc == 1)
        (void)snap_release (s, a); /* it is a plan, not a start */
    while (released > 0)           /* exactly as it was; claiming what was just freed cannot fail */
        (void)snap_claim (s, b->order[--released].a);
    if (rc == 1) {
        sched_alloc_set_window (a, t, req->walltime);
        if (add_resv (b, seq, t, req, a) < 0) {
            sched_alloc_destroy (a);
            errno = ENOMEM;
            return -1;
        }
        *start = t;
        *plan = a;
    }
    errno = saved;
    return rc;
}

int64_t backfill_blocker (const struct backfill *b, const struct sched_alloc *a, int64_t end)
{
    int first = -1;
    if (!b->from)
        return -1;
    for (int k = 0; k < sched_alloc_nnodes (a); k++) {
        int i = snap_find (b->s, sched_alloc_node (a, k)->name);
        if (i < 0 || b->from[i] >= end)
            continue;
        for (int j = 0; j < b->n && (first < 0 || j < first); j++) {
            if (b->r[j].start < end && idset_test (b->r[j].nodes, (unsigned)i))
                first = j;
        }
    }
    return first < 0 ? -1 : b->r[first].seq;
}
