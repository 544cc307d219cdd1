/* snapshot_impl.h - the snapshot's insides, shared by scheduler/core only
 *
 * The node allocator and placement read and update nodes directly; nothing
 * outside scheduler/core includes this file.  Cores and GPUs are addressed
 * by "slot" (position in the node's arrays); core ids and GPU indexes only appear at the
 * edges (descriptions in, allocations out).
 */
#ifndef HUDDLE_SCHED_SNAPSHOT_IMPL_H
#define HUDDLE_SCHED_SNAPSHOT_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "scheduler/core/snapshot.h"

#define SNAP_FREE (-1) /* owner of a free core or GPU */

struct snode_core {
    int os_index;
    int numa; /* dense NUMA domain number within the node */
    int npus;
    int *pus;
    bool gpu_local; /* local to some GPU: CPU-only chunks take it last */
    int64_t owner;  /* job seq or SNAP_FREE */
    int numa_at;    /* its position in its domain's list (numa_cores) */
};

struct snode_gpu {
    int index;
    int numa;   /* dense domain, -1 when unknown */
    int island; /* NVLink island (sched_gpu_desc.island) */
    int nlocal;
    int *local; /* slots of the cores local to it */
    int64_t owner;
};

struct snode {
    char *name;
    char *labels; /* "" none; chunks' labels must all be here (placement.c) */
    int index;    /* position in the snapshot */
    bool usable;
    int ncores, free_cores;
    struct snode_core *cores;
    int ngpus, free_gpus;
    struct snode_gpu *gpus;
    uint64_t mem, mem_used;
    int njobs;
    int64_t excl_seq; /* job holding the node exclusively, SNAP_FREE none */

    /* cores per NUMA domain, non-GPU-local ones first, then by OS index */
    int nnuma;
    int *numa_free;
    int *numa_ncores;
    int **numa_cores;
    /* per domain: every core of numa_cores[d] before this position is
     * taken, so the allocator's scan for free cores starts there (a chunk
     * of one core on a full-ish node would otherwise walk the taken ones,
     * once per instance).  Moved on by the scan, back by snap_put_core. */
    int *numa_first;

    int *core_slot; /* core OS index -> slot, -1 when absent */
    int core_slot_len;
    int *gpu_slot; /* GPU index -> slot, -1 when absent */
    int gpu_slot_len;

    int fabpos; /* position in the fabric's node order, -1 when it names none */
    int leaf;   /* index of its leaf in the leaf groups (0 without a fabric) */

    /* On the first node of a leaf (groups[1 + leaf].first) only: the
     * sched_snapshot.changes of the latest change to a node under that
     * leaf, so placement can keep what it counted on a leaf between jobs
     * and see in O(1) when that went stale (placement.c) */
    uint64_t leaf_changed;

    struct snode_pg *pg; /* placement groups with running jobs here */
    int npg, pg_cap;

    struct snode *hnext; /* name hash chain */
};

/* What one node (or the best node of a group) offers a new shared job now:
 * free cores, GPUs and memory; cores = -1 when it takes nothing new
 * (unusable, or held exclusively). */
struct snap_cap {
    int cores, gpus;
    uint64_t mem;
};

/* What a group of nodes offers now: its best node (the componentwise
 * maximum of snap_cap over the group) and its free cores and GPUs in all
 * (nodes that offer nothing count 0). */
struct snap_totals {
    struct snap_cap best;
    long cores, gpus;
};

/* A group of nodes: a range of dense indexes with its level (fabric.h).
 * Group 0 is the whole cluster; with a fabric, groups 1..nleaves are the
 * leaf switches in dense order (every node under exactly one), and the
 * switches above follow, by level and then dense order.  Its totals come
 * from the group tree, kept up to date on every claim and release. */
struct snap_group {
    int first, count;
    int level;
};

/* The fabric as given (fabric.h), kept so that nodes added later find
 * their place: names sorted for lookup, groups in fabric positions. */
struct snap_fabric_name {
    char *name;
    int pos;
};
struct snap_fabric {
    int nnames;
    struct snap_fabric_name *byname; /* sorted by name */
    int ngroups;
    struct sched_fabric_group *groups;
    int maxlevel;
};

/* A placement group (pgroup.h) and, on a node, one group's running jobs
 * there.  Groups are addressed by their slot in sched_snapshot.pgroups,
 * which never moves while the group exists, so a node's entries stay
 * valid when the fabric reorders the nodes. */
struct snap_pgroup {
    char *name; /* NULL: a free slot */
    int strategy;
    int partitions;
    long members; /* node entries of running member jobs, over all nodes */
};

struct snode_pg {
    int group;     /* slot in sched_snapshot.pgroups */
    int partition; /* 1..K for a partition group, else 0 */
    int jobs;      /* member jobs on this node */
};

/* A running job's allocation as the snapshot keeps it for backfill: a
 * copy, with its window (rset_end: when it is expected back). */
struct snap_run {
    int64_t seq;
    struct sched_alloc *a;
    /* At least what releasing it adds to the free cores and GPUs of the
     * cluster's totals (snap_group_totals): its own, or with an exclusive
     * allocation its nodes' whole capacity.  Backfill adds them up to see
     * without replaying that a job cannot fit yet (backfill.c). */
    long cores, gpus;
    /* Its entries' nodes, in entry order, looked up once when tracked
     * (nodes never move or go away): backfill's replay releases and
     * claims it back many times a pass without looking names up. */
    struct snode **nodes;
    int hnext; /* next entry of its hash chain, -1 none */
};

struct sched_snapshot {
    struct snode **nodes; /* dense index order (by name); pointers, so a node never moves */
    int n, cap;
    struct snode **buckets;
    int nbuckets;
    /* Group tree: a segment tree over the dense index whose entries are the
     * snap_totals of their range, so "which is the first node from I that
     * might hold this chunk" and "can it fit under this group at all" cost
     * O(log n), not a visit of every node.  Rebuilt (O(n)) after nodes were
     * added, updated per node on claim/release. */
    struct snap_totals *tree;
    int leaves; /* power of two >= n; tree has 2 * leaves entries */
    bool tree_stale;
    /* the groups; [0] is the whole cluster, then the leaves (above) */
    struct snap_group *groups;
    int ngroups;
    int nleaves;                /* 0 without a fabric: the cluster is the one leaf */
    bool groups_stale;          /* nodes were added: rebuild groups from fabric */
    struct snap_fabric *fabric; /* NULL: none, name order */
    /* Names the set of configured nodes by content: a hash of every node's
     * name and capacity.  A job that could fit on an idle cluster with one
     * generation still can on any snapshot with the same one: the pass need
     * not ask again.  Content, not a counter, so no process-wide state. */
    uint64_t generation;
    struct snap_pgroup *pgroups;
    int npgroups;
    /* Every claimed allocation (sched_snapshot_claim, and the pass's
     * starts), so that a pass can replay the running jobs' ends: an array
     * with a chained hash by seq (runs_bucket[seq % nbuckets] is the first
     * entry, -1 none). */
    struct snap_run *runs;
    int nruns, runs_cap;
    int *runs_bucket;
    int runs_nbuckets;
    /* Counts snap_node_changed calls: the clock of snode.leaf_changed,
     * never going back, so stamps taken from it stay comparable. */
    uint64_t changes;
};

/* Rebuild the groups from the fabric if nodes were added since (O(n)).
 * -1 ENOMEM: the groups then stay as they were (one group: the cluster,
 * still correct, only not topology-aware). */
int snap_groups_ready (struct sched_snapshot *s);

/* Free S's fabric copy (NULL-safe). */
void snap_fabric_free (struct snap_fabric *f);

/* Position of a node named NAME in fabric order, -1 when it names none. */
int snap_fabric_pos (const struct snap_fabric *f, const char *name);

/* Does node A come before node B in the dense order: fabric order, then
 * unnamed nodes by name? */
bool snap_node_before (const struct snode *a, const struct snode *b);

/* Claim or release A without recording it among the running jobs: for
 * the pass, which replays ends and tries placements on the live snapshot
 * and then puts everything back exactly (backfill.c).  As
 * sched_snapshot_claim / sched_snapshot_release otherwise. */
int snap_claim (struct sched_snapshot *s, const struct sched_alloc *a);
int snap_release (struct sched_snapshot *s, const struct sched_alloc *a);

/* The same for a tracked run, through its node pointers (snap_run.nodes). */
int snap_claim_run (struct sched_snapshot *s, const struct snap_run *r);
int snap_release_run (struct sched_snapshot *s, const struct snap_run *r);

/* Record a copy of A (claimed already) among the running jobs, replacing
 * an entry of the same seq; forget job SEQ's entry (nothing when none).
 * snap_track: -1 ENOMEM, nothing recorded. */
int snap_track (struct sched_snapshot *s, const struct sched_alloc *a);
void snap_untrack (struct sched_snapshot *s, int64_t seq);

/* Index of node NAME or -1. */
int snap_find (const struct sched_snapshot *s, const char *name);

/* Slot of placement group NAME, -1 when there is none. */
int snap_pgroup_find (const struct sched_snapshot *s, const char *name);

/* Job sched_alloc_seq(A), just claimed, is a member of its allocation's
 * group (sched_alloc_pgroup): count it on its nodes.  Nothing to do for
 * no group or a group the snapshot does not know.  -1 ENOMEM, nothing
 * counted.  snap_pgroup_leave() undoes it (before the release). */
int snap_pgroup_join (struct sched_snapshot *s, const struct sched_alloc *a);
void snap_pgroup_leave (struct sched_snapshot *s, const struct sched_alloc *a);

/* Free a node's group entries, and the snapshot's groups. */
void snap_pgroups_free (struct sched_snapshot *s);

/* A node with nothing on it: what place=excl needs. */
static inline bool snode_idle (const struct snode *n)
{
    return n->njobs == 0 && n->excl_seq == SNAP_FREE;
}

/* A node's free resources changed (or its usability, or its labels):
 * stamp its leaf (snode.leaf_changed) and refresh the group tree.  Called
 * once per node after a claim or release; every change to what a node
 * offers must come here, or placement's per-leaf counts go stale. */
void snap_node_changed (struct sched_snapshot *s, const struct snode *n);

/* What node I offers now (snap_cap above). */
struct snap_cap snap_node_cap (const struct snode *n);

/* The totals of nodes FIRST..FIRST+COUNT-1, and of group G (0 <= G <
 * s->ngroups), in O(log n). */
struct snap_totals snap_range_totals (struct sched_snapshot *s, int first, int count);
struct snap_totals snap_group_totals (struct sched_snapshot *s, int g);

/* The first node index >= FROM whose free resources are at least NEED in
 * every component, or s->n when there is none.  A necessary condition
 * only: the caller still checks the node (exclusivity, its own tentative
 * use, a skip mask). */
int snap_next_fit (struct sched_snapshot *s, int from, const struct snap_cap *need);

/* Bookkeeping primitives; callers have checked that the change is legal. */
void snap_take_core (struct snode *n, int slot, int64_t seq);
void snap_put_core (struct snode *n, int slot);
void snap_take_gpu (struct snode *n, int slot, int64_t seq);
void snap_put_gpu (struct snode *n, int slot);

/* A job arrives on / leaves a node (once per node, not per chunk). */
void snap_attach (struct snode *n, int64_t seq, bool exclusive);
void snap_detach (struct snode *n, bool exclusive);

#endif
