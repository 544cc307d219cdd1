/* probe.c - link probes: the common part and the replay backend (probe.h) */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/probe_int.h"

/* ------------------------------------------------------------- pure parts */

static int cmp_double (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double probe_median (double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort (v, n, sizeof (*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int probe_params_check (const struct probe_params *p, struct herror *err)
{
    errno = EINVAL;
    if (p->pings < 1 || p->pings > 100000)
        return herror_set (err, "probe: pings %d is not in 1..100000", p->pings);
    if (p->streams < 1 || p->streams > 100000)
        return herror_set (err, "probe: streams %d is not in 1..100000", p->streams);
    if (p->ping_size < 16 || p->ping_size > PROBE_MAX_SIZE)
        return herror_set (err, "probe: ping_size %zu is not in 16..%u", p->ping_size,
                           PROBE_MAX_SIZE);
    if (p->stream_size < 16 || p->stream_size > PROBE_MAX_SIZE)
        return herror_set (err, "probe: stream_size %zu is not in 16..%u", p->stream_size,
                           PROBE_MAX_SIZE);
    if (!(p->timeout > 0 && p->timeout <= 3600))
        return herror_set (err, "probe: timeout %g is not in (0, 3600] seconds", p->timeout);
    errno = 0;
    return 0;
}

char *probe_hex_encode (const void *buf, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *b = buf;
    char *s = malloc (2 * len + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        s[2 * i] = digits[b[i] >> 4];
        s[2 * i + 1] = digits[b[i] & 15];
    }
    s[2 * len] = '\0';
    return s;
}

static int hexval (int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower (c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int probe_hex_decode (const char *hex, void *out, size_t size)
{
    size_t n = strlen (hex);
    unsigned char *o = out;
    if (n == 0 || n % 2 || n / 2 > size) {
        errno = EINVAL;
        return -1;
    }
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval ((unsigned char)hex[2 * i]), lo = hexval ((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            errno = EINVAL;
            return -1;
        }
        o[i] = (unsigned char)(hi << 4 | lo);
    }
    return (int)(n / 2);
}

/* ---------------------------------------------------------- replay files */

struct replay_link {
    char *a, *b; /* "*" matches any node */
    struct probe_result r;
};

struct probe_replay {
    struct replay_link *v;
    size_t n;
};

void probe_replay_destroy (struct probe_replay *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free (r->v[i].a);
        free (r->v[i].b);
    }
    free (r->v);
    free (r);
}

static int parse_line (struct probe_replay *r, char *line, const char *file, int lineno,
                       struct herror *err)
{
    char *hash = strchr (line, '#');
    if (hash)
        *hash = '\0';
    char *save, *f[5];
    int nf = 0;
    for (char *t = strtok_r (line, " \t\r", &save); t; t = strtok_r (NULL, " \t\r", &save))
        if (nf < 5)
            f[nf++] = t;
        else
            nf++;
    if (nf == 0)
        return 0;
    errno = EINVAL;
    if (nf != 4)
        return herror_set (err,
                           "%s:%d: expected NODE_A NODE_B LATENCY_US BANDWIDTH_MBPS, got %d "
                           "fields",
                           file, lineno, nf);
    char *end;
    double lat = strtod (f[2], &end);
    /* finite: the result goes on the wire as a JSON number, and JSON has
     * no infinity ("inf", "1e999") */
    if (*end || !(lat > 0) || !isfinite (lat))
        return herror_set (err, "%s:%d: latency \"%s\" is not a positive number of µs", file,
                           lineno, f[2]);
    double bw = strtod (f[3], &end);
    if (*end || !(bw > 0) || !isfinite (bw))
        return herror_set (err, "%s:%d: bandwidth \"%s\" is not a positive number of MB/s", file,
                           lineno, f[3]);
    if (strcmp (f[0], "*") == 0 && strcmp (f[1], "*") != 0)
        return herror_set (err, "%s:%d: \"*\" as the first node needs \"*\" as the second", file,
                           lineno);
    struct replay_link *v = realloc (r->v, (r->n + 1) * sizeof (*v));
    if (!v)
        return herror_set (err, "out of memory");
    r->v = v;
    struct replay_link *l = &v[r->n];
    l->a = strdup (f[0]);
    l->b = strdup (f[1]);
    l->r.latency_us = lat;
    l->r.bandwidth_mbps = bw;
    if (!l->a || !l->b) {
        free (l->a);
        free (l->b);
        errno = ENOMEM;
        return herror_set (err, "out of memory");
    }
    r->n++;
    errno = 0;
    return 0;
}

struct probe_replay *probe_replay_parse (const char *text, const char *file, struct herror *err)
{
    struct probe_replay *r = calloc (1, sizeof (*r));
    char *copy = strdup (text);
    if (!r || !copy) {
        free (r);
        free (copy);
        errno = ENOMEM;
        herror_set (err, "out of memory");
        return NULL;
    }
    int lineno = 1;
    for (char *line = copy, *next; line; line = next, lineno++) {
        next = strchr (line, '\n');
        if (next)
            *next++ = '\0';
        if (parse_line (r, line, file, lineno, err) < 0) {
            int e = errno;
            free (copy);
            probe_replay_destroy (r);
            errno = e;
            return NULL;
        }
    }
    free (copy);
    return r;
}

struct probe_replay *probe_replay_load (const char *file, struct herror *err)
{
    FILE *f = fopen (file, "r");
    if (!f) {
        herror_set (err, "cannot open probe replay file %s: %s", file, strerror (errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    char buf[4096];
    while ((n = fread (buf, 1, sizeof (buf), f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *t = realloc (text, cap);
            if (!t) {
                free (text);
                fclose (f);
                errno = ENOMEM;
                herror_set (err, "out of memory");
                return NULL;
            }
            text = t;
        }
        memcpy (text + len, buf, n);
        len += n;
    }
    int bad = ferror (f);
    fclose (f);
    if (bad) {
        free (text);
        errno = EIO;
        herror_set (err, "cannot read probe replay file %s", file);
        return NULL;
    }
    if (!text && !(text = strdup ("")))
        return NULL;
    text[len] = '\0';
    struct probe_replay *r = probe_replay_parse (text, file, err);
    free (text);
    return r;
}

/* The most specific line wins: "a b" (either order), then "a *" or
 * "b *", then "* *". */
int probe_replay_lookup (const struct probe_replay *r, const char *a, const char *b,
                         struct probe_result *res)
{
    const struct replay_link *best = NULL;
    int best_rank = 0;
    for (size_t i = 0; i < r->n; i++) {
        const struct replay_link *l = &r->v[i];
        int rank = 0;
        if ((strcmp (l->a, a) == 0 && strcmp (l->b, b) == 0) ||
            (strcmp (l->a, b) == 0 && strcmp (l->b, a) == 0))
            rank = 3;
        else if (strcmp (l->b, "*") == 0 && (strcmp (l->a, a) == 0 || strcmp (l->a, b) == 0))
            rank = 2;
        else if (strcmp (l->a, "*") == 0)
            rank = 1;
        if (rank > best_rank) {
            best = l;
            best_rank = rank;
        }
    }
    if (!best) {
        errno = ENOENT;
        return -1;
    }
    *res = best->r;
    return 0;
}

struct replay_ep {
    struct probe_replay *r;
    char *self;
};

static int replay_initiate (struct probe_ep *ep, const char *peer_node, const char *peer_name,
                            const struct probe_params *p, struct probe_result *res,
                            struct herror *err)
{
    struct replay_ep *re = ep->impl;
    if (probe_replay_lookup (re->r, re->self, peer_node, res) < 0)
        return herror_set (err, "probe replay: no link %s %s in the file", re->self, peer_node);
    return 0;
}

/* The replayed initiator answers alone: nothing to do on this side. */
static int replay_respond (struct probe_ep *ep, const char *peer_node, const char *peer_name,
                           const struct probe_params *p, struct herror *err)
{
    return 0;
}

static void replay_close (struct probe_ep *ep)
{
    struct replay_ep *re = ep->impl;
    if (!re)
        return;
    probe_replay_destroy (re->r);
    free (re->self);
    free (re);
}

static const struct probe_ops replay_ops = {replay_initiate, replay_respond, replay_close};

struct probe_ep *probe_open_replay (const char *file, const char *self, struct herror *err)
{
    struct probe_ep *ep = calloc (1, sizeof (*ep));
    struct replay_ep *re = calloc (1, sizeof (*re));
    if (!ep || !re || !(re->self = strdup (self)) || asprintf (&ep->name, "replay:%s", self) < 0) {
        if (re)
            free (re->self);
        free (re);
        free (ep);
        errno = ENOMEM;
        herror_set (err, "out of memory");
        return NULL;
    }
    ep->ops = &replay_ops;
    ep->impl = re;
    if (!(re->r = probe_replay_load (file, err))) {
        probe_close (ep);
        return NULL;
    }
    snprintf (ep->describe, sizeof (ep->describe), "replay %s", file);
    return ep;
}

/* ------------------------------------------------------------ dispatch */

struct probe_ep *probe_open_fabric (const char *provider, const char *src_addr, struct herror *err)
{
    struct probe_ep *ep = calloc (1, sizeof (*ep));
    if (!ep) {
        herror_set (err, "out of memory");
        return NULL;
    }
    if (probe_fabric_open (ep, provider && provider[0] ? provider : NULL, src_addr, err) < 0) {
        int e = errno;
        free (ep);
        errno = e;
        return NULL;
    }
    return ep;
}

void probe_close (struct probe_ep *ep)
{
    if (!ep)
        return;
    if (ep->ops)
        ep->ops->close (ep);
    free (ep->name);
    free (ep);
}

const char *probe_name (const struct probe_ep *ep)
{
    return ep->name;
}

const char *probe_describe (const struct probe_ep *ep)
{
    return ep->describe;
}

int probe_initiate (struct probe_ep *ep, const char *peer_node, const char *peer_name,
                    const struct probe_params *params, struct probe_result *res, struct herror *err)
{
    if (probe_params_check (params, err) < 0)
        return -1;
    return ep->ops->initiate (ep, peer_node, peer_name, params, res, err);
}

int probe_respond (struct probe_ep *ep, const char *peer_node, const char *peer_name,
                   const struct probe_params *params, struct herror *err)
{
    if (probe_params_check (params, err) < 0)
        return -1;
    return ep->ops->respond (ep, peer_node, peer_name, params, err);
}
