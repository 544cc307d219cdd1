/* Unit tests for scheduler/ctld/convert: a job's stored allocation must come
 * back exactly (a restarted controller re-claims it), malformed ones are
 * refused with the member named, and a node's topology model becomes the
 * snapshot description the scheduler places on. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scheduler/ctld/convert.h"

static struct sched_alloc *two_node_alloc (void)
{
    struct sched_alloc *a = sched_alloc_create (42);
    int c1[] = {0, 1}, p1[] = {0, 1}, g1[] = {3};
    int c2[] = {5}, p2[] = {10, 11};
    struct rset_node n1 = {.name = "n01",
                           .ncores = 2,
                           .cores = c1,
                           .npus = 2,
                           .pus = p1,
                           .ngpus = 1,
                           .gpus = g1,
                           .mem = 1 << 20,
                           .nranks = 2};
    struct rset_node n2 = {
        .name = "n02", .ncores = 1, .cores = c2, .npus = 2, .pus = p2, .mem = 0, .nranks = 1};
    assert_non_null (a);
    assert_int_equal (sched_alloc_add (a, &n1), 0);
    assert_int_equal (sched_alloc_add (a, &n2), 0);
    return a;
}

static void alloc_round_trip (void **state)
{
    struct sched_alloc *a = two_node_alloc();
    json_t *arr = convert_alloc_to_json (a);
    struct herror err = {""};
    assert_non_null (arr);
    assert_int_equal (json_array_size (arr), 2);
    assert_string_equal (json_string_value (json_object_get (json_array_get (arr, 0), "node")),
                         "n01");

    struct sched_alloc *b = convert_alloc_from_json (42, true, arr, &err);
    assert_non_null (b);
    assert_true (sched_alloc_exclusive (b));
    assert_int_equal (sched_alloc_nnodes (b), 2);
    const struct rset_node *x = sched_alloc_node (b, 0);
    assert_string_equal (x->name, "n01");
    assert_int_equal (x->ncores, 2);
    assert_int_equal (x->cores[1], 1);
    assert_int_equal (x->ngpus, 1);
    assert_int_equal (x->gpus[0], 3);
    assert_int_equal (x->mem, 1 << 20);
    assert_int_equal (x->nranks, 2);
    const struct rset_node *y = sched_alloc_node (b, 1);
    assert_string_equal (y->name, "n02");
    assert_int_equal (y->npus, 2);
    assert_int_equal (y->pus[1], 11);
    json_decref (arr);
    sched_alloc_destroy (a);
    sched_alloc_destroy (b);
}

static void bad_allocations_are_refused (void **state)
{
    const char *cases[][2] = {
        {"[]", "non-empty"},
        {"{}", "non-empty"},
        {"[1]", "allocation[0]"},
        {"[{\"cores\":[],\"pus\":[],\"gpus\":[],\"mem\":0}]", "\"node\""},
        {"[{\"node\":\"a\",\"cores\":[-1],\"pus\":[],\"gpus\":[],\"mem\":0}]", "cores[0]"},
        {"[{\"node\":\"a\",\"cores\":[\"x\"],\"pus\":[],\"gpus\":[],\"mem\":0}]", "cores[0]"},
        {"[{\"node\":\"a\",\"cores\":[],\"pus\":[],\"gpus\":[],\"mem\":-5}]", "\"mem\""},
        {"[{\"node\":\"a\",\"cores\":[],\"pus\":[],\"gpus\":[],\"mem\":0},"
         "{\"node\":\"a\",\"cores\":[],\"pus\":[],\"gpus\":[],\"mem\":0}]",
         "twice"},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        struct herror err = {""};
        json_t *arr = json_loads (cases[i][0], 0, NULL);
        assert_non_null (arr);
        errno = 0;
        assert_null (convert_alloc_from_json (1, false, arr, &err));
        assert_int_equal (errno, EINVAL);
        if (!strstr (err.text, cases[i][1]))
            fail_msg ("case %zu: \"%s\" does not mention %s", i, err.text, cases[i][1]);
        json_decref (arr);
    }
}

static void topology_becomes_snapshot_node (void **state)
{
    struct herror err = {""};
    struct topo_node *t = topo_node_load_synthetic ("pack:2 numa:1 core:4 pu:2", &err);
    struct sched_node_desc d;
    if (!t)
        skip();
    assert_int_equal (convert_desc_from_topo ("n01", t, true, &d), 0);
    assert_string_equal (d.name, "n01");
    assert_true (d.usable);
    assert_int_equal (d.ncores, 8);
    assert_int_equal (d.ngpus, 0);
    assert_int_equal (d.cores[0].npus, 2);
    assert_int_equal (d.cores[7].numa, t->numas[t->cores[7].numa].os_index);

    struct sched_snapshot *s = sched_snapshot_create();
    assert_int_equal (sched_snapshot_add_node (s, &d), 0);
    struct sched_node_usage u;
    assert_int_equal (sched_snapshot_node_usage (s, "n01", &u), 0);
    assert_int_equal (u.ncores, 8);
    sched_snapshot_destroy (s);
    convert_desc_clear (&d);
    topo_node_destroy (t);
}

/* Linux core ids restart at 0 on every package (the GPU fixture is written
 * that way, as real 2-socket exports are): such a node must still become a
 * snapshot node, with GPU-local cores naming the right cores. */
static void repeated_core_ids_are_accepted (void **state)
{
    struct herror err = {""};
    struct topo_node *t = topo_node_load_xml (FIXTURE_DIR "/topology/two-socket-gpu.xml", &err);
    struct sched_node_desc d;
    assert_non_null (t);
    assert_int_equal (t->cores[0].os_index, t->cores[4].os_index);
    assert_int_equal (convert_desc_from_topo ("gpu01", t, true, &d), 0);
    assert_int_equal (d.ncores, 8);
    assert_int_equal (d.ngpus, 2);
    assert_int_equal (d.gpus[1].ncores, 4);
    assert_int_equal (d.gpus[1].cores[0], 4); /* package 1's first core */
    struct sched_snapshot *s = sched_snapshot_create();
    assert_int_equal (sched_snapshot_add_node (s, &d), 0);
    sched_snapshot_destroy (s);
    convert_desc_clear (&d);
    topo_node_destroy (t);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (alloc_round_trip),
        cmocka_unit_test (bad_allocations_are_refused),
        cmocka_unit_test (topology_becomes_snapshot_node),
        cmocka_unit_test (repeated_core_ids_are_accepted),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
