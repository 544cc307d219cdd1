/* Unit tests for the within-node placement (scheduler/core/nodealloc.c,
 * through the real topology -> snapshot conversion and a scheduling pass)
 * and the rank layout (topology/layout.h): on real machines' hwloc exports
 * in SHARED_DIR/topologies (skipped when absent) and on our own fixtures,
 * every GPU rank is bound to cores local to its GPU and talks through the
 * NIC nearest to it; a job's GPUs come from one NVLink island first; the
 * layout file's JSON and the Open MPI rankfile come out as documented. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "scheduler/core/pass.h"
#include "scheduler/core/queue.h"
#include "scheduler/ctld/convert.h"
#include "topology/layout.h"

#define TOPO_DIR   SHARED_DIR "/topologies"
#define DGX2_XML   TOPO_DIR "/nvidia-dgx2.xml"
#define POWER8_XML TOPO_DIR "/power8gpudistances.xml"
#define OWN_XML    FIXTURE_DIR "/topology/two-socket-gpu.xml"

static struct topo_node *load (const char *path)
{
    struct herror err = {""};
    if (access (path, R_OK) != 0) {
        print_message ("%s missing: skipping\n", path);
        return NULL;
    }
    struct topo_node *t = topo_node_load_xml (path, &err);
    if (!t)
        fail_msg ("%s", err.text);
    return t;
}

/* Place one chunk {ncpus, ngpus, mpiprocs} on a one-node snapshot of T
 * (after BUSY, a chunk of another job, when not NULL) and return the
 * job's allocation (the caller destroys it). */
static struct sched_alloc *place (const struct topo_node *t, const struct resreq_chunk *busy,
                                  int ncpus, int ngpus, int mpiprocs)
{
    struct sched_node_desc d;
    assert_int_equal (convert_desc_from_topo ("n01", t, true, &d), 0);
    struct sched_snapshot *s = sched_snapshot_create();
    assert_int_equal (sched_snapshot_add_node (s, &d), 0);
    convert_desc_clear (&d);
    struct sched_queue *q = sched_queue_create();
    struct resreq_chunk c[2] = {{1, ncpus, mpiprocs, ngpus, 0, "", "", 0}};
    struct resreq r = {.nchunks = 1, .chunks = c};
    struct resreq rb = {.nchunks = 1, .chunks = c + 1};
    if (busy) {
        c[1] = *busy;
        struct sched_job jb = {1, 10, 0, false, &rb, 0};
        assert_int_equal (sched_queue_add (q, &jb), 0);
    }
    struct sched_job j = {2, 0, 0, false, &r, 0};
    assert_int_equal (sched_queue_add (q, &j), 0);
    struct sched_limits lim = {.max_jobs = 0};
    struct sched_result *res = sched_pass (s, q, 0, &lim);
    assert_non_null (res);
    struct sched_alloc *out = NULL;
    for (int i = 0; i < sched_result_count (res); i++) {
        const struct sched_decision *dec = sched_result_get (res, i);
        if (dec->seq == 2 && dec->kind == SCHED_START)
            out = sched_result_take_alloc (res, i);
        else if (dec->seq == 2)
            print_message ("job not started: %s\n", dec->reason);
    }
    assert_non_null (out);
    sched_result_destroy (res);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
    return out;
}

static bool local_to (const struct topo_gpu *g, int core)
{
    for (unsigned i = 0; i < g->cores.count; i++) {
        if (g->cores.ids[i] == (unsigned)core)
            return true;
    }
    return false;
}

/* NRANKS ranks, each with GPR GPUs and only cores local to its first;
 * no two ranks share a GPU or a core. */
static void assert_gpu_ranks_local (const struct topo_node *t, const struct layout *l, int nranks,
                                    int gpr)
{
    int seen_gpu[TOPO_MAX_GPUS] = {0};
    int seen_core[1024] = {0};
    assert_int_equal (layout_nranks (l), nranks);
    for (int i = 0; i < layout_nranks (l); i++) {
        const struct layout_rank *r = layout_rank (l, i);
        assert_int_equal (r->ngpus, gpr);
        for (int g = 0; g < r->ngpus; g++)
            assert_int_equal (seen_gpu[r->gpus[g]]++, 0);
        assert_true (r->ncores >= 1);
        for (int c = 0; c < r->ncores; c++) {
            if (!local_to (&t->gpus[r->gpus[0]], r->cores[c]))
                fail_msg ("rank %d: core %d is not local to its GPU %d", i, r->cores[c],
                          r->gpus[0]);
            assert_int_equal (seen_core[r->cores[c]]++, 0);
        }
        assert_true (r->npus >= r->ncores);
    }
}

static struct layout *layout_of (const struct sched_alloc *a, const struct topo_node *t)
{
    struct herror err = {""};
    const struct topo_node *models[1] = {t};
    struct layout *l = layout_create (sched_alloc_rset (a), models, &err);
    if (!l)
        fail_msg ("layout_create: %s", err.text);
    return l;
}

/* DGX-2 (this export keeps 2 cores per package): 16 GPUs, 8 per package,
 * one NVSwitch island.  A 16-GPU job with 2 cores and 2 ranks: each rank
 * drives 8 GPUs and gets a core next to them (one core per package, not
 * both next to the first GPU). */
static void dgx2_every_gpu_rank_local (void **state)
{
    struct topo_node *t = load (DGX2_XML);
    if (!t)
        skip();
    int island[16];
    assert_int_equal (topo_node_gpu_islands (t, island), 1);
    struct sched_alloc *a = place (t, NULL, 2, 16, 2);
    struct layout *l = layout_of (a, t);
    assert_gpu_ranks_local (t, l, 2, 8);
    layout_destroy (l);
    sched_alloc_destroy (a);
    topo_node_destroy (t);
}

/* POWER8 with NVLink pairs 0-1 and 2-3: two islands; a 4-GPU job's ranks
 * are each next to their GPU; a 2-GPU job gets one pair. */
static void power8_islands_and_local_cores (void **state)
{
    struct topo_node *t = load (POWER8_XML);
    if (!t)
        skip();
    int island[4];
    assert_int_equal (topo_node_gpu_islands (t, island), 2);
    assert_int_equal (island[0], island[1]);
    assert_int_equal (island[2], island[3]);
    assert_int_not_equal (island[0], island[2]);

    struct sched_alloc *a = place (t, NULL, 4, 4, 4);
    struct layout *l = layout_of (a, t);
    assert_gpu_ranks_local (t, l, 4, 1);
    layout_destroy (l);
    sched_alloc_destroy (a);

    a = place (t, NULL, 2, 2, 2);
    const struct rset_node *n = sched_alloc_node (a, 0);
    assert_int_equal (n->ngpus, 2);
    assert_int_equal (island[n->gpus[0]], island[n->gpus[1]]);
    l = layout_of (a, t);
    assert_gpu_ranks_local (t, l, 2, 1);
    layout_destroy (l);
    sched_alloc_destroy (a);
    topo_node_destroy (t);
}

/* Our fixture: GPU 0 on package 0 next to an InfiniBand HCA, GPU 1 on
 * package 1 next to an EFA device.  Two ranks with a GPU each: each rank
 * gets a core of its own package and its GPU's NIC. */
static void fixture_ranks_get_local_cores_and_nearest_nic (void **state)
{
    struct topo_node *t = load (OWN_XML);
    assert_non_null (t);
    struct sched_alloc *a = place (t, NULL, 2, 2, 2);
    struct layout *l = layout_of (a, t);
    assert_gpu_ranks_local (t, l, 2, 1);
    const struct layout_rank *r0 = layout_find_local (l, "n01", 0);
    const struct layout_rank *r1 = layout_find_local (l, "n01", 1);
    assert_non_null (r0);
    assert_non_null (r1);
    assert_int_equal (r0->gpus[0], 0);
    assert_int_equal (r1->gpus[0], 1);
    assert_int_equal (r0->nic_kind, TOPO_NIC_INFINIBAND);
    assert_string_equal (r0->nic_names[1], "mlx5_0");
    assert_int_equal (r1->nic_kind, TOPO_NIC_OPENFABRICS);
    assert_string_equal (r1->nic_names[0], "efa_0");
    assert_null (layout_find_local (l, "n01", 2));
    assert_int_equal (errno, ENOENT);
    layout_destroy (l);
    sched_alloc_destroy (a);
    topo_node_destroy (t);
}

/* A snapshot node of 2 NUMA domains x 2 GPUs whose NVLink islands cross
 * the domains (GPUs 0 and 2, 1 and 3).  With GPU 0 busy, a 2-GPU job must
 * get 1 and 3 (one island), not 2 and 3 (one domain, two islands). */
static void gpus_come_from_one_island (void **state)
{
    struct sched_core_desc cores[8];
    int pus[8], local[4][4];
    struct sched_gpu_desc gpus[4];
    for (int i = 0; i < 8; i++) {
        pus[i] = i;
        cores[i] = (struct sched_core_desc){i, i / 4, 1, &pus[i]};
    }
    for (int g = 0; g < 4; g++) {
        for (int k = 0; k < 4; k++)
            local[g][k] = (g / 2) * 4 + k;
        gpus[g] = (struct sched_gpu_desc){g, g / 2, 4, local[g], g % 2};
    }
    struct sched_node_desc d = {"n01", true, 1 << 30, 8, cores, 4, gpus};
    struct sched_snapshot *s = sched_snapshot_create();
    assert_int_equal (sched_snapshot_add_node (s, &d), 0);
    struct sched_alloc *other = sched_alloc_create (1);
    int g0[1] = {0};
    struct rset_node p = {"n01", 0, NULL, 0, NULL, 1, g0, 0, 1};
    assert_int_equal (sched_alloc_add (other, &p), 0);
    assert_int_equal (sched_snapshot_claim (s, other), 0);

    struct sched_queue *q = sched_queue_create();
    struct resreq_chunk c = {1, 2, 2, 2, 0, "", "", 0};
    struct resreq r = {.nchunks = 1, .chunks = &c};
    struct sched_job j = {2, 0, 0, false, &r, 0};
    assert_int_equal (sched_queue_add (q, &j), 0);
    struct sched_limits lim = {.max_jobs = 0};
    struct sched_result *res = sched_pass (s, q, 0, &lim);
    assert_int_equal (sched_result_count (res), 1);
    const struct sched_decision *dec = sched_result_get (res, 0);
    assert_int_equal (dec->kind, SCHED_START);
    const struct rset_node *n = sched_alloc_node (dec->alloc, 0);
    assert_int_equal (n->ngpus, 2);
    assert_int_equal (n->gpus[0] % 2, 1);
    assert_int_equal (n->gpus[1] % 2, 1);
    /* and one core next to each of them: GPU 1 on domain 0, GPU 3 on 1 */
    assert_int_equal (n->ncores, 2);
    assert_true (n->cores[0] / 4 != n->cores[1] / 4);
    assert_int_equal (sched_snapshot_verify (s), 0);
    sched_result_destroy (res);
    sched_queue_destroy (q);
    sched_alloc_destroy (other);
    sched_snapshot_destroy (s);
}

/* CPU ranks fill NUMA domains in order; a node without a model still gets
 * a layout from the allocation alone; JSON and rankfile as documented. */
static void cpu_ranks_fill_numa_in_order_and_codecs (void **state)
{
    struct topo_node *t = load (OWN_XML);
    assert_non_null (t);
    struct rset *a = rset_create();
    /* cores listed out of order, across both packages */
    int c1[] = {5, 0, 4, 1}, p1[] = {10, 0, 8, 2, 11, 1, 9, 3};
    int c2[] = {2, 3}, p2[] = {4, 5};
    struct rset_node n1 = {"n01", 4, c1, 8, p1, 0, NULL, 0, 2};
    struct rset_node n2 = {"n02", 2, c2, 2, p2, 0, NULL, 0, 2};
    assert_int_equal (rset_add (a, &n1), 0);
    assert_int_equal (rset_add (a, &n2), 0);
    const struct topo_node *models[2] = {t, NULL};
    struct herror err = {""};
    struct layout *l = layout_create (a, models, &err);
    assert_non_null (l);
    assert_int_equal (layout_nranks (l), 4);
    const struct layout_rank *r = layout_rank (l, 0);
    assert_int_equal (r->ncores, 2);
    assert_int_equal (r->cores[0], 0); /* NUMA 0 first */
    assert_int_equal (r->cores[1], 1);
    assert_int_equal (r->npus, 4);
    r = layout_rank (l, 1);
    assert_int_equal (r->cores[0], 4);
    assert_int_equal (r->cores[1], 5);
    assert_int_equal (r->ngpus, 0);
    assert_true (r->nic_nnames > 0); /* the NIC local to package 1 */
    r = layout_rank (l, 3);
    assert_string_equal (r->node, "n02");
    assert_int_equal (r->local, 1);
    assert_int_equal (r->ncores, 1);
    assert_int_equal (r->cores[0], 3);
    assert_int_equal (r->npus, 1);
    assert_int_equal (r->pus[0], 5);
    assert_int_equal (r->nic_nnames, 0);

    /* JSON round trip */
    json_t *o = layout_to_json (l);
    assert_non_null (o);
    struct layout *back = layout_from_json (o, &err);
    if (!back)
        fail_msg ("layout_from_json: %s", err.text);
    json_t *o2 = layout_to_json (back);
    assert_true (json_equal (o, o2));
    json_decref (o2);
    layout_destroy (back);

    /* damaged input names the member */
    json_t *bad = json_deep_copy (o);
    json_array_set_new (
        json_object_get (json_array_get (json_object_get (bad, "ranks"), 2), "cores"), 0,
        json_string ("x"));
    assert_null (layout_from_json (bad, &err));
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "ranks[2].cores[0]"));
    json_decref (bad);
    json_decref (o);

    /* rankfile */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&buf, &len);
    assert_int_equal (layout_write_rankfile (l, f), 0);
    fclose (f);
    assert_string_equal (buf, "rank 0=n01 slot=0-1\n"
                              "rank 1=n01 slot=4-5\n"
                              "rank 2=n02 slot=2\n"
                              "rank 3=n02 slot=3\n");
    free (buf);

    /* a core the model lacks */
    int c3[] = {99}, p3[] = {0};
    struct rset *b = rset_create();
    struct rset_node n3 = {"n01", 1, c3, 1, p3, 0, NULL, 0, 1};
    assert_int_equal (rset_add (b, &n3), 0);
    assert_null (layout_create (b, models, &err));
    assert_non_null (strstr (err.text, "core 99"));
    rset_destroy (b);
    layout_destroy (l);
    rset_destroy (a);
    topo_node_destroy (t);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (dgx2_every_gpu_rank_local),
        cmocka_unit_test (power8_islands_and_local_cores),
        cmocka_unit_test (fixture_ranks_get_local_cores_and_nearest_nic),
        cmocka_unit_test (gpus_come_from_one_island),
        cmocka_unit_test (cpu_ranks_fill_numa_in_order_and_codecs),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
