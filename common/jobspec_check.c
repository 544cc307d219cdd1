/* jobspec_check.c - validators for what users name: job, queue, host,
 * paths, dependencies.  Shared by the option parser and jobspec_from_json(). */
#include "jobspec.h"
#include "jobspec_internal.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

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

    if (at)
        return herror_set (err, "submitting to another server (\"%s\") is not supported",
                           herror_show (at, strlen (at), shown, sizeof (shown)));
    if (n == 0)
        return herror_set (err, "the queue name is empty");
    if (n > JOBSPEC_QUEUE_MAX)
        return herror_set (err, "a queue name has at most %d characters", JOBSPEC_QUEUE_MAX);
    if (!isalnum ((unsigned char)queue[0]))
        return herror_set (err, "a queue name must start with a letter or a digit");
    for (const char *p = queue; *p; p++) {
        if (!isalnum ((unsigned char)*p) && !strchr ("_.-", *p))
            return herror_set (err, "a queue name has only letters, digits, '_', '.' and '-'");
    }
    return 0;
}

/* "SEQ[.SERVER]", SEQ digits with an optional "[]" or "[N]". */
static bool jobid_valid (const char *s, size_t len)
{
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
    if (s[i] != '.' || i + 1 == len)
        return false;
    for (i++; i < len; i++) {
        if (!isalnum ((unsigned char)s[i]) && !strchr ("._-", s[i]))
            return false;
    }
    return true;
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

bool jobspec_server_matches (const char *given, const char *name)
{
    size_t n = name ? strlen (name) : 0;

    return given && n > 0 && strncasecmp (given, name, n) == 0 &&
           (given[n] == '\0' || (given[n] == '.' && given[n + 1] != '\0'));
}
