/* main.c - huddle-agent: start-up, signals, shutdown
 *
 *   huddle-agent --server HOST:PORT [--name NAME] [--topology FILE.xml |
 *                --synthetic STR] [--state-dir DIR] ...   (--help lists all)
 *
 * Runs in the foreground.  Start-up order: options, log, topology model,
 * containment backend, the link probe endpoint, the task port, adoption of every job in the state
 * directory, the first connection attempt, then the pid file.  So the pid file means "running and
 * trying to register"; whoever needs the node usable waits for the controller to show it free
 * (qnodes), as the system tests do.
 *
 * SIGTERM and SIGINT stop the agent without touching its jobs: their
 * shepherds run on, and a restarted agent adopts them (slurmd and its
 * step daemons work the same way).  SIGHUP reopens the log file.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agentd.h"
#include "agent/contain.h"
#include "common/daemon.h"
#include "topology/node.h"

struct daemon {
    struct agentd ad;
    struct agentd_options *opts;
    struct daemon_life *life;
};

/* mkdir -p with mode 0711 for the parts it creates: job owners must be
 * able to reach their job's directory (shepherd.h). */
static int make_state_dir (const char *dir, struct herror *err)
{
    char path[4096];
    if (snprintf (path, sizeof (path), "%s", dir) >= (int)sizeof (path))
        return herror_set (err, "state directory path too long");
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir (path, 0711) < 0 && errno != EEXIST)
            return herror_set (err, "cannot create %s: %s", path, strerror (errno));
        *p = c;
        if (c == '\0')
            break;
    }
    return 0;
}

static int load_topology (struct agentd *ad, struct herror *err)
{
    struct topo_node *t;
    if (ad->cfg.topology)
        t = topo_node_load_xml (ad->cfg.topology, err);
    else if (ad->cfg.synthetic)
        t = topo_node_load_synthetic (ad->cfg.synthetic, err);
    else
        t = topo_node_load_live (err);
    if (!t)
        return -1;
    char summary[160];
    topo_node_summary (t, summary, sizeof (summary));
    ad->topology = topo_node_to_json (t);
    topo_node_destroy (t);
    if (!ad->topology)
        return herror_set (err, "out of memory");
    log_msg (LOG_LEVEL_INFO, "node %s: %s", ad->cfg.name, summary);
    return 0;
}

static int start (struct daemon *d, struct herror *err)
{
    struct agentd *ad = &d->ad;

    ad->kill_grace = 10;
    if (!(ad->base = event_base_new()))
        return herror_set (err, "cannot create the event loop");
    if (load_topology (ad, err) < 0 || make_state_dir (ad->cfg.state_dir, err) < 0)
        return -1;
    struct contain_config cc = {
        /* "auto" leaves the choice to $HUDDLE_CONTAIN, then to what is mounted */
        .backend =
            ad->cfg.contain && strcmp (ad->cfg.contain, "auto") != 0 ? ad->cfg.contain : NULL,
        .name = ad->cfg.cgroup_name,
    };
    if (!(ad->contain = contain_create (&cc, err))) {
        herror_prefix (err, "containment");
        return -1;
    }
    log_msg (LOG_LEVEL_INFO, "containment: %s", contain_describe (ad->contain));
    d->life = daemon_life_create (ad->base, "huddle-agent", ad->cfg.log_file,
                                  " (jobs keep running)", err);
    if (!d->life)
        return -1;
    agentd_probe_open (ad);
    if (agentd_task_open (ad, err) < 0)
        return -1;
    if (agentd_jobs_create (ad, err) < 0 || agentd_conn_create (ad, err) < 0)
        return -1;
    if (ad->cfg.pid_file && daemon_life_pid_file (d->life, ad->cfg.pid_file, err) < 0)
        return -1;
    log_msg (LOG_LEVEL_INFO, "node %s: state in %s, controller %s", ad->cfg.name, ad->cfg.state_dir,
             ad->cfg.server);
    return 0;
}

static void stop (struct daemon *d)
{
    struct agentd *ad = &d->ad;
    agentd_conn_destroy (ad);
    agentd_jobs_destroy (ad); /* never signals a job */
    agentd_probe_close (ad);
    agentd_task_close (ad);
    contain_destroy (ad->contain);
    json_decref (ad->topology);
    daemon_life_destroy (d->life);
    if (ad->base)
        event_base_free (ad->base);
}

int main (int argc, char *argv[])
{
    struct daemon d = {0};
    struct herror err = {""};
    int rc;

    d.opts = agentd_options_parse (argc, argv, &d.ad.cfg, &rc, &err);
    if (!d.opts) {
        if (rc != 0)
            fprintf (stderr, "huddle-agent: %s\n", err.text);
        return rc;
    }
    if (log_init ("huddle-agent", d.ad.cfg.log_level, d.ad.cfg.log_file) < 0) {
        fprintf (stderr, "huddle-agent: cannot open log file %s: %s\n", d.ad.cfg.log_file,
                 strerror (errno));
        agentd_options_destroy (d.opts);
        return 1;
    }
    if (start (&d, &err) < 0) {
        log_msg (LOG_LEVEL_ERROR, "%s", err.text);
        d.ad.exit_code = 1;
    } else {
        event_base_dispatch (d.ad.base);
        log_msg (LOG_LEVEL_INFO, "stopped");
    }
    stop (&d);
    rc = d.ad.exit_code;
    agentd_options_destroy (d.opts);
    log_fini();
    return rc;
}
