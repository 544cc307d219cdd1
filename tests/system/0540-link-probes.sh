#!/bin/sh
# Link probes over libfabric between loopback agents.  Each agent opens a
# tcp;ofi_rxm RDM endpoint and registers its name; the controller orders
# probes between pairs of idle nodes and `qtopo --links` shows every pair
# with a latency, a bandwidth and an age.  A node that runs a job (here an
# exclusive one) is never probed while it runs; the other pairs go on being
# re-probed (probe_refresh), and the busy node's pairs are measured again
# once it is free.
. "$top_srcdir/tests/system/lib.sh"

command -v fi_info >/dev/null 2>&1 || skip "no fi_info (libfabric utilities)"
fi_info -p "tcp;ofi_rxm" -t FI_EP_RDM >/dev/null 2>&1 ||
    skip "libfabric has no tcp;ofi_rxm RDM endpoint here"

cluster_up --nodes 3 --synthetic "pack:1 core:2 pu:1" \
    --ctld-opt probe_interval=1 --ctld-opt probe_refresh=2 \
    --ctld-opt probe_pings=20 --ctld-opt probe_streams=4 --ctld-opt probe_stream_size=256K \
    --agent-opt "probe_provider=tcp;ofi_rxm"
LOG="$CLUSTER_DIR/huddle-ctld.log"
work="$TEST_TMP/work"
mkdir -p "$work" && cd "$work" || fail "cannot make $work"

grep -q "link probes: libfabric tcp;ofi_rxm" "$CLUSTER_DIR/agent-node01.log" ||
    fail "agent node01 did not open a tcp;ofi_rxm endpoint: $(grep 'link probes' "$CLUSTER_DIR/agent-node01.log")"

# ---- every pair measured, over the fabric
all_pairs () {
    qtopo --links >links.out 2>&1 || { WAIT_SEEN=$(cat links.out); return 1; }
    WAIT_SEEN=$(cat links.out)
    grep -q '^node01 *node02 ' links.out && grep -q '^node01 *node03 ' links.out &&
        grep -q '^node02 *node03 ' links.out
}
wait_for 60 "qtopo --links to show all three pairs" all_pairs
cat links.out
head -n 1 links.out | grep -q 'NODE_A *NODE_B *LATENCY_US *BANDWIDTH_MB/S *AGE' ||
    fail "qtopo --links header: $(head -n 1 links.out)"
qtopo --links --json >links.json || fail "qtopo --links --json failed"
python3 - links.json <<'PY' || fail "qtopo --links --json: $(cat links.json)"
import json, sys
links = json.load(open(sys.argv[1]))["links"]
pairs = sorted((l["a"], l["b"]) for l in links)
assert pairs == [("node01", "node02"), ("node01", "node03"), ("node02", "node03")], pairs
for l in links:
    assert 0 < l["latency_us"] < 1e6, l
    assert l["bandwidth_mbps"] > 0, l
    assert l["age"] >= 0 and l["time"] > 0, l
PY

# ---- an exclusive job on node01: no probe touches it while it runs
printf '#PBS -l select=1:ncpus=1\n#PBS -l place=excl\nsleep 300\n' >excl.sh
submit excl.sh
wait_job "$JOBID" R
case "$(job_attr "$JOBID" exec_host)" in
node01*) ;;
*) fail "the exclusive job is on $(job_attr "$JOBID" exec_host), not node01" ;;
esac
mark=$(wc -l <"$LOG")
probes_after_mark () {
    tail -n +"$((mark + 1))" "$LOG" | grep 'link probe [0-9]*: ' >probes.out
    WAIT_SEEN=$(cat probes.out)
    [ "$(grep -c 'node02 -> node03\|node03 -> node02' probes.out)" -ge 2 ]
}
wait_for 30 "node02 and node03 to be probed again" probes_after_mark
! grep node01 probes.out || fail "node01 was probed while it ran an exclusive job"

qdel "$JOBID" || fail "qdel $JOBID"
wait_job "$JOBID" F
mark=$(wc -l <"$LOG")
node01_probed () {
    tail -n +"$((mark + 1))" "$LOG" | grep -q 'link node01 node0[23]: '
}
wait_for 30 "node01 to be probed again once free" node01_probed
echo "ok"
