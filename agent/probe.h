/* probe.h - link probes between two nodes: latency and bandwidth
 *
 * A probe endpoint (struct probe_ep) is what an agent opens at start and
 * names in node.register.  The controller orders a probe between two
 * endpoints: one side is the initiator, the other the responder.
 *
 *   - latency: a ping-pong of `pings` small messages (`ping_size` bytes);
 *     the result is half the median round trip (after one warm-up round
 *     trip that also sets up the connection), in microseconds;
 *   - bandwidth: a stream of `streams` large messages (`stream_size`
 *     bytes) answered by one small acknowledgement; the result is the
 *     bytes sent over the time from the first send to the ack, in MB/s
 *     (10^6 bytes per second).
 *
 * Backends behind a small ops table:
 *   - libfabric: an FI_EP_RDM endpoint of the provider asked for, or by
 *     default of the first RDM provider fi_getinfo offers that is not
 *     shared memory (`shm`: it reaches only this machine).  Its name is
 *     fi_getname()'s address in lower-case hex.
 *   - replay: no fabric at all; answers from a file that describes one
 *     (the same "hardware by data" habit as hwloc XML), so that tests can
 *     show two fast leaves and a slow spine on one machine.  Its name is
 *     "replay:NODE".  File format, one link per line, '#' comments:
 *         NODE_A NODE_B LATENCY_US BANDWIDTH_MBPS
 *     Links are symmetric; "*" as NODE_B is any peer of NODE_A with no
 *     line of its own, and "* *" any pair at all.
 *
 * Every probe is bounded by params->timeout seconds (both roles), so a
 * caller in an event loop is never held longer than that.  Probes run
 * one at a time per endpoint.
 *
 * Errors: -1 / NULL with errno and a sentence in err.  Never logs, never
 * exits.
 */
#ifndef HUDDLE_AGENT_PROBE_H
#define HUDDLE_AGENT_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "common/herror.h"

struct probe_ep;

struct probe_params {
    uint32_t id;        /* the probe's number: both sides use the same one */
    int pings;          /* round trips measured (>= 1) */
    size_t ping_size;   /* bytes per ping (>= 16) */
    int streams;        /* large messages (>= 1) */
    size_t stream_size; /* bytes per large message (>= 16, <= PROBE_MAX_SIZE) */
    double timeout;     /* seconds the whole probe may take */
};

#define PROBE_MAX_SIZE (16u << 20)

struct probe_result {
    double latency_us;     /* half the median round trip */
    double bandwidth_mbps; /* 10^6 bytes per second */
};

/* A libfabric endpoint.  provider NULL or "": the default described
 * above; src_addr (NULL: any) is the local address to bind to (loopback
 * test nodes use 127.0.0.2, ...). */
struct probe_ep *probe_open_fabric (const char *provider, const char *src_addr, struct herror *err);

/* A replay endpoint for node self, answering from file. */
struct probe_ep *probe_open_replay (const char *file, const char *self, struct herror *err);

void probe_close (struct probe_ep *ep);

/* The endpoint's name as it goes on the wire (owned by ep). */
const char *probe_name (const struct probe_ep *ep);

/* What the endpoint is, for the log: "libfabric tcp;ofi_rxm", "replay FILE". */
const char *probe_describe (const struct probe_ep *ep);

/* Run the initiator side against the peer node peer_node whose endpoint
 * is named peer_name; fills res.  The responder must be started on the
 * peer with the same params (at about the same time: either side waits
 * for the other within the timeout). */
int probe_initiate (struct probe_ep *ep, const char *peer_node, const char *peer_name,
                    const struct probe_params *params, struct probe_result *res,
                    struct herror *err);

/* Run the responder side: answer the pings and take the stream of one
 * initiator's probe params->id. */
int probe_respond (struct probe_ep *ep, const char *peer_node, const char *peer_name,
                   const struct probe_params *params, struct herror *err);

/* ------------------------------------------------- pure parts (tested) */

/* The median of v[0..n-1] (sorts v in place); 0 when n is 0. */
double probe_median (double *v, size_t n);

/* 0 when params are usable, else -1 with err naming the member. */
int probe_params_check (const struct probe_params *p, struct herror *err);

/* A parsed replay file. */
struct probe_replay;

/* Parse text (what file holds; file names it in errors, "FILE:LINE: ..."). */
struct probe_replay *probe_replay_parse (const char *text, const char *file, struct herror *err);
struct probe_replay *probe_replay_load (const char *file, struct herror *err);
void probe_replay_destroy (struct probe_replay *r);

/* The link between nodes a and b: 0 with res filled, or -1 with ENOENT
 * when the file does not describe it. */
int probe_replay_lookup (const struct probe_replay *r, const char *a, const char *b,
                         struct probe_result *res);

/* Endpoint names on the wire: bytes <-> lower-case hex.  hex_decode
 * returns the byte count or -1 (EINVAL) for text that is not hex or too
 * long for out. */
char *probe_hex_encode (const void *buf, size_t len);
int probe_hex_decode (const char *hex, void *out, size_t size);

#endif
