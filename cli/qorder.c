/* qorder - exchange the places of two waiting jobs, as PBS's qorder
 *
 *     qorder JOBID JOBID
 *
 * job.order: the two jobs swap their ranks (the order among the jobs of
 * one priority; docs/protocol.md), so the scheduler considers each where
 * the other was.  Both must be waiting (Q or H) and the caller's, or the
 * caller root.  Exit status as the other commands (153 unknown job, 159
 * not allowed, 168 not waiting).
 */
#include <stdio.h>
#include <string.h>

#include "climain.h"

int main (int argc, char **argv)
{
    struct cli cli = {.prog = "qorder"};
    int64_t seq[2];
    const char *server[2];
    int status = 0;

    if (argc != 3 || argv[1][0] == '-') {
        fprintf (stderr, "usage: qorder job_identifier job_identifier\n");
        return CLI_EXIT_USAGE;
    }
    if (cli_open (&cli, "qorder") < 0)
        return CLI_EXIT_FAIL;
    for (int k = 0; k < 2; k++) {
        if (cli_parse_jobid (&cli, argv[1 + k], &seq[k], &server[k]) < 0) {
            cli_close (&cli);
            return CLI_EXIT_FAIL;
        }
    }
    json_t *req = json_pack ("{s:s, s:[I, I]}", "type", "job.order", "seqs", (json_int_t)seq[0],
                             (json_int_t)seq[1]);
    if (req && server[0])
        json_object_set_new (req, "server", json_string (server[0]));
    json_decref (cli_request (&cli, req, NULL, &status));
    cli_close (&cli);
    return status;
}
