/* pgroup.h - placement groups: jobs placed together, apart, or in partitions
 *
 * A placement group is a name that jobs ask for ("-l pgroup=NAME") and a
 * strategy that the scheduler applies to the group's jobs together, as
 * EC2 applies its placement group strategies to instances:
 *
 *   cluster    every job of the group as close as possible to the group's
 *              running jobs: under a leaf switch that holds some of them,
 *              else under the lowest switch above them that has room, and
 *              only when even the root has none, anywhere (it then waits
 *              like any job).  The running jobs are the group's home: the
 *              first job is placed as any job and fixes it; when none of
 *              the group's jobs runs, the next one chooses afresh.
 *   spread     every node of every running job of the group is under a
 *              different leaf switch (a failure domain): a job takes at
 *              most one node per leaf, and no leaf that holds a node of
 *              another job of the group.  A job that cannot get that
 *              waits, and says so; one that needs more nodes than the
 *              fabric has leaves can never run.
 *   partition  the group's nodes fall in K partitions that share no leaf
 *              switch.  Each job is placed whole in one partition: the
 *              one with the fewest of the group's nodes that has room, on
 *              leaves that no other partition of the group uses; the
 *              allocation says which (sched_alloc_partition, 1..K).
 *
 * Without a fabric every node is its own leaf here (a node is then the
 * failure domain), so spread puts one node of the group on each node.
 *
 * Membership comes from the allocations: the placer writes the group and
 * the partition into the allocation of a job that names a group, and a
 * claim (sched_snapshot_claim, after a restart) of an allocation that
 * carries them counts the job on its nodes again; the release uncounts
 * it.  So a restarted controller that claims its running jobs' stored
 * allocations with their group and partition set rebuilds every group's
 * home and partitions exactly.  A job whose group the snapshot does not
 * know is placed as if it named none (the controller refuses such jobs at
 * submit and keeps a group while jobs use it).
 *
 * Cost: a job of a group with running members costs one visit of the
 * nodes (O(nodes)) to find the group's leaves, on top of its placement;
 * cluster tries at most one placement per switch above the group's home,
 * partition at most one per partition.  Jobs of no group pay nothing.
 *
 * "Could it ever run" (pass.h) ignores the group's running jobs (they end)
 * but not the strategy's own rule: a spread job with more nodes than
 * leaves never fits.
 */
#ifndef HUDDLE_SCHED_PGROUP_H
#define HUDDLE_SCHED_PGROUP_H

#include "scheduler/core/snapshot.h"

enum sched_pg_strategy {
    SCHED_PG_CLUSTER,
    SCHED_PG_SPREAD,
    SCHED_PG_PARTITION,
};

#define SCHED_PG_MAX_PARTITIONS 64

/* The strategy a name ("cluster", "spread", "partition") says, -1 for
 * anything else (NULL too): the one spelling for qpg, the store and the
 * controller. */
int sched_pg_strategy_parse (const char *name);
#define SCHED_PG_MAX_GROUPS 100000

/* Define group NAME (1..SCHED_ALLOC_PGROUP_MAX bytes), or change the
 * strategy of an existing one (its running jobs stay where they are).
 * PARTITIONS: 1..SCHED_PG_MAX_PARTITIONS for SCHED_PG_PARTITION, ignored
 * otherwise.  EINVAL: a bad name, strategy or count; ENOSPC: more than
 * SCHED_PG_MAX_GROUPS groups; ENOMEM. */
int sched_snapshot_set_pgroup (struct sched_snapshot *s, const char *name,
                               enum sched_pg_strategy strategy, int partitions);

/* Forget group NAME.  ENOENT: no such group; EBUSY: jobs of it still hold
 * nodes (the controller refuses to delete a group in use anyway). */
int sched_snapshot_remove_pgroup (struct sched_snapshot *s, const char *name);

/* Give DST, which has no running jobs of any group yet, the groups of SRC
 * (for a caller that rebuilds its snapshot).  EBUSY: DST has members;
 * ENOMEM: DST unchanged. */
int sched_snapshot_copy_pgroups (struct sched_snapshot *dst, const struct sched_snapshot *src);

/* For reports and tests: how many running jobs of group NAME are on node
 * NODE (0 when none), and in which partition (0 when none).  ENOENT: no
 * such group or node. */
int sched_snapshot_pgroup_usage (const struct sched_snapshot *s, const char *name, const char *node,
                                 int *jobs, int *partition);

#endif
