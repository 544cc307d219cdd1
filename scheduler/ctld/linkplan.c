/* linkplan.c - which pairs of nodes the link probes measure (linkplan.h) */
#include "scheduler/ctld/linkplan.h"

#include <stdbool.h>

static int landmark (int n, int k)
{
    return (int)((long)k * n / LINKPLAN_LANDMARKS);
}

static bool is_landmark (int n, int j)
{
    for (int k = 0; k < LINKPLAN_LANDMARKS; k++)
        if (landmark (n, k) == j)
            return true;
    return false;
}

/* Node i's ring: its first node and size. */
static void ring_of (const struct linkplan *p, int i, int *first, int *size)
{
    *first = p->leaf_first ? p->leaf_first[i] : 0;
    *size = p->leaf_first ? p->leaf_count[i] : p->n;
}

/* Whether i and j are a leaf-mate pair: one ring, at most
 * LINKPLAN_NEIGHBOURS apart around it. */
static bool ring_pair (const struct linkplan *p, int i, int j)
{
    int fi, si, fj, sj;
    ring_of (p, i, &fi, &si);
    ring_of (p, j, &fj, &sj);
    if (fi != fj || i == j)
        return false;
    int d = ((j - i) % si + si) % si;
    return d <= LINKPLAN_NEIGHBOURS || si - d <= LINKPLAN_NEIGHBOURS;
}

int linkplan_partners (const struct linkplan *p, int i, int *out)
{
    int n = p->n, m = 0, first, size;
    if (n <= LINKPLAN_ALL_PAIRS) {
        for (int j = i + 1; j < n; j++)
            out[m++] = j;
        return m;
    }
    ring_of (p, i, &first, &size);
    int pos = i - first, reach = (size - 1) / 2;
    if (reach > LINKPLAN_NEIGHBOURS)
        reach = LINKPLAN_NEIGHBOURS;
    for (int d = 1; d <= reach; d++)
        out[m++] = first + (pos + d) % size;
    /* An even ring's opposite pairs, when within reach: named once, by
     * the first half. */
    if (size % 2 == 0 && size / 2 <= LINKPLAN_NEIGHBOURS && pos < size / 2)
        out[m++] = first + pos + size / 2;
    bool mine = is_landmark (n, i);
    for (int k = 0; k < LINKPLAN_LANDMARKS; k++) {
        int j = landmark (n, k);
        if (j != i && !ring_pair (p, i, j) && (!mine || i < j))
            out[m++] = j;
    }
    return m;
}
