/* qsub_interactive.h - qsub -I: wait for the job, then be its terminal
 *
 * An interactive job (jobspec's "interactive") is queued and placed as any
 * job; once it runs, its first node's shepherd waits for qsub to attach
 * (agent/shepherd_task.h) and then starts the owner's login shell there,
 * with the job's environment, container, binding and walltime.  qsub
 * prints what PBS's qsub prints around it:
 *
 *     qsub: waiting for job 12.vm to start
 *     qsub: job 12.vm ready
 *     (the session)
 *     qsub: job 12.vm completed
 *
 * and exits with the shell's status (128+N when a signal N ended it).
 *
 * How qsub reaches the shell: the first node's agent task port, the one
 * huddle-rsh uses (docs/protocol.md "Remote tasks"), with a task.attach
 * authenticated by MUNGE as the job's owner; the node's endpoint comes
 * from node.query.  The agent hands the connection to the job's shepherd,
 * which relays the shell's terminal with qsub from then on, so the
 * controller carries no terminal traffic.
 *
 * When qsub's stdin is a terminal, the shell gets a pseudo-terminal on
 * the node of the same size (and each SIGWINCH's new size), qsub's TERM,
 * and qsub puts its own terminal in raw mode: every key, ^C and ^Z
 * included, goes to the node's line discipline, which signals the
 * shell's foreground job as a local terminal would.  When it is not
 * (`echo cmds | qsub -I`) the shell runs on pipes, reading commands from
 * qsub's stdin until its end, its stdout and stderr kept apart: PBS also
 * accepts that; a pseudo-terminal there would echo the input back and
 * merge the streams, which is what a script piping into qsub -I does not
 * want.
 *
 * Interrupting qsub (SIGINT, SIGTERM, SIGHUP) while it waits deletes the
 * job, so that no allocation waits for a qsub that is gone; during the
 * session ^C is the shell's, and a SIGTERM or SIGHUP of qsub hangs the
 * session up (the job ends).  A qsub that dies without a word leaves the
 * job to its shepherd, which fails it when no attach comes within
 * SHEPHERD_SESSION_WAIT seconds of the start, and ends it when the
 * session's connection drops.
 */
#ifndef HUDDLE_CLI_QSUB_INTERACTIVE_H
#define HUDDLE_CLI_QSUB_INTERACTIVE_H

#include <stdint.h>

#include "climain.h"

/* Wait for job seq (jobid as printed) to start, attach to its session and
 * relay it until the end.  Prints as above; returns qsub's exit status. */
int qsub_interactive (struct cli *cli, int64_t seq, const char *jobid);

#endif
