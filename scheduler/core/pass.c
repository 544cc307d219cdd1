#include "pass.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backfill.h"
#include "placement.h"
#include "queue_impl.h"

#define REASON_MAX 200

struct decision {
    struct sched_decision pub;
    struct sched_alloc *alloc;
    struct sched_alloc *plan; /* a reservation's planned allocation */
    char reason[REASON_MAX];
};

struct sched_result {
    struct decision *d;
    int n, cap;
    int64_t reserved_seq;
    int considered;
    bool truncated;
};

/* Request shapes known to fit the idle cluster in this pass: most of a
 * long queue asks for a few shapes, and "could it ever fit" with a fabric
 * costs a search of the whole cluster.  Open addressing, by shape hash. */
struct shapes {
    const struct resreq **v; /* NULL: empty slot */
    uint64_t *h;
    char **why;   /* per entry, a copy; NULL for none */
    int64_t *val; /* per entry, a number (held: the blocker) */
    int n, cap;
};

/* Everything one pass works with, so helpers stay short. */
struct pass {
    struct sched_snapshot *s;
    struct placement *p;
    struct sched_result *r;
    const struct sched_limits *limits;
    int64_t now;
    struct backfill *bf;
    struct shapes fits;   /* could ever fit */
    struct shapes nofit;  /* does not fit now, in this pass (see place_now) */
    struct shapes held;   /* fits now only on reserved nodes (see place_now) */
    int held_resv;        /* the reservations there were when held was filled */
    int held_starts;      /* and the starts */
    int starts;           /* jobs started so far in this pass */
    struct shapes offres; /* does not fit off the reserved nodes (see place_now) */
    int offres_resv;      /* the reservations there were when offres was filled */
};

void sched_result_destroy (struct sched_result *r)
{
    if (!r)
        return;
    int saved = errno;
    for (int i = 0; i < r->n; i++) {
        sched_alloc_destroy (r->d[i].alloc);
        sched_alloc_destroy (r->d[i].plan);
    }
    free (r->d);
    free (r);
    errno = saved;
}

int sched_result_count (const struct sched_result *r)
{
    return r->n;
}

const struct sched_decision *sched_result_get (const struct sched_result *r, int i)
{
    if (!r || i < 0 || i >= r->n) {
        errno = EINVAL;
        return NULL;
    }
    return &r->d[i].pub;
}

struct sched_alloc *sched_result_take_alloc (struct sched_result *r, int i)
{
    if (!r || i < 0 || i >= r->n || !r->d[i].alloc) {
        errno = EINVAL;
        return NULL;
    }
    struct sched_alloc *a = r->d[i].alloc;
    r->d[i].alloc = NULL;
    r->d[i].pub.alloc = NULL;
    return a;
}

int64_t sched_result_reserved_seq (const struct sched_result *r)
{
    return r->reserved_seq;
}

int sched_result_considered (const struct sched_result *r)
{
    return r->considered;
}

bool sched_result_truncated (const struct sched_result *r)
{
    return r->truncated;
}

/* Append a decision; A (START) becomes the result's on success only. */
static struct decision *add_decision (struct sched_result *r, enum sched_decision_kind kind,
                                      int64_t seq, struct sched_alloc *a)
{
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 16;
        struct decision *v = realloc (r->d, (size_t)cap * sizeof (*v));
        if (!v) {
            errno = ENOMEM;
            return NULL;
        }
        r->d = v;
        r->cap = cap;
    }
    struct decision *d = &r->d[r->n++];
    memset (d, 0, sizeof (*d));
    d->pub.kind = kind;
    d->pub.seq = seq;
    d->pub.start_time = -1;
    d->pub.blocker = -1;
    d->alloc = a;
    return d;
}

/* The array may have moved while it grew: point the public views at their
 * final storage once the pass is done. */
static void fix_views (struct sched_result *r)
{
    for (int i = 0; i < r->n; i++) {
        r->d[i].pub.alloc = r->d[i].alloc;
        r->d[i].pub.plan = r->d[i].plan;
        r->d[i].pub.reason = r->d[i].reason;
    }
}

/* ---- could it ever fit: one answer per request shape ---- */

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

/* What placement looks at in a request (not the walltime). */
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
static int shape_find (const struct shapes *t, const struct resreq *req)
{
    if (t->cap == 0)
        return -1;
    int k = shape_slot (t, req, shape_hash (req));
    return t->v[k] ? k : -1;
}

static void shapes_free (struct shapes *t)
{
    for (int i = 0; i < t->cap; i++)
        free (t->why[i]);
    free (t->v);
    free (t->h);
    free (t->why);
    free (t->val);
    *t = (struct shapes){0};
}

/* Remember REQ's shape, with WHY (NULL: none) and VAL.  REQ must outlive
 * the pass (the queue's copy).  Out of memory it is simply not
 * remembered. */
static void shape_add (struct shapes *t, const struct resreq *req, const char *why, int64_t val)
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
            shapes_free (&g);
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
        shapes_free (t);
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

/* Could J ever fit (placement_could_fit on the idle cluster)?  Asked
 * once per job and snapshot generation, and once per request shape in a
 * pass.  1 yes; 0 no, with WHY; -1 ENOMEM. */
static int could_ever_fit (struct pass *ps, struct qjob *j, char *why, size_t len)
{
    if (j->fits_generation == ps->s->generation)
        return 1;
    int fit = shape_find (&ps->fits, &j->req) >= 0
                  ? 1
                  : placement_could_fit (ps->p, &placement_idle_all, &j->req, why, len);
    if (fit == 1) {
        j->fits_generation = ps->s->generation;
        shape_add (&ps->fits, &j->req, NULL, 0);
    }
    return fit;
}

/* Append a SCHED_WAIT decision saying WHY. */
static struct decision *add_wait (struct pass *ps, int64_t seq, const char *why)
{
    struct decision *d = add_decision (ps->r, SCHED_WAIT, seq, NULL);
    if (d)
        snprintf (d->reason, sizeof (d->reason), "%s", why);
    return d;
}

/* Does the policy give job J a reservation now (pass.h)? */
static bool wants_reservation (const struct pass *ps)
{
    const struct sched_limits *lim = ps->limits;
    int made = backfill_count (ps->bf);
    if (lim->policy == SCHED_EASY)
        return made == 0;
    return lim->policy == SCHED_CONSERVATIVE && (lim->depth <= 0 || made < lim->depth);
}

/* J waits in decision D: reserve for it if the policy says so, and tell
 * the result when it is expected to start. */
static int maybe_reserve (struct pass *ps, const struct qjob *j, struct decision *d)
{
    if (!wants_reservation (ps))
        return 0;
    int64_t start;
    struct sched_alloc *plan;
    int rc = backfill_reserve (ps->bf, j->seq, &j->req, j->eligible_time, &start, &plan);
    if (rc <= 0)
        return rc;
    if (ps->r->reserved_seq < 0)
        ps->r->reserved_seq = j->seq;
    d->plan = plan;
    d->pub.start_time = start;
    return 0;
}

/* A pass only takes resources (it starts jobs; its replays put back what
 * they free), and for one chunk shape the placer is exact (placement.h):
 * a request that did not fit once in this pass cannot fit later in it.
 * So a long queue of similar jobs on a full cluster pays one placement
 * per shape, not per job.  Not for several chunk shapes (the placer is a
 * heuristic there) nor switches=N (whether its wait is over is the
 * job's). */
static bool nofit_applies (const struct qjob *j)
{
    return j->req.nchunks == 1 && j->req.max_switches == 0;
}

static bool nofit_known (struct pass *ps, const struct qjob *j, char *wait, size_t len)
{
    int k = nofit_applies (j) ? shape_find (&ps->nofit, &j->req) : -1;
    if (k < 0)
        return false;
    snprintf (wait, len, "%s", ps->nofit.why[k]);
    errno = ENOSPC;
    return true;
}

static void nofit_add (struct pass *ps, const struct qjob *j, const char *wait)
{
    if (nofit_applies (j))
        shape_add (&ps->nofit, &j->req, wait, 0);
}

/* The same for a job that fits now only on reserved nodes and would
 * still run when every reservation has begun (END after the latest
 * start): every such job keeps off every reserved node, so its shape
 * cannot fit off them later in the pass either, until a reservation is
 * added.  The blocker is the one the first such job met.  Forgotten at
 * every start too, so that the reason stays true: after a start the
 * shape may no longer fit on the reserved nodes either. */
static bool held_applies (struct pass *ps, const struct qjob *j, int64_t end)
{
    if (!nofit_applies (j) || backfill_count (ps->bf) == 0 || end <= backfill_latest (ps->bf))
        return false;
    if (ps->held_resv != backfill_count (ps->bf) || ps->held_starts != ps->starts) {
        shapes_free (&ps->held);
        ps->held_resv = backfill_count (ps->bf);
        ps->held_starts = ps->starts;
    }
    return true;
}

/* Does J's shape not fit off every reserved node?  True until a
 * reservation is added, whatever starts meanwhile (they only take). */
static bool offres_known (struct pass *ps, const struct qjob *j, int64_t end)
{
    if (!held_applies (ps, j, end))
        return false;
    if (ps->offres_resv != backfill_count (ps->bf)) {
        shapes_free (&ps->offres);
        ps->offres_resv = backfill_count (ps->bf);
    }
    return shape_find (&ps->offres, &j->req) >= 0;
}

static bool held_known (struct pass *ps, const struct qjob *j, int64_t end, int64_t *blocker,
                        char *wait, size_t len)
{
    int k = held_applies (ps, j, end) ? shape_find (&ps->held, &j->req) : -1;
    if (k < 0)
        return false;
    snprintf (wait, len, "%s", ps->held.why[k]);
    *blocker = ps->held.val[k];
    errno = ENOSPC;
    return true;
}

/* Place J now.  With reservations, a placement that would still hold one
 * of their nodes when that reservation starts is given back and J placed
 * again off those nodes; *BLOCKER then names the reservation's job.
 * 0 with *A, -1 with errno (ENOSPC: does not fit now). */
static int place_now (struct pass *ps, const struct qjob *j, struct sched_alloc **a,
                      int64_t *blocker, char *wait, size_t len)
{
    int64_t end = j->req.walltime > 0 ? ps->now + j->req.walltime : BACKFILL_NEVER;
    *blocker = -1;
    if (nofit_known (ps, j, wait, len) || held_known (ps, j, end, blocker, wait, len))
        return -1;
    placement_set_horizon (ps->p, NULL, 0);
    placement_set_waited (ps->p, ps->now - j->eligible_time);
    if (placement_place (ps->p, &placement_free_now, j->seq, &j->req, NULL, a) < 0) {
        snprintf (wait, len, "%s", placement_why (ps->p));
        if (errno == ENOSPC)
            nofit_add (ps, j, wait);
        return -1;
    }
    if ((*blocker = backfill_blocker (ps->bf, *a, end)) < 0)
        return 0;
    (void)snap_release (ps->s, *a);
    sched_alloc_destroy (*a);
    *a = NULL;
    if (offres_known (ps, j, end)) {
        snprintf (wait, len, "%s", "");
        shape_add (&ps->held, &j->req, wait, *blocker);
        errno = ENOSPC;
        return -1;
    }
    placement_set_horizon (ps->p, backfill_horizon (ps->bf), end);
    int rc = placement_place (ps->p, &placement_free_now, j->seq, &j->req, NULL, a);
    int saved = errno;
    snprintf (wait, len, "%s", placement_why (ps->p));
    placement_set_horizon (ps->p, NULL, 0);
    if (rc == 0)
        *blocker = -1;
    else if (saved == ENOSPC && held_applies (ps, j, end)) {
        shape_add (&ps->held, &j->req, wait, *blocker);
        shape_add (&ps->offres, &j->req, NULL, 0);
    }
    errno = saved;
    return rc;
}

/* J starts at A: its window (backfill plans with when it is expected
 * back), the snapshot's record of it, the decision. */
static int start_job (struct pass *ps, const struct qjob *j, struct sched_alloc *a)
{
    const struct sched_limits *lim = ps->limits;
    sched_alloc_set_window (a, ps->now, j->req.walltime);
    struct decision *d = NULL;
    if (snap_track (ps->s, a) == 0 && !(d = add_decision (ps->r, SCHED_START, j->seq, a)))
        snap_untrack (ps->s, j->seq);
    if (!d) {
        (void)snap_release (ps->s, a);
        sched_alloc_destroy (a);
        errno = ENOMEM;
        return -1;
    }
    snprintf (d->reason, sizeof (d->reason), "%s", placement_note (ps->p));
    ps->starts++;
    if (lim->started)
        lim->started (lim->arg, j->seq);
    return 1;
}

/* Returns 1 when J started, 0 when it did not, -1 on ENOMEM. */
static int consider_job (struct pass *ps, struct qjob *j)
{
    struct sched_alloc *a = NULL;
    const struct sched_limits *lim = ps->limits;
    const char *refused = lim->admit ? lim->admit (lim->arg, j->seq) : NULL;
    if (refused)
        return add_wait (ps, j->seq, refused) ? 0 : -1;
    int64_t blocker;
    char wait[REASON_MAX];
    if (place_now (ps, j, &a, &blocker, wait, sizeof (wait)) == 0)
        return start_job (ps, j, a);
    if (errno == ENOMEM)
        return -1;
    /* Whether it could ever fit depends only on its request and the
     * configured nodes: asked once per snapshot generation, not per pass,
     * since most of a long queue is here on a full cluster. */
    char why[REASON_MAX];
    int fit = could_ever_fit (ps, j, why, sizeof (why));
    if (fit < 0)
        return -1;
    if (fit == 0) {
        struct decision *d = add_decision (ps->r, SCHED_NEVER, j->seq, NULL);
        if (!d)
            return -1;
        memcpy (d->reason, why, sizeof (why));
        return 0;
    }
    if (blocker >= 0)
        snprintf (wait, sizeof (wait), "reservation for job %lld", (long long)blocker);
    else if (wait[0] == '\0')
        snprintf (wait, sizeof (wait), "not enough free resources");
    struct decision *d = add_wait (ps, j->seq, wait);
    if (!d)
        return -1;
    d->pub.blocker = blocker;
    return maybe_reserve (ps, j, d);
}

/* Undo a failed pass: give back everything it claimed. */
static void undo_starts (struct pass *ps)
{
    for (int i = 0; i < ps->r->n; i++) {
        if (ps->r->d[i].alloc)
            (void)sched_snapshot_release (ps->s, ps->r->d[i].alloc);
    }
}

static int run_queue (struct pass *ps, struct sched_queue *q)
{
    struct qjob **jobs;
    int n;
    int max = ps->limits->max_jobs;
    queue_ordered (q, &jobs, &n);
    for (int i = 0; i < n; i++) {
        if (jobs[i]->held)
            continue;
        if (max > 0 && ps->r->considered == max) {
            ps->r->truncated = true;
            break;
        }
        ps->r->considered++;
        int rc = consider_job (ps, jobs[i]);
        if (rc < 0)
            return -1;
        if (rc == 0 && ps->limits->policy == SCHED_FCFS)
            break;
    }
    return 0;
}

struct sched_result *sched_pass (struct sched_snapshot *s, struct sched_queue *q, int64_t now,
                                 const struct sched_limits *limits)
{
    if (!s || !q || !limits) {
        errno = EINVAL;
        return NULL;
    }
    struct pass ps = {.s = s, .limits = limits, .now = now};
    ps.r = calloc (1, sizeof (*ps.r));
    ps.p = placement_create (s);
    ps.bf = ps.p ? backfill_create (s, ps.p, now) : NULL;
    if (!ps.r || !ps.p || !ps.bf) {
        errno = ENOMEM;
        goto fail;
    }
    ps.r->reserved_seq = -1;
    if (run_queue (&ps, q) < 0) {
        undo_starts (&ps);
        goto fail;
    }
    for (int i = 0; i < ps.r->n; i++) {
        if (ps.r->d[i].pub.kind == SCHED_START)
            (void)sched_queue_remove (q, ps.r->d[i].pub.seq);
    }
    fix_views (ps.r);
    shapes_free (&ps.fits);
    shapes_free (&ps.nofit);
    shapes_free (&ps.held);
    shapes_free (&ps.offres);
    backfill_destroy (ps.bf);
    placement_destroy (ps.p);
    return ps.r;
fail:
    shapes_free (&ps.fits);
    shapes_free (&ps.nofit);
    shapes_free (&ps.held);
    shapes_free (&ps.offres);
    backfill_destroy (ps.bf);
    placement_destroy (ps.p);
    sched_result_destroy (ps.r);
    return NULL;
}

int sched_request_check (struct sched_snapshot *s, const struct resreq *req, char *reason,
                         size_t len)
{
    char why[REASON_MAX] = "";
    struct placement *p = placement_create (s);
    if (!p)
        return -1;
    int rc = placement_could_fit (p, &placement_idle_all, req, why, sizeof (why));
    placement_destroy (p);
    if (rc == 0 && reason && len > 0) {
        strncpy (reason, why, len - 1);
        reason[len - 1] = '\0';
    }
    return rc;
}
