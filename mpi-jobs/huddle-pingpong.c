/* huddle-pingpong - MPI point-to-point latency and bandwidth between nodes
 *
 *   mpirun huddle-bind huddle-pingpong [--min-size SIZE] [--max-size SIZE]
 *       [--iters N] [--warmup N] [--time-limit SEC] [--corrupt RANK]
 *
 * Two ranks exchange messages of 1 B ... 4 MiB (powers of two by default)
 * in a blocking ping-pong; every other rank waits.  The pair is rank 0 and
 * the first rank on another node (mpibench_run.h says how a rank's node is
 * named), so that the numbers are the network's; when every rank shares
 * one node it warns and measures ranks 0 and 1.
 *
 * Per size: --warmup round trips, untimed, then the timed round trips
 * (mpibench.h: --iters, or as many as fit in the size's share of
 * --time-limit), timed by rank 0 with MPI_Wtime.  Latency is half a round
 * trip; bandwidth is size / latency in MB/s (10^6 bytes a second, as the
 * OSU micro-benchmarks count; osu_bw streams a window of messages and so
 * reports more than a ping-pong for mid-sized messages).  Each side sends a
 * pattern that names it, receives into a poisoned buffer and, after the
 * timed round trips, checks what the last one brought.
 *
 * Output (rank 0, stdout): "#" lines naming the pair, then one line per
 * size, "SIZE_BYTES LATENCY_US BANDWIDTH_MBPS", then one line of JSON:
 *   {"benchmark":"pingpong","ranks":N,"nodes":K,"pair":[0,R],
 *    "pair_nodes":[A,B],"same_node":false,
 *    "results":[{"size":1,"latency_us":..,"bandwidth_MBps":..,"iterations":..},..]}
 *
 * Exit status: 0; 1 when a message arrived wrong (stderr names the rank,
 * the size and the first wrong byte; no summary is printed); 2 for bad
 * options or fewer than 2 ranks.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpibench_run.h"

#define PROG "huddle-pingpong"
#define TAG  17

static const char usage[] =
    "Usage: mpirun [-np N] huddle-pingpong [OPTION]...\n"
    "Latency and bandwidth between rank 0 and the first rank on another node.\n"
    "\n" MPIBENCH_OPTIONS_HELP "\n"
    "Sizes default to 1 byte ... 4mb.  One line per size (size_bytes latency_us\n"
    "bandwidth_MBps), then a JSON summary.\n";

struct pair {
    MPI_Comm comm;  /* the two ranks; MPI_COMM_NULL on the others */
    int rank[2];    /* their ranks in MPI_COMM_WORLD */
    int me;         /* 0 or 1 in comm */
    bool same_node; /* no rank runs elsewhere than rank 0 */
};

static void pick_pair (const struct mpibench_world *w, struct pair *p)
{
    p->rank[0] = 0;
    p->rank[1] = 1;
    p->same_node = true;
    for (int r = 1; r < w->nranks; r++) {
        if (strcmp (w->node[r], w->node[0]) != 0) {
            p->rank[1] = r;
            p->same_node = false;
            break;
        }
    }
    bool in = w->rank == p->rank[0] || w->rank == p->rank[1];
    p->me = w->rank == p->rank[0] ? 0 : 1;
    MPI_Comm_split (MPI_COMM_WORLD, in ? 0 : MPI_UNDEFINED, p->me, &p->comm);
}

/* iters round trips of n bytes; the seconds they took. */
static double round_trips (const struct pair *p, unsigned char *send, unsigned char *recv, size_t n,
                           int iters)
{
    double t0 = MPI_Wtime();
    for (int i = 0; i < iters; i++) {
        if (p->me == 0) {
            MPI_Send (send, (int)n, MPI_BYTE, 1, TAG, p->comm);
            MPI_Recv (recv, (int)n, MPI_BYTE, 1, TAG, p->comm, MPI_STATUS_IGNORE);
        } else {
            MPI_Recv (recv, (int)n, MPI_BYTE, 0, TAG, p->comm, MPI_STATUS_IGNORE);
            MPI_Send (send, (int)n, MPI_BYTE, 0, TAG, p->comm);
        }
    }
    return MPI_Wtime() - t0;
}

/* One size: warm up, choose the iterations (rank 0 of the pair), time
 * them, check the data.  *secs and *iters are rank 0's; false when the
 * data arrived wrong on either side. */
static bool measure (const struct mpibench_opts *o, const struct pair *p, int nsizes,
                     unsigned char *send, unsigned char *recv, size_t n, double *secs, int *iters)
{
    int from = p->rank[1 - p->me];
    mpibench_pingpong_poison (recv, n, from);
    MPI_Barrier (p->comm);
    double warm = round_trips (p, send, recv, n, o->warmup);
    *iters = mpibench_iterations (o, nsizes, o->warmup > 0 ? warm / o->warmup : 0);
    MPI_Bcast (iters, 1, MPI_INT, 0, p->comm);
    mpibench_pingpong_poison (recv, n, from);
    MPI_Barrier (p->comm);
    *secs = round_trips (p, send, recv, n, *iters);
    int64_t bad = mpibench_pingpong_check (recv, n, from);
    if (bad >= 0)
        fprintf (stderr,
                 PROG ": rank %d: %zu-byte message from rank %d: byte %" PRId64
                      " is not what was sent: the data arrived wrong\n",
                 p->rank[p->me], n, from, bad);
    return mpibench_all_ok (p->comm, bad < 0);
}

/* Rank 0's report of one size: the line, and the summary's entry. */
static void report (json_t *results, uint64_t size, double secs, int iters)
{
    double latency_us = secs / (2.0 * iters) * 1e6;
    double mbps = (double)size / latency_us; /* bytes per microsecond = MB/s */
    printf ("%" PRIu64 " %.3f %.2f\n", size, latency_us, mbps);
    fflush (stdout);
    json_array_append_new (results, json_pack ("{s:I, s:f, s:f, s:i}", "size", (json_int_t)size,
                                               "latency_us", latency_us, "bandwidth_MBps", mbps,
                                               "iterations", iters));
}

/* Runs every size on the pair; rank 0 prints.  Returns the exit status. */
static int run_pair (const struct mpibench_opts *o, const struct mpibench_world *w,
                     const struct pair *p)
{
    struct mpibench_bufs b;
    json_t *results = json_array(); /* NULL: the summary says out of memory */
    int status = 0;

    mpibench_bufs_alloc (&b, o, w, PROG, (size_t)o->max_size);
    unsigned char *send = b.send, *recv = b.recv;
    if (p->me == 0) {
        printf ("# " PROG ": ranks %d (%s) and %d (%s); %d ranks on %d node%s\n", p->rank[0],
                w->node[p->rank[0]], p->rank[1], w->node[p->rank[1]], w->nranks, w->nnodes,
                w->nnodes == 1 ? "" : "s");
        printf ("# size_bytes latency_us bandwidth_MBps\n");
    }
    for (int k = 0; k < b.nsizes && status == 0; k++) {
        size_t n = (size_t)b.sizes[k];
        double secs = 0;
        int iters = 0;
        mpibench_pingpong_fill (send, n, w->rank);
        if (o->corrupt_rank == w->rank)
            mpibench_corrupt (send, n);
        if (!measure (o, p, b.nsizes, send, recv, n, &secs, &iters))
            status = 1;
        else if (p->me == 0)
            report (results, b.sizes[k], secs, iters);
    }
    if (status == 0 && p->me == 0) {
        json_t *members = json_pack ("{s:[i,i], s:[s,s], s:b, s:O}", "pair", p->rank[0], p->rank[1],
                                     "pair_nodes", w->node[p->rank[0]], w->node[p->rank[1]],
                                     "same_node", p->same_node, "results", results);
        status = mpibench_print_summary ("pingpong", w, members);
    }
    json_decref (results);
    mpibench_bufs_free (&b);
    return status;
}

int main (int argc, char *argv[])
{
    struct mpibench_opts o = MPIBENCH_DEFAULTS (1, 4u << 20, 1);
    struct mpibench_world w;
    struct pair p;
    int status = mpibench_start (&argc, &argv, PROG, usage, &o, &w);
    if (status >= 0)
        return status;
    if (o.op) {
        if (w.rank == 0)
            fprintf (stderr, PROG ": --op: ping-pong is the only operation here\n");
        return mpibench_end (&w, 2);
    }
    if (w.nranks < 2) {
        fprintf (stderr, PROG ": needs 2 ranks or more (mpirun -np 2, or a job on 2 nodes)\n");
        return mpibench_end (&w, 2);
    }
    pick_pair (&w, &p);
    if (o.corrupt_rank >= 0 && o.corrupt_rank != p.rank[0] && o.corrupt_rank != p.rank[1]) {
        if (w.rank == 0)
            fprintf (stderr, PROG ": --corrupt %d: rank %d is not one of the pair (%d, %d)\n",
                     o.corrupt_rank, o.corrupt_rank, p.rank[0], p.rank[1]);
        status = 2;
    } else if (p.comm != MPI_COMM_NULL) {
        if (p.same_node && p.me == 0)
            fprintf (stderr,
                     PROG ": warning: all %d ranks run on node %s: measuring ranks 0 and 1 "
                          "on the same node\n",
                     w.nranks, w.node[0]);
        status = run_pair (&o, &w, &p);
    } else {
        status = 0;
    }
    if (p.comm != MPI_COMM_NULL)
        MPI_Comm_free (&p.comm);
    return mpibench_end (&w, status);
}
