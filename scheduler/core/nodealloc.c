#include "nodealloc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

/* What one chunk has taken so far on a node (slots), so it can be undone
 * and turned into allocation entries. */
struct pick {
    struct sched_snapshot *s;
    struct snode *n;
    int64_t seq;
    int *cores;
    int ncores;
    int *gpus;
    int ngpus;
};

static void take_core (struct pick *p, int slot)
{
    snap_take_core (p->n, slot, p->seq);
    p->cores[p->ncores++] = slot;
}

static void take_gpu (struct pick *p, int slot)
{
    snap_take_gpu (p->n, slot, p->seq);
    p->gpus[p->ngpus++] = slot;
}

/* Take up to NEED free cores of domain D in its preference order, from
 * the first that may be free (snode.numa_first); every core the scan
 * passes is taken when it ends, so the mark moves to where it stopped. */
static int take_from_domain (struct pick *p, int d, int need)
{
    struct snode *n = p->n;
    int got = 0, i = n->numa_first[d];
    for (; i < n->numa_ncores[d] && got < need; i++) {
        int slot = n->numa_cores[d][i];
        if (n->cores[slot].owner == SNAP_FREE) {
            take_core (p, slot);
            got++;
        }
    }
    n->numa_first[d] = i;
    return got;
}

/* CPU cores, packed: the tightest domain that holds all NEED, else the
 * fullest-free domains one after another. */
static void pick_cpu_cores (struct pick *p, int need)
{
    const struct snode *n = p->n;
    int best = -1;
    for (int d = 0; d < n->nnuma; d++) {
        if (n->numa_free[d] >= need && (best < 0 || n->numa_free[d] < n->numa_free[best]))
            best = d;
    }
    if (best >= 0) {
        take_from_domain (p, best, need);
        return;
    }
    while (need > 0) {
        int most = 0;
        for (int d = 1; d < n->nnuma; d++) {
            if (n->numa_free[d] > n->numa_free[most])
                most = d;
        }
        need -= take_from_domain (p, most, need);
    }
}

/* A free GPU in domain D (-1: unknown locality) and island ISL (-1: any). */
static bool gpu_free_in (const struct snode_gpu *g, int d, int isl)
{
    return g->owner == SNAP_FREE && g->numa == d && (isl < 0 || g->island == isl);
}

static int free_gpus_in (const struct snode *n, int d, int isl)
{
    int count = 0;
    for (int k = 0; k < n->ngpus; k++)
        count += gpu_free_in (&n->gpus[k], d, isl);
    return count;
}

static int take_gpus_in (struct pick *p, int d, int isl, int need)
{
    int got = 0;
    for (int k = 0; k < p->n->ngpus && got < need; k++) {
        if (gpu_free_in (&p->n->gpus[k], d, isl)) {
            take_gpu (p, k);
            got++;
        }
    }
    return got;
}

/* Up to NEED GPUs of island ISL (-1: any): on one NUMA domain when
 * possible (the one with most free cores, so the chunk's cores can be
 * local too); else the domains with most free GPUs first.  Domain -1 holds
 * GPUs of unknown locality and is tried last.  Returns how many it took. */
static int pick_gpus_from (struct pick *p, int isl, int need)
{
    const struct snode *n = p->n;
    int best = -2;
    for (int d = 0; d < n->nnuma; d++) {
        if (free_gpus_in (n, d, isl) >= need && (best < 0 || n->numa_free[d] > n->numa_free[best]))
            best = d;
    }
    if (best >= 0)
        return take_gpus_in (p, best, isl, need);
    int got = 0;
    while (got < need) {
        int most = -1, most_free = free_gpus_in (n, -1, isl);
        for (int d = 0; d < n->nnuma; d++) {
            int f = free_gpus_in (n, d, isl);
            if (f > most_free) {
                most = d;
                most_free = f;
            }
        }
        if (most_free == 0)
            break;
        got += take_gpus_in (p, most, isl, need - got);
    }
    return got;
}

/* Free GPUs in GPU K's island.  O(ngpus): a node has at most a few dozen
 * GPUs, and this runs once per chunk placed, not per node visited. */
static int island_free (const struct snode *n, int k)
{
    int count = 0;
    for (int j = 0; j < n->ngpus; j++)
        count += n->gpus[j].owner == SNAP_FREE && n->gpus[j].island == n->gpus[k].island;
    return count;
}

/* GPUs from one NVLink/NVSwitch island when one has enough free (the
 * tightest such island, keeping big islands whole for big jobs); else the
 * islands with most free GPUs, one after another, so the job spans as few
 * islands as it can.  Within an island, NUMA locality decides. */
static void pick_gpus (struct pick *p, int need)
{
    const struct snode *n = p->n;
    int best = -1, best_free = 0;
    for (int k = 0; k < n->ngpus; k++) {
        if (n->gpus[k].owner != SNAP_FREE)
            continue;
        int f = island_free (n, k);
        if (f >= need && (best < 0 || f < best_free)) {
            best = k;
            best_free = f;
        }
    }
    if (best >= 0) {
        pick_gpus_from (p, n->gpus[best].island, need);
        return;
    }
    while (need > 0) {
        int most = -1, most_free = 0;
        for (int k = 0; k < n->ngpus; k++) {
            int f = n->gpus[k].owner == SNAP_FREE ? island_free (n, k) : 0;
            if (f > most_free) {
                most = k;
                most_free = f;
            }
        }
        if (most < 0)
            return; /* the caller checked the count: not reached */
        need -= pick_gpus_from (p, n->gpus[most].island, need);
    }
}

/* Take up to QUOTA free cores local to picked GPU G. */
static int take_local_cores (struct pick *p, int g, int quota)
{
    const struct snode_gpu *gpu = &p->n->gpus[p->gpus[g]];
    int got = 0;
    for (int i = 0; i < gpu->nlocal && got < quota; i++) {
        if (p->n->cores[gpu->local[i]].owner == SNAP_FREE) {
            take_core (p, gpu->local[i]);
            got++;
        }
    }
    return got;
}

/* Cores for a GPU chunk of NRANKS ranks: each rank's share of the cores
 * local to the GPU it will drive first (rset_rank_first_gpu: the layout
 * gives that rank those cores, so GPUs on different domains each get
 * their own), then any cores local to its GPUs, then the GPUs' domains,
 * then as for CPU chunks. */
static void pick_gpu_cores (struct pick *p, int need, int nranks)
{
    const struct snode *n = p->n;
    int ngpus = p->ngpus, total = need;
    if (nranks < 1)
        nranks = 1;
    for (int i = 0; i < nranks && need > 0; i++) {
        int share = total >= nranks ? total / nranks + (i < total % nranks) : (i < total);
        need -= take_local_cores (p, rset_rank_first_gpu (i, nranks, ngpus), share);
    }
    for (int g = 0; g < ngpus && need > 0; g++)
        need -= take_local_cores (p, g, need);
    for (int g = 0; g < ngpus && need > 0; g++) {
        int d = n->gpus[p->gpus[g]].numa;
        if (d >= 0)
            need -= take_from_domain (p, d, need);
    }
    if (need > 0)
        pick_cpu_cores (p, need);
}

static void undo_pick (struct pick *p)
{
    for (int i = 0; i < p->ncores; i++)
        snap_put_core (p->n, p->cores[i]);
    for (int k = 0; k < p->ngpus; k++)
        snap_put_gpu (p->n, p->gpus[k]);
}

/* Turn the picked slots into OS indexes and add them to A. */
static int record_pick (const struct pick *p, const struct resreq_chunk *c, struct sched_alloc *a)
{
    const struct snode *n = p->n;
    int npus = 0;
    for (int i = 0; i < p->ncores; i++)
        npus += n->cores[p->cores[i]].npus;
    int *os = malloc ((size_t)(p->ncores + npus + p->ngpus + 1) * sizeof (int));
    if (!os)
        return -1;
    int *pus = os + p->ncores, *gpus = pus + npus, k = 0;
    for (int i = 0; i < p->ncores; i++) {
        const struct snode_core *core = &n->cores[p->cores[i]];
        os[i] = core->os_index;
        for (int j = 0; j < core->npus; j++)
            pus[k++] = core->pus[j];
    }
    for (int g = 0; g < p->ngpus; g++)
        gpus[g] = n->gpus[p->gpus[g]].index;
    struct rset_node part = {
        .name = n->name,
        .ncores = p->ncores,
        .cores = os,
        .npus = npus,
        .pus = pus,
        .ngpus = p->ngpus,
        .gpus = gpus,
        .mem = c->mem,
        .nranks = c->mpiprocs,
    };
    int rc = sched_alloc_add (a, &part);
    free (os);
    return rc;
}

int nodealloc_chunk (struct sched_snapshot *s, struct snode *n, const struct resreq_chunk *c,
                     int64_t seq, struct sched_alloc *a)
{
    struct pick p = {.s = s, .n = n, .seq = seq};
    p.cores = malloc ((size_t)(c->ncpus + c->ngpus + 1) * sizeof (int));
    if (!p.cores) {
        errno = ENOMEM;
        return -1;
    }
    p.gpus = p.cores + c->ncpus;
    if (c->ngpus > 0) {
        pick_gpus (&p, c->ngpus);
        pick_gpu_cores (&p, c->ncpus, c->mpiprocs);
    } else {
        pick_cpu_cores (&p, c->ncpus);
    }
    int rc = record_pick (&p, c, a);
    if (rc < 0)
        undo_pick (&p);
    else
        n->mem_used += c->mem;
    free (p.cores);
    if (rc < 0)
        errno = ENOMEM;
    return rc;
}
