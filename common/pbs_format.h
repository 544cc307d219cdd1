/* pbs_format.h - print resource requests the way PBS commands do
 *
 * Used by qstat -f and by error messages: sizes as "4gb", durations as
 * "HH:MM:SS", a request as "Resource_List.select = 2:ncpus=4:mpiprocs=4".
 * The output of pbs_format_select() parses back with pbs_select_parse() to
 * the same chunks.
 *
 * Functions that take (buf, size) write a NUL-terminated string, truncated
 * if it does not fit, and return buf; PBS_FORMAT_BUFSIZE always suffices.
 * Functions that return char * without a buffer return malloc'd text the
 * caller frees, or NULL with errno = ENOMEM.
 */
#ifndef HUDDLE_PBS_FORMAT_H
#define HUDDLE_PBS_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "common/resreq.h"

#define PBS_FORMAT_BUFSIZE 32

/* "4gb", "1536mb", "100b", "0b": the largest of tb, gb, mb, kb that divides
 * the value exactly, else bytes. */
char *pbs_format_size (uint64_t bytes, char *buf, size_t size);

/* "01:30:00"; hours grow beyond two digits ("150:00:00").  Negative
 * values print as "00:00:00". */
char *pbs_format_walltime (int64_t seconds, char *buf, size_t size);

/* "free", "pack", "scatter:excl" (sharing only when not shared). */
char *pbs_format_place (enum resreq_arrangement arrangement, enum resreq_sharing sharing, char *buf,
                        size_t size);

/* "2:ncpus=4:mpiprocs=4+1:ncpus=1:ngpus=1:mem=4gb:host=n01": the count
 * always, ncpus always, mpiprocs when it is not the default (1, or 0 for a
 * chunk with ncpus=0), ngpus/mem/host when set.  Malloc'd. */
char *pbs_format_select (const struct resreq *r);

/* Sum of count x mem over the chunks, saturating at UINT64_MAX. */
uint64_t pbs_resreq_total_mem (const struct resreq *r);

/* The Resource_List lines of "qstat -f", sorted by name, each starting
 * with indent (NULL = none) and ending in a newline:
 *     Resource_List.mem = 8gb            (only when memory was requested)
 *     Resource_List.ncpus = 8
 *     Resource_List.ngpus = 2            (only when > 0)
 *     Resource_List.nodect = 2
 *     Resource_List.place = scatter:excl
 *     Resource_List.select = 2:ncpus=4:mpiprocs=4:mem=4gb
 *     Resource_List.walltime = 01:00:00  (only when > 0)
 * Malloc'd. */
char *pbs_format_resource_list (const struct resreq *r, const char *indent);

#endif
