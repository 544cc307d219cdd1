/* agentd_conn.c - huddle-agent's connection to the controller
 *
 * One connection at a time.  node.register goes out as soon as the
 * controller's hello.ok has proved its identity, carrying the topology
 * model and every job the state directory holds.  Orders are taken and results sent only once
 * node.register.ok has arrived: before that the controller has not
 * reconciled our jobs and would refuse a result.
 *
 * When the controller is down or the connection drops, running jobs go on
 * and their results wait in the state directory; the agent reconnects with
 * a backoff (0.2 s doubling to 5 s, reset by a registration) and registers
 * again.  A refused registration or heartbeat (the controller marked the
 * node down, or does not accept its name) is treated the same way: close,
 * wait, register again.
 *
 * The lease (agent/lease.h): node.register.ok and each node.heartbeat.ok
 * grant job_lease seconds counted from when the agent sent the message
 * they answer, written to STATEDIR/lease for the shepherds.  Heartbeats
 * carry increasing ids (from ID_HEARTBEAT) and their send times are kept
 * in a small ring, so an answer extends the lease from its own
 * heartbeat's send time; an answer whose heartbeat left the ring grants
 * nothing (the safe side).  While the controller is silent nothing renews
 * the lease, and once it has run out the shepherds kill their jobs: a
 * controller outage longer than job_lease ends the running jobs (the
 * price of never running a job twice; docs/ctld.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agentd.h"
#include "agent/lease.h"
#include "common/auth.h"
#include "common/conn.h"

#define BACKOFF_MIN   0.2 /* seconds */
#define BACKOFF_MAX   5.0
#define ID_REGISTER   1 /* ids of our own requests, to place error replies */
#define ID_HEARTBEAT  2 /* the first heartbeat's; each next one counts up */
#define HEARTBEAT_MAX 3600
#define LEASE_MAX     (30 * 86400) /* longest job_lease taken (seconds) */
#define HB_RING       64           /* heartbeats whose send time is kept */

struct agentd_conn {
    struct conn *c; /* NULL while disconnected */
    bool registered;
    double backoff; /* seconds before the next attempt */
    int failures;   /* attempts since the last registration */
    struct event *reconnect_ev, *heartbeat_ev;
    int64_t register_sent_ms; /* lease clock when node.register went out */
    int64_t hb_next_id;
    struct {
        int64_t id, sent_ms;
    } hb_sent[HB_RING];      /* by id % HB_RING */
    int64_t lease_ms;        /* job_lease from node.register.ok */
    int64_t lease_start_ms;  /* start of the lease last written */
    bool lease_write_failed; /* logged once until a write works again */
};

static void schedule_reconnect (struct agentd *ad)
{
    struct agentd_conn *ac = ad->conn;
    struct timeval tv = {.tv_sec = (time_t)ac->backoff,
                         .tv_usec = (suseconds_t)((ac->backoff - (time_t)ac->backoff) * 1e6)};
    evtimer_add (ac->reconnect_ev, &tv);
    ac->backoff = ac->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : ac->backoff * 2;
}

bool agentd_registered (struct agentd *ad)
{
    return ad->conn && ad->conn->c && ad->conn->registered;
}

int agentd_send (struct agentd *ad, const json_t *msg)
{
    if (!agentd_registered (ad)) {
        errno = ENOTCONN;
        return -1;
    }
    if (conn_send (ad->conn->c, msg) < 0) {
        log_msg (LOG_LEVEL_WARN, "cannot send %s: %s", proto_msg_type (msg), strerror (errno));
        return -1;
    }
    return 0;
}

/* Close the connection on our side; on_closed then schedules a retry. */
static void drop (struct agentd *ad, const char *why)
{
    struct agentd_conn *ac = ad->conn;
    log_msg (LOG_LEVEL_WARN, "controller %s: %s: reconnecting", ad->cfg.server, why);
    ac->registered = false;
    if (ac->c)
        conn_close (ac->c);
}

/* Extend the lease to start_ms (the send time of what the controller just
 * answered).  An older start than the one written is an answer overtaken by
 * a later one: nothing to do.  A write that fails leaves the old lease,
 * which runs out: the shepherds then fence their jobs, the safe way to
 * fail. */
static void lease_grant (struct agentd *ad, int64_t start_ms)
{
    struct agentd_conn *ac = ad->conn;
    struct lease l = {
        .start_ms = start_ms, .length_ms = ac->lease_ms * 1000, .grace_ms = ad->kill_grace * 1000};
    if (start_ms < ac->lease_start_ms)
        return;
    if (lease_write (ad->lease_file, &l) < 0) {
        if (!ac->lease_write_failed)
            log_msg (LOG_LEVEL_ERROR,
                     "cannot write the lease %s: %s (jobs here are killed when it runs out)",
                     ad->lease_file, strerror (errno));
        ac->lease_write_failed = true;
        return;
    }
    if (ac->lease_write_failed)
        log_msg (LOG_LEVEL_INFO, "lease %s written again", ad->lease_file);
    ac->lease_write_failed = false;
    ac->lease_start_ms = start_ms;
}

/* --------------------------------------------------------------- handlers */

static int on_register_ok (json_t *msg, void *arg, struct herror *err)
{
    struct agentd_request *rq = arg;
    struct agentd *ad = rq->ad;
    struct agentd_conn *ac = ad->conn;
    int64_t interval, lease, grace = 10;
    json_t *kill = NULL;

    if (proto_get_int_range (msg, "heartbeat_interval", 1, HEARTBEAT_MAX, &interval, err) < 0 ||
        proto_get_int_range (msg, "job_lease", 1, LEASE_MAX, &lease, err) < 0 ||
        proto_opt_int (msg, "kill_grace", &grace, err) < 0 ||
        proto_opt_array (msg, "kill", &kill, err) < 0) {
        log_msg (LOG_LEVEL_ERROR, "%s", err->text);
        drop (ad, "unusable registration reply");
        return 0; /* never answer the controller's reply with an error */
    }
    if (grace < 0 || grace > 3600) {
        log_msg (LOG_LEVEL_WARN, "controller sent kill_grace %lld: out of 0..3600, using 10",
                 (long long)grace);
        grace = 10;
    }
    ad->kill_grace = (int)grace;
    ac->lease_ms = lease;
    lease_grant (ad, ac->register_sent_ms);
    ac->registered = true;
    ac->backoff = BACKOFF_MIN;
    ac->failures = 0;
    struct timeval tv = {.tv_sec = (time_t)interval};
    evtimer_add (ac->heartbeat_ev, &tv);
    log_msg (LOG_LEVEL_INFO,
             "registered as %s with %s (heartbeat %llds, job lease %llds, %zu jobs to kill)",
             ad->cfg.name, ad->cfg.server, (long long)interval, (long long)lease,
             json_array_size (kill));
    agentd_jobs_registered (ad, kill);
    return 0;
}

/* The controller heard heartbeat id: the lease runs from its send time. */
static int on_heartbeat_ok (json_t *msg, void *arg, struct herror *err)
{
    struct agentd_request *rq = arg;
    struct agentd_conn *ac = rq->ad->conn;
    int64_t id = proto_msg_id (msg);

    if (!ac->registered || id < ID_HEARTBEAT)
        return 0; /* a reply: never answered */
    if (ac->hb_sent[id % HB_RING].id != id) {
        log_msg (LOG_LEVEL_DEBUG, "node.heartbeat.ok %lld: too old to extend the lease",
                 (long long)id);
        return 0;
    }
    lease_grant (rq->ad, ac->hb_sent[id % HB_RING].sent_ms);
    return 0;
}

static int on_error (json_t *msg, void *arg, struct herror *err)
{
    struct agentd_request *rq = arg;
    const char *text = json_string_value (json_object_get (msg, "error"));
    int64_t id = proto_msg_id (msg);
    char why[600];

    if (id >= ID_REGISTER) {
        snprintf (why, sizeof (why), "%s refused: %s",
                  id == ID_REGISTER ? "node.register" : "node.heartbeat", text ? text : "?");
        drop (rq->ad, why);
    } else
        log_msg (LOG_LEVEL_WARN, "controller: error: %s", text ? text : "?");
    return 0;
}

static const struct proto_handler conn_handlers[] = {
    {"node.register.ok", on_register_ok},
    {"node.heartbeat.ok", on_heartbeat_ok},
    {"error", on_error},
    {NULL, NULL},
};

/* ------------------------------------------------------------ conn callbacks */

/* Orders come only from the controller's identity: root, our own user (a
 * peer that could already do what we do) or the configured service user.
 * conn has checked that the credential is for role "ctld". */
static int on_allow (const struct conn_peer *peer, void *arg, struct herror *err)
{
    struct agentd *ad = arg;
    if (peer->uid == 0 || peer->uid == geteuid() || peer->uid == ad->cfg.service_uid)
        return 0;
    log_msg (ad->conn->failures == 0 ? LOG_LEVEL_ERROR : LOG_LEVEL_DEBUG,
             "controller %s runs as uid %d: not root or the service user", peer->addr,
             (int)peer->uid);
    return herror_set (err, "uid %d is not the controller's identity", (int)peer->uid);
}

static void on_msg (struct conn *c, const struct conn_peer *peer, json_t *msg, void *arg)
{
    struct agentd *ad = arg;
    struct agentd_request rq = {.ad = ad, .conn = c};
    struct herror err = {""};
    const char *type = proto_msg_type (msg);
    const struct proto_handler *h = proto_handler_find (conn_handlers, type);
    int rc;

    if (c != ad->conn->c)
        return;
    if (h)
        rc = h->fn (msg, &rq, &err);
    else if (!ad->conn->registered) {
        rc = herror_set (&err, "node %s is not registered yet", ad->cfg.name);
    } else if ((h = proto_handler_find (agentd_probe_handlers, type)))
        rc = h->fn (msg, &rq, &err);
    else
        rc = proto_dispatch (agentd_jobs_handlers, msg, &rq, &err);
    if (rc < 0) {
        log_msg (LOG_LEVEL_WARN, "controller: %s: %s", type, err.text);
        if (strcmp (type, "error") != 0 && ad->conn->c)
            conn_send_error (c, msg, "%s", err.text);
    }
}

static void on_refused (struct conn *c, const struct conn_peer *peer, const char *text, void *arg)
{
    log_msg (LOG_LEVEL_WARN, "controller %s: refused a frame: %s", peer->addr, text);
}

static void on_closed (struct conn *c, const struct conn_peer *peer, const char *reason, void *arg)
{
    struct agentd *ad = arg;
    struct agentd_conn *ac = ad->conn;

    if (c != ac->c)
        return;
    /* The first failure in a row is worth a warning, the retries are not. */
    log_msg (ac->registered || ac->failures == 0 ? LOG_LEVEL_WARN : LOG_LEVEL_DEBUG,
             "controller %s: %s%s", ad->cfg.server, reason,
             ac->registered ? " (jobs keep running; reconnecting)" : "");
    ac->c = NULL;
    ac->registered = false;
    ac->failures++;
    evtimer_del (ac->heartbeat_ev);
    agentd_jobs_disconnected (ad);
    schedule_reconnect (ad);
}

/* ------------------------------------------------------------ connecting */

static void on_ready (struct conn *c, const struct conn_peer *peer, void *arg);

static json_t *register_msg (struct agentd *ad)
{
    json_t *jobs = agentd_jobs_report (ad);
    if (!jobs)
        return NULL;
    json_t *msg =
        json_pack ("{s:s, s:i, s:s, s:O, s:o}", "type", "node.register", "id", ID_REGISTER, "name",
                   ad->cfg.name, "topology", ad->topology, "jobs", jobs);
    if (msg && (agentd_probe_register (ad, msg) < 0 || agentd_task_register (ad, msg) < 0)) {
        json_decref (msg);
        return NULL;
    }
    return msg;
}

static void connect_now (struct agentd *ad)
{
    struct agentd_conn *ac = ad->conn;
    struct herror err = {""};
    struct conn_options opts = {
        .role = AUTH_ROLE_AGENT, .peer_role = AUTH_ROLE_CTLD, .bind_addr = ad->cfg.bind_address};
    struct conn_ops ops = {
        .allow = on_allow,
        .ready = on_ready,
        .msg = on_msg,
        .refused = on_refused,
        .closed = on_closed,
    };

    ac->c = conn_connect (ad->base, ad->cfg.server, &opts, &ops, ad, &err);
    if (!ac->c) {
        log_msg (ac->failures == 0 ? LOG_LEVEL_WARN : LOG_LEVEL_DEBUG, "controller %s: %s",
                 ad->cfg.server, err.text);
        ac->failures++;
        schedule_reconnect (ad);
    }
}

/* The controller proved its identity: register.  Not sent behind our hello
 * (which conn would allow) so that the job list and topology only ever go
 * to the controller; it costs one round trip per connection. */
static void on_ready (struct conn *c, const struct conn_peer *peer, void *arg)
{
    struct agentd *ad = arg;
    if (c != ad->conn->c)
        return;
    json_t *msg = register_msg (ad);
    ad->conn->register_sent_ms = lease_clock_ms();
    if (!msg || conn_send (c, msg) < 0) {
        json_decref (msg);
        drop (ad, "cannot send node.register");
        return;
    }
    json_decref (msg);
}

static void reconnect_cb (evutil_socket_t fd, short what, void *arg)
{
    connect_now (arg);
}

static void heartbeat_cb (evutil_socket_t fd, short what, void *arg)
{
    struct agentd *ad = arg;
    struct agentd_conn *ac = ad->conn;
    int64_t id = ac->hb_next_id++;
    json_t *msg = json_pack ("{s:s, s:I, s:s}", "type", "node.heartbeat", "id", (json_int_t)id,
                             "name", ad->cfg.name);
    ac->hb_sent[id % HB_RING].id = id;
    ac->hb_sent[id % HB_RING].sent_ms = lease_clock_ms();
    if (msg && ac->c && ac->registered)
        conn_send (ac->c, msg);
    json_decref (msg);
}

int agentd_conn_create (struct agentd *ad, struct herror *err)
{
    struct agentd_conn *ac = calloc (1, sizeof (*ac));
    if (!ac)
        return herror_set (err, "out of memory");
    ad->conn = ac;
    ac->backoff = BACKOFF_MIN;
    ac->hb_next_id = ID_HEARTBEAT;
    int n = snprintf (ad->lease_file, sizeof (ad->lease_file), "%s/lease", ad->cfg.state_dir);
    if (n < 0 || (size_t)n >= sizeof (ad->lease_file))
        return herror_set (err, "state directory path too long");
    ac->reconnect_ev = evtimer_new (ad->base, reconnect_cb, ad);
    ac->heartbeat_ev = event_new (ad->base, -1, EV_PERSIST, heartbeat_cb, ad);
    if (!ac->reconnect_ev || !ac->heartbeat_ev)
        return herror_set (err, "cannot create the connection's timers");
    connect_now (ad);
    return 0;
}

void agentd_conn_destroy (struct agentd *ad)
{
    struct agentd_conn *ac = ad->conn;
    if (!ac)
        return;
    conn_destroy (ac->c); /* no callbacks: what is queued is lost, results stay on disk */
    if (ac->reconnect_ev)
        event_free (ac->reconnect_ev);
    if (ac->heartbeat_ev)
        event_free (ac->heartbeat_ev);
    free (ac);
    ad->conn = NULL;
}
