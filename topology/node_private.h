/* node_private.h - shared inside the topology library only */
#ifndef HUDDLE_TOPOLOGY_NODE_PRIVATE_H
#define HUDDLE_TOPOLOGY_NODE_PRIVATE_H

#include <hwloc.h>

#include "node.h"

/* Copy a loaded hwloc topology into a new node named hostname.  The caller
 * still owns (and destroys) topo.  Returns NULL with errno ENOMEM. */
struct topo_node *topo_node_build (hwloc_topology_t topo, const char *hostname);

#endif
