/* jobstate.c - PBS job state transitions (see jobstate.h) */
#include <errno.h>
#include <string.h>

#include "scheduler/ctld/jobstate.h"

static const char letters[] = {
    [JOB_QUEUED] = 'Q',  [JOB_HELD] = 'H',     [JOB_RUNNING] = 'R',
    [JOB_EXITING] = 'E', [JOB_FINISHED] = 'F',
};

char job_state_letter (enum job_state s)
{
    if ((unsigned)s >= sizeof (letters))
        return '?';
    return letters[s];
}

int job_state_parse (const char *s, enum job_state *state)
{
    if (s && strlen (s) == 1) {
        for (unsigned i = 0; i < sizeof (letters); i++) {
            if (letters[i] == s[0]) {
                *state = (enum job_state)i;
                return 0;
            }
        }
    }
    errno = EINVAL;
    return -1;
}

bool job_state_active (enum job_state s)
{
    return s == JOB_RUNNING || s == JOB_EXITING;
}

/* One row per state: the state each event leads to, -1 when not allowed.
 * JOB_EV_LOST from R depends on rerunnable and is handled in code. */
static const int transitions[5][6] = {
    /*              HOLD        RELEASE     DELETE        START        ENDED         LOST */
    [JOB_QUEUED] = {JOB_HELD, JOB_QUEUED, JOB_FINISHED, JOB_RUNNING, -1, -1},
    [JOB_HELD] = {JOB_HELD, JOB_QUEUED, JOB_FINISHED, -1, -1, -1},
    [JOB_RUNNING] = {-1, -1, JOB_EXITING, -1, JOB_FINISHED, JOB_QUEUED},
    [JOB_EXITING] = {-1, -1, JOB_EXITING, -1, JOB_FINISHED, JOB_FINISHED},
    [JOB_FINISHED] = {-1, -1, -1, -1, -1, -1},
};

int job_state_next (enum job_state s, enum job_event ev, bool rerunnable, enum job_state *next)
{
    if ((unsigned)s > JOB_FINISHED || (unsigned)ev > JOB_EV_LOST)
        goto invalid;
    int to = transitions[s][ev];
    if (to < 0)
        goto invalid;
    if (s == JOB_RUNNING && ev == JOB_EV_LOST && !rerunnable)
        to = JOB_FINISHED;
    *next = (enum job_state)to;
    return 0;
invalid:
    errno = EINVAL;
    return -1;
}
