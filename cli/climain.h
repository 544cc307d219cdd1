/* climain.h - what every PBS command does around its requests
 *
 * Each command finds the controller, connects, sends requests and reports
 * failures the way PBS commands do, so that scripts written for OpenPBS
 * read the same messages and exit statuses:
 *     qdel: Unknown Job Id 12.node01         exit 153 (PBSE_UNKJOBID)
 *     qdel: Unauthorized Request  12.node01  exit 159 (PBSE_PERM)
 * Messages go to stderr, prefixed with the program name.  These helpers
 * print; the command decides when to exit.
 */
#ifndef HUDDLE_CLI_CLIMAIN_H
#define HUDDLE_CLI_CLIMAIN_H

#include <stdint.h>

#include <stdbool.h>

#include <jansson.h>

#include "common/client.h"

/* Exit statuses, as OpenPBS commands return them (PBS error number % 256). */
#define CLI_EXIT_FAIL     1   /* anything else: no controller, lost connection */
#define CLI_EXIT_USAGE    2   /* bad options */
#define CLI_EXIT_FINISHED 35  /* qstat: job finished, -x not given */
#define CLI_EXIT_UNKNOWN  153 /* Unknown Job Id */
#define CLI_EXIT_PERM     159 /* Unauthorized Request */
#define CLI_EXIT_BADATVAL 166 /* Illegal attribute or resource value */
#define CLI_EXIT_ALTRUN   167 /* Cannot modify attribute while job running */
#define CLI_EXIT_STATE    168 /* Request invalid for state of job */
#define CLI_EXIT_UNKQUE   170 /* Unknown queue */
#define CLI_EXIT_QUNOENB  173 /* Queue is not enabled */
#define CLI_EXIT_EXCQRESC 188 /* Job violates queue and/or server resource limits */
#define CLI_EXIT_UNKNODE  214 /* Unknown node */

struct cli {
    const char *prog;      /* "qdel": the prefix of every message */
    struct client *client; /* NULL until cli_open() succeeds */
    char *host;            /* host part of the controller's address */
};

/* Find the controller (HUDDLE_SERVER or the config file) and connect.
 * On failure prints "PROG: <how to set one / why the connection failed>"
 * and returns -1. */
int cli_open (struct cli *cli, const char *prog);

/* Disconnect and free.  Safe on a cli that never opened. */
void cli_close (struct cli *cli);

/* Send req (the reference is taken) and return the "TYPE.ok" reply (caller
 * json_decref()s).  On an error reply or a lost connection returns NULL
 * after printing "PROG: TEXT", or "PROG: TEXT OPERAND" when operand is not
 * NULL (a job id or node name) and TEXT does not name one itself (the
 * controller's "Unknown Job Id 12.srv" does), and sets *status to the exit
 * status that matches the error (CLI_EXIT_*); *status is left alone on
 * success. */
json_t *cli_request (struct cli *cli, json_t *req, const char *operand, int *status);

/* As cli_request, but prints nothing: the error text goes to WHY (LEN
 * bytes) for the caller's own wording ("Error marking node N - WHY"). */
json_t *cli_request_quiet (struct cli *cli, json_t *req, char *why, size_t len, int *status);

/* Whether USER is in LIST, PBS's comma-separated user_list ("user" or
 * "user@host" entries, matched by user): qstat -u, qselect -u. */
bool cli_user_listed (const char *list, const char *user);

/* Use SERVER ("HOST[:PORT]", a command's -s) instead of the configured
 * address for the next cli_open.  -1 ENOMEM. */
int cli_set_server (const char *server);

/* A paged query (req, the reference is taken) through all its pages: the
 * controller answers at most a page of KEY's entries per reply and says
 * where to go on ("more", and a "cursor" sent back as it came); this asks
 * again until the end and returns the last reply with every page's entries
 * in its KEY.  Errors as cli_request(). */
json_t *cli_query_pages (struct cli *cli, json_t *req, const char *key, int *status);

/* cli_query_pages of job.query's "jobs". */
json_t *cli_query_jobs (struct cli *cli, json_t *req, int *status);

/* Read a job id operand, "SEQ" or "SEQ.SERVER", into *seq, and point
 * *server at SERVER inside s (NULL when there is none): a job id of
 * another server names no job here, and only the controller knows its own
 * name (requests carry it as "server", see docs/protocol.md).  On a bad one
 * prints "PROG: illegally formed job identifier: S" and returns -1. */
int cli_parse_jobid (const struct cli *cli, const char *s, int64_t *seq, const char **server);

/* The server name to show in headers, JSON and job ids: the reply's
 * "server" member when the controller sends one, else the part after the
 * first '.' of a job id in the reply (its "jobs", or a node's "jobs"), else
 * the controller's host.  Borrowed from reply or cli. */
const char *cli_server_name (const struct cli *cli, const json_t *reply);

#endif
