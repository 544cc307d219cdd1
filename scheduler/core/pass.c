#include "pass.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backfill.h"
#include "placement.h"
#include "queue_impl.h"
#include "shapes.h"

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

/* Everything one pass works with, so helpers stay short. */
struct pass {
    struct sched_snapshot *s;
    struct placement *p;
    struct sched_result *r;
    const struct sched_limits *limits;
    int64_t now;
    struct backfill *bf;
    /* what this pass learnt per request shape (shapes.h) */
    struct shapes *fits;   /* could ever fit: most of a queue asks for a few
                            * shapes, and with a fabric the question costs a
                            * search of the whole cluster */
    struct shapes *nofit;  /* does not fit now (see place_now) */
    struct shapes *held;   /* fits now only on reserved nodes (see place_now) */
    int held_resv;         /* the reservations there were when held was filled */
    int held_starts;       /* and the starts */
    int starts;            /* jobs started so far in this pass */
    struct shapes *offres; /* does not fit off the reserved nodes (see place_now) */
    int offres_resv;       /* the reservations there were when offres was filled */
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

/* Could J ever fit (placement_could_fit on the idle cluster)?  Asked
 * once per job and snapshot generation, and once per request shape in a
 * pass.  1 yes; 0 no, with WHY; -1 ENOMEM. */
static int could_ever_fit (struct pass *ps, struct qjob *j, char *why, size_t len)
{
    if (j->fits_generation == ps->s->generation)
        return 1;
    int fit = shapes_find (ps->fits, &j->req, NULL, NULL)
                  ? 1
                  : placement_could_fit (ps->p, &placement_idle_all, &j->req, why, len);
    if (fit == 1) {
        j->fits_generation = ps->s->generation;
        shapes_add (ps->fits, &j->req, NULL, 0);
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
    const char *why;
    if (!nofit_applies (j) || !shapes_find (ps->nofit, &j->req, &why, NULL))
        return false;
    snprintf (wait, len, "%s", why);
    errno = ENOSPC;
    return true;
}

static void nofit_add (struct pass *ps, const struct qjob *j, const char *wait)
{
    if (nofit_applies (j))
        shapes_add (ps->nofit, &j->req, wait, 0);
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
        shapes_clear (ps->held);
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
        shapes_clear (ps->offres);
        ps->offres_resv = backfill_count (ps->bf);
    }
    return shapes_find (ps->offres, &j->req, NULL, NULL);
}

static bool held_known (struct pass *ps, const struct qjob *j, int64_t end, int64_t *blocker,
                        char *wait, size_t len)
{
    const char *why;
    if (!held_applies (ps, j, end) || !shapes_find (ps->held, &j->req, &why, blocker))
        return false;
    snprintf (wait, len, "%s", why);
    errno = ENOSPC;
    return true;
}

/* A first placement that would hold a reserved node past its start
 * (placement_place_unless): refused before it is claimed, and the
 * reservation's job noted. */
struct resv_check {
    const struct backfill *bf;
    int64_t end;
    int64_t blocker;
};

static bool held_by_reservation (void *arg, const int *nodes, int n)
{
    struct resv_check *rc = arg;
    rc->blocker = backfill_blocker (rc->bf, nodes, n, rc->end);
    return rc->blocker >= 0;
}

/* Place J now.  With reservations, a placement that would still hold one
 * of their nodes when that reservation starts is refused (before it is
 * claimed) and J placed again off those nodes; *BLOCKER then names the
 * reservation's job.  0 with *A, -1 with errno (ENOSPC: does not fit now). */
static int place_now (struct pass *ps, const struct qjob *j, struct sched_alloc **a,
                      int64_t *blocker, char *wait, size_t len)
{
    int64_t end = j->req.walltime > 0 ? ps->now + j->req.walltime : BACKFILL_NEVER;
    *blocker = -1;
    if (nofit_known (ps, j, wait, len) || held_known (ps, j, end, blocker, wait, len))
        return -1;
    placement_set_horizon (ps->p, NULL, 0);
    placement_set_waited (ps->p, ps->now - j->eligible_time);
    struct resv_check check = {ps->bf, end, -1};
    if (placement_place_unless (ps->p, &placement_free_now, j->seq, &j->req, NULL,
                                held_by_reservation, &check, a) == 0)
        return 0;
    if (errno != EAGAIN) {
        snprintf (wait, len, "%s", placement_why (ps->p));
        if (errno == ENOSPC)
            nofit_add (ps, j, wait);
        return -1;
    }
    *blocker = check.blocker;
    *a = NULL;
    if (offres_known (ps, j, end)) {
        snprintf (wait, len, "%s", "");
        shapes_add (ps->held, &j->req, wait, *blocker);
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
        shapes_add (ps->held, &j->req, wait, *blocker);
        shapes_add (ps->offres, &j->req, NULL, 0);
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

/* What a pass made for itself (not the result). */
static void pass_free (struct pass *ps)
{
    shapes_destroy (ps->fits);
    shapes_destroy (ps->nofit);
    shapes_destroy (ps->held);
    shapes_destroy (ps->offres);
    backfill_destroy (ps->bf);
    placement_destroy (ps->p);
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
    ps.fits = shapes_create();
    ps.nofit = shapes_create();
    ps.held = shapes_create();
    ps.offres = shapes_create();
    if (!ps.r || !ps.p || !ps.bf || !ps.fits || !ps.nofit || !ps.held || !ps.offres) {
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
    pass_free (&ps);
    return ps.r;
fail:
    pass_free (&ps);
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
