#include "cluster.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/core/fabric.h"

#define FAT_TREE "fat-tree:"

struct sim_cluster {
    struct sched_snapshot *s;
    int leaves, nodes_per_leaf, cores;
};

void sim_cluster_destroy (struct sim_cluster *c)
{
    if (!c)
        return;
    int saved = errno;
    sched_snapshot_destroy (c->s);
    free (c);
    errno = saved;
}

/* A decimal 1..MAX in S[0..LEN); -1 otherwise. */
static long parse_count (const char *s, size_t len, long max)
{
    if (len == 0 || len > 9)
        return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit ((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v >= 1 && v <= max ? v : -1;
}

static int bad (struct herror *err, const char *spec, const char *what)
{
    char show[HERROR_SHOW_SIZE];
    errno = EINVAL;
    return herror_set (err, "cluster \"%s\": %s",
                       herror_show (spec, strlen (spec), show, sizeof (show)), what);
}

/* "leaves=L,nodes=K[,cores=C]" into C. */
static int parse_fat_tree (const char *spec, const char *p, struct sim_cluster *c,
                           struct herror *err)
{
    static const char *const keys[] = {"leaves", "nodes", "cores"};
    const long max[] = {SIM_CLUSTER_MAX_NODES, SIM_CLUSTER_MAX_NODES, SIM_CLUSTER_MAX_CORES};
    long val[3] = {0, 0, 0};
    while (*p) {
        size_t len = strcspn (p, ",");
        const char *eq = memchr (p, '=', len);
        int k = 0;
        while (eq && k < 3 &&
               !(strlen (keys[k]) == (size_t)(eq - p) && !strncmp (p, keys[k], eq - p)))
            k++;
        if (!eq || k == 3)
            return bad (err, spec, "expected leaves=L,nodes=K[,cores=C]");
        if (val[k])
            return bad (err, spec, "a key is given twice");
        if ((val[k] = parse_count (eq + 1, len - (size_t)(eq + 1 - p), max[k])) < 0) {
            char what[128];
            snprintf (what, sizeof (what), "%s must be a whole number from 1 to %ld", keys[k],
                      max[k]);
            return bad (err, spec, what);
        }
        p += len;
        if (*p == ',' && *++p == '\0')
            return bad (err, spec, "a comma at the end");
    }
    if (!val[0] || !val[1])
        return bad (err, spec, "leaves= and nodes= are required");
    if (val[0] * val[1] > SIM_CLUSTER_MAX_NODES)
        return bad (err, spec, "more nodes than huddle-sim builds (1,048,576)");
    c->leaves = (int)val[0];
    c->nodes_per_leaf = (int)val[1];
    c->cores = val[2] ? (int)val[2] : 1;
    return 0;
}

static int parse_spec (const char *spec, struct sim_cluster *c, struct herror *err)
{
    if (!strncmp (spec, FAT_TREE, strlen (FAT_TREE)))
        return parse_fat_tree (spec, spec + strlen (FAT_TREE), c, err);
    long n = parse_count (spec, strlen (spec), SIM_CLUSTER_MAX_NODES);
    if (n < 0)
        return bad (err, spec,
                    "expected a processor count (1 to 1048576) or "
                    "fat-tree:leaves=L,nodes=K[,cores=C]");
    c->leaves = 1;
    c->nodes_per_leaf = (int)n;
    c->cores = 1;
    return 0;
}

static void node_name (char *buf, size_t len, int i)
{
    snprintf (buf, len, "n%07d", i);
}

static int add_nodes (struct sim_cluster *c)
{
    int n = c->leaves * c->nodes_per_leaf;
    int *pus = calloc ((size_t)c->cores, sizeof (*pus));
    struct sched_core_desc *cores = calloc ((size_t)c->cores, sizeof (*cores));
    int rc = -1;
    if (!pus || !cores) {
        errno = ENOMEM;
        goto out;
    }
    for (int k = 0; k < c->cores; k++) {
        pus[k] = k;
        cores[k] = (struct sched_core_desc){.os_index = k, .numa = 0, .npus = 1, .pus = &pus[k]};
    }
    for (int i = 0; i < n; i++) {
        char name[32];
        node_name (name, sizeof (name), i);
        struct sched_node_desc d = {.name = name,
                                    .usable = true,
                                    .mem = UINT64_C (1) << 30,
                                    .ncores = c->cores,
                                    .cores = cores};
        if (sched_snapshot_add_node (c->s, &d) < 0)
            goto out;
    }
    rc = 0;
out:
    free (pus);
    free (cores);
    return rc;
}

/* Leaf l = nodes l*K .. l*K+K-1; the spine is the fabric's implicit root. */
static int set_fabric (struct sim_cluster *c)
{
    int n = c->leaves * c->nodes_per_leaf;
    char *buf = malloc ((size_t)n * 16);
    const char **names = malloc ((size_t)n * sizeof (*names));
    struct sched_fabric_group *g = malloc ((size_t)c->leaves * sizeof (*g));
    int rc = -1;
    if (!buf || !names || !g) {
        errno = ENOMEM;
        goto out;
    }
    for (int i = 0; i < n; i++) {
        node_name (buf + (size_t)i * 16, 16, i);
        names[i] = buf + (size_t)i * 16;
    }
    for (int l = 0; l < c->leaves; l++)
        g[l] = (struct sched_fabric_group){
            .first = l * c->nodes_per_leaf, .count = c->nodes_per_leaf, .level = 0};
    struct sched_fabric f = {.nnames = n, .names = names, .ngroups = c->leaves, .groups = g};
    rc = sched_snapshot_set_fabric (c->s, &f);
out:
    free (buf);
    free (names);
    free (g);
    return rc;
}

struct sim_cluster *sim_cluster_create (const char *spec, struct herror *err)
{
    struct sim_cluster *c = calloc (1, sizeof (*c));
    if (!c) {
        errno = ENOMEM;
        herror_set (err, "out of memory");
        return NULL;
    }
    bool fat_tree = !strncmp (spec, FAT_TREE, strlen (FAT_TREE));
    if (parse_spec (spec, c, err) < 0)
        goto fail;
    if (!(c->s = sched_snapshot_create()) || add_nodes (c) < 0 ||
        (fat_tree && set_fabric (c) < 0)) {
        herror_set (err, "cluster \"%s\": %s", spec, strerror (errno));
        goto fail;
    }
    return c;
fail:
    sim_cluster_destroy (c);
    return NULL;
}

struct sched_snapshot *sim_cluster_snapshot (struct sim_cluster *c)
{
    return c->s;
}

int sim_cluster_procs (const struct sim_cluster *c)
{
    return c->leaves * c->nodes_per_leaf * c->cores;
}

int sim_cluster_nodes (const struct sim_cluster *c)
{
    return c->leaves * c->nodes_per_leaf;
}

int sim_cluster_cores (const struct sim_cluster *c)
{
    return c->cores;
}

int sim_cluster_leaves (const struct sim_cluster *c)
{
    return c->leaves;
}
