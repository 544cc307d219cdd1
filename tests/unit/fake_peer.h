/* fake_peer.h - huddle-ctld's peers without connections
 *
 * server.c gives the controller's subsystems their peers: who sent a
 * message (uid) and, for an agent, the node it registered as (ctld.h's
 * peer_* functions).  Programs that drive the subsystems without a network
 * (tests/unit/test_ctld_jobs, tests/fuzz/fuzz_ctld_messages) link this
 * file for those functions, over a plain struct they may read and set.
 * Each brings the rest of server.c's functions itself (replies and orders
 * are what it checks).
 */
#ifndef HUDDLE_TESTS_FAKE_PEER_H
#define HUDDLE_TESTS_FAKE_PEER_H

#include <stdbool.h>
#include <sys/types.h>

#include "scheduler/ctld/ctld.h"

struct peer {
    uid_t uid;
    bool agent; /* may send agent messages (server.c: a hello of role agent) */
    char *node; /* peer_agent_node() */
    int refs;
};

/* A peer of UID, not an agent, one reference (peer_unref() frees it).
 * Aborts when out of memory. */
struct peer *peer_new (uid_t uid);

#endif
