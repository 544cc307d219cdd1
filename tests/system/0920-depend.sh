#!/bin/sh
# qsub -W depend=TYPE:JOBID[:JOBID...][,TYPE:...] with real jobs, one that
# exits 0 (ok) and one that exits 1 (bad): each waiting job is held (state
# H, Hold_Types s, a comment naming what it waits for) until its
# dependency is met, then runs; one that can never be met stays held with
# a comment saying which; qstat -f shows depend as PBS writes it; unknown
# jobs and finished jobs that already rule a dependency out are refused at
# qsub in PBS's words; a held dependent survives a controller restart;
# an array (SEQ[]) may be depended on: started, or its status.
. "$top_srcdir/tests/system/lib.sh"

need_root
cluster_up --nodes 2 --synthetic "pack:1 core:2 pu:1"

# gate.sh STATUS: waits for go.$PBS_JOBID, then exits with STATUS
cat >gate.sh <<EOS
#!/bin/sh
while [ ! -e "$TEST_TMP/go.\$PBS_JOBID" ]; do sleep 0.1; done
exit \$1
EOS
chmod +x gate.sh
seq_of () { echo "${1%%.*}"; }
dep () { submit -W "depend=$1" -l select=1:ncpus=1 -- /bin/true; }
held_on_deps () {
    job_is "$1" H || return 1
    WAIT_SEEN="$(job_state "$1") $(job_attr "$1" Hold_Types)"
    [ "$(job_attr "$1" Hold_Types)" = s ]
}
comment_is () { WAIT_SEEN=$(job_attr "$1" comment); case "$WAIT_SEEN" in *"$2"*) return 0 ;; esac; return 1; }

submit -h -N ok -l select=1:ncpus=1 -- "$TEST_TMP/gate.sh" 0
ok=$JOBID
submit -h -N bad -l select=1:ncpus=1 -- "$TEST_TMP/gate.sh" 1
bad=$JOBID
SRV=${ok#*.} # the server name
dep "after:$ok"; after_ok=$JOBID
dep "afterok:$ok"; afterok_ok=$JOBID
dep "afternotok:$ok"; afternotok_ok=$JOBID
dep "afterany:$bad"; afterany_bad=$JOBID
dep "afterok:$bad"; afterok_bad=$JOBID
dep "afternotok:$bad"; afternotok_bad=$JOBID
dep "afterok:$ok,afternotok:$bad"; both=$JOBID
for j in $after_ok $afterok_ok $afternotok_ok $afterany_bad $afterok_bad $afternotok_bad $both; do
    held_on_deps "$j" || fail "$j: not held on its dependencies: $WAIT_SEEN"
done
comment_is "$afterok_ok" "Job held: waiting for dependency afterok:$ok" ||
    fail "comment of $afterok_ok: $WAIT_SEEN"
have=$(job_attr "$afterok_ok" depend)
[ "$have" = "afterok:$ok@$SRV" ] || fail "depend of $afterok_ok: '$have', want afterok:$ok@$SRV"
have=$(job_attr "$both" depend)
[ "$have" = "afterok:$ok@$SRV,afternotok:$bad@$SRV" ] || fail "depend of $both: '$have'"
[ "$(qselect -h s | tr '\n' ' ')" = "$after_ok $afterok_ok $afternotok_ok $afterany_bad $afterok_bad $afternotok_bad $both " ] ||
    fail "qselect -h s: $(qselect -h s | tr '\n' ' ')"
qrls "$afterok_ok" || fail "qrls $afterok_ok"
held_on_deps "$afterok_ok" || fail "qrls released a job held on its dependencies: $WAIT_SEEN"
echo "ok: seven jobs held (H, Hold_Types s) on their dependencies; qrls leaves them so"

expect_fail 153 "Unknown Job Id 999999.$SRV" qsub -W depend=afterok:999999 -- /bin/true
expect_fail 153 "Unknown Job Id $(seq_of "$ok").otherserver" qsub -W "depend=afterok:$(seq_of "$ok").otherserver" -- /bin/true
expect_fail 1 "beforeok dependencies are not supported" qsub -W "depend=beforeok:$ok" -- /bin/true
echo "ok: unknown jobs and before types refused at qsub"

# after: met once ok starts
qrls "$ok"
wait_job "$ok" R
wait_job "$after_ok" F
job_is "$afterok_ok" H || fail "afterok:$ok released while $ok runs: $(job_state "$afterok_ok")"
echo "ok: after: ran once $ok started"

# ok exits 0: afterok runs, afternotok can never be met
touch "go.$ok"
wait_job "$ok" F
wait_job "$afterok_ok" F
[ "$(job_attr "$afterok_ok" Exit_status)" = 0 ] || fail "$afterok_ok did not run"
wait_for 10 "the never comment on $afternotok_ok" comment_is "$afternotok_ok" \
    "dependency afternotok:$ok can never be met: job $ok ended with exit status 0"
held_on_deps "$afternotok_ok" || fail "$afternotok_ok: $WAIT_SEEN"
held_on_deps "$both" || fail "$both released before $bad ended: $WAIT_SEEN"
comment_is "$both" "waiting for dependency afternotok:$bad" || fail "comment of $both: $WAIT_SEEN"
echo "ok: afterok ran after a job that exited 0; afternotok stays held, saying why"

# bad exits 1: afterany and afternotok run, afterok can never be met
qrls "$bad"
wait_job "$bad" R
touch "go.$bad"
wait_job "$bad" F
[ "$(job_attr "$bad" Exit_status)" = 1 ] || fail "$bad: exit status $(job_attr "$bad" Exit_status)"
wait_job "$afterany_bad" F
wait_job "$afternotok_bad" F
wait_job "$both" F
wait_for 10 "the never comment on $afterok_bad" comment_is "$afterok_bad" \
    "dependency afterok:$bad can never be met: job $bad ended with exit status 1"
held_on_deps "$afterok_bad" || fail "$afterok_bad: $WAIT_SEEN"
echo "ok: afterany and afternotok ran after a job that exited 1; afterok stays held"

# at qsub, a finished job's outcome decides at once
dep "afterok:$ok"
wait_job "$JOBID" F
expect_fail 1 "Finished job did not satisfy dependency: afterok:$bad can never be met: job $bad ended with exit status 1" \
    qsub -W "depend=afterok:$bad" -- /bin/true
echo "ok: a dependency on a finished job: met at once, or refused in PBS's words"

# a held dependent across a controller restart
submit -h -N later -l select=1:ncpus=1 -- /bin/true
later=$JOBID
dep "afterok:$later"; waits=$JOBID
"$HUDDLE_CLUSTER" restart-ctld --dir "$CLUSTER_DIR" || fail "restart-ctld failed"
CTLD_PID=$(cat "$CLUSTER_DIR/huddle-ctld.pid")
held_on_deps "$waits" || fail "after a restart: $waits $WAIT_SEEN"
[ "$(job_attr "$waits" depend)" = "afterok:$later@$SRV" ] || fail "after a restart: depend '$(job_attr "$waits" depend)'"
qrls "$later"
wait_job "$later" F
wait_job "$waits" F
echo "ok: a job held on its dependency across a controller restart runs once it is met"
# dependencies on whole arrays (SEQ[]): after = its first subjob started;
# afterok / afternotok = its status (PBS: 0 every subjob exited 0, else 1)
submit -h -J 1-2 -N arrgood -l select=1:ncpus=1 -- /bin/true
agood=$JOBID
submit -h -J 1-2 -N arrbad -l select=1:ncpus=1 -- /bin/sh -c 'exit $((PBS_ARRAY_INDEX - 1))'
abad=$JOBID
dep "afterok:$agood"; on_good=$JOBID
dep "after:$agood"; on_start=$JOBID
dep "afternotok:$abad"; on_bad=$JOBID
dep "afterok:$abad"; never_arr=$JOBID
for j in $on_good $on_start $on_bad $never_arr; do
    held_on_deps "$j" || fail "$j should wait on an array: $WAIT_SEEN"
done
[ "$(job_attr "$on_good" depend)" = "afterok:$agood@$SRV" ] ||
    fail "depend on an array: '$(job_attr "$on_good" depend)', want afterok:$agood@$SRV"
expect_fail 153 "Unknown Job Id ${agood%%[[]*}\.$SRV" qsub -W "depend=afterok:${agood%%[[]*}" -- /bin/true
expect_fail 153 "Unknown Job Id ${on_good%%.*}\[\]\.$SRV" qsub -W "depend=afterok:${on_good%%.*}[]" -- /bin/true
expect_fail 1 "dependencies on single subjobs are not supported" \
    qsub -W "depend=afterok:${agood%%[[]*}[1]" -- /bin/true
qrls "$agood" "$abad" || fail "qrls $agood $abad"
wait_job "$agood" F
wait_job "$abad" F
[ "$(job_attr "$agood" Exit_status)" = 0 ] || fail "$agood: Exit_status $(job_attr "$agood" Exit_status), want 0"
[ "$(job_attr "$abad" Exit_status)" = 1 ] || fail "$abad: Exit_status $(job_attr "$abad" Exit_status), want 1"
for j in $on_good $on_start $on_bad; do wait_job "$j" F; done
never_said () {
    WAIT_SEEN=$(job_attr "$never_arr" comment)
    printf '%s\n' "$WAIT_SEEN" | grep -qF "afterok:$abad can never be met: job $abad ended with exit status 1"
}
wait_for 20 "$never_arr's comment" never_said
job_is "$never_arr" H || fail "$never_arr ran though $abad ended with status 1"
echo "ok: dependencies on arrays wait for the array's start or its status"

qdel "$afternotok_ok" "$afterok_bad" "$never_arr"
exit 0
