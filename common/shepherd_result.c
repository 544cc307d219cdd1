/* shepherd_result.c - the shepherd's result file codec (shepherd_result.h) */
#include "common/shepherd_result.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/jobspec.h"
#include "common/utf8.h"

static const char *const reason_names[] = {"exited", "signaled", "walltime", "killed",
                                           "failed", "lost",     "fenced"};
#define NREASONS (sizeof (reason_names) / sizeof (reason_names[0]))

const char *shepherd_reason_name (enum shepherd_end reason)
{
    return (unsigned)reason < NREASONS ? reason_names[reason] : "lost";
}

int shepherd_reason_parse (const char *name, enum shepherd_end *reason)
{
    for (size_t i = 0; name && i < NREASONS; i++) {
        if (strcmp (name, reason_names[i]) == 0) {
            *reason = (enum shepherd_end)i;
            return 0;
        }
    }
    errno = EINVAL;
    return -1;
}

/* The members' bounds, for both directions: 0, or -1 with err naming the
 * member.  The strings' bounds are their buffers'. */
static int check (const struct shepherd_result *res, struct herror *err)
{
    if (jobspec_key_check ((int64_t)res->seq, err) < 0)
        return -1;
    if (res->exit_status < SHEPHERD_STATUS_MIN || res->exit_status > SHEPHERD_STATUS_MAX)
        return herror_set (err, "exit_status: must be an integer from %d to %d",
                           SHEPHERD_STATUS_MIN, SHEPHERD_STATUS_MAX);
    if ((unsigned)res->reason >= NREASONS)
        return herror_set (err, "reason: not a reason");
    if (res->start_time < 0 || res->start_time > SHEPHERD_TIME_MAX)
        return herror_set (err, "start_time: must be an integer from 0 to %lld",
                           (long long)SHEPHERD_TIME_MAX);
    if (res->end_time < 0 || res->end_time > SHEPHERD_TIME_MAX)
        return herror_set (err, "end_time: must be an integer from 0 to %lld",
                           (long long)SHEPHERD_TIME_MAX);
    if (!(res->utime >= 0 && res->utime <= SHEPHERD_CPU_MAX))
        return herror_set (err, "utime: must be a number from 0 to %g", SHEPHERD_CPU_MAX);
    if (!(res->stime >= 0 && res->stime <= SHEPHERD_CPU_MAX))
        return herror_set (err, "stime: must be a number from 0 to %g", SHEPHERD_CPU_MAX);
    if (res->maxrss_kb < 0 || res->maxrss_kb > SHEPHERD_MAXRSS_MAX)
        return herror_set (err, "maxrss_kb: must be an integer from 0 to %lld",
                           (long long)SHEPHERD_MAXRSS_MAX);
    return 0;
}

/* s as a JSON string: its valid UTF-8 prefix, within size bytes. */
static json_t *text (const char *s, size_t size)
{
    size_t len = strnlen (s, size - 1);
    return json_stringn (s, utf8_valid_prefix (s, len));
}

json_t *shepherd_result_to_json (const struct shepherd_result *res)
{
    struct herror err;

    if (!res || check (res, &err) < 0) {
        errno = EINVAL;
        return NULL;
    }
    json_t *o =
        json_pack ("{s:I, s:i, s:s, s:I, s:I, s:f, s:f, s:I, s:o, s:o}", "seq",
                   (json_int_t)res->seq, "exit_status", res->exit_status, "reason",
                   reason_names[res->reason], "start_time", (json_int_t)res->start_time, "end_time",
                   (json_int_t)res->end_time, "utime", res->utime, "stime", res->stime, "maxrss_kb",
                   (json_int_t)res->maxrss_kb, "error", text (res->error, sizeof (res->error)),
                   "comment", text (res->comment, sizeof (res->comment)));
    if (!o)
        errno = ENOMEM;
    return o;
}

static int get_int (const json_t *o, const char *key, json_int_t min, json_int_t max,
                    json_int_t *out, struct herror *err)
{
    json_t *v = json_object_get (o, key);

    if (!v)
        return herror_set (err, "%s: missing", key);
    if (!json_is_integer (v) || json_integer_value (v) < min || json_integer_value (v) > max)
        return herror_set (err, "%s: must be an integer from %lld to %lld", key, (long long)min,
                           (long long)max);
    *out = json_integer_value (v);
    return 0;
}

static int get_seconds (const json_t *o, const char *key, double *out, struct herror *err)
{
    json_t *v = json_object_get (o, key);

    if (!v)
        return herror_set (err, "%s: missing", key);
    if (!json_is_number (v) || !(json_number_value (v) >= 0) ||
        json_number_value (v) > SHEPHERD_CPU_MAX)
        return herror_set (err, "%s: must be a number from 0 to %g", key, SHEPHERD_CPU_MAX);
    *out = json_number_value (v);
    return 0;
}

/* An optional string into buf; refused rather than cut when too long (a
 * writer of this codec never writes one). */
static int get_text (const json_t *o, const char *key, char *buf, size_t size, struct herror *err)
{
    json_t *v = json_object_get (o, key);

    buf[0] = '\0';
    if (!v)
        return 0;
    if (!json_is_string (v) || strlen (json_string_value (v)) != json_string_length (v))
        return herror_set (err, "%s: must be a string without NUL characters", key);
    if (json_string_length (v) >= size)
        return herror_set (err, "%s: longer than %zu bytes", key, size - 1);
    memcpy (buf, json_string_value (v), json_string_length (v) + 1);
    return 0;
}

int shepherd_result_from_json (const json_t *o, struct shepherd_result *res, struct herror *err)
{
    json_int_t seq, status, start, end, maxrss;
    json_t *reason;

    memset (res, 0, sizeof (*res));
    if (!json_is_object (o)) {
        herror_set (err, "result: must be an object");
        goto inval;
    }
    if (get_int (o, "seq", 1, JOBSPEC_KEY_MAX, &seq, err) < 0 ||
        get_int (o, "exit_status", SHEPHERD_STATUS_MIN, SHEPHERD_STATUS_MAX, &status, err) < 0)
        goto inval;
    if (jobspec_key_check (seq, err) < 0)
        goto inval;
    if (!(reason = json_object_get (o, "reason"))) {
        herror_set (err, "reason: missing");
        goto inval;
    }
    if (shepherd_reason_parse (json_string_value (reason), &res->reason) < 0) {
        herror_set (err, "reason: must be one of exited, signaled, walltime, killed, failed, "
                         "lost, fenced");
        goto inval;
    }
    if (get_int (o, "start_time", 0, SHEPHERD_TIME_MAX, &start, err) < 0 ||
        get_int (o, "end_time", 0, SHEPHERD_TIME_MAX, &end, err) < 0 ||
        get_seconds (o, "utime", &res->utime, err) < 0 ||
        get_seconds (o, "stime", &res->stime, err) < 0 ||
        get_int (o, "maxrss_kb", 0, SHEPHERD_MAXRSS_MAX, &maxrss, err) < 0 ||
        get_text (o, "error", res->error, sizeof (res->error), err) < 0 ||
        get_text (o, "comment", res->comment, sizeof (res->comment), err) < 0)
        goto inval;
    res->seq = (unsigned long)seq;
    res->exit_status = (int)status;
    res->start_time = start;
    res->end_time = end;
    res->maxrss_kb = (long)maxrss;
    return 0;
inval:
    errno = EINVAL;
    return -1;
}
