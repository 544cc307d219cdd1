/* nodes.c - huddle-ctld's node registry
 *
 * A node exists once an agent registered it (or the store remembers it).
 * Its PBS state comes from three things: the admin's offline flag, whether
 * its agent is heard ("down" otherwise) and what the snapshot says is used.
 *
 * An agent that goes silent for heartbeat_timeout seconds makes its node
 * down: the jobs there are lost (requeued or failed, jobs.c) and the
 * agent's connection, if it still has one, is closed, so that it must
 * register again; its registration then reports the leftovers, which are
 * no longer its, and the reply tells it to kill them.
 *
 * A down node's rerunnable jobs are not requeued at once: the old run may
 * still be running there (a stopped or cut-off agent does not know it is
 * down).  Every answer to the agent grants it a lease of job_lease seconds
 * (agent/lease.h); once it has run out, its shepherds kill their jobs with
 * kill_grace.  So the requeue waits for the fence deadline: last heard +
 * job_lease + kill_grace + FENCE_MARGIN.  The lease starts when the agent
 * sent what the controller answered, which is before last_heard, so the
 * deadline can only be late, never early.  An agent that registers before
 * the deadline reports what it still runs, and its jobs are reconciled
 * (adopted or requeued) then.  After a restart, last_heard is the start
 * time: the leases granted before the restart are older still.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/pbs_resources.h"
#include "scheduler/core/snapshot.h"
#include "scheduler/ctld/ctld.h"
#include "scheduler/ctld/ctld_fabric.h"
#include "scheduler/ctld/job.h"
#include "scheduler/ctld/nodestate.h"
#include "scheduler/ctld/store.h"
#include "topology/node.h"

#define NODE_COMMENT_MAX 1024
#define PRUNE_INTERVAL   60 /* seconds between finished-job prunes */
/* Seconds on top of job_lease + kill_grace before a lost node's jobs are
 * requeued: last_heard is truncated to the second (1 s), a shepherd looks
 * at its lease every LEASE_CHECK_MS (1 s, agent/lease.h), and a loaded
 * node needs a moment to wake the shepherd and for SIGKILL to take effect
 * (the rest).  The job_lease help text in options.c names it. */
#define FENCE_MARGIN 5

struct ctld_node {
    char *name;
    json_t *topology;       /* the agent's model, as stored */
    struct topo_node *topo; /* the same, parsed once (the snapshot is built from it) */
    char summary[160];
    int ncpus, ngpus;
    uint64_t mem;
    bool offline;
    char *comment;
    bool up;    /* registered and heard within the timeout */
    bool grace; /* reloaded after a restart: its jobs wait for its agent */
    int64_t last_heard;
    int64_t last_registration;
    bool fencing;         /* down, its jobs wait for the fence deadline */
    int64_t fence_at;     /* ... which is this (ctld_now) */
    struct peer *peer;    /* the agent's connection, NULL when none */
    char *probe_endpoint; /* link probe endpoint (links.c), NULL when none */
    char *task_endpoint;  /* where its agent takes remote tasks, NULL when none */
};

struct nodes {
    struct ctld_node **v; /* sorted by name */
    int n, cap;
    struct event *timer;
    int64_t last_prune;
};

static int find_index (struct nodes *ns, const char *name, bool *found)
{
    int lo = 0, hi = ns->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        int c = strcmp (ns->v[mid]->name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

struct ctld_node *nodes_find (struct ctld *ctx, const char *name)
{
    bool found;
    int i = find_index (ctx->nodes, name, &found);
    return found ? ctx->nodes->v[i] : NULL;
}

size_t nodes_count (struct ctld *ctx)
{
    return (size_t)ctx->nodes->n;
}

const char *nodes_name (struct ctld *ctx, size_t i)
{
    return ctx->nodes->v[i]->name;
}

struct peer *node_peer (const struct ctld_node *n)
{
    return n->peer;
}

const struct topo_node *node_topology (const struct ctld_node *n)
{
    return n->topo;
}

static struct ctld_node *node_add (struct nodes *ns, const char *name)
{
    bool found;
    int i = find_index (ns, name, &found);
    if (found)
        return ns->v[i];
    if (ns->n == ns->cap) {
        int cap = ns->cap ? 2 * ns->cap : 16;
        struct ctld_node **v = realloc (ns->v, cap * sizeof (*v));
        if (!v)
            return NULL;
        ns->v = v;
        ns->cap = cap;
    }
    struct ctld_node *n = calloc (1, sizeof (*n));
    if (!n || !(n->name = strdup (name))) {
        free (n);
        return NULL;
    }
    memmove (&ns->v[i + 1], &ns->v[i], (ns->n - i) * sizeof (*ns->v));
    ns->v[i] = n;
    ns->n++;
    return n;
}

static void node_free (struct ctld_node *n)
{
    json_decref (n->topology);
    topo_node_destroy (n->topo);
    free (n->comment);
    peer_unref (n->peer);
    free (n->probe_endpoint);
    free (n->task_endpoint);
    free (n->name);
    free (n);
}

static bool node_usable (const struct ctld_node *n)
{
    return n->up && n->peer && !n->offline;
}

/* Something about node n changed (registered, new, down, its agent gone,
 * offline, cleared): the snapshot learns whether it is usable, and one
 * (coalesced) pass is requested, since what can start, and where a
 * reservation goes, may differ now.  The one place nodes.c asks for a
 * pass. */
static void node_changed (struct ctld *ctx, struct ctld_node *n)
{
    sched_node_usable (ctx, n->name, node_usable (n));
    sched_request (ctx);
}

/* Take the topology model: check it, remember its summary and sizes. */
static int node_set_topology (struct ctld_node *n, json_t *topology, struct herror *err)
{
    struct topo_node *t = topo_node_from_json (topology, err);
    if (!t) {
        herror_prefix (err, "topology");
        return -1;
    }
    topo_node_summary (t, n->summary, sizeof (n->summary));
    n->ncpus = (int)t->ncores;
    n->ngpus = (int)t->ngpus;
    n->mem = topo_node_memory (t);
    topo_node_destroy (n->topo);
    n->topo = t;
    json_incref (topology);
    json_decref (n->topology);
    n->topology = topology;
    return 0;
}

static int node_store (struct ctld *ctx, struct ctld_node *n)
{
    struct herror err = {""};
    json_t *o =
        json_pack ("{s:s, s:s, s:I, s:O?}", "name", n->name, "state", n->offline ? "offline" : "",
                   "last_registration", (json_int_t)n->last_registration, "topology", n->topology);
    if (o && n->comment)
        json_object_set_new (o, "comment", json_string (n->comment));
    int rc = o ? store_node_put (ctx->store, o, &err) : -1;
    json_decref (o);
    if (rc < 0) {
        log_msg (LOG_LEVEL_ERROR, "node %s: cannot store: %s", n->name, err.text);
        return -1;
    }
    ctld_dirty (ctx);
    return 0;
}

/* The agent is gone for good: its jobs are lost and it must register
 * again before anything runs there. */
static void node_down (struct ctld *ctx, struct ctld_node *n, const char *why)
{
    n->fencing = true;
    n->fence_at = n->last_heard + ctx->cfg.job_lease + ctx->cfg.kill_grace + FENCE_MARGIN;
    log_msg (LOG_LEVEL_WARN,
             "node %s down: %s (its rerunnable jobs are requeued in %llds, once "
             "its agent has surely killed them)",
             n->name, why, (long long)(n->fence_at - ctld_now()));
    n->up = false;
    n->grace = false;
    node_changed (ctx, n);
    if (n->peer) {
        struct peer *p = n->peer;
        n->peer = NULL;
        peer_set_agent_node (p, NULL);
        server_close_peer (ctx, p);
        peer_unref (p);
    }
    jobs_node_lost (ctx, n->name);
}

void nodes_peer_closed (struct ctld *ctx, struct peer *p)
{
    const char *name = peer_agent_node (p);
    struct ctld_node *n = name ? nodes_find (ctx, name) : NULL;
    if (!n || n->peer != p)
        return;
    /* Until the timeout the node stays up (its agent may reconnect and keep
     * its jobs), but nothing new can be launched there. */
    n->peer = NULL;
    peer_unref (p);
    node_changed (ctx, n);
}

static void timer_cb (evutil_socket_t fd, short what, void *arg)
{
    struct ctld *ctx = arg;
    struct nodes *ns = ctx->nodes;
    int64_t now = ctld_now();

    for (int i = 0; i < ns->n; i++) {
        struct ctld_node *n = ns->v[i];
        if ((n->up || n->grace) &&
            node_heartbeat_expired (n->last_heard, now, ctx->cfg.heartbeat_timeout))
            node_down (ctx, n,
                       n->up ? "heartbeats stopped" : "its agent did not register after restart");
        if (n->fencing && now >= n->fence_at) {
            n->fencing = false;
            jobs_node_fenced (ctx, n->name);
        }
    }
    if (now - ns->last_prune >= PRUNE_INTERVAL) {
        ns->last_prune = now;
        jobs_prune (ctx, now);
    }
}

int nodes_create (struct ctld *ctx)
{
    struct nodes *ns = calloc (1, sizeof (*ns));
    if (!ns)
        return -1;
    ctx->nodes = ns;
    ns->last_prune = ctld_now();
    ns->timer = event_new (ctx->base, -1, EV_PERSIST, timer_cb, ctx);
    struct timeval tv = {.tv_sec = 1};
    if (!ns->timer || event_add (ns->timer, &tv) < 0)
        return -1;
    return 0;
}

void nodes_destroy (struct ctld *ctx)
{
    struct nodes *ns = ctx->nodes;
    if (!ns)
        return;
    for (int i = 0; i < ns->n; i++)
        node_free (ns->v[i]);
    free (ns->v);
    if (ns->timer)
        event_free (ns->timer);
    free (ns);
    ctx->nodes = NULL;
}

static int load_one (const char *name, json_t *o, void *arg)
{
    struct ctld *ctx = arg;
    struct herror err = {""};
    json_t *topology = json_object_get (o, "topology");
    const char *state = json_string_value (json_object_get (o, "state"));
    const char *comment = json_string_value (json_object_get (o, "comment"));

    struct ctld_node *n = node_add (ctx->nodes, name);
    if (!n)
        return -1;
    n->offline = state && strstr (state, "offline");
    n->comment = comment ? strdup (comment) : NULL;
    n->last_registration = json_integer_value (json_object_get (o, "last_registration"));
    n->last_heard = ctx->start_time;
    n->grace = true;
    if (!topology || node_set_topology (n, topology, &err) < 0 ||
        sched_node_update (ctx, name, n->topo, topology, false, &err) < 0)
        log_msg (LOG_LEVEL_WARN, "node %s: stored topology unusable (%s): waiting for its agent",
                 name, topology ? err.text : "none");
    return 0;
}

int nodes_load (struct ctld *ctx, struct herror *err)
{
    int rc = store_load_nodes (ctx->store, load_one, ctx, err);
    if (rc > 0)
        log_msg (LOG_LEVEL_WARN, "%s", err->text);
    if (rc >= 0)
        log_msg (LOG_LEVEL_INFO, "loaded %d nodes (down until their agents register)",
                 ctx->nodes->n);
    return rc < 0 ? -1 : 0;
}

/* ---------------------------------------------------------- node objects */

static json_t *node_to_json (struct ctld *ctx, struct ctld_node *n, json_t *by_node,
                             bool with_topology)
{
    struct sched_node_usage u = {0};
    bool known = sched_node_usage (ctx, n->name, &u);
    struct node_state_in in = {
        .offline = n->offline,
        .down = !n->up,
        .ncores = known ? u.ncores : 0,
        .cores_used = known ? u.cores_used : 0,
        .njobs = known ? u.njobs : 0,
        .exclusive = known && u.exclusive_seq >= 0,
    };
    char state[64];
    node_state_format (&in, state, sizeof (state));
    json_t *here = json_object_get (by_node, n->name);
    json_t *jobs = here ? json_incref (json_object_get (here, "jobs")) : json_array();
    json_t *o =
        json_pack ("{s:s, s:s, s:i, s:i, s:I, s:{s:i, s:i, s:I}, s:o, s:I, s:s}", "name", n->name,
                   "state", state, "ncpus", n->ncpus, "ngpus", n->ngpus, "mem", (json_int_t)n->mem,
                   "assigned", "ncpus", known ? u.cores_used : 0, "ngpus", known ? u.gpus_used : 0,
                   "mem", (json_int_t)(known ? u.mem_used : 0), "jobs", jobs, "last_heartbeat",
                   (json_int_t)n->last_heard, "topology_summary", n->summary);
    if (o && here)
        json_object_set (o, "job_slots", json_object_get (here, "slots"));
    if (o && n->comment)
        json_object_set_new (o, "comment", json_string (n->comment));
    if (o && n->up && n->task_endpoint) /* qsub -I attaches there */
        json_object_set_new (o, "task_endpoint", json_string (n->task_endpoint));
    if (o && with_topology && n->topology)
        json_object_set (o, "topology", n->topology);
    return o;
}

/* ---------------------------------------------------------------- handlers */

static bool name_accepted (struct ctld *ctx, const char *name)
{
    char **names = ctx->cfg.node_names;
    if (!names || !names[0])
        return true;
    for (int i = 0; names[i]; i++) {
        if (strcmp (names[i], name) == 0)
            return true;
    }
    return false;
}

static bool is_admin (struct ctld *ctx, struct peer *p)
{
    return ctld_privileged (ctx, peer_uid (p));
}

static int get_node_name (json_t *msg, const char **name, struct herror *err)
{
    if (proto_get_string (msg, "name", name, err) < 0)
        return -1;
    if (!pbs_hostname_valid (*name)) {
        errno = EPROTO;
        return herror_set (err, "message %s: member \"name\": \"%.64s\" is not a node name",
                           proto_msg_type (msg), *name);
    }
    return 0;
}

static void attach_peer (struct ctld *ctx, struct ctld_node *n, struct peer *p)
{
    if (n->peer && n->peer != p) {
        log_msg (LOG_LEVEL_WARN, "node %s: registered again from %s, closing %s", n->name,
                 peer_addr (p), peer_addr (n->peer));
        peer_set_agent_node (n->peer, NULL);
        server_close_peer (ctx, n->peer);
    }
    if (n->peer != p) {
        peer_unref (n->peer);
        n->peer = peer_ref (p);
    }
    peer_set_agent_node (p, n->name);
}

/* The agent's job report: [{"seq": int >= 1, "run_count"?: int}, ...]. */
static int check_report (json_t *jobs, struct herror *err)
{
    size_t i;
    json_t *o;
    json_array_foreach (jobs, i, o)
    {
        json_t *seq = json_object_get (o, "seq");
        json_t *rc = json_object_get (o, "run_count");
        if (!json_is_object (o) || !json_is_integer (seq) || json_integer_value (seq) < 1 ||
            (rc && !json_is_integer (rc))) {
            errno = EPROTO;
            return herror_set (err,
                               "message node.register: member \"jobs\": entry %zu must be "
                               "an object with an integer \"seq\" >= 1",
                               i);
        }
    }
    return 0;
}

static int node_register (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    struct ctld *ctx = rq->ctx;
    const char *name, *probe_ep = NULL, *task_ep = NULL;
    json_t *topology, *jobs;

    if (get_node_name (msg, &name, err) < 0 ||
        proto_get_object (msg, "topology", &topology, err) < 0 ||
        proto_get_array (msg, "jobs", &jobs, err) < 0 ||
        proto_opt_string (msg, "probe_endpoint", &probe_ep, err) < 0 ||
        proto_opt_string (msg, "task_endpoint", &task_ep, err) < 0)
        return -1;
    /* a libfabric address in hex (EFA's is 64 digits), or "replay:NODE" */
    if (probe_ep && (strlen (probe_ep) > 1024 ||
                     strspn (probe_ep, "0123456789abcdefABCDEFghijklmnopqrstuvwxyz"
                                       "GHIJKLMNOPQRSTUVWXYZ:._-") != strlen (probe_ep))) {
        errno = EPROTO;
        return herror_set (err, "message node.register: member \"probe_endpoint\" must be at "
                                "most 1024 letters, digits and :._-");
    }
    if (task_ep && (strlen (task_ep) > 300 || !strrchr (task_ep, ':'))) {
        errno = EPROTO;
        return herror_set (err, "message node.register: member \"task_endpoint\" must be "
                                "HOST:PORT");
    }
    if (check_report (jobs, err) < 0)
        return -1;
    if (!name_accepted (ctx, name))
        return herror_set (err, "node %s is not in this server's node list", name);
    const char *prev = peer_agent_node (rq->peer);
    if (prev && strcmp (prev, name) != 0)
        return herror_set (err, "this connection is already node %s", prev);

    struct ctld_node *n = nodes_find (ctx, name);
    bool is_new = !n;
    if (is_new && !(n = node_add (ctx->nodes, name)))
        return herror_set (err, "out of memory");
    if (node_set_topology (n, topology, err) < 0 ||
        sched_node_update (ctx, name, n->topo, topology, !n->offline, err) < 0) {
        herror_prefix (err, "node %s", name);
        if (is_new) {
            bool found;
            int i = find_index (ctx->nodes, name, &found);
            memmove (&ctx->nodes->v[i], &ctx->nodes->v[i + 1],
                     (ctx->nodes->n - i - 1) * sizeof (*ctx->nodes->v));
            ctx->nodes->n--;
            node_free (n);
        }
        return -1;
    }
    json_t *kill = json_array();
    json_t *retell = json_array();
    if (!kill || !retell || jobs_node_register (ctx, name, jobs, kill, retell) < 0) {
        json_decref (kill);
        json_decref (retell);
        return herror_set (err, "out of memory");
    }
    if (is_new)
        ctld_fabric_node_seen (ctx, name);
    attach_peer (ctx, n, rq->peer);
    free (n->probe_endpoint);
    n->probe_endpoint = probe_ep ? strdup (probe_ep) : NULL;
    free (n->task_endpoint);
    n->task_endpoint = task_ep ? strdup (task_ep) : NULL;
    n->up = true;
    n->grace = false;
    n->fencing = false; /* the reconcile placed its jobs */
    n->last_heard = n->last_registration = ctld_now();
    node_changed (ctx, n);
    node_store (ctx, n);
    log_msg (LOG_LEVEL_INFO, "node %s registered from %s: %s (%zu jobs reported, %zu to kill)",
             name, peer_addr (rq->peer), n->summary, json_array_size (jobs),
             json_array_size (kill));
    json_t *reply = proto_reply_ok (msg);
    if (reply) {
        json_object_set_new (reply, "heartbeat_interval",
                             json_integer (ctx->cfg.heartbeat_interval));
        json_object_set_new (reply, "kill_grace", json_integer (ctx->cfg.kill_grace));
        json_object_set_new (reply, "job_lease", json_integer (ctx->cfg.job_lease));
        json_object_set_new (reply, "kill", kill);
    } else
        json_decref (kill);
    ctld_reply (ctx, rq->peer, reply);
    /* Orders the agent may have missed: again, after the reply (the
     * agent takes orders once registered). */
    size_t i;
    json_t *seq;
    json_array_foreach (retell, i, seq)
    {
        struct ctld_job *j = jobs_find (ctx, json_integer_value (seq));
        if (j)
            job_retell (ctx, j, name);
    }
    json_decref (retell);
    return 0;
}

static int node_heartbeat (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    const char *name;

    if (proto_get_string (msg, "name", &name, err) < 0)
        return -1;
    const char *mine = peer_agent_node (rq->peer);
    struct ctld_node *n = mine && strcmp (mine, name) == 0 ? nodes_find (rq->ctx, name) : NULL;
    if (!n || n->peer != rq->peer)
        return herror_set (err, "node %.64s is not registered on this connection", name);
    n->last_heard = ctld_now();
    /* The answer renews the agent's lease (agent/lease.h). */
    ctld_reply (rq->ctx, rq->peer, proto_reply_ok (msg));
    return 0;
}

/* The nodes named in names (all when NULL) appended to out.  -1 with err
 * for a name that is not a string or not a node. */
static int query_nodes (struct ctld *ctx, json_t *names, bool with_topology, json_t *out,
                        struct herror *err)
{
    json_t *by_node = jobs_by_node (ctx);
    size_t i;
    json_t *v;

    if (!by_node)
        return herror_set (err, "out of memory");
    if (!names) {
        for (int k = 0; k < ctx->nodes->n; k++)
            json_array_append_new (out,
                                   node_to_json (ctx, ctx->nodes->v[k], by_node, with_topology));
    }
    json_array_foreach (names, i, v)
    {
        struct ctld_node *n = json_is_string (v) ? nodes_find (ctx, json_string_value (v)) : NULL;
        if (!json_is_string (v)) {
            json_decref (by_node);
            return herror_set (
                err, "message node.query: member \"names\": entry %zu must be a string", i);
        }
        if (!n)
            continue; /* qnodes says "Unknown node" for each one missing */
        json_array_append_new (out, node_to_json (ctx, n, by_node, with_topology));
    }
    json_decref (by_node);
    return 0;
}

static int node_query (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    json_t *names = NULL;
    bool with_topology = false;

    if (proto_opt_array (msg, "names", &names, err) < 0 ||
        proto_opt_bool (msg, "topology", &with_topology, err) < 0)
        return -1;
    json_t *out = json_array();
    if (!out)
        return herror_set (err, "out of memory");
    if (query_nodes (rq->ctx, names, with_topology, out, err) < 0) {
        json_decref (out);
        return -1;
    }
    json_t *reply = proto_reply_ok (msg);
    if (reply)
        json_object_set_new (reply, "nodes", out);
    else
        json_decref (out);
    ctld_reply (rq->ctx, rq->peer, reply);
    return 0;
}

/* What an admin changes of a node: offline (and the comment), back online
 * (the comment cleared unless one is given), or only the comment. */
enum node_mark { MARK_OFFLINE, MARK_CLEAR, MARK_COMMENT };

static int node_mark (json_t *msg, struct request *rq, enum node_mark mark, struct herror *err)
{
    struct ctld *ctx = rq->ctx;
    const char *name, *comment = NULL;

    if (proto_get_string (msg, "name", &name, err) < 0 ||
        (mark == MARK_COMMENT ? proto_get_string (msg, "comment", &comment, err)
                              : proto_opt_string (msg, "comment", &comment, err)) < 0)
        return -1;
    if (!is_admin (ctx, rq->peer))
        return herror_set (err, "Unauthorized Request");
    if (ctld_store_writable (ctx, err) < 0)
        return -1;
    struct ctld_node *n = nodes_find (ctx, name);
    if (!n)
        return herror_set (err, "Unknown node %.64s", name);
    if (comment && strlen (comment) > NODE_COMMENT_MAX)
        return herror_set (err, "message %s: member \"comment\" is longer than %d bytes",
                           proto_msg_type (msg), NODE_COMMENT_MAX);
    for (const char *c = comment; c && *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return herror_set (err, "message %s: member \"comment\" contains control characters",
                               proto_msg_type (msg));
    char *copy = comment ? strdup (comment) : NULL;
    if (comment && !copy)
        return herror_set (err, "out of memory");
    free (n->comment);
    n->comment = copy && copy[0] ? copy : NULL; /* "" clears it */
    if (n->comment != copy)
        free (copy);
    if (mark != MARK_COMMENT)
        n->offline = mark == MARK_OFFLINE;
    node_changed (ctx, n);
    node_store (ctx, n);
    log_msg (LOG_LEVEL_INFO, "node %s %s by uid %d%s%s", name,
             mark == MARK_OFFLINE ? "offline"
             : mark == MARK_CLEAR ? "cleared"
                                  : "commented",
             (int)peer_uid (rq->peer), comment ? ": " : "", comment ? comment : "");
    ctld_reply (ctx, rq->peer, proto_reply_ok (msg));
    return 0;
}

static int node_offline (json_t *msg, void *arg, struct herror *err)
{
    return node_mark (msg, arg, MARK_OFFLINE, err);
}

static int node_clear (json_t *msg, void *arg, struct herror *err)
{
    return node_mark (msg, arg, MARK_CLEAR, err);
}

static int node_comment (json_t *msg, void *arg, struct herror *err)
{
    return node_mark (msg, arg, MARK_COMMENT, err);
}

const char *nodes_task_endpoint (struct ctld *ctx, const char *name)
{
    struct ctld_node *n = nodes_find (ctx, name);
    return n ? n->task_endpoint : NULL;
}

const char *nodes_probe_endpoint (struct ctld *ctx, const char *name)
{
    struct ctld_node *n = nodes_find (ctx, name);
    return n ? n->probe_endpoint : NULL;
}

int nodes_probe_list (struct ctld *ctx, const char ***names, bool **ready)
{
    struct nodes *ns = ctx->nodes;
    int k = 0;
    *names = malloc ((ns->n + 1) * sizeof (**names));
    *ready = malloc ((ns->n + 1) * sizeof (**ready));
    if (!*names || !*ready) {
        free (*names);
        free (*ready);
        return -1;
    }
    for (int i = 0; i < ns->n; i++) {
        struct ctld_node *n = ns->v[i];
        struct sched_node_usage u = {0};
        if (!n->probe_endpoint)
            continue;
        (*names)[k] = n->name;
        (*ready)[k] = node_usable (n) && sched_node_usage (ctx, n->name, &u) && u.njobs == 0;
        k++;
    }
    return k;
}

const struct proto_handler nodes_agent_handlers[] = {
    {"node.register", node_register},
    {"node.heartbeat", node_heartbeat},
    {NULL, NULL},
};

const struct proto_handler nodes_client_handlers[] = {
    {"node.query", node_query},
    {"node.offline", node_offline},
    {"node.clear", node_clear},
    {"node.comment", node_comment},
    {NULL, NULL},
};
