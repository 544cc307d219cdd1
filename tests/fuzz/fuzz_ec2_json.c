/* fuzz_ec2_json.c - EC2 DescribeInstanceTopology JSON and its map file
 * (fabric_parse_ec2, topology/fabric.h)
 *
 * Input: the JSON text, then optionally a NUL byte and the map file's
 * text.  Checks the promises of any tree (fuzz_fabric_promises), and that
 * the quick reader fabric.c uses for plain text and jansson, which reads
 * everything else, agree: the same input with a number added at the top
 * (which the quick reader leaves to jansson) gives the same tree, or is
 * refused likewise. */
#include <stdlib.h>
#include <string.h>

#include "topology/fabric.h"
#include "tests/fuzz/fuzz.h"

FUZZ_ENTRY (ec2_json)
{
    const uint8_t *nul = memchr (data, '\0', size);
    size_t jsize = nul ? (size_t)(nul - data) : size;
    char *text = fuzz_strndup (data, jsize);
    char *map = nul ? fuzz_strndup (nul + 1, size - jsize - 1) : NULL;
    struct herror err = {""};
    struct fabric *f = fabric_parse_ec2 (text, "ec2.json", map, "ec2.map", &err);
    FUZZ_CHECK (f || err.text[0], "refused without a reason");

    /* The other reader: a top-level number sends the text to jansson. */
    json_error_t jerr;
    json_t *o = json_loads (text, 0, &jerr);
    if (json_is_object (o) && !json_object_get (o, "fuzz_number")) {
        json_object_set_new (o, "fuzz_number", json_integer (1));
        char *text2 = json_dumps (o, JSON_COMPACT);
        struct fabric *f2 =
            text2 ? fabric_parse_ec2 (text2, "ec2.json", map, "ec2.map", &err) : NULL;
        if (text2) {
            FUZZ_CHECK (!f == !f2, "the two EC2 readers disagree: %s by the quick one",
                        f ? "accepted" : "refused");
            FUZZ_CHECK (!f || fabric_same (f, f2), "the two EC2 readers build different trees");
        }
        fabric_destroy (f2);
        free (text2);
    }
    json_decref (o);
    if (f)
        fuzz_fabric_promises (f); /* after the comparison: it adds a node */
    fabric_destroy (f);
    free (map);
    free (text);
    return 0;
}
