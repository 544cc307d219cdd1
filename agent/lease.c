/* lease.c - the agent's fence file (see lease.h) */
#define _GNU_SOURCE
#include "agent/lease.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int64_t lease_clock_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_BOOTTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int lease_write (const char *path, const struct lease *l)
{
    char tmp[PATH_MAX], text[128];
    int n = snprintf (tmp, sizeof (tmp), "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof (tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    n = snprintf (text, sizeof (text), "%" PRId64 " %" PRId64 " %d\n", l->start_ms, l->length_ms,
                  l->grace_ms);
    int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return -1;
    /* Short enough for one write; anything less is an error (disk full). */
    if (write (fd, text, (size_t)n) != n) {
        int saved = errno ? errno : ENOSPC;
        close (fd);
        unlink (tmp);
        errno = saved;
        return -1;
    }
    if (close (fd) < 0 || rename (tmp, path) < 0) {
        int saved = errno;
        unlink (tmp);
        errno = saved;
        return -1;
    }
    return 0;
}

int lease_read (const char *path, struct lease *l)
{
    char text[128];
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read (fd, text, sizeof (text) - 1);
    int saved = errno;
    close (fd);
    if (n < 0) {
        errno = saved;
        return -1;
    }
    text[n] = '\0';
    int64_t start, length;
    int grace;
    char end;
    if (sscanf (text, "%" SCNd64 " %" SCNd64 " %d%c", &start, &length, &grace, &end) != 4 ||
        end != '\n' || length < 0 || grace < 0) {
        errno = EINVAL;
        return -1;
    }
    l->start_ms = start;
    l->length_ms = length;
    l->grace_ms = grace;
    return 0;
}

bool lease_expired (const struct lease *l, int64_t now_ms)
{
    return now_ms < l->start_ms || now_ms - l->start_ms >= l->length_ms;
}
