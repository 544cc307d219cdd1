#include "alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A growable int list.  The public struct only ever points into these. */
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
    struct sched_alloc_node view;
};

struct sched_alloc {
    int64_t seq;
    bool exclusive;
    struct entry *entries;
    int n;
    int cap;
};

struct sched_alloc *sched_alloc_create (int64_t seq)
{
    struct sched_alloc *a = calloc (1, sizeof (*a));
    if (!a)
        return NULL;
    a->seq = seq;
    return a;
}

void sched_alloc_destroy (struct sched_alloc *a)
{
    if (!a)
        return;
    int saved = errno;
    for (int i = 0; i < a->n; i++) {
        free (a->entries[i].name);
        free (a->entries[i].cores.v);
        free (a->entries[i].pus.v);
        free (a->entries[i].gpus.v);
    }
    free (a->entries);
    free (a);
    errno = saved;
}

int64_t sched_alloc_seq (const struct sched_alloc *a)
{
    return a->seq;
}

bool sched_alloc_exclusive (const struct sched_alloc *a)
{
    return a->exclusive;
}

void sched_alloc_set_exclusive (struct sched_alloc *a, bool exclusive)
{
    a->exclusive = exclusive;
}

int sched_alloc_nnodes (const struct sched_alloc *a)
{
    return a->n;
}

static void entry_sync_view (struct entry *e)
{
    e->view.name = e->name;
    e->view.ncores = e->cores.n;
    e->view.cores = e->cores.v;
    e->view.npus = e->pus.n;
    e->view.pus = e->pus.v;
    e->view.ngpus = e->gpus.n;
    e->view.gpus = e->gpus.v;
    e->view.mem = e->mem;
    e->view.nranks = e->nranks;
}

const struct sched_alloc_node *sched_alloc_node (const struct sched_alloc *a, int i)
{
    if (!a || i < 0 || i >= a->n) {
        errno = EINVAL;
        return NULL;
    }
    return &a->entries[i].view;
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

/* The scheduler adds chunk after chunk to the node it just added to, so look
 * at the last entry first; that keeps building an allocation linear. */
static struct entry *find_entry (struct sched_alloc *a, const char *name)
{
    if (a->n > 0 && strcmp (a->entries[a->n - 1].name, name) == 0)
        return &a->entries[a->n - 1];
    for (int i = 0; i < a->n; i++) {
        if (strcmp (a->entries[i].name, name) == 0)
            return &a->entries[i];
    }
    return NULL;
}

static struct entry *new_entry (struct sched_alloc *a, const char *name)
{
    if (a->n == a->cap) {
        int cap = a->cap ? 2 * a->cap : 4;
        struct entry *e = realloc (a->entries, (size_t)cap * sizeof (*e));
        if (!e)
            return NULL;
        a->entries = e;
        a->cap = cap;
    }
    struct entry *e = &a->entries[a->n];
    memset (e, 0, sizeof (*e));
    if (!(e->name = strdup (name)))
        return NULL;
    a->n++;
    return e;
}

static bool part_valid (const struct sched_alloc_node *p)
{
    return p && p->name && p->name[0] != '\0' && p->ncores >= 0 && p->npus >= 0 && p->ngpus >= 0 &&
           p->nranks >= 0 && (p->ncores == 0 || p->cores) && (p->npus == 0 || p->pus) &&
           (p->ngpus == 0 || p->gpus);
}

int sched_alloc_add (struct sched_alloc *a, const struct sched_alloc_node *part)
{
    if (!a || !part_valid (part)) {
        errno = EINVAL;
        return -1;
    }
    struct entry *e = find_entry (a, part->name);
    bool created = false;
    if (!e) {
        if (!(e = new_entry (a, part->name)))
            return -1;
        created = true;
    }
    if (intvec_reserve (&e->cores, part->ncores) < 0 || intvec_reserve (&e->pus, part->npus) < 0 ||
        intvec_reserve (&e->gpus, part->ngpus) < 0) {
        if (created) {
            a->n--;
            free (e->name);
            free (e->cores.v);
            free (e->pus.v);
            free (e->gpus.v);
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

int sched_alloc_total_cores (const struct sched_alloc *a)
{
    int total = 0;
    for (int i = 0; i < a->n; i++)
        total += a->entries[i].cores.n;
    return total;
}

int sched_alloc_total_gpus (const struct sched_alloc *a)
{
    int total = 0;
    for (int i = 0; i < a->n; i++)
        total += a->entries[i].gpus.n;
    return total;
}

uint64_t sched_alloc_total_mem (const struct sched_alloc *a)
{
    uint64_t total = 0;
    for (int i = 0; i < a->n; i++)
        total += a->entries[i].mem;
    return total;
}
