/* arrays.c - job arrays (qsub -J) in huddle-ctld
 *
 * See job.h ("arrays.c") for the model.  The point of it is cost: a
 * 10,000-element array is one job object, a bitmap of pending positions
 * (one bit each) and, once subjobs finish, four bytes of exit status each;
 * only the subjobs that run (or were held one by one) are jobs, with
 * objects that share their members with the array's (a shallow copy: job
 * objects are only changed at their top level, job.h).
 *
 * Positions 0..size-1 number the subjobs in index order (index = first +
 * pos * step); the sets hold positions, so they stay as small as the array
 * whatever its indices.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/idset.h"
#include "common/jobspec.h"
#include "common/log.h"
#include "scheduler/core/queue.h"
#include "scheduler/ctld/job.h"
#include "scheduler/ctld/queues.h"
#include "scheduler/ctld/store.h"

#define EXIT_UNKNOWN INT32_MIN /* finished without a status (deleted while pending) */

struct ctld_array {
    struct jobspec_array spec;
    int64_t size;
    struct idset *pending;             /* positions not started, not jobs */
    struct idset *done;                /* positions finished and out of the table */
    int32_t *exit;                     /* size entries once one finished; EXIT_UNKNOWN: none */
    int64_t boundary;                  /* pending positions below it are in the scheduler's queue */
    int nqueued;                       /* how many those are */
    int njobs;                         /* subjobs in the table */
    int nrunning, nexiting, nfinished; /* of those: R, E, F (F until retired) */
    bool begun;                        /* a subjob has started: PBS's state B */
    int pass_started;                  /* subjobs started in pass number pass_gen */
    int pass_gen;
    char why[96]; /* the admission hook's sentence */
};

void array_free (struct ctld_array *a)
{
    if (!a)
        return;
    idset_destroy (a->pending);
    idset_destroy (a->done);
    free (a->exit);
    free (a);
}

int64_t array_size (const struct ctld_job *j)
{
    return j->array ? j->array->size : 0;
}

int64_t array_index_at (const struct ctld_job *j, int64_t pos)
{
    return jobspec_array_index (&j->array->spec, pos);
}

int64_t array_pos_of (const struct ctld_job *j, int64_t index)
{
    const struct jobspec_array *s = &j->array->spec;
    if (index < s->first || index > s->last || (index - s->first) % s->step != 0)
        return -1;
    return (index - s->first) / s->step;
}

int array_attach (struct ctld *ctx, struct ctld_job *j, struct herror *err)
{
    const char *spec = json_string_value (json_object_get (j->obj, "array"));
    const char *pending = json_string_value (json_object_get (j->obj, "array_pending"));
    struct ctld_array *a = calloc (1, sizeof (*a));
    (void)ctx;

    if (!a)
        return herror_set (err, "out of memory");
    if (!spec || jobspec_parse_array (spec, 'J', &a->spec, err) < 0) {
        array_free (a);
        return spec ? -1 : herror_set (err, "array: missing");
    }
    a->size = jobspec_array_size (&a->spec);
    a->done = idset_create();
    a->pending = pending ? idset_decode (pending) : idset_create();
    if (!a->done || !a->pending) {
        array_free (a);
        return herror_set (err,
                           pending ? "array_pending: not a set of positions" : "out of memory");
    }
    for (int64_t p = 0; !pending && p < a->size; p++) {
        if (idset_set (a->pending, (unsigned)p) < 0) {
            array_free (a);
            return herror_set (err, "out of memory");
        }
    }
    int last = -1;
    for (int p = idset_first (a->pending); p >= 0; p = idset_next (a->pending, (unsigned)p))
        last = p;
    if (last >= a->size) {
        herror_set (err, "array_pending: position %d is beyond the array's %lld", last,
                    (long long)a->size);
        array_free (a);
        return -1;
    }
    j->array = a;
    return 0;
}

static int64_t key_of (const struct ctld_job *j, int64_t pos)
{
    return jobspec_subjob_seq (j->seq, array_index_at (j, pos));
}

/* The array job's stored object follows its pending set. */
static void array_store (struct ctld *ctx, struct ctld_job *j)
{
    struct herror err = {""};
    char *s = idset_encode (j->array->pending);
    if (!s) {
        log_msg (LOG_LEVEL_ERROR, "job %lld[]: out of memory", (long long)j->seq);
        return;
    }
    job_set (j, "array_pending", json_string (s));
    free (s);
    if (store_job_put (ctx->store, j->obj, &err) < 0)
        log_msg (LOG_LEVEL_ERROR, "job %lld[]: cannot store: %s", (long long)j->seq, err.text);
    ctld_dirty (ctx);
}

/* ------------------------------------------------------------------ queue */

static void dequeue_all (struct ctld *ctx, struct ctld_job *j)
{
    struct ctld_array *a = j->array;
    for (int p = idset_first (a->pending); p >= 0 && p < a->boundary;
         p = idset_next (a->pending, (unsigned)p))
        sched_queue_drop (ctx, key_of (j, p));
    a->boundary = 0;
    a->nqueued = 0;
}

void array_sync (struct ctld *ctx, struct ctld_job *j)
{
    struct ctld_array *a = j->array;
    if (j->state != JOB_QUEUED || job_deferred (j, ctld_now())) {
        dequeue_all (ctx, j);
        return;
    }
    while (a->nqueued < ARRAYS_QUEUE_BATCH) {
        int p = a->boundary == 0 ? idset_first (a->pending)
                                 : idset_next (a->pending, (unsigned)(a->boundary - 1));
        if (p < 0)
            break;
        struct sched_job sj = {
            .seq = key_of (j, p),
            .priority = queues_job_priority (ctx, j),
            .eligible_time = j->eligible_time,
            .req = &j->res,
            .rank = j->rank ? j->rank : j->seq, /* with the array, in index order */
        };
        if (sched_queue_put (ctx, &sj) < 0) {
            log_msg (LOG_LEVEL_ERROR, "job %lld[]: cannot queue its subjobs: %s", (long long)j->seq,
                     strerror (errno));
            break;
        }
        a->boundary = p + 1;
        a->nqueued++;
    }
}

/* Position POS leaves the pending set (it starts, is held or deleted). */
static void take_pos (struct ctld *ctx, struct ctld_job *j, int64_t pos)
{
    struct ctld_array *a = j->array;
    if (pos < a->boundary) {
        sched_queue_drop (ctx, key_of (j, pos));
        a->nqueued--;
    }
    idset_clear (a->pending, (unsigned)pos);
    array_sync (ctx, j);
    array_store (ctx, j);
}

/* ------------------------------------------------------------- lifecycle */

char array_index_state (const struct ctld_job *j, int64_t index)
{
    int64_t pos = j->array ? array_pos_of (j, index) : -1;
    if (pos < 0)
        return 0;
    if (idset_test (j->array->pending, (unsigned)pos))
        return 'P';
    if (idset_test (j->array->done, (unsigned)pos))
        return 'D';
    return 'J';
}

/* The subjob's object: the array's (shared members), its own ids. */
static json_t *subjob_object (struct ctld *ctx, const struct ctld_job *j, int64_t index,
                              enum job_state state)
{
    char letter[2] = {job_state_letter (state), '\0'};
    json_t *o = json_copy (j->obj);
    if (!o)
        return NULL;
    json_object_del (o, "array");
    json_object_del (o, "array_pending");
    json_object_del (o, "comment");
    if (json_object_set_new (o, "seq", json_integer (jobspec_subjob_seq (j->seq, index))) < 0 ||
        json_object_set_new (o, "jobid",
                             json_sprintf ("%lld[%lld].%s", (long long)j->seq, (long long)index,
                                           ctx->cfg.server_name)) < 0 ||
        json_object_set_new (o, "array_id",
                             json_sprintf ("%lld[].%s", (long long)j->seq, ctx->cfg.server_name)) <
            0 ||
        json_object_set_new (o, "array_index", json_integer (index)) < 0 ||
        json_object_set_new (o, "state", json_string (letter)) < 0) {
        json_decref (o);
        return NULL;
    }
    return o;
}

/* A subjob as a ctld_job, its fields the array's. */
static struct ctld_job *subjob_new (struct ctld_job *j, int64_t seq, json_t *obj,
                                    enum job_state state)
{
    struct ctld_job *s = calloc (1, sizeof (*s));
    struct resreq_chunk *chunks = malloc ((size_t)j->res.nchunks * sizeof (*chunks));
    if (!s || !chunks) {
        free (s);
        free (chunks);
        json_decref (obj);
        return NULL;
    }
    s->seq = seq;
    s->obj = obj;
    s->state = state;
    s->uid = j->uid;
    s->rerunnable = j->rerunnable;
    s->exclusive = j->exclusive;
    s->priority = j->priority;
    s->rank = j->rank ? j->rank : j->seq;
    s->submit_time = j->submit_time;
    s->eligible_time = j->eligible_time;
    s->execution_time = j->execution_time;
    s->res = j->res;
    memcpy (chunks, j->res.chunks, (size_t)j->res.nchunks * sizeof (*chunks));
    s->res.chunks = chunks;
    s->parent = j;
    return s;
}

static void count_state (struct ctld_array *a, enum job_state st, int sign)
{
    if (st == JOB_RUNNING)
        a->nrunning += sign;
    else if (st == JOB_EXITING)
        a->nexiting += sign;
    else if (st == JOB_FINISHED)
        a->nfinished += sign;
}

struct ctld_job *array_take_pending (struct ctld *ctx, int64_t seq, enum job_state state)
{
    struct herror err = {""};
    struct ctld_job *j = jobs_find (ctx, jobspec_subjob_base (seq));
    int64_t index = jobspec_subjob_index (seq);

    if (!j || !j->array || array_index_state (j, index) != 'P')
        return NULL;
    struct ctld_job *s = subjob_new (j, seq, subjob_object (ctx, j, index, state), state);
    if (!s || jobs_insert (ctx, s) < 0) {
        log_msg (LOG_LEVEL_ERROR, "job %lld[%lld]: out of memory", (long long)j->seq,
                 (long long)index);
        job_free (s);
        return NULL;
    }
    j->array->njobs++;
    count_state (j->array, state, +1);
    take_pos (ctx, j, array_pos_of (j, index));
    if (store_job_put (ctx->store, s->obj, &err) < 0)
        log_msg (LOG_LEVEL_ERROR, "job %lld[%lld]: cannot store: %s", (long long)j->seq,
                 (long long)index, err.text);
    sched_job_sync (ctx, s);
    sched_request (ctx); /* the next pending ones are queued now */
    if (state == JOB_HELD)
        job_pack (s);
    return s;
}

/* An array job with nothing left to run is finished. */
/* PBS's status of a finished array: 2 when a subjob could not run (a
 * negative status: launch failed, node lost), else 1 when one exited
 * non-zero, else 0; subjobs deleted before they ran do not count. */
static int array_status (const struct ctld_array *a)
{
    int status = 0;
    for (int64_t p = 0; a->exit && p < a->size; p++) {
        if (a->exit[p] == EXIT_UNKNOWN)
            continue;
        if (a->exit[p] < 0)
            return 2;
        if (a->exit[p] > 0)
            status = 1;
    }
    return status;
}

static void finish_if_done (struct ctld *ctx, struct ctld_job *j)
{
    struct ctld_array *a = j->array;
    if ((j->state != JOB_QUEUED && j->state != JOB_HELD) || idset_count (a->pending) > 0 ||
        a->njobs > 0)
        return;
    /* stored with the change (a deleted job gets no status of its own) */
    job_set (j, "exit_status", json_integer (array_status (a)));
    struct job_change c = {.ev = JOB_EV_DELETE, .text = "Job Array finished"};
    job_update (ctx, j, &c);
}

bool array_begun (const struct ctld_job *j)
{
    return j->array && j->array->begun;
}

static int record_exit (struct ctld_array *a, int64_t pos, int32_t status)
{
    if (!a->exit && status != EXIT_UNKNOWN) {
        if (!(a->exit = malloc ((size_t)a->size * sizeof (*a->exit))))
            return -1;
        for (int64_t p = 0; p < a->size; p++)
            a->exit[p] = EXIT_UNKNOWN;
    }
    if (a->exit)
        a->exit[pos] = status;
    return idset_set (a->done, (unsigned)pos);
}

int array_delete_pending (struct ctld *ctx, struct ctld_job *j, int64_t index, const char *text)
{
    struct herror err = {""};
    int64_t pos = array_pos_of (j, index);
    if (array_index_state (j, index) != 'P') {
        errno = EINVAL;
        return -1;
    }
    take_pos (ctx, j, pos);
    if (record_exit (j->array, pos, EXIT_UNKNOWN) < 0)
        return -1;
    if (store_event_add (ctx->store, jobspec_subjob_seq (j->seq, index), ctld_now(), text, &err) <
        0)
        log_msg (LOG_LEVEL_ERROR, "job %lld[%lld]: cannot store: %s", (long long)j->seq,
                 (long long)index, err.text);
    finish_if_done (ctx, j);
    return 0;
}

struct ctld_job *array_next_subjob (struct ctld *ctx, const struct ctld_job *j, int *cursor)
{
    /* the subjobs that are jobs: the table after the array job, in order */
    int i = *cursor < 0 ? jobs_index_after (ctx, j->seq) : *cursor + 1;
    if (i >= jobs_count (ctx) || jobs_at (ctx, i)->parent != j)
        return NULL;
    *cursor = i;
    return jobs_at (ctx, i);
}

int array_delete (struct ctld *ctx, struct ctld_job *j, const char *text)
{
    struct ctld_array *a = j->array;
    struct herror err = {""};

    dequeue_all (ctx, j);
    struct idset *none = idset_create();
    if (!none)
        return -1;
    for (int p = idset_first (a->pending); p >= 0; p = idset_next (a->pending, (unsigned)p)) {
        if (record_exit (a, p, EXIT_UNKNOWN) < 0) {
            idset_destroy (none);
            return -1;
        }
    }
    idset_destroy (a->pending);
    a->pending = none;
    array_store (ctx, j);
    if (store_event_add (ctx->store, j->seq, ctld_now(), text, &err) < 0)
        log_msg (LOG_LEVEL_ERROR, "job %lld[]: cannot store: %s", (long long)j->seq, err.text);
    int cursor = -1;
    for (struct ctld_job *s; (s = array_next_subjob (ctx, j, &cursor));) {
        if (s->state != JOB_FINISHED && !(s->state == JOB_EXITING && s->deleted)) {
            struct job_change c = {.ev = JOB_EV_DELETE, .text = text};
            job_update (ctx, s, &c);
        }
    }
    finish_if_done (ctx, j);
    return 0;
}

void array_subjob_changed (struct ctld *ctx, struct ctld_job *sub, enum job_state old)
{
    struct ctld_array *a = sub->parent->array;
    if (old == sub->state || old == JOB_NEW)
        return;
    count_state (a, old, -1);
    count_state (a, sub->state, +1);
    if (sub->state == JOB_RUNNING && !a->begun) {
        a->begun = true;
        /* what waits for the array to start (depend=after:SEQ[]) */
        jobs_depend_parent_changed (ctx, sub->parent);
    }
}

/* One finished subjob leaves the table: its status stays with the array. */
static void retire_one (struct ctld *ctx, struct ctld_job *sub)
{
    struct ctld_job *j = sub->parent;
    struct ctld_array *a = j->array;
    json_t *st = json_object_get (job_obj (sub), "exit_status");
    int64_t pos = array_pos_of (j, jobspec_subjob_index (sub->seq));

    if (record_exit (a, pos, st ? (int32_t)json_integer_value (st) : EXIT_UNKNOWN) < 0)
        log_msg (LOG_LEVEL_ERROR, "job %lld[]: out of memory: a subjob's status is lost",
                 (long long)j->seq);
    a->njobs--;
    a->nfinished--;
    finish_if_done (ctx, j);
}

void arrays_retire (struct ctld *ctx)
{
    jobs_remove_finished_subjobs (ctx, retire_one);
}

/* ------------------------------------------------------------- start-up */

int array_load_subjob (struct ctld *ctx, struct ctld_job *sub)
{
    struct ctld_job *j = jobs_find (ctx, jobspec_subjob_base (sub->seq));
    int64_t index = jobspec_subjob_index (sub->seq);
    int64_t pos = j && j->array ? array_pos_of (j, index) : -1;

    if (pos < 0 || idset_test (j->array->pending, (unsigned)pos))
        return -1;
    sub->parent = j;
    sub->rank = j->rank ? j->rank : j->seq;
    if (sub->state == JOB_FINISHED) {
        json_t *st = json_object_get (job_obj (sub), "exit_status");
        return record_exit (j->array, pos, st ? (int32_t)json_integer_value (st) : EXIT_UNKNOWN) < 0
                   ? -1
                   : 0;
    }
    j->array->njobs++;
    count_state (j->array, sub->state, +1);
    if (job_state_active (sub->state))
        j->array->begun = true;
    return 1;
}

/* Positions neither pending nor jobs finished while their stored objects
 * were pruned (job_history): finished, status unknown. */
void arrays_loaded (struct ctld *ctx)
{
    for (int i = 0; i < jobs_count (ctx); i++) {
        struct ctld_job *j = jobs_at (ctx, i);
        if (!j->array || j->state == JOB_FINISHED)
            continue;
        struct ctld_array *a = j->array;
        for (int64_t p = 0; p < a->size; p++) {
            char st = array_index_state (j, array_index_at (j, p));
            if (st == 'J' && !jobs_find (ctx, key_of (j, p)))
                record_exit (a, p, EXIT_UNKNOWN);
        }
        a->begun = a->begun || idset_count (a->done) > 0;
    }
    for (int i = 0; i < jobs_count (ctx); i++) {
        struct ctld_job *j = jobs_at (ctx, i);
        if (j->array)
            finish_if_done (ctx, j);
    }
}

/* ------------------------------------------------------------- admission */

static struct ctld_array *array_of_seq (struct ctld *ctx, int64_t seq)
{
    if (!jobspec_is_subjob_seq (seq))
        return NULL;
    struct ctld_job *j = jobs_find (ctx, jobspec_subjob_base (seq));
    return j ? j->array : NULL;
}

/* The pass number: the same through one pass (sched_stats counts it after). */
static int pass_number (struct ctld *ctx)
{
    struct sched_stats st;
    sched_stats (ctx, &st);
    return st.passes;
}

const char *arrays_admit (struct ctld *ctx, int64_t seq)
{
    struct ctld_array *a = array_of_seq (ctx, seq);
    if (!a || a->spec.max_running <= 0)
        return NULL;
    int extra = a->pass_gen == pass_number (ctx) ? a->pass_started : 0;
    if (a->nrunning + a->nexiting + extra < a->spec.max_running)
        return NULL;
    snprintf (a->why, sizeof (a->why), "the array runs at most %lld subjobs at once (%%%lld)",
              (long long)a->spec.max_running, (long long)a->spec.max_running);
    return a->why;
}

void arrays_started (struct ctld *ctx, int64_t seq)
{
    struct ctld_array *a = array_of_seq (ctx, seq);
    int gen = pass_number (ctx);
    if (!a)
        return;
    if (a->pass_gen != gen) {
        a->pass_gen = gen;
        a->pass_started = 0;
    }
    a->pass_started++;
}

/* ----------------------------------------------------------------- views */

/* Runs of positions as PBS writes indices: "1-5,7,9-13:2". */
struct ranges {
    FILE *f;
    const struct ctld_job *j;
    int64_t from, to; /* the run being built, -1: none */
    bool any;
};

static void ranges_flush (struct ranges *r)
{
    if (r->from < 0)
        return;
    int64_t a = array_index_at (r->j, r->from), b = array_index_at (r->j, r->to);
    fprintf (r->f, "%s%lld", r->any ? "," : "", (long long)a);
    if (b != a)
        fprintf (r->f, "-%lld", (long long)b);
    if (b != a && r->j->array->spec.step != 1)
        fprintf (r->f, ":%lld", (long long)r->j->array->spec.step);
    r->any = true;
    r->from = -1;
}

static void ranges_add (struct ranges *r, int64_t pos)
{
    if (r->from >= 0 && pos == r->to + 1) {
        r->to = pos;
        return;
    }
    ranges_flush (r);
    r->from = r->to = pos;
}

void array_view (const struct ctld *ctx, const struct ctld_job *j, json_t *v)
{
    const struct ctld_array *a = j->array;
    struct jobspec_array all = a->spec;
    char buf[80];
    char *text = NULL;
    size_t len = 0;
    int queued = a->njobs - a->nrunning - a->nexiting - a->nfinished;
    struct ranges r = {.f = open_memstream (&text, &len), .j = j, .from = -1};

    json_object_del (v, "array_pending");
    all.max_running = 0;
    json_object_set_new (v, "array_indices_submitted",
                         json_string (jobspec_array_format (&all, buf, sizeof (buf))));
    /* what has not run yet: pending, or a job waiting (those follow the
     * array job in the table, in order) */
    struct idset *rem = idset_create();
    for (int p = rem ? idset_first (a->pending) : -1; p >= 0;
         p = idset_next (a->pending, (unsigned)p))
        (void)idset_set (rem, (unsigned)p);
    for (int i = jobs_index_after ((struct ctld *)ctx, j->seq);
         rem && i < jobs_count ((struct ctld *)ctx); i++) {
        const struct ctld_job *s = jobs_at ((struct ctld *)ctx, i);
        if (s->parent != j)
            break;
        if (s->state == JOB_QUEUED || s->state == JOB_HELD)
            (void)idset_set (rem, (unsigned)array_pos_of (j, jobspec_subjob_index (s->seq)));
    }
    if (r.f && rem) {
        for (int p = idset_first (rem); p >= 0; p = idset_next (rem, (unsigned)p))
            ranges_add (&r, p);
        ranges_flush (&r);
    }
    if (r.f)
        fclose (r.f);
    if (r.f && rem)
        json_object_set_new (v, "array_indices_remaining", json_string (text ? text : ""));
    free (text);
    idset_destroy (rem);
    json_object_set_new (v, "array_state_count",
                         json_sprintf ("Queued:%d Running:%d Exiting:%d Expired:%d",
                                       (int)idset_count (a->pending) + queued, a->nrunning,
                                       a->nexiting, (int)idset_count (a->done) + a->nfinished));
    if (j->state == JOB_QUEUED && a->begun)
        json_object_set_new (v, "state", json_string ("B"));
}

json_t *array_view_subjob (const struct ctld *ctx, const struct ctld_job *j, const json_t *v,
                           int64_t pos)
{
    const struct ctld_array *a = j->array;
    int64_t index = array_index_at (j, pos);
    bool pending = idset_test (a->pending, (unsigned)pos);

    if (!pending && !idset_test (a->done, (unsigned)pos))
        return NULL;
    json_t *o = json_copy ((json_t *)v);
    if (!o)
        return NULL;
    json_object_del (o, "array");
    json_object_del (o, "array_indices_submitted");
    json_object_del (o, "array_indices_remaining");
    json_object_del (o, "array_state_count");
    json_object_set_new (o, "seq", json_integer (jobspec_subjob_seq (j->seq, index)));
    json_object_set_new (
        o, "jobid",
        json_sprintf ("%lld[%lld].%s", (long long)j->seq, (long long)index, ctx->cfg.server_name));
    json_object_set_new (o, "array_id",
                         json_sprintf ("%lld[].%s", (long long)j->seq, ctx->cfg.server_name));
    json_object_set_new (o, "array_index", json_integer (index));
    if (pending) {
        json_object_set_new (o, "state", json_string (j->state == JOB_HELD ? "H" : "Q"));
    } else {
        /* PBS's X: a subjob that has finished */
        json_object_set_new (o, "state", json_string ("X"));
        json_object_del (o, "comment");
        if (a->exit && a->exit[pos] != EXIT_UNKNOWN)
            json_object_set_new (o, "exit_status", json_integer (a->exit[pos]));
    }
    return o;
}
