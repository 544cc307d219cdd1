/* fuzz_jobspec_script.c - #PBS directives of a job script
 * (jobspec_parse_script, common/jobspec.h)
 *
 * Input: the script, as qsub reads it from a file or stdin.  It is parsed
 * with no command-line options, then finalized and checked as qsub's
 * request (fuzz_jobspec_submit). */
#include <errno.h>
#include <stdlib.h>

#include "common/jobspec.h"
#include "tests/fuzz/fuzz.h"

FUZZ_ENTRY (jobspec_script)
{
    struct jobspec *js = jobspec_create();
    struct herror err = {""};
    if (!js)
        fuzz_fail ("out of memory");
    int rc = jobspec_parse_script (js, (const char *)data, size, &err);
    fuzz_jobspec_submit (js, rc, &err);
    jobspec_destroy (js);
    return 0;
}
