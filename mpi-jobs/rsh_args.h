/* rsh_args.h - huddle-rsh's command line and the job's task endpoints
 *
 * huddle-rsh is called the way ssh is, by Open MPI's rsh launcher
 * (plm_rsh_agent) and by scripts written for ssh:
 *
 *   huddle-rsh [SSH OPTIONS] [USER@]HOST COMMAND...
 *
 * Options that change nothing for a task inside a job are accepted and
 * ignored (-x -X -Y -q -v -t -T -4 -6 -A -a -C -k -K -g -y -1 -2, and
 * -b -c -E -e -F -i -I -J -m -o -O -p -Q -S -w with their argument): a
 * launcher that adds "-x" or "-o BatchMode=yes" works unchanged; as with
 * ssh they may also follow HOST, up to the command (or "--").  -n
 * reads stdin from /dev/null.  -l USER (or USER@HOST) must be the caller:
 * a task runs as the job's owner.  What cannot be honoured is refused
 * with a sentence: port forwarding (-L -R -D -W), -f, -N, -M, -s, and a
 * missing command (no interactive logins).  COMMAND's words are joined
 * with blanks and run by the owner's login shell on HOST, as ssh does.
 *
 * The endpoints file (HUDDLE_TASK_ENDPOINTS, written by the agent for
 * each job) holds "NODE HOST:PORT" lines: where each node's agent takes
 * remote tasks.
 *
 * Pure apart from reading that file; errors are -1 with errno and err.
 */
#ifndef HUDDLE_RSH_ARGS_H
#define HUDDLE_RSH_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/herror.h"

struct rsh_args {
    bool no_stdin;     /* -n */
    const char *user;  /* -l USER or USER@HOST; NULL: none given */
    const char *host;  /* borrowed from argv (without "USER@") */
    char *command;     /* the words joined with blanks (malloc'd) */
    char userbuf[256]; /* USER of USER@HOST */
};

/* Parse argv (argv[0] is the program).  Fills *a; rsh_args_free frees
 * what it holds.  -1 with err (EINVAL, ENOMEM). */
int rsh_args_parse (int argc, char *const argv[], struct rsh_args *a, struct herror *err);
void rsh_args_free (struct rsh_args *a);

/* The endpoint of node in the endpoints file path: 0 with buf holding
 * "HOST:PORT"; -1 with errno ENOENT (no such node: err names the nodes
 * the file lists), or the file's errno, and err. */
int rsh_endpoint_find (const char *path, const char *node, char *buf, size_t size,
                       struct herror *err);

/* The job's seq from a PBS_JOBID ("SEQ" or "SEQ.SERVER"): 0, or -1
 * (EINVAL). */
int rsh_job_seq (const char *jobid, unsigned long *seq);

#endif
