/* fabric.c - the snapshot's fabric: dense order and switch groups (fabric.h) */
#include "fabric.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot_impl.h"

void snap_fabric_free (struct snap_fabric *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->nnames && f->byname; i++)
        free (f->byname[i].name);
    free (f->byname);
    free (f->groups);
    free (f);
}

static int cmp_fabname (const void *a, const void *b)
{
    return strcmp (((const struct snap_fabric_name *)a)->name,
                   ((const struct snap_fabric_name *)b)->name);
}

int snap_fabric_pos (const struct snap_fabric *f, const char *name)
{
    if (!f)
        return -1;
    struct snap_fabric_name key = {(char *)name, 0};
    const struct snap_fabric_name *hit =
        bsearch (&key, f->byname, (size_t)f->nnames, sizeof (key), cmp_fabname);
    return hit ? hit->pos : -1;
}

bool snap_node_before (const struct snode *a, const struct snode *b)
{
    if (a->fabpos >= 0 && b->fabpos >= 0)
        return a->fabpos < b->fabpos;
    if ((a->fabpos >= 0) != (b->fabpos >= 0))
        return a->fabpos >= 0;
    return strcmp (a->name, b->name) < 0;
}

/* ---- checking and copying what the caller gave ---- */

/* Groups sorted so that a group comes right after the groups containing
 * it: by first position, the wider (and, for equal ranges, the higher)
 * first. */
static int cmp_group_nesting (const void *a, const void *b)
{
    const struct sched_fabric_group *x = a, *y = b;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return y->level - x->level;
}

/* Any two groups disjoint or nested, the container strictly higher: one
 * sweep over the groups in nesting order (G, sorted in place) with a
 * stack of the groups open at the current position. */
static bool groups_laminar (struct sched_fabric_group *g, int n, int *stack)
{
    if (n > 1)
        qsort (g, (size_t)n, sizeof (*g), cmp_group_nesting);
    int depth = 0;
    for (int k = 0; k < n; k++) {
        const struct sched_fabric_group *c = &g[k];
        while (depth > 0 && g[stack[depth - 1]].first + g[stack[depth - 1]].count <= c->first)
            depth--;
        if (depth > 0) {
            const struct sched_fabric_group *top = &g[stack[depth - 1]];
            if (c->first + c->count > top->first + top->count || top->level <= c->level)
                return false;
        }
        stack[depth++] = k;
    }
    return true;
}

static struct snap_fabric *fabric_copy (const struct sched_fabric *f)
{
    if (f->nnames < 0 || f->nnames > SCHED_FABRIC_MAX_NODES || f->ngroups < 0 ||
        f->ngroups > SCHED_FABRIC_MAX_GROUPS || (f->nnames && !f->names) ||
        (f->ngroups && !f->groups)) {
        errno = EINVAL;
        return NULL;
    }
    struct snap_fabric *c = calloc (1, sizeof (*c));
    int *stack = malloc (((size_t)f->ngroups + 1) * sizeof (int));
    if (!c || !stack || !(c->byname = calloc ((size_t)f->nnames + 1, sizeof (*c->byname))) ||
        !(c->groups = malloc (((size_t)f->ngroups + 1) * sizeof (*c->groups))))
        goto nomem;
    for (int i = 0; i < f->nnames; i++) {
        if (!f->names[i] || f->names[i][0] == '\0')
            goto inval;
        if (!(c->byname[i].name = strdup (f->names[i])))
            goto nomem;
        c->byname[i].pos = i;
        c->nnames = i + 1;
    }
    if (c->nnames > 1)
        qsort (c->byname, (size_t)c->nnames, sizeof (*c->byname), cmp_fabname);
    for (int i = 1; i < c->nnames; i++) {
        if (strcmp (c->byname[i - 1].name, c->byname[i].name) == 0)
            goto inval; /* a node under two places */
    }
    for (int i = 0; i < f->ngroups; i++) {
        const struct sched_fabric_group *g = &f->groups[i];
        if (g->first < 0 || g->count < 1 || g->first > f->nnames - g->count || g->level < 0 ||
            g->level > SCHED_FABRIC_MAX_LEVEL)
            goto inval;
        c->groups[i] = *g;
        if (g->level > c->maxlevel)
            c->maxlevel = g->level;
    }
    c->ngroups = f->ngroups;
    if (!groups_laminar (c->groups, c->ngroups, stack))
        goto inval;
    free (stack);
    return c;
inval:
    errno = EINVAL;
    goto fail;
nomem:
    errno = ENOMEM;
fail:;
    int saved = errno;
    free (stack);
    snap_fabric_free (c);
    errno = saved;
    return NULL;
}

/* ---- the dense order and the groups over it ---- */

static int cmp_node_order (const void *a, const void *b)
{
    const struct snode *x = *(struct snode *const *)a, *y = *(struct snode *const *)b;
    return snap_node_before (x, y) ? -1 : snap_node_before (y, x) ? 1 : 0;
}

static uint64_t fabric_fingerprint (const struct snap_fabric *f)
{
    if (!f)
        return 0;
    uint64_t h = UINT64_C (1469598103934665603);
    for (int i = 0; i < f->nnames; i++)
        h = (h ^ (uint64_t)f->byname[i].pos * 2654435761u ^
             (uint64_t)(unsigned char)f->byname[i].name[0]) *
            UINT64_C (1099511628211);
    for (int i = 0; i < f->ngroups; i++)
        h = (h ^ ((uint64_t)f->groups[i].first << 32 ^ (uint64_t)f->groups[i].count << 8 ^
                  (uint64_t)f->groups[i].level)) *
            UINT64_C (1099511628211);
    return h;
}

static void groups_single (struct sched_snapshot *s)
{
    s->ngroups = 1;
    s->nleaves = 0;
    s->groups[0] = (struct snap_group){0, s->n, 0};
    for (int i = 0; i < s->n; i++)
        s->nodes[i]->leaf = 0;
}

static int cmp_upper (const void *a, const void *b)
{
    const struct snap_group *x = a, *y = b;
    if (x->level != y->level)
        return x->level - y->level;
    return x->first - y->first;
}

/* Groups in dense indexes from the fabric's groups in positions: a group
 * keeps the nodes of it the snapshot has (contiguous, since nodes the
 * fabric names come first, in its order); empty ones go.  Nodes under no
 * leaf become leaves of their own. */
int snap_groups_ready (struct sched_snapshot *s)
{
    if (!s->groups_stale)
        return 0;
    const struct snap_fabric *f = s->fabric;
    if (!f) {
        groups_single (s);
        s->groups_stale = false;
        return 0;
    }
    int *pre = calloc ((size_t)f->nnames + 1, sizeof (int));
    struct snap_group *g = malloc (((size_t)f->ngroups + (size_t)s->n + 1) * sizeof (*g));
    if (!pre || !g)
        goto nomem;
    for (int i = 0; i < s->n; i++) {
        if (s->nodes[i]->fabpos >= 0)
            pre[s->nodes[i]->fabpos + 1] = 1;
    }
    for (int p = 0; p < f->nnames; p++)
        pre[p + 1] += pre[p];
    /* upper groups at the end of G for now, leaves from G[1] */
    int nupper = 0, nleaf = 0;
    struct snap_group *upper = g + 1 + s->n; /* room: f->ngroups */
    struct snap_group *mleaf = NULL;
    int nmleaf = 0;
    if (f->ngroups && !(mleaf = malloc ((size_t)f->ngroups * sizeof (*mleaf))))
        goto nomem;
    for (int k = 0; k < f->ngroups; k++) {
        const struct sched_fabric_group *fg = &f->groups[k];
        struct snap_group m = {pre[fg->first], pre[fg->first + fg->count] - pre[fg->first],
                               fg->level};
        if (m.count == 0)
            continue;
        if (m.level == 0)
            mleaf[nmleaf++] = m;
        else
            upper[nupper++] = m;
    }
    if (nmleaf > 1) /* qsort must not see NULL, even with 0 */
        qsort (mleaf, (size_t)nmleaf, sizeof (*mleaf), cmp_upper);
    /* leaves tile the dense index: declared ones, singletons between */
    int i = 0, k = 0;
    while (i < s->n) {
        if (k < nmleaf && mleaf[k].first == i) {
            g[1 + nleaf++] = mleaf[k];
            i += mleaf[k++].count;
        } else {
            g[1 + nleaf++] = (struct snap_group){i, 1, 0};
            i++;
        }
    }
    free (mleaf);
    free (pre);
    if (nupper > 1)
        qsort (upper, (size_t)nupper, sizeof (*upper), cmp_upper);
    memmove (&g[1 + nleaf], upper, (size_t)nupper * sizeof (*g));
    g[0] = (struct snap_group){0, s->n, f->maxlevel + 1};
    free (s->groups);
    s->groups = g;
    s->ngroups = 1 + nleaf + nupper;
    s->nleaves = nleaf;
    for (int l = 0; l < nleaf; l++) {
        for (int j = g[1 + l].first; j < g[1 + l].first + g[1 + l].count; j++)
            s->nodes[j]->leaf = l;
    }
    s->groups_stale = false;
    return 0;
nomem:
    free (pre);
    free (g);
    /* still correct, not topology-aware; tried again next time */
    groups_single (s);
    errno = ENOMEM;
    return -1;
}

int sched_snapshot_set_fabric (struct sched_snapshot *s, const struct sched_fabric *f)
{
    if (!s) {
        errno = EINVAL;
        return -1;
    }
    struct snap_fabric *c = NULL;
    if (f && !(c = fabric_copy (f)))
        return -1;
    s->generation -= fabric_fingerprint (s->fabric);
    snap_fabric_free (s->fabric);
    s->fabric = c;
    s->generation += fabric_fingerprint (c);
    if (s->generation == 0)
        s->generation = 1;
    for (int i = 0; i < s->n; i++)
        s->nodes[i]->fabpos = snap_fabric_pos (c, s->nodes[i]->name);
    if (s->n > 1)
        qsort (s->nodes, (size_t)s->n, sizeof (s->nodes[0]), cmp_node_order);
    for (int i = 0; i < s->n; i++)
        s->nodes[i]->index = i;
    s->tree_stale = true;
    s->groups_stale = true;
    (void)snap_groups_ready (s); /* ENOMEM: retried by the next placement */
    return 0;
}

int sched_snapshot_copy_fabric (struct sched_snapshot *dst, const struct sched_snapshot *src)
{
    if (!dst || !src) {
        errno = EINVAL;
        return -1;
    }
    const struct snap_fabric *f = src->fabric;
    if (!f)
        return sched_snapshot_set_fabric (dst, NULL);
    const char **names = malloc (((size_t)f->nnames + 1) * sizeof (char *));
    if (!names) {
        errno = ENOMEM;
        return -1;
    }
    for (int i = 0; i < f->nnames; i++)
        names[f->byname[i].pos] = f->byname[i].name;
    struct sched_fabric copy = {f->nnames, names, f->ngroups, f->groups};
    int rc = sched_snapshot_set_fabric (dst, &copy);
    free (names);
    return rc;
}

static int cmp_int (const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

int sched_snapshot_span (struct sched_snapshot *s, const char *const *names, int n, int *leaves,
                         int *level)
{
    if (!s || !names || n < 1 || !leaves || !level) {
        errno = EINVAL;
        return -1;
    }
    (void)snap_groups_ready (s);
    int *leaf = malloc ((size_t)n * sizeof (int));
    if (!leaf) {
        errno = ENOMEM;
        return -1;
    }
    int lo = s->n, hi = -1;
    for (int k = 0; k < n; k++) {
        int i = snap_find (s, names[k]);
        if (i < 0) {
            free (leaf);
            errno = ENOENT;
            return -1;
        }
        leaf[k] = s->nodes[i]->leaf;
        lo = i < lo ? i : lo;
        hi = i > hi ? i : hi;
    }
    if (n > 1)
        qsort (leaf, (size_t)n, sizeof (int), cmp_int);
    int distinct = 1;
    for (int k = 1; k < n; k++)
        distinct += leaf[k] != leaf[k - 1];
    free (leaf);
    *leaves = distinct;
    *level = 0;
    if (distinct > 1) {
        *level = s->groups[0].level;
        for (int g = 1 + s->nleaves; g < s->ngroups; g++) {
            const struct snap_group *G = &s->groups[g];
            if (G->first <= lo && hi < G->first + G->count) {
                *level = G->level; /* sorted by level: the lowest */
                break;
            }
        }
    }
    return 0;
}
