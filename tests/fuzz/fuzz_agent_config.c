/* fuzz_agent_config.c - huddle-agent's configuration file and command
 * line (agentd_options_parse, agent/agentd.h, through common/config.h)
 *
 * Input: the file given with --config; after a NUL byte, further
 * arguments separated by NUL bytes.  Checks: accepted, or refused with
 * exit code 2 and a sentence; what is accepted keeps the rules resolve()
 * enforces. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agentd.h"
#include "common/pbs_resources.h"
#include "tests/fuzz/fuzz.h"

#define MAX_WORDS 32

FUZZ_ENTRY (agent_config)
{
    int n, fd;
    char **argv = fuzz_daemon_argv ("huddle-agent", data, size, MAX_WORDS, &n, &fd);
    if (!argv)
        return 0;

    struct agentd_config cfg;
    struct herror err = {""};
    int code = -1;
    struct agentd_options *o = agentd_options_parse (n, argv, &cfg, &code, &err);
    if (o) {
        FUZZ_CHECK (code == 0, "accepted with exit code %d", code);
        FUZZ_CHECK (cfg.server && strchr (cfg.server, ':') && cfg.name &&
                        pbs_hostname_valid (cfg.name) && cfg.state_dir &&
                        !(cfg.topology && cfg.synthetic) &&
                        !(cfg.cgroup_name && strchr (cfg.cgroup_name, '/')),
                    "an accepted configuration breaks its own rules");
    } else {
        FUZZ_CHECK (code == 2 && err.text[0], "refused with exit code %d and no reason", code);
    }
    agentd_options_destroy (o);
    fuzz_argv_free (argv);
    close (fd);
    return 0;
}
