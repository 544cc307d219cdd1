/* pgroup.c - placement group definitions and their running members
 *
 * The placement rules live with the placer (placement.c); here is what
 * they read: the groups, and on every node the groups whose running jobs
 * are there, kept in step with claims and releases.
 */
#include "pgroup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot_impl.h"

int sched_pg_strategy_parse (const char *name)
{
    static const char *const names[] = {[SCHED_PG_CLUSTER] = "cluster",
                                        [SCHED_PG_SPREAD] = "spread",
                                        [SCHED_PG_PARTITION] = "partition"};
    for (int st = 0; name && st < (int)(sizeof (names) / sizeof (names[0])); st++) {
        if (strcmp (names[st], name) == 0)
            return st;
    }
    return -1;
}

int snap_pgroup_find (const struct sched_snapshot *s, const char *name)
{
    if (!name || name[0] == '\0')
        return -1;
    for (int g = 0; g < s->npgroups; g++) {
        if (s->pgroups[g].name && strcmp (s->pgroups[g].name, name) == 0)
            return g;
    }
    return -1;
}

static struct snode_pg *node_entry (const struct snode *n, int g)
{
    for (int k = 0; k < n->npg; k++) {
        if (n->pg[k].group == g)
            return &n->pg[k];
    }
    return NULL;
}

/* Room for one more entry on every node of A, so that counting cannot
 * fail halfway. */
static int reserve_entries (struct sched_snapshot *s, const struct sched_alloc *a)
{
    for (int i = 0; i < sched_alloc_nnodes (a); i++) {
        struct snode *n = s->nodes[snap_find (s, sched_alloc_node (a, i)->name)];
        if (n->npg < n->pg_cap)
            continue;
        int cap = n->pg_cap ? 2 * n->pg_cap : 2;
        struct snode_pg *v = realloc (n->pg, (size_t)cap * sizeof (*v));
        if (!v) {
            errno = ENOMEM;
            return -1;
        }
        n->pg = v;
        n->pg_cap = cap;
    }
    return 0;
}

int snap_pgroup_join (struct sched_snapshot *s, const struct sched_alloc *a)
{
    int g = snap_pgroup_find (s, sched_alloc_pgroup (a));
    if (g < 0)
        return 0;
    if (reserve_entries (s, a) < 0)
        return -1;
    for (int i = 0; i < sched_alloc_nnodes (a); i++) {
        struct snode *n = s->nodes[snap_find (s, sched_alloc_node (a, i)->name)];
        struct snode_pg *e = node_entry (n, g);
        if (!e) {
            e = &n->pg[n->npg++];
            *e = (struct snode_pg){g, 0, 0};
            s->pgroups[g].members++;
        }
        e->partition = sched_alloc_partition (a);
        e->jobs++;
    }
    return 0;
}

void snap_pgroup_leave (struct sched_snapshot *s, const struct sched_alloc *a)
{
    int g = snap_pgroup_find (s, sched_alloc_pgroup (a));
    if (g < 0)
        return;
    for (int i = 0; i < sched_alloc_nnodes (a); i++) {
        int idx = snap_find (s, sched_alloc_node (a, i)->name);
        struct snode *n = idx >= 0 ? s->nodes[idx] : NULL;
        struct snode_pg *e = n ? node_entry (n, g) : NULL;
        if (!e || --e->jobs > 0)
            continue;
        *e = n->pg[--n->npg];
        s->pgroups[g].members--;
    }
}

void snap_pgroups_free (struct sched_snapshot *s)
{
    for (int i = 0; i < s->n; i++) {
        free (s->nodes[i]->pg);
        s->nodes[i]->pg = NULL;
        s->nodes[i]->npg = s->nodes[i]->pg_cap = 0;
    }
    for (int g = 0; g < s->npgroups; g++)
        free (s->pgroups[g].name);
    free (s->pgroups);
    s->pgroups = NULL;
    s->npgroups = 0;
}

static bool strategy_valid (enum sched_pg_strategy st, int partitions)
{
    if (st == SCHED_PG_PARTITION)
        return partitions >= 1 && partitions <= SCHED_PG_MAX_PARTITIONS;
    return st == SCHED_PG_CLUSTER || st == SCHED_PG_SPREAD;
}

int sched_snapshot_set_pgroup (struct sched_snapshot *s, const char *name,
                               enum sched_pg_strategy strategy, int partitions)
{
    size_t len = name ? strlen (name) : 0;
    if (!s || len < 1 || len > SCHED_ALLOC_PGROUP_MAX || !strategy_valid (strategy, partitions)) {
        errno = EINVAL;
        return -1;
    }
    int g = snap_pgroup_find (s, name);
    if (g < 0) {
        for (g = 0; g < s->npgroups && s->pgroups[g].name; g++)
            ;
        if (g == s->npgroups) {
            if (s->npgroups == SCHED_PG_MAX_GROUPS) {
                errno = ENOSPC;
                return -1;
            }
            struct snap_pgroup *v = realloc (s->pgroups, (size_t)(g + 1) * sizeof (*v));
            if (!v) {
                errno = ENOMEM;
                return -1;
            }
            s->pgroups = v;
            s->pgroups[g] = (struct snap_pgroup){NULL, 0, 0, 0};
            s->npgroups++;
        }
        if (!(s->pgroups[g].name = strdup (name))) {
            errno = ENOMEM;
            return -1;
        }
    }
    s->pgroups[g].strategy = strategy;
    s->pgroups[g].partitions = strategy == SCHED_PG_PARTITION ? partitions : 0;
    return 0;
}

int sched_snapshot_remove_pgroup (struct sched_snapshot *s, const char *name)
{
    int g = s ? snap_pgroup_find (s, name) : -1;
    if (g < 0) {
        errno = ENOENT;
        return -1;
    }
    if (s->pgroups[g].members > 0) {
        errno = EBUSY;
        return -1;
    }
    free (s->pgroups[g].name);
    s->pgroups[g].name = NULL;
    return 0;
}

int sched_snapshot_copy_pgroups (struct sched_snapshot *dst, const struct sched_snapshot *src)
{
    for (int g = 0; g < dst->npgroups; g++) {
        if (dst->pgroups[g].members > 0) {
            errno = EBUSY;
            return -1;
        }
    }
    struct snap_pgroup *v = calloc ((size_t)src->npgroups + 1, sizeof (*v));
    if (!v) {
        errno = ENOMEM;
        return -1;
    }
    for (int g = 0; g < src->npgroups; g++) {
        v[g] = src->pgroups[g];
        v[g].members = 0;
        if (src->pgroups[g].name && !(v[g].name = strdup (src->pgroups[g].name))) {
            while (--g >= 0)
                free (v[g].name);
            free (v);
            errno = ENOMEM;
            return -1;
        }
    }
    for (int g = 0; g < dst->npgroups; g++)
        free (dst->pgroups[g].name);
    free (dst->pgroups);
    dst->pgroups = v;
    dst->npgroups = src->npgroups;
    return 0;
}

int sched_snapshot_pgroup_usage (const struct sched_snapshot *s, const char *name, const char *node,
                                 int *jobs, int *partition)
{
    int g = snap_pgroup_find (s, name);
    int i = snap_find (s, node);
    if (g < 0 || i < 0) {
        errno = ENOENT;
        return -1;
    }
    const struct snode_pg *e = node_entry (s->nodes[i], g);
    *jobs = e ? e->jobs : 0;
    *partition = e ? e->partition : 0;
    return 0;
}
