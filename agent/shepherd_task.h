/* shepherd_task.h - remote tasks through a job's shepherd
 *
 * huddle-rsh asks a node's agent to start a command inside a running job
 * (agent/agentd_task.c).  The agent does not fork it itself: it hands the
 * request to the job's shepherd on that node, which starts it as it
 * starts the batch script (shepherd_run.c: the job's container, binding,
 * owner, working directory and environment), so that a task is killed
 * with the job (qdel, walltime, the lease) and counted in its container.
 *
 * The channel is a Unix SOCK_SEQPACKET socket in the job directory,
 * STATEDIR/jobs/SEQ/task.sock, made by the shepherd (root's, 0600: only
 * the agent reaches it).  One connection per task:
 *
 *   agent -> shepherd  {"command": STRING}  with three descriptors
 *                      (SCM_RIGHTS): the task's stdin, stdout, stderr
 *   shepherd -> agent  {"pid": N}           the task runs
 *                      {"error": TEXT}      it could not be started (end)
 *                      {"status": N}        it ended: exit code, or
 *                                           128+signal (end)
 *
 * The task runs `SHELL -c COMMAND` with the owner's login shell, as sshd
 * runs a command, in its own session.  When the agent's end of the
 * connection closes before the task ended (huddle-rsh went away, the agent
 * stopped), the task's session is killed: nothing is left to read its
 * output.
 *
 * Both sides are here: the shepherd's (task_server_*, run in the shepherd
 * process) and the agent's (shepherd_task_*).  Nothing here logs or
 * exits; errors are -1/NULL with errno and, where taken, err.
 */
#ifndef HUDDLE_AGENT_SHEPHERD_TASK_H
#define HUDDLE_AGENT_SHEPHERD_TASK_H

#include <poll.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/herror.h"

#define SHEPHERD_TASK_SOCKET  "task.sock"
#define SHEPHERD_TASK_MAX     64          /* tasks at once per job and node */
#define SHEPHERD_TASK_CMD_MAX (64 * 1024) /* bytes of a command */

/* ------------------------------------------------------- shepherd side */

struct task_server;

/* Start a task: fork it with stdio fds[0..2] running command; the pid, or
 * -1 with err.  The callee neither keeps nor closes fds. */
typedef pid_t (*task_spawn_f) (void *arg, const char *command, const int fds[3],
                               struct herror *err);

/* Bind and listen on path (removed first).  NULL with err. */
struct task_server *task_server_open (const char *path, struct herror *err);

/* The descriptors to poll (POLLIN), into p[0..max): how many. */
int task_server_pollfds (struct task_server *ts, struct pollfd *p, int max);

/* After poll: accept connections, read requests (spawn called for each),
 * notice agents that went away (their tasks' sessions get SIGKILL).  p/n
 * as filled by task_server_pollfds.  Writes what it did into note (may be
 * empty), for the shepherd's log. */
void task_server_handle (struct task_server *ts, const struct pollfd *p, int n, task_spawn_f spawn,
                         void *arg, char *note, size_t note_size);

/* pid was reaped with wait status st: 1 when it was a task (its agent is
 * told, its connection closed), 0 when not. */
int task_server_reaped (struct task_server *ts, pid_t pid, int st);

/* Running tasks. */
int task_server_count (const struct task_server *ts);

/* Close everything (tasks still running are not signalled: the job's
 * container is killed by the caller) and remove the socket.  NULL-safe. */
void task_server_close (struct task_server *ts);

/* --------------------------------------------------------- agent side */

/* Connect to job seq's shepherd and send the request.  Returns the
 * connection (non-blocking, close-on-exec) to read the replies from, or -1
 * with err (ENOENT / ECONNREFUSED: no shepherd takes tasks there). */
int shepherd_task_request (const char *statedir, unsigned long seq, const char *command,
                           const int fds[3], struct herror *err);

/* One reply from fd: 1 "pid" (*pid set), 2 "status" (*status set), 3
 * "error" (err holds its text), 0 nothing yet (EAGAIN), -1 the shepherd
 * closed the connection or sent nonsense (err says which). */
int shepherd_task_reply (int fd, pid_t *pid, int *status, struct herror *err);

#endif
