/* convert.c - allocation JSON <-> sched_alloc (common/rset.h's codec),
 * topology -> snapshot node */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/rset.h"
#include "scheduler/ctld/convert.h"

json_t *convert_alloc_to_json (const struct sched_alloc *a)
{
    return rset_to_json (sched_alloc_rset (a));
}

struct sched_alloc *convert_alloc_from_json (int64_t seq, bool exclusive, const json_t *arr,
                                             struct herror *err)
{
    struct rset *r = rset_from_json (arr, err);
    return r ? sched_alloc_from_rset (seq, exclusive, r) : NULL;
}

void convert_desc_clear (struct sched_node_desc *d)
{
    if (!d)
        return;
    int saved = errno;
    for (int i = 0; d->cores && i < d->ncores; i++)
        free ((int *)d->cores[i].pus);
    for (int i = 0; d->gpus && i < d->ngpus; i++)
        free ((int *)d->gpus[i].cores);
    free ((void *)d->cores);
    free ((void *)d->gpus);
    memset (d, 0, sizeof (*d));
    errno = saved;
}

static int numa_os_index (const struct topo_node *t, int numa)
{
    if (numa < 0 || (unsigned)numa >= t->nnumas || t->numas[numa].os_index < 0)
        return 0;
    return t->numas[numa].os_index;
}

static int fill_cores (const struct topo_node *t, struct sched_core_desc *cores)
{
    for (unsigned i = 0; i < t->ncores; i++) {
        const struct topo_core *c = &t->cores[i];
        int npus = c->pu_count ? (int)c->pu_count : 1;
        int *pus = calloc (npus, sizeof (*pus));
        if (!pus)
            return -1;
        for (unsigned k = 0; k < c->pu_count; k++) {
            unsigned p = c->pu_first + k;
            pus[k] = p < t->npus ? t->pus[p].os_index : 0;
        }
        if (c->pu_count == 0)
            pus[0] = c->os_index;
        /* The scheduler needs a core id unique on the node; Linux core ids
         * (hwloc's OS index) restart at 0 on every package, so use hwloc's
         * logical index. Binding uses the PUs' OS indexes. */
        cores[i].os_index = (int)i;
        cores[i].numa = numa_os_index (t, c->numa);
        cores[i].npus = npus;
        cores[i].pus = pus;
    }
    return 0;
}

static int fill_gpus (const struct topo_node *t, struct sched_gpu_desc *gpus)
{
    int *island = t->ngpus ? calloc (t->ngpus, sizeof (*island)) : NULL;
    if ((t->ngpus && !island) || topo_node_gpu_islands (t, island) < 0) {
        free (island);
        return -1;
    }
    for (unsigned i = 0; i < t->ngpus; i++) {
        const struct topo_gpu *g = &t->gpus[i];
        int *cores = g->cores.count ? calloc (g->cores.count, sizeof (*cores)) : NULL;
        if (g->cores.count && !cores) {
            free (island);
            return -1;
        }
        int n = 0;
        for (unsigned k = 0; k < g->cores.count; k++) {
            if (g->cores.ids[k] < t->ncores)
                cores[n++] = (int)g->cores.ids[k]; /* logical, as in fill_cores */
        }
        gpus[i].index = (int)i;
        gpus[i].numa = g->numa.count ? numa_os_index (t, (int)g->numa.ids[0]) : -1;
        gpus[i].ncores = n;
        gpus[i].cores = cores;
        gpus[i].island = island[i];
    }
    free (island);
    return 0;
}

int convert_desc_from_topo (const char *name, const struct topo_node *t, bool usable,
                            struct sched_node_desc *d)
{
    memset (d, 0, sizeof (*d));
    d->name = name;
    d->usable = usable;
    d->mem = topo_node_memory (t);
    struct sched_core_desc *cores = t->ncores ? calloc (t->ncores, sizeof (*cores)) : NULL;
    struct sched_gpu_desc *gpus = t->ngpus ? calloc (t->ngpus, sizeof (*gpus)) : NULL;
    d->cores = cores;
    d->gpus = gpus;
    if ((t->ncores && !cores) || (t->ngpus && !gpus))
        goto nomem;
    d->ncores = (int)t->ncores;
    d->ngpus = (int)t->ngpus;
    if (fill_cores (t, cores) < 0 || fill_gpus (t, gpus) < 0)
        goto nomem;
    return 0;
nomem:
    convert_desc_clear (d);
    errno = ENOMEM;
    return -1;
}
