/* submit_floor - the least a server that keeps qsub's promise must do
 *
 *   submit_floor [--no-sync] SOCKET FILE
 *
 * Listens on the UNIX socket SOCKET and answers qsub as huddle-ctld does
 * through its local socket: hello -> hello.ok (the peer's uid and gid as
 * the kernel names them), job.submit -> job.submit.ok with the next number.
 * Each submit's frame is written into FILE (overwriting a 4 MiB ring, as a
 * WAL is once it wrapped) and fdatasync'd before the answer goes out: the
 * job is on disk before its id is printed, and nothing more is done.  No
 * job model, no store, no scheduler, one connection at a time.
 * --no-sync leaves out the fdatasync: then what is left is the process,
 * the kernel's socket work and the two JSON codecs, and the difference to
 * the run with it is what the disk's flush costs a submit.
 *
 * bench/submit_bench throughput --floor SOCKET runs the qsub loop against
 * it beside the controller's, in the same slices: what is left of the
 * ratio to the `qsub --help` loop then is process start, the kernel's
 * socket work and the disk's flush, which no scheduler can remove.
 * bench/run starts it on the state directory's disk and stops it (by pid).
 * It runs until killed; it prints "ready" on stdout once it listens.
 */
#define _GNU_SOURCE /* struct ucred, SO_PEERCRED */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "common/proto.h"

#define RING_BYTES (4 << 20)

static void die (const char *what)
{
    fprintf (stderr, "submit_floor: %s: %s\n", what, strerror (errno));
    exit (1);
}

static int send_frame (int fd, json_t *msg)
{
    size_t len;
    char *frame = msg ? proto_encode (msg, &len) : NULL;
    json_decref (msg);
    if (!frame)
        return -1;
    int rc = send (fd, frame, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
    free (frame);
    return rc;
}

static bool no_sync;

/* Commit the frame: write it into the ring and flush it to the disk. */
static int commit (int store, const json_t *msg, off_t *off)
{
    char *body = json_dumps (msg, JSON_COMPACT);
    if (!body)
        return -1;
    size_t len = strlen (body);
    if (*off + (off_t)len > RING_BYTES)
        *off = 0;
    int rc = pwrite (store, body, len, *off) == (ssize_t)len && (no_sync || fdatasync (store) == 0)
                 ? 0
                 : -1;
    *off += (off_t)len;
    free (body);
    return rc;
}

/* Answer one connection until the client closes it. */
static void serve (int fd, int store, off_t *off, long *seq)
{
    struct ucred uc;
    socklen_t uclen = sizeof (uc);
    struct proto_decoder *dec = proto_decoder_create (PROTO_MAX_FRAME_DEFAULT);
    char buf[65536];
    if (!dec || getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &uc, &uclen) < 0)
        goto out;
    for (;;) {
        ssize_t n = recv (fd, buf, sizeof (buf), 0);
        if (n <= 0 || proto_decoder_feed (dec, buf, (size_t)n) < 0)
            break;
        json_t *msg;
        struct herror err;
        int rc;
        while ((rc = proto_decoder_next (dec, &msg, &err)) == 1) {
            const char *type = proto_msg_type (msg);
            json_t *reply = NULL;
            if (strcmp (type, "hello") == 0) {
                reply =
                    json_pack ("{s:s, s:i, s:I, s:I}", "type", "hello.ok", "version", PROTO_VERSION,
                               "uid", (json_int_t)uc.uid, "gid", (json_int_t)uc.gid);
            } else if (strcmp (type, "job.submit") == 0 && commit (store, msg, off) == 0) {
                char id[32];
                snprintf (id, sizeof (id), "%ld.floor", ++*seq);
                if ((reply = proto_reply_ok (msg))) {
                    json_object_set_new (reply, "seq", json_integer (*seq));
                    json_object_set_new (reply, "jobid", json_string (id));
                }
            } else {
                reply = proto_error_reply (msg, "submit_floor answers hello and job.submit only");
            }
            json_decref (msg);
            if (send_frame (fd, reply) < 0)
                goto out;
        }
        if (rc < 0)
            break;
    }
out:
    proto_decoder_destroy (dec);
    close (fd);
}

int main (int argc, char **argv)
{
    if (argc == 4 && strcmp (argv[1], "--no-sync") == 0) {
        no_sync = true;
        argv++;
        argc--;
    }
    if (argc != 3) {
        fprintf (stderr, "usage: submit_floor [--no-sync] SOCKET FILE\n");
        return 2;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen (argv[1]) >= sizeof (sa.sun_path)) {
        fprintf (stderr, "submit_floor: %s: the path is too long for a UNIX socket\n", argv[1]);
        return 2;
    }
    strcpy (sa.sun_path, argv[1]);
    signal (SIGPIPE, SIG_IGN);
    int store = open (argv[2], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (store < 0)
        die (argv[2]);
    /* The ring exists and is on disk before the first commit, as a WAL
     * that wrapped: a commit overwrites, it does not grow the file. */
    static char zeros[65536];
    for (off_t o = 0; o < RING_BYTES; o += (off_t)sizeof (zeros))
        if (pwrite (store, zeros, sizeof (zeros), o) != (ssize_t)sizeof (zeros))
            die (argv[2]);
    if (fsync (store) < 0)
        die (argv[2]);
    int l = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    unlink (argv[1]);
    if (l < 0 || bind (l, (struct sockaddr *)&sa, sizeof (sa)) < 0 || listen (l, 128) < 0)
        die (argv[1]);
    printf ("ready\n");
    fflush (stdout);
    off_t off = 0;
    long seq = 0;
    for (;;) {
        int fd = accept (l, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            die ("accept");
        }
        serve (fd, store, &off, &seq);
    }
}
