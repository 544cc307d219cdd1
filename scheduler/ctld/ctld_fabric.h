/* ctld_fabric.h - the controller's fabric: the switch tree it schedules on
 *
 * The tree comes from the file of option fabric (topology/fabric.h: Slurm
 * topology.conf, or EC2 DescribeInstanceTopology JSON told apart by
 * content, with option fabric_map naming the EC2 instances).  It is read
 * at start (a bad file stops the start) and again on SIGHUP: a bad file
 * then is refused with a log line and the tree in use is kept; a good one
 * replaces it between two loop turns, so no job or message sees half of
 * either.  Jobs do not depend on the tree (it only orders placement), so
 * a reload never touches them.
 *
 * Every node of the registry (registered, or remembered by the store) that
 * the tree does not name becomes a leaf of its own under the root, with a
 * warning in the log, once per tree; fabric.query marks it "lone" so qtopo
 * shows the warning too.
 *
 * Without option fabric the tree is inferred from the measured links
 * (topology/infer.h: leaves are the nodes whose mutual latency and
 * bandwidth are clearly better than to the rest): at start from the links
 * the store kept, again when a probe round ends with new results
 * (links.c) and when a node registers that the registry did not know (a
 * node never measured is a leaf of its own).  A new inference that
 * differs from the tree in use is a candidate first: the measured pairs
 * the two judge differently (leaf mates in one, not in the other; with no
 * tree in use, the pairs the candidate puts on different leaves) are
 * measured again, before any merely old pair (links_recheck()), and the
 * candidate replaces the tree, and is handed to the scheduler, only when
 * the inference after that gives it again; when it gives the tree in use
 * the candidate is dropped (one round disturbed by load does not move
 * placement).  With nothing to measure again (probes off, a node that
 * only adds a leaf) it is used at once, and so is the tree inferred at
 * start from the stored links.  It is used exactly as a declared one (scheduler order,
 * qstat's switches_spanned and common_switch, qtopo); fabric.query marks
 * it "source": "measured" with the number of pairs it came from.  Until
 * some pair is measured there is no tree: fabric.query says so, and
 * ctld_fabric_order() reports no switches (name order stays).  A declared
 * tree is never replaced by an inferred one.
 */
#ifndef HUDDLE_CTLD_FABRIC_H
#define HUDDLE_CTLD_FABRIC_H

#include <stddef.h>

#include "common/herror.h"
#include "common/proto.h"
#include "scheduler/ctld/fabric_order.h"

struct ctld;
struct fabric;

/* Load cfg.fabric (if set) and watch SIGHUP.  After nodes_load(). */
int ctld_fabric_create (struct ctld *ctx, struct herror *err);
void ctld_fabric_destroy (struct ctld *ctx);

/* Read the file again (what SIGHUP does).  0, or -1 with err when the file
 * is refused (the old tree stays). */
int ctld_fabric_reload (struct ctld *ctx, struct herror *err);

/* Node NAME is in the registry now (nodes.c calls this on registration):
 * make it a lone leaf if the tree does not name it. */
void ctld_fabric_node_seen (struct ctld *ctx, const char *name);

/* The measured links changed (links.c, at the end of a probe round): with
 * no declared tree, infer it again. */
void ctld_fabric_links_changed (struct ctld *ctx);

/* The tree in use, declared or inferred, NULL when none (borrowed; valid
 * until the next reload or inference). */
const struct fabric *ctld_fabric_get (struct ctld *ctx);

/* The scheduler core's fabric (fabric_order.h) for the registry's nodes;
 * without a tree: the names in name order, no switches.  Free with
 * ctld_fabric_order_free(). */
int ctld_fabric_order (struct ctld *ctx, struct ctld_fabric_order *out);

/* Where the nodes NAMES[0..N-1] sit in the tree in use, for the job
 * object's switches_spanned/common_switch (qstat -f): *leaves, the number
 * of leaves holding at least one of them, and *common, the name of the
 * lowest switch holding them all (borrowed; valid until the next reload).
 * Returns 0, or -1 with ENOENT when there is no tree or the tree does not
 * hold one of the names (the attributes are then left out), ENOMEM. */
int ctld_fabric_span (struct ctld *ctx, const char *const *names, size_t n, int *leaves,
                      const char **common);

/* For the link plan (linkplan.h): the N nodes NAMES in the declared
 * tree's fabric order, as positions into NAMES (order[k]: the k-th), and
 * for each k the range of its leaf mates in that order: leaf_first[k] ..
 * leaf_first[k] + leaf_count[k] - 1 (a node the tree does not hold is a
 * leaf of its own, after the others).  The arrays have room for N.
 * Returns 0, or -1 with ENOENT when no tree is declared (an inferred one
 * is not used: the probes it would steer are the ones that make it),
 * ENOMEM. */
int ctld_fabric_probe_order (struct ctld *ctx, const char *const *names, int n, int *order,
                             int *leaf_first, int *leaf_count);

extern const struct proto_handler fabric_client_handlers[];

#endif
