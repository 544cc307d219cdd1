/* test_probe.c - agent/probe.h: replay files, statistics, names, and the
 * libfabric backend between two processes */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/probe.h"

static void test_median (void **state)
{
    double odd[] = {5, 1, 3};
    double even[] = {4, 1, 3, 2};
    double one[] = {7};
    assert_true (probe_median (odd, 3) == 3);
    assert_true (probe_median (even, 4) == 2.5);
    assert_true (probe_median (one, 1) == 7);
    assert_true (probe_median (NULL, 0) == 0);
}

static void test_hex (void **state)
{
    unsigned char raw[] = {0x00, 0x7f, 0xab, 0xff};
    unsigned char back[8];
    char *s = probe_hex_encode (raw, sizeof (raw));
    assert_string_equal (s, "007fabff");
    assert_int_equal (probe_hex_decode (s, back, sizeof (back)), 4);
    assert_memory_equal (back, raw, 4);
    assert_int_equal (probe_hex_decode ("ABff", back, sizeof (back)), 2);
    assert_int_equal (probe_hex_decode ("abc", back, sizeof (back)), -1);
    assert_int_equal (probe_hex_decode ("zz", back, sizeof (back)), -1);
    assert_int_equal (probe_hex_decode ("", back, sizeof (back)), -1);
    assert_int_equal (probe_hex_decode (s, back, 3), -1); /* too long */
    free (s);
}

static void test_params (void **state)
{
    struct herror err = {""};
    struct probe_params p = {1, 10, 64, 4, 1 << 20, 2.0};
    assert_int_equal (probe_params_check (&p, &err), 0);
    p.pings = 0;
    assert_int_equal (probe_params_check (&p, &err), -1);
    assert_non_null (strstr (err.text, "pings"));
    p.pings = 10;
    p.stream_size = PROBE_MAX_SIZE + 1;
    assert_int_equal (probe_params_check (&p, &err), -1);
    assert_non_null (strstr (err.text, "stream_size"));
    p.stream_size = 1 << 20;
    p.timeout = 0;
    assert_int_equal (probe_params_check (&p, &err), -1);
}

/* Two fast leaves under a slow spine, as a test describes them. */
static const char fabric_text[] = "# two leaves\n"
                                  "n1 n2 1.5 12000   # leaf 1\n"
                                  "n3 n4 1.6 11000\n"
                                  "\n"
                                  "n1 * 9 2500\n"
                                  "* * 10 2000\n";

static void test_replay_parse (void **state)
{
    struct herror err = {""};
    struct probe_replay *r = probe_replay_parse (fabric_text, "fab.txt", &err);
    struct probe_result res;
    assert_non_null (r);
    assert_int_equal (probe_replay_lookup (r, "n2", "n1", &res), 0); /* symmetric */
    assert_true (res.latency_us == 1.5 && res.bandwidth_mbps == 12000);
    assert_int_equal (probe_replay_lookup (r, "n3", "n4", &res), 0);
    assert_true (res.bandwidth_mbps == 11000);
    assert_int_equal (probe_replay_lookup (r, "n3", "n1", &res), 0); /* "n1 *" */
    assert_true (res.latency_us == 9);
    assert_int_equal (probe_replay_lookup (r, "n2", "n4", &res), 0); /* "* *" */
    assert_true (res.latency_us == 10 && res.bandwidth_mbps == 2000);
    probe_replay_destroy (r);

    r = probe_replay_parse ("a b 1 2\n", "f", &err);
    assert_int_equal (probe_replay_lookup (r, "a", "c", &res), -1);
    assert_int_equal (errno, ENOENT);
    probe_replay_destroy (r);
}

static void test_replay_errors (void **state)
{
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"a b 1\n", "f:1: expected NODE_A NODE_B"},
        {"\n# c\na b 1 2 3\n", "f:3: expected"},
        {"a b x 2\n", "f:1: latency \"x\""},
        {"a b -1 2\n", "f:1: latency"},
        {"a b 1 0\n", "f:1: bandwidth \"0\""},
        /* JSON has no infinity: link.result could not carry these */
        {"a b inf 2\n", "f:1: latency \"inf\""},
        {"a b 1 1e999\n", "f:1: bandwidth \"1e999\""},
        {"a b 1 2\n* b 1 2\n", "f:2: \"*\" as the first node"},
    };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        struct herror err = {""};
        assert_null (probe_replay_parse (bad[i].text, "f", &err));
        if (!strstr (err.text, bad[i].want))
            fail_msg ("case %zu: \"%s\" lacks \"%s\"", i, err.text, bad[i].want);
    }
}

static void test_replay_ep (void **state)
{
    char path[] = "/tmp/test_probe.XXXXXX";
    int fd = mkstemp (path);
    struct herror err = {""};
    struct probe_params p = {7, 10, 64, 4, 1 << 20, 2.0};
    struct probe_result res;

    assert_true (fd >= 0);
    assert_int_equal (write (fd, fabric_text, strlen (fabric_text)), (int)strlen (fabric_text));
    close (fd);
    struct probe_ep *ep = probe_open_replay (path, "n1", &err);
    assert_non_null (ep);
    assert_string_equal (probe_name (ep), "replay:n1");
    assert_int_equal (probe_initiate (ep, "n2", "replay:n2", &p, &res, &err), 0);
    assert_true (res.latency_us == 1.5);
    assert_int_equal (probe_respond (ep, "n2", "replay:n2", &p, &err), 0);
    probe_close (ep);
    unlink (path);
    assert_null (probe_open_replay (path, "n1", &err));
    assert_non_null (strstr (err.text, path));
}

/* The libfabric backend between two processes on loopback: the child
 * responds, the parent initiates; the names cross over pipes. */
static void test_fabric (void **state)
{
    struct herror err = {""};
    struct probe_params p = {42, 20, 64, 8, 1 << 20, 20.0};
    int up[2], down[2];
    assert_int_equal (pipe (up), 0);
    assert_int_equal (pipe (down), 0);

    struct probe_ep *probe = probe_open_fabric (NULL, "127.0.0.1", &err);
    if (!probe)
        skip(); /* no RDM provider on this machine */
    probe_close (probe);

    pid_t pid = fork();
    assert_true (pid >= 0);
    if (pid == 0) {
        struct probe_ep *ep = probe_open_fabric (NULL, "127.0.0.1", &err);
        char peer[1024] = "";
        if (!ep)
            _exit (2);
        dprintf (up[1], "%s\n", probe_name (ep));
        ssize_t n = read (down[0], peer, sizeof (peer) - 1);
        if (n <= 0)
            _exit (3);
        peer[strcspn (peer, "\n")] = '\0';
        int rc = probe_respond (ep, "parent", peer, &p, &err);
        if (rc < 0)
            fprintf (stderr, "responder: %s\n", err.text);
        probe_close (ep);
        _exit (rc < 0 ? 1 : 0);
    }
    struct probe_ep *ep = probe_open_fabric (NULL, "127.0.0.1", &err);
    if (!ep)
        fail_msg ("%s", err.text);
    char peer[1024] = "";
    ssize_t n = read (up[0], peer, sizeof (peer) - 1);
    assert_true (n > 0);
    peer[strcspn (peer, "\n")] = '\0';
    dprintf (down[1], "%s\n", probe_name (ep));
    assert_non_null (strstr (probe_describe (ep), "libfabric"));
    assert_null (strstr (probe_describe (ep), "shm"));

    struct probe_result res = {0};
    if (probe_initiate (ep, "child", peer, &p, &res, &err) < 0)
        fail_msg ("initiator: %s", err.text);
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    assert_true (res.latency_us > 0 && res.latency_us < 1e6);
    assert_true (res.bandwidth_mbps > 0);

    /* A peer that never answers: bounded by the timeout. */
    struct probe_params q = p;
    q.id = 43;
    q.timeout = 0.5;
    assert_int_equal (probe_initiate (ep, "child", peer, &q, &res, &err), -1);
    assert_non_null (strstr (err.text, "timed out"));
    probe_close (ep);
    close (up[0]);
    close (up[1]);
    close (down[0]);
    close (down[1]);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_median),        cmocka_unit_test (test_hex),
        cmocka_unit_test (test_params),        cmocka_unit_test (test_replay_parse),
        cmocka_unit_test (test_replay_errors), cmocka_unit_test (test_replay_ep),
        cmocka_unit_test (test_fabric),
    };
    signal (SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests (tests, NULL, NULL);
}
