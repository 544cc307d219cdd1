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
/* The largest job seq (JOBSPEC_SEQ_MAX); the store does not depend on the
 * job codec, so the number is repeated here. */
#define STORE_SEQ_MAX      2147483647
#define STORE_SEQ_MAX_TEXT "2147483647"

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
    /* 1 -> 2: scripts leave the job objects for a table of their own, so
     * that loading, querying and keeping jobs in memory never carries them. */
    "CREATE TABLE scripts (seq INTEGER PRIMARY KEY, body TEXT NOT NULL);"
    "INSERT INTO scripts (seq, body) SELECT seq, json_extract (body, '$.script') FROM jobs"
    "  WHERE json_valid (body) AND json_type (body, '$.script') = 'text';"
    "UPDATE jobs SET body = json_remove (body, '$.script')"
    "  WHERE json_valid (body) AND json_type (body, '$.script') IS NOT NULL;",
    /* 2 -> 3: measured links (link probes), keyed by the node names so
     * that they can be compared with a declared fabric. */
    "CREATE TABLE links ("
    "  a TEXT NOT NULL,"
    "  b TEXT NOT NULL,"
    "  time INTEGER NOT NULL,"
    "  latency_us REAL NOT NULL,"
    "  bandwidth_mbps REAL NOT NULL,"
    "  PRIMARY KEY (a, b));",
    /* 3 -> 4: placement groups (qpg), one JSON object per group, so that
     * a group outlives a controller restart whether or not jobs use it. */
    "CREATE TABLE pgroups (name TEXT PRIMARY KEY, body TEXT NOT NULL);",
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
    S_SCRIPT_PUT,
    S_SCRIPT_GET,
    S_SCRIPT_DELETE,
    S_PRUNE_SCRIPTS,
    S_LINK_PUT,
    S_LINKS_LOAD,
    S_PGROUP_PUT,
    S_PGROUP_DELETE,
    S_PGROUPS_LOAD,
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
    /* subjobs have seqs of their own above every job's (common/jobspec.h) */
    [S_MAX_SEQ] = "SELECT max(seq) FROM jobs WHERE seq <= " STORE_SEQ_MAX_TEXT,
    [S_SCRIPT_PUT] = "INSERT OR REPLACE INTO scripts (seq, body) VALUES (?1, ?2)",
    [S_SCRIPT_GET] = "SELECT body FROM scripts WHERE seq = ?1",
    [S_SCRIPT_DELETE] = "DELETE FROM scripts WHERE seq = ?1",
    [S_PRUNE_SCRIPTS] = "DELETE FROM scripts WHERE seq IN"
                        " (SELECT seq FROM jobs WHERE state = 'F' AND end_time <= ?1)",
    [S_LINK_PUT] = "INSERT OR REPLACE INTO links (a, b, time, latency_us, bandwidth_mbps)"
                   " VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_LINKS_LOAD] = "SELECT a, b, time, latency_us, bandwidth_mbps FROM links ORDER BY a, b",
    [S_PGROUP_PUT] = "INSERT OR REPLACE INTO pgroups (name, body) VALUES (?1, ?2)",
    [S_PGROUP_DELETE] = "DELETE FROM pgroups WHERE name = ?1",
    [S_PGROUPS_LOAD] = "SELECT name, body FROM pgroups ORDER BY name",
};

/* One write of the open turn, kept until its commit succeeds (see
 * store_flush): the statement and its bound values, texts owned.
 */
#define OP_MAX_ARGS 5
enum arg_kind { ARG_NULL, ARG_INT, ARG_TEXT, ARG_REAL };
struct op_arg {
    enum arg_kind kind;
    int64_t i;
    double r;
    char *t;
};
struct op {
    enum stmt_id id;
    int nargs;
    struct op_arg a[OP_MAX_ARGS];
};

struct store {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *stmt[S_COUNT];
    bool in_txn;   /* BEGIN done, no COMMIT/ROLLBACK yet */
    bool poisoned; /* a write could not even be kept (ENOMEM): flush drops the turn */
    bool failed;   /* a write or commit failed: the journal waits for a retry */
    char poison_text[HERROR_TEXT_MAX];
    char fail_text[HERROR_TEXT_MAX];
    struct op *ops; /* the journal: every write since the last commit */
    int nops, capops;
    size_t journal_bytes;
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

/* Why a journal: a write can fail because the disk is full (or the file
 * size limit is hit, or an I/O error comes and goes), and SQLite may then
 * roll the whole transaction back by itself.  The controller's memory is
 * already ahead of the disk at that point, and what it promised to commit
 * must not be lost.  So every write of a turn is also kept here, its values
 * copied, until the commit succeeds; after a failure the database is rolled
 * back and the next store_flush() replays the journal in a fresh
 * transaction, as often as it takes.  The normal path pays one copy per
 * write and frees it at the commit.
 */
static void op_clear (struct op *o)
{
    for (int i = 0; i < o->nargs; i++)
        free (o->a[i].t);
    o->nargs = 0;
}

static void journal_clear (struct store *st)
{
    for (int i = 0; i < st->nops; i++)
        op_clear (&st->ops[i]);
    st->nops = 0;
    st->journal_bytes = 0;
    if (st->capops > 1024) {
        free (st->ops);
        st->ops = NULL;
        st->capops = 0;
    }
}

static int op_bind_run (struct store *st, const struct op *o)
{
    sqlite3_stmt *s = st->stmt[o->id];
    for (int i = 0; i < o->nargs; i++) {
        const struct op_arg *a = &o->a[i];
        if (a->kind == ARG_INT)
            sqlite3_bind_int64 (s, i + 1, a->i);
        else if (a->kind == ARG_TEXT)
            sqlite3_bind_text (s, i + 1, a->t, -1, SQLITE_STATIC);
        else if (a->kind == ARG_REAL)
            sqlite3_bind_double (s, i + 1, a->r);
        else
            sqlite3_bind_null (s, i + 1);
    }
    return stmt_run (st, o->id);
}

/* Roll the database back to the last commit; the journal stays. */
static void db_rollback (struct store *st)
{
    if (!sqlite3_get_autocommit (st->db))
        stmt_run (st, S_ROLLBACK);
    st->in_txn = false;
}

/* A write or the commit failed: remember why, roll back, keep the journal. */
static int fail_turn (struct store *st, int rc, struct herror *err, const char *what)
{
    struct herror local;
    fail_sqlite (st->db, st->path, rc, &local, what);
    int saved = errno;
    if (!st->failed)
        memcpy (st->fail_text, local.text, sizeof (st->fail_text));
    st->failed = true;
    db_rollback (st);
    if (err)
        *err = local;
    errno = saved;
    return -1;
}

static int txn_begin (struct store *st)
{
    if (st->in_txn)
        return SQLITE_OK;
    int rc = stmt_run (st, S_BEGIN);
    if (rc == SQLITE_OK)
        st->in_txn = true;
    return rc;
}

/* One write: into the journal, then (unless a failure waits for its retry)
 * into the open transaction.  texts[] are copied; NULL binds NULL.  Returns
 * 0 when the write is kept (even if the database refused it for now: the
 * flush reports that), -1 only when it cannot be kept at all (ENOMEM); the
 * turn is then poisoned.
 */
static int store_write (struct store *st, enum stmt_id id, int nargs, const struct op_arg *args,
                        const char *what, struct herror *err)
{
    if (st->poisoned) {
        herror_set (err, "%s (an earlier write of this turn was lost)", st->poison_text);
        errno = EIO;
        return -1;
    }
    if (st->nops == st->capops) {
        int cap = st->capops ? 2 * st->capops : 64;
        struct op *v = realloc (st->ops, cap * sizeof (*v));
        if (!v)
            goto nomem;
        st->ops = v;
        st->capops = cap;
    }
    struct op *o = &st->ops[st->nops];
    o->id = id;
    o->nargs = 0;
    for (int i = 0; i < nargs; i++) {
        o->a[i] = args[i];
        o->a[i].t = NULL;
        if (args[i].kind == ARG_TEXT && !(o->a[i].t = strdup (args[i].t))) {
            o->nargs = i;
            op_clear (o);
            goto nomem;
        }
        if (args[i].kind == ARG_TEXT)
            st->journal_bytes += strlen (args[i].t);
        o->nargs = i + 1;
    }
    st->nops++;
    st->pending++;
    if (st->failed)
        return 0;
    int rc = txn_begin (st);
    if (rc == SQLITE_OK)
        rc = op_bind_run (st, o);
    if (rc != SQLITE_OK)
        fail_turn (st, rc, NULL, what);
    return 0;
nomem:
    st->poisoned = true;
    snprintf (st->poison_text, sizeof (st->poison_text), "%s: %s: out of memory", st->path, what);
    herror_set (err, "%s", st->poison_text);
    errno = ENOMEM;
    return -1;
}

static struct op_arg arg_int (int64_t v)
{
    return (struct op_arg){.kind = ARG_INT, .i = v};
}

static struct op_arg arg_text (const char *t)
{
    return (struct op_arg){.kind = t ? ARG_TEXT : ARG_NULL, .t = (char *)t};
}

static struct op_arg arg_opt_text (const json_t *v)
{
    return arg_text (json_is_string (v) ? json_string_value (v) : NULL);
}

static struct op_arg arg_opt_int (const json_t *v)
{
    return json_is_integer (v) ? arg_int (json_integer_value (v))
                               : (struct op_arg){.kind = ARG_NULL};
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
    journal_clear (st);
    free (st->ops);
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

bool store_retrying (const struct store *st)
{
    return st && st->failed;
}

size_t store_journal_bytes (const struct store *st)
{
    return st ? st->journal_bytes : 0;
}

/* A poisoned turn is dropped whole.  next_seq stays ahead on purpose
 * (numbers are skipped, never reused); the server name is read back.
 */
static void drop_turn (struct store *st)
{
    char *name;
    db_rollback (st);
    journal_clear (st);
    st->poisoned = false;
    st->failed = false;
    st->pending = 0;
    st->seq_dirty = false;
    if (meta_get_text (st, "server_name", &name) == SQLITE_OK) {
        free (st->server_name);
        st->server_name = name;
    }
}

int store_flush (struct store *st, struct herror *err)
{
    int rc = SQLITE_OK;

    if (!st) {
        errno = EINVAL;
        return herror_set (err, "store_flush: invalid argument");
    }
    if (st->poisoned) {
        herror_set (err, "%s; the turn was rolled back", st->poison_text);
        drop_turn (st);
        errno = EIO;
        return -1;
    }
    if (st->nops == 0 && !st->seq_dirty && !st->in_txn)
        return 0;
    if ((rc = txn_begin (st)) != SQLITE_OK)
        goto fail;
    /* After a failure the database holds none of the journal: replay it. */
    for (int i = 0; st->failed && i < st->nops; i++) {
        if ((rc = op_bind_run (st, &st->ops[i])) != SQLITE_OK)
            goto fail;
    }
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
    st->failed = false;
    st->pending = 0;
    st->seq_dirty = false;
    journal_clear (st);
    return 0;
fail:
    fail_turn (st, rc, err, "committing");
    herror_prefix (err, "%d changes kept for a retry", st->nops);
    return -1;
}

int store_next_seq (struct store *st, int64_t *seq, struct herror *err)
{
    if (!st || !seq) {
        errno = EINVAL;
        return herror_set (err, "store_next_seq: invalid argument");
    }
    if (st->poisoned) {
        errno = EIO;
        return herror_set (err, "%s (an earlier write of this turn was lost)", st->poison_text);
    }
    *seq = st->next_seq++;
    st->seq_dirty = true;
    st->pending++;
    return 0;
}

int store_job_put (struct store *st, const json_t *job, struct herror *err)
{
    /* store_job_put_text checks the rest */
    char *body = json_is_object (job) ? json_dumps (job, JSON_COMPACT) : NULL;
    if (!body && json_is_object (job)) {
        errno = ENOMEM;
        return herror_set (err, "store_job_put: cannot encode job %lld",
                           (long long)json_integer_value (json_object_get (job, "seq")));
    }
    int rc = store_job_put_text (st, job, body, err);
    free (body);
    return rc;
}

int store_job_put_text (struct store *st, const json_t *job, const char *body, struct herror *err)
{
    const json_t *seqv = json_object_get (job, "seq");
    const json_t *state = json_object_get (job, "state");

    if (!st || !json_is_object (job) || !body) {
        errno = EINVAL;
        return herror_set (err, "store_job_put: %s",
                           !st || !json_is_object (job) ? "job is not an object" : "no body");
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
    int64_t seq = json_integer_value (seqv);
    struct op_arg args[] = {arg_int (seq), arg_text (json_string_value (state)),
                            arg_opt_text (json_object_get (job, "owner")),
                            arg_opt_int (json_object_get (job, "end_time")), arg_text (body)};
    if (store_write (st, S_JOB_PUT, 5, args, "storing a job", err) < 0)
        return -1;
    /* A seq that did not come from store_next_seq() must not come out of it
     * later either.  A subjob's seq (above every job's, common/jobspec.h)
     * is its array's and never comes from it.
     */
    if (seq >= st->next_seq && seq <= STORE_SEQ_MAX) {
        st->next_seq = seq + 1;
        st->seq_dirty = true;
    }
    return 0;
}

int store_job_delete (struct store *st, int64_t seq, struct herror *err)
{
    if (!st) {
        errno = EINVAL;
        return herror_set (err, "store_job_delete: invalid argument");
    }
    struct op_arg a[] = {arg_int (seq)};
    if (store_write (st, S_JOB_EVENTS_DELETE, 1, a, "deleting a job's events", err) < 0 ||
        store_write (st, S_SCRIPT_DELETE, 1, a, "deleting a job's script", err) < 0 ||
        store_write (st, S_JOB_DELETE, 1, a, "deleting a job", err) < 0)
        return -1;
    return 0;
}

int store_jobs_prune (struct store *st, int64_t now, int64_t max_age, struct herror *err)
{
    if (!st || max_age < 0) {
        errno = EINVAL;
        return herror_set (err, "store_jobs_prune: invalid argument");
    }
    struct op_arg a[] = {arg_int (now - max_age)};
    if (store_write (st, S_PRUNE_EVENTS, 1, a, "pruning job events", err) < 0 ||
        store_write (st, S_PRUNE_SCRIPTS, 1, a, "pruning job scripts", err) < 0 ||
        store_write (st, S_PRUNE_JOBS, 1, a, "pruning finished jobs", err) < 0)
        return -1;
    /* While a failed turn waits for its retry nothing ran: nothing to count. */
    return st->failed ? 0 : sqlite3_changes (st->db);
}

int store_event_add (struct store *st, int64_t seq, int64_t t, const char *text, struct herror *err)
{
    if (!st || !text) {
        errno = EINVAL;
        return herror_set (err, "store_event_add: invalid argument");
    }
    struct op_arg a[] = {arg_int (seq), arg_int (t), arg_text (text)};
    return store_write (st, S_EVENT_ADD, 3, a, "storing a job event", err);
}

int store_script_put (struct store *st, int64_t seq, const char *script, struct herror *err)
{
    if (!st || seq < 1 || !script) {
        errno = EINVAL;
        return herror_set (err, "store_script_put: invalid argument");
    }
    struct op_arg a[] = {arg_int (seq), arg_text (script)};
    return store_write (st, S_SCRIPT_PUT, 2, a, "storing a job script", err);
}

/* The newest script of seq still in the journal (after a failed write the
 * database does not have it yet), or NULL.
 */
static const char *journal_script (const struct store *st, int64_t seq)
{
    for (int i = st->nops - 1; i >= 0; i--) {
        const struct op *o = &st->ops[i];
        if ((o->id == S_SCRIPT_PUT || o->id == S_SCRIPT_DELETE) && o->a[0].i == seq)
            return o->id == S_SCRIPT_PUT ? o->a[1].t : NULL;
    }
    return NULL;
}

int store_script_get (struct store *st, int64_t seq, char **script, struct herror *err)
{
    if (!st || !script) {
        errno = EINVAL;
        return herror_set (err, "store_script_get: invalid argument");
    }
    *script = NULL;
    if (st->failed) {
        const char *kept = journal_script (st, seq);
        if (kept)
            return (*script = strdup (kept)) ? 1 : (errno = ENOMEM, -1);
    }
    sqlite3_stmt *s = st->stmt[S_SCRIPT_GET];
    sqlite3_bind_int64 (s, 1, seq);
    int rc = sqlite3_step (s);
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text (s, 0);
        if (t && !(*script = strdup (t)))
            rc = SQLITE_NOMEM;
    }
    stmt_done (st, S_SCRIPT_GET);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail_sqlite (st->db, st->path, rc, err, "reading a job script");
    return *script ? 1 : 0;
}

int store_node_put (struct store *st, const json_t *node, struct herror *err)
{
    const json_t *name = json_object_get (node, "name");
    const json_t *state = json_object_get (node, "state");
    const json_t *topo = json_object_get (node, "topology");
    char *topo_text = NULL;

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
    struct op_arg args[] = {
        arg_text (json_string_value (name)), arg_text (state ? json_string_value (state) : ""),
        arg_opt_text (json_object_get (node, "comment")),
        arg_opt_int (json_object_get (node, "last_registration")), arg_text (topo_text)};
    int rc = store_write (st, S_NODE_PUT, 5, args, "storing a node", err);
    free (topo_text);
    return rc;
}

int store_node_delete (struct store *st, const char *name, struct herror *err)
{
    if (!st || !name) {
        errno = EINVAL;
        return herror_set (err, "store_node_delete: invalid argument");
    }
    struct op_arg a[] = {arg_text (name)};
    return store_write (st, S_NODE_DELETE, 1, a, "deleting a node", err);
}

const char *store_server_name (const struct store *st)
{
    return st ? st->server_name : NULL;
}

int store_set_server_name (struct store *st, const char *name, struct herror *err)
{
    char *copy;
    if (!st || !name || !*name) {
        errno = EINVAL;
        return herror_set (err, "store_set_server_name: invalid argument");
    }
    if (!(copy = strdup (name))) {
        errno = ENOMEM;
        return herror_set (err, "store_set_server_name: out of memory");
    }
    struct op_arg a[] = {arg_text ("server_name"), arg_text (name)};
    if (store_write (st, S_META_SET, 2, a, "storing the server name", err) < 0) {
        free (copy);
        return -1;
    }
    free (st->server_name);
    st->server_name = copy;
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

int store_link_put (struct store *st, const char *a, const char *b, int64_t time, double latency_us,
                    double bandwidth_mbps, struct herror *err)
{
    if (!st || !a || !b || strcmp (a, b) >= 0) {
        errno = EINVAL;
        return herror_set (err, "store_link_put: needs two node names, the first before the "
                                "second");
    }
    struct op_arg args[] = {arg_text (a),
                            arg_text (b),
                            arg_int (time),
                            {.kind = ARG_REAL, .r = latency_us},
                            {.kind = ARG_REAL, .r = bandwidth_mbps}};
    return store_write (st, S_LINK_PUT, 5, args, "storing a measured link", err);
}

int store_load_links (struct store *st, store_link_f cb, void *arg, struct herror *err)
{
    sqlite3_stmt *s;
    int rc, n = 0;

    if (!st || !cb) {
        errno = EINVAL;
        return herror_set (err, "store_load_links: invalid argument");
    }
    s = st->stmt[S_LINKS_LOAD];
    while ((rc = sqlite3_step (s)) == SQLITE_ROW) {
        const char *a = (const char *)sqlite3_column_text (s, 0);
        const char *b = (const char *)sqlite3_column_text (s, 1);
        if (!a || !b)
            continue;
        if (cb (a, b, sqlite3_column_int64 (s, 2), sqlite3_column_double (s, 3),
                sqlite3_column_double (s, 4), arg) < 0)
            return load_fail (st, S_LINKS_LOAD, SQLITE_OK, err, "loading measured links");
        n++;
    }
    if (rc != SQLITE_DONE)
        return load_fail (st, S_LINKS_LOAD, rc, err, "loading measured links");
    stmt_done (st, S_LINKS_LOAD);
    return n;
}

int store_pgroup_put (struct store *st, const json_t *group, struct herror *err)
{
    const char *name = json_string_value (json_object_get (group, "name"));
    char *body;
    int rc;

    if (!st || !json_is_object (group) || !name || !*name) {
        errno = EINVAL;
        return herror_set (err, "store_pgroup_put: a placement group needs a string \"name\"");
    }
    if (!(body = json_dumps (group, JSON_COMPACT))) {
        errno = ENOMEM;
        return herror_set (err, "store_pgroup_put: out of memory");
    }
    struct op_arg args[] = {arg_text (name), arg_text (body)};
    rc = store_write (st, S_PGROUP_PUT, 2, args, "storing a placement group", err);
    free (body);
    return rc;
}

int store_pgroup_delete (struct store *st, const char *name, struct herror *err)
{
    if (!st || !name) {
        errno = EINVAL;
        return herror_set (err, "store_pgroup_delete: invalid argument");
    }
    struct op_arg a[] = {arg_text (name)};
    return store_write (st, S_PGROUP_DELETE, 1, a, "deleting a placement group", err);
}

int store_load_pgroups (struct store *st, store_pgroup_f cb, void *arg, struct herror *err)
{
    sqlite3_stmt *s;
    int rc, n = 0;

    if (!st || !cb) {
        errno = EINVAL;
        return herror_set (err, "store_load_pgroups: invalid argument");
    }
    s = st->stmt[S_PGROUPS_LOAD];
    while ((rc = sqlite3_step (s)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text (s, 0);
        const char *body = (const char *)sqlite3_column_text (s, 1);
        json_t *g = body ? json_loads (body, 0, NULL) : NULL;
        /* A row that is not an object named as its key is skipped, as
         * unreadable job rows are: the rest of the state still loads. */
        const char *gname = json_string_value (json_object_get (g, "name"));
        if (!name || !gname || strcmp (gname, name) != 0) {
            json_decref (g);
            continue;
        }
        rc = cb (name, g, arg);
        json_decref (g);
        if (rc < 0)
            return load_fail (st, S_PGROUPS_LOAD, SQLITE_OK, err, "loading placement groups");
        n++;
    }
    if (rc != SQLITE_DONE)
        return load_fail (st, S_PGROUPS_LOAD, rc, err, "loading placement groups");
    stmt_done (st, S_PGROUPS_LOAD);
    return n;
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
