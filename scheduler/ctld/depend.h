/* depend.h - job dependencies (qsub -W depend=...), as OpenPBS has them
 *
 * Pure: no I/O, no clock, no job table.  A dependency list is the text a
 * user gave, "TYPE:JOBID[:JOBID...][,TYPE:JOBID...]" (common/jobspec.h
 * jobspec_check_depend checks its form), read into one item per job named;
 * the controller (jobs.c) finds each parent and asks depend_eval() what the
 * parent's state means for the item:
 *
 *   after       met once the parent has started (PBS's "after": begun
 *               execution); never when it finished without running
 *   afterok     met when the parent finished with exit status 0; never
 *               when it finished otherwise (failed, killed, deleted)
 *   afternotok  met when it finished with a status other than 0, or
 *               without one (deleted before it ran); never on status 0
 *   afterany    met when it finished, however
 *
 * A job whose items are not all met waits in state H under a system hold
 * (Hold_Types s); once every item is met the hold goes.  An item that can
 * never be met leaves the job held, its comment naming the item: OpenPBS
 * would delete such a job ("Job deleted as result of dependency on job
 * N"); huddle keeps it for its owner to see why and qdel it, as Torque
 * and Slurm do.  The before* types (which need the later job's "on:N")
 * are refused.
 */
#ifndef HUDDLE_CTLD_DEPEND_H
#define HUDDLE_CTLD_DEPEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/herror.h"

enum depend_type {
    DEPEND_AFTER = 0,
    DEPEND_AFTEROK,
    DEPEND_AFTERNOTOK,
    DEPEND_AFTERANY,
};

/* One job a dependency names. */
struct depend_item {
    enum depend_type type;
    int64_t seq;
    bool array;       /* typed as an array, "SEQ[]" */
    char server[256]; /* the SERVER of "SEQ.SERVER" or "SEQ@SERVER" as typed, "" none */
};

/* The items of text (checked by jobspec_check_depend first) into *items (an
 * array the caller frees) and *n.  -1 with err ("before dependencies are
 * not supported ...", "dependencies on job arrays ...") or ENOMEM. */
int depend_parse (const char *text, struct depend_item **items, int *n, struct herror *err);

/* "afterok" ... */
const char *depend_type_name (enum depend_type t);

/* What the controller knows of a parent job. */
struct depend_parent {
    bool started;  /* it has begun execution (at least one run) */
    bool finished; /* state F */
    bool has_status;
    int exit_status;
};

enum depend_status {
    DEPEND_PENDING = 0,
    DEPEND_MET,
    DEPEND_NEVER,
};

enum depend_status depend_eval (enum depend_type t, const struct depend_parent *p);

/* Why an item can never be met, for the job's comment: "job 12.vm ended
 * with exit status 1", "job 12.vm finished without running". */
void depend_never_why (const struct depend_parent *p, const char *jobid, char *buf, size_t size);

#endif
