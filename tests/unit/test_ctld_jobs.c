/* Unit tests for scheduler/ctld's subsystems (libctld.a): jobs.c, jobmsg.c,
 * nodes.c, schedule.c and the store, driven through their real code: the
 * handler tables (job.submit, job.delete, node.register, job.ended...),
 * the scheduling pass run by the event loop, jobs_node_lost() and
 * jobs_node_fenced() as nodes.c's timer calls them.
 *
 * server.c is replaced by the fake below: replies and agent orders are
 * captured into lists, peers are a uid (and, for agents, a node name),
 * the clock is a variable.  The store is real, in a temporary directory;
 * each "turn" runs the loop once and commits, as the daemon does.  No
 * sockets, no munged, no root.
 *
 * The table test puts a job into each state (Q, H, R, E, F), applies each
 * event (submit, hold, release, delete, start, end, retry, requeue on
 * registration, node lost, fence) and checks the resulting state, the
 * stored object, the replies and orders emitted, and whether a scheduling
 * pass was requested. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <jansson.h>

#include "common/jobspec.h"
#include "common/log.h"
#include "scheduler/ctld/ctld.h"
#include "scheduler/ctld/ctld_fabric.h"
#include "scheduler/ctld/job.h"
#include "scheduler/ctld/options.h"
#include "scheduler/ctld/store.h"
#include "tests/unit/fake_peer.h"
#include "topology/node.h"

/* ------------------------------------------------------- the fake server
 * (its peers: fake_peer.c) */

static struct fake {
    int64_t now;
    json_t *replies; /* [{"uid", "msg"}] in the order queued */
    json_t *orders;  /* [{"node", "msg"}] */
    int closed;      /* server_close_peer calls */
    int fatal;
} fake;

int64_t ctld_now (void)
{
    return fake.now;
}

void ctld_fatal (struct ctld *ctx, const char *fmt, ...)
{
    fake.fatal++;
    ctx->exit_code = 1;
}

void ctld_reply (struct ctld *ctx, struct peer *p, json_t *msg)
{
    json_array_append_new (fake.replies, json_pack ("{s:i, s:o}", "uid", (int)p->uid, "msg", msg));
}

void ctld_order (struct ctld *ctx, const char *node, json_t *msg)
{
    if (msg)
        json_array_append_new (fake.orders, json_pack ("{s:s, s:o}", "node", node, "msg", msg));
}

void ctld_dirty (struct ctld *ctx)
{
}

int ctld_store_writable (struct ctld *ctx, struct herror *err)
{
    return 0;
}

void server_close_peer (struct ctld *ctx, struct peer *p)
{
    fake.closed++;
}

/* ---------------------------------------------------------------- fixture */

#define NODE "node01"
#define USER 1000

struct fx {
    struct ctld ctx;
    struct ctld_options *opts;
    char dir[64];
    struct peer *agent;
    struct peer *user;
    struct peer *root;
    int64_t blocker; /* job_in('Q'): the running job it waits for */
};

/* Run one loop turn (the pass, when one was requested) and commit it. */
static void turn (struct fx *f)
{
    struct herror err = {""};
    event_base_loop (f->ctx.base, EVLOOP_NONBLOCK);
    if (store_flush (f->ctx.store, &err) < 0)
        fail_msg ("store_flush: %s", err.text);
}

/* Call handler type of table with msg (stolen) from peer p; the error
 * text, if it failed, into err. */
static int call (struct fx *f, const struct proto_handler *table, struct peer *p, json_t *msg,
                 struct herror *err)
{
    struct request rq = {.ctx = &f->ctx, .peer = p};
    const struct proto_handler *h = proto_handler_find (table, proto_msg_type (msg));
    assert_non_null (h);
    err->text[0] = '\0';
    int rc = h->fn (msg, &rq, err);
    json_decref (msg);
    return rc;
}

/* The topology an agent on a 2-core node reports. */
static json_t *two_cores (void)
{
    struct herror err = {""};
    struct topo_node *t = topo_node_load_synthetic ("core:2 pu:1", &err);
    if (!t)
        fail_msg ("synthetic topology: %s", err.text);
    json_t *o = topo_node_to_json (t);
    topo_node_destroy (t);
    return o;
}

/* node.register from the fake agent, reporting jobs (stolen). */
static int agent_register (struct fx *f, json_t *jobs)
{
    struct herror err;
    json_t *msg = json_pack ("{s:s, s:i, s:s, s:o, s:o}", "type", "node.register", "id", 1, "name",
                             NODE, "topology", two_cores(), "jobs", jobs);
    return call (f, nodes_agent_handlers, f->agent, msg, &err);
}

static const char *fx_queues; /* option queues of the next setup(), NULL: none */

static int setup (void **state)
{
    struct fx *f = calloc (1, sizeof (*f));
    struct herror err = {""};
    int rc;

    assert_non_null (f);
    snprintf (f->dir, sizeof (f->dir), "/tmp/test_ctld_jobs.XXXXXX");
    assert_non_null (mkdtemp (f->dir));
    char *argv[] = {"huddle-ctld", "--state-dir", f->dir, "--queues", (char *)fx_queues, NULL};
    f->opts = ctld_options_parse (fx_queues ? 5 : 3, argv, &f->ctx.cfg, &rc, &err);
    if (!f->opts)
        fail_msg ("options: %s", err.text);
    fake.now = 1000000;
    fake.replies = json_array();
    fake.orders = json_array();
    fake.closed = fake.fatal = 0;
    f->ctx.start_time = fake.now;
    f->ctx.base = event_base_new();
    assert_non_null (f->ctx.base);
    assert_int_equal (event_base_priority_init (f->ctx.base, CTLD_NPRIORITIES), 0);
    f->ctx.store = store_open (f->dir, &err);
    if (!f->ctx.store)
        fail_msg ("store: %s", err.text);
    assert_int_equal (sched_create (&f->ctx), 0);
    assert_int_equal (nodes_create (&f->ctx), 0);
    assert_int_equal (jobs_create (&f->ctx), 0);
    f->agent = peer_new (0);
    f->user = peer_new (USER);
    f->root = peer_new (0);
    assert_int_equal (agent_register (f, json_array()), 0);
    turn (f);
    json_array_clear (fake.replies);
    json_array_clear (fake.orders);
    *state = f;
    return 0;
}

static void ctx_close (struct fx *f)
{
    jobs_destroy (&f->ctx);
    nodes_destroy (&f->ctx);
    sched_destroy (&f->ctx);
    store_close (f->ctx.store);
    f->ctx.store = NULL;
}

static int teardown (void **state)
{
    struct fx *f = *state;
    char cmd[128];

    ctx_close (f);
    event_base_free (f->ctx.base);
    ctld_options_destroy (f->opts);
    peer_unref (f->agent);
    peer_unref (f->user);
    peer_unref (f->root);
    json_decref (fake.replies);
    json_decref (fake.orders);
    snprintf (cmd, sizeof (cmd), "rm -rf '%s'", f->dir);
    assert_int_equal (system (cmd), 0);
    free (f);
    return 0;
}

/* ------------------------------------------------------------------ jobs */

/* qsub -r y -l SEL [-h] [-W W] [-J ARRAY] -- /bin/true as USER: the new
 * seq, or 0 with the refusal in err. */
static int64_t try_submit (struct fx *f, const char *sel, bool hold, const char *w,
                           const char *array, struct herror *err)
{
    char *env[] = {"HOME=/home/u", NULL};
    char *argv[10] = {"qsub", "-r", "y", "-l", (char *)sel};
    int argc = 5;
    if (hold)
        argv[argc++] = "-h";
    if (w) {
        argv[argc++] = "-W";
        argv[argc++] = (char *)w;
    }
    if (array) {
        argv[argc++] = "-J";
        argv[argc++] = (char *)array;
    }
    argv[argc++] = "--";
    argv[argc++] = "/bin/true";
    struct jobspec *js = jobspec_create();
    assert_non_null (js);
    if (jobspec_parse_args (js, argc, argv, err) < 0 ||
        jobspec_finalize (js, "/tmp", env, "host", err) < 0)
        fail_msg ("jobspec: %s", err->text);
    json_t *msg =
        json_pack ("{s:s, s:i, s:o}", "type", "job.submit", "id", 7, "job", jobspec_to_json (js));
    jobspec_destroy (js);
    if (call (f, jobs_client_handlers, f->user, msg, err) < 0)
        return 0;
    json_t *last = json_array_get (fake.replies, json_array_size (fake.replies) - 1);
    json_t *seq = json_object_get (json_object_get (last, "msg"), "seq");
    assert_true (json_is_integer (seq));
    return json_integer_value (seq);
}

/* ... with -J ARRAY (NULL: none); the test fails when it is refused. */
static int64_t submit_array (struct fx *f, const char *sel, bool hold, const char *array)
{
    struct herror err = {""};
    int64_t seq = try_submit (f, sel, hold, NULL, array, &err);
    if (seq == 0)
        fail_msg ("job.submit: %s", err.text);
    return seq;
}

static int64_t submit_select (struct fx *f, const char *sel, bool hold)
{
    return submit_array (f, sel, hold, NULL);
}

/* ... of "select=1:ncpus=NCPUS". */
static int64_t submit (struct fx *f, int ncpus, bool hold)
{
    char sel[64];
    snprintf (sel, sizeof (sel), "select=1:ncpus=%d", ncpus);
    return submit_select (f, sel, hold);
}

static enum job_state state_of (struct fx *f, int64_t seq)
{
    struct ctld_job *j = jobs_find (&f->ctx, seq);
    assert_non_null (j);
    return j->state;
}

struct find_stored {
    int64_t seq;
    json_t *obj;
};

static int find_stored_cb (int64_t seq, json_t *obj, void *arg)
{
    struct find_stored *fs = arg;
    if (seq == fs->seq)
        fs->obj = json_incref (obj);
    return 0;
}

/* The job object as the store has it (new reference). */
static json_t *stored (struct fx *f, int64_t seq)
{
    struct herror err = {""};
    struct find_stored fs = {.seq = seq};
    if (store_load_jobs (f->ctx.store, find_stored_cb, &fs, &err) < 0)
        fail_msg ("store_load_jobs: %s", err.text);
    assert_non_null (fs.obj);
    return fs.obj;
}

/* The orders about seq (job.kill has its "seq", job.launch the job's). */
static json_t *orders_for (int64_t seq)
{
    json_t *mine = json_array();
    size_t i;
    json_t *o;
    json_array_foreach (fake.orders, i, o)
    {
        json_t *msg = json_object_get (o, "msg");
        json_t *s = json_object_get (msg, "seq");
        if (!s)
            s = json_object_get (json_object_get (msg, "job"), "seq");
        if (json_integer_value (s) == seq)
            json_array_append (mine, o);
    }
    return mine;
}

static int requests (struct fx *f)
{
    struct sched_stats st;
    sched_stats (&f->ctx, &st);
    return st.requests;
}

/* job.ended from the agent for seq's current run. */
static int agent_ended (struct fx *f, int64_t seq, int status, const char *reason)
{
    struct herror err;
    struct ctld_job *j = jobs_find (&f->ctx, seq);
    json_t *msg =
        json_pack ("{s:s, s:i, s:I, s:i, s:I, s:I, s:I}", "type", "job.ended", "id", 3, "seq",
                   (json_int_t)seq, "exit_status", status, "start_time", (json_int_t)fake.now,
                   "end_time", (json_int_t)fake.now, "run_count", (json_int_t)j->run_count);
    if (reason)
        json_object_set_new (msg, "reason", json_string (reason));
    return call (f, jobs_agent_handlers, f->agent, msg, &err);
}

/* A client message about seq (job.delete, job.hold, job.release). */
static int client_msg (struct fx *f, const char *type, int64_t seq, struct herror *err)
{
    json_t *msg = json_pack ("{s:s, s:i, s:I}", "type", type, "id", 5, "seq", (json_int_t)seq);
    return call (f, jobs_client_handlers, f->user, msg, err);
}

/* ---------------------------------------------------------- event table */

enum test_event {
    EV_HOLD,
    EV_RELEASE,
    EV_DELETE,
    EV_START,     /* a pass runs */
    EV_END,       /* job.ended, status 0 */
    EV_RETRY,     /* job.ended, JOB_EXEC_RETRY */
    EV_REGISTER,  /* the agent registers again without the job: requeue */
    EV_NODE_LOST, /* its node went down (nodes.c's heartbeat timeout) */
    EV_FENCE,     /* ... and the fence deadline passed */
};

static const char *const event_names[] = {"hold",  "release",  "delete",    "start", "end",
                                          "retry", "register", "node-lost", "fence"};

enum pass { NO_PASS, PASS, ANY };

struct row {
    char from;
    enum test_event ev;
    char to;
    const char *refusal; /* the handler's error, NULL when it succeeds */
    const char *order;   /* the order sent to the agent, NULL for none */
    enum pass pass;      /* whether a scheduling pass was requested */
    const char *comment; /* what the stored comment starts with, NULL: not checked */
    const char *exit;    /* the stored exit status ("none": absent), NULL: not checked */
};

static const struct row rows[] = {
    /* Q */
    {'Q', EV_HOLD, 'H', NULL, NULL, PASS, NULL, NULL},
    {'Q', EV_RELEASE, 'Q', NULL, NULL, NO_PASS, NULL, NULL},
    {'Q', EV_DELETE, 'F', NULL, NULL, PASS, "Job deleted by uid 1000", "none"},
    {'Q', EV_START, 'R', NULL, "job.launch", PASS, "Job run on node01", NULL},
    {'Q', EV_END, 'Q', NULL, NULL, NO_PASS, NULL, NULL},
    {'Q', EV_RETRY, 'Q', NULL, NULL, NO_PASS, NULL, NULL},
    {'Q', EV_REGISTER, 'Q', NULL, NULL, ANY, NULL, NULL},
    {'Q', EV_NODE_LOST, 'Q', NULL, NULL, NO_PASS, NULL, NULL},
    {'Q', EV_FENCE, 'Q', NULL, NULL, ANY, NULL, NULL},
    /* H */
    {'H', EV_HOLD, 'H', NULL, NULL, NO_PASS, NULL, NULL},
    {'H', EV_RELEASE, 'Q', NULL, NULL, PASS, NULL, NULL},
    {'H', EV_DELETE, 'F', NULL, NULL, NO_PASS, "Job deleted by uid 1000", "none"},
    {'H', EV_START, 'H', NULL, NULL, NO_PASS, NULL, NULL},
    {'H', EV_END, 'H', NULL, NULL, NO_PASS, NULL, NULL},
    {'H', EV_RETRY, 'H', NULL, NULL, NO_PASS, NULL, NULL},
    {'H', EV_REGISTER, 'H', NULL, NULL, ANY, NULL, NULL},
    {'H', EV_NODE_LOST, 'H', NULL, NULL, NO_PASS, NULL, NULL},
    {'H', EV_FENCE, 'H', NULL, NULL, NO_PASS, NULL, NULL},
    /* R */
    {'R', EV_HOLD, 'R', "Request invalid for state of job", NULL, NO_PASS, NULL, NULL},
    {'R', EV_RELEASE, 'R', "Request invalid for state of job", NULL, NO_PASS, NULL, NULL},
    {'R', EV_DELETE, 'E', NULL, "job.kill", NO_PASS, "Job deleted by uid 1000", NULL},
    {'R', EV_START, 'R', NULL, NULL, NO_PASS, NULL, NULL},
    {'R', EV_END, 'F', NULL, NULL, PASS, "Job run and finished", "0"},
    {'R', EV_RETRY, 'Q', NULL, NULL, PASS, "Job requeued: could not start on node01", NULL},
    {'R', EV_REGISTER, 'Q', NULL, NULL, PASS, "Job requeued: not running on node01", NULL},
    {'R', EV_NODE_LOST, 'R', NULL, NULL, NO_PASS, "node node01 down: requeued once", NULL},
    {'R', EV_FENCE, 'Q', NULL, NULL, PASS, "Job requeued: node node01 went down", NULL},
    /* E */
    {'E', EV_HOLD, 'E', "Request invalid for state of job", NULL, NO_PASS, NULL, NULL},
    {'E', EV_RELEASE, 'E', "Request invalid for state of job", NULL, NO_PASS, NULL, NULL},
    {'E', EV_DELETE, 'E', NULL, "job.kill", NO_PASS, "Job deleted by uid 1000", NULL},
    {'E', EV_START, 'E', NULL, NULL, NO_PASS, NULL, NULL},
    {'E', EV_END, 'F', NULL, NULL, PASS, "Job deleted by uid 1000", "0"},
    {'E', EV_RETRY, 'F', NULL, NULL, PASS, "Job deleted by uid 1000", "-3"},
    {'E', EV_REGISTER, 'F', NULL, NULL, PASS, "Job failed: not running on node01", "-4"},
    {'E', EV_NODE_LOST, 'F', NULL, NULL, PASS, "Job failed: node node01 went down", "-4"},
    {'E', EV_FENCE, 'F', NULL, NULL, PASS, "Job failed: node node01 went down", "-4"},
    /* F */
    {'F', EV_HOLD, 'F', "Request invalid for state of job", NULL, NO_PASS, NULL, NULL},
    {'F', EV_RELEASE, 'F', "Request invalid for state of job", NULL, NO_PASS, NULL, NULL},
    {'F', EV_DELETE, 'F', "Job has finished", NULL, NO_PASS, NULL, NULL},
    {'F', EV_START, 'F', NULL, NULL, NO_PASS, NULL, NULL},
    {'F', EV_END, 'F', NULL, NULL, NO_PASS, NULL, NULL},
    {'F', EV_RETRY, 'F', NULL, NULL, NO_PASS, NULL, NULL},
    {'F', EV_REGISTER, 'F', NULL, NULL, ANY, NULL, NULL},
    {'F', EV_NODE_LOST, 'F', NULL, NULL, NO_PASS, NULL, NULL},
    {'F', EV_FENCE, 'F', NULL, NULL, NO_PASS, NULL, NULL},
};

/* A job in state s, with no pass pending and nothing captured. */
static int64_t job_in (struct fx *f, char s)
{
    struct herror err;
    int64_t seq;

    if (s == 'H') {
        seq = submit (f, 1, true);
    } else if (s == 'Q') {
        /* Waits: the node's two cores are taken by a running job. */
        f->blocker = submit (f, 2, false);
        turn (f);
        seq = submit (f, 1, false);
    } else {
        seq = submit (f, 1, false);
    }
    turn (f);
    if (s == 'E' || s == 'F') {
        assert_int_equal (client_msg (f, "job.delete", seq, &err), 0);
        turn (f);
    }
    if (s == 'F' && state_of (f, seq) != JOB_FINISHED) {
        assert_int_equal (agent_ended (f, seq, 0, NULL), 0);
        turn (f);
    }
    assert_int_equal (job_state_letter (state_of (f, seq)), s);
    json_array_clear (fake.replies);
    json_array_clear (fake.orders);
    return seq;
}

/* Apply ev to seq; the handler's result, and err. */
static int apply (struct fx *f, int64_t seq, enum test_event ev, struct herror *err)
{
    err->text[0] = '\0';
    switch (ev) {
    case EV_HOLD:
        return client_msg (f, "job.hold", seq, err);
    case EV_RELEASE:
        return client_msg (f, "job.release", seq, err);
    case EV_DELETE:
        return client_msg (f, "job.delete", seq, err);
    case EV_START:
        /* the pass runs; a queued job's blocker ends first */
        if (f->blocker && agent_ended (f, f->blocker, 0, NULL) < 0)
            return -1;
        event_base_loop (f->ctx.base, EVLOOP_NONBLOCK);
        return 0;
    case EV_END:
        return agent_ended (f, seq, 0, NULL);
    case EV_RETRY:
        return agent_ended (f, seq, JOB_EXIT_RETRY, NULL);
    case EV_REGISTER:
        return agent_register (f, json_array());
    case EV_NODE_LOST:
        jobs_node_lost (&f->ctx, NODE);
        return 0;
    case EV_FENCE:
        jobs_node_fenced (&f->ctx, NODE);
        return 0;
    }
    return -1;
}

static void check_row (const struct row *r)
{
    void *state;
    struct herror err;
    char where[64];

    assert_int_equal (setup (&state), 0);
    struct fx *f = state;
    snprintf (where, sizeof (where), "%c --%s-->", r->from, event_names[r->ev]);
    int64_t seq = job_in (f, r->from);
    /* the pass the setup requested has run: count from here */
    int before = requests (f);
    size_t replies = json_array_size (fake.replies);
    int rc = apply (f, seq, r->ev, &err);
    if (r->refusal) {
        if (rc != -1 || strcmp (err.text, r->refusal) != 0)
            fail_msg ("%s: want refusal \"%s\", got %d \"%s\"", where, r->refusal, rc, err.text);
    } else if (rc != 0) {
        fail_msg ("%s: failed: %s", where, err.text);
    }
    /* a client request that succeeds is answered "ok" (job.hold.ok ...) */
    if (!r->refusal && (r->ev == EV_HOLD || r->ev == EV_RELEASE || r->ev == EV_DELETE)) {
        assert_int_equal (json_array_size (fake.replies), replies + 1);
        json_t *reply = json_object_get (json_array_get (fake.replies, replies), "msg");
        const char *type = json_string_value (json_object_get (reply, "type"));
        assert_non_null (type);
        assert_non_null (strstr (type, ".ok"));
    }
    int after = requests (f);
    if (r->pass == PASS && after == before)
        fail_msg ("%s %c: no pass requested", where, r->to);
    if (r->pass == NO_PASS && after != before)
        fail_msg ("%s %c: a pass was requested", where, r->to);
    /* the change is recorded in this turn: commit it (the pass it may
     * have requested is not run, so what is checked is the event's own
     * doing) */
    if (store_flush (f->ctx.store, &err) < 0)
        fail_msg ("store_flush: %s", err.text);
    if (job_state_letter (state_of (f, seq)) != r->to)
        fail_msg ("%s: state %c, want %c", where, job_state_letter (state_of (f, seq)), r->to);
    /* the store has what memory has: the whole object (packed or not:
     * the text a store keeps for packing must be what it stored) */
    json_t *obj = stored (f, seq);
    json_t *mem = job_obj_copy (jobs_find (&f->ctx, seq));
    if (!json_equal (obj, mem))
        fail_msg ("%s: the stored object differs from the one in memory", where);
    json_decref (mem);
    const char *letter = json_string_value (json_object_get (obj, "state"));
    char want[2] = {r->to, '\0'};
    if (!letter || strcmp (letter, want) != 0)
        fail_msg ("%s: stored state %s, want %s", where, letter ? letter : "none", want);
    if (r->comment) {
        const char *c = json_string_value (json_object_get (obj, "comment"));
        if (!c || strncmp (c, r->comment, strlen (r->comment)) != 0)
            fail_msg ("%s: stored comment \"%s\", want \"%s...\"", where, c ? c : "", r->comment);
    }
    if (r->to == 'F' && r->from != 'F')
        assert_non_null (json_object_get (obj, "end_time"));
    if (r->exit) {
        json_t *st = json_object_get (obj, "exit_status");
        char got[32] = "none";
        if (st)
            snprintf (got, sizeof (got), "%lld", (long long)json_integer_value (st));
        if (strcmp (got, r->exit) != 0)
            fail_msg ("%s: stored exit status %s, want %s", where, got, r->exit);
    }
    if (r->to == 'Q' && r->from == 'R')
        assert_null (json_object_get (obj, "allocation"));
    json_decref (obj);
    /* orders: exactly the one expected for the job, to its node */
    json_t *mine = orders_for (seq);
    json_t *o = json_array_get (mine, 0);
    const char *type = json_string_value (json_object_get (json_object_get (o, "msg"), "type"));
    if (r->order) {
        if (json_array_size (mine) != 1 || strcmp (type, r->order) != 0)
            fail_msg ("%s: want one %s order, got %zu (%s)", where, r->order,
                      json_array_size (mine), type ? type : "none");
        assert_string_equal (json_string_value (json_object_get (o, "node")), NODE);
    } else if (json_array_size (mine) > 0) {
        fail_msg ("%s: unexpected order %s", where, type);
    }
    json_decref (mine);
    /* R and E hold an allocation, nothing else does */
    struct ctld_job *j = jobs_find (&f->ctx, seq);
    assert_int_equal (j->alloc != NULL, job_state_active (j->state));
    teardown (&state);
}

static void every_event_from_every_state (void **state)
{
    for (size_t i = 0; i < sizeof (rows) / sizeof (rows[0]); i++)
        check_row (&rows[i]);
}

/* --------------------------------------------------- the reservation bug */

/* A (1 core, the default 24 h) runs on the 2-core node; B (2 cores)
 * waits and gets the EASY reservation at A's expected end; C (1 core, 48
 * h) would still run then, so it waits behind it, saying so.  B leaves
 * the queue (delete, hold): C starts in the same turn's pass, next to A. */
static void reservation_freed (struct fx *f, const char *type)
{
    struct herror err;
    int64_t a = submit (f, 1, false);
    turn (f);
    int64_t b = submit (f, 2, false);
    int64_t c = submit_select (f, "select=1:ncpus=1,walltime=48:00:00", false);
    turn (f);
    assert_int_equal (state_of (f, a), JOB_RUNNING);
    assert_int_equal (state_of (f, b), JOB_QUEUED);
    assert_int_equal (state_of (f, c), JOB_QUEUED);
    struct ctld_job *jb = jobs_find (&f->ctx, b);
    assert_string_equal (jb->queue_comment, "Not Running: not enough free resources");
    assert_int_equal (jb->est_start, fake.now + 24 * 3600);
    assert_non_null (jb->est_alloc);
    char want[160], id[128];
    snprintf (want, sizeof (want), "Not Running: would delay the reservation for job %s",
              job_id (&f->ctx, jb, id, sizeof (id)));
    assert_string_equal (jobs_find (&f->ctx, c)->queue_comment, want);
    assert_int_equal (client_msg (f, type, b, &err), 0);
    turn (f);
    assert_int_equal (state_of (f, c), JOB_RUNNING);
}

static void delete_of_reserving_job_starts_the_next (void **state)
{
    reservation_freed (*state, "job.delete");
}

static void hold_of_reserving_job_starts_the_next (void **state)
{
    reservation_freed (*state, "job.hold");
}

/* --------------------------------------------------------------- queues */

static int setup_user_run_1 (void **state)
{
    fx_queues = "workq:max_user_run=1";
    int rc = setup (state);
    fx_queues = NULL;
    return rc;
}

/* Two jobs of one user in one pass, room for both, max_user_run=1: the
 * admission counts the first start within the pass (pass.h's started
 * hook), so the second waits, saying why, and starts once the first ends. */
static void user_run_limit_within_one_pass (void **state)
{
    struct fx *f = *state;
    int64_t a = submit (f, 1, false), b = submit (f, 1, false);
    turn (f);
    assert_int_equal (state_of (f, a), JOB_RUNNING);
    assert_int_equal (state_of (f, b), JOB_QUEUED);
    assert_string_equal (jobs_find (&f->ctx, b)->queue_comment,
                         "Not Running: User has reached queue workq running job limit "
                         "(max_user_run=1)");
    assert_int_equal (agent_ended (f, a, 0, NULL), 0);
    turn (f);
    assert_int_equal (state_of (f, b), JOB_RUNNING);
}

/* job.alter goes through job_update: stored, in the history, and the
 * waiting job is queued again with its new request (a 2-core job behind a
 * 1-core one fits once it asks for 1). */
static void alter_requeues_with_the_new_request (void **state)
{
    struct fx *f = *state;
    struct herror err = {""};
    int64_t a = submit (f, 1, false);
    turn (f);
    int64_t b = submit (f, 2, false);
    turn (f);
    assert_int_equal (state_of (f, b), JOB_QUEUED);
    json_t *msg = json_pack ("{s:s, s:i, s:I, s:s, s:i}", "type", "job.alter", "id", 9, "seq",
                             (json_int_t)b, "select", "1:ncpus=1", "priority", 3);
    if (call (f, jobs_client_handlers, f->user, msg, &err) < 0)
        fail_msg ("job.alter: %s", err.text);
    turn (f);
    assert_int_equal (state_of (f, a), JOB_RUNNING);
    assert_int_equal (state_of (f, b), JOB_RUNNING);
    assert_int_equal (jobs_find (&f->ctx, b)->priority, 3);
    json_t *obj = stored (f, b);
    assert_int_equal (json_integer_value (json_object_get (obj, "priority")), 3);
    assert_int_equal (json_integer_value (json_object_get (
                          json_array_get (json_object_get (obj, "chunks"), 0), "ncpus")),
                      1);
    json_decref (obj);
    /* running: the select no longer changes */
    msg = json_pack ("{s:s, s:i, s:I, s:s}", "type", "job.alter", "id", 9, "seq", (json_int_t)b,
                     "select", "1:ncpus=2");
    assert_int_equal (call (f, jobs_client_handlers, f->user, msg, &err), -1);
    assert_string_equal (err.text, "Cannot modify attribute while job running");
    /* its walltime: the owner may lower it, only root raise it; each time
     * the node is told */
    int64_t wall = jobs_find (&f->ctx, b)->res.walltime;
    msg = json_pack ("{s:s, s:i, s:I, s:I}", "type", "job.alter", "id", 9, "seq", (json_int_t)b,
                     "walltime", (json_int_t)wall + 60);
    assert_int_equal (call (f, jobs_client_handlers, f->user, msg, &err), -1);
    assert_non_null (strstr (err.text, "Unauthorized Request"));
    json_array_clear (fake.orders);
    msg = json_pack ("{s:s, s:i, s:I, s:i}", "type", "job.alter", "id", 9, "seq", (json_int_t)b,
                     "walltime", 60);
    if (call (f, jobs_client_handlers, f->user, msg, &err) < 0)
        fail_msg ("the owner lowers a running job's walltime: %s", err.text);
    turn (f);
    assert_int_equal (state_of (f, b), JOB_RUNNING);
    assert_int_equal (jobs_find (&f->ctx, b)->res.walltime, 60);
    json_t *mine = orders_for (b);
    assert_int_equal (json_array_size (mine), 1);
    json_t *order = json_object_get (json_array_get (mine, 0), "msg");
    assert_string_equal (json_string_value (json_object_get (order, "type")), "job.walltime");
    assert_int_equal (json_integer_value (json_object_get (order, "walltime")), 60);
    json_decref (mine);
    msg = json_pack ("{s:s, s:i, s:I, s:I}", "type", "job.alter", "id", 9, "seq", (json_int_t)b,
                     "walltime", (json_int_t)wall + 60);
    if (call (f, jobs_client_handlers, f->root, msg, &err) < 0)
        fail_msg ("root raises a running job's walltime: %s", err.text);
    turn (f);
    assert_int_equal (jobs_find (&f->ctx, b)->res.walltime, wall + 60);
}

/* ------------------------------------------------------- failed starts */

/* An agent that keeps saying "try again" (JOB_EXEC_RETRY): requeued each
 * time, until the job has used its JOB_MAX_RETRIES starts: then held. */
static void retries_used_up_hold_the_job (void **state)
{
    struct fx *f = *state;
    int64_t seq = submit (f, 1, false);
    for (int run = 1; run <= JOB_MAX_RETRIES; run++) {
        turn (f);
        assert_int_equal (state_of (f, seq), JOB_RUNNING);
        assert_int_equal (jobs_find (&f->ctx, seq)->run_count, run);
        assert_int_equal (agent_ended (f, seq, JOB_EXIT_RETRY, NULL), 0);
        turn (f);
        assert_int_equal (state_of (f, seq), run < JOB_MAX_RETRIES ? JOB_RUNNING : JOB_HELD);
    }
    json_t *obj = stored (f, seq);
    const char *c = json_string_value (json_object_get (obj, "comment"));
    assert_non_null (c);
    assert_non_null (strstr (c, "job held, too many failed attempts to run"));
    json_decref (obj);
}

/* job.launch.failed: the job ends with JOB_EXEC_FAIL1 and its cores are
 * free for the next one at once. */
static void launch_failed_ends_the_job (void **state)
{
    struct fx *f = *state;
    struct herror err;
    int64_t a = submit (f, 2, false);
    turn (f);
    int64_t b = submit (f, 2, false);
    turn (f);
    assert_int_equal (state_of (f, b), JOB_QUEUED);
    json_t *msg = json_pack ("{s:s, s:i, s:I, s:i, s:s}", "type", "job.launch.failed", "id", 4,
                             "seq", (json_int_t)a, "run_count", 1, "error", "no such user");
    assert_int_equal (call (f, jobs_agent_handlers, f->agent, msg, &err), 0);
    turn (f);
    assert_int_equal (state_of (f, a), JOB_FINISHED);
    assert_int_equal (state_of (f, b), JOB_RUNNING);
    json_t *obj = stored (f, a);
    assert_int_equal (json_integer_value (json_object_get (obj, "exit_status")),
                      JOB_EXIT_LAUNCH_FAILED);
    json_decref (obj);
}

/* ----------------------------------------------------------------- nodes */

/* Offline and clear change what may start: each asks for a pass, and a job
 * waits while its only node is offline. */
static void offline_and_clear_ask_for_a_pass (void **state)
{
    struct fx *f = *state;
    struct herror err;
    int before = requests (f);
    json_t *msg = json_pack ("{s:s, s:i, s:s}", "type", "node.offline", "id", 9, "name", NODE);
    assert_int_equal (call (f, nodes_client_handlers, f->root, msg, &err), 0);
    assert_true (requests (f) > before);
    int64_t seq = submit (f, 1, false);
    turn (f);
    assert_int_equal (state_of (f, seq), JOB_QUEUED);
    before = requests (f);
    msg = json_pack ("{s:s, s:i, s:s}", "type", "node.clear", "id", 9, "name", NODE);
    assert_int_equal (call (f, nodes_client_handlers, f->root, msg, &err), 0);
    assert_true (requests (f) > before);
    turn (f);
    assert_int_equal (state_of (f, seq), JOB_RUNNING);
}

/* --------------------------------------------------------------- restart */

/* The controller restarted: everything rebuilt from the store. */
static void restart (struct fx *f)
{
    struct herror err = {""};
    ctx_close (f);
    f->ctx.store = store_open (f->dir, &err);
    assert_non_null (f->ctx.store);
    assert_int_equal (sched_create (&f->ctx), 0);
    assert_int_equal (nodes_create (&f->ctx), 0);
    assert_int_equal (jobs_create (&f->ctx), 0);
    assert_int_equal (nodes_load (&f->ctx, &err), 0);
    assert_int_equal (jobs_load (&f->ctx, &err), 0);
}

/* After a restart the queue is rebuilt from the stored jobs: a running job
 * keeps its cores, a queued one starts once they are free. */
static void restart_rebuilds_the_queue (void **state)
{
    struct fx *f = *state;
    int64_t a = submit (f, 2, false);
    turn (f);
    int64_t b = submit (f, 1, false);
    int64_t h = submit (f, 1, true);
    turn (f);
    assert_int_equal (state_of (f, a), JOB_RUNNING);
    assert_int_equal (state_of (f, b), JOB_QUEUED);
    restart (f);
    json_t *report = json_pack ("[{s:I, s:i}]", "seq", (json_int_t)a, "run_count", 1);
    assert_int_equal (agent_register (f, report), 0);
    turn (f);
    assert_int_equal (state_of (f, a), JOB_RUNNING);
    assert_int_equal (state_of (f, b), JOB_QUEUED);
    assert_int_equal (state_of (f, h), JOB_HELD);
    assert_int_equal (agent_ended (f, a, 0, NULL), 0);
    turn (f);
    assert_int_equal (state_of (f, b), JOB_RUNNING);
    assert_int_equal (state_of (f, h), JOB_HELD);
}

/* ---------------------------------------------------------- dependencies */

static const char *stored_str (struct fx *f, int64_t seq, const char *name, char *buf, size_t n)
{
    json_t *obj = stored (f, seq);
    const char *v = json_string_value (json_object_get (obj, name));
    snprintf (buf, n, "%s", v ? v : "(none)");
    json_decref (obj);
    return buf;
}

/* A job waiting on another's outcome is held by the system (its own hold
 * comes and goes with qhold and qrls), stays so across a restart, and is
 * released through job_update once the other job ends with status 0; a
 * dependency a finished job rules out is refused at submit. */
static void dependencies_hold_until_met (void **state)
{
    struct fx *f = *state;
    struct herror err = {""};
    char w[64], buf[256];
    int64_t parent = submit (f, 1, true);
    snprintf (w, sizeof (w), "depend=afterok:%lld", (long long)parent);
    int64_t child = try_submit (f, "select=1:ncpus=1", false, w, NULL, &err);
    assert_true (child > 0);
    turn (f);
    assert_int_equal (state_of (f, child), JOB_HELD);
    assert_string_equal (stored_str (f, child, "hold_types", buf, sizeof (buf)), "s");
    snprintf (w, sizeof (w), "afterok:%lld.%s@%s", (long long)parent, f->ctx.cfg.server_name,
              f->ctx.cfg.server_name);
    assert_string_equal (stored_str (f, child, "depend", buf, sizeof (buf)), w);
    assert_int_equal (client_msg (f, "job.hold", child, &err), 0);
    turn (f);
    assert_string_equal (stored_str (f, child, "hold_types", buf, sizeof (buf)), "us");
    assert_int_equal (client_msg (f, "job.release", child, &err), 0);
    turn (f);
    assert_int_equal (state_of (f, child), JOB_HELD);
    assert_string_equal (stored_str (f, child, "hold_types", buf, sizeof (buf)), "s");
    assert_int_equal (try_submit (f, "select=1:ncpus=1", false, "depend=afterok:4242", NULL, &err),
                      0);
    snprintf (buf, sizeof (buf), "Unknown Job Id 4242.%s", f->ctx.cfg.server_name);
    assert_string_equal (err.text, buf);

    /* across a restart */
    restart (f);
    assert_int_equal (agent_register (f, json_array()), 0);
    turn (f);
    assert_int_equal (state_of (f, child), JOB_HELD);
    assert_true (jobs_find (&f->ctx, child)->depend_hold);

    assert_int_equal (client_msg (f, "job.release", parent, &err), 0);
    turn (f);
    assert_int_equal (state_of (f, parent), JOB_RUNNING);
    assert_int_equal (state_of (f, child), JOB_HELD);
    assert_int_equal (agent_ended (f, parent, 0, NULL), 0);
    turn (f);
    assert_int_equal (state_of (f, parent), JOB_FINISHED);
    assert_int_equal (state_of (f, child), JOB_RUNNING); /* released, then the pass started it */
    assert_string_equal (stored_str (f, child, "hold_types", buf, sizeof (buf)), "(none)");

    snprintf (w, sizeof (w), "depend=afternotok:%lld", (long long)parent);
    assert_int_equal (try_submit (f, "select=1:ncpus=1", false, w, NULL, &err), 0);
    assert_non_null (strstr (err.text, "Finished job did not satisfy dependency: afternotok:"));
}

/* ---------------------------------------------------------------- arrays */

/* The state letter job.query shows for seq (a subjob's too), "" if none. */
static const char *query_state (struct fx *f, int64_t seq, int64_t *exit_status)
{
    static char letter[4];
    struct herror err = {""};
    json_t *msg = json_pack ("{s:s, s:i, s:[I], s:b}", "type", "job.query", "id", 9, "seqs",
                             (json_int_t)seq, "finished", 1);
    assert_int_equal (call (f, jobs_client_handlers, f->user, msg, &err), 0);
    json_t *last = json_array_get (fake.replies, json_array_size (fake.replies) - 1);
    json_t *job = json_array_get (json_object_get (json_object_get (last, "msg"), "jobs"), 0);
    snprintf (letter, sizeof (letter), "%s",
              job ? json_string_value (json_object_get (job, "state")) : "");
    if (exit_status)
        *exit_status = json_integer_value (json_object_get (job, "exit_status"));
    return letter;
}

/* An array of 4 one-core subjobs, %1, on the 2-core node: one runs at a
 * time (the admission hook), the others wait saying why; a pending one
 * deleted never runs; finished ones leave the table with their status;
 * a restart in the middle goes on where it was; the array finishes with
 * its last subjob. */
static void array_runs_at_most_max (void **state)
{
    struct fx *f = *state;
    struct herror err = {""};
    int64_t a = submit_array (f, "select=1:ncpus=1", false, "1-4%1");
    int64_t s[5];
    for (int i = 1; i <= 4; i++)
        s[i] = jobspec_subjob_seq (a, i);
    turn (f);
    assert_int_equal (state_of (f, s[1]), JOB_RUNNING);
    assert_null (jobs_find (&f->ctx, s[2])); /* pending: not a job */
    assert_string_equal (query_state (f, a, NULL), "B");
    assert_string_equal (query_state (f, s[2], NULL), "Q");
    assert_string_equal (jobs_find (&f->ctx, a)->queue_comment,
                         "Not Running: the array runs at most 1 subjobs at once (%1)");
    assert_int_equal (client_msg (f, "job.delete", s[3], &err), 0);
    assert_string_equal (query_state (f, s[3], NULL), "X");
    assert_int_equal (agent_ended (f, s[1], 0, NULL), 0);
    turn (f);
    assert_null (jobs_find (&f->ctx, s[1])); /* retired, its status kept */
    int64_t st = -1;
    assert_string_equal (query_state (f, s[1], &st), "X");
    assert_int_equal (st, 0);
    assert_int_equal (state_of (f, s[2]), JOB_RUNNING);

    restart (f);
    json_t *report = json_pack ("[{s:I, s:i}]", "seq", (json_int_t)s[2], "run_count", 1);
    assert_int_equal (agent_register (f, report), 0);
    turn (f);
    assert_int_equal (state_of (f, s[2]), JOB_RUNNING);
    assert_null (jobs_find (&f->ctx, s[4]));
    assert_string_equal (query_state (f, s[1], &st), "X");
    assert_int_equal (agent_ended (f, s[2], 3, NULL), 0);
    turn (f);
    assert_string_equal (query_state (f, s[2], &st), "X");
    assert_int_equal (st, 3);
    assert_int_equal (state_of (f, s[4]), JOB_RUNNING);
    assert_int_equal (state_of (f, a), JOB_QUEUED);
    assert_int_equal (agent_ended (f, s[4], 0, NULL), 0);
    turn (f);
    assert_int_equal (state_of (f, a), JOB_FINISHED);
    assert_string_equal (query_state (f, s[3], NULL), "X");
}

/* qdel of the array: the pending subjobs finish unrun, the running ones
 * are killed, and the array finishes with them. */
static void array_delete_kills_running (void **state)
{
    struct fx *f = *state;
    struct herror err = {""};
    int64_t a = submit_array (f, "select=1:ncpus=1", false, "0-9:3");
    turn (f);
    int64_t s0 = jobspec_subjob_seq (a, 0), s3 = jobspec_subjob_seq (a, 3);
    assert_int_equal (state_of (f, s0), JOB_RUNNING);
    assert_int_equal (state_of (f, s3), JOB_RUNNING);
    assert_int_equal (client_msg (f, "job.delete", a, &err), 0);
    assert_int_equal (state_of (f, s0), JOB_EXITING);
    assert_string_equal (query_state (f, jobspec_subjob_seq (a, 9), NULL), "X");
    assert_int_equal (client_msg (f, "job.delete", jobspec_subjob_seq (a, 4), &err), -1);
    assert_non_null (strstr (err.text, "Unknown Job Id 1[4]"));
    assert_int_equal (agent_ended (f, s0, 271, NULL), 0);
    assert_int_equal (agent_ended (f, s3, 271, NULL), 0);
    turn (f);
    assert_int_equal (state_of (f, a), JOB_FINISHED);
}

/* ---------------------------------------------------------------- fabric */

static void write_file (const char *path, const char *text)
{
    FILE *fp = fopen (path, "w");
    assert_non_null (fp);
    fputs (text, fp);
    assert_int_equal (fclose (fp), 0);
}

/* node.register of NAME from a connection of its own. */
static void register_as (struct fx *f, const char *name)
{
    struct herror err;
    struct peer *p = peer_new (0);
    json_t *msg = json_pack ("{s:s, s:i, s:s, s:o, s:[]}", "type", "node.register", "id", 1, "name",
                             name, "topology", two_cores(), "jobs");
    if (call (f, nodes_agent_handlers, p, msg, &err) < 0)
        fail_msg ("register %s: %s", name, err.text);
    peer_unref (p);
}

/* The order as "name name ...|switch/level/parent/first+count ...". */
static void check_order (struct fx *f, const char *want)
{
    struct ctld_fabric_order o;
    char buf[1024] = "";
    assert_int_equal (ctld_fabric_order (&f->ctx, &o), 0);
    for (size_t i = 0; i < o.nnames; i++)
        snprintf (buf + strlen (buf), sizeof (buf) - strlen (buf), "%s%s", i ? " " : "",
                  o.names[i]);
    strcat (buf, "|");
    for (size_t i = 0; i < o.nswitches; i++)
        snprintf (buf + strlen (buf), sizeof (buf) - strlen (buf), "%s%s/%d/%d/%zu+%zu",
                  i ? " " : "", o.switches[i].name, o.switches[i].level, o.switches[i].parent,
                  o.switches[i].first, o.switches[i].count);
    ctld_fabric_order_free (&o);
    assert_string_equal (buf, want);
}

/* fabric.query's "fabric" (borrowed from the captured reply). */
static json_t *fabric_query (struct fx *f)
{
    struct herror err = {""};
    json_array_clear (fake.replies);
    struct request rq = {.ctx = &f->ctx, .peer = f->root};
    json_t *msg = json_pack ("{s:s, s:i}", "type", "fabric.query", "id", 7);
    assert_int_equal (
        proto_handler_find (fabric_client_handlers, "fabric.query")->fn (msg, &rq, &err), 0);
    json_decref (msg);
    return json_object_get (json_object_get (json_array_get (fake.replies, 0), "msg"), "fabric");
}

/* The scheduler core's view of the fabric: the registry's nodes in fabric
 * order, switches as ranges of it (leaves the registry has no node of
 * left out), lone nodes last; a bad file on reload keeps the old tree. */
static void fabric_order_and_reload (void **state)
{
    struct fx *f = *state;
    struct herror err = {""};
    char path[128];

    check_order (f, NODE "|"); /* no fabric: name order, no switches */
    snprintf (path, sizeof (path), "%s/topology.conf", f->dir);
    write_file (path, "SwitchName=top Switches=leafA,leafB,leafC\n"
                      "SwitchName=leafA Nodes=n2," NODE "\n"
                      "SwitchName=leafB Nodes=n1\n"
                      "SwitchName=leafC Nodes=n3\n");
    f->ctx.cfg.fabric = path;
    if (ctld_fabric_create (&f->ctx, &err) < 0)
        fail_msg ("fabric: %s", err.text);
    register_as (f, "n1");
    register_as (f, "lone1");
    check_order (f, NODE " n1 lone1|top/1/-1/0+3 leafA/0/0/0+1 leafB/0/0/1+1 lone1/0/0/2+1");

    /* What a job's nodes span (qstat -f's switches_spanned/common_switch). */
    int leaves = 0;
    const char *common = NULL;
    const char *one[] = {"n1"}, *two[] = {"n1", NODE}, *bad[] = {"n1", "n9"};
    assert_int_equal (ctld_fabric_span (&f->ctx, one, 1, &leaves, &common), 0);
    assert_int_equal (leaves, 1);
    assert_string_equal (common, "leafB");
    assert_int_equal (ctld_fabric_span (&f->ctx, two, 2, &leaves, &common), 0);
    assert_int_equal (leaves, 2);
    assert_string_equal (common, "top");
    errno = 0;
    assert_int_equal (ctld_fabric_span (&f->ctx, bad, 2, &leaves, &common), -1);
    assert_int_equal (errno, ENOENT);

    /* The link plan's order: fabric order, leaf mates in runs, a node
     * the tree does not hold last, alone. */
    const char *probe[] = {"n1", "lone1", NODE, "zz", "n2"};
    int order[5], first[5], count[5];
    assert_int_equal (ctld_fabric_probe_order (&f->ctx, probe, 5, order, first, count), 0);
    const int want_order[] = {4, 2, 0, 1, 3}, want_first[] = {0, 0, 2, 3, 4},
              want_count[] = {2, 2, 1, 1, 1};
    assert_memory_equal (order, want_order, sizeof (order));
    assert_memory_equal (first, want_first, sizeof (first));
    assert_memory_equal (count, want_count, sizeof (count));

    /* fabric.query marks the lone node. */
    json_t *fab = fabric_query (f);
    assert_string_equal (json_string_value (json_array_get (json_object_get (fab, "lone"), 0)),
                         "lone1");
    assert_int_equal (json_array_size (json_object_get (fab, "switches")), 5);

    /* A bad file: refused with file and line, the old tree stays. */
    write_file (path, "SwitchName=top Switches=leafA,nope\nSwitchName=leafA Nodes=n1\n");
    assert_int_equal (ctld_fabric_reload (&f->ctx, &err), -1);
    assert_non_null (strstr (err.text, "topology.conf:1: Switches=: unknown switch nope"));
    check_order (f, NODE " n1 lone1|top/1/-1/0+3 leafA/0/0/0+1 leafB/0/0/1+1 lone1/0/0/2+1");

    /* A good one replaces it; lone1 is named now, NODE is not. */
    write_file (path, "SwitchName=top Switches=l1,l2\nSwitchName=l1 Nodes=lone1,n1\n"
                      "SwitchName=l2 Nodes=n9\n");
    if (ctld_fabric_reload (&f->ctx, &err) < 0)
        fail_msg ("reload: %s", err.text);
    check_order (f, "lone1 n1 " NODE "|top/1/-1/0+3 l1/0/0/0+2 " NODE "/0/0/2+1");
    ctld_fabric_destroy (&f->ctx);
}

/* No option fabric: the tree is inferred from the measured links the store
 * kept (node01+n1 near, n2+n3 near, the rest far), handed to the
 * scheduler like a declared one and marked "measured" in fabric.query; a
 * node that registers later, never measured, is a leaf of its own. */
static void fabric_inferred_from_links (void **state)
{
    struct fx *f = *state;
    struct herror err = {""};
    static const struct {
        const char *a, *b;
        double lat, bw;
    } links[] = {
        /* a before b, as the store keeps them */
        {"n1", NODE, 1.5, 12000}, {"n2", "n3", 2.0, 11000}, {"n2", NODE, 25, 900},
        {"n3", NODE, 24, 950},    {"n1", "n2", 26, 880},    {"n1", "n3", 25, 910},
    };
    register_as (f, "n1");
    register_as (f, "n2");
    register_as (f, "n3");
    check_order (f, "n1 n2 n3 " NODE "|"); /* nothing measured: name order */
    for (size_t i = 0; i < sizeof (links) / sizeof (links[0]); i++)
        assert_int_equal (store_link_put (f->ctx.store, links[i].a, links[i].b, fake.now,
                                          links[i].lat, links[i].bw, &err),
                          0);
    turn (f);
    f->ctx.cfg.probe_interval = 0;
    if (links_create (&f->ctx, &err) < 0 || ctld_fabric_create (&f->ctx, &err) < 0)
        fail_msg ("links, fabric: %s", err.text);
    check_order (f, "n1 " NODE " n2 n3|root/1/-1/0+4 leaf1/0/0/0+2 leaf2/0/0/2+2");
    int leaves = 0;
    const char *common = NULL, *two[] = {"n2", "n3"};
    assert_int_equal (ctld_fabric_span (&f->ctx, two, 2, &leaves, &common), 0);
    assert_int_equal (leaves, 1);
    assert_string_equal (common, "leaf2");

    json_t *fab = fabric_query (f);
    assert_string_equal (json_string_value (json_object_get (fab, "source")), "measured");
    assert_int_equal (json_integer_value (json_object_get (fab, "pairs")), 6);
    assert_null (json_object_get (fab, "file"));

    /* A declared tree only: no reload without a file, no link plan by
     * the inferred leaves. */
    assert_int_equal (ctld_fabric_reload (&f->ctx, &err), -1);
    const char *probe[] = {"n1", "n2"};
    int order[2], first[2], count[2];
    errno = 0;
    assert_int_equal (ctld_fabric_probe_order (&f->ctx, probe, 2, order, first, count), -1);
    assert_int_equal (errno, ENOENT);

    register_as (f, "n0"); /* names the leaves anew: in node-name order */
    check_order (f, "n0 n1 " NODE " n2 n3|root/1/-1/0+5 leaf1/0/0/0+1 leaf2/0/0/1+2 leaf3/0/0/3+2");
    ctld_fabric_destroy (&f->ctx);
    links_destroy (&f->ctx);
}

/* -------------------------------------- probes steering the inferred fabric */

/* What the fake agents measure between n1..n4: n1+n2 and n3+n4 near, or
 * with swapped n1+n3 and n2+n4; every other pair far. */
static bool swapped;

static void fake_measure (const char *a, const char *b, double *lat, double *bw)
{
    int x = a[1] - '0', y = b[1] - '0';
    bool near = swapped ? x % 2 == y % 2 : (x <= 2) == (y <= 2);
    *lat = near ? 1.5 : 25;
    *bw = near ? 12000 : 900;
}

/* Run the loop until the probe timer (or a recheck) has ordered probes,
 * then answer every link.probe order, as both agents would, until none is
 * left (each finished probe plans the next).  Returns how many probes
 * were measured. */
static int probe_round (struct fx *f)
{
    struct herror err = {""};
    int n = 0;
    for (int i = 0; i < 100 && json_array_size (fake.orders) == 0; i++)
        event_base_loop (f->ctx.base, EVLOOP_ONCE);
    while (json_array_size (fake.orders) > 0) {
        json_t *o = json_incref (json_array_get (fake.orders, 0));
        json_array_remove (fake.orders, 0);
        json_t *msg = json_object_get (o, "msg");
        const char *node = json_string_value (json_object_get (o, "node"));
        const char *role = json_string_value (json_object_get (msg, "role"));
        const char *peer = json_string_value (json_object_get (msg, "peer"));
        assert_string_equal (json_string_value (json_object_get (msg, "type")), "link.probe");
        struct peer *p = peer_new (0);
        peer_set_agent_node (p, node);
        json_t *r = json_pack ("{s:s, s:O, s:s, s:s}", "type", "link.result", "probe",
                               json_object_get (msg, "probe"), "role", role, "peer", peer);
        if (strcmp (role, "initiator") == 0) {
            double lat, bw;
            fake_measure (node, peer, &lat, &bw);
            json_object_set_new (r, "latency_us", json_real (lat));
            json_object_set_new (r, "bandwidth_mbps", json_real (bw));
            n++;
        }
        if (call (f, links_agent_handlers, p, r, &err) < 0)
            fail_msg ("link.result: %s", err.text);
        peer_unref (p);
        json_decref (o);
    }
    return n;
}

/* A tree inferred from new probe results is used only once the pairs it
 * judges otherwise than the tree in use were measured again and say the
 * same: the first tree after one more measurement of its cross-leaf
 * pairs; a change that the next measurement does not repeat (a round
 * disturbed by load) is dropped, one that it repeats is used. */
static void fabric_inferred_confirmed (void **state)
{
    struct fx *f = *state;
    struct herror err = {""};
    const char *nodes[] = {"n1", "n2", "n3", "n4"};
    for (size_t i = 0; i < 4; i++) {
        struct peer *p = peer_new (0);
        json_t *msg =
            json_pack ("{s:s, s:i, s:s, s:o, s:[], s:s}", "type", "node.register", "id", 1, "name",
                       nodes[i], "topology", two_cores(), "jobs", "probe_endpoint", "00ff");
        if (call (f, nodes_agent_handlers, p, msg, &err) < 0)
            fail_msg ("register %s: %s", nodes[i], err.text);
        peer_unref (p);
    }
    swapped = false;
    f->ctx.cfg.probe_interval = 1;
    f->ctx.cfg.probe_refresh = 1; /* a second of the fake clock: not the nodes' heartbeats */
    if (links_create (&f->ctx, &err) < 0 || ctld_fabric_create (&f->ctx, &err) < 0)
        fail_msg ("links, fabric: %s", err.text);
    const char *plain = "n1 n2 n3 n4 " NODE "|",
               *a = "n1 n2 n3 n4 " NODE "|root/1/-1/0+5 leaf1/0/0/0+2 leaf2/0/0/2+2 leaf3/0/0/4+1";
    const char *b = "n1 n3 n2 n4 " NODE "|root/1/-1/0+5 leaf1/0/0/0+2 leaf2/0/0/2+2 leaf3/0/0/4+1";

    /* The first round: a candidate, its 4 cross-leaf pairs measured again,
     * then used. */
    assert_int_equal (probe_round (f), 6);
    check_order (f, plain);
    assert_int_equal (links_rechecks_left (&f->ctx), 4);
    assert_int_equal (probe_round (f), 4);
    check_order (f, a);

    /* A round that says otherwise, then the pairs it moved measure as
     * before: the tree in use stays. */
    swapped = true;
    fake.now += f->ctx.cfg.probe_refresh;
    assert_int_equal (probe_round (f), 6);
    check_order (f, a);
    assert_int_equal (links_rechecks_left (&f->ctx), 4);
    swapped = false;
    assert_int_equal (probe_round (f), 4);
    check_order (f, a);
    assert_int_equal (links_rechecks_left (&f->ctx), 0);

    /* The same change measured twice: used. */
    swapped = true;
    fake.now += f->ctx.cfg.probe_refresh;
    assert_int_equal (probe_round (f), 6);
    check_order (f, a);
    assert_int_equal (probe_round (f), 4);
    check_order (f, b);
    ctld_fabric_destroy (&f->ctx);
    links_destroy (&f->ctx);
}

/* ------------------------------------------------------------- sisters */

/* node.register of a sister node on a connection kept for its messages. */
static struct peer *register_sister (struct fx *f, const char *name, json_t *jobs)
{
    struct herror err;
    struct peer *p = peer_new (0);
    json_t *msg =
        json_pack ("{s:s, s:i, s:s, s:o, s:o, s:s}", "type", "node.register", "id", 1, "name", name,
                   "topology", two_cores(), "jobs", jobs, "task_endpoint", "127.0.0.3:4002");
    if (call (f, nodes_agent_handlers, p, msg, &err) < 0)
        fail_msg ("register %s: %s", name, err.text);
    return p;
}

/* A rerunnable 2-node job (two nodes of 2 cores, 2 cores a chunk). */
static int64_t submit_two_nodes (struct fx *f)
{
    return submit_select (f, "select=2:ncpus=2", false);
}

/* The orders about seq as "TYPE@NODE ..." in the order queued. */
static void check_orders (int64_t seq, const char *want)
{
    json_t *mine = orders_for (seq);
    char buf[512] = "";
    size_t i;
    json_t *o;
    json_array_foreach (mine, i, o)
    {
        snprintf (buf + strlen (buf), sizeof (buf) - strlen (buf), "%s%s@%s", i ? " " : "",
                  proto_msg_type (json_object_get (o, "msg")),
                  json_string_value (json_object_get (o, "node")));
    }
    json_decref (mine);
    assert_string_equal (buf, want);
    json_array_clear (fake.orders);
}

/* Every node of an allocation joins the run: job.launch to each, with the
 * nodes' task endpoints and the run's cookie (never shown by job.query);
 * the end of the run is killed on the sisters; a sister that goes silent
 * holds a rerunnable job until its fence, and its registration without
 * the job loses the run. */
static void sisters_join_and_end (void **state)
{
    struct fx *f = *state;
    struct herror err;
    struct peer *sister = register_sister (f, "node02", json_array());
    turn (f);
    json_array_clear (fake.orders);

    int64_t a = submit_two_nodes (f);
    turn (f);
    assert_int_equal (state_of (f, a), JOB_RUNNING);
    json_t *mine = orders_for (a);
    assert_int_equal (json_array_size (mine), 2);
    const char *cookie = NULL;
    for (size_t i = 0; i < 2; i++) {
        json_t *msg = json_object_get (json_array_get (mine, i), "msg");
        assert_string_equal (proto_msg_type (msg), "job.launch");
        json_t *eps = json_object_get (msg, "task_endpoints");
        assert_string_equal (json_string_value (json_object_get (eps, "node02")), "127.0.0.3:4002");
        const char *c =
            json_string_value (json_object_get (json_object_get (msg, "job"), "cookie"));
        assert_non_null (c);
        assert_int_equal (strlen (c), 32);
        if (cookie)
            assert_string_equal (c, cookie);
        cookie = c;
    }
    json_t *q =
        json_pack ("{s:s, s:i, s:[I]}", "type", "job.query", "id", 9, "seqs", (json_int_t)a);
    assert_int_equal (call (f, jobs_client_handlers, f->user, q, &err), 0);
    json_t *last = json_array_get (fake.replies, json_array_size (fake.replies) - 1);
    json_t *shown = json_array_get (json_object_get (json_object_get (last, "msg"), "jobs"), 0);
    assert_non_null (shown);
    assert_null (json_object_get (shown, "cookie"));
    json_decref (mine);
    json_array_clear (fake.orders);

    /* The script's node reports the end: the sister is told to kill. */
    assert_int_equal (agent_ended (f, a, 0, "exited"), 0);
    turn (f);
    assert_int_equal (state_of (f, a), JOB_FINISHED);
    check_orders (a, "job.kill@node02");

    /* A sister that cannot join fails the run: the first node kills it. */
    int64_t c = submit_two_nodes (f);
    turn (f);
    json_array_clear (fake.orders);
    json_t *lf = json_pack ("{s:s, s:i, s:I, s:i, s:s}", "type", "job.launch.failed", "id", 4,
                            "seq", (json_int_t)c, "run_count", 1, "error", "no such user");
    assert_int_equal (call (f, jobs_agent_handlers, sister, lf, &err), 0);
    turn (f);
    assert_int_equal (state_of (f, c), JOB_FINISHED);
    json_t *cobj = stored (f, c);
    assert_int_equal (json_integer_value (json_object_get (cobj, "exit_status")),
                      JOB_EXIT_LAUNCH_FAILED);
    assert_null (json_object_get (cobj, "cookie")); /* gone with the run */
    json_decref (cobj);
    check_orders (c, "job.kill@" NODE);

    /* A sister's result decides nothing, unless it could not set up. */
    int64_t b = submit_two_nodes (f);
    turn (f);
    json_array_clear (fake.orders);
    json_t *msg =
        json_pack ("{s:s, s:i, s:I, s:i, s:I, s:I, s:I}", "type", "job.ended", "id", 3, "seq",
                   (json_int_t)b, "exit_status", 143, "start_time", (json_int_t)fake.now,
                   "end_time", (json_int_t)fake.now, "run_count", (json_int_t)1);
    assert_int_equal (call (f, jobs_agent_handlers, sister, msg, &err), 0);
    turn (f);
    assert_int_equal (state_of (f, b), JOB_RUNNING);
    check_orders (b, "");

    /* The sister goes silent: the job waits for its fence, then requeues
     * and the script's node is told to kill. */
    jobs_node_lost (&f->ctx, "node02");
    turn (f);
    assert_int_equal (state_of (f, b), JOB_RUNNING);
    check_orders (b, "");
    jobs_node_fenced (&f->ctx, "node02");
    turn (f);
    /* requeued, and started again at once (the registry still has
     * node02: jobs_node_lost was called alone) */
    assert_int_equal (jobs_find (&f->ctx, b)->run_count, 2);
    check_orders (b, "job.kill@" NODE " job.launch@" NODE " job.launch@node02");

    /* The sister registers without the job's run: the run is lost and
     * killed on the script's node (then started again). */
    peer_unref (register_sister (f, "node02", json_array()));
    turn (f);
    assert_int_equal (jobs_find (&f->ctx, b)->run_count, 3);
    check_orders (b, "job.kill@" NODE " job.launch@" NODE " job.launch@node02");
    /* ... and with it: adopted, nothing to do. */
    peer_unref (register_sister (f, "node02",
                                 json_pack ("[{s:I, s:i}]", "seq", (json_int_t)b, "run_count", 3)));
    turn (f);
    assert_int_equal (jobs_find (&f->ctx, b)->run_count, 3);
    assert_int_equal (state_of (f, b), JOB_RUNNING);
    check_orders (b, "");
    peer_unref (sister);
}

int main (void)
{
    log_init ("test_ctld_jobs", LOG_LEVEL_ERROR, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (every_event_from_every_state),
        cmocka_unit_test_setup_teardown (delete_of_reserving_job_starts_the_next, setup, teardown),
        cmocka_unit_test_setup_teardown (hold_of_reserving_job_starts_the_next, setup, teardown),
        cmocka_unit_test_setup_teardown (user_run_limit_within_one_pass, setup_user_run_1,
                                         teardown),
        cmocka_unit_test_setup_teardown (alter_requeues_with_the_new_request, setup, teardown),
        cmocka_unit_test_setup_teardown (retries_used_up_hold_the_job, setup, teardown),
        cmocka_unit_test_setup_teardown (launch_failed_ends_the_job, setup, teardown),
        cmocka_unit_test_setup_teardown (offline_and_clear_ask_for_a_pass, setup, teardown),
        cmocka_unit_test_setup_teardown (restart_rebuilds_the_queue, setup, teardown),
        cmocka_unit_test_setup_teardown (dependencies_hold_until_met, setup, teardown),
        cmocka_unit_test_setup_teardown (array_runs_at_most_max, setup, teardown),
        cmocka_unit_test_setup_teardown (array_delete_kills_running, setup, teardown),
        cmocka_unit_test_setup_teardown (fabric_order_and_reload, setup, teardown),
        cmocka_unit_test_setup_teardown (fabric_inferred_from_links, setup, teardown),
        cmocka_unit_test_setup_teardown (fabric_inferred_confirmed, setup, teardown),
        cmocka_unit_test_setup_teardown (sisters_join_and_end, setup, teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
