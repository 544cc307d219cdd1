/* store.h - huddle-ctld's durable state: jobs, nodes, job events
 *
 * One SQLite database, DIR/huddle.db, in WAL mode.  The controller keeps its
 * working state in memory; the store is what survives a crash and is read
 * back once at start-up.
 *
 * Transactions follow the event loop.  During one loop turn the controller
 * calls store_next_seq(), store_job_put(), store_event_add(),
 * store_node_put(), ... ; the first of them opens a transaction.  At the end
 * of the turn it calls store_flush() once, which commits.  Only after
 * store_flush() returns 0 may the controller acknowledge the changes of that
 * turn (job.submit.ok, job.ended.ok, ...): a change that was not flushed is
 * lost if the process dies, and nobody was told it happened.  Grouping a
 * turn's changes into one commit is what keeps thousands of submits a second
 * cheap (see bench/store_bench.c).
 *
 * Durability: the default (store_open) is synchronous=FULL, so a flushed
 * turn survives a process crash *and* a power loss or kernel panic.  See
 * store_open_flags() for the cheaper setting and the reasoning.
 *
 * Errors: functions return -1 (or NULL), set errno and, when err is not NULL,
 * fill it with one sentence that names the database file.  The library never
 * logs, prints or exits.
 *
 * A full disk is survived, not fatal.  Every write of a turn is also kept in
 * memory (the journal) until its commit succeeds.  When a write or the commit
 * fails at the SQLite level (disk full, file size limit, I/O error), the
 * database is rolled back to the last commit, the journal is kept, and
 * store_flush() returns -1: nothing of the turn may be acknowledged yet.
 * Writes made after that only go into the journal, and every later
 * store_flush() replays the whole journal in one fresh transaction, so the
 * turn is committed whole once there is room again, never in part
 * (store_retrying() tells that a journal waits).  Only a write that cannot
 * even be kept (ENOMEM) poisons the turn: the next store_flush() then drops
 * the whole turn and returns -1 with EIO.  Invalid arguments (EINVAL, e.g. a
 * job object without "seq") are refused before anything is written.
 *
 * Ownership: every json_t * passed *in* is borrowed; the store serialises it
 * and never keeps or decrefs it.  Every json_t * handed *out* to a callback is
 * owned by the store and decref'd when the callback returns: call
 * json_incref() to keep it.  Strings handed to callbacks live only for the
 * duration of the call.
 *
 * One struct store belongs to one thread (the controller's event loop).  The
 * database is opened with an exclusive lock: a second process that opens the
 * same directory (a second huddle-ctld) gets an error instead of a shared
 * database.
 */
#ifndef HUDDLE_CTLD_STORE_H
#define HUDDLE_CTLD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/herror.h"

/* The database schema this code writes.  A database with a larger version
 * (written by a newer huddle) is refused by store_open(); an older one is
 * migrated forward in one transaction.
 */
#define STORE_SCHEMA_VERSION 4

/* File name of the database inside the state directory. */
#define STORE_DB_NAME "huddle.db"

struct store;

/* Flags for store_open_flags(). */
enum {
    /* synchronous=NORMAL instead of FULL: a commit is written to the WAL
     * file but not fsync'd.  Flushed state still survives the process
     * being killed (kill -9, abort, OOM killer): the data is in the kernel's
     * page cache.  It may lose the last turns on power loss or kernel
     * crash; the database stays consistent.  For tests, huddle-sim and
     * sites that accept that trade.
     */
    STORE_SYNC_NORMAL = 1,
};

/* Open DIR/huddle.db, creating it (and its schema) when absent.  DIR must
 * exist.  Fails with a sentence naming the file when the file or DIR is not
 * writable, the file is not a SQLite database or is corrupt, the schema
 * version is newer than STORE_SCHEMA_VERSION, or another process holds the
 * database.  Close with store_close().
 */
struct store *store_open (const char *dir, struct herror *err);
struct store *store_open_flags (const char *dir, int flags, struct herror *err);

/* Close the database.  A transaction that was not flushed is rolled back,
 * exactly as if the process had died: call store_flush() first.  Accepts
 * NULL; keeps errno.
 */
void store_close (struct store *st);

/* Path of the database file (owned by the store). */
const char *store_path (const struct store *st);

/* Commit the open transaction, if any.  Returns 0 when the turn's changes
 * (and those of earlier failed flushes) are durable, or there were none; -1
 * when they are not: nothing of them may be acknowledged yet.  The changes
 * are then kept (store_retrying() is true) and the next store_flush() tries
 * them again, with errno and err saying why this one failed (ENOSPC for a
 * full disk).  A poisoned turn (ENOMEM while keeping a write) is dropped:
 * -1 with EIO and store_retrying() false; the caller's memory is then ahead
 * of the disk for good, and huddle-ctld stops.
 */
int store_flush (struct store *st, struct herror *err);

/* True while changes of a failed flush wait for the next store_flush(). */
bool store_retrying (const struct store *st);

/* Bytes of text the journal holds (so a caller can flush before it grows
 * large within one turn). */
size_t store_journal_bytes (const struct store *st);

/* Number of changes (puts, deletes, events) waiting for store_flush(). */
int store_pending (const struct store *st);

/* Allocate the next job sequence number into *seq.  The new counter is
 * written in the open transaction, together with the job it is used for, so
 * a sequence number that was acknowledged is never handed out again, even
 * after a crash.  Numbers of a turn that was rolled back are skipped, not
 * reused.  Sequence numbers start at 1.
 */
int store_next_seq (struct store *st, int64_t *seq, struct herror *err);

/* Insert or replace a job.  job is the full job object (docs/protocol.md,
 * "Job"); it must hold an integer "seq" >= 1 and a string "state"; "owner"
 * (string) and "end_time" (integer) are indexed when present.  Borrowed.
 */
int store_job_put (struct store *st, const json_t *job, struct herror *err);

/* The same with the body already made: body is json_dumps (job,
 * JSON_COMPACT), for a caller that keeps that text too (a packed job), so
 * that a change is encoded once.  Borrowed. */
int store_job_put_text (struct store *st, const json_t *job, const char *body, struct herror *err);

/* The batch script of job seq, kept apart from the job object so that job
 * objects (loaded, queried, kept in memory) never carry scripts.  put
 * inserts or replaces (script copied); get gives a malloc'd copy in *script
 * (the caller frees it) and returns 1, or 0 with *script NULL when seq has
 * no script, or -1.  Scripts go with their job (store_job_delete,
 * store_jobs_prune).
 */
int store_script_put (struct store *st, int64_t seq, const char *script, struct herror *err);
int store_script_get (struct store *st, int64_t seq, char **script, struct herror *err);

/* Delete job seq and its events.  Deleting a job that is not stored is not
 * an error.
 */
int store_job_delete (struct store *st, int64_t seq, struct herror *err);

/* Delete finished jobs (state "F") whose end_time is older than
 * now - max_age seconds, with their events (PBS job_history_duration).
 * Returns the number of jobs deleted, or -1.  The controller drops the same
 * jobs (state F, end_time <= now - max_age) from its memory.
 */
int store_jobs_prune (struct store *st, int64_t now, int64_t max_age, struct herror *err);

/* Append an audit event for job seq at time t (seconds since the epoch),
 * e.g. "submitted by alice", "started on n01,n02", "held by uid 1000",
 * "deleted by uid 0", "ended with status 0", "requeued".
 */
int store_event_add (struct store *st, int64_t seq, int64_t t, const char *text,
                     struct herror *err);

/* Insert or replace a node.  node is an object with a string "name"
 * (required), "state" (string, state flags, e.g. "offline"; default ""),
 * "comment" (string, optional, e.g. the admin's reason for offline),
 * "last_registration" (integer, optional) and "topology" (any JSON,
 * optional).  Other members are not stored.  Borrowed.
 */
int store_node_put (struct store *st, const json_t *node, struct herror *err);

/* Delete node name.  Not an error when it is not stored. */
int store_node_delete (struct store *st, const char *name, struct herror *err);

/* Server name kept in the database (the SERVER of SEQ.SERVER job ids).
 * store_server_name() returns NULL when none was set; the string is owned by
 * the store and valid until the next store_set_server_name() or
 * store_close().  store_set_server_name() writes in the open transaction.
 */
const char *store_server_name (const struct store *st);
int store_set_server_name (struct store *st, const char *name, struct herror *err);

/* Callbacks for the loaders.  The json_t * belongs to the store (incref to
 * keep).  Return 0 to go on, -1 (with errno set) to stop the load: the
 * loader then returns -1 with that errno.  A callback may read
 * (store_events_for) but must not change the table being loaded: collect the
 * fix-ups (e.g. requeue jobs that were running) and put them afterwards.
 */
typedef int (*store_job_f) (int64_t seq, json_t *job, void *arg);
typedef int (*store_node_f) (const char *name, json_t *node, void *arg);
typedef int (*store_event_f) (int64_t seq, int64_t t, const char *text, void *arg);

/* Call cb for every stored job in seq order, with the object given to
 * store_job_put().  Rows that cannot be read back (not JSON, not an object,
 * "seq" disagreeing with the row) are skipped, never passed on.  Returns the
 * number of rows skipped (0 when all were good; then err is untouched), or
 * -1 on failure.  When rows were skipped, err says how many and which one
 * was first, so the daemon can log it.
 */
int store_load_jobs (struct store *st, store_job_f cb, void *arg, struct herror *err);

/* Same for nodes, in name order; node objects have the members described at
 * store_node_put().  A row whose topology is not JSON is skipped.
 */
int store_load_nodes (struct store *st, store_node_f cb, void *arg, struct herror *err);

/* Measured links (the controller's link probes): one row per pair of
 * node names, a before b (strcmp), with the time of the measurement,
 * the latency in microseconds and the bandwidth in MB/s.  put inserts or
 * replaces; load calls cb for every row in (a, b) order and returns the
 * number of rows or -1.
 */
typedef int (*store_link_f) (const char *a, const char *b, int64_t time, double latency_us,
                             double bandwidth_mbps, void *arg);
int store_link_put (struct store *st, const char *a, const char *b, int64_t time, double latency_us,
                    double bandwidth_mbps, struct herror *err);
int store_load_links (struct store *st, store_link_f cb, void *arg, struct herror *err);

/* Placement groups (qpg): one object per group with a string "name" (the
 * key) and whatever else the controller keeps ("strategy", "partitions",
 * "owner", "ctime").  put inserts or replaces (borrowed); delete is not an
 * error for a name not stored; load calls cb for every group in name order
 * (the object belongs to the store) and returns the number of groups or
 * -1.  Rows that are not such objects are skipped.
 */
typedef int (*store_pgroup_f) (const char *name, json_t *group, void *arg);
int store_pgroup_put (struct store *st, const json_t *group, struct herror *err);
int store_pgroup_delete (struct store *st, const char *name, struct herror *err);
int store_load_pgroups (struct store *st, store_pgroup_f cb, void *arg, struct herror *err);

/* Call cb for each event of job seq, oldest first.  Returns the number of
 * events, or -1.
 */
int store_events_for (struct store *st, int64_t seq, store_event_f cb, void *arg,
                      struct herror *err);

#endif
