#include "resreq.h"

#include <stdlib.h>
#include <stddef.h>
#include <string.h>

static int sum_chunks (const struct resreq *r, size_t offset)
{
    int total = 0;
    for (int i = 0; i < r->nchunks; i++) {
        const struct resreq_chunk *c = &r->chunks[i];
        int per = *(const int *)((const char *)c + offset);
        total += c->count * per;
    }
    return total;
}

int resreq_total_ncpus (const struct resreq *r)
{
    return sum_chunks (r, offsetof (struct resreq_chunk, ncpus));
}

int resreq_total_ngpus (const struct resreq *r)
{
    return sum_chunks (r, offsetof (struct resreq_chunk, ngpus));
}

int resreq_total_mpiprocs (const struct resreq *r)
{
    return sum_chunks (r, offsetof (struct resreq_chunk, mpiprocs));
}

void resreq_clear (struct resreq *r)
{
    if (!r)
        return;
    free (r->chunks);
    memset (r, 0, sizeof (*r));
}
