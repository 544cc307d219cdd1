/* jobmsg.c - the job messages of huddle-ctld (docs/protocol.md)
 *
 * Clients: job.submit, job.query, job.delete, job.hold, job.release.
 * Agents:  job.ended, and the replies to job.launch.
 * Owners come from the authenticated peer (MUNGE), never from the body.
 * PBS wording for refusals: "Unknown Job Id ID", "Unauthorized Request",
 * "Request invalid for state of job".
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jobspec.h"
#include "common/log.h"
#include "common/pbs_format.h"
#include "common/pbs_resources.h"
#include "common/signame.h"
#include "scheduler/ctld/job.h"
#include "scheduler/ctld/labels.h"
#include "scheduler/ctld/queues.h"
#include "scheduler/ctld/store.h"

static int get_seq (json_t *msg, int64_t *seq, struct herror *err)
{
    return proto_get_int_range (msg, "seq", 1, INT64_MAX, seq, err);
}

static int unknown_job (struct ctld *ctx, int64_t seq, struct herror *err)
{
    return herror_set (err, "Unknown Job Id %lld.%s", (long long)seq, ctx->cfg.server_name);
}

/* A client sends the server part of the job id it was given ("12.other"
 * gives "server": "other"): a job id of another server names no job here. */
static int check_server (json_t *msg, struct ctld *ctx, int64_t seq, struct herror *err)
{
    const char *server = NULL;
    char shown[HERROR_SHOW_SIZE];

    if (proto_opt_string (msg, "server", &server, err) < 0)
        return -1;
    if (server && !jobspec_server_matches (server, ctx->cfg.server_name))
        return herror_set (err, "Unknown Job Id %lld.%s", (long long)seq,
                           herror_show (server, strlen (server), shown, sizeof (shown)));
    return 0;
}

/* The job a client names, if it may act on it (its owner, or root).  A
 * subjob that is not a job (pending or finished, arrays.c) is named by its
 * array job, with its index in *index (-1 otherwise; index NULL: such a
 * subjob is refused, as its state does not allow what is asked). */
static struct ctld_job *owned_target (json_t *msg, struct request *rq, int64_t *index,
                                      struct herror *err)
{
    int64_t seq, sub = -1;
    if (proto_get_int_range (msg, "seq", 1, JOBSPEC_KEY_MAX, &seq, err) < 0 ||
        check_server (msg, rq->ctx, jobspec_subjob_base (seq), err) < 0)
        return NULL;
    struct ctld_job *j = jobs_find (rq->ctx, seq);
    if (!j && jobspec_is_subjob_seq (seq)) {
        j = jobs_find (rq->ctx, jobspec_subjob_base (seq));
        sub = jobspec_subjob_index (seq);
        if (j && array_index_state (j, sub) == 0)
            j = NULL;
    }
    if (!j) {
        if (jobspec_is_subjob_seq (seq))
            herror_set (err, "Unknown Job Id %lld[%lld].%s", (long long)jobspec_subjob_base (seq),
                        (long long)jobspec_subjob_index (seq), rq->ctx->cfg.server_name);
        else
            unknown_job (rq->ctx, seq, err);
        return NULL;
    }
    if (peer_uid (rq->peer) != 0 && peer_uid (rq->peer) != j->uid) {
        herror_set (err, "Unauthorized Request");
        return NULL;
    }
    if (sub >= 0 && !index) {
        herror_set (err, "Request invalid for state of job");
        return NULL;
    }
    if (index)
        *index = sub;
    return j;
}

struct ctld_job *jobs_owned (json_t *msg, struct request *rq, struct herror *err)
{
    return owned_target (msg, rq, NULL, err);
}

/* ------------------------------------------------------------- job.submit */

/* The job object: the normalized request plus what the server decides. */
static json_t *job_object (struct ctld *ctx, struct jobspec *spec, int64_t seq, const char *owner,
                           int qi, struct herror *err)
{
    const char *queue = queues_get (ctx->cfg.queues, qi)->name;
    char jobid[96];
    snprintf (jobid, sizeof (jobid), spec->array ? "%lld[].%s" : "%lld.%s", (long long)seq,
              ctx->cfg.server_name);
    spec->seq = seq;
    if (!(spec->jobid = strdup (jobid)) || !(spec->owner = strdup (owner))) {
        herror_set (err, "out of memory");
        return NULL;
    }
    /* The job members are coded where the agent decodes them. */
    json_t *obj = jobspec_job_to_json (spec);
    if (!obj) {
        herror_set (err, "cannot code job %lld: %s", (long long)seq, strerror (errno));
        return NULL;
    }
    int64_t walltime = queues_walltime (ctx, qi, spec->res.walltime);
    json_t *env = json_object_get (obj, "env");
    /* PBS_O_QUEUE is the queue submitted to, as qsub named it or the default */
    if (json_is_object (env))
        json_object_set_new (env, "PBS_O_QUEUE", json_string (queue));
    json_object_set_new (obj, "queue", json_string (queue));
    json_object_set_new (obj, "walltime", json_integer (walltime));
    json_object_set_new (obj, "submit_time", json_integer (ctld_now()));
    json_object_set_new (obj, "run_count", json_integer (0));
    /* qstat -f's egroup: the name of the group the job runs as */
    const char *group = jobs_group_name_ref (ctx, spec->gid);
    if (group)
        json_object_set_new (obj, "group", json_string (group));
    return obj;
}

/* The name a "NAME[@HOST][,...]" list gives: the entry without a host, else
 * (all name hosts, and where the job runs is not known yet) the first. */
static int list_first (const char *list, char *buf, size_t size)
{
    if (jobspec_list_pick (list, NULL, buf, size) == 0)
        return 0;
    size_t len = strcspn (list, "@,");
    if (len + 1 > size)
        return -1;
    memcpy (buf, list, len);
    buf[len] = '\0';
    return 0;
}

/* Who the job runs as: the submitter, or the user -u names (User_List),
 * which only root may name for another user, as PBS's server allows (its
 * ruserok check aside: huddle has no hosts.equiv); and with which group:
 * the user's own, or -W group_list's if the user is a member.  The names
 * are looked up here, on the controller, because it decides who owns the
 * job.  Sets spec->uid/gid and *owner (malloc'd). */
static int job_identity (struct ctld *ctx, struct jobspec *spec, const struct peer *p, char **owner,
                         struct herror *err)
{
    char name[JOBSPEC_OWNER_MAX + 1];
    const char *users = spec->attrs[JOBSPEC_USER_LIST];
    const char *groups = spec->attrs[JOBSPEC_GROUP_LIST];

    spec->uid = peer_uid (p);
    spec->gid = peer_gid (p);
    if (!(*owner = jobs_user_name (ctx, spec->uid)))
        return herror_set (err, "out of memory");
    if (users) {
        if (list_first (users, name, sizeof (name)) < 0)
            return herror_set (err, "User_List %s: the user name is too long", users);
        if (strcmp (name, *owner) != 0) {
            struct passwd *pw = getpwnam (name);
            if (spec->uid != 0 || !pw)
                return herror_set (err, "Bad UID for job execution (-u %s: %s)", name,
                                   !pw ? "no such user"
                                       : "only root may submit a job that runs as another user");
            free (*owner);
            if (!(*owner = strdup (pw->pw_name)))
                return herror_set (err, "out of memory");
            spec->uid = pw->pw_uid;
            spec->gid = pw->pw_gid;
        }
    }
    if (groups) {
        if (list_first (groups, name, sizeof (name)) < 0)
            return herror_set (err, "group_list %s: the group name is too long", groups);
        struct group *gr = getgrnam (name);
        struct passwd *pw = getpwuid (spec->uid);
        bool member = gr && pw && pw->pw_gid == gr->gr_gid;
        for (char **m = gr ? gr->gr_mem : NULL; m && *m && !member; m++)
            member = strcmp (*m, *owner) == 0;
        if (!gr || (!member && spec->uid != 0))
            return herror_set (err, "Bad GID for job execution (-W group_list=%s: %s)", name,
                               !gr ? "no such group" : "the job's user is not a member");
        spec->gid = gr->gr_gid;
    }
    return 0;
}

/* Mail (-m) is sent by the configured mailer command; without one the log
 * says so, once per run of the controller, when a job first asks for it. */
static void check_mail (struct ctld *ctx, const struct jobspec *spec, int64_t seq)
{
    static bool said;
    const char *points = spec->attrs[JOBSPEC_MAIL_POINTS];

    if (!points || strcmp (points, "n") == 0 || (ctx->cfg.mail_command && *ctx->cfg.mail_command) ||
        said)
        return;
    said = true;
    log_msg (LOG_LEVEL_WARN,
             "job %lld.%s asks for mail (-m %s) but no mail_command is configured: no mail is "
             "sent for it or any other job",
             (long long)seq, ctx->cfg.server_name, points);
}

/* The per-user limits, so that one user cannot fill the store, the memory
 * or the queue for everyone (root is not limited). */
static int check_limits (struct ctld *ctx, uid_t uid, const struct jobspec *spec,
                         int64_t *script_bytes, struct herror *err)
{
    const struct ctld_config *cfg = &ctx->cfg;
    struct jobs_usage u;

    *script_bytes = (int64_t)strlen (spec->script ? spec->script : "");
    struct jobspec_array a;
    if (spec->array && jobspec_parse_array (spec->array, 'J', &a, err) == 0 &&
        jobspec_array_size (&a) > cfg->max_array_size)
        return herror_set (err,
                           "Array job exceeds server or queue size limit (%lld subjobs, "
                           "max_array_size %lld)",
                           (long long)jobspec_array_size (&a), (long long)cfg->max_array_size);
    if (uid == 0)
        return 0;
    if (*script_bytes > cfg->max_script_size)
        return herror_set (err,
                           "job script of %lld bytes exceeds the limit of %lld bytes "
                           "(max_script_size)",
                           (long long)*script_bytes, (long long)cfg->max_script_size);
    jobs_usage (ctx, uid, &u);
    if (u.jobs >= cfg->max_user_jobs)
        return herror_set (err,
                           "would exceed the per-user limit of %lld queued, held and running "
                           "jobs (max_user_jobs)",
                           (long long)cfg->max_user_jobs);
    if (u.script_bytes + *script_bytes > cfg->max_user_script_bytes)
        return herror_set (err,
                           "would exceed the per-user limit of %lld bytes of job scripts "
                           "(max_user_script_bytes): %lld in use, this one has %lld",
                           (long long)cfg->max_user_script_bytes, (long long)u.script_bytes,
                           (long long)*script_bytes);
    return 0;
}

static int job_submit (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    struct ctld *ctx = rq->ctx;
    json_t *req;
    int64_t seq;
    char event[160];

    if (proto_get_object (msg, "job", &req, err) < 0)
        return -1;
    struct jobspec *spec = jobspec_from_json (req, err);
    if (!spec) {
        herror_prefix (err, "job");
        return -1;
    }
    /* -W depend: the jobs it names must exist; held (system hold) while
     * it waits on them */
    struct depend_item *deps = NULL;
    int ndeps = 0;
    if (spec->depend) {
        char *text = NULL;
        if (jobs_depend_prepare (ctx, spec->depend, &deps, &ndeps, &text, err) < 0)
            goto fail;
        free (spec->depend);
        spec->depend = text;
    }
    int qi = queues_resolve (ctx, spec->queue, err);
    if (qi < 0 || queues_check_walltime (ctx, qi, spec->res.walltime, err) < 0)
        goto fail;
    if (!queues_get (ctx->cfg.queues, qi)->enabled) {
        herror_set (err, "Queue is not enabled");
        goto fail;
    }
    const json_t *pg = spec->res.pgroup[0] ? pgroups_find (ctx, spec->res.pgroup) : NULL;
    if (spec->res.pgroup[0] && !pg) {
        herror_set (err, "Unknown placement group %s (qpg create)", spec->res.pgroup);
        goto fail;
    }
    /* a group is its owner's wish about its own jobs: another user's job
     * would move them (and keep the owner from deleting the group) */
    if (pg && !ctld_privileged (ctx, peer_uid (rq->peer)) &&
        json_integer_value (json_object_get (pg, "uid")) != (json_int_t)peer_uid (rq->peer)) {
        herror_set (err, "placement group %s belongs to another user", spec->res.pgroup);
        goto fail;
    }
    int64_t script_bytes;
    if (ctld_store_writable (ctx, err) < 0 ||
        check_limits (ctx, peer_uid (rq->peer), spec, &script_bytes, err) < 0)
        goto fail;
    char *owner = NULL;
    if (job_identity (ctx, spec, rq->peer, &owner, err) < 0) {
        free (owner);
        goto fail;
    }
    if (labels_check_request (ctx->cfg.node_labels, &spec->res, err) < 0) {
        free (owner);
        goto fail;
    }
    struct ctld_job *j = calloc (1, sizeof (*j));
    if (!j || store_next_seq (ctx->store, &seq, err) < 0 ||
        !(j->obj = job_object (ctx, spec, seq, owner, qi, err)) ||
        store_script_put (ctx->store, seq, spec->script ? spec->script : "", err) < 0) {
        free (owner);
        job_free (j);
        log_msg (LOG_LEVEL_ERROR, "job.submit: %s", err->text);
        herror_set (err, "cannot accept the job now");
        goto fail;
    }
    /* The script lives in the store only (see store.h). */
    json_object_del (j->obj, "script");
    json_object_set_new (j->obj, "script_size", json_integer (script_bytes));
    j->script_bytes = script_bytes;
    j->seq = seq;
    j->uid = spec->uid;
    j->queue = qi;
    j->execution_time = spec->execution_time;
    j->state = JOB_NEW;
    check_mail (ctx, spec, seq);
    bool hold = spec->hold;
    j->rerunnable = spec->rerunnable;
    j->priority = spec->priority;
    j->submit_time = json_integer_value (json_object_get (j->obj, "submit_time"));
    j->res = spec->res;
    j->res.walltime = json_integer_value (json_object_get (j->obj, "walltime"));
    j->exclusive = spec->res.sharing != RESREQ_SHARED;
    memset (&spec->res, 0, sizeof (spec->res));
    jobspec_destroy (spec);
    j->deps = deps;
    j->ndeps = ndeps;
    deps = NULL;
    if ((json_object_get (j->obj, "array") && array_attach (ctx, j, err) < 0) ||
        jobs_insert (ctx, j) < 0) {
        log_msg (LOG_LEVEL_ERROR, "job.submit: %s", err->text[0] ? err->text : strerror (errno));
        free (owner);
        job_free (j);
        return herror_set (err, "cannot accept the job now");
    }
    snprintf (event, sizeof (event), "submitted by %s (uid %d)%s%s", owner, (int)j->uid,
              hold ? " with a hold" : "", j->deps ? ", held on its dependencies" : "");
    free (owner);
    struct job_change c = {
        .ev = JOB_EV_SUBMIT, .hold = hold, .depend_hold = j->deps != NULL, .text = event};
    job_update (ctx, j, &c);
    if (j->depend_hold) {
        jobs_depend_watch (ctx, j);
        jobs_depend_settle (ctx, j); /* its comment */
    }
    json_t *reply = proto_reply_ok (msg);
    if (reply) {
        json_object_set_new (reply, "seq", json_integer (seq));
        char id[96];
        json_object_set_new (reply, "jobid", json_string (job_id (ctx, j, id, sizeof (id))));
    }
    ctld_reply (ctx, rq->peer, reply);
    log_msg (LOG_LEVEL_DEBUG, "job %lld.%s %s", (long long)seq, ctx->cfg.server_name, event);
    return 0;
fail:
    free (deps);
    jobspec_destroy (spec);
    return -1;
}

/* -------------------------------------------------------------- job.query */

/* What a reply carries of each job: "full" adds the environment (qstat -f
 * shows it), "script" the batch script (one named job only). */
struct view_opts {
    bool full;
    bool script;
};

/* Who may see a job's private parts, its environment and its script: the
 * owner and root.  This is the one place that decides it, for every reply
 * that carries jobs (an operator role will be added here). */
static bool may_see_private (const struct ctld_job *j, const struct peer *p)
{
    return peer_uid (p) == 0 || peer_uid (p) == j->uid;
}

/* What peer p gets of j: never another user's env or script; env and
 * script of its own only when asked for. */
static json_t *job_view (struct ctld *ctx, struct ctld_job *j, struct peer *p,
                         const struct view_opts *vo, struct herror *err)
{
    bool private = may_see_private (j, p);
    json_t *o = job_obj_copy (j);
    if (!o) {
        herror_set (err, "out of memory");
        return NULL;
    }
    json_object_del (o, "script_size");
    /* The run's secret goes to its agents only (docs/protocol.md, task.spawn). */
    json_object_del (o, "cookie");
    if (!vo->full || !private)
        json_object_del (o, "env");
    if (vo->script && private) {
        char *script = NULL;
        if (store_script_get (ctx->store, j->seq, &script, err) < 0) {
            json_decref (o);
            return NULL;
        }
        if (script)
            json_object_set_new (o, "script", json_string (script));
        free (script);
    }
    if (j->state == JOB_QUEUED && j->queue_comment)
        json_object_set_new (o, "comment", json_string (j->queue_comment));
    if (j->array)
        array_view (ctx, j, o);
    /* the scheduler's reservation: PBS's estimated.start_time/exec_vnode */
    if (j->state == JOB_QUEUED && j->est_start > 0) {
        json_object_set_new (o, "estimated_start_time", json_integer (j->est_start));
        if (j->est_alloc)
            json_object_set (o, "estimated_allocation", j->est_alloc);
    }
    /* PBS's W: queued, waiting for its -a time. */
    if (j->state == JOB_QUEUED && job_deferred (j, ctld_now()))
        json_object_set_new (o, "state", json_string ("W"));
    return o;
}

/* A job's owner is the name of its uid (job_identity), so the name cache
 * answers without reading the job's (packed) object. */
static bool query_match (struct ctld *ctx, struct ctld_job *j, const char *user, int queue,
                         bool finished)
{
    if (!finished && j->state == JOB_FINISHED)
        return false;
    if (queue >= 0 && j->queue != queue)
        return false;
    if (user) {
        const char *owner = jobs_user_name_ref (ctx, j->uid);
        if (!owner || strcmp (owner, user) != 0)
            return false;
    }
    return true;
}

/* One page of a job.query reply.  A reply is bounded (query_page_jobs jobs,
 * about query_page_bytes) so that no queue, however big, needs one giant
 * frame or holds the loop for long; the client asks again from "cursor". */
struct page {
    json_t *jobs;
    int n, limit;
    size_t bytes, budget;
    bool more;
};

/* Add view v (taken); false when the page is full (v is not added then). */
static bool page_push (struct page *pg, json_t *v, struct herror *err, int *rc)
{
    if (pg->n >= pg->limit || pg->bytes >= pg->budget) {
        pg->more = true;
        json_decref (v);
        return false;
    }
    if (!v || json_array_append_new (pg->jobs, v) < 0) {
        herror_set (err, "out of memory");
        *rc = -1;
        return false;
    }
    pg->bytes += json_dumpb (v, NULL, 0, JSON_COMPACT);
    pg->n++;
    return true;
}

/* Add j's view; false when the page is full (j is not added then). */
static bool page_add (struct page *pg, struct ctld *ctx, struct ctld_job *j, struct peer *p,
                      const struct view_opts *vo, struct herror *err, int *rc)
{
    if (pg->n >= pg->limit || pg->bytes >= pg->budget) {
        pg->more = true;
        return false;
    }
    json_t *v = job_view (ctx, j, p, vo, err);
    if (!v) {
        *rc = -1;
        return false;
    }
    return page_push (pg, v, err, rc);
}

/* The view of array job j's subjob at position pos: its own when it is a
 * job, else made from the array's view tmpl. */
static json_t *subjob_view (struct ctld *ctx, struct ctld_job *j, const json_t *tmpl, int64_t pos,
                            struct peer *p, const struct view_opts *vo, struct herror *err)
{
    json_t *v = array_view_subjob (ctx, j, tmpl, pos);
    if (v)
        return v;
    struct ctld_job *s = jobs_find (ctx, jobspec_subjob_seq (j->seq, array_index_at (j, pos)));
    if (!s) {
        herror_set (err, "out of memory");
        return NULL;
    }
    return job_view (ctx, s, p, vo, err);
}

/* qstat -t: array job j's subjobs from position from on, in index order;
 * *next the seq of the last one added.  False when the page is full. */
static bool page_add_subjobs (struct page *pg, struct ctld *ctx, struct ctld_job *j, int64_t from,
                              int64_t *next, struct peer *p, const struct view_opts *vo,
                              struct herror *err, int *rc)
{
    json_t *tmpl = job_view (ctx, j, p, vo, err);
    bool room = tmpl != NULL;
    if (!tmpl)
        *rc = -1;
    for (int64_t pos = from; room && pos < array_size (j); pos++) {
        json_t *v = subjob_view (ctx, j, tmpl, pos, p, vo, err);
        if (!v) {
            *rc = -1;
            room = false;
        } else if ((room = page_push (pg, v, err, rc))) {
            *next = jobspec_subjob_seq (j->seq, array_index_at (j, pos));
        }
    }
    json_decref (tmpl);
    return room;
}

static int job_query (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    struct ctld *ctx = rq->ctx;
    json_t *seqs = NULL;
    const char *user = NULL, *queue = NULL;
    bool finished = false, subjobs = false;
    struct view_opts vo = {0};
    int64_t cursor = 0, limit = ctx->cfg.query_page_jobs, next = 0;
    int rc = 0;

    if (proto_opt_array (msg, "seqs", &seqs, err) < 0 ||
        proto_opt_string (msg, "user", &user, err) < 0 ||
        proto_opt_bool (msg, "finished", &finished, err) < 0 ||
        proto_opt_bool (msg, "full", &vo.full, err) < 0 ||
        proto_opt_bool (msg, "script", &vo.script, err) < 0 ||
        proto_opt_int (msg, "cursor", &cursor, err) < 0 ||
        proto_opt_int (msg, "limit", &limit, err) < 0 ||
        proto_opt_string (msg, "queue", &queue, err) < 0 ||
        proto_opt_bool (msg, "subjobs", &subjobs, err) < 0)
        return -1;
    /* qstat DESTINATION: that queue's jobs */
    int qi = queue ? queues_resolve (ctx, queue, err) : -1;
    if (queue && qi < 0)
        return -1;
    if (cursor < 0 || limit < 1)
        return herror_set (err, "message job.query: \"cursor\" must be >= 0, \"limit\" >= 1");
    if (vo.script && json_array_size (seqs) != 1)
        return herror_set (err, "message job.query: \"script\" needs exactly one job in \"seqs\"");
    struct page pg = {
        .jobs = json_array(),
        .limit = limit < ctx->cfg.query_page_jobs ? (int)limit : ctx->cfg.query_page_jobs,
        .budget = (size_t)ctx->cfg.query_page_bytes,
    };
    if (!pg.jobs)
        return herror_set (err, "out of memory");
    if (seqs) {
        /* Named jobs are returned whatever their state (qstat says "Job has
         * finished" itself); unknown ones are left out.  The cursor counts
         * the names already answered. */
        for (size_t i = (size_t)cursor; rc == 0 && i < json_array_size (seqs); i++) {
            json_t *v = json_array_get (seqs, i);
            if (!json_is_integer (v)) {
                json_decref (pg.jobs);
                return herror_set (err,
                                   "message job.query: member \"seqs\": entry %zu must be "
                                   "an integer",
                                   i);
            }
            int64_t seq = json_integer_value (v);
            struct ctld_job *j = jobs_find (ctx, seq);
            struct ctld_job *a = j ? NULL : jobs_find (ctx, jobspec_subjob_base (seq));
            int64_t pos = a && a->array && jobspec_is_subjob_seq (seq)
                              ? array_pos_of (a, jobspec_subjob_index (seq))
                              : -1;
            next = (int64_t)i;
            if (j && query_match (ctx, j, user, qi, true) &&
                !page_add (&pg, ctx, j, rq->peer, &vo, err, &rc))
                break;
            if (!j && pos >= 0 && query_match (ctx, a, user, qi, true)) {
                json_t *tmpl = job_view (ctx, a, rq->peer, &vo, err);
                json_t *sv = tmpl ? subjob_view (ctx, a, tmpl, pos, rq->peer, &vo, err) : NULL;
                json_decref (tmpl);
                if (!sv)
                    rc = -1;
                if (!sv || !page_push (&pg, sv, err, &rc))
                    break;
            }
            next = (int64_t)i + 1;
        }
    } else {
        /* The cursor is the last seq answered: jobs come in seq order, an
         * array's subjobs (qstat -t) after it, so a cursor may be one. */
        struct ctld_job *a =
            jobspec_is_subjob_seq (cursor) ? jobs_find (ctx, jobspec_subjob_base (cursor)) : NULL;
        bool room = true;
        next = cursor;
        if (subjobs && a && a->array)
            room =
                page_add_subjobs (&pg, ctx, a, array_pos_of (a, jobspec_subjob_index (cursor)) + 1,
                                  &next, rq->peer, &vo, err, &rc);
        for (int i = jobs_index_after (ctx, cursor); room && rc == 0 && i < jobs_count (ctx); i++) {
            struct ctld_job *j = jobs_at (ctx, i);
            if (j->parent) /* with its array */
                continue;
            if (!query_match (ctx, j, user, qi, finished)) {
                next = j->seq;
                continue;
            }
            if (!page_add (&pg, ctx, j, rq->peer, &vo, err, &rc))
                break;
            next = j->seq;
            if (subjobs && j->array &&
                !page_add_subjobs (&pg, ctx, j, 0, &next, rq->peer, &vo, err, &rc))
                break;
        }
    }
    if (rc < 0) {
        json_decref (pg.jobs);
        return -1;
    }
    json_t *reply = proto_reply_ok (msg);
    if (reply) {
        json_object_set_new (reply, "jobs", pg.jobs);
        json_object_set_new (reply, "server", json_string (ctx->cfg.server_name));
        if (pg.more) {
            json_object_set_new (reply, "more", json_true());
            json_object_set_new (reply, "cursor", json_integer (next));
        }
    } else {
        json_decref (pg.jobs);
    }
    ctld_reply (ctx, rq->peer, reply);
    return 0;
}

/* ------------------------------------------------ delete / hold / release */

/* qdel, qhold, qrls: the job msg names, if the caller may act on it
 * (owner or root), changed by ev.  The refusal, in PBS's words, when its
 * state does not allow ev. */
static int owned_change (json_t *msg, struct request *rq, enum job_event ev, const char *what,
                         const char *refusal, struct herror *err)
{
    struct ctld *ctx = rq->ctx;
    int64_t index;
    struct ctld_job *j = owned_target (msg, rq, &index, err);
    char text[128];
    int rc;

    if (!j || ctld_store_writable (ctx, err) < 0)
        return -1;
    snprintf (text, sizeof (text), "%s by uid %d", what, (int)peer_uid (rq->peer));
    struct job_change c = {.ev = ev, .text = text};
    if (index >= 0) {
        /* a subjob that is no job: pending (a hold makes it one), or finished */
        char st = array_index_state (j, index);
        int64_t seq = jobspec_subjob_seq (j->seq, index);
        errno = EINVAL;
        if (st != 'P')
            rc = -1;
        else if (ev == JOB_EV_DELETE)
            rc = array_delete_pending (ctx, j, index, text);
        else if (ev == JOB_EV_HOLD)
            rc = array_take_pending (ctx, seq, JOB_HELD) ? 0 : -1;
        else
            rc = 0; /* qrls of a subjob that is not held */
    } else if (j->array && ev == JOB_EV_DELETE && j->state != JOB_FINISHED) {
        rc = array_delete (ctx, j, text);
    } else {
        rc = job_update (ctx, j, &c);
    }
    if (rc < 0) {
        if (errno == EINVAL)
            return herror_set (err, "%s", refusal);
        return herror_set (err, "cannot change the job now");
    }
    ctld_reply (ctx, rq->peer, proto_reply_ok (msg));
    return 0;
}

static int job_delete (json_t *msg, void *arg, struct herror *err)
{
    return owned_change (msg, arg, JOB_EV_DELETE, "Job deleted", "Job has finished", err);
}

static int job_hold (json_t *msg, void *arg, struct herror *err)
{
    return owned_change (msg, arg, JOB_EV_HOLD, "held", "Request invalid for state of job", err);
}

static int job_release (json_t *msg, void *arg, struct herror *err)
{
    return owned_change (msg, arg, JOB_EV_RELEASE, "released", "Request invalid for state of job",
                         err);
}

/* qsig: a signal for a running job's processes, by its owner or root. */
static int job_signal (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    struct ctld *ctx = rq->ctx;
    const char *name;
    struct herror serr = {""};
    char text[128];

    if (proto_get_string (msg, "signal", &name, err) < 0)
        return -1;
    struct ctld_job *j = jobs_owned (msg, rq, err);
    if (!j)
        return -1;
    int sig = signame_parse (name);
    if (sig < 0)
        return herror_set (err,
                           "Unknown signal %.32s (HUP INT QUIT KILL USR1 USR2 TERM CONT STOP "
                           "TSTP, or a number)",
                           name);
    /* An array's signal goes to each of its running subjobs (PBS). */
    int cursor = -1, nrunning = 0;
    struct ctld_job *s = j;
    if (j->array)
        while ((s = array_next_subjob (ctx, j, &cursor)) && s->state != JOB_RUNNING)
            ;
    if (!s || s->state != JOB_RUNNING)
        return herror_set (err, "Request invalid for state of job");
    if (ctld_store_writable (ctx, err) < 0)
        return -1;
    snprintf (text, sizeof (text), "signal %s sent by uid %d", signame_name (sig) ?: name,
              (int)peer_uid (rq->peer));
    for (; s; s = j->array ? array_next_subjob (ctx, j, &cursor) : NULL) {
        if (s->state != JOB_RUNNING)
            continue;
        if (store_event_add (ctx->store, s->seq, ctld_now(), text, &serr) < 0)
            log_msg (LOG_LEVEL_ERROR, "job %lld: cannot store: %s", (long long)s->seq, serr.text);
        job_send_signal (ctx, s, sig);
        nrunning++;
    }
    ctld_dirty (ctx);
    log_msg (LOG_LEVEL_INFO, "job %lld%s: %s (%d job%s)", (long long)j->seq, j->array ? "[]" : "",
             text, nrunning, nrunning == 1 ? "" : "s");
    ctld_reply (ctx, rq->peer, proto_reply_ok (msg));
    return 0;
}

static int add_event (int64_t seq, int64_t t, const char *text, void *arg)
{
    (void)seq;
    return json_array_append_new (arg,
                                  json_pack ("{s:I, s:s}", "time", (json_int_t)t, "text", text));
}

/* tracejob: a job's history (the audit events), for its owner or root. */
static int job_events (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    int64_t index;
    struct ctld_job *j = owned_target (msg, rq, &index, err);
    char id[96];
    if (!j)
        return -1;
    /* a subjob that is no job (finished, pending) keeps its history too */
    int64_t seq = index >= 0 ? jobspec_subjob_seq (j->seq, index) : j->seq;
    if (index >= 0)
        snprintf (id, sizeof (id), "%lld[%lld].%s", (long long)j->seq, (long long)index,
                  rq->ctx->cfg.server_name);
    else
        job_id (rq->ctx, j, id, sizeof (id));
    json_t *events = json_array(), *reply = NULL;
    if (!events)
        return herror_set (err, "out of memory");
    if (store_events_for (rq->ctx->store, seq, add_event, events, err) < 0) {
        json_decref (events);
        return -1;
    }
    if (!(reply = proto_reply_ok (msg))) {
        json_decref (events);
        return herror_set (err, "out of memory");
    }
    json_object_set_new (reply, "jobid", json_string (id));
    json_object_set_new (reply, "events", events);
    ctld_reply (rq->ctx, rq->peer, reply);
    return 0;
}

/* qrerun: an administrator kills a running job's run to queue it again
 * (a job submitted -r n only with "force", as PBS's -W force); the job
 * stays R until its first node reports the end, which then requeues it
 * (job_ended).  The wish is stored ("rerun" in the job object, committed
 * with the request's event before the kill goes out): a controller
 * restarted meanwhile still requeues the job when the end comes, and the
 * node's registration is sent the kill again (jobs_node_register). */
static int job_rerun (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    struct ctld *ctx = rq->ctx;
    bool force = false;
    struct herror serr = {""};
    char text[96];

    if (proto_opt_bool (msg, "force", &force, err) < 0)
        return -1;
    struct ctld_job *j = jobs_owned (msg, rq, err);
    if (!j)
        return -1;
    if (!ctld_privileged (ctx, peer_uid (rq->peer)))
        return herror_set (err, "Unauthorized Request");
    if (j->state != JOB_RUNNING || j->deleted)
        return herror_set (err, "Request invalid for state of job");
    if (!j->rerunnable && !force)
        return herror_set (err, "Job is not rerunnable");
    if (ctld_store_writable (ctx, err) < 0)
        return -1;
    snprintf (text, sizeof (text), "rerun requested by uid %d", (int)peer_uid (rq->peer));
    if (store_event_add (ctx->store, j->seq, ctld_now(), text, &serr) < 0)
        log_msg (LOG_LEVEL_ERROR, "job %lld: cannot store: %s", (long long)j->seq, serr.text);
    j->rerun = true;
    job_set (j, "rerun", json_true());
    (void)job_store (ctx, j);
    job_send_kill (ctx, j, NULL);
    log_msg (LOG_LEVEL_INFO, "job %lld: %s", (long long)j->seq, text);
    ctld_reply (ctx, rq->peer, proto_reply_ok (msg));
    return 0;
}

/* qorder: two waiting jobs exchange their places among the jobs of their
 * priority (the pass orders by priority first, as PBS's scheduler sorts
 * by it, so jobs of different priorities keep that order).  Both must be
 * the caller's (or root's) and waiting. */
static int job_order (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    struct ctld *ctx = rq->ctx;
    json_t *seqs;
    struct ctld_job *j[2];

    if (proto_get_array (msg, "seqs", &seqs, err) < 0)
        return -1;
    if (json_array_size (seqs) != 2)
        return herror_set (err, "message job.order: \"seqs\" must name two jobs");
    for (int k = 0; k < 2; k++) {
        json_t *one = json_pack ("{s:O}", "seq", json_array_get (seqs, k));
        if (!one)
            return herror_set (err, "out of memory");
        j[k] = jobs_owned (one, rq, err);
        json_decref (one);
        if (!j[k])
            return -1;
        if (j[k]->state != JOB_QUEUED && j[k]->state != JOB_HELD)
            return herror_set (err, "Request invalid for state of job");
    }
    if (ctld_store_writable (ctx, err) < 0)
        return -1;
    int64_t r0 = j[0]->rank ? j[0]->rank : j[0]->seq, r1 = j[1]->rank ? j[1]->rank : j[1]->seq;
    j[0]->rank = r1;
    j[1]->rank = r0;
    for (int k = 0; k < 2; k++) {
        job_set (j[k], "queue_rank", json_integer (j[k]->rank));
        (void)job_store (ctx, j[k]);
        (void)sched_queue_set_rank_of (ctx, j[k]);
    }
    sched_request (ctx);
    ctld_reply (ctx, rq->peer, proto_reply_ok (msg));
    return 0;
}

/* qalter and qmove: MEMBERS (stolen) of the job object change in one
 * job_update (JOB_EV_ALTER), recorded in the job's history (tracejob) as
 * WHAT by the caller. */
static int alter_commit (json_t *msg, struct request *rq, struct ctld_job *j, json_t *members,
                         const char *what, struct herror *err)
{
    char text[900];
    snprintf (text, sizeof (text), "%.800s by uid %d", what, (int)peer_uid (rq->peer));
    struct job_change c = {.ev = JOB_EV_ALTER, .text = text, .members = members};
    if (job_update (rq->ctx, j, &c) < 0)
        return herror_set (err, "%s",
                           errno == EINVAL ? "Request invalid for state of job"
                                           : "cannot change the job now");
    log_msg (LOG_LEVEL_INFO, "job %lld: %s", (long long)j->seq, text);
    ctld_reply (rq->ctx, rq->peer, proto_reply_ok (msg));
    return 0;
}

/* qmove: a waiting job into another queue, whose limits it must meet as a
 * job submitted there (its walltime, resolved at submit, is kept). */
static int job_move (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    struct ctld *ctx = rq->ctx;
    const char *queue;
    char what[200];

    if (proto_get_string (msg, "queue", &queue, err) < 0)
        return -1;
    int qi = queues_resolve (ctx, queue, err);
    if (qi < 0)
        return -1;
    struct ctld_job *j = jobs_owned (msg, rq, err);
    if (!j || ctld_store_writable (ctx, err) < 0)
        return -1;
    if (j->state != JOB_QUEUED && j->state != JOB_HELD)
        return herror_set (err, "Request invalid for state of job");
    const struct queue_conf *q = queues_get (ctx->cfg.queues, qi);
    if (!q->enabled)
        return herror_set (err, "Queue is not enabled");
    if (queues_check_walltime (ctx, qi, j->res.walltime, err) < 0)
        return -1;
    if (qi == j->queue) {
        ctld_reply (ctx, rq->peer, proto_reply_ok (msg));
        return 0;
    }
    const char *from = json_string_value (json_object_get (job_obj (j), "queue"));
    snprintf (what, sizeof (what), "moved from queue %s to queue %s", from ? from : "?", q->name);
    json_t *members = json_pack ("{s:s}", "queue", q->name);
    if (!members)
        return herror_set (err, "out of memory");
    return alter_commit (msg, rq, j, members, what, err);
}

/* qalter -l select: the job's chunks as SELECT gives them, checked as
 * job.submit checks a request, coded by the job object's codec into
 * MEMBERS' "chunks". */
static int alter_select (struct ctld *ctx, struct ctld_job *j, const char *select, json_t *members,
                         struct herror *err)
{
    struct herror why = {""};
    json_t *obj = job_obj_copy (j); /* the job may be packed: it stays so */
    if (!obj)
        return herror_set (err, "out of memory");
    struct jobspec *spec = job_decode (obj, err);
    json_decref (obj);
    if (!spec)
        return -1;
    int rc = -1;
    if (pbs_select_parse (select, &spec->res, &why) < 0 ||
        pbs_resreq_check (&spec->res, &why) < 0 ||
        labels_check_request (ctx->cfg.node_labels, &spec->res, &why) < 0) {
        herror_set (err, "Illegal attribute or resource value select (%s)", why.text);
    } else {
        json_t *o = jobspec_job_to_json (spec);
        json_t *chunks = json_object_get (o, "chunks");
        rc = chunks ? json_object_set (members, "chunks", chunks)
                    : herror_set (err, "out of memory");
        json_decref (o);
    }
    jobspec_destroy (spec);
    return rc;
}

/* qalter: -N, -p, -a, -l walltime, -l select of a job of its owner (or root).
 * A waiting job takes them all, within its queue's limits; a running one,
 * as PBS allows (ATR_DFLAG_ALTRUN), its name, priority and walltime (below),
 * not its select or execution time. */
static int job_alter (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    struct ctld *ctx = rq->ctx;
    int64_t walltime = 0, priority = 0, when = 0;
    const char *select = NULL, *name = NULL;
    int has_walltime, has_priority, has_when;
    char what[700] = "altered:", hms[32];
    struct herror why = {""};

    if ((has_walltime = proto_opt_int (msg, "walltime", &walltime, err)) < 0 ||
        (has_priority = proto_opt_int (msg, "priority", &priority, err)) < 0 ||
        (has_when = proto_opt_int (msg, "execution_time", &when, err)) < 0 ||
        proto_opt_string (msg, "select", &select, err) < 0 ||
        proto_opt_string (msg, "name", &name, err) < 0)
        return -1;
    struct ctld_job *j = jobs_owned (msg, rq, err);
    if (!j || ctld_store_writable (ctx, err) < 0)
        return -1;
    if (j->state != JOB_QUEUED && j->state != JOB_HELD && j->state != JOB_RUNNING)
        return herror_set (err, "Request invalid for state of job");
    if (j->state == JOB_RUNNING && (select || has_when))
        return herror_set (err, "Cannot modify attribute while job running");
    /* A running job's walltime, as PBS has it: its owner may lower it,
     * root or the service user may also raise it.  Its nodes' shepherds
     * are told (job.walltime); a job already past it is killed. */
    if (j->state == JOB_RUNNING && has_walltime && walltime > j->res.walltime &&
        j->res.walltime > 0 && !ctld_privileged (ctx, peer_uid (rq->peer)))
        return herror_set (err, "Unauthorized Request (only root may raise a running job's "
                                "walltime)");
    if (!has_walltime && !has_priority && !select && !name && !has_when)
        return herror_set (err, "message job.alter: nothing to change");
    if (has_when && (when < 1 || when > INT64_MAX / 2))
        return herror_set (err, "Illegal attribute or resource value Execution_Time");
    if (name && jobspec_check_name (name, &why) < 0)
        return herror_set (err, "Illegal attribute or resource value Job_Name (%s)", why.text);
    if (has_priority && (priority < JOBSPEC_PRIORITY_MIN || priority > JOBSPEC_PRIORITY_MAX))
        return herror_set (err,
                           "Illegal attribute or resource value Priority (a number from %d to "
                           "%d)",
                           JOBSPEC_PRIORITY_MIN, JOBSPEC_PRIORITY_MAX);
    if (has_walltime && (walltime < 1 || walltime > RESREQ_MAX_WALLTIME))
        return herror_set (err, "Illegal attribute or resource value walltime");
    if (has_walltime && queues_check_walltime (ctx, j->queue, walltime, err) < 0)
        return -1;
    json_t *members = json_object();
    if (!members)
        return herror_set (err, "out of memory");
    if (select && alter_select (ctx, j, select, members, err) < 0) {
        json_decref (members);
        return -1;
    }
    if (name) {
        json_object_set_new (members, "name", json_string (name));
        snprintf (what + strlen (what), sizeof (what) - strlen (what), " Job_Name=%.240s", name);
    }
    if (has_priority) {
        json_object_set_new (members, "priority", json_integer (priority));
        snprintf (what + strlen (what), sizeof (what) - strlen (what), " Priority=%d",
                  (int)priority);
    }
    if (has_walltime) {
        json_object_set_new (members, "walltime", json_integer (walltime));
        if (j->state == JOB_RUNNING)
            json_object_set_new (members, "walltime_altered", json_true());
        snprintf (what + strlen (what), sizeof (what) - strlen (what), " Resource_List.walltime=%s",
                  pbs_format_walltime (walltime, hms, sizeof (hms)));
    }
    if (select)
        snprintf (what + strlen (what), sizeof (what) - strlen (what),
                  " Resource_List.select=%.300s", select);
    if (has_when) {
        /* the queue holds the job until then (schedule.c, deferred jobs) */
        json_object_set_new (members, "execution_time", json_integer (when));
        snprintf (what + strlen (what), sizeof (what) - strlen (what), " Execution_Time=%lld",
                  (long long)when);
    }
    if (alter_commit (msg, rq, j, members, what, err) < 0)
        return -1;
    if (has_walltime && j->state == JOB_RUNNING)
        job_send_walltime (ctx, j);
    return 0;
}

/* ------------------------------------------------------------ from agents */

/* The job an agent talks about, if that agent's node has a part in its
 * current run (sister: any node of the allocation; else the first, whose
 * script decides how the job ends); NULL for results of an earlier run,
 * of a job that moved on, or of one the controller no longer knows: those
 * are acknowledged and ignored. */
static struct ctld_job *agent_job_on (struct request *rq, json_t *msg, int64_t seq, bool sister)
{
    struct ctld_job *j = jobs_find (rq->ctx, seq);
    const char *node = peer_agent_node (rq->peer);
    const char *first = j ? job_first_node (j) : NULL;
    int64_t run_count = -1;

    if (!j || !job_state_active (j->state) || !node || !first)
        return NULL;
    if (sister ? !job_uses_node (j, node) : strcmp (first, node) != 0)
        return NULL;
    if (proto_opt_int (msg, "run_count", &run_count, NULL) == 1 && run_count != j->run_count)
        return NULL;
    return j;
}

static struct ctld_job *agent_job (struct request *rq, json_t *msg, int64_t seq)
{
    return agent_job_on (rq, msg, seq, false);
}

static int job_ended (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    struct ctld *ctx = rq->ctx;
    int64_t seq, status, start_time, end_time, maxrss = 0, run_count = 0;
    double stime = 0, utime = 0;
    const char *note = NULL, *reason = NULL;

    if (get_seq (msg, &seq, err) < 0 ||
        proto_get_int_range (msg, "exit_status", INT32_MIN, INT32_MAX, &status, err) < 0 ||
        proto_get_int (msg, "start_time", &start_time, err) < 0 ||
        proto_get_int (msg, "end_time", &end_time, err) < 0 ||
        proto_opt_real (msg, "stime", &stime, err) < 0 ||
        proto_opt_real (msg, "utime", &utime, err) < 0 ||
        proto_opt_int (msg, "maxrss_kb", &maxrss, err) < 0 ||
        proto_opt_int (msg, "run_count", &run_count, err) < 0 ||
        proto_opt_string (msg, "comment", &note, err) < 0 ||
        proto_opt_string (msg, "reason", &reason, err) < 0)
        return -1;
    if (stime < 0 || utime < 0 || stime + utime > 1e12 || maxrss < 0 || start_time < 0 ||
        end_time < 0)
        return herror_set (err, "message job.ended: resource use or times out of range");
    /* Before registration the agent's jobs are not reconciled yet: an ack
     * now would let it forget a result the controller cannot place. */
    if (!peer_agent_node (rq->peer))
        return herror_set (err, "job.ended before node.register: register first");
    /* A sister's end decides nothing (the script's node reports the job's
     * end, and a silent node goes down), unless it could not set up its
     * part: then the run cannot work, and it is retried as when the
     * script's node could not start it. */
    struct ctld_job *j = agent_job_on (rq, msg, seq, status == JOB_EXIT_RETRY);
    if (j && status == JOB_EXIT_RETRY && !j->deleted) {
        char why[480];
        snprintf (why, sizeof (why), "could not start on %s%s%.300s%s, will retry",
                  peer_agent_node (rq->peer), note && note[0] ? " (" : "", note ? note : "",
                  note && note[0] ? ")" : "");
        struct job_change c = {.ev = JOB_EV_RETRY, .text = why, .from = peer_agent_node (rq->peer)};
        job_update (ctx, j, &c);
    } else if (j && reason && strcmp (reason, "fenced") == 0) {
        /* Its agent lost the controller for longer than job_lease and
         * killed it (agent/lease.h): lost, as if its node had gone down. */
        char why[160];
        snprintf (why, sizeof (why),
                  "killed on %s, which had not heard from the controller "
                  "for job_lease (fenced)",
                  peer_agent_node (rq->peer));
        struct job_change c = {.ev = JOB_EV_LOST, .text = why, .from = peer_agent_node (rq->peer)};
        job_update (ctx, j, &c);
    } else if (j && j->rerun && !j->deleted) {
        /* the run qrerun killed is over: the job queues again */
        j->rerun = false;
        struct job_change c = {
            .ev = JOB_EV_RERUN, .text = "rerun (qrerun)", .from = peer_agent_node (rq->peer)};
        job_update (ctx, j, &c);
    } else if (j) {
        char event[64];
        int64_t wall = end_time > start_time ? end_time - start_time : 0;
        snprintf (event, sizeof (event), "ended with status %d", (int)status);
        /* The agent says why a job ended other than by itself (walltime,
         * could not start): that is what the user needs in qstat -f. */
        char comment[1024];
        snprintf (comment, sizeof (comment), "%.1000s",
                  note && note[0] ? note : "Job run and finished");
        struct job_change c = {
            .ev = JOB_EV_ENDED,
            .from = peer_agent_node (rq->peer),
            .text = event,
            .comment = j->deleted ? NULL : comment,
            .exit_status = (int)status,
            .members = json_pack ("{s:{s:I, s:I, s:I}}", "resources_used", "cput",
                                  (json_int_t)(stime + utime + 0.5), "walltime", (json_int_t)wall,
                                  "mem_kb", (json_int_t)maxrss),
        };
        job_update (ctx, j, &c);
    } else {
        log_msg (LOG_LEVEL_DEBUG, "job.ended for %lld from %s: not its current run, ignored",
                 (long long)seq, peer_addr (rq->peer));
    }
    json_t *reply = proto_reply_ok (msg);
    if (reply)
        json_object_set_new (reply, "seq", json_integer (seq));
    ctld_reply (ctx, rq->peer, reply);
    return 0;
}

/* The first node's job.launch.ok says how the job's process started
 * (session_id, jobdir, output_file, error_file): kept in the job object,
 * and so in the store, for qstat -f and qmsg. */
static int job_launch_ok (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    int64_t seq, session = 0;
    const char *dir = NULL, *out = NULL, *errf = NULL;
    if (get_seq (msg, &seq, err) < 0 || proto_opt_int (msg, "session_id", &session, err) < 0 ||
        proto_opt_string (msg, "jobdir", &dir, err) < 0 ||
        proto_opt_string (msg, "output_file", &out, err) < 0 ||
        proto_opt_string (msg, "error_file", &errf, err) < 0)
        return -1;
    if (session < 0 || session > INT32_MAX)
        return herror_set (err, "message job.launch.ok: member \"session_id\" out of range");
    if ((dir && strlen (dir) >= JOB_PATH_MAX) || (out && strlen (out) >= JOB_PATH_MAX) ||
        (errf && strlen (errf) >= JOB_PATH_MAX))
        return herror_set (err, "message job.launch.ok: a path is longer than %d bytes",
                           JOB_PATH_MAX - 1);
    struct ctld_job *j = agent_job (rq, msg, seq);
    if (!j)
        return 0;
    log_msg (LOG_LEVEL_DEBUG, "job %lld launched on %s (session %lld)", (long long)seq,
             peer_agent_node (rq->peer), (long long)session);
    if (session > 0 && j->state == JOB_RUNNING) {
        job_set_started (j, msg);
        (void)job_store (rq->ctx, j);
    }
    return 0;
}

static int job_launch_failed (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    int64_t seq;
    const char *why;
    char text[600];

    if (get_seq (msg, &seq, err) < 0 || proto_get_string (msg, "error", &why, err) < 0)
        return -1;
    /* A sister that cannot join fails the run as the first node would. */
    struct ctld_job *j = agent_job_on (rq, msg, seq, true);
    if (!j)
        return 0;
    snprintf (text, sizeof (text), "Job could not start on %s: %.500s", peer_agent_node (rq->peer),
              why);
    struct job_change c = {.ev = JOB_EV_ENDED,
                           .from = peer_agent_node (rq->peer),
                           .text = text,
                           .comment = text,
                           .exit_status = JOB_EXIT_LAUNCH_FAILED};
    job_update (rq->ctx, j, &c);
    return 0;
}

/* An agent's error reply to one of our orders: nothing to answer. */
static int agent_error (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    const char *text = json_string_value (json_object_get (msg, "error"));
    log_msg (LOG_LEVEL_WARN, "agent %s: error: %s", peer_addr (rq->peer), text ? text : "?");
    return 0;
}

const struct proto_handler jobs_client_handlers[] = {
    {"job.submit", job_submit},
    {"job.query", job_query},
    {"job.delete", job_delete},
    {"job.hold", job_hold},
    {"job.release", job_release},
    {"job.signal", job_signal},
    {"job.events", job_events},
    {"job.move", job_move},
    {"job.alter", job_alter},
    {"queue.query", queues_query},
    {"server.query", queues_server_query},
    {"job.rerun", job_rerun},
    {"job.order", job_order},
    {NULL, NULL},
};

const struct proto_handler jobs_agent_handlers[] = {
    {"job.ended", job_ended},
    {"job.launch.ok", job_launch_ok},
    {"job.launch.failed", job_launch_failed},
    {"error", agent_error},
    {NULL, NULL},
};
