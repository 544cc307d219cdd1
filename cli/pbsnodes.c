/* pbsnodes - list nodes, mark them offline and back, as OpenPBS's pbsnodes
 *
 *     pbsnodes [-{o|r|c}] [-C comment] [-s server] node...   mark (-C alone: comment only)
 *     pbsnodes -l [-s server]                               nodes down or offline
 *     pbsnodes [-s server] -v node...                       show nodes
 *     pbsnodes -a[v][S[j][L]] [-F format] [-D delim] [-s server]
 *     pbsnodes -[H][S[j][L]] [-F format] [-D delim] node...
 *     pbsnodes --version
 *
 * Options and their combinations are OpenPBS's: a combination it refuses
 * is refused here too, with its usage text and exit status 1, and any
 * failure on a node (unknown node, not allowed) makes the exit status 1
 * once every node was tried.  huddle has one vnode per host, so -v and -H
 * show the named nodes as plain names do.  -S's columns are truncated to
 * their width as PBS does; -L shows them whole.
 *
 * Installed twice: as pbsnodes, and as qnodes, Torque's name for it, which
 * keeps Torque's habit of listing every node when given no operand.
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

enum action { LIST, ALL, DOWNLIST, OFFLINE, CLEAR, COMMENT };

struct opts {
    const char *prog;
    enum action action;
    bool summary;       /* -S */
    bool jobs;          /* -j */
    bool long_summary;  /* -L */
    bool vnodes;        /* -v */
    bool hosts;         /* -H */
    bool quiet;         /* -q */
    const char *format; /* -F: "default", "json", "dsv" */
    const char *delim;  /* -D */
    const char *comment;
    const char *server;
};

static void usage (const struct opts *o)
{
    if (!o->quiet)
        fprintf (stderr,
                 "usage:\t%1$s [-{o|r}][-C comment][-s server] host host ...\n"
                 "\t%1$s -l [-s server]\n"
                 "\t%1$s [-s server] -v vnode vnode ...\n"
                 "\t%1$s -a[v][S[j][L]][-F format][-D delim][-s server]\n"
                 "\t%1$s -[H][S[j][L]][-F format][-D delim] host host ...\n"
                 "\t%1$s --version\n\n",
                 o->prog);
    exit (1);
}

/* Each option is allowed only after the ones OpenPBS allows before it. */
static void parse_options (int argc, char **argv, struct opts *o)
{
    bool bad = false;
    int c;

    if (argc > 1 && strcmp (argv[1], "--version") == 0) {
        printf ("pbs_version = %s\n", PACKAGE_VERSION);
        exit (0);
    }
    while ((c = getopt (argc, argv, "acC:dD:F:HjlLoqrs:Sv")) != -1) {
        bool listing = o->action == LIST || o->action == ALL;
        switch (c) {
        case 'a':
            bad |= o->action != LIST || o->hosts;
            o->action = ALL;
            break;
        case 'c':
        case 'r':
            bad |= o->action != LIST && o->action != COMMENT;
            o->action = CLEAR;
            break;
        case 'o':
            bad |= o->action != LIST && o->action != COMMENT;
            o->action = OFFLINE;
            break;
        case 'C':
            if (o->action == LIST)
                o->action = COMMENT;
            else
                bad |= o->action != OFFLINE && o->action != CLEAR;
            o->comment = optarg;
            break;
        case 'd':
            /* marking a node down is the controller's (heartbeats), not an admin's */
            fprintf (stderr,
                     "%s: -d: nodes are marked down by the controller when their agent "
                     "stops answering; use -o to take a node out of service\n",
                     o->prog);
            exit (1);
        case 'D':
            bad |= !listing;
            o->delim = optarg;
            break;
        case 'F':
            bad |= strcasecmp (optarg, "default") != 0 && strcasecmp (optarg, "json") != 0 &&
                   strcasecmp (optarg, "dsv") != 0;
            o->format = optarg;
            break;
        case 'H':
            bad |= o->action != LIST;
            o->hosts = true;
            break;
        case 'j':
            bad |= !listing;
            o->jobs = true;
            break;
        case 'l':
            bad |= o->action != LIST;
            o->action = DOWNLIST;
            break;
        case 'L':
            bad |= !listing;
            o->long_summary = true;
            break;
        case 'q':
            o->quiet = true;
            break;
        case 's':
            o->server = optarg;
            break;
        case 'S':
            bad |= !listing;
            o->summary = true;
            break;
        case 'v':
            bad |= !listing;
            o->vnodes = true;
            break;
        default:
            bad = true;
        }
    }
    int operands = argc - optind;
    bool torque = strcmp (o->prog, "qnodes") == 0;
    if (o->action == LIST && operands == 0 && torque && !o->hosts)
        o->action = ALL; /* Torque: no operand lists every node */
    if (bad || (o->action == DOWNLIST && operands > 0) ||
        (o->action != ALL && o->action != DOWNLIST && operands == 0) ||
        ((o->summary || o->jobs || o->long_summary) && o->action != LIST && o->action != ALL) ||
        ((o->jobs || o->long_summary) && !o->summary) ||
        (o->delim && (!o->format || strcasecmp (o->format, "dsv") != 0)))
        usage (o);
}

/* -o / -r / -C: one request per node; "Error marking node N - WHY" for a
 * refusal, as PBS prints it. */
static int mark_nodes (struct cli *cli, const struct opts *o, char **names, int n)
{
    static const char *const types[] = {
        [OFFLINE] = "node.offline", [CLEAR] = "node.clear", [COMMENT] = "node.comment"};
    int status = 0;
    for (int i = 0; i < n; i++) {
        json_t *req = json_pack ("{s:s, s:s}", "type", types[o->action], "name", names[i]);
        if (req && o->comment)
            json_object_set_new (req, "comment", json_string (o->comment));
        char why[512];
        int st = 0;
        json_t *reply = cli_request_quiet (cli, req, why, sizeof (why), &st);
        if (!reply) {
            /* "Unknown node N": PBS's message names the node once */
            size_t wl = strlen (why), nl = strlen (names[i]);
            if (wl > nl + 1 && strcmp (why + wl - nl, names[i]) == 0 && why[wl - nl - 1] == ' ')
                why[wl - nl - 1] = '\0';
            if (!o->quiet)
                fprintf (stderr, "Error marking node %s - %s\n", names[i], why);
            status = 1;
        }
        json_decref (reply);
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

static bool is_down_or_offline (const json_t *node)
{
    const char *state = json_string_value (json_object_get (node, "state"));
    return state && (strstr (state, "down") || strstr (state, "offline"));
}

/* -l: "NAME STATE COMMENT" for every node down or offline. */
static int list_marked (FILE *out, const json_t *nodes)
{
    size_t i;
    json_t *node;
    json_array_foreach (nodes, i, node)
    {
        if (!is_down_or_offline (node))
            continue;
        fprintf (out, "%-20s %s %s\n", json_string_value (json_object_get (node, "name")),
                 json_string_value (json_object_get (node, "state")),
                 json_string_value (json_object_get (node, "comment")) ?: "");
    }
    return ferror (out) ? -1 : 0;
}

static int list_nodes (struct cli *cli, const struct opts *o, char **names, int n)
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
        return status ? 1 : 0;
    nodes = json_object_get (reply, "nodes");
    for (int i = 0; i < n; i++) {
        if (!has_node (nodes, names[i])) {
            if (!o->quiet)
                fprintf (stderr, "Node: %s,  Error: Unknown node\n", names[i]);
            status = 1;
        }
    }
    if (o->action == ALL && json_array_size (nodes) == 0 && !o->quiet) {
        fprintf (stderr, "%s: Server has no node list\n", o->prog);
        status = 1;
    }
    ctx.server = cli_server_name (cli, reply);
    const char *fmt = o->format ? o->format : "default";
    if (o->action == DOWNLIST)
        rc = list_marked (stdout, nodes);
    else if (strcasecmp (fmt, "json") == 0)
        rc = format_nodes_json (stdout, nodes, &ctx);
    else if (strcasecmp (fmt, "dsv") == 0)
        rc = format_nodes_dsv (stdout, nodes, o->delim ? o->delim : "|", &ctx);
    else if (o->summary)
        rc = format_nodes_summary (stdout, nodes, o->jobs, o->long_summary, &ctx);
    else
        rc = format_nodes_full (stdout, nodes, &ctx);
    if (rc < 0 || fflush (stdout) != 0) {
        fprintf (stderr, "%s: cannot write the output\n", o->prog);
        status = 1;
    }
    json_decref (reply);
    return status;
}

int main (int argc, char **argv)
{
    const char *slash = strrchr (argv[0], '/');
    struct opts o = {.prog = slash ? slash + 1 : argv[0]};
    if (strcmp (o.prog, "qnodes") != 0)
        o.prog = "pbsnodes";
    struct cli cli = {.prog = o.prog};
    int status;

    parse_options (argc, argv, &o);
    if (o.server && cli_set_server (o.server) < 0) {
        fprintf (stderr, "%s: -s %s: out of memory\n", o.prog, o.server);
        return 1;
    }
    if (cli_open (&cli, o.prog) < 0)
        return 1;
    if (o.action == LIST || o.action == ALL || o.action == DOWNLIST)
        status = list_nodes (&cli, &o, argv + optind, argc - optind);
    else
        status = mark_nodes (&cli, &o, argv + optind, argc - optind);
    cli_close (&cli);
    return status;
}
