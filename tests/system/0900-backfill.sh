#!/bin/sh
# EASY backfill as a user sees it through qsub and qstat -f, on one node
# of 4 cores.  A (2 cores, walltime 5 min) runs.  B (4 cores) cannot
# start: it gets the reservation, and qstat -f shows when it is expected
# to start (estimated.start_time = A's start + 5 min, A's expected end)
# and where (estimated.exec_vnode), with the comment saying why it waits.
# C (1 core, 1 min) ends before then: it is backfilled and runs at once.
# D (1 core, 1 h) would still hold a core of the reserved node at that
# time: it waits, and its comment names B's reservation.
. "$top_srcdir/tests/system/lib.sh"

cluster_up --nodes 1 --synthetic "core:4 pu:1"

submit -N a -l select=1:ncpus=2 -l walltime=00:05:00 -- /bin/sleep 300
a=$JOBID
wait_job "$a" R
submit -N b -l select=1:ncpus=4 -l walltime=00:10:00 -- /bin/true
b=$JOBID
submit -N c -l select=1:ncpus=1 -l walltime=00:01:00 -- /bin/sleep 60
c=$JOBID
submit -N d -l select=1:ncpus=1 -l walltime=01:00:00 -- /bin/sleep 60
d=$JOBID

# held_back ID: ID waits, its comment naming B's reservation.
held_back () {
    WAIT_SEEN=$(job_attr "$1" comment)
    case $WAIT_SEEN in
    "Not Running: would delay the reservation for job $b") return 0 ;;
    esac
    return 1
}

wait_job "$c" R 10
echo "ok: the short job $c was backfilled next to $a"
wait_for 10 "job $d to wait for $b's reservation" held_back "$d"
why=$WAIT_SEEN
job_is "$d" Q || fail "job $d is $WAIT_SEEN, want Q"
echo "ok: the long job $d waits: $why"

job_is "$b" Q || fail "job $b is $WAIT_SEEN, want Q"
est=$(job_attr "$b" estimated.start_time)
[ -n "$est" ] || fail "job $b has no estimated.start_time: $(qstat -f "$b")"
stime=$(job_attr "$a" stime)
want=$(($(date -d "$stime" +%s) + 300))
got=$(date -d "$est" +%s) || fail "estimated.start_time '$est' is not a time"
[ "$got" = "$want" ] ||
    fail "job $b estimated.start_time $est ($got), want $a's start $stime + 5 min ($want)"
vnode=$(job_attr "$b" estimated.exec_vnode)
[ "$vnode" = "(node01:ncpus=4)" ] || fail "job $b estimated.exec_vnode '$vnode', want (node01:ncpus=4)"
comment=$(job_attr "$b" comment)
[ "$comment" = "Not Running: not enough free resources" ] ||
    fail "job $b comment '$comment', want Not Running: not enough free resources"
echo "ok: job $b is expected at $est on $vnode ($comment)"
qstat -f "$b" | grep -E "comment|estimated"

# A running job shows no estimate: the one attribute goes with the queue.
[ -z "$(job_attr "$c" estimated.start_time)" ] || fail "running job $c shows an estimated.start_time"
exit 0
