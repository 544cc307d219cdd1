#!/bin/sh
# PBS commands scripts call: qsig (a signal reaches the job's processes;
# not for a job that is not running; suspend refused with a reason),
# qrerun (a running job is killed and runs again, run_count 2; a job
# submitted -r n only with -W force; only an administrator), qorder (the
# job moved ahead starts first), qmove
# (the one queue, or PBS's unknown-queue refusal), qselect (-u -s -N -l -p
# -h -x -H, ids one per line) and tracejob (the job's history from the
# controller's events).
. "$top_srcdir/tests/system/lib.sh"

need_root
cluster_up --nodes 2 --synthetic "pack:1 core:2 pu:1"

cat >trap.sh <<EOS
#!/bin/sh
trap 'echo got USR1 >"$TEST_TMP/usr1"' USR1
while :; do sleep 1; done
EOS
chmod +x trap.sh
submit -N trapper -l select=1:ncpus=2 -- "$TEST_TMP/trap.sh"
run=$JOBID
wait_job "$run" R
sleep 1 # the trap is set
submit -h -N waiting -p 10 -l select=1:ncpus=1 -- /bin/true
held=$JOBID
submit -N quick -l select=1:ncpus=1 -- /bin/true
quick=$JOBID
wait_job "$quick" F

# ---- qsig
qsig -s USR1 "$run" || fail "qsig -s USR1 $run"
wait_for 20 "the job to catch USR1" test -s usr1
job_is "$run" R || fail "the job did not survive USR1: $(job_state "$run")"
expect_fail 168 "Request invalid for state of job" qsig -s USR1 "$held"
expect_fail 2 "suspending jobs is not supported" qsig -s suspend "$run"
expect_fail 2 "unknown signal" qsig -s NOPE "$run"
echo "ok: qsig delivers a signal; refusals name why"

# ---- qmove
qmove workq "$held" || fail "qmove workq $held"
expect_fail 170 "Unknown queue express" qmove express "$held"
echo "ok: qmove"

# ---- qselect
sel () { qselect "$@" | tr '\n' ' ' | sed 's/ $//'; }
[ "$(sel)" = "$run $held" ] || fail "qselect: '$(sel)', want '$run $held'"
[ "$(sel -s R)" = "$run" ] || fail "qselect -s R: '$(sel -s R)'"
[ "$(sel -h u)" = "$held" ] || fail "qselect -h u: '$(sel -h u)'"
[ "$(sel -N trapper)" = "$run" ] || fail "qselect -N trapper: '$(sel -N trapper)'"
[ "$(sel -l ncpus.gt.1)" = "$run" ] || fail "qselect -l ncpus.gt.1: '$(sel -l ncpus.gt.1)'"
[ "$(sel -l ncpus.eq.1,walltime.le.24:00:00)" = "$held" ] || fail "qselect -l ncpus.eq.1,walltime: '$(sel -l ncpus.eq.1,walltime.le.24:00:00)'"
[ "$(sel -p .gt.5)" = "$held" ] || fail "qselect -p .gt.5: '$(sel -p .gt.5)'"
[ "$(sel -x -s F)" = "$quick" ] || fail "qselect -x -s F: '$(sel -x -s F)'"
[ "$(sel -H)" = "$quick" ] || fail "qselect -H: '$(sel -H)'"
[ "$(sel -u root)" = "$run $held" ] || fail "qselect -u root: '$(sel -u root)'"
[ -z "$(sel -u nobody)" ] || fail "qselect -u nobody: '$(sel -u nobody)'"
expect_fail 2 "expected RESOURCE.OP.VALUE" qselect -l ncpus
expect_fail 2 "execution times" qselect -a .gt.1200
echo "ok: qselect"

# ---- qrerun
need_users
ensure_user hu0820a
submit -N again -l select=1:ncpus=1 -- /bin/sleep 300
again=$JOBID
wait_job "$again" R
expect_fail 2 "usage" qrerun -W bogus "$again"
runner=$(as_user hu0820a qsub -l select=1:ncpus=1 -- /bin/sleep 300) || fail "qsub as hu0820a"
wait_job "$runner" R
expect_fail 159 "Unauthorized Request" as_user hu0820a qrerun "$runner"
qdel "$runner"
qrerun "$again" || fail "qrerun $again"
run2 () { [ "$(job_attr "$again" run_count)" = 2 ] && job_is "$again" R; }
wait_for 30 "job $again to run again" run2
tracejob "$again" | grep -q "rerun requested by uid 0" || fail "tracejob: no rerun event"
submit -r n -N once -l select=1:ncpus=1 -- /bin/sleep 300
once=$JOBID
wait_job "$once" R
expect_fail 1 "Job is not rerunnable" qrerun "$once"
qrerun -W force "$once" || fail "qrerun -W force $once"
run2 () { [ "$(job_attr "$once" run_count)" = 2 ] && job_is "$once" R; }
wait_for 30 "job $once to run again" run2
expect_fail 168 "Request invalid for state of job" qrerun "$held"
qdel "$again" "$once"
echo "ok: qrerun"

# ---- qorder: with one node free for one of two waiting jobs, the one
# moved ahead starts
submit -l select=1:ncpus=2 -- /bin/sleep 300
blocker=$JOBID
wait_job "$blocker" R
submit -l select=1:ncpus=2 -- /bin/sleep 300
o1=$JOBID
submit -l select=1:ncpus=2 -- /bin/sleep 300
o2=$JOBID
qorder "$o1" "$o2" || fail "qorder $o1 $o2"
expect_fail 168 "Request invalid for state of job" qorder "$o1" "$run"
expect_fail 2 "usage" qorder "$o1"
qdel "$blocker"
wait_job "$o2" R 30
job_is "$o1" Q || fail "after qorder $o1 $o2 and a node freed: $o1 is $(job_state "$o1"), want Q"
qdel "$o1" "$o2"
echo "ok: qorder"

# ---- tracejob
tracejob "$quick" >trace.out || fail "tracejob $quick"
cat trace.out
grep -q "^Job: $quick$" trace.out || fail "tracejob: no Job: line"
grep -Eq '^[0-9]{2}/[0-9]{2}/[0-9]{4} [0-9:]{8}  S    .*started on node0' trace.out ||
    fail "tracejob: no start event"
[ "$(grep -c '  S    ' trace.out)" -ge 3 ] || fail "tracejob: fewer than 3 events"
tracejob "$run" | grep -q "signal USR1 sent by uid 0" || fail "tracejob: the qsig is not in the history"
expect_fail 153 "Unknown Job Id 999" tracejob 999
echo "ok: tracejob"
qdel "$run" "$held"
exit 0
