/* jobstate.h - PBS job states and the transitions huddle-ctld allows
 *
 * Pure: no I/O, no clock.  Every change of a job goes through one function
 * of the controller (job_update(), jobs.c), and that function asks here
 * what the state becomes, so the rules live in one place with their own
 * unit test (tests/unit/test_ctld_jobstate.c, which checks every event in
 * every state).
 *
 *   (new)      --submit--> Q, or H when submitted with a hold
 *   Q queued   --hold--> H, --delete--> F, --start--> R
 *   H held     --release--> Q (H while another kind of hold remains: a
 *              user's qhold, the system's hold of a job waiting on its
 *              dependencies), --hold--> H, --delete--> F
 *   R running  --delete--> E (kill sent), --ended--> F,
 *              --retry--> Q, or H once its retries are used up,
 *              --lost--> Q (rerunnable) or F,
 *              --node-down--> R (rerunnable: it waits for the fence) or F
 *   Q, H, R    --alter--> the same state (qalter, qmove; jobmsg.c decides
 *              which attributes a running job may change)
 *   E exiting  --ended--> F, --lost/node-down--> F
 *   F finished (final)
 *
 * Repeating a request that is already true (hold a held job, release a
 * queued one, delete a job being deleted) is allowed and changes nothing,
 * as qhold/qrls/qdel do in PBS.
 */
#ifndef HUDDLE_CTLD_JOBSTATE_H
#define HUDDLE_CTLD_JOBSTATE_H

#include <stdbool.h>

enum job_state {
    JOB_QUEUED = 0,
    JOB_HELD,
    JOB_RUNNING,
    JOB_EXITING,
    JOB_FINISHED,
    JOB_NEW, /* not in the table yet (before submit); never stored */
};

enum job_event {
    JOB_EV_SUBMIT = 0,
    JOB_EV_HOLD,
    JOB_EV_RELEASE,
    JOB_EV_DELETE,
    JOB_EV_START,
    JOB_EV_ENDED,     /* the agent reported the end, or refused the launch */
    JOB_EV_RETRY,     /* the agent could not start it and says try again */
    JOB_EV_LOST,      /* its run is surely gone: agent forgot it, fence passed */
    JOB_EV_NODE_DOWN, /* the node of its script went down; its run may live on */
    JOB_EV_RERUN,     /* qrerun: its run, killed for it, ended: it queues again */
    JOB_EV_ALTER,     /* qalter, qmove: attributes change, the state stays */
};
#define JOB_NEVENTS (JOB_EV_ALTER + 1)

/* What besides the state decides where an event leads. */
struct job_cond {
    bool hold;         /* SUBMIT: submitted with a hold (qsub -h) */
    bool rerunnable;   /* LOST, NODE_DOWN: the job may run again (qsub -r y) */
    bool retries_left; /* RETRY: it has not used up its starts yet */
    bool holds_left;   /* RELEASE: another kind of hold remains (job.h) */
};

/* The PBS letter ('Q', 'H', 'R', 'E', 'F'); '?' for JOB_NEW or an unknown
 * value. */
char job_state_letter (enum job_state s);

/* The state for a letter string ("Q", ...).  Returns 0, or -1 with errno
 * EINVAL when the string is not one of the five letters. */
int job_state_parse (const char *s, enum job_state *state);

/* Whether the job holds an allocation in this state (R and E). */
bool job_state_active (enum job_state s);

/* The state after event ev in state s under cond (NULL: all false).
 * Returns 0 and sets *next, or -1 with errno EINVAL when ev is not allowed
 * in s ("Request invalid for state of job" in PBS). */
int job_state_next (enum job_state s, enum job_event ev, const struct job_cond *cond,
                    enum job_state *next);

#endif
