#include "snapshot_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/strhash.h"

#define NAME_MAX_LEN 64

#define GENERATION_EMPTY UINT64_C (0x9e3779b97f4a7c15)

struct sched_snapshot *sched_snapshot_create (void)
{
    struct sched_snapshot *s = calloc (1, sizeof (struct sched_snapshot));
    if (!s || !(s->groups = calloc (1, sizeof (*s->groups)))) {
        free (s);
        errno = ENOMEM;
        return NULL;
    }
    s->ngroups = 1; /* the whole cluster */
    s->generation = GENERATION_EMPTY;
    return s;
}

static void snode_free (struct snode *n)
{
    if (!n)
        return;
    for (int i = 0; i < n->ncores && n->cores; i++)
        free (n->cores[i].pus);
    for (int i = 0; i < n->ngpus && n->gpus; i++)
        free (n->gpus[i].local);
    for (int d = 0; d < n->nnuma && n->numa_cores; d++)
        free (n->numa_cores[d]);
    free (n->numa_cores);
    free (n->numa_ncores);
    free (n->numa_free);
    free (n->numa_first);
    free (n->core_slot);
    free (n->gpu_slot);
    free (n->cores);
    free (n->gpus);
    free (n->name);
    free (n->labels);
    free (n);
}

void sched_snapshot_destroy (struct sched_snapshot *s)
{
    if (!s)
        return;
    int saved = errno;
    snap_pgroups_free (s);
    for (int i = 0; i < s->n; i++)
        snode_free (s->nodes[i]);
    free (s->nodes);
    free (s->buckets);
    free (s->tree);
    free (s->groups);
    snap_fabric_free (s->fabric);
    for (int i = 0; i < s->nruns; i++) {
        sched_alloc_destroy (s->runs[i].a);
        free (s->runs[i].nodes);
    }
    free (s->runs);
    free (s->runs_bucket);
    free (s);
    errno = saved;
}

/* ---- name lookup: a chained hash; nodes are never removed ---- */

static uint64_t mix64 (uint64_t x)
{
    x ^= x >> 33; /* murmur3's finaliser */
    x *= UINT64_C (0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C (0xc4ceb9fe1a85ec53);
    return x ^ (x >> 33);
}

/* One node's share of the generation: its name and what it has.  Summed,
 * so the generation does not depend on the order nodes were added in. */
static uint64_t node_fingerprint (const struct snode *n)
{
    uint64_t h = strhash (n->name);
    h = mix64 (h ^ ((uint64_t)n->ncores << 32) ^ (uint64_t)n->ngpus);
    return mix64 (h ^ n->mem);
}

int snap_find (const struct sched_snapshot *s, const char *name)
{
    if (!s->nbuckets || !name)
        return -1;
    struct snode *n = s->buckets[strhash (name) % (unsigned)s->nbuckets];
    for (; n; n = n->hnext) {
        if (strcmp (n->name, name) == 0)
            return n->index;
    }
    return -1;
}

static void hash_insert (struct snode **buckets, int nbuckets, struct snode *n)
{
    unsigned b = strhash (n->name) % (unsigned)nbuckets;
    n->hnext = buckets[b];
    buckets[b] = n;
}

/* Grow the node array and the hash before anything is inserted, so that
 * adding a node cannot fail half-way. */
static int reserve_node (struct sched_snapshot *s)
{
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 16;
        struct snode **v = realloc (s->nodes, (size_t)cap * sizeof (*v));
        if (!v)
            return -1;
        s->nodes = v;
        s->cap = cap;
    }
    if (s->n + 1 > s->nbuckets) {
        int nb = s->nbuckets ? 2 * s->nbuckets : 64;
        struct snode **b = calloc ((size_t)nb, sizeof (*b));
        if (!b)
            return -1;
        for (int i = 0; i < s->n; i++)
            hash_insert (b, nb, s->nodes[i]);
        free (s->buckets);
        s->buckets = b;
        s->nbuckets = nb;
    }
    return 0;
}

/* ---- building a node from its description ---- */

static bool core_desc_valid (const struct sched_core_desc *c)
{
    if (c->os_index < 0 || c->os_index > SCHED_MAX_OS_INDEX || c->numa < 0 ||
        c->numa > SCHED_MAX_OS_INDEX || c->npus < 1 || c->npus > SCHED_MAX_PUS_PER_CORE || !c->pus)
        return false;
    for (int i = 0; i < c->npus; i++) {
        if (c->pus[i] < 0)
            return false;
    }
    return true;
}

static bool gpu_desc_valid (const struct sched_gpu_desc *g)
{
    return g->index >= 0 && g->index <= SCHED_MAX_OS_INDEX && g->numa >= -1 && g->island >= 0 &&
           g->island <= SCHED_MAX_OS_INDEX && g->ncores >= 0 && (g->ncores == 0 || g->cores);
}

static bool node_desc_valid (const struct sched_node_desc *d)
{
    if (!d || !d->name || d->name[0] == '\0' || strlen (d->name) >= NAME_MAX_LEN || d->ncores < 0 ||
        d->ngpus < 0 || (d->ncores > 0 && !d->cores) || (d->ngpus > 0 && !d->gpus))
        return false;
    for (int i = 0; i < d->ncores; i++) {
        if (!core_desc_valid (&d->cores[i]))
            return false;
    }
    for (int i = 0; i < d->ngpus; i++) {
        if (!gpu_desc_valid (&d->gpus[i]))
            return false;
    }
    return true;
}

/* An index -> slot table; -1 for holes.  Duplicates make it fail (EINVAL). */
static int *slot_table (int count, const int *idx, size_t stride, int *len)
{
    int max = -1;
    for (int i = 0; i < count; i++) {
        int v = *(const int *)((const char *)idx + i * stride);
        if (v > max)
            max = v;
    }
    *len = max + 1;
    int *t = malloc ((size_t)(max + 2) * sizeof (int));
    if (!t)
        return NULL;
    for (int i = 0; i <= max; i++)
        t[i] = -1;
    for (int i = 0; i < count; i++) {
        int v = *(const int *)((const char *)idx + i * stride);
        if (t[v] != -1) {
            free (t);
            errno = EINVAL;
            return NULL;
        }
        t[v] = i;
    }
    return t;
}

/* Dense domain number for NUMA OS index OS among OSMAP[0..*N); adds it when
 * ADD, else returns -1 for an unknown one. */
static int numa_dense (int *osmap, int *n, int os, bool add)
{
    for (int i = 0; i < *n; i++) {
        if (osmap[i] == os)
            return i;
    }
    if (!add)
        return -1;
    osmap[*n] = os;
    return (*n)++;
}

static int build_cores (struct snode *n, const struct sched_node_desc *d, int *numa_os)
{
    n->ncores = n->free_cores = d->ncores;
    if (d->ncores == 0)
        return 0;
    if (!(n->cores = calloc ((size_t)d->ncores, sizeof (*n->cores))))
        return -1;
    if (!(n->core_slot = slot_table (d->ncores, &d->cores[0].os_index, sizeof (d->cores[0]),
                                     &n->core_slot_len)))
        return -1;
    for (int i = 0; i < d->ncores; i++) {
        const struct sched_core_desc *cd = &d->cores[i];
        struct snode_core *c = &n->cores[i];
        c->os_index = cd->os_index;
        c->numa = numa_dense (numa_os, &n->nnuma, cd->numa, true);
        c->npus = cd->npus;
        c->owner = SNAP_FREE;
        if (!(c->pus = malloc ((size_t)cd->npus * sizeof (int))))
            return -1;
        memcpy (c->pus, cd->pus, (size_t)cd->npus * sizeof (int));
    }
    return 0;
}

static int build_gpus (struct snode *n, const struct sched_node_desc *d, int *numa_os)
{
    n->ngpus = n->free_gpus = d->ngpus;
    if (d->ngpus == 0)
        return 0;
    if (!(n->gpus = calloc ((size_t)d->ngpus, sizeof (*n->gpus))))
        return -1;
    if (!(n->gpu_slot =
              slot_table (d->ngpus, &d->gpus[0].index, sizeof (d->gpus[0]), &n->gpu_slot_len)))
        return -1;
    for (int i = 0; i < d->ngpus; i++) {
        const struct sched_gpu_desc *gd = &d->gpus[i];
        struct snode_gpu *g = &n->gpus[i];
        g->index = gd->index;
        g->numa = gd->numa < 0 ? -1 : numa_dense (numa_os, &n->nnuma, gd->numa, false);
        g->island = gd->island;
        g->owner = SNAP_FREE;
        if (gd->ncores && !(g->local = malloc ((size_t)gd->ncores * sizeof (int))))
            return -1;
        for (int k = 0; k < gd->ncores; k++) {
            int os = gd->cores[k];
            int slot = (os >= 0 && os < n->core_slot_len) ? n->core_slot[os] : -1;
            if (slot < 0) {
                errno = EINVAL;
                return -1;
            }
            g->local[g->nlocal++] = slot;
            n->cores[slot].gpu_local = true;
        }
    }
    return 0;
}

/* Per-domain core lists in the order CPU-only chunks should take them:
 * cores no GPU is local to first (so GPU jobs find their local cores free),
 * then by OS index.  Walking core_slot visits cores in OS index order. */
static int build_numa_lists (struct snode *n)
{
    if (n->nnuma == 0)
        return 0;
    if (!(n->numa_cores = calloc ((size_t)n->nnuma, sizeof (int *))) ||
        !(n->numa_ncores = calloc ((size_t)n->nnuma, sizeof (int))) ||
        !(n->numa_free = calloc ((size_t)n->nnuma, sizeof (int))) ||
        !(n->numa_first = calloc ((size_t)n->nnuma, sizeof (int))))
        return -1;
    for (int i = 0; i < n->ncores; i++)
        n->numa_free[n->cores[i].numa]++;
    for (int d = 0; d < n->nnuma; d++) {
        if (!(n->numa_cores[d] = malloc ((size_t)n->numa_free[d] * sizeof (int))))
            return -1;
    }
    for (int pass = 0; pass < 2; pass++) {
        for (int os = 0; os < n->core_slot_len; os++) {
            int slot = n->core_slot[os];
            if (slot < 0 || n->cores[slot].gpu_local != (pass == 1))
                continue;
            int d = n->cores[slot].numa;
            n->cores[slot].numa_at = n->numa_ncores[d];
            n->numa_cores[d][n->numa_ncores[d]++] = slot;
        }
    }
    return 0;
}

static struct snode *snode_build (const struct sched_node_desc *d)
{
    struct snode *n = calloc (1, sizeof (*n));
    int *numa_os = malloc ((size_t)(d->ncores + 1) * sizeof (int));
    if (!n || !numa_os)
        goto fail;
    if (!(n->name = strdup (d->name)) || !(n->labels = strdup ("")))
        goto fail;
    n->usable = d->usable;
    n->mem = d->mem;
    n->excl_seq = SNAP_FREE;
    if (build_cores (n, d, numa_os) < 0 || build_gpus (n, d, numa_os) < 0 ||
        build_numa_lists (n) < 0)
        goto fail;
    free (numa_os);
    return n;
fail:;
    int saved = errno;
    free (numa_os);
    snode_free (n);
    errno = saved;
    return NULL;
}

int sched_snapshot_add_node (struct sched_snapshot *s, const struct sched_node_desc *desc)
{
    if (!s || !node_desc_valid (desc)) {
        errno = EINVAL;
        return -1;
    }
    if (snap_find (s, desc->name) >= 0) {
        errno = EEXIST;
        return -1;
    }
    if (reserve_node (s) < 0) {
        errno = ENOMEM;
        return -1;
    }
    errno = ENOMEM;
    struct snode *n = snode_build (desc);
    if (!n)
        return -1; /* EINVAL from the tables, else ENOMEM */
    /* Dense index in name order (byte order of the names), or fabric order
     * once there is a fabric: the order a cluster fills in is then the same
     * whoever registered first and whether the nodes came from agents or
     * from the store. */
    n->fabpos = snap_fabric_pos (s->fabric, n->name);
    int lo = 0, hi = s->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (snap_node_before (s->nodes[mid], n))
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove (&s->nodes[lo + 1], &s->nodes[lo], (size_t)(s->n - lo) * sizeof (s->nodes[0]));
    s->nodes[lo] = n;
    s->n++;
    for (int i = lo; i < s->n; i++)
        s->nodes[i]->index = i;
    s->generation += node_fingerprint (n);
    if (s->generation == 0)
        s->generation = 1; /* 0 means "never asked" in the queue */
    s->tree_stale = true;
    s->groups[0].count = s->n;
    s->groups_stale = s->fabric != NULL;
    hash_insert (s->buckets, s->nbuckets, n);
    return 0;
}

int sched_snapshot_set_usable (struct sched_snapshot *s, const char *name, bool usable)
{
    int i = snap_find (s, name);
    if (i < 0) {
        errno = ENOENT;
        return -1;
    }
    struct snode *n = s->nodes[i];
    if (n->usable != usable) {
        n->usable = usable;
        snap_node_changed (s, n);
    }
    return 0;
}

int sched_snapshot_set_labels (struct sched_snapshot *s, const char *name, const char *labels)
{
    int i = snap_find (s, name);
    if (i < 0) {
        errno = ENOENT;
        return -1;
    }
    char *copy = strdup (labels ? labels : "");
    if (!copy) {
        errno = ENOMEM;
        return -1;
    }
    free (s->nodes[i]->labels);
    s->nodes[i]->labels = copy;
    snap_node_changed (s, s->nodes[i]);
    return 0;
}

int sched_snapshot_nnodes (const struct sched_snapshot *s)
{
    return s->n;
}

uint64_t sched_snapshot_generation (const struct sched_snapshot *s)
{
    return s->generation;
}

bool sched_snapshot_has_node (const struct sched_snapshot *s, const char *name)
{
    return snap_find (s, name) >= 0;
}

int sched_snapshot_node_usage (const struct sched_snapshot *s, const char *name,
                               struct sched_node_usage *u)
{
    int i = snap_find (s, name);
    if (i < 0 || !u) {
        errno = i < 0 ? ENOENT : EINVAL;
        return -1;
    }
    const struct snode *n = s->nodes[i];
    u->usable = n->usable;
    u->ncores = n->ncores;
    u->cores_used = n->ncores - n->free_cores;
    u->ngpus = n->ngpus;
    u->gpus_used = n->ngpus - n->free_gpus;
    u->mem = n->mem;
    u->mem_used = n->mem_used;
    u->njobs = n->njobs;
    u->exclusive_seq = n->excl_seq;
    return 0;
}

/* ---- the group tree ---- */

struct snap_cap snap_node_cap (const struct snode *n)
{
    if (!n->usable || n->excl_seq != SNAP_FREE)
        return (struct snap_cap){-1, 0, 0};
    return (struct snap_cap){n->free_cores, n->free_gpus, n->mem - n->mem_used};
}

static struct snap_cap cap_max (struct snap_cap a, struct snap_cap b)
{
    return (struct snap_cap){a.cores > b.cores ? a.cores : b.cores,
                             a.gpus > b.gpus ? a.gpus : b.gpus, a.mem > b.mem ? a.mem : b.mem};
}

static bool cap_holds (const struct snap_cap *c, const struct snap_cap *need)
{
    return c->cores >= need->cores && c->gpus >= need->gpus && c->mem >= need->mem;
}

static const struct snap_totals totals_none = {{-1, 0, 0}, 0, 0};

static struct snap_totals node_totals (const struct snode *n)
{
    struct snap_cap c = snap_node_cap (n);
    return c.cores < 0 ? totals_none : (struct snap_totals){c, c.cores, c.gpus};
}

static struct snap_totals totals_add (struct snap_totals a, struct snap_totals b)
{
    return (struct snap_totals){cap_max (a.best, b.best), a.cores + b.cores, a.gpus + b.gpus};
}

static bool totals_equal (const struct snap_totals *a, const struct snap_totals *b)
{
    return a->best.cores == b->best.cores && a->best.gpus == b->best.gpus &&
           a->best.mem == b->best.mem && a->cores == b->cores && a->gpus == b->gpus;
}

/* Build the tree from scratch.  Without memory for it the tree stays
 * stale and the queries below answer from the nodes themselves: slower,
 * never wrong. */
static void tree_build (struct sched_snapshot *s)
{
    int leaves = 1;
    while (leaves < s->n)
        leaves *= 2;
    if (leaves != s->leaves || !s->tree) {
        struct snap_totals *t = realloc (s->tree, 2 * (size_t)leaves * sizeof (*t));
        if (!t)
            return;
        s->tree = t;
        s->leaves = leaves;
    }
    for (int i = 0; i < s->leaves; i++)
        s->tree[s->leaves + i] = i < s->n ? node_totals (s->nodes[i]) : totals_none;
    for (int i = s->leaves - 1; i >= 1; i--)
        s->tree[i] = totals_add (s->tree[2 * i], s->tree[2 * i + 1]);
    s->tree_stale = false;
}

static bool tree_ready (struct sched_snapshot *s)
{
    if (s->tree_stale || !s->tree)
        tree_build (s);
    return !s->tree_stale && s->tree;
}

void snap_node_changed (struct sched_snapshot *s, const struct snode *n)
{
    s->changes++;
    /* stale groups: the placement that counts leaves is made after they
     * are rebuilt, and counts from scratch */
    if (!s->groups_stale && n->leaf >= 0 && n->leaf < s->nleaves)
        s->nodes[s->groups[1 + n->leaf].first]->leaf_changed = s->changes;
    if (s->tree_stale || !s->tree)
        return; /* rebuilt when next asked */
    int i = s->leaves + n->index;
    s->tree[i] = node_totals (n);
    for (i /= 2; i >= 1; i /= 2)
        s->tree[i] = totals_add (s->tree[2 * i], s->tree[2 * i + 1]);
}

struct snap_totals snap_range_totals (struct sched_snapshot *s, int first, int count)
{
    struct snap_totals t = totals_none;
    if (count <= 0 || first < 0 || first >= s->n)
        return t;
    if (first + count > s->n)
        count = s->n - first;
    if (!tree_ready (s)) {
        for (int i = first; i < first + count; i++)
            t = totals_add (t, node_totals (s->nodes[i]));
        return t;
    }
    int lo = first + s->leaves, hi = first + count - 1 + s->leaves;
    while (lo <= hi) {
        if (lo % 2 == 1)
            t = totals_add (t, s->tree[lo++]);
        if (hi % 2 == 0)
            t = totals_add (t, s->tree[hi--]);
        lo /= 2;
        hi /= 2;
    }
    return t;
}

struct snap_totals snap_group_totals (struct sched_snapshot *s, int g)
{
    if (g < 0 || g >= s->ngroups)
        return totals_none;
    return snap_range_totals (s, s->groups[g].first, s->groups[g].count);
}

/* First leaf >= FROM that holds NEED, -1 for none.  Starts at FROM's own
 * leaf and moves right subtree by subtree, going down into one whose
 * totals hold NEED (left child first) and past one whose totals do not:
 * O(log distance) in the usual case rather than a descent from the root,
 * and O(1) when FROM itself holds it (placing many instances on a run of
 * free nodes asks for the next node each time).  A subtree's best node is
 * a componentwise maximum, so its totals may hold NEED while no node under
 * it does; going down then ends in leaves that do not, and the walk moves
 * on to the right from there. */
static int tree_first (const struct sched_snapshot *s, int from, const struct snap_cap *need)
{
    int i = s->leaves + from;
    for (;;) {
        if (cap_holds (&s->tree[i].best, need)) {
            if (i >= s->leaves)
                return i - s->leaves;
            i = 2 * i;
            continue;
        }
        while (i % 2 == 1) /* a right child: its parent's range is done */
            i /= 2;
        if (i == 0)
            return -1;
        i++;
    }
}

int snap_next_fit (struct sched_snapshot *s, int from, const struct snap_cap *need)
{
    if (from >= s->n)
        return s->n;
    if (from < 0)
        from = 0;
    if (!tree_ready (s)) {
        for (; from < s->n; from++) {
            struct snap_cap c = snap_node_cap (s->nodes[from]);
            if (cap_holds (&c, need))
                break;
        }
        return from;
    }
    int r = tree_first (s, from, need);
    return r < 0 || r >= s->n ? s->n : r;
}

/* ---- bookkeeping primitives ---- */

void snap_take_core (struct snode *n, int slot, int64_t seq)
{
    n->cores[slot].owner = seq;
    n->free_cores--;
    n->numa_free[n->cores[slot].numa]--;
}

void snap_put_core (struct snode *n, int slot)
{
    struct snode_core *c = &n->cores[slot];
    c->owner = SNAP_FREE;
    n->free_cores++;
    n->numa_free[c->numa]++;
    if (c->numa_at < n->numa_first[c->numa])
        n->numa_first[c->numa] = c->numa_at;
}

void snap_take_gpu (struct snode *n, int slot, int64_t seq)
{
    n->gpus[slot].owner = seq;
    n->free_gpus--;
}

void snap_put_gpu (struct snode *n, int slot)
{
    n->gpus[slot].owner = SNAP_FREE;
    n->free_gpus++;
}

void snap_attach (struct snode *n, int64_t seq, bool exclusive)
{
    n->njobs++;
    if (exclusive)
        n->excl_seq = seq;
}

void snap_detach (struct snode *n, bool exclusive)
{
    n->njobs--;
    if (exclusive)
        n->excl_seq = SNAP_FREE;
}

/* ---- claiming and releasing whole allocations ---- */

static int core_lookup (const struct snode *n, int os)
{
    return (os >= 0 && os < n->core_slot_len) ? n->core_slot[os] : -1;
}

static int gpu_lookup (const struct snode *n, int index)
{
    return (index >= 0 && index < n->gpu_slot_len) ? n->gpu_slot[index] : -1;
}

/* Undo the first NCORES cores and NGPUS GPUs of E that claim_entry took. */
static void unclaim_prefix (struct sched_snapshot *s, struct snode *n, const struct rset_node *e,
                            int ncores, int ngpus)
{
    for (int i = 0; i < ncores; i++)
        snap_put_core (n, core_lookup (n, e->cores[i]));
    for (int k = 0; k < ngpus; k++)
        snap_put_gpu (n, gpu_lookup (n, e->gpus[k]));
}

/* Take one node's share, or nothing.  Taking core by core and undoing on the
 * first conflict also catches an index listed twice. */
static int claim_entry (struct sched_snapshot *s, struct snode *n, const struct rset_node *e,
                        int64_t seq, bool excl)
{
    if ((excl ? !snode_idle (n) : n->excl_seq != SNAP_FREE) || e->mem > n->mem - n->mem_used) {
        errno = EBUSY;
        return -1;
    }
    int i, k;
    for (i = 0; i < e->ncores; i++) {
        int slot = core_lookup (n, e->cores[i]);
        if (slot < 0 || n->cores[slot].owner != SNAP_FREE)
            goto undo_cores;
        snap_take_core (n, slot, seq);
    }
    for (k = 0; k < e->ngpus; k++) {
        int slot = gpu_lookup (n, e->gpus[k]);
        if (slot < 0 || n->gpus[slot].owner != SNAP_FREE)
            goto undo_gpus;
        snap_take_gpu (n, slot, seq);
    }
    n->mem_used += e->mem;
    snap_attach (n, seq, excl);
    snap_node_changed (s, n);
    return 0;
undo_cores:
    errno = core_lookup (n, e->cores[i]) < 0 ? ENOENT : EBUSY;
    unclaim_prefix (s, n, e, i, 0);
    return -1;
undo_gpus:
    errno = gpu_lookup (n, e->gpus[k]) < 0 ? ENOENT : EBUSY;
    unclaim_prefix (s, n, e, e->ncores, k);
    return -1;
}

static void release_entry (struct sched_snapshot *s, struct snode *n, const struct rset_node *e,
                           int64_t seq, bool excl)
{
    for (int i = 0; i < e->ncores; i++) {
        int slot = core_lookup (n, e->cores[i]);
        if (n->cores[slot].owner == seq) /* a duplicate is freed once */
            snap_put_core (n, slot);
    }
    for (int k = 0; k < e->ngpus; k++) {
        int slot = gpu_lookup (n, e->gpus[k]);
        if (n->gpus[slot].owner == seq)
            snap_put_gpu (n, slot);
    }
    n->mem_used -= e->mem;
    snap_detach (n, excl);
    snap_node_changed (s, n);
}

/* The node of A's entry I: NODES[I] when given (a tracked run), else by
 * name; NULL when the snapshot has none of that name. */
static struct snode *entry_node (const struct sched_snapshot *s, const struct sched_alloc *a, int i,
                                 struct snode *const *nodes)
{
    if (nodes)
        return nodes[i];
    int idx = snap_find (s, sched_alloc_node (a, i)->name);
    return idx < 0 ? NULL : s->nodes[idx];
}

static int claim_with (struct sched_snapshot *s, const struct sched_alloc *a,
                       struct snode *const *nodes)
{
    int64_t seq = sched_alloc_seq (a);
    bool excl = sched_alloc_exclusive (a);
    int i;
    for (i = 0; i < sched_alloc_nnodes (a); i++) {
        struct snode *n = entry_node (s, a, i, nodes);
        if (!n) {
            errno = ENOENT;
            goto undo;
        }
        if (claim_entry (s, n, sched_alloc_node (a, i), seq, excl) < 0)
            goto undo;
    }
    if (snap_pgroup_join (s, a) == 0)
        return 0;
undo:;
    int saved = errno;
    while (--i >= 0)
        release_entry (s, entry_node (s, a, i, nodes), sched_alloc_node (a, i), seq, excl);
    errno = saved;
    return -1;
}

int snap_claim (struct sched_snapshot *s, const struct sched_alloc *a)
{
    return claim_with (s, a, NULL);
}

int snap_claim_run (struct sched_snapshot *s, const struct snap_run *r)
{
    return claim_with (s, r->a, r->nodes);
}

/* Everything in E is held by job SEQ (so releasing it is legal). */
static int entry_held_by (const struct snode *n, const struct rset_node *e, int64_t seq, bool excl)
{
    for (int i = 0; i < e->ncores; i++) {
        int slot = core_lookup (n, e->cores[i]);
        if (slot < 0)
            return -ENOENT;
        if (n->cores[slot].owner != seq)
            return -EINVAL;
    }
    for (int k = 0; k < e->ngpus; k++) {
        int slot = gpu_lookup (n, e->gpus[k]);
        if (slot < 0)
            return -ENOENT;
        if (n->gpus[slot].owner != seq)
            return -EINVAL;
    }
    if (n->njobs < 1 || e->mem > n->mem_used || (excl && n->excl_seq != seq))
        return -EINVAL;
    return 0;
}

#define RELEASE_KEEP 128 /* nodes looked up once, checked and released */

static int release_with (struct sched_snapshot *s, const struct sched_alloc *a,
                         struct snode *const *nodes)
{
    int64_t seq = sched_alloc_seq (a);
    bool excl = sched_alloc_exclusive (a);
    int nn = sched_alloc_nnodes (a);
    struct snode *found[RELEASE_KEEP];
    for (int i = 0; i < nn; i++) {
        struct snode *n = entry_node (s, a, i, nodes);
        int rc = n ? entry_held_by (n, sched_alloc_node (a, i), seq, excl) : -ENOENT;
        if (rc < 0) {
            errno = -rc;
            return -1;
        }
        if (!nodes && i < RELEASE_KEEP)
            found[i] = n;
    }
    snap_pgroup_leave (s, a);
    for (int i = 0; i < nn; i++) {
        struct snode *n = !nodes && i < RELEASE_KEEP ? found[i] : entry_node (s, a, i, nodes);
        release_entry (s, n, sched_alloc_node (a, i), seq, excl);
    }
    return 0;
}

int snap_release (struct sched_snapshot *s, const struct sched_alloc *a)
{
    return release_with (s, a, NULL);
}

int snap_release_run (struct sched_snapshot *s, const struct snap_run *r)
{
    return release_with (s, r->a, r->nodes);
}

int sched_snapshot_claim (struct sched_snapshot *s, const struct sched_alloc *a)
{
    if (!s || !a) {
        errno = EINVAL;
        return -1;
    }
    if (snap_claim (s, a) < 0)
        return -1;
    if (snap_track (s, a) < 0) {
        (void)snap_release (s, a);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

int sched_snapshot_release (struct sched_snapshot *s, const struct sched_alloc *a)
{
    if (!s || !a) {
        errno = EINVAL;
        return -1;
    }
    if (snap_release (s, a) < 0)
        return -1;
    snap_untrack (s, sched_alloc_seq (a));
    return 0;
}

/* ---- the running jobs, for backfill ---- */

static unsigned run_bucket (const struct sched_snapshot *s, int64_t seq)
{
    return (unsigned)(mix64 ((uint64_t)seq) % (uint64_t)s->runs_nbuckets);
}

static int run_find (const struct sched_snapshot *s, int64_t seq)
{
    if (s->runs_nbuckets == 0)
        return -1;
    int i = s->runs_bucket[run_bucket (s, seq)];
    while (i >= 0 && s->runs[i].seq != seq)
        i = s->runs[i].hnext;
    return i;
}

static void run_link (struct sched_snapshot *s, int i)
{
    unsigned b = run_bucket (s, s->runs[i].seq);
    s->runs[i].hnext = s->runs_bucket[b];
    s->runs_bucket[b] = i;
}

/* Room for one more entry, the hash at most half full. */
static int run_reserve (struct sched_snapshot *s)
{
    if (s->nruns == s->runs_cap) {
        int cap = s->runs_cap ? 2 * s->runs_cap : 64;
        struct snap_run *v = realloc (s->runs, (size_t)cap * sizeof (*v));
        if (!v)
            return -1;
        s->runs = v;
        s->runs_cap = cap;
    }
    if (2 * (s->nruns + 1) > s->runs_nbuckets) {
        int nb = s->runs_nbuckets ? 2 * s->runs_nbuckets : 128;
        int *b = malloc ((size_t)nb * sizeof (*b));
        if (!b)
            return -1;
        free (s->runs_bucket);
        s->runs_bucket = b;
        s->runs_nbuckets = nb;
        for (int k = 0; k < nb; k++)
            b[k] = -1;
        for (int i = 0; i < s->nruns; i++)
            run_link (s, i);
    }
    return 0;
}

/* What releasing A can add to the free totals (snap_run.cores, gpus): a
 * shared allocation frees what it holds; an exclusive one makes its nodes
 * offer everything they have free, so count their capacity. */
static void run_frees (const struct sched_snapshot *s, const struct sched_alloc *a,
                       struct snap_run *r)
{
    r->cores = sched_alloc_total_cores (a);
    r->gpus = sched_alloc_total_gpus (a);
    if (!sched_alloc_exclusive (a))
        return;
    for (int k = 0; k < sched_alloc_nnodes (a); k++) {
        int i = snap_find (s, sched_alloc_node (a, k)->name);
        if (i >= 0) {
            r->cores += s->nodes[i]->ncores;
            r->gpus += s->nodes[i]->ngpus;
        }
    }
}

/* A's entries' nodes (snap_run.nodes); NULL with ENOMEM or ENOENT (a
 * node the snapshot does not have: A was claimed, so it has them all). */
static struct snode **run_nodes (const struct sched_snapshot *s, const struct sched_alloc *a)
{
    int nn = sched_alloc_nnodes (a);
    struct snode **v = malloc (((size_t)nn + 1) * sizeof (*v));
    if (!v) {
        errno = ENOMEM;
        return NULL;
    }
    for (int k = 0; k < nn; k++) {
        int i = snap_find (s, sched_alloc_node (a, k)->name);
        if (i < 0) {
            free (v);
            errno = ENOENT;
            return NULL;
        }
        v[k] = s->nodes[i];
    }
    return v;
}

int snap_track (struct sched_snapshot *s, const struct sched_alloc *a)
{
    struct sched_alloc *c = sched_alloc_copy (a);
    struct snode **nodes = c ? run_nodes (s, c) : NULL;
    if (!nodes || run_reserve (s) < 0) {
        sched_alloc_destroy (c);
        free (nodes);
        errno = ENOMEM;
        return -1;
    }
    int i = run_find (s, sched_alloc_seq (a));
    if (i >= 0) {
        sched_alloc_destroy (s->runs[i].a);
        free (s->runs[i].nodes);
        s->runs[i].a = c;
        s->runs[i].nodes = nodes;
        run_frees (s, c, &s->runs[i]);
        return 0;
    }
    i = s->nruns++;
    s->runs[i] = (struct snap_run){.seq = sched_alloc_seq (a), .a = c, .nodes = nodes, .hnext = -1};
    run_frees (s, c, &s->runs[i]);
    run_link (s, i);
    return 0;
}

/* Unlink entry I from its chain. */
static void run_unlink (struct sched_snapshot *s, int i)
{
    int *at = &s->runs_bucket[run_bucket (s, s->runs[i].seq)];
    while (*at != i)
        at = &s->runs[*at].hnext;
    *at = s->runs[i].hnext;
}

void snap_untrack (struct sched_snapshot *s, int64_t seq)
{
    int i = run_find (s, seq);
    if (i < 0)
        return;
    run_unlink (s, i);
    sched_alloc_destroy (s->runs[i].a);
    free (s->runs[i].nodes);
    int last = --s->nruns;
    if (i != last) { /* the last entry takes its place */
        run_unlink (s, last);
        s->runs[i] = s->runs[last];
        run_link (s, i);
    }
}

/* ---- the free pool ---- */

/* Node N's free share into R (nothing when nothing is free). */
static int add_free_part (struct rset *r, const struct snode *n)
{
    int npus = 0;
    for (int i = 0; i < n->ncores; i++)
        npus += n->cores[i].npus;
    int *cores = malloc (((size_t)n->ncores + 1) * sizeof (int));
    int *pus = malloc (((size_t)npus + 1) * sizeof (int));
    int *gpus = malloc (((size_t)n->ngpus + 1) * sizeof (int));
    struct rset_node part = {.name = n->name, .cores = cores, .pus = pus, .gpus = gpus};
    int rc = -1;
    if (!cores || !pus || !gpus)
        goto out;
    for (int i = 0; i < n->ncores; i++) {
        const struct snode_core *c = &n->cores[i];
        if (c->owner != SNAP_FREE)
            continue;
        cores[part.ncores++] = c->os_index;
        memcpy (pus + part.npus, c->pus, (size_t)c->npus * sizeof (int));
        part.npus += c->npus;
    }
    for (int k = 0; k < n->ngpus; k++) {
        if (n->gpus[k].owner == SNAP_FREE)
            gpus[part.ngpus++] = n->gpus[k].index;
    }
    part.mem = n->mem - n->mem_used;
    rc = (part.ncores || part.ngpus || part.mem) ? rset_add (r, &part) : 0;
out:
    free (cores);
    free (pus);
    free (gpus);
    return rc;
}

struct rset *sched_snapshot_free (const struct sched_snapshot *s)
{
    struct rset *r = rset_create();
    for (int i = 0; r && i < s->n; i++) {
        const struct snode *n = s->nodes[i];
        if (n->usable && n->excl_seq == SNAP_FREE && add_free_part (r, n) < 0) {
            rset_destroy (r);
            r = NULL;
        }
    }
    if (!r)
        errno = ENOMEM;
    return r;
}

/* ---- self-check ---- */

static bool node_consistent (const struct snode *n)
{
    int free_cores = 0, free_gpus = 0;
    bool any_owned = false;
    for (int d = 0; d < n->nnuma; d++) {
        int f = 0;
        for (int i = 0; i < n->numa_ncores[d]; i++) {
            const struct snode_core *c = &n->cores[n->numa_cores[d][i]];
            f += c->owner == SNAP_FREE;
            /* no free core before the allocator's mark (numa_first) */
            if (c->numa_at != i || (c->owner == SNAP_FREE && i < n->numa_first[d]))
                return false;
        }
        if (f != n->numa_free[d])
            return false;
    }
    for (int i = 0; i < n->ncores; i++) {
        int64_t o = n->cores[i].owner;
        free_cores += o == SNAP_FREE;
        any_owned |= o != SNAP_FREE;
        if (n->excl_seq != SNAP_FREE && o != SNAP_FREE && o != n->excl_seq)
            return false;
    }
    for (int k = 0; k < n->ngpus; k++) {
        int64_t o = n->gpus[k].owner;
        free_gpus += o == SNAP_FREE;
        any_owned |= o != SNAP_FREE;
        if (n->excl_seq != SNAP_FREE && o != SNAP_FREE && o != n->excl_seq)
            return false;
    }
    if (free_cores != n->free_cores || free_gpus != n->free_gpus || n->mem_used > n->mem ||
        n->njobs < 0)
        return false;
    if (n->njobs == 0 && (any_owned || n->mem_used || n->excl_seq != SNAP_FREE))
        return false;
    return !(n->excl_seq != SNAP_FREE && n->njobs != 1);
}

int sched_snapshot_verify (const struct sched_snapshot *s)
{
    for (int i = 0; i < s->n; i++) {
        const struct snode *n = s->nodes[i];
        if (!node_consistent (n) || n->index != i || snap_find (s, n->name) != i)
            goto bad;
    }
    for (int i = 1; i < s->n; i++) {
        if (!snap_node_before (s->nodes[i - 1], s->nodes[i]))
            goto bad; /* not in fabric, then name, order */
    }
    if (!s->tree_stale && s->tree) {
        for (int i = 0; i < s->leaves; i++) {
            struct snap_totals want = i < s->n ? node_totals (s->nodes[i]) : totals_none;
            if (!totals_equal (&s->tree[s->leaves + i], &want))
                goto bad;
        }
        for (int i = s->leaves - 1; i >= 1; i--) {
            struct snap_totals want = totals_add (s->tree[2 * i], s->tree[2 * i + 1]);
            if (!totals_equal (&s->tree[i], &want))
                goto bad;
        }
    }
    if (s->ngroups < 1 || s->groups[0].first != 0 || s->groups[0].count != s->n)
        goto bad;
    if (!s->groups_stale && s->nleaves > 0) {
        /* the leaves tile the dense index, each node knows its own */
        int next = 0;
        for (int l = 0; l < s->nleaves; l++) {
            const struct snap_group *g = &s->groups[1 + l];
            if (g->first != next || g->count < 1 || g->level != 0)
                goto bad;
            for (int i = g->first; i < g->first + g->count; i++) {
                if (s->nodes[i]->leaf != l)
                    goto bad;
            }
            next += g->count;
        }
        if (next != s->n)
            goto bad;
    }
    return 0;
bad:
    errno = EIO;
    return -1;
}
