/* mpibench.h - what huddle's MPI benchmarks share: options, iteration
 * counts, and the data patterns that make every result checkable
 *
 * huddle-pingpong and huddle-collective (docs/mpi-benchmarks.md) take the same options
 * and size their runs the same way; this part has no MPI in it, so that it
 * is unit-tested without mpirun (tests/unit/test_mpibench.c).
 *
 * Iterations: with --iters N every size runs N timed iterations.  Without
 * it, the warm-up iterations of each size are timed and the size gets as
 * many iterations as fit in its share of --time-limit (the limit divided by
 * the number of measurements), between MPIBENCH_MIN_ITERS and
 * MPIBENCH_MAX_ITERS: a run over 1 B ... 4 MiB on a slow link stays
 * bounded, a fast one repeats small sizes often enough to be stable.
 *
 * Data: every byte a benchmark moves is a known function of who sent it,
 * to whom and where it sits, and receive buffers are first filled with the
 * complement of what should arrive ("poisoned"), so that a transport that
 * delivers nothing, the wrong block or a flipped bit fails the check.  The
 * *_check functions return the index of the first wrong element, or -1.
 *
 * Errors: mpibench_parse_args() returns -1 with errno = EINVAL and a
 * sentence in err naming the option.  Nothing here prints or exits.
 */
#ifndef HUDDLE_MPIBENCH_H
#define HUDDLE_MPIBENCH_H

#include <stddef.h>
#include <stdint.h>

#include "common/herror.h"

#define MPIBENCH_MIN_ITERS 10
#define MPIBENCH_MAX_ITERS 10000
#define MPIBENCH_MAX_SIZE  (1u << 30) /* bytes in one message, --max-size */

struct mpibench_opts {
    uint64_t min_size;   /* --min-size, bytes */
    uint64_t max_size;   /* --max-size, bytes */
    int iters;           /* --iters; 0 = chosen per size (above) */
    int warmup;          /* --warmup: untimed iterations before each size */
    double time_limit;   /* --time-limit: seconds for all timed iterations */
    int corrupt_rank;    /* --corrupt (self-test): this rank alters what it
                          * sends, so that the check must fail; -1 = none */
    uint64_t size_align; /* sizes are multiples of this (element size) */
    const char *op;      /* --op NAME: only this operation (huddle-collective),
                          * pointing into argv; NULL = all */
};

/* The defaults both programs share; each gives its sizes and element size. */
#define MPIBENCH_DEFAULTS(min, max, align)                                                         \
    {                                                                                              \
        .min_size = (min), .max_size = (max), .iters = 0, .warmup = 10, .time_limit = 30,          \
        .corrupt_rank = -1, .size_align = (align), .op = NULL,                                     \
    }

/* Read the options (argv[0] is the program's name) into o, which holds the
 * program's defaults.  Sizes take the units of qsub's mem ("4mb", "64k",
 * "1048576"); min must not exceed max, and both are multiples of
 * o->size_align.  Returns 0, 1 when --help was asked for (nothing else is
 * read), or -1 (EINVAL, err set); o is unchanged on failure. */
int mpibench_parse_args (struct mpibench_opts *o, int argc, char *const argv[], struct herror *err);

/* The sizes measured: min_size, doubled until max_size (max_size itself is
 * always the last).  Fills at most n entries of sizes; returns how many
 * there are (call with n = 0 to count). */
int mpibench_sizes (const struct mpibench_opts *o, uint64_t *sizes, int n);

/* Timed iterations for one measurement out of nmeasures, the warm-up having
 * taken sec_per_iter seconds per iteration (see the header comment). */
int mpibench_iterations (const struct mpibench_opts *o, int nmeasures, double sec_per_iter);

/* Ping-pong messages: byte i of what rank `from` sends. */
void mpibench_pingpong_fill (unsigned char *buf, size_t n, int from);
void mpibench_pingpong_poison (unsigned char *buf, size_t n, int from);
int64_t mpibench_pingpong_check (const unsigned char *buf, size_t n, int from);

/* Allreduce (MPI_SUM of uint32 over nranks ranks, wrapping as unsigned
 * arithmetic does): what rank contributes, and the sum that must arrive. */
void mpibench_allreduce_fill (uint32_t *in, size_t count, int rank);
void mpibench_allreduce_poison (uint32_t *out, size_t count, int nranks);
int64_t mpibench_allreduce_check (const uint32_t *out, size_t count, int nranks);

/* Alltoall: count uint32 per peer; send holds nranks blocks (block d goes
 * to rank d), recv the nranks blocks that arrive (block s from rank s). */
void mpibench_alltoall_fill (uint32_t *send, size_t count, int rank, int nranks);
void mpibench_alltoall_poison (uint32_t *recv, size_t count, int rank, int nranks);
int64_t mpibench_alltoall_check (const uint32_t *recv, size_t count, int rank, int nranks);

/* The self-test's damage: flip the bits of the middle byte of buf. */
void mpibench_corrupt (void *buf, size_t n);

#endif
