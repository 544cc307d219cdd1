/* infer.c - a switch tree inferred from measured links (infer.h) */
#include "topology/infer.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology/fabric.h"

/* A measured pair of units (nodes, or leaves for the second level). */
struct edge {
    size_t a, b;
    double lat, bw;
};

static int cmp_name (const void *x, const void *y)
{
    return strcmp (*(const char *const *)x, *(const char *const *)y);
}

static size_t uf_find (size_t *parent, size_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

/* A latency near a node's best, or so far above it that the host, not
 * the fabric, made it (infer.h: INFER_LAT_NOISE). */
static bool lat_ok (double lat, double best)
{
    return lat <= INFER_FACTOR * best || lat > INFER_LAT_NOISE * best;
}

/* The rule of infer.h for one pair: within INFER_FACTOR of both ends'
 * best latency and best bandwidth. */
static bool near (const struct edge *e, const double *best_lat, const double *best_bw)
{
    return lat_ok (e->lat, best_lat[e->a]) && lat_ok (e->lat, best_lat[e->b]) &&
           e->bw * INFER_FACTOR >= best_bw[e->a] && e->bw * INFER_FACTOR >= best_bw[e->b];
}

/* Group units 0..n-1 by the rule: label[u] is u's group, the groups
 * numbered in the order of their first unit.  Returns how many groups,
 * -1 on ENOMEM. */
static long group_units (size_t n, const struct edge *e, size_t ne, size_t *label)
{
    double *best_lat = malloc ((n + 1) * sizeof (*best_lat));
    double *best_bw = malloc ((n + 1) * sizeof (*best_bw));
    size_t *parent = malloc ((n + 1) * sizeof (*parent));
    size_t *root_label = malloc ((n + 1) * sizeof (*root_label));
    long groups = -1;

    if (!best_lat || !best_bw || !parent || !root_label) {
        errno = ENOMEM;
        goto out;
    }
    for (size_t u = 0; u < n; u++) {
        best_lat[u] = INFINITY;
        best_bw[u] = 0;
        parent[u] = u;
        root_label[u] = SIZE_MAX;
    }
    for (size_t i = 0; i < ne; i++) {
        const size_t ends[2] = {e[i].a, e[i].b};
        for (int k = 0; k < 2; k++) {
            if (e[i].lat < best_lat[ends[k]])
                best_lat[ends[k]] = e[i].lat;
            if (e[i].bw > best_bw[ends[k]])
                best_bw[ends[k]] = e[i].bw;
        }
    }
    for (size_t i = 0; i < ne; i++) {
        if (!near (&e[i], best_lat, best_bw))
            continue;
        size_t ra = uf_find (parent, e[i].a), rb = uf_find (parent, e[i].b);
        if (ra != rb)
            parent[ra > rb ? ra : rb] = ra < rb ? ra : rb;
    }
    groups = 0;
    for (size_t u = 0; u < n; u++) {
        size_t r = uf_find (parent, u);
        if (root_label[r] == SIZE_MAX)
            root_label[r] = (size_t)groups++;
        label[u] = root_label[r];
    }
out:
    free (best_lat);
    free (best_bw);
    free (parent);
    free (root_label);
    return groups;
}

/* ------------------------------------------------------- leaf pairs */

static int cmp_pair_lat (const void *x, const void *y)
{
    const struct edge *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    if (p->b != q->b)
        return p->b < q->b ? -1 : 1;
    return p->lat < q->lat ? -1 : p->lat > q->lat;
}

static int cmp_bw (const void *x, const void *y)
{
    const struct edge *p = x, *q = y;
    return p->bw < q->bw ? -1 : p->bw > q->bw;
}

/* The pairs of leaves: one edge per pair of leaves that has measured node
 * pairs between them, with their median latency and median bandwidth.
 * E (node edges, reordered) and LEAF (each node's leaf) in, the leaf
 * edges written over the start of E; returns how many. */
static size_t leaf_edges (struct edge *e, size_t ne, const size_t *leaf)
{
    size_t m = 0;
    for (size_t i = 0; i < ne; i++) {
        size_t p = leaf[e[i].a], q = leaf[e[i].b];
        if (p == q)
            continue;
        e[m] =
            (struct edge){.a = p < q ? p : q, .b = p < q ? q : p, .lat = e[i].lat, .bw = e[i].bw};
        m++;
    }
    qsort (e, m, sizeof (*e), cmp_pair_lat);
    size_t out = 0;
    for (size_t i = 0, j; i < m; i = j) {
        for (j = i; j < m && e[j].a == e[i].a && e[j].b == e[i].b; j++)
            ;
        size_t k = j - i;
        double lat = (e[i + (k - 1) / 2].lat + e[i + k / 2].lat) / 2;
        qsort (e + i, k, sizeof (*e), cmp_bw);
        double bw = (e[i + (k - 1) / 2].bw + e[i + k / 2].bw) / 2;
        e[out++] = (struct edge){.a = e[i].a, .b = e[i].b, .lat = lat, .bw = bw};
    }
    return out;
}

/* ------------------------------------------------------- the tree */

struct inferred {
    const char **sorted; /* node names in name order */
    size_t n;
    size_t *leaf; /* node (name order) -> leaf */
    size_t nleaf;
    size_t *spine; /* leaf -> second-level group, NULL: none */
    size_t nspine;
    size_t *byleaf; /* nodes leaf by leaf, each leaf's in name order */
    size_t *start;  /* leaf l's nodes: byleaf[start[l] .. start[l + 1]) */
};

/* Leaves under SPINE (SIZE_MAX: all) below switch PARENT, named from
 * *NEXT on, each with its nodes in name order. */
static int add_leaves (struct fabric *f, const struct inferred *t, int parent, size_t spine,
                       size_t *next)
{
    char name[32];
    for (size_t l = 0; l < t->nleaf; l++) {
        if (spine != SIZE_MAX && t->spine[l] != spine)
            continue;
        snprintf (name, sizeof (name), "leaf%zu", ++*next);
        int sw = fabric_add_switch (f, name, parent);
        if (sw < 0)
            return -1;
        for (size_t k = t->start[l]; k < t->start[l + 1]; k++) {
            if (fabric_add_node (f, sw, t->sorted[t->byleaf[k]]) < 0)
                return -1;
        }
    }
    return 0;
}

/* byleaf and start from leaf: a counting sort, stable in name order. */
static void bucket (struct inferred *t)
{
    memset (t->start, 0, (t->nleaf + 1) * sizeof (*t->start));
    for (size_t u = 0; u < t->n; u++)
        t->start[t->leaf[u] + 1]++;
    for (size_t l = 0; l < t->nleaf; l++)
        t->start[l + 1] += t->start[l];
    for (size_t u = 0; u < t->n; u++)
        t->byleaf[t->start[t->leaf[u]]++] = u;
    for (size_t l = t->nleaf; l > 0; l--)
        t->start[l] = t->start[l - 1];
    t->start[0] = 0;
}

static struct fabric *build_tree (const struct inferred *t, struct herror *err)
{
    struct fabric *f = fabric_create();
    size_t next = 0;
    char name[32];
    int root = f ? fabric_add_switch (f, "root", -1) : -1;
    int rc = root < 0 ? -1 : 0;

    for (size_t s = 0; rc == 0 && t->spine && s < t->nspine; s++) {
        snprintf (name, sizeof (name), "spine%zu", s + 1);
        int sw = fabric_add_switch (f, name, root);
        rc = sw < 0 ? -1 : add_leaves (f, t, sw, s, &next);
    }
    if (rc == 0 && !t->spine)
        rc = add_leaves (f, t, root, SIZE_MAX, &next);
    if (rc == 0)
        rc = fabric_finish (f, err);
    if (rc < 0) {
        herror_set (err, "out of memory");
        fabric_destroy (f);
        errno = ENOMEM;
        return NULL;
    }
    return f;
}

/* The measurements as edges between positions in name order; the ones
 * that cannot be used are left out. */
static size_t node_edges (const struct inferred *t, const struct fabric_measure *m, size_t nm,
                          struct edge *e)
{
    size_t ne = 0;
    for (size_t i = 0; i < nm; i++) {
        const char **pa =
            m[i].a ? bsearch (&m[i].a, t->sorted, t->n, sizeof (*t->sorted), cmp_name) : NULL;
        const char **pb =
            m[i].b ? bsearch (&m[i].b, t->sorted, t->n, sizeof (*t->sorted), cmp_name) : NULL;
        double lat = m[i].latency_us, bw = m[i].bandwidth_mbps;
        if (!pa || !pb || pa == pb || !(lat > 0) || !(bw > 0) || !isfinite (lat) || !isfinite (bw))
            continue;
        e[ne++] = (struct edge){
            .a = (size_t)(pa - t->sorted), .b = (size_t)(pb - t->sorted), .lat = lat, .bw = bw};
    }
    return ne;
}

/* Node names checked, sorted into t->sorted. */
static int sort_names (struct inferred *t, const char *const *nodes, struct herror *err)
{
    for (size_t i = 0; i < t->n; i++) {
        if (!nodes[i] || !nodes[i][0]) {
            errno = EINVAL;
            return herror_set (err, "a node has an empty name");
        }
    }
    memcpy (t->sorted, nodes, t->n * sizeof (*t->sorted));
    qsort (t->sorted, t->n, sizeof (*t->sorted), cmp_name);
    for (size_t i = 1; i < t->n; i++) {
        if (strcmp (t->sorted[i - 1], t->sorted[i]) == 0) {
            errno = EINVAL;
            return herror_set (err, "node %s is given twice", t->sorted[i]);
        }
    }
    return 0;
}

/* The second level of infer.h into t->spine (left NULL when none). */
static int group_leaves (struct inferred *t, struct edge *e, size_t ne)
{
    if (t->nleaf <= 2)
        return 0; /* two groups of one leaf each say nothing more */
    if (!(t->spine = malloc (t->nleaf * sizeof (*t->spine))))
        return -1;
    size_t nle = leaf_edges (e, ne, t->leaf);
    long ns = group_units (t->nleaf, e, nle, t->spine);
    if (ns < 0)
        return -1;
    t->nspine = (size_t)ns;
    bool far = false; /* groups told apart by a measurement, not by a lack of one */
    for (size_t k = 0; k < nle && !far; k++)
        far = t->spine[e[k].a] != t->spine[e[k].b];
    if (!far || t->nspine <= 1 || t->nspine >= t->nleaf) {
        free (t->spine);
        t->spine = NULL;
    }
    return 0;
}

struct fabric *fabric_infer (const char *const *nodes, size_t n, const struct fabric_measure *m,
                             size_t nm, size_t *used, struct herror *err)
{
    struct inferred t = {.n = n};
    struct fabric *f = NULL;
    struct edge *e = NULL;
    size_t ne;
    long nleaf;

    if (n == 0) {
        errno = EINVAL;
        herror_set (err, "no nodes to infer a fabric for");
        return NULL;
    }
    t.sorted = malloc (n * sizeof (*t.sorted));
    t.leaf = malloc (n * sizeof (*t.leaf));
    t.byleaf = malloc (n * sizeof (*t.byleaf));
    e = malloc ((nm + 1) * sizeof (*e));
    if (!t.sorted || !t.leaf || !t.byleaf || !e)
        goto nomem;
    if (sort_names (&t, nodes, err) < 0)
        goto out;
    ne = node_edges (&t, m, nm, e);
    if (used)
        *used = ne;
    if ((nleaf = group_units (n, e, ne, t.leaf)) < 0)
        goto nomem;
    t.nleaf = (size_t)nleaf;
    if (!(t.start = malloc ((t.nleaf + 1) * sizeof (*t.start))))
        goto nomem;
    bucket (&t);
    if (group_leaves (&t, e, ne) < 0)
        goto nomem;
    f = build_tree (&t, err);
    goto out;
nomem:
    errno = ENOMEM;
    herror_set (err, "out of memory");
out:
    free (t.sorted);
    free (t.leaf);
    free (t.spine);
    free (t.byleaf);
    free (t.start);
    free (e);
    return f;
}
