/* Unit tests for scheduler/ctld/depend: reading a -W depend list and what
 * a parent job's state means for each type (OpenPBS's after, afterok,
 * afternotok, afterany), every type against every kind of parent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "scheduler/ctld/depend.h"

static void parse_lists (void **state)
{
    (void)state;
    struct depend_item *v;
    int n;
    struct herror err = {""};

    assert_int_equal (
        depend_parse ("afterok:12:13.srv,after:14@srv,afterany:15.srv@srv", &v, &n, &err), 0);
    assert_int_equal (n, 4);
    assert_int_equal (v[0].type, DEPEND_AFTEROK);
    assert_int_equal (v[0].seq, 12);
    assert_string_equal (v[0].server, "");
    assert_int_equal (v[1].type, DEPEND_AFTEROK);
    assert_int_equal (v[1].seq, 13);
    assert_string_equal (v[1].server, "srv");
    assert_int_equal (v[2].type, DEPEND_AFTER);
    assert_string_equal (v[2].server, "srv");
    assert_int_equal (v[3].type, DEPEND_AFTERANY);
    assert_int_equal (v[3].seq, 15);
    assert_string_equal (v[3].server, "srv");
    free (v);
    assert_int_equal (depend_parse ("afternotok:1", &v, &n, &err), 0);
    assert_int_equal (n, 1);
    assert_int_equal (v[0].type, DEPEND_AFTERNOTOK);
    free (v);
    /* more items than the first allocation */
    assert_int_equal (depend_parse ("afterany:1:2:3:4:5:6:7:8:9", &v, &n, &err), 0);
    assert_int_equal (n, 9);
    assert_int_equal (v[8].seq, 9);
    free (v);

    assert_int_equal (depend_parse ("beforeok:3", &v, &n, &err), -1);
    assert_string_equal (err.text, "beforeok dependencies are not supported: submit the later "
                                   "job with -W depend=after...:JOBID instead");
    /* a whole array, SEQ[], not one of its subjobs */
    assert_int_equal (depend_parse ("afterok:3[].srv:4", &v, &n, &err), 0);
    assert_int_equal (n, 2);
    assert_int_equal (v[0].seq, 3);
    assert_true (v[0].array);
    assert_string_equal (v[0].server, "srv");
    assert_false (v[1].array);
    free (v);
    assert_int_equal (depend_parse ("afterok:3[2]", &v, &n, &err), -1);
    assert_string_equal (err.text, "3[2]: dependencies on single subjobs are not supported (name "
                                   "the array, SEQ[])");
    assert_int_equal (depend_parse ("afterok:3[", &v, &n, &err), -1);
    assert_int_equal (depend_parse ("afterok:0", &v, &n, &err), -1);
    assert_string_equal (err.text, "\"0\" is not a job id");
    assert_int_equal (depend_parse ("", &v, &n, &err), -1);
    assert_string_equal (err.text, "no dependency given");
}

/* The parents a dependency can meet. */
enum parent_kind { WAITING, RUNNING, EXITED_0, EXITED_1, DELETED_UNRUN, REQUEUED, NKINDS };

static struct depend_parent parent (enum parent_kind k)
{
    switch (k) {
    case WAITING:
        return (struct depend_parent){0};
    case RUNNING:
    case REQUEUED: /* it ran once and waits again */
        return (struct depend_parent){.started = true};
    case EXITED_0:
        return (struct depend_parent){.started = true, .finished = true, .has_status = true};
    case EXITED_1:
        return (struct depend_parent){
            .started = true, .finished = true, .has_status = true, .exit_status = 1};
    case DELETED_UNRUN:
        return (struct depend_parent){.finished = true};
    default:
        return (struct depend_parent){0};
    }
}

static void every_type_against_every_parent (void **state)
{
    (void)state;
    static const enum depend_status want[4][NKINDS] = {
        /*                WAITING  RUNNING  EXITED_0 EXITED_1 DELETED_UNRUN REQUEUED */
        [DEPEND_AFTER] = {DEPEND_PENDING, DEPEND_MET, DEPEND_MET, DEPEND_MET, DEPEND_NEVER,
                          DEPEND_MET},
        [DEPEND_AFTEROK] = {DEPEND_PENDING, DEPEND_PENDING, DEPEND_MET, DEPEND_NEVER, DEPEND_NEVER,
                            DEPEND_PENDING},
        [DEPEND_AFTERNOTOK] = {DEPEND_PENDING, DEPEND_PENDING, DEPEND_NEVER, DEPEND_MET, DEPEND_MET,
                               DEPEND_PENDING},
        [DEPEND_AFTERANY] = {DEPEND_PENDING, DEPEND_PENDING, DEPEND_MET, DEPEND_MET, DEPEND_MET,
                             DEPEND_PENDING},
    };
    for (int t = 0; t < 4; t++) {
        for (int k = 0; k < NKINDS; k++) {
            struct depend_parent p = parent ((enum parent_kind)k);
            enum depend_status got = depend_eval ((enum depend_type)t, &p);
            if (got != want[t][k])
                fail_msg ("%s, parent kind %d: got %d, want %d",
                          depend_type_name ((enum depend_type)t), k, got, want[t][k]);
        }
    }
}

static void never_says_why (void **state)
{
    (void)state;
    char buf[128];
    struct depend_parent p = parent (EXITED_1);
    depend_never_why (&p, "12.vm", buf, sizeof (buf));
    assert_string_equal (buf, "job 12.vm ended with exit status 1");
    p = parent (DELETED_UNRUN);
    depend_never_why (&p, "12.vm", buf, sizeof (buf));
    assert_string_equal (buf, "job 12.vm finished without running");
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (parse_lists),
        cmocka_unit_test (every_type_against_every_parent),
        cmocka_unit_test (never_says_why),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
