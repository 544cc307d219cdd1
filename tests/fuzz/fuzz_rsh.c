/* fuzz_rsh.c - huddle-rsh's ssh-style command line, the job's task
 * endpoints file and PBS_JOBID (mpi-jobs/rsh_args.h): what a job's MPI
 * launcher and scripts hand huddle-rsh
 *
 * Input: the arguments separated by NUL bytes; two NULs in a row end
 * them, and what follows is the endpoints file.  Checks: an accepted
 * command line names a host and a command; the host's endpoint, when the
 * file has one, fits and has no blank; every argument is tried as a
 * PBS_JOBID. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpi-jobs/rsh_args.h"
#include "tests/fuzz/fuzz.h"

#define MAX_WORDS 64

FUZZ_ENTRY (rsh)
{
    const uint8_t *sep = fuzz_find (data, size, "\0\0", 2);
    size_t argsize = sep ? (size_t)(sep - data) : size;
    int argc;
    char **argv = fuzz_argv ("huddle-rsh", data, argsize, MAX_WORDS, &argc);
    struct rsh_args a;
    struct herror err = {""};
    memset (&a, 0, sizeof (a));
    if (rsh_args_parse (argc, argv, &a, &err) == 0) {
        FUZZ_CHECK (a.host && a.host[0] && a.command, "accepted without a host or command");
        if (sep) {
            char path[32], buf[64];
            int fd = fuzz_memfile (sep + 2, size - argsize - 2, path, sizeof (path));
            if (fd >= 0) {
                if (rsh_endpoint_find (path, a.host, buf, sizeof (buf), &err) == 0)
                    FUZZ_CHECK (buf[0] && !strpbrk (buf, " \t\n"), "endpoint \"%s\"", buf);
                else
                    FUZZ_CHECK (err.text[0], "no endpoint and no reason");
                close (fd);
            }
        }
    } else {
        FUZZ_CHECK (err.text[0], "refused without a reason");
    }
    rsh_args_free (&a);
    for (int i = 1; i < argc; i++) {
        unsigned long seq = 0;
        if (rsh_job_seq (argv[i], &seq) == 0)
            FUZZ_CHECK (seq >= 1 && seq <= 2147483647UL, "seq %lu from \"%s\"", seq, argv[i]);
    }
    fuzz_argv_free (argv);
    return 0;
}
