#!/bin/sh
# qtopo --check against replayed measurements of two leaves (node01 and
# node02 fast, node03 and node04 fast, everything else behind a slow
# spine).  A declared tree that puts node03 under leaf1 is flagged: the
# two pairs it makes leaf mates of node03 measure far, and node03-node04,
# declared on different leaves, measures near; exit status 1.  Next to it,
# the leaves inferred from the same links, each with the declared leaves
# of its nodes.  The right tree (read again on SIGHUP) is not flagged:
# exit status 0.
. "$top_srcdir/tests/system/lib.sh"

need_root
work="$TEST_TMP/work"
mkdir -p "$work" && cd "$work" || fail "cannot make $work"
cat >fabric.conf <<'EOC'
SwitchName=leaf1 Nodes=node[01-03]
SwitchName=leaf2 Nodes=node04
SwitchName=spine Switches=leaf[1-2]
EOC
printf '%s\n' "node01 node02 1.5 12000" "node03 node04 2.5 11000" "* * 25 900" >links.txt
chmod 0644 links.txt fabric.conf
cluster_up --nodes 4 --synthetic "pack:1 core:2 pu:1" --fabric "$work/fabric.conf" \
    --ctld-opt probe_interval=1 --agent-opt "probe_replay=$work/links.txt"

wait_links 6

# 1. the wrong tree
rc=0
qtopo --check >check.out 2>&1 || rc=$?
cat check.out
[ "$rc" = 1 ] || fail "qtopo --check of the wrong tree: exit $rc, want 1: $(cat check.out)"
grep -q '^node01  node03  declared same leaf (leaf1), measures far: 25.0 us, 900.0 MB/s$' check.out ||
    fail "node01 node03 not flagged: $(cat check.out)"
grep -q '^node02  node03  declared same leaf (leaf1), measures far' check.out ||
    fail "node02 node03 not flagged: $(cat check.out)"
grep -q '^node03  node04  declared different leaves (leaf1, leaf2), measures near: 2.5 us' check.out ||
    fail "node03 node04 not flagged: $(cat check.out)"
grep -q '^3 contradictions$' check.out || fail "want exactly 3 contradictions: $(cat check.out)"
grep -q '^  leaf2  node03 node04  (declared leaf1, leaf2)$' check.out ||
    fail "the inferred leaf node03 node04 is not shown next to its declared leaves: $(cat check.out)"
rc=0
qtopo --check --json >check.json || rc=$?
[ "$rc" = 1 ] || fail "qtopo --check --json: exit $rc"
python3 - check.json <<'PY' || fail "qtopo --check --json: $(cat check.json)"
import json, sys
r = json.load(open(sys.argv[1]))
got = sorted((c["a"], c["b"], c["declared"], c["measured"]) for c in r["contradictions"])
assert got == [("node01", "node03", "same leaf", "far"), ("node02", "node03", "same leaf", "far"),
               ("node03", "node04", "different leaves", "near")], got
assert r["measured"] == 6 and 2.5 < r["threshold_us"] < 25, r
inf = r["inferred"]
assert inf["pairs"] == 6, inf
assert [(l["name"], l["nodes"], l["declared"]) for l in inf["leaves"]] == [
    ("leaf1", ["node01", "node02"], ["leaf1"]),
    ("leaf2", ["node03", "node04"], ["leaf1", "leaf2"])], inf
PY
rc=0
qtopo --check --dot >check.dot || rc=$?
[ "$rc" = 1 ] || fail "qtopo --check --dot: exit $rc"
grep -q '^  "node01" -- "node03" \[color=red, style=dashed, label="far 25.0 us"\];$' check.dot &&
    grep -q '^  "node03" -- "node04" \[color=red, style=dashed, label="near 2.5 us"\];$' check.dot &&
    grep -q '^  subgraph "cluster_leaf1" {$' check.dot || fail "qtopo --check --dot: $(cat check.dot)"
if command -v dot >/dev/null 2>&1; then
    dot -Tsvg check.dot >/dev/null || fail "Graphviz refuses qtopo --check --dot"
fi
echo "ok: the tree that puts node03 under leaf1 is flagged"

# 2. the right tree
cat >fabric.conf <<'EOC'
SwitchName=leaf1 Nodes=node[01-02]
SwitchName=leaf2 Nodes=node[03-04]
SwitchName=spine Switches=leaf[1-2]
EOC
kill -HUP "$CTLD_PID" || fail "cannot signal the controller"
agrees () {
    qtopo --check >check.out 2>&1
    WAIT_SEEN="exit $?: $(cat check.out)"
    grep -q '^0 contradictions$' check.out
}
wait_for 20 "qtopo --check to agree with the right tree" agrees
qtopo --check >check.out || fail "qtopo --check of the right tree: exit $?: $(cat check.out)"
cat check.out
echo "ok: the right tree is not flagged"
exit 0
