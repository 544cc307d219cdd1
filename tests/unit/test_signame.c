/* Unit tests for common/signame: names, "SIG" names and numbers, refusals. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/signame.h"

static void names_and_numbers (void **state)
{
    (void)state;
    assert_int_equal (signame_parse ("TERM"), SIGTERM);
    assert_int_equal (signame_parse ("SIGUSR1"), SIGUSR1);
    assert_int_equal (signame_parse ("9"), 9);
    assert_string_equal (signame_name (SIGKILL), "KILL");
    assert_null (signame_name (SIGSEGV));
}

static void refusals (void **state)
{
    (void)state;
    const char *bad[] = {"", "term", "SIG", "0", "-1", "9x", "100000", "suspend"};
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        errno = 0;
        assert_int_equal (signame_parse (bad[i]), -1);
        assert_int_equal (errno, EINVAL);
    }
    assert_int_equal (signame_parse (NULL), -1);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (names_and_numbers),
        cmocka_unit_test (refusals),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
