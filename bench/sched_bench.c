/* sched_bench - one scheduling pass of scheduler/core, timed, no daemons
 *
 *   bench/sched_bench [--passes N]
 *
 * Prints a JSON array, one object per case and size.
 *
 * Drives the pure core (snapshot + queue + sched_pass) the way huddle-ctld
 * does, with the controller's default limits (max_jobs_per_pass 10000,
 * starvation_limit 24 h), and prints one JSON object per case and size:
 *
 *   none_fits  every node has 63 of its 64 cores taken, the queue holds
 *              QUEUED jobs of select=1:ncpus=2: nothing starts.  The pass a
 *              controller runs after every job end on a full cluster.
 *   all_start  an idle cluster, QUEUED jobs of select=1:ncpus=1: all start.
 *
 * Sizes: 1,000 and 10,000 nodes of 64 cores (one NUMA domain, one PU per
 * core), 10,000 queued jobs each, so the growth with the node count shows.
 * Only sched_pass() is timed (CLOCK_MONOTONIC); building the cluster, the
 * queue, and undoing the starts between all_start passes are not.  Each case
 * runs --passes times (default 101) on the same snapshot and queue; the first
 * pass is included (it answers "could this job ever fit" for every job, later
 * passes reuse the answer, as the controller's do).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/benchstat.h"
#include "scheduler/core/pass.h"
#include "scheduler/core/queue.h"
#include "scheduler/core/snapshot.h"

#define CORES  64
#define QUEUED 10000
#define NOW    1000000

static void die (const char *what)
{
    fprintf (stderr, "sched_bench: %s: %s\n", what, strerror (errno));
    exit (1);
}

static double now_ms (void)
{
    return bench_now_us() / 1e3;
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

static void run_case (const char *name, int nnodes, int passes, bool first)
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
        double t0 = now_ms();
        struct sched_result *r = sched_pass (s, q, NOW, &limits);
        ms[p] = now_ms() - t0;
        if (!r)
            die ("sched_pass");
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
    double median, p99;
    bench_stats (ms, passes, &median, &p99);
    printf ("%s{\"case\":\"%s\",\"nodes\":%d,\"cores_per_node\":%d,\"queued\":%d,\"started\":%d,"
            "\"passes\":%d,\"median_ms\":%.3f,\"p99_ms\":%.3f,\"min_ms\":%.3f,\"max_ms\":%.3f}",
            first ? "[\n" : ",\n", name, nnodes, CORES, QUEUED, started, passes, median, p99, ms[0],
            ms[passes - 1]);
    fflush (stdout);
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
    if (argc == 3 && strcmp (argv[1], "--passes") == 0 && atoi (argv[2]) > 0)
        passes = atoi (argv[2]);
    else if (argc != 1) {
        fprintf (stderr, "usage: sched_bench [--passes N]\n");
        return 2;
    }
    const int sizes[] = {1000, 10000};
    const char *cases[] = {"none_fits", "all_start"};
    for (int c = 0; c < 2; c++) {
        for (int k = 0; k < 2; k++)
            run_case (cases[c], sizes[k], passes, c == 0 && k == 0);
    }
    printf ("\n]\n");
    return 0;
}
