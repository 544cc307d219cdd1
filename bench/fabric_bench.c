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
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "topology/fabric.h"

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
    printf ("\n]\n");
    return 0;
}
