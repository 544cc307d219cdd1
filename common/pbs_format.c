/* pbs_format.c - print resource requests the way PBS commands do */
#include "pbs_format.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

char *pbs_format_size (uint64_t bytes, char *buf, size_t size)
{
    static const char *const units[] = {"tb", "gb", "mb", "kb"};

    for (int i = 0; i < 4; i++) {
        int shift = 10 * (4 - i);
        uint64_t unit = UINT64_C (1) << shift;
        if (bytes > 0 && bytes % unit == 0) {
            snprintf (buf, size, "%" PRIu64 "%s", bytes >> shift, units[i]);
            return buf;
        }
    }
    snprintf (buf, size, "%" PRIu64 "b", bytes);
    return buf;
}

char *pbs_format_walltime (int64_t seconds, char *buf, size_t size)
{
    if (seconds < 0)
        seconds = 0;
    snprintf (buf, size, "%02" PRId64 ":%02d:%02d", seconds / 3600, (int)(seconds / 60 % 60),
              (int)(seconds % 60));
    return buf;
}

char *pbs_format_place (enum resreq_arrangement arrangement, enum resreq_sharing sharing, char *buf,
                        size_t size)
{
    const char *arr = arrangement == RESREQ_PACK      ? "pack"
                      : arrangement == RESREQ_SCATTER ? "scatter"
                                                      : "free";
    const char *shr = sharing == RESREQ_EXCL       ? ":excl"
                      : sharing == RESREQ_EXCLHOST ? ":exclhost"
                                                   : "";
    snprintf (buf, size, "%s%s", arr, shr);
    return buf;
}

/* Write the select text to f; the caller checks the stream for errors. */
static void write_select (FILE *f, const struct resreq *r)
{
    char size[PBS_FORMAT_BUFSIZE];

    for (int i = 0; i < r->nchunks; i++) {
        const struct resreq_chunk *c = &r->chunks[i];
        int default_mpiprocs = c->ncpus > 0 ? 1 : 0;
        fprintf (f, "%s%d:ncpus=%d", i > 0 ? "+" : "", c->count, c->ncpus);
        if (c->mpiprocs != default_mpiprocs)
            fprintf (f, ":mpiprocs=%d", c->mpiprocs);
        if (c->ngpus > 0)
            fprintf (f, ":ngpus=%d", c->ngpus);
        if (c->mem > 0)
            fprintf (f, ":mem=%s", pbs_format_size (c->mem, size, sizeof (size)));
        if (c->ompthreads > 0)
            fprintf (f, ":ompthreads=%d", c->ompthreads);
        if (c->host[0])
            fprintf (f, ":host=%.*s", (int)sizeof (c->host), c->host);
        /* labels as PBS writes custom resources: NAME=VALUE, NAME=True */
        for (const char *p = c->labels; memchr (c->labels, '\0', sizeof (c->labels)) && *p;) {
            size_t len = strcspn (p, ",");
            bool boolean = memchr (p, '=', len) == NULL;
            fprintf (f, ":%.*s%s", (int)len, p, boolean ? "=True" : "");
            p += len + (p[len] == ',');
        }
    }
}

/* Close a memstream and hand back its text (*text is only valid after the
 * close), or NULL/ENOMEM if any write failed. */
static char *close_stream (FILE *f, char **text)
{
    int failed = ferror (f);
    if (fclose (f) != 0 || failed) {
        free (*text);
        errno = ENOMEM;
        return NULL;
    }
    return *text;
}

char *pbs_format_select (const struct resreq *r)
{
    char *text = NULL;
    size_t len;
    FILE *f = open_memstream (&text, &len);

    if (!f)
        return NULL;
    write_select (f, r);
    return close_stream (f, &text);
}

uint64_t pbs_resreq_total_mem (const struct resreq *r)
{
    uint64_t total = 0;

    for (int i = 0; i < r->nchunks; i++) {
        const struct resreq_chunk *c = &r->chunks[i];
        uint64_t count = c->count > 0 ? (uint64_t)c->count : 0;
        if (count > 0 && c->mem > (UINT64_MAX - total) / count)
            return UINT64_MAX;
        total += count * c->mem;
    }
    return total;
}

char *pbs_format_resource_list (const struct resreq *r, const char *indent)
{
    char buf[PBS_FORMAT_BUFSIZE];
    char *text = NULL;
    size_t len;
    int nodect = 0;
    uint64_t mem = pbs_resreq_total_mem (r);
    FILE *f = open_memstream (&text, &len);

    if (!f)
        return NULL;
    if (!indent)
        indent = "";
    for (int i = 0; i < r->nchunks; i++)
        nodect += r->chunks[i].count;
    if (mem > 0)
        fprintf (f, "%sResource_List.mem = %s\n", indent, pbs_format_size (mem, buf, sizeof (buf)));
    fprintf (f, "%sResource_List.ncpus = %d\n", indent, resreq_total_ncpus (r));
    if (resreq_total_ngpus (r) > 0)
        fprintf (f, "%sResource_List.ngpus = %d\n", indent, resreq_total_ngpus (r));
    fprintf (f, "%sResource_List.nodect = %d\n", indent, nodect);
    fprintf (f, "%sResource_List.place = %s\n", indent,
             pbs_format_place (r->arrangement, r->sharing, buf, sizeof (buf)));
    fprintf (f, "%sResource_List.select = ", indent);
    write_select (f, r);
    fputc ('\n', f);
    if (r->walltime > 0)
        fprintf (f, "%sResource_List.walltime = %s\n", indent,
                 pbs_format_walltime (r->walltime, buf, sizeof (buf)));
    return close_stream (f, &text);
}
