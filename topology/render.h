/* render.h - the node model as text a person reads (qtopo --node)
 *
 * Shared by qtopo, huddle-agent and huddle-ctld so that every program shows a
 * node the same way.  Output is stable: no addresses, nothing that changes
 * between two runs on the same input.
 *
 * Layout:
 *   Machine NAME (TOTAL memory)
 *     Package 0 (P#0): CPU model
 *       NUMA 0 (P#0, 755 GiB)
 *         cores 0-11 (PUs 0-11,48-59), L3 32 MiB     (or one line per L3: ", L3 #2 32 MiB")
 *         GPU 0: MODEL (BUS) cuda0 nvml0, nearest NIC 1 (same PCI switch)
 *         NIC 1: eth2 ib0 mlx4_0 (InfiniBand, BUS)
 *     GPU/NIC lines not local to one package
 *   GPU links NAME: a matrix (when hwloc has one)
 *   NVSwitch: ... (when present)
 *   summary line (topo_node_summary)
 * Core and GPU/NIC numbers are huddle's (logical) indexes; PU numbers are
 * OS indexes, the ones taskset and cpusets use.  When L3 caches group several
 * cores in one NUMA node, there is one line per L3 instead of one per NUMA.
 */
#ifndef HUDDLE_TOPOLOGY_RENDER_H
#define HUDDLE_TOPOLOGY_RENDER_H

#include <stdio.h>

#include "topology/node.h"

/* Write the tree to out.  Returns 0, or -1 with errno set on a write or
 * allocation error. */
int topo_render_node (const struct topo_node *node, FILE *out);

/* The same tree as a Graphviz graph (qtopo --node --dot): one box per
 * line above, joined to the box it is indented under; the GPU link
 * matrices are left out and the summary is the graph's label.  As
 * topo_render_node. */
int topo_render_node_dot (const struct topo_node *node, FILE *out);

/* "755 GiB", "12 MiB", "1.5 GiB" into buf (at least 16 bytes). */
void topo_render_bytes (unsigned long long bytes, char *buf, size_t len);

#endif
