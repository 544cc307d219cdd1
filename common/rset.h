/* rset.h - resource sets: which cores, PUs, GPUs and memory of which nodes
 *
 * One type for "resources on nodes": a job's allocation is an rset, and so
 * are the scheduler's reservations and free pool as they grow into the
 * same shape (flux-core's librlist over libidset is the model; the sets of
 * ids are idset.h).  Per node: core ids (hwloc's logical index, unique on
 * the node), PU OS indexes (what binding uses), GPU indexes, bytes of
 * memory, and the MPI ranks placed there.  An rset also carries a time
 * window [start, end): when the resources are taken and when they are
 * expected back (start + walltime), so a resource-time profile can be built
 * from allocations and reservations alike.
 *
 * One JSON codec, shared by the controller (store, job.launch, qstat) and
 * the agent (job.launch): the "allocation" array of docs/protocol.md,
 *
 *   [{"node": NAME, "cores": [id], "pus": [id], "gpus": [id],
 *     "mem": BYTES, "mpiprocs": N}, ...]
 *
 * in the rset's node order (the first node runs the job script).  Decoding
 * applies one rule on both sides: node (non-empty, < RSET_NAME_MAX bytes,
 * each node once) and pus required; cores and gpus optional (default
 * empty); ids 0..RSET_MAX_ID, each at most once per list; mem optional
 * (default 0), 0..INT64_MAX; mpiprocs optional (default 1, as a PBS chunk),
 * 0..RSET_MAX_MPIPROCS.  The encoder writes every member, so what one side
 * writes the other reads back unchanged.  List order is kept: the first
 * core is what exec_host shows.
 *
 * Ownership: rset_create() and rset_from_json() return a set the caller
 * frees with rset_destroy(); views returned by rset_node() stay valid until
 * the set is changed or destroyed.
 *
 * Errors: -1 or NULL with errno set (EINVAL, ENOMEM), the set unchanged;
 * decoders also fill an herror naming the member ("allocation[1].cores[0]:
 * ...").  Nothing here logs or exits.
 */
#ifndef HUDDLE_RSET_H
#define HUDDLE_RSET_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/herror.h"

#define RSET_NAME_MAX     64            /* node names are shorter than this */
#define RSET_MAX_ID       65535         /* largest core id, PU or GPU index */
#define RSET_MAX_MPIPROCS (100000 * 64) /* ranks on one node (chunk count x ranks) */
#define RSET_NO_END       INT64_MAX     /* end of a window with no walltime */

/* One node's share.  Read-only view from rset_node(); input (copied) for
 * rset_add(). */
struct rset_node {
    const char *name;
    int ncores;
    const int *cores; /* core ids */
    int npus;
    const int *pus; /* PU OS indexes */
    int ngpus;
    const int *gpus; /* GPU indexes */
    uint64_t mem;    /* bytes */
    int nranks;      /* MPI ranks here: "mpiprocs" on the wire */
};

struct rset;

/* An empty set with window [0, RSET_NO_END).  NULL + ENOMEM. */
struct rset *rset_create (void);

/* NULL-safe, keeps errno. */
void rset_destroy (struct rset *r);

/* Add PART, copying it.  A node already in the set gets PART's lists
 * appended and its mem and ranks added; otherwise the node is appended.
 * EINVAL: NULL/empty name or negative counts. */
int rset_add (struct rset *r, const struct rset_node *part);

int rset_nnodes (const struct rset *r);

/* The I-th node (0 <= I < rset_nnodes), NULL + EINVAL otherwise. */
const struct rset_node *rset_node (const struct rset *r, int i);

/* Index of node NAME, -1 when absent. */
int rset_find (const struct rset *r, const char *name);

int rset_total_cores (const struct rset *r);
int rset_total_gpus (const struct rset *r);
uint64_t rset_total_mem (const struct rset *r);

/* The time window: START (seconds since the epoch) and its expected END,
 * START + WALLTIME, RSET_NO_END when WALLTIME <= 0 (none known). */
void rset_set_window (struct rset *r, int64_t start, int64_t walltime);
int64_t rset_start (const struct rset *r);
int64_t rset_end (const struct rset *r);

/* How the ranks on a node share its GPUs (the scheduler's node allocator
 * and the rank layout agree on it, so the cores chosen next to a GPU go to
 * the rank that drives it): with NGPUS GPUs and NRANKS ranks, rank I's
 * first GPU is position I * NGPUS / NRANKS of the node's GPU list, rounded
 * up when NGPUS > NRANKS (then rank I has positions J with J * NRANKS /
 * NGPUS == I).  -1 when NGPUS or NRANKS is 0. */
static inline int rset_rank_first_gpu (int i, int nranks, int ngpus)
{
    if (ngpus <= 0 || nranks <= 0)
        return -1;
    long g = (long)i * ngpus;
    return (int)(ngpus <= nranks ? g / nranks : (g + nranks - 1) / nranks);
}

/* The "allocation" array.  New reference; NULL + ENOMEM. */
json_t *rset_to_json (const struct rset *r);

/* Decode the "allocation" array (untrusted input: a store or a message).
 * NULL + EINVAL with ERR naming the member, ENOMEM. */
struct rset *rset_from_json (const json_t *arr, struct herror *err);

/* Decode one entry O of the array (position IDX, for messages) and add it
 * to R; EINVAL also when the node is in R already. */
int rset_add_json (struct rset *r, const json_t *o, size_t idx, struct herror *err);

#endif
