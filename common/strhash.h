/* strhash.h - one string hash for the name tables (rset, snapshot)
 *
 * FNV-1a over the bytes of a NUL-terminated string: cheap, no state, and
 * good enough for node names in open-addressed or chained tables whose
 * callers mask or reduce the result themselves.  Not for anything an
 * attacker chooses in bulk against a fixed table size: the tables using it
 * hold names the controller accepted (bounded in number and length).
 */
#ifndef HUDDLE_COMMON_STRHASH_H
#define HUDDLE_COMMON_STRHASH_H

static inline unsigned strhash (const char *s)
{
    unsigned h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

#endif
