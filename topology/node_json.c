/* node_json.c - the node model as compact JSON, and back
 *
 * Format (version 1), chosen to stay small for big nodes:
 *   {"v":1, "host":"n1",
 *    "pkg":[{"os":0,"cpu":"Xeon ..."}],           "cpu" absent when unknown
 *    "numa":[{"os":0,"mem":BYTES,"pkg":0}],
 *    "l3":[{"size":BYTES,"pkg":0}],
 *    "core":[[os,pkg,numa,l3,pu_first,pu_count], ...],
 *    "pu":[os, ...],                                 the core of a PU follows from "core"
 *    "gpu":[{"bus":"0000:34:00.0","pci":[vendor,device],"vendor":..,"model":..,
 *            "cuda":..,"nvml":..,"rsmi":..,"opencl":..,"ze":..,   each optional
 *            "numa":"0","cores":"0-11","nics":"0,1","near":4,"nvsw_bw":MB/s}],  last optional
 *    "nic":[{"kind":0,"bus":"","vendor":..,"model":..,"names":["eth0"],"numa":"0","cores":"0-11"}],
 *    "links":[{"name":"NVLinkBandwidth","v":[ngpus*ngpus integers]}],
 *    "nvswitch":12, "nvsw_all":true}
 * Index lists are idlist strings ("0-3,8").  Logical indexes are positions.
 */
#include "node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idlist.h"

#define FORMAT_VERSION 1

/* --- to JSON ------------------------------------------------------------- */

static int set_new (json_t *o, const char *key, json_t *v)
{
    return v ? json_object_set_new (o, key, v) : -1;
}

static int set_opt_string (json_t *o, const char *key, const char *s)
{
    return s ? set_new (o, key, json_string (s)) : 0;
}

static int set_ids (json_t *o, const char *key, const struct topo_ids *ids)
{
    char *s = idlist_format (ids->ids, ids->count);
    int rc;
    if (!s)
        return -1;
    rc = set_new (o, key, json_string (s));
    free (s);
    return rc;
}

static json_t *gpu_to_json (const struct topo_gpu *g)
{
    json_t *o = json_object();
    if (!o || set_new (o, "bus", json_string (g->busid)) < 0 ||
        set_new (o, "pci", json_pack ("[ii]", (int)g->pci_vendor_id, (int)g->pci_device_id)) < 0 ||
        set_new (o, "vendor", json_string (g->vendor)) < 0 ||
        set_new (o, "model", json_string (g->model)) < 0 ||
        set_opt_string (o, "cuda", g->cuda) < 0 || set_opt_string (o, "nvml", g->nvml) < 0 ||
        set_opt_string (o, "rsmi", g->rsmi) < 0 || set_opt_string (o, "opencl", g->opencl) < 0 ||
        set_opt_string (o, "ze", g->levelzero) < 0 || set_ids (o, "numa", &g->numa) < 0 ||
        set_ids (o, "cores", &g->cores) < 0 || set_ids (o, "nics", &g->near_nics) < 0 ||
        set_new (o, "near", json_integer (g->near_level)) < 0 ||
        (g->nvswitch_bandwidth &&
         set_new (o, "nvsw_bw", json_integer ((json_int_t)g->nvswitch_bandwidth)) < 0)) {
        json_decref (o);
        return NULL;
    }
    return o;
}

static json_t *nic_to_json (const struct topo_nic *n)
{
    json_t *o = json_object();
    json_t *names = json_array();

    if (!o || !names || json_object_set (o, "names", names) < 0)
        goto error;
    for (unsigned i = 0; i < n->nnames; i++)
        if (json_array_append_new (names, json_string (n->names[i])) < 0)
            goto error;
    if (set_new (o, "kind", json_integer (n->kind)) < 0 ||
        set_new (o, "bus", json_string (n->busid)) < 0 ||
        set_opt_string (o, "vendor", n->vendor) < 0 || set_opt_string (o, "model", n->model) < 0 ||
        set_ids (o, "numa", &n->numa) < 0 || set_ids (o, "cores", &n->cores) < 0)
        goto error;
    json_decref (names);
    return o;
error:
    json_decref (names);
    json_decref (o);
    return NULL;
}

static json_t *links_to_json (const struct topo_gpu_links *l, unsigned ngpus)
{
    json_t *v = json_array();
    json_t *o = json_pack ("{s:s}", "name", l->name);

    if (!o || !v || json_object_set (o, "v", v) < 0)
        goto error;
    for (size_t i = 0; i < (size_t)ngpus * ngpus; i++)
        if (json_array_append_new (v, json_integer ((json_int_t)l->values[i])) < 0)
            goto error;
    json_decref (v);
    return o;
error:
    json_decref (v);
    json_decref (o);
    return NULL;
}

/* Append n items made by make(node, i) to a new array stored under key. */
static int add_array (json_t *root, const char *key, const struct topo_node *node, unsigned n,
                      json_t *(*make) (const struct topo_node *, unsigned))
{
    json_t *a = json_array();
    if (!a || json_object_set_new (root, key, a) < 0)
        return -1;
    for (unsigned i = 0; i < n; i++)
        if (json_array_append_new (a, make (node, i)) < 0)
            return -1;
    return 0;
}

static json_t *make_pkg (const struct topo_node *node, unsigned i)
{
    json_t *o = json_pack ("{s:i}", "os", node->packages[i].os_index);
    if (o && set_opt_string (o, "cpu", node->packages[i].cpu_model) < 0) {
        json_decref (o);
        return NULL;
    }
    return o;
}

static json_t *make_numa (const struct topo_node *node, unsigned i)
{
    const struct topo_numa *n = &node->numas[i];
    return json_pack ("{s:i s:I s:i}", "os", n->os_index, "mem", (json_int_t)n->local_memory, "pkg",
                      n->package);
}

static json_t *make_l3 (const struct topo_node *node, unsigned i)
{
    const struct topo_l3 *l = &node->l3s[i];
    return json_pack ("{s:I s:i}", "size", (json_int_t)l->size, "pkg", l->package);
}

static json_t *make_core (const struct topo_node *node, unsigned i)
{
    const struct topo_core *c = &node->cores[i];
    return json_pack ("[iiiiii]", c->os_index, c->package, c->numa, c->l3, (int)c->pu_first,
                      (int)c->pu_count);
}

static json_t *make_pu (const struct topo_node *node, unsigned i)
{
    return json_integer (node->pus[i].os_index);
}

static json_t *make_gpu (const struct topo_node *node, unsigned i)
{
    return gpu_to_json (&node->gpus[i]);
}

static json_t *make_nic (const struct topo_node *node, unsigned i)
{
    return nic_to_json (&node->nics[i]);
}

static json_t *make_links (const struct topo_node *node, unsigned i)
{
    return links_to_json (&node->gpu_links[i], node->ngpus);
}

json_t *topo_node_to_json (const struct topo_node *node)
{
    json_t *o = json_pack ("{s:i s:s}", "v", FORMAT_VERSION, "host", node->hostname);

    if (!o || add_array (o, "pkg", node, node->npackages, make_pkg) < 0 ||
        add_array (o, "numa", node, node->nnumas, make_numa) < 0 ||
        add_array (o, "l3", node, node->nl3s, make_l3) < 0 ||
        add_array (o, "core", node, node->ncores, make_core) < 0 ||
        add_array (o, "pu", node, node->npus, make_pu) < 0 ||
        add_array (o, "gpu", node, node->ngpus, make_gpu) < 0 ||
        add_array (o, "nic", node, node->nnics, make_nic) < 0 ||
        add_array (o, "links", node, node->ngpu_links, make_links) < 0 ||
        set_new (o, "nvswitch", json_integer (node->nvswitches)) < 0 ||
        set_new (o, "nvsw_all", json_boolean (node->gpus_nvswitch_connected)) < 0) {
        json_decref (o);
        errno = ENOMEM;
        return NULL;
    }
    return o;
}

/* --- from JSON ----------------------------------------------------------- */

/* Every reader takes the path of the value for messages ("gpu[2].numa"). */

static int get_int (const json_t *v, const char *path, long long min, long long max, long long *out,
                    struct herror *err)
{
    long long x;
    if (!json_is_integer (v))
        return herror_set (err, "%s: %s", path, v ? "expected an integer" : "missing");
    x = json_integer_value (v);
    if (x < min || x > max)
        return herror_set (err, "%s: %lld out of range [%lld, %lld]", path, x, min, max);
    *out = x;
    return 0;
}

static int get_field_int (const json_t *o, const char *key, const char *path, long long min,
                          long long max, long long *out, struct herror *err)
{
    char p[128];
    snprintf (p, sizeof (p), "%s.%s", path, key);
    return get_int (json_object_get (o, key), p, min, max, out, err);
}

/* A string field: required or optional (absent or null → *out NULL). */
static int get_string (const json_t *o, const char *key, const char *path, bool required,
                       char **out, struct herror *err)
{
    const json_t *v = json_object_get (o, key);
    const char *s;

    *out = NULL;
    if (!v || json_is_null (v)) {
        if (required)
            return herror_set (err, "%s.%s: missing", path, key);
        return 0;
    }
    if (!json_is_string (v))
        return herror_set (err, "%s.%s: expected a string", path, key);
    s = json_string_value (v);
    if (strlen (s) >= TOPO_MAX_STRING || strlen (s) != json_string_length (v))
        return herror_set (err, "%s.%s: string too long or contains NUL", path, key);
    if (!(*out = strdup (s)))
        return herror_set (err, "out of memory");
    return 0;
}

static int get_ids (const json_t *o, const char *key, const char *path, unsigned limit,
                    struct topo_ids *ids, struct herror *err)
{
    const json_t *v = json_object_get (o, key);
    if (!json_is_string (v))
        return herror_set (err, "%s.%s: %s", path, key,
                           v ? "expected an id list string" : "missing");
    if (idlist_parse (json_string_value (v), limit, &ids->ids, &ids->count) < 0)
        return herror_set (err, "%s.%s: \"%.40s\" is not an ascending list of ids below %u", path,
                           key, json_string_value (v), limit);
    return 0;
}

/* The array under key, with at most max entries.  Stores its size. */
static const json_t *get_array (const json_t *root, const char *key, size_t max, unsigned *n,
                                struct herror *err)
{
    const json_t *a = json_object_get (root, key);
    if (!json_is_array (a)) {
        herror_set (err, "%s: %s", key, a ? "expected an array" : "missing");
        return NULL;
    }
    if (json_array_size (a) > max) {
        herror_set (err, "%s: %zu entries, more than the limit of %zu", key, json_array_size (a),
                    max);
        return NULL;
    }
    *n = (unsigned)json_array_size (a);
    return a;
}

static int get_object (const json_t *a, unsigned i, const char *key, char *path, size_t len,
                       const json_t **o, struct herror *err)
{
    snprintf (path, len, "%s[%u]", key, i);
    *o = json_array_get (a, i);
    if (!json_is_object (*o))
        return herror_set (err, "%s: expected an object", path);
    return 0;
}

static int read_packages (const json_t *root, struct topo_node *node, struct herror *err)
{
    unsigned n;
    const json_t *a = get_array (root, "pkg", TOPO_MAX_PACKAGES, &n, err);
    char path[64];

    if (!a || (n && !(node->packages = calloc (n, sizeof (*node->packages)))))
        return -1;
    for (unsigned i = 0; i < n; i++) {
        const json_t *o;
        long long os;
        if (get_object (a, i, "pkg", path, sizeof (path), &o, err) < 0 ||
            get_field_int (o, "os", path, -1, INT32_MAX, &os, err) < 0 ||
            get_string (o, "cpu", path, false, &node->packages[i].cpu_model, err) < 0)
            return -1;
        node->packages[i].os_index = (int)os;
        node->npackages++;
    }
    return 0;
}

static int read_numas (const json_t *root, struct topo_node *node, struct herror *err)
{
    unsigned n;
    const json_t *a = get_array (root, "numa", TOPO_MAX_NUMA, &n, err);
    char path[64];

    if (!a || (n && !(node->numas = calloc (n, sizeof (*node->numas)))))
        return -1;
    for (unsigned i = 0; i < n; i++) {
        const json_t *o;
        long long os, mem, pkg;
        if (get_object (a, i, "numa", path, sizeof (path), &o, err) < 0 ||
            get_field_int (o, "os", path, -1, INT32_MAX, &os, err) < 0 ||
            get_field_int (o, "mem", path, 0, INT64_MAX, &mem, err) < 0 ||
            get_field_int (o, "pkg", path, -1, (long long)node->npackages - 1, &pkg, err) < 0)
            return -1;
        node->numas[i] = (struct topo_numa){(int)os, (uint64_t)mem, (int)pkg};
    }
    node->nnumas = n;
    return 0;
}

static int read_l3s (const json_t *root, struct topo_node *node, struct herror *err)
{
    unsigned n;
    const json_t *a = get_array (root, "l3", TOPO_MAX_L3, &n, err);
    char path[64];

    if (!a || (n && !(node->l3s = calloc (n, sizeof (*node->l3s)))))
        return -1;
    for (unsigned i = 0; i < n; i++) {
        const json_t *o;
        long long size, pkg;
        if (get_object (a, i, "l3", path, sizeof (path), &o, err) < 0 ||
            get_field_int (o, "size", path, 0, INT64_MAX, &size, err) < 0 ||
            get_field_int (o, "pkg", path, -1, (long long)node->npackages - 1, &pkg, err) < 0)
            return -1;
        node->l3s[i] = (struct topo_l3){(uint64_t)size, (int)pkg};
    }
    node->nl3s = n;
    return 0;
}

/* PUs first (their count bounds the cores' ranges), then cores, which also
 * give each PU its core. */
static int read_cpus (const json_t *root, struct topo_node *node, struct herror *err)
{
    unsigned npu, ncore;
    const json_t *pus = get_array (root, "pu", TOPO_MAX_PUS, &npu, err);
    const json_t *cores = pus ? get_array (root, "core", TOPO_MAX_CORES, &ncore, err) : NULL;
    char path[64];

    if (!cores || (npu && !(node->pus = calloc (npu, sizeof (*node->pus)))) ||
        (ncore && !(node->cores = calloc (ncore, sizeof (*node->cores)))))
        return -1;
    node->npus = npu;
    node->ncores = ncore;
    for (unsigned i = 0; i < npu; i++) {
        long long os;
        snprintf (path, sizeof (path), "pu[%u]", i);
        if (get_int (json_array_get (pus, i), path, -1, INT32_MAX, &os, err) < 0)
            return -1;
        node->pus[i] = (struct topo_pu){(int)os, -1};
    }
    for (unsigned i = 0; i < ncore; i++) {
        const json_t *c = json_array_get (cores, i);
        long long v[6];
        const long long max[6] = {INT32_MAX,
                                  (long long)node->npackages - 1,
                                  (long long)node->nnumas - 1,
                                  (long long)node->nl3s - 1,
                                  npu,
                                  npu};
        if (!json_is_array (c) || json_array_size (c) != 6)
            return herror_set (err, "core[%u]: expected an array of 6 integers", i);
        for (unsigned k = 0; k < 6; k++) {
            snprintf (path, sizeof (path), "core[%u][%u]", i, k);
            if (get_int (json_array_get (c, k), path, k < 4 ? -1 : 0, max[k], &v[k], err) < 0)
                return -1;
        }
        if (v[4] + v[5] > npu)
            return herror_set (err, "core[%u]: PUs %lld+%lld beyond the %u PUs", i, v[4], v[5],
                               npu);
        node->cores[i] = (struct topo_core){(int)v[0], (int)v[1],      (int)v[2],
                                            (int)v[3], (unsigned)v[4], (unsigned)v[5]};
        for (long long p = v[4]; p < v[4] + v[5]; p++) {
            if (node->pus[p].core >= 0)
                return herror_set (err, "core[%u]: PU %lld already belongs to core %d", i, p,
                                   node->pus[p].core);
            node->pus[p].core = (int)i;
        }
    }
    return 0;
}

static int read_gpu (const json_t *o, const char *path, struct topo_node *node, struct topo_gpu *g,
                     struct herror *err)
{
    const json_t *pci = json_object_get (o, "pci");
    char *bus = NULL;
    long long near, vendor, device;
    char p[80];

    if (get_string (o, "bus", path, true, &bus, err) < 0)
        return -1;
    if (strlen (bus) >= TOPO_BUSID_MAX) {
        free (bus);
        return herror_set (err, "%s.bus: longer than a PCI bus id", path);
    }
    strcpy (g->busid, bus);
    free (bus);
    snprintf (p, sizeof (p), "%s.pci", path);
    if (!json_is_array (pci) || json_array_size (pci) != 2)
        return herror_set (err, "%s: expected [vendor, device]", p);
    if (get_int (json_array_get (pci, 0), p, 0, 0xffff, &vendor, err) < 0 ||
        get_int (json_array_get (pci, 1), p, 0, 0xffff, &device, err) < 0)
        return -1;
    g->pci_vendor_id = (unsigned)vendor;
    g->pci_device_id = (unsigned)device;
    if (get_string (o, "vendor", path, true, &g->vendor, err) < 0 ||
        get_string (o, "model", path, true, &g->model, err) < 0 ||
        get_string (o, "cuda", path, false, &g->cuda, err) < 0 ||
        get_string (o, "nvml", path, false, &g->nvml, err) < 0 ||
        get_string (o, "rsmi", path, false, &g->rsmi, err) < 0 ||
        get_string (o, "opencl", path, false, &g->opencl, err) < 0 ||
        get_string (o, "ze", path, false, &g->levelzero, err) < 0 ||
        get_ids (o, "numa", path, node->nnumas, &g->numa, err) < 0 ||
        get_ids (o, "cores", path, node->ncores, &g->cores, err) < 0 ||
        get_ids (o, "nics", path, node->nnics, &g->near_nics, err) < 0 ||
        get_field_int (o, "near", path, TOPO_NEAR_MACHINE, TOPO_NEAR_PCISWITCH, &near, err) < 0)
        return -1;
    g->near_level = (int)near;
    if (json_object_get (o, "nvsw_bw")) {
        long long bw;
        if (get_field_int (o, "nvsw_bw", path, 1, INT64_MAX, &bw, err) < 0)
            return -1;
        g->nvswitch_bandwidth = (uint64_t)bw;
    }
    return 0;
}

static int read_nic (const json_t *o, const char *path, struct topo_node *node, struct topo_nic *n,
                     struct herror *err)
{
    const json_t *names = json_object_get (o, "names");
    char *bus = NULL;
    long long kind;
    size_t nn;

    if (get_field_int (o, "kind", path, TOPO_NIC_ETHERNET, TOPO_NIC_OPENFABRICS, &kind, err) < 0 ||
        get_string (o, "bus", path, true, &bus, err) < 0)
        return -1;
    n->kind = (int)kind;
    if (strlen (bus) >= TOPO_BUSID_MAX) {
        free (bus);
        return herror_set (err, "%s.bus: longer than a PCI bus id", path);
    }
    strcpy (n->busid, bus);
    free (bus);
    if (!json_is_array (names) || (nn = json_array_size (names)) == 0 || nn > TOPO_MAX_NAMES)
        return herror_set (err, "%s.names: expected an array of 1 to %d strings", path,
                           TOPO_MAX_NAMES);
    if (!(n->names = calloc (nn, sizeof (char *))))
        return herror_set (err, "out of memory");
    for (size_t i = 0; i < nn; i++) {
        const char *s = json_string_value (json_array_get (names, i));
        if (!s || !*s || strlen (s) >= TOPO_MAX_STRING)
            return herror_set (err, "%s.names[%zu]: expected a non-empty short string", path, i);
        if (!(n->names[n->nnames++] = strdup (s)))
            return herror_set (err, "out of memory");
    }
    if (get_string (o, "vendor", path, false, &n->vendor, err) < 0 ||
        get_string (o, "model", path, false, &n->model, err) < 0 ||
        get_ids (o, "numa", path, node->nnumas, &n->numa, err) < 0 ||
        get_ids (o, "cores", path, node->ncores, &n->cores, err) < 0)
        return -1;
    return 0;
}

/* NICs before GPUs: a GPU's nearest NICs are checked against their count. */
static int read_devices (const json_t *root, struct topo_node *node, struct herror *err)
{
    unsigned nnic, ngpu;
    const json_t *nics = get_array (root, "nic", TOPO_MAX_NICS, &nnic, err);
    const json_t *gpus = nics ? get_array (root, "gpu", TOPO_MAX_GPUS, &ngpu, err) : NULL;
    char path[64];

    if (!gpus || (nnic && !(node->nics = calloc (nnic, sizeof (*node->nics)))) ||
        (ngpu && !(node->gpus = calloc (ngpu, sizeof (*node->gpus)))))
        return -1;
    for (unsigned i = 0; i < nnic; i++) {
        const json_t *o;
        node->nnics++;
        if (get_object (nics, i, "nic", path, sizeof (path), &o, err) < 0 ||
            read_nic (o, path, node, &node->nics[i], err) < 0)
            return -1;
    }
    for (unsigned i = 0; i < ngpu; i++) {
        const json_t *o;
        node->ngpus++;
        if (get_object (gpus, i, "gpu", path, sizeof (path), &o, err) < 0 ||
            read_gpu (o, path, node, &node->gpus[i], err) < 0)
            return -1;
    }
    return 0;
}

static int read_links (const json_t *root, struct topo_node *node, struct herror *err)
{
    unsigned n;
    const json_t *a = get_array (root, "links", TOPO_MAX_LINKS, &n, err);
    size_t cells = (size_t)node->ngpus * node->ngpus;
    char path[64];

    if (!a || (n && !(node->gpu_links = calloc (n, sizeof (*node->gpu_links)))))
        return -1;
    for (unsigned i = 0; i < n; i++) {
        struct topo_gpu_links *l = &node->gpu_links[i];
        const json_t *o, *v;
        node->ngpu_links++;
        if (get_object (a, i, "links", path, sizeof (path), &o, err) < 0 ||
            get_string (o, "name", path, true, &l->name, err) < 0)
            return -1;
        v = json_object_get (o, "v");
        if (!json_is_array (v) || json_array_size (v) != cells)
            return herror_set (err, "%s.v: expected an array of %zu integers (GPUs squared)", path,
                               cells);
        if (cells && !(l->values = calloc (cells, sizeof (uint64_t))))
            return herror_set (err, "out of memory");
        for (size_t k = 0; k < cells; k++) {
            long long x;
            char p[96];
            snprintf (p, sizeof (p), "%s.v[%zu]", path, k);
            if (get_int (json_array_get (v, k), p, 0, INT64_MAX, &x, err) < 0)
                return -1;
            l->values[k] = (uint64_t)x;
        }
    }
    return 0;
}

struct topo_node *topo_node_from_json (const json_t *o, struct herror *err)
{
    struct topo_node *node;
    long long version, nvswitch;
    const json_t *all;

    if (!json_is_object (o)) {
        errno = EINVAL;
        herror_set (err, "node topology: expected a JSON object");
        return NULL;
    }
    if (get_field_int (o, "v", "node", FORMAT_VERSION, FORMAT_VERSION, &version, err) < 0) {
        errno = EINVAL;
        return NULL;
    }
    if (!(node = calloc (1, sizeof (*node)))) {
        herror_set (err, "out of memory");
        return NULL;
    }
    herror_set (err, "out of memory"); /* replaced by any more precise error */
    all = json_object_get (o, "nvsw_all");
    if (get_string (o, "host", "node", true, &node->hostname, err) < 0 ||
        read_packages (o, node, err) < 0 || read_numas (o, node, err) < 0 ||
        read_l3s (o, node, err) < 0 || read_cpus (o, node, err) < 0 ||
        read_devices (o, node, err) < 0 || read_links (o, node, err) < 0 ||
        get_field_int (o, "nvswitch", "node", 0, 65535, &nvswitch, err) < 0)
        goto error;
    if (!json_is_boolean (all)) {
        herror_set (err, "node.nvsw_all: %s", all ? "expected true or false" : "missing");
        goto error;
    }
    node->nvswitches = (unsigned)nvswitch;
    node->gpus_nvswitch_connected = json_is_true (all);
    return node;
error:
    topo_node_destroy (node);
    errno = EINVAL;
    return NULL;
}
