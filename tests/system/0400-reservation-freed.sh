#!/bin/sh
# A job queued behind a reservation starts as soon as the reserving job
# leaves the queue.  One node with 2 cores, the default EASY policy: A (1
# core, the default 24 h walltime, sleep 20) runs; B (2 cores) waits and
# gets the reservation at A's expected end; C (1 core, 48 h) waits behind
# it although a core is free, since it would still run then.  When B is
# deleted (qdel), and separately when it is held (qhold), nothing is
# freed but C's way is: C must start at once (within a second), not when
# A ends.
. "$top_srcdir/tests/system/lib.sh"

cluster_up --nodes 1 --synthetic "core:2 pu:1"

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

# reserved B C: B has a reservation (estimated.start_time) and C waits
# for it, saying so.
reserved () {
    [ -n "$(job_attr "$1" estimated.start_time)" ] || return 1
    WAIT_SEEN=$(job_attr "$2" comment)
    case $WAIT_SEEN in
    *"reservation for job $1"*) return 0 ;;
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
    submit -N c -l select=1:ncpus=1 -l walltime=48:00:00 -- /bin/sleep 20
    c=$JOBID
    wait_for 10 "job $b to hold the reservation, job $c to wait for it" reserved "$b" "$c"
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
