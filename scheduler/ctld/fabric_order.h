/* fabric_order.h - a switch tree as the scheduler core's fabric (pure)
 *
 * The controller reads its tree with topology/fabric.h and hands it to the
 * scheduler core (scheduler/core/fabric.h) as two plain arrays: the nodes
 * it knows, in fabric order, and the switches as ranges of that order.
 * This is that conversion and nothing else (no registry, no log), so that
 * bench/placement_bench can time what a SIGHUP reload costs the scheduler
 * side on a tree of any size without a controller; ctld_fabric.c calls it
 * with the registry's nodes.
 *
 * Cost: O(nodes + switches) plus one KEEP call per node of the tree.
 */
#ifndef HUDDLE_CTLD_FABRIC_ORDER_H
#define HUDDLE_CTLD_FABRIC_ORDER_H

#include <stdbool.h>
#include <stddef.h>

#include "scheduler/core/fabric.h"

struct fabric;

/* What the scheduler core's fabric wants, for the nodes KEEP accepts:
 * names: those nodes in fabric order (leaf by leaf, leaves in tree order);
 * switches: every switch of the tree that has at least one of them, in
 * depth-first order, with its level (leaf 0), its parent's position in
 * this array (-1: root) and the range [first, first + count) of names it
 * spans; groups: the same switches as the core's groups (the same order),
 * so that {nnames, names, nswitches, groups} is a struct sched_fabric.
 * Free with ctld_fabric_order_free(). */
struct ctld_fabric_switch {
    const char *name; /* borrowed from the tree */
    int level;
    int parent;
    size_t first, count;
};
struct ctld_fabric_order {
    const char **names; /* borrowed from the tree (or the caller) */
    size_t nnames;
    struct ctld_fabric_switch *switches;
    struct sched_fabric_group *groups;
    size_t nswitches;
};

/* Fill OUT from TREE with the nodes for which KEEP (NAME, ARG) is true.
 * 0, or -1 with errno ENOMEM (OUT is then empty). */
int ctld_fabric_order_of (const struct fabric *tree, bool (*keep) (const char *name, void *arg),
                          void *arg, struct ctld_fabric_order *out);

/* O as the core's fabric (borrows O's arrays: valid while O is). */
struct sched_fabric ctld_fabric_order_sched (const struct ctld_fabric_order *o);

void ctld_fabric_order_free (struct ctld_fabric_order *o); /* NULL-safe */

#endif
