#!/bin/sh
# Jobs run as their owner: an unprivileged user's job has that uid and its
# output files belong to it; another user may neither delete nor hold it
# (Unauthorized Request) and sees it without Variable_List; root may delete it.
. "$top_srcdir/tests/system/lib.sh"

need_users
ensure_user hu0110a
ensure_user hu0110b
cluster_up --nodes 2 --ctld-opt kill_grace=2 --ctld-opt heartbeat_interval=1 \
    --ctld-opt heartbeat_timeout=10
as_user hu0110a test -x "$top_builddir/cli/qsub" ||
    skip "hu0110a cannot run $top_builddir/cli/qsub (build tree not reachable)"
user_uid=$(id -u hu0110a)

work="$TEST_TMP/work-hu0110a"
mkdir -p "$work" && chown hu0110a "$work" || fail "cannot make $work"
cat >"$work/owner.sh" <<'EOS'
#PBS -N owner
echo "uid=$(id -u)"
echo "user=$(id -un)"
touch "$PBS_O_WORKDIR/made-by-job"
EOS
chown hu0110a "$work/owner.sh"

# as_hu0110a CMD...: in the submit directory, as hu0110a.
as_hu0110a () {
    as_user hu0110a sh -c 'cd "$1" && shift && exec "$@"' sh "$work" "$@"
}

# 1. The job runs as its owner; its files are the owner's.
id=$(as_hu0110a qsub owner.sh 2>"$TEST_TMP/err") || fail "qsub as hu0110a: $(cat "$TEST_TMP/err")"
seq=${id%%.*}
job_attr "$id" Job_Owner | grep -q '^hu0110a@' || fail "Job_Owner: $(job_attr "$id" Job_Owner)"
wait_job "$id" F
[ "$(job_attr "$id" Exit_status)" = 0 ] || fail "owner job: Exit_status $(job_attr "$id" Exit_status)"
out="$work/owner.o$seq"
grep -qx "uid=$user_uid" "$out" || fail "$out: want uid=$user_uid: $(cat "$out" 2>&1)"
for f in "$out" "$work/owner.e$seq" "$work/made-by-job"; do
    [ -e "$f" ] || fail "no $f"
    [ "$(stat -c %u "$f")" = "$user_uid" ] || fail "$f belongs to uid $(stat -c %u "$f"), want $user_uid"
done
echo "ok: the job ran as hu0110a ($user_uid), its files are hu0110a's"

# qstat -u USER lists that user's jobs only.
qstat -x -u hu0110a | grep -q "^$seq\." || fail "qstat -x -u hu0110a lacks $id: $(qstat -x -u hu0110a)"
qstat -x -u root | grep -q "^$seq\." && fail "qstat -x -u root lists hu0110a's $id"
echo "ok: qstat -u"

# 2. Another user may not touch it; root may.
id=$(as_hu0110a qsub -N nap -v HUDDLE_SECRET=s3cret -- /bin/sleep 300 2>"$TEST_TMP/err") ||
    fail "qsub as hu0110a: $(cat "$TEST_TMP/err")"
wait_job "$id" R
as_user hu0110b qdel "$id" >"$TEST_TMP/out" 2>"$TEST_TMP/err" && fail "hu0110b's qdel $id succeeded"
grep -q "Unauthorized Request" "$TEST_TMP/err" || fail "hu0110b's qdel: $(cat "$TEST_TMP/err")"
as_user hu0110b qhold "$id" 2>"$TEST_TMP/err" && fail "hu0110b's qhold $id succeeded"
grep -q "Unauthorized Request" "$TEST_TMP/err" || fail "hu0110b's qhold: $(cat "$TEST_TMP/err")"
job_is "$id" R || fail "job $id is $(job_state "$id") after refused requests"
echo "ok: hu0110b gets Unauthorized Request"

as_user hu0110b qstat -f "$id" >"$TEST_TMP/other" 2>&1 || fail "qstat -f by hu0110b: $(cat "$TEST_TMP/other")"
grep -q "^Job Id: $id" "$TEST_TMP/other" || fail "qstat -f by hu0110b: no job: $(cat "$TEST_TMP/other")"
grep -q "Variable_List" "$TEST_TMP/other" && fail "hu0110b sees Variable_List: $(cat "$TEST_TMP/other")"
as_hu0110a qstat -f "$id" | grep -q "HUDDLE_SECRET=s3cret" || fail "the owner does not see the job's Variable_List"
echo "ok: qstat -f hides Variable_List from other users"

qdel "$id" || fail "root's qdel $id failed"
wait_job "$id" F
echo "ok: root's qdel"
exit 0
