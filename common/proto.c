/* proto.c - huddle wire protocol: framing, decoding, message helpers */
#include "proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bodies are parsed strictly: a duplicated key would let two readers of the
 * same message disagree on its meaning, and \u0000 is refused (jansson's
 * default) so that every string is a safe C string. */
#define PROTO_JSON_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)

struct proto_decoder {
    size_t max_frame;
    unsigned char *buf;
    size_t cap;
    size_t off; /* start of the unconsumed bytes */
    size_t len; /* end of the buffered bytes */
    enum proto_error error;
    int64_t error_id;
    bool broken; /* a fatal error happened: drop everything */
    char broken_text[HERROR_TEXT_MAX];
};

/* ---------------------------------------------------------------- encoding */

void *proto_encode (const json_t *msg, size_t *len)
{
    if (!json_is_object (msg) || !proto_msg_type (msg)) {
        errno = EINVAL;
        return NULL;
    }
    char *body = json_dumps (msg, JSON_COMPACT);
    if (!body) {
        errno = ENOMEM;
        return NULL;
    }
    size_t n = strlen (body);
    if (n > PROTO_MAX_FRAME_LIMIT) {
        free (body);
        errno = EMSGSIZE;
        return NULL;
    }
    unsigned char *frame = malloc (PROTO_HEADER_SIZE + n);
    if (!frame) {
        free (body);
        errno = ENOMEM;
        return NULL;
    }
    frame[0] = (unsigned char)(n >> 24);
    frame[1] = (unsigned char)(n >> 16);
    frame[2] = (unsigned char)(n >> 8);
    frame[3] = (unsigned char)n;
    memcpy (frame + PROTO_HEADER_SIZE, body, n);
    free (body);
    *len = PROTO_HEADER_SIZE + n;
    return frame;
}

/* ---------------------------------------------------------------- decoding */

bool proto_error_is_fatal (enum proto_error e)
{
    return e == PROTO_E_TOOBIG || e == PROTO_E_TOOSMALL;
}

struct proto_decoder *proto_decoder_create (size_t max_frame)
{
    struct proto_decoder *d = calloc (1, sizeof (*d));
    if (!d)
        return NULL;
    if (max_frame == 0 || max_frame > PROTO_MAX_FRAME_LIMIT)
        max_frame = max_frame ? PROTO_MAX_FRAME_LIMIT : PROTO_MAX_FRAME_DEFAULT;
    d->max_frame = max_frame;
    d->error_id = -1;
    return d;
}

void proto_decoder_destroy (struct proto_decoder *d)
{
    int saved = errno;
    if (d) {
        free (d->buf);
        free (d);
    }
    errno = saved;
}

static uint32_t header_length (const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Would the frame starting at d->off, once its header is here, be refused
 * before its body is read?  Then its body must not be buffered. */
static bool header_refused (const struct proto_decoder *d)
{
    if (d->len - d->off < PROTO_HEADER_SIZE)
        return false;
    uint32_t n = header_length (d->buf + d->off);
    return n > d->max_frame || n < PROTO_MIN_BODY;
}

static int reserve (struct proto_decoder *d, size_t extra)
{
    /* Move the unconsumed bytes to the front before growing. */
    if (d->off > 0) {
        memmove (d->buf, d->buf + d->off, d->len - d->off);
        d->len -= d->off;
        d->off = 0;
    }
    if (d->cap - d->len >= extra)
        return 0;
    size_t want = d->len + extra;
    size_t cap = d->cap ? d->cap : 4096;
    while (cap < want)
        cap *= 2;
    unsigned char *p = realloc (d->buf, cap);
    if (!p) {
        errno = ENOMEM;
        return -1;
    }
    d->buf = p;
    d->cap = cap;
    return 0;
}

int proto_decoder_feed (struct proto_decoder *d, const void *buf, size_t len)
{
    const unsigned char *in = buf;
    while (len > 0) {
        if (d->broken || header_refused (d))
            return 0; /* next() reports it; the body is never buffered */
        /* Complete a header before taking more, so that it is checked before
         * any of its body is buffered; after that take the whole feed. */
        size_t have = d->len - d->off;
        size_t take = len;
        if (have < PROTO_HEADER_SIZE && take > PROTO_HEADER_SIZE - have)
            take = PROTO_HEADER_SIZE - have;
        if (d->len + take > d->cap && reserve (d, take) < 0)
            return -1;
        memcpy (d->buf + d->len, in, take);
        d->len += take;
        in += take;
        len -= take;
    }
    return 0;
}

static int fail (struct proto_decoder *d, enum proto_error e, int64_t id, int errnum,
                 struct herror *err, const char *fmt, ...) __attribute__ ((format (printf, 6, 7)));

static int fail (struct proto_decoder *d, enum proto_error e, int64_t id, int errnum,
                 struct herror *err, const char *fmt, ...)
{
    char text[HERROR_TEXT_MAX];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (text, sizeof (text), fmt, ap);
    va_end (ap);
    d->error = e;
    d->error_id = id;
    if (proto_error_is_fatal (e)) {
        d->broken = true;
        memcpy (d->broken_text, text, sizeof (text));
        free (d->buf);
        d->buf = NULL;
        d->cap = d->len = d->off = 0;
    }
    herror_set (err, "%s", text);
    errno = errnum;
    return -1;
}

/* Check what every message needs; on failure report which. */
static int check_message (struct proto_decoder *d, json_t *o, struct herror *err)
{
    if (!json_is_object (o))
        return fail (d, PROTO_E_NOTOBJECT, -1, EPROTO, err, "message is not a JSON object");
    json_t *id = json_object_get (o, "id");
    if (id && (!json_is_integer (id) || json_integer_value (id) < 0))
        return fail (d, PROTO_E_ID, -1, EPROTO, err, "member \"id\" must be an integer >= 0");
    int64_t idv = id ? (int64_t)json_integer_value (id) : -1;
    json_t *type = json_object_get (o, "type");
    if (!type)
        return fail (d, PROTO_E_TYPE, idv, EPROTO, err, "member \"type\" is missing");
    if (!json_is_string (type))
        return fail (d, PROTO_E_TYPE, idv, EPROTO, err, "member \"type\" must be a string");
    return 0;
}

int proto_decoder_next (struct proto_decoder *d, json_t **msg, struct herror *err)
{
    if (d->broken) {
        herror_set (err, "%s", d->broken_text);
        errno = d->error == PROTO_E_TOOBIG ? EMSGSIZE : EPROTO;
        return -1;
    }
    size_t have = d->len - d->off;
    if (have < PROTO_HEADER_SIZE)
        return 0;
    uint32_t n = header_length (d->buf + d->off);
    if (n > d->max_frame)
        return fail (d, PROTO_E_TOOBIG, -1, EMSGSIZE, err,
                     "frame of %lu bytes exceeds the limit of %zu bytes", (unsigned long)n,
                     d->max_frame);
    if (n < PROTO_MIN_BODY)
        return fail (d, PROTO_E_TOOSMALL, -1, EPROTO, err,
                     "frame of %lu bytes is too short for a JSON object", (unsigned long)n);
    if (have - PROTO_HEADER_SIZE < n)
        return 0;
    const char *body = (const char *)d->buf + d->off + PROTO_HEADER_SIZE;
    d->off += PROTO_HEADER_SIZE + n;
    if (d->off == d->len)
        d->off = d->len = 0;

    json_error_t jerr;
    json_t *o = json_loadb (body, n, PROTO_JSON_FLAGS, &jerr);
    if (!o)
        return fail (d, PROTO_E_JSON, -1, EPROTO, err, "invalid JSON at line %d column %d: %s",
                     jerr.line, jerr.column, jerr.text);
    if (check_message (d, o, err) < 0) {
        json_decref (o);
        return -1;
    }
    d->error = PROTO_OK;
    d->error_id = -1;
    *msg = o;
    return 1;
}

enum proto_error proto_decoder_error (const struct proto_decoder *d)
{
    return d->error;
}

int64_t proto_decoder_error_id (const struct proto_decoder *d)
{
    return d->error_id;
}

bool proto_decoder_partial (const struct proto_decoder *d)
{
    return !d->broken && d->len > d->off;
}

/* ------------------------------------------------------- message helpers */

const char *proto_msg_type (const json_t *msg)
{
    return json_string_value (json_object_get (msg, "type"));
}

int64_t proto_msg_id (const json_t *msg)
{
    json_t *id = json_object_get (msg, "id");
    if (!json_is_integer (id) || json_integer_value (id) < 0)
        return -1;
    return (int64_t)json_integer_value (id);
}

static int member_error (const json_t *msg, const char *name, struct herror *err, const char *what)
{
    const char *type = proto_msg_type (msg);
    if (type)
        herror_set (err, "message %s: member \"%s\" %s", type, name, what);
    else
        herror_set (err, "member \"%s\" %s", name, what);
    errno = EPROTO;
    return -1;
}

/* Find a member for a reader: 1 found, 0 absent (or null when optional). */
static int member (const json_t *msg, const char *name, bool optional, json_t **out,
                   struct herror *err)
{
    json_t *v = json_is_object (msg) ? json_object_get (msg, name) : NULL;
    if (!v || (optional && json_is_null (v))) {
        if (optional)
            return 0;
        return member_error (msg, name, err, "is missing");
    }
    *out = v;
    return 1;
}

static int read_int (const json_t *msg, const char *name, bool opt, int64_t *v, struct herror *err)
{
    json_t *m = NULL;
    int rc = member (msg, name, opt, &m, err);
    if (rc <= 0)
        return rc;
    if (!json_is_integer (m))
        return member_error (msg, name, err, "must be an integer");
    *v = (int64_t)json_integer_value (m);
    return 1;
}

static int read_real (const json_t *msg, const char *name, bool opt, double *v, struct herror *err)
{
    json_t *m = NULL;
    int rc = member (msg, name, opt, &m, err);
    if (rc <= 0)
        return rc;
    if (!json_is_number (m))
        return member_error (msg, name, err, "must be a number");
    *v = json_number_value (m);
    return 1;
}

static int read_string (const json_t *msg, const char *name, bool opt, const char **v,
                        struct herror *err)
{
    json_t *m = NULL;
    int rc = member (msg, name, opt, &m, err);
    if (rc <= 0)
        return rc;
    if (!json_is_string (m))
        return member_error (msg, name, err, "must be a string");
    if (strlen (json_string_value (m)) != json_string_length (m))
        return member_error (msg, name, err, "must not contain NUL characters");
    *v = json_string_value (m);
    return 1;
}

static int read_bool (const json_t *msg, const char *name, bool opt, bool *v, struct herror *err)
{
    json_t *m = NULL;
    int rc = member (msg, name, opt, &m, err);
    if (rc <= 0)
        return rc;
    if (!json_is_boolean (m))
        return member_error (msg, name, err, "must be true or false");
    *v = json_is_true (m);
    return 1;
}

static int read_object (const json_t *msg, const char *name, bool opt, json_t **v,
                        struct herror *err)
{
    json_t *m = NULL;
    int rc = member (msg, name, opt, &m, err);
    if (rc <= 0)
        return rc;
    if (!json_is_object (m))
        return member_error (msg, name, err, "must be an object");
    *v = m;
    return 1;
}

static int read_array (const json_t *msg, const char *name, bool opt, json_t **v,
                       struct herror *err)
{
    json_t *m = NULL;
    int rc = member (msg, name, opt, &m, err);
    if (rc <= 0)
        return rc;
    if (!json_is_array (m))
        return member_error (msg, name, err, "must be an array");
    *v = m;
    return 1;
}

int proto_get_int (const json_t *msg, const char *name, int64_t *v, struct herror *err)
{
    return read_int (msg, name, false, v, err) < 0 ? -1 : 0;
}

int proto_get_int_range (const json_t *msg, const char *name, int64_t min, int64_t max, int64_t *v,
                         struct herror *err)
{
    int64_t x = 0;
    if (read_int (msg, name, false, &x, err) < 0)
        return -1;
    if (x < min || x > max) {
        char what[128];
        snprintf (what, sizeof (what), "must be between %lld and %lld", (long long)min,
                  (long long)max);
        return member_error (msg, name, err, what);
    }
    *v = x;
    return 0;
}

int proto_get_real (const json_t *msg, const char *name, double *v, struct herror *err)
{
    return read_real (msg, name, false, v, err) < 0 ? -1 : 0;
}

int proto_get_string (const json_t *msg, const char *name, const char **v, struct herror *err)
{
    return read_string (msg, name, false, v, err) < 0 ? -1 : 0;
}

int proto_get_bool (const json_t *msg, const char *name, bool *v, struct herror *err)
{
    return read_bool (msg, name, false, v, err) < 0 ? -1 : 0;
}

int proto_get_object (const json_t *msg, const char *name, json_t **v, struct herror *err)
{
    return read_object (msg, name, false, v, err) < 0 ? -1 : 0;
}

int proto_get_array (const json_t *msg, const char *name, json_t **v, struct herror *err)
{
    return read_array (msg, name, false, v, err) < 0 ? -1 : 0;
}

int proto_opt_int (const json_t *msg, const char *name, int64_t *v, struct herror *err)
{
    return read_int (msg, name, true, v, err);
}

int proto_opt_real (const json_t *msg, const char *name, double *v, struct herror *err)
{
    return read_real (msg, name, true, v, err);
}

int proto_opt_string (const json_t *msg, const char *name, const char **v, struct herror *err)
{
    return read_string (msg, name, true, v, err);
}

int proto_opt_bool (const json_t *msg, const char *name, bool *v, struct herror *err)
{
    return read_bool (msg, name, true, v, err);
}

int proto_opt_object (const json_t *msg, const char *name, json_t **v, struct herror *err)
{
    return read_object (msg, name, true, v, err);
}

int proto_opt_array (const json_t *msg, const char *name, json_t **v, struct herror *err)
{
    return read_array (msg, name, true, v, err);
}

json_t *proto_error_create (int64_t id, const char *text)
{
    json_t *o = json_object();
    if (!o || json_object_set_new (o, "type", json_string ("error")) < 0 ||
        (id >= 0 && json_object_set_new (o, "id", json_integer (id)) < 0) ||
        json_object_set_new (o, "error", json_string (text ? text : "")) < 0) {
        json_decref (o);
        errno = ENOMEM;
        return NULL;
    }
    return o;
}

json_t *proto_error_reply (const json_t *req, const char *fmt, ...)
{
    char text[HERROR_TEXT_MAX];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (text, sizeof (text), fmt, ap);
    va_end (ap);
    return proto_error_create (proto_msg_id (req), text);
}

json_t *proto_reply_ok (const json_t *req)
{
    const char *type = proto_msg_type (req);
    if (!type) {
        errno = EINVAL;
        return NULL;
    }
    char name[256];
    if (snprintf (name, sizeof (name), "%s.ok", type) >= (int)sizeof (name)) {
        errno = EINVAL;
        return NULL;
    }
    json_t *o = json_object();
    int64_t id = proto_msg_id (req);
    if (!o || json_object_set_new (o, "type", json_string (name)) < 0 ||
        (id >= 0 && json_object_set_new (o, "id", json_integer (id)) < 0)) {
        json_decref (o);
        errno = ENOMEM;
        return NULL;
    }
    return o;
}

/* -------------------------------------------------------------- dispatch */

const struct proto_handler *proto_handler_find (const struct proto_handler *table, const char *type)
{
    if (!type)
        return NULL;
    for (const struct proto_handler *h = table; h->type; h++)
        if (!strcmp (h->type, type))
            return h;
    return NULL;
}

int proto_dispatch (const struct proto_handler *table, json_t *msg, void *arg, struct herror *err)
{
    const char *type = proto_msg_type (msg);
    const struct proto_handler *h = proto_handler_find (table, type);
    if (!h && type && !strcmp (type, "error"))
        return 0; /* errors are never answered: no ping-pong between peers */
    if (!h) {
        herror_set (err, "unknown message type \"%.200s\"", type ? type : "");
        errno = ENOSYS;
        return -1;
    }
    return h->fn (msg, arg, err);
}
