/* fabric.h - the cluster's network: a tree of switches with nodes under the leaves
 *
 * One model of the fabric that placement, qtopo and the controller share,
 * read from what an admin or the cloud provider wrote:
 *  - Slurm's topology.conf (topology/tree):
 *        SwitchName=leaf1 Nodes=node[01-16] LinkSpeed=100
 *        SwitchName=spine Switches=leaf[1-4]
 *    keys case-insensitive, '#' starts a comment, hostlist ranges
 *    (common/hostlist.h) in Nodes= and Switches=, LinkSpeed= kept as text;
 *  - EC2 DescribeInstanceTopology JSON: "Instances": [{"InstanceId": ...,
 *    "NetworkNodes": [top, ..., bottom]}] (three or four layers): every
 *    network node is a switch under the one before it, instances sharing
 *    their last network node form a leaf.  Nodes are named by instance id,
 *    or through a map file ("NODE INSTANCE-ID" per line, '#' comments):
 *    with a map, instances it does not name are not the cluster's and are
 *    left out.  When the instances have several top network nodes, a
 *    switch named "root" is put above them.
 * fabric_load() tells the two apart by content: a file whose first
 * non-blank character is '{' is EC2 JSON, anything else topology.conf.
 *
 * The model.  Switches and nodes are numbered.  A switch has a name, a
 * parent (-1 for the one root), a level and its LinkSpeed text (may be
 * NULL).  Leaves (the switches with nodes) are level 0; any other switch
 * is one above its highest child.  A switch has either child switches or
 * nodes.  The *fabric order* numbers the nodes leaf by leaf, the leaves in
 * tree order (depth first from the root, children in the order the file
 * listed them, nodes within a leaf likewise): so the nodes under any one
 * switch are a contiguous range of that order (fabric_switch_range()),
 * which is what the scheduler core's groups are.  Node N's number IS its
 * position in the fabric order.
 *
 * Checks (errors name the file and line, "topology.conf:7: ..."): an
 * unknown switch in Switches=, a switch or node named twice, a switch
 * under two switches, a node under two leaves, a loop, two roots, a
 * switch with both Nodes= and Switches=, a bad hostlist, unknown keys.
 *
 * Cost: parse and build are O(switches + nodes) with hashed name lookups;
 * a 10,000-node tree loads in a few milliseconds, in either format (EC2
 * JSON as DescribeInstanceTopology writes it is read without building a
 * jansson tree; fabric.c says why and when jansson still reads it).
 *
 * Ownership: fabric_load*() return a fabric the caller frees with
 * fabric_destroy(); every const char * returned borrows from the fabric.
 * Errors: NULL or -1 with errno set (EINVAL with a sentence in err for
 * bad input, ENOENT etc. from reading a file, ENOMEM).  Nothing logs.
 */
#ifndef HUDDLE_FABRIC_H
#define HUDDLE_FABRIC_H

#include <stdbool.h>
#include <stddef.h>

#include "common/herror.h"

struct fabric;

void fabric_destroy (struct fabric *f); /* NULL-safe, keeps errno */

/* Parse TEXT (NAME is the file name for messages). */
struct fabric *fabric_parse_topology_conf (const char *text, const char *name, struct herror *err);
/* MAP_TEXT (NULL: nodes are named by instance id) is the map file's
 * content, MAP_NAME its name for messages. */
struct fabric *fabric_parse_ec2 (const char *text, const char *name, const char *map_text,
                                 const char *map_name, struct herror *err);

/* Read PATH (and MAP_PATH, NULL for none; only EC2 JSON takes one) and
 * parse it in the format its content has (above). */
struct fabric *fabric_load (const char *path, const char *map_path, struct herror *err);

size_t fabric_switch_count (const struct fabric *f);
size_t fabric_node_count (const struct fabric *f);

int fabric_root (const struct fabric *f); /* -1 when no switch */
const char *fabric_switch_name (const struct fabric *f, int sw);
int fabric_switch_parent (const struct fabric *f, int sw);
int fabric_switch_level (const struct fabric *f, int sw);
const char *fabric_switch_link_speed (const struct fabric *f, int sw); /* NULL: none */
bool fabric_switch_is_leaf (const struct fabric *f, int sw);
/* Whether SW is a leaf fabric_add_lone_node() made (not in the file). */
bool fabric_switch_is_lone (const struct fabric *f, int sw);

/* Child switches of SW in tree order: how many, and the I-th. */
size_t fabric_switch_nchildren (const struct fabric *f, int sw);
int fabric_switch_child (const struct fabric *f, int sw, size_t i);

/* The nodes under SW (at any depth): fabric-order numbers first ..
 * first + count - 1. */
void fabric_switch_range (const struct fabric *f, int sw, size_t *first, size_t *count);

int fabric_switch_lookup (const struct fabric *f, const char *name); /* -1: none */

/* Node NODE (0 .. fabric_node_count - 1, fabric order). */
const char *fabric_node_name (const struct fabric *f, size_t node);
int fabric_node_leaf (const struct fabric *f, size_t node);
/* NAME's fabric-order number, -1 when the fabric does not name it. */
long fabric_node_lookup (const struct fabric *f, const char *name);

/* Place NAME, which the fabric does not name, as a leaf of its own (named
 * NAME) under the root, last in the fabric order.  When the root is itself
 * a leaf, a switch "root" is put above it first.  EEXIST when NAME is
 * already a node or a switch; ENOMEM. */
int fabric_add_lone_node (struct fabric *f, const char *name);

/* The same for N names at once, renumbering once (O(nodes) in all, where
 * N calls of fabric_add_lone_node() cost O(N * nodes)).  EEXIST also for a
 * name given twice, or "root"; nothing is added then.  (ENOMEM may
 * leave the fabric half changed: destroy it.) */
int fabric_add_lone_nodes (struct fabric *f, const char *const *names, size_t n);

/* Building a tree in code rather than from a file (topology/infer.h makes
 * one from measured links).  fabric_create() is an empty fabric;
 * fabric_add_switch() adds switch NAME under switch PARENT (-1: none, so
 * it is the root) and returns its number; fabric_add_node() puts node NAME
 * last under switch LEAF; fabric_finish() checks the whole and numbers it
 * as the parsers do (levels, the fabric order), after which the accessors
 * above work.  Children and nodes keep the order they were added in.
 * Errors: EEXIST for a switch name given twice, EINVAL for a parent or
 * leaf that is no switch, a switch given both nodes and switches, and
 * (from fabric_finish(), with a sentence in err) two roots or a node named
 * twice; ENOMEM.  After an error the fabric is only good for
 * fabric_destroy(). */
struct fabric *fabric_create (void);
int fabric_add_switch (struct fabric *f, const char *name, int parent);
int fabric_add_node (struct fabric *f, int leaf, const char *name);
int fabric_finish (struct fabric *f, struct herror *err);

/* Whether A and B are the same tree: the same switches (names, levels,
 * parents) in the same order and the same nodes under them in the same
 * order.  LinkSpeed and lone marks are not compared. */
bool fabric_same (const struct fabric *a, const struct fabric *b);

#endif
