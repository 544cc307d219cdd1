/* agentd.h - huddle-agent's shared context and the subsystems' internal API
 *
 * The agent is one libevent loop and one struct agentd, passed explicitly to
 * every subsystem (no globals).  Single-threaded on purpose: shepherd_start
 * forks.  One file per concern:
 *   main.c            start-up, signals, pid file, shutdown
 *   agentd_options.c  the option table (common/config.h) and its checks
 *   agentd_conn.c     the controller connection: connect with backoff,
 *                     node.register, heartbeats, message dispatch, and
 *                     the lease each answer of the controller grants
 *                     (agent/lease.h: what fences the jobs of an agent
 *                     that has not heard from the controller)
 *   agentd_jobs.c     the job table: adoption at start-up, job.launch,
 *                     job.kill, shepherd exits, job.ended and its ack
 *   agentd_probe.c    the link probe endpoint (agent/probe.h): its name
 *                     in node.register, link.probe orders
 *   agentd_task.c     the task port: huddle-rsh's task.spawn checked
 *                     (uid, the run's cookie) and its connection handed
 *                     to the job's shepherd, which runs and relays it;
 *                     qsub -I's task.attach (uid) the same way
 *
 * The state directory is the agent's memory: every job it runs or whose
 * result the controller has not acknowledged has a directory there
 * (shepherd.h), so a restarted agent adopts its jobs and still delivers
 * their results, and nothing else needs to be kept across restarts.
 */
#ifndef HUDDLE_AGENTD_H
#define HUDDLE_AGENTD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <event2/event.h>
#include <jansson.h>

#include "common/herror.h"
#include "common/log.h"
#include "common/proto.h"
#include "agent/jobenv.h"

/* Resolved option values (strings borrowed from the option table). */
struct agentd_config {
    const char *server;       /* controller HOST:PORT */
    const char *name;         /* this node's name */
    const char *topology;     /* hwloc XML file, or NULL */
    const char *synthetic;    /* hwloc synthetic description, or NULL */
    const char *state_dir;    /* job directories live in STATE_DIR/jobs */
    const char *tmpdir_base;  /* parent of the jobs' TMPDIRs */
    const char *contain;      /* containment backend: auto, cgv2, cgv1, pgrp */
    const char *cgroup_name;  /* huddle's cgroup sub-directory name */
    uint64_t job_pids_max;    /* a job's processes + threads on this node; 0: no limit */
    bool no_bind;             /* never bind jobs to their PUs */
    const char *bind_address; /* local address to connect from, or NULL */
    uid_t service_uid;        /* the controller must run as root or this uid */
    const char *pid_file;     /* NULL: none */
    const char *log_file;     /* NULL: stderr */
    enum log_level log_level;
    const char *probe_provider; /* libfabric provider, NULL: default, "none": off */
    const char *probe_replay;   /* replay file instead of a fabric, or NULL */
    int task_port;              /* remote tasks (agentd_task.c): 0 any */
    const char *task_address;   /* what task_endpoint names */
    const char *rsh_path;       /* huddle-rsh for the jobs */
    struct jobenv_mpi mpi;      /* what jobs get for Open MPI (jobenv.h) */
};

struct agentd_options;
struct agentd_conn;
struct agentd_task;
struct agentd_jobs;
struct contain;
struct conn;
struct probe_ep;

struct agentd {
    struct event_base *base;
    struct agentd_config cfg;
    json_t *topology;        /* the node model sent at registration */
    struct contain *contain; /* chosen once at start-up */
    struct agentd_conn *conn;
    struct agentd_jobs *jobs;
    struct probe_ep *probe;   /* NULL: this node's links are not measured */
    struct agentd_task *task; /* the task port */
    int kill_grace;           /* seconds, from node.register.ok (default 10) */
    int exit_code;
    char lease_file[4096]; /* STATEDIR/lease (agent/lease.h), set by agentd_conn_create */
};

/* -------------------------------------------------- options (agentd_options.c) */

/* Parse the command line (and --config FILE) into cfg.  NULL when the
 * program should exit with *exit_code: 0 after --help, 2 with err filled. */
struct agentd_options *agentd_options_parse (int argc, char *argv[], struct agentd_config *cfg,
                                             int *exit_code, struct herror *err);
void agentd_options_destroy (struct agentd_options *o);

/* ---------------------------------------------- connection (agentd_conn.c) */

/* Start connecting (and keep reconnecting with backoff until destroyed). */
int agentd_conn_create (struct agentd *ad, struct herror *err);
void agentd_conn_destroy (struct agentd *ad);

/* True while registered on a live connection: orders are taken and
 * results sent only then. */
bool agentd_registered (struct agentd *ad);

/* Send a message (borrowed) to the controller when registered.  Returns 0,
 * or -1 when there is no registered connection (the caller keeps what it
 * needs in the state directory and sends it again after re-registering). */
int agentd_send (struct agentd *ad, const json_t *msg);

/* ---------------------------------------------------- jobs (agentd_jobs.c) */

/* Adopt every job directory in the state directory. */
int agentd_jobs_create (struct agentd *ad, struct herror *err);
/* Forget the handles; never signals a job (a restarted agent adopts them). */
void agentd_jobs_destroy (struct agentd *ad);

/* node.register's "jobs": every job held here, running or with a result
 * not acknowledged.  New reference, NULL on ENOMEM. */
json_t *agentd_jobs_report (struct agentd *ad);

/* Registered: kill the jobs in kill (array of seqs, borrowed), then send
 * every pending result. */
void agentd_jobs_registered (struct agentd *ad, json_t *kill);

/* The connection is gone: results sent but not acknowledged are sent
 * again after the next registration. */
void agentd_jobs_disconnected (struct agentd *ad);

/* Orders from the controller and the ack of a result. */
extern const struct proto_handler agentd_jobs_handlers[];

/* --------------------------------------------------- probes (agentd_probe.c) */

/* Open the probe endpoint; a failure is logged as a warning (no probes). */
void agentd_probe_open (struct agentd *ad);
void agentd_probe_close (struct agentd *ad);

/* Add the endpoint's name to node.register msg (nothing without one).
 * -1 on ENOMEM. */
int agentd_probe_register (struct agentd *ad, json_t *msg);

/* link.probe. */
extern const struct proto_handler agentd_probe_handlers[];

/* ------------------------------------------------- remote tasks (agentd_task.c) */

/* Listen on the task port; -1 with err when it cannot be bound. */
int agentd_task_open (struct agentd *ad, struct herror *err);
void agentd_task_close (struct agentd *ad);

/* Add task_endpoint ("HOST:PORT") to node.register msg.  -1 on ENOMEM. */
int agentd_task_register (struct agentd *ad, json_t *msg);

/* May a process of uid that shows cookie start a task in job seq here?
 * The job must run here (its shepherd alive), be uid's, and have that
 * cookie (its current run's).  0, or -1 with err saying why not; errno
 * EAGAIN when the job is not known here (yet: its job.launch may come).
 * cookie NULL checks no cookie: qsub -I's task.attach, which knows none
 * (the uid is what keeps others out; the job's shepherd takes one attach,
 * and only for an interactive job's first node). */
int agentd_jobs_task_check (struct agentd *ad, unsigned long seq, uid_t uid, const char *cookie,
                            struct herror *err);

/* What the handlers get as their arg. */
struct agentd_request {
    struct agentd *ad;
    struct conn *conn; /* where the order came from: replies go there */
};

#endif
