/* contain_pgrp.c - fallback without cgroups: session + descendants of a root
 *
 * The job process calls setsid, so its session id is its pid.  Members are
 * the live processes whose session is that id, plus every live descendant
 * of the root (the shepherd, a child subreaper: orphans re-parent to it, so
 * a double fork or a setsid does not escape while the shepherd lives).
 * Forks can race a listing, so killing loops until nothing is found.
 */
#define _GNU_SOURCE
#include "agent/contain_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int pgrp_probe (struct contain *be, const struct contain_config *cfg, struct herror *err)
{
    bufprintf (
        be->desc, sizeof (be->desc),
        "pgrp: job session + shepherd descendants (no cpu, memory or process limits; a process "
        "that calls setsid escapes once the shepherd is gone)");
    return 0;
}

static int pgrp_create (struct container *c, const struct container_spec *spec, struct herror *err)
{
    c->root = spec->root ? spec->root : getpid();
    if (spec->cpus && *spec->cpus)
        bufprintf (c->warning, sizeof (c->warning),
                   "pgrp containment: cpus not restricted (binding only)");
    if (spec->mem)
        bufprintf (c->warning, sizeof (c->warning), "pgrp containment: memory not limited");
    if (spec->pids)
        bufprintf (c->warning, sizeof (c->warning), "pgrp containment: processes not limited");
    return 0;
}

static int pgrp_add (struct container *c, pid_t pid)
{
    if (!c->sid)
        c->sid = pid;
    return 0;
}

struct proc {
    pid_t pid, ppid, sid;
    char state;
};

/* /proc/PID/stat: "pid (comm) S ppid pgrp session ..."; comm may hold
 * spaces and parentheses, so parse from the last ')'. */
static int read_stat (pid_t pid, struct proc *p)
{
    char path[64], buf[1024];
    bufprintf (path, sizeof (path), "/proc/%d/stat", (int)pid);
    if (contain_read (path, buf, sizeof (buf)) < 0)
        return -1;
    char *rp = strrchr (buf, ')');
    int pgrp;
    if (!rp || sscanf (rp + 1, " %c %d %d %d", &p->state, &p->ppid, &pgrp, &p->sid) != 4)
        return -1;
    p->pid = pid;
    return 0;
}

static int load_procs (struct proc **out, size_t *n)
{
    DIR *d = opendir ("/proc");
    if (!d)
        return -1;
    struct proc *v = NULL;
    size_t count = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir (d))) {
        if (!isdigit ((unsigned char)de->d_name[0]))
            continue;
        if (count == cap) {
            cap = cap ? 2 * cap : 256;
            struct proc *nv = realloc (v, cap * sizeof (*v));
            if (!nv) {
                free (v);
                closedir (d);
                errno = ENOMEM;
                return -1;
            }
            v = nv;
        }
        if (read_stat ((pid_t)atoi (de->d_name), &v[count]) == 0)
            count++;
    }
    closedir (d);
    *out = v;
    *n = count;
    return 0;
}

static bool descends_from (const struct proc *v, size_t n, pid_t pid, pid_t root)
{
    /* Bounded walk: a pid table changing under us cannot loop forever. */
    for (int depth = 0; depth < 4096 && pid > 1; depth++) {
        size_t i;
        for (i = 0; i < n && v[i].pid != pid; i++)
            ;
        if (i == n)
            return false;
        if (v[i].ppid == root)
            return true;
        pid = v[i].ppid;
    }
    return false;
}

static int pgrp_pids (struct container *c, pid_t **pids, size_t *n)
{
    struct proc *v;
    size_t nv;
    if (load_procs (&v, &nv) < 0)
        return -1;
    pid_t *out = malloc ((nv ? nv : 1) * sizeof (*out));
    if (!out) {
        free (v);
        errno = ENOMEM;
        return -1;
    }
    size_t count = 0;
    for (size_t i = 0; i < nv; i++) {
        if (v[i].pid == c->root || v[i].state == 'Z' || v[i].state == 'X')
            continue;
        if ((c->sid && v[i].sid == c->sid) ||
            (c->root > 1 && descends_from (v, nv, v[i].pid, c->root)))
            out[count++] = v[i].pid;
    }
    free (v);
    *pids = out;
    *n = count;
    return 0;
}

static int pgrp_signal (struct container *c, int sig)
{
    pid_t *pids;
    size_t n;
    if (c->sid > 1)
        (void)kill (-c->sid, sig);
    if (pgrp_pids (c, &pids, &n) < 0)
        return -1;
    return contain_signal_pids (pids, n, sig);
}

static int pgrp_remove (struct container *c)
{
    return 0;
}

const struct contain_ops contain_pgrp_ops = {
    .name = "pgrp",
    .probe = pgrp_probe,
    .create = pgrp_create,
    .open = NULL,
    .add = pgrp_add,
    .pids = pgrp_pids,
    .signal = pgrp_signal,
    .kill = NULL,
    .mem_peak = NULL, /* no kernel accounting: the shepherd reports the largest process */
    .remove = pgrp_remove,
};
