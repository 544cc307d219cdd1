/* backfill.h - reservations for jobs that cannot start now (internal to
 * scheduler/core; pass.h says how the policies use them)
 *
 * A reservation is a planned allocation, concrete nodes and cores, with a
 * start time T: the earliest time at which the placement engine could
 * place the job on the cluster as it will be when the running jobs end at
 * their expected end (each allocation's window, rset_end; a job past its
 * end counts as ending now; one with no walltime never ends) and,
 * with earlier reservations, keeping off the nodes of every earlier
 * reservation whose window overlaps the job's.
 *
 * How T is found, and why it is cheap enough for a whole queue: the
 * running jobs are taken in order of their expected end and released one
 * by one ON THE LIVE SNAPSHOT (no copy of a 10,000-node cluster); after
 * each distinct end time (and each end of an earlier reservation) the
 * ordinary placer is asked to place the job, with the free-now view.  The
 * placer refuses from the group totals in O(chunks) while the cluster is
 * still too full, so most steps cost a release.  When it fits, that is T
 * and the placement is the plan; then the plan is released and every
 * running job claimed again in reverse order, which puts the snapshot
 * back exactly (the same cores, the same counts; claiming what was just
 * released cannot fail, and a placement group's node entries keep their
 * capacity).  O(running jobs released up to T), plus one placement per
 * candidate time that passes the totals.  Candidate times are complete:
 * at a time between two of them nothing has been freed and no earlier
 * reservation has ended, so a job that fits there fits at the earlier one.
 *
 * Reservations hold whole nodes for the jobs that would still run at T:
 * backfill_horizon() gives, per node, the earliest start of a reservation
 * on it, and a job starting now may use the node only if it ends by then
 * (placement_set_horizon).  Cores a reservation leaves free on its nodes
 * stay unused by long jobs: simpler and never later for the reserved job.
 *
 * Ownership: backfill_create() returns an object the caller destroys with
 * backfill_destroy(); plans handed out by backfill_reserve() are the
 * caller's, and must outlive the backfill object (it keeps pointers).
 */
#ifndef HUDDLE_SCHED_BACKFILL_H
#define HUDDLE_SCHED_BACKFILL_H

#include <stdint.h>

#include "common/resreq.h"
#include "scheduler/core/alloc.h"
#include "scheduler/core/placement.h"
#include "scheduler/core/snapshot_impl.h"

#define BACKFILL_NEVER INT64_MAX /* no end known / not reserved */

struct backfill;

/* One pass's reservations on S, placed with P, at time NOW.  NULL ENOMEM. */
struct backfill *backfill_create (struct sched_snapshot *s, struct placement *p, int64_t now);

/* NULL-safe, keeps errno.  Plans stay the caller's. */
void backfill_destroy (struct backfill *b);

/* Reserve for job SEQ (REQ, eligible since ELIGIBLE, for switches=N@T;
 * REQ->walltime 0: it holds its nodes for ever once started).  1: reserved,
 * *START is T and *PLAN the planned allocation (the caller's; the
 * snapshot does not hold it); 0: no time is known at which it fits (what
 * it needs is held by jobs with no expected end, or by reservations that
 * never end); -1 ENOMEM.  The snapshot is the same afterwards in every
 * case. */
int backfill_reserve (struct backfill *b, int64_t seq, const struct resreq *req, int64_t eligible,
                      int64_t *start, struct sched_alloc **plan);

int backfill_count (const struct backfill *b);

/* Per node (dense index), the earliest start of a reservation on it,
 * BACKFILL_NEVER for none; NULL while there is no reservation.  Valid
 * until the next backfill_reserve(). */
const int64_t *backfill_horizon (const struct backfill *b);

/* The job of the first reservation made (in pass order) that holds a node
 * of A and starts before END: what keeps a job placed at A and ending at
 * END from starting now.  -1 for none. */
int64_t backfill_blocker (const struct backfill *b, const struct sched_alloc *a, int64_t end);

#endif
