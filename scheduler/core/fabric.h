/* fabric.h - the fabric as the scheduler core sees it: node order and switches
 *
 * The core knows nothing of topology files.  Whoever reads the fabric
 * (topology/, from a declared tree or measurements) hands the snapshot two
 * plain arrays:
 *
 *   names:  every node of the fabric in fabric order, leaf by leaf (all the
 *           nodes of one leaf switch next to each other, and the leaves of
 *           one switch next to each other, recursively);
 *   groups: the switches, each a contiguous range FIRST..FIRST+COUNT-1 of
 *           positions in NAMES with its LEVEL: 0 for a leaf switch (the
 *           nodes are cabled to it), higher for switches above.  Any two
 *           groups are disjoint or nested, and a group that contains
 *           another has a higher level.  The root need not be given: the
 *           whole cluster is always a group, one level above the highest.
 *
 * The snapshot then orders its dense node index by fabric order (nodes the
 * fabric does not name come last, in name order, each its own leaf under
 * the root; names the snapshot does not have are skipped, and the groups
 * shrink accordingly), so a switch is a contiguous range of the dense
 * index and the group tree (snapshot_impl.h) answers "does this fit under
 * switch G?" in O(log nodes).
 *
 * Without a fabric (or after sched_snapshot_set_fabric (s, NULL)) the
 * cluster is one group in name order, and placement behaves as it did
 * before the fabric existed.
 *
 * Placement (placement.h) uses the groups for every job that may span
 * nodes: the lowest switch under which the job fits, then the fewest
 * leaves under it, then the leaves it fills most exactly; the allocation
 * lists nodes leaf by leaf, so consecutive ranks share a leaf.
 *
 * The snapshot copies everything; allocations held by running jobs stay
 * valid (they name nodes, not indexes).  Nothing here does I/O.
 */
#ifndef HUDDLE_SCHED_FABRIC_H
#define HUDDLE_SCHED_FABRIC_H

#include "scheduler/core/snapshot.h"

/* Bounds, so that a bad fabric cannot make the core allocate absurdly. */
#define SCHED_FABRIC_MAX_NODES  (1 << 22)
#define SCHED_FABRIC_MAX_GROUPS (1 << 22)
#define SCHED_FABRIC_MAX_LEVEL  64

struct sched_fabric_group {
    int first, count; /* positions in sched_fabric.names; count >= 1 */
    int level;        /* 0 = leaf switch, 1.. switches above */
};

struct sched_fabric {
    int nnames;
    const char *const *names; /* fabric order; unique, non-empty */
    int ngroups;
    const struct sched_fabric_group *groups; /* any order */
};

/* Take F as the snapshot's fabric (replacing any earlier one; NULL: none,
 * back to name order).  Reorders the dense index; placement scratch
 * (placement_create) made before must be made again.  EINVAL with nothing
 * changed: a name empty or given twice, a group out of range, empty, of a
 * bad level, or overlapping another without nesting in it (or nested in a
 * group of the same or a lower level); ENOMEM. */
int sched_snapshot_set_fabric (struct sched_snapshot *s, const struct sched_fabric *f);

/* Give DST the fabric of SRC (none when SRC has none), for a caller that
 * rebuilds its snapshot (a node's hardware changed).  As
 * sched_snapshot_set_fabric(): ENOMEM, DST unchanged. */
int sched_snapshot_copy_fabric (struct sched_snapshot *dst, const struct sched_snapshot *src);

/* What the fabric makes of a set of nodes, for reports (qstat -f's
 * switches_spanned/common_switch) and tests: the number of leaves the
 * nodes NAMES[0..N-1] span and the level of the lowest group holding them
 * all (0 when they share a leaf).  Without a fabric the cluster is one
 * leaf: 1 and 0.  -1 ENOENT: a name the snapshot does not have; EINVAL:
 * N < 1. */
int sched_snapshot_span (struct sched_snapshot *s, const char *const *names, int n, int *leaves,
                         int *level);

#endif
