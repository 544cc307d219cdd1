#include "queue_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The order is kept between passes: ORDER is sorted, but for the entries
 * of jobs in PENDING (their key changed since: their entry there is
 * stale and skipped), and PENDING holds the jobs whose place is to be
 * found (added out of order, or given another priority or rank).  The
 * next queue_ordered() sorts only PENDING and merges it in, O(n + k log
 * k) for k of them, instead of sorting all n: a pass that started k jobs
 * which the controller then had to queue again (or a bench undoing its
 * starts) does not cost a sort of 100,000 jobs.  Jobs are totally
 * ordered (ties end at seq), so the result is the one a full sort gives. */
struct sched_queue {
    struct qjob **order; /* live and dead jobs, sorted but for pending ones */
    int n, cap;          /* cap >= every job object (order and pending) */
    struct qjob **pending;
    int npending, pending_cap;
    struct qjob **scratch; /* the merge's output, cap entries once made */
    int scratch_cap;
    int ndead;
    bool dirty;            /* PENDING could not grow: sort everything next time */
    struct qjob **buckets; /* seq -> job, live jobs only */
    int nbuckets;          /* power of two */
    int nlive;
};

struct sched_queue *sched_queue_create (void)
{
    return calloc (1, sizeof (struct sched_queue));
}

static void qjob_free (struct qjob *j)
{
    if (j) {
        resreq_clear (&j->req);
        free (j);
    }
}

void sched_queue_destroy (struct sched_queue *q)
{
    if (!q)
        return;
    int saved = errno;
    for (int i = 0; i < q->n; i++) {
        if (!q->order[i]->pending) /* else freed from pending */
            qjob_free (q->order[i]);
    }
    for (int i = 0; i < q->npending; i++)
        qjob_free (q->pending[i]);
    free (q->order);
    free (q->pending);
    free (q->scratch);
    free (q->buckets);
    free (q);
    errno = saved;
}

/* ---- seq -> job ---- */

static unsigned bucket_of (int64_t seq, int nbuckets)
{
    uint64_t h = (uint64_t)seq * 0x9E3779B97F4A7C15ull; /* Fibonacci hashing */
    return (unsigned)(h >> 32) & (unsigned)(nbuckets - 1);
}

static struct qjob *lookup (const struct sched_queue *q, int64_t seq)
{
    if (!q->nbuckets)
        return NULL;
    struct qjob *j = q->buckets[bucket_of (seq, q->nbuckets)];
    while (j && j->seq != seq)
        j = j->hnext;
    return j;
}

/* The job seq names, or NULL with errno ENOENT (q may be NULL). */
static struct qjob *find (const struct sched_queue *q, int64_t seq)
{
    struct qjob *j = q ? lookup (q, seq) : NULL;
    if (!j)
        errno = ENOENT;
    return j;
}

static void hash_link (struct qjob **buckets, int nbuckets, struct qjob *j)
{
    unsigned b = bucket_of (j->seq, nbuckets);
    j->hnext = buckets[b];
    buckets[b] = j;
}

static void hash_unlink (struct sched_queue *q, struct qjob *j)
{
    struct qjob **pp = &q->buckets[bucket_of (j->seq, q->nbuckets)];
    while (*pp != j)
        pp = &(*pp)->hnext;
    *pp = j->hnext;
}

/* Room for one more entry in PENDING. */
static int pending_reserve (struct sched_queue *q)
{
    if (q->npending == q->pending_cap) {
        int cap = q->pending_cap ? 2 * q->pending_cap : 64;
        struct qjob **v = realloc (q->pending, (size_t)cap * sizeof (*v));
        if (!v)
            return -1;
        q->pending = v;
        q->pending_cap = cap;
    }
    return 0;
}

/* Grow the tables before a job goes in, so that adding cannot fail
 * half-way: ORDER can then hold every job object (queue_ordered may put
 * them all there), PENDING one more. */
static int reserve_one (struct sched_queue *q)
{
    if (q->n + q->npending + 1 > q->cap) {
        int cap = q->cap ? 2 * q->cap : 64;
        while (cap < q->n + q->npending + 1)
            cap *= 2;
        struct qjob **v = realloc (q->order, (size_t)cap * sizeof (*v));
        if (!v)
            return -1;
        q->order = v;
        q->cap = cap;
    }
    if (pending_reserve (q) < 0)
        return -1;
    if (q->nlive + 1 > q->nbuckets) {
        int nb = q->nbuckets ? 2 * q->nbuckets : 64;
        struct qjob **b = calloc ((size_t)nb, sizeof (*b));
        if (!b)
            return -1;
        for (int i = 0; i < q->n; i++) {
            if (!q->order[i]->dead && !q->order[i]->pending)
                hash_link (b, nb, q->order[i]);
        }
        for (int i = 0; i < q->npending; i++) {
            if (!q->pending[i]->dead)
                hash_link (b, nb, q->pending[i]);
        }
        free (q->buckets);
        q->buckets = b;
        q->nbuckets = nb;
    }
    return 0;
}

/* ---- order ---- */

static bool runs_before (const struct qjob *a, const struct qjob *b)
{
    if (a->priority != b->priority)
        return a->priority > b->priority;
    if (a->rank != b->rank)
        return a->rank < b->rank;
    return a->seq < b->seq;
}

static int cmp_order (const void *a, const void *b)
{
    const struct qjob *x = *(struct qjob *const *)a, *y = *(struct qjob *const *)b;
    return runs_before (x, y) ? -1 : runs_before (y, x) ? 1 : 0;
}

/* J's place in the order is to be found again (queue_ordered). */
static void make_pending (struct sched_queue *q, struct qjob *j)
{
    if (j->pending)
        return;
    if (pending_reserve (q) < 0) { /* J keeps its stale entry: sort all */
        q->dirty = true;
        return;
    }
    j->pending = true;
    q->pending[q->npending++] = j;
}

/* Drop from ORDER the dead jobs (freed) and the stale entries of pending
 * ones; from PENDING the dead jobs (freed), clearing the flag of the
 * rest.  ORDER stays sorted. */
static void drop_stale (struct sched_queue *q)
{
    int k = 0;
    for (int i = 0; i < q->n; i++) {
        struct qjob *j = q->order[i];
        if (j->pending)
            continue;
        if (j->dead)
            qjob_free (j);
        else
            q->order[k++] = j;
    }
    q->n = k;
    k = 0;
    for (int i = 0; i < q->npending; i++) {
        struct qjob *j = q->pending[i];
        j->pending = false;
        if (j->dead)
            qjob_free (j);
        else
            q->pending[k++] = j;
    }
    q->npending = k;
    q->ndead = 0;
}

/* ORDER: every live job, sorted; PENDING empty. */
static void normalize (struct sched_queue *q)
{
    drop_stale (q);
    if (q->npending > 1)
        qsort (q->pending, (size_t)q->npending, sizeof (*q->pending), cmp_order);
    if (q->npending > 0 && !q->dirty && q->scratch_cap < q->cap) {
        struct qjob **v = realloc (q->scratch, (size_t)q->cap * sizeof (*v));
        if (v) {
            q->scratch = v;
            q->scratch_cap = q->cap;
        }
    }
    if (q->npending > 0 && !q->dirty && q->scratch_cap >= q->n + q->npending) {
        int a = 0, b = 0, k = 0;
        while (a < q->n || b < q->npending) {
            bool take_pending =
                a == q->n || (b < q->npending && runs_before (q->pending[b], q->order[a]));
            q->scratch[k++] = take_pending ? q->pending[b++] : q->order[a++];
        }
        struct qjob **v = q->order;
        int cap = q->cap;
        q->order = q->scratch;
        q->cap = q->scratch_cap;
        q->scratch = v;
        q->scratch_cap = cap;
        q->n = k;
    } else if (q->npending > 0 || q->dirty) { /* no memory to merge, or a
                                               * stale entry: sort it all */
        memcpy (q->order + q->n, q->pending, (size_t)q->npending * sizeof (*q->order));
        q->n += q->npending;
        qsort (q->order, (size_t)q->n, sizeof (*q->order), cmp_order);
    }
    q->npending = 0;
    q->dirty = false;
}

void queue_ordered (struct sched_queue *q, struct qjob ***jobs, int *n)
{
    if (q->ndead || q->npending || q->dirty)
        normalize (q);
    *jobs = q->order;
    *n = q->n;
}

/* ---- public ---- */

static int copy_resreq (struct resreq *dst, const struct resreq *src)
{
    *dst = *src;
    dst->chunks = malloc ((size_t)src->nchunks * sizeof (*src->chunks));
    if (!dst->chunks)
        return -1;
    memcpy (dst->chunks, src->chunks, (size_t)src->nchunks * sizeof (*src->chunks));
    return 0;
}

int sched_queue_add (struct sched_queue *q, const struct sched_job *job)
{
    if (!q || !job || !job->req || job->req->nchunks < 1 || job->req->nchunks > RESREQ_MAX_CHUNKS ||
        !job->req->chunks) {
        errno = EINVAL;
        return -1;
    }
    if (lookup (q, job->seq)) {
        errno = EEXIST;
        return -1;
    }
    struct qjob *j = calloc (1, sizeof (*j));
    if (!j || reserve_one (q) < 0 || copy_resreq (&j->req, job->req) < 0) {
        free (j);
        errno = ENOMEM;
        return -1;
    }
    j->seq = job->seq;
    j->priority = job->priority;
    j->rank = job->rank ? job->rank : job->seq;
    j->eligible_time = job->eligible_time;
    j->held = job->held;
    /* the usual submit appends in order; anything else finds its place
     * at the next queue_ordered() (the last entry's key is current unless
     * it is pending itself) */
    struct qjob *last = q->n > 0 ? q->order[q->n - 1] : NULL;
    if (!last || (!last->pending && runs_before (last, j)))
        q->order[q->n++] = j;
    else {
        j->pending = true;
        q->pending[q->npending++] = j;
    }
    hash_link (q->buckets, q->nbuckets, j);
    q->nlive++;
    return 0;
}

int sched_queue_remove (struct sched_queue *q, int64_t seq)
{
    struct qjob *j = find (q, seq);
    if (!j)
        return -1;
    hash_unlink (q, j);
    j->dead = true;
    q->ndead++;
    q->nlive--;
    /* dead jobs keep their place (pointers stay valid for the pass) until
     * the next pass compacts; bound them when no pass comes */
    if (q->ndead > 1024 && q->ndead > q->nlive)
        normalize (q);
    return 0;
}

int sched_queue_hold (struct sched_queue *q, int64_t seq)
{
    struct qjob *j = find (q, seq);
    if (!j)
        return -1;
    j->held = true;
    return 0;
}

int sched_queue_release (struct sched_queue *q, int64_t seq, int64_t now)
{
    struct qjob *j = find (q, seq);
    if (!j)
        return -1;
    if (j->held) {
        j->held = false;
        j->eligible_time = now;
    }
    return 0;
}

int sched_queue_set_priority (struct sched_queue *q, int64_t seq, int priority)
{
    struct qjob *j = find (q, seq);
    if (!j)
        return -1;
    if (j->priority != priority) {
        j->priority = priority;
        make_pending (q, j);
    }
    return 0;
}

int sched_queue_set_rank (struct sched_queue *q, int64_t seq, int64_t rank)
{
    struct qjob *j = find (q, seq);
    if (!j)
        return -1;
    if (!rank)
        rank = seq;
    if (j->rank != rank) {
        j->rank = rank;
        make_pending (q, j);
    }
    return 0;
}

bool sched_queue_contains (const struct sched_queue *q, int64_t seq)
{
    return q && lookup (q, seq) != NULL;
}

int sched_queue_size (const struct sched_queue *q)
{
    return q->nlive;
}
