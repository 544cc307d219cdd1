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
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
