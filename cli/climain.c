/* climain.c - connect, request, report errors the PBS way (see climain.h) */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "common/jobspec.h"

#include "climain.h"

/* The controller's error sentences that OpenPBS commands know by number.
 * PBS prints "Unauthorized Request " with a trailing blank, hence the two
 * spaces before the job id in "qdel: Unauthorized Request  12.srv". */
static const struct {
    const char *text;
    const char *sep;
    int status;
} pbs_errors[] = {
    {"Unknown Job Id", " ", CLI_EXIT_UNKNOWN},
    {"Unauthorized Request", "  ", CLI_EXIT_PERM},
    {"Request invalid for state of job", " ", CLI_EXIT_STATE},
    {"Unknown queue", " ", CLI_EXIT_UNKQUE},
    {"Queue is not enabled", " ", CLI_EXIT_QUNOENB},
    {"Job violates queue and/or server resource limits", " ", CLI_EXIT_EXCQRESC},
    {"Cannot modify attribute while job running", " ", CLI_EXIT_ALTRUN},
    {"Illegal attribute or resource value", " ", CLI_EXIT_BADATVAL},
    {"Unknown node", " ", CLI_EXIT_UNKNODE},
    {"Job has finished", " ", CLI_EXIT_FINISHED},
};

int cli_open (struct cli *cli, const char *prog)
{
    struct herror err;
    char *addr = client_server_address (&err);
    char *port = NULL;

    cli->prog = prog;
    cli->client = NULL;
    cli->host = NULL;
    if (addr == NULL) {
        fprintf (stderr, "%s: %s\n", prog, err.text);
        return -1;
    }
    if (addr[0] == '/') {
        /* The controller's UNIX socket: it runs on this host. */
        struct utsname u;
        if (uname (&u) == 0 && (cli->host = strdup (u.nodename)))
            cli->client = client_connect (addr, "client", &err);
        else
            herror_set (&err, "out of memory");
    } else if (client_parse_hostport (addr, &cli->host, &port, &err) == 0)
        cli->client = client_connect (addr, "client", &err);
    if (cli->client == NULL) {
        fprintf (stderr, "%s: %s\n", prog, err.text);
        free (cli->host); /* the caller does not cli_close() what did not open */
        cli->host = NULL;
    }
    free (port);
    free (addr);
    return cli->client ? 0 : -1;
}

void cli_close (struct cli *cli)
{
    client_destroy (cli->client);
    free (cli->host);
    cli->client = NULL;
    cli->host = NULL;
}

/* The exit status for the controller's error TEXT, and whether TEXT names
 * its operand itself ("Unknown Job Id 12.srv") or wants SEP and it. */
static int error_status (const char *text, const char **sep, bool *named)
{
    int status = CLI_EXIT_FAIL;
    *named = false;
    for (size_t i = 0; i < sizeof (pbs_errors) / sizeof (pbs_errors[0]); i++) {
        size_t n = strlen (pbs_errors[i].text);
        if (strncmp (text, pbs_errors[i].text, n) != 0)
            continue;
        if (text[n] == '\0') {
            *sep = pbs_errors[i].sep;
            status = pbs_errors[i].status;
        } else if (text[n] == ' ') {
            *named = true;
            status = pbs_errors[i].status;
        }
    }
    return status;
}

/* One request; on failure the error text into WHY and, for cli_request's
 * wording, what error_status says of it. */
static json_t *request (struct cli *cli, json_t *req, char *why, size_t len, int *status,
                        const char **sep, bool *named)
{
    struct herror err;
    json_t *reply = req ? client_request (cli->client, req, &err) : NULL;

    if (req == NULL)
        herror_set (&err, "out of memory");
    json_decref (req);
    if (reply)
        return reply;
    *status = error_status (err.text, sep, named);
    snprintf (why, len, "%s", err.text);
    return NULL;
}

json_t *cli_request_quiet (struct cli *cli, json_t *req, char *why, size_t len, int *status)
{
    const char *sep = " ";
    bool named;
    return request (cli, req, why, len, status, &sep, &named);
}

bool cli_user_listed (const char *list, const char *user)
{
    size_t n = strlen (user);
    for (const char *p = list; *p;) {
        size_t len = strcspn (p, ",");
        if (strcspn (p, "@,") == n && strncmp (p, user, n) == 0)
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

int cli_set_server (const char *server)
{
    char *addr = client_with_port (server);
    int rc = addr ? setenv (CLIENT_SERVER_ENV, addr, 1) : -1;
    free (addr);
    return rc;
}

json_t *cli_request (struct cli *cli, json_t *req, const char *operand, int *status)
{
    struct herror err;
    const char *sep = " ";
    bool named;
    json_t *reply = request (cli, req, err.text, sizeof (err.text), status, &sep, &named);

    if (reply)
        return reply;
    if (named)
        operand = NULL; /* "Unknown Job Id 12.srv": the text names the job */
    if (operand)
        fprintf (stderr, "%s: %s%s%s\n", cli->prog, err.text, sep, operand);
    else
        fprintf (stderr, "%s: %s\n", cli->prog, err.text);
    return NULL;
}

/* A server part: a host name, 1..255 of [A-Za-z0-9._-]. */
static bool server_part_valid (const char *s)
{
    size_t n = strlen (s);

    return n > 0 && n <= 255 &&
           strspn (s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "0123456789._-") == n;
}

int cli_parse_jobid (const struct cli *cli, const char *s, int64_t *seq, const char **server)
{
    char *end;
    long long v;

    long long index = -1;

    errno = 0;
    v = strtoll (s, &end, 10);
    if (errno == 0 && *end == '[') {
        /* an array "SEQ[]" or its subjob "SEQ[I]" */
        char *close;
        if (end[1] == ']') {
            close = end + 1;
        } else {
            index = end[1] >= '0' && end[1] <= '9' ? strtoll (end + 1, &close, 10) : -1;
            if (index < 0 || index > JOBSPEC_ARRAY_INDEX_MAX || *close != ']')
                errno = EINVAL;
        }
        end = errno ? end : close + 1;
    }
    if (s[0] < '0' || s[0] > '9' || errno != 0 || v <= 0 || v > JOBSPEC_SEQ_MAX ||
        (*end != '\0' && *end != '.') || (*end == '.' && !server_part_valid (end + 1))) {
        fprintf (stderr, "%s: illegally formed job identifier: %s\n", cli->prog, s);
        return -1;
    }
    *seq = index >= 0 ? jobspec_subjob_seq (v, index) : v;
    *server = *end == '.' ? end + 1 : NULL;
    return 0;
}

const char *cli_server_name (const struct cli *cli, const json_t *reply)
{
    const char *server = json_string_value (json_object_get (reply, "server"));
    const json_t *jobs = json_object_get (reply, "jobs");
    const json_t *nodes = json_object_get (reply, "nodes");
    const char *jobid = json_string_value (json_object_get (json_array_get (jobs, 0), "jobid"));
    const char *dot;

    for (size_t i = 0; jobid == NULL && i < json_array_size (nodes); i++)
        jobid = json_string_value (
            json_array_get (json_object_get (json_array_get (nodes, i), "jobs"), 0));
    dot = jobid ? strchr (jobid, '.') : NULL;
    if (server)
        return server;
    return dot ? dot + 1 : cli->host ? cli->host : "";
}

json_t *cli_query_pages (struct cli *cli, json_t *req, const char *key, int *status)
{
    json_t *all = json_array();
    json_t *reply = NULL;

    if (!req || !all) {
        json_decref (req);
        json_decref (all);
        fprintf (stderr, "%s: out of memory\n", cli->prog);
        *status = CLI_EXIT_FAIL;
        return NULL;
    }
    for (;;) {
        json_decref (reply);
        reply = cli_request (cli, json_incref (req), NULL, status);
        if (!reply)
            break;
        json_t *page = json_object_get (reply, key);
        json_t *cursor = json_object_get (reply, "cursor");
        if (!json_is_array (page) || json_array_extend (all, page) < 0) {
            fprintf (stderr, "%s: the controller's reply has no \"%s\" list\n", cli->prog, key);
            *status = CLI_EXIT_FAIL;
            json_decref (reply);
            reply = NULL;
            break;
        }
        if (!json_is_true (json_object_get (reply, "more")))
            break;
        if (!cursor) {
            fprintf (stderr, "%s: the controller's reply says more but gives no cursor\n",
                     cli->prog);
            *status = CLI_EXIT_FAIL;
            json_decref (reply);
            reply = NULL;
            break;
        }
        json_object_set (req, "cursor", cursor);
    }
    json_decref (req);
    if (reply)
        json_object_set (reply, key, all);
    json_decref (all);
    return reply;
}

json_t *cli_query_jobs (struct cli *cli, json_t *req, int *status)
{
    return cli_query_pages (cli, req, "jobs", status);
}
