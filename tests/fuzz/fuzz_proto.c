/* fuzz_proto.c - the wire frame decoder and the message member readers
 * (common/proto.h): what any peer that reaches the controller's or an
 * agent's port can send.
 *
 * Input: one byte that chooses how the stream is split (1..64 bytes per
 * feed), then the byte stream.  Checks: the stream decodes to the same
 * messages and errors however it is split (a peer chooses the split by
 * how it writes); every message it yields encodes again and decodes back
 * equal; the member readers and the reply builders take any message. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/proto.h"
#include "tests/fuzz/fuzz.h"

#define MAX_FRAME 4096 /* small, so that oversize headers are reached */
#define MAX_ITEMS 64

struct item {
    int rc;
    enum proto_error e;
    int64_t error_id;
    json_t *msg;
};

/* Feed data in pieces of step bytes (0: all at once), collecting what
 * next() returns until the stream is used up or broken. */
static int decode (const uint8_t *data, size_t size, size_t step, struct item *items)
{
    struct proto_decoder *d = proto_decoder_create (MAX_FRAME);
    int n = 0;
    size_t off = 0;
    bool broken = false;
    if (!d)
        fuzz_fail ("out of memory");
    while (off < size && !broken && n < MAX_ITEMS) {
        size_t len = step && size - off > step ? step : size - off;
        if (proto_decoder_feed (d, data + off, len) < 0)
            fuzz_fail ("feed: %s", strerror (errno));
        off += len;
        for (;;) {
            struct herror err = {""};
            json_t *msg = NULL;
            int rc = proto_decoder_next (d, &msg, &err);
            if (rc == 0 || n == MAX_ITEMS)
                break;
            FUZZ_CHECK (rc == 1 || err.text[0], "an error without a message");
            items[n++] =
                (struct item){rc, proto_decoder_error (d), proto_decoder_error_id (d), msg};
            if (rc < 0 && proto_error_is_fatal (proto_decoder_error (d))) {
                broken = true;
                break;
            }
        }
    }
    proto_decoder_destroy (d);
    return n;
}

static void read_members (json_t *msg)
{
    const char *key;
    json_t *v;
    json_object_foreach (msg, key, v)
    {
        struct herror err = {""};
        int64_t i;
        double r;
        const char *s;
        bool b;
        json_t *o;
        (void)proto_get_int (msg, key, &i, &err);
        (void)proto_get_int_range (msg, key, -5, 5, &i, &err);
        (void)proto_get_real (msg, key, &r, &err);
        (void)proto_get_string (msg, key, &s, &err);
        (void)proto_get_bool (msg, key, &b, &err);
        (void)proto_get_object (msg, key, &o, &err);
        (void)proto_get_array (msg, key, &o, &err);
        (void)proto_opt_int (msg, key, &i, &err);
        (void)proto_opt_real (msg, key, &r, &err);
        if (proto_opt_string (msg, key, &s, &err) == 1)
            FUZZ_CHECK (strlen (s) == json_string_length (v), "a string with a NUL byte");
        (void)proto_opt_bool (msg, key, &b, &err);
        (void)proto_opt_object (msg, key, &o, &err);
        (void)proto_opt_array (msg, key, &o, &err);
    }
}

/* A message the decoder gave: encodes, decodes back equal, gets replies. */
static void check_message (json_t *msg)
{
    size_t len;
    void *frame = proto_encode (msg, &len);
    FUZZ_CHECK (frame, "a decoded message does not encode: %s", strerror (errno));
    struct item again[1];
    FUZZ_CHECK (decode (frame, len, 0, again) == 1 && again[0].rc == 1,
                "an encoded message does not decode");
    FUZZ_CHECK (fuzz_json_same (msg, again[0].msg, "message and its encoding"),
                "a message changed in its encoding");
    json_decref (again[0].msg);
    free (frame);
    FUZZ_CHECK (proto_msg_type (msg), "a message without a type");
    read_members (msg);
    json_t *ok = proto_reply_ok (msg);
    json_t *bad = proto_error_reply (msg, "refused: %s", proto_msg_type (msg));
    FUZZ_CHECK (ok && bad, "no reply to a message");
    FUZZ_CHECK (proto_msg_id (ok) == proto_msg_id (msg), "a reply with another id");
    void *f1 = proto_encode (ok, &len);
    void *f2 = proto_encode (bad, &len);
    FUZZ_CHECK (f1 && f2, "a reply does not encode");
    free (f1);
    free (f2);
    json_decref (ok);
    json_decref (bad);
}

FUZZ_ENTRY (proto)
{
    if (size < 1)
        return 0;
    size_t step = 1 + data[0] % 64;
    data++, size--;
    struct item whole[MAX_ITEMS], split[MAX_ITEMS];
    int n = decode (data, size, 0, whole);
    int m = decode (data, size, step, split);
    /* A split stream may stop one item earlier when the item cap falls
     * differently; compare what both have. */
    int k = n < m ? n : m;
    FUZZ_CHECK (n == m || k == MAX_ITEMS, "whole stream gave %d items, split by %zu %d", n, step,
                m);
    for (int i = 0; i < k; i++) {
        FUZZ_CHECK (whole[i].rc == split[i].rc && whole[i].e == split[i].e,
                    "item %d: rc %d/%d, error %d/%d after a split by %zu", i, whole[i].rc,
                    split[i].rc, (int)whole[i].e, (int)split[i].e, step);
        FUZZ_CHECK (whole[i].error_id == split[i].error_id, "item %d: error id differs", i);
        if (whole[i].rc == 1) {
            FUZZ_CHECK (fuzz_json_same (whole[i].msg, split[i].msg, "whole and split"),
                        "item %d differs after a split", i);
            check_message (whole[i].msg);
        }
    }
    for (int i = 0; i < n; i++)
        json_decref (whole[i].msg);
    for (int i = 0; i < m; i++)
        json_decref (split[i].msg);
    return 0;
}
