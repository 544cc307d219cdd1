/* Unit tests for scheduler/sim/swf: the Standard Workload Format codec.
 *
 * Lines are parsed field by field, malformed ones are refused with a
 * sentence naming the field (and, through the reader, the file and line),
 * records written and read back are the same numbers, and the reader takes
 * plain and gzip files alike.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "scheduler/sim/swf.h"

/* A line of SDSC-SP2 as the archive has it. */
static const char sdsc_line[] =
    "   22   582841   1199   8385   32   1536    -1   32  14400    -1  1 150   6 13641  2 -1 -1 -1";

static void parses_a_record (void **state)
{
    struct swf_record r;
    struct herror err = {""};
    assert_int_equal (swf_parse_line (sdsc_line, &r, &err), 1);
    assert_int_equal (r.job, 22);
    assert_int_equal (r.submit, 582841);
    assert_int_equal (r.wait, 1199);
    assert_int_equal (r.run, 8385);
    assert_int_equal (r.procs_alloc, 32);
    assert_true (r.cpu_avg == 1536.0);
    assert_true (r.mem_used == -1.0);
    assert_int_equal (r.procs_req, 32);
    assert_int_equal (r.time_req, 14400);
    assert_int_equal (r.mem_req, -1);
    assert_int_equal (r.status, SWF_STATUS_COMPLETED);
    assert_int_equal (r.user, 150);
    assert_int_equal (r.group, 6);
    assert_int_equal (r.exec, 13641);
    assert_int_equal (r.queue, 2);
    assert_int_equal (r.partition, -1);
    assert_int_equal (r.preceding, -1);
    assert_int_equal (r.think, -1);
}

static void comments_and_blank_lines_are_not_records (void **state)
{
    struct swf_record r = {.job = 7};
    assert_int_equal (swf_parse_line ("; MaxProcs: 128", &r, NULL), 0);
    assert_int_equal (swf_parse_line ("   ;indented comment\n", &r, NULL), 0);
    assert_int_equal (swf_parse_line ("", &r, NULL), 0);
    assert_int_equal (swf_parse_line (" \t\r\n", &r, NULL), 0);
    assert_int_equal (r.job, 7);
}

/* Fields 6 and 7 may carry decimals (some archive logs do); no other may. */
static void decimals_only_where_the_archive_has_them (void **state)
{
    struct swf_record r;
    struct herror err = {""};
    assert_int_equal (swf_parse_line ("1 0 0 10 1 12.5 300.25 1 60 -1 1 1 1 1 1 1 -1 -1", &r, &err),
                      1);
    assert_true (r.cpu_avg == 12.5);
    assert_true (r.mem_used == 300.25);
    errno = 0;
    assert_int_equal (swf_parse_line ("1 0 0 10.5 1 12 3 1 60 -1 1 1 1 1 1 1 -1 -1", &r, &err), -1);
    assert_int_equal (errno, EINVAL);
    assert_string_equal (err.text, "field 4 (run time): \"10.5\" is not an integer");
}

static void malformed_lines_say_what_is_wrong (void **state)
{
    struct swf_record r;
    struct herror err = {""};
    assert_int_equal (swf_parse_line ("1 0 0 12x 1 -1 -1 1 60 -1 1 1 1 1 1 1 -1 -1", &r, &err), -1);
    assert_string_equal (err.text, "field 4 (run time): \"12x\" is not an integer");
    assert_int_equal (swf_parse_line ("1 0 0 12 1 -1 -1 1 60 -1 1 1 1 1 1 1 -1", &r, &err), -1);
    assert_string_equal (err.text, "17 fields where a record has 18");
    assert_int_equal (swf_parse_line ("1 0 0 12 1 -1 -1 1 60 -1 1 1 1 1 1 1 -1 -1 9", &r, &err),
                      -1);
    assert_string_equal (err.text, "19 fields where a record has 18");
    assert_int_equal (swf_parse_line ("1 0 0 12 1 -1 -1 1 60 -1 1 1 1 1 1 1 -1 nan", &r, &err), -1);
    assert_string_equal (err.text, "field 18 (think time): \"nan\" is not an integer");
    assert_int_equal (
        swf_parse_line ("1 0 0 12 1 -1 -1 99999999999999999999 60 -1 1 1 1 1 1 1 -1 -1", &r, &err),
        -1);
    assert_non_null (strstr (err.text, "field 8 (requested processors)"));
}

static void written_records_read_back_the_same (void **state)
{
    struct swf_record r, back;
    assert_int_equal (swf_parse_line (sdsc_line, &r, NULL), 1);
    r.cpu_avg = 12.75;
    r.wait = 123456789;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&buf, &len);
    assert_non_null (f);
    assert_int_equal (swf_write_record (f, &r), 0);
    assert_int_equal (fclose (f), 0);
    assert_true (len > 0 && buf[len - 1] == '\n');
    assert_int_equal (swf_parse_line (buf, &back, NULL), 1);
    assert_memory_equal (&r, &back, sizeof (r));
    free (buf);
}

/* ---- the reader, on files ---- */

static char dir[64];

static int make_dir (void **state)
{
    snprintf (dir, sizeof (dir), "/tmp/test_swf.XXXXXX");
    return mkdtemp (dir) ? 0 : -1;
}

static int remove_dir (void **state)
{
    const char *names[] = {"plain.swf", "packed.swf.gz", "bad.swf", "long.swf"};
    for (size_t i = 0; i < sizeof (names) / sizeof (names[0]); i++) {
        char path[128];
        snprintf (path, sizeof (path), "%s/%s", dir, names[i]);
        (void)unlink (path);
    }
    return rmdir (dir);
}

static const char trace_text[] = "; Version: 2.2\n"
                                 "; MaxProcs: 4\n"
                                 "\n"
                                 "1 0 -1 10 2 -1 -1 2 20 -1 1 1 1 -1 -1 -1 -1 -1\n"
                                 "; a comment among records is not header\n"
                                 "2 5 -1 30 -1 -1 -1 4 40 -1 0 2 1 -1 -1 -1 -1 -1\n";

static void write_file (const char *name, const char *text, bool gzip, char *path, size_t len)
{
    snprintf (path, len, "%s/%s", dir, name);
    if (gzip) {
        gzFile gz = gzopen (path, "wb");
        assert_non_null (gz);
        assert_int_equal (gzputs (gz, text), (int)strlen (text));
        assert_int_equal (gzclose (gz), Z_OK);
    } else {
        FILE *f = fopen (path, "w");
        assert_non_null (f);
        assert_int_equal (fputs (text, f) >= 0, 1);
        assert_int_equal (fclose (f), 0);
    }
}

static void read_trace (const char *path)
{
    struct herror err = {""};
    struct swf_reader *r = swf_reader_open (path, &err);
    assert_non_null (r);
    struct swf_record rec;
    assert_int_equal (swf_reader_next (r, &rec, &err), 1);
    assert_int_equal (rec.job, 1);
    assert_int_equal (swf_reader_line (r), 4);
    assert_int_equal (swf_reader_next (r, &rec, &err), 1);
    assert_int_equal (rec.job, 2);
    assert_int_equal (rec.procs_alloc, -1);
    assert_int_equal (rec.procs_req, 4);
    assert_int_equal (swf_reader_line (r), 6);
    assert_int_equal (swf_reader_next (r, &rec, &err), 0);
    assert_string_equal (swf_reader_header (r), "; Version: 2.2\n; MaxProcs: 4\n");
    swf_reader_close (r);
}

static void reads_plain_and_gzip_files (void **state)
{
    char path[128];
    write_file ("plain.swf", trace_text, false, path, sizeof (path));
    read_trace (path);
    write_file ("packed.swf.gz", trace_text, true, path, sizeof (path));
    read_trace (path);
}

static void errors_name_the_file_and_line (void **state)
{
    char path[128], want[256];
    struct herror err = {""};
    struct swf_record rec;
    write_file ("bad.swf", "; header\n1 0 -1 10 2 -1 -1 2 20 -1 1 1 1 -1 -1 -1 -1 -1\n2 5 -1\n",
                true, path, sizeof (path));
    struct swf_reader *r = swf_reader_open (path, &err);
    assert_non_null (r);
    assert_int_equal (swf_reader_next (r, &rec, &err), 1);
    assert_int_equal (swf_reader_next (r, &rec, &err), -1);
    assert_int_equal (errno, EINVAL);
    snprintf (want, sizeof (want), "%s:3: 3 fields where a record has 18", path);
    assert_string_equal (err.text, want);
    swf_reader_close (r);

    /* a line too long to be a record */
    char *text = malloc (SWF_LINE_MAX + 16);
    assert_non_null (text);
    memset (text, '1', SWF_LINE_MAX + 8);
    text[SWF_LINE_MAX + 8] = '\n';
    text[SWF_LINE_MAX + 9] = '\0';
    write_file ("long.swf", text, false, path, sizeof (path));
    free (text);
    assert_non_null (r = swf_reader_open (path, &err));
    assert_int_equal (swf_reader_next (r, &rec, &err), -1);
    snprintf (want, sizeof (want), "%s:1: longer than %d bytes", path, SWF_LINE_MAX - 1);
    assert_string_equal (err.text, want);
    swf_reader_close (r);

    snprintf (path, sizeof (path), "%s/absent.swf", dir);
    assert_null (swf_reader_open (path, &err));
    assert_int_equal (errno, ENOENT);
    snprintf (want, sizeof (want), "%s: %s", path, strerror (ENOENT));
    assert_string_equal (err.text, want);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (parses_a_record),
        cmocka_unit_test (comments_and_blank_lines_are_not_records),
        cmocka_unit_test (decimals_only_where_the_archive_has_them),
        cmocka_unit_test (malformed_lines_say_what_is_wrong),
        cmocka_unit_test (written_records_read_back_the_same),
        cmocka_unit_test (reads_plain_and_gzip_files),
        cmocka_unit_test (errors_name_the_file_and_line),
    };
    return cmocka_run_group_tests (tests, make_dir, remove_dir);
}
