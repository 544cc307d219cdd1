/* queue.h - the jobs waiting to be scheduled
 *
 * The controller keeps one queue live between passes: it adds a job on
 * submit (or restart), removes it on qdel, holds and releases it.
 * sched_pass() removes the jobs it starts.  Order is priority (higher
 * first), then rank (the submit order, seq, unless qorder exchanged two
 * jobs' ranks), then seq.
 *
 * The queue copies what it is given (including the resreq's chunks); the
 * caller keeps ownership of its own job and request.
 *
 * Cost: add, remove, hold and release are O(1) on average.  The order is
 * kept between passes: the jobs added out of order or given another
 * priority or rank since the last pass are sorted alone and merged in,
 * O(n + k log k) for k of them, so 100,000 queued jobs stay cheap even
 * when a pass's starts come back (the controller could not start them).
 *
 * Errors: -1 with errno set, nothing changed.
 */
#ifndef HUDDLE_SCHED_QUEUE_H
#define HUDDLE_SCHED_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/resreq.h"

struct sched_queue;

struct sched_job {
    int64_t seq;              /* job id; also the submit order */
    int priority;             /* higher runs first */
    int64_t eligible_time;    /* when it last became eligible (submit, qrls): a
                               * switches=N@T wait counts from here */
    bool held;                /* held jobs are skipped by the pass */
    const struct resreq *req; /* copied */
    int64_t rank;             /* order among jobs of one priority, smaller first;
                               * 0: seq (the submit order) */
};

struct sched_queue *sched_queue_create (void);

/* NULL-safe, keeps errno. */
void sched_queue_destroy (struct sched_queue *q);

/* EEXIST: seq already queued; EINVAL: NULL job/req or a request with no
 * chunks; ENOMEM. */
int sched_queue_add (struct sched_queue *q, const struct sched_job *job);

/* ENOENT: not queued. */
int sched_queue_remove (struct sched_queue *q, int64_t seq);

/* Hold a job (the pass skips it), or release it: a released job's
 * eligible time restarts at NOW.  ENOENT: not queued. */
int sched_queue_hold (struct sched_queue *q, int64_t seq);
int sched_queue_release (struct sched_queue *q, int64_t seq, int64_t now);

/* ENOENT: not queued. */
int sched_queue_set_priority (struct sched_queue *q, int64_t seq, int priority);

/* The job's rank among jobs of its priority (qorder); 0: its seq.
 * ENOENT: not queued. */
int sched_queue_set_rank (struct sched_queue *q, int64_t seq, int64_t rank);

bool sched_queue_contains (const struct sched_queue *q, int64_t seq);
int sched_queue_size (const struct sched_queue *q); /* held ones included */

#endif
