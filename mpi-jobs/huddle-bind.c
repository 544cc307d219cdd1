/* huddle-bind - bind one MPI rank as the job's layout says, then exec
 *
 *   mpirun huddle-bind [--verbose] [--] PROGRAM [ARG]...
 *
 * Reads the layout file the agent wrote for the job (HUDDLE_LAYOUT,
 * topology/layout.h), finds this process's rank and, for it:
 *
 *   - sets CUDA_VISIBLE_DEVICES to the rank's GPUs (replacing the job's
 *     list: the rank sees only the GPU(s) it drives);
 *   - binds the process to the rank's PUs with hwloc (the real machine's
 *     topology: HWLOC_XMLFILE and friends are ignored for this, as the
 *     agent does); when those PUs are not all on this machine (a test
 *     cluster describing a bigger machine) it says so and goes on unbound;
 *   - exports the rank's NIC in the variables the common stacks read, each
 *     only when the environment does not set it already (what the user
 *     chose wins):
 *       a network interface IF (eth0, ib0, ens5):  OMPI_MCA_btl_tcp_if_include,
 *         NCCL_SOCKET_IFNAME, and FI_TCP_IFACE (Ethernet) or FI_VERBS_IFACE
 *         (InfiniBand: IPoIB);
 *       an RDMA device DEV (mlx5_0, efa_0):  UCX_NET_DEVICES=DEV:1 and
 *         NCCL_IB_HCA=DEV, or for Ethernet NICs without one
 *         UCX_NET_DEVICES=IF;
 *       FI_PROVIDER: HUDDLE_FI_PROVIDER when set (the site's choice), else
 *         "efa" for an EFA device; otherwise left to libfabric.
 *     A name is an RDMA device when /sys/class/infiniband/NAME exists, or
 *     (no such directory: another machine's layout, a test) when it looks
 *     like one: letters and digits, "_", digits ("mlx5_0", "efa_0").
 *   - execs PROGRAM.
 *
 * The rank: the local rank on this node from OMPI_COMM_WORLD_LOCAL_RANK,
 * MPI_LOCALRANKID (MPICH) or SLURM_LOCALID, this node being HUDDLE_NODE
 * when set, else the layout node named like this host, else node number
 * PBS_NODENUM of the layout, else its first node; failing a local rank,
 * the job-wide rank from OMPI_COMM_WORLD_RANK, PMIX_RANK or PMI_RANK.
 *
 * Exit status: PROGRAM's (it replaces this process); 127 when PROGRAM
 * cannot be run, 2 for usage, 1 for a missing or bad layout or rank, with
 * one line on stderr naming what is missing.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hwloc.h>
#include <jansson.h>

#include "topology/layout.h"

static bool verbose;

static void die (int code, const char *fmt, ...) __attribute__ ((format (printf, 2, 3), noreturn));
static void die (int code, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    fputs ("huddle-bind: ", stderr);
    vfprintf (stderr, fmt, ap);
    fputc ('\n', stderr);
    va_end (ap);
    exit (code);
}

/* The first of NAMES that is set in the environment; *WHICH names it. */
static const char *first_env (const char *const *names, const char **which)
{
    for (const char *const *n = names; *n; n++) {
        const char *v = getenv (*n);
        if (v && *v) {
            *which = *n;
            return v;
        }
    }
    return NULL;
}

static int parse_rank (const char *name, const char *v)
{
    char *end;
    errno = 0;
    long n = strtol (v, &end, 10);
    if (errno || end == v || *end || n < 0 || n > LAYOUT_MAX_RANKS)
        die (1, "%s=%s: not a rank number", name, v);
    return (int)n;
}

/* This node's name in the layout (see the header comment). */
static const char *this_node (const struct layout *l)
{
    const char *n = getenv ("HUDDLE_NODE");
    if (n && *n)
        return n;
    char host[256] = "";
    gethostname (host, sizeof (host) - 1);
    size_t shortlen = strcspn (host, ".");
    for (int i = 0; i < layout_nranks (l); i++) {
        const char *name = layout_rank (l, i)->node;
        if (strcmp (name, host) == 0 ||
            (strlen (name) == shortlen && strncmp (name, host, shortlen) == 0))
            return name;
    }
    const char *num = getenv ("PBS_NODENUM");
    if (num && *num) {
        int want = parse_rank ("PBS_NODENUM", num), k = -1;
        const char *prev = NULL;
        for (int i = 0; i < layout_nranks (l); i++) {
            const char *name = layout_rank (l, i)->node;
            if (!prev || strcmp (prev, name) != 0)
                k++;
            prev = name;
            if (k == want)
                return name;
        }
    }
    return layout_nranks (l) > 0 ? layout_rank (l, 0)->node : NULL;
}

static const struct layout_rank *find_rank (const struct layout *l)
{
    static const char *const local_vars[] = {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID",
                                             "SLURM_LOCALID", NULL};
    static const char *const global_vars[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK",
                                              NULL};
    const char *which = NULL, *v;
    if ((v = first_env (local_vars, &which))) {
        int local = parse_rank (which, v);
        const char *node = this_node (l);
        const struct layout_rank *r = layout_find_local (l, node, local);
        if (!r)
            die (1, "%s=%d: the layout has no such local rank on node %s", which, local,
                 node ? node : "(none)");
        return r;
    }
    if ((v = first_env (global_vars, &which))) {
        int rank = parse_rank (which, v);
        if (rank >= layout_nranks (l))
            die (1, "%s=%d: the layout has %d ranks", which, rank, layout_nranks (l));
        return layout_rank (l, rank);
    }
    die (1, "no rank: none of OMPI_COMM_WORLD_LOCAL_RANK, MPI_LOCALRANKID, SLURM_LOCALID, "
            "OMPI_COMM_WORLD_RANK, PMIX_RANK, PMI_RANK is set (run me under mpirun or srun)");
}

static struct layout *load_layout (void)
{
    const char *path = getenv ("HUDDLE_LAYOUT");
    if (!path || !*path)
        die (1, "HUDDLE_LAYOUT is not set: run me inside a huddle job (or set it to a "
                "layout file)");
    json_error_t jerr;
    json_t *o = json_load_file (path, 0, &jerr);
    if (!o)
        die (1, "HUDDLE_LAYOUT=%s: %s", path, jerr.text);
    struct herror err = {""};
    struct layout *l = layout_from_json (o, &err);
    json_decref (o);
    if (!l)
        die (1, "HUDDLE_LAYOUT=%s: %s", path, err.text);
    return l;
}

static void set (const char *name, const char *value, bool override)
{
    if (!override && getenv (name))
        return;
    if (setenv (name, value, 1) < 0)
        die (1, "cannot set %s: %s", name, strerror (errno));
    if (verbose)
        fprintf (stderr, "huddle-bind: %s=%s\n", name, value);
}

static void set_gpus (const struct layout_rank *r)
{
    if (r->ngpus == 0)
        return;
    char buf[16 * TOPO_MAX_GPUS] = "";
    size_t len = 0;
    for (int i = 0; i < r->ngpus && len + 16 < sizeof (buf); i++)
        len += (size_t)snprintf (buf + len, sizeof (buf) - len, "%s%d", i ? "," : "", r->gpus[i]);
    set ("CUDA_VISIBLE_DEVICES", buf, true);
}

/* Bind to the rank's PUs on the real machine. */
static void bind_pus (const struct layout_rank *r)
{
    static const char *const hwloc_env[] = {"HWLOC_XMLFILE", "HWLOC_SYNTHETIC", "HWLOC_FSROOT",
                                            "HWLOC_COMPONENTS"};
    char *saved[4];
    if (r->npus == 0)
        return;
    for (int i = 0; i < 4; i++) {
        const char *v = getenv (hwloc_env[i]);
        saved[i] = v ? strdup (v) : NULL;
        unsetenv (hwloc_env[i]);
    }
    hwloc_topology_t topo;
    if (hwloc_topology_init (&topo) < 0 || hwloc_topology_load (topo) < 0)
        die (1, "hwloc cannot read this machine's topology");
    for (int i = 0; i < 4; i++) {
        if (saved[i])
            setenv (hwloc_env[i], saved[i], 1);
        free (saved[i]);
    }
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    for (int i = 0; i < r->npus; i++)
        hwloc_bitmap_set (set, (unsigned)r->pus[i]);
    char *want = NULL, *have = NULL;
    hwloc_bitmap_list_asprintf (&want, set);
    hwloc_const_cpuset_t here = hwloc_topology_get_topology_cpuset (topo);
    if (!hwloc_bitmap_isincluded (set, here)) {
        hwloc_bitmap_list_asprintf (&have, here);
        fprintf (stderr,
                 "huddle-bind: rank %d: binding skipped: PUs %s are not all on this machine "
                 "(it has %s)\n",
                 r->rank, want ? want : "?", have ? have : "?");
    } else if (hwloc_set_cpubind (topo, set, HWLOC_CPUBIND_PROCESS) < 0) {
        die (1, "rank %d: cannot bind to PUs %s: %s", r->rank, want ? want : "?", strerror (errno));
    } else if (verbose) {
        fprintf (stderr, "huddle-bind: rank %d bound to PUs %s\n", r->rank, want ? want : "?");
    }
    free (want);
    free (have);
    hwloc_bitmap_free (set);
    hwloc_topology_destroy (topo);
}

static bool looks_rdma (const char *name)
{
    char path[512];
    struct stat st;
    if (stat ("/sys/class/infiniband", &st) == 0) {
        snprintf (path, sizeof (path), "/sys/class/infiniband/%s", name);
        if (stat (path, &st) == 0)
            return true;
    }
    const char *us = strrchr (name, '_');
    if (!us || us == name || !us[1])
        return false;
    for (const char *p = us + 1; *p; p++) {
        if (!isdigit ((unsigned char)*p))
            return false;
    }
    for (const char *p = name; p < us; p++) {
        if (!isalnum ((unsigned char)*p))
            return false;
    }
    return true;
}

static void set_nic (const struct layout_rank *r)
{
    const char *ifname = NULL, *dev = NULL;
    for (int i = 0; i < r->nic_nnames; i++) {
        const char *n = r->nic_names[i];
        if (looks_rdma (n)) {
            if (!dev)
                dev = n;
        } else if (!ifname) {
            ifname = n;
        }
    }
    char buf[TOPO_MAX_STRING + 8];
    if (ifname) {
        set ("OMPI_MCA_btl_tcp_if_include", ifname, false);
        set ("NCCL_SOCKET_IFNAME", ifname, false);
        set (r->nic_kind == TOPO_NIC_INFINIBAND ? "FI_VERBS_IFACE" : "FI_TCP_IFACE", ifname, false);
    }
    if (dev) {
        snprintf (buf, sizeof (buf), "%s:1", dev);
        set ("UCX_NET_DEVICES", buf, false);
        set ("NCCL_IB_HCA", dev, false);
    } else if (ifname && r->nic_kind == TOPO_NIC_ETHERNET) {
        set ("UCX_NET_DEVICES", ifname, false);
    }
    const char *prov = getenv ("HUDDLE_FI_PROVIDER");
    if (prov && *prov)
        set ("FI_PROVIDER", prov, false);
    else if (dev && strncmp (dev, "efa", 3) == 0)
        set ("FI_PROVIDER", "efa", false);
}

static void usage (int code)
{
    fprintf (code ? stderr : stdout,
             "Usage: huddle-bind [--verbose] [--] PROGRAM [ARG]...\n"
             "Bind this MPI rank as the job's layout (HUDDLE_LAYOUT) says: its GPU\n"
             "(CUDA_VISIBLE_DEVICES), its cores (hwloc) and its NIC (FI_*, UCX_NET_DEVICES,\n"
             "NCCL_*, OMPI_MCA_btl_tcp_if_include); then run PROGRAM.\n");
    exit (code);
}

int main (int argc, char **argv)
{
    static const struct option opts[] = {
        {"verbose", no_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'}, {0}};
    int c;
    while ((c = getopt_long (argc, argv, "+vh", opts, NULL)) != -1) {
        if (c == 'v')
            verbose = true;
        else
            usage (c == 'h' ? 0 : 2);
    }
    if (optind >= argc)
        usage (2);
    struct layout *l = load_layout();
    const struct layout_rank *r = find_rank (l);
    set_gpus (r);
    bind_pus (r);
    set_nic (r);
    layout_destroy (l);
    execvp (argv[optind], argv + optind);
    die (127, "cannot run %s: %s", argv[optind], strerror (errno));
}
