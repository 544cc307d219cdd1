#include "herror.h"
#include "utf8.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int herror_set (struct herror *err, const char *fmt, ...)
{
    int saved = errno;
    if (err) {
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (err->text, sizeof (err->text), fmt, ap);
        va_end (ap);
    }
    errno = saved;
    return -1;
}

void herror_prefix (struct herror *err, const char *fmt, ...)
{
    int saved = errno;
    if (err) {
        char old[HERROR_TEXT_MAX];
        va_list ap;
        memcpy (old, err->text, sizeof (old));
        va_start (ap, fmt);
        int n = vsnprintf (err->text, sizeof (err->text), fmt, ap);
        va_end (ap);
        size_t len = n < 0 ? 0 : (size_t)n;
        if (len < sizeof (err->text))
            snprintf (err->text + len, sizeof (err->text) - len, ": %s", old);
    }
    errno = saved;
}

/* The character of s[0..len) at i for herror_show(): the bytes it takes
 * in s (the return value) and whether it is shown as is (else as '?'). */
static size_t show_char (const char *s, size_t len, size_t i, bool *as_is)
{
    size_t n = utf8_char_len (s + i, len - i);
    unsigned char c = (unsigned char)s[i];

    *as_is = n > 1 || (n == 1 && c >= ' ' && c != 0x7f);
    return n ? n : 1;
}

const char *herror_show (const char *s, size_t len, char *buf, size_t size)
{
    size_t total = 0, i, o = 0, n;
    bool as_is;

    if (size == 0)
        return buf;
    for (i = 0; i < len; i += n) {
        n = show_char (s, len, i, &as_is);
        total += as_is ? n : 1;
    }
    /* Cut only when the whole does not fit, leaving room for "...". */
    size_t room = total < size ? size - 1 : (size > 4 ? size - 4 : 0);
    for (i = 0; i < len; i += n) {
        n = show_char (s, len, i, &as_is);
        if (o + (as_is ? n : 1) > room)
            break;
        if (as_is)
            memcpy (buf + o, s + i, n);
        else
            buf[o] = '?';
        o += as_is ? n : 1;
    }
    if (i < len && size > 4) {
        memcpy (buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}
