/* fuzz_jobspec_json.c - the "Job request" the controller takes in
 * job.submit and the "Job" object it stores and an agent takes in
 * job.launch (jobspec_from_json, jobspec_job_from_json; common/jobspec.h)
 *
 * Input: one JSON text.  The controller's decoder of requests and the
 * decoder of job objects both read it; what either accepts must encode
 * and decode back to the same object (for a request: every promise of
 * fuzz_jobspec_promises). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/jobspec.h"
#include "tests/fuzz/fuzz.h"

FUZZ_ENTRY (jobspec_json)
{
    json_t *o = fuzz_json (data, size);
    if (!o)
        return 0;
    struct herror err = {""};
    struct jobspec *req = jobspec_from_json (o, &err);
    if (req)
        fuzz_jobspec_promises (req);
    else
        FUZZ_CHECK (err.text[0], "request refused without a reason");
    jobspec_destroy (req);

    err.text[0] = '\0';
    struct jobspec *job = jobspec_job_from_json (o, &err);
    if (job) {
        json_t *j1 = jobspec_job_to_json (job);
        FUZZ_CHECK (j1, "an accepted job does not encode: %s", strerror (errno));
        struct jobspec *back = jobspec_job_from_json (j1, &err);
        FUZZ_CHECK (back, "a job's own encoding is refused: %s", err.text);
        json_t *j2 = jobspec_job_to_json (back);
        FUZZ_CHECK (j2 && fuzz_json_same (j1, j2, "job encodings"), "a job changed when read back");
        fuzz_select_roundtrip (&job->res);
        json_decref (j2);
        jobspec_destroy (back);
        json_decref (j1);
    } else {
        FUZZ_CHECK (err.text[0], "job refused without a reason");
    }
    jobspec_destroy (job);
    json_decref (o);
    return 0;
}
