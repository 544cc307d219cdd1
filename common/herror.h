/* herror.h - error text for code that parses user input
 *
 * Functions that read something a person wrote (a job script, a config file,
 * a topology file, a wire message) fill a struct herror with one sentence the
 * person can act on, e.g.
 *     script line 3: walltime "1:xx:00": minutes are not a number
 * and return -1 or NULL with errno set.  Libraries never print it: the
 * program that called them decides where the text goes.
 *
 * The struct is plain storage owned by the caller; nothing to free.
 */
#ifndef HUDDLE_HERROR_H
#define HUDDLE_HERROR_H

#include <stddef.h>

#define HERROR_TEXT_MAX 512

struct herror {
    char text[HERROR_TEXT_MAX];
};

/* Format a message into err (which may be NULL: then nothing happens).
 * Keeps errno.  Returns -1 so that callers can write
 *     return herror_set (err, "line %d: ...", n);
 */
int herror_set (struct herror *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Put "PREFIX: " in front of the text already in err.  Keeps errno. */
void herror_prefix (struct herror *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* A piece of user text to quote in a message, kept short: the whole value
 * of a 100 KB option says nothing more than its first words.  Writes s[0..len)
 * into buf (size bytes), cut at a character boundary with "..." when it
 * does not fit; bytes that are not UTF-8 and control characters show as '?'
 * (the message must stay printable, and valid UTF-8 on the wire).  A buffer
 * of HERROR_SHOW_SIZE keeps about 32 characters.  Returns buf. */
#define HERROR_SHOW_SIZE 40
const char *herror_show (const char *s, size_t len, char *buf, size_t size);

#endif
