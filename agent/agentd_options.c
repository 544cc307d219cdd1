/* agentd_options.c - huddle-agent's option table
 *
 * One row per option in common/config.h's table form, so the config file,
 * the command line and --help cannot disagree.  What the table cannot say
 * (an address, a user that must exist, XML vs. synthetic) is checked in
 * resolve().  The command line is read by config_parse_args (boolean
 * options may be bare flags: --no-bind).
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agentd.h"
#include "common/auth.h"
#include "common/config.h"
#include "common/pbs_resources.h"

#define SERVER_DEFAULT "127.0.0.1:15001"

static const struct config_option table[] = {
    {"server", CONFIG_STRING, "", 0, 0,
     "the controller's HOST:PORT (empty: $HUDDLE_SERVER, else " SERVER_DEFAULT ")"},
    {"name", CONFIG_STRING, "", 0, 0, "this node's name (empty: the short host name)"},
    {"topology", CONFIG_STRING, "", 0, 0,
     "hwloc XML file to report as this node's hardware (empty: the live machine)"},
    {"synthetic", CONFIG_STRING, "", 0, 0,
     "hwloc synthetic description to report instead, e.g. \"pack:2 numa:2 core:8 pu:1\""},
    {"state_dir", CONFIG_STRING, "/var/lib/huddle/agent", 0, 0,
     "directory of the job directories (created if missing; must be o+x); what lets a "
     "restarted agent adopt its jobs"},
    {"tmpdir_base", CONFIG_STRING, "/tmp", 0, 0,
     "parent directory of the jobs' TMPDIR (BASE/huddle.JOBID.XXXXXX, a name nobody can take "
     "in advance); if others may write in it, it must be sticky as /tmp is (jobs are requeued "
     "otherwise)"},
    {"no_bind", CONFIG_BOOL, "no", 0, 0, "never bind jobs to their allocated PUs"},
    {"bind_address", CONFIG_STRING, "", 0, 0,
     "local address to connect to the controller from (empty: any); loopback test nodes "
     "use 127.0.0.2, 127.0.0.3, ..."},
    {"contain", CONFIG_STRING, "auto", 0, 0,
     "containment backend: auto, cgv2, cgv1 or pgrp (auto: $HUDDLE_CONTAIN, else by what is "
     "mounted)"},
    {"job_pids_max", CONFIG_UINT, "16384", 0, 4194304,
     "most processes and threads one job may have on this node at once (its cgroup's pids.max; "
     "fork fails beyond it, so a runaway job cannot exhaust the node); 0: no limit"},
    {"cgroup_name", CONFIG_STRING, "huddle", 0, 0,
     "name of huddle's cgroup directory (agents sharing one machine may use one each)"},
    {"service_user", CONFIG_STRING, "root", 0, 0,
     "user (besides root and the agent's own user) the controller may run as; orders from "
     "anyone else are refused"},
    {"log_level", CONFIG_LOGLEVEL, "info", 0, 0, "most verbose messages logged"},
    {"log_file", CONFIG_STRING, "", 0, 0,
     "file to log to, appended (empty: stderr); reopened on SIGHUP"},
    {"pid_file", CONFIG_STRING, "", 0, 0,
     "file to write the pid to once the jobs in the state directory are adopted and the "
     "first connection is under way (removed at exit)"},
    {"probe_provider", CONFIG_STRING, "", 0, 0,
     "libfabric provider of the link probe endpoint, e.g. efa, verbs, \"tcp;ofi_rxm\" (empty: "
     "the first RDM provider that is not shm; none: no link probes)"},
    {"probe_replay", CONFIG_STRING, "", 0, 0,
     "answer link probes from FILE (lines NODE_A NODE_B LATENCY_US BANDWIDTH_MBPS) instead "
     "of measuring a fabric"},
    {"task_port", CONFIG_UINT, "0", 0, 65535,
     "TCP port on which huddle-rsh asks this agent to start a job's remote tasks (MPI's orted); "
     "0: a free port, reported at registration and taken again after a restart "
     "(STATE_DIR/task_port)"},
    {"task_address", CONFIG_STRING, "", 0, 0,
     "address the other nodes' huddle-rsh reach this agent at (empty: bind_address, else the "
     "node name); the task port listens on bind_address, else on every address"},
    {"rsh_path", CONFIG_STRING, "", 0, 0,
     "huddle-rsh as the jobs see it, for OMPI_MCA_plm_rsh_agent (empty: " HUDDLE_BINDIR
     "/huddle-rsh when it exists, else huddle-rsh from the job's PATH)"},
    {"mpi_transport", CONFIG_STRING, "tcp", 0, 0,
     "what Open MPI jobs use between nodes: tcp (the tcp BTL, on mpi_tcp_if), ofi (the ofi MTL "
     "with provider mpi_ofi_provider) or none (Open MPI decides)"},
    {"mpi_tcp_if", CONFIG_STRING, "", 0, 0,
     "network interfaces (comma-separated, e.g. ib0 or lo) MPI's tcp traffic and orted's "
     "connections are restricted to (empty: any)"},
    {"mpi_ofi_provider", CONFIG_STRING, "", 0, 0,
     "libfabric provider for mpi_transport ofi, e.g. efa, verbs (empty: libfabric's choice)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

struct agentd_options {
    struct config *config;
    char *name; /* default name (short host name) */
};

static void print_help (FILE *f)
{
    fprintf (f, "Usage: huddle-agent [--config FILE] [--OPTION=VALUE]...\n\n"
                "The huddle node agent: registers this node with the controller, runs its\n"
                "jobs and reports their results.  Runs in the foreground; SIGTERM stops it\n"
                "without touching running jobs (a restarted agent adopts them).\n"
                "Options (also \"name = value\" lines in --config FILE; the command line "
                "wins):\n\n");
    config_print_help (table, f);
    fprintf (f, "  --config=FILE\n      read options from FILE first\n"
                "  --help\n      print this and exit\n");
}

void agentd_options_destroy (struct agentd_options *o)
{
    if (!o)
        return;
    config_destroy (o->config);
    free (o->name);
    free (o);
}

static const char *nonempty (const char *s)
{
    return s && s[0] ? s : NULL;
}

static int resolve (struct agentd_options *o, struct agentd_config *cfg, struct herror *err)
{
    struct config *c = o->config;

    cfg->server = nonempty (config_get_string (c, "server"));
    if (!cfg->server)
        cfg->server = nonempty (getenv ("HUDDLE_SERVER"));
    if (!cfg->server)
        cfg->server = SERVER_DEFAULT;
    if (!strrchr (cfg->server, ':'))
        return herror_set (err, "option server: \"%s\" is not HOST:PORT", cfg->server);

    cfg->name = nonempty (config_get_string (c, "name"));
    if (!cfg->name) {
        char host[256] = "localhost";
        gethostname (host, sizeof (host) - 1);
        host[strcspn (host, ".")] = '\0';
        if (!(o->name = strdup (host)))
            return herror_set (err, "out of memory");
        cfg->name = o->name;
    }
    if (!pbs_hostname_valid (cfg->name))
        return herror_set (err, "option name: \"%s\" is not a node name", cfg->name);

    cfg->topology = nonempty (config_get_string (c, "topology"));
    cfg->synthetic = nonempty (config_get_string (c, "synthetic"));
    if (cfg->topology && cfg->synthetic)
        return herror_set (err, "options topology and synthetic exclude each other");
    cfg->state_dir = nonempty (config_get_string (c, "state_dir"));
    if (!cfg->state_dir)
        return herror_set (err, "option state_dir is empty");
    cfg->tmpdir_base = nonempty (config_get_string (c, "tmpdir_base"));
    cfg->contain = nonempty (config_get_string (c, "contain"));
    cfg->cgroup_name = nonempty (config_get_string (c, "cgroup_name"));
    if (cfg->cgroup_name && strchr (cfg->cgroup_name, '/'))
        return herror_set (err, "option cgroup_name: \"%s\" must not contain '/'",
                           cfg->cgroup_name);
    cfg->no_bind = config_get_bool (c, "no_bind");
    cfg->bind_address = nonempty (config_get_string (c, "bind_address"));
    const char *user = config_get_string (c, "service_user");
    struct passwd *pw = getpwnam (user);
    if (!pw)
        return herror_set (err, "option service_user: no user \"%s\"", user);
    cfg->service_uid = pw->pw_uid;
    cfg->pid_file = nonempty (config_get_string (c, "pid_file"));
    cfg->log_file = nonempty (config_get_string (c, "log_file"));
    cfg->log_level = config_get_loglevel (c, "log_level");
    cfg->probe_provider = nonempty (config_get_string (c, "probe_provider"));
    cfg->probe_replay = nonempty (config_get_string (c, "probe_replay"));
    cfg->task_port = (int)config_get_int (c, "task_port");
    cfg->task_address = nonempty (config_get_string (c, "task_address"));
    if (!cfg->task_address)
        cfg->task_address = cfg->bind_address ? cfg->bind_address : cfg->name;
    cfg->job_pids_max = (uint64_t)config_get_int (c, "job_pids_max");
    cfg->rsh_path = nonempty (config_get_string (c, "rsh_path"));
    if (!cfg->rsh_path)
        cfg->rsh_path = access (HUDDLE_BINDIR "/huddle-rsh", X_OK) == 0 ? HUDDLE_BINDIR
                            "/huddle-rsh"
                                                                        : "huddle-rsh";
    cfg->mpi.transport = config_get_string (c, "mpi_transport");
    if (strcmp (cfg->mpi.transport, "tcp") && strcmp (cfg->mpi.transport, "ofi") &&
        strcmp (cfg->mpi.transport, "none"))
        return herror_set (err, "option mpi_transport: \"%s\" is not tcp, ofi or none",
                           cfg->mpi.transport);
    cfg->mpi.tcp_if = nonempty (config_get_string (c, "mpi_tcp_if"));
    cfg->mpi.ofi_provider = nonempty (config_get_string (c, "mpi_ofi_provider"));
    cfg->mpi.rsh_agent = cfg->rsh_path;
    cfg->mpi.munge_socket = nonempty (getenv (AUTH_SOCKET_ENV));
    return 0;
}

struct agentd_options *agentd_options_parse (int argc, char *argv[], struct agentd_config *cfg,
                                             int *exit_code, struct herror *err)
{
    if (config_args_want_help (argc, argv)) {
        print_help (stdout);
        *exit_code = 0;
        return NULL;
    }
    *exit_code = 2;
    memset (cfg, 0, sizeof (*cfg));
    struct agentd_options *o = calloc (1, sizeof (*o));
    if (!o || !(o->config = config_create (table, err))) {
        if (!o)
            herror_set (err, "out of memory");
        agentd_options_destroy (o);
        return NULL;
    }
    if (config_parse_args (o->config, argc, argv, err) < 0 || resolve (o, cfg, err) < 0) {
        agentd_options_destroy (o);
        return NULL;
    }
    *exit_code = 0;
    return o;
}
