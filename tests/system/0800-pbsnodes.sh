#!/bin/sh
# pbsnodes as OpenPBS's: node states mean what they mean in PBS (free while
# cores are left, job-busy when shared jobs hold them all, job-exclusive
# for an exclusive job), jobs are listed as ID/CPU, -l lists the nodes down
# or offline with their comment, -o/-r/-C mark nodes and a refusal names
# the node once, -F dsv gives one line per node, usage errors exit 1 with
# PBS's usage text, qnodes (Torque's name) lists every node when given
# none, and the commands find the server through -s, PBS_SERVER and a
# pbs.conf file when huddle's own setting is absent.
. "$top_srcdir/tests/system/lib.sh"

need_root
cluster_up --nodes 3 --synthetic "pack:1 core:2 pu:1"

expect_fail 1 "usage:" pbsnodes
expect_fail 1 "usage:" pbsnodes -Z
expect_fail 1 "usage:" pbsnodes -l node01
expect_fail 1 "usage:" pbsnodes -a -o node01
qnodes >"$TEST_TMP/all" || fail "qnodes without operands failed"
[ "$(grep -c '^node0' "$TEST_TMP/all")" -eq 3 ] || fail "qnodes without operands: $(cat "$TEST_TMP/all")"
echo "ok: bare pbsnodes prints usage (exit 1); bare qnodes lists every node"

attr () { pbsnodes "$1" | sed -n "s/^     $2 = //p"; }

submit -l select=1:ncpus=1:host=node01 -- /bin/sleep 300
j1=$JOBID
wait_job "$j1" R
[ "$(attr node01 state)" = free ] || fail "node01 with 1 of 2 cores used: state $(attr node01 state), want free"
attr node01 jobs | grep -Eq "^$j1/[01]$" || fail "node01 jobs = $(attr node01 jobs), want $j1/CPU"
submit -l select=1:ncpus=1:host=node01 -- /bin/sleep 300
j2=$JOBID
wait_job "$j2" R
[ "$(attr node01 state)" = job-busy ] || fail "node01 with both cores used: state $(attr node01 state), want job-busy"
attr node01 jobs | grep -Eq "^$j1/[01], $j2/[01]$" || fail "node01 jobs = $(attr node01 jobs)"
submit -l select=1:ncpus=1:host=node02 -l place=excl -- /bin/sleep 300
j3=$JOBID
wait_job "$j3" R
[ "$(attr node02 state)" = job-exclusive ] || fail "node02 with an exclusive job: state $(attr node02 state)"
echo "ok: states free / job-busy / job-exclusive as PBS, jobs = $(attr node01 jobs)"

# -F dsv: one line, the jobs list without blanks
pbsnodes -F dsv node01 >"$TEST_TMP/dsv" || fail "pbsnodes -F dsv"
[ "$(wc -l <"$TEST_TMP/dsv")" -eq 1 ] || fail "pbsnodes -F dsv: $(cat "$TEST_TMP/dsv")"
grep -Eq "^Name=node01\|Mom=node01\|ntype=PBS\|state=job-busy\|pcpus=2\|jobs=$j1/[01],$j2/[01]\|" "$TEST_TMP/dsv" ||
    fail "pbsnodes -F dsv: $(cat "$TEST_TMP/dsv")"
pbsnodes -F dsv -D ';' node01 | grep -q '^Name=node01;Mom=node01;' || fail "pbsnodes -D ';'"
echo "ok: pbsnodes -F dsv [-D]"

# marking nodes; -l; -C alone; refusals
pbsnodes -o -C "disk swap" node03 || fail "pbsnodes -o -C node03"
pbsnodes -l >"$TEST_TMP/l" || fail "pbsnodes -l"
grep -Eq '^node03 +offline disk swap$' "$TEST_TMP/l" || fail "pbsnodes -l: $(cat "$TEST_TMP/l")"
[ "$(wc -l <"$TEST_TMP/l")" -eq 1 ] || fail "pbsnodes -l lists more than node03: $(cat "$TEST_TMP/l")"
pbsnodes -C "new fan" node03 || fail "pbsnodes -C alone"
[ "$(attr node03 comment)" = "new fan" ] && [ "$(attr node03 state)" = offline ] ||
    fail "pbsnodes -C changed more than the comment: $(pbsnodes node03)"
pbsnodes -r node03 || fail "pbsnodes -r node03"
[ "$(attr node03 state)" = free ] || fail "node03 after -r: $(attr node03 state)"
[ -z "$(pbsnodes -l)" ] || fail "pbsnodes -l after -r: $(pbsnodes -l)"
expect_fail 1 "^Error marking node nosuch - Unknown node$" pbsnodes -o nosuch
expect_fail 1 "^Node: nosuch,  Error: Unknown node$" pbsnodes nosuch
echo "ok: -o -C / -l / -C alone / -r, and refusals name the node once"

# the server from -s, PBS_SERVER, a pbs.conf
addr=$HUDDLE_SERVER
(
    unset HUDDLE_SERVER
    export HUDDLE_CONF="$TEST_TMP/none.conf" PBS_CONF_FILE="$TEST_TMP/none-pbs.conf"
    expect_fail 1 "no controller address" pbsnodes -a
    pbsnodes -s "$addr" -a >/dev/null || fail "pbsnodes -s $addr"
    PBS_SERVER=$addr pbsnodes -a >/dev/null || fail "PBS_SERVER=$addr pbsnodes -a"
    printf 'PBS_EXEC=/opt/pbs\nPBS_SERVER=%s\n' "$addr" >"$TEST_TMP/pbs.conf"
    PBS_CONF_FILE="$TEST_TMP/pbs.conf" qstat >/dev/null || fail "qstat with PBS_CONF_FILE"
) || exit 1
echo "ok: the server from -s, PBS_SERVER and PBS_CONF_FILE"
qdel "$j1" "$j2" "$j3"
exit 0
