/* queues.h - huddle-ctld's queues: configuration, limits, priority, reports
 *
 * Queues come from two options (docs/ctld.md).  "queues" lists them, one
 * entry per queue, entries separated by blanks or ';' (the form of
 * node_labels):
 *
 *     NAME[:KEY=VALUE[,KEY=VALUE]...]
 *
 *     queues = "workq express:priority=100,max_walltime=1:00:00,max_user_run=2
 *               long:priority=-10,default_walltime=48:00:00"
 *
 * with the keys (each at most once):
 *   priority=N          -1024..1023, default 0: jobs of a higher queue go first
 *   default_walltime=T  walltime of a job that asks for none (PBS's
 *                       resources_default.walltime); default: option
 *                       default_walltime, or max_walltime when that is less
 *   max_walltime=T      largest walltime a job may ask for (resources_max.walltime);
 *                       qsub, qalter and qmove refuse more
 *   max_user_run=N      running jobs one user may have in the queue (PBS's
 *                       max_run = [u:PBS_GENERIC=N]); 0, the default: no limit
 *   enabled=BOOL        the queue takes new jobs (default true)
 *   started=BOOL        its jobs may start (default true)
 * T is a walltime as qsub takes it ([[HH:]MM:]SS or seconds), BOOL one of
 * true/false, yes/no, 1/0.  "default_queue" names the queue of jobs that
 * name none; it must be one of the list.  An empty list is one queue,
 * default_queue, with the defaults above (workq, as before queues existed).
 *
 * The parser (queues_parse) is pure and has its own unit test
 * (tests/unit/test_ctld_queues.c).  The rest reads the job table.
 */
#ifndef HUDDLE_CTLD_QUEUES_H
#define HUDDLE_CTLD_QUEUES_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "common/herror.h"
#include "common/proto.h"

#define QUEUE_PRIORITY_MIN (-1024)
#define QUEUE_PRIORITY_MAX 1023

struct queue_conf {
    const char *name;
    int priority;
    int64_t default_walltime; /* seconds, > 0 */
    int64_t max_walltime;     /* seconds, 0: none */
    int max_user_run;         /* 0: none */
    bool enabled;
    bool started;
};

struct queues;

/* The queues SPEC describes (syntax above); DEFAULT_QUEUE must be one of
 * them; DEFAULT_WALLTIME is the default_walltime of a queue that sets none.
 * NULL with err ("option queues: express: max_user_run \"x\" is not a
 * number") or ENOMEM. */
struct queues *queues_parse (const char *spec, const char *default_queue, int64_t default_walltime,
                             struct herror *err);
void queues_destroy (struct queues *qs); /* NULL-safe */

/* The queues in the order the option lists them. */
int queues_count (const struct queues *qs);
const struct queue_conf *queues_get (const struct queues *qs, int i);

/* Index of queue NAME, -1 when there is none. */
int queues_find (const struct queues *qs, const char *name);

/* Index of the default queue. */
int queues_default (const struct queues *qs);

/* The one integer the scheduler's queue orders by (scheduler/core/queue.h:
 * priority, then rank, then seq): the queue's priority first, then the
 * job's, as queue_priority * 2048 + job_priority.  Job priorities span
 * -1024..1023, 2048 values, so a job of a higher queue always sorts ahead
 * whatever the two job priorities; within a queue the job priority
 * decides; equal ones go by rank (qorder) and seq, the age. */
int queues_sched_priority (int queue_priority, int job_priority);

/* ------------------------------------------------- with the controller */

struct ctld;
struct ctld_job;

/* The queue named by a job request's "queue" (NULL: the default queue),
 * "QUEUE" or "QUEUE@SERVER" with SERVER this controller's name: its index,
 * or -1 with err "Unknown queue NAME" (PBS's words, qsub exits 170). */
int queues_resolve (struct ctld *ctx, const char *name, struct herror *err);

/* Whether a job of WALLTIME seconds (0: the queue's default) may be in
 * queue QI: -1 with err "Job violates queue and/or server resource limits" (PBS's words)
 * when it is above the queue's max_walltime. */
int queues_check_walltime (struct ctld *ctx, int qi, int64_t walltime, struct herror *err);

/* The walltime a job of queue QI runs with when it asked for REQUESTED (0:
 * none). */
int64_t queues_walltime (struct ctld *ctx, int qi, int64_t requested);

/* The priority the scheduler's queue orders job J by (queues_sched_priority
 * of its queue's and its own; a queue no longer configured counts as 0). */
int queues_job_priority (struct ctld *ctx, const struct ctld_job *j);

/* Admission of one scheduling pass (scheduler/core/pass.h's admit hook):
 * the running jobs of each user in each queue with max_user_run, counted
 * when the pass begins and followed through its starts.  admit says why a
 * job may not start now ("User has reached queue express running job
 * limit (max_user_run=2)", PBS's words), NULL when it may; the sentence
 * stays valid until the next call. */
struct queue_admit;
struct queue_admit *queue_admit_create (struct ctld *ctx); /* NULL: ENOMEM */
void queue_admit_destroy (struct queue_admit *a);
const char *queue_admit_check (struct queue_admit *a, const struct ctld_job *j);
void queue_admit_started (struct queue_admit *a, const struct ctld_job *j);

/* The handlers of queue.query and server.query (docs/protocol.md): qstat
 * -Q and -B; jobmsg.c's table lists them. */
int queues_query (json_t *msg, void *arg, struct herror *err);
int queues_server_query (json_t *msg, void *arg, struct herror *err);

#endif
