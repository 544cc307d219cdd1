/* jobmessage.c - qmsg: a line into a running job's output or error file
 *
 * A client's job.message (the job's owner or root) becomes a job.message
 * order to the job's first node, naming the files its process reported
 * when it started (job.launch.ok: output_file, error_file); that node's
 * agent appends the line as the job's owner and answers with the order's
 * ref.  Only then is the client answered, as PBS's server waits for its
 * mom, so a line that could not be written is an error the user sees.  A
 * node that does not answer within MESSAGE_TIMEOUT seconds (gone, or its
 * agent reconnecting: orders are not resent) gets the client an error
 * instead.  Nothing here changes a job: no state, no store.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "scheduler/ctld/job.h"

#define MESSAGE_TIMEOUT  30   /* seconds the first node has to answer */
#define MESSAGE_TEXT_MAX 4096 /* bytes of one message (qmsg sends at most 256) */

struct pending {
    int64_t ref;
    struct ctld *ctx;
    struct peer *peer; /* referenced: the client may go meanwhile */
    json_t *req;       /* the client's request, for its reply's id */
    char *node;
    struct event *timer;
    struct pending *prev, *next;
};

struct job_messages {
    struct pending *head;
    int64_t next_ref;
};

static void pending_free (struct ctld *ctx, struct pending *p)
{
    struct job_messages *m = ctx->messages;
    if (p->prev)
        p->prev->next = p->next;
    else
        m->head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    if (p->timer)
        event_free (p->timer);
    peer_unref (p->peer);
    json_decref (p->req);
    free (p->node);
    free (p);
}

void job_messages_destroy (struct ctld *ctx)
{
    if (!ctx->messages)
        return;
    while (ctx->messages->head)
        pending_free (ctx, ctx->messages->head);
    free (ctx->messages);
    ctx->messages = NULL;
}

static void pending_timeout (evutil_socket_t fd, short what, void *arg)
{
    struct pending *p = arg;
    (void)fd;
    (void)what;
    ctld_reply (p->ctx, p->peer,
                proto_error_reply (p->req,
                                   "Execution server rejected request: node %s did not "
                                   "answer within %d s",
                                   p->node, MESSAGE_TIMEOUT));
    pending_free (p->ctx, p);
}

/* A pending request for the client's msg, answered later by node; NULL
 * (nothing kept) when out of memory. */
static struct pending *pending_new (struct ctld *ctx, struct request *rq, json_t *msg,
                                    const char *node)
{
    if (!ctx->messages && !(ctx->messages = calloc (1, sizeof (*ctx->messages))))
        return NULL;
    struct job_messages *m = ctx->messages;
    struct pending *p = calloc (1, sizeof (*p));
    struct timeval tv = {.tv_sec = MESSAGE_TIMEOUT};
    if (!p || !(p->node = strdup (node)) ||
        !(p->timer = evtimer_new (ctx->base, pending_timeout, p)) || evtimer_add (p->timer, &tv)) {
        if (p && p->timer)
            event_free (p->timer);
        free (p ? p->node : NULL);
        free (p);
        return NULL;
    }
    p->ref = ++m->next_ref;
    p->ctx = ctx;
    p->peer = peer_ref (rq->peer);
    p->req = json_incref (msg);
    p->next = m->head;
    if (m->head)
        m->head->prev = p;
    m->head = p;
    return p;
}

/* The files "to" names ('E' the error file, 'O' the output file; a file
 * both streams go to once), as the job's first node reported them. */
static json_t *message_files (const struct ctld_job *j, const char *to, struct herror *err)
{
    const char *out = json_string_value (json_object_get (j->obj, "output_file"));
    const char *errf = json_string_value (json_object_get (j->obj, "error_file"));
    json_t *files = json_array();
    if (!files) {
        herror_set (err, "out of memory");
        return NULL;
    }
    if (strchr (to, 'E') && errf)
        json_array_append_new (files, json_string (errf));
    if (strchr (to, 'O') && out && !(errf && strchr (to, 'E') && strcmp (out, errf) == 0))
        json_array_append_new (files, json_string (out));
    if (json_array_size (files) == 0 || (strchr (to, 'E') && !errf) || (strchr (to, 'O') && !out)) {
        json_decref (files);
        herror_set (err, "Request invalid for state of job: its node has not reported its %s file",
                    strchr (to, 'E') && !errf ? "error" : "output");
        return NULL;
    }
    return files;
}

static int job_message (json_t *msg, void *arg, struct herror *err)
{
    struct request *rq = arg;
    struct ctld *ctx = rq->ctx;
    const char *text, *to = "E";

    if (proto_get_string (msg, "text", &text, err) < 0 ||
        proto_opt_string (msg, "to", &to, err) < 0)
        return -1;
    if (strlen (text) > MESSAGE_TEXT_MAX)
        return herror_set (err, "message job.message: \"text\" is longer than %d bytes",
                           MESSAGE_TEXT_MAX);
    if (!to[0] || strspn (to, "EO") != strlen (to))
        return herror_set (err, "message job.message: \"to\" must be E, O or EO");
    struct ctld_job *j = jobs_owned (msg, rq, err);
    if (!j)
        return -1;
    if (j->state == JOB_FINISHED)
        return herror_set (err, "Job has finished");
    if (j->state != JOB_RUNNING)
        return herror_set (err, "Request invalid for state of job");
    json_t *files = message_files (j, to, err);
    if (!files)
        return -1;
    size_t len = strlen (text);
    json_t *line = json_sprintf ("%s%s", text, len && text[len - 1] == '\n' ? "" : "\n");
    const char *node = job_first_node (j);
    struct pending *p = line && node ? pending_new (ctx, rq, msg, node) : NULL;
    if (!p) {
        json_decref (files);
        json_decref (line);
        return herror_set (err, "out of memory");
    }
    ctld_order (ctx, node,
                json_pack ("{s:s, s:I, s:I, s:I, s:o, s:o}", "type", "job.message", "seq",
                           (json_int_t)j->seq, "run_count", (json_int_t)j->run_count, "ref",
                           (json_int_t)p->ref, "text", line, "files", files));
    log_msg (LOG_LEVEL_DEBUG, "job %lld: qmsg by uid %d to %s", (long long)j->seq,
             (int)peer_uid (rq->peer), node);
    return 0;
}

/* The agent's answer: the client's reply at last.  An answer no request
 * waits for (timed out, or from another node) is dropped. */
static int message_answer (json_t *msg, struct request *rq, bool ok)
{
    int64_t ref;
    const char *why = NULL;
    if (proto_get_int (msg, "ref", &ref, NULL) < 0 || !rq->ctx->messages)
        return 0;
    (void)proto_opt_string (msg, "error", &why, NULL);
    struct pending *p = rq->ctx->messages->head;
    while (p && p->ref != ref)
        p = p->next;
    const char *node = peer_agent_node (rq->peer);
    if (!p || !node || strcmp (node, p->node) != 0)
        return 0;
    json_t *reply = ok ? proto_reply_ok (p->req)
                       : proto_error_reply (p->req, "Execution server rejected request: %.600s",
                                            why ? why : "no reason given");
    ctld_reply (rq->ctx, p->peer, reply);
    pending_free (rq->ctx, p);
    return 0;
}

static int job_message_ok (json_t *msg, void *arg, struct herror *err)
{
    (void)err;
    return message_answer (msg, arg, true);
}

static int job_message_failed (json_t *msg, void *arg, struct herror *err)
{
    (void)err;
    return message_answer (msg, arg, false);
}

const struct proto_handler messages_client_handlers[] = {
    {"job.message", job_message},
    {NULL, NULL},
};

const struct proto_handler messages_agent_handlers[] = {
    {"job.message.ok", job_message_ok},
    {"job.message.failed", job_message_failed},
    {NULL, NULL},
};
