#!/bin/sh
# MPI across a cluster of network namespaces (huddle-cluster up --netns,
# two leaves of two nodes; no link probes, so that the other tests' probes
# are not disturbed): each node has its own host name and address, so a
# plain mpirun in a 2-node job shows two different host names, one rank
# per slot; the shipped ping-pong job (mpi-jobs/pingpong.pbs) runs between
# two nodes of different leaves, through huddle-rsh and the nodes' agents;
# qdel of a running MPI job leaves no process of it on any node; a rank
# that crashes ends the job with a non-zero status; another user's process
# cannot use huddle-rsh into the job.  (0580 shows the rest on the
# loopback cluster: walltime, agent restarts, each refusal.)
. "$top_srcdir/tests/system/lib.sh"

need_users
need_netns
command -v mpirun >/dev/null 2>&1 || skip "no mpirun (Open MPI)"
command -v jq >/dev/null 2>&1 || skip "no jq"
[ -x "$top_builddir/mpi-jobs/huddle-pingpong" ] || fail "huddle-pingpong not built"
# Sanitizer builds: Open MPI's own leaks are not ours (as in 0570).
JOBVARS=
if grep -q -e '--enable-sanitizers' "$top_builddir/config.status" 2>/dev/null; then
    JOBVARS="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0,"
fi
ensure_user hu0582a
ensure_user hu0582b
cluster_up --netns --leaves 2 --nodes-per-leaf 2 --ctld-opt probe_interval=0
chmod 0777 "$TEST_TMP"
qsub_as () {
    JOBID=$(as_user hu0582a qsub "$@" 2>"$TEST_TMP/qsub.err") || fail "qsub $*: $(cat "$TEST_TMP/qsub.err")"
    SEQ=${JOBID%%.*}
}

cat >hosts.pbs <<'PBS'
#PBS -l select=2:ncpus=1:mpiprocs=1
#PBS -l place=scatter
mpirun sh -c 'echo rank=$OMPI_COMM_WORLD_RANK node=$HUDDLE_NODE host=$(hostname)'
PBS
qsub_as -v "${JOBVARS}X=1" hosts.pbs
wait_job "$JOBID" F 90
out="$TEST_TMP/hosts.pbs.o$SEQ"
[ "$(job_attr "$JOBID" Exit_status)" = 0 ] ||
    fail "mpirun job: Exit_status $(job_attr "$JOBID" Exit_status): $(cat "$out" "$TEST_TMP/hosts.pbs.e$SEQ")"
cat "$out"
[ "$(grep -c '^rank=' "$out")" = 2 ] || fail "want 2 ranks: $(cat "$out")"
hosts=$(sed -n 's/.*host=//p' "$out" | sort -u | wc -l)
[ "$hosts" = 2 ] || fail "want two different host names: $(cat "$out")"
grep '^rank=' "$out" | while read -r _r _n _h; do
    [ "${_n#node=}" = "${_h#host=}" ] || fail "rank on ${_n#node=} ran on host ${_h#host=}"
done || exit 1
echo "ok: two ranks on two nodes with their own host names"

# The shipped ping-pong job, between nodes of different leaves.
cp "$top_srcdir/mpi-jobs/pingpong.pbs" . && chmod 0644 pingpong.pbs
qsub_as -l select=1:ncpus=1:host=node01+1:ncpus=1:host=node03 \
    -v "${JOBVARS}BENCH_ARGS=--max-size 1k --time-limit 1" pingpong.pbs
wait_job "$JOBID" F 120
out="$TEST_TMP/pingpong.o$SEQ"
[ "$(job_attr "$JOBID" Exit_status)" = 0 ] ||
    fail "pingpong.pbs: Exit_status $(job_attr "$JOBID" Exit_status): $(cat "$out")"
tail -n 1 "$out" | jq -e '.benchmark == "pingpong" and .ranks == 2 and .same_node == false
    and .pair_nodes == ["node01", "node03"]' >/dev/null ||
    fail "pingpong.pbs across leaves: $(cat "$out")"
echo "ok: pingpong.pbs between node01 and node03, across the spine (1 B: $(tail -n 1 "$out" | jq '.results[0].latency_us') us)"

# qdel of a running MPI job: no process of the user is left on any node.
cat >sleepy.pbs <<'PBS'
#PBS -l select=2:ncpus=1:mpiprocs=1
#PBS -l place=scatter
mpirun sleep 300
PBS
qsub_as -v "${JOBVARS}X=1" sleepy.pbs
sleepy=$JOBID
wait_job "$sleepy" R 60
user_sleeps () { [ "$(pgrep -u hu0582a -x sleep | wc -l)" -ge 2 ]; }
wait_for 30 "both ranks of $sleepy to sleep" user_sleeps
# another user's process, holding the job's cookie, cannot start a task in it
rank=$(pgrep -u hu0582a -x sleep | head -n 1)
envof () { tr '\0' '\n' <"/proc/$rank/environ" | sed -n "s/^$1=//p"; }
cookie=$(envof HUDDLE_JOB_COOKIE)
eps=$(envof HUDDLE_TASK_ENDPOINTS)
sister=$(job_attr "$sleepy" exec_host | sed 's/.*+//; s,/.*,,')
[ -n "$cookie" ] && [ -r "$eps" ] || fail "job $sleepy's rank has no cookie or endpoints"
expect_fail 255 "not uid [0-9]+'s" runuser -u hu0582b -- env PBS_JOBID="$sleepy" \
    HUDDLE_JOB_COOKIE="$cookie" HUDDLE_TASK_ENDPOINTS="$eps" \
    ${HUDDLE_MUNGE_SOCKET:+HUDDLE_MUNGE_SOCKET="$HUDDLE_MUNGE_SOCKET"} \
    "$top_builddir/mpi-jobs/huddle-rsh" -n "$sister" true
echo "ok: another user cannot use huddle-rsh into job $sleepy"
qdel "$sleepy" || fail "qdel $sleepy"
wait_job "$sleepy" F 60
no_user_procs () { ! pgrep -u hu0582a >/dev/null; }
wait_for 30 "no process of hu0582a on any node" no_user_procs
echo "ok: qdel of a running MPI job left no process of it on any node"

# A rank that crashes ends the job with a non-zero status.
cat >crash.pbs <<'PBS'
#PBS -l select=2:ncpus=1:mpiprocs=1
#PBS -l place=scatter
mpirun sh -c 'if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then kill -SEGV $$; fi; sleep 300'
PBS
qsub_as -v "${JOBVARS}X=1" crash.pbs
wait_job "$JOBID" F 60 # the surviving rank sleeps 300 s: the crash must end the job
status=$(job_attr "$JOBID" Exit_status)
[ -n "$status" ] && [ "$status" != 0 ] || fail "a crashing rank: Exit_status '$status', want non-zero"
echo "ok: a crashing rank ended the job with Exit_status $status"
exit 0
