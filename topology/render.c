/* render.c - the node tree as text or Graphviz (see render.h for the layout)
 *
 * One walk of the model writes both: every line() is a vertex of the
 * tree, its indent its depth, so the Graphviz form is the same tree with
 * each line a box under the line it is indented under. */
#include "render.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "idlist.h"

#define RENDER_DEPTH 16

struct render {
    const struct topo_node *node;
    FILE *out;
    bool *gpu_done, *nic_done;
    int rc;
    bool dot;                 /* Graphviz: lines are vertices */
    int parent[RENDER_DEPTH]; /* dot: the vertex last written at each depth */
    int vertices;
};

void topo_render_bytes (unsigned long long bytes, char *buf, size_t len)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = (double)bytes;
    unsigned u = 0;

    while (v >= 1024 && u + 1 < sizeof (units) / sizeof (units[0])) {
        v /= 1024;
        u++;
    }
    /* One decimal, dropped when it is 0 or the number is big anyway. */
    if (v >= 100 || (unsigned long long)(v * 10 + 0.5) % 10 == 0)
        snprintf (buf, len, "%.0f %s", v, units[u]);
    else
        snprintf (buf, len, "%.1f %s", v, units[u]);
}

static void line (struct render *r, int indent, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* TEXT as a Graphviz quoted string. */
static int dot_string (FILE *out, const char *text)
{
    if (fputc ('"', out) == EOF)
        return -1;
    for (const char *p = text; *p; p++) {
        if ((*p == '"' || *p == '\\') && fputc ('\\', out) == EOF)
            return -1;
        if (fputc (*p, out) == EOF)
            return -1;
    }
    return fputc ('"', out) == EOF ? -1 : 0;
}

/* A vertex labelled TEXT under the last one a level up (indent / 2). */
static void vertex (struct render *r, int indent, const char *text)
{
    int depth = indent / 2 < RENDER_DEPTH ? indent / 2 : RENDER_DEPTH - 1;
    int id = ++r->vertices;
    if (fprintf (r->out, "  n%d [label=", id) < 0 || dot_string (r->out, text) < 0 ||
        fprintf (r->out, "];\n") < 0)
        r->rc = -1;
    if (depth > 0 && r->parent[depth - 1] > 0 &&
        fprintf (r->out, "  n%d -- n%d;\n", r->parent[depth - 1], id) < 0)
        r->rc = -1;
    r->parent[depth] = id;
}

static void line (struct render *r, int indent, const char *fmt, ...)
{
    va_list ap;
    if (r->dot) {
        char text[1024];
        va_start (ap, fmt);
        vsnprintf (text, sizeof (text), fmt, ap);
        va_end (ap);
        vertex (r, indent, text);
        return;
    }
    if (fprintf (r->out, "%*s", indent, "") < 0)
        r->rc = -1;
    va_start (ap, fmt);
    if (vfprintf (r->out, fmt, ap) < 0)
        r->rc = -1;
    va_end (ap);
    if (fputc ('\n', r->out) == EOF)
        r->rc = -1;
}

/* "0-3,8" for a list (sorted here), "" on allocation failure. */
static char *ids_text (struct render *r, unsigned *ids, unsigned n)
{
    char *s;
    n = idlist_sort_unique (ids, n);
    if (!(s = idlist_format (ids, n))) {
        r->rc = -1;
        return NULL;
    }
    return s;
}

/* One line for a set of cores: "cores 0-5 (PUs 0,2,4,6,8,10)" + suffix. */
static void cores_line (struct render *r, int indent, const unsigned *cores, unsigned n,
                        const char *suffix)
{
    const struct topo_node *node = r->node;
    unsigned *ids = malloc ((n ? n : 1) * sizeof (unsigned));
    unsigned *pus = NULL, npus = 0, total = 0;
    char *ctext = NULL, *ptext = NULL;

    for (unsigned i = 0; i < n; i++)
        total += node->cores[cores[i]].pu_count;
    pus = malloc ((total ? total : 1) * sizeof (unsigned));
    if (!ids || !pus) {
        r->rc = -1;
        goto done;
    }
    memcpy (ids, cores, n * sizeof (unsigned));
    for (unsigned i = 0; i < n; i++) {
        const struct topo_core *c = &node->cores[cores[i]];
        for (unsigned p = c->pu_first; p < c->pu_first + c->pu_count; p++)
            if (node->pus[p].os_index >= 0)
                pus[npus++] = (unsigned)node->pus[p].os_index;
    }
    if ((ctext = ids_text (r, ids, n)) && (ptext = ids_text (r, pus, npus)))
        line (r, indent, "%s %s (%s %s)%s", n == 1 ? "core" : "cores", ctext,
              npus == 1 ? "PU" : "PUs", ptext, suffix);
done:
    free (ctext);
    free (ptext);
    free (ids);
    free (pus);
}

static void gpu_line (struct render *r, int indent, unsigned i)
{
    const struct topo_gpu *g = &r->node->gpus[i];
    char names[256] = "";
    const char *list[] = {g->cuda, g->nvml, g->rsmi, g->opencl, g->levelzero};
    char *nics = NULL;

    for (size_t k = 0; k < sizeof (list) / sizeof (list[0]); k++)
        if (list[k])
            snprintf (names + strlen (names), sizeof (names) - strlen (names), " %s", list[k]);
    if (g->near_nics.count == 0) {
        line (r, indent, "GPU %u: %s (%s)%s", i, g->model, g->busid, names);
    } else if ((nics = idlist_format (g->near_nics.ids, g->near_nics.count))) {
        line (r, indent, "GPU %u: %s (%s)%s, nearest NIC %s (%s)", i, g->model, g->busid, names,
              nics, topo_near_name (g->near_level));
        free (nics);
    } else {
        r->rc = -1;
    }
    r->gpu_done[i] = true;
}

static void nic_line (struct render *r, int indent, unsigned i)
{
    const struct topo_nic *n = &r->node->nics[i];
    char names[512] = "";

    for (unsigned k = 0; k < n->nnames; k++)
        snprintf (names + strlen (names), sizeof (names) - strlen (names), "%s%s", k ? " " : "",
                  n->names[k]);
    line (r, indent, "NIC %u: %s (%s, %s)", i, names, topo_nic_kind_name (n->kind),
          n->busid[0] ? n->busid : "no PCI");
    r->nic_done[i] = true;
}

/* Devices whose locality is exactly the NUMA list wanted (one NUMA node), or
 * all NUMA nodes of package pkg when numa < 0. */
static bool local_to (const struct topo_node *node, const struct topo_ids *numa, int want_numa,
                      int pkg)
{
    if (numa->count == 0)
        return false;
    if (want_numa >= 0)
        return numa->count == 1 && numa->ids[0] == (unsigned)want_numa;
    for (unsigned k = 0; k < numa->count; k++)
        if (node->numas[numa->ids[k]].package != pkg)
            return false;
    return true;
}

static void devices (struct render *r, int indent, int numa, int pkg)
{
    const struct topo_node *node = r->node;
    for (unsigned i = 0; i < node->ngpus; i++)
        if (!r->gpu_done[i] && local_to (node, &node->gpus[i].numa, numa, pkg))
            gpu_line (r, indent, i);
    for (unsigned i = 0; i < node->nnics; i++)
        if (!r->nic_done[i] && local_to (node, &node->nics[i].numa, numa, pkg))
            nic_line (r, indent, i);
}

/* The cores of package pkg in NUMA node numa (either may be -1), one line,
 * or one line per L3 when L3 caches group several of these cores. */
static void core_lines (struct render *r, int indent, int pkg, int numa)
{
    const struct topo_node *node = r->node;
    unsigned *sel = malloc ((node->ncores ? node->ncores : 1) * sizeof (unsigned));
    unsigned n = 0, groups = 0;
    int last_l3 = -2;
    bool one_l3 = true;
    char suffix[64] = "", size[32];

    if (!sel) {
        r->rc = -1;
        return;
    }
    for (unsigned i = 0; i < node->ncores; i++) {
        const struct topo_core *c = &node->cores[i];
        if (c->package != pkg || c->numa != numa)
            continue;
        if (c->l3 != last_l3)
            groups++;
        if (n > 0 && c->l3 != node->cores[sel[0]].l3)
            one_l3 = false;
        last_l3 = c->l3;
        sel[n++] = i;
    }
    if (n > 0 && (one_l3 || groups == n)) {
        int l3 = node->cores[sel[0]].l3;
        if (one_l3 && l3 >= 0) {
            topo_render_bytes (node->l3s[l3].size, size, sizeof (size));
            snprintf (suffix, sizeof (suffix), ", L3 %s", size);
        } else if (!one_l3 && l3 >= 0) {
            topo_render_bytes (node->l3s[l3].size, size, sizeof (size));
            snprintf (suffix, sizeof (suffix), ", one L3 %s per core", size);
        }
        cores_line (r, indent, sel, n, suffix);
    } else {
        unsigned start = 0;
        for (unsigned i = 1; i <= n; i++) {
            if (i < n && node->cores[sel[i]].l3 == node->cores[sel[start]].l3)
                continue;
            int l3 = node->cores[sel[start]].l3;
            suffix[0] = '\0';
            if (l3 >= 0) {
                topo_render_bytes (node->l3s[l3].size, size, sizeof (size));
                snprintf (suffix, sizeof (suffix), ", L3 #%d %s", l3, size);
            }
            cores_line (r, indent, sel + start, i - start, suffix);
            start = i;
        }
    }
    free (sel);
}

static bool has_cores (const struct topo_node *node, int pkg, int numa)
{
    for (unsigned i = 0; i < node->ncores; i++)
        if (node->cores[i].package == pkg && node->cores[i].numa == numa)
            return true;
    return false;
}

/* NUMA nodes, cores and devices of one package (pkg -1: what no package
 * holds), indented under it. */
static void package_block (struct render *r, int indent, int pkg, bool *numa_done)
{
    const struct topo_node *node = r->node;
    char mem[32];

    for (unsigned k = 0; k < node->nnumas; k++) {
        const struct topo_numa *m = &node->numas[k];
        if (!has_cores (node, pkg, (int)k) && !(m->package == pkg && !numa_done[k]))
            continue;
        topo_render_bytes (m->local_memory, mem, sizeof (mem));
        if (m->os_index >= 0)
            line (r, indent, "NUMA %u (P#%d, %s)", k, m->os_index, mem);
        else
            line (r, indent, "NUMA %u (%s)", k, mem);
        numa_done[k] = true;
        core_lines (r, indent + 2, pkg, (int)k);
        devices (r, indent + 2, (int)k, pkg);
    }
    if (has_cores (node, pkg, -1))
        core_lines (r, indent, pkg, -1);
    if (pkg >= 0)
        devices (r, indent, -1, pkg);
}

/* "NVSwitch: 12 devices, all 16 GPUs connected, 150000 MB/s NVLink each". */
static void nvswitch_line (struct render *r)
{
    const struct topo_node *node = r->node;
    char bw[64] = "";
    bool same = node->ngpus > 0 && node->gpus[0].nvswitch_bandwidth > 0;

    for (unsigned i = 1; i < node->ngpus; i++)
        if (node->gpus[i].nvswitch_bandwidth != node->gpus[0].nvswitch_bandwidth)
            same = false;
    if (same)
        snprintf (bw, sizeof (bw), ", %llu MB/s NVLink each",
                  (unsigned long long)node->gpus[0].nvswitch_bandwidth);
    if (node->gpus_nvswitch_connected)
        line (r, 0, "NVSwitch: %u %s, all %u GPUs connected%s", node->nvswitches,
              node->nvswitches == 1 ? "device" : "devices", node->ngpus, bw);
    else
        line (r, 0, "NVSwitch: %u %s, not all GPUs connected", node->nvswitches,
              node->nvswitches == 1 ? "device" : "devices");
    for (unsigned i = 0; !same && i < node->ngpus; i++)
        if (node->gpus[i].nvswitch_bandwidth)
            line (r, 2, "GPU %u: %llu MB/s NVLink to NVSwitches", i,
                  (unsigned long long)node->gpus[i].nvswitch_bandwidth);
}

static void links (struct render *r)
{
    const struct topo_node *node = r->node;

    for (unsigned l = 0; !r->dot && l < node->ngpu_links; l++) { /* matrices: text only */
        const struct topo_gpu_links *gl = &node->gpu_links[l];
        char row[4096];
        size_t len = 0;
        line (r, 0, "GPU links %s:", gl->name);
        len = (size_t)snprintf (row, sizeof (row), "%8s", "");
        for (unsigned j = 0; j < node->ngpus && len < sizeof (row); j++) {
            char label[16];
            snprintf (label, sizeof (label), "GPU%u", j);
            len += (size_t)snprintf (row + len, sizeof (row) - len, " %9s", label);
        }
        line (r, 0, "%s", row);
        for (unsigned i = 0; i < node->ngpus; i++) {
            len = (size_t)snprintf (row, sizeof (row), "  GPU%-3u", i);
            for (unsigned j = 0; j < node->ngpus && len < sizeof (row); j++)
                len += (size_t)snprintf (row + len, sizeof (row) - len, " %9llu",
                                         (unsigned long long)gl->values[i * node->ngpus + j]);
            line (r, 0, "%s", row);
        }
    }
    if (node->nvswitches > 0)
        nvswitch_line (r);
}

static int render (const struct topo_node *node, FILE *out, bool dot)
{
    struct render r = {.node = node, .out = out, .dot = dot};
    bool *numa_done = calloc (node->nnumas + 1, sizeof (bool));
    char mem[32], summary[160];

    r.gpu_done = calloc (node->ngpus + 1, sizeof (bool));
    r.nic_done = calloc (node->nnics + 1, sizeof (bool));
    if (!numa_done || !r.gpu_done || !r.nic_done) {
        r.rc = -1;
        goto done;
    }
    topo_render_bytes (topo_node_memory (node), mem, sizeof (mem));
    if (dot && (fprintf (out, "graph ") < 0 || dot_string (out, node->hostname) < 0 ||
                fprintf (out, " {\n  node [shape=box];\n") < 0))
        r.rc = -1;
    line (&r, 0, "Machine %s (%s)", node->hostname, mem);
    for (unsigned p = 0; p < node->npackages; p++) {
        const struct topo_package *pk = &node->packages[p];
        char os[24] = "";
        if (pk->os_index >= 0)
            snprintf (os, sizeof (os), " (P#%d)", pk->os_index);
        line (&r, 2, "Package %u%s%s%s", p, os, pk->cpu_model ? ": " : "",
              pk->cpu_model ? pk->cpu_model : "");
        package_block (&r, 4, (int)p, numa_done);
    }
    package_block (&r, 2, -1, numa_done);
    for (unsigned i = 0; i < node->ngpus; i++)
        if (!r.gpu_done[i])
            gpu_line (&r, 2, i);
    for (unsigned i = 0; i < node->nnics; i++)
        if (!r.nic_done[i])
            nic_line (&r, 2, i);
    links (&r);
    topo_node_summary (node, summary, sizeof (summary));
    if (!dot)
        line (&r, 0, "%s", summary);
    else if (fprintf (out, "  label=") < 0 || dot_string (out, summary) < 0 ||
             fprintf (out, ";\n}\n") < 0)
        r.rc = -1;
done:
    free (numa_done);
    free (r.gpu_done);
    free (r.nic_done);
    if (r.rc < 0 && !errno)
        errno = EIO;
    return r.rc;
}

int topo_render_node (const struct topo_node *node, FILE *out)
{
    return render (node, out, false);
}

int topo_render_node_dot (const struct topo_node *node, FILE *out)
{
    return render (node, out, true);
}
