/* qtopo_tree.c - the switch tree view of qtopo (qtopo_tree.h) */
#include "cli/qtopo_tree.h"

#include <stdbool.h>
#include <string.h>

#include "cli/climain.h"

/* A node's line, from its node.query object (NULL: the fabric names it
 * but no agent ever registered it). */
struct node_view {
    const char *state;
    json_int_t ncpus, cpus_free, ngpus, gpus_free;
    const json_t *jobs;
};

static void node_view (const json_t *n, struct node_view *v)
{
    const json_t *a = json_object_get (n, "assigned");
    memset (v, 0, sizeof (*v));
    v->state = n ? json_string_value (json_object_get (n, "state")) : NULL;
    if (!v->state)
        v->state = "unknown";
    v->ncpus = json_integer_value (json_object_get (n, "ncpus"));
    v->ngpus = json_integer_value (json_object_get (n, "ngpus"));
    v->cpus_free = v->ncpus - json_integer_value (json_object_get (a, "ncpus"));
    v->gpus_free = v->ngpus - json_integer_value (json_object_get (a, "ngpus"));
    v->jobs = json_object_get (n, "jobs");
}

static const json_t *find_node (const json_t *nodes, const char *name)
{
    size_t i;
    const json_t *n;
    json_array_foreach (nodes, i, n)
    {
        const char *s = json_string_value (json_object_get (n, "name"));
        if (s && strcmp (s, name) == 0)
            return n;
    }
    return NULL;
}

static const json_t *find_switch (const json_t *switches, const char *name)
{
    size_t i;
    const json_t *s;
    json_array_foreach (switches, i, s)
    {
        if (strcmp (json_string_value (json_object_get (s, "name")), name) == 0)
            return s;
    }
    return NULL;
}

static const char *str (const json_t *o, const char *key)
{
    const char *s = json_string_value (json_object_get (o, key));
    return s ? s : "";
}

/* ------------------------------------------------------------------ text */

static void text_jobs (FILE *out, const json_t *jobs)
{
    size_t i;
    const json_t *j;
    if (json_array_size (jobs) == 0) {
        fputs (" -", out);
        return;
    }
    json_array_foreach (jobs, i, j) fprintf (out, "%s%s", i ? "," : " ", json_string_value (j));
}

static void text_switch (FILE *out, const json_t *switches, const json_t *nodes, const json_t *sw,
                         int depth)
{
    const json_t *list = json_object_get (sw, "nodes"), *v;
    size_t i;

    fprintf (out, "%*s%s  level %d", 2 * depth, "", str (sw, "name"),
             (int)json_integer_value (json_object_get (sw, "level")));
    if (json_object_get (sw, "link_speed"))
        fprintf (out, "  link %s", str (sw, "link_speed"));
    if (json_is_true (json_object_get (sw, "lone")))
        fputs ("  (not in the fabric file)", out);
    fputc ('\n', out);
    json_array_foreach (list, i, v)
    {
        struct node_view nv;
        node_view (find_node (nodes, json_string_value (v)), &nv);
        fprintf (out, "%*s%-12s %-16s cores %lld/%lld free  gpus %lld/%lld free  jobs",
                 2 * depth + 2, "", json_string_value (v), nv.state, (long long)nv.cpus_free,
                 (long long)nv.ncpus, (long long)nv.gpus_free, (long long)nv.ngpus);
        text_jobs (out, nv.jobs);
        fputc ('\n', out);
    }
    json_array_foreach (json_object_get (sw, "switches"), i, v)
    {
        const json_t *kid = find_switch (switches, json_string_value (v));
        if (kid)
            text_switch (out, switches, nodes, kid, depth + 1);
    }
}

static void print_text (FILE *out, const json_t *fabric, const json_t *nodes)
{
    const json_t *switches = json_object_get (fabric, "switches");
    const char *file = str (fabric, "file"), *base = strrchr (file, '/');
    size_t nnodes = 0, i;
    const json_t *s;

    json_array_foreach (switches, i, s) nnodes += json_array_size (json_object_get (s, "nodes"));
    if (strcmp (str (fabric, "source"), "measured") == 0)
        fprintf (out,
                 "fabric: inferred from measured links (%lld pairs): %zu switches, %zu nodes\n",
                 (long long)json_integer_value (json_object_get (fabric, "pairs")),
                 json_array_size (switches), nnodes);
    else
        fprintf (out, "fabric %s: %zu switches, %zu nodes\n", base ? base + 1 : file,
                 json_array_size (switches), nnodes);
    if (json_array_size (switches) > 0)
        text_switch (out, switches, nodes, json_array_get (switches, 0), 0);
}

/* ------------------------------------------------------------------ JSON */

/* The fabric's switches with each leaf's node names replaced by what
 * node.query says of them. */
static json_t *to_json (const json_t *fabric, const json_t *nodes)
{
    json_t *o = json_deep_copy (fabric), *sw;
    size_t i, k;

    json_array_foreach (json_object_get (o, "switches"), i, sw)
    {
        json_t *list = json_object_get (sw, "nodes"), *name;
        json_t *objs = json_array();
        json_array_foreach (list, k, name)
        {
            struct node_view nv;
            node_view (find_node (nodes, json_string_value (name)), &nv);
            json_array_append_new (objs, json_pack ("{s:O, s:s, s:I, s:I, s:I, s:I, s:O}", "name",
                                                    name, "state", nv.state, "ncpus", nv.ncpus,
                                                    "ncpus_free", nv.cpus_free, "ngpus", nv.ngpus,
                                                    "ngpus_free", nv.gpus_free, "jobs",
                                                    nv.jobs ? nv.jobs : json_array()));
        }
        if (list)
            json_object_set_new (sw, "nodes", objs);
        else
            json_decref (objs);
    }
    return o;
}

/* ------------------------------------------------------------------- dot */

static void print_dot (FILE *out, const json_t *fabric, const json_t *nodes)
{
    const json_t *sw, *v;
    size_t i, k;

    fputs ("graph fabric {\n  node [fontname=\"monospace\"];\n", out);
    if (strcmp (str (fabric, "source"), "measured") == 0)
        fprintf (out, "  label=\"inferred from measured links (%lld pairs)\";\n",
                 (long long)json_integer_value (json_object_get (fabric, "pairs")));
    json_array_foreach (json_object_get (fabric, "switches"), i, sw)
    {
        const char *name = str (sw, "name");
        fprintf (out, "  \"sw:%s\" [shape=box, label=\"%s\\nlevel %d%s%s\"%s];\n", name, name,
                 (int)json_integer_value (json_object_get (sw, "level")),
                 json_object_get (sw, "link_speed") ? "\\nlink " : "", str (sw, "link_speed"),
                 json_is_true (json_object_get (sw, "lone")) ? ", style=dashed, color=red" : "");
        if (json_is_string (json_object_get (sw, "parent")))
            fprintf (out, "  \"sw:%s\" -- \"sw:%s\";\n", str (sw, "parent"), name);
        json_array_foreach (json_object_get (sw, "nodes"), k, v)
        {
            struct node_view nv;
            node_view (find_node (nodes, json_string_value (v)), &nv);
            fprintf (out,
                     "  \"node:%s\" [shape=ellipse, label=\"%s\\n%s\\ncores %lld/%lld gpus "
                     "%lld/%lld\"];\n  \"sw:%s\" -- \"node:%s\";\n",
                     json_string_value (v), json_string_value (v), nv.state,
                     (long long)nv.cpus_free, (long long)nv.ncpus, (long long)nv.gpus_free,
                     (long long)nv.ngpus, name, json_string_value (v));
        }
    }
    fputs ("}\n", out);
}

int qtopo_tree_print (FILE *out, const json_t *fabric, const json_t *nodes,
                      enum qtopo_tree_format fmt)
{
    if (fmt == QTOPO_TREE_JSON) {
        json_t *o = to_json (fabric, nodes);
        int rc = o ? json_dumpf (o, out, JSON_INDENT (2) | JSON_SORT_KEYS) : -1;
        json_decref (o);
        if (rc < 0)
            return -1;
        fputc ('\n', out);
    } else if (fmt == QTOPO_TREE_DOT)
        print_dot (out, fabric, nodes);
    else
        print_text (out, fabric, nodes);
    return ferror (out) ? -1 : 0;
}

/* Lone nodes: warn on stderr (the tree marks them too). */
static void warn_lone (const json_t *fabric)
{
    size_t i;
    const json_t *v;
    json_array_foreach (json_object_get (fabric, "lone"), i, v)
        fprintf (stderr,
                 "qtopo: warning: the fabric file does not name node %s: it is shown as a leaf "
                 "of its own under the root\n",
                 json_string_value (v));
}

int qtopo_tree_main (enum qtopo_tree_format fmt)
{
    struct cli cli = {.prog = "qtopo"};
    json_t *freply = NULL, *nreply = NULL;
    int status = 0;

    if (cli_open (&cli, "qtopo") < 0)
        return CLI_EXIT_FAIL;
    freply = cli_request (&cli, json_pack ("{s:s}", "type", "fabric.query"), NULL, &status);
    if (freply)
        nreply = cli_request (&cli, json_pack ("{s:s}", "type", "node.query"), NULL, &status);
    if (freply && nreply) {
        const json_t *fabric = json_object_get (freply, "fabric");
        if (!json_is_object (fabric)) {
            fprintf (stderr, "qtopo: the controller has no fabric (its option fabric is not "
                             "set, and no link is measured yet to infer one from)\n");
            status = CLI_EXIT_FAIL;
        } else {
            warn_lone (fabric);
            if (qtopo_tree_print (stdout, fabric, json_object_get (nreply, "nodes"), fmt) < 0 ||
                fflush (stdout) != 0) {
                fprintf (stderr, "qtopo: cannot write the output\n");
                status = CLI_EXIT_FAIL;
            }
        }
    }
    json_decref (freply);
    json_decref (nreply);
    cli_close (&cli);
    return status;
}
