/* options.h - huddle-ctld's options: one table, three sources
 *
 * Every option has a default, so "huddle-ctld --state-dir DIR" alone runs.
 * Values come from, in increasing precedence: the defaults, --config FILE
 * ("name = value" lines, '#' comments), then --name=VALUE / --name VALUE on
 * the command line (dashes and underscores are the same in names).
 * --help prints the table; docs/ctld.md is generated from it.
 */
#ifndef HUDDLE_CTLD_OPTIONS_H
#define HUDDLE_CTLD_OPTIONS_H

#include <stdio.h>

#include "common/herror.h"
#include "common/log.h"
#include "scheduler/ctld/ctld.h"

struct ctld_options;

/* Parse argv into cfg (whose strings then belong to the returned options:
 * valid until ctld_options_destroy).  NULL when the program should exit
 * with *exit_code: 0 after --help, 2 with err for a bad option or value. */
struct ctld_options *ctld_options_parse (int argc, char *argv[], struct ctld_config *cfg,
                                         int *exit_code, struct herror *err);
void ctld_options_destroy (struct ctld_options *o);

/* Options that main.c uses but the subsystems do not. */
const char *ctld_options_pid_file (const struct ctld_options *o); /* NULL: none */
const char *ctld_options_log_file (const struct ctld_options *o); /* NULL: stderr */
enum log_level ctld_options_log_level (const struct ctld_options *o);

/* Print the option table (--help). */
void ctld_options_help (FILE *f);

#endif
