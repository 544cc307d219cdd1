/* idlist.h - compact text for sorted index lists: "0-3,8,10-11"
 *
 * Internal to the topology library (JSON encoding and rendering).
 */
#ifndef HUDDLE_TOPOLOGY_IDLIST_H
#define HUDDLE_TOPOLOGY_IDLIST_H

#include <stddef.h>

/* Format n ascending ids as ranges.  Returns a malloc'd string the caller
 * frees ("" for n == 0), or NULL with errno ENOMEM. */
char *idlist_format (const unsigned *ids, unsigned n);

/* Parse text written by idlist_format.  Ids must be strictly ascending and
 * below limit, so the result never has more than limit entries.  On success
 * *ids is malloc'd (NULL when *n == 0) and the caller frees it; returns 0.
 * Returns -1 with errno EINVAL (or ENOMEM) and *ids, *n untouched on error. */
int idlist_parse (const char *text, unsigned limit, unsigned **ids, unsigned *n);

/* Sort an array of unsigned ascending and drop duplicates; returns the new
 * count. */
unsigned idlist_sort_unique (unsigned *ids, unsigned n);

#endif
