/* fuzz_jobspec_script.c - #PBS directives of a job script
 * (jobspec_parse_script, common/jobspec.h)
 *
 * Input: the script, as qsub reads it from a file or stdin.  It is parsed
 * with no command-line options, finalized as qsub does, and every promise
 * of a finalized request is checked (fuzz_jobspec_promises). */
#include <errno.h>
#include <stdlib.h>

#include "common/jobspec.h"
#include "tests/fuzz/fuzz.h"

static char *const env[] = {"HOME=/home/u", "PATH=/usr/bin:/bin", "LOGNAME=u", NULL};

FUZZ_ENTRY (jobspec_script)
{
    struct jobspec *js = jobspec_create();
    struct herror err = {""};
    if (!js)
        fuzz_fail ("out of memory");
    int rc = jobspec_parse_script (js, (const char *)data, size, &err);
    if (rc == 0)
        rc = jobspec_finalize (js, "/home/u/work", env, "login1", &err);
    if (rc == 0)
        fuzz_jobspec_promises (js);
    else
        FUZZ_CHECK (err.text[0] && errno == EINVAL, "refused without a reason (errno %d)", errno);
    jobspec_destroy (js);
    return 0;
}
