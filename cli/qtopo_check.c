/* qtopo_check.c - qtopo --check (qtopo_check.h)
 *
 * The rule.  The measured latencies are split into "near" (what leaf
 * mates measure) and "far" (what crosses a switch above a leaf) at the
 * widest gap between two consecutive latencies in sorted order, taken as
 * a ratio; the split is made only when that gap is at least
 * CHECK_MIN_GAP (2x): one more switch hop costs far more than that, while
 * the noise of one measurement is far less, so a smaller gap means every
 * pair measures alike and nothing can be said.  The threshold is the
 * geometric mean of the two latencies on either side of the gap.  Then a
 * pair declared under one leaf that measures far, or a pair declared
 * under different leaves that measures near, contradicts the tree.  The
 * split is made from the measurements alone, not from the declared tree,
 * so that a tree that misplaces nodes cannot hide its own errors (the
 * medians of the declared classes move with the mistake).  Pairs never
 * measured, and nodes the tree does not hold, are not judged.
 *
 * Text:
 *   near <= 6.1 us (median 2.0), far (median 25.0): 6 pairs measured
 *   node01  node03  declared same leaf (leaf1), measures far: 25.0 us, 900.0 MB/s
 *   2 contradictions
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/climain.h"
#include "cli/qtopo_check.h"
#include "cli/qtopo_job.h"

#define CHECK_MIN_GAP 2.0

json_t *qtopo_check_links (const json_t *fabric, const json_t *links)
{
    size_t n = json_array_size (links), m = 0, i, nn = 0, nf = 0;
    double *lat = calloc (n + 1, sizeof (*lat)), *near = calloc (n + 1, sizeof (*near));
    double *far = calloc (n + 1, sizeof (*far));
    json_t *out = json_pack ("{s:[]}", "contradictions"), *l;
    double threshold = 0;
    bool split = false;

    if (!lat || !near || !far || !out)
        goto fail;
    json_array_foreach (links, i, l)
    {
        double v = json_number_value (json_object_get (l, "latency_us"));
        if (v > 0)
            lat[m++] = v;
    }
    qtopo_sort (lat, m);
    double best = CHECK_MIN_GAP;
    for (size_t k = 0; k + 1 < m; k++) {
        if (lat[k + 1] / lat[k] >= best) {
            best = lat[k + 1] / lat[k];
            threshold = sqrt (lat[k] * lat[k + 1]);
            split = true;
        }
    }
    json_object_set_new (out, "measured", json_integer ((json_int_t)m));
    if (!split)
        goto done;
    json_array_foreach (links, i, l)
    {
        const char *a = json_string_value (json_object_get (l, "a"));
        const char *b = json_string_value (json_object_get (l, "b"));
        double v = json_number_value (json_object_get (l, "latency_us"));
        const char *la = a ? qtopo_leaf_of (fabric, a) : NULL;
        const char *lb = b ? qtopo_leaf_of (fabric, b) : NULL;
        bool is_near = v < threshold;
        if (v <= 0)
            continue;
        if (is_near)
            near[nn++] = v;
        else
            far[nf++] = v;
        if (!la || !lb)
            continue;
        bool same = strcmp (la, lb) == 0;
        if (same == is_near)
            continue;
        json_t *c =
            json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f}", "a", a, "b", b, "leaf_a", la,
                       "leaf_b", lb, "declared", same ? "same leaf" : "different leaves",
                       "measured", is_near ? "near" : "far", "latency_us", v, "bandwidth_mbps",
                       json_number_value (json_object_get (l, "bandwidth_mbps")));
        if (!c || json_array_append_new (json_object_get (out, "contradictions"), c) < 0)
            goto fail;
    }
    json_object_set_new (out, "threshold_us", json_real (threshold));
    json_object_set_new (out, "near_median_us", json_real (qtopo_median (near, nn)));
    json_object_set_new (out, "far_median_us", json_real (qtopo_median (far, nf)));
done:
    free (lat);
    free (near);
    free (far);
    return out;
fail:
    free (lat);
    free (near);
    free (far);
    json_decref (out);
    return NULL;
}

static int print_text (const json_t *r, FILE *f)
{
    json_t *cs = json_object_get (r, "contradictions"), *c;
    size_t i;
    long long m = (long long)json_integer_value (json_object_get (r, "measured"));
    if (!json_object_get (r, "threshold_us"))
        return fprintf (f,
                        "%lld pairs measured, all alike (no gap of %.0fx between latencies): "
                        "nothing to check\n",
                        m, CHECK_MIN_GAP) < 0
                   ? -1
                   : 0;
    if (fprintf (f, "near < %.1f us (median %.1f), far (median %.1f): %lld pairs measured\n",
                 json_number_value (json_object_get (r, "threshold_us")),
                 json_number_value (json_object_get (r, "near_median_us")),
                 json_number_value (json_object_get (r, "far_median_us")), m) < 0)
        return -1;
    json_array_foreach (cs, i, c)
    {
        const char *la = json_string_value (json_object_get (c, "leaf_a"));
        const char *lb = json_string_value (json_object_get (c, "leaf_b"));
        bool same = strcmp (la, lb) == 0;
        char decl[256];
        if (same)
            snprintf (decl, sizeof (decl), "declared same leaf (%s)", la);
        else
            snprintf (decl, sizeof (decl), "declared different leaves (%s, %s)", la, lb);
        if (fprintf (f, "%s  %s  %s, measures %s: %.1f us, %.1f MB/s\n",
                     json_string_value (json_object_get (c, "a")),
                     json_string_value (json_object_get (c, "b")), decl, same ? "far" : "near",
                     json_number_value (json_object_get (c, "latency_us")),
                     json_number_value (json_object_get (c, "bandwidth_mbps"))) < 0)
            return -1;
    }
    return fprintf (f, "%zu contradiction%s\n", json_array_size (cs),
                    json_array_size (cs) == 1 ? "" : "s") < 0
               ? -1
               : 0;
}

int qtopo_check (bool json)
{
    struct cli cli = {0};
    int status = QTOPO_CHECK_CANNOT, ignored;
    json_t *fab = NULL, *links = NULL, *r = NULL;

    if (cli_open (&cli, "qtopo") < 0)
        return QTOPO_CHECK_CANNOT;
    if (!(fab = cli_request (&cli, json_pack ("{s:s}", "type", "fabric.query"), NULL, &ignored)) ||
        !(links = cli_request (&cli, json_pack ("{s:s}", "type", "link.query"), NULL, &ignored)))
        goto out;
    if (!json_is_object (json_object_get (fab, "fabric"))) {
        fprintf (stderr, "qtopo: the controller has no declared fabric (option fabric) to check\n");
        goto out;
    }
    r = qtopo_check_links (json_object_get (fab, "fabric"), json_object_get (links, "links"));
    if (!r) {
        fprintf (stderr, "qtopo: out of memory\n");
        goto out;
    }
    int rc;
    if (json) {
        char *s = json_dumps (r, JSON_COMPACT);
        rc = s && printf ("%s\n", s) >= 0 ? 0 : -1;
        free (s);
    } else
        rc = print_text (r, stdout);
    if (rc == 0 && fflush (stdout) == 0)
        status = json_array_size (json_object_get (r, "contradictions")) ? QTOPO_CHECK_DISPUTE
                                                                         : QTOPO_CHECK_AGREE;
    else
        fprintf (stderr, "qtopo: cannot write output\n");
out:
    json_decref (r);
    json_decref (fab);
    json_decref (links);
    cli_close (&cli);
    return status;
}
