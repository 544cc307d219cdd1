/* fuzz_jobspec_args.c - qsub's command line (common/jobspec.h), with the
 * job script the options may come with
 *
 * Input: qsub's arguments separated by NUL bytes; two NULs in a row end
 * them, and what follows is the script (read for #PBS directives when the
 * arguments name no "--" command).  The request is finalized as qsub does
 * and every promise of a finalized request is checked
 * (fuzz_jobspec_submit). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/jobspec.h"
#include "tests/fuzz/fuzz.h"

#define MAX_WORDS 64

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
    fuzz_jobspec_submit (js, rc, &err);
    jobspec_destroy (js);
    fuzz_argv_free (argv);
    return 0;
}
