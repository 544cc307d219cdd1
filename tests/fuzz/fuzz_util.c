/* fuzz_util.c - helpers of the fuzz targets (see fuzz.h) */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/jobspec.h"
#include "common/pbs_format.h"
#include "common/pbs_resources.h"
#include "common/utf8.h"
#include "topology/fabric.h"
#include "tests/fuzz/fuzz.h"

void fuzz_fail (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    fputs ("fuzz: broken promise: ", stderr);
    vfprintf (stderr, fmt, ap);
    fputc ('\n', stderr);
    va_end (ap);
    abort();
}

char *fuzz_strndup (const uint8_t *data, size_t size)
{
    char *s = malloc (size + 1);
    if (!s)
        fuzz_fail ("out of memory");
    if (size)
        memcpy (s, data, size);
    s[size] = '\0';
    return s;
}

char **fuzz_argv (const char *argv0, const uint8_t *data, size_t size, int max, int *argcp)
{
    char **argv = calloc ((size_t)max + 2, sizeof (*argv));
    int argc = 0;
    if (!argv || !(argv[argc++] = strdup (argv0)))
        fuzz_fail ("out of memory");
    size_t i = 0;
    while (i < size && argc <= max) {
        const uint8_t *nul = memchr (data + i, '\0', size - i);
        size_t len = nul ? (size_t)(nul - (data + i)) : size - i;
        argv[argc++] = fuzz_strndup (data + i, len);
        i += len + 1;
    }
    argv[argc] = NULL;
    *argcp = argc;
    return argv;
}

void fuzz_argv_free (char **argv)
{
    for (int i = 0; argv && argv[i]; i++)
        free (argv[i]);
    free (argv);
}

const uint8_t *fuzz_find (const uint8_t *data, size_t size, const char *sep, size_t seplen)
{
    return memmem (data, size, sep, seplen);
}

int fuzz_memfile (const uint8_t *data, size_t size, char *path, size_t pathsize)
{
    int fd = memfd_create ("fuzz", 0);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write (fd, data + done, size - done);
        if (n <= 0) {
            close (fd);
            return -1;
        }
        done += (size_t)n;
    }
    snprintf (path, pathsize, "/dev/fd/%d", fd);
    return fd;
}

json_t *fuzz_json (const uint8_t *data, size_t size)
{
    return json_loadb ((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
}

bool fuzz_json_same (const json_t *a, const json_t *b, const char *what)
{
    if (json_equal ((json_t *)a, (json_t *)b))
        return true;
    char *sa = a ? json_dumps (a, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    char *sb = b ? json_dumps (b, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    fprintf (stderr, "fuzz: %s differ:\n  %s\n  %s\n", what, sa ? sa : "(null)",
             sb ? sb : "(null)");
    free (sa);
    free (sb);
    return false;
}

static bool same_chunk (const struct resreq_chunk *a, const struct resreq_chunk *b)
{
    return a->count == b->count && a->ncpus == b->ncpus && a->mpiprocs == b->mpiprocs &&
           a->ngpus == b->ngpus && a->mem == b->mem && strcmp (a->host, b->host) == 0 &&
           strcmp (a->labels, b->labels) == 0 && a->ompthreads == b->ompthreads;
}

void fuzz_select_roundtrip (const struct resreq *r)
{
    char *text = pbs_format_select (r);
    struct resreq back = {0};
    struct herror err = {""};
    FUZZ_CHECK (text, "pbs_format_select: out of memory");
    FUZZ_CHECK (pbs_select_parse (text, &back, &err) == 0, "select \"%.200s\" does not parse: %s",
                text, err.text);
    FUZZ_CHECK (back.nchunks == r->nchunks, "select \"%.200s\": %d chunks, not %d", text,
                back.nchunks, r->nchunks);
    for (int i = 0; i < r->nchunks; i++)
        FUZZ_CHECK (same_chunk (&r->chunks[i], &back.chunks[i]),
                    "select \"%.200s\": chunk %d reads back different", text, i);
    resreq_clear (&back);
    free (text);
    char *list = pbs_format_resource_list (r, "    ");
    FUZZ_CHECK (list, "pbs_format_resource_list: out of memory");
    free (list);
}

void fuzz_jobspec_promises (const struct jobspec *js)
{
    struct herror err = {""};
    json_t *req = jobspec_to_json (js);
    FUZZ_CHECK (req, "a finalized request does not encode: %s", strerror (errno));
    struct jobspec *back = jobspec_from_json (req, &err);
    FUZZ_CHECK (back, "the controller refuses what qsub sends: %s", err.text);
    json_t *again = jobspec_to_json (back);
    FUZZ_CHECK (again && fuzz_json_same (req, again, "request and its decoding"),
                "a request changed through the controller's decoder");
    fuzz_select_roundtrip (&back->res);

    /* The job object, as the controller stores it and agents read it. */
    back->seq = 42;
    back->uid = 1000;
    back->gid = 1000;
    if (!back->owner && !(back->owner = strdup ("fuzzer")))
        fuzz_fail ("out of memory");
    json_t *job = jobspec_job_to_json (back);
    FUZZ_CHECK (job, "a job does not encode: %s", strerror (errno));
    struct jobspec *agent = jobspec_job_from_json (job, &err);
    FUZZ_CHECK (agent, "an agent refuses the job the controller sends: %s", err.text);
    json_t *job2 = jobspec_job_to_json (agent);
    FUZZ_CHECK (job2 && fuzz_json_same (job, job2, "job and its decoding"),
                "a job changed through the agent's decoder");
    json_decref (job2);
    jobspec_destroy (agent);
    json_decref (job);
    json_decref (again);
    jobspec_destroy (back);
    json_decref (req);
}

/* A name the controller can send (a JSON string) and qtopo print. */
static bool printable (const char *s)
{
    if (!s || !utf8_valid (s))
        return false;
    for (; *s; s++)
        if (iscntrl ((unsigned char)*s) && *s != '\t' && *s != '\r')
            return false;
    return true;
}

static void fabric_check (const struct fabric *f)
{
    size_t nsw = fabric_switch_count (f), nnodes = fabric_node_count (f);
    int root = fabric_root (f), roots = 0;
    FUZZ_CHECK ((nsw == 0) == (root < 0), "root %d of %zu switches", root, nsw);
    for (size_t s = 0; s < nsw; s++) {
        int sw = (int)s, parent = fabric_switch_parent (f, sw);
        const char *name = fabric_switch_name (f, sw);
        FUZZ_CHECK (name && fabric_switch_lookup (f, name) == sw, "switch %d not found by name",
                    sw);
        FUZZ_CHECK (printable (name), "switch %d: a name that is not printable UTF-8", sw);
        const char *speed = fabric_switch_link_speed (f, sw);
        FUZZ_CHECK (!speed || printable (speed), "switch %d: LinkSpeed not printable UTF-8", sw);
        FUZZ_CHECK (parent >= -1 && parent < (int)nsw && parent != sw, "switch %d: parent %d", sw,
                    parent);
        roots += parent < 0;
        size_t first, count, nch = fabric_switch_nchildren (f, sw);
        fabric_switch_range (f, sw, &first, &count);
        FUZZ_CHECK (first + count <= nnodes, "switch %d: range %zu+%zu of %zu nodes", sw, first,
                    count, nnodes);
        if (fabric_switch_is_leaf (f, sw)) {
            FUZZ_CHECK (nch == 0 && fabric_switch_level (f, sw) == 0, "leaf %d: level or children",
                        sw);
            for (size_t i = first; i < first + count; i++)
                FUZZ_CHECK (fabric_node_leaf (f, i) == sw, "node %zu not under its leaf %d", i, sw);
            continue;
        }
        int level = 0;
        size_t next = first;
        for (size_t i = 0; i < nch; i++) {
            int c = fabric_switch_child (f, sw, i);
            size_t cf, cc;
            FUZZ_CHECK (c >= 0 && c < (int)nsw && fabric_switch_parent (f, c) == sw,
                        "switch %d: child %d", sw, c);
            fabric_switch_range (f, c, &cf, &cc);
            FUZZ_CHECK (cf == next, "switch %d: child %d's nodes are not next in order", sw, c);
            next += cc;
            if (fabric_switch_level (f, c) + 1 > level)
                level = fabric_switch_level (f, c) + 1;
        }
        FUZZ_CHECK (next == first + count, "switch %d: its range is not its children's", sw);
        FUZZ_CHECK (nch == 0 || fabric_switch_level (f, sw) == level, "switch %d: level %d, not %d",
                    sw, fabric_switch_level (f, sw), level);
    }
    FUZZ_CHECK (nsw == 0 || roots == 1, "%d roots", roots);
    for (size_t i = 0; i < nnodes; i++) {
        const char *name = fabric_node_name (f, i);
        FUZZ_CHECK (name && fabric_node_lookup (f, name) == (long)i, "node %zu not found by name",
                    i);
        FUZZ_CHECK (printable (name), "node %zu: a name that is not printable UTF-8", i);
        int leaf = fabric_node_leaf (f, i);
        FUZZ_CHECK (leaf >= 0 && leaf < (int)nsw && fabric_switch_is_leaf (f, leaf),
                    "node %zu: leaf %d", i, leaf);
    }
    if (root >= 0) {
        size_t first, count;
        fabric_switch_range (f, root, &first, &count);
        FUZZ_CHECK (first == 0 && count == nnodes, "the root's range is not every node");
    }
}

void fuzz_fabric_promises (struct fabric *f)
{
    fabric_check (f);
    static const char lone[] = "fuzz-lone-node";
    if (fabric_node_lookup (f, lone) >= 0 || fabric_switch_lookup (f, lone) >= 0 ||
        fabric_switch_count (f) == 0)
        return;
    size_t n = fabric_node_count (f);
    FUZZ_CHECK (fabric_add_lone_node (f, lone) == 0, "a lone node cannot be added: %s",
                strerror (errno));
    FUZZ_CHECK (fabric_node_count (f) == n + 1 && fabric_node_lookup (f, lone) == (long)n,
                "the lone node is not last");
    fabric_check (f);
}

char **fuzz_daemon_argv (const char *argv0, const uint8_t *data, size_t size, int max, int *argcp,
                         int *fdp)
{
    const uint8_t *nul = memchr (data, '\0', size);
    size_t fsize = nul ? (size_t)(nul - data) : size;
    char path[32];
    if ((*fdp = fuzz_memfile (data, fsize, path, sizeof (path))) < 0)
        return NULL;
    int nextra = 0;
    char **extra =
        fuzz_argv (argv0, nul ? nul + 1 : data, nul ? size - fsize - 1 : 0, max, &nextra);
    char **argv = calloc ((size_t)nextra + 3, sizeof (*argv));
    int n = 0;
    if (!argv)
        fuzz_fail ("out of memory");
    argv[n++] = extra[0];
    argv[n++] = strdup ("--config");
    argv[n++] = strdup (path);
    for (int i = 1; i < nextra; i++) {
        if (!strstr (extra[i], "config") && strcmp (extra[i], "--help") != 0 &&
            strcmp (extra[i], "-h") != 0)
            argv[n++] = extra[i];
        else
            free (extra[i]);
    }
    argv[n] = NULL;
    free (extra);
    *argcp = n;
    return argv;
}

void fuzz_jobspec_submit (struct jobspec *js, int rc, struct herror *err)
{
    static char *const env[] = {
        "HOME=/home/u", "PATH=/usr/bin:/bin", "LOGNAME=u", "SHELL=/bin/bash",
        "LANG=C.UTF-8", "FOO=fooval",         "EMPTY=",    NULL,
    };
    if (rc == 0)
        rc = jobspec_finalize (js, "/home/u/work", env, "login1", err);
    if (rc == 0)
        fuzz_jobspec_promises (js);
    else
        FUZZ_CHECK (err->text[0] && errno == EINVAL, "refused without a reason (errno %d)", errno);
}
