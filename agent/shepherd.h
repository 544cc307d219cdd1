/* shepherd.h - run one job on this node: owner, containment, binding, kill
 *
 * This is the agent's single "run a command inside job J" path: the batch
 * script starts through shepherd_start, and a remote task (huddle-rsh: an
 * MPI orted) through the job's shepherd on its node (shepherd_task.h), so
 * they get the same owner, container, cpu binding and kill semantics.
 *
 * Every node of a job's allocation runs a shepherd for it.  The first
 * node's runs the script; the others' (sisters) run none: they make the
 * job's container, TMPDIR and environment for that node's share and
 * take its remote tasks until the job is killed there (the job's end,
 * qdel), its walltime or the lease ends it.  An interactive job's
 * (qsub -I) first node runs no script either: its job process is the
 * login shell it starts when qsub attaches (shepherd_task.h), on a
 * pseudo-terminal; the job fails when nobody attaches within
 * SHEPHERD_SESSION_WAIT seconds, and is killed when qsub goes away.
 *
 * For each job the agent forks a *shepherd* (like slurmstepd or PBS mom's
 * child).  The shepherd calls setsid and becomes a child subreaper, creates
 * the job's container (contain.h) and TMPDIR, forks the job process (which
 * joins the container, binds to the allocated PUs with hwloc, takes the
 * owner's uid/gid/groups, umask 022, cd to the workdir, opens stdout and
 * stderr as the owner, and execs argv, or the script: `INTERPRETER [ARG]
 * SCRIPT` when its first line is "#!INTERPRETER [ARG]", as the kernel and
 * PBS do, else `SHELL SCRIPT` with the owner's login shell), then waits.
 * TMPDIR is BASE/huddle.JOBID.XXXXXX (mkdtemp: a name no other user can
 * take in advance), the owner's, 0700.  It does not depend on the agent:
 * `kill -9` of the agent leaves it and the job running.  It enforces
 * walltime and the agent's lease (lease.h: a job whose agent has not heard
 * from the controller for too long is killed, so that it cannot run on
 * after being requeued elsewhere) and executes kill requests: SIGTERM to
 * every process of the job (plus SIGCONT), then SIGKILL until the
 * container is empty after the grace period.  When the job process ends,
 * leftover processes are killed at once.  It then writes
 * STATEDIR/jobs/SEQ/result atomically, removes TMPDIR, the container and
 * STATEDIR/jobs/SEQ/shepherd.pid, and exits.
 *
 * Job directory STATEDIR/jobs/SEQ (0711, root):
 *   job.json      the job object as received
 *   script        the batch script (owner's, 0500), run by its "#!"
 *                 interpreter, else as `SHELL script`
 *   nodefile      PBS_NODEFILE
 *   layout.json   the ranks' layout (topology/layout.h): HUDDLE_LAYOUT,
 *                 read by huddle-bind
 *   rankfile      the same as an Open MPI rankfile: HUDDLE_RANKFILE
 *   hostfile      "NODE slots=N": OMPI_MCA_orte_default_hostfile
 *   endpoints     "NODE HOST:PORT" of the job's agents: HUDDLE_TASK_ENDPOINTS
 *   task.sock     the shepherd's task socket (root's, 0600; shepherd_task.h)
 *   shepherd.pid  "PID STARTTIME\n" while the shepherd lives (STARTTIME is
 *                 field 22 of /proc/PID/stat: guards against pid reuse)
 *   shepherd.log  the shepherd's own notes (binding skipped, workdir
 *                 fallback, container warnings, kill escalation)
 *   result        JSON, common/shepherd_result.h (written once, atomically)
 * STATEDIR and STATEDIR/jobs must be searchable by job owners (o+x).
 *
 * Exit status (PBS convention, docs/protocol.md): the exit code; 256+N when
 * the job's top process died of signal N (a qdel'd job usually ends 271,
 * SIGTERM), as OpenPBS records it; JOB_EXEC_KILL_WALLTIME (-29) when the
 * shepherd killed it for running strictly over its walltime, after writing
 * PBS's "=>> PBS: job killed: walltime N exceeded limit M" line into the
 * job's error file (as the owner); other negative numbers when the job could
 * not start, PBS's JOB_EXEC_* (SHEPHERD_EXIT_*), with `error` saying why.
 *
 * Threads: shepherd_start forks; the calling process should be
 * single-threaded (the agent is: one libevent loop).  The shepherd runs
 * library code (malloc, jansson, hwloc) after fork and never returns into
 * the caller (it leaves with _exit).
 *
 * Nothing here logs or exits; errors return -1/NULL with errno and, where a
 * struct herror is taken, a sentence.
 */
#ifndef HUDDLE_AGENT_SHEPHERD_H
#define HUDDLE_AGENT_SHEPHERD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/contain.h"
#include "agent/jobenv.h"
#include "common/herror.h"
#include "common/shepherd_result.h"

/* Negative exit statuses: the job did not run (numbers from PBS job.h). */
enum {
    SHEPHERD_EXIT_FAIL_SETUP = -1,     /* JOB_EXEC_FAIL1: permanent set-up failure (none yet) */
    SHEPHERD_EXIT_FAIL_EXEC = -2,      /* JOB_EXEC_FAIL2: workdir/home, output files, exec */
    SHEPHERD_EXIT_RETRY = -3,          /* JOB_EXEC_RETRY: transient, the controller requeues
                                        * (container, TMPDIR, environment, pipe, fork) */
    SHEPHERD_EXIT_LOST = -4,           /* JOB_EXEC_INITABT: shepherd gone without a result */
    SHEPHERD_EXIT_FAIL_UID = -10,      /* JOB_EXEC_FAILUID: unknown owner, uid mismatch, setuid */
    SHEPHERD_EXIT_KILL_WALLTIME = -29, /* JOB_EXEC_KILL_WALLTIME: killed over its walltime */
};

/* How a run ended and what it used: enum shepherd_end, struct
 * shepherd_result and the result file's codec are in
 * common/shepherd_result.h. */

struct shepherd_opts {
    const char *node_name;   /* this node in the allocation; NULL: first entry */
    const char *server_name; /* for PBS_JOBID when the job has no jobid */
    const char *tmpdir_base; /* TMPDIR parent; NULL: "/tmp" (TMPDIR = BASE/huddle.JOBID.XXXXXX);
                              * writable by others only if sticky, else jobs requeue */
    int kill_grace_ms;       /* TERM -> KILL delay; 0: 10000 */
    bool no_bind;            /* --no-bind: never call hwloc_set_cpubind */
    struct contain *contain; /* required: the backend from contain_create */
    uint64_t pids_max;       /* the container's process limit; 0: none */
    const json_t *topology;  /* this node's model (registration JSON) for the
                              * rank layout; NULL: lay out from the allocation */
    const char *lease_file;  /* the agent's lease (agent/lease.h): once it has run
                              * out, or cannot be read, the job is killed
                              * (reason fenced); NULL: never fenced */
    const json_t *task_endpoints; /* job.launch's {node: "HOST:PORT"}, NULL: none */
    struct jobenv_mpi mpi;        /* Open MPI settings for the job (jobenv.h) */
};

struct shepherd; /* opaque handle: pid + pidfd of one job's shepherd */

/* Check job (see jobenv.h for the members), prepare STATEDIR/jobs/SEQ and
 * fork the shepherd.  Returns once the shepherd has written its pid file
 * and is ready for signals, and the job's process has exec'd its script or
 * a short wait has passed (shepherd_started).  A bad job, a job already running (EBUSY) or a
 * state directory problem returns NULL with err; failures after the fork
 * (owner, workdir, exec, ...) are reported through the result instead.
 * job is only read (the caller keeps its reference). */
struct shepherd *shepherd_start (const char *statedir, const json_t *job,
                                 const struct shepherd_opts *opts, struct herror *err);

/* Re-attach to job seq after an agent restart, from its pid file.  Works
 * whether the shepherd is alive (handle with a pidfd) or already finished
 * (shepherd_done is then true and shepherd_result answers at once).
 * ENOENT: no such job directory, or neither pid file nor result.  A pid
 * file whose pid now belongs to another process (start time differs) counts
 * as a finished shepherd. */
struct shepherd *shepherd_adopt (const char *statedir, unsigned long seq, struct herror *err);

/* Close the handle's fds and free it.  Never signals the shepherd or the
 * job.  Accepts NULL, keeps errno. */
void shepherd_destroy (struct shepherd *sh);

/* What the job's process reported as it started, on the node that runs
 * the script (qstat -f's session_id and jobdir, and where qmsg writes):
 * its session id (the process calls setsid, so also its pid), the
 * directory it runs in and the files its stdout and stderr go to ("" when
 * none; the same path when joined).  NULL when not known: a sister node,
 * a job that failed before its exec, a shepherd adopted after a restart,
 * or a process that did not say so within shepherd_start's wait.  Owned
 * by the handle. */
struct shepherd_started {
    pid_t session;
    const char *workdir;
    const char *out_file;
    const char *err_file;
};
const struct shepherd_started *shepherd_started (const struct shepherd *sh);

unsigned long shepherd_seq (const struct shepherd *sh);
/* The shepherd's pid (0 when adopted already finished). */
pid_t shepherd_pid (const struct shepherd *sh);
/* A pollable fd, readable once the shepherd has exited (register it with
 * event_new (base, fd, EV_READ, ...)); -1 when already finished.  Owned by
 * the handle. */
int shepherd_pidfd (const struct shepherd *sh);
/* True once the shepherd has exited (polls the pidfd, does not block). */
bool shepherd_done (struct shepherd *sh);

/* Ask the shepherd to act on the job.  sig 0: kill the job (SIGTERM to
 * all, SIGKILL after the grace period: qdel); sig > 0: deliver that signal
 * to every process of the job and nothing more (qsig).  Returns 0, or -1
 * with errno ESRCH when the shepherd has already gone. */
int shepherd_signal (struct shepherd *sh, int sig);

/* The job's walltime is now SECONDS (qalter of a running job), counted from
 * its start as before: a job already past it is killed as for its walltime.
 * 0, or -1 with errno ESRCH (the shepherd has gone) or EINVAL. */
int shepherd_set_walltime (struct shepherd *sh, long seconds);

/* The job's result once the shepherd has exited (reaps it if it is the
 * caller's child).  Returns 0 and fills *res; -1 with errno EAGAIN while it
 * still runs.  A shepherd that died without a result gives reason
 * SHEPHERD_END_LOST and exit status SHEPHERD_EXIT_LOST. */
int shepherd_result (struct shepherd *sh, struct shepherd_result *res);

/* Block until the shepherd exits or timeout_ms passes (-1: forever), then
 * as shepherd_result.  ETIMEDOUT on timeout. */
int shepherd_wait (struct shepherd *sh, int timeout_ms, struct shepherd_result *res);

/* The job seqs that have a directory under STATEDIR/jobs (running or with a
 * result not yet forgotten), ascending.  *seqs is malloc'd (NULL when *n is
 * 0); the caller frees it. */
int shepherd_list (const char *statedir, unsigned long **seqs, size_t *n);

/* Remove STATEDIR/jobs/SEQ once the controller has acknowledged the result.
 * EBUSY while the shepherd still runs. */
int shepherd_forget (const char *statedir, unsigned long seq);

/* Result file name helpers for tools and tests: "STATEDIR/jobs/SEQ". */
int shepherd_jobdir (const char *statedir, unsigned long seq, char *buf, size_t size);

#endif
