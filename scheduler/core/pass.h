/* pass.h - one scheduling pass: snapshot + queue + now in, decisions out
 *
 * sched_pass() is pure: no I/O, no clock, no logging, no globals.  Time is
 * the NOW argument, so huddle-sim can drive it in virtual time.
 *
 * Order: eligible (not held) jobs by priority (higher first), then rank
 * (qorder; the submit order seq unless changed), then seq.  Each job in
 * that order is placed first-fit (placement.h); what happens to a job
 * that does not fit now is the policy's (limits->policy):
 *
 *   SCHED_EASY (the default): a job that fits now starts.  The first job
 *     that does not gets a reservation (backfill.h): concrete nodes and
 *     cores at the earliest time T the placer could place it on the
 *     cluster as it will be when the running jobs end at their expected
 *     end (start + walltime, the allocation's window; a job past its end
 *     counts as ending now; one without walltime never ends).  Every
 *     later job starts now only if it fits now and either ends by T (now
 *     + walltime <= T; walltime 0, unknown, never does) or keeps off the
 *     reserved nodes; one that fits only on them waits, with the reason
 *     "reservation for job N".  Should no T exist for the first blocked
 *     job (what it needs is held by jobs with no walltime), the next
 *     blocked job is offered the reservation instead.
 *   SCHED_CONSERVATIVE: every job that does not fit now, in order, gets a
 *     reservation, up to limits->depth of them (<= 0: all): the earliest T
 *     at which it fits given the running jobs and, as whole nodes, the
 *     reservations made before it whose windows overlap its own.  A job
 *     starts now only if it fits and keeps off the nodes of every earlier
 *     reservation that starts before it would end: no job delays an
 *     earlier job's reservation.  The work is one replay per reservation,
 *     so depth bounds it.
 *   SCHED_FCFS: strict order; the first job that does not fit stops the
 *     pass.  No reservations.
 *
 * Ties, so that the same input always gives the same schedule (huddle-sim
 * relies on it): jobs in the order above; running jobs whose expected
 * ends are equal are replayed by seq; among candidate start times the
 * earliest wins; among placements at one time, the one the placer picks
 * (placement.h: lowest fabric level, fewest leaves, best fit, node order).
 *
 * Why a reserved job really starts by T when jobs end by their walltime:
 * jobs started later either end by T or use no node of the reservation,
 * so at T every reserved node has at least what the plan took; the
 * reserved job stays first among the blocked ones unless a job of higher
 * priority arrives, and then the reservation moves to that job, as EASY
 * intends.
 *
 * Every considered job that does not start gets a decision saying why:
 * SCHED_WAIT with the admission refusal (a queue limit), a fabric
 * constraint (group=switch, switches=N), "reservation for job N" (with
 * blocker = N), or "not enough free resources"; a reserved job's decision
 * also carries start_time (T) and plan (its planned allocation).
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
 * (held ones do not count).  A reservation costs a replay of the running
 * jobs' ends up to T (backfill.h), once per pass under EASY; a job that
 * fits now with a reservation in place costs one more check of the nodes
 * the placer chose against the reservations, before anything is claimed
 * (placement_place_unless), and a second placement only when it touched
 * one.  The queue keeps its order between passes (queue.h): a pass sorts
 * only the jobs added out of order or re-prioritised since the last.
 * A pass only takes resources, so a one-chunk request shape that did not
 * fit now (or fit only on reserved nodes, until the next start or
 * reservation) is not placed again in the same pass, and "could it ever
 * fit" is asked once per shape: a long queue of similar jobs pays per
 * shape, not per job.  A job that asks for more than the usable nodes
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

/* How jobs that do not fit now are treated (see above). */
enum sched_policy {
    SCHED_EASY = 0,     /* the default: one reservation, backfill around it */
    SCHED_CONSERVATIVE, /* a reservation for every waiting job, up to depth */
    SCHED_FCFS,         /* strict order: the first job that does not fit
                         * stops the pass */
};

struct sched_limits {
    int max_jobs; /* eligible jobs considered per pass; <= 0: all */
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
    SCHED_WAIT,  /* it does not start now; reason says why (above);
                  * still queued */
};

struct sched_decision {
    enum sched_decision_kind kind;
    int64_t seq;
    const struct sched_alloc *alloc; /* START; NULL once taken */
    const char *reason;              /* NEVER, WAIT; for START what the fabric
                                      * step did ("switches=2 met: 2 leaf
                                      * switches"), usually "" */
    int64_t start_time;              /* WAIT with a reservation: when it is
                                      * expected to start (T); -1 otherwise */
    const struct sched_alloc *plan;  /* with start_time: the reservation, the
                                      * nodes and cores planned for it at T
                                      * (window [T, T + walltime)); owned by
                                      * the result; NULL otherwise */
    int64_t blocker;                 /* WAIT because of a reservation: the
                                      * reserved job's seq; -1 otherwise */
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

/* The job of this pass's first reservation (EASY: the only one), -1 for
 * none. */
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
