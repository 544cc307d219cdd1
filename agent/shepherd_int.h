/* shepherd_int.h - shared by shepherd.c (agent side) and shepherd_run.c
 * (the shepherd process).  Internal to agent/. */
#ifndef HUDDLE_AGENT_SHEPHERD_INT_H
#define HUDDLE_AGENT_SHEPHERD_INT_H

#include <limits.h>

#include "agent/contain_int.h"
#include "agent/jobenv.h"
#include "agent/shepherd.h"

/* Everything the forked shepherd needs; lives in its copy of memory. */
struct shepherd_ctx {
    char jobdir[PATH_MAX];
    char script[PATH_MAX];
    char nodefile[PATH_MAX];
    char layout[PATH_MAX];    /* layout.json: the ranks' cores, GPUs, NICs */
    char rankfile[PATH_MAX];  /* the same as an Open MPI rankfile */
    char hostfile[PATH_MAX];  /* Open MPI's default hostfile: NODE slots=MPIPROCS */
    char endpoints[PATH_MAX]; /* NODE HOST:PORT of the job's agents, for huddle-rsh */
    struct jobdesc *jd;
    struct shepherd_opts opts;
    int ready_fd; /* write one byte when the pid file exists and signals are caught;
                   * then the job's process says how it started (shepherd.c) */
};

/* The shepherd process: never returns. */
void shepherd_run (struct shepherd_ctx *ctx) __attribute__ ((noreturn));

/* Field 22 of /proc/PID/stat (start time in clock ticks since boot), or 0. */
unsigned long long shepherd_proc_starttime (pid_t pid);

/* Write path atomically (PATH.tmp, fsync, rename) with the given mode. */
int shepherd_write_atomic (const char *path, const char *text, mode_t mode);

#endif
