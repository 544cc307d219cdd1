/* fuzz_topology_conf.c - Slurm's topology.conf as huddle-ctld reads its
 * fabric option (fabric_parse_topology_conf, topology/fabric.h)
 *
 * Input: the file's text.  Checks the model fabric.h promises of any tree
 * it accepts (fuzz_fabric_promises): one root, levels, the fabric order
 * with each switch's nodes a contiguous range, lookups that find every
 * name, lone nodes that can be added. */
#include <stdlib.h>

#include "topology/fabric.h"
#include "tests/fuzz/fuzz.h"

FUZZ_ENTRY (topology_conf)
{
    char *text = fuzz_strndup (data, size);
    struct herror err = {""};
    struct fabric *f = fabric_parse_topology_conf (text, "topology.conf", &err);
    if (f)
        fuzz_fabric_promises (f);
    else
        FUZZ_CHECK (err.text[0], "refused without a reason");
    fabric_destroy (f);
    free (text);
    return 0;
}
