/* fuzz_probe_replay.c - probe replay files, what an agent answers link
 * probes from (--probe-replay; probe_replay_load, agent/probe.h)
 *
 * Input: the file's text.  Checks: the file read from disk and the same
 * text parsed in memory are one thing (accepted or refused alike, the
 * same links); every link it gives is a positive, finite latency and
 * bandwidth, as it must be to go on the wire (link.result) as JSON. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/probe.h"
#include "tests/fuzz/fuzz.h"

#define MAX_NAMES 8

/* The first words of the text's lines, as node names to look up. */
static int names_of (char *text, char **names)
{
    int n = 0;
    char *save;
    for (char *t = strtok_r (text, " \t\r\n#", &save); t && n < MAX_NAMES;
         t = strtok_r (NULL, " \t\r\n#", &save))
        names[n++] = t;
    return n;
}

FUZZ_ENTRY (probe_replay)
{
    char *text = fuzz_strndup (data, size);
    char path[32];
    int fd = fuzz_memfile (data, size, path, sizeof (path));
    struct herror err = {""};
    struct probe_replay *r = probe_replay_parse (text, "replay", &err);
    struct probe_replay *file = fd >= 0 ? probe_replay_load (path, &err) : NULL;
    if (fd >= 0)
        FUZZ_CHECK (!r == !file, "the file is %s, the same text in memory %s",
                    file ? "accepted" : "refused", r ? "accepted" : "refused");
    if (r) {
        char *words = strdup (text);
        char *names[MAX_NAMES + 2];
        int n = words ? names_of (words, names) : 0;
        names[n++] = "node-unknown";
        names[n++] = "*";
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                struct probe_result a, b;
                int ra = probe_replay_lookup (r, names[i], names[j], &a);
                FUZZ_CHECK (ra == 0 || ra == -1, "lookup returned %d", ra);
                if (ra < 0)
                    continue;
                FUZZ_CHECK (isfinite (a.latency_us) && a.latency_us > 0 &&
                                isfinite (a.bandwidth_mbps) && a.bandwidth_mbps > 0,
                            "link %s %s: latency %g us, bandwidth %g MB/s", names[i], names[j],
                            a.latency_us, a.bandwidth_mbps);
                FUZZ_CHECK (!file || (probe_replay_lookup (file, names[i], names[j], &b) == 0 &&
                                      b.latency_us == a.latency_us &&
                                      b.bandwidth_mbps == a.bandwidth_mbps),
                            "link %s %s differs between file and text", names[i], names[j]);
            }
        free (words);
    } else {
        FUZZ_CHECK (err.text[0], "refused without a reason");
    }
    probe_replay_destroy (file);
    probe_replay_destroy (r);
    if (fd >= 0)
        close (fd);
    free (text);
    return 0;
}
