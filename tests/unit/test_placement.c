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
    struct sched_limits lim = {0, -1};
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
        struct resreq_chunk c = {1, used, 1, rnd (2) && m->ngpus ? 1 : 0, 0, ""};
        snprintf (c.host, sizeof (c.host), "%s", m->names[i]);
        struct resreq r = {.nchunks = 1, .chunks = &c};
        struct sched_job j = {seq++, 0, 0, false, &r};
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

    struct resreq_chunk c = {1 + rnd (m.nnodes), 1 + rnd (m.ncores), 1, 0, 0, ""};
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
    struct sched_job j = {1, 0, 0, false, &r};
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
        struct resreq_chunk c[2] = {{1 + rnd (4), 1 + rnd (m.ncores), 1, 0, 0, ""},
                                    {1 + rnd (4), 1, 1, 0, 0, ""}};
        struct resreq r = {.nchunks = 2, .chunks = c};
        r.arrangement = rnd (2) ? RESREQ_FREE : RESREQ_SCATTER;
        r.sharing = rnd (3) == 0 ? RESREQ_EXCL : RESREQ_SHARED;
        struct sched_queue *q = sched_queue_create();
        struct sched_job j = {1, 0, 0, false, &r};
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
    struct resreq_chunk ch = {2, 2, 1, 0, 0, ""};
    struct resreq r = {.nchunks = 1, .chunks = &ch, .arrangement = RESREQ_SCATTER};
    struct sched_queue *q = sched_queue_create();
    struct sched_job j = {1, 0, 0, false, &r};
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
    struct resreq_chunk busy[2] = {{1, 1, 1, 0, 0, "a1"}, {1, 1, 1, 0, 0, "b1"}};
    struct resreq rb = {.nchunks = 2, .chunks = busy};
    struct sched_queue *q = sched_queue_create();
    struct sched_job jb = {9, 0, 0, false, &rb};
    assert_int_equal (sched_queue_add (q, &jb), 0);
    struct sched_result *res = run_pass (s, q, 0);
    struct sched_alloc *held = sched_result_take_alloc (res, 0);
    assert_non_null (held);
    sched_result_destroy (res);

    struct resreq_chunk c = {4, 1, 1, 0, 0, ""};
    struct resreq r = {.nchunks = 1, .chunks = &c, .max_switches = 1, .switches_wait = 60};
    struct sched_job j = {1, 0, 100, false, &r};
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

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (random_trees_match_exhaustive_search),
        cmocka_unit_test (mixed_shapes_stay_valid),
        cmocka_unit_test (fabric_api_checks_and_orders),
        cmocka_unit_test (switches_wait_then_best_available),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
