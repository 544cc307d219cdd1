#!/bin/sh
# One user cannot break qstat for everyone: a query reply carries no
# scripts, comes in bounded pages (qstat follows them), and per-user limits
# refuse too big a script, too many script bytes and too many jobs with a
# message naming the limit (root is not limited); the limits hold across a
# controller restart and free up when jobs go.  Prints the other user's
# qstat latency while the abuse runs and the controller's peak RSS.
. "$top_srcdir/tests/system/lib.sh"

need_users
need_raw_client
ensure_user hu0310a
ensure_user hu0310b
cluster_up --nodes 1 --ctld-opt max_script_size=2M --ctld-opt max_user_script_bytes=10M \
    --ctld-opt max_user_jobs=30 --ctld-opt query_page_jobs=8
raw=$RAW_CLIENT
work="$TEST_TMP/work-a"
mkdir -p "$work" && chown hu0310a "$work" || fail "cannot make $work"

# A script of $1 bytes: a comment line padded with x's, then an echo.
python3 -c 'import sys; n = int(sys.argv[1]); sys.stdout.write("#!/bin/sh\n#" + "x" * (n - 22) + "\necho big\n")' \
    1000000 >"$work/big.sh"
python3 -c 'import sys; sys.stdout.write("#!/bin/sh\n#" + "x" * 3000000 + "\n")' >"$work/huge.sh"
printf '#!/bin/sh\necho small\n' >"$work/small.sh"
chown hu0310a "$work"/*.sh

# qsub_a ARGS...: qsub as hu0310a in its directory; output in $TEST_TMP/a.out/err.
qsub_a () {
    as_user hu0310a sh -c 'cd "$1" && shift && exec qsub "$@"' sh "$work" "$@" \
        >"$TEST_TMP/a.out" 2>"$TEST_TMP/a.err"
}

# 1. Script bytes: ten 1 MB scripts fit the 10M limit, the eleventh does not.
i=0
while [ $i -lt 10 ]; do
    qsub_a -h big.sh || fail "qsub of big script $i: $(cat "$TEST_TMP/a.err")"
    i=$((i + 1))
done
qsub_a -h big.sh && fail "the 11th 1 MB script was accepted past max_user_script_bytes=10M"
grep -q "max_user_script_bytes" "$TEST_TMP/a.err" || fail "11th big script: $(cat "$TEST_TMP/a.err")"
qsub_a -h huge.sh && fail "a 3 MB script was accepted past max_script_size=2M"
grep -q "max_script_size" "$TEST_TMP/a.err" || fail "huge script: $(cat "$TEST_TMP/a.err")"
echo "ok: script limits: $(cat "$TEST_TMP/a.err")"

# 2. Jobs: 30 in all, the 31st refused; root is not limited.
while [ $i -lt 30 ]; do
    qsub_a -h small.sh || fail "qsub of small job $i: $(cat "$TEST_TMP/a.err")"
    i=$((i + 1))
done
qsub_a -h small.sh && fail "the 31st job was accepted past max_user_jobs=30"
grep -q "max_user_jobs" "$TEST_TMP/a.err" || fail "31st job: $(cat "$TEST_TMP/a.err")"
echo "ok: job limit: $(cat "$TEST_TMP/a.err")"
submit -h -- /bin/true
root_id=$JOBID

# 3. Another user's query: no scripts, pages of at most 8 jobs, qstat sees all.
as_user hu0310b python3 "$raw" request '{"type":"job.query"}' >"$TEST_TMP/page.json"
bytes=$(wc -c <"$TEST_TMP/page.json")
[ "$bytes" -lt 100000 ] || fail "one job.query page is $bytes bytes: scripts in it?"
[ "$(jq '.jobs | length' "$TEST_TMP/page.json")" = 8 ] && [ "$(jq -r .more "$TEST_TMP/page.json")" = true ] ||
    fail "first page: $(jq -c '{n: (.jobs | length), more, cursor}' "$TEST_TMP/page.json")"
n=$(as_user hu0310b qstat | grep -c '^[0-9]') || fail "qstat by hu0310b failed"
[ "$n" = 31 ] || fail "qstat by hu0310b lists $n jobs, want 31"
echo "ok: pages of 8 (first page $bytes bytes), qstat lists all 31 jobs"

# 4. While hu0310a runs 14 qstat -f loops, hu0310b's qstat stays quick.
pids=""
k=0
while [ $k -lt 14 ]; do
    as_user hu0310a sh -c 'end=$(($(date +%s) + 4)); while [ $(date +%s) -lt $end ]; do qstat -f >/dev/null; done' &
    pids="$pids $!"
    k=$((k + 1))
done
python3 - "$TEST_TMP/lat" <<'PY' || fail "latency probe"
import subprocess, sys, time
lat = []
end = time.time() + 3
while time.time() < end:
    t = time.time()
    subprocess.run(["runuser", "-u", "hu0310b", "--", "env", "PATH=" + __import__("os").environ["PATH"],
                    "HUDDLE_SERVER=" + __import__("os").environ["HUDDLE_SERVER"]] +
                   (["HUDDLE_MUNGE_SOCKET=" + __import__("os").environ["HUDDLE_MUNGE_SOCKET"]]
                    if "HUDDLE_MUNGE_SOCKET" in __import__("os").environ else []) + ["qstat"],
                   check=True, stdout=subprocess.DEVNULL)
    lat.append((time.time() - t) * 1000)
lat.sort()
open(sys.argv[1], "w").write("%d %.1f %.1f\n" % (len(lat), lat[len(lat) // 2], lat[int(len(lat) * 0.99)]))
PY
for p in $pids; do wait "$p"; done
read -r nq p50 p99 <"$TEST_TMP/lat"
hwm=$(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$CTLD_PID/status")
echo "measured: hu0310b qstat during 14 qstat -f loops of hu0310a: n=$nq p50=${p50}ms p99=${p99}ms; huddle-ctld VmHWM $hwm"
awk -v p="$p99" -v s="$SLOW" 'BEGIN { exit !(p < 3000 * s) }' || fail "qstat p99 ${p99} ms"

# 5. A restart keeps the limits (usage is rebuilt from the store) ...
"$HUDDLE_CLUSTER" restart-ctld --dir "$CLUSTER_DIR" || fail "restart-ctld failed"
CTLD_PID=$(cat "$CLUSTER_DIR/huddle-ctld.pid")
qsub_a -h small.sh && fail "after a restart the 31st job was accepted"
grep -q "max_user_jobs" "$TEST_TMP/a.err" || fail "31st job after restart: $(cat "$TEST_TMP/a.err")"
# ... and a job that goes frees its share.
first=$(qstat -u hu0310a | sed -n 's/^\([0-9]*\)\..*/\1/p' | head -1)
qdel "$first" || fail "qdel $first"
qsub_a -h small.sh || fail "after a qdel hu0310a still cannot submit: $(cat "$TEST_TMP/a.err")"
echo "ok: limits hold across a restart and free up when a job goes"

# 6. The scripts are intact: a released big job runs.
big=$(qstat -u hu0310a | sed -n 's/^\([0-9]*\)\..*/\1/p' | sed -n 2p)
qrls "$big" || fail "qrls $big"
wait_job "$big" F 60
[ "$(job_attr "$big" Exit_status)" = 0 ] || fail "big job $big: Exit_status $(job_attr "$big" Exit_status)"
grep -qx big "$work/big.sh.o$big" 2>/dev/null || grep -qx big "$work"/*.o"$big" ||
    fail "big job $big printed $(cat "$work"/*.o"$big" 2>&1)"
qdel "$root_id"
echo "ok: a 1 MB script kept in the store runs"
exit 0
