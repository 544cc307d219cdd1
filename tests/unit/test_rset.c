/* Unit tests for common/idset and common/rset: the set types under every
 * allocation, and the one "allocation" codec the controller and the agent
 * share (same members, defaults and bounds on both sides; what one writes
 * the other reads back unchanged). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/idset.h"
#include "common/rset.h"

/* ---- idset ---- */

static void idset_ranges_round_trip (void **state)
{
    (void)state;
    const char *cases[][2] = {
        {"", ""},       {"0", "0"},         {"0-3,8", "0-3,8"},    {"8,0-3", "0-3,8"},
        {"1,2", "1-2"}, {"0-2,1-5", "0-5"}, {"63,64,65", "63-65"}, {"1048575", "1048575"},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        struct idset *s = idset_decode (cases[i][0]);
        assert_non_null (s);
        char *text = idset_encode (s);
        assert_non_null (text);
        assert_string_equal (text, cases[i][1]);
        struct idset *again = idset_decode (text);
        assert_true (idset_equal (s, again));
        free (text);
        idset_destroy (again);
        idset_destroy (s);
    }
}

static void idset_refuses_malformed_text (void **state)
{
    (void)state;
    const char *bad[] = {"1-", "3-1", "a",       "1,,2",      "1,", ",1",
                         " 1", "-1",  "1048576", "0-1048576", "1 ", "+1"};
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        errno = 0;
        if (idset_decode (bad[i]))
            fail_msg ("\"%s\" was accepted", bad[i]);
        assert_int_equal (errno, EINVAL);
    }
    assert_null (idset_decode (NULL));
}

static void idset_set_clear_iterate (void **state)
{
    (void)state;
    struct idset *s = idset_create();
    assert_non_null (s);
    assert_int_equal (idset_first (s), -1);
    assert_int_equal (idset_set (s, 5), 0);
    assert_int_equal (idset_set (s, 200), 0);
    assert_int_equal (idset_set (s, 5), 0);
    assert_int_equal (idset_set (s, IDSET_MAX_ID + 1), -1);
    assert_int_equal (errno, EINVAL);
    assert_int_equal (idset_count (s), 2);
    assert_true (idset_test (s, 200));
    assert_false (idset_test (s, 6));
    assert_false (idset_test (s, 100000)); /* beyond the bitmap */
    assert_int_equal (idset_first (s), 5);
    assert_int_equal (idset_next (s, 5), 200);
    assert_int_equal (idset_next (s, 200), -1);
    assert_int_equal (idset_clear (s, 5), 0);
    assert_int_equal (idset_clear (s, 99999), 0); /* absent: fine */
    assert_int_equal (idset_first (s), 200);
    struct idset *t = idset_decode ("200");
    assert_true (idset_equal (s, t));
    idset_destroy (t);
    idset_destroy (s);
}

/* ---- rset ---- */

static void rset_add_merges_a_node_and_keeps_order (void **state)
{
    (void)state;
    struct rset *r = rset_create();
    int c1[] = {4}, c2[] = {1}, p[] = {9};
    struct rset_node a = {"n02", 1, c1, 1, p, 0, NULL, 100, 1};
    struct rset_node b = {"n01", 1, c2, 0, NULL, 0, NULL, 5, 2};
    struct rset_node a2 = {"n02", 1, c2, 0, NULL, 0, NULL, 50, 3};
    assert_int_equal (rset_add (r, &a), 0);
    assert_int_equal (rset_add (r, &b), 0);
    assert_int_equal (rset_add (r, &a2), 0);
    assert_int_equal (rset_nnodes (r), 2);
    const struct rset_node *n = rset_node (r, 0);
    assert_string_equal (n->name, "n02"); /* order of first appearance */
    assert_int_equal (n->ncores, 2);
    assert_int_equal (n->cores[0], 4);
    assert_int_equal (n->cores[1], 1);
    assert_int_equal (n->mem, 150);
    assert_int_equal (n->nranks, 4);
    assert_int_equal (rset_find (r, "n01"), 1);
    assert_int_equal (rset_find (r, "n03"), -1);
    assert_int_equal (rset_total_cores (r), 3);
    assert_int_equal (rset_total_mem (r), 155);
    assert_null (rset_node (r, 2));
    struct rset_node bad = {"", 0, NULL, 0, NULL, 0, NULL, 0, 0};
    assert_int_equal (rset_add (r, &bad), -1);
    assert_int_equal (errno, EINVAL);
    rset_destroy (r);
}

static void rset_window_is_start_plus_walltime (void **state)
{
    (void)state;
    struct rset *r = rset_create();
    assert_int_equal (rset_start (r), 0);
    assert_true (rset_end (r) == RSET_NO_END);
    rset_set_window (r, 1000, 3600);
    assert_int_equal (rset_start (r), 1000);
    assert_int_equal (rset_end (r), 4600);
    rset_set_window (r, 1000, 0); /* no walltime: no known end */
    assert_true (rset_end (r) == RSET_NO_END);
    rset_set_window (r, 1000, INT64_MAX); /* no overflow */
    assert_true (rset_end (r) == RSET_NO_END);
    rset_destroy (r);
}

/* What the encoder writes decodes to the same set, and encodes to the same
 * text again: controller -> store -> controller, controller -> agent. */
static void codec_round_trips (void **state)
{
    (void)state;
    struct rset *r = rset_create();
    int c1[] = {3, 0, 1}, p1[] = {6, 0, 2}, g1[] = {1};
    int c2[] = {7}, p2[] = {14, 15};
    struct rset_node a = {"node01", 3, c1, 3, p1, 1, g1, UINT64_C (1) << 40, 3};
    struct rset_node b = {"node02", 1, c2, 2, p2, 0, NULL, 0, RSET_MAX_MPIPROCS};
    assert_int_equal (rset_add (r, &a), 0);
    assert_int_equal (rset_add (r, &b), 0);
    json_t *j = rset_to_json (r);
    assert_non_null (j);
    struct herror err = {""};
    struct rset *back = rset_from_json (j, &err);
    if (!back)
        fail_msg ("%s", err.text);
    assert_int_equal (rset_nnodes (back), 2);
    for (int i = 0; i < 2; i++) {
        const struct rset_node *x = rset_node (r, i), *y = rset_node (back, i);
        assert_string_equal (x->name, y->name);
        assert_int_equal (x->ncores, y->ncores);
        assert_memory_equal (x->cores, y->cores, (size_t)x->ncores * sizeof (int));
        assert_int_equal (x->npus, y->npus);
        assert_memory_equal (x->pus, y->pus, (size_t)x->npus * sizeof (int));
        assert_int_equal (x->ngpus, y->ngpus);
        assert_int_equal (x->mem, y->mem);
        assert_int_equal (x->nranks, y->nranks);
    }
    json_t *j2 = rset_to_json (back);
    assert_true (json_equal (j, j2));
    char *text = json_dumps (j, JSON_COMPACT);
    assert_string_equal (text, "[{\"node\":\"node01\",\"cores\":[3,0,1],\"pus\":[6,0,2],"
                               "\"gpus\":[1],\"mem\":1099511627776,\"mpiprocs\":3},"
                               "{\"node\":\"node02\",\"cores\":[7],\"pus\":[14,15],\"gpus\":[],"
                               "\"mem\":0,\"mpiprocs\":6400000}]");
    free (text);
    json_decref (j);
    json_decref (j2);
    rset_destroy (back);
    rset_destroy (r);
}

/* The one rule: node and pus required; cores, gpus, mem, mpiprocs
 * optional with defaults empty, 0 and 1. */
static void codec_defaults (void **state)
{
    (void)state;
    json_t *j = json_loads ("[{\"node\":\"n0\",\"pus\":[0]}]", 0, NULL);
    struct herror err = {""};
    struct rset *r = rset_from_json (j, &err);
    if (!r)
        fail_msg ("%s", err.text);
    const struct rset_node *n = rset_node (r, 0);
    assert_int_equal (n->ncores, 0);
    assert_int_equal (n->ngpus, 0);
    assert_int_equal (n->mem, 0);
    assert_int_equal (n->nranks, 1);
    rset_destroy (r);
    json_decref (j);
}

static void codec_refuses_what_is_out_of_bounds (void **state)
{
    (void)state;
    const char *cases[][2] = {
        {"[]", "non-empty"},
        {"{}", "non-empty"},
        {"[1]", "allocation[0]: must be an object"},
        {"[{\"pus\":[0]}]", "allocation[0]: member \"node\""},
        {"[{\"node\":\"\",\"pus\":[0]}]", "\"node\""},
        {"[{\"node\":\"n012345678901234567890123456789012345678901234567890123456789xyz\","
         "\"pus\":[0]}]",
         "\"node\""},
        {"[{\"node\":\"a\"}]", "\"pus\" is missing"},
        {"[{\"node\":\"a\",\"pus\":[0],\"cores\":[-1]}]", "cores[0]"},
        {"[{\"node\":\"a\",\"pus\":[0],\"cores\":[65536]}]", "cores[0]"},
        {"[{\"node\":\"a\",\"pus\":[0],\"cores\":[\"x\"]}]", "cores[0]"},
        {"[{\"node\":\"a\",\"pus\":[0],\"cores\":[2,1,2]}]", "cores[2]: listed twice"},
        {"[{\"node\":\"a\",\"pus\":[0],\"gpus\":3}]", "\"gpus\" must be an array"},
        {"[{\"node\":\"a\",\"pus\":[0],\"mem\":-5}]", "\"mem\""},
        {"[{\"node\":\"a\",\"pus\":[0],\"mpiprocs\":-1}]", "\"mpiprocs\""},
        {"[{\"node\":\"a\",\"pus\":[0],\"mpiprocs\":6400001}]", "\"mpiprocs\""},
        {"[{\"node\":\"a\",\"pus\":[0]},{\"node\":\"b\",\"pus\":[0]},{\"node\":\"a\",\"pus\":[1]}]",
         "allocation[2]: node a appears twice"},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        struct herror err = {""};
        json_t *arr = json_loads (cases[i][0], 0, NULL);
        assert_non_null (arr);
        errno = 0;
        assert_null (rset_from_json (arr, &err));
        assert_int_equal (errno, EINVAL);
        if (!strstr (err.text, cases[i][1]))
            fail_msg ("case %zu: \"%s\" does not mention %s", i, err.text, cases[i][1]);
        json_decref (arr);
    }
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (idset_ranges_round_trip),
        cmocka_unit_test (idset_refuses_malformed_text),
        cmocka_unit_test (idset_set_clear_iterate),
        cmocka_unit_test (rset_add_merges_a_node_and_keeps_order),
        cmocka_unit_test (rset_window_is_start_plus_walltime),
        cmocka_unit_test (codec_round_trips),
        cmocka_unit_test (codec_defaults),
        cmocka_unit_test (codec_refuses_what_is_out_of_bounds),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
