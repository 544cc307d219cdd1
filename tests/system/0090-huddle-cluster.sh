#!/bin/sh
# huddle-cluster itself: `up` gives the --topology files to the agents in
# turn (with --no-bind), `env` prints the lines `up` printed, restart-ctld
# comes back on the same port with the same nodes, `down` stops every
# process it started (checked by pid) and a second cluster with --synthetic
# registers nodes of that shape.
. "$top_srcdir/tests/system/lib.sh"

xml="$FIXTURE_DIR/topology/two-socket-gpu.xml"
synthetic=$(cat "$FIXTURE_DIR/topology/two-socket.synthetic")

# Usage errors exit 2 and start nothing.
"$HUDDLE_CLUSTER" up --dir "$TEST_TMP/nothing" >/dev/null 2>&1
[ $? -eq 2 ] || fail "up without --nodes: want exit 2"
expect_fail 1 "exclude each other" \
    "$HUDDLE_CLUSTER" up --nodes 1 --topology "$xml" --synthetic "$synthetic" --dir "$TEST_TMP/nothing"
[ -e "$TEST_TMP/nothing/huddle-ctld.pid" ] && fail "a refused up started a controller"

cluster_up --nodes 2 --topology "$xml" --topology "$xml"
"$HUDDLE_CLUSTER" env --dir "$CLUSTER_DIR" >"$TEST_TMP/env2" || fail "huddle-cluster env failed"
cmp -s "$TEST_TMP/cluster.env" "$TEST_TMP/env2" || fail "env differs from up: $(diff "$TEST_TMP/cluster.env" "$TEST_TMP/env2")"
grep -q '^export HUDDLE_SERVER=127\.0\.0\.1:[0-9][0-9]*$' "$TEST_TMP/env2" || fail "env: no HUDDLE_SERVER: $(cat "$TEST_TMP/env2")"
command -v qsub | grep -q "^$top_builddir/cli/qsub\$" || fail "PATH does not find the build's qsub: $(command -v qsub)"
for n in node01 node02; do
    grep -qx 'no_bind = "yes"' "$CLUSTER_DIR/agent-$n.conf" || fail "agent $n runs a foreign topology without no_bind"
    # two-socket-gpu.xml: 8 cores, 2 GPUs
    qnodes -a "$n" >"$TEST_TMP/node" || fail "qnodes -a $n"
    grep -q '^     resources_available.ncpus = 8$' "$TEST_TMP/node" &&
        grep -q '^     resources_available.ngpus = 2$' "$TEST_TMP/node" ||
        fail "$n does not have the shape of $xml: $(cat "$TEST_TMP/node")"
done
echo "ok: up --topology, env"

# restart-ctld: same port, the nodes come back.
old_ctld=$CTLD_PID
"$HUDDLE_CLUSTER" restart-ctld --dir "$CLUSTER_DIR" 2>"$TEST_TMP/err" || fail "restart-ctld: $(cat "$TEST_TMP/err")"
CTLD_PID=$(cat "$CLUSTER_DIR/huddle-ctld.pid")
[ "$CTLD_PID" != "$old_ctld" ] || fail "restart-ctld kept pid $old_ctld"
kill -0 "$old_ctld" 2>/dev/null && [ "$(sed 's/.*) //' "/proc/$old_ctld/stat" | cut -d ' ' -f 1)" != Z ] &&
    fail "the old controller ($old_ctld) still runs"
wait_node node01 free
wait_node node02 free
echo "ok: restart-ctld"

pids="$CTLD_PID $(agent_pid node01) $(agent_pid node02)"
[ -s "$CLUSTER_DIR/munge/munged.pid" ] && pids="$pids $(cat "$CLUSTER_DIR/munge/munged.pid")"
"$HUDDLE_CLUSTER" down --dir "$CLUSTER_DIR" 2>"$TEST_TMP/err" || fail "down: $(cat "$TEST_TMP/err")"
CLUSTER_UP=0
for p in $pids; do
    if kill -0 "$p" 2>/dev/null && [ "$(sed 's/.*) //' "/proc/$p/stat" | cut -d ' ' -f 1)" != Z ]; then
        fail "pid $p ($(tr '\0' ' ' <"/proc/$p/cmdline")) still runs after down"
    fi
done
ls "$CLUSTER_DIR"/*.pid >/dev/null 2>&1 && fail "pid files left: $(ls "$CLUSTER_DIR"/*.pid)"
echo "ok: down stopped $pids"

# A synthetic cluster in the same directory: a fresh start.
cluster_up --nodes 1 --synthetic "$synthetic"
qnodes -a node01 | grep -q '^     resources_available.ncpus = 48$' ||
    fail "node01 does not have the shape of \"$synthetic\": $(qnodes -a node01)"
expect_fail any "node02.*Unknown node" qnodes -a node02 # the earlier cluster's node
echo "ok: up --synthetic on a fresh state"
exit 0
