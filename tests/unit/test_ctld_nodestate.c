/* Unit tests for scheduler/ctld/nodestate: the PBS state qnodes shows, the
 * heartbeat timeout, and what an agent's registration adopts, kills and
 * loses (what makes "no job runs twice" hold across restarts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "scheduler/ctld/nodestate.h"

static const char *state_of (bool offline, bool down, int ncores, int used, int njobs, bool excl)
{
    static char buf[64];
    struct node_state_in in = {
        .offline = offline,
        .down = down,
        .ncores = ncores,
        .cores_used = used,
        .njobs = njobs,
        .exclusive = excl,
    };
    node_state_format (&in, buf, sizeof (buf));
    return buf;
}

static void pbs_states (void **state)
{
    assert_string_equal (state_of (false, false, 8, 0, 0, false), "free");
    /* PBS: a node with cores left is free, however many jobs run there */
    assert_string_equal (state_of (false, false, 8, 3, 1, false), "free");
    assert_string_equal (state_of (false, false, 8, 8, 2, false), "job-busy");
    assert_string_equal (state_of (false, false, 8, 1, 1, true), "job-exclusive");
    assert_string_equal (state_of (true, false, 8, 0, 0, false), "offline");
    assert_string_equal (state_of (false, true, 8, 0, 0, false), "down");
    assert_string_equal (state_of (true, true, 8, 0, 0, false), "offline,down");
    assert_string_equal (state_of (true, false, 8, 8, 1, false), "offline,job-busy");
    assert_string_equal (state_of (true, true, 8, 1, 1, true), "offline,down,job-exclusive");
    /* a GPU-only job leaves the cores free: the node is free (PBS counts ncpus) */
    assert_string_equal (state_of (false, false, 8, 0, 1, false), "free");
    /* a node without cores (not registered yet) is not "exclusive" */
    assert_string_equal (state_of (false, true, 0, 0, 0, false), "down");
}

static void heartbeat_timeout_is_strict (void **state)
{
    assert_false (node_heartbeat_expired (100, 130, 30));
    assert_true (node_heartbeat_expired (100, 131, 30));
    assert_false (node_heartbeat_expired (100, 90, 30)); /* clock went back */
}

static void reconcile_splits_three_ways (void **state)
{
    int64_t ours[] = {7, 3, 5, 3};
    int64_t reported[] = {9, 5, 1, 7};
    int64_t adopt[4], kill[4], lost[4];
    struct node_reconcile r = {.adopt = adopt, .kill = kill, .lost = lost};

    assert_int_equal (node_reconcile (ours, 4, reported, 4, &r), 0);
    assert_int_equal (r.nadopt, 2);
    assert_int_equal (adopt[0], 5);
    assert_int_equal (adopt[1], 7);
    assert_int_equal (r.nkill, 2);
    assert_int_equal (kill[0], 1);
    assert_int_equal (kill[1], 9);
    assert_int_equal (r.nlost, 1);
    assert_int_equal (lost[0], 3);
}

static void reconcile_empty_lists (void **state)
{
    int64_t ours[] = {4};
    int64_t adopt[1], kill[1], lost[1];
    struct node_reconcile r = {.adopt = adopt, .kill = kill, .lost = lost};

    assert_int_equal (node_reconcile (NULL, 0, NULL, 0, &r), 0);
    assert_int_equal (r.nadopt + r.nkill + r.nlost, 0);
    /* a restarted agent that reports nothing: the job is lost */
    assert_int_equal (node_reconcile (ours, 1, NULL, 0, &r), 0);
    assert_int_equal (r.nlost, 1);
    assert_int_equal (lost[0], 4);
    /* an agent still running a job the controller finished: kill it */
    int64_t rep[] = {4};
    assert_int_equal (node_reconcile (NULL, 0, rep, 1, &r), 0);
    assert_int_equal (r.nkill, 1);
    assert_int_equal (kill[0], 4);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (pbs_states),
        cmocka_unit_test (heartbeat_timeout_is_strict),
        cmocka_unit_test (reconcile_splits_three_ways),
        cmocka_unit_test (reconcile_empty_lists),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
