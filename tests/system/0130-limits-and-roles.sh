#!/bin/sh
# What the scheduler enforces on a job and who may be an agent: walltime
# kills a job and says so in its comment; a job runs bound to the cores it
# was given; a request no node can ever hold stays queued with a comment
# saying why; an unprivileged user cannot register as an agent.
. "$top_srcdir/tests/system/lib.sh"

cluster_up --nodes 2 --ctld-opt kill_grace=1
work="$TEST_TMP/work"
mkdir -p "$work" && cd "$work" || fail "cannot make $work"

# 1. Walltime: a 60 s sleep with a 2 s limit is killed once strictly over
# it, with PBS's status (-29) and PBS's line in its error file.
submit -l walltime=2 -- /bin/sleep 60
wt=$JOBID
# 2. Binding: the job sees exactly the PUs of its allocation.
submit -l select=1:ncpus=1 -- /bin/sh -c 'grep Cpus_allowed_list /proc/self/status'
bound=$JOBID
# 3. Never fits: 64 cores in one chunk on 2-core nodes.
submit -l select=1:ncpus=64 -- /bin/true
huge=$JOBID

wait_job "$wt" F 30
[ "$(job_attr "$wt" Exit_status)" = -29 ] ||
    fail "walltime job $wt: Exit_status $(job_attr "$wt" Exit_status), want PBS's -29 (JOB_EXEC_KILL_WALLTIME)"
job_attr "$wt" comment | grep -q walltime ||
    fail "walltime job $wt: comment \"$(job_attr "$wt" comment)\" does not mention walltime"
grep -q "^=>> PBS: job killed: walltime 3 exceeded limit 2$" "$work/STDIN.e${wt%%.*}" ||
    fail "walltime job $wt: no PBS line in its error file: $(cat "$work/STDIN.e${wt%%.*}")"
echo "ok: walltime kill, comment: $(job_attr "$wt" comment)"

# 1b. A job killed by a signal: 256 + the signal, as OpenPBS records it.
submit -- /bin/sh -c 'kill -USR1 $$'
wait_job "$JOBID" F 30
[ "$(job_attr "$JOBID" Exit_status)" = 266 ] ||
    fail "a job killed by SIGUSR1: Exit_status $(job_attr "$JOBID" Exit_status), want 266"
echo "ok: a job killed by SIGUSR1 records 266"

wait_job "$bound" F
allowed=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$work/STDIN.o${bound%%.*}")
vnode=$(job_attr "$bound" exec_vnode)
[ -n "$allowed" ] || fail "job $bound printed no Cpus_allowed_list"
case "$allowed" in
*,* | *-*) fail "job $bound may run on PUs $allowed, want the one it was given ($vnode)" ;;
esac
echo "ok: job bound to PU $allowed ($vnode)"

[ "$(job_state "$huge")" = Q ] || fail "job $huge: state $(job_state "$huge"), want Q"
job_attr "$huge" comment | grep -q "Can Never Run" ||
    fail "job $huge: comment \"$(job_attr "$huge" comment)\" does not say it can never run"
echo "ok: $huge stays queued: $(job_attr "$huge" comment)"
qdel "$huge" || fail "qdel $huge"

# 4. An unprivileged user running huddle-agent is refused at the hello.
ensure_user hu0130
evil="$TEST_TMP/evil"
mkdir -p "$evil" && chown hu0130 "$evil"
TEST_PIDFILES="$evil/agent.pid"
as_user hu0130 "$top_builddir/agent/huddle-agent" --server "$HUDDLE_SERVER" --name evil \
    --state-dir "$evil/state" --log-file "$evil/agent.log" --pid-file "$evil/agent.pid" \
    --contain pgrp &
runuser_pid=$!
refused () { grep -q "may not connect as an agent" "$evil/agent.log" 2>/dev/null; }
wait_for 20 "the user's agent to be refused" refused
started () { [ -s "$evil/agent.pid" ]; }
wait_for 10 "the user's agent pid file" started
kill "$(cat "$evil/agent.pid")" || fail "cannot stop the user's agent"
wait "$runuser_pid" 2>/dev/null
expect_fail any "evil.*Unknown node" qnodes -a evil # not registered by the unprivileged agent
echo "ok: an unprivileged agent is refused"
