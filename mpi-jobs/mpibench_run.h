/* mpibench_run.h - the MPI side that huddle-pingpong and huddle-collective
 * share: starting up with the common options, where each rank runs, and
 * the JSON summary line
 *
 * Unlike mpibench.h this is program code: mpibench_start() prints usage
 * and errors (rank 0 only, so that N ranks do not say it N times).
 */
#ifndef HUDDLE_MPIBENCH_RUN_H
#define HUDDLE_MPIBENCH_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <mpi.h>

#include "mpibench.h"

/* The options both programs take, for their --help. */
#define MPIBENCH_OPTIONS_HELP                                                                      \
    "  --min-size SIZE    smallest message (bytes, or 4k, 1mb: qsub's mem units)\n"                \
    "  --max-size SIZE    largest message; sizes double from --min-size up to it\n"                \
    "  --iters N          timed iterations per size (default: as many as fit in\n"                 \
    "                     the size's share of --time-limit, 10 to 10000)\n"                        \
    "  --warmup N         untimed iterations before each size (default 10)\n"                      \
    "  --time-limit SEC   time for all timed iterations together (default 30)\n"                   \
    "  --corrupt RANK     self-test: RANK alters what it sends, so the data check\n"               \
    "                     must fail and the program exit 1\n"

#define MPIBENCH_NODE_MAX 256

struct mpibench_world {
    int rank;
    int nranks;
    int nnodes;                      /* distinct names in node[] */
    char (*node)[MPIBENCH_NODE_MAX]; /* node[r]: where rank r runs */
};

/* MPI_Init, then the options into o (which holds the program's defaults)
 * and where every rank runs: HUDDLE_NODE when set (the agent sets it; a
 * cluster on one machine has one host name), else MPI_Get_processor_name.
 * Returns -1 to go on, or the exit status main should return (0 after
 * --help, 2 for a bad option), MPI being finalized then. */
int mpibench_start (int *argc, char ***argv, const char *prog, const char *usage,
                    struct mpibench_opts *o, struct mpibench_world *w);

/* Free w and MPI_Finalize; returns status, for "return mpibench_end (w, 0)". */
int mpibench_end (struct mpibench_world *w, int status);

/* What a run moves: the sizes measured and two page-aligned buffers of
 * bytes each (send and receive). */
struct mpibench_bufs {
    uint64_t *sizes;
    int nsizes;
    void *send;
    void *recv;
};

/* Allocate them; when memory runs out, say so and MPI_Abort (a rank that
 * cannot take part stops the whole run). */
void mpibench_bufs_alloc (struct mpibench_bufs *b, const struct mpibench_opts *o,
                          const struct mpibench_world *w, const char *prog, size_t bytes);
void mpibench_bufs_free (struct mpibench_bufs *b);

/* True when ok is true on every rank of comm. */
bool mpibench_all_ok (MPI_Comm comm, bool ok);

/* Print the summary, one line of compact JSON on stdout: {"benchmark":
 * NAME, "ranks":.., "nodes":.., then the members of members (taken: the
 * caller's reference is used up; NULL when it could not be built)}.  Reals
 * have 6 significant digits, about what the text lines show.  Returns the
 * exit status: 0, or 1 when out of memory (stderr says so). */
int mpibench_print_summary (const char *name, const struct mpibench_world *w, json_t *members);

#endif
