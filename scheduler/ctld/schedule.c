/* schedule.c - huddle-ctld's side of scheduler/core
 *
 * Keeps the scheduler's snapshot live (nodes as their agents register,
 * allocations claimed at start and at restart, released at the end) and
 * runs the pure scheduling pass.  A pass is requested by whatever may let a
 * job start: the reactions of job_update() (resources freed, a job entered
 * or left the queue other than by starting) and node changes (nodes.c,
 * node_changed()); requests are
 * coalesced into one pass per loop turn through an activated event whose
 * priority is below the sockets' and above the flush, so the pass sees the
 * whole turn's messages and its starts are committed in the same flush.
 *
 * Every start decision is committed (job_update with JOB_EV_START: state R,
 * allocation, event) before its job.launch is queued, and queued orders are sent only after
 * the flush: a launch the agent receives is always on disk.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "scheduler/core/fabric.h"
#include "scheduler/core/pass.h"
#include "scheduler/core/pgroup.h"
#include "scheduler/core/queue.h"
#include "scheduler/core/snapshot.h"
#include "scheduler/ctld/convert.h"
#include "scheduler/ctld/ctld.h"
#include "scheduler/ctld/job.h"
#include "scheduler/ctld/labels.h"
#include "scheduler/ctld/store.h"
#include "topology/node.h"

struct sched {
    struct sched_snapshot *snap;
    struct sched_queue *queue;
    json_t *topologies; /* node name -> topology model in the snapshot */
    struct event *pass_ev;
    struct event *defer_ev; /* the next -a time of a deferred job */
    int64_t defer_at;       /* when defer_ev fires, 0: not armed */
    struct event *wake_ev;  /* a pass when a switches=N@T wait runs out */
    int64_t wake_at;        /* when wake_ev fires, 0: not armed */
    int npasses;
    int nrequests;
};

/* The node registry parsed the model (nodes.c): it is not parsed again. */
static int add_node (struct ctld *ctx, struct sched_snapshot *snap, const char *name,
                     const struct topo_node *t, bool usable, struct herror *err)
{
    struct sched_node_desc d;
    char labels[4096];

    if (!t)
        return herror_set (err, "node %s has no topology model", name);
    if (labels_of_node (ctx->cfg.node_labels, name, labels, sizeof (labels)) < 0)
        return herror_set (err, "node %s: its node_labels are longer than %zu bytes", name,
                           sizeof (labels) - 1);
    if (convert_desc_from_topo (name, t, usable, &d) < 0)
        return herror_set (err, "out of memory");
    int rc = sched_snapshot_add_node (snap, &d);
    if (rc < 0)
        herror_set (err, "the scheduler refused its topology: %s", strerror (errno));
    else if ((rc = sched_snapshot_set_labels (snap, name, labels)) < 0)
        herror_set (err, "out of memory");
    convert_desc_clear (&d);
    return rc;
}

/* A node's topology changed while it runs nothing: build a new snapshot
 * with the new model and every active allocation claimed again (the core
 * has no "replace node"; changes of a node's hardware are rare). */
static int rebuild (struct ctld *ctx, const char *name, const struct topo_node *t, bool usable,
                    struct herror *err)
{
    struct sched *s = ctx->sched;
    struct sched_snapshot *snap = sched_snapshot_create();
    const char *key;
    json_t *value;

    if (!snap)
        return herror_set (err, "out of memory");
    json_object_foreach (s->topologies, key, value)
    {
        bool same = strcmp (key, name) == 0;
        struct sched_node_usage nu; /* the old snapshot knows who is usable */
        bool u = same ? usable : sched_snapshot_node_usage (s->snap, key, &nu) == 0 && nu.usable;
        struct ctld_node *other = same ? NULL : nodes_find (ctx, key);
        if (add_node (ctx, snap, key, same ? t : other ? node_topology (other) : NULL, u, err) < 0)
            goto fail;
    }
    if (sched_snapshot_copy_fabric (snap, s->snap) < 0 ||
        sched_snapshot_copy_pgroups (snap, s->snap) < 0) {
        herror_set (err, "out of memory");
        goto fail;
    }
    for (int i = 0; i < jobs_count (ctx); i++) {
        struct ctld_job *j = jobs_at (ctx, i);
        if (j->alloc && sched_snapshot_claim (snap, j->alloc) < 0) {
            herror_set (err, "job %lld's allocation does not fit the new topology",
                        (long long)j->seq);
            goto fail;
        }
    }
    sched_snapshot_destroy (s->snap);
    s->snap = snap;
    return 0;
fail:
    sched_snapshot_destroy (snap);
    return -1;
}

int sched_node_update (struct ctld *ctx, const char *name, const struct topo_node *t,
                       const json_t *topology, bool usable, struct herror *err)
{
    struct sched *s = ctx->sched;
    json_t *old = json_object_get (s->topologies, name);

    if (!old) {
        if (add_node (ctx, s->snap, name, t, usable, err) < 0)
            return -1;
    } else if (!json_equal (old, (json_t *)topology)) {
        struct sched_node_usage u;
        if (sched_snapshot_node_usage (s->snap, name, &u) == 0 && u.njobs > 0) {
            log_msg (LOG_LEVEL_WARN,
                     "node %s: topology changed while it runs jobs: the new "
                     "model is used once they end and it registers again",
                     name);
            return sched_node_usable (ctx, name, usable);
        }
        if (rebuild (ctx, name, t, usable, err) < 0)
            return -1;
        log_msg (LOG_LEVEL_INFO, "node %s: new topology model", name);
    }
    json_object_set_new (s->topologies, name, json_deep_copy (topology));
    return sched_node_usable (ctx, name, usable);
}

int sched_node_usable (struct ctld *ctx, const char *name, bool usable)
{
    struct sched *s = ctx->sched;
    if (!sched_snapshot_has_node (s->snap, name))
        return 0;
    return sched_snapshot_set_usable (s->snap, name, usable);
}

bool sched_node_usage (struct ctld *ctx, const char *name, struct sched_node_usage *u)
{
    return sched_snapshot_node_usage (ctx->sched->snap, name, u) == 0;
}

int sched_claim (struct ctld *ctx, const struct sched_alloc *a)
{
    return sched_snapshot_claim (ctx->sched->snap, a);
}

void sched_release (struct ctld *ctx, const struct sched_alloc *a)
{
    if (sched_snapshot_release (ctx->sched->snap, a) < 0)
        log_msg (LOG_LEVEL_ERROR, "job %lld: releasing its allocation: %s",
                 (long long)sched_alloc_seq (a), strerror (errno));
}

int sched_set_fabric (struct ctld *ctx, const struct sched_fabric *f)
{
    if (sched_snapshot_set_fabric (ctx->sched->snap, f) < 0)
        return -1;
    sched_request (ctx); /* jobs waiting for one leaf may fit now */
    return 0;
}

int sched_pgroup_set (struct ctld *ctx, const json_t *g)
{
    int st = sched_pg_strategy_parse (json_string_value (json_object_get (g, "strategy")));
    if (st < 0) {
        errno = EINVAL;
        return -1;
    }
    return sched_snapshot_set_pgroup (
        ctx->sched->snap, json_string_value (json_object_get (g, "name")),
        (enum sched_pg_strategy)st, (int)json_integer_value (json_object_get (g, "partitions")));
}

void sched_pgroup_remove (struct ctld *ctx, const char *name)
{
    if (sched_snapshot_remove_pgroup (ctx->sched->snap, name) < 0)
        log_msg (LOG_LEVEL_ERROR, "placement group %s: the scheduler keeps it: %s", name,
                 strerror (errno));
}

void sched_request (struct ctld *ctx)
{
    if (ctx->sched && ctx->sched->pass_ev) {
        ctx->sched->nrequests++;
        event_active (ctx->sched->pass_ev, 0, 0);
    }
}

void sched_stats (struct ctld *ctx, struct sched_stats *st)
{
    st->requests = ctx->sched->nrequests;
    st->passes = ctx->sched->npasses;
}

/* ----------------------------------------------------------------- queue */

static bool waiting (enum job_state s)
{
    return s == JOB_QUEUED || s == JOB_HELD;
}

/* Arm the deferral timer for a job's -a time, unless it fires earlier. */
static void defer_arm (struct ctld *ctx, int64_t when)
{
    struct sched *s = ctx->sched;
    if (!s->defer_ev || (s->defer_at > 0 && s->defer_at <= when))
        return;
    int64_t now = ctld_now();
    struct timeval tv = {.tv_sec = when > now ? (time_t)(when - now) : 0};
    if (event_add (s->defer_ev, &tv) == 0)
        s->defer_at = when;
}

/* A deferred job's time came: the queue lets it go (its eligible time
 * starts at its -a time), and the next deferral is armed. */
static void defer_cb (evutil_socket_t fd, short what, void *arg)
{
    struct ctld *ctx = arg;
    int64_t now = ctld_now();
    (void)fd;
    (void)what;
    ctx->sched->defer_at = 0;
    for (int i = 0; i < jobs_count (ctx); i++) {
        struct ctld_job *j = jobs_at (ctx, i);
        if (j->execution_time == 0 || (j->state != JOB_QUEUED && j->state != JOB_HELD))
            continue;
        if (!job_deferred (j, now) && j->eligible_time < j->execution_time) {
            j->eligible_time = j->execution_time;
            sched_job_sync (ctx, j);
            sched_request (ctx);
        } else if (job_deferred (j, now)) {
            defer_arm (ctx, j->execution_time);
        }
    }
}

/* The queue is a function of the job table: a job is in it exactly while
 * it is Q or H, held exactly while H or deferred (qsub -a).  Each step below is idempotent, so
 * whatever the queue holds for the job (the pass removes what it starts,
 * a start may then fail), one call makes it agree with the job again. */
void sched_job_sync (struct ctld *ctx, struct ctld_job *j)
{
    struct sched_queue *q = ctx->sched->queue;
    bool have = sched_queue_contains (q, j->seq);
    bool deferred = waiting (j->state) && job_deferred (j, ctld_now());
    int rc = 0;

    if (deferred)
        defer_arm (ctx, j->execution_time);
    if (!waiting (j->state)) {
        if (have)
            rc = sched_queue_remove (q, j->seq);
    } else if (!have) {
        struct sched_job sj = {
            .seq = j->seq,
            .priority = j->priority,
            .eligible_time = j->eligible_time,
            .held = j->state == JOB_HELD || deferred,
            .req = &j->res,
            .rank = j->rank,
        };
        rc = sched_queue_add (q, &sj);
    } else if (j->state == JOB_HELD || deferred) {
        rc = sched_queue_hold (q, j->seq);
    } else {
        rc = sched_queue_release (q, j->seq, j->eligible_time);
    }
    if (rc < 0)
        log_msg (LOG_LEVEL_ERROR, "job %lld: cannot follow it in the scheduler's queue: %s",
                 (long long)j->seq, strerror (errno));
}

int sched_queue_set_rank_of (struct ctld *ctx, const struct ctld_job *j)
{
    return sched_queue_set_rank (ctx->sched->queue, j->seq, j->rank);
}

/* ------------------------------------------------------------------ pass */

/* The pass chose to start job d->seq: the start goes through the job's
 * one path of change (job_update), which takes the allocation whatever
 * happens.  A start that cannot be made leaves the job queued; the pass
 * took it out of its queue, so the queue is made to agree again. */
static void start_one (struct ctld *ctx, struct sched_result *r, int i, struct ctld_job *j)
{
    struct sched_alloc *alloc = sched_result_take_alloc (r, i);
    if (!alloc)
        return;
    if (!j) {
        log_msg (LOG_LEVEL_ERROR, "pass started job %lld, which is not known: undone",
                 (long long)sched_alloc_seq (alloc));
        sched_release (ctx, alloc);
        sched_alloc_destroy (alloc);
        return;
    }
    /* the pass's note on the placement (switches=N met or not) */
    struct job_change c = {
        .ev = JOB_EV_START, .alloc = alloc, .comment = sched_result_get (r, i)->reason};
    if (job_update (ctx, j, &c) < 0) {
        log_msg (LOG_LEVEL_ERROR, "job %lld: could not be started: %s", (long long)j->seq,
                 strerror (errno));
        sched_job_sync (ctx, j);
    }
}

/* A switches=N@T job that waits for N leaves takes the best placement once
 * T has passed, but only a pass can start it, and a quiet cluster runs no
 * pass: wake one up when the earliest such wait runs out. */
static void wake_cb (evutil_socket_t fd, short what, void *arg)
{
    struct ctld *ctx = arg;
    (void)fd;
    (void)what;
    ctx->sched->wake_at = 0;
    sched_request (ctx);
}

static void wake_arm (struct ctld *ctx, const struct ctld_job *j, int64_t now)
{
    struct sched *s = ctx->sched;
    if (!j || j->res.max_switches <= 0 || j->res.switches_wait < 0)
        return;
    int64_t when = j->eligible_time + j->res.switches_wait;
    if (when < now || (s->wake_at > 0 && s->wake_at <= when))
        return;
    struct timeval tv = {.tv_sec = (time_t)(when - now), .tv_usec = 100000};
    if (event_add (s->wake_ev, &tv) == 0)
        s->wake_at = when;
}

/* What qstat -f shows of a job the pass did not start, as PBS does: the
 * comment "Not Running: WHY" ("Can Never Run: WHY"), and for a job with a
 * reservation estimated.start_time and estimated.exec_vnode.  A job held
 * back by a reservation names the reserved job by its full id. */
static void queued_comment (struct ctld *ctx, struct ctld_job *j, const struct sched_decision *d)
{
    char text[600], id[128];
    struct ctld_job *b = d->blocker >= 0 ? jobs_find (ctx, d->blocker) : NULL;
    if (b)
        snprintf (text, sizeof (text), "Not Running: would delay the reservation for job %s",
                  job_id (ctx, b, id, sizeof (id)));
    else
        snprintf (text, sizeof (text), "%s: %.500s",
                  d->kind == SCHED_NEVER ? "Can Never Run" : "Not Running", d->reason);
    job_set_queue_comment (j, text);
    json_decref (j->est_alloc);
    j->est_alloc = NULL;
    j->est_start = d->plan ? d->start_time : 0;
    if (d->plan && !(j->est_alloc = rset_to_json (sched_alloc_rset (d->plan))))
        j->est_start = 0;
}

static void pass_cb (evutil_socket_t fd, short what, void *arg)
{
    struct ctld *ctx = arg;
    struct sched *s = ctx->sched;
    struct sched_limits limits = {
        .max_jobs = ctx->cfg.max_jobs_per_pass,
        .policy = ctx->cfg.sched_policy,
        .depth = ctx->cfg.backfill_depth,
    };
    int started = 0;

    /* No job starts while the store cannot commit: the start could not be
     * made durable; the pass runs again once the store has caught up. */
    if (ctx->exit_code != 0 || store_retrying (ctx->store))
        return;
    int64_t now = ctld_now();
    struct sched_result *r = sched_pass (s->snap, s->queue, now, &limits);
    if (!r) {
        log_msg (LOG_LEVEL_ERROR, "scheduling pass failed: %s", strerror (errno));
        return;
    }
    s->npasses++;
    for (int i = 0; i < sched_result_count (r); i++) {
        const struct sched_decision *d = sched_result_get (r, i);
        struct ctld_job *j = jobs_find (ctx, d->seq);
        if (d->kind == SCHED_START) {
            start_one (ctx, r, i, j);
            started++;
        } else if (j) {
            if (d->kind == SCHED_WAIT)
                wake_arm (ctx, j, now);
            queued_comment (ctx, j, d);
        }
    }
    if (started > 0 || sched_result_truncated (r))
        log_msg (LOG_LEVEL_DEBUG, "pass %d: %d considered, %d started%s", s->npasses,
                 sched_result_considered (r), started,
                 sched_result_truncated (r) ? " (cut short by max_jobs_per_pass)" : "");
    /* Jobs beyond the bound get their turn next time; go on only while
     * passes make progress, or the loop would spin on a blocked queue. */
    if (sched_result_truncated (r) && started > 0)
        sched_request (ctx);
    sched_result_destroy (r);
}

int sched_create (struct ctld *ctx)
{
    struct sched *s = calloc (1, sizeof (*s));
    if (!s)
        return -1;
    ctx->sched = s;
    s->snap = sched_snapshot_create();
    s->queue = sched_queue_create();
    s->topologies = json_object();
    s->pass_ev = event_new (ctx->base, -1, 0, pass_cb, ctx);
    s->defer_ev = evtimer_new (ctx->base, defer_cb, ctx);
    s->wake_ev = evtimer_new (ctx->base, wake_cb, ctx);
    if (!s->snap || !s->queue || !s->topologies || !s->pass_ev || !s->defer_ev || !s->wake_ev ||
        event_priority_set (s->pass_ev, CTLD_PRI_SCHED) < 0)
        return -1;
    return 0;
}

void sched_destroy (struct ctld *ctx)
{
    struct sched *s = ctx->sched;
    if (!s)
        return;
    if (s->pass_ev)
        event_free (s->pass_ev);
    if (s->defer_ev)
        event_free (s->defer_ev);
    if (s->wake_ev)
        event_free (s->wake_ev);
    sched_snapshot_destroy (s->snap);
    sched_queue_destroy (s->queue);
    json_decref (s->topologies);
    free (s);
    ctx->sched = NULL;
}
