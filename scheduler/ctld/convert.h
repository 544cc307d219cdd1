/* convert.h - between huddle-ctld's JSON and the scheduler core's types
 *
 * Pure (no I/O, no logging):
 *  - a job's "allocation" array (docs/protocol.md) <-> struct sched_alloc;
 *  - a node's topology model (topology/node.h) -> struct sched_node_desc.
 * Tested by tests/unit/test_ctld_convert.c.
 */
#ifndef HUDDLE_CTLD_CONVERT_H
#define HUDDLE_CTLD_CONVERT_H

#include <stdbool.h>

#include <jansson.h>

#include "common/herror.h"
#include "scheduler/core/alloc.h"
#include "scheduler/core/snapshot.h"
#include "topology/node.h"

/* The "allocation" array (common/rset.h: the one codec, shared with the
 * agent): one object per node
 *   {"node", "cores": [int], "pus": [int], "gpus": [int], "mem", "mpiprocs"}
 * in the allocation's node order (the first node runs the job script).
 * New reference, NULL + ENOMEM. */
json_t *convert_alloc_to_json (const struct sched_alloc *a);

/* Rebuild an allocation for job seq from that array (as stored; checked
 * like untrusted input, with rset.h's rule).  Its window is not stored in
 * the array: set it from the job's start_time and walltime.  NULL + EINVAL with err naming the
 * member
 * ("allocation[1].cores[0]: ...") or ENOMEM.  Caller destroys. */
struct sched_alloc *convert_alloc_from_json (int64_t seq, bool exclusive, const json_t *arr,
                                             struct herror *err);

/* A node description of the scheduler snapshot for topology t.  The
 * description's arrays are malloc'd and owned by *d; free them with
 * convert_desc_clear().  name is borrowed (must outlive *d).  Returns 0 or
 * -1 with errno ENOMEM. */
int convert_desc_from_topo (const char *name, const struct topo_node *t, bool usable,
                            struct sched_node_desc *d);
void convert_desc_clear (struct sched_node_desc *d);

#endif
