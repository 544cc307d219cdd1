#!/bin/sh
# The controller and the agent read the job object with one codec: a job
# the controller accepts, the agent runs.  A walltime above 2^31 seconds
# (qsub allows 100 years; the agent's own decoder stopped at 2147483647)
# used to be accepted by job.submit and refused by the agent at launch, so
# the job ended with Exit_status -1 without running.
. "$top_srcdir/tests/system/lib.sh"

cluster_up --nodes 1

work="$TEST_TMP/work"
mkdir -p "$work" || fail "cannot make $work"
cd "$work" || fail "cannot cd to $work"

# 800000 hours: 2880000000 s, above 2^31 and under qsub's 100 years.
submit -l walltime=800000:00:00 -o "$work/long.out" -j oe -- /bin/echo ran
wait_job "$JOBID" F
status=$(job_attr "$JOBID" Exit_status)
[ "$status" = 0 ] || fail "Exit_status $status, want 0 (comment: $(job_attr "$JOBID" comment))"
[ "$(cat "$work/long.out")" = ran ] || fail "long.out: $(cat "$work/long.out" 2>&1)"
[ "$(job_attr "$JOBID" Resource_List.walltime)" = 800000:00:00 ] ||
    fail "Resource_List.walltime: $(job_attr "$JOBID" Resource_List.walltime)"
echo "ok: a job with walltime 800000:00:00 ran"
