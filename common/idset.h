/* idset.h - sets of small non-negative integers, with range strings
 *
 * The set type under the resource sets (rset.h): a node's cores, PUs or
 * GPUs are an idset.  Modelled on flux-core's libidset: the text form is a
 * sorted list of ids and ranges, "0-3,8" (the Linux cpu list syntax, which
 * cgroup cpusets and taskset use as well).
 *
 * A bitmap underneath: ids 0..IDSET_MAX_ID, memory proportional to the
 * largest id.  Set/clear/test are O(1); count and iteration O(largest id
 * / 64).
 *
 * Ownership: idset_create() and idset_decode() return a set the caller
 * frees with idset_destroy(); idset_encode() returns a string the caller
 * frees with free().
 *
 * Errors: functions return -1 (or NULL) with errno set (EINVAL for an id
 * out of range or malformed text, ENOMEM) and leave the set unchanged.
 * Nothing here logs or exits.
 */
#ifndef HUDDLE_IDSET_H
#define HUDDLE_IDSET_H

#include <stdbool.h>
#include <stddef.h>

#define IDSET_MAX_ID 1048575 /* 2^20 - 1 */

struct idset;

struct idset *idset_create (void);

/* NULL-safe, keeps errno. */
void idset_destroy (struct idset *s);

/* Add / remove ID.  EINVAL: ID > IDSET_MAX_ID; ENOMEM.  Removing an absent
 * id is not an error. */
int idset_set (struct idset *s, unsigned id);
int idset_clear (struct idset *s, unsigned id);

bool idset_test (const struct idset *s, unsigned id);
size_t idset_count (const struct idset *s);

/* The smallest id, and the smallest id greater than PREV; -1 when none. */
int idset_first (const struct idset *s);
int idset_next (const struct idset *s, unsigned prev);

/* "0-3,8": ids in increasing order, each run of consecutive ids (two or
 * more) as "a-b"; "" for the empty set.  NULL + ENOMEM. */
char *idset_encode (const struct idset *s);

/* The set STR names: comma-separated ids and ranges "a-b" (a <= b) in any
 * order, overlaps allowed; "" is the empty set.  NULL + EINVAL for anything
 * else (spaces, signs, ids over IDSET_MAX_ID), ENOMEM. */
struct idset *idset_decode (const char *str);

bool idset_equal (const struct idset *a, const struct idset *b);

#endif
