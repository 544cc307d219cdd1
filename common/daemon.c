#include "daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

struct daemon_life {
    struct event_base *base;
    const char *progname;
    const char *log_path;
    const char *stop_note;
    struct event *sigterm, *sigint, *sighup;
    char *pid_file; /* written by us; removed on destroy */
};

static void on_signal (evutil_socket_t sig, short what, void *arg)
{
    struct daemon_life *life = arg;
    if (sig == SIGHUP) {
        if (log_init (life->progname, log_get_level(), life->log_path) < 0)
            log_msg (LOG_LEVEL_ERROR, "cannot reopen %s: %s", life->log_path, strerror (errno));
        else
            log_msg (LOG_LEVEL_INFO, "log reopened");
        return;
    }
    log_msg (LOG_LEVEL_INFO, "%s: shutting down%s", strsignal ((int)sig), life->stop_note);
    event_base_loopbreak (life->base);
}

static struct event *watch (struct daemon_life *life, int sig)
{
    struct event *ev = evsignal_new (life->base, sig, on_signal, life);
    if (ev && event_add (ev, NULL) < 0) {
        event_free (ev);
        return NULL;
    }
    return ev;
}

struct daemon_life *daemon_life_create (struct event_base *base, const char *progname,
                                        const char *log_path, const char *stop_note,
                                        struct herror *err)
{
    struct daemon_life *life = calloc (1, sizeof (*life));
    if (!life) {
        herror_set (err, "out of memory");
        return NULL;
    }
    life->base = base;
    life->progname = progname;
    life->log_path = log_path;
    life->stop_note = stop_note ? stop_note : "";
    signal (SIGPIPE, SIG_IGN);
    life->sigterm = watch (life, SIGTERM);
    life->sigint = watch (life, SIGINT);
    life->sighup = watch (life, SIGHUP);
    if (!life->sigterm || !life->sigint || !life->sighup) {
        daemon_life_destroy (life);
        herror_set (err, "cannot watch signals");
        return NULL;
    }
    return life;
}

int daemon_life_pid_file (struct daemon_life *life, const char *path, struct herror *err)
{
    char tmp[4096];
    if (snprintf (tmp, sizeof (tmp), "%s.tmp", path) >= (int)sizeof (tmp))
        return herror_set (err, "pid file path too long: %s", path);
    FILE *f = fopen (tmp, "w");
    if (!f)
        return herror_set (err, "cannot write %s: %s", tmp, strerror (errno));
    fprintf (f, "%ld\n", (long)getpid());
    if (fclose (f) != 0 || rename (tmp, path) < 0) {
        herror_set (err, "cannot write %s: %s", path, strerror (errno));
        unlink (tmp);
        return -1;
    }
    free (life->pid_file);
    if (!(life->pid_file = strdup (path))) {
        unlink (path);
        return herror_set (err, "out of memory");
    }
    return 0;
}

void daemon_life_destroy (struct daemon_life *life)
{
    if (!life)
        return;
    int saved = errno;
    if (life->sigterm)
        event_free (life->sigterm);
    if (life->sigint)
        event_free (life->sigint);
    if (life->sighup)
        event_free (life->sighup);
    if (life->pid_file)
        unlink (life->pid_file);
    free (life->pid_file);
    free (life);
    errno = saved;
}
