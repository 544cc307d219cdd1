/* placement.h - which nodes a job's chunks go to (internal to scheduler/core)
 *
 * Placement works in two steps, so the expensive part stays count-based:
 *
 *  1. choose a node for every chunk instance by counts (free cores, GPUs,
 *     memory), honouring place=pack/scatter/free, excl/exclhost and host=;
 *  2. for each chosen node, ask the node allocator (nodealloc.h) for the
 *     particular cores and GPUs.
 *
 * Step 1 goes through nodes in snapshot order, so low-numbered nodes fill
 * first and whole nodes stay free at the other end for big and exclusive
 * jobs.  place=pack takes the first node that holds the whole request;
 * scatter the first unused node that holds the chunk; free first tries the
 * nodes the job already uses, and when it must open another takes the first
 * that holds all the chunk's remaining instances, else the one that holds
 * most, so the job spans few nodes.  Chunks are placed most-constrained
 * first (host=, then more GPUs, more cores, more memory).  Scanning resumes
 * after the nodes that had no room for an earlier instance of the same
 * chunk; a chunk costs O(nodes) per node it opens (one for most jobs).
 * Greedy, not optimal: a job that only an exhaustive search could fit is
 * treated as not fitting.

 * The same step 1 run against empty nodes answers "could this job ever
 * fit?", so a job is reported as never fitting exactly when this placer
 * could not place it on the idle cluster: the answer and the placer cannot
 * disagree, which the starvation reservation (pass.h) relies on.
 *
 * A later topology-aware engine (lowest common switch, fewest leaves)
 * replaces step 1's node order; step 2 and the pass stay.
 */
#ifndef HUDDLE_SCHED_PLACEMENT_H
#define HUDDLE_SCHED_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/resreq.h"
#include "scheduler/core/alloc.h"
#include "scheduler/core/snapshot_impl.h"

/* Scratch for placing jobs on S, one pass long: it is sized for S's nodes
 * at creation, so create a new one after adding nodes. */
struct placement *placement_create (struct sched_snapshot *s);
void placement_destroy (struct placement *p);

/* Place REQ for job SEQ on what is free now, never on a node whose SKIP[i]
 * is true (SKIP may be NULL).  On success the resources are claimed in the
 * snapshot and *OUT is a new allocation the caller owns.  -1 with errno =
 * ENOSPC when it does not fit now, EINVAL for a malformed request, ENOMEM;
 * nothing is claimed then. */
int placement_place (struct placement *p, int64_t seq, const struct resreq *req, const bool *skip,
                     struct sched_alloc **out);

/* Could REQ be placed if every node were idle?  USABLE_ONLY counts only
 * usable nodes, otherwise every configured node.  1 yes; 0 no, with a
 * sentence for the user in REASON; -1 ENOMEM. */
int placement_could_fit (struct placement *p, const struct resreq *req, bool usable_only,
                         char *reason, size_t len);

/* Set MASK[i] for every usable node on which some chunk of REQ could fit
 * when the node is idle: the nodes a blocked REQ is waiting for. */
void placement_mark_wanted (struct placement *p, const struct resreq *req, bool *mask);

#endif
