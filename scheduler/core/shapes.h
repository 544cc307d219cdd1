/* shapes.h - a set of request shapes, each with a note (internal to
 * scheduler/core)
 *
 * A shape is what placement looks at in a request: its chunks (count,
 * cpus, GPUs, memory, host=, labels), place=, group=switch, switches=N
 * (and whether it waits for ever), the placement group; not the
 * walltime.  Two requests of one shape get the same answer from the
 * placer on the same cluster, so the pass (pass.c) remembers per shape
 * what it learnt: most of a long queue asks for a few shapes.
 *
 * A set keeps pointers to the requests it is given, which must outlive
 * it (the queue's copies, for one pass), and copies the notes.
 * Ownership: shapes_create() returns a set the caller frees with
 * shapes_destroy().  Out of memory, shapes_add() simply does not add:
 * a set is a cache, never the only copy of an answer.
 */
#ifndef HUDDLE_SCHED_SHAPES_H
#define HUDDLE_SCHED_SHAPES_H

#include <stdbool.h>
#include <stdint.h>

#include "common/resreq.h"

struct shapes;

/* NULL ENOMEM. */
struct shapes *shapes_create (void);

/* NULL-safe, keeps errno. */
void shapes_destroy (struct shapes *t);

/* Forget every shape. */
void shapes_clear (struct shapes *t);

/* Is REQ's shape in T?  Then *WHY is its note (valid until T changes;
 * "" for none) and *VAL its number, each when not NULL. */
bool shapes_find (const struct shapes *t, const struct resreq *req, const char **why, int64_t *val);

/* Add REQ's shape with note WHY (NULL: none) and VAL; nothing when it is
 * there already. */
void shapes_add (struct shapes *t, const struct resreq *req, const char *why, int64_t val);

#endif
