#!/bin/sh
# Placement groups place jobs, with real agents on a declared tree of three
# leaves: a spread group puts its jobs' nodes under different leaves and
# makes the next job wait (saying why) once every leaf holds one; a
# controller restart keeps the groups and rebuilds where their jobs run
# from the stored allocations (the waiting job still waits, then runs
# when a leaf frees); a cluster group keeps a second job on the first
# one's leaf although an idle leaf fits it better; a partition group puts
# its jobs in partitions on leaves of their own and tells each job its
# partition (HUDDLE_PARTITION, qstat -f).
. "$top_srcdir/tests/system/lib.sh"

need_root
fab="$TEST_TMP/fabric.conf"
cat >"$fab" <<'EOC'
SwitchName=leaf1 Nodes=node[01-02]
SwitchName=leaf2 Nodes=node[03-04]
SwitchName=leaf3 Nodes=node[05-06]
SwitchName=spine Switches=leaf[1-3]
EOC
cluster_up --nodes 6 --synthetic "pack:1 core:2 pu:1" --fabric "$fab"

nodes () { job_attr "$1" exec_host | tr '+' '\n' | sed 's,/.*,,' | tr '\n' ' ' | sed 's/ $//'; }
# leaf of a node: node01-02 leaf1, node03-04 leaf2, node05-06 leaf3
leaf () { n=${1#node0}; echo "leaf$(((n + 1) / 2))"; }
leaves () { for n in $(nodes "$1"); do leaf "$n"; done | tr '\n' ' ' | sed 's/ $//'; }

qpg create sp --strategy spread || fail "qpg create sp"
qpg create cl --strategy cluster || fail "qpg create cl"
qpg create pa --strategy partition --partitions 2 || fail "qpg create pa"

# --- spread
submit -l select=2:ncpus=1 -l place=scatter -l pgroup=sp -- /bin/sleep 300
s1=$JOBID
wait_job "$s1" R
l1=$(leaves "$s1")
set -- $l1
[ $# -eq 2 ] && [ "$1" != "$2" ] || fail "spread job $s1 on $(nodes "$s1"): leaves $l1, want two different"
echo "ok: a 2-node spread job spans two leaves ($(nodes "$s1"): $l1), where the plain engine would pack one"
submit -l select=1:ncpus=1 -l pgroup=sp -- /bin/sleep 300
s2=$JOBID
wait_job "$s2" R
l2=$(leaves "$s2")
case " $l1 " in *" $l2 "*) fail "spread job $s2 on $l2, a leaf $s1 uses ($l1)" ;; esac
echo "ok: the next spread job took the third leaf ($(nodes "$s2"): $l2)"
submit -l select=1:ncpus=1 -l pgroup=sp -- /bin/true
s3=$JOBID
comment_has () { job_attr "$1" comment | grep -q "$2"; }
wait_for 20 "job $s3's comment to say why it waits" comment_has "$s3" \
    "Not Running: spread: every leaf switch with room already holds a node of placement group sp"
job_is "$s3" Q || fail "spread job $s3 is $(job_state "$s3"), want Q"
echo "ok: a third spread job waits: $(job_attr "$s3" comment)"

# --- a restart keeps the groups and knows where their jobs are
kill "$CTLD_PID" || fail "kill $CTLD_PID"
wait_for 30 "huddle-ctld to stop" sh -c "! kill -0 $CTLD_PID 2>/dev/null"
"$HUDDLE_CLUSTER" restart-ctld --dir "$CLUSTER_DIR" || fail "restart-ctld failed"
CTLD_PID=$(cat "$CLUSTER_DIR/huddle-ctld.pid")
wait_node node06 free 30
qpg list | grep -Eq '^sp +spread ' || fail "group sp lost in the restart: $(qpg list)"
qpg list | grep -Eq '^pa +partition +2 ' || fail "group pa lost in the restart: $(qpg list)"
sleep 2 # passes after the restart: the group's home must stop s3 still
job_is "$s3" Q || fail "after the restart spread job $s3 is $(job_state "$s3") on $(nodes "$s3")"
echo "ok: after a controller restart the groups are there and $s3 still waits"
qdel "$s1" || fail "qdel $s1"
wait_job "$s3" F 30
l3=$(leaves "$s3")
[ "$l3" != "$l2" ] || fail "spread job $s3 ran on $l3, the leaf of $s2"
echo "ok: once $s1 ended, $s3 ran on $(nodes "$s3") ($l3), not on $s2's $l2"
qdel "$s2" || fail "qdel $s2"
wait_job "$s2" F 30

# --- cluster: node01-03 busy; the group's first job goes to node04 (first
# fit, leaf2); node01 then frees, and the second job stays on leaf2
# (node04's last core) where a job of no group goes to node01
for n in 01 02 03; do
    submit -l select=1:ncpus=2:host=node$n -- /bin/sleep 300
    eval "b$n=\$JOBID"
    wait_job "$JOBID" R
done
submit -l select=1:ncpus=1 -l pgroup=cl -- /bin/sleep 300
c1=$JOBID
wait_job "$c1" R
[ "$(nodes "$c1")" = node04 ] || fail "first cluster job on $(nodes "$c1"), want node04"
qdel "$b01" || fail "qdel $b01"
wait_job "$b01" F 30
submit -l select=1:ncpus=1 -l pgroup=cl -- /bin/sleep 300
c2=$JOBID
wait_job "$c2" R
[ "$(nodes "$c2")" = node04 ] || fail "second cluster job on $(nodes "$c2"), want node04 with $c1"
submit -l select=1:ncpus=1 -- /bin/sleep 300
plain=$JOBID
wait_job "$plain" R
[ "$(nodes "$plain")" = node01 ] || fail "a job of no group on $(nodes "$plain"), want node01"
echo "ok: cluster job $c2 joined $c1 on node04 (leaf2); the same job without the group went to node01"
qdel "$b02" "$b03" "$c1" "$c2" "$plain"
for j in "$b02" "$b03" "$c1" "$c2" "$plain"; do wait_job "$j" F 30; done

# --- partition: jobs take turns, on leaves of their own, and know it
for k in 1 2 3; do
    submit -o "$TEST_TMP/p$k.out" -l select=1:ncpus=1 -l pgroup=pa -- /bin/sh -c 'echo "partition=$HUDDLE_PARTITION group=$HUDDLE_PGROUP"; sleep 300'
    eval "p$k=\$JOBID"
    wait_job "$JOBID" R
done
for k in 1 2 3; do
    eval "j=\$p$k"
    want=$(((k + 1) % 2 + 1))
    [ "$(job_attr "$j" pgroup_partition)" = "$want" ] ||
        fail "partition job $j: pgroup_partition $(job_attr "$j" pgroup_partition), want $want"
    wait_for 20 "job $j's output" grep -q "partition=$want group=pa" "$TEST_TMP/p$k.out"
done
[ "$(leaf "$(nodes "$p1")")" = "$(leaf "$(nodes "$p3")")" ] || fail "partition 1's jobs on two leaves"
[ "$(leaf "$(nodes "$p1")")" != "$(leaf "$(nodes "$p2")")" ] || fail "partitions 1 and 2 share a leaf"
echo "ok: partition jobs $p1 $p2 $p3 in partitions 1 2 1 on $(nodes "$p1") $(nodes "$p2") $(nodes "$p3"), told by HUDDLE_PARTITION"
expect_fail 1 "in use by job" qpg delete pa
qdel "$p1" "$p2" "$p3"
exit 0
