/* nodestate.c - PBS node state text and registration reconcile */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/ctld/nodestate.h"

int node_state_format (const struct node_state_in *in, char *buf, size_t len)
{
    const char *words[3];
    int n = 0;

    if (in->offline)
        words[n++] = "offline";
    if (in->down)
        words[n++] = "down";
    if (in->exclusive)
        words[n++] = "job-exclusive";
    else if (in->ncores > 0 && in->cores_used >= in->ncores)
        words[n++] = "job-busy";
    if (n == 0)
        return snprintf (buf, len, "free");
    if (n == 1)
        return snprintf (buf, len, "%s", words[0]);
    if (n == 2)
        return snprintf (buf, len, "%s,%s", words[0], words[1]);
    return snprintf (buf, len, "%s,%s,%s", words[0], words[1], words[2]);
}

bool node_heartbeat_expired (int64_t last_heard, int64_t now, int64_t timeout)
{
    return now - last_heard > timeout;
}

static int cmp_seq (const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Drop adjacent duplicates of a sorted list; returns the new length. */
static int uniq (int64_t *v, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (k == 0 || v[k - 1] != v[i])
            v[k++] = v[i];
    }
    return k;
}

int node_reconcile (int64_t *ours, int nours, int64_t *reported, int nreported,
                    struct node_reconcile *out)
{
    if (nours > 0)
        qsort (ours, nours, sizeof (*ours), cmp_seq);
    if (nreported > 0)
        qsort (reported, nreported, sizeof (*reported), cmp_seq);
    nours = uniq (ours, nours);
    nreported = uniq (reported, nreported);
    out->nadopt = out->nkill = out->nlost = 0;

    int i = 0, j = 0;
    while (i < nours || j < nreported) {
        if (j == nreported || (i < nours && ours[i] < reported[j]))
            out->lost[out->nlost++] = ours[i++];
        else if (i == nours || reported[j] < ours[i])
            out->kill[out->nkill++] = reported[j++];
        else {
            out->adopt[out->nadopt++] = ours[i];
            i++;
            j++;
        }
    }
    return 0;
}
