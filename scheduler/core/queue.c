#include "queue_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct sched_queue {
    struct qjob **order; /* live and dead jobs; sorted unless dirty */
    int n, cap;
    int ndead;
    bool dirty;
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
    for (int i = 0; i < q->n; i++)
        qjob_free (q->order[i]);
    free (q->order);
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

/* Grow both tables before a job goes in, so that adding cannot fail
 * half-way. */
static int reserve_one (struct sched_queue *q)
{
    if (q->n == q->cap) {
        int cap = q->cap ? 2 * q->cap : 64;
        struct qjob **v = realloc (q->order, (size_t)cap * sizeof (*v));
        if (!v)
            return -1;
        q->order = v;
        q->cap = cap;
    }
    if (q->nlive + 1 > q->nbuckets) {
        int nb = q->nbuckets ? 2 * q->nbuckets : 64;
        struct qjob **b = calloc ((size_t)nb, sizeof (*b));
        if (!b)
            return -1;
        for (int i = 0; i < q->n; i++) {
            if (!q->order[i]->dead)
                hash_link (b, nb, q->order[i]);
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

static void compact (struct sched_queue *q)
{
    int k = 0;
    for (int i = 0; i < q->n; i++) {
        if (q->order[i]->dead)
            qjob_free (q->order[i]);
        else
            q->order[k++] = q->order[i];
    }
    q->n = k;
    q->ndead = 0;
}

void queue_ordered (struct sched_queue *q, struct qjob ***jobs, int *n)
{
    if (q->ndead)
        compact (q);
    if (q->dirty) {
        qsort (q->order, (size_t)q->n, sizeof (*q->order), cmp_order);
        q->dirty = false;
    }
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
    /* the usual submit appends in order; anything else needs a sort */
    if (q->n > 0 && !runs_before (q->order[q->n - 1], j))
        q->dirty = true;
    q->order[q->n++] = j;
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
        compact (q);
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
        q->dirty = true;
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
        q->dirty = true;
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
