/* contain.c - backend selection and the parts every backend shares */
#define _GNU_SOURCE
#include "agent/contain_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int bufprintf (char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    int n = vsnprintf (buf, size, fmt, ap);
    va_end (ap);
    if (n < 0 || (size_t)n >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return n;
}

int contain_write (const char *path, const char *text)
{
    int fd = open (path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = strlen (text);
    ssize_t n = write (fd, text, len);
    int saved = errno;
    close (fd);
    if (n < 0 || (size_t)n != len) {
        errno = n < 0 ? saved : EIO;
        return -1;
    }
    return 0;
}

int contain_write_pid (const char *path, pid_t pid)
{
    char buf[24];
    int i = sizeof (buf) - 1;
    unsigned long v = (unsigned long)pid;
    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    return contain_write (path, buf + i);
}

ssize_t contain_read (const char *path, char *buf, size_t size)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0;
    while (len + 1 < size) {
        ssize_t n = read (fd, buf + len, size - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0) {
                int saved = errno;
                close (fd);
                errno = saved;
                return -1;
            }
            break;
        }
        len += (size_t)n;
    }
    close (fd);
    buf[len] = '\0';
    while (len > 0 && buf[len - 1] == '\n')
        buf[--len] = '\0';
    return (ssize_t)len;
}

int contain_write_u64 (const char *dir, const char *file, uint64_t value)
{
    char path[PATH_MAX], text[32];
    if (!dir[0]) {
        errno = ENOENT;
        return -1;
    }
    if (bufprintf (path, sizeof (path), "%s/%s", dir, file) < 0)
        return -1;
    bufprintf (text, sizeof (text), "%llu", (unsigned long long)value);
    return contain_write (path, text);
}

int contain_read_u64 (const char *path, uint64_t *value)
{
    char buf[32], *end;
    if (contain_read (path, buf, sizeof (buf)) < 0)
        return -1;
    errno = 0;
    unsigned long long v = strtoull (buf, &end, 10);
    if (errno || end == buf || *end || buf[0] == '-') {
        errno = EINVAL;
        return -1;
    }
    *value = (uint64_t)v;
    return 0;
}

int contain_read_pids (const char *path, pid_t **pids, size_t *n)
{
    FILE *f = fopen (path, "re");
    if (!f)
        return -1;
    pid_t *v = NULL;
    size_t count = 0, cap = 0;
    long pid;
    while (fscanf (f, "%ld", &pid) == 1) {
        if (count == cap) {
            cap = cap ? 2 * cap : 16;
            pid_t *nv = realloc (v, cap * sizeof (*v));
            if (!nv) {
                free (v);
                fclose (f);
                errno = ENOMEM;
                return -1;
            }
            v = nv;
        }
        v[count++] = (pid_t)pid;
    }
    fclose (f);
    *pids = v;
    *n = count;
    return 0;
}

int contain_signal_pids (pid_t *pids, size_t n, int sig)
{
    int count = 0;
    for (size_t i = 0; i < n; i++)
        if (kill (pids[i], sig) == 0)
            count++;
    free (pids);
    return count;
}

int contain_mkdir (const char *path)
{
    if (mkdir (path, 0755) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

int contain_rmdir (const char *path)
{
    for (int i = 0; i < 50; i++) {
        if (rmdir (path) == 0 || errno == ENOENT)
            return 0;
        if (errno != EBUSY)
            return -1;
        contain_sleep_ms (10);
    }
    return -1;
}

void contain_sleep_ms (int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
        ;
}

static const struct contain_ops *contain_backend_byname (const char *name)
{
    if (!strcmp (name, "cgv2"))
        return &contain_cgv2_ops;
    if (!strcmp (name, "cgv1"))
        return &contain_cgv1_ops;
    if (!strcmp (name, "pgrp"))
        return &contain_pgrp_ops;
    return NULL;
}

static struct contain *contain_try (const struct contain_ops *ops, const struct contain_config *cfg,
                                    struct herror *err)
{
    struct contain *be = calloc (1, sizeof (*be));
    if (!be) {
        herror_set (err, "out of memory");
        return NULL;
    }
    be->ops = ops;
    bufprintf (be->name, sizeof (be->name), "%s", cfg->name ? cfg->name : "huddle");
    if (ops->probe (be, cfg, err) < 0) {
        int saved = errno;
        free (be);
        errno = saved;
        return NULL;
    }
    return be;
}

/* Auto selection prefers a v2 hierarchy only when it can also limit cpus
 * and memory; a controller-less v2 (hybrid hosts) still beats process
 * groups because it cannot be escaped. */
struct contain *contain_create (const struct contain_config *cfg, struct herror *err)
{
    struct contain_config dflt = {0};
    if (!cfg)
        cfg = &dflt;
    const char *want = cfg->backend;
    if (!want || !*want)
        want = getenv ("HUDDLE_CONTAIN");
    if (want && *want && strcmp (want, "auto") != 0) {
        const struct contain_ops *ops = contain_backend_byname (want);
        if (!ops) {
            errno = EINVAL;
            herror_set (err, "containment backend \"%s\": unknown (use cgv2, cgv1, pgrp or auto)",
                        want);
            return NULL;
        }
        struct contain *be = contain_try (ops, cfg, err);
        if (!be)
            herror_prefix (err, "containment backend %s", want);
        return be;
    }
    struct herror ignore;
    struct contain *be = contain_try (&contain_cgv2_ops, cfg, &ignore);
    if (be && be->v2_cpuset && be->v2_memory)
        return be;
    struct contain *v1 = contain_try (&contain_cgv1_ops, cfg, &ignore);
    if (v1) {
        if (be)
            (void)rmdir (be->v2dir); /* made by the probe; fails harmlessly when in use */
        contain_destroy (be);
        return v1;
    }
    if (be)
        return be;
    return contain_try (&contain_pgrp_ops, cfg, err);
}

void contain_destroy (struct contain *be)
{
    int saved = errno;
    free (be);
    errno = saved;
}

int contain_remove_dirs (struct contain *be)
{
    int rc = 0;
    if (be->ops == &contain_cgv2_ops && contain_rmdir (be->v2dir) < 0)
        rc = -1;
    if (be->ops == &contain_cgv1_ops)
        for (int i = 0; i < CGV1_N; i++)
            if (be->v1dir[i][0] && contain_rmdir (be->v1dir[i]) < 0)
                rc = -1;
    return rc;
}

const char *contain_name (const struct contain *be)
{
    return be->ops->name;
}

const char *contain_describe (const struct contain *be)
{
    return be->desc;
}

bool contain_can_cpuset (const struct contain *be)
{
    if (be->ops == &contain_cgv2_ops)
        return be->v2_cpuset;
    return be->ops == &contain_cgv1_ops;
}

bool contain_can_limit_memory (const struct contain *be)
{
    if (be->ops == &contain_cgv2_ops)
        return be->v2_memory;
    return be->ops == &contain_cgv1_ops && be->v1dir[CGV1_MEMORY][0];
}

static struct container *container_new (struct contain *be, unsigned long seq)
{
    struct container *c = calloc (1, sizeof (*c));
    if (!c)
        return NULL;
    c->be = be;
    c->seq = seq;
    return c;
}

struct container *container_create (struct contain *be, unsigned long seq,
                                    const struct container_spec *spec, struct herror *err)
{
    struct container_spec none = {0};
    struct container *c = container_new (be, seq);
    if (!c) {
        herror_set (err, "out of memory");
        return NULL;
    }
    if (be->ops->create (c, spec ? spec : &none, err) < 0) {
        int saved = errno;
        free (c);
        errno = saved;
        return NULL;
    }
    return c;
}

struct container *container_open (struct contain *be, unsigned long seq, struct herror *err)
{
    if (!be->ops->open) {
        errno = ENOTSUP;
        herror_set (err, "%s containers cannot be reopened", be->ops->name);
        return NULL;
    }
    struct container *c = container_new (be, seq);
    if (!c) {
        herror_set (err, "out of memory");
        return NULL;
    }
    if (be->ops->open (c, err) < 0) {
        int saved = errno;
        free (c);
        errno = saved;
        return NULL;
    }
    return c;
}

int container_add (struct container *c, pid_t pid)
{
    return c->be->ops->add (c, pid ? pid : getpid());
}

int container_pids (struct container *c, pid_t **pids, size_t *n)
{
    return c->be->ops->pids (c, pids, n);
}

int container_is_empty (struct container *c)
{
    pid_t *pids;
    size_t n;
    if (container_pids (c, &pids, &n) < 0)
        return -1;
    free (pids);
    return n == 0;
}

int container_signal (struct container *c, int sig)
{
    return c->be->ops->signal (c, sig);
}

int container_kill (struct container *c, int timeout_ms)
{
    struct timespec t0, now;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    for (int round = 0;; round++) {
        int empty = container_is_empty (c);
        if (empty == 1)
            return 0;
        if (round == 0 && c->be->ops->kill)
            c->be->ops->kill (c);
        else
            container_signal (c, SIGKILL);
        contain_sleep_ms (round < 10 ? 5 : 20);
        clock_gettime (CLOCK_MONOTONIC, &now);
        long ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
        if (ms >= timeout_ms && container_is_empty (c) != 1) {
            errno = ETIMEDOUT;
            return -1;
        }
    }
}

int container_mem_peak (struct container *c, uint64_t *bytes)
{
    if (!c->be->ops->mem_peak) {
        errno = ENOTSUP;
        return -1;
    }
    return c->be->ops->mem_peak (c, bytes);
}

const char *container_warning (const struct container *c)
{
    return c->warning[0] ? c->warning : NULL;
}

int container_remove (struct container *c)
{
    if (!c)
        return 0;
    int rc = c->be->ops->remove (c);
    int saved = errno;
    free (c);
    errno = saved;
    return rc;
}

void container_destroy (struct container *c)
{
    int saved = errno;
    free (c);
    errno = saved;
}
