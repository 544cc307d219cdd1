/* jobspec.c - qsub options and #PBS directives into a job request
 *
 * Both parsers fill a struct layer (jobspec_internal.h); nothing is decided
 * until jobspec_finalize() lays the command line over the script.  That is
 * what makes "command line wins" independent of call order, and what lets a
 * failing parse leave the jobspec untouched: each parse builds a fresh
 * layer and swaps it in only on success.
 */
#define _GNU_SOURCE /* memmem */
#include "jobspec.h"
#include "jobspec_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stddef.h>
#include <time.h>

#include "pbs_resources.h"
#include "utf8.h"

/* --- small helpers shared with the other jobspec sources --- */

void layer_init (struct layer *l)
{
    memset (l, 0, sizeof (*l));
    l->join = -1;
    l->rerun = -1;
    l->umask = -1;
    l->block = -1;
    l->cput = l->pcput = l->vmem = l->pvmem = l->pmem = l->file = -1;
}

void layer_clear (struct layer *l)
{
    free (l->name);
    free (l->queue);
    free (l->output);
    free (l->error);
    free (l->depend);
    free (l->initdir);
    free (l->array);
    free (l->prefix);
    for (int i = 0; i < JOBSPEC_NATTRS; i++)
        free (l->attrs[i]);
    jobspec_env_free (l->vars, l->nvars);
    resreq_clear (&l->chunks);
    layer_init (l);
}

void jobspec_env_free (struct jobspec_var *env, int nenv)
{
    for (int i = 0; i < nenv; i++) {
        free (env[i].name);
        free (env[i].value);
    }
    free (env);
}

int jobspec_env_set (struct jobspec_var **env, int *nenv, const char *name, const char *value)
{
    char *v = value ? strdup (value) : NULL;

    if (value && !v)
        return -1;
    for (int i = 0; i < *nenv; i++) {
        if (strcmp ((*env)[i].name, name) == 0) {
            free ((*env)[i].value);
            (*env)[i].value = v;
            return 0;
        }
    }
    char *n = strdup (name);
    struct jobspec_var *grown = n ? realloc (*env, sizeof (**env) * (size_t)(*nenv + 1)) : NULL;
    if (!grown) {
        free (n);
        free (v);
        errno = ENOMEM;
        return -1;
    }
    grown[*nenv].name = n;
    grown[*nenv].value = v;
    *env = grown;
    (*nenv)++;
    return 0;
}

bool jobspec_env_name_valid (const char *name)
{
    if (!name || !(isalpha ((unsigned char)*name) || *name == '_') ||
        strlen (name) > JOBSPEC_MAX_ENV_NAME)
        return false;
    for (const char *p = name; *p; p++) {
        if (!isalnum ((unsigned char)*p) && *p != '_')
            return false;
    }
    return true;
}

void jobspec_strv_free (char **v)
{
    if (v) {
        for (char **p = v; *p; p++)
            free (*p);
        free (v);
    }
}

void jobspec_clear_job (struct jobspec *js)
{
    free (js->name);
    free (js->queue);
    free (js->script);
    jobspec_strv_free (js->argv);
    free (js->workdir);
    free (js->submit_host);
    jobspec_env_free (js->env, js->nenv);
    free (js->output);
    free (js->error);
    free (js->depend);
    free (js->array);
    free (js->jobid);
    free (js->owner);
    for (int i = 0; i < JOBSPEC_NATTRS; i++) {
        free (js->attrs[i]);
        js->attrs[i] = NULL;
    }
    js->execution_time = 0;
    js->umask = -1;
    js->limits = (struct jobspec_limits){0};
    js->block = js->no_jobid = false;
    resreq_clear (&js->res);
    js->name = js->queue = js->script = js->workdir = js->submit_host = NULL;
    js->output = js->error = js->depend = js->jobid = js->owner = js->array = NULL;
    js->seq = 0;
    js->uid = 0;
    js->gid = 0;
    js->argv = NULL;
    js->argc = 0;
    js->env = NULL;
    js->nenv = 0;
    js->export_all = js->hold = js->interactive = false;
    js->rerunnable = true;
    js->join = JOBSPEC_JOIN_NONE;
    js->priority = 0;
    js->array_index = -1;
}

struct jobspec *jobspec_create (void)
{
    struct jobspec *js = calloc (1, sizeof (*js));

    if (!js || !(js->input = calloc (1, sizeof (*js->input)))) {
        free (js);
        errno = ENOMEM;
        return NULL;
    }
    layer_init (&js->input->script);
    layer_init (&js->input->cmdline);
    jobspec_clear_job (js);
    return js;
}

void jobspec_destroy (struct jobspec *js)
{
    int saved = errno;

    if (js) {
        jobspec_clear_job (js);
        free (js->script_path);
        if (js->input) {
            free (js->input->prefix);
            layer_clear (&js->input->script);
            layer_clear (&js->input->cmdline);
            free (js->input);
        }
        free (js);
    }
    errno = saved;
}

const char *jobspec_getenv (const struct jobspec *js, const char *name)
{
    for (int i = 0; js && name && i < js->nenv; i++) {
        if (strcmp (js->env[i].name, name) == 0)
            return js->env[i].value;
    }
    return NULL;
}

/* --- option values --- */

static int dup_into (char **dst, const char *val)
{
    char *copy = strdup (val);

    if (!copy)
        return -1;
    free (*dst);
    *dst = copy;
    return 0;
}

static int parse_int (const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    if (!s || !*s || isspace ((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtol (s, &end, 10);
    if (*end != '\0' || errno != 0 || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* "-v A=b,C,D='x,y'": NAME or NAME=VALUE, a value may be quoted to hold
 * commas. */
static int parse_vars (struct layer *l, const char *s, struct herror *err)
{
    struct jobspec_var *vars = NULL;
    int nvars = 0;
    const char *p = s;
    char *name = NULL, *value = NULL;

    if (!*s)
        return herror_set (err, "no variables given");
    while (1) {
        size_t nlen = strcspn (p, "=,");
        if (!(name = strndup (p, nlen)))
            goto nomem;
        if (!jobspec_env_name_valid (name)) {
            char shown[HERROR_SHOW_SIZE];
            herror_set (err, "\"%s\" is not a variable name",
                        herror_show (name, nlen, shown, sizeof (shown)));
            goto inval;
        }
        p += nlen;
        if (*p == '=') {
            p++;
            size_t vlen;
            if (*p == '\'' || *p == '"') {
                const char *close = strchr (p + 1, *p);
                if (!close) {
                    herror_set (err, "the value of %s has no closing %c", name, *p);
                    goto inval;
                }
                vlen = (size_t)(close - p - 1);
                value = strndup (p + 1, vlen);
                p = close + 1;
                if (*p != ',' && *p != '\0') {
                    herror_set (err, "expected ',' after the quoted value of %s", name);
                    goto inval;
                }
            } else {
                vlen = strcspn (p, ",");
                value = strndup (p, vlen);
                p += vlen;
            }
            if (!value)
                goto nomem;
            if (!utf8_valid (value)) {
                herror_set (err, "the value of %s is not valid UTF-8", name);
                goto inval;
            }
        }
        if (nvars == JOBSPEC_MAX_ENV) {
            herror_set (err, "more than %d variables", JOBSPEC_MAX_ENV);
            goto inval;
        }
        if (jobspec_env_set (&vars, &nvars, name, value) < 0)
            goto nomem;
        free (name);
        free (value);
        name = value = NULL;
        if (*p == '\0')
            break;
        p++; /* ',' */
        if (*p == '\0') {
            herror_set (err, "empty variable name after ','");
            goto inval;
        }
    }
    jobspec_env_free (l->vars, l->nvars);
    l->vars = vars;
    l->nvars = nvars;
    l->have_vars = true;
    return 0;
nomem:
    herror_set (err, "out of memory");
    errno = ENOMEM;
    goto fail;
inval:
    errno = EINVAL;
fail:
    free (name);
    free (value);
    jobspec_env_free (vars, nvars);
    return -1;
}

static int set_count (const char *name, const char *val, int *dst, bool *have, struct herror *err)
{
    long v;

    if (parse_int (val, 0, RESREQ_MAX_COUNT, &v) < 0 || !isdigit ((unsigned char)*val))
        return herror_set (err, "%s must be a number from 0 to %d", name, RESREQ_MAX_COUNT);
    *dst = (int)v;
    *have = true;
    return 0;
}

/* A text attribute (enum jobspec_attr) into the layer, checked. */
static int set_attr (struct layer *l, enum jobspec_attr a, const char *val, struct herror *err)
{
    if (jobspec_check_attr (a, val, err) < 0)
        return -1;
    return dup_into (&l->attrs[a], val) < 0 ? herror_set (err, "out of memory") : 0;
}

int jobspec_parse_exec_time (const char *val, int64_t *out, struct herror *err)
{
    const char *dot = strchr (val, '.');
    size_t n = dot ? (size_t)(dot - val) : strlen (val);
    time_t now = time (NULL);
    struct tm tm, t;
    int f[6] = {0};

    if (strspn (val, "0123456789") != n || (n != 4 && n != 6 && n != 8 && n != 10 && n != 12) ||
        (dot && (strlen (dot + 1) != 2 || strspn (dot + 1, "0123456789") != 2)))
        return herror_set (err, "use [[[[CC]YY]MM]DD]hhmm[.SS]");
    localtime_r (&now, &tm);
    t = tm;
    for (size_t i = 0; i < n / 2; i++)
        f[i] = (val[2 * i] - '0') * 10 + (val[2 * i + 1] - '0');
    int k = 0; /* the next field */
    if (n == 12) {
        t.tm_year = f[0] * 100 + f[1] - 1900;
        k = 2;
    } else if (n == 10) {
        t.tm_year = 100 + f[0]; /* YY: 20YY */
        k = 1;
    }
    if (n >= 8)
        t.tm_mon = f[k++] - 1;
    if (n >= 6)
        t.tm_mday = f[k++];
    t.tm_hour = f[k++];
    t.tm_min = f[k];
    t.tm_sec = dot ? atoi (dot + 1) : 0;
    t.tm_isdst = -1;
    if (t.tm_mon < 0 || t.tm_mon > 11 || t.tm_mday < 1 || t.tm_mday > 31 || t.tm_hour > 23 ||
        t.tm_min > 59 || t.tm_sec > 61)
        return herror_set (err, "not a valid date and time ([[[[CC]YY]MM]DD]hhmm[.SS])");
    time_t when = mktime (&t);
    if (when != (time_t)-1 && when < now && n < 10) {
        if (n == 4)
            t.tm_mday++;
        else if (n == 6)
            t.tm_mon++;
        else
            t.tm_year++;
        t.tm_isdst = -1;
        when = mktime (&t);
    }
    if (when == (time_t)-1)
        return herror_set (err, "not a valid date and time");
    /* CCYY may name any year, but a job's execution_time is seconds since
     * the epoch (docs/protocol.md): 1015 is a typo, not a time to encode */
    if (when < 0)
        return herror_set (err, "the date is before 1970");
    *out = (int64_t)when;
    return 0;
}

/* One "NAME=VALUE" term of -l. */
static int apply_resource (struct layer *l, const char *key, const char *val, struct herror *err)
{
    if (strcasecmp (key, "select") == 0 || strcasecmp (key, "nodes") == 0 ||
        strcasecmp (key, "procs") == 0) {
        bool select = strcasecmp (key, "select") == 0;
        bool procs = strcasecmp (key, "procs") == 0;
        enum chunk_source src = select ? CHUNKS_SELECT : procs ? CHUNKS_PROCS : CHUNKS_NODES;
        if (l->chunk_src != CHUNKS_NONE && l->chunk_src != src)
            return herror_set (err, "select, nodes and procs cannot be used together");
        int rc;
        if (procs) {
            /* Torque's procs=N: N processors wherever they are, one rank
             * each: N chunks of one cpu, placed freely. */
            char chunks[32];
            long n;
            if (parse_int (val, 1, RESREQ_MAX_COUNT, &n) < 0)
                return herror_set (err, "procs must be a number from 1 to %d", RESREQ_MAX_COUNT);
            snprintf (chunks, sizeof (chunks), "%ld:ncpus=1", n);
            rc = pbs_select_parse (chunks, &l->chunks, err);
        } else {
            rc = select ? pbs_select_parse (val, &l->chunks, err)
                        : pbs_nodes_parse (val, &l->chunks, err);
        }
        if (rc < 0)
            return -1;
        l->chunk_src = src;
        return 0;
    }
    if (strcasecmp (key, "ncpus") == 0)
        return set_count ("ncpus", val, &l->ncpus, &l->have_ncpus, err);
    if (strcasecmp (key, "ngpus") == 0)
        return set_count ("ngpus", val, &l->ngpus, &l->have_ngpus, err);
    if (strcasecmp (key, "mem") == 0) {
        if (pbs_size_parse (val, &l->mem, err) < 0)
            return -1;
        l->have_mem = true;
        return 0;
    }
    if (strcasecmp (key, "walltime") == 0) {
        if (pbs_walltime_parse (val, &l->walltime, err) < 0)
            return -1;
        l->have_walltime = true;
        return 0;
    }
    if (strcasecmp (key, "place") == 0) {
        if (pbs_place_parse (val, &l->arrangement, &l->sharing, &l->group_switch, err) < 0)
            return -1;
        l->have_place = true;
        return 0;
    }
    if (strcasecmp (key, "switches") == 0) {
        if (pbs_switches_parse (val, &l->max_switches, &l->switches_wait, err) < 0)
            return -1;
        l->have_switches = true;
        return 0;
    }
    static const struct {
        const char *name;
        bool is_time;
        size_t off;
    } limits[] = {
        {"cput", true, offsetof (struct layer, cput)},
        {"pcput", true, offsetof (struct layer, pcput)},
        {"vmem", false, offsetof (struct layer, vmem)},
        {"pvmem", false, offsetof (struct layer, pvmem)},
        {"pmem", false, offsetof (struct layer, pmem)},
        {"file", false, offsetof (struct layer, file)},
    };
    for (size_t i = 0; i < sizeof (limits) / sizeof (limits[0]); i++) {
        if (strcasecmp (key, limits[i].name) != 0)
            continue;
        int64_t *dst = (int64_t *)((char *)l + limits[i].off);
        uint64_t bytes;
        int rc = limits[i].is_time ? pbs_walltime_parse (val, dst, err)
                                   : pbs_size_parse (val, &bytes, err);
        if (rc < 0) {
            herror_prefix (err, "%s", limits[i].name);
            return -1;
        }
        if (!limits[i].is_time)
            *dst = (int64_t)bytes;
        return 0;
    }
    /* Host-level resources asked job-wide, as PBS and Torque take them:
     * host= (vnode=) for the default chunk, arch= for every chunk. */
    if (strcasecmp (key, "host") == 0 || strcasecmp (key, "vnode") == 0) {
        if (!pbs_hostname_valid (val))
            return herror_set (err, "%s: \"%s\" is not a host name", key, val);
        snprintf (l->job_host, sizeof (l->job_host), "%s", val);
        return 0;
    }
    if (strcasecmp (key, "arch") == 0) {
        char label[80];
        snprintf (label, sizeof (label), "arch=%s", val);
        if (strlen (val) >= sizeof (l->job_arch) || pbs_labels_check (label, err) < 0)
            return herror_set (err, "arch: \"%s\" is not an architecture name", val);
        snprintf (l->job_arch, sizeof (l->job_arch), "%s", val);
        return 0;
    }
    if (strcasecmp (key, "nice") == 0) {
        long n;
        if (parse_int (val, -20, 19, &n) < 0)
            return herror_set (err, "nice must be a number from -20 to 19");
        l->nice = (int)n;
        l->have_nice = true;
        return 0;
    }
    if (strcasecmp (key, "software") == 0)
        return set_attr (l, JOBSPEC_SOFTWARE, val, err);
    if (strcasecmp (key, "pgroup") == 0) {
        if (!pbs_pgroup_name_valid (val))
            return herror_set (err,
                               "pgroup: illegal placement group name (letters, digits, '_', "
                               "'-', '.'; at most %d)",
                               RESREQ_PGROUP_MAX);
        snprintf (l->pgroup, sizeof (l->pgroup), "%s", val);
        return 0;
    }
    char shown[HERROR_SHOW_SIZE];
    return herror_set (err,
                       "Unknown resource %s (this server knows select, nodes, procs, ncpus, ngpus, "
                       "mem, walltime, cput, pcput, vmem, pvmem, pmem, file, nice, software, "
                       "host, vnode, arch, place, switches, pgroup)",
                       herror_show (key, strlen (key), shown, sizeof (shown)));
}

/* "-l a=b,c=d": on error, *what is set to "-l TERM" (the failing term). */
static int apply_resources (struct layer *l, const char *list, char *what, size_t whatsz,
                            struct herror *err)
{
    char *copy = strdup (list);
    char *save = copy;
    int rc = 0;

    if (!copy)
        return herror_set (err, "out of memory");
    if (*copy == '\0') {
        free (copy);
        return herror_set (err, "no resources given");
    }
    for (char *term; rc == 0 && (term = strsep (&save, ",")) != NULL;) {
        char *eq = strchr (term, '=');
        char shown[HERROR_SHOW_SIZE];
        herror_show (term, strlen (term), shown, sizeof (shown));
        snprintf (what, whatsz, "-l %s", shown);
        if (*term == '\0')
            rc = herror_set (err, "empty resource (two commas in a row?)");
        else if (!eq)
            rc = herror_set (err, "resource \"%s\" needs a value (NAME=VALUE)", shown);
        else {
            *eq = '\0';
            rc = apply_resource (l, term, eq + 1, err);
        }
    }
    free (copy);
    return rc;
}

static int apply_w_attr (struct layer *l, const char *val, struct herror *err);

/* Apply one option to a layer.  On error err holds the reason and *what the
 * option as written ("-p 5000", "-l walltime=1:xx"). */
static int apply_option (struct layer *l, char opt, const char *val, char *what, size_t whatsz,
                         struct herror *err)
{
    char shown[HERROR_SHOW_SIZE];
    long n;

    snprintf (what, whatsz, "-%c%s%s", opt, val ? " " : "",
              val ? herror_show (val, strlen (val), shown, sizeof (shown)) : "");
    switch (opt) {
    case 'N':
        if (jobspec_check_name (val, err) < 0)
            return -1;
        return dup_into (&l->name, val) < 0 ? herror_set (err, "out of memory") : 0;
    case 'q':
        if (jobspec_check_queue (val, err) < 0)
            return -1;
        return dup_into (&l->queue, val) < 0 ? herror_set (err, "out of memory") : 0;
    case 'o':
    case 'e':
        if (jobspec_check_path (val, false, err) < 0)
            return -1;
        return dup_into (opt == 'o' ? &l->output : &l->error, val) < 0
                   ? herror_set (err, "out of memory")
                   : 0;
    case 'j':
        if (strcmp (val, "oe") == 0)
            l->join = JOBSPEC_JOIN_OE;
        else if (strcmp (val, "eo") == 0)
            l->join = JOBSPEC_JOIN_EO;
        else if (strcmp (val, "n") == 0)
            l->join = JOBSPEC_JOIN_NONE;
        else
            return herror_set (err, "use oe, eo or n");
        return 0;
    case 'l':
        return apply_resources (l, val, what, whatsz, err);
    case 'v':
        return parse_vars (l, val, err);
    case 'V':
        l->export_all = true;
        return 0;
    case 'h':
        l->hold = true;
        return 0;
    case 'p':
        if (parse_int (val, JOBSPEC_PRIORITY_MIN, JOBSPEC_PRIORITY_MAX, &n) < 0)
            return herror_set (err, "priority must be a number from %d to %d", JOBSPEC_PRIORITY_MIN,
                               JOBSPEC_PRIORITY_MAX);
        l->priority = (int)n;
        l->have_priority = true;
        return 0;
    case 'r':
        if (strcmp (val, "y") != 0 && strcmp (val, "n") != 0)
            return herror_set (err, "use y or n");
        l->rerun = val[0] == 'y';
        return 0;
    case 'A':
        return set_attr (l, JOBSPEC_ACCOUNT, val, err);
    case 'c':
        return set_attr (l, JOBSPEC_CHECKPOINT, val, err);
    case 'k':
        return set_attr (l, JOBSPEC_KEEP_FILES, val, err);
    case 'm':
        return set_attr (l, JOBSPEC_MAIL_POINTS, val, err);
    case 'M':
        return set_attr (l, JOBSPEC_MAIL_USERS, val, err);
    case 'P':
        return set_attr (l, JOBSPEC_PROJECT, val, err);
    case 'S':
        return set_attr (l, JOBSPEC_SHELL_PATH, val, err);
    case 'u':
        return set_attr (l, JOBSPEC_USER_LIST, val, err);
    case 'a':
        return jobspec_parse_exec_time (val, &l->execution_time, err);
    case 'z':
        l->no_jobid = true;
        return 0;
    case 'C':
        if (strlen (val) > 16 || strpbrk (val, " \t\r\n"))
            return herror_set (err, "a directive prefix has at most 16 characters and no blanks");
        return dup_into (&l->prefix, val) < 0 ? herror_set (err, "out of memory") : 0;
    case 'd':
    case 'w':
        if (jobspec_check_path (val, false, err) < 0)
            return -1;
        if (strchr (val, ':') && val[0] != '/')
            return herror_set (err, "the working directory is a path on the execution host");
        return dup_into (&l->initdir, val) < 0 ? herror_set (err, "out of memory") : 0;
    case 'I':
        l->interactive = true;
        return 0;
    case 'X':
        l->x11 = true; /* refused by jobspec_finalize, which sees DISPLAY */
        return 0;
    case 'J':
    case 't': {
        /* Torque's -t is PBS's -J without a step */
        struct jobspec_array a;
        char buf[80];
        if (jobspec_parse_array (val, (char)opt, &a, err) < 0)
            return -1;
        jobspec_array_format (&a, buf, sizeof (buf));
        return dup_into (&l->array, buf) < 0 ? herror_set (err, "out of memory") : 0;
    }
    case 'W':
        return apply_w_attr (l, val, err);
    }
    return herror_set (err, "unknown option -%c", opt);
}

/* "-W NAME=VALUE". */
static int apply_w_attr (struct layer *l, const char *val, struct herror *err)
{
    size_t klen = strcspn (val, "=");
    const char *v = val[klen] ? val + klen + 1 : NULL;
    long n;

#define WKEY(k) (klen == strlen (k) && strncmp (val, k, klen) == 0)
    if (!v)
        return herror_set (err, "-W takes ATTRIBUTE=VALUE");
    if (WKEY ("group_list"))
        return set_attr (l, JOBSPEC_GROUP_LIST, v, err);
    if (WKEY ("sandbox"))
        return set_attr (l, JOBSPEC_SANDBOX, v, err);
    if (WKEY ("umask")) {
        char *end;
        errno = 0;
        n = strtol (v, &end, 8);
        if (!*v || *end || errno || n < 0 || n > 0777 || *v == '-')
            return herror_set (err, "umask is an octal number from 0 to 777");
        l->umask = (int)n;
        return 0;
    }
    if (WKEY ("block")) {
        if (strcasecmp (v, "true") == 0 || strcmp (v, "1") == 0 || strcasecmp (v, "y") == 0)
            l->block = 1;
        else if (strcasecmp (v, "false") == 0 || strcmp (v, "0") == 0 || strcasecmp (v, "n") == 0)
            l->block = 0;
        else
            return herror_set (err, "use block=true or block=false");
        return 0;
    }
    if (WKEY ("stagein") || WKEY ("stageout"))
        return herror_set (err, "file staging is not supported: jobs read and write their files "
                                "in place on a shared file system; the job was not submitted");
    if (WKEY ("run_count") || WKEY ("release_nodes_on_stageout") || WKEY ("tolerate_node_failures"))
        return herror_set (err, "the -W attribute %.*s is not supported yet", (int)klen, val);
    if (!WKEY ("depend"))
        return herror_set (err,
                           "unsupported -W attribute \"%.*s\" (this server knows depend, "
                           "group_list, umask, block, sandbox)",
                           (int)klen, val);
#undef WKEY
    {
        if (jobspec_check_depend (v, err) < 0)
            return -1;
        return dup_into (&l->depend, v) < 0 ? herror_set (err, "out of memory") : 0;
    }
}

static bool option_known (char c, bool *takes_value)
{
    const char *p = strchr ("N:q:o:e:j:l:v:p:r:W:hVA:a:c:k:m:M:P:S:u:zC:d:w:IXJ:t:", c);

    if (!p || c == ':' || c == '\0')
        return false;
    *takes_value = p[1] == ':';
    return true;
}

/* Read options from words[first..] into l, getopt style.  Stops at the
 * first word that is not an option (its index goes to *stop).  On error
 * err holds the reason; *what is the option text for value errors and ""
 * for syntax errors (unknown option, missing value). */
static int scan_options (struct layer *l, int nwords, char *const words[], int first, int *stop,
                         char *what, size_t whatsz, struct herror *err)
{
    int i = first;

    errno = 0;
    for (; i < nwords; i++) {
        const char *w = words[i];
        if (w[0] != '-' || w[1] == '\0' || strcmp (w, "--") == 0)
            break;
        if (w[1] == '-') {
            char shown[HERROR_SHOW_SIZE];
            what[0] = '\0';
            herror_set (err, "unknown option %s",
                        herror_show (w, strlen (w), shown, sizeof (shown)));
            goto fail;
        }
        for (const char *c = w + 1; *c; c++) {
            bool takes_value;
            const char *val = NULL;
            if (!option_known (*c, &takes_value)) {
                what[0] = '\0';
                herror_set (err, "unknown option -%c", *c);
                goto fail;
            }
            if (takes_value) {
                if (c[1] != '\0')
                    val = c + 1;
                else if (i + 1 < nwords)
                    val = words[++i];
                else {
                    what[0] = '\0';
                    herror_set (err, "option -%c needs a value", *c);
                    goto fail;
                }
            }
            if (apply_option (l, *c, val, what, whatsz, err) < 0)
                goto fail;
            if (takes_value)
                break;
        }
    }
    *stop = i;
    return 0;
fail:
    if (errno != ENOMEM)
        errno = EINVAL;
    return -1;
}

static void prefix_option_error (struct herror *err, const char *what)
{
    if (what[0])
        herror_prefix (err, "option %s", what);
}

int jobspec_parse_args (struct jobspec *js, int argc, char *const argv[], struct herror *err)
{
    struct layer l;
    char what[HERROR_TEXT_MAX];
    char *path = NULL;
    char **cmd = NULL;
    int stop;

    if (!js || argc < 0 || (argc > 0 && !argv)) {
        errno = EINVAL;
        return herror_set (err, "invalid arguments");
    }
    layer_init (&l);
    if (scan_options (&l, argc, argv, 1, &stop, what, sizeof (what), err) < 0) {
        prefix_option_error (err, what);
        goto fail;
    }
    if (stop < argc && strcmp (argv[stop], "--") == 0) {
        int n = argc - stop - 1;
        if (n == 0) {
            herror_set (err, "\"--\" must be followed by a command");
            goto inval;
        }
        if (n > JOBSPEC_MAX_ARGS) {
            herror_set (err, "the command has more than %d arguments", JOBSPEC_MAX_ARGS);
            goto inval;
        }
        if (!(cmd = calloc ((size_t)n + 1, sizeof (*cmd))))
            goto nomem;
        for (int i = 0; i < n; i++) {
            if (!utf8_valid (argv[stop + 1 + i])) {
                herror_set (err, "argument %d of the command (after \"--\") is not valid UTF-8",
                            i + 1);
                goto inval;
            }
            if (!(cmd[i] = strdup (argv[stop + 1 + i])))
                goto nomem;
        }
    } else if (stop < argc) {
        char shown[HERROR_SHOW_SIZE];
        if (stop + 1 < argc) {
            herror_set (
                err, "unexpected argument \"%s\" after the script (options go before it)",
                herror_show (argv[stop + 1], strlen (argv[stop + 1]), shown, sizeof (shown)));
            goto inval;
        }
        if (!utf8_valid (argv[stop])) {
            /* It is sent with the job (Submit_arguments, the default name). */
            herror_set (err,
                        "the script's file name \"%s\" is not valid UTF-8: rename the file or "
                        "give the script on standard input",
                        herror_show (argv[stop], strlen (argv[stop]), shown, sizeof (shown)));
            goto inval;
        }
        if (!(path = strdup (argv[stop])))
            goto nomem;
    }
    layer_clear (&js->input->cmdline);
    js->input->cmdline = l;
    js->interactive = l.interactive; /* until jobspec_finalize: qsub reads no stdin then */
    free (js->script_path);
    js->script_path = path;
    jobspec_strv_free (js->argv);
    js->argv = cmd;
    js->argc = 0;
    while (cmd && cmd[js->argc])
        js->argc++;
    return 0;
nomem:
    herror_set (err, "out of memory");
    errno = ENOMEM;
    goto fail;
inval:
    errno = EINVAL;
fail:
    layer_clear (&l);
    free (path);
    jobspec_strv_free (cmd);
    return -1;
}

/* Split a directive into words as a shell would: blanks separate, '...'
 * is literal, "..." honours \" \\ \$ \`, a backslash outside quotes takes
 * the next character literally, an unquoted word starting with '#' is a
 * comment.  Returns the word count, or -1 (err set).  *buf receives the
 * storage the words point into. */
static int split_words (const char *s, size_t len, char ***words_out, char **buf_out,
                        struct herror *err)
{
    char *buf = malloc (len + 1);
    char **words = calloc (len / 2 + 2, sizeof (*words));
    size_t i = 0, o = 0;
    int n = 0;

    if (!buf || !words)
        goto nomem;
    while (1) {
        while (i < len && isspace ((unsigned char)s[i]))
            i++;
        if (i == len || s[i] == '#')
            break;
        words[n++] = buf + o;
        while (i < len && !isspace ((unsigned char)s[i])) {
            char c = s[i++];
            if (c == '\\' && i < len) {
                buf[o++] = s[i++];
            } else if (c == '\'' || c == '"') {
                while (i < len && s[i] != c) {
                    if (c == '"' && s[i] == '\\' && i + 1 < len && strchr ("\"\\$`", s[i + 1]))
                        i++;
                    buf[o++] = s[i++];
                }
                if (i == len) {
                    herror_set (err, "unterminated %c quote", c);
                    errno = EINVAL;
                    goto fail;
                }
                i++;
            } else {
                buf[o++] = c;
            }
        }
        buf[o++] = '\0';
    }
    *words_out = words;
    *buf_out = buf;
    return n;
nomem:
    herror_set (err, "out of memory");
    errno = ENOMEM;
fail:
    free (buf);
    free (words);
    return -1;
}

/* Apply the directive on one line [s, s+len) (after "#PBS"). */
static int parse_directive (struct layer *l, const char *s, size_t len, struct herror *err)
{
    char **words = NULL, *buf = NULL;
    char what[HERROR_TEXT_MAX];
    int stop, rc = 0;
    int n = split_words (s, len, &words, &buf, err);

    if (n < 0)
        return -1;
    if (scan_options (l, n, words, 0, &stop, what, sizeof (what), err) < 0)
        rc = -1;
    else if (stop < n) {
        errno = EINVAL;
        rc = herror_set (err, "expected an option, found \"%s\"", words[stop]);
    }
    free (words);
    free (buf);
    return rc;
}

/* The script travels as a JSON string: a NUL byte would end it early (the
 * rest of the script silently lost) and every other byte must be UTF-8.
 * Checked over the whole script, not only its directives, before anything
 * is parsed. */
static int check_script_text (const char *text, size_t len, struct herror *err)
{
    int lineno = 1;

    for (size_t i = 0, n; i < len; i += n) {
        n = 1;
        if (text[i] == '\n')
            lineno++;
        else if (text[i] == '\0')
            return herror_set (err, "script line %d: contains a NUL byte (a job script is text)",
                               lineno);
        else if ((n = utf8_char_len (text + i, len - i)) == 0)
            return herror_set (err,
                               "script line %d: not valid UTF-8 (scripts are sent as UTF-8 text; "
                               "convert it, e.g. with iconv -f LATIN1 -t UTF-8)",
                               lineno);
    }
    return 0;
}

int jobspec_set_prefix (struct jobspec *js, const char *prefix, struct herror *err)
{
    char *copy = NULL;

    if (!js) {
        errno = EINVAL;
        return herror_set (err, "invalid arguments");
    }
    if (prefix && (strlen (prefix) > 16 || strpbrk (prefix, " \t\r\n"))) {
        errno = EINVAL;
        return herror_set (err, "a directive prefix has at most 16 characters and no blanks");
    }
    if (prefix && !(copy = strdup (prefix))) {
        errno = ENOMEM;
        return herror_set (err, "out of memory");
    }
    free (js->input->prefix);
    js->input->prefix = copy;
    return 0;
}

int jobspec_parse_script (struct jobspec *js, const char *text, size_t len, struct herror *err)
{
    struct layer l;
    char *copy;
    const char *line;
    int lineno = 0;

    if (!js || !text) {
        errno = EINVAL;
        return herror_set (err, "invalid arguments");
    }
    if (check_script_text (text, len, err) < 0) {
        errno = EINVAL;
        return -1;
    }
    /* The shell would see "\r" in every command and every #PBS value
     * would end in one; PBS's qsub refuses such a script outright. */
    if (memmem (text, len, "\r\n", 2)) {
        errno = EINVAL;
        return herror_set (err, "script is written in DOS/Windows text format (convert it, "
                                "e.g. with dos2unix)");
    }
    if (!(copy = strndup (text, len))) {
        errno = ENOMEM;
        return herror_set (err, "out of memory");
    }
    line = copy;
    layer_init (&l);
    /* -C wins over PBS_DPREFIX, which wins over "#PBS"; "" reads none. */
    const char *prefix = js->input->cmdline.prefix ? js->input->cmdline.prefix
                         : js->input->prefix       ? js->input->prefix
                                                   : "#PBS";
    size_t plen = strlen (prefix);
    for (; *line; line += strcspn (line, "\n") + (line[strcspn (line, "\n")] == '\n')) {
        size_t linelen = strcspn (line, "\n");
        size_t shown = linelen;
        lineno++;
        while (shown > 0 && isspace ((unsigned char)line[shown - 1]))
            shown--;
        /* PBS skips the blanks before a directive. */
        size_t lead = strspn (line, " \t");
        const char *d = line + lead;
        size_t dlen = linelen - lead;
        if (plen > 0 && dlen >= plen && strncmp (d, prefix, plen) == 0 &&
            (dlen == plen || isspace ((unsigned char)d[plen]))) {
            if (parse_directive (&l, d + plen, dlen - plen, err) < 0) {
                char quoted[128];
                herror_prefix (err, "script line %d: \"%s\"", lineno,
                               herror_show (line, shown, quoted, sizeof (quoted)));
                layer_clear (&l);
                free (copy);
                return -1;
            }
            continue;
        }
        while (lead < linelen && isspace ((unsigned char)line[lead]))
            lead++;
        if (lead < linelen && line[lead] != '#')
            break; /* the first command: PBS reads no further */
    }
    layer_clear (&js->input->script);
    js->input->script = l;
    free (js->script);
    js->script = copy;
    return 0;
}
