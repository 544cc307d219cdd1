#!/bin/sh
# The fence and a controller outage (the controller is stopped with
# kill -STOP; its agents keep their connections but hear nothing).
# 1. Shorter than job_lease: the running job goes on untouched and ends
#    once, run_count 1, exit status 0.
# 2. Longer than job_lease: the shepherds kill their jobs when the lease
#    runs out (the agents cannot tell a stopped controller from a network
#    cut).  Once the controller is back, the rerunnable job runs again
#    (run_count 2, exit status 0, after the first run ended) and the -r n
#    job fails with exit status -4, as jobs of a lost node do.
. "$top_srcdir/tests/system/lib.sh"

HB_TIMEOUT=6
LEASE=8
GRACE=1
cluster_up --nodes 2 --ctld-opt kill_grace=$GRACE --ctld-opt heartbeat_interval=1 \
    --ctld-opt heartbeat_timeout=$HB_TIMEOUT --ctld-opt job_lease=$LEASE
work="$TEST_TMP/work"
mkdir -p "$work" && cd "$work" || fail "cannot make $work"

# A stopped controller is continued whatever happens (the exit status is kept).
STOPPED=""
cont_ctld () {
    [ -n "$STOPPED" ] && kill -CONT "$STOPPED" 2>/dev/null
    STOPPED=""
}
trap '_rc=$?; cont_ctld; (exit $_rc); _lib_exit' EXIT
stop_ctld () {
    kill -STOP "$CTLD_PID" || fail "kill -STOP huddle-ctld ($CTLD_PID)"
    STOPPED=$CTLD_PID
}

# job_script NAME: a rerunnable job appending "PID TIME" (PID: its shell,
# one per run) to NAME.ledger every 0.2 s until NAME.stop exists.
job_script () {
    cat >"$1.sh" <<JOB
#PBS -N $1
#PBS -r y
#PBS -l select=1:ncpus=1
n=0
while [ ! -e "$work/$1.stop" ] && [ \$n -lt 1500 ]; do
    echo "\$\$ \$(date +%s.%N)" >>"$work/$1.ledger"
    n=\$((n + 1))
    sleep 0.2
done
[ -e "$work/$1.stop" ]
JOB
    : >"$work/$1.ledger"
}
lines () {
    WAIT_SEEN="$(grep -c . "$work/$1.ledger") lines"
    [ "$(grep -c . "$work/$1.ledger")" -ge "$2" ]
}
running () {
    pgrep -f "$1" >/dev/null
}
runs () {
    cut -d ' ' -f 1 "$work/$1.ledger" | uniq | grep -c .
}

# ---- 1. A short outage.
job_script short
submit short.sh
short=$JOBID
wait_job "$short" R
wait_for 20 "$short to write" lines short 3
stop_ctld
sleep 3
cont_ctld
echo "controller stopped for 3 s (job_lease ${LEASE}s)"
before=$(grep -c . "$work/short.ledger")
wait_for 10 "$short to go on writing" lines short $((before + 5))
touch "$work/short.stop"
wait_job "$short" F
[ "$(job_attr "$short" Exit_status)" = 0 ] || fail "$short: Exit_status $(job_attr "$short" Exit_status), want 0"
[ "$(job_attr "$short" run_count)" = 1 ] || fail "$short: run_count $(job_attr "$short" run_count), want 1"
[ "$(runs short)" = 1 ] || fail "$short ran $(runs short) times"
echo "ok: a controller outage shorter than job_lease left the job alone"

# ---- 2. A long outage.
job_script long
submit long.sh
long=$JOBID
submit -r n -N once -l select=1:ncpus=1 -- /bin/sh -c "sleep 303.$$; true"
once=$JOBID
wait_job "$long" R
wait_job "$once" R
wait_for 20 "$long to write" lines long 3
wait_for 20 "the -r n job's sleep" running "sleep 303.$$"
stop_ctld
echo "controller stopped for $((LEASE + GRACE + 3)) s"
sleep $((LEASE + GRACE + 3))
running "sleep 303.$$" && fail "the -r n job still runs after its lease ran out"
at_cont=$(date +%s.%N)
last1=$(tail -n 1 "$work/long.ledger")
cont_ctld
echo "ok: the jobs were fenced while the controller was stopped"

wait_for 30 "$long to run again" lines long $(($(grep -c . "$work/long.ledger") + 5))
[ "$(job_attr "$long" run_count)" = 2 ] || fail "$long: run_count $(job_attr "$long" run_count), want 2"
touch "$work/long.stop"
wait_job "$long" F
[ "$(job_attr "$long" Exit_status)" = 0 ] || fail "$long: Exit_status $(job_attr "$long" Exit_status), want 0"
[ "$(runs long)" = 2 ] || fail "$long: $(runs long) runs in its ledger, want 2"
first2=$(awk -v pid="${last1%% *}" '$1 != pid { print; exit }' "$work/long.ledger")
awk -v a="${last1#* }" -v b="${first2#* }" -v c="$at_cont" 'BEGIN { exit !(a < c && c < b) }' ||
    fail "$long: run 1 last wrote at ${last1#* }, run 2 first at ${first2#* }, controller continued at $at_cont"
echo "ok: $long ran again after its fenced run (run_count 2, exit status 0)"
wait_job "$once" F
[ "$(job_attr "$once" Exit_status)" = -4 ] || fail "$once: Exit_status $(job_attr "$once" Exit_status), want -4"
echo "ok: the -r n job failed with Exit_status -4 ($(job_attr "$once" comment))"
exit 0
