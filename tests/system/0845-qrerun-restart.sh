#!/bin/sh
# qrerun across a controller restart: a job whose run is being killed for
# qrerun (it ignores TERM, so its run lives on until the KILL after
# kill_grace) when the controller restarts is still queued again and runs
# a second time, rather than finishing with the killed run's status.
. "$top_srcdir/tests/system/lib.sh"

need_root
cluster_up --nodes 1 --synthetic "pack:1 core:2 pu:1" --ctld-opt kill_grace=6

cat >stubborn.sh <<EOS
#!/bin/sh
trap '' TERM
echo "run \$(date +%s%N)" >>"$TEST_TMP/runs"
touch "$TEST_TMP/trap.\$PBS_JOBID"
while :; do sleep 1; done
EOS
chmod +x stubborn.sh
submit -N stubborn -l select=1:ncpus=1 -- "$TEST_TMP/stubborn.sh"
job=$JOBID
wait_job "$job" R
wait_for 20 "the job to ignore TERM" test -e "trap.$job"
qrerun "$job" || fail "qrerun $job"
"$HUDDLE_CLUSTER" restart-ctld --dir "$CLUSTER_DIR" || fail "restart-ctld failed"
CTLD_PID=$(cat "$CLUSTER_DIR/huddle-ctld.pid")
[ "$(grep -c . runs)" = 1 ] || fail "the run ended before the restart: $(cat runs)"
again () {
    WAIT_SEEN="$(job_state "$job") run_count $(job_attr "$job" run_count)"
    [ "$WAIT_SEEN" = "R run_count 2" ]
}
wait_for 40 "job $job to run again" again
two_runs () { WAIT_SEEN=$(cat runs); [ "$(grep -c . runs)" = 2 ]; }
wait_for 20 "the second run to start" two_runs
tracejob "$job" | grep -q "rerun (qrerun)" || fail "tracejob: no rerun event: $(tracejob "$job")"
[ -z "$(job_attr "$job" Exit_status)" ] || fail "the rerun job has an exit status: $(job_attr "$job" Exit_status)"
qdel "$job"
wait_job "$job" F 30
echo "ok: a qrerun interrupted by a controller restart still queues the job again"
exit 0
