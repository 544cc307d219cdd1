/* hostlist.c - lists of host names in Slurm's range syntax (hostlist.h) */
#include "common/hostlist.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Numbers in brackets: at most this many digits (fits in 64 bits). */
#define HL_MAX_DIGITS 18

struct hostlist {
    char **names;
    size_t count, alloc;
};

struct hostlist *hostlist_create (void)
{
    struct hostlist *hl = calloc (1, sizeof (*hl));
    if (!hl)
        errno = ENOMEM;
    return hl;
}

void hostlist_destroy (struct hostlist *hl)
{
    int saved = errno;
    if (hl) {
        for (size_t i = 0; i < hl->count; i++)
            free (hl->names[i]);
        free (hl->names);
        free (hl);
    }
    errno = saved;
}

size_t hostlist_count (const struct hostlist *hl)
{
    return hl ? hl->count : 0;
}

const char *hostlist_nth (const struct hostlist *hl, size_t i)
{
    return hl && i < hl->count ? hl->names[i] : NULL;
}

static int append_n (struct hostlist *hl, const char *name, size_t len)
{
    if (len == 0 || len > HOSTLIST_MAX_NAME) {
        errno = EINVAL;
        return -1;
    }
    if (hl->count >= HOSTLIST_MAX_HOSTS) {
        errno = E2BIG;
        return -1;
    }
    if (hl->count == hl->alloc) {
        size_t n = hl->alloc ? hl->alloc * 2 : 16;
        char **p = realloc (hl->names, n * sizeof (*p));
        if (!p)
            return -1;
        hl->names = p;
        hl->alloc = n;
    }
    if (!(hl->names[hl->count] = strndup (name, len)))
        return -1;
    hl->count++;
    return 0;
}

int hostlist_append (struct hostlist *hl, const char *name)
{
    return append_n (hl, name, strlen (name));
}

/* ------------------------------------------------------------- decoding */

/* A bound "007": its value and its digit count; -1 when not all digits. */
static int parse_bound (const char *s, size_t len, unsigned long long *val)
{
    if (len == 0 || len > HL_MAX_DIGITS)
        return -1;
    *val = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit ((unsigned char)s[i]))
            return -1;
        *val = *val * 10 + (unsigned)(s[i] - '0');
    }
    return 0;
}

static int item_error (struct herror *err, const char *item, size_t len, const char *fmt,
                       const char *detail)
{
    char show[HERROR_SHOW_SIZE], msg[HERROR_TEXT_MAX];
    snprintf (msg, sizeof (msg), fmt, detail);
    herror_set (err, "\"%s\": %s", herror_show (item, len, show, sizeof (show)), msg);
    errno = EINVAL;
    return -1;
}

/* Expand one range "lo" or "lo-hi" of ITEM into prefix NUM suffix names. */
static int expand_range (struct hostlist *hl, const char *item, size_t item_len, const char *pre,
                         size_t pre_len, const char *r, size_t r_len, const char *suf,
                         size_t suf_len, struct herror *err)
{
    char show[HERROR_SHOW_SIZE];
    const char *dash = memchr (r, '-', r_len);
    size_t lo_len = dash ? (size_t)(dash - r) : r_len;
    unsigned long long lo, hi;

    herror_show (r, r_len, show, sizeof (show));
    if (r_len == 0)
        return item_error (err, item, item_len, "empty range%s", "");
    if (parse_bound (r, lo_len, &lo) < 0 ||
        (dash ? parse_bound (dash + 1, r_len - lo_len - 1, &hi) : (hi = lo, 0)) < 0)
        return item_error (err, item_len ? item : "", item_len,
                           "range \"%s\" is not a number or NUMBER-NUMBER", show);
    if (lo > hi)
        return item_error (err, item, item_len, "range %s goes backwards", show);
    if (hi - lo >= HOSTLIST_MAX_HOSTS - hl->count) {
        herror_set (err, "more than %d host names", HOSTLIST_MAX_HOSTS);
        errno = E2BIG;
        return -1;
    }
    for (unsigned long long n = lo; n <= hi; n++) {
        char name[HOSTLIST_MAX_NAME + 1];
        int len = snprintf (name, sizeof (name), "%.*s%0*llu%.*s", (int)pre_len, pre, (int)lo_len,
                            n, (int)suf_len, suf);
        if (len < 0 || (size_t)len > HOSTLIST_MAX_NAME)
            return item_error (err, item, item_len, "names longer than %s bytes", "255");
        if (append_n (hl, name, (size_t)len) < 0)
            return herror_set (err, "out of memory");
    }
    return 0;
}

/* One top-level item: "name", or "prefix[ranges]suffix". */
static int decode_item (struct hostlist *hl, const char *item, size_t len, struct herror *err)
{
    const char *open = memchr (item, '[', len);
    const char *close = memchr (item, ']', len);

    if (len == 0)
        return item_error (err, "", 0, "empty host name%s", "");
    if (!open) {
        if (close)
            return item_error (err, item, len, "\"]\" without \"[\"%s", "");
        if (len > HOSTLIST_MAX_NAME)
            return item_error (err, item, len, "name longer than %s bytes", "255");
        if (append_n (hl, item, len) < 0)
            return herror_set (err, "%s", errno == E2BIG ? "too many host names" : "out of memory");
        return 0;
    }
    if (!close || close < open)
        return item_error (err, item, len, "\"[\" is not closed%s", "");
    if (memchr (open + 1, '[', (size_t)(close - open - 1)))
        return item_error (err, item, len, "brackets nest%s", "");
    const char *suf = close + 1;
    size_t suf_len = len - (size_t)(suf - item);
    if (memchr (suf, '[', suf_len) || memchr (suf, ']', suf_len))
        return item_error (err, item, len, "only one bracket per name is supported%s", "");
    const char *r = open + 1;
    while (r <= close) {
        const char *end = memchr (r, ',', (size_t)(close - r));
        if (!end)
            end = close;
        if (expand_range (hl, item, len, item, (size_t)(open - item), r, (size_t)(end - r), suf,
                          suf_len, err) < 0)
            return -1;
        r = end + 1;
    }
    return 0;
}

struct hostlist *hostlist_decode (const char *str, struct herror *err)
{
    struct hostlist *hl = hostlist_create();
    const char *p = str;

    if (!hl) {
        herror_set (err, "out of memory");
        return NULL;
    }
    while (*str && *p) {
        /* An item ends at the first comma outside brackets. */
        const char *q = p;
        int depth = 0;
        while (*q && (*q != ',' || depth > 0)) {
            if (*q == '[')
                depth++;
            else if (*q == ']')
                depth--;
            q++;
        }
        if (decode_item (hl, p, (size_t)(q - p), err) < 0) {
            hostlist_destroy (hl);
            return NULL;
        }
        if (*q == ',' && q[1] == '\0') {
            item_error (err, str, strlen (str), "ends with a comma%s", "");
            hostlist_destroy (hl);
            return NULL;
        }
        p = *q ? q + 1 : q;
    }
    return hl;
}

/* ------------------------------------------------------------- encoding */

/* NAME as prefix + trailing number: the prefix length, the number and its
 * digit count; false when NAME does not end in (at most HL_MAX_DIGITS)
 * digits. */
static bool split_name (const char *name, size_t *pre_len, unsigned long long *num, int *width)
{
    size_t len = strlen (name), i = len;
    while (i > 0 && isdigit ((unsigned char)name[i - 1]))
        i--;
    if (i == len || len - i > HL_MAX_DIGITS)
        return false;
    *pre_len = i;
    *width = (int)(len - i);
    parse_bound (name + i, len - i, num);
    return true;
}

/* Whether N printed with the zero padding of width W is DIGITS. */
static bool same_digits (unsigned long long n, int w, const char *digits)
{
    char buf[HL_MAX_DIGITS + 2];
    snprintf (buf, sizeof (buf), "%0*llu", w, n);
    return strcmp (buf, digits) == 0;
}

struct sbuf {
    char *s;
    size_t len, alloc;
    bool failed;
};

static void sb_add (struct sbuf *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void sb_add (struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    if (b->failed)
        return;
    va_start (ap, fmt);
    int n = vsnprintf (NULL, 0, fmt, ap);
    va_end (ap);
    if (b->len + (size_t)n + 1 > b->alloc) {
        size_t a = (b->alloc + (size_t)n + 1) * 2;
        char *p = realloc (b->s, a);
        if (!p) {
            b->failed = true;
            return;
        }
        b->s = p;
        b->alloc = a;
    }
    va_start (ap, fmt);
    vsnprintf (b->s + b->len, b->alloc - b->len, fmt, ap);
    va_end (ap);
    b->len += (size_t)n;
}

/* From name I on: the end of the run of names with the same prefix that
 * continue lo, lo+1, ... in the padding of lo's width. */
static size_t run_end (const struct hostlist *hl, size_t i, size_t pre_len, unsigned long long lo,
                       int w)
{
    size_t j = i + 1;
    while (j < hl->count) {
        const char *n = hl->names[j];
        if (strncmp (n, hl->names[i], pre_len) != 0 || strlen (n) <= pre_len ||
            !same_digits (lo + (j - i), w, n + pre_len))
            break;
        j++;
    }
    return j;
}

char *hostlist_encode (const struct hostlist *hl)
{
    struct sbuf b = {NULL, 0, 0, false};
    size_t i = 0;

    sb_add (&b, "%s", "");
    while (i < hl->count) {
        const char *name = hl->names[i];
        size_t pre_len;
        unsigned long long lo;
        int w;
        if (i > 0)
            sb_add (&b, ",");
        if (!split_name (name, &pre_len, &lo, &w)) {
            sb_add (&b, "%s", name);
            i++;
            continue;
        }
        /* Gather the runs that share this prefix into one bracket. */
        size_t start = i, runs = 0;
        struct sbuf r = {NULL, 0, 0, false};
        while (i < hl->count) {
            size_t p2;
            unsigned long long n;
            int w2;
            if (!split_name (hl->names[i], &p2, &n, &w2) || p2 != pre_len ||
                strncmp (hl->names[i], name, pre_len) != 0)
                break;
            size_t j = run_end (hl, i, pre_len, n, w2);
            if (j - i == 1)
                sb_add (&r, "%s%0*llu", runs ? "," : "", w2, n);
            else
                sb_add (&r, "%s%0*llu-%0*llu", runs ? "," : "", w2, n, w2,
                        n + (unsigned long long)(j - i - 1));
            runs++;
            i = j;
        }
        if (runs == 1 && i - start == 1)
            sb_add (&b, "%s", name);
        else
            sb_add (&b, "%.*s[%s]", (int)pre_len, name, r.s ? r.s : "");
        b.failed |= r.failed;
        free (r.s);
    }
    if (b.failed) {
        free (b.s);
        errno = ENOMEM;
        return NULL;
    }
    return b.s;
}
