/* Unit tests for topology/node: the node model placement relies on.
 *
 * Counts are checked against hwloc itself (queried directly here, with the
 * GPU/NIC rules of node.h re-implemented independently), for the shared real
 * machines in SHARED_DIR/topologies (skipped when absent) and for our own
 * fixtures in FIXTURE_DIR/topology.
 *
 * Size of the compact JSON (topo_node_to_json, json_dumps JSON_COMPACT) of
 * the DGX-2 export: 3326 bytes (16 GPUs, 12 NVSwitches, 4 cores); checked
 * below to stay under 4 KiB.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <hwloc.h>
#include <jansson.h>

#include "topology/node.h"

#define TOPO_DIR   SHARED_DIR "/topologies"
#define OWN_DIR    FIXTURE_DIR "/topology"
#define OWN_XML    OWN_DIR "/two-socket-gpu.xml"
#define DGX2_XML   TOPO_DIR "/nvidia-dgx2.xml"
#define POWER8_XML TOPO_DIR "/power8gpudistances.xml"

static const char *shared_xmls[] = {
    TOPO_DIR "/16amd64-4distances.xml",
    TOPO_DIR "/24em64t-2n6c2t-pci.xml",
    DGX2_XML,
    POWER8_XML,
};

static void skip_without_shared (void)
{
    struct stat st;
    if (stat (TOPO_DIR, &st) < 0) {
        print_message ("%s missing: skipping shared topologies\n", TOPO_DIR);
        skip();
    }
}

static struct topo_node *load_xml (const char *path)
{
    struct herror err = {{0}};
    struct topo_node *node = topo_node_load_xml (path, &err);
    if (!node)
        fail_msg ("%s: %s", path, err.text);
    return node;
}

/* --- hwloc's own answers ----------------------------------------------- */

struct hwloc_counts {
    int packages, numas, cores, pus, gpus, nics;
};

static int is_gpu_osdev (hwloc_obj_t o)
{
    static const char *backends[] = {"CUDA", "NVML", "RSMI", "OpenCL", "LevelZero"};
    static const char *prefixes[] = {"cuda", "nvml", "rsmi", "opencl", "ze"};
    const char *be = hwloc_obj_get_info_by_name (o, "Backend");

    if (o->attr->osdev.type == HWLOC_OBJ_OSDEV_GPU || o->attr->osdev.type == HWLOC_OBJ_OSDEV_COPROC)
        return 1;
    for (int i = 0; i < 5; i++)
        if ((be && !strcmp (be, backends[i])) ||
            (o->name && !strncmp (o->name, prefixes[i], strlen (prefixes[i]))))
            return 1;
    return 0;
}

static int is_net_osdev (hwloc_obj_t o)
{
    return o->attr->osdev.type == HWLOC_OBJ_OSDEV_NETWORK ||
           o->attr->osdev.type == HWLOC_OBJ_OSDEV_OPENFABRICS;
}

/* How many distinct parents the matching OS devices have; OS devices
 * without a PCI parent count one each. */
static int count_devices (hwloc_topology_t topo, int (*match) (hwloc_obj_t))
{
    hwloc_obj_t seen[1024];
    int n = 0, count = 0;
    hwloc_obj_t o = NULL;

    while ((o = hwloc_get_next_osdev (topo, o))) {
        int dup = 0;
        if (!match (o))
            continue;
        if (!o->parent || o->parent->type != HWLOC_OBJ_PCI_DEVICE) {
            count++;
            continue;
        }
        for (int i = 0; i < n; i++)
            dup |= seen[i] == o->parent;
        if (!dup && n < 1024) {
            seen[n++] = o->parent;
            count++;
        }
    }
    return count;
}

static hwloc_topology_t hwloc_load (const char *path)
{
    hwloc_topology_t topo;
    assert_int_equal (hwloc_topology_init (&topo), 0);
    hwloc_topology_set_io_types_filter (topo, HWLOC_TYPE_FILTER_KEEP_ALL);
    assert_int_equal (hwloc_topology_set_xml (topo, path), 0);
    assert_int_equal (hwloc_topology_load (topo), 0);
    return topo;
}

static struct hwloc_counts hwloc_count (const char *path)
{
    hwloc_topology_t topo = hwloc_load (path);
    struct hwloc_counts c = {
        .packages = hwloc_get_nbobjs_by_type (topo, HWLOC_OBJ_PACKAGE),
        .numas = hwloc_get_nbobjs_by_type (topo, HWLOC_OBJ_NUMANODE),
        .cores = hwloc_get_nbobjs_by_type (topo, HWLOC_OBJ_CORE),
        .pus = hwloc_get_nbobjs_by_type (topo, HWLOC_OBJ_PU),
        .gpus = count_devices (topo, is_gpu_osdev),
        .nics = count_devices (topo, is_net_osdev),
    };
    hwloc_topology_destroy (topo);
    return c;
}

static void check_counts (const char *path)
{
    struct hwloc_counts want = hwloc_count (path);
    struct topo_node *node = load_xml (path);

    print_message ("%s: %d packages %d NUMA %d cores %d PUs %d GPUs %d NICs\n", path, want.packages,
                   want.numas, want.cores, want.pus, want.gpus, want.nics);
    assert_int_equal (node->npackages, want.packages);
    assert_int_equal (node->nnumas, want.numas);
    assert_int_equal (node->ncores, want.cores);
    assert_int_equal (node->npus, want.pus);
    assert_int_equal (node->ngpus, want.gpus);
    assert_int_equal (node->nnics, want.nics);
    /* Every PU of every core points back at it. */
    for (unsigned i = 0; i < node->ncores; i++)
        for (unsigned p = 0; p < node->cores[i].pu_count; p++)
            assert_int_equal (node->pus[node->cores[i].pu_first + p].core, i);
    topo_node_destroy (node);
}

static void counts_match_hwloc_shared (void **state)
{
    skip_without_shared();
    for (size_t i = 0; i < sizeof (shared_xmls) / sizeof (shared_xmls[0]); i++)
        check_counts (shared_xmls[i]);
}

static void counts_match_hwloc_fixture (void **state)
{
    struct hwloc_counts want = hwloc_count (OWN_XML);
    /* The rules themselves, on the fixture built to exercise them: a 3D
     * controller without OS device is no GPU; ens9 has no PCI parent. */
    assert_int_equal (want.gpus, 2);
    assert_int_equal (want.nics, 4);
    check_counts (OWN_XML);
}

/* --- the shared machines ------------------------------------------------ */

static int gpu_by_name (const struct topo_node *node, const char *name)
{
    for (unsigned i = 0; i < node->ngpus; i++) {
        const struct topo_gpu *g = &node->gpus[i];
        const char *names[] = {g->cuda, g->nvml, g->rsmi, g->opencl, g->levelzero};
        for (int k = 0; k < 5; k++)
            if (names[k] && !strcmp (names[k], name))
                return (int)i;
    }
    fail_msg ("no GPU %s", name);
    return -1;
}

static void assert_gpu_numa (const struct topo_node *node, const char *name, unsigned numa)
{
    const struct topo_gpu *g = &node->gpus[gpu_by_name (node, name)];
    assert_int_equal (g->numa.count, 1);
    assert_int_equal (g->numa.ids[0], numa);
    /* Its nearest cores are exactly that NUMA node's cores. */
    for (unsigned i = 0; i < g->cores.count; i++)
        assert_int_equal (node->cores[g->cores.ids[i]].numa, numa);
    assert_true (g->cores.count > 0);
}

static void dgx2_gpus (void **state)
{
    skip_without_shared();
    hwloc_topology_t topo = hwloc_load (DGX2_XML);
    struct topo_node *node = load_xml (DGX2_XML);

    assert_int_equal (node->ngpus, 16);
    /* In the XML, nvml0-7 sit under Package 0 and nvml8-15 under Package 1;
     * ask hwloc for each OS device's package and compare. */
    for (hwloc_obj_t o = NULL; (o = hwloc_get_next_osdev (topo, o));) {
        hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type (topo, HWLOC_OBJ_PACKAGE, o);
        unsigned n = (unsigned)atoi (o->name + 4);
        assert_non_null (pkg);
        assert_int_equal (pkg->logical_index, n < 8 ? 0 : 1);
        assert_gpu_numa (node, o->name, pkg->logical_index);
    }
    assert_string_equal (node->gpus[0].model, "Tesla V100-SXM3-32GB-H");
    assert_string_equal (node->gpus[0].vendor, "NVIDIA Corporation");
    assert_string_equal (node->gpus[0].busid, "0000:34:00.0");
    assert_null (node->gpus[0].cuda);
    assert_int_equal (node->nvswitches, 12);
    assert_true (node->gpus_nvswitch_connected);
    assert_int_equal (node->gpus[5].nvswitch_bandwidth, 6 * 25000);
    /* GPU-to-GPU NVLink entries are all 0 on DGX-2: no matrix kept. */
    assert_int_equal (node->ngpu_links, 0);
    assert_int_equal (node->nnics, 0);
    assert_string_equal (node->hostname, "nvidia-dgx2");
    hwloc_topology_destroy (topo);
    topo_node_destroy (node);
}

static void power8_gpus_and_nvlink (void **state)
{
    skip_without_shared();
    struct topo_node *node = load_xml (POWER8_XML);
    const struct topo_gpu_links *l;

    assert_int_equal (node->ngpus, 4);
    assert_gpu_numa (node, "cuda0", 0);
    assert_gpu_numa (node, "cuda1", 0);
    assert_gpu_numa (node, "cuda2", 1);
    assert_gpu_numa (node, "cuda3", 1);
    assert_int_equal (gpu_by_name (node, "cuda2"), gpu_by_name (node, "nvml2"));
    assert_string_equal (node->gpus[2].opencl, "opencl0d2");
    assert_string_equal (node->gpus[1].busid, "0003:01:00.0");
    /* Sparse PU OS indexes survive. */
    assert_int_equal (node->pus[8].os_index, 80);
    assert_int_equal (node->pus[15].os_index, 105);
    /* NVLinkBandwidth: GPU pairs 0-1 and 2-3 linked at 40 GB/s, nothing
     * across the pairs. */
    assert_int_equal (node->ngpu_links, 1);
    l = &node->gpu_links[0];
    assert_string_equal (l->name, "NVLinkBandwidth");
    assert_int_equal (l->values[0 * 4 + 1], 40000);
    assert_int_equal (l->values[1 * 4 + 0], 40000);
    assert_int_equal (l->values[2 * 4 + 3], 40000);
    assert_int_equal (l->values[0 * 4 + 2], 0);
    assert_int_equal (l->values[1 * 4 + 3], 0);
    assert_string_equal (node->hostname, "drac-12.grenoble.grid5000.fr");
    topo_node_destroy (node);
}

static void em64t_nics_and_driverless_3d (void **state)
{
    skip_without_shared();
    struct topo_node *node = load_xml (TOPO_DIR "/24em64t-2n6c2t-pci.xml");

    /* PCI 06:00.0 is a 3D controller with no OS device: not a GPU. */
    assert_int_equal (node->ngpus, 0);
    assert_int_equal (node->nnics, 3);
    assert_int_equal (node->nics[0].kind, TOPO_NIC_ETHERNET);
    assert_string_equal (node->nics[2].busid, "0000:05:00.0");
    assert_int_equal (node->nics[2].kind, TOPO_NIC_INFINIBAND);
    assert_int_equal (node->nics[2].nnames, 3);
    assert_string_equal (node->nics[2].names[2], "mlx4_0");
    assert_int_equal (node->nics[2].numa.count, 1);
    assert_int_equal (node->nics[2].numa.ids[0], 0);
    assert_string_equal (node->hostname, "mirage004");
    assert_int_equal (node->cores[6].numa, 1);
    assert_int_equal (node->cores[6].l3, 1);
    topo_node_destroy (node);
}

static void amd64_groups_without_l3 (void **state)
{
    skip_without_shared();
    struct topo_node *node = load_xml (TOPO_DIR "/16amd64-4distances.xml");

    assert_int_equal (node->nl3s, 0);
    for (unsigned i = 0; i < node->ncores; i++) {
        assert_int_equal (node->cores[i].l3, -1);
        assert_int_equal (node->cores[i].package, (int)i / 2);
        assert_int_equal (node->numas[node->cores[i].numa].package, (int)i / 2);
    }
    /* NUMA OS indexes are not in logical order on this machine. */
    assert_int_equal (node->numas[0].os_index, 1);
    assert_int_equal (node->numas[1].os_index, 0);
    topo_node_destroy (node);
}

/* --- our fixture --------------------------------------------------------- */

static void fixture_gpus_nics_nearest (void **state)
{
    struct topo_node *node = load_xml (OWN_XML);
    char line[160];

    assert_string_equal (node->hostname, "gpunode01");
    assert_int_equal (node->ngpus, 2);
    assert_string_equal (node->gpus[0].cuda, "cuda0");
    assert_string_equal (node->gpus[0].nvml, "nvml0");
    assert_string_equal (node->gpus[0].model, "NVIDIA A100-SXM4-40GB");
    assert_int_equal (node->gpus[0].pci_vendor_id, 0x10de);
    assert_gpu_numa (node, "cuda0", 0);
    assert_gpu_numa (node, "cuda1", 1);
    assert_int_equal (node->gpus[1].cores.count, 4);
    assert_int_equal (node->gpus[1].cores.ids[0], 4);

    assert_int_equal (node->nnics, 4);
    assert_string_equal (node->nics[0].names[1], "mlx5_0");
    assert_int_equal (node->nics[0].kind, TOPO_NIC_INFINIBAND);
    assert_string_equal (node->nics[1].names[0], "eth0");
    assert_int_equal (node->nics[1].kind, TOPO_NIC_ETHERNET);
    assert_string_equal (node->nics[2].names[0], "efa_0");
    assert_int_equal (node->nics[2].kind, TOPO_NIC_OPENFABRICS);
    assert_string_equal (node->nics[3].names[0], "ens9");
    assert_string_equal (node->nics[3].busid, "");
    assert_int_equal (node->nics[3].numa.count, 2);

    /* Same PCI switch beats same host bridge (eth0) and machine (ens9). */
    assert_int_equal (node->gpus[0].near_nics.count, 1);
    assert_int_equal (node->gpus[0].near_nics.ids[0], 0);
    assert_int_equal (node->gpus[0].near_level, TOPO_NEAR_PCISWITCH);
    assert_int_equal (node->gpus[1].near_nics.count, 1);
    assert_int_equal (node->gpus[1].near_nics.ids[0], 2);

    assert_int_equal (node->ngpu_links, 1);
    assert_int_equal (node->gpu_links[0].values[1], 300000);
    assert_false (node->gpus_nvswitch_connected);

    topo_node_summary (node, line, sizeof (line));
    assert_string_equal (line, "2 packages, 2 NUMA, 8 cores, 16 PUs, 2 GPUs, 4 NICs");
    topo_node_destroy (node);
}

/* --- synthetic ----------------------------------------------------------- */

static void synthetic_good (void **state)
{
    struct herror err = {{0}};
    struct topo_node *node = topo_node_load_synthetic ("pack:2 numa:2 core:8 pu:1", &err);
    char buf[256];
    FILE *f;

    assert_non_null (node);
    assert_int_equal (node->npackages, 2);
    assert_int_equal (node->nnumas, 4);
    assert_int_equal (node->ncores, 32);
    assert_int_equal (node->npus, 32);
    assert_int_equal (node->cores[9].numa, 1);
    assert_int_equal (node->numas[3].package, 1);
    assert_string_equal (node->hostname, "synthetic");
    topo_node_destroy (node);

    assert_non_null (f = fopen (OWN_DIR "/two-socket.synthetic", "r"));
    assert_non_null (fgets (buf, sizeof (buf), f));
    fclose (f);
    buf[strcspn (buf, "\n")] = '\0';
    assert_non_null (node = topo_node_load_synthetic (buf, &err));
    assert_int_equal (node->npackages, 2);
    assert_int_equal (node->ncores, 48);
    assert_int_equal (node->npus, 96);
    assert_int_equal (node->nl3s, 4);
    assert_int_equal (node->cores[13].l3, 1);
    assert_int_equal (node->cores[13].pu_count, 2);
    topo_node_destroy (node);
}

static void synthetic_malformed (void **state)
{
    const char *bad[] = {"pack:2 core:x", "", "hello world", "pack:2 core:2 pu:", "pack:0 pu:2"};
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        struct herror err = {{0}};
        char want[64];
        errno = 0;
        assert_null (topo_node_load_synthetic (bad[i], &err));
        assert_int_equal (errno, EINVAL);
        snprintf (want, sizeof (want), "synthetic \"%s\"", bad[i]);
        assert_non_null (strstr (err.text, want));
        assert_null (strchr (err.text, '\n'));
    }
}

/* --- bad XML ------------------------------------------------------------- */

static void xml_bad_inputs (void **state)
{
    static const struct {
        const char *path, *reason;
    } bad[] = {
        {OWN_DIR "/does-not-exist.xml", "No such file"},
        {OWN_DIR "/not-xml.xml", "not an hwloc XML topology"},
        {OWN_DIR "/truncated.xml", "truncated"},
        {OWN_DIR, "is a directory"},
        {OWN_DIR "/two-socket.synthetic", "not an hwloc XML topology"},
    };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        struct herror err = {{0}};
        errno = 0;
        assert_null (topo_node_load_xml (bad[i].path, &err));
        assert_int_not_equal (errno, 0);
        assert_memory_equal (err.text, bad[i].path, strlen (bad[i].path));
        if (!strstr (err.text, bad[i].reason))
            fail_msg ("%s: got \"%s\"", bad[i].path, err.text);
    }
}

static void destroy_null_keeps_errno (void **state)
{
    errno = ENOENT;
    topo_node_destroy (NULL);
    assert_int_equal (errno, ENOENT);
}

/* --- JSON ---------------------------------------------------------------- */

static char *dump (const struct topo_node *node)
{
    json_t *o = topo_node_to_json (node);
    char *s;
    assert_non_null (o);
    s = json_dumps (o, JSON_COMPACT);
    json_decref (o);
    assert_non_null (s);
    return s;
}

static void check_round_trip (struct topo_node *node, const char *what)
{
    struct herror err = {{0}};
    char *first = dump (node), *second;
    json_error_t jerr;
    json_t *back = json_loads (first, 0, &jerr);
    struct topo_node *copy;

    assert_non_null (back);
    copy = topo_node_from_json (back, &err);
    if (!copy)
        fail_msg ("%s: from_json: %s", what, err.text);
    json_decref (back);
    second = dump (copy);
    assert_string_equal (first, second);
    print_message ("%s: %zu bytes of JSON\n", what, strlen (first));
    if (strstr (what, "dgx2"))
        assert_true (strlen (first) < 4096);
    free (first);
    free (second);
    topo_node_destroy (copy);
    topo_node_destroy (node);
}

static void json_round_trip_fixtures (void **state)
{
    struct herror err = {{0}};
    check_round_trip (load_xml (OWN_XML), OWN_XML);
    check_round_trip (topo_node_load_synthetic ("pack:2 numa:2 core:8 pu:2", &err), "synthetic");
    check_round_trip (topo_node_load_synthetic ("numa:2 pu:4", &err), "synthetic without cores");
    check_round_trip (topo_node_load_live (&err), "live");
}

static void json_round_trip_shared (void **state)
{
    skip_without_shared();
    for (size_t i = 0; i < sizeof (shared_xmls) / sizeof (shared_xmls[0]); i++)
        check_round_trip (load_xml (shared_xmls[i]), shared_xmls[i]);
}

/* Load the fixture's JSON, let edit() damage it, expect a failure whose
 * message contains want. */
static void expect_bad (void (*edit) (json_t *), const char *want)
{
    struct topo_node *node = load_xml (OWN_XML);
    json_t *o = topo_node_to_json (node);
    struct herror err = {{0}};

    topo_node_destroy (node);
    edit (o);
    errno = 0;
    assert_null (topo_node_from_json (o, &err));
    assert_int_equal (errno, EINVAL);
    if (!strstr (err.text, want))
        fail_msg ("expected \"%s\" in \"%s\"", want, err.text);
    json_decref (o);
}

static void drop_host (json_t *o)
{
    json_object_del (o, "host");
}
static void numa_mem_string (json_t *o)
{
    json_object_set_new (json_array_get (json_object_get (o, "numa"), 1), "mem", json_string ("x"));
}
static void huge_pu_array (json_t *o)
{
    json_t *a = json_array();
    for (int i = 0; i <= TOPO_MAX_PUS; i++)
        json_array_append_new (a, json_integer (i));
    json_object_set_new (o, "pu", a);
}
static void core_numa_out_of_range (json_t *o)
{
    json_array_set_new (json_array_get (json_object_get (o, "core"), 3), 2, json_integer (9));
}
static void core_pus_overlap (json_t *o)
{
    json_array_set_new (json_array_get (json_object_get (o, "core"), 1), 4, json_integer (0));
}
static void gpu_cores_garbage (json_t *o)
{
    json_object_set_new (json_array_get (json_object_get (o, "gpu"), 0), "cores",
                         json_string ("0-4000000000"));
}
static void gpu_nics_descending (json_t *o)
{
    json_object_set_new (json_array_get (json_object_get (o, "gpu"), 0), "nics",
                         json_string ("2,1"));
}
static void nic_names_not_strings (json_t *o)
{
    json_object_set_new (json_array_get (json_object_get (o, "nic"), 0), "names",
                         json_pack ("[i]", 7));
}
static void links_wrong_size (json_t *o)
{
    json_object_set_new (json_array_get (json_object_get (o, "links"), 0), "v",
                         json_pack ("[i]", 1));
}
static void wrong_version (json_t *o)
{
    json_object_set_new (o, "v", json_integer (99));
}
static void long_busid (json_t *o)
{
    json_object_set_new (json_array_get (json_object_get (o, "gpu"), 1), "bus",
                         json_string ("0000:81:00.0000000000000000000000"));
}
static void pkg_not_object (json_t *o)
{
    json_array_set_new (json_object_get (o, "pkg"), 0, json_true());
}

static void from_json_rejects_bad_input (void **state)
{
    struct herror err = {{0}};
    json_t *arr = json_array();

    assert_null (topo_node_from_json (arr, &err));
    assert_non_null (strstr (err.text, "expected a JSON object"));
    assert_null (topo_node_from_json (NULL, &err));
    json_decref (arr);

    expect_bad (drop_host, "node.host: missing");
    expect_bad (numa_mem_string, "numa[1].mem: expected an integer");
    expect_bad (huge_pu_array, "pu: 65537 entries, more than the limit");
    expect_bad (core_numa_out_of_range, "core[3][2]: 9 out of range");
    expect_bad (core_pus_overlap, "core[1]: PU 0 already belongs to core 0");
    expect_bad (gpu_cores_garbage, "gpu[0].cores");
    expect_bad (gpu_nics_descending, "gpu[0].nics");
    expect_bad (nic_names_not_strings, "nic[0].names[0]");
    expect_bad (links_wrong_size, "links[0].v: expected an array of 4 integers");
    expect_bad (wrong_version, "node.v: 99 out of range");
    expect_bad (long_busid, "gpu[1].bus");
    expect_bad (pkg_not_object, "pkg[0]: expected an object");
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (counts_match_hwloc_shared),
        cmocka_unit_test (counts_match_hwloc_fixture),
        cmocka_unit_test (dgx2_gpus),
        cmocka_unit_test (power8_gpus_and_nvlink),
        cmocka_unit_test (em64t_nics_and_driverless_3d),
        cmocka_unit_test (amd64_groups_without_l3),
        cmocka_unit_test (fixture_gpus_nics_nearest),
        cmocka_unit_test (synthetic_good),
        cmocka_unit_test (synthetic_malformed),
        cmocka_unit_test (xml_bad_inputs),
        cmocka_unit_test (destroy_null_keeps_errno),
        cmocka_unit_test (json_round_trip_fixtures),
        cmocka_unit_test (json_round_trip_shared),
        cmocka_unit_test (from_json_rejects_bad_input),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
