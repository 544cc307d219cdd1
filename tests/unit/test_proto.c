/* Unit tests for common/proto: framing, the incremental decoder (what a
 * malicious peer talks to), member readers, replies and dispatch. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/proto.h"

/* A frame with an arbitrary body (not necessarily JSON). */
static size_t raw_frame (unsigned char *out, const void *body, uint32_t n)
{
    out[0] = (unsigned char)(n >> 24);
    out[1] = (unsigned char)(n >> 16);
    out[2] = (unsigned char)(n >> 8);
    out[3] = (unsigned char)n;
    memcpy (out + 4, body, n);
    return 4 + n;
}

static json_t *decode_one (const void *buf, size_t len, struct herror *err, int *rc,
                           enum proto_error *kind)
{
    struct proto_decoder *d = proto_decoder_create (0);
    json_t *msg = NULL;
    assert_non_null (d);
    assert_int_equal (proto_decoder_feed (d, buf, len), 0);
    *rc = proto_decoder_next (d, &msg, err);
    *kind = proto_decoder_error (d);
    proto_decoder_destroy (d);
    return *rc == 1 ? msg : NULL;
}

static void encode_layout (void **state)
{
    json_t *m = json_pack ("{s:s, s:i}", "type", "job.delete", "seq", 42);
    size_t len;
    unsigned char *f = proto_encode (m, &len);
    assert_non_null (f);
    const char *body = "{\"type\":\"job.delete\",\"seq\":42}";
    assert_int_equal (len, 4 + strlen (body));
    assert_int_equal (f[0], 0);
    assert_int_equal (f[1], 0);
    assert_int_equal (f[2], 0);
    assert_int_equal (f[3], strlen (body));
    assert_memory_equal (f + 4, body, strlen (body));
    free (f);
    json_decref (m);
}

static void encode_refuses_non_messages (void **state)
{
    size_t len;
    json_t *a = json_array();
    json_t *notype = json_pack ("{s:i}", "seq", 1);
    errno = 0;
    assert_null (proto_encode (a, &len));
    assert_int_equal (errno, EINVAL);
    assert_null (proto_encode (notype, &len));
    assert_int_equal (errno, EINVAL);
    json_decref (a);
    json_decref (notype);
}

/* A stream of three messages, fed in two pieces split at every offset and one
 * byte at a time, always yields the same three messages. */
static void every_split_point (void **state)
{
    json_t *msgs[3] = {
        json_pack ("{s:s, s:i}", "type", "job.delete", "id", 1),
        json_pack ("{s:s, s:{s:[i,i,i]}}", "type", "x", "job", "a", 1, 2, 3),
        json_pack ("{s:s, s:s}", "type", "node.query", "name", "caf\xc3\xa9"),
    };
    unsigned char stream[1024];
    size_t total = 0;
    size_t ends[3];
    for (int i = 0; i < 3; i++) {
        size_t len;
        unsigned char *f = proto_encode (msgs[i], &len);
        memcpy (stream + total, f, len);
        total += len;
        ends[i] = total;
        free (f);
    }
    for (size_t split = 0; split <= total + 1; split++) {
        struct proto_decoder *d = proto_decoder_create (0);
        struct herror err;
        int got = 0;
        size_t pos = 0;
        /* split == total + 1 means: one byte at a time */
        while (pos < total) {
            size_t n = split == total + 1 ? 1 : (pos == 0 ? split : total - pos);
            if (n == 0)
                n = total;
            assert_int_equal (proto_decoder_feed (d, stream + pos, n), 0);
            pos += n;
            json_t *m;
            int rc;
            while ((rc = proto_decoder_next (d, &m, &err)) == 1) {
                assert_true (got < 3);
                assert_true (json_equal (m, msgs[got]));
                got++;
                json_decref (m);
            }
            assert_int_equal (rc, 0);
            /* an incomplete frame is buffered unless pos is a boundary */
            bool boundary = pos == ends[0] || pos == ends[1] || pos == ends[2];
            assert_int_equal (proto_decoder_partial (d), !boundary);
        }
        assert_int_equal (got, 3);
        assert_false (proto_decoder_partial (d));
        proto_decoder_destroy (d);
    }
    for (int i = 0; i < 3; i++)
        json_decref (msgs[i]);
}

static void two_messages_in_one_read (void **state)
{
    unsigned char buf[256];
    size_t n = raw_frame (buf, "{\"type\":\"a\"}", 12);
    n += raw_frame (buf + n, "{\"type\":\"b\"}", 12);
    struct proto_decoder *d = proto_decoder_create (0);
    json_t *m;
    assert_int_equal (proto_decoder_feed (d, buf, n), 0);
    assert_int_equal (proto_decoder_next (d, &m, NULL), 1);
    assert_string_equal (proto_msg_type (m), "a");
    json_decref (m);
    assert_int_equal (proto_decoder_next (d, &m, NULL), 1);
    assert_string_equal (proto_msg_type (m), "b");
    json_decref (m);
    assert_int_equal (proto_decoder_next (d, &m, NULL), 0);
    assert_false (proto_decoder_partial (d));
    proto_decoder_destroy (d);
}

static void partial_is_reported (void **state)
{
    unsigned char buf[64];
    size_t n = raw_frame (buf, "{\"type\":\"a\"}", 12);
    struct proto_decoder *d = proto_decoder_create (0);
    json_t *m;
    assert_false (proto_decoder_partial (d));
    proto_decoder_feed (d, buf, 2);
    assert_true (proto_decoder_partial (d));
    assert_int_equal (proto_decoder_next (d, &m, NULL), 0);
    proto_decoder_feed (d, buf + 2, n - 3);
    assert_int_equal (proto_decoder_next (d, &m, NULL), 0);
    assert_true (proto_decoder_partial (d));
    proto_decoder_feed (d, buf + n - 1, 1);
    assert_int_equal (proto_decoder_next (d, &m, NULL), 1);
    json_decref (m);
    assert_false (proto_decoder_partial (d));
    proto_decoder_destroy (d);
}

/* The limit is checked from the header: the body is never buffered, the
 * error is fatal and sticky. */
static void oversize_frame (void **state)
{
    struct proto_decoder *d = proto_decoder_create (100);
    struct herror err;
    json_t *m;
    unsigned char hdr[4] = {0, 0, 0, 101};
    assert_int_equal (proto_decoder_feed (d, hdr, 4), 0);
    assert_int_equal (proto_decoder_next (d, &m, &err), -1);
    assert_int_equal (errno, EMSGSIZE);
    assert_int_equal (proto_decoder_error (d), PROTO_E_TOOBIG);
    assert_true (proto_error_is_fatal (proto_decoder_error (d)));
    assert_string_equal (err.text, "frame of 101 bytes exceeds the limit of 100 bytes");
    /* More bytes are dropped, the error stays. */
    char junk[1000];
    memset (junk, '{', sizeof (junk));
    assert_int_equal (proto_decoder_feed (d, junk, sizeof (junk)), 0);
    assert_false (proto_decoder_partial (d));
    assert_int_equal (proto_decoder_next (d, &m, &err), -1);
    assert_int_equal (proto_decoder_error (d), PROTO_E_TOOBIG);
    proto_decoder_destroy (d);

    /* Default limit: 16 MiB; a 4 GiB header is refused at once. */
    d = proto_decoder_create (0);
    unsigned char big[4] = {0xff, 0xff, 0xff, 0xff};
    proto_decoder_feed (d, big, 4);
    assert_int_equal (proto_decoder_next (d, &m, &err), -1);
    assert_string_equal (err.text, "frame of 4294967295 bytes exceeds the limit of 16777216 bytes");
    proto_decoder_destroy (d);

    /* Exactly at the limit is fine. */
    d = proto_decoder_create (12);
    unsigned char buf[64];
    size_t n = raw_frame (buf, "{\"type\":\"a\"}", 12);
    proto_decoder_feed (d, buf, n);
    assert_int_equal (proto_decoder_next (d, &m, &err), 1);
    json_decref (m);
    proto_decoder_destroy (d);
}

/* An oversize header arriving in the same read as good frames: the good
 * ones before it are delivered, then the fatal error. */
static void oversize_after_good_frame (void **state)
{
    unsigned char buf[64];
    size_t n = raw_frame (buf, "{\"type\":\"a\"}", 12);
    buf[n++] = 0x7f;
    buf[n++] = 0;
    buf[n++] = 0;
    buf[n++] = 0;
    struct proto_decoder *d = proto_decoder_create (0);
    json_t *m;
    proto_decoder_feed (d, buf, n);
    assert_int_equal (proto_decoder_next (d, &m, NULL), 1);
    json_decref (m);
    assert_int_equal (proto_decoder_next (d, &m, NULL), -1);
    assert_int_equal (proto_decoder_error (d), PROTO_E_TOOBIG);
    proto_decoder_destroy (d);
}

static void zero_and_one_length (void **state)
{
    struct herror err;
    int rc;
    enum proto_error kind;
    unsigned char z[4] = {0, 0, 0, 0};
    assert_null (decode_one (z, 4, &err, &rc, &kind));
    assert_int_equal (rc, -1);
    assert_int_equal (kind, PROTO_E_TOOSMALL);
    assert_true (proto_error_is_fatal (kind));
    assert_string_equal (err.text, "frame of 0 bytes is too short for a JSON object");
    unsigned char one[5] = {0, 0, 0, 1, '{'};
    assert_null (decode_one (one, 5, &err, &rc, &kind));
    assert_int_equal (kind, PROTO_E_TOOSMALL);
}

static void invalid_json_is_not_fatal (void **state)
{
    unsigned char buf[128];
    size_t n = raw_frame (buf, "{\"type\":\n\"a\",}", 14);
    n += raw_frame (buf + n, "{\"type\":\"b\"}", 12);
    struct proto_decoder *d = proto_decoder_create (0);
    struct herror err;
    json_t *m;
    proto_decoder_feed (d, buf, n);
    assert_int_equal (proto_decoder_next (d, &m, &err), -1);
    assert_int_equal (errno, EPROTO);
    assert_int_equal (proto_decoder_error (d), PROTO_E_JSON);
    assert_false (proto_error_is_fatal (PROTO_E_JSON));
    /* jansson's position text */
    assert_non_null (strstr (err.text, "invalid JSON at line 2 column"));
    assert_int_equal (proto_decoder_next (d, &m, &err), 1);
    assert_string_equal (proto_msg_type (m), "b");
    assert_int_equal (proto_decoder_error (d), PROTO_OK);
    json_decref (m);
    proto_decoder_destroy (d);
}

static void expect_error (const char *body, enum proto_error want, const char *text)
{
    unsigned char buf[512];
    size_t n = raw_frame (buf, body, strlen (body));
    struct herror err;
    int rc;
    enum proto_error kind;
    assert_null (decode_one (buf, n, &err, &rc, &kind));
    assert_int_equal (rc, -1);
    assert_int_equal (kind, want);
    if (text)
        assert_string_equal (err.text, text);
}

static void non_object_and_type (void **state)
{
    expect_error ("[1,2]", PROTO_E_NOTOBJECT, "message is not a JSON object");
    expect_error ("\"type\"", PROTO_E_NOTOBJECT, NULL);
    expect_error ("12", PROTO_E_NOTOBJECT, NULL);
    expect_error ("{}", PROTO_E_TYPE, "member \"type\" is missing");
    expect_error ("{\"type\":7}", PROTO_E_TYPE, "member \"type\" must be a string");
    expect_error ("{\"type\":null}", PROTO_E_TYPE, NULL);
    expect_error ("{\"type\":\"a\",\"id\":-1}", PROTO_E_ID,
                  "member \"id\" must be an integer >= 0");
    expect_error ("{\"type\":\"a\",\"id\":\"1\"}", PROTO_E_ID, NULL);
    /* duplicated keys would let two readers disagree */
    expect_error ("{\"type\":\"a\",\"type\":\"b\"}", PROTO_E_JSON, NULL);
    /* trailing garbage after the object */
    expect_error ("{\"type\":\"a\"} x", PROTO_E_JSON, NULL);
    expect_error ("{\"type\":\"a\"}{}", PROTO_E_JSON, NULL);
}

static void error_keeps_id (void **state)
{
    unsigned char buf[64];
    size_t n = raw_frame (buf, "{\"id\":17}", 9);
    struct proto_decoder *d = proto_decoder_create (0);
    json_t *m;
    proto_decoder_feed (d, buf, n);
    assert_int_equal (proto_decoder_next (d, &m, NULL), -1);
    assert_int_equal (proto_decoder_error (d), PROTO_E_TYPE);
    assert_int_equal (proto_decoder_error_id (d), 17);
    proto_decoder_destroy (d);
}

/* Raw NUL bytes and \u0000 escapes are refused, so strings are C strings. */
static void embedded_nul (void **state)
{
    const char raw[] = "{\"type\":\"a\0b\"}";
    unsigned char buf[64];
    size_t n = raw_frame (buf, raw, sizeof (raw) - 1);
    int rc;
    enum proto_error kind;
    struct herror err;
    assert_null (decode_one (buf, n, &err, &rc, &kind));
    assert_int_equal (kind, PROTO_E_JSON);
    expect_error ("{\"type\":\"a\\u0000b\"}", PROTO_E_JSON, NULL);
    expect_error ("{\"type\":\"a\",\"x\":\"\\u0000\"}", PROTO_E_JSON, NULL);
}

/* jansson refuses nesting deeper than JSON_PARSER_MAX_DEPTH instead of
 * recursing until the stack overflows. */
static void huge_nesting (void **state)
{
    size_t depth = 200000;
    size_t len = 4 + 9 + depth + 1;
    unsigned char *buf = malloc (len);
    char *body = (char *)buf + 4;
    memcpy (body, "{\"type\":[", 9);
    memset (body + 9, '[', depth);
    body[9 + depth] = '}';
    uint32_t n = (uint32_t)(len - 4);
    buf[0] = n >> 24;
    buf[1] = n >> 16;
    buf[2] = n >> 8;
    buf[3] = n;
    int rc;
    enum proto_error kind;
    struct herror err;
    assert_null (decode_one (buf, len, &err, &rc, &kind));
    assert_int_equal (kind, PROTO_E_JSON);
    assert_non_null (strstr (err.text, "maximum parsing depth"));
    free (buf);
}

/* Random bytes, random splits, random headers: never crash, never leak
 * (run under ASan with --enable-sanitizers). */
static void fuzz_random_bytes (void **state)
{
    srand (12345);
    const char *pieces[] = {"{",      "}",     "[",     "]",          "\"type\"", ":",
                            ",",      "\"a\"", "1",     "\\u0000",    "null",     "\xff",
                            "\"id\"", "-3",    "1e999", "\"\\ud800\""};
    for (int iter = 0; iter < 3000; iter++) {
        struct proto_decoder *d = proto_decoder_create (1 + rand() % 512);
        unsigned char buf[2048];
        size_t len = 0;
        while (len < sizeof (buf) - 600) {
            if (rand() % 3 == 0) {
                /* a plausible frame with a JSON-ish body */
                char body[512];
                size_t bl = 0;
                int k = rand() % 20;
                for (int j = 0; j < k; j++) {
                    const char *p = pieces[rand() % (sizeof (pieces) / sizeof (pieces[0]))];
                    size_t pl = strlen (p);
                    if (bl + pl >= sizeof (body))
                        break;
                    memcpy (body + bl, p, pl);
                    bl += pl;
                }
                len += raw_frame (buf + len, body, (uint32_t)bl);
            } else {
                int k = rand() % 64;
                for (int j = 0; j < k; j++)
                    buf[len++] = (unsigned char)rand();
            }
        }
        size_t pos = 0;
        while (pos < len) {
            size_t n = 1 + (size_t)rand() % 200;
            if (n > len - pos)
                n = len - pos;
            assert_int_equal (proto_decoder_feed (d, buf + pos, n), 0);
            pos += n;
            json_t *m;
            int rc;
            struct herror err;
            int guard = 0;
            while ((rc = proto_decoder_next (d, &m, &err)) != 0 && guard++ < 1000) {
                if (rc == 1) {
                    assert_non_null (proto_msg_type (m));
                    json_decref (m);
                } else if (proto_error_is_fatal (proto_decoder_error (d))) {
                    break;
                }
            }
        }
        proto_decoder_destroy (d);
    }
}

static void member_readers (void **state)
{
    json_t *m =
        json_pack ("{s:s, s:i, s:s, s:b, s:{}, s:[], s:f, s:n}", "type", "job.delete", "seq", 5,
                   "name", "n1", "hold", 1, "job", "pids", "utime", 1.5, "comment");
    struct herror err;
    int64_t i;
    const char *s;
    bool b;
    json_t *o;
    double r;
    assert_int_equal (proto_get_int (m, "seq", &i, &err), 0);
    assert_int_equal (i, 5);
    assert_int_equal (proto_get_string (m, "name", &s, &err), 0);
    assert_string_equal (s, "n1");
    assert_int_equal (proto_get_bool (m, "hold", &b, &err), 0);
    assert_true (b);
    assert_int_equal (proto_get_object (m, "job", &o, &err), 0);
    assert_true (json_is_object (o));
    assert_int_equal (proto_get_array (m, "pids", &o, &err), 0);
    assert_true (json_is_array (o));
    assert_int_equal (proto_get_real (m, "utime", &r, &err), 0);
    assert_true (r == 1.5);
    assert_int_equal (proto_get_real (m, "seq", &r, &err), 0); /* ints are numbers */
    assert_true (r == 5.0);

    i = 99;
    assert_int_equal (proto_get_int (m, "nope", &i, &err), -1);
    assert_int_equal (errno, EPROTO);
    assert_int_equal (i, 99);
    assert_string_equal (err.text, "message job.delete: member \"nope\" is missing");
    assert_int_equal (proto_get_int (m, "name", &i, &err), -1);
    assert_string_equal (err.text, "message job.delete: member \"name\" must be an integer");
    assert_int_equal (proto_get_string (m, "seq", &s, &err), -1);
    assert_string_equal (err.text, "message job.delete: member \"seq\" must be a string");
    assert_int_equal (proto_get_bool (m, "seq", &b, &err), -1);
    assert_string_equal (err.text, "message job.delete: member \"seq\" must be true or false");
    assert_int_equal (proto_get_object (m, "pids", &o, &err), -1);
    assert_string_equal (err.text, "message job.delete: member \"pids\" must be an object");
    assert_int_equal (proto_get_array (m, "job", &o, &err), -1);
    assert_string_equal (err.text, "message job.delete: member \"job\" must be an array");
    assert_int_equal (proto_get_real (m, "name", &r, &err), -1);
    assert_string_equal (err.text, "message job.delete: member \"name\" must be a number");
    assert_int_equal (proto_get_int_range (m, "seq", 0, 4, &i, &err), -1);
    assert_string_equal (err.text, "message job.delete: member \"seq\" must be between 0 and 4");
    assert_int_equal (proto_get_int_range (m, "seq", 0, 5, &i, &err), 0);
    /* null is not a value for a required member */
    assert_int_equal (proto_get_string (m, "comment", &s, &err), -1);

    /* optional */
    i = 7;
    assert_int_equal (proto_opt_int (m, "absent", &i, &err), 0);
    assert_int_equal (i, 7);
    assert_int_equal (proto_opt_string (m, "comment", &s, &err), 0); /* null = absent */
    assert_int_equal (proto_opt_int (m, "seq", &i, &err), 1);
    assert_int_equal (i, 5);
    assert_int_equal (proto_opt_bool (m, "seq", &b, &err), -1);
    assert_string_equal (err.text, "message job.delete: member \"seq\" must be true or false");
    assert_int_equal (proto_opt_string (m, "name", &s, &err), 1);
    assert_int_equal (proto_opt_object (m, "job", &o, &err), 1);
    assert_int_equal (proto_opt_array (m, "job", &o, &err), -1);
    assert_int_equal (proto_opt_real (m, "utime", &r, &err), 1);

    /* a nested object has no type: no "message" prefix */
    json_t *job;
    proto_get_object (m, "job", &job, &err);
    assert_int_equal (proto_get_string (job, "script", &s, &err), -1);
    assert_string_equal (err.text, "member \"script\" is missing");
    /* not an object at all */
    assert_int_equal (proto_get_int (o, "x", &i, &err), -1);
    json_decref (m);
}

static void replies (void **state)
{
    json_t *req = json_pack ("{s:s, s:i}", "type", "job.hold", "id", 9);
    json_t *r = proto_error_reply (req, "job %d does not exist", 3);
    json_t *want =
        json_pack ("{s:s, s:i, s:s}", "type", "error", "id", 9, "error", "job 3 does not exist");
    assert_true (json_equal (r, want));
    json_decref (r);
    json_decref (want);

    r = proto_error_create (-1, "bad frame");
    want = json_pack ("{s:s, s:s}", "type", "error", "error", "bad frame");
    assert_true (json_equal (r, want));
    json_decref (r);
    json_decref (want);

    r = proto_reply_ok (req);
    want = json_pack ("{s:s, s:i}", "type", "job.hold.ok", "id", 9);
    assert_true (json_equal (r, want));
    json_decref (r);
    json_decref (want);
    json_decref (req);

    req = json_pack ("{s:s}", "type", "node.query");
    r = proto_reply_ok (req);
    assert_int_equal (proto_msg_id (r), -1);
    assert_string_equal (proto_msg_type (r), "node.query.ok");
    json_decref (r);
    json_decref (req);
}

static int calls_a, calls_b;

static int handle_a (json_t *msg, void *arg, struct herror *err)
{
    assert_ptr_equal (arg, &calls_a);
    calls_a++;
    return 0;
}

static int handle_b (json_t *msg, void *arg, struct herror *err)
{
    calls_b++;
    return herror_set (err, "b failed");
}

static void dispatch (void **state)
{
    const struct proto_handler table[] = {
        {"job.a", handle_a},
        {"job.b", handle_b},
        {NULL, NULL},
    };
    struct herror err;
    json_t *a = json_pack ("{s:s}", "type", "job.a");
    json_t *b = json_pack ("{s:s}", "type", "job.b");
    json_t *c = json_pack ("{s:s}", "type", "job.c");
    assert_int_equal (proto_dispatch (table, a, &calls_a, &err), 0);
    assert_int_equal (calls_a, 1);
    assert_int_equal (proto_dispatch (table, b, &calls_a, &err), -1);
    assert_string_equal (err.text, "b failed");
    assert_int_equal (proto_dispatch (table, c, &calls_a, &err), -1);
    assert_int_equal (errno, ENOSYS);
    assert_string_equal (err.text, "unknown message type \"job.c\"");
    /* an error message without a handler is ignored, not answered */
    json_t *e = json_pack ("{s:s, s:s}", "type", "error", "error", "x");
    assert_int_equal (proto_dispatch (table, e, &calls_a, &err), 0);
    json_decref (e);
    assert_null (proto_handler_find (table, "job"));
    assert_ptr_equal (proto_handler_find (table, "job.b"), &table[1]);
    json_decref (a);
    json_decref (b);
    json_decref (c);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (encode_layout),
        cmocka_unit_test (encode_refuses_non_messages),
        cmocka_unit_test (every_split_point),
        cmocka_unit_test (two_messages_in_one_read),
        cmocka_unit_test (partial_is_reported),
        cmocka_unit_test (oversize_frame),
        cmocka_unit_test (oversize_after_good_frame),
        cmocka_unit_test (zero_and_one_length),
        cmocka_unit_test (invalid_json_is_not_fatal),
        cmocka_unit_test (non_object_and_type),
        cmocka_unit_test (error_keeps_id),
        cmocka_unit_test (embedded_nul),
        cmocka_unit_test (huge_nesting),
        cmocka_unit_test (fuzz_random_bytes),
        cmocka_unit_test (member_readers),
        cmocka_unit_test (replies),
        cmocka_unit_test (dispatch),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
