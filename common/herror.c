#include "herror.h"

#include <errno.h>
#include <stdarg.h>
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
