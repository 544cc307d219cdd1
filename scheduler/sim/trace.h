/* trace.h - a workload trace as huddle-sim replays it: SWF records, filtered
 *
 * sim_trace_load() reads an SWF file (swf.h: plain or gzip), turns each
 * usable record into a struct sim_job (sim.h) and drops the others,
 * counting each by the first rule of this filter it breaks:
 *
 *   cancelled       status 5 (cancelled) and no run time (run <= 0): the
 *                   job never started, there is nothing to replay
 *   no_run_time     run time <= 0 (unknown, or a job that did nothing)
 *   no_processors   allocated processors <= 0 and requested <= 0
 *   too_big         more processors than the cluster has
 *   no_estimate     requested time <= 0: the scheduler would have no
 *                   walltime to plan with
 *   no_submit_time  submit time < 0
 *
 * A kept job has processors = allocated processors (field 5) when known,
 * else requested (field 8); walltime = requested time (field 9); run =
 * run time (field 4), cut to the walltime when it is longer (counted in
 * `capped`): the job would have been killed at its walltime.  Status 0
 * (failed) and cancelled jobs that did run are kept: they held their
 * processors for their run time.
 *
 * Jobs come out sorted by submit time, trace order among equal times
 * (a stable sort), which is the order sim_run() wants.
 *
 * Ownership: the trace owns its arrays; sim_trace_destroy() frees them.
 * Errors: NULL with errno and ERR (a malformed line: "FILE:LINE: ...").
 */
#ifndef HUDDLE_SIM_TRACE_H
#define HUDDLE_SIM_TRACE_H

#include "common/herror.h"
#include "scheduler/sim/sim.h"
#include "scheduler/sim/swf.h"

enum sim_drop {
    SIM_DROP_CANCELLED = 0,
    SIM_DROP_NO_RUN_TIME,
    SIM_DROP_NO_PROCESSORS,
    SIM_DROP_TOO_BIG,
    SIM_DROP_NO_ESTIMATE,
    SIM_DROP_NO_SUBMIT_TIME,
    SIM_NDROPS
};

struct sim_trace {
    int records;             /* job records read */
    int njobs;               /* kept */
    struct sim_job *jobs;    /* njobs, in submit order */
    struct swf_record *recs; /* recs[i]: the record jobs[i] came from */
    int dropped[SIM_NDROPS]; /* per rule above */
    int capped;              /* run time cut to the requested time */
    char *header;            /* the file's header comments ("" none) */
};

/* Load PATH for a cluster of MAX_PROCS processors. */
struct sim_trace *sim_trace_load (const char *path, int max_procs, struct herror *err);

/* NULL-safe, keeps errno. */
void sim_trace_destroy (struct sim_trace *t);

/* The rule's name ("cancelled", ...) and a phrase for reports ("cancelled
 * before they started"). */
const char *sim_drop_name (enum sim_drop d);
const char *sim_drop_text (enum sim_drop d);

/* Which rule drops REC on a cluster of MAX_PROCS, or -1 when it is kept. */
int sim_trace_filter (const struct swf_record *rec, int max_procs);

#endif
