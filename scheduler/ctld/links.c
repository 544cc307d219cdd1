/* links.c - huddle-ctld's measured links: probe orders and their results
 *
 * Every agent that opened a probe endpoint (agent/probe.h) names it in
 * node.register.  A timer (probe_interval) and every finished probe plan
 * the next ones: pairs of idle nodes (registered, usable, no job at all:
 * so never a node running an exclusive job), the ones never measured
 * first, then those the inferred fabric asked to measure again
 * (links_recheck(), to confirm a changed tree), then those whose
 * measurement is older than probe_refresh.  Up
 * to probe_parallel probes run at once on disjoint nodes (default 1:
 * probes that share a switch would measure each other).  Each probe is
 * two link.probe orders (one responder, one initiator); both answer
 * link.result, the initiator with the numbers, which are stored (table
 * links, store.h) and kept here by node names, so that a declared fabric
 * can be checked against them.  A probe not answered by both sides
 * within its timeout + PROBE_SLACK seconds is given up.
 *
 * Which pairs: all of them up to 64 nodes, beyond that a set that grows
 * linearly with the node count (at most 8 per node): linkplan.h, with
 * the nodes in the declared tree's fabric order so that each is probed
 * against its declared leaf mates (ctld_fabric_probe_order()).
 *
 * With no declared fabric, the tree the scheduler uses is inferred from
 * these links (ctld_fabric_links_changed(), topology/infer.h): once per
 * probe round, when new results came in and no probe is left running
 * (every pair that is due and whose nodes are idle has been measured), or
 * at the latest INFER_EVERY seconds after a new result when rounds never
 * end (a large cluster probed one pair at a time).  Not on every probe:
 * half a round would put the nodes not yet measured on leaves of their
 * own, and the scheduler would see the tree change back and forth.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "scheduler/ctld/ctld.h"
#include "scheduler/ctld/ctld_fabric.h"
#include "scheduler/ctld/linkplan.h"
#include "scheduler/ctld/store.h"
#include "topology/infer.h"

#define PROBE_SLACK    5  /* seconds beyond a probe's timeout before it is given up */
#define RETRY_FAILED   60 /* seconds before a pair whose probe failed is tried again */
#define NAME_MAX_BYTES 64
#define INFER_EVERY    60 /* seconds: longest a new result waits for the inferred tree */

struct link {
    char a[NAME_MAX_BYTES], b[NAME_MAX_BYTES]; /* a before b */
    int64_t time;                              /* 0: never measured */
    double latency_us, bandwidth_mbps;
    int64_t failed_at; /* last probe that failed (not stored) */
    bool recheck;      /* to be measured again soon (links_recheck) */
};

struct probe {
    uint32_t id;
    char initiator[NAME_MAX_BYTES], responder[NAME_MAX_BYTES];
    bool initiator_done, responder_done;
    int64_t deadline;
};

struct links {
    struct link *v; /* sorted by (a, b) */
    int n, cap;
    struct probe *run; /* cfg.probe_parallel slots */
    int nrun;
    uint32_t next_id;
    struct event *timer;
    int nrecheck;        /* links with recheck set */
    bool fresh;          /* results since the fabric was last inferred */
    int64_t inferred_at; /* when it was */
};

static int link_cmp (const char *a1, const char *b1, const struct link *l)
{
    int c = strcmp (a1, l->a);
    return c ? c : strcmp (b1, l->b);
}

/* The index of the first link not before (a, b) in the table's order. */
static int link_lower_bound (const struct links *ls, const char *a, const char *b)
{
    int lo = 0, hi = ls->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (link_cmp (a, b, &ls->v[mid]) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The link of nodes x and y (either order), created when create. */
static struct link *link_get (struct links *ls, const char *x, const char *y, bool create)
{
    const char *a = strcmp (x, y) < 0 ? x : y, *b = a == x ? y : x;
    if (strlen (a) >= NAME_MAX_BYTES || strlen (b) >= NAME_MAX_BYTES || strcmp (a, b) == 0)
        return NULL;
    int lo = link_lower_bound (ls, a, b);
    if (lo < ls->n && link_cmp (a, b, &ls->v[lo]) == 0)
        return &ls->v[lo];
    if (!create)
        return NULL;
    if (ls->n == ls->cap) {
        int cap = ls->cap ? 2 * ls->cap : 64;
        struct link *v = realloc (ls->v, cap * sizeof (*v));
        if (!v)
            return NULL;
        ls->v = v;
        ls->cap = cap;
    }
    memmove (&ls->v[lo + 1], &ls->v[lo], (ls->n - lo) * sizeof (*ls->v));
    ls->n++;
    struct link *l = &ls->v[lo];
    memset (l, 0, sizeof (*l));
    strcpy (l->a, a);
    strcpy (l->b, b);
    return l;
}

int links_measures (struct ctld *ctx, struct fabric_measure **out)
{
    struct links *ls = ctx->links;
    int n = 0;
    *out = calloc (ls ? ls->n + 1 : 1, sizeof (**out));
    if (!*out)
        return -1;
    for (int i = 0; ls && i < ls->n; i++) {
        const struct link *l = &ls->v[i];
        if (l->time)
            (*out)[n++] = (struct fabric_measure){.a = l->a,
                                                  .b = l->b,
                                                  .latency_us = l->latency_us,
                                                  .bandwidth_mbps = l->bandwidth_mbps};
    }
    return n;
}

int links_recheck (struct ctld *ctx, const char *x, const char *y)
{
    struct links *ls = ctx->links;
    struct link *l = ls ? link_get (ls, x, y, false) : NULL;
    if (!l || !l->time || ctx->cfg.probe_interval <= 0)
        return -1;
    if (!l->recheck) {
        l->recheck = true;
        ls->nrecheck++;
    }
    if (ls->timer)
        event_active (ls->timer, EV_TIMEOUT, 0); /* plan them in the next loop turn */
    return 0;
}

void links_recheck_clear (struct ctld *ctx)
{
    struct links *ls = ctx->links;
    for (int i = 0; ls && i < ls->n; i++)
        ls->v[i].recheck = false;
    if (ls)
        ls->nrecheck = 0;
}

int links_rechecks_left (struct ctld *ctx)
{
    return ctx->links ? ctx->links->nrecheck : 0;
}

/* The end of a probe round (or INFER_EVERY after a result when rounds
 * run long): tell the fabric the links changed. */
static void maybe_infer (struct ctld *ctx, int64_t now)
{
    struct links *ls = ctx->links;
    if (!ls->fresh || (ls->nrun > 0 && now - ls->inferred_at < INFER_EVERY))
        return;
    ls->fresh = false;
    ls->inferred_at = now;
    ctld_fabric_links_changed (ctx);
}

int links_latency (struct ctld *ctx, const char *x, const char *y, double *lat_us)
{
    struct link *l = ctx->links ? link_get (ctx->links, x, y, false) : NULL;
    if (!l || l->time == 0)
        return -1;
    *lat_us = l->latency_us;
    return 0;
}

static bool in_probe (struct links *ls, const char *name)
{
    for (int i = 0; i < ls->nrun; i++)
        if (strcmp (ls->run[i].initiator, name) == 0 || strcmp (ls->run[i].responder, name) == 0)
            return true;
    return false;
}

/* How overdue pair (x, y) is: -1 not due, else larger is more urgent. */
static int64_t due (struct ctld *ctx, const char *x, const char *y, int64_t now)
{
    struct link *l = link_get (ctx->links, x, y, false);
    if (l && l->failed_at && now - l->failed_at < RETRY_FAILED)
        return -1;
    if (!l || !l->time)
        return INT64_MAX;
    if (l->recheck)
        return INT64_MAX - 1; /* right after the pairs never measured */
    int64_t age = now - l->time;
    return age >= ctx->cfg.probe_refresh ? age : -1;
}

static void order (struct ctld *ctx, struct probe *p, const char *to, const char *role,
                   const char *peer)
{
    json_t *o =
        json_pack ("{s:s, s:I, s:s, s:s, s:s, s:i, s:i, s:i, s:I, s:i}", "type", "link.probe",
                   "probe", (json_int_t)p->id, "role", role, "peer", peer, "peer_endpoint",
                   nodes_probe_endpoint (ctx, peer), "pings", ctx->cfg.probe_pings, "ping_size", 64,
                   "streams", ctx->cfg.probe_streams, "stream_size",
                   (json_int_t)ctx->cfg.probe_stream_size, "timeout", ctx->cfg.probe_timeout);
    ctld_order (ctx, to, o);
}

static void start_probe (struct ctld *ctx, const char *x, const char *y, int64_t now)
{
    struct links *ls = ctx->links;
    struct probe *p = &ls->run[ls->nrun++];
    memset (p, 0, sizeof (*p));
    p->id = ++ls->next_id;
    snprintf (p->initiator, sizeof (p->initiator), "%s", x);
    snprintf (p->responder, sizeof (p->responder), "%s", y);
    p->deadline = now + ctx->cfg.probe_timeout + PROBE_SLACK;
    /* The responder first: it is waiting when the initiator's pings come. */
    order (ctx, p, y, "responder", x);
    order (ctx, p, x, "initiator", y);
    log_msg (LOG_LEVEL_INFO, "link probe %u: %s -> %s", p->id, x, y);
}

struct plan {
    struct ctld *ctx;
    const char **names; /* nodes with an endpoint, in name order */
    bool *ready;
    int *order;         /* NULL, or names[order[k]] is the k-th in fabric order */
    struct linkplan lp; /* in that order */
    int64_t now, best;
    int bi, bj;
};

/* Remember pair (i, j) when it is the most overdue so far; false once a
 * pair never measured is found (none can be more overdue). */
static bool consider (struct plan *pl, int i, int j)
{
    if (!pl->ready[i] || !pl->ready[j])
        return true;
    int64_t d = due (pl->ctx, pl->names[i], pl->names[j], pl->now);
    if (d > pl->best) {
        pl->best = d;
        pl->bi = i;
        pl->bj = j;
    }
    return d != INT64_MAX;
}

/* The most overdue pair of ready nodes into pl (best -1: none). */
static void pick (struct plan *pl)
{
    int partners[LINKPLAN_MAX];
    pl->best = -1;
    for (int k = 0; k < pl->lp.n; k++) {
        int i = pl->order ? pl->order[k] : k;
        if (!pl->ready[i])
            continue;
        int m = linkplan_partners (&pl->lp, k, partners);
        for (int x = 0; x < m; x++)
            if (!consider (pl, i, pl->order ? pl->order[partners[x]] : partners[x]))
                return;
    }
}

/* Beyond LINKPLAN_ALL_PAIRS nodes, with a declared tree, the plan follows
 * its leaves (linkplan.h): number the nodes in fabric order.  Without one
 * (or short of memory) name order stays. */
static void fabric_order (struct plan *pl)
{
    int n = pl->lp.n;
    if (n <= LINKPLAN_ALL_PAIRS)
        return;
    int *order = calloc (n, sizeof (*order)), *first = calloc (n, sizeof (*first));
    int *count = calloc (n, sizeof (*count));
    if (order && first && count &&
        ctld_fabric_probe_order (pl->ctx, pl->names, n, order, first, count) == 0) {
        pl->order = order;
        pl->lp.leaf_first = first;
        pl->lp.leaf_count = count;
        return;
    }
    free (order);
    free (first);
    free (count);
}

/* Start probes on the most overdue pairs of idle nodes. */
static void plan (struct ctld *ctx)
{
    struct links *ls = ctx->links;
    int64_t now = ctld_now();
    if (!ls || ctx->cfg.probe_interval <= 0)
        return;
    for (int i = 0; i < ls->nrun;) {
        struct probe *p = &ls->run[i];
        if (now < p->deadline) {
            i++;
            continue;
        }
        log_msg (LOG_LEVEL_WARN, "link probe %u %s -> %s: no answer from %s within %ds", p->id,
                 p->initiator, p->responder, !p->initiator_done ? p->initiator : p->responder,
                 ctx->cfg.probe_timeout);
        struct link *l = link_get (ls, p->initiator, p->responder, true);
        if (l)
            l->failed_at = now;
        ls->run[i] = ls->run[--ls->nrun];
    }
    if (ls->nrun >= ctx->cfg.probe_parallel) {
        maybe_infer (ctx, now);
        return;
    }
    struct plan pl = {.ctx = ctx, .now = now};
    int n = nodes_probe_list (ctx, &pl.names, &pl.ready);
    if (n < 0) {
        log_msg (LOG_LEVEL_WARN, "link probes: out of memory");
        return;
    }
    for (int i = 0; i < n; i++)
        if (pl.ready[i] && in_probe (ls, pl.names[i]))
            pl.ready[i] = false;
    pl.lp.n = n;
    fabric_order (&pl);
    while (ls->nrun < ctx->cfg.probe_parallel) {
        pick (&pl);
        if (pl.best < 0)
            break;
        start_probe (ctx, pl.names[pl.bi], pl.names[pl.bj], now);
        pl.ready[pl.bi] = pl.ready[pl.bj] = false;
    }
    free (pl.names);
    free (pl.ready);
    free (pl.order);
    free ((int *)pl.lp.leaf_first);
    free ((int *)pl.lp.leaf_count);
    maybe_infer (ctx, now);
}

static void timer_cb (evutil_socket_t fd, short what, void *arg)
{
    plan (arg);
}

static int load_one (const char *a, const char *b, int64_t time, double lat, double bw, void *arg)
{
    struct link *l = link_get (arg, a, b, true);
    if (l) {
        l->time = time;
        l->latency_us = lat;
        l->bandwidth_mbps = bw;
    }
    return 0;
}

int links_create (struct ctld *ctx, struct herror *err)
{
    struct links *ls = calloc (1, sizeof (*ls));
    if (!ls || !(ls->run = calloc (ctx->cfg.probe_parallel + 1, sizeof (*ls->run)))) {
        free (ls);
        return herror_set (err, "out of memory");
    }
    ctx->links = ls;
    if (store_load_links (ctx->store, load_one, ls, err) < 0)
        return -1;
    if (ctx->cfg.probe_interval > 0) {
        struct timeval tv = {.tv_sec = ctx->cfg.probe_interval};
        ls->timer = event_new (ctx->base, -1, EV_PERSIST, timer_cb, ctx);
        if (!ls->timer || event_add (ls->timer, &tv) < 0)
            return herror_set (err, "cannot create the link probe timer");
    }
    if (ls->n)
        log_msg (LOG_LEVEL_INFO, "loaded %d measured links", ls->n);
    return 0;
}

void links_destroy (struct ctld *ctx)
{
    struct links *ls = ctx->links;
    if (!ls)
        return;
    if (ls->timer)
        event_free (ls->timer);
    free (ls->run);
    free (ls->v);
    free (ls);
    ctx->links = NULL;
}

/* ---------------------------------------------------------------- handlers */

static int link_result (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    struct ctld *ctx = rq->ctx;
    struct links *ls = ctx->links;
    const char *role, *peer, *error = NULL;
    const char *me = peer_agent_node (rq->peer);
    int64_t id;

    if (proto_get_int_range (msg, "probe", 0, UINT32_MAX, &id, err) < 0 ||
        proto_get_string (msg, "role", &role, err) < 0 ||
        proto_get_string (msg, "peer", &peer, err) < 0 ||
        proto_opt_string (msg, "error", &error, err) < 0)
        return -1;
    if (!me)
        return herror_set (err, "link.result from a connection with no registered node");
    int i;
    for (i = 0; ls && i < ls->nrun; i++)
        if (ls->run[i].id == (uint32_t)id)
            break;
    if (!ls || i == ls->nrun)
        return 0; /* given up already: the late answer is dropped */
    struct probe *p = &ls->run[i];
    bool initiator = strcmp (role, "initiator") == 0;
    if (strcmp (initiator ? p->initiator : p->responder, me) != 0 ||
        strcmp (initiator ? p->responder : p->initiator, peer) != 0)
        return herror_set (err, "link.result %lld: not a probe of node %s with %.64s",
                           (long long)id, me, peer);
    struct link *l = link_get (ls, p->initiator, p->responder, true);
    if (error) {
        log_msg (LOG_LEVEL_WARN, "link probe %u %s -> %s failed on %s: %s", p->id, p->initiator,
                 p->responder, me, error);
        if (l)
            l->failed_at = ctld_now();
    } else if (initiator) {
        double lat = json_number_value (json_object_get (msg, "latency_us"));
        double bw = json_number_value (json_object_get (msg, "bandwidth_mbps"));
        if (!(lat > 0) || !(bw > 0))
            return herror_set (err,
                               "link.result %lld: needs positive latency_us and "
                               "bandwidth_mbps",
                               (long long)id);
        if (l) {
            l->time = ctld_now();
            l->latency_us = lat;
            l->bandwidth_mbps = bw;
            l->failed_at = 0;
            if (l->recheck) {
                l->recheck = false;
                ls->nrecheck--;
            }
            if (!ls->fresh)
                ls->inferred_at = l->time; /* INFER_EVERY counts from the first new one */
            ls->fresh = true;
            struct herror serr = {""};
            if (store_link_put (ctx->store, l->a, l->b, l->time, lat, bw, &serr) < 0)
                log_msg (LOG_LEVEL_ERROR, "link %s %s: %s", l->a, l->b, serr.text);
            ctld_dirty (ctx);
        }
        log_msg (LOG_LEVEL_INFO, "link %s %s: %.1f us, %.0f MB/s", p->initiator, p->responder, lat,
                 bw);
    }
    if (initiator)
        p->initiator_done = true;
    else
        p->responder_done = true;
    if (p->initiator_done && p->responder_done) {
        ls->run[i] = ls->run[--ls->nrun];
        plan (ctx);
    }
    return 0;
}

/* link.query: the measured links, a page of at most query_page_links per
 * reply (10,000 nodes have up to 80,000 pairs), with the controller's clock.
 * "cursor" [A, B] starts after the pair (A, B): pairs are kept in that
 * order, so one measured between two pages is never listed twice. */
static int link_query (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    struct links *ls = rq->ctx->links;
    json_t *cursor = json_object_get (msg, "cursor");
    int i = 0;
    if (cursor) {
        const char *a = json_string_value (json_array_get (cursor, 0));
        const char *b = json_string_value (json_array_get (cursor, 1));
        if (!json_is_array (cursor) || json_array_size (cursor) != 2 || !a || !b)
            return herror_set (err, "member \"cursor\" must be [NODE, NODE]");
        i = ls ? link_lower_bound (ls, a, b) : 0;
        if (ls && i < ls->n && link_cmp (a, b, &ls->v[i]) == 0)
            i++;
    }
    json_t *out = json_array();
    int listed = 0;
    for (; out && ls && i < ls->n && listed < rq->ctx->cfg.query_page_links; i++) {
        struct link *l = &ls->v[i];
        if (!l->time)
            continue;
        json_array_append_new (out, json_pack ("{s:s, s:s, s:I, s:f, s:f}", "a", l->a, "b", l->b,
                                               "time", (json_int_t)l->time, "latency_us",
                                               l->latency_us, "bandwidth_mbps", l->bandwidth_mbps));
        listed++;
    }
    json_t *reply = out ? proto_reply_ok (msg) : NULL;
    if (!reply) {
        json_decref (out);
        return herror_set (err, "out of memory");
    }
    bool more = false;
    for (int k = i; ls && k < ls->n && !more; k++)
        more = ls->v[k].time != 0;
    if (more) {
        const struct link *last = &ls->v[i - 1];
        json_object_set_new (reply, "more", json_true());
        json_object_set_new (reply, "cursor", json_pack ("[s,s]", last->a, last->b));
    }
    json_object_set_new (reply, "links", out);
    json_object_set_new (reply, "now", json_integer (ctld_now()));
    ctld_reply (rq->ctx, rq->peer, reply);
    return 0;
}

const struct proto_handler links_agent_handlers[] = {
    {"link.result", link_result},
    {NULL, NULL},
};

const struct proto_handler links_client_handlers[] = {
    {"link.query", link_query},
    {NULL, NULL},
};
