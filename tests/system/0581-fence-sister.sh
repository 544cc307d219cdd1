#!/bin/sh
# The fence covers a job's sister nodes: the agent of a node that holds a
# remote MPI rank of a rerunnable job is stopped (kill -STOP).  The agent
# cannot act, but the job's shepherd on that node can: once the agent's
# lease has run out it kills the rank (reason fenced), and the controller
# does not start the job again before its fence deadline for that node.
# The ranks append "NODE JOBID TIME" lines to a ledger every 0.2 s: the
# stopped node's rank stops writing within the lease (its shepherd reports
# "fenced"), and nothing of the job writes there again.  Losing that rank
# usually ends the MPI job on its first node (mpirun exits non-zero) before
# the fence deadline: the job then finishes with that status; were it
# requeued instead, the new run could start only after the deadline.
. "$top_srcdir/tests/system/lib.sh"

need_users
command -v mpirun >/dev/null 2>&1 || skip "no mpirun (Open MPI)"
HB_TIMEOUT=6
LEASE=6
GRACE=1
ensure_user hu0581a
cluster_up --nodes 3 --ctld-opt kill_grace=$GRACE --ctld-opt heartbeat_interval=1 \
    --ctld-opt heartbeat_timeout=$HB_TIMEOUT --ctld-opt job_lease=$LEASE
work="$TEST_TMP/work"
mkdir -p "$work" && chown hu0581a "$work" && cd "$work" || fail "cannot make $work"
ledger="$work/ledger"

STOPPED=""
cont_agent () {
    [ -n "$STOPPED" ] && kill -CONT "$STOPPED" 2>/dev/null
    STOPPED=""
}
trap '_rc=$?; cont_agent; (exit $_rc); _lib_exit' EXIT

cat >fence.pbs <<JOB
#PBS -N fence
#PBS -r y
#PBS -l select=2:ncpus=1:mpiprocs=1
#PBS -l place=scatter
mpirun sh -c 'while :; do echo "\$HUDDLE_NODE \$PBS_JOBID \$(date +%s.%N)" >>"$ledger"; sleep 0.2; done'
JOB
JOBID=$(as_user hu0581a qsub fence.pbs 2>"$TEST_TMP/qsub.err") || fail "qsub: $(cat "$TEST_TMP/qsub.err")"
job=$JOBID
wait_job "$job" R
sister=$(job_attr "$job" exec_host | sed 's/^[^+]*+//; s/\/.*//')
lines_from () {
    cat "$ledger" 2>/dev/null | grep -c "^$1 "
}
both_write () {
    WAIT_SEEN="$(lines_from node01) $(lines_from node02) $(lines_from node03) lines"
    [ "$(lines_from "$sister")" -ge 3 ] && [ "$(cat "$ledger" 2>/dev/null | wc -l)" -ge 6 ]
}
wait_for 30 "both ranks of $job to write" both_write

pid=$(agent_pid "$sister")
[ -n "$pid" ] || fail "no pid file for agent $sister"
kill -STOP "$pid" || fail "kill -STOP agent $sister ($pid)"
STOPPED=$pid
stopped_at=$(date +%s)
echo "stopped agent $sister (pid $pid), which holds a rank of $job"

# Its shepherd fences the rank once the lease has run out.
sister_silent () {
    _a=$(lines_from "$sister")
    sleep 1
    WAIT_SEEN="$(lines_from "$sister") lines from $sister"
    [ "$(lines_from "$sister")" = "$_a" ]
}
wait_for $((LEASE + GRACE + 10)) "the rank on $sister to stop (fenced)" sister_silent
took=$(($(date +%s) - stopped_at))
echo "ok: the rank on $sister stopped $took s after its agent"
result="$CLUSTER_DIR/nodes/$sister/state/jobs/${job%%.*}/result"
fenced () {
    grep -q '"reason":"fenced"' "$result" 2>/dev/null
}
wait_for 10 "$sister's shepherd to report its part of $job fenced" fenced
last1=$(grep "^$sister " "$ledger" | tail -n 1 | cut -d ' ' -f 3)

# The controller marks the node down; a new run of the job (it is
# rerunnable) may start only after the fence deadline, when the rank there
# has surely stopped; losing its rank usually ends the MPI job first.
wait_node "$sister" down $((HB_TIMEOUT + 10))
sleep 2
cont_agent
wait_node "$sister" free 30
state=$(job_state "$job")
runs=$(job_attr "$job" run_count)
echo "continued agent $sister; $job is $state, run $runs, Exit_status $(job_attr "$job" Exit_status): $(job_attr "$job" comment)"
if [ "$runs" -ge 2 ]; then
    # Its second run writes only after the first one's rank stopped.
    first2=$(awk -v l="$last1" '$3 > l + 1 { print $3; exit }' "$ledger")
    echo "run 1's last line on $sister at $last1; later lines from $first2"
    [ "$state" = F ] || qdel "$job"
fi
wait_job "$job" F 60
none_left () {
    WAIT_SEEN=$(pgrep -a -u hu0581a)
    [ -z "$WAIT_SEEN" ]
}
wait_for 20 "no process of hu0581a" none_left
after=$(lines_from "$sister")
sleep 1
[ "$(lines_from "$sister")" = "$after" ] || fail "$sister writes again after $job ended"
echo "ok: $job finished, nothing of it left"
