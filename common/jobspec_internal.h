/* jobspec_internal.h - shared by jobspec.c, jobspec_check.c, jobspec_finalize.c
 * and jobspec_json.c
 *
 * Not a public header: only the jobspec sources include it.
 */
#ifndef HUDDLE_JOBSPEC_INTERNAL_H
#define HUDDLE_JOBSPEC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/jobspec.h"

enum chunk_source { CHUNKS_NONE = 0, CHUNKS_SELECT, CHUNKS_NODES, CHUNKS_PROCS };

/* What one source (the script's directives, or the command line) asked
 * for.  Unset members are NULL, -1 or have their have_ flag clear. */
struct layer {
    char *name, *queue, *output, *error, *depend;
    char *initdir; /* Torque's -d / -w: where the job runs */
    int join;      /* enum jobspec_join, -1 unset */
    int rerun;     /* 0/1, -1 unset */
    bool have_priority;
    int priority;
    bool hold, export_all;
    bool interactive, x11; /* -I, -X */
    bool have_vars;
    struct jobspec_var *vars; /* -v list; value NULL = take from environment */
    int nvars;

    enum chunk_source chunk_src;
    struct resreq chunks; /* only nchunks/chunks used */
    bool have_ncpus, have_ngpus, have_mem, have_walltime, have_place;
    int ncpus, ngpus;
    uint64_t mem;
    int64_t walltime;
    enum resreq_arrangement arrangement;
    enum resreq_sharing sharing;
    bool group_switch; /* place=...:group=switch */
    bool have_switches;
    int max_switches;                   /* switches=N */
    int64_t switches_wait;              /* switches=N@T, -1 forever */
    char pgroup[RESREQ_PGROUP_MAX + 1]; /* pgroup=NAME, "" unset */
    char *attrs[JOBSPEC_NATTRS];        /* text attributes, NULL unset */
    char job_host[64];                  /* job-wide host= / vnode=, "" unset */
    char job_arch[65];                  /* job-wide arch=, "" unset */
    int64_t execution_time;             /* -a, 0 unset */
    int umask;                          /* -W umask, -1 unset */
    /* -l cput, pcput (seconds), vmem, pvmem, pmem, file (bytes), -1 unset */
    int64_t cput, pcput, vmem, pvmem, pmem, file;
    bool have_nice;
    int nice;
    int block; /* -W block: 0/1, -1 unset */
    bool no_jobid;
    char *prefix; /* -C, NULL unset */
};

struct jobspec_input {
    struct layer script;  /* from jobspec_parse_script() */
    struct layer cmdline; /* from jobspec_parse_args() */
    char *prefix;         /* jobspec_set_prefix(), NULL = "#PBS" */
};

void layer_init (struct layer *l);
void layer_clear (struct layer *l);

/* Free the finalized members of js (name ... res, and the job members),
 * leaving them empty. */
void jobspec_clear_job (struct jobspec *js);

/* Set NAME=VALUE in an env array, replacing an existing NAME.  0 or -1/ENOMEM. */
int jobspec_env_set (struct jobspec_var **env, int *nenv, const char *name, const char *value);
void jobspec_env_free (struct jobspec_var *env, int nenv);

/* [A-Za-z_][A-Za-z0-9_]* */
bool jobspec_env_name_valid (const char *name);

void jobspec_strv_free (char **v);

/* A submit host or -o/-e host: 1..255 of [A-Za-z0-9._-], starting with a
 * letter or digit (chunk "host=" is shorter: pbs_hostname_valid()). */
bool jobspec_host_valid (const char *s, size_t len);

/* "[host:]path" as -o/-e take it; absolute: the path must start with '/'.
 * 0, or -1 with the reason in err. */
int jobspec_check_path (const char *val, bool absolute, struct herror *err);

#endif
