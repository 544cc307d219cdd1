/* placement.h - which nodes a job's chunks go to (internal to scheduler/core)
 *
 * Placement works in two steps, so the expensive part stays count-based:
 *
 *  1. choose a node for every chunk instance by counts (free cores, GPUs,
 *     memory), honouring place=pack/scatter/free, excl/exclhost and host=;
 *  2. for each chosen node, ask the node allocator (nodealloc.h) for the
 *     particular cores and GPUs.
 *
 * Step 1 goes through nodes in dense index order (name order, snapshot.h),
 * so low-numbered nodes fill
 * first and whole nodes stay free at the other end for big and exclusive
 * jobs.  place=pack takes the first node that holds the whole request;
 * scatter the first unused node that holds the chunk; free first tries the
 * nodes the job already uses, and when it must open another takes the first
 * that holds all the chunk's remaining instances, else the one that holds
 * most, so the job spans few nodes.  Chunks are placed most-constrained
 * first (host=, then more GPUs, more cores, more memory).  Scanning resumes
 * after the nodes that had no room for an earlier instance of the same
 * chunk, and the free-now view jumps over nodes the group tree says cannot
 * hold one instance: a chunk costs O(log nodes) per node it opens when
 * free nodes are easy to find, O(nodes) at worst.  Free's search for a
 * node holding all remaining instances stops at the first node holding as
 * many as the view's best node could (the group tree's root; the biggest
 * node when idle): no later node could beat it.
 * Greedy, not optimal: a job that only an exhaustive search could fit is
 * treated as not fitting.

 * The same step 1 run against empty nodes answers "could this job ever
 * fit?", so a job is reported as never fitting exactly when this placer
 * could not place it on the idle cluster: the answer and the placer cannot
 * disagree, which backfill's reservations (backfill.h) rely on: a job
 * that could fit on the idle cluster gets a start time.
 *
 * With a fabric (fabric.h), step 1 first chooses leaves for every job
 * that may span nodes (not place=pack, more than one chunk instance, no
 * host=):
 *
 *   - the lowest level at which some switch holds the job, then there the
 *     switch needing the fewest leaves, then the leaves the job fills most
 *     exactly (so large free blocks stay whole), ties by node order;
 *   - "holds" is counted per leaf in units of the job: with one chunk
 *     shape, instances of the chunk (one per node with scatter), which is
 *     exact, so the level and the leaf count are optimal (equal to an
 *     exhaustive search; tests/unit/test_placement.c checks it); with
 *     mixed shapes, GPUs (or cores), an estimate, and when the chosen
 *     leaves turn out too small the job is placed on the whole cluster;
 *   - scatter on the chosen leaves: best fit, the nodes with the least
 *     left free first, so whole nodes stay whole;
 *   - group=switch: level 0 only, else the job waits (placement_why);
 *     switches=N: only choices with at most N leaves, until the job has
 *     waited switches_wait seconds (never, when -1), then the best.
 *
 * then places the chunks as above on those leaves only, in dense order.
 * Cost: the leaves' units come from a visit of their nodes (full nodes
 * skipped through the group tree), each leaf at most once per job, and a
 * switch whose totals cannot hold the job is never visited; the per-level
 * choice sorts the leaves of each candidate switch.
 *
 * The allocation lists nodes leaf by leaf (in the order the job first
 * used them within a leaf): ranks, exec_host and PBS_NODEFILE follow it,
 * so consecutive ranks share a leaf.  Without a fabric the cluster is one
 * leaf and nothing above changes.
 *
 * A job of a placement group (pgroup.h) is placed by the same steps under
 * a filter of failure domains (leaves; nodes without a fabric) that its
 * group's strategy sets: spread allows one node per domain and only
 * domains free of the group (and skips the fabric step, whose leaves are
 * counted whole); partition tries the partitions in turn, each with its
 * own and the unused domains; cluster tries the switches holding the
 * group's running jobs from the lowest up.
 */
#ifndef HUDDLE_SCHED_PLACEMENT_H
#define HUDDLE_SCHED_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/idset.h"
#include "common/resreq.h"
#include "scheduler/core/alloc.h"
#include "scheduler/core/snapshot_impl.h"

/* A view: what the placer may use on each node.  The same placer answers
 * "where does it go now" (free now) and "could it ever run" (every node
 * idle).  "Where could it go at time T" is not
 * a view: backfill (backfill.h) replays the running jobs' ends on the
 * snapshot itself and asks the free-now view, so reservations obey every
 * rule a start does (fabric step, switches=, group=, placement groups).
 *
 *   offer: what node N offers a job (EXCL: place=excl/exclhost) before the
 *          job's own tentative use; cores = -1 when nothing.
 *   next:  the first node index >= FROM that may offer NEED, or the node
 *          count (a bound from the group tree; NULL: look at every node).
 */
struct placement_view {
    const char *name;
    struct snap_cap (*offer) (const struct snode *n, bool excl);
    int (*next) (struct sched_snapshot *s, int from, const struct snap_cap *need);
};

extern const struct placement_view placement_free_now; /* free resources of usable nodes */
extern const struct placement_view placement_idle_all; /* every configured node, as if idle */

/* Scratch for placing jobs on S, one pass long: it is sized for S's nodes
 * and leaves at creation, so create a new one after adding nodes or
 * setting a fabric.  It keeps counts of each leaf's free cores between
 * jobs; every change to S's nodes stamps their leaf, so they never go
 * stale. */
struct placement *placement_create (struct sched_snapshot *s);
void placement_destroy (struct placement *p);

/* Place REQ for job SEQ on what VIEW offers (placement_free_now for a
 * start), never on a node whose dense index is in SKIP (a reservation;
 * NULL for none).  On success the resources are
 * claimed in the snapshot and *OUT is a new allocation the caller owns.  -1 with errno = ENOSPC
 * when it does not fit now, EINVAL for a malformed request, ENOMEM; nothing is claimed then. */
int placement_place (struct placement *p, const struct placement_view *view, int64_t seq,
                     const struct resreq *req, const struct idset *skip, struct sched_alloc **out);

/* The cores and GPUs REQ asks for over all its chunk instances: with the
 * free-now view, placement_place refuses at once (ENOSPC) a request for
 * more than the cluster's free totals (snap_group_totals of group 0). */
void placement_request_totals (const struct resreq *req, int64_t *cores, int64_t *gpus);

/* placement_place, but once the nodes are chosen and before anything is
 * claimed, VETO (ARG, NODES, N) is asked with their dense indexes (each
 * once): true refuses the choice, and the call fails with EAGAIN, nothing
 * claimed.  The pass refuses so a choice that would hold a reserved node,
 * instead of claiming it and giving it back.  VETO NULL: placement_place. */
int placement_place_unless (struct placement *p, const struct placement_view *view, int64_t seq,
                            const struct resreq *req, const struct idset *skip,
                            bool (*veto) (void *arg, const int *nodes, int n), void *arg,
                            struct sched_alloc **out);

/* Would placement_place (P, VIEW, any seq, REQ, SKIP) succeed now?  The
 * same step 1 (so the same answer, and the same placement_why), without
 * step 2 and without claiming: claiming the nodes step 1 chose cannot fail
 * but for memory.  1 yes; 0 no (ENOSPC); -1 with errno EINVAL or ENOMEM.
 * Backfill asks it at candidate times and places only at the one chosen. */
int placement_fits (struct placement *p, const struct placement_view *view,
                    const struct resreq *req, const struct idset *skip);

/* Could REQ be placed on what VIEW offers (placement_idle_all: ever)?  Nothing is
 * claimed.  1 yes; 0 no, with a sentence for the user in REASON; -1 ENOMEM. */
int placement_could_fit (struct placement *p, const struct placement_view *view,
                         const struct resreq *req, char *reason, size_t len);

/* Reservations (backfill.h) for placement_place: a node I with FROM[I] <
 * UNTIL (reserved from a time before the job would end) is skipped like
 * a node in SKIP.  FROM has one entry per node, dense order; NULL: none.
 * Kept until set again; the other calls here ignore it. */
void placement_set_horizon (struct placement *p, const int64_t *from, int64_t until);

/* Seconds the next job placed has been eligible: a switches=N@T request
 * stops insisting on N leaves once T has passed.  Kept until set again. */
void placement_set_waited (struct placement *p, int64_t seconds);

/* After placement_place failed with ENOSPC: why a fabric constraint
 * (group=switch, switches=N) makes the job wait, "" when it simply does
 * not fit.  After a success: what the fabric step did that the job should
 * be told ("switches=2 met: 2 leaf switches"), "" for nothing.  Valid
 * until the next call on P. */
const char *placement_why (const struct placement *p);
const char *placement_note (const struct placement *p);

#endif
