/* Unit tests for scheduler/ctld/queues: the option "queues" as a site
 * writes it (keys, defaults, the default queue), each kind of mistake
 * refused with a sentence naming the queue and key, and the one integer
 * the scheduler's queue orders by keeping queue priority ahead of job
 * priority. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scheduler/ctld/queues.h"

#define DAY (24 * 3600)

static void empty_is_the_default_queue (void **state)
{
    struct herror err = {""};
    struct queues *qs = queues_parse ("", "workq", DAY, &err);
    assert_non_null (qs);
    assert_int_equal (queues_count (qs), 1);
    const struct queue_conf *q = queues_get (qs, 0);
    assert_string_equal (q->name, "workq");
    assert_int_equal (q->priority, 0);
    assert_int_equal (q->default_walltime, DAY);
    assert_int_equal (q->max_walltime, 0);
    assert_int_equal (q->max_user_run, 0);
    assert_true (q->enabled);
    assert_true (q->started);
    assert_int_equal (queues_default (qs), 0);
    queues_destroy (qs);
}

static void every_key (void **state)
{
    struct herror err = {""};
    struct queues *qs = queues_parse ("workq express:priority=100,max_walltime=1:00:00,"
                                      "default_walltime=10:00,max_user_run=2;"
                                      "long:priority=-10,default_walltime=48:00:00 "
                                      "off:enabled=false,started=no capped:max_walltime=30:00",
                                      "express", DAY, &err);
    if (!qs)
        fail_msg ("%s", err.text);
    assert_int_equal (queues_count (qs), 5);
    assert_int_equal (queues_default (qs), 1);
    assert_int_equal (queues_find (qs, "long"), 2);
    assert_int_equal (queues_find (qs, "nosuch"), -1);
    const struct queue_conf *x = queues_get (qs, 1);
    assert_int_equal (x->priority, 100);
    assert_int_equal (x->max_walltime, 3600);
    assert_int_equal (x->default_walltime, 600);
    assert_int_equal (x->max_user_run, 2);
    const struct queue_conf *l = queues_get (qs, 2);
    assert_int_equal (l->priority, -10);
    assert_int_equal (l->default_walltime, 48 * 3600);
    const struct queue_conf *o = queues_get (qs, 3);
    assert_false (o->enabled);
    assert_false (o->started);
    /* a cap without a default: jobs that ask for no walltime get the cap */
    assert_int_equal (queues_get (qs, 4)->default_walltime, 1800);
    assert_null (queues_get (qs, 5));
    queues_destroy (qs);
}

static void mistakes_are_named (void **state)
{
    static const struct {
        const char *spec, *dflt, *msg;
    } cases[] = {
        {"workq", "batch", "option default_queue: \"batch\" is not one of option queues"},
        {"workq workq", "workq", "option queues: queue workq is listed twice"},
        {"workq:priority=2000", "workq",
         "option queues: workq: priority \"2000\": not a number from -1024 to 1023"},
        {"workq:max_user_run=-1", "workq",
         "option queues: workq: max_user_run \"-1\": not a number >= 0"},
        {"workq:enabled=maybe", "workq",
         "option queues: workq: enabled \"maybe\": not true or false"},
        {"workq:max_walltime=1:xx", "workq",
         "option queues: workq: max_walltime \"1:xx\": seconds are not a number"},
        {"workq:colour=red", "workq",
         "option queues: workq: unknown key \"colour\" (priority, default_walltime, "
         "max_walltime, max_user_run, enabled, started)"},
        {"workq:priority", "workq", "option queues: workq: \"priority\" is not KEY=VALUE"},
        {"workq:priority=1,priority=2", "workq", "option queues: workq: priority given twice"},
        {"workq:default_walltime=2:00:00,max_walltime=1:00:00", "workq",
         "option queues: workq: default_walltime (7200s) is above max_walltime (3600s)"},
        {"-bad", "workq",
         "option queues: \"-bad\": a queue name must start with a letter or a digit"},
        {"a@b", "workq", "option queues: \"a@b\": a queue name has no '@'"},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        struct herror err = {""};
        struct queues *qs = queues_parse (cases[i].spec, cases[i].dflt, DAY, &err);
        if (qs)
            fail_msg ("\"%s\" was accepted", cases[i].spec);
        assert_string_equal (err.text, cases[i].msg);
    }
}

/* Any job of a higher queue sorts ahead of any job of a lower one, over the
 * whole range of job priorities; within a queue the job priority decides. */
static void queue_priority_first (void **state)
{
    assert_true (queues_sched_priority (1, -1024) > queues_sched_priority (0, 1023));
    assert_true (queues_sched_priority (0, -1024) > queues_sched_priority (-1, 1023));
    assert_true (queues_sched_priority (1023, -1024) > queues_sched_priority (1022, 1023));
    assert_true (queues_sched_priority (-1023, -1024) > queues_sched_priority (-1024, 1023));
    assert_true (queues_sched_priority (5, 10) > queues_sched_priority (5, 9));
    assert_int_equal (queues_sched_priority (0, 7), 7);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (empty_is_the_default_queue),
        cmocka_unit_test (every_key),
        cmocka_unit_test (mistakes_are_named),
        cmocka_unit_test (queue_priority_first),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
