/* depend.c - job dependencies (see depend.h) */
#include "scheduler/ctld/depend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {
    [DEPEND_AFTER] = "after",
    [DEPEND_AFTEROK] = "afterok",
    [DEPEND_AFTERNOTOK] = "afternotok",
    [DEPEND_AFTERANY] = "afterany",
};
#define NTYPES (sizeof (type_names) / sizeof (type_names[0]))

const char *depend_type_name (enum depend_type t)
{
    return (unsigned)t < NTYPES ? type_names[t] : "?";
}

static int type_of (const char *p, size_t len, enum depend_type *t, struct herror *err)
{
    for (size_t i = 0; i < NTYPES; i++) {
        if (strlen (type_names[i]) == len && strncmp (type_names[i], p, len) == 0) {
            *t = (enum depend_type)i;
            return 0;
        }
    }
    if (len >= 6 && strncmp (p, "before", 6) == 0)
        return herror_set (err,
                           "%.*s dependencies are not supported: submit the later job with "
                           "-W depend=after...:JOBID instead",
                           (int)len, p);
    return herror_set (err, "unknown dependency type \"%.*s\"", (int)len, p);
}

/* "SEQ[.SERVER][@SERVER]" of len bytes into it. */
static int item_of (const char *p, size_t len, struct depend_item *it, struct herror *err)
{
    char *end;
    errno = 0;
    long long seq = strtoll (p, &end, 10);
    if (end == p || errno || seq < 1 || seq > INT32_MAX)
        return herror_set (err, "\"%.*s\" is not a job id", (int)len, p);
    it->array = false;
    if ((size_t)(end - p) < len && *end == '[') {
        /* a whole array, SEQ[] (its subjobs one by one are not) */
        if ((size_t)(end - p) + 2 > len || end[1] != ']')
            return herror_set (err,
                               "%.*s: dependencies on single subjobs are not supported (name the "
                               "array, SEQ[])",
                               (int)len, p);
        it->array = true;
        end += 2;
    }
    it->seq = seq;
    it->server[0] = '\0';
    size_t rest = len - (size_t)(end - p);
    if (rest > 0) {
        /* ".SERVER" or "@SERVER": the part after the first '.' or '@' up to
         * an '@' (PBS's "SEQ.SERVER@SERVER" names it twice) */
        const char *s = end + 1;
        size_t n = strcspn (s, "@");
        if (n > rest - 1)
            n = rest - 1;
        if (n >= sizeof (it->server))
            return herror_set (err, "%.*s: the server name is too long", (int)len, p);
        memcpy (it->server, s, n);
        it->server[n] = '\0';
    }
    return 0;
}

int depend_parse (const char *text, struct depend_item **items, int *n, struct herror *err)
{
    int cap = 4, count = 0;
    struct depend_item *v = calloc ((size_t)cap, sizeof (*v));
    const char *p = text ? text : "";

    if (!v)
        return herror_set (err, "out of memory");
    while (*p) {
        size_t len = strcspn (p, ":,");
        enum depend_type t = DEPEND_AFTER;
        if (type_of (p, len, &t, err) < 0)
            goto fail;
        p += len;
        if (*p != ':') {
            herror_set (err, "dependency %s names no job", depend_type_name (t));
            goto fail;
        }
        while (*p == ':') {
            p++;
            len = strcspn (p, ":,");
            if (count == cap) {
                struct depend_item *w = realloc (v, (size_t)(2 * cap) * sizeof (*v));
                if (!w) {
                    herror_set (err, "out of memory");
                    goto fail;
                }
                v = w;
                cap *= 2;
            }
            v[count].type = t;
            if (item_of (p, len, &v[count], err) < 0)
                goto fail;
            count++;
            p += len;
        }
        if (*p == ',')
            p++;
    }
    if (count == 0) {
        herror_set (err, "no dependency given");
        goto fail;
    }
    *items = v;
    *n = count;
    return 0;
fail:
    free (v);
    return -1;
}

enum depend_status depend_eval (enum depend_type t, const struct depend_parent *p)
{
    bool ok = p->finished && p->has_status && p->exit_status == 0;
    switch (t) {
    case DEPEND_AFTER:
        return p->started ? DEPEND_MET : p->finished ? DEPEND_NEVER : DEPEND_PENDING;
    case DEPEND_AFTEROK:
        return !p->finished ? DEPEND_PENDING : ok ? DEPEND_MET : DEPEND_NEVER;
    case DEPEND_AFTERNOTOK:
        return !p->finished ? DEPEND_PENDING : ok ? DEPEND_NEVER : DEPEND_MET;
    case DEPEND_AFTERANY:
        return p->finished ? DEPEND_MET : DEPEND_PENDING;
    }
    return DEPEND_NEVER;
}

void depend_never_why (const struct depend_parent *p, const char *jobid, char *buf, size_t size)
{
    if (p->finished && p->has_status)
        snprintf (buf, size, "job %s ended with exit status %d", jobid, p->exit_status);
    else if (p->finished)
        snprintf (buf, size, "job %s finished without running", jobid);
    else
        snprintf (buf, size, "job %s is not known", jobid);
}
