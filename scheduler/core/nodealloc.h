/* nodealloc.h - choose the cores and GPUs for one chunk on one node
 *
 * Internal to scheduler/core.  Placement decides *which node* a chunk goes
 * to (by counts); this decides *which cores and GPUs* on it, by locality:
 *
 *   - GPUs are whole devices.  A chunk's GPUs come from one NVLink/NVSwitch
 *     island when one has enough free (the tightest), else from the islands
 *     with most free first.  Within an island, from one NUMA domain when one
 *     has enough free (the one with the most free cores, so the chunk's
 *     cores can be near them), else from the fewest domains.
 *   - A GPU chunk's cores: first each of its ranks' even share local to the
 *     GPU the rank drives (rset_rank_first_gpu, as the rank layout assigns
 *     them), then other cores local
 *     to them, then other cores of their NUMA domains, then as for CPU
 *     chunks.
 *   - A CPU chunk's cores: all in one NUMA domain when one has room (the
 *     tightest such domain, keeping big holes for big chunks), else from the
 *     fewest domains; within a domain, cores no GPU is local to go first.
 *
 * The later topology-aware engine can replace this file without touching the
 * pass or the snapshot.
 */
#ifndef HUDDLE_SCHED_NODEALLOC_H
#define HUDDLE_SCHED_NODEALLOC_H

#include <stdint.h>

#include "common/resreq.h"
#include "scheduler/core/alloc.h"
#include "scheduler/core/snapshot_impl.h"

/* Claim C->ncpus cores, C->ngpus GPUs and C->mem bytes of node N for job SEQ
 * and add them to A (node entry N->name, nranks += C->mpiprocs).  The caller
 * has checked that N has that much free; the job's attach to the node is the
 * caller's too.  Returns 0, or -1 with errno = ENOMEM and nothing claimed. */
int nodealloc_chunk (struct sched_snapshot *s, struct snode *n, const struct resreq_chunk *c,
                     int64_t seq, struct sched_alloc *a);

#endif
