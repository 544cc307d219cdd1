/* qtopo_check.h - qtopo --check: the declared switch tree against the
 * measured links */
#ifndef HUDDLE_CLI_QTOPO_CHECK_H
#define HUDDLE_CLI_QTOPO_CHECK_H

#include <stdbool.h>

#include <jansson.h>

/* Exit statuses of qtopo --check. */
#define QTOPO_CHECK_AGREE   0 /* no measured pair contradicts the tree */
#define QTOPO_CHECK_DISPUTE 1 /* some do (each one printed) */
#define QTOPO_CHECK_CANNOT  3 /* no controller, no fabric declared, cannot write */

/* Ask the controller for its tree (fabric.query) and links (link.query),
 * print the pairs that contradict the tree (qtopo_check.c states the
 * rule): text, one JSON object, or a Graphviz graph (each declared leaf a
 * box of its nodes, each contradicting pair a red dashed edge labelled
 * with what it measures).  Returns one of the statuses above. */
enum qtopo_check_format { QTOPO_CHECK_TEXT, QTOPO_CHECK_JSON, QTOPO_CHECK_DOT };
int qtopo_check (enum qtopo_check_format fmt);

/* The rule on its own, for tests: FABRIC is fabric.query's "fabric",
 * LINKS link.query's "links".  Returns {threshold_us?, near_median_us?,
 * far_median_us?, measured, contradictions [{a, b, leaf_a, leaf_b,
 * declared ("same leaf" | "different leaves"), measured ("near" | "far"),
 * latency_us, bandwidth_mbps}]}, NULL on ENOMEM. */
json_t *qtopo_check_links (const json_t *fabric, const json_t *links);

/* The leaves topology/infer.h infers from LINKS (link.query's "links"),
 * for the nodes of FABRIC (fabric.query's "fabric") and of LINKS:
 * {pairs (measured pairs used), leaves [{name, nodes [names], declared
 * [the declared leaves of those nodes, each once, in their order]}]}.
 * NULL on ENOMEM or when there is no node at all. */
json_t *qtopo_check_inferred (const json_t *fabric, const json_t *links);

#endif
