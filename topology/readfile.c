/* readfile.c - a whole file into memory, bounded (readfile.h) */
#include "readfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Read a whole stream (regular file or pipe) into a NUL-terminated buffer. */
static char *slurp (FILE *f, long max, long *lenp)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc (cap + 1), *nbuf;

    while (buf) {
        len += fread (buf + len, 1, cap - len, f);
        if (ferror (f)) {
            free (buf);
            errno = EIO;
            return NULL;
        }
        if (len < cap)
            break;
        if (cap >= (size_t)max) {
            free (buf);
            errno = EFBIG;
            return NULL;
        }
        cap *= 2;
        if (!(nbuf = realloc (buf, cap + 1)))
            free (buf);
        buf = nbuf;
    }
    if (!buf) {
        errno = ENOMEM;
        return NULL;
    }
    buf[len] = '\0';
    *lenp = (long)len;
    return buf;
}

char *topo_read_file (const char *path, long max, const char *what, long *lenp, struct herror *err)
{
    struct stat st;
    FILE *f;
    char *buf;
    long len;

    if (stat (path, &st) < 0) {
        herror_set (err, "%s: %s", path, strerror (errno));
        return NULL;
    }
    if (S_ISDIR (st.st_mode)) {
        errno = EISDIR;
        herror_set (err, "%s: is a directory, not %s", path, what);
        return NULL;
    }
    if (!(f = fopen (path, "r"))) {
        herror_set (err, "%s: %s", path, strerror (errno));
        return NULL;
    }
    if (!(buf = slurp (f, max, &len))) {
        int e = errno;
        fclose (f);
        errno = e;
        if (e == EFBIG)
            herror_set (err, "%s: larger than %ld MiB, not %s", path, max >> 20, what);
        else
            herror_set (err, "%s: %s", path, strerror (e));
        return NULL;
    }
    fclose (f);
    *lenp = len;
    return buf;
}
