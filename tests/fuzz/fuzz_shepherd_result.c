/* fuzz_shepherd_result.c - the shepherd's result file, which the agent
 * reads back after a job (or after its own restart) and reports in
 * job.ended (shepherd_result_from_json, common/shepherd_result.h)
 *
 * Input: one JSON text.  Checks: an accepted result is within the bounds
 * the header gives, encodes, and decodes back to the same encoding. */
#include <stdlib.h>
#include <string.h>

#include "common/jobspec.h"
#include "common/shepherd_result.h"
#include "tests/fuzz/fuzz.h"

FUZZ_ENTRY (shepherd_result)
{
    json_t *o = fuzz_json (data, size);
    if (!o)
        return 0;
    struct herror err = {""};
    struct shepherd_result res, back;
    memset (&res, 0, sizeof (res));
    if (shepherd_result_from_json (o, &res, &err) < 0) {
        FUZZ_CHECK (err.text[0], "refused without a reason");
        json_decref (o);
        return 0;
    }
    FUZZ_CHECK (jobspec_key_valid ((int64_t)res.seq), "seq %lu", res.seq);
    FUZZ_CHECK (res.exit_status >= SHEPHERD_STATUS_MIN && res.exit_status <= SHEPHERD_STATUS_MAX,
                "exit_status %d", res.exit_status);
    FUZZ_CHECK (memchr (res.error, '\0', sizeof (res.error)) &&
                    memchr (res.comment, '\0', sizeof (res.comment)),
                "an unterminated string");
    json_t *j1 = shepherd_result_to_json (&res);
    FUZZ_CHECK (j1, "an accepted result does not encode");
    memset (&back, 0, sizeof (back));
    FUZZ_CHECK (shepherd_result_from_json (j1, &back, &err) == 0,
                "a result's own encoding is refused: %s", err.text);
    json_t *j2 = shepherd_result_to_json (&back);
    FUZZ_CHECK (j2 && fuzz_json_same (j1, j2, "result encodings"),
                "a result changed when read back");
    enum shepherd_end e;
    FUZZ_CHECK (shepherd_reason_parse (shepherd_reason_name (res.reason), &e) == 0 &&
                    e == res.reason,
                "reason %d does not read back", (int)res.reason);
    json_decref (j2);
    json_decref (j1);
    json_decref (o);
    return 0;
}
