/* huddle-collective - MPI_Allreduce and MPI_Alltoall times, checked
 *
 *   mpirun huddle-bind huddle-collective [--min-size SIZE] [--max-size SIZE]
 *       [--iters N] [--warmup N] [--time-limit SEC] [--corrupt RANK]
 *
 * Every rank takes part.  Sizes are 4 B ... 1 MiB by default, doubling,
 * counted as the OSU micro-benchmarks count them: for allreduce the bytes
 * each rank contributes (uint32 elements, MPI_SUM), for alltoall the bytes
 * each rank sends to each other rank.
 *
 * Per operation and size: --warmup untimed calls, then the timed calls
 * (mpibench.h; the warm-up time is the slowest rank's, so that all ranks
 * agree on the count); each rank's time per call is reduced to the average,
 * minimum and maximum over ranks.  The data is a pattern of (rank, peer,
 * index) received into poisoned buffers, and every rank checks every
 * element the last timed call delivered: the sum for allreduce, each
 * peer's block for alltoall.  A broken transport fails the run.
 *
 * Output (rank 0, stdout): "#" lines, one line per operation and size,
 * "OP SIZE_BYTES AVG_US MIN_US MAX_US", then one line of JSON:
 *   {"benchmark":"collective","ranks":N,"nodes":K,"results":[{"op":"allreduce",
 *    "size":4,"avg_us":..,"min_us":..,"max_us":..,"iterations":..},..]}
 *
 * Exit status: 0; 1 when a result is wrong (stderr names the rank, the
 * operation, the size and the first wrong element; no summary is
 * printed); 2 for bad options.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpibench_run.h"

#define PROG "huddle-collective"

static const char usage[] =
    "Usage: mpirun [-np N] huddle-collective [OPTION]...\n"
    "MPI_Allreduce and MPI_Alltoall times over all ranks, results checked.\n"
    "\n" MPIBENCH_OPTIONS_HELP "  --op NAME          only allreduce, or only alltoall\n"
    "\n"
    "Sizes default to 4 bytes ... 1mb, multiples of 4 (uint32 elements): per rank\n"
    "for allreduce, per peer for alltoall.  One line per operation and size\n"
    "(op size_bytes avg_us min_us max_us), then a JSON summary.\n";

/* One operation: how to fill, poison, run and check it on count elements
 * (per rank for allreduce, per peer for alltoall). */
struct op {
    const char *name;
    bool per_peer; /* count is per peer: the result holds a block from each */
    void (*fill) (uint32_t *send, size_t count, int rank, int nranks);
    void (*poison) (uint32_t *recv, size_t count, int rank, int nranks);
    int64_t (*check) (const uint32_t *recv, size_t count, int rank, int nranks);
    void (*call) (const uint32_t *send, uint32_t *recv, size_t count);
};

static void allreduce_fill (uint32_t *send, size_t count, int rank, int nranks)
{
    mpibench_allreduce_fill (send, count, rank);
}

static void allreduce_poison (uint32_t *recv, size_t count, int rank, int nranks)
{
    mpibench_allreduce_poison (recv, count, nranks);
}

static int64_t allreduce_check (const uint32_t *recv, size_t count, int rank, int nranks)
{
    return mpibench_allreduce_check (recv, count, nranks);
}

static void allreduce_call (const uint32_t *send, uint32_t *recv, size_t count)
{
    MPI_Allreduce (send, recv, (int)count, MPI_UINT32_T, MPI_SUM, MPI_COMM_WORLD);
}

static void alltoall_call (const uint32_t *send, uint32_t *recv, size_t count)
{
    MPI_Alltoall (send, (int)count, MPI_UINT32_T, recv, (int)count, MPI_UINT32_T, MPI_COMM_WORLD);
}

static const struct op ops[] = {
    {"allreduce", false, allreduce_fill, allreduce_poison, allreduce_check, allreduce_call},
    {"alltoall", true, mpibench_alltoall_fill, mpibench_alltoall_poison, mpibench_alltoall_check,
     alltoall_call},
};
#define NOPS (int)(sizeof (ops) / sizeof (ops[0]))

/* Seconds per call over iters calls. */
static double time_calls (const struct op *op, const uint32_t *send, uint32_t *recv, size_t count,
                          int iters)
{
    if (iters <= 0)
        return 0;
    MPI_Barrier (MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (int i = 0; i < iters; i++)
        op->call (send, recv, count);
    return (MPI_Wtime() - t0) / iters;
}

struct timing {
    double avg, min, max; /* seconds per call over ranks; rank 0's copy */
    int iters;
};

/* One operation at one size; false when the result was wrong anywhere. */
static bool measure (const struct mpibench_opts *o, const struct mpibench_world *w,
                     const struct op *op, int nmeasures, uint32_t *send, uint32_t *recv,
                     size_t size, struct timing *t)
{
    size_t count = size / sizeof (uint32_t);
    op->fill (send, count, w->rank, w->nranks);
    if (o->corrupt_rank == w->rank)
        mpibench_corrupt (send, size);
    op->poison (recv, count, w->rank, w->nranks);
    double warm = time_calls (op, send, recv, count, o->warmup), slowest = 0;
    MPI_Allreduce (&warm, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    t->iters = mpibench_iterations (o, nmeasures, slowest);
    op->poison (recv, count, w->rank, w->nranks);
    double mine = time_calls (op, send, recv, count, t->iters), sum = 0;
    MPI_Reduce (&mine, &sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    MPI_Reduce (&mine, &t->min, 1, MPI_DOUBLE, MPI_MIN, 0, MPI_COMM_WORLD);
    MPI_Reduce (&mine, &t->max, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    t->avg = sum / w->nranks;
    int64_t bad = op->check (recv, count, w->rank, w->nranks);
    if (bad >= 0 && op->per_peer)
        fprintf (stderr,
                 PROG ": rank %d: %s of %zu bytes: element %" PRId64
                      " of the block from rank %" PRId64 " is wrong: the data arrived wrong\n",
                 w->rank, op->name, size, bad % (int64_t)count, bad / (int64_t)count);
    else if (bad >= 0)
        fprintf (stderr,
                 PROG ": rank %d: %s of %zu bytes: element %" PRId64
                      " of the result is wrong: the data arrived wrong\n",
                 w->rank, op->name, size, bad);
    return mpibench_all_ok (MPI_COMM_WORLD, bad < 0);
}

static void report (json_t *results, const char *op, uint64_t size, const struct timing *t)
{
    printf ("%s %" PRIu64 " %.3f %.3f %.3f\n", op, size, t->avg * 1e6, t->min * 1e6, t->max * 1e6);
    fflush (stdout);
    json_array_append_new (results, json_pack ("{s:s, s:I, s:f, s:f, s:f, s:i}", "op", op, "size",
                                               (json_int_t)size, "avg_us", t->avg * 1e6, "min_us",
                                               t->min * 1e6, "max_us", t->max * 1e6, "iterations",
                                               t->iters));
}

static int run (const struct mpibench_opts *o, const struct mpibench_world *w)
{
    struct mpibench_bufs b;
    json_t *results = json_array(); /* NULL: the summary says out of memory */
    int status = 0;

    /* Alltoall moves max_size to and from every rank. */
    mpibench_bufs_alloc (&b, o, w, PROG, (size_t)o->max_size * (size_t)w->nranks);
    if (w->rank == 0) {
        printf ("# " PROG ": %d rank%s on %d node%s\n", w->nranks, w->nranks == 1 ? "" : "s",
                w->nnodes, w->nnodes == 1 ? "" : "s");
        printf ("# op size_bytes avg_us min_us max_us\n");
    }
    int nops = o->op ? 1 : NOPS;
    for (int i = 0; i < NOPS && status == 0; i++) {
        if (o->op && strcmp (o->op, ops[i].name) != 0)
            continue;
        for (int k = 0; k < b.nsizes && status == 0; k++) {
            struct timing t = {0};
            if (!measure (o, w, &ops[i], nops * b.nsizes, b.send, b.recv, (size_t)b.sizes[k], &t))
                status = 1;
            else if (w->rank == 0)
                report (results, ops[i].name, b.sizes[k], &t);
        }
    }
    if (status == 0 && w->rank == 0)
        status = mpibench_print_summary ("collective", w, json_pack ("{s:O}", "results", results));
    json_decref (results);
    mpibench_bufs_free (&b);
    return status;
}

int main (int argc, char *argv[])
{
    struct mpibench_opts o = MPIBENCH_DEFAULTS (4, 1u << 20, sizeof (uint32_t));
    struct mpibench_world w;
    int status = mpibench_start (&argc, &argv, PROG, usage, &o, &w);
    if (status >= 0)
        return status;
    bool known = !o.op;
    for (int i = 0; i < NOPS && !known; i++)
        known = strcmp (o.op, ops[i].name) == 0;
    if (!known) {
        if (w.rank == 0)
            fprintf (stderr, PROG ": --op %s: unknown operation (allreduce or alltoall)\n", o.op);
        return mpibench_end (&w, 2);
    }
    return mpibench_end (&w, run (&o, &w));
}
