#include "swf.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Each field: its name for messages, where it lives in a record, and
 * whether it may carry decimals (a double) or not (an int64_t). */
#define F(name, member, decimal)                                                                   \
    {                                                                                              \
        name, offsetof (struct swf_record, member), decimal                                        \
    }
static const struct {
    const char *name;
    size_t off;
    bool decimal;
} fields[SWF_NFIELDS] = {
    F ("job number", job, false),
    F ("submit time", submit, false),
    F ("wait time", wait, false),
    F ("run time", run, false),
    F ("allocated processors", procs_alloc, false),
    F ("average CPU time", cpu_avg, true),
    F ("used memory", mem_used, true),
    F ("requested processors", procs_req, false),
    F ("requested time", time_req, false),
    F ("requested memory", mem_req, false),
    F ("status", status, false),
    F ("user id", user, false),
    F ("group id", group, false),
    F ("executable number", exec, false),
    F ("queue number", queue, false),
    F ("partition number", partition, false),
    F ("preceding job", preceding, false),
    F ("think time", think, false),
};
#undef F

/* Parse token TOK (LEN bytes) as field I of R. */
static int parse_field (struct swf_record *r, int i, const char *tok, size_t len,
                        struct herror *err)
{
    char buf[64], show[HERROR_SHOW_SIZE];
    if (len >= sizeof (buf))
        goto bad;
    memcpy (buf, tok, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    if (fields[i].decimal) {
        double d = strtod (buf, &end);
        if (errno || *end != '\0' || !isfinite (d))
            goto bad;
        *(double *)((char *)r + fields[i].off) = d;
        return 0;
    }
    long long v = strtoll (buf, &end, 10);
    if (errno || *end != '\0')
        goto bad;
    *(int64_t *)((char *)r + fields[i].off) = v;
    return 0;
bad:
    errno = EINVAL;
    return herror_set (err, "field %d (%s): \"%s\" is not %s", i + 1, fields[i].name,
                       herror_show (tok, len, show, sizeof (show)),
                       fields[i].decimal ? "a number" : "an integer");
}

int swf_parse_line (const char *line, struct swf_record *rec, struct herror *err)
{
    const char *p = line;
    while (isspace ((unsigned char)*p))
        p++;
    if (*p == '\0' || *p == ';')
        return 0;
    struct swf_record r;
    int n = 0;
    while (*p) {
        const char *tok = p;
        while (*p && !isspace ((unsigned char)*p))
            p++;
        if (n < SWF_NFIELDS && parse_field (&r, n, tok, (size_t)(p - tok), err) < 0)
            return -1;
        n++;
        while (isspace ((unsigned char)*p))
            p++;
    }
    if (n != SWF_NFIELDS) {
        errno = EINVAL;
        return herror_set (err, "%d fields where a record has %d", n, SWF_NFIELDS);
    }
    *rec = r;
    return 1;
}

/* %g of a decimal field: integers come out as integers ("-1", "1536").
 * 15 digits keep what a log wrote ("0.1" stays "0.1"); a value they do
 * not give back exactly (more digits in the log, or a computed one) takes
 * 17, which always do: a record written and read again is the same
 * numbers. */
static void put_decimal (char *buf, size_t len, double d)
{
    snprintf (buf, len, "%.15g", d);
    if (strtod (buf, NULL) != d)
        snprintf (buf, len, "%.17g", d);
}

int swf_write_record (FILE *f, const struct swf_record *r)
{
    char cpu[32], mem[32];
    put_decimal (cpu, sizeof (cpu), r->cpu_avg);
    put_decimal (mem, sizeof (mem), r->mem_used);
    if (fprintf (f,
                 "%6" PRId64 " %9" PRId64 " %7" PRId64 " %7" PRId64 " %5" PRId64
                 " %7s %5s %5" PRId64 " %7" PRId64 " %5" PRId64 " %2" PRId64 " %4" PRId64
                 " %4" PRId64 " %5" PRId64 " %3" PRId64 " %3" PRId64 " %6" PRId64 " %6" PRId64 "\n",
                 r->job, r->submit, r->wait, r->run, r->procs_alloc, cpu, mem, r->procs_req,
                 r->time_req, r->mem_req, r->status, r->user, r->group, r->exec, r->queue,
                 r->partition, r->preceding, r->think) < 0)
        return -1;
    return 0;
}

struct swf_reader {
    gzFile gz;
    char *path;
    int line;
    bool in_header;
    char *header;
    size_t hlen, hcap;
};

void swf_reader_close (struct swf_reader *r)
{
    if (!r)
        return;
    int saved = errno;
    if (r->gz)
        (void)gzclose (r->gz);
    free (r->path);
    free (r->header);
    free (r);
    errno = saved;
}

struct swf_reader *swf_reader_open (const char *path, struct herror *err)
{
    struct swf_reader *r = calloc (1, sizeof (*r));
    if (!r || !(r->path = strdup (path)) || !(r->header = calloc (1, 1))) {
        swf_reader_close (r);
        errno = ENOMEM;
        herror_set (err, "%s: out of memory", path);
        return NULL;
    }
    r->in_header = true;
    r->hcap = 1;
    errno = 0;
    if (!(r->gz = gzopen (path, "rb"))) {
        int e = errno ? errno : ENOMEM;
        herror_set (err, "%s: %s", path, strerror (e));
        swf_reader_close (r);
        errno = e;
        return NULL;
    }
    /* The archive's logs are a few MB: a larger buffer halves the calls. */
    (void)gzbuffer (r->gz, 256 * 1024);
    return r;
}

static int keep_header_line (struct swf_reader *r, const char *line, size_t len)
{
    if (r->hlen + len + 1 > r->hcap) {
        size_t cap = 2 * (r->hlen + len + 1);
        char *h = realloc (r->header, cap);
        if (!h) {
            errno = ENOMEM;
            return -1;
        }
        r->header = h;
        r->hcap = cap;
    }
    memcpy (r->header + r->hlen, line, len);
    r->hlen += len;
    r->header[r->hlen] = '\0';
    return 0;
}

/* Read one line into BUF; 1, 0 at the end, -1 (EIO/EINVAL + ERR). */
static int read_line (struct swf_reader *r, char *buf, size_t size, struct herror *err)
{
    if (!gzgets (r->gz, buf, (int)size)) {
        int zerr;
        const char *msg = gzerror (r->gz, &zerr);
        if (zerr != Z_OK && zerr != Z_BUF_ERROR) {
            errno = EIO;
            return herror_set (err, "%s: line %d: %s", r->path, r->line + 1,
                               zerr == Z_ERRNO ? strerror (errno) : msg);
        }
        if (!gzeof (r->gz)) {
            errno = EIO;
            return herror_set (err, "%s: line %d: read error", r->path, r->line + 1);
        }
        return 0;
    }
    r->line++;
    size_t len = strlen (buf);
    if (len == size - 1 && buf[len - 1] != '\n' && !gzeof (r->gz)) {
        errno = EINVAL;
        return herror_set (err, "%s:%d: longer than %d bytes", r->path, r->line, SWF_LINE_MAX - 1);
    }
    return 1;
}

int swf_reader_next (struct swf_reader *r, struct swf_record *rec, struct herror *err)
{
    char buf[SWF_LINE_MAX];
    int rc;
    while ((rc = read_line (r, buf, sizeof (buf), err)) == 1) {
        int got = swf_parse_line (buf, rec, err);
        if (got < 0) {
            herror_prefix (err, "%s:%d", r->path, r->line);
            return -1;
        }
        if (got == 1) {
            r->in_header = false;
            return 1;
        }
        const char *p = buf + strspn (buf, " \t");
        if (r->in_header && *p == ';' && keep_header_line (r, p, strlen (p)) < 0)
            return herror_set (err, "%s: out of memory", r->path);
    }
    return rc;
}

int swf_reader_line (const struct swf_reader *r)
{
    return r->line;
}

const char *swf_reader_header (const struct swf_reader *r)
{
    return r->header;
}
