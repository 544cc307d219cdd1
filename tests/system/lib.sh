# lib.sh - helpers for huddle's system tests (sourced, POSIX sh).
#
# The test harness (tests/system/Makefile.am) exports top_builddir,
# top_srcdir and HUDDLE_SHARED_DIR.  Exit status follows automake: 0 pass,
# 1 fail, 77 skip.

: "${top_srcdir:?top_srcdir is not set: run through make check}"
: "${top_builddir:?top_builddir is not set: run through make check}"
EXPECTED_DIR="$top_srcdir/tests/system/expected"
FIXTURE_DIR="$top_srcdir/tests/fixtures"

# A scratch directory removed on exit (kept with KEEP_TEST_TMP=1).
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/huddle-test.XXXXXX") || exit 99
# Tests run in it, so that a job submitted from the current directory writes
# its output there, never into the build tree (make distcheck finds those).
cd "$TEST_TMP" || exit 99

# On exit: stop the cluster a test started (cluster_up), report sanitizer
# findings of its daemons, dump their logs when the test failed, remove
# TEST_TMP.  Signals end the test through exit so that this still runs.
_lib_exit () {
    _lib_rc=$?
    trap - EXIT
    # Daemons a test started outside the cluster (their pid files listed in
    # TEST_PIDFILES) are stopped by pid first.
    for _pf in ${TEST_PIDFILES:-}; do
        [ -s "$_pf" ] && kill "$(cat "$_pf")" 2>/dev/null
    done
    if [ "${CLUSTER_UP:-0}" = 1 ]; then
        CLUSTER_UP=0
        "$HUDDLE_CLUSTER" down --dir "$CLUSTER_DIR" >"$TEST_TMP/down.out" 2>&1 ||
            { cat "$TEST_TMP/down.out" >&2; _lib_rc=1; }
        if grep -l -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error:' \
            "$CLUSTER_DIR"/*.out >"$TEST_TMP/sanitized" 2>/dev/null; then
            echo "FAIL: sanitizer reports from daemons:" >&2
            while IFS= read -r _f; do echo "---- $_f" >&2; cat "$_f" >&2; done <"$TEST_TMP/sanitized"
            _lib_rc=1
        fi
        if [ "$_lib_rc" -ne 0 ] && [ "$_lib_rc" -ne 77 ]; then
            cluster_dump_logs
        fi
    fi
    # File systems the test mounted (TEST_MOUNTS), once its daemons are gone.
    for _m in ${TEST_MOUNTS:-}; do
        umount "$_m" 2>/dev/null || umount -l "$_m" 2>/dev/null
    done
    # Users this test created (ensure_user) are removed with their homes,
    # then the groups it created (ensure_group).
    # -f: a process of the user killed just now, or a zombie nobody reaps
    # (where PID 1 does not), must not leave the user behind for the next
    # run to find and keep.
    for _u in ${TEST_USERS_MADE:-}; do
        pkill -KILL -u "$_u" 2>/dev/null
        userdel -f -r "$_u" >/dev/null 2>&1 || userdel -f "$_u" >/dev/null 2>&1
    done
    for _g in ${TEST_GROUPS_MADE:-}; do
        groupdel "$_g" >/dev/null 2>&1
    done
    if [ "${KEEP_TEST_TMP:-0}" = 1 ]; then
        echo "kept $TEST_TMP" >&2
    else
        rm -rf "$TEST_TMP"
    fi
    exit "$_lib_rc"
}
trap _lib_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# skip REASON...: stop the whole test as skipped.
skip () {
    echo "SKIP: $*"
    exit 77
}

# fail REASON...: stop the whole test as failed.
fail () {
    echo "FAIL: $*" >&2
    exit 1
}

# expect_fail STATUS PATTERN CMD...: CMD must fail with exit status STATUS
# ("any" for any non-zero one) and say PATTERN (grep -E) on stdout or
# stderr.  A command that merely fails (a dead controller, say) is not the
# refusal a test looks for.
expect_fail () {
    _want=$1
    _pat=$2
    shift 2
    "$@" >"$TEST_TMP/expect.out" 2>&1
    _rc=$?
    [ "$_rc" -ne 0 ] || fail "$* succeeded, want a failure saying \"$_pat\": $(cat "$TEST_TMP/expect.out")"
    [ "$_want" = any ] || [ "$_rc" -eq "$_want" ] ||
        fail "$* exited $_rc, want $_want: $(cat "$TEST_TMP/expect.out")"
    grep -Eq -- "$_pat" "$TEST_TMP/expect.out" ||
        fail "$* did not say \"$_pat\": $(cat "$TEST_TMP/expect.out")"
}

# compare_golden NAME FILE: FILE must equal expected/NAME.  With
# UPDATE_GOLDEN=1 in the environment, write FILE there instead (then review
# the diff before committing).
compare_golden () {
    _golden="$EXPECTED_DIR/$1"
    if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
        cp "$2" "$_golden" || fail "cannot write $_golden"
        echo "updated $_golden"
        return 0
    fi
    [ -f "$_golden" ] || fail "no golden file $_golden (run with UPDATE_GOLDEN=1 to create it)"
    if ! diff -u "$_golden" "$2"; then
        fail "output differs from $_golden"
    fi
}

# ------------------------------------------------------------------ clusters
# A test cluster: huddle-cluster from the source tree with the programs of
# the build tree, in TEST_TMP/cluster, stopped on exit whatever happens.

HUDDLE_CLUSTER="$top_srcdir/cli/huddle-cluster"
HUDDLE_BUILDDIR=$top_builddir
export HUDDLE_BUILDDIR
CLUSTER_DIR="$TEST_TMP/cluster"
CLUSTER_UP=0

# Sanitizer builds run the daemons several times slower: SLOW scales the
# time limits (never the time a test waits when things work).
SLOW=1
grep -q -e '--enable-sanitizers' "$top_builddir/config.status" 2>/dev/null && SLOW=3
HUDDLE_CLUSTER_TIMEOUT=$((30 * SLOW))
export HUDDLE_CLUSTER_TIMEOUT

# need_root: skip unless root (agents run jobs as their owners).
need_root () {
    [ "$(id -u)" -eq 0 ] || skip "needs root: agents start jobs as their owners"
}

# need_netns: skip unless this machine can build a namespace cluster
# (huddle-cluster up --netns): root, ip, tc, bridge, nsenter, unshare,
# flock, and a network namespace can be made.
need_netns () {
    need_root
    for _c in ip tc bridge nsenter unshare flock; do
        command -v "$_c" >/dev/null 2>&1 || skip "no $_c: a namespace cluster needs ip, tc, bridge, nsenter, unshare and flock"
    done
    unshare --net true 2>/dev/null || skip "cannot make a network namespace here (unshare --net failed)"
}

# cluster_up ARGS...: huddle-cluster up --dir CLUSTER_DIR ARGS, then its
# environment (HUDDLE_SERVER, HUDDLE_MUNGE_SOCKET, PATH) in this shell.
# Skips when not root or when no munged can run here; with --netns (a
# cluster of namespaces: --leaves L --nodes-per-leaf N [--uplink RATE]),
# also when need_netns does.
cluster_up () {
    need_root
    for _a in "$@"; do
        [ "$_a" != --netns ] || need_netns
    done
    [ -x "$top_builddir/agent/huddle-agent" ] || fail "$top_builddir/agent/huddle-agent not built"
    # Job owners must reach their files under TEST_TMP (mktemp makes it 0700).
    chmod 0755 "$TEST_TMP"
    CLUSTER_UP=1
    "$HUDDLE_CLUSTER" up --dir "$CLUSTER_DIR" "$@" >"$TEST_TMP/cluster.env" 2>"$TEST_TMP/cluster.err"
    _rc=$?
    if [ $_rc -eq 77 ]; then
        CLUSTER_UP=0
        skip "no munged: $(cat "$TEST_TMP/cluster.err")"
    fi
    [ $_rc -eq 0 ] || fail "huddle-cluster up $* (exit $_rc): $(cat "$TEST_TMP/cluster.err")"
    eval "$(cat "$TEST_TMP/cluster.env")"
    CTLD_PID=$(cat "$CLUSTER_DIR/huddle-ctld.pid")
    echo "cluster up: controller $HUDDLE_SERVER (pid $CTLD_PID), nodes$(sed -n "s/^HC_NODES='\(.*\)'/\1/p" "$CLUSTER_DIR/cluster.env")"
}

# cluster_dump_logs: every daemon's log (tail) and each job's shepherd notes.
cluster_dump_logs () {
    for _f in "$CLUSTER_DIR"/*.log "$CLUSTER_DIR"/*.out "$CLUSTER_DIR"/munge/munged.log \
        "$CLUSTER_DIR"/nodes/*/state/jobs/*/shepherd.log; do
        [ -s "$_f" ] || continue
        echo "---- $_f" >&2
        tail -n 150 "$_f" >&2
    done
}

# node_exec NAME CMD...: CMD inside node NAME of a --netns cluster (its
# network namespace, host name and /etc/hosts), in the current directory.
node_exec () {
    _node=$1
    shift
    "$HUDDLE_CLUSTER" exec "$_node" --dir "$CLUSTER_DIR" -- "$@"
}

# agent_pid NAME: the running agent's pid.
agent_pid () {
    cat "$CLUSTER_DIR/agent-$1.pid" 2>/dev/null
}

# wait_for SECONDS WHAT CMD...: run CMD every 0.1 s until it succeeds; fail
# naming WHAT after SECONDS (times SLOW).  CMD may leave what it saw in
# WAIT_SEEN for the failure message.
wait_for () {
    _secs=$(($1 * SLOW))
    _what=$2
    shift 2
    _end=$(($(date +%s) + _secs))
    WAIT_SEEN=""
    until "$@"; do
        [ "$(date +%s)" -lt "$_end" ] ||
            fail "timed out after ${_secs}s waiting for $_what${WAIT_SEEN:+ (last seen: $WAIT_SEEN)}"
        sleep 0.1
    done
}

# submit ARGS...: qsub ARGS, the job id in JOBID (fails the test when qsub
# fails).  Not in a subshell, so that fail ends the test.
submit () {
    JOBID=$(qsub "$@" 2>"$TEST_TMP/qsub.err") || fail "qsub $*: $(cat "$TEST_TMP/qsub.err")"
    [ -n "$JOBID" ] || fail "qsub $*: no job id"
}

# job_state ID: the job's state letter (qstat -x -F json), "" if unknown.
job_state () {
    qstat -x -F json "$1" 2>/dev/null | sed -n 's/^ *"job_state":"\(.*\)",*$/\1/p'
}

# job_attr ID NAME: one attribute from qstat -xf (wrapped lines joined).
job_attr () {
    qstat -xf "$1" 2>/dev/null | awk -v name="$2" '
        /^    [^ ]/ { on = 0 }
        /^\t/ && on { sub(/^\t/, ""); v = v $0; next }
        index($0, "    " name " = ") == 1 { on = 1; v = substr($0, length(name) + 8) }
        END { if (v != "") print v }'
}

# job_is ID STATE: true when the job is in STATE.
job_is () {
    WAIT_SEEN=$(job_state "$1")
    [ "$WAIT_SEEN" = "$2" ]
}

# wait_job ID STATE [SECONDS]: wait until the job is in STATE (default 30 s).
wait_job () {
    wait_for "${3:-30}" "job $1 to reach state $2" job_is "$1" "$2"
}

# node_state NAME: the node's state from qnodes -a.
node_state () {
    qnodes -a "$1" 2>/dev/null | sed -n 's/^ *state = //p'
}

node_is () {
    WAIT_SEEN=$(node_state "$1")
    [ "$WAIT_SEEN" = "$2" ]
}

# wait_node NAME STATE [SECONDS]
wait_node () {
    wait_for "${3:-30}" "node $1 to be $2" node_is "$1" "$2"
}

# wait_links N [SECONDS]: wait until qtopo --links lists N measured pairs
# (probes run between idle nodes only); the list is in links.json.
wait_links () {
    _nlinks=$1
    _links_seen () {
        qtopo --links --json >links.json 2>&1 || { WAIT_SEEN=$(cat links.json); return 1; }
        WAIT_SEEN=$(cat links.json)
        [ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["links"]))' links.json)" = "$_nlinks" ]
    }
    wait_for "${2:-90}" "qtopo --links to show $_nlinks pairs" _links_seen
}

# need_users: skip unless root with runuser (tests that run commands as
# unprivileged users).
need_users () {
    need_root
    command -v runuser >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin"
    command -v runuser >/dev/null 2>&1 || skip "no runuser"
}

# need_raw_client: skip unless tests/system/rawclient.py can run here
# (python3, the munge client) and jq can read its answers.
need_raw_client () {
    command -v python3 >/dev/null 2>&1 || skip "no python3"
    command -v munge >/dev/null 2>&1 || skip "no munge client"
    command -v jq >/dev/null 2>&1 || skip "no jq"
    RAW_CLIENT="$top_srcdir/tests/system/rawclient.py"
}

# ensure_user NAME: the unprivileged user NAME exists (created with useradd
# -m when absent, and then removed again when the test exits; an existing
# one is used as is and left).  Skips when it cannot be.
ensure_user () {
    id -u "$1" >/dev/null 2>&1 && return 0
    command -v useradd >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin"
    command -v useradd >/dev/null 2>&1 || skip "no useradd to create user $1"
    useradd -m "$1" >/dev/null 2>&1 || { id -u "$1" >/dev/null 2>&1 || skip "cannot create user $1"; return 0; }
    TEST_USERS_MADE="${TEST_USERS_MADE:-} $1"
}

# ensure_group NAME [USER...]: the group NAME exists (created with groupadd
# when absent, and removed again when the test exits) and has USERs as
# members.  Skips when it cannot be.
ensure_group () {
    _g=$1
    shift
    command -v groupadd >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin"
    if ! getent group "$_g" >/dev/null 2>&1; then
        groupadd "$_g" >/dev/null 2>&1 || skip "cannot create group $_g"
        TEST_GROUPS_MADE="${TEST_GROUPS_MADE:-} $_g"
    fi
    for _u in "$@"; do
        usermod -a -G "$_g" "$_u" >/dev/null 2>&1 || skip "cannot add $_u to group $_g"
    done
}

# as_user NAME CMD...: run CMD as NAME with the cluster's environment.
as_user () {
    _u=$1
    shift
    runuser -u "$_u" -- env HUDDLE_SERVER="$HUDDLE_SERVER" PATH="$PATH" \
        ${HUDDLE_MUNGE_SOCKET:+HUDDLE_MUNGE_SOCKET="$HUDDLE_MUNGE_SOCKET"} "$@"
}
