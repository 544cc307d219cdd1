/* infer.h - a switch tree inferred from measured links (pure)
 *
 * With no declared tree, huddle still knows which nodes sit together: the
 * link probes measure latency and bandwidth between pairs of nodes, and
 * leaf mates measure clearly better than nodes that talk through a switch
 * above their leaf.  fabric_infer() turns those measurements into the same
 * fabric model a topology.conf gives (fabric.h), so that the scheduler,
 * qtopo and qstat use it exactly as they would use a declared tree.
 *
 * The rule.  For every node, its best link: the lowest latency and the
 * highest bandwidth among its measured pairs.  A measured pair is *near*
 * when, for both of its nodes, its latency is at most INFER_FACTOR times
 * that node's best latency and its bandwidth at least that node's best
 * bandwidth divided by INFER_FACTOR.  Leaves are the connected groups of
 * near pairs (single linkage).  Why so:
 *  - INFER_FACTOR is 2: one measurement of a link varies by about +-20 %
 *    (two measurements of equal links then differ by up to 1.5x, which
 *    must still be near), while a link that is not at least twice as slow
 *    (or half as wide) as a node's best gains a job nothing when avoided,
 *    so telling it apart would only split leaves on noise;
 *  - relative to each node's own best, not to one cluster-wide threshold,
 *    so that leaves of different hardware (an older leaf with slower
 *    NICs) are each found;
 *  - both nodes must agree: a node whose every link is slow (a bad NIC)
 *    finds all its pairs within a factor of its own best, but its
 *    partners do not, so it stays a leaf of its own instead of chaining
 *    every leaf into one;
 *  - both latency and bandwidth: shaped or oversubscribed uplinks show in
 *    bandwidth while latency stays alike, an extra switch hop shows in
 *    latency; either one makes a pair far;
 *  - a latency over INFER_LAT_NOISE (20) times a node's best says nothing
 *    about hops (one more switch costs a fraction of the best, never 20x):
 *    the probe was descheduled (on a busy host a ping-pong reads a
 *    scheduler tick, milliseconds, between leaf mates); such a pair is
 *    judged by its bandwidth alone;
 *  - single linkage: a leaf needs no pair measured between every two of
 *    its nodes (probes beyond 64 nodes measure a bounded set,
 *    scheduler/ctld/linkplan.h), and one pair disturbed while it was
 *    measured does not split a leaf whose other pairs tie it together.
 * Pairs never measured say nothing.  A node with no measured pair is a
 * leaf of its own.  When every pair is near, the cluster is one leaf.
 *
 * A second level.  The same rule is applied once more with the leaves as
 * units, a pair of leaves measuring the median latency and median
 * bandwidth of the measured pairs between their nodes.  When that groups
 * the leaves into more than one group and fewer groups than leaves, and
 * some measured pair of leaves is far (groups apart only for want of a
 * measurement are not a level), each group becomes a switch between its
 * leaves and the root; otherwise the leaves are directly under the root.
 *
 * Names and order (deterministic: the result depends on the set of nodes
 * and measurements, not on the order they are given in): nodes within a
 * leaf in name order (strcmp), leaves in the order of their first node,
 * second-level groups likewise; the leaves are named leaf1, leaf2, ... in
 * the fabric order, the second-level switches spine1, spine2, ..., the
 * top switch "root".  Names are the tree's own and change when the nodes
 * or the grouping do.
 *
 * Cost: O(n log n + m log m) for n nodes and m measured pairs.
 */
#ifndef HUDDLE_INFER_H
#define HUDDLE_INFER_H

#include <stddef.h>

#include "common/herror.h"

struct fabric;

#define INFER_FACTOR    2.0
#define INFER_LAT_NOISE 20.0

/* One measured pair: node names (borrowed), latency in µs and bandwidth in
 * MB/s, both > 0 (a pair with another number is not used). */
struct fabric_measure {
    const char *a, *b;
    double latency_us, bandwidth_mbps;
};

/* The tree of the N nodes NODES (names, borrowed) inferred from the NM
 * measurements M.  A measurement naming a node not in NODES, or one node
 * twice, is not used; *used (may be NULL) is told how many were.  Returns
 * a new fabric (fabric_destroy()), or NULL with errno EINVAL and a
 * sentence in err (no nodes, an empty name, a node named twice), ENOMEM. */
struct fabric *fabric_infer (const char *const *nodes, size_t n, const struct fabric_measure *m,
                             size_t nm, size_t *used, struct herror *err);

#endif
