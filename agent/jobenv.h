/* jobenv.h - a job as the agent runs it: checked description, environment,
 * PBS_NODEFILE and output paths
 *
 * The controller sends a job object (docs/protocol.md, "Job") with its
 * script and its allocation.  jobdesc_parse checks every member the agent
 * relies on and says which one is wrong; nothing after it needs to
 * re-check.
 *
 * The job's members are decoded by the job object's one codec,
 * jobspec_job_from_json() (common/jobspec.h): the same type, bounds and
 * presence rules as in the controller, messages "job: MEMBER: ...".  What
 * the agent adds: jobid defaults to "SEQ.SERVER" and queue to "workq" when
 * absent; script is "" for a job with argv (exec'd directly instead);
 * output and error are "[HOST:]/path" (the host is dropped).
 *
 * allocation ([{node (string), cores? [int], pus [int], gpus? [int],
 * mem? (bytes), mpiprocs? (int >= 0, default 1)}], at least one entry):
 * each entry is decoded by the allocation's one codec, common/rset.h, the
 * controller's too.
 */
#ifndef HUDDLE_AGENT_JOBENV_H
#define HUDDLE_AGENT_JOBENV_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/herror.h"
#include "common/jobspec.h"
#include "common/resreq.h"

struct jobdesc_alloc {
    char *node;
    unsigned *cores, *pus, *gpus;
    size_t ncores, npus, ngpus;
    uint64_t mem;
    unsigned mpiprocs;
};

/* Plain, fully owned data; free with jobdesc_destroy. */
struct jobdesc {
    unsigned long seq;
    char *jobid, *name, *owner;
    uid_t uid;
    gid_t gid;
    char *script; /* the batch script; "" for a job with argv */
    char **argv;  /* NULL-terminated, or NULL */
    char *workdir, *submit_host, *queue;
    char **env;           /* "NAME=value" strings from the job's env, NULL-terminated */
    char *output, *error; /* as sent, may be NULL */
    char join[3];         /* "n", "oe" or "eo" */
    long walltime;        /* seconds, 0 = no limit */
    long array_index;     /* -1 when not an array sub-job */
    char pgroup[RESREQ_PGROUP_MAX + 1]; /* placement group, "" none */
    int partition;                      /* its partition (1..K), 0 none */
    struct jobdesc_alloc *alloc;
    size_t nalloc;
    size_t here;  /* index of this node's entry in alloc: 0 runs the script, the
                   * others are sisters (they take remote tasks only) */
    char *cookie; /* the run's secret for huddle-rsh ("cookie"), NULL when none */
    /* qsub -W umask (-1: PBS's default 077), -S, -k, -l cput/vmem/...,
     * chunk ompthreads (0: OMP_NUM_THREADS is this node's ncpus) */
    int umask;
    char *shell_path; /* Shell_Path_List as given, NULL none */
    char *keep_files; /* Keep_Files, NULL = n */
    struct jobspec_limits limits;
    int ompthreads;
    bool interactive; /* qsub -I: the first node runs qsub's session, not the script */
};

/* Check and copy a job object.  node_name picks this node's allocation
 * entry (NULL: the first, the "mother superior"); server makes the default
 * jobid.  Returns NULL with errno EINVAL and err naming the member. */
struct jobdesc *jobdesc_parse (const json_t *job, const char *node_name, const char *server,
                               struct herror *err);
void jobdesc_destroy (struct jobdesc *jd);

/* Number of cpus for this node: cores allocated here, else PUs. */
unsigned jobdesc_ncpus (const struct jobdesc *jd);

/* This node's PUs as a Linux cpu list "0-3,8" (malloc'd; "" when none). */
char *jobdesc_pulist (const struct jobdesc *jd);

/* Write PBS_NODEFILE: for each allocation entry in order, mpiprocs lines
 * holding the node name.  Written to PATH.tmp then renamed; mode 0644.
 * Returns 0 or -1 with err. */
int jobenv_write_nodefile (const struct jobdesc *jd, const char *path, struct herror *err);

/* Write the job's rank layout (topology/layout.h): the layout file (JSON)
 * to LAYOUT_PATH and the Open MPI rankfile to RANKFILE_PATH, both through
 * PATH.tmp and a rename, mode 0644.  JOB is the job object (its
 * "allocation"); TOPOLOGY is this node's model as registered
 * (topo_node_to_json), NULL when unknown.  job.launch (sent to every node)
 * carries no other node's model, so this node's ranks get the full detail
 * (cores next to their GPU, their NIC) and other nodes' ranks what the
 * allocation says (cores and PUs shared out in order, no NIC).  Returns 0 or -1 with err. */
int jobenv_write_layout (const struct jobdesc *jd, const json_t *job, const json_t *topology,
                         const char *layout_path, const char *rankfile_path, struct herror *err);

/* Write Open MPI's default hostfile: "NODE slots=MPIPROCS" for each
 * allocation entry with ranks, in allocation order (leaf by leaf), so that
 * a plain mpirun puts one rank per mpiprocs slot on the job's nodes.
 * Returns 0 or -1 with err. */
int jobenv_write_hostfile (const struct jobdesc *jd, const char *path, struct herror *err);

/* Write "NODE HOST:PORT" for each node of the allocation whose agent takes
 * remote tasks, from job.launch's task_endpoints ({node: "HOST:PORT"},
 * may be NULL): what huddle-rsh reads (HUDDLE_TASK_ENDPOINTS).  Entries
 * that are not strings of at most 300 bytes without blanks are left out.
 * Returns 0 or -1 with err. */
int jobenv_write_endpoints (const struct jobdesc *jd, const json_t *endpoints, const char *path,
                            struct herror *err);

/* Where stdout and stderr go, PBS style: -o/-e when given (relative to
 * workdir), else WORKDIR/NAME.oSEQ and WORKDIR/NAME.eSEQ (NAME.oSEQ.INDEX
 * for an array sub-job, whose -o/-e may say ^array_index^ for its index,
 * as in PBS).  join "oe": *err_path is NULL (stderr goes to
 * stdout's file); "eo": *out_path is NULL.  A path naming a directory gets
 * the default file name appended by the shepherd when it opens it.  Both
 * strings are malloc'd, the caller frees them.  Returns 0 or -1 ENOMEM. */
int jobenv_output_paths (const struct jobdesc *jd, char **out_path, char **err_path);

/* The default file name alone ("NAME.oSEQ"), for a directory target;
 * stream is 'o' or 'e'.  malloc'd. */
char *jobenv_default_name (const struct jobdesc *jd, char stream);

/* What jobs get for Open MPI (agent options, docs in agentd_options.c). */
struct jobenv_mpi {
    const char *rsh_agent;    /* OMPI_MCA_plm_rsh_agent: huddle-rsh; NULL: not set */
    const char *transport;    /* "tcp", "ofi", "none"; NULL: none */
    const char *tcp_if;       /* interfaces for the tcp BTL and orted, NULL: any */
    const char *ofi_provider; /* libfabric provider for the ofi MTL, NULL: its choice */
    const char *munge_socket; /* HUDDLE_MUNGE_SOCKET: the agent's munged, which
                               * huddle-rsh must use too; NULL: munged's default */
};

/* What the environment needs that the job object does not hold. */
struct jobenv_ctx {
    const char *nodefile;         /* PBS_NODEFILE */
    const char *hostfile;         /* OMPI_MCA_orte_default_hostfile, may be NULL */
    const char *endpoints;        /* HUDDLE_TASK_ENDPOINTS (huddle-rsh), may be NULL */
    const struct jobenv_mpi *mpi; /* may be NULL: no Open MPI settings */
    const char *layout;           /* HUDDLE_LAYOUT (the layout file), may be NULL */
    const char *rankfile;         /* HUDDLE_RANKFILE (Open MPI rankfile), may be NULL */
    const char *tmpdir;           /* TMPDIR, may be NULL */
    const char *home, *shell, *user;
    const char *this_host; /* this node's name: PBS_O_HOST fallback, HUDDLE_NODE; may be NULL */
};

/* Build the job's environment: the job's env first, then PBS_JOBID,
 * PBS_JOBNAME, PBS_NODEFILE, HUDDLE_NODE (this node's name in the
 * allocation, when this_host is given), HUDDLE_LAYOUT and HUDDLE_RANKFILE
 * (when given), HUDDLE_PGROUP and HUDDLE_PARTITION (a job of a placement
 * group; the partition only for the partition strategy), PBS_O_WORKDIR, PBS_O_HOST, PBS_QUEUE,
 * PBS_O_QUEUE, PBS_ENVIRONMENT=PBS_BATCH, PBS_NODENUM, PBS_TASKNUM,
 * PBS_ARRAY_INDEX (array sub-jobs), NCPUS, TMPDIR, HOME, USER, LOGNAME,
 * SHELL, PATH (PBS_O_PATH when sent, else the job's PATH, else
 * /usr/local/bin:/usr/bin:/bin) and CUDA_VISIBLE_DEVICES (when gpus were
 * allocated), which override the job's values; OMP_NUM_THREADS = NCPUS
 * unless the job sent one.  For huddle-rsh: HUDDLE_JOB_COOKIE (the run's
 * secret), HUDDLE_TASK_ENDPOINTS and HUDDLE_MUNGE_SOCKET (when the agent
 * has one).  For Open MPI, each unless the job
 * sent it (a user's choice wins): OMPI_MCA_plm_rsh_agent,
 * OMPI_MCA_orte_default_hostfile, and by ctx->mpi->transport, tcp:
 * OMPI_MCA_btl=self,vader,tcp, with tcp_if OMPI_MCA_btl_tcp_if_include;
 * ofi: OMPI_MCA_pml=cm, OMPI_MCA_mtl=ofi, OMPI_MCA_mtl_ofi_provider_include;
 * with tcp_if, OMPI_MCA_oob_tcp_if_include (orted's own connections) for
 * both.  Returns a NULL-terminated malloc'd array for
 * execve; free with jobenv_free.  NULL with errno ENOMEM. */
char **jobenv_build (const struct jobdesc *jd, const struct jobenv_ctx *ctx, struct herror *err);
void jobenv_free (char **env);

/* Whether a batch script names its interpreter on a "#!" first line, read
 * as the kernel reads it.  Returns 1 with buf holding the interpreter's
 * path and *arg the line's optional argument (inside buf; NULL when there
 * is none): "#! /usr/bin/python3 -u" gives "/usr/bin/python3" and "-u".
 * Returns 0 when the script names none (the shell runs it), -1 with errno
 * ENAMETOOLONG when the line does not fit in size bytes.  script may be
 * NULL (0). */
int jobenv_script_interpreter (const char *script, char *buf, size_t size, const char **arg);

/* Value of NAME in an environment array, or NULL. */
const char *jobenv_get (char *const *env, const char *name);

#endif
