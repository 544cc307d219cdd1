/* Unit tests for the fabric-aware placement engine (scheduler/core/fabric.h,
 * placement.h): random switch trees with random occupancy, every request
 * shape, the engine's choice against an exhaustive search.
 *
 * The test keeps its own model of the tree (which leaf each node is under,
 * which switches contain which leaves) and of each node's free cores and
 * GPUs (from sched_snapshot_node_usage), and enumerates every subset of
 * leaves to find the optimum: the lowest common-switch level, then the
 * fewest leaves, under the request's constraints.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/resreq.h"
#include "scheduler/core/alloc.h"
#include "scheduler/core/fabric.h"
#include "scheduler/core/pass.h"
#include "scheduler/core/pgroup.h"
#include "scheduler/core/placement.h"
#include "scheduler/core/queue.h"
#include "scheduler/core/snapshot.h"

#define GiB      (1024ull * 1024 * 1024)
#define MAXNODES 40
#define MAXLEAF  8
#define MAXGRP   32

static uint32_t rng = 2026;
static int rnd (int n)
{
    rng = rng * 1103515245u + 12345u;
    return (int)((rng >> 8) % (unsigned)n);
}

static void add_node (struct sched_snapshot *s, const char *name, int ncores, int ngpus)
{
    struct sched_core_desc cores[16];
    struct sched_gpu_desc gpus[4];
    int pus[16], local[16];
    for (int i = 0; i < ncores; i++) {
        pus[i] = i;
        local[i] = i;
        cores[i] = (struct sched_core_desc){i, 0, 1, &pus[i]};
    }
    for (int g = 0; g < ngpus; g++)
        gpus[g] = (struct sched_gpu_desc){g, 0, ncores, local, 0};
    struct sched_node_desc d = {name, true, 64 * GiB, ncores, cores, ngpus, gpus};
    assert_int_equal (sched_snapshot_add_node (s, &d), 0);
}

/* The test's own picture of the fabric. */
struct model {
    int nnodes, nleaves, ngroups, rootlevel;
    char names[MAXNODES][16]; /* fabric order */
    int leaf_of[MAXNODES];    /* fabric position -> leaf */
    struct sched_fabric_group g[MAXGRP];
    int leaf_first[MAXLEAF], leaf_count[MAXLEAF];
    int ncores, ngpus;
};

/* Random tree: 2..MAXLEAF leaves of 1..5 nodes; with three levels the
 * leaves are cut into 1..3 runs under level-1 switches (sometimes a level-2
 * switch above two of them); the cluster is the root. */
static void random_tree (struct model *m)
{
    memset (m, 0, sizeof (*m));
    m->nleaves = 2 + rnd (MAXLEAF - 1);
    m->ncores = 2 + rnd (3);
    m->ngpus = rnd (3) == 0 ? 2 : 0;
    for (int l = 0; l < m->nleaves; l++) {
        m->leaf_first[l] = m->nnodes;
        m->leaf_count[l] = 1 + rnd (5);
        for (int k = 0; k < m->leaf_count[l]; k++)
            m->leaf_of[m->nnodes++] = l;
        m->g[m->ngroups++] = (struct sched_fabric_group){m->leaf_first[l], m->leaf_count[l], 0};
    }
    m->rootlevel = 1;
    if (rnd (2)) { /* three levels */
        int l = 0;
        int firsts[MAXLEAF], nsp = 0;
        while (l < m->nleaves) {
            int take = 1 + rnd (3);
            if (l + take > m->nleaves)
                take = m->nleaves - l;
            int first = m->leaf_first[l],
                last = m->leaf_first[l + take - 1] + m->leaf_count[l + take - 1];
            firsts[nsp++] = l;
            m->g[m->ngroups++] = (struct sched_fabric_group){first, last - first, 1};
            l += take;
        }
        m->rootlevel = 2;
        if (nsp >= 3 && rnd (2)) { /* a level-2 switch over the first two spines */
            int first = m->g[m->nleaves].first;
            int count = m->g[m->nleaves].count + m->g[m->nleaves + 1].count;
            m->g[m->ngroups++] = (struct sched_fabric_group){first, count, 2};
            m->rootlevel = 3;
        }
        (void)firsts;
    }
    /* names in an order unrelated to fabric order */
    int perm[MAXNODES];
    for (int i = 0; i < m->nnodes; i++)
        perm[i] = i;
    for (int i = m->nnodes - 1; i > 0; i--) {
        int j = rnd (i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (int i = 0; i < m->nnodes; i++)
        snprintf (m->names[i], sizeof (m->names[i]), "x%02d", perm[i]);
}

static int model_pos (const struct model *m, const char *name)
{
    for (int i = 0; i < m->nnodes; i++) {
        if (strcmp (m->names[i], name) == 0)
            return i;
    }
    fail_msg ("node %s is not in the model", name);
    return -1;
}

/* Level of the lowest group holding every leaf in MASK (one leaf: 0). */
static int mask_level (const struct model *m, unsigned mask)
{
    int lo = MAXNODES, hi = -1, nl = 0;
    for (int l = 0; l < m->nleaves; l++) {
        if (!(mask & (1u << l)))
            continue;
        nl++;
        lo = m->leaf_first[l] < lo ? m->leaf_first[l] : lo;
        int end = m->leaf_first[l] + m->leaf_count[l] - 1;
        hi = end > hi ? end : hi;
    }
    if (nl <= 1)
        return 0;
    int best = m->rootlevel;
    for (int k = 0; k < m->ngroups; k++) {
        const struct sched_fabric_group *g = &m->g[k];
        if (g->level > 0 && g->first <= lo && hi < g->first + g->count && g->level < best)
            best = g->level;
    }
    return best;
}

static struct sched_snapshot *build (const struct model *m)
{
    struct sched_snapshot *s = sched_snapshot_create();
    assert_non_null (s);
    for (int i = 0; i < m->nnodes; i++)
        add_node (s, m->names[i], m->ncores, m->ngpus);
    const char *names[MAXNODES];
    for (int i = 0; i < m->nnodes; i++)
        names[i] = m->names[i];
    struct sched_fabric f = {m->nnodes, names, m->ngroups, m->g};
    assert_int_equal (sched_snapshot_set_fabric (s, &f), 0);
    assert_int_equal (sched_snapshot_verify (s), 0);
    return s;
}

static struct sched_result *run_pass (struct sched_snapshot *s, struct sched_queue *q, int64_t now)
{
    struct sched_limits lim = {.max_jobs = 0};
    struct sched_result *r = sched_pass (s, q, now, &lim);
    assert_non_null (r);
    assert_int_equal (sched_snapshot_verify (s), 0);
    return r;
}

/* Random occupancy: single-core-granular jobs pinned with host=, kept. */
static void occupy (struct sched_snapshot *s, const struct model *m, struct sched_alloc **held,
                    int *nheld)
{
    struct sched_queue *q = sched_queue_create();
    assert_non_null (q);
    int64_t seq = 1000;
    for (int i = 0; i < m->nnodes; i++) {
        int used = rnd (m->ncores + 1);
        if (used == 0 || rnd (3) == 0)
            continue;
        struct resreq_chunk c = {1, used, 1, rnd (2) && m->ngpus ? 1 : 0, 0, "", "", 0};
        snprintf (c.host, sizeof (c.host), "%s", m->names[i]);
        struct resreq r = {.nchunks = 1, .chunks = &c};
        struct sched_job j = {seq++, 0, 0, false, &r, 0};
        assert_int_equal (sched_queue_add (q, &j), 0);
    }
    struct sched_result *res = run_pass (s, q, 0);
    for (int i = 0; i < sched_result_count (res); i++) {
        if (sched_result_get (res, i)->kind == SCHED_START)
            held[(*nheld)++] = sched_result_take_alloc (res, i);
    }
    sched_result_destroy (res);
    sched_queue_destroy (q);
}

/* What node at fabric position I can take of chunk C (scatter: 0 or 1). */
static int node_cap (struct sched_snapshot *s, const struct model *m, int i,
                     const struct resreq_chunk *c, bool scatter)
{
    struct sched_node_usage u;
    assert_int_equal (sched_snapshot_node_usage (s, m->names[i], &u), 0);
    int fc = u.ncores - u.cores_used, fg = u.ngpus - u.gpus_used;
    int k = c->count;
    if (c->ncpus > 0 && fc / c->ncpus < k)
        k = fc / c->ncpus;
    if (c->ngpus > 0 && fg / c->ngpus < k)
        k = fg / c->ngpus;
    return scatter && k > 1 ? 1 : k;
}

struct optimum {
    bool feasible;
    int level, leaves;
};

/* Exhaustive: every subset of leaves with room for the job and at most
 * MAXL leaves (0: any); the lowest level, then the fewest leaves. */
static struct optimum exhaustive (const struct model *m, const int *leafcap, int want, int maxl)
{
    struct optimum best = {false, 0, 0};
    for (unsigned mask = 1; mask < (1u << m->nleaves); mask++) {
        int sum = 0, nl = 0;
        for (int l = 0; l < m->nleaves; l++) {
            if (mask & (1u << l)) {
                sum += leafcap[l];
                nl++;
            }
        }
        if (sum < want || (maxl > 0 && nl > maxl))
            continue;
        int level = mask_level (m, mask);
        if (!best.feasible || level < best.level || (level == best.level && nl < best.leaves))
            best = (struct optimum){true, level, nl};
    }
    return best;
}

/* The engine's choice for one random request on one random tree. */
static void one_case (int *checked)
{
    struct model m;
    random_tree (&m);
    struct sched_snapshot *s = build (&m);
    struct sched_alloc *held[MAXNODES];
    int nheld = 0;
    occupy (s, &m, held, &nheld);

    struct resreq_chunk c = {1 + rnd (m.nnodes), 1 + rnd (m.ncores), 1, 0, 0, "", "", 0};
    if (m.ngpus && rnd (3) == 0) {
        c.ngpus = 1;
        c.ncpus = rnd (2);
        if (c.ncpus == 0 && c.ngpus == 0)
            c.ncpus = 1;
    }
    struct resreq r = {.nchunks = 1, .chunks = &c};
    int shape = rnd (4);
    r.arrangement = shape == 0 ? RESREQ_SCATTER : shape == 1 ? RESREQ_PACK : RESREQ_FREE;
    int cons = rnd (4);
    r.group_switch = cons == 1;
    r.max_switches = cons == 2 ? 1 + rnd (3) : 0;
    r.switches_wait = -1;
    bool scatter = r.arrangement == RESREQ_SCATTER;

    int leafcap[MAXLEAF] = {0};
    int nodecap[MAXNODES];
    for (int i = 0; i < m.nnodes; i++) {
        nodecap[i] = node_cap (s, &m, i, &c, scatter);
        leafcap[m.leaf_of[i]] += nodecap[i];
    }
    int maxl = r.group_switch ? 1 : r.max_switches;
    struct optimum opt = exhaustive (&m, leafcap, c.count, maxl);
    struct optimum any = exhaustive (&m, leafcap, c.count, 0);

    struct sched_queue *q = sched_queue_create();
    struct sched_job j = {1, 0, 0, false, &r, 0};
    assert_int_equal (sched_queue_add (q, &j), 0);
    struct sched_result *res = run_pass (s, q, 10);
    const struct sched_decision *d = sched_result_count (res) ? sched_result_get (res, 0) : NULL;

    if (r.arrangement == RESREQ_PACK || c.count == 1) {
        /* one node: first fit, any leaf; only validity is checked */
        if (d && d->kind == SCHED_START)
            assert_int_equal (sched_alloc_nnodes (d->alloc), 1);
    } else if (opt.feasible) {
        assert_non_null (d);
        assert_int_equal (d->kind, SCHED_START);
        const struct sched_alloc *a = d->alloc;
        const char *names[MAXNODES];
        unsigned mask = 0;
        int prev_leaf = -1, instances = 0;
        unsigned seen = 0;
        for (int k = 0; k < sched_alloc_nnodes (a); k++) {
            const struct rset_node *n = sched_alloc_node (a, k);
            names[k] = n->name;
            int pos = model_pos (&m, n->name);
            int leaf = m.leaf_of[pos];
            /* leaf by leaf: a leaf's nodes are consecutive in the allocation */
            if (leaf != prev_leaf)
                assert_false (seen & (1u << leaf));
            seen |= 1u << leaf;
            prev_leaf = leaf;
            mask |= 1u << leaf;
            int per = c.ncpus ? n->ncores / c.ncpus : n->ngpus / c.ngpus;
            assert_true (per >= 1);
            assert_true (per <= nodecap[pos]);
            instances += per;
        }
        assert_int_equal (instances, c.count);
        int nl = __builtin_popcount (mask);
        if (mask_level (&m, mask) != opt.level || nl != opt.leaves)
            fail_msg ("engine: level %d, %d leaves; exhaustive: level %d, %d leaves",
                      mask_level (&m, mask), nl, opt.level, opt.leaves);
        int sl, slev;
        assert_int_equal (sched_snapshot_span (s, names, sched_alloc_nnodes (a), &sl, &slev), 0);
        assert_int_equal (sl, nl);
        assert_int_equal (slev, opt.level);
        if (maxl > 0)
            assert_true (nl <= maxl);
        (*checked)++;
    } else {
        /* does not fit as asked: no start; it waits when only the
         * constraint stands in the way */
        assert_true (!d || d->kind != SCHED_START);
        if (any.feasible && maxl > 0) {
            /* on the idle cluster the constraint could be met: it waits;
             * else it never fits as asked */
            int idlecap[MAXLEAF] = {0};
            for (int i = 0; i < m.nnodes; i++) {
                int k = c.count;
                if (c.ncpus > 0 && m.ncores / c.ncpus < k)
                    k = m.ncores / c.ncpus;
                if (c.ngpus > 0 && m.ngpus / c.ngpus < k)
                    k = m.ngpus / c.ngpus;
                idlecap[m.leaf_of[i]] += scatter && k > 1 ? 1 : k;
            }
            bool could = exhaustive (&m, idlecap, c.count, maxl).feasible;
            assert_non_null (d);
            assert_int_equal (d->kind, could ? SCHED_WAIT : SCHED_NEVER);
            assert_true (strstr (d->reason, r.group_switch ? "group=switch" : "switches=") != NULL);
        }
    }
    for (int i = 0; i < sched_result_count (res); i++) {
        struct sched_alloc *a = sched_result_take_alloc (res, i);
        if (a) {
            assert_int_equal (sched_snapshot_release (s, a), 0);
            sched_alloc_destroy (a);
        }
    }
    sched_result_destroy (res);
    sched_queue_destroy (q);
    for (int i = 0; i < nheld; i++) {
        assert_int_equal (sched_snapshot_release (s, held[i]), 0);
        sched_alloc_destroy (held[i]);
    }
    assert_int_equal (sched_snapshot_verify (s), 0);
    sched_snapshot_destroy (s);
}

static void random_trees_match_exhaustive_search (void **state)
{
    (void)state;
    int checked = 0;
    for (int t = 0; t < 3000; t++)
        one_case (&checked);
    /* the comparison must have happened often, not just the edge cases */
    assert_true (checked > 500);
}

/* Mixed chunk shapes and exclusive jobs: no optimality promise, but every
 * start is valid (the snapshot's own check), and a job that fits the
 * cluster is not refused for the fabric's sake. */
static void mixed_shapes_stay_valid (void **state)
{
    (void)state;
    for (int t = 0; t < 500; t++) {
        struct model m;
        random_tree (&m);
        struct sched_snapshot *s = build (&m);
        struct sched_alloc *held[MAXNODES];
        int nheld = 0;
        occupy (s, &m, held, &nheld);
        struct resreq_chunk c[2] = {{1 + rnd (4), 1 + rnd (m.ncores), 1, 0, 0, "", "", 0},
                                    {1 + rnd (4), 1, 1, 0, 0, "", "", 0}};
        struct resreq r = {.nchunks = 2, .chunks = c};
        r.arrangement = rnd (2) ? RESREQ_FREE : RESREQ_SCATTER;
        r.sharing = rnd (3) == 0 ? RESREQ_EXCL : RESREQ_SHARED;
        struct sched_queue *q = sched_queue_create();
        struct sched_job j = {1, 0, 0, false, &r, 0};
        assert_int_equal (sched_queue_add (q, &j), 0);
        struct sched_result *res = run_pass (s, q, 10);
        struct sched_alloc *a = sched_result_count (res) ? sched_result_take_alloc (res, 0) : NULL;
        if (a) {
            int cores = sched_alloc_total_cores (a);
            assert_int_equal (cores, c[0].count * c[0].ncpus + c[1].count * c[1].ncpus);
            assert_int_equal (sched_snapshot_release (s, a), 0);
            sched_alloc_destroy (a);
        }
        sched_result_destroy (res);
        sched_queue_destroy (q);
        for (int i = 0; i < nheld; i++) {
            assert_int_equal (sched_snapshot_release (s, held[i]), 0);
            sched_alloc_destroy (held[i]);
        }
        assert_int_equal (sched_snapshot_verify (s), 0);
        sched_snapshot_destroy (s);
    }
}

/* The fabric API: bad fabrics are refused and change nothing; nodes the
 * fabric does not name come last, each its own leaf; NULL returns to name
 * order. */
static void fabric_api_checks_and_orders (void **state)
{
    (void)state;
    struct sched_snapshot *s = sched_snapshot_create();
    add_node (s, "a", 2, 0);
    add_node (s, "b", 2, 0);
    add_node (s, "c", 2, 0);
    const char *names[] = {"c", "a", "zz"};
    struct sched_fabric_group ok[] = {{0, 2, 0}, {2, 1, 0}};
    struct sched_fabric_group overlap[] = {{0, 2, 0}, {1, 2, 0}};
    struct sched_fabric_group flat[] = {{0, 3, 0}, {0, 2, 0}};
    struct sched_fabric_group empty[] = {{0, 0, 0}};
    const char *dup[] = {"a", "a", "b"};
    struct sched_fabric f = {3, names, 2, overlap};
    assert_int_equal (sched_snapshot_set_fabric (s, &f), -1);
    assert_int_equal (errno, EINVAL);
    f.groups = flat;
    assert_int_equal (sched_snapshot_set_fabric (s, &f), -1);
    f.groups = empty;
    f.ngroups = 1;
    assert_int_equal (sched_snapshot_set_fabric (s, &f), -1);
    struct sched_fabric fd = {3, dup, 2, ok};
    assert_int_equal (sched_snapshot_set_fabric (s, &fd), -1);
    assert_int_equal (errno, EINVAL);
    f = (struct sched_fabric){3, names, 2, ok};
    assert_int_equal (sched_snapshot_set_fabric (s, &f), 0);
    add_node (s, "0", 2, 0); /* after the fabric: last, its own leaf */
    assert_int_equal (sched_snapshot_verify (s), 0);
    int leaves, level;
    const char *ca[] = {"c", "a"}, *cb[] = {"c", "b"}, *b0[] = {"b", "0"};
    assert_int_equal (sched_snapshot_span (s, ca, 2, &leaves, &level), 0);
    assert_int_equal (leaves, 1);
    assert_int_equal (level, 0);
    assert_int_equal (sched_snapshot_span (s, cb, 2, &leaves, &level), 0);
    assert_int_equal (leaves, 2);
    assert_int_equal (level, 1);
    assert_int_equal (sched_snapshot_span (s, b0, 2, &leaves, &level), 0);
    assert_int_equal (leaves, 2);
    /* a two-node job goes to the leaf of c and a, ranks in fabric order */
    struct resreq_chunk ch = {2, 2, 1, 0, 0, "", "", 0};
    struct resreq r = {.nchunks = 1, .chunks = &ch, .arrangement = RESREQ_SCATTER};
    struct sched_queue *q = sched_queue_create();
    struct sched_job j = {1, 0, 0, false, &r, 0};
    assert_int_equal (sched_queue_add (q, &j), 0);
    struct sched_result *res = run_pass (s, q, 0);
    struct sched_alloc *a = sched_result_take_alloc (res, 0);
    assert_non_null (a);
    assert_string_equal (sched_alloc_node (a, 0)->name, "c");
    assert_string_equal (sched_alloc_node (a, 1)->name, "a");
    assert_int_equal (sched_snapshot_release (s, a), 0);
    sched_alloc_destroy (a);
    sched_result_destroy (res);
    sched_queue_destroy (q);
    /* a rebuilt snapshot takes the fabric over */
    struct sched_snapshot *s2 = sched_snapshot_create();
    add_node (s2, "a", 2, 0);
    add_node (s2, "b", 2, 0);
    add_node (s2, "c", 2, 0);
    assert_int_equal (sched_snapshot_copy_fabric (s2, s), 0);
    assert_int_equal (sched_snapshot_verify (s2), 0);
    assert_int_equal (sched_snapshot_span (s2, ca, 2, &leaves, &level), 0);
    assert_int_equal (leaves, 1);
    assert_int_equal (sched_snapshot_span (s2, cb, 2, &leaves, &level), 0);
    assert_int_equal (leaves, 2);
    sched_snapshot_destroy (s2);
    assert_int_equal (sched_snapshot_set_fabric (s, NULL), 0);
    assert_int_equal (sched_snapshot_verify (s), 0);
    assert_int_equal (sched_snapshot_span (s, cb, 2, &leaves, &level), 0);
    assert_int_equal (leaves, 1);
    sched_snapshot_destroy (s);
}

/* switches=N@T: the job waits (with a reason) while fewer leaves cannot
 * hold it and T has not passed, then takes the best placement and says
 * so; group=switch waits for as long as no leaf has room. */
static void switches_wait_then_best_available (void **state)
{
    (void)state;
    struct sched_snapshot *s = sched_snapshot_create();
    const char *names[] = {"a0", "a1", "b0", "b1"};
    for (int i = 0; i < 4; i++)
        add_node (s, names[i], 2, 0);
    struct sched_fabric_group g[] = {{0, 2, 0}, {2, 2, 0}};
    struct sched_fabric f = {4, names, 2, g};
    assert_int_equal (sched_snapshot_set_fabric (s, &f), 0);
    /* one core of a1 and of b1 busy: no leaf has the 4 free cores the job needs */
    struct resreq_chunk busy[2] = {{1, 1, 1, 0, 0, "a1", "", 0}, {1, 1, 1, 0, 0, "b1", "", 0}};
    struct resreq rb = {.nchunks = 2, .chunks = busy};
    struct sched_queue *q = sched_queue_create();
    struct sched_job jb = {9, 0, 0, false, &rb, 0};
    assert_int_equal (sched_queue_add (q, &jb), 0);
    struct sched_result *res = run_pass (s, q, 0);
    struct sched_alloc *held = sched_result_take_alloc (res, 0);
    assert_non_null (held);
    sched_result_destroy (res);

    struct resreq_chunk c = {4, 1, 1, 0, 0, "", "", 0};
    struct resreq r = {.nchunks = 1, .chunks = &c, .max_switches = 1, .switches_wait = 60};
    struct sched_job j = {1, 0, 100, false, &r, 0};
    assert_int_equal (sched_queue_add (q, &j), 0);
    res = run_pass (s, q, 130); /* waited 30 s of 60 */
    assert_int_equal (sched_result_count (res), 1);
    const struct sched_decision *d = sched_result_get (res, 0);
    assert_int_equal (d->kind, SCHED_WAIT);
    assert_string_equal (d->reason, "switches=1: the job would need 2 leaf switches now");
    sched_result_destroy (res);
    res = run_pass (s, q, 160); /* 60 s: the best available */
    d = sched_result_get (res, 0);
    assert_int_equal (d->kind, SCHED_START);
    assert_string_equal (d->reason, "switches=1 not met within the wait: 2 leaf switches");
    struct sched_alloc *a = sched_result_take_alloc (res, 0);
    assert_int_equal (sched_alloc_nnodes (a), 3);
    /* leaf by leaf: a's nodes, then b's */
    assert_string_equal (sched_alloc_node (a, 0)->name, "a0");
    assert_int_equal (sched_snapshot_release (s, a), 0);
    sched_alloc_destroy (a);
    sched_result_destroy (res);

    /* group=switch: waits while a1 is busy, and says why */
    r.max_switches = 0;
    r.group_switch = true;
    assert_int_equal (sched_queue_add (q, &j), 0);
    res = run_pass (s, q, 100000);
    d = sched_result_get (res, 0);
    assert_int_equal (d->kind, SCHED_WAIT);
    assert_string_equal (d->reason, "group=switch: no leaf switch has room for the job");
    sched_result_destroy (res);
    /* five cores can never be under one leaf of four */
    c.count = 5;
    assert_int_equal (sched_queue_remove (q, 1), 0);
    assert_int_equal (sched_queue_add (q, &j), 0);
    res = run_pass (s, q, 100000);
    d = sched_result_get (res, 0);
    assert_int_equal (d->kind, SCHED_NEVER);
    assert_string_equal (d->reason, "group=switch: no leaf switch has room for the job");
    sched_result_destroy (res);
    /* a1 and b1 free again: the four-core job fits one leaf and starts there */
    assert_int_equal (sched_snapshot_release (s, held), 0);
    sched_alloc_destroy (held);
    c.count = 4;
    assert_int_equal (sched_queue_remove (q, 1), 0);
    assert_int_equal (sched_queue_add (q, &j), 0);
    res = run_pass (s, q, 100000);
    a = sched_result_take_alloc (res, 0);
    assert_non_null (a);
    assert_int_equal (sched_alloc_nnodes (a), 2);
    assert_string_equal (sched_alloc_node (a, 0)->name, "a0");
    assert_string_equal (sched_alloc_node (a, 1)->name, "a1");
    assert_int_equal (sched_snapshot_release (s, a), 0);
    sched_alloc_destroy (a);
    sched_result_destroy (res);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

/* ---- placement groups ---- */

enum { G_SPREAD, G_PART, G_CLUSTER, NGROUPS };
static const char *const gname[NGROUPS] = {"sp", "pa", "cl"};

struct running {
    struct sched_alloc *a;
    int group;
};

/* Every running job of the groups keeps its strategy's rule: spread, one
 * node of the group per leaf; partition, every leaf with the group's nodes
 * in one partition, the job's own; and the snapshot's own tally agrees. */
static void check_groups (struct sched_snapshot *s, const struct model *m,
                          const struct running *run, int nrun, int parts)
{
    int spread_on_leaf[MAXLEAF] = {0}, part_of_leaf[MAXLEAF] = {0};
    int jobs_on_node[NGROUPS][MAXNODES] = {{0}};
    for (int k = 0; k < nrun; k++) {
        const struct sched_alloc *a = run[k].a;
        int p = sched_alloc_partition (a);
        assert_string_equal (sched_alloc_pgroup (a), gname[run[k].group]);
        if (run[k].group == G_PART)
            assert_true (p >= 1 && p <= parts);
        else
            assert_int_equal (p, 0);
        for (int i = 0; i < sched_alloc_nnodes (a); i++) {
            int pos = model_pos (m, sched_alloc_node (a, i)->name);
            int leaf = m->leaf_of[pos];
            jobs_on_node[run[k].group][pos]++;
            if (run[k].group == G_SPREAD && spread_on_leaf[leaf]++ > 0)
                fail_msg ("spread: two nodes of the group under leaf %d", leaf);
            if (run[k].group == G_PART) {
                if (part_of_leaf[leaf] != 0 && part_of_leaf[leaf] != p)
                    fail_msg ("partition: leaf %d holds partitions %d and %d", leaf,
                              part_of_leaf[leaf], p);
                part_of_leaf[leaf] = p;
            }
        }
    }
    for (int g = 0; g < NGROUPS; g++) {
        for (int i = 0; i < m->nnodes; i++) {
            int jobs, part;
            assert_int_equal (sched_snapshot_pgroup_usage (s, gname[g], m->names[i], &jobs, &part),
                              0);
            assert_int_equal (jobs, jobs_on_node[g][i]);
        }
    }
}

/* Random trees, random occupancy, a random stream of jobs of the three
 * groups with jobs ending in between, and now and then a "restart" (a new
 * snapshot claiming every running allocation): the rules always hold, no
 * core or GPU is given twice, and a spread job that waits says why. */
static void random_groups_keep_their_rules (void **state)
{
    (void)state;
    int started = 0, waited = 0;
    for (int t = 0; t < 400; t++) {
        struct model m;
        random_tree (&m);
        struct sched_snapshot *s = build (&m);
        struct sched_alloc *held[MAXNODES];
        int nheld = 0;
        if (rnd (2))
            occupy (s, &m, held, &nheld);
        int parts = 1 + rnd (3);
        assert_int_equal (sched_snapshot_set_pgroup (s, "sp", SCHED_PG_SPREAD, 0), 0);
        assert_int_equal (sched_snapshot_set_pgroup (s, "pa", SCHED_PG_PARTITION, parts), 0);
        assert_int_equal (sched_snapshot_set_pgroup (s, "cl", SCHED_PG_CLUSTER, 0), 0);
        struct running run[64];
        int nrun = 0;
        int64_t seq = 1;
        for (int round = 0; round < 6; round++) {
            struct sched_queue *q = sched_queue_create();
            struct resreq_chunk ch[4];
            struct resreq rq[4];
            for (int k = 0; k < 4; k++) {
                ch[k] = (struct resreq_chunk){1 + rnd (3), 1 + rnd (m.ncores), 1, 0, 0, "", "", 0};
                rq[k] = (struct resreq){.nchunks = 1, .chunks = &ch[k], .switches_wait = -1};
                rq[k].arrangement = rnd (2) ? RESREQ_SCATTER : RESREQ_FREE;
                snprintf (rq[k].pgroup, sizeof (rq[k].pgroup), "%s", gname[rnd (NGROUPS)]);
                struct sched_job j = {seq++, 0, 0, false, &rq[k], 0};
                assert_int_equal (sched_queue_add (q, &j), 0);
            }
            struct sched_result *res = run_pass (s, q, 10);
            for (int i = 0; i < sched_result_count (res); i++) {
                const struct sched_decision *d = sched_result_get (res, i);
                /* waits for plain lack of room or for a reservation say
                 * so; any other wait is the group's */
                if (d->kind == SCHED_WAIT && d->blocker < 0 &&
                    strcmp (d->reason, "not enough free resources") != 0) {
                    assert_true (strstr (d->reason, "placement group") != NULL);
                    waited++;
                }
                if (d->kind != SCHED_START)
                    continue;
                struct sched_alloc *a = sched_result_take_alloc (res, i);
                int g = 0;
                while (strcmp (gname[g], sched_alloc_pgroup (a)) != 0)
                    g++;
                assert_true (nrun < 64);
                run[nrun++] = (struct running){a, g};
                started++;
            }
            sched_result_destroy (res);
            sched_queue_destroy (q);
            check_groups (s, &m, run, nrun, parts);
            for (int k = 0; k < nrun; k++) { /* some jobs end */
                if (rnd (3) == 0) {
                    assert_int_equal (sched_snapshot_release (s, run[k].a), 0);
                    sched_alloc_destroy (run[k].a);
                    run[k--] = run[--nrun];
                }
            }
            if (rnd (4) == 0) { /* a restart: the allocations claimed again */
                struct sched_snapshot *s2 = build (&m);
                assert_int_equal (sched_snapshot_copy_pgroups (s2, s), 0);
                for (int i = 0; i < nheld; i++)
                    assert_int_equal (sched_snapshot_claim (s2, held[i]), 0);
                for (int k = 0; k < nrun; k++)
                    assert_int_equal (sched_snapshot_claim (s2, run[k].a), 0);
                sched_snapshot_destroy (s);
                s = s2;
                check_groups (s, &m, run, nrun, parts);
            }
            assert_int_equal (sched_snapshot_verify (s), 0);
        }
        bool spread_runs = false;
        for (int k = 0; k < nrun; k++)
            spread_runs = spread_runs || run[k].group == G_SPREAD;
        assert_int_equal (sched_snapshot_remove_pgroup (s, "sp"), spread_runs ? -1 : 0);
        if (!spread_runs) /* back, for check_groups */
            assert_int_equal (sched_snapshot_set_pgroup (s, "sp", SCHED_PG_SPREAD, 0), 0);
        for (int k = 0; k < nrun; k++) {
            assert_int_equal (sched_snapshot_release (s, run[k].a), 0);
            sched_alloc_destroy (run[k].a);
        }
        for (int i = 0; i < nheld; i++) {
            assert_int_equal (sched_snapshot_release (s, held[i]), 0);
            sched_alloc_destroy (held[i]);
        }
        check_groups (s, &m, run, 0, parts);
        assert_int_equal (sched_snapshot_verify (s), 0);
        sched_snapshot_destroy (s);
    }
    assert_true (started > 1000);
    assert_true (waited > 50);
}

/* Three leaves of two 2-core nodes. */
static struct sched_snapshot *three_leaves (void)
{
    struct sched_snapshot *s = sched_snapshot_create();
    const char *names[] = {"a0", "a1", "b0", "b1", "c0", "c1"};
    for (int i = 0; i < 6; i++)
        add_node (s, names[i], 2, 0);
    struct sched_fabric_group g[] = {{0, 2, 0}, {2, 2, 0}, {4, 2, 0}};
    struct sched_fabric f = {6, names, 3, g};
    assert_int_equal (sched_snapshot_set_fabric (s, &f), 0);
    return s;
}

/* One job of request R (SEQ, group GROUP) through a pass: its decision's
 * kind, the allocation in *A when it started, the reason in WHY. */
static enum sched_decision_kind one_job (struct sched_snapshot *s, int64_t seq, int count,
                                         int ncpus, enum resreq_arrangement arr, const char *group,
                                         struct sched_alloc **a, char *why, size_t len)
{
    struct resreq_chunk c = {count, ncpus, 1, 0, 0, "", "", 0};
    struct resreq r = {.nchunks = 1, .chunks = &c, .arrangement = arr, .switches_wait = -1};
    snprintf (r.pgroup, sizeof (r.pgroup), "%s", group);
    struct sched_queue *q = sched_queue_create();
    struct sched_job j = {seq, 0, 0, false, &r, 0};
    assert_int_equal (sched_queue_add (q, &j), 0);
    struct sched_result *res = run_pass (s, q, 0);
    assert_int_equal (sched_result_count (res), sched_result_get (res, 0) ? 1 : 0);
    const struct sched_decision *d = sched_result_get (res, 0);
    enum sched_decision_kind kind = d ? d->kind : SCHED_WAIT;
    snprintf (why, len, "%s", d ? d->reason : "");
    *a = d && d->kind == SCHED_START ? sched_result_take_alloc (res, 0) : NULL;
    sched_result_destroy (res);
    sched_queue_destroy (q);
    return kind;
}

static void free_alloc (struct sched_snapshot *s, struct sched_alloc *a)
{
    assert_int_equal (sched_snapshot_release (s, a), 0);
    sched_alloc_destroy (a);
}

/* One pass over one job of two chunks (1 x 2 cores each) asking for
 * labels l1 and l2, arranged as arr. */
static enum sched_decision_kind two_chunks (struct sched_snapshot *s, int64_t seq, const char *l1,
                                            const char *l2, enum resreq_arrangement arr,
                                            struct sched_alloc **a)
{
    struct resreq_chunk c[2] = {{1, 2, 1, 0, 0, "", "", 0}, {1, 2, 1, 0, 0, "", "", 0}};
    snprintf (c[0].labels, sizeof (c[0].labels), "%s", l1);
    snprintf (c[1].labels, sizeof (c[1].labels), "%s", l2);
    struct resreq r = {.nchunks = 2, .chunks = c, .arrangement = arr, .switches_wait = -1};
    struct sched_queue *q = sched_queue_create();
    struct sched_job j = {seq, 0, 0, false, &r, 0};
    assert_int_equal (sched_queue_add (q, &j), 0);
    struct sched_result *res = run_pass (s, q, 0);
    const struct sched_decision *d = sched_result_get (res, 0);
    enum sched_decision_kind kind = d ? d->kind : SCHED_WAIT;
    *a = d && d->kind == SCHED_START ? sched_result_take_alloc (res, 0) : NULL;
    sched_result_destroy (res);
    sched_queue_destroy (q);
    return kind;
}

/* Whether node name is one of allocation a's nodes. */
static bool alloc_has (const struct sched_alloc *a, const char *name)
{
    for (int i = 0; i < sched_alloc_nnodes (a); i++)
        if (strcmp (sched_alloc_node (a, i)->name, name) == 0)
            return true;
    return false;
}

/* Chunks asking for different labels each go on nodes having their own:
 * not both on the first node with room (which has neither), not both on
 * one labelled node; place=pack needs one node with every chunk's. */
static void chunks_with_different_labels (void **state)
{
    (void)state;
    struct sched_snapshot *s = sched_snapshot_create();
    add_node (s, "n1", 4, 0);
    add_node (s, "n2", 4, 0);
    add_node (s, "n3", 4, 0);
    add_node (s, "n4", 4, 0);
    assert_int_equal (sched_snapshot_set_labels (s, "n2", "gpu_type=a100"), 0);
    assert_int_equal (sched_snapshot_set_labels (s, "n3", "gpu_type=h100"), 0);
    assert_int_equal (sched_snapshot_set_labels (s, "n4", "gpu_type=a100,ib"), 0);
    struct sched_alloc *a;
    for (int arr = RESREQ_FREE; arr <= RESREQ_SCATTER; arr += 2) { /* free, scatter */
        assert_int_equal (two_chunks (s, 1, "gpu_type=a100", "gpu_type=h100", arr, &a),
                          SCHED_START);
        assert_int_equal (sched_alloc_nnodes (a), 2);
        assert_true (alloc_has (a, "n3"));
        assert_true (alloc_has (a, "n2") || alloc_has (a, "n4"));
        free_alloc (s, a);
    }
    /* the h100 chunk first in the request: the same */
    assert_int_equal (two_chunks (s, 2, "gpu_type=h100", "gpu_type=a100", RESREQ_FREE, &a),
                      SCHED_START);
    assert_true (alloc_has (a, "n3"));
    assert_false (alloc_has (a, "n1"));
    free_alloc (s, a);
    /* an unlabelled chunk may go anywhere, the labelled one only on n3 */
    assert_int_equal (two_chunks (s, 3, "", "gpu_type=h100", RESREQ_PACK, &a), SCHED_START);
    assert_int_equal (sched_alloc_nnodes (a), 1);
    assert_string_equal (sched_alloc_node (a, 0)->name, "n3");
    free_alloc (s, a);
    /* pack: the one node must have both chunks' labels */
    assert_int_equal (two_chunks (s, 4, "gpu_type=a100", "ib", RESREQ_PACK, &a), SCHED_START);
    assert_int_equal (sched_alloc_nnodes (a), 1);
    assert_string_equal (sched_alloc_node (a, 0)->name, "n4");
    free_alloc (s, a);
    assert_int_not_equal (two_chunks (s, 5, "gpu_type=a100", "gpu_type=h100", RESREQ_PACK, &a),
                          SCHED_START);
    assert_null (a);
    sched_snapshot_destroy (s);
}

/* The three strategies on a small tree, decision by decision. */
static void groups_place_as_their_strategy_says (void **state)
{
    (void)state;
    struct sched_snapshot *s = three_leaves();
    char why[200];
    struct sched_alloc *a1, *a2, *a3, *busy;
    assert_int_equal (sched_snapshot_set_pgroup (s, "sp", SCHED_PG_SPREAD, 0), 0);
    assert_int_equal (sched_snapshot_set_pgroup (s, "cl", SCHED_PG_CLUSTER, 0), 0);
    assert_int_equal (sched_snapshot_set_pgroup (s, "pa", SCHED_PG_PARTITION, 2), 0);
    assert_int_equal (sched_snapshot_set_pgroup (s, "sp", SCHED_PG_SPREAD, 99), 0); /* redefine */
    assert_int_equal (sched_snapshot_set_pgroup (s, "x", SCHED_PG_PARTITION, 0), -1);
    assert_int_equal (errno, EINVAL);
    assert_int_equal (sched_snapshot_set_pgroup (s, "", SCHED_PG_SPREAD, 0), -1);
    assert_int_equal (sched_snapshot_remove_pgroup (s, "nosuch"), -1);
    assert_int_equal (errno, ENOENT);

    /* spread: a 2-node job takes two leaves, not the one leaf the plain
     * engine would give it; the next 1-node job the third leaf; then no
     * leaf is free of the group: it waits, saying why */
    assert_int_equal (one_job (s, 1, 2, 2, RESREQ_SCATTER, "sp", &a1, why, sizeof (why)),
                      SCHED_START);
    assert_int_equal (sched_alloc_nnodes (a1), 2);
    assert_string_equal (sched_alloc_node (a1, 0)->name, "a0");
    assert_string_equal (sched_alloc_node (a1, 1)->name, "b0");
    assert_int_equal (one_job (s, 2, 1, 1, RESREQ_FREE, "sp", &a2, why, sizeof (why)), SCHED_START);
    assert_string_equal (sched_alloc_node (a2, 0)->name, "c0");
    assert_int_equal (one_job (s, 3, 1, 1, RESREQ_FREE, "sp", &a3, why, sizeof (why)), SCHED_WAIT);
    assert_string_equal (why, "spread: every leaf switch with room already holds a node of "
                              "placement group sp");
    assert_int_equal (sched_snapshot_remove_pgroup (s, "sp"), -1);
    assert_int_equal (errno, EBUSY);
    /* four nodes can never be under three different leaves */
    assert_int_equal (one_job (s, 4, 4, 1, RESREQ_SCATTER, "sp", &a3, why, sizeof (why)),
                      SCHED_NEVER);
    assert_string_equal (why, "spread: the job needs more nodes than there are leaf switches "
                              "(placement group sp: one node per leaf switch)");
    free_alloc (s, a1);
    free_alloc (s, a2);
    assert_int_equal (sched_snapshot_remove_pgroup (s, "sp"), 0);

    /* cluster: the first job goes where the plain engine puts it (a0);
     * with a0 taken by another job the plain engine would put the second
     * on b (an idle leaf, best fit), the group keeps it on a1 */
    assert_int_equal (one_job (s, 5, 1, 1, RESREQ_FREE, "cl", &a1, why, sizeof (why)), SCHED_START);
    assert_string_equal (sched_alloc_node (a1, 0)->name, "a0");
    assert_int_equal (one_job (s, 6, 1, 1, RESREQ_FREE, "", &busy, why, sizeof (why)), SCHED_START);
    assert_string_equal (sched_alloc_node (busy, 0)->name, "a0");
    assert_int_equal (one_job (s, 7, 1, 2, RESREQ_FREE, "cl", &a2, why, sizeof (why)), SCHED_START);
    assert_string_equal (sched_alloc_node (a2, 0)->name, "a1");
    assert_string_equal (why, "cluster: under the leaf switch holding placement group cl's jobs");
    /* its leaf full: the lowest switch above (the root here): anywhere */
    assert_int_equal (one_job (s, 8, 1, 2, RESREQ_FREE, "cl", &a3, why, sizeof (why)), SCHED_START);
    assert_string_equal (sched_alloc_node (a3, 0)->name, "b0");
    free_alloc (s, a1);
    free_alloc (s, a2);
    free_alloc (s, a3);
    free_alloc (s, busy);

    /* partition: 2 partitions; jobs alternate between them, never share a
     * leaf, and a job stays within its partition's leaves */
    assert_int_equal (one_job (s, 9, 1, 2, RESREQ_FREE, "pa", &a1, why, sizeof (why)), SCHED_START);
    assert_int_equal (sched_alloc_partition (a1), 1);
    assert_string_equal (why, "partition 1 of placement group pa");
    assert_string_equal (sched_alloc_node (a1, 0)->name, "a0");
    assert_int_equal (one_job (s, 10, 1, 2, RESREQ_FREE, "pa", &a2, why, sizeof (why)),
                      SCHED_START);
    assert_int_equal (sched_alloc_partition (a2), 2);
    assert_string_equal (sched_alloc_node (a2, 0)->name, "b0"); /* not a1: partition 1's leaf */
    assert_int_equal (one_job (s, 11, 1, 2, RESREQ_FREE, "pa", &a3, why, sizeof (why)),
                      SCHED_START);
    assert_int_equal (sched_alloc_partition (a3), 1); /* both have one node: the lowest */
    assert_string_equal (sched_alloc_node (a3, 0)->name, "a1");
    int jobs, part;
    assert_int_equal (sched_snapshot_pgroup_usage (s, "pa", "b0", &jobs, &part), 0);
    assert_int_equal (jobs, 1);
    assert_int_equal (part, 2);
    /* a restart: a fresh snapshot claims the allocations and knows the
     * partitions again: the next job of partition 2 (fewest nodes) goes
     * to b1, not to c */
    struct sched_snapshot *s2 = three_leaves();
    assert_int_equal (sched_snapshot_copy_pgroups (s2, s), 0);
    assert_int_equal (sched_snapshot_claim (s2, a1), 0);
    assert_int_equal (sched_snapshot_claim (s2, a2), 0);
    assert_int_equal (sched_snapshot_claim (s2, a3), 0);
    assert_int_equal (sched_snapshot_copy_pgroups (s2, s), -1);
    assert_int_equal (errno, EBUSY);
    struct sched_alloc *a4;
    assert_int_equal (one_job (s2, 12, 1, 2, RESREQ_FREE, "pa", &a4, why, sizeof (why)),
                      SCHED_START);
    assert_int_equal (sched_alloc_partition (a4), 2);
    assert_string_equal (sched_alloc_node (a4, 0)->name, "b1");
    free_alloc (s2, a4);
    sched_snapshot_destroy (s2);
    free_alloc (s, a1);
    free_alloc (s, a2);
    free_alloc (s, a3);
    assert_int_equal (sched_snapshot_verify (s), 0);
    sched_snapshot_destroy (s);
}

/* Scatter best fit: six one-core chunks over two leaves take the nodes
 * with the least left free, so a whole node stays whole (the Slurm
 * comparison's case: leaf a's nodes have 1, 1 and 4 cores free, leaf b's
 * four 3 each; first fit by leaf would use a2 and leave b3). */
static void scatter_keeps_whole_nodes (void **state)
{
    (void)state;
    struct sched_snapshot *s = sched_snapshot_create();
    const char *names[] = {"a0", "a1", "a2", "b0", "b1", "b2", "b3"};
    for (int i = 0; i < 7; i++)
        add_node (s, names[i], 4, 0);
    struct sched_fabric_group g[] = {{0, 3, 0}, {3, 4, 0}};
    struct sched_fabric f = {7, names, 2, g};
    assert_int_equal (sched_snapshot_set_fabric (s, &f), 0);
    char why[200];
    struct sched_alloc *busy[6], *a;
    const char *hosts[6] = {"a0", "a1", "b0", "b1", "b2", "b3"};
    for (int k = 0; k < 6; k++) {
        struct resreq_chunk c = {1, k < 2 ? 3 : 1, 1, 0, 0, "", "", 0};
        snprintf (c.host, sizeof (c.host), "%s", hosts[k]);
        struct resreq r = {.nchunks = 1, .chunks = &c, .switches_wait = -1};
        struct sched_queue *q = sched_queue_create();
        struct sched_job j = {100 + k, 0, 0, false, &r, 0};
        assert_int_equal (sched_queue_add (q, &j), 0);
        struct sched_result *res = run_pass (s, q, 0);
        busy[k] = sched_result_take_alloc (res, 0);
        assert_non_null (busy[k]);
        sched_result_destroy (res);
        sched_queue_destroy (q);
    }
    assert_int_equal (one_job (s, 1, 6, 1, RESREQ_SCATTER, "", &a, why, sizeof (why)), SCHED_START);
    assert_int_equal (sched_alloc_nnodes (a), 6);
    for (int k = 0; k < sched_alloc_nnodes (a); k++)
        assert_string_not_equal (sched_alloc_node (a, k)->name, "a2");
    free_alloc (s, a);
    for (int k = 0; k < 6; k++)
        free_alloc (s, busy[k]);
    sched_snapshot_destroy (s);
}

/* Place 6 x 2 cores (free) with P under the horizon set on it, and with a
 * fresh placement: both must choose the same nodes.  The leaf's letter
 * (every node under one leaf), '+' for several leaves, '?' when it did
 * not fit.  Nothing stays
 * claimed; *NODES gets the node names, comma separated. */
static char place_six (struct sched_snapshot *s, struct placement *p, const int64_t *from,
                       int64_t until, char *nodes, size_t len)
{
    struct resreq_chunk c = {6, 2, 1, 0, 0, "", "", 0};
    struct resreq r = {.nchunks = 1, .chunks = &c, .switches_wait = -1};
    struct sched_alloc *a = NULL;
    char again[200] = "";
    nodes[0] = '\0';
    for (int k = 0; k < 2; k++) {
        /* first P, which has seen earlier jobs; then a new one */
        struct placement *q = k == 0 ? p : placement_create (s);
        assert_non_null (q);
        placement_set_horizon (q, from, until);
        char *out = k == 0 ? nodes : again;
        size_t outlen = k == 0 ? len : sizeof (again);
        if (placement_place (q, &placement_free_now, 1, &r, NULL, &a) < 0) {
            assert_int_equal (errno, ENOSPC);
            snprintf (out, outlen, "none");
        } else {
            for (int i = 0; i < sched_alloc_nnodes (a); i++)
                snprintf (out + strlen (out), outlen - strlen (out), "%s%s", i ? "," : "",
                          sched_alloc_node (a, i)->name);
            free_alloc (s, a);
        }
        if (k == 1)
            placement_destroy (q);
    }
    assert_string_equal (nodes, again);
    char leaf = nodes[0] == 'n' ? '?' : nodes[0];
    for (const char *n = nodes; leaf != '?' && (n = strchr (n, ',')); n++)
        leaf = n[1] == leaf ? leaf : '+';
    return leaf;
}

/* The fabric step keeps each leaf's free-core counts for the placement's
 * whole life (placement.c): every change between two jobs (an allocation
 * claimed or released outside it, a node made unusable and usable
 * again, a horizon) must show in its next choice, exactly as a new
 * placement chooses.  Three leaves of four 4-core nodes; 6 x 2 cores
 * take the leaf with the fewest units over 6 (each node holds 2), the
 * first on ties. */
static void leaf_counts_follow_the_snapshot (void **state)
{
    (void)state;
    struct sched_snapshot *s = sched_snapshot_create();
    const char *names[] = {"a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3", "c0", "c1", "c2", "c3"};
    for (int i = 0; i < 12; i++)
        add_node (s, names[i], 4, 0);
    struct sched_fabric_group g[] = {{0, 4, 0}, {4, 4, 0}, {8, 4, 0}};
    struct sched_fabric f = {12, names, 3, g};
    assert_int_equal (sched_snapshot_set_fabric (s, &f), 0);
    struct placement *p = placement_create (s);
    assert_non_null (p);
    char nodes[200];
    assert_int_equal (place_six (s, p, NULL, 0, nodes, sizeof (nodes)), 'a');

    /* two cores of b0 and b1 taken from outside: b holds exactly 6 */
    int cores[2] = {0, 1};
    struct sched_alloc *x = sched_alloc_create (50);
    for (int i = 0; i < 2; i++) {
        struct rset_node e = {
            .name = i ? "b1" : "b0", .ncores = 2, .cores = cores, .npus = 2, .pus = cores};
        assert_int_equal (sched_alloc_add (x, &e), 0);
    }
    assert_int_equal (sched_snapshot_claim (s, x), 0);
    assert_int_equal (place_six (s, p, NULL, 0, nodes, sizeof (nodes)), 'b');
    free_alloc (s, x); /* released: back to the first leaf */
    assert_int_equal (place_six (s, p, NULL, 0, nodes, sizeof (nodes)), 'a');

    /* c0 unusable: c holds exactly 6; usable again: a */
    assert_int_equal (sched_snapshot_set_usable (s, "c0", false), 0);
    assert_int_equal (place_six (s, p, NULL, 0, nodes, sizeof (nodes)), 'c');
    assert_string_equal (nodes, "c1,c2,c3");
    assert_int_equal (sched_snapshot_set_usable (s, "c0", true), 0);
    assert_int_equal (place_six (s, p, NULL, 0, nodes, sizeof (nodes)), 'a');

    /* labels stamp the node too; a job asking for none is unaffected */
    assert_int_equal (sched_snapshot_set_labels (s, "a0", "fast"), 0);
    assert_int_equal (place_six (s, p, NULL, 0, nodes, sizeof (nodes)), 'a');

    /* b3 reserved from t=100: a job ending at 200 may not use it, so b
     * holds exactly 6; one ending at 50 may */
    int64_t from[12];
    for (int i = 0; i < 12; i++)
        from[i] = INT64_MAX;
    from[7] = 100;
    assert_int_equal (place_six (s, p, from, 200, nodes, sizeof (nodes)), 'b');
    assert_string_equal (nodes, "b0,b1,b2");
    assert_int_equal (place_six (s, p, from, 50, nodes, sizeof (nodes)), 'a');

    /* every node half taken: no leaf holds 6, two do; a third core of
     * every node taken: 6 fit nowhere */
    struct sched_alloc *half = sched_alloc_create (51), *third = sched_alloc_create (52);
    int core2 = 2;
    for (int i = 0; i < 12; i++) {
        struct rset_node e = {
            .name = names[i], .ncores = 2, .cores = cores, .npus = 2, .pus = cores};
        struct rset_node e2 = {
            .name = names[i], .ncores = 1, .cores = &core2, .npus = 1, .pus = &core2};
        assert_int_equal (sched_alloc_add (half, &e), 0);
        assert_int_equal (sched_alloc_add (third, &e2), 0);
    }
    assert_int_equal (sched_snapshot_claim (s, half), 0);
    assert_int_equal (place_six (s, p, NULL, 0, nodes, sizeof (nodes)), '+');
    assert_string_equal (nodes, "a0,a1,a2,a3,b0,b1");
    assert_int_equal (sched_snapshot_claim (s, third), 0);
    assert_int_equal (place_six (s, p, NULL, 0, nodes, sizeof (nodes)), '?');
    free_alloc (s, third);
    free_alloc (s, half);
    assert_int_equal (place_six (s, p, NULL, 0, nodes, sizeof (nodes)), 'a');
    assert_int_equal (sched_snapshot_verify (s), 0);
    placement_destroy (p);
    sched_snapshot_destroy (s);
}

/* Without a fabric the node is the failure domain. */
static void groups_without_a_fabric (void **state)
{
    (void)state;
    struct sched_snapshot *s = sched_snapshot_create();
    add_node (s, "n1", 4, 0);
    add_node (s, "n2", 4, 0);
    assert_int_equal (sched_snapshot_set_pgroup (s, "sp", SCHED_PG_SPREAD, 0), 0);
    char why[200];
    struct sched_alloc *a1, *a2, *a3;
    assert_int_equal (one_job (s, 1, 1, 1, RESREQ_FREE, "sp", &a1, why, sizeof (why)), SCHED_START);
    assert_int_equal (one_job (s, 2, 1, 1, RESREQ_FREE, "sp", &a2, why, sizeof (why)), SCHED_START);
    assert_string_equal (sched_alloc_node (a1, 0)->name, "n1");
    assert_string_equal (sched_alloc_node (a2, 0)->name, "n2");
    assert_int_equal (one_job (s, 3, 1, 1, RESREQ_FREE, "sp", &a3, why, sizeof (why)), SCHED_WAIT);
    assert_string_equal (why, "spread: every node with room already holds a node of placement "
                              "group sp");
    free_alloc (s, a1);
    free_alloc (s, a2);
    sched_snapshot_destroy (s);
}

/* snap_next_fit (the group tree's "first node from I that may hold
 * this") against a scan of every node, on random partly used clusters
 * of odd sizes.  The tree keeps each subtree's best node componentwise,
 * so a subtree can look as if it held a chunk of cores and GPUs that no
 * node under it holds (one node with the cores free, its neighbour with
 * the GPUs): the search must go on past it, to the same node the scan
 * finds. */
static void next_fit_matches_a_scan (void **state)
{
    (void)state;
    for (int round = 0; round < 40; round++) {
        struct sched_snapshot *s = sched_snapshot_create();
        assert_non_null (s);
        int n = 1 + rnd (37);
        char names[40][8];
        for (int i = 0; i < n; i++) {
            snprintf (names[i], sizeof (names[i]), "m%02d", i);
            add_node (s, names[i], 4, 2);
        }
        struct sched_alloc *a = sched_alloc_create (7);
        assert_non_null (a);
        int ids[4] = {0, 1, 2, 3};
        for (int i = 0; i < n; i++) {
            struct rset_node e = {.name = names[i],
                                  .ncores = rnd (5),
                                  .cores = ids,
                                  .npus = 0,
                                  .pus = ids,
                                  .ngpus = rnd (3),
                                  .gpus = ids};
            e.npus = e.ncores;
            if (e.ncores + e.ngpus > 0)
                assert_int_equal (sched_alloc_add (a, &e), 0);
        }
        if (sched_alloc_nnodes (a) > 0)
            assert_int_equal (sched_snapshot_claim (s, a), 0);
        if (rnd (2))
            assert_int_equal (sched_snapshot_set_usable (s, names[rnd (n)], false), 0);
        for (int c = 0; c <= 4; c++) {
            for (int g = 0; g <= 2; g++) {
                struct snap_cap need = {c, g, 0};
                for (int from = 0; from <= n; from++) {
                    int want = from;
                    for (; want < n; want++) {
                        struct snap_cap have = snap_node_cap (s->nodes[want]);
                        if (have.cores >= need.cores && have.gpus >= need.gpus)
                            break;
                    }
                    assert_int_equal (snap_next_fit (s, from, &need), want);
                }
            }
        }
        if (sched_alloc_nnodes (a) > 0)
            assert_int_equal (sched_snapshot_release (s, a), 0);
        sched_alloc_destroy (a);
        sched_snapshot_destroy (s);
    }
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (random_trees_match_exhaustive_search),
        cmocka_unit_test (next_fit_matches_a_scan),
        cmocka_unit_test (mixed_shapes_stay_valid),
        cmocka_unit_test (fabric_api_checks_and_orders),
        cmocka_unit_test (switches_wait_then_best_available),
        cmocka_unit_test (random_groups_keep_their_rules),
        cmocka_unit_test (groups_place_as_their_strategy_says),
        cmocka_unit_test (groups_without_a_fabric),
        cmocka_unit_test (chunks_with_different_labels),
        cmocka_unit_test (scatter_keeps_whole_nodes),
        cmocka_unit_test (leaf_counts_follow_the_snapshot),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
