#!/bin/sh
# kill -9 of an agent.
# 1. Restarted within heartbeat_timeout while a `sleep 3` job runs there: the
#    restarted agent adopts the job, which finishes normally, recorded once
#    with exit status 0 and run_count 1.
# 2. Left down past heartbeat_timeout: the node goes down, its `-r n` job
#    fails (exit status -4, PBS JOB_EXEC_INITABT, as docs/ctld.md says); the
#    shepherds, which outlive the agent, kill both jobs once the agent's
#    lease (job_lease) has run out, and only then is the rerunnable job
#    requeued (runs again elsewhere: run_count 2).  When the agent comes back
#    nothing of the lost runs is left and the node is free again.
# 3. Killed just as a job starts there: the job lives on (adopted, or lost
#    and run again), four times.
. "$top_srcdir/tests/system/lib.sh"

HB_TIMEOUT=6
cluster_up --nodes 2 --ctld-opt kill_grace=1 --ctld-opt heartbeat_interval=1 \
    --ctld-opt heartbeat_timeout=$HB_TIMEOUT --ctld-opt job_lease=$HB_TIMEOUT
work="$TEST_TMP/work"
mkdir -p "$work" && cd "$work" || fail "cannot make $work"

# gone PATTERN: no process has PATTERN in its command line (pgrep checks
# only; the test never kills jobs itself).
gone () {
    ! pgrep -f "$1" >/dev/null
}
running () {
    pgrep -f "$1" >/dev/null
}

# ---- 1. A quick agent restart.
cat >short.sh <<EOF
#PBS -N short
echo "\$PBS_JOBID \$(head -n 1 "\$PBS_NODEFILE")" >>"$work/short.ledger"
sleep 3.$$
EOF
submit short.sh
short=$JOBID
wait_job "$short" R
node=$(job_attr "$short" exec_host | cut -d / -f 1)
wait_for 20 "the short job's sleep" running "sleep 3.$$"
pid=$(agent_pid "$node")
[ -n "$pid" ] || fail "no pid file for agent $node"
kill -9 "$pid" || fail "kill -9 agent $node ($pid)"
echo "killed agent $node (pid $pid) while $short runs there"
"$HUDDLE_CLUSTER" restart-agent "$node" --dir "$CLUSTER_DIR" || fail "restart-agent $node failed"
wait_job "$short" F
[ "$(job_attr "$short" Exit_status)" = 0 ] || fail "$short: Exit_status $(job_attr "$short" Exit_status), want 0"
[ "$(job_attr "$short" run_count)" = 1 ] || fail "$short: run_count $(job_attr "$short" run_count), want 1"
[ "$(grep -c . "$work/short.ledger")" = 1 ] || fail "$short ran $(grep -c . "$work/short.ledger") times"
node_is "$node" free || wait_node "$node" free
echo "ok: $short adopted by the restarted agent, finished once with exit status 0"

# ---- 2. An agent down past the timeout.
# Both jobs on node01: node02 takes no work until node01's agent is killed.
qnodes -o node02 -C "test: keep jobs on node01" || fail "qnodes -o node02"
cat >again.sh <<EOF
#PBS -N again
#PBS -l select=1:ncpus=1
echo "\$PBS_JOBID \$(head -n 1 "\$PBS_NODEFILE")" >>"$work/again.ledger"
# The first run waits to be lost; a rerun ends at once.
[ "\$(grep -c . "$work/again.ledger")" -ge 2 ] && exit 0
sleep 301.$$
EOF
submit again.sh
again=$JOBID
submit -r n -N once -l select=1:ncpus=1 -- /bin/sh -c "sleep 302.$$; true"
once=$JOBID
wait_job "$again" R
wait_job "$once" R
for j in "$again" "$once"; do
    [ "$(job_attr "$j" exec_host | cut -d / -f 1)" = node01 ] || fail "$j runs on $(job_attr "$j" exec_host), want node01"
done
wait_for 20 "the rerunnable job's sleep" running "sleep 301.$$"
wait_for 20 "the -r n job's sleep" running "sleep 302.$$"
pid=$(agent_pid node01)
kill -9 "$pid" || fail "kill -9 agent node01 ($pid)"
qnodes -c node02 || fail "qnodes -c node02"
echo "killed agent node01 (pid $pid), left down"

wait_node node01 down $((HB_TIMEOUT + 10))
echo "ok: node01 down after the heartbeat timeout"
wait_job "$once" F 20
status=$(job_attr "$once" Exit_status)
[ "$status" = -4 ] || fail "the -r n job $once: Exit_status $status, want -4 (lost): $(qstat -xf "$once")"
echo "ok: the -r n job failed with Exit_status -4 ($(job_attr "$once" comment))"
wait_job "$again" F 30
[ "$(job_attr "$again" run_count)" = 2 ] || fail "$again: run_count $(job_attr "$again" run_count), want 2"
[ "$(job_attr "$again" Exit_status)" = 0 ] || fail "$again: Exit_status $(job_attr "$again" Exit_status), want 0"
grep -q "^$again node02\$" "$work/again.ledger" || fail "$again's rerun was not on node02: $(cat "$work/again.ledger")"
echo "ok: the rerunnable job ran again on node02 (run_count 2)"
# The rerun started only once the lost runs were fenced: their shepherds
# killed them when the lease ran out, with no agent to tell them.
gone "sleep 301.$$" || fail "the first run of $again still runs on node01 after its rerun"
wait_for 20 "the -r n job's lost run to be fenced" gone "sleep 302.$$"
echo "ok: the lost runs were killed on node01 while its agent was down (fenced)"

"$HUDDLE_CLUSTER" restart-agent node01 --dir "$CLUSTER_DIR" || fail "restart-agent node01 failed"
wait_node node01 free
[ "$(job_attr "$again" run_count)" = 2 ] || fail "$again: run_count $(job_attr "$again" run_count) after node01 came back"
[ "$(job_attr "$once" Exit_status)" = -4 ] || fail "$once: Exit_status $(job_attr "$once" Exit_status) after node01 came back"
echo "ok: node01 back: node free, results unchanged"

# ---- 3. Killed as a job starts (just after the controller says R): the job
#    never dies of its agent's death.  Its process used to be killed by
#    SIGPIPE (exit 269) telling the dead agent how it started.  Each try
#    ends adopted or lost and run again; never with a status of its own.
for try in 1 2 3 4; do
    submit -l select=1:host=node01 -- /bin/sleep 303
    job=$JOBID
    wait_for 20 "$job to start" job_is "$job" R
    kill -9 "$(agent_pid node01)" || fail "kill -9 agent node01"
    "$HUDDLE_CLUSTER" restart-agent node01 --dir "$CLUSTER_DIR" || fail "restart-agent node01 failed"
    wait_for 20 "$job to run after the agent came back" job_is "$job" R
    job_is "$job" F && fail "try $try: $job ended with $(job_attr "$job" Exit_status) when its agent was killed as it started"
    qdel "$job"
    wait_job "$job" F
    # 271: qdel killed the adopted run.  -4: the restarted agent reported
    # the run lost (it had no result) just after it registered, i.e. after
    # the R above, and the qdel came first: a lost run of a deleted job
    # ends the job.  Neither is a death of its own.
    st=$(job_attr "$job" Exit_status)
    [ "$st" = 271 ] || [ "$st" = -4 ] ||
        fail "try $try: $job ended with $st, want 271 (qdel) or -4 (lost, then deleted)"
done
echo "ok: an agent killed as its job starts leaves the job running"
exit 0
