/* Unit tests for common/herror: the error text users see. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "common/herror.h"
#include "common/utf8.h"

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

/* Quoting user text: short, cut at a character, printable, valid UTF-8. */
static void show_quotes_short (void **state)
{
    char buf[HERROR_SHOW_SIZE], small[8];
    char big[1000];

    assert_string_equal (herror_show ("abc", 3, buf, sizeof (buf)), "abc");
    assert_string_equal (herror_show ("abcdef", 2, buf, sizeof (buf)), "ab");
    assert_string_equal (herror_show ("", 0, buf, sizeof (buf)), "");
    memset (big, 'x', sizeof (big));
    herror_show (big, sizeof (big), buf, sizeof (buf));
    assert_int_equal (strlen (buf), sizeof (buf) - 4 + 3);
    assert_string_equal (buf + strlen (buf) - 3, "...");
    /* Exactly what fits is not cut. */
    assert_string_equal (herror_show ("1234567", 7, small, sizeof (small)), "1234567");
    assert_string_equal (herror_show ("12345678", 8, small, sizeof (small)), "1234...");
    /* Bad bytes and control characters become '?'. */
    assert_string_equal (herror_show ("a\xff"
                                      "b\n\x7f",
                                      5, buf, sizeof (buf)),
                         "a?b??");
    /* A 3-byte character that does not fit whole is left out. */
    assert_string_equal (herror_show ("123\xe2\x82\xac"
                                      "5678",
                                      10, small, sizeof (small)),
                         "123...");
    assert_string_equal (herror_show ("\xc3\xa9t\xc3\xa9", 5, small, sizeof (small)),
                         "\xc3\xa9t\xc3\xa9");
}

/* jansson's rules: what utf8 accepts, json_string() accepts. */
static void utf8_rules (void **state)
{
    static const struct {
        const char *s;
        bool valid;
    } cases[] = {
        {"plain", true},
        {"caf\xc3\xa9", true},
        {"\xe2\x82\xac", true},
        {"\xf0\x9f\x98\x80", true},
        {"\xf4\x8f\xbf\xbf", true}, /* U+10FFFF */
        {"caf\xe9", false},         /* Latin-1 */
        {"\xff", false},
        {"\x80", false},             /* lone continuation */
        {"\xc0\xaf", false},         /* overlong '/' */
        {"\xe0\x80\xaf", false},     /* overlong */
        {"\xf0\x80\x80\xaf", false}, /* overlong */
        {"\xed\xa0\x80", false},     /* surrogate U+D800 */
        {"\xf4\x90\x80\x80", false}, /* U+110000 */
        {"\xe2\x82", false},         /* truncated */
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        if (utf8_valid (cases[i].s) != cases[i].valid)
            fail_msg ("case %zu: utf8_valid should be %d", i, cases[i].valid);
    }
    assert_int_equal (utf8_valid_prefix ("ab\xff"
                                         "cd",
                                         5),
                      2);
    assert_int_equal (utf8_char_len ("\xe2\x82\xac", 3), 3);
    assert_int_equal (utf8_char_len ("\xe2\x82\xac", 2), 0);
    assert_int_equal (utf8_char_len ("", 0), 0);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (set_formats_and_keeps_errno),
        cmocka_unit_test (prefix_prepends),
        cmocka_unit_test (null_error_is_allowed),
        cmocka_unit_test (long_text_is_truncated_not_overflowed),
        cmocka_unit_test (show_quotes_short),
        cmocka_unit_test (utf8_rules),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
