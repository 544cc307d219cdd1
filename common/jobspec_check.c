/* jobspec_check.c - validators for what users name: job, queue, host,
 * paths, dependencies.  Shared by the option parser and jobspec_from_json(). */
#include "jobspec.h"
#include "jobspec_internal.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <stdbool.h>

#include "pbs_resources.h"
#include "utf8.h"

bool jobspec_host_valid (const char *s, size_t len)
{
    if (!s || len == 0 || len > 255 || !isalnum ((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isalnum ((unsigned char)s[i]) && !strchr ("._-", s[i]))
            return false;
    }
    return true;
}

int jobspec_check_name (const char *name, struct herror *err)
{
    size_t n = name ? strlen (name) : 0;

    if (n == 0)
        return herror_set (err, "the job name is empty");
    if (n > JOBSPEC_NAME_MAX)
        return herror_set (err, "a job name has at most %d characters", JOBSPEC_NAME_MAX);
    if (!isalnum ((unsigned char)name[0]) && name[0] != '_')
        return herror_set (err, "a job name must start with a letter, a digit or '_'");
    for (const char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!isgraph (c) || c > 126 || c == '/' || c == ':' || c == '@')
            return herror_set (err, "a job name cannot contain blanks, control characters, "
                                    "'/', ':' or '@'");
    }
    return 0;
}

int jobspec_check_queue (const char *queue, struct herror *err)
{
    size_t n = queue ? strlen (queue) : 0;
    const char *at = queue ? strchr (queue, '@') : NULL;

    char shown[HERROR_SHOW_SIZE];

    /* QUEUE@SERVER, or @SERVER for that server's default queue: the
     * controller checks that SERVER is its own name */
    if (at) {
        if (!pbs_hostname_valid (at + 1))
            return herror_set (err, "\"%s\" is not a server name",
                               herror_show (at + 1, strlen (at + 1), shown, sizeof (shown)));
        n = (size_t)(at - queue);
        if (n == 0)
            return 0;
    }
    if (n == 0)
        return herror_set (err, "the queue name is empty");
    if (n > JOBSPEC_QUEUE_MAX)
        return herror_set (err, "a queue name has at most %d characters", JOBSPEC_QUEUE_MAX);
    if (!isalnum ((unsigned char)queue[0]))
        return herror_set (err, "a queue name must start with a letter or a digit");
    for (const char *p = queue; p < queue + n; p++) {
        if (!isalnum ((unsigned char)*p) && !strchr ("_.-", *p))
            return herror_set (err, "a queue name has only letters, digits, '_', '.' and '-'");
    }
    return 0;
}

/* "[A-Za-z0-9._-]+" over all len bytes. */
static bool server_valid (const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isalnum ((unsigned char)s[i]) && !strchr ("._-", s[i]))
            return false;
    }
    return true;
}

/* "SEQ[.SERVER][@SERVER]", SEQ digits with an optional "[]" or "[N]". */
static bool jobid_valid (const char *s, size_t len)
{
    const char *at = memchr (s, '@', len);
    if (at) {
        if (!server_valid (at + 1, len - (size_t)(at - s) - 1))
            return false;
        len = (size_t)(at - s);
    }
    size_t i = 0;

    while (i < len && isdigit ((unsigned char)s[i]))
        i++;
    if (i == 0 || i > 18)
        return false;
    if (i < len && s[i] == '[') {
        i++;
        while (i < len && isdigit ((unsigned char)s[i]))
            i++;
        if (i >= len || s[i] != ']')
            return false;
        i++;
    }
    if (i == len)
        return true;
    return s[i] == '.' && server_valid (s + i + 1, len - i - 1);
}

int jobspec_check_depend (const char *depend, struct herror *err)
{
    static const char *const types[] = {
        "after",  "afterok",  "afternotok",  "afterany",
        "before", "beforeok", "beforenotok", "beforeany",
    };
    const char *p = depend;

    if (!p || !*p)
        return herror_set (err, "no dependency given (e.g. depend=afterok:123)");
    while (1) {
        size_t len = strcspn (p, ":,");
        size_t t;
        for (t = 0; t < sizeof (types) / sizeof (types[0]); t++) {
            if (strlen (types[t]) == len && strncmp (types[t], p, len) == 0)
                break;
        }
        if (t == sizeof (types) / sizeof (types[0]))
            return herror_set (err,
                               "unknown dependency type \"%.*s\" (use after, afterok, "
                               "afternotok, afterany, before, beforeok, beforenotok or beforeany)",
                               (int)len, p);
        p += len;
        if (*p != ':')
            return herror_set (err, "dependency \"%s\" names no job (use %s:JOBID)", types[t],
                               types[t]);
        while (*p == ':') {
            p++;
            len = strcspn (p, ":,");
            if (!jobid_valid (p, len))
                return herror_set (err, "\"%.*s\" is not a job id (e.g. 123 or 123.server)",
                                   (int)len, p);
            p += len;
        }
        if (*p == '\0')
            return 0;
        p++; /* ',' */
    }
}

/* "[host:]path".  Host only when the text before the first ':' has no '/'. */
int jobspec_check_path (const char *val, bool absolute, struct herror *err)
{
    const char *colon = strchr (val, ':');
    const char *path = val;

    if (colon && memchr (val, '/', (size_t)(colon - val)) == NULL) {
        size_t hlen = (size_t)(colon - val);
        char shown[HERROR_SHOW_SIZE];
        if (!jobspec_host_valid (val, hlen))
            return herror_set (err, "\"%s\" is not a host name",
                               herror_show (val, hlen, shown, sizeof (shown)));
        path = colon + 1;
    }
    if (*path == '\0')
        return herror_set (err, "no path given");
    if (!utf8_valid (path))
        return herror_set (err, "the path is not valid UTF-8");
    if (absolute && *path != '/') {
        char shown[HERROR_SHOW_SIZE];
        return herror_set (err, "\"%s\" is not an absolute path",
                           herror_show (path, strlen (path), shown, sizeof (shown)));
    }
    for (const char *p = path; *p; p++) {
        if (iscntrl ((unsigned char)*p))
            return herror_set (err, "the path contains a control character");
    }
    return 0;
}

int jobspec_key_check (int64_t seq, struct herror *err)
{
    if (!jobspec_key_valid (seq))
        return herror_set (err, "seq: %lld is neither a job's (1 to %lld) nor a subjob's",
                           (long long)seq, (long long)JOBSPEC_SEQ_MAX);
    return 0;
}

bool jobspec_server_matches (const char *given, const char *name)
{
    size_t n = name ? strlen (name) : 0;

    return given && n > 0 && strncasecmp (given, name, n) == 0 &&
           (given[n] == '\0' || (given[n] == '.' && given[n + 1] != '\0'));
}

/* --- text attributes --- */

/* Letters each once, from set; or "n" alone when n_alone. */
static int check_letters (const char *v, const char *set, bool n_alone, const char *what,
                          struct herror *err)
{
    if (n_alone && strcmp (v, "n") == 0)
        return 0;
    if (!*v)
        return herror_set (err, "no %s given", what);
    for (const char *p = v; *p; p++) {
        if (!strchr (set, *p) || strchr (p + 1, *p))
            return herror_set (err, "%s are %s%s, each at most once", what,
                               n_alone ? "n or a combination of " : "", set);
    }
    return 0;
}

/* Printable UTF-8 text without control characters (commas allowed). */
static int check_text (const char *v, struct herror *err)
{
    if (!*v)
        return herror_set (err, "the value is empty");
    if (!utf8_valid (v))
        return herror_set (err, "the value is not valid UTF-8");
    for (const char *p = v; *p; p++) {
        if (iscntrl ((unsigned char)*p))
            return herror_set (err, "the value contains a control character");
    }
    return 0;
}

/* "NAME[@HOST][,NAME[@HOST]...]": NAME as name_ok says, HOST a host. */
static int check_list (const char *v, bool (*name_ok) (const char *, size_t), const char *what,
                       struct herror *err)
{
    const char *p = v;

    if (!*v)
        return herror_set (err, "no %s given", what);
    while (1) {
        size_t len = strcspn (p, ",");
        const char *at = memchr (p, '@', len);
        size_t nlen = at ? (size_t)(at - p) : len;
        char shown[HERROR_SHOW_SIZE];
        if (!name_ok (p, nlen))
            return herror_set (err, "\"%s\" is not a %s",
                               herror_show (p, nlen, shown, sizeof (shown)), what);
        if (at && !jobspec_host_valid (at + 1, len - nlen - 1))
            return herror_set (err, "\"%s\" is not a host name",
                               herror_show (at + 1, len - nlen - 1, shown, sizeof (shown)));
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
}

/* A user or group name: what the password database allows (see
 * check_owner in jobspec_json.c), without blanks, ',' or '@' here since
 * they separate the list. */
static bool account_name_ok (const char *s, size_t len)
{
    if (len == 0 || len > JOBSPEC_OWNER_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f || strchr ("/:,@", c))
            return false;
    }
    return true;
}

/* An address is one argument of the mail command: never an option. */
static bool mail_address_ok (const char *s, size_t len)
{
    return len > 0 && s[0] != '-' && account_name_ok (s, len);
}

static bool abs_path_ok (const char *s, size_t len)
{
    if (len < 2 || s[0] != '/')
        return false;
    for (size_t i = 0; i < len; i++) {
        if (iscntrl ((unsigned char)s[i]) || s[i] == ' ')
            return false;
    }
    return true;
}

static int check_checkpoint (const char *v, struct herror *err)
{
    static const char *const plain[] = {"n", "s", "c", "w", "u", "shutdown"};
    for (size_t i = 0; i < sizeof (plain) / sizeof (plain[0]); i++) {
        if (strcmp (v, plain[i]) == 0)
            return 0;
    }
    if ((v[0] == 'c' || v[0] == 'w') && v[1] == '=' && v[2]) {
        size_t n = strspn (v + 2, "0123456789");
        if (v[2 + n] == '\0' && n <= 9)
            return 0;
    }
    return herror_set (err, "use n, s, c, c=MINUTES, w, w=MINUTES or u");
}

static int check_sandbox (const char *v, struct herror *err)
{
    if (strcasecmp (v, "HOME") == 0)
        return 0;
    if (strcasecmp (v, "PRIVATE") == 0)
        return herror_set (err, "sandbox=PRIVATE (a job directory made and removed by the "
                                "server) is not supported yet: jobs run in their submit "
                                "directory (sandbox=HOME)");
    return herror_set (err, "use HOME or PRIVATE");
}

static const struct {
    const char *member, *pbs;
} attr_names[JOBSPEC_NATTRS] = {
    [JOBSPEC_ACCOUNT] = {"account", "Account_Name"},
    [JOBSPEC_CHECKPOINT] = {"checkpoint", "Checkpoint"},
    [JOBSPEC_GROUP_LIST] = {"group_list", "group_list"},
    [JOBSPEC_KEEP_FILES] = {"keep_files", "Keep_Files"},
    [JOBSPEC_MAIL_POINTS] = {"mail_points", "Mail_Points"},
    [JOBSPEC_MAIL_USERS] = {"mail_users", "Mail_Users"},
    [JOBSPEC_PROJECT] = {"project", "project"},
    [JOBSPEC_SANDBOX] = {"sandbox", "sandbox"},
    [JOBSPEC_SHELL_PATH] = {"shell_path", "Shell_Path_List"},
    [JOBSPEC_SOFTWARE] = {"software", "software"},
    [JOBSPEC_USER_LIST] = {"user_list", "User_List"},
};

const char *jobspec_attr_name (enum jobspec_attr a)
{
    return (unsigned)a < JOBSPEC_NATTRS ? attr_names[a].member : NULL;
}

const char *jobspec_attr_pbs_name (enum jobspec_attr a)
{
    return (unsigned)a < JOBSPEC_NATTRS ? attr_names[a].pbs : NULL;
}

int jobspec_check_attr (enum jobspec_attr a, const char *v, struct herror *err)
{
    if (!v || (unsigned)a >= JOBSPEC_NATTRS)
        return herror_set (err, "no value");
    if (strlen (v) > JOBSPEC_ATTR_MAX)
        return herror_set (err, "longer than %d bytes", JOBSPEC_ATTR_MAX);
    /* Every attribute goes on the wire as a JSON string: the lists' own
     * rules (a shell's path, a mail address) let other bytes through. */
    if (!utf8_valid (v))
        return herror_set (err, "the value is not valid UTF-8");
    switch (a) {
    case JOBSPEC_CHECKPOINT:
        return check_checkpoint (v, err);
    case JOBSPEC_KEEP_FILES:
        return check_letters (v, "oed", true, "kept files", err);
    case JOBSPEC_MAIL_POINTS:
        return check_letters (v, "abej", true, "mail points", err);
    case JOBSPEC_MAIL_USERS:
        return check_list (v, mail_address_ok, "mail address", err);
    case JOBSPEC_GROUP_LIST:
        return check_list (v, account_name_ok, "group name", err);
    case JOBSPEC_USER_LIST:
        return check_list (v, account_name_ok, "user name", err);
    case JOBSPEC_SHELL_PATH:
        return check_list (v, abs_path_ok, "shell's absolute path", err);
    case JOBSPEC_SANDBOX:
        return check_sandbox (v, err);
    default:
        return check_text (v, err);
    }
}

int jobspec_list_pick (const char *list, const char *host, char *buf, size_t size)
{
    const char *pick = NULL;
    size_t picklen = 0;

    for (const char *p = list; p && *p;) {
        size_t len = strcspn (p, ",");
        const char *at = memchr (p, '@', len);
        size_t nlen = at ? (size_t)(at - p) : len;
        if (at && host && strlen (host) == len - nlen - 1 &&
            strncasecmp (at + 1, host, len - nlen - 1) == 0) {
            pick = p;
            picklen = nlen;
            break;
        }
        if (!at && !pick) {
            pick = p;
            picklen = nlen;
        }
        p += len + (p[len] == ',');
    }
    if (!pick || picklen + 1 > size)
        return -1;
    memcpy (buf, pick, picklen);
    buf[picklen] = '\0';
    return 0;
}

/* One decimal number of at most 9 digits at *p (moved past it). */
static int array_number (const char **p, int64_t *v)
{
    const char *s = *p;
    int64_t n = 0;
    int digits = 0;
    while (*s >= '0' && *s <= '9' && digits < 10) {
        n = n * 10 + (*s++ - '0');
        digits++;
    }
    if (digits == 0 || digits > 9)
        return -1;
    *p = s;
    *v = n;
    return 0;
}

int jobspec_parse_array (const char *s, char opt, struct jobspec_array *a, struct herror *err)
{
    const char *p = s;
    const char *form = opt == 't' ? "X-Y[%MAX]" : "X-Y[:Z][%MAX]";
    struct jobspec_array r = {.step = 1};

    if (array_number (&p, &r.first) < 0 || *p != '-' || (p++, array_number (&p, &r.last) < 0)) {
        if (opt == 't' && strpbrk (s, ","))
            return herror_set (err, "lists of indices are not supported: give one range %s", form);
        return herror_set (err, "not a range %s of numbers (e.g. 1-100%s)", form,
                           opt == 't' ? " or 1-100%10" : ", 0-98:2 or 1-100%10");
    }
    if (*p == ':' && opt == 'J') {
        p++;
        if (array_number (&p, &r.step) < 0 || r.step < 1)
            return herror_set (err, "the step after ':' must be a number of at least 1");
    }
    if (*p == '%') {
        p++;
        if (array_number (&p, &r.max_running) < 0 || r.max_running < 1)
            return herror_set (err, "the limit after '%%' must be a number of at least 1");
    }
    if (*p != '\0') {
        char rest[HERROR_SHOW_SIZE];
        return herror_set (err, "unexpected \"%s\" after the range %s",
                           herror_show (p, strlen (p), rest, sizeof (rest)), form);
    }
    if (r.last <= r.first)
        return herror_set (err, "the last index %lld is not above the first %lld",
                           (long long)r.last, (long long)r.first);
    if (r.last > JOBSPEC_ARRAY_INDEX_MAX)
        return herror_set (err, "index %lld is above the largest, %d", (long long)r.last,
                           JOBSPEC_ARRAY_INDEX_MAX);
    if (jobspec_array_size (&r) > JOBSPEC_ARRAY_MAX_SIZE)
        return herror_set (err, "%lld subjobs, more than an array may have (%d)",
                           (long long)jobspec_array_size (&r), JOBSPEC_ARRAY_MAX_SIZE);
    *a = r;
    return 0;
}

char *jobspec_array_format (const struct jobspec_array *a, char *buf, size_t len)
{
    int n = snprintf (buf, len, "%lld-%lld", (long long)a->first, (long long)a->last);
    if (a->step != 1 && n >= 0 && (size_t)n < len)
        n += snprintf (buf + n, len - (size_t)n, ":%lld", (long long)a->step);
    if (a->max_running > 0 && n >= 0 && (size_t)n < len)
        snprintf (buf + n, len - (size_t)n, "%%%lld", (long long)a->max_running);
    return buf;
}

int64_t jobspec_array_size (const struct jobspec_array *a)
{
    return (a->last - a->first) / a->step + 1;
}
