/* Unit tests for huddle-rsh's pieces: its ssh-style command line
 * (mpi-jobs/rsh_args), the job's endpoints file, and the base64 codec its
 * stdio travels in (common/base64). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/base64.h"
#include "mpi-jobs/rsh_args.h"

#define ARGV(...)          ((char *const[]){"huddle-rsh", __VA_ARGS__, NULL})
#define ARGC(...)          ((int)(sizeof ((char *[]){"huddle-rsh", __VA_ARGS__}) / sizeof (char *)))
#define PARSE(a, err, ...) rsh_args_parse (ARGC (__VA_ARGS__), ARGV (__VA_ARGS__), (a), (err))

/* What Open MPI's rsh launcher passes: the host, then the orted command
 * as separate words, joined with blanks for the remote shell. */
static void parses_what_mpirun_sends (void **state)
{
    struct rsh_args a;
    struct herror err = {{0}};
    assert_int_equal (PARSE (&a, &err, "node02", " orted", "-mca", "ess", "\"env\""), 0);
    assert_string_equal (a.host, "node02");
    assert_string_equal (a.command, " orted -mca ess \"env\"");
    assert_false (a.no_stdin);
    assert_null (a.user);
    rsh_args_free (&a);
}

/* ssh options that change nothing for a task are taken and ignored, in
 * every spelling; -n and -l are understood. */
static void ignores_harmless_options (void **state)
{
    struct rsh_args a;
    struct herror err = {{0}};
    assert_int_equal (PARSE (&a, &err, "-x", "-nq", "-oBatchMode=yes", "-o", "X=1", "-p", "22",
                             "-l", "alice", "-T", "-4", "node01", "hostname"),
                      0);
    assert_true (a.no_stdin);
    assert_string_equal (a.user, "alice");
    assert_string_equal (a.host, "node01");
    assert_string_equal (a.command, "hostname");
    rsh_args_free (&a);
    assert_int_equal (PARSE (&a, &err, "bob@node03", "--", "-v"), 0);
    assert_string_equal (a.user, "bob");
    assert_string_equal (a.host, "node03");
    assert_string_equal (a.command, "-v");
    rsh_args_free (&a);
    assert_int_equal (PARSE (&a, &err, "--", "node04", "true"), 0);
    assert_string_equal (a.host, "node04");
    rsh_args_free (&a);
    /* As ssh: options after the host, until the command. */
    assert_int_equal (PARSE (&a, &err, "node05", "-n", "-x", "echo", "-n", "hi"), 0);
    assert_true (a.no_stdin);
    assert_string_equal (a.command, "echo -n hi");
    rsh_args_free (&a);
}

static void refuse (const char *want, int argc, char *const argv[])
{
    struct rsh_args a;
    struct herror err = {{0}};
    errno = 0;
    assert_int_equal (rsh_args_parse (argc, argv, &a, &err), -1);
    assert_int_equal (errno, EINVAL);
    if (!strstr (err.text, want))
        fail_msg ("want \"%s\" in \"%s\"", want, err.text);
    rsh_args_free (&a);
}

/* What a task cannot do is refused with a sentence. */
static void refuses_what_it_cannot_do (void **state)
{
    refuse ("port forwarding", ARGC ("-L", "80:h:80", "node01", "x"),
            ARGV ("-L", "80:h:80", "node01", "x"));
    refuse ("port forwarding", ARGC ("-nR8080", "node01", "x"), ARGV ("-nR8080", "node01", "x"));
    refuse ("background", ARGC ("-f", "node01", "x"), ARGV ("-f", "node01", "x"));
    refuse ("unknown option -Z", ARGC ("-Z", "node01", "x"), ARGV ("-Z", "node01", "x"));
    refuse ("needs an argument", ARGC ("-p"), ARGV ("-p"));
    refuse ("port forwarding", ARGC ("node01", "-L1:h:1", "x"), ARGV ("node01", "-L1:h:1", "x"));
    refuse ("no host", ARGC ("-x"), ARGV ("-x"));
    refuse ("no command", ARGC ("node01"), ARGV ("node01"));
    refuse ("bad user name", ARGC ("@node01", "x"), ARGV ("@node01", "x"));
    refuse ("empty host", ARGC ("me@", "x"), ARGV ("me@", "x"));
}

static void finds_endpoints (void **state)
{
    char path[] = "/tmp/test_rsh.XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    FILE *f = fdopen (fd, "w");
    fputs ("node01 127.0.0.2:4001\nnonsense\nnode02 127.0.0.3:4002\n", f);
    fclose (f);
    char buf[64];
    struct herror err = {{0}};
    assert_int_equal (rsh_endpoint_find (path, "node02", buf, sizeof (buf), &err), 0);
    assert_string_equal (buf, "127.0.0.3:4002");
    assert_int_equal (rsh_endpoint_find (path, "node09", buf, sizeof (buf), &err), -1);
    assert_int_equal (errno, ENOENT);
    assert_non_null (strstr (err.text, "not a node of this job (its other nodes: node01 node02)"));
    unlink (path);
    assert_int_equal (rsh_endpoint_find (path, "node01", buf, sizeof (buf), &err), -1);
    assert_non_null (strstr (err.text, "cannot read the job's task endpoints"));
}

static void reads_job_ids (void **state)
{
    unsigned long seq = 0;
    assert_int_equal (rsh_job_seq ("12.vm", &seq), 0);
    assert_int_equal (seq, 12);
    assert_int_equal (rsh_job_seq ("7", &seq), 0);
    assert_int_equal (seq, 7);
    assert_int_equal (rsh_job_seq ("0.vm", &seq), -1);
    assert_int_equal (rsh_job_seq ("12x", &seq), -1);
    assert_int_equal (rsh_job_seq ("", &seq), -1);
    assert_int_equal (rsh_job_seq ("99999999999", &seq), -1);
    assert_int_equal (rsh_job_seq (NULL, &seq), -1);
}

/* RFC 4648's test vectors, every length around a block, random bytes. */
static void base64_round_trips (void **state)
{
    static const char *vec[][2] = {{"", ""},
                                   {"f", "Zg=="},
                                   {"fo", "Zm8="},
                                   {"foo", "Zm9v"},
                                   {"foob", "Zm9vYg=="},
                                   {"fooba", "Zm9vYmE="},
                                   {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof (vec) / sizeof (vec[0]); i++) {
        char *e = base64_encode (vec[i][0], strlen (vec[i][0]));
        assert_string_equal (e, vec[i][1]);
        assert_int_equal (strlen (e), base64_encoded_len (strlen (vec[i][0])));
        size_t n;
        char *d = base64_decode (e, strlen (e), &n);
        assert_non_null (d);
        assert_int_equal (n, strlen (vec[i][0]));
        assert_memory_equal (d, vec[i][0], n);
        free (d);
        free (e);
    }
    unsigned char buf[300];
    srand (7);
    for (size_t len = 0; len < sizeof (buf); len++) {
        for (size_t k = 0; k < len; k++)
            buf[k] = (unsigned char)rand();
        char *e = base64_encode (buf, len);
        size_t n;
        unsigned char *d = base64_decode (e, strlen (e), &n);
        assert_int_equal (n, len);
        if (len)
            assert_memory_equal (d, buf, len);
        free (d);
        free (e);
    }
}

/* One encoding per input: anything else is refused, never misread. */
static void base64_refuses_garbage (void **state)
{
    static const char *bad[] = {"Zg=",  "Zg",    "Z===", "Zh==",     "Zm9=",    "Zm=v",
                                "Zm 9", "Zm9\n", "====", "Zg==Zg==", "Zm9v!A=="};
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        size_t n;
        errno = 0;
        void *d = base64_decode (bad[i], strlen (bad[i]), &n);
        if (d)
            fail_msg ("\"%s\" decoded", bad[i]);
        assert_int_equal (errno, EINVAL);
    }
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (parses_what_mpirun_sends),
        cmocka_unit_test (ignores_harmless_options),
        cmocka_unit_test (refuses_what_it_cannot_do),
        cmocka_unit_test (finds_endpoints),
        cmocka_unit_test (reads_job_ids),
        cmocka_unit_test (base64_round_trips),
        cmocka_unit_test (base64_refuses_garbage),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
