/* snapshot.h - the scheduler's model of the cluster: nodes, cores, GPUs, use
 *
 * The controller builds one snapshot from the nodes' topology models and
 * keeps it live between scheduling passes: sched_pass() claims what it
 * starts, the controller releases an allocation when its job ends and
 * re-claims stored allocations after a restart.  huddle-sim drives the same
 * snapshot in virtual time.  Nothing here does I/O, reads a clock or logs.
 *
 * Resources are kept at core and GPU granularity with NUMA locality, because
 * placement (now and in the later topology-aware engine) chooses particular
 * cores and GPUs, not counts.  A core is the unit of allocation; its PUs
 * (hardware threads) always go with it.
 *
 * Nodes are named by the caller (the node name agents register with).  Plain
 * arrays come in (struct sched_node_desc): the snapshot does not depend on
 * the topology library, and copies everything it is given.
 *
 * Nodes have a dense index 0..n-1 in name order (byte order), whatever
 * order they were added in, so a cluster fills the same way whether its
 * agents registered in some order or a restarted controller loaded them
 * from its store (fabric order replaces name order once the fabric is
 * known).  Free resources are kept per group of nodes (snapshot_impl.h),
 * updated on every claim and release, so a request no node can hold is
 * refused without visiting the nodes.
 *
 * Ownership: sched_snapshot_create() returns a snapshot the caller frees with
 * sched_snapshot_destroy().  Allocations passed to claim/release stay the
 * caller's.
 *
 * Errors: functions return -1 with errno set and leave the snapshot exactly
 * as it was.
 */
#ifndef HUDDLE_SCHED_SNAPSHOT_H
#define HUDDLE_SCHED_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "scheduler/core/alloc.h"

/* Limits on what one node may describe, so that a bad topology report
 * cannot make the controller allocate huge index tables. */
#define SCHED_MAX_OS_INDEX     65535 /* largest core id / GPU index */
#define SCHED_MAX_PUS_PER_CORE 64

struct sched_snapshot;

struct sched_core_desc {
    int os_index;   /* core id, unique within the node: the controller passes
                     * hwloc's logical index (Linux core ids restart at 0 on
                     * each package); allocations carry the same ids */
    int numa;       /* OS index of the NUMA domain holding it (>= 0) */
    int npus;       /* >= 1 */
    const int *pus; /* OS indexes of its PUs */
};

struct sched_gpu_desc {
    int index;        /* GPU index as the agent numbers them, unique in the node */
    int numa;         /* NUMA domain OS index, -1 when unknown */
    int ncores;       /* cores local to the GPU (may be 0) */
    const int *cores; /* their core ids (os_index above); each a core of the node */
    int island;       /* NVLink/NVSwitch island (>= 0): GPUs of one island share
                       * fast links; a job's GPUs come from one island first.
                       * 0 for all when unknown (no preference). */
};

struct sched_node_desc {
    const char *name; /* non-empty, unique in the snapshot, < 64 bytes */
    bool usable;      /* false: offline/down, nothing new is started on it */
    uint64_t mem;     /* bytes a job may be given */
    int ncores;
    const struct sched_core_desc *cores;
    int ngpus;
    const struct sched_gpu_desc *gpus;
};

/* What a node has and what is in use, for reports (qnodes "assigned"). */
struct sched_node_usage {
    bool usable;
    int ncores, cores_used;
    int ngpus, gpus_used;
    uint64_t mem, mem_used;
    int njobs;             /* allocations present on the node */
    int64_t exclusive_seq; /* job holding it exclusively, -1 none */
};

struct sched_snapshot *sched_snapshot_create (void);

/* NULL-safe, keeps errno. */
void sched_snapshot_destroy (struct sched_snapshot *s);

/* Add a node, copying DESC.  EINVAL: malformed description (duplicate or out
 * of range indexes, unknown local core, bad name); EEXIST: the name is
 * already in the snapshot; ENOMEM. */
int sched_snapshot_add_node (struct sched_snapshot *s, const struct sched_node_desc *desc);

/* Give a node its labels, a label list "a100,gpu_type=a100" (common/
 * resreq.h; NULL or "" none), replacing what it had: a chunk asking for
 * labels is placed only on nodes that have all of them.  ENOENT: no such
 * node; ENOMEM. */
int sched_snapshot_set_labels (struct sched_snapshot *s, const char *name, const char *labels);

/* Mark a node usable (free/busy) or not (offline/down).  Allocations on it
 * stay; the pass just starts nothing new there.  ENOENT: no such node. */
int sched_snapshot_set_usable (struct sched_snapshot *s, const char *name, bool usable);

int sched_snapshot_nnodes (const struct sched_snapshot *s);

/* Names the set of configured nodes by content (names and capacities, not
 * the order they were added in): equal generations mean the same answer to
 * "could this job ever run here". */
uint64_t sched_snapshot_generation (const struct sched_snapshot *s);
bool sched_snapshot_has_node (const struct sched_snapshot *s, const char *name);

/* Fill *U for node NAME.  ENOENT: no such node. */
int sched_snapshot_node_usage (const struct sched_snapshot *s, const char *name,
                               struct sched_node_usage *u);

/* Mark the cores, GPUs and memory of A used by job sched_alloc_seq(A), and,
 * when A is exclusive, its nodes held by it.  For restarts (stored
 * allocations) and for simulators; allocations returned by sched_pass() are
 * already claimed.  PU lists are informational and not checked.
 * ENOENT: a node, core or GPU the snapshot does not have; EBUSY: something
 * already used, memory over the node's total, an exclusive allocation on a
 * node that is not idle, or a shared one on a node held exclusively. */
int sched_snapshot_claim (struct sched_snapshot *s, const struct sched_alloc *a);

/* Free what A holds (job ended, or the controller could not start it).
 * EINVAL: some core/GPU in A is not held by A's job (nothing is freed);
 * ENOENT: unknown node, core or GPU. */
int sched_snapshot_release (struct sched_snapshot *s, const struct sched_alloc *a);

/* The free pool as a resource set (common/rset.h): for every usable node
 * not held exclusively, in dense index order, its free cores (with their
 * PUs), free GPUs and free memory; nodes with nothing free are left out.
 * The same type as an allocation, so a simulator or a report can take
 * "what is free" and "what a job holds" apart with one set of functions.
 * O(size of the cluster).  NULL + ENOMEM; the caller destroys it. */
struct rset *sched_snapshot_free (const struct sched_snapshot *s);

/* Check the snapshot's internal bookkeeping (free counts against per-core
 * owners).  Returns 0, or -1 with errno = EIO when something disagrees.  For
 * tests and debug builds: O(size of the cluster). */
int sched_snapshot_verify (const struct sched_snapshot *s);

#endif
