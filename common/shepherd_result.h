/* shepherd_result.h - a job run's result: the shepherd's result file
 *
 * The shepherd (agent/shepherd.h) writes STATEDIR/jobs/SEQ/result once its
 * job has ended; the agent reads it back, at once or after a restart, and
 * reports it to the controller (job.ended, docs/protocol.md).  Writer and
 * reader are different processes, possibly of different builds across an
 * agent upgrade: both go through this one codec, so that a member has one
 * type and one bound, and the reader refuses what the writer would not
 * have written instead of reading it as something else (a missing
 * exit_status is not a success).
 *
 * The file is one JSON object:
 *   seq          a job's or a subjob's seq (jobspec_key_valid, common/jobspec.h)
 *   exit_status  integer SHEPHERD_STATUS_MIN..SHEPHERD_STATUS_MAX: the exit
 *                code 0..255, 256+N for signal N (OpenPBS's), or a
 *                negative PBS JOB_EXEC_* number: the job did not run, or
 *                -29 (JOB_EXEC_KILL_WALLTIME) it was killed over its walltime
 *   reason       one of shepherd_reason_name()'s names
 *   start_time, end_time  integers 0..SHEPHERD_TIME_MAX (epoch seconds;
 *                start_time 0 when the job never started)
 *   utime, stime numbers 0..SHEPHERD_CPU_MAX (seconds)
 *   maxrss_kb    integer 0..SHEPHERD_MAXRSS_MAX
 *   error?, comment?  strings of fewer than sizeof the struct's buffers
 *                bytes, without NUL ("" when absent)
 * Members it does not know are ignored (a later writer may add some).
 *
 * Nothing here logs or exits; errors are -1/NULL with errno and, when
 * decoding, a sentence naming the member.
 */
#ifndef HUDDLE_SHEPHERD_RESULT_H
#define HUDDLE_SHEPHERD_RESULT_H

#include <jansson.h>
#include <stdint.h>

#include "common/herror.h"

#define SHEPHERD_STATUS_MIN -255
#define SHEPHERD_STATUS_MAX 320 /* 256 + the highest signal: PBS's status of a job killed by one */
#define SHEPHERD_TIME_MAX   INT64_C (253402300799) /* 9999-12-31T23:59:59Z */
#define SHEPHERD_CPU_MAX    1e12                   /* seconds, as job.ended allows */
#define SHEPHERD_MAXRSS_MAX (INT64_C (1) << 40)    /* kB: 1 EiB */

enum shepherd_end {
    SHEPHERD_END_EXITED,   /* exited on its own (exit_status >= 0) */
    SHEPHERD_END_SIGNALED, /* died of a signal nobody here sent */
    SHEPHERD_END_WALLTIME, /* killed for exceeding walltime */
    SHEPHERD_END_KILLED,   /* killed on request (qdel, job.kill, node.register kill) */
    SHEPHERD_END_FAILED,   /* never started: exit_status < 0, error says why */
    SHEPHERD_END_LOST,     /* the shepherd died without writing a result */
    SHEPHERD_END_FENCED,   /* killed because its lease ran out (agent/lease.h) */
};

/* Plain data, nothing to free. */
struct shepherd_result {
    unsigned long seq;
    int exit_status;
    enum shepherd_end reason;
    int64_t start_time, end_time; /* epoch seconds (start 0 if it never started) */
    double utime, stime;          /* seconds, all the job's processes */
    long maxrss_kb;               /* peak memory of the whole job: the container's
                                   * peak (container_mem_peak) where the backend
                                   * accounts memory, else the largest process */
    char error[256];              /* why it failed/was lost, "" otherwise */
    char comment[512];            /* notes: binding skipped, workdir fallback, ... */
};

/* "exited", "signaled", "walltime", "killed", "failed", "lost", "fenced"
 * (the result's "reason", job.ended's too); "lost" for a value out of the
 * enum. */
const char *shepherd_reason_name (enum shepherd_end reason);

/* The reason called name: 0, or -1 with errno EINVAL when there is none. */
int shepherd_reason_parse (const char *name, enum shepherd_end *reason);

/* The result as JSON (new reference).  error and comment are cut at their
 * first byte that is not UTF-8: they are filled with bufprintf-style
 * truncation, which may split a character, and a result that cannot be
 * written is a job lost.  NULL with errno EINVAL when a member is out of
 * its bounds above, ENOMEM. */
json_t *shepherd_result_to_json (const struct shepherd_result *res);

/* Check o and fill *res.  0, or -1 with errno EINVAL and err naming the
 * member ("exit_status: must be an integer from -255 to 255"); *res is
 * then unspecified. */
int shepherd_result_from_json (const json_t *o, struct shepherd_result *res, struct herror *err);

#endif
