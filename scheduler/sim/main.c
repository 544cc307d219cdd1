/* huddle-sim - replay a workload trace through huddle's scheduler in virtual time
 *
 *   huddle-sim --trace FILE.swf[.gz] --cluster SPEC [--policy fcfs|easy|conservative]
 *              [--depth N] [--out schedule.swf] [--json]
 *
 * Loads the trace (trace.h: the filter, printed with its counts), builds
 * the cluster (cluster.h), replays it through scheduler/core (sim.h) and
 * prints what the schedule scores (metrics.h) as text, or as one JSON
 * object with --json.  --out writes the simulated schedule as SWF: each
 * kept record as it was, with its wait time (field 3) set to the replay's.
 * Exit status: 0, 1 on bad input or a failed replay (one line on
 * stderr), 2 on a usage error.  docs/sim.md says more.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bench/benchstat.h"
#include "common/herror.h"
#include "scheduler/sim/cluster.h"
#include "scheduler/sim/metrics.h"
#include "scheduler/sim/sim.h"
#include "scheduler/sim/trace.h"

static const char usage_text[] =
    "Usage: huddle-sim --trace FILE.swf[.gz] --cluster SPEC\n"
    "                  [--policy fcfs|easy|conservative] [--depth N]\n"
    "                  [--out schedule.swf] [--json]\n"
    "Replay a Standard Workload Format trace through huddle's scheduling and\n"
    "placement code in virtual time, and score the schedule.\n"
    "\n"
    "  --trace FILE      the trace (.swf, or gzip-compressed .swf.gz)\n"
    "  --cluster SPEC    N (N processors on one switch) or\n"
    "                    fat-tree:leaves=L,nodes=K[,cores=C]\n"
    "  --policy NAME     fcfs, easy (default) or conservative\n"
    "  --depth N         conservative: reservations per pass (default 0: all)\n"
    "  --out FILE        write the simulated schedule as SWF\n"
    "  --json            print one JSON object instead of text\n"
    "  -h, --help        show this help\n";

static const struct {
    const char *name;
    enum sched_policy policy;
} policies[] = {
    {"fcfs", SCHED_FCFS},
    {"easy", SCHED_EASY},
    {"conservative", SCHED_CONSERVATIVE},
};

struct opts {
    const char *trace, *cluster, *policy, *out;
    int depth;
    bool json;
};

static int usage (const char *problem)
{
    if (problem)
        fprintf (stderr, "huddle-sim: %s\n", problem);
    fputs (usage_text, stderr);
    return 2;
}

static int parse_policy (const char *name, enum sched_policy *p)
{
    for (size_t i = 0; i < sizeof (policies) / sizeof (policies[0]); i++) {
        if (!strcmp (name, policies[i].name)) {
            *p = policies[i].policy;
            return 0;
        }
    }
    return -1;
}

/* The schedule as SWF: the trace's header, a line saying what made it,
 * then every replayed record with the replay's wait time. */
static int write_schedule (const char *path, const struct sim_trace *t, const struct opts *o)
{
    FILE *f = fopen (path, "w");
    if (!f)
        return -1;
    int rc = fprintf (f, "%s; huddle-sim: policy %s, cluster %s; wait times are the replay's\n",
                      t->header, o->policy, o->cluster) < 0
                 ? -1
                 : 0;
    for (int i = 0; rc == 0 && i < t->njobs; i++) {
        struct swf_record r = t->recs[i];
        r.wait = t->jobs[i].start - t->jobs[i].submit;
        rc = swf_write_record (f, &r);
    }
    if (fclose (f) != 0)
        rc = -1;
    return rc;
}

static json_t *report_json (const struct sim_trace *t, const struct sim_cluster *c,
                            const struct sim_metrics *m, const struct opts *o, double replay_s)
{
    json_t *dropped = json_object();
    int ndropped = 0;
    for (int d = 0; dropped && d < SIM_NDROPS; d++) {
        json_object_set_new (dropped, sim_drop_name (d), json_integer (t->dropped[d]));
        ndropped += t->dropped[d];
    }
    return json_pack ("{s:s s:s s:{s:i s:i s:i} s:s s:i s:i s:i s:o s:i s:f s:f s:f s:i s:i s:f "
                      "s:i s:f s:f s:f}",
                      "trace", o->trace, "cluster", o->cluster, "cluster_size", "processors",
                      sim_cluster_procs (c), "nodes", sim_cluster_nodes (c), "leaves",
                      sim_cluster_leaves (c), "policy", o->policy, "records", t->records, "jobs",
                      t->njobs, "dropped_total", ndropped, "dropped", dropped, "capped", t->capped,
                      "utilization", m->utilization, "mean_wait_s", m->mean_wait, "mean_bsld",
                      m->mean_bsld, "bsld_tau_s", SIM_BSLD_TAU, "multinode_jobs", m->multinode,
                      "mean_leaves_spanned", m->mean_leaves, "passes", m->passes, "pass_median_us",
                      m->pass_median_us, "pass_p99_us", m->pass_p99_us, "replay_s", replay_s);
}

static void report_text (const struct sim_trace *t, const struct sim_cluster *c,
                         const struct sim_metrics *m, const struct opts *o, double replay_s)
{
    int ndropped = 0;
    for (int d = 0; d < SIM_NDROPS; d++)
        ndropped += t->dropped[d];
    printf ("trace %s: %d records, %d replayed, %d dropped\n", o->trace, t->records, t->njobs,
            ndropped);
    for (int d = 0; d < SIM_NDROPS; d++) {
        if (t->dropped[d])
            printf ("  dropped %d: %s\n", t->dropped[d], sim_drop_text (d));
    }
    if (t->capped)
        printf ("  %d ran longer than their requested time: cut to it\n", t->capped);
    printf ("cluster %s: %d processors, %d nodes of %d cores, %d leaves\n", o->cluster,
            sim_cluster_procs (c), sim_cluster_nodes (c), sim_cluster_cores (c),
            sim_cluster_leaves (c));
    printf ("policy %s\n", o->policy);
    printf ("utilization %.4f\n", m->utilization);
    printf ("mean wait %.1f s\n", m->mean_wait);
    printf ("mean bounded slowdown %.2f (tau %d s)\n", m->mean_bsld, SIM_BSLD_TAU);
    printf ("mean leaves spanned per multi-node job %.3f (%d jobs)\n", m->mean_leaves,
            m->multinode);
    printf ("scheduler time per pass: median %.1f us, p99 %.1f us (%d passes)\n", m->pass_median_us,
            m->pass_p99_us, m->passes);
    printf ("replay wall time %.2f s\n", replay_s);
}

static int parse_args (int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"trace", required_argument, NULL, 't'},  {"cluster", required_argument, NULL, 'c'},
        {"policy", required_argument, NULL, 'p'}, {"depth", required_argument, NULL, 'd'},
        {"out", required_argument, NULL, 'o'},    {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    int ch;
    char *end;
    while ((ch = getopt_long (argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 't':
            o->trace = optarg;
            break;
        case 'c':
            o->cluster = optarg;
            break;
        case 'p':
            o->policy = optarg;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'j':
            o->json = true;
            break;
        case 'd':
            errno = 0;
            o->depth = (int)strtol (optarg, &end, 10);
            if (errno || *end || end == optarg || o->depth < 0)
                return usage ("--depth: expected a whole number >= 0");
            break;
        case 'h':
            fputs (usage_text, stdout);
            return 0;
        default:
            return usage (NULL);
        }
    }
    if (optind < argc)
        return usage ("unexpected arguments");
    if (!o->trace || !o->cluster)
        return usage ("--trace and --cluster are required");
    return -1;
}

int main (int argc, char **argv)
{
    struct opts o = {.policy = "easy"};
    int rc = parse_args (argc, argv, &o);
    if (rc >= 0)
        return rc;
    struct sched_limits limits = {.max_jobs = 0, .depth = o.depth};
    if (parse_policy (o.policy, &limits.policy) < 0)
        return usage ("--policy: expected fcfs, easy or conservative");

    struct herror err = {""};
    struct sim_cluster *c = sim_cluster_create (o.cluster, &err);
    struct sim_trace *t = c ? sim_trace_load (o.trace, sim_cluster_procs (c), &err) : NULL;
    struct sim_passes passes = {0};
    rc = 1;
    if (!t)
        goto out;
    double t0 = bench_now_us();
    if (sim_run (c, t->jobs, t->njobs, &limits, &passes, &err) < 0)
        goto out;
    double replay_s = (bench_now_us() - t0) / 1e6;
    if (o.out && write_schedule (o.out, t, &o) < 0) {
        herror_set (&err, "%s: %s", o.out, strerror (errno));
        goto out;
    }
    struct sim_metrics m;
    sim_metrics_compute (t->jobs, t->njobs, sim_cluster_procs (c), &passes, &m);
    if (o.json) {
        json_t *j = report_json (t, c, &m, &o, replay_s);
        if (!j || json_dumpf (j, stdout, JSON_REAL_PRECISION (6)) < 0) {
            json_decref (j);
            herror_set (&err, "out of memory");
            goto out;
        }
        json_decref (j);
        printf ("\n");
    } else
        report_text (t, c, &m, &o, replay_s);
    rc = 0;
out:
    if (rc != 0)
        fprintf (stderr, "huddle-sim: %s\n", err.text);
    free (passes.us);
    sim_trace_destroy (t);
    sim_cluster_destroy (c);
    return rc;
}
