/* jobspec_finalize.c - merge directives and command line, apply PBS defaults
 *
 * Everything is computed into a scratch struct jobspec first and moved into
 * the caller's only when every step succeeded, so a failed finalize leaves
 * the jobspec as it was.
 */
#include "jobspec.h"
#include "jobspec_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "pbs_resources.h"
#include "utf8.h"

/* The environment variables qsub copies as PBS_O_NAME, as OpenPBS does. */
static const char *const submit_vars[] = {
    "HOME", "LANG", "LOGNAME", "PATH", "MAIL", "SHELL", "TZ",
};

static const char *env_lookup (char *const envp[], const char *name)
{
    size_t len = strlen (name);

    for (int i = 0; envp && envp[i]; i++) {
        if (strncmp (envp[i], name, len) == 0 && envp[i][len] == '=')
            return envp[i] + len + 1;
    }
    return NULL;
}

/* The command line's value if it set one, else the script's. */
#define PICK(field, unset) (in->cmdline.field != (unset) ? in->cmdline.field : in->script.field)

static int dup_opt (char **dst, const char *src)
{
    if (!src)
        return 0;
    return (*dst = strdup (src)) ? 0 : -1;
}

/* Job name: -N, else the script's basename made into a valid name, else
 * "STDIN" (standard input or "qsub -- cmd"), as PBS does. */
static char *default_name (const char *script_path)
{
    const char *base = script_path ? strrchr (script_path, '/') : NULL;
    char *name;

    base = base ? base + 1 : script_path;
    if (!base || !*base)
        return strdup ("STDIN");
    if (!(name = strndup (base, JOBSPEC_NAME_MAX)))
        return NULL;
    for (char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c > 126 || c == '/' || c == ':' || c == '@')
            *p = '_';
    }
    if (jobspec_check_name (name, NULL) < 0)
        name[0] = '_';
    return name;
}

/* "[host:]path" with a relative path made absolute against cwd. */
static char *resolve_path (const char *spec, const char *cwd)
{
    const char *colon = strchr (spec, ':');
    const char *path = spec;
    int hostlen = 0;
    char *out;

    if (colon && memchr (spec, '/', (size_t)(colon - spec)) == NULL) {
        hostlen = (int)(colon - spec) + 1;
        path = colon + 1;
    }
    if (path[0] == '/')
        return strdup (spec);
    if (strncmp (path, "./", 2) == 0)
        path += 2;
    const char *sep = cwd[strlen (cwd) - 1] == '/' ? "" : "/";
    size_t len = (size_t)hostlen + strlen (cwd) + strlen (sep) + strlen (path) + 1;
    if (!(out = malloc (len)))
        return NULL;
    snprintf (out, len, "%.*s%s%s%s", hostlen, spec, cwd, sep, path);
    return out;
}

/* Build res from the merged -l settings.  Errors are about the request as
 * a whole, so they name resources rather than a line. */
static int merge_resources (const struct jobspec_input *in, struct resreq *res, struct herror *err)
{
    const struct layer *cl = &in->cmdline, *sl = &in->script;
    const struct layer *chunks = cl->chunk_src != CHUNKS_NONE ? cl : sl;
    /* A select or nodes on the command line replaces the script's whole
     * request, job-wide ncpus/ngpus/mem included. */
    bool script_job_wide = cl->chunk_src == CHUNKS_NONE;
    bool have_ncpus = cl->have_ncpus || (script_job_wide && sl->have_ncpus);
    bool have_ngpus = cl->have_ngpus || (script_job_wide && sl->have_ngpus);
    bool have_mem = cl->have_mem || (script_job_wide && sl->have_mem);
    int ncpus = cl->have_ncpus ? cl->ncpus : sl->ncpus;
    int ngpus = cl->have_ngpus ? cl->ngpus : sl->ngpus;
    uint64_t mem = cl->have_mem ? cl->mem : sl->mem;
    const char *conflict = have_ncpus ? "ncpus" : have_ngpus ? "ngpus" : NULL;

    memset (res, 0, sizeof (*res));
    if (chunks->chunk_src == CHUNKS_SELECT && (conflict || have_mem))
        return herror_set (err,
                           "-l %s cannot be combined with select: ask for it in the chunks "
                           "(select=N:%s=...)",
                           conflict ? conflict : "mem", conflict ? conflict : "mem");
    if (chunks->chunk_src == CHUNKS_PROCS && conflict)
        return herror_set (err, "-l %s cannot be combined with procs (procs=N is N cpus)",
                           conflict);
    if (chunks->chunk_src == CHUNKS_NODES && conflict)
        return herror_set (err, "-l %s cannot be combined with nodes (use nodes=N:ppn=M%s)",
                           conflict, have_ngpus ? ":gpus=G" : "");
    if (chunks->chunk_src != CHUNKS_NONE) {
        res->nchunks = chunks->chunks.nchunks;
        res->chunks = calloc ((size_t)res->nchunks, sizeof (*res->chunks));
        if (!res->chunks)
            return herror_set (err, "out of memory");
        memcpy (res->chunks, chunks->chunks.chunks, sizeof (*res->chunks) * (size_t)res->nchunks);
        if (have_mem) {
            /* Torque's "nodes=...,mem=" is memory for the whole job. */
            uint64_t count = 0;
            for (int i = 0; i < res->nchunks; i++)
                count += (uint64_t)res->chunks[i].count;
            for (int i = 0; i < res->nchunks; i++)
                res->chunks[i].mem = (mem + count - 1) / count;
        }
        if (chunks->chunk_src == CHUNKS_NODES)
            res->arrangement = RESREQ_SCATTER;
    } else {
        /* OpenPBS: job-wide ncpus/ngpus/mem without select make one chunk. */
        if (!(res->chunks = calloc (1, sizeof (*res->chunks))))
            return herror_set (err, "out of memory");
        res->nchunks = 1;
        res->chunks[0].count = 1;
        res->chunks[0].ncpus = have_ncpus ? ncpus : 1;
        res->chunks[0].ngpus = ngpus;
        res->chunks[0].mpiprocs = res->chunks[0].ncpus > 0 ? 1 : 0;
        res->chunks[0].mem = mem;
    }
    const char *host = cl->job_host[0] ? cl->job_host : script_job_wide ? sl->job_host : "";
    const char *arch = cl->job_arch[0] ? cl->job_arch : sl->job_arch;
    if (host[0] && chunks->chunk_src != CHUNKS_NONE)
        return herror_set (err, "-l host cannot be combined with select, nodes or procs: ask for "
                                "it in the chunks (select=N:host=...)");
    if (host[0])
        snprintf (res->chunks[0].host, sizeof (res->chunks[0].host), "%s", host);
    for (int i = 0; arch[0] && i < res->nchunks; i++) {
        char *lab = res->chunks[i].labels;
        size_t have = strlen (lab);
        if (strstr (lab, "arch=")) /* the chunk's own arch wins */
            continue;
        if ((size_t)snprintf (lab + have, sizeof (res->chunks[i].labels) - have, "%sarch=%s",
                              have ? "," : "", arch) >= sizeof (res->chunks[i].labels) - have)
            return herror_set (err, "-l arch: chunk %d has too many node labels", i + 1);
    }
    if (cl->have_place || sl->have_place) {
        res->arrangement = cl->have_place ? cl->arrangement : sl->arrangement;
        res->sharing = cl->have_place ? cl->sharing : sl->sharing;
        res->group_switch = cl->have_place ? cl->group_switch : sl->group_switch;
    }
    if (cl->have_switches || sl->have_switches) {
        const struct layer *w = cl->have_switches ? cl : sl;
        res->max_switches = w->max_switches;
        res->switches_wait = w->switches_wait;
    }
    snprintf (res->pgroup, sizeof (res->pgroup), "%s", cl->pgroup[0] ? cl->pgroup : sl->pgroup);
    if (cl->have_walltime || sl->have_walltime)
        res->walltime = cl->have_walltime ? cl->walltime : sl->walltime;
    if (pbs_resreq_check (res, err) < 0) {
        herror_prefix (err, "-l");
        return -1;
    }
    return 0;
}

/* Set NAME to a value taken from the submitter's environment variable
 * from; it goes on the wire, so it must be UTF-8.  -1 with err and errno. */
static int env_put (struct jobspec *out, const char *name, const char *value, const char *from,
                    struct herror *err)
{
    if (!utf8_valid (value)) {
        errno = EINVAL;
        if (strcmp (name, from) != 0)
            return herror_set (err,
                               "the environment variable %s (sent as %s) is not valid UTF-8: "
                               "unset or fix it",
                               from, name);
        return herror_set (err, "the environment variable %s is not valid UTF-8: unset or fix it",
                           from);
    }
    if (jobspec_env_set (&out->env, &out->nenv, name, value) < 0) {
        errno = ENOMEM;
        return herror_set (err, "out of memory");
    }
    return 0;
}

/* Variable_List: -V (everything), then -v, then PBS_O_*. */
static int build_env (const struct jobspec_input *in, struct jobspec *out, char *const envp[],
                      const char *cwd, const char *hostname, struct herror *err)
{
    const struct layer *vl = in->cmdline.have_vars ? &in->cmdline : &in->script;
    struct utsname uts;

    for (int i = 0; out->export_all && envp && envp[i]; i++) {
        const char *eq = strchr (envp[i], '=');
        char *name = eq ? strndup (envp[i], (size_t)(eq - envp[i])) : NULL;
        int rc = 0;
        if (eq && !name) {
            errno = ENOMEM;
            return herror_set (err, "out of memory");
        }
        if (name && jobspec_env_name_valid (name))
            rc = env_put (out, name, eq + 1, name, err);
        free (name);
        if (rc < 0)
            return -1;
    }
    for (int i = 0; i < vl->nvars; i++) {
        const char *value = vl->vars[i].value;
        if (!value && !(value = env_lookup (envp, vl->vars[i].name)))
            continue; /* a bare name that is not set: nothing to pass */
        if (env_put (out, vl->vars[i].name, value, vl->vars[i].name, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < sizeof (submit_vars) / sizeof (submit_vars[0]); i++) {
        const char *value = env_lookup (envp, submit_vars[i]);
        char name[32];
        snprintf (name, sizeof (name), "PBS_O_%s", submit_vars[i]);
        if (value && env_put (out, name, value, submit_vars[i], err) < 0)
            return -1;
    }
    /* cwd was checked, the rest is ASCII by construction. */
    if (jobspec_env_set (&out->env, &out->nenv, "PBS_O_WORKDIR", cwd) < 0 ||
        jobspec_env_set (&out->env, &out->nenv, "PBS_O_HOST", hostname) < 0 ||
        (uname (&uts) == 0 &&
         jobspec_env_set (&out->env, &out->nenv, "PBS_O_SYSTEM", uts.sysname) < 0) ||
        (out->queue && jobspec_env_set (&out->env, &out->nenv, "PBS_O_QUEUE", out->queue) < 0)) {
        errno = ENOMEM;
        return herror_set (err, "out of memory");
    }
    return 0;
}

/* The text attributes, -a, -W umask, the limits and qsub's own flags:
 * each the command line's if it set one, else the script's. */
static int merge_attrs (const struct jobspec_input *in, struct jobspec *out, struct herror *err)
{
    const struct layer *cl = &in->cmdline, *sl = &in->script;

    for (int i = 0; i < JOBSPEC_NATTRS; i++) {
        const char *v = cl->attrs[i] ? cl->attrs[i] : sl->attrs[i];
        if (v && !(out->attrs[i] = strdup (v))) {
            errno = ENOMEM;
            return herror_set (err, "out of memory");
        }
    }
    out->execution_time = PICK (execution_time, 0);
    out->umask = PICK (umask, -1);
    out->limits.cput = PICK (cput, -1) < 0 ? 0 : PICK (cput, -1);
    out->limits.pcput = PICK (pcput, -1) < 0 ? 0 : PICK (pcput, -1);
    out->limits.vmem = PICK (vmem, -1) < 0 ? 0 : (uint64_t)PICK (vmem, -1);
    out->limits.pvmem = PICK (pvmem, -1) < 0 ? 0 : (uint64_t)PICK (pvmem, -1);
    out->limits.pmem = PICK (pmem, -1) < 0 ? 0 : (uint64_t)PICK (pmem, -1);
    out->limits.file = PICK (file, -1) < 0 ? 0 : (uint64_t)PICK (file, -1);
    out->limits.nice = cl->have_nice ? cl->nice : sl->have_nice ? sl->nice : 0;
    out->block = PICK (block, -1) == 1;
    out->no_jobid = cl->no_jobid || sl->no_jobid;
    return 0;
}

/* -I and -X, from either layer (PBS takes "#PBS -I" too).  An
 * interactive job runs a shell for qsub on its first node instead of
 * the script's body (the script gives only its directives), so what only
 * makes sense for a batch run is refused, and it is never rerun: a
 * second run would have nobody to talk to, as in PBS.  huddle does not
 * forward X11: -X is refused, saying why in either case. */
static int merge_interactive (const struct jobspec *js, const struct jobspec_input *in,
                              char *const envp[], struct jobspec *out, struct herror *err)
{
    bool x11 = in->cmdline.x11 || in->script.x11;
    out->interactive = in->cmdline.interactive || in->script.interactive;
    errno = EINVAL;
    if (x11 && !out->interactive)
        return herror_set (err, "-X (X11 forwarding) is only valid with -I");
    if (x11 && !env_lookup (envp, "DISPLAY"))
        return herror_set (err, "-X: DISPLAY is not set, so there is no X display to forward");
    if (x11)
        return herror_set (err, "-X: this server does not forward X11 connections; run "
                                "X programs through ssh -X to the job's node, or submit "
                                "without -X");
    if (!out->interactive)
        return 0;
    if (js->argv)
        return herror_set (err, "-I runs a shell on the job's node: it takes no command "
                                "after --");
    if (out->block)
        return herror_set (err, "-I and -W block=true cannot be used together: qsub -I "
                                "already waits for the job's end");
    out->rerunnable = false;
    return 0;
}

/* Move the finalized members of src into dst (whose old ones are freed);
 * the inputs (script, argv, script_path, input) stay with dst. */
static void commit (struct jobspec *dst, struct jobspec *src)
{
    char *script = dst->script;
    char **argv = dst->argv;
    int argc = dst->argc;
    char *script_path = dst->script_path;
    struct jobspec_input *input = dst->input;

    dst->script = NULL;
    dst->argv = NULL;
    jobspec_clear_job (dst);
    *dst = *src;
    dst->script = script;
    dst->argv = argv;
    dst->argc = argc;
    dst->script_path = script_path;
    dst->input = input;
}

int jobspec_finalize (struct jobspec *js, const char *cwd, char *const envp[], const char *hostname,
                      struct herror *err)
{
    struct jobspec out = {0};
    const struct jobspec_input *in;
    const char *name, *output, *error, *depend;

    if (!js || !cwd || !hostname) {
        errno = EINVAL;
        return herror_set (err, "invalid arguments");
    }
    in = js->input;
    char shown[HERROR_SHOW_SIZE];
    if (cwd[0] != '/') {
        errno = EINVAL;
        return herror_set (err, "the submit directory \"%s\" is not an absolute path",
                           herror_show (cwd, strlen (cwd), shown, sizeof (shown)));
    }
    if (!utf8_valid (cwd)) {
        /* It is the job's workdir and PBS_O_WORKDIR, both on the wire. */
        errno = EINVAL;
        return herror_set (err, "the submit directory's path is not valid UTF-8: submit from "
                                "another directory");
    }
    if (!jobspec_host_valid (hostname, strlen (hostname))) {
        errno = EINVAL;
        return herror_set (err, "\"%s\" is not a valid host name",
                           herror_show (hostname, strlen (hostname), shown, sizeof (shown)));
    }
    if (!js->script && !js->argv) {
        errno = EINVAL;
        return herror_set (err, "no job script was read");
    }
    jobspec_clear_job (&out);
    out.script = NULL;
    out.argv = NULL;
    if (merge_resources (in, &out.res, err) < 0) {
        if (errno != ENOMEM)
            errno = EINVAL;
        goto fail;
    }
    name = PICK (name, NULL);
    output = PICK (output, NULL);
    error = PICK (error, NULL);
    depend = PICK (depend, NULL);
    out.join = (enum jobspec_join) (in->cmdline.join >= 0  ? in->cmdline.join
                                    : in->script.join >= 0 ? in->script.join
                                                           : JOBSPEC_JOIN_NONE);
    out.rerunnable = in->cmdline.rerun >= 0  ? in->cmdline.rerun
                     : in->script.rerun >= 0 ? in->script.rerun
                                             : true;
    out.priority = in->cmdline.have_priority  ? in->cmdline.priority
                   : in->script.have_priority ? in->script.priority
                                              : 0;
    out.hold = in->cmdline.hold || in->script.hold;
    out.export_all = in->cmdline.export_all || in->script.export_all;
    out.name = name ? strdup (name) : default_name (js->script_path);
    if (!out.name || dup_opt (&out.queue, PICK (queue, NULL)) < 0 ||
        dup_opt (&out.depend, depend) < 0 || !(out.workdir = strdup (cwd)) ||
        !(out.submit_host = strdup (hostname)) ||
        (output && !(out.output = resolve_path (output, cwd))) ||
        (error && !(out.error = resolve_path (error, cwd)))) {
        herror_set (err, "out of memory");
        errno = ENOMEM;
        goto fail;
    }
    if (merge_attrs (in, &out, err) < 0 || merge_interactive (js, in, envp, &out, err) < 0)
        goto fail;
    /* Torque's -d/-w: the job runs there (relative to the submit
     * directory); PBS_O_WORKDIR stays where qsub ran, PBS_O_INITDIR says
     * where the job starts. */
    const char *initdir = PICK (initdir, NULL);
    if (initdir) {
        /* The default .o/.e files stay in the submit directory: given as
         * that directory ("DIR/"), they get PBS's names inside it. */
        size_t dlen = strlen (cwd) + 2;
        free (out.workdir);
        if (!(out.workdir = resolve_path (initdir, cwd)) ||
            (!out.output && !(out.output = malloc (dlen))) ||
            (!out.error && !(out.error = malloc (dlen)))) {
            herror_set (err, "out of memory");
            errno = ENOMEM;
            goto fail;
        }
        if (!output)
            snprintf (out.output, dlen, "%s%s", cwd, cwd[dlen - 3] == '/' ? "" : "/");
        if (!error)
            snprintf (out.error, dlen, "%s%s", cwd, cwd[dlen - 3] == '/' ? "" : "/");
    }
    if (build_env (in, &out, envp, cwd, hostname, err) < 0)
        goto fail;
    if (initdir && jobspec_env_set (&out.env, &out.nenv, "PBS_O_INITDIR", out.workdir) < 0) {
        herror_set (err, "out of memory");
        errno = ENOMEM;
        goto fail;
    }
    if (out.nenv > JOBSPEC_MAX_ENV) {
        herror_set (err, "the job's environment would have %d variables, more than %d", out.nenv,
                    JOBSPEC_MAX_ENV);
        errno = EINVAL;
        goto fail;
    }
    if (!js->script && !(js->script = strdup (""))) {
        herror_set (err, "out of memory");
        errno = ENOMEM;
        goto fail;
    }
    commit (js, &out);
    return 0;
fail:
    jobspec_clear_job (&out);
    return -1;
}
