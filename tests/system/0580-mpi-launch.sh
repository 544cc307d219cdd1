#!/bin/sh
# MPI across the job's nodes through the agents (huddle-rsh): a plain
# mpirun in a 2-node job runs one rank per mpiprocs slot on each node,
# each rank inside its own node's share of the job.
. "$top_srcdir/tests/system/lib.sh"

need_users
command -v mpirun >/dev/null 2>&1 || skip "no mpirun (Open MPI)"
RSH="$top_builddir/mpi-jobs/huddle-rsh"
[ -x "$RSH" ] || fail "$RSH not built"
ensure_user hu0580a
ensure_user hu0580b
cluster_up --nodes 3 --ctld-opt kill_grace=2 --agent-opt mpi_tcp_if=lo
chmod 0777 "$TEST_TMP"

submit_as () {
    _u=$1
    shift
    JOBID=$(as_user "$_u" qsub "$@" 2>"$TEST_TMP/qsub.err") || fail "qsub $*: $(cat "$TEST_TMP/qsub.err")"
}
# two_node_job NAME SCRIPT [DIRECTIVE...]: submit as hu0580a a job named
# NAME on two nodes, running SCRIPT; its id in JOBID.  Each node has
# PER cpus and ranks (default 1).
PER=1
two_node_job () {
    _name=$1
    _script=$2
    shift 2
    {
        echo "#PBS -l select=2:ncpus=$PER:mpiprocs=$PER"
        echo "#PBS -l place=scatter"
        echo "#PBS -N $_name"
        for _d in "$@"; do echo "#PBS $_d"; done
        echo "$_script"
    } >"$_name.pbs"
    submit_as hu0580a "$_name.pbs"
}

# ---- 1. one rank per slot, on two different nodes, in exec_host order
hello=$(cat <<'EOS'
echo "hostfile: $(tr '\n' ';' <"$OMPI_MCA_orte_default_hostfile") btl_tcp_if=$OMPI_MCA_btl_tcp_if_include"
mpirun sh -c 'echo rank=$OMPI_COMM_WORLD_RANK of=$OMPI_COMM_WORLD_SIZE node=$HUDDLE_NODE'
EOS
)
PER=2
two_node_job hello "$hello"
PER=1
wait_job "$JOBID" F 60
seq=${JOBID%%.*}
out="$TEST_TMP/hello.o$seq"
[ "$(job_attr "$JOBID" Exit_status)" = 0 ] ||
    fail "mpirun job: Exit_status $(job_attr "$JOBID" Exit_status): $(cat "$out" "$TEST_TMP/hello.e$seq")"
cat "$out"
nodes=$(job_attr "$JOBID" exec_host)
first=$(echo "$nodes" | sed 's/\/.*//')
second=$(echo "$nodes" | sed 's/^[^+]*+//; s/\/.*//')
[ "$(grep -c '^rank=' "$out")" = 4 ] || fail "want 4 ranks, got: $(cat "$out")"
want="rank=0 of=4 node=$first
rank=1 of=4 node=$first
rank=2 of=4 node=$second
rank=3 of=4 node=$second"
[ "$(grep '^rank=' "$out" | sort)" = "$want" ] ||
    fail "want ranks 0-1 on $first, 2-3 on $second (exec_host $nodes), got: $(grep '^rank=' "$out" | sort)"
echo "ranks 0-1 on $first, 2-3 on $second"
# The hostfile lists the job's nodes in exec_host order with their slots.
want=$(echo "$nodes" | sed 's/\/[^+]*//g' | tr '+' '\n' | sed 's/$/ slots=2;/' | tr -d '\n')
grep -qxF "hostfile: $want btl_tcp_if=lo" "$out" || fail "want \"hostfile: $want btl_tcp_if=lo\" in: $(cat "$out")"

# ---- 2. a running MPI job: its ranks sit in each node's share of the job
two_node_job sleepy "mpirun sh -c 'echo started on \$HUDDLE_NODE; exec sleep 300'"
A=$JOBID
seqa=${A%%.*}
wait_job "$A" R 30
two_started () {
    WAIT_SEEN=$(cat "$TEST_TMP/sleepy.o$seqa" 2>/dev/null)
    [ "$(grep -c '^started on' "$TEST_TMP/sleepy.o$seqa" 2>/dev/null)" = 2 ]
}
wait_for 30 "both ranks of job $A to start" two_started
nodes_a=$(job_attr "$A" exec_host | sed 's/\/[^+]*//g; s/+/ /g')
echo "job $A runs on: $nodes_a"
# Each rank is in its own node's container of the job (cgroup backends).
two_sleeping () {
    ranks=$(pgrep -u hu0580a -x sleep)
    WAIT_SEEN=$ranks
    [ "$(echo $ranks | wc -w)" = 2 ]
}
wait_for 10 "the 2 ranks of job $A to sleep" two_sleeping
if grep -q "job_$seqa" "/proc/$(echo $ranks | cut -d ' ' -f 1)/cgroup" 2>/dev/null; then
    in=""
    for p in $ranks; do
        in="$in $(sed -n "s/.*huddle-[0-9]*-\(node[0-9]*\)\/job_$seqa\$/\1/p" "/proc/$p/cgroup" | sort -u)"
    done
    [ "$(echo $in | tr ' ' '\n' | sort -u | wc -l)" = 2 ] ||
        fail "ranks not in two nodes' containers of job $A:$in"
    echo "ranks in the containers of:$in"
fi

# What a process of the job holds (root can read it from /proc).
envof () {
    tr '\0' '\n' <"/proc/$(echo $ranks | cut -d ' ' -f 1)/environ" | sed -n "s/^$1=//p"
}
COOKIE=$(envof HUDDLE_JOB_COOKIE)
EPS=$(envof HUDDLE_TASK_ENDPOINTS)
[ -n "$COOKIE" ] && [ -r "$EPS" ] || fail "job $A's processes have no cookie / endpoints ($EPS)"
sister=$(echo "$nodes_a" | cut -d ' ' -f 2)
outside=$(for n in node01 node02 node03; do case " $nodes_a " in *" $n "*) ;; *) echo $n ;; esac; done)
rsh_as () {
    _u=$1
    _id=$2
    _ck=$3
    shift 3
    runuser -u "$_u" -- env PBS_JOBID="$_id" HUDDLE_JOB_COOKIE="$_ck" HUDDLE_TASK_ENDPOINTS="$EPS" \
        ${HUDDLE_MUNGE_SOCKET:+HUDDLE_MUNGE_SOCKET="$HUDDLE_MUNGE_SOCKET"} "$RSH" "$@"
}
# The owner with the run's cookie: the task runs in the job on that node.
got=$(rsh_as hu0580a "$A" "$COOKIE" -x -n "$sister" 'echo $PBS_JOBID on $HUDDLE_NODE; exit 7' </dev/null)
rc=$?
[ "$rc" = 7 ] || fail "huddle-rsh into job $A: exit $rc, want the task's 7 ($got)"
[ "$got" = "$A on $sister" ] || fail "huddle-rsh into job $A said \"$got\", want \"$A on $sister\""
# stdin is relayed (no -n).
got=$(printf 'one\ntwo\n' | rsh_as hu0580a "$A" "$COOKIE" "$sister" wc -l)
[ "$got" = 2 ] || fail "stdin through huddle-rsh: wc -l said \"$got\""
# Another user, even holding the cookie.
expect_fail 255 "node0[0-9]: .*not uid [0-9]+'s" rsh_as hu0580b "$A" "$COOKIE" -n "$sister" true
# The owner without the run's cookie, or naming another job.
expect_fail 255 "wrong job cookie" rsh_as hu0580a "$A" "0123456789abcdef0123456789abcdef" -n "$sister" true
expect_fail 255 "not inside a huddle job" rsh_as hu0580a "$A" "" -n "$sister" true
submit_as hu0580a -l select=1:ncpus=1 -- /bin/sleep 300
B=$JOBID
wait_job "$B" R 30
expect_fail 255 "does not run on|wrong job cookie" rsh_as hu0580a "$B" "$COOKIE" -n "$sister" true
expect_fail 255 "does not run on" rsh_as hu0580a 99999.vm "$COOKIE" -n "$sister" true
# A host outside the allocation.
expect_fail 255 "$outside: not a node of this job" rsh_as hu0580a "$A" "$COOKIE" -n "$outside" true
expect_fail 255 "port forwarding" rsh_as hu0580a "$A" "$COOKIE" -L 80:x:80 "$sister" true
qdel "$B" || fail "qdel $B"

# The sister's agent restarts: its rank lives on (the shepherd, not the
# agent, relays the remote task), and huddle-rsh reaches it again.
"$HUDDLE_CLUSTER" restart-agent "$sister" --dir "$CLUSTER_DIR" >/dev/null 2>&1 ||
    fail "restart-agent $sister"
reregistered () {
    [ "$(grep -c "node $sister registered from" "$CLUSTER_DIR/huddle-ctld.log")" -ge 2 ]
}
wait_for 20 "the agent of $sister to register again" reregistered
[ "$(job_state "$A")" = R ] || fail "job $A is $(job_state "$A") after its sister's agent restarted"
[ "$(pgrep -u hu0580a -x sleep | sort)" = "$(echo "$ranks" | sort)" ] ||
    fail "the ranks of job $A did not survive the restart of $sister's agent"
got=$(rsh_as hu0580a "$A" "$COOKIE" -n "$sister" 'echo $HUDDLE_NODE')
[ "$got" = "$sister" ] || fail "huddle-rsh into job $A after the restart said \"$got\""

# ---- 3. qdel of the running MPI job: no process of it is left anywhere
qdel "$A" || fail "qdel $A"
wait_job "$A" F 60
wait_job "$B" F 60
none_left () {
    WAIT_SEEN=$(pgrep -a -u hu0580a)
    [ -z "$WAIT_SEEN" ]
}
wait_for 20 "no process of hu0580a after qdel" none_left

# ---- 4. a sister's agent restarts while its part of a job holds no task
# (only the container kept for them): it adopts it and reports it, the
# registration's reconcile keeps the job, and qdel ends it there too.
two_node_job held "exec sleep 300"
E=$JOBID
wait_job "$E" R 30
sister_e=$(job_attr "$E" exec_host | sed 's/\/[^+]*//g' | cut -d + -f 2)
sisterdir="$CLUSTER_DIR/nodes/$sister_e/state/jobs/${E%%.*}"
sister_joined () {
    [ -s "$sisterdir/shepherd.pid" ]
}
wait_for 20 "a shepherd for job $E on its sister $sister_e" sister_joined
"$HUDDLE_CLUSTER" restart-agent "$sister_e" --dir "$CLUSTER_DIR" >/dev/null 2>&1 ||
    fail "restart-agent $sister_e"
adopted () {
    tail -n 5 "$CLUSTER_DIR/huddle-ctld.log" |
        grep -q "node $sister_e registered from .* (1 jobs reported, 0 to kill)"
}
wait_for 20 "the restarted agent of $sister_e to report job $E" adopted
[ "$(job_state "$E")" = R ] || fail "job $E is $(job_state "$E") after its sister's agent restarted"
qdel "$E" || fail "qdel $E"
wait_job "$E" F 60
sister_gone () {
    ! [ -e "$sisterdir/shepherd.pid" ]
}
wait_for 20 "job $E's shepherd on $sister_e to end" sister_gone
wait_for 20 "no process of hu0580a after qdel" none_left

# ---- 5. a rank that crashes (on the sister node) fails the job
two_node_job crash "mpirun sh -c 'if [ \"\$OMPI_COMM_WORLD_RANK\" = 1 ]; then kill -SEGV \$\$; fi; sleep 300'"
C=$JOBID
wait_job "$C" F 60 # the other rank sleeps 300 s: only the crash can end the job
st=$(job_attr "$C" Exit_status)
echo "crashing rank: Exit_status $st"
case "$st" in '' | 0) fail "a crashing rank left Exit_status \"$st\"" ;; esac

# ---- 6. the task port is open to the network: what arrives there is never
# trusted and never brings the agent down
if command -v python3 >/dev/null 2>&1 && command -v munge >/dev/null 2>&1; then
    ep=$(sed -n 's/.*remote tasks (huddle-rsh) on //p' "$CLUSTER_DIR/agent-node02.log" | tail -n 1)
    HUDDLE_SERVER=$ep python3 - "$top_srcdir/tests/system" >garbage.out 2>&1 <<'PY' ||
import socket, struct, sys
sys.path.insert(0, sys.argv[1])
import rawclient as rc

def raw(data):
    s = socket.create_connection((rc.HOST, rc.PORT), timeout=15)
    s.sendall(data)
    r = rc.read_frame(s)
    s.close()
    return (r or {}).get("error", "closed")

def task(*msgs, role="task"):
    s, hello = rc.connect(role=role, timeout=15)
    if hello.get("type") != "hello.ok":
        return hello.get("error", "?")
    for m in msgs:
        s.sendall(rc.frame(m))
    r = rc.read_frame(s)
    s.close()
    return (r or {}).get("error", "closed")

# A connection that says nothing after its hello is closed (10 s): open
# one now, look at it after the other checks.
idle, hello = rc.connect(role="task", timeout=30)
checks = [
    (hello.get("type"), "hello.ok"),
    (raw(struct.pack(">I", 0xFFFFFFF0)), "exceeds the limit"),
    (raw(struct.pack(">I", 1) + b"x"), "too short|at least"),
    (raw(rc.frame({"type": "task.spawn"})), "expected hello"),
    (task({"type": "task.spawn"}, role="client"), "remote tasks only"),
    (task(b"not json at all"), "JSON|json"),
    (task({"type": "task.spawn"}), 'member "seq"'),
    (task({"type": "task.spawn", "seq": "1"}), 'member "seq" must be an integer'),
    (task({"type": "task.spawn", "seq": 1, "cookie": "c", "node": "nodeXX", "command": "id"}),
     "not nodeXX"),
    (task({"type": "task.spawn", "seq": 1, "cookie": "c", "node": "node02", "command": "id"}),
     "does not run on"),
    (task({"type": "task.input", "data": "???"}), "before task.spawn"),
    (task({"type": "frobnicate"}), "unknown message type"),
]
idle.settimeout(30)
checks.append(("closed" if idle.recv(1) == b"" else "open", "closed"))
# One uid holding connections open past their hello is capped (32), and
# the port takes that uid again once they close: other users' mpirun are
# not kept out by one user's.
import time
held = [rc.connect(role="task", timeout=15)[0] for _ in range(32)]
checks.append((task({"type": "frobnicate"}), "at most 32"))
for h in held:
    h.close()
time.sleep(0.5)
checks.append((task({"type": "frobnicate"}), "unknown message type"))
import re
bad = [(got, want) for got, want in checks if not re.search(want, got)]
for got, want in bad:
    print("want /%s/, got: %s" % (want, got))
sys.exit(1 if bad else 0)
PY
        fail "the task port's answers to garbage: $(cat garbage.out)"
    kill -0 "$(agent_pid node02)" || fail "agent node02 died of what its task port got"
    echo "task port: every bad frame refused, an idle connection closed, one uid capped, agent alive"
fi

# ---- 7. walltime ends the remote ranks too
two_node_job wall "mpirun sh -c 'exec sleep 300'" "-l walltime=5"
D=$JOBID
wait_job "$D" F 60
echo "walltime job: Exit_status $(job_attr "$D" Exit_status), comment $(job_attr "$D" comment)"
wait_for 20 "no process of hu0580a after the walltime" none_left
