/* layout.c - per-rank layout of a job (layout.h) */
#include "layout.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/idset.h"

struct layout {
    struct layout_rank *ranks;
    int nranks;
    char **nodes; /* the node names the ranks point to */
    int nnodes;
};

void layout_destroy (struct layout *l)
{
    if (!l)
        return;
    int saved = errno;
    for (int i = 0; i < l->nranks; i++) {
        struct layout_rank *r = &l->ranks[i];
        free (r->cores);
        free (r->pus);
        free (r->gpus);
        for (int k = 0; k < r->nic_nnames; k++)
            free (r->nic_names[k]);
        free (r->nic_names);
    }
    for (int i = 0; i < l->nnodes; i++)
        free (l->nodes[i]);
    free (l->nodes);
    free (l->ranks);
    free (l);
    errno = saved;
}

int layout_nranks (const struct layout *l)
{
    return l->nranks;
}

const struct layout_rank *layout_rank (const struct layout *l, int i)
{
    if (i < 0 || i >= l->nranks) {
        errno = EINVAL;
        return NULL;
    }
    return &l->ranks[i];
}

const struct layout_rank *layout_find_local (const struct layout *l, const char *node, int local)
{
    for (int i = 0; i < l->nranks; i++) {
        const struct layout_rank *r = &l->ranks[i];
        if (r->local == local && (!node || strcmp (r->node, node) == 0))
            return r;
    }
    errno = ENOENT;
    return NULL;
}

/* An empty layout with room for NRANKS ranks and NNODES names. */
static struct layout *layout_alloc (int nranks, int nnodes)
{
    struct layout *l = calloc (1, sizeof (*l));
    if (!l)
        return NULL;
    l->ranks = calloc ((size_t)nranks + 1, sizeof (*l->ranks));
    l->nodes = calloc ((size_t)nnodes + 1, sizeof (*l->nodes));
    if (!l->ranks || !l->nodes) {
        layout_destroy (l);
        return NULL;
    }
    return l;
}

static int *int_dup (const int *v, int n)
{
    int *c = malloc ((size_t)(n ? n : 1) * sizeof (int));
    if (c && n)
        memcpy (c, v, (size_t)n * sizeof (int));
    return c;
}

static bool ids_has (const struct topo_ids *ids, unsigned id)
{
    for (unsigned i = 0; i < ids->count; i++) {
        if (ids->ids[i] == id)
            return true;
    }
    return false;
}

/* --- one node ------------------------------------------------------------ */

/* What layout_node works on: one allocation node and its model. */
struct nodework {
    const struct rset_node *a;
    const struct topo_node *t; /* NULL: unknown */
    int *order;                /* core ids in NUMA order */
    bool *used;                /* per position in order */
};

static int core_numa (const struct topo_node *t, int id)
{
    return t && id >= 0 && (unsigned)id < t->ncores ? t->cores[id].numa : -1;
}

static bool numa_before (const struct topo_node *t, int a, int b)
{
    int da = core_numa (t, a), db = core_numa (t, b);
    return da != db ? da < db : a < b;
}

/* Sort core ids by (NUMA domain, id).  Insertion sort: a node's share of
 * one job is at most a few hundred cores, and the model is an argument
 * (qsort would need it in a global). */
static void sort_numa_order (const struct topo_node *t, int *v, int n)
{
    for (int i = 1; i < n; i++) {
        int x = v[i], j = i;
        for (; j > 0 && numa_before (t, x, v[j - 1]); j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* Give rank R free cores, in NUMA order, until it has QUOTA; LOCAL_ONLY:
 * only cores local to its (first) GPU.  Returns how many it took. */
static int take_cores (struct nodework *w, struct layout_rank *r, int quota, bool local_only)
{
    const struct topo_gpu *gpu =
        w->t && r->ngpus > 0 && (unsigned)r->gpus[0] < w->t->ngpus ? &w->t->gpus[r->gpus[0]] : NULL;
    if (local_only && !gpu)
        return 0;
    int got = 0;
    for (int k = 0; k < w->a->ncores && r->ncores < quota; k++) {
        if (w->used[k] || (local_only && !ids_has (&gpu->cores, (unsigned)w->order[k])))
            continue;
        w->used[k] = true;
        r->cores[r->ncores++] = w->order[k];
        got++;
    }
    return got;
}

/* The rank's PUs: its cores' PUs that the allocation holds. */
static int model_pus (const struct nodework *w, struct layout_rank *r)
{
    const struct topo_node *t = w->t;
    int n = 0;
    for (int c = 0; c < r->ncores; c++) {
        const struct topo_core *core = &t->cores[r->cores[c]];
        for (unsigned p = core->pu_first; p < core->pu_first + core->pu_count && p < t->npus; p++) {
            for (int k = 0; k < w->a->npus; k++) {
                if (w->a->pus[k] == t->pus[p].os_index) {
                    r->pus[n++] = w->a->pus[k];
                    break;
                }
            }
        }
    }
    return n;
}

static int choose_nic (const struct topo_node *t, const struct layout_rank *r, int nsharing)
{
    if (!t || t->nnics == 0)
        return -1;
    if (r->ngpus > 0 && (unsigned)r->gpus[0] < t->ngpus) {
        const struct topo_ids *near = &t->gpus[r->gpus[0]].near_nics;
        if (near->count > 0)
            return (int)near->ids[(unsigned)nsharing % near->count];
    }
    int best = 0, best_hits = -1;
    for (unsigned n = 0; n < t->nnics; n++) {
        int hits = 0;
        for (int c = 0; c < r->ncores; c++)
            hits += ids_has (&t->nics[n].cores, (unsigned)r->cores[c]);
        if (hits > best_hits) {
            best = (int)n;
            best_hits = hits;
        }
    }
    return best;
}

static int set_nic (struct layout_rank *r, int kind, char *const *names, int nnames)
{
    r->nic_names = calloc ((size_t)nnames + 1, sizeof (char *));
    if (!r->nic_names)
        return -1;
    r->nic_kind = kind;
    for (int k = 0; k < nnames; k++) {
        if (!(r->nic_names[k] = strdup (names[k])))
            return -1;
        r->nic_nnames++;
    }
    return 0;
}

static int check_node (const struct rset_node *a, const struct topo_node *t, struct herror *err)
{
    for (int i = 0; t && i < a->ncores; i++) {
        if (a->cores[i] < 0 || (unsigned)a->cores[i] >= t->ncores)
            return herror_set (err, "node %s: core %d is not in its topology (%u cores)", a->name,
                               a->cores[i], t->ncores);
    }
    for (int i = 0; t && i < a->ngpus; i++) {
        if (a->gpus[i] < 0 || (unsigned)a->gpus[i] >= t->ngpus)
            return herror_set (err, "node %s: GPU %d is not in its topology (%u GPUs)", a->name,
                               a->gpus[i], t->ngpus);
    }
    return 0;
}

/* Lay out the ranks of one node into RANKS[0 .. a->nranks-1]. */
static int layout_node (struct nodework *w, struct layout_rank *ranks)
{
    const struct rset_node *a = w->a;
    int R = a->nranks, C = a->ncores, G = a->ngpus, P = a->npus;
    for (int i = 0; i < R; i++) {
        struct layout_rank *r = &ranks[i];
        r->local = i;
        r->node = a->name;
        r->nic_kind = -1;
        int quota = C >= R ? C / R + (i < C % R) : (C > 0);
        r->cores = malloc ((size_t)(quota + 1) * sizeof (int));
        r->pus = malloc ((size_t)(P + 1) * sizeof (int));
        r->gpus = malloc ((size_t)(G + 1) * sizeof (int));
        if (!r->cores || !r->pus || !r->gpus)
            return -1;
        int first = rset_rank_first_gpu (i, R, G);
        int last = G > R ? rset_rank_first_gpu (i + 1, R, G) : first + (first >= 0);
        for (int j = first; j >= 0 && j < last && j < G; j++)
            r->gpus[r->ngpus++] = a->gpus[j];
    }
    if (C >= R) {
        for (int i = 0; i < R; i++)
            take_cores (w, &ranks[i], C / R + (i < C % R), true);
        for (int i = 0; i < R; i++)
            take_cores (w, &ranks[i], C / R + (i < C % R), false);
    } else if (C > 0) {
        for (int i = 0; i < R; i++)
            ranks[i].cores[ranks[i].ncores++] = w->order[(long)i * C / R];
    }
    for (int i = 0; i < R; i++) {
        struct layout_rank *r = &ranks[i];
        if (w->t && C > 0) {
            r->npus = model_pus (w, r);
        } else {
            /* Without a model (or cores), share the PUs out in order. */
            long lo = (long)i * P / R, hi = (long)(i + 1) * P / R;
            if (hi == lo && P > 0)
                hi = lo + 1; /* fewer PUs than ranks: share them */
            for (long k = lo; k < hi && k < P; k++)
                r->pus[r->npus++] = a->pus[k];
        }
        /* Ranks sharing a GPU take tied nearest NICs in turn. */
        int sharing = 0;
        for (int k = 0; k < i; k++)
            sharing += r->ngpus > 0 && ranks[k].ngpus > 0 && ranks[k].gpus[0] == r->gpus[0];
        int nic = choose_nic (w->t, r, sharing);
        if (nic >= 0) {
            const struct topo_nic *n = &w->t->nics[nic];
            if (set_nic (r, n->kind, n->names, (int)n->nnames) < 0)
                return -1;
        }
    }
    return 0;
}

struct layout *layout_create (const struct rset *a, const struct topo_node *const *models,
                              struct herror *err)
{
    int nnodes = rset_nnodes (a), nranks = 0;
    for (int i = 0; i < nnodes; i++) {
        const struct rset_node *n = rset_node (a, i);
        if (check_node (n, models ? models[i] : NULL, err) < 0) {
            errno = EINVAL;
            return NULL;
        }
        nranks += n->nranks;
    }
    if (nranks > LAYOUT_MAX_RANKS) {
        herror_set (err, "%d ranks: more than a layout holds (%d)", nranks, LAYOUT_MAX_RANKS);
        errno = EINVAL;
        return NULL;
    }
    struct layout *l = layout_alloc (nranks, nnodes);
    if (!l)
        goto nomem;
    for (int i = 0; i < nnodes; i++) {
        const struct rset_node *n = rset_node (a, i);
        struct nodework w = {.a = n, .t = models ? models[i] : NULL};
        if (!(l->nodes[i] = strdup (n->name)))
            goto nomem;
        l->nnodes++;
        w.order = int_dup (n->cores, n->ncores);
        w.used = calloc ((size_t)n->ncores + 1, sizeof (bool));
        if (!w.order || !w.used) {
            free (w.order);
            free (w.used);
            goto nomem;
        }
        if (w.t)
            sort_numa_order (w.t, w.order, n->ncores);
        struct layout_rank *first = &l->ranks[l->nranks];
        int rc = layout_node (&w, first);
        free (w.order);
        free (w.used);
        for (int k = 0; k < n->nranks; k++) {
            first[k].node = l->nodes[i];
            first[k].rank = l->nranks + k;
        }
        l->nranks += n->nranks; /* counted even on failure: destroy frees them */
        if (rc < 0)
            goto nomem;
    }
    return l;
nomem:
    layout_destroy (l);
    herror_set (err, "out of memory laying out %d ranks", nranks);
    errno = ENOMEM;
    return NULL;
}

/* --- JSON ------------------------------------------------------------------ */

static json_t *int_array (const int *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++) {
        if (json_array_append_new (a, json_integer (v[i])) < 0) {
            json_decref (a);
            return NULL;
        }
    }
    return a;
}

static json_t *rank_to_json (const struct layout_rank *r)
{
    json_t *o = json_pack ("{s:i, s:s, s:i, s:o?, s:o?}", "rank", r->rank, "node", r->node, "local",
                           r->local, "cores", int_array (r->cores, r->ncores), "pus",
                           int_array (r->pus, r->npus));
    if (!o)
        return NULL;
    if (r->ngpus > 0 && json_object_set_new (o, "gpus", int_array (r->gpus, r->ngpus)) < 0)
        goto fail;
    if (r->nic_nnames > 0) {
        json_t *names = json_array();
        for (int k = 0; names && k < r->nic_nnames; k++) {
            if (json_array_append_new (names, json_string (r->nic_names[k])) < 0) {
                json_decref (names);
                names = NULL;
            }
        }
        json_t *nic =
            json_pack ("{s:s, s:o?}", "kind", topo_nic_kind_name (r->nic_kind), "names", names);
        if (!nic || json_object_set_new (o, "nic", nic) < 0)
            goto fail;
    }
    return o;
fail:
    json_decref (o);
    return NULL;
}

json_t *layout_to_json (const struct layout *l)
{
    json_t *ranks = json_array();
    for (int i = 0; ranks && i < l->nranks; i++) {
        if (json_array_append_new (ranks, rank_to_json (&l->ranks[i])) < 0) {
            json_decref (ranks);
            ranks = NULL;
        }
    }
    json_t *o = json_pack ("{s:i, s:o?}", "version", 1, "ranks", ranks);
    if (!o || !ranks) {
        json_decref (o);
        errno = ENOMEM;
        return NULL;
    }
    return o;
}

/* Decode member KEY of O, an optional array of ids 0..RSET_MAX_ID. */
static int ids_from_json (const json_t *o, const char *key, size_t idx, int **out, int *n,
                          struct herror *err)
{
    const json_t *a = json_object_get (o, key);
    *n = 0;
    size_t len = a ? json_array_size (a) : 0;
    if (a && !json_is_array (a))
        return herror_set (err, "ranks[%zu].%s: not an array", idx, key);
    if (len > RSET_MAX_ID + 1)
        return herror_set (err, "ranks[%zu].%s: more than %d entries", idx, key, RSET_MAX_ID + 1);
    if (!(*out = malloc ((len + 1) * sizeof (int)))) {
        errno = ENOMEM;
        return herror_set (err, "out of memory");
    }
    for (size_t k = 0; k < len; k++) {
        const json_t *v = json_array_get (a, k);
        if (!json_is_integer (v) || json_integer_value (v) < 0 ||
            json_integer_value (v) > RSET_MAX_ID)
            return herror_set (err, "ranks[%zu].%s[%zu]: not an id 0..%d", idx, key, k,
                               RSET_MAX_ID);
        (*out)[(*n)++] = (int)json_integer_value (v);
    }
    return 0;
}

static int kind_from_name (const char *s)
{
    for (int k = TOPO_NIC_ETHERNET; k <= TOPO_NIC_OPENFABRICS; k++) {
        if (strcmp (s, topo_nic_kind_name (k)) == 0)
            return k;
    }
    return -1;
}

static int nic_from_json (const json_t *nic, size_t idx, struct layout_rank *r, struct herror *err)
{
    const char *kind = json_string_value (json_object_get (nic, "kind"));
    const json_t *names = json_object_get (nic, "names");
    if (!json_is_object (nic))
        return herror_set (err, "ranks[%zu].nic: not an object", idx);
    if (!kind || kind_from_name (kind) < 0)
        return herror_set (err, "ranks[%zu].nic.kind: not Ethernet, InfiniBand or OpenFabrics",
                           idx);
    if (!json_is_array (names) || json_array_size (names) == 0 ||
        json_array_size (names) > TOPO_MAX_NAMES)
        return herror_set (err, "ranks[%zu].nic.names: not an array of 1..%d names", idx,
                           TOPO_MAX_NAMES);
    char *v[TOPO_MAX_NAMES];
    int n = 0;
    for (size_t k = 0; k < json_array_size (names); k++) {
        const char *s = json_string_value (json_array_get (names, k));
        if (!s || !*s || strlen (s) >= TOPO_MAX_STRING)
            return herror_set (err, "ranks[%zu].nic.names[%zu]: not a device name", idx, k);
        v[n++] = (char *)s;
    }
    if (set_nic (r, kind_from_name (kind), v, n) < 0) {
        errno = ENOMEM;
        return herror_set (err, "out of memory");
    }
    return 0;
}

/* Node name NAME as stored in L (one copy per node). */
static const char *intern (struct layout *l, const char *name, int max)
{
    for (int i = 0; i < l->nnodes; i++) {
        if (strcmp (l->nodes[i], name) == 0)
            return l->nodes[i];
    }
    if (l->nnodes >= max || !(l->nodes[l->nnodes] = strdup (name)))
        return NULL;
    return l->nodes[l->nnodes++];
}

static int rank_from_json (struct layout *l, const json_t *o, size_t idx, int nmax,
                           struct herror *err)
{
    struct layout_rank *r = &l->ranks[l->nranks++];
    r->nic_kind = -1;
    json_int_t rank = -1, local = -1;
    const char *node = NULL;
    if (!json_is_object (o))
        return herror_set (err, "ranks[%zu]: not an object", idx);
    if (json_unpack ((json_t *)o, "{s:I, s:s, s:I}", "rank", &rank, "node", &node, "local",
                     &local) < 0)
        return herror_set (err, "ranks[%zu]: needs rank, node and local", idx);
    if (rank != (json_int_t)idx)
        return herror_set (err, "ranks[%zu].rank: %lld, expected %zu", idx, (long long)rank, idx);
    if (!*node || strlen (node) >= RSET_NAME_MAX)
        return herror_set (err, "ranks[%zu].node: not a node name", idx);
    if (local < 0 || local > RSET_MAX_MPIPROCS)
        return herror_set (err, "ranks[%zu].local: out of range", idx);
    r->rank = (int)rank;
    r->local = (int)local;
    if (!(r->node = intern (l, node, nmax)))
        goto nomem;
    if (ids_from_json (o, "cores", idx, &r->cores, &r->ncores, err) < 0 ||
        ids_from_json (o, "pus", idx, &r->pus, &r->npus, err) < 0 ||
        ids_from_json (o, "gpus", idx, &r->gpus, &r->ngpus, err) < 0)
        return -1;
    const json_t *nic = json_object_get (o, "nic");
    return nic ? nic_from_json (nic, idx, r, err) : 0;
nomem:
    errno = ENOMEM;
    return herror_set (err, "out of memory");
}

struct layout *layout_from_json (const json_t *o, struct herror *err)
{
    const json_t *ranks = json_object_get (o, "ranks");
    json_int_t version = 0;
    if (!json_is_object (o) || json_unpack ((json_t *)o, "{s:I}", "version", &version) < 0 ||
        version != 1) {
        herror_set (err, "layout: not a version 1 layout (no \"version\": 1)");
        errno = EINVAL;
        return NULL;
    }
    if (!json_is_array (ranks) || json_array_size (ranks) > LAYOUT_MAX_RANKS) {
        herror_set (err, "layout: ranks: not an array of at most %d ranks", LAYOUT_MAX_RANKS);
        errno = EINVAL;
        return NULL;
    }
    int n = (int)json_array_size (ranks);
    struct layout *l = layout_alloc (n, n);
    if (!l) {
        herror_set (err, "out of memory");
        errno = ENOMEM;
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        errno = EINVAL;
        if (rank_from_json (l, json_array_get (ranks, (size_t)i), (size_t)i, n, err) < 0) {
            layout_destroy (l);
            return NULL;
        }
    }
    return l;
}

/* --- Open MPI rankfile ------------------------------------------------------ */

static char *id_list (const int *v, int n)
{
    struct idset *s = idset_create();
    for (int i = 0; s && i < n; i++) {
        if (idset_set (s, (unsigned)v[i]) < 0) {
            idset_destroy (s);
            return NULL;
        }
    }
    char *str = s ? idset_encode (s) : NULL;
    idset_destroy (s);
    return str;
}

int layout_write_rankfile (const struct layout *l, FILE *f)
{
    for (int i = 0; i < l->nranks; i++) {
        const struct layout_rank *r = &l->ranks[i];
        char *slots = r->ncores > 0 ? id_list (r->cores, r->ncores) : id_list (r->pus, r->npus);
        if (!slots) {
            errno = ENOMEM;
            return -1;
        }
        int rc = fprintf (f, "rank %d=%s slot=%s\n", r->rank, r->node, slots);
        free (slots);
        if (rc < 0)
            return -1;
    }
    return fflush (f) == 0 ? 0 : -1;
}
