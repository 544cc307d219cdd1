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
 * same cluster).  Jobs: 1, 64 and 512 chunks of ncpus=32 with
 * place=scatter, i.e. jobs of exactly 1, 64 and 512 nodes (half of each).
 *
 * What is timed: one sched_pass() with that one job queued, as the
 * controller runs it (scratch sized for the cluster, the fabric step,
 * choosing the cores, claiming them), then the start is undone (not
 * timed) so every repetition sees the same cluster.  REPS repetitions;
 * median and 99th percentile in microseconds.
 *
 * "case":"fabric_reload": what a SIGHUP reload of the tree costs the
 * scheduler side of huddle-ctld (ctld_fabric.c's fabric_to_sched), on the
 * same kind of populated cluster (50 % of the cores held by a running
 * allocation) of 1,024, 4,096, 10,000 and 16,384 nodes: building the
 * core's arrays from the parsed tree (scheduler/ctld/fabric_order.h, one
 * registry lookup per node, here sched_snapshot_has_node()) and
 * sched_snapshot_set_fabric() reordering the snapshot under the running
 * allocation.  Parsing the file is bench/fabric_bench's part; the two add
 * up to the reload.  RELOAD_REPS repetitions, the same tree each time (as
 * a reload of an unchanged file: the work does not depend on it).
 *
 * The tree (both cases) is handed over as the controller hands it: a
 * topology.conf text parsed by topology/fabric.h, converted by
 * fabric_order.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/benchstat.h"
#include "common/herror.h"
#include "scheduler/core/fabric.h"
#include "scheduler/core/pass.h"
#include "scheduler/core/queue.h"
#include "scheduler/core/snapshot.h"
#include "scheduler/ctld/fabric_order.h"
#include "topology/fabric.h"

#define CORES        64
#define LEAF_NODES   32
#define SPINE_LEAVES 8
#define REPS         201
#define RELOAD_REPS  51
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
    struct fabric *tree;      /* as huddle-ctld parsed it */
};

/* The 3-level tree as a topology.conf, NAMES[i] at fabric position I:
 * leaves of LEAF_NODES nodes, SPINE_LEAVES leaves per spine, a core
 * switch above (the last leaf and spine take what is left), parsed as
 * huddle-ctld parses its file. */
static struct fabric *tree_parse (int nnodes, const char *const *names)
{
    int nleaves = (nnodes + LEAF_NODES - 1) / LEAF_NODES;
    int nspines = (nleaves + SPINE_LEAVES - 1) / SPINE_LEAVES;
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream (&text, &len);
    if (!fp)
        die ("open_memstream");
    for (int l = 0; l < nleaves; l++) {
        fprintf (fp, "SwitchName=leaf%d Nodes=", l);
        for (int i = l * LEAF_NODES; i < nnodes && i < (l + 1) * LEAF_NODES; i++)
            fprintf (fp, "%s%s", i % LEAF_NODES ? "," : "", names[i]);
        fputc ('\n', fp);
    }
    for (int k = 0; k < nspines; k++) {
        int last = (k + 1) * SPINE_LEAVES < nleaves ? (k + 1) * SPINE_LEAVES - 1 : nleaves - 1;
        fprintf (fp, "SwitchName=spine%d Switches=leaf[%d-%d]\n", k, k * SPINE_LEAVES, last);
    }
    fprintf (fp, "SwitchName=core Switches=spine[0-%d]\n", nspines - 1);
    if (fclose (fp) != 0)
        die ("open_memstream");
    struct herror err = {""};
    struct fabric *tree = fabric_parse_topology_conf (text, "placement_bench.conf", &err);
    if (!tree) {
        fprintf (stderr, "placement_bench: %s\n", err.text);
        exit (1);
    }
    free (text);
    return tree;
}

/* The registry lookup the controller makes for every node of the tree. */
static bool in_snapshot (const char *name, void *arg)
{
    return sched_snapshot_has_node (arg, name);
}

static struct cluster build (int nnodes)
{
    static int ids[CORES];
    struct sched_core_desc cores[CORES];
    for (int c = 0; c < CORES; c++) {
        ids[c] = c;
        cores[c] = (struct sched_core_desc){.os_index = c, .numa = 0, .npus = 1, .pus = &ids[c]};
    }
    struct cluster cl = {sched_snapshot_create(), sched_alloc_create (2000000000), NULL};
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
    cl.tree = tree_parse (nnodes, (const char *const *)names);
    struct ctld_fabric_order o;
    if (ctld_fabric_order_of (cl.tree, in_snapshot, cl.s, &o) < 0)
        die ("ctld_fabric_order_of");
    struct sched_fabric f = ctld_fabric_order_sched (&o);
    if (sched_snapshot_set_fabric (cl.s, &f) < 0)
        die ("sched_snapshot_set_fabric");
    ctld_fabric_order_free (&o);
    if (sched_snapshot_claim (cl.s, cl.busy) < 0)
        die ("sched_snapshot_claim");
    for (int i = 0; i < nnodes; i++)
        free (names[i]);
    free (names);
    return cl;
}

static void run_case (struct cluster *cl, int nnodes, int job_nodes, bool first)
{
    struct resreq_chunk chunk = {.count = job_nodes, .ncpus = CORES / 2, .mpiprocs = 1};
    struct resreq req = {
        .nchunks = 1, .chunks = &chunk, .arrangement = RESREQ_SCATTER, .switches_wait = -1};
    struct sched_limits limits = {.max_jobs = 10000};
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

/* One SIGHUP's scheduler side on CL: the arrays from the tree, then the
 * snapshot reordered under the running allocation. */
static void run_reload (struct cluster *cl, int nnodes)
{
    double total[RELOAD_REPS], order[RELOAD_REPS], set[RELOAD_REPS];
    size_t nswitches = 0;
    for (int rep = 0; rep < RELOAD_REPS; rep++) {
        struct ctld_fabric_order o;
        double t0 = bench_now_us();
        if (ctld_fabric_order_of (cl->tree, in_snapshot, cl->s, &o) < 0)
            die ("ctld_fabric_order_of");
        double t1 = bench_now_us();
        struct sched_fabric f = ctld_fabric_order_sched (&o);
        if (sched_snapshot_set_fabric (cl->s, &f) < 0)
            die ("sched_snapshot_set_fabric");
        double t2 = bench_now_us();
        order[rep] = t1 - t0;
        set[rep] = t2 - t1;
        total[rep] = t2 - t0;
        nswitches = o.nswitches;
        ctld_fabric_order_free (&o);
    }
    if (sched_snapshot_verify (cl->s) < 0)
        die ("sched_snapshot_verify after the reloads");
    double median, p99, order_median, order_p99, set_median, set_p99;
    bench_stats (total, RELOAD_REPS, &median, &p99);
    bench_stats (order, RELOAD_REPS, &order_median, &order_p99);
    bench_stats (set, RELOAD_REPS, &set_median, &set_p99);
    printf (",\n{\"case\":\"fabric_reload\",\"cluster_nodes\":%d,\"switches\":%zu,"
            "\"occupancy\":0.5,\"reps\":%d,\"median_us\":%.1f,\"p99_us\":%.1f,"
            "\"order_median_us\":%.1f,\"order_p99_us\":%.1f,\"set_fabric_median_us\":%.1f,"
            "\"set_fabric_p99_us\":%.1f}",
            nnodes, nswitches, RELOAD_REPS, median, p99, order_median, order_p99, set_median,
            set_p99);
    fflush (stdout);
}

static void cluster_destroy (struct cluster *cl)
{
    (void)sched_snapshot_release (cl->s, cl->busy);
    sched_alloc_destroy (cl->busy);
    sched_snapshot_destroy (cl->s);
    fabric_destroy (cl->tree);
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
        cluster_destroy (&cl);
    }
    const int reload_sizes[] = {1024, 4096, 10000, 16384};
    for (int k = 0; k < 4; k++) {
        struct cluster cl = build (reload_sizes[k]);
        run_reload (&cl, reload_sizes[k]);
        cluster_destroy (&cl);
    }
    printf ("\n]\n");
    return 0;
}
