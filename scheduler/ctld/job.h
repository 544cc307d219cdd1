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
 *
 * A job that is not running (Q, H, F) keeps its object packed: its compact
 * JSON text, about a tenth of what the jansson tree of the same object
 * takes (measured: ~840 bytes against ~7 KB for a held job), because a
 * controller holds far more waiting and finished jobs than running ones
 * (bench/submit_bench memory).  job_update() unpacks it for the change and
 * packs it again after; readers take job_obj() (unpacks) or
 * job_obj_copy() (a copy, the job stays packed).
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
#include "scheduler/ctld/depend.h"
#include "scheduler/ctld/jobstate.h"

/* Exit statuses with a meaning here (PBS JOB_EXEC_* numbers, as the agent
 * uses them; documented in docs/protocol.md). */
#define JOB_EXIT_LAUNCH_FAILED (-1)      /* JOB_EXEC_FAIL1: the agent refused job.launch */
#define JOB_EXIT_RETRY         (-3)      /* JOB_EXEC_RETRY: agent says try again: requeue */
#define JOB_EXIT_LOST          (-4)      /* JOB_EXEC_INITABT: its node went down or forgot it */
#define JOB_EXIT_NONE          INT32_MIN /* job_update: set no exit status (qdel of a queued job) */
#define JOB_PATH_MAX           4096      /* a path an agent reports (jobdir, output_file) */
#define JOB_MAX_RETRIES        20 /* starts after which a JOB_EXEC_RETRY job is held, as PBS */

struct ctld_job {
    int64_t seq;
    json_t *obj;  /* owned; NULL while packed */
    char *packed; /* owned: the object as compact JSON while not running */
    char *dump;   /* owned: the object as just stored (job_put), for job_pack;
                   * dropped by job_obj(), which hands the object out */
    enum job_state state;
    uid_t uid;
    bool rerunnable;
    bool exclusive; /* place=excl / exclhost */
    bool deleted;   /* qdel while running: it finishes, never requeues */
    bool rerun;     /* qrerun: its run is being killed to queue it again (stored as
                     * the object's "rerun", dropped when the run ends) */
    int priority;
    int queue;    /* index into the controller's queues (queues.h); -1: a queue
                   * the configuration no longer has (the name is in obj) */
    int64_t rank; /* order among waiting jobs of one priority ("queue_rank",
                   * qorder); 0: the seq */
    int64_t submit_time;
    int64_t eligible_time;  /* since when it waits in Q (submit, release, requeue) */
    int64_t execution_time; /* qsub -a: not started before (0: none); W while ahead */
    int64_t run_count;
    int64_t end_time;          /* F: when it finished (jobs_prune) */
    int64_t script_bytes;      /* size of its script (in the store, not here) */
    struct resreq res;         /* owned */
    struct sched_alloc *alloc; /* R and E only */
    char *queue_comment;       /* why a queued job waits (not stored) */
    /* H: the kinds of hold on it, PBS's Hold_Types (stored as the object's
     * "hold_types"; a stored H job without it has a user hold) */
    bool user_hold;           /* u: qhold, qsub -h, too many failed starts */
    bool depend_hold;         /* s: it waits on its dependencies (depend.h) */
    struct depend_item *deps; /* while depend_hold: what it waits on (owned) */
    int ndeps;
    struct ctld_array *array; /* an array job (SEQ[]): its subjobs (arrays.c); else NULL */
    struct ctld_job *parent;  /* a subjob (SEQ[I]) in the table: its array job */
    int64_t est_start;        /* the scheduler's expected start of a queued job
                               * with a reservation, 0 none (not stored) */
    json_t *est_alloc;        /* its planned allocation ("allocation" form), NULL none */
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

/* "SEQ.SERVER" into buf ("SEQ[].SERVER" for an array, "SEQ[I].SERVER"
 * for a subjob). */
const char *job_id (struct ctld *ctx, const struct ctld_job *j, char *buf, size_t len);

/* The node that runs the job script (first of the allocation), or NULL.
 * The other nodes of the allocation are its sisters: they join the run
 * (job.launch goes to every node) and take its remote tasks (huddle-rsh). */
const char *job_first_node (const struct ctld_job *j);
bool job_uses_node (const struct ctld_job *j, const char *name);

/* The job a client's msg names ("seq", "server"), if the caller may act on
 * it: its owner, or root.  NULL with err in PBS's words ("Unknown Job Id
 * ID", "Unauthorized Request") otherwise.  Finished jobs are found too. */
struct ctld_job *jobs_owned (json_t *msg, struct request *rq, struct herror *err);

/* The job object OBJ read by its one codec (jobspec_job_from_json; the
 * stored object has no script, it is read with an empty one): what qalter
 * edits before it codes the members again.  NULL with err.  The caller
 * destroys it. */
struct jobspec;
struct jobspec *job_decode (const json_t *obj, struct herror *err);

/* Set or remove (v NULL) a member of the job object (unpacked first). */
void job_set (struct ctld_job *j, const char *name, json_t *v);

/* The job's object, unpacked (it stays so until job_pack()); NULL only
 * on ENOMEM.  It drops the text the last store kept for job_pack(), as the
 * caller may change the object.  job_obj_copy: a new reference the caller may change, the job
 * staying as it is (packed or not).  job_pack: a job that is not running
 * (nor an array job, whose object its subjobs share) packs its object. */
json_t *job_obj (struct ctld_job *j);
json_t *job_obj_copy (const struct ctld_job *j);
void job_pack (struct ctld_job *j);

/* Put the job object into the current turn's transaction after a change
 * of members that is no change of state (job_update commits its own): the
 * launch report, qorder's rank.  0, or -1 (logged) when the store cannot
 * take it. */
int job_store (struct ctld *ctx, struct ctld_job *j);

/* Copy session_id, jobdir, output_file and error_file from a checked
 * job.launch.ok report into the job object (NULL: remove them). */
void job_set_started (struct ctld_job *j, json_t *report);

/* One change of a job: the event and what it carries. */
struct job_change {
    enum job_event ev;
    bool hold;        /* SUBMIT: submitted with a hold (qsub -h) */
    bool depend_hold; /* SUBMIT: it waits on its dependencies (system hold) */
    char hold_type;   /* HOLD, RELEASE: 's' the system's hold (dependencies), else
                       * the user's (qhold, qrls) */
    /* SUBMIT, HOLD, RELEASE, DELETE, ENDED: the audit event ("held by uid
     * 0"; DELETE: also the comment).  RETRY, LOST, NODE_DOWN: why, worded
     * into the event and comment for where the job goes ("Job requeued:
     * WHY", "Job failed: WHY").  START: unused (the nodes are named). */
    const char *text;
    const char *comment;       /* ENDED, SUBMIT, RELEASE: qstat's comment, NULL keeps it;
                                * START: what
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
 * of its state, as if it had just entered it: queued when Q or H, its
 * dependencies watched again when it waits on them. */
void job_reload (struct ctld *ctx, struct ctld_job *j);

/* qsub -W depend=TEXT (depend.h): read it and find each job it names, here
 * (SEQ.SERVER of this server), refusing an unknown one ("Unknown Job Id
 * ID") and one whose outcome already rules the dependency out ("Finished
 * job did not satisfy dependency ...", PBS's words).  On success *deps
 * (freed by the caller, NULL when every item is met already) holds the
 * items still to wait for and *normalized (malloc'd) the list as qstat -f
 * shows it, "afterok:12.vm@vm".  -1 with err otherwise. */
int jobs_depend_prepare (struct ctld *ctx, const char *text, struct depend_item **deps, int *ndeps,
                         char **normalized, struct herror *err);

/* A job started or finished: settle the jobs that wait on it (released
 * when met, a comment when never). */
void jobs_depend_parent_changed (struct ctld *ctx, struct ctld_job *parent);

/* The table's map of parent seq (decimal) -> [seqs of the jobs that wait
 * on it] (jobdepend.c keeps it); created on first use, NULL on ENOMEM. */
json_t *jobs_dependents (struct ctld *ctx);

/* Watch the items j waits on (j->deps), once j is in the table (also at
 * start-up, where nothing is settled: nothing changed while the
 * controller was down). */
void jobs_depend_watch (struct ctld *ctx, struct ctld_job *j);

/* Look at what held job j waits on again: released (job_update) once
 * every item is met; else its comment says which item it waits for ("Job
 * held: waiting for dependency afterok:12.vm") or which can never be met. */
void jobs_depend_settle (struct ctld *ctx, struct ctld_job *j);

/* Queue a job.kill of the job's run for node, NULL: every node of its
 * allocation (an order, not a change: the registration of a node that
 * still runs a deleted job asks again). */
void job_send_kill (struct ctld *ctx, struct ctld_job *j, const char *node);

/* Order the agents of every node of j's run to deliver SIG (qsig) to the
 * job's processes there, nothing else: a job.kill with "signal". */
void job_send_signal (struct ctld *ctx, struct ctld_job *j, int sig);
/* job.walltime with j's walltime to each node of its run. */
void job_send_walltime (struct ctld *ctx, struct ctld_job *j);
/* The order an adopted job's agent on NODE may have missed (jobs_node_register). */
void job_retell (struct ctld *ctx, struct ctld_job *j, const char *node);

/* A new job into the table (seq larger than any other, or a subjob, which
 * goes after its array job in index order), in state JOB_NEW
 * (then job_update with JOB_EV_SUBMIT) or, at start-up, in its stored state
 * (then job_reload).  0 or -1/ENOMEM. */
int jobs_insert (struct ctld *ctx, struct ctld_job *j);
void job_free (struct ctld_job *j);

/* The user name of uid (its number when it has none), cached after the
 * first lookup; the caller frees it.  NULL on allocation failure. */
char *jobs_user_name (struct ctld *ctx, uid_t uid);
const char *jobs_user_name_ref (struct ctld *ctx, uid_t uid); /* borrowed from the cache */
/* The name of group gid, NULL if the group database has none; cached. */
const char *jobs_group_name_ref (struct ctld *ctx, gid_t gid);

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

/* ------------------------------------------------------------ arrays.c
 *
 * A job array (qsub -J) is one job in the table, the array job "SEQ[]".
 * Its subjobs are not jobs until they have to be: a pending subjob is a
 * bit in the array's set of pending positions, a finished one a bit and
 * its exit status.  A subjob becomes a job (a ctld_job in the table, seq
 * jobspec_subjob_seq(), its object a shallow copy of the array's) when it
 * starts or is held on its own, and leaves the table again once it has
 * finished (arrays_retire, at the next pass), keeping only its status.
 * The scheduler's queue holds the array's first ARRAYS_QUEUE_BATCH
 * pending subjobs (under their subjob seqs), refilled as they start; the
 * admission hook keeps at most %MAX of them running.  The array job's
 * stored object keeps the pending set ("array_pending"), each subjob that
 * became a job its own stored object, so both survive a restart. */
#define ARRAYS_QUEUE_BATCH 64

/* Make j (whose object has "array") an array job; its object's
 * "array_pending" (at start-up) says which are still pending, all when
 * absent.  0, or -1 with err (a bad "array": the job is not loaded). */
int array_attach (struct ctld *ctx, struct ctld_job *j, struct herror *err);
void array_free (struct ctld_array *a);

/* Make the scheduler's queue hold the first pending subjobs of the array
 * job j exactly while j is queued (not held, not deferred); none else
 * (sched_job_sync calls it for an array job). */
void array_sync (struct ctld *ctx, struct ctld_job *j);

/* Pending subjob of seq SEQ (a subjob seq) as a job in the table in STATE
 * (JOB_QUEUED to start it, JOB_HELD for qhold), stored; NULL when it is not
 * pending (or ENOMEM, logged). */
struct ctld_job *array_take_pending (struct ctld *ctx, int64_t seq, enum job_state state);

/* Where index INDEX of array job j stands: 'P' pending (not a job), 'J' a
 * job in the table, 'D' finished, 0 not an index of the array. */
char array_index_state (const struct ctld_job *j, int64_t index);

/* A pending subjob deleted (qdel SEQ[I]): finished without running.  The
 * whole array (qdel SEQ[]): its pending subjobs so, its running ones
 * deleted (killed); the array job finishes with its last subjob. */
int array_delete_pending (struct ctld *ctx, struct ctld_job *j, int64_t index, const char *text);
int array_delete (struct ctld *ctx, struct ctld_job *j, const char *text);

/* Whether a subjob of array job j has started (PBS's state B; false for a
 * job that is no array). */
bool array_begun (const struct ctld_job *j);

/* Array job j's subjobs that are jobs in the table, in index order: start
 * with *cursor = -1; NULL after the last.  The table must not change
 * between calls except for the state of the subjob returned. */
struct ctld_job *array_next_subjob (struct ctld *ctx, const struct ctld_job *j, int *cursor);

/* job_commit calls it for every state change of a subjob. */
void array_subjob_changed (struct ctld *ctx, struct ctld_job *sub, enum job_state old);

/* At start-up: a subjob's stored object (state F: only its status is
 * kept, 0; otherwise 1: insert it as a job); -1 when its array is unknown
 * (skipped).  Then arrays_loaded() once all are read. */
int array_load_subjob (struct ctld *ctx, struct ctld_job *sub);
void arrays_loaded (struct ctld *ctx);

/* The admission hook of the pass (pass.h, sched_limits): a subjob of an
 * array at its %MAX waits, with the sentence returned (NULL: it may
 * start); arrays_started() counts the starts within one pass. */
const char *arrays_admit (struct ctld *ctx, int64_t seq);
void arrays_started (struct ctld *ctx, int64_t seq);

/* Finished subjobs out of the table (their status kept); arrays whose
 * last subjob finished finish too.  Called before each pass. */
void arrays_retire (struct ctld *ctx);

/* What job.query shows of array job j: its own view gains PBS's
 * array_indices_submitted, array_indices_remaining, array_state_count and
 * state B once a subjob has started.  array_view_subjob: the view of
 * position POS (not a job: pending, or finished with its status) built
 * from the array's view V; NULL for a position that is a job in the table
 * (its own view is used) or ENOMEM. */
void array_view (const struct ctld *ctx, const struct ctld_job *j, json_t *v);
json_t *array_view_subjob (const struct ctld *ctx, const struct ctld_job *j, const json_t *v,
                           int64_t pos);
int64_t array_size (const struct ctld_job *j);
int64_t array_pos_of (const struct ctld_job *j, int64_t index); /* -1: not one */
int64_t array_index_at (const struct ctld_job *j, int64_t pos);

/* Take the finished subjobs out of the table (jobs.c), each handed to
 * retire() before it is freed; nothing to do unless one finished since. */
void jobs_remove_finished_subjobs (struct ctld *ctx,
                                   void (*retire) (struct ctld *, struct ctld_job *));

#endif
