/* fuzz_rset_json.c - a job's allocation, as job.launch carries it to an
 * agent and the store keeps it (rset_from_json, common/rset.h)
 *
 * Input: one JSON text.  Checks: an accepted allocation encodes to what
 * decodes back to the same encoding (what one side writes the other reads
 * back unchanged), its totals add up, every node is found by name. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/rset.h"
#include "tests/fuzz/fuzz.h"

FUZZ_ENTRY (rset_json)
{
    json_t *o = fuzz_json (data, size);
    if (!o)
        return 0;
    struct herror err = {""};
    struct rset *r = rset_from_json (o, &err);
    if (!r) {
        FUZZ_CHECK (err.text[0], "refused without a reason");
        json_decref (o);
        return 0;
    }
    long cores = 0, gpus = 0;
    uint64_t mem = 0;
    for (int i = 0; i < rset_nnodes (r); i++) {
        const struct rset_node *n = rset_node (r, i);
        FUZZ_CHECK (n && n->name && rset_find (r, n->name) == i, "node %d not found by name", i);
        FUZZ_CHECK (strlen (n->name) > 0 && strlen (n->name) < RSET_NAME_MAX, "node name size");
        cores += n->ncores;
        gpus += n->ngpus;
        mem += n->mem;
    }
    FUZZ_CHECK (rset_total_cores (r) == cores && rset_total_gpus (r) == gpus,
                "totals do not add up");
    (void)mem;
    json_t *j1 = rset_to_json (r);
    FUZZ_CHECK (j1, "an accepted allocation does not encode");
    struct rset *back = rset_from_json (j1, &err);
    FUZZ_CHECK (back, "an allocation's own encoding is refused: %s", err.text);
    json_t *j2 = rset_to_json (back);
    FUZZ_CHECK (j2 && fuzz_json_same (j1, j2, "allocation encodings"),
                "an allocation changed when read back");
    json_decref (j2);
    rset_destroy (back);
    json_decref (j1);
    rset_destroy (r);
    json_decref (o);
    return 0;
}
