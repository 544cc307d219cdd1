/* probe_int.h - what the probe backends share (see probe.h) */
#ifndef HUDDLE_AGENT_PROBE_INT_H
#define HUDDLE_AGENT_PROBE_INT_H

#include "agent/probe.h"

struct probe_ops {
    int (*initiate) (struct probe_ep *ep, const char *peer_node, const char *peer_name,
                     const struct probe_params *p, struct probe_result *res, struct herror *err);
    int (*respond) (struct probe_ep *ep, const char *peer_node, const char *peer_name,
                    const struct probe_params *p, struct herror *err);
    void (*close) (struct probe_ep *ep);
};

struct probe_ep {
    const struct probe_ops *ops;
    char *name;
    char describe[256];
    void *impl; /* the backend's state */
};

/* The libfabric backend (probe_fabric.c): fills ep (ops, name, describe,
 * impl) or returns -1 with err. */
int probe_fabric_open (struct probe_ep *ep, const char *provider, const char *src_addr,
                       struct herror *err);

#endif
