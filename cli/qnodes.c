/* qnodes - list nodes, or mark them offline and clear them, like pbsnodes
 *
 *     qnodes [-a] [-S [-j]] [-F json] [NODE...]   list (all when no NODE)
 *     qnodes -o [-C comment] NODE...               node.offline
 *     qnodes -c NODE...  (or -r)                   node.clear
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"

#include "climain.h"
#include "format.h"

enum action { LIST, OFFLINE, CLEAR };

struct qnodes_opts {
    enum action action;
    bool summary; /* -S */
    bool jobs;    /* -j */
    bool json;    /* -F json */
    const char *comment;
};

static void usage (void)
{
    fprintf (stderr, "usage: qnodes [-a] [-S[j]] [-F json] [node...]\n"
                     "       qnodes -o [-C comment] node...\n"
                     "       qnodes -c node...\n");
    exit (CLI_EXIT_USAGE);
}

static void parse_options (int argc, char **argv, struct qnodes_opts *o)
{
    int c;
    while ((c = getopt (argc, argv, "acC:F:joSr")) != -1) {
        switch (c) {
        case 'a':
            break;
        case 'o':
            o->action = OFFLINE;
            break;
        case 'c':
        case 'r':
            o->action = CLEAR;
            break;
        case 'C':
            o->comment = optarg;
            break;
        case 'S':
            o->summary = true;
            break;
        case 'j':
            o->jobs = true;
            break;
        case 'F':
            if (strcmp (optarg, "json") == 0)
                o->json = true;
            else if (strcmp (optarg, "default") != 0)
                usage();
            break;
        default:
            usage();
        }
    }
    if (o->action != LIST && optind == argc)
        usage();
    if (o->comment && o->action != OFFLINE)
        usage();
    if (o->jobs && !o->summary)
        usage();
}

/* -o / -c: one request per node, "qnodes: WHY NODE" for each refusal. */
static int mark_nodes (struct cli *cli, const struct qnodes_opts *o, char **names, int n)
{
    int status = 0;
    for (int i = 0; i < n; i++) {
        json_t *req =
            json_pack ("{s:s, s:s}", "type", o->action == OFFLINE ? "node.offline" : "node.clear",
                       "name", names[i]);
        if (req && o->comment)
            json_object_set_new (req, "comment", json_string (o->comment));
        json_decref (cli_request (cli, req, names[i], &status));
    }
    return status;
}

static bool has_node (const json_t *nodes, const char *name)
{
    size_t i;
    json_t *node;
    json_array_foreach (nodes, i, node)
    {
        const char *s = json_string_value (json_object_get (node, "name"));
        if (s && strcmp (s, name) == 0)
            return true;
    }
    return false;
}

static int list_nodes (struct cli *cli, const struct qnodes_opts *o, char **names, int n)
{
    json_t *req = json_pack ("{s:s}", "type", "node.query");
    json_t *reply, *nodes;
    int status = 0, rc;
    struct format_ctx ctx = {.version = PACKAGE_VERSION, .now = time (NULL)};

    if (req && n > 0) {
        json_t *list = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new (list, json_string (names[i]));
        json_object_set_new (req, "names", list);
    }
    if ((reply = cli_request (cli, req, NULL, &status)) == NULL)
        return status;
    nodes = json_object_get (reply, "nodes");
    for (int i = 0; i < n; i++) {
        if (!has_node (nodes, names[i])) {
            fprintf (stderr, "Node: %s,  Error: Unknown node\n", names[i]);
            status = CLI_EXIT_FAIL;
        }
    }
    ctx.server = cli_server_name (cli, reply);
    if (o->json)
        rc = format_nodes_json (stdout, nodes, &ctx);
    else if (o->summary)
        rc = format_nodes_summary (stdout, nodes, o->jobs, &ctx);
    else
        rc = format_nodes_full (stdout, nodes, &ctx);
    if (rc < 0 || fflush (stdout) != 0) {
        fprintf (stderr, "qnodes: cannot write the output\n");
        status = CLI_EXIT_FAIL;
    }
    json_decref (reply);
    return status;
}

int main (int argc, char **argv)
{
    struct qnodes_opts o = {0};
    struct cli cli = {.prog = "qnodes"};
    int status;

    parse_options (argc, argv, &o);
    if (cli_open (&cli, "qnodes") < 0)
        return CLI_EXIT_FAIL;
    if (o.action == LIST)
        status = list_nodes (&cli, &o, argv + optind, argc - optind);
    else
        status = mark_nodes (&cli, &o, argv + optind, argc - optind);
    cli_close (&cli);
    return status;
}
