/* proto.h - huddle wire protocol: framing, decoding, message helpers
 *
 * docs/protocol.md is the one description of the wire format; this header is
 * the C side of it.  A frame is a 4-byte big-endian body length followed by
 * that many bytes of JSON; the body must be an object with a string "type"
 * and, when present, an integer "id" >= 0.
 *
 * Everything here is pure (no I/O, no logging): it is what a malicious peer
 * talks to, so it is unit-tested with every split point and random bytes.
 *
 * Ownership: json_t values returned by proto_* functions are new references
 * the caller must json_decref(); json_t arguments are borrowed unless a
 * comment says otherwise.  Strings and objects returned through proto_get_*
 * out-parameters are borrowed from the message and live as long as it does.
 *
 * Errors: -1 or NULL with errno set; functions that judge what a peer sent
 * also fill a struct herror (see herror.h) with a sentence naming the member,
 * e.g.  message job.delete: member "seq" must be an integer
 */
#ifndef HUDDLE_PROTO_H
#define HUDDLE_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "herror.h"

#define PROTO_VERSION           1
#define PROTO_HEADER_SIZE       4
#define PROTO_MIN_BODY          2                   /* "{}" */
#define PROTO_MAX_FRAME_DEFAULT (16u * 1024 * 1024) /* body bytes */
#define PROTO_MAX_FRAME_LIMIT   0xffffffffu

/* ---------------------------------------------------------------- encoding */

/* Encode msg (an object with a string "type") as one frame: header + compact
 * JSON body.  Returns a malloc'd buffer the caller frees, its size in *len.
 * NULL with errno EINVAL (not an object / no type), EMSGSIZE (body does not
 * fit in 32 bits) or ENOMEM. */
void *proto_encode (const json_t *msg, size_t *len);

/* ---------------------------------------------------------------- decoding */

/* What was wrong with the last frame proto_decoder_next() refused. */
enum proto_error {
    PROTO_OK = 0,
    PROTO_E_TOOBIG,    /* header announces more than the limit (fatal) */
    PROTO_E_TOOSMALL,  /* header announces fewer than 2 bytes (fatal) */
    PROTO_E_JSON,      /* body is not valid JSON */
    PROTO_E_NOTOBJECT, /* body is JSON but not an object */
    PROTO_E_TYPE,      /* "type" missing or not a string */
    PROTO_E_ID,        /* "id" present but not an integer >= 0 */
};

/* Fatal errors leave the stream unframed: the connection must be closed.
 * The others consumed exactly one bad frame; the next one can follow. */
bool proto_error_is_fatal (enum proto_error e);

struct proto_decoder;

/* An incremental decoder for one byte stream.  max_frame is the largest
 * body accepted (0 means PROTO_MAX_FRAME_DEFAULT).  NULL + ENOMEM on failure.
 * Destroy frees any buffered bytes; NULL is allowed. */
struct proto_decoder *proto_decoder_create (size_t max_frame);
void proto_decoder_destroy (struct proto_decoder *d);

/* Hand the decoder bytes as they arrive, split anywhere.  Bytes are copied.
 * Call proto_decoder_next() until it returns 0 after each feed: the decoder
 * buffers at most one incomplete frame plus what one feed brought.  Once a
 * header has announced an oversize body, further bytes are dropped without
 * being buffered.  Returns 0, or -1 with errno ENOMEM. */
int proto_decoder_feed (struct proto_decoder *d, const void *buf, size_t len);

/* Take the next complete message.
 *   1: *msg is a new reference to a valid message (object with "type")
 *   0: more bytes are needed
 *  -1: the next frame is bad: errno EMSGSIZE (too big) or EPROTO, err names
 *      the problem (jansson's line/column text for invalid JSON), and
 *      proto_decoder_error() says which.  After a non-fatal error the bad
 *      frame is consumed and next() may be called again; after a fatal one
 *      every call returns the same error. */
int proto_decoder_next (struct proto_decoder *d, json_t **msg, struct herror *err);

/* The kind of the last error returned by next(), PROTO_OK if none. */
enum proto_error proto_decoder_error (const struct proto_decoder *d);

/* The "id" of the last refused frame when it could be read (an object with
 * an integer id >= 0 but, say, no type), else -1: lets the error reply carry
 * the id the client will wait for. */
int64_t proto_decoder_error_id (const struct proto_decoder *d);

/* True when bytes of an incomplete frame are buffered: a connection that
 * stalls in this state should time out. */
bool proto_decoder_partial (const struct proto_decoder *d);

/* ------------------------------------------------------- message helpers */

/* The message's "type" (borrowed), or NULL when missing / not a string. */
const char *proto_msg_type (const json_t *msg);

/* The message's "id" (>= 0), or -1 when it has none (or a bad one). */
int64_t proto_msg_id (const json_t *msg);

/* Member readers.  Return 0 and set *v, or -1 with errno EPROTO and err =
 *   message TYPE: member "NAME" is missing
 *   message TYPE: member "NAME" must be an integer
 * ("message TYPE: " only when msg has a string "type"; for a nested object
 * the caller adds context with herror_prefix()).  *v is untouched on error.
 * Strings are NUL-free (the decoder refuses \u0000). */
int proto_get_int (const json_t *msg, const char *name, int64_t *v, struct herror *err);
int proto_get_int_range (const json_t *msg, const char *name, int64_t min, int64_t max, int64_t *v,
                         struct herror *err);
int proto_get_real (const json_t *msg, const char *name, double *v, struct herror *err);
int proto_get_string (const json_t *msg, const char *name, const char **v, struct herror *err);
int proto_get_bool (const json_t *msg, const char *name, bool *v, struct herror *err);
int proto_get_object (const json_t *msg, const char *name, json_t **v, struct herror *err);
int proto_get_array (const json_t *msg, const char *name, json_t **v, struct herror *err);

/* Optional members: 0 when absent or JSON null (*v untouched, so preset the
 * default), 1 when present and well-typed (*v set), -1 when mistyped. */
int proto_opt_int (const json_t *msg, const char *name, int64_t *v, struct herror *err);
int proto_opt_real (const json_t *msg, const char *name, double *v, struct herror *err);
int proto_opt_string (const json_t *msg, const char *name, const char **v, struct herror *err);
int proto_opt_bool (const json_t *msg, const char *name, bool *v, struct herror *err);
int proto_opt_object (const json_t *msg, const char *name, json_t **v, struct herror *err);
int proto_opt_array (const json_t *msg, const char *name, json_t **v, struct herror *err);

/* {"type":"error","id":ID,"error":TEXT}; id < 0 leaves "id" out.
 * New reference, NULL + ENOMEM. */
json_t *proto_error_create (int64_t id, const char *text);

/* An error reply to req (its id copied, if any), text from a format. */
json_t *proto_error_reply (const json_t *req, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* {"type":"TYPE.ok","id":ID} for req, to which the handler adds members.
 * New reference, NULL + EINVAL (req has no type) or ENOMEM. */
json_t *proto_reply_ok (const json_t *req);

/* -------------------------------------------------------------- dispatch */

/* A message handler.  msg is borrowed; arg is the dispatcher's argument
 * (the daemon's context: connection, state).  Return 0 when handled (the
 * handler sent any reply itself) or -1 with err filled: the caller then
 * answers with an error reply carrying err's text. */
typedef int (*proto_handler_f) (json_t *msg, void *arg, struct herror *err);

struct proto_handler {
    const char *type;
    proto_handler_f fn;
};

/* Tables end with an entry whose type is NULL. */
const struct proto_handler *proto_handler_find (const struct proto_handler *table,
                                                const char *type);

/* Look up msg's type in table and call its handler.  Returns the handler's
 * result; for a type not in the table -1 with errno ENOSYS and err
 *     unknown message type "TYPE"
 * except "error" messages, which are ignored (0) unless the table has an
 * entry for "error": an error is never answered, so peers cannot ping-pong.
 */
int proto_dispatch (const struct proto_handler *table, json_t *msg, void *arg, struct herror *err);

#endif
