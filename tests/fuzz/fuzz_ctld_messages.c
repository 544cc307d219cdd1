/* fuzz_ctld_messages.c - every message handler of huddle-ctld, with the
 * validators of each message's members (scheduler/ctld: jobmsg.c,
 * nodes.c, links.c, ctld_fabric.c, pgroups.c)
 *
 * The controller's subsystems run as in the daemon, with a real store in
 * a temporary directory ($TMPDIR), made afresh for each input; server.c,
 * the network, is replaced by the small fake below and the peers of
 * tests/unit/fake_peer.c, as tests/unit/test_ctld_jobs.c does.  A node
 * "node01" is registered first.  Input: one byte that picks the sender of
 * each message (two bits per message: a user, root, the node's agent,
 * another user), then a stream of frames as a connection would carry
 * them (common/proto.h).  Each message goes to its handler as server.c
 * dispatches it (agent messages only from the agent); then the loop turns
 * and the store commits.  Checks: nothing makes the controller stop
 * (ctld_fatal); a refused message has a reason; every reply and order
 * encodes as a frame. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/proto.h"
#include "scheduler/ctld/ctld.h"
#include "scheduler/ctld/ctld_fabric.h"
#include "scheduler/ctld/options.h"
#include "scheduler/ctld/store.h"
#include "tests/unit/fake_peer.h"
#include "topology/node.h"
#include "tests/fuzz/fuzz.h"

#define MAX_MESSAGES 16

/* ------------------------------------------------------- the fake server */

static int64_t fake_now = 1000000;
static int fatal_calls;

int64_t ctld_now (void)
{
    return fake_now;
}

void ctld_fatal (struct ctld *ctx, const char *fmt, ...)
{
    fatal_calls++;
    ctx->exit_code = 1;
}

/* What the daemon would send must be a frame it can write. */
static void must_encode (json_t *msg, const char *what)
{
    size_t len;
    FUZZ_CHECK (msg, "a NULL %s", what);
    FUZZ_CHECK (proto_msg_type (msg), "a %s without a type", what);
    void *frame = proto_encode (msg, &len);
    FUZZ_CHECK (frame, "a %s does not encode: %s", what, strerror (errno));
    free (frame);
}

void ctld_reply (struct ctld *ctx, struct peer *p, json_t *msg)
{
    must_encode (msg, "reply");
    json_decref (msg);
}

void ctld_order (struct ctld *ctx, const char *node, json_t *msg)
{
    if (msg)
        must_encode (msg, "order");
    json_decref (msg);
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
}

/* ------------------------------------------------------------- the daemon */

static char dir[256];
static json_t *topology; /* node01's model */

static void remove_dir (void)
{
    char path[300];
    static const char *const files[] = {"huddle.db", "huddle.db-wal", "huddle.db-shm",
                                        "huddle.db-journal", NULL};
    for (int i = 0; files[i]; i++) {
        snprintf (path, sizeof (path), "%s/%s", dir, files[i]);
        unlink (path);
    }
    rmdir (dir);
}

static void init_once (void)
{
    struct herror err = {""};
    const char *tmp = getenv ("TMPDIR");
    snprintf (dir, sizeof (dir), "%s/fuzz_ctld.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp (dir))
        fuzz_fail ("mkdtemp %s: %s", dir, strerror (errno));
    atexit (remove_dir);
    log_init ("fuzz_ctld", LOG_LEVEL_ERROR, NULL);
    struct topo_node *t = topo_node_load_synthetic ("pack:1 core:4 pu:1", &err);
    FUZZ_CHECK (t, "synthetic topology: %s", err.text);
    topology = topo_node_to_json (t);
    topo_node_destroy (t);
}

/* One message from p, as server.c's on_msg() handles it. */
static void handle (struct ctld *ctx, struct peer *p, json_t *msg)
{
    const char *type = proto_msg_type (msg);
    if (strcmp (type, "error") == 0 && !p->agent)
        return;
    bool agent_only;
    const struct proto_handler *h = ctld_handler_find (type, &agent_only);
    if (!h || (agent_only && !p->agent))
        return; /* server.c answers "unknown message type" or "Unauthorized Request" */
    struct request rq = {.ctx = ctx, .peer = p};
    struct herror err = {""};
    if (h->fn (msg, &rq, &err) < 0) {
        FUZZ_CHECK (err.text[0], "%s refused without a reason", type);
        ctld_reply (ctx, p, proto_error_reply (msg, "%s", err.text));
    }
}

static void turn (struct ctld *ctx)
{
    struct herror err = {""};
    event_base_loop (ctx->base, EVLOOP_NONBLOCK);
    FUZZ_CHECK (store_flush (ctx->store, &err) == 0, "store_flush: %s", err.text);
}

FUZZ_ENTRY (ctld_messages)
{
    if (size < 1)
        return 0;
    if (!topology)
        init_once();
    struct herror err = {""};
    struct ctld ctx;
    memset (&ctx, 0, sizeof (ctx));
    char *argv[] = {"huddle-ctld", "--state-dir", dir, "--store-sync", "normal", NULL};
    int code;
    struct ctld_options *opts = ctld_options_parse (5, argv, &ctx.cfg, &code, &err);
    FUZZ_CHECK (opts, "options: %s", err.text);
    fatal_calls = 0;
    ctx.start_time = fake_now;
    ctx.base = event_base_new();
    FUZZ_CHECK (ctx.base && event_base_priority_init (ctx.base, CTLD_NPRIORITIES) == 0, "libevent");
    ctx.store = store_open_flags (dir, STORE_SYNC_NORMAL, &err);
    FUZZ_CHECK (ctx.store, "store: %s", err.text);
    FUZZ_CHECK (sched_create (&ctx) == 0 && nodes_create (&ctx) == 0 && jobs_create (&ctx) == 0 &&
                    pgroups_create (&ctx, &err) == 0 && links_create (&ctx, &err) == 0 &&
                    ctld_fabric_create (&ctx, &err) == 0,
                "controller start: %s", err.text);

    struct peer *peers[4] = {peer_new (1000), peer_new (0), peer_new (0), peer_new (1001)};
    peers[2]->agent = true;
    json_t *reg = json_pack ("{s:s, s:i, s:s, s:O, s:[]}", "type", "node.register", "id", 1, "name",
                             "node01", "topology", topology, "jobs");
    handle (&ctx, peers[2], reg);
    json_decref (reg);
    turn (&ctx);

    struct proto_decoder *d = proto_decoder_create (1 << 20);
    FUZZ_CHECK (d && proto_decoder_feed (d, data + 1, size - 1) == 0, "decoder");
    json_t *msg;
    for (int i = 0; i < MAX_MESSAGES; i++) {
        int rc = proto_decoder_next (d, &msg, &err);
        if (rc == 0 || (rc < 0 && proto_error_is_fatal (proto_decoder_error (d))))
            break;
        if (rc < 0)
            continue;
        handle (&ctx, peers[(data[0] >> (2 * (i % 4))) & 3], msg);
        json_decref (msg);
        fake_now++;
        turn (&ctx);
        FUZZ_CHECK (fatal_calls == 0 && ctx.exit_code == 0, "a message stopped the controller");
    }
    proto_decoder_destroy (d);

    ctld_fabric_destroy (&ctx);
    links_destroy (&ctx);
    pgroups_destroy (&ctx);
    jobs_destroy (&ctx);
    nodes_destroy (&ctx);
    sched_destroy (&ctx);
    store_close (ctx.store);
    event_base_free (ctx.base);
    ctld_options_destroy (opts);
    for (int i = 0; i < 4; i++)
        peer_unref (peers[i]);
    remove_dir();
    FUZZ_CHECK (mkdir (dir, 0700) == 0, "mkdir %s: %s", dir, strerror (errno));
    return 0;
}
