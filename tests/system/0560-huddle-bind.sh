#!/bin/sh
# A GPU job's ranks are laid out next to their GPUs: on a node described by
# our two-socket fixture (GPU 0 + InfiniBand HCA on package 0, GPU 1 + EFA
# on package 1), a job of 2 ranks with a GPU each gets a core on each
# package; the agent writes the layout file and an Open MPI rankfile into
# the job's directory (HUDDLE_LAYOUT, HUDDLE_RANKFILE), and huddle-bind,
# for a rank set by hand, picks that rank's GPU, cores and NIC.
. "$top_srcdir/tests/system/lib.sh"

BIND="$top_builddir/mpi-jobs/huddle-bind"
[ -x "$BIND" ] || fail "$BIND not built"
need_users
ensure_user hu0560a
cluster_up --nodes 1 --topology "$FIXTURE_DIR/topology/two-socket-gpu.xml"
as_user hu0560a test -x "$BIND" || skip "hu0560a cannot run $BIND (build tree not reachable)"

work="$TEST_TMP/work-hu0560a"
mkdir -p "$work" && chown hu0560a "$work" || fail "cannot make $work"
cat >"$work/bind.sh" <<EOS
#PBS -N bind
#PBS -l select=1:ncpus=2:ngpus=2:mpiprocs=2
echo "layout=\$HUDDLE_LAYOUT"
echo "rankfile=\$HUDDLE_RANKFILE"
cat "\$HUDDLE_RANKFILE"
for r in 0 1; do
    OMPI_COMM_WORLD_LOCAL_RANK=\$r "$BIND" sh -c 'echo "rank'\$r' cuda=\$CUDA_VISIBLE_DEVICES"
        grep Cpus_allowed_list /proc/self/status | sed "s/^/rank'\$r' /"
        env | grep -E "IFACE|UCX_NET|NCCL_|FI_PROVIDER|btl_tcp" | sort | sed "s/^/rank'\$r' /"'
done
OMPI_COMM_WORLD_LOCAL_RANK=7 "$BIND" true || echo "rank7 refused"
env -u HUDDLE_LAYOUT "$BIND" true || echo "nolayout refused"
EOS
chown hu0560a "$work/bind.sh"
id=$(as_user hu0560a sh -c 'cd "$1" && qsub bind.sh' sh "$work" 2>"$TEST_TMP/err") ||
    fail "qsub: $(cat "$TEST_TMP/err")"
seq=${id%%.*}
wait_job "$id" F
out="$work/bind.o$seq"
errf="$work/bind.e$seq"
[ "$(job_attr "$id" Exit_status)" = 0 ] ||
    fail "Exit_status $(job_attr "$id" Exit_status): $(cat "$out" "$errf" 2>&1)"
show () { echo "$(cat "$out" 2>&1) / stderr: $(cat "$errf" 2>&1)"; }

# The files sit in the job's directory and the environment names them.
jobdir="$CLUSTER_DIR/nodes/node01/state/jobs/$seq"
grep -qx "layout=$jobdir/layout.json" "$out" || fail "HUDDLE_LAYOUT: $(show)"
grep -qx "rankfile=$jobdir/rankfile" "$out" || fail "HUDDLE_RANKFILE: $(show)"
echo "ok: layout.json and rankfile in $jobdir"

# Each rank's core is next to its GPU: core 0-3 for GPU 0, 4-7 for GPU 1.
grep -qx "rank 0=node01 slot=[0-3]" "$out" || fail "rankfile rank 0: $(show)"
grep -qx "rank 1=node01 slot=[4-7]" "$out" || fail "rankfile rank 1 (not next to GPU 1): $(show)"
echo "ok: the rankfile puts each rank next to its GPU"

# huddle-bind: GPU, NIC nearest to it.
grep -qx "rank0 cuda=0" "$out" || fail "rank 0 CUDA_VISIBLE_DEVICES: $(show)"
grep -qx "rank1 cuda=1" "$out" || fail "rank 1 CUDA_VISIBLE_DEVICES: $(show)"
grep -qx "rank0 NCCL_IB_HCA=mlx5_0" "$out" || fail "rank 0 NIC (InfiniBand mlx5_0): $(show)"
grep -qx "rank0 FI_VERBS_IFACE=ib0" "$out" || fail "rank 0 FI_VERBS_IFACE: $(show)"
grep -qx "rank0 UCX_NET_DEVICES=mlx5_0:1" "$out" || fail "rank 0 UCX_NET_DEVICES: $(show)"
grep -qx "rank1 FI_PROVIDER=efa" "$out" || fail "rank 1 NIC (EFA efa_0): $(show)"
grep -qx "rank1 UCX_NET_DEVICES=efa_0:1" "$out" || fail "rank 1 UCX_NET_DEVICES: $(show)"
grep -q "^rank1 .*mlx5_0" "$out" && fail "rank 1 was given rank 0's HCA: $(show)"
echo "ok: huddle-bind exports each rank's GPU and nearest NIC"

# Binding: rank 1's PUs (8-9 in the fixture) are not on a small test
# machine; huddle-bind says so.  Where they exist it binds to them.
if grep -q "rank 1: binding skipped: PUs 8-9 are not all on this machine" "$errf"; then
    echo "ok: rank 1's binding skipped on this machine, with a message"
else
    grep -qx "rank1 Cpus_allowed_list:.8-9" "$out" || fail "rank 1 binding: $(show)"
    echo "ok: rank 1 bound to PUs 8-9"
fi

# Errors name what is missing.
grep -q "OMPI_COMM_WORLD_LOCAL_RANK=7: the layout has no such local rank on node node01" "$errf" ||
    fail "rank 7: $(show)"
grep -qx "rank7 refused" "$out" || fail "rank 7 accepted: $(show)"
grep -q "HUDDLE_LAYOUT is not set" "$errf" || fail "no layout: $(show)"
grep -qx "nolayout refused" "$out" || fail "no layout accepted: $(show)"
echo "ok: a bad rank and a missing layout are refused, naming them"
