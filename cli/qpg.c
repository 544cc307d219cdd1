/* qpg - placement groups (-l pgroup=NAME)
 *
 *     qpg create NAME --strategy cluster|spread|partition [--partitions K]
 *     qpg list [-F json]
 *     qpg delete NAME
 *
 * create and delete send pgroup.create / pgroup.delete; list prints the
 * groups of pgroup.list as a table (name, strategy, partitions, owner,
 * jobs not finished that name the group) or, with -F json, as
 * {"pgroups": [...]} (the controller's objects, docs/protocol.md).
 * Errors and exit statuses are those of the other commands (climain.h).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "climain.h"

static void usage (void)
{
    fprintf (stderr, "usage: qpg create NAME --strategy cluster|spread|partition [--partitions K]\n"
                     "       qpg list [-F json]\n"
                     "       qpg delete NAME\n");
    exit (CLI_EXIT_USAGE);
}

static json_t *create_request (int argc, char **argv)
{
    static const struct option opts[] = {{"strategy", required_argument, NULL, 's'},
                                         {"partitions", required_argument, NULL, 'p'},
                                         {NULL, 0, NULL, 0}};
    const char *strategy = NULL;
    long parts = 0;
    int c;
    char *end;

    while ((c = getopt_long (argc, argv, "s:p:", opts, NULL)) != -1) {
        if (c == 's')
            strategy = optarg;
        else if (c == 'p') {
            parts = strtol (optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || parts < 1 || parts > 1000000) {
                fprintf (stderr, "qpg: --partitions wants a positive number, not \"%s\"\n", optarg);
                exit (CLI_EXIT_USAGE);
            }
        } else
            usage();
    }
    if (!strategy || optind != argc - 1)
        usage();
    json_t *req = json_pack ("{s:s, s:s, s:s}", "type", "pgroup.create", "name", argv[optind],
                             "strategy", strategy);
    if (req && parts > 0)
        json_object_set_new (req, "partitions", json_integer (parts));
    return req;
}

static void print_table (const json_t *groups)
{
    size_t i;
    json_t *g;

    printf ("%-20s %-10s %-10s %-12s %s\n", "Name", "Strategy", "Partitions", "Owner", "Jobs");
    printf ("%-20s %-10s %-10s %-12s %s\n", "--------------------", "----------", "----------",
            "------------", "----");
    json_array_foreach (groups, i, g)
    {
        json_t *p = json_object_get (g, "partitions");
        char parts[24] = "--";
        if (p)
            snprintf (parts, sizeof (parts), "%lld", (long long)json_integer_value (p));
        printf ("%-20s %-10s %-10s %-12s %lld\n", json_string_value (json_object_get (g, "name")),
                json_string_value (json_object_get (g, "strategy")), parts,
                json_string_value (json_object_get (g, "owner")),
                (long long)json_integer_value (json_object_get (g, "jobs")));
    }
}

int main (int argc, char **argv)
{
    struct cli cli = {.prog = "qpg"};
    int status = 0;
    bool json = false;
    json_t *req = NULL, *reply;

    if (argc < 2)
        usage();
    const char *verb = argv[1];
    if (strcmp (verb, "create") == 0) {
        req = create_request (argc - 1, argv + 1);
    } else if (strcmp (verb, "delete") == 0) {
        if (argc != 3)
            usage();
        req = json_pack ("{s:s, s:s}", "type", "pgroup.delete", "name", argv[2]);
    } else if (strcmp (verb, "list") == 0) {
        if (argc == 4 && strcmp (argv[2], "-F") == 0 && strcmp (argv[3], "json") == 0)
            json = true;
        else if (argc != 2)
            usage();
        req = json_pack ("{s:s}", "type", "pgroup.list");
    } else
        usage();
    if (cli_open (&cli, "qpg") < 0) {
        json_decref (req);
        return CLI_EXIT_FAIL;
    }
    /* the controller's errors name the group themselves */
    reply = cli_request (&cli, req, NULL, &status);
    if (reply && strcmp (verb, "list") == 0) {
        json_t *groups = json_object_get (reply, "pgroups");
        if (json) {
            json_t *o = json_pack ("{s:O}", "pgroups", groups ? groups : json_null());
            if (o)
                json_dumpf (o, stdout, JSON_INDENT (4));
            printf ("\n");
            json_decref (o);
        } else
            print_table (groups);
    }
    json_decref (reply);
    cli_close (&cli);
    return status;
}
