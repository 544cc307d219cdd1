/* probe_fabric.c - the libfabric backend of the link probes (probe.h)
 *
 * One FI_EP_RDM endpoint with one completion queue and an address vector,
 * progressed by polling the queue (nothing runs between probes: a peer's
 * connection attempt waits in the kernel until our next probe).
 *
 * Every message starts with a header {magic, probe id, kind, seq}, so a
 * late message of an earlier probe that timed out is recognised and
 * dropped, never counted.  Buffers and operation contexts live in the
 * endpoint, not on the stack: an operation still outstanding when a probe
 * gives up completes later into memory that is still ours.  That costs
 * 2 * PROBE_MAX_SIZE (32 MiB) of address space per endpoint, of which only
 * what the probes' sizes use is ever touched (unless the provider needs
 * local registration: then all of it is registered).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>

#include "agent/probe_int.h"

#define MAGIC          0x68756464u /* "hudd" */
#define K_PING         1
#define K_PONG         2
#define K_DATA         3
#define K_ACK          4
#define NAME_MAX_BYTES 256
#define WINDOW         8 /* large sends outstanding at once */

struct hdr {
    uint32_t magic, id, kind, seq;
};

struct op {
    struct fi_context ctx; /* first: the completion's op_context is the op */
    int done;              /* 1: completed, -1: failed */
};

struct fab {
    struct fi_info *info;
    struct fid_fabric *fabric;
    struct fid_domain *domain;
    struct fid_av *av;
    struct fid_cq *cq;
    struct fid_ep *ep;
    struct fid_mr *mr;
    void *desc;
    char *buf; /* 2 * PROBE_MAX_SIZE: [0, MAX) to send, [MAX, 2 MAX) to receive */
    struct op rx, tx[WINDOW];
    bool rx_posted;
};

static double now_s (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fi_fail (struct herror *err, const char *what, int rc)
{
    errno = rc < 0 ? -rc : EIO;
    if (errno == ETIMEDOUT)
        return herror_set (err, "%s: timed out", what);
    return herror_set (err, "%s: %s", what, fi_strerror (rc < 0 ? -rc : rc));
}

/* Read completions until op is done or the deadline passes. */
static int progress (struct fab *f, struct op *op, double deadline, struct herror *err)
{
    while (!op->done) {
        struct fi_cq_entry e;
        ssize_t n = fi_cq_read (f->cq, &e, 1);
        if (n == 1) {
            ((struct op *)e.op_context)->done = 1;
            continue;
        }
        if (n == -FI_EAVAIL) {
            struct fi_cq_err_entry ee = {0};
            if (fi_cq_readerr (f->cq, &ee, 0) == 1 && ee.op_context) {
                ((struct op *)ee.op_context)->done = -1;
                if (ee.op_context == op && ee.err != FI_ECANCELED)
                    return fi_fail (err, "probe: completion", -ee.err);
            }
            continue;
        }
        if (n != -FI_EAGAIN)
            return fi_fail (err, "probe: fi_cq_read", (int)n);
        if (now_s() > deadline)
            return fi_fail (err, "probe", -ETIMEDOUT);
    }
    return op->done < 0 ? fi_fail (err, "probe: operation", -FI_ECANCELED) : 0;
}

/* A free transmit slot, waiting for a completion when all WINDOW are busy. */
static struct op *tx_slot (struct fab *f, double deadline, struct herror *err)
{
    for (;;) {
        for (int i = 0; i < WINDOW; i++)
            if (f->tx[i].done)
                return &f->tx[i];
        if (progress (f, &f->tx[0], deadline, err) < 0)
            return NULL;
    }
}

static int send_msg (struct fab *f, fi_addr_t to, size_t len, uint32_t id, uint32_t kind,
                     uint32_t seq, double deadline, struct herror *err)
{
    struct op *op = tx_slot (f, deadline, err);
    if (!op)
        return -1;
    struct hdr h = {MAGIC, id, kind, seq};
    memcpy (f->buf, &h, sizeof (h));
    for (;;) {
        op->done = 0;
        ssize_t rc = fi_send (f->ep, f->buf, len, f->desc, to, &op->ctx);
        if (rc == 0)
            return 0;
        op->done = 1;
        if (rc != -FI_EAGAIN)
            return fi_fail (err, "probe: fi_send", (int)rc);
        struct fi_cq_entry e;
        ssize_t n = fi_cq_read (f->cq, &e, 1);
        if (n == 1)
            ((struct op *)e.op_context)->done = 1;
        if (now_s() > deadline)
            return fi_fail (err, "probe", -ETIMEDOUT);
    }
}

static int drain_tx (struct fab *f, double deadline, struct herror *err)
{
    for (int i = 0; i < WINDOW; i++)
        if (progress (f, &f->tx[i], deadline, err) < 0)
            return -1;
    return 0;
}

/* Receive the next message of probe id into the receive half; *kind and
 * *len tell what came.  Messages of other probes are dropped. */
static int recv_msg (struct fab *f, uint32_t id, uint32_t *kind, double deadline,
                     struct herror *err)
{
    char *rbuf = f->buf + PROBE_MAX_SIZE;
    for (;;) {
        if (!f->rx_posted) {
            f->rx.done = 0;
            ssize_t rc;
            while ((rc = fi_recv (f->ep, rbuf, PROBE_MAX_SIZE, f->desc, FI_ADDR_UNSPEC,
                                  &f->rx.ctx)) == -FI_EAGAIN) {
                struct fi_cq_entry e;
                if (fi_cq_read (f->cq, &e, 1) == 1)
                    ((struct op *)e.op_context)->done = 1;
                if (now_s() > deadline)
                    return fi_fail (err, "probe", -ETIMEDOUT);
            }
            if (rc != 0)
                return fi_fail (err, "probe: fi_recv", (int)rc);
            f->rx_posted = true;
        }
        if (progress (f, &f->rx, deadline, err) < 0)
            return -1;
        f->rx_posted = false;
        struct hdr h;
        memcpy (&h, rbuf, sizeof (h));
        if (h.magic == MAGIC && h.id == id) {
            *kind = h.kind;
            return 0;
        }
    }
}

static int peer_addr (struct fab *f, const char *peer_name, fi_addr_t *addr, struct herror *err)
{
    unsigned char raw[NAME_MAX_BYTES];
    int n = probe_hex_decode (peer_name, raw, sizeof (raw));
    if (n < 0)
        return herror_set (err, "probe: peer endpoint name \"%.40s\" is not hex", peer_name);
    int rc = fi_av_insert (f->av, raw, 1, addr, 0, NULL);
    if (rc != 1)
        return fi_fail (err, "probe: fi_av_insert", rc < 0 ? rc : -FI_EINVAL);
    return 0;
}

static int fab_initiate (struct probe_ep *ep, const char *peer_node, const char *peer_name,
                         const struct probe_params *p, struct probe_result *res, struct herror *err)
{
    struct fab *f = ep->impl;
    double deadline = now_s() + p->timeout;
    fi_addr_t to;
    uint32_t kind;
    int rc = -1;

    if (peer_addr (f, peer_name, &to, err) < 0)
        return -1;
    double *rtt = calloc ((size_t)p->pings, sizeof (*rtt));
    if (!rtt) {
        herror_set (err, "out of memory");
        goto out;
    }
    /* Round trip 0 is the warm-up: it sets up the connection. */
    for (int i = 0; i <= p->pings; i++) {
        double t0 = now_s();
        if (send_msg (f, to, p->ping_size, p->id, K_PING, (uint32_t)i, deadline, err) < 0)
            goto out;
        do {
            if (recv_msg (f, p->id, &kind, deadline, err) < 0)
                goto out;
        } while (kind != K_PONG);
        if (i > 0)
            rtt[i - 1] = now_s() - t0;
    }
    res->latency_us = probe_median (rtt, (size_t)p->pings) / 2 * 1e6;
    double t0 = now_s();
    for (int i = 0; i < p->streams; i++)
        if (send_msg (f, to, p->stream_size, p->id, K_DATA, (uint32_t)i, deadline, err) < 0)
            goto out;
    do {
        if (recv_msg (f, p->id, &kind, deadline, err) < 0)
            goto out;
    } while (kind != K_ACK);
    double dt = now_s() - t0;
    res->bandwidth_mbps = (double)p->streams * (double)p->stream_size / (dt > 0 ? dt : 1e-9) / 1e6;
    rc = drain_tx (f, deadline, err);
out:
    free (rtt);
    fi_av_remove (f->av, &to, 1, 0);
    return rc;
}

static int fab_respond (struct probe_ep *ep, const char *peer_node, const char *peer_name,
                        const struct probe_params *p, struct herror *err)
{
    struct fab *f = ep->impl;
    double deadline = now_s() + p->timeout;
    fi_addr_t to;
    uint32_t kind;
    int got = 0, rc = -1;

    if (peer_addr (f, peer_name, &to, err) < 0)
        return -1;
    while (got < p->streams) {
        if (recv_msg (f, p->id, &kind, deadline, err) < 0)
            goto out;
        if (kind == K_PING && send_msg (f, to, p->ping_size, p->id, K_PONG, 0, deadline, err) < 0)
            goto out;
        if (kind == K_DATA)
            got++;
    }
    if (send_msg (f, to, sizeof (struct hdr), p->id, K_ACK, 0, deadline, err) < 0)
        goto out;
    rc = drain_tx (f, deadline, err);
out:
    fi_av_remove (f->av, &to, 1, 0);
    return rc;
}

static void fab_close (struct probe_ep *ep)
{
    struct fab *f = ep->impl;
    if (!f)
        return;
    if (f->ep)
        fi_close (&f->ep->fid);
    if (f->mr)
        fi_close (&f->mr->fid);
    if (f->av)
        fi_close (&f->av->fid);
    if (f->cq)
        fi_close (&f->cq->fid);
    if (f->domain)
        fi_close (&f->domain->fid);
    if (f->fabric)
        fi_close (&f->fabric->fid);
    if (f->info)
        fi_freeinfo (f->info);
    free (f->buf);
    free (f);
    ep->impl = NULL;
}

static const struct probe_ops fab_ops = {fab_initiate, fab_respond, fab_close};

/* The provider asked for, else the first RDM one that is not shm. */
static struct fi_info *pick (struct fi_info *list, const char *provider)
{
    for (struct fi_info *i = list; i; i = i->next) {
        const char *name = i->fabric_attr->prov_name;
        if (provider ? strcmp (name, provider) == 0 : strncmp (name, "shm", 3) != 0)
            return i;
    }
    return NULL;
}

int probe_fabric_open (struct probe_ep *ep, const char *provider, const char *src_addr,
                       struct herror *err)
{
    struct fab *f = calloc (1, sizeof (*f));
    struct fi_info *hints = fi_allocinfo(), *list = NULL;
    const char *what = "fi_getinfo";
    int rc;

    ep->ops = &fab_ops;
    ep->impl = f;
    if (!f || !hints || !(f->buf = malloc (2 * (size_t)PROBE_MAX_SIZE))) {
        fi_freeinfo (hints);
        fab_close (ep);
        errno = ENOMEM;
        return herror_set (err, "out of memory");
    }
    hints->ep_attr->type = FI_EP_RDM;
    hints->caps = FI_MSG;
    hints->mode = FI_CONTEXT;
    hints->domain_attr->mr_mode = FI_MR_LOCAL | FI_MR_ALLOCATED | FI_MR_VIRT_ADDR | FI_MR_PROV_KEY;
    rc = fi_getinfo (FI_VERSION (1, 10), src_addr, src_addr ? "0" : NULL, src_addr ? FI_SOURCE : 0,
                     hints, &list);
    fi_freeinfo (hints);
    if (rc != 0)
        goto fail;
    struct fi_info *chosen = pick (list, provider);
    if (!chosen) {
        fi_freeinfo (list);
        fab_close (ep);
        errno = ENOENT;
        return herror_set (err, "libfabric offers no RDM endpoint%s%s%s",
                           provider ? " of provider \"" : " (besides shm)",
                           provider ? provider : "", provider ? "\"" : "");
    }
    f->info = fi_dupinfo (chosen);
    fi_freeinfo (list);
    if (!f->info) {
        rc = -FI_ENOMEM;
        goto fail;
    }
    struct fi_av_attr av_attr = {.type = FI_AV_TABLE};
    struct fi_cq_attr cq_attr = {.format = FI_CQ_FORMAT_CONTEXT, .size = 64};
    if ((rc = fi_fabric (f->info->fabric_attr, &f->fabric, NULL)) != 0) {
        what = "fi_fabric";
        goto fail;
    }
    if ((rc = fi_domain (f->fabric, f->info, &f->domain, NULL)) != 0) {
        what = "fi_domain";
        goto fail;
    }
    if ((rc = fi_av_open (f->domain, &av_attr, &f->av, NULL)) != 0) {
        what = "fi_av_open";
        goto fail;
    }
    if ((rc = fi_cq_open (f->domain, &cq_attr, &f->cq, NULL)) != 0) {
        what = "fi_cq_open";
        goto fail;
    }
    if ((rc = fi_endpoint (f->domain, f->info, &f->ep, NULL)) != 0) {
        what = "fi_endpoint";
        goto fail;
    }
    if ((rc = fi_ep_bind (f->ep, &f->av->fid, 0)) != 0 ||
        (rc = fi_ep_bind (f->ep, &f->cq->fid, FI_TRANSMIT | FI_RECV)) != 0) {
        what = "fi_ep_bind";
        goto fail;
    }
    if ((rc = fi_enable (f->ep)) != 0) {
        what = "fi_enable";
        goto fail;
    }
    if (f->info->domain_attr->mr_mode & FI_MR_LOCAL) {
        if ((rc = fi_mr_reg (f->domain, f->buf, 2 * (size_t)PROBE_MAX_SIZE, FI_SEND | FI_RECV, 0, 0,
                             0, &f->mr, NULL)) != 0) {
            what = "fi_mr_reg";
            goto fail;
        }
        f->desc = fi_mr_desc (f->mr);
    }
    for (int i = 0; i < WINDOW; i++)
        f->tx[i].done = 1;
    unsigned char raw[NAME_MAX_BYTES];
    size_t len = sizeof (raw);
    if ((rc = fi_getname (&f->ep->fid, raw, &len)) != 0) {
        what = "fi_getname";
        goto fail;
    }
    if (!(ep->name = probe_hex_encode (raw, len))) {
        rc = -FI_ENOMEM;
        goto fail;
    }
    snprintf (ep->describe, sizeof (ep->describe), "libfabric %s", f->info->fabric_attr->prov_name);
    return 0;
fail:
    fab_close (ep);
    errno = rc < 0 ? -rc : EIO;
    return herror_set (err, "libfabric: %s%s%s: %s", what, provider ? " for provider " : "",
                       provider ? provider : "", fi_strerror (errno));
}
