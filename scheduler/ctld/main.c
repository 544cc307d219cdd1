/* main.c - huddle-ctld: start-up, signals, shutdown
 *
 *   huddle-ctld --state-dir DIR [--listen HOST:PORT] [--config FILE] ...
 *
 * Runs in the foreground.  Readiness for whoever started it: the pid file
 * is written and "listening on HOST:PORT" logged only once the state is
 * loaded and the socket accepts connections.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/daemon.h"
#include "common/log.h"
#include "scheduler/ctld/ctld.h"
#include "scheduler/ctld/ctld_fabric.h"
#include "scheduler/ctld/options.h"
#include "scheduler/ctld/store.h"

struct daemon {
    struct ctld ctx;
    struct ctld_options *opts;
    struct daemon_life *life;
    const char *pid_file;
};

static int open_store (struct ctld *ctx, struct herror *err)
{
    if (mkdir (ctx->cfg.state_dir, 0700) < 0 && errno != EEXIST)
        return herror_set (err, "cannot create %s: %s", ctx->cfg.state_dir, strerror (errno));
    ctx->store = store_open_flags (ctx->cfg.state_dir,
                                   ctx->cfg.store_sync_normal ? STORE_SYNC_NORMAL : 0, err);
    if (!ctx->store)
        return -1;
    const char *stored = store_server_name (ctx->store);
    if (stored && strcmp (stored, ctx->cfg.server_name) != 0)
        log_msg (LOG_LEVEL_WARN, "server name is %s; the state was written as %s: job ids change",
                 ctx->cfg.server_name, stored);
    if ((!stored || strcmp (stored, ctx->cfg.server_name) != 0) &&
        (store_set_server_name (ctx->store, ctx->cfg.server_name, err) < 0 ||
         store_flush (ctx->store, err) < 0))
        return -1;
    return 0;
}

/* Every client connection is a descriptor: take all the kernel allows the
 * process (the hard limit), as slurmctld does; connection_limit() in
 * server.c stays below it. */
static void raise_fd_limit (void)
{
    struct rlimit rl;
    if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit (RLIMIT_NOFILE, &rl) < 0)
            log_msg (LOG_LEVEL_WARN, "cannot raise the file descriptor limit: %s",
                     strerror (errno));
    }
}

static int start (struct daemon *d, struct herror *err)
{
    struct ctld *ctx = &d->ctx;

    raise_fd_limit();

    ctx->start_time = ctld_now();
    ctx->base = event_base_new();
    if (!ctx->base || event_base_priority_init (ctx->base, CTLD_NPRIORITIES) < 0)
        return herror_set (err, "cannot create the event loop");
    if (open_store (ctx, err) < 0)
        return -1;
    if (sched_create (ctx) < 0 || nodes_create (ctx) < 0 || jobs_create (ctx) < 0)
        return herror_set (err, "out of memory");
    if (server_create (ctx, err) < 0) /* before loading: puts queue flushes */
        return -1;
    /* groups before jobs: a running job's claim counts it in its group */
    if (nodes_load (ctx, err) < 0 || pgroups_create (ctx, err) < 0 || jobs_load (ctx, err) < 0 ||
        links_create (ctx, err) < 0) {
        herror_prefix (err, "loading %s", store_path (ctx->store));
        return -1;
    }
    if (ctld_fabric_create (ctx, err) < 0) /* after nodes_load: its lone nodes */
        return -1;
    d->life =
        daemon_life_create (ctx->base, "huddle-ctld", ctld_options_log_file (d->opts), "", err);
    if (!d->life)
        return -1;
    if (d->pid_file && daemon_life_pid_file (d->life, d->pid_file, err) < 0)
        return -1;
    sched_request (ctx);
    if (ctx->cfg.local_socket[0] != '\0')
        log_msg (LOG_LEVEL_INFO, "listening on %s for commands on this host",
                 ctx->cfg.local_socket);
    log_msg (LOG_LEVEL_INFO, "listening on %s:%d",
             ctx->cfg.listen_host[0] ? ctx->cfg.listen_host : "*", server_port (ctx));
    return 0;
}

static void stop (struct daemon *d)
{
    struct ctld *ctx = &d->ctx;
    server_destroy (ctx); /* commits the last turn */
    links_destroy (ctx);
    pgroups_destroy (ctx);
    job_messages_destroy (ctx);
    ctld_fabric_destroy (ctx);
    jobs_destroy (ctx);
    nodes_destroy (ctx);
    sched_destroy (ctx);
    store_close (ctx->store);
    daemon_life_destroy (d->life);
    if (ctx->base)
        event_base_free (ctx->base);
}

int main (int argc, char *argv[])
{
    struct daemon d = {0};
    struct herror err = {""};
    int rc;

    d.opts = ctld_options_parse (argc, argv, &d.ctx.cfg, &rc, &err);
    if (!d.opts) {
        if (rc != 0)
            fprintf (stderr, "huddle-ctld: %s\n", err.text);
        return rc;
    }
    d.pid_file = ctld_options_pid_file (d.opts);
    if (log_init ("huddle-ctld", ctld_options_log_level (d.opts), ctld_options_log_file (d.opts)) <
        0) {
        fprintf (stderr, "huddle-ctld: cannot open log file %s: %s\n",
                 ctld_options_log_file (d.opts), strerror (errno));
        ctld_options_destroy (d.opts);
        return 1;
    }
    if (start (&d, &err) < 0) {
        log_msg (LOG_LEVEL_ERROR, "%s", err.text);
        d.ctx.exit_code = 1;
    } else {
        event_base_dispatch (d.ctx.base);
        log_msg (LOG_LEVEL_INFO, "stopped");
    }
    stop (&d);
    rc = d.ctx.exit_code;
    ctld_options_destroy (d.opts);
    log_fini();
    return rc;
}
