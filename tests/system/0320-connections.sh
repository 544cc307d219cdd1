#!/bin/sh
# One user cannot take the controller's file descriptors: connections per
# user are capped (max_user_connections), a command's idle connection is
# closed (client_idle_timeout), and when the descriptor limit is near, other
# users are refused while root and the agents still get in
# (reserved_connections).  Each refusal says why, and the log says so too.
# Prints the other users' qstat latency and the controller's descriptors.
. "$top_srcdir/tests/system/lib.sh"

need_users
need_raw_client
command -v prlimit >/dev/null 2>&1 || skip "no prlimit"
ensure_user hu0320a
ensure_user hu0320b
ensure_user hu0320c
idle=6
cluster_up --nodes 2 --ctld-opt client_idle_timeout=$idle --ctld-opt max_user_connections=50 \
    --ctld-opt reserved_connections=40
raw=$RAW_CLIENT
cd "$TEST_TMP" || fail "cd $TEST_TMP" # jobs write their output here
fds () { ls "/proc/$CTLD_PID/fd" | wc -l; }
fd_start=$(fds)

# qstat_ms USER: one qstat as USER, its time in ms on stdout (fails the test on error).
qstat_ms () {
    _t0=$(date +%s%N)
    as_user "$1" qstat >/dev/null 2>"$TEST_TMP/qstat.err" || fail "qstat by $1 failed: $(cat "$TEST_TMP/qstat.err")"
    echo $((($(date +%s%N) - _t0) / 1000000))
}

# hold USER N: USER opens N idle connections in the background; the summary
# lines go to $TEST_TMP/hold-USER (first: after connecting; last: at the end).
hold () {
    as_user "$1" python3 "$raw" hold "$2" $((idle * 5 * SLOW)) >"$TEST_TMP/hold-$1" 2>&1 &
    eval "hold_pid_$1=$!"
}
# connected USER: wait until USER's connections are made; their summary in HELD.
connected () {
    [ "$(wc -l <"$TEST_TMP/hold-$1")" -ge 1 ] || return 1
    HELD=$(head -1 "$TEST_TMP/hold-$1")
}

# 1. 120 connections of one user: 50 are taken, the rest refused with the reason.
hold hu0320a 120
wait_for 60 "hu0320a's connections" connected hu0320a
accepted=$(echo "$HELD" | jq .accepted)
[ "$accepted" = 50 ] || fail "hu0320a got $accepted of 120 connections, want 50: $HELD"
echo "$HELD" | jq -r '.errors[0]' | grep -q "max_user_connections" || fail "refusal: $HELD"
fd_held=$(fds)
l1=$(qstat_ms hu0320b); l2=$(qstat_ms hu0320b); l3=$(qstat_ms hu0320b)
echo "measured: hu0320a holds $accepted connections (70 refused: $(echo "$HELD" | jq -r '.errors[0]')); huddle-ctld has $fd_held descriptors (at start $fd_start); hu0320b's qstat meanwhile: $l1 $l2 $l3 ms"
[ "$fd_held" -le $((fd_start + 55)) ] || fail "huddle-ctld has $fd_held descriptors"
grep -q "too many connections: uid $(id -u hu0320a)" "$CLUSTER_DIR/huddle-ctld.log" ||
    fail "no refusal in the controller's log"

# 2. Idle connections are closed by the controller after client_idle_timeout.
wait "$hold_pid_hu0320a"
summary=$(tail -1 "$TEST_TMP/hold-hu0320a")
[ "$(echo "$summary" | jq .closed_by_server)" = 50 ] || fail "idle connections not closed: $summary"
after=$(echo "$summary" | jq .closed_after)
awk -v a="$after" -v lim=$(((idle + 8) * SLOW)) 'BEGIN { exit !(a <= lim) }' ||
    fail "idle connections closed only after ${after}s"
wait_for 10 "the descriptors to be released" sh -c "[ \$(ls /proc/$CTLD_PID/fd | wc -l) -le $((fd_start + 2)) ]"
echo "ok: idle connections closed after ${after}s (client_idle_timeout ${idle}s); descriptors back to $(fds)"

# 3. Near the descriptor limit, users are refused, root and agents are not.
prlimit --pid "$CTLD_PID" --nofile=160:160 || fail "prlimit on huddle-ctld"
hold hu0320a 60
wait_for 60 "hu0320a's connections" connected hu0320a
a_got=$(echo "$HELD" | jq .accepted)
hold hu0320c 60
wait_for 60 "hu0320c's connections" connected hu0320c
c_got=$(echo "$HELD" | jq .accepted)
echo "$HELD" | jq -r '.errors[0]' | grep -q "reserved_connections" || fail "hu0320c's refusal: $HELD"
[ $((a_got + c_got)) -le 56 ] || fail "users got $a_got + $c_got connections with 160 descriptors"
l_root=$(qstat_ms root)
submit -- /bin/true
wait_job "$JOBID" F 30
qnodes -a node01 | grep -q "state = free" || fail "node01: $(qnodes -a node01)"
echo "measured: with 160 descriptors hu0320a holds $a_got, hu0320c $c_got ($(echo "$HELD" | jq -r '.errors[0]')); root's qstat ${l_root} ms, a job ran; huddle-ctld has $(fds) descriptors"
wait "$hold_pid_hu0320a" "$hold_pid_hu0320c"
kill -0 "$CTLD_PID" || fail "the controller died"
exit 0
