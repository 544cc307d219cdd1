/* qtopo_links.h - qtopo --links: the measured link matrix */
#ifndef HUDDLE_CLI_QTOPO_LINKS_H
#define HUDDLE_CLI_QTOPO_LINKS_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

enum qtopo_links_format { QTOPO_LINKS_TEXT, QTOPO_LINKS_JSON, QTOPO_LINKS_DOT };

/* Ask the controller for its measured links (link.query) and print them:
 * a table; JSON (the reply's links with their age); or a Graphviz graph,
 * one edge per measured pair labelled with its latency and bandwidth, the
 * line width growing with the bandwidth (the fastest pair 5, others in
 * proportion, at least 1), so fast leaves stand out.  Returns the exit
 * status. */
int qtopo_links (enum qtopo_links_format fmt);

/* Print reply's links to f as a table, one pair per line, ages relative to
 * the reply's "now".  Returns 0 or -1 (write error). */
int qtopo_links_render (const json_t *reply, FILE *f);
int qtopo_links_render_dot (const json_t *reply, FILE *f);

#endif
