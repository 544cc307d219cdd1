#!/bin/sh
# The MPI benchmarks (docs/mpi-benchmarks.md) under a plain mpirun on this machine:
# huddle-pingpong measures rank 0 and the first rank on another node (here
# nodes named by HUDDLE_NODE), or warns and measures ranks 0 and 1;
# huddle-collective times allreduce and alltoall; both print one line per
# size and a JSON summary with positive numbers, and both fail, naming the
# wrong data, when a rank sends corrupted data (--corrupt, the self-test).
# Then the example job scripts: their #PBS directives as qsub reads them,
# and jobs on a 1-node cluster running the default benchmark, another MPI
# program given with -v BENCH, and one given as arguments.
. "$top_srcdir/tests/system/lib.sh"

command -v mpirun >/dev/null 2>&1 || skip "no mpirun (install the Debian package openmpi-bin)"
command -v jq >/dev/null 2>&1 || skip "no jq"
PP="$top_builddir/mpi-jobs/huddle-pingpong"
CO="$top_builddir/mpi-jobs/huddle-collective"
[ -x "$PP" ] && [ -x "$CO" ] || fail "$PP or $CO not built"
# Open MPI refuses root unless told; our tests run as root.
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
# Sanitizer builds: LeakSanitizer reports what Open MPI itself never frees
# (much of it in components unloaded before exit, so no suppression can
# name it); jobs get the same setting (JOBVARS, for qsub -v).
JOBVARS=
if grep -q -e '--enable-sanitizers' "$top_builddir/config.status" 2>/dev/null; then
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
    export ASAN_OPTIONS
    JOBVARS="ASAN_OPTIONS=$ASAN_OPTIONS,"
fi
mpi () {
    mpirun --oversubscribe "$@"
}
pow2 () { # pow2 N: "1 2 4 ... 2^N"
    awk -v n="$1" 'BEGIN { for (i = 0; i <= n; i++) printf "%s%d", i ? " " : "", 2 ^ i }'
}
# sizes_of FILE [FIELD]: field FIELD (default 1) of FILE's data lines
# (neither "#" nor JSON), joined by blanks
sizes_of () {
    grep -v -e '^#' -e '^{' "$1" | awk -v f="${2:-1}" '{ printf "%s%s", (NR > 1 ? " " : ""), $f }'
}

# ---- ping-pong between two "nodes": ranks 0 and 1 on a, rank 2 on b
mpi -np 2 env HUDDLE_NODE=hu0570-a "$PP" --max-size 64k --time-limit 1 : \
    -np 1 env HUDDLE_NODE=hu0570-b "$PP" --max-size 64k --time-limit 1 >pp.out 2>pp.err ||
    fail "huddle-pingpong: $(cat pp.out pp.err)"
cat pp.out | cut -c 1-200
grep -v -e '^#' -e '^{' pp.out | grep -Evx '[0-9]+ [0-9]+\.[0-9]{3} [0-9]+\.[0-9]{2}' &&
    fail "huddle-pingpong: lines not SIZE LATENCY BANDWIDTH: $(cat pp.out)"
[ "$(sizes_of pp.out)" = "$(pow2 16)" ] || fail "huddle-pingpong sizes: $(sizes_of pp.out)"
tail -n 1 pp.out | jq -e '.benchmark == "pingpong" and .ranks == 3 and .nodes == 2
    and .pair == [0, 2] and .pair_nodes == ["hu0570-a", "hu0570-b"] and .same_node == false
    and ([.results[].size] | map(tostring) | join(" ")) == "'"$(pow2 16)"'"
    and all(.results[]; .latency_us > 0 and .bandwidth_MBps > 0 and .iterations >= 10)' \
    >/dev/null || fail "huddle-pingpong JSON: $(tail -n 1 pp.out)"
grep -q "huddle-pingpong: warning" pp.err && fail "huddle-pingpong warned with ranks on two nodes: $(cat pp.err)"
echo "ok: huddle-pingpong measures rank 0 and the first rank on another node, 1 B ... 64 KiB"

# ---- every rank on one node: a warning, then ranks 0 and 1
env -u HUDDLE_NODE mpirun --oversubscribe -np 2 "$PP" --max-size 8 --time-limit 1 \
    >pp1.out 2>pp1.err || fail "huddle-pingpong on one node: $(cat pp1.out pp1.err)"
grep -q "huddle-pingpong: warning: all 2 ranks run on node .*: measuring ranks 0 and 1 on the same node" \
    pp1.err || fail "no same-node warning: $(cat pp1.err)"
tail -n 1 pp1.out | jq -e '.pair == [0, 1] and .same_node == true and .nodes == 1
    and (.results | length) == 4' >/dev/null || fail "same-node JSON: $(tail -n 1 pp1.out)"
echo "ok: on one node it warns and measures ranks 0 and 1"

# ---- allreduce and alltoall over 3 ranks
mpi -np 3 "$CO" --max-size 4k --time-limit 1 >co.out 2>co.err ||
    fail "huddle-collective: $(cat co.out co.err)"
grep -v -e '^#' -e '^{' co.out | grep -Evx '(allreduce|alltoall) [0-9]+( [0-9]+\.[0-9]{3}){3}' &&
    fail "huddle-collective: lines not OP SIZE AVG MIN MAX: $(cat co.out)"
want="$(pow2 10 | awk '{ for (i = 1; i <= NF; i++) printf "%s%d", (i > 1 ? " " : ""), 4 * $i }')"
[ "$(sizes_of co.out 2)" = "$want $want" ] || fail "huddle-collective sizes: $(sizes_of co.out 2)"
tail -n 1 co.out | jq -e '.benchmark == "collective" and .ranks == 3 and .nodes == 1
    and ([.results[].op] | unique) == ["allreduce", "alltoall"] and (.results | length) == 22
    and all(.results[]; .min_us > 0 and .min_us <= .avg_us * 1.00001
        and .avg_us <= .max_us * 1.00001 and .iterations >= 10)' >/dev/null ||
    fail "huddle-collective JSON: $(tail -n 1 co.out)"
echo "ok: huddle-collective times allreduce and alltoall, 4 B ... 4 KiB, on 3 ranks"

# ---- the self-test: a rank that sends wrong data fails the run, named
no_summary () {
    grep -q '^{' "$TEST_TMP/expect.out" && fail "a summary after wrong data: $(cat "$TEST_TMP/expect.out")"
    return 0
}
expect_fail 1 "rank 0: 4-byte message from rank 1: byte 2 is not what was sent: the data arrived wrong" \
    mpi -np 2 "$PP" --min-size 4 --max-size 4 --corrupt 1
no_summary
expect_fail 1 "rank 1: 64-byte message from rank 0: byte 32 is not what was sent" \
    mpi -np 2 "$PP" --min-size 64 --max-size 64 --corrupt 0
no_summary
expect_fail 1 "rank 0: allreduce of 16 bytes: element 2 of the result is wrong" \
    mpi -np 3 "$CO" --min-size 16 --max-size 16 --corrupt 2
no_summary
expect_fail 1 "rank 0: alltoall of 16 bytes: element 2 of the block from rank 1 is wrong" \
    mpi -np 3 "$CO" --min-size 16 --max-size 16 --corrupt 1 --op alltoall
no_summary
expect_fail 2 "--corrupt 1: rank 1 is not one of the pair \(0, 2\)" \
    mpi -np 2 env HUDDLE_NODE=a "$PP" --corrupt 1 : -np 1 env HUDDLE_NODE=b "$PP" --corrupt 1
expect_fail 2 'option --max-size "4x": unknown unit "x"' mpi -np 1 "$CO" --max-size 4x
expect_fail 2 "needs 2 ranks or more" mpi -np 1 "$PP"
echo "ok: corrupted data fails the run, naming rank, size and element"

# ---- the job scripts
sh -n "$top_srcdir/mpi-jobs/pingpong.pbs" || fail "pingpong.pbs: sh -n"
sh -n "$top_srcdir/mpi-jobs/collective.pbs" || fail "collective.pbs: sh -n"
need_users
ensure_user hu0570a
cluster_up --nodes 1
as_user hu0570a test -x "$PP" || skip "hu0570a cannot run $PP (build tree not reachable)"
work="$TEST_TMP/work-hu0570a"
mkdir -p "$work" && cp "$top_srcdir/mpi-jobs/pingpong.pbs" "$top_srcdir/mpi-jobs/collective.pbs" \
    "$work" && chown -R hu0570a "$work" || fail "cannot make $work"
qsub_as () {
    JOBID=$(as_user hu0570a sh -c 'cd "$1" && shift && qsub "$@"' sh "$work" "$@" 2>"$TEST_TMP/err") ||
        fail "qsub $*: $(cat "$TEST_TMP/err")"
    SEQ=${JOBID%%.*}
}

# The directives as shipped, read by qsub (held: this cluster has one node).
check_directives () { # SCRIPT NAME SELECT
    qsub_as -h "$1"
    for kv in "Job_Name=$2" "Resource_List.select=$3" "Resource_List.place=scatter" \
        "Resource_List.walltime=00:10:00" "Join_Path=oe"; do
        [ "$(job_attr "$JOBID" "${kv%%=*}")" = "${kv#*=}" ] ||
            fail "$1: ${kv%%=*} is \"$(job_attr "$JOBID" "${kv%%=*}")\", want \"${kv#*=}\""
    done
    qdel "$JOBID" || fail "qdel $JOBID"
}
check_directives pingpong.pbs pingpong 2:ncpus=1 # mpiprocs=1 is the default
check_directives collective.pbs collective 2:ncpus=2:mpiprocs=2
echo "ok: qsub reads the scripts' #PBS directives"

# run_job NAME ARGS...: submit, wait, the job's output in OUT.
run_job () {
    _name=$1
    shift
    qsub_as "$@"
    wait_job "$JOBID" F 60
    OUT="$work/$_name.o$SEQ"
    [ "$(job_attr "$JOBID" Exit_status)" = 0 ] ||
        fail "$* : Exit_status $(job_attr "$JOBID" Exit_status): $(cat "$OUT" 2>&1)"
    [ -e "$work/$_name.e$SEQ" ] && fail "$*: a separate error file despite -j oe"
    tail -n 1 "$OUT" | jq -e . >/dev/null || fail "$*: no JSON summary: $(cat "$OUT")"
}
small="--max-size 1k --time-limit 1"
[ "$(nproc)" -ge 2 ] || skip "the jobs need 2 CPUs (this machine has 1)"
run_job pingpong -l select=1:ncpus=2:mpiprocs=2 -v "${JOBVARS}BENCH_ARGS=$small,MPIRUN_ARGS=--oversubscribe" \
    pingpong.pbs
tail -n 1 "$OUT" | jq -e '.benchmark == "pingpong" and .ranks == 2 and (.results | length) == 11' \
    >/dev/null || fail "pingpong.pbs: $(cat "$OUT")"
run_job collective -l select=1:ncpus=2:mpiprocs=2 -v "${JOBVARS}BENCH_ARGS=$small,MPIRUN_ARGS=--oversubscribe" \
    collective.pbs
tail -n 1 "$OUT" | jq -e '.benchmark == "collective" and .ranks == 2 and (.results | length) == 18' \
    >/dev/null || fail "collective.pbs: $(cat "$OUT")"
echo "ok: the scripts run their benchmark with one rank per mpiprocs"

# Another MPI program instead: -v BENCH, or the command's arguments.
run_job pingpong -l select=1:ncpus=1:mpiprocs=1 \
    -v "${JOBVARS}BENCH=huddle-collective,BENCH_ARGS=--op allreduce --max-size 16 --time-limit 1" pingpong.pbs
tail -n 1 "$OUT" | jq -e '.benchmark == "collective" and .ranks == 1
    and ([.results[].op] | unique) == ["allreduce"]' >/dev/null ||
    fail "pingpong.pbs with BENCH: $(cat "$OUT")"
run_job argjob -l select=1:ncpus=1:mpiprocs=1 -N argjob -j oe -v "${JOBVARS}MPIRUN=mpirun" -- "$work/collective.pbs" \
    huddle-collective --op alltoall --max-size 8 --time-limit 1
tail -n 1 "$OUT" | jq -e '.benchmark == "collective" and ([.results[].op] | unique) == ["alltoall"]' \
    >/dev/null || fail "collective.pbs with arguments: $(cat "$OUT")"
echo "ok: the scripts run another MPI program given with -v BENCH or as arguments"
