/* convert.c - allocation JSON <-> sched_alloc, topology -> snapshot node */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/proto.h"
#include "common/resreq.h"
#include "scheduler/ctld/convert.h"

static json_t *int_array (const int *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++) {
        if (json_array_append_new (a, json_integer (v[i])) < 0) {
            json_decref (a);
            return NULL;
        }
    }
    return a;
}

json_t *convert_alloc_to_json (const struct sched_alloc *a)
{
    json_t *arr = json_array();
    for (int i = 0; arr && i < sched_alloc_nnodes (a); i++) {
        const struct sched_alloc_node *n = sched_alloc_node (a, i);
        json_t *o = json_pack ("{s:s, s:o?, s:o?, s:o?, s:I, s:i}", "node", n->name, "cores",
                               int_array (n->cores, n->ncores), "pus", int_array (n->pus, n->npus),
                               "gpus", int_array (n->gpus, n->ngpus), "mem", (json_int_t)n->mem,
                               "mpiprocs", n->nranks);
        if (!o || !json_object_get (o, "cores") || !json_object_get (o, "pus") ||
            !json_object_get (o, "gpus") || json_array_append_new (arr, o) < 0) {
            json_decref (o);
            json_decref (arr);
            errno = ENOMEM;
            return NULL;
        }
    }
    if (!arr)
        errno = ENOMEM;
    return arr;
}

/* Read member name of o: an array of ints in 0..SCHED_MAX_OS_INDEX.
 * *v is malloc'd (NULL when empty). */
static int get_index_list (const json_t *o, const char *name, int **v, int *n, struct herror *err)
{
    json_t *arr;
    if (proto_get_array (o, name, &arr, err) < 0)
        return -1;
    size_t len = json_array_size (arr);
    if (len > SCHED_MAX_OS_INDEX + 1) {
        errno = EINVAL;
        return herror_set (err, "%s: too many entries", name);
    }
    int *out = len ? calloc (len, sizeof (*out)) : NULL;
    if (len && !out)
        return -1;
    for (size_t i = 0; i < len; i++) {
        json_t *e = json_array_get (arr, i);
        if (!json_is_integer (e) || json_integer_value (e) < 0 ||
            json_integer_value (e) > SCHED_MAX_OS_INDEX) {
            free (out);
            errno = EINVAL;
            return herror_set (err, "%s[%zu]: must be an integer 0..%d", name, i,
                               SCHED_MAX_OS_INDEX);
        }
        out[i] = (int)json_integer_value (e);
    }
    *v = out;
    *n = (int)len;
    return 0;
}

static int node_from_json (struct sched_alloc *a, const json_t *o, struct herror *err)
{
    const char *name = NULL;
    int64_t mem = 0, mpiprocs = 0;
    int *cores = NULL, *pus = NULL, *gpus = NULL;
    struct sched_alloc_node part = {0};
    int rc = -1;

    if (!json_is_object (o)) {
        errno = EINVAL;
        return herror_set (err, "must be an object");
    }
    if (proto_get_string (o, "node", &name, err) < 0 || name[0] == '\0' ||
        proto_get_int_range (o, "mem", 0, INT64_MAX, &mem, err) < 0 ||
        proto_opt_int (o, "mpiprocs", &mpiprocs, err) < 0 ||
        get_index_list (o, "cores", &cores, &part.ncores, err) < 0 ||
        get_index_list (o, "pus", &pus, &part.npus, err) < 0 ||
        get_index_list (o, "gpus", &gpus, &part.ngpus, err) < 0) {
        if (name && name[0] == '\0')
            herror_set (err, "member \"node\" is empty");
        errno = EINVAL;
        goto out;
    }
    if (mpiprocs < 0 || mpiprocs > RESREQ_MAX_COUNT * 64) {
        errno = EINVAL;
        herror_set (err, "member \"mpiprocs\" out of range");
        goto out;
    }
    part.name = name;
    part.cores = cores;
    part.pus = pus;
    part.gpus = gpus;
    part.mem = (uint64_t)mem;
    part.nranks = (int)mpiprocs;
    rc = sched_alloc_add (a, &part);
    if (rc < 0)
        herror_set (err, "cannot add node %s", name);
out:
    free (cores);
    free (pus);
    free (gpus);
    return rc;
}

struct sched_alloc *convert_alloc_from_json (int64_t seq, bool exclusive, const json_t *arr,
                                             struct herror *err)
{
    if (!json_is_array (arr) || json_array_size (arr) == 0) {
        errno = EINVAL;
        herror_set (err, "allocation: must be a non-empty array");
        return NULL;
    }
    struct sched_alloc *a = sched_alloc_create (seq);
    if (!a)
        return NULL;
    sched_alloc_set_exclusive (a, exclusive);
    size_t i;
    json_t *o;
    json_array_foreach (arr, i, o)
    {
        const char *name =
            json_is_object (o) ? json_string_value (json_object_get (o, "node")) : NULL;
        for (int k = 0; name && k < sched_alloc_nnodes (a); k++) {
            if (strcmp (sched_alloc_node (a, k)->name, name) == 0) {
                herror_set (err, "node %s appears twice", name);
                errno = EINVAL;
                goto fail;
            }
        }
        if (node_from_json (a, o, err) < 0)
            goto fail;
    }
    return a;
fail:
    herror_prefix (err, "allocation[%zu]", i);
    sched_alloc_destroy (a);
    errno = EINVAL;
    return NULL;
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
    for (unsigned i = 0; i < t->ngpus; i++) {
        const struct topo_gpu *g = &t->gpus[i];
        int *cores = g->cores.count ? calloc (g->cores.count, sizeof (*cores)) : NULL;
        if (g->cores.count && !cores)
            return -1;
        int n = 0;
        for (unsigned k = 0; k < g->cores.count; k++) {
            if (g->cores.ids[k] < t->ncores)
                cores[n++] = (int)g->cores.ids[k]; /* logical, as in fill_cores */
        }
        gpus[i].index = (int)i;
        gpus[i].numa = g->numa.count ? numa_os_index (t, (int)g->numa.ids[0]) : -1;
        gpus[i].ncores = n;
        gpus[i].cores = cores;
    }
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
