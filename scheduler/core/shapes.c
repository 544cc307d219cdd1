#include "shapes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Open addressing by shape hash, at most half full. */
struct shapes {
    const struct resreq **v; /* NULL: empty slot */
    uint64_t *h;
    char **why;   /* per entry, a copy; NULL for none */
    int64_t *val; /* per entry */
    int n, cap;
};

static uint64_t mix (uint64_t h, uint64_t v)
{
    h ^= v + UINT64_C (0x9e3779b97f4a7c15) + (h << 6) + (h >> 2);
    return h;
}

static uint64_t mix_str (uint64_t h, const char *s)
{
    for (; *s; s++)
        h = mix (h, (unsigned char)*s);
    return mix (h, 0);
}

/* What placement looks at in a request (shapes.h). */
static uint64_t shape_hash (const struct resreq *r)
{
    uint64_t h =
        mix (mix (mix (0, (uint64_t)r->nchunks), (uint64_t)r->arrangement), (uint64_t)r->sharing);
    h = mix (mix (mix (h, r->group_switch), (uint64_t)r->max_switches), r->switches_wait < 0);
    h = mix_str (h, r->pgroup);
    for (int i = 0; i < r->nchunks; i++) {
        const struct resreq_chunk *c = &r->chunks[i];
        h = mix (mix (mix (mix (h, (uint64_t)c->count), (uint64_t)c->ncpus), (uint64_t)c->ngpus),
                 c->mem);
        h = mix_str (mix_str (h, c->host), c->labels);
    }
    return h;
}

static bool shape_equal (const struct resreq *a, const struct resreq *b)
{
    if (a->nchunks != b->nchunks || a->arrangement != b->arrangement || a->sharing != b->sharing ||
        a->group_switch != b->group_switch || a->max_switches != b->max_switches ||
        (a->switches_wait < 0) != (b->switches_wait < 0) || strcmp (a->pgroup, b->pgroup) != 0)
        return false;
    for (int i = 0; i < a->nchunks; i++) {
        const struct resreq_chunk *x = &a->chunks[i], *y = &b->chunks[i];
        if (x->count != y->count || x->ncpus != y->ncpus || x->ngpus != y->ngpus ||
            x->mem != y->mem || strcmp (x->host, y->host) != 0 ||
            strcmp (x->labels, y->labels) != 0)
            return false;
    }
    return true;
}

/* The slot of REQ's shape (H its hash): its entry, or the empty slot
 * where it goes. */
static int shape_slot (const struct shapes *t, const struct resreq *req, uint64_t h)
{
    int i = (int)(h & (uint64_t)(t->cap - 1));
    while (t->v[i] && (t->h[i] != h || !shape_equal (t->v[i], req)))
        i = (i + 1) & (t->cap - 1);
    return i;
}

/* REQ's shape's entry, -1 for none. */
static int slot_of (const struct shapes *t, const struct resreq *req)
{
    if (t->cap == 0)
        return -1;
    int k = shape_slot (t, req, shape_hash (req));
    return t->v[k] ? k : -1;
}

/* The arrays, without the set itself. */
static void arrays_free (struct shapes *t)
{
    for (int i = 0; i < t->cap && t->why; i++)
        free (t->why[i]);
    free (t->v);
    free (t->h);
    free (t->why);
    free (t->val);
}

struct shapes *shapes_create (void)
{
    return calloc (1, sizeof (struct shapes));
}

void shapes_destroy (struct shapes *t)
{
    if (!t)
        return;
    int saved = errno;
    arrays_free (t);
    free (t);
    errno = saved;
}

void shapes_clear (struct shapes *t)
{
    arrays_free (t);
    *t = (struct shapes){0};
}

bool shapes_find (const struct shapes *t, const struct resreq *req, const char **why, int64_t *val)
{
    int k = slot_of (t, req);
    if (k < 0)
        return false;
    if (why)
        *why = t->why[k] ? t->why[k] : "";
    if (val)
        *val = t->val[k];
    return true;
}

void shapes_add (struct shapes *t, const struct resreq *req, const char *why, int64_t val)
{
    if (2 * (t->n + 1) > t->cap) {
        int cap = t->cap ? 2 * t->cap : 256;
        struct shapes g = {calloc ((size_t)cap, sizeof (*g.v)),
                           calloc ((size_t)cap, sizeof (*g.h)),
                           calloc ((size_t)cap, sizeof (*g.why)),
                           calloc ((size_t)cap, sizeof (*g.val)),
                           0,
                           cap};
        if (!g.v || !g.h || !g.why || !g.val) {
            arrays_free (&g);
            return;
        }
        for (int i = 0; i < t->cap; i++) {
            if (t->v[i]) {
                int k = shape_slot (&g, t->v[i], t->h[i]);
                g.v[k] = t->v[i];
                g.h[k] = t->h[i];
                g.why[k] = t->why[i];
                g.val[k] = t->val[i];
                t->why[i] = NULL;
                g.n++;
            }
        }
        arrays_free (t);
        *t = g;
    }
    uint64_t h = shape_hash (req);
    int k = shape_slot (t, req, h);
    char *w = why ? strdup (why) : NULL;
    if (t->v[k] || (why && !w)) {
        free (w);
        return;
    }
    t->v[k] = req;
    t->h[k] = h;
    t->why[k] = w;
    t->val[k] = val;
    t->n++;
}
