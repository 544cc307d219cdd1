/* jobstate.h - PBS job states and the transitions huddle-ctld allows
 *
 * Pure: no I/O, no clock.  The controller asks here whether a request is
 * legal for a job's state, and what the state becomes, so the rules live in
 * one place with their own unit test (tests/unit/test_ctld_jobstate.c).
 *
 *   Q queued   --hold--> H, --delete--> F, --start--> R
 *   H held     --release--> Q, --delete--> F
 *   R running  --delete--> E (kill sent), --ended--> F, --lost--> Q or F
 *   E exiting  --ended--> F, --lost--> F
 *   F finished (final)
 *
 * Repeating a request that is already true (hold a held job, release a
 * queued one) is allowed and changes nothing, as qhold/qrls do in PBS.
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
};

enum job_event {
    JOB_EV_HOLD = 0,
    JOB_EV_RELEASE,
    JOB_EV_DELETE,
    JOB_EV_START,
    JOB_EV_ENDED, /* the agent reported the end */
    JOB_EV_LOST,  /* node down or agent forgot the job */
};

/* The PBS letter ('Q', 'H', 'R', 'E', 'F'); '?' for an unknown value. */
char job_state_letter (enum job_state s);

/* The state for a letter string ("Q", ...).  Returns 0, or -1 with errno
 * EINVAL when the string is not one of the five letters. */
int job_state_parse (const char *s, enum job_state *state);

/* Whether the job holds an allocation in this state (R and E). */
bool job_state_active (enum job_state s);

/* The state after event ev in state s.  For JOB_EV_LOST, rerunnable says
 * whether the job goes back to the queue (R only: a job being deleted, E,
 * always finishes).  Returns 0 and sets *next, or -1 with errno EINVAL when
 * ev is not allowed in s ("Request invalid for state of job" in PBS). */
int job_state_next (enum job_state s, enum job_event ev, bool rerunnable, enum job_state *next);

#endif
