/* test_ctld_fabric_order.c - scheduler/ctld/fabric_order.h: a switch tree
 * as the scheduler core's fabric, for the nodes a caller keeps */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scheduler/ctld/fabric_order.h"
#include "topology/fabric.h"

static struct fabric *parse (const char *text)
{
    struct herror err = {""};
    struct fabric *f = fabric_parse_topology_conf (text, "t.conf", &err);
    if (!f)
        fail_msg ("%s", err.text);
    return f;
}

/* Keeps the names listed in ARG (" a b c "). */
static bool listed (const char *name, void *arg)
{
    char key[64];
    snprintf (key, sizeof (key), " %s ", name);
    return strstr ((const char *)arg, key) != NULL;
}

/* O as "names|switch/level/parent/first+count ...", checking that every
 * group is its switch's range and level. */
static void show (const struct ctld_fabric_order *o, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < o->nnames; i++)
        snprintf (buf + strlen (buf), size - strlen (buf), "%s%s", i ? " " : "", o->names[i]);
    strncat (buf, "|", size - strlen (buf) - 1);
    for (size_t i = 0; i < o->nswitches; i++) {
        const struct ctld_fabric_switch *s = &o->switches[i];
        snprintf (buf + strlen (buf), size - strlen (buf), "%s%s/%d/%d/%zu+%zu", i ? " " : "",
                  s->name, s->level, s->parent, s->first, s->count);
        assert_int_equal (o->groups[i].first, (int)s->first);
        assert_int_equal (o->groups[i].count, (int)s->count);
        assert_int_equal (o->groups[i].level, s->level);
    }
}

static const char tree[] = "SwitchName=leaf1 Nodes=n[1-3]\n"
                           "SwitchName=leaf2 Nodes=n[4-5]\n"
                           "SwitchName=leaf3 Nodes=n6\n"
                           "SwitchName=spine Switches=leaf[1-3]\n";

/* The order of TREE for the nodes in KEEP, shown, is WANT. */
static void check (const char *keep, const char *want)
{
    struct fabric *f = parse (tree);
    struct ctld_fabric_order o;
    char buf[512];
    assert_int_equal (ctld_fabric_order_of (f, listed, (void *)keep, &o), 0);
    show (&o, buf, sizeof (buf));
    assert_string_equal (buf, want);
    ctld_fabric_order_free (&o);
    fabric_destroy (f);
}

static void keeps_all (void **state)
{
    (void)state;
    check (" n1 n2 n3 n4 n5 n6 ",
           "n1 n2 n3 n4 n5 n6|spine/1/-1/0+6 leaf1/0/0/0+3 leaf2/0/0/3+2 leaf3/0/0/5+1");
}

/* Nodes not kept close the ranges up; a switch left with none is left
 * out, and the parent positions follow. */
static void skips_what_is_not_kept (void **state)
{
    (void)state;
    check (" n1 n3 n6 ", "n1 n3 n6|spine/1/-1/0+3 leaf1/0/0/0+2 leaf3/0/0/2+1");
    check (" none ", "|");
    ctld_fabric_order_free (NULL);
}

/* What the core gets is what it accepts: the snapshot takes it, and
 * n4 and n5 then share a leaf while n3 and n4 do not. */
static void the_core_takes_it (void **state)
{
    (void)state;
    struct fabric *f = parse (tree);
    struct sched_snapshot *s = sched_snapshot_create();
    struct sched_core_desc core = {.os_index = 0, .numa = 0, .npus = 1, .pus = (int[]){0}};
    char name[8];
    for (int i = 1; i <= 6; i++) {
        snprintf (name, sizeof (name), "n%d", i);
        struct sched_node_desc d = {
            .name = name, .usable = true, .mem = 1 << 30, .ncores = 1, .cores = &core};
        assert_int_equal (sched_snapshot_add_node (s, &d), 0);
    }
    struct ctld_fabric_order o;
    assert_int_equal (ctld_fabric_order_of (f, listed, (void *)" n1 n2 n3 n4 n5 n6 ", &o), 0);
    struct sched_fabric sf = ctld_fabric_order_sched (&o);
    assert_int_equal (sf.nnames, 6);
    assert_int_equal (sf.ngroups, 4);
    assert_int_equal (sched_snapshot_set_fabric (s, &sf), 0);
    ctld_fabric_order_free (&o);
    int leaves, level;
    assert_int_equal (sched_snapshot_span (s, (const char *[]){"n4", "n5"}, 2, &leaves, &level), 0);
    assert_int_equal (leaves, 1);
    assert_int_equal (level, 0);
    assert_int_equal (sched_snapshot_span (s, (const char *[]){"n3", "n4"}, 2, &leaves, &level), 0);
    assert_int_equal (leaves, 2);
    assert_int_equal (level, 1);
    sched_snapshot_destroy (s);
    fabric_destroy (f);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (keeps_all),
        cmocka_unit_test (skips_what_is_not_kept),
        cmocka_unit_test (the_core_takes_it),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
