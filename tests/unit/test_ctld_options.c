/* Unit tests for scheduler/ctld/options: every option has a default (the
 * daemon runs with --state-dir alone), a config file is read first and the
 * command line wins, and bad values are refused with the option named. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "scheduler/ctld/options.h"

static struct ctld_options *parse (int argc, char **argv, struct ctld_config *cfg, int *rc,
                                   struct herror *err)
{
    memset (err, 0, sizeof (*err));
    return ctld_options_parse (argc, argv, cfg, rc, err);
}

static void defaults_run_alone (void **state)
{
    char *argv[] = {"huddle-ctld", "--state-dir", "/tmp/x", NULL};
    struct ctld_config cfg;
    struct herror err;
    int rc;
    struct ctld_options *o = parse (3, argv, &cfg, &rc, &err);
    assert_non_null (o);
    assert_int_equal (rc, 0);
    assert_string_equal (cfg.state_dir, "/tmp/x");
    assert_string_equal (cfg.listen_host, "127.0.0.1");
    assert_int_equal (cfg.listen_port, 15001);
    assert_int_equal (cfg.heartbeat_interval, 5);
    assert_int_equal (cfg.heartbeat_timeout, 30);
    assert_int_equal (cfg.job_lease, 300);
    assert_string_equal (cfg.default_queue, "workq");
    assert_int_equal (cfg.default_walltime, 24 * 3600);
    assert_int_equal (cfg.max_message_size, 16 * 1024 * 1024);
    assert_int_equal (cfg.service_uid, 0);
    assert_true (cfg.server_name[0] != '\0');
    assert_null (strchr (cfg.server_name, '.'));
    assert_true (!cfg.node_names || !cfg.node_names[0]);
    assert_null (ctld_options_pid_file (o));
    assert_null (ctld_options_log_file (o));
    assert_int_equal (ctld_options_log_level (o), LOG_LEVEL_INFO);
    ctld_options_destroy (o);
}

static void file_then_command_line (void **state)
{
    char path[] = "/tmp/test_ctld_options.XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    const char *text = "# test\nheartbeat_timeout = 1m\nserver_name = head\n"
                       "listen = [::1]:7000\nnode_names = n01, n02\n";
    assert_int_equal (write (fd, text, strlen (text)), (ssize_t)strlen (text));
    close (fd);
    char *argv[] = {"huddle-ctld", "--server-name=other", "--config",
                    path,          "--pid-file=/tmp/p",   NULL};
    struct ctld_config cfg;
    struct herror err;
    int rc;
    struct ctld_options *o = parse (5, argv, &cfg, &rc, &err);
    unlink (path);
    assert_non_null (o);
    assert_int_equal (cfg.heartbeat_timeout, 60);
    assert_string_equal (cfg.server_name, "other"); /* command line wins, wherever it is */
    assert_string_equal (cfg.listen_host, "::1");
    assert_int_equal (cfg.listen_port, 7000);
    assert_string_equal (cfg.node_names[0], "n01");
    assert_string_equal (cfg.node_names[1], "n02");
    assert_null (cfg.node_names[2]);
    assert_string_equal (ctld_options_pid_file (o), "/tmp/p");
    ctld_options_destroy (o);
}

static void bad_values_are_refused (void **state)
{
    struct {
        char *arg;
        const char *words;
    } cases[] = {
        {"--heartbeat-timeout=3", "heartbeat_timeout"},
        {"--listen=nowhere", "listen"},
        {"--listen=h:99999", "listen"},
        {"--service-user=no-such-user-here", "service_user"},
        {"--store-sync=sometimes", "store_sync"},
        {"--node-names=a/b", "node_names"},
        {"--no-such-option=1", "no-such-option"},
        {"--max-message-size=12", "max_message_size"},
        {"stray", "stray"},
        {"--job-lease=1", "job_lease"},
        {"--heartbeat-timeout=10m", "job_lease (300s) must be at least heartbeat_timeout (600s)"},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        char *argv[] = {"huddle-ctld", cases[i].arg, NULL};
        struct ctld_config cfg;
        struct herror err;
        int rc = 0;
        assert_null (parse (2, argv, &cfg, &rc, &err));
        assert_int_equal (rc, 2);
        if (!strstr (err.text, cases[i].words))
            fail_msg ("%s: \"%s\" does not name %s", cases[i].arg, err.text, cases[i].words);
    }
}

/* The lease may equal the timeout; the tests' small clusters use that. */
static void lease_and_timeout (void **state)
{
    char *argv[] = {"huddle-ctld", "--heartbeat-interval=1", "--heartbeat-timeout=6",
                    "--job-lease=6", NULL};
    struct ctld_config cfg;
    struct herror err;
    int rc;
    struct ctld_options *o = parse (4, argv, &cfg, &rc, &err);
    assert_non_null (o);
    assert_int_equal (cfg.job_lease, 6);
    ctld_options_destroy (o);
    char *argv2[] = {"huddle-ctld", "--heartbeat-timeout=6", "--job-lease=5", NULL};
    assert_null (parse (3, argv2, &cfg, &rc, &err));
    assert_int_equal (rc, 2);
    assert_non_null (strstr (err.text, "job_lease (5s) must be at least heartbeat_timeout (6s)"));
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (defaults_run_alone),
        cmocka_unit_test (file_then_command_line),
        cmocka_unit_test (bad_values_are_refused),
        cmocka_unit_test (lease_and_timeout),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
