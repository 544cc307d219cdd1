/* qtopo_links.c - qtopo --links (qtopo_links.h)
 *
 * The controller's link probes (scheduler/ctld/links.c) measure latency
 * and bandwidth between pairs of nodes; link.query returns them keyed by
 * node names.  Printed one pair per line:
 *
 *   NODE_A  NODE_B  LATENCY_US  BANDWIDTH_MB/S  AGE
 *   n01     n02           12.4          1180.5  3m
 *
 * Age is how long ago the pair was measured (the controller's clock).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/climain.h"
#include "cli/qtopo_links.h"

static void format_age (int64_t s, char *buf, size_t size)
{
    if (s < 0)
        s = 0;
    if (s < 120)
        snprintf (buf, size, "%llds", (long long)s);
    else if (s < 7200)
        snprintf (buf, size, "%lldm", (long long)(s / 60));
    else if (s < 2 * 86400)
        snprintf (buf, size, "%lldh", (long long)(s / 3600));
    else
        snprintf (buf, size, "%lldd", (long long)(s / 86400));
}

int qtopo_links_render (const json_t *reply, FILE *f)
{
    json_t *links = json_object_get (reply, "links");
    int64_t now = json_integer_value (json_object_get (reply, "now"));
    int wa = 6, wb = 6;
    size_t i;
    json_t *l;

    json_array_foreach (links, i, l)
    {
        int la = (int)strlen (json_string_value (json_object_get (l, "a")) ?: "");
        int lb = (int)strlen (json_string_value (json_object_get (l, "b")) ?: "");
        wa = la > wa ? la : wa;
        wb = lb > wb ? lb : wb;
    }
    if (json_array_size (links) == 0)
        return fprintf (f, "no measured links yet\n") < 0 ? -1 : 0;
    if (fprintf (f, "%-*s  %-*s  %10s  %14s  %s\n", wa, "NODE_A", wb, "NODE_B", "LATENCY_US",
                 "BANDWIDTH_MB/S", "AGE") < 0)
        return -1;
    json_array_foreach (links, i, l)
    {
        char age[32];
        format_age (now - json_integer_value (json_object_get (l, "time")), age, sizeof (age));
        if (fprintf (f, "%-*s  %-*s  %10.1f  %14.1f  %s\n", wa,
                     json_string_value (json_object_get (l, "a")) ?: "?", wb,
                     json_string_value (json_object_get (l, "b")) ?: "?",
                     json_number_value (json_object_get (l, "latency_us")),
                     json_number_value (json_object_get (l, "bandwidth_mbps")), age) < 0)
            return -1;
    }
    return 0;
}

int qtopo_links_render_dot (const json_t *reply, FILE *f)
{
    json_t *links = json_object_get (reply, "links");
    double top = 0;
    size_t i;
    json_t *l;

    json_array_foreach (links, i, l)
    {
        double bw = json_number_value (json_object_get (l, "bandwidth_mbps"));
        top = bw > top ? bw : top;
    }
    if (fprintf (f, "graph links {\n  node [shape=box];\n") < 0)
        return -1;
    json_array_foreach (links, i, l)
    {
        double bw = json_number_value (json_object_get (l, "bandwidth_mbps"));
        double width = top > 0 ? 5 * bw / top : 1;
        if (fprintf (f, "  \"%s\" -- \"%s\" [label=\"%.1f us\\n%.0f MB/s\", penwidth=%.1f];\n",
                     json_string_value (json_object_get (l, "a")) ?: "?",
                     json_string_value (json_object_get (l, "b")) ?: "?",
                     json_number_value (json_object_get (l, "latency_us")), bw,
                     width < 1 ? 1 : width) < 0)
            return -1;
    }
    return fprintf (f, "}\n") < 0 ? -1 : 0;
}

static int print_json (json_t *reply)
{
    json_t *links = json_object_get (reply, "links");
    int64_t now = json_integer_value (json_object_get (reply, "now"));
    size_t i;
    json_t *l;
    json_array_foreach (links, i, l) json_object_set_new (
        l, "age", json_integer (now - json_integer_value (json_object_get (l, "time"))));
    json_t *o = json_pack ("{s:O}", "links", links ? links : json_array());
    char *s = o ? json_dumps (o, JSON_COMPACT) : NULL;
    int rc = s && printf ("%s\n", s) >= 0 ? 0 : -1;
    free (s);
    json_decref (o);
    return rc;
}

int qtopo_links (enum qtopo_links_format fmt)
{
    struct cli cli = {0};
    int status = CLI_EXIT_FAIL;
    if (cli_open (&cli, "qtopo") < 0)
        return CLI_EXIT_FAIL;
    json_t *reply =
        cli_query_pages (&cli, json_pack ("{s:s}", "type", "link.query"), "links", &status);
    if (reply) {
        int rc = fmt == QTOPO_LINKS_JSON  ? print_json (reply)
                 : fmt == QTOPO_LINKS_DOT ? qtopo_links_render_dot (reply, stdout)
                                          : qtopo_links_render (reply, stdout);
        if (rc == 0 && fflush (stdout) == 0)
            status = 0;
        else
            fprintf (stderr, "qtopo: cannot write output\n");
    }
    json_decref (reply);
    cli_close (&cli);
    return status;
}
