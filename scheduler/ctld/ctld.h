/* ctld.h - huddle-ctld's shared context and the subsystems' internal API
 *
 * The daemon is one libevent loop and one struct ctld, passed explicitly to
 * every subsystem (no globals).  One file per concern, flux job-manager
 * style.  The daemon proper (huddle-ctld):
 *   main.c      start-up, signals, shutdown
 *   server.c    listener, connections, handler table, role checks, and the
 *               per-turn commit: replies and agent orders are queued and
 *               sent only after store_flush() (docs/ctld.md: a state change
 *               is committed before it is acknowledged); also ctld_now()
 *               and ctld_fatal()
 * and the subsystems, in libctld.a, which reach the network only through
 * the server.c functions declared below (tests/unit/test_ctld_jobs.c links
 * them with a fake one):
 *   nodes.c     node registry: registration, heartbeats, down, offline;
 *               every node change asks for a pass (node_changed)
 *   jobs.c      job table and job_update(), the one path of every change
 *               of a job (job.h): transition, record, reactions; node loss,
 *               the fence, the reconcile of an agent's registration, reload
 *   jobmsg.c    job messages: submit, query, delete, hold, release, ended
 *   jobdepend.c job dependencies: what a job waits on, settled when the
 *               jobs it names start or end (depend.h has the rules)
 *   jobmessage.c qmsg: a line into a running job's files, through its
 *               first node's agent (the client is answered with the agent)
 *   links.c     measured links: link probe orders between idle nodes,
 *               their results (stored), link.query
 *   schedule.c  the scheduler-core snapshot, the queue derived from the job
 *               table (sched_job_sync), the coalesced pass
 *   options.c   the option table (common/config.h)
 *   store.c     the state store (store.h)
 * with pure pieces that have their own unit tests: jobstate.c (the
 * transition table), nodestate.c (PBS node state, registration
 * reconcile), convert.c (JSON <-> core).
 *
 * Event priorities (libevent, 0 = most urgent):
 *   CTLD_PRI_IO (default for everything else: sockets, timers, signals),
 *   CTLD_PRI_SCHED: the scheduling pass, after the turn's messages,
 *   CTLD_PRI_FLUSH: the commit, after the pass, so one turn = one commit.
 */
#ifndef HUDDLE_CTLD_H
#define HUDDLE_CTLD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <event2/event.h>
#include <jansson.h>

#include "common/herror.h"
#include "common/proto.h"
#include "scheduler/core/pass.h"
#include "scheduler/ctld/jobstate.h"

#define CTLD_NPRIORITIES 5
#define CTLD_PRI_IO      2 /* libevent's default: nqueues / 2 */
#define CTLD_PRI_SCHED   3
#define CTLD_PRI_FLUSH   4

/* Resolved option values (main.c fills them from the option table). */
struct ctld_config {
    char *listen_host; /* "" = all addresses */
    int listen_port;
    char *local_socket; /* "" = none */
    char *state_dir;
    char *server_name;
    char **node_names; /* NULL-terminated; NULL or empty = any node */
    int heartbeat_interval;
    int heartbeat_timeout;
    char *default_queue;
    int64_t default_walltime;
    int64_t max_message_size;
    uid_t service_uid; /* agents: uid 0 or this one */
    int kill_grace;
    int64_t job_history; /* seconds a finished job stays visible */
    int max_jobs_per_pass;
    enum sched_policy sched_policy; /* scheduler/core/pass.h */
    int backfill_depth;
    bool store_sync_normal;
    int store_retry_interval;
    int64_t store_min_free;
    int64_t max_script_size; /* job.submit limits */
    int64_t max_user_jobs;
    int64_t max_user_script_bytes;
    int64_t max_array_size;
    int query_page_jobs;  /* job.query pages */
    int query_page_links; /* link.query pages */
    int64_t query_page_bytes;
    int client_idle_timeout; /* connections (server.c) */
    int max_user_connections;
    int max_connections; /* 0: from RLIMIT_NOFILE */
    int reserved_connections;
    int job_lease;         /* seconds an agent's jobs run unheard (fence, nodes.c) */
    int probe_interval;    /* link probes (links.c): seconds between plans, 0: off */
    int64_t probe_refresh; /* seconds before a measured link is measured again */
    int probe_parallel;    /* probes at once */
    int probe_pings;       /* round trips per latency measurement */
    int probe_streams;     /* large messages per bandwidth measurement */
    int64_t probe_stream_size;
    int probe_timeout;  /* seconds one probe may take */
    char *fabric;       /* switch tree file, "" = none (ctld_fabric.h) */
    char *fabric_map;   /* EC2 instance map, "" = none */
    char *mail_command; /* qsub -m mail: "" = none (jobmsg.c) */
    char *node_labels;  /* labels.h's option text, "" = none */

    struct queues *queues; /* queues.h: options queues and default_queue */
};

struct server;
struct sched_alloc;
struct sched_node_usage;
struct resreq;
struct nodes;
struct jobs;
struct sched;
struct links;
struct peer;
struct ctld_fabric;
struct job_messages;
struct queues;

struct ctld {
    struct event_base *base;
    struct ctld_config cfg;
    struct store *store;
    struct server *server;
    struct nodes *nodes;
    struct jobs *jobs;
    struct sched *sched;
    struct links *links;           /* NULL: no link probes (unit tests) */
    struct ctld_fabric *fabric;    /* ctld_fabric.h */
    json_t *pgroups;               /* pgroups.c: placement group name -> object */
    struct job_messages *messages; /* jobmessage.c: qmsg requests its agents still owe */
    int64_t start_time;
    int exit_code; /* set when the loop is stopped on a fatal error */
};

/* Seconds since the epoch (the one clock the daemon reads). */
int64_t ctld_now (void);

/* A fatal error (the store cannot commit): log it and stop the loop. */
void ctld_fatal (struct ctld *ctx, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* --------------------------------------------------------------- server.c */

/* What a handler gets as its proto_handler_f argument. */
struct request {
    struct ctld *ctx;
    struct peer *peer;
};

/* Listen (cfg.listen_host:listen_port) and create the flush event. */
int server_create (struct ctld *ctx, struct herror *err);
void server_destroy (struct ctld *ctx);

/* The port actually bound (for listen_port 0). */
int server_port (struct ctld *ctx);

/* The peer's identity.  peer_agent_node() is the node name the agent on
 * this connection registered (NULL before node.register). */
uid_t peer_uid (const struct peer *p);

/* Root or the service user: who may act for the cluster (agents, node
 * offline/clear, other users' jobs where an admin may, raising a running
 * job's walltime). */
static inline bool ctld_privileged (const struct ctld *ctx, uid_t uid)
{
    return uid == 0 || uid == ctx->cfg.service_uid;
}
gid_t peer_gid (const struct peer *p);
const char *peer_addr (const struct peer *p);
const char *peer_agent_node (const struct peer *p);
void peer_set_agent_node (struct peer *p, const char *name);

/* Keep a peer past its connection's end (the struct outlives the conn). */
struct peer *peer_ref (struct peer *p);
void peer_unref (struct peer *p);

/* Queue msg (stolen) to be sent to p after this turn's commit.  NULL-safe
 * on msg (an allocation failure is logged and the reply dropped). */
void ctld_reply (struct ctld *ctx, struct peer *p, json_t *msg);

/* Queue an order (stolen) for node's agent, sent after the commit through
 * whatever connection the node has then (dropped with a log line when it
 * has none: registration reconciles). */
void ctld_order (struct ctld *ctx, const char *node, json_t *msg);

/* Something was put into the store: make sure the flush runs this turn. */
void ctld_dirty (struct ctld *ctx);

/* 0 when changes can be committed; -1 with "state store full: ..." in err
 * while the store cannot commit (new work is refused then). */
int ctld_store_writable (struct ctld *ctx, struct herror *err);

/* End p's connection gracefully (queued output is still sent). */
void server_close_peer (struct ctld *ctx, struct peer *p);

/* ---------------------------------------------------------------- nodes.c */

struct ctld_node;

int nodes_create (struct ctld *ctx);
void nodes_destroy (struct ctld *ctx);

/* Read the stored nodes: each comes back "down" (not usable) until its agent
 * registers; a node with running jobs keeps them for heartbeat_timeout. */
int nodes_load (struct ctld *ctx, struct herror *err);

struct ctld_node *nodes_find (struct ctld *ctx, const char *name);

/* The registry's nodes in name order: how many, and the I-th's name. */
size_t nodes_count (struct ctld *ctx);
const char *nodes_name (struct ctld *ctx, size_t i);

/* The agent connection of a node went away. */
void nodes_peer_closed (struct ctld *ctx, struct peer *p);

/* The agent's connection for a node, NULL when none. */
struct peer *node_peer (const struct ctld_node *n);

/* The node's parsed topology model (NULL before its first one). */
struct topo_node;
const struct topo_node *node_topology (const struct ctld_node *n);

extern const struct proto_handler nodes_agent_handlers[];
extern const struct proto_handler nodes_client_handlers[];

/* Where node name's agent takes remote tasks (task_endpoint of its
 * registration, "HOST:PORT"), NULL when it takes none. */
const char *nodes_task_endpoint (struct ctld *ctx, const char *name);

/* The probe endpoint name node name's agent registered, NULL when none. */
const char *nodes_probe_endpoint (struct ctld *ctx, const char *name);

/* The nodes with a probe endpoint, in name order, in *names (borrowed
 * strings) and whether each is ready for a probe (*ready: up, usable, no
 * job at all).  Both arrays are malloc'd.  Returns their length, -1 on
 * ENOMEM. */
int nodes_probe_list (struct ctld *ctx, const char ***names, bool **ready);

/* -------------------------------------------------------------- pgroups.c */

/* Placement groups (qpg): read the stored ones; NULL-safe destroy. */
int pgroups_create (struct ctld *ctx, struct herror *err);
void pgroups_destroy (struct ctld *ctx);

/* Group NAME's object ("name", "strategy", "partitions"?, "uid", "owner",
 * "ctime"), borrowed; NULL when there is none. */
const json_t *pgroups_find (struct ctld *ctx, const char *name);

extern const struct proto_handler pgroups_client_handlers[];

/* ---------------------------------------------------------------- links.c */

/* Load the measured links and start the probe timer (probe_interval). */
int links_create (struct ctld *ctx, struct herror *err);
void links_destroy (struct ctld *ctx);

/* The latency measured between nodes x and y (either order) in *lat_us:
 * 0, or -1 when the pair was never measured (or there are no links). */
int links_latency (struct ctld *ctx, const char *x, const char *y, double *lat_us);

/* Every measured link as topology/infer.h's fabric_infer() takes them,
 * into *out (free() it; the names in it are borrowed from links.c and
 * valid until its table next changes: a probe result, a probe given up).
 * Returns how many, -1 on ENOMEM. */
struct fabric_measure;
int links_measures (struct ctld *ctx, struct fabric_measure **out);

/* Measure the pair of nodes x and y again soon (before any pair that is
 * merely old): the inferred fabric asks this to confirm a change before it
 * uses it (ctld_fabric.h).  -1 when the pair was never measured or probes
 * are off.  links_rechecks_left() counts the pairs asked for and not yet
 * measured again; links_recheck_clear() forgets them all. */
int links_recheck (struct ctld *ctx, const char *x, const char *y);
int links_rechecks_left (struct ctld *ctx);
void links_recheck_clear (struct ctld *ctx);

extern const struct proto_handler links_agent_handlers[];
extern const struct proto_handler links_client_handlers[];

/* ----------------------------------------------------------------- jobs.c */

struct ctld_job;

int jobs_create (struct ctld *ctx);
void jobs_destroy (struct ctld *ctx);

/* Read the stored jobs; running ones are re-claimed in the snapshot (after
 * nodes_load()).  Returns 0 or -1 with err. */
int jobs_load (struct ctld *ctx, struct herror *err);

/* Node name went down (heartbeat timeout, or the registration grace after a
 * restart ran out): every active job with an allocation on it is lost,
 * except the rerunnable ones: they stay running until jobs_node_fenced()
 * (the part of their run there, the script or a sister's remote tasks,
 * may still be alive). */
void jobs_node_lost (struct ctld *ctx, const char *name);

/* Registration of node name with the jobs its agent reports (objects
 * {"seq", "run_count"?}): adopt or lose them; the seqs the agent must kill
 * (no longer its) are appended to kill, the adopted ones with an order the
 * agent may have missed (being deleted or rerun, or a walltime altered) to
 * retell: the caller sends each job_retell() after its reply (the agent
 * takes orders once registered).  The report was checked by the caller.
 * -1 on ENOMEM (nothing changed). */
int jobs_node_register (struct ctld *ctx, const char *name, json_t *reported, json_t *kill,
                        json_t *retell);

/* {node name: {"jobs": [jobid (SEQ.SERVER)], "slots": ["JOBID/CORE" per
 * core the job holds there, PBS's jobs attribute; "JOBID" for a job with
 * no core there]}} for the active jobs, one pass over the table
 * (node.query).  New reference, NULL on ENOMEM. */
json_t *jobs_by_node (struct ctld *ctx);

/* Drop finished jobs older than job_history (store and memory). */
void jobs_prune (struct ctld *ctx, int64_t now);

struct ctld_job *jobs_find (struct ctld *ctx, int64_t seq);

/* Set the comment qstat shows for a queued job (why it waits); not
 * stored, to keep passes cheap.  NULL clears. */
void job_set_queue_comment (struct ctld_job *j, const char *comment);

extern const struct proto_handler jobs_client_handlers[];
extern const struct proto_handler jobs_agent_handlers[];

/* ------------------------------------------------------------ jobmessage.c */

/* qmsg (job.message) and its agents' answers; the requests still waiting
 * are answered by nobody once destroyed (at shutdown). */
extern const struct proto_handler messages_client_handlers[];
extern const struct proto_handler messages_agent_handlers[];
void job_messages_destroy (struct ctld *ctx);

/* ------------------------------------------------------------- handlers.c */

/* The handler of message TYPE, from every subsystem's tables above (the
 * one list server.c dispatches with), NULL when none; *agent_only tells
 * whether it takes agents' messages only. */
const struct proto_handler *ctld_handler_find (const char *type, bool *agent_only);

/* ------------------------------------------------------------- schedule.c */

int sched_create (struct ctld *ctx);
void sched_destroy (struct ctld *ctx);

/* Ask for a pass: coalesced to at most one per loop turn.  Called by the
 * reactions of job_update() (jobs.c) and by node_changed() (nodes.c), and
 * when the store commits again (server.c). */
void sched_request (struct ctld *ctx);

/* How many passes were requested and run since sched_create() (what the
 * unit tests check a change against). */
struct sched_stats {
    int requests;
    int passes;
};
void sched_stats (struct ctld *ctx, struct sched_stats *st);

/* Node name's topology model (re)arrived, parsed by the node registry (t)
 * and as the agent sent it (topology, to tell a change): add it to the
 * snapshot; a changed model replaces the old one unless jobs run there
 * (then the old one stays until a later registration).  Returns 0 or -1
 * with err. */
int sched_node_update (struct ctld *ctx, const char *name, const struct topo_node *t,
                       const json_t *topology, bool usable, struct herror *err);
int sched_node_usable (struct ctld *ctx, const char *name, bool usable);

/* What the snapshot says about node name (false when it is not there). */
bool sched_node_usage (struct ctld *ctx, const char *name, struct sched_node_usage *u);

/* The scheduler's queue is derived from the job table: make it agree with
 * j (in the queue exactly while Q or H, held while H, eligible since
 * j->eligible_time).  Called by job_update()'s reactions and by
 * jobs_load(); idempotent.  A failure (ENOMEM) is logged. */
void sched_job_sync (struct ctld *ctx, struct ctld_job *j);

/* j's request, priority or queue changed (qalter, qmove): a waiting job is
 * queued again with them (keeping its rank and eligible time).  Whether it
 * was in the queue. */
bool sched_job_requeue (struct ctld *ctx, struct ctld_job *j);

/* j->rank changed (qorder): the queue follows.  -1 ENOENT when it is not
 * queued (then there is nothing to follow). */
int sched_queue_set_rank_of (struct ctld *ctx, const struct ctld_job *j);

/* An entry of the scheduler's queue that is not a job of the table (an
 * array's pending subjob, arrays.c): put (-1 with errno as
 * sched_queue_add) and dropped (nothing when absent). */
struct sched_job;
int sched_queue_put (struct ctld *ctx, const struct sched_job *sj);
void sched_queue_drop (struct ctld *ctx, int64_t seq);

/* The fabric (scheduler/core/fabric.h: nodes in fabric order, switches as
 * nested ranges of it) for placement from the next pass on; NULL: none,
 * name order.  Running jobs keep their nodes; a rebuilt snapshot keeps the
 * fabric.  The hook the fabric reader (topology/, at start and on SIGHUP)
 * calls.  -1 with errno EINVAL (a malformed fabric, nothing changed) or
 * ENOMEM. */
struct sched_fabric;
int sched_set_fabric (struct ctld *ctx, const struct sched_fabric *f);

/* Placement group G (pgroups.c's object: name, strategy, partitions) is
 * defined, or NAME is gone, for placement from the next pass on
 * (scheduler/core/pgroup.h).  A rebuilt snapshot keeps the groups.
 * sched_pgroup_set: -1 with errno EINVAL (a bad object) or ENOMEM. */
int sched_pgroup_set (struct ctld *ctx, const json_t *g);
void sched_pgroup_remove (struct ctld *ctx, const char *name);

/* Claim a stored allocation (restart) / release one (job end, loss). */
int sched_claim (struct ctld *ctx, const struct sched_alloc *a);
void sched_release (struct ctld *ctx, const struct sched_alloc *a);

/* ---------------------------------------------------------------- fencing */

/* Node name's fence deadline passed (nodes.c: job_lease + kill_grace +
 * margin since it was last heard) with no registration: its agent's
 * shepherds have killed what it ran, the jobs jobs_node_lost() left
 * running are requeued now. */
void jobs_node_fenced (struct ctld *ctx, const char *name);

#endif
