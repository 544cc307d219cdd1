/* ctld_fabric.c - the controller's fabric: load, SIGHUP reload, lone nodes,
 * fabric.query, and the order the scheduler core takes (ctld_fabric.h) */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "scheduler/ctld/ctld.h"
#include "scheduler/core/fabric.h"
#include "scheduler/ctld/ctld_fabric.h"
#include "topology/fabric.h"

struct ctld_fabric {
    struct fabric *tree; /* NULL: no option fabric */
    struct event *sighup;
    int64_t loaded_at;
};

const struct fabric *ctld_fabric_get (struct ctld *ctx)
{
    return ctx->fabric ? ctx->fabric->tree : NULL;
}

/* Make the NAMES that TREE does not name lone leaves, at once, with a
 * warning for each. */
static void place_lone (struct ctld *ctx, struct fabric *tree, const char *const *names, size_t n)
{
    const char **missing = calloc (n + 1, sizeof (*missing));
    size_t k = 0;

    if (!missing) {
        log_msg (LOG_LEVEL_ERROR, "fabric %s: out of memory", ctx->cfg.fabric);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (fabric_node_lookup (tree, names[i]) < 0)
            missing[k++] = names[i];
    }
    if (fabric_add_lone_nodes (tree, missing, k) < 0) {
        log_msg (LOG_LEVEL_ERROR, "fabric %s: cannot place nodes it does not name: %s",
                 ctx->cfg.fabric,
                 errno == EEXIST ? "a switch has the name of one (or \"root\")" : strerror (errno));
        k = 0;
    }
    for (size_t i = 0; i < k; i++)
        log_msg (LOG_LEVEL_WARN,
                 "fabric %s does not name node %s: it is a leaf of its own under switch %s",
                 ctx->cfg.fabric, missing[i], fabric_switch_name (tree, fabric_root (tree)));
    free (missing);
}

static double ms_since (const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime (CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Read the file into a new tree with the registry's lone nodes placed. */
static struct fabric *load (struct ctld *ctx, struct herror *err)
{
    const char *map = ctx->cfg.fabric_map && ctx->cfg.fabric_map[0] ? ctx->cfg.fabric_map : NULL;
    struct fabric *tree = fabric_load (ctx->cfg.fabric, map, err);
    if (!tree)
        return NULL;
    size_t n = nodes_count (ctx);
    const char **names = calloc (n + 1, sizeof (*names));
    if (!names) {
        fabric_destroy (tree);
        herror_set (err, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        names[i] = nodes_name (ctx, i);
    place_lone (ctx, tree, names, n);
    free (names);
    return tree;
}

/* Hand the fabric to the scheduler core (scheduler/core/fabric.h): the
 * known nodes in fabric order and the switches as nested ranges of it.  At
 * start, after a reload, and when a node the registry did not know
 * registers (a node the core was not told of would go last, a leaf of its
 * own).  A refusal keeps the order the core had, with a log line. */
static void fabric_to_sched (struct ctld *ctx)
{
    struct ctld_fabric_order o;
    if (ctld_fabric_order (ctx, &o) < 0) {
        log_msg (LOG_LEVEL_ERROR, "fabric: out of memory handing the order to the scheduler");
        return;
    }
    struct sched_fabric f = ctld_fabric_order_sched (&o);
    if (sched_set_fabric (ctx, ctld_fabric_get (ctx) ? &f : NULL) < 0)
        log_msg (LOG_LEVEL_ERROR, "fabric: the scheduler refused the fabric order: %s",
                 strerror (errno));
    ctld_fabric_order_free (&o);
}

int ctld_fabric_reload (struct ctld *ctx, struct herror *err)
{
    struct ctld_fabric *cf = ctx->fabric;
    struct timespec t0;

    if (!cf->tree)
        return herror_set (err, "no fabric file configured (option fabric)");
    clock_gettime (CLOCK_MONOTONIC, &t0);
    struct fabric *tree = load (ctx, err);
    if (!tree)
        return -1;
    fabric_destroy (cf->tree);
    cf->tree = tree;
    cf->loaded_at = ctld_now();
    log_msg (LOG_LEVEL_INFO, "fabric %s reloaded: %zu switches, %zu nodes (%.1f ms)",
             ctx->cfg.fabric, fabric_switch_count (tree), fabric_node_count (tree), ms_since (&t0));
    fabric_to_sched (ctx); /* the node order may differ now; asks for a pass */
    return 0;
}

/* SIGHUP: daemon.c reopens the log on the same signal; this reads the
 * fabric again. */
static void on_sighup (evutil_socket_t sig, short what, void *arg)
{
    struct ctld *ctx = arg;
    struct herror err = {""};
    (void)sig;
    (void)what;
    if (ctld_fabric_reload (ctx, &err) < 0)
        log_msg (LOG_LEVEL_ERROR, "fabric not reloaded, the old one stays: %s", err.text);
}

int ctld_fabric_create (struct ctld *ctx, struct herror *err)
{
    struct ctld_fabric *cf = calloc (1, sizeof (*cf));
    struct timespec t0;

    if (!cf)
        return herror_set (err, "out of memory");
    ctx->fabric = cf;
    if (!ctx->cfg.fabric || !ctx->cfg.fabric[0])
        return 0;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    if (!(cf->tree = load (ctx, err))) {
        herror_prefix (err, "option fabric");
        return -1;
    }
    cf->loaded_at = ctld_now();
    log_msg (LOG_LEVEL_INFO, "fabric %s: %zu switches, %zu nodes (%.1f ms)", ctx->cfg.fabric,
             fabric_switch_count (cf->tree), fabric_node_count (cf->tree), ms_since (&t0));
    fabric_to_sched (ctx);
    cf->sighup = evsignal_new (ctx->base, SIGHUP, on_sighup, ctx);
    if (!cf->sighup || event_add (cf->sighup, NULL) < 0)
        return herror_set (err, "cannot watch SIGHUP");
    return 0;
}

void ctld_fabric_destroy (struct ctld *ctx)
{
    struct ctld_fabric *cf = ctx->fabric;
    if (!cf)
        return;
    if (cf->sighup)
        event_free (cf->sighup);
    fabric_destroy (cf->tree);
    free (cf);
    ctx->fabric = NULL;
}

void ctld_fabric_node_seen (struct ctld *ctx, const char *name)
{
    if (ctx->fabric && ctx->fabric->tree) {
        place_lone (ctx, ctx->fabric->tree, &name, 1);
        fabric_to_sched (ctx);
    }
}

/* ------------------------------------------------- the scheduler's order */

static bool registered (const char *name, void *arg)
{
    return nodes_find (arg, name) != NULL;
}

int ctld_fabric_order (struct ctld *ctx, struct ctld_fabric_order *out)
{
    const struct fabric *tree = ctld_fabric_get (ctx);
    size_t n = nodes_count (ctx);

    if (tree)
        return ctld_fabric_order_of (tree, registered, ctx, out);
    memset (out, 0, sizeof (*out));
    if (!(out->names = calloc (n + 1, sizeof (*out->names))))
        return -1;
    for (size_t i = 0; i < n; i++)
        out->names[out->nnames++] = nodes_name (ctx, i);
    return 0;
}

int ctld_fabric_span (struct ctld *ctx, const char *const *names, size_t n, int *leaves,
                      const char **common)
{
    struct ctld_fabric_order o;
    int rc = -1;

    if (!ctld_fabric_get (ctx) || n == 0) {
        errno = ENOENT;
        return -1;
    }
    if (ctld_fabric_order (ctx, &o) < 0)
        return -1;
    size_t *pos = calloc (n, sizeof (*pos));
    if (!pos) {
        errno = ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < o.nnames && strcmp (o.names[k], names[i]) != 0)
            k++;
        if (k == o.nnames) {
            errno = ENOENT;
            goto out;
        }
        pos[i] = k;
    }
    /* Switches come depth first, so a switch holding all the positions
     * that comes later than another one is below it: the last one found
     * is the lowest. */
    *leaves = 0;
    *common = NULL;
    for (size_t s = 0; s < o.nswitches; s++) {
        const struct ctld_fabric_switch *sw = &o.switches[s];
        size_t inside = 0;
        for (size_t i = 0; i < n; i++)
            inside += pos[i] >= sw->first && pos[i] < sw->first + sw->count;
        if (sw->level == 0 && inside > 0)
            (*leaves)++;
        if (inside == n)
            *common = sw->name;
    }
    if (!*common) {
        errno = ENOENT;
        goto out;
    }
    rc = 0;
out:
    free (pos);
    ctld_fabric_order_free (&o);
    return rc;
}

/* ----------------------------------------------------------- fabric.query */

static json_t *switch_to_json (const struct fabric *tree, int sw)
{
    int parent = fabric_switch_parent (tree, sw);
    const char *speed = fabric_switch_link_speed (tree, sw);
    json_t *o =
        json_pack ("{s:s, s:i, s:o}", "name", fabric_switch_name (tree, sw), "level",
                   fabric_switch_level (tree, sw), "parent",
                   parent >= 0 ? json_string (fabric_switch_name (tree, parent)) : json_null());
    json_t *list = json_array();
    if (!o || !list) {
        json_decref (o);
        json_decref (list);
        return NULL;
    }
    if (speed)
        json_object_set_new (o, "link_speed", json_string (speed));
    if (fabric_switch_is_lone (tree, sw))
        json_object_set_new (o, "lone", json_true());
    if (fabric_switch_is_leaf (tree, sw)) {
        size_t first, count;
        fabric_switch_range (tree, sw, &first, &count);
        for (size_t i = first; i < first + count; i++)
            json_array_append_new (list, json_string (fabric_node_name (tree, i)));
        json_object_set_new (o, "nodes", list);
    } else {
        for (size_t i = 0; i < fabric_switch_nchildren (tree, sw); i++)
            json_array_append_new (
                list, json_string (fabric_switch_name (tree, fabric_switch_child (tree, sw, i))));
        json_object_set_new (o, "switches", list);
    }
    return o;
}

/* Depth first, so a reader can draw the tree in one pass.  Lone leaves
 * (nodes the file does not name) are marked, and listed in "lone", for
 * qtopo's warning. */
static int tree_to_json (const struct fabric *tree, int sw, json_t *out)
{
    json_t *o = switch_to_json (tree, sw);
    if (!o || json_array_append_new (out, o) < 0)
        return -1;
    for (size_t i = 0; i < fabric_switch_nchildren (tree, sw); i++) {
        if (tree_to_json (tree, fabric_switch_child (tree, sw, i), out) < 0)
            return -1;
    }
    return 0;
}

static int fabric_query (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    struct ctld *ctx = rq->ctx;
    const struct fabric *tree = ctld_fabric_get (ctx);
    json_t *reply = proto_reply_ok (msg);

    if (!reply)
        return herror_set (err, "out of memory");
    if (!tree) {
        json_object_set_new (reply, "fabric", json_null());
        ctld_reply (ctx, rq->peer, reply);
        return 0;
    }
    json_t *switches = json_array(), *lone = json_array();
    json_t *f = json_pack ("{s:s, s:I, s:o, s:o}", "file", ctx->cfg.fabric, "loaded_at",
                           (json_int_t)ctx->fabric->loaded_at, "switches", switches, "lone", lone);
    if (!f || tree_to_json (tree, fabric_root (tree), switches) < 0) {
        json_decref (f);
        json_decref (reply);
        return herror_set (err, "out of memory");
    }
    for (size_t i = 0; i < fabric_switch_count (tree); i++) {
        if (fabric_switch_is_lone (tree, (int)i))
            json_array_append_new (lone, json_string (fabric_switch_name (tree, (int)i)));
    }
    json_object_set_new (reply, "fabric", f);
    ctld_reply (ctx, rq->peer, reply);
    return 0;
}

const struct proto_handler fabric_client_handlers[] = {
    {"fabric.query", fabric_query},
    {NULL, NULL},
};
