/* rset.c - see rset.h */
#include "common/rset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/strhash.h"

/* A growable int list.  The public views only ever point into these. */
struct intvec {
    int *v;
    int n;
    int cap;
};

struct entry {
    char *name;
    struct intvec cores, pus, gpus;
    uint64_t mem;
    int nranks;
    struct rset_node view;
};

struct rset {
    struct entry *entries;
    int n, cap;
    int64_t start, end;
    /* Name index once the set is big (open addressing, entry index + 1,
     * 0 empty; icap a power of two, at least twice n), so building a
     * many-node allocation stays linear.  NULL: search the entries. */
    int *index;
    int icap;
};

#define RSET_INDEX_MIN 32 /* below this many nodes a scan is as quick */

static void index_put (int *index, int icap, const char *name, int i)
{
    unsigned k = strhash (name) & (unsigned)(icap - 1);
    while (index[k])
        k = (k + 1) & (unsigned)(icap - 1);
    index[k] = i + 1;
}

/* Keep the index in step with the entries after one was appended; without
 * memory for it there is no index and lookups scan (slower, never wrong). */
static void index_update (struct rset *r)
{
    if (r->n < RSET_INDEX_MIN)
        return;
    if (r->index && 2 * r->n <= r->icap) {
        index_put (r->index, r->icap, r->entries[r->n - 1].name, r->n - 1);
        return;
    }
    free (r->index);
    r->icap = 64;
    while (r->icap < 4 * r->n)
        r->icap *= 2;
    if (!(r->index = calloc ((size_t)r->icap, sizeof (int))))
        return;
    for (int i = 0; i < r->n; i++)
        index_put (r->index, r->icap, r->entries[i].name, i);
}

struct rset *rset_create (void)
{
    struct rset *r = calloc (1, sizeof (*r));
    if (!r) {
        errno = ENOMEM;
        return NULL;
    }
    r->end = RSET_NO_END;
    return r;
}

static void entry_free (struct entry *e)
{
    free (e->name);
    free (e->cores.v);
    free (e->pus.v);
    free (e->gpus.v);
}

void rset_destroy (struct rset *r)
{
    if (!r)
        return;
    int saved = errno;
    for (int i = 0; i < r->n; i++)
        entry_free (&r->entries[i]);
    free (r->entries);
    free (r->index);
    free (r);
    errno = saved;
}

int rset_nnodes (const struct rset *r)
{
    return r->n;
}

const struct rset_node *rset_node (const struct rset *r, int i)
{
    if (!r || i < 0 || i >= r->n) {
        errno = EINVAL;
        return NULL;
    }
    return &r->entries[i].view;
}

/* Allocations are built chunk after chunk on the node just added to, so
 * look at the last entry first; that keeps building one linear. */
int rset_find (const struct rset *r, const char *name)
{
    if (r->n > 0 && strcmp (r->entries[r->n - 1].name, name) == 0)
        return r->n - 1;
    if (r->index) {
        unsigned k = strhash (name) & (unsigned)(r->icap - 1);
        for (; r->index[k]; k = (k + 1) & (unsigned)(r->icap - 1)) {
            if (strcmp (r->entries[r->index[k] - 1].name, name) == 0)
                return r->index[k] - 1;
        }
        return -1;
    }
    for (int i = 0; i < r->n; i++) {
        if (strcmp (r->entries[i].name, name) == 0)
            return i;
    }
    return -1;
}

static void entry_sync_view (struct entry *e)
{
    e->view = (struct rset_node){e->name,   e->cores.n, e->cores.v, e->pus.n, e->pus.v,
                                 e->gpus.n, e->gpus.v,  e->mem,     e->nranks};
}

/* Make room for N more ints without touching the contents, so that a later
 * failure can leave the list exactly as it was. */
static int intvec_reserve (struct intvec *iv, int n)
{
    if (iv->n + n <= iv->cap)
        return 0;
    int cap = iv->cap ? iv->cap : 8;
    while (cap < iv->n + n)
        cap *= 2;
    int *v = realloc (iv->v, (size_t)cap * sizeof (int));
    if (!v)
        return -1;
    iv->v = v;
    iv->cap = cap;
    return 0;
}

static void intvec_append (struct intvec *iv, const int *src, int n)
{
    if (n > 0)
        memcpy (iv->v + iv->n, src, (size_t)n * sizeof (int));
    iv->n += n;
}

static struct entry *new_entry (struct rset *r, const char *name)
{
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 4;
        struct entry *e = realloc (r->entries, (size_t)cap * sizeof (*e));
        if (!e)
            return NULL;
        r->entries = e;
        r->cap = cap;
    }
    struct entry *e = &r->entries[r->n];
    memset (e, 0, sizeof (*e));
    if (!(e->name = strdup (name)))
        return NULL;
    r->n++;
    index_update (r);
    return e;
}

static bool part_valid (const struct rset_node *p)
{
    return p && p->name && p->name[0] != '\0' && p->ncores >= 0 && p->npus >= 0 && p->ngpus >= 0 &&
           p->nranks >= 0 && (p->ncores == 0 || p->cores) && (p->npus == 0 || p->pus) &&
           (p->ngpus == 0 || p->gpus);
}

int rset_add (struct rset *r, const struct rset_node *part)
{
    if (!r || !part_valid (part)) {
        errno = EINVAL;
        return -1;
    }
    int i = rset_find (r, part->name);
    struct entry *e = i >= 0 ? &r->entries[i] : new_entry (r, part->name);
    if (!e) {
        errno = ENOMEM;
        return -1;
    }
    if (intvec_reserve (&e->cores, part->ncores) < 0 || intvec_reserve (&e->pus, part->npus) < 0 ||
        intvec_reserve (&e->gpus, part->ngpus) < 0) {
        if (i < 0) {
            r->n--;
            entry_free (e);
            free (r->index); /* it named the entry just dropped */
            r->index = NULL;
        }
        errno = ENOMEM;
        return -1;
    }
    intvec_append (&e->cores, part->cores, part->ncores);
    intvec_append (&e->pus, part->pus, part->npus);
    intvec_append (&e->gpus, part->gpus, part->ngpus);
    e->mem += part->mem;
    e->nranks += part->nranks;
    entry_sync_view (e);
    return 0;
}

int rset_total_cores (const struct rset *r)
{
    int total = 0;
    for (int i = 0; i < r->n; i++)
        total += r->entries[i].cores.n;
    return total;
}

int rset_total_gpus (const struct rset *r)
{
    int total = 0;
    for (int i = 0; i < r->n; i++)
        total += r->entries[i].gpus.n;
    return total;
}

uint64_t rset_total_mem (const struct rset *r)
{
    uint64_t total = 0;
    for (int i = 0; i < r->n; i++)
        total += r->entries[i].mem;
    return total;
}

void rset_set_window (struct rset *r, int64_t start, int64_t walltime)
{
    r->start = start;
    r->end = walltime > 0 && start <= RSET_NO_END - walltime ? start + walltime : RSET_NO_END;
}

int64_t rset_start (const struct rset *r)
{
    return r->start;
}

int64_t rset_end (const struct rset *r)
{
    return r->end;
}
