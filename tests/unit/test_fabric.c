/* Unit tests for topology/fabric: the switch tree from topology.conf and
 * from EC2 DescribeInstanceTopology JSON, the fabric order, lone nodes,
 * and the errors bad files get (file and line named). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "topology/fabric.h"
#include "topology/infer.h"

#define FIX FIXTURE_DIR "/fabric/"

/* The tree as "name/level{kids}" or "name/level[nodes]", depth first. */
static void show (const struct fabric *f, int sw, char *buf, size_t size)
{
    size_t len = strlen (buf);
    snprintf (buf + len, size - len, "%s/%d", fabric_switch_name (f, sw),
              fabric_switch_level (f, sw));
    if (fabric_switch_is_leaf (f, sw)) {
        size_t first, count;
        fabric_switch_range (f, sw, &first, &count);
        strncat (buf, "[", size - strlen (buf) - 1);
        for (size_t i = first; i < first + count; i++) {
            if (i > first)
                strncat (buf, ",", size - strlen (buf) - 1);
            strncat (buf, fabric_node_name (f, i), size - strlen (buf) - 1);
            assert_int_equal (fabric_node_leaf (f, i), sw);
        }
        strncat (buf, "]", size - strlen (buf) - 1);
        return;
    }
    strncat (buf, "{", size - strlen (buf) - 1);
    for (size_t i = 0; i < fabric_switch_nchildren (f, sw); i++) {
        if (i)
            strncat (buf, " ", size - strlen (buf) - 1);
        int kid = fabric_switch_child (f, sw, i);
        assert_int_equal (fabric_switch_parent (f, kid), sw);
        show (f, kid, buf, size);
    }
    strncat (buf, "}", size - strlen (buf) - 1);
}

static void check_tree (const struct fabric *f, const char *want)
{
    char buf[4096] = "";
    show (f, fabric_root (f), buf, sizeof (buf));
    assert_string_equal (buf, want);
    /* Every node's number is its position in the order, found by name. */
    for (size_t i = 0; i < fabric_node_count (f); i++)
        assert_int_equal (fabric_node_lookup (f, fabric_node_name (f, i)), (long)i);
}

static void conf_three_leaves (void **state)
{
    struct herror err = {{0}};
    struct fabric *f = fabric_load (FIX "three-leaves.conf", NULL, &err);
    assert_non_null (f);
    check_tree (f, "spine/1{leaf1/0[node01,node02,node03,node04] leaf2/0[node05,node06,node09] "
                   "leaf3/0[gpu1,gpu2]}");
    assert_int_equal (fabric_node_count (f), 9);
    assert_string_equal (fabric_switch_link_speed (f, fabric_switch_lookup (f, "leaf1")), "100");
    assert_string_equal (fabric_switch_link_speed (f, fabric_root (f)), "400");
    assert_null (fabric_switch_link_speed (f, fabric_switch_lookup (f, "leaf2")));
    size_t first, count;
    fabric_switch_range (f, fabric_switch_lookup (f, "leaf2"), &first, &count);
    assert_int_equal (first, 4);
    assert_int_equal (count, 3);
    assert_int_equal (fabric_node_lookup (f, "node07"), -1);
    fabric_destroy (f);
}

/* Tree order, not file order: the root is defined first here. */
static void conf_two_levels (void **state)
{
    struct herror err = {{0}};
    struct fabric *f = fabric_load (FIX "two-levels.conf", NULL, &err);
    assert_non_null (f);
    check_tree (f, "top/2{mid1/1{l1/0[n1,n2] l2/0[n3,n4]} mid2/1{l3/0[n5,n6,n7,n8]}}");
    size_t first, count;
    fabric_switch_range (f, fabric_switch_lookup (f, "mid2"), &first, &count);
    assert_int_equal (first, 4);
    assert_int_equal (count, 4);
    fabric_destroy (f);
}

static void lone_nodes_join_the_root (void **state)
{
    struct herror err = {{0}};
    struct fabric *f = fabric_load (FIX "three-leaves.conf", NULL, &err);
    assert_int_equal (fabric_add_lone_node (f, "extra"), 0);
    check_tree (f, "spine/1{leaf1/0[node01,node02,node03,node04] leaf2/0[node05,node06,node09] "
                   "leaf3/0[gpu1,gpu2] extra/0[extra]}");
    assert_true (fabric_switch_is_lone (f, fabric_switch_lookup (f, "extra")));
    assert_false (fabric_switch_is_lone (f, fabric_switch_lookup (f, "leaf1")));
    assert_int_equal (fabric_add_lone_node (f, "extra"), -1);
    assert_int_equal (errno, EEXIST);
    assert_int_equal (fabric_add_lone_node (f, "node01"), -1);
    const char *two[] = {"x1", "x2"}, *dup[] = {"y", "y"};
    assert_int_equal (fabric_add_lone_nodes (f, two, 2), 0);
    assert_int_equal (fabric_add_lone_nodes (f, dup, 2), -1);
    assert_int_equal (errno, EEXIST);
    assert_int_equal (fabric_node_count (f), 12);
    assert_string_equal (fabric_node_name (f, 11), "x2");
    fabric_destroy (f);

    /* A root that is a leaf gets a "root" above it. */
    f = fabric_parse_topology_conf ("SwitchName=sw Nodes=a,b\n", "t.conf", &err);
    assert_non_null (f);
    assert_int_equal (fabric_add_lone_node (f, "c"), 0);
    check_tree (f, "root/1{sw/0[a,b] c/0[c]}");
    fabric_destroy (f);
}

static void bad_conf (const char *file, const char *want)
{
    struct herror err = {{0}};
    char path[512];
    snprintf (path, sizeof (path), FIX "%s", file);
    errno = 0;
    assert_null (fabric_load (path, NULL, &err));
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, file));
    assert_string_equal (strstr (err.text, file), want);
}

static void conf_errors_name_file_and_line (void **state)
{
    bad_conf ("bad-unknown-switch.conf",
              "bad-unknown-switch.conf:2: Switches=: unknown switch leafX");
    bad_conf (
        "bad-two-leaves.conf",
        "bad-two-leaves.conf: node n2 is under two leaves: leaf1 (line 1) and leaf2 (line 2)");
    bad_conf ("bad-loop.conf", "bad-loop.conf:1: loop: every switch is under another (switch a)");
    bad_conf ("bad-two-roots.conf", "bad-two-roots.conf: two roots: switches leaf1 (line 1) and "
                                    "leaf2 (line 2) are under no switch");
    bad_conf ("bad-hostlist.conf",
              "bad-hostlist.conf:3: Nodes=: \"n[4-3]\": range 4-3 goes backwards");
}

static void bad_text (const char *text, const char *want)
{
    struct herror err = {{0}};
    errno = 0;
    assert_null (fabric_parse_topology_conf (text, "t.conf", &err));
    assert_int_equal (errno, EINVAL);
    assert_string_equal (err.text, want);
}

static void conf_errors_more (void **state)
{
    bad_text ("", "t.conf: no switches");
    bad_text ("SwitchName=a Nodes=x\nSwitchName=a Nodes=y\n",
              "t.conf:2: switch a is already defined on line 1");
    bad_text ("SwitchName=a Nodes=x Color=red\n", "t.conf:1: unknown key Color");
    bad_text ("SwitchName=a Nodes=x Switches=b\n",
              "t.conf:1: a switch has Nodes= or Switches=, not both: a");
    bad_text ("Nodes=x\n", "t.conf:1: no SwitchName=");
    bad_text ("SwitchName=a Nodes=x,x\n", "t.conf:1: node x is named twice under switch a");
    bad_text ("SwitchName=a Switches=a\n", "t.conf:1: loop: switch is under itself: a");
    bad_text ("SwitchName=r Switches=a,b\nSwitchName=a Nodes=x\nSwitchName=b Switches=c\n"
              "SwitchName=c Switches=b\n",
              "t.conf:4: switch b is under two switches: r (line 1) and c");
    bad_text ("SwitchName=r Switches=a\nSwitchName=a Nodes=x\nSwitchName=b Switches=c\n"
              "SwitchName=c Switches=b\n",
              "t.conf:3: loop: switch b is under itself");
    bad_text ("SwitchName=r Switches=a\nSwitchName=a Nodes=x\nSwitchName=b Switches=c\n"
              "SwitchName=c Switches=d\nSwitchName=d Switches=b\n",
              "t.conf:3: loop: switch b is under itself");
    bad_text ("SwitchName=a Nodes=x junk\n", "t.conf:1: expected KEY=VALUE, not junk");
    /* names go out as JSON strings (fabric.query) and to terminals
     * (qtopo): found by tests/fuzz/fuzz_topology_conf */
    bad_text ("SwitchName=a Nodes=x\nSwitchName=b Nodes=n[1-2]\xff\n", "t.conf:2: not valid UTF-8");
    bad_text ("SwitchName=a\x01 Nodes=x\n", "t.conf:1: a control character");
    struct herror err = {{0}};
    struct fabric *f =
        fabric_parse_topology_conf ("SwitchName=a Nodes=x # \xff in a comment\n", "t.conf", &err);
    assert_non_null (f);
    fabric_destroy (f);
}

static void ec2_three_layers (void **state)
{
    struct herror err = {{0}};
    struct fabric *f = fabric_load (FIX "ec2-3layer.json", NULL, &err);
    assert_non_null (f);
    check_tree (f, "nn-top/2{nn-mid1/1{nn-leafA/0[i-0001,i-0002] nn-leafB/0[i-0003]} "
                   "nn-mid2/1{nn-leafC/0[i-0004]}}");
    fabric_destroy (f);
}

/* Four layers, two tops (so a "root" above them), a map that names the
 * cluster's instances and leaves another out. */
static void ec2_four_layers_with_map (void **state)
{
    struct herror err = {{0}};
    struct fabric *f = fabric_load (FIX "ec2-4layer.json", FIX "ec2-4layer.map", &err);
    assert_non_null (f);
    check_tree (f, "root/4{t1/3{m1/2{s1/1{l1/0[node1,node2]}}} t2/3{m2/2{s2/1{l2/0[node3]}}}}");
    fabric_destroy (f);
    f = fabric_load (FIX "ec2-4layer.json", NULL, &err);
    assert_non_null (f);
    assert_int_equal (fabric_node_count (f), 4);
    assert_true (fabric_node_lookup (f, "i-other") >= 0);
    fabric_destroy (f);
}

static void ec2_errors (void **state)
{
    struct herror err = {{0}};
    assert_null (fabric_load (FIX "bad-ec2-parents.json", NULL, &err));
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "bad-ec2-parents.json: Instances[1]: network node l1 is "
                                       "under m2 here and under m1 for another instance"));
    assert_null (fabric_load (FIX "bad-ec2-syntax.json", NULL, &err));
    assert_non_null (strstr (err.text, "bad-ec2-syntax.json:3: not JSON"));
    assert_null (fabric_load (FIX "ec2-3layer.json", FIX "bad.map", &err));
    assert_non_null (strstr (err.text, "bad.map:2: expected NODE INSTANCE-ID"));
    assert_null (fabric_load (FIX "three-leaves.conf", FIX "ec2-4layer.map", &err));
    assert_non_null (strstr (err.text, "a map file is for EC2 topology JSON"));
    assert_null (fabric_parse_ec2 ("{\"Instances\": [{\"InstanceId\": \"i-1\"}]}", "x.json", NULL,
                                   NULL, &err));
    assert_string_equal (err.text,
                         "x.json: Instances[0]: NetworkNodes is not a list of 1 to 8 names: i-1");
    assert_null (fabric_parse_ec2 ("[]", "x.json", NULL, NULL, &err));
    assert_string_equal (err.text,
                         "x.json: no \"Instances\" list (DescribeInstanceTopology output)");
    assert_null (fabric_load (FIX "no-such-file.conf", NULL, &err));
    assert_int_equal (errno, ENOENT);
}

/* EC2 JSON is read by a quick reader of the plain case and by jansson for
 * everything else (fabric.c): both must give the same tree, and the
 * errors jansson gives.  PLAIN is the plain case; the others are the same
 * cluster written in ways the quick reader leaves to jansson. */
static void ec2_readers_agree (void **state)
{
    const char *want = "t/1{l1/0[i-1] l2/0[i-2]}";
    static const char *const same[] = {
        /* plain */
        "{\"Instances\": [{\"InstanceId\": \"i-1\", \"NetworkNodes\": [\"t\", \"l1\"]},\n"
        " {\"InstanceId\": \"i-2\", \"NetworkNodes\": [\"t\", \"l2\"], \"Tags\": [{}, [], null]}],"
        " \"NextToken\": null}",
        /* escapes */
        "{\"Instances\": [{\"InstanceId\": \"i-\\u0031\", \"NetworkNodes\": [\"t\", \"l\\u0031\"]},"
        " {\"InstanceId\": \"i-2\", \"NetworkNodes\": [\"t\", \"l2\"]}]}",
        /* a number where nothing is read */
        "{\"Count\": 2, \"Instances\": [{\"InstanceId\": \"i-1\", \"NetworkNodes\": [\"t\", "
        "\"l1\"],"
        " \"Cores\": 96}, {\"InstanceId\": \"i-2\", \"NetworkNodes\": [\"t\", \"l2\"]}]}",
        /* a key given twice: the last one counts */
        "{\"Instances\": [{\"InstanceId\": \"i-9\", \"InstanceId\": \"i-1\", \"NetworkNodes\": "
        "[\"x\"],"
        " \"NetworkNodes\": [\"t\", \"l1\"]}, {\"InstanceId\": \"i-2\", \"NetworkNodes\": [\"t\", "
        "\"l2\"]}]}",
        "{\"Instances\": [], \"Instances\": [{\"InstanceId\": \"i-1\", \"NetworkNodes\": [\"t\", "
        "\"l1\"]}, {\"InstanceId\": \"i-2\", \"NetworkNodes\": [\"t\", \"l2\"]}]}",
    };
    struct herror err = {{0}};
    for (size_t i = 0; i < sizeof (same) / sizeof (same[0]); i++) {
        struct fabric *f = fabric_parse_ec2 (same[i], "x.json", NULL, NULL, &err);
        if (!f)
            fail_msg ("text %zu: %s", i, err.text);
        check_tree (f, want);
        fabric_destroy (f);
    }
    /* Not ASCII: jansson's UTF-8. */
    struct fabric *f = fabric_parse_ec2 (
        "{\"Instances\": [{\"InstanceId\": \"i-\xc3\xa9\", \"NetworkNodes\": [\"t\"]}]}", "x.json",
        NULL, NULL, &err);
    assert_non_null (f);
    check_tree (f, "t/0[i-\xc3\xa9]");
    fabric_destroy (f);
    /* Errors: a bad instance before a syntax error is a syntax error (the
     * whole text is read first), text after the object too, and a bad
     * instance alone is named. */
    static const char *const bad[][2] = {
        {"{\"Instances\": [{\"InstanceId\": \"i-1\", \"NetworkNodes\": [\"t\", \"\"]},\n oops]}",
         "x.json:2: not JSON"},
        {"{\"Instances\": [{\"InstanceId\": \"i-1\", \"NetworkNodes\": [\"t\"]}]} x",
         "x.json:1: not JSON"},
        {"{\"Instances\": [{\"InstanceId\": \"i-1\", \"NetworkNodes\": [\"t\", \"\"]}]}",
         "x.json: Instances[0]: a network node is not a name: i-1"},
        {"{\"Instances\": [{\"InstanceId\": \"i-1\", \"NetworkNodes\": [\"t\", 7]}]}",
         "x.json: Instances[0]: a network node is not a name: i-1"},
        {"{\"Instances\": [{\"InstanceId\": \"i-1\", \"NetworkNodes\": [\"1\", \"2\", \"3\", "
         "\"4\", "
         "\"5\", \"6\", \"7\", \"8\", \"9\"]}]}",
         "x.json: Instances[0]: NetworkNodes is not a list of 1 to 8 names: i-1"},
        {"{\"Instances\": [\"i-1\"]}", "x.json: Instances[0]: no InstanceId"},
        /* a leaf that a later instance puts a switch under (fuzz_ec2_json) */
        {"{\"Instances\": [{\"InstanceId\": \"i-1\", \"NetworkNodes\": [\"t\"]},"
         " {\"InstanceId\": \"i-2\", \"NetworkNodes\": [\"t\", \"l\"]}]}",
         "x.json: Instances[1]: network node t has network nodes under it here and instances "
         "under it for another instance"},
        {"{\"Instances\": {}}", "x.json: no \"Instances\" list"},
        {"{\"Instances\": []}", "x.json: no switches"},
    };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        err.text[0] = '\0';
        assert_null (fabric_parse_ec2 (bad[i][0], "x.json", NULL, NULL, &err));
        assert_int_equal (errno, EINVAL);
        if (!strstr (err.text, bad[i][1]))
            fail_msg ("text %zu: got \"%s\", want \"%s\"", i, err.text, bad[i][1]);
    }
}

/* A 10,000-node tree: the order is leaf by leaf and every range holds. */
static void big_tree (void **state)
{
    size_t size = 1 << 20, len = 0;
    char *text = malloc (size);
    struct herror err = {{0}};
    len += (size_t)snprintf (text + len, size - len, "SwitchName=top Switches=s[1-10]\n");
    for (int s = 1; s <= 10; s++) {
        len += (size_t)snprintf (text + len, size - len, "SwitchName=s%d Switches=l[%d-%d]\n", s,
                                 (s - 1) * 25 + 1, s * 25);
    }
    for (int l = 1; l <= 250; l++)
        len += (size_t)snprintf (text + len, size - len, "SwitchName=l%d Nodes=n[%05d-%05d]\n", l,
                                 (l - 1) * 40, l * 40 - 1);
    struct fabric *f = fabric_parse_topology_conf (text, "big.conf", &err);
    assert_non_null (f);
    assert_int_equal (fabric_node_count (f), 10000);
    for (size_t i = 0; i < 10000; i++) {
        char name[16];
        snprintf (name, sizeof (name), "n%05zu", i);
        assert_string_equal (fabric_node_name (f, i), name);
    }
    size_t first, count;
    fabric_switch_range (f, fabric_switch_lookup (f, "s3"), &first, &count);
    assert_int_equal (first, 2000);
    assert_int_equal (count, 1000);
    assert_int_equal (fabric_switch_level (f, fabric_root (f)), 2);
    fabric_destroy (f);
    free (text);
}

/* ------------------------------------------------------ built in code */

static void built_in_code (void **state)
{
    struct herror err = {{0}};
    struct fabric *f = fabric_create();
    assert_non_null (f);
    int root = fabric_add_switch (f, "top", -1);
    int a = fabric_add_switch (f, "a", root), b = fabric_add_switch (f, "b", root);
    assert_true (root >= 0 && a >= 0 && b >= 0);
    assert_int_equal (fabric_add_switch (f, "a", root), -1);
    assert_int_equal (errno, EEXIST);
    assert_int_equal (fabric_add_switch (f, "c", 99), -1);
    assert_int_equal (errno, EINVAL);
    assert_int_equal (fabric_add_node (f, root, "n0"), -1); /* root has switches */
    assert_int_equal (errno, EINVAL);
    assert_int_equal (fabric_add_node (f, b, "n2"), 0);
    assert_int_equal (fabric_add_node (f, a, "n1"), 0);
    assert_int_equal (fabric_add_switch (f, "d", b), -1); /* b has nodes */
    assert_int_equal (errno, EINVAL);
    assert_int_equal (fabric_finish (f, &err), 0);
    check_tree (f, "top/1{a/0[n1] b/0[n2]}");

    struct fabric *g = fabric_parse_topology_conf (
        "SwitchName=a Nodes=n1\nSwitchName=b Nodes=n2\nSwitchName=top Switches=a,b\n", "t", &err);
    assert_non_null (g);
    assert_false (fabric_same (f, g)); /* same shape, switches numbered otherwise */
    fabric_destroy (g);
    g = fabric_create();
    root = fabric_add_switch (g, "top", -1);
    a = fabric_add_switch (g, "a", root);
    b = fabric_add_switch (g, "b", root);
    assert_int_equal (fabric_add_node (g, b, "n2"), 0);
    assert_int_equal (fabric_add_node (g, a, "n1"), 0);
    assert_int_equal (fabric_finish (g, &err), 0);
    assert_true (fabric_same (f, g));
    fabric_destroy (g);

    g = fabric_create();
    assert_true (fabric_add_switch (g, "x", -1) >= 0 && fabric_add_switch (g, "y", -1) >= 0);
    assert_int_equal (fabric_finish (g, &err), -1);
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "two roots"));
    fabric_destroy (g);
    fabric_destroy (f);
}

/* ------------------------------------------------ inferred from links */

/* A synthetic fabric: node i is in group grp[i]; a pair of one group
 * measures (lat_in, bw_in), else (lat_out, bw_out); each number times
 * 1 + noise * u, u uniform in [-1, 1] from a fixed generator. */
struct synth {
    size_t n;
    const int *grp;
    double lat_in, bw_in, lat_out, bw_out, noise;
    unsigned seed;
};

static double jitter (unsigned *seed, double noise)
{
    *seed = *seed * 1103515245u + 12345u;
    double u = (double)((*seed >> 8) & 0xffff) / 0xffff * 2 - 1;
    return 1 + noise * u;
}

static char synth_names[64][32];
static const char *synth_nodes[64];

/* Every pair of S into m (room for n(n-1)/2); returns how many. */
static size_t synth_pairs (struct synth *s, struct fabric_measure *m)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        snprintf (synth_names[i], sizeof (synth_names[i]), "node%02zu", i + 1);
        synth_nodes[i] = synth_names[i];
    }
    for (size_t i = 0; i < s->n; i++)
        for (size_t j = i + 1; j < s->n; j++) {
            bool in = s->grp[i] == s->grp[j];
            m[k++] = (struct fabric_measure){
                .a = synth_nodes[i],
                .b = synth_nodes[j],
                .latency_us = (in ? s->lat_in : s->lat_out) * jitter (&s->seed, s->noise),
                .bandwidth_mbps = (in ? s->bw_in : s->bw_out) * jitter (&s->seed, s->noise)};
        }
    return k;
}

static struct fabric *infer_ok (const struct fabric_measure *m, size_t nm, size_t n, size_t *used)
{
    struct herror err = {{0}};
    struct fabric *f = fabric_infer (synth_nodes, n, m, nm, used, &err);
    if (!f)
        fail_msg ("fabric_infer: %s", err.text);
    return f;
}

static void infer_check (const struct fabric_measure *m, size_t nm, size_t n, const char *want)
{
    struct fabric *f = infer_ok (m, nm, n, NULL);
    check_tree (f, want);
    fabric_destroy (f);
}

/* S drawn with seeds 1 .. DRAWS: always the tree WANT. */
static void infer_draws (struct synth s, unsigned draws, const char *want)
{
    static struct fabric_measure m[64 * 63 / 2];
    for (unsigned seed = 1; seed <= draws; seed++) {
        s.seed = seed;
        size_t nm = synth_pairs (&s, m);
        infer_check (m, nm, s.n, want);
    }
}

static void infer_clean_leaves (void **state)
{
    static struct fabric_measure m[64 * 63 / 2];
    static const int two[] = {0, 0, 0, 0, 1, 1, 1, 1};
    struct synth s = {8, two, 1.5, 12000, 25, 900, 0, 1};
    size_t used = 0, nm = synth_pairs (&s, m);
    struct fabric *f = infer_ok (m, nm, 8, &used);
    assert_int_equal (used, 28);
    check_tree (f, "root/1{leaf1/0[node01,node02,node03,node04] "
                   "leaf2/0[node05,node06,node07,node08]}");
    fabric_destroy (f);

    /* Three leaves, uneven, interleaved in name order; all equally far. */
    static const int three[] = {0, 1, 2, 0, 1, 2, 0, 2, 2};
    s = (struct synth){9, three, 2, 10000, 20, 1000, 0, 1};
    nm = synth_pairs (&s, m);
    infer_check (m, nm, 9,
                 "root/1{leaf1/0[node01,node04,node07] leaf2/0[node02,node05] "
                 "leaf3/0[node03,node06,node08,node09]}");
}

/* Three leaves where the first two are closer to each other than to the
 * third: a second level. */
static void infer_second_level (void **state)
{
    static struct fabric_measure m[64 * 63 / 2];
    static const int three[] = {0, 0, 1, 1, 2, 2};
    struct synth s = {6, three, 1.5, 12000, 30, 800, 0, 1};
    size_t nm = synth_pairs (&s, m);
    for (size_t k = 0; k < nm; k++) {
        bool pod = (m[k].a[5] - '1') / 4 == 0 && (m[k].b[5] - '1') / 4 == 0; /* node01-04 */
        if (pod && three[m[k].a[5] - '1'] != three[m[k].b[5] - '1']) {
            m[k].latency_us = 5;
            m[k].bandwidth_mbps = 6000;
        }
    }
    infer_check (m, nm, 6,
                 "root/2{spine1/1{leaf1/0[node01,node02] leaf2/0[node03,node04]} "
                 "spine2/1{leaf3/0[node05,node06]}}");
}

/* +-20 % on every number, many draws: always the same two leaves, with
 * leaf pairs only 3x better than the rest. */
static void infer_noisy (void **state)
{
    static const int two[] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
    infer_draws ((struct synth){10, two, 10, 9000, 30, 3000, 0.2, 0}, 200,
                 "root/1{leaf1/0[node01,node02,node03,node04,node05] "
                 "leaf2/0[node06,node07,node08,node09,node10]}");
}

/* Only bandwidth tells the leaves apart (shaped uplinks): two leaves.
 * Only latency does (an extra hop, no oversubscription): two leaves. */
static void infer_one_metric (void **state)
{
    static struct fabric_measure m[64 * 63 / 2];
    static const int two[] = {0, 0, 0, 1, 1, 1};
    const char *want = "root/1{leaf1/0[node01,node02,node03] leaf2/0[node04,node05,node06]}";
    struct synth s = {6, two, 40, 3000, 40, 120, 0.2, 7};
    size_t nm = synth_pairs (&s, m);
    infer_check (m, nm, 6, want);
    s = (struct synth){6, two, 1.2, 12000, 3.5, 12000, 0.2, 7};
    nm = synth_pairs (&s, m);
    infer_check (m, nm, 6, want);
}

/* On a busy host one ping-pong between leaf mates can read a scheduler
 * tick (4 ms against 6 us): such a latency says nothing about hops, the
 * pair is judged by its bandwidth, so a two-node leaf is not split (the
 * namespace cluster's 0550 saw this).  An uplink shaped in bandwidth
 * stays far however its latency reads. */
static void infer_latency_spike (void **state)
{
    static struct fabric_measure m[64 * 63 / 2];
    static const int two[] = {0, 0, 1, 1};
    struct synth s = {4, two, 6, 1500, 7.5, 12, 0, 1};
    size_t nm = synth_pairs (&s, m);
    for (size_t i = 0; i < nm; i++) {
        if (strcmp (m[i].a, "node03") == 0 && strcmp (m[i].b, "node04") == 0)
            m[i].latency_us = 4000; /* the tick, bandwidth still a leaf's */
        if (strcmp (m[i].a, "node01") == 0 && strcmp (m[i].b, "node03") == 0)
            m[i].latency_us = 4000; /* a slow uplink stays far */
    }
    infer_check (m, nm, 4, "root/1{leaf1/0[node01,node02] leaf2/0[node03,node04]}");
}

/* Pairs never measured say nothing: a leaf with a missing pair (still tied
 * through its other pairs), a leaf measured only along a chain, a node
 * never measured (a leaf of its own), measurements of unknown nodes or of
 * a node with itself (left out). */
static void infer_missing (void **state)
{
    static struct fabric_measure m[64 * 63 / 2], kept[64 * 63 / 2];
    static const int two[] = {0, 0, 0, 0, 1, 1, 1, 1, 2};
    struct synth s = {9, two, 1.5, 12000, 25, 900, 0.1, 3};
    size_t nm = synth_pairs (&s, m), nk = 0;
    for (size_t k = 0; k < nm; k++) {
        bool to9 = strcmp (m[k].b, "node09") == 0;
        bool gone = strcmp (m[k].a, "node01") == 0 && strcmp (m[k].b, "node02") == 0;
        /* leaf 2 only as the chain 05-06-07-08 */
        int a = m[k].a[5] - '0', b = m[k].b[5] - '0';
        bool chain = a >= 5 && b <= 8 && b - a != 1;
        if (!to9 && !gone && !chain)
            kept[nk++] = m[k];
    }
    kept[nk++] = (struct fabric_measure){"node01", "node77", 1, 99999};
    kept[nk++] = (struct fabric_measure){"node03", "node03", 1, 99999};
    kept[nk++] = (struct fabric_measure){"node03", "node04", -1, 99999};
    kept[nk++] = (struct fabric_measure){"node03", "node04", 1, 0};
    size_t used = 0;
    struct fabric *f = infer_ok (kept, nk, 9, &used);
    assert_int_equal (used, nk - 4);
    check_tree (f, "root/1{leaf1/0[node01,node02,node03,node04] "
                   "leaf2/0[node05,node06,node07,node08] leaf3/0[node09]}");
    fabric_destroy (f);
}

/* A node whose every link is slow (a bad NIC) is a leaf of its own: it
 * does not chain the two leaves into one. */
static void infer_slow_node (void **state)
{
    static struct fabric_measure m[64 * 63 / 2];
    static const int two[] = {0, 0, 0, 0, 1, 1, 1, 1};
    struct synth s = {8, two, 1.5, 12000, 25, 900, 0.1, 5};
    size_t nm = synth_pairs (&s, m);
    for (size_t k = 0; k < nm; k++) {
        if (strcmp (m[k].a, "node02") == 0 || strcmp (m[k].b, "node02") == 0) {
            m[k].latency_us = 30 * jitter (&s.seed, 0.1);
            m[k].bandwidth_mbps = 700 * jitter (&s.seed, 0.1);
        }
    }
    infer_check (m, nm, 8,
                 "root/1{leaf1/0[node01,node03,node04] leaf2/0[node02] "
                 "leaf3/0[node05,node06,node07,node08]}");
}

/* Every pair alike (within the noise): one leaf. */
static void infer_all_equal (void **state)
{
    static const int one[12] = {0};
    infer_draws ((struct synth){12, one, 20, 1000, 20, 1000, 0.2, 0}, 50,
                 "root/1{leaf1/0[node01,node02,node03,node04,node05,node06,node07,node08,"
                 "node09,node10,node11,node12]}");
}

/* The same set in any order: the same tree. */
static void infer_deterministic (void **state)
{
    static struct fabric_measure m[64 * 63 / 2];
    static const int grp[] = {2, 0, 1, 0, 2, 1, 1, 0, 2, 2, 0, 1, 0, 2};
    struct synth s = {14, grp, 2, 10000, 20, 1000, 0.2, 11};
    size_t nm = synth_pairs (&s, m);
    struct fabric *ref = infer_ok (m, nm, 14, NULL);
    const char *names[14];
    unsigned seed = 99;
    for (int round = 0; round < 20; round++) {
        memcpy (names, synth_nodes, sizeof (names));
        for (size_t i = nm - 1; i > 0; i--) {
            seed = seed * 1103515245u + 12345u;
            size_t j = (seed >> 8) % (i + 1);
            struct fabric_measure t = m[i];
            m[i] = m[j];
            m[j] = t;
            const char *x = m[i].a; /* either end first */
            m[i].a = m[i].b;
            m[i].b = x;
        }
        for (size_t i = 13; i > 0; i--) {
            seed = seed * 1103515245u + 12345u;
            size_t j = (seed >> 8) % (i + 1);
            const char *t = names[i];
            names[i] = names[j];
            names[j] = t;
        }
        struct herror err = {{0}};
        struct fabric *f = fabric_infer (names, 14, m, nm, NULL, &err);
        assert_non_null (f);
        assert_true (fabric_same (ref, f));
        fabric_destroy (f);
    }
    fabric_destroy (ref);
}

static void infer_errors (void **state)
{
    struct herror err = {{0}};
    const char *dup[] = {"a", "b", "a"}, *empty[] = {"a", ""};
    assert_null (fabric_infer (dup, 0, NULL, 0, NULL, &err));
    assert_int_equal (errno, EINVAL);
    assert_null (fabric_infer (dup, 3, NULL, 0, NULL, &err));
    assert_int_equal (errno, EINVAL);
    assert_string_equal (err.text, "node a is given twice");
    assert_null (fabric_infer (empty, 2, NULL, 0, NULL, &err));
    assert_int_equal (errno, EINVAL);
    /* Nothing measured: every node a leaf of its own. */
    struct fabric *f = fabric_infer (dup, 2, NULL, 0, NULL, &err);
    assert_non_null (f);
    check_tree (f, "root/1{leaf1/0[a] leaf2/0[b]}");
    fabric_destroy (f);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (conf_three_leaves),
        cmocka_unit_test (conf_two_levels),
        cmocka_unit_test (lone_nodes_join_the_root),
        cmocka_unit_test (conf_errors_name_file_and_line),
        cmocka_unit_test (conf_errors_more),
        cmocka_unit_test (ec2_three_layers),
        cmocka_unit_test (ec2_four_layers_with_map),
        cmocka_unit_test (ec2_errors),
        cmocka_unit_test (ec2_readers_agree),
        cmocka_unit_test (big_tree),
        cmocka_unit_test (built_in_code),
        cmocka_unit_test (infer_clean_leaves),
        cmocka_unit_test (infer_second_level),
        cmocka_unit_test (infer_noisy),
        cmocka_unit_test (infer_one_metric),
        cmocka_unit_test (infer_latency_spike),
        cmocka_unit_test (infer_missing),
        cmocka_unit_test (infer_slow_node),
        cmocka_unit_test (infer_all_equal),
        cmocka_unit_test (infer_deterministic),
        cmocka_unit_test (infer_errors),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
