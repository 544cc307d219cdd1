/* pass.h - one scheduling pass: snapshot + queue + now in, decisions out
 *
 * sched_pass() is pure: no I/O, no clock, no logging, no globals.  Time is
 * the NOW argument, so huddle-sim can drive it in virtual time.
 *
 * Order: eligible (not held) jobs by priority (higher first), then seq (the
 * submit order).  Each job is placed first-fit in that order (placement.h):
 * a job that fits starts, even if an earlier job did not fit.
 *
 * Starvation rule (a simple reservation; real backfill is a later issue):
 *
 *     The first job in pass order that does not fit now, has been eligible
 *     for at least limits->starvation_limit seconds (now - eligible_time >=
 *     starvation_limit), and could run on the usable nodes if they were
 *     idle, RESERVES every usable node on which at least one of its chunks
 *     could fit.  No job after it in the order starts anything on a
 *     reserved node in this pass.  Jobs after it still start on nodes it
 *     could never use.  At most one job holds the reservation per pass.
 *
 * Why it ends starvation: while the starved job stays first among the
 * blocked ones (nothing of higher priority, or same priority and older,
 * arrives), nothing new starts on its nodes, so they drain as their jobs
 * end; once they are idle the job fits, because "could run on the idle
 * usable nodes" is decided by the same placer.  A job that needs an offline
 * node (or more nodes than are usable) does not reserve: it would hold
 * nodes idle for nothing.  starvation_limit = 0 reserves for the first
 * blocked job at once (strict order on the nodes it wants); a negative
 * limit turns reservations off (pure first-fit, which can starve big jobs).
 * Priority still wins: a higher-priority job is ahead of the reserving job
 * in the order and may start on reserved nodes.
 *
 * Never: a job that could not be placed even if every configured node (usable
 * or not) were idle gets a NEVER decision with a sentence saying why; it stays
 * queued (and is reported again each pass) until the controller holds or
 * deletes it.  sched_request_check() asks the same question of one request.
 *
 * Decisions are already applied: a START's resources are claimed in the
 * snapshot and the job is removed from the queue.  If the controller cannot
 * start it, it undoes both: sched_snapshot_release() and sched_queue_add().
 * When the job ends: sched_snapshot_release() with the same allocation.
 *
 * Bounded: at most limits->max_jobs eligible jobs are considered per pass
 * (held ones do not count).  A job that asks for more than the usable nodes
 * have free, or for a chunk bigger than the best node has free, is refused
 * from the group totals (snapshot_impl.h) in O(chunks); otherwise step 1
 * placement skips runs of full nodes through the group tree, O(log nodes)
 * per node opened in the common case, O(nodes) at worst, plus the cores of
 * the chosen nodes.
 */
#ifndef HUDDLE_SCHED_PASS_H
#define HUDDLE_SCHED_PASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/resreq.h"
#include "scheduler/core/alloc.h"
#include "scheduler/core/queue.h"
#include "scheduler/core/snapshot.h"

/* How jobs that do not fit now are treated. */
enum sched_policy {
    SCHED_EASY = 0,     /* the default: see the starvation rule above */
    SCHED_CONSERVATIVE, /* as SCHED_EASY for now */
    SCHED_FCFS,         /* strict order: the first job that does not fit
                         * stops the pass */
};

struct sched_limits {
    int max_jobs;             /* eligible jobs considered per pass; <= 0: all */
    int64_t starvation_limit; /* seconds (see above); < 0: no reservations */
    enum sched_policy policy;
    int depth; /* SCHED_CONSERVATIVE: reservations made per pass; <= 0: all */
    /* Admission, for limits the core does not know (a queue's running jobs
     * per user).  NULL: every job may start.  Otherwise asked before a job is
     * placed: NULL means it may start now; a sentence means it may not, and
     * the job gets a SCHED_WAIT decision with that reason (and reserves
     * nothing).  started() is told of every START, so counts can follow
     * within one pass.  Both get ARG. */
    const char *(*admit) (void *arg, int64_t seq);
    void (*started) (void *arg, int64_t seq);
    void *arg;
};

enum sched_decision_kind {
    SCHED_START, /* alloc says where; already claimed and dequeued */
    SCHED_NEVER, /* reason says why it can never fit; still queued */
    SCHED_WAIT,  /* a fabric constraint (group=switch, switches=N) keeps it
                  * waiting though it could start elsewhere; reason says
                  * which; still queued */
};

struct sched_decision {
    enum sched_decision_kind kind;
    int64_t seq;
    const struct sched_alloc *alloc; /* START; NULL once taken */
    const char *reason;              /* NEVER, WAIT; for START what the fabric
                                      * step did ("switches=2 met: 2 leaf
                                      * switches"), usually "" */
};

struct sched_result;

/* Run one pass.  Returns the decisions, which the caller frees with
 * sched_result_destroy().  NULL with errno = EINVAL (NULL argument) or
 * ENOMEM; the snapshot and queue are then unchanged. */
struct sched_result *sched_pass (struct sched_snapshot *s, struct sched_queue *q, int64_t now,
                                 const struct sched_limits *limits);

/* NULL-safe, keeps errno.  Frees the allocations not taken. */
void sched_result_destroy (struct sched_result *r);

/* Decisions in pass order; sched_result_get() returns NULL + EINVAL out of
 * range.  Pointers stay valid until the result is destroyed. */
int sched_result_count (const struct sched_result *r);
const struct sched_decision *sched_result_get (const struct sched_result *r, int i);

/* Take ownership of decision I's allocation (the controller keeps it with
 * the running job, to release it later).  NULL + EINVAL when I is not a START
 * or was already taken. */
struct sched_alloc *sched_result_take_alloc (struct sched_result *r, int i);

/* The job holding this pass's reservation, -1 for none (for a qstat
 * comment such as "Not Running: nodes are being drained for it"). */
int64_t sched_result_reserved_seq (const struct sched_result *r);

/* Eligible jobs looked at, and whether max_jobs cut the pass short. */
int sched_result_considered (const struct sched_result *r);
bool sched_result_truncated (const struct sched_result *r);

/* Could REQ ever run on the cluster as configured (every node, idle)?
 * 1 yes; 0 no, with a sentence in REASON (LEN bytes, may be 0); -1 ENOMEM.
 * Lets the controller refuse a hopeless job at qsub time.  S is not changed. */
int sched_request_check (struct sched_snapshot *s, const struct resreq *req, char *reason,
                         size_t len);

#endif
