/* pbs_resources.h - parse the values of PBS "-l" resources
 *
 * The pieces of "qsub -l" that have a grammar of their own: sizes (mem),
 * durations (walltime), chunk lists (select, legacy nodes) and placement.
 * PBS Pro / OpenPBS semantics throughout: size units are powers of 1024,
 * walltime is [[hours:]minutes:]seconds.
 *
 * Error reporting: every parser returns 0 on success, or -1 with errno =
 * EINVAL and err holding only the *reason* ("minutes are not a number"),
 * never the value's origin: the caller knows whether it came from a script
 * line or the command line and prefixes that (see herror_prefix()).  On
 * failure the outputs are left untouched.
 */
#ifndef HUDDLE_PBS_RESOURCES_H
#define HUDDLE_PBS_RESOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/herror.h"
#include "common/resreq.h"

/* "4gb", "512m", "100kw", "1048576" (bytes).  Units b, kb, mb, gb, tb and
 * k, m, g, t (= kb...), w, kw, mw, gw, tw (8-byte words), any case.
 * At most RESREQ_MAX_MEM. */
int pbs_size_parse (const char *s, uint64_t *bytes, struct herror *err);

/* "[[H:]M:]S[.frac]" or plain seconds; fields are unbounded decimal numbers
 * as in OpenPBS ("90:00" is 90 minutes), a fraction is rounded to the
 * nearest second.  At most RESREQ_MAX_WALLTIME. */
int pbs_walltime_parse (const char *s, int64_t *seconds, struct herror *err);

/* "N:ncpus=C:mpiprocs=M:ngpus=G:mem=SIZE:ompthreads=T:host=NAME[+...]".  The
 * count is optional (default 1); ncpus defaults to 1, mpiprocs to 1 (0 when
 * the chunk has ncpus=0, which needs ngpus > 0).  vnode=NAME is host=NAME
 * (huddle's vnodes are its nodes).  Any other NAME=VALUE is a node label
 * the chunk's node must carry (resreq.h): NAME=True a boolean one
 * ("a100"), NAME=STRING a string one ("gpu_type=a100", "arch=linux");
 * NAME=False is refused.  On success r->nchunks/r->chunks are
 * replaced (the old array freed); the other members of r are not touched. */
int pbs_select_parse (const char *s, struct resreq *r, struct herror *err);

/* Legacy Torque/PBS "nodes=N:ppn=M[:gpus=G][:PROPERTY...][+...]" (N may be
 * a host name): becomes N chunks of ncpus=M, mpiprocs=M, ngpus=G, each
 * PROPERTY a boolean node label.  Same ownership as pbs_select_parse(). */
int pbs_nodes_parse (const char *s, struct resreq *r, struct herror *err);

/* "pack|scatter|free[:excl|shared|exclhost][:group=switch]", any order,
 * every part optional (missing ones keep RESREQ_FREE / RESREQ_SHARED /
 * false).  group=switch (PBS's placement-set spelling): every node of the
 * job under one leaf switch.  GROUP_SWITCH NULL: group= is refused. */
int pbs_place_parse (const char *s, enum resreq_arrangement *arrangement,
                     enum resreq_sharing *sharing, bool *group_switch, struct herror *err);

/* "N[@[[HH:]MM:]SS]" (Slurm's --switches): at most N (1..RESREQ_MAX_COUNT)
 * leaf switches, waiting at most the time after @ (walltime syntax) for
 * them; *WAIT = -1 (forever) without @. */
int pbs_switches_parse (const char *s, int *max_switches, int64_t *wait, struct herror *err);

/* Whether S may name a placement group ("-l pgroup=NAME", qpg): 1 to
 * RESREQ_PGROUP_MAX letters, digits, '_', '-', '.'. */
bool pbs_pgroup_name_valid (const char *s);

/* Check a whole request: 1..RESREQ_MAX_CHUNKS chunks, each within bounds
 * (count 1..RESREQ_MAX_COUNT, ncpus/mpiprocs/ngpus 0..RESREQ_MAX_COUNT,
 * ncpus or ngpus > 0, mem <= RESREQ_MAX_MEM, host a host name), at most
 * RESREQ_MAX_COUNT chunks in all (the node count), totals that fit an int,
 * known arrangement/sharing, walltime 0..RESREQ_MAX_WALLTIME. */
int pbs_resreq_check (const struct resreq *r, struct herror *err);

/* A label list as struct resreq_chunk holds it: "NAME[=VALUE][,...]",
 * NAME 1..64 of [A-Za-z0-9_-] starting with a letter and not one of
 * select's chunk resources (ncpus, mpiprocs, ngpus, mem, host, vnode,
 * ompthreads: such a label would print as that resource), VALUE 1..64 of
 * [A-Za-z0-9._-] and not a boolean word (true, false, t, f, y, n, 1, 0:
 * select reads NAME=true as NAME), at most RESREQ_LABELS_MAX - 1 bytes.
 * 0, or -1 with err. */
int pbs_labels_check (const char *labels, struct herror *err);
bool pbs_label_name_valid (const char *s, size_t len);

/* Whether every label of want is one of have (both label lists; NULL or
 * "" want matches anything). */
bool pbs_labels_match (const char *have, const char *want);

/* A host name as PBS accepts it in "host=": 1..63 of [A-Za-z0-9._-],
 * starting with a letter or digit.  Returns 1 if valid, else 0. */
int pbs_hostname_valid (const char *s);

#endif
