/* base64.h - RFC 4648 base64, for bytes carried in JSON strings
 *
 * Wire messages are JSON (proto.h) and JSON strings must be UTF-8, but a
 * remote task's stdin, stdout and stderr (agent/agentd_task.c, huddle-rsh)
 * are arbitrary bytes: they travel base64-encoded (standard alphabet, with
 * '=' padding).  Pure: no I/O.
 *
 * Errors: -1 / NULL with errno (EINVAL: not base64, ENOMEM).
 */
#ifndef HUDDLE_BASE64_H
#define HUDDLE_BASE64_H

#include <stddef.h>

/* Length of the encoding of n bytes (without the NUL). */
size_t base64_encoded_len (size_t n);

/* Encode n bytes of buf.  Returns a malloc'd NUL-terminated string the
 * caller frees, NULL with ENOMEM. */
char *base64_encode (const void *buf, size_t n);

/* Decode the len characters of s (padding required, no white space) into a
 * malloc'd buffer (the caller frees it; never NULL on success, even for 0
 * bytes), its size in *n.  NULL with EINVAL when s is not base64. */
void *base64_decode (const char *s, size_t len, size_t *n);

#endif
