/* fuzz_swf.c - SWF workload traces, what huddle-sim replays
 * (scheduler/sim/swf.h)
 *
 * Input: the trace file's text.  It is read as huddle-sim reads a file
 * (swf_reader_open on a path, zlib taking plain text and gzip alike) and
 * line by line with swf_parse_line; the two must agree record for record.
 * Checks the promise of swf.h: a record read and written again
 * (swf_write_record) is the same numbers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scheduler/sim/swf.h"
#include "tests/fuzz/fuzz.h"

#define MAX_RECORDS 64

static bool same_record (const struct swf_record *a, const struct swf_record *b)
{
    return a->job == b->job && a->submit == b->submit && a->wait == b->wait && a->run == b->run &&
           a->procs_alloc == b->procs_alloc && a->cpu_avg == b->cpu_avg &&
           a->mem_used == b->mem_used && a->procs_req == b->procs_req &&
           a->time_req == b->time_req && a->mem_req == b->mem_req && a->status == b->status &&
           a->user == b->user && a->group == b->group && a->exec == b->exec &&
           a->queue == b->queue && a->partition == b->partition && a->preceding == b->preceding &&
           a->think == b->think;
}

/* Written and read again, rec is the same numbers. */
static void write_read (const struct swf_record *rec)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&text, &len);
    struct swf_record back;
    struct herror err = {""};
    FUZZ_CHECK (f, "out of memory");
    FUZZ_CHECK (swf_write_record (f, rec) == 0, "a record does not write");
    fclose (f);
    FUZZ_CHECK (swf_parse_line (text, &back, &err) == 1, "written record \"%s\" is refused: %s",
                text, err.text);
    FUZZ_CHECK (same_record (rec, &back), "record written as \"%.200s\" reads back different",
                text);
    free (text);
}

FUZZ_ENTRY (swf)
{
    char path[32];
    int fd = fuzz_memfile (data, size, path, sizeof (path));
    if (fd < 0)
        return 0;
    struct herror err = {""};
    struct swf_reader *r = swf_reader_open (path, &err);
    FUZZ_CHECK (r, "a readable file is refused: %s", err.text);
    /* The same text line by line: what the reader should give. */
    char *text = fuzz_strndup (data, size);
    bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    char *line = text, *save = NULL;
    for (int n = 0; n < MAX_RECORDS; n++) {
        struct swf_record rec, want;
        int rc = swf_reader_next (r, &rec, &err);
        if (rc < 0) {
            FUZZ_CHECK (err.text[0], "a refused line without a reason");
            break;
        }
        if (rc == 1)
            write_read (&rec);
        if (gzip || memchr (data, '\0', size))
            continue; /* the text is not what the reader reads */
        int lrc = 0;
        while (lrc == 0 && (line = strtok_r (save ? NULL : text, "\n", &save)))
            lrc = swf_parse_line (line, &want, &err);
        if (rc == 0) {
            FUZZ_CHECK (lrc <= 0, "the reader ends before the record of line \"%.100s\"", line);
            break;
        }
        FUZZ_CHECK (lrc == 1 && same_record (&rec, &want),
                    "record %d: the reader and swf_parse_line disagree", n);
    }
    swf_reader_close (r);
    free (text);
    close (fd);
    return 0;
}
