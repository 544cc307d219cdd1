/* alloc.h - what one job was given: a resource set (common/rset.h) with
 * the job's seq and whether it holds its nodes exclusively
 *
 * An allocation is the scheduler's answer for one job, kept at core and GPU
 * granularity (not counts) so that a later placement engine can write an
 * Open MPI rankfile from it.  Its resources are an rset, the same type the
 * controller stores and sends as the protocol's "allocation" array
 * (rset_to_json / rset_from_json: one codec, shared with the agent), and
 * its window says when it started and when it is expected to end (start +
 * walltime), so backfill can build a resource-time profile from the
 * allocations of the running jobs.
 *
 * Ownership: sched_alloc_create() returns an allocation the caller frees with
 * sched_alloc_destroy().  Everything reachable from it (node names, index
 * arrays, the rset) is owned by the allocation and valid until it is
 * destroyed or changed with sched_alloc_add().
 *
 * Errors: functions return -1 (or NULL) with errno set and change nothing.
 */
#ifndef HUDDLE_SCHED_ALLOC_H
#define HUDDLE_SCHED_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

#include "common/rset.h"

struct sched_alloc;

/* A new, empty allocation for job SEQ.  NULL + ENOMEM on failure. */
struct sched_alloc *sched_alloc_create (int64_t seq);

/* An allocation for job SEQ holding the resources of R, which it takes
 * over (destroyed with the allocation, also on failure).  NULL + ENOMEM. */
struct sched_alloc *sched_alloc_from_rset (int64_t seq, bool exclusive, struct rset *r);

/* A copy of A (resources, window, exclusivity, placement group) that the
 * caller frees.  NULL + ENOMEM. */
struct sched_alloc *sched_alloc_copy (const struct sched_alloc *a);

/* Free the allocation.  NULL-safe, keeps errno. */
void sched_alloc_destroy (struct sched_alloc *a);

int64_t sched_alloc_seq (const struct sched_alloc *a);

/* Whether the job holds its nodes exclusively (place=excl or exclhost).
 * When rebuilding an allocation from the store, set it from the job's
 * place sharing before handing it to sched_snapshot_claim(). */
bool sched_alloc_exclusive (const struct sched_alloc *a);
void sched_alloc_set_exclusive (struct sched_alloc *a, bool exclusive);

/* The placement group the job belongs to (pgroup.h), "" for none, and
 * for a partition group the partition it was placed in (1..K; 0 for
 * none).  Placement sets both; when rebuilding an allocation from the
 * store, set them from the job before sched_snapshot_claim(), so the
 * group knows where its running jobs are.  EINVAL: a name longer than
 * SCHED_ALLOC_PGROUP_MAX or a negative partition. */
#define SCHED_ALLOC_PGROUP_MAX 64
int sched_alloc_set_pgroup (struct sched_alloc *a, const char *name, int partition);
const char *sched_alloc_pgroup (const struct sched_alloc *a);
int sched_alloc_partition (const struct sched_alloc *a);

/* The resources, for encoding (rset_to_json) and windows (rset_start,
 * rset_end).  sched_alloc_set_window: see rset_set_window. */
const struct rset *sched_alloc_rset (const struct sched_alloc *a);
void sched_alloc_set_window (struct sched_alloc *a, int64_t start, int64_t walltime);

/* Number of nodes, and the I-th node's share (0 <= I < nnodes; NULL + EINVAL
 * otherwise).  Each node appears once. */
int sched_alloc_nnodes (const struct sched_alloc *a);
const struct rset_node *sched_alloc_node (const struct sched_alloc *a, int i);

/* Add PART to the allocation (rset_add). */
int sched_alloc_add (struct sched_alloc *a, const struct rset_node *part);

/* Totals over all nodes (for reporting: "ncpus", "ngpus", "mem"). */
int sched_alloc_total_cores (const struct sched_alloc *a);
int sched_alloc_total_gpus (const struct sched_alloc *a);
uint64_t sched_alloc_total_mem (const struct sched_alloc *a);

#endif
