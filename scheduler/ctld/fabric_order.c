/* fabric_order.c - a switch tree as the scheduler core's fabric (fabric_order.h) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/ctld/fabric_order.h"
#include "topology/fabric.h"

struct order_walk {
    const struct fabric *tree;
    const size_t *kept_before; /* kept nodes before fabric-order position i */
    struct ctld_fabric_order *out;
};

static void order_switch (struct order_walk *w, int sw, int parent)
{
    size_t first, count;
    fabric_switch_range (w->tree, sw, &first, &count);
    size_t kfirst = w->kept_before[first], kcount = w->kept_before[first + count] - kfirst;
    if (kcount == 0)
        return;
    int me = (int)w->out->nswitches++;
    int level = fabric_switch_level (w->tree, sw);
    w->out->switches[me] = (struct ctld_fabric_switch){
        .name = fabric_switch_name (w->tree, sw),
        .level = level,
        .parent = parent,
        .first = kfirst,
        .count = kcount,
    };
    w->out->groups[me] =
        (struct sched_fabric_group){.first = (int)kfirst, .count = (int)kcount, .level = level};
    for (size_t i = 0; i < fabric_switch_nchildren (w->tree, sw); i++)
        order_switch (w, fabric_switch_child (w->tree, sw, i), me);
}

int ctld_fabric_order_of (const struct fabric *tree, bool (*keep) (const char *name, void *arg),
                          void *arg, struct ctld_fabric_order *out)
{
    size_t total = fabric_node_count (tree), nsw = fabric_switch_count (tree);

    memset (out, 0, sizeof (*out));
    size_t *kept = calloc (total + 1, sizeof (*kept));
    out->names = calloc (total + 1, sizeof (*out->names));
    out->switches = calloc (nsw + 1, sizeof (*out->switches));
    out->groups = calloc (nsw + 1, sizeof (*out->groups));
    if (!kept || !out->names || !out->switches || !out->groups) {
        free (kept);
        ctld_fabric_order_free (out);
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < total; i++) {
        const char *name = fabric_node_name (tree, i);
        bool k = keep (name, arg);
        kept[i + 1] = kept[i] + k;
        if (k)
            out->names[out->nnames++] = name;
    }
    if (nsw > 0) {
        struct order_walk w = {tree, kept, out};
        order_switch (&w, fabric_root (tree), -1);
    }
    free (kept);
    return 0;
}

struct sched_fabric ctld_fabric_order_sched (const struct ctld_fabric_order *o)
{
    return (struct sched_fabric){.nnames = (int)o->nnames,
                                 .names = o->names,
                                 .ngroups = (int)o->nswitches,
                                 .groups = o->groups};
}

void ctld_fabric_order_free (struct ctld_fabric_order *o)
{
    if (!o)
        return;
    free (o->names);
    free (o->switches);
    free (o->groups);
    memset (o, 0, sizeof (*o));
}
