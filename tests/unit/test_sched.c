/* Unit tests for scheduler/core: snapshot, node allocator, queue and pass.
 *
 * Nodes are synthetic: NNUMA domains of CPN cores each (core OS index i has
 * PUs i and i + ncores), GPG GPUs per domain, each local to its domain's
 * cores.
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
#include "scheduler/core/pass.h"
#include "scheduler/core/queue.h"
#include "scheduler/core/snapshot.h"

#define GiB  (1024ull * 1024 * 1024)
#define MAXC 256

/* ---- building blocks ---- */

static void add_node (struct sched_snapshot *s, const char *name, int nnuma, int cpn, int gpg,
                      uint64_t mem)
{
    int ncores = nnuma * cpn, ngpus = nnuma * gpg;
    struct sched_core_desc cores[MAXC];
    struct sched_gpu_desc gpus[16];
    int pus[MAXC][2], local[16][MAXC];
    for (int i = 0; i < ncores; i++) {
        pus[i][0] = i;
        pus[i][1] = i + ncores;
        cores[i] = (struct sched_core_desc){i, i / cpn, 2, pus[i]};
    }
    for (int g = 0; g < ngpus; g++) {
        int d = g / gpg;
        for (int k = 0; k < cpn; k++)
            local[g][k] = d * cpn + k;
        gpus[g] = (struct sched_gpu_desc){g, d, cpn, local[g], 0};
    }
    struct sched_node_desc desc = {name, true, mem, ncores, cores, ngpus, gpus};
    assert_int_equal (sched_snapshot_add_node (s, &desc), 0);
}

/* A cluster of N identical nodes n0..n(N-1). */
static struct sched_snapshot *cluster (int n, int nnuma, int cpn, int gpg)
{
    struct sched_snapshot *s = sched_snapshot_create();
    assert_non_null (s);
    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf (name, sizeof (name), "n%d", i);
        add_node (s, name, nnuma, cpn, gpg, 64 * GiB);
    }
    return s;
}

/* A one-chunk-kind request: COUNT x {ncpus, ngpus, mem}. */
struct req {
    struct resreq r;
    struct resreq_chunk c[2];
};

static void mkreq (struct req *q, int count, int ncpus, int ngpus, uint64_t mem,
                   enum resreq_arrangement arr, enum resreq_sharing sh)
{
    memset (q, 0, sizeof (*q));
    q->c[0] = (struct resreq_chunk){count, ncpus, 1, ngpus, mem, "", "", 0};
    q->r = (struct resreq){.nchunks = 1, .chunks = q->c, .arrangement = arr, .sharing = sh};
}

static void submit (struct sched_queue *q, int64_t seq, int prio, int64_t t, const struct req *rq)
{
    struct sched_job j = {seq, prio, t, false, &rq->r, 0};
    assert_int_equal (sched_queue_add (q, &j), 0);
}

/* One EASY pass (the default policy). */
static struct sched_result *pass (struct sched_snapshot *s, struct sched_queue *q, int64_t now,
                                  int max_jobs)
{
    struct sched_limits lim = {.max_jobs = max_jobs};
    struct sched_result *r = sched_pass (s, q, now, &lim);
    assert_non_null (r);
    assert_int_equal (sched_snapshot_verify (s), 0);
    return r;
}

/* Decision for SEQ, or NULL. */
static const struct sched_decision *find (const struct sched_result *r, int64_t seq)
{
    for (int i = 0; i < sched_result_count (r); i++) {
        if (sched_result_get (r, i)->seq == seq)
            return sched_result_get (r, i);
    }
    return NULL;
}

static const struct sched_alloc *started (const struct sched_result *r, int64_t seq)
{
    const struct sched_decision *d = find (r, seq);
    return d && d->kind == SCHED_START ? d->alloc : NULL;
}

/* How many jobs the pass started (every other job considered has a
 * WAIT or NEVER decision). */
static int nstarted (const struct sched_result *r)
{
    int n = 0;
    for (int i = 0; i < sched_result_count (r); i++)
        n += sched_result_get (r, i)->kind == SCHED_START;
    return n;
}

/* ---- snapshot ---- */

static void snapshot_builds_and_refuses_bad_nodes (void **state)
{
    struct sched_snapshot *s = cluster (1, 2, 4, 1);
    struct sched_node_usage u;
    assert_int_equal (sched_snapshot_node_usage (s, "n0", &u), 0);
    assert_int_equal (u.ncores, 8);
    assert_int_equal (u.ngpus, 2);
    assert_int_equal (u.cores_used, 0);
    assert_int_equal (u.exclusive_seq, -1);

    int pus[1] = {0}, bad_local[1] = {7};
    struct sched_core_desc cores[2] = {{0, 0, 1, pus}, {0, 0, 1, pus}};
    struct sched_node_desc d = {"x", true, GiB, 2, cores, 0, NULL};
    assert_int_equal (sched_snapshot_add_node (s, &d), -1); /* duplicate core */
    assert_int_equal (errno, EINVAL);
    struct sched_gpu_desc g = {0, 0, 1, bad_local, 0};
    d = (struct sched_node_desc){"x", true, GiB, 1, cores, 1, &g};
    assert_int_equal (sched_snapshot_add_node (s, &d), -1); /* unknown local core */
    assert_int_equal (errno, EINVAL);
    d = (struct sched_node_desc){"n0", true, GiB, 1, cores, 0, NULL};
    assert_int_equal (sched_snapshot_add_node (s, &d), -1);
    assert_int_equal (errno, EEXIST);
    assert_int_equal (sched_snapshot_nnodes (s), 1);
    assert_int_equal (sched_snapshot_set_usable (s, "nope", false), -1);
    assert_int_equal (errno, ENOENT);
    assert_int_equal (sched_snapshot_verify (s), 0);
    sched_snapshot_destroy (s);
    errno = 42;
    sched_snapshot_destroy (NULL);
    sched_queue_destroy (NULL);
    sched_result_destroy (NULL);
    sched_alloc_destroy (NULL);
    assert_int_equal (errno, 42);
}

/* A stored allocation is claimed on restart; a conflicting one is refused
 * and changes nothing. */
static void claim_restores_and_refuses_conflicts (void **state)
{
    struct sched_snapshot *s = cluster (2, 1, 4, 0);
    int c01[2] = {0, 1}, c12[2] = {1, 2};
    struct sched_alloc *a = sched_alloc_create (7), *b = sched_alloc_create (8);
    struct rset_node pa = {"n0", 2, c01, 0, NULL, 0, NULL, GiB, 2};
    struct rset_node pb1 = {"n1", 2, c01, 0, NULL, 0, NULL, 0, 1};
    struct rset_node pb0 = {"n0", 2, c12, 0, NULL, 0, NULL, 0, 1};
    assert_int_equal (sched_alloc_add (a, &pa), 0);
    assert_int_equal (sched_alloc_add (b, &pb1), 0);
    assert_int_equal (sched_alloc_add (b, &pb0), 0); /* core 1 of n0 clashes */
    assert_int_equal (sched_snapshot_claim (s, a), 0);
    assert_int_equal (sched_snapshot_claim (s, b), -1);
    assert_int_equal (errno, EBUSY);
    struct sched_node_usage u;
    sched_snapshot_node_usage (s, "n1", &u);
    assert_int_equal (u.cores_used, 0); /* n1's part was undone */
    sched_snapshot_node_usage (s, "n0", &u);
    assert_int_equal (u.cores_used, 2);
    assert_int_equal (u.mem_used, GiB);
    assert_int_equal (sched_snapshot_verify (s), 0);
    /* releasing what another job holds is refused */
    assert_int_equal (sched_snapshot_release (s, b), -1);
    assert_int_equal (errno, EINVAL);
    assert_int_equal (sched_snapshot_release (s, a), 0);
    assert_int_equal (sched_snapshot_release (s, a), -1); /* twice */
    assert_int_equal (sched_snapshot_claim (s, b), 0);
    assert_int_equal (sched_snapshot_verify (s), 0);
    sched_alloc_destroy (a);
    sched_alloc_destroy (b);
    sched_snapshot_destroy (s);
}

/* ---- pass ---- */

/* Many jobs on few nodes: no core is handed out twice. */
static void no_core_is_given_twice (void **state)
{
    struct sched_snapshot *s = cluster (4, 2, 8, 0);
    struct sched_queue *q = sched_queue_create();
    struct req rq[100];
    for (int i = 0; i < 100; i++) {
        mkreq (&rq[i], 1 + i % 2, 1 + i % 3, 0, 0, RESREQ_FREE, RESREQ_SHARED);
        submit (q, i + 1, 0, 0, &rq[i]);
    }
    struct sched_result *r = pass (s, q, 0, 0);
    int owner[4][16], used = 0;
    memset (owner, 0, sizeof (owner));
    for (int i = 0; i < sched_result_count (r); i++) {
        const struct sched_decision *d = sched_result_get (r, i);
        if (d->kind != SCHED_START)
            continue;
        const struct rset_node *e;
        for (int k = 0; (e = sched_alloc_node (d->alloc, k)); k++) {
            int n = e->name[1] - '0';
            for (int c = 0; c < e->ncores; c++) {
                assert_int_equal (owner[n][e->cores[c]], 0);
                owner[n][e->cores[c]] = (int)d->seq;
                used++;
            }
            assert_int_equal (e->npus, 2 * e->ncores); /* PUs come with cores */
        }
    }
    assert_int_equal (used, 64); /* the cluster is full */
    assert_int_equal (sched_queue_size (q), 100 - nstarted (r));
    sched_result_destroy (r);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

static void exclusive_jobs_get_idle_nodes_and_keep_them (void **state)
{
    struct sched_snapshot *s = cluster (2, 1, 16, 0);
    struct sched_queue *q = sched_queue_create();
    struct req a, b, c, d;
    mkreq (&a, 1, 1, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    mkreq (&b, 1, 1, 0, 0, RESREQ_FREE, RESREQ_EXCL);
    mkreq (&c, 1, 1, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    mkreq (&d, 1, 16, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    submit (q, 1, 0, 0, &a);
    submit (q, 2, 0, 0, &b);
    submit (q, 3, 0, 0, &c);
    submit (q, 4, 0, 0, &d);
    struct sched_result *r = pass (s, q, 0, 0);
    assert_string_equal (sched_alloc_node (started (r, 1), 0)->name, "n0");
    assert_string_equal (sched_alloc_node (started (r, 2), 0)->name, "n1"); /* n0 is not idle */
    assert_true (sched_alloc_exclusive (started (r, 2)));
    assert_string_equal (sched_alloc_node (started (r, 3), 0)->name, "n0");
    assert_null (started (r, 4)); /* 15 cores free on n1, but it is held */
    struct sched_node_usage u;
    sched_snapshot_node_usage (s, "n1", &u);
    assert_int_equal (u.exclusive_seq, 2);
    assert_int_equal (u.cores_used, 1);

    /* the exclusive job ends: the 16-core job now fits on n1 */
    struct sched_alloc *held = sched_result_take_alloc (r, 1);
    assert_non_null (held);
    assert_null (sched_result_take_alloc (r, 1));
    assert_int_equal (sched_snapshot_release (s, held), 0);
    sched_alloc_destroy (held);
    sched_result_destroy (r);
    r = pass (s, q, 1, 0);
    assert_string_equal (sched_alloc_node (started (r, 4), 0)->name, "n1");
    sched_result_destroy (r);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

static void pack_scatter_and_free_arrangements (void **state)
{
    struct sched_snapshot *s = cluster (4, 1, 8, 0);
    struct sched_queue *q = sched_queue_create();
    struct req pk, sc, fr, big;
    mkreq (&sc, 3, 1, 0, 0, RESREQ_SCATTER, RESREQ_SHARED);
    mkreq (&pk, 2, 3, 0, 0, RESREQ_PACK, RESREQ_SHARED);
    mkreq (&fr, 3, 4, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    mkreq (&big, 5, 1, 0, 0, RESREQ_SCATTER, RESREQ_SHARED);
    submit (q, 1, 0, 0, &sc);
    submit (q, 2, 0, 0, &pk);
    submit (q, 3, 0, 0, &fr);
    submit (q, 4, 0, 0, &big);
    struct sched_result *r = pass (s, q, 0, 0);
    const struct sched_alloc *a = started (r, 1);
    assert_int_equal (sched_alloc_nnodes (a), 3); /* one chunk per node */
    a = started (r, 2);
    assert_int_equal (sched_alloc_nnodes (a), 1); /* both chunks together */
    assert_int_equal (sched_alloc_node (a, 0)->ncores, 6);
    assert_int_equal (sched_alloc_node (a, 0)->nranks, 2);
    a = started (r, 3);
    assert_int_equal (sched_alloc_total_cores (a), 12);
    assert_int_equal (sched_alloc_nnodes (a), 2); /* fewest nodes: 8 + 4 */
    const struct sched_decision *d = find (r, 4);
    assert_non_null (d);
    assert_int_equal (d->kind, SCHED_NEVER); /* 5 chunks, 4 nodes */
    assert_non_null (strstr (d->reason, "scatter"));
    assert_true (sched_queue_contains (q, 4));
    sched_result_destroy (r);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

/* 2 NUMA domains, one GPU each: a 1-GPU job whose GPU must be GPU 1 gets
 * its cores on GPU 1's domain, though domain 0's cores are lower. */
static void gpu_jobs_get_cores_near_their_gpu (void **state)
{
    struct sched_snapshot *s = cluster (1, 2, 4, 1);
    struct sched_queue *q = sched_queue_create();
    int g0[1] = {0};
    struct sched_alloc *other = sched_alloc_create (99);
    struct rset_node p = {"n0", 0, NULL, 0, NULL, 1, g0, 0, 1};
    assert_int_equal (sched_alloc_add (other, &p), 0);
    assert_int_equal (sched_snapshot_claim (s, other), 0); /* GPU 0 busy */
    struct req g;
    mkreq (&g, 1, 2, 1, 0, RESREQ_FREE, RESREQ_SHARED);
    submit (q, 1, 0, 0, &g);
    struct sched_result *r = pass (s, q, 0, 0);
    const struct rset_node *e = sched_alloc_node (started (r, 1), 0);
    assert_int_equal (e->ngpus, 1);
    assert_int_equal (e->gpus[0], 1);
    assert_int_equal (e->ncores, 2);
    assert_true (e->cores[0] >= 4 && e->cores[1] >= 4); /* domain 1 */
    sched_result_destroy (r);
    sched_alloc_destroy (other);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

/* 2 domains x 2 GPUs: a 2-GPU job gets both GPUs from one domain, and
 * CPU-only chunks pack into one domain. */
static void gpus_and_cores_stay_within_a_domain (void **state)
{
    struct sched_snapshot *s = cluster (1, 2, 8, 2);
    struct sched_queue *q = sched_queue_create();
    struct req cpu1, gpu2, cpu6;
    mkreq (&cpu1, 1, 2, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    mkreq (&gpu2, 1, 2, 2, 0, RESREQ_FREE, RESREQ_SHARED);
    mkreq (&cpu6, 1, 6, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    submit (q, 1, 0, 0, &cpu1);
    submit (q, 2, 0, 0, &gpu2);
    submit (q, 3, 0, 0, &cpu6);
    struct sched_result *r = pass (s, q, 0, 0);
    const struct rset_node *c = sched_alloc_node (started (r, 1), 0);
    int dom = c->cores[0] / 8;
    assert_int_equal (c->cores[1] / 8, dom);
    const struct rset_node *g = sched_alloc_node (started (r, 2), 0);
    assert_int_equal (g->ngpus, 2);
    int gdom = g->gpus[0] / 2;
    assert_int_not_equal (gdom, dom); /* the domain with more free cores */
    assert_int_equal (g->gpus[1] / 2, gdom);
    assert_int_equal (g->cores[0] / 8, gdom);
    assert_int_equal (g->cores[1] / 8, gdom);
    /* 6 cores: each domain has 6 left; all must come from one of them */
    const struct rset_node *b = sched_alloc_node (started (r, 3), 0);
    for (int i = 1; i < b->ncores; i++)
        assert_int_equal (b->cores[i] / 8, b->cores[0] / 8);
    sched_result_destroy (r);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

/* CPU-only chunks leave the cores near a GPU for GPU jobs. */
static void cpu_jobs_avoid_gpu_local_cores (void **state)
{
    struct sched_snapshot *s = sched_snapshot_create();
    struct sched_core_desc cores[8];
    int pus[8], local[2] = {0, 1};
    for (int i = 0; i < 8; i++) {
        pus[i] = i;
        cores[i] = (struct sched_core_desc){i, 0, 1, &pus[i]};
    }
    struct sched_gpu_desc gpu = {0, 0, 2, local, 0};
    struct sched_node_desc d = {"n0", true, GiB, 8, cores, 1, &gpu};
    assert_int_equal (sched_snapshot_add_node (s, &d), 0);
    struct sched_queue *q = sched_queue_create();
    struct req cpu, g;
    mkreq (&cpu, 1, 2, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    mkreq (&g, 1, 2, 1, 0, RESREQ_FREE, RESREQ_SHARED);
    submit (q, 1, 0, 0, &cpu);
    submit (q, 2, 0, 0, &g);
    struct sched_result *r = pass (s, q, 0, 0);
    const struct rset_node *e = sched_alloc_node (started (r, 1), 0);
    assert_true (e->cores[0] >= 2 && e->cores[1] >= 2);
    e = sched_alloc_node (started (r, 2), 0);
    assert_true (e->cores[0] < 2 && e->cores[1] < 2);
    sched_result_destroy (r);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

static void host_constraint_picks_that_node (void **state)
{
    struct sched_snapshot *s = cluster (3, 1, 4, 0);
    struct sched_queue *q = sched_queue_create();
    struct req h, bad;
    mkreq (&h, 1, 2, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    strcpy (h.c[0].host, "n2");
    mkreq (&bad, 1, 1, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    strcpy (bad.c[0].host, "nosuch");
    submit (q, 1, 0, 0, &h);
    submit (q, 2, 0, 0, &bad);
    struct sched_result *r = pass (s, q, 0, 0);
    assert_string_equal (sched_alloc_node (started (r, 1), 0)->name, "n2");
    const struct sched_decision *d = find (r, 2);
    assert_int_equal (d->kind, SCHED_NEVER);
    assert_non_null (strstr (d->reason, "no such node"));
    sched_result_destroy (r);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

static void higher_priority_then_older_first (void **state)
{
    struct sched_snapshot *s = cluster (1, 1, 4, 0);
    struct sched_queue *q = sched_queue_create();
    struct req full;
    mkreq (&full, 1, 4, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    submit (q, 1, 0, 0, &full);
    submit (q, 2, 10, 0, &full);
    submit (q, 3, 10, 0, &full);
    struct sched_result *r = pass (s, q, 0, 0);
    assert_int_equal (nstarted (r), 1);
    assert_non_null (started (r, 2));
    struct sched_alloc *a = sched_result_take_alloc (r, 0);
    sched_snapshot_release (s, a);
    sched_alloc_destroy (a);
    sched_result_destroy (r);
    assert_int_equal (sched_queue_set_priority (q, 1, 20), 0);
    r = pass (s, q, 1, 0);
    assert_non_null (started (r, 1)); /* raised above job 3 */
    a = sched_result_take_alloc (r, 0);
    sched_snapshot_release (s, a);
    sched_alloc_destroy (a);
    sched_result_destroy (r);
    /* qorder: within one priority the rank decides, not the seq */
    submit (q, 4, 10, 0, &full);
    assert_int_equal (sched_queue_set_rank (q, 3, 4), 0);
    assert_int_equal (sched_queue_set_rank (q, 4, 3), 0);
    assert_int_equal (sched_queue_set_rank (q, 99, 1), -1);
    r = pass (s, q, 2, 0);
    assert_non_null (started (r, 4));
    sched_result_destroy (r);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

static void held_jobs_are_skipped (void **state)
{
    struct sched_snapshot *s = cluster (1, 1, 4, 0);
    struct sched_queue *q = sched_queue_create();
    struct req one;
    mkreq (&one, 1, 1, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    struct sched_job j = {1, 0, 0, true, &one.r, 0};
    assert_int_equal (sched_queue_add (q, &j), 0);
    assert_int_equal (sched_queue_add (q, &j), -1);
    assert_int_equal (errno, EEXIST);
    struct sched_result *r = pass (s, q, 0, 0);
    assert_int_equal (nstarted (r), 0);
    assert_int_equal (sched_result_considered (r), 0);
    sched_result_destroy (r);
    assert_int_equal (sched_queue_release (q, 1, 5), 0);
    r = pass (s, q, 5, 0);
    assert_non_null (started (r, 1));
    assert_false (sched_queue_contains (q, 1));
    assert_int_equal (sched_queue_hold (q, 1), -1);
    assert_int_equal (errno, ENOENT);
    sched_result_destroy (r);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

static void never_fitting_jobs_are_reported (void **state)
{
    struct sched_snapshot *s = cluster (2, 1, 16, 0);
    struct sched_queue *q = sched_queue_create();
    struct req huge, gpu, packed;
    mkreq (&huge, 1, 64, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    mkreq (&gpu, 1, 1, 1, 0, RESREQ_FREE, RESREQ_SHARED);
    mkreq (&packed, 2, 10, 0, 0, RESREQ_PACK, RESREQ_SHARED);
    submit (q, 1, 0, 0, &huge);
    submit (q, 2, 0, 0, &gpu);
    submit (q, 3, 0, 0, &packed);
    struct sched_result *r = pass (s, q, 0, 0);
    for (int seq = 1; seq <= 3; seq++) {
        assert_non_null (find (r, seq));
        assert_int_equal (find (r, seq)->kind, SCHED_NEVER);
    }
    assert_non_null (strstr (find (r, 1)->reason, "bigger than any node"));
    assert_non_null (strstr (find (r, 3)->reason, "pack"));
    assert_int_equal (sched_result_reserved_seq (r), -1); /* hopeless jobs reserve nothing */
    sched_result_destroy (r);
    char why[128];
    assert_int_equal (sched_request_check (s, &huge.r, why, sizeof (why)), 0);
    assert_non_null (strstr (why, "ncpus=64"));
    struct req ok;
    mkreq (&ok, 2, 16, 0, 0, RESREQ_SCATTER, RESREQ_EXCL);
    assert_int_equal (sched_request_check (s, &ok.r, why, sizeof (why)), 1);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

static void released_cores_are_reused (void **state)
{
    struct sched_snapshot *s = cluster (1, 1, 4, 0);
    struct sched_queue *q = sched_queue_create();
    struct req full;
    mkreq (&full, 1, 4, 0, 2 * GiB, RESREQ_FREE, RESREQ_SHARED);
    submit (q, 1, 0, 0, &full);
    submit (q, 2, 0, 0, &full);
    struct sched_result *r = pass (s, q, 0, 0);
    assert_int_equal (nstarted (r), 1);
    struct sched_alloc *a = sched_result_take_alloc (r, 0);
    sched_result_destroy (r);
    r = pass (s, q, 1, 0);
    assert_int_equal (nstarted (r), 0);
    sched_result_destroy (r);
    assert_int_equal (sched_snapshot_release (s, a), 0);
    struct sched_node_usage u;
    sched_snapshot_node_usage (s, "n0", &u);
    assert_int_equal (u.cores_used + u.njobs + (int)u.mem_used, 0);
    r = pass (s, q, 2, 0);
    const struct sched_alloc *b = started (r, 2);
    assert_non_null (b);
    assert_int_equal (sched_alloc_node (b, 0)->ncores, 4);
    assert_int_equal (sched_alloc_total_mem (b), 2 * GiB);
    sched_alloc_destroy (a);
    sched_result_destroy (r);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

static void offline_nodes_are_skipped (void **state)
{
    struct sched_snapshot *s = cluster (2, 1, 4, 0);
    struct sched_queue *q = sched_queue_create();
    struct req one, host0;
    mkreq (&one, 1, 1, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    mkreq (&host0, 1, 1, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    strcpy (host0.c[0].host, "n0");
    assert_int_equal (sched_snapshot_set_usable (s, "n0", false), 0);
    submit (q, 1, 0, 0, &one);
    submit (q, 2, 0, 0, &host0);
    struct sched_result *r = pass (s, q, 100, 0);
    assert_string_equal (sched_alloc_node (started (r, 1), 0)->name, "n1");
    assert_null (started (r, 2)); /* waits for n0: neither started nor "never" */
    assert_int_equal (sched_result_reserved_seq (r), -1); /* and holds nothing idle */
    sched_result_destroy (r);
    assert_int_equal (sched_snapshot_set_usable (s, "n0", true), 0);
    r = pass (s, q, 101, 0);
    assert_non_null (started (r, 2));
    sched_result_destroy (r);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

static void max_jobs_bounds_the_pass (void **state)
{
    struct sched_snapshot *s = cluster (1, 1, 64, 0);
    struct sched_queue *q = sched_queue_create();
    struct req one;
    mkreq (&one, 1, 1, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    for (int i = 0; i < 10; i++)
        submit (q, i + 1, 0, 0, &one);
    struct sched_result *r = pass (s, q, 0, 3);
    assert_int_equal (sched_result_considered (r), 3);
    assert_true (sched_result_truncated (r));
    assert_int_equal (nstarted (r), 3);
    assert_non_null (started (r, 3));
    assert_int_equal (sched_queue_size (q), 7);
    sched_result_destroy (r);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

/* ---- randomized consistency ---- */

struct running {
    struct sched_alloc *a;
    struct req rq;
    int64_t end;
};

/* ---- one order of nodes; group totals ---- */

/* The same jobs go to the same nodes and cores whatever order the nodes
 * were added in (agents register in any order; a restart loads them by
 * name): the dense index is name order. */
static void nodes_fill_in_name_order_whatever_the_add_order (void **state)
{
    (void)state;
    const char *orders[2][4] = {{"n0", "n1", "n2", "n3"}, {"n3", "n1", "n0", "n2"}};
    char got[2][64][32];
    uint64_t gen[2];
    for (int o = 0; o < 2; o++) {
        struct sched_snapshot *s = sched_snapshot_create();
        assert_non_null (s);
        for (int i = 0; i < 4; i++)
            add_node (s, orders[o][i], 1, 2, 0, 8 * GiB);
        gen[o] = sched_snapshot_generation (s);
        struct sched_queue *q = sched_queue_create();
        struct req one, two;
        mkreq (&one, 1, 1, 0, 0, RESREQ_FREE, RESREQ_SHARED);
        mkreq (&two, 1, 2, 0, 0, RESREQ_FREE, RESREQ_SHARED);
        for (int j = 0; j < 6; j++)
            submit (q, j + 1, 0, 0, j % 3 == 1 ? &two : &one);
        struct sched_result *r = pass (s, q, 0, 0);
        for (int j = 0; j < 6; j++) {
            const struct sched_alloc *a = started (r, j + 1);
            assert_non_null (a);
            const struct rset_node *e = sched_alloc_node (a, 0);
            snprintf (got[o][j], sizeof (got[o][j]), "%s/%d", e->name, e->cores[0]);
        }
        assert_string_equal (got[o][0], "n0/0");
        sched_result_destroy (r);
        sched_queue_destroy (q);
        sched_snapshot_destroy (s);
    }
    for (int j = 0; j < 6; j++)
        assert_string_equal (got[0][j], got[1][j]);
    /* the generation names the node set, not the order or the object */
    assert_true (gen[0] == gen[1]);
}

/* A started job's allocation carries its window: start = the pass's now,
 * end = start + walltime (no end known without a walltime). */
static void allocations_carry_start_and_expected_end (void **state)
{
    (void)state;
    struct sched_snapshot *s = cluster (1, 1, 4, 0);
    struct sched_queue *q = sched_queue_create();
    struct req timed, open;
    mkreq (&timed, 1, 1, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    timed.r.walltime = 3600;
    mkreq (&open, 1, 1, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    submit (q, 1, 0, 0, &timed);
    submit (q, 2, 0, 0, &open);
    struct sched_result *r = pass (s, q, 1000, 0);
    const struct rset *w = sched_alloc_rset (started (r, 1));
    assert_int_equal (rset_start (w), 1000);
    assert_int_equal (rset_end (w), 4600);
    w = sched_alloc_rset (started (r, 2));
    assert_int_equal (rset_start (w), 1000);
    assert_true (rset_end (w) == RSET_NO_END);
    sched_result_destroy (r);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

/* A job that no node has room for is refused from the group totals, and
 * those follow claims and releases: once a core is freed next to the one
 * left, the job starts on exactly that node. */
static void group_totals_follow_claims_and_releases (void **state)
{
    (void)state;
    struct sched_snapshot *s = cluster (5, 1, 4, 0);
    struct sched_queue *q = sched_queue_create();
    struct req three, two;
    mkreq (&three, 1, 3, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    mkreq (&two, 1, 2, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    for (int j = 0; j < 5; j++)
        submit (q, j + 1, 0, 0, &three);
    struct sched_result *fill = pass (s, q, 0, 0);
    assert_int_equal (sched_result_count (fill), 5);
    submit (q, 10, 0, 0, &two);
    struct sched_result *r = pass (s, q, 0, 0);
    assert_null (started (r, 10));
    sched_result_destroy (r);
    /* free n3's job: n3 has 4 free cores, the others 1 */
    const struct sched_alloc *on3 = NULL;
    for (int j = 0; j < 5; j++) {
        const struct sched_alloc *a = started (fill, j + 1);
        if (strcmp (sched_alloc_node (a, 0)->name, "n3") == 0)
            on3 = a;
    }
    assert_non_null (on3);
    assert_int_equal (sched_snapshot_release (s, on3), 0);
    assert_int_equal (sched_snapshot_verify (s), 0);
    r = pass (s, q, 0, 0);
    assert_non_null (started (r, 10));
    assert_string_equal (sched_alloc_node (started (r, 10), 0)->name, "n3");
    sched_result_destroy (r);
    sched_result_destroy (fill);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

static uint32_t rng = 12345;
static int rnd (int n)
{
    rng = rng * 1103515245u + 12345u;
    return (int)((rng >> 16) % (uint32_t)n);
}

static void random_request (struct req *rq)
{
    static const enum resreq_arrangement arr[] = {RESREQ_FREE, RESREQ_PACK, RESREQ_SCATTER};
    static const enum resreq_sharing sh[] = {RESREQ_SHARED, RESREQ_SHARED, RESREQ_EXCL};
    int ngpus = rnd (4) == 0 ? 1 + rnd (2) : 0;
    mkreq (rq, 1 + rnd (3), ngpus ? rnd (3) : 1 + rnd (6), ngpus, (uint64_t)rnd (3) * GiB,
           arr[rnd (3)], sh[rnd (3)]);
    if (rnd (8) == 0) {
        rq->r.nchunks = 2;
        rq->c[1] = (struct resreq_chunk){1, 1 + rnd (2), 1, 0, 0, "", "", 0};
    }
    if (rnd (10) == 0)
        snprintf (rq->c[0].host, sizeof (rq->c[0].host), "n%d", rnd (6));
}

/* What a started job got agrees with what it asked and with place=. */
static void check_alloc (const struct running *j)
{
    const struct resreq *r = &j->rq.r;
    int n = sched_alloc_nnodes (j->a);
    assert_int_equal (sched_alloc_total_cores (j->a), resreq_total_ncpus (r));
    assert_int_equal (sched_alloc_total_gpus (j->a), resreq_total_ngpus (r));
    if (r->arrangement == RESREQ_PACK)
        assert_int_equal (n, 1);
    if (r->arrangement == RESREQ_SCATTER) {
        int chunks = 0;
        for (int i = 0; i < r->nchunks; i++)
            chunks += r->chunks[i].count;
        assert_int_equal (n, chunks);
    }
    assert_int_equal (sched_alloc_exclusive (j->a), r->sharing != RESREQ_SHARED);
}

/* Across all running jobs: no core or GPU twice, exclusive nodes hold one
 * job, and the snapshot's counts equal ours. */
static void check_cluster (struct sched_snapshot *s, struct running *run, int nrun)
{
    static int core_owner[6][MAXC], gpu_owner[6][16], jobs_on[6], excl_on[6];
    memset (core_owner, 0, sizeof (core_owner));
    memset (gpu_owner, 0, sizeof (gpu_owner));
    memset (jobs_on, 0, sizeof (jobs_on));
    memset (excl_on, 0, sizeof (excl_on));
    for (int i = 0; i < nrun; i++) {
        const struct rset_node *e;
        for (int k = 0; (e = sched_alloc_node (run[i].a, k)); k++) {
            int n = e->name[1] - '0';
            jobs_on[n]++;
            excl_on[n] += sched_alloc_exclusive (run[i].a);
            for (int c = 0; c < e->ncores; c++)
                assert_int_equal (core_owner[n][e->cores[c]]++, 0);
            for (int g = 0; g < e->ngpus; g++)
                assert_int_equal (gpu_owner[n][e->gpus[g]]++, 0);
        }
    }
    /* the free pool is exactly what no allocation holds */
    struct rset *pool = sched_snapshot_free (s);
    assert_non_null (pool);
    for (int i = 0; i < rset_nnodes (pool); i++) {
        const struct rset_node *e = rset_node (pool, i);
        int n = e->name[1] - '0';
        struct sched_node_usage u;
        assert_int_equal (sched_snapshot_node_usage (s, e->name, &u), 0);
        assert_true (u.usable && u.exclusive_seq < 0);
        assert_int_equal (e->ncores, u.ncores - u.cores_used);
        assert_int_equal (e->ngpus, u.ngpus - u.gpus_used);
        assert_true (e->mem == u.mem - u.mem_used);
        assert_int_equal (e->npus, 2 * e->ncores);
        for (int c = 0; c < e->ncores; c++)
            assert_int_equal (core_owner[n][e->cores[c]], 0);
        for (int g = 0; g < e->ngpus; g++)
            assert_int_equal (gpu_owner[n][e->gpus[g]], 0);
    }
    rset_destroy (pool);
    for (int n = 0; n < 6; n++) {
        char name[8];
        struct sched_node_usage u;
        snprintf (name, sizeof (name), "n%d", n);
        assert_int_equal (sched_snapshot_node_usage (s, name, &u), 0);
        int cores = 0, gpus = 0;
        for (int c = 0; c < MAXC; c++)
            cores += core_owner[n][c];
        for (int g = 0; g < 16; g++)
            gpus += gpu_owner[n][g];
        assert_int_equal (u.cores_used, cores);
        assert_int_equal (u.gpus_used, gpus);
        assert_int_equal (u.njobs, jobs_on[n]);
        if (excl_on[n])
            assert_int_equal (jobs_on[n], 1);
    }
    assert_int_equal (sched_snapshot_verify (s), 0);
}

static void random_workload_keeps_invariants (void **state)
{
    struct sched_snapshot *s = sched_snapshot_create();
    add_node (s, "n0", 2, 4, 1, 16 * GiB);
    add_node (s, "n1", 2, 4, 1, 16 * GiB);
    add_node (s, "n2", 2, 8, 2, 64 * GiB);
    add_node (s, "n3", 1, 8, 0, 8 * GiB);
    add_node (s, "n4", 1, 8, 0, 8 * GiB);
    add_node (s, "n5", 4, 4, 0, 32 * GiB);
    struct sched_queue *q = sched_queue_create();
    static struct req pending[4000];
    static struct running run[4000];
    int nrun = 0, started_total = 0;
    int64_t seq = 0;
    for (int t = 0; t < 600; t++) {
        for (int i = 0; i < nrun; i++) { /* finish some */
            if (run[i].end <= t) {
                assert_int_equal (sched_snapshot_release (s, run[i].a), 0);
                sched_alloc_destroy (run[i].a);
                run[i--] = run[--nrun];
            }
        }
        for (int k = rnd (4); k > 0; k--) {
            random_request (&pending[seq]);
            submit (q, seq, rnd (3), t, &pending[seq]);
            seq++;
        }
        if (t % 50 == 0)
            sched_snapshot_set_usable (s, "n4", t % 100 != 0);
        struct sched_result *r = pass (s, q, t, 20);
        for (int i = 0; i < sched_result_count (r); i++) {
            const struct sched_decision *d = sched_result_get (r, i);
            if (d->kind == SCHED_NEVER) {
                assert_int_equal (sched_queue_remove (q, d->seq), 0);
                continue;
            }
            if (d->kind != SCHED_START)
                continue;
            run[nrun] =
                (struct running){sched_result_take_alloc (r, i), pending[d->seq], t + 1 + rnd (10)};
            run[nrun].rq.r.chunks = run[nrun].rq.c;
            check_alloc (&run[nrun++]);
            started_total++;
        }
        sched_result_destroy (r);
        check_cluster (s, run, nrun);
    }
    assert_true (started_total > 300);
    for (int i = 0; i < nrun; i++) {
        assert_int_equal (sched_snapshot_release (s, run[i].a), 0);
        sched_alloc_destroy (run[i].a);
    }
    check_cluster (s, run, 0);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

/* fcfs stops at the first job that does not fit; admit() refusals wait with
 * their sentence and started() hears of every start. */
static int admit_calls, started_calls;
static const char *admit_odd (void *arg, int64_t seq)
{
    (void)arg;
    admit_calls++;
    return seq % 2 ? "queue limit: user has 1 running job in workq (max 1)" : NULL;
}
static void count_start (void *arg, int64_t seq)
{
    (void)arg;
    (void)seq;
    started_calls++;
}

static void fcfs_stops_and_admit_refuses (void **state)
{
    struct sched_snapshot *s = cluster (1, 1, 4, 0);
    struct sched_queue *q = sched_queue_create();
    struct req big, small;
    mkreq (&big, 1, 8, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    mkreq (&small, 1, 1, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    submit (q, 1, 0, 0, &small);
    submit (q, 2, 0, 0, &big); /* never fits (8 > 4 cores) */
    submit (q, 3, 0, 0, &small);
    struct sched_limits lim = {.policy = SCHED_FCFS};
    struct sched_result *r = sched_pass (s, q, 10, &lim);
    assert_non_null (r);
    assert_non_null (started (r, 1));
    assert_non_null (find (r, 2));
    assert_null (started (r, 3)); /* the pass stopped at job 2 */
    sched_result_destroy (r);

    lim = (struct sched_limits){.admit = admit_odd, .started = count_start};
    assert_int_equal (sched_queue_remove (q, 2), 0);
    submit (q, 5, 0, 0, &small);
    r = sched_pass (s, q, 20, &lim);
    assert_non_null (r);
    const struct sched_decision *d3 = find (r, 3), *d5 = find (r, 5);
    assert_non_null (d3);
    assert_int_equal (d3->kind, SCHED_WAIT);
    assert_non_null (strstr (d3->reason, "queue limit"));
    assert_non_null (d5);
    assert_int_equal (d5->kind, SCHED_WAIT);
    assert_int_equal (admit_calls, 2);
    assert_int_equal (started_calls, 0);
    sched_result_destroy (r);
    submit (q, 6, 0, 0, &small);
    r = sched_pass (s, q, 30, &lim);
    assert_non_null (started (r, 6));
    assert_int_equal (started_calls, 1);
    assert_int_equal (sched_snapshot_verify (s), 0);
    sched_result_destroy (r);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
    (void)state;
}

/* The queue keeps its order between passes and only places the jobs
 * whose key changed (queue.h): that order must be the one a full sort
 * gives after any mix of adds in and out of order, priority and rank
 * changes, holds and removals (enough of them, at times, that the queue
 * compacts on its own).  A pass on a cluster with no nodes shows the
 * order: every eligible job gets a NEVER decision, in pass order, and
 * nothing starts.  The model sorts its own copy each time. */
struct qmodel {
    int64_t seq, rank;
    int prio;
    bool live, held;
};

static int cmp_qmodel (const void *a, const void *b)
{
    const struct qmodel *x = a, *y = b;
    if (x->prio != y->prio)
        return x->prio > y->prio ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

#define QM_MAX 6000
static struct qmodel qm[QM_MAX], qsorted[QM_MAX];

static void check_order (struct sched_snapshot *s, struct sched_queue *q, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (qm[i].live && !qm[i].held)
            qsorted[k++] = qm[i];
    }
    qsort (qsorted, (size_t)k, sizeof (*qsorted), cmp_qmodel);
    struct sched_limits lim = {0};
    struct sched_result *r = sched_pass (s, q, 0, &lim);
    assert_non_null (r);
    assert_int_equal (sched_result_count (r), k);
    for (int i = 0; i < k; i++) {
        const struct sched_decision *d = sched_result_get (r, i);
        assert_int_equal (d->kind, SCHED_NEVER);
        assert_int_equal (d->seq, qsorted[i].seq);
    }
    sched_result_destroy (r);
}

static void queue_order_survives_changes (void **state)
{
    (void)state;
    struct sched_snapshot *s = sched_snapshot_create();
    struct sched_queue *q = sched_queue_create();
    assert_non_null (s);
    assert_non_null (q);
    struct req rq;
    mkreq (&rq, 1, 1, 0, 0, RESREQ_FREE, RESREQ_SHARED);
    int n = 0;
    srand (7);
    for (int round = 0; round < 300; round++) {
        bool bulk = round % 50 == 49;
        for (int op = 0; op < (bulk ? 2000 : 1 + rand() % 20); op++) {
            int what = bulk ? 0 : rand() % 10, i = n > 0 ? rand() % n : 0;
            if (what < 4 || n == 0) { /* add: mostly in order, sometimes not */
                if (n == QM_MAX)
                    continue;
                int64_t seq = rand() % 4 ? 100000 + n : 1 + rand() % 99999;
                bool taken = false;
                for (int k = 0; k < n && !taken; k++)
                    taken = qm[k].seq == seq;
                if (taken)
                    continue;
                int prio = rand() % 8 ? 0 : rand() % 3;
                struct sched_job j = {.seq = seq, .priority = prio, .req = &rq.r};
                assert_int_equal (sched_queue_add (q, &j), 0);
                qm[n++] = (struct qmodel){seq, seq, prio, true, false};
            } else if (!qm[i].live) {
                continue;
            } else if (what < 6) {
                assert_int_equal (sched_queue_remove (q, qm[i].seq), 0);
                qm[i].live = false;
            } else if (what < 8) {
                qm[i].prio = rand() % 3;
                assert_int_equal (sched_queue_set_priority (q, qm[i].seq, qm[i].prio), 0);
            } else if (what < 9) {
                int64_t rank = rand() % 3 ? 1 + rand() % 200000 : 0;
                assert_int_equal (sched_queue_set_rank (q, qm[i].seq, rank), 0);
                qm[i].rank = rank ? rank : qm[i].seq;
            } else if (qm[i].held) {
                assert_int_equal (sched_queue_release (q, qm[i].seq, 0), 0);
                qm[i].held = false;
            } else {
                assert_int_equal (sched_queue_hold (q, qm[i].seq), 0);
                qm[i].held = true;
            }
        }
        if (bulk) { /* all but about 50 go: more dead than live, so the
                     * queue compacts during the removals */
            for (int i = 0; i < n; i++) {
                if (qm[i].live && rand() % 40) {
                    assert_int_equal (sched_queue_remove (q, qm[i].seq), 0);
                    qm[i].live = false;
                }
            }
            int k = 0;
            for (int i = 0; i < n; i++) {
                if (qm[i].live)
                    qm[k++] = qm[i];
            }
            n = k;
        }
        check_order (s, q, n);
    }
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (snapshot_builds_and_refuses_bad_nodes),
        cmocka_unit_test (claim_restores_and_refuses_conflicts),
        cmocka_unit_test (no_core_is_given_twice),
        cmocka_unit_test (exclusive_jobs_get_idle_nodes_and_keep_them),
        cmocka_unit_test (pack_scatter_and_free_arrangements),
        cmocka_unit_test (gpu_jobs_get_cores_near_their_gpu),
        cmocka_unit_test (gpus_and_cores_stay_within_a_domain),
        cmocka_unit_test (cpu_jobs_avoid_gpu_local_cores),
        cmocka_unit_test (host_constraint_picks_that_node),
        cmocka_unit_test (higher_priority_then_older_first),
        cmocka_unit_test (held_jobs_are_skipped),
        cmocka_unit_test (never_fitting_jobs_are_reported),
        cmocka_unit_test (released_cores_are_reused),
        cmocka_unit_test (offline_nodes_are_skipped),
        cmocka_unit_test (max_jobs_bounds_the_pass),
        cmocka_unit_test (nodes_fill_in_name_order_whatever_the_add_order),
        cmocka_unit_test (group_totals_follow_claims_and_releases),
        cmocka_unit_test (allocations_carry_start_and_expected_end),
        cmocka_unit_test (random_workload_keeps_invariants),
        cmocka_unit_test (fcfs_stops_and_admit_refuses),
        cmocka_unit_test (queue_order_survives_changes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
