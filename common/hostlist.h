/* hostlist.h - lists of host names in Slurm's range syntax
 *
 * "node[01-04,09],login1" is the five names node01 node02 node03 node04
 * node09 and login1: the syntax Slurm's topology.conf, PBS_NODEFILE tools
 * and every HPC admin's fingers use (after flux-core's libhostlist).  One
 * bracket per item, optionally followed by a suffix ("rack[1-2]-ib"); inside
 * it, comma-separated numbers and ranges "lo-hi" (lo <= hi).  Zero padding
 * follows the low bound: "[08-11]" is 08 09 10 11; "[8-11]" is 8 9 10 11.
 *
 * The list keeps the order the text gave (duplicates too: the caller
 * decides whether a name twice is an error).  hostlist_encode() compresses
 * runs of names that differ only in a consecutive number of the same width
 * back into ranges, without reordering.
 *
 * Bounds: at most HOSTLIST_MAX_HOSTS names in one list (a typo such as
 * "node[1-999999999]" must not eat the machine's memory), names of at most
 * HOSTLIST_MAX_NAME bytes.
 *
 * Ownership: hostlist_create()/hostlist_decode() return a list the caller
 * frees with hostlist_destroy(); hostlist_nth() borrows; hostlist_encode()
 * returns a string the caller frees with free().
 *
 * Errors: -1 or NULL with errno set (EINVAL: malformed text, with a
 * sentence in err such as `"node[3-1]": range 3-1 goes backwards`; E2BIG:
 * too many names; ENOMEM).  Nothing here logs or exits.
 */
#ifndef HUDDLE_HOSTLIST_H
#define HUDDLE_HOSTLIST_H

#include <stddef.h>

#include "common/herror.h"

#define HOSTLIST_MAX_HOSTS 1000000
#define HOSTLIST_MAX_NAME  255

struct hostlist;

struct hostlist *hostlist_create (void);

/* NULL-safe, keeps errno. */
void hostlist_destroy (struct hostlist *hl);

/* Append one literal NAME (copied; no range expansion).  EINVAL for an
 * empty name or one longer than HOSTLIST_MAX_NAME; E2BIG; ENOMEM. */
int hostlist_append (struct hostlist *hl, const char *name);

/* The names STR denotes, in order; "" is the empty list.  NULL with errno
 * and err filled for malformed text (unclosed or nested brackets, an empty
 * item or range, a bound that is not a number, lo > hi, a second bracket in
 * one item) or a list over HOSTLIST_MAX_HOSTS. */
struct hostlist *hostlist_decode (const char *str, struct herror *err);

size_t hostlist_count (const struct hostlist *hl);

/* The I-th name (0-based), NULL when I is out of range. */
const char *hostlist_nth (const struct hostlist *hl, size_t i);

/* The list as range text, e.g. "node[01-04,09],login1"; "" when empty.
 * hostlist_decode (hostlist_encode (hl)) gives the same names in the same
 * order.  NULL + ENOMEM. */
char *hostlist_encode (const struct hostlist *hl);

#endif
