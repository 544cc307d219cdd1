/* readfile.h - a whole file into memory, bounded, shared inside the
 * topology library (hwloc XML exports, fabric files) */
#ifndef HUDDLE_TOPOLOGY_READFILE_H
#define HUDDLE_TOPOLOGY_READFILE_H

#include "common/herror.h"

/* Read the whole file PATH (at most MAX bytes) into a NUL-terminated
 * buffer the caller frees, its length in *LENP.  NULL with a message in
 * err naming the file: missing, a directory ("is a directory, not WHAT"),
 * larger than MAX ("larger than N MiB, not WHAT"), unreadable. */
char *topo_read_file (const char *path, long max, const char *what, long *lenp, struct herror *err);

#endif
