/* Unit tests for common/herror: the error text users see. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "common/herror.h"

static void set_formats_and_keeps_errno (void **state)
{
    struct herror err;
    errno = EINVAL;
    assert_int_equal (herror_set (&err, "line %d: %s", 3, "bad"), -1);
    assert_int_equal (errno, EINVAL);
    assert_string_equal (err.text, "line 3: bad");
}

static void prefix_prepends (void **state)
{
    struct herror err;
    herror_set (&err, "minutes are not a number");
    errno = ENOENT;
    herror_prefix (&err, "script line %d", 4);
    assert_int_equal (errno, ENOENT);
    assert_string_equal (err.text, "script line 4: minutes are not a number");
}

static void null_error_is_allowed (void **state)
{
    assert_int_equal (herror_set (NULL, "x"), -1);
    herror_prefix (NULL, "y");
}

static void long_text_is_truncated_not_overflowed (void **state)
{
    struct herror err;
    char big[2 * HERROR_TEXT_MAX];
    memset (big, 'a', sizeof (big) - 1);
    big[sizeof (big) - 1] = '\0';
    herror_set (&err, "%s", big);
    assert_int_equal (strlen (err.text), HERROR_TEXT_MAX - 1);
    herror_prefix (&err, "p");
    assert_int_equal (strlen (err.text), HERROR_TEXT_MAX - 1);
    assert_memory_equal (err.text, "p: aaa", 6);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (set_formats_and_keeps_errno),
        cmocka_unit_test (prefix_prepends),
        cmocka_unit_test (null_error_is_allowed),
        cmocka_unit_test (long_text_is_truncated_not_overflowed),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
