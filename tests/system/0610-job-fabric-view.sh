#!/bin/sh
# A job's place in the fabric: a declared tree of two leaves and replayed
# link measurements.  A 2-node job that fits one leaf shows in qstat -f
# switches_spanned 1, common_switch its leaf and max_link_latency_us the
# leaf's measured latency; a 2-node job that must span both leaves shows
# 2, the spine and the spine's latency.
. "$top_srcdir/tests/system/lib.sh"

need_root
work="$TEST_TMP/work"
mkdir -p "$work" && cd "$work" || fail "cannot make $work"
cat >fabric.conf <<'EOC'
SwitchName=leaf1 Nodes=node[01-02]
SwitchName=leaf2 Nodes=node[03-04]
SwitchName=spine Switches=leaf[1-2]
EOC
printf '%s\n' "node01 node02 1.5 12000" "node03 node04 2.5 11000" "* * 25 900" >links.txt
chmod 0644 links.txt fabric.conf
cluster_up --nodes 4 --synthetic "pack:1 core:2 pu:1" --fabric "$work/fabric.conf" \
    --ctld-opt probe_interval=1 --agent-opt "probe_replay=$work/links.txt"

wait_links 6 # all six pairs, measured while the nodes are idle

# 1. one leaf
submit -l select=2:ncpus=2 -l place=scatter -- /bin/sleep 300
j1=$JOBID
wait_job "$j1" R
qstat -f "$j1" >j1.out || fail "qstat -f $j1"
grep -q '^    switches_spanned = 1$' j1.out || fail "switches_spanned of $j1: $(cat j1.out)"
leaf=$(job_attr "$j1" common_switch)
case "$leaf" in
leaf1) lat=1.5 ;;
leaf2) lat=2.5 ;;
*) fail "common_switch of $j1 is '$leaf', want a leaf" ;;
esac
[ "$(job_attr "$j1" max_link_latency_us)" = "$lat" ] ||
    fail "max_link_latency_us of $j1: '$(job_attr "$j1" max_link_latency_us)', want $lat"
echo "ok: a 2-node job on one leaf: 1 leaf, $leaf, ${lat}us"
qtopo -j "$j1" >j1.topo || fail "qtopo -j $j1: $(cat j1.topo)"
cat j1.topo
grep -q "2 nodes on 1 leaf, common switch $leaf\$" j1.topo || fail "qtopo -j $j1 header: $(cat j1.topo)"
grep -Eq "^node0[1-4] +$leaf +0 +0-1 +-\$" j1.topo || fail "qtopo -j $j1 rank 0: $(cat j1.topo)"
grep -Eq "^node0[1-4] +$leaf +1 +0-1 +-\$" j1.topo || fail "qtopo -j $j1 rank 1: $(cat j1.topo)"
grep -q "1 of 1 pairs measured; latency max $lat median $lat us" j1.topo ||
    fail "qtopo -j $j1 links: $(cat j1.topo)"

# 2. one node of each leaf is taken: a 2-node job spans the spine
qdel "$j1" || fail "qdel $j1"
wait_job "$j1" F 30
submit -l select=1:ncpus=2:host=node01 -- /bin/sleep 300
j1=$JOBID
submit -l select=1:ncpus=2:host=node03 -- /bin/sleep 300
j2=$JOBID
wait_job "$j1" R
wait_job "$j2" R
submit -l select=2:ncpus=2 -l place=scatter -- /bin/sleep 300
j3=$JOBID
wait_job "$j3" R
[ "$(job_attr "$j3" switches_spanned)" = 2 ] || fail "switches_spanned of $j3: $(qstat -f "$j3")"
[ "$(job_attr "$j3" common_switch)" = spine ] || fail "common_switch of $j3: $(qstat -f "$j3")"
[ "$(job_attr "$j3" max_link_latency_us)" = 25.0 ] ||
    fail "max_link_latency_us of $j3: $(job_attr "$j3" max_link_latency_us)"
echo "ok: a job across both leaves: 2 leaves, spine, 25.0us"
qtopo -j "$j3" --json >j3.json || fail "qtopo -j $j3 --json: $(cat j3.json)"
python3 - j3.json <<'PY' || fail "qtopo -j $j3 --json: $(cat j3.json)"
import json, sys
v = json.load(open(sys.argv[1]))
assert v["leaves"] == 2 and v["common_switch"] == "spine", v
assert [(n["node"], n["leaf"], n["first_rank"]) for n in v["nodes"]] == \
    [("node02", "leaf1", 0), ("node04", "leaf2", 1)], v
assert v["latency_us"] == {"max": 25, "median": 25} and v["measured"] == 1, v
PY
qtopo -j "$j3" --dot | grep -q '"spine" -- "leaf2"' || fail "qtopo -j $j3 --dot: $(qtopo -j "$j3" --dot)"
if command -v dot >/dev/null 2>&1; then
    qtopo -j "$j3" --dot | dot -Tsvg >/dev/null || fail "Graphviz refuses qtopo -j --dot"
fi
echo "ok: qtopo -j shows the placement (text, json, dot)"
qdel "$j1" "$j2" "$j3"
exit 0
