/* ctld_fabric.c - the controller's fabric: load, SIGHUP reload, lone nodes,
 * the tree inferred from measured links when none is declared,
 * fabric.query, and the order the scheduler core takes (ctld_fabric.h) */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "scheduler/ctld/ctld.h"
#include "scheduler/core/fabric.h"
#include "scheduler/ctld/ctld_fabric.h"
#include "topology/fabric.h"
#include "topology/infer.h"

struct ctld_fabric {
    struct fabric *tree;    /* the declared one, else the inferred one; NULL: neither */
    bool inferred;          /* tree came from the measured links (no option fabric) */
    size_t pairs;           /* inferred: the measured pairs it came from */
    struct fabric *pending; /* inferred: a different tree, until measured again */
    struct event *sighup;
    int64_t loaded_at; /* when tree was read or inferred */
};

static bool declared (const struct ctld *ctx)
{
    return ctx->cfg.fabric && ctx->cfg.fabric[0];
}

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

/* ---------------------------------------------- inferred from the links */

static size_t count_leaves (const struct fabric *tree)
{
    size_t n = 0;
    for (size_t i = 0; i < fabric_switch_count (tree); i++)
        n += fabric_switch_is_leaf (tree, (int)i);
    return n;
}

/* The registry's nodes and the measured links through fabric_infer():
 * *out the tree, NULL when no pair is measured (nothing to infer from).
 * -1 (logged) when inference failed: the caller keeps what it has. */
static int infer (struct ctld *ctx, struct fabric **out, size_t *pairs)
{
    struct fabric_measure *m = NULL;
    struct herror err = {""};
    size_t n = nodes_count (ctx);
    const char **names = calloc (n + 1, sizeof (*names));
    int nm = links_measures (ctx, &m), rc = -1;

    *out = NULL;
    *pairs = 0;
    if (!names || nm < 0)
        herror_set (&err, "out of memory");
    else {
        for (size_t i = 0; i < n; i++)
            names[i] = nodes_name (ctx, i);
        rc = 0;
        if (n > 0 && nm > 0 && !(*out = fabric_infer (names, n, m, (size_t)nm, pairs, &err)))
            rc = -1;
        else if (*pairs == 0) {
            fabric_destroy (*out); /* links only of nodes the registry forgot */
            *out = NULL;
        }
    }
    if (rc < 0)
        log_msg (LOG_LEVEL_ERROR, "fabric: cannot infer it from the measured links: %s", err.text);
    free (names);
    free (m);
    return rc;
}

/* The inferred TREE (stolen, NULL: none) in use from now on. */
static void adopt (struct ctld *ctx, struct fabric *tree, size_t pairs)
{
    struct ctld_fabric *cf = ctx->fabric;
    fabric_destroy (cf->pending);
    cf->pending = NULL;
    fabric_destroy (cf->tree);
    cf->tree = tree;
    cf->pairs = pairs;
    cf->loaded_at = ctld_now();
    if (tree)
        log_msg (LOG_LEVEL_INFO,
                 "fabric inferred from measured links (%zu pairs): %zu %s, %zu nodes", pairs,
                 count_leaves (tree), count_leaves (tree) == 1 ? "leaf" : "leaves",
                 fabric_node_count (tree));
    else
        log_msg (LOG_LEVEL_INFO, "fabric: no measured links left to infer it from");
    fabric_to_sched (ctx);
}

/* Whether nodes A and B share a leaf of TREE (*known false when TREE does
 * not hold both).  No tree: the scheduler sees one leaf, so they do. */
static bool leaf_mates (const struct fabric *tree, const char *a, const char *b, bool *known)
{
    long x = tree ? fabric_node_lookup (tree, a) : 0, y = tree ? fabric_node_lookup (tree, b) : 0;
    *known = x >= 0 && y >= 0;
    return !tree ||
           (*known && fabric_node_leaf (tree, (size_t)x) == fabric_node_leaf (tree, (size_t)y));
}

/* Ask links.c to measure again every measured pair whose leaf CANDIDATE
 * and the tree in use disagree on.  Returns how many it asked for. */
static size_t ask_rechecks (struct ctld *ctx, const struct fabric *candidate)
{
    struct fabric_measure *m = NULL;
    int nm = links_measures (ctx, &m);
    size_t asked = 0;

    links_recheck_clear (ctx);
    for (int i = 0; i < nm; i++) {
        bool k1, k2;
        bool now = leaf_mates (candidate, m[i].a, m[i].b, &k1);
        bool was = leaf_mates (ctx->fabric->tree, m[i].a, m[i].b, &k2);
        if (k1 && k2 && now != was && links_recheck (ctx, m[i].a, m[i].b) == 0)
            asked++;
    }
    free (m);
    return asked;
}

/* Infer the tree again and hand it to the scheduler when it differs from
 * the one in use.  With confirm, a different tree is a candidate first:
 * the pairs it judges otherwise than the tree in use are measured again
 * (links_recheck()), and only if the next inference, once they are, gives
 * the same candidate is it used; if it gives the tree in use, the
 * candidate was noise (a probe disturbed by load on its nodes makes a pair
 * look far) and is dropped.  Probes are what make a tree here, so one bad
 * round must not move jobs' placement; a real change costs one more
 * measurement of the pairs it moves. */
static void reinfer (struct ctld *ctx, bool confirm)
{
    struct ctld_fabric *cf = ctx->fabric;
    struct fabric *tree;
    size_t pairs, asked;

    if (infer (ctx, &tree, &pairs) < 0)
        return;
    if (tree && cf->tree ? fabric_same (tree, cf->tree) : tree == cf->tree) {
        cf->pairs = pairs;
        if (cf->pending)
            log_msg (LOG_LEVEL_INFO, "fabric: measured again, the links do not bear out the other "
                                     "tree: the one in use stays");
        fabric_destroy (cf->pending);
        cf->pending = NULL;
        links_recheck_clear (ctx);
        fabric_destroy (tree);
        return;
    }
    if (confirm && tree) {
        if (cf->pending && fabric_same (tree, cf->pending)) {
            if (links_rechecks_left (ctx) > 0) {
                fabric_destroy (tree); /* still measuring */
                return;
            }
        } else if ((asked = ask_rechecks (ctx, tree)) > 0) {
            fabric_destroy (cf->pending);
            cf->pending = tree;
            log_msg (LOG_LEVEL_INFO,
                     "fabric: the measured links suggest another tree (%zu %s): measuring "
                     "%zu pairs again before using it",
                     count_leaves (tree), count_leaves (tree) == 1 ? "leaf" : "leaves", asked);
            return;
        }
    }
    adopt (ctx, tree, pairs);
}

void ctld_fabric_links_changed (struct ctld *ctx)
{
    if (ctx->fabric && ctx->fabric->inferred)
        reinfer (ctx, true);
}

/* ------------------------------------------------------------ declared */

int ctld_fabric_reload (struct ctld *ctx, struct herror *err)
{
    struct ctld_fabric *cf = ctx->fabric;
    struct timespec t0;

    if (!declared (ctx))
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
    if (!declared (ctx)) {
        cf->inferred = true;
        reinfer (ctx, false); /* the links the store kept were measured before */
        return 0;
    }
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
    fabric_destroy (cf->pending);
    free (cf);
    ctx->fabric = NULL;
}

void ctld_fabric_node_seen (struct ctld *ctx, const char *name)
{
    struct ctld_fabric *cf = ctx->fabric;
    if (!cf || !cf->tree)
        return;
    if (cf->inferred) {
        reinfer (ctx, true); /* a node not yet measured: a leaf of its own */
        return;
    }
    place_lone (ctx, cf->tree, &name, 1);
    fabric_to_sched (ctx);
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

struct probe_pos {
    long pos;  /* in the fabric order, LONG_MAX: not in the tree */
    int leaf;  /* -1: not in the tree */
    int index; /* into the caller's names */
};

static int probe_pos_cmp (const void *x, const void *y)
{
    const struct probe_pos *a = x, *b = y;
    if (a->pos != b->pos)
        return a->pos < b->pos ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

int ctld_fabric_probe_order (struct ctld *ctx, const char *const *names, int n, int *order,
                             int *leaf_first, int *leaf_count)
{
    const struct fabric *tree = ctld_fabric_get (ctx);
    if (!tree || ctx->fabric->inferred) {
        errno = ENOENT;
        return -1;
    }
    struct probe_pos *v = calloc (n + 1, sizeof (*v));
    if (!v) {
        errno = ENOMEM;
        return -1;
    }
    for (int i = 0; i < n; i++) {
        long pos = fabric_node_lookup (tree, names[i]);
        v[i] = (struct probe_pos){.pos = pos >= 0 ? pos : LONG_MAX,
                                  .leaf = pos >= 0 ? fabric_node_leaf (tree, (size_t)pos) : -1,
                                  .index = i};
    }
    qsort (v, n, sizeof (*v), probe_pos_cmp);
    for (int k = 0, end; k < n; k = end) {
        for (end = k + 1; end < n && v[k].leaf >= 0 && v[end].leaf == v[k].leaf; end++)
            ;
        for (int j = k; j < end; j++) {
            order[j] = v[j].index;
            leaf_first[j] = k;
            leaf_count[j] = end - k;
        }
    }
    free (v);
    return 0;
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
    json_t *f = json_pack ("{s:s, s:I, s:o, s:o}", "source",
                           ctx->fabric->inferred ? "measured" : "declared", "loaded_at",
                           (json_int_t)ctx->fabric->loaded_at, "switches", switches, "lone", lone);
    if (f && ctx->fabric->inferred)
        json_object_set_new (f, "pairs", json_integer ((json_int_t)ctx->fabric->pairs));
    else if (f)
        json_object_set_new (f, "file", json_string (ctx->cfg.fabric));
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
