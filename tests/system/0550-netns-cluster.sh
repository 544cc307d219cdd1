#!/bin/sh
# A cluster of network namespaces (huddle-cluster up --netns): two leaves of
# two nodes under a spine, uplinks shaped to 100mbit.  qtopo shows the tree
# that was built; a job on each node runs in that node's namespaces (its own
# host name, its node's /etc/hosts, its cgroup); huddle's own link probes
# measure the pairs inside a leaf much faster than the pairs across the
# shaped uplinks, and no faster than the uplink's rate; `exec` and `shell`
# run commands in a node (mpirun across nodes with shell as its rsh agent,
# when Open MPI is installed); a failed `up`
# leaves nothing; an `up` after a kill -9 of everything cleans up first
# (and one elsewhere, when the crashed cluster's directory is gone); `down`
# leaves no namespace, link or process.
. "$top_srcdir/tests/system/lib.sh"

need_netns
command -v fi_info >/dev/null 2>&1 || skip "no fi_info (libfabric utilities)"
fi_info -p "tcp;ofi_rxm" -t FI_EP_RDM >/dev/null 2>&1 ||
    skip "libfabric has no tcp;ofi_rxm RDM endpoint here"

# alive_pid PID: PID runs (not a zombie).
alive_pid () {
    kill -0 "$1" 2>/dev/null && [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d ' ' -f 1)" != Z ]
}

# prefix_of DIR: the namespace prefix (hcS) of the cluster in DIR.
prefix_of () {
    sed -n 's/^HC_NS_PREFIX=//p' "$1/cluster.env"
}

# id_of DIR: the cluster's id, which its agents' cgroup directories carry.
id_of () {
    sed -n 's/^HC_ID=//p' "$1/cluster.env"
}

# cgroups_of ID: the cgroup directories of cluster ID's agents.
cgroups_of () {
    find /sys/fs/cgroup -maxdepth 6 -type d -name "huddle-$1-*" 2>/dev/null
}

# leftovers PREFIX [ID]: the namespaces and root-namespace links named
# PREFIX-*, and the cgroup directories of cluster ID.
leftovers () {
    ip netns list | grep "^$1-"
    ip -o link show | grep -e " $1-" | cut -d: -f2
    [ -z "${2:-}" ] || cgroups_of "$2"
}

# ---- refusals: usage errors, and a failed up that leaves nothing
"$HUDDLE_CLUSTER" up --netns --leaves 2 --dir "$TEST_TMP/nothing" >/dev/null 2>&1
[ $? -eq 2 ] || fail "up --netns without --nodes-per-leaf: want exit 2"
expect_fail 1 "not --nodes" "$HUDDLE_CLUSTER" up --netns --nodes 3 --dir "$TEST_TMP/nothing"
expect_fail 1 "not a rate" "$HUDDLE_CLUSTER" up --netns --leaves 1 --nodes-per-leaf 1 \
    --uplink fast --dir "$TEST_TMP/nothing"
if command -v runuser >/dev/null 2>&1 && id -u nobody >/dev/null 2>&1; then
    expect_fail 1 "needs root" runuser -u nobody -- "$HUDDLE_CLUSTER" up --netns --leaves 1 \
        --nodes-per-leaf 1 --dir /tmp
fi
expect_fail 1 "huddle-ctld exited" "$HUDDLE_CLUSTER" up --netns --leaves 1 --nodes-per-leaf 2 \
    --ctld-opt probe_pings=0 --synthetic "pack:1 core:1 pu:1" --dir "$TEST_TMP/failed"
p=$(prefix_of "$TEST_TMP/failed")
[ -n "$p" ] || fail "the failed up recorded no prefix: $(cat "$TEST_TMP/failed/cluster.env")"
[ -z "$(leftovers "$p")" ] || fail "a failed up left: $(leftovers "$p")"
echo "ok: refusals; a failed up ($p) left nothing"

# up_netns [ARG]...: the cluster of this test.  Probes of 4 x 1 MiB keep a
# round of the 6 pairs to a few seconds (0.3 s a pair across the uplinks).
up_netns () {
    cluster_up --netns --leaves 2 --nodes-per-leaf 2 --uplink 100mbit \
        --synthetic "pack:1 core:2 pu:1" --ctld-opt probe_interval=1 \
        --ctld-opt probe_pings=20 --ctld-opt probe_streams=4 \
        --ctld-opt probe_stream_size=1M --agent-opt "probe_provider=tcp;ofi_rxm" "$@"
}
# tree_of FILE: qtopo's tree as "SWITCH NODE" pairs on one line.
tree_of () {
    awk '$1 ~ /^(spine|leaf[0-9])$/ { sw = $1; next } $1 ~ /^node/ { print sw, $1 }' "$1" | tr '\n' ' '
}
built="leaf1 node01 leaf1 node02 leaf2 node03 leaf2 node04 "
# Every pair probed again a second after its last probe (for best-of below).
up_netns --ctld-opt probe_refresh=1
prefix=$(prefix_of "$CLUSTER_DIR")
echo "namespaces $prefix-*, controller $HUDDLE_SERVER"
case "$HUDDLE_SERVER" in 198.1[89].*) ;; *) fail "the controller is on $HUDDLE_SERVER, not in 198.18.0.0/15" ;; esac

# ---- the tree that was built
qtopo >qtopo.out 2>&1 || fail "qtopo: $(cat qtopo.out)"
cat qtopo.out
tree=$(tree_of qtopo.out)
[ "$tree" = "$built" ] ||
    fail "qtopo shows \"$tree\", want leaf1: node01-02, leaf2: node03-04"
grep -q '^spine ' qtopo.out || fail "qtopo shows no spine"
echo "ok: qtopo shows leaf1 (node01 node02) and leaf2 (node03 node04) under spine"

# ---- a job on each node runs in its namespaces
backend=$(sed -n 's/.*info: containment: \([a-z0-9]*\):.*/\1/p' "$CLUSTER_DIR/agent-node01.log" | head -n 1)
jobs=""
for n in node01 node02 node03 node04; do
    printf 'hostname\ngetent hosts node04 | cut -d " " -f 1\ncat /proc/self/cgroup\n' >"job-$n.sh"
    submit -l "select=1:ncpus=1:host=$n" -o "$PWD/out-$n" -j oe "job-$n.sh"
    jobs="$jobs $n:$JOBID"
done
for nj in $jobs; do
    n=${nj%%:*}
    j=${nj#*:}
    wait_job "$j" F
    [ "$(job_attr "$j" Exit_status)" = 0 ] || fail "job $j on $n: exit status $(job_attr "$j" Exit_status): $(cat "out-$n")"
    [ "$(head -n 1 "out-$n")" = "$n" ] || fail "the job on $n says its host is $(head -n 1 "out-$n")"
    sed -n 2p "out-$n" | grep -q '^198\.1[89]\.[0-9]*\.14$' ||
        fail "node04 does not resolve to its address on $n: $(sed -n 2p "out-$n")"
    case "$backend" in
    cgv1 | cgv2)
        grep -q "/job_" "out-$n" || fail "the job on $n is in no job cgroup ($backend): $(cat "out-$n")"
        ;;
    esac
done
names=$(for n in node01 node02 node03 node04; do head -n 1 "out-$n"; done | sort -u | wc -l)
[ "$names" -eq 4 ] || fail "4 jobs printed $names different host names"
echo "ok: one job per node printed node01..node04, resolved node04, ran in a job cgroup (${backend:-none})"

# node_exec: a command inside a node.
[ "$(node_exec node02 hostname)" = node02 ] || fail "node_exec node02 hostname: $(node_exec node02 hostname 2>&1)"
node_exec node03 ip -4 -o addr show dev eth0 | grep -q ' 198\.1[89]\.[0-9]*\.13/24 ' ||
    fail "node03's eth0: $(node_exec node03 ip -4 -o addr show 2>&1)"
# This machine's name is where the controller is, seen from a node.
me=$(uname -n)
case "$me" in localhost | localhost.* | node[0-9]* | *[!A-Za-z0-9.-]*) ;; *)
    [ "$(node_exec node02 getent hosts "$me" | cut -d ' ' -f 1)" = "${HUDDLE_SERVER%:*}" ] ||
        fail "$me from node02: $(node_exec node02 getent hosts "$me" 2>&1), want ${HUDDLE_SERVER%:*}"
    ;;
esac
# shell: ssh's way, one command line for sh; what Open MPI's rsh agent does.
# shellcheck disable=SC2016
out=$("$HUDDLE_CLUSTER" shell --dir "$CLUSTER_DIR" node02 'echo $(hostname)' on eth0) ||
    fail "huddle-cluster shell node02: $out"
[ "$out" = "node02 on eth0" ] || fail "huddle-cluster shell node02 printed \"$out\""
if command -v mpirun >/dev/null 2>&1; then
    # A bare Open MPI run across two leaves, no huddle job: the baseline a
    # launch through the agents is compared with.
    node_exec node01 timeout $((30 * SLOW)) mpirun --allow-run-as-root \
        --mca plm_rsh_agent "$HUDDLE_CLUSTER shell --dir $CLUSTER_DIR" \
        --mca oob_tcp_if_include eth0 --mca btl_tcp_if_include eth0 -H node01,node03 hostname \
        >mpirun.out 2>&1 || fail "mpirun across node01 and node03: $(cat mpirun.out)"
    [ "$(sort mpirun.out | tr '\n' ' ')" = "node01 node03 " ] || fail "mpirun -H node01,node03 hostname: $(cat mpirun.out)"
    echo "ok: exec and shell run in a node; mpirun with shell as its rsh agent spans node01 and node03"
fi

# ---- the probes see the shaped uplinks
# Each pair's best of the probes over 5 s: on a busy machine a probe can
# only come out slower than the link (two agents polling on 2 cores).
wait_links 6 90
qtopo --links
i=0
while [ $i -lt 10 ]; do
    sleep 0.5
    qtopo --links --json >"links-$i.json" || fail "qtopo --links --json: $(cat "links-$i.json")"
    i=$((i + 1))
done
python3 - links.json links-*.json <<'PY' || fail "link probes: $(cat links.json)"
import json, sys
best = {}
for f in sys.argv[1:]:
    for l in json.load(open(f))["links"]:
        p = (l["a"], l["b"])
        best[p] = max(best.get(p, 0), l["bandwidth_mbps"])
leaf = {"node01": 1, "node02": 1, "node03": 2, "node04": 2}
local = {p: b for p, b in best.items() if leaf[p[0]] == leaf[p[1]]}
cross = {p: b for p, b in best.items() if leaf[p[0]] != leaf[p[1]]}
assert len(local) == 2 and len(cross) == 4, best
# 100mbit is 12.5 MB/s: tbf lets a probe through no faster (10% for the
# 32 KiB burst and rounding), and inside a leaf nothing holds it back.
rate = 12.5
ratio = min(local.values()) / max(cross.values())
print("best of %d snapshots: leaf-local MB/s %s; cross-leaf MB/s %s; "
      "slowest local / fastest cross = %.1f" % (len(sys.argv) - 1,
      ["%.1f" % b for b in sorted(local.values())], ["%.1f" % b for b in sorted(cross.values())], ratio))
assert max(cross.values()) <= rate * 1.1, "a cross-leaf pair beat the 100mbit uplink"
assert ratio >= 5, "leaf-local pairs are not clearly faster than cross-leaf ones"
PY
echo "ok: leaf-local pairs are faster than cross-leaf pairs, which stay under the uplink's rate"

# ---- a cluster killed with -9 whose directory is then removed: the next
# up, in any directory, cleans what it left (so does any down, should this
# test fail before)
"$HUDDLE_CLUSTER" up --netns --leaves 1 --nodes-per-leaf 1 --synthetic "pack:1 core:1 pu:1" \
    --dir "$TEST_TMP/gone" >/dev/null 2>"$TEST_TMP/gone.err" || fail "up in gone: $(cat "$TEST_TMP/gone.err")"
gone=$(prefix_of "$TEST_TMP/gone")
gone_id=$(id_of "$TEST_TMP/gone")
gone_pids="$(cat "$TEST_TMP/gone/huddle-ctld.pid") $(cat "$TEST_TMP/gone/agent-node01.pid")"
[ -s "$TEST_TMP/gone/munge/munged.pid" ] && gone_pids="$gone_pids $(cat "$TEST_TMP/gone/munge/munged.pid")"
# shellcheck disable=SC2086
kill -9 $gone_pids
[ -n "$(leftovers "$gone")" ] || fail "the killed cluster $gone left nothing to clean"
rm -rf "$TEST_TMP/gone"

# ---- kill -9 of everything, then up again: it cleans up first
submit -l select=1:ncpus=1:host=node03 -- /bin/sleep 300
wait_job "$JOBID" R
# running_shepherd: a live shepherd on node03 in SHEPHERD.
running_shepherd () {
    for f in "$CLUSTER_DIR"/nodes/node03/state/jobs/*/shepherd.pid; do
        [ -s "$f" ] && read -r SHEPHERD _ <"$f" && alive_pid "$SHEPHERD" && return 0
    done
    return 1
}
wait_for 10 "a shepherd to run the sleep job on node03" running_shepherd
shepherd=$SHEPHERD
first_id=$(id_of "$CLUSTER_DIR")
pids="$CTLD_PID $(agent_pid node01) $(agent_pid node02) $(agent_pid node03) $(agent_pid node04)"
[ -s "$CLUSTER_DIR/munge/munged.pid" ] && pids="$pids $(cat "$CLUSTER_DIR/munge/munged.pid")"
# shellcheck disable=SC2086
kill -9 $pids
for p in $pids; do
    wait_for 10 "pid $p to die" eval "! alive_pid $p"
done
alive_pid "$shepherd" || fail "the shepherd died with its agent: nothing left to clean"
# This time the controller gets no tree: it infers one from the probes.
up_netns --fabric none
[ "$(prefix_of "$CLUSTER_DIR")" = "$prefix" ] || fail "the second up took $(prefix_of "$CLUSTER_DIR"), not $prefix"
[ -z "$(leftovers "$gone" "$gone_id")" ] || fail "up did not clean what $gone left: $(leftovers "$gone" "$gone_id")"
[ -z "$(cgroups_of "$first_id")" ] || fail "up left the first cluster's cgroups: $(cgroups_of "$first_id")"
alive_pid "$shepherd" && fail "the old cluster's shepherd $shepherd still runs"
[ "$(ip netns list | grep -c "^$prefix-")" -eq 5 ] ||
    fail "after the second up: $(ip netns list | grep "^$prefix-" | tr '\n' ' '), want fab and 4 nodes"
submit -l select=1:ncpus=1:host=node04 -o "$PWD/again" -j oe -- /bin/hostname
wait_job "$JOBID" F
[ "$(cat again)" = node04 ] || fail "a job after the second up printed $(cat again)"
echo "ok: up after kill -9 of everything: the old job is gone, the same namespaces again, jobs run;"
echo "    it cleaned $gone too, whose directory was removed"

# ---- with no declared tree, the controller infers the one that was built
# (from bandwidth: the uplinks are shaped, their latency is not)
inferred_is_built () {
    qtopo >inferred.out 2>&1
    WAIT_SEEN=$(cat inferred.out)
    head -n 1 inferred.out | grep -q '^fabric: inferred from measured links' &&
        [ "$(tree_of inferred.out)" = "$built" ]
}
wait_for 60 "the inferred tree to be leaf1: node01 node02, leaf2: node03 node04" inferred_is_built
cat inferred.out
echo "ok: the controller inferred the built leaves from huddle's probes"

# ---- down leaves nothing
id=$(id_of "$CLUSTER_DIR")
pids="$(cat "$CLUSTER_DIR/huddle-ctld.pid") $(agent_pid node01) $(agent_pid node02) $(agent_pid node03) $(agent_pid node04)"
[ -s "$CLUSTER_DIR/munge/munged.pid" ] && pids="$pids $(cat "$CLUSTER_DIR/munge/munged.pid")"
"$HUDDLE_CLUSTER" down --dir "$CLUSTER_DIR" 2>down.err || fail "down: $(cat down.err)"
CLUSTER_UP=0
for p in $pids; do
    alive_pid "$p" && fail "pid $p ($(cat "/proc/$p/comm")) still runs after down"
done
[ -z "$(leftovers "$prefix" "$id")" ] || fail "down left: $(leftovers "$prefix" "$id")"
grep -rlxF "$CLUSTER_DIR" /run/huddle-cluster/slot-* 2>/dev/null && fail "down kept its slot"
echo "ok: down left no process, namespace, link or cgroup directory"
