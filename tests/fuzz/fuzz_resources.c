/* fuzz_resources.c - the values of "qsub -l" (common/pbs_resources.h):
 * sizes, walltimes, select and nodes chunk lists, place, switches, label
 * lists and names
 *
 * Input: one byte choosing the parser, then the value.  Checks: what a
 * parser accepts is within the bounds pbs_resources.h promises; what it
 * refuses comes with a reason and leaves the outputs as they were; sizes,
 * walltimes, select and place print (pbs_format.h) as text that parses
 * back to the same value. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/pbs_format.h"
#include "common/pbs_resources.h"
#include "tests/fuzz/fuzz.h"

static void one_size (const char *s)
{
    struct herror err = {""};
    uint64_t v = 7, back = 0;
    char buf[PBS_FORMAT_BUFSIZE];
    if (pbs_size_parse (s, &v, &err) < 0) {
        FUZZ_CHECK (v == 7 && err.text[0], "a refused size changed the output or gave no reason");
        return;
    }
    FUZZ_CHECK (v <= RESREQ_MAX_MEM, "size %llu over the bound", (unsigned long long)v);
    pbs_format_size (v, buf, sizeof (buf));
    FUZZ_CHECK (pbs_size_parse (buf, &back, &err) == 0 && back == v,
                "size %llu printed as \"%s\" reads back %llu", (unsigned long long)v, buf,
                (unsigned long long)back);
}

static void one_walltime (const char *s)
{
    struct herror err = {""};
    int64_t v = -7, back = -1;
    char buf[PBS_FORMAT_BUFSIZE];
    if (pbs_walltime_parse (s, &v, &err) < 0) {
        FUZZ_CHECK (v == -7 && err.text[0], "a refused walltime changed the output");
        return;
    }
    FUZZ_CHECK (v >= 0 && v <= RESREQ_MAX_WALLTIME, "walltime %lld out of bounds", (long long)v);
    pbs_format_walltime (v, buf, sizeof (buf));
    FUZZ_CHECK (pbs_walltime_parse (buf, &back, &err) == 0 && back == v,
                "walltime %lld printed as \"%s\" reads back %lld", (long long)v, buf,
                (long long)back);
}

static void one_chunks (const char *s, bool nodes)
{
    struct herror err = {""};
    struct resreq r = {0};
    int rc = nodes ? pbs_nodes_parse (s, &r, &err) : pbs_select_parse (s, &r, &err);
    if (rc < 0) {
        FUZZ_CHECK (r.nchunks == 0 && !r.chunks && err.text[0],
                    "a refused chunk list changed the request or gave no reason");
        return;
    }
    FUZZ_CHECK (r.nchunks >= 1 && r.chunks, "an accepted chunk list without chunks");
    for (int i = 0; i < r.nchunks; i++)
        FUZZ_CHECK (pbs_labels_check (r.chunks[i].labels, &err) == 0,
                    "chunk %d: labels \"%s\" the parser let in are refused: %s", i,
                    r.chunks[i].labels, err.text);
    /* What the request checker (the controller's) lets in prints and reads
     * back the same. */
    if (pbs_resreq_check (&r, &err) == 0)
        fuzz_select_roundtrip (&r);
    resreq_clear (&r);
}

static void one_place (const char *s)
{
    struct herror err = {""};
    enum resreq_arrangement a = RESREQ_FREE, a2 = RESREQ_FREE;
    enum resreq_sharing sh = RESREQ_SHARED, sh2 = RESREQ_SHARED;
    bool group = false, group2 = false;
    char buf[PBS_FORMAT_BUFSIZE];
    if (pbs_place_parse (s, &a, &sh, &group, &err) < 0) {
        FUZZ_CHECK (err.text[0], "place refused without a reason");
        return;
    }
    FUZZ_CHECK ((unsigned)a <= RESREQ_SCATTER && (unsigned)sh <= RESREQ_EXCLHOST,
                "place out of its enums");
    pbs_format_place (a, sh, buf, sizeof (buf));
    FUZZ_CHECK (pbs_place_parse (buf, &a2, &sh2, &group2, &err) == 0 && a2 == a && sh2 == sh,
                "place printed as \"%s\" reads back different", buf);
    (void)pbs_place_parse (s, &a, &sh, NULL, &err);
}

static void one_switches (const char *s)
{
    struct herror err = {""};
    int n = -5;
    int64_t wait = -5;
    if (pbs_switches_parse (s, &n, &wait, &err) < 0) {
        FUZZ_CHECK (n == -5 && wait == -5 && err.text[0], "refused switches changed the output");
        return;
    }
    FUZZ_CHECK (n >= 1 && n <= RESREQ_MAX_COUNT && wait >= -1 && wait <= RESREQ_MAX_WALLTIME,
                "switches %d@%lld out of bounds", n, (long long)wait);
}

static void one_labels (const char *s)
{
    struct herror err = {""};
    if (pbs_labels_check (s, &err) == 0) {
        FUZZ_CHECK (strlen (s) < RESREQ_LABELS_MAX, "a label list over its size");
        FUZZ_CHECK (pbs_labels_match (s, s), "labels \"%s\" do not match themselves", s);
    }
    (void)pbs_labels_match (s, "a100,gpu_type=a100");
    (void)pbs_labels_match ("a100,gpu_type=a100,arch=linux", s);
    (void)pbs_label_name_valid (s, strlen (s));
    if (pbs_hostname_valid (s))
        FUZZ_CHECK (strlen (s) >= 1 && strlen (s) <= 63, "host name of %zu bytes", strlen (s));
    if (pbs_pgroup_name_valid (s))
        FUZZ_CHECK (strlen (s) >= 1 && strlen (s) <= RESREQ_PGROUP_MAX, "pgroup of %zu bytes",
                    strlen (s));
}

FUZZ_ENTRY (resources)
{
    if (size < 1)
        return 0;
    char *s = fuzz_strndup (data + 1, size - 1);
    switch (data[0] % 7) {
    case 0:
        one_size (s);
        break;
    case 1:
        one_walltime (s);
        break;
    case 2:
        one_chunks (s, false);
        break;
    case 3:
        one_chunks (s, true);
        break;
    case 4:
        one_place (s);
        break;
    case 5:
        one_switches (s);
        break;
    default:
        one_labels (s);
        break;
    }
    free (s);
    return 0;
}
