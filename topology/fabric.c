/* fabric.c - the switch tree and its two parsers (fabric.h) */
#include "topology/fabric.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "common/hostlist.h"
#include "common/utf8.h"
#include "topology/readfile.h"

/* Names to numbers: open addressing over borrowed keys (the switches' and
 * nodes' own strings), so a 10,000-node file is not 10^8 strcmp()s. */
struct nametab {
    const char **keys;
    int *vals;
    size_t cap, used;
};

struct fswitch {
    char *name;
    char *speed;
    int parent, level, line;
    int *kids;
    size_t nkids, akids;
    char **nodes; /* leaf: its nodes' names, in file order */
    size_t nnodes, anodes;
    size_t first, count; /* range in the fabric order */
    bool lone;           /* made by fabric_add_lone_node() */
};

struct fabric {
    struct fswitch *sw;
    size_t nsw, asw;
    const char **order; /* fabric order: borrowed from the leaves */
    int *order_leaf;
    size_t norder;
    struct nametab swtab, nodetab;
    int root;
};

static uint64_t hash_str (const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

static void tab_free (struct nametab *t)
{
    free (t->keys);
    free (t->vals);
    memset (t, 0, sizeof (*t));
}

static int tab_get (const struct nametab *t, const char *key)
{
    if (t->cap == 0)
        return -1;
    for (size_t i = hash_str (key) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        if (!t->keys[i])
            return -1;
        if (strcmp (t->keys[i], key) == 0)
            return t->vals[i];
    }
}

static int tab_put (struct nametab *t, const char *key, int val);

static int tab_grow (struct nametab *t)
{
    struct nametab n = {0};
    n.cap = t->cap ? t->cap * 2 : 64;
    n.keys = calloc (n.cap, sizeof (*n.keys));
    n.vals = calloc (n.cap, sizeof (*n.vals));
    if (!n.keys || !n.vals) {
        tab_free (&n);
        return -1;
    }
    for (size_t i = 0; i < t->cap; i++) {
        if (t->keys[i])
            tab_put (&n, t->keys[i], t->vals[i]);
    }
    tab_free (t);
    *t = n;
    return 0;
}

/* Insert KEY (borrowed); the caller checked it is absent. */
static int tab_put (struct nametab *t, const char *key, int val)
{
    if ((t->used + 1) * 2 > t->cap && tab_grow (t) < 0)
        return -1;
    size_t i = hash_str (key) & (t->cap - 1);
    while (t->keys[i])
        i = (i + 1) & (t->cap - 1);
    t->keys[i] = key;
    t->vals[i] = val;
    t->used++;
    return 0;
}

static int grow (void **p, size_t *alloc, size_t need, size_t size)
{
    if (need <= *alloc)
        return 0;
    size_t n = *alloc ? *alloc * 2 : 8;
    while (n < need)
        n *= 2;
    void *q = realloc (*p, n * size);
    if (!q)
        return -1;
    *p = q;
    *alloc = n;
    return 0;
}

void fabric_destroy (struct fabric *f)
{
    int saved = errno;
    if (f) {
        for (size_t i = 0; i < f->nsw; i++) {
            struct fswitch *s = &f->sw[i];
            free (s->name);
            free (s->speed);
            free (s->kids);
            for (size_t j = 0; j < s->nnodes; j++)
                free (s->nodes[j]);
            free (s->nodes);
        }
        free (f->sw);
        free (f->order);
        free (f->order_leaf);
        tab_free (&f->swtab);
        tab_free (&f->nodetab);
        free (f);
    }
    errno = saved;
}

static struct fabric *fabric_new (void)
{
    struct fabric *f = calloc (1, sizeof (*f));
    if (f)
        f->root = -1;
    return f;
}

/* A new switch NAME (absent); its number, -1 on ENOMEM. */
static int add_switch (struct fabric *f, const char *name, int line)
{
    if (grow ((void **)&f->sw, &f->asw, f->nsw + 1, sizeof (*f->sw)) < 0)
        return -1;
    struct fswitch *s = &f->sw[f->nsw];
    memset (s, 0, sizeof (*s));
    s->parent = -1;
    s->line = line;
    if (!(s->name = strdup (name)) || tab_put (&f->swtab, s->name, (int)f->nsw) < 0) {
        free (s->name);
        return -1;
    }
    return (int)f->nsw++;
}

static int add_kid (struct fabric *f, int parent, int kid)
{
    struct fswitch *p = &f->sw[parent];
    if (grow ((void **)&p->kids, &p->akids, p->nkids + 1, sizeof (*p->kids)) < 0)
        return -1;
    p->kids[p->nkids++] = kid;
    f->sw[kid].parent = parent;
    return 0;
}

static int add_leaf_node (struct fabric *f, int leaf, const char *name)
{
    struct fswitch *s = &f->sw[leaf];
    if (grow ((void **)&s->nodes, &s->anodes, s->nnodes + 1, sizeof (*s->nodes)) < 0 ||
        !(s->nodes[s->nnodes] = strdup (name)))
        return -1;
    s->nnodes++;
    return 0;
}

/* ---------------------------------------------------- the tree, checked */

static const char *where (char *buf, size_t size, const struct fswitch *s)
{
    if (s->line > 0)
        snprintf (buf, size, " (line %d)", s->line);
    else
        buf[0] = '\0';
    return buf;
}

/* Depth first from SW: levels, the fabric order, each switch's range.
 * Returns -1 with err filled for a node named twice. */
static int walk (struct fabric *f, int sw, bool *seen, const char *name, struct herror *err)
{
    struct fswitch *s = &f->sw[sw];
    char w1[32], w2[32];

    seen[sw] = true;
    s->first = f->norder;
    s->level = 0;
    for (size_t i = 0; i < s->nkids; i++) {
        if (walk (f, s->kids[i], seen, name, err) < 0)
            return -1;
        if (f->sw[s->kids[i]].level + 1 > s->level)
            s->level = f->sw[s->kids[i]].level + 1;
    }
    for (size_t i = 0; i < s->nnodes; i++) {
        int other = tab_get (&f->nodetab, s->nodes[i]);
        if (other >= 0) {
            const struct fswitch *o = &f->sw[f->order_leaf[other]];
            errno = EINVAL;
            if (o == s)
                return herror_set (err, "%s:%d: node %s is named twice under switch %s", name,
                                   s->line, s->nodes[i], s->name);
            return herror_set (err, "%s: node %s is under two leaves: %s%s and %s%s", name,
                               s->nodes[i], o->name, where (w1, sizeof (w1), o), s->name,
                               where (w2, sizeof (w2), s));
        }
        f->order[f->norder] = s->nodes[i];
        f->order_leaf[f->norder] = sw;
        if (tab_put (&f->nodetab, s->nodes[i], (int)f->norder) < 0)
            return herror_set (err, "out of memory");
        f->norder++;
    }
    s->count = f->norder - s->first;
    return 0;
}

/* Find the one root, check there is no loop, and number everything.  The
 * one function both parsers and fabric_add_lone_node() end with. */
static int build (struct fabric *f, const char *name, struct herror *err)
{
    char w1[32], w2[32];
    size_t total = 0;
    int root = -1;

    f->root = -1;
    if (f->nsw == 0) {
        errno = EINVAL;
        return herror_set (err, "%s: no switches", name);
    }
    for (size_t i = 0; i < f->nsw; i++) {
        total += f->sw[i].nnodes;
        if (f->sw[i].parent >= 0)
            continue;
        if (root >= 0) {
            errno = EINVAL;
            return herror_set (err, "%s: two roots: switches %s%s and %s%s are under no switch",
                               name, f->sw[root].name, where (w1, sizeof (w1), &f->sw[root]),
                               f->sw[i].name, where (w2, sizeof (w2), &f->sw[i]));
        }
        root = (int)i;
    }
    if (root < 0) {
        errno = EINVAL;
        return herror_set (err, "%s:%d: loop: every switch is under another (switch %s)", name,
                           f->sw[0].line, f->sw[0].name);
    }
    free (f->order);
    free (f->order_leaf);
    tab_free (&f->nodetab);
    f->norder = 0;
    f->order = calloc (total + 1, sizeof (*f->order));
    f->order_leaf = calloc (total + 1, sizeof (*f->order_leaf));
    bool *seen = calloc (f->nsw, sizeof (*seen));
    if (!f->order || !f->order_leaf || !seen) {
        free (seen);
        return herror_set (err, "out of memory");
    }
    int rc = walk (f, root, seen, name, err);
    for (size_t i = 0; rc == 0 && i < f->nsw; i++) {
        if (!seen[i]) {
            errno = EINVAL;
            rc = herror_set (err, "%s:%d: loop: switch %s is under itself", name, f->sw[i].line,
                             f->sw[i].name);
        }
    }
    free (seen);
    if (rc == 0)
        f->root = root;
    return rc;
}

/* ------------------------------------------------------- topology.conf */

/* Switches= of one line, resolved after every SwitchName is known. */
struct pending {
    int sw;
    int line;
    struct hostlist *kids;
};

static int conf_error (struct herror *err, const char *name, int line, const char *what,
                       const char *detail)
{
    char show[HERROR_SHOW_SIZE];
    errno = EINVAL;
    return herror_set (err, "%s:%d: %s%s", name, line, what,
                       detail ? herror_show (detail, strlen (detail), show, sizeof (show)) : "");
}

/* The names and link speeds a file gives go out in fabric.query's reply
 * (JSON strings) and into qtopo's output: text that is not UTF-8 would be
 * dropped from the reply or break it, a control character garble a
 * terminal.  Checked for a whole line (comment stripped) of a
 * topology.conf or EC2 map file. */
static bool no_control (const char *s)
{
    for (; *s; s++) {
        if (iscntrl ((unsigned char)*s) && *s != '\t' && *s != '\r')
            return false;
    }
    return true;
}

static int line_text_check (const char *s, const char *name, int line, struct herror *err)
{
    size_t len = strlen (s);
    if (utf8_valid_prefix (s, len) != len)
        return conf_error (err, name, line, "not valid UTF-8", NULL);
    if (!no_control (s))
        return conf_error (err, name, line, "a control character", NULL);
    return 0;
}

/* One line's KEY=VALUE words into the fabric; Switches= into *P. */
static int conf_line (struct fabric *f, char *s, const char *name, int line, struct pending *p,
                      struct herror *err)
{
    char *sw = NULL, *nodes = NULL, *kids = NULL, *speed = NULL, *save = NULL;
    struct herror herr = {{0}};

    if (line_text_check (s, name, line, err) < 0)
        return -1;
    for (char *w = strtok_r (s, " \t\r", &save); w; w = strtok_r (NULL, " \t\r", &save)) {
        char *eq = strchr (w, '=');
        if (!eq)
            return conf_error (err, name, line, "expected KEY=VALUE, not ", w);
        *eq = '\0';
        char **slot = !strcasecmp (w, "SwitchName")  ? &sw
                      : !strcasecmp (w, "Nodes")     ? &nodes
                      : !strcasecmp (w, "Switches")  ? &kids
                      : !strcasecmp (w, "LinkSpeed") ? &speed
                                                     : NULL;
        if (!slot)
            return conf_error (err, name, line, "unknown key ", w);
        if (*slot)
            return conf_error (err, name, line, "key given twice: ", w);
        *slot = eq + 1;
    }
    if (!sw)
        return nodes || kids || speed ? conf_error (err, name, line, "no SwitchName=", NULL) : 0;
    if (nodes && kids)
        return conf_error (err, name, line, "a switch has Nodes= or Switches=, not both: ", sw);
    if (*sw == '\0' || strpbrk (sw, "[],"))
        return conf_error (err, name, line, "SwitchName= must be one name: ", sw);
    int prev = tab_get (&f->swtab, sw);
    if (prev >= 0) {
        errno = EINVAL;
        return herror_set (err, "%s:%d: switch %s is already defined on line %d", name, line, sw,
                           f->sw[prev].line);
    }
    int i = add_switch (f, sw, line);
    if (i < 0 || (speed && !(f->sw[i].speed = strdup (speed))))
        return herror_set (err, "out of memory");
    if (nodes) {
        struct hostlist *hl = hostlist_decode (nodes, &herr);
        if (!hl)
            return conf_error (err, name, line, "Nodes=: ", herr.text);
        for (size_t j = 0; j < hostlist_count (hl); j++) {
            if (add_leaf_node (f, i, hostlist_nth (hl, j)) < 0) {
                hostlist_destroy (hl);
                return herror_set (err, "out of memory");
            }
        }
        hostlist_destroy (hl);
    }
    if (kids) {
        p->sw = i;
        p->line = line;
        if (!(p->kids = hostlist_decode (kids, &herr)))
            return conf_error (err, name, line, "Switches=: ", herr.text);
    }
    return 0;
}

static int conf_link (struct fabric *f, const struct pending *p, const char *name,
                      struct herror *err)
{
    for (size_t j = 0; j < hostlist_count (p->kids); j++) {
        const char *k = hostlist_nth (p->kids, j);
        int kid = tab_get (&f->swtab, k);
        if (kid < 0)
            return conf_error (err, name, p->line, "Switches=: unknown switch ", k);
        if (kid == p->sw)
            return conf_error (err, name, p->line, "loop: switch is under itself: ", k);
        if (f->sw[kid].parent >= 0) {
            errno = EINVAL;
            return herror_set (err, "%s:%d: switch %s is under two switches: %s (line %d) and %s",
                               name, p->line, k, f->sw[f->sw[kid].parent].name,
                               f->sw[f->sw[kid].parent].line, f->sw[p->sw].name);
        }
        if (add_kid (f, p->sw, kid) < 0)
            return herror_set (err, "out of memory");
    }
    return 0;
}

struct fabric *fabric_parse_topology_conf (const char *text, const char *name, struct herror *err)
{
    struct fabric *f = fabric_new();
    struct pending *pend = NULL;
    size_t npend = 0, apend = 0;
    char *copy = strdup (text);
    int rc = 0, line = 0;

    if (!f || !copy) {
        herror_set (err, "out of memory");
        rc = -1;
    }
    for (char *s = copy, *nl; rc == 0 && s; s = nl) {
        nl = strchr (s, '\n');
        if (nl)
            *nl++ = '\0';
        line++;
        s[strcspn (s, "#")] = '\0';
        if (grow ((void **)&pend, &apend, npend + 1, sizeof (*pend)) < 0) {
            rc = herror_set (err, "out of memory");
            break;
        }
        pend[npend].kids = NULL;
        rc = conf_line (f, s, name, line, &pend[npend], err);
        if (pend[npend].kids)
            npend++;
    }
    for (size_t i = 0; rc == 0 && i < npend; i++)
        rc = conf_link (f, &pend[i], name, err);
    if (rc == 0)
        rc = build (f, name, err);
    for (size_t i = 0; i < npend; i++)
        hostlist_destroy (pend[i].kids);
    free (pend);
    free (copy);
    if (rc < 0) {
        if (errno != EINVAL)
            errno = ENOMEM;
        fabric_destroy (f);
        return NULL;
    }
    return f;
}

/* --------------------------------------------------------------- EC2 */

#define EC2_MAX_LAYERS 8  /* NetworkNodes: three or four today */
#define EC2_SCAN_DEPTH 32 /* nesting the quick reader follows */

/* The map file: instance id -> node name, both kept in a table of their
 * own lines. */
struct ec2map {
    char **inst, **node;
    size_t n, alloc;
    struct nametab bynode, byinst;
};

static void map_free (struct ec2map *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free (m->inst[i]);
        free (m->node[i]);
    }
    free (m->inst);
    free (m->node);
    tab_free (&m->bynode);
    tab_free (&m->byinst);
}

static int map_parse (struct ec2map *m, const char *text, const char *name, struct herror *err)
{
    int line = 0;
    for (const char *s = text; *s;) {
        const char *nl = strchr (s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen (s);
        char buf[1024], node[512], inst[512], extra[2];
        line++;
        if (len >= sizeof (buf))
            return conf_error (err, name, line, "line too long", NULL);
        memcpy (buf, s, len);
        buf[len] = '\0';
        buf[strcspn (buf, "#")] = '\0';
        s += len + (nl ? 1 : 0);
        if (line_text_check (buf, name, line, err) < 0)
            return -1;
        int n = sscanf (buf, "%511s %511s %1s", node, inst, extra);
        if (n <= 0)
            continue;
        if (n != 2)
            return conf_error (err, name, line, "expected NODE INSTANCE-ID", NULL);
        if (tab_get (&m->bynode, node) >= 0)
            return conf_error (err, name, line, "node named twice: ", node);
        if (tab_get (&m->byinst, inst) >= 0)
            return conf_error (err, name, line, "instance named twice: ", inst);
        size_t a = m->alloc;
        if (grow ((void **)&m->inst, &a, m->n + 1, sizeof (char *)) < 0 ||
            grow ((void **)&m->node, &m->alloc, m->n + 1, sizeof (char *)) < 0)
            return herror_set (err, "out of memory");
        m->inst[m->n] = strdup (inst);
        m->node[m->n] = strdup (node);
        if (!m->inst[m->n] || !m->node[m->n] ||
            tab_put (&m->bynode, m->node[m->n], (int)m->n) < 0 ||
            tab_put (&m->byinst, m->inst[m->n], (int)m->n) < 0) {
            m->n++;
            return herror_set (err, "out of memory");
        }
        m->n++;
    }
    return 0;
}

static int ec2_error (struct herror *err, const char *name, size_t i, const char *what,
                      const char *detail)
{
    char show[HERROR_SHOW_SIZE];
    errno = EINVAL;
    return herror_set (err, "%s: Instances[%zu]: %s%s", name, i, what,
                       detail ? herror_show (detail, strlen (detail), show, sizeof (show)) : "");
}

/* Network node LAYER of one instance: the switch, made when new; checks
 * it sits under PARENT (-1: top layer) as everywhere else. */
static int ec2_switch (struct fabric *f, const char *nn, int parent, const char *name, size_t i,
                       struct herror *err)
{
    int sw = tab_get (&f->swtab, nn);
    if (sw < 0) {
        /* A switch has either nodes or switches under it (fabric.h): an
         * instance whose last network node is PARENT made it a leaf. */
        if (parent >= 0 && f->sw[parent].nnodes > 0) {
            errno = EINVAL;
            return herror_set (err,
                               "%s: Instances[%zu]: network node %s has network nodes under it "
                               "here and instances under it for another instance",
                               name, i, f->sw[parent].name);
        }
        if ((sw = add_switch (f, nn, 0)) < 0 || (parent >= 0 && add_kid (f, parent, sw) < 0))
            return herror_set (err, "out of memory");
        return sw;
    }
    if (f->sw[sw].parent != parent) {
        errno = EINVAL;
        return herror_set (err,
                           "%s: Instances[%zu]: network node %s is under %s here and under %s "
                           "for another instance",
                           name, i, nn, parent >= 0 ? f->sw[parent].name : "nothing",
                           f->sw[sw].parent >= 0 ? f->sw[f->sw[sw].parent].name : "nothing");
    }
    return sw;
}

/* Instance I, ID under the network nodes NNS[0..N-1] (top layer first; a
 * NULL entry is a value that was not a string), into the fabric.  Both
 * readers of the JSON below end here, so they accept and refuse alike. */
static int ec2_add (struct fabric *f, const char *id, const char *const *nns, size_t n,
                    const struct ec2map *map, const char *name, size_t i, struct herror *err)
{
    int parent = -1;

    if (!id || !*id)
        return ec2_error (err, name, i, "no InstanceId", NULL);
    if (n < 1 || n > EC2_MAX_LAYERS)
        return ec2_error (err, name, i, "NetworkNodes is not a list of 1 to 8 names: ", id);
    const char *node = id;
    if (map) {
        int m = tab_get (&map->byinst, id);
        if (m < 0)
            return 0; /* not one of the cluster's instances */
        node = map->node[m];
    }
    /* JSON strings are UTF-8, but "\u0007" is a control character */
    if (!no_control (id))
        return ec2_error (err, name, i, "InstanceId has a control character", NULL);
    for (size_t k = 0; k < n; k++) {
        if (!nns[k] || !*nns[k] || !no_control (nns[k]))
            return ec2_error (err, name, i, "a network node is not a name: ", id);
        if ((parent = ec2_switch (f, nns[k], parent, name, i, err)) < 0)
            return -1;
    }
    if (f->sw[parent].nkids > 0)
        return ec2_error (err, name, i,
                          "last network node has network nodes under it: ", f->sw[parent].name);
    return add_leaf_node (f, parent, node) < 0 ? herror_set (err, "out of memory") : 0;
}

static int ec2_instance (struct fabric *f, json_t *inst, const struct ec2map *map, const char *name,
                         size_t i, struct herror *err)
{
    json_t *nns = json_object_get (inst, "NetworkNodes");
    const char *nn[EC2_MAX_LAYERS];
    size_t n = json_is_array (nns) ? json_array_size (nns) : 0;

    for (size_t k = 0; k < n && k < EC2_MAX_LAYERS; k++)
        nn[k] = json_string_value (json_array_get (nns, k));
    return ec2_add (f, json_string_value (json_object_get (inst, "InstanceId")), nn, n, map, name,
                    i, err);
}

/* ------------------------------------------------ EC2, the quick reader
 *
 * Why a JSON reader of our own next to jansson: json_loads() builds a tree
 * of every instance (an object of five keys and four strings, a dozen
 * allocations each) only for two of its fields to be read and the whole
 * tree freed again.  For 10,000 instances that was most of a reload:
 * json_loads() + json_decref() took 50-120 ms of the 65-110 ms that
 * fabric_bench measured.  This reader goes over the same text once,
 * allocating nothing but the fabric, and hands InstanceId and
 * NetworkNodes to ec2_add() as it meets them.
 *
 * It only takes the plain case that DescribeInstanceTopology writes:
 * strict JSON whose strings are printable ASCII without escapes, no
 * numbers, no key given twice in an instance or at the top, nesting at
 * most EC2_SCAN_DEPTH deep.  Anything else, and any error at all, makes it
 * give up, and fabric_parse_ec2() reads the text again with jansson: what
 * is accepted, what is refused and every message stay what they were. */

struct scan {
    const char *p;
};

static void scan_ws (struct scan *s)
{
    while (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')
        s->p++;
}

/* After white space, C: consumed. */
static bool scan_char (struct scan *s, char c)
{
    scan_ws (s);
    if (*s->p != c)
        return false;
    s->p++;
    return true;
}

/* A string without escapes: *V, *LEN its bytes in the text. */
static bool scan_string (struct scan *s, const char **v, size_t *len)
{
    if (!scan_char (s, '"'))
        return false;
    const char *start = s->p;
    while (*s->p >= 0x20 && *s->p < 0x7f && *s->p != '"' && *s->p != '\\')
        s->p++;
    if (*s->p != '"')
        return false;
    *v = start;
    *len = (size_t)(s->p - start);
    s->p++;
    return true;
}

static bool scan_is (const char *v, size_t len, const char *key)
{
    return strlen (key) == len && memcmp (v, key, len) == 0;
}

static bool scan_value (struct scan *s, int depth);

/* Members of an object whose '{' was read, none of them kept. */
static bool scan_object_rest (struct scan *s, int depth)
{
    const char *k;
    size_t klen;
    if (scan_char (s, '}'))
        return true;
    do {
        if (!scan_string (s, &k, &klen) || !scan_char (s, ':') || !scan_value (s, depth))
            return false;
    } while (scan_char (s, ','));
    return scan_char (s, '}');
}

static bool scan_value (struct scan *s, int depth)
{
    const char *v;
    size_t len;
    scan_ws (s);
    if (depth > EC2_SCAN_DEPTH)
        return false;
    switch (*s->p) {
    case '"':
        return scan_string (s, &v, &len);
    case '{':
        s->p++;
        return scan_object_rest (s, depth + 1);
    case '[':
        s->p++;
        if (scan_char (s, ']'))
            return true;
        do {
            if (!scan_value (s, depth + 1))
                return false;
        } while (scan_char (s, ','));
        return scan_char (s, ']');
    }
    static const char *const words[] = {"true", "false", "null"};
    for (size_t i = 0; i < 3; i++) {
        if (strncmp (s->p, words[i], strlen (words[i])) == 0) {
            s->p += strlen (words[i]);
            return true;
        }
    }
    return false; /* numbers too: the names are strings */
}

/* Copy of the string V (LEN bytes) into BUF[*USED..], NUL-terminated. */
static bool scan_keep (char **buf, size_t *used, size_t *alloc, const char *v, size_t len)
{
    if (grow ((void **)buf, alloc, *used + len + 1, 1) < 0)
        return false;
    memcpy (*buf + *used, v, len);
    (*buf)[*used + len] = '\0';
    *used += len + 1;
    return true;
}

/* Instances[I]; its '{' not yet read. */
static bool scan_instance (struct scan *s, struct fabric *f, const struct ec2map *map,
                           const char *name, size_t i, char **buf, size_t *alloc)
{
    const char *k, *v, *id = NULL, *nn[EC2_MAX_LAYERS];
    size_t klen, vlen, idlen = 0, nnlen[EC2_MAX_LAYERS], n = 0;
    bool seen_nns = false;

    if (!scan_char (s, '{'))
        return false;
    if (!scan_char (s, '}')) {
        do {
            if (!scan_string (s, &k, &klen) || !scan_char (s, ':'))
                return false;
            if (scan_is (k, klen, "InstanceId")) {
                if (id || !scan_string (s, &id, &idlen))
                    return false;
            } else if (scan_is (k, klen, "NetworkNodes")) {
                if (seen_nns || !scan_char (s, '['))
                    return false;
                seen_nns = true;
                if (!scan_char (s, ']')) {
                    do {
                        if (n == EC2_MAX_LAYERS || !scan_string (s, &v, &vlen))
                            return false;
                        nn[n] = v;
                        nnlen[n++] = vlen;
                    } while (scan_char (s, ','));
                    if (!scan_char (s, ']'))
                        return false;
                }
            } else if (!scan_value (s, 2))
                return false;
        } while (scan_char (s, ','));
        if (!scan_char (s, '}'))
            return false;
    }
    if (!id || n == 0)
        return false;
    size_t used = 0, at[EC2_MAX_LAYERS + 1];
    if (!scan_keep (buf, &used, alloc, id, idlen))
        return false;
    for (size_t j = 0; j < n; j++) {
        at[j] = used;
        if (!scan_keep (buf, &used, alloc, nn[j], nnlen[j]))
            return false;
    }
    const char *names[EC2_MAX_LAYERS];
    for (size_t j = 0; j < n; j++)
        names[j] = *buf + at[j];
    struct herror ignored = {""};
    return ec2_add (f, *buf, names, n, map, name, i, &ignored) == 0;
}

/* TEXT into F, or false: F is then to be thrown away. */
static bool ec2_scan (struct fabric *f, const char *text, const struct ec2map *map,
                      const char *name)
{
    struct scan s = {text};
    const char *k;
    size_t klen, i = 0, alloc = 0;
    char *buf = NULL;
    bool ok = scan_char (&s, '{'), seen = false;

    while (ok) {
        ok = scan_string (&s, &k, &klen) && scan_char (&s, ':');
        if (ok && scan_is (k, klen, "Instances")) {
            ok = !seen && scan_char (&s, '[');
            seen = true;
            if (ok && !scan_char (&s, ']')) {
                do
                    ok = scan_instance (&s, f, map, name, i++, &buf, &alloc);
                while (ok && scan_char (&s, ','));
                ok = ok && scan_char (&s, ']');
            }
        } else
            ok = ok && scan_value (&s, 1);
        if (!ok || !scan_char (&s, ','))
            break;
    }
    free (buf);
    ok = ok && seen && scan_char (&s, '}');
    scan_ws (&s);
    return ok && *s.p == '\0';
}

/* Several top network nodes: one "root" above them (the model has one). */
static int ec2_root (struct fabric *f, struct herror *err)
{
    size_t tops = 0;
    for (size_t i = 0; i < f->nsw; i++)
        tops += f->sw[i].parent < 0;
    if (tops <= 1)
        return 0;
    if (tab_get (&f->swtab, "root") >= 0) {
        errno = EINVAL;
        return herror_set (err, "a network node is named \"root\", the name of the top switch");
    }
    size_t n = f->nsw;
    int root = add_switch (f, "root", 0);
    if (root < 0)
        return herror_set (err, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (f->sw[i].parent < 0 && add_kid (f, root, (int)i) < 0)
            return herror_set (err, "out of memory");
    }
    return 0;
}

/* TEXT into *F with jansson (made anew: the quick reader gave up on it). */
static int ec2_jansson (struct fabric **f, const char *text, const struct ec2map *map,
                        const char *name, struct herror *err)
{
    json_error_t jerr;
    json_t *o, *insts;
    int rc = 0;

    fabric_destroy (*f);
    if (!(*f = fabric_new()))
        return herror_set (err, "out of memory");
    if (!(o = json_loads (text, 0, &jerr))) {
        errno = EINVAL;
        return herror_set (err, "%s:%d: not JSON: %s", name, jerr.line, jerr.text);
    }
    if (!json_is_array (insts = json_object_get (o, "Instances"))) {
        errno = EINVAL;
        rc = herror_set (err, "%s: no \"Instances\" list (DescribeInstanceTopology output)", name);
    }
    for (size_t i = 0; rc == 0 && i < json_array_size (insts); i++)
        rc = ec2_instance (*f, json_array_get (insts, i), map, name, i, err);
    json_decref (o);
    return rc;
}

struct fabric *fabric_parse_ec2 (const char *text, const char *name, const char *map_text,
                                 const char *map_name, struct herror *err)
{
    struct ec2map map = {0};
    const struct ec2map *m = map_text ? &map : NULL;
    struct fabric *f = fabric_new();
    int rc = 0;

    if (!f)
        rc = herror_set (err, "out of memory");
    else if (map_text && map_parse (&map, map_text, map_name, err) < 0)
        rc = -1;
    else if (!ec2_scan (f, text, m, name))
        rc = ec2_jansson (&f, text, m, name, err);
    if (rc == 0)
        rc = ec2_root (f, err);
    if (rc == 0)
        rc = build (f, name, err);
    map_free (&map);
    if (rc < 0) {
        if (errno != EINVAL)
            errno = ENOMEM;
        fabric_destroy (f);
        return NULL;
    }
    return f;
}

/* ------------------------------------------------------- built in code */

struct fabric *fabric_create (void)
{
    struct fabric *f = fabric_new();
    if (!f)
        errno = ENOMEM;
    return f;
}

int fabric_add_switch (struct fabric *f, const char *name, int parent)
{
    if (tab_get (&f->swtab, name) >= 0) {
        errno = EEXIST;
        return -1;
    }
    if (parent >= (int)f->nsw || (parent >= 0 && f->sw[parent].nnodes > 0)) {
        errno = EINVAL;
        return -1;
    }
    int sw = add_switch (f, name, 0);
    if (sw < 0 || (parent >= 0 && add_kid (f, parent, sw) < 0)) {
        errno = ENOMEM;
        return -1;
    }
    return sw;
}

int fabric_add_node (struct fabric *f, int leaf, const char *name)
{
    if (leaf < 0 || leaf >= (int)f->nsw || f->sw[leaf].nkids > 0) {
        errno = EINVAL;
        return -1;
    }
    if (add_leaf_node (f, leaf, name) < 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

int fabric_finish (struct fabric *f, struct herror *err)
{
    return build (f, "fabric", err);
}

bool fabric_same (const struct fabric *a, const struct fabric *b)
{
    if (a->nsw != b->nsw || a->norder != b->norder || a->root != b->root)
        return false;
    for (size_t i = 0; i < a->nsw; i++) {
        const struct fswitch *x = &a->sw[i], *y = &b->sw[i];
        if (strcmp (x->name, y->name) != 0 || x->parent != y->parent || x->level != y->level ||
            x->first != y->first || x->count != y->count)
            return false;
    }
    for (size_t i = 0; i < a->norder; i++) {
        if (strcmp (a->order[i], b->order[i]) != 0 || a->order_leaf[i] != b->order_leaf[i])
            return false;
    }
    return true;
}

/* ----------------------------------------------------------- the file */

#define FABRIC_MAX_BYTES (256L * 1024 * 1024)

/* The file's text, with no NUL inside (both parsers stop at one). */
static char *read_text (const char *path, struct herror *err)
{
    long len;
    char *buf = topo_read_file (path, FABRIC_MAX_BYTES, "a fabric file", &len, err);
    if (buf && memchr (buf, '\0', (size_t)len)) {
        free (buf);
        errno = EINVAL;
        herror_set (err, "%s: contains a NUL byte", path);
        return NULL;
    }
    return buf;
}

struct fabric *fabric_load (const char *path, const char *map_path, struct herror *err)
{
    char *text = read_text (path, err), *map = NULL;
    struct fabric *f = NULL;

    if (!text)
        return NULL;
    const char *p = text;
    while (isspace ((unsigned char)*p))
        p++;
    if (*p == '{') {
        if (!map_path || (map = read_text (map_path, err)))
            f = fabric_parse_ec2 (text, path, map, map_path, err);
    } else if (map_path) {
        errno = EINVAL;
        herror_set (err, "%s: a map file is for EC2 topology JSON, and this is topology.conf",
                    path);
    } else
        f = fabric_parse_topology_conf (text, path, err);
    int saved = errno;
    free (text);
    free (map);
    errno = saved;
    return f;
}

/* ---------------------------------------------------------- accessors */

size_t fabric_switch_count (const struct fabric *f)
{
    return f->nsw;
}

size_t fabric_node_count (const struct fabric *f)
{
    return f->norder;
}

int fabric_root (const struct fabric *f)
{
    return f->root;
}

const char *fabric_switch_name (const struct fabric *f, int sw)
{
    return f->sw[sw].name;
}

int fabric_switch_parent (const struct fabric *f, int sw)
{
    return f->sw[sw].parent;
}

int fabric_switch_level (const struct fabric *f, int sw)
{
    return f->sw[sw].level;
}

const char *fabric_switch_link_speed (const struct fabric *f, int sw)
{
    return f->sw[sw].speed;
}

bool fabric_switch_is_lone (const struct fabric *f, int sw)
{
    return f->sw[sw].lone;
}

bool fabric_switch_is_leaf (const struct fabric *f, int sw)
{
    return f->sw[sw].nkids == 0;
}

size_t fabric_switch_nchildren (const struct fabric *f, int sw)
{
    return f->sw[sw].nkids;
}

int fabric_switch_child (const struct fabric *f, int sw, size_t i)
{
    return i < f->sw[sw].nkids ? f->sw[sw].kids[i] : -1;
}

void fabric_switch_range (const struct fabric *f, int sw, size_t *first, size_t *count)
{
    *first = f->sw[sw].first;
    *count = f->sw[sw].count;
}

int fabric_switch_lookup (const struct fabric *f, const char *name)
{
    return tab_get (&f->swtab, name);
}

const char *fabric_node_name (const struct fabric *f, size_t node)
{
    return node < f->norder ? f->order[node] : NULL;
}

int fabric_node_leaf (const struct fabric *f, size_t node)
{
    return node < f->norder ? f->order_leaf[node] : -1;
}

long fabric_node_lookup (const struct fabric *f, const char *name)
{
    return tab_get (&f->nodetab, name);
}

int fabric_add_lone_nodes (struct fabric *f, const char *const *names, size_t n)
{
    struct nametab seen = {0};
    int rc = 0;

    /* Every check before the first change. */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (fabric_node_lookup (f, names[i]) >= 0 || fabric_switch_lookup (f, names[i]) >= 0 ||
            strcmp (names[i], "root") == 0 || tab_get (&seen, names[i]) >= 0) {
            errno = EEXIST;
            rc = -1;
        } else if (tab_put (&seen, names[i], (int)i) < 0)
            rc = -1;
    }
    tab_free (&seen);
    if (rc < 0)
        return -1;
    if (n == 0)
        return 0;
    int root = f->root;
    if (root < 0 || f->sw[root].nkids == 0) {
        if (fabric_switch_lookup (f, "root") >= 0) {
            errno = EEXIST;
            return -1;
        }
        int top = add_switch (f, "root", 0);
        if (top < 0 || (root >= 0 && add_kid (f, top, root) < 0))
            return -1;
        root = top;
    }
    for (size_t i = 0; i < n; i++) {
        int leaf = add_switch (f, names[i], 0);
        if (leaf < 0 || add_kid (f, root, leaf) < 0 || add_leaf_node (f, leaf, names[i]) < 0)
            return -1;
        f->sw[leaf].lone = true;
    }
    /* One renumbering for all of them: O(nodes). */
    return build (f, "fabric", NULL) < 0 ? -1 : 0;
}

int fabric_add_lone_node (struct fabric *f, const char *name)
{
    return fabric_add_lone_nodes (f, &name, 1);
}
