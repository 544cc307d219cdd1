/* pbs_resources.c - parse the values of PBS "-l" resources */
#include "pbs_resources.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int einval (void)
{
    errno = EINVAL;
    return -1;
}

/* s quoted short for a message (herror_show()); buf has HERROR_SHOW_SIZE. */
static const char *shown (const char *s, char *buf)
{
    return herror_show (s, strlen (s), buf, HERROR_SHOW_SIZE);
}

/* Parse exactly [s, s+len) as a decimal number no larger than max.
 * Returns 0, -1 when it is not a number, -2 when it is larger than max. */
static int parse_decimal (const char *s, size_t len, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    bool big = false;

    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit ((unsigned char)s[i]))
            return -1;
        if (!big) {
            v = v * 10 + (uint64_t)(s[i] - '0');
            if (v > max)
                big = true;
        }
    }
    if (big)
        return -2;
    *out = v;
    return 0;
}

/* Size units: suffix, power of 1024, bytes per unit (1 byte or 8-byte word). */
static const struct size_unit {
    const char *suffix;
    int shift;
    int word;
} size_units[] = {
    {"", 0, 1},    {"b", 0, 1},   {"w", 0, 8},   {"k", 10, 1},  {"kb", 10, 1},
    {"kw", 10, 8}, {"m", 20, 1},  {"mb", 20, 1}, {"mw", 20, 8}, {"g", 30, 1},
    {"gb", 30, 1}, {"gw", 30, 8}, {"t", 40, 1},  {"tb", 40, 1}, {"tw", 40, 8},
};

int pbs_size_parse (const char *s, uint64_t *bytes, struct herror *err)
{
    const struct size_unit *unit = NULL;
    char q[HERROR_SHOW_SIZE];
    uint64_t v;
    size_t n = 0;

    if (!s || !*s) {
        herror_set (err, "no size given (e.g. 4gb)");
        return einval();
    }
    while (isdigit ((unsigned char)s[n]))
        n++;
    if (n == 0) {
        herror_set (err, "\"%s\" is not a size (e.g. 4gb, 512mb)", shown (s, q));
        return einval();
    }
    for (size_t i = 0; i < sizeof (size_units) / sizeof (size_units[0]); i++) {
        if (strcasecmp (s + n, size_units[i].suffix) == 0) {
            unit = &size_units[i];
            break;
        }
    }
    if (!unit) {
        herror_set (err, "unknown unit \"%s\" (use b, kb, mb, gb or tb)", shown (s + n, q));
        return einval();
    }
    uint64_t max = (RESREQ_MAX_MEM >> unit->shift) / (uint64_t)unit->word;
    if (parse_decimal (s, n, max, &v) < 0) {
        herror_set (err, "\"%s\" is more than the limit of %ugb", shown (s, q),
                    (unsigned)(RESREQ_MAX_MEM >> 30));
        return einval();
    }
    *bytes = (v << unit->shift) * (uint64_t)unit->word;
    return 0;
}

int pbs_walltime_parse (const char *s, int64_t *seconds, struct herror *err)
{
    static const char *const names[3][3] = {
        {"seconds"},
        {"minutes", "seconds"},
        {"hours", "minutes", "seconds"},
    };
    static const int64_t scale[3][3] = {{1}, {60, 1}, {3600, 60, 1}};
    const char *field[3];
    size_t len[3];
    int nfields = 1;
    int round_up = 0;
    int64_t total = 0;

    if (!s || !*s) {
        herror_set (err, "no time given (use [[hours:]minutes:]seconds)");
        return einval();
    }
    field[0] = s;
    for (const char *p = s; *p; p++) {
        if (*p != ':')
            continue;
        if (nfields == 3) {
            herror_set (err, "too many fields (use [[hours:]minutes:]seconds)");
            return einval();
        }
        len[nfields - 1] = (size_t)(p - field[nfields - 1]);
        field[nfields++] = p + 1;
    }
    len[nfields - 1] = strlen (field[nfields - 1]);

    /* An optional fraction on the seconds, rounded as OpenPBS does. */
    const char *dot = memchr (field[nfields - 1], '.', len[nfields - 1]);
    if (dot) {
        size_t fraclen = len[nfields - 1] - (size_t)(dot - field[nfields - 1]) - 1;
        for (size_t i = 0; i < fraclen; i++) {
            if (!isdigit ((unsigned char)dot[1 + i])) {
                herror_set (err, "seconds are not a number");
                return einval();
            }
        }
        round_up = fraclen > 0 && dot[1] >= '5';
        len[nfields - 1] = (size_t)(dot - field[nfields - 1]);
    }
    for (int i = 0; i < nfields; i++) {
        uint64_t v;
        int rc = parse_decimal (field[i], len[i], (uint64_t)RESREQ_MAX_WALLTIME, &v);
        if (rc == -1) {
            herror_set (err, "%s are not a number", names[nfields - 1][i]);
            return einval();
        }
        int64_t add = rc == 0 ? (int64_t)v * scale[nfields - 1][i] : RESREQ_MAX_WALLTIME + 1;
        if (rc == -2 || add > RESREQ_MAX_WALLTIME - total) {
            herror_set (err, "more than %d years", (int)(RESREQ_MAX_WALLTIME / (366 * 86400)));
            return einval();
        }
        total += add;
    }
    if (round_up && total < RESREQ_MAX_WALLTIME)
        total++;
    *seconds = total;
    return 0;
}

int pbs_hostname_valid (const char *s)
{
    size_t n = s ? strlen (s) : 0;

    if (n == 0 || n > 63 || !isalnum ((unsigned char)s[0]))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum (c) && c != '.' && c != '-' && c != '_')
            return 0;
    }
    return 1;
}

enum chunk_syntax { SYNTAX_SELECT, SYNTAX_NODES };

/* Parse "name=VALUE" as an integer 0..RESREQ_MAX_COUNT into *out. */
static int parse_count (const char *name, const char *val, int *out, struct herror *err)
{
    char q[HERROR_SHOW_SIZE];
    uint64_t v;
    int rc = parse_decimal (val, strlen (val), RESREQ_MAX_COUNT, &v);
    if (rc == -1)
        return herror_set (err, "%s \"%s\" is not a number", name, shown (val, q));
    if (rc == -2)
        return herror_set (err, "%s %s is more than %d", name, shown (val, q), RESREQ_MAX_COUNT);
    *out = (int)v;
    return 0;
}

/* The chunk resources of select (parse_chunk reads them itself).  A label
 * of one of these names could not be written back as select text: qstat's
 * Resource_List.select would show "mpiprocs=True", which means something
 * else (and does not even parse), so no label may have such a name. */
static const char *const chunk_resources[] = {"ncpus", "mpiprocs", "ngpus",      "mem",
                                              "host",  "vnode",    "ompthreads", NULL};

static bool chunk_resource_name (const char *s, size_t len)
{
    for (int i = 0; chunk_resources[i]; i++)
        if (strlen (chunk_resources[i]) == len && strncmp (s, chunk_resources[i], len) == 0)
            return true;
    return false;
}

bool pbs_label_name_valid (const char *s, size_t len)
{
    if (len == 0 || len > 64 || !isalpha ((unsigned char)s[0]) || chunk_resource_name (s, len))
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isalnum ((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
            return false;
    }
    return true;
}

/* A label value: 1..64 of [A-Za-z0-9._-]. */
static bool label_value_valid (const char *s, size_t len)
{
    if (len == 0 || len > 64)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isalnum ((unsigned char)s[i]) && !strchr ("._-", s[i]))
            return false;
    }
    return true;
}

/* PBS's boolean words as a select value: 1 true, 0 false, -1 neither.
 * select turns NAME=true into the label NAME and refuses NAME=false, so a
 * stored label never has such a value: it would print as another request. */
static int bool_word (const char *s, size_t len)
{
    static const char *const yes[] = {"true", "t", "y", "1"}, *const no[] = {"false", "f", "n",
                                                                             "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strlen (yes[i]) == len && strncasecmp (s, yes[i], len) == 0)
            return 1;
        if (strlen (no[i]) == len && strncasecmp (s, no[i], len) == 0)
            return 0;
    }
    return -1;
}

int pbs_labels_check (const char *labels, struct herror *err)
{
    char q[HERROR_SHOW_SIZE];

    if (memchr (labels, '\0', RESREQ_LABELS_MAX) == NULL)
        return herror_set (err, "labels are longer than %d bytes", RESREQ_LABELS_MAX - 1);
    for (const char *p = labels; *p;) {
        size_t len = strcspn (p, ",");
        const char *eq = memchr (p, '=', len);
        size_t nlen = eq ? (size_t)(eq - p) : len;
        if (!pbs_label_name_valid (p, nlen) || (eq && !label_value_valid (eq + 1, len - nlen - 1)))
            return herror_set (err, "\"%s\" is not a label (NAME or NAME=VALUE)",
                               herror_show (p, len, q, sizeof (q)));
        if (eq && bool_word (eq + 1, len - nlen - 1) >= 0)
            return herror_set (err, "\"%s\": a label's value cannot be true or false",
                               herror_show (p, len, q, sizeof (q)));
        p += len + (p[len] == ',');
    }
    return 0;
}

/* Add "NAME" (val NULL or True) or "NAME=VALUE" to the chunk's labels. */
static int add_label (struct resreq_chunk *c, const char *name, const char *val, struct herror *err)
{
    char q[HERROR_SHOW_SIZE];
    size_t have = strlen (c->labels);

    if (chunk_resource_name (name, strlen (name)))
        return herror_set (err, "%s is a resource (%s=VALUE), not a node property", name, name);
    if (!pbs_label_name_valid (name, strlen (name)))
        return herror_set (err, "\"%s\" is not a resource or node property name", shown (name, q));
    int b = val ? bool_word (val, strlen (val)) : -1;
    if (b == 1)
        val = NULL;
    else if (b == 0)
        return herror_set (err, "%s=%s: asking for nodes without a label is not supported", name,
                           val);
    if (val && !label_value_valid (val, strlen (val)))
        return herror_set (err,
                           "%s: \"%s\" is not a label value (letters, digits, '.', '_', "
                           "'-')",
                           name, shown (val, q));
    int n = snprintf (c->labels + have, sizeof (c->labels) - have, "%s%s%s%s", have ? "," : "",
                      name, val ? "=" : "", val ? val : "");
    if (n < 0 || (size_t)n >= sizeof (c->labels) - have) {
        c->labels[have] = '\0';
        return herror_set (err, "too many node labels in one chunk");
    }
    return 0;
}

/* One select or nodes term, written in place (elt is a writable copy). */
static int parse_chunk (char *elt, enum chunk_syntax syntax, struct resreq_chunk *c,
                        struct herror *err)
{
    bool seen_ncpus = false, seen_mpiprocs = false, seen_ngpus = false;
    bool seen_mem = false, seen_host = false, seen_omp = false;
    bool first = true;
    char *save = elt;
    char q[HERROR_SHOW_SIZE];

    memset (c, 0, sizeof (*c));
    c->count = 1;
    c->ncpus = 1;
    if (*elt == '\0')
        return herror_set (err, "empty chunk");
    for (char *tok; (tok = strsep (&save, ":")) != NULL; first = false) {
        char *eq = strchr (tok, '=');
        if (first && !eq) {
            if (isdigit ((unsigned char)*tok)) {
                int n;
                if (parse_count ("chunk count", tok, &n, err) < 0)
                    return -1;
                if (n < 1)
                    return herror_set (err, "chunk count must be at least 1");
                c->count = n;
                continue;
            }
            if (syntax == SYNTAX_NODES) {
                if (!pbs_hostname_valid (tok))
                    return herror_set (err, "\"%s\" is neither a node count nor a host name",
                                       shown (tok, q));
                strcpy (c->host, tok);
                seen_host = true;
                continue;
            }
            return herror_set (err, "\"%s\" is neither a chunk count nor resource=value",
                               shown (tok, q));
        }
        if (!eq) {
            /* Torque's node property: a boolean label the node must have. */
            if (syntax == SYNTAX_NODES) {
                if (add_label (c, tok, NULL, err) < 0)
                    return -1;
                continue;
            }
            return herror_set (err, "\"%s\" is not resource=value", shown (tok, q));
        }
        *eq = '\0';
        const char *key = tok, *val = eq + 1;
        bool *seen;
        int rc;
        if (syntax == SYNTAX_SELECT && strcmp (key, "ncpus") == 0) {
            seen = &seen_ncpus;
            rc = parse_count (key, val, &c->ncpus, err);
        } else if (syntax == SYNTAX_NODES && strcmp (key, "ppn") == 0) {
            seen = &seen_ncpus;
            rc = parse_count (key, val, &c->ncpus, err);
            c->mpiprocs = c->ncpus;
            seen_mpiprocs = true;
        } else if (syntax == SYNTAX_SELECT && strcmp (key, "mpiprocs") == 0) {
            seen = &seen_mpiprocs;
            rc = parse_count (key, val, &c->mpiprocs, err);
        } else if ((syntax == SYNTAX_SELECT && strcmp (key, "ngpus") == 0) ||
                   (syntax == SYNTAX_NODES && strcmp (key, "gpus") == 0)) {
            seen = &seen_ngpus;
            rc = parse_count (key, val, &c->ngpus, err);
        } else if (syntax == SYNTAX_SELECT && strcmp (key, "mem") == 0) {
            seen = &seen_mem;
            rc = pbs_size_parse (val, &c->mem, err);
            if (rc < 0)
                herror_prefix (err, "mem \"%s\"", shown (val, q));
        } else if (syntax == SYNTAX_SELECT && strcmp (key, "ompthreads") == 0) {
            seen = &seen_omp;
            rc = parse_count (key, val, &c->ompthreads, err);
        } else if (syntax == SYNTAX_SELECT &&
                   (strcmp (key, "host") == 0 || strcmp (key, "vnode") == 0)) {
            /* huddle's vnodes are its nodes: vnode= is host= */
            seen = &seen_host;
            rc = 0;
            if (!pbs_hostname_valid (val))
                rc = herror_set (err, "host \"%s\" is not a valid host name", shown (val, q));
            else
                strcpy (c->host, val);
        } else if (syntax == SYNTAX_SELECT) {
            /* Any other resource is a node label: arch=linux, gpu_type=a100,
             * a100=True (the controller refuses labels no node has). */
            if (add_label (c, key, val, err) < 0)
                return -1;
            continue;
        } else {
            return herror_set (err, "unknown nodes resource \"%s\" (known: ppn, gpus)",
                               shown (key, q));
        }
        if (rc < 0)
            return -1;
        if (*seen)
            return herror_set (err, "%s is given twice", key);
        *seen = true;
    }
    if (c->ncpus == 0 && c->ngpus == 0)
        return herror_set (err, "a chunk needs ncpus or ngpus above 0");
    if (!seen_mpiprocs)
        c->mpiprocs = c->ncpus > 0 ? 1 : 0;
    return 0;
}

static int parse_chunks (const char *s, enum chunk_syntax syntax, struct resreq *r,
                         struct herror *err)
{
    int n = 1;
    char *copy, *save;
    struct resreq_chunk *chunks;

    if (!s || !*s) {
        herror_set (err, "no chunks given");
        return einval();
    }
    for (const char *p = s; *p; p++) {
        if (*p == '+' && ++n > RESREQ_MAX_CHUNKS) {
            herror_set (err, "more than %d chunks", RESREQ_MAX_CHUNKS);
            return einval();
        }
    }
    if (!(copy = strdup (s)))
        return -1;
    if (!(chunks = calloc ((size_t)n, sizeof (*chunks)))) {
        free (copy);
        return -1;
    }
    save = copy;
    for (int i = 0; i < n; i++) {
        char *elt = strsep (&save, "+");
        if (parse_chunk (elt, syntax, &chunks[i], err) < 0) {
            if (n > 1)
                herror_prefix (err, "chunk %d", i + 1);
            free (copy);
            free (chunks);
            return einval();
        }
    }
    free (copy);
    struct resreq tmp = {.nchunks = n, .chunks = chunks};
    if (pbs_resreq_check (&tmp, err) < 0) {
        free (chunks);
        return einval();
    }
    free (r->chunks);
    r->chunks = chunks;
    r->nchunks = n;
    return 0;
}

int pbs_select_parse (const char *s, struct resreq *r, struct herror *err)
{
    return parse_chunks (s, SYNTAX_SELECT, r, err);
}

int pbs_nodes_parse (const char *s, struct resreq *r, struct herror *err)
{
    return parse_chunks (s, SYNTAX_NODES, r, err);
}

/* "group=switch" as one part of place=: 1 it is one (*GROUP set), 0 it is
 * not a group= part, -1 a bad one. */
static int place_group_part (const char *p, size_t len, bool *group, struct herror *err)
{
    static const char key[] = "group=";
    if (len < sizeof (key) - 1 || strncmp (p, key, sizeof (key) - 1) != 0)
        return 0;
    const char *v = p + sizeof (key) - 1;
    size_t vlen = len - (sizeof (key) - 1);
    if (!group) {
        herror_set (err, "group= is not allowed here");
        return einval();
    }
    if (vlen != strlen ("switch") || strncmp (v, "switch", vlen) != 0) {
        char q[HERROR_SHOW_SIZE];
        herror_set (err, "unknown group \"%s\" (nodes are grouped by switch: use group=switch)",
                    herror_show (v, vlen, q, sizeof (q)));
        return einval();
    }
    if (*group) {
        herror_set (err, "group given twice");
        return einval();
    }
    *group = true;
    return 1;
}

int pbs_place_parse (const char *s, enum resreq_arrangement *arrangement,
                     enum resreq_sharing *sharing, bool *group_switch, struct herror *err)
{
    static const struct {
        const char *word;
        bool is_sharing;
        int value;
    } words[] = {
        {"free", false, RESREQ_FREE},       {"pack", false, RESREQ_PACK},
        {"scatter", false, RESREQ_SCATTER}, {"shared", true, RESREQ_SHARED},
        {"excl", true, RESREQ_EXCL},        {"exclhost", true, RESREQ_EXCLHOST},
    };
    int arr = RESREQ_FREE, shr = RESREQ_SHARED;
    bool have_arr = false, have_shr = false, group = false;
    const char *p = s;

    if (!s || !*s) {
        herror_set (err, "no placement given (use pack, scatter or free)");
        return einval();
    }
    for (int part = 0; p; part++) {
        const char *colon = strchr (p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen (p);
        size_t i;
        if (part == 3) {
            herror_set (err, "too many parts (use ARRANGEMENT[:SHARING][:group=switch], e.g. "
                             "scatter:excl)");
            return einval();
        }
        int g = place_group_part (p, len, group_switch ? &group : NULL, err);
        if (g < 0)
            return -1;
        if (g == 1) {
            p = colon ? colon + 1 : NULL;
            continue;
        }
        for (i = 0; i < sizeof (words) / sizeof (words[0]); i++) {
            if (strlen (words[i].word) == len && strncmp (words[i].word, p, len) == 0)
                break;
        }
        if (i == sizeof (words) / sizeof (words[0])) {
            char q[HERROR_SHOW_SIZE];
            herror_set (err,
                        "unknown placement \"%s\" (use pack, scatter or free, and excl, "
                        "shared or exclhost)",
                        herror_show (p, len, q, sizeof (q)));
            return einval();
        }
        bool *have = words[i].is_sharing ? &have_shr : &have_arr;
        if (*have) {
            herror_set (err, "%s given twice", words[i].is_sharing ? "sharing" : "arrangement");
            return einval();
        }
        *have = true;
        if (words[i].is_sharing)
            shr = words[i].value;
        else
            arr = words[i].value;
        p = colon ? colon + 1 : NULL;
    }
    *arrangement = (enum resreq_arrangement)arr;
    *sharing = (enum resreq_sharing)shr;
    if (group_switch)
        *group_switch = group;
    return 0;
}

int pbs_switches_parse (const char *s, int *max_switches, int64_t *wait, struct herror *err)
{
    if (!s || !*s) {
        herror_set (err, "no switch count given (use N or N@[[HH:]MM:]SS)");
        return einval();
    }
    const char *at = strchr (s, '@');
    size_t len = at ? (size_t)(at - s) : strlen (s);
    long long n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || n > RESREQ_MAX_COUNT) {
            n = -1;
            break;
        }
        n = n * 10 + (s[i] - '0');
    }
    if (len == 0 || n < 1 || n > RESREQ_MAX_COUNT) {
        char q[HERROR_SHOW_SIZE];
        herror_set (err, "switch count \"%s\" is not a number from 1 to %d",
                    herror_show (s, len, q, sizeof (q)), RESREQ_MAX_COUNT);
        return einval();
    }
    int64_t w = -1;
    if (at) {
        struct herror sub = {0};
        if (!at[1] || pbs_walltime_parse (at + 1, &w, &sub) < 0) {
            herror_set (err, "wait after @: %s", at[1] ? sub.text : "missing (use N@[[HH:]MM:]SS)");
            return einval();
        }
    }
    *max_switches = (int)n;
    *wait = w;
    return 0;
}

int pbs_resreq_check (const struct resreq *r, struct herror *err)
{
    int64_t nodect = 0, ncpus = 0, mpiprocs = 0, ngpus = 0;

    if (!r || r->nchunks < 1 || r->nchunks > RESREQ_MAX_CHUNKS || !r->chunks) {
        herror_set (err, "a request needs 1 to %d chunks", RESREQ_MAX_CHUNKS);
        return einval();
    }
    for (int i = 0; i < r->nchunks; i++) {
        const struct resreq_chunk *c = &r->chunks[i];
        const char *bad = NULL;
        if (c->count < 1 || c->count > RESREQ_MAX_COUNT)
            bad = "count";
        else if (c->ncpus < 0 || c->ncpus > RESREQ_MAX_COUNT)
            bad = "ncpus";
        else if (c->mpiprocs < 0 || c->mpiprocs > RESREQ_MAX_COUNT)
            bad = "mpiprocs";
        else if (c->ngpus < 0 || c->ngpus > RESREQ_MAX_COUNT)
            bad = "ngpus";
        if (bad) {
            herror_set (err, "chunk %d: %s is out of range", i + 1, bad);
            return einval();
        }
        if (c->ncpus == 0 && c->ngpus == 0) {
            herror_set (err, "chunk %d: a chunk needs ncpus or ngpus above 0", i + 1);
            return einval();
        }
        if (c->mem > RESREQ_MAX_MEM) {
            herror_set (err, "chunk %d: mem is more than the limit", i + 1);
            return einval();
        }
        if (c->ompthreads < 0 || c->ompthreads > RESREQ_MAX_COUNT) {
            herror_set (err, "chunk %d: ompthreads is out of range", i + 1);
            return einval();
        }
        if (pbs_labels_check (c->labels, err) < 0) {
            herror_prefix (err, "chunk %d", i + 1);
            return einval();
        }
        if (memchr (c->host, '\0', sizeof (c->host)) == NULL ||
            (c->host[0] && !pbs_hostname_valid (c->host))) {
            herror_set (err, "chunk %d: host is not a valid host name", i + 1);
            return einval();
        }
        nodect += c->count;
        ncpus += (int64_t)c->count * c->ncpus;
        mpiprocs += (int64_t)c->count * c->mpiprocs;
        ngpus += (int64_t)c->count * c->ngpus;
    }
    if (nodect > RESREQ_MAX_COUNT) {
        herror_set (err, "%lld chunks in all is more than %d", (long long)nodect, RESREQ_MAX_COUNT);
        return einval();
    }
    if (ncpus > INT_MAX || mpiprocs > INT_MAX || ngpus > INT_MAX) {
        herror_set (err, "the request adds up to more than %d cpus, ranks or gpus", INT_MAX);
        return einval();
    }
    if ((unsigned)r->arrangement > RESREQ_SCATTER || (unsigned)r->sharing > RESREQ_EXCLHOST) {
        herror_set (err, "unknown placement");
        return einval();
    }
    if (r->walltime < 0 || r->walltime > RESREQ_MAX_WALLTIME) {
        herror_set (err, "walltime is out of range");
        return einval();
    }
    if (r->max_switches < 0 || r->max_switches > RESREQ_MAX_COUNT || r->switches_wait < -1 ||
        r->switches_wait > RESREQ_MAX_WALLTIME) {
        herror_set (err, "switches is out of range");
        return einval();
    }
    return 0;
}

bool pbs_pgroup_name_valid (const char *s)
{
    size_t n = s ? strlen (s) : 0;
    return n > 0 && n <= RESREQ_PGROUP_MAX &&
           strspn (s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") == n;
}

/* Whether the comma-separated list has the element [e, e+len). */
static bool list_has (const char *list, const char *e, size_t len)
{
    for (const char *p = list; p && *p;) {
        size_t n = strcspn (p, ",");
        if (n == len && strncmp (p, e, len) == 0)
            return true;
        p += n + (p[n] == ',');
    }
    return false;
}

bool pbs_labels_match (const char *have, const char *want)
{
    for (const char *p = want; p && *p;) {
        size_t n = strcspn (p, ",");
        if (!list_has (have, p, n))
            return false;
        p += n + (p[n] == ',');
    }
    return true;
}
