#!/bin/sh
# bench/run's submit-path benchmarks still run and say what the issue asks
# of them, at a small size: throughput (the qsub loop against the `qsub
# --help` loop, through TCP, the local socket and bench/submit_floor with
# and without its flush) and breakdown (each step of a submit, the flush
# back to back and 5 ms apart with the device's writes, the wake-up round
# trips).  The numbers are not judged here (bench/README.md says what they
# were); that every key is there and is a positive number is.
. "$top_srcdir/tests/system/lib.sh"

need_root
command -v python3 >/dev/null 2>&1 || skip "no python3"
[ -x "$top_builddir/bench/submit_floor" ] || fail "$top_builddir/bench/submit_floor not built"
cd "$top_builddir" || fail "no $top_builddir"
"$top_srcdir/bench/run" --nodes 1 --dir "$TEST_TMP/bench" --only throughput,breakdown \
    --throughput-jobs 30 --breakdown-samples 10 >"$TEST_TMP/bench.json" 2>"$TEST_TMP/bench.err"
rc=$?
[ $rc -ne 77 ] || skip "bench/run: $(tail -1 "$TEST_TMP/bench.err")"
[ $rc -eq 0 ] || fail "bench/run exited $rc: $(tail -20 "$TEST_TMP/bench.err")"
cd "$TEST_TMP" || fail "no $TEST_TMP"
python3 - "$TEST_TMP/bench.json" <<'PY' || fail "bench/run's JSON lacks what it must say (above)"
import json, os, sys
objs = json.load(open(sys.argv[1]))
by = {}
for o in objs:
    by.setdefault(o.get("benchmark"), []).append(o)
bad = []
def positive(obj, path):
    v = obj
    for k in path.split("."):
        v = v.get(k) if isinstance(v, dict) else None
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not v > 0:
        bad.append("%s: %r" % (path, v))
held = by.get("submit_throughput_held", [])
if not held:
    sys.exit("no submit_throughput_held object: %s" % sorted(by))
for k in ("submit_loop_ratio", "submit_loop_ratio_tcp", "submit_loop_ratio_floor",
          "submit_loop_ratio_floor_no_sync", "local_vs_floor"):
    positive(held[0], k)
bd = by.get("submit_breakdown")
if not bd:
    sys.exit("no submit_breakdown object: %s" % sorted(by))
keys = ["fdatasync.median_us", "fdatasync_5ms_apart.median_us", "submit_request.median_us",
        "qsub_help.median_us", "qsub_submit_local.median_us"]
if len(os.sched_getaffinity(0)) >= 2:  # as submit_bench decides
    keys += ["wakeup_same_cpu.median_us", "wakeup_other_cpu.median_us"]
for k in keys:
    positive(bd[0], k)
for k in ("fdatasync", "fdatasync_5ms_apart"):
    w = bd[0][k].get("device_writes_per_call")
    # a flush is a write too: at least the data and the flush, where it is counted
    if w is not None and not w >= 1:
        bad.append("%s.device_writes_per_call: %r" % (k, w))
print("held loop ratios:", ", ".join("%s %.2f" % (k, held[0][k]) for k in sorted(held[0])
                                    if isinstance(held[0][k], float) and ("ratio" in k or k == "local_vs_floor")))
for b in bad:
    print("bad or missing:", b)
sys.exit(1 if bad else 0)
PY
echo "bench/run: throughput and breakdown objects complete"
