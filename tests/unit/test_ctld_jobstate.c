/* Unit tests for scheduler/ctld/jobstate: the transition table that
 * job_update() (scheduler/ctld/jobs.c) asks for every change of a job.
 *
 * The table below lists exactly the transitions the daemon makes, with the
 * caller that asks for each; every other (state, event) pair must be
 * refused.  tests/unit/test_ctld_jobs.c drives the same events through the
 * daemon's code. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "scheduler/ctld/jobstate.h"

#define NSTATES (JOB_NEW + 1)

/* A condition for the events that have one; "either" where it does not
 * matter. */
enum cond_case { EITHER, YES, NOT };

struct allowed {
    enum job_state from;
    enum job_event ev;
    enum cond_case cond; /* SUBMIT: hold; RETRY: retries_left; RELEASE: no holds_left;
                          * LOST, NODE_DOWN: rerunnable */
    enum job_state to;
};

static const struct allowed allowed[] = {
    /* job.submit (jobmsg.c) */
    {JOB_NEW, JOB_EV_SUBMIT, NOT, JOB_QUEUED},
    {JOB_NEW, JOB_EV_SUBMIT, YES, JOB_HELD},
    /* job.hold / job.release (qhold, qrls): repeating one is no change */
    {JOB_QUEUED, JOB_EV_HOLD, EITHER, JOB_HELD},
    {JOB_HELD, JOB_EV_HOLD, EITHER, JOB_HELD},
    {JOB_HELD, JOB_EV_RELEASE, YES, JOB_QUEUED},
    {JOB_HELD, JOB_EV_RELEASE, NOT, JOB_HELD}, /* qrls of a job that waits on dependencies */
    {JOB_QUEUED, JOB_EV_RELEASE, EITHER, JOB_QUEUED},
    /* job.delete (qdel): a waiting job ends, a running one is killed */
    {JOB_QUEUED, JOB_EV_DELETE, EITHER, JOB_FINISHED},
    {JOB_HELD, JOB_EV_DELETE, EITHER, JOB_FINISHED},
    {JOB_RUNNING, JOB_EV_DELETE, EITHER, JOB_EXITING},
    {JOB_EXITING, JOB_EV_DELETE, EITHER, JOB_EXITING},
    /* the pass (schedule.c) */
    {JOB_QUEUED, JOB_EV_START, EITHER, JOB_RUNNING},
    /* job.ended, job.launch.failed */
    {JOB_RUNNING, JOB_EV_ENDED, EITHER, JOB_FINISHED},
    {JOB_EXITING, JOB_EV_ENDED, EITHER, JOB_FINISHED},
    /* job.ended with JOB_EXEC_RETRY (never for a job being deleted) */
    {JOB_RUNNING, JOB_EV_RETRY, YES, JOB_QUEUED},
    {JOB_RUNNING, JOB_EV_RETRY, NOT, JOB_HELD},
    /* registration reconcile, fence expiry, "fenced" from the agent, a
     * sister node down, an allocation not restored at start-up */
    {JOB_RUNNING, JOB_EV_LOST, YES, JOB_QUEUED},
    {JOB_RUNNING, JOB_EV_LOST, NOT, JOB_FINISHED},
    {JOB_EXITING, JOB_EV_LOST, EITHER, JOB_FINISHED},
    /* the node of the job script down (nodes.c): wait for the fence */
    {JOB_RUNNING, JOB_EV_NODE_DOWN, YES, JOB_RUNNING},
    {JOB_RUNNING, JOB_EV_NODE_DOWN, NOT, JOB_FINISHED},
    {JOB_EXITING, JOB_EV_NODE_DOWN, EITHER, JOB_FINISHED},
    /* qrerun (jobmsg.c): the killed run ended, the job queues again;
     * deleted in between, it ends */
    {JOB_RUNNING, JOB_EV_RERUN, EITHER, JOB_QUEUED},
    {JOB_EXITING, JOB_EV_RERUN, EITHER, JOB_FINISHED},
    /* qalter, qmove (jobmsg.c): a job that waits or runs keeps its state;
     * one that is ending or ended cannot change */
    {JOB_QUEUED, JOB_EV_ALTER, EITHER, JOB_QUEUED},
    {JOB_HELD, JOB_EV_ALTER, EITHER, JOB_HELD},
    {JOB_RUNNING, JOB_EV_ALTER, EITHER, JOB_RUNNING},
};

static struct job_cond cond_for (enum job_event ev, bool value)
{
    struct job_cond c = {0};
    if (ev == JOB_EV_SUBMIT)
        c.hold = value;
    else if (ev == JOB_EV_RETRY)
        c.retries_left = value;
    else if (ev == JOB_EV_RELEASE)
        c.holds_left = !value;
    else
        c.rerunnable = value;
    return c;
}

/* What the table says, or -1 (with errno EINVAL). */
static int next_of (enum job_state s, enum job_event ev, bool value)
{
    struct job_cond c = cond_for (ev, value);
    enum job_state next = JOB_QUEUED;
    errno = 0;
    if (job_state_next (s, ev, &c, &next) < 0) {
        assert_int_equal (errno, EINVAL);
        return -1;
    }
    return (int)next;
}

/* The expected result from the list above, or -1. */
static int expected (enum job_state s, enum job_event ev, bool value)
{
    for (size_t i = 0; i < sizeof (allowed) / sizeof (allowed[0]); i++) {
        const struct allowed *a = &allowed[i];
        if (a->from != s || a->ev != ev)
            continue;
        if (a->cond == EITHER || (a->cond == YES) == value)
            return (int)a->to;
    }
    return -1;
}

static void every_event_in_every_state (void **state)
{
    int nallowed = 0;
    for (int s = 0; s < NSTATES; s++) {
        for (int ev = 0; ev < JOB_NEVENTS; ev++) {
            for (int v = 0; v < 2; v++) {
                int want = expected ((enum job_state)s, (enum job_event)ev, v);
                int got = next_of ((enum job_state)s, (enum job_event)ev, v);
                if (got != want)
                    fail_msg ("state %c (%d), event %d, condition %d: got %d, want %d",
                              job_state_letter ((enum job_state)s), s, ev, v, got, want);
                nallowed += got >= 0;
            }
        }
    }
    /* every row of the list is reached (a row with EITHER twice) */
    assert_int_equal (nallowed, 2 * 17 + 10);
}

static void finished_is_final (void **state)
{
    for (int ev = 0; ev < JOB_NEVENTS; ev++) {
        assert_int_equal (next_of (JOB_FINISHED, (enum job_event)ev, false), -1);
        assert_int_equal (next_of (JOB_FINISHED, (enum job_event)ev, true), -1);
    }
}

static void no_cond_means_all_false (void **state)
{
    enum job_state next;
    assert_int_equal (job_state_next (JOB_NEW, JOB_EV_SUBMIT, NULL, &next), 0);
    assert_int_equal (next, JOB_QUEUED);
    assert_int_equal (job_state_next (JOB_RUNNING, JOB_EV_LOST, NULL, &next), 0);
    assert_int_equal (next, JOB_FINISHED);
    assert_int_equal (job_state_next (JOB_RUNNING, JOB_EV_RETRY, NULL, &next), 0);
    assert_int_equal (next, JOB_HELD);
}

static void letters_round_trip (void **state)
{
    const char *s[] = {"Q", "H", "R", "E", "F"};
    for (int i = 0; i < 5; i++) {
        enum job_state st;
        assert_int_equal (job_state_parse (s[i], &st), 0);
        assert_int_equal (st, i);
        assert_int_equal (job_state_letter (st), s[i][0]);
    }
    enum job_state st;
    assert_int_equal (job_state_parse ("X", &st), -1);
    assert_int_equal (job_state_parse ("QQ", &st), -1);
    assert_int_equal (job_state_parse ("", &st), -1);
    assert_int_equal (job_state_parse (NULL, &st), -1);
    assert_int_equal (job_state_letter ((enum job_state)42), '?');
    assert_int_equal (job_state_letter (JOB_NEW), '?');
}

static void active_states (void **state)
{
    assert_true (job_state_active (JOB_RUNNING));
    assert_true (job_state_active (JOB_EXITING));
    assert_false (job_state_active (JOB_QUEUED));
    assert_false (job_state_active (JOB_HELD));
    assert_false (job_state_active (JOB_FINISHED));
    assert_false (job_state_active (JOB_NEW));
}

static void out_of_range_is_refused (void **state)
{
    enum job_state next;
    assert_int_equal (job_state_next ((enum job_state)9, JOB_EV_HOLD, NULL, &next), -1);
    assert_int_equal (job_state_next (JOB_QUEUED, (enum job_event)JOB_NEVENTS, NULL, &next), -1);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (every_event_in_every_state),
        cmocka_unit_test (finished_is_final),
        cmocka_unit_test (no_cond_means_all_false),
        cmocka_unit_test (letters_round_trip),
        cmocka_unit_test (active_states),
        cmocka_unit_test (out_of_range_is_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
