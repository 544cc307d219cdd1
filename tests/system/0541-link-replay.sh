#!/bin/sh
# Replayed link probes: the agents answer probes from a file that
# describes a fabric (node01 and node02 under one fast leaf, node03 behind
# a slow spine), so a test sees a fabric's numbers without having one.
# The measured links come through to `qtopo --links` as described, and
# survive a controller restart (they are kept in its store).  One link per
# link.query page: qtopo reads every page.
. "$top_srcdir/tests/system/lib.sh"

work="$TEST_TMP/work"
mkdir -p "$work" && cd "$work" || fail "cannot make $work"
printf '%s\n' "# NODE_A NODE_B LATENCY_US BANDWIDTH_MBPS" \
    "node01 node02 1.5 12000    # leaf 1" \
    "* * 25 900                 # across the spine" >fabric.txt
chmod 0644 fabric.txt
cluster_up --nodes 3 --synthetic "pack:1 core:2 pu:1" --ctld-opt probe_interval=1 \
    --ctld-opt query_page_links=1 \
    --agent-opt "probe_replay=$work/fabric.txt"

wait_links 3 60
check_numbers () {
    python3 - links.json <<'PY' || fail "qtopo --links --json: $(cat links.json)"
import json, sys
got = {(l["a"], l["b"]): (l["latency_us"], l["bandwidth_mbps"])
       for l in json.load(open(sys.argv[1]))["links"]}
want = {("node01", "node02"): (1.5, 12000), ("node01", "node03"): (25, 900),
        ("node02", "node03"): (25, 900)}
assert got == want, got
PY
}
check_numbers
qtopo --links >links.out || fail "qtopo --links failed"
cat links.out
grep -q '^node01 *node02 *1\.5 *12000\.0 ' links.out ||
    fail "node01 node02 not as described: $(cat links.out)"
grep -q '^node02 *node03 *25\.0 *900\.0 ' links.out ||
    fail "node02 node03 not as described: $(cat links.out)"
# the Graphviz view: one edge per pair, the fastest one widest
qtopo --links --dot >links.dot || fail "qtopo --links --dot failed"
grep -q '^  "node01" -- "node02" \[label="1.5 us\\n12000 MB/s", penwidth=5.0\];$' links.dot ||
    fail "qtopo --links --dot: node01 -- node02 not the widest edge: $(cat links.dot)"
grep -q '^  "node02" -- "node03" \[label="25.0 us\\n900 MB/s", penwidth=1.0\];$' links.dot ||
    fail "qtopo --links --dot: node02 -- node03 wrong: $(cat links.dot)"
if command -v dot >/dev/null 2>&1; then
    dot -Tsvg links.dot >/dev/null || fail "Graphviz refuses qtopo --links --dot"
fi
echo "ok: qtopo --links --dot"

# ---- a restarted controller still knows them, before any agent is back
for n in node01 node02 node03; do
    kill "$(agent_pid "$n")" || fail "cannot stop agent $n"
done
kill "$CTLD_PID" || fail "cannot stop the controller"
gone_pid () {
    ! kill -0 "$1" 2>/dev/null
}
wait_for 10 "the controller to exit" gone_pid "$CTLD_PID"
"$HUDDLE_CLUSTER" restart-ctld --dir "$CLUSTER_DIR" || fail "restart-ctld failed"
CTLD_PID=$(cat "$CLUSTER_DIR/huddle-ctld.pid")
qtopo --links --json >links.json || fail "qtopo --links after the restart"
check_numbers
echo "ok"
