#!/bin/sh
# qsub -I, driven through a terminal as a user would (ptydrive.py): the
# user waits for the job, gets a shell on the job's first node with the
# job's environment and container, runs commands, sees its terminal's size
# there (and a resize), ^C interrupts only the foreground command, and
# `exit 3` ends the job with status 3, which is also qsub's.  qdel and the
# walltime end the session (PBS's "=>> PBS: job killed: walltime" line
# reaches the terminal).  Without a terminal the shell reads qsub's stdin.
# ^C while qsub waits deletes the job; a qsub killed during its session
# ends the job; a job nobody attaches to fails after 60 s.  Another user
# cannot attach to the session, nobody can attach twice or to a batch job,
# and malformed attaches are refused.
. "$top_srcdir/tests/system/lib.sh"

need_root
need_users
command -v python3 >/dev/null 2>&1 || skip "no python3 to drive a terminal"
ensure_user hu0710a
ensure_user hu0710b
cluster_up --nodes 2 --synthetic "pack:1 core:2 pu:1" --ctld-opt kill_grace=2
chmod 0777 "$TEST_TMP"
cd "$TEST_TMP" || fail "cd $TEST_TMP"
DRIVE="python3 $top_srcdir/tests/system/ptydrive.py"
QSUB_I="runuser -u hu0710a -- env HUDDLE_SERVER=$HUDDLE_SERVER PATH=$PATH TERM=xterm \
${HUDDLE_MUNGE_SOCKET:+HUDDLE_MUNGE_SOCKET=$HUDDLE_MUNGE_SOCKET} qsub -I"

# drive NAME QSUB-ARGS...: run qsub -I ARGS on a terminal following
# NAME.steps; its output in NAME.out, its exit status in $DRIVE_RC.
drive () {
    _n=$1
    shift
    # shellcheck disable=SC2086
    $DRIVE "$_n.steps" -- $QSUB_I "$@" >"$_n.out" 2>&1
    DRIVE_RC=$?
    echo "---- $_n: exit $DRIVE_RC"
    cat "$_n.out"
}

# ---- 0. a qsub -I that dies before its job starts: the job starts (here:
# released once qsub is gone), nobody attaches, its shepherd fails it after
# 60 s.  Checked at the end, while the rest runs.
cat >orphan.steps <<'EOS'
expect qsub: waiting for job (\S+) to start
kill 9
exit
EOS
drive orphan -h
ORPHAN=$(sed -n 's/^qsub: waiting for job \(.*\) to start.*/\1/p' orphan.out | tr -d '\r')
[ -n "$ORPHAN" ] || fail "no orphaned job"
qrls "$ORPHAN" || fail "qrls $ORPHAN"
wait_job "$ORPHAN" R

# ---- 1. a session: environment, window size, ^C, exit 3
cat >main.steps <<'EOS'
expect qsub: waiting for job (\S+) to start
expect qsub: job $1 ready
send echo "E""NV:$PBS_JOBID:$PBS_ENVIRONMENT:$(cat $PBS_NODEFILE):$(id -un):$$"
expect ENV:([^:]+):PBS_INTERACTIVE:node0[12]:hu0710a:(\d+)
send echo "C""G:$(sed -n 's/.*[/]\(job_[0-9]*\)$/\1/p' /proc/self/cgroup | sort -u | head -n 1):"
expect CG:\S*:
send echo "C""PUS:$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status):"
expect CPUS:\S+:
send echo "S""Z:$(stty size)"
expect SZ:24 80
winsize 33 101
sleep 0.5
send echo "S""Z:$(stty size)"
expect SZ:33 101
send sleep 30
sleep 1
key 03
send echo "A""LIVE:$$"
expect ALIVE:$2 10
send exit 3
expect qsub: job $1 completed
exit
EOS
drive main -l walltime=5:00
[ "$DRIVE_RC" = 3 ] || fail "qsub -I; exit 3: qsub exited $DRIVE_RC"
JOBID=$(sed -n 's/^qsub: waiting for job \(.*\) to start.*/\1/p' main.out | tr -d '\r')
wait_job "$JOBID" F
[ "$(job_attr "$JOBID" Exit_status)" = 3 ] || fail "exit 3: Exit_status $(job_attr "$JOBID" Exit_status)"
[ "$(job_attr "$JOBID" interactive)" = True ] || fail "qstat -f: interactive = $(job_attr "$JOBID" interactive)"
[ "$(job_attr "$JOBID" Rerunable)" = False ] || fail "qstat -f: Rerunable = $(job_attr "$JOBID" Rerunable)"
# Containment: the shell is in the job's container as a batch job's script
# is in its own (a cgroup job_SEQ, or none with the pgrp backend).
sh_cg=$(grep -o 'CG:job_[0-9]*:' main.out | sed 's/^CG:\(.*\):$/\1/' | head -n 1)
cat >cg.pbs <<'EOS'
sed -n 's/.*[/]\(job_[0-9]*\)$/\1/p' /proc/self/cgroup | sort -u | head -n 1
sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status
EOS
BATCH=$(as_user hu0710a qsub cg.pbs) || fail "qsub cg.pbs"
wait_job "$BATCH" F
batch_cg=$(sed -n 1p "cg.pbs.o${BATCH%%.*}")
# Binding: one ncpus, so one PU, as the batch job's (both all PUs where
# the agent could not bind)
batch_cpus=$(sed -n 2p "cg.pbs.o${BATCH%%.*}")
sh_cpus=$(grep -o 'CPUS:[^:]*:' main.out | sed 's/^CPUS:\(.*\):$/\1/' | head -n 1)
case "$batch_cpus" in
*[,-]*) case "$sh_cpus" in *[,-]*) ;; *) fail "the session is bound to $sh_cpus, a batch job to $batch_cpus" ;; esac ;;
*) case "$sh_cpus" in *[,-]* | "") fail "the session runs on PUs \"$sh_cpus\", a batch job is bound to $batch_cpus" ;; esac ;;
esac
case "$batch_cg" in
"") [ -z "$sh_cg" ] || fail "the session is in $sh_cg, a batch job in no job cgroup" ;;
"job_${BATCH%%.*}") [ "$sh_cg" = "job_${JOBID%%.*}" ] || fail "the session's cgroup is \"$sh_cg\", not job_${JOBID%%.*}" ;;
*) fail "a batch job's cgroup: $batch_cg" ;;
esac
echo "ok: qsub -I: the job's environment, container (${sh_cg:-pgrp}), binding (PUs $sh_cpus), stty size and a resize, ^C spares the shell, exit 3"

# ---- 2. qdel ends the session; qsub says so
cat >qdel.steps <<'EOS'
expect qsub: waiting for job (\S+) to start
expect qsub: job $1 ready
send echo "R""EADY"; sleep 300
expect READY
run qdel $1
expect qsub: job $1 completed 20
exit
EOS
drive qdel
[ "$DRIVE_RC" != 0 ] || fail "qdel of an interactive job: qsub exited 0"
JOBID=$(sed -n 's/^qsub: waiting for job \(.*\) to start.*/\1/p' qdel.out | tr -d '\r')
wait_job "$JOBID" F
echo "ok: qdel ends the session (qsub exit $DRIVE_RC, Exit_status $(job_attr "$JOBID" Exit_status))"

# ---- 3. the walltime ends it, with PBS's line on the terminal
cat >wall.steps <<'EOS'
expect qsub: waiting for job (\S+) to start
expect qsub: job $1 ready
send echo "R""EADY"; sleep 300
expect READY
expect =>> PBS: job killed: walltime \d+ exceeded limit 3 20
expect qsub: job $1 completed 20
exit
EOS
drive wall -l walltime=3
JOBID=$(sed -n 's/^qsub: waiting for job \(.*\) to start.*/\1/p' wall.out | tr -d '\r')
wait_job "$JOBID" F
[ "$(job_attr "$JOBID" Exit_status)" = -29 ] ||
    fail "walltime: Exit_status $(job_attr "$JOBID" Exit_status), want -29"
echo "ok: the walltime ends the session with PBS's message, Exit_status -29"

# ---- 4. no terminal: the shell reads qsub's stdin, streams stay apart
printf 'echo "P""IPE:$PBS_JOBID"\necho "E""RR" >&2\nexit 4\n' |
    as_user hu0710a qsub -I >pipe.out 2>pipe.err
rc=$?
cat pipe.out pipe.err
[ "$rc" = 4 ] || fail "qsub -I from a pipe: exit $rc, want 4"
grep -q "^PIPE:[0-9]" pipe.out || fail "qsub -I from a pipe: no output"
grep -q "^ERR$" pipe.err || fail "qsub -I from a pipe: stderr not kept apart"
echo "ok: qsub -I without a terminal runs the shell on qsub's stdin"

# a script's directives apply, its body is not run (PBS); #PBS -I alone
# makes the job interactive
printf '#!/bin/sh\n#PBS -N isess\n#PBS -I\ntouch %s/body.ran\n' "$TEST_TMP" >body.sh
echo 'echo "N""AME:$PBS_JOBNAME"' | as_user hu0710a qsub body.sh >body.out 2>&1 ||
    fail "qsub with #PBS -I: $(cat body.out)"
cat body.out
grep -q "^NAME:isess" body.out || fail "#PBS -I: the script's directives were not applied"
[ ! -e body.ran ] || fail "#PBS -I: the script's body ran"
echo "ok: #PBS -I: the script's directives apply, its body is not run"

# ---- 5. ^C while qsub waits deletes the job (here: held, so it never starts)
cat >intr.steps <<'EOS'
expect qsub: waiting for job (\S+) to start
sleep 1
key 03
expect qsub: job $1 deleted
exit
EOS
drive intr -h
JOBID=$(sed -n 's/^qsub: waiting for job \(.*\) to start.*/\1/p' intr.out | tr -d '\r')
wait_job "$JOBID" F
echo "ok: ^C while qsub -I waits deletes the job (qsub exit $DRIVE_RC)"

# ---- 6. qsub killed during the session: the job ends, its comment says why
cat >gone.steps <<'EOS'
expect qsub: waiting for job (\S+) to start
expect qsub: job $1 ready
send echo "R""EADY"; sleep 300
expect READY
kill 9
exit
EOS
drive gone
JOBID=$(sed -n 's/^qsub: waiting for job \(.*\) to start.*/\1/p' gone.out | tr -d '\r')
wait_job "$JOBID" F 30
job_attr "$JOBID" comment | grep -q "qsub -I went away" ||
    fail "qsub killed: the job's comment: $(job_attr "$JOBID" comment)"
echo "ok: a qsub -I that is killed ends its job ($(job_attr "$JOBID" comment))"

# ---- 7. nobody else attaches: another user, nor the owner a second time
if command -v munge >/dev/null 2>&1; then
    cat >hold.steps <<'EOS'
expect qsub: waiting for job (\S+) to start
expect qsub: job $1 ready
send echo "R""EADY"
expect READY
run echo $1 >held.jobid
run sleep 3
send exit 0
expect qsub: job $1 completed
exit
EOS
    rm -f held.jobid
    drive hold &
    HOLD_PID=$!
    wait_for 30 "the held session" test -s held.jobid
    seq=$(cut -d . -f 1 held.jobid)
    node=$(job_attr "$(cat held.jobid)" exec_host | sed 's,/.*,,')
    other_node=node01
    [ "$node" != node01 ] || other_node=node02
    ep=$(sed -n 's/.*remote tasks (huddle-rsh) on //p' "$CLUSTER_DIR/agent-$node.log" | tail -n 1)
    cat >attach.py <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
import rawclient as rc
s, hello = rc.connect(role="task", timeout=15)
m = {"type": "task.attach", "seq": int(sys.argv[2]), "node": sys.argv[3]}
m.update(json.loads(sys.argv[4]) if len(sys.argv) > 4 else {})
s.sendall(rc.frame(m))
r = rc.read_frame(s) or {}
print(r.get("error") or r.get("type"))
PY
    other=$(as_user hu0710b env HUDDLE_SERVER="$ep" python3 attach.py "$top_srcdir/tests/system" "$seq" "$node")
    echo "another user: $other"
    case "$other" in *"is not uid"*) ;; *) fail "another user attached: $other" ;; esac
    again=$(as_user hu0710a env HUDDLE_SERVER="$ep" python3 attach.py "$top_srcdir/tests/system" "$seq" "$node")
    echo "the owner again: $again"
    case "$again" in *"already has its interactive session"*) ;; *) fail "a second attach: $again" ;; esac
    for bad in '{"rows": -1}' '{"term": "x y"}' '{"pty": "yes"}' "{\"node\": \"$other_node\"}"; do
        why=$(as_user hu0710a env HUDDLE_SERVER="$ep" python3 attach.py "$top_srcdir/tests/system" "$seq" "$node" "$bad")
        echo "task.attach $bad: $why"
        case "$why" in "" | task.spawn.ok) fail "task.attach $bad was taken" ;; esac
    done
    wait "$HOLD_PID"
    cat hold.out
    grep -q "completed" hold.out || fail "the held session did not end"
    # a batch job has no session to attach to
    BATCH=$(as_user hu0710a qsub -- /bin/sleep 60) || fail "qsub sleep"
    wait_job "$BATCH" R 90
    bnode=$(job_attr "$BATCH" exec_host | sed 's,/.*,,')
    bep=$(sed -n 's/.*remote tasks (huddle-rsh) on //p' "$CLUSTER_DIR/agent-$bnode.log" | tail -n 1)
    why=$(as_user hu0710a env HUDDLE_SERVER="$bep" python3 attach.py "$top_srcdir/tests/system" "${BATCH%%.*}" "$bnode")
    echo "a batch job: $why"
    case "$why" in *"not an interactive job"*) ;; *) fail "attach to a batch job: $why" ;; esac
    qdel "$BATCH"
    echo "ok: another user cannot attach, the owner only once, nor to a batch job; bad attaches refused"
fi

wait_job "$ORPHAN" F 90
[ "$(job_attr "$ORPHAN" Exit_status)" = -2 ] &&
    job_attr "$ORPHAN" comment | grep -q "did not attach within 60 s" ||
    fail "an orphaned interactive job: Exit_status $(job_attr "$ORPHAN" Exit_status), comment $(job_attr "$ORPHAN" comment)"
echo "ok: an interactive job nobody attaches to fails after 60 s ($(job_attr "$ORPHAN" comment))"
