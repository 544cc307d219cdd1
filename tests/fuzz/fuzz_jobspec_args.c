/* fuzz_jobspec_args.c - qsub's command line (common/jobspec.h), with the
 * job script the options may come with
 *
 * Input: qsub's arguments separated by NUL bytes; two NULs in a row end
 * them, and what follows is the script (read for #PBS directives when the
 * arguments name no "--" command).  The request is finalized as qsub does
 * (a fixed directory, environment and host), then every promise of a
 * finalized request is checked (fuzz_jobspec_promises). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/jobspec.h"
#include "tests/fuzz/fuzz.h"

#define MAX_WORDS 64

static char *const env[] = {
    "HOME=/home/u", "PATH=/usr/bin:/bin", "LOGNAME=u", "SHELL=/bin/bash",
    "LANG=C.UTF-8", "FOO=fooval",         "EMPTY=",    NULL,
};

FUZZ_ENTRY (jobspec_args)
{
    const uint8_t *sep = fuzz_find (data, size, "\0\0", 2);
    size_t argsize = sep ? (size_t)(sep - data) : size;
    int argc;
    char **argv = fuzz_argv ("qsub", data, argsize, MAX_WORDS, &argc);
    struct jobspec *js = jobspec_create();
    struct herror err = {""};
    if (!js)
        fuzz_fail ("out of memory");
    int rc = jobspec_parse_args (js, argc, argv, &err);
    if (rc == 0 && !js->argv && sep)
        rc = jobspec_parse_script (js, (const char *)sep + 2, size - argsize - 2, &err);
    else if (rc == 0 && !js->argv)
        rc = jobspec_parse_script (js, "", 0, &err);
    if (rc == 0)
        rc = jobspec_finalize (js, "/home/u/work", env, "login1", &err);
    if (rc == 0)
        fuzz_jobspec_promises (js);
    else
        FUZZ_CHECK (err.text[0] && errno == EINVAL, "refused without a reason (errno %d)", errno);
    jobspec_destroy (js);
    fuzz_argv_free (argv);
    return 0;
}
