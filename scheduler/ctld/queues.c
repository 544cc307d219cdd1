/* queues.c - huddle-ctld's queues: the option (see queues.h); pure */
#include "scheduler/ctld/queues.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/jobspec.h"
#include "common/pbs_resources.h"

struct queues {
    struct queue_conf *v;
    int n;
    int dflt;
};

/* ------------------------------------------------------------ the option */

void queues_destroy (struct queues *qs)
{
    int saved = errno;
    if (!qs)
        return;
    for (int i = 0; i < qs->n; i++)
        free ((char *)qs->v[i].name);
    free (qs->v);
    free (qs);
    errno = saved;
}

static int parse_bool (const char *s, bool *b)
{
    static const char *const yes[] = {"true", "yes", "1", "on"}, *const no[] = {"false", "no", "0",
                                                                                "off"};
    for (size_t i = 0; i < sizeof (yes) / sizeof (yes[0]); i++) {
        if (strcasecmp (s, yes[i]) == 0 || strcasecmp (s, no[i]) == 0) {
            *b = strcasecmp (s, yes[i]) == 0;
            return 0;
        }
    }
    return -1;
}

static int parse_int (const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol (s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

/* One KEY=VALUE of queue q. */
static int parse_key (struct queue_conf *q, char *kv, struct herror *err)
{
    char *eq = strchr (kv, '=');
    if (!eq)
        return herror_set (err, "option queues: %s: \"%s\" is not KEY=VALUE", q->name, kv);
    *eq = '\0';
    const char *key = kv, *val = eq + 1;
    struct herror why = {""};
    int rc = 0;

    if (strcmp (key, "priority") == 0)
        rc = parse_int (val, QUEUE_PRIORITY_MIN, QUEUE_PRIORITY_MAX, &q->priority);
    else if (strcmp (key, "max_user_run") == 0)
        rc = parse_int (val, 0, 1000000000, &q->max_user_run);
    else if (strcmp (key, "default_walltime") == 0 || strcmp (key, "max_walltime") == 0) {
        int64_t *t = key[0] == 'd' ? &q->default_walltime : &q->max_walltime;
        rc = pbs_walltime_parse (val, t, &why);
        if (rc == 0 && *t <= 0)
            rc = herror_set (&why, "must be more than 0");
    } else if (strcmp (key, "enabled") == 0 || strcmp (key, "started") == 0)
        rc = parse_bool (val, key[0] == 'e' ? &q->enabled : &q->started);
    else
        return herror_set (err,
                           "option queues: %s: unknown key \"%s\" (priority, default_walltime, "
                           "max_walltime, max_user_run, enabled, started)",
                           q->name, key);
    if (rc < 0)
        return herror_set (err, "option queues: %s: %s \"%s\": %s", q->name, key, val,
                           why.text[0]                         ? why.text
                           : strcmp (key, "priority") == 0     ? "not a number from -1024 to 1023"
                           : strcmp (key, "max_user_run") == 0 ? "not a number >= 0"
                                                               : "not true or false");
    return 0;
}

/* One entry NAME[:KEY=VALUE,...] into a fresh queue q. */
static int parse_entry (struct queue_conf *q, char *e, int64_t default_walltime, struct herror *err)
{
    char *colon = strchr (e, ':'), *save = NULL;
    struct herror why = {""};

    if (colon)
        *colon = '\0';
    if (strchr (e, '@'))
        return herror_set (err, "option queues: \"%s\": a queue name has no '@'", e);
    if (jobspec_check_queue (e, &why) < 0)
        return herror_set (err, "option queues: \"%s\": %s", e, why.text);
    *q = (struct queue_conf){.name = strdup (e), .enabled = true, .started = true};
    if (!q->name)
        return herror_set (err, "out of memory");
    char seen[8][32] = {{0}};
    int nseen = 0;
    for (char *kv = colon ? strtok_r (colon + 1, ",", &save) : NULL; kv;
         kv = strtok_r (NULL, ",", &save)) {
        size_t klen = strcspn (kv, "=");
        for (int i = 0; i < nseen; i++) {
            if (strlen (seen[i]) == klen && strncmp (seen[i], kv, klen) == 0)
                return herror_set (err, "option queues: %s: %.*s given twice", q->name, (int)klen,
                                   kv);
        }
        if (nseen < 8)
            snprintf (seen[nseen++], sizeof (seen[0]), "%.*s", (int)klen, kv);
        if (parse_key (q, kv, err) < 0)
            return -1;
    }
    /* a queue that caps walltime and sets no default gives its cap to the
     * jobs that ask for none, rather than a default it would refuse */
    if (q->default_walltime == 0)
        q->default_walltime = q->max_walltime > 0 && q->max_walltime < default_walltime
                                  ? q->max_walltime
                                  : default_walltime;
    if (q->max_walltime > 0 && q->default_walltime > q->max_walltime)
        return herror_set (err,
                           "option queues: %s: default_walltime (%llds) is above max_walltime "
                           "(%llds)",
                           q->name, (long long)q->default_walltime, (long long)q->max_walltime);
    return 0;
}

struct queues *queues_parse (const char *spec, const char *default_queue, int64_t default_walltime,
                             struct herror *err)
{
    struct queues *qs = calloc (1, sizeof (*qs));
    char *copy = strdup (spec && spec[0] ? spec : default_queue ? default_queue : "");
    char *save = NULL;
    int cap = 0;

    if (!qs || !copy) {
        herror_set (err, "out of memory");
        goto fail;
    }
    for (char *e = strtok_r (copy, " \t\n;", &save); e; e = strtok_r (NULL, " \t\n;", &save)) {
        if (qs->n == cap) {
            cap = cap ? 2 * cap : 8;
            struct queue_conf *v = realloc (qs->v, cap * sizeof (*v));
            if (!v) {
                herror_set (err, "out of memory");
                goto fail;
            }
            qs->v = v;
        }
        qs->v[qs->n] = (struct queue_conf){0};
        int rc = parse_entry (&qs->v[qs->n], e, default_walltime, err);
        qs->n += qs->v[qs->n].name != NULL;
        if (rc < 0)
            goto fail;
        if (queues_find (qs, qs->v[qs->n - 1].name) != qs->n - 1) {
            herror_set (err, "option queues: queue %s is listed twice", qs->v[qs->n - 1].name);
            goto fail;
        }
    }
    if (qs->n == 0) {
        herror_set (err, "option queues: no queue");
        goto fail;
    }
    if ((qs->dflt = queues_find (qs, default_queue ? default_queue : "")) < 0) {
        herror_set (err, "option default_queue: \"%s\" is not one of option queues",
                    default_queue ? default_queue : "");
        goto fail;
    }
    free (copy);
    return qs;
fail:
    free (copy);
    queues_destroy (qs);
    return NULL;
}

int queues_count (const struct queues *qs)
{
    return qs ? qs->n : 0;
}

const struct queue_conf *queues_get (const struct queues *qs, int i)
{
    return qs && i >= 0 && i < qs->n ? &qs->v[i] : NULL;
}

int queues_find (const struct queues *qs, const char *name)
{
    for (int i = 0; qs && name && i < qs->n; i++) {
        if (strcmp (qs->v[i].name, name) == 0)
            return i;
    }
    return -1;
}

int queues_default (const struct queues *qs)
{
    return qs ? qs->dflt : -1;
}

int queues_sched_priority (int queue_priority, int job_priority)
{
    return queue_priority * 2048 + job_priority;
}
