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
 * candidate times are now, each distinct expected end of a running job
 * and each end of an earlier reservation; they are complete (between two
 * of them nothing is freed and no reservation ends, so a job that fits
 * there fits at the earlier one).  At a candidate the running jobs ended
 * by then are released ON THE LIVE SNAPSHOT (no copy of a 10,000-node
 * cluster), in order of end, and the ordinary placer is asked with the
 * free-now view; it refuses from the group totals in O(chunks) while the
 * cluster is still too full.  Moving to an earlier candidate claims the
 * last released jobs back (last out, first in), so the snapshot is always
 * exactly the live one less some ended jobs, and is exactly the live one
 * again when the search ends (the same cores, the same counts; claiming
 * what was just released cannot fail, and a placement group's node
 * entries keep their capacity).  Without earlier reservations (EASY) the
 * cluster only grows with time, so the search gallops (1, 2, 4, ...
 * candidates ahead) to a time that fits and bisects back to the first:
 * O(log candidates) placements and O(running jobs up to about 2T)
 * releases.  Three things keep a candidate cheap: each carries a bound
 * on the cluster's free cores and GPUs then (the totals now plus what the
 * jobs ended by then hold, snap_run.cores/gpus), and one that asks for
 * more is refused without replaying or asking the placer (which would
 * refuse it from those totals); a candidate is only asked whether the
 * job fits (placement_fits: step 1, nothing claimed), and the job is
 * placed once, at the time the search settles on; the replay releases
 * and claims runs through the node pointers they keep (no name lookups).
 * The probes and their answers are the ones of a placement at every
 * candidate, so T and the plan are too.  With earlier reservations (conservative) a later time may
 * overlap more of them: the search above, ignoring them, gives the first
 * candidate worth asking (they only take options away), and from there
 * every candidate is tried in turn, one placement each; the policy's
 * depth bounds how many such searches a pass makes (measured: on 10,000
 * nodes with 8,000 running jobs, depth 10 costs 0.3 s of CPU, depth 20
 * 1.5 s).  Ties: running jobs with equal ends are replayed by seq.

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

/* The latest start of a reservation (undefined while there is none): a
 * job ending after it keeps off every reserved node. */
int64_t backfill_latest (const struct backfill *b);

/* Per node (dense index), the earliest start of a reservation on it,
 * BACKFILL_NEVER for none; NULL while there is no reservation.  Valid
 * until the next backfill_reserve(). */
const int64_t *backfill_horizon (const struct backfill *b);

/* The job of the first reservation made (in pass order) that holds one of
 * the N nodes NODES (dense indexes) and starts before END: what keeps a job
 * placed there and ending at END from starting now.  -1 for none. */
int64_t backfill_blocker (const struct backfill *b, const int *nodes, int n, int64_t end);

#endif
