/* contain.h - keep every process of a job together, limit it, and kill it
 *
 * A job's processes live in a *container*.  Three backends, behind one small
 * ops table (contain_int.h), chosen once at agent start-up:
 *
 *   cgv2  cgroup v2: DIR/job_SEQ (DIR defaults to CGROUP2MOUNT/huddle).
 *         cpuset.cpus, memory.max and pids.max are written when those
 *         controllers are available in DIR; killing uses cgroup.kill (Linux >= 5.14), else
 *         freeze (cgroup.freeze) + signal every pid in cgroup.procs until the
 *         cgroup is empty.  Tracking and killing need no controller, so a
 *         bare cgroup2 mount (e.g. /sys/fs/cgroup/unified on a hybrid host)
 *         still gives a leak-proof container, just without cpu/memory limits.
 *   cgv1  cgroup v1: the cpuset and freezer hierarchies (memory and pids
 *         when mounted),
 *         MOUNT/CTRL/<agent's own cgroup in CTRL>/huddle/job_SEQ.  Working
 *         under the agent's own cgroup keeps jobs inside whatever limits the
 *         agent itself runs under (systemd slice, container).  cpuset.mems is
 *         copied from the parent before any task joins.  Kill: freeze, signal
 *         every task, thaw, repeat until empty.
 *   pgrp  no kernel container: the job is its session (the job process calls
 *         setsid) plus every descendant of the container's root pid (the
 *         shepherd, which is a child subreaper, so orphans re-parent to it).
 *         A process that calls setsid escapes the session but not the
 *         descendant walk; it does escape if the shepherd itself dies.  No
 *         cpu, memory or process limits (binding is done separately with
 *         hwloc).
 *
 * Automatic choice (backend NULL/"auto" and $HUDDLE_CONTAIN unset):
 *   1. cgv2 when a writable cgroup2 mount offers both cpuset and memory;
 *   2. cgv1 when writable cpuset and freezer v1 hierarchies are mounted;
 *   3. cgv2 on a writable cgroup2 mount without controllers (tracking only);
 *   4. pgrp.
 * On the hybrid development VM (v1 controllers + empty unified v2) that picks
 * cgv1; on a current cluster (unified v2 with delegated controllers) cgv2.
 *
 * Errors: functions return -1 / NULL with errno set; those that take a
 * struct herror also fill it with a sentence for the agent's log.  Nothing
 * here logs or exits.
 */
#ifndef HUDDLE_AGENT_CONTAIN_H
#define HUDDLE_AGENT_CONTAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/herror.h"

struct contain;   /* a chosen backend and its configuration */
struct container; /* one job's container */

struct contain_config {
    /* "cgv2", "cgv1", "pgrp" or "auto"; NULL means $HUDDLE_CONTAIN, else auto.
     * A forced backend that is not usable here is an error, not a fallback. */
    const char *backend;
    /* Where the cgroup hierarchies are mounted; NULL: "/sys/fs/cgroup". */
    const char *cgroup_mount;
    /* cgv2: the directory under which job_SEQ cgroups are made (created if
     * missing); NULL: the first cgroup2 mount among MOUNT and MOUNT/unified,
     * plus "/" NAME. */
    const char *cgv2_dir;
    /* Name of the huddle sub-directory; NULL: "huddle".  Tests use a unique
     * name so that they never touch a real agent's cgroups. */
    const char *name;
};

/* Choose and prepare a backend (creates the huddle cgroup directories).
 * cfg may be NULL.  Returns NULL with errno and err set when the forced
 * backend is unusable.  Free with contain_destroy (never removes cgroups
 * that still hold jobs). */
struct contain *contain_create (const struct contain_config *cfg, struct herror *err);
void contain_destroy (struct contain *be);

/* Remove huddle's own cgroup directories (the parents of the job_SEQ
 * cgroups) when no job container is left in them: EBUSY otherwise.  For
 * tests and agent uninstall; an agent normally leaves them in place. */
int contain_remove_dirs (struct contain *be);

/* "cgv2", "cgv1" or "pgrp". */
const char *contain_name (const struct contain *be);
/* One line for the agent's log: backend, directories, controllers. */
const char *contain_describe (const struct contain *be);
/* Whether the backend can restrict cpus / memory. */
bool contain_can_cpuset (const struct contain *be);
bool contain_can_limit_memory (const struct contain *be);

struct container_spec {
    const char *cpus; /* Linux cpu list "0-3,8" (OS PU indexes); NULL: no restriction */
    uint64_t mem;     /* bytes; 0: no limit */
    uint64_t pids;    /* most processes and threads the job may have at once (fork
                       * and clone fail with EAGAIN beyond it); 0: no limit */
    pid_t root;       /* pgrp: the subreaper whose descendants belong to the job; 0: caller */
};

/* Make the container for job seq.  A stale, empty container of the same job
 * (left by a crash) is reused; one that still holds processes is EBUSY.
 * A cpu list the hierarchy refuses (PUs not on this machine) is not an
 * error: the container then inherits its parent's cpus and
 * container_warning says so.  Free with container_destroy. */
struct container *container_create (struct contain *be, unsigned long seq,
                                    const struct container_spec *spec, struct herror *err);

/* Reattach to job seq's existing container (e.g. to clean up after a lost
 * shepherd).  pgrp cannot do this: ENOTSUP.  ENOENT when there is none. */
struct container *container_open (struct contain *be, unsigned long seq, struct herror *err);

/* Put pid (0: the caller) into the container.  Idempotent: call it in the
 * child before exec and in the parent after fork, like setpgid, so that no
 * process of the job ever runs outside.  pgrp: the first pid added is the
 * job's session id.  Async-signal-safe enough for a child after fork (no
 * malloc).  Returns 0 or -1 with errno. */
int container_add (struct container *c, pid_t pid);

/* The live (non-zombie) processes in the container.  *pids is malloc'd
 * (may be NULL when *n == 0); the caller frees it.  Returns 0 or -1. */
int container_pids (struct container *c, pid_t **pids, size_t *n);

/* 1 when no live process is left, 0 when some are, -1 on error. */
int container_is_empty (struct container *c);

/* Send sig once to every process in the container, without racing forks
 * where the backend can freeze.  Returns the number of processes signalled
 * (cgroup.kill counts as 1), or -1 with errno. */
int container_signal (struct container *c, int sig);

/* SIGKILL everything until the container is empty or timeout_ms passes.
 * Returns 0 when empty, -1 with errno ETIMEDOUT when processes are left
 * (e.g. stuck in uninterruptible sleep). */
int container_kill (struct container *c, int timeout_ms);

/* The container's peak memory use in bytes since it was made: every
 * process of the job together (anonymous memory and the page cache it
 * caused), which is what PBS's cgroup hook reports as resources_used.mem.
 * cgv1 reads memory.max_usage_in_bytes, cgv2 memory.peak (Linux >= 5.19).
 * Read it before container_remove.  Returns 0, or -1 with errno ENOTSUP
 * when the backend keeps no such figure (pgrp, cgv1 without a memory
 * hierarchy, cgv2 without the memory controller or on an older kernel):
 * callers then fall back to the largest process (getrusage). */
int container_mem_peak (struct container *c, uint64_t *bytes);

/* Text about a limit that could not be applied (NULL when none). */
const char *container_warning (const struct container *c);

/* Remove the container from the system (it must be empty: EBUSY
 * otherwise) and free it.  container_destroy only frees the handle,
 * leaving the cgroup as it is; both accept NULL and keep errno. */
int container_remove (struct container *c);
void container_destroy (struct container *c);

#endif
