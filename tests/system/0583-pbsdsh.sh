#!/bin/sh
# pbsdsh inside a 2-node job (loopback agents): one task per slot of
# $PBS_NODEFILE, each on its own node inside the job (HUDDLE_NODE,
# PBS_JOBID); -n picks one slot, -c wraps round the slots, -s runs them
# one after the other; arguments arrive as given, blanks and quotes
# included; a failing task gives pbsdsh its status; outside a job it says
# so.
. "$top_srcdir/tests/system/lib.sh"

need_root
need_users
ensure_user hu0583a
PBSDSH="$top_srcdir/mpi-jobs/pbsdsh"
cluster_up --nodes 2 --synthetic "pack:1 core:2 pu:1"
chmod 0777 "$TEST_TMP"
cat >dsh.pbs <<EOS
#PBS -l select=2:ncpus=1:mpiprocs=1
#PBS -l place=scatter
echo "all:"; $PBSDSH -- sh -c 'echo \$HUDDLE_NODE \$PBS_JOBID' | sort
echo "n1:"; $PBSDSH -n 1 -- sh -c 'echo \$HUDDLE_NODE'
echo "c3:"; $PBSDSH -c 3 -s -- sh -c 'echo \$HUDDLE_NODE'
echo "args:"; $PBSDSH -n 0 -- printf '[%s]\n' "two words" "it's" '\$HOME'
$PBSDSH -v -- sh -c 'exit 5'
echo "fail: \$?"
EOS
JOBID=$(as_user hu0583a qsub dsh.pbs 2>"$TEST_TMP/qsub.err") || fail "qsub: $(cat "$TEST_TMP/qsub.err")"
wait_job "$JOBID" F 90
out="$TEST_TMP/dsh.pbs.o${JOBID%%.*}"
cat "$out" "$TEST_TMP/dsh.pbs.e${JOBID%%.*}"
[ "$(sed -n '/^all:/,/^n1:/p' "$out" | grep -c "^node0[12] $JOBID$")" = 2 ] &&
    [ "$(sed -n '/^all:/,/^n1:/p' "$out" | grep '^node' | cut -d ' ' -f 1 | sort -u | wc -l)" = 2 ] ||
    fail "pbsdsh: not one task per node inside the job: $(cat "$out")"
[ "$(sed -n '/^n1:/{n;p;}' "$out")" = node02 ] || fail "pbsdsh -n 1: $(cat "$out")"
[ "$(sed -n '/^c3:/,/^args:/p' "$out" | grep '^node' | tr '\n' ' ')" = "node01 node02 node01 " ] ||
    fail "pbsdsh -c 3 -s: $(cat "$out")"
grep -q "^\[two words\]$" "$out" && grep -q "^\[it's\]$" "$out" && grep -q '^\[\$HOME\]$' "$out" ||
    fail "pbsdsh: arguments did not arrive as given: $(cat "$out")"
grep -q "^fail: 5$" "$out" || fail "pbsdsh: a failing task's status not returned: $(cat "$out")"
expect_fail 1 "not inside a job" env -u PBS_NODEFILE "$PBSDSH" -- true
echo "ok: pbsdsh runs one task per slot inside the job, -n, -c, -s, arguments, failures"
exit 0
