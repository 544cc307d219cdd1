/* queuemsg.c - huddle-ctld's queues with the job table: which queue a job
 * names, its limits at submit, the admission of a pass, queue.query and
 * server.query (see queues.h) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/jobspec.h"
#include "scheduler/ctld/ctld.h"
#include "scheduler/ctld/job.h"
#include "scheduler/ctld/queues.h"

/* ------------------------------------------------- with the controller */

int queues_resolve (struct ctld *ctx, const char *name, struct herror *err)
{
    const struct queues *qs = ctx->cfg.queues;
    char queue[JOBSPEC_QUEUE_MAX + 2];
    char shown[HERROR_SHOW_SIZE];

    if (!name || !name[0])
        return queues_default (qs);
    const char *at = strchr (name, '@');
    size_t len = at ? (size_t)(at - name) : strlen (name);
    if (len >= sizeof (queue) || (at && !jobspec_server_matches (at + 1, ctx->cfg.server_name)))
        return herror_set (err, "Unknown queue %s",
                           herror_show (name, strlen (name), shown, sizeof (shown)));
    memcpy (queue, name, len);
    queue[len] = '\0';
    int qi = len ? queues_find (qs, queue) : queues_default (qs);
    if (qi < 0)
        return herror_set (err, "Unknown queue %s",
                           herror_show (name, strlen (name), shown, sizeof (shown)));
    return qi;
}

int queues_check_walltime (struct ctld *ctx, int qi, int64_t walltime, struct herror *err)
{
    const struct queue_conf *q = queues_get (ctx->cfg.queues, qi);
    if (q && q->max_walltime > 0 && queues_walltime (ctx, qi, walltime) > q->max_walltime)
        return herror_set (err, "Job violates queue and/or server resource limits");
    return 0;
}

int64_t queues_walltime (struct ctld *ctx, int qi, int64_t requested)
{
    const struct queue_conf *q = queues_get (ctx->cfg.queues, qi);
    if (requested > 0)
        return requested;
    return q ? q->default_walltime : ctx->cfg.default_walltime;
}

int queues_job_priority (struct ctld *ctx, const struct ctld_job *j)
{
    const struct queue_conf *q = queues_get (ctx->cfg.queues, j->queue);
    return queues_sched_priority (q ? q->priority : 0, j->priority);
}

/* Running jobs per user of the queues that limit them: users are few next
 * to jobs, so a short list per queue, searched linearly. */
struct user_run {
    uid_t uid;
    int running;
};

struct queue_admit {
    struct ctld *ctx;
    struct user_run **users; /* per queue index */
    int *nusers, *capusers;
    char why[160];
};

void queue_admit_destroy (struct queue_admit *a)
{
    int saved = errno;
    if (!a)
        return;
    for (int i = 0; a->users && i < queues_count (a->ctx->cfg.queues); i++)
        free (a->users[i]);
    free (a->users);
    free (a->nusers);
    free (a->capusers);
    free (a);
    errno = saved;
}

static struct user_run *user_of (struct queue_admit *a, int qi, uid_t uid, bool add)
{
    for (int i = 0; i < a->nusers[qi]; i++) {
        if (a->users[qi][i].uid == uid)
            return &a->users[qi][i];
    }
    if (!add)
        return NULL;
    if (a->nusers[qi] == a->capusers[qi]) {
        int cap = a->capusers[qi] ? 2 * a->capusers[qi] : 8;
        struct user_run *v = realloc (a->users[qi], cap * sizeof (*v));
        if (!v)
            return NULL;
        a->users[qi] = v;
        a->capusers[qi] = cap;
    }
    a->users[qi][a->nusers[qi]] = (struct user_run){.uid = uid};
    return &a->users[qi][a->nusers[qi]++];
}

static bool limited (const struct queue_admit *a, const struct ctld_job *j)
{
    const struct queue_conf *q = queues_get (a->ctx->cfg.queues, j->queue);
    return q && q->max_user_run > 0;
}

struct queue_admit *queue_admit_create (struct ctld *ctx)
{
    int nq = queues_count (ctx->cfg.queues);
    struct queue_admit *a = calloc (1, sizeof (*a));
    bool any = false;

    if (!a)
        return NULL;
    a->ctx = ctx;
    a->users = calloc (nq + 1, sizeof (*a->users));
    a->nusers = calloc (nq + 1, sizeof (*a->nusers));
    a->capusers = calloc (nq + 1, sizeof (*a->capusers));
    if (!a->users || !a->nusers || !a->capusers) {
        queue_admit_destroy (a);
        return NULL;
    }
    for (int i = 0; i < nq; i++)
        any |= queues_get (ctx->cfg.queues, i)->max_user_run > 0;
    /* one walk over the table per pass, and none without a limit */
    for (int i = 0; any && i < jobs_count (ctx); i++) {
        struct ctld_job *j = jobs_at (ctx, i);
        if (job_state_active (j->state) && limited (a, j))
            queue_admit_started (a, j);
    }
    return a;
}

const char *queue_admit_check (struct queue_admit *a, const struct ctld_job *j)
{
    const struct queue_conf *q = queues_get (a->ctx->cfg.queues, j->queue);
    if (!q)
        return NULL;
    if (!q->started) {
        snprintf (a->why, sizeof (a->why), "Queue %s is not started", q->name);
        return a->why;
    }
    struct user_run *u = q->max_user_run > 0 ? user_of (a, j->queue, j->uid, false) : NULL;
    if (u && u->running >= q->max_user_run) {
        snprintf (a->why, sizeof (a->why),
                  "User has reached queue %s running job limit (max_user_run=%d)", q->name,
                  q->max_user_run);
        return a->why;
    }
    return NULL;
}

void queue_admit_started (struct queue_admit *a, const struct ctld_job *j)
{
    struct user_run *u = limited (a, j) ? user_of (a, j->queue, j->uid, true) : NULL;
    if (u)
        u->running++;
}

/* ---------------------------------------------------------------- reports */

/* PBS's state_count: jobs of each state not finished (a deferred Q is W). */
struct counts {
    int q, h, w, r, e, total;
};

static void count_job (struct counts *c, const struct ctld_job *j, int64_t now)
{
    switch (j->state) {
    case JOB_QUEUED:
        if (job_deferred (j, now))
            c->w++;
        else
            c->q++;
        break;
    case JOB_HELD:
        c->h++;
        break;
    case JOB_RUNNING:
        c->r++;
        break;
    case JOB_EXITING:
        c->e++;
        break;
    default:
        return;
    }
    c->total++;
}

static json_t *counts_json (const struct counts *c)
{
    return json_pack ("{s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "Transit", 0, "Queued", c->q, "Held",
                      c->h, "Waiting", c->w, "Running", c->r, "Exiting", c->e, "Begun", 0);
}

static json_t *queue_json (struct ctld *ctx, int qi, const struct counts *c)
{
    const struct queue_conf *q = queues_get (ctx->cfg.queues, qi);
    json_t *o = json_pack ("{s:s, s:s, s:i, s:I, s:o, s:I, s:b, s:b, s:b}", "name", q->name,
                           "queue_type", "Execution", "priority", q->priority, "total_jobs",
                           (json_int_t)c->total, "state_count", counts_json (c), "default_walltime",
                           (json_int_t)q->default_walltime, "enabled", q->enabled, "started",
                           q->started, "default", qi == queues_default (ctx->cfg.queues));
    if (o && q->max_walltime > 0)
        json_object_set_new (o, "max_walltime", json_integer (q->max_walltime));
    if (o && q->max_user_run > 0)
        json_object_set_new (o, "max_user_run", json_integer (q->max_user_run));
    return o;
}

/* qstat -Q [QUEUE...]: the named queues (all when none) in the order the
 * option lists them, each with its jobs counted by state. */
int queues_query (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    struct ctld *ctx = rq->ctx;
    const struct queues *qs = ctx->cfg.queues;
    json_t *names = NULL, *list = json_array();
    int nq = queues_count (qs);
    struct counts *c = calloc (nq + 1, sizeof (*c));
    int64_t now = ctld_now();
    int rc = -1;

    if (!list || !c) {
        herror_set (err, "out of memory");
        goto out;
    }
    if (proto_opt_array (msg, "names", &names, err) < 0)
        goto out;
    for (size_t i = 0; i < json_array_size (names); i++) {
        const char *name = json_string_value (json_array_get (names, i));
        if (!name) {
            herror_set (err, "message queue.query: \"names\" must hold strings");
            goto out;
        }
        if (queues_resolve (ctx, name, err) < 0)
            goto out;
    }
    for (int i = 0; i < jobs_count (ctx); i++) {
        struct ctld_job *j = jobs_at (ctx, i);
        if (j->queue >= 0 && j->queue < nq)
            count_job (&c[j->queue], j, now);
    }
    if (names) {
        for (size_t i = 0; i < json_array_size (names); i++) {
            int qi = queues_resolve (ctx, json_string_value (json_array_get (names, i)), err);
            json_array_append_new (list, queue_json (ctx, qi, &c[qi]));
        }
    } else {
        for (int qi = 0; qi < nq; qi++)
            json_array_append_new (list, queue_json (ctx, qi, &c[qi]));
    }
    json_t *reply = proto_reply_ok (msg);
    if (reply) {
        json_object_set (reply, "queues", list);
        json_object_set_new (reply, "server", json_string (ctx->cfg.server_name));
    }
    ctld_reply (ctx, rq->peer, reply);
    rc = 0;
out:
    json_decref (list);
    free (c);
    return rc;
}

/* qstat -B: the server's summary. */
int queues_server_query (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    struct ctld *ctx = rq->ctx;
    struct counts c = {0};
    int64_t now = ctld_now();
    char host[256] = "localhost";

    (void)err;
    gethostname (host, sizeof (host) - 1);
    for (int i = 0; i < jobs_count (ctx); i++)
        count_job (&c, jobs_at (ctx, i), now);
    const struct queue_conf *dq = queues_get (ctx->cfg.queues, queues_default (ctx->cfg.queues));
    json_t *reply = proto_reply_ok (msg);
    json_t *s = json_pack (
        "{s:s, s:s, s:s, s:b, s:I, s:o, s:s, s:I, s:i, s:I}", "name", ctx->cfg.server_name,
        "server_state", "Active", "server_host", host, "scheduling", 1, "total_jobs",
        (json_int_t)c.total, "state_count", counts_json (&c), "default_queue", dq ? dq->name : "",
        "default_walltime", (json_int_t)ctx->cfg.default_walltime, "queues",
        queues_count (ctx->cfg.queues), "job_history_duration", (json_int_t)ctx->cfg.job_history);
    if (reply && s) {
        json_object_set_new (reply, "status", s);
        json_object_set_new (reply, "server", json_string (ctx->cfg.server_name));
        s = NULL;
    }
    json_decref (s);
    ctld_reply (ctx, rq->peer, reply);
    return 0;
}
