/* handlers.c - which subsystem handles a message type (ctld.h)
 *
 * One list of the handler tables, so that server.c's dispatch and the
 * tests that drive the handlers without a network (the fuzz target of
 * tests/fuzz) cannot disagree on what huddle-ctld answers.
 */
#include <stdbool.h>
#include <stddef.h>

#include "scheduler/ctld/ctld.h"
#include "scheduler/ctld/ctld_fabric.h"

static const struct proto_handler *const client_tables[] = {
    jobs_client_handlers,
    nodes_client_handlers,
    links_client_handlers,
    fabric_client_handlers,
    pgroups_client_handlers,
    messages_client_handlers,
    NULL,
};
static const struct proto_handler *const agent_tables[] = {
    nodes_agent_handlers, jobs_agent_handlers, links_agent_handlers, messages_agent_handlers, NULL,
};

static const struct proto_handler *lookup (const struct proto_handler *const *tables,
                                           const char *type)
{
    for (int i = 0; tables[i]; i++) {
        const struct proto_handler *h = proto_handler_find (tables[i], type);
        if (h)
            return h;
    }
    return NULL;
}

const struct proto_handler *ctld_handler_find (const char *type, bool *agent_only)
{
    const struct proto_handler *h = lookup (client_tables, type);
    *agent_only = false;
    if (!h && (h = lookup (agent_tables, type)))
        *agent_only = true;
    return h;
}
