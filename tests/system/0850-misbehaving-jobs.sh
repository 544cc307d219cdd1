#!/bin/sh
# Jobs that misbehave, as an unprivileged user, on one agent:
#   - a fork bomb is stopped by the job's process limit (job_pids_max, the
#     cgroup's pids.max) and the node stays usable; qdel ends every process;
#   - processes that ignore SIGTERM are killed after kill_grace;
#   - a job that daemonizes (setsid, double fork) and exits leaves nothing
#     behind;
#   - a job that writes output as fast as it can is held to -l file= and
#     ended by its walltime, and the controller keeps answering meanwhile;
#   - a walltime ends a job whose children ignore SIGTERM, all of them.
# "Nothing survives" is checked by the pids the job's processes wrote down,
# not by process names.
. "$top_srcdir/tests/system/lib.sh"

need_users
[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
u=hu0850a
ensure_user "$u"
cluster_up --nodes 1 --synthetic "core:2 pu:1" --ctld-opt kill_grace=2 \
    --agent-opt job_pids_max=64
contain=$(sed -n 's/.*containment: //p' "$CLUSTER_DIR/agent-node01.log" | head -n 1)
echo "containment: $contain"

box="$TEST_TMP/box"
mkdir -m 1777 "$box"
cd "$box" || fail "cd $box"

# alive FILE: how many of the pids listed in FILE still exist.
alive () {
    _n=0
    for _p in $(cat "$1" 2>/dev/null); do
        kill -0 "$_p" 2>/dev/null && _n=$((_n + 1))
    done
    echo "$_n"
}
none_alive () {
    WAIT_SEEN="$(alive "$1") of $(wc -l <"$1") pids in $1 alive"
    [ "$(alive "$1")" = 0 ]
}

# --- a fork bomb ------------------------------------------------------------
case $contain in
    cgv1:*"(no pids hierarchy)"* | pgrp:* | cgv2:*) pids_limited=no ;;
    cgv1:*) pids_limited=yes ;;
esac
case $contain in
    cgv2:*controllers:*pids*) pids_limited=yes ;;
esac
cat >bomb.py <<'EOS'
import errno, os, sys, time
out = open(sys.argv[1], "w")
n, err = 0, None
for i in range(400):
    try:
        pid = os.fork()
    except OSError as e:
        err = errno.errorcode.get(e.errno, str(e.errno))
        break
    if pid == 0:
        time.sleep(600)
        os._exit(0)
    out.write("%d\n" % pid)
    n += 1
out.flush()
open(sys.argv[2], "w").write("started %d refused %s\n" % (n, err))
time.sleep(600)
EOS
bomb=$(as_user "$u" qsub -N bomb -o "$box/bomb.out" -e "$box/bomb.err" -- \
    /usr/bin/python3 "$box/bomb.py" "$box/bomb.pids" "$box/bomb.said") || fail "qsub bomb"
wait_for 30 "the fork bomb to report" test -s bomb.said
echo "fork bomb: $(cat bomb.said)"
if [ "$pids_limited" = yes ]; then
    grep -q '^started [0-9]* refused EAGAIN$' bomb.said || fail "fork bomb not refused: $(cat bomb.said)"
    started=$(awk '{print $2}' bomb.said)
    [ "$started" -lt 64 ] || fail "fork bomb started $started processes, the limit is 64"
else
    echo "note: containment $contain has no process limit; the bomb's size is not checked"
fi
# The node still starts work for others while the bomb is at its limit.
submit -o "$box/ok.out" -j oe -- /bin/echo still-alive
wait_job "$JOBID" F 30
grep -q still-alive ok.out || fail "a job next to the fork bomb did not run: $(cat ok.out 2>&1)"
qdel "$bomb" || fail "qdel bomb"
wait_job "$bomb" F 30
wait_for 15 "every process of the fork bomb to be gone" none_alive bomb.pids
echo "ok: fork bomb held to its limit and ended by qdel"

# --- SIGTERM ignored -----------------------------------------------------------
cat >stubborn.py <<'EOS'
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
kids = []
for i in range(3):
    pid = os.fork()
    if pid == 0:
        time.sleep(600)
        os._exit(0)
    kids.append(pid)
open(sys.argv[1], "w").write("".join("%d\n" % p for p in [os.getpid()] + kids))
time.sleep(600)
EOS
JOBID=$(as_user "$u" qsub -N stubborn -o /dev/null -e /dev/null -- \
    /usr/bin/python3 "$box/stubborn.py" "$box/stubborn.pids") || fail "qsub stubborn"
wait_for 30 "the stubborn job to start" test -s stubborn.pids
t0=$(date +%s)
qdel "$JOBID" || fail "qdel stubborn"
wait_job "$JOBID" F 30
wait_for 15 "every process of the stubborn job to be gone" none_alive stubborn.pids
t1=$(date +%s)
[ $((t1 - t0)) -ge 1 ] || fail "the stubborn job ended before kill_grace: SIGTERM was not ignored?"
echo "ok: processes ignoring SIGTERM killed after kill_grace ($((t1 - t0)) s)"

# --- a daemon -----------------------------------------------------------------
cat >daemon.py <<'EOS'
import os, sys, time
pidfile = sys.argv[1]
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for fd in (0, 1, 2):
            os.close(fd)
        open(pidfile, "a").write("%d\n" % os.getpid())
        time.sleep(600)
    os._exit(0)
time.sleep(1)
EOS
cat >daemon.job <<EOS
setsid sh -c 'sleep 600 & echo \$! >>$box/daemon.pids' </dev/null >/dev/null 2>&1 &
/usr/bin/python3 $box/daemon.py $box/daemon.pids
exit 0
EOS
JOBID=$(as_user "$u" qsub -N daemon -o /dev/null -e /dev/null "$box/daemon.job") || fail "qsub daemon"
wait_job "$JOBID" F 30
[ "$(wc -l <daemon.pids)" -ge 2 ] || fail "the daemons did not write their pids: $(cat daemon.pids 2>&1)"
wait_for 15 "the job's daemons to be gone" none_alive daemon.pids
[ "$(job_attr "$JOBID" Exit_status)" = 0 ] || fail "daemon job: Exit_status $(job_attr "$JOBID" Exit_status)"
echo "ok: setsid and double-forked daemons do not outlive their job"

# --- output as fast as it can ---------------------------------------------------
JOBID=$(as_user "$u" qsub -N flood -l walltime=4 -l file=20mb -o "$box/flood.out" -e "$box/flood.err" \
    -- /bin/sh -c 'while :; do yes 2>/dev/null; done') || fail "qsub flood"
wait_job "$JOBID" R
worst=0
for i in 1 2 3; do
    a=$(date +%s%N)
    qstat "$JOBID" >/dev/null || fail "qstat during the flood"
    b=$(date +%s%N)
    ms=$(((b - a) / 1000000))
    [ "$ms" -gt "$worst" ] && worst=$ms
    sleep 0.5
done
wait_job "$JOBID" F 30
size=$(stat -c %s flood.out)
echo "flood: output file $size bytes, slowest qstat meanwhile $worst ms"
[ "$size" -le $((20 * 1024 * 1024)) ] || fail "output file $size bytes, over -l file=20mb"
[ "$size" -gt 0 ] || fail "the flood wrote nothing"
[ "$(job_attr "$JOBID" Exit_status)" = -29 ] ||
    fail "flood: Exit_status $(job_attr "$JOBID" Exit_status), not the walltime's -29"
[ "$worst" -lt 5000 ] || fail "qstat took $worst ms while a job flooded its output"
echo "ok: an output flood is held to -l file and ended by its walltime"

# --- walltime over children that ignore SIGTERM --------------------------------
JOBID=$(as_user "$u" qsub -N wallbomb -l walltime=3 -o /dev/null -e /dev/null -- \
    /usr/bin/python3 "$box/stubborn.py" "$box/wall.pids") || fail "qsub wallbomb"
wait_job "$JOBID" F 40
wait_for 15 "every process of the walltime job to be gone" none_alive wall.pids
[ "$(job_attr "$JOBID" Exit_status)" = -29 ] ||
    fail "wallbomb: Exit_status $(job_attr "$JOBID" Exit_status), not the walltime's -29"
echo "ok: walltime ends processes that ignore SIGTERM"
exit 0
