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

/* One row per state, one column per event: the state the event leads to,
 * -1 when it is not allowed there.  Where cond decides (see conditional()),
 * "to" is the state when the condition holds and "otherwise" the state when
 * it does not. */
struct rule {
    signed char to, otherwise;
};
#define ALWAYS(s)                                                                                  \
    {                                                                                              \
        (s), (s)                                                                                   \
    }
#define NO                                                                                         \
    {                                                                                              \
        -1, -1                                                                                     \
    }

static const struct rule transitions[JOB_NEW + 1][JOB_NEVENTS] =
    {
        [JOB_QUEUED] =
            {
                [JOB_EV_SUBMIT] = NO,
                [JOB_EV_HOLD] = ALWAYS (JOB_HELD),
                [JOB_EV_RELEASE] = ALWAYS (JOB_QUEUED),
                [JOB_EV_DELETE] = ALWAYS (JOB_FINISHED),
                [JOB_EV_START] = ALWAYS (JOB_RUNNING),
                [JOB_EV_ENDED] = NO,
                [JOB_EV_RETRY] = NO,
                [JOB_EV_LOST] = NO,
                [JOB_EV_NODE_DOWN] = NO,
                [JOB_EV_RERUN] = NO,
                [JOB_EV_ALTER] = ALWAYS (JOB_QUEUED),
            },
        [JOB_HELD] =
            {
                [JOB_EV_SUBMIT] = NO,
                [JOB_EV_HOLD] = ALWAYS (JOB_HELD),
                [JOB_EV_RELEASE] = {JOB_QUEUED, JOB_HELD},
                [JOB_EV_DELETE] = ALWAYS (JOB_FINISHED),
                [JOB_EV_START] = NO,
                [JOB_EV_ENDED] = NO,
                [JOB_EV_RETRY] = NO,
                [JOB_EV_LOST] = NO,
                [JOB_EV_NODE_DOWN] = NO,
                [JOB_EV_RERUN] = NO,
                [JOB_EV_ALTER] = ALWAYS (JOB_HELD),
            },
        [JOB_RUNNING] =
            {
                [JOB_EV_SUBMIT] = NO,
                [JOB_EV_HOLD] = NO,
                [JOB_EV_RELEASE] = NO,
                [JOB_EV_DELETE] = ALWAYS (JOB_EXITING),
                [JOB_EV_START] = NO,
                [JOB_EV_ENDED] = ALWAYS (JOB_FINISHED),
                [JOB_EV_RETRY] = {JOB_QUEUED, JOB_HELD},
                [JOB_EV_LOST] = {JOB_QUEUED, JOB_FINISHED},
                [JOB_EV_NODE_DOWN] = {JOB_RUNNING, JOB_FINISHED},
                [JOB_EV_RERUN] = ALWAYS (JOB_QUEUED),
                [JOB_EV_ALTER] = ALWAYS (JOB_RUNNING),
            },
        [JOB_EXITING] =
            {
                [JOB_EV_SUBMIT] = NO,
                [JOB_EV_HOLD] = NO,
                [JOB_EV_RELEASE] = NO,
                [JOB_EV_DELETE] = ALWAYS (JOB_EXITING),
                [JOB_EV_START] = NO,
                [JOB_EV_ENDED] = ALWAYS (JOB_FINISHED),
                [JOB_EV_RETRY] = NO, /* a job being deleted ends: ENDED */
                [JOB_EV_LOST] = ALWAYS (JOB_FINISHED),
                [JOB_EV_NODE_DOWN] = ALWAYS (JOB_FINISHED),
                [JOB_EV_RERUN] = ALWAYS (JOB_FINISHED), /* a job being deleted ends */
                [JOB_EV_ALTER] = NO,
            },
        [JOB_FINISHED] =
            {
                [JOB_EV_SUBMIT] = NO,
                [JOB_EV_HOLD] = NO,
                [JOB_EV_RELEASE] = NO,
                [JOB_EV_DELETE] = NO,
                [JOB_EV_START] = NO,
                [JOB_EV_ENDED] = NO,
                [JOB_EV_RETRY] = NO,
                [JOB_EV_LOST] = NO,
                [JOB_EV_NODE_DOWN] = NO,
                [JOB_EV_RERUN] = NO,
                [JOB_EV_ALTER] = NO,
            },
        [JOB_NEW] =
            {
                [JOB_EV_SUBMIT] = {JOB_QUEUED, JOB_HELD},
                [JOB_EV_HOLD] = NO,
                [JOB_EV_RELEASE] = NO,
                [JOB_EV_DELETE] = NO,
                [JOB_EV_START] = NO,
                [JOB_EV_ENDED] = NO,
                [JOB_EV_RETRY] = NO,
                [JOB_EV_LOST] = NO,
                [JOB_EV_NODE_DOWN] = NO,
                [JOB_EV_RERUN] = NO,
                [JOB_EV_ALTER] = NO,
            },
};

/* Whether the event's condition holds (true for events without one). */
static bool conditional (enum job_event ev, const struct job_cond *c)
{
    static const struct job_cond none = {0};
    if (!c)
        c = &none;
    switch (ev) {
    case JOB_EV_SUBMIT:
        return !c->hold;
    case JOB_EV_RETRY:
        return c->retries_left;
    case JOB_EV_RELEASE:
        return !c->holds_left;
    case JOB_EV_LOST:
    case JOB_EV_NODE_DOWN:
        return c->rerunnable;
    default:
        return true;
    }
}

int job_state_next (enum job_state s, enum job_event ev, const struct job_cond *cond,
                    enum job_state *next)
{
    if ((unsigned)s > JOB_NEW || (unsigned)ev >= JOB_NEVENTS)
        goto invalid;
    const struct rule *r = &transitions[s][ev];
    int to = conditional (ev, cond) ? r->to : r->otherwise;
    if (to < 0)
        goto invalid;
    *next = (enum job_state)to;
    return 0;
invalid:
    errno = EINVAL;
    return -1;
}
