/* jobspec.h - a PBS job submission: qsub options, #PBS directives, JSON
 *
 * qsub turns what the user typed into a job request (the "Job request"
 * object of docs/protocol.md); the controller turns the object it receives
 * back into the same struct and trusts nothing in it.
 *
 * In qsub:
 *
 *     struct jobspec *js = jobspec_create ();
 *     jobspec_parse_args (js, argc, argv, &err);        // options, script path
 *     if (!js->argv)                                    // not "qsub -- cmd"
 *         jobspec_parse_script (js, text_of (js->script_path or stdin), &err);
 *     jobspec_finalize (js, cwd, environ, hostname, &err);
 *     json_t *job = jobspec_to_json (js);
 *
 * The command line wins over #PBS directives whatever the call order:
 * both parsers only record what they read, each into its own layer, and
 * jobspec_finalize() lays the command line over the script.  Within one
 * layer a later option replaces an earlier one (for -l, per resource; a
 * later -v list replaces an earlier one, as in OpenPBS).  "select" and
 * "nodes" are one request: one given on the command line replaces either
 * given in the script, along with the script's job-wide ncpus/ngpus/mem.
 *
 * In the controller: jobspec_from_json() checks every member (type, range,
 * chunk limits) and returns a finalized struct, or NULL with a message
 * naming the member.  The controller then makes the "Job" object with
 * jobspec_job_to_json(), which both it (reading stored jobs back) and the
 * agents (job.launch) decode with jobspec_job_from_json().
 *
 * Errors: functions return -1 or NULL with errno set (EINVAL for bad input,
 * ENOMEM) and, for user input, one sentence in err:
 *     option -l walltime=1:xx:00: minutes are not a number
 *     script line 4: "#PBS -l walltime=1:xx:00": minutes are not a number
 * A failing call leaves the jobspec as it was.
 *
 * Ownership: the struct owns every pointer in it; jobspec_destroy() frees
 * them all.  The public members are read-only for callers except through
 * these functions.  Nothing here logs or exits.
 */
#ifndef HUDDLE_JOBSPEC_H
#define HUDDLE_JOBSPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "common/herror.h"
#include "common/resreq.h"

#define JOBSPEC_NAME_MAX     236 /* PBS_MAXJOBNAME */
#define JOBSPEC_QUEUE_MAX    64
#define JOBSPEC_PRIORITY_MIN -1024
#define JOBSPEC_PRIORITY_MAX 1023
#define JOBSPEC_MAX_ARGS     4096      /* argv entries for "qsub -- cmd args" */
#define JOBSPEC_MAX_ENV      4096      /* variables in the job's environment */
#define JOBSPEC_MAX_ENV_NAME 255       /* bytes in a variable's name */
#define JOBSPEC_SEQ_MAX      INT32_MAX /* job sequence numbers are 1..this */
#define JOBSPEC_ID_MAX       INT32_MAX /* uid and gid of a job's owner: 0..this */
#define JOBSPEC_OWNER_MAX    255       /* bytes in the owner's user name */

/* The job attributes that are text: each is one optional string member of
 * the job object (docs/protocol.md), shown by qstat -f under its PBS name.
 * jobspec_attr_name() and jobspec_attr_pbs_name() give the two names;
 * jobspec_check_attr() the rule each value follows. */
enum jobspec_attr {
    JOBSPEC_ACCOUNT = 0, /* -A: Account_Name */
    JOBSPEC_CHECKPOINT,  /* -c: Checkpoint (n, s, c, c=MIN, w, w=MIN, u) */
    JOBSPEC_GROUP_LIST,  /* -W group_list=g[@host][,...]: group_list */
    JOBSPEC_KEEP_FILES,  /* -k: Keep_Files (n, or o, e, d combined) */
    JOBSPEC_MAIL_POINTS, /* -m: Mail_Points (n, or a, b, e, j combined) */
    JOBSPEC_MAIL_USERS,  /* -M: Mail_Users (user[@host][,...]) */
    JOBSPEC_PROJECT,     /* -P: project */
    JOBSPEC_SANDBOX,     /* -W sandbox=HOME: sandbox */
    JOBSPEC_SHELL_PATH,  /* -S: Shell_Path_List (path[@host][,...]) */
    JOBSPEC_SOFTWARE,    /* -l software=: Resource_List.software */
    JOBSPEC_USER_LIST,   /* -u: User_List (user[@host][,...]) */
    JOBSPEC_NATTRS,
};
#define JOBSPEC_ATTR_MAX 1024 /* bytes of one attribute's value */

/* Per-process and job limits (-l cput, pcput, vmem, pvmem, pmem, file),
 * enforced by the shepherd with setrlimit as PBS's mom does for a job on
 * one node; 0 = no limit.  At most RESREQ_MAX_WALLTIME seconds and
 * RESREQ_MAX_MEM bytes. */
struct jobspec_limits {
    int64_t cput;  /* seconds of CPU time: RLIMIT_CPU */
    int64_t pcput; /* the same, per process */
    uint64_t vmem; /* bytes of address space: RLIMIT_AS (the smaller of vmem, pvmem) */
    uint64_t pvmem;
    uint64_t pmem; /* resident bytes per process: RLIMIT_RSS (advisory on Linux) */
    uint64_t file; /* bytes of the largest file: RLIMIT_FSIZE */
    int nice;      /* -l nice=: -20..19, the job's niceness (0: as the agent's) */
};

/* "-j": which streams are merged, and into which. */
enum jobspec_join {
    JOBSPEC_JOIN_NONE = 0, /* "n": separate .o and .e files (default) */
    JOBSPEC_JOIN_OE,       /* stderr into stdout */
    JOBSPEC_JOIN_EO,       /* stdout into stderr */
};

struct jobspec_var {
    char *name;
    char *value;
};

struct jobspec_input; /* private: options read but not yet finalized */

struct jobspec {
    /* Set by jobspec_finalize() or jobspec_from_json(): */
    char *name;              /* Job_Name: -N, else script basename, else "STDIN" */
    char *queue;             /* -q; NULL = the server's default queue */
    char *script;            /* script text; "" for "qsub -- cmd args" */
    char **argv;             /* NULL-terminated command, or NULL (script job) */
    int argc;                /* entries in argv */
    char *workdir;           /* submit directory, absolute (PBS_O_WORKDIR) */
    char *submit_host;       /* PBS_O_HOST */
    struct jobspec_var *env; /* Variable_List: -V, -v, PBS_O_*; unique names */
    int nenv;
    bool export_all;              /* -V */
    char *output;                 /* -o, absolute, "[host:]/path"; NULL = default */
    char *error;                  /* -e, likewise */
    enum jobspec_join join;       /* -j */
    bool hold;                    /* -h: submitted with a user hold */
    bool rerunnable;              /* -r y|n, default y; never with -I */
    bool interactive;             /* -I: a shell for qsub instead of the script's body
                                   * (after jobspec_parse_args: the command line's -I) */
    int priority;                 /* -p, JOBSPEC_PRIORITY_MIN..MAX, default 0 */
    char *depend;                 /* validated; NULL = none (the controller enforces it:
                                   * scheduler/ctld/depend.h) */
    int array_index;              /* -1: not an array subjob */
    char *array;                  /* -J X-Y[:Z][%MAX] (Torque's -t), validated and
                                   * written as jobspec_array_format() does; NULL:
                                   * not an array */
    struct resreq res;            /* -l: chunks, placement, walltime */
    char *attrs[JOBSPEC_NATTRS];  /* text attributes (enum jobspec_attr); NULL = not given */
    int64_t execution_time;       /* -a: not before this (seconds since the epoch), 0 = now */
    int umask;                    /* -W umask=: 0..0777, -1 = the default (077) */
    struct jobspec_limits limits; /* -l cput, vmem, ... */

    /* qsub's own behaviour, set by jobspec_parse_args(), not on the wire: */
    bool block;    /* -W block=true: wait for the job's end, exit with its status */
    bool no_jobid; /* -z: print no job id */

    /* Job members (docs/protocol.md "Job"): what the controller adds to a
     * request once it accepts it.  Set by jobspec_job_from_json(), by the
     * controller before jobspec_job_to_json(); 0 and NULL in a request. */
    int64_t seq; /* 1..JOBSPEC_SEQ_MAX */
    char *jobid; /* "SEQ" or "SEQ.SERVER"; NULL = not given */
    char *owner; /* user name the job runs as */
    uid_t uid;   /* the owner's, 0..JOBSPEC_ID_MAX */
    gid_t gid;

    /* Set by jobspec_parse_args(): the script argument, NULL = stdin or
     * command mode.  Not sent on the wire. */
    char *script_path;

    struct jobspec_input *input; /* private */
};

/* The directive prefix used by jobspec_parse_script() when the command
 * line has no -C: PBS_DPREFIX from qsub's environment; NULL gives back
 * "#PBS".  "" turns directives off, as -C "" does.  At most 16 bytes, no
 * blank or control character (-1/EINVAL otherwise, with err). */
int jobspec_set_prefix (struct jobspec *js, const char *prefix, struct herror *err);

/* An empty jobspec (rerunnable, priority 0, array_index -1).  NULL/ENOMEM. */
struct jobspec *jobspec_create (void);

/* Free js and everything it owns.  NULL-safe; keeps errno. */
void jobspec_destroy (struct jobspec *js);

/* Read qsub's command line: argv[0] is the program name, options follow
 * (getopt style: "-Nname" or "-N name", flags may be grouped "-hV"), then
 * an optional script path, or "--" and a command with its arguments
 * (stored in js->argv).  Unknown options, missing values and bad values
 * fail here, with errors starting "option -X VALUE: " (VALUE cut to about
 * 32 characters, see herror_show()).  Everything that goes on the wire must
 * be UTF-8 (JSON): -v values, -o/-e paths, text attributes (-A, -M, -S, ...),
 * the command's arguments and the
 * script's file name are refused otherwise, naming the option or argument.
 * -W depend=... is checked for its form (the controller finds the jobs); what
 * huddle cannot do is refused with a sentence saying so: -W stagein/stageout,
 * -W sandbox=PRIVATE.  -C sets the directive prefix, so call this before
 * jobspec_parse_script().  -a takes [[[[CC]YY]MM]DD]hhmm[.SS] in local
 * time; a time of day already past means tomorrow (a day past: next month,
 * a date past: next year), as PBS reads it; a date before 1970 is refused.
 * Calling it again replaces what an earlier call read. */
int jobspec_parse_args (struct jobspec *js, int argc, char *const argv[], struct herror *err);

/* Take the script text, len bytes (copied into js->script), and read its #PBS
 * directives: lines starting, after optional blanks, with the prefix ("#PBS",
 * or -C's, or jobspec_set_prefix()'s) followed by a blank, up to the
 * first line that is neither blank nor a comment (first non-blank
 * character '#').  Directives take the same options as the command line;
 * words are split as a shell would (quotes, backslash), an unquoted word
 * starting with '#' ends the directive.  Errors start
 * 'script line N: "LINE": '.  A script with a NUL byte or with bytes that
 * are not UTF-8 anywhere is refused first ("script line N: contains a NUL
 * byte ...", "script line N: not valid UTF-8 ..."): it is sent as a JSON
 * string.  A script with DOS line ends ("\r\n") is refused as PBS does
 * ("script is written in DOS/Windows text format").  Calling it again
 * replaces the script. */
int jobspec_parse_script (struct jobspec *js, const char *text, size_t len, struct herror *err);

/* Merge directives and command line (command line wins), apply PBS
 * defaults and fill in the submission context:
 *   cwd       absolute submit directory: workdir, PBS_O_WORKDIR, and the
 *             base of relative -o/-e paths
 *   envp      the submitter's environment (NULL-terminated "NAME=VALUE"),
 *             source of -V, of bare names in -v and of PBS_O_HOME, _LANG,
 *             _LOGNAME, _PATH, _MAIL, _SHELL, _TZ (those that are set)
 *   hostname  PBS_O_HOST and submit_host
 * Also sets PBS_O_WORKDIR, PBS_O_SYSTEM (uname), and PBS_O_QUEUE when -q
 * names one (otherwise the controller sets it).  A bare -v name that is not
 * in envp is left out.  A cwd, or a value taken from envp (-V, bare -v
 * names, PBS_O_*), that is not UTF-8 is refused naming the directory or
 * the variable: refused rather than skipped, since a job whose environment
 * silently lacks a variable it was given would fail later and far away.  Defaults: one chunk
 * ncpus=1, place=free (scatter for nodes=), walltime 0 (queue default).  Job-level ncpus/ngpus/mem
 * make the single chunk when there is no select/nodes; combined with select they are an error, as
 * in OpenPBS (mem with nodes is spread over the chunks, the Torque meaning).  Job-wide host=
 * (or vnode=) goes into that single chunk (refused with select, nodes or procs), job-wide arch=
 * into every chunk that names none.  -I (js->interactive, from either layer) makes the job
 * not rerunnable and is refused with a command after "--" or with -W block=true; -X is
 * refused (without -I, without DISPLAY in envp, and with it: huddle does not forward X11).
 * Calling it again redoes the merge. */
int jobspec_finalize (struct jobspec *js, const char *cwd, char *const envp[], const char *hostname,
                      struct herror *err);

/* The "Job request" object of docs/protocol.md for a finalized jobspec.
 * Chunks carry "host" only when set.  New reference; NULL/ENOMEM. */
json_t *jobspec_to_json (const struct jobspec *js);

/* Check a received "Job request" object and build a finalized jobspec from
 * it.  Rejects missing or mistyped members, values out of range, more than
 * RESREQ_MAX_CHUNKS chunks and requests that add up to absurd counts, with
 * a message naming the member ("chunks[2].ncpus: ...").  Members it does
 * not know are ignored.  Strings are UTF-8 without NUL (jansson decodes
 * none other unless told to).  A valid "depend" is accepted here (the
 * controller checks the jobs it names).  Caller destroys the result.  NULL +
 * EINVAL/ENOMEM. */
struct jobspec *jobspec_from_json (const json_t *o, struct herror *err);

/* The "Job" object of docs/protocol.md: a request (as jobspec_to_json()
 * and jobspec_from_json() code it) plus the members seq, jobid?, owner,
 * uid and gid.  This is the one codec of the job object for every side:
 * the controller builds what it stores and sends with jobspec_job_to_json()
 * and checks what it reads back with jobspec_job_from_json(); an agent
 * decodes job.launch's job with jobspec_job_from_json() too, so that a
 * member has the same type, bounds and presence rule wherever it is read.
 * Members either side adds beyond these (state, times, the allocation...)
 * are not part of this codec: from_json ignores them and the caller codes
 * them.  Rules of the job members:
 *   seq     integer 1..JOBSPEC_SEQ_MAX, or a subjob's (jobspec_subjob_seq)
 *   jobid?  "SEQ" or "SEQ.SERVER", SEQ being seq in decimal and SERVER a
 *           host name (jobspec_host_valid()); an array's "SEQ[]", a
 *           subjob's "BASE[INDEX]" (its seq's base and index), either
 *           with ".SERVER"
 *   owner   1..JOBSPEC_OWNER_MAX bytes, no '/', ':' or control character
 *           (blanks are allowed: directory services have such names)
 *   uid, gid  integers 0..JOBSPEC_ID_MAX
 * to_json: new reference, or NULL with errno EINVAL (a member out of its
 * bounds, the same bounds from_json checks), EILSEQ (a string that is not
 * UTF-8) or ENOMEM.  from_json: as jobspec_from_json(), messages name the
 * member ("uid: must be an integer from 0 to 2147483647"). */
json_t *jobspec_job_to_json (const struct jobspec *js);
struct jobspec *jobspec_job_from_json (const json_t *o, struct herror *err);

/* The job object's member name ("account") and PBS's attribute name
 * ("Account_Name") of a text attribute; NULL out of the enum. */
const char *jobspec_attr_name (enum jobspec_attr a);
const char *jobspec_attr_pbs_name (enum jobspec_attr a);

/* Check the value of attribute a: 0, or -1 with the reason in err. */
int jobspec_check_attr (enum jobspec_attr a, const char *value, struct herror *err);

/* The entry of a "NAME[@HOST][,NAME[@HOST]...]" list (-S, -u,
 * -W group_list) for host: the first whose HOST is host, else the first
 * without a HOST.  Copied into buf (size bytes); 0, or -1 when no entry
 * applies or it does not fit. */
int jobspec_list_pick (const char *list, const char *host, char *buf, size_t size);

/* "n", "oe" or "eo", as the "join" member spells it; NULL for a value
 * out of the enum. */
const char *jobspec_join_name (enum jobspec_join join);

/* The value of NAME in js->env, or NULL. */
const char *jobspec_getenv (const struct jobspec *js, const char *name);

/* Validators shared by the parsers and jobspec_from_json(); each returns 0
 * or -1 with err holding the reason only.
 *   name:   1..236 printable characters, no blanks, '/', ':' or '@' (it
 *           becomes part of file names NAME.oSEQ), starting with a letter,
 *           digit or '_'
 *   queue:  1..64 of [A-Za-z0-9_.-], starting with a letter or digit,
 *           optionally followed by @SERVER (a host name); "@SERVER" alone
 *           is that server's default queue
 *   depend: "TYPE:JOBID[:JOBID]...[,TYPE:...]" with TYPE one of after,
 *           afterok, afternotok, afterany, before, beforeok, beforenotok,
 *           beforeany, and JOBID "SEQ[.SERVER][@SERVER]" (SEQ may carry
 *           "[]" or "[N]" for arrays; "@SERVER" as PBS writes it back) */
int jobspec_check_name (const char *name, struct herror *err);
int jobspec_check_queue (const char *queue, struct herror *err);

/* -a [[[[CC]YY]MM]DD]hhmm[.SS] in local time (qsub -a, qalter -a), into
 * seconds since the epoch.  The parts not given are today's; a time
 * already past moves to the next day, month or year (the first part not
 * given), as PBS's qsub does.  -1 with err naming what is wrong. */
int jobspec_parse_exec_time (const char *val, int64_t *out, struct herror *err);
int jobspec_check_depend (const char *depend, struct herror *err);

/* Job arrays.  qsub -J X-Y[:Z][%MAX] (OpenPBS) and Torque's -t X-Y[%MAX]
 * name the indices X, X+Z, ... up to Y (Z default 1; X < Y; indices
 * 0..JOBSPEC_ARRAY_INDEX_MAX; at most JOBSPEC_ARRAY_MAX_SIZE of them) and
 * at most MAX subjobs running at once (0: no limit).  The array is job
 * "SEQ[]", its subjob of index I "SEQ[I]". */
#define JOBSPEC_ARRAY_INDEX_MAX 16777215 /* 2^24 - 1: what a subjob seq has room for */
#define JOBSPEC_ARRAY_MAX_SIZE  1048576  /* subjobs of one array */
struct jobspec_array {
    int64_t first, last, step;
    int64_t max_running; /* 0: no limit */
};

/* Parse S (OPT 'J', or 't' for Torque's form without a step).  0, or -1
 * with a sentence naming the bad part in err ("the last index 2 is not
 * above the first 5"; the caller names S: "option -J 5-2: ..."). */
int jobspec_parse_array (const char *s, char opt, struct jobspec_array *a, struct herror *err);

/* "X-Y:Z%MAX" with ":Z" left out for 1 and "%MAX" for no limit, into buf;
 * returns buf. */
char *jobspec_array_format (const struct jobspec_array *a, char *buf, size_t len);

/* The number of subjobs, and the index of the POS-th (0-based). */
int64_t jobspec_array_size (const struct jobspec_array *a);
static inline int64_t jobspec_array_index (const struct jobspec_array *a, int64_t pos)
{
    return a->first + pos * a->step;
}

/* A running subjob needs a seq of its own on the wire (job.launch,
 * job.ended, job.kill) that no ordinary job has: the array's SEQ and the
 * index packed above JOBSPEC_SEQ_MAX.  jobspec_subjob_seq(SEQ, I) is that
 * seq; for it jobspec_is_subjob_seq() is true, and _base/_index give SEQ
 * and I back.  Ordinary seqs are 1..JOBSPEC_SEQ_MAX, every seq of either
 * kind 1..JOBSPEC_KEY_MAX. */
#define JOBSPEC_SUBJOB_FLAG ((int64_t)1 << 56)
#define JOBSPEC_KEY_MAX                                                                            \
    (JOBSPEC_SUBJOB_FLAG | ((int64_t)JOBSPEC_SEQ_MAX << 24) | JOBSPEC_ARRAY_INDEX_MAX)
static inline int64_t jobspec_subjob_seq (int64_t seq, int64_t index)
{
    return JOBSPEC_SUBJOB_FLAG | (seq << 24) | index;
}
static inline bool jobspec_is_subjob_seq (int64_t seq)
{
    return seq > JOBSPEC_SEQ_MAX;
}
static inline int64_t jobspec_subjob_base (int64_t seq)
{
    return jobspec_is_subjob_seq (seq) ? (seq & ~JOBSPEC_SUBJOB_FLAG) >> 24 : seq;
}
static inline int64_t jobspec_subjob_index (int64_t seq)
{
    return jobspec_is_subjob_seq (seq) ? seq & JOBSPEC_ARRAY_INDEX_MAX : -1;
}
/* Whether seq is a job's (1..JOBSPEC_SEQ_MAX) or one that
 * jobspec_subjob_seq() gives for such a job and an index: what a decoder
 * of a seq on the wire or on disk accepts (at most JOBSPEC_KEY_MAX, the
 * base is at most JOBSPEC_SEQ_MAX too).  jobspec_key_check: the same, -1
 * with err naming "seq" when it is not. */
static inline bool jobspec_key_valid (int64_t seq)
{
    if (seq < 1 || seq > JOBSPEC_KEY_MAX)
        return false;
    if (!jobspec_is_subjob_seq (seq))
        return true;
    int64_t base = jobspec_subjob_base (seq);
    return base >= 1 && jobspec_subjob_seq (base, jobspec_subjob_index (seq)) == seq;
}
int jobspec_key_check (int64_t seq, struct herror *err);

/* Whether the SERVER part of a job id "SEQ.SERVER" a user typed names the
 * server called name: name itself or a longer domain name of it ("vm" or
 * "vm.example.com" for server "vm"), case aside, as PBS accepts.  A job id
 * of another server names no job of this one. */
bool jobspec_server_matches (const char *given, const char *name);

#endif
