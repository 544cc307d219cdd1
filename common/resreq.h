/* resreq.h - what a job asks for: select chunks and placement
 *
 * The one definition of a job's resource request, shared by the parser that
 * reads it from qsub options (common/jobspec), the scheduler core that places
 * it (scheduler/core) and the daemons that store and report it.
 *
 * A request is plain data owned by whoever holds it; resreq_clear() frees the
 * chunk array.
 */
#ifndef HUDDLE_RESREQ_H
#define HUDDLE_RESREQ_H

#include <stdbool.h>
#include <stdint.h>

/* Upper bounds that keep a request (which arrives from users over the
 * network) from asking the controller to allocate absurd amounts. */
#define RESREQ_MAX_CHUNKS   4096
#define RESREQ_MAX_COUNT    100000
#define RESREQ_PGROUP_MAX   64                            /* bytes of a placement group name */
#define RESREQ_MAX_MEM      (UINT64_C (1) << 50)          /* 1 PiB per chunk */
#define RESREQ_MAX_WALLTIME (INT64_C (100) * 366 * 86400) /* 100 years */

#define RESREQ_LABELS_MAX 128 /* bytes of a chunk's label list, NUL included */

/* One "-l select" term: COUNT x {ncpus, mpiprocs, ngpus, mem}. */
struct resreq_chunk {
    int count;     /* how many such chunks (>= 1) */
    int ncpus;     /* cores per chunk (>= 1 unless ngpus > 0; PBS default 1) */
    int mpiprocs;  /* MPI ranks per chunk: lines in PBS_NODEFILE (default 1) */
    int ngpus;     /* whole GPUs per chunk (default 0) */
    uint64_t mem;  /* bytes per chunk, 0 = no memory request */
    char host[64]; /* "host=NAME" (or "vnode=NAME") constraint, empty = any */
    /* Node labels the chunk's node must carry, comma-separated: a site's
     * custom host resources and Torque node properties.  "a100" (from
     * "a100=True" or nodes=N:a100) is a boolean label, "gpu_type=a100" a
     * string label; an admin gives nodes their labels (huddle-ctld's
     * node_labels).  Empty = any node. */
    char labels[RESREQ_LABELS_MAX];
    int ompthreads; /* OMP_NUM_THREADS of the job script (first chunk), 0 = the node's ncpus */
};

/* "-l place=ARRANGEMENT[:SHARING]" as in PBS Pro. */
enum resreq_arrangement {
    RESREQ_FREE = 0, /* chunks may go anywhere (PBS default) */
    RESREQ_PACK,     /* all chunks on one node */
    RESREQ_SCATTER,  /* at most one chunk per node */
};
enum resreq_sharing {
    RESREQ_SHARED = 0, /* other jobs may use the node's free cores */
    RESREQ_EXCL,       /* the job's nodes run only this job */
    RESREQ_EXCLHOST,   /* as excl, for the whole host */
};

struct resreq {
    int nchunks;
    struct resreq_chunk *chunks; /* owned; nchunks entries */
    enum resreq_arrangement arrangement;
    enum resreq_sharing sharing;
    int64_t walltime; /* seconds; 0 = queue default */
    /* Fabric constraints (scheduler/core/placement.h); zero: none. */
    bool group_switch;     /* "place=...:group=switch": every node under one leaf switch */
    int max_switches;      /* "switches=N": at most N leaf switches, 0 = no limit */
    int64_t switches_wait; /* "switches=N@T": seconds (since the job became eligible)
                            * to wait for max_switches before taking the best
                            * placement available; -1 forever */
    char pgroup[RESREQ_PGROUP_MAX + 1]; /* "pgroup=NAME": placement group, "" none */
};

/* Totals over all chunks (count x per-chunk). */
int resreq_total_ncpus (const struct resreq *r);
int resreq_total_ngpus (const struct resreq *r);
int resreq_total_mpiprocs (const struct resreq *r);

/* Free the chunk array and zero the struct.  NULL-safe. */
void resreq_clear (struct resreq *r);

#endif
