/* qtopo - show huddle's view of a node's topology, or the cluster's fabric
 *
 *   qtopo --node [--topology FILE.xml | --synthetic DESC] [--json]
 *   qtopo [--json | --dot]
 *   qtopo --links [--json]     (the measured links: qtopo_links.c)
 *   qtopo -j JOBID [--json | --dot]   (a job's placement: qtopo_job.c)
 *   qtopo --check [--json]     (declared tree against measured links: qtopo_check.c;
 *                              exit 0 they agree, 1 some pairs contradict, 3 cannot check)
 *
 * With --node and no source option the live machine is shown.  Without
 * --node, the controller's switch tree with its nodes (qtopo_tree.h).  Exit status: 0 success,
 * 1 bad input (one line on stderr), 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/qtopo_check.h"
#include "cli/qtopo_job.h"
#include "cli/qtopo_links.h"
#include "cli/qtopo_tree.h"
#include "common/herror.h"
#include "topology/node.h"
#include "topology/render.h"

static const char usage_text[] =
    "Usage: qtopo --node [--topology FILE.xml | --synthetic DESCRIPTION] [--json | --dot]\n"
    "       qtopo [--json | --dot]\n"
    "       qtopo --links [--json | --dot]\n"
    "       qtopo -j JOBID [--json | --dot]\n"
    "       qtopo --check [--json | --dot]\n"
    "Show a node's packages, NUMA domains, cores, GPUs and NICs as huddle sees them;\n"
    "without --node, the cluster's switch tree with each node's state, free cores\n"
    "and GPUs and jobs (from the controller); with --links, the links the\n"
    "controller measured between nodes (latency, bandwidth, age).\n"
    "\n"
    "  --node               show one node\n"
    "  --links              the measured links between pairs of nodes\n"
    "  --check              flag measured pairs that contradict the declared tree,\n"
    "                       and show the leaves the measurements group nodes into\n"
    "                       (exit 0: none, 1: some, 3: cannot check)\n"
    "  -j, --job JOBID      a running job's placement: nodes, leaves, common switch,\n"
    "                       ranks, cores, GPUs, links measured between its nodes\n"
    "  --topology FILE.xml  read an hwloc XML export instead of this machine\n"
    "  --synthetic DESC     use an hwloc synthetic description, e.g. \"pack:2 core:8 pu:2\"\n"
    "  --json               print huddle's JSON model instead of the tree\n"
    "  --dot                a Graphviz graph of the view (qtopo --dot | dot -Tsvg)\n"
    "  -h, --help           show this help\n";

static int usage (const char *problem)
{
    if (problem)
        fprintf (stderr, "qtopo: %s\n", problem);
    fputs (usage_text, stderr);
    return 2;
}

static int print_json (const struct topo_node *node)
{
    json_t *o = topo_node_to_json (node);
    char *s = o ? json_dumps (o, JSON_COMPACT) : NULL;
    int rc = 0;

    if (!s || printf ("%s\n", s) < 0)
        rc = -1;
    free (s);
    json_decref (o);
    return rc;
}

/* Without --node: the cluster's switch tree (qtopo_tree.c). */
static int tree_mode (bool node_source, bool json, bool dot)
{
    if (node_source)
        return usage ("--topology and --synthetic need --node");
    return qtopo_tree_main (json ? QTOPO_TREE_JSON : dot ? QTOPO_TREE_DOT : QTOPO_TREE_TEXT);
}

int main (int argc, char **argv)
{
    static const struct option opts[] = {
        {"node", no_argument, NULL, 'n'},
        {"links", no_argument, NULL, 'L'},
        {"check", no_argument, NULL, 'C'},
        {"topology", required_argument, NULL, 't'},
        {"synthetic", required_argument, NULL, 's'},
        {"job", required_argument, NULL, 'j'},
        {"json", no_argument, NULL, 'J'},
        {"dot", no_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *xml = NULL, *synthetic = NULL, *jobid = NULL;
    bool node_mode = false, links_mode = false, check_mode = false, json = false, dot = false;
    struct herror err = {{0}};
    struct topo_node *node;
    int c, rc;

    opterr = 0;
    while ((c = getopt_long (argc, argv, ":hj:", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            node_mode = true;
            break;
        case 'L':
            links_mode = true;
            break;
        case 'C':
            check_mode = true;
            break;
        case 't':
            xml = optarg;
            break;
        case 's':
            synthetic = optarg;
            break;
        case 'j':
            jobid = optarg;
            break;
        case 'J':
            json = true;
            break;
        case 'd':
            dot = true;
            break;
        case 'h':
            fputs (usage_text, stdout);
            return 0;
        case ':':
            return usage ("option requires an argument");
        default:
            return usage ("unknown option");
        }
    }
    if (optind < argc)
        return usage ("unexpected argument");
    if (json && dot)
        return usage ("--json and --dot exclude each other");
    if (check_mode) {
        if (node_mode || links_mode || jobid || xml || synthetic)
            return usage ("--check takes only --json or --dot");
        return qtopo_check (json ? QTOPO_CHECK_JSON : dot ? QTOPO_CHECK_DOT : QTOPO_CHECK_TEXT);
    }
    if (jobid) {
        if (node_mode || links_mode || xml || synthetic)
            return usage ("-j shows a job: drop --node, --links, --topology, --synthetic");
        return qtopo_job (jobid, json ? QTOPO_JOB_JSON : dot ? QTOPO_JOB_DOT : QTOPO_JOB_TEXT);
    }
    if (links_mode) {
        if (node_mode || xml || synthetic)
            return usage ("--links shows no node: drop --node, --topology, --synthetic");
        return qtopo_links (json ? QTOPO_LINKS_JSON : dot ? QTOPO_LINKS_DOT : QTOPO_LINKS_TEXT);
    }
    if (!node_mode)
        return tree_mode (xml || synthetic, json, dot);
    if (xml && synthetic)
        return usage ("--topology and --synthetic exclude each other");

    if (xml)
        node = topo_node_load_xml (xml, &err);
    else if (synthetic)
        node = topo_node_load_synthetic (synthetic, &err);
    else
        node = topo_node_load_live (&err);
    if (!node) {
        fprintf (stderr, "qtopo: %s\n", err.text);
        return 1;
    }
    rc = json  ? print_json (node)
         : dot ? topo_render_node_dot (node, stdout)
               : topo_render_node (node, stdout);
    if (rc == 0 && fflush (stdout) != 0)
        rc = -1;
    if (rc < 0)
        fprintf (stderr, "qtopo: cannot write output: %s\n", strerror (errno));
    topo_node_destroy (node);
    return rc < 0 ? 1 : 0;
}
