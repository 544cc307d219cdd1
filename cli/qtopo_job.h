/* qtopo_job.h - qtopo -j JOBID: a job's placement in the fabric, and the
 * helpers qtopo --check shares with it */
#ifndef HUDDLE_CLI_QTOPO_JOB_H
#define HUDDLE_CLI_QTOPO_JOB_H

#include <stddef.h>

#include <jansson.h>

enum qtopo_job_format { QTOPO_JOB_TEXT, QTOPO_JOB_JSON, QTOPO_JOB_DOT };

/* Print job JOBID's placement (job.query, fabric.query, link.query):
 * its nodes leaf by leaf, the leaves spanned, the common switch, each
 * node's ranks (from the allocation's mpiprocs, in allocation order),
 * cores and GPUs, and the latency (max, median) and bandwidth (min,
 * median) measured between its nodes.  Returns the exit status. */
int qtopo_job (const char *jobid, enum qtopo_job_format fmt);

/* The leaf of node NAME in fabric.query's "fabric" object, NULL when
 * there is none (no fabric, or a node it does not hold).  Borrowed. */
const char *qtopo_leaf_of (const json_t *fabric, const char *name);

/* Sort the N numbers V in place, lowest first. */
void qtopo_sort (double *v, size_t n);

/* The median of the N numbers V (sorted in place), 0 when N is 0. */
double qtopo_median (double *v, size_t n);

#endif
