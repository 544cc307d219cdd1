/* format.h - how the PBS commands print jobs and nodes
 *
 * Pure rendering: job and node objects as the controller reports them
 * (docs/protocol.md, "Job" and "Node") go in, OpenPBS-shaped text comes out,
 * so that users and their scripts that read qstat/pbsnodes output keep
 * working.  Nothing here talks to the network or reads the clock: "now"
 * comes in the context, which is what lets golden-output tests
 * (tests/unit/test_format.c) pin every layout.  Times are printed in local
 * time, as PBS does (tests set TZ=UTC).
 *
 * Members read from a job (all optional except jobid; a missing one is left
 * out of the output or shown as PBS shows an unset attribute):
 *   jobid seq name owner submit_host state queue workdir output error join
 *   priority rerunnable chunks[{count ncpus mpiprocs ngpus mem host?}]
 *   place{arrangement sharing} walltime env submit_time start_time end_time
 *   mtime exit_status run_count resources_used{cput walltime mem_kb}
 *   allocation[{node cores gpus mem}] comment session_id jobdir
 *   submit_args project
 * A job sent without "env" (another user's job) gets no Variable_List.
 * Members read from a node: name state comment ncpus ngpus mem
 *   assigned{ncpus ngpus mem} jobs[jobid] job_slots[jobid/core]
 *   last_state_change_time
 *
 * Every function writes to out and returns 0, or -1 with errno set (ENOMEM,
 * or EIO when out reports a write error).  json_t arguments are borrowed;
 * "jobs" and "nodes" are JSON arrays of objects.
 */
#ifndef HUDDLE_CLI_FORMAT_H
#define HUDDLE_CLI_FORMAT_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "common/resreq.h"

struct format_ctx {
    const char *server;  /* server name: "pbs_server" in JSON, -a/-n header */
    const char *version; /* "pbs_version" in JSON */
    time_t now;          /* JSON "timestamp"; elapsed time of running jobs
                          * whose resources_used has no walltime yet */
};

/* A job object's request (chunks, place, switches, walltime, pgroup) as
 * the commands read it: tolerant of members missing from another user's
 * job.  -1 ENOMEM; resreq_clear() frees it.  format_resreq_nodect: the
 * number of chunk instances (nodect). */
int format_job_resreq (const json_t *job, struct resreq *r);

/* PBS's Hold_Types of a job object: "n" when not held, else its kinds of
 * hold ("u" the user's, "s" the system's: it waits on dependencies). */
const char *format_hold_types (const json_t *job);
int64_t format_resreq_nodect (const struct resreq *r);

/* Resource_List.place as qstat -f shows it ("scatter:excl:group=switch"),
 * into BUF (LEN bytes); returns BUF. */
char *format_place (const struct resreq *r, char *buf, size_t len);

/* qstat: the default table ("Job id  Name  User  Time Use S Queue"). */
int format_jobs_table (FILE *out, const json_t *jobs, bool wide, const struct format_ctx *ctx);

/* How qstat's alternate table is drawn (-a -i -r -H -u, and these). */
struct format_alt {
    bool nodes;    /* -n: each job's exec_host under it */
    bool comment;  /* -s: each job's comment under it */
    bool one_line; /* -1: nodes and comment on the job's own line */
    bool wide;     /* -w: OpenPBS's wide columns, nothing cut short */
    char unit;     /* Memory column: 'G' (-G, gigabytes), 'M' (-M, megawords), 0 */
};

/* qstat -a: the alternate table with requested resources and elapsed
 * time, drawn as O says. */
int format_jobs_alt (FILE *out, const json_t *jobs, const struct format_alt *o,
                     const struct format_ctx *ctx);

/* qstat -f: "Job Id: ID" then "    attr = value" lines, long values wrapped. */
int format_jobs_full (FILE *out, const json_t *jobs, const struct format_ctx *ctx);

/* qstat -F json: {"timestamp", "pbs_version", "pbs_server", "Jobs": {ID: {...}}}. */
int format_jobs_json (FILE *out, const json_t *jobs, const struct format_ctx *ctx);

/* qstat -f -F dsv and pbsnodes -a -F dsv: one line per job or node,
 * "Job Id=ID" / "Name=NODE" then the -f attributes as NAME[.RES]=VALUE,
 * joined by DELIM (PBS's default "|"; -D changes it); DELIM characters,
 * backslashes and newlines inside a value are escaped with a backslash. */
int format_jobs_dsv (FILE *out, const json_t *jobs, const char *delim,
                     const struct format_ctx *ctx);
int format_nodes_dsv (FILE *out, const json_t *nodes, const char *delim,
                      const struct format_ctx *ctx);

/* qstat -Q and -B: queue objects {name queue_type priority total_jobs
 * state_count{Transit Queued Held Waiting Running Exiting Begun}
 * default_walltime max_walltime? max_user_run? enabled started} and the
 * server object {name server_state server_host scheduling total_jobs
 * state_count default_queue default_walltime job_history_duration}, as
 * queue.query and server.query return them.  The tables are OpenPBS's
 * ("Queue Max Tot Ena Str Que Run Hld Wat Trn Ext Type" and "Server Max
 * Tot Que Run Hld Wat Trn Ext Status"), -f the attributes qstat -Qf and
 * -Bf print ("Queue: NAME", "Server: NAME" blocks), JSON {"Queue": {NAME:
 * {...}}} and {"Server": {NAME: {...}}} as -F json, DSV one line each. */
int format_queues_table (FILE *out, const json_t *queues);
int format_queues_full (FILE *out, const json_t *queues, const struct format_ctx *ctx);
int format_queues_dsv (FILE *out, const json_t *queues, const char *delim,
                       const struct format_ctx *ctx);
int format_queues_json (FILE *out, const json_t *queues, const struct format_ctx *ctx);
int format_server_table (FILE *out, const json_t *server);
int format_server_full (FILE *out, const json_t *server, const struct format_ctx *ctx);
int format_server_dsv (FILE *out, const json_t *server, const char *delim,
                       const struct format_ctx *ctx);
int format_server_json (FILE *out, const json_t *server, const struct format_ctx *ctx);

/* qnodes -a: pbsnodes -a layout, one block per node. */
int format_nodes_full (FILE *out, const json_t *nodes, const struct format_ctx *ctx);

/* pbsnodes -aS (job_columns=false: vnode state OS hardware host queue mem
 * ncpus nmics ngpus comment) and -aSj (job_columns=true: njobs run susp and
 * the free/total columns); columns cut to their width unless WHOLE (-L). */
int format_nodes_summary (FILE *out, const json_t *nodes, bool job_columns, bool whole,
                          const struct format_ctx *ctx);

/* qnodes -F json: {"timestamp", "pbs_version", "pbs_server", "nodes": {NAME: {...}}}. */
int format_nodes_json (FILE *out, const json_t *nodes, const struct format_ctx *ctx);

#endif
