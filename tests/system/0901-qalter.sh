#!/bin/sh
# qalter as a user meets it: a waiting job's walltime, select, priority
# and name change (qstat -f shows them, tracejob records who changed
# what), -h n releases it, within its queue's limits (PBS's "Job exceeds queue resource
# limits", exit 188); a job that did not fit starts once a smaller select
# fits; a raised priority moves a job ahead; a running job may change its
# name, priority and walltime (lowered by its owner, raised by root; a job
# past a lowered one is killed for it), not its select or execution time
# (PBS's "Cannot modify attribute while job running", 167); another user's
# job (159) and a
# finished job (168) are refused; bad values never reach the job.
. "$top_srcdir/tests/system/lib.sh"

need_root
need_users
ensure_user hu0901a
ensure_user hu0901b
cluster_up --nodes 1 --synthetic "pack:1 core:2 pu:1" \
    --ctld-opt "queues=workq short:max_walltime=30:00"
mkdir -m 1777 shared && cd shared || fail "mkdir shared"

# ---- a held job of hu0901a in queue short (its walltime: the queue's cap)
job=$(as_user hu0901a qsub -h -q short -N first -l select=1:ncpus=1 -- /bin/sleep 300) ||
    fail "qsub as hu0901a"
[ "$(job_attr "$job" Resource_List.walltime)" = 00:30:00 ] ||
    fail "walltime in short without a default: $(job_attr "$job" Resource_List.walltime)"
as_user hu0901a qalter -l walltime=10:00 "$job" || fail "qalter -l walltime=10:00"
as_user hu0901a qalter -l select=1:ncpus=2 -p 100 -N renamed "$job" || fail "qalter -l select -p -N"
[ "$(job_attr "$job" Resource_List.walltime)" = 00:10:00 ] ||
    fail "walltime after qalter: $(job_attr "$job" Resource_List.walltime)"
[ "$(job_attr "$job" Resource_List.select)" = 1:ncpus=2 ] ||
    fail "select after qalter: $(job_attr "$job" Resource_List.select)"
[ "$(job_attr "$job" Resource_List.ncpus)" = 2 ] ||
    fail "ncpus after qalter: $(job_attr "$job" Resource_List.ncpus)"
[ "$(job_attr "$job" Priority)" = 100 ] || fail "Priority after qalter: $(job_attr "$job" Priority)"
[ "$(job_attr "$job" Job_Name)" = renamed ] || fail "Job_Name after qalter: $(job_attr "$job" Job_Name)"
uid=$(id -u hu0901a)
tracejob "$job" >trace.out || fail "tracejob"
grep -q "altered: Resource_List.walltime=00:10:00 by uid $uid" trace.out ||
    fail "tracejob lacks the walltime change: $(cat trace.out)"
grep -q "altered: Job_Name=renamed Priority=100 Resource_List.select=1:ncpus=2 by uid $uid" trace.out ||
    fail "tracejob lacks the second change: $(cat trace.out)"
echo "ok: qalter changes a waiting job's walltime, select, priority and name, recorded"

# ---- refusals: the queue's limit, bad values, another user, nothing changed
expect_fail 188 "qalter: Job violates queue and/or server resource limits" as_user hu0901a qalter -l walltime=1:00:00 "$job"
expect_fail 166 "Illegal attribute or resource value select" as_user hu0901a qalter -l select=1:ncpus=x "$job"
expect_fail 2 "illegal -p value" as_user hu0901a qalter -p 5000 "$job"
expect_fail 2 "alters only walltime and select" as_user hu0901a qalter -l mem=1gb "$job"
expect_fail 159 "Unauthorized Request" as_user hu0901b qalter -p 1 "$job"
expect_fail 153 "Unknown Job Id" qalter -p 1 99999
[ "$(job_attr "$job" Resource_List.walltime)" = 00:10:00 ] || fail "a refused qalter changed the walltime"
[ "$(job_attr "$job" Priority)" = 100 ] || fail "a refused qalter changed the priority"
qalter -l walltime=20:00 "$job" || fail "root's qalter of hu0901a's job"
expect_fail 2 "user holds only" as_user hu0901a qalter -h s "$job"
echo "ok: qalter refuses what the queue or the value does not allow, and other users"

# ---- a job that does not fit starts once qalter makes it fit
submit -N blocker -l select=1:ncpus=1 -- /bin/sleep 300
blocker=$JOBID
wait_job "$blocker" R
as_user hu0901a qalter -h n "$job" || fail "qalter -h n (release)"
sleep 1 # passes after the release: it cannot fit while the blocker runs
job_is "$job" Q || fail "job $job is $(job_state "$job"), want Q behind the blocker"
as_user hu0901a qalter -l select=1:ncpus=1 "$job" || fail "qalter -l select=1:ncpus=1"
wait_job "$job" R
echo "ok: a waiting job altered to fit starts"

# ---- a running job: name, priority and walltime (its owner lowers it, root
#      may raise it), not its select or execution time
as_user hu0901a qalter -N running -p 7 "$job" || fail "qalter -N -p of a running job"
[ "$(job_attr "$job" Job_Name)" = running ] || fail "Job_Name of the running job: $(job_attr "$job" Job_Name)"
[ "$(job_attr "$job" Priority)" = 7 ] || fail "Priority of the running job: $(job_attr "$job" Priority)"
expect_fail 167 "qalter: Cannot modify attribute while job running" as_user hu0901a qalter -l select=1:ncpus=2 "$job"
expect_fail 167 "qalter: Cannot modify attribute while job running" as_user hu0901a qalter -a 2359 "$job"
expect_fail 159 "qalter: Unauthorized Request" as_user hu0901a qalter -l walltime=25:00 "$job"
[ "$(job_attr "$job" Resource_List.walltime)" = 00:20:00 ] ||
    fail "walltime of the running job changed: $(job_attr "$job" Resource_List.walltime)"
as_user hu0901a qalter -l walltime=5:00 "$job" || fail "the owner cannot lower a running job's walltime"
[ "$(job_attr "$job" Resource_List.walltime)" = 00:05:00 ] ||
    fail "walltime of the running job after qalter: $(job_attr "$job" Resource_List.walltime)"
qalter -l walltime=15:00 "$job" || fail "root cannot raise a running job's walltime"
[ "$(job_attr "$job" Resource_List.walltime)" = 00:15:00 ] ||
    fail "walltime of the running job after root's qalter: $(job_attr "$job" Resource_List.walltime)"
job_is "$job" R || fail "job $job is $(job_state "$job") after the qalter"
echo "ok: a running job's name, priority and walltime change; its select does not"

# ---- a raised priority moves a job ahead
: >order
submit -N one -l select=1:ncpus=2 -- /bin/sh -c "echo one >>$TEST_TMP/shared/order"
one=$JOBID
submit -N two -l select=1:ncpus=2 -- /bin/sh -c "echo two >>$TEST_TMP/shared/order"
two=$JOBID
qalter -p 10 "$two" || fail "qalter -p 10 $two"
qdel "$blocker" "$job"
wait_job "$one" F 60
wait_job "$two" F 60
[ "$(tr '\n' ' ' <order)" = "two one " ] || fail "start order '$(tr '\n' ' ' <order)', want 'two one '"
expect_fail 168 "Request invalid for state of job" qalter -p 1 "$one"
echo "ok: qalter -p moves a waiting job ahead; a finished job cannot change"

# ---- qalter -a: a waiting job's execution time, later or now
later=$(date -d '+3 hours' +%Y%m%d%H%M)
submit -a "$later" -N deferred -- /bin/true
deferred=$JOBID
job_is "$deferred" W || fail "job $deferred submitted with -a $later is $(job_state "$deferred"), want W"
t0=$(job_attr "$deferred" Execution_Time)
qalter -a "$(date -d '+5 hours' +%Y%m%d%H%M)" "$deferred" || fail "qalter -a +5h"
job_is "$deferred" W || fail "job $deferred after qalter -a +5h: $(job_state "$deferred")"
[ "$(job_attr "$deferred" Execution_Time)" != "$t0" ] || fail "Execution_Time still $t0 after qalter -a"
expect_fail 2 "qalter: illegal -a value" qalter -a 1299 "$deferred"
qalter -a "$(date -d '-2 minutes' +%Y%m%d%H%M)" "$deferred" || fail "qalter -a to a time past"
wait_job "$deferred" F 60
tracejob "$deferred" 2>&1 | grep -q "altered: Execution_Time=" || fail "tracejob $deferred: no qalter -a"
echo "ok: qalter -a moves a waiting job's execution time; a time past lets it run"

# ---- a running job whose walltime is lowered below its run time is killed
#      for its walltime by its shepherd, as PBS's MOM does
submit -N lowered -l select=1:ncpus=1 -l walltime=10:00 -- /bin/sleep 307
low=$JOBID
wait_job "$low" R
sleep 3
qalter -l walltime=2 "$low" || fail "qalter -l walltime=2 of a running job"
wait_job "$low" F 30
[ "$(job_attr "$low" Exit_status)" = -29 ] ||
    fail "job $low after its walltime was lowered: Exit_status $(job_attr "$low" Exit_status), want -29"
grep -q "=>> PBS: job killed: walltime" "lowered.e${low%%.*}" ||
    fail "no PBS walltime line in lowered.e${low%%.*}: $(cat "lowered.e${low%%.*}" 2>&1)"
echo "ok: a walltime lowered below the run time ends the job as its walltime"

# ---- lowered while its node's agent is away (kill -9): the agent that
#      comes back is told again when the controller adopts the job
submit -N away -l select=1:ncpus=1 -l walltime=10:00 -- /bin/sh -c "touch $PWD/away.up; exec sleep 308"
away=$JOBID
wait_for 30 "job $away to run" test -e away.up
pid=$(agent_pid node01)
kill -9 "$pid" || fail "kill -9 agent node01 ($pid)"
qalter -l walltime=3 "$away" || fail "qalter -l walltime=3 while the agent is away"
sleep 4
job_is "$away" R || fail "job $away is $(job_state "$away") while its agent is away"
"$HUDDLE_CLUSTER" restart-agent node01 --dir "$CLUSTER_DIR" || fail "restart-agent node01 failed"
wait_job "$away" F 30
[ "$(job_attr "$away" Exit_status)" = -29 ] ||
    fail "job $away after its agent came back: Exit_status $(job_attr "$away" Exit_status), want -29"
echo "ok: an agent away when the walltime was lowered is told once it registers"
