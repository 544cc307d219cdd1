#include "placement.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pbs_resources.h"
#include "fabric.h"
#include "nodealloc.h"
#include "pgroup.h"

/* ---- views: what the placer may use ---- */

static const struct snap_cap none_offered = {-1, 0, 0};

static struct snap_cap offer_free_now (const struct snode *n, bool excl)
{
    if (!n->usable || (excl ? !snode_idle (n) : n->excl_seq != SNAP_FREE))
        return none_offered;
    return (struct snap_cap){n->free_cores, n->free_gpus, n->mem - n->mem_used};
}

static struct snap_cap offer_idle_all (const struct snode *n, bool excl)
{
    (void)excl;
    return (struct snap_cap){n->ncores, n->ngpus, n->mem};
}

const struct placement_view placement_free_now = {"free now", offer_free_now, snap_next_fit};
const struct placement_view placement_idle_all = {"every node idle", offer_idle_all, NULL};

/* What this job has tentatively taken on a node during step 1. */
struct tent {
    int64_t cores, gpus;
    uint64_t mem;
    bool used;
    int ord; /* order in which the job first used the node */
};

/* One chunk instance placed by step 1. */
struct placed {
    int node;
    int chunk;
    int ord;  /* the node's tent.ord, to group instances by node */
    int leaf; /* the node's leaf: ranks go leaf by leaf */
    int k;    /* placement order, to keep the sort stable */
};

struct need {
    int64_t cores, gpus;
    uint64_t mem;
};

/* A range of dense indexes step 1 may use: the whole cluster, or the
 * leaves the fabric step chose. */
struct seg {
    int first, end;
};

/* A candidate node and its best-fit key (scatter, fill_scatter). */
struct fitkey {
    int key;
    int node;
};

/* Nodes of a leaf with the same free cores (struct placement's bins). */
struct freebin {
    int free, nodes;
};

/* One leaf's worth for the job being placed (fabric step). */
struct leafcap {
    int leaf;
    int64_t cap;
};

struct placement {
    struct sched_snapshot *s;
    int nnodes;
    struct tent *tent;
    int *touched; /* nodes used by the current job, first use first */
    int ntouched;
    struct placed *placed;
    int nplaced, placed_cap;
    int *order; /* chunk indexes, most constrained first */
    int order_cap;

    /* the fabric step's scratch, per leaf */
    int nleaves;
    int64_t *cap; /* what leaf L holds of the job, valid when capstamp[L] == stamp */
    unsigned *capstamp;
    unsigned stamp;
    struct leafcap *lc; /* the leaves of one switch */
    struct seg *seg;    /* the ranges step 1 may use, in dense order */
    int nseg;
    int *pick;
    int *cand;          /* nodes of one leaf, for filling it */
    struct fitkey *fit; /* nodes of the chosen leaves, for scatter's best fit */
    int *bucket;        /* its counting sort, nbucket keys */
    int nbucket;

    /* Per leaf, its usable nodes taking shared jobs counted by free cores:
     * bins[first..first+nbins[L]-1] (first: the leaf's first node; a leaf
     * has at most as many distinct values as nodes), valid while the
     * leaf's stamp (snode.leaf_changed) is below bins_at[L] (0: not yet).
     * Kept between jobs: a CPU-only chunk's units on a leaf follow from
     * them exactly, and only the leaves whose nodes changed since are
     * walked again, instead of every node of every leaf for every
     * multi-node job.  NULL with bins_off: no memory, walk the nodes. */
    struct freebin *bins;
    int *nbins;
    uint64_t *bins_at;
    bool bins_off;
    int hwidth;           /* the most cores of a node, plus one */
    int *hcount;          /* scratch, hwidth entries, all 0 between uses */
    int64_t *units;       /* units[f]: instances a node with f free cores holds */
    unsigned units_stamp; /* attempt (stamp) units[] is for */
    unsigned bins_stamp;  /* attempt (stamp) bins_use is for */
    bool bins_use;        /* bins_usable's answer in that attempt */

    /* placement groups (pgroup.h), per failure domain: the leaf, or the
     * node without a fabric */
    int pg;                     /* the attempt's group slot, -1 none */
    int *dom_state;             /* 0: free of the group; P: its jobs (partition P, 1
                                 * for other strategies) are there; -1 mixed */
    int *dom_jobs;              /* partition groups: member nodes per partition */
    unsigned char *dom_ok;      /* NULL: any domain; else which ones the job may use */
    unsigned char *dom_allowed; /* storage behind dom_ok */
    int *dom_mine;              /* spread: the job has a node in the domain */
    bool one_per_dom;           /* spread: at most one node per domain */
    int partition;              /* the partition chosen, 0 none */
    const char *labels;         /* the node labels asked of the node being tried (the
                                 * job's, or with mixed_labels the current chunk's),
                                 * NULL none */
    bool mixed_labels;          /* its chunks ask for different labels */

    /* the attempt under way */
    const struct placement_view *view;
    const struct resreq *req;
    bool excl;
    const struct idset *skip;
    const int64_t *from; /* the attempt's horizon (placement_set_horizon), NULL none */
    int64_t until;
    const int64_t *hz_from; /* the horizon as set, for placement_place */
    int64_t hz_until;
    int64_t waited;        /* seconds the job has been eligible (switches=N@T) */
    struct need idle_best; /* view_best for placement_idle_all, once known */
    bool idle_best_known;
    char why[160];  /* why a fabric constraint made it wait */
    char note[160]; /* what the fabric step did, for the job */
};

struct placement *placement_create (struct sched_snapshot *s)
{
    struct placement *p = calloc (1, sizeof (*p));
    if (!p)
        return NULL;
    p->s = s;
    p->nnodes = s->n;
    (void)snap_groups_ready (s); /* ENOMEM: one group, placement not fabric-aware */
    p->nleaves = s->nleaves;
    size_t nl = (size_t)s->nleaves + 1;
    p->tent = calloc ((size_t)s->n + 1, sizeof (*p->tent));
    p->touched = malloc (((size_t)s->n + 1) * sizeof (int));
    p->cap = malloc (nl * sizeof (*p->cap));
    p->capstamp = calloc (nl, sizeof (*p->capstamp));
    p->lc = malloc (nl * sizeof (*p->lc));
    p->seg = malloc (nl * sizeof (*p->seg));
    p->pick = malloc (nl * sizeof (*p->pick));
    p->cand = malloc (((size_t)s->n + 1) * sizeof (*p->cand));
    p->dom_state = malloc (((size_t)s->n + 1) * sizeof (*p->dom_state));
    p->dom_jobs = malloc ((SCHED_PG_MAX_PARTITIONS + 1) * sizeof (*p->dom_jobs));
    p->dom_allowed = malloc ((size_t)s->n + 1);
    p->pg = -1;
    if (!p->tent || !p->touched || !p->cap || !p->capstamp || !p->lc || !p->seg || !p->pick ||
        !p->cand || !p->dom_state || !p->dom_jobs || !p->dom_allowed) {
        placement_destroy (p);
        errno = ENOMEM;
        return NULL;
    }
    return p;
}

void placement_destroy (struct placement *p)
{
    if (!p)
        return;
    int saved = errno;
    free (p->tent);
    free (p->touched);
    free (p->cap);
    free (p->capstamp);
    free (p->lc);
    free (p->seg);
    free (p->pick);
    free (p->cand);
    free (p->fit);
    free (p->bucket);
    free (p->bins);
    free (p->nbins);
    free (p->bins_at);
    free (p->hcount);
    free (p->units);
    free (p->dom_state);
    free (p->dom_jobs);
    free (p->dom_allowed);
    free (p->dom_mine);
    free (p->placed);
    free (p->order);
    free (p);
    errno = saved;
}

/* ---- request checks ---- */

/* A sentence saying what is wrong with REQ, or NULL when it is well formed.
 * The parser validates too; this keeps a bad request from a restart or a
 * simulator trace from misleading the pass. */
static const char *request_invalid (const struct resreq *req)
{
    if (!req || req->nchunks < 1 || req->nchunks > RESREQ_MAX_CHUNKS || !req->chunks)
        return "the request has no chunks";
    for (int i = 0; i < req->nchunks; i++) {
        const struct resreq_chunk *c = &req->chunks[i];
        if (c->count < 1 || c->count > RESREQ_MAX_COUNT)
            return "a chunk count is out of range";
        if (c->ncpus < 0 || c->ngpus < 0 || c->mpiprocs < 0 || (c->ncpus == 0 && c->ngpus == 0))
            return "a chunk asks for no cpus and no gpus";
        if (memchr (c->host, '\0', sizeof (c->host)) == NULL)
            return "a host name is too long";
    }
    if (req->arrangement < RESREQ_FREE || req->arrangement > RESREQ_SCATTER ||
        req->sharing < RESREQ_SHARED || req->sharing > RESREQ_EXCLHOST)
        return "unknown place value";
    return NULL;
}

/* Memory sums saturate: an absurd request must fail to fit, not wrap. */
static uint64_t mem_times (uint64_t mem, int64_t times)
{
    if (mem && (uint64_t)times > UINT64_MAX / mem)
        return UINT64_MAX;
    return mem * (uint64_t)times;
}

static struct need chunk_need (const struct resreq_chunk *c, int64_t times)
{
    struct need nd = {c->ncpus * times, c->ngpus * times, mem_times (c->mem, times)};
    return nd;
}

static struct need request_total (const struct resreq *req)
{
    struct need t = {0, 0, 0};
    for (int i = 0; i < req->nchunks; i++) {
        struct need nd = chunk_need (&req->chunks[i], req->chunks[i].count);
        t.cores += nd.cores;
        t.gpus += nd.gpus;
        t.mem = t.mem > UINT64_MAX - nd.mem ? UINT64_MAX : t.mem + nd.mem;
    }
    return t;
}

void placement_request_totals (const struct resreq *req, int64_t *cores, int64_t *gpus)
{
    struct need t = request_total (req);
    *cores = t.cores;
    *gpus = t.gpus;
}

/* ---- step 1: nodes by counts ---- */

/* The failure domain of node I for placement groups: its leaf, or the
 * node itself without a fabric. */
static int dom_of (const struct placement *p, int i)
{
    return p->nleaves > 0 ? p->s->nodes[i]->leaf : i;
}

/* What node I has left for the current job: what the view offers minus
 * what earlier chunks of the job took.  Cores = -1 when the node is out of
 * the question (the view offers nothing, it is skipped, or the job's
 * placement group rules it out). */
static struct need node_left (const struct placement *p, int i)
{
    const struct tent *t = &p->tent[i];
    struct need left = {-1, 0, 0};
    if (idset_test (p->skip, (unsigned)i) || (p->from && p->from[i] < p->until))
        return left;
    /* node labels: one filter for the whole job when every chunk asks for
     * the same ones (the usual case); else the chunk being placed sets it
     * (chunk_labels) */
    if (p->labels && !pbs_labels_match (p->s->nodes[i]->labels, p->labels))
        return left;
    if (p->dom_ok || p->one_per_dom) {
        int d = dom_of (p, i);
        if ((p->dom_ok && !p->dom_ok[d]) ||
            (p->one_per_dom && p->dom_mine && !t->used && p->dom_mine[d]))
            return left;
    }
    struct snap_cap c = p->view->offer (p->s->nodes[i], p->excl);
    if (c.cores < 0)
        return left;
    left = (struct need){c.cores, c.gpus, c.mem};
    left.cores -= t->cores;
    left.gpus -= t->gpus;
    left.mem -= t->mem;
    return left;
}

/* The node filter for chunk C when the job's chunks ask for different
 * labels (node_left); a no-op otherwise. */
static void chunk_labels (struct placement *p, const struct resreq_chunk *c)
{
    if (p->mixed_labels)
        p->labels = c && c->labels[0] ? c->labels : NULL;
}

static bool node_has_room (const struct placement *p, int i, const struct need *nd)
{
    struct need left = node_left (p, i);
    return left.cores >= nd->cores && left.gpus >= nd->gpus && left.mem >= nd->mem;
}

/* How many instances of chunk C fit in LEFT, at most CAP. */
static int64_t instances_in (const struct need *left, const struct resreq_chunk *c, int64_t cap)
{
    if (left->cores < 0)
        return 0;
    int64_t k = cap;
    if (c->ncpus > 0 && left->cores / c->ncpus < k)
        k = left->cores / c->ncpus;
    if (c->ngpus > 0 && left->gpus / c->ngpus < k)
        k = left->gpus / c->ngpus;
    if (c->mem > 0 && (int64_t)(left->mem / c->mem) < k)
        k = (int64_t)(left->mem / c->mem);
    return k;
}

/* How many instances of chunk C node I can still take, at most CAP. */
static int64_t node_instances (const struct placement *p, int i, const struct resreq_chunk *c,
                               int64_t cap)
{
    struct need left = node_left (p, i);
    return instances_in (&left, c, cap);
}

static struct snap_cap need_cap (const struct need *nd)
{
    return (struct snap_cap){nd->cores > INT32_MAX ? INT32_MAX : (int)nd->cores,
                             nd->gpus > INT32_MAX ? INT32_MAX : (int)nd->gpus, nd->mem};
}

/* The first node from FROM worth looking at for ND: the view's group tree
 * skips runs of nodes that cannot hold it; views without one look at
 * every node. */
static int next_node (struct placement *p, int from, const struct need *nd)
{
    struct snap_cap need = need_cap (nd);
    for (int k = 0; k < p->nseg; k++) {
        const struct seg *g = &p->seg[k];
        if (from >= g->end)
            continue;
        if (from < g->first)
            from = g->first;
        int i = p->view->next ? p->view->next (p->s, from, &need) : from;
        if (i < g->end)
            return i;
        from = g->end;
    }
    return p->nnodes;
}

static int record (struct placement *p, int node, int chunk)
{
    if (p->nplaced == p->placed_cap) {
        int cap = p->placed_cap ? 2 * p->placed_cap : 64;
        struct placed *v = realloc (p->placed, (size_t)cap * sizeof (*v));
        if (!v) {
            errno = ENOMEM;
            return -1;
        }
        p->placed = v;
        p->placed_cap = cap;
    }
    struct tent *t = &p->tent[node];
    const struct resreq_chunk *c = &p->req->chunks[chunk];
    if (!t->used) {
        t->used = true;
        t->ord = p->ntouched;
        p->touched[p->ntouched++] = node;
        if (p->one_per_dom && p->dom_mine)
            p->dom_mine[dom_of (p, node)]++;
    }
    t->cores += c->ncpus;
    t->gpus += c->ngpus;
    t->mem += c->mem;
    p->placed[p->nplaced] =
        (struct placed){node, chunk, t->ord, p->s->nodes[node]->leaf, p->nplaced};
    p->nplaced++;
    return 0;
}

static void reset_attempt (struct placement *p)
{
    for (int i = 0; i < p->ntouched; i++) {
        memset (&p->tent[p->touched[i]], 0, sizeof (struct tent));
        if (p->one_per_dom && p->dom_mine)
            p->dom_mine[dom_of (p, p->touched[i])] = 0;
    }
    p->ntouched = 0;
    p->nplaced = 0;
}

/* The only node chunk C may use (host=), -1 for any, -2 for an unknown host. */
static int chunk_host (const struct placement *p, const struct resreq_chunk *c)
{
    if (c->host[0] == '\0')
        return -1;
    int i = snap_find (p->s, c->host);
    return i < 0 ? -2 : i;
}

static int fail_nospace (void)
{
    errno = ENOSPC;
    return -1;
}

/* Whether node I holds the whole request: room for the total and, when
 * the chunks ask for different labels, every chunk's labels. */
static bool pack_fits (struct placement *p, int i, const struct need *total)
{
    for (int k = 0; p->mixed_labels && k < p->req->nchunks; k++) {
        const char *want = p->req->chunks[k].labels;
        if (want[0] && !pbs_labels_match (p->s->nodes[i]->labels, want))
            return false;
    }
    return node_has_room (p, i, total);
}

/* place=pack: the first node that holds the whole request. */
static int choose_pack (struct placement *p)
{
    const struct resreq *req = p->req;
    struct need total = request_total (req);
    int host = -1;
    for (int i = 0; i < req->nchunks; i++) {
        int h = chunk_host (p, &req->chunks[i]);
        if (h == -2 || (h >= 0 && host >= 0 && h != host))
            return fail_nospace();
        if (h >= 0)
            host = h;
    }
    int node = -1;
    if (host >= 0)
        node = pack_fits (p, host, &total) ? host : -1;
    for (int i = next_node (p, 0, &total); host < 0 && i < p->nnodes && node < 0;
         i = next_node (p, i + 1, &total)) {
        if (pack_fits (p, i, &total))
            node = i;
    }
    if (node < 0)
        return fail_nospace();
    for (int i = 0; i < req->nchunks; i++) {
        for (int k = 0; k < req->chunks[i].count; k++) {
            if (record (p, node, i) < 0)
                return -1;
        }
    }
    return 0;
}

/* The most any one node offers under the view, componentwise (so at
 * least what each node offers): for free-now the group tree's root, for
 * every-node-idle the biggest node, counted once per placement (nodes are
 * not added while it lives).  False for a view it does not know. */
static bool view_best (struct placement *p, struct need *most)
{
    if (p->view == &placement_free_now) {
        struct snap_totals tot = snap_range_totals (p->s, 0, p->nnodes);
        *most = (struct need){tot.best.cores, tot.best.gpus, tot.best.mem};
        return true;
    }
    if (p->view != &placement_idle_all)
        return false;
    if (!p->idle_best_known) {
        p->idle_best = (struct need){-1, 0, 0};
        for (int i = 0; i < p->nnodes; i++) {
            const struct snode *n = p->s->nodes[i];
            if (n->ncores > p->idle_best.cores)
                p->idle_best.cores = n->ncores;
            if (n->ngpus > p->idle_best.gpus)
                p->idle_best.gpus = n->ngpus;
            if (n->mem > p->idle_best.mem)
                p->idle_best.mem = n->mem;
        }
        p->idle_best_known = true;
    }
    *most = p->idle_best;
    return true;
}

/* A node the job does not use yet for chunk C.  Scatter: the first that
 * fits.  Free: the first that holds all REMAINING instances, else the one
 * holding most, so the job spans few nodes.  *NC skips the leading nodes
 * that hold none: later instances of the same chunk cannot use them either
 * (what is left only shrinks while a job is placed). */
static int find_new_node (struct placement *p, const struct resreq_chunk *c, int64_t remaining,
                          int *nc)
{
    int64_t want = p->req->arrangement == RESREQ_SCATTER ? 1 : remaining;
    struct need one = chunk_need (c, 1);
    int best = -1;
    int64_t best_k = 0;
    bool leading = true;
    /* Free: no node holds more instances than the view's best node
     * (view_best), so once one holds that many no later node can beat it
     * and the rest of the scan would only confirm the choice.  Without
     * this a job of many small chunks on nodes that each hold few of them
     * (huddle-sim's one-core nodes) scans every free node for every
     * instance. */
    struct need most;
    if (want > 1 && view_best (p, &most))
        want = instances_in (&most, c, want);
    for (int i = next_node (p, *nc, &one); i < p->nnodes && best_k < want;
         i = next_node (p, i + 1, &one)) {
        if (leading)
            *nc = i; /* the nodes skipped hold none */
        int64_t k = p->tent[i].used ? 0 : node_instances (p, i, c, want);
        if (k == 0 && leading)
            *nc = i + 1;
        leading = leading && k == 0;
        if (k > best_k) {
            best = i;
            best_k = k;
        }
    }
    return best;
}

/* A node for one more instance of chunk C, or -1.  Free tries the nodes
 * the job already uses first; *TC skips those that had no room for an
 * earlier instance of the same chunk. */
static int find_node (struct placement *p, const struct resreq_chunk *c, int64_t remaining, int *tc,
                      int *nc)
{
    struct need nd = chunk_need (c, 1);
    bool scatter = p->req->arrangement == RESREQ_SCATTER;
    int host = chunk_host (p, c);
    if (host != -1) {
        bool ok = host >= 0 && !(scatter && p->tent[host].used) && node_has_room (p, host, &nd);
        return ok ? host : -1;
    }
    for (; !scatter && *tc < p->ntouched; (*tc)++) {
        if (node_has_room (p, p->touched[*tc], &nd))
            return p->touched[*tc];
    }
    return find_new_node (p, c, remaining, nc);
}

/* place=free and place=scatter, chunk by chunk. */
static int choose_spread (struct placement *p)
{
    for (int o = 0; o < p->req->nchunks; o++) {
        int i = p->order[o], tc = 0, nc = 0;
        const struct resreq_chunk *c = &p->req->chunks[i];
        chunk_labels (p, c);
        for (int k = 0; k < c->count; k++) {
            int node = find_node (p, c, c->count - k, &tc, &nc);
            if (node < 0 || record (p, node, i) < 0) {
                chunk_labels (p, NULL);
                return node < 0 ? fail_nospace() : -1;
            }
        }
    }
    chunk_labels (p, NULL);
    return 0;
}

/* Cheap refusal before looking at nodes, from group G's totals (group 0:
 * the whole cluster): more than the group's nodes offer in all, or a
 * chunk (with place=pack, the whole request) bigger than the best node
 * there offers.  On a full cluster most of a big queue stops here. */
static bool group_too_busy (struct placement *p, int g, const struct resreq *req)
{
    struct snap_totals tot = snap_group_totals (p->s, g);
    struct need t = request_total (req);
    if (t.cores > tot.cores || t.gpus > tot.gpus)
        return true;
    struct snap_cap need = need_cap (&t);
    if (req->arrangement == RESREQ_PACK)
        return need.cores > tot.best.cores || need.gpus > tot.best.gpus || need.mem > tot.best.mem;
    for (int i = 0; i < req->nchunks; i++) {
        struct need one = chunk_need (&req->chunks[i], 1);
        need = need_cap (&one);
        if (need.cores > tot.best.cores || need.gpus > tot.best.gpus || need.mem > tot.best.mem)
            return true;
    }
    return false;
}

/* ---- the fabric step: which leaves ---- */

/* Does the fabric step place REQ?  Jobs that may span nodes, on a fabric
 * with more than one leaf.  place=pack and a single chunk instance go on
 * one node anyway and keep the plain first fit in fabric order; host=
 * pins nodes itself. */
static bool fabric_applies (const struct placement *p)
{
    const struct resreq *req = p->req;
    if (p->nleaves < 2 || req->arrangement == RESREQ_PACK || p->one_per_dom)
        return false;
    int64_t instances = 0;
    for (int i = 0; i < req->nchunks; i++) {
        if (req->chunks[i].host[0] != '\0')
            return false;
        instances += req->chunks[i].count;
    }
    return instances > 1;
}

/* The unit the fabric step counts in.  One chunk shape: instances of it
 * (at most one per node with scatter), exact, so the leaves chosen always
 * hold the job.  Mixed shapes: GPUs when the job asks for any, else cores,
 * an estimate; step 1 then checks, and widens when it was wrong. */
static int64_t units_wanted (const struct placement *p)
{
    const struct resreq *req = p->req;
    if (req->nchunks == 1)
        return req->chunks[0].count;
    struct need t = request_total (req);
    return t.gpus > 0 ? t.gpus : t.cores;
}

static int64_t node_units (const struct placement *p, int i)
{
    const struct resreq *req = p->req;
    if (req->nchunks == 1) {
        const struct resreq_chunk *c = &req->chunks[0];
        return node_instances (p, i, c, req->arrangement == RESREQ_SCATTER ? 1 : c->count);
    }
    struct need left = node_left (p, i);
    if (left.cores < 0)
        return 0;
    return request_total (req).gpus > 0 ? left.gpus : left.cores;
}

/* Make the per-leaf counts (struct placement's bins): -1 when they are
 * off (no memory). */
static int bins_ready (struct placement *p)
{
    if (p->s->groups_stale) /* its leaves are not stamped (snap_node_changed) */
        return -1;
    if (p->bins)
        return 0;
    if (p->bins_off)
        return -1;
    int maxc = 0;
    for (int i = 0; i < p->nnodes; i++)
        maxc = p->s->nodes[i]->ncores > maxc ? p->s->nodes[i]->ncores : maxc;
    p->hwidth = maxc + 1;
    p->bins = malloc (((size_t)p->nnodes + 1) * sizeof (*p->bins));
    p->nbins = malloc (((size_t)p->nleaves + 1) * sizeof (*p->nbins));
    p->bins_at = calloc ((size_t)p->nleaves + 1, sizeof (*p->bins_at));
    p->hcount = calloc ((size_t)p->hwidth, sizeof (*p->hcount));
    p->units = malloc ((size_t)p->hwidth * sizeof (*p->units));
    p->units_stamp = 0;
    if (!p->bins || !p->nbins || !p->bins_at || !p->hcount || !p->units) {
        free (p->bins);
        free (p->nbins);
        free (p->bins_at);
        free (p->hcount);
        free (p->units);
        p->bins = NULL;
        p->nbins = NULL;
        p->bins_at = NULL;
        p->hcount = NULL;
        p->units = NULL;
        p->bins_off = true;
        return -1;
    }
    return 0;
}

/* Do the per-leaf counts give the job's units (bins_cap)?  One CPU-only
 * chunk, no labels, shared nodes, nothing tentative yet, free now. */
static bool bins_apply (const struct placement *p)
{
    const struct resreq_chunk *c = &p->req->chunks[0];
    return p->view == &placement_free_now && !p->skip && p->req->nchunks == 1 && p->ntouched == 0 &&
           !c->labels[0] && !p->excl && c->ngpus == 0 && c->mem == 0;
}

/* bins_apply and bins_ready together, the part that cannot change during
 * an attempt asked once per attempt (p->stamp): the fabric step asks for
 * every group and every leaf. */
static bool bins_usable (struct placement *p)
{
    if (p->ntouched != 0)
        return false;
    if (p->bins_stamp != p->stamp) {
        p->bins_use = bins_apply (p) && bins_ready (p) == 0;
        p->bins_stamp = p->stamp;
    }
    return p->bins_use;
}

/* Leaf L's units for the job (bins_usable), from its counts: exactly what
 * a walk of its nodes (node_units) adds up (a node with f free cores
 * holds min(want, f / ncpus) instances; under a horizon, none on a node
 * reserved before the job's end).  The counts are made again only when
 * a node of the leaf changed since (claims, releases, usability, labels
 * all stamp it); fabric reloads and new nodes make a new placement. */
static int64_t bins_cap (struct placement *p, int l)
{
    const struct resreq_chunk *c = &p->req->chunks[0];
    const struct snap_group *g = &p->s->groups[1 + l];
    struct freebin *b = &p->bins[g->first];
    if (p->bins_at[l] == 0 || p->s->nodes[g->first]->leaf_changed >= p->bins_at[l]) {
        int nb = 0;
        for (int i = g->first; i < g->first + g->count; i++) {
            const struct snode *n = p->s->nodes[i];
            if (n->usable && n->excl_seq == SNAP_FREE)
                p->hcount[n->free_cores]++;
        }
        for (int i = g->first; i < g->first + g->count; i++) {
            int f = p->s->nodes[i]->free_cores;
            if (p->hcount[f] > 0) { /* first node with this value: its bin */
                b[nb++] = (struct freebin){f, p->hcount[f]};
                p->hcount[f] = 0;
            }
        }
        p->nbins[l] = nb;
        /* valid until a node of it changes (0: not yet) */
        p->bins_at[l] = p->s->changes + 1;
    }
    if (p->units_stamp != p->stamp) {
        int64_t want = p->req->arrangement == RESREQ_SCATTER ? 1 : c->count;
        for (int f = 0; f < p->hwidth; f++) {
            int64_t k = f / c->ncpus; /* ncpus > 0: a chunk without GPUs has cores */
            p->units[f] = k < want ? k : want;
        }
        p->units_stamp = p->stamp;
    }
    int64_t sum = 0;
    for (int k = 0; k < p->nbins[l]; k++)
        sum += b[k].nodes * p->units[b[k].free];
    /* a horizon (backfill) takes the nodes reserved before the job would
     * end back out: a look at the leaf's entries of it, not at its nodes */
    for (int i = g->first; p->from && i < g->first + g->count; i++) {
        const struct snode *n = p->s->nodes[i];
        if (p->from[i] < p->until && n->usable && n->excl_seq == SNAP_FREE)
            sum -= p->units[n->free_cores];
    }
    return sum;
}

/* What leaf L holds of the job, computed once per attempt: a visit of the
 * leaf's nodes (a straight walk: at ordinary occupancy most nodes have
 * something free, and a walk is cheaper than a tree search per node),
 * unless the group tree already says no node of it holds one unit. */
static int64_t leaf_cap (struct placement *p, int l)
{
    if (p->capstamp[l] == p->stamp)
        return p->cap[l];
    const struct snap_group *g = &p->s->groups[1 + l];
    int64_t cap = 0;
    if (p->dom_ok && !p->dom_ok[l])
        goto done;
    if (bins_usable (p)) {
        cap = bins_cap (p, l);
        goto done; /* exact: no need for the group tree's shortcut below */
    }
    if (p->view == &placement_free_now) {
        const struct resreq *req = p->req;
        struct need one = {1, 0, 0};
        if (req->nchunks == 1)
            one = chunk_need (&req->chunks[0], 1);
        else if (request_total (req).gpus > 0)
            one = (struct need){0, 1, 0};
        struct snap_cap need = need_cap (&one);
        struct snap_totals t = snap_range_totals (p->s, g->first, g->count);
        if (t.best.cores < need.cores || t.best.gpus < need.gpus || t.best.mem < need.mem)
            goto done;
    }
    if (p->view == &placement_free_now && !p->skip && !p->from && p->req->nchunks == 1 &&
        p->ntouched == 0 && !p->req->chunks[0].labels[0]) {
        /* the common case, straight from the nodes: nothing tentative yet */
        const struct resreq_chunk *c = &p->req->chunks[0];
        int64_t want = p->req->arrangement == RESREQ_SCATTER ? 1 : c->count;
        for (int i = g->first; i < g->first + g->count; i++) {
            const struct snode *n = p->s->nodes[i];
            if (!n->usable || (p->excl ? !snode_idle (n) : n->excl_seq != SNAP_FREE))
                continue;
            int64_t k = want;
            if (c->ncpus > 0 && n->free_cores / c->ncpus < k)
                k = n->free_cores / c->ncpus;
            if (c->ngpus > 0 && n->free_gpus / c->ngpus < k)
                k = n->free_gpus / c->ngpus;
            if (c->mem > 0 && (int64_t)((n->mem - n->mem_used) / c->mem) < k)
                k = (int64_t)((n->mem - n->mem_used) / c->mem);
            cap += k;
        }
        goto done;
    }
    for (int i = g->first; i < g->first + g->count; i++)
        cap += node_units (p, i);
done:
    p->cap[l] = cap;
    p->capstamp[l] = p->stamp;
    return cap;
}

static int cmp_leafcap (const void *a, const void *b)
{
    const struct leafcap *x = a, *y = b;
    if (x->cap != y->cap)
        return x->cap > y->cap ? -1 : 1;
    return x->leaf - y->leaf;
}

static int cmp_int (const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* The best candidate so far: fewest leaves, then least left over. */
struct fabric_best {
    bool found;
    int group;
    int nleaves;
    int64_t waste;
};

/* Choose M of the leaves LC[0..L-1] (sorted, most first) holding at least
 * WANT in all, leaving as little over as possible: pick by pick, the
 * smallest leaf with which the remaining picks can still complete (the
 * biggest remaining ones would).  Writes the leaves into PICK, returns the
 * amount left over.  Fewest leaves is exact; the fill is greedy. */
static int64_t pick_best_fit (struct leafcap *lc, int L, int m, int64_t want, int *pick)
{
    int64_t left = want, taken = 0;
    for (int j = 0; j < m; j++) {
        int r = m - j - 1;
        int64_t top_r = 0, top_r1 = 0; /* sums of the biggest r and r+1 */
        for (int k = 0; k < L && k <= r; k++) {
            if (k < r)
                top_r += lc[k].cap;
            top_r1 += lc[k].cap;
        }
        int q = L - 1;
        for (; q > 0; q--) {
            bool ok = q < r ? top_r1 >= left : lc[q].cap + top_r >= left;
            if (ok)
                break;
        }
        while (q > 0 && lc[q - 1].cap == lc[q].cap)
            q--; /* equal leaves: the first in node order */
        pick[j] = lc[q].leaf;
        left -= lc[q].cap;
        taken += lc[q].cap;
        memmove (&lc[q], &lc[q + 1], (size_t)(L - q - 1) * sizeof (*lc));
        L--;
    }
    return taken - want;
}

/* Group G as a candidate: the fewest of its leaves that hold WANT (at most
 * MAXL; 0 no limit), and which.  Better than *BEST: take it, and its
 * leaves as the segments step 1 may use. */
static void consider_group (struct placement *p, int gi, int64_t want, int maxl,
                            struct fabric_best *best)
{
    struct sched_snapshot *s = p->s;
    const struct snap_group *g = &s->groups[gi];
    /* A leaf's counts (bins_cap) are exact and cheaper than the group
     * tree's totals, which only refuse what they would refuse too. */
    bool counted = g->level == 0 && bins_usable (p);
    if (g->count < 1 ||
        (p->view == &placement_free_now && !counted && group_too_busy (p, gi, p->req)))
        return;
    int lf = s->nodes[g->first]->leaf, ll = s->nodes[g->first + g->count - 1]->leaf;
    int L = 0;
    int64_t sum = 0;
    for (int l = lf; l <= ll; l++) {
        int64_t c = leaf_cap (p, l);
        if (c > 0) {
            p->lc[L++] = (struct leafcap){l, c};
            sum += c;
        }
    }
    if (sum < want)
        return;
    if (L > 1) /* a leaf switch's group: one leaf */
        qsort (p->lc, (size_t)L, sizeof (*p->lc), cmp_leafcap);
    int m = 0;
    for (int64_t acc = 0; acc < want; m++)
        acc += p->lc[m].cap;
    if (maxl > 0 && m > maxl)
        return;
    if (best->found && (m > best->nleaves || (m == best->nleaves && best->waste == 0)))
        return;
    int64_t waste = pick_best_fit (p->lc, L, m, want, p->pick);
    if (best->found && m == best->nleaves && waste >= best->waste)
        return;
    *best = (struct fabric_best){true, gi, m, waste};
    qsort (p->pick, (size_t)m, sizeof (int), cmp_int);
    p->nseg = 0;
    for (int k = 0; k < m; k++) {
        const struct snap_group *leaf = &s->groups[1 + p->pick[k]];
        if (p->nseg > 0 && p->seg[p->nseg - 1].end == leaf->first)
            p->seg[p->nseg - 1].end = leaf->first + leaf->count;
        else
            p->seg[p->nseg++] = (struct seg){leaf->first, leaf->first + leaf->count};
    }
}

/* Level by level from the leaves up (groups are sorted so, the cluster
 * last): the lowest level with a group that holds the job, and there the
 * group needing the fewest leaves, then the least left over, then the
 * first in node order.  Optimal in level and leaf count for one chunk
 * shape: a group holds the job exactly when its leaves' units add up. */
static bool fabric_search (struct placement *p, int64_t want, int maxl, bool leaf_only,
                           struct fabric_best *best)
{
    struct sched_snapshot *s = p->s;
    *best = (struct fabric_best){false, -1, 0, 0};
    int level = -1;
    for (int k = 1; k <= s->ngroups; k++) {
        int gi = k < s->ngroups ? k : 0;
        if (s->groups[gi].level != level) {
            if (best->found || (leaf_only && level == 0))
                break;
            level = s->groups[gi].level;
        }
        consider_group (p, gi, want, maxl, best);
    }
    return best->found;
}

static int choose_spread (struct placement *p);

static int record_units (struct placement *p, int node, int64_t k)
{
    for (int64_t j = 0; j < k; j++) {
        if (record (p, node, 0) < 0)
            return -1;
    }
    return 0;
}

/* Scatter on the chosen leaves: one instance per node, so the node count
 * is fixed and the only choice is which nodes.  Best fit: the nodes with
 * the least left free first (free GPUs for a job that asks for GPUs, else
 * free cores; ties by node order), over all the chosen leaves together,
 * so whole nodes stay whole for the jobs that need them (what Slurm's
 * topology/tree does within its leaves).  The chosen leaves are the fewest
 * that hold the job, so the nodes taken still span exactly that many.  A
 * counting sort on the key: O(nodes of the chosen leaves + largest key),
 * this runs for every multi-node scatter job. */
static int fill_scatter (struct placement *p)
{
    const struct resreq_chunk *c = &p->req->chunks[0];
    int64_t want = c->count;
    int nc = 0, maxkey = 0;
    if (!p->fit && !(p->fit = malloc (((size_t)p->nnodes + 1) * sizeof (*p->fit)))) {
        errno = ENOMEM;
        return -1;
    }
    for (int k = 0; k < p->nseg; k++)
        for (int i = p->seg[k].first; i < p->seg[k].end; i++) {
            if (node_units (p, i) <= 0)
                continue;
            struct need left = node_left (p, i);
            int key = (int)(c->ngpus > 0 ? left.gpus : left.cores);
            p->fit[nc++] = (struct fitkey){key, i};
            maxkey = key > maxkey ? key : maxkey;
        }
    if (nc < want)
        return fail_nospace();
    if (maxkey + 1 > p->nbucket) {
        int *v = realloc (p->bucket, (size_t)(maxkey + 1) * sizeof (*v));
        if (!v) {
            errno = ENOMEM;
            return -1;
        }
        p->bucket = v;
        p->nbucket = maxkey + 1;
    }
    memset (p->bucket, 0, (size_t)(maxkey + 1) * sizeof (*p->bucket));
    for (int j = 0; j < nc; j++)
        p->bucket[p->fit[j].key]++;
    for (int k = 0, at = 0; k <= maxkey; k++) { /* bucket[k]: where key k starts */
        int n = p->bucket[k];
        p->bucket[k] = at;
        at += n;
    }
    for (int j = 0; j < nc; j++) /* stable: node order within a key */
        p->cand[p->bucket[p->fit[j].key]++] = p->fit[j].node;
    for (int64_t j = 0; j < want; j++)
        if (record (p, p->cand[j], 0) < 0)
            return -1;
    return 0;
}

/* One chunk shape on the chosen leaves: the leaves' units are exact, so
 * fill them directly, O(their nodes), instead of the chunk-by-chunk
 * search.  Scatter: fill_scatter.  Otherwise every chosen leaf but the
 * last (dense order) is taken whole (fewest leaves means all are needed);
 * the last gives what is still missing from its biggest nodes, the final
 * one the smallest that completes, so the job opens few nodes and big
 * free blocks stay. */
static int fill_leaves (struct placement *p)
{
    if (p->req->arrangement == RESREQ_SCATTER)
        return fill_scatter (p);
    struct sched_snapshot *s = p->s;
    const struct resreq_chunk *c = &p->req->chunks[0];
    int64_t remaining = c->count;
    for (int k = 0; k < p->nseg && remaining > 0; k++) {
        for (int i = p->seg[k].first; i < p->seg[k].end && remaining > 0;) {
            int l = s->nodes[i]->leaf;
            const struct snap_group *g = &s->groups[1 + l];
            int end = g->first + g->count;
            bool whole = leaf_cap (p, l) <= remaining;
            int nc = 0;
            for (; i < end && remaining > 0; i++) {
                int64_t u = node_units (p, i);
                if (u <= 0)
                    continue;
                if (whole) {
                    if (u > remaining)
                        u = remaining;
                    if (record_units (p, i, u) < 0)
                        return -1;
                    remaining -= u;
                } else {
                    p->cand[nc++] = i;
                }
            }
            while (remaining > 0 && nc > 0) {
                /* the smallest node that completes, else the biggest */
                int best = -1;
                int64_t bu = 0;
                for (int j = 0; j < nc; j++) {
                    int64_t u = node_units (p, p->cand[j]);
                    bool fits = u >= remaining, bfits = bu >= remaining;
                    if (u > 0 &&
                        (best < 0 || (fits && (!bfits || u < bu)) || (!fits && !bfits && u > bu))) {
                        best = j;
                        bu = u;
                    }
                }
                if (best < 0)
                    break;
                int64_t u = bu < remaining ? bu : remaining;
                if (record_units (p, p->cand[best], u) < 0)
                    return -1;
                remaining -= u;
                /* keep the candidates in node order: ties go to the first */
                memmove (&p->cand[best], &p->cand[best + 1],
                         (size_t)(nc - best - 1) * sizeof (*p->cand));
                nc--;
            }
            i = end;
        }
    }
    return remaining > 0 ? fail_nospace() : 0;
}

/* Step 1 with the fabric: choose the leaves, then let the chunk-by-chunk
 * placer fill them (in dense order, so leaf by leaf). */
static int choose_fabric (struct placement *p)
{
    const struct resreq *req = p->req;
    int64_t want = units_wanted (p);
    p->stamp++;
    if (p->stamp == 0) { /* wrapped: no stale cap may look current */
        memset (p->capstamp, 0, (size_t)(p->nleaves + 1) * sizeof (*p->capstamp));
        p->units_stamp = 0;
        p->bins_stamp = 0;
        p->stamp = 1;
    }
    struct fabric_best best;
    int maxl = req->max_switches > 0 ? req->max_switches : 0;
    bool expired = maxl > 0 && req->switches_wait >= 0 && p->waited >= req->switches_wait;
    if (req->group_switch) {
        if (!fabric_search (p, want, 1, true, &best)) {
            snprintf (p->why, sizeof (p->why), "group=switch: no leaf switch has room for the job");
            return fail_nospace();
        }
    } else if (!fabric_search (p, want, expired ? 0 : maxl, false, &best)) {
        if (maxl == 0 || !fabric_search (p, want, 0, false, &best))
            return fail_nospace();
        snprintf (p->why, sizeof (p->why), "switches=%d: the job would need %d leaf switches now",
                  maxl, best.nleaves);
        return fail_nospace();
    }
    if (maxl > 0)
        snprintf (p->note, sizeof (p->note), "switches=%d %s: %d leaf switches", maxl,
                  best.nleaves <= maxl ? "met" : "not met within the wait", best.nleaves);
    if (req->nchunks == 1 ? fill_leaves (p) == 0 : choose_spread (p) == 0)
        return 0;
    if (errno != ENOSPC || req->group_switch || maxl > 0 || req->nchunks == 1)
        return -1;
    /* mixed shapes: the estimate was wrong; the whole cluster instead */
    reset_attempt (p);
    p->seg[0] = (struct seg){0, p->nnodes};
    p->nseg = 1;
    p->note[0] = '\0';
    return choose_spread (p);
}

/* Is chunk A more constrained than chunk B (so placed first)? */
static bool more_constrained (const struct resreq_chunk *a, const struct resreq_chunk *b)
{
    if ((a->host[0] != '\0') != (b->host[0] != '\0'))
        return a->host[0] != '\0';
    if (a->ngpus != b->ngpus)
        return a->ngpus > b->ngpus;
    if (a->ncpus != b->ncpus)
        return a->ncpus > b->ncpus;
    return a->mem > b->mem;
}

static int sort_chunks (struct placement *p)
{
    const struct resreq *req = p->req;
    if (req->nchunks > p->order_cap) {
        int *v = realloc (p->order, (size_t)req->nchunks * sizeof (int));
        if (!v) {
            errno = ENOMEM;
            return -1;
        }
        p->order = v;
        p->order_cap = req->nchunks;
    }
    for (int i = 0; i < req->nchunks; i++) { /* insertion sort: a few chunks */
        int j = i;
        for (; j > 0 && more_constrained (&req->chunks[i], &req->chunks[p->order[j - 1]]); j--)
            p->order[j] = p->order[j - 1];
        p->order[j] = i;
    }
    return 0;
}

/* Step 1 for the request in P under P's mode.  Leaves the choice in
 * p->placed (the caller resets). */
static int choose_nodes (struct placement *p)
{
    if (sort_chunks (p) < 0)
        return -1;
    if (p->req->arrangement == RESREQ_PACK)
        return choose_pack (p);
    if (fabric_applies (p))
        return choose_fabric (p);
    return choose_spread (p);
}

/* ---- placement groups (pgroup.h) ---- */

/* Where the group's running jobs are, per domain (dom_state), and how many
 * of its nodes each partition has (dom_jobs): one visit of the nodes. */
static void group_domains (struct placement *p, int parts)
{
    int ndom = p->nleaves > 0 ? p->nleaves : p->nnodes;
    memset (p->dom_state, 0, (size_t)ndom * sizeof (*p->dom_state));
    memset (p->dom_jobs, 0, (size_t)(parts + 1) * sizeof (*p->dom_jobs));
    for (int i = 0; i < p->nnodes; i++) {
        const struct snode *n = p->s->nodes[i];
        for (int k = 0; k < n->npg; k++) {
            if (n->pg[k].group != p->pg)
                continue;
            int v = n->pg[k].partition > 0 ? n->pg[k].partition : 1;
            int *d = &p->dom_state[dom_of (p, i)];
            *d = *d == 0 || *d == v ? v : -1;
            if (n->pg[k].partition > 0 && n->pg[k].partition <= parts)
                p->dom_jobs[n->pg[k].partition]++;
        }
    }
}

/* Let the job use the domains whose state is 0 or WANT (0: only free ones). */
static void allow_domains (struct placement *p, int want)
{
    int ndom = p->nleaves > 0 ? p->nleaves : p->nnodes;
    for (int d = 0; d < ndom; d++)
        p->dom_allowed[d] = p->dom_state[d] == 0 || (want > 0 && p->dom_state[d] == want);
    p->dom_ok = p->dom_allowed;
}

/* One more try after a failed one: nothing of it may remain. */
static void retry (struct placement *p)
{
    reset_attempt (p);
    p->why[0] = '\0';
    p->note[0] = '\0';
}

/* A failed grouped attempt: would the job have fitted without the group's
 * running jobs in the way?  Then the group is why it waits. */
static bool group_in_the_way (struct placement *p)
{
    retry (p);
    p->dom_ok = NULL;
    int rc = choose_nodes (p);
    retry (p);
    return rc == 0;
}

static int choose_spread_group (struct placement *p, const struct snap_pgroup *g, bool live)
{
    if (live)
        allow_domains (p, 0);
    if (choose_nodes (p) == 0)
        return 0;
    if (errno != ENOSPC)
        return -1;
    const char *unit = p->nleaves > 0 ? "leaf switch" : "node";
    if (p->view != &placement_free_now)
        snprintf (p->why, sizeof (p->why),
                  "spread: the job needs more nodes than there are %ses (placement group %s: "
                  "one node per %s)",
                  unit, g->name, unit);
    else if (live && group_in_the_way (p))
        snprintf (p->why, sizeof (p->why),
                  "spread: every %s with room already holds a node of placement group %s", unit,
                  g->name);
    return fail_nospace();
}

static int choose_partition_group (struct placement *p, const struct snap_pgroup *g, bool live)
{
    bool tried[SCHED_PG_MAX_PARTITIONS + 1] = {false};
    int K = live ? g->partitions : 1; /* on idle nodes any one partition is all of them */
    for (int t = 0; t < K; t++) {
        int best = 0; /* the untried partition with the fewest nodes, the lowest first */
        for (int q = 1; q <= g->partitions; q++) {
            if (!tried[q] && (best == 0 || (live && p->dom_jobs[q] < p->dom_jobs[best])))
                best = q;
        }
        tried[best] = true;
        if (live)
            allow_domains (p, best);
        if (choose_nodes (p) == 0) {
            p->partition = best;
            snprintf (p->note, sizeof (p->note), "partition %d of placement group %s", best,
                      g->name);
            return 0;
        }
        if (errno != ENOSPC)
            return -1;
        retry (p);
    }
    if (live && group_in_the_way (p))
        snprintf (p->why, sizeof (p->why),
                  "partition: no partition of placement group %s has room for the job on its own "
                  "leaf switches (%d partitions)",
                  g->name, g->partitions);
    return fail_nospace();
}

/* Cluster: under a group of switches holding some of the group's running
 * jobs, level by level from the leaves up (s->groups is in that order,
 * the whole cluster last, which always holds them). */
static int choose_cluster_group (struct placement *p, const struct snap_pgroup *g, bool live)
{
    struct sched_snapshot *s = p->s;
    if (!live || p->nleaves == 0)
        return choose_nodes (p);
    for (int k = 1; k <= s->ngroups; k++) {
        int gi = k < s->ngroups ? k : 0;
        const struct snap_group *sg = &s->groups[gi];
        if (sg->count < 1)
            continue;
        int lf = s->nodes[sg->first]->leaf, ll = s->nodes[sg->first + sg->count - 1]->leaf;
        bool home = false;
        for (int l = lf; l <= ll && !home; l++)
            home = p->dom_state[l] != 0;
        if (!home)
            continue;
        if (gi == 0) {
            p->dom_ok = NULL;
        } else {
            memset (p->dom_allowed, 0, (size_t)p->nleaves);
            memset (p->dom_allowed + lf, 1, (size_t)(ll - lf + 1));
            p->dom_ok = p->dom_allowed;
        }
        if (choose_nodes (p) == 0) {
            if (gi != 0)
                snprintf (p->note, sizeof (p->note),
                          "cluster: under the %s holding placement group %s's jobs",
                          sg->level == 0 ? "leaf switch" : "lowest switch", g->name);
            return 0;
        }
        if (errno != ENOSPC || gi == 0)
            return -1;
        retry (p);
    }
    return fail_nospace(); /* not reached: the cluster holds the home */
}

/* Step 1 under the job's placement group, if it names one the snapshot
 * knows.  The group's running jobs count only for "free now": the other
 * views ask about nodes as if idle. */
static int choose_grouped (struct placement *p)
{
    if (p->pg < 0)
        return choose_nodes (p);
    const struct snap_pgroup *g = &p->s->pgroups[p->pg];
    bool live = p->view == &placement_free_now && g->members > 0;
    /* spread's "a node of the job under this domain already": made when
     * first needed, so that jobs of no group pay nothing for it */
    if (p->one_per_dom && !p->dom_mine &&
        !(p->dom_mine = calloc ((size_t)p->nnodes + 1, sizeof (*p->dom_mine)))) {
        errno = ENOMEM;
        return -1;
    }
    if (live)
        group_domains (p, g->partitions);
    switch (g->strategy) {
    case SCHED_PG_SPREAD:
        return choose_spread_group (p, g, live);
    case SCHED_PG_PARTITION:
        return choose_partition_group (p, g, live);
    default:
        return choose_cluster_group (p, g, live);
    }
}

/* ---- step 2: cores and GPUs on the chosen nodes ---- */

/* Node by node in the order the job first used them, leaf by leaf (ranks
 * are numbered in this order: consecutive ranks share a leaf). */
static int cmp_placed (const void *a, const void *b)
{
    const struct placed *x = a, *y = b;
    if (x->leaf != y->leaf)
        return x->leaf - y->leaf;
    if (x->ord != y->ord)
        return x->ord - y->ord;
    return x->k - y->k;
}

/* Claim what step 1 chose, node by node so each node is attached once and
 * its allocation entry is built in one piece. */
static int claim_placed (struct placement *p, int64_t seq, struct sched_alloc *a)
{
    /* step 1 mostly records them in this order already (one leaf, nodes
     * in first-use order): the sort only when it has something to do */
    int in_order = 1;
    while (in_order < p->nplaced && cmp_placed (&p->placed[in_order - 1], &p->placed[in_order]) < 0)
        in_order++;
    if (in_order < p->nplaced)
        qsort (p->placed, (size_t)p->nplaced, sizeof (struct placed), cmp_placed);
    for (int k = 0; k < p->nplaced; k++) {
        struct snode *n = p->s->nodes[p->placed[k].node];
        const struct resreq_chunk *c = &p->req->chunks[p->placed[k].chunk];
        if (nodealloc_chunk (p->s, n, c, seq, a) < 0)
            goto undo;
        if (k == 0 || p->placed[k - 1].node != p->placed[k].node)
            snap_attach (n, seq, p->excl);
    }
    for (int i = 0; i < p->ntouched; i++)
        snap_node_changed (p->s, p->s->nodes[p->touched[i]]);
    return 0;
undo:;
    /* every node entry in A is attached and fully claimed: release them */
    int saved = errno;
    (void)sched_snapshot_release (p->s, a);
    errno = saved;
    return -1;
}

static void begin (struct placement *p, const struct placement_view *view, const struct resreq *req,
                   const struct idset *skip)
{
    p->view = view;
    p->req = req;
    p->skip = skip;
    p->from = NULL;
    p->excl = req->sharing != RESREQ_SHARED;
    p->seg[0] = (struct seg){0, p->nnodes};
    p->nseg = 1;
    p->why[0] = '\0';
    p->note[0] = '\0';
    /* kept here: node_left is the placer's innermost step */
    p->labels = req->chunks[0].labels[0] ? req->chunks[0].labels : NULL;
    p->mixed_labels = false;
    for (int i = 1; i < req->nchunks && !p->mixed_labels; i++)
        p->mixed_labels = strcmp (req->chunks[i].labels, req->chunks[0].labels) != 0;
    /* mixed: the fabric step's counts see every node (an estimate, as
     * for mixed shapes), step 1 filters chunk by chunk */
    if (p->mixed_labels)
        p->labels = NULL;
    p->pg = snap_pgroup_find (p->s, req->pgroup);
    p->dom_ok = NULL;
    p->one_per_dom = p->pg >= 0 && p->s->pgroups[p->pg].strategy == SCHED_PG_SPREAD;
    p->partition = 0;
}

/* switches=N on a job the fabric step did not place (one node, host=, no
 * fabric): say how many leaves it got all the same. */
static void note_switches (struct placement *p)
{
    for (int i = 0; i < p->ntouched; i++)
        p->cand[i] = p->s->nodes[p->touched[i]]->leaf;
    qsort (p->cand, (size_t)p->ntouched, sizeof (int), cmp_int);
    int leaves = p->ntouched > 0;
    for (int i = 1; i < p->ntouched; i++)
        leaves += p->cand[i] != p->cand[i - 1];
    snprintf (p->note, sizeof (p->note), "switches=%d %s: %d leaf switches", p->req->max_switches,
              leaves <= p->req->max_switches ? "met" : "not met", leaves);
}

/* Step 1 of placement_place: the nodes, in p->placed (the caller
 * resets).  0, or -1 with errno as placement_place. */
static int choose_for (struct placement *p, const struct placement_view *view,
                       const struct resreq *req, const struct idset *skip)
{
    if (request_invalid (req)) {
        errno = EINVAL;
        return -1;
    }
    if (view == &placement_free_now && group_too_busy (p, 0, req))
        return fail_nospace();
    begin (p, view, req, skip);
    p->from = p->hz_from;
    p->until = p->hz_until;
    int rc = choose_grouped (p);
    if (rc == 0 && req->max_switches > 0 && p->note[0] == '\0')
        note_switches (p);
    return rc;
}

int placement_fits (struct placement *p, const struct placement_view *view,
                    const struct resreq *req, const struct idset *skip)
{
    int rc = choose_for (p, view, req, skip);
    int saved = errno;
    reset_attempt (p);
    if (rc == 0)
        return 1;
    errno = saved;
    return saved == ENOSPC ? 0 : -1;
}

int placement_place (struct placement *p, const struct placement_view *view, int64_t seq,
                     const struct resreq *req, const struct idset *skip, struct sched_alloc **out)
{
    return placement_place_unless (p, view, seq, req, skip, NULL, NULL, out);
}

int placement_place_unless (struct placement *p, const struct placement_view *view, int64_t seq,
                            const struct resreq *req, const struct idset *skip,
                            bool (*veto) (void *arg, const int *nodes, int n), void *arg,
                            struct sched_alloc **out)
{
    struct sched_alloc *a = NULL;
    int rc = choose_for (p, view, req, skip);
    if (rc == 0 && veto && veto (arg, p->touched, p->ntouched)) {
        errno = EAGAIN;
        rc = -1;
    }
    if (rc == 0 && !(a = sched_alloc_create (seq))) {
        errno = ENOMEM;
        rc = -1;
    }
    if (rc == 0) {
        sched_alloc_set_exclusive (a, p->excl);
        rc = claim_placed (p, seq, a);
    }
    if (rc == 0 && p->pg >= 0) { /* a member from now on */
        (void)sched_alloc_set_pgroup (a, req->pgroup, p->partition);
        if ((rc = snap_pgroup_join (p->s, a)) < 0) {
            (void)sched_alloc_set_pgroup (a, "", 0);
            (void)sched_snapshot_release (p->s, a);
        }
    }
    int saved = errno;
    reset_attempt (p);
    if (rc < 0) {
        sched_alloc_destroy (a);
        errno = saved;
        return -1;
    }
    *out = a;
    return 0;
}

/* ---- could it ever fit, and why not ---- */

static bool chunk_fits_somewhere (struct placement *p, const struct resreq_chunk *c)
{
    struct need nd = chunk_need (c, 1);
    int host = chunk_host (p, c);
    bool fits = false;
    chunk_labels (p, c);
    if (host >= 0)
        fits = node_has_room (p, host, &nd);
    for (int i = next_node (p, 0, &nd); host < 0 && !fits && i < p->nnodes;
         i = next_node (p, i + 1, &nd))
        fits = node_has_room (p, i, &nd);
    chunk_labels (p, NULL);
    return fits;
}

/* Name the first chunk no single idle node can hold, if any. */
static bool explain_chunks (struct placement *p, char *reason, size_t len)
{
    const struct resreq *req = p->req;
    for (int i = 0; i < req->nchunks; i++) {
        const struct resreq_chunk *c = &req->chunks[i];
        int host = chunk_host (p, c);
        if (host == -2) {
            snprintf (reason, len, "host=%s: no such node", c->host);
            return true;
        }
        if (chunk_fits_somewhere (p, c))
            continue;
        if (host < 0)
            snprintf (reason, len,
                      "chunk %d (ncpus=%d ngpus=%d mem=%" PRIu64 ") is bigger than any node", i + 1,
                      c->ncpus, c->ngpus, c->mem);
        else
            snprintf (reason, len,
                      "chunk %d (ncpus=%d ngpus=%d mem=%" PRIu64 ") does not fit on %s", i + 1,
                      c->ncpus, c->ngpus, c->mem, c->host);
        return true;
    }
    return false;
}

static void explain_whole (const struct placement *p, char *reason, size_t len)
{
    struct need t = request_total (p->req);
    int64_t instances = 0;
    for (int i = 0; i < p->req->nchunks; i++)
        instances += p->req->chunks[i].count;
    if (p->req->arrangement == RESREQ_PACK)
        snprintf (reason, len,
                  "place=pack: no node has %" PRId64 " cpus, %" PRId64 " gpus and %" PRIu64
                  " bytes of memory",
                  t.cores, t.gpus, t.mem);
    else if (p->req->arrangement == RESREQ_SCATTER)
        snprintf (reason, len, "place=scatter: fewer than %" PRId64 " nodes can take a chunk each",
                  instances);
    else
        snprintf (reason, len,
                  "the request (%" PRId64 " cpus, %" PRId64 " gpus, %" PRIu64
                  " bytes of memory) is more than the nodes have",
                  t.cores, t.gpus, t.mem);
}

int placement_could_fit (struct placement *p, const struct placement_view *view,
                         const struct resreq *req, char *reason, size_t len)
{
    const char *bad = request_invalid (req);
    if (bad) {
        snprintf (reason, len, "invalid request: %s", bad);
        return 0;
    }
    begin (p, view, req, NULL);
    if (explain_chunks (p, reason, len))
        return 0;
    /* a finite switches=N@T wait ends: only "forever" can make it never fit */
    int64_t waited = p->waited;
    p->waited = req->switches_wait >= 0 ? INT64_MAX : 0;
    int rc = choose_grouped (p);
    int saved = errno;
    p->waited = waited;
    reset_attempt (p);
    if (rc == 0)
        return 1;
    if (saved == ENOMEM) {
        errno = ENOMEM;
        return -1;
    }
    if (p->why[0] != '\0')
        snprintf (reason, len, "%s", p->why);
    else
        explain_whole (p, reason, len);
    return 0;
}

void placement_set_horizon (struct placement *p, const int64_t *from, int64_t until)
{
    p->hz_from = from;
    p->hz_until = until;
}

void placement_set_waited (struct placement *p, int64_t seconds)
{
    p->waited = seconds;
}

const char *placement_why (const struct placement *p)
{
    return p->why;
}

const char *placement_note (const struct placement *p)
{
    return p->note;
}
