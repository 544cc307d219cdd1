/* alloc.h - what one job was given: per-node cores, PUs, GPUs and memory
 *
 * An allocation is the scheduler's answer for one job, kept at core and GPU
 * granularity (not counts) so that a later placement engine can write an
 * Open MPI rankfile from it and the controller can store it as the
 * protocol's "allocation" array (docs/protocol.md: node, cores, pus, gpus,
 * mem).
 *
 * Ownership: sched_alloc_create() returns an allocation the caller frees with
 * sched_alloc_destroy().  Everything reachable from it (node names, index
 * arrays) is owned by the allocation and valid until it is destroyed or
 * changed with sched_alloc_add().
 *
 * Errors: functions return -1 (or NULL) with errno set and change nothing.
 */
#ifndef HUDDLE_SCHED_ALLOC_H
#define HUDDLE_SCHED_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

struct sched_alloc;

/* One node's share of an allocation.  Read-only view when returned by
 * sched_alloc_node(); input (copied) when given to sched_alloc_add(). */
struct sched_alloc_node {
    const char *name; /* node name */
    int ncores;
    const int *cores; /* core ids (sched_core_desc.os_index: hwloc logical index) */
    int npus;
    const int *pus; /* OS indexes of the PUs of those cores */
    int ngpus;
    const int *gpus; /* GPU indexes */
    uint64_t mem;    /* bytes */
    int nranks;      /* MPI ranks here: sum of the chunks' mpiprocs */
};

/* A new, empty allocation for job SEQ.  NULL + ENOMEM on failure. */
struct sched_alloc *sched_alloc_create (int64_t seq);

/* Free the allocation.  NULL-safe, keeps errno. */
void sched_alloc_destroy (struct sched_alloc *a);

int64_t sched_alloc_seq (const struct sched_alloc *a);

/* Whether the job holds its nodes exclusively (place=excl or exclhost).
 * When rebuilding an allocation from the store, set it from the job's
 * place sharing before handing it to sched_snapshot_claim(). */
bool sched_alloc_exclusive (const struct sched_alloc *a);
void sched_alloc_set_exclusive (struct sched_alloc *a, bool exclusive);

/* Number of nodes, and the I-th node's share (0 <= I < nnodes; NULL + EINVAL
 * otherwise).  Each node appears once. */
int sched_alloc_nnodes (const struct sched_alloc *a);
const struct sched_alloc_node *sched_alloc_node (const struct sched_alloc *a, int i);

/* Add PART to the allocation, copying it.  When PART->name is already in the
 * allocation its lists are appended and mem/nranks added; otherwise a new
 * node entry is created.  EINVAL on a NULL/empty name or negative counts. */
int sched_alloc_add (struct sched_alloc *a, const struct sched_alloc_node *part);

/* Totals over all nodes (for reporting: "ncpus", "ngpus", "mem"). */
int sched_alloc_total_cores (const struct sched_alloc *a);
int sched_alloc_total_gpus (const struct sched_alloc *a);
uint64_t sched_alloc_total_mem (const struct sched_alloc *a);

#endif
