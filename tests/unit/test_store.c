/* Unit tests for scheduler/ctld/store: what the controller relies on after
 * a restart or a crash.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "scheduler/ctld/store.h"

struct fixture {
    char dir[64];
    char db[128];
};

static int setup (void **state)
{
    struct fixture *f = calloc (1, sizeof (*f));
    if (!f)
        return -1;
    snprintf (f->dir, sizeof (f->dir), "/tmp/test_store.XXXXXX");
    if (!mkdtemp (f->dir))
        return -1;
    snprintf (f->db, sizeof (f->db), "%s/%s", f->dir, STORE_DB_NAME);
    *state = f;
    return 0;
}

static int teardown (void **state)
{
    struct fixture *f = *state;
    DIR *d = opendir (f->dir);
    struct dirent *e;
    char path[512];
    while (d && (e = readdir (d))) {
        if (strcmp (e->d_name, ".") && strcmp (e->d_name, "..")) {
            snprintf (path, sizeof (path), "%s/%s", f->dir, e->d_name);
            unlink (path);
        }
    }
    if (d)
        closedir (d);
    rmdir (f->dir);
    free (f);
    return 0;
}

static struct store *open_ok (struct fixture *f)
{
    struct herror err = {{0}};
    struct store *st = store_open (f->dir, &err);
    if (!st)
        fail_msg ("store_open: %s", err.text);
    return st;
}

static json_t *make_job (int64_t seq, const char *state, const char *owner)
{
    return json_pack ("{s:I, s:s, s:s, s:s, s:i, s:i, s:{s:s}, s:[{s:i, s:i}], s:I, s:i}", "seq",
                      (json_int_t)seq, "state", state, "owner", owner, "script",
                      "#!/bin/sh\nmpirun ./app\n", "uid", 1000, "gid", 1000, "env", "PATH",
                      "/usr/bin", "chunks", "count", 2, "ncpus", 8, "submit_time",
                      (json_int_t)1700000000 + seq, "run_count", 0);
}

/* Submit like the controller does: a new seq and the job in the same turn. */
static int64_t submit (struct store *st, const char *owner)
{
    struct herror err = {{0}};
    int64_t seq;
    if (store_next_seq (st, &seq, &err) < 0)
        fail_msg ("store_next_seq: %s", err.text);
    json_t *job = make_job (seq, "Q", owner);
    if (store_job_put (st, job, &err) < 0)
        fail_msg ("store_job_put: %s", err.text);
    json_decref (job);
    return seq;
}

static void flush_ok (struct store *st)
{
    struct herror err = {{0}};
    if (store_flush (st, &err) < 0)
        fail_msg ("store_flush: %s", err.text);
}

/* Loader callbacks collect into a JSON object keyed by seq / name. */
static int collect_job (int64_t seq, json_t *job, void *arg)
{
    char key[32];
    snprintf (key, sizeof (key), "%lld", (long long)seq);
    return json_object_set (arg, key, job);
}

static int collect_node (const char *name, json_t *node, void *arg)
{
    return json_object_set (arg, name, node);
}

static int collect_event (int64_t seq, int64_t t, const char *text, void *arg)
{
    return json_array_append_new (arg, json_pack ("{s:I, s:s}", "t", (json_int_t)t, "text", text));
}

static json_t *load_jobs (struct store *st, int expect_skipped)
{
    struct herror err = {{0}};
    json_t *jobs = json_object();
    int n = store_load_jobs (st, collect_job, jobs, &err);
    if (n != expect_skipped)
        fail_msg ("store_load_jobs returned %d, expected %d: %s", n, expect_skipped, err.text);
    return jobs;
}

static void round_trip_jobs_nodes_events (void **state)
{
    struct fixture *f = *state;
    struct herror err = {{0}};
    struct store *st = open_ok (f);
    json_t *expect_jobs = json_object();

    assert_null (store_server_name (st));
    assert_int_equal (store_set_server_name (st, "head01", &err), 0);
    for (int i = 0; i < 3; i++) {
        int64_t seq;
        assert_int_equal (store_next_seq (st, &seq, &err), 0);
        assert_int_equal (seq, i + 1);
        json_t *job = make_job (seq, i == 2 ? "R" : "Q", i == 1 ? "bob" : "alice");
        if (i == 2)
            json_object_set_new (job, "allocation",
                                 json_pack ("[{s:s, s:[i,i]}]", "node", "n01", "cores", 0, 1));
        assert_int_equal (store_job_put (st, job, &err), 0);
        json_object_set_new (expect_jobs, i == 0 ? "1" : i == 1 ? "2" : "3", job);
    }
    assert_int_equal (store_event_add (st, 3, 100, "submitted by alice", &err), 0);
    assert_int_equal (store_event_add (st, 3, 105, "started on n01", &err), 0);
    assert_int_equal (store_event_add (st, 1, 101, "held by uid 1000", &err), 0);

    json_t *n01 = json_pack ("{s:s, s:s, s:s, s:I, s:{s:i, s:[i,i]}}", "name", "n01", "state",
                             "offline", "comment", "bad DIMM", "last_registration",
                             (json_int_t)1700000123, "topology", "cores", 16, "numa", 0, 1);
    json_t *n02 = json_pack ("{s:s, s:s}", "name", "n02", "state", "");
    assert_int_equal (store_node_put (st, n01, &err), 0);
    assert_int_equal (store_node_put (st, n02, &err), 0);
    assert_int_equal (store_pending (st), 3 + 3 + 3 + 2 + 1);
    flush_ok (st);
    assert_int_equal (store_pending (st), 0);
    store_close (st);

    st = open_ok (f);
    assert_string_equal (store_server_name (st), "head01");
    json_t *jobs = load_jobs (st, 0);
    assert_true (json_equal (jobs, expect_jobs));

    json_t *nodes = json_object();
    assert_int_equal (store_load_nodes (st, collect_node, nodes, &err), 0);
    assert_int_equal (json_object_size (nodes), 2);
    assert_true (json_equal (json_object_get (nodes, "n01"), n01));
    assert_true (json_equal (json_object_get (nodes, "n02"), n02));

    json_t *ev = json_array();
    assert_int_equal (store_events_for (st, 3, collect_event, ev, &err), 2);
    json_t *expect_ev = json_pack ("[{s:i, s:s}, {s:i, s:s}]", "t", 100, "text",
                                   "submitted by alice", "t", 105, "text", "started on n01");
    assert_true (json_equal (ev, expect_ev));
    store_close (st);

    json_decref (expect_ev);
    json_decref (ev);
    json_decref (nodes);
    json_decref (jobs);
    json_decref (n01);
    json_decref (n02);
    json_decref (expect_jobs);
}

static void seq_survives_reopen_and_never_repeats (void **state)
{
    struct fixture *f = *state;
    struct herror err = {{0}};
    struct store *st = open_ok (f);
    int64_t seq;

    for (int i = 1; i <= 5; i++)
        assert_int_equal (submit (st, "alice"), i);
    flush_ok (st);
    store_close (st);

    st = open_ok (f);
    assert_int_equal (submit (st, "alice"), 6);
    /* a job put with a seq the counter never gave out moves the counter */
    json_t *job = make_job (100, "Q", "bob");
    assert_int_equal (store_job_put (st, job, &err), 0);
    json_decref (job);
    flush_ok (st);
    store_close (st);

    st = open_ok (f);
    assert_int_equal (store_next_seq (st, &seq, &err), 0);
    assert_int_equal (seq, 101);
    store_close (st);
}

/* What is not flushed is not durable: closing without a flush is a crash. */
static void close_without_flush_discards (void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok (f);
    submit (st, "alice");
    flush_ok (st);
    submit (st, "alice");
    assert_int_equal (store_pending (st), 2);
    store_close (st);

    st = open_ok (f);
    json_t *jobs = load_jobs (st, 0);
    assert_int_equal (json_object_size (jobs), 1);
    assert_non_null (json_object_get (jobs, "1"));
    json_decref (jobs);
    store_close (st);
}

/* The crash-durability property: a child flushes jobs 1-5, puts 6-8 without
 * flushing and is killed with SIGKILL.  The flushed (acknowledged) jobs must
 * all be there after reopening, the unflushed ones must not, and no number
 * that was acknowledged is handed out again.
 */
static void crash_keeps_flushed_loses_unflushed_flags (struct fixture *f, int flags)
{
    fflush (NULL);
    pid_t pid = fork();
    assert_true (pid >= 0);
    if (pid == 0) {
        struct herror err;
        struct store *st = store_open_flags (f->dir, flags, &err);
        if (!st)
            _exit (2);
        for (int i = 0; i < 5; i++)
            submit (st, "alice");
        if (store_event_add (st, 5, 200, "submitted by alice", &err) < 0 ||
            store_flush (st, &err) < 0)
            _exit (3);
        for (int i = 0; i < 3; i++)
            submit (st, "bob");
        if (store_event_add (st, 5, 201, "deleted by uid 0", &err) < 0)
            _exit (4);
        raise (SIGKILL);
        _exit (5);
    }
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFSIGNALED (status));
    assert_int_equal (WTERMSIG (status), SIGKILL);

    struct herror err = {{0}};
    struct store *st = store_open_flags (f->dir, flags, &err);
    if (!st)
        fail_msg ("reopen after crash: %s", err.text);
    json_t *jobs = load_jobs (st, 0);
    assert_int_equal (json_object_size (jobs), 5);
    for (int i = 1; i <= 5; i++) {
        char key[8];
        snprintf (key, sizeof (key), "%d", i);
        json_t *job = json_object_get (jobs, key);
        assert_non_null (job);
        assert_string_equal (json_string_value (json_object_get (job, "owner")), "alice");
    }
    json_t *ev = json_array();
    assert_int_equal (store_events_for (st, 5, collect_event, ev, &err), 1);
    json_decref (ev);
    int64_t seq;
    assert_int_equal (store_next_seq (st, &seq, &err), 0);
    assert_true (seq > 5);
    json_decref (jobs);
    store_close (st);
}

static void crash_keeps_flushed_loses_unflushed (void **state)
{
    crash_keeps_flushed_loses_unflushed_flags (*state, 0);
}

static void crash_keeps_flushed_sync_normal (void **state)
{
    crash_keeps_flushed_loses_unflushed_flags (*state, STORE_SYNC_NORMAL);
}

static int count_job (int64_t seq, json_t *job, void *arg)
{
    int64_t *expect = arg;
    if (seq != *expect) {
        errno = ERANGE;
        return -1;
    }
    (*expect)++;
    return 0;
}

static void ten_thousand_puts_in_one_flush (void **state)
{
    struct fixture *f = *state;
    struct herror err = {{0}};
    struct store *st = open_ok (f);
    for (int i = 0; i < 10000; i++)
        submit (st, i % 2 ? "alice" : "bob");
    assert_int_equal (store_pending (st), 20000);
    flush_ok (st);
    store_close (st);

    st = open_ok (f);
    int64_t next = 1;
    assert_int_equal (store_load_jobs (st, count_job, &next, &err), 0);
    assert_int_equal (next, 10001);
    store_close (st);
}

/* A turn that cannot be written (here: the file size limit stands in for a
 * full disk) must not be committed in part nor lost: store_flush fails, so
 * nothing of it is acknowledged, and keeps it; later writes join it; once
 * there is room again a flush commits all of it.
 */
static void failed_turn_is_kept_until_there_is_room (void **state)
{
    struct fixture *f = *state;
    fflush (NULL);
    pid_t pid = fork();
    assert_true (pid >= 0);
    if (pid == 0) {
        struct herror err;
        struct rlimit old, small;
        struct store *st = store_open (f->dir, &err);
        if (!st)
            _exit (2);
        submit (st, "alice");
        if (store_flush (st, &err) < 0)
            _exit (3);
        signal (SIGXFSZ, SIG_IGN);
        if (getrlimit (RLIMIT_FSIZE, &old) < 0)
            _exit (4);
        small = old;
        small.rlim_cur = 256 * 1024;
        if (setrlimit (RLIMIT_FSIZE, &small) < 0)
            _exit (5);
        /* More than the page cache holds, so SQLite spills to the WAL in the
         * middle of the turn and fails there; every write is still kept. */
        for (int i = 0; i < 5000; i++) {
            int64_t seq;
            json_t *job;
            if (store_next_seq (st, &seq, &err) < 0 || !(job = make_job (seq, "Q", "bob")) ||
                store_job_put (st, job, &err) < 0 ||
                store_script_put (st, seq, "#!/bin/sh\necho bob\n", &err) < 0)
                _exit (6);
            json_decref (job);
        }
        if (store_flush (st, &err) == 0)
            _exit (7);
        if (!strstr (err.text, f->db) || !strstr (err.text, "kept for a retry") ||
            !store_retrying (st) || store_pending (st) == 0)
            _exit (8);
        /* Still no room: the retry fails the same way, nothing is lost. */
        if (store_flush (st, &err) == 0 || !store_retrying (st))
            _exit (9);
        char *script = NULL;
        if (store_script_get (st, 3, &script, &err) != 1 ||
            strcmp (script, "#!/bin/sh\necho bob\n"))
            _exit (10);
        free (script);
        if (setrlimit (RLIMIT_FSIZE, &old) < 0)
            _exit (11);
        submit (st, "carol");
        if (store_flush (st, &err) < 0) {
            fprintf (stderr, "flush after recovery: %s\n", err.text);
            _exit (12);
        }
        if (store_retrying (st) || store_pending (st) != 0 || store_journal_bytes (st) != 0)
            _exit (13);
        store_close (st);
        _exit (0);
    }
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);

    struct herror err = {{0}};
    struct store *st = open_ok (f);
    json_t *jobs = load_jobs (st, 0);
    assert_int_equal (json_object_size (jobs), 1 + 5000 + 1);
    char *script = NULL;
    assert_int_equal (store_script_get (st, 5000, &script, &err), 1);
    assert_string_equal (script, "#!/bin/sh\necho bob\n");
    free (script);
    assert_string_equal (
        json_string_value (json_object_get (json_object_get (jobs, "5002"), "owner")), "carol");
    json_decref (jobs);
    store_close (st);
}

/* Scripts live in their own table and go with their job. */
static void scripts_are_kept_apart_and_go_with_their_job (void **state)
{
    struct fixture *f = *state;
    struct herror err = {{0}};
    struct store *st = open_ok (f);
    int64_t a = submit (st, "alice"), b = submit (st, "bob");
    assert_int_equal (store_script_put (st, a, "echo a\n", &err), 0);
    assert_int_equal (store_script_put (st, b, "echo b\n", &err), 0);
    flush_ok (st);
    char *script = NULL;
    assert_int_equal (store_script_get (st, a, &script, &err), 1);
    assert_string_equal (script, "echo a\n");
    free (script);
    assert_int_equal (store_script_get (st, 99, &script, &err), 0);
    assert_null (script);
    assert_int_equal (store_job_delete (st, a, &err), 0);
    flush_ok (st);
    assert_int_equal (store_script_get (st, a, &script, &err), 0);
    json_t *done = make_job (b, "F", "bob");
    json_object_set_new (done, "end_time", json_integer (100));
    assert_int_equal (store_job_put (st, done, &err), 0);
    json_decref (done);
    assert_int_equal (store_jobs_prune (st, 1000, 10, &err), 1);
    flush_ok (st);
    assert_int_equal (store_script_get (st, b, &script, &err), 0);
    store_close (st);
}

/* Measured links: put, replace, survive a reopen, come back in (a, b)
 * order; a pair not in name order is refused. */
struct seen_links {
    char text[512];
};
static int collect_link (const char *a, const char *b, int64_t t, double lat, double bw, void *arg)
{
    struct seen_links *s = arg;
    size_t n = strlen (s->text);
    snprintf (s->text + n, sizeof (s->text) - n, "%s %s %lld %.1f %.1f;", a, b, (long long)t, lat,
              bw);
    return 0;
}

static void links_are_kept (void **state)
{
    struct fixture *f = *state;
    struct herror err = {{0}};
    struct store *st = open_ok (f);
    assert_int_equal (store_link_put (st, "n2", "n3", 100, 25, 900, &err), 0);
    assert_int_equal (store_link_put (st, "n1", "n2", 100, 2.5, 10000, &err), 0);
    assert_int_equal (store_link_put (st, "n1", "n2", 200, 1.5, 12000, &err), 0);
    assert_int_equal (store_link_put (st, "n3", "n2", 200, 1, 1, &err), -1);
    assert_int_equal (errno, EINVAL);
    assert_int_equal (store_link_put (st, "n1", "n1", 200, 1, 1, &err), -1);
    assert_int_equal (store_flush (st, &err), 0);
    store_close (st);

    st = open_ok (f);
    struct seen_links seen = {""};
    assert_int_equal (store_load_links (st, collect_link, &seen, &err), 2);
    assert_string_equal (seen.text, "n1 n2 200 1.5 12000.0;n2 n3 100 25.0 900.0;");
    store_close (st);
}

/* Placement groups: put, replace, delete, survive a reopen, come back in
 * name order; a group without a name is refused. */
static int collect_pgroup (const char *name, json_t *g, void *arg)
{
    struct seen_links *s = arg;
    size_t n = strlen (s->text);
    snprintf (s->text + n, sizeof (s->text) - n, "%s %s;", name,
              json_string_value (json_object_get (g, "strategy")));
    return 0;
}

static void pgroups_are_kept (void **state)
{
    struct fixture *f = *state;
    struct herror err = {{0}};
    struct store *st = open_ok (f);
    json_t *a = json_pack ("{s:s, s:s}", "name", "web", "strategy", "cluster");
    json_t *b = json_pack ("{s:s, s:s}", "name", "db", "strategy", "spread");
    json_t *c = json_pack ("{s:s, s:s}", "name", "old", "strategy", "spread");
    json_t *bad = json_pack ("{s:s}", "strategy", "spread");
    assert_int_equal (store_pgroup_put (st, a, &err), 0);
    assert_int_equal (store_pgroup_put (st, c, &err), 0);
    json_object_set_new (a, "strategy", json_string ("partition"));
    assert_int_equal (store_pgroup_put (st, a, &err), 0);
    assert_int_equal (store_pgroup_put (st, b, &err), 0);
    assert_int_equal (store_pgroup_put (st, bad, &err), -1);
    assert_int_equal (errno, EINVAL);
    assert_int_equal (store_pgroup_delete (st, "old", &err), 0);
    assert_int_equal (store_pgroup_delete (st, "never", &err), 0);
    assert_int_equal (store_flush (st, &err), 0);
    store_close (st);

    st = open_ok (f);
    struct seen_links seen = {""};
    assert_int_equal (store_load_pgroups (st, collect_pgroup, &seen, &err), 2);
    assert_string_equal (seen.text, "db spread;web partition;");
    store_close (st);
    json_decref (a);
    json_decref (b);
    json_decref (c);
    json_decref (bad);
}

/* A database of schema 1 kept scripts inside the job objects: opening it
 * moves them to the scripts table and out of the objects. */
static void schema_1_scripts_are_moved_out (void **state)
{
    struct fixture *f = *state;
    struct herror err = {{0}};
    sqlite3 *db;
    assert_int_equal (sqlite3_open (f->db, &db), SQLITE_OK);
    const char *v1 =
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value);"
        "CREATE TABLE jobs (seq INTEGER PRIMARY KEY, state TEXT NOT NULL, owner TEXT,"
        "  end_time INTEGER, body TEXT NOT NULL);"
        "CREATE INDEX jobs_by_state ON jobs (state, end_time);"
        "CREATE INDEX jobs_by_owner ON jobs (owner);"
        "CREATE TABLE nodes (name TEXT PRIMARY KEY, state TEXT NOT NULL DEFAULT '',"
        "  comment TEXT, last_registration INTEGER, topology TEXT);"
        "CREATE TABLE events (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL,"
        "  time INTEGER NOT NULL, text TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('schema_version', 1), ('next_seq', 3);"
        "INSERT INTO jobs VALUES (1, 'Q', 'alice', NULL,"
        "  '{\"seq\":1,\"state\":\"Q\",\"owner\":\"alice\",\"script\":\"echo one\\n\"}');"
        "INSERT INTO jobs VALUES (2, 'Q', 'bob', NULL, '{\"seq\":2,\"state\":\"Q\"}');";
    assert_int_equal (sqlite3_exec (db, v1, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close (db);

    struct store *st = open_ok (f);
    json_t *jobs = load_jobs (st, 0);
    assert_int_equal (json_object_size (jobs), 2);
    assert_null (json_object_get (json_object_get (jobs, "1"), "script"));
    assert_string_equal (json_string_value (json_object_get (json_object_get (jobs, "1"), "owner")),
                         "alice");
    json_decref (jobs);
    char *script = NULL;
    assert_int_equal (store_script_get (st, 1, &script, &err), 1);
    assert_string_equal (script, "echo one\n");
    free (script);
    assert_int_equal (store_script_get (st, 2, &script, &err), 0);
    int64_t seq;
    assert_int_equal (store_next_seq (st, &seq, &err), 0);
    assert_int_equal (seq, 3);
    store_close (st);
}

static void write_file (const char *path, const char *text)
{
    FILE *fp = fopen (path, "w");
    assert_non_null (fp);
    for (int i = 0; i < 64; i++)
        fputs (text, fp);
    assert_int_equal (fclose (fp), 0);
}

static void corrupt_file_is_named (void **state)
{
    struct fixture *f = *state;
    struct herror err = {{0}};
    write_file (f->db, "this is not a SQLite database, it is a job script\n");
    errno = 0;
    assert_null (store_open (f->dir, &err));
    assert_int_equal (errno, EBADMSG);
    assert_non_null (strstr (err.text, f->db));
    assert_non_null (strstr (err.text, "not a database"));
}

static void foreign_database_is_refused (void **state)
{
    struct fixture *f = *state;
    struct herror err = {{0}};
    sqlite3 *db;
    assert_int_equal (sqlite3_open (f->db, &db), SQLITE_OK);
    assert_int_equal (sqlite3_exec (db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close (db);
    assert_null (store_open (f->dir, &err));
    assert_non_null (strstr (err.text, f->db));
    assert_non_null (strstr (err.text, "not a huddle state database"));
}

static void sql (struct fixture *f, const char *text)
{
    sqlite3 *db;
    assert_int_equal (sqlite3_open (f->db, &db), SQLITE_OK);
    assert_int_equal (sqlite3_exec (db, text, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_close (db), SQLITE_OK);
}

static void future_schema_is_refused (void **state)
{
    struct fixture *f = *state;
    struct herror err = {{0}};
    store_close (open_ok (f));
    sql (f, "UPDATE meta SET value = 99 WHERE key = 'schema_version'");
    errno = 0;
    assert_null (store_open (f->dir, &err));
    assert_int_equal (errno, ENOTSUP);
    assert_non_null (strstr (err.text, f->db));
    assert_non_null (strstr (err.text, "schema version 99"));
    assert_non_null (strstr (err.text, "refusing to start"));
}

static void corrupt_rows_are_skipped_and_reported (void **state)
{
    struct fixture *f = *state;
    struct herror err = {{0}};
    struct store *st = open_ok (f);
    for (int i = 0; i < 4; i++)
        submit (st, "alice");
    json_t *node = json_pack ("{s:s, s:{}}", "name", "n01", "topology");
    assert_int_equal (store_node_put (st, node, &err), 0);
    json_decref (node);
    flush_ok (st);
    store_close (st);
    sql (f, "UPDATE jobs SET body = '{\"seq\": 2, trunc' WHERE seq = 2;"
            "UPDATE jobs SET body = '{\"seq\": 7}' WHERE seq = 3;"
            "UPDATE nodes SET topology = '[' WHERE name = 'n01'");

    st = open_ok (f);
    json_t *jobs = json_object();
    assert_int_equal (store_load_jobs (st, collect_job, jobs, &err), 2);
    assert_int_equal (json_object_size (jobs), 2);
    assert_non_null (json_object_get (jobs, "1"));
    assert_non_null (json_object_get (jobs, "4"));
    assert_non_null (strstr (err.text, f->db));
    assert_non_null (strstr (err.text, "skipped 2 unreadable job rows"));
    assert_non_null (strstr (err.text, "job 2"));

    json_t *nodes = json_object();
    assert_int_equal (store_load_nodes (st, collect_node, nodes, &err), 1);
    assert_int_equal (json_object_size (nodes), 0);
    assert_non_null (strstr (err.text, "node n01"));
    json_decref (nodes);
    json_decref (jobs);
    store_close (st);
}

static void not_writable_is_refused (void **state)
{
    struct fixture *f = *state;
    store_close (open_ok (f));
    assert_int_equal (chmod (f->db, 0444), 0);
    assert_int_equal (chmod (f->dir, 0755), 0);
    /* root writes whatever the mode says: test as an unprivileged user */
    fflush (NULL);
    pid_t pid = fork();
    assert_true (pid >= 0);
    if (pid == 0) {
        struct herror err = {{0}};
        if (geteuid() == 0 && (setgid (65534) < 0 || setuid (65534) < 0))
            _exit (10);
        if (store_open (f->dir, &err))
            _exit (11);
        if (!strstr (err.text, f->db) || !strstr (err.text, "not writable")) {
            fprintf (stderr, "unexpected error text: %s\n", err.text);
            _exit (12);
        }
        _exit (0);
    }
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    chmod (f->db, 0644);
}

static void missing_directory_is_named (void **state)
{
    struct herror err = {{0}};
    assert_null (store_open ("/nonexistent/huddle-state", &err));
    assert_int_equal (errno, ENOENT);
    assert_non_null (strstr (err.text, "/nonexistent/huddle-state"));
}

static void second_controller_is_locked_out (void **state)
{
    struct fixture *f = *state;
    struct herror err = {{0}};
    struct store *st = open_ok (f);
    errno = 0;
    assert_null (store_open (f->dir, &err));
    assert_int_equal (errno, EBUSY);
    assert_non_null (strstr (err.text, "another huddle-ctld"));
    store_close (st);
    store_close (open_ok (f));
}

static void prune_and_delete_remove_jobs_and_events (void **state)
{
    struct fixture *f = *state;
    struct herror err = {{0}};
    struct store *st = open_ok (f);
    json_t *ev = json_array();
    const int64_t ends[] = {100, 500, 0};
    for (int i = 0; i < 3; i++) {
        int64_t seq = submit (st, "alice");
        json_t *job = make_job (seq, ends[i] ? "F" : "R", "alice");
        if (ends[i])
            json_object_set_new (job, "end_time", json_integer (ends[i]));
        assert_int_equal (store_job_put (st, job, &err), 0);
        json_decref (job);
        assert_int_equal (store_event_add (st, seq, 50, "submitted", &err), 0);
    }
    flush_ok (st);
    /* history kept 600 s at t = 1000: job 1 (ended at 100) goes */
    assert_int_equal (store_jobs_prune (st, 1000, 600, &err), 1);
    assert_int_equal (store_job_delete (st, 3, &err), 0);
    assert_int_equal (store_job_delete (st, 42, &err), 0);
    flush_ok (st);
    store_close (st);

    st = open_ok (f);
    json_t *jobs = load_jobs (st, 0);
    assert_int_equal (json_object_size (jobs), 1);
    assert_non_null (json_object_get (jobs, "2"));
    assert_int_equal (store_events_for (st, 1, collect_event, ev, &err), 0);
    assert_int_equal (store_events_for (st, 3, collect_event, ev, &err), 0);
    assert_int_equal (store_events_for (st, 2, collect_event, ev, &err), 1);
    json_decref (jobs);
    json_decref (ev);
    store_close (st);
}

static void node_delete_and_replace (void **state)
{
    struct fixture *f = *state;
    struct herror err = {{0}};
    struct store *st = open_ok (f);
    json_t *a = json_pack ("{s:s, s:s}", "name", "n01", "state", "offline");
    json_t *b = json_pack ("{s:s, s:s}", "name", "n01", "state", "");
    json_t *c = json_pack ("{s:s}", "name", "n02");
    assert_int_equal (store_node_put (st, a, &err), 0);
    assert_int_equal (store_node_put (st, b, &err), 0);
    assert_int_equal (store_node_put (st, c, &err), 0);
    assert_int_equal (store_node_delete (st, "n02", &err), 0);
    flush_ok (st);
    json_t *nodes = json_object();
    assert_int_equal (store_load_nodes (st, collect_node, nodes, &err), 0);
    assert_int_equal (json_object_size (nodes), 1);
    assert_true (json_equal (json_object_get (nodes, "n01"), b));
    json_decref (nodes);
    json_decref (a);
    json_decref (b);
    json_decref (c);
    store_close (st);
}

static void invalid_jobs_are_refused_without_poisoning (void **state)
{
    struct fixture *f = *state;
    struct herror err = {{0}};
    struct store *st = open_ok (f);
    json_t *noseq = json_pack ("{s:s}", "state", "Q");
    json_t *nostate = json_pack ("{s:i}", "seq", 9);
    errno = 0;
    assert_int_equal (store_job_put (st, noseq, &err), -1);
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "seq"));
    assert_int_equal (store_job_put (st, nostate, &err), -1);
    assert_non_null (strstr (err.text, "state"));
    submit (st, "alice");
    flush_ok (st);
    json_t *jobs = load_jobs (st, 0);
    assert_int_equal (json_object_size (jobs), 1);
    json_decref (jobs);
    json_decref (noseq);
    json_decref (nostate);
    store_close (st);
}

static int stop_at_first (int64_t seq, json_t *job, void *arg)
{
    errno = ECANCELED;
    return -1;
}

static void callback_can_stop_a_load (void **state)
{
    struct fixture *f = *state;
    struct herror err = {{0}};
    struct store *st = open_ok (f);
    submit (st, "alice");
    submit (st, "alice");
    flush_ok (st);
    assert_int_equal (store_load_jobs (st, stop_at_first, NULL, &err), -1);
    assert_int_equal (errno, ECANCELED);
    /* the cached statement was reset: a second load works */
    json_t *jobs = load_jobs (st, 0);
    assert_int_equal (json_object_size (jobs), 2);
    json_decref (jobs);
    store_close (st);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (round_trip_jobs_nodes_events, setup, teardown),
        cmocka_unit_test_setup_teardown (seq_survives_reopen_and_never_repeats, setup, teardown),
        cmocka_unit_test_setup_teardown (close_without_flush_discards, setup, teardown),
        cmocka_unit_test_setup_teardown (crash_keeps_flushed_loses_unflushed, setup, teardown),
        cmocka_unit_test_setup_teardown (crash_keeps_flushed_sync_normal, setup, teardown),
        cmocka_unit_test_setup_teardown (ten_thousand_puts_in_one_flush, setup, teardown),
        cmocka_unit_test_setup_teardown (failed_turn_is_kept_until_there_is_room, setup, teardown),
        cmocka_unit_test_setup_teardown (scripts_are_kept_apart_and_go_with_their_job, setup,
                                         teardown),
        cmocka_unit_test_setup_teardown (schema_1_scripts_are_moved_out, setup, teardown),
        cmocka_unit_test_setup_teardown (links_are_kept, setup, teardown),
        cmocka_unit_test_setup_teardown (pgroups_are_kept, setup, teardown),
        cmocka_unit_test_setup_teardown (corrupt_file_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown (foreign_database_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown (future_schema_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown (corrupt_rows_are_skipped_and_reported, setup, teardown),
        cmocka_unit_test_setup_teardown (not_writable_is_refused, setup, teardown),
        cmocka_unit_test (missing_directory_is_named),
        cmocka_unit_test_setup_teardown (second_controller_is_locked_out, setup, teardown),
        cmocka_unit_test_setup_teardown (prune_and_delete_remove_jobs_and_events, setup, teardown),
        cmocka_unit_test_setup_teardown (node_delete_and_replace, setup, teardown),
        cmocka_unit_test_setup_teardown (invalid_jobs_are_refused_without_poisoning, setup,
                                         teardown),
        cmocka_unit_test_setup_teardown (callback_can_stop_a_load, setup, teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
