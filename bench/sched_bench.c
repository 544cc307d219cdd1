/* sched_bench - one scheduling pass of scheduler/core, timed, no daemons
 *
 *   bench/sched_bench [--passes N] [--cpu] [--case NAME]
 *
 * Prints a JSON array, one object per case and size.
 *
 * Drives the pure core (snapshot + queue + sched_pass) the way huddle-ctld
 * does, with the controller's default limits (max_jobs_per_pass 10000,
 * sched_policy easy), and prints one JSON object per case and size:
 *
 *   none_fits  every node has 63 of its 64 cores taken, the queue holds
 *              QUEUED jobs of select=1:ncpus=2: nothing starts.  The pass a
 *              controller runs after every job end on a full cluster.
 *   all_start  an idle cluster, QUEUED jobs of select=1:ncpus=1: all start.
 *
 * Sizes: 1,000 and 10,000 nodes of 64 cores (one NUMA domain, one PU per
 * core), 10,000 queued jobs each, so the growth with the node count shows.
 *
 * And two EASY backfill cases on 10,000 nodes of 64 cores under a 3-level
 * fabric (250 leaf switches of 40 nodes, 25 spine switches of 10 leaves,
 * the root), half busy: node i runs one job holding 0, 16, 32, 48 or 64 of
 * its cores (in turn), expected to end 1 min..48 h from now.  The queue
 * holds BF_QUEUED jobs of mixed shapes (select=N:ncpus=C, N 1 (60%),
 * 2..16 (30%) or 32..256 (10%); C 1, 4, 16 or 64; place free or scatter;
 * walltime 10 min..48 h), from a fixed seed:
 *
 *   easy_whole_queue  max_jobs 0: the pass looks at all 100,000 jobs,
 *                     starts what fits, reserves for the first that does
 *                     not, backfills around it.
 *   easy_depth_1000   the same, max_jobs 1000.
 *
 * Between passes the starts are undone (released, queued again), so every
 * pass sees the same cluster and queue; --passes applies to them divided
 * by 10 (at least 3), since one pass of the whole queue is long.
 * Only sched_pass() is timed (CLOCK_MONOTONIC; with --cpu the thread's CPU
 * time, CLOCK_THREAD_CPUTIME_ID, for a machine other work shares); building the cluster, the
 * queue, and undoing the starts between all_start passes are not.  Each case
 * runs --passes times (default 101) on the same snapshot and queue; the first
 * pass is included (it answers "could this job ever fit" for every job, later
 * passes reuse the answer, as the controller's do).  --case NAME runs only
 * that case (all its sizes), for a profiler.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/benchstat.h"
#include "scheduler/core/fabric.h"
#include "scheduler/core/pass.h"
#include "scheduler/core/queue.h"
#include "scheduler/core/snapshot.h"

#define CORES     64
#define QUEUED    10000
#define NOW       1000000
#define BF_NODES  10000
#define BF_QUEUED 100000
#define BF_LEAF   40 /* nodes per leaf switch */
#define BF_SPINE  10 /* leaves per spine switch */

static void die (const char *what)
{
    fprintf (stderr, "sched_bench: %s: %s\n", what, strerror (errno));
    exit (1);
}

static bool cpu_clock; /* --cpu: time the thread's CPU, not the wall */

static double now_ms (void)
{
    if (!cpu_clock)
        return bench_now_us() / 1e3;
    struct timespec ts;
    clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static struct sched_snapshot *build_cluster (int nnodes)
{
    static int pus[CORES];
    struct sched_core_desc cores[CORES];
    for (int c = 0; c < CORES; c++) {
        pus[c] = c;
        cores[c] = (struct sched_core_desc){.os_index = c, .numa = 0, .npus = 1, .pus = &pus[c]};
    }
    struct sched_snapshot *s = sched_snapshot_create();
    if (!s)
        die ("sched_snapshot_create");
    for (int i = 0; i < nnodes; i++) {
        char name[32];
        snprintf (name, sizeof (name), "n%05d", i);
        struct sched_node_desc d = {.name = name,
                                    .usable = true,
                                    .mem = UINT64_C (256) << 30,
                                    .ncores = CORES,
                                    .cores = cores};
        if (sched_snapshot_add_node (s, &d) < 0)
            die ("sched_snapshot_add_node");
    }
    return s;
}

/* Take 63 cores of every node for job -2 (what running jobs would hold). */
static struct sched_alloc *fill_all_but_one (struct sched_snapshot *s, int nnodes)
{
    int taken[CORES - 1];
    for (int c = 0; c < CORES - 1; c++)
        taken[c] = c;
    struct sched_alloc *a = sched_alloc_create (2000000000);
    if (!a)
        die ("sched_alloc_create");
    for (int i = 0; i < nnodes; i++) {
        char name[32];
        snprintf (name, sizeof (name), "n%05d", i);
        struct rset_node part = {
            .name = name, .ncores = CORES - 1, .cores = taken, .npus = CORES - 1, .pus = taken};
        if (sched_alloc_add (a, &part) < 0)
            die ("sched_alloc_add");
    }
    if (sched_snapshot_claim (s, a) < 0)
        die ("sched_snapshot_claim");
    return a;
}

static void queue_jobs (struct sched_queue *q, int ncpus)
{
    struct resreq_chunk chunk = {.count = 1, .ncpus = ncpus, .mpiprocs = 1};
    struct resreq req = {.nchunks = 1, .chunks = &chunk};
    for (int i = 1; i <= QUEUED; i++) {
        struct sched_job j = {.seq = i, .eligible_time = NOW, .req = &req};
        if (sched_queue_add (q, &j) < 0)
            die ("sched_queue_add");
    }
}

/* Put every started job back: release its allocation, queue it again. */
static void undo_starts (struct sched_snapshot *s, struct sched_queue *q, struct sched_result *r)
{
    struct resreq_chunk chunk = {.count = 1, .ncpus = 1, .mpiprocs = 1};
    struct resreq req = {.nchunks = 1, .chunks = &chunk};
    for (int i = 0; i < sched_result_count (r); i++) {
        const struct sched_decision *d = sched_result_get (r, i);
        if (d->kind != SCHED_START)
            continue;
        struct sched_job j = {.seq = d->seq, .eligible_time = NOW, .req = &req};
        if (sched_snapshot_release (s, d->alloc) < 0 || sched_queue_add (q, &j) < 0)
            die ("undoing a start");
    }
}

/* One timed pass (only sched_pass is timed): the result, its time in *MS. */
static struct sched_result *timed_pass (struct sched_snapshot *s, struct sched_queue *q,
                                        const struct sched_limits *limits, double *ms)
{
    double t0 = now_ms();
    struct sched_result *r = sched_pass (s, q, NOW, limits);
    *ms = now_ms() - t0;
    if (!r)
        die ("sched_pass");
    return r;
}

/* One case's JSON object; sorts MS. */
static void print_case (const char *name, int nnodes, int queued, int started, double *ms,
                        int passes)
{
    static bool first = true;
    double median, p99;
    bench_stats (ms, passes, &median, &p99);
    printf ("%s{\"case\":\"%s\",\"nodes\":%d,\"cores_per_node\":%d,\"queued\":%d,\"started\":%d,"
            "\"passes\":%d,\"median_ms\":%.3f,\"p99_ms\":%.3f,\"min_ms\":%.3f,\"max_ms\":%.3f}",
            first ? "[\n" : ",\n", name, nnodes, CORES, queued, started, passes, median, p99, ms[0],
            ms[passes - 1]);
    first = false;
    fflush (stdout);
}

/* ---- the backfill cases ---- */

static unsigned long rng = 20261201;
static int rnd (int n)
{
    rng = rng * 6364136223846793005UL + 1442695040888963407UL;
    return (int)((rng >> 33) % (unsigned long)n);
}

static void node_name (char *buf, size_t len, int i)
{
    snprintf (buf, len, "n%05d", i);
}

/* The 3-level tree over the nodes in name order. */
static void set_tree (struct sched_snapshot *s, int nnodes)
{
    char (*names)[16] = calloc ((size_t)nnodes, sizeof (*names));
    const char **v = calloc ((size_t)nnodes, sizeof (*v));
    int nleaves = (nnodes + BF_LEAF - 1) / BF_LEAF;
    int nspines = (nleaves + BF_SPINE - 1) / BF_SPINE;
    struct sched_fabric_group *g = calloc ((size_t)(nleaves + nspines), sizeof (*g));
    if (!names || !v || !g)
        die ("calloc");
    for (int i = 0; i < nnodes; i++) {
        node_name (names[i], sizeof (names[i]), i);
        v[i] = names[i];
    }
    int ng = 0;
    for (int l = 0; l < nleaves; l++) {
        int first = l * BF_LEAF;
        int count = first + BF_LEAF > nnodes ? nnodes - first : BF_LEAF;
        g[ng++] = (struct sched_fabric_group){first, count, 0};
    }
    for (int k = 0; k < nspines; k++) {
        int first = k * BF_SPINE * BF_LEAF;
        int count = first + BF_SPINE * BF_LEAF > nnodes ? nnodes - first : BF_SPINE * BF_LEAF;
        g[ng++] = (struct sched_fabric_group){first, count, 1};
    }
    struct sched_fabric f = {nnodes, v, ng, g};
    if (sched_snapshot_set_fabric (s, &f) < 0)
        die ("sched_snapshot_set_fabric");
    free (names);
    free (v);
    free (g);
}

/* Half the cores busy, one running job per node with cores, each with
 * its window (as the controller claims restored allocations). */
static struct sched_alloc **run_half (struct sched_snapshot *s, int nnodes)
{
    struct sched_alloc **run = calloc ((size_t)nnodes, sizeof (*run));
    int ids[CORES];
    if (!run)
        die ("calloc");
    for (int c = 0; c < CORES; c++)
        ids[c] = c;
    for (int i = 0; i < nnodes; i++) {
        int used = (i % 5) * CORES / 4;
        if (used == 0)
            continue;
        char name[16];
        node_name (name, sizeof (name), i);
        struct rset_node part = {
            .name = name, .ncores = used, .cores = ids, .npus = used, .pus = ids};
        if (!(run[i] = sched_alloc_create (3000000 + i)) || sched_alloc_add (run[i], &part) < 0)
            die ("sched_alloc");
        sched_alloc_set_window (run[i], NOW - 60, 120 + rnd (48 * 3600));
        if (sched_snapshot_claim (s, run[i]) < 0)
            die ("sched_snapshot_claim");
    }
    return run;
}

struct bf_job {
    struct resreq req;
    struct resreq_chunk chunk;
};

static struct bf_job *mixed_jobs (int n)
{
    static const int ncpus[] = {1, 4, 16, 64};
    struct bf_job *v = calloc ((size_t)n, sizeof (*v));
    if (!v)
        die ("calloc");
    for (int i = 0; i < n; i++) {
        int k = rnd (10);
        int count = k < 6 ? 1 : k < 9 ? 2 + rnd (15) : 32 + rnd (225);
        v[i].chunk = (struct resreq_chunk){.count = count, .ncpus = ncpus[rnd (4)], .mpiprocs = 1};
        v[i].req = (struct resreq){.nchunks = 1,
                                   .chunks = &v[i].chunk,
                                   .arrangement = rnd (2) ? RESREQ_SCATTER : RESREQ_FREE,
                                   .walltime = 600 + rnd (48 * 3600),
                                   .switches_wait = -1};
    }
    return v;
}

static void queue_mixed (struct sched_queue *q, struct bf_job *v, int n)
{
    for (int i = 0; i < n; i++) {
        struct sched_job j = {.seq = i + 1, .eligible_time = NOW, .req = &v[i].req};
        if (sched_queue_add (q, &j) < 0)
            die ("sched_queue_add");
    }
}

static void run_backfill_case (const char *name, int max_jobs, int passes)
{
    struct sched_snapshot *s = build_cluster (BF_NODES);
    set_tree (s, BF_NODES);
    struct sched_alloc **run = run_half (s, BF_NODES);
    struct bf_job *jobs = mixed_jobs (BF_QUEUED);
    struct sched_queue *q = sched_queue_create();
    if (!q)
        die ("sched_queue_create");
    queue_mixed (q, jobs, BF_QUEUED);
    struct sched_limits limits = {.max_jobs = max_jobs, .policy = SCHED_EASY};
    double *ms = calloc ((size_t)passes + 1, sizeof (double));
    int started = 0;
    if (!ms)
        die ("calloc");
    for (int p = 0; p < passes; p++) {
        struct sched_result *r = timed_pass (s, q, &limits, &ms[p]);
        if (sched_result_reserved_seq (r) < 0) {
            fprintf (stderr, "sched_bench: %s made no reservation\n", name);
            exit (1);
        }
        started = 0;
        if (sched_result_considered (r) != (max_jobs > 0 ? max_jobs : BF_QUEUED)) {
            fprintf (stderr, "sched_bench: %s considered %d jobs\n", name,
                     sched_result_considered (r));
            exit (1);
        }
        for (int i = 0; i < sched_result_count (r); i++) {
            const struct sched_decision *d = sched_result_get (r, i);
            if (d->kind != SCHED_START)
                continue;
            started++;
            struct sched_job j = {
                .seq = d->seq, .eligible_time = NOW, .req = &jobs[d->seq - 1].req};
            if (sched_snapshot_release (s, d->alloc) < 0 || sched_queue_add (q, &j) < 0)
                die ("undoing a start");
        }
        sched_result_destroy (r);
    }
    if (passes > 0)
        print_case (name, BF_NODES, BF_QUEUED, started, ms, passes);
    free (ms);
    for (int i = 0; i < BF_NODES; i++)
        sched_alloc_destroy (run[i]);
    free (run);
    free (jobs);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

static void run_case (const char *name, int nnodes, int passes)
{
    bool all_start = strcmp (name, "all_start") == 0;
    struct sched_snapshot *s = build_cluster (nnodes);
    struct sched_alloc *fill = all_start ? NULL : fill_all_but_one (s, nnodes);
    struct sched_queue *q = sched_queue_create();
    if (!q)
        die ("sched_queue_create");
    queue_jobs (q, all_start ? 1 : 2);
    struct sched_limits limits = {.max_jobs = 10000};
    double *ms = calloc ((size_t)passes, sizeof (double));
    int started = 0;
    if (!ms)
        die ("calloc");
    for (int p = 0; p < passes; p++) {
        struct sched_result *r = timed_pass (s, q, &limits, &ms[p]);
        started = 0;
        for (int i = 0; i < sched_result_count (r); i++)
            started += sched_result_get (r, i)->kind == SCHED_START;
        if (started != (all_start ? QUEUED : 0)) {
            fprintf (stderr, "sched_bench: %s on %d nodes started %d jobs\n", name, nnodes,
                     started);
            exit (1);
        }
        undo_starts (s, q, r);
        sched_result_destroy (r);
    }
    print_case (name, nnodes, QUEUED, started, ms, passes);
    free (ms);
    if (fill)
        (void)sched_snapshot_release (s, fill);
    sched_alloc_destroy (fill);
    sched_queue_destroy (q);
    sched_snapshot_destroy (s);
}

int main (int argc, char **argv)
{
    int passes = 101;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--passes") == 0 && i + 1 < argc && atoi (argv[i + 1]) > 0)
            passes = atoi (argv[++i]);
        else if (strcmp (argv[i], "--cpu") == 0)
            cpu_clock = true;
        else if (strcmp (argv[i], "--case") == 0 && i + 1 < argc)
            only = argv[++i];
        else {
            fprintf (stderr, "usage: sched_bench [--passes N] [--cpu] [--case NAME]\n");
            return 2;
        }
    }
    const int sizes[] = {1000, 10000};
    const char *cases[] = {"none_fits", "all_start"};
    for (int c = 0; c < 2; c++) {
        for (int k = 0; k < 2 && (!only || strcmp (only, cases[c]) == 0); k++)
            run_case (cases[c], sizes[k], passes);
    }
    /* a case left out still draws its random cluster and queue (0
     * passes), so that the next one gets the jobs it gets in a full run */
    int bf_passes = passes / 10 < 3 ? 3 : passes / 10;
    bool whole = !only || strcmp (only, "easy_whole_queue") == 0;
    bool depth = !only || strcmp (only, "easy_depth_1000") == 0;
    if (whole || depth)
        run_backfill_case ("easy_whole_queue", 0, whole ? bf_passes : 0);
    if (depth)
        run_backfill_case ("easy_depth_1000", 1000, bf_passes);
    printf ("%s\n]\n",
            only && !strstr ("none_fits all_start easy_whole_queue easy_depth_1000", only) ? "["
                                                                                           : "");
    return 0;
}
