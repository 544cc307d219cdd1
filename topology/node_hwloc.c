/* node_hwloc.c - copy an hwloc topology into the node model
 *
 * The only code that walks hwloc objects.  See node.h for the rules that
 * decide what is a GPU, a NIC and a nearest NIC.
 */
#include "node_private.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* OS device types are compared as numbers: XML from newer hwloc may carry
 * values this hwloc has no name for. */
#define OSDEV_GPU         HWLOC_OBJ_OSDEV_GPU
#define OSDEV_NETWORK     HWLOC_OBJ_OSDEV_NETWORK
#define OSDEV_OPENFABRICS HWLOC_OBJ_OSDEV_OPENFABRICS
#define OSDEV_COPROC      HWLOC_OBJ_OSDEV_COPROC

struct builder {
    hwloc_topology_t topo;
    struct topo_node *node;
    hwloc_obj_t *gpu_pci;      /* hwloc PCI object of each GPU */
    hwloc_obj_t *nic_obj;      /* PCI object, or the OS device for NICs without PCI */
    bool nvswitch_links_known; /* NVLinkBandwidth listed GPU-to-NVSwitch links */
};

/* --- CPU side ------------------------------------------------------------ */

static int logical_of_ancestor (hwloc_obj_t obj, hwloc_obj_type_t type)
{
    for (hwloc_obj_t o = obj->parent; o; o = o->parent)
        if (o->type == type)
            return (int)o->logical_index;
    return -1;
}

static int os_index_of (hwloc_obj_t obj)
{
    return obj->os_index == HWLOC_UNKNOWN_INDEX || obj->os_index > INT_MAX ? -1
                                                                           : (int)obj->os_index;
}

static char *dup_info (hwloc_obj_t obj, const char *name)
{
    const char *v = hwloc_obj_get_info_by_name (obj, name);
    return v ? strdup (v) : NULL;
}

/* The NUMA node a core belongs to: the first one (logical order) whose
 * cpuset covers the core, so DRAM wins over HBM/CXL nodes listed later. */
static int numa_of_cpuset (hwloc_topology_t topo, hwloc_const_cpuset_t set)
{
    hwloc_obj_t numa = NULL;
    while ((numa = hwloc_get_next_obj_by_type (topo, HWLOC_OBJ_NUMANODE, numa)))
        if (!hwloc_bitmap_iszero (numa->cpuset) && hwloc_bitmap_isincluded (set, numa->cpuset))
            return (int)numa->logical_index;
    return -1;
}

static int build_cpu (struct builder *b)
{
    hwloc_topology_t topo = b->topo;
    struct topo_node *node = b->node;
    int n;

    n = hwloc_get_nbobjs_by_type (topo, HWLOC_OBJ_PACKAGE);
    if (n > 0 && !(node->packages = calloc (n, sizeof (*node->packages))))
        return -1;
    for (int i = 0; i < n; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type (topo, HWLOC_OBJ_PACKAGE, i);
        node->packages[i].os_index = os_index_of (o);
        node->packages[i].cpu_model = dup_info (o, "CPUModel");
        node->npackages++;
        if (hwloc_obj_get_info_by_name (o, "CPUModel") && !node->packages[i].cpu_model)
            return -1;
    }

    n = hwloc_get_nbobjs_by_type (topo, HWLOC_OBJ_NUMANODE);
    if (n > 0 && !(node->numas = calloc (n, sizeof (*node->numas))))
        return -1;
    for (int i = 0; i < n; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type (topo, HWLOC_OBJ_NUMANODE, i);
        node->numas[i].os_index = os_index_of (o);
        node->numas[i].local_memory = o->attr ? o->attr->numanode.local_memory : 0;
        node->numas[i].package = logical_of_ancestor (o, HWLOC_OBJ_PACKAGE);
    }
    node->nnumas = n > 0 ? (unsigned)n : 0;

    n = hwloc_get_nbobjs_by_type (topo, HWLOC_OBJ_L3CACHE);
    if (n > 0 && !(node->l3s = calloc (n, sizeof (*node->l3s))))
        return -1;
    for (int i = 0; i < n; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type (topo, HWLOC_OBJ_L3CACHE, i);
        node->l3s[i].size = o->attr->cache.size;
        node->l3s[i].package = logical_of_ancestor (o, HWLOC_OBJ_PACKAGE);
    }
    node->nl3s = n > 0 ? (unsigned)n : 0;

    n = hwloc_get_nbobjs_by_type (topo, HWLOC_OBJ_PU);
    if (n > 0 && !(node->pus = calloc (n, sizeof (*node->pus))))
        return -1;
    for (int i = 0; i < n; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type (topo, HWLOC_OBJ_PU, i);
        node->pus[i].os_index = os_index_of (o);
        node->pus[i].core = logical_of_ancestor (o, HWLOC_OBJ_CORE);
    }
    node->npus = n > 0 ? (unsigned)n : 0;

    n = hwloc_get_nbobjs_by_type (topo, HWLOC_OBJ_CORE);
    if (n > 0 && !(node->cores = calloc (n, sizeof (*node->cores))))
        return -1;
    for (int i = 0; i < n; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type (topo, HWLOC_OBJ_CORE, i);
        struct topo_core *c = &node->cores[i];
        hwloc_obj_t pu =
            hwloc_get_next_obj_inside_cpuset_by_type (topo, o->cpuset, HWLOC_OBJ_PU, NULL);
        c->os_index = os_index_of (o);
        c->package = logical_of_ancestor (o, HWLOC_OBJ_PACKAGE);
        c->l3 = logical_of_ancestor (o, HWLOC_OBJ_L3CACHE);
        c->numa = numa_of_cpuset (topo, o->cpuset);
        c->pu_first = pu ? pu->logical_index : 0;
        c->pu_count = 0;
        for (unsigned p = c->pu_first; pu && p < node->npus && node->pus[p].core == i; p++)
            c->pu_count++;
    }
    node->ncores = n > 0 ? (unsigned)n : 0;
    return 0;
}

/* --- I/O side ------------------------------------------------------------ */

static bool has_prefix (const char *s, const char *prefix)
{
    return s && strncmp (s, prefix, strlen (prefix)) == 0;
}

/* Which backend an accelerator OS device belongs to; NULL when none. */
static const char *gpu_backend (hwloc_obj_t osdev)
{
    static const struct {
        const char *backend, *prefix;
    } table[] = {
        {"CUDA", "cuda"},     {"NVML", "nvml"},    {"RSMI", "rsmi"},
        {"OpenCL", "opencl"}, {"LevelZero", "ze"},
    };
    const char *backend = hwloc_obj_get_info_by_name (osdev, "Backend");

    for (size_t i = 0; i < sizeof (table) / sizeof (table[0]); i++)
        if ((backend && strcmp (backend, table[i].backend) == 0) ||
            (!backend && has_prefix (osdev->name, table[i].prefix)))
            return table[i].backend;
    return NULL;
}

static bool is_gpu_osdev (hwloc_obj_t osdev)
{
    int t = (int)osdev->attr->osdev.type;
    return t == OSDEV_GPU || t == OSDEV_COPROC || gpu_backend (osdev) != NULL;
}

static bool is_net_osdev (hwloc_obj_t osdev)
{
    int t = (int)osdev->attr->osdev.type;
    return t == OSDEV_NETWORK || t == OSDEV_OPENFABRICS;
}

static bool pci_has_osdev (hwloc_obj_t pci, bool (*pred) (hwloc_obj_t))
{
    for (hwloc_obj_t c = pci->io_first_child; c; c = c->next_sibling)
        if (c->type == HWLOC_OBJ_OS_DEVICE && pred (c))
            return true;
    return false;
}

static void format_busid (hwloc_obj_t pci, char *buf)
{
    snprintf (buf, TOPO_BUSID_MAX, "%04x:%02x:%02x.%01x", (unsigned)pci->attr->pcidev.domain,
              pci->attr->pcidev.bus, pci->attr->pcidev.dev, pci->attr->pcidev.func);
}

/* NUMA nodes and cores local to an I/O object: those of its first non-I/O
 * ancestor, which is what hwloc calls the device's locality. */
static int locality (struct builder *b, hwloc_obj_t io, struct topo_ids *numa,
                     struct topo_ids *cores)
{
    hwloc_obj_t anc = hwloc_get_non_io_ancestor_obj (b->topo, io);
    struct topo_node *node = b->node;

    if (!anc)
        return 0;
    if (node->nnumas && !(numa->ids = calloc (node->nnumas, sizeof (unsigned))))
        return -1;
    for (unsigned i = 0; i < node->nnumas; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type (b->topo, HWLOC_OBJ_NUMANODE, i);
        if (anc->nodeset && hwloc_bitmap_isset (anc->nodeset, o->os_index))
            numa->ids[numa->count++] = i;
    }
    if (node->ncores && !(cores->ids = calloc (node->ncores, sizeof (unsigned))))
        return -1;
    for (unsigned i = 0; i < node->ncores; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type (b->topo, HWLOC_OBJ_CORE, i);
        if (hwloc_bitmap_isincluded (o->cpuset, anc->cpuset))
            cores->ids[cores->count++] = i;
    }
    return 0;
}

static char *pci_fallback_name (hwloc_obj_t pci, const char *info, unsigned id)
{
    char buf[16];
    const char *v = hwloc_obj_get_info_by_name (pci, info);
    if (v)
        return strdup (v);
    snprintf (buf, sizeof (buf), "0x%04x", id);
    return strdup (buf);
}

static int set_name (char **slot, const char *name)
{
    if (*slot)
        return 0;
    return (*slot = strdup (name)) ? 0 : -1;
}

static int build_gpu (struct builder *b, hwloc_obj_t pci, struct topo_gpu *g)
{
    const char *vendor = NULL, *model = NULL;

    format_busid (pci, g->busid);
    g->pci_vendor_id = pci->attr->pcidev.vendor_id;
    g->pci_device_id = pci->attr->pcidev.device_id;
    for (hwloc_obj_t c = pci->io_first_child; c; c = c->next_sibling) {
        const char *be;
        int rc = 0;
        if (c->type != HWLOC_OBJ_OS_DEVICE || !c->name || !is_gpu_osdev (c))
            continue;
        if (!vendor)
            vendor = hwloc_obj_get_info_by_name (c, "GPUVendor");
        if (!model)
            model = hwloc_obj_get_info_by_name (c, "GPUModel");
        be = gpu_backend (c);
        if (!be)
            continue;
        if (strcmp (be, "CUDA") == 0)
            rc = set_name (&g->cuda, c->name);
        else if (strcmp (be, "NVML") == 0)
            rc = set_name (&g->nvml, c->name);
        else if (strcmp (be, "RSMI") == 0)
            rc = set_name (&g->rsmi, c->name);
        else if (strcmp (be, "OpenCL") == 0)
            rc = set_name (&g->opencl, c->name);
        else
            rc = set_name (&g->levelzero, c->name);
        if (rc < 0)
            return -1;
    }
    g->vendor = vendor ? strdup (vendor) : pci_fallback_name (pci, "PCIVendor", g->pci_vendor_id);
    g->model = model ? strdup (model) : pci_fallback_name (pci, "PCIDevice", g->pci_device_id);
    if (!g->vendor || !g->model)
        return -1;
    return locality (b, pci, &g->numa, &g->cores);
}

static void note_net_osdev (hwloc_obj_t c, bool *ib, bool *openfabrics)
{
    if (c->type != HWLOC_OBJ_OS_DEVICE || !is_net_osdev (c))
        return;
    if ((int)c->attr->osdev.type == OSDEV_NETWORK && has_prefix (c->name, "ib"))
        *ib = true;
    if ((int)c->attr->osdev.type == OSDEV_OPENFABRICS)
        *openfabrics = true;
}

static int nic_kind (hwloc_obj_t dev)
{
    bool ib = false, openfabrics = false;

    if (dev->type == HWLOC_OBJ_OS_DEVICE) {
        note_net_osdev (dev, &ib, &openfabrics);
    } else {
        unsigned cls = dev->attr->pcidev.class_id;
        ib = cls == 0x0207 || cls == 0x0c06;
        for (hwloc_obj_t c = dev->io_first_child; c; c = c->next_sibling)
            note_net_osdev (c, &ib, &openfabrics);
    }
    if (ib)
        return TOPO_NIC_INFINIBAND;
    return openfabrics ? TOPO_NIC_OPENFABRICS : TOPO_NIC_ETHERNET;
}

/* dev is a PCI device with network OS devices, or one network OS device
 * without a PCI parent. */
static int build_nic (struct builder *b, hwloc_obj_t dev, struct topo_nic *n)
{
    unsigned count = 0;

    n->kind = nic_kind (dev);
    if (dev->type == HWLOC_OBJ_PCI_DEVICE) {
        format_busid (dev, n->busid);
        n->vendor = dup_info (dev, "PCIVendor");
        n->model = dup_info (dev, "PCIDevice");
        for (hwloc_obj_t c = dev->io_first_child; c; c = c->next_sibling)
            if (c->type == HWLOC_OBJ_OS_DEVICE && c->name && is_net_osdev (c))
                count++;
        if (!(n->names = calloc (count, sizeof (char *))))
            return -1;
        for (hwloc_obj_t c = dev->io_first_child; c; c = c->next_sibling)
            if (c->type == HWLOC_OBJ_OS_DEVICE && c->name && is_net_osdev (c))
                if (!(n->names[n->nnames++] = strdup (c->name)))
                    return -1;
    } else {
        if (!(n->names = calloc (1, sizeof (char *))) || !(n->names[0] = strdup (dev->name)))
            return -1;
        n->nnames = 1;
    }
    return locality (b, dev, &n->numa, &n->cores);
}

static int tree_depth (hwloc_obj_t o)
{
    int d = 0;
    for (; o->parent; o = o->parent)
        d++;
    return d;
}

static hwloc_obj_t common_ancestor (hwloc_obj_t a, hwloc_obj_t b)
{
    int da = tree_depth (a), db = tree_depth (b);
    while (da > db) {
        a = a->parent;
        da--;
    }
    while (db > da) {
        b = b->parent;
        db--;
    }
    while (a != b) {
        a = a->parent;
        b = b->parent;
    }
    return a;
}

static int near_level (hwloc_obj_t lca)
{
    if (lca->type == HWLOC_OBJ_BRIDGE || lca->type == HWLOC_OBJ_PCI_DEVICE)
        return lca->type == HWLOC_OBJ_BRIDGE &&
                       lca->attr->bridge.upstream_type == HWLOC_OBJ_BRIDGE_HOST
                   ? TOPO_NEAR_HOSTBRIDGE
                   : TOPO_NEAR_PCISWITCH;
    if (lca->nodeset && hwloc_bitmap_weight (lca->nodeset) == 1)
        return TOPO_NEAR_NUMA;
    if (lca->type == HWLOC_OBJ_PACKAGE || logical_of_ancestor (lca, HWLOC_OBJ_PACKAGE) >= 0)
        return TOPO_NEAR_PACKAGE;
    return TOPO_NEAR_MACHINE;
}

static int nearest_nics (struct builder *b)
{
    struct topo_node *node = b->node;

    for (unsigned i = 0; i < node->ngpus; i++) {
        struct topo_gpu *g = &node->gpus[i];
        int best = -1;
        if (node->nnics == 0)
            continue;
        if (!(g->near_nics.ids = calloc (node->nnics, sizeof (unsigned))))
            return -1;
        for (unsigned j = 0; j < node->nnics; j++) {
            hwloc_obj_t lca = common_ancestor (b->gpu_pci[i], b->nic_obj[j]);
            int d = tree_depth (lca);
            if (d > best) {
                best = d;
                g->near_nics.count = 0;
                g->near_level = near_level (lca);
            }
            if (d == best)
                g->near_nics.ids[g->near_nics.count++] = j;
        }
    }
    return 0;
}

static bool is_nvswitch (hwloc_obj_t o)
{
    return o && o->type == HWLOC_OBJ_PCI_DEVICE && o->subtype &&
           strcmp (o->subtype, "NVSwitch") == 0;
}

static int build_io (struct builder *b)
{
    hwloc_topology_t topo = b->topo;
    struct topo_node *node = b->node;
    unsigned npci = 0, nosdev = 0;
    hwloc_obj_t o = NULL;

    while ((o = hwloc_get_next_pcidev (topo, o)))
        npci++;
    while ((o = hwloc_get_next_osdev (topo, o)))
        nosdev++;
    if (npci && (!(node->gpus = calloc (npci, sizeof (*node->gpus))) ||
                 !(b->gpu_pci = calloc (npci, sizeof (hwloc_obj_t)))))
        return -1;
    if (npci + nosdev && (!(node->nics = calloc (npci + nosdev, sizeof (*node->nics))) ||
                          !(b->nic_obj = calloc (npci + nosdev, sizeof (hwloc_obj_t)))))
        return -1;

    while ((o = hwloc_get_next_pcidev (topo, o))) {
        if (is_nvswitch (o))
            node->nvswitches++;
        if (pci_has_osdev (o, is_gpu_osdev)) {
            b->gpu_pci[node->ngpus] = o;
            if (build_gpu (b, o, &node->gpus[node->ngpus++]) < 0)
                return -1;
        }
        if (pci_has_osdev (o, is_net_osdev)) {
            b->nic_obj[node->nnics] = o;
            if (build_nic (b, o, &node->nics[node->nnics++]) < 0)
                return -1;
        }
    }
    while ((o = hwloc_get_next_osdev (topo, o))) {
        if (!is_net_osdev (o) || !o->name || (o->parent && o->parent->type == HWLOC_OBJ_PCI_DEVICE))
            continue;
        b->nic_obj[node->nnics] = o;
        if (build_nic (b, o, &node->nics[node->nnics++]) < 0)
            return -1;
    }
    return nearest_nics (b);
}

/* GPU index of a distances object (a GPU's PCI device or one of its OS
 * devices), -1 when it is something else. */
static int gpu_index_of (struct builder *b, hwloc_obj_t o)
{
    if (o && o->type == HWLOC_OBJ_OS_DEVICE)
        o = o->parent;
    for (unsigned i = 0; o && i < b->node->ngpus; i++)
        if (b->gpu_pci[i] == o)
            return (int)i;
    return -1;
}

/* A GPU's bandwidth to NVSwitches is the sum of its row towards them: on
 * NVSwitch boards hwloc lists GPU-to-switch links and GPU-to-GPU entries are
 * all 0. */
static void add_nvswitch_bandwidth (struct builder *b, struct hwloc_distances_s *d, const int *map)
{
    for (unsigned i = 0; i < d->nbobjs; i++)
        for (unsigned j = 0; j < d->nbobjs; j++)
            if (map[i] >= 0 && is_nvswitch (d->objs[j])) {
                b->node->gpus[map[i]].nvswitch_bandwidth += d->values[i * d->nbobjs + j];
                b->nvswitch_links_known = true;
            }
}

/* Keep the GPU-to-GPU part of one hwloc distances matrix, when it has at
 * least one link between two different GPUs. */
static int add_gpu_matrix (struct builder *b, struct hwloc_distances_s *d, const char *name)
{
    struct topo_node *node = b->node;
    unsigned ng = node->ngpus;
    bool useful = false;
    int *map;
    struct topo_gpu_links *l;

    if (!(map = calloc (d->nbobjs, sizeof (int))))
        return -1;
    for (unsigned k = 0; k < d->nbobjs; k++)
        map[k] = gpu_index_of (b, d->objs[k]);
    if (strcmp (name, "NVLinkBandwidth") == 0)
        add_nvswitch_bandwidth (b, d, map);
    for (unsigned i = 0; i < d->nbobjs; i++)
        for (unsigned j = 0; j < d->nbobjs; j++)
            if (map[i] >= 0 && map[j] >= 0 && map[i] != map[j] && d->values[i * d->nbobjs + j])
                useful = true;
    if (!useful || node->ngpu_links >= TOPO_MAX_LINKS) {
        free (map);
        return 0;
    }
    l = &node->gpu_links[node->ngpu_links];
    if (!(l->values = calloc ((size_t)ng * ng, sizeof (uint64_t))) || !(l->name = strdup (name))) {
        free (l->values);
        l->values = NULL;
        free (map);
        return -1;
    }
    node->ngpu_links++;
    for (unsigned i = 0; i < d->nbobjs; i++)
        for (unsigned j = 0; j < d->nbobjs; j++)
            if (map[i] >= 0 && map[j] >= 0)
                l->values[map[i] * ng + map[j]] = d->values[i * d->nbobjs + j];
    free (map);
    return 0;
}

/* All GPUs NVSwitch-connected: measured from NVLink bandwidth to switches
 * when hwloc has it, else assumed when NVSwitches are present and every
 * GPU is NVIDIA's. */
static void nvswitch_connected (struct builder *b)
{
    struct topo_node *node = b->node;

    if (node->nvswitches == 0 || node->ngpus == 0)
        return;
    node->gpus_nvswitch_connected = true;
    for (unsigned i = 0; i < node->ngpus; i++)
        if (b->nvswitch_links_known ? node->gpus[i].nvswitch_bandwidth == 0
                                    : node->gpus[i].pci_vendor_id != 0x10de)
            node->gpus_nvswitch_connected = false;
}

static int build_links (struct builder *b)
{
    unsigned nr = 0;
    struct hwloc_distances_s **d;
    int rc = 0;

    if (b->node->ngpus < 2 || hwloc_distances_get (b->topo, &nr, NULL, 0, 0) < 0 || nr == 0)
        return 0;
    if (!(d = calloc (nr, sizeof (*d))))
        return -1;
    if (hwloc_distances_get (b->topo, &nr, d, 0, 0) < 0) {
        free (d);
        return 0;
    }
    if (!(b->node->gpu_links = calloc (TOPO_MAX_LINKS, sizeof (struct topo_gpu_links))))
        rc = -1;
    for (unsigned i = 0; i < nr; i++) {
        const char *name = hwloc_distances_get_name (b->topo, d[i]);
        if (rc == 0 && name && add_gpu_matrix (b, d[i], name) < 0)
            rc = -1;
        hwloc_distances_release (b->topo, d[i]);
    }
    free (d);
    return rc;
}

/* --- loading ------------------------------------------------------------- */

struct topo_node *topo_node_build (hwloc_topology_t topo, const char *hostname)
{
    struct builder b = {.topo = topo};
    int rc;

    if (!(b.node = calloc (1, sizeof (*b.node))) || !(b.node->hostname = strdup (hostname)))
        goto nomem;
    rc = build_cpu (&b);
    if (rc == 0)
        rc = build_io (&b);
    if (rc == 0)
        rc = build_links (&b);
    if (rc == 0)
        nvswitch_connected (&b);
    free (b.gpu_pci);
    free (b.nic_obj);
    if (rc < 0)
        goto nomem;
    return b.node;
nomem:
    topo_node_destroy (b.node);
    errno = ENOMEM;
    return NULL;
}
