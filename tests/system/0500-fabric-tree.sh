#!/bin/sh
# The controller's fabric: `huddle-cluster up --fabric` gives it a declared
# three-leaf tree that leaves node05 out; qtopo prints the tree (golden, text
# and --dot; --json checked by member), node05 shows as a leaf of its own
# with a warning in the log and from qtopo.  SIGHUP with a changed file
# changes qtopo's tree while a job keeps running; a bad file on SIGHUP is
# refused with a log line naming file and line, and the old tree stays.
. "$top_srcdir/tests/system/lib.sh"

fab="$TEST_TMP/topology.conf"
cp "$FIXTURE_DIR/fabric/loopback-a.conf" "$fab" || fail "cannot copy the fabric fixture"
cluster_up --nodes 5 --synthetic "pack:1 core:2 pu:1" --fabric "$fab"
LOG="$CLUSTER_DIR/huddle-ctld.log"
work="$TEST_TMP/work"
mkdir -p "$work" && cd "$work" || fail "cannot make $work"

# qtopo ARGS > TEST_TMP/out, stderr in TEST_TMP/err; must succeed.
qtopo_ok () {
    qtopo "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || fail "qtopo $*: exit $?: $(cat "$TEST_TMP/err")"
}

# ---- the declared tree, node05 a lone leaf
grep -q "warn: fabric $fab does not name node node05: it is a leaf of its own under switch spine" "$LOG" ||
    fail "no warning about node05 in the controller's log"
qtopo_ok
compare_golden qtopo-fabric-a.txt "$TEST_TMP/out"
grep -q "^qtopo: warning: the fabric file does not name node node05" "$TEST_TMP/err" ||
    fail "qtopo does not warn about node05: $(cat "$TEST_TMP/err")"
echo "ok: qtopo shows the declared tree and node05 as its own leaf"
qtopo_ok --dot
compare_golden qtopo-fabric-a.dot "$TEST_TMP/out"
if command -v dot >/dev/null 2>&1; then
    dot -Tsvg "$TEST_TMP/out" >/dev/null || fail "Graphviz refuses qtopo --dot"
fi
echo "ok: qtopo --dot"
qtopo_ok --json
python3 - "$TEST_TMP/out" <<'PY' || fail "qtopo --json: wrong content: $(cat "$TEST_TMP/out")"
import json, sys
f = json.load(open(sys.argv[1]))
sw = {s["name"]: s for s in f["switches"]}
assert f["lone"] == ["node05"], f["lone"]
assert sw["spine"]["switches"] == ["leaf1", "leaf2", "leaf3", "node05"]
assert sw["spine"]["level"] == 1 and sw["spine"]["link_speed"] == "400"
assert [n["name"] for n in sw["leaf1"]["nodes"]] == ["node01", "node02"]
n = sw["leaf1"]["nodes"][0]
assert (n["state"], n["ncpus"], n["ncpus_free"], n["ngpus"]) == ("free", 2, 2, 0), n
assert sw["node05"]["lone"] is True
PY
echo "ok: qtopo --json"

# ---- a running job, then SIGHUP with a changed file
cat >job.sh <<'EOF2'
#PBS -l select=1:ncpus=2
sleep 300
EOF2
submit job.sh
wait_job "$JOBID" R
host=$(job_attr "$JOBID" exec_host)
node=${host%%/*}
echo "job $JOBID runs on $node"
qtopo_ok
grep -q "^ *$node  *job-[a-z]*  *cores 0/2 free.* $JOBID\$" "$TEST_TMP/out" ||
    fail "qtopo does not show $JOBID on $node: $(cat "$TEST_TMP/out")"

cp "$FIXTURE_DIR/fabric/loopback-b.conf" "$fab" || fail "cannot write $fab"
kill -HUP "$CTLD_PID" || fail "kill -HUP $CTLD_PID"
reloaded () {
    grep -q "info: fabric $fab reloaded: 4 switches, 5 nodes" "$LOG"
}
wait_for 10 "the controller to reload the fabric" reloaded
qtopo_ok
sed "s/ $JOBID\$/ JOBID/" "$TEST_TMP/out" >"$TEST_TMP/out.norm"
compare_golden qtopo-fabric-b.txt "$TEST_TMP/out.norm"
[ -s "$TEST_TMP/err" ] && fail "qtopo warns after node05 was named: $(cat "$TEST_TMP/err")"
grep -q " $JOBID\$" "$TEST_TMP/out" || fail "the job is gone from qtopo after the reload"
[ "$(job_state "$JOBID")" = R ] || fail "job $JOBID is $(job_state "$JOBID") after the reload, want R"
echo "ok: SIGHUP changed the tree, $JOBID still runs"

# ---- a bad file on SIGHUP: refused, logged, the old tree kept
cp "$TEST_TMP/out" "$TEST_TMP/before"
printf 'SwitchName=leaf1 Nodes=node01\nSwitchName=spine Switches=leaf1,leaf9\n' >"$fab"
kill -HUP "$CTLD_PID" || fail "kill -HUP $CTLD_PID"
refused () {
    grep -q "error: fabric not reloaded, the old one stays: $fab:2: Switches=: unknown switch leaf9" "$LOG"
}
wait_for 10 "the controller to refuse the bad fabric" refused
qtopo_ok
diff -u "$TEST_TMP/before" "$TEST_TMP/out" || fail "the tree changed after a bad file"
[ "$(job_state "$JOBID")" = R ] || fail "job $JOBID is $(job_state "$JOBID") after the bad reload"
kill -0 "$CTLD_PID" || fail "the controller died on a bad fabric file"
echo "ok: a bad file is refused and the old tree kept"
qdel "$JOBID" || fail "qdel $JOBID"
wait_job "$JOBID" F
