/* metrics.h - what a replay scores: utilization, waits, slowdowns, spans
 *
 * Over the replayed jobs (every one started), with wait = start - submit
 * and run = the time it ran (sim.h: cut to its requested time):
 *
 *   utilization       sum(procs * run) / (cluster procs * (last end -
 *                     first submit)): the share of the machine's
 *                     processor-seconds the jobs used over the replay
 *   mean_wait         mean of wait, seconds
 *   mean_bsld         mean bounded slowdown, tau = SIM_BSLD_TAU seconds:
 *                     max(1, (wait + run) / max(run, tau)) (Feitelson's
 *                     definition, so short jobs do not dominate)
 *   mean_leaves       mean leaf switches spanned over the jobs that got
 *                     more than one node (multinode of them); 0 when none
 *   pass_median_us,   the scheduler's own time per pass (sim_passes),
 *   pass_p99_us       median and 99th percentile (nearest rank)
 *
 * Pure arithmetic: no I/O.
 */
#ifndef HUDDLE_SIM_METRICS_H
#define HUDDLE_SIM_METRICS_H

#include <stdint.h>

#include "scheduler/sim/sim.h"

#define SIM_BSLD_TAU 10

struct sim_metrics {
    int jobs;
    int64_t first_submit, last_end;
    double utilization;
    double mean_wait;
    double mean_bsld;
    int multinode;
    double mean_leaves;
    int passes;
    double pass_median_us, pass_p99_us;
};

/* The bounded slowdown of one job. */
double sim_bsld (int64_t wait, int64_t run);

/* Fill *M from JOBS[0..N-1] (all started) on a cluster of PROCS
 * processors, and PASSES (its times are sorted in place). */
void sim_metrics_compute (const struct sim_job *jobs, int n, int procs, struct sim_passes *passes,
                          struct sim_metrics *m);

#endif
