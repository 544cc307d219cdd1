/* store.c - huddle-ctld's durable state in SQLite (see store.h) */
#include "store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

/* Schema migrations: migrations[v] takes a database at version v to v + 1.
 * Version 0 is an empty file.  Append, never edit: a released database may
 * be at any version.
 */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
    /* 0 -> 1 */
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value);"
    "CREATE TABLE jobs ("
    "  seq INTEGER PRIMARY KEY,"
    "  state TEXT NOT NULL,"
    "  owner TEXT,"
    "  end_time INTEGER,"
    "  body TEXT NOT NULL);"
    "CREATE INDEX jobs_by_state ON jobs (state, end_time);"
    "CREATE INDEX jobs_by_owner ON jobs (owner);"
    "CREATE TABLE nodes ("
    "  name TEXT PRIMARY KEY,"
    "  state TEXT NOT NULL DEFAULT '',"
    "  comment TEXT,"
    "  last_registration INTEGER,"
    "  topology TEXT);"
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"
    "  seq INTEGER NOT NULL,"
    "  time INTEGER NOT NULL,"
    "  text TEXT NOT NULL);"
    "CREATE INDEX events_by_seq ON events (seq, id);"
    "INSERT INTO meta (key, value) VALUES ('next_seq', 1);"
    "INSERT INTO meta (key, value) VALUES ('created_time', CAST(strftime('%s', 'now') AS "
    "INTEGER));",
};

enum stmt_id {
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_META_GET,
    S_META_SET,
    S_JOB_PUT,
    S_JOB_DELETE,
    S_JOB_EVENTS_DELETE,
    S_PRUNE_EVENTS,
    S_PRUNE_JOBS,
    S_EVENT_ADD,
    S_EVENTS_FOR,
    S_NODE_PUT,
    S_NODE_DELETE,
    S_JOBS_LOAD,
    S_NODES_LOAD,
    S_MAX_SEQ,
    S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [S_META_SET] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
    [S_JOB_PUT] = "INSERT OR REPLACE INTO jobs (seq, state, owner, end_time, body)"
                  " VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_JOB_DELETE] = "DELETE FROM jobs WHERE seq = ?1",
    [S_JOB_EVENTS_DELETE] = "DELETE FROM events WHERE seq = ?1",
    [S_PRUNE_EVENTS] = "DELETE FROM events WHERE seq IN"
                       " (SELECT seq FROM jobs WHERE state = 'F' AND end_time <= ?1)",
    [S_PRUNE_JOBS] = "DELETE FROM jobs WHERE state = 'F' AND end_time <= ?1",
    [S_EVENT_ADD] = "INSERT INTO events (seq, time, text) VALUES (?1, ?2, ?3)",
    [S_EVENTS_FOR] = "SELECT time, text FROM events WHERE seq = ?1 ORDER BY id",
    [S_NODE_PUT] = "INSERT OR REPLACE INTO nodes (name, state, comment, last_registration,"
                   " topology) VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_NODE_DELETE] = "DELETE FROM nodes WHERE name = ?1",
    [S_JOBS_LOAD] = "SELECT seq, body FROM jobs ORDER BY seq",
    [S_NODES_LOAD] = "SELECT name, state, comment, last_registration, topology"
                     " FROM nodes ORDER BY name",
    [S_MAX_SEQ] = "SELECT max(seq) FROM jobs",
};

struct store {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *stmt[S_COUNT];
    bool in_txn;   /* BEGIN done, no COMMIT/ROLLBACK yet */
    bool poisoned; /* a write of this turn failed: flush rolls back */
    char poison_text[HERROR_TEXT_MAX];
    int pending;       /* changes in the open transaction */
    int64_t next_seq;  /* next number store_next_seq() hands out */
    bool seq_dirty;    /* next_seq must be written before COMMIT */
    char *server_name; /* NULL when unset */
};

/* Map SQLite's result code onto the errno a caller can test. */
static int errno_from_sqlite (sqlite3 *db, int rc)
{
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        return ENOMEM;
    case SQLITE_READONLY:
        return EROFS;
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return EACCES;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return EBUSY;
    case SQLITE_FULL:
        return ENOSPC;
    case SQLITE_CANTOPEN: {
        int sys = db ? sqlite3_system_errno (db) : 0;
        return sys ? sys : EACCES;
    }
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return EBADMSG;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
        return EINVAL;
    default:
        return EIO;
    }
}

/* Fill err with "PATH: WHAT: sqlite's message" (plus the OS error and a hint
 * when they help an admin), set errno, return -1.
 */
static int fail_sqlite (sqlite3 *db, const char *path, int rc, struct herror *err, const char *what)
{
    const char *msg = db ? sqlite3_errmsg (db) : sqlite3_errstr (rc);
    const char *hint = "";
    char sys[128] = "";
    int e = errno_from_sqlite (db, rc);

    switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        hint = " (the file is corrupt or not a huddle state database;"
               " restore it from a backup or move it aside)";
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        hint = " (is another huddle-ctld using this state directory?)";
        break;
    case SQLITE_READONLY:
        hint = " (check the owner and mode of the file and its directory)";
        break;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_PERM:
        if (db && sqlite3_system_errno (db))
            snprintf (sys, sizeof (sys), " (%s)", strerror (sqlite3_system_errno (db)));
        break;
    }
    herror_set (err, "%s: %s: %s%s%s", path, what, msg, sys, hint);
    errno = e;
    return -1;
}

static int fail_errno (const char *path, int e, struct herror *err, const char *what)
{
    herror_set (err, "%s: %s", path, what);
    errno = e;
    return -1;
}

/* Run a cached statement that returns no rows, then reset it. */
static int stmt_run (struct store *st, enum stmt_id id)
{
    sqlite3_stmt *s = st->stmt[id];
    int rc = sqlite3_step (s);
    if (rc == SQLITE_ROW)
        rc = SQLITE_DONE;
    sqlite3_reset (s);
    sqlite3_clear_bindings (s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void stmt_done (struct store *st, enum stmt_id id)
{
    sqlite3_reset (st->stmt[id]);
    sqlite3_clear_bindings (st->stmt[id]);
}

/* A write of this turn failed.  SQLite may already have rolled the
 * transaction back on its own (it does for SQLITE_FULL, IOERR, NOMEM): then
 * no transaction is open any more, and a later write would start a fresh one
 * that store_flush() would commit as if the turn were whole.  Remembering the
 * failure makes flush roll back and fail instead.
 */
static int fail_write (struct store *st, int rc, struct herror *err, const char *what)
{
    fail_sqlite (st->db, st->path, rc, err, what);
    int saved = errno;
    if (!st->poisoned) {
        st->poisoned = true;
        if (err)
            memcpy (st->poison_text, err->text, sizeof (st->poison_text));
        else
            snprintf (st->poison_text, sizeof (st->poison_text), "%s: %s: %s", st->path, what,
                      sqlite3_errstr (rc));
    }
    if (sqlite3_get_autocommit (st->db))
        st->in_txn = false;
    errno = saved;
    return -1;
}

/* Open the turn's transaction on first use.  Refuse writes once the turn is
 * poisoned: they would be rolled back anyway.
 */
static int txn_begin (struct store *st, struct herror *err)
{
    if (st->poisoned) {
        herror_set (err, "%s (an earlier write of this turn failed)", st->poison_text);
        errno = EIO;
        return -1;
    }
    if (st->in_txn)
        return 0;
    int rc = stmt_run (st, S_BEGIN);
    if (rc != SQLITE_OK)
        return fail_write (st, rc, err, "beginning a transaction");
    st->in_txn = true;
    return 0;
}

static int meta_get_int (struct store *st, const char *key, int64_t *val, bool *found)
{
    sqlite3_stmt *s = st->stmt[S_META_GET];
    sqlite3_bind_text (s, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step (s);
    *found = false;
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_type (s, 0) == SQLITE_INTEGER) {
            *val = sqlite3_column_int64 (s, 0);
            *found = true;
        }
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    stmt_done (st, S_META_GET);
    return rc;
}

static int meta_get_text (struct store *st, const char *key, char **val)
{
    sqlite3_stmt *s = st->stmt[S_META_GET];
    sqlite3_bind_text (s, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step (s);
    *val = NULL;
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text (s, 0);
        if (t && !(*val = strdup ((const char *)t)))
            rc = SQLITE_NOMEM;
        else
            rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    stmt_done (st, S_META_GET);
    return rc;
}

/* Read what the store caches from the meta table.  next_seq is also kept
 * above every stored job, so a damaged counter cannot hand out a number
 * that is already in use.
 */
static int load_meta (struct store *st, struct herror *err)
{
    int64_t next = 1, max = 0;
    bool found;
    int rc = meta_get_int (st, "next_seq", &next, &found);
    if (rc != SQLITE_OK)
        return fail_sqlite (st->db, st->path, rc, err, "reading next_seq");
    if (!found || next < 1)
        next = 1;
    sqlite3_stmt *s = st->stmt[S_MAX_SEQ];
    rc = sqlite3_step (s);
    if (rc == SQLITE_ROW && sqlite3_column_type (s, 0) == SQLITE_INTEGER)
        max = sqlite3_column_int64 (s, 0);
    stmt_done (st, S_MAX_SEQ);
    if (rc != SQLITE_ROW)
        return fail_sqlite (st->db, st->path, rc, err, "reading jobs");
    st->next_seq = next > max ? next : max + 1;

    char *name;
    rc = meta_get_text (st, "server_name", &name);
    if (rc != SQLITE_OK)
        return fail_sqlite (st->db, st->path, rc, err, "reading server_name");
    free (st->server_name);
    st->server_name = name;
    return 0;
}

/* Read one integer of a single-row query on a database whose schema is not
 * yet known (no cached statements exist).
 */
static int query_int (sqlite3 *db, const char *sql, int64_t *val, bool *found)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2 (db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return rc;
    *found = false;
    rc = sqlite3_step (s);
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_type (s, 0) == SQLITE_INTEGER) {
            *val = sqlite3_column_int64 (s, 0);
            *found = true;
        }
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_finalize (s);
    return rc;
}

/* Bring the schema to STORE_SCHEMA_VERSION in one transaction, or refuse a
 * database written by a newer huddle: running old code on it could drop
 * what the newer code stored.
 */
static int schema_upgrade (struct store *st, struct herror *err)
{
    sqlite3 *db = st->db;
    int64_t version = 0, ntables = 0;
    bool found;
    int rc;

    if ((rc = sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK)
        return fail_sqlite (db, st->path, rc, err, "locking the database");
    rc =
        query_int (db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", &ntables, &found);
    if (rc != SQLITE_OK)
        goto sqlfail;
    if (ntables > 0) {
        rc =
            query_int (db, "SELECT value FROM meta WHERE key = 'schema_version'", &version, &found);
        if (rc != SQLITE_OK || !found) {
            sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
            return fail_errno (st->path, EBADMSG, err,
                               "not a huddle state database (no schema_version in a meta table)");
        }
    }
    if (version > STORE_SCHEMA_VERSION || version < 0) {
        sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
        herror_set (err,
                    "%s: schema version %lld is newer than this huddle-ctld understands (%d);"
                    " refusing to start: run a newer huddle or restore an older state directory",
                    st->path, (long long)version, STORE_SCHEMA_VERSION);
        errno = ENOTSUP;
        return -1;
    }
    for (; version < STORE_SCHEMA_VERSION; version++) {
        if ((rc = sqlite3_exec (db, migrations[version], NULL, NULL, NULL)) != SQLITE_OK)
            goto sqlfail;
    }
    char sql[128];
    snprintf (sql, sizeof (sql),
              "INSERT OR REPLACE INTO meta (key, value) VALUES"
              " ('schema_version', %d)",
              STORE_SCHEMA_VERSION);
    if ((rc = sqlite3_exec (db, sql, NULL, NULL, NULL)) != SQLITE_OK)
        goto sqlfail;
    if ((rc = sqlite3_exec (db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
        goto sqlfail;
    return 0;
sqlfail:
    fail_sqlite (db, st->path, rc, err, "reading or creating the schema");
    int saved = errno;
    sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
    errno = saved;
    return -1;
}

/* Why synchronous=FULL by default: huddle's promise is "acknowledged means
 * durable".  In WAL mode with synchronous=NORMAL a commit reaches the WAL
 * file through the page cache without fsync, which survives the controller
 * being killed (the kernel still writes the pages) but not a power cut or
 * kernel crash, after which the last turns vanish; their job ids were
 * already given to users and the restored counter would hand them out a
 * second time.  FULL fsyncs the WAL on every COMMIT, i.e. once per event
 * loop turn; since a turn's changes share one commit, that fsync is spread
 * over every submit of the turn (measured in bench/store_bench.c), so the
 * stronger guarantee is affordable.  STORE_SYNC_NORMAL keeps crash (not
 * power-loss) durability for callers who want the speed.
 */
static int configure_db (struct store *st, int flags, struct herror *err)
{
    sqlite3 *db = st->db;
    sqlite3_stmt *s;
    int rc;

    /* Exclusive locking before the first WAL access: the WAL index lives in
     * heap memory instead of a -shm file, and a second controller on the
     * same directory fails at open instead of sharing the file.
     */
    rc = sqlite3_exec (db, "PRAGMA locking_mode = EXCLUSIVE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return fail_sqlite (db, st->path, rc, err, "setting the locking mode");
    /* The first real access of the file: "not a database" shows up here. */
    if ((rc = sqlite3_prepare_v2 (db, "PRAGMA journal_mode = WAL", -1, &s, NULL)) != SQLITE_OK)
        return fail_sqlite (db, st->path, rc, err, "opening");
    rc = sqlite3_step (s);
    if (rc != SQLITE_ROW) {
        fail_sqlite (db, st->path, rc, err, "opening");
        int saved = errno;
        sqlite3_finalize (s);
        errno = saved;
        return -1;
    }
    const unsigned char *mode = sqlite3_column_text (s, 0);
    bool wal = mode && strcmp ((const char *)mode, "wal") == 0;
    sqlite3_finalize (s);
    if (!wal)
        return fail_errno (
            st->path, ENOTSUP, err,
            "cannot use WAL journal mode (is the directory on a local file system?)");
    const char *sync =
        (flags & STORE_SYNC_NORMAL) ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL";
    if ((rc = sqlite3_exec (db, sync, NULL, NULL, NULL)) != SQLITE_OK)
        return fail_sqlite (db, st->path, rc, err, "setting synchronous");
    /* Keep the WAL file from staying large after a burst of submits. */
    rc = sqlite3_exec (db, "PRAGMA journal_size_limit = 67108864", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return fail_sqlite (db, st->path, rc, err, "setting journal_size_limit");
    return 0;
}

static int prepare_all (struct store *st, struct herror *err)
{
    for (int i = 0; i < S_COUNT; i++) {
        int rc = sqlite3_prepare_v3 (st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                     &st->stmt[i], NULL);
        if (rc != SQLITE_OK)
            return fail_sqlite (st->db, st->path, rc, err, "preparing statements");
    }
    return 0;
}

struct store *store_open (const char *dir, struct herror *err)
{
    return store_open_flags (dir, 0, err);
}

struct store *store_open_flags (const char *dir, int flags, struct herror *err)
{
    struct store *st;
    struct stat sb;
    int rc;

    if (!dir || (flags & ~STORE_SYNC_NORMAL)) {
        herror_set (err, "store_open: invalid argument");
        errno = EINVAL;
        return NULL;
    }
    int e = stat (dir, &sb) < 0 ? errno : S_ISDIR (sb.st_mode) ? 0 : ENOTDIR;
    if (e != 0) {
        herror_set (err, "%s: state directory: %s", dir, strerror (e));
        errno = e;
        return NULL;
    }
    if (!(st = calloc (1, sizeof (*st))))
        return NULL;
    size_t len = strlen (dir) + sizeof ("/" STORE_DB_NAME);
    if (!(st->path = malloc (len))) {
        free (st);
        errno = ENOMEM;
        return NULL;
    }
    snprintf (st->path, len, "%s/%s", dir, STORE_DB_NAME);

    rc = sqlite3_open_v2 (st->path, &st->db,
                          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        fail_sqlite (st->db, st->path, rc, err, "opening");
        goto fail;
    }
    sqlite3_extended_result_codes (st->db, 1);
    /* SQLite quietly opens a write-protected file read-only; the controller
     * would then fail on its first submit instead of at start-up.
     */
    if (sqlite3_db_readonly (st->db, "main") == 1) {
        fail_errno (st->path, EACCES, err,
                    "file is not writable (check the owner and mode of the file)");
        goto fail;
    }
    if (configure_db (st, flags, err) < 0 || schema_upgrade (st, err) < 0 ||
        prepare_all (st, err) < 0 || load_meta (st, err) < 0)
        goto fail;
    return st;
fail:
    store_close (st);
    return NULL;
}

void store_close (struct store *st)
{
    if (!st)
        return;
    int saved = errno;
    if (st->in_txn)
        sqlite3_exec (st->db, "ROLLBACK", NULL, NULL, NULL);
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize (st->stmt[i]);
    sqlite3_close_v2 (st->db);
    free (st->server_name);
    free (st->path);
    free (st);
    errno = saved;
}

const char *store_path (const struct store *st)
{
    return st ? st->path : NULL;
}

int store_pending (const struct store *st)
{
    return st ? st->pending : 0;
}

/* After a rollback the cached meta values may be ahead of the database.
 * next_seq stays ahead on purpose (numbers are skipped, never reused); the
 * server name is read back.
 */
static void after_rollback (struct store *st)
{
    char *name;
    st->in_txn = false;
    st->poisoned = false;
    st->pending = 0;
    st->seq_dirty = false;
    if (meta_get_text (st, "server_name", &name) == SQLITE_OK) {
        free (st->server_name);
        st->server_name = name;
    }
}

int store_flush (struct store *st, struct herror *err)
{
    int rc;

    if (!st) {
        errno = EINVAL;
        return herror_set (err, "store_flush: invalid argument");
    }
    if (st->poisoned) {
        herror_set (err, "%s; the turn was rolled back", st->poison_text);
        if (st->in_txn)
            stmt_run (st, S_ROLLBACK);
        after_rollback (st);
        errno = EIO;
        return -1;
    }
    if (!st->in_txn)
        return 0;
    if (st->seq_dirty) {
        sqlite3_stmt *s = st->stmt[S_META_SET];
        sqlite3_bind_text (s, 1, "next_seq", -1, SQLITE_STATIC);
        sqlite3_bind_int64 (s, 2, st->next_seq);
        if ((rc = stmt_run (st, S_META_SET)) != SQLITE_OK)
            goto fail;
    }
    if ((rc = stmt_run (st, S_COMMIT)) != SQLITE_OK)
        goto fail;
    st->in_txn = false;
    st->pending = 0;
    st->seq_dirty = false;
    return 0;
fail:
    fail_sqlite (st->db, st->path, rc, err, "committing");
    int saved = errno;
    if (!sqlite3_get_autocommit (st->db))
        stmt_run (st, S_ROLLBACK);
    after_rollback (st);
    errno = saved;
    return -1;
}

int store_next_seq (struct store *st, int64_t *seq, struct herror *err)
{
    if (!st || !seq) {
        errno = EINVAL;
        return herror_set (err, "store_next_seq: invalid argument");
    }
    if (txn_begin (st, err) < 0)
        return -1;
    *seq = st->next_seq++;
    st->seq_dirty = true;
    st->pending++;
    return 0;
}

static int bind_opt_text (sqlite3_stmt *s, int i, const json_t *v)
{
    if (json_is_string (v))
        return sqlite3_bind_text (s, i, json_string_value (v), -1, SQLITE_STATIC);
    return sqlite3_bind_null (s, i);
}

static int bind_opt_int (sqlite3_stmt *s, int i, const json_t *v)
{
    if (json_is_integer (v))
        return sqlite3_bind_int64 (s, i, json_integer_value (v));
    return sqlite3_bind_null (s, i);
}

int store_job_put (struct store *st, const json_t *job, struct herror *err)
{
    const json_t *seqv = json_object_get (job, "seq");
    const json_t *state = json_object_get (job, "state");
    char *body;
    int rc;

    if (!st || !json_is_object (job)) {
        errno = EINVAL;
        return herror_set (err, "store_job_put: job is not an object");
    }
    if (!json_is_integer (seqv) || json_integer_value (seqv) < 1) {
        errno = EINVAL;
        return herror_set (err, "store_job_put: job has no integer \"seq\" >= 1");
    }
    if (!json_is_string (state)) {
        errno = EINVAL;
        return herror_set (err, "store_job_put: job %lld has no string \"state\"",
                           (long long)json_integer_value (seqv));
    }
    if (!(body = json_dumps (job, JSON_COMPACT))) {
        errno = ENOMEM;
        return herror_set (err, "store_job_put: cannot encode job %lld",
                           (long long)json_integer_value (seqv));
    }
    if (txn_begin (st, err) < 0) {
        free (body);
        return -1;
    }
    int64_t seq = json_integer_value (seqv);
    sqlite3_stmt *s = st->stmt[S_JOB_PUT];
    sqlite3_bind_int64 (s, 1, seq);
    sqlite3_bind_text (s, 2, json_string_value (state), -1, SQLITE_STATIC);
    bind_opt_text (s, 3, json_object_get (job, "owner"));
    bind_opt_int (s, 4, json_object_get (job, "end_time"));
    sqlite3_bind_text (s, 5, body, -1, SQLITE_STATIC);
    rc = stmt_run (st, S_JOB_PUT);
    free (body);
    if (rc != SQLITE_OK)
        return fail_write (st, rc, err, "storing a job");
    /* A seq that did not come from store_next_seq() must not come out of it
     * later either.
     */
    if (seq >= st->next_seq) {
        st->next_seq = seq + 1;
        st->seq_dirty = true;
    }
    st->pending++;
    return 0;
}

int store_job_delete (struct store *st, int64_t seq, struct herror *err)
{
    int rc;
    if (!st) {
        errno = EINVAL;
        return herror_set (err, "store_job_delete: invalid argument");
    }
    if (txn_begin (st, err) < 0)
        return -1;
    sqlite3_bind_int64 (st->stmt[S_JOB_EVENTS_DELETE], 1, seq);
    if ((rc = stmt_run (st, S_JOB_EVENTS_DELETE)) != SQLITE_OK)
        return fail_write (st, rc, err, "deleting a job's events");
    sqlite3_bind_int64 (st->stmt[S_JOB_DELETE], 1, seq);
    if ((rc = stmt_run (st, S_JOB_DELETE)) != SQLITE_OK)
        return fail_write (st, rc, err, "deleting a job");
    st->pending++;
    return 0;
}

int store_jobs_prune (struct store *st, int64_t now, int64_t max_age, struct herror *err)
{
    int rc;
    if (!st || max_age < 0) {
        errno = EINVAL;
        return herror_set (err, "store_jobs_prune: invalid argument");
    }
    if (txn_begin (st, err) < 0)
        return -1;
    int64_t cutoff = now - max_age;
    sqlite3_bind_int64 (st->stmt[S_PRUNE_EVENTS], 1, cutoff);
    if ((rc = stmt_run (st, S_PRUNE_EVENTS)) != SQLITE_OK)
        return fail_write (st, rc, err, "pruning job events");
    sqlite3_bind_int64 (st->stmt[S_PRUNE_JOBS], 1, cutoff);
    if ((rc = stmt_run (st, S_PRUNE_JOBS)) != SQLITE_OK)
        return fail_write (st, rc, err, "pruning finished jobs");
    int n = sqlite3_changes (st->db);
    st->pending += n;
    return n;
}

int store_event_add (struct store *st, int64_t seq, int64_t t, const char *text, struct herror *err)
{
    int rc;
    if (!st || !text) {
        errno = EINVAL;
        return herror_set (err, "store_event_add: invalid argument");
    }
    if (txn_begin (st, err) < 0)
        return -1;
    sqlite3_stmt *s = st->stmt[S_EVENT_ADD];
    sqlite3_bind_int64 (s, 1, seq);
    sqlite3_bind_int64 (s, 2, t);
    sqlite3_bind_text (s, 3, text, -1, SQLITE_STATIC);
    if ((rc = stmt_run (st, S_EVENT_ADD)) != SQLITE_OK)
        return fail_write (st, rc, err, "storing a job event");
    st->pending++;
    return 0;
}

int store_node_put (struct store *st, const json_t *node, struct herror *err)
{
    const json_t *name = json_object_get (node, "name");
    const json_t *state = json_object_get (node, "state");
    const json_t *topo = json_object_get (node, "topology");
    char *topo_text = NULL;
    int rc;

    if (!st || !json_is_string (name) || (state && !json_is_string (state))) {
        errno = EINVAL;
        return herror_set (err, "store_node_put: node needs a string \"name\" (and a string"
                                " \"state\" if any)");
    }
    if (topo && !(topo_text = json_dumps (topo, JSON_COMPACT | JSON_ENCODE_ANY))) {
        errno = ENOMEM;
        return herror_set (err, "store_node_put: cannot encode the topology of %s",
                           json_string_value (name));
    }
    if (txn_begin (st, err) < 0) {
        free (topo_text);
        return -1;
    }
    sqlite3_stmt *s = st->stmt[S_NODE_PUT];
    sqlite3_bind_text (s, 1, json_string_value (name), -1, SQLITE_STATIC);
    sqlite3_bind_text (s, 2, state ? json_string_value (state) : "", -1, SQLITE_STATIC);
    bind_opt_text (s, 3, json_object_get (node, "comment"));
    bind_opt_int (s, 4, json_object_get (node, "last_registration"));
    if (topo_text)
        sqlite3_bind_text (s, 5, topo_text, -1, SQLITE_STATIC);
    rc = stmt_run (st, S_NODE_PUT);
    free (topo_text);
    if (rc != SQLITE_OK)
        return fail_write (st, rc, err, "storing a node");
    st->pending++;
    return 0;
}

int store_node_delete (struct store *st, const char *name, struct herror *err)
{
    int rc;
    if (!st || !name) {
        errno = EINVAL;
        return herror_set (err, "store_node_delete: invalid argument");
    }
    if (txn_begin (st, err) < 0)
        return -1;
    sqlite3_bind_text (st->stmt[S_NODE_DELETE], 1, name, -1, SQLITE_STATIC);
    if ((rc = stmt_run (st, S_NODE_DELETE)) != SQLITE_OK)
        return fail_write (st, rc, err, "deleting a node");
    st->pending++;
    return 0;
}

const char *store_server_name (const struct store *st)
{
    return st ? st->server_name : NULL;
}

int store_set_server_name (struct store *st, const char *name, struct herror *err)
{
    char *copy;
    int rc;
    if (!st || !name || !*name) {
        errno = EINVAL;
        return herror_set (err, "store_set_server_name: invalid argument");
    }
    if (!(copy = strdup (name))) {
        errno = ENOMEM;
        return herror_set (err, "store_set_server_name: out of memory");
    }
    if (txn_begin (st, err) < 0) {
        free (copy);
        return -1;
    }
    sqlite3_stmt *s = st->stmt[S_META_SET];
    sqlite3_bind_text (s, 1, "server_name", -1, SQLITE_STATIC);
    sqlite3_bind_text (s, 2, name, -1, SQLITE_STATIC);
    if ((rc = stmt_run (st, S_META_SET)) != SQLITE_OK) {
        free (copy);
        return fail_write (st, rc, err, "storing the server name");
    }
    free (st->server_name);
    st->server_name = copy;
    st->pending++;
    return 0;
}

/* Loaders: a row that cannot be read back is counted and skipped; the first
 * reason is kept for the summary in err.
 */
struct skips {
    int count;
    char first[HERROR_TEXT_MAX / 2];
};

static void skip_row (struct skips *sk, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void skip_row (struct skips *sk, const char *fmt, ...)
{
    if (sk->count++ == 0) {
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (sk->first, sizeof (sk->first), fmt, ap);
        va_end (ap);
    }
}

static int skips_report (struct store *st, const struct skips *sk, const char *what,
                         struct herror *err)
{
    if (sk->count > 0)
        herror_set (err, "%s: skipped %d unreadable %s row%s; first: %s", st->path, sk->count, what,
                    sk->count == 1 ? "" : "s", sk->first);
    return sk->count;
}

/* End a load: reset the statement, keep errno of a failing callback. */
static int load_fail (struct store *st, enum stmt_id id, int rc, struct herror *err,
                      const char *what)
{
    int saved = errno;
    if (rc != SQLITE_OK)
        fail_sqlite (st->db, st->path, rc, err, what);
    else
        herror_set (err, "%s: %s: stopped by the caller", st->path, what);
    saved = rc != SQLITE_OK ? errno : saved;
    stmt_done (st, id);
    errno = saved;
    return -1;
}

int store_load_jobs (struct store *st, store_job_f cb, void *arg, struct herror *err)
{
    struct skips sk = {0};
    sqlite3_stmt *s;
    int rc;

    if (!st || !cb) {
        errno = EINVAL;
        return herror_set (err, "store_load_jobs: invalid argument");
    }
    s = st->stmt[S_JOBS_LOAD];
    while ((rc = sqlite3_step (s)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64 (s, 0);
        const char *body = (const char *)sqlite3_column_text (s, 1);
        json_error_t jerr;
        json_t *job;

        if (!body) {
            skip_row (&sk, "job %lld: no JSON body", (long long)seq);
            continue;
        }
        if (!(job = json_loads (body, 0, &jerr))) {
            skip_row (&sk, "job %lld: body is not JSON (%s)", (long long)seq, jerr.text);
            continue;
        }
        json_t *seqv = json_object_get (job, "seq");
        if (!json_is_object (job) || !json_is_integer (seqv) || json_integer_value (seqv) != seq) {
            skip_row (&sk, "job %lld: body is not a job object with \"seq\": %lld", (long long)seq,
                      (long long)seq);
            json_decref (job);
            continue;
        }
        rc = cb (seq, job, arg);
        json_decref (job);
        if (rc < 0)
            return load_fail (st, S_JOBS_LOAD, SQLITE_OK, err, "loading jobs");
    }
    if (rc != SQLITE_DONE)
        return load_fail (st, S_JOBS_LOAD, rc, err, "loading jobs");
    stmt_done (st, S_JOBS_LOAD);
    return skips_report (st, &sk, "job", err);
}

/* Rebuild the node object store_node_put() was given, or NULL (with the
 * reason in sk) when the row is damaged.
 */
static json_t *node_from_row (sqlite3_stmt *s, struct skips *sk)
{
    const char *name = (const char *)sqlite3_column_text (s, 0);
    const char *state = (const char *)sqlite3_column_text (s, 1);
    const char *comment = (const char *)sqlite3_column_text (s, 2);
    const char *topo = (const char *)sqlite3_column_text (s, 4);
    json_t *node, *t = NULL;
    json_error_t jerr;

    if (!name) {
        skip_row (sk, "a node without a name");
        return NULL;
    }
    if (topo && !(t = json_loads (topo, JSON_DECODE_ANY, &jerr))) {
        skip_row (sk, "node %s: topology is not JSON (%s)", name, jerr.text);
        return NULL;
    }
    node = json_pack ("{s:s, s:s}", "name", name, "state", state ? state : "");
    if (!node) {
        json_decref (t);
        skip_row (sk, "node %s: out of memory", name);
        return NULL;
    }
    if (comment)
        json_object_set_new (node, "comment", json_string (comment));
    if (sqlite3_column_type (s, 3) == SQLITE_INTEGER)
        json_object_set_new (node, "last_registration", json_integer (sqlite3_column_int64 (s, 3)));
    if (t)
        json_object_set_new (node, "topology", t);
    return node;
}

int store_load_nodes (struct store *st, store_node_f cb, void *arg, struct herror *err)
{
    struct skips sk = {0};
    sqlite3_stmt *s;
    int rc;

    if (!st || !cb) {
        errno = EINVAL;
        return herror_set (err, "store_load_nodes: invalid argument");
    }
    s = st->stmt[S_NODES_LOAD];
    while ((rc = sqlite3_step (s)) == SQLITE_ROW) {
        json_t *node = node_from_row (s, &sk);
        if (!node)
            continue;
        rc = cb (json_string_value (json_object_get (node, "name")), node, arg);
        json_decref (node);
        if (rc < 0)
            return load_fail (st, S_NODES_LOAD, SQLITE_OK, err, "loading nodes");
    }
    if (rc != SQLITE_DONE)
        return load_fail (st, S_NODES_LOAD, rc, err, "loading nodes");
    stmt_done (st, S_NODES_LOAD);
    return skips_report (st, &sk, "node", err);
}

int store_events_for (struct store *st, int64_t seq, store_event_f cb, void *arg,
                      struct herror *err)
{
    sqlite3_stmt *s;
    int rc, n = 0;

    if (!st || !cb) {
        errno = EINVAL;
        return herror_set (err, "store_events_for: invalid argument");
    }
    s = st->stmt[S_EVENTS_FOR];
    sqlite3_bind_int64 (s, 1, seq);
    while ((rc = sqlite3_step (s)) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text (s, 1);
        if (cb (seq, sqlite3_column_int64 (s, 0), text ? text : "", arg) < 0)
            return load_fail (st, S_EVENTS_FOR, SQLITE_OK, err, "reading job events");
        n++;
    }
    if (rc != SQLITE_DONE)
        return load_fail (st, S_EVENTS_FOR, rc, err, "reading job events");
    stmt_done (st, S_EVENTS_FOR);
    return n;
}
