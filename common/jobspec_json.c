/* jobspec_json.c - the "Job request" and "Job" objects of docs/protocol.md
 *
 * jobspec_from_json() is the controller's gate for what users send over the
 * network, and jobspec_job_from_json() the agent's for what the controller
 * sends: every member is checked for type and range before anything is
 * allocated from it, and every message names the member.  Both read the
 * request members with the same code (request_from_json), so a member has
 * one rule wherever it is read.
 */
#include "jobspec.h"
#include "jobspec_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbs_resources.h"

static const char *const join_names[] = {"n", "oe", "eo"};
static const char *const arrangement_names[] = {"free", "pack", "scatter"};
static const char *const sharing_names[] = {"shared", "excl", "exclhost"};

const char *jobspec_join_name (enum jobspec_join join)
{
    return (unsigned)join <= JOBSPEC_JOIN_EO ? join_names[join] : NULL;
}

/* --- to JSON --- */

/* Add key = json_string(s) (skipped when s is NULL and optional).  Strings
 * that are not UTF-8 make jansson refuse: that is reported as EILSEQ. */
static int add_str (json_t *o, const char *key, const char *s, bool optional)
{
    json_t *v;

    if (!s && optional)
        return 0;
    if (!(v = json_string (s ? s : ""))) {
        errno = EILSEQ;
        return -1;
    }
    return json_object_set_new (o, key, v) < 0 ? (errno = ENOMEM, -1) : 0;
}

static int add_new (json_t *o, const char *key, json_t *v)
{
    if (!v || json_object_set_new (o, key, v) < 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

static json_t *chunks_to_json (const struct resreq *r)
{
    json_t *a = json_array();

    for (int i = 0; a && i < r->nchunks; i++) {
        const struct resreq_chunk *c = &r->chunks[i];
        json_t *o =
            json_pack ("{s:i s:i s:i s:i s:I}", "count", c->count, "ncpus", c->ncpus, "mpiprocs",
                       c->mpiprocs, "ngpus", c->ngpus, "mem", (json_int_t)c->mem);
        if (!o || (c->host[0] && add_str (o, "host", c->host, false) < 0) ||
            (c->ompthreads > 0 && add_new (o, "ompthreads", json_integer (c->ompthreads)) < 0) ||
            (c->labels[0] && add_str (o, "labels", c->labels, false) < 0) ||
            json_array_append_new (a, o) < 0) {
            json_decref (o);
            json_decref (a);
            return NULL;
        }
    }
    return a;
}

/* The limits, in the order of struct jobspec_limits, and their bounds. */
static const struct {
    const char *name;
    bool is_time;
} limit_names[] = {
    {"cput", true},   {"pcput", true}, {"vmem", false},
    {"pvmem", false}, {"pmem", false}, {"file", false},
};
#define NLIMITS (sizeof (limit_names) / sizeof (limit_names[0]))

static int64_t *limit_at (struct jobspec_limits *l, size_t i)
{
    /* cput and pcput are int64_t, the sizes uint64_t of the same width */
    void *v[NLIMITS] = {&l->cput, &l->pcput, &l->vmem, &l->pvmem, &l->pmem, &l->file};
    return v[i];
}

/* The text attributes, execution_time, umask and limits: each only when set. */
static int attrs_to_json (const struct jobspec *js, json_t *o)
{
    for (int i = 0; i < JOBSPEC_NATTRS; i++) {
        struct herror err;
        if (js->attrs[i] && jobspec_check_attr ((enum jobspec_attr)i, js->attrs[i], &err) < 0) {
            errno = EINVAL;
            return -1;
        }
        if (add_str (o, jobspec_attr_name ((enum jobspec_attr)i), js->attrs[i], true) < 0)
            return -1;
    }
    if (js->execution_time < 0 || js->umask > 0777)
        return errno = EINVAL, -1;
    if ((js->execution_time > 0 &&
         add_new (o, "execution_time", json_integer (js->execution_time)) < 0) ||
        (js->umask >= 0 && add_new (o, "umask", json_integer (js->umask)) < 0))
        return -1;
    json_t *lim = NULL;
    struct jobspec_limits l = js->limits;
    for (size_t i = 0; i < NLIMITS; i++) {
        int64_t v = *limit_at (&l, i);
        if (v == 0)
            continue;
        if (v < 0 || v > (limit_names[i].is_time ? RESREQ_MAX_WALLTIME : (int64_t)RESREQ_MAX_MEM))
            return errno = EINVAL, -1;
        if (!lim && add_new (o, "limits", (lim = json_object())) < 0)
            return -1;
        if (add_new (lim, limit_names[i].name, json_integer (v)) < 0)
            return -1;
    }
    if (js->limits.nice < -20 || js->limits.nice > 19)
        return errno = EINVAL, -1;
    if (js->limits.nice != 0 && add_new (o, "nice", json_integer (js->limits.nice)) < 0)
        return -1;
    return 0;
}

json_t *jobspec_to_json (const struct jobspec *js)
{
    json_t *o, *env;

    if (!js || !js->name || !js->script || !js->workdir || !js->submit_host ||
        js->res.nchunks < 1 || (unsigned)js->join > JOBSPEC_JOIN_EO ||
        (unsigned)js->res.arrangement > RESREQ_SCATTER ||
        (unsigned)js->res.sharing > RESREQ_EXCLHOST) {
        errno = EINVAL;
        return NULL;
    }
    if (!(o = json_object()) || !(env = json_object()))
        goto nomem;
    if (add_new (o, "env", env) < 0)
        goto fail;
    for (int i = 0; i < js->nenv; i++) {
        if (add_str (env, js->env[i].name, js->env[i].value, false) < 0)
            goto fail;
    }
    if (add_str (o, "name", js->name, false) < 0 || add_str (o, "queue", js->queue, true) < 0 ||
        add_str (o, "script", js->script, false) < 0 ||
        add_str (o, "workdir", js->workdir, false) < 0 ||
        add_str (o, "submit_host", js->submit_host, false) < 0 ||
        add_str (o, "output", js->output, true) < 0 || add_str (o, "error", js->error, true) < 0 ||
        add_str (o, "depend", js->depend, true) < 0 || add_str (o, "array", js->array, true) < 0 ||
        add_str (o, "join", join_names[js->join], false) < 0)
        goto fail;
    if (js->argv) {
        json_t *a = json_array();
        if (add_new (o, "argv", a) < 0)
            goto fail;
        for (int i = 0; i < js->argc; i++) {
            json_t *s = json_string (js->argv[i]);
            if (!s) {
                errno = EILSEQ;
                goto fail;
            }
            if (json_array_append_new (a, s) < 0)
                goto nomem;
        }
    }
    if (add_new (o, "export_all", json_boolean (js->export_all)) < 0 ||
        add_new (o, "chunks", chunks_to_json (&js->res)) < 0 ||
        add_new (o, "place",
                 json_pack ("{s:s s:s}", "arrangement", arrangement_names[js->res.arrangement],
                            "sharing", sharing_names[js->res.sharing])) < 0 ||
        (js->res.group_switch &&
         add_new (json_object_get (o, "place"), "group", json_string ("switch")) < 0) ||
        (js->res.max_switches > 0 &&
         add_new (o, "switches",
                  json_pack ("{s:i s:I}", "max", js->res.max_switches, "wait",
                             (json_int_t)js->res.switches_wait)) < 0) ||
        (js->res.pgroup[0] && add_new (o, "pgroup", json_string (js->res.pgroup)) < 0) ||
        add_new (o, "walltime", json_integer (js->res.walltime)) < 0 ||
        add_new (o, "priority", json_integer (js->priority)) < 0 ||
        add_new (o, "hold", json_boolean (js->hold)) < 0 ||
        add_new (o, "rerunnable", json_boolean (js->rerunnable)) < 0 ||
        (js->interactive && add_new (o, "interactive", json_true()) < 0) ||
        (js->array_index >= 0 && add_new (o, "array_index", json_integer (js->array_index)) < 0))
        goto fail;
    if (attrs_to_json (js, o) < 0)
        goto fail;
    return o;
nomem:
    errno = ENOMEM;
fail:
    json_decref (o);
    return NULL;
}

/* --- from JSON --- */

/* Fetch member key of o.  Returns 1 when present, 0 when absent and
 * optional, -1 (err set) when absent and required. */
/* Messages name the member as CTX KEY, e.g. "chunks[2]." "ncpus". */
static int member (const json_t *o, const char *ctx, const char *key, bool required, json_t **v,
                   struct herror *err)
{
    *v = json_object_get (o, key);
    if (*v && !json_is_null (*v))
        return 1;
    if (required)
        return herror_set (err, "%s%s: missing", ctx, key);
    return 0;
}

/* A string without NUL bytes (jansson allows "\u0000"). */
static const char *string_value (const json_t *v)
{
    if (!json_is_string (v) || strlen (json_string_value (v)) != json_string_length (v))
        return NULL;
    return json_string_value (v);
}

static int get_str (const json_t *o, const char *ctx, const char *key, bool required,
                    const char **out, struct herror *err)
{
    json_t *v;
    int rc = member (o, ctx, key, required, &v, err);

    *out = NULL;
    if (rc <= 0)
        return rc;
    if (!(*out = string_value (v)))
        return herror_set (err, "%s%s: must be a string without NUL characters", ctx, key);
    return 1;
}

static int get_int (const json_t *o, const char *ctx, const char *key, bool required,
                    json_int_t min, json_int_t max, json_int_t *out, struct herror *err)
{
    json_t *v;
    int rc = member (o, ctx, key, required, &v, err);

    if (rc <= 0)
        return rc;
    if (!json_is_integer (v) || json_integer_value (v) < min || json_integer_value (v) > max)
        return herror_set (err, "%s%s: must be an integer from %lld to %lld", ctx, key,
                           (long long)min, (long long)max);
    *out = json_integer_value (v);
    return 1;
}

static int get_bool_opt (const json_t *o, const char *key, bool required, bool *out,
                         struct herror *err)
{
    json_t *v;

    if (member (o, "", key, required, &v, err) < 0)
        return -1;
    if (!v)
        return 0;
    if (!json_is_boolean (v))
        return herror_set (err, "%s: must be true or false", key);
    *out = json_is_true (v);
    return 0;
}

static int get_bool (const json_t *o, const char *key, bool *out, struct herror *err)
{
    return get_bool_opt (o, key, true, out, err);
}

static int get_enum (const json_t *o, const char *ctx, const char *key, const char *const names[],
                     int n, int *out, struct herror *err)
{
    const char *s;

    if (get_str (o, ctx, key, true, &s, err) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        if (strcmp (s, names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    return herror_set (err, "%s%s: must be one of %s, %s%s%s", ctx, key, names[0], names[1],
                       n > 2 ? ", " : "", n > 2 ? names[2] : "");
}

/* A required string checked by a validator; stored as a copy in *dst. */
static int take_str (const json_t *o, const char *key, bool required,
                     int (*check) (const char *, struct herror *), char **dst, struct herror *err)
{
    const char *s;
    int rc = get_str (o, "", key, required, &s, err);

    if (rc <= 0)
        return rc;
    if (check && check (s, err) < 0) {
        herror_prefix (err, "%s", key);
        return -1;
    }
    if (!(*dst = strdup (s)))
        return herror_set (err, "out of memory");
    return 1;
}

static int check_workdir (const char *s, struct herror *err)
{
    return s[0] == '/' ? 0 : herror_set (err, "must be an absolute path");
}

static int check_host (const char *s, struct herror *err)
{
    char shown[HERROR_SHOW_SIZE];

    if (jobspec_host_valid (s, strlen (s)))
        return 0;
    return herror_set (err, "\"%s\" is not a host name",
                       herror_show (s, strlen (s), shown, sizeof (shown)));
}

static int check_output_path (const char *s, struct herror *err)
{
    return jobspec_check_path (s, true, err);
}

static int chunk_from_json (const json_t *o, int index, struct resreq_chunk *c, struct herror *err)
{
    json_int_t count, ncpus, mpiprocs, ngpus, mem, omp = 0;
    const char *host, *labels;
    char ctx[32];

    if (!json_is_object (o))
        return herror_set (err, "chunks[%d]: must be an object", index);
    snprintf (ctx, sizeof (ctx), "chunks[%d].", index);
    if (get_int (o, ctx, "count", true, 1, RESREQ_MAX_COUNT, &count, err) < 0 ||
        get_int (o, ctx, "ncpus", true, 0, RESREQ_MAX_COUNT, &ncpus, err) < 0 ||
        get_int (o, ctx, "mpiprocs", true, 0, RESREQ_MAX_COUNT, &mpiprocs, err) < 0 ||
        get_int (o, ctx, "ngpus", true, 0, RESREQ_MAX_COUNT, &ngpus, err) < 0 ||
        get_int (o, ctx, "mem", true, 0, (json_int_t)RESREQ_MAX_MEM, &mem, err) < 0 ||
        get_str (o, ctx, "host", false, &host, err) < 0 ||
        get_int (o, ctx, "ompthreads", false, 0, RESREQ_MAX_COUNT, &omp, err) < 0 ||
        get_str (o, ctx, "labels", false, &labels, err) < 0)
        return -1;
    if (labels && (strlen (labels) >= sizeof (c->labels) || pbs_labels_check (labels, err) < 0)) {
        if (strlen (labels) >= sizeof (c->labels))
            herror_set (err, "longer than %zu bytes", sizeof (c->labels) - 1);
        herror_prefix (err, "%slabels", ctx);
        return -1;
    }
    c->ompthreads = (int)omp;
    if (labels)
        strcpy (c->labels, labels);
    if (host && !pbs_hostname_valid (host)) {
        char shown[HERROR_SHOW_SIZE];
        return herror_set (err, "%shost: \"%s\" is not a host name", ctx,
                           herror_show (host, strlen (host), shown, sizeof (shown)));
    }
    if (ncpus == 0 && ngpus == 0)
        return herror_set (err, "%sncpus: a chunk needs ncpus or ngpus above 0", ctx);
    c->count = (int)count;
    c->ncpus = (int)ncpus;
    c->mpiprocs = (int)mpiprocs;
    c->ngpus = (int)ngpus;
    c->mem = (uint64_t)mem;
    if (host)
        strcpy (c->host, host);
    return 0;
}

static int resreq_from_json (const json_t *o, struct resreq *r, struct herror *err)
{
    json_t *chunks, *place;
    json_int_t walltime;
    int arr, shr;

    if (member (o, "", "chunks", true, &chunks, err) < 0)
        return -1;
    if (!json_is_array (chunks) || json_array_size (chunks) < 1 ||
        json_array_size (chunks) > RESREQ_MAX_CHUNKS)
        return herror_set (err, "chunks: must be an array of 1 to %d chunks", RESREQ_MAX_CHUNKS);
    if (!(r->chunks = calloc (json_array_size (chunks), sizeof (*r->chunks))))
        return herror_set (err, "out of memory");
    r->nchunks = (int)json_array_size (chunks);
    for (int i = 0; i < r->nchunks; i++) {
        if (chunk_from_json (json_array_get (chunks, (size_t)i), i, &r->chunks[i], err) < 0)
            return -1;
    }
    if (member (o, "", "place", true, &place, err) < 0)
        return -1;
    if (!json_is_object (place))
        return herror_set (err, "place: must be an object");
    if (get_enum (place, "place.", "arrangement", arrangement_names, 3, &arr, err) < 0 ||
        get_enum (place, "place.", "sharing", sharing_names, 3, &shr, err) < 0)
        return -1;
    if (get_int (o, "", "walltime", true, 0, RESREQ_MAX_WALLTIME, &walltime, err) < 0)
        return -1;
    /* fabric constraints: absent in requests from before they existed */
    const char *group;
    if (get_str (place, "place.", "group", false, &group, err) < 0)
        return -1;
    if (group && strcmp (group, "switch") != 0)
        return herror_set (err, "place.group: must be switch");
    r->group_switch = group != NULL;
    json_t *sw;
    r->switches_wait = -1;
    if (member (o, "", "switches", false, &sw, err) == 1) {
        json_int_t max, wait;
        if (get_int (sw, "switches.", "max", true, 1, RESREQ_MAX_COUNT, &max, err) < 0 ||
            get_int (sw, "switches.", "wait", true, -1, RESREQ_MAX_WALLTIME, &wait, err) < 0)
            return -1;
        r->max_switches = (int)max;
        r->switches_wait = wait;
    }
    const char *pgroup;
    if (get_str (o, "", "pgroup", false, &pgroup, err) < 0)
        return -1;
    if (pgroup && !pbs_pgroup_name_valid (pgroup))
        return herror_set (err, "pgroup: not a placement group name");
    snprintf (r->pgroup, sizeof (r->pgroup), "%s", pgroup ? pgroup : "");
    r->arrangement = (enum resreq_arrangement)arr;
    r->sharing = (enum resreq_sharing)shr;
    r->walltime = walltime;
    if (pbs_resreq_check (r, err) < 0) {
        herror_prefix (err, "chunks");
        return -1;
    }
    return 0;
}

static int env_from_json (const json_t *o, struct jobspec *js, struct herror *err)
{
    json_t *env, *v;
    const char *key;

    if (member (o, "", "env", true, &env, err) < 0)
        return -1;
    if (!json_is_object (env))
        return herror_set (err, "env: must be an object");
    if (json_object_size (env) > JOBSPEC_MAX_ENV)
        return herror_set (err, "env: more than %d variables", JOBSPEC_MAX_ENV);
    if (!(js->env = calloc (json_object_size (env) + 1, sizeof (*js->env))))
        return herror_set (err, "out of memory");
    json_object_foreach ((json_t *)env, key, v)
    {
        const char *value = string_value (v);
        char shown[HERROR_SHOW_SIZE];
        if (!jobspec_env_name_valid (key))
            return herror_set (err, "env: \"%s\" is not a variable name",
                               herror_show (key, strlen (key), shown, sizeof (shown)));
        if (!value)
            return herror_set (err, "env.%s: must be a string without NUL characters", key);
        /* Keys of a JSON object are unique: append without a search. */
        js->env[js->nenv].name = strdup (key);
        js->env[js->nenv].value = strdup (value);
        js->nenv++;
        if (!js->env[js->nenv - 1].name || !js->env[js->nenv - 1].value)
            return herror_set (err, "out of memory");
    }
    return 0;
}

static int argv_from_json (const json_t *o, struct jobspec *js, struct herror *err)
{
    json_t *a;
    int rc = member (o, "", "argv", false, &a, err);

    if (rc <= 0)
        return rc;
    if (!json_is_array (a) || json_array_size (a) < 1 || json_array_size (a) > JOBSPEC_MAX_ARGS)
        return herror_set (err, "argv: must be an array of 1 to %d strings", JOBSPEC_MAX_ARGS);
    if (!(js->argv = calloc (json_array_size (a) + 1, sizeof (*js->argv))))
        return herror_set (err, "out of memory");
    for (size_t i = 0; i < json_array_size (a); i++) {
        const char *s = string_value (json_array_get (a, i));
        if (!s)
            return herror_set (err, "argv[%zu]: must be a string without NUL characters", i);
        if (!(js->argv[i] = strdup (s)))
            return herror_set (err, "out of memory");
        js->argc++;
    }
    return 0;
}

/* Read back what attrs_to_json() writes. */
static int attrs_from_json (const json_t *o, struct jobspec *js, struct herror *err)
{
    json_int_t t = 0, um = -1, nice = 0;
    json_t *lim;

    for (int i = 0; i < JOBSPEC_NATTRS; i++) {
        const char *key = jobspec_attr_name ((enum jobspec_attr)i);
        const char *v;
        int rc = get_str (o, "", key, false, &v, err);
        if (rc < 0)
            return -1;
        if (rc == 0)
            continue;
        if (jobspec_check_attr ((enum jobspec_attr)i, v, err) < 0) {
            herror_prefix (err, "%s", key);
            return -1;
        }
        if (!(js->attrs[i] = strdup (v)))
            return herror_set (err, "out of memory");
    }
    if (get_int (o, "", "execution_time", false, 0, INT64_MAX / 2, &t, err) < 0 ||
        get_int (o, "", "umask", false, 0, 0777, &um, err) < 0 ||
        get_int (o, "", "nice", false, -20, 19, &nice, err) < 0)
        return -1;
    js->limits.nice = (int)nice;
    js->execution_time = t;
    js->umask = (int)um;
    if (member (o, "", "limits", false, &lim, err) == 1) {
        if (!json_is_object (lim))
            return herror_set (err, "limits: must be an object");
        for (size_t i = 0; i < NLIMITS; i++) {
            json_int_t v = 0;
            if (get_int (lim, "limits.", limit_names[i].name, false, 0,
                         limit_names[i].is_time ? RESREQ_MAX_WALLTIME : (json_int_t)RESREQ_MAX_MEM,
                         &v, err) < 0)
                return -1;
            *limit_at (&js->limits, i) = v;
        }
    }
    return 0;
}

/* An array's indices as the request codes them (what -J writes). */
static int check_array (const char *s, struct herror *err)
{
    struct jobspec_array a;
    char canon[80];
    if (jobspec_parse_array (s, 'J', &a, err) < 0)
        return -1;
    if (strcmp (jobspec_array_format (&a, canon, sizeof (canon)), s) != 0)
        return herror_set (err, "\"%s\" is not written as \"%s\"", s, canon);
    return 0;
}

/* The request members of o into the empty js.  0, or -1 with err set and
 * errno EINVAL or ENOMEM; js is left for the caller to destroy. */
static int request_from_json (const json_t *o, struct jobspec *js, struct herror *err)
{
    json_int_t priority, array_index = -1;
    int join;
    const char *script = NULL;

    errno = 0;
    if (take_str (o, "name", true, jobspec_check_name, &js->name, err) < 0 ||
        take_str (o, "queue", false, jobspec_check_queue, &js->queue, err) < 0 ||
        get_str (o, "", "script", true, &script, err) < 0 || !(js->script = strdup (script)) ||
        argv_from_json (o, js, err) < 0 ||
        take_str (o, "workdir", true, check_workdir, &js->workdir, err) < 0 ||
        take_str (o, "submit_host", true, check_host, &js->submit_host, err) < 0 ||
        env_from_json (o, js, err) < 0 || get_bool (o, "export_all", &js->export_all, err) < 0 ||
        resreq_from_json (o, &js->res, err) < 0 ||
        get_int (o, "", "priority", true, JOBSPEC_PRIORITY_MIN, JOBSPEC_PRIORITY_MAX, &priority,
                 err) < 0 ||
        get_bool (o, "hold", &js->hold, err) < 0 ||
        get_bool (o, "rerunnable", &js->rerunnable, err) < 0 ||
        get_bool_opt (o, "interactive", false, &js->interactive, err) < 0 ||
        take_str (o, "output", false, check_output_path, &js->output, err) < 0 ||
        take_str (o, "error", false, check_output_path, &js->error, err) < 0 ||
        get_enum (o, "", "join", join_names, 3, &join, err) < 0 ||
        take_str (o, "depend", false, jobspec_check_depend, &js->depend, err) < 0 ||
        take_str (o, "array", false, check_array, &js->array, err) < 0 ||
        get_int (o, "", "array_index", false, 0, INT_MAX, &array_index, err) < 0 ||
        attrs_from_json (o, js, err) < 0) {
        if (!js->script && script)
            herror_set (err, "out of memory");
        errno = errno == ENOMEM ? ENOMEM : EINVAL;
        return -1;
    }
    js->priority = (int)priority;
    js->join = (enum jobspec_join)join;
    js->array_index = (int)array_index;
    return 0;
}

/* Build a jobspec from o with decode (request_from_json, and for a job
 * the job members too); NULL with err and errno on failure. */
static struct jobspec *decode (const json_t *o, const char *what,
                               int (*decode_members) (const json_t *, struct jobspec *,
                                                      struct herror *),
                               struct herror *err)
{
    struct jobspec *js;

    if (!json_is_object (o)) {
        herror_set (err, "%s: must be an object", what);
        errno = EINVAL;
        return NULL;
    }
    if (!(js = jobspec_create())) {
        herror_set (err, "out of memory");
        return NULL;
    }
    if (decode_members (o, js, err) < 0) {
        jobspec_destroy (js);
        return NULL;
    }
    return js;
}

struct jobspec *jobspec_from_json (const json_t *o, struct herror *err)
{
    return decode (o, "job request", request_from_json, err);
}

/* --- the Job object: a request plus the job members --- */

/* A user name as the password database may hold it: directory services
 * allow blanks ("John Smith"), and a name the controller took from
 * getpwuid() must read back after a restart; ':' and '/' no database
 * allows, and control characters would garble logs. */
static int check_owner (const char *s, struct herror *err)
{
    size_t len = strlen (s);

    if (len == 0 || len > JOBSPEC_OWNER_MAX)
        return herror_set (err, "must be a user name of 1 to %d bytes", JOBSPEC_OWNER_MAX);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < ' ' || c == 0x7f || c == '/' || c == ':') {
            char shown[HERROR_SHOW_SIZE];
            return herror_set (err, "\"%s\" is not a user name",
                               herror_show (s, len, shown, sizeof (shown)));
        }
    }
    return 0;
}

/* "SEQ" or "SEQ.SERVER" for this seq; an array's "SEQ[]", a subjob's
 * "BASE[INDEX]" (jobspec_subjob_seq). */
static int check_jobid (const char *s, int64_t seq, bool array, struct herror *err)
{
    char prefix[48];
    size_t n;

    if (jobspec_is_subjob_seq (seq))
        n = (size_t)snprintf (prefix, sizeof (prefix), "%lld[%lld]",
                              (long long)jobspec_subjob_base (seq),
                              (long long)jobspec_subjob_index (seq));
    else
        n = (size_t)snprintf (prefix, sizeof (prefix), array ? "%lld[]" : "%lld", (long long)seq);
    if (strncmp (s, prefix, n) == 0 &&
        (s[n] == '\0' || (s[n] == '.' && jobspec_host_valid (s + n + 1, strlen (s + n + 1)))))
        return 0;
    char shown[HERROR_SHOW_SIZE];
    return herror_set (err, "\"%s\" is not \"%s\" or \"%s.SERVER\"",
                       herror_show (s, strlen (s), shown, sizeof (shown)), prefix, prefix);
}

/* The job members' rules, for both directions: 0, or -1 with err naming
 * the member. */
static int check_job_members (const struct jobspec *js, struct herror *err)
{
    bool subjob = jobspec_is_subjob_seq (js->seq);
    if (jobspec_key_check (js->seq, err) < 0)
        return -1;
    if (subjob && js->array_index != jobspec_subjob_index (js->seq))
        return herror_set (err, "array_index: must be %lld, the index of subjob seq %lld",
                           (long long)jobspec_subjob_index (js->seq), (long long)js->seq);
    if (js->jobid && check_jobid (js->jobid, js->seq, js->array != NULL, err) < 0) {
        herror_prefix (err, "jobid");
        return -1;
    }
    if (!js->owner)
        return herror_set (err, "owner: missing");
    if (check_owner (js->owner, err) < 0) {
        herror_prefix (err, "owner");
        return -1;
    }
    if ((int64_t)js->uid > JOBSPEC_ID_MAX || (int64_t)js->gid > JOBSPEC_ID_MAX)
        return herror_set (err, "%s: must be an integer from 0 to %lld",
                           (int64_t)js->uid > JOBSPEC_ID_MAX ? "uid" : "gid",
                           (long long)JOBSPEC_ID_MAX);
    return 0;
}

static int job_from_json (const json_t *o, struct jobspec *js, struct herror *err)
{
    json_int_t seq, uid, gid;

    if (request_from_json (o, js, err) < 0)
        return -1;
    if (get_int (o, "", "seq", true, 1, JOBSPEC_KEY_MAX, &seq, err) < 0 ||
        get_int (o, "", "uid", true, 0, JOBSPEC_ID_MAX, &uid, err) < 0 ||
        get_int (o, "", "gid", true, 0, JOBSPEC_ID_MAX, &gid, err) < 0)
        goto inval;
    js->seq = seq;
    js->uid = (uid_t)uid;
    js->gid = (gid_t)gid;
    /* jobid is checked against seq, so after it. */
    if (take_str (o, "jobid", false, NULL, &js->jobid, err) < 0 ||
        take_str (o, "owner", true, check_owner, &js->owner, err) < 0 ||
        check_job_members (js, err) < 0)
        goto inval;
    return 0;
inval:
    errno = errno == ENOMEM ? ENOMEM : EINVAL;
    return -1;
}

struct jobspec *jobspec_job_from_json (const json_t *o, struct herror *err)
{
    return decode (o, "job", job_from_json, err);
}

json_t *jobspec_job_to_json (const struct jobspec *js)
{
    struct herror err;
    json_t *o;

    if (!js || check_job_members (js, &err) < 0) {
        errno = EINVAL;
        return NULL;
    }
    if (!(o = jobspec_to_json (js)))
        return NULL;
    if (add_new (o, "seq", json_integer (js->seq)) < 0 ||
        add_str (o, "jobid", js->jobid, true) < 0 || add_str (o, "owner", js->owner, false) < 0 ||
        add_new (o, "uid", json_integer ((json_int_t)js->uid)) < 0 ||
        add_new (o, "gid", json_integer ((json_int_t)js->gid)) < 0) {
        json_decref (o);
        return NULL;
    }
    return o;
}
