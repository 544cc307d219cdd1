/* fuzz_node_json.c - the node model an agent sends in node.register and
 * the controller stores (topo_node_from_json, topology/node.h)
 *
 * Input: one JSON text.  Checks: a model the decoder accepts encodes
 * (topo_node_to_json) to JSON that decodes back to the same encoding, and
 * everything that reads a model (summary, GPU islands, qtopo's rendering)
 * takes it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "topology/node.h"
#include "topology/render.h"
#include "tests/fuzz/fuzz.h"

FUZZ_ENTRY (node_json)
{
    json_t *o = fuzz_json (data, size);
    if (!o)
        return 0;
    struct herror err = {""};
    struct topo_node *n = topo_node_from_json (o, &err);
    if (!n) {
        FUZZ_CHECK (err.text[0] && errno == EINVAL, "refused without a reason");
        json_decref (o);
        return 0;
    }
    json_t *j1 = topo_node_to_json (n);
    FUZZ_CHECK (j1, "an accepted model does not encode");
    struct topo_node *back = topo_node_from_json (j1, &err);
    FUZZ_CHECK (back, "a model's own encoding is refused: %s", err.text);
    json_t *j2 = topo_node_to_json (back);
    FUZZ_CHECK (j2 && fuzz_json_same (j1, j2, "model encodings"), "a model changed when read back");

    char line[256];
    topo_node_summary (n, line, sizeof (line));
    int *island = n->ngpus ? calloc (n->ngpus, sizeof (*island)) : NULL;
    int k = topo_node_gpu_islands (n, island);
    FUZZ_CHECK (k >= 0 && (unsigned)k <= n->ngpus, "%d GPU islands of %u GPUs", k, n->ngpus);
    for (unsigned i = 0; i < n->ngpus; i++)
        FUZZ_CHECK (island[i] >= 0 && island[i] < k, "GPU %u in island %d of %d", i, island[i], k);
    free (island);
    (void)topo_node_memory (n);
    FILE *devnull = fopen ("/dev/null", "w");
    if (devnull) {
        topo_render_node (n, devnull);
        topo_render_node_dot (n, devnull);
        fclose (devnull);
    }
    json_decref (j2);
    topo_node_destroy (back);
    json_decref (j1);
    topo_node_destroy (n);
    json_decref (o);
    return 0;
}
