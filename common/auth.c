/* auth.c - MUNGE credentials for the huddle hello (see auth.h) */
#include "auth.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <munge.h>

#define AUTH_ROLE_MAX 32

static bool role_ok (const char *role)
{
    size_t n = role ? strlen (role) : 0;
    return n > 0 && n <= AUTH_ROLE_MAX && !strchr (role, ':');
}

/* A context that talks to the socket named by HUDDLE_MUNGE_SOCKET, if set. */
static munge_ctx_t ctx_create (struct herror *err)
{
    munge_ctx_t ctx = munge_ctx_create();
    if (!ctx) {
        errno = ENOMEM;
        herror_set (err, "out of memory creating a MUNGE context");
        return NULL;
    }
    const char *sock = getenv (AUTH_SOCKET_ENV);
    if (sock && *sock && munge_ctx_set (ctx, MUNGE_OPT_SOCKET, sock) != EMUNGE_SUCCESS) {
        herror_set (err, "%s=%s: %s", AUTH_SOCKET_ENV, sock, munge_ctx_strerror (ctx));
        munge_ctx_destroy (ctx);
        errno = EINVAL;
        return NULL;
    }
    return ctx;
}

static int munge_errno (munge_err_t e)
{
    switch (e) {
    case EMUNGE_NO_MEMORY:
        return ENOMEM;
    case EMUNGE_SOCKET:
    case EMUNGE_TIMEOUT:
    case EMUNGE_SNAFU:
        return EIO;
    case EMUNGE_BAD_ARG:
        return EINVAL;
    default:
        return EACCES;
    }
}

static const char *socket_name (void)
{
    const char *sock = getenv (AUTH_SOCKET_ENV);
    return sock && *sock ? sock : "the default munged socket";
}

int auth_cred_create (const char *role, char **cred, struct herror *err)
{
    if (!role_ok (role) || !cred) {
        errno = EINVAL;
        return herror_set (err, "invalid role for a credential");
    }
    char payload[sizeof (AUTH_PAYLOAD_PREFIX) + AUTH_ROLE_MAX];
    int n = snprintf (payload, sizeof (payload), "%s%s", AUTH_PAYLOAD_PREFIX, role);
    munge_ctx_t ctx = ctx_create (err);
    if (!ctx)
        return -1;
    char *c = NULL;
    munge_err_t e = munge_encode (&c, ctx, payload, n);
    if (e != EMUNGE_SUCCESS) {
        herror_set (err, "cannot create a MUNGE credential (%s): %s", socket_name(),
                    munge_ctx_strerror (ctx) ? munge_ctx_strerror (ctx) : munge_strerror (e));
        munge_ctx_destroy (ctx);
        free (c);
        errno = munge_errno (e);
        return -1;
    }
    munge_ctx_destroy (ctx);
    *cred = c;
    return 0;
}

/* The spare credential (auth.h): its text, its role, when it was made. */
static struct {
    char *cred;
    char role[AUTH_ROLE_MAX + 1];
    struct timespec made;
} spare;

static double age_s (const struct timespec *t)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

void auth_cred_discard (void)
{
    free (spare.cred);
    spare.cred = NULL;
    spare.role[0] = '\0';
}

int auth_cred_prepare (const char *role, struct herror *err)
{
    if (!role_ok (role)) {
        errno = EINVAL;
        return herror_set (err, "invalid role for a credential");
    }
    if (spare.cred && strcmp (spare.role, role) == 0 && age_s (&spare.made) < AUTH_SPARE_MAX_AGE)
        return 0;
    auth_cred_discard();
    char *cred;
    if (auth_cred_create (role, &cred, err) < 0)
        return -1;
    spare.cred = cred;
    snprintf (spare.role, sizeof (spare.role), "%s", role);
    clock_gettime (CLOCK_MONOTONIC, &spare.made);
    return 0;
}

int auth_cred_take (const char *role, char **cred, struct herror *err)
{
    if (spare.cred && role_ok (role) && cred && strcmp (spare.role, role) == 0 &&
        age_s (&spare.made) < AUTH_SPARE_MAX_AGE) {
        *cred = spare.cred;
        spare.cred = NULL;
        spare.role[0] = '\0';
        return 0;
    }
    auth_cred_discard();
    return auth_cred_create (role, cred, err);
}

/* Why a decode failed, in words a person reading a log understands. */
static const char *decode_reason (munge_err_t e)
{
    switch (e) {
    case EMUNGE_CRED_REPLAYED:
        return "credential replayed";
    case EMUNGE_CRED_EXPIRED:
        return "credential expired";
    case EMUNGE_CRED_REWOUND:
        return "credential created in the future (clock skew?)";
    case EMUNGE_CRED_INVALID:
        return "credential invalid (different MUNGE key?)";
    case EMUNGE_BAD_CRED:
    case EMUNGE_BAD_VERSION:
    case EMUNGE_BAD_CIPHER:
    case EMUNGE_BAD_MAC:
    case EMUNGE_BAD_ZIP:
    case EMUNGE_BAD_REALM:
    case EMUNGE_BAD_LENGTH:
        return "credential malformed";
    case EMUNGE_CRED_UNAUTHORIZED:
        return "credential not for this user";
    default:
        return NULL;
    }
}

int auth_cred_verify (const char *cred, const char *expected_role, uid_t *uid, gid_t *gid,
                      struct herror *err)
{
    if (!cred || !role_ok (expected_role)) {
        errno = EINVAL;
        return herror_set (err, "no credential");
    }
    munge_ctx_t ctx = ctx_create (err);
    if (!ctx)
        return -1;
    void *buf = NULL;
    int len = 0;
    uid_t u;
    gid_t g;
    munge_err_t e = munge_decode (cred, ctx, &buf, &len, &u, &g);
    if (e != EMUNGE_SUCCESS) {
        const char *why = decode_reason (e);
        if (why)
            herror_set (err, "%s", why);
        else
            herror_set (err, "cannot decode the credential (%s): %s", socket_name(),
                        munge_ctx_strerror (ctx) ? munge_ctx_strerror (ctx) : munge_strerror (e));
        free (buf);
        munge_ctx_destroy (ctx);
        errno = munge_errno (e);
        return -1;
    }
    munge_ctx_destroy (ctx);

    size_t plen = strlen (AUTH_PAYLOAD_PREFIX);
    size_t rlen = strlen (expected_role);
    bool ok = buf && len >= 0 && (size_t)len == plen + rlen &&
              !memcmp (buf, AUTH_PAYLOAD_PREFIX, plen) &&
              !memcmp ((char *)buf + plen, expected_role, rlen);
    if (!ok) {
        /* Say which role it was for when the payload is one of ours. */
        char role[AUTH_ROLE_MAX + 1] = "";
        if (buf && len > 0 && (size_t)len > plen && (size_t)len - plen <= AUTH_ROLE_MAX &&
            !memcmp (buf, AUTH_PAYLOAD_PREFIX, plen) &&
            !memchr ((char *)buf + plen, '\0', (size_t)len - plen)) {
            memcpy (role, (char *)buf + plen, (size_t)len - plen);
            role[len - plen] = '\0';
        }
        if (role[0])
            herror_set (err, "credential is for role \"%s\", expected \"%s\"", role, expected_role);
        else
            herror_set (err, "credential is not a huddle hello");
        free (buf);
        errno = EACCES;
        return -1;
    }
    free (buf);
    if (uid)
        *uid = u;
    if (gid)
        *gid = g;
    return 0;
}
