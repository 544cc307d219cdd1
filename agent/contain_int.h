/* contain_int.h - what the containment backends share (internal to agent/)
 *
 * Each backend fills one struct contain_ops; contain.c owns selection and
 * the generic parts (kill loop, emptiness, destroy).
 */
#ifndef HUDDLE_AGENT_CONTAIN_INT_H
#define HUDDLE_AGENT_CONTAIN_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/contain.h"

/* cgroup v1 hierarchies huddle uses; cpuset and freezer are required,
 * memory and pids are used when mounted. */
enum { CGV1_CPUSET, CGV1_FREEZER, CGV1_MEMORY, CGV1_PIDS, CGV1_N };

struct contain_ops {
    const char *name;
    /* Check usability and prepare base directories; 0 or -1 with err. */
    int (*probe) (struct contain *be, const struct contain_config *cfg, struct herror *err);
    int (*create) (struct container *c, const struct container_spec *spec, struct herror *err);
    int (*open) (struct container *c, struct herror *err);
    int (*add) (struct container *c, pid_t pid);
    int (*pids) (struct container *c, pid_t **pids, size_t *n);
    int (*signal) (struct container *c, int sig);
    /* Optional one-shot kill of everything (cgroup.kill); NULL: signal loop. */
    int (*kill) (struct container *c);
    /* Optional peak memory use in bytes; NULL: ENOTSUP. */
    int (*mem_peak) (struct container *c, uint64_t *bytes);
    int (*remove) (struct container *c);
};

struct contain {
    const struct contain_ops *ops;
    char name[64];           /* huddle sub-directory name */
    char desc[2 * PATH_MAX]; /* contain_describe */
    char v2dir[PATH_MAX];    /* cgv2: parent of job_SEQ */
    bool v2_cpuset, v2_memory, v2_pids, v2_kill, v2_freeze;
    char v1dir[CGV1_N][PATH_MAX]; /* cgv1: parent of job_SEQ per hierarchy ("" = absent) */
};

struct container {
    struct contain *be;
    unsigned long seq;
    char path[CGV1_N][PATH_MAX]; /* cgv2 uses path[0] */
    pid_t root, sid;             /* pgrp */
    char warning[256];
};

extern const struct contain_ops contain_cgv2_ops;
extern const struct contain_ops contain_cgv1_ops;
extern const struct contain_ops contain_pgrp_ops;

/* Small file helpers (contain.c). */
int contain_write (const char *path, const char *text);
/* Read at most size-1 bytes, NUL-terminate, strip a trailing newline.
 * Returns the length or -1. */
ssize_t contain_read (const char *path, char *buf, size_t size);
/* Write VALUE in decimal to DIR/FILE (a limit: memory.max, pids.max); DIR
 * "" (the hierarchy is absent) is ENOENT. */
int contain_write_u64 (const char *dir, const char *file, uint64_t value);
/* Read a file holding one unsigned decimal number (memory.peak).  Returns
 * 0, or -1 with errno (EINVAL when it holds something else). */
int contain_read_u64 (const char *path, uint64_t *value);
/* Read a file of one decimal pid per line (cgroup.procs). */
int contain_read_pids (const char *path, pid_t **pids, size_t *n);
/* Send sig to every pid in the list (which is freed); returns how many
 * were signalled.  The one loop every backend's signal op ends in. */
int contain_signal_pids (pid_t *pids, size_t n, int sig);
/* Write a pid without malloc (safe in a forked child). */
int contain_write_pid (const char *path, pid_t pid);
/* mkdir that accepts an existing directory. */
int contain_mkdir (const char *path);
/* rmdir, retried briefly: the kernel can report EBUSY just after the last
 * task of a cgroup exits. */
int contain_rmdir (const char *path);
/* snprintf for paths and messages: always NUL-terminated; returns -1 with
 * errno ENAMETOOLONG when the text was cut (callers that build a path
 * check it, messages may be cut). */
int bufprintf (char *buf, size_t size, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* Sleep ms milliseconds. */
void contain_sleep_ms (int ms);

#endif
