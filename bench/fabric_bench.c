/* fabric_bench - how long huddle-ctld takes to (re)load its fabric file
 *
 *   bench/fabric_bench [--runs N]
 *
 * Prints a JSON array, one object per format and size.  What SIGHUP does
 * (ctld_fabric_reload) is fabric_load(): read the file, parse it, check
 * the tree and number the nodes; that is what is timed here, from a file
 * in $TMPDIR (or /tmp), N times (default 21), median and 99th percentile.
 *
 * Trees: three levels, 32 nodes per leaf, 16 leaves per spine, one core
 * switch; 1,024, 4,096, 10,000 and 16,384 nodes, in Slurm topology.conf
 * (hostlist ranges, one line per leaf) and, for 10,000 nodes, as EC2
 * DescribeInstanceTopology JSON (one object per instance, so a much larger
 * file).  Parsing and building are linear in nodes + switches (hashed name
 * lookups), so the time should grow linearly with the cluster.
 *
 * With no declared tree the controller infers one from the measured links
 * at the end of every probe round that brought new results
 * (topology/infer.h): case "fabric_infer" times fabric_infer() on 1,024,
 * 4,096 and 10,000 nodes (the same 32-node leaves) with the pairs the
 * link plan measures beyond 64 nodes without a tree
 * (scheduler/ctld/linkplan.h: about 8 per node), leaf mates at 2 us and
 * 12,000 MB/s, the rest at 20 us and 1,000 MB/s, each number +-20 %; it
 * checks that the inferred leaves are the 32-node ones.  O(n log n + m
 * log m), so nearly linear.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/benchstat.h"
#include "scheduler/ctld/linkplan.h"
#include "topology/fabric.h"
#include "topology/infer.h"

#define PER_LEAF  32
#define PER_SPINE 16

static void die (const char *what)
{
    fprintf (stderr, "fabric_bench: %s: %s\n", what, strerror (errno));
    exit (1);
}

static void write_conf (FILE *fp, int nodes)
{
    int leaves = (nodes + PER_LEAF - 1) / PER_LEAF;
    int spines = (leaves + PER_SPINE - 1) / PER_SPINE;
    fprintf (fp, "SwitchName=core Switches=spine[1-%d]\n", spines);
    for (int s = 1; s <= spines; s++) {
        int lo = (s - 1) * PER_SPINE + 1, hi = s * PER_SPINE < leaves ? s * PER_SPINE : leaves;
        fprintf (fp, "SwitchName=spine%d Switches=leaf[%d-%d] LinkSpeed=400\n", s, lo, hi);
    }
    for (int l = 1; l <= leaves; l++) {
        int lo = (l - 1) * PER_LEAF, hi = l * PER_LEAF < nodes ? l * PER_LEAF - 1 : nodes - 1;
        fprintf (fp, "SwitchName=leaf%d Nodes=node[%05d-%05d] LinkSpeed=100\n", l, lo, hi);
    }
}

static void write_ec2 (FILE *fp, int nodes)
{
    fputs ("{\"Instances\": [\n", fp);
    for (int i = 0; i < nodes; i++) {
        int leaf = i / PER_LEAF, spine = leaf / PER_SPINE;
        fprintf (fp,
                 "%s{\"InstanceId\": \"i-%017d\", \"InstanceType\": \"p5.48xlarge\", "
                 "\"NetworkNodes\": [\"nn-core\", \"nn-spine%d\", \"nn-leaf%d\"], "
                 "\"AvailabilityZone\": \"us-east-1a\", \"ZoneId\": \"use1-az1\"}\n",
                 i ? "," : "", i, spine, leaf);
    }
    fputs ("]}\n", fp);
}

static int cmp_ll (const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static void run_case (const char *format, int nodes, int runs, bool first)
{
    const char *tmp = getenv ("TMPDIR");
    char path[4096];
    snprintf (path, sizeof (path), "%s/fabric_bench.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp (path);
    FILE *fp = fd >= 0 ? fdopen (fd, "w") : NULL;
    if (!fp)
        die ("temporary file");
    if (strcmp (format, "ec2") == 0)
        write_ec2 (fp, nodes);
    else
        write_conf (fp, nodes);
    long bytes = ftell (fp);
    if (fclose (fp) != 0)
        die ("write");

    long long *us = calloc ((size_t)runs, sizeof (*us));
    size_t switches = 0;
    if (!us)
        die ("calloc");
    for (int r = 0; r < runs; r++) {
        struct herror err = {""};
        struct timespec t0, t1;
        clock_gettime (CLOCK_MONOTONIC, &t0);
        struct fabric *f = fabric_load (path, NULL, &err);
        clock_gettime (CLOCK_MONOTONIC, &t1);
        if (!f || fabric_node_count (f) != (size_t)nodes) {
            fprintf (stderr, "fabric_bench: %s\n", f ? "wrong node count" : err.text);
            exit (1);
        }
        switches = fabric_switch_count (f);
        fabric_destroy (f);
        us[r] = (t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000;
    }
    unlink (path);
    qsort (us, (size_t)runs, sizeof (*us), cmp_ll);
    int p99 = (runs * 99 + 99) / 100 - 1;
    printf ("%s  {\"case\": \"fabric_reload\", \"format\": \"%s\", \"fabric_nodes\": %d, "
            "\"switches\": %zu, \"file_bytes\": %ld, \"runs\": %d, \"median_us\": %lld, "
            "\"p99_us\": %lld}",
            first ? "" : ",\n", format, nodes, switches, bytes, runs, us[runs / 2],
            us[p99 < runs ? p99 : runs - 1]);
    free (us);
}

static double noisy (unsigned *seed, double v)
{
    *seed = *seed * 1103515245u + 12345u;
    return v * (0.8 + 0.4 * (double)((*seed >> 8) & 0xffff) / 0xffff);
}

static void infer_case (int nodes, int runs)
{
    char (*names)[16] = calloc ((size_t)nodes, sizeof (*names));
    const char **np = calloc ((size_t)nodes, sizeof (*np));
    struct fabric_measure *m =
        calloc ((size_t)nodes * (LINKPLAN_NEIGHBOURS + LINKPLAN_LANDMARKS), sizeof (*m));
    double *us = calloc ((size_t)runs, sizeof (*us));
    struct linkplan plan = {.n = nodes};
    int partners[LINKPLAN_MAX];
    unsigned seed = 1;
    size_t nm = 0, used = 0, leaves = 0;

    if (!names || !np || !m || !us)
        die ("calloc");
    for (int i = 0; i < nodes; i++) {
        snprintf (names[i], sizeof (names[i]), "node%05d", i);
        np[i] = names[i];
    }
    for (int i = 0; i < nodes; i++) {
        int k = linkplan_partners (&plan, i, partners);
        for (int x = 0; x < k; x++) {
            bool mates = i / PER_LEAF == partners[x] / PER_LEAF;
            m[nm++] = (struct fabric_measure){np[i], np[partners[x]], noisy (&seed, mates ? 2 : 20),
                                              noisy (&seed, mates ? 12000 : 1000)};
        }
    }
    for (int r = 0; r < runs; r++) {
        struct herror err = {""};
        double t0 = bench_now_us();
        struct fabric *f = fabric_infer (np, (size_t)nodes, m, nm, &used, &err);
        us[r] = bench_now_us() - t0;
        if (!f) {
            fprintf (stderr, "fabric_bench: fabric_infer: %s\n", err.text);
            exit (1);
        }
        leaves = 0;
        for (size_t sw = 0; sw < fabric_switch_count (f); sw++) {
            size_t first, count;
            if (!fabric_switch_is_leaf (f, (int)sw))
                continue;
            fabric_switch_range (f, (int)sw, &first, &count);
            leaves++;
            int want = strcmp (fabric_node_name (f, first), np[first]) == 0 &&
                       (first + count == (size_t)nodes || count == PER_LEAF);
            if (!want) {
                fprintf (stderr, "fabric_bench: inferred leaf %s is not a 32-node leaf\n",
                         fabric_switch_name (f, (int)sw));
                exit (1);
            }
        }
        fabric_destroy (f);
    }
    double med, p99;
    bench_stats (us, runs, &med, &p99);
    printf (",\n  {\"case\": \"fabric_infer\", \"fabric_nodes\": %d, \"pairs\": %zu, "
            "\"leaves\": %zu, \"runs\": %d, \"median_us\": %.0f, \"p99_us\": %.0f}",
            nodes, used, leaves, runs, med, p99);
    free (names);
    free (np);
    free (m);
    free (us);
}

int main (int argc, char **argv)
{
    int runs = 21;
    if (argc == 3 && strcmp (argv[1], "--runs") == 0)
        runs = atoi (argv[2]);
    else if (argc != 1) {
        fprintf (stderr, "Usage: fabric_bench [--runs N]\n");
        return 2;
    }
    if (runs < 1)
        runs = 1;
    static const int sizes[] = {1024, 4096, 10000, 16384};
    printf ("[\n");
    for (size_t i = 0; i < sizeof (sizes) / sizeof (sizes[0]); i++)
        run_case ("topology.conf", sizes[i], runs, i == 0);
    run_case ("ec2", 10000, runs, false);
    static const int infer_sizes[] = {1024, 4096, 10000};
    for (size_t i = 0; i < sizeof (infer_sizes) / sizeof (infer_sizes[0]); i++)
        infer_case (infer_sizes[i], runs);
    printf ("\n]\n");
    return 0;
}
