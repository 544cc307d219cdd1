/* pgroups.c - placement groups (qpg): kept, persisted, listed
 *
 * A placement group is a name jobs ask for with "-l pgroup=NAME" and a
 * strategy (cluster, spread, partition with K partitions) the scheduler
 * applies to the group's jobs together.  The controller keeps every group
 * in memory (one JSON object per group, name -> object) and in the store
 * (store_pgroup_put), so a group outlives a restart whether or not jobs
 * use it.
 *
 * Who may: any user creates a group (it names a wish about where the
 * user's own jobs go, and costs nothing while unused); only its owner or
 * an administrator (root, the service user) deletes it, and never while a
 * job that is not finished names it, so a queued job never finds its group
 * gone.
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/log.h"
#include "common/pbs_resources.h"
#include "common/proto.h"
#include "scheduler/core/pgroup.h"
#include "scheduler/ctld/ctld.h"
#include "scheduler/ctld/job.h"
#include "scheduler/ctld/store.h"

#define PGROUP_DEFAULT_PART 2

static int load_one (const char *name, json_t *group, void *arg)
{
    struct ctld *ctx = arg;
    if (sched_pgroup_set (ctx, group) < 0) {
        log_msg (LOG_LEVEL_ERROR, "stored placement group %s: %s: skipped", name,
                 errno == EINVAL ? "malformed" : strerror (errno));
        return errno == EINVAL ? 0 : -1;
    }
    return json_object_set (ctx->pgroups, name, group);
}

int pgroups_create (struct ctld *ctx, struct herror *err)
{
    if (!(ctx->pgroups = json_object()))
        return herror_set (err, "out of memory");
    int n = store_load_pgroups (ctx->store, load_one, ctx, err);
    if (n < 0)
        return -1;
    if (n > 0)
        log_msg (LOG_LEVEL_INFO, "loaded %d placement groups", n);
    return 0;
}

void pgroups_destroy (struct ctld *ctx)
{
    json_decref (ctx->pgroups);
    ctx->pgroups = NULL;
}

const json_t *pgroups_find (struct ctld *ctx, const char *name)
{
    return ctx->pgroups && name ? json_object_get (ctx->pgroups, name) : NULL;
}

/* Whether J keeps group NAME alive: not finished, and names it. */
static bool job_in_group (const struct ctld_job *j, const char *name)
{
    return j->state != JOB_FINISHED && strcmp (j->res.pgroup, name) == 0;
}

/* The first job that keeps group NAME alive, NULL when none does. */
static struct ctld_job *group_user (struct ctld *ctx, const char *name)
{
    for (int i = 0; i < jobs_count (ctx); i++) {
        if (job_in_group (jobs_at (ctx, i), name))
            return jobs_at (ctx, i);
    }
    return NULL;
}

static int pgroup_create (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    struct ctld *ctx = rq->ctx;
    const char *name, *strategy;
    int64_t parts = 0;
    struct herror serr = {""};

    if (proto_get_string (msg, "name", &name, err) < 0 ||
        proto_get_string (msg, "strategy", &strategy, err) < 0 ||
        proto_opt_int (msg, "partitions", &parts, err) < 0)
        return -1;
    if (!pbs_pgroup_name_valid (name))
        return herror_set (err,
                           "illegal placement group name \"%.64s\" (letters, digits, '_', '-', "
                           "'.'; at most %d)",
                           name, RESREQ_PGROUP_MAX);
    if (sched_pg_strategy_parse (strategy) < 0)
        return herror_set (err, "unknown strategy \"%.32s\" (cluster, spread or partition)",
                           strategy);
    bool partition = sched_pg_strategy_parse (strategy) == SCHED_PG_PARTITION;
    if (json_object_get (msg, "partitions") && !partition)
        return herror_set (err, "partitions is only for the partition strategy");
    if (partition && parts == 0)
        parts = PGROUP_DEFAULT_PART;
    if (partition && (parts < 1 || parts > SCHED_PG_MAX_PARTITIONS))
        return herror_set (err, "partitions must be 1 to %d", SCHED_PG_MAX_PARTITIONS);
    if (pgroups_find (ctx, name))
        return herror_set (err, "placement group %s already exists", name);
    if (ctld_store_writable (ctx, err) < 0)
        return -1;
    struct passwd *pw = getpwuid (peer_uid (rq->peer));
    json_t *g = json_pack ("{s:s, s:s, s:I, s:s, s:I}", "name", name, "strategy", strategy, "uid",
                           (json_int_t)peer_uid (rq->peer), "owner", pw ? pw->pw_name : "", "ctime",
                           (json_int_t)ctld_now());
    if (g && partition)
        json_object_set_new (g, "partitions", json_integer (parts));
    if (!g || sched_pgroup_set (ctx, g) < 0 || json_object_set (ctx->pgroups, name, g) < 0) {
        json_decref (g);
        return errno == ENOSPC
                   ? herror_set (err, "too many placement groups (at most %d)", SCHED_PG_MAX_GROUPS)
                   : herror_set (err, "out of memory");
    }
    if (store_pgroup_put (ctx->store, g, &serr) < 0)
        log_msg (LOG_LEVEL_ERROR, "placement group %s: cannot store: %s", name, serr.text);
    json_decref (g);
    ctld_dirty (ctx);
    log_msg (LOG_LEVEL_INFO, "placement group %s (%s) created by uid %d", name, strategy,
             (int)peer_uid (rq->peer));
    ctld_reply (ctx, rq->peer, proto_reply_ok (msg));
    return 0;
}

static int pgroup_delete (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    struct ctld *ctx = rq->ctx;
    const char *name;
    struct herror serr = {""};
    char id[64];

    if (proto_get_string (msg, "name", &name, err) < 0)
        return -1;
    const json_t *g = pgroups_find (ctx, name);
    if (!g)
        return herror_set (err, "Unknown placement group %.64s", name);
    uid_t uid = peer_uid (rq->peer);
    if (!ctld_privileged (ctx, uid) &&
        json_integer_value (json_object_get (g, "uid")) != (json_int_t)uid)
        return herror_set (err, "Unauthorized Request");
    struct ctld_job *j = group_user (ctx, name);
    if (j)
        return herror_set (err, "placement group %s is in use by job %s", name,
                           job_id (ctx, j, id, sizeof (id)));
    if (ctld_store_writable (ctx, err) < 0)
        return -1;
    if (store_pgroup_delete (ctx->store, name, &serr) < 0)
        log_msg (LOG_LEVEL_ERROR, "placement group %s: cannot delete: %s", name, serr.text);
    log_msg (LOG_LEVEL_INFO, "placement group %s deleted by uid %d", name, (int)uid);
    json_object_del (ctx->pgroups, name);
    sched_pgroup_remove (ctx, name);
    ctld_dirty (ctx);
    ctld_reply (ctx, rq->peer, proto_reply_ok (msg));
    return 0;
}

static int pgroup_list (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    struct ctld *ctx = rq->ctx;
    json_t *reply = proto_reply_ok (msg), *list = json_array();
    const char *name;
    json_t *g;

    if (!reply || !list) {
        json_decref (reply);
        json_decref (list);
        return herror_set (err, "out of memory");
    }
    json_object_foreach (ctx->pgroups, name, g)
    {
        json_t *o = json_deep_copy (g);
        int njobs = 0;
        for (int i = 0; o && i < jobs_count (ctx); i++)
            njobs += job_in_group (jobs_at (ctx, i), name);
        if (o)
            json_object_set_new (o, "jobs", json_integer (njobs));
        json_array_append_new (list, o);
    }
    json_object_set_new (reply, "pgroups", list);
    ctld_reply (ctx, rq->peer, reply);
    return 0;
}

const struct proto_handler pgroups_client_handlers[] = {
    {"pgroup.create", pgroup_create},
    {"pgroup.list", pgroup_list},
    {"pgroup.delete", pgroup_delete},
    {NULL, NULL},
};
