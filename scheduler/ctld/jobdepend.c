/* jobdepend.c - huddle-ctld's side of job dependencies (depend.h)
 *
 * A job submitted with -W depend names jobs of this server; the ones whose
 * outcome it still waits for are kept (ctld_job.deps) and watched: the
 * table's dependents map says, for each such parent, which jobs wait on
 * it, so that a parent's start or end (job_react calls
 * jobs_depend_parent_changed) settles them without a walk over every job.
 * A waiting job is held by the system and released through job_update,
 * like any other change of a job; one that can never run says why in its
 * comment and stays held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jobspec.h"
#include "common/log.h"
#include "scheduler/ctld/job.h"
#include "scheduler/ctld/store.h"

/* What parent p's state means to the jobs that depend on it. */
static struct depend_parent parent_of (const struct ctld_job *p)
{
    json_t *o = job_obj_copy (p); /* a finished parent is packed: it stays so */
    json_t *st = json_object_get (o, "exit_status");
    struct depend_parent d = {
        .started = p->run_count > 0 || array_begun (p),
        .finished = p->state == JOB_FINISHED,
        .has_status = st != NULL,
        .exit_status = st ? (int)json_integer_value (st) : 0,
    };
    json_decref (o);
    return d;
}

/* Where items stand: DEPEND_MET when every one is met, else DEPEND_NEVER
 * when one can never be (why: "afterok:12.vm can never be met: job 12.vm
 * ended with exit status 1"), else DEPEND_PENDING (why: the first item
 * still waited for, "afterok:12.vm"). */
static enum depend_status depend_state (struct ctld *ctx, const struct depend_item *deps, int n,
                                        char *why, size_t size)
{
    enum depend_status all = DEPEND_MET;
    char id[96], reason[200];
    why[0] = '\0';
    for (int i = 0; i < n; i++) {
        snprintf (id, sizeof (id), "%lld%s.%s", (long long)deps[i].seq, deps[i].array ? "[]" : "",
                  ctx->cfg.server_name);
        struct ctld_job *p = jobs_find (ctx, deps[i].seq);
        struct depend_parent pp = p ? parent_of (p) : (struct depend_parent){0};
        enum depend_status st = p ? depend_eval (deps[i].type, &pp) : DEPEND_NEVER;
        if (st == DEPEND_NEVER) {
            if (p)
                depend_never_why (&pp, id, reason, sizeof (reason));
            else
                snprintf (reason, sizeof (reason), "job %s is no longer known", id);
            snprintf (why, size, "%s:%s can never be met: %s", depend_type_name (deps[i].type), id,
                      reason);
            return DEPEND_NEVER;
        }
        if (st == DEPEND_PENDING && all == DEPEND_MET) {
            all = DEPEND_PENDING;
            snprintf (why, size, "%s:%s", depend_type_name (deps[i].type), id);
        }
    }
    return all;
}

/* items as qstat -f shows them: "afterok:12.vm@vm:13.vm@vm,after:14.vm@vm"
 * (malloc'd), consecutive items of one type under one name. */
static char *depend_text (struct ctld *ctx, const struct depend_item *deps, int n)
{
    const char *srv = ctx->cfg.server_name;
    size_t size = 1;
    for (int i = 0; i < n; i++)
        size += strlen (depend_type_name (deps[i].type)) + 2 * strlen (srv) + 26;
    char *buf = malloc (size), *p = buf;
    for (int i = 0; buf && i < n; i++) {
        if (i == 0 || deps[i].type != deps[i - 1].type)
            p += sprintf (p, "%s%s", i ? "," : "", depend_type_name (deps[i].type));
        p += sprintf (p, ":%lld%s.%s@%s", (long long)deps[i].seq, deps[i].array ? "[]" : "", srv,
                      srv);
    }
    if (buf && n == 0)
        buf[0] = '\0';
    return buf;
}

int jobs_depend_prepare (struct ctld *ctx, const char *text, struct depend_item **deps, int *ndeps,
                         char **normalized, struct herror *err)
{
    struct depend_item *v;
    int n;
    char why[400], shown[HERROR_SHOW_SIZE];

    *deps = NULL;
    *ndeps = 0;
    *normalized = NULL;
    if (depend_parse (text, &v, &n, err) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        const char *srv = v[i].server;
        if (srv[0] && !jobspec_server_matches (srv, ctx->cfg.server_name)) {
            herror_set (err, "Unknown Job Id %lld.%s", (long long)v[i].seq,
                        herror_show (srv, strlen (srv), shown, sizeof (shown)));
            goto fail;
        }
        /* an array is SEQ[], as qstat names it; a job that is none is not */
        struct ctld_job *p = jobs_find (ctx, v[i].seq);
        if (!p || (p->array != NULL) != v[i].array) {
            herror_set (err, "Unknown Job Id %lld%s.%s", (long long)v[i].seq,
                        v[i].array ? "[]" : "", ctx->cfg.server_name);
            goto fail;
        }
    }
    enum depend_status st = depend_state (ctx, v, n, why, sizeof (why));
    if (st == DEPEND_NEVER) {
        herror_set (err, "Finished job did not satisfy dependency: %s", why);
        goto fail;
    }
    if (!(*normalized = depend_text (ctx, v, n))) {
        herror_set (err, "out of memory");
        goto fail;
    }
    if (st == DEPEND_MET) {
        free (v);
        return 0;
    }
    *deps = v;
    *ndeps = n;
    return 0;
fail:
    free (v);
    return -1;
}

void jobs_depend_watch (struct ctld *ctx, struct ctld_job *j)
{
    json_t *map = jobs_dependents (ctx);
    char key[32];
    if (!map)
        return;
    for (int i = 0; i < j->ndeps; i++) {
        snprintf (key, sizeof (key), "%lld", (long long)j->deps[i].seq);
        json_t *kids = json_object_get (map, key);
        if (!kids && json_object_set_new (map, key, kids = json_array()) < 0)
            continue;
        json_array_append_new (kids, json_integer (j->seq));
    }
}

/* Look at what held job j waits on again: released once every item is
 * met; its comment says which item it waits for, or which can never be
 * met (it stays held then: see depend.h). */
void jobs_depend_settle (struct ctld *ctx, struct ctld_job *j)
{
    char why[400], text[480];
    if (j->state != JOB_HELD || !j->depend_hold)
        return;
    enum depend_status st = depend_state (ctx, j->deps, j->ndeps, why, sizeof (why));
    if (st == DEPEND_MET) {
        struct job_change c = {.ev = JOB_EV_RELEASE,
                               .hold_type = 's',
                               .text = "dependencies met: system hold released",
                               .comment = "Job released: its dependencies are met"};
        job_update (ctx, j, &c);
        return;
    }
    snprintf (text, sizeof (text), "Job held: %s %s",
              st == DEPEND_NEVER ? "dependency" : "waiting for dependency", why);
    const char *was = json_string_value (json_object_get (job_obj (j), "comment"));
    if (was && strcmp (was, text) == 0) {
        job_pack (j);
        return;
    }
    struct herror err = {""};
    job_set (j, "comment", json_string (text));
    if (job_store (ctx, j) == 0 && store_event_add (ctx->store, j->seq, ctld_now(), text, &err) < 0)
        log_msg (LOG_LEVEL_ERROR, "job %lld: cannot store: %s", (long long)j->seq, err.text);
    if (st == DEPEND_NEVER)
        log_msg (LOG_LEVEL_INFO, "job %lld.%s: %s", (long long)j->seq, ctx->cfg.server_name, text);
}

void jobs_depend_parent_changed (struct ctld *ctx, struct ctld_job *parent)
{
    json_t *map = jobs_dependents (ctx);
    char key[32];
    size_t i;
    json_t *v;

    snprintf (key, sizeof (key), "%lld", (long long)parent->seq);
    json_t *kids = json_incref (map ? json_object_get (map, key) : NULL);
    if (!kids)
        return;
    /* nothing it does once finished changes them */
    if (parent->state == JOB_FINISHED)
        json_object_del (map, key);
    json_array_foreach (kids, i, v)
    {
        struct ctld_job *child = jobs_find (ctx, json_integer_value (v));
        if (child)
            jobs_depend_settle (ctx, child);
    }
    json_decref (kids);
}
