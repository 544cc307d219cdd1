#!/bin/sh
# Job arrays (qsub -J X-Y[:Z][%MAX], #PBS -J, Torque's -t): one id
# SEQ[].SERVER, subjobs SEQ[I].SERVER each with PBS_ARRAY_INDEX,
# PBS_ARRAY_ID and PBS_JOBID and its own output file NAME.oSEQ.I (or -o
# with ^array_index^); at most MAX running at once; qstat shows the array
# (B while subjobs run), -t its subjobs, -J arrays only, -f the array
# attributes; qdel of one pending subjob (it never runs) and of a whole
# array (its running subjobs are killed); qsig of an array (each running
# subjob); qhold/qrls of one subjob; a
# controller killed (-9) and restarted in the middle of an array loses no
# subjob and runs none twice.
. "$top_srcdir/tests/system/lib.sh"

cluster_up --nodes 2 --ctld-opt kill_grace=2 --ctld-opt heartbeat_interval=1 \
    --ctld-opt heartbeat_timeout=10
work="$TEST_TMP/work"
mkdir -p "$work/run" && cd "$work" || fail "cannot make $work"
ledger="$work/ledger"
over="$work/over"
: >"$ledger"

# Refusals name the bad range.
expect_fail 1 "5-2" qsub -J 5-2 -- /bin/true
expect_fail 1 "1-x" qsub -J 1-x -- /bin/true
expect_fail 1 "%0" qsub -J 1-4%0 -- /bin/true
expect_fail 1 "lists of indices" qsub -t 1,3,5 -- /bin/true
expect_fail 1 "max_array_size 10000" qsub -J 1-10001 -- /bin/true

# Each subjob counts the subjobs running with it (files in run/ exist only
# while their subjob runs, so more than MAX of them means the limit broke).
cat >arr.sh <<EOF
#PBS -N arr
#PBS -J 1-8%2
#PBS -l select=1:ncpus=1
echo "PBS_ARRAY_INDEX=\$PBS_ARRAY_INDEX"
echo "PBS_ARRAY_ID=\$PBS_ARRAY_ID"
echo "PBS_JOBID=\$PBS_JOBID"
echo "\$PBS_ARRAY_INDEX" >>"$ledger"
touch "$work/run/\$PBS_ARRAY_INDEX"
n=\$(ls "$work/run" | wc -l)
[ "\$n" -le 2 ] || echo "\$PBS_ARRAY_INDEX saw \$n running" >>"$over"
sleep 2
rm -f "$work/run/\$PBS_ARRAY_INDEX"
EOF
submit -- /bin/sleep 60 # a plain job: qstat -J leaves it out
plain=$JOBID
submit arr.sh
arr=$JOBID
seq=${arr%%[[]*}
server=${arr#*.}
[ "$arr" = "$seq[].$server" ] || fail "array id $arr is not SEQ[].SERVER"

# qdel of one pending subjob: it finishes without running.
qdel "$seq[7]" || fail "qdel $seq[7]"
[ "$(job_state "$seq[7].$server")" = X ] || fail "$seq[7] after qdel: $(job_state "$seq[7].$server"), want X"

# While it runs: state B, at most 2 subjobs R in qstat -t, -J lists only it.
running_now () {
    qstat -t >"$TEST_TMP/t.out" 2>&1 || return 1
    WAIT_SEEN="$(grep -c ' R ' "$TEST_TMP/t.out") running"
    grep -q "^$seq\[[0-9][0-9]*\]\.$server .* R " "$TEST_TMP/t.out"
}
wait_for 30 "a subjob of $arr to run" running_now
[ "$(job_state "$arr")" = B ] || fail "array $arr while subjobs run: $(job_state "$arr"), want B"
nr=$(grep -c "^$seq\[[0-9][0-9]*\]\.$server .* R " "$TEST_TMP/t.out")
[ "$nr" -le 2 ] || fail "qstat -t shows $nr subjobs running, the limit is 2: $(cat "$TEST_TMP/t.out")"
nsub=$(grep -c "^$seq\[[0-9][0-9]*\]\.$server " "$TEST_TMP/t.out")
[ "$nsub" = 8 ] || fail "qstat -t lists $nsub subjobs of $arr, want 8: $(cat "$TEST_TMP/t.out")"
grep -q "^$seq\[\]\.$server " "$TEST_TMP/t.out" || fail "qstat -t has no $arr line"
qstat >"$TEST_TMP/q.out" || fail "qstat"
grep -q "^$seq\[[0-9]" "$TEST_TMP/q.out" && fail "plain qstat lists subjobs: $(cat "$TEST_TMP/q.out")"
qstat -J >"$TEST_TMP/j.out" || fail "qstat -J"
grep -q "^$seq\[\]\.$server " "$TEST_TMP/j.out" || fail "qstat -J lacks $arr: $(cat "$TEST_TMP/j.out")"
grep -q "^${plain%%.*}\." "$TEST_TMP/j.out" && fail "qstat -J lists the plain job $plain"
[ "$(job_attr "$arr" array_indices_submitted)" = 1-8 ] ||
    fail "array_indices_submitted: $(job_attr "$arr" array_indices_submitted)"
job_attr "$arr" array_state_count | grep -q "^Queued:[0-9]* Running:[12] Exiting:[0-9]* Expired:[1-9]" ||
    fail "array_state_count: $(job_attr "$arr" array_state_count)"
qdel "$plain" || fail "qdel $plain"

# Kill the controller while the array is half done, restart it.
half () {
    WAIT_SEEN="$(grep -c . "$ledger") started"
    [ "$(grep -c . "$ledger")" -ge 3 ]
}
wait_for 60 "3 subjobs to start" half
kill -9 "$CTLD_PID" || fail "kill -9 $CTLD_PID"
"$HUDDLE_CLUSTER" restart-ctld --dir "$CLUSTER_DIR" || fail "restart-ctld failed"
CTLD_PID=$(cat "$CLUSTER_DIR/huddle-ctld.pid")
echo "huddle-ctld restarted with $(grep -c . "$ledger") subjobs started"
wait_job "$arr" F 120

# Every subjob but 7 ran exactly once, with its environment and file.
[ ! -s "$over" ] || fail "more than 2 subjobs ran at once: $(cat "$over")"
sort -n "$ledger" | tr '\n' ' ' >"$TEST_TMP/ran"
[ "$(cat "$TEST_TMP/ran")" = "1 2 3 4 5 6 8 " ] || fail "subjobs that ran: $(cat "$TEST_TMP/ran")"
for i in 1 2 3 4 5 6 8; do
    out="$work/arr.o$seq.$i"
    [ -f "$out" ] || fail "no $out (files: $(ls "$work"))"
    grep -qx "PBS_ARRAY_INDEX=$i" "$out" || fail "$out: $(cat "$out")"
    grep -qx "PBS_ARRAY_ID=$seq\[\]\.$server" "$out" || fail "$out: $(cat "$out")"
    grep -qx "PBS_JOBID=$seq\[$i\]\.$server" "$out" || fail "$out: $(cat "$out")"
    [ "$(job_state "$seq[$i].$server")" = X ] || fail "$seq[$i]: $(job_state "$seq[$i].$server")"
    [ "$(job_attr "$seq[$i].$server" Exit_status)" = 0 ] || fail "$seq[$i]: Exit_status"
done
[ ! -e "$work/arr.o$seq.7" ] || fail "the deleted subjob 7 ran"
tracejob "$seq[2]" >"$TEST_TMP/trace" 2>&1 || fail "tracejob $seq[2]: $(cat "$TEST_TMP/trace")"
grep -q "ended with status 0" "$TEST_TMP/trace" || fail "tracejob $seq[2]: $(cat "$TEST_TMP/trace")"

# qhold / qrls of one pending subjob (Torque's -t spelling), with the
# nodes offline so that nothing starts before the hold.
for n in node01 node02; do qnodes -o "$n" || fail "qnodes -o $n"; done
submit -t 1-3 -N tq -j oe -o "$work/tq.^array_index^.out" -- /bin/echo tq
tq=$JOBID
tseq=${tq%%[[]*}
qhold "$tseq[2]" || fail "qhold $tseq[2]"
[ "$(job_state "$tseq[2].$server")" = H ] || fail "$tseq[2] after qhold: $(job_state "$tseq[2].$server")"
for n in node01 node02; do qnodes -c "$n" || fail "qnodes -c $n"; done
wait_for 30 "$tseq[1] and [3] to finish" sh -c "[ \"\$(qstat -xt -F json $tq | grep -c '\"job_state\":\"X\"')\" = 2 ]"
[ "$(job_state "$tseq[2].$server")" = H ] || fail "$tseq[2] ran while held"
[ "$(job_state "$tq")" = B ] || fail "$tq with a held subjob left: $(job_state "$tq"), want B"
qrls "$tseq[2]" || fail "qrls $tseq[2]"
wait_job "$tq" F 30
# -o with PBS's ^array_index^: each subjob its own file
for i in 1 2 3; do
    grep -qx tq "$work/tq.$i.out" 2>/dev/null || fail "no tq.$i.out from -o tq.^array_index^.out (files: $(ls "$work"))"
done
[ ! -e "$work/tq.^array_index^.out" ] || fail "a subjob wrote to the unsubstituted -o path"

# two_running SEQ: at least two subjobs of array SEQ run.
two_running () {
    WAIT_SEEN=$(qstat -t | grep -c "^$1\[.* R ")
    [ "$WAIT_SEEN" -ge 2 ]
}

# qsig of an array signals each running subjob (they end with PBS's
# 256+15), not the pending ones (they start afterwards).
submit -J 1-4%2 -N sig -- /bin/sleep 318
sig=$JOBID
sseq=${sig%%[[]*}
wait_for 30 "2 subjobs of $sig to run" two_running "$sseq"
running=$(qstat -t | sed -n "s/^\($sseq\[[0-9]*\]\)\.$server .* R .*/\1/p" | tr '\n' ' ')
qsig -s TERM "$sig" || fail "qsig $sig"
signalled () {
    for _s in $running; do [ "$(job_state "$_s.$server")" = X ] || return 1; done
}
wait_for 30 "qsig of $sig to end $running" signalled
for _s in $running; do
    [ "$(job_attr "$_s.$server" Exit_status)" = 271 ] ||
        fail "$_s after qsig TERM: Exit_status $(job_attr "$_s.$server" Exit_status), want 271"
    tracejob "$_s" 2>&1 | grep -q "signal TERM sent by uid 0" || fail "tracejob $_s: no signal"
done
wait_for 30 "the pending subjobs of $sig to run" two_running "$sseq"
qdel "$sig" || fail "qdel $sig"
wait_job "$sig" F 30
qsig -s TERM "$sig" >"$TEST_TMP/qsig.out" 2>&1 && fail "qsig of the finished $sig worked"

# qdel of a whole array kills its running subjobs.
submit -J 0-6:2 -N long -- /bin/sleep 317
long=$JOBID
lseq=${long%%[[]*}
wait_for 30 "subjobs of $long to run" two_running "$lseq"
[ "$(job_attr "$long" array_indices_submitted)" = 0-6:2 ] ||
    fail "array_indices_submitted: $(job_attr "$long" array_indices_submitted)"
qdel "$long" || fail "qdel $long"
wait_job "$long" F 30
pgrep -f "sleep 317" >/dev/null && fail "a subjob of $long still runs after qdel"
echo "ok"
