#!/bin/sh
# A rerunnable job never runs in two places at once (the fence).
# The agent of the node that runs a rerunnable job is stopped (kill -STOP)
# for longer than heartbeat_timeout: the agent cannot act, but the job's
# shepherd can, and kills the job once the agent's lease (job_lease: how
# long jobs run on without word from the controller) has run out.  The
# controller marks the node down at heartbeat_timeout and requeues the job
# only after job_lease + kill_grace + its margin, so the second run, on the
# other node, starts after the first one has ended.  The job appends
# "NODE TIME" lines to a ledger every 0.2 s: the last line of run 1 must
# come before the first line of run 2.  The agent stays stopped while run 2
# writes (in the issue, run 1 went on writing for 12 s), then is continued:
# it registers again, and the job ends with its second run, exit status 0.
. "$top_srcdir/tests/system/lib.sh"

HB_TIMEOUT=6
LEASE=6
GRACE=1
cluster_up --nodes 2 --ctld-opt kill_grace=$GRACE --ctld-opt heartbeat_interval=1 \
    --ctld-opt heartbeat_timeout=$HB_TIMEOUT --ctld-opt job_lease=$LEASE
work="$TEST_TMP/work"
mkdir -p "$work" && cd "$work" || fail "cannot make $work"
ledger="$work/ledger"
: >"$ledger"

# Whatever happens, a stopped agent is continued before the cluster stops
# (huddle-cluster down would wait for it); the exit status is kept.
STOPPED=""
cont_agent () {
    [ -n "$STOPPED" ] && kill -CONT "$STOPPED" 2>/dev/null
    STOPPED=""
}
trap '_rc=$?; cont_agent; (exit $_rc); _lib_exit' EXIT

# Run 1 writes until it is killed (at most 300 s); a run on another node
# than the ledger's first writes 10 lines and ends.
cat >fence.sh <<JOB
#PBS -N fence
#PBS -r y
#PBS -l select=1:ncpus=1
node=\$(head -n 1 "\$PBS_NODEFILE")
first=\$(head -n 1 "$ledger" | cut -d ' ' -f 1)
i=0
while [ \$i -lt 1500 ]; do
    echo "\$node \$(date +%s.%N)" >>"$ledger"
    i=\$((i + 1))
    [ -n "\$first" ] && [ "\$first" != "\$node" ] && [ \$i -ge 10 ] && exit 0
    sleep 0.2
done
exit 1
JOB
submit fence.sh
job=$JOBID
wait_job "$job" R
node=$(job_attr "$job" exec_host | cut -d / -f 1)
case $node in
node01) other=node02 ;;
node02) other=node01 ;;
*) fail "$job runs on \"$node\", want node01 or node02" ;;
esac
lines_from () {
    grep -c "^$1 " "$ledger"
}
writing () {
    WAIT_SEEN="$(lines_from "$node") lines from $node"
    [ "$(lines_from "$node")" -ge 3 ]
}
wait_for 20 "run 1 to write on $node" writing

pid=$(agent_pid "$node")
[ -n "$pid" ] || fail "no pid file for agent $node"
kill -STOP "$pid" || fail "kill -STOP agent $node ($pid)"
STOPPED=$pid
echo "stopped agent $node (pid $pid) while $job runs there"

wait_node "$node" down $((HB_TIMEOUT + 10))
echo "ok: $node down after the heartbeat timeout"

# The requeue waits for the fence (lease + grace + margin after the last
# heartbeat); then run 2 starts on the other node.
second_writes () {
    WAIT_SEEN="$(lines_from "$other") lines from $other, job $(job_state "$job")"
    [ "$(lines_from "$other")" -ge 5 ]
}
wait_for $((LEASE + GRACE + 20)) "run 2 to write on $other" second_writes
[ "$(job_attr "$job" run_count)" = 2 ] || fail "$job: run_count $(job_attr "$job" run_count), want 2"
echo "ok: $job requeued and running again on $other"

# Keep the agent stopped a little longer, as in the issue: an unfenced
# run 1 would go on writing meanwhile.
sleep 2
cont_agent
echo "continued agent $node"

wait_job "$job" F 30
[ "$(job_attr "$job" Exit_status)" = 0 ] || fail "$job: Exit_status $(job_attr "$job" Exit_status), want 0"
[ "$(job_attr "$job" run_count)" = 2 ] || fail "$job: run_count $(job_attr "$job" run_count), want 2"
[ "$(job_attr "$job" exec_host | cut -d / -f 1)" = "$other" ] ||
    fail "$job ended on $(job_attr "$job" exec_host), want $other"
echo "ok: $job ended with its second run on $other, exit status 0"
wait_node "$node" free 30
echo "ok: $node registered again and is free"

# The ledger: every line of run 1 before every line of run 2.
awk -v one="$node" -v two="$other" '
    $1 == one { n1++; if ($2 > last1) last1 = $2 }
    $1 == two { n2++; if (first2 == "" || $2 < first2) first2 = $2 }
    END {
        printf "run 1 on %s: %d lines, last at %s; run 2 on %s: %d lines, first at %s\n",
            one, n1, last1, two, n2, first2
        if (n1 == 0 || n2 == 0) exit 2
        if (last1 >= first2) {
            printf "overlap: run 1 wrote for %.1f s after run 2 began\n", last1 - first2
            exit 1
        }
    }' "$ledger" >"$TEST_TMP/overlap" 2>&1
rc=$?
cat "$TEST_TMP/overlap"
[ $rc -eq 0 ] || fail "the two runs of $job overlapped in time: $(tail -n 1 "$TEST_TMP/overlap")"
echo "ok: run 1 had ended before run 2 began"
exit 0
