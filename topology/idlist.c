#include "idlist.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *idlist_format (const unsigned *ids, unsigned n)
{
    /* A range costs at most two 10-digit numbers, a dash and a comma. */
    size_t cap = (size_t)n * 23 + 1;
    char *buf = malloc (cap);
    size_t len = 0;
    unsigned i = 0;

    if (!buf)
        return NULL;
    buf[0] = '\0';
    while (i < n) {
        unsigned j = i;
        while (j + 1 < n && ids[j + 1] == ids[j] + 1)
            j++;
        if (j == i)
            len += snprintf (buf + len, cap - len, "%s%u", len ? "," : "", ids[i]);
        else
            len += snprintf (buf + len, cap - len, "%s%u-%u", len ? "," : "", ids[i], ids[j]);
        i = j + 1;
    }
    return buf;
}

static int parse_number (const char **p, unsigned limit, unsigned *out)
{
    const char *s = *p;
    unsigned long v = 0;

    if (*s < '0' || *s > '9')
        return -1;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (unsigned long)(*s - '0');
        if (v >= limit)
            return -1;
        s++;
    }
    *p = s;
    *out = (unsigned)v;
    return 0;
}

/* Walk the text once; when out is NULL only count. */
static int parse_pass (const char *text, unsigned limit, unsigned *out, unsigned *n)
{
    const char *p = text;
    unsigned count = 0;
    long last = -1;

    while (*p) {
        unsigned lo, hi;
        if (parse_number (&p, limit, &lo) < 0)
            return -1;
        hi = lo;
        if (*p == '-') {
            p++;
            if (parse_number (&p, limit, &hi) < 0 || hi < lo)
                return -1;
        }
        if ((long)lo <= last)
            return -1;
        for (unsigned v = lo; v <= hi; v++) {
            if (out)
                out[count] = v;
            count++;
        }
        last = hi;
        if (*p == ',') {
            p++;
            if (!*p)
                return -1;
        } else if (*p) {
            return -1;
        }
    }
    *n = count;
    return 0;
}

int idlist_parse (const char *text, unsigned limit, unsigned **ids, unsigned *n)
{
    unsigned count;
    unsigned *out = NULL;

    if (!text || parse_pass (text, limit, NULL, &count) < 0) {
        errno = EINVAL;
        return -1;
    }
    if (count > 0) {
        if (!(out = malloc (count * sizeof (*out))))
            return -1;
        parse_pass (text, limit, out, &count);
    }
    *ids = out;
    *n = count;
    return 0;
}

static int cmp_unsigned (const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

unsigned idlist_sort_unique (unsigned *ids, unsigned n)
{
    unsigned out = 0;

    if (n == 0)
        return 0;
    qsort (ids, n, sizeof (*ids), cmp_unsigned);
    for (unsigned i = 0; i < n; i++)
        if (out == 0 || ids[out - 1] != ids[i])
            ids[out++] = ids[i];
    return out;
}
