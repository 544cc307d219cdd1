#!/bin/sh
# A job queued behind a reservation starts as soon as the reserving job
# leaves the queue.  starvation_limit=0 makes every waiting job reserve;
# one node with 2 cores: A (1 core, sleep 20) runs; B (2 cores) waits and
# reserves the node; C (1 core) waits behind the reservation although a
# core is free.  When B is deleted (qdel), and separately when it is held
# (qhold), nothing is freed but C's way is: C must start at once (within
# a second), not when A ends.
. "$top_srcdir/tests/system/lib.sh"

cluster_up --nodes 1 --synthetic "core:2 pu:1" --ctld-opt starvation_limit=0

# starts_soon ID: true once ID runs, polled for about a second (times SLOW).
starts_soon () {
    _n=$((10 * SLOW))
    while [ $_n -gt 0 ]; do
        job_is "$1" R && return 0
        sleep 0.1
        _n=$((_n - 1))
    done
    return 1
}

reserved () {
    WAIT_SEEN=$(job_attr "$1" comment)
    case $WAIT_SEEN in
    *"being drained for this job"*) return 0 ;;
    esac
    return 1
}

# scenario ACTION: A runs, B reserves, C waits; ACTION B; C must start.
scenario () {
    submit -N a -l select=1:ncpus=1 -- /bin/sleep 20
    a=$JOBID
    wait_job "$a" R
    submit -N b -l select=1:ncpus=2 -- /bin/true
    b=$JOBID
    submit -N c -l select=1:ncpus=1 -- /bin/sleep 20
    c=$JOBID
    wait_for 10 "job $b to hold the reservation" reserved "$b"
    job_is "$c" Q || fail "job $c is $WAIT_SEEN before $1 $b, want Q behind the reservation"
    job_is "$a" R || fail "job $a is $WAIT_SEEN before $1 $b, want R"
    "$1" "$b" >"$TEST_TMP/action.out" 2>&1 || fail "$1 $b: $(cat "$TEST_TMP/action.out")"
    starts_soon "$c" ||
        fail "$1 $b: job $c still $WAIT_SEEN a second later, with a core free (job $a is $(job_state "$a"))"
    # Clean up for the next scenario.
    qdel "$a" "$c" "$b" >/dev/null 2>&1
    for j in "$a" "$c" "$b"; do
        wait_job "$j" F
    done
}

scenario qdel
scenario qhold
exit 0
