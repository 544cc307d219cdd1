/* linkplan.h - which pairs of nodes the link probes measure (pure)
 *
 * Nodes are numbered 0..n-1: in the declared tree's fabric order (leaf by
 * leaf) when there is one, else in name order (nodes are mostly named by
 * rack, so name-order neighbours are mostly leaf mates).  Up to
 * LINKPLAN_ALL_PAIRS nodes every pair is probed: n(n-1)/2.
 *
 * Beyond, each node is probed
 *  - against its leaf mates up to LINKPLAN_NEIGHBOURS positions away on
 *    either side, in fabric order, the leaf taken as a ring (its last node
 *    is next to its first): up to 2 * LINKPLAN_NEIGHBOURS leaf mates per
 *    node, a leaf of up to 2 * LINKPLAN_NEIGHBOURS + 1 nodes in all its
 *    pairs, and a leaf's probes always tie the whole leaf together (what
 *    qtopo --check needs to judge the leaf).  With no declared tree the
 *    whole name order is one such ring;
 *  - against LINKPLAN_LANDMARKS landmark nodes spread evenly over the order
 *    (k * n / LINKPLAN_LANDMARKS), which tie the leaves together.
 * The number of pairs then grows linearly: each node names at most
 * LINKPLAN_NEIGHBOURS leaf-mate pairs and LINKPLAN_LANDMARKS landmark
 * pairs, so at most n * (LINKPLAN_NEIGHBOURS + LINKPLAN_LANDMARKS) = 8n in
 * all: a full refresh of 10,000 nodes is 80,000 probes instead of 50
 * million.
 */
#ifndef HUDDLE_CTLD_LINKPLAN_H
#define HUDDLE_CTLD_LINKPLAN_H

#define LINKPLAN_ALL_PAIRS  64
#define LINKPLAN_NEIGHBOURS 4
#define LINKPLAN_LANDMARKS  4
#define LINKPLAN_MAX        (LINKPLAN_ALL_PAIRS - 1) /* most partners of one node */

/* The nodes to plan for: n of them, and with a declared tree, for each
 * node i its leaf: nodes leaf_first[i] .. leaf_first[i] + leaf_count[i] -
 * 1 (leaf mates are consecutive in fabric order).  leaf_first and
 * leaf_count NULL: no declared tree (all nodes one ring in name order). */
struct linkplan {
    int n;
    const int *leaf_first, *leaf_count;
};

/* The partners j of node i that pair (i, j) is planned for, each pair
 * named once over all i (in the all-pairs case by its smaller end; a
 * leaf-mate pair by the node the other follows in the ring, at distance
 * d = 1 .. LINKPLAN_NEIGHBOURS, or for a ring of even size s, at distance
 * s / 2 by the node in the ring's first half; a landmark pair by its
 * non-landmark end, or the smaller landmark when both are, unless it is a
 * leaf-mate pair already), written to out (room for LINKPLAN_MAX).
 * Returns how many. */
int linkplan_partners (const struct linkplan *p, int i, int *out);

#endif
