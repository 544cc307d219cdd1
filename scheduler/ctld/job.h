/* job.h - one job inside huddle-ctld (jobs.c and jobmsg.c only)
 *
 * The job object (docs/protocol.md "Job") is what is stored and reported;
 * the struct caches what the controller decides with.  Every change of a
 * job goes through job_update() (flux-core job-manager's event_job_update
 * then event_job_action): it asks the transition table (jobstate.h) for
 * the next state, records it (the object, the store and an audit event in
 * the current turn's transaction, committed by the turn's flush), then runs
 * the reactions the new state calls for: the scheduler's queue made to
 * agree, the allocation released, a pass requested when resources were
 * freed or a job's eligibility changed, orders for agents (job.launch,
 * job.kill).  Nothing else sets a job's state.
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
#define JOB_EXIT_NONE          INT32_MIN /* job_update: set no exit status (qdel of a queued job) */
#define JOB_MAX_RETRIES        20 /* starts after which a JOB_EXEC_RETRY job is held, as PBS */

struct ctld_job {
    int64_t seq;
    json_t *obj; /* owned */
    enum job_state state;
    uid_t uid;
    bool rerunnable;
    bool exclusive; /* place=excl / exclhost */
    bool deleted;   /* qdel while running: it finishes, never requeues */
    bool rerun;     /* qrerun: its run is being killed to queue it again */
    int priority;
    int64_t rank; /* order among waiting jobs of one priority ("queue_rank",
                   * qorder); 0: the seq */
    int64_t submit_time;
    int64_t eligible_time;  /* since when it waits in Q (submit, release, requeue) */
    int64_t execution_time; /* qsub -a: not started before (0: none); W while ahead */
    int64_t run_count;
    int64_t script_bytes;      /* size of its script (in the store, not here) */
    struct resreq res;         /* owned */
    struct sched_alloc *alloc; /* R and E only */
    char *queue_comment;       /* why a queued job waits (not stored) */
    int64_t est_start;         /* the scheduler's expected start of a queued job
                                * with a reservation, 0 none (not stored) */
    json_t *est_alloc;         /* its planned allocation ("allocation" form), NULL none */
};

/* Whether a job's -a time is still ahead at now: it waits (state W in
 * qstat) and the scheduler's queue holds it (schedule.c). */
static inline bool job_deferred (const struct ctld_job *j, int64_t now)
{
    return j->execution_time > now;
}

/* Mail the job's Mail_Users (else its owner) through mail_command when
 * its Mail_Points (default "a") has point: 'b' begun, 'e' ended, 'a'
 * aborted; what is the message's last line.  Nothing without a
 * mail_command (mail.c). */
void job_mail (struct ctld *ctx, struct ctld_job *j, char point, const char *what);

/* "SEQ.SERVER" into buf. */
const char *job_id (struct ctld *ctx, const struct ctld_job *j, char *buf, size_t len);

/* The node that runs the job script (first of the allocation), or NULL.
 * The other nodes of the allocation are its sisters: they join the run
 * (job.launch goes to every node) and take its remote tasks (huddle-rsh). */
const char *job_first_node (const struct ctld_job *j);
bool job_uses_node (const struct ctld_job *j, const char *name);

/* Set or remove (v NULL) a member of the job object. */
void job_set (struct ctld_job *j, const char *name, json_t *v);

/* One change of a job: the event and what it carries. */
struct job_change {
    enum job_event ev;
    bool hold; /* SUBMIT: submitted with a hold (qsub -h) */
    /* SUBMIT, HOLD, RELEASE, DELETE, ENDED: the audit event ("held by uid
     * 0"; DELETE: also the comment).  RETRY, LOST, NODE_DOWN: why, worded
     * into the event and comment for where the job goes ("Job requeued:
     * WHY", "Job failed: WHY").  START: unused (the nodes are named). */
    const char *text;
    const char *comment;       /* ENDED: qstat's comment, NULL keeps it; START: what
                                * placement adds to "Job run on NODES" (the
                                * pass's note, e.g. "switches=2 met: 2 leaf
                                * switches"), NULL or "" for nothing */
    int exit_status;           /* ENDED: the status, JOB_EXIT_NONE for none */
    json_t *members;           /* ENDED: more members for the object (stolen) */
    struct sched_alloc *alloc; /* START: where (stolen, also on failure) */
    const char *node;          /* LOST, NODE_DOWN: the node that went down (or whose
                                * agent registered without the job) */
    const char *from;          /* ENDED, RETRY, LOST: the node whose agent reported it; the
                                * other nodes of the run are sent job.kill */
};

/* The one function that changes a job (see above).  A run that ends is
 * sent job.kill on every node of it but c->from and c->node.  Returns 0; -1 with errno EINVAL when
 * the event is not allowed in the job's state (nothing changed); -1 with errno ENOMEM, or when the
 * store could not even keep the change (out of memory: logged; the turn is dropped, which stops the
 * daemon; a full disk is not this case, see store.h). */
int job_update (struct ctld *ctx, struct ctld_job *j, const struct job_change *c);

/* A stored job back into the table at start-up (jobs_load): the reactions
 * of its state, as if it had just entered it: queued when Q or H. */
void job_reload (struct ctld *ctx, struct ctld_job *j);

/* Queue a job.kill of the job's run for node, NULL: every node of its
 * allocation (an order, not a change: the registration of a node that
 * still runs a deleted job asks again). */
void job_send_kill (struct ctld *ctx, struct ctld_job *j, const char *node);

/* Order the agents of every node of j's run to deliver SIG (qsig) to the
 * job's processes there, nothing else: a job.kill with "signal". */
void job_send_signal (struct ctld *ctx, struct ctld_job *j, int sig);

/* A new job into the table (seq larger than any other), in state JOB_NEW
 * (then job_update with JOB_EV_SUBMIT) or, at start-up, in its stored state
 * (then job_reload).  0 or -1/ENOMEM. */
int jobs_insert (struct ctld *ctx, struct ctld_job *j);
void job_free (struct ctld_job *j);

/* The user name of uid (its number when it has none), cached after the
 * first lookup; the caller frees it.  NULL on allocation failure. */
char *jobs_user_name (struct ctld *ctx, uid_t uid);

/* What one user has in the system: jobs not finished and the bytes of their
 * scripts (the per-user limits of job.submit).  Kept up to date by
 * jobs_insert() and job_update(). */
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
