#!/bin/sh
# Commands on the controller's host may use its UNIX socket (local_socket;
# huddle-cluster makes one at DIR/ctld.sock): there the kernel says who is
# at each end (SO_PEERCRED), so no munged is asked.  An unprivileged user's
# job submitted that way is that user's and runs as that user; another user
# may not delete it; and a "controller" socket made by a user is refused
# before anything is sent to it.
. "$top_srcdir/tests/system/lib.sh"

need_users
ensure_user hu0325a
ensure_user hu0325b
cluster_up --nodes 1
sock="$CLUSTER_DIR/ctld.sock"
[ -S "$sock" ] || fail "no local socket at $sock: $(grep listening "$CLUSTER_DIR/huddle-ctld.log")"
grep -q "listening on $sock for commands on this host" "$CLUSTER_DIR/huddle-ctld.log" ||
    fail "the controller's log does not name $sock"
as_user hu0325a test -x "$top_builddir/cli/qsub" ||
    skip "hu0325a cannot run $top_builddir/cli/qsub (build tree not reachable)"
work="$TEST_TMP/work"
mkdir -p "$work" && chmod 1777 "$work" || fail "cannot make $work"

# local USER CMD...: CMD as USER in $work, through the socket, with no munged.
local_cmd () {
    _u=$1
    shift
    runuser -u "$_u" -- env HUDDLE_SERVER="$sock" PATH="$PATH" \
        HUDDLE_MUNGE_SOCKET=/nonexistent/munge.sock sh -c 'cd "$1" && shift && exec "$@"' sh \
        "$work" "$@"
}

# 1. Through the socket without munged: the job is hu0325a's and runs as it.
id=$(local_cmd hu0325a qsub -- /usr/bin/id -un 2>"$TEST_TMP/err") ||
    fail "qsub over $sock: $(cat "$TEST_TMP/err")"
case $id in *.*) ;; *) fail "qsub printed \"$id\", not a job id" ;; esac
wait_job "$id" F
job_attr "$id" Job_Owner | grep -q '^hu0325a@' || fail "Job_Owner: $(job_attr "$id" Job_Owner)"
seq=${id%%.*}
grep -qx hu0325a "$work/STDIN.o$seq" || fail "the job ran as $(cat "$work/STDIN.o$seq" 2>&1)"
# the same command over TCP needs munged, which it cannot reach here
runuser -u hu0325a -- env HUDDLE_SERVER="$HUDDLE_SERVER" PATH="$PATH" \
    HUDDLE_MUNGE_SOCKET=/nonexistent/munge.sock qstat >"$TEST_TMP/tcp.out" 2>&1 &&
    fail "qstat over TCP without munged worked: $(cat "$TEST_TMP/tcp.out")"
grep -qi munge "$TEST_TMP/tcp.out" || fail "qstat over TCP: $(cat "$TEST_TMP/tcp.out")"

# 2. Identity is the kernel's: hu0325b may not delete hu0325a's held job.
id2=$(local_cmd hu0325a qsub -h -- /bin/true) || fail "qsub -h over $sock"
local_cmd hu0325b qdel "$id2" >"$TEST_TMP/qdel.out" 2>&1 &&
    fail "hu0325b deleted hu0325a's job over $sock"
grep -q 'Unauthorized Request' "$TEST_TMP/qdel.out" || fail "qdel by hu0325b: $(cat "$TEST_TMP/qdel.out")"
local_cmd hu0325a qdel "$id2" || fail "hu0325a cannot delete its own job over $sock"
wait_job "$id2" F

# 3. A socket made by a user is not the controller: hu0325b listens on one
#    and hu0325a's qsub refuses it before sending the script.
command -v python3 >/dev/null 2>&1 || { echo "ok (no python3: the impostor case is left out)"; exit 0; }
fake="$work/fake.sock"
as_user hu0325b python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777); s.listen(4)
c, _ = s.accept()
c.settimeout(5)
try:
    got = c.recv(65536)
except OSError:
    got = b""
open(sys.argv[1] + ".got", "wb").write(got)
' "$fake" &
fake_pid=$!
wait_for 10 "the fake socket" test -S "$fake"
echo 'echo secret-0325' >"$work/secret.sh"
chmod 644 "$work/secret.sh"
local_cmd hu0325a env HUDDLE_SERVER="$fake" qsub secret.sh >"$TEST_TMP/fake.out" 2>&1 &&
    fail "qsub sent to hu0325b's socket: $(cat "$TEST_TMP/fake.out")"
grep -q "is not the controller: it runs as uid $(id -u hu0325b)" "$TEST_TMP/fake.out" ||
    fail "qsub to a user's socket: $(cat "$TEST_TMP/fake.out")"
wait "$fake_pid"
[ -f "$fake.got" ] || fail "the fake server saw no connection"
[ ! -s "$fake.got" ] || fail "qsub sent $(wc -c <"$fake.got") bytes to hu0325b's socket"
echo "ok: local socket jobs are their owners', identity from the kernel, impostors refused"
