/* qtopo_job.c - qtopo -j JOBID (qtopo_job.h)
 *
 * Everything comes from what the controller already keeps: the job
 * object (allocation, switches_spanned, common_switch), the switch tree
 * (fabric.query) and the measured links (link.query).  Ranks are numbered
 * as the job sees them in PBS_NODEFILE: node after node in allocation
 * order (which is fabric order, leaf by leaf), each node's mpiprocs
 * ranks in turn.  Text:
 *
 *   job 12.srv: 2 nodes on 1 leaf, common switch leaf1
 *   NODE    LEAF   RANKS  CORES  GPUS
 *   node01  leaf1  0      0-1    -
 *   links: 1 of 1 pairs measured; latency max 1.5 median 1.5 us; bandwidth min 12000.0 median
 * 12000.0 MB/s
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/climain.h"
#include "cli/qtopo_job.h"

const char *qtopo_leaf_of (const json_t *fabric, const char *name)
{
    json_t *sw, *node;
    size_t i, k;
    json_array_foreach (json_object_get (fabric, "switches"), i, sw)
    {
        json_array_foreach (json_object_get (sw, "nodes"), k, node)
        {
            if (json_is_string (node) && strcmp (json_string_value (node), name) == 0)
                return json_string_value (json_object_get (sw, "name"));
        }
    }
    return NULL;
}

static int dbl_cmp (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void qtopo_sort (double *v, size_t n)
{
    if (n > 0)
        qsort (v, n, sizeof (*v), dbl_cmp);
}

double qtopo_median (double *v, size_t n)
{
    if (n == 0)
        return 0;
    qtopo_sort (v, n);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A list of integers as "0-3,8" ("-" when empty) into buf. */
static void id_list (const json_t *ids, char *buf, size_t size)
{
    size_t i = 0, n = json_array_size (ids), used = 0;
    buf[0] = '\0';
    while (i < n && used < size) {
        json_int_t first = json_integer_value (json_array_get (ids, i)), last = first;
        while (i + 1 < n && json_integer_value (json_array_get (ids, i + 1)) == last + 1)
            last = json_integer_value (json_array_get (ids, ++i));
        i++;
        int w = first == last ? snprintf (buf + used, size - used, "%s%lld", used ? "," : "",
                                          (long long)first)
                              : snprintf (buf + used, size - used, "%s%lld-%lld", used ? "," : "",
                                          (long long)first, (long long)last);
        used += w > 0 ? (size_t)w : 0;
    }
    if (!buf[0])
        snprintf (buf, size, "-");
}

static bool in_job (const json_t *alloc, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach (alloc, i, e)
    {
        const char *n = json_string_value (json_object_get (e, "node"));
        if (n && strcmp (n, name) == 0)
            return true;
    }
    return false;
}

/* The view as one JSON object, which the text and the graph are printed
 * from: {job, nodes [{node, leaf?, first_rank, ranks, cores, gpus}],
 * leaves, common_switch?, pairs, measured, latency_us?, bandwidth_mbps?}. */
static json_t *build_view (const json_t *job, const json_t *fabric, const json_t *links)
{
    json_t *alloc = json_object_get (job, "allocation");
    json_t *nodes = json_array(), *leaves = json_object(), *e, *l;
    size_t i, n = json_array_size (alloc), measured = 0;
    json_int_t rank = 0;
    double *lat = calloc (json_array_size (links) + 1, sizeof (*lat));
    double *bw = calloc (json_array_size (links) + 1, sizeof (*bw));
    json_t *view = NULL;

    if (!nodes || !leaves || !lat || !bw)
        goto out;
    json_array_foreach (alloc, i, e)
    {
        const char *name = json_string_value (json_object_get (e, "node"));
        const char *leaf = name ? qtopo_leaf_of (fabric, name) : NULL;
        json_t *mp = json_object_get (e, "mpiprocs");
        json_int_t ranks = mp ? json_integer_value (mp) : 1;
        json_t *o =
            json_pack ("{s:s, s:I, s:I, s:O, s:O}", "node", name ? name : "?", "first_rank", rank,
                       "ranks", ranks, "cores", json_object_get (e, "cores") ?: json_array(),
                       "gpus", json_object_get (e, "gpus") ?: json_array());
        if (!o || json_array_append_new (nodes, o) < 0)
            goto out;
        if (leaf) {
            json_object_set_new (o, "leaf", json_string (leaf));
            json_object_set_new (leaves, leaf, json_true());
        }
        rank += ranks;
    }
    json_array_foreach (links, i, l)
    {
        const char *a = json_string_value (json_object_get (l, "a"));
        const char *b = json_string_value (json_object_get (l, "b"));
        if (a && b && in_job (alloc, a) && in_job (alloc, b)) {
            lat[measured] = json_number_value (json_object_get (l, "latency_us"));
            bw[measured++] = json_number_value (json_object_get (l, "bandwidth_mbps"));
        }
    }
    view = json_pack ("{s:O, s:O, s:I, s:I, s:I}", "job", json_object_get (job, "jobid"), "nodes",
                      nodes, "leaves", (json_int_t)json_object_size (leaves), "pairs",
                      (json_int_t)(n * (n - (n > 0)) / 2), "measured", (json_int_t)measured);
    if (view && json_object_get (job, "common_switch"))
        json_object_set (view, "common_switch", json_object_get (job, "common_switch"));
    if (view && measured > 0) {
        double lmax = 0, bmin = bw[0];
        for (size_t k = 0; k < measured; k++) {
            lmax = lat[k] > lmax ? lat[k] : lmax;
            bmin = bw[k] < bmin ? bw[k] : bmin;
        }
        json_object_set_new (
            view, "latency_us",
            json_pack ("{s:f, s:f}", "max", lmax, "median", qtopo_median (lat, measured)));
        json_object_set_new (
            view, "bandwidth_mbps",
            json_pack ("{s:f, s:f}", "min", bmin, "median", qtopo_median (bw, measured)));
    }
out:
    free (lat);
    free (bw);
    json_decref (nodes);
    json_decref (leaves);
    return view;
}

static int print_text (const json_t *v, FILE *f)
{
    json_t *nodes = json_object_get (v, "nodes"), *o;
    size_t i;
    const char *common = json_string_value (json_object_get (v, "common_switch"));
    if (fprintf (f, "job %s: %zu node%s on %lld lea%s, common switch %s\n",
                 json_string_value (json_object_get (v, "job")) ?: "?", json_array_size (nodes),
                 json_array_size (nodes) == 1 ? "" : "s",
                 (long long)json_integer_value (json_object_get (v, "leaves")),
                 json_integer_value (json_object_get (v, "leaves")) == 1 ? "f" : "ves",
                 common ? common : "- (no fabric)") < 0)
        return -1;
    if (fprintf (f, "%-12s  %-12s  %-9s  %-16s  %s\n", "NODE", "LEAF", "RANKS", "CORES", "GPUS") <
        0)
        return -1;
    json_array_foreach (nodes, i, o)
    {
        char cores[256], gpus[256], ranks[64];
        json_int_t first = json_integer_value (json_object_get (o, "first_rank"));
        json_int_t count = json_integer_value (json_object_get (o, "ranks"));
        if (count <= 0)
            snprintf (ranks, sizeof (ranks), "-");
        else if (count == 1)
            snprintf (ranks, sizeof (ranks), "%lld", (long long)first);
        else
            snprintf (ranks, sizeof (ranks), "%lld-%lld", (long long)first,
                      (long long)(first + count - 1));
        id_list (json_object_get (o, "cores"), cores, sizeof (cores));
        id_list (json_object_get (o, "gpus"), gpus, sizeof (gpus));
        if (fprintf (f, "%-12s  %-12s  %-9s  %-16s  %s\n",
                     json_string_value (json_object_get (o, "node")),
                     json_string_value (json_object_get (o, "leaf")) ?: "-", ranks, cores,
                     gpus) < 0)
            return -1;
    }
    json_t *lat = json_object_get (v, "latency_us"), *bw = json_object_get (v, "bandwidth_mbps");
    if (fprintf (f, "links: %lld of %lld pairs measured",
                 (long long)json_integer_value (json_object_get (v, "measured")),
                 (long long)json_integer_value (json_object_get (v, "pairs"))) < 0)
        return -1;
    if (lat && fprintf (f, "; latency max %.1f median %.1f us; bandwidth min %.1f median %.1f MB/s",
                        json_number_value (json_object_get (lat, "max")),
                        json_number_value (json_object_get (lat, "median")),
                        json_number_value (json_object_get (bw, "min")),
                        json_number_value (json_object_get (bw, "median"))) < 0)
        return -1;
    return fprintf (f, "\n") < 0 ? -1 : 0;
}

/* The common switch above the job's leaves above its nodes. */
static int print_dot (const json_t *v, FILE *f)
{
    json_t *nodes = json_object_get (v, "nodes"), *o;
    size_t i;
    const char *common = json_string_value (json_object_get (v, "common_switch"));
    if (fprintf (f, "graph \"%s\" {\n", json_string_value (json_object_get (v, "job")) ?: "job") <
        0)
        return -1;
    json_array_foreach (nodes, i, o)
    {
        const char *name = json_string_value (json_object_get (o, "node"));
        const char *leaf = json_string_value (json_object_get (o, "leaf"));
        json_int_t first = json_integer_value (json_object_get (o, "first_rank"));
        json_int_t count = json_integer_value (json_object_get (o, "ranks"));
        if (fprintf (f, "  \"%s\" [shape=box, label=\"%s\\nranks %lld-%lld\"];\n", name, name,
                     (long long)first, (long long)(first + count - 1)) < 0)
            return -1;
        if (leaf && fprintf (f, "  \"%s\" -- \"%s\";\n", leaf, name) < 0)
            return -1;
        if (leaf && common && strcmp (leaf, common) != 0 &&
            fprintf (f, "  \"%s\" -- \"%s\";\n", common, leaf) < 0)
            return -1;
    }
    return fprintf (f, "}\n") < 0 ? -1 : 0;
}

int qtopo_job (const char *jobid, enum qtopo_job_format fmt)
{
    struct cli cli = {0};
    int status = CLI_EXIT_FAIL;
    int64_t seq;
    const char *server;
    json_t *jobs = NULL, *fab = NULL, *links = NULL, *view = NULL;

    if (cli_open (&cli, "qtopo") < 0)
        return CLI_EXIT_FAIL;
    if (cli_parse_jobid (&cli, jobid, &seq, &server) < 0)
        goto out;
    json_t *req = json_pack ("{s:s, s:[I], s:b}", "type", "job.query", "seqs", (json_int_t)seq,
                             "finished", 1);
    if (req && server)
        json_object_set_new (req, "server", json_string (server));
    if (!(jobs = cli_query_jobs (&cli, req, &status)))
        goto out;
    json_t *job = json_array_get (json_object_get (jobs, "jobs"), 0);
    if (!job) {
        fprintf (stderr, "qtopo: Unknown Job Id %s\n", jobid);
        status = CLI_EXIT_FAIL;
        goto out;
    }
    if (json_array_size (json_object_get (job, "allocation")) == 0) {
        fprintf (stderr, "qtopo: job %s has no nodes (it is not running)\n", jobid);
        status = CLI_EXIT_FAIL;
        goto out;
    }
    if (!(fab = cli_request (&cli, json_pack ("{s:s}", "type", "fabric.query"), NULL, &status)) ||
        !(links =
              cli_query_pages (&cli, json_pack ("{s:s}", "type", "link.query"), "links", &status)))
        goto out;
    status = CLI_EXIT_FAIL;
    view = build_view (job, json_object_get (fab, "fabric"), json_object_get (links, "links"));
    if (!view) {
        fprintf (stderr, "qtopo: out of memory\n");
        goto out;
    }
    int rc;
    if (fmt == QTOPO_JOB_JSON) {
        char *s = json_dumps (view, JSON_COMPACT);
        rc = s && printf ("%s\n", s) >= 0 ? 0 : -1;
        free (s);
    } else
        rc = fmt == QTOPO_JOB_DOT ? print_dot (view, stdout) : print_text (view, stdout);
    if (rc == 0 && fflush (stdout) == 0)
        status = 0;
    else
        fprintf (stderr, "qtopo: cannot write output\n");
out:
    json_decref (view);
    json_decref (jobs);
    json_decref (fab);
    json_decref (links);
    cli_close (&cli);
    return status;
}
