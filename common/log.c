/* log.c - the daemons' logger (see log.h) */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

static struct {
    char progname[64];
    enum log_level level;
    int fd; /* -1: stderr */
} logger = {"huddle", LOG_LEVEL_INFO, -1};

static const char *level_names[] = {"error", "warn", "info", "debug"};

int log_init (const char *progname, enum log_level level, const char *path)
{
    if (path) {
        int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return -1;
        if (logger.fd >= 0)
            close (logger.fd);
        logger.fd = fd;
    } else if (logger.fd >= 0) {
        close (logger.fd);
        logger.fd = -1;
    }
    if (progname)
        snprintf (logger.progname, sizeof (logger.progname), "%s", progname);
    log_set_level (level);
    return 0;
}

void log_set_level (enum log_level level)
{
    if (level < LOG_LEVEL_ERROR)
        level = LOG_LEVEL_ERROR;
    if (level > LOG_LEVEL_DEBUG)
        level = LOG_LEVEL_DEBUG;
    logger.level = level;
}

enum log_level log_get_level (void)
{
    return logger.level;
}

void log_fini (void)
{
    int saved = errno;
    if (logger.fd >= 0)
        close (logger.fd);
    logger.fd = -1;
    errno = saved;
}

const char *log_level_name (enum log_level level)
{
    if (level < LOG_LEVEL_ERROR || level > LOG_LEVEL_DEBUG)
        return "unknown";
    return level_names[level];
}

int log_level_parse (const char *s, enum log_level *level)
{
    for (int i = 0; i <= LOG_LEVEL_DEBUG; i++) {
        if (!strcasecmp (s, level_names[i])) {
            *level = i;
            return 0;
        }
    }
    if (!strcasecmp (s, "warning")) {
        *level = LOG_LEVEL_WARN;
        return 0;
    }
    if (s[0] >= '0' && s[0] <= '3' && s[1] == '\0') {
        *level = s[0] - '0';
        return 0;
    }
    errno = EINVAL;
    return -1;
}

void log_vmsg (enum log_level level, const char *fmt, va_list ap)
{
    int saved = errno;
    if (level > logger.level) {
        errno = saved;
        return;
    }
    char line[LOG_LINE_MAX];
    struct timeval tv;
    struct tm tm;
    gettimeofday (&tv, NULL);
    gmtime_r (&tv.tv_sec, &tm);
    size_t n = strftime (line, sizeof (line), "%Y-%m-%dT%H:%M:%S", &tm);
    int k = snprintf (line + n, sizeof (line) - n, ".%03dZ %s[%d]: %s: ", (int)(tv.tv_usec / 1000),
                      logger.progname, (int)getpid(), log_level_name (level));
    if (k > 0)
        n += (size_t)k < sizeof (line) - n ? (size_t)k : sizeof (line) - n - 1;
    k = vsnprintf (line + n, sizeof (line) - n, fmt, ap);
    if (k > 0)
        n += (size_t)k < sizeof (line) - n ? (size_t)k : sizeof (line) - n - 1;
    while (n > 0 && line[n - 1] == '\n')
        n--;
    line[n++] = '\n';
    int fd = logger.fd >= 0 ? logger.fd : STDERR_FILENO;
    ssize_t w = write (fd, line, n);
    (void)w;
    errno = saved;
}

void log_msg (enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    log_vmsg (level, fmt, ap);
    va_end (ap);
}
