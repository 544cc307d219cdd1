/* shepherd_task.h - remote tasks through a job's shepherd
 *
 * huddle-rsh asks a node's agent to start a command inside a running job
 * (agent/agentd_task.c).  The agent does not fork it itself: it hands the
 * request to the job's shepherd on that node, which starts it as it
 * starts the batch script (shepherd_run.c: the job's container, binding,
 * owner, working directory and environment), so that a task is killed
 * with the job (qdel, walltime, the lease) and counted in its container.
 *
 * The agent checks who asks (agentd_task.c), then hands the connection
 * itself over: the shepherd, not the agent, relays the task's stdin,
 * stdout, stderr and exit status with huddle-rsh (docs/protocol.md,
 * "Remote tasks"), so that a task lives on when the agent restarts, as
 * the job's script does.  The hand-over is a Unix SOCK_SEQPACKET socket
 * in the job directory, STATEDIR/jobs/SEQ/task.sock, made by the shepherd
 * before it tells the agent it is ready (so a hand-over never finds it
 * missing; it waits in the backlog while the job is set up), root's, 0600:
 * only the agent reaches it.  One datagram per task:
 *
 *   agent -> shepherd  {"command": STRING, "stdin": BOOL}  with one
 *                      descriptor (SCM_RIGHTS): huddle-rsh's connection,
 *                      past its hello and its task.spawn
 *
 * and from then on the shepherd speaks on that connection:
 * task.spawn.ok {pid}, task.output {stream, data}, task.exit {status} or
 * an error; it reads task.input {data?, eof?}.
 *
 * The task runs `SHELL -c COMMAND` with the owner's login shell, as sshd
 * runs a command, in its own session, its stdin /dev/null unless "stdin".
 * When huddle-rsh goes away before the task ended (mpirun killed it, its
 * node went down), the task's session is killed: nothing is left to read
 * its output, as sshd hangs up a session.
 *
 * Interactive sessions (qsub -I) take the same path with another
 * datagram, from the agent's task.attach:
 *
 *   agent -> shepherd  {"attach": true, "pty": BOOL, "rows": N, "cols": N,
 *                      "term": STRING}  with qsub's connection
 *
 * The shepherd of an interactive job's first node starts the job's shell
 * for it (task_session_f) instead of a script: on a pseudo-terminal it
 * makes here when "pty" (qsub's stdin is a terminal: window size, ^C and
 * job control are the node's line discipline's, as with sshd), else on
 * pipes.  The relay is a task's (task.output stream 1 carries the
 * terminal's output; task.input its input), plus task.winch {rows, cols}
 * from qsub, which sets the terminal's size (the kernel then sends
 * SIGWINCH to its foreground processes).  The session's end is the job's
 * end; when qsub goes away the terminal is hung up (its fds closed, the
 * kernel sends SIGHUP) and task_server_session() says so, for the
 * shepherd to end the job.
 *
 * Both sides are here: the shepherd's (task_server_*, run in the shepherd
 * process) and the agent's (shepherd_task_request).  Nothing here logs or
 * exits; errors are -1/NULL with errno and, where taken, err.
 */
#ifndef HUDDLE_AGENT_SHEPHERD_TASK_H
#define HUDDLE_AGENT_SHEPHERD_TASK_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/herror.h"

#define SHEPHERD_TASK_SOCKET  "task.sock"
#define SHEPHERD_TASK_MAX     64          /* tasks at once per job and node */
#define SHEPHERD_TASK_CMD_MAX (64 * 1024) /* bytes of a command */
/* Descriptors task_server_pollfds may fill: the socket, five per task. */
#define SHEPHERD_TASK_POLLFDS (1 + 5 * SHEPHERD_TASK_MAX)

/* ------------------------------------------------------- shepherd side */

struct task_server;

/* Start a task: fork it with stdio fds[0..2] running command; the pid, or
 * -1 with err.  The callee neither keeps nor closes fds. */
typedef pid_t (*task_spawn_f) (void *arg, const char *command, const int fds[3],
                               struct herror *err);

/* An interactive session's terminal, as qsub -I asked for it. */
struct task_session {
    bool pty;       /* fds[0..2] are the slave of a pseudo-terminal (else pipes) */
    int rows, cols; /* its size, 0 when not known */
    char term[64];  /* qsub's TERM, "" when none */
};

/* Start the session's shell with stdio fds[0..2]; the pid, or -1 with
 * err.  The callee neither keeps nor closes fds. */
typedef pid_t (*task_session_f) (void *arg, const struct task_session *s, const int fds[3],
                                 struct herror *err);

/* How long the shepherd of an interactive job waits for qsub -I to
 * attach once the job runs, before it fails the job. */
#define SHEPHERD_SESSION_WAIT 60

/* Bind and listen on path (removed first).  NULL with err. */
struct task_server *task_server_open (const char *path, struct herror *err);

/* The descriptors to poll (POLLIN), into p[0..max): how many. */
int task_server_pollfds (struct task_server *ts, struct pollfd *p, int max);

/* After poll: accept hand-overs and start their tasks (spawn) or the
 * interactive session (session; NULL refuses attaches), relay stdio,
 * notice huddle-rsh going away (the task's session gets SIGKILL) or qsub
 * (the session's terminal is hung up).  p/n as filled by
 * task_server_pollfds.  Writes what it did into note (may be empty), for
 * the shepherd's log. */
void task_server_handle (struct task_server *ts, const struct pollfd *p, int n, task_spawn_f spawn,
                         task_session_f session, void *arg, char *note, size_t note_size);

/* The interactive session: none started yet, started and qsub still
 * attached, or qsub gone. */
enum task_session_state { TASK_SESSION_NONE = 0, TASK_SESSION_LIVE, TASK_SESSION_GONE };
enum task_session_state task_server_session (const struct task_server *ts);

/* Queue text for qsub as the session's stderr (a "=>> PBS:" line: an
 * interactive job has no error file).  Nothing when no session is live. */
void task_server_session_say (struct task_server *ts, const char *text);

/* pid was reaped with wait status st: 1 when it was a task (huddle-rsh
 * gets its status once its output is relayed), 0 when not. */
int task_server_reaped (struct task_server *ts, pid_t pid, int st);

/* Running tasks. */
int task_server_count (const struct task_server *ts);

/* The shepherd ends: what is queued for huddle-rsh is sent (for at most a
 * second), the statuses of tasks reaped, then everything is closed and the
 * socket removed.  Tasks still running are not signalled: the caller has
 * emptied the job's container.  NULL-safe. */
void task_server_close (struct task_server *ts);

/* --------------------------------------------------------- agent side */

/* Hand huddle-rsh's connection sock (the agent keeps its own copy, to
 * close) to job seq's shepherd with the task's command.  0, or -1 with
 * err (ENOENT / ECONNREFUSED: no shepherd takes tasks there). */
int shepherd_task_request (const char *statedir, unsigned long seq, const char *command,
                           bool with_stdin, int sock, struct herror *err);

/* The same for qsub -I's connection: attach it to job seq's session. */
int shepherd_session_request (const char *statedir, unsigned long seq, const struct task_session *s,
                              int sock, struct herror *err);

#endif
