/* Unit tests for common/config: the table, huddle.conf parsing, overrides,
 * typed getters and --help, with the error sentences an admin sees. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/config.h"

static const struct config_option table[] = {
    {"listen_port", CONFIG_UINT, "7810", 1, 65535, "TCP port for agents and commands"},
    {"priority_bias", CONFIG_INT, "-5", -1024, 1023, "added to every priority"},
    {"heartbeat_timeout", CONFIG_DURATION, "30s", 1, 86400, "silence before a node is down"},
    {"max_message_size", CONFIG_SIZE, "16M", 1024, 0xffffffff, "largest frame accepted"},
    {"state_dir", CONFIG_STRING, "/var/lib/huddle", 0, 0, "where the state store lives"},
    {"server", CONFIG_STRING, NULL, 0, 0, "controller HOST:PORT"},
    {"elastic", CONFIG_BOOL, "no", 0, 0, "grow pools on demand"},
    {"log_level", CONFIG_LOGLEVEL, "info", 0, 0, "most verbose level logged"},
    {"admins", CONFIG_STRLIST, "root", 0, 0, "users allowed to run node commands"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static char *write_file (const char *text)
{
    static char path[64];
    snprintf (path, sizeof (path), "/tmp/huddle-test-config.XXXXXX");
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, text, strlen (text)), (ssize_t)strlen (text));
    close (fd);
    return path;
}

static void defaults (void **state)
{
    struct herror err;
    struct config *cfg = config_create (table, &err);
    assert_non_null (cfg);
    assert_int_equal (config_get_int (cfg, "listen_port"), 7810);
    assert_int_equal (config_get_int (cfg, "priority_bias"), -5);
    assert_int_equal (config_get_int (cfg, "heartbeat_timeout"), 30);
    assert_int_equal (config_get_int (cfg, "max_message_size"), 16 * 1024 * 1024);
    assert_string_equal (config_get_string (cfg, "state_dir"), "/var/lib/huddle");
    assert_string_equal (config_get_string (cfg, "server"), "");
    assert_false (config_get_bool (cfg, "elastic"));
    assert_int_equal (config_get_loglevel (cfg, "log_level"), LOG_LEVEL_INFO);
    size_t n;
    const char *const *l = config_get_strlist (cfg, "admins", &n);
    assert_int_equal (n, 1);
    assert_string_equal (l[0], "root");
    assert_null (l[1]);
    assert_string_equal (config_get_text (cfg, "heartbeat_timeout"), "30s");
    config_destroy (cfg);
}

static void bad_default_is_reported (void **state)
{
    const struct config_option bad[] = {
        {"x", CONFIG_DURATION, "soon", 0, 0, ""},
        {NULL, 0, NULL, 0, 0, NULL},
    };
    struct herror err;
    assert_null (config_create (bad, &err));
    assert_int_equal (errno, EINVAL);
    assert_string_equal (err.text, "default of option: x \"soon\": not a duration");
}

static void load_file (void **state)
{
    struct herror err;
    struct config *cfg = config_create (table, &err);
    char *path = write_file ("# huddle.conf\n"
                             "\n"
                             "listen_port = 9000   # trailing comment\n"
                             "heartbeat_timeout=2m\n"
                             "  max_message_size = 1 GiB\n"
                             "state_dir = \"/srv/huddle # not a comment\"\n"
                             "elastic = Yes\n"
                             "log-level = debug\n"
                             "admins = alice, bob carol\n"
                             "priority_bias = -1024\n");
    assert_int_equal (config_load_file (cfg, path, &err), 0);
    assert_int_equal (config_get_int (cfg, "listen_port"), 9000);
    assert_int_equal (config_get_int (cfg, "heartbeat_timeout"), 120);
    assert_int_equal (config_get_int (cfg, "max_message_size"), 1024 * 1024 * 1024);
    assert_string_equal (config_get_string (cfg, "state_dir"), "/srv/huddle # not a comment");
    assert_true (config_get_bool (cfg, "elastic"));
    assert_int_equal (config_get_loglevel (cfg, "log_level"), LOG_LEVEL_DEBUG);
    assert_int_equal (config_get_int (cfg, "priority_bias"), -1024);
    size_t n;
    const char *const *l = config_get_strlist (cfg, "admins", &n);
    assert_int_equal (n, 3);
    assert_string_equal (l[0], "alice");
    assert_string_equal (l[1], "bob");
    assert_string_equal (l[2], "carol");
    unlink (path);
    config_destroy (cfg);
}

/* A daemon's command line: --config is applied first wherever it stands,
 * the rest win over the file, a bare bool flag means yes. */
static void command_line (void **state)
{
    struct herror err;
    struct config *cfg = config_create (table, &err);
    char *path = write_file ("listen_port = 9000\nstate_dir = /from/file\n");
    char *argv[] = {"prog", "--state-dir=/from/args", "--elastic", "--config",
                    path,   "--listen_port",          "9100",      NULL};
    assert_false (config_args_want_help (7, argv));
    assert_int_equal (config_parse_args (cfg, 7, argv, &err), 0);
    assert_int_equal (config_get_int (cfg, "listen_port"), 9100);
    assert_string_equal (config_get_string (cfg, "state_dir"), "/from/args");
    assert_true (config_get_bool (cfg, "elastic"));
    unlink (path);

    char *bad[] = {"prog", "stray", NULL};
    assert_int_equal (config_parse_args (cfg, 2, bad, &err), -1);
    assert_string_equal (err.text, "unexpected argument \"stray\" (see --help)");
    char *novalue[] = {"prog", "--state-dir", NULL};
    assert_int_equal (config_parse_args (cfg, 2, novalue, &err), -1);
    assert_string_equal (err.text, "option --state-dir needs a value");
    char *help[] = {"prog", "--listen-port=1", "-h", NULL};
    assert_true (config_args_want_help (3, help));
    config_destroy (cfg);
}

/* Each bad line: the sentence an admin reads. */
static void expect_file_error (const char *text, const char *want)
{
    struct herror err;
    struct config *cfg = config_create (table, &err);
    char *path = write_file (text);
    errno = 0;
    assert_int_equal (config_load_file (cfg, path, &err), -1);
    assert_int_equal (errno, EINVAL);
    char expected[512];
    snprintf (expected, sizeof (expected), "%s%s", path, want);
    assert_string_equal (err.text, expected);
    unlink (path);
    config_destroy (cfg);
}

static void file_errors (void **state)
{
    expect_file_error ("# c\n\n\n\n\nlisten_port = 1\nheartbeat_timeout = abc\n",
                       " line 7: heartbeat_timeout \"abc\": not a duration");
    expect_file_error ("heartbeat_timout = 3\n", " line 1: unknown option \"heartbeat_timout\"");
    expect_file_error ("listen_port\n", " line 1: expected \"name = value\"");
    expect_file_error ("= 4\n", " line 1: option name missing before \"=\"");
    expect_file_error ("state_dir = \"abc\n", " line 1: unterminated quote");
    expect_file_error ("listen_port = 70000\n",
                       " line 1: listen_port \"70000\": must be between 1 and 65535");
    expect_file_error ("listen_port = -1\n",
                       " line 1: listen_port \"-1\": not a non-negative integer");
    expect_file_error ("max_message_size = 12Q\n", " line 1: max_message_size \"12Q\": not a size");
    expect_file_error ("max_message_size = 99999999999T\n",
                       " line 1: max_message_size \"99999999999T\": not a size");
    expect_file_error ("elastic = maybe\n", " line 1: elastic \"maybe\": not yes or no");
    expect_file_error ("log_level = loud\n",
                       " line 1: log_level \"loud\": not a log level (error, warn, info, debug)");
    expect_file_error ("heartbeat_timeout = 1.5h\n",
                       " line 1: heartbeat_timeout \"1.5h\": not a duration");
    expect_file_error ("heartbeat_timeout = 0\n",
                       " line 1: heartbeat_timeout \"0\": must be between 1 and 86400");

    struct herror err;
    struct config *cfg = config_create (table, &err);
    errno = 0;
    assert_int_equal (config_load_file (cfg, "/nonexistent/huddle.conf", &err), -1);
    assert_int_equal (errno, ENOENT);
    assert_string_equal (err.text, "/nonexistent/huddle.conf: No such file or directory");
    config_destroy (cfg);
}

static void overrides (void **state)
{
    struct herror err;
    struct config *cfg = config_create (table, &err);
    assert_int_equal (config_set (cfg, "heartbeat-timeout", "1h", &err), 0);
    assert_int_equal (config_get_int (cfg, "heartbeat_timeout"), 3600);
    assert_int_equal (config_set (cfg, "heartbeat_timeout", "2d", &err), -1);
    assert_string_equal (err.text, "heartbeat_timeout \"2d\": must be between 1 and 86400");
    /* a failing set leaves the value */
    assert_int_equal (config_get_int (cfg, "heartbeat_timeout"), 3600);
    assert_int_equal (config_set (cfg, "nope", "1", &err), -1);
    assert_string_equal (err.text, "unknown option \"nope\"");
    assert_int_equal (config_set (cfg, "admins", "", &err), 0);
    size_t n = 9;
    assert_non_null (config_get_strlist (cfg, "admins", &n));
    assert_int_equal (n, 0);
    assert_int_equal (config_set (cfg, "max_message_size", "4096", &err), 0);
    assert_int_equal (config_get_int (cfg, "max_message_size"), 4096);
    assert_int_equal (config_set (cfg, "max_message_size", "64kib", &err), 0);
    assert_int_equal (config_get_int (cfg, "max_message_size"), 65536);
    config_destroy (cfg);
}

static void getter_misuse (void **state)
{
    struct herror err;
    struct config *cfg = config_create (table, &err);
    errno = 0;
    assert_int_equal (config_get_int (cfg, "missing"), 0);
    assert_int_equal (errno, ENOENT);
    errno = 0;
    assert_null (config_get_string (cfg, "listen_port"));
    assert_int_equal (errno, EINVAL);
    config_destroy (cfg);
    config_destroy (NULL);
}

static void help_and_print (void **state)
{
    char buf[4096] = "";
    FILE *f = fmemopen (buf, sizeof (buf), "w");
    config_print_help (table, f);
    fclose (f);
    assert_non_null (strstr (buf,
                             "  --heartbeat-timeout=DURATION\n"
                             "      silence before a node is down (default: 30s; 1..86400)\n"));
    assert_non_null (strstr (buf, "  --elastic=BOOL\n      grow pools on demand (default: no)\n"));
    assert_non_null (strstr (buf, "  --server=STRING\n      controller HOST:PORT\n"));

    /* config_print writes a file config_load_file reads back */
    struct herror err;
    struct config *cfg = config_create (table, &err);
    config_set (cfg, "state_dir", "/a b", &err);
    char out[4096] = "";
    f = fmemopen (out, sizeof (out), "w");
    config_print (cfg, f);
    fclose (f);
    assert_non_null (strstr (out, "listen_port = 7810\n"));
    assert_non_null (strstr (out, "server = \"\"\n"));
    char *path = write_file (out);
    struct config *again = config_create (table, &err);
    assert_int_equal (config_load_file (again, path, &err), 0);
    assert_string_equal (config_get_string (again, "state_dir"), "/a b");
    unlink (path);
    config_destroy (again);
    config_destroy (cfg);
}

/* log.c is the daemons' logger; config reads its level. */
static void log_to_file (void **state)
{
    char path[] = "/tmp/huddle-test-log.XXXXXX";
    int fd = mkstemp (path);
    close (fd);
    assert_int_equal (log_init ("huddle-test", LOG_LEVEL_INFO, path), 0);
    errno = EAGAIN;
    log_msg (LOG_LEVEL_WARN, "node %s missed %d heartbeats\n", "n1", 3);
    assert_int_equal (errno, EAGAIN);
    log_msg (LOG_LEVEL_DEBUG, "not written");
    log_set_level (LOG_LEVEL_DEBUG);
    log_msg (LOG_LEVEL_DEBUG, "written");
    log_fini();
    char buf[512] = "";
    FILE *f = fopen (path, "r");
    size_t n = fread (buf, 1, sizeof (buf) - 1, f);
    fclose (f);
    buf[n] = '\0';
    unlink (path);
    /* 2025-01-31T12:00:00.123Z huddle-test[PID]: warn: TEXT */
    assert_int_equal (buf[4], '-');
    assert_int_equal (buf[10], 'T');
    assert_int_equal (buf[23], 'Z');
    assert_non_null (strstr (buf, " huddle-test["));
    assert_non_null (strstr (buf, "]: warn: node n1 missed 3 heartbeats\n"));
    assert_null (strstr (buf, "not written"));
    assert_non_null (strstr (buf, "]: debug: written\n"));
    assert_null (strstr (buf, "\n\n"));
    enum log_level l;
    assert_int_equal (log_level_parse ("WARNING", &l), 0);
    assert_int_equal (l, LOG_LEVEL_WARN);
    assert_int_equal (log_level_parse ("verbose", &l), -1);
    assert_int_equal (log_init ("x", LOG_LEVEL_INFO, "/nonexistent/dir/log"), -1);
    assert_int_equal (errno, ENOENT);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (defaults),       cmocka_unit_test (bad_default_is_reported),
        cmocka_unit_test (load_file),      cmocka_unit_test (file_errors),
        cmocka_unit_test (overrides),      cmocka_unit_test (getter_misuse),
        cmocka_unit_test (help_and_print), cmocka_unit_test (log_to_file),
        cmocka_unit_test (command_line),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
