/* fake_peer.c - ctld.h's peer functions over struct peer (fake_peer.h) */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/fake_peer.h"

struct peer *peer_new (uid_t uid)
{
    struct peer *p = calloc (1, sizeof (*p));
    if (!p)
        abort();
    p->uid = uid;
    p->refs = 1;
    return p;
}

uid_t peer_uid (const struct peer *p)
{
    return p->uid;
}

gid_t peer_gid (const struct peer *p)
{
    return (gid_t)p->uid;
}

const char *peer_addr (const struct peer *p)
{
    return "test";
}

const char *peer_agent_node (const struct peer *p)
{
    return p->node;
}

void peer_set_agent_node (struct peer *p, const char *name)
{
    free (p->node);
    p->node = name ? strdup (name) : NULL;
}

struct peer *peer_ref (struct peer *p)
{
    if (p)
        p->refs++;
    return p;
}

void peer_unref (struct peer *p)
{
    if (p && --p->refs == 0) {
        free (p->node);
        free (p);
    }
}
