/* rsh_args.c - huddle-rsh's command line and endpoints (see rsh_args.h) */
#include "mpi-jobs/rsh_args.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ssh's options: those without an argument, those with one.  What huddle
 * cannot do is in refused[], with why. */
static const char flags[] = "1246AaCgKkqTtVvXxYyn";
static const char with_arg[] = "bcEeFIiJlmOopQSw";
static const struct {
    char opt;
    const char *why;
} refused[] = {
    {'L', "port forwarding is not available for tasks"},
    {'R', "port forwarding is not available for tasks"},
    {'D', "port forwarding is not available for tasks"},
    {'W', "stdio forwarding is not available for tasks"},
    {'f', "a task cannot go to the background (-f)"},
    {'N', "a task needs a command (-N)"},
    {'M', "there is no connection master (-M)"},
    {'s', "subsystems are not available (-s)"},
    {'G', "there is no ssh configuration to print (-G)"},
};

void rsh_args_free (struct rsh_args *a)
{
    if (a) {
        free (a->command);
        a->command = NULL;
    }
}

static int bad (struct herror *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static int bad (struct herror *err, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    if (err)
        vsnprintf (err->text, sizeof (err->text), fmt, ap);
    va_end (ap);
    errno = EINVAL;
    return -1;
}

/* One option word ("-nx", "-oBatchMode=yes", "-p" with its value next):
 * how many argv entries it took, or -1. */
static int take_option (int argc, char *const argv[], int i, struct rsh_args *a, struct herror *err)
{
    const char *w = argv[i];
    for (size_t k = 1; w[k]; k++) {
        char c = w[k];
        for (size_t r = 0; r < sizeof (refused) / sizeof (refused[0]); r++)
            if (refused[r].opt == c)
                return bad (err, "option -%c: %s", c, refused[r].why);
        if (strchr (flags, c)) {
            if (c == 'n')
                a->no_stdin = true;
            continue;
        }
        if (!strchr (with_arg, c))
            return bad (err, "unknown option -%c", c);
        const char *val = w[k + 1] ? w + k + 1 : NULL;
        int used = 1;
        if (!val) {
            if (i + 1 >= argc)
                return bad (err, "option -%c needs an argument", c);
            val = argv[i + 1];
            used = 2;
        }
        if (c == 'l')
            a->user = val;
        return used;
    }
    return 1;
}

/* Options from argv[*i] on, up to a word that is not one (or after "--"). */
static int take_options (int argc, char *const argv[], int *i, struct rsh_args *a,
                         struct herror *err)
{
    while (*i < argc && argv[*i][0] == '-' && argv[*i][1]) {
        if (strcmp (argv[*i], "--") == 0) {
            (*i)++;
            return 1;
        }
        int used = take_option (argc, argv, *i, a, err);
        if (used < 0)
            return -1;
        *i += used;
    }
    return 0;
}

int rsh_args_parse (int argc, char *const argv[], struct rsh_args *a, struct herror *err)
{
    int i = 1;
    memset (a, 0, sizeof (*a));
    int ended = take_options (argc, argv, &i, a, err);
    if (ended < 0)
        return -1;
    if (i >= argc)
        return bad (err, "no host: usage: huddle-rsh [OPTIONS] [USER@]HOST COMMAND...");
    const char *host = argv[i++];
    const char *at = strrchr (host, '@');
    if (at) {
        size_t n = (size_t)(at - host);
        if (n == 0 || n >= sizeof (a->userbuf))
            return bad (err, "host \"%.64s\": bad user name before '@'", host);
        memcpy (a->userbuf, host, n);
        a->userbuf[n] = '\0';
        a->user = a->userbuf;
        host = at + 1;
    }
    if (!host[0])
        return bad (err, "empty host name");
    a->host = host;
    /* As ssh: options may follow the host too, until the command. */
    if (!ended && take_options (argc, argv, &i, a, err) < 0)
        return -1;
    if (i >= argc)
        return bad (err, "%s: no command: tasks run a command, there are no interactive logins",
                    host);
    size_t len = 1;
    for (int k = i; k < argc; k++)
        len += strlen (argv[k]) + 1;
    if (!(a->command = malloc (len))) {
        errno = ENOMEM;
        return herror_set (err, "out of memory");
    }
    a->command[0] = '\0';
    for (int k = i; k < argc; k++) {
        if (k > i)
            strcat (a->command, " ");
        strcat (a->command, argv[k]);
    }
    return 0;
}

int rsh_endpoint_find (const char *path, const char *node, char *buf, size_t size,
                       struct herror *err)
{
    FILE *f = fopen (path, "re");
    if (!f)
        return herror_set (err, "cannot read the job's task endpoints %s: %s", path,
                           strerror (errno));
    char line[512], names[256] = "";
    int found = 0;
    while (!found && fgets (line, sizeof (line), f)) {
        char name[128], ep[320];
        if (sscanf (line, "%127s %319s", name, ep) != 2)
            continue;
        if (strcmp (name, node) == 0) {
            found = snprintf (buf, size, "%s", ep) < (int)size;
            continue;
        }
        size_t n = strlen (names);
        if (n + strlen (name) + 2 < sizeof (names))
            snprintf (names + n, sizeof (names) - n, "%s%s", n ? " " : "", name);
        else if (n + 5 < sizeof (names) && !strstr (names, "..."))
            strcat (names, " ...");
    }
    fclose (f);
    if (!found) {
        errno = ENOENT;
        return herror_set (err, "not a node of this job (its other nodes: %s)",
                           names[0] ? names : "none");
    }
    return 0;
}

int rsh_job_seq (const char *jobid, unsigned long *seq)
{
    char *end;
    if (!jobid || jobid[0] < '1' || jobid[0] > '9')
        goto bad;
    errno = 0;
    unsigned long v = strtoul (jobid, &end, 10);
    if (errno || (*end && *end != '.') || v > 2147483647UL)
        goto bad;
    *seq = v;
    return 0;
bad:
    errno = EINVAL;
    return -1;
}
