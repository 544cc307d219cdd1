/* placement_bench - placing one multi-node job on a switch tree, timed
 *
 *   bench/placement_bench
 *
 * No daemons, no arguments.  Prints a JSON array, one object per case:
 * cluster_nodes, job_nodes, median_us, p99_us (and the details behind
 * them).
 *
 * Clusters: 1,024, 4,096 and 16,384 nodes of 64 cores on a 3-level tree
 * (leaf switches of 32 nodes, 8 leaves under each spine switch, the
 * spines under the root), handed to the core as a fabric
 * (scheduler/core/fabric.h), nodes named so that name order is not fabric
 * order.  Occupancy 50 %: every node has a uniformly random number of its
 * cores (0..64) taken by a running job (fixed seed, so every run sees the
 * same cluster).  Jobs: 1, 64 and 512 chunks of ncpus=32 (place=free, the
 * default), i.e. up to 512 nodes' worth of half nodes.
 *
 * What is timed: one sched_pass() with that one job queued, as the
 * controller runs it (scratch sized for the cluster, the fabric step,
 * choosing the cores, claiming them), then the start is undone (not
 * timed) so every repetition sees the same cluster.  REPS repetitions;
 * median and 99th percentile in microseconds.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/benchstat.h"
#include "scheduler/core/fabric.h"
#include "scheduler/core/pass.h"
#include "scheduler/core/queue.h"
#include "scheduler/core/snapshot.h"

#define CORES        64
#define LEAF_NODES   32
#define SPINE_LEAVES 8
#define REPS         201
#define NOW          1000000

static void die (const char *what)
{
    fprintf (stderr, "placement_bench: %s: %s\n", what, strerror (errno));
    exit (1);
}

static uint64_t rng = 0x2545f4914f6cdd1dull;
static unsigned rnd (unsigned n)
{
    rng ^= rng << 13; /* xorshift64 */
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* Node I in fabric order is named so that name order differs: the
 * position's bits reversed within the node count's. */
static void node_name (int i, int nnodes, char *buf, size_t len)
{
    int bits = 0, r = 0;
    while ((1 << bits) < nnodes)
        bits++;
    for (int b = 0; b < bits; b++)
        r |= ((i >> b) & 1) << (bits - 1 - b);
    snprintf (buf, len, "n%06d", r);
}

struct cluster {
    struct sched_snapshot *s;
    struct sched_alloc *busy; /* what the running jobs hold */
};

static struct cluster build (int nnodes)
{
    static int ids[CORES];
    struct sched_core_desc cores[CORES];
    for (int c = 0; c < CORES; c++) {
        ids[c] = c;
        cores[c] = (struct sched_core_desc){.os_index = c, .numa = 0, .npus = 1, .pus = &ids[c]};
    }
    struct cluster cl = {sched_snapshot_create(), sched_alloc_create (2000000000)};
    char **names = calloc ((size_t)nnodes, sizeof (char *));
    if (!cl.s || !cl.busy || !names)
        die ("out of memory");
    for (int i = 0; i < nnodes; i++) {
        char name[32];
        node_name (i, nnodes, name, sizeof (name));
        if (!(names[i] = strdup (name)))
            die ("strdup");
        struct sched_node_desc d = {.name = name,
                                    .usable = true,
                                    .mem = UINT64_C (256) << 30,
                                    .ncores = CORES,
                                    .cores = cores};
        if (sched_snapshot_add_node (cl.s, &d) < 0)
            die ("sched_snapshot_add_node");
        int used = (int)rnd (CORES + 1);
        if (used > 0) {
            struct rset_node part = {
                .name = name, .ncores = used, .cores = ids, .npus = used, .pus = ids};
            if (sched_alloc_add (cl.busy, &part) < 0)
                die ("sched_alloc_add");
        }
    }
    int nleaves = nnodes / LEAF_NODES, nspines = nleaves / SPINE_LEAVES;
    struct sched_fabric_group *g = calloc ((size_t)(nleaves + nspines), sizeof (*g));
    if (!g)
        die ("calloc");
    for (int l = 0; l < nleaves; l++)
        g[l] = (struct sched_fabric_group){l * LEAF_NODES, LEAF_NODES, 0};
    for (int k = 0; k < nspines; k++)
        g[nleaves + k] = (struct sched_fabric_group){k * SPINE_LEAVES * LEAF_NODES,
                                                     SPINE_LEAVES * LEAF_NODES, 1};
    struct sched_fabric f = {nnodes, (const char *const *)names, nleaves + nspines, g};
    if (sched_snapshot_set_fabric (cl.s, &f) < 0)
        die ("sched_snapshot_set_fabric");
    if (sched_snapshot_claim (cl.s, cl.busy) < 0)
        die ("sched_snapshot_claim");
    for (int i = 0; i < nnodes; i++)
        free (names[i]);
    free (names);
    free (g);
    return cl;
}

static void run_case (struct cluster *cl, int nnodes, int job_nodes, bool first)
{
    struct resreq_chunk chunk = {.count = job_nodes, .ncpus = CORES / 2, .mpiprocs = 1};
    struct resreq req = {.nchunks = 1, .chunks = &chunk, .switches_wait = -1};
    struct sched_limits limits = {.max_jobs = 10000, .starvation_limit = 86400};
    struct sched_queue *q = sched_queue_create();
    double us[REPS];
    int spanned = 0, level = 0, used_nodes = 0;
    if (!q)
        die ("sched_queue_create");
    for (int rep = 0; rep < REPS; rep++) {
        struct sched_job j = {.seq = 1, .eligible_time = NOW, .req = &req};
        if (sched_queue_add (q, &j) < 0)
            die ("sched_queue_add");
        double t0 = bench_now_us();
        struct sched_result *r = sched_pass (cl->s, q, NOW, &limits);
        us[rep] = bench_now_us() - t0;
        if (!r)
            die ("sched_pass");
        struct sched_alloc *a = sched_result_take_alloc (r, 0);
        if (!a) {
            fprintf (stderr, "placement_bench: %d chunks on %d nodes did not start\n", job_nodes,
                     nnodes);
            exit (1);
        }
        used_nodes = sched_alloc_nnodes (a);
        const char **names = malloc ((size_t)used_nodes * sizeof (char *));
        if (!names)
            die ("malloc");
        for (int k = 0; k < used_nodes; k++)
            names[k] = sched_alloc_node (a, k)->name;
        if (sched_snapshot_span (cl->s, names, used_nodes, &spanned, &level) < 0)
            die ("sched_snapshot_span");
        free (names);
        if (sched_snapshot_release (cl->s, a) < 0)
            die ("sched_snapshot_release");
        sched_alloc_destroy (a);
        sched_result_destroy (r);
    }
    double median, p99;
    bench_stats (us, REPS, &median, &p99);
    printf ("%s{\"case\":\"place_one_job\",\"cluster_nodes\":%d,\"job_nodes\":%d,"
            "\"chunk_ncpus\":%d,\"occupancy\":0.5,\"nodes_used\":%d,\"leaves_spanned\":%d,"
            "\"common_switch_level\":%d,\"reps\":%d,\"median_us\":%.1f,\"p99_us\":%.1f,"
            "\"min_us\":%.1f,\"max_us\":%.1f}",
            first ? "[\n" : ",\n", nnodes, job_nodes, CORES / 2, used_nodes, spanned, level, REPS,
            median, p99, us[0], us[REPS - 1]);
    fflush (stdout);
    sched_queue_destroy (q);
}

int main (int argc, char **argv)
{
    (void)argv;
    if (argc != 1) {
        fprintf (stderr, "usage: placement_bench\n");
        return 2;
    }
    const int sizes[] = {1024, 4096, 16384};
    const int jobs[] = {1, 64, 512};
    bool first = true;
    for (int k = 0; k < 3; k++) {
        struct cluster cl = build (sizes[k]);
        for (int j = 0; j < 3; j++) {
            run_case (&cl, sizes[k], jobs[j], first);
            first = false;
        }
        (void)sched_snapshot_release (cl.s, cl.busy);
        sched_alloc_destroy (cl.busy);
        sched_snapshot_destroy (cl.s);
    }
    /* FABRIC RELOAD CASE: the time to parse a 10,000-node declared tree
     * and hand it to sched_snapshot_set_fabric() goes here once the fabric
     * parser (topology/fabric.h) is merged, as an object with
     * "case":"fabric_reload" in this array. */
    printf ("\n]\n");
    return 0;
}
