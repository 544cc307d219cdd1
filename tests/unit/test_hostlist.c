/* Unit tests for common/hostlist: Slurm host ranges, expanded and
 * compressed, and the sentences bad ranges get. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/hostlist.h"

/* STR decodes to the space-separated NAMES and encodes back to ENCODED. */
static void check (const char *str, const char *names, const char *encoded)
{
    struct herror err = {{0}};
    struct hostlist *hl = hostlist_decode (str, &err);
    char buf[4096] = "";

    assert_non_null (hl);
    for (size_t i = 0; i < hostlist_count (hl); i++) {
        if (i)
            strcat (buf, " ");
        strcat (buf, hostlist_nth (hl, i));
    }
    assert_string_equal (buf, names);
    char *enc = hostlist_encode (hl);
    assert_non_null (enc);
    assert_string_equal (enc, encoded);
    free (enc);
    hostlist_destroy (hl);
}

static void expands_ranges (void **state)
{
    check ("node[01-04,09]", "node01 node02 node03 node04 node09", "node[01-04,09]");
    check ("node[8-11]", "node8 node9 node10 node11", "node[8-11]");
    check ("node[08-11]", "node08 node09 node10 node11", "node[08-11]");
    check ("login1,node[1-2]", "login1 node1 node2", "login1,node[1-2]");
    check ("rack[1-2]-ib", "rack1-ib rack2-ib", "rack1-ib,rack2-ib");
    check ("a,b", "a b", "a,b");
    check ("n[3]", "n3", "n3");
    check ("", "", "");
}

static void keeps_order_and_duplicates (void **state)
{
    check ("n[3-4],n[1-2]", "n3 n4 n1 n2", "n[3-4,1-2]");
    check ("n1,n1", "n1 n1", "n[1,1]");
}

static void compresses_appended_names (void **state)
{
    struct hostlist *hl = hostlist_create();
    const char *names[] = {"leaf1", "leaf2", "leaf3", "spine", "gpu007", "gpu008", "gpu010"};
    for (size_t i = 0; i < sizeof (names) / sizeof (names[0]); i++)
        assert_int_equal (hostlist_append (hl, names[i]), 0);
    char *s = hostlist_encode (hl);
    assert_string_equal (s, "leaf[1-3],spine,gpu[007-008,010]");
    free (s);
    assert_int_equal (hostlist_append (hl, ""), -1);
    assert_int_equal (errno, EINVAL);
    hostlist_destroy (hl);
}

static void bad (const char *str, int eno, const char *text)
{
    struct herror err = {{0}};
    errno = 0;
    assert_null (hostlist_decode (str, &err));
    assert_int_equal (errno, eno);
    assert_string_equal (err.text, text);
}

static void refuses_bad_ranges (void **state)
{
    bad ("node[3-1]", EINVAL, "\"node[3-1]\": range 3-1 goes backwards");
    bad ("node[1-x]", EINVAL, "\"node[1-x]\": range \"1-x\" is not a number or NUMBER-NUMBER");
    bad ("node[1-]", EINVAL, "\"node[1-]\": range \"1-\" is not a number or NUMBER-NUMBER");
    bad ("node[1,,2]", EINVAL, "\"node[1,,2]\": empty range");
    bad ("node[]", EINVAL, "\"node[]\": empty range");
    bad ("node[1-2", EINVAL, "\"node[1-2\": \"[\" is not closed");
    bad ("node1-2]", EINVAL, "\"node1-2]\": \"]\" without \"[\"");
    bad ("n[1[2]]", EINVAL, "\"n[1[2]]\": brackets nest");
    bad ("r[1-2]n[1-2]", EINVAL, "\"r[1-2]n[1-2]\": only one bracket per name is supported");
    bad ("a,,b", EINVAL, "\"\": empty host name");
    bad ("a,", EINVAL, "\"a,\": ends with a comma");
    bad ("n[1-999999999]", E2BIG, "more than 1000000 host names");
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (expands_ranges),
        cmocka_unit_test (keeps_order_and_duplicates),
        cmocka_unit_test (compresses_appended_names),
        cmocka_unit_test (refuses_bad_ranges),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
