/* qtopo_tree.h - qtopo with no node option: the cluster's switch tree
 *
 * Asks the controller for its fabric (fabric.query) and its nodes
 * (node.query) and prints the tree: every switch with its level and link
 * speed, under each leaf its nodes with their state, free/total cores and
 * GPUs and their jobs.  A node the fabric file does not name is shown as a
 * leaf of its own, marked, with a warning on stderr.  A tree the
 * controller inferred from the measured links (no declared one) says so
 * in its first line, "fabric: inferred from measured links (N pairs)",
 * in JSON by "source": "measured" and "pairs", in --dot by the graph's
 * label.  As text, as JSON
 * (--json) or as a Graphviz graph (--dot: `qtopo --dot | dot -Tsvg`).
 */
#ifndef HUDDLE_CLI_QTOPO_TREE_H
#define HUDDLE_CLI_QTOPO_TREE_H

#include <stdio.h>

#include <jansson.h>

enum qtopo_tree_format { QTOPO_TREE_TEXT, QTOPO_TREE_JSON, QTOPO_TREE_DOT };

/* Connect, query, print to stdout.  Returns the exit status (0, or a
 * CLI_EXIT_* after a message on stderr). */
int qtopo_tree_main (enum qtopo_tree_format fmt);

/* The rendering alone, from the two replies' "fabric" and "nodes"
 * members (borrowed): 0, or -1 when writing fails. */
int qtopo_tree_print (FILE *out, const json_t *fabric, const json_t *nodes,
                      enum qtopo_tree_format fmt);

#endif
