#!/bin/sh
# A full state file system does not stop the controller.  Any user can fill
# a shared file system: then new work is refused with "state store full",
# queries are answered, jobs that were acknowledged are kept, a running job
# still ends and is recorded, and once there is room again everything goes
# on by itself.  Twice: refused before the disk is full (store_min_free),
# and with store_min_free=0, when the write itself fails: the submit that
# hit the full disk is answered once it is committed, exactly once.
. "$top_srcdir/tests/system/lib.sh"

need_users
ensure_user hu0330a
fs="$TEST_TMP/fs"
mkdir -p "$fs"
mount -t tmpfs -o size=24m,mode=1777 huddle-test-0330 "$fs" 2>/dev/null || skip "cannot mount a tmpfs"
TEST_MOUNTS="$fs"
cd "$TEST_TMP" || fail "cd $TEST_TMP" # jobs write their output here
cluster_up --nodes 1 --ctld-opt "state_dir=$fs/ctld" --ctld-opt store_retry_interval=1 \
    --ctld-opt store_min_free=2M --ctld-opt kill_grace=1
work="$TEST_TMP/work"
mkdir -p "$work" && chown hu0330a "$work" || fail "cannot make $work"
python3 -c 'import sys; sys.stdout.write("#!/bin/sh\n#" + "x" * 3000000 + "\necho big\n")' >"$work/big.sh" ||
    fail "cannot write big.sh"
chown hu0330a "$work/big.sh"

qsub_a () {
    as_user hu0330a sh -c 'cd "$1" && shift && exec qsub "$@"' sh "$work" "$@" \
        >"$TEST_TMP/a.out" 2>"$TEST_TMP/a.err"
}
njobs () { qstat -x | grep -c '^[0-9]'; }
fill () { as_user hu0330a dd if=/dev/zero of="$fs/junk" bs=64k >/dev/null 2>&1; true; }

submit -h -- /bin/true
held=$JOBID
qsub_a -r y -- /bin/sleep 3 || fail "qsub: $(cat "$TEST_TMP/a.err")"
running=$(cat "$TEST_TMP/a.out")
wait_job "$running" R

# 1. The user fills the file system: new work is refused, queries answered.
fill
qsub_a -- /bin/true && fail "qsub on a full disk was accepted: $(cat "$TEST_TMP/a.out")"
grep -q "state store full" "$TEST_TMP/a.err" || fail "qsub on a full disk: $(cat "$TEST_TMP/a.err")"
qhold "$running" 2>"$TEST_TMP/err" && fail "qhold on a full disk was accepted"
grep -q "state store full" "$TEST_TMP/err" || fail "qhold on a full disk: $(cat "$TEST_TMP/err")"
echo "ok: refused: $(cat "$TEST_TMP/a.err")"
qstat "$held" >/dev/null || fail "qstat on a full disk"
wait_job "$running" F 30
[ "$(job_attr "$running" Exit_status)" = 0 ] || fail "running job: Exit_status $(job_attr "$running" Exit_status)"
kill -0 "$CTLD_PID" || fail "the controller died on a full disk"
echo "ok: queries answered, the running job ended and was recorded, the controller is up"

# 2. Room again: work is accepted by itself, within store_retry_interval
# (the job's end above may have found no room: that commit is retried).
rm -f "$fs/junk"
wait_for 10 "qsub to be accepted after the disk was freed" qsub_a -- /bin/true
wait_job "$(cat "$TEST_TMP/a.out")" F 30
echo "ok: accepted again once there is room"

# 3. No margin: the write itself fails.  The controller holds that submit's
# answer, refuses the next one, and commits and answers once there is room.
sed 's/^store_min_free = .*/store_min_free = "0"/' "$CLUSTER_DIR/ctld.conf" >"$CLUSTER_DIR/ctld.conf.new" &&
    mv "$CLUSTER_DIR/ctld.conf.new" "$CLUSTER_DIR/ctld.conf" || fail "cannot edit ctld.conf"
grep -q '^store_min_free = "0"' "$CLUSTER_DIR/ctld.conf" || fail "ctld.conf: $(cat "$CLUSTER_DIR/ctld.conf")"
"$HUDDLE_CLUSTER" restart-ctld --dir "$CLUSTER_DIR" || fail "restart-ctld failed"
CTLD_PID=$(cat "$CLUSTER_DIR/huddle-ctld.pid")
wait_node node01 free # its registration is written before the disk fills
before=$(njobs)
nfail=$(grep -c "cannot commit state" "$CLUSTER_DIR/huddle-ctld.log")
more_failures () { [ "$(grep -c "cannot commit state" "$CLUSTER_DIR/huddle-ctld.log")" -gt "$nfail" ]; }
fill
qsub_a -h big.sh &
first=$!
wait_for 20 "the controller to report the failed commit" more_failures
as_user hu0330a qsub -- /bin/true 2>"$TEST_TMP/b.err" && fail "a second qsub was accepted on a full disk"
grep -q "state store full" "$TEST_TMP/b.err" || fail "second qsub: $(cat "$TEST_TMP/b.err")"
qstat "$held" >/dev/null || fail "qstat while the store cannot commit"
kill -0 "$first" 2>/dev/null || fail "the first qsub was answered before its job was committed: $(cat "$TEST_TMP/a.out" "$TEST_TMP/a.err")"
rm -f "$fs/junk"
wait "$first" || fail "the first qsub failed: $(cat "$TEST_TMP/a.err")"
id=$(cat "$TEST_TMP/a.out")
[ -n "$id" ] || fail "the first qsub printed no id"
grep -q "state store commits again" "$CLUSTER_DIR/huddle-ctld.log" || fail "no recovery in the log"
[ "$(njobs)" = $((before + 1)) ] || fail "$(njobs) jobs after recovery, want $((before + 1))"
job_is "$id" H || fail "job $id is $(job_state "$id")"
echo "ok: the submit that hit the full disk got $id once there was room; the next was refused"

# 4. All of it survives a restart.
"$HUDDLE_CLUSTER" restart-ctld --dir "$CLUSTER_DIR" || fail "restart-ctld failed"
CTLD_PID=$(cat "$CLUSTER_DIR/huddle-ctld.pid")
job_is "$id" H || fail "after a restart job $id is $(job_state "$id")"
job_is "$held" H || fail "after a restart job $held is $(job_state "$held")"
[ "$(njobs)" = $((before + 1)) ] || fail "$(njobs) jobs after the restart"
qrls "$id" && wait_job "$id" F 60
[ "$(job_attr "$id" Exit_status)" = 0 ] || fail "job $id: Exit_status $(job_attr "$id" Exit_status)"
echo "ok: every acknowledged job is there after a restart, the 3 MB script ran"
qdel "$held"
exit 0
