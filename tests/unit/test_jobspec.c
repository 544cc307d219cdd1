/* Unit tests for common/jobspec, common/pbs_resources and common/pbs_format:
 * what qsub accepts, the messages it gives, and what the controller lets in. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/herror.h"
#include "common/jobspec.h"
#include "common/pbs_format.h"
#include "common/pbs_resources.h"
#include "common/utf8.h"

#define CWD  "/home/u/work"
#define HOST "login1"

static char *const test_env[] = {
    "HOME=/home/u", "PATH=/usr/bin:/bin",
    "LOGNAME=u",    "SHELL=/bin/bash",
    "LANG=C.UTF-8", "FOO=fooval",
    "EMPTY=",       "PBS_O_HOME=/stale",
    "weird",        "1BAD=x",
    NULL,
};

#define MAXARGS 64

/* jobspec_parse_script() of a C string (most scripts here hold no NUL). */
static int parse_script (struct jobspec *js, const char *text, struct herror *err)
{
    return jobspec_parse_script (js, text, strlen (text), err);
}

/* Parse "qsub ARGS..." (NULL-terminated) into js; returns the rc. */
static int parse_argsv (struct jobspec *js, struct herror *err, const char *first, va_list ap)
{
    char *argv[MAXARGS] = {"qsub"};
    int argc = 1;

    for (const char *a = first; a; a = va_arg (ap, const char *)) {
        assert_true (argc < MAXARGS - 1);
        argv[argc++] = (char *)a;
    }
    argv[argc] = NULL;
    return jobspec_parse_args (js, argc, argv, err);
}

/* The whole qsub path: options, script (when not "--"), finalize.  Returns
 * the finalized jobspec, or NULL with err set. */
static struct jobspec *submit (const char *script, struct herror *err, ...)
{
    struct jobspec *js = jobspec_create();
    va_list ap;

    assert_non_null (js);
    err->text[0] = '\0';
    va_start (ap, err);
    const char *first = va_arg (ap, const char *);
    int rc = parse_argsv (js, err, first, ap);
    va_end (ap);
    if (rc == 0 && !js->argv)
        rc = parse_script (js, script ? script : "", err);
    if (rc == 0)
        rc = jobspec_finalize (js, CWD, test_env, HOST, err);
    if (rc < 0) {
        assert_int_equal (errno, EINVAL);
        assert_true (strlen (err->text) > 0);
        jobspec_destroy (js);
        return NULL;
    }
    return js;
}

/* Assert that a submission fails with exactly this message. */
#define assert_submit_error(script, msg, ...)                                                      \
    do {                                                                                           \
        struct herror e_;                                                                          \
        struct jobspec *js_ = submit (script, &e_, __VA_ARGS__, NULL);                             \
        if (js_)                                                                                   \
            fail_msg ("submission was accepted; expected: %s", msg);                               \
        assert_string_equal (e_.text, msg);                                                        \
    } while (0)

static struct jobspec *submit_okv (const char *script, va_list ap)
{
    struct herror err;
    struct jobspec *js = jobspec_create();

    const char *first = va_arg (ap, const char *);
    int rc = parse_argsv (js, &err, first, ap);
    if (rc == 0 && !js->argv)
        rc = parse_script (js, script ? script : "", &err);
    if (rc == 0)
        rc = jobspec_finalize (js, CWD, test_env, HOST, &err);
    if (rc < 0)
        fail_msg ("submission failed: %s", err.text);
    return js;
}

static struct jobspec *submit_ok (const char *script, ...)
{
    va_list ap;
    va_start (ap, script);
    struct jobspec *js = submit_okv (script, ap);
    va_end (ap);
    return js;
}

static void assert_chunk (const struct resreq_chunk *c, int count, int ncpus, int mpiprocs,
                          int ngpus, uint64_t mem, const char *host)
{
    assert_int_equal (c->count, count);
    assert_int_equal (c->ncpus, ncpus);
    assert_int_equal (c->mpiprocs, mpiprocs);
    assert_int_equal (c->ngpus, ngpus);
    assert_true (c->mem == mem);
    assert_string_equal (c->host, host);
}

/* --- options --- */

static void every_option (void **state)
{
    struct jobspec *js = submit_ok (
        "echo hi\n", "-N", "mpi_run", "-q", "batch", "-o", "out.txt", "-e", "/tmp/err.txt", "-j",
        "oe", "-l", "select=2:ncpus=4:mpiprocs=4,walltime=1:00:00", "-l", "place=scatter:excl",
        "-v", "A=1,B", "-p", "-10", "-r", "n", "-h", "-V", "job.sh", NULL);

    assert_string_equal (js->name, "mpi_run");
    assert_string_equal (js->queue, "batch");
    assert_string_equal (js->output, CWD "/out.txt");
    assert_string_equal (js->error, "/tmp/err.txt");
    assert_int_equal (js->join, JOBSPEC_JOIN_OE);
    assert_int_equal (js->res.nchunks, 1);
    assert_chunk (&js->res.chunks[0], 2, 4, 4, 0, 0, "");
    assert_int_equal (js->res.walltime, 3600);
    assert_int_equal (js->res.arrangement, RESREQ_SCATTER);
    assert_int_equal (js->res.sharing, RESREQ_EXCL);
    assert_string_equal (jobspec_getenv (js, "A"), "1");
    assert_null (jobspec_getenv (js, "B")); /* bare and not in the environment */
    assert_int_equal (js->priority, -10);
    assert_false (js->rerunnable);
    assert_null (js->depend); /* none given */
    assert_true (js->hold);
    assert_true (js->export_all);
    assert_string_equal (js->script, "echo hi\n");
    assert_string_equal (js->script_path, "job.sh");
    assert_null (js->argv);
    assert_string_equal (js->workdir, CWD);
    assert_string_equal (js->submit_host, HOST);
    assert_int_equal (js->array_index, -1);
    jobspec_destroy (js);
}

static void defaults (void **state)
{
    struct jobspec *js = submit_ok ("sleep 1\n", NULL);

    assert_string_equal (js->name, "STDIN");
    assert_null (js->queue);
    assert_null (js->output);
    assert_null (js->error);
    assert_null (js->depend);
    assert_int_equal (js->join, JOBSPEC_JOIN_NONE);
    assert_true (js->rerunnable);
    assert_false (js->hold);
    assert_false (js->export_all);
    assert_int_equal (js->priority, 0);
    assert_int_equal (js->res.nchunks, 1);
    assert_chunk (&js->res.chunks[0], 1, 1, 1, 0, 0, "");
    assert_int_equal (js->res.arrangement, RESREQ_FREE);
    assert_int_equal (js->res.sharing, RESREQ_SHARED);
    assert_int_equal (js->res.walltime, 0);
    assert_null (jobspec_getenv (js, "FOO")); /* no -V */
    jobspec_destroy (js);
}

static void getopt_forms (void **state)
{
    struct jobspec *js = submit_ok ("", "-hV", "-Nshort", "-lwalltime=10", "-jeo", "-ry", NULL);

    assert_true (js->hold);
    assert_true (js->export_all);
    assert_string_equal (js->name, "short");
    assert_int_equal (js->res.walltime, 10);
    assert_int_equal (js->join, JOBSPEC_JOIN_EO);
    assert_true (js->rerunnable);
    jobspec_destroy (js);

    js = submit_ok ("", "-j", "n", NULL);
    assert_int_equal (js->join, JOBSPEC_JOIN_NONE);
    jobspec_destroy (js);
}

static void option_errors (void **state)
{
    assert_submit_error ("", "unknown option -x", "-x");
    assert_submit_error ("", "unknown option --help", "--help");
    assert_submit_error ("", "unknown option -y", "-hy");
    assert_submit_error ("", "option -N needs a value", "-N");
    assert_submit_error ("", "option -j x: use oe, eo or n", "-j", "x");
    assert_submit_error ("", "option -r yes: use y or n", "-r", "yes");
    assert_submit_error ("", "option -p 1024: priority must be a number from -1024 to 1023", "-p",
                         "1024");
    assert_submit_error ("", "option -p -1025: priority must be a number from -1024 to 1023", "-p",
                         "-1025");
    assert_submit_error ("", "option -p 1x: priority must be a number from -1024 to 1023", "-p",
                         "1x");
    assert_submit_error ("", "option -q a@bad/srv: \"bad/srv\" is not a server name", "-q",
                         "a@bad/srv");
    assert_submit_error ("", "option -q -bad: a queue name must start with a letter or a digit",
                         "-q", "-bad");
    assert_submit_error ("",
                         "option -W x=1: unsupported -W attribute \"x\" (this server knows "
                         "depend, group_list, umask, block, sandbox)",
                         "-W", "x=1");
    assert_submit_error ("", "option -o : no path given", "-o", "");
    assert_submit_error ("", "option -e host:: no path given", "-e", "host:");
    assert_submit_error ("",
                         "unexpected argument \"extra\" after the script (options go before "
                         "it)",
                         "job.sh", "extra");
    assert_submit_error ("", "\"--\" must be followed by a command", "--");

    /* Extremes of -p are accepted. */
    struct jobspec *js = submit_ok ("", "-p", "-1024", NULL);
    assert_int_equal (js->priority, -1024);
    jobspec_destroy (js);
    js = submit_ok ("", "-p", "1023", NULL);
    assert_int_equal (js->priority, 1023);
    jobspec_destroy (js);
}

static void job_names (void **state)
{
    char name[JOBSPEC_NAME_MAX + 2];
    struct herror err;
    struct jobspec *js;

    memset (name, 'a', JOBSPEC_NAME_MAX);
    name[JOBSPEC_NAME_MAX] = '\0';
    js = submit_ok ("", "-N", name, NULL);
    assert_string_equal (js->name, name);
    jobspec_destroy (js);
    js = submit_ok ("", "-N", "9lives-v1.2_x+", NULL);
    assert_string_equal (js->name, "9lives-v1.2_x+");
    jobspec_destroy (js);

    strcat (name, "a");
    assert_null (submit ("", &err, "-N", name, NULL));
    assert_non_null (strstr (err.text, ": a job name has at most 236 characters"));
    assert_submit_error ("",
                         "option -N x y: a job name cannot contain blanks, control "
                         "characters, '/', ':' or '@'",
                         "-N", "x y");
    assert_submit_error ("",
                         "option -N a/b: a job name cannot contain blanks, control "
                         "characters, '/', ':' or '@'",
                         "-N", "a/b");
    assert_submit_error ("", "option -N .x: a job name must start with a letter, a digit or '_'",
                         "-N", ".x");
    assert_submit_error ("", "option -N : the job name is empty", "-N", "");

    /* Default: the script's basename, made valid; STDIN for stdin. */
    js = submit_ok ("", "/x/y/run.sh", NULL);
    assert_string_equal (js->name, "run.sh");
    jobspec_destroy (js);
    js = submit_ok ("", "dir/.hidden job", NULL);
    assert_string_equal (js->name, "_hidden_job");
    jobspec_destroy (js);
}

static void command_mode (void **state)
{
    struct jobspec *js = submit_ok (NULL, "-l", "ncpus=2", "--", "/bin/sleep", "-x", "10", NULL);

    assert_non_null (js->argv);
    assert_int_equal (js->argc, 3);
    assert_string_equal (js->argv[0], "/bin/sleep");
    assert_string_equal (js->argv[1], "-x"); /* not an option of qsub */
    assert_string_equal (js->argv[2], "10");
    assert_null (js->argv[3]);
    assert_string_equal (js->script, "");
    assert_string_equal (js->name, "STDIN");
    assert_chunk (&js->res.chunks[0], 1, 2, 1, 0, 0, "");
    jobspec_destroy (js);
}

static void output_paths (void **state)
{
    struct jobspec *js = submit_ok ("", "-o", "./logs/out", "-e", "n01:err/e.txt", NULL);

    assert_string_equal (js->output, CWD "/logs/out");
    assert_string_equal (js->error, "n01:" CWD "/err/e.txt");
    jobspec_destroy (js);
    js = submit_ok ("", "-o", "n01:/abs/o", "-e", "/abs/e", NULL);
    assert_string_equal (js->output, "n01:/abs/o");
    assert_string_equal (js->error, "/abs/e");
    jobspec_destroy (js);
    assert_submit_error ("", "option -o bad host:/x: \"bad host\" is not a host name", "-o",
                         "bad host:/x");
    /* A '/' before the ':' means there is no host part. */
    js = submit_ok ("", "-o", "a/b:c", NULL);
    assert_string_equal (js->output, CWD "/a/b:c");
    jobspec_destroy (js);
}

/* --- directives and precedence --- */

static const char precedence_script[] = "#!/bin/bash\n"
                                        "#PBS -N fromscript\n"
                                        "#PBS -q sq\n"
                                        "#PBS -p 5\n"
                                        "#PBS -l walltime=1:00:00,select=2:ncpus=4\n"
                                        "#PBS -j oe\n"
                                        "#PBS -v A=script,B=script\n"
                                        "mpirun ./app\n";

static void command_line_wins (void **state)
{
    struct jobspec *js = submit_ok (precedence_script, "-N", "fromcli", "-l", "walltime=2:00:00",
                                    "-v", "A=cli", NULL);

    assert_string_equal (js->name, "fromcli");
    assert_string_equal (js->queue, "sq");
    assert_int_equal (js->priority, 5);
    assert_int_equal (js->res.walltime, 7200);
    assert_chunk (&js->res.chunks[0], 2, 4, 1, 0, 0, ""); /* per resource: select stays */
    assert_int_equal (js->join, JOBSPEC_JOIN_OE);
    /* A later -v list replaces an earlier one, as in OpenPBS. */
    assert_string_equal (jobspec_getenv (js, "A"), "cli");
    assert_null (jobspec_getenv (js, "B"));
    jobspec_destroy (js);
}

static void call_order_does_not_matter (void **state)
{
    struct herror err;
    struct jobspec *js = jobspec_create();
    char *argv[] = {"qsub", "-N", "fromcli", "-p", "-3", NULL};

    assert_int_equal (parse_script (js, precedence_script, &err), 0);
    assert_int_equal (jobspec_parse_args (js, 5, argv, &err), 0);
    assert_int_equal (jobspec_finalize (js, CWD, test_env, HOST, &err), 0);
    assert_string_equal (js->name, "fromcli");
    assert_int_equal (js->priority, -3);
    assert_string_equal (js->queue, "sq");
    /* Finalizing again gives the same answer. */
    assert_int_equal (jobspec_finalize (js, CWD, test_env, HOST, &err), 0);
    assert_string_equal (js->name, "fromcli");
    jobspec_destroy (js);
}

static void select_replaces_script_nodes (void **state)
{
    struct jobspec *js = submit_ok ("#PBS -l nodes=4:ppn=2\n", "-l", "select=1:ncpus=8", NULL);

    assert_int_equal (js->res.nchunks, 1);
    assert_chunk (&js->res.chunks[0], 1, 8, 1, 0, 0, "");
    assert_int_equal (js->res.arrangement, RESREQ_FREE);
    jobspec_destroy (js);

    /* ... job-wide resources of the script's old-style request included. */
    js = submit_ok ("#PBS -l nodes=4:ppn=2,mem=8gb,ngpus=1\n", "-l", "select=2:ncpus=3", NULL);
    assert_chunk (&js->res.chunks[0], 2, 3, 1, 0, 0, "");
    jobspec_destroy (js);

    /* Job-wide mem from the command line does not mix with a select. */
    assert_submit_error ("#PBS -l select=2:ncpus=4\n",
                         "-l mem cannot be combined with select: ask for it in the chunks "
                         "(select=N:mem=...)",
                         "-l", "mem=8gb");
}

static void directives_stop_at_first_command (void **state)
{
    struct jobspec *js = submit_ok ("#!/bin/bash\n"
                                    "\n"
                                    "# a comment\n"
                                    "   # an indented comment\n"
                                    "#PBS -N first\n"
                                    "  #PBS -N indented\n"
                                    "#PBSX -N not_a_directive\n"
                                    "#PBS\n"
                                    "\t\n"
                                    "module load openmpi\n"
                                    "#PBS -N after_command\n"
                                    "#PBS -x never read\n",
                                    NULL);
    /* PBS skips the blanks before #PBS: the indented directive counts */
    assert_string_equal (js->name, "indented");
    jobspec_destroy (js);
}

static void directive_words (void **state)
{
    struct jobspec *js = submit_ok ("#PBS -N quoted -v \"A=x y\",B='p q' # trailing comment\n"
                                    "#PBS -l walltime=5 -l ncpus=3\n"
                                    "#PBS -lmem=1gb -hV\n",
                                    NULL);
    assert_string_equal (js->name, "quoted");
    assert_string_equal (jobspec_getenv (js, "A"), "x y");
    assert_string_equal (jobspec_getenv (js, "B"), "p q");
    assert_int_equal (js->res.walltime, 5);
    assert_chunk (&js->res.chunks[0], 1, 3, 1, 0, UINT64_C (1) << 30, "");
    assert_true (js->hold);
    jobspec_destroy (js);
}

static void directive_errors (void **state)
{
    assert_submit_error ("#!/bin/sh\n#PBS -N ok\n\n#PBS -l walltime=1:xx:00\n",
                         "script line 4: \"#PBS -l walltime=1:xx:00\": minutes are not a number",
                         NULL);
    assert_submit_error ("#PBS -l walltime=1:xx  \n",
                         "script line 1: \"#PBS -l walltime=1:xx\": seconds are not a number",
                         NULL);
    assert_submit_error ("#PBS -l select=2:ncpus=4,walltime=x:00:00\n",
                         "script line 1: \"#PBS -l select=2:ncpus=4,walltime=x:00:00\": hours "
                         "are not a number",
                         NULL);
    assert_submit_error ("\n#PBS -x\n", "script line 2: \"#PBS -x\": unknown option -x", NULL);
    assert_submit_error ("#PBS -N\n", "script line 1: \"#PBS -N\": option -N needs a value", NULL);
    assert_submit_error ("#PBS job\n",
                         "script line 1: \"#PBS job\": expected an option, found "
                         "\"job\"",
                         NULL);
    assert_submit_error ("#PBS -N \"a b\"\n",
                         "script line 1: \"#PBS -N \"a b\"\": a job name cannot contain blanks, "
                         "control characters, '/', ':' or '@'",
                         NULL);
    assert_submit_error ("#PBS -N 'open\n",
                         "script line 1: \"#PBS -N 'open\": unterminated ' quote", NULL);
    assert_submit_error ("#PBS -- cmd\n",
                         "script line 1: \"#PBS -- cmd\": expected an option, found \"--\"", NULL);
}

static void command_line_error_texts (void **state)
{
    assert_submit_error ("", "option -l walltime=1:xx:00: minutes are not a number", "-l",
                         "walltime=1:xx:00");
    assert_submit_error ("", "option -l walltime=1:xx: seconds are not a number", "-l",
                         "walltime=1:xx");
    assert_submit_error ("", "option -l walltime=1:xx: seconds are not a number", "-l",
                         "select=1:ncpus=2,walltime=1:xx");
    assert_submit_error (
        "",
        "option -l foo=1: Unknown resource foo (this server knows select, "
        "nodes, procs, ncpus, ngpus, mem, walltime, cput, pcput, vmem, pvmem, pmem, "
        "file, nice, software, host, vnode, arch, place, switches, pgroup)",
        "-l", "foo=1");
    assert_submit_error ("",
                         "option -l walltime: resource \"walltime\" needs a value "
                         "(NAME=VALUE)",
                         "-l", "walltime");
    assert_submit_error ("", "option -l : empty resource (two commas in a row?)", "-l",
                         "ncpus=1,,mem=1gb");
    assert_submit_error ("", "option -l : no resources given", "-l", "");
    assert_submit_error ("", "option -l ncpus=x: ncpus must be a number from 0 to 100000", "-l",
                         "ncpus=x");
    assert_submit_error ("", "option -l mem=4xb: unknown unit \"xb\" (use b, kb, mb, gb or tb)",
                         "-l", "mem=4xb");
    assert_submit_error ("",
                         "option -l nodes=2:ppn=2: select, nodes and procs cannot be used together",
                         "-l", "select=2:ncpus=2,nodes=2:ppn=2");
}

/* A failed parse leaves the jobspec as the last good one made it. */
static void failure_has_no_side_effects (void **state)
{
    struct herror err;
    struct jobspec *js = jobspec_create();
    char *good[] = {"qsub", "-N", "good", "job.sh", NULL};
    char *bad[] = {"qsub", "-N", "other", "-p", "5000", "x.sh", NULL};

    assert_int_equal (jobspec_parse_args (js, 4, good, &err), 0);
    assert_int_equal (jobspec_parse_args (js, 6, bad, &err), -1);
    assert_int_equal (errno, EINVAL);
    assert_int_equal (parse_script (js, "#PBS -q sq\n", &err), 0);
    assert_int_equal (parse_script (js, "#PBS -q other\n#PBS -p x\n", &err), -1);
    assert_int_equal (jobspec_finalize (js, "relative", test_env, HOST, &err), -1);
    assert_string_equal (err.text, "the submit directory \"relative\" is not an absolute path");
    assert_int_equal (jobspec_finalize (js, CWD, test_env, HOST, &err), 0);
    assert_string_equal (js->name, "good");
    assert_string_equal (js->queue, "sq");
    assert_string_equal (js->script, "#PBS -q sq\n");
    assert_string_equal (js->script_path, "job.sh");
    jobspec_destroy (js);

    errno = ENOENT;
    jobspec_destroy (NULL);
    assert_int_equal (errno, ENOENT);
}

/* --- -l values --- */

static void walltime_forms (void **state)
{
    static const struct {
        const char *in;
        int64_t secs;
    } ok[] = {
        {"30", 30},         {"90:00", 5400},       {"1:30:00", 5400},
        {"01:02:03", 3723}, {"100:00:00", 360000}, {"0:0:10", 10},
        {"10.4", 10},       {"10.6", 11},          {"1:00:00.5", 3601},
        {"0", 0},           {"1:90:00", 9000},     {"007", 7},
    };
    static const struct {
        const char *in;
        const char *msg;
    } bad[] = {
        {"", "no time given (use [[hours:]minutes:]seconds)"},
        {"a", "seconds are not a number"},
        {"-5", "seconds are not a number"},
        {"1:2:3:4", "too many fields (use [[hours:]minutes:]seconds)"},
        {"x:00:00", "hours are not a number"},
        {"1:xx:00", "minutes are not a number"},
        {"1::00", "minutes are not a number"},
        {"1:00:", "seconds are not a number"},
        {"1:00:0x", "seconds are not a number"},
        {"1:00:00.x", "seconds are not a number"},
        {" 1", "seconds are not a number"},
        {"99999999999:00:00", "more than 100 years"},
        {"99999999999999999999999", "more than 100 years"},
    };
    struct herror err;

    for (size_t i = 0; i < sizeof (ok) / sizeof (ok[0]); i++) {
        int64_t secs = -1;
        if (pbs_walltime_parse (ok[i].in, &secs, &err) < 0)
            fail_msg ("walltime \"%s\": %s", ok[i].in, err.text);
        assert_int_equal (secs, ok[i].secs);
    }
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        int64_t secs = -7;
        assert_int_equal (pbs_walltime_parse (bad[i].in, &secs, &err), -1);
        assert_int_equal (errno, EINVAL);
        assert_int_equal (secs, -7);
        assert_string_equal (err.text, bad[i].msg);
    }
}

static void size_units (void **state)
{
    static const struct {
        const char *in;
        uint64_t bytes;
    } ok[] = {
        {"1", 1},
        {"1b", 1},
        {"1w", 8},
        {"2kb", 2048},
        {"2k", 2048},
        {"2kw", 16384},
        {"3mb", 3 << 20},
        {"3m", 3 << 20},
        {"3mw", 24 << 20},
        {"4gb", UINT64_C (4) << 30},
        {"4g", UINT64_C (4) << 30},
        {"4GB", UINT64_C (4) << 30},
        {"1gw", UINT64_C (8) << 30},
        {"1tb", UINT64_C (1) << 40},
        {"1t", UINT64_C (1) << 40},
        {"1tw", UINT64_C (8) << 40},
        {"1024tb", UINT64_C (1) << 50},
        {"0", 0},
    };
    static const struct {
        const char *in;
        const char *msg;
    } bad[] = {
        {"", "no size given (e.g. 4gb)"},
        {"gb", "\"gb\" is not a size (e.g. 4gb, 512mb)"},
        {"4xb", "unknown unit \"xb\" (use b, kb, mb, gb or tb)"},
        {"4 gb", "unknown unit \" gb\" (use b, kb, mb, gb or tb)"},
        {"1.5gb", "unknown unit \".5gb\" (use b, kb, mb, gb or tb)"},
        {"1025tb", "\"1025tb\" is more than the limit of 1048576gb"},
        {"99999999999999999999999", "\"99999999999999999999999\" is more than the limit of "
                                    "1048576gb"},
    };
    struct herror err;

    for (size_t i = 0; i < sizeof (ok) / sizeof (ok[0]); i++) {
        uint64_t bytes = 99;
        if (pbs_size_parse (ok[i].in, &bytes, &err) < 0)
            fail_msg ("size \"%s\": %s", ok[i].in, err.text);
        assert_true (bytes == ok[i].bytes);
    }
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        uint64_t bytes = 99;
        assert_int_equal (pbs_size_parse (bad[i].in, &bytes, &err), -1);
        assert_true (bytes == 99);
        assert_string_equal (err.text, bad[i].msg);
    }
}

static void select_chunks (void **state)
{
    struct jobspec *js = submit_ok (
        "", "-l", "select=2:ncpus=4:mpiprocs=4:mem=4gb+1:ncpus=1:ngpus=2:host=n01+ngpus=1:ncpus=0",
        NULL);

    assert_int_equal (js->res.nchunks, 3);
    assert_chunk (&js->res.chunks[0], 2, 4, 4, 0, UINT64_C (4) << 30, "");
    assert_chunk (&js->res.chunks[1], 1, 1, 1, 2, 0, "n01");
    assert_chunk (&js->res.chunks[2], 1, 0, 0, 1, 0, "");
    assert_int_equal (resreq_total_ncpus (&js->res), 9);
    assert_int_equal (resreq_total_ngpus (&js->res), 3);
    assert_int_equal (resreq_total_mpiprocs (&js->res), 9);
    jobspec_destroy (js);

    js = submit_ok ("", "-l", "select=ncpus=8:mem=512mb", NULL);
    assert_chunk (&js->res.chunks[0], 1, 8, 1, 0, UINT64_C (512) << 20, "");
    jobspec_destroy (js);
}

static void select_errors (void **state)
{
    static const struct {
        const char *in;
        const char *msg;
    } bad[] = {
        {"", "no chunks given"},
        {"0:ncpus=1", "chunk count must be at least 1"},
        {"100001:ncpus=1", "chunk count 100001 is more than 100000"},
        {"2:ncpus=x", "ncpus \"x\" is not a number"},
        {"2:ncpus=-1", "ncpus \"-1\" is not a number"},
        {"2:ncpus=", "ncpus \"\" is not a number"},
        {"2:foo=False", "foo=False: asking for nodes without a label is not supported"},
        {"2:1foo=1", "\"1foo\" is not a resource or node property name"},
        {"2:foo=a,b", "foo: \"a,b\" is not a label value (letters, digits, '.', '_', '-')"},
        {"2:ncpus=1:ncpus=2", "ncpus is given twice"},
        {"ncpus=0", "a chunk needs ncpus or ngpus above 0"},
        {"2:ncpus=4+", "chunk 2: empty chunk"},
        {"abc", "\"abc\" is neither a chunk count nor resource=value"},
        {"2:abc", "\"abc\" is not resource=value"},
        {"1:mem=4q", "mem \"4q\": unknown unit \"q\" (use b, kb, mb, gb or tb)"},
        {"1:host=-bad", "host \"-bad\" is not a valid host name"},
        {"1:ncpus=1+1:ngpus=x", "chunk 2: ngpus \"x\" is not a number"},
        {"100000:ncpus=1+1:ncpus=1", "100001 chunks in all is more than 100000"},
        {"100000:ncpus=50000", "the request adds up to more than 2147483647 cpus, ranks or gpus"},
    };
    struct herror err;
    struct resreq r = {0};

    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        assert_int_equal (pbs_select_parse (bad[i].in, &r, &err), -1);
        assert_int_equal (errno, EINVAL);
        assert_int_equal (r.nchunks, 0);
        assert_string_equal (err.text, bad[i].msg);
    }

    /* RESREQ_MAX_CHUNKS chunks pass, one more does not. */
    size_t len = RESREQ_MAX_CHUNKS * 8 + 16;
    char *many = malloc (len);
    assert_non_null (many);
    many[0] = '\0';
    for (int i = 0; i < RESREQ_MAX_CHUNKS; i++)
        strcat (many, i ? "+ncpus=1" : "ncpus=1");
    assert_int_equal (pbs_select_parse (many, &r, &err), 0);
    assert_int_equal (r.nchunks, RESREQ_MAX_CHUNKS);
    strcat (many, "+");
    assert_int_equal (pbs_select_parse (many, &r, &err), -1);
    assert_string_equal (err.text, "more than 4096 chunks");
    assert_int_equal (r.nchunks, RESREQ_MAX_CHUNKS); /* untouched */
    free (many);
    resreq_clear (&r);
}

static void nodes_translate_to_select (void **state)
{
    struct jobspec *js = submit_ok ("#PBS -l nodes=2:ppn=8\n", NULL);

    assert_int_equal (js->res.nchunks, 1);
    assert_chunk (&js->res.chunks[0], 2, 8, 8, 0, 0, "");
    assert_int_equal (js->res.arrangement, RESREQ_SCATTER);
    jobspec_destroy (js);

    js = submit_ok ("", "-l", "nodes=1:ppn=4:gpus=2+n05:ppn=2+3", "-l", "place=pack", NULL);
    assert_int_equal (js->res.nchunks, 3);
    assert_chunk (&js->res.chunks[0], 1, 4, 4, 2, 0, "");
    assert_chunk (&js->res.chunks[1], 1, 2, 2, 0, 0, "n05");
    assert_chunk (&js->res.chunks[2], 3, 1, 1, 0, 0, "");
    assert_int_equal (js->res.arrangement, RESREQ_PACK);
    jobspec_destroy (js);

    /* Torque's job-wide mem with nodes is spread over the chunks. */
    js = submit_ok ("", "-l", "nodes=4:ppn=2,mem=10gb", NULL);
    assert_chunk (&js->res.chunks[0], 4, 2, 2, 0, (UINT64_C (10) << 30) / 4, "");
    jobspec_destroy (js);

    /* Torque's node properties are node labels */
    js = submit_ok ("", "-l", "nodes=2:ppn=4:gen2:ib", NULL);
    assert_chunk (&js->res.chunks[0], 2, 4, 4, 0, 0, "");
    assert_string_equal (js->res.chunks[0].labels, "gen2,ib");
    jobspec_destroy (js);
    assert_submit_error ("",
                         "option -l nodes=2:mem=1gb: unknown nodes resource \"mem\" (known: "
                         "ppn, gpus)",
                         "-l", "nodes=2:mem=1gb");
    assert_submit_error ("", "-l ncpus cannot be combined with nodes (use nodes=N:ppn=M)", "-l",
                         "nodes=2,ncpus=4");
    /* A property named as a select resource would show in qstat as that
     * resource ("select=2:ncpus=1:mpiprocs=True"): refused (found by
     * tests/fuzz/fuzz_resources). */
    assert_submit_error ("",
                         "option -l nodes=2:mpiprocs: mpiprocs is a resource (mpiprocs=VALUE), "
                         "not a node property",
                         "-l", "nodes=2:mpiprocs");
    struct herror err = {""};
    assert_int_equal (pbs_labels_check ("ib,ncpus", &err), -1);
    assert_int_equal (pbs_labels_check ("ib,ncpus_max", &err), 0);
    /* select reads gpu=1 as gpu and refuses gpu=0: a stored label with a
     * boolean value would print as another request (tests/fuzz/regress/
     * jobspec_json/label-boolean-value) */
    assert_int_equal (pbs_labels_check ("gpu_type=0,arch=linux", &err), -1);
    assert_string_equal (err.text, "\"gpu_type=0\": a label's value cannot be true or false");
    assert_int_equal (pbs_labels_check ("ib=TRUE", &err), -1);
    assert_int_equal (pbs_labels_check ("gpu_type=a100,rack=10", &err), 0);
}

static void job_level_resources (void **state)
{
    struct jobspec *js = submit_ok ("", "-l", "ncpus=4,mem=2gb,ngpus=1", NULL);

    assert_int_equal (js->res.nchunks, 1);
    assert_chunk (&js->res.chunks[0], 1, 4, 1, 1, UINT64_C (2) << 30, "");
    jobspec_destroy (js);

    js = submit_ok ("", "-l", "ngpus=2", NULL);
    assert_chunk (&js->res.chunks[0], 1, 1, 1, 2, 0, "");
    jobspec_destroy (js);

    /* Later values of one resource replace earlier ones. */
    js = submit_ok ("", "-l", "ncpus=2", "-l", "ncpus=6,walltime=10,walltime=20", NULL);
    assert_chunk (&js->res.chunks[0], 1, 6, 1, 0, 0, "");
    assert_int_equal (js->res.walltime, 20);
    jobspec_destroy (js);

    assert_submit_error ("",
                         "-l ncpus cannot be combined with select: ask for it in the chunks "
                         "(select=N:ncpus=...)",
                         "-l", "select=2:ncpus=2,ncpus=4");
    assert_submit_error ("", "-l: chunk 1: a chunk needs ncpus or ngpus above 0", "-l", "ncpus=0");
}

static void place_combinations (void **state)
{
    static const struct {
        const char *in;
        enum resreq_arrangement arr;
        enum resreq_sharing shr;
    } ok[] = {
        {"pack", RESREQ_PACK, RESREQ_SHARED},
        {"scatter", RESREQ_SCATTER, RESREQ_SHARED},
        {"free", RESREQ_FREE, RESREQ_SHARED},
        {"excl", RESREQ_FREE, RESREQ_EXCL},
        {"pack:excl", RESREQ_PACK, RESREQ_EXCL},
        {"excl:pack", RESREQ_PACK, RESREQ_EXCL},
        {"scatter:exclhost", RESREQ_SCATTER, RESREQ_EXCLHOST},
        {"exclhost:scatter", RESREQ_SCATTER, RESREQ_EXCLHOST},
        {"free:shared", RESREQ_FREE, RESREQ_SHARED},
        {"shared:scatter", RESREQ_SCATTER, RESREQ_SHARED},
    };
    static const struct {
        const char *in;
        const char *msg;
    } bad[] = {
        {"", "no placement given (use pack, scatter or free)"},
        {"spread", "unknown placement \"spread\" (use pack, scatter or free, and excl, shared or "
                   "exclhost)"},
        {"pack:scatter", "arrangement given twice"},
        {"excl:shared", "sharing given twice"},
        {"pack:excl:x", "unknown placement \"x\" (use pack, scatter or free, and excl, shared "
                        "or exclhost)"},
        {"pack:excl:group=switch:x",
         "too many parts (use ARRANGEMENT[:SHARING][:group=switch], e.g. scatter:excl)"},
        {"pack:", "unknown placement \"\" (use pack, scatter or free, and excl, shared or "
                  "exclhost)"},
        {"group=rack", "unknown group \"rack\" (nodes are grouped by switch: use group=switch)"},
        {"group=switch:group=switch", "group given twice"},
    };
    struct herror err;

    for (size_t i = 0; i < sizeof (ok) / sizeof (ok[0]); i++) {
        enum resreq_arrangement arr = 99;
        enum resreq_sharing shr = 99;
        bool group = true;
        if (pbs_place_parse (ok[i].in, &arr, &shr, &group, &err) < 0)
            fail_msg ("place \"%s\": %s", ok[i].in, err.text);
        assert_int_equal (arr, ok[i].arr);
        assert_int_equal (shr, ok[i].shr);
        assert_false (group);
    }
    /* group=switch in any position, and refused where it has no meaning */
    static const char *const grouped[] = {"scatter:excl:group=switch", "group=switch",
                                          "group=switch:pack", "free:group=switch:shared"};
    for (size_t i = 0; i < sizeof (grouped) / sizeof (grouped[0]); i++) {
        enum resreq_arrangement arr;
        enum resreq_sharing shr;
        bool group = false;
        if (pbs_place_parse (grouped[i], &arr, &shr, &group, &err) < 0)
            fail_msg ("place \"%s\": %s", grouped[i], err.text);
        assert_true (group);
    }
    enum resreq_arrangement a0;
    enum resreq_sharing s0;
    assert_int_equal (pbs_place_parse ("scatter:group=switch", &a0, &s0, NULL, &err), -1);
    assert_string_equal (err.text, "group= is not allowed here");
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        enum resreq_arrangement arr = 99;
        enum resreq_sharing shr = 99;
        bool group = false;
        assert_int_equal (pbs_place_parse (bad[i].in, &arr, &shr, &group, &err), -1);
        assert_int_equal (arr, 99);
        assert_int_equal (shr, 99);
        assert_string_equal (err.text, bad[i].msg);
    }
}

/* switches=N[@[[HH:]MM:]SS] (Slurm's --switches) */
static void switches_values (void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int max;
        int64_t wait;
    } ok[] = {
        {"1", 1, -1}, {"4@30", 4, 30}, {"2@10:00", 2, 600}, {"3@1:00:00", 3, 3600}, {"2@0", 2, 0},
    };
    static const struct {
        const char *in;
        const char *msg;
    } bad[] = {
        {"", "no switch count given (use N or N@[[HH:]MM:]SS)"},
        {"0", "switch count \"0\" is not a number from 1 to 100000"},
        {"x", "switch count \"x\" is not a number from 1 to 100000"},
        {"@10", "switch count \"\" is not a number from 1 to 100000"},
        {"99999999999", "switch count \"99999999999\" is not a number from 1 to 100000"},
        {"2@", "wait after @: missing (use N@[[HH:]MM:]SS)"},
    };
    struct herror err;
    for (size_t i = 0; i < sizeof (ok) / sizeof (ok[0]); i++) {
        int max = 0;
        int64_t wait = 0;
        if (pbs_switches_parse (ok[i].in, &max, &wait, &err) < 0)
            fail_msg ("switches \"%s\": %s", ok[i].in, err.text);
        assert_int_equal (max, ok[i].max);
        assert_int_equal (wait, ok[i].wait);
    }
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        int max = 7;
        int64_t wait = 7;
        assert_int_equal (pbs_switches_parse (bad[i].in, &max, &wait, &err), -1);
        assert_int_equal (max, 7);
        assert_int_equal (wait, 7);
        assert_string_equal (err.text, bad[i].msg);
    }
    int max;
    int64_t wait;
    assert_int_equal (pbs_switches_parse ("2@1:xx", &max, &wait, &err), -1);
    assert_non_null (strstr (err.text, "wait after @: "));

    /* through qsub and the job request JSON, both ways */
    struct jobspec *js = submit_ok ("", "-l", "select=4:ncpus=2,place=scatter:group=switch", "-l",
                                    "switches=2@5:00", NULL);
    assert_true (js->res.group_switch);
    assert_int_equal (js->res.max_switches, 2);
    assert_int_equal (js->res.switches_wait, 300);
    json_t *o = jobspec_to_json (js);
    struct jobspec *back = jobspec_from_json (o, &err);
    assert_non_null (back);
    assert_true (back->res.group_switch);
    assert_int_equal (back->res.max_switches, 2);
    assert_int_equal (back->res.switches_wait, 300);
    jobspec_destroy (back);
    json_decref (o);
    jobspec_destroy (js);
    js = submit_ok ("", "-l", "select=2", NULL);
    assert_false (js->res.group_switch);
    assert_int_equal (js->res.max_switches, 0);
    o = jobspec_to_json (js);
    assert_null (json_object_get (o, "switches"));
    assert_null (json_object_get (json_object_get (o, "place"), "group"));
    json_decref (o);
    jobspec_destroy (js);
}

/* pgroup=NAME: a placement group name, carried through the job request. */
static void pgroup_values (void **state)
{
    struct herror err = {{0}};
    (void)state;
    struct jobspec *js = submit_ok ("#PBS -l pgroup=fromscript\n", "-l", "pgroup=web-1.a", NULL);
    assert_string_equal (js->res.pgroup, "web-1.a"); /* the command line wins */
    json_t *o = jobspec_to_json (js);
    assert_string_equal (json_string_value (json_object_get (o, "pgroup")), "web-1.a");
    struct jobspec *back = jobspec_from_json (o, &err);
    assert_non_null (back);
    assert_string_equal (back->res.pgroup, "web-1.a");
    jobspec_destroy (back);
    json_object_set_new (o, "pgroup", json_string ("a/b"));
    assert_null (jobspec_from_json (o, &err));
    json_decref (o);
    jobspec_destroy (js);
    js = submit_ok ("#PBS -l pgroup=fromscript\n", NULL);
    assert_string_equal (js->res.pgroup, "fromscript");
    jobspec_destroy (js);
    js = submit_ok ("", "-l", "select=2", NULL);
    assert_string_equal (js->res.pgroup, "");
    o = jobspec_to_json (js);
    assert_null (json_object_get (o, "pgroup"));
    json_decref (o);
    jobspec_destroy (js);
    assert_submit_error (
        "",
        "option -l pgroup=a/b: pgroup: illegal placement group name (letters, digits, "
        "'_', '-', '.'; at most 64)",
        "-l", "pgroup=a/b");
}

/* --- environment --- */

static void variables (void **state)
{
    struct jobspec *js =
        submit_ok ("", "-v", "FOO,BAR=1,NOTSET,Q='a,b',R=\"x\",EMPTY,E=", "-q", "batch", NULL);

    assert_string_equal (jobspec_getenv (js, "FOO"), "fooval"); /* bare: from the environment */
    assert_string_equal (jobspec_getenv (js, "BAR"), "1");
    assert_null (jobspec_getenv (js, "NOTSET"));
    assert_string_equal (jobspec_getenv (js, "Q"), "a,b");
    assert_string_equal (jobspec_getenv (js, "R"), "x");
    assert_string_equal (jobspec_getenv (js, "EMPTY"), "");
    assert_string_equal (jobspec_getenv (js, "E"), "");
    assert_null (jobspec_getenv (js, "HOME")); /* no -V */
    assert_string_equal (jobspec_getenv (js, "PBS_O_HOME"), "/home/u");
    assert_string_equal (jobspec_getenv (js, "PBS_O_PATH"), "/usr/bin:/bin");
    assert_string_equal (jobspec_getenv (js, "PBS_O_LOGNAME"), "u");
    assert_string_equal (jobspec_getenv (js, "PBS_O_SHELL"), "/bin/bash");
    assert_string_equal (jobspec_getenv (js, "PBS_O_LANG"), "C.UTF-8");
    assert_null (jobspec_getenv (js, "PBS_O_MAIL")); /* not set: not passed */
    assert_null (jobspec_getenv (js, "PBS_O_TZ"));
    assert_string_equal (jobspec_getenv (js, "PBS_O_WORKDIR"), CWD);
    assert_string_equal (jobspec_getenv (js, "PBS_O_HOST"), HOST);
    assert_string_equal (jobspec_getenv (js, "PBS_O_QUEUE"), "batch");
    assert_non_null (jobspec_getenv (js, "PBS_O_SYSTEM"));
    jobspec_destroy (js);

    /* -V passes everything with a valid name; -v and PBS_O_* win over it. */
    js = submit_ok ("", "-V", "-v", "FOO=override", NULL);
    assert_string_equal (jobspec_getenv (js, "HOME"), "/home/u");
    assert_string_equal (jobspec_getenv (js, "FOO"), "override");
    assert_string_equal (jobspec_getenv (js, "PBS_O_HOME"), "/home/u");
    assert_null (jobspec_getenv (js, "1BAD"));
    assert_null (jobspec_getenv (js, "weird"));
    assert_null (jobspec_getenv (js, "PBS_O_QUEUE"));
    for (int i = 0; i < js->nenv; i++) {
        for (int j = i + 1; j < js->nenv; j++)
            assert_string_not_equal (js->env[i].name, js->env[j].name);
    }
    jobspec_destroy (js);

    /* -V with an environment too big for the controller fails here, not there. */
    struct herror err;
    char **big = calloc (JOBSPEC_MAX_ENV + 2, sizeof (*big));
    char *argv[] = {"qsub", "-V", NULL};
    for (int i = 0; i <= JOBSPEC_MAX_ENV; i++) {
        big[i] = malloc (32);
        snprintf (big[i], 32, "V%d=x", i);
    }
    js = jobspec_create();
    assert_int_equal (jobspec_parse_args (js, 2, argv, &err), 0);
    assert_int_equal (parse_script (js, "", &err), 0);
    assert_int_equal (jobspec_finalize (js, CWD, big, HOST, &err), -1);
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "more than 4096"));
    /* A long FQDN is a fine submit host. */
    const char *fqdn = "login-node-0001.a-rather-long-cluster-domain-name.department.example.org";
    assert_int_equal (jobspec_finalize (js, CWD, test_env, fqdn, &err), 0);
    assert_string_equal (jobspec_getenv (js, "PBS_O_HOST"), fqdn);
    json_t *o = jobspec_to_json (js);
    struct jobspec *back = jobspec_from_json (o, &err);
    assert_non_null (back);
    jobspec_destroy (back);
    json_decref (o);
    jobspec_destroy (js);
    for (int i = 0; i <= JOBSPEC_MAX_ENV; i++)
        free (big[i]);
    free (big);

    assert_submit_error ("", "option -v 1A=2: \"1A\" is not a variable name", "-v", "1A=2");
    /* A long name is quoted short, in the option and in the reason. */
    char longname[JOBSPEC_MAX_ENV_NAME + 4], longopt[JOBSPEC_MAX_ENV_NAME + 8];
    memset (longname, 'A', JOBSPEC_MAX_ENV_NAME + 1);
    longname[JOBSPEC_MAX_ENV_NAME + 1] = '\0';
    snprintf (longopt, sizeof (longopt), "%s=1", longname);
    assert_submit_error ("",
                         "option -v AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...: "
                         "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...\" is not a variable name",
                         "-v", longopt);
    assert_submit_error ("", "option -v A=1,: empty variable name after ','", "-v", "A=1,");
    assert_submit_error ("", "option -v A=1,,B: \"\" is not a variable name", "-v", "A=1,,B");
    assert_submit_error ("", "option -v A='x: the value of A has no closing '", "-v", "A='x");
    assert_submit_error ("", "option -v A='x'y: expected ',' after the quoted value of A", "-v",
                         "A='x'y");
}

static void dependencies (void **state)
{
    static const char *const good[] = {
        "afterok:12",
        "afterok:12:13.srv",
        "afternotok:1.server.example.com",
        "afterany:5,before:6",
        "after:7,beforeok:8:9,beforenotok:10,beforeany:11[]",
        "afterok:12[3].srv",
        "afterok:12.srv@srv:13@srv",
    };
    static const struct {
        const char *in;
        const char *msg;
    } bad[] = {
        {"", "no dependency given (e.g. depend=afterok:123)"},
        {"afterok", "dependency \"afterok\" names no job (use afterok:JOBID)"},
        {"afterok:", "\"\" is not a job id (e.g. 123 or 123.server)"},
        {"afterok:abc", "\"abc\" is not a job id (e.g. 123 or 123.server)"},
        {"afterok:1.", "\"1.\" is not a job id (e.g. 123 or 123.server)"},
        {"afterok:1,", "unknown dependency type \"\" (use after, afterok, afternotok, afterany, "
                       "before, beforeok, beforenotok or beforeany)"},
        {"on:2", "unknown dependency type \"on\" (use after, afterok, afternotok, afterany, "
                 "before, beforeok, beforenotok or beforeany)"},
        {"afterok:1[", "\"1[\" is not a job id (e.g. 123 or 123.server)"},
        {"afterok::1", "\"\" is not a job id (e.g. 123 or 123.server)"},
        {"afterok:1@", "\"1@\" is not a job id (e.g. 123 or 123.server)"},
        {"afterok:1.a@b@c", "\"1.a@b@c\" is not a job id (e.g. 123 or 123.server)"},
    };
    struct herror err;

    for (size_t i = 0; i < sizeof (good) / sizeof (good[0]); i++) {
        if (jobspec_check_depend (good[i], &err) < 0)
            fail_msg ("depend \"%s\": %s", good[i], err.text);
    }
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        assert_int_equal (jobspec_check_depend (bad[i].in, &err), -1);
        assert_string_equal (err.text, bad[i].msg);
    }
    assert_submit_error ("",
                         "option -W depend=afterok:: \"\" is not a job id (e.g. 123 or "
                         "123.server)",
                         "-W", "depend=afterok:");
    /* Well formed: kept for the controller, from the command line or the
     * script (the command line wins) */
    struct jobspec *js = submit_ok ("#!/bin/sh\n#PBS -W depend=afterany:3\n", NULL);
    assert_string_equal (js->depend, "afterany:3");
    jobspec_destroy (js);
    js = submit_ok ("#!/bin/sh\n#PBS -W depend=afterany:3\n", "-W", "depend=afterok:12.srv:13",
                    NULL);
    assert_string_equal (js->depend, "afterok:12.srv:13");
    jobspec_destroy (js);
}

/* Everything qsub sends is JSON text: a NUL byte or bytes that are not
 * UTF-8 are refused where they are, naming the line, option, argument or
 * variable, and never reported as a lack of memory. */
static void text_on_the_wire (void **state)
{
    struct herror err;
    struct jobspec *js = jobspec_create();
    static const char nul_script[] = "#!/bin/sh\n# c \0 x\necho line3\n";

    /* A NUL used to end the script silently after "# c ". */
    assert_int_equal (jobspec_parse_script (js, nul_script, sizeof (nul_script) - 1, &err), -1);
    assert_int_equal (errno, EINVAL);
    assert_string_equal (err.text, "script line 2: contains a NUL byte (a job script is text)");
    assert_null (js->script);
    /* Checked past the directives too: line 3 is a command. */
    assert_int_equal (parse_script (js, "#!/bin/sh\necho ok\necho \xe9t\xe9\n", &err), -1);
    assert_string_equal (err.text, "script line 3: not valid UTF-8 (scripts are sent as UTF-8 "
                                   "text; convert it, e.g. with iconv -f LATIN1 -t UTF-8)");
    /* Overlong forms and surrogates are not UTF-8 either (jansson agrees). */
    assert_int_equal (parse_script (js, "echo \xc0\xaf\n", &err), -1);
    assert_int_equal (parse_script (js, "echo \xed\xa0\x80\n", &err), -1);
    /* UTF-8 is carried as is, in directives too. */
    assert_int_equal (parse_script (js,
                                    "#PBS -v GREETING=gr\xc3\xbc\xc3\x9f\n"
                                    "echo caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n",
                                    &err),
                      0);
    assert_int_equal (jobspec_finalize (js, CWD, test_env, HOST, &err), 0);
    assert_string_equal (jobspec_getenv (js, "GREETING"), "gr\xc3\xbc\xc3\x9f");
    json_t *o = jobspec_to_json (js);
    assert_non_null (o);
    json_decref (o);
    jobspec_destroy (js);

    assert_submit_error ("", "option -v X=?: the value of X is not valid UTF-8", "-v", "X=\xff");
    assert_submit_error ("", "option -v A=1,X='?': the value of X is not valid UTF-8", "-v",
                         "A=1,X='\xff'");
    assert_submit_error (NULL, "argument 2 of the command (after \"--\") is not valid UTF-8", "--",
                         "echo", "\xff", NULL);
    assert_submit_error ("", "option -o /tmp/?: the path is not valid UTF-8", "-o", "/tmp/\xff");
    assert_submit_error ("", "option -e h:?: the path is not valid UTF-8", "-e", "h:\xff");
    /* found by tests/fuzz/fuzz_jobspec_args: qsub took it, then could not
     * encode the request */
    assert_submit_error ("", "option -S /b?n/bash: the value is not valid UTF-8", "-S",
                         "/b\xf7n/bash");
    assert_submit_error ("",
                         "the script's file name \"job?.sh\" is not valid UTF-8: rename the "
                         "file or give the script on standard input",
                         "job\xff.sh");

    /* Values taken from the environment, and the submit directory. */
    char *const bad_env[] = {"HOME=/home/u", "LATIN=caf\xe9", "PATH=/bin", NULL};
    char *const bad_home[] = {"HOME=/home/\xe9", NULL};
    const struct {
        const char *opt;
        char *const *env;
        const char *cwd, *msg;
    } cases[] = {
        {"-V", bad_env, CWD, "the environment variable LATIN is not valid UTF-8: unset or fix it"},
        {"-vLATIN", bad_env, CWD,
         "the environment variable LATIN is not valid UTF-8: unset or fix it"},
        {"-h", bad_home, CWD,
         "the environment variable HOME (sent as PBS_O_HOME) is not valid UTF-8: unset or fix it"},
        {"-h", test_env, "/home/\xe9",
         "the submit directory's path is not valid UTF-8: submit from another directory"},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        char *argv[] = {"qsub", (char *)cases[i].opt, NULL};
        js = jobspec_create();
        assert_int_equal (jobspec_parse_args (js, 2, argv, &err), 0);
        assert_int_equal (parse_script (js, "true\n", &err), 0);
        errno = 0;
        assert_int_equal (jobspec_finalize (js, cases[i].cwd, cases[i].env, HOST, &err), -1);
        assert_int_equal (errno, EINVAL);
        assert_string_equal (err.text, cases[i].msg);
        jobspec_destroy (js);
    }
    /* The same with a good environment goes through. */
    char *argv[] = {"qsub", "-V", NULL};
    js = jobspec_create();
    assert_int_equal (jobspec_parse_args (js, 2, argv, &err), 0);
    assert_int_equal (parse_script (js, "true\n", &err), 0);
    assert_int_equal (jobspec_finalize (js, CWD, test_env, HOST, &err), 0);
    jobspec_destroy (js);
}

/* A value too long to be right is quoted short, not echoed whole. */
static void long_values_quoted_short (void **state)
{
    static char name[100 * 1024 + 1], longpath[8192];
    struct herror e;

    memset (name, 'a', sizeof (name) - 1);
    struct jobspec *js = submit (NULL, &e, "-N", name, "--", "true", NULL);
    assert_null (js);
    assert_string_equal (e.text, "option -N aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...: a job name "
                                 "has at most 236 characters");
    /* Cut at a character, never inside one. */
    char euro[3 * 40 + 1] = "";
    for (int i = 0; i < 40; i++)
        strcat (euro, "\xe2\x82\xac");
    js = submit (NULL, &e, "-N", euro, "--", "true", NULL);
    assert_null (js);
    assert_non_null (strstr (e.text, "...: a job name must start"));
    assert_true (utf8_valid (e.text));

    memset (longpath, 'p', sizeof (longpath) - 1);
    memcpy (longpath, "host:", 5);
    js = submit (NULL, &e, "-o", longpath, "--", "true", NULL);
    assert_non_null (js); /* a long relative path is fine */
    jobspec_destroy (js);
    longpath[0] = '-';
    js = submit (NULL, &e, "-o", longpath, "--", "true", NULL);
    assert_null (js);
    assert_true (strlen (e.text) < 120);
    /* -l values are quoted short in the option and in the reason. */
    static const char *const lists[] = {
        "mem=", "select=1:mem=", "select=", "nodes=", "place=", "ncpus=", "select=1:host="};
    for (size_t i = 0; i < sizeof (lists) / sizeof (lists[0]); i++) {
        static char opt[4096];
        snprintf (opt, sizeof (opt), "%s%.3000s", lists[i], name);
        js = submit (NULL, &e, "-l", opt, "--", "true", NULL);
        assert_null (js);
        if (strlen (e.text) > 200)
            fail_msg ("-l %s...: %zu bytes: %s", lists[i], strlen (e.text), e.text);
    }
    js = submit (NULL, &e, "-l", name, "--", "true", NULL);
    assert_null (js);
    assert_true (strlen (e.text) < 200);
    assert_submit_error ("",
                         "unexpected argument \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb...\" "
                         "after the script (options go before it)",
                         "job.sh",
                         "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
}

/* "12.SERVER" names this server's job 12 when SERVER is its name or a
 * longer domain name of it. */
static void server_part_of_job_ids (void **state)
{
    assert_true (jobspec_server_matches ("vm", "vm"));
    assert_true (jobspec_server_matches ("VM", "vm"));
    assert_true (jobspec_server_matches ("vm.example.com", "vm"));
    assert_false (jobspec_server_matches ("otherserver", "vm"));
    assert_false (jobspec_server_matches ("vmx", "vm"));
    assert_false (jobspec_server_matches ("vm.", "vm"));
    assert_false (jobspec_server_matches ("v", "vm"));
    assert_false (jobspec_server_matches ("", "vm"));
    assert_false (jobspec_server_matches (NULL, "vm"));
    assert_false (jobspec_server_matches ("vm", ""));
}

/* --- JSON --- */

static json_t *good_request (void)
{
    struct jobspec *js =
        submit_ok ("#!/bin/sh\n#PBS -N rt\nmpirun ./a.out\n", "-q", "batch", "-o", "o.txt", "-e",
                   "n01:e.txt", "-j", "eo", "-l",
                   "select=2:ncpus=4:mpiprocs=2:mem=1gb+1:ngpus=1:host=gpu01,walltime=2:00:00",
                   "-l", "place=scatter:exclhost", "-p", "7", "-h", "-r", "n", "-v", "A=b", NULL);
    json_t *o = jobspec_to_json (js);

    assert_non_null (o);
    jobspec_destroy (js);
    return o;
}

static void json_round_trip (void **state)
{
    struct herror err;
    json_t *o = good_request();
    struct jobspec *js = jobspec_from_json (o, &err);

    if (!js)
        fail_msg ("from_json: %s", err.text);
    json_t *again = jobspec_to_json (js);
    assert_true (json_equal (o, again));
    assert_string_equal (js->name, "rt");
    assert_int_equal (js->res.nchunks, 2);
    assert_chunk (&js->res.chunks[1], 1, 1, 1, 1, 0, "gpu01");
    assert_int_equal (js->res.walltime, 7200);
    assert_int_equal (js->res.sharing, RESREQ_EXCLHOST);
    assert_string_equal (json_string_value (json_object_get (o, "join")), "eo");
    assert_int_equal (json_integer_value (json_object_get (
                          json_array_get (json_object_get (o, "chunks"), 0), "mem")),
                      1 << 30);
    assert_null (json_object_get (o, "argv"));
    assert_null (json_object_get (o, "array_index"));
    json_decref (again);
    jobspec_destroy (js);
    json_decref (o);

    /* Command mode carries argv; array_index goes through. */
    js = submit_ok (NULL, "--", "hostname", NULL);
    js->array_index = 4;
    o = jobspec_to_json (js);
    jobspec_destroy (js);
    js = jobspec_from_json (o, &err);
    assert_non_null (js);
    assert_int_equal (js->argc, 1);
    assert_string_equal (js->argv[0], "hostname");
    assert_null (js->argv[1]);
    assert_int_equal (js->array_index, 4);
    again = jobspec_to_json (js);
    assert_true (json_equal (o, again));
    json_decref (again);
    json_decref (o);
    jobspec_destroy (js);
}

static void json_needs_utf8 (void **state)
{
    /* The parsers refuse such text (text_on_the_wire); should some slip
     * through, jobspec_to_json() says EILSEQ, not ENOMEM. */
    struct jobspec *js = submit_ok ("echo cafe\n", NULL);

    js->script[3] = '\xe9';
    errno = 0;
    assert_null (jobspec_to_json (js));
    assert_int_equal (errno, EILSEQ);
    jobspec_destroy (js);

    js = jobspec_create();
    errno = 0;
    assert_null (jobspec_to_json (js)); /* not finalized */
    assert_int_equal (errno, EINVAL);
    jobspec_destroy (js);
}

/* Set member PATH ("a" or "a.b" or "chunks.N.key") of o to v (NULL: delete). */
static void mutate (json_t *o, const char *path, json_t *v)
{
    char buf[128];
    char *key, *save;
    json_t *cur = o;

    snprintf (buf, sizeof (buf), "%s", path);
    key = strtok_r (buf, ".", &save);
    for (char *next; (next = strtok_r (NULL, ".", &save)) != NULL; key = next) {
        cur = json_is_array (cur) ? json_array_get (cur, (size_t)atoi (key))
                                  : json_object_get (cur, key);
        assert_non_null (cur);
    }
    if (json_is_array (cur))
        assert_int_equal (json_array_set_new (cur, (size_t)atoi (key), v), 0);
    else if (v)
        assert_int_equal (json_object_set_new (cur, key, v), 0);
    else
        json_object_del (cur, key);
}

static json_t *many_chunks (int n, int count, int ncpus)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new (a, json_pack ("{s:i s:i s:i s:i s:i}", "count", count, "ncpus",
                                             ncpus, "mpiprocs", 1, "ngpus", 0, "mem", 0));
    return a;
}

static void json_rejects_bad_fields (void **state)
{
    const struct {
        const char *path;
        json_t *value;
        const char *msg;
    } cases[] = {
        {"name", NULL, "name: missing"},
        {"name", json_integer (5), "name: must be a string without NUL characters"},
        {"name", json_stringn ("a\0b", 3), "name: must be a string without NUL characters"},
        {"name", json_string ("a b"),
         "name: a job name cannot contain blanks, control characters, '/', ':' or '@'"},
        {"queue", json_string ("q@else where"), "queue: \"else where\" is not a server name"},
        {"script", json_true(), "script: must be a string without NUL characters"},
        {"script", NULL, "script: missing"},
        {"argv", json_array(), "argv: must be an array of 1 to 4096 strings"},
        {"argv", json_pack ("[s,i]", "a", 1), "argv[1]: must be a string without NUL characters"},
        {"workdir", json_string ("rel/dir"), "workdir: must be an absolute path"},
        {"submit_host", json_string (""), "submit_host: \"\" is not a host name"},
        {"env", json_array(), "env: must be an object"},
        {"env", json_pack ("{s:s}", "1A", "x"), "env: \"1A\" is not a variable name"},
        {"env", json_pack ("{s:i}", "A", 1), "env.A: must be a string without NUL characters"},
        {"export_all", json_string ("yes"), "export_all: must be true or false"},
        {"chunks", json_array(), "chunks: must be an array of 1 to 4096 chunks"},
        {"chunks", json_object(), "chunks: must be an array of 1 to 4096 chunks"},
        {"chunks", many_chunks (RESREQ_MAX_CHUNKS + 1, 1, 1),
         "chunks: must be an array of 1 to 4096 chunks"},
        {"chunks.1", json_integer (3), "chunks[1]: must be an object"},
        {"chunks.0.count", json_integer (0),
         "chunks[0].count: must be an integer from 1 to 100000"},
        {"chunks.0.count", json_integer (100001),
         "chunks[0].count: must be an integer from 1 to 100000"},
        {"chunks.0.ncpus", json_string ("4"),
         "chunks[0].ncpus: must be an integer from 0 to 100000"},
        {"chunks.0.ncpus", json_real (4.0), "chunks[0].ncpus: must be an integer from 0 to 100000"},
        {"chunks.0.mpiprocs", json_integer (-1),
         "chunks[0].mpiprocs: must be an integer from 0 to 100000"},
        {"chunks.0.ngpus", NULL, "chunks[0].ngpus: missing"},
        {"chunks.0.mem", json_integer (-1),
         "chunks[0].mem: must be an integer from 0 to 1125899906842624"},
        {"chunks.0.mem", json_integer (INT64_MAX),
         "chunks[0].mem: must be an integer from 0 to 1125899906842624"},
        {"chunks.0.host", json_string ("bad host"),
         "chunks[0].host: \"bad host\" is not a host name"},
        {"chunks.0.ncpus", json_integer (0),
         "chunks[0].ncpus: a chunk needs ncpus or ngpus above 0"},
        {"chunks", many_chunks (2, 100000, 1), "chunks: 200000 chunks in all is more than 100000"},
        {"chunks", many_chunks (1, 100000, 100000),
         "chunks: the request adds up to more than 2147483647 cpus, ranks or gpus"},
        {"place", json_string ("pack"), "place: must be an object"},
        {"place.arrangement", json_string ("spread"),
         "place.arrangement: must be one of free, pack, scatter"},
        {"place.sharing", NULL, "place.sharing: missing"},
        {"walltime", json_integer (-1), "walltime: must be an integer from 0 to 3162240000"},
        {"walltime", json_integer (INT64_MAX), "walltime: must be an integer from 0 to 3162240000"},
        {"priority", json_integer (1024), "priority: must be an integer from -1024 to 1023"},
        {"priority", json_integer (-1025), "priority: must be an integer from -1024 to 1023"},
        {"hold", json_integer (1), "hold: must be true or false"},
        {"rerunnable", NULL, "rerunnable: missing"},
        {"output", json_string ("rel/o"), "output: \"rel/o\" is not an absolute path"},
        {"error", json_string ("h:"), "error: no path given"},
        {"join", json_string ("x"), "join: must be one of n, oe, eo"},
        {"depend", json_string ("bogus:1"),
         "depend: unknown dependency type \"bogus\" (use after, afterok, afternotok, afterany, "
         "before, beforeok, beforenotok or beforeany)"},
        {"env", json_pack ("{s:s}", "A234567890123456789012345678901234567890-", "x"),
         "env: \"A23456789012345678901234567890123456...\" is not a variable name"},
        {"array_index", json_integer (-2), "array_index: must be an integer from 0 to 2147483647"},
    };
    struct herror err;

    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        json_t *o = good_request();
        mutate (o, cases[i].path, cases[i].value);
        errno = 0;
        struct jobspec *js = jobspec_from_json (o, &err);
        if (js)
            fail_msg ("accepted with %s changed", cases[i].path);
        assert_int_equal (errno, EINVAL);
        assert_string_equal (err.text, cases[i].msg);
        json_decref (o);
    }
    json_t *a = json_array();
    assert_null (jobspec_from_json (a, &err));
    assert_string_equal (err.text, "job request: must be an object");
    assert_null (jobspec_from_json (NULL, &err));
    json_decref (a);

    /* Optional members may be absent or null; unknown ones are ignored. */
    json_t *o = good_request();
    json_object_del (o, "queue");
    json_object_set_new (o, "output", json_null());
    json_object_set_new (o, "future_member", json_integer (1));
    struct jobspec *js = jobspec_from_json (o, &err);
    assert_non_null (js);
    assert_null (js->queue);
    assert_null (js->output);
    jobspec_destroy (js);
    json_decref (o);

    /* A valid depend is read (stored jobs of older versions have one);
     * job.submit refuses new ones itself. */
    o = good_request();
    json_object_set_new (o, "depend", json_string ("afterok:3.srv"));
    js = jobspec_from_json (o, &err);
    assert_non_null (js);
    assert_string_equal (js->depend, "afterok:3.srv");
    jobspec_destroy (js);
    json_decref (o);
}

/* --- the Job object (request + job members) --- */

/* A job as the controller codes it: good_request's jobspec plus the job
 * members. */
static struct jobspec *good_job (void)
{
    struct herror err;
    json_t *o = good_request();
    struct jobspec *js = jobspec_from_json (o, &err);

    json_decref (o);
    if (!js)
        fail_msg ("from_json: %s", err.text);
    js->seq = 42;
    js->jobid = strdup ("42.srv.example.org");
    js->owner = strdup ("alice");
    js->uid = 1234;
    js->gid = 5678;
    return js;
}

/* encode -> decode -> equal, member by member and as JSON. */
/* --- job arrays (-J, #PBS -J, Torque's -t) --- */

static void assert_array (const char *want, const char *script, ...)
{
    struct herror err;
    va_list ap;

    va_start (ap, script);
    struct jobspec *js = submit_okv (script, ap);
    va_end (ap);
    assert_non_null (js->array);
    assert_string_equal (js->array, want);
    /* the request codec carries it as written */
    json_t *o = jobspec_to_json (js);
    assert_non_null (o);
    assert_string_equal (json_string_value (json_object_get (o, "array")), want);
    struct jobspec *back = jobspec_from_json (o, &err);
    if (!back)
        fail_msg ("from_json: %s", err.text);
    assert_string_equal (back->array, want);
    jobspec_destroy (back);
    json_decref (o);
    jobspec_destroy (js);
}

static void array_forms (void **state)
{
    (void)state;
    assert_array ("1-10", "echo\n", "-J", "1-10", NULL);
    assert_array ("0-98:2%10", "echo\n", "-J", "0-98:2%10", NULL);
    assert_array ("1-10", "echo\n", "-J", "1-10:1", NULL); /* a step of 1 is the default */
    assert_array ("1-4%2", "#PBS -J 1-4%2\necho\n", NULL);
    assert_array ("7-9", "#PBS -J 1-4\necho\n", "-J", "7-9", NULL); /* the command line wins */
    assert_array ("1-4%2", "echo\n", "-t", "1-4%2", NULL);          /* Torque's spelling */
    assert_array ("0-16777215:16", "echo\n", "-J", "0-16777215:16", NULL);
    struct jobspec *js = submit_ok ("echo\n", NULL);
    assert_null (js->array);
    json_t *o = jobspec_to_json (js);
    assert_null (json_object_get (o, "array"));
    json_decref (o);
    jobspec_destroy (js);
}

static void array_errors (void **state)
{
    (void)state;
    assert_submit_error ("", "option -J 5-2: the last index 2 is not above the first 5", "-J",
                         "5-2");
    assert_submit_error ("", "option -J 3-3: the last index 3 is not above the first 3", "-J",
                         "3-3");
    assert_submit_error ("",
                         "option -J 1-x: not a range X-Y[:Z][%MAX] of numbers (e.g. 1-100, "
                         "0-98:2 or 1-100%10)",
                         "-J", "1-x");
    assert_submit_error ("",
                         "option -J 10: not a range X-Y[:Z][%MAX] of numbers (e.g. 1-100, "
                         "0-98:2 or 1-100%10)",
                         "-J", "10");
    assert_submit_error ("",
                         "option -J -1-5: not a range X-Y[:Z][%MAX] of numbers (e.g. 1-100, "
                         "0-98:2 or 1-100%10)",
                         "-J", "-1-5");
    assert_submit_error ("", "option -J 1-10:0: the step after ':' must be a number of at least 1",
                         "-J", "1-10:0");
    assert_submit_error ("", "option -J 1-10%0: the limit after '%' must be a number of at least 1",
                         "-J", "1-10%0");
    assert_submit_error ("", "option -J 1-10%: the limit after '%' must be a number of at least 1",
                         "-J", "1-10%");
    assert_submit_error ("", "option -J 1-10x: unexpected \"x\" after the range X-Y[:Z][%MAX]",
                         "-J", "1-10x");
    assert_submit_error ("", "option -J 0-16777216: index 16777216 is above the largest, 16777215",
                         "-J", "0-16777216");
    assert_submit_error ("",
                         "option -J 0-2000000: 2000001 subjobs, more than an array may have "
                         "(1048576)",
                         "-J", "0-2000000");
    /* Torque's -t: no step; lists refused with what to give instead */
    assert_submit_error ("", "option -t 1-9:2: unexpected \":2\" after the range X-Y[%MAX]", "-t",
                         "1-9:2");
    assert_submit_error ("",
                         "option -t 1,3,5-7: lists of indices are not supported: give one range "
                         "X-Y[%MAX]",
                         "-t", "1,3,5-7");
    assert_submit_error ("#PBS -J 9-1\necho\n",
                         "script line 1: \"#PBS -J 9-1\": the last index 1 is not above the "
                         "first 9",
                         NULL);
}

static void array_codec (void **state)
{
    struct herror err;
    (void)state;
    /* the request codec takes only what -J writes */
    struct jobspec *js = good_job();
    json_t *o = jobspec_to_json (js);
    assert_non_null (o);
    jobspec_destroy (js);
    json_object_set_new (o, "array", json_string ("1-10:1"));
    js = jobspec_from_json (o, &err);
    assert_null (js);
    if (!strstr (err.text, "array: \"1-10:1\" is not written as \"1-10\""))
        fail_msg ("%s", err.text);
    json_decref (o);

    /* subjob seqs: SEQ and INDEX packed above every job's seq */
    int64_t k = jobspec_subjob_seq (JOBSPEC_SEQ_MAX, JOBSPEC_ARRAY_INDEX_MAX);
    assert_true (jobspec_is_subjob_seq (k));
    assert_true (k <= JOBSPEC_KEY_MAX);
    assert_int_equal (jobspec_subjob_base (k), JOBSPEC_SEQ_MAX);
    assert_int_equal (jobspec_subjob_index (k), JOBSPEC_ARRAY_INDEX_MAX);
    k = jobspec_subjob_seq (5, 0);
    assert_true (jobspec_is_subjob_seq (k));
    assert_int_equal (jobspec_subjob_base (k), 5);
    assert_int_equal (jobspec_subjob_index (k), 0);
    assert_false (jobspec_is_subjob_seq (JOBSPEC_SEQ_MAX));
    assert_int_equal (jobspec_subjob_base (42), 42);
    assert_int_equal (jobspec_subjob_index (42), -1);

    /* a subjob's job object: its jobid is BASE[INDEX], array_index INDEX */
    struct jobspec *sub = good_job();
    sub->seq = jobspec_subjob_seq (42, 7);
    free (sub->jobid);
    sub->jobid = strdup ("42[7].srv");
    sub->array_index = 7;
    json_t *so = jobspec_job_to_json (sub);
    assert_non_null (so);
    struct jobspec *back = jobspec_job_from_json (so, &err);
    if (!back)
        fail_msg ("subjob from_json: %s", err.text);
    assert_int_equal (back->seq, sub->seq);
    assert_int_equal (back->array_index, 7);
    jobspec_destroy (back);
    json_object_set_new (so, "jobid", json_string ("42.srv"));
    assert_null (jobspec_job_from_json (so, &err));
    assert_non_null (strstr (err.text, "jobid: \"42.srv\" is not \"42[7]\""));
    json_object_set_new (so, "jobid", json_string ("42[7].srv"));
    json_object_set_new (so, "array_index", json_integer (6));
    assert_null (jobspec_job_from_json (so, &err));
    assert_non_null (strstr (err.text, "array_index: must be 7"));
    json_decref (so);
    jobspec_destroy (sub);

    /* an array job's jobid is SEQ[] */
    struct jobspec *arr = good_job();
    free (arr->jobid);
    arr->jobid = strdup ("42[].srv");
    arr->array = strdup ("1-3");
    json_t *ao = jobspec_job_to_json (arr);
    assert_non_null (ao);
    back = jobspec_job_from_json (ao, &err);
    if (!back)
        fail_msg ("array from_json: %s", err.text);
    assert_string_equal (back->array, "1-3");
    jobspec_destroy (back);
    json_decref (ao);
    jobspec_destroy (arr);
}

static void job_object_round_trip (void **state)
{
    struct herror err;
    struct jobspec *js = good_job();
    json_t *o = jobspec_job_to_json (js);

    assert_non_null (o);
    struct jobspec *back = jobspec_job_from_json (o, &err);
    if (!back)
        fail_msg ("job_from_json: %s", err.text);
    assert_int_equal (back->seq, 42);
    assert_string_equal (back->jobid, "42.srv.example.org");
    assert_string_equal (back->owner, "alice");
    assert_int_equal (back->uid, 1234);
    assert_int_equal (back->gid, 5678);
    assert_string_equal (back->name, js->name);
    assert_string_equal (back->script, js->script);
    assert_int_equal (back->join, js->join);
    assert_int_equal (back->res.walltime, js->res.walltime);
    json_t *again = jobspec_job_to_json (back);
    assert_true (json_equal (o, again));
    json_decref (again);
    jobspec_destroy (back);

    /* A job's request members are a request: the request codec reads them
     * and the job members alone make the difference. */
    struct jobspec *req = jobspec_from_json (o, &err);
    assert_non_null (req);
    assert_int_equal (req->seq, 0);
    assert_null (req->owner);
    json_t *plain = jobspec_to_json (req);
    for (const char *const *k = (const char *const[]){"seq", "jobid", "owner", "uid", "gid", NULL};
         *k; k++)
        json_object_del (o, *k);
    assert_true (json_equal (o, plain));
    json_decref (plain);
    jobspec_destroy (req);
    json_decref (o);

    /* jobid is optional; bare "SEQ" is a jobid; extreme bounds pass; an
     * owner may have blanks. */
    free (js->jobid);
    js->jobid = NULL;
    js->seq = JOBSPEC_SEQ_MAX;
    js->uid = 0;
    js->gid = JOBSPEC_ID_MAX;
    free (js->owner);
    js->owner = strdup ("John Smith"); /* directory services have such names */
    assert_non_null (o = jobspec_job_to_json (js));
    assert_null (json_object_get (o, "jobid"));
    assert_non_null (back = jobspec_job_from_json (o, &err));
    assert_null (back->jobid);
    assert_int_equal (back->seq, JOBSPEC_SEQ_MAX);
    assert_int_equal (back->gid, JOBSPEC_ID_MAX);
    assert_string_equal (back->owner, "John Smith");
    jobspec_destroy (back);
    json_object_set_new (o, "jobid", json_string ("2147483647"));
    assert_non_null (back = jobspec_job_from_json (o, &err));
    assert_string_equal (back->jobid, "2147483647");
    jobspec_destroy (back);
    json_decref (o);

    /* The encoder refuses what the decoder would. */
    js->seq = 0;
    errno = 0;
    assert_null (jobspec_job_to_json (js));
    assert_int_equal (errno, EINVAL);
    js->seq = 7;
    js->jobid = strdup ("8.srv");
    assert_null (jobspec_job_to_json (js));
    free (js->jobid);
    js->jobid = NULL;
    free (js->owner);
    js->owner = strdup ("a/b");
    assert_null (jobspec_job_to_json (js));
    free (js->owner);
    js->owner = NULL;
    assert_null (jobspec_job_to_json (js));
    jobspec_destroy (js);
}

/* Each bound of a job member is refused with a message naming it. */
static void job_object_bounds (void **state)
{
    char longowner[JOBSPEC_OWNER_MAX + 2];
    memset (longowner, 'u', sizeof (longowner) - 1);
    longowner[sizeof (longowner) - 1] = '\0';
    const struct {
        const char *path;
        json_t *value;
        const char *msg;
    } cases[] = {
        {"seq", NULL, "seq: missing"},
        {"seq", json_integer (0), "seq: must be an integer from 1 to 108086391056891903"},
        {"seq", json_integer (INT64_C (2147483648)),
         "seq: 2147483648 is neither a job's (1 to 2147483647) nor a subjob's"},
        {"seq", json_string ("42"), "seq: must be an integer from 1 to 108086391056891903"},
        {"uid", NULL, "uid: missing"},
        {"uid", json_integer (-1), "uid: must be an integer from 0 to 2147483647"},
        {"gid", json_integer (INT64_C (2147483648)),
         "gid: must be an integer from 0 to 2147483647"},
        {"owner", NULL, "owner: missing"},
        {"owner", json_string (""), "owner: must be a user name of 1 to 255 bytes"},
        {"owner", json_string (longowner), "owner: must be a user name of 1 to 255 bytes"},
        {"owner", json_string ("../root"), "owner: \"../root\" is not a user name"},
        {"owner", json_string ("a\tb"), "owner: \"a?b\" is not a user name"},
        {"owner", json_string ("a:b"), "owner: \"a:b\" is not a user name"},
        {"owner", json_integer (3), "owner: must be a string without NUL characters"},
        {"jobid", json_string ("43.srv"), "jobid: \"43.srv\" is not \"42\" or \"42.SERVER\""},
        {"jobid", json_string ("42."), "jobid: \"42.\" is not \"42\" or \"42.SERVER\""},
        {"jobid", json_string ("42.s/v"), "jobid: \"42.s/v\" is not \"42\" or \"42.SERVER\""},
        {"jobid", json_string ("420.srv"), "jobid: \"420.srv\" is not \"42\" or \"42.SERVER\""},
        /* request members keep their request rules */
        {"name", json_string ("a/b"),
         "name: a job name cannot contain blanks, control characters, '/', ':' or '@'"},
        {"script", NULL, "script: missing"},
    };
    struct herror err;
    struct jobspec *js = good_job();
    json_t *good = jobspec_job_to_json (js);

    assert_non_null (good);
    jobspec_destroy (js);
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        json_t *o = json_deep_copy (good);
        mutate (o, cases[i].path, cases[i].value);
        errno = 0;
        js = jobspec_job_from_json (o, &err);
        if (js)
            fail_msg ("accepted with %s changed", cases[i].path);
        assert_int_equal (errno, EINVAL);
        assert_string_equal (err.text, cases[i].msg);
        json_decref (o);
    }
    json_t *a = json_array();
    assert_null (jobspec_job_from_json (a, &err));
    assert_string_equal (err.text, "job: must be an object");
    json_decref (a);
    json_decref (good);
}

/* --- formatting --- */

static void formatting (void **state)
{
    char buf[PBS_FORMAT_BUFSIZE];

    assert_string_equal (pbs_format_size (UINT64_C (4) << 30, buf, sizeof (buf)), "4gb");
    assert_string_equal (pbs_format_size (UINT64_C (1536) << 20, buf, sizeof (buf)), "1536mb");
    assert_string_equal (pbs_format_size (UINT64_C (2) << 40, buf, sizeof (buf)), "2tb");
    assert_string_equal (pbs_format_size (2048, buf, sizeof (buf)), "2kb");
    assert_string_equal (pbs_format_size (100, buf, sizeof (buf)), "100b");
    assert_string_equal (pbs_format_size (0, buf, sizeof (buf)), "0b");
    assert_string_equal (pbs_format_walltime (3723, buf, sizeof (buf)), "01:02:03");
    assert_string_equal (pbs_format_walltime (0, buf, sizeof (buf)), "00:00:00");
    assert_string_equal (pbs_format_walltime (540000, buf, sizeof (buf)), "150:00:00");
    assert_string_equal (pbs_format_place (RESREQ_FREE, RESREQ_SHARED, buf, sizeof (buf)), "free");
    assert_string_equal (pbs_format_place (RESREQ_SCATTER, RESREQ_EXCL, buf, sizeof (buf)),
                         "scatter:excl");
    assert_string_equal (pbs_format_place (RESREQ_PACK, RESREQ_EXCLHOST, buf, sizeof (buf)),
                         "pack:exclhost");

    struct jobspec *js = submit_ok (
        "", "-l", "select=2:ncpus=4:mpiprocs=4:mem=4gb+1:ncpus=0:ngpus=2:host=gpu1,walltime=3600",
        "-l", "place=scatter:excl", NULL);
    char *sel = pbs_format_select (&js->res);
    assert_string_equal (sel, "2:ncpus=4:mpiprocs=4:mem=4gb+1:ncpus=0:ngpus=2:host=gpu1");
    /* The printed select parses back to the same chunks. */
    struct resreq back = {0};
    struct herror err;
    assert_int_equal (pbs_select_parse (sel, &back, &err), 0);
    assert_int_equal (back.nchunks, js->res.nchunks);
    assert_memory_equal (back.chunks, js->res.chunks, sizeof (*back.chunks) * 2);
    resreq_clear (&back);
    free (sel);

    char *list = pbs_format_resource_list (&js->res, "    ");
    assert_string_equal (list, "    Resource_List.mem = 8gb\n"
                               "    Resource_List.ncpus = 8\n"
                               "    Resource_List.ngpus = 2\n"
                               "    Resource_List.nodect = 3\n"
                               "    Resource_List.place = scatter:excl\n"
                               "    Resource_List.select = "
                               "2:ncpus=4:mpiprocs=4:mem=4gb+1:ncpus=0:ngpus=2:host=gpu1\n"
                               "    Resource_List.walltime = 01:00:00\n");
    free (list);
    jobspec_destroy (js);

    js = submit_ok ("", NULL);
    list = pbs_format_resource_list (&js->res, NULL);
    assert_string_equal (list, "Resource_List.ncpus = 1\n"
                               "Resource_List.nodect = 1\n"
                               "Resource_List.place = free\n"
                               "Resource_List.select = 1:ncpus=1\n");
    free (list);
    jobspec_destroy (js);
}

/* --- garbage must never crash (run under ASan in CI) --- */

static const char alphabet[] = "-#PBSNlqoejvVhprW=:,+.'\" \n\t\\0123456789abcdefghijklmnxyz[]@/";

static void random_text (char *buf, size_t max)
{
    size_t n = (size_t)rand() % max;
    for (size_t i = 0; i < n; i++)
        buf[i] = alphabet[(size_t)rand() % (sizeof (alphabet) - 1)];
    buf[n] = '\0';
}

/* Text that looks like the real thing with random damage. */
static void random_resource (char *buf, size_t size)
{
    static const char *const seeds[] = {
        "select=2:ncpus=4:mpiprocs=4:mem=4gb+1:ngpus=1",
        "nodes=2:ppn=8+n01:ppn=1",
        "walltime=12:00:00.5",
        "place=scatter:excl",
        "ncpus=4,mem=10gb,ngpus=1",
        "depend=afterok:12.srv:13,before:4[]",
        "A=1,B='x,y',C",
    };
    snprintf (buf, size, "%s", seeds[(size_t)rand() % (sizeof (seeds) / sizeof (seeds[0]))]);
    size_t len = strlen (buf);
    for (int k = rand() % 4; k >= 0 && len > 0; k--) {
        size_t at = (size_t)rand() % len;
        switch (rand() % 3) {
        case 0:
            buf[at] = alphabet[(size_t)rand() % (sizeof (alphabet) - 1)];
            break;
        case 1:
            buf[at] = '\0';
            len = at;
            break;
        default:
            memmove (buf + at, buf + at + 1, len - at);
            len--;
        }
    }
}

static void garbage_never_crashes (void **state)
{
    char a[6][96], script[512], res[128];
    struct herror err;
    srand (12345);

    for (int iter = 0; iter < 20000; iter++) {
        struct jobspec *js = jobspec_create();
        char *argv[8] = {"qsub"};
        int argc = 1 + rand() % 6;
        for (int i = 1; i < argc; i++) {
            if (rand() % 2)
                random_text (a[i - 1], sizeof (a[0]));
            else
                random_resource (a[i - 1], sizeof (a[0]));
            argv[i] = a[i - 1];
        }
        argv[argc] = NULL;
        int rc = jobspec_parse_args (js, argc, argv, &err);
        assert_true (rc == 0 || strlen (err.text) > 0);

        random_text (script, 200);
        random_resource (res, sizeof (res));
        char *end = script + strlen (script);
        snprintf (end, sizeof (script) - (size_t)(end - script), "\n#PBS -%c %s\n",
                  "lWvNpqjoe"[rand() % 9], res);
        rc = parse_script (js, script, &err);
        assert_true (rc == 0 || strlen (err.text) > 0);
        rc = jobspec_finalize (js, CWD, test_env, HOST, &err);
        if (rc == 0) {
            json_t *o = jobspec_to_json (js);
            if (o) {
                struct jobspec *back = jobspec_from_json (o, &err);
                assert_non_null (back); /* what qsub makes, the controller accepts */
                jobspec_destroy (back);
                json_decref (o);
            }
        }
        jobspec_destroy (js);

        struct resreq r = {0};
        uint64_t bytes;
        int64_t secs;
        enum resreq_arrangement arr;
        enum resreq_sharing shr;
        random_resource (res, sizeof (res));
        const char *val = strchr (res, '=') ? strchr (res, '=') + 1 : res;
        pbs_select_parse (val, &r, &err);
        pbs_nodes_parse (val, &r, &err);
        pbs_size_parse (val, &bytes, &err);
        pbs_walltime_parse (val, &secs, &err);
        bool group;
        int maxsw;
        pbs_place_parse (val, &arr, &shr, &group, &err);
        pbs_switches_parse (val, &maxsw, &secs, &err);
        jobspec_check_depend (val, &err);
        resreq_clear (&r);
    }
}

/* Random values in every member of a good request: rejected or accepted,
 * never a crash, and whatever is accepted passes pbs_resreq_check(). */
static void json_garbage_never_crashes (void **state)
{
    static const char *const paths[] = {
        "name",
        "queue",
        "script",
        "argv",
        "workdir",
        "env",
        "export_all",
        "chunks",
        "chunks.0",
        "chunks.0.count",
        "chunks.0.ncpus",
        "chunks.0.mem",
        "chunks.1.host",
        "place",
        "place.arrangement",
        "walltime",
        "priority",
        "hold",
        "output",
        "join",
        "depend",
        "array_index",
        "submit_host",
        "rerunnable",
        "error",
        "seq",
        "jobid",
        "owner",
        "uid",
        "gid",
    };
    struct herror err;
    struct jobspec *good_js = good_job();
    json_t *good = jobspec_job_to_json (good_js); /* a job is a request too */
    jobspec_destroy (good_js);
    srand (777);

    for (int iter = 0; iter < 5000; iter++) {
        json_t *o = json_deep_copy (good);
        char text[64];
        for (int k = rand() % 3; k >= 0; k--) {
            json_t *v;
            switch (rand() % 8) {
            case 0:
                v = json_integer ((json_int_t)rand() - RAND_MAX / 2);
                break;
            case 1:
                v = json_integer (rand() % 2 ? INT64_MAX : INT64_MIN);
                break;
            case 2:
                random_text (text, sizeof (text));
                v = json_string (text);
                break;
            case 3:
                v = json_pack ("[i,s]", 1, "x");
                break;
            case 4:
                v = json_pack ("{s:i}", "count", 2);
                break;
            case 5:
                v = json_null();
                break;
            case 6:
                v = json_real (1e300);
                break;
            default:
                v = NULL;
            }
            const char *path = paths[(size_t)rand() % (sizeof (paths) / sizeof (paths[0]))];
            json_t *parent = strncmp (path, "chunks.", 7) == 0  ? json_object_get (o, "chunks")
                             : strncmp (path, "place.", 6) == 0 ? json_object_get (o, "place")
                                                                : o;
            if (!json_is_array (parent) && !json_is_object (parent)) {
                json_decref (v);
                continue;
            }
            if (strncmp (path, "chunks.", 7) == 0) {
                json_t *chunk = json_array_get (parent, (size_t)(path[7] - '0'));
                if (path[8] == '\0') {
                    if (v)
                        json_array_set_new (parent, (size_t)(path[7] - '0'), v);
                } else if (json_is_object (chunk)) {
                    v ? json_object_set_new (chunk, path + 9, v)
                      : json_object_del (chunk, path + 9);
                } else {
                    json_decref (v);
                }
                continue;
            }
            const char *key = strchr (path, '.') ? strchr (path, '.') + 1 : path;
            v ? json_object_set_new (parent, key, v) : json_object_del (parent, key);
        }
        struct jobspec *js = jobspec_from_json (o, &err);
        if (js) {
            assert_int_equal (pbs_resreq_check (&js->res, &err), 0);
            json_t *again = jobspec_to_json (js);
            assert_non_null (again);
            json_decref (again);
            jobspec_destroy (js);
        } else {
            assert_true (strlen (err.text) > 0);
        }
        /* What the job decoder accepts, the request decoder accepts, and
         * the job encoder codes it to a fixed point. */
        struct jobspec *jj = jobspec_job_from_json (o, &err);
        if (jj) {
            assert_non_null (js = jobspec_from_json (o, &err));
            jobspec_destroy (js);
            json_t *again = jobspec_job_to_json (jj);
            assert_non_null (again);
            struct jobspec *back = jobspec_job_from_json (again, &err);
            assert_non_null (back);
            json_t *twice = jobspec_job_to_json (back);
            assert_true (json_equal (again, twice));
            json_decref (twice);
            jobspec_destroy (back);
            json_decref (again);
            jobspec_destroy (jj);
        } else {
            assert_true (strlen (err.text) > 0);
        }
        json_decref (o);
    }
    json_decref (good);
}

/* --- what PBS accepts beyond the basics (issue 10) --- */

static void pbs_text_attributes (void **state)
{
    struct jobspec *js = submit_ok ("#PBS -A proj123\n"
                                    "#PBS -m abe\n"
                                    "#PBS -M alice@example.com,bob\n"
                                    "#PBS -k oe\n"
                                    "#PBS -S /bin/bash,/bin/zsh@login1\n"
                                    "#PBS -P climate\n"
                                    "#PBS -c s\n"
                                    "#PBS -u u\n"
                                    "#PBS -W group_list=staff\n"
                                    "#PBS -W sandbox=HOME\n"
                                    "#PBS -l software=gaussian\n"
                                    "echo\n",
                                    "-P", "cli_wins", NULL);
    assert_string_equal (js->attrs[JOBSPEC_ACCOUNT], "proj123");
    assert_string_equal (js->attrs[JOBSPEC_MAIL_POINTS], "abe");
    assert_string_equal (js->attrs[JOBSPEC_MAIL_USERS], "alice@example.com,bob");
    assert_string_equal (js->attrs[JOBSPEC_KEEP_FILES], "oe");
    assert_string_equal (js->attrs[JOBSPEC_SHELL_PATH], "/bin/bash,/bin/zsh@login1");
    assert_string_equal (js->attrs[JOBSPEC_PROJECT], "cli_wins");
    assert_string_equal (js->attrs[JOBSPEC_CHECKPOINT], "s");
    assert_string_equal (js->attrs[JOBSPEC_USER_LIST], "u");
    assert_string_equal (js->attrs[JOBSPEC_GROUP_LIST], "staff");
    assert_string_equal (js->attrs[JOBSPEC_SANDBOX], "HOME");
    assert_string_equal (js->attrs[JOBSPEC_SOFTWARE], "gaussian");

    /* the codec carries them, under the member names, and back */
    json_t *o = jobspec_to_json (js);
    assert_non_null (o);
    assert_string_equal (json_string_value (json_object_get (o, "account")), "proj123");
    assert_string_equal (json_string_value (json_object_get (o, "shell_path")),
                         "/bin/bash,/bin/zsh@login1");
    struct herror err;
    struct jobspec *back = jobspec_from_json (o, &err);
    assert_non_null (back);
    for (int i = 0; i < JOBSPEC_NATTRS; i++)
        assert_string_equal (back->attrs[i], js->attrs[i]);
    jobspec_destroy (back);
    /* and checks them as qsub does */
    json_object_set_new (o, "mail_points", json_string ("xyz"));
    assert_null (jobspec_from_json (o, &err));
    assert_string_equal (err.text, "mail_points: mail points are n or a combination of abej, "
                                   "each at most once");
    json_decref (o);
    jobspec_destroy (js);

    assert_submit_error ("",
                         "option -m abx: mail points are n or a combination of abej, each at "
                         "most once",
                         "-m", "abx");
    assert_submit_error ("",
                         "option -k x: kept files are n or a combination of oed, each at most "
                         "once",
                         "-k", "x");
    assert_submit_error ("", "option -S bash: \"bash\" is not a shell's absolute path", "-S",
                         "bash");
    assert_submit_error ("", "option -c z: use n, s, c, c=MINUTES, w, w=MINUTES or u", "-c", "z");
    assert_submit_error ("", "option -u a@-x: \"-x\" is not a host name", "-u", "a@-x");
    assert_submit_error ("",
                         "option -W sandbox=PRIVATE: sandbox=PRIVATE (a job directory made and "
                         "removed by the server) is not supported yet: jobs run in their submit "
                         "directory (sandbox=HOME)",
                         "-W", "sandbox=PRIVATE");
}

static void pbs_limits_and_flags (void **state)
{
    struct jobspec *js = submit_ok ("#PBS -l cput=1:00:00,pcput=30:00\n"
                                    "#PBS -l vmem=2gb,pvmem=1gb,pmem=512mb,file=10mb\n"
                                    "#PBS -W umask=022\n"
                                    "#PBS -z\n",
                                    "-W", "block=true", NULL);
    assert_int_equal (js->limits.cput, 3600);
    assert_int_equal (js->limits.pcput, 1800);
    assert_true (js->limits.vmem == UINT64_C (2) << 30);
    assert_true (js->limits.pvmem == UINT64_C (1) << 30);
    assert_true (js->limits.pmem == UINT64_C (512) << 20);
    assert_true (js->limits.file == UINT64_C (10) << 20);
    assert_int_equal (js->umask, 022);
    assert_int_equal (js->limits.nice, 0);
    assert_true (js->block);
    assert_true (js->no_jobid);
    json_t *o = jobspec_to_json (js);
    assert_int_equal (json_integer_value (json_object_get (o, "umask")), 022);
    assert_int_equal (json_integer_value (json_object_get (json_object_get (o, "limits"), "cput")),
                      3600);
    json_decref (o);
    jobspec_destroy (js);

    js = submit_ok ("", NULL);
    assert_int_equal (js->umask, -1);
    assert_true (js->limits.cput == 0 && js->limits.vmem == 0);
    o = jobspec_to_json (js);
    assert_null (json_object_get (o, "umask"));
    assert_null (json_object_get (o, "limits"));
    json_decref (o);
    jobspec_destroy (js);

    /* the command line's block=false wins over the script's block=true */
    js = submit_ok ("#PBS -W block=true\n", "-W", "block=false", NULL);
    assert_false (js->block);
    jobspec_destroy (js);

    js = submit_ok ("#PBS -l nice=10\n", NULL);
    assert_int_equal (js->limits.nice, 10);
    o = jobspec_to_json (js);
    assert_int_equal (json_integer_value (json_object_get (o, "nice")), 10);
    struct herror e2;
    struct jobspec *back = jobspec_from_json (o, &e2);
    assert_non_null (back);
    assert_int_equal (back->limits.nice, 10);
    jobspec_destroy (back);
    json_decref (o);
    jobspec_destroy (js);
    assert_submit_error ("", "option -l nice=20: nice must be a number from -20 to 19", "-l",
                         "nice=20");

    assert_submit_error ("", "option -W umask=089: umask is an octal number from 0 to 777", "-W",
                         "umask=089");
    assert_submit_error ("", "option -l cput=1:xx: cput: seconds are not a number", "-l",
                         "cput=1:xx");
    assert_submit_error ("", "option -W block=maybe: use block=true or block=false", "-W",
                         "block=maybe");
}

/* qsub -I, or "#PBS -I" in the script: an interactive job, never rerun;
 * -X refused with why, also when DISPLAY is set. */
static void interactive_jobs (void **state)
{
    struct jobspec *js = submit_ok ("", "-I", "-l", "walltime=10:00", NULL);
    assert_true (js->interactive);
    assert_false (js->rerunnable);
    json_t *o = jobspec_to_json (js);
    assert_true (json_is_true (json_object_get (o, "interactive")));
    struct herror e;
    struct jobspec *back = jobspec_from_json (o, &e);
    assert_non_null (back);
    assert_true (back->interactive);
    jobspec_destroy (back);
    json_object_set_new (o, "interactive", json_string ("yes"));
    assert_null (jobspec_from_json (o, &e));
    assert_string_equal (e.text, "interactive: must be true or false");
    json_decref (o);
    jobspec_destroy (js);

    js = submit_ok ("#PBS -I\necho body\n", NULL);
    assert_true (js->interactive);
    jobspec_destroy (js);
    js = submit_ok ("echo batch\n", NULL);
    assert_false (js->interactive);
    o = jobspec_to_json (js);
    assert_null (json_object_get (o, "interactive"));
    back = jobspec_from_json (o, &e);
    assert_non_null (back);
    assert_false (back->interactive);
    jobspec_destroy (back);
    json_decref (o);
    jobspec_destroy (js);

    assert_submit_error ("", "-X (X11 forwarding) is only valid with -I", "-X");
    assert_submit_error ("", "-X: DISPLAY is not set, so there is no X display to forward", "-I",
                         "-X");
    assert_submit_error ("",
                         "-I and -W block=true cannot be used together: qsub -I already "
                         "waits for the job's end",
                         "-I", "-W", "block=true");
    assert_submit_error ("", "-I runs a shell on the job's node: it takes no command after --",
                         "-I", "--", "/bin/true");
    char *const with_display[] = {"HOME=/home/u", "DISPLAY=:0", NULL};
    js = jobspec_create();
    assert_int_equal (jobspec_parse_args (js, 3, (char *[]){"qsub", "-I", "-X", NULL}, &e), 0);
    assert_int_equal (jobspec_parse_script (js, "", 0, &e), 0);
    assert_int_equal (jobspec_finalize (js, CWD, with_display, HOST, &e), -1);
    assert_string_equal (e.text, "-X: this server does not forward X11 connections; run X "
                                 "programs through ssh -X to the job's node, or submit without -X");
    jobspec_destroy (js);
}

static void pbs_refusals (void **state)
{
    assert_submit_error ("",
                         "option -W stagein=in@host:/data/in: file staging is not supported: "
                         "jobs read and write their files in place on a shared file system; "
                         "the job was not submitted",
                         "-W", "stagein=in@host:/data/in");
}

static void execution_time (void **state)
{
    /* a full date is the same whatever today is (TZ is set to UTC in main) */
    struct jobspec *js = submit_ok ("#PBS -a 203001021530.45\n", NULL);
    assert_int_equal (js->execution_time, 1893598245); /* 2030-01-02 15:30:45 UTC */
    json_t *o = jobspec_to_json (js);
    assert_int_equal (json_integer_value (json_object_get (o, "execution_time")), 1893598245);
    json_decref (o);
    jobspec_destroy (js);
    /* hhmm already past today is tomorrow: within a day from now */
    js = submit_ok ("", "-a", "0000", NULL);
    time_t now = time (NULL);
    assert_true (js->execution_time > now - 60 && js->execution_time <= now + 86400);
    jobspec_destroy (js);
    assert_submit_error ("", "option -a 12: use [[[[CC]YY]MM]DD]hhmm[.SS]", "-a", "12");
    assert_submit_error (
        "", "option -a 2561: not a valid date and time ([[[[CC]YY]MM]DD]hhmm[.SS])", "-a", "2561");
    /* qsub took it and then could not encode the request (found by
     * tests/fuzz/fuzz_jobspec_script) */
    assert_submit_error ("", "option -a 101501021530: the date is before 1970", "-a",
                         "101501021530");
}

static void torque_spellings (void **state)
{
    struct jobspec *js = submit_ok ("#PBS -d /scratch/run\n", NULL);
    assert_string_equal (js->workdir, "/scratch/run");
    assert_string_equal (jobspec_getenv (js, "PBS_O_WORKDIR"), CWD);
    assert_string_equal (jobspec_getenv (js, "PBS_O_INITDIR"), "/scratch/run");
    jobspec_destroy (js);
    js = submit_ok ("", "-w", "sub", NULL);
    assert_string_equal (js->workdir, CWD "/sub");
    jobspec_destroy (js);
    /* procs=N: N single-cpu chunks anywhere; with Torque's job-wide mem */
    js = submit_ok ("", "-l", "procs=6,mem=6gb", NULL);
    assert_int_equal (js->res.nchunks, 1);
    assert_chunk (&js->res.chunks[0], 6, 1, 1, 0, UINT64_C (1) << 30, "");
    assert_int_equal (js->res.arrangement, RESREQ_FREE);
    jobspec_destroy (js);
    assert_submit_error ("", "option -l procs=0: procs must be a number from 1 to 100000", "-l",
                         "procs=0");
    assert_submit_error ("", "option -l procs=2: select, nodes and procs cannot be used together",
                         "-l", "nodes=1", "-l", "procs=2");
    js = submit_ok ("", "-l", "nodes=n01+n02:ppn=2", NULL);
    assert_int_equal (js->res.nchunks, 2);
    assert_chunk (&js->res.chunks[0], 1, 1, 1, 0, 0, "n01");
    assert_chunk (&js->res.chunks[1], 1, 2, 2, 0, 0, "n02");
    jobspec_destroy (js);
}

static void chunk_labels_and_threads (void **state)
{
    struct jobspec *js = submit_ok (
        "", "-l", "select=2:ncpus=8:mpiprocs=2:ompthreads=4:gpu_type=a100:ib=True:arch=linux",
        NULL);
    const struct resreq_chunk *c = &js->res.chunks[0];
    assert_chunk (c, 2, 8, 2, 0, 0, "");
    assert_int_equal (c->ompthreads, 4);
    assert_string_equal (c->labels, "gpu_type=a100,ib,arch=linux");
    char *sel = pbs_format_select (&js->res);
    assert_string_equal (sel, "2:ncpus=8:mpiprocs=2:ompthreads=4:gpu_type=a100:ib=True:arch=linux");
    free (sel);
    json_t *o = jobspec_to_json (js);
    struct herror err;
    struct jobspec *back = jobspec_from_json (o, &err);
    assert_non_null (back);
    assert_string_equal (back->res.chunks[0].labels, c->labels);
    assert_int_equal (back->res.chunks[0].ompthreads, 4);
    jobspec_destroy (back);
    json_object_set_new (json_array_get (json_object_get (o, "chunks"), 0), "labels",
                         json_string ("ok,=bad"));
    assert_null (jobspec_from_json (o, &err));
    assert_string_equal (err.text,
                         "chunks[0].labels: \"=bad\" is not a label (NAME or NAME=VALUE)");
    json_decref (o);
    jobspec_destroy (js);
    /* job-wide host= and arch=, as PBS and Torque take them */
    js = submit_ok ("", "-l", "ncpus=2,host=n03,arch=linux", NULL);
    assert_chunk (&js->res.chunks[0], 1, 2, 1, 0, 0, "n03");
    assert_string_equal (js->res.chunks[0].labels, "arch=linux");
    jobspec_destroy (js);
    js = submit_ok ("", "-l", "nodes=2:ppn=1:ib,arch=linux", NULL);
    assert_string_equal (js->res.chunks[0].labels, "ib,arch=linux");
    jobspec_destroy (js);
    assert_submit_error ("",
                         "-l host cannot be combined with select, nodes or procs: ask for it in "
                         "the chunks (select=N:host=...)",
                         "-l", "select=1:ncpus=1,host=n01");
    /* vnode= is host= */
    js = submit_ok ("", "-l", "select=1:ncpus=2:vnode=n07", NULL);
    assert_chunk (&js->res.chunks[0], 1, 2, 1, 0, 0, "n07");
    jobspec_destroy (js);
    assert_true (pbs_labels_match ("a100,ib,arch=linux", "ib,a100"));
    assert_false (pbs_labels_match ("a100,arch=linux", "ib"));
    assert_false (pbs_labels_match ("gpu_type=v100", "gpu_type=a100"));
    assert_true (pbs_labels_match ("", ""));
}

static void directive_prefix_and_crlf (void **state)
{
    struct herror err;
    /* leading blanks before #PBS are skipped, as PBS does */
    struct jobspec *js = submit_ok ("#!/bin/sh\n  \t#PBS -N indented\n", NULL);
    assert_string_equal (js->name, "indented");
    jobspec_destroy (js);
    /* -C changes the prefix */
    js = submit_ok ("#PBS -N pbs\n#MY -N mine\n", "-C", "#MY", NULL);
    assert_string_equal (js->name, "mine");
    jobspec_destroy (js);
    /* -C "" reads no directives */
    js = submit_ok ("#PBS -N pbs\n", "-C", "", NULL);
    assert_string_equal (js->name, "STDIN");
    jobspec_destroy (js);
    /* PBS_DPREFIX (jobspec_set_prefix) applies unless -C is given */
    js = jobspec_create();
    char *argv[] = {"qsub", NULL};
    assert_int_equal (jobspec_set_prefix (js, "#X", &err), 0);
    assert_int_equal (jobspec_parse_args (js, 1, argv, &err), 0);
    assert_int_equal (parse_script (js, "#PBS -N pbs\n#X -N x\n", &err), 0);
    assert_int_equal (jobspec_finalize (js, CWD, test_env, HOST, &err), 0);
    assert_string_equal (js->name, "x");
    assert_int_equal (jobspec_set_prefix (js, "a b", &err), -1);
    assert_string_equal (err.text, "a directive prefix has at most 16 characters and no blanks");
    jobspec_destroy (js);
    /* DOS line ends are refused, as PBS's qsub does */
    assert_submit_error ("#!/bin/sh\r\necho hi\r\n",
                         "script is written in DOS/Windows text format (convert it, e.g. with "
                         "dos2unix)",
                         NULL);
}

static void list_pick (void **state)
{
    char buf[64];
    assert_int_equal (jobspec_list_pick ("/bin/zsh@login1,/bin/bash", "n01", buf, sizeof (buf)), 0);
    assert_string_equal (buf, "/bin/bash");
    assert_int_equal (jobspec_list_pick ("/bin/bash,/bin/zsh@n01", "n01", buf, sizeof (buf)), 0);
    assert_string_equal (buf, "/bin/zsh");
    assert_int_equal (jobspec_list_pick ("/bin/zsh@login1", "n01", buf, sizeof (buf)), -1);
    assert_int_equal (jobspec_list_pick ("staff", NULL, buf, 3), -1);
}

int main (void)
{
    setenv ("TZ", "UTC", 1); /* -a reads local time */
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (every_option),
        cmocka_unit_test (defaults),
        cmocka_unit_test (getopt_forms),
        cmocka_unit_test (option_errors),
        cmocka_unit_test (array_forms),
        cmocka_unit_test (array_errors),
        cmocka_unit_test (array_codec),
        cmocka_unit_test (job_names),
        cmocka_unit_test (command_mode),
        cmocka_unit_test (output_paths),
        cmocka_unit_test (command_line_wins),
        cmocka_unit_test (call_order_does_not_matter),
        cmocka_unit_test (select_replaces_script_nodes),
        cmocka_unit_test (directives_stop_at_first_command),
        cmocka_unit_test (directive_words),
        cmocka_unit_test (directive_errors),
        cmocka_unit_test (command_line_error_texts),
        cmocka_unit_test (failure_has_no_side_effects),
        cmocka_unit_test (walltime_forms),
        cmocka_unit_test (size_units),
        cmocka_unit_test (select_chunks),
        cmocka_unit_test (select_errors),
        cmocka_unit_test (nodes_translate_to_select),
        cmocka_unit_test (job_level_resources),
        cmocka_unit_test (place_combinations),
        cmocka_unit_test (switches_values),
        cmocka_unit_test (pgroup_values),
        cmocka_unit_test (variables),
        cmocka_unit_test (dependencies),
        cmocka_unit_test (text_on_the_wire),
        cmocka_unit_test (long_values_quoted_short),
        cmocka_unit_test (server_part_of_job_ids),
        cmocka_unit_test (json_round_trip),
        cmocka_unit_test (json_rejects_bad_fields),
        cmocka_unit_test (json_needs_utf8),
        cmocka_unit_test (job_object_round_trip),
        cmocka_unit_test (job_object_bounds),
        cmocka_unit_test (formatting),
        cmocka_unit_test (garbage_never_crashes),
        cmocka_unit_test (json_garbage_never_crashes),
        cmocka_unit_test (pbs_text_attributes),
        cmocka_unit_test (pbs_limits_and_flags),
        cmocka_unit_test (pbs_refusals),
        cmocka_unit_test (interactive_jobs),
        cmocka_unit_test (execution_time),
        cmocka_unit_test (torque_spellings),
        cmocka_unit_test (chunk_labels_and_threads),
        cmocka_unit_test (directive_prefix_and_crlf),
        cmocka_unit_test (list_pick),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
