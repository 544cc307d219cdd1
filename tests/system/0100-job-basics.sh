#!/bin/sh
# Job basics on a 3-node cluster: a script with #PBS directives runs with the
# PBS environment and writes NAME.oSEQ/.eSEQ in the submit directory; -j oe;
# qsub -- cmd; the exit status is recorded; qdel of a running job leaves no
# process; qhold/qrls of a held job; qnodes -a lists every node; qnodes -o /
# -c take a node offline and back.
. "$top_srcdir/tests/system/lib.sh"

cluster_up --nodes 3 --ctld-opt kill_grace=2 --ctld-opt heartbeat_interval=1 \
    --ctld-opt heartbeat_timeout=10
work="$TEST_TMP/work"
mkdir -p "$work" && cd "$work" || fail "cannot make $work"

# 1. A script from a file, directives inside.
cat >basics.sh <<'EOF'
#!/bin/sh
#PBS -N basics
#PBS -l select=1:ncpus=1
echo "PBS_JOBID=$PBS_JOBID"
echo "PBS_JOBNAME=$PBS_JOBNAME"
echo "PBS_O_WORKDIR=$PBS_O_WORKDIR"
echo "PWD=$(pwd)"
echo "nodefile:"
cat "$PBS_NODEFILE"
echo "end of nodefile"
if [ -n "$TMPDIR" ] && [ -d "$TMPDIR" ] && [ -w "$TMPDIR" ]; then echo "TMPDIR ok"; fi
echo "to stderr" >&2
EOF
submit basics.sh
id=$JOBID
seq=${id%%.*}
wait_job "$id" F
[ "$(job_attr "$id" Exit_status)" = 0 ] || fail "job $id: Exit_status $(job_attr "$id" Exit_status), want 0"
out="$work/basics.o$seq"
[ -f "$out" ] || fail "no $out (files: $(ls "$work"))"
grep -qx "PBS_JOBID=$id" "$out" || fail "$out: no PBS_JOBID=$id: $(cat "$out")"
grep -qx "PBS_JOBNAME=basics" "$out" || fail "$out: no PBS_JOBNAME=basics"
grep -qx "PBS_O_WORKDIR=$work" "$out" || fail "$out: no PBS_O_WORKDIR=$work"
grep -qx "PWD=$work" "$out" || fail "$out: the job did not run in $work"
grep -qx "TMPDIR ok" "$out" || fail "$out: TMPDIR missing or not writable: $(cat "$out")"
exec_node=$(job_attr "$id" exec_host | cut -d / -f 1)
[ -n "$exec_node" ] || fail "job $id: no exec_host"
nodefile=$(sed -n '/^nodefile:$/,/^end of nodefile$/p' "$out" | sed '1d;$d')
[ "$nodefile" = "$exec_node" ] || fail "PBS_NODEFILE holds \"$nodefile\", want \"$exec_node\""
grep -qx "to stderr" "$work/basics.e$seq" || fail "basics.e$seq lacks the job's stderr"
grep -q "to stderr" "$out" && fail "stderr went into $out without -j oe"
echo "ok: script job $id ran on $exec_node with the PBS environment"

# 2. -j oe: one file for both.
submit -j oe -N joined basics.sh
seq=${JOBID%%.*}
wait_job "$JOBID" F
grep -qx "to stderr" "$work/joined.o$seq" || fail "-j oe: stderr not in joined.o$seq"
[ -e "$work/joined.e$seq" ] && fail "-j oe: joined.e$seq exists"
echo "ok: -j oe"

# 3. qsub -- command.
submit -- /bin/echo hi
seq=${JOBID%%.*}
wait_job "$JOBID" F
[ "$(cat "$work/STDIN.o$seq" 2>/dev/null)" = hi ] || fail "qsub -- /bin/echo hi: STDIN.o$seq: $(cat "$work/STDIN.o$seq" 2>&1)"
echo "ok: qsub -- /bin/echo hi"

# 4. The exit status is recorded.
submit -- /bin/sh -c 'exit 3'
wait_job "$JOBID" F
[ "$(job_attr "$JOBID" Exit_status)" = 3 ] || fail "exit 3: Exit_status $(job_attr "$JOBID" Exit_status)"
echo "ok: Exit_status 3"

# 5. qdel of a running job: finished, killed, no process left.  The sleep
# and the shell carry strings unique to this test (checked with pgrep only).
marker="huddle-0100-marker-$$"
naptime="300.$$"
submit -N victim -- /bin/sh -c "sleep $naptime; true" "$marker"
victim=$JOBID
wait_job "$victim" R
has_sleep () { pgrep -f "sleep $naptime" >/dev/null; }
wait_for 20 "the victim's sleep to start" has_sleep
qdel "$victim" || fail "qdel $victim failed"
wait_job "$victim" F
status=$(job_attr "$victim" Exit_status)
[ "$status" -gt 128 ] 2>/dev/null || fail "qdel'd job: Exit_status $status, want 128+signal"
pgrep -f "$marker" >/dev/null && fail "qdel'd job: its shell still runs: $(pgrep -af "$marker")"
pgrep -f "sleep $naptime" >/dev/null && fail "qdel'd job: its sleep still runs"
expect_fail 35 "Job has finished" qstat "$victim" # without -x
echo "ok: qdel of a running job (Exit_status $status), no process left"

# 6. qhold / qrls of a held job.
submit -h -- /bin/echo released
held=$JOBID
seq=${held%%.*}
wait_job "$held" H
qhold "$held" || fail "qhold of the held job $held failed"
job_is "$held" H || fail "qhold: $held is $(job_state "$held"), want H"
[ -e "$work/STDIN.o$seq" ] && fail "the held job ran"
qrls "$held" || fail "qrls $held failed"
wait_job "$held" F
[ "$(cat "$work/STDIN.o$seq" 2>/dev/null)" = released ] || fail "the released job did not run"
echo "ok: qsub -h, qhold, qrls"

# 7. qnodes -a shows every node, free again now.
qnodes -a >"$TEST_TMP/qnodes" || fail "qnodes -a failed"
for n in node01 node02 node03; do
    grep -qx "$n" "$TEST_TMP/qnodes" || fail "qnodes -a lacks $n: $(cat "$TEST_TMP/qnodes")"
    wait_node "$n" free
done
[ "$(grep -c '^     state = ' "$TEST_TMP/qnodes")" -eq 3 ] || fail "qnodes -a: want 3 nodes: $(cat "$TEST_TMP/qnodes")"
echo "ok: qnodes -a"

# 8. Offline with a comment, then clear.
qnodes -o node01 -C maint || fail "qnodes -o node01 -C maint failed"
node_is node01 offline || fail "node01 is $(node_state node01), want offline"
qnodes -a node01 | grep -qx '     comment = maint' || fail "node01 lacks comment maint: $(qnodes -a node01)"
qnodes -c node01 || fail "qnodes -c node01 failed"
node_is node01 free || fail "after -c node01 is $(node_state node01), want free"
qnodes -a node01 | grep -q 'comment = ' && fail "qnodes -c left a comment: $(qnodes -a node01)"
echo "ok: qnodes -o -C / -c"

# An unknown name among known ones: the known node is still shown, the
# unknown one named, the status non-zero; control characters in a comment
# are refused.
qnodes -aS node01 nosuchnode >"$TEST_TMP/mixed" 2>&1 && fail "qnodes with an unknown node succeeded"
grep -q "^node01 " "$TEST_TMP/mixed" || fail "qnodes node01 nosuchnode lost node01: $(cat "$TEST_TMP/mixed")"
grep -q "nosuchnode.*Unknown node" "$TEST_TMP/mixed" || fail "no Unknown node: $(cat "$TEST_TMP/mixed")"
qnodes -o node02 -C "$(printf 'two\nlines')" 2>"$TEST_TMP/ctl" && fail "a comment with a newline was accepted"
grep -q "control characters" "$TEST_TMP/ctl" || fail "newline comment refused with: $(cat "$TEST_TMP/ctl")"
echo "ok: qnodes with an unknown name; control characters refused"

# With no controller configured, a command says how to configure one.
if env -u HUDDLE_SERVER HUDDLE_CONF=/nonexistent qstat >"$TEST_TMP/noserver" 2>&1; then
    fail "qstat without a controller address succeeded"
fi
grep -q "set HUDDLE_SERVER=HOST:PORT" "$TEST_TMP/noserver" ||
    fail "qstat without a controller address said: $(cat "$TEST_TMP/noserver")"
echo "ok: no controller address is explained"
exit 0
