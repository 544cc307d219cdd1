#!/bin/sh
# Queues from the controller's config, as a user meets them: qstat -Q (and
# -Qf, -B, -F json) in OpenPBS's layouts, counting jobs as they come, run
# and move; qsub -q (and #PBS -q, QUEUE@SERVER) refused with PBS's words
# and exit statuses for an unknown queue (170), a disabled one (173) and a
# walltime above the queue's maximum (188); a job without walltime given
# its queue's default; max_user_run holding a user's second job with the
# comment naming the limit, then starting it when the first ends (another
# user unaffected); the order of starts by queue priority, then job
# priority, then age; qmove with the destination's limits; and after a
# controller restart every job still in its queue.
. "$top_srcdir/tests/system/lib.sh"

need_root
need_users
ensure_user hu0900a
ensure_user hu0900b
cluster_up --nodes 2 --synthetic "pack:1 core:2 pu:1" \
    --ctld-opt "queues=workq express:priority=100,max_walltime=1:00:00,default_walltime=10:00,max_user_run=1 low:priority=-100 closed:enabled=false"

# ---- qstat -Q: every queue, nothing in them yet
qstat -Q >q0.out || fail "qstat -Q"
cat >q0.want <<'EOF'
Queue              Max   Tot Ena Str   Que   Run   Hld   Wat   Trn   Ext Type
---------------- ----- ----- --- --- ----- ----- ----- ----- ----- ----- ----
workq                0     0 yes yes     0     0     0     0     0     0 Exe*
express              0     0 yes yes     0     0     0     0     0     0 Exe*
low                  0     0 yes yes     0     0     0     0     0     0 Exe*
closed               0     0  no yes     0     0     0     0     0     0 Exe*
EOF
diff -u q0.want q0.out || fail "qstat -Q differs"
qstat -Qf express >qf.out || fail "qstat -Qf express"
for line in "Queue: express" "    queue_type = Execution" "    Priority = 100" \
    "    max_run = [u:PBS_GENERIC=1]" "    resources_max.walltime = 01:00:00" \
    "    resources_default.walltime = 00:10:00" "    enabled = True" "    started = True"; do
    grep -qxF "$line" qf.out || fail "qstat -Qf express lacks '$line': $(cat qf.out)"
done
[ "$(grep -c '^Queue: ' qf.out)" = 1 ] || fail "qstat -Qf express shows other queues: $(cat qf.out)"
qstat -Q -F json low | python3 -c 'import json,sys; q=json.load(sys.stdin)["Queue"]; assert list(q)==["low"] and q["low"]["Priority"]==-100 and q["low"]["total_jobs"]==0, q' ||
    fail "qstat -Q -F json low"
expect_fail 170 "qstat: Unknown queue nosuch" qstat -Q nosuch
qstat -B >b.out || fail "qstat -B"
sed -n 1p b.out | grep -q '^Server             Max   Tot   Que   Run   Hld   Wat   Trn   Ext Status$' ||
    fail "qstat -B header: $(cat b.out)"
sed -n 3p b.out | grep -Eq '^[^ ]+ +0 +0 +0 +0 +0 +0 +0 +0 Active' || fail "qstat -B row: $(cat b.out)"
qstat -Bf | grep -qxF "    default_queue = workq" || fail "qstat -Bf: no default_queue = workq"
echo "ok: qstat -Q, -Qf, -Q -F json, -B, -Bf"

# ---- qsub's refusals, in PBS's words and exit statuses
expect_fail 170 "^qsub: Unknown queue nosuch$" qsub -q nosuch -- /bin/true
expect_fail 173 "^qsub: Queue is not enabled$" qsub -q closed -- /bin/true
expect_fail 188 "^qsub: Job violates queue and/or server resource limits$" qsub -q express -l walltime=2:00:00 -- /bin/true
printf '#!/bin/sh\n#PBS -q express\n#PBS -l walltime=1:00:01\ntrue\n' >toolong.sh
expect_fail 188 "^qsub: Job violates queue and/or server resource limits$" qsub toolong.sh
expect_fail 170 "Unknown queue express@elsewhere" qsub -q express@elsewhere -- /bin/true
echo "ok: unknown, disabled and exceeded queues refused at qsub"

# ---- the queue's default walltime; QUEUE@SERVER and #PBS -q
server=$(qstat -Bf | sed -n 's/^Server: //p')
submit -h -q "express@$server" -- /bin/true
ex=$JOBID
[ "$(job_attr "$ex" queue)" = express ] || fail "qsub -q express@$server: queue $(job_attr "$ex" queue)"
[ "$(job_attr "$ex" Resource_List.walltime)" = 00:10:00 ] ||
    fail "express default walltime: $(job_attr "$ex" Resource_List.walltime)"
printf '#!/bin/sh\n#PBS -q low\ntrue\n' >low.sh
submit -h low.sh
lw=$JOBID
[ "$(job_attr "$lw" queue)" = low ] || fail "#PBS -q low: queue $(job_attr "$lw" queue)"
[ "$(job_attr "$lw" Resource_List.walltime)" = 24:00:00 ] ||
    fail "low default walltime (the server's): $(job_attr "$lw" Resource_List.walltime)"
qstat -Q >q1.out
grep -Eq '^express +0 +1 yes yes +0 +0 +1 ' q1.out || fail "qstat -Q after a held express job: $(cat q1.out)"
grep -Eq '^low +0 +1 yes yes +0 +0 +1 ' q1.out || fail "qstat -Q after a held low job: $(cat q1.out)"
echo "ok: a job without walltime gets its queue's default"

# ---- qmove: the destination's limits, the counts follow
submit -h -l walltime=2:00:00 -- /bin/true
long=$JOBID
expect_fail 188 "Job violates queue and/or server resource limits" qmove express "$long"
expect_fail 173 "Queue is not enabled" qmove closed "$long"
expect_fail 170 "Unknown queue nosuch" qmove nosuch "$long"
qmove low "$ex" || fail "qmove low $ex"
[ "$(job_attr "$ex" queue)" = low ] || fail "after qmove: queue $(job_attr "$ex" queue)"
tracejob "$ex" | grep -q "moved from queue express to queue low by uid 0" || fail "tracejob: no move event"
qstat -Q >q2.out
grep -Eq '^express +0 +0 ' q2.out || fail "qstat -Q after qmove: express: $(cat q2.out)"
grep -Eq '^low +0 +2 yes yes +0 +0 +2 ' q2.out || fail "qstat -Q after qmove: low: $(cat q2.out)"
qstat low >low.out || fail "qstat low"
grep -q "^$ex " low.out && grep -q "^$lw " low.out && [ "$(grep -c ' low ' low.out)" = 2 ] ||
    fail "qstat low lists other jobs or misses one: $(cat low.out)"
qdel "$ex" "$lw" "$long"
echo "ok: qmove checks the destination; qstat -Q counts follow"

# ---- max_user_run: the second job of a user waits, saying why
# (the users' jobs write their output where they may)
mkdir -m 1777 shared && cd shared || fail "mkdir shared"
a1=$(as_user hu0900a qsub -q express -- /bin/sleep 300) || fail "qsub as hu0900a"
wait_job "$a1" R
a2=$(as_user hu0900a qsub -q express -- /bin/sleep 300) || fail "qsub as hu0900a"
b1=$(as_user hu0900b qsub -q express -- /bin/sleep 300) || fail "qsub as hu0900b"
wait_job "$b1" R
want="Not Running: User has reached queue express running job limit (max_user_run=1)"
has_comment () { WAIT_SEEN=$(job_attr "$1" comment); [ "$WAIT_SEEN" = "$2" ]; }
wait_for 20 "job $a2's comment to name the limit" has_comment "$a2" "$want"
job_is "$a2" Q || fail "job $a2 is $(job_state "$a2"), want Q (a free cpu is there, the limit holds it)"
qstat -Q express | grep -Eq '^express +0 +3 yes yes +1 +2 ' || fail "qstat -Q express: $(qstat -Q express)"
qdel "$a1"
wait_job "$a2" R
qstat -Q express | grep -Eq '^express +0 +2 yes yes +0 +2 ' || fail "qstat -Q express: $(qstat -Q express)"
qdel "$a2" "$b1"
wait_job "$a2" F
wait_job "$b1" F
cd "$TEST_TMP" || fail "cd $TEST_TMP"
echo "ok: max_user_run holds a user's second job, with the comment, and starts it after"

# ---- order of starts: queue priority, then job priority, then age
submit -N blocker -l select=2:ncpus=2 -- /bin/sleep 300
blocker=$JOBID
wait_job "$blocker" R
: >order
for spec in "low 0 a" "workq 0 b" "workq 10 c" "express -50 d" "workq 0 e"; do
    set -- $spec
    submit -q "$1" -p "$2" -N "$3" -l select=2:ncpus=2 -- /bin/sh -c "echo $3 >>$TEST_TMP/order"
    eval "job_$3=\$JOBID"
done
qdel "$blocker"
wait_job "$job_a" F 60
[ "$(tr '\n' ' ' <order)" = "d c b e a " ] ||
    fail "start order '$(tr '\n' ' ' <order)', want 'd c b e a ' (queue priority, job priority, age)"
echo "ok: jobs start by queue priority, then job priority, then age"

# ---- a controller restart keeps the queues and every job in its own
submit -h -q express -- /bin/true
kept=$JOBID
submit -h -q low -- /bin/true
kept2=$JOBID
qstat -Q >before.out
"$HUDDLE_CLUSTER" restart-ctld --dir "$CLUSTER_DIR" 2>"$TEST_TMP/err" || fail "restart-ctld: $(cat "$TEST_TMP/err")"
[ "$(job_attr "$kept" queue)" = express ] || fail "after restart: $kept in $(job_attr "$kept" queue)"
[ "$(job_attr "$kept2" queue)" = low ] || fail "after restart: $kept2 in $(job_attr "$kept2" queue)"
qstat -Q >after.out
diff -u before.out after.out || fail "qstat -Q changed across the restart"
qrls "$kept"
wait_job "$kept" F
echo "ok: queues and the jobs in them survive a controller restart"
