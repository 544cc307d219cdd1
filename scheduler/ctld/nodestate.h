/* nodestate.h - pure node logic of huddle-ctld: PBS state text, registration
 *
 * No I/O, no clock: the controller passes what it knows and gets an answer,
 * so the rules have their own unit test (tests/unit/test_ctld_nodestate.c).
 */
#ifndef HUDDLE_CTLD_NODESTATE_H
#define HUDDLE_CTLD_NODESTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What decides a node's PBS state. */
struct node_state_in {
    bool offline;   /* an admin said so (qnodes -o / node.offline) */
    bool down;      /* no agent registered, or its heartbeats stopped */
    int ncores;     /* cores the node has */
    int cores_used; /* cores held by jobs */
    int njobs;      /* jobs with an allocation on the node */
    bool exclusive; /* a job holds the node exclusively (place=excl) */
};

/* The PBS state text, as OpenPBS defines it: "free" (cores left for new
 * jobs, whether or not jobs run there), "job-busy" (every core held by
 * shared jobs), "job-exclusive" (held by an exclusive job: place=excl or
 * exclhost), "offline", "down", or flags joined by commas in that order:
 * "offline,down", "offline,job-busy", "down,job-exclusive".  Writes at most len bytes
 * (NUL included) and returns what snprintf returns. */
int node_state_format (const struct node_state_in *in, char *buf, size_t len);

/* Whether a node whose agent was last heard at last_heard has timed out at
 * now (strictly more than timeout seconds of silence). */
bool node_heartbeat_expired (int64_t last_heard, int64_t now, int64_t timeout);

/* Registration: compare the jobs the controller believes run on a node with
 * the jobs its agent reports.
 *   ours:     jobs the controller has active (R/E) with this node as their
 *             first node (the one that runs the job script)
 *   reported: jobs the agent says it is still running
 * Each list is sorted ascending here (in place) and may hold duplicates.
 * Out (each array has room for its input's length; counts set):
 *   adopt: in both lists, the job keeps running
 *   kill:  reported but not ours: the agent must kill it
 *   lost:  ours but not reported: it never started or was lost
 * Returns 0. */
struct node_reconcile {
    int64_t *adopt;
    int nadopt;
    int64_t *kill;
    int nkill;
    int64_t *lost;
    int nlost;
};
int node_reconcile (int64_t *ours, int nours, int64_t *reported, int nreported,
                    struct node_reconcile *out);

#endif
