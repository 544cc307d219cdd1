/* mpibench.c - options, iteration counts and data patterns of huddle's MPI
 * benchmarks (see mpibench.h) */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/pbs_resources.h"

#include "mpibench.h"

static int einval (void)
{
    errno = EINVAL;
    return -1;
}

static int parse_long (const char *opt, const char *s, long min, long max, long *out,
                       struct herror *err)
{
    char *end;
    errno = 0;
    long v = strtol (s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        herror_set (err, "option %s \"%s\": want a whole number from %ld to %ld", opt, s, min, max);
        return einval();
    }
    *out = v;
    return 0;
}

static int parse_size (const char *opt, const char *s, uint64_t *out, struct herror *err)
{
    uint64_t v;
    if (pbs_size_parse (s, &v, err) < 0) {
        herror_prefix (err, "option %s \"%s\"", opt, s);
        return -1;
    }
    if (v == 0 || v > MPIBENCH_MAX_SIZE) {
        herror_set (err, "option %s \"%s\": want a size from 1 byte to 1gb", opt, s);
        return einval();
    }
    *out = v;
    return 0;
}

static int parse_seconds (const char *opt, const char *s, double *out, struct herror *err)
{
    char *end;
    errno = 0;
    double v = strtod (s, &end);
    if (errno || end == s || *end || !(v > 0) || v > 86400) {
        herror_set (err, "option %s \"%s\": want seconds, more than 0 and at most 86400", opt, s);
        return einval();
    }
    *out = v;
    return 0;
}

int mpibench_parse_args (struct mpibench_opts *o, int argc, char *const argv[], struct herror *err)
{
    static const struct option longopts[] = {
        {"min-size", required_argument, NULL, 'm'},
        {"max-size", required_argument, NULL, 'M'},
        {"iters", required_argument, NULL, 'i'},
        {"warmup", required_argument, NULL, 'w'},
        {"time-limit", required_argument, NULL, 't'},
        {"corrupt", required_argument, NULL, 'c'},
        {"op", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct mpibench_opts n = *o;
    long v;
    int c, rc = 0;

    /* getopt keeps its place in globals: start afresh and let no message
     * out (the caller prints err). */
    optind = 0;
    opterr = 0;
    while (rc == 0 && (c = getopt_long (argc, argv, ":h", longopts, NULL)) != -1) {
        const char *name = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
        switch (c) {
        case 'm':
            rc = parse_size ("--min-size", optarg, &n.min_size, err);
            break;
        case 'M':
            rc = parse_size ("--max-size", optarg, &n.max_size, err);
            break;
        case 'i':
            if ((rc = parse_long ("--iters", optarg, 1, 1000000000, &v, err)) == 0)
                n.iters = (int)v;
            break;
        case 'w':
            if ((rc = parse_long ("--warmup", optarg, 0, 1000000, &v, err)) == 0)
                n.warmup = (int)v;
            break;
        case 't':
            rc = parse_seconds ("--time-limit", optarg, &n.time_limit, err);
            break;
        case 'c':
            if ((rc = parse_long ("--corrupt", optarg, 0, 1 << 30, &v, err)) == 0)
                n.corrupt_rank = (int)v;
            break;
        case 'o':
            n.op = optarg;
            break;
        case 'h':
            return 1;
        case ':':
            herror_set (err, "option %s needs a value", name);
            return einval();
        default:
            herror_set (err, "unknown option %s (try --help)", name);
            return einval();
        }
    }
    if (rc < 0)
        return -1;
    if (optind < argc) {
        herror_set (err, "unexpected argument \"%s\" (try --help)", argv[optind]);
        return einval();
    }
    if (n.min_size > n.max_size) {
        herror_set (err, "--min-size %llu is more than --max-size %llu",
                    (unsigned long long)n.min_size, (unsigned long long)n.max_size);
        return einval();
    }
    uint64_t a = n.size_align ? n.size_align : 1;
    if (n.min_size % a || n.max_size % a) {
        herror_set (err,
                    "sizes must be multiples of %llu bytes (the element size): --min-size "
                    "%llu, --max-size %llu",
                    (unsigned long long)a, (unsigned long long)n.min_size,
                    (unsigned long long)n.max_size);
        return einval();
    }
    if (n.warmup == 0 && n.iters == 0) {
        herror_set (err, "--warmup 0 needs --iters: the warm-up is what sizes the iteration "
                         "count");
        return einval();
    }
    *o = n;
    return 0;
}

int mpibench_sizes (const struct mpibench_opts *o, uint64_t *sizes, int n)
{
    int k = 0;
    for (uint64_t s = o->min_size;; s *= 2) {
        if (s > o->max_size)
            s = o->max_size;
        if (k < n)
            sizes[k] = s;
        k++;
        if (s == o->max_size)
            break;
    }
    return k;
}

int mpibench_iterations (const struct mpibench_opts *o, int nmeasures, double sec_per_iter)
{
    if (o->iters > 0)
        return o->iters;
    double share = o->time_limit / (nmeasures > 0 ? nmeasures : 1);
    if (!(sec_per_iter > 0))
        return MPIBENCH_MAX_ITERS;
    double fit = floor (share / sec_per_iter);
    if (fit < MPIBENCH_MIN_ITERS)
        return MPIBENCH_MIN_ITERS;
    return fit > MPIBENCH_MAX_ITERS ? MPIBENCH_MAX_ITERS : (int)fit;
}

/* The patterns: cheap integer hashes of (sender, receiver, index), odd
 * multipliers so that neighbouring indices and ranks differ in many bits. */
static unsigned char pingpong_byte (size_t i, int from)
{
    uint32_t h = (uint32_t)i * 2654435761u + (uint32_t)from * 40503u + 0x9e37u;
    return (unsigned char)(h >> 13);
}

static uint32_t allreduce_word (size_t j)
{
    return 1u + (uint32_t)(j % 251);
}

static uint32_t alltoall_word (int src, int dst, size_t j)
{
    uint32_t h = (uint32_t)src * 2654435761u ^ (uint32_t)dst * 2246822519u;
    return h + (uint32_t)j * 3266489917u + 1u;
}

void mpibench_pingpong_fill (unsigned char *buf, size_t n, int from)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = pingpong_byte (i, from);
}

void mpibench_pingpong_poison (unsigned char *buf, size_t n, int from)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)~pingpong_byte (i, from);
}

int64_t mpibench_pingpong_check (const unsigned char *buf, size_t n, int from)
{
    for (size_t i = 0; i < n; i++)
        if (buf[i] != pingpong_byte (i, from))
            return (int64_t)i;
    return -1;
}

void mpibench_allreduce_fill (uint32_t *in, size_t count, int rank)
{
    for (size_t j = 0; j < count; j++)
        in[j] = (uint32_t)(rank + 1) * allreduce_word (j);
}

/* The sum over ranks 0..nranks-1 of (rank + 1) * w, modulo 2^32 like the
 * uint32 additions MPI_SUM makes. */
static uint32_t allreduce_sum (int nranks, size_t j)
{
    uint64_t n = (uint64_t)nranks;
    return (uint32_t)(n * (n + 1) / 2) * allreduce_word (j);
}

void mpibench_allreduce_poison (uint32_t *out, size_t count, int nranks)
{
    for (size_t j = 0; j < count; j++)
        out[j] = ~allreduce_sum (nranks, j);
}

int64_t mpibench_allreduce_check (const uint32_t *out, size_t count, int nranks)
{
    for (size_t j = 0; j < count; j++)
        if (out[j] != allreduce_sum (nranks, j))
            return (int64_t)j;
    return -1;
}

void mpibench_alltoall_fill (uint32_t *send, size_t count, int rank, int nranks)
{
    for (int d = 0; d < nranks; d++)
        for (size_t j = 0; j < count; j++)
            send[(size_t)d * count + j] = alltoall_word (rank, d, j);
}

void mpibench_alltoall_poison (uint32_t *recv, size_t count, int rank, int nranks)
{
    for (int s = 0; s < nranks; s++)
        for (size_t j = 0; j < count; j++)
            recv[(size_t)s * count + j] = ~alltoall_word (s, rank, j);
}

int64_t mpibench_alltoall_check (const uint32_t *recv, size_t count, int rank, int nranks)
{
    for (int s = 0; s < nranks; s++)
        for (size_t j = 0; j < count; j++)
            if (recv[(size_t)s * count + j] != alltoall_word (s, rank, j))
                return (int64_t)((size_t)s * count + j);
    return -1;
}

void mpibench_corrupt (void *buf, size_t n)
{
    if (n > 0)
        ((unsigned char *)buf)[n / 2] ^= 0xff;
}
