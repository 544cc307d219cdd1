#!/bin/sh
# resources_used.mem is the job's memory, all its processes together: a job
# whose three processes hold 200 MB each at the same time reports at least
# 550,000 kb, not the ~210,000 kb of its largest process.  Needs a
# containment backend that accounts memory (a cgroup v1 memory hierarchy,
# or cgroup v2 with the memory controller and memory.peak); skipped
# otherwise.
. "$top_srcdir/tests/system/lib.sh"

need_root
[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
cluster_up --nodes 1 --ctld-opt heartbeat_interval=1 --ctld-opt heartbeat_timeout=10

# What the agent contains jobs with (its first lines say).
contain=$(sed -n 's/.*containment: //p' "$CLUSTER_DIR/agent-node01.log" | head -n 1)
echo "containment: $contain"
case $contain in
    cgv1:*"(no memory hierarchy)"*) skip "cgroup v1 without a memory hierarchy: no memory accounting" ;;
    cgv1:*) ;;
    cgv2:*controllers:*memory*)
        dir=${contain#cgv2: }
        dir=${dir%%/job_SEQ*}
        [ -e "$dir/memory.peak" ] || skip "cgroup v2 without memory.peak (Linux < 5.19): no peak figure"
        ;;
    *) skip "containment without memory accounting: $contain" ;;
esac

cat >"$TEST_TMP/mem.job" <<'EOS'
#PBS -N memjob
# Three processes each hold 200 MB (written, so really resident) until all
# three hold it, then let go together.
hold='import os, sys, time
b = b"x" * (200 << 20)
d = os.environ["TMPDIR"]
open(os.path.join(d, "held." + sys.argv[1]), "w").close()
for i in range(600):
    if len([f for f in os.listdir(d) if f.startswith("held.")]) == 3:
        break
    time.sleep(0.1)
else:
    sys.exit("the other processes never held their memory")
time.sleep(0.5)
'
for k in 1 2 3; do /usr/bin/python3 -c "$hold" $k & done
wait
EOS
cd "$TEST_TMP" || fail "cd $TEST_TMP"
submit mem.job
wait_job "$JOBID" F 90
[ "$(job_attr "$JOBID" Exit_status)" = 0 ] ||
    fail "memjob: Exit_status $(job_attr "$JOBID" Exit_status): $(cat "$TEST_TMP"/memjob.e* 2>&1)"
mem=$(job_attr "$JOBID" resources_used.mem)
kb=${mem%kb}
case $kb in
    '' | *[!0-9]*) fail "resources_used.mem \"$mem\" is not NNNkb" ;;
esac
[ "$kb" -ge 550000 ] || fail "resources_used.mem $mem: less than three processes of 200 MB"
echo "ok: resources_used.mem = $mem for three processes of 200 MB"
exit 0
