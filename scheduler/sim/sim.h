/* sim.h - huddle-sim's replay: trace jobs through scheduler/core in virtual time
 *
 * The loop drives the controller's own scheduling code (sched_snapshot,
 * sched_queue, sched_pass with the caller's limits: policy, depth) with a
 * virtual clock instead of a daemon:
 *
 *   - events are job submits (the trace's submit time) and job ends (start
 *     + run time, where run time is already cut to the requested time, as
 *     a real scheduler kills a job at its walltime: trace.h);
 *   - at each instant with events, every end is handled first (its
 *     allocation released), then every submit (the job queued), then ONE
 *     pass runs at that instant, as a controller runs one pass per batch
 *     of events; the jobs it starts get their end events;
 *   - every job has priority 0 and seq = its position in submit order
 *     (trace order among equal submit times), so the queue order is the
 *     submit order and ties break by it (queue.h);
 *   - a job's request is its walltime = its requested time, so the pass
 *     plans backfill with the user's estimate, not the actual run time.
 *
 * Time per pass is measured with CLOCK_MONOTONIC around sched_pass() only.
 *
 * A job the pass says can never run (SCHED_NEVER), or jobs left queued
 * with nothing running and nothing more to come, stop the replay with an
 * error: the trace filter (trace.h) keeps such jobs out, so either means
 * the cluster and the filter disagree.
 *
 * Errors: -1 with errno (ENOMEM, EINVAL) and ERR saying what happened.
 */
#ifndef HUDDLE_SIM_SIM_H
#define HUDDLE_SIM_SIM_H

#include <stdint.h>

#include "common/herror.h"
#include "scheduler/core/pass.h"
#include "scheduler/sim/cluster.h"

/* One job as replayed: what the trace says, then what the replay did. */
struct sim_job {
    int64_t id;       /* the trace's job number, for messages */
    int64_t submit;   /* seconds */
    int64_t run;      /* seconds it runs once started, >= 1 */
    int64_t walltime; /* requested time: the scheduler's estimate, >= run */
    int procs;        /* processors (cores) */
    /* filled by sim_run() */
    int64_t start; /* -1 until it started */
    int nnodes;    /* nodes it was given */
    int leaves;    /* leaf switches those nodes span */
};

struct sim_passes {
    int n;
    double *us; /* scheduler time of each pass, microseconds; malloc'd */
};

/* Replay JOBS[0..N-1] (sorted by submit time) on cluster C's snapshot,
 * filling their start, nnodes and leaves, and *PASSES (the caller frees
 * passes->us, also on failure).  C ends idle again on success. */
int sim_run (struct sim_cluster *c, struct sim_job *jobs, int n, const struct sched_limits *limits,
             struct sim_passes *passes, struct herror *err);

/* A job's request as the replay builds it: PROCS chunks of one core,
 * place=free (shared), walltime WALLTIME; CHUNK is storage for the one
 * chunk.  Documented in docs/sim.md. */
void sim_job_request (const struct sim_job *j, struct resreq *req, struct resreq_chunk *chunk);

#endif
