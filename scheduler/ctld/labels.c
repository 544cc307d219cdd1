/* labels.c - node labels of huddle-ctld's node_labels option (labels.h) */
#include "scheduler/ctld/labels.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hostlist.h"
#include "common/pbs_resources.h"

#define BUILTIN_ARCH "arch=linux"

/* Call fn for each entry "HOSTLIST:LABELS" of spec; stops at the first
 * non-zero return and returns it.  An entry without ':' is given with
 * labels NULL. */
static int each_entry (const char *spec, int (*fn) (const char *hosts, const char *labels, void *),
                       void *arg)
{
    char *copy = strdup (spec ? spec : "");
    char *save = NULL;
    int rc = 0;

    if (!copy)
        return -1;
    for (char *e = strtok_r (copy, " \t\n;", &save); e && rc == 0;
         e = strtok_r (NULL, " \t\n;", &save)) {
        char *colon = strrchr (e, ':');
        if (colon)
            *colon = '\0';
        rc = fn (e, colon ? colon + 1 : NULL, arg);
    }
    free (copy);
    return rc;
}

static int check_entry (const char *hosts, const char *labels, void *arg)
{
    struct herror *err = arg;
    struct hostlist *hl;

    if (!labels || !*labels)
        return herror_set (err, "node_labels: \"%s\" gives no labels (use HOSTLIST:LABEL,...)",
                           hosts);
    if (!(hl = hostlist_decode (hosts, err))) {
        herror_prefix (err, "node_labels: %s", hosts);
        return -1;
    }
    hostlist_destroy (hl);
    if (strlen (labels) >= RESREQ_LABELS_MAX || pbs_labels_check (labels, err) < 0) {
        if (strlen (labels) >= RESREQ_LABELS_MAX)
            herror_set (err, "more than %d bytes", RESREQ_LABELS_MAX - 1);
        herror_prefix (err, "node_labels: %s", hosts);
        return -1;
    }
    return 0;
}

int labels_config_check (const char *spec, struct herror *err)
{
    return each_entry (spec, check_entry, err) == 0 ? 0 : -1;
}

struct collect {
    const char *node;
    char *buf;
    size_t size, len;
    bool arch, overflow;
};

static void append (struct collect *c, const char *p, size_t n)
{
    if (c->len + (c->len > 0) + n + 1 > c->size) {
        c->overflow = true;
        return;
    }
    if (c->len > 0)
        c->buf[c->len++] = ',';
    memcpy (c->buf + c->len, p, n);
    c->len += n;
    c->buf[c->len] = '\0';
}

static int collect_entry (const char *hosts, const char *labels, void *arg)
{
    struct collect *c = arg;
    struct hostlist *hl = hostlist_decode (hosts, NULL);
    bool mine = false;

    for (size_t i = 0; hl && labels && i < hostlist_count (hl) && !mine; i++)
        mine = strcmp (hostlist_nth (hl, i), c->node) == 0;
    hostlist_destroy (hl);
    for (const char *p = labels; mine && *p;) {
        size_t n = strcspn (p, ",");
        c->arch |= n > 5 && strncmp (p, "arch=", 5) == 0;
        append (c, p, n);
        p += n + (p[n] == ',');
    }
    return 0;
}

int labels_of_node (const char *spec, const char *node, char *buf, size_t size)
{
    struct collect c = {.node = node, .buf = buf, .size = size};

    if (size == 0)
        return -1;
    buf[0] = '\0';
    if (each_entry (spec, collect_entry, &c) < 0)
        return -1;
    if (!c.arch)
        append (&c, BUILTIN_ARCH, strlen (BUILTIN_ARCH));
    if (c.overflow) {
        errno = E2BIG;
        return -1;
    }
    return 0;
}

/* Whether some entry of spec defines label [label, label+n), or with
 * by_name a label of that name whatever its value. */
struct find {
    const char *label;
    size_t n;
    bool by_name, found;
};

static int find_entry (const char *hosts, const char *labels, void *arg)
{
    struct find *f = arg;
    (void)hosts;
    for (const char *p = labels; p && *p && !f->found;) {
        size_t n = strcspn (p, ",");
        size_t len = f->by_name ? strcspn (p, ",=") : n;
        f->found = len == f->n && strncmp (p, f->label, len) == 0;
        p += n + (p[n] == ',');
    }
    return 0;
}

/* Each label of one chunk's list: a name some entry gives, and that very
 * value on some node. */
static int check_labels (const char *spec, const char *want, struct herror *err)
{
    for (const char *p = want; *p;) {
        size_t n = strcspn (p, ",");
        size_t nlen = strcspn (p, ",=");
        struct find exact = {.label = p, .n = n}, name = {.label = p, .n = nlen, .by_name = true};
        bool arch = nlen == 4 && strncmp (p, "arch", 4) == 0;
        if (!(arch && n == strlen (BUILTIN_ARCH) && strncmp (p, BUILTIN_ARCH, n) == 0)) {
            (void)each_entry (spec, find_entry, &exact);
            (void)each_entry (spec, find_entry, &name);
            if (!name.found && !arch)
                return herror_set (err, "Unknown resource: %.*s", (int)nlen, p);
            if (!exact.found)
                return herror_set (err,
                                   "no node has %.*s (see the server's node_labels): the "
                                   "job could never run",
                                   (int)n, p);
        }
        p += n + (p[n] == ',');
    }
    return 0;
}

int labels_check_request (const char *spec, const struct resreq *r, struct herror *err)
{
    for (int i = 0; i < r->nchunks; i++) {
        if (check_labels (spec, r->chunks[i].labels, err) < 0)
            return -1;
    }
    return 0;
}
