/* jobs.c - huddle-ctld's job table and job lifecycle
 *
 * Jobs live in an array sorted by seq (sequence numbers only grow, so a
 * submit appends and a lookup is a binary search).  The messages that act on
 * jobs are in jobmsg.c; this file holds job_update(), the one path every
 * change of a job takes (job.h), what the other subsystems ask of it (node
 * loss, the fence, the reconciliation of an agent's registration, which is
 * what keeps a job from running twice across a controller or agent
 * restart) and the reload at start-up.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/jobspec.h"
#include "common/log.h"
#include "scheduler/ctld/convert.h"
#include "scheduler/ctld/ctld_fabric.h"
#include "scheduler/ctld/job.h"
#include "scheduler/ctld/nodestate.h"
#include "scheduler/ctld/queues.h"
#include "scheduler/ctld/store.h"

struct user_usage {
    uid_t uid;
    struct jobs_usage u;
};

struct jobs {
    struct ctld_job **v; /* sorted by job_order(): seq, an array's subjobs after it */
    int n, cap;
    int finished_subjobs;     /* subjobs F in the table, for arrays_retire */
    json_t *user_names;       /* uid (decimal) -> user name, filled on first use */
    json_t *group_names;      /* gid (decimal) -> group name or null, the same */
    json_t *dependents;       /* seq (decimal) -> [seqs of the jobs held on its outcome] */
    struct user_usage *users; /* one per uid with unfinished jobs or once had */
    int nusers, capusers;
};

/* ------------------------------------------------------------------ table */

int jobs_create (struct ctld *ctx)
{
    ctx->jobs = calloc (1, sizeof (*ctx->jobs));
    if (!ctx->jobs)
        return -1;
    return 0;
}

void job_free (struct ctld_job *j)
{
    if (!j)
        return;
    json_decref (j->obj);
    free (j->packed);
    free (j->dump);
    array_free (j->array);
    resreq_clear (&j->res);
    sched_alloc_destroy (j->alloc);
    free (j->queue_comment);
    free (j->deps);
    json_decref (j->est_alloc);
    free (j);
}

void jobs_destroy (struct ctld *ctx)
{
    struct jobs *js = ctx->jobs;
    if (!js)
        return;
    for (int i = 0; i < js->n; i++)
        job_free (js->v[i]);
    free (js->v);
    free (js->users);
    json_decref (js->user_names);
    json_decref (js->group_names);
    json_decref (js->dependents);
    free (js);
    ctx->jobs = NULL;
}

/* Each submit names its owner and group; looking them up in the password
 * and group databases every time would block the loop on NSS (LDAP, sssd)
 * per submit.  *cache maps the id (as text) to the name lookup() gives;
 * an id the database does not know to its number (by_number) or to null. */
static const char *cached_name (json_t **cache, unsigned long id,
                                const char *(*lookup) (unsigned long id), bool by_number)
{
    char key[32];
    snprintf (key, sizeof (key), "%lu", id);
    if (!*cache && !(*cache = json_object()))
        return NULL;
    json_t *known = json_object_get (*cache, key);
    if (known)
        return json_string_value (known);
    const char *name = lookup (id);
    if (!name && by_number)
        name = key;
    json_object_set_new (*cache, key, name ? json_string (name) : json_null());
    return json_string_value (json_object_get (*cache, key));
}

static const char *user_lookup (unsigned long uid)
{
    struct passwd *pw = getpwuid ((uid_t)uid);
    return pw ? pw->pw_name : NULL;
}

static const char *group_lookup (unsigned long gid)
{
    struct group *gr = getgrgid ((gid_t)gid);
    return gr ? gr->gr_name : NULL;
}

const char *jobs_user_name_ref (struct ctld *ctx, uid_t uid)
{
    return cached_name (&ctx->jobs->user_names, (unsigned long)uid, user_lookup, true);
}

const char *jobs_group_name_ref (struct ctld *ctx, gid_t gid)
{
    return cached_name (&ctx->jobs->group_names, (unsigned long)gid, group_lookup, false);
}

char *jobs_user_name (struct ctld *ctx, uid_t uid)
{
    const char *name = jobs_user_name_ref (ctx, uid);
    return name ? strdup (name) : NULL;
}

/* Users are few next to jobs; a linear search per submit is cheap.  NULL
 * only when a new entry cannot be allocated. */
static struct jobs_usage *usage_of (struct jobs *js, uid_t uid)
{
    for (int i = 0; i < js->nusers; i++) {
        if (js->users[i].uid == uid)
            return &js->users[i].u;
    }
    if (js->nusers == js->capusers) {
        int cap = js->capusers ? 2 * js->capusers : 16;
        struct user_usage *v = realloc (js->users, cap * sizeof (*v));
        if (!v)
            return NULL;
        js->users = v;
        js->capusers = cap;
    }
    js->users[js->nusers] = (struct user_usage){.uid = uid};
    return &js->users[js->nusers++].u;
}

/* An array counts once, with its script: its subjobs are not counted. */
static void usage_count (struct ctld *ctx, const struct ctld_job *j, int sign)
{
    if (jobspec_is_subjob_seq (j->seq))
        return;
    struct jobs_usage *u = usage_of (ctx->jobs, j->uid);
    if (u) {
        u->jobs += sign;
        u->script_bytes += sign * j->script_bytes;
    }
}

void jobs_usage (struct ctld *ctx, uid_t uid, struct jobs_usage *u)
{
    struct jobs_usage *have = usage_of (ctx->jobs, uid);
    *u = have ? *have : (struct jobs_usage){0};
}

json_t *jobs_dependents (struct ctld *ctx)
{
    struct jobs *js = ctx->jobs;
    if (!js->dependents)
        js->dependents = json_object();
    return js->dependents;
}

int jobs_count (struct ctld *ctx)
{
    return ctx->jobs->n;
}

struct ctld_job *jobs_at (struct ctld *ctx, int i)
{
    return ctx->jobs->v[i];
}

/* Where a seq sorts in the table: jobs by seq, the subjobs of an array
 * right after it, by index (what qstat -t lists). */
static int64_t job_order (int64_t seq)
{
    if (seq < 1) /* no job's (a lookup of "none", -1): before every job */
        return seq;
    if (jobspec_is_subjob_seq (seq))
        return (jobspec_subjob_base (seq) << 25) | (jobspec_subjob_index (seq) + 1);
    return seq << 25;
}

int jobs_index_after (struct ctld *ctx, int64_t seq)
{
    struct jobs *js = ctx->jobs;
    int64_t key = job_order (seq);
    int lo = 0, hi = js->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (job_order (js->v[mid]->seq) <= key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct ctld_job *jobs_find (struct ctld *ctx, int64_t seq)
{
    struct jobs *js = ctx->jobs;
    int i = jobs_index_after (ctx, seq);
    return i > 0 && js->v[i - 1]->seq == seq ? js->v[i - 1] : NULL;
}

int jobs_insert (struct ctld *ctx, struct ctld_job *j)
{
    struct jobs *js = ctx->jobs;
    int at = js->n;
    if (jobspec_is_subjob_seq (j->seq)) {
        at = jobs_index_after (ctx, j->seq);
        if (at > 0 && js->v[at - 1]->seq == j->seq) {
            errno = EEXIST;
            return -1;
        }
    } else if (js->n > 0 && job_order (js->v[js->n - 1]->seq) >= job_order (j->seq)) {
        errno = EINVAL;
        return -1;
    }
    if (js->n == js->cap) {
        int cap = js->cap ? 2 * js->cap : 256;
        struct ctld_job **v = realloc (js->v, cap * sizeof (*v));
        if (!v)
            return -1;
        js->v = v;
        js->cap = cap;
    }
    memmove (js->v + at + 1, js->v + at, (size_t)(js->n - at) * sizeof (*js->v));
    js->v[at] = j;
    js->n++;
    if (j->state != JOB_FINISHED)
        usage_count (ctx, j, +1);
    return 0;
}

void jobs_remove_finished_subjobs (struct ctld *ctx,
                                   void (*retire) (struct ctld *, struct ctld_job *))
{
    struct jobs *js = ctx->jobs;
    if (js->finished_subjobs == 0)
        return;
    int k = 0, n = js->n;
    struct ctld_job **gone = calloc ((size_t)js->finished_subjobs, sizeof (*gone));
    int ngone = 0;
    if (!gone)
        return; /* the next pass tries again */
    for (int i = 0; i < n; i++) {
        struct ctld_job *j = js->v[i];
        if (j->parent && j->state == JOB_FINISHED && ngone < js->finished_subjobs)
            gone[ngone++] = j;
        else
            js->v[k++] = j;
    }
    js->n = k;
    js->finished_subjobs = 0;
    /* after the table is whole again: retire() may finish the array job */
    for (int i = 0; i < ngone; i++) {
        retire (ctx, gone[i]);
        job_free (gone[i]);
    }
    free (gone);
}

void job_set_queue_comment (struct ctld_job *j, const char *comment)
{
    if (comment && j->queue_comment && strcmp (comment, j->queue_comment) == 0)
        return;
    free (j->queue_comment);
    j->queue_comment = comment ? strdup (comment) : NULL;
}

/* ---------------------------------------------------------------- helpers */

const char *job_id (struct ctld *ctx, const struct ctld_job *j, char *buf, size_t len)
{
    if (j->parent)
        snprintf (buf, len, "%lld[%lld].%s", (long long)j->parent->seq,
                  (long long)jobspec_subjob_index (j->seq), ctx->cfg.server_name);
    else
        snprintf (buf, len, j->array ? "%lld[].%s" : "%lld.%s", (long long)j->seq,
                  ctx->cfg.server_name);
    return buf;
}

const char *job_first_node (const struct ctld_job *j)
{
    if (!j->alloc || sched_alloc_nnodes (j->alloc) < 1)
        return NULL;
    return sched_alloc_node (j->alloc, 0)->name;
}

bool job_uses_node (const struct ctld_job *j, const char *name)
{
    for (int i = 0; j->alloc && i < sched_alloc_nnodes (j->alloc); i++) {
        if (strcmp (sched_alloc_node (j->alloc, i)->name, name) == 0)
            return true;
    }
    return false;
}

void job_set (struct ctld_job *j, const char *name, json_t *v)
{
    json_t *o = job_obj (j);
    if (!o)
        json_decref (v);
    else if (v)
        json_object_set_new (o, name, v);
    else
        json_object_del (o, name);
}

json_t *job_obj (struct ctld_job *j)
{
    /* whoever asks for the object may change it: the text job_put kept is
     * not known to be the object any more */
    free (j->dump);
    j->dump = NULL;
    if (!j->obj && j->packed) {
        json_error_t e;
        if ((j->obj = json_loads (j->packed, 0, &e))) {
            free (j->packed);
            j->packed = NULL;
        }
    }
    return j->obj;
}

json_t *job_obj_copy (const struct ctld_job *j)
{
    json_error_t e;
    return j->obj ? json_copy (j->obj) : j->packed ? json_loads (j->packed, 0, &e) : NULL;
}

void job_pack (struct ctld_job *j)
{
    char *text = j->dump; /* the object as job_put stored it, unchanged since */
    j->dump = NULL;
    if (!j->obj || j->array || job_state_active (j->state) || j->state == JOB_NEW) {
        free (text);
        return;
    }
    if (!text && !(text = json_dumps (j->obj, JSON_COMPACT)))
        return; /* it stays unpacked */
    json_decref (j->obj);
    j->obj = NULL;
    j->packed = text;
}

/* Put j's object into the store, encoded once: the text stays in j->dump
 * for the job_pack() that follows the change (job_obj drops it). */
static int job_put (struct ctld *ctx, struct ctld_job *j, struct herror *err)
{
    json_t *o = job_obj (j); /* drops an older text */
    if (!o || !(j->dump = json_dumps (o, JSON_COMPACT))) {
        errno = ENOMEM;
        return herror_set (err, "out of memory");
    }
    return store_job_put_text (ctx->store, o, j->dump, err);
}

/* Record the state: the object's "state", the store, the audit event. */
static int job_commit (struct ctld *ctx, struct ctld_job *j, enum job_state state,
                       const char *event)
{
    struct herror err = {""};
    char letter[2] = {job_state_letter (state), '\0'};

    enum job_state old = j->state;
    if (j->state != JOB_FINISHED && state == JOB_FINISHED)
        usage_count (ctx, j, -1);
    j->state = state;
    job_set (j, "state", json_string (letter));
    if (j->parent) {
        array_subjob_changed (ctx, j, old);
        if (old != JOB_FINISHED && state == JOB_FINISHED)
            ctx->jobs->finished_subjobs++;
    }
    if (job_put (ctx, j, &err) < 0 ||
        (event && store_event_add (ctx->store, j->seq, ctld_now(), event, &err) < 0)) {
        log_msg (LOG_LEVEL_ERROR, "job %lld: cannot store: %s", (long long)j->seq, err.text);
        ctld_dirty (ctx);
        return -1;
    }
    ctld_dirty (ctx);
    return 0;
}

int job_store (struct ctld *ctx, struct ctld_job *j)
{
    struct herror err = {""};
    if (job_put (ctx, j, &err) < 0) {
        log_msg (LOG_LEVEL_ERROR, "job %lld: cannot store: %s", (long long)j->seq, err.text);
        return -1;
    }
    job_pack (j);
    ctld_dirty (ctx);
    return 0;
}

/* job.kill for j's run: sig 0 the kill (TERM, KILL after the grace),
 * else that signal only (qsig). */
static json_t *kill_order (struct ctld *ctx, const struct ctld_job *j, int sig)
{
    if (sig)
        return json_pack ("{s:s, s:I, s:I, s:i}", "type", "job.kill", "seq", (json_int_t)j->seq,
                          "run_count", (json_int_t)j->run_count, "signal", sig);
    return json_pack ("{s:s, s:I, s:I, s:i}", "type", "job.kill", "seq", (json_int_t)j->seq,
                      "run_count", (json_int_t)j->run_count, "grace", ctx->cfg.kill_grace);
}

/* job.walltime for j's run: its walltime now (qalter of a running job). */
static json_t *walltime_order (const struct ctld_job *j)
{
    return json_pack ("{s:s, s:I, s:I, s:I}", "type", "job.walltime", "seq", (json_int_t)j->seq,
                      "run_count", (json_int_t)j->run_count, "walltime",
                      (json_int_t)j->res.walltime);
}

/* order (stolen) to every node of the allocation but skip1 and skip2 (nodes
 * that need none: the one whose report ended the run, one that is down). */
static void order_nodes (struct ctld *ctx, struct ctld_job *j, json_t *order, const char *skip1,
                         const char *skip2)
{
    for (int i = 0; order && j->alloc && i < sched_alloc_nnodes (j->alloc); i++) {
        const char *node = sched_alloc_node (j->alloc, i)->name;
        if ((skip1 && strcmp (node, skip1) == 0) || (skip2 && strcmp (node, skip2) == 0))
            continue;
        ctld_order (ctx, node, json_copy (order));
    }
    json_decref (order);
}

static void send_kill_except (struct ctld *ctx, struct ctld_job *j, int sig, const char *skip1,
                              const char *skip2)
{
    order_nodes (ctx, j, kill_order (ctx, j, sig), skip1, skip2);
}

void job_send_kill (struct ctld *ctx, struct ctld_job *j, const char *node)
{
    if (node)
        ctld_order (ctx, node, kill_order (ctx, j, 0));
    else
        send_kill_except (ctx, j, 0, NULL, NULL);
}

/* Every node: a sister's processes (remote ranks) are the job's too. */
void job_send_signal (struct ctld *ctx, struct ctld_job *j, int sig)
{
    send_kill_except (ctx, j, sig, NULL, NULL);
}

void job_send_walltime (struct ctld *ctx, struct ctld_job *j)
{
    order_nodes (ctx, j, walltime_order (j), NULL, NULL);
}

/* "n01,n02,...": the allocation's nodes, whole however many there are. */
static json_t *node_list (const struct sched_alloc *a)
{
    size_t size = 1;
    for (int i = 0; i < sched_alloc_nnodes (a); i++)
        size += strlen (sched_alloc_node (a, i)->name) + 1;
    char *buf = calloc (1, size);
    if (!buf)
        return NULL;
    for (int i = 0; i < sched_alloc_nnodes (a); i++) {
        if (i)
            strcat (buf, ",");
        strcat (buf, sched_alloc_node (a, i)->name);
    }
    json_t *s = json_string (buf);
    free (buf);
    return s;
}

/* What the fabric makes of a starting job's nodes, kept in the job
 * object for qstat -f: switches_spanned and common_switch when a tree is
 * declared, max_link_latency_us when at least one pair of its nodes was
 * measured (the worst measured pair; a pair never
 * measured says nothing).  Computed once, at start: a later reload of the
 * tree or new probes do not rewrite a running job's report.  Attributes
 * the fabric cannot give are removed (a requeued job starts afresh). */
static void job_set_span (struct ctld *ctx, struct ctld_job *j, const struct sched_alloc *a)
{
    int n = sched_alloc_nnodes (a), leaves;
    const char *common;
    const char **names = calloc (n > 0 ? n : 1, sizeof (*names));
    bool measured = false;
    double worst = 0;

    job_set (j, "switches_spanned", NULL);
    job_set (j, "common_switch", NULL);
    job_set (j, "max_link_latency_us", NULL);
    if (!names)
        return;
    for (int i = 0; i < n; i++)
        names[i] = sched_alloc_node (a, i)->name;
    if (ctld_fabric_span (ctx, names, n, &leaves, &common) == 0) {
        job_set (j, "switches_spanned", json_integer (leaves));
        job_set (j, "common_switch", json_string (common));
    }
    for (int x = 0; x < n; x++)
        for (int y = x + 1; y < n; y++) {
            double lat;
            if (links_latency (ctx, names[x], names[y], &lat) == 0) {
                if (!measured || lat > worst)
                    worst = lat;
                measured = true;
            }
        }
    if (measured)
        job_set (j, "max_link_latency_us", json_real (worst));
    free (names);
}

/* The job.launch order: the job object with its script, read from the
 * store (scripts are not kept in memory), and where each of its nodes'
 * agents takes remote tasks (task_endpoint of its registration), for
 * huddle-rsh.  The same order goes to every node: the first runs the
 * script, the others join (docs/protocol.md).  NULL on failure, logged:
 * the order is then dropped and the nodes' registrations reconcile the
 * job. */
static json_t *launch_order (struct ctld *ctx, struct ctld_job *j)
{
    struct herror err = {""};
    char *script = NULL;
    json_t *job = json_copy (j->obj);
    json_t *eps = json_object();
    /* a subjob runs its array's script */
    int rc = store_script_get (ctx->store, jobspec_subjob_base (j->seq), &script, &err);
    if (rc < 0 || !job || !eps) {
        log_msg (LOG_LEVEL_ERROR, "job %lld: cannot read its script: %s", (long long)j->seq,
                 rc < 0 ? err.text : "out of memory");
        json_decref (job);
        json_decref (eps);
        return NULL;
    }
    if (script)
        json_object_set_new (job, "script", json_string (script));
    free (script);
    for (int i = 0; i < sched_alloc_nnodes (j->alloc); i++) {
        const char *node = sched_alloc_node (j->alloc, i)->name;
        const char *ep = nodes_task_endpoint (ctx, node);
        if (ep)
            json_object_set_new (eps, node, json_string (ep));
    }
    return json_pack ("{s:s, s:o, s:o}", "type", "job.launch", "job", job, "task_endpoints", eps);
}

/* A run's secret (docs/protocol.md, task.spawn): 128 random bits in hex.
 * The agents hand it to the run's processes, which show it to an agent
 * with huddle-rsh; a new run gets a new one, so a process left of an
 * earlier run cannot start tasks in the new one.  NULL when the kernel
 * has no randomness to give (logged: the run then starts without one and
 * its agents refuse every remote task). */
static json_t *new_cookie (void)
{
    unsigned char b[16];
    char hex[2 * sizeof (b) + 1];
    if (getrandom (b, sizeof (b), 0) != (ssize_t)sizeof (b)) {
        log_msg (LOG_LEVEL_ERROR, "getrandom: %s: jobs start without a task cookie",
                 strerror (errno));
        return NULL;
    }
    for (size_t i = 0; i < sizeof (b); i++)
        snprintf (hex + 2 * i, 3, "%02x", b[i]);
    return json_string (hex);
}

/* The members a run's first node reports in job.launch.ok (what its
 * process said as it started); NULL removes them (a requeued job). */
static const char *const started_members[] = {"session_id", "jobdir", "output_file", "error_file"};

void job_set_started (struct ctld_job *j, json_t *report)
{
    for (size_t i = 0; i < sizeof (started_members) / sizeof (started_members[0]); i++) {
        json_t *v = report ? json_object_get (report, started_members[i]) : NULL;
        job_set (j, started_members[i], v ? json_incref (v) : NULL);
    }
}

/* ---------------------------------------------------------------- update */

/* PBS's Hold_Types of a held job: "u" the user's, "s" the system's. */
static const char *hold_types (const struct ctld_job *j)
{
    return j->user_hold && j->depend_hold ? "us" : j->depend_hold ? "s" : "u";
}

static void job_take_fields (struct ctld *ctx, struct ctld_job *j, struct jobspec *spec,
                             const json_t *obj);

/* What an event writes into the job besides its state, decided by where
 * the table sent it.  event (its audit text) is filled for the commit.
 * Returns 0, or -1 (ENOMEM) before anything was changed. */
static int job_apply (struct ctld *ctx, struct ctld_job *j, const struct job_change *c,
                      enum job_state next, char *event, size_t size)
{
    const char *text = c->text ? c->text : "";

    if (c->ev == JOB_EV_START) {
        json_t *arr = convert_alloc_to_json (c->alloc);
        json_t *nodes = node_list (c->alloc);
        if (!arr || !nodes) {
            json_decref (arr);
            json_decref (nodes);
            errno = ENOMEM;
            return -1;
        }
        j->alloc = c->alloc;
        j->run_count++;
        job_set (j, "allocation", arr);
        job_set (j, "run_count", json_integer (j->run_count));
        job_set (j, "start_time", json_integer (ctld_now()));
        job_set (j, "exec_nodes", json_incref (nodes));
        job_set (j, "cookie", new_cookie());
        job_set_span (ctx, j, c->alloc);
        int part = sched_alloc_partition (c->alloc);
        job_set (j, "pgroup_partition", part > 0 ? json_integer (part) : NULL);
        snprintf (event, size, "started on %s (run %lld)", json_string_value (nodes),
                  (long long)j->run_count);
        if (c->comment && c->comment[0])
            job_set (j, "comment",
                     json_sprintf ("Job run on %s; %s", json_string_value (nodes), c->comment));
        else
            job_set (j, "comment", json_sprintf ("Job run on %s", json_string_value (nodes)));
        json_decref (nodes);
    } else if (c->ev == JOB_EV_ALTER) {
        /* qalter, qmove: jobmsg.c checked the new members; the object with
         * them must still read back, and what is decided with follows it */
        struct herror err = {""};
        json_t *copy = json_copy (j->obj);
        struct jobspec *spec =
            copy && json_object_update (copy, c->members) == 0 ? job_decode (copy, &err) : NULL;
        if (!spec) {
            log_msg (LOG_LEVEL_ERROR, "job %lld: altered object refused: %s", (long long)j->seq,
                     err.text);
            json_decref (copy);
            errno = EINVAL;
            return -1;
        }
        job_take_fields (ctx, j, spec, copy);
        json_decref (copy);
        snprintf (event, size, "%s", text);
    } else if (c->ev == JOB_EV_NODE_DOWN && next == JOB_RUNNING) {
        snprintf (event, size, "node %s down: requeued once its run there is surely killed",
                  c->node);
        job_set (j, "comment", json_string (event));
    } else if (job_state_active (j->state) && (next == JOB_QUEUED || next == JOB_HELD)) {
        if (next == JOB_HELD)
            snprintf (event, size, "job held, too many failed attempts to run: %s", text);
        else
            snprintf (event, size, "Job requeued: %s", text);
        job_set (j, "comment", json_string (event));
        job_set (j, "allocation", NULL);
        job_set (j, "exec_nodes", NULL);
        job_set (j, "start_time", NULL);
        job_set (j, "cookie", NULL);
        job_set (j, "switches_spanned", NULL);
        job_set (j, "walltime_altered", NULL);
        job_set (j, "common_switch", NULL);
        job_set (j, "max_link_latency_us", NULL);
        job_set (j, "pgroup_partition", NULL);
        job_set (j, "rerun", NULL);
        j->rerun = false;
        job_set_started (j, NULL);
    } else if (next == JOB_FINISHED) {
        /* only the agent's report has a status: a deleted waiting job has none */
        int status = c->ev == JOB_EV_ENDED ? c->exit_status : JOB_EXIT_NONE;
        const char *comment = c->comment;
        if (c->ev == JOB_EV_LOST || c->ev == JOB_EV_NODE_DOWN) {
            snprintf (event, size, "Job failed: %s", text);
            status = JOB_EXIT_LOST;
            comment = event;
        } else {
            snprintf (event, size, "%s", text);
            if (c->ev == JOB_EV_DELETE)
                comment = text;
        }
        if (status != JOB_EXIT_NONE)
            job_set (j, "exit_status", json_integer (status));
        job_set (j, "cookie", NULL);
        job_set (j, "rerun", NULL);
        j->rerun = false;
        j->end_time = ctld_now();
        job_set (j, "end_time", json_integer (j->end_time));
        if (comment)
            job_set (j, "comment", json_string (comment));
    } else {
        snprintf (event, size, "%s", text);
        if (c->ev == JOB_EV_DELETE) {
            j->deleted = true;
            job_set (j, "comment", json_string (text));
        } else if (c->comment) {
            job_set (j, "comment", json_string (c->comment));
        }
    }
    job_set (j, "hold_types", next == JOB_HELD ? json_string (hold_types (j)) : NULL);
    if (next == JOB_QUEUED && j->state != JOB_QUEUED)
        j->eligible_time = j->state == JOB_NEW ? j->submit_time : ctld_now();
    if (next != JOB_QUEUED || j->state != JOB_QUEUED)
        job_set_queue_comment (j, NULL);
    if (c->members) {
        const char *key;
        json_t *v;
        json_object_foreach (c->members, key, v) json_object_set (j->obj, key, v);
    }
    return 0;
}

/* Whether going from old to next may let another job start: resources
 * were freed, a job became eligible, or a job left the queue other than by
 * starting (it may have held a reservation: the jobs behind it can go). */
static bool needs_pass (enum job_state old, enum job_state next)
{
    if (job_state_active (old) && !job_state_active (next))
        return true;
    if (next == JOB_QUEUED && old != JOB_QUEUED)
        return true;
    return old == JOB_QUEUED && next != JOB_QUEUED && next != JOB_RUNNING;
}

/* What the new state calls for, once it is recorded. */
static void job_react (struct ctld *ctx, struct ctld_job *j, enum job_state old,
                       const struct job_change *c, const char *event)
{
    char id[96];

    job_id (ctx, j, id, sizeof (id));
    if (old == JOB_QUEUED && j->state == JOB_RUNNING) {
        json_t *order = launch_order (ctx, j);
        for (int i = 0; order && i < sched_alloc_nnodes (j->alloc); i++)
            ctld_order (ctx, sched_alloc_node (j->alloc, i)->name, json_copy (order));
        json_decref (order);
        log_msg (LOG_LEVEL_INFO, "job %s %s", id, event);
        job_mail (ctx, j, 'b', "Begun execution");
    }
    if (j->state == JOB_FINISHED && old != JOB_FINISHED && job_state_active (old)) {
        json_t *st = json_object_get (j->obj, "exit_status");
        char what[64];
        snprintf (what, sizeof (what), "Execution terminated\nExit_status=%d",
                  st ? (int)json_integer_value (st) : 0);
        if (st && json_integer_value (st) < 0)
            job_mail (ctx, j, 'a', "Aborted by PBS Server");
        else
            job_mail (ctx, j, 'e', what);
    }
    if (c && c->ev == JOB_EV_DELETE && j->state == JOB_EXITING)
        job_send_kill (ctx, j, NULL); /* job.ended then finishes it */
    /* The run is over: what any node still runs of it must stop (the
     * sisters' tasks when the script ended, the script when a node of it
     * went away), except on the node that reported the end and on a node
     * that went down (its order would be dropped). */
    if (c && job_state_active (old) && !job_state_active (j->state))
        send_kill_except (ctx, j, 0, c->from, c->node);
    if (job_state_active (old) && !job_state_active (j->state) && j->alloc) {
        sched_release (ctx, j->alloc);
        sched_alloc_destroy (j->alloc);
        j->alloc = NULL;
    }
    /* an altered waiting job takes its new request and priority into the
     * scheduler's queue, and may fit now (or let others by) */
    if (c && c->ev == JOB_EV_ALTER && sched_job_requeue (ctx, j))
        sched_request (ctx);
    sched_job_sync (ctx, j);
    if (needs_pass (old, j->state))
        sched_request (ctx);
    /* what the jobs held on this one's start or end wait for */
    if ((old == JOB_QUEUED && j->state == JOB_RUNNING) ||
        (j->state == JOB_FINISHED && old != JOB_FINISHED))
        jobs_depend_parent_changed (ctx, j);
    if (j->state == JOB_FINISHED && old != JOB_FINISHED) {
        json_t *st = json_object_get (j->obj, "exit_status");
        const char *comment = json_string_value (json_object_get (j->obj, "comment"));
        log_msg (LOG_LEVEL_INFO, "job %s finished (exit status %d)%s%s", id,
                 st ? (int)json_integer_value (st) : 0, comment ? ": " : "",
                 comment ? comment : "");
    } else if (job_state_active (old) && !job_state_active (j->state)) {
        log_msg (LOG_LEVEL_WARN, "job %s %s", id, event);
    }
}

int job_update (struct ctld *ctx, struct ctld_job *j, const struct job_change *c)
{
    /* the holds after the event: a job is H while it has one */
    bool user = j->user_hold, dep = j->depend_hold;
    if (c->ev == JOB_EV_SUBMIT) {
        user = c->hold;
        dep = c->depend_hold;
    } else if (c->ev == JOB_EV_HOLD || c->ev == JOB_EV_RELEASE) {
        *(c->hold_type == 's' ? &dep : &user) = c->ev == JOB_EV_HOLD;
    }
    struct job_cond cond = {
        .hold = user || dep,
        .rerunnable = j->rerunnable,
        .retries_left = j->run_count < JOB_MAX_RETRIES,
        .holds_left = user || dep,
    };
    enum job_state old = j->state, next;
    char event[1200];
    int rc = -1;

    if (job_state_next (old, c->ev, &cond, &next) < 0)
        goto out;
    if (!job_obj (j)) {
        errno = ENOMEM;
        goto out;
    }
    /* Repeating what is already true (qhold of a held job) changes nothing. */
    if (next == old && (c->ev == JOB_EV_HOLD || c->ev == JOB_EV_RELEASE) && user == j->user_hold &&
        dep == j->depend_hold) {
        rc = 0;
        goto out;
    }
    if (next != JOB_HELD)
        user = dep = false;
    else if (c->ev == JOB_EV_RETRY)
        user = true; /* too many failed starts: qrls lets it try again */
    bool was_user = j->user_hold, was_dep = j->depend_hold;
    j->user_hold = user;
    j->depend_hold = dep;
    if (job_apply (ctx, j, c, next, event, sizeof (event)) < 0) {
        j->user_hold = was_user;
        j->depend_hold = was_dep;
        goto out;
    }
    if (!j->depend_hold) {
        free (j->deps);
        j->deps = NULL;
        j->ndeps = 0;
    }
    rc = job_commit (ctx, j, next, event);
    job_react (ctx, j, old, c, event);
    job_pack (j);
out:
    json_decref (c->members);
    /* Unless the job took it (a start that happened), the allocation goes. */
    if (c->alloc && j->alloc != c->alloc) {
        sched_release (ctx, c->alloc);
        sched_alloc_destroy (c->alloc);
    }
    return rc;
}

void job_reload (struct ctld *ctx, struct ctld_job *j)
{
    j->eligible_time = j->submit_time;
    sched_job_sync (ctx, j);
    if (j->depend_hold)
        jobs_depend_watch (ctx, j);
}

/* --------------------------------------------------------- nodes and jobs */

/* Lose job j: its run is surely gone (the agent forgot it, the fence
 * passed, its allocation could not be restored). */
static void job_lose (struct ctld *ctx, struct ctld_job *j, const char *node, const char *why)
{
    struct job_change c = {.ev = JOB_EV_LOST, .text = why, .node = node};
    job_update (ctx, j, &c);
}

void jobs_node_lost (struct ctld *ctx, const char *name)
{
    char why[128];
    snprintf (why, sizeof (why), "node %s went down", name);
    for (int i = 0; i < ctx->jobs->n; i++) {
        struct ctld_job *j = ctx->jobs->v[i];
        if (!job_state_active (j->state) || !job_uses_node (j, name))
            continue;
        /* Part of its run was there, the script or remote tasks, and may
         * still be alive (a stopped agent does not know it is down), so
         * the table lets a rerunnable one wait for the fence
         * (jobs_node_fenced) whichever node it was; the others end now
         * and the rest of their run is killed (job_react). */
        struct job_change c = {.ev = JOB_EV_NODE_DOWN, .text = why, .node = name};
        job_update (ctx, j, &c);
    }
}

void jobs_node_fenced (struct ctld *ctx, const char *name)
{
    char why[160];
    snprintf (why, sizeof (why), "node %s went down (its run there is fenced)", name);
    for (int i = 0; i < ctx->jobs->n; i++) {
        struct ctld_job *j = ctx->jobs->v[i];
        /* Those left running, and any deleted (qdel) meanwhile. */
        if (job_state_active (j->state) && job_uses_node (j, name))
            job_lose (ctx, j, name, why);
    }
}

/* Read the agent's report: seqs it runs whose run is the current one go to
 * reported[], others (an earlier run, a job not active here) straight to
 * kill.  -1 when the report is malformed. */
static int read_report (struct ctld *ctx, const char *name, json_t *report, int64_t *reported,
                        int *nreported, json_t *kill)
{
    size_t i;
    json_t *o;
    *nreported = 0;
    json_array_foreach (report, i, o)
    {
        json_t *s = json_object_get (o, "seq");
        json_t *rc = json_object_get (o, "run_count");
        if (!json_is_integer (s) || json_integer_value (s) < 1 || (rc && !json_is_integer (rc)))
            return -1;
        int64_t seq = json_integer_value (s);
        struct ctld_job *j = jobs_find (ctx, seq);
        bool current = j && job_state_active (j->state) && job_uses_node (j, name) &&
                       (!rc || json_integer_value (rc) == j->run_count);
        if (current)
            reported[(*nreported)++] = seq;
        else
            json_array_append_new (kill, json_integer (seq));
    }
    return 0;
}

/* The order an adopted job's agent may have missed while it was away: a
 * kill (the job is being deleted or rerun), or its altered walltime;
 * NULL for none. */
static json_t *missed_order (struct ctld *ctx, struct ctld_job *j)
{
    if (j->state == JOB_EXITING || j->rerun)
        return kill_order (ctx, j, 0);
    if (json_is_true (json_object_get (job_obj (j), "walltime_altered")))
        return walltime_order (j);
    return NULL;
}

void job_retell (struct ctld *ctx, struct ctld_job *j, const char *node)
{
    json_t *order = missed_order (ctx, j);
    if (order)
        ctld_order (ctx, node, order);
}

int jobs_node_register (struct ctld *ctx, const char *name, json_t *report, json_t *kill,
                        json_t *retell)
{
    size_t nrep = json_array_size (report);
    int nours = 0, nreported = 0, rc = -1;
    int64_t *ours = calloc (ctx->jobs->n + 1, sizeof (*ours));
    int64_t *reported = calloc (nrep + 1, sizeof (*reported));
    int64_t *adopt = calloc (ctx->jobs->n + 1, sizeof (*adopt));
    int64_t *lost = calloc (ctx->jobs->n + 1, sizeof (*lost));
    int64_t *extra = calloc (nrep + 1, sizeof (*extra));
    struct node_reconcile r = {.adopt = adopt, .kill = extra, .lost = lost};

    if (!ours || !reported || !adopt || !lost || !extra)
        goto out;
    if (read_report (ctx, name, report, reported, &nreported, kill) < 0)
        goto out;
    for (int i = 0; i < ctx->jobs->n; i++) {
        struct ctld_job *j = ctx->jobs->v[i];
        if (job_state_active (j->state) && job_uses_node (j, name))
            ours[nours++] = j->seq;
    }
    node_reconcile (ours, nours, reported, nreported, &r);
    for (int i = 0; i < r.nkill; i++)
        json_array_append_new (kill, json_integer (r.kill[i]));
    for (int i = 0; i < r.nadopt; i++) {
        struct ctld_job *j = jobs_find (ctx, r.adopt[i]);
        json_t *order = missed_order (ctx, j);
        if (order)
            json_array_append_new (retell, json_integer (j->seq));
        json_decref (order);
    }
    char why[160];
    snprintf (why, sizeof (why), "not running on %s when its agent registered", name);
    for (int i = 0; i < r.nlost; i++)
        job_lose (ctx, jobs_find (ctx, r.lost[i]), name, why);
    if (r.nadopt > 0)
        log_msg (LOG_LEVEL_INFO, "node %s: %d running jobs adopted", name, r.nadopt);
    rc = 0;
out:
    free (ours);
    free (reported);
    free (adopt);
    free (lost);
    free (extra);
    return rc;
}

json_t *jobs_by_node (struct ctld *ctx)
{
    char id[96];
    json_t *map = json_object();
    for (int i = 0; map && i < ctx->jobs->n; i++) {
        struct ctld_job *j = ctx->jobs->v[i];
        if (!job_state_active (j->state) || !j->alloc)
            continue;
        job_id (ctx, j, id, sizeof (id));
        for (int k = 0; k < sched_alloc_nnodes (j->alloc); k++) {
            const struct rset_node *e = sched_alloc_node (j->alloc, k);
            json_t *o = json_object_get (map, e->name);
            if (!o) {
                o = json_pack ("{s:[], s:[]}", "jobs", "slots");
                if (!o || json_object_set_new (map, e->name, o) < 0)
                    continue;
            }
            json_array_append_new (json_object_get (o, "jobs"), json_string (id));
            /* PBS's "ID/INDEX": one per cpu the job holds here */
            json_t *slots = json_object_get (o, "slots");
            for (int c = 0; c < e->ncores; c++)
                json_array_append_new (slots, json_sprintf ("%s/%d", id, e->cores[c]));
            if (e->ncores == 0)
                json_array_append_new (slots, json_string (id));
        }
    }
    return map;
}

void jobs_prune (struct ctld *ctx, int64_t now)
{
    struct jobs *js = ctx->jobs;
    struct herror err = {""};
    int64_t max_age = ctx->cfg.job_history;

    if (store_jobs_prune (ctx->store, now, max_age, &err) < 0) {
        log_msg (LOG_LEVEL_ERROR, "cannot prune finished jobs: %s", err.text);
        return;
    }
    ctld_dirty (ctx);
    int k = 0;
    for (int i = 0; i < js->n; i++) {
        struct ctld_job *j = js->v[i];
        /* a finished subjob leaves with arrays_retire (it keeps its status) */
        if (j->state == JOB_FINISHED && !j->parent && j->end_time <= now - max_age)
            job_free (j);
        else
            js->v[k++] = j;
    }
    if (k != js->n)
        log_msg (LOG_LEVEL_DEBUG, "pruned %d finished jobs", js->n - k);
    js->n = k;
}

/* ------------------------------------------------------------------- load */

struct jobspec *job_decode (const json_t *obj, struct herror *err)
{
    json_t *req = json_copy ((json_t *)obj);
    if (!req || (!json_object_get (req, "script") &&
                 json_object_set_new (req, "script", json_string ("")) < 0)) {
        json_decref (req);
        herror_set (err, "out of memory");
        return NULL;
    }
    struct jobspec *spec = jobspec_job_from_json (req, err);
    json_decref (req);
    return spec;
}

/* What the controller decides with, taken from the decoded object SPEC
 * (stolen) and OBJ: at load, and when qalter or qmove changed the object. */
static void job_take_fields (struct ctld *ctx, struct ctld_job *j, struct jobspec *spec,
                             const json_t *obj)
{
    const char *queue = json_string_value (json_object_get (obj, "queue"));

    j->rerunnable = spec->rerunnable;
    j->priority = spec->priority;
    j->queue = queues_find (ctx->cfg.queues, queue);
    if (j->queue < 0)
        log_msg (LOG_LEVEL_WARN,
                 "job %lld: queue %s is not configured (option queues): it keeps its name, "
                 "with no limits and priority 0",
                 (long long)j->seq, queue ? queue : "?");
    j->execution_time = spec->execution_time;
    resreq_clear (&j->res);
    j->res = spec->res;
    j->exclusive = spec->res.sharing != RESREQ_SHARED;
    memset (&spec->res, 0, sizeof (spec->res));
    jobspec_destroy (spec);
}

/* Rebuild one stored job.  A job the controller cannot read is skipped with
 * a log line (and stays in the store for a person to look at). */
static int load_one (int64_t seq, json_t *obj, void *arg)
{
    struct ctld *ctx = arg;
    struct herror err = {""};
    enum job_state state;
    const char *letter = json_string_value (json_object_get (obj, "state"));
    json_t *uid = json_object_get (obj, "uid");

    if (job_state_parse (letter, &state) < 0 || !json_is_integer (uid)) {
        log_msg (LOG_LEVEL_ERROR, "stored job %lld: no valid state/uid: skipped", (long long)seq);
        return 0;
    }
    struct jobspec *spec = job_decode (obj, &err);
    if (!spec) {
        log_msg (LOG_LEVEL_ERROR, "stored job %lld: %s: skipped", (long long)seq, err.text);
        return 0;
    }
    struct ctld_job *j = calloc (1, sizeof (*j));
    if (!j) {
        jobspec_destroy (spec);
        return -1;
    }
    j->seq = seq;
    j->obj = json_incref (obj);
    j->state = state;
    j->uid = (uid_t)json_integer_value (uid);
    j->rank = json_integer_value (json_object_get (obj, "queue_rank"));
    job_take_fields (ctx, j, spec, obj);
    j->submit_time = json_integer_value (json_object_get (obj, "submit_time"));
    j->run_count = json_integer_value (json_object_get (obj, "run_count"));
    j->script_bytes = json_integer_value (json_object_get (obj, "script_size"));
    j->end_time = json_integer_value (json_object_get (obj, "end_time"));
    j->deleted = state == JOB_EXITING;
    j->rerun = state == JOB_RUNNING && json_is_true (json_object_get (obj, "rerun"));
    if (state == JOB_HELD) {
        const char *holds = json_string_value (json_object_get (obj, "hold_types"));
        j->user_hold = !holds || strchr (holds, 'u');
        j->depend_hold = holds && strchr (holds, 's');
        const char *depend = json_string_value (json_object_get (obj, "depend"));
        struct herror derr = {""};
        if (j->depend_hold && (!depend || depend_parse (depend, &j->deps, &j->ndeps, &derr) < 0)) {
            /* held on what it cannot say: a user hold, for its owner to release */
            log_msg (LOG_LEVEL_ERROR, "stored job %lld: held on dependencies: %s", (long long)seq,
                     depend ? derr.text : "it has none");
            j->depend_hold = false;
            j->user_hold = true;
        }
    }
    if (json_object_get (obj, "array") && array_attach (ctx, j, &err) < 0) {
        log_msg (LOG_LEVEL_ERROR, "stored job %lld: %s: skipped", (long long)seq, err.text);
        job_free (j);
        return 0;
    }
    int sub = jobspec_is_subjob_seq (seq) ? array_load_subjob (ctx, j) : 1;
    if (sub <= 0) {
        if (sub < 0)
            log_msg (LOG_LEVEL_ERROR, "stored job %lld: a subjob its array does not know: skipped",
                     (long long)seq);
        job_free (j);
        return 0;
    }
    if (jobs_insert (ctx, j) < 0) {
        job_free (j);
        return -1;
    }
    job_reload (ctx, j);
    if (!job_state_active (state)) {
        job_pack (j);
        return 0;
    }
    json_t *arr = json_object_get (obj, "allocation");
    j->alloc = convert_alloc_from_json (seq, j->exclusive, arr, &err);
    if (j->alloc) { /* the window backfill plans with: started at, expected back at */
        sched_alloc_set_window (j->alloc, json_integer_value (json_object_get (obj, "start_time")),
                                j->res.walltime);
        /* and its place in its placement group (pgroups.c loaded them) */
        (void)sched_alloc_set_pgroup (
            j->alloc, j->res.pgroup,
            (int)json_integer_value (json_object_get (obj, "pgroup_partition")));
    }
    if (j->alloc && sched_claim (ctx, j->alloc) < 0) {
        herror_set (&err, "its allocation does not fit the nodes now known: %s", strerror (errno));
        sched_alloc_destroy (j->alloc);
        j->alloc = NULL;
    }
    if (!j->alloc) {
        log_msg (LOG_LEVEL_ERROR, "stored job %lld: %s", (long long)seq, err.text);
        job_lose (ctx, j, NULL, "its allocation could not be restored after a controller restart");
    }
    return 0;
}

int jobs_load (struct ctld *ctx, struct herror *err)
{
    int rc = store_load_jobs (ctx->store, load_one, ctx, err);
    if (rc < 0)
        return -1;
    arrays_loaded (ctx);
    if (rc > 0)
        log_msg (LOG_LEVEL_WARN, "%s", err->text);
    int active = 0;
    for (int i = 0; i < ctx->jobs->n; i++)
        active += job_state_active (ctx->jobs->v[i]->state);
    log_msg (LOG_LEVEL_INFO, "loaded %d jobs (%d running, kept while their nodes re-register)",
             ctx->jobs->n, active);
    return 0;
}
