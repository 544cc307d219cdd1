/* linkplan.h - which pairs of nodes the link probes measure (pure)
 *
 * Nodes are numbered 0..n-1 in name order.  Up to LINKPLAN_ALL_PAIRS
 * nodes every pair is probed: n(n-1)/2.  Beyond, each node is probed
 * against its LINKPLAN_NEIGHBOURS next nodes in name order (nodes are
 * numbered by rack, so these are mostly its leaf mates; the declared leaf
 * mates can take their place once the fabric model is at hand) and
 * against LINKPLAN_LANDMARKS landmark nodes spread evenly over the order
 * (which tie the leaves together).  The number of pairs then grows
 * linearly: at most n * (LINKPLAN_NEIGHBOURS + LINKPLAN_LANDMARKS) = 8n,
 * so a full refresh of 10,000 nodes is 80,000 probes instead of 50
 * million.
 */
#ifndef HUDDLE_CTLD_LINKPLAN_H
#define HUDDLE_CTLD_LINKPLAN_H

#define LINKPLAN_ALL_PAIRS  64
#define LINKPLAN_NEIGHBOURS 4
#define LINKPLAN_LANDMARKS  4
#define LINKPLAN_MAX        (LINKPLAN_ALL_PAIRS - 1) /* most partners of one node */

/* The partners j of node i among n that pair (i, j) is planned for, each
 * pair named once over all i (by its smaller end in the all-pairs case
 * and for neighbours, by the non-landmark end or the smaller landmark for
 * landmark pairs), written to out (room for LINKPLAN_MAX).  Returns how
 * many. */
int linkplan_partners (int n, int i, int *out);

#endif
