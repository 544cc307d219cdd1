/* fuzz.h - what the libFuzzer targets of tests/fuzz share
 *
 * Each target is one file, fuzz_NAME.c, holding one entry point written
 *
 *     FUZZ_ENTRY (NAME)
 *     {
 *         ... feed data[0..size) to the parser, check what it gives back ...
 *         return 0;
 *     }
 *
 * In the fuzz build (configure --enable-fuzz, clang -fsanitize=fuzzer) the
 * entry is LLVMFuzzerTestOneInput and the file is a program of its own.  In
 * the normal build the same file is compiled with FUZZ_REPLAY defined and
 * the entry is fuzz_NAME(), called by tests/unit/test_fuzz_replay on every
 * committed seed and regression input: the inputs that once crashed a
 * parser keep being run through the very code the fuzzer ran, by every
 * "make check", sanitizers or not.
 *
 * A target drives a parser the way its program does (the library function
 * that returns an error, never a copy of the parser) and checks what must
 * hold whatever the input: what one side encodes the other side decodes
 * back unchanged, what qsub accepts the controller accepts.  A broken
 * promise is a crash (fuzz_fail() aborts), so the fuzzer reports it like a
 * memory error.
 */
#ifndef HUDDLE_FUZZ_H
#define HUDDLE_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Every target, for the replay program's table: X (NAME) per target. */
#define FUZZ_TARGETS(X)                                                                            \
    X (proto)                                                                                      \
    X (jobspec_args)                                                                               \
    X (jobspec_script)                                                                             \
    X (jobspec_json)                                                                               \
    X (resources)                                                                                  \
    X (node_json)                                                                                  \
    X (topology_conf)                                                                              \
    X (ec2_json)                                                                                   \
    X (probe_replay)                                                                               \
    X (ctld_config)                                                                                \
    X (agent_config)                                                                               \
    X (hostlist)                                                                                   \
    X (rset_json)                                                                                  \
    X (shepherd_result)                                                                            \
    X (base64)                                                                                     \
    X (rsh)                                                                                        \
    X (layout_json)                                                                                \
    X (ctld_messages)                                                                              \
    X (swf)

#ifdef FUZZ_REPLAY
#define FUZZ_DECLARE(name) int fuzz_##name (const uint8_t *data, size_t size);
FUZZ_TARGETS (FUZZ_DECLARE)
#define FUZZ_ENTRY(name) int fuzz_##name (const uint8_t *data, size_t size)
#else
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
#define FUZZ_ENTRY(name) int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
#endif

/* A promise the code under test broke: print what and abort. */
void fuzz_fail (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));
#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fuzz_fail (__VA_ARGS__);                                                               \
    } while (0)

/* data[0..size) as a NUL-terminated string (malloc'd; NULs inside stay, so
 * strlen may be shorter than size).  Aborts when out of memory. */
char *fuzz_strndup (const uint8_t *data, size_t size);

/* Split data at NUL bytes into an argv: argv[0] is argv0, then each piece
 * (a trailing NUL adds no empty word), NULL-terminated; at most max words.
 * *argcp gets the count.  Free with fuzz_argv_free(). */
char **fuzz_argv (const char *argv0, const uint8_t *data, size_t size, int max, int *argcp);
void fuzz_argv_free (char **argv);

/* The first occurrence of the bytes sep (seplen) in data, or NULL. */
const uint8_t *fuzz_find (const uint8_t *data, size_t size, const char *sep, size_t seplen);

/* A file holding data[0..size), for parsers that take a path: an
 * anonymous memory file (memfd), its name "/dev/fd/N" in path.  Returns the
 * descriptor to close, -1 on failure (then the caller skips the input). */
int fuzz_memfile (const uint8_t *data, size_t size, char *path, size_t pathsize);

/* A JSON value from data (NULL when it is not JSON), decoded as the
 * daemons decode messages: no NUL in strings, any top-level value. */
json_t *fuzz_json (const uint8_t *data, size_t size);

/* Whether two values are the same JSON (json_equal), printing both when
 * not. */
bool fuzz_json_same (const json_t *a, const json_t *b, const char *what);

/* A daemon's command line from data: "ARGV0 --config PATH", then, after
 * the first NUL byte of data, its NUL-separated words (at most max), less
 * --help (it prints the table) and any second --config.  The file is the
 * bytes before that NUL: *fdp is its memory file to close (-1: none could
 * be made, and NULL is returned).  Free with fuzz_argv_free(). */
char **fuzz_daemon_argv (const char *argv0, const uint8_t *data, size_t size, int max, int *argcp,
                         int *fdp);

/* qsub's end of a submission: finalize js (rc: what parsing it gave) with
 * a fixed directory, environment and host, then check the promises below;
 * a refusal must come with errno EINVAL and a reason in err. */
struct jobspec;
struct herror;
void fuzz_jobspec_submit (struct jobspec *js, int rc, struct herror *err);

/* Promises of a finalized job request (qsub's, or one the controller
 * decoded): it encodes (jobspec_to_json), the controller's decoder takes
 * the encoding and gives back the same object, the job object made of it
 * (seq, owner, uid, gid added as the controller does) decodes back the
 * same, and its select text parses back to the same chunks. */
void fuzz_jobspec_promises (const struct jobspec *js);

/* The chunks of r as pbs_format_select() writes them parse back with
 * pbs_select_parse() to the same chunks. */
struct resreq;
void fuzz_select_roundtrip (const struct resreq *r);

/* Promises of any tree fabric.h builds: one root, parents and levels as
 * it says, each switch's nodes a contiguous range of the fabric order made
 * of its children's, every name found by its lookup; and a lone node can
 * be added after which all that still holds. */
struct fabric;
void fuzz_fabric_promises (struct fabric *f);

#endif
