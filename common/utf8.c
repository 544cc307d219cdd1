/* utf8.c - UTF-8 validation with jansson's rules (see utf8.h) */
#include "utf8.h"

#include <string.h>

size_t utf8_char_len (const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n;
    unsigned int cp;

    if (len == 0)
        return 0;
    if (u[0] < 0x80)
        return 1;
    if (u[0] >= 0xc2 && u[0] <= 0xdf)
        n = 2, cp = u[0] & 0x1f;
    else if (u[0] >= 0xe0 && u[0] <= 0xef)
        n = 3, cp = u[0] & 0x0f;
    else if (u[0] >= 0xf0 && u[0] <= 0xf4)
        n = 4, cp = u[0] & 0x07;
    else
        return 0; /* continuation byte, overlong lead (c0, c1) or above f4 */
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((u[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (u[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0; /* overlong, beyond Unicode, or a surrogate */
    return n;
}

size_t utf8_valid_prefix (const char *s, size_t len)
{
    size_t i = 0, n;

    while (i < len && (n = utf8_char_len (s + i, len - i)) > 0)
        i += n;
    return i;
}

bool utf8_valid (const char *s)
{
    size_t len = s ? strlen (s) : 0;
    return utf8_valid_prefix (s, len) == len;
}
