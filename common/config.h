/* config.h - table-driven configuration (huddle.conf and command-line overrides)
 *
 * A program describes its options once, in a table (as Redis's config.c
 * does); the file parser, command-line overrides, typed getters and --help
 * all come from it:
 *
 *     static const struct config_option ctld_options[] = {
 *         {"listen_port", CONFIG_UINT, "7810", 1, 65535, "TCP port for agents and commands"},
 *         {"heartbeat_timeout", CONFIG_DURATION, "30s", 1, 86400,
 *          "silence after which a node is marked down"},
 *         {"max_message_size", CONFIG_SIZE, "16M", 1024, 0xffffffff, "largest frame accepted"},
 *         {NULL},
 *     };
 *     struct config *cfg = config_create (ctld_options, &err);
 *     config_load_file (cfg, "/etc/huddle/huddle.conf", &err);
 *     config_set (cfg, "heartbeat-timeout", "1m", &err);        // from --heartbeat-timeout=1m
 *     int64_t t = config_get_int (cfg, "heartbeat_timeout");     // 60
 *
 * File syntax: one "name = value" per line; '#' starts a comment (outside
 * double quotes); blank lines are ignored; a value may be double-quoted.
 * Names match with '-' and '_' treated alike.
 *
 * Value syntax by type:
 *   CONFIG_INT       signed decimal integer
 *   CONFIG_UINT      unsigned decimal integer
 *   CONFIG_DURATION  seconds: "90", "90s", "15m", "2h", "1d"
 *   CONFIG_SIZE      bytes: "512", "64K", "16M", "2G", "1T" (powers of 1024; a
 *                    trailing "B" or "iB" is accepted, case does not matter)
 *   CONFIG_STRING    anything (may be empty)
 *   CONFIG_BOOL      yes/no, true/false, on/off, 1/0
 *   CONFIG_LOGLEVEL  error, warn, info, debug
 *   CONFIG_STRLIST   items separated by commas and/or blanks
 * Numeric types are checked against [min, max] unless both are 0.
 *
 * Errors read like
 *     huddle.conf line 7: heartbeat_timeout "abc": not a duration
 *     unknown option "heartbeat_timout"
 * and the configuration is unchanged by a failing config_set (a failing
 * config_load_file may have applied earlier lines of the file).
 */
#ifndef HUDDLE_CONFIG_H
#define HUDDLE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "herror.h"
#include "log.h"

enum config_type {
    CONFIG_INT,
    CONFIG_UINT,
    CONFIG_DURATION,
    CONFIG_SIZE,
    CONFIG_STRING,
    CONFIG_BOOL,
    CONFIG_LOGLEVEL,
    CONFIG_STRLIST,
};

/* One option.  def is the default written as in the file (NULL: empty
 * string / empty list / 0 / false).  The table is borrowed by config_create
 * and must outlive the config (usually a static array); it ends with an
 * entry whose name is NULL. */
struct config_option {
    const char *name;
    enum config_type type;
    const char *def;
    int64_t min;
    int64_t max;
    const char *help;
};

struct config;

/* Build a configuration holding every option's default.  NULL + EINVAL with
 * err naming the option when a default does not parse (a programming
 * error), or ENOMEM. */
struct config *config_create (const struct config_option *table, struct herror *err);

/* NULL-safe, keeps errno. */
void config_destroy (struct config *cfg);

/* Apply a huddle.conf.  -1 with errno ENOENT etc. when unreadable ("PATH:
 * No such file or directory"), EINVAL for the first bad line. */
int config_load_file (struct config *cfg, const char *path, struct herror *err);

/* Set one option from text (command-line overrides).  -1 + EINVAL. */
int config_set (struct config *cfg, const char *name, const char *value, struct herror *err);

/* Typed getters.  Asking for an option that is not in the table, or with
 * the wrong getter, is a programming error: 0 / false / NULL with errno
 * ENOENT or EINVAL.  config_get_int serves INT, UINT, DURATION and SIZE
 * (values above INT64_MAX are refused when set).  Strings and lists are
 * borrowed from cfg and valid until the option is set again. */
int64_t config_get_int (const struct config *cfg, const char *name);
bool config_get_bool (const struct config *cfg, const char *name);
const char *config_get_string (const struct config *cfg, const char *name);
enum log_level config_get_loglevel (const struct config *cfg, const char *name);
/* A NULL-terminated array; *count (if not NULL) gets its length. */
const char *const *config_get_strlist (const struct config *cfg, const char *name, size_t *count);

/* The option's current value as it was written (or the default). */
const char *config_get_text (const struct config *cfg, const char *name);

/* Apply a daemon's command line: every argument is --NAME=VALUE or
 * --NAME VALUE (a BOOL option may stand alone: --no-bind means yes).
 * --config FILE is applied first wherever it stands, then the others in
 * order, so the command line wins over the file.  Returns 0, or -1 + EINVAL
 * with err naming the argument. */
int config_parse_args (struct config *cfg, int argc, char *const argv[], struct herror *err);

/* True when argv holds --help or -h (checked before anything is parsed so
 * that help works whatever else is on the line). */
bool config_args_want_help (int argc, char *const argv[]);

/* --help text from the table: one entry per option, e.g.
 *   --heartbeat-timeout=DURATION
 *       silence after which a node is marked down (default: 30s; 1..86400)
 */
void config_print_help (const struct config_option *table, FILE *f);

/* Every option as "name = value" lines, a valid huddle.conf. */
void config_print (const struct config *cfg, FILE *f);

#endif
