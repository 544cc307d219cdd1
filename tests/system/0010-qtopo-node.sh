#!/bin/sh
# qtopo --node: the tree and JSON for known machines match the golden files,
# bad input gives exit 1 and one line on stderr, usage errors exit 2, and the
# live machine shows a summary.
. "$top_srcdir/tests/system/lib.sh"

# hwloc stays quiet on bad XML/synthetic input unless asked to be verbose.
unset HWLOC_XML_VERBOSE HWLOC_SYNTHETIC_VERBOSE
QTOPO="$top_builddir/cli/qtopo"
OWN="$FIXTURE_DIR/topology"
[ -x "$QTOPO" ] || fail "$QTOPO not built"

# golden NAME ARGS...: qtopo ARGS must succeed, say nothing on stderr and
# print expected/NAME.
golden () {
    _name=$1
    shift
    "$QTOPO" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || fail "qtopo $*: exit $?: $(cat "$TEST_TMP/err")"
    [ -s "$TEST_TMP/err" ] && fail "qtopo $*: unexpected stderr: $(cat "$TEST_TMP/err")"
    compare_golden "$_name" "$TEST_TMP/out"
    echo "ok: qtopo $*"
}

# bad_input WANT ARGS...: exit status 1 and exactly one stderr line that
# contains WANT (the file name or the synthetic string), nothing on stdout.
bad_input () {
    _want=$1
    shift
    "$QTOPO" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
    _rc=$?
    [ "$_rc" -eq 1 ] || fail "qtopo $*: exit $_rc, want 1"
    [ "$(wc -l <"$TEST_TMP/err")" -eq 1 ] || fail "qtopo $*: want one stderr line, got: $(cat "$TEST_TMP/err")"
    grep -q "^qtopo: .*$_want" "$TEST_TMP/err" || fail "qtopo $*: stderr does not name $_want: $(cat "$TEST_TMP/err")"
    [ -s "$TEST_TMP/out" ] && fail "qtopo $*: unexpected stdout"
    echo "ok: qtopo $* -> $(cat "$TEST_TMP/err")"
}

# usage_error ARGS...: exit status 2 with the usage text on stderr.
usage_error () {
    "$QTOPO" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
    _rc=$?
    [ "$_rc" -eq 2 ] || fail "qtopo $*: exit $_rc, want 2"
    grep -q "^Usage: qtopo" "$TEST_TMP/err" || fail "qtopo $*: no usage text on stderr"
    [ -s "$TEST_TMP/out" ] && fail "qtopo $*: unexpected stdout"
    echo "ok: qtopo $* -> usage"
}

# Our fixtures.
golden qtopo-node-two-socket-gpu.txt --node --topology "$OWN/two-socket-gpu.xml"
golden qtopo-node-two-socket-gpu.json --node --topology "$OWN/two-socket-gpu.xml" --json
golden qtopo-node-two-socket-gpu.dot --node --topology "$OWN/two-socket-gpu.xml" --dot
if command -v dot >/dev/null 2>&1; then
    "$QTOPO" --node --topology "$OWN/two-socket-gpu.xml" --dot | dot -Tsvg >/dev/null ||
        fail "Graphviz refuses qtopo --node --dot"
fi
golden qtopo-node-two-socket-synthetic.txt --node --synthetic "$(cat "$OWN/two-socket.synthetic")"

# The real machines beside the repository (the XML is never copied here).
if [ -d "$HUDDLE_SHARED_DIR/topologies" ]; then
    for name in 16amd64-4distances 24em64t-2n6c2t-pci nvidia-dgx2 power8gpudistances; do
        golden "qtopo-node-$name.txt" --node --topology "$HUDDLE_SHARED_DIR/topologies/$name.xml"
    done
else
    echo "note: $HUDDLE_SHARED_DIR/topologies missing, shared machines not checked"
fi

# Bad input: one line naming the culprit, exit 1.
bad_input "$OWN/does-not-exist.xml: No such file" --node --topology "$OWN/does-not-exist.xml"
bad_input "$OWN/not-xml.xml: not an hwloc XML topology" --node --topology "$OWN/not-xml.xml"
bad_input "$OWN/truncated.xml: truncated" --node --topology "$OWN/truncated.xml"
bad_input "$OWN: is a directory" --node --topology "$OWN"
bad_input 'synthetic "pack:2 core:x": ' --node --synthetic "$(cat "$OWN/malformed.synthetic")"
bad_input 'synthetic "": ' --node --synthetic ""
if [ "$(id -u)" -ne 0 ]; then
    cp "$OWN/two-socket-gpu.xml" "$TEST_TMP/unreadable.xml" && chmod 000 "$TEST_TMP/unreadable.xml"
    bad_input "$TEST_TMP/unreadable.xml: Permission denied" --node --topology "$TEST_TMP/unreadable.xml"
fi

# Usage errors: exit 2.
usage_error --topology "$OWN/two-socket-gpu.xml"
usage_error --node --bogus
usage_error --node --topology
usage_error --node --topology "$OWN/two-socket-gpu.xml" --synthetic "pack:1 pu:1"
usage_error --node extra-argument

# The live machine: whatever it is, it loads and ends with the summary.
"$QTOPO" --node >"$TEST_TMP/out" 2>"$TEST_TMP/err" || fail "qtopo --node (live): exit $?: $(cat "$TEST_TMP/err")"
tail -n 1 "$TEST_TMP/out" | grep -Eq '^[0-9]+ packages?, [0-9]+ NUMA, [1-9][0-9]* cores?, [1-9][0-9]* PUs?, [0-9]+ GPUs?, [0-9]+ NICs?$' \
    || fail "qtopo --node (live): no summary line: $(cat "$TEST_TMP/out")"
summary=$(tail -n 1 "$TEST_TMP/out")
"$QTOPO" --node --json >"$TEST_TMP/out" || fail "qtopo --node --json (live) failed"
grep -q '^{"v":1,' "$TEST_TMP/out" || fail "qtopo --node --json (live): not the JSON model"
echo "ok: live machine: $summary"
exit 0
