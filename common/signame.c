/* signame.c - signals by name (signame.h) */
#include "signame.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    int sig;
} signals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL}, {"USR1", SIGUSR1},
    {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
};

int signame_parse (const char *s)
{
    if (!s || !*s) {
        errno = EINVAL;
        return -1;
    }
    if (s[0] >= '0' && s[0] <= '9') {
        char *end;
        long v = strtol (s, &end, 10);
        if (*end || v < 1 || v >= NSIG) {
            errno = EINVAL;
            return -1;
        }
        return (int)v;
    }
    if (strncmp (s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < sizeof (signals) / sizeof (signals[0]); i++) {
        if (strcmp (s, signals[i].name) == 0)
            return signals[i].sig;
    }
    errno = EINVAL;
    return -1;
}

const char *signame_name (int sig)
{
    for (size_t i = 0; i < sizeof (signals) / sizeof (signals[0]); i++) {
        if (signals[i].sig == sig)
            return signals[i].name;
    }
    return NULL;
}
