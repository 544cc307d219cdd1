/* node.c - build the node model from hwloc (live, XML, synthetic)
 *
 * hwloc is used only here and only while loading: the model copies what it
 * needs and the hwloc topology is destroyed before returning.
 */
#include "node.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hwloc.h>

#include "node_private.h"
#include "readfile.h"

/* Sanitizer builds: see load_and_build. */
#if defined(__SANITIZE_ADDRESS__)
#define HUDDLE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HUDDLE_LSAN 1
#endif
#endif
#ifdef HUDDLE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

/* Biggest XML file we agree to read: real exports are well under 10 MB. */
#define XML_MAX_BYTES (256L * 1024 * 1024)

static void ids_free (struct topo_ids *ids)
{
    free (ids->ids);
    ids->ids = NULL;
    ids->count = 0;
}

void topo_node_destroy (struct topo_node *node)
{
    int saved = errno;

    if (!node)
        return;
    for (unsigned i = 0; i < node->npackages; i++)
        free (node->packages[i].cpu_model);
    for (unsigned i = 0; i < node->ngpus; i++) {
        struct topo_gpu *g = &node->gpus[i];
        free (g->vendor);
        free (g->model);
        free (g->cuda);
        free (g->nvml);
        free (g->rsmi);
        free (g->opencl);
        free (g->levelzero);
        ids_free (&g->numa);
        ids_free (&g->cores);
        ids_free (&g->near_nics);
    }
    for (unsigned i = 0; i < node->nnics; i++) {
        struct topo_nic *n = &node->nics[i];
        free (n->vendor);
        free (n->model);
        for (unsigned j = 0; j < n->nnames; j++)
            free (n->names[j]);
        free (n->names);
        ids_free (&n->numa);
        ids_free (&n->cores);
    }
    for (unsigned i = 0; i < node->ngpu_links; i++) {
        free (node->gpu_links[i].name);
        free (node->gpu_links[i].values);
    }
    free (node->gpu_links);
    free (node->hostname);
    free (node->packages);
    free (node->numas);
    free (node->l3s);
    free (node->cores);
    free (node->pus);
    free (node->gpus);
    free (node->nics);
    free (node);
    errno = saved;
}

static const char *plural (unsigned n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

int topo_node_summary (const struct topo_node *node, char *buf, size_t len)
{
    return snprintf (buf, len, "%u %s, %u NUMA, %u %s, %u %s, %u %s, %u %s", node->npackages,
                     plural (node->npackages, "package", "packages"), node->nnumas, node->ncores,
                     plural (node->ncores, "core", "cores"), node->npus,
                     plural (node->npus, "PU", "PUs"), node->ngpus,
                     plural (node->ngpus, "GPU", "GPUs"), node->nnics,
                     plural (node->nnics, "NIC", "NICs"));
}

const char *topo_nic_kind_name (int kind)
{
    switch (kind) {
    case TOPO_NIC_ETHERNET:
        return "Ethernet";
    case TOPO_NIC_INFINIBAND:
        return "InfiniBand";
    case TOPO_NIC_OPENFABRICS:
        return "OpenFabrics";
    }
    return "unknown";
}

const char *topo_near_name (int level)
{
    switch (level) {
    case TOPO_NEAR_MACHINE:
        return "same machine";
    case TOPO_NEAR_PACKAGE:
        return "same package";
    case TOPO_NEAR_NUMA:
        return "same NUMA node";
    case TOPO_NEAR_HOSTBRIDGE:
        return "same host bridge";
    case TOPO_NEAR_PCISWITCH:
        return "same PCI switch";
    }
    return "unknown";
}

uint64_t topo_node_memory (const struct topo_node *node)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < node->nnumas; i++)
        total += node->numas[i].local_memory;
    return total;
}

static int topo_prepare (hwloc_topology_t *topo)
{
    if (hwloc_topology_init (topo) < 0)
        return -1;
    /* Keep every PCI device and bridge: NVSwitches are PCI devices of class
     * bridge/other that KEEP_IMPORTANT would drop, and the PCI tree is what
     * tells which NIC shares a switch with which GPU. */
    if (hwloc_topology_set_io_types_filter (*topo, HWLOC_TYPE_FILTER_KEEP_ALL) < 0) {
        hwloc_topology_destroy (*topo);
        return -1;
    }
    return 0;
}

/* Live discovery runs hwloc's PCI plugin, whose libpciaccess keeps a cache
 * in a static variable; hwloc dlcloses the plugin when the topology goes, so
 * LeakSanitizer reports that cache as leaked in sanitizer builds.  Only the
 * hwloc call is exempted: the model's own allocations are still checked. */
static int hwloc_load (hwloc_topology_t topo)
{
    int rc;
#ifdef HUDDLE_LSAN
    __lsan_disable();
#endif
    rc = hwloc_topology_load (topo);
#ifdef HUDDLE_LSAN
    __lsan_enable();
#endif
    return rc;
}

static struct topo_node *load_and_build (hwloc_topology_t topo, const char *hostname)
{
    struct topo_node *node = NULL;
    if (hwloc_load (topo) == 0)
        node = topo_node_build (topo, hostname);
    hwloc_topology_destroy (topo);
    return node;
}

struct topo_node *topo_node_load_live (struct herror *err)
{
    hwloc_topology_t topo;
    char host[256] = "localhost";
    struct topo_node *node;

    if (gethostname (host, sizeof (host) - 1) < 0)
        snprintf (host, sizeof (host), "localhost");
    host[sizeof (host) - 1] = '\0';
    if (topo_prepare (&topo) < 0) {
        herror_set (err, "hwloc: cannot initialize: %s", strerror (errno));
        return NULL;
    }
    if (!(node = load_and_build (topo, host)))
        herror_set (err, "hwloc: cannot discover this machine: %s", strerror (errno));
    return node;
}

struct topo_node *topo_node_load_synthetic (const char *description, struct herror *err)
{
    hwloc_topology_t topo;
    struct topo_node *node;

    if (!description || !*description) {
        errno = EINVAL;
        herror_set (err, "synthetic \"\": empty description");
        return NULL;
    }
    if (topo_prepare (&topo) < 0) {
        herror_set (err, "hwloc: cannot initialize: %s", strerror (errno));
        return NULL;
    }
    if (hwloc_topology_set_synthetic (topo, description) < 0) {
        hwloc_topology_destroy (topo);
        errno = EINVAL;
        herror_set (err,
                    "synthetic \"%s\": not a valid hwloc synthetic description "
                    "(expected e.g. \"pack:2 numa:2 core:8 pu:1\")",
                    description);
        return NULL;
    }
    if (!(node = load_and_build (topo, "synthetic")))
        herror_set (err, "synthetic \"%s\": %s", description, strerror (errno));
    return node;
}

/* Say why hwloc refused buf, as precisely as cheap checks allow. */
static void explain_bad_xml (const char *path, const char *buf, long len, struct herror *err)
{
    const char *p = buf;

    while (p < buf + len && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    if (len == 0)
        herror_set (err, "%s: empty file, not an hwloc XML topology", path);
    else if (*p != '<' || (!strstr (buf, "<topology") && !strstr (buf, "<root")))
        herror_set (err, "%s: not an hwloc XML topology", path);
    else if (!strstr (buf, "</topology>") && !strstr (buf, "</root>"))
        herror_set (err, "%s: truncated hwloc XML topology (no closing </topology>)", path);
    else
        herror_set (err, "%s: malformed hwloc XML topology", path);
}

static char *xml_hostname (const char *path, hwloc_topology_t topo)
{
    const char *h = hwloc_obj_get_info_by_name (hwloc_get_root_obj (topo), "HostName");
    const char *base = strrchr (path, '/');
    size_t n;

    if (h && *h)
        return strdup (h);
    base = base ? base + 1 : path;
    n = strlen (base);
    if (n > 4 && strcmp (base + n - 4, ".xml") == 0)
        n -= 4;
    return strndup (base, n);
}

struct topo_node *topo_node_load_xml (const char *path, struct herror *err)
{
    hwloc_topology_t topo;
    struct topo_node *node = NULL;
    char *buf, *host = NULL;
    long len = 0;

    if (!path || !*path) {
        errno = EINVAL;
        herror_set (err, "empty topology file name");
        return NULL;
    }
    if (!(buf = topo_read_file (path, XML_MAX_BYTES, "an hwloc XML topology", &len, err)))
        return NULL;
    if (topo_prepare (&topo) < 0) {
        free (buf);
        herror_set (err, "hwloc: cannot initialize: %s", strerror (errno));
        return NULL;
    }
    if (len == 0 || hwloc_topology_set_xmlbuffer (topo, buf, (int)len + 1) < 0 ||
        hwloc_topology_load (topo) < 0) {
        explain_bad_xml (path, buf, len, err);
        hwloc_topology_destroy (topo);
        free (buf);
        errno = EINVAL;
        return NULL;
    }
    free (buf);
    if ((host = xml_hostname (path, topo)))
        node = topo_node_build (topo, host);
    else
        errno = ENOMEM;
    if (!node)
        herror_set (err, "%s: %s", path, strerror (errno));
    free (host);
    hwloc_topology_destroy (topo);
    return node;
}

/* Union-find root of GPU I (path halving). */
static unsigned island_root (unsigned *parent, unsigned i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

int topo_node_gpu_islands (const struct topo_node *node, int *island)
{
    unsigned n = node->ngpus;
    if (n == 0)
        return 0;
    /* NVSwitch boards: every GPU reaches every other at full bandwidth.
     * No link matrix at all: nothing says some GPUs are closer than
     * others, so there is no island to prefer either. */
    if (node->gpus_nvswitch_connected || node->ngpu_links == 0) {
        for (unsigned i = 0; i < n; i++)
            island[i] = 0;
        return 1;
    }
    unsigned *parent = malloc (n * sizeof (*parent));
    if (!parent) {
        errno = ENOMEM;
        return -1;
    }
    for (unsigned i = 0; i < n; i++)
        parent[i] = i;
    for (unsigned m = 0; m < node->ngpu_links; m++) {
        const uint64_t *v = node->gpu_links[m].values;
        for (unsigned i = 0; i < n; i++) {
            for (unsigned j = 0; j < n; j++) {
                if (i != j && v[i * n + j] > 0)
                    parent[island_root (parent, i)] = island_root (parent, j);
            }
        }
    }
    /* Number islands by their first GPU, so the numbering is stable. */
    int count = 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned r = island_root (parent, i);
        island[i] = -1;
        for (unsigned k = 0; k < i; k++) {
            if (island_root (parent, k) == r) {
                island[i] = island[k];
                break;
            }
        }
        if (island[i] < 0)
            island[i] = count++;
    }
    free (parent);
    return count;
}
