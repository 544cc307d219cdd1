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
 * Next to the declared tree, the leaves inferred from the same links by
 * the rule the controller uses when no tree is declared
 * (topology/infer.h), each with the declared leaves of its nodes, so that
 * a reader sees at once which nodes the measurements put together.
 *
 * Text:
 *   near <= 6.1 us (median 2.0), far (median 25.0): 6 pairs measured
 *   node01  node03  declared same leaf (leaf1), measures far: 25.0 us, 900.0 MB/s
 *   2 contradictions
 *   inferred from 6 measured pairs:
 *     leaf1  node01 node02  (declared leaf1)
 *     leaf2  node03 node04  (declared leaf1, leaf2)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/climain.h"
#include "cli/qtopo_check.h"
#include "cli/qtopo_job.h"
#include "topology/fabric.h"
#include "topology/infer.h"

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

/* The node names of the declared FABRIC and of LINKS, each once, into
 * the object SEEN (name -> true) and the array NAMES (borrowed). */
static int add_name (json_t *seen, const char **names, size_t *n, const char *name)
{
    if (!name || json_object_get (seen, name))
        return 0;
    names[(*n)++] = name;
    return json_object_set_new (seen, name, json_true());
}

json_t *qtopo_check_inferred (const json_t *fabric, const json_t *links)
{
    size_t nl = json_array_size (links), nn = 0, i, k, used = 0;
    struct fabric_measure *m = calloc (nl + 1, sizeof (*m));
    const json_t *sw, *v, *l;
    size_t cap = 2 * nl + 1;
    json_array_foreach (json_object_get (fabric, "switches"), i, sw) cap +=
        json_array_size (json_object_get (sw, "nodes"));
    const char **names = calloc (cap, sizeof (*names));
    json_t *seen = json_object(), *out = NULL, *leaves = json_array();
    struct fabric *tree = NULL;
    struct herror err = {""};

    if (!m || !names || !seen || !leaves)
        goto done;
    json_array_foreach (json_object_get (fabric, "switches"), i, sw)
    {
        json_array_foreach (json_object_get (sw, "nodes"), k, v)
        {
            if (add_name (seen, names, &nn, json_string_value (v)) < 0)
                goto done;
        }
    }
    json_array_foreach (links, i, l)
    {
        m[i] = (struct fabric_measure){
            .a = json_string_value (json_object_get (l, "a")),
            .b = json_string_value (json_object_get (l, "b")),
            .latency_us = json_number_value (json_object_get (l, "latency_us")),
            .bandwidth_mbps = json_number_value (json_object_get (l, "bandwidth_mbps"))};
        if (add_name (seen, names, &nn, m[i].a) < 0 || add_name (seen, names, &nn, m[i].b) < 0)
            goto done;
    }
    if (nn == 0 || !(tree = fabric_infer (names, nn, m, nl, &used, &err)))
        goto done;
    for (size_t s = 0; s < fabric_switch_count (tree); s++) {
        size_t first, count;
        if (!fabric_switch_is_leaf (tree, (int)s))
            continue;
        fabric_switch_range (tree, (int)s, &first, &count);
        json_t *nodes = json_array(), *decl = json_array();
        json_t *o = json_pack ("{s:s, s:o, s:o}", "name", fabric_switch_name (tree, (int)s),
                               "nodes", nodes, "declared", decl);
        if (!o || json_array_append_new (leaves, o) < 0)
            goto done;
        for (size_t j = first; j < first + count; j++) {
            const char *name = fabric_node_name (tree, j), *d = qtopo_leaf_of (fabric, name);
            json_array_append_new (nodes, json_string (name));
            bool have = false;
            json_array_foreach (decl, k, v) have =
                have || (d && !strcmp (json_string_value (v), d));
            if (d && !have)
                json_array_append_new (decl, json_string (d));
        }
    }
    out = json_pack ("{s:I, s:O}", "pairs", (json_int_t)used, "leaves", leaves);
done:
    fabric_destroy (tree);
    json_decref (seen);
    json_decref (leaves);
    free (names);
    free (m);
    return out;
}

static int print_inferred (const json_t *inf, FILE *f)
{
    const json_t *leaf, *v;
    size_t i, k;
    if (fprintf (f, "inferred from %lld measured pairs:\n",
                 (long long)json_integer_value (json_object_get (inf, "pairs"))) < 0)
        return -1;
    json_array_foreach (json_object_get (inf, "leaves"), i, leaf)
    {
        fprintf (f, "  %s ", json_string_value (json_object_get (leaf, "name")));
        json_array_foreach (json_object_get (leaf, "nodes"), k, v)
            fprintf (f, " %s", json_string_value (v));
        fputs ("  (declared", f);
        json_array_foreach (json_object_get (leaf, "declared"), k, v)
            fprintf (f, "%s %s", k ? "," : "", json_string_value (v));
        if (json_array_size (json_object_get (leaf, "declared")) == 0)
            fputs (" nowhere", f);
        fputs (")\n", f);
    }
    return ferror (f) ? -1 : 0;
}

static int print_contradictions (const json_t *r, FILE *f)
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

/* Graphviz: every declared leaf a box of its nodes, and each
 * contradicting pair a red edge saying what it measures. */
static int print_dot (const json_t *r, const json_t *fabric, FILE *f)
{
    const json_t *sw, *v, *c;
    size_t i, k;
    fprintf (f, "graph check {\n  node [shape=box];\n");
    json_array_foreach (json_object_get (fabric, "switches"), i, sw)
    {
        const json_t *nodes = json_object_get (sw, "nodes");
        if (!json_is_array (nodes))
            continue;
        fprintf (f, "  subgraph \"cluster_%s\" {\n    label=\"%s\";\n",
                 json_string_value (json_object_get (sw, "name")),
                 json_string_value (json_object_get (sw, "name")));
        json_array_foreach (nodes, k, v) fprintf (f, "    \"%s\";\n", json_string_value (v));
        fprintf (f, "  }\n");
    }
    json_array_foreach (json_object_get (r, "contradictions"), i, c)
    {
        bool same = strcmp (json_string_value (json_object_get (c, "leaf_a")) ?: "",
                            json_string_value (json_object_get (c, "leaf_b")) ?: "") == 0;
        fprintf (f, "  \"%s\" -- \"%s\" [color=red, style=dashed, label=\"%s %.1f us\"];\n",
                 json_string_value (json_object_get (c, "a")),
                 json_string_value (json_object_get (c, "b")), same ? "far" : "near",
                 json_number_value (json_object_get (c, "latency_us")));
    }
    return fprintf (f, "}\n") < 0 || ferror (f) ? -1 : 0;
}

static int print_text (const json_t *r, FILE *f)
{
    const json_t *inf = json_object_get (r, "inferred");
    if (print_contradictions (r, f) < 0)
        return -1;
    return inf ? print_inferred (inf, f) : 0;
}

int qtopo_check (enum qtopo_check_format fmt)
{
    struct cli cli = {0};
    int status = QTOPO_CHECK_CANNOT, ignored;
    json_t *fab = NULL, *links = NULL, *r = NULL;

    if (cli_open (&cli, "qtopo") < 0)
        return QTOPO_CHECK_CANNOT;
    if (!(fab = cli_request (&cli, json_pack ("{s:s}", "type", "fabric.query"), NULL, &ignored)) ||
        !(links =
              cli_query_pages (&cli, json_pack ("{s:s}", "type", "link.query"), "links", &ignored)))
        goto out;
    const json_t *fabric = json_object_get (fab, "fabric"), *ls = json_object_get (links, "links");
    if (!json_is_object (fabric)) {
        fprintf (stderr, "qtopo: the controller has no declared fabric (option fabric) to check\n");
        goto out;
    }
    if (strcmp (json_string_value (json_object_get (fabric, "source")) ?: "", "measured") == 0) {
        fprintf (stderr, "qtopo: the controller's fabric is inferred from the measured links, "
                         "not declared (option fabric): there is nothing to check them "
                         "against\n");
        goto out;
    }
    r = qtopo_check_links (fabric, ls);
    if (r && json_array_size (ls) > 0) {
        json_t *inf = qtopo_check_inferred (fabric, ls);
        if (!inf || json_object_set_new (r, "inferred", inf) < 0) {
            json_decref (r);
            r = NULL;
        }
    }
    if (!r) {
        fprintf (stderr, "qtopo: out of memory\n");
        goto out;
    }
    int rc;
    if (fmt == QTOPO_CHECK_JSON) {
        char *s = json_dumps (r, JSON_COMPACT);
        rc = s && printf ("%s\n", s) >= 0 ? 0 : -1;
        free (s);
    } else if (fmt == QTOPO_CHECK_DOT) {
        rc = print_dot (r, fabric, stdout);
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
