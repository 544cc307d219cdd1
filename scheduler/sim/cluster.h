/* cluster.h - the cluster huddle-sim replays a trace on, from a SPEC string
 *
 *   N                                      N processors on one switch: N
 *                                          nodes of one core each, one leaf
 *   fat-tree:leaves=L,nodes=K[,cores=C]    L leaf switches of K nodes of C
 *                                          cores (default 1) under one spine
 *
 * The nodes are a scheduler/core snapshot (snapshot.h) of nodes "n0000001"
 * ... with one NUMA domain and one PU per core; a fat tree is handed to the
 * snapshot as its fabric (fabric.h: leaf l holds nodes l*K .. l*K+K-1, the
 * spine is the implicit root), so multi-node jobs go through the fabric
 * step of placement as they do in huddle-ctld.  N needs no fabric: the core
 * treats a cluster without one as a single leaf.
 *
 * Bounds: at most SIM_CLUSTER_MAX_NODES nodes and SIM_CLUSTER_MAX_CORES
 * cores per node.
 *
 * Ownership: sim_cluster_create() returns a cluster the caller frees with
 * sim_cluster_destroy(); the snapshot belongs to it.
 *
 * Errors: NULL with errno = EINVAL and ERR naming the bad part of SPEC, or
 * ENOMEM.
 */
#ifndef HUDDLE_SIM_CLUSTER_H
#define HUDDLE_SIM_CLUSTER_H

#include "common/herror.h"
#include "scheduler/core/snapshot.h"

#define SIM_CLUSTER_MAX_NODES (1 << 20)
#define SIM_CLUSTER_MAX_CORES 1024

struct sim_cluster;

struct sim_cluster *sim_cluster_create (const char *spec, struct herror *err);

/* NULL-safe, keeps errno. */
void sim_cluster_destroy (struct sim_cluster *c);

struct sched_snapshot *sim_cluster_snapshot (struct sim_cluster *c);

/* Processors (cores) in all, nodes, cores per node, leaf switches. */
int sim_cluster_procs (const struct sim_cluster *c);
int sim_cluster_nodes (const struct sim_cluster *c);
int sim_cluster_cores (const struct sim_cluster *c);
int sim_cluster_leaves (const struct sim_cluster *c);

#endif
