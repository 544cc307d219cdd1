/* lease.h - the agent's fence: how long its jobs may run unheard
 *
 * A job must never run in two places at once.  When a node's agent goes
 * silent (hung, stopped, cut off), the controller requeues the node's
 * rerunnable jobs elsewhere; the old runs must be dead by then, whatever
 * the agent is doing.  The agent process itself cannot be relied on (a
 * `kill -STOP`ped or wedged agent does nothing), but each job's shepherd
 * runs independently of it.  So the fence lives in the shepherds, as
 * slurmd's and PBS MoM's job kill on lost contact, but enforced by the
 * process that is still running:
 *
 *   - Each time the controller answers the agent (node.register.ok,
 *     node.heartbeat.ok) it grants a lease of job_lease seconds.  The agent
 *     writes STATEDIR/lease: when the lease started and how long it lasts.
 *   - Each shepherd reads that file every LEASE_CHECK_MS; once the lease
 *     has run out it kills its job as for qdel (TERM, KILL after the grace
 *     period the file names) and reports reason "fenced".
 *   - The controller requeues a lost node's jobs only once lease + grace +
 *     a margin have passed since it last heard from the agent
 *     (docs/ctld.md), so by then every old run is gone.
 *
 * The lease starts when the agent *sent* the message that the controller's
 * answer replies to, not when the answer arrived: the controller heard that
 * message after it was sent, so the agent's lease always ends before the
 * controller's fence deadline, however long the answer sat in a socket
 * buffer (an agent stopped right after sending a heartbeat reads the stale
 * answer when it resumes; it must not extend a lease from then).
 *
 * Times are milliseconds of CLOCK_BOOTTIME: one clock for the agent and
 * its shepherds, never set back by NTP, and counting time suspended (a
 * node resumed after a pause finds its leases expired).  A lease whose
 * start lies in the future was written during an earlier boot: expired.
 *
 * The file is written atomically (rename) but not fsync'ed: a lease means
 * nothing after a reboot, and the agent writes it once per heartbeat.
 *
 * Nothing here logs or exits; errors return -1 with errno.
 */
#ifndef HUDDLE_AGENT_LEASE_H
#define HUDDLE_AGENT_LEASE_H

#include <stdbool.h>
#include <stdint.h>

/* How often a shepherd looks at the lease.  The controller's fence margin
 * (scheduler/ctld/nodes.c) must cover it. */
#define LEASE_CHECK_MS 1000

struct lease {
    int64_t start_ms;  /* CLOCK_BOOTTIME when the lease began */
    int64_t length_ms; /* how long it lasts */
    int grace_ms;      /* TERM -> KILL delay of the fence kill */
};

/* Milliseconds of CLOCK_BOOTTIME. */
int64_t lease_clock_ms (void);

/* Write *l to path atomically (path.tmp then rename), mode 0644.  0, or -1
 * with errno (path is then unchanged). */
int lease_write (const char *path, const struct lease *l);

/* Read path into *l.  0, or -1 with errno: ENOENT (no lease was ever
 * granted), EINVAL (not a lease file). */
int lease_read (const char *path, struct lease *l);

/* Whether l has run out at now_ms: now_ms >= start + length, or a start
 * later than now_ms (written during another boot). */
bool lease_expired (const struct lease *l, int64_t now_ms);

#endif
