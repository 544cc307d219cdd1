/* test_backfill - EASY, conservative and fcfs in scheduler/core/pass.c
 *
 * Every scenario is small enough to work out by hand; the comment above
 * each says what the policy must do and why.  Running jobs are claimed
 * with their window (start, walltime), as the controller restores them,
 * or started by a pass (which sets it); "virtual time" means a loop that
 * ends each job exactly at its walltime and runs a pass at every tick.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scheduler/core/fabric.h"
#include "scheduler/core/pass.h"
#include "scheduler/core/queue.h"
#include "scheduler/core/snapshot.h"

#define GiB   (UINT64_C (1) << 30)
#define MAXC  16
#define NEVER (-1)

/* NNODES nodes n0.. of CPN cores (one NUMA domain, one PU per core). */
static struct sched_snapshot *cluster (int nnodes, int cpn)
{
    static int pus[MAXC];
    struct sched_core_desc cores[MAXC];
    for (int c = 0; c < cpn; c++) {
        pus[c] = c;
        cores[c] = (struct sched_core_desc){.os_index = c, .numa = 0, .npus = 1, .pus = &pus[c]};
    }
    struct sched_snapshot *s = sched_snapshot_create();
    assert_non_null (s);
    for (int i = 0; i < nnodes; i++) {
        char name[16];
        snprintf (name, sizeof (name), "n%d", i);
        struct sched_node_desc d = {
            .name = name, .usable = true, .mem = 64 * GiB, .ncores = cpn, .cores = cores};
        assert_int_equal (sched_snapshot_add_node (s, &d), 0);
    }
    return s;
}

/* A running job SEQ on NODE's cores FIRST..FIRST+N-1 since START for
 * WALLTIME seconds (0: unknown), claimed as a restarted controller does. */
static struct sched_alloc *running (struct sched_snapshot *s, int64_t seq, const char *node,
                                    int first, int n, int64_t start, int64_t walltime)
{
    int ids[MAXC];
    for (int c = 0; c < n; c++)
        ids[c] = first + c;
    struct sched_alloc *a = sched_alloc_create (seq);
    assert_non_null (a);
    struct rset_node part = {.name = node, .ncores = n, .cores = ids, .npus = n, .pus = ids};
    assert_int_equal (sched_alloc_add (a, &part), 0);
    sched_alloc_set_window (a, start, walltime);
    assert_int_equal (sched_snapshot_claim (s, a), 0);
    return a;
}

struct req {
    struct resreq r;
    struct resreq_chunk c;
};

static struct req *mkreq (struct req *q, int count, int ncpus, int64_t walltime,
                          enum resreq_arrangement arr)
{
    memset (q, 0, sizeof (*q));
    q->c = (struct resreq_chunk){.count = count, .ncpus = ncpus, .mpiprocs = 1};
    q->r = (struct resreq){.nchunks = 1,
                           .chunks = &q->c,
                           .arrangement = arr,
                           .walltime = walltime,
                           .switches_wait = -1};
    return q;
}

static void submit (struct sched_queue *q, int64_t seq, int64_t t, const struct req *rq)
{
    struct sched_job j = {.seq = seq, .eligible_time = t, .req = &rq->r};
    assert_int_equal (sched_queue_add (q, &j), 0);
}

static struct sched_result *pass (struct sched_snapshot *s, struct sched_queue *q, int64_t now,
                                  enum sched_policy policy, int depth)
{
    struct sched_limits lim = {.policy = policy, .depth = depth};
    struct sched_result *r = sched_pass (s, q, now, &lim);
    assert_non_null (r);
    assert_int_equal (sched_snapshot_verify (s), 0);
    return r;
}

static const struct sched_decision *find (const struct sched_result *r, int64_t seq)
{
    for (int i = 0; i < sched_result_count (r); i++) {
        if (sched_result_get (r, i)->seq == seq)
            return sched_result_get (r, i);
    }
    return NULL;
}

static bool started (const struct sched_result *r, int64_t seq)
{
    const struct sched_decision *d = find (r, seq);
    return d && d->kind == SCHED_START;
}

/* The names of a plan's (or allocation's) nodes, "n0,n2". */
static const char *nodes_of (const struct sched_alloc *a, char *buf, size_t len)
{
    buf[0] = '\0';
    for (int i = 0; i < sched_alloc_nnodes (a); i++) {
        size_t l = strlen (buf);
        snprintf (buf + l, len - l, "%s%s", i ? "," : "", sched_alloc_node (a, i)->name);
    }
    return buf;
}

/* Job J waits with a reservation at T on NODES. */
static void assert_reserved (const struct sched_result *r, int64_t seq, int64_t t,
                             const char *nodes)
{
    char buf[128];
    const struct sched_decision *d = find (r, seq);
    assert_non_null (d);
    assert_int_equal (d->kind, SCHED_WAIT);
    assert_int_equal (d->start_time, t);
    assert_non_null (d->plan);
    assert_string_equal (nodes_of (d->plan, buf, sizeof (buf)), nodes);
    assert_int_equal (rset_start (sched_alloc_rset (d->plan)), t);
}

/* Job J waits because of job BLOCKER's reservation. */
static void assert_held_back (const struct sched_result *r, int64_t seq, int64_t blocker)
{
    char want[64];
    const struct sched_decision *d = find (r, seq);
    assert_non_null (d);
    assert_int_equal (d->kind, SCHED_WAIT);
    assert_int_equal (d->blocker, blocker);
    assert_int_equal (d->start_time, -1);
    snprintf (want, sizeof (want), "reservation for job %lld", (long long)blocker);
    assert_string_equal (d->reason, want);
}

/* One 4-core node, job 1 holds 3 cores from t=0 for 100 s.  At t=10:
 * job 2 (4 cores, 50 s) cannot start: reserved at T=100 (job 1's end),
 * on n0.  Job 3 (1 core, 200 s) fits in the free core but would run to
 * 210 > T on the reserved node: it waits, naming job 2.  Job 4 (1 core,
 * 80 s) ends at 90 <= T: it is backfilled into that core.  Job 5 (1
 * core, walltime unknown) cannot end before T and the core is gone
 * anyway: it waits for resources, and gets no reservation (EASY makes
 * one). */
static void easy_backfills_only_jobs_that_end_before_t (void **state)
{
    struct sched_snapshot *s = cluster (1, 4);
    struct sched_alloc *j1 = running (s, 1, "n0", 0, 3, 0, 100);
    struct sched_queue *q = sched_queue_create();
    struct req big, longer, shorter, unknown;
    submit (q, 2, 10, mkreq (&big, 1, 4, 50, RESREQ_FREE));
    submit (q, 3, 10, mkreq (&longer, 1, 1, 200, RESREQ_FREE));
    submit (q, 4, 10, mkreq (&shorter, 1, 1, 80, RESREQ_FREE));
    submit (q, 5, 10, mkreq (&unknown, 1, 1, 0, RESREQ_FREE));
    struct sched_result *r = pass (s, q, 10, SCHED_EASY, 0);
    assert_reserved (r, 2, 100, "n0");
    assert_int_equal (sched_result_reserved_seq (r), 2);
    assert_string_equal (find (r, 2)->reason, "not enough free resources");
    assert_held_back (r, 3, 2);
    assert_true (started (r, 4));
    assert_int_equal (rset_end (sched_alloc_rset (find (r, 4)->alloc)), 90);
    assert_int_equal (find (r, 5)->kind, SCHED_WAIT);
    assert_int_equal (find (r, 5)->start_time, -1);
    assert_string_equal (find (r, 5)->reason, "not enough free resources");
    assert_int_equal (sched_snapshot_release (s, find (r, 4)->alloc), 0);
    sched_result_destroy (r);

    /* the same queue with the free core back: job 5 (walltime unknown)
     * alone after the reservation may not take it either */
    sched_queue_destroy (q);
    q = sched_queue_create();
    submit (q, 2, 10, &big);
    submit (q, 5, 10, &unknown);
    r = pass (s, q, 10, SCHED_EASY, 0);
    assert_reserved (r, 2, 100, "n0");
    assert_held_back (r, 5, 2);
    sched_result_destroy (r);
    assert_int_equal (sched_snapshot_release (s, j1), 0);
    sched_alloc_destroy (j1);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

/* Three 4-core nodes at t=0: n0 has 2 cores taken until 100, n1 is full
 * until 300, n2 has 2 cores taken until 400.  Job 10 (2 whole nodes,
 * scatter) fits first at 300, when n0 and n1 are both empty (n2 is busy
 * until 400): reserved on n0,n1.  Job 11 (2 cores, 1000 s) would go to n0
 * by first fit, which is reserved from 300: it is placed again off the
 * reserved nodes and starts on n2.  Job 12 (2 cores, 100 s) ends at 100
 * <= 300: it may use n0.  Job 13 (1 core, 1000 s): n0 and n2 are full
 * now, so it waits for resources, not for the reservation. */
static void easy_long_jobs_keep_off_reserved_nodes (void **state)
{
    char buf[64];
    struct sched_snapshot *s = cluster (3, 4);
    struct sched_alloc *a = running (s, 1, "n0", 0, 2, 0, 100);
    struct sched_alloc *b = running (s, 2, "n1", 0, 4, 0, 300);
    struct sched_alloc *c = running (s, 3, "n2", 0, 2, 0, 400);
    struct sched_queue *q = sched_queue_create();
    struct req wide, longer, shorter, one;
    submit (q, 10, 0, mkreq (&wide, 2, 4, 50, RESREQ_SCATTER));
    submit (q, 11, 0, mkreq (&longer, 1, 2, 1000, RESREQ_FREE));
    submit (q, 12, 0, mkreq (&shorter, 1, 2, 100, RESREQ_FREE));
    submit (q, 13, 0, mkreq (&one, 1, 1, 1000, RESREQ_FREE));
    struct sched_result *r = pass (s, q, 0, SCHED_EASY, 0);
    assert_reserved (r, 10, 300, "n0,n1");
    assert_true (started (r, 11));
    assert_string_equal (nodes_of (find (r, 11)->alloc, buf, sizeof (buf)), "n2");
    assert_true (started (r, 12));
    assert_string_equal (nodes_of (find (r, 12)->alloc, buf, sizeof (buf)), "n0");
    assert_int_equal (find (r, 13)->kind, SCHED_WAIT);
    assert_int_equal (find (r, 13)->blocker, -1);
    sched_result_destroy (r);
    sched_alloc_destroy (a);
    sched_alloc_destroy (b);
    sched_alloc_destroy (c);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

/* Virtual time on one 4-core node.  t=0: jobs 1 (2 cores, 10 s) and 2 (2
 * cores, 20 s) start.  t=1: job 3 (4 cores, 5 s) arrives: reserved at 20
 * (job 2's end).  Every tick from t=1 a 1-core job of 15 s arrives
 * until t=19 (seq 100+t): each would end after 20, so none may take the two cores
 * job 1 frees at t=10.  At t=10 a 1-core job of 5 s (seq 50) arrives: it
 * ends at 15 <= 20 and is backfilled.  Job 3 starts at exactly t=20, the
 * time its first reservation said, and the 15 s jobs only after it. */
static void easy_reserved_job_starts_at_t (void **state)
{
    struct sched_snapshot *s = cluster (1, 4);
    struct sched_queue *q = sched_queue_create();
    static struct req reqs[200];
    struct sched_alloc *run[200] = {0};
    int64_t end[200], start_of[200];
    int nrun = 0;
    for (int i = 0; i < 200; i++)
        start_of[i] = NEVER;
    int64_t first_t = NEVER;
    submit (q, 1, 0, mkreq (&reqs[1], 1, 2, 10, RESREQ_FREE));
    submit (q, 2, 0, mkreq (&reqs[2], 1, 2, 20, RESREQ_FREE));
    for (int t = 0; t <= 120; t++) {
        for (int i = 0; i < nrun; i++) {
            if (run[i] && end[i] <= t) {
                assert_int_equal (sched_snapshot_release (s, run[i]), 0);
                sched_alloc_destroy (run[i]);
                run[i] = NULL;
            }
        }
        if (t == 1)
            submit (q, 3, t, mkreq (&reqs[3], 1, 4, 5, RESREQ_FREE));
        if (t >= 1 && t < 20)
            submit (q, 100 + t, t, mkreq (&reqs[100 + t], 1, 1, 15, RESREQ_FREE));
        if (t == 10)
            submit (q, 50, t, mkreq (&reqs[50], 1, 1, 5, RESREQ_FREE));
        struct sched_result *r = pass (s, q, t, SCHED_EASY, 0);
        const struct sched_decision *d3 = find (r, 3);
        if (d3 && d3->kind == SCHED_WAIT && first_t == NEVER)
            first_t = d3->start_time;
        for (int i = 0; i < sched_result_count (r); i++) {
            const struct sched_decision *d = sched_result_get (r, i);
            if (d->kind != SCHED_START)
                continue;
            start_of[d->seq] = t;
            end[nrun] = t + reqs[d->seq].r.walltime;
            run[nrun++] = sched_result_take_alloc (r, i);
        }
        sched_result_destroy (r);
    }
    assert_int_equal (start_of[1], 0);
    assert_int_equal (start_of[2], 0);
    assert_int_equal (first_t, 20);
    assert_int_equal (start_of[3], 20);
    assert_int_equal (start_of[50], 10);
    for (int t = 1; t < 20; t++)
        assert_true (start_of[100 + t] >= 25); /* after job 3 (20..25) */
    for (int i = 0; i < nrun; i++) {
        if (run[i])
            assert_int_equal (sched_snapshot_release (s, run[i]), 0);
        sched_alloc_destroy (run[i]);
    }
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

/* Conservative on two 4-core nodes: n0 is full until 100, n1 until 200.
 * Job 1 (both nodes, 50 s) is reserved at 200, n0+n1, window [200, 250).
 * Job 2 (4 cores, 50 s): at 100 n0 is free and [100, 150) misses job 1's
 * window: reserved at 100 on n0.  Job 3 (4 cores, 150 s): at 100 n0 is
 * job 2's; at 150 (job 2's reservation ends) n0 is free but [150, 300)
 * would overlap job 1's window on both nodes; at 200 likewise; at 250
 * (job 1's end) it fits: reserved at 250 on n0.  Under EASY only job 1
 * gets a reservation.  With depth 2 job 3 gets none. */
static void conservative_reserves_without_delaying_earlier_jobs (void **state)
{
    struct sched_snapshot *s = cluster (2, 4);
    struct sched_alloc *a = running (s, 91, "n0", 0, 4, 0, 100);
    struct sched_alloc *b = running (s, 92, "n1", 0, 4, 0, 200);
    struct sched_queue *q = sched_queue_create();
    struct req both, one, longer;
    submit (q, 1, 0, mkreq (&both, 2, 4, 50, RESREQ_SCATTER));
    submit (q, 2, 0, mkreq (&one, 1, 4, 50, RESREQ_FREE));
    submit (q, 3, 0, mkreq (&longer, 1, 4, 150, RESREQ_FREE));
    struct sched_result *r = pass (s, q, 0, SCHED_CONSERVATIVE, 0);
    assert_reserved (r, 1, 200, "n0,n1");
    assert_reserved (r, 2, 100, "n0");
    assert_reserved (r, 3, 250, "n0");
    sched_result_destroy (r);
    r = pass (s, q, 0, SCHED_EASY, 0);
    assert_reserved (r, 1, 200, "n0,n1");
    assert_int_equal (find (r, 2)->start_time, -1);
    assert_int_equal (find (r, 3)->start_time, -1);
    sched_result_destroy (r);
    r = pass (s, q, 0, SCHED_CONSERVATIVE, 2);
    assert_reserved (r, 2, 100, "n0");
    assert_int_equal (find (r, 3)->start_time, -1);
    sched_result_destroy (r);
    sched_alloc_destroy (a);
    sched_alloc_destroy (b);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

/* Conservative: a job that fits now starts only if it delays no earlier
 * reservation.  One 4-core node, 2 cores busy until 100.  Job 1 (4
 * cores) is reserved at 100.  Job 2 (2 cores, 200 s) would run into it:
 * it waits, naming job 1, and is itself reserved after job 1 (at 100 +
 * job 1's 10 s = 110).  Job 3 (2 cores, 50 s) ends at 50 <= 100 and delays
 * nobody: it starts. */
static void conservative_starts_only_what_delays_nobody (void **state)
{
    struct sched_snapshot *s = cluster (1, 4);
    struct sched_alloc *a = running (s, 91, "n0", 0, 2, 0, 100);
    struct sched_queue *q = sched_queue_create();
    struct req big, longer, shorter;
    submit (q, 1, 0, mkreq (&big, 1, 4, 10, RESREQ_FREE));
    submit (q, 2, 0, mkreq (&longer, 1, 2, 200, RESREQ_FREE));
    submit (q, 3, 0, mkreq (&shorter, 1, 2, 50, RESREQ_FREE));
    struct sched_result *r = pass (s, q, 0, SCHED_CONSERVATIVE, 0);
    assert_reserved (r, 1, 100, "n0");
    const struct sched_decision *d2 = find (r, 2);
    assert_int_equal (d2->kind, SCHED_WAIT);
    assert_int_equal (d2->blocker, 1);
    assert_int_equal (d2->start_time, 110);
    assert_true (started (r, 3));
    sched_result_destroy (r);
    sched_alloc_destroy (a);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

/* fcfs stops at the first job that does not fit: job 2 (1 core, 10 s)
 * would fit and end long before job 1 could start, but it is not even
 * considered; EASY backfills it. */
static void fcfs_stops_where_easy_backfills (void **state)
{
    struct sched_snapshot *s = cluster (1, 4);
    struct sched_alloc *a = running (s, 91, "n0", 0, 2, 0, 100);
    struct sched_queue *q = sched_queue_create();
    struct req big, small;
    submit (q, 1, 0, mkreq (&big, 1, 4, 10, RESREQ_FREE));
    submit (q, 2, 0, mkreq (&small, 1, 1, 10, RESREQ_FREE));
    struct sched_result *r = pass (s, q, 0, SCHED_FCFS, 0);
    assert_int_equal (find (r, 1)->kind, SCHED_WAIT);
    assert_int_equal (find (r, 1)->start_time, -1);
    assert_null (find (r, 2));
    assert_int_equal (sched_result_reserved_seq (r), -1);
    sched_result_destroy (r);
    r = pass (s, q, 0, SCHED_EASY, 0);
    assert_reserved (r, 1, 100, "n0");
    assert_true (started (r, 2));
    sched_result_destroy (r);
    sched_alloc_destroy (a);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

/* What counts as "ending": a running job past its walltime may end any
 * moment (now); one without a walltime never does.  Two 4-core nodes:
 * n0 is held by job 91 without a walltime, n1 by job 92 whose 100 s ran
 * out at t=100 (it is now 150).  Job 1 (both nodes) can never be given a
 * time: no reservation, and the reservation goes to job 2 (one node),
 * expected at 150 on n1, where job 92 is overdue.  Job 3 (1 core) has no
 * room anywhere. */
static void overdue_and_endless_jobs (void **state)
{
    struct sched_snapshot *s = cluster (2, 4);
    struct sched_alloc *a = running (s, 91, "n0", 0, 4, 0, 0);
    struct sched_alloc *b = running (s, 92, "n1", 0, 4, 0, 100);
    struct sched_queue *q = sched_queue_create();
    struct req both, one, small;
    submit (q, 1, 0, mkreq (&both, 2, 4, 50, RESREQ_SCATTER));
    submit (q, 2, 0, mkreq (&one, 1, 4, 50, RESREQ_FREE));
    submit (q, 3, 0, mkreq (&small, 1, 1, 50, RESREQ_FREE));
    struct sched_result *r = pass (s, q, 150, SCHED_EASY, 0);
    assert_int_equal (find (r, 1)->kind, SCHED_WAIT);
    assert_int_equal (find (r, 1)->start_time, -1);
    assert_reserved (r, 2, 150, "n1");
    assert_int_equal (sched_result_reserved_seq (r), 2);
    assert_int_equal (find (r, 3)->kind, SCHED_WAIT);
    sched_result_destroy (r);
    assert_int_equal (sched_snapshot_release (s, a), 0);
    sched_alloc_destroy (a);
    sched_alloc_destroy (b);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

/* An exclusive job frees its whole node, not only the cores it asked
 * for.  One 4-core node; job 91 holds it exclusively with 1 core until
 * 100.  Job 1 (4 cores) cannot start at 10: reserved at T=100 on n0.
 * (The search skips candidate times at which the freed cores could not
 * add up to what the job needs without asking the placer; counting only
 * job 91's one core would skip 100 too and find no time at all.)  The
 * same with two GPUs: job 92 holds node g0 exclusively with 1 core and
 * no GPU until 50; job 2 asks for both GPUs: reserved at 50. */
static void exclusive_jobs_free_their_nodes (void **state)
{
    (void)state;
    struct sched_snapshot *s = cluster (1, 4);
    int ids[1] = {0};
    static int pus[2] = {0, 1};
    struct sched_core_desc cores[2] = {{.os_index = 0, .numa = 0, .npus = 1, .pus = &pus[0]},
                                       {.os_index = 1, .numa = 0, .npus = 1, .pus = &pus[1]}};
    int local[2] = {0, 1};
    struct sched_gpu_desc gpus[2] = {{0, 0, 2, local, 0}, {1, 0, 2, local, 0}};
    struct sched_node_desc d = {.name = "g0",
                                .usable = true,
                                .mem = 64 * GiB,
                                .ncores = 2,
                                .cores = cores,
                                .ngpus = 2,
                                .gpus = gpus};
    assert_int_equal (sched_snapshot_add_node (s, &d), 0);
    struct sched_alloc *x[2];
    const char *node[2] = {"n0", "g0"};
    int64_t wall[2] = {100, 50};
    for (int i = 0; i < 2; i++) {
        struct rset_node part = {.name = node[i], .ncores = 1, .cores = ids, .npus = 1, .pus = ids};
        assert_non_null (x[i] = sched_alloc_create (91 + i));
        assert_int_equal (sched_alloc_add (x[i], &part), 0);
        sched_alloc_set_exclusive (x[i], true);
        sched_alloc_set_window (x[i], 0, wall[i]);
        assert_int_equal (sched_snapshot_claim (s, x[i]), 0);
    }
    struct sched_queue *q = sched_queue_create();
    struct req four;
    submit (q, 1, 0, mkreq (&four, 1, 4, 50, RESREQ_FREE));
    struct sched_result *r = pass (s, q, 10, SCHED_EASY, 0);
    assert_reserved (r, 1, 100, "n0");
    sched_result_destroy (r);
    assert_int_equal (sched_queue_remove (q, 1), 0);
    struct req two = {.c = {.count = 1, .ncpus = 1, .ngpus = 2, .mpiprocs = 1}};
    two.r = (struct resreq){.nchunks = 1, .chunks = &two.c, .walltime = 50, .switches_wait = -1};
    submit (q, 2, 0, &two);
    r = pass (s, q, 10, SCHED_EASY, 0);
    assert_reserved (r, 2, 50, "g0");
    sched_result_destroy (r);
    for (int i = 0; i < 2; i++) {
        assert_int_equal (sched_snapshot_release (s, x[i]), 0);
        sched_alloc_destroy (x[i]);
    }
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

/* Reservations are placements by the same engine.  A fabric of two
 * leaves (n0,n1 | n2,n3); n0 and n2 are busy until 100, n1 until 200, n3
 * is free.  A 2-node scatter job: at 100 n0, n2 and n3 are free and the
 * fabric step takes the one leaf that holds it, n2,n3.  Then n3 is taken
 * until 300: at 100 only n0 and n2 are free, on two leaves.  With
 * group=switch the job must wait for one leaf: reserved at 200 on n0,n1;
 * the same job without the constraint (conservative, after it) spans the
 * two leaves at 100, since [100, 150) misses the first one's window. */
static void reservations_follow_the_fabric (void **state)
{
    struct sched_snapshot *s = cluster (4, 4);
    const char *names[] = {"n0", "n1", "n2", "n3"};
    struct sched_fabric_group g[] = {{0, 2, 0}, {2, 2, 0}};
    struct sched_fabric f = {4, names, 2, g};
    assert_int_equal (sched_snapshot_set_fabric (s, &f), 0);
    struct sched_alloc *a = running (s, 91, "n0", 0, 4, 0, 100);
    struct sched_alloc *b = running (s, 92, "n1", 0, 4, 0, 200);
    struct sched_alloc *c = running (s, 93, "n2", 0, 4, 0, 100);
    struct sched_queue *q = sched_queue_create();
    struct req two, leaf;
    mkreq (&two, 2, 4, 50, RESREQ_SCATTER);
    mkreq (&leaf, 2, 4, 50, RESREQ_SCATTER);
    leaf.r.group_switch = true;
    submit (q, 1, 0, &two);
    struct sched_result *r = pass (s, q, 0, SCHED_EASY, 0);
    assert_reserved (r, 1, 100, "n2,n3");
    sched_result_destroy (r);
    assert_int_equal (sched_queue_remove (q, 1), 0);
    /* now n3 is taken until 300: at 100 only n0 and n2 are free, on two
     * leaves; group=switch waits for n0,n1 at 200 */
    struct sched_alloc *d = running (s, 94, "n3", 0, 4, 0, 300);
    submit (q, 2, 0, &leaf);
    submit (q, 3, 0, &two);
    r = pass (s, q, 0, SCHED_CONSERVATIVE, 0);
    assert_reserved (r, 2, 200, "n0,n1");
    assert_reserved (r, 3, 100, "n0,n2");
    sched_result_destroy (r);
    sched_alloc_destroy (a);
    sched_alloc_destroy (b);
    sched_alloc_destroy (c);
    sched_alloc_destroy (d);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

/* ---- a random workload in virtual time ---- */

static unsigned long rng = 12345;
static int rnd (int n)
{
    rng = rng * 6364136223846793005UL + 1442695040888963407UL;
    return (int)((rng >> 33) % (unsigned long)n);
}

struct job {
    struct req rq;
    int64_t submit, first_t, start, end;
    struct sched_alloc *a;
};

/* The start in decision I (ending at END) uses no node of a reservation
 * made before it in the pass that starts before END. */
static void assert_no_reservation_delayed (const struct sched_result *r, int i, int64_t end)
{
    const struct sched_alloc *a = sched_result_get (r, i)->alloc;
    for (int k = 0; k < i; k++) {
        const struct sched_decision *d = sched_result_get (r, k);
        if (!d->plan || d->start_time >= end)
            continue;
        for (int x = 0; x < sched_alloc_nnodes (a); x++) {
            for (int y = 0; y < sched_alloc_nnodes (d->plan); y++)
                assert_string_not_equal (sched_alloc_node (a, x)->name,
                                         sched_alloc_node (d->plan, y)->name);
        }
    }
}

/* Random jobs (1..4 chunks of 1..8 cores, free or scatter, 5..60 s, all
 * of one priority, submitted over time) on 8 nodes of 8 cores under two
 * leaf switches, each ending exactly at its walltime.  After every pass:
 * no core is held twice (the snapshot's own check, and an owner map of
 * the allocations); no job starts on the nodes of a reservation made
 * before it in the pass that begins before it would end; and the job
 * holding a pass's first reservation (EASY: the only one) starts no later
 * than that first promise.  (Under conservative a job's later
 * reservations may move: when an earlier reserved job starts it holds
 * cores, not whole nodes, and the jobs between may then move up into a
 * later one's window.) */
static void random_workload (enum sched_policy policy)
{
    enum { NJOBS = 300, NN = 8, CPN = 8 };
    struct sched_snapshot *s = cluster (NN, CPN);
    const char *names[NN] = {"n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7"};
    struct sched_fabric_group g[] = {{0, 4, 0}, {4, 4, 0}};
    struct sched_fabric f = {NN, names, 2, g};
    assert_int_equal (sched_snapshot_set_fabric (s, &f), 0);
    struct sched_queue *q = sched_queue_create();
    static struct job jobs[NJOBS];
    int submitted = 0, done = 0, reserved = 0, promised = 0;
    for (int i = 0; i < NJOBS; i++) {
        struct job *j = &jobs[i];
        mkreq (&j->rq, 1 + rnd (4), 1 + rnd (8), 5 + rnd (56),
               rnd (2) ? RESREQ_SCATTER : RESREQ_FREE);
        j->submit = i / 3;
        j->first_t = j->start = NEVER;
        j->a = NULL;
    }
    for (int64_t t = 0; done < NJOBS && t < 100000; t++) {
        for (int i = 0; i < NJOBS; i++) {
            if (jobs[i].a && jobs[i].end <= t) {
                assert_int_equal (sched_snapshot_release (s, jobs[i].a), 0);
                sched_alloc_destroy (jobs[i].a);
                jobs[i].a = NULL;
                done++;
            }
        }
        while (submitted < NJOBS && jobs[submitted].submit <= t) {
            submit (q, submitted + 1, t, &jobs[submitted].rq);
            submitted++;
        }
        struct sched_result *r = pass (s, q, t, policy, 0);
        for (int i = 0; i < sched_result_count (r); i++) {
            const struct sched_decision *d = sched_result_get (r, i);
            struct job *j = &jobs[d->seq - 1];
            assert_int_not_equal (d->kind, SCHED_NEVER);
            if (d->kind == SCHED_WAIT && d->start_time >= 0) {
                assert_true (d->start_time >= t);
                reserved++;
                if (d->seq == sched_result_reserved_seq (r) && j->first_t == NEVER)
                    j->first_t = d->start_time;
            }
            if (d->kind != SCHED_START)
                continue;
            assert_no_reservation_delayed (r, i, t + j->rq.r.walltime);
            j->start = t;
            j->end = t + j->rq.r.walltime;
            j->a = sched_result_take_alloc (r, i);
            assert_true (j->first_t == NEVER || t <= j->first_t);
            promised += j->first_t != NEVER;
        }
        sched_result_destroy (r);
        int owner[NN][CPN];
        memset (owner, 0, sizeof (owner));
        for (int i = 0; i < NJOBS; i++) {
            for (int k = 0; jobs[i].a && k < sched_alloc_nnodes (jobs[i].a); k++) {
                const struct rset_node *e = sched_alloc_node (jobs[i].a, k);
                for (int c = 0; c < e->ncores; c++) {
                    assert_int_equal (owner[e->name[1] - '0'][e->cores[c]], 0);
                    owner[e->name[1] - '0'][e->cores[c]] = i + 1;
                }
            }
        }
    }
    assert_int_equal (done, NJOBS);
    assert_true (reserved > 100); /* the workload did exercise reservations */
    assert_true (promised > 20);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

static void random_workload_easy (void **state)
{
    random_workload (SCHED_EASY);
}

static void random_workload_conservative (void **state)
{
    random_workload (SCHED_CONSERVATIVE);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (easy_backfills_only_jobs_that_end_before_t),
        cmocka_unit_test (easy_long_jobs_keep_off_reserved_nodes),
        cmocka_unit_test (easy_reserved_job_starts_at_t),
        cmocka_unit_test (conservative_reserves_without_delaying_earlier_jobs),
        cmocka_unit_test (conservative_starts_only_what_delays_nobody),
        cmocka_unit_test (fcfs_stops_where_easy_backfills),
        cmocka_unit_test (overdue_and_endless_jobs),
        cmocka_unit_test (exclusive_jobs_free_their_nodes),
        cmocka_unit_test (reservations_follow_the_fabric),
        cmocka_unit_test (random_workload_easy),
        cmocka_unit_test (random_workload_conservative),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
