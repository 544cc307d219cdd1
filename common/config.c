/* config.c - table-driven configuration (see config.h) */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CONFIG_LINE_MAX 4096

struct config_value {
    char *text;  /* as written */
    int64_t num; /* INT/UINT/DURATION/SIZE/BOOL/LOGLEVEL */
    char **list; /* STRLIST: NULL-terminated */
    size_t nlist;
};

struct config {
    const struct config_option *table;
    size_t n;
    struct config_value *values; /* one per table entry */
};

/* Names compare with '-' and '_' alike, so --heartbeat-timeout works. */
static bool name_eq (const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char ca = *a == '-' ? '_' : *a;
        char cb = *b == '-' ? '_' : *b;
        if (ca != cb)
            return false;
    }
    return *a == *b;
}

static int find (const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n; i++)
        if (name_eq (cfg->table[i].name, name))
            return (int)i;
    return -1;
}

static void value_clear (struct config_value *v)
{
    free (v->text);
    if (v->list) {
        for (size_t i = 0; i < v->nlist; i++)
            free (v->list[i]);
        free (v->list);
    }
    memset (v, 0, sizeof (*v));
}

/* Parse a decimal integer with an optional unit suffix, looked up in units
 * (pairs of suffix, multiplier; case-insensitive).  Returns 0 or -1. */
struct unit {
    const char *suffix;
    int64_t mult;
};

static int parse_scaled (const char *s, const struct unit *units, bool allow_negative, int64_t *out)
{
    const char *p = s;
    while (isspace ((unsigned char)*p))
        p++;
    if (!isdigit ((unsigned char)*p) &&
        !(allow_negative && *p == '-' && isdigit ((unsigned char)p[1])))
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll (p, &end, 10);
    if (errno == ERANGE)
        return -1;
    while (*end == ' ' || *end == '\t')
        end++;
    int64_t mult = 1;
    if (*end) {
        const struct unit *u = units;
        while (u && u->suffix && strcasecmp (end, u->suffix) != 0)
            u++;
        if (!u || !u->suffix)
            return -1;
        mult = u->mult;
    }
    if (v > 0 && v > INT64_MAX / mult)
        return -1;
    if (v < 0 && v < INT64_MIN / mult)
        return -1;
    *out = (int64_t)v * mult;
    return 0;
}

static const struct unit duration_units[] = {
    {"s", 1}, {"sec", 1}, {"m", 60}, {"min", 60}, {"h", 3600}, {"d", 86400}, {NULL, 0},
};

#define KI (int64_t)1024
static const struct unit size_units[] = {
    {"b", 1},
    {"k", KI},
    {"kb", KI},
    {"kib", KI},
    {"m", KI *KI},
    {"mb", KI *KI},
    {"mib", KI *KI},
    {"g", KI *KI *KI},
    {"gb", KI *KI *KI},
    {"gib", KI *KI *KI},
    {"t", KI *KI *KI *KI},
    {"tb", KI *KI *KI *KI},
    {"tib", KI *KI *KI *KI},
    {NULL, 0},
};

static int parse_bool (const char *s, int64_t *out)
{
    static const char *yes[] = {"yes", "true", "on", "1", NULL};
    static const char *no[] = {"no", "false", "off", "0", NULL};
    for (int i = 0; yes[i]; i++) {
        if (!strcasecmp (s, yes[i])) {
            *out = 1;
            return 0;
        }
        if (!strcasecmp (s, no[i])) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

static int parse_list (const char *s, struct config_value *v)
{
    size_t cap = 4, n = 0;
    char **list = calloc (cap, sizeof (*list));
    if (!list)
        return -1;
    const char *p = s;
    for (;;) {
        p += strspn (p, ", \t");
        if (!*p)
            break;
        size_t len = strcspn (p, ", \t");
        if (n + 2 > cap) {
            char **nl = realloc (list, 2 * cap * sizeof (*list));
            if (!nl)
                goto nomem;
            list = nl;
            cap *= 2;
        }
        if (!(list[n] = strndup (p, len)))
            goto nomem;
        list[++n] = NULL;
        p += len;
    }
    list[n] = NULL;
    v->list = list;
    v->nlist = n;
    return 0;
nomem:
    for (size_t i = 0; i < n; i++)
        free (list[i]);
    free (list);
    return -1;
}

static const char *type_word (enum config_type t)
{
    switch (t) {
    case CONFIG_INT:
        return "an integer";
    case CONFIG_UINT:
        return "a non-negative integer";
    case CONFIG_DURATION:
        return "a duration";
    case CONFIG_SIZE:
        return "a size";
    case CONFIG_BOOL:
        return "yes or no";
    case CONFIG_LOGLEVEL:
        return "a log level (error, warn, info, debug)";
    default:
        return "valid";
    }
}

/* Parse text for opt into a fresh value.  -1 with err = "NAME "TEXT": why". */
static int parse_value (const struct config_option *opt, const char *text, struct config_value *out,
                        struct herror *err)
{
    struct config_value v = {0};
    int rc = 0;
    switch (opt->type) {
    case CONFIG_INT:
        rc = parse_scaled (text, NULL, true, &v.num);
        break;
    case CONFIG_UINT:
        rc = parse_scaled (text, NULL, false, &v.num);
        break;
    case CONFIG_DURATION:
        rc = parse_scaled (text, duration_units, false, &v.num);
        break;
    case CONFIG_SIZE:
        rc = parse_scaled (text, size_units, false, &v.num);
        break;
    case CONFIG_BOOL:
        rc = parse_bool (text, &v.num);
        break;
    case CONFIG_LOGLEVEL: {
        enum log_level l;
        rc = log_level_parse (text, &l);
        v.num = l;
        break;
    }
    case CONFIG_STRING:
        break;
    case CONFIG_STRLIST:
        if (parse_list (text, &v) < 0)
            goto nomem;
        break;
    }
    if (rc < 0) {
        errno = EINVAL;
        return herror_set (err, "%s \"%.200s\": not %s", opt->name, text, type_word (opt->type));
    }
    bool numeric = opt->type == CONFIG_INT || opt->type == CONFIG_UINT ||
                   opt->type == CONFIG_DURATION || opt->type == CONFIG_SIZE;
    if (numeric && (opt->min != 0 || opt->max != 0) && (v.num < opt->min || v.num > opt->max)) {
        errno = EINVAL;
        return herror_set (err, "%s \"%.200s\": must be between %lld and %lld", opt->name, text,
                           (long long)opt->min, (long long)opt->max);
    }
    if (!(v.text = strdup (text)))
        goto nomem;
    *out = v;
    return 0;
nomem:
    value_clear (&v);
    errno = ENOMEM;
    return herror_set (err, "out of memory");
}

struct config *config_create (const struct config_option *table, struct herror *err)
{
    struct config *cfg = calloc (1, sizeof (*cfg));
    if (!cfg)
        goto nomem;
    cfg->table = table;
    while (table[cfg->n].name)
        cfg->n++;
    if (!(cfg->values = calloc (cfg->n + 1, sizeof (*cfg->values))))
        goto nomem;
    for (size_t i = 0; i < cfg->n; i++) {
        const char *def = table[i].def ? table[i].def : "";
        if (!table[i].def && table[i].type != CONFIG_STRING && table[i].type != CONFIG_STRLIST)
            def = table[i].type == CONFIG_BOOL       ? "no"
                  : table[i].type == CONFIG_LOGLEVEL ? "info"
                                                     : "0";
        if (parse_value (&table[i], def, &cfg->values[i], err) < 0) {
            herror_prefix (err, "default of option");
            config_destroy (cfg);
            return NULL;
        }
    }
    return cfg;
nomem:
    config_destroy (cfg);
    errno = ENOMEM;
    herror_set (err, "out of memory");
    return NULL;
}

void config_destroy (struct config *cfg)
{
    int saved = errno;
    if (cfg) {
        if (cfg->values)
            for (size_t i = 0; i < cfg->n; i++)
                value_clear (&cfg->values[i]);
        free (cfg->values);
        free (cfg);
    }
    errno = saved;
}

int config_set (struct config *cfg, const char *name, const char *value, struct herror *err)
{
    int i = find (cfg, name);
    if (i < 0) {
        errno = EINVAL;
        return herror_set (err, "unknown option \"%.200s\"", name);
    }
    struct config_value v;
    if (parse_value (&cfg->table[i], value, &v, err) < 0)
        return -1;
    value_clear (&cfg->values[i]);
    cfg->values[i] = v;
    return 0;
}

/* Split one file line in place into name and value.  1: an option, 0: blank
 * or comment, -1: err says why. */
static int split_line (char *line, char **name, char **value, struct herror *err)
{
    /* strip the comment, outside double quotes */
    bool quoted = false;
    for (char *p = line; *p; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (*p == '#' && !quoted) {
            *p = '\0';
            break;
        }
    }
    if (quoted)
        return herror_set (err, "unterminated quote");
    char *p = line;
    while (isspace ((unsigned char)*p))
        p++;
    if (!*p)
        return 0;
    char *eq = strchr (p, '=');
    if (!eq)
        return herror_set (err, "expected \"name = value\"");
    char *n_end = eq;
    while (n_end > p && isspace ((unsigned char)n_end[-1]))
        n_end--;
    *n_end = '\0';
    if (!*p)
        return herror_set (err, "option name missing before \"=\"");
    char *v = eq + 1;
    while (isspace ((unsigned char)*v))
        v++;
    char *v_end = v + strlen (v);
    while (v_end > v && isspace ((unsigned char)v_end[-1]))
        v_end--;
    *v_end = '\0';
    if (v_end - v >= 2 && *v == '"' && v_end[-1] == '"') {
        v++;
        v_end[-1] = '\0';
    } else if (strchr (v, '"')) {
        return herror_set (err, "misplaced quote in value");
    }
    *name = p;
    *value = v;
    return 1;
}

int config_load_file (struct config *cfg, const char *path, struct herror *err)
{
    FILE *f = fopen (path, "r");
    if (!f)
        return herror_set (err, "%s: %s", path, strerror (errno));
    char line[CONFIG_LINE_MAX];
    int lineno = 0;
    int rc = 0;
    while (fgets (line, sizeof (line), f)) {
        lineno++;
        size_t len = strlen (line);
        if (len == sizeof (line) - 1 && line[len - 1] != '\n' && !feof (f)) {
            herror_set (err, "%s line %d: line too long", path, lineno);
            rc = -1;
            break;
        }
        char *name = NULL, *value = NULL;
        int k = split_line (line, &name, &value, err);
        if (k > 0)
            k = config_set (cfg, name, value, err) < 0 ? -1 : 1;
        if (k < 0) {
            herror_prefix (err, "%s line %d", path, lineno);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror (f)) {
        herror_set (err, "%s: read error", path);
        rc = -1;
    }
    fclose (f);
    if (rc < 0)
        errno = EINVAL;
    return rc;
}

static const struct config_value *lookup (const struct config *cfg, const char *name,
                                          unsigned types)
{
    int i = find (cfg, name);
    if (i < 0) {
        errno = ENOENT;
        return NULL;
    }
    if (!(types & (1u << cfg->table[i].type))) {
        errno = EINVAL;
        return NULL;
    }
    return &cfg->values[i];
}

#define T(x) (1u << (x))

int64_t config_get_int (const struct config *cfg, const char *name)
{
    const struct config_value *v = lookup (
        cfg, name, T (CONFIG_INT) | T (CONFIG_UINT) | T (CONFIG_DURATION) | T (CONFIG_SIZE));
    return v ? v->num : 0;
}

bool config_get_bool (const struct config *cfg, const char *name)
{
    const struct config_value *v = lookup (cfg, name, T (CONFIG_BOOL));
    return v ? v->num != 0 : false;
}

const char *config_get_string (const struct config *cfg, const char *name)
{
    const struct config_value *v = lookup (cfg, name, T (CONFIG_STRING));
    return v ? v->text : NULL;
}

enum log_level config_get_loglevel (const struct config *cfg, const char *name)
{
    const struct config_value *v = lookup (cfg, name, T (CONFIG_LOGLEVEL));
    return v ? (enum log_level)v->num : LOG_LEVEL_INFO;
}

const char *const *config_get_strlist (const struct config *cfg, const char *name, size_t *count)
{
    const struct config_value *v = lookup (cfg, name, T (CONFIG_STRLIST));
    if (count)
        *count = v ? v->nlist : 0;
    return v ? (const char *const *)v->list : NULL;
}

const char *config_get_text (const struct config *cfg, const char *name)
{
    const struct config_value *v = lookup (cfg, name, ~0u);
    return v ? v->text : NULL;
}

static const char *type_metavar (enum config_type t)
{
    static const char *names[] = {"INT",    "UINT", "DURATION", "SIZE",
                                  "STRING", "BOOL", "LEVEL",    "LIST"};
    return names[t];
}

void config_print_help (const struct config_option *table, FILE *f)
{
    for (const struct config_option *o = table; o->name; o++) {
        fprintf (f, "  --");
        for (const char *p = o->name; *p; p++)
            fputc (*p == '_' ? '-' : *p, f);
        fprintf (f, "=%s\n      %s", type_metavar (o->type), o->help ? o->help : "");
        bool range = (o->min != 0 || o->max != 0) && o->type != CONFIG_STRING &&
                     o->type != CONFIG_BOOL && o->type != CONFIG_LOGLEVEL &&
                     o->type != CONFIG_STRLIST;
        if ((o->def && *o->def) || range) {
            fprintf (f, " (");
            if (o->def && *o->def)
                fprintf (f, "default: %s", o->def);
            if (range)
                fprintf (f, "%s%lld..%lld", o->def && *o->def ? "; " : "", (long long)o->min,
                         (long long)o->max);
            fprintf (f, ")");
        }
        fprintf (f, "\n");
    }
}

void config_print (const struct config *cfg, FILE *f)
{
    for (size_t i = 0; i < cfg->n; i++) {
        const char *t = cfg->values[i].text;
        bool quote = !*t || strpbrk (t, "#\"") || isspace ((unsigned char)t[0]) ||
                     isspace ((unsigned char)t[strlen (t) - 1]);
        fprintf (f, quote ? "%s = \"%s\"\n" : "%s = %s\n", cfg->table[i].name, t);
    }
}

/* One pass over argv: the config pass applies only --config, the other
 * pass everything but --config. */
static int parse_args_pass (struct config *cfg, int argc, char *const argv[], bool config_pass,
                            struct herror *err)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp (a, "--", 2) != 0 || a[2] == '\0')
            return herror_set (err, "unexpected argument \"%s\" (see --help)", a);
        char name[64];
        const char *eq = strchr (a, '=');
        size_t len = eq ? (size_t)(eq - a - 2) : strlen (a + 2);
        snprintf (name, sizeof (name), "%.*s", (int)len, a + 2);
        const char *value = eq ? eq + 1 : NULL;
        int k = find (cfg, name);
        if (!value && k >= 0 && cfg->table[k].type == CONFIG_BOOL &&
            (i + 1 >= argc || strncmp (argv[i + 1], "--", 2) == 0))
            value = "yes";
        if (!value) {
            if (i + 1 >= argc)
                return herror_set (err, "option --%s needs a value", name);
            value = argv[++i];
        }
        bool is_config = strcmp (name, "config") == 0;
        if (is_config && config_pass && config_load_file (cfg, value, err) < 0)
            return -1;
        if (!is_config && !config_pass && config_set (cfg, name, value, err) < 0)
            return -1;
    }
    return 0;
}

int config_parse_args (struct config *cfg, int argc, char *const argv[], struct herror *err)
{
    if (parse_args_pass (cfg, argc, argv, true, err) < 0)
        return -1;
    return parse_args_pass (cfg, argc, argv, false, err);
}

bool config_args_want_help (int argc, char *const argv[])
{
    for (int i = 1; i < argc; i++)
        if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
            return true;
    return false;
}
