/* qtopo_links.h - qtopo --links: the measured link matrix */
#ifndef HUDDLE_CLI_QTOPO_LINKS_H
#define HUDDLE_CLI_QTOPO_LINKS_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

/* Ask the controller for its measured links (link.query) and print them
 * (json: the reply's links with their age).  Returns the exit status. */
int qtopo_links (bool json);

/* Print reply's links to f as a table, one pair per line, ages relative to
 * the reply's "now".  Returns 0 or -1 (write error). */
int qtopo_links_render (const json_t *reply, FILE *f);

#endif
