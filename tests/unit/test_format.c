/* Unit tests for cli/format: what qstat and qnodes print.
 *
 * Golden-output tests in the hwloc manner: a fixed set of jobs (queued,
 * held, running on two nodes, running on ten, finished) and nodes (free,
 * job-busy, offline, down, offline+busy) in tests/fixtures/format (JSON) is
 * rendered in every layout and compared with the stored text beside it.
 * After a deliberate layout change, regenerate and review the diff:
 *     HUDDLE_REGEN_GOLDEN=1 make -C tests/unit check TESTS=test_format
 * A mismatch leaves the actual output in ./NAME.actual for diff(1).
 *
 * The other tests pin the PBS rules a user or script relies on, so that a
 * regenerated golden file cannot quietly change them.
 */
#define _GNU_SOURCE /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cli/format.h"

#define GOLDEN_DIR FIXTURE_DIR "/format"

static const struct format_ctx ctx = {
    .server = "headnode",
    .version = "huddle-test",
    .now = 1795834190, /* Sat Nov 28 02:49:50 2026 UTC */
};

typedef int (*render_f) (FILE *out, const json_t *items, const struct format_ctx *ctx);

static json_t *load (const char *name)
{
    char path[1024];
    json_error_t error;
    json_t *o;
    snprintf (path, sizeof (path), "%s/%s", GOLDEN_DIR, name);
    o = json_load_file (path, 0, &error);
    if (o == NULL)
        fail_msg ("%s:%d: %s", path, error.line, error.text);
    return o;
}

static char *read_file (const char *path)
{
    FILE *f = fopen (path, "r");
    char *text = NULL;
    size_t len = 0;
    FILE *m;
    int c;
    if (f == NULL)
        return NULL;
    m = open_memstream (&text, &len);
    while ((c = fgetc (f)) != EOF)
        fputc (c, m);
    fclose (m);
    fclose (f);
    return text;
}

static void write_file (const char *path, const char *text)
{
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    assert_int_equal (fclose (f), 0);
}

/* The renderer's output as a string the caller frees. */
static char *render (render_f fn, const json_t *items)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream (&text, &len);
    assert_non_null (m);
    assert_int_equal (fn (m, items, &ctx), 0);
    assert_int_equal (fclose (m), 0);
    return text;
}

/* Compare with GOLDEN_DIR/name, naming the first line that differs. */
static void check_golden (const char *name, const char *actual)
{
    char path[1024];
    char *expected;
    int line = 1;
    const char *a, *e;

    snprintf (path, sizeof (path), "%s/%s", GOLDEN_DIR, name);
    if (getenv ("HUDDLE_REGEN_GOLDEN")) {
        write_file (path, actual);
        return;
    }
    expected = read_file (path);
    if (expected == NULL)
        fail_msg ("%s is missing: run with HUDDLE_REGEN_GOLDEN=1 and review it", path);
    if (strcmp (expected, actual) != 0) {
        char out[1024];
        for (a = actual, e = expected; *a && *a == *e; a++, e++)
            if (*a == '\n')
                line++;
        snprintf (out, sizeof (out), "%s.actual", name);
        write_file (out, actual);
        free (expected);
        fail_msg ("%s differs from the output at line %d (output left in %s)", path, line, out);
    }
    free (expected);
}

static void golden (const char *fixture, render_f fn, const char *name)
{
    json_t *items = load (fixture);
    char *text = render (fn, items);
    check_golden (name, text);
    free (text);
    json_decref (items);
}

static int jobs_table (FILE *out, const json_t *jobs, const struct format_ctx *c)
{
    return format_jobs_table (out, jobs, false, c);
}

static int jobs_table_wide (FILE *out, const json_t *jobs, const struct format_ctx *c)
{
    return format_jobs_table (out, jobs, true, c);
}

static int jobs_alt (FILE *out, const json_t *jobs, const struct format_ctx *c)
{
    const struct format_alt o = {0};
    return format_jobs_alt (out, jobs, &o, c);
}

static int jobs_nodes (FILE *out, const json_t *jobs, const struct format_ctx *c)
{
    const struct format_alt o = {.nodes = true};
    return format_jobs_alt (out, jobs, &o, c);
}

/* qstat -a -n -s -1 -w -G: every drawing option at once */
static int jobs_alt_all (FILE *out, const json_t *jobs, const struct format_ctx *c)
{
    const struct format_alt o = {
        .nodes = true, .comment = true, .one_line = true, .wide = true, .unit = 'G'};
    return format_jobs_alt (out, jobs, &o, c);
}

static int jobs_alt_s (FILE *out, const json_t *jobs, const struct format_ctx *c)
{
    const struct format_alt o = {.comment = true, .unit = 'M'};
    return format_jobs_alt (out, jobs, &o, c);
}

static int nodes_summary (FILE *out, const json_t *nodes, const struct format_ctx *c)
{
    return format_nodes_summary (out, nodes, false, false, c);
}

static int nodes_summary_jobs (FILE *out, const json_t *nodes, const struct format_ctx *c)
{
    return format_nodes_summary (out, nodes, true, false, c);
}

static int nodes_summary_long (FILE *out, const json_t *nodes, const struct format_ctx *c)
{
    return format_nodes_summary (out, nodes, true, true, c);
}

static int nodes_dsv (FILE *out, const json_t *nodes, const struct format_ctx *c)
{
    return format_nodes_dsv (out, nodes, "|", c);
}

static int jobs_dsv (FILE *out, const json_t *jobs, const struct format_ctx *c)
{
    return format_jobs_dsv (out, jobs, "|", c);
}

static void golden_qstat (void **state)
{
    golden ("jobs.json", jobs_table, "qstat.txt");
    golden ("jobs.json", jobs_table_wide, "qstat-w.txt");
    golden ("jobs.json", jobs_alt_all, "qstat-ans1wG.txt");
    golden ("jobs.json", jobs_alt_s, "qstat-asM.txt");
}

static void golden_qstat_a (void **state)
{
    golden ("jobs.json", jobs_alt, "qstat-a.txt");
}

static void golden_qstat_n (void **state)
{
    golden ("jobs.json", jobs_nodes, "qstat-n.txt");
}

static void golden_qstat_f (void **state)
{
    golden ("jobs.json", format_jobs_full, "qstat-f.txt");
}

static void golden_qstat_json (void **state)
{
    golden ("jobs.json", format_jobs_json, "qstat-json.txt");
}

static int queues_table (FILE *out, const json_t *queues, const struct format_ctx *c)
{
    (void)c;
    return format_queues_table (out, queues);
}

static int queues_dsv (FILE *out, const json_t *queues, const struct format_ctx *c)
{
    return format_queues_dsv (out, queues, "|", c);
}

/* qstat -Q, -Qf, -Q -F json and dsv: counts cut to 5 columns with '*', long
 * names cut to 16, OpenPBS's attribute order */
static void golden_qstat_Q (void **state)
{
    golden ("queues.json", queues_table, "qstat-Q.txt");
    golden ("queues.json", format_queues_full, "qstat-Qf.txt");
    golden ("queues.json", format_queues_json, "qstat-Q-json.txt");
    golden ("queues.json", queues_dsv, "qstat-Q-dsv.txt");
}

/* qstat -B and -Bf of one server object */
static void golden_qstat_B (void **state)
{
    json_t *server = load ("server.json");
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream (&text, &len);
    assert_non_null (out);
    assert_int_equal (format_server_table (out, server), 0);
    assert_int_equal (format_server_full (out, server, &ctx), 0);
    assert_int_equal (format_server_json (out, server, &ctx), 0);
    assert_int_equal (format_server_dsv (out, server, "|", &ctx), 0);
    fclose (out);
    check_golden ("qstat-B.txt", text);
    free (text);
    json_decref (server);
}

static void golden_qnodes_a (void **state)
{
    golden ("nodes.json", format_nodes_full, "qnodes-a.txt");
}

static void golden_qnodes_aS (void **state)
{
    golden ("nodes.json", nodes_summary, "qnodes-aS.txt");
}

static void golden_qnodes_aSj (void **state)
{
    golden ("nodes.json", nodes_summary_jobs, "qnodes-aSj.txt");
}

static void golden_qnodes_json (void **state)
{
    golden ("nodes.json", format_nodes_json, "qnodes-json.txt");
}

/* -aSjL: the columns whole (a long name, long job lists are not cut) */
static void golden_qnodes_aSjL (void **state)
{
    golden ("nodes.json", nodes_summary_long, "qnodes-aSjL.txt");
}

static void golden_dsv (void **state)
{
    golden ("nodes.json", nodes_dsv, "qnodes-dsv.txt");
    golden ("jobs.json", jobs_dsv, "qstat-f-dsv.txt");
}

/* One job from a JSON text, rendered with fn. */
static char *render_text (render_f fn, const char *json)
{
    json_error_t error;
    json_t *jobs = json_loads (json, 0, &error);
    char *text;
    if (jobs == NULL)
        fail_msg ("test JSON: %s", error.text);
    text = render (fn, jobs);
    json_decref (jobs);
    return text;
}

static void table_header_and_columns (void **state)
{
    char *text =
        render_text (jobs_table, "[{\"jobid\":\"7.srv.example.com\",\"name\":\"STDIN\","
                                 "\"owner\":\"bob\",\"state\":\"Q\",\"queue\":\"workq\"}]");
    assert_string_equal (
        text, "Job id            Name             User              Time Use S Queue\n"
              "----------------  ---------------- ----------------  -------- - -----\n"
              "7.srv             STDIN            bob                      0 Q workq     "
              "      \n");
    free (text);
}

static void table_truncates_like_pbs (void **state)
{
    /* ids over 17 characters, users over 16 and names of 16 or more end in '*' */
    char *text = render_text (jobs_table,
                              "[{\"jobid\":\"123456789012345.srv\",\"name\":\"exactly16chars__\","
                              "\"owner\":\"a_seventeen_chars\",\"state\":\"R\",\"queue\":\"q\","
                              "\"resources_used\":{\"cput\":3725}}]");
    assert_non_null (strstr (text, "123456789012345.* exactly16chars_* a_seventeen_cha* "
                                   " 01:02:05 R q"));
    free (text);
}

static void no_jobs_no_header (void **state)
{
    char *text = render_text (jobs_table, "[]");
    assert_string_equal (text, "");
    free (text);
    text = render_text (jobs_nodes, "[]");
    assert_string_equal (text, "");
    free (text);
}

/* The section of qstat -f output for one job id. */
static char *job_section (const char *text, const char *jobid)
{
    char head[128];
    const char *start, *end;
    snprintf (head, sizeof (head), "Job Id: %s\n", jobid);
    start = strstr (text, head);
    assert_non_null (start);
    end = strstr (start + 1, "\nJob Id: ");
    return strndup (start, end ? (size_t)(end - start) : strlen (start));
}

static void full_hides_environment_of_others (void **state)
{
    json_t *jobs = load ("jobs.json");
    char *text = render (format_jobs_full, jobs);
    char *mine = job_section (text, "101.headnode");
    char *theirs = job_section (text, "102.headnode");

    assert_non_null (strstr (mine, "    Variable_List = PBS_O_HOME=/home/alice,"));
    /* a comma inside a value is escaped, as PBS does */
    assert_non_null (strstr (mine, "OMP_PROC_BIND=close\\,spread"));
    assert_null (strstr (theirs, "Variable_List"));
    assert_non_null (strstr (theirs, "    Hold_Types = us\n")); /* qhold, and a dependency */
    free (mine);
    free (theirs);
    free (text);
    json_decref (jobs);
}

static void full_wraps_long_values (void **state)
{
    json_t *jobs = load ("jobs.json");
    char *text = render (format_jobs_full, jobs);
    char *save = NULL;
    int continuations = 0;

    for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        /* PBS lets a line reach column 79 before it breaks */
        assert_in_range (strlen (line) + (line[0] == '\t' ? 7 : 0), 0, 80);
        continuations += line[0] == '\t';
    }
    assert_true (continuations >= 3);
    free (text);
    json_decref (jobs);
}

static void full_running_job_attributes (void **state)
{
    json_t *jobs = load ("jobs.json");
    char *text = render (format_jobs_full, jobs);
    char *job = job_section (text, "1234567890123.headnode");
    assert_non_null (strstr (job, "    exec_host = node01/0*8+node02/8*8\n"));
    assert_non_null (
        strstr (job, "    Resource_List.select = 2:ncpus=8:mpiprocs=8:ngpus=1:mem=16gb\n"));
    assert_non_null (strstr (job, "    Resource_List.mem = 32gb\n"));
    assert_non_null (strstr (job, "    Resource_List.nodect = 2\n"));
    assert_non_null (strstr (job, "    resources_used.walltime = 01:19:45\n"));
    assert_non_null (strstr (job, "    stime = Sat Nov 28 01:30:05 2026\n"));
    assert_non_null (strstr (job, "    Output_Path = login1:/home/alice/bench/out.log\n"));
    free (job);
    free (text);
    json_decref (jobs);
}

static void nodes_line_strips_domains (void **state)
{
    json_t *jobs = load ("jobs.json");
    char *text = render (jobs_nodes, jobs);
    assert_non_null (strstr (text, "\n   compute01/3+compute02/3+"));
    assert_null (strstr (text, "cluster.example"));
    free (text);
    json_decref (jobs);
}

static void json_round_trips (void **state)
{
    json_t *jobs = load ("jobs.json");
    char *text = render (format_jobs_json, jobs);
    json_error_t error;
    json_t *out = json_loads (text, 0, &error);
    json_t *all;

    assert_non_null (out);
    assert_int_equal (json_integer_value (json_object_get (out, "timestamp")), ctx.now);
    assert_string_equal (json_string_value (json_object_get (out, "pbs_server")), "headnode");
    all = json_object_get (out, "Jobs");
    assert_int_equal (json_object_size (all), json_array_size (jobs));
    assert_string_equal (
        json_string_value (json_object_get (
            json_object_get (json_object_get (all, "101.headnode"), "Variable_List"),
            "OMP_PROC_BIND")),
        "close,spread");
    assert_null (json_object_get (json_object_get (all, "102.headnode"), "Variable_List"));
    assert_int_equal (
        json_integer_value (json_object_get (
            json_object_get (json_object_get (all, "102.headnode"), "Resource_List"), "ncpus")),
        8);
    json_decref (out);
    free (text);
    json_decref (jobs);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (golden_qstat),
        cmocka_unit_test (golden_qstat_a),
        cmocka_unit_test (golden_qstat_n),
        cmocka_unit_test (golden_qstat_f),
        cmocka_unit_test (golden_qstat_json),
        cmocka_unit_test (golden_qstat_Q),
        cmocka_unit_test (golden_qstat_B),
        cmocka_unit_test (golden_qnodes_a),
        cmocka_unit_test (golden_qnodes_aS),
        cmocka_unit_test (golden_qnodes_aSj),
        cmocka_unit_test (golden_qnodes_json),
        cmocka_unit_test (golden_qnodes_aSjL),
        cmocka_unit_test (golden_dsv),
        cmocka_unit_test (table_header_and_columns),
        cmocka_unit_test (table_truncates_like_pbs),
        cmocka_unit_test (no_jobs_no_header),
        cmocka_unit_test (full_hides_environment_of_others),
        cmocka_unit_test (full_wraps_long_values),
        cmocka_unit_test (full_running_job_attributes),
        cmocka_unit_test (nodes_line_strips_domains),
        cmocka_unit_test (json_round_trips),
    };
    /* golden files hold UTC times */
    setenv ("TZ", "UTC", 1);
    tzset();
    return cmocka_run_group_tests (tests, NULL, NULL);
}
