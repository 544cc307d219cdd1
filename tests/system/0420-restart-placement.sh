#!/bin/sh
# A controller restart does not change where new jobs go.  The agents of a
# fresh controller register in the order node03, node02, node01 (not name
# order).  The same submission sequence runs twice: once straight through,
# once with `kill -9` of the controller and `restart-ctld` while one job
# runs and one waits (held).  Every job of the second run must get exactly
# the exec_host its twin got in the first: nodes are placed in one
# deterministic order (name order), whatever order they registered in and
# whether the controller loaded them from its store or not.
. "$top_srcdir/tests/system/lib.sh"

cluster_up --nodes 3 --synthetic "pack:1 core:2 pu:1" --ctld-opt heartbeat_interval=1
work="$TEST_TMP/work"
mkdir -p "$work" && cd "$work" || fail "cannot make $work"

# ---- a fresh controller whose nodes register in reverse name order
for n in node01 node02 node03; do
    pid=$(agent_pid "$n")
    [ -n "$pid" ] || fail "no pid file for agent $n"
    kill -9 "$pid" || fail "kill -9 agent $n ($pid)"
done
kill -9 "$CTLD_PID" || fail "kill -9 $CTLD_PID"
gone_pid () {
    ! kill -0 "$1" 2>/dev/null
}
wait_for 10 "the controller to exit" gone_pid "$CTLD_PID"
rm -rf "$CLUSTER_DIR/ctld" && mkdir -p "$CLUSTER_DIR/ctld" || fail "cannot empty the controller's state"
"$HUDDLE_CLUSTER" restart-ctld --dir "$CLUSTER_DIR" || fail "restart-ctld failed"
CTLD_PID=$(cat "$CLUSTER_DIR/huddle-ctld.pid")
for n in node03 node02 node01; do
    "$HUDDLE_CLUSTER" restart-agent "$n" --dir "$CLUSTER_DIR" || fail "restart-agent $n failed"
    wait_node "$n" free
done
echo "fresh controller (pid $CTLD_PID); nodes registered as node03, node02, node01"

cat >one.sh <<EOF
#PBS -l select=1:ncpus=1
sleep 300
EOF
cat >two.sh <<EOF
#PBS -l select=1:ncpus=2
sleep 300
EOF

# host_of ID: the job's exec_host once it runs.
host_of () {
    wait_job "$1" R
    job_attr "$1" exec_host
}

# not_down NAME: the node's agent is registered again.
not_down () {
    WAIT_SEEN=$(node_state "$1")
    case "$WAIT_SEEN" in '' | *down*) return 1 ;; esac
}

# run_sequence RESTART OUT: A (1 core) runs, H (2 cores) waits held; with
# RESTART the controller is killed and restarted here; then H is released,
# B and C (1 core each) follow.  The four exec_hosts go to OUT.
run_sequence () {
    submit one.sh
    a=$JOBID
    ha=$(host_of "$a")
    submit -h two.sh
    h=$JOBID
    wait_job "$h" H
    if [ "$1" = restart ]; then
        kill -9 "$CTLD_PID" || fail "kill -9 $CTLD_PID"
        wait_for 10 "the controller to exit" gone_pid "$CTLD_PID"
        "$HUDDLE_CLUSTER" restart-ctld --dir "$CLUSTER_DIR" || fail "restart-ctld failed"
        CTLD_PID=$(cat "$CLUSTER_DIR/huddle-ctld.pid")
        for n in node01 node02 node03; do wait_for 30 "node $n to register again" not_down "$n"; done
        [ "$(job_state "$a")" = R ] || fail "$a is $(job_state "$a") after the restart, want R"
        [ "$(job_state "$h")" = H ] || fail "$h is $(job_state "$h") after the restart, want H"
        echo "controller restarted (pid $CTLD_PID) with $a running and $h held"
    fi
    qrls "$h" || fail "qrls $h"
    hh=$(host_of "$h")
    submit one.sh
    b=$JOBID
    hb=$(host_of "$b")
    submit one.sh
    c=$JOBID
    hc=$(host_of "$c")
    printf 'A %s\nH %s\nB %s\nC %s\n' "$ha" "$hh" "$hb" "$hc" >"$2"
    echo "$1: $(tr '\n' ' ' <"$2")"
    qdel "$a" "$h" "$b" "$c" || fail "qdel $a $h $b $c"
    for j in "$a" "$h" "$b" "$c"; do wait_job "$j" F; done
    for n in node01 node02 node03; do wait_node "$n" free; done
}

run_sequence straight "$TEST_TMP/straight"
run_sequence restart "$TEST_TMP/restarted"
cmp -s "$TEST_TMP/straight" "$TEST_TMP/restarted" ||
    fail "placement changed across the restart: without it $(tr '\n' ' ' <"$TEST_TMP/straight"), with it $(tr '\n' ' ' <"$TEST_TMP/restarted")"
# Name order: the first job goes to node01 however the nodes registered.
grep -q '^A node01/' "$TEST_TMP/straight" || fail "A ran on $(sed -n 's/^A //p' "$TEST_TMP/straight"), want node01 (name order)"
echo "ok: the same jobs went to the same nodes and cores with and without the restart"
exit 0
