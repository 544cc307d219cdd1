/* contain_cgv2.c - cgroup v2 backend (see contain.h) */
#define _GNU_SOURCE
#include "agent/contain_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static bool is_cgroup2 (const char *path)
{
    struct statfs sf;
    return statfs (path, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

static bool has_word (const char *list, const char *word)
{
    size_t len = strlen (word);
    for (const char *p = list; (p = strstr (p, word)); p += len) {
        bool start = p == list || p[-1] == ' ';
        bool end = p[len] == '\0' || p[len] == ' ' || p[len] == '\n';
        if (start && end)
            return true;
    }
    return false;
}

static bool file_exists (const char *dir, const char *file)
{
    char path[PATH_MAX];
    bufprintf (path, sizeof (path), "%s/%s", dir, file);
    return access (path, F_OK) == 0;
}

/* Controllers must be enabled in every ancestor's subtree_control for the
 * job cgroups to get cpuset.*, memory.* and pids.* files.  We try the huddle
 * directory and its parent (normally the hierarchy root, which is exempt
 * from the no-internal-processes rule); deeper delegation is the admin's. */
static void enable_controllers (const char *dir, const char *parent)
{
    char path[PATH_MAX];
    const char *dirs[] = {parent, dir};
    for (int i = 0; i < 2; i++) {
        bufprintf (path, sizeof (path), "%s/cgroup.subtree_control", dirs[i]);
        (void)contain_write (path, "+cpuset");
        (void)contain_write (path, "+memory");
        (void)contain_write (path, "+pids");
    }
}

static int cgv2_probe (struct contain *be, const struct contain_config *cfg, struct herror *err)
{
    char parent[PATH_MAX];
    const char *mount = cfg->cgroup_mount ? cfg->cgroup_mount : "/sys/fs/cgroup";
    if (cfg->cgv2_dir) {
        bufprintf (be->v2dir, sizeof (be->v2dir), "%s", cfg->cgv2_dir);
        bufprintf (parent, sizeof (parent), "%s", cfg->cgv2_dir);
        char *slash = strrchr (parent, '/');
        if (slash && slash != parent)
            *slash = '\0';
    } else {
        char unified[PATH_MAX];
        bufprintf (unified, sizeof (unified), "%s/unified", mount);
        if (is_cgroup2 (mount))
            bufprintf (parent, sizeof (parent), "%s", mount);
        else if (is_cgroup2 (unified))
            bufprintf (parent, sizeof (parent), "%s", unified);
        else {
            errno = ENOENT;
            return herror_set (err, "no cgroup2 mount at %s or %s", mount, unified);
        }
        bufprintf (be->v2dir, sizeof (be->v2dir), "%s/%s", parent, be->name);
    }
    if (!is_cgroup2 (parent)) {
        errno = ENOENT;
        return herror_set (err, "%s is not a cgroup2 directory", parent);
    }
    if (contain_mkdir (be->v2dir) < 0)
        return herror_set (err, "cannot create %s: %s", be->v2dir, strerror (errno));
    if (!file_exists (be->v2dir, "cgroup.procs")) {
        errno = ENOENT;
        return herror_set (err, "%s is not a cgroup2 directory", be->v2dir);
    }
    char ctl[512] = "";
    char path[PATH_MAX];
    bufprintf (path, sizeof (path), "%s/cgroup.controllers", parent);
    if (contain_read (path, ctl, sizeof (ctl)) >= 0 &&
        (has_word (ctl, "cpuset") || has_word (ctl, "memory") || has_word (ctl, "pids")))
        enable_controllers (be->v2dir, parent);
    bufprintf (path, sizeof (path), "%s/cgroup.subtree_control", be->v2dir);
    if (contain_read (path, ctl, sizeof (ctl)) < 0)
        ctl[0] = '\0';
    be->v2_cpuset = has_word (ctl, "cpuset");
    be->v2_memory = has_word (ctl, "memory");
    be->v2_pids = has_word (ctl, "pids");
    be->v2_kill = file_exists (be->v2dir, "cgroup.kill");
    be->v2_freeze = file_exists (be->v2dir, "cgroup.freeze");
    bufprintf (be->desc, sizeof (be->desc), "cgv2: %s/job_SEQ, controllers:%s%s%s%s, kill: %s",
               be->v2dir, be->v2_cpuset ? " cpuset" : "", be->v2_memory ? " memory" : "",
               be->v2_pids ? " pids" : "",
               be->v2_cpuset || be->v2_memory || be->v2_pids ? "" : " none (tracking only)",
               be->v2_kill     ? "cgroup.kill"
               : be->v2_freeze ? "freeze+signal"
                               : "signal loop");
    return 0;
}

static void job_path (struct container *c)
{
    bufprintf (c->path[0], sizeof (c->path[0]), "%s/job_%lu", c->be->v2dir, c->seq);
}

static int cgv2_open (struct container *c, struct herror *err)
{
    job_path (c);
    if (access (c->path[0], F_OK) < 0)
        return herror_set (err, "%s: %s", c->path[0], strerror (errno));
    return 0;
}

static int cgv2_pids (struct container *c, pid_t **pids, size_t *n)
{
    char path[PATH_MAX];
    bufprintf (path, sizeof (path), "%s/cgroup.procs", c->path[0]);
    return contain_read_pids (path, pids, n);
}

static int cgv2_create (struct container *c, const struct container_spec *spec, struct herror *err)
{
    char path[PATH_MAX];
    job_path (c);
    if (mkdir (c->path[0], 0755) < 0) {
        if (errno != EEXIST)
            return herror_set (err, "cannot create %s: %s", c->path[0], strerror (errno));
        if (contain_rmdir (c->path[0]) < 0) {
            errno = EBUSY;
            return herror_set (err, "%s already exists and still holds processes", c->path[0]);
        }
        if (mkdir (c->path[0], 0755) < 0)
            return herror_set (err, "cannot create %s: %s", c->path[0], strerror (errno));
    }
    if (spec->cpus && *spec->cpus) {
        bufprintf (path, sizeof (path), "%s/cpuset.cpus", c->path[0]);
        if (!c->be->v2_cpuset)
            bufprintf (c->warning, sizeof (c->warning),
                       "cpuset controller not available in %s: cpus not restricted by the cgroup",
                       c->be->v2dir);
        else if (contain_write (path, spec->cpus) < 0)
            bufprintf (c->warning, sizeof (c->warning),
                       "cpuset.cpus \"%s\" refused (%s): cpus not restricted by the cgroup",
                       spec->cpus, strerror (errno));
    }
    if (spec->mem &&
        (!c->be->v2_memory || contain_write_u64 (c->path[0], "memory.max", spec->mem) < 0))
        bufprintf (c->warning, sizeof (c->warning),
                   "memory controller not available in %s: memory not limited", c->be->v2dir);
    if (spec->pids &&
        (!c->be->v2_pids || contain_write_u64 (c->path[0], "pids.max", spec->pids) < 0))
        bufprintf (c->warning, sizeof (c->warning),
                   "pids controller not available in %s: processes not limited", c->be->v2dir);
    return 0;
}

static int cgv2_add (struct container *c, pid_t pid)
{
    char path[PATH_MAX];
    size_t len = strlen (c->path[0]);
    if (len + sizeof ("/cgroup.procs") > sizeof (path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy (path, c->path[0], len);
    memcpy (path + len, "/cgroup.procs", sizeof ("/cgroup.procs"));
    return contain_write_pid (path, pid);
}

static int set_frozen (struct container *c, bool frozen)
{
    char path[PATH_MAX], buf[256];
    bufprintf (path, sizeof (path), "%s/cgroup.freeze", c->path[0]);
    if (contain_write (path, frozen ? "1" : "0") < 0)
        return -1;
    if (!frozen)
        return 0;
    bufprintf (path, sizeof (path), "%s/cgroup.events", c->path[0]);
    for (int i = 0; i < 100; i++) {
        if (contain_read (path, buf, sizeof (buf)) >= 0 && strstr (buf, "frozen 1"))
            return 0;
        contain_sleep_ms (2);
    }
    return 0; /* signal anyway: better than not at all */
}

static int cgv2_signal (struct container *c, int sig)
{
    pid_t *pids;
    size_t n;
    bool frozen = c->be->v2_freeze && sig != SIGKILL && set_frozen (c, true) == 0;
    int count = cgv2_pids (c, &pids, &n) == 0 ? contain_signal_pids (pids, n, sig) : -1;
    int saved = errno;
    if (frozen)
        set_frozen (c, false);
    errno = saved;
    return count;
}

static int cgv2_kill (struct container *c)
{
    char path[PATH_MAX];
    if (!c->be->v2_kill) {
        errno = ENOTSUP;
        return -1;
    }
    bufprintf (path, sizeof (path), "%s/cgroup.kill", c->path[0]);
    return contain_write (path, "1") < 0 ? -1 : 1;
}

/* memory.peak appeared in Linux 5.19; memory.current alone says nothing
 * about the peak, so an older kernel reports ENOTSUP. */
static int cgv2_mem_peak (struct container *c, uint64_t *bytes)
{
    char path[PATH_MAX];
    if (!c->be->v2_memory) {
        errno = ENOTSUP;
        return -1;
    }
    if (bufprintf (path, sizeof (path), "%s/memory.peak", c->path[0]) < 0)
        return -1;
    if (contain_read_u64 (path, bytes) < 0) {
        if (errno == ENOENT)
            errno = ENOTSUP;
        return -1;
    }
    return 0;
}

static int cgv2_remove (struct container *c)
{
    return contain_rmdir (c->path[0]);
}

const struct contain_ops contain_cgv2_ops = {
    .name = "cgv2",
    .probe = cgv2_probe,
    .create = cgv2_create,
    .open = cgv2_open,
    .add = cgv2_add,
    .pids = cgv2_pids,
    .signal = cgv2_signal,
    .kill = cgv2_kill,
    .mem_peak = cgv2_mem_peak,
    .remove = cgv2_remove,
};
