/* layout.h - where each MPI rank of a job runs: node, cores, GPU, NIC
 *
 * A pure function of a job's allocation (common/rset.h: per node the core
 * ids, PU OS indexes, GPU indexes and the number of ranks) and the node
 * models (topology/node.h).  The scheduler chose *which* cores and GPUs a
 * node gives the job (scheduler/core/nodealloc.c); this decides which of
 * them each rank gets:
 *
 *   - Ranks are numbered node by node in the allocation's order (the
 *     PBS_NODEFILE order); "local" is the rank's number on its node.
 *   - GPUs: with G GPUs and R ranks on a node, rank i gets GPU
 *     gpus[i * G / R] when G <= R (neighbouring ranks share one), and the
 *     GPUs j with j * R / G == i when G > R (each rank some of them), in
 *     the allocation's order (which keeps an NVLink island together).
 *   - Cores: each rank gets an even share (the first C % R ranks one more);
 *     a rank with a GPU first takes cores local to its GPU, then every rank
 *     fills its share from the remaining cores in NUMA order (domain by
 *     domain, by core id within one), so ranks fill NUMA domains in order.
 *     With fewer cores than ranks, ranks share cores (rank i gets core
 *     i * C / R).  A rank's PUs are the allocated PUs of its cores.
 *   - NIC: the first of its GPU's nearest NICs (ranks sharing a GPU take
 *     tied nearest NICs in turn); else the NIC whose locality holds most of
 *     the rank's cores (ties: the first, in the model's PCI order); none
 *     when the node has no NIC.
 *   - A node without a model (NULL): cores and PUs are shared out in the
 *     allocation's order and no NIC is chosen; the layout stays valid, it
 *     is just less informed.
 *
 * The JSON form (the per-job layout file, "version" 1):
 *
 *   {"version": 1, "ranks": [{"rank": 0, "node": "n01", "local": 0,
 *     "cores": [0, 1], "pus": [0, 48], "gpus": [3],
 *     "nic": {"kind": "InfiniBand", "names": ["ib0", "mlx5_0"]}}, ...]}
 *
 * "gpus" and "nic" are left out when the rank has none; ranks are in rank
 * order and numbered 0..n-1.
 *
 * The Open MPI rankfile (mpirun --rankfile, Open MPI 4.1 syntax): one line
 * "rank N=HOST slot=LIST" per rank, LIST the rank's core ids as "0-3,8".
 * Core ids are hwloc logical indexes, which is what Open MPI's rankfile
 * reads by default (rmaps_rank_file_physical=0).  A rank without cores gets
 * its PUs' OS indexes, for a run with --use-hwthread-cpus and physical ids.
 *
 * Ownership: layout_create and layout_from_json return a layout the caller
 * frees with layout_destroy; rank views stay valid until then.
 *
 * Errors: NULL or -1 with errno (EINVAL, ENOMEM) and, for decoding and
 * creating, a sentence in ERR naming what is wrong ("ranks[2].cores[0]:
 * not an integer").  Nothing here logs or exits.
 */
#ifndef HUDDLE_TOPOLOGY_LAYOUT_H
#define HUDDLE_TOPOLOGY_LAYOUT_H

#include <jansson.h>
#include <stdio.h>

#include "common/herror.h"
#include "common/rset.h"
#include "topology/node.h"

#define LAYOUT_MAX_RANKS 1000000 /* ranks one layout file may name */

struct layout_rank {
    int rank;         /* 0.. over the job */
    const char *node; /* node name */
    int local;        /* 0.. on its node */
    int ncores;
    int *cores; /* core ids (hwloc logical index) */
    int npus;
    int *pus; /* PU OS indexes: what binding uses */
    int ngpus;
    int *gpus;        /* GPU indexes, as in the allocation */
    int nic_kind;     /* enum topo_nic_kind; meaningful when nic_nnames > 0 */
    char **nic_names; /* the NIC's OS device names ("ib0", "mlx5_0") */
    int nic_nnames;   /* 0: no NIC chosen */
};

struct layout;

/* The layout of allocation A.  MODELS has rset_nnodes(A) entries, the model
 * of each allocation node in order; any may be NULL (unknown), and MODELS
 * itself may be NULL.  EINVAL (with ERR) when an allocation names a core or
 * GPU its model does not have. */
struct layout *layout_create (const struct rset *a, const struct topo_node *const *models,
                              struct herror *err);

void layout_destroy (struct layout *l); /* NULL-safe, keeps errno */

int layout_nranks (const struct layout *l);

/* Rank I (0 <= I < layout_nranks), NULL + EINVAL otherwise. */
const struct layout_rank *layout_rank (const struct layout *l, int i);

/* The rank with local number LOCAL on node NODE (NODE NULL: the first node
 * that has one), NULL + ENOENT when none. */
const struct layout_rank *layout_find_local (const struct layout *l, const char *node, int local);

/* The layout file's JSON.  New reference; NULL + ENOMEM. */
json_t *layout_to_json (const struct layout *l);

/* Decode a layout file's JSON (untrusted: every member checked).  NULL +
 * EINVAL with ERR naming the member, or ENOMEM. */
struct layout *layout_from_json (const json_t *o, struct herror *err);

/* Write the Open MPI rankfile to F.  -1 + errno (ENOMEM, or a write error). */
int layout_write_rankfile (const struct layout *l, FILE *f);

#endif
