/* fuzz_ctld_config.c - huddle-ctld's configuration file and command line
 * (ctld_options_parse, scheduler/ctld/options.h, through common/config.h)
 *
 * Input: the file given with --config; after a NUL byte, further
 * arguments separated by NUL bytes (--NAME=VALUE overrides).  Checks: the
 * daemon's own parse either accepts or says why (exit code 2 and a
 * sentence); and the file format itself, read into a table with one
 * option of every type, prints (config_print) as a file that reads back
 * to the same print. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "scheduler/ctld/options.h"
#include "tests/fuzz/fuzz.h"

#define MAX_WORDS 32

/* One option of each type, with the bounds a daemon's table uses. */
static const struct config_option every_type[] = {
    {"int", CONFIG_INT, "-1", -1000, 1000, "an int"},
    {"uint", CONFIG_UINT, "7", 0, 0, "an unbounded uint"},
    {"duration", CONFIG_DURATION, "30s", 0, 3650LL * 86400, "a duration"},
    {"size", CONFIG_SIZE, "16M", 0, 0, "a size"},
    {"string", CONFIG_STRING, "", 0, 0, "a string"},
    {"bool", CONFIG_BOOL, "no", 0, 0, "a bool"},
    {"log_level", CONFIG_LOGLEVEL, "info", 0, 0, "a log level"},
    {"list", CONFIG_STRLIST, "", 0, 0, "a list"},
    {"node_labels", CONFIG_STRING, "", 0, 0, "ctld's option, for its name"},
    {"listen", CONFIG_STRING, "", 0, 0, "ctld's option, for its name"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static char *print (const struct config *cfg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&text, &len);
    if (!f)
        fuzz_fail ("out of memory");
    config_print (cfg, f);
    fclose (f);
    return text;
}

/* The file format: what it accepts prints as a file that reads back the
 * same. */
static void file_format (const char *path)
{
    struct herror err = {""};
    struct config *cfg = config_create (every_type, &err);
    FUZZ_CHECK (cfg, "config_create: %s", err.text);
    if (config_load_file (cfg, path, &err) < 0) {
        FUZZ_CHECK (err.text[0], "a file refused without a reason");
        config_destroy (cfg);
        return;
    }
    char *p1 = print (cfg);
    char path2[32];
    int fd = fuzz_memfile ((const uint8_t *)p1, strlen (p1), path2, sizeof (path2));
    struct config *back = config_create (every_type, &err);
    FUZZ_CHECK (back, "config_create: %s", err.text);
    if (fd >= 0) {
        FUZZ_CHECK (config_load_file (back, path2, &err) == 0,
                    "config_print's output is refused: %s\n%s", err.text, p1);
        char *p2 = print (back);
        FUZZ_CHECK (strcmp (p1, p2) == 0, "a printed configuration reads back different:\n%s\n%s",
                    p1, p2);
        free (p2);
        close (fd);
    }
    config_destroy (back);
    free (p1);
    config_destroy (cfg);
}

FUZZ_ENTRY (ctld_config)
{
    int n, fd;
    char **argv = fuzz_daemon_argv ("huddle-ctld", data, size, MAX_WORDS, &n, &fd);
    if (!argv)
        return 0;

    struct ctld_config cfg;
    struct herror err = {""};
    int code = -1;
    struct ctld_options *o = ctld_options_parse (n, argv, &cfg, &code, &err);
    if (o) {
        FUZZ_CHECK (code == 0, "accepted with exit code %d", code);
        FUZZ_CHECK (cfg.state_dir && cfg.state_dir[0] && cfg.server_name && cfg.default_queue &&
                        cfg.heartbeat_timeout > cfg.heartbeat_interval &&
                        cfg.job_lease >= cfg.heartbeat_timeout,
                    "an accepted configuration breaks its own rules");
        (void)ctld_options_log_file (o);
        (void)ctld_options_pid_file (o);
        (void)ctld_options_log_level (o);
    } else {
        FUZZ_CHECK (code == 2 && err.text[0], "refused with exit code %d and no reason", code);
    }
    ctld_options_destroy (o);
    file_format (argv[2]); /* the --config file */
    fuzz_argv_free (argv);
    close (fd);
    return 0;
}
