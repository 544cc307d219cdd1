/* rset_json.c - the "allocation" JSON codec of rset.h
 *
 * Apart from rset.c so that programs using resource sets without JSON (the
 * scheduler core, its benchmark, huddle-sim) do not link jansson.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/idset.h"
#include "common/rset.h"

static json_t *int_array (const int *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++) {
        if (json_array_append_new (a, json_integer (v[i])) < 0) {
            json_decref (a);
            return NULL;
        }
    }
    return a;
}

json_t *rset_to_json (const struct rset *r)
{
    json_t *arr = json_array();
    for (int i = 0; arr && i < rset_nnodes (r); i++) {
        const struct rset_node *n = rset_node (r, i);
        json_t *o = json_pack ("{s:s, s:o?, s:o?, s:o?, s:I, s:i}", "node", n->name, "cores",
                               int_array (n->cores, n->ncores), "pus", int_array (n->pus, n->npus),
                               "gpus", int_array (n->gpus, n->ngpus), "mem", (json_int_t)n->mem,
                               "mpiprocs", n->nranks);
        if (!o || !json_object_get (o, "cores") || !json_object_get (o, "pus") ||
            !json_object_get (o, "gpus") || json_array_append_new (arr, o) < 0) {
            json_decref (o);
            json_decref (arr);
            arr = NULL;
        }
    }
    if (!arr)
        errno = ENOMEM;
    return arr;
}

/* herror_set, then -1 with errno EINVAL. */
static int invalid (struct herror *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
static int invalid (struct herror *err, const char *fmt, ...)
{
    char text[sizeof (err->text)];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (text, sizeof (text), fmt, ap);
    va_end (ap);
    herror_set (err, "%s", text);
    errno = EINVAL;
    return -1;
}

/* Member KEY of O: an array of distinct ids 0..RSET_MAX_ID, or absent when
 * not REQUIRED (empty).  *V is malloc'd (NULL when empty). */
static int get_ids (const json_t *o, const char *key, bool required, int **v, int *n,
                    struct herror *err)
{
    json_t *arr = json_object_get (o, key);
    *v = NULL;
    *n = 0;
    if (!arr || json_is_null (arr))
        return required ? invalid (err, "member \"%s\" is missing", key) : 0;
    if (!json_is_array (arr))
        return invalid (err, "member \"%s\" must be an array of integers", key);
    size_t len = json_array_size (arr);
    if (len > RSET_MAX_ID + 1)
        return invalid (err, "%s: too many entries", key);
    int *out = len ? calloc (len, sizeof (*out)) : NULL;
    struct idset *seen = idset_create();
    if ((len && !out) || !seen) {
        free (out);
        idset_destroy (seen);
        errno = ENOMEM;
        return herror_set (err, "out of memory");
    }
    for (size_t i = 0; i < len; i++) {
        json_t *e = json_array_get (arr, i);
        json_int_t x = json_is_integer (e) ? json_integer_value (e) : -1;
        if (x < 0 || x > RSET_MAX_ID || idset_test (seen, (unsigned)x)) {
            free (out);
            idset_destroy (seen);
            if (x >= 0 && x <= RSET_MAX_ID)
                return invalid (err, "%s[%zu]: listed twice", key, i);
            return invalid (err, "%s[%zu]: must be an integer 0..%d", key, i, RSET_MAX_ID);
        }
        (void)idset_set (seen, (unsigned)x); /* in range, and sized for it by test */
        out[i] = (int)x;
    }
    idset_destroy (seen);
    *v = out;
    *n = (int)len;
    return 0;
}

/* Member KEY of O: an integer MIN..MAX, DFLT when absent. */
static int get_int (const json_t *o, const char *key, int64_t min, int64_t max, int64_t dflt,
                    int64_t *v, struct herror *err)
{
    json_t *x = json_object_get (o, key);
    if (!x || json_is_null (x)) {
        *v = dflt;
        return 0;
    }
    if (!json_is_integer (x) || json_integer_value (x) < min || json_integer_value (x) > max) {
        return invalid (err, "member \"%s\" must be an integer %lld..%lld", key, (long long)min,
                        (long long)max);
    }
    *v = json_integer_value (x);
    return 0;
}

static int add_entry (struct rset *r, const json_t *o, struct herror *err)
{
    json_t *jn = json_object_get (o, "node");
    const char *name = json_string_value (jn);
    int64_t mem, mpiprocs;
    struct rset_node part = {0};
    int *cores = NULL, *pus = NULL, *gpus = NULL;
    int rc = -1;

    if (!json_is_object (o))
        return invalid (err, "must be an object");
    if (!name || name[0] == '\0' || strlen (name) != json_string_length (jn) ||
        strlen (name) >= RSET_NAME_MAX) {
        return invalid (err, "member \"node\" must be a node name (1..%d bytes)",
                        RSET_NAME_MAX - 1);
    }
    if (rset_find (r, name) >= 0)
        return invalid (err, "node %s appears twice", name);
    if (get_int (o, "mem", 0, INT64_MAX, 0, &mem, err) < 0 ||
        get_int (o, "mpiprocs", 0, RSET_MAX_MPIPROCS, 1, &mpiprocs, err) < 0 ||
        get_ids (o, "cores", false, &cores, &part.ncores, err) < 0 ||
        get_ids (o, "pus", true, &pus, &part.npus, err) < 0 ||
        get_ids (o, "gpus", false, &gpus, &part.ngpus, err) < 0)
        goto out;
    part.name = name;
    part.cores = cores;
    part.pus = pus;
    part.gpus = gpus;
    part.mem = (uint64_t)mem;
    part.nranks = (int)mpiprocs;
    if ((rc = rset_add (r, &part)) < 0)
        herror_set (err, "out of memory");
out:
    free (cores);
    free (pus);
    free (gpus);
    return rc;
}

int rset_add_json (struct rset *r, const json_t *o, size_t idx, struct herror *err)
{
    if (add_entry (r, o, err) < 0) {
        int saved = errno;
        herror_prefix (err, "allocation[%zu]", idx);
        errno = saved;
        return -1;
    }
    return 0;
}

struct rset *rset_from_json (const json_t *arr, struct herror *err)
{
    if (!json_is_array (arr) || json_array_size (arr) == 0) {
        herror_set (err, "allocation: must be a non-empty array");
        errno = EINVAL;
        return NULL;
    }
    struct rset *r = rset_create();
    if (!r)
        return NULL;
    size_t i;
    json_t *o;
    json_array_foreach (arr, i, o)
    {
        if (rset_add_json (r, o, i, err) < 0) {
            rset_destroy (r);
            return NULL;
        }
    }
    return r;
}
