/* linkplan.c - which pairs of nodes the link probes measure (linkplan.h) */
#include "scheduler/ctld/linkplan.h"

#include <stdbool.h>

static bool is_landmark (int n, int j)
{
    for (int k = 0; k < LINKPLAN_LANDMARKS; k++)
        if ((int)((long)k * n / LINKPLAN_LANDMARKS) == j)
            return true;
    return false;
}

int linkplan_partners (int n, int i, int *out)
{
    int m = 0;
    if (n <= LINKPLAN_ALL_PAIRS) {
        for (int j = i + 1; j < n; j++)
            out[m++] = j;
        return m;
    }
    for (int d = 1; d <= LINKPLAN_NEIGHBOURS && i + d < n; d++)
        out[m++] = i + d;
    bool mine = is_landmark (n, i);
    for (int k = 0; k < LINKPLAN_LANDMARKS; k++) {
        int j = (int)((long)k * n / LINKPLAN_LANDMARKS);
        bool near = j >= i - LINKPLAN_NEIGHBOURS && j <= i + LINKPLAN_NEIGHBOURS;
        if (!near && (!mine || i < j))
            out[m++] = j;
    }
    return m;
}
