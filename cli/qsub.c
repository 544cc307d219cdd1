/* qsub - submit a job script, or "qsub -- command args"
 *
 * common/jobspec reads the options and the script's #PBS directives and
 * builds the job request; qsub only supplies the submission context (the
 * script text, directory, environment, host), sends job.submit and prints
 * the job id SEQ.SERVER, as PBS does (not with -z).  PBS_DPREFIX sets the
 * directive prefix unless -C does; with -W block=true qsub then polls the
 * job until it has finished and exits with its exit status.  With -I
 * (or "#PBS -I") the job is interactive: qsub prints no job id, reads no
 * script from stdin (stdin is the session's), and becomes the job's
 * terminal (qsub_interactive.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/jobspec.h"

#include "climain.h"
#include "qsub_interactive.h"

/* A script, with the request around it, must fit in one protocol frame
 * (16 MiB by default); refuse early and clearly rather than at the
 * controller. */
#define SCRIPT_MAX (8u * 1024 * 1024)

extern char **environ;

/* The whole of f (caller frees), its length in *lenp (the text may hold
 * NUL bytes: jobspec_parse_script() refuses those, naming the line), or
 * NULL with errno (EFBIG when over SCRIPT_MAX). */
static char *read_all (FILE *f, size_t *lenp)
{
    size_t len = 0, cap = 65536, n;
    char *text = malloc (cap), *bigger;

    while (text && (n = fread (text + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len > SCRIPT_MAX) {
            free (text);
            errno = EFBIG;
            return NULL;
        }
        if (cap - len < 4096) {
            if ((bigger = realloc (text, cap * 2)) == NULL)
                free (text);
            text = bigger;
            cap *= 2;
        }
    }
    if (text && ferror (f)) {
        free (text);
        errno = EIO;
        return NULL;
    }
    if (text)
        text[len] = '\0';
    *lenp = len;
    return text;
}

/* Read the script (file or stdin) and its directives. */
static int parse_script (struct jobspec *js, struct herror *err)
{
    const char *path = js->script_path ? js->script_path : "standard input";
    FILE *f = js->script_path ? fopen (js->script_path, "r") : stdin;
    size_t len = 0;
    char *text;
    int rc;

    if (f == NULL)
        return herror_set (err, "cannot open script %s: %s", path, strerror (errno));
    text = read_all (f, &len);
    if (f != stdin)
        fclose (f);
    if (text == NULL)
        return herror_set (err, "cannot read script %s: %s", path,
                           errno == EFBIG ? "larger than 8 MiB" : strerror (errno));
    rc = jobspec_parse_script (js, text, len, err);
    free (text);
    return rc;
}

/* Everything the user typed after "qsub", for qstat -f's Submit_arguments. */
static char *submit_args (int argc, char **argv)
{
    size_t len = 1;
    char *s;
    for (int i = 1; i < argc; i++)
        len += strlen (argv[i]) + 1;
    if ((s = calloc (1, len)) == NULL)
        return NULL;
    for (int i = 1; i < argc; i++) {
        strcat (s, argv[i]);
        if (i + 1 < argc)
            strcat (s, " ");
    }
    return s;
}

/* The job request, or NULL after filling err. */
static json_t *build_request (struct jobspec *js, int argc, char **argv, struct herror *err)
{
    char cwd[PATH_MAX], host[256];
    json_t *job, *req;
    char *args;

    /* PBS_DPREFIX is the site's or user's default directive prefix; -C
     * (read by jobspec_parse_args) overrides it. */
    if (jobspec_set_prefix (js, getenv ("PBS_DPREFIX"), err) < 0) {
        herror_prefix (err, "PBS_DPREFIX");
        return NULL;
    }
    if (jobspec_parse_args (js, argc, argv, err) < 0)
        return NULL;
    /* qsub -I without a script: stdin is the session's, not a script */
    if (js->interactive && !js->argv && !js->script_path &&
        jobspec_parse_script (js, "", 0, err) < 0)
        return NULL;
    if (js->argv == NULL && !js->script && parse_script (js, err) < 0)
        return NULL;
    if (getcwd (cwd, sizeof (cwd)) == NULL) {
        herror_set (err, "cannot read the current directory: %s", strerror (errno));
        return NULL;
    }
    if (gethostname (host, sizeof (host)) < 0)
        snprintf (host, sizeof (host), "localhost");
    host[sizeof (host) - 1] = '\0';
    if (jobspec_finalize (js, cwd, environ, host, err) < 0)
        return NULL;
    /* jobspec refused text that is not UTF-8 naming where it was, so
     * EILSEQ here means a check is missing: say what, not "out of memory". */
    job = jobspec_to_json (js);
    if (job == NULL) {
        if (errno == EILSEQ)
            herror_set (err, "the job request holds text that is not valid UTF-8");
        else
            herror_set (err, "cannot build the job request: %s", strerror (errno));
        return NULL;
    }
    args = submit_args (argc, argv);
    json_t *s = args ? json_string (args) : NULL;
    free (args);
    if (s == NULL || json_object_set_new (job, "submit_args", s) < 0) {
        json_decref (job);
        herror_set (err, "the command line cannot be sent: not valid UTF-8, or out of memory");
        return NULL;
    }
    req = json_pack ("{s:s, s:o}", "type", "job.submit", "job", job);
    if (req == NULL)
        herror_set (err, "out of memory");
    return req;
}

static void usage (void)
{
    fprintf (stderr,
             "usage: qsub [-a date_time] [-A account_string] [-c interval] [-C directive_prefix]\n"
             "            [-e path] [-h] [-j oe|eo|n] [-k keep] [-l resource_list]\n"
             "            [-m mail_options] [-M user_list] [-N name] [-o path] [-p priority]\n"
             "            [-P project] [-q queue] [-r y|n] [-S path_list] [-u user_list]\n"
             "            [-v variable_list] [-V] [-W attribute=value...] [-z]\n"
             "            [-d path] [script | -- command [arg...]]\n"
             "       qsub -I [options] [script]\n");
}

/* -W block=true: wait until the job has finished and return its exit
 * status, as PBS's qsub does (it prints the job id first). */
static int wait_for_end (struct cli *cli, int64_t seq, const char *jobid)
{
    for (unsigned delay_ms = 100;; delay_ms = delay_ms < 2000 ? delay_ms * 2 : 2000) {
        int status = 0;
        json_t *req = json_pack ("{s:s, s:[I], s:b}", "type", "job.query", "seqs", (json_int_t)seq,
                                 "finished", 1);
        json_t *reply = req ? cli_request (cli, req, jobid, &status) : NULL;
        if (!reply)
            return status ? status : CLI_EXIT_FAIL;
        json_t *job = json_array_get (json_object_get (reply, "jobs"), 0);
        const char *state = json_string_value (json_object_get (job, "state"));
        if (!job) {
            json_decref (reply);
            fprintf (stderr, "qsub: job %s is gone: its exit status is not known\n", jobid);
            return CLI_EXIT_FAIL;
        }
        if (state && strcmp (state, "F") == 0) {
            json_t *st = json_object_get (job, "exit_status");
            int rc = json_is_integer (st) ? (int)json_integer_value (st) : -1;
            json_decref (reply);
            if (rc < 0) {
                fprintf (stderr, "qsub: job %s did not run to its end (exit status %d)\n", jobid,
                         rc);
                return CLI_EXIT_FAIL;
            }
            return rc;
        }
        json_decref (reply);
        usleep (delay_ms * 1000);
    }
}

/* jobspec's syntax errors, as opposed to bad values, deserve the usage. */
static bool is_usage_error (const char *text)
{
    size_t len = strlen (text);
    return strncmp (text, "unknown option", 14) == 0 ||
           (len > 13 && strcmp (text + len - 13, "needs a value") == 0);
}

int main (int argc, char **argv)
{
    struct cli cli = {.prog = "qsub"};
    struct jobspec *js = jobspec_create();
    struct herror err;
    json_t *req = js ? build_request (js, argc, argv, &err) : NULL;
    json_t *reply;
    int status = 0;
    bool block = js && js->block, no_jobid = js && js->no_jobid;
    bool interactive = js && js->interactive;

    if (js == NULL)
        herror_set (&err, "out of memory");
    jobspec_destroy (js);
    if (req == NULL) {
        fprintf (stderr, "qsub: %s\n", err.text);
        if (!is_usage_error (err.text))
            return CLI_EXIT_FAIL;
        usage();
        return CLI_EXIT_USAGE;
    }
    if (cli_open (&cli, "qsub") < 0) {
        json_decref (req);
        return CLI_EXIT_FAIL;
    }
    reply = cli_request (&cli, req, NULL, &status);
    if (reply) {
        const char *jobid = json_string_value (json_object_get (reply, "jobid"));
        int64_t seq = json_integer_value (json_object_get (reply, "seq"));
        char seqtext[32];
        snprintf (seqtext, sizeof (seqtext), "%lld", (long long)seq);
        if (!no_jobid && !interactive)
            printf ("%s\n", jobid ? jobid : seqtext);
        fflush (stdout);
        if (interactive)
            status = qsub_interactive (&cli, seq, jobid ? jobid : seqtext);
        else if (block)
            status = wait_for_end (&cli, seq, jobid ? jobid : seqtext);
        json_decref (reply);
    }
    cli_close (&cli);
    return status;
}
