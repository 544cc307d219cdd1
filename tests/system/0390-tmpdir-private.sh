#!/bin/sh
# A job's TMPDIR cannot be taken by another user in advance.  Job ids are
# predictable and the TMPDIR base is world-writable (sticky, as /tmp), so an
# attacker plants directories and symlinks at every name a job's TMPDIR
# could predictably get (BASE/huddle.SEQ.SERVER for the next jobs, and
# BASE/huddle): the victim's jobs still run, each with a private TMPDIR
# (the victim's, 0700) that is removed afterwards, and the planted entries
# are neither followed nor removed.  A TMPDIR that cannot be made (the base
# is missing) requeues the job instead of failing it; it runs once the base
# is back.
. "$top_srcdir/tests/system/lib.sh"

need_users
ensure_user hu0390a
ensure_user hu0390v
cluster_up --nodes 1 --ctld-opt heartbeat_interval=1 --ctld-opt heartbeat_timeout=10
as_user hu0390v test -x "$top_builddir/cli/qsub" ||
    skip "hu0390v cannot run $top_builddir/cli/qsub (build tree not reachable)"
base="$CLUSTER_DIR/nodes/node01/tmp"
[ -d "$base" ] || fail "no TMPDIR base $base"
victim_uid=$(id -u hu0390v)

work="$TEST_TMP/work-hu0390v"
mkdir -p "$work" && chown hu0390v "$work" || fail "cannot make $work"
cat >"$work/tmp.sh" <<'EOS'
echo "tmpdir=$TMPDIR"
stat -c 'stat=%u %a %F' "$TMPDIR"
echo private >"$TMPDIR/file" && cat "$TMPDIR/file"
EOS
chown hu0390v "$work/tmp.sh"
as_victim () {
    as_user hu0390v sh -c 'cd "$1" && shift && exec "$@"' sh "$work" "$@"
}

# The next job id, from a job submitted on hold.
first=$(as_victim qsub -h tmp.sh 2>"$TEST_TMP/err") || fail "qsub -h: $(cat "$TEST_TMP/err")"
seq=${first%%.*}
server=${first#*.}
[ -n "$seq" ] && [ "$server" != "$first" ] || fail "job id $first is not SEQ.SERVER"

# The attacker's traps: a directory, a symlink to a directory it owns (a
# followed link would put the victim's files there), a dangling symlink,
# and the parent name a root-owned TMPDIR parent would have.
trap_dir="$TEST_TMP/trap-hu0390a"
mkdir -p "$trap_dir" && chown hu0390a "$trap_dir" && chmod 0777 "$trap_dir" || fail "cannot make $trap_dir"
as_user hu0390a sh -c '
    base=$1 seq=$2 server=$3 trap=$4
    mkdir "$base/huddle.$seq.$server" && touch "$base/huddle.$seq.$server/canary" &&
    ln -s "$trap" "$base/huddle.$((seq + 1)).$server" &&
    ln -s /nonexistent/hu0390 "$base/huddle.$((seq + 2)).$server" &&
    ln -s "$trap" "$base/huddle"
' sh "$base" "$seq" "$server" "$trap_dir" || fail "hu0390a cannot plant its entries in $base"
ls -la "$base" >"$TEST_TMP/planted"

qrls "$first" || fail "qrls $first"
ids=$first
for i in 1 2; do
    id=$(as_victim qsub tmp.sh 2>"$TEST_TMP/err") || fail "qsub: $(cat "$TEST_TMP/err")"
    ids="$ids $id"
done
for id in $ids; do
    wait_job "$id" F
    s=${id%%.*}
    [ "$(job_attr "$id" Exit_status)" = 0 ] ||
        fail "job $id: Exit_status $(job_attr "$id" Exit_status): $(job_attr "$id" comment)"
    out="$work/tmp.sh.o$s"
    tmpdir=$(sed -n 's/^tmpdir=//p' "$out")
    case $tmpdir in
        "$base"/huddle.$s.$server.??????) ;;
        *) fail "job $id: TMPDIR $tmpdir is not $base/huddle.$s.$server.XXXXXX: $(cat "$out")" ;;
    esac
    grep -qx "stat=$victim_uid 700 directory" "$out" || fail "job $id: TMPDIR not the victim's 0700 directory: $(cat "$out")"
    grep -qx "private" "$out" || fail "job $id: cannot use its TMPDIR: $(cat "$out" "$work/tmp.sh.e$s")"
    [ -e "$tmpdir" ] && fail "job $id: $tmpdir left behind"
done
echo "ok: three jobs ran with private TMPDIRs despite the planted names"

# The planted entries are as the attacker left them, and nothing went
# through its links.
[ -d "$base/huddle.$seq.$server" ] && [ -f "$base/huddle.$seq.$server/canary" ] ||
    fail "the planted directory huddle.$seq.$server was removed or emptied"
[ "$(stat -c %U "$base/huddle.$seq.$server")" = hu0390a ] || fail "the planted directory changed owner"
[ "$(readlink "$base/huddle.$((seq + 1)).$server")" = "$trap_dir" ] || fail "the planted symlink to $trap_dir is gone"
[ "$(readlink "$base/huddle.$((seq + 2)).$server")" = /nonexistent/hu0390 ] || fail "the dangling symlink is gone"
[ "$(readlink "$base/huddle")" = "$trap_dir" ] || fail "the planted symlink huddle is gone"
[ -z "$(ls -A "$trap_dir")" ] || fail "something was made through the planted symlinks: $(ls -la "$trap_dir")"
echo "ok: the planted entries are untouched and were not followed"

# A TMPDIR that cannot be made requeues the job (JOB_EXEC_RETRY), and the
# job runs once the cause is gone.  After JOB_MAX_RETRIES starts it is held.
mv "$base" "$base.away" || fail "cannot move $base away"
id=$(as_victim qsub tmp.sh 2>"$TEST_TMP/err") || { mv "$base.away" "$base"; fail "qsub: $(cat "$TEST_TMP/err")"; }
requeued () {
    WAIT_SEEN="$(job_state "$id"): $(job_attr "$id" comment)"
    [ "${WAIT_SEEN%%:*}" = F ] && fail "job $id ended instead of being requeued: $WAIT_SEEN"
    case $WAIT_SEEN in
        [QH]:*"could not start on node01"*) return 0 ;;
    esac
    return 1
}
wait_for 60 "job $id to be requeued" requeued
state=$(job_state "$id")
echo "ok: job $id requeued ($WAIT_SEEN)"
grep -q "cannot create TMPDIR" "$CLUSTER_DIR/agent-node01.log" ||
    fail "the agent's log does not say why: $(tail -n 5 "$CLUSTER_DIR/agent-node01.log")"
mv "$base.away" "$base" || fail "cannot move $base back"
[ "$(job_state "$id")" = H ] && { qrls "$id" || fail "qrls $id"; }
wait_job "$id" F 60
[ "$(job_attr "$id" Exit_status)" = 0 ] ||
    fail "job $id after the base came back: Exit_status $(job_attr "$id" Exit_status): $(job_attr "$id" comment)"
echo "ok: it ran once the TMPDIR base was back (it was $state)"
exit 0
