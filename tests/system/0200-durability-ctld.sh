#!/bin/sh
# kill -9 of the controller with 200 jobs queued and some running: after
# `huddle-cluster restart-ctld` every job finishes, each exactly once (each
# job appends its PBS_JOBID to one file when it starts: 200 lines, no
# duplicates), with exit status 0 and run_count 1 recorded.
. "$top_srcdir/tests/system/lib.sh"

NJOBS=${NJOBS:-200}
cluster_up --nodes 3 --ctld-opt kill_grace=2 --ctld-opt heartbeat_interval=1 \
    --ctld-opt heartbeat_timeout=10
work="$TEST_TMP/work"
mkdir -p "$work" && cd "$work" || fail "cannot make $work"
ledger="$work/ledger"
: >"$ledger"

cat >dur.sh <<EOF
#PBS -N dur
#PBS -j oe
#PBS -l select=1:ncpus=1
echo "\$PBS_JOBID" >>"$ledger"
sleep 0.2
EOF

# Queue them all while no node takes work, so that the kill finds a long
# queue behind the running jobs.
for n in node01 node02 node03; do qnodes -o "$n" -C filling || fail "qnodes -o $n"; done
: >"$TEST_TMP/ids"
i=0
while [ $i -lt "$NJOBS" ]; do
    submit dur.sh
    echo "$JOBID" >>"$TEST_TMP/ids"
    i=$((i + 1))
done
for n in node01 node02 node03; do qnodes -c "$n" || fail "qnodes -c $n"; done
echo "submitted $NJOBS jobs"

# Kill once some have run and most are still queued.
started () {
    WAIT_SEEN="$(grep -c . "$ledger") started"
    [ "$(grep -c . "$ledger")" -ge 10 ]
}
wait_for 60 "10 jobs to start" started
kill -9 "$CTLD_PID" || fail "kill -9 $CTLD_PID"
at_kill=$(grep -c . "$ledger")
echo "killed huddle-ctld (pid $CTLD_PID) with $at_kill of $NJOBS jobs started"
[ "$at_kill" -lt "$NJOBS" ] || fail "every job had started before the kill: nothing was queued"

"$HUDDLE_CLUSTER" restart-ctld --dir "$CLUSTER_DIR" || fail "restart-ctld failed"
CTLD_PID=$(cat "$CLUSTER_DIR/huddle-ctld.pid")
echo "huddle-ctld restarted (pid $CTLD_PID)"

# count_state S: how many of our jobs are in state S (one qstat call).
count_in () {
    qstat -x -F json >"$TEST_TMP/all.json" 2>"$TEST_TMP/qstat.err" || return 1
    grep -c "\"job_state\":\"$1\"" "$TEST_TMP/all.json"
}
all_finished () {
    WAIT_SEEN="$(count_in F) finished"
    [ "$(count_in F)" = "$NJOBS" ]
}
wait_for 120 "all $NJOBS jobs to finish" all_finished

lines=$(grep -c . "$ledger")
unique=$(sort -u "$ledger" | grep -c .)
[ "$unique" -eq "$lines" ] || fail "jobs ran more than once: $(sort "$ledger" | uniq -d | head)"
[ "$lines" -eq "$NJOBS" ] || fail "$lines jobs ran, want $NJOBS"
sort "$ledger" >"$TEST_TMP/ran"
sort "$TEST_TMP/ids" >"$TEST_TMP/submitted"
cmp -s "$TEST_TMP/ran" "$TEST_TMP/submitted" || fail "the jobs that ran are not the jobs submitted: $(diff "$TEST_TMP/submitted" "$TEST_TMP/ran" | head)"
echo "ok: $NJOBS jobs ran exactly once"

qstat -x -F json >"$TEST_TMP/all.json" || fail "qstat -x -F json"
n0=$(grep -c '"Exit_status":0,*$' "$TEST_TMP/all.json")
[ "$n0" -eq "$NJOBS" ] || fail "$n0 jobs with Exit_status 0, want $NJOBS: $(grep '"Exit_status"' "$TEST_TMP/all.json" | sort | uniq -c)"
n1=$(grep -c '"run_count":1,*$' "$TEST_TMP/all.json")
[ "$n1" -eq "$NJOBS" ] || fail "$n1 jobs with run_count 1, want $NJOBS: $(grep '"run_count"' "$TEST_TMP/all.json" | sort | uniq -c)"
echo "ok: every job recorded with Exit_status 0 and run_count 1"
for n in node01 node02 node03; do wait_node "$n" free; done
echo "ok: every node free again"
exit 0
