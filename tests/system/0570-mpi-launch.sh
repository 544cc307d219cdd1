#!/bin/sh
# MPI across the job's nodes through the agents (huddle-rsh): a plain
# mpirun in a 2-node job runs one rank per mpiprocs slot on each node,
# each rank inside its own node's share of the job.
. "$top_srcdir/tests/system/lib.sh"

need_users
command -v mpirun >/dev/null 2>&1 || skip "no mpirun (Open MPI)"
RSH="$top_builddir/mpi-jobs/huddle-rsh"
[ -x "$RSH" ] || fail "$RSH not built"
ensure_user hu0570a
ensure_user hu0570b
cluster_up --nodes 3 --agent-opt mpi_tcp_if=lo --agent-opt "rsh_path=$RSH"
chmod 0777 "$TEST_TMP"

# ---- 1. one rank per slot, on two different nodes
cat >hello.pbs <<'PBS'
#PBS -l select=2:ncpus=1:mpiprocs=1
#PBS -N hello
#PBS -l place=scatter
mpirun sh -c 'echo rank=$OMPI_COMM_WORLD_RANK of=$OMPI_COMM_WORLD_SIZE node=$HUDDLE_NODE'
PBS
submit_as () {
    _u=$1
    shift
    JOBID=$(as_user "$_u" qsub "$@" 2>"$TEST_TMP/qsub.err") || fail "qsub $*: $(cat "$TEST_TMP/qsub.err")"
}
submit_as hu0570a hello.pbs
wait_job "$JOBID" F 60
seq=${JOBID%%.*}
out="$TEST_TMP/hello.o$seq"
[ "$(job_attr "$JOBID" Exit_status)" = 0 ] ||
    fail "mpirun job: Exit_status $(job_attr "$JOBID" Exit_status): $(cat "$out" "$TEST_TMP/hello.e$seq")"
cat "$out"
nodes=$(job_attr "$JOBID" exec_host)
[ "$(grep -c '^rank=' "$out")" = 2 ] || fail "want 2 ranks, got: $(cat "$out")"
ranknodes=$(sed -n 's/.*node=//p' "$out" | sort -u | tr '\n' ' ')
[ "$(echo $ranknodes | wc -w)" = 2 ] || fail "ranks not on two nodes: $ranknodes (exec_host $nodes)"
echo "ranks on: $ranknodes"
