#!/bin/sh
# MPI across a cluster of network namespaces (huddle-cluster up --netns,
# two leaves of one node each):
# each node has its own host name and address, so a plain mpirun in a
# 2-node job shows two different host names, one rank per slot, and the
# shipped ping-pong job (mpi-jobs/pingpong.pbs) runs between two nodes of
# different leaves, through huddle-rsh and the nodes' agents.  (0580 shows
# the rest on the loopback cluster: qdel, a crashing rank, walltime,
# huddle-rsh's refusals.)
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
cluster_up --netns --leaves 2 --nodes-per-leaf 1
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
qsub_as -l select=1:ncpus=1:host=node01+1:ncpus=1:host=node02 \
    -v "${JOBVARS}BENCH_ARGS=--max-size 1k --time-limit 1" pingpong.pbs
wait_job "$JOBID" F 120
out="$TEST_TMP/pingpong.o$SEQ"
[ "$(job_attr "$JOBID" Exit_status)" = 0 ] ||
    fail "pingpong.pbs: Exit_status $(job_attr "$JOBID" Exit_status): $(cat "$out")"
tail -n 1 "$out" | jq -e '.benchmark == "pingpong" and .ranks == 2 and .same_node == false
    and .pair_nodes == ["node01", "node02"]' >/dev/null ||
    fail "pingpong.pbs across leaves: $(cat "$out")"
echo "ok: pingpong.pbs between node01 and node02 (1 B: $(tail -n 1 "$out" | jq '.results[0].latency_us') us)"
