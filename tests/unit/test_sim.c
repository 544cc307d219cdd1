/* Unit tests for scheduler/sim: cluster specs, the trace filter, the replay
 * loop and its metrics, through the real scheduler/core.
 *
 * The small traces are worked out by hand below; each says what every
 * policy must do and why.  Ties: the queue order is priority (all 0 here),
 * then submit order; at one instant ends are handled before submits, then
 * one pass runs (sim.h).  With SHARED_DIR/traces/SDSC-SP2-1998-4.2-cln.swf.gz
 * present, the whole SDSC-SP2 log is replayed under EASY too (skipped
 * otherwise) and its mean bounded slowdown printed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "scheduler/sim/cluster.h"
#include "scheduler/sim/metrics.h"
#include "scheduler/sim/sim.h"
#include "scheduler/sim/trace.h"

static char dir[64];

static int make_dir (void **state)
{
    snprintf (dir, sizeof (dir), "/tmp/test_sim.XXXXXX");
    return mkdtemp (dir) ? 0 : -1;
}

static int remove_dir (void **state)
{
    char path[128];
    snprintf (path, sizeof (path), "%s/trace.swf", dir);
    (void)unlink (path);
    return rmdir (dir);
}

/* One SWF record: JOB submitted at SUBMIT, RUN seconds on PROCS processors,
 * REQ seconds requested, status 1; allocated = requested processors. */
static void put (FILE *f, int job, int submit, int run, int procs, int req)
{
    fprintf (f, "%d %d -1 %d %d -1 -1 %d %d -1 1 1 1 -1 -1 -1 -1 -1\n", job, submit, run, procs,
             procs, req);
}

static const char *trace_path (void)
{
    static char path[128];
    snprintf (path, sizeof (path), "%s/trace.swf", dir);
    return path;
}

static FILE *new_trace (void)
{
    FILE *f = fopen (trace_path(), "w");
    assert_non_null (f);
    fputs ("; a hand-made trace\n", f);
    return f;
}

/* Replay the trace file on SPEC under POLICY; the caller destroys both. */
static struct sim_trace *replay (const char *spec, enum sched_policy policy,
                                 struct sim_cluster **cp, struct sim_metrics *m)
{
    struct herror err = {""};
    struct sim_cluster *c = sim_cluster_create (spec, &err);
    assert_non_null (c);
    struct sim_trace *t = sim_trace_load (trace_path(), sim_cluster_procs (c), &err);
    if (!t)
        fail_msg ("%s", err.text);
    struct sched_limits lim = {.policy = policy};
    struct sim_passes passes;
    if (sim_run (c, t->jobs, t->njobs, &lim, &passes, &err) < 0)
        fail_msg ("%s", err.text);
    assert_int_equal (sched_snapshot_verify (sim_cluster_snapshot (c)), 0);
    if (m)
        sim_metrics_compute (t->jobs, t->njobs, sim_cluster_procs (c), &passes, m);
    free (passes.us);
    *cp = c;
    return t;
}

static int64_t start_of (const struct sim_trace *t, int64_t id)
{
    for (int i = 0; i < t->njobs; i++) {
        if (t->jobs[i].id == id)
            return t->jobs[i].start;
    }
    fail_msg ("job %lld not replayed", (long long)id);
    return -1;
}

/* ---- cluster specs ---- */

static void cluster_specs (void **state)
{
    struct herror err = {""};
    struct sim_cluster *c = sim_cluster_create ("128", &err);
    assert_non_null (c);
    assert_int_equal (sim_cluster_procs (c), 128);
    assert_int_equal (sim_cluster_nodes (c), 128);
    assert_int_equal (sim_cluster_cores (c), 1);
    assert_int_equal (sim_cluster_leaves (c), 1);
    assert_int_equal (sched_snapshot_nnodes (sim_cluster_snapshot (c)), 128);
    sim_cluster_destroy (c);

    c = sim_cluster_create ("fat-tree:leaves=3,nodes=4,cores=8", &err);
    assert_non_null (c);
    assert_int_equal (sim_cluster_procs (c), 96);
    assert_int_equal (sim_cluster_nodes (c), 12);
    assert_int_equal (sim_cluster_leaves (c), 3);
    sim_cluster_destroy (c);
    c = sim_cluster_create ("fat-tree:nodes=2,leaves=2", &err);
    assert_non_null (c);
    assert_int_equal (sim_cluster_cores (c), 1);
    sim_cluster_destroy (c);

    const struct {
        const char *spec, *says;
    } bad[] = {
        {"0", "expected a processor count"},
        {"12x", "expected a processor count"},
        {"", "expected a processor count"},
        {"fat-tree:leaves=2", "leaves= and nodes= are required"},
        {"fat-tree:leaves=2,nodes=2,spines=1", "expected leaves=L,nodes=K[,cores=C]"},
        {"fat-tree:leaves=2,leaves=3,nodes=1", "a key is given twice"},
        {"fat-tree:leaves=2,nodes=0", "nodes must be a whole number from 1"},
        {"fat-tree:leaves=2,nodes=2,cores=2000", "cores must be a whole number from 1 to 1024"},
        {"fat-tree:leaves=2,nodes=2,", "a comma at the end"},
        {"fat-tree:leaves=2048,nodes=1024", "more nodes than huddle-sim builds"},
    };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        errno = 0;
        assert_null (sim_cluster_create (bad[i].spec, &err));
        assert_int_equal (errno, EINVAL);
        if (!strstr (err.text, bad[i].says))
            fail_msg ("%s: \"%s\" does not say \"%s\"", bad[i].spec, err.text, bad[i].says);
    }
}

/* ---- the trace filter ---- */

/* One record per rule, each the first rule it breaks, plus kept ones out of
 * submit order; a job that ran past its requested time is cut to it. */
static void filter_drops_unusable_records (void **state)
{
    FILE *f = new_trace();
    fputs ("1 50 -1 -1 -1 -1 -1 4 100 -1 5 1 1 -1 -1 -1 -1 -1\n", f);  /* cancelled */
    fputs ("2 50 -1 0 4 -1 -1 4 100 -1 0 1 1 -1 -1 -1 -1 -1\n", f);    /* no run time */
    fputs ("3 50 -1 10 -1 -1 -1 -1 100 -1 1 1 1 -1 -1 -1 -1 -1\n", f); /* no processors */
    fputs ("4 50 -1 10 5 -1 -1 2 100 -1 1 1 1 -1 -1 -1 -1 -1\n", f);   /* 5 > 4: too big */
    fputs ("5 50 -1 10 2 -1 -1 2 -1 -1 1 1 1 -1 -1 -1 -1 -1\n", f);    /* no estimate */
    fputs ("6 -1 -1 10 2 -1 -1 2 100 -1 1 1 1 -1 -1 -1 -1 -1\n", f);   /* no submit time */
    fputs ("7 40 -1 10 -1 -1 -1 3 100 -1 5 1 1 -1 -1 -1 -1 -1\n", f);  /* kept: requested procs */
    fputs ("8 30 -1 500 2 -1 -1 4 100 -1 0 1 1 -1 -1 -1 -1 -1\n", f);  /* kept: cut to 100 s */
    fputs ("9 40 -1 10 1 -1 -1 1 100 -1 1 1 1 -1 -1 -1 -1 -1\n", f);   /* kept, after 7 */
    fclose (f);
    struct herror err = {""};
    struct sim_trace *t = sim_trace_load (trace_path(), 4, &err);
    if (!t)
        fail_msg ("%s", err.text);
    assert_int_equal (t->records, 9);
    assert_int_equal (t->njobs, 3);
    for (int d = 0; d < SIM_NDROPS; d++)
        assert_int_equal (t->dropped[d], 1);
    assert_int_equal (t->capped, 1);
    assert_string_equal (t->header, "; a hand-made trace\n");
    /* submit order, trace order among equals: 8 (30), 7 (40), 9 (40) */
    assert_int_equal (t->jobs[0].id, 8);
    assert_int_equal (t->jobs[0].procs, 2); /* allocated, not requested */
    assert_int_equal (t->jobs[0].run, 100);
    assert_int_equal (t->jobs[0].walltime, 100);
    assert_int_equal (t->recs[0].run, 500); /* the record is kept as it was */
    assert_int_equal (t->jobs[1].id, 7);
    assert_int_equal (t->jobs[1].procs, 3);
    assert_int_equal (t->jobs[2].id, 9);
    assert_int_equal (t->recs[2].job, 9);
    sim_trace_destroy (t);

    f = new_trace();
    put (f, 1, 0, 10, 1, 10);
    fputs ("2 5 -1 ten 1 -1 -1 1 10 -1 1 1 1 -1 -1 -1 -1 -1\n", f);
    fclose (f);
    assert_null (sim_trace_load (trace_path(), 4, &err));
    char want[256];
    snprintf (want, sizeof (want), "%s:3: field 4 (run time): \"ten\" is not an integer",
              trace_path());
    assert_string_equal (err.text, want);
}

/* ---- the policies, worked out by hand ----
 *
 * Cluster "4": nodes 0..3 of one core; run = requested time for all.
 *
 *   job  submit  procs  run
 *    1     0       2    10
 *    2     1       3    10
 *    3     2       4    10
 *    4     3       1    20
 *    5     4       1     5
 *
 * FCFS: 1 starts at 0 on nodes 0-1.  2 (3 procs) cannot start until 1 ends
 * at 10 and blocks everything behind it.  10: 2 starts on 0-2, 3 blocks.
 * 20: 2 ends, 3 starts on all four.  30: 3 ends, 4 and 5 start.
 *   starts 0 10 20 30 30; waits 0 9 18 27 26, mean 16.
 *
 * EASY: 2 is the first blocked job: reservation at T = 10 (when 1 ends) on
 * nodes 0-2, the placer's first fit on the cluster as it will be.  3 is
 * blocked too, but EASY reserves for the first only.  At 3, job 4 (1
 * proc, 20 s) fits now and would end at 23 > T, but node 3 is off the
 * reservation: it starts there.  At 4, job 5 (5 s) ends at 9 <= T: it
 * starts on node 2.  10: 1 ends, 2 starts on 0-2 as planned.  3 now waits
 * for all four: 2 ends at 20, 4 at 23, so 3 starts at 23 (job 4 delayed
 * it from 20, which EASY allows: only the first blocked job is protected).
 *   starts 0 10 23 3 4; waits 0 9 21 0 0, mean 6.
 *
 * Conservative: every blocked job gets a reservation.  2: at 10 on 0-2.
 * 3: all four are first free together at 20 (2's reservation ends):
 * reserved [20, 30).  4 (arriving at 3) would run [3, 23): it fits now on
 * node 3 but 3's reservation there starts at 20 < 23, so it waits; its own
 * reservation is at 30.  5 would run [4, 9): no reservation starts before
 * 9, so it starts at 4.  Then as planned: 2 at 10, 3 at 20, 4 at 30.
 *   starts 0 10 20 30 4; waits 0 9 18 27 0, mean 10.8.
 *
 * Bounded slowdowns (tau 10): max(1, (wait + run) / max(run, 10)):
 *   FCFS 1, 1.9, 2.8, 2.35, 3.1 -> mean 2.23 (job 5: 31 / 10, tau not run)
 *   EASY 1, 1.9, 3.1, 1, 1      -> mean 1.6
 *   cons 1, 1.9, 2.8, 2.35, 1   -> mean 1.81
 */
static void write_policy_trace (void)
{
    FILE *f = new_trace();
    put (f, 1, 0, 10, 2, 10);
    put (f, 2, 1, 10, 3, 10);
    put (f, 3, 2, 10, 4, 10);
    put (f, 4, 3, 20, 1, 20);
    put (f, 5, 4, 5, 1, 5);
    fclose (f);
}

static void check_policy (enum sched_policy policy, const int64_t want[5], double mean_wait,
                          double mean_bsld)
{
    struct sim_cluster *c;
    struct sim_metrics m;
    write_policy_trace();
    struct sim_trace *t = replay ("4", policy, &c, &m);
    for (int id = 1; id <= 5; id++) {
        if (start_of (t, id) != want[id - 1])
            fail_msg ("policy %d: job %d started at %lld, expected %lld", (int)policy, id,
                      (long long)start_of (t, id), (long long)want[id - 1]);
    }
    assert_float_equal (m.mean_wait, mean_wait, 1e-9);
    assert_float_equal (m.mean_bsld, mean_bsld, 1e-9);
    assert_int_equal (m.first_submit, 0);
    sim_trace_destroy (t);
    sim_cluster_destroy (c);
}

static void fcfs_by_hand (void **state)
{
    const int64_t want[5] = {0, 10, 20, 30, 30};
    check_policy (SCHED_FCFS, want, 16.0, 2.23);
}

static void easy_by_hand (void **state)
{
    const int64_t want[5] = {0, 10, 23, 3, 4};
    check_policy (SCHED_EASY, want, 6.0, 1.6);
}

static void conservative_by_hand (void **state)
{
    const int64_t want[5] = {0, 10, 20, 30, 4};
    check_policy (SCHED_CONSERVATIVE, want, 10.8, 1.81);
}

/* Ties and the walltime, FCFS on cluster "2":
 *
 *   job  submit  procs  run  requested
 *    1     0       2    10     10
 *    2    10       2    10     10     submitted as 1 ends: ends first, so
 *                                      it starts at 10, not later
 *    3    10       1   100     50     same instant, after 2 in the trace:
 *    4    10       1    30     30     3 then 4, both at 20 when 2 ends
 *    5    60       2    10     10     3 is killed at its 50 s (ends 70),
 *                                      4 ends at 50: 5 starts at 70
 *
 * Utilization: busy processor-seconds 20 + 20 + 50 + 30 + 20 = 140 over
 * 2 processors x 80 s (0 to the last end) = 0.875.
 */
static void ties_and_walltime_by_hand (void **state)
{
    FILE *f = new_trace();
    put (f, 1, 0, 10, 2, 10);
    put (f, 2, 10, 10, 2, 10);
    put (f, 3, 10, 100, 1, 50);
    put (f, 4, 10, 30, 1, 30);
    put (f, 5, 60, 10, 2, 10);
    fclose (f);
    struct sim_cluster *c;
    struct sim_metrics m;
    struct sim_trace *t = replay ("2", SCHED_FCFS, &c, &m);
    const int64_t want[5] = {0, 10, 20, 20, 70};
    for (int id = 1; id <= 5; id++)
        assert_int_equal (start_of (t, id), want[id - 1]);
    assert_int_equal (t->capped, 1);
    assert_int_equal (m.last_end, 80);
    assert_float_equal (m.utilization, 140.0 / 160.0, 1e-12);
    assert_int_equal (m.multinode, 3); /* 1, 2 and 5: two one-core nodes each */
    assert_float_equal (m.mean_leaves, 1.0, 1e-12);
    sim_trace_destroy (t);
    sim_cluster_destroy (c);
}

/* Placement on a fat tree: 2 leaves of 2 nodes of 2 cores.  4 procs on
 * the idle tree fill one leaf (2 nodes, 1 leaf); 6 procs need 3 nodes, so
 * 2 leaves; 2 procs fit one node (not multi-node).  Mean leaves over the
 * two multi-node jobs: 1.5. */
static void fat_tree_spans (void **state)
{
    FILE *f = new_trace();
    put (f, 1, 0, 10, 4, 10);
    put (f, 2, 20, 10, 6, 10);
    put (f, 3, 40, 10, 2, 10);
    fclose (f);
    struct sim_cluster *c;
    struct sim_metrics m;
    struct sim_trace *t = replay ("fat-tree:leaves=2,nodes=2,cores=2", SCHED_EASY, &c, &m);
    assert_int_equal (t->jobs[0].nnodes, 2);
    assert_int_equal (t->jobs[0].leaves, 1);
    assert_int_equal (t->jobs[1].nnodes, 3);
    assert_int_equal (t->jobs[1].leaves, 2);
    assert_int_equal (t->jobs[2].nnodes, 1);
    assert_int_equal (m.multinode, 2);
    assert_float_equal (m.mean_leaves, 1.5, 1e-12);
    sim_trace_destroy (t);
    sim_cluster_destroy (c);
}

static void bounded_slowdown (void **state)
{
    assert_float_equal (sim_bsld (0, 100), 1.0, 1e-12);
    assert_float_equal (sim_bsld (300, 100), 4.0, 1e-12);
    assert_float_equal (sim_bsld (8, 2), 1.0, 1e-12);  /* (8 + 2) / 10 */
    assert_float_equal (sim_bsld (28, 2), 3.0, 1e-12); /* (28 + 2) / 10, not / 2 */
    assert_float_equal (sim_bsld (0, 1), 1.0, 1e-12);  /* never below 1 */
}

/* The whole SDSC-SP2 log under EASY (skipped without it).  Bounds, not an
 * exact number: every job starts at or after its submit time, the machine
 * is busier than FCFS alone could keep it (which reaches ~0.76 here), and
 * the slowdown is in the range other EASY simulators report for this log
 * (pyss ~87.9, an independent minimal EASY 85.1). */
static void sdsc_sp2_easy (void **state)
{
    const char *path = SHARED_DIR "/traces/SDSC-SP2-1998-4.2-cln.swf.gz";
    if (access (path, R_OK) != 0) {
        fprintf (stderr, "skipped: %s is not here\n", path);
        skip();
    }
    struct herror err = {""};
    struct sim_cluster *c = sim_cluster_create ("128", &err);
    assert_non_null (c);
    struct sim_trace *t = sim_trace_load (path, 128, &err);
    if (!t)
        fail_msg ("%s", err.text);
    assert_true (t->njobs > 50000);
    struct sched_limits lim = {.policy = SCHED_EASY};
    struct sim_passes passes;
    if (sim_run (c, t->jobs, t->njobs, &lim, &passes, &err) < 0)
        fail_msg ("%s", err.text);
    for (int i = 0; i < t->njobs; i++)
        assert_true (t->jobs[i].start >= t->jobs[i].submit);
    struct sim_metrics m;
    sim_metrics_compute (t->jobs, t->njobs, 128, &passes, &m);
    fprintf (
        stderr,
        "SDSC-SP2 EASY: %d jobs, %d dropped by the filter, utilization %.4f, mean wait %.0f s, "
        "mean bsld %.2f, %d passes (median %.0f us, p99 %.0f us)\n",
        t->njobs, t->records - t->njobs, m.utilization, m.mean_wait, m.mean_bsld, m.passes,
        m.pass_median_us, m.pass_p99_us);
    assert_true (m.utilization > 0.78 && m.utilization < 0.9);
    assert_true (m.mean_bsld > 50 && m.mean_bsld < 150);
    free (passes.us);
    sim_trace_destroy (t);
    sim_cluster_destroy (c);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (cluster_specs),        cmocka_unit_test (filter_drops_unusable_records),
        cmocka_unit_test (fcfs_by_hand),         cmocka_unit_test (easy_by_hand),
        cmocka_unit_test (conservative_by_hand), cmocka_unit_test (ties_and_walltime_by_hand),
        cmocka_unit_test (fat_tree_spans),       cmocka_unit_test (bounded_slowdown),
        cmocka_unit_test (sdsc_sp2_easy),
    };
    return cmocka_run_group_tests (tests, make_dir, remove_dir);
}
