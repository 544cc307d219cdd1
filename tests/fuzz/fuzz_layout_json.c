/* fuzz_layout_json.c - a job's rank layout file, which huddle-bind reads
 * inside the job to bind each MPI rank (layout_from_json,
 * topology/layout.h)
 *
 * Input: one JSON text.  Checks: an accepted layout encodes to what
 * decodes back to the same encoding, its ranks are numbered in order and
 * found by node and local number, and it writes an Open MPI rankfile. */
#include <stdio.h>
#include <stdlib.h>

#include "topology/layout.h"
#include "tests/fuzz/fuzz.h"

FUZZ_ENTRY (layout_json)
{
    json_t *o = fuzz_json (data, size);
    if (!o)
        return 0;
    struct herror err = {""};
    struct layout *l = layout_from_json (o, &err);
    if (!l) {
        FUZZ_CHECK (err.text[0], "refused without a reason");
        json_decref (o);
        return 0;
    }
    int n = layout_nranks (l);
    FUZZ_CHECK (n >= 0 && n <= LAYOUT_MAX_RANKS, "%d ranks", n);
    for (int i = 0; i < n && i < 256; i++) {
        const struct layout_rank *r = layout_rank (l, i);
        FUZZ_CHECK (r && r->rank == i && r->node, "rank %d", i);
        const struct layout_rank *f = layout_find_local (l, r->node, r->local);
        FUZZ_CHECK (f && f->local == r->local, "rank %d not found on %s as local %d", i, r->node,
                    r->local);
    }
    FUZZ_CHECK (!layout_rank (l, n), "a rank past the end");
    json_t *j1 = layout_to_json (l);
    FUZZ_CHECK (j1, "an accepted layout does not encode");
    struct layout *back = layout_from_json (j1, &err);
    FUZZ_CHECK (back, "a layout's own encoding is refused: %s", err.text);
    json_t *j2 = layout_to_json (back);
    FUZZ_CHECK (j2 && fuzz_json_same (j1, j2, "layout encodings"),
                "a layout changed when read back");
    FILE *devnull = fopen ("/dev/null", "w");
    if (devnull) {
        FUZZ_CHECK (layout_write_rankfile (l, devnull) == 0, "no rankfile");
        fclose (devnull);
    }
    json_decref (j2);
    layout_destroy (back);
    json_decref (j1);
    layout_destroy (l);
    json_decref (o);
    return 0;
}
