/* options.c - huddle-ctld's option table (see options.h)
 *
 * One row per option in common/config.h's table form: name, type, default,
 * bounds and help.  The config file, the command line, --help and
 * docs/ctld.md all come from the same rows (Redis config.c style), so they
 * cannot disagree.  What the table cannot say (an address, a user that
 * must exist, timeout > interval) is checked in resolve().
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/pbs_resources.h"
#include "scheduler/ctld/labels.h"
#include "scheduler/ctld/options.h"
#include "scheduler/ctld/queues.h"

static const struct config_option table[] = {
    {"listen", CONFIG_STRING, "127.0.0.1:15001", 0, 0,
     "address and TCP port for agents and clients: HOST:PORT, [V6ADDR]:PORT, or :PORT for "
     "all addresses (port 0 picks a free one)"},
    {"local_socket", CONFIG_STRING, "", 0, 0,
     "path of a UNIX socket for commands on this host, who are identified by the kernel "
     "instead of MUNGE (one munged round trip less each way, and no munged needed); clients "
     "use it with \"server = PATH\" or HUDDLE_SERVER=PATH (empty: none)"},
    {"state_dir", CONFIG_STRING, "/var/lib/huddle", 0, 0,
     "directory of the state database (huddle.db); created if missing"},
    {"server_name", CONFIG_STRING, "", 0, 0,
     "server name in job ids SEQ.SERVER (empty: the short host name)"},
    {"node_names", CONFIG_STRLIST, "", 0, 0, "node names agents may register as (empty: any)"},
    {"heartbeat_interval", CONFIG_DURATION, "5s", 1, 3600,
     "time between an agent's heartbeats (agents are told at registration)"},
    {"heartbeat_timeout", CONFIG_DURATION, "30s", 2, 86400,
     "silence after which a node is down and its jobs are requeued (rerunnable, once "
     "job_lease has run out) or failed; "
     "also how long running jobs wait for their node's agent after a controller restart"},
    {"default_queue", CONFIG_STRING, "workq", 0, 0,
     "queue of jobs that name none (qsub without -q); one of option queues"},
    {"default_walltime", CONFIG_DURATION, "24h", 1, 3650LL * 86400,
     "walltime of jobs that ask for none, in a queue that sets no default_walltime"},
    {"queues", CONFIG_STRING, "", 0, 0,
     "the queues: entries NAME[:KEY=VALUE,...] separated by blanks or ';', KEY one of "
     "priority (-1024..1023), default_walltime and max_walltime ([[HH:]MM:]SS), max_user_run "
     "(running jobs per user, 0: no limit), enabled and started (true/false), e.g. \"workq "
     "express:priority=100,max_walltime=1:00:00,max_user_run=2\"; empty: one queue, "
     "default_queue"},
    {"max_message_size", CONFIG_SIZE, "16M", 1024, 1024LL * 1024 * 1024,
     "largest message body accepted; a larger frame is refused and the connection closed"},
    {"service_user", CONFIG_STRING, "root", 0, 0,
     "user (besides root) whose agents may register nodes, and who may offline/clear nodes"},
    {"kill_grace", CONFIG_DURATION, "10s", 0, 3600,
     "time between SIGTERM and SIGKILL when a job is killed (told to agents)"},
    {"job_history", CONFIG_DURATION, "14d", 0, 3650LL * 86400,
     "how long finished jobs stay visible (qstat -x), PBS job_history_duration"},
    {"max_jobs_per_pass", CONFIG_UINT, "10000", 1, 10000000,
     "queued jobs one scheduling pass considers (bounds the time a pass holds the loop; the "
     "rest wait for the next pass)"},
    {"sched_policy", CONFIG_STRING, "easy", 0, 0,
     "easy: the first queued job that cannot start gets a reservation and later jobs start only "
     "if they end before it or keep off its nodes; conservative: every queued job gets one (up "
     "to backfill_depth), and no job may delay an earlier one's; fcfs: strict order, the first "
     "job that cannot start stops the pass"},
    {"backfill_depth", CONFIG_UINT, "10", 0, 10000000,
     "sched_policy conservative: reservations one pass makes, in queue order (0: one for every "
     "queued job it considers); each costs a search of the running jobs' ends, so keep it small "
     "on big clusters"},
    {"store_sync", CONFIG_STRING, "full", 0, 0,
     "full: a commit survives power loss; normal: survives a crash of the process only "
     "(cheaper)"},
    {"store_retry_interval", CONFIG_DURATION, "2s", 1, 3600,
     "while the state store cannot commit (disk full), how often to try again; new work is "
     "refused meanwhile"},
    {"store_min_free", CONFIG_SIZE, "64M", 0, 1LL << 40,
     "new work is refused while the state directory's file system has less free space than "
     "this (running jobs still end and are recorded)"},
    {"max_script_size", CONFIG_SIZE, "4M", 1, 1024LL * 1024 * 1024, "largest job script accepted"},
    {"max_user_jobs", CONFIG_UINT, "10000", 1, 100000000,
     "jobs (queued, held or running) one user may have; root has no limit"},
    {"max_array_size", CONFIG_UINT, "10000", 2, 1048576,
     "most subjobs of one job array (qsub -J), as PBS's server attribute of that name"},
    {"max_user_script_bytes", CONFIG_SIZE, "256M", 1, 1LL << 40,
     "total size of the scripts of one user's jobs (queued, held or running); root has no "
     "limit"},
    {"query_page_jobs", CONFIG_UINT, "1000", 1, 1000000,
     "most jobs in one job.query reply (qstat asks for the next page itself)"},
    {"query_page_links", CONFIG_UINT, "4096", 1, 1000000,
     "most measured links in one link.query reply (qtopo asks for the next page itself)"},
    {"query_page_bytes", CONFIG_SIZE, "4M", 4096, 256LL * 1024 * 1024,
     "a job.query reply ends after the job that takes it past this size"},
    {"client_idle_timeout", CONFIG_DURATION, "60s", 1, 86400,
     "a command's connection with no request for this long is closed (agents' are not)"},
    {"max_user_connections", CONFIG_UINT, "128", 1, 1000000,
     "open connections one user (not root, not the service user) may have"},
    {"max_connections", CONFIG_UINT, "0", 0, 10000000,
     "open connections in all (0: the file descriptor limit less 64); beyond it new "
     "connections are closed at once"},
    {"reserved_connections", CONFIG_UINT, "64", 0, 1000000,
     "of max_connections, kept for agents, root and the service user"},
    {"log_level", CONFIG_LOGLEVEL, "info", 0, 0, "most verbose messages logged"},
    {"log_file", CONFIG_STRING, "", 0, 0,
     "file to log to, appended (empty: stderr); reopened on SIGHUP"},
    {"pid_file", CONFIG_STRING, "", 0, 0,
     "file to write the pid to once the daemon accepts connections (removed at exit)"},
    {"job_lease", CONFIG_DURATION, "5m", 2, 30LL * 86400,
     "how long an agent's jobs run on without word from the controller: then the agent kills "
     "them (fence), and only after job_lease + kill_grace + 5s of silence are a lost node's "
     "rerunnable jobs requeued; at least heartbeat_timeout.  A controller outage longer than "
     "this ends every running job"},
    {"probe_interval", CONFIG_DURATION, "10s", 0, 86400,
     "how often idle nodes are looked at for link probes (latency and bandwidth between "
     "agents' libfabric endpoints; qtopo --links); 0: no probes"},
    {"probe_refresh", CONFIG_DURATION, "1h", 1, 365LL * 86400,
     "a measured link is measured again once its measurement is this old"},
    {"probe_parallel", CONFIG_UINT, "1", 1, 1024,
     "link probes at once (on disjoint nodes; probes sharing a switch measure each other)"},
    {"probe_pings", CONFIG_UINT, "100", 1, 100000,
     "round trips of a latency probe (the median is kept)"},
    {"probe_streams", CONFIG_UINT, "16", 1, 100000, "large messages of a bandwidth probe"},
    {"probe_stream_size", CONFIG_SIZE, "1M", 16, 16LL << 20,
     "size of each large message of a bandwidth probe"},
    {"probe_timeout", CONFIG_DURATION, "3s", 1, 10,
     "longest a probe may take (agents run it in their event loop, so it stays short)"},
    {"fabric", CONFIG_STRING, "", 0, 0,
     "the cluster's switch tree: Slurm topology.conf, or EC2 DescribeInstanceTopology JSON "
     "(told apart by content: JSON starts with '{'); read at start and again on SIGHUP, when a "
     "bad file is refused and the tree in use kept (empty: the tree is inferred from the "
     "measured links)"},
    {"fabric_map", CONFIG_STRING, "", 0, 0,
     "for an EC2 fabric: file of \"NODE INSTANCE-ID\" lines naming the cluster's instances "
     "(empty: nodes are named by instance id)"},
    {"mail_command", CONFIG_STRING, "", 0, 0,
     "command that sends the mail jobs ask for with qsub -m/-M, run as COMMAND -s SUBJECT "
     "ADDRESS... with the message on its standard input (the form of mail and mailx); empty: no "
     "mail is sent, and the log says so once"},
    {"node_labels", CONFIG_STRING, "", 0, 0,
     "labels of nodes that jobs may ask for (custom host resources, Torque node properties): "
     "entries HOSTLIST:LABEL[,LABEL...] separated by blanks or ';', a LABEL being NAME or "
     "NAME=VALUE, e.g. \"node[01-04]:a100,ib,gpu_type=a100 node05:bigmem\"; every node also "
     "has arch=linux"},
    {NULL, 0, NULL, 0, 0, NULL},
};

struct ctld_options {
    struct config *config;
    char *listen_host;
    struct queues *queues;
};

void ctld_options_help (FILE *f)
{
    fprintf (f, "Usage: huddle-ctld [--config FILE] [--OPTION=VALUE]...\n\n"
                "The huddle controller: node registry, job queue, scheduling, state store.\n"
                "Runs in the foreground.  Options (also \"name = value\" lines in --config "
                "FILE;\nthe command line wins):\n\n");
    config_print_help (table, f);
    fprintf (f, "  --config=FILE\n      read options from FILE first\n"
                "  --help\n      print this and exit\n");
}

void ctld_options_destroy (struct ctld_options *o)
{
    if (!o)
        return;
    config_destroy (o->config);
    free (o->listen_host);
    queues_destroy (o->queues);
    free (o);
}

static int split_listen (struct ctld_options *o, const char *s, struct ctld_config *cfg,
                         struct herror *err)
{
    const char *colon = strrchr (s, ':');
    char *end;
    if (!colon)
        return herror_set (err, "option listen: \"%s\" is not HOST:PORT", s);
    long port = strtol (colon + 1, &end, 10);
    if (end == colon + 1 || *end || port < 0 || port > 65535)
        return herror_set (err, "option listen: \"%s\": bad port", s);
    const char *host = s;
    size_t len = colon - s;
    if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
        host++;
        len -= 2;
    }
    cfg->listen_host = o->listen_host = strndup (host, len);
    cfg->listen_port = (int)port;
    return cfg->listen_host ? 0 : herror_set (err, "out of memory");
}

static int check_names (const char *const *names, struct herror *err)
{
    for (int i = 0; names && names[i]; i++) {
        if (!pbs_hostname_valid (names[i]))
            return herror_set (err, "option node_names: \"%s\" is not a node name", names[i]);
    }
    return 0;
}

/* Default server name: the short host name. */
static int set_server_name (struct config *c, struct herror *err)
{
    char host[256] = "localhost";
    if (config_get_string (c, "server_name")[0] != '\0')
        return 0;
    gethostname (host, sizeof (host) - 1);
    host[strcspn (host, ".")] = '\0';
    return config_set (c, "server_name", host, err);
}

/* Turn the checked values into cfg (strings borrowed from the config). */
static int resolve (struct ctld_options *o, struct ctld_config *cfg, struct herror *err)
{
    struct config *c = o->config;

    cfg->heartbeat_interval = (int)config_get_int (c, "heartbeat_interval");
    cfg->heartbeat_timeout = (int)config_get_int (c, "heartbeat_timeout");
    if (cfg->heartbeat_timeout <= cfg->heartbeat_interval)
        return herror_set (err,
                           "option heartbeat_timeout (%ds) must be longer than "
                           "heartbeat_interval (%ds)",
                           cfg->heartbeat_timeout, cfg->heartbeat_interval);
    if (split_listen (o, config_get_string (c, "listen"), cfg, err) < 0)
        return -1;
    cfg->local_socket = (char *)config_get_string (c, "local_socket");
    if (cfg->local_socket[0] != '\0' && cfg->local_socket[0] != '/')
        return herror_set (err, "option local_socket: \"%s\" is not an absolute path",
                           cfg->local_socket);
    cfg->state_dir = (char *)config_get_string (c, "state_dir");
    if (cfg->state_dir[0] == '\0')
        return herror_set (err, "option state_dir is empty");
    if (set_server_name (c, err) < 0)
        return -1;
    cfg->server_name = (char *)config_get_string (c, "server_name");
    if (!pbs_hostname_valid (cfg->server_name))
        return herror_set (err, "option server_name: \"%s\" is not a host name", cfg->server_name);
    cfg->node_names = (char **)config_get_strlist (c, "node_names", NULL);
    if (check_names ((const char *const *)cfg->node_names, err) < 0)
        return -1;
    cfg->default_queue = (char *)config_get_string (c, "default_queue");
    if (cfg->default_queue[0] == '\0')
        return herror_set (err, "option default_queue is empty");
    cfg->default_walltime = config_get_int (c, "default_walltime");
    if (!(cfg->queues = o->queues = queues_parse (config_get_string (c, "queues"),
                                                  cfg->default_queue, cfg->default_walltime, err)))
        return -1;
    cfg->max_message_size = config_get_int (c, "max_message_size");
    const char *user = config_get_string (c, "service_user");
    struct passwd *pw = getpwnam (user);
    if (!pw)
        return herror_set (err, "option service_user: no user \"%s\"", user);
    cfg->service_uid = pw->pw_uid;
    cfg->kill_grace = (int)config_get_int (c, "kill_grace");
    cfg->job_history = config_get_int (c, "job_history");
    cfg->max_jobs_per_pass = (int)config_get_int (c, "max_jobs_per_pass");
    const char *policy = config_get_string (c, "sched_policy");
    if (strcmp (policy, "easy") == 0)
        cfg->sched_policy = SCHED_EASY;
    else if (strcmp (policy, "conservative") == 0)
        cfg->sched_policy = SCHED_CONSERVATIVE;
    else if (strcmp (policy, "fcfs") == 0)
        cfg->sched_policy = SCHED_FCFS;
    else
        return herror_set (err, "option sched_policy: \"%s\" is not easy, conservative or fcfs",
                           policy);
    cfg->backfill_depth = (int)config_get_int (c, "backfill_depth");
    const char *sync = config_get_string (c, "store_sync");
    if (strcmp (sync, "full") != 0 && strcmp (sync, "normal") != 0)
        return herror_set (err, "option store_sync: \"%s\" is not full or normal", sync);
    cfg->store_sync_normal = strcmp (sync, "normal") == 0;
    cfg->store_retry_interval = (int)config_get_int (c, "store_retry_interval");
    cfg->store_min_free = config_get_int (c, "store_min_free");
    cfg->max_script_size = config_get_int (c, "max_script_size");
    cfg->max_user_jobs = config_get_int (c, "max_user_jobs");
    cfg->max_user_script_bytes = config_get_int (c, "max_user_script_bytes");
    cfg->max_array_size = config_get_int (c, "max_array_size");
    cfg->query_page_jobs = (int)config_get_int (c, "query_page_jobs");
    cfg->query_page_links = (int)config_get_int (c, "query_page_links");
    cfg->query_page_bytes = config_get_int (c, "query_page_bytes");
    cfg->client_idle_timeout = (int)config_get_int (c, "client_idle_timeout");
    cfg->max_user_connections = (int)config_get_int (c, "max_user_connections");
    cfg->max_connections = (int)config_get_int (c, "max_connections");
    cfg->reserved_connections = (int)config_get_int (c, "reserved_connections");
    cfg->fabric = (char *)config_get_string (c, "fabric");
    cfg->fabric_map = (char *)config_get_string (c, "fabric_map");
    if (cfg->fabric_map[0] && !cfg->fabric[0])
        return herror_set (err, "option fabric_map needs option fabric");
    cfg->mail_command = (char *)config_get_string (c, "mail_command");
    cfg->node_labels = (char *)config_get_string (c, "node_labels");
    if (labels_config_check (cfg->node_labels, err) < 0)
        return -1;
    /* A lease shorter than the timeout would kill jobs on nodes the
     * controller still counts as up (a short network blip would end them
     * while nothing else would notice). */
    cfg->job_lease = (int)config_get_int (c, "job_lease");
    if (cfg->job_lease < cfg->heartbeat_timeout)
        return herror_set (err,
                           "option job_lease (%ds) must be at least heartbeat_timeout (%ds): "
                           "agents would kill their jobs before their node is down",
                           cfg->job_lease, cfg->heartbeat_timeout);
    cfg->probe_interval = (int)config_get_int (c, "probe_interval");
    cfg->probe_refresh = config_get_int (c, "probe_refresh");
    cfg->probe_parallel = (int)config_get_int (c, "probe_parallel");
    cfg->probe_pings = (int)config_get_int (c, "probe_pings");
    cfg->probe_streams = (int)config_get_int (c, "probe_streams");
    cfg->probe_stream_size = config_get_int (c, "probe_stream_size");
    cfg->probe_timeout = (int)config_get_int (c, "probe_timeout");
    return 0;
}

struct ctld_options *ctld_options_parse (int argc, char *argv[], struct ctld_config *cfg,
                                         int *exit_code, struct herror *err)
{
    if (config_args_want_help (argc, argv)) {
        ctld_options_help (stdout);
        *exit_code = 0;
        return NULL;
    }
    *exit_code = 2;
    memset (cfg, 0, sizeof (*cfg));
    struct ctld_options *o = calloc (1, sizeof (*o));
    if (!o || !(o->config = config_create (table, err))) {
        if (!o)
            herror_set (err, "out of memory");
        ctld_options_destroy (o);
        return NULL;
    }
    if (config_parse_args (o->config, argc, argv, err) < 0 || resolve (o, cfg, err) < 0) {
        ctld_options_destroy (o);
        return NULL;
    }
    *exit_code = 0;
    return o;
}

const char *ctld_options_pid_file (const struct ctld_options *o)
{
    const char *s = config_get_string (o->config, "pid_file");
    return s && s[0] ? s : NULL;
}

const char *ctld_options_log_file (const struct ctld_options *o)
{
    const char *s = config_get_string (o->config, "log_file");
    return s && s[0] ? s : NULL;
}

enum log_level ctld_options_log_level (const struct ctld_options *o)
{
    return config_get_loglevel (o->config, "log_level");
}
