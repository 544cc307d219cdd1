#!/bin/sh
# huddle-sim as a user runs it: a small trace (the schedule worked out by
# hand in tests/unit/test_sim.c) replayed under each policy, the filter's
# counts, the schedule written back as SWF with the replay's wait times,
# --json, a gzip trace, and the errors a user gets for a bad line, a bad
# cluster and bad options.  No daemons.
. "$top_srcdir/tests/system/lib.sh"

SIM="$top_builddir/scheduler/sim/huddle-sim"
[ -x "$SIM" ] || fail "$SIM not built"
command -v jq >/dev/null 2>&1 || skip "needs jq"

# Five jobs on 4 one-core nodes (job submit procs run = requested), and two
# records the filter drops: one cancelled before it started, one too big.
cat >trace.swf <<'EOF'
; Version: 2.2
; MaxProcs: 4
1 0 -1 10 2 -1 -1 2 10 -1 1 1 1 -1 -1 -1 -1 -1
2 1 -1 10 3 -1 -1 3 10 -1 1 1 1 -1 -1 -1 -1 -1
3 2 -1 10 4 -1 -1 4 10 -1 1 1 1 -1 -1 -1 -1 -1
4 3 -1 20 1 -1 -1 1 20 -1 1 2 1 -1 -1 -1 -1 -1
5 4 -1 5 1 -1 -1 1 5 -1 1 2 1 -1 -1 -1 -1 -1
6 4 -1 -1 -1 -1 -1 2 10 -1 5 3 1 -1 -1 -1 -1 -1
7 4 -1 10 8 -1 -1 8 10 -1 1 3 1 -1 -1 -1 -1 -1
EOF

"$SIM" --trace trace.swf --cluster 4 --policy easy --out easy.swf >easy.out 2>err ||
    fail "huddle-sim easy: $(cat err)"
[ -s err ] && fail "unexpected stderr: $(cat err)"
cat easy.out
grep -q '^trace trace.swf: 7 records, 5 replayed, 2 dropped$' easy.out || fail "record counts"
grep -q '^  dropped 1: cancelled before they started$' easy.out || fail "cancelled count"
grep -q '^  dropped 1: more processors than the cluster has$' easy.out || fail "too-big count"
grep -q '^mean wait 6.0 s$' easy.out || fail "EASY mean wait is not 6.0"
grep -q '^mean bounded slowdown 1.60 (tau 10 s)$' easy.out || fail "EASY bsld is not 1.60"
grep -q '^scheduler time per pass: median .* us, p99 .* us (.* passes)$' easy.out ||
    fail "no pass times"

# The schedule: the header carried over, then each record with the wait
# time of the replay (EASY: job 3 waits 21 s, job 4 is backfilled at once)
# and every other field as it was.
grep -q '^; MaxProcs: 4$' easy.swf || fail "header not carried over"
grep -q '^; huddle-sim: policy easy, cluster 4' easy.swf || fail "no huddle-sim line"
waits=$(awk '!/^;/ { printf "%s:%s ", $1, $3 }' easy.swf)
[ "$waits" = "1:0 2:9 3:21 4:0 5:0 " ] || fail "EASY waits in easy.swf: $waits"
fields=$(awk '$1 == 4 { $3 = "x"; print }' easy.swf)
[ "$fields" = "4 3 x 20 1 -1 -1 1 20 -1 1 2 1 -1 -1 -1 -1 -1" ] || fail "record 4 changed: $fields"

# --json, and the other policies: FCFS holds job 5 behind the blocked
# ones, conservative lets it through but protects job 3 from job 4.
for case in "fcfs 16 2.23" "easy 6 1.6" "conservative 10.8 1.81"; do
    set -- $case
    "$SIM" --trace trace.swf --cluster 4 --policy "$1" --json >"$1.json" 2>err ||
        fail "huddle-sim $1 --json: $(cat err)"
    got=$(jq -r '"\(.mean_wait_s) \(.mean_bsld) \(.jobs) \(.dropped_total) \(.dropped.too_big)"' "$1.json")
    [ "$got" = "$2 $3 5 2 1" ] || fail "$1: mean wait, bsld, jobs, dropped: $got"
    echo "ok: $1: mean wait $2 s, bounded slowdown $3"
done

# The same trace compressed gives the same schedule.
gzip -c trace.swf >trace.swf.gz
"$SIM" --trace trace.swf.gz --cluster 4 --policy easy --out gz.swf >/dev/null 2>err ||
    fail "huddle-sim on .swf.gz: $(cat err)"
diff easy.swf gz.swf >/dev/null || fail "the gzip trace gives another schedule"

# A fat tree: job 3 (4 procs) on 2 leaves of 1 node of 2 cores spans both.
"$SIM" --trace trace.swf --cluster fat-tree:leaves=2,nodes=1,cores=2 --json >tree.json 2>err ||
    fail "huddle-sim fat-tree: $(cat err)"
[ "$(jq -r '"\(.cluster_size.processors) \(.cluster_size.leaves)"' tree.json)" = "4 2" ] ||
    fail "fat-tree size: $(cat tree.json)"
jq -e '.multinode_jobs >= 1 and .mean_leaves_spanned == 2' tree.json >/dev/null ||
    fail "fat-tree spans: $(cat tree.json)"

# Errors: one line naming the file and line; exit 1 for bad input, 2 for
# a usage error.
sed 's/^4 3 -1 20/4 3 -1 2o/' trace.swf >bad.swf
expect_fail 1 '^huddle-sim: bad.swf:6: field 4 \(run time\): "2o" is not an integer$' \
    "$SIM" --trace bad.swf --cluster 4
expect_fail 1 'huddle-sim: absent.swf: No such file' "$SIM" --trace absent.swf --cluster 4
expect_fail 1 'cluster "fat-tree:leaves=2": leaves= and nodes= are required' \
    "$SIM" --trace trace.swf --cluster fat-tree:leaves=2
expect_fail 2 'policy: expected fcfs, easy or conservative' \
    "$SIM" --trace trace.swf --cluster 4 --policy sjf
expect_fail 2 'are required' "$SIM" --cluster 4
echo "ok: errors"
