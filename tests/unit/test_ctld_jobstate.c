/* Unit tests for scheduler/ctld/jobstate: which qhold/qrls/qdel requests a
 * job's state allows, and where a lost job goes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "scheduler/ctld/jobstate.h"

static int next_or_fail (enum job_state s, enum job_event ev, bool rerun)
{
    enum job_state next = JOB_QUEUED;
    errno = 0;
    if (job_state_next (s, ev, rerun, &next) < 0) {
        assert_int_equal (errno, EINVAL);
        return -1;
    }
    return (int)next;
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
}

static void hold_and_release (void **state)
{
    assert_int_equal (next_or_fail (JOB_QUEUED, JOB_EV_HOLD, true), JOB_HELD);
    assert_int_equal (next_or_fail (JOB_HELD, JOB_EV_HOLD, true), JOB_HELD);
    assert_int_equal (next_or_fail (JOB_HELD, JOB_EV_RELEASE, true), JOB_QUEUED);
    assert_int_equal (next_or_fail (JOB_QUEUED, JOB_EV_RELEASE, true), JOB_QUEUED);
    /* a running or finished job cannot be held (no checkpointing) */
    assert_int_equal (next_or_fail (JOB_RUNNING, JOB_EV_HOLD, true), -1);
    assert_int_equal (next_or_fail (JOB_FINISHED, JOB_EV_HOLD, true), -1);
    assert_int_equal (next_or_fail (JOB_FINISHED, JOB_EV_RELEASE, true), -1);
}

static void delete_by_state (void **state)
{
    assert_int_equal (next_or_fail (JOB_QUEUED, JOB_EV_DELETE, true), JOB_FINISHED);
    assert_int_equal (next_or_fail (JOB_HELD, JOB_EV_DELETE, true), JOB_FINISHED);
    assert_int_equal (next_or_fail (JOB_RUNNING, JOB_EV_DELETE, true), JOB_EXITING);
    assert_int_equal (next_or_fail (JOB_EXITING, JOB_EV_DELETE, true), JOB_EXITING);
    assert_int_equal (next_or_fail (JOB_FINISHED, JOB_EV_DELETE, true), -1);
}

static void start_and_end (void **state)
{
    assert_int_equal (next_or_fail (JOB_QUEUED, JOB_EV_START, true), JOB_RUNNING);
    assert_int_equal (next_or_fail (JOB_HELD, JOB_EV_START, true), -1);
    assert_int_equal (next_or_fail (JOB_RUNNING, JOB_EV_START, true), -1);
    assert_int_equal (next_or_fail (JOB_RUNNING, JOB_EV_ENDED, true), JOB_FINISHED);
    assert_int_equal (next_or_fail (JOB_EXITING, JOB_EV_ENDED, true), JOB_FINISHED);
    /* a duplicate job.ended for a finished job is not a transition */
    assert_int_equal (next_or_fail (JOB_FINISHED, JOB_EV_ENDED, true), -1);
    assert_int_equal (next_or_fail (JOB_QUEUED, JOB_EV_ENDED, true), -1);
}

static void lost_requeues_only_rerunnable_running_jobs (void **state)
{
    assert_int_equal (next_or_fail (JOB_RUNNING, JOB_EV_LOST, true), JOB_QUEUED);
    assert_int_equal (next_or_fail (JOB_RUNNING, JOB_EV_LOST, false), JOB_FINISHED);
    assert_int_equal (next_or_fail (JOB_EXITING, JOB_EV_LOST, true), JOB_FINISHED);
    assert_int_equal (next_or_fail (JOB_QUEUED, JOB_EV_LOST, true), -1);
    assert_true (job_state_active (JOB_RUNNING));
    assert_true (job_state_active (JOB_EXITING));
    assert_false (job_state_active (JOB_QUEUED));
    assert_false (job_state_active (JOB_FINISHED));
}

static void out_of_range_is_refused (void **state)
{
    enum job_state next;
    assert_int_equal (job_state_next ((enum job_state)9, JOB_EV_HOLD, true, &next), -1);
    assert_int_equal (job_state_next (JOB_QUEUED, (enum job_event)9, true, &next), -1);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (letters_round_trip),
        cmocka_unit_test (hold_and_release),
        cmocka_unit_test (delete_by_state),
        cmocka_unit_test (start_and_end),
        cmocka_unit_test (lost_requeues_only_rerunnable_running_jobs),
        cmocka_unit_test (out_of_range_is_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
