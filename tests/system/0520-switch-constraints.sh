#!/bin/sh
# qsub -l place=...:group=switch (PBS's placement-set spelling) and
# -l switches=N[@[[HH:]MM:]SS] (Slurm's --switches) are accepted, kept with
# the job (qstat -f's Resource_List) and honoured: on a cluster without a
# declared fabric every node is under one leaf, so a two-node job that asks
# for one leaf runs.  Misspelt values are refused at qsub with a reason.
. "$top_srcdir/tests/system/lib.sh"

cluster_up --nodes 2
cd "$TEST_TMP" || fail "cd $TEST_TMP"

# 1. group=switch and switches=1@5:00 on a two-node job: it runs.
submit -l select=2:ncpus=1,place=scatter:group=switch -l switches=1@5:00 -- /bin/true
id=$JOBID
[ "$(job_attr "$id" Resource_List.place)" = "scatter:group=switch" ] ||
    fail "Resource_List.place: '$(job_attr "$id" Resource_List.place)', want scatter:group=switch"
[ "$(job_attr "$id" Resource_List.switches)" = "1@00:05:00" ] ||
    fail "Resource_List.switches: '$(job_attr "$id" Resource_List.switches)', want 1@00:05:00"
wait_job "$id" F
[ "$(job_attr "$id" Exit_status)" = 0 ] || fail "job $id: Exit_status $(job_attr "$id" Exit_status)"
hosts=$(job_attr "$id" exec_host)
case "$hosts" in *+*) ;; *) fail "exec_host '$hosts': want two nodes" ;; esac
echo "ok: group=switch and switches=1@5:00 are kept and the two-node job ran on $hosts"

# The job's comment records whether switches=N was met.
submit -l select=2:ncpus=1,place=scatter -l switches=1 -- /bin/sleep 300
wait_job "$JOBID" R
comment=$(job_attr "$JOBID" comment)
case "$comment" in
    "Job run on "*"; switches=1 met: 1 leaf switches") ;;
    *) fail "comment of a running switches=1 job: '$comment'" ;;
esac
qdel "$JOBID" || fail "qdel $JOBID"
wait_job "$JOBID" F
echo "ok: the comment says switches=1 was met"

# 2. switches without a wait: forever, shown as the bare count.
submit -l select=1:ncpus=1 -l switches=2 -- /bin/true
[ "$(job_attr "$JOBID" Resource_List.switches)" = 2 ] ||
    fail "Resource_List.switches: '$(job_attr "$JOBID" Resource_List.switches)', want 2"
wait_job "$JOBID" F
echo "ok: switches=2"

# 3. Refusals name what is wrong.
expect_refused () {
    want=$1
    shift
    qsub "$@" -- /bin/true >"$TEST_TMP/out" 2>"$TEST_TMP/err" && fail "qsub $* was accepted"
    grep -qF "$want" "$TEST_TMP/err" || fail "qsub $*: want '$want' in: $(cat "$TEST_TMP/err")"
}
expect_refused 'unknown group "rack" (nodes are grouped by switch: use group=switch)' \
    -l place=scatter:group=rack
expect_refused 'switch count "0" is not a number from 1 to 100000' -l switches=0
expect_refused 'wait after @: missing (use N@[[HH:]MM:]SS)' -l switches=2@
echo "ok: bad group= and switches= values are refused with a reason"
