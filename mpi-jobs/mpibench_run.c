/* mpibench_run.c - start-up, rank placement and summary shared by the MPI
 * benchmarks (see mpibench_run.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpibench_run.h"

static int cmp_name (const void *a, const void *b)
{
    return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* Every rank's node name, gathered on all ranks: the ping-pong pair is
 * chosen from them (the same on every rank), and the nodes counted (sorted
 * names, so that 10,000 ranks are not 50 million comparisons). */
static int gather_nodes (struct mpibench_world *w)
{
    char mine[MPIBENCH_NODE_MAX] = "";
    const char *env = getenv ("HUDDLE_NODE");
    if (env && *env) {
        snprintf (mine, sizeof (mine), "%s", env);
    } else {
        char name[MPI_MAX_PROCESSOR_NAME] = "";
        int len = 0;
        MPI_Get_processor_name (name, &len);
        snprintf (mine, sizeof (mine), "%s", name);
    }
    w->node = calloc ((size_t)w->nranks, sizeof (*w->node));
    const char **sorted = calloc ((size_t)w->nranks, sizeof (*sorted));
    if (!w->node || !sorted) {
        free (sorted);
        return -1;
    }
    MPI_Allgather (mine, MPIBENCH_NODE_MAX, MPI_CHAR, w->node, MPIBENCH_NODE_MAX, MPI_CHAR,
                   MPI_COMM_WORLD);
    for (int r = 0; r < w->nranks; r++)
        sorted[r] = w->node[r];
    qsort (sorted, (size_t)w->nranks, sizeof (*sorted), cmp_name);
    w->nnodes = 0;
    for (int r = 0; r < w->nranks; r++)
        w->nnodes += r == 0 || strcmp (sorted[r - 1], sorted[r]) != 0;
    free (sorted);
    return 0;
}

int mpibench_start (int *argc, char ***argv, const char *prog, const char *usage,
                    struct mpibench_opts *o, struct mpibench_world *w)
{
    struct herror err = {""};

    MPI_Init (argc, argv);
    MPI_Comm_rank (MPI_COMM_WORLD, &w->rank);
    MPI_Comm_size (MPI_COMM_WORLD, &w->nranks);
    w->node = NULL;
    w->nnodes = 0;
    int rc = mpibench_parse_args (o, *argc, *argv, &err);
    if (rc != 0) {
        if (w->rank == 0 && rc > 0)
            printf ("%s", usage);
        else if (w->rank == 0)
            fprintf (stderr, "%s: %s\n", prog, err.text);
        return mpibench_end (w, rc > 0 ? 0 : 2);
    }
    if (o->corrupt_rank >= w->nranks) {
        if (w->rank == 0)
            fprintf (stderr, "%s: --corrupt %d: there are only %d ranks\n", prog, o->corrupt_rank,
                     w->nranks);
        return mpibench_end (w, 2);
    }
    if (gather_nodes (w) < 0) {
        fprintf (stderr, "%s: rank %d: out of memory\n", prog, w->rank);
        MPI_Abort (MPI_COMM_WORLD, 1);
    }
    return -1;
}

int mpibench_end (struct mpibench_world *w, int status)
{
    free (w->node);
    w->node = NULL;
    MPI_Finalize();
    return status;
}

void mpibench_bufs_alloc (struct mpibench_bufs *b, const struct mpibench_opts *o,
                          const struct mpibench_world *w, const char *prog, size_t bytes)
{
    b->nsizes = mpibench_sizes (o, NULL, 0);
    b->sizes = calloc ((size_t)b->nsizes, sizeof (*b->sizes));
    b->send = b->recv = NULL;
    if (!b->sizes || posix_memalign (&b->send, 4096, bytes) != 0 ||
        posix_memalign (&b->recv, 4096, bytes) != 0) {
        fprintf (stderr, "%s: rank %d: cannot allocate 2 buffers of %zu bytes\n", prog, w->rank,
                 bytes);
        MPI_Abort (MPI_COMM_WORLD, 1);
    }
    mpibench_sizes (o, b->sizes, b->nsizes);
}

void mpibench_bufs_free (struct mpibench_bufs *b)
{
    free (b->sizes);
    free (b->send);
    free (b->recv);
    b->sizes = NULL;
    b->send = b->recv = NULL;
}

bool mpibench_all_ok (MPI_Comm comm, bool ok)
{
    int mine = ok ? 1 : 0, all = 0;
    MPI_Allreduce (&mine, &all, 1, MPI_INT, MPI_MIN, comm);
    return all == 1;
}

int mpibench_print_summary (const char *name, const struct mpibench_world *w, json_t *members)
{
    json_t *sum =
        json_pack ("{s:s, s:i, s:i}", "benchmark", name, "ranks", w->nranks, "nodes", w->nnodes);
    char *text = NULL;
    if (sum && members && json_object_update (sum, members) == 0)
        text = json_dumps (sum, JSON_COMPACT | JSON_REAL_PRECISION (6));
    json_decref (sum);
    json_decref (members);
    if (!text) {
        fprintf (stderr, "%s: out of memory writing the JSON summary\n", name);
        return 1;
    }
    printf ("%s\n", text);
    fflush (stdout);
    free (text);
    return 0;
}
