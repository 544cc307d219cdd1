/* fuzz_base64.c - remote tasks' stdio, which travels base64 in JSON
 * strings between huddle-rsh and an agent (base64_decode, common/base64.h)
 *
 * Input: a text to decode, and also bytes to encode.  Checks: decoded
 * text encodes to text that decodes to the same bytes; any bytes encode to
 * base64_encoded_len() characters that decode back to those bytes. */
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "tests/fuzz/fuzz.h"

FUZZ_ENTRY (base64)
{
    size_t n;
    void *bytes = base64_decode ((const char *)data, size, &n);
    if (bytes) {
        FUZZ_CHECK (n <= size, "%zu bytes from %zu characters", n, size);
        char *enc = base64_encode (bytes, n);
        FUZZ_CHECK (enc, "encode failed");
        size_t m;
        void *again = base64_decode (enc, strlen (enc), &m);
        FUZZ_CHECK (again && m == n && (n == 0 || memcmp (again, bytes, n) == 0),
                    "decode (encode (x)) is not x");
        free (again);
        free (enc);
        free (bytes);
    }
    char *enc = base64_encode (data, size);
    FUZZ_CHECK (enc && strlen (enc) == base64_encoded_len (size), "encoding of %zu bytes", size);
    void *back = base64_decode (enc, strlen (enc), &n);
    FUZZ_CHECK (back && n == size && (size == 0 || memcmp (back, data, size) == 0),
                "the encoding of the input does not decode back");
    free (back);
    free (enc);
    return 0;
}
