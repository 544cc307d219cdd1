/* labels.h - node labels: the site's custom host resources and Torque node
 * properties (huddle-ctld's node_labels option)
 *
 * An admin gives nodes labels in the controller's configuration:
 *
 *     node_labels = node[01-04]:a100,ib,gpu_type=a100 node[05-08]:bigmem
 *
 * entries separated by blanks or ';', each HOSTLIST:LABEL[,LABEL...], a
 * LABEL being NAME (a boolean host resource, PBS's "NAME=True", Torque's
 * node property) or NAME=VALUE (a string host resource); a node named by
 * several entries has all their labels.  Every node also has arch=linux,
 * PBS's built-in arch of a Linux host, unless an entry gives it an arch.
 * Jobs ask for labels in their chunks (common/resreq.h):
 * select=2:ncpus=4:gpu_type=a100, select=1:a100=True, nodes=2:ppn=8:ib;
 * the scheduler places such chunks on nodes that have every label asked.
 *
 * Pure functions of the option text; errors as -1 with err.
 */
#ifndef HUDDLE_CTLD_LABELS_H
#define HUDDLE_CTLD_LABELS_H

#include <stddef.h>

#include "common/herror.h"
#include "common/resreq.h"

/* Check the option's text: 0, or -1 naming the entry that is wrong. */
int labels_config_check (const char *spec, struct herror *err);

/* The labels of node (a label list, comma-separated) into buf, arch=linux
 * included; "" when spec gives it none.  0, or -1 when they do not fit in
 * size (RESREQ_LABELS_MAX is plenty for one chunk, a node may need more). */
int labels_of_node (const char *spec, const char *node, char *buf, size_t size);

/* Whether a request's labels can be honoured: each label of each chunk
 * (chunks may ask for different ones: each is placed on nodes having its
 * own) is one some entry of spec (or the built-in arch=linux) defines,
 * with a value some node has.  0, or -1 with a PBS-style message
 * ("Unknown resource: gpu_type"). */
int labels_check_request (const char *spec, const struct resreq *r, struct herror *err);

#endif
