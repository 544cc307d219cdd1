/* node.h - huddle's model of one node: packages, NUMA, L3, cores, PUs, GPUs, NICs
 *
 * The model is built once from hwloc (the live machine, an hwloc XML export or
 * an hwloc synthetic description) and then stands alone: the hwloc topology is
 * destroyed before the load function returns, so a node costs a few kilobytes
 * and can be kept for every node of a cluster by the controller.
 *
 * Why a plain data struct and not an opaque type: the scheduler core and the
 * placement code walk these arrays in tight loops for thousands of nodes, the
 * model is immutable once built, and it is the same thing the agent sends in
 * its registration (topo_node_to_json).  Accessor functions would add code
 * without protecting any invariant that the load and from_json functions do
 * not already establish.  Treat a loaded node as read-only.
 *
 * Conventions
 *  - Every object's *logical index* is its position in its array (the same
 *    number hwloc shows as L#).  OS indexes (hwloc's P#) are stored as fields;
 *    -1 means unknown.  PU OS indexes are what cpusets and taskset use.
 *  - Cross references ("which package", "which core") are array indexes into
 *    the same node, -1 meaning "none" (e.g. a NUMA node above the packages, a
 *    machine without L3, a PU not under any Core object).
 *  - Index lists (struct topo_ids) are sorted ascending, without duplicates.
 *
 * Choices worth knowing
 *  - A GPU is a PCI device with at least one OS device that is a GPU or
 *    co-processor, or has a Backend info CUDA/NVML/RSMI/OpenCL/LevelZero, or
 *    is named cuda* / nvml* / rsmi* / opencl* / ze*.  The OS-device type is
 *    not trusted alone because XML written by newer hwloc (e.g. the DGX-2
 *    export, osdev_type="12") carries types hwloc 2.9 does not know.  A PCI
 *    display or 3D controller without any such OS device is NOT a GPU: no
 *    driver saw it, so nothing could be scheduled on it.
 *  - A NIC is a PCI device with at least one Network or OpenFabrics OS device
 *    (all of its OS device names are kept: "eth2 ib0 mlx4_0").  A network OS
 *    device that has no PCI parent (virtio without PCI, s390, ...) becomes a
 *    NIC of its own with an empty bus id; purely virtual interfaces (lo,
 *    bridges, veth) are never reported by hwloc and so never appear.
 *  - NIC kind: InfiniBand when the PCI class says so (0x0207, 0x0c06) or a
 *    network OS device is named ib*; else OpenFabrics when it has an
 *    OpenFabrics OS device (AWS EFA "efa_0", RoCE); else Ethernet.
 *  - Nearest NICs of a GPU: the NICs whose lowest common hwloc ancestor with
 *    the GPU is deepest (same PCI switch beats same host bridge beats same
 *    NUMA node / package beats machine); ties are all kept.
 *  - GPU link matrices are hwloc distances (e.g. "NVLinkBandwidth") restricted
 *    to GPU-to-GPU entries; entries to CPUs (POWER NVLink) are dropped.
 *    A matrix whose GPU-to-GPU part is all 0 is not kept: on NVSwitch boards
 *    (DGX-2) hwloc lists only GPU-to-switch links; their sum per GPU is kept
 *    as topo_gpu.nvswitch_bandwidth instead.
 *  - gpus_nvswitch_connected: with NVSwitch PCI devices present, true when
 *    every GPU has NVLink bandwidth to a switch; when hwloc has no such
 *    matrix it is a heuristic: every GPU is an NVIDIA one (DGX/HGX boards).
 *  - hostname: the live machine's name; for XML the HostName info when the
 *    export has one, else the file's base name without ".xml"; "synthetic"
 *    for synthetic descriptions.
 *
 * Errors: the load functions and topo_node_from_json return NULL, set errno
 * and, when err is not NULL, fill it with one sentence that names the input
 * ("/x/y.xml: not an hwloc XML topology").  Nothing is printed.
 */
#ifndef HUDDLE_TOPOLOGY_NODE_H
#define HUDDLE_TOPOLOGY_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/herror.h"

/* "dddd:bb:dd.f" plus room for the 8-digit domains newer hwloc may print. */
#define TOPO_BUSID_MAX 24

/* Upper bounds enforced by topo_node_from_json (a registration arrives over
 * the network and must not make the controller allocate without limit). */
#define TOPO_MAX_PUS      65536
#define TOPO_MAX_CORES    65536
#define TOPO_MAX_L3       16384
#define TOPO_MAX_PACKAGES 1024
#define TOPO_MAX_NUMA     1024
#define TOPO_MAX_GPUS     256
#define TOPO_MAX_NICS     256
#define TOPO_MAX_NAMES    16  /* OS names of one NIC */
#define TOPO_MAX_LINKS    8   /* GPU link matrices */
#define TOPO_MAX_STRING   256 /* any one string field */

/* A sorted list of array indexes (cores, NUMA nodes, NICs). */
struct topo_ids {
    unsigned *ids;
    unsigned count;
};

struct topo_package {
    int os_index;
    char *cpu_model; /* hwloc CPUModel info, NULL when absent */
};

struct topo_numa {
    int os_index;
    uint64_t local_memory; /* bytes */
    int package;           /* -1 when the NUMA node is not inside one package */
};

struct topo_l3 {
    uint64_t size; /* bytes */
    int package;   /* -1 when not inside one package */
};

struct topo_core {
    int os_index;
    int package, numa, l3; /* -1 when none */
    /* The core's PUs are pus[pu_first .. pu_first + pu_count - 1]: hwloc
     * numbers PUs depth-first, so one core's PUs are always consecutive. */
    unsigned pu_first, pu_count;
};

struct topo_pu {
    int os_index;
    int core; /* -1 when the PU has no Core object above it */
};

struct topo_gpu {
    char busid[TOPO_BUSID_MAX]; /* "0000:34:00.0" */
    unsigned pci_vendor_id, pci_device_id;
    char *vendor; /* GPUVendor info, else PCIVendor, else "0x10de"; never NULL */
    char *model;  /* GPUModel info, else PCIDevice, else "0x1db8"; never NULL */
    /* OS device names per backend ("cuda0", "nvml0", ...), NULL when absent. */
    char *cuda, *nvml, *rsmi, *opencl, *levelzero;
    struct topo_ids numa;      /* NUMA nodes the GPU is local to */
    struct topo_ids cores;     /* cores in the GPU's locality cpuset */
    struct topo_ids near_nics; /* nearest NICs, empty when the node has none */
    int near_level;            /* enum topo_near of near_nics */
    /* Sum of the GPU's NVLink bandwidth to NVSwitches (hwloc
     * "NVLinkBandwidth", MB/s); 0 when unknown or not NVSwitch-connected. */
    uint64_t nvswitch_bandwidth;
};

enum topo_near {
    TOPO_NEAR_MACHINE = 0,
    TOPO_NEAR_PACKAGE = 1,
    TOPO_NEAR_NUMA = 2,
    TOPO_NEAR_HOSTBRIDGE = 3,
    TOPO_NEAR_PCISWITCH = 4,
};

enum topo_nic_kind {
    TOPO_NIC_ETHERNET = 0,
    TOPO_NIC_INFINIBAND = 1,
    TOPO_NIC_OPENFABRICS = 2,
};

struct topo_nic {
    int kind;                   /* enum topo_nic_kind */
    char busid[TOPO_BUSID_MAX]; /* "" when the device has no PCI parent */
    char *vendor, *model;       /* PCIVendor / PCIDevice infos, NULL when absent */
    char **names;               /* OS device names, e.g. "eth2" "ib0" "mlx4_0" */
    unsigned nnames;
    struct topo_ids numa, cores; /* locality, as for GPUs */
};

/* One hwloc distances matrix between GPUs: values[i * ngpus + j] is from GPU
 * i to GPU j in the unit of the hwloc matrix (NVLinkBandwidth: MB/s); 0 means
 * no link. */
struct topo_gpu_links {
    char *name;
    uint64_t *values; /* ngpus * ngpus */
};

struct topo_node {
    char *hostname;
    struct topo_package *packages;
    unsigned npackages;
    struct topo_numa *numas;
    unsigned nnumas;
    struct topo_l3 *l3s;
    unsigned nl3s;
    struct topo_core *cores;
    unsigned ncores;
    struct topo_pu *pus;
    unsigned npus;
    struct topo_gpu *gpus; /* in PCI (hwloc) order */
    unsigned ngpus;
    struct topo_nic *nics; /* in PCI (hwloc) order, then devices without PCI */
    unsigned nnics;
    struct topo_gpu_links *gpu_links;
    unsigned ngpu_links;
    unsigned nvswitches; /* PCI devices with hwloc subtype "NVSwitch" */
    bool gpus_nvswitch_connected;
};

/* Load the machine this process runs on. */
struct topo_node *topo_node_load_live (struct herror *err);

/* Load an hwloc XML export (v1 or v2).  The file is checked before hwloc
 * sees it so that a missing, unreadable, non-XML or truncated file gets a
 * precise message. */
struct topo_node *topo_node_load_xml (const char *path, struct herror *err);

/* Load an hwloc synthetic description, e.g. "pack:2 numa:2 core:8 pu:1". */
struct topo_node *topo_node_load_synthetic (const char *description, struct herror *err);

/* Free a node and everything it points to.  Accepts NULL, keeps errno. */
void topo_node_destroy (struct topo_node *node);

/* The model as compact JSON (short keys, index lists as "0-3,8" strings).
 * Returns a new reference the caller must json_decref, or NULL with errno
 * set (ENOMEM). */
json_t *topo_node_to_json (const struct topo_node *node);

/* Rebuild a node from topo_node_to_json output.  The input is untrusted:
 * every field is type- and range-checked, array sizes are bounded by the
 * TOPO_MAX_* limits, and cross references must point inside the node.  On
 * failure returns NULL, errno EINVAL (also when memory ran out: the message
 * then says so) and a message naming the
 * field ("core[3][2]: NUMA index 9 out of range").  The caller keeps o. */
struct topo_node *topo_node_from_json (const json_t *o, struct herror *err);

/* One line without newline, e.g.
 *   "2 packages, 4 NUMA, 48 cores, 96 PUs, 8 GPUs, 4 NICs"
 * Returns what snprintf returns. */
int topo_node_summary (const struct topo_node *node, char *buf, size_t len);

/* Words for enums ("Ethernet", "same PCI switch"); never NULL. */
const char *topo_nic_kind_name (int kind);
const char *topo_near_name (int level);

/* The GPUs' NVLink/NVSwitch islands: ISLAND[i] (ngpus entries, filled by
 * the caller's array) is the island of GPU i, numbered 0.. in order of each
 * island's first GPU.  GPUs joined (directly or through others) by a
 * nonzero entry of any GPU link matrix share an island; NVSwitch boards are
 * one island; a node without any link matrix is one island too (nothing
 * says some GPUs are closer).  Returns the number of islands (0 without
 * GPUs), or -1 with errno ENOMEM. */
int topo_node_gpu_islands (const struct topo_node *node, int *island);

/* Total local memory of all NUMA nodes in bytes. */
uint64_t topo_node_memory (const struct topo_node *node);

#endif
