/* idset.c - see idset.h */
#include "common/idset.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct idset {
    uint64_t *w;
    size_t nwords;
};

struct idset *idset_create (void)
{
    return calloc (1, sizeof (struct idset));
}

void idset_destroy (struct idset *s)
{
    if (!s)
        return;
    int saved = errno;
    free (s->w);
    free (s);
    errno = saved;
}

static int grow (struct idset *s, size_t nwords)
{
    if (nwords <= s->nwords)
        return 0;
    uint64_t *w = realloc (s->w, nwords * sizeof (*w));
    if (!w) {
        errno = ENOMEM;
        return -1;
    }
    memset (w + s->nwords, 0, (nwords - s->nwords) * sizeof (*w));
    s->w = w;
    s->nwords = nwords;
    return 0;
}

int idset_set (struct idset *s, unsigned id)
{
    if (!s || id > IDSET_MAX_ID) {
        errno = EINVAL;
        return -1;
    }
    if (grow (s, id / 64 + 1) < 0)
        return -1;
    s->w[id / 64] |= UINT64_C (1) << (id % 64);
    return 0;
}

int idset_clear (struct idset *s, unsigned id)
{
    if (!s || id > IDSET_MAX_ID) {
        errno = EINVAL;
        return -1;
    }
    if (id / 64 < s->nwords)
        s->w[id / 64] &= ~(UINT64_C (1) << (id % 64));
    return 0;
}

bool idset_test (const struct idset *s, unsigned id)
{
    return s && id / 64 < s->nwords && (s->w[id / 64] >> (id % 64)) & 1;
}

size_t idset_count (const struct idset *s)
{
    size_t n = 0;
    for (size_t i = 0; s && i < s->nwords; i++)
        n += (size_t)__builtin_popcountll (s->w[i]);
    return n;
}

/* The smallest id >= FROM, or -1. */
static int first_from (const struct idset *s, size_t from)
{
    size_t i = from / 64;
    if (!s || i >= s->nwords)
        return -1;
    uint64_t word = s->w[i] & (~UINT64_C (0) << (from % 64));
    while (word == 0) {
        if (++i >= s->nwords)
            return -1;
        word = s->w[i];
    }
    return (int)(i * 64 + (size_t)__builtin_ctzll (word));
}

int idset_first (const struct idset *s)
{
    return first_from (s, 0);
}

int idset_next (const struct idset *s, unsigned prev)
{
    return first_from (s, (size_t)prev + 1);
}

char *idset_encode (const struct idset *s)
{
    /* "1048575," is 8 bytes: at most 8 per id, and runs are shorter */
    size_t cap = 8 * idset_count (s) + 1, len = 0;
    char *buf = malloc (cap);
    if (!buf) {
        errno = ENOMEM;
        return NULL;
    }
    buf[0] = '\0';
    for (int id = idset_first (s); id >= 0;) {
        int last = id, next;
        while ((next = idset_next (s, (unsigned)last)) == last + 1)
            last = next;
        len += (size_t)snprintf (buf + len, cap - len, last > id ? "%s%d-%d" : "%s%d",
                                 len ? "," : "", id, last);
        id = next;
    }
    return buf;
}

/* One decimal id at *P (digits only), advancing *P.  -1 when malformed. */
static long parse_id (const char **p)
{
    const char *q = *p;
    long v = 0;
    if (*q < '0' || *q > '9')
        return -1;
    for (; *q >= '0' && *q <= '9'; q++) {
        v = v * 10 + (*q - '0');
        if (v > IDSET_MAX_ID)
            return -1;
    }
    *p = q;
    return v;
}

struct idset *idset_decode (const char *str)
{
    struct idset *s = str ? idset_create() : NULL;
    if (!s) {
        errno = str ? ENOMEM : EINVAL;
        return NULL;
    }
    const char *p = str;
    while (*p) {
        long lo = parse_id (&p), hi = lo;
        if (lo >= 0 && *p == '-') {
            p++;
            hi = parse_id (&p);
        }
        if (lo < 0 || hi < lo || (*p != ',' && *p != '\0') || (*p == ',' && p[1] == '\0'))
            goto inval;
        if (*p == ',')
            p++;
        if (grow (s, (size_t)hi / 64 + 1) < 0)
            goto fail;
        for (long id = lo; id <= hi; id++)
            s->w[id / 64] |= UINT64_C (1) << (id % 64);
    }
    return s;
inval:
    errno = EINVAL;
fail:
    idset_destroy (s);
    return NULL;
}

bool idset_equal (const struct idset *a, const struct idset *b)
{
    size_t n = a->nwords > b->nwords ? a->nwords : b->nwords;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = i < a->nwords ? a->w[i] : 0, y = i < b->nwords ? b->w[i] : 0;
        if (x != y)
            return false;
    }
    return true;
}
