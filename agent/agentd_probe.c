/* agentd_probe.c - huddle-agent's link probe endpoint (agent/probe.h)
 *
 * The endpoint is opened once at start: a libfabric RDM endpoint of
 * option probe_provider (default: the first RDM provider that is not shm),
 * or with probe_replay = FILE a replay endpoint that answers from the
 * file.  Its name goes out in node.register (probe_endpoint).  An
 * endpoint that cannot be opened is a warning, not a failure: the node
 * works, its links are just not measured.
 *
 * link.probe orders run here, in the event loop, synchronously and
 * bounded in time: the order's timeout, capped at PROBE_TIMEOUT_MAX
 * seconds, well under the controller's heartbeat_timeout (default 30 s),
 * so a probe delays a heartbeat or a job order by seconds at most.  Not
 * a child process, because the endpoint whose name was registered must
 * be the one that answers, and libfabric endpoints do not survive fork.
 * Both roles answer link.result, so the controller knows both nodes are
 * free for the next probe.
 */
#include <errno.h>
#include <string.h>

#include "agent/agentd.h"
#include "agent/probe.h"

#define PROBE_TIMEOUT_MAX 10 /* seconds */

void agentd_probe_open (struct agentd *ad)
{
    struct herror err = {""};
    const char *prov = ad->cfg.probe_provider;

    if (prov && strcmp (prov, "none") == 0) {
        log_msg (LOG_LEVEL_INFO, "link probes: off (probe_provider none)");
        return;
    }
    if (ad->cfg.probe_replay)
        ad->probe = probe_open_replay (ad->cfg.probe_replay, ad->cfg.name, &err);
    else
        ad->probe = probe_open_fabric (prov, ad->cfg.bind_address, &err);
    if (!ad->probe) {
        log_msg (LOG_LEVEL_WARN, "link probes: %s: this node's links are not measured", err.text);
        return;
    }
    log_msg (LOG_LEVEL_INFO, "link probes: %s, endpoint %s", probe_describe (ad->probe),
             probe_name (ad->probe));
}

void agentd_probe_close (struct agentd *ad)
{
    probe_close (ad->probe);
    ad->probe = NULL;
}

int agentd_probe_register (struct agentd *ad, json_t *msg)
{
    if (!ad->probe)
        return 0;
    if (json_object_set_new (msg, "probe_endpoint", json_string (probe_name (ad->probe))) < 0 ||
        json_object_set_new (msg, "probe_kind", json_string (probe_describe (ad->probe))) < 0)
        return -1;
    return 0;
}

static int get_params (json_t *msg, struct probe_params *p, struct herror *err)
{
    int64_t id, pings, ping_size, streams, stream_size, timeout;
    if (proto_get_int_range (msg, "probe", 0, UINT32_MAX, &id, err) < 0 ||
        proto_get_int_range (msg, "pings", 1, 100000, &pings, err) < 0 ||
        proto_get_int_range (msg, "ping_size", 16, PROBE_MAX_SIZE, &ping_size, err) < 0 ||
        proto_get_int_range (msg, "streams", 1, 100000, &streams, err) < 0 ||
        proto_get_int_range (msg, "stream_size", 16, PROBE_MAX_SIZE, &stream_size, err) < 0 ||
        proto_get_int_range (msg, "timeout", 1, 3600, &timeout, err) < 0)
        return -1;
    *p = (struct probe_params){
        .id = (uint32_t)id,
        .pings = (int)pings,
        .ping_size = (size_t)ping_size,
        .streams = (int)streams,
        .stream_size = (size_t)stream_size,
        .timeout = timeout > PROBE_TIMEOUT_MAX ? PROBE_TIMEOUT_MAX : (double)timeout,
    };
    return 0;
}

/* link.probe: run our side, answer link.result (numbers from the
 * initiator; an error from either side). */
static int on_link_probe (json_t *msg, void *arg, struct herror *err)
{
    struct agentd_request *rq = arg;
    struct agentd *ad = rq->ad;
    const char *role, *peer, *peer_ep;
    struct probe_params p;

    if (proto_get_string (msg, "role", &role, err) < 0 ||
        proto_get_string (msg, "peer", &peer, err) < 0 ||
        proto_get_string (msg, "peer_endpoint", &peer_ep, err) < 0 || get_params (msg, &p, err) < 0)
        return -1;
    bool initiator = strcmp (role, "initiator") == 0;
    if (!initiator && strcmp (role, "responder") != 0) {
        errno = EPROTO;
        return herror_set (err, "message link.probe: member \"role\" must be initiator or "
                                "responder");
    }
    json_t *res = json_pack ("{s:s, s:I, s:s, s:s}", "type", "link.result", "probe",
                             (json_int_t)p.id, "role", role, "peer", peer);
    if (!res)
        return herror_set (err, "out of memory");
    struct herror perr = {""};
    struct probe_result r = {0};
    int rc;
    if (!ad->probe)
        rc = herror_set (&perr, "node %s has no probe endpoint", ad->cfg.name);
    else if (initiator)
        rc = probe_initiate (ad->probe, peer, peer_ep, &p, &r, &perr);
    else
        rc = probe_respond (ad->probe, peer, peer_ep, &p, &perr);
    if (rc < 0) {
        log_msg (LOG_LEVEL_WARN, "link probe %u with %s (%s): %s", p.id, peer, role, perr.text);
        json_object_set_new (res, "error", json_string (perr.text));
    } else if (initiator) {
        log_msg (LOG_LEVEL_DEBUG, "link probe %u to %s: %.1f us, %.0f MB/s", p.id, peer,
                 r.latency_us, r.bandwidth_mbps);
        json_object_set_new (res, "latency_us", json_real (r.latency_us));
        json_object_set_new (res, "bandwidth_mbps", json_real (r.bandwidth_mbps));
    }
    agentd_send (ad, res);
    json_decref (res);
    return 0;
}

const struct proto_handler agentd_probe_handlers[] = {
    {"link.probe", on_link_probe},
    {NULL, NULL},
};
