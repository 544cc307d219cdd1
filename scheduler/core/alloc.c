#include "alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct sched_alloc {
    int64_t seq;
    bool exclusive;
    struct rset *r;
    char pgroup[SCHED_ALLOC_PGROUP_MAX + 1];
    int partition;
};

struct sched_alloc *sched_alloc_from_rset (int64_t seq, bool exclusive, struct rset *r)
{
    struct sched_alloc *a = r ? calloc (1, sizeof (*a)) : NULL;
    if (!a) {
        rset_destroy (r);
        errno = ENOMEM;
        return NULL;
    }
    a->seq = seq;
    a->exclusive = exclusive;
    a->r = r;
    return a;
}

struct sched_alloc *sched_alloc_create (int64_t seq)
{
    return sched_alloc_from_rset (seq, false, rset_create());
}

struct sched_alloc *sched_alloc_copy (const struct sched_alloc *a)
{
    struct sched_alloc *c = sched_alloc_create (a->seq);
    if (!c)
        return NULL;
    for (int i = 0; i < rset_nnodes (a->r); i++) {
        if (rset_add (c->r, rset_node (a->r, i)) < 0) {
            sched_alloc_destroy (c);
            errno = ENOMEM;
            return NULL;
        }
    }
    int64_t start = rset_start (a->r), end = rset_end (a->r);
    rset_set_window (c->r, start, end == RSET_NO_END ? 0 : end - start);
    c->exclusive = a->exclusive;
    memcpy (c->pgroup, a->pgroup, sizeof (c->pgroup));
    c->partition = a->partition;
    return c;
}

void sched_alloc_destroy (struct sched_alloc *a)
{
    if (!a)
        return;
    int saved = errno;
    rset_destroy (a->r);
    free (a);
    errno = saved;
}

int64_t sched_alloc_seq (const struct sched_alloc *a)
{
    return a->seq;
}

bool sched_alloc_exclusive (const struct sched_alloc *a)
{
    return a->exclusive;
}

void sched_alloc_set_exclusive (struct sched_alloc *a, bool exclusive)
{
    a->exclusive = exclusive;
}

int sched_alloc_set_pgroup (struct sched_alloc *a, const char *name, int partition)
{
    size_t n = name ? strlen (name) : 0;
    if (!a || n > SCHED_ALLOC_PGROUP_MAX || partition < 0) {
        errno = EINVAL;
        return -1;
    }
    memcpy (a->pgroup, name ? name : "", n + 1);
    a->partition = n > 0 ? partition : 0;
    return 0;
}

const char *sched_alloc_pgroup (const struct sched_alloc *a)
{
    return a->pgroup;
}

int sched_alloc_partition (const struct sched_alloc *a)
{
    return a->partition;
}

const struct rset *sched_alloc_rset (const struct sched_alloc *a)
{
    return a->r;
}

void sched_alloc_set_window (struct sched_alloc *a, int64_t start, int64_t walltime)
{
    rset_set_window (a->r, start, walltime);
}

int sched_alloc_nnodes (const struct sched_alloc *a)
{
    return rset_nnodes (a->r);
}

const struct rset_node *sched_alloc_node (const struct sched_alloc *a, int i)
{
    if (!a) {
        errno = EINVAL;
        return NULL;
    }
    return rset_node (a->r, i);
}

int sched_alloc_add (struct sched_alloc *a, const struct rset_node *part)
{
    if (!a) {
        errno = EINVAL;
        return -1;
    }
    return rset_add (a->r, part);
}

int sched_alloc_total_cores (const struct sched_alloc *a)
{
    return rset_total_cores (a->r);
}

int sched_alloc_total_gpus (const struct sched_alloc *a)
{
    return rset_total_gpus (a->r);
}

uint64_t sched_alloc_total_mem (const struct sched_alloc *a)
{
    return rset_total_mem (a->r);
}
