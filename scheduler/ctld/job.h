/* job.h - one job inside huddle-ctld (jobs.c and jobmsg.c only)
 *
 * The job object (docs/protocol.md "Job") is what is stored and reported;
 * the struct caches what the controller decides with.  Every change goes
 * through job_commit(), which updates the object, puts it into the store
 * and appends an audit event in the current turn's transaction.
 *
 * The object is only ever changed at its top level (json_object_set_new of
 * a member), never inside a member, so a shallow json_copy() taken for a
 * queued message stays what it was when it was queued.
 */
#ifndef HUDDLE_CTLD_JOB_H
#define HUDDLE_CTLD_JOB_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "common/resreq.h"
#include "scheduler/core/alloc.h"
#include "scheduler/ctld/ctld.h"
#include "scheduler/ctld/jobstate.h"

/* Exit statuses with a meaning here (PBS JOB_EXEC_* numbers, as the agent
 * uses them; documented in docs/protocol.md). */
#define JOB_EXIT_LAUNCH_FAILED (-1)      /* JOB_EXEC_FAIL1: the agent refused job.launch */
#define JOB_EXIT_RETRY         (-3)      /* JOB_EXEC_RETRY: agent says try again: requeue */
#define JOB_EXIT_LOST          (-4)      /* JOB_EXEC_INITABT: its node went down or forgot it */
#define JOB_EXIT_NONE          INT32_MIN /* job_finish: set no exit status (qdel of a queued job) */
#define JOB_MAX_RETRIES        20 /* starts after which a JOB_EXEC_RETRY job is held, as PBS */

struct ctld_job {
    int64_t seq;
    json_t *obj; /* owned */
    enum job_state state;
    uid_t uid;
    bool rerunnable;
    bool exclusive; /* place=excl / exclhost */
    bool deleted;   /* qdel while running: it finishes, never requeues */
    int priority;
    int64_t submit_time;
    int64_t run_count;
    int64_t script_bytes;      /* size of its script (in the store, not here) */
    struct resreq res;         /* owned */
    struct sched_alloc *alloc; /* R and E only */
    char *queue_comment;       /* why a queued job waits (not stored) */
};

/* "SEQ.SERVER" into buf. */
const char *job_id (struct ctld *ctx, const struct ctld_job *j, char *buf, size_t len);

/* The node that runs the job script (first of the allocation), or NULL. */
const char *job_first_node (const struct ctld_job *j);
bool job_uses_node (const struct ctld_job *j, const char *name);

/* Set state (and the object's "state"), store the object and, when event
 * is not NULL, an audit event.  Returns 0 or -1 (logged; the store's turn is
 * then poisoned and the flush fails, which stops the daemon). */
int job_commit (struct ctld *ctx, struct ctld_job *j, enum job_state state, const char *event);

/* Set or remove (v NULL) a member of the job object. */
void job_set (struct ctld_job *j, const char *name, json_t *v);

/* The job ended for good: state F with exit status, end time, comment;
 * allocation released (kept in the object for history). */
void job_finish (struct ctld *ctx, struct ctld_job *j, int exit_status, const char *comment,
                 const char *event);

/* Its node is gone or forgot it: requeue (rerunnable, not deleted) or
 * finish with JOB_EXIT_LOST.  why goes into the comment. */
void job_lost (struct ctld *ctx, struct ctld_job *j, const char *why);

/* Back to the queue (or held, when hold): allocation released. */
void job_requeue (struct ctld *ctx, struct ctld_job *j, const char *why, bool hold);

/* Queue a job.kill for the job's first node. */
void job_send_kill (struct ctld *ctx, struct ctld_job *j);

/* A new job into the table (seq larger than any other), and into the
 * scheduler's queue when Q or H.  0 or -1/ENOMEM. */
int jobs_insert (struct ctld *ctx, struct ctld_job *j);
void job_free (struct ctld_job *j);

/* The user name of uid (its number when it has none), cached after the
 * first lookup; the caller frees it.  NULL on allocation failure. */
char *jobs_user_name (struct ctld *ctx, uid_t uid);

/* What one user has in the system: jobs not finished and the bytes of their
 * scripts (the per-user limits of job.submit).  Kept up to date by
 * jobs_insert() and job_commit(). */
struct jobs_usage {
    int jobs;
    int64_t script_bytes;
};
void jobs_usage (struct ctld *ctx, uid_t uid, struct jobs_usage *u);

/* Iterate the table in seq order: i from 0 while < jobs_count(). */
int jobs_count (struct ctld *ctx);
struct ctld_job *jobs_at (struct ctld *ctx, int i);

/* Index of the first job with a seq above seq (jobs_count() when none). */
int jobs_index_after (struct ctld *ctx, int64_t seq);

#endif
