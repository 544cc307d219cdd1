#!/bin/sh
# No declared tree: the controller infers the leaves from replayed
# measurements and schedules on them.  The replay puts node01 with node03
# and node02 with node04 (fast), everything else behind a slow spine, so
# that the inferred leaves differ from name order: qtopo shows the two
# inferred leaves (text, and --json with "source": "measured"), and a
# 2-node place=scatter job lands on node01+node03 (one inferred leaf)
# although node02 and node04 are free too (name order would have given
# node01+node02).  Then the measurements change (node01 with node02,
# node03 with node04): once the pairs are measured again (and the pairs
# the change moves once more, to confirm it) the inferred tree follows,
# and the same job lands on node01+node02.  qtopo --check
# refuses to check an inferred tree against itself.
. "$top_srcdir/tests/system/lib.sh"

need_root
work="$TEST_TMP/work"
mkdir -p "$work" && cd "$work" || fail "cannot make $work"
printf '%s\n' "node01 node03 1.5 12000" "node02 node04 2.0 11000" "* * 25 900" >links.txt
chmod 0644 links.txt
cluster_up --nodes 4 --synthetic "pack:1 core:2 pu:1" --ctld-opt probe_interval=1 \
    --ctld-opt probe_refresh=2 --agent-opt "probe_replay=$work/links.txt"
LOG="$CLUSTER_DIR/huddle-ctld.log"

# nodes ID: the job's nodes in exec_host order, "node01 node03".
nodes () { job_attr "$1" exec_host | tr '+' '\n' | sed 's,/.*,,' | tr '\n' ' ' | sed 's/ $//'; }

# leaves_are "node01,node03 node02,node04": qtopo --json's leaves (in
# tree order) are these, with source "measured"; the reply in tree.json.
leaves_are () {
    qtopo --json >tree.json 2>tree.err || { WAIT_SEEN="exit $?: $(cat tree.err)"; return 1; }
    WAIT_SEEN=$(cat tree.json)
    python3 - tree.json "$1" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
leaves = [",".join(n["name"] for n in s["nodes"]) for s in f["switches"] if "nodes" in s]
sys.exit(0 if f.get("source") == "measured" and " ".join(leaves) == sys.argv[2] else 1)
PY
}

wait_links 6
wait_for 30 "the inferred leaves node01,node03 and node02,node04" leaves_are "node01,node03 node02,node04"
python3 - tree.json <<'PY' || fail "qtopo --json: $(cat tree.json)"
import json, sys
f = json.load(open(sys.argv[1]))
sw = {s["name"]: s for s in f["switches"]}
assert f["source"] == "measured" and f["pairs"] == 6 and "file" not in f, f
assert sw["root"]["switches"] == ["leaf1", "leaf2"] and sw["root"]["parent"] is None, sw["root"]
assert [n["name"] for n in sw["leaf1"]["nodes"]] == ["node01", "node03"], sw["leaf1"]
assert sw["leaf1"]["parent"] == "root" and sw["leaf1"]["level"] == 0
n = sw["leaf2"]["nodes"][0]
assert (n["name"], n["state"], n["ncpus"]) == ("node02", "free", 2), n
PY
qtopo >tree.out 2>tree.err || fail "qtopo: exit $?: $(cat tree.err)"
cat tree.out
grep -q '^fabric: inferred from measured links (6 pairs): 3 switches, 4 nodes$' tree.out ||
    fail "qtopo does not say the tree is inferred: $(cat tree.out)"
grep -q '^  leaf1  level 0$' tree.out && grep -q '^    node03 ' tree.out ||
    fail "qtopo does not show leaf1 with node03: $(cat tree.out)"
grep -q "info: fabric inferred from measured links (6 pairs): 2 leaves, 4 nodes" "$LOG" ||
    fail "no log line for the inferred tree"
qtopo --dot >tree.dot || fail "qtopo --dot: exit $?"
grep -q '^  label="inferred from measured links (6 pairs)";$' tree.dot &&
    grep -q '^  "sw:leaf1" -- "node:node03";$' tree.dot || fail "qtopo --dot: $(cat tree.dot)"
echo "ok: qtopo shows the leaves inferred from the measurements"

rc=0
qtopo --check >check.out 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "qtopo --check of an inferred tree: exit $rc, want 3: $(cat check.out)"
grep -q "inferred from the measured links, not declared" check.out ||
    fail "qtopo --check: $(cat check.out)"

# scatter_job "node01 node03": a 2-node place=scatter job runs there (JOBID).
scatter_job () {
    submit -l select=2:ncpus=2 -l place=scatter -- /bin/sleep 300
    wait_job "$JOBID" R
    [ "$(nodes "$JOBID")" = "$1" ] || fail "2-node job on $(nodes "$JOBID"), want the inferred leaf $1"
}

# ---- the scheduler places by the inferred tree
scatter_job "node01 node03"
j1=$JOBID
[ "$(job_attr "$j1" common_switch)" = leaf1 ] || fail "common_switch: $(job_attr "$j1" common_switch)"
[ "$(job_attr "$j1" switches_spanned)" = 1 ] ||
    fail "switches_spanned: $(job_attr "$j1" switches_spanned)"
for n in node02 node04; do
    [ "$(node_state "$n")" = free ] || fail "$n is $(node_state "$n"), want free"
done
echo "ok: a 2-node job took the inferred leaf node01+node03 while node02 and node04 were free"
qdel "$j1" || fail "qdel $j1"
wait_job "$j1" F

# ---- the measurements change, and the inferred tree follows
printf '%s\n' "node01 node02 1.5 12000" "node03 node04 2.0 11000" "* * 25 900" >links.txt
for n in node01 node02 node03 node04; do
    pid=$(agent_pid "$n")
    kill "$pid" || fail "cannot stop agent $n"
    gone () { ! kill -0 "$pid" 2>/dev/null; }
    wait_for 10 "agent $n to exit" gone
    "$HUDDLE_CLUSTER" restart-agent "$n" --dir "$CLUSTER_DIR" >/dev/null ||
        fail "restart-agent $n failed"
done
wait_for 60 "the inferred leaves to follow the new measurements" leaves_are "node01,node02 node03,node04"
[ "$(grep -c 'info: fabric: the measured links suggest another tree' "$LOG")" -ge 2 ] ||
    fail "the changed tree was not measured again before it was used: $(grep fabric "$LOG")"
echo "ok: the inferred tree followed the changed measurements"
scatter_job "node01 node02"
echo "ok: the next 2-node job took the new inferred leaf node01+node02"
qdel "$JOBID"
exit 0
