/* contain_cgv1.c - cgroup v1 backend: cpuset + freezer (+ memory, pids) */
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

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif

static const char *const ctrl_name[CGV1_N] = {"cpuset", "freezer", "memory", "pids"};

/* The agent's own cgroup in the v1 hierarchy that carries ctrl, from
 * /proc/self/cgroup lines "ID:ctrl[,ctrl]:/path". */
static int own_cgroup (const char *ctrl, char *out, size_t size)
{
    FILE *f = fopen ("/proc/self/cgroup", "re");
    if (!f)
        return -1;
    char line[PATH_MAX + 128];
    int rc = -1;
    while (rc < 0 && fgets (line, sizeof (line), f)) {
        char *c1 = strchr (line, ':');
        char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        char *tok, *save = NULL;
        for (tok = strtok_r (c1 + 1, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
            if (!strcmp (tok, ctrl))
                break;
        if (!tok)
            continue;
        char *path = c2 + 1;
        path[strcspn (path, "\n")] = '\0';
        bufprintf (out, size, "%s", strcmp (path, "/") ? path : "");
        rc = 0;
    }
    fclose (f);
    if (rc < 0)
        errno = ENOENT;
    return rc;
}

/* A new v1 cpuset starts with empty cpus and mems, and no task may join
 * until both are set: copy them from the parent. */
static int cpuset_inherit (const char *dir, const char *parent, const char *cpus)
{
    char path[PATH_MAX], val[1024];
    const char *files[] = {"cpuset.mems", "cpuset.cpus"};
    for (int i = 0; i < 2; i++) {
        bufprintf (path, sizeof (path), "%s/%s", parent, files[i]);
        if (contain_read (path, val, sizeof (val)) < 0)
            return -1;
        bufprintf (path, sizeof (path), "%s/%s", dir, files[i]);
        if (i == 1 && cpus && contain_write (path, cpus) == 0)
            return 0;
        if (contain_write (path, val) < 0)
            return -1;
        if (i == 1 && cpus) {
            errno = EINVAL;
            return 1; /* requested cpus refused, parent's used */
        }
    }
    return 0;
}

static int cgv1_probe (struct contain *be, const struct contain_config *cfg, struct herror *err)
{
    const char *mount = cfg->cgroup_mount ? cfg->cgroup_mount : "/sys/fs/cgroup";
    char top[PATH_MAX], own[PATH_MAX];
    for (int i = 0; i < CGV1_N; i++) {
        struct statfs sf;
        bufprintf (top, sizeof (top), "%s/%s", mount, ctrl_name[i]);
        bool ok = statfs (top, &sf) == 0 && sf.f_type == CGROUP_SUPER_MAGIC &&
                  own_cgroup (ctrl_name[i], own, sizeof (own)) == 0;
        if (ok) {
            bufprintf (be->v1dir[i], sizeof (be->v1dir[i]), "%s%s/%s", top, own, be->name);
            if (contain_mkdir (be->v1dir[i]) < 0)
                ok = false;
            if (ok && i == CGV1_CPUSET) {
                char parent[PATH_MAX];
                bufprintf (parent, sizeof (parent), "%s%s", top, own);
                char probe[PATH_MAX], buf[64];
                bufprintf (probe, sizeof (probe), "%s/cpuset.cpus", be->v1dir[i]);
                if (contain_read (probe, buf, sizeof (buf)) == 0 &&
                    cpuset_inherit (be->v1dir[i], parent, NULL) != 0)
                    ok = false;
            }
        }
        if (!ok) {
            int saved = errno;
            be->v1dir[i][0] = '\0';
            if (i == CGV1_CPUSET || i == CGV1_FREEZER) {
                errno = saved ? saved : ENOENT;
                return herror_set (err, "cgroup v1 %s hierarchy under %s not usable: %s",
                                   ctrl_name[i], mount, strerror (errno));
            }
        }
    }
    bufprintf (be->desc, sizeof (be->desc), "cgv1: %s/job_SEQ, %s/job_SEQ%s%s%s%s%s%s",
               be->v1dir[CGV1_CPUSET], be->v1dir[CGV1_FREEZER],
               be->v1dir[CGV1_MEMORY][0] ? ", " : "", be->v1dir[CGV1_MEMORY],
               be->v1dir[CGV1_MEMORY][0] ? "/job_SEQ" : " (no memory hierarchy)",
               be->v1dir[CGV1_PIDS][0] ? ", " : "", be->v1dir[CGV1_PIDS],
               be->v1dir[CGV1_PIDS][0] ? "/job_SEQ" : " (no pids hierarchy)");
    return 0;
}

static void job_paths (struct container *c)
{
    for (int i = 0; i < CGV1_N; i++) {
        if (c->be->v1dir[i][0])
            bufprintf (c->path[i], sizeof (c->path[i]), "%s/job_%lu", c->be->v1dir[i], c->seq);
        else
            c->path[i][0] = '\0';
    }
}

static int cgv1_pids (struct container *c, pid_t **pids, size_t *n)
{
    char path[PATH_MAX];
    bufprintf (path, sizeof (path), "%s/cgroup.procs", c->path[CGV1_FREEZER]);
    return contain_read_pids (path, pids, n);
}

static int cgv1_remove (struct container *c)
{
    int rc = 0;
    for (int i = 0; i < CGV1_N; i++)
        if (c->path[i][0] && contain_rmdir (c->path[i]) < 0)
            rc = -1;
    return rc;
}

static int cgv1_open (struct container *c, struct herror *err)
{
    job_paths (c);
    if (access (c->path[CGV1_FREEZER], F_OK) < 0)
        return herror_set (err, "%s: %s", c->path[CGV1_FREEZER], strerror (errno));
    return 0;
}

static int cgv1_create (struct container *c, const struct container_spec *spec, struct herror *err)
{
    job_paths (c);
    for (int i = 0; i < CGV1_N; i++) {
        if (!c->path[i][0])
            continue;
        if (mkdir (c->path[i], 0755) < 0) {
            if (errno != EEXIST || contain_rmdir (c->path[i]) < 0 || mkdir (c->path[i], 0755) < 0) {
                int saved = errno == EEXIST || errno == EBUSY ? EBUSY : errno;
                herror_set (err, "cannot create %s: %s", c->path[i],
                            saved == EBUSY ? "it still holds processes" : strerror (saved));
                errno = saved;
                return -1;
            }
        }
    }
    const char *cpus = spec->cpus && *spec->cpus ? spec->cpus : NULL;
    int rc = cpuset_inherit (c->path[CGV1_CPUSET], c->be->v1dir[CGV1_CPUSET], cpus);
    if (rc < 0) {
        int saved = errno;
        herror_set (err, "cannot set up cpuset %s: %s", c->path[CGV1_CPUSET], strerror (saved));
        cgv1_remove (c);
        errno = saved;
        return -1;
    }
    if (rc > 0)
        bufprintf (c->warning, sizeof (c->warning),
                   "cpuset.cpus \"%s\" refused: cpus not restricted by the cgroup", cpus);
    if (spec->mem &&
        contain_write_u64 (c->path[CGV1_MEMORY], "memory.limit_in_bytes", spec->mem) < 0)
        bufprintf (c->warning, sizeof (c->warning),
                   "memory hierarchy not available: memory not limited");
    if (spec->pids && contain_write_u64 (c->path[CGV1_PIDS], "pids.max", spec->pids) < 0)
        bufprintf (c->warning, sizeof (c->warning),
                   "pids hierarchy not available: processes not limited");
    return 0;
}

/* No malloc: this runs in the job's child between fork and exec. */
static int cgv1_add (struct container *c, pid_t pid)
{
    char path[PATH_MAX];
    int rc = 0;
    for (int i = 0; i < CGV1_N; i++) {
        size_t len = strlen (c->path[i]);
        if (!len)
            continue;
        if (len + sizeof ("/cgroup.procs") > sizeof (path)) {
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy (path, c->path[i], len);
        memcpy (path + len, "/cgroup.procs", sizeof ("/cgroup.procs"));
        if (contain_write_pid (path, pid) < 0 && errno != ESRCH)
            rc = -1;
    }
    return rc;
}

static int set_state (struct container *c, const char *state)
{
    char path[PATH_MAX], buf[64];
    bufprintf (path, sizeof (path), "%s/freezer.state", c->path[CGV1_FREEZER]);
    if (contain_write (path, state) < 0)
        return -1;
    for (int i = 0; i < 200; i++) {
        if (contain_read (path, buf, sizeof (buf)) >= 0 && !strcmp (buf, state))
            return 0;
        contain_sleep_ms (1);
    }
    errno = ETIMEDOUT;
    return -1;
}

/* Freezing first means no task can fork between the listing and the
 * signal; the signal is delivered on thaw. */
static int cgv1_signal (struct container *c, int sig)
{
    pid_t *pids;
    size_t n;
    (void)set_state (c, "FROZEN"); /* signal anyway if freezing fails */
    int count = cgv1_pids (c, &pids, &n) == 0 ? contain_signal_pids (pids, n, sig) : -1;
    int saved = errno;
    (void)set_state (c, "THAWED");
    errno = saved;
    return count;
}

static int cgv1_mem_peak (struct container *c, uint64_t *bytes)
{
    char path[PATH_MAX];
    if (!c->path[CGV1_MEMORY][0]) {
        errno = ENOTSUP;
        return -1;
    }
    if (bufprintf (path, sizeof (path), "%s/memory.max_usage_in_bytes", c->path[CGV1_MEMORY]) < 0)
        return -1;
    return contain_read_u64 (path, bytes);
}

const struct contain_ops contain_cgv1_ops = {
    .name = "cgv1",
    .probe = cgv1_probe,
    .create = cgv1_create,
    .open = cgv1_open,
    .add = cgv1_add,
    .pids = cgv1_pids,
    .signal = cgv1_signal,
    .kill = NULL,
    .mem_peak = cgv1_mem_peak,
    .remove = cgv1_remove,
};
