/* utf8.h - is this text UTF-8?
 *
 * The wire is JSON, and JSON text is UTF-8: jansson refuses to make a
 * string of anything else.  Code that puts user text on the wire checks it
 * here first, so that it can say which line or argument is at fault instead
 * of failing later without a reason.  The rules are jansson's (RFC 3629):
 * no overlong forms, no UTF-16 surrogates, nothing above U+10FFFF.
 * Pure functions; nothing to free.
 */
#ifndef HUDDLE_UTF8_H
#define HUDDLE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes in the valid UTF-8 character that starts s[0..len), 0 when the
 * bytes there are not one (or len is 0). */
size_t utf8_char_len (const char *s, size_t len);

/* Bytes in the longest prefix of s[0..len) that is valid UTF-8: len when
 * all of it is. */
size_t utf8_valid_prefix (const char *s, size_t len);

/* Whether the string s (NUL-terminated) is valid UTF-8. */
bool utf8_valid (const char *s);

#endif
