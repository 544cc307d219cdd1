/* queue_impl.h - what the pass sees of the queue (internal to scheduler/core) */
#ifndef HUDDLE_SCHED_QUEUE_IMPL_H
#define HUDDLE_SCHED_QUEUE_IMPL_H

#include "scheduler/core/queue.h"

struct qjob {
    int64_t seq;
    int priority;
    int64_t rank; /* sched_job.rank, seq when that is 0 */
    int64_t eligible_time;
    bool held;
    bool dead;                /* removed; freed at the next compaction */
    bool pending;             /* in the queue's pending list (queue.c): its
                               * place in the order is to be found again */
    uint64_t fits_generation; /* snapshot generation under which it could
                               * fit on the idle cluster (0: not known) */
    struct resreq req;
    struct qjob *hnext;
};

/* The live jobs in pass order (priority desc, rank asc, seq asc), held
 * ones included.
 * *JOBS stays valid until the queue is next changed. */
void queue_ordered (struct sched_queue *q, struct qjob ***jobs, int *n);

#endif
