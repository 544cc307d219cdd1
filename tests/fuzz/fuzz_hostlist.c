/* fuzz_hostlist.c - host ranges ("node[01-04,09]"), as topology.conf,
 * node_labels and the commands take them (hostlist_decode,
 * common/hostlist.h)
 *
 * Input: the list's text.  Checks: an accepted list stays within its
 * bounds, encodes (hostlist_encode), and the encoding decodes to the same
 * names in the same order. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/hostlist.h"
#include "tests/fuzz/fuzz.h"

#define ROUND_TRIP_MAX 100000

FUZZ_ENTRY (hostlist)
{
    char *text = fuzz_strndup (data, size);
    struct herror err = {""};
    struct hostlist *hl = hostlist_decode (text, &err);
    if (!hl) {
        FUZZ_CHECK (errno == EINVAL || errno == E2BIG || errno == ENOMEM, "errno %d", errno);
        FUZZ_CHECK (errno != EINVAL || err.text[0], "refused without a reason");
        free (text);
        return 0;
    }
    size_t n = hostlist_count (hl);
    FUZZ_CHECK (n <= HOSTLIST_MAX_HOSTS, "%zu names", n);
    for (size_t i = 0; i < n; i++) {
        const char *name = hostlist_nth (hl, i);
        FUZZ_CHECK (name && name[0] && strlen (name) <= HOSTLIST_MAX_NAME, "name %zu: %s", i,
                    name ? name : "(null)");
    }
    FUZZ_CHECK (!hostlist_nth (hl, n), "a name past the end");
    /* Decoding up to HOSTLIST_MAX_HOSTS names is the bound under test; the
     * round trip of a million names is the same code as of a thousand and
     * costs seconds under ASan (libFuzzer would call it a hang). */
    if (n > ROUND_TRIP_MAX) {
        hostlist_destroy (hl);
        free (text);
        return 0;
    }
    char *enc = hostlist_encode (hl);
    FUZZ_CHECK (enc, "encode: %s", strerror (errno));
    struct hostlist *back = hostlist_decode (enc, &err);
    FUZZ_CHECK (back, "\"%.100s\" encodes as \"%.100s\", which is refused: %s", text, enc,
                err.text);
    FUZZ_CHECK (hostlist_count (back) == n, "\"%.100s\": %zu names, its encoding \"%.100s\" %zu",
                text, n, enc, hostlist_count (back));
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK (strcmp (hostlist_nth (hl, i), hostlist_nth (back, i)) == 0,
                    "\"%.100s\": name %zu is %s, in its encoding \"%.100s\" %s", text, i,
                    hostlist_nth (hl, i), enc, hostlist_nth (back, i));
    hostlist_destroy (back);
    free (enc);
    hostlist_destroy (hl);
    free (text);
    return 0;
}
