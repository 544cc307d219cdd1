/* swf.h - the Standard Workload Format: one codec, reader and writer
 *
 * SWF is the format of the Parallel Workloads Archive (Feitelson et al.,
 * https://www.cs.huji.ac.il/labs/parallel/workload/swf.html): one job per
 * line, 18 whitespace-separated numbers, -1 where a value is unknown, and
 * header comments that start with ';'.  The fields, in order:
 *
 *    1 job number           7 used memory (KB)      13 group id
 *    2 submit time (s)      8 requested processors  14 executable number
 *    3 wait time (s)        9 requested time (s)    15 queue number
 *    4 run time (s)        10 requested memory      16 partition number
 *    5 allocated procs     11 status                17 preceding job
 *    6 average CPU time    12 user id               18 think time
 *
 * Status: 1 completed, 0 failed, 5 cancelled, 2-4 parts of a checkpointed
 * job.  Every field is an integer except 6 and 7, which some archive logs
 * give with decimals: those two are kept as doubles, so a record read and
 * written again is the same numbers.
 *
 * The reader takes a plain file or one compressed with gzip (zlib reads
 * both through the same calls), so an archive's .swf.gz needs no unpacking.
 * It keeps the header comments (the lines before the first record) so that
 * a program writing a derived trace can carry them over.
 *
 * Ownership: swf_reader_open() returns a reader the caller closes with
 * swf_reader_close(); strings it returns stay valid until then.
 *
 * Errors: -1 or NULL with errno set (EINVAL for malformed input, ENOMEM,
 * or the errno of a failed open/read/write); input errors also fill an
 * herror with a sentence naming the file and line,
 *     trace.swf:12: field 4 (run time): "12x" is not an integer
 * Nothing here logs or exits.
 */
#ifndef HUDDLE_SIM_SWF_H
#define HUDDLE_SIM_SWF_H

#include <stdint.h>
#include <stdio.h>

#include "common/herror.h"

#define SWF_NFIELDS  18
#define SWF_LINE_MAX 4096 /* bytes of one line, newline included */

/* Status values (field 11). */
enum {
    SWF_STATUS_FAILED = 0,
    SWF_STATUS_COMPLETED = 1,
    SWF_STATUS_CANCELLED = 5,
};

/* One job record, fields 1..18 in order. */
struct swf_record {
    int64_t job;
    int64_t submit;
    int64_t wait;
    int64_t run;
    int64_t procs_alloc;
    double cpu_avg;  /* field 6: may carry decimals */
    double mem_used; /* field 7: may carry decimals */
    int64_t procs_req;
    int64_t time_req;
    int64_t mem_req;
    int64_t status;
    int64_t user;
    int64_t group;
    int64_t exec;
    int64_t queue;
    int64_t partition;
    int64_t preceding;
    int64_t think;
};

/* Parse one line (no newline needed).  1: a record in *REC; 0: a comment
 * or blank line (*REC untouched); -1 EINVAL with ERR saying which field is
 * wrong, or that the line does not have 18 fields. */
int swf_parse_line (const char *line, struct swf_record *rec, struct herror *err);

/* Write REC as one line.  0, or -1 with errno from the stream. */
int swf_write_record (FILE *f, const struct swf_record *rec);

struct swf_reader;

/* Open PATH (plain or gzip).  NULL with errno and ERR ("PATH: No such
 * file or directory"). */
struct swf_reader *swf_reader_open (const char *path, struct herror *err);

/* NULL-safe, keeps errno. */
void swf_reader_close (struct swf_reader *r);

/* The next record: 1 (in *REC), 0 at the end, -1 on a malformed line
 * (EINVAL, ERR "PATH:LINE: ...") or a read error (EIO, ERR naming the
 * file).  After -1 the reader stays at the bad line: call close. */
int swf_reader_next (struct swf_reader *r, struct swf_record *rec, struct herror *err);

/* The line number of the record swf_reader_next() returned last (1-based;
 * 0 before the first). */
int swf_reader_line (const struct swf_reader *r);

/* The header comments read so far (the ';' lines before the first
 * record, each with its newline), "" when there are none. */
const char *swf_reader_header (const struct swf_reader *r);

#endif
