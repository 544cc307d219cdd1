#!/bin/sh
# The fabric decides where multi-node jobs go, with real agents: a declared
# tree of three leaves (topology.conf) with some nodes busy.  A 2-node job
# takes the leaf it fills exactly, not the first free nodes; with
# place=...:group=switch a job waits for one leaf rather than span two,
# while a job without it spans them (its nodes listed leaf by leaf); once a
# leaf frees, the waiting job runs there.  A switches=N@T job whose wait
# runs out on a quiet cluster starts without anything else happening.
. "$top_srcdir/tests/system/lib.sh"

need_root
fab="$TEST_TMP/fabric.conf"
cat >"$fab" <<'EOC'
SwitchName=leaf1 Nodes=node[01-03]
SwitchName=leaf2 Nodes=node[04-05]
SwitchName=leaf3 Nodes=node[06-07]
SwitchName=spine Switches=leaf[1-3]
EOC
cluster_up --nodes 7 --synthetic "pack:1 core:2 pu:1" --fabric "$fab"

# nodes ID: the job's nodes in exec_host order, "node04 node05".
nodes () { job_attr "$1" exec_host | tr '+' '\n' | sed 's,/.*,,' | tr '\n' ' ' | sed 's/ $//'; }

submit -l select=1:ncpus=2:host=node06 -- /bin/sleep 300
busy=$JOBID
wait_job "$busy" R

# 1. Free: leaf1 3 nodes, leaf2 2, leaf3 1.  Two nodes: leaf2, an exact fit.
submit -l select=2:ncpus=2 -l place=scatter -- /bin/sleep 300
j1=$JOBID
wait_job "$j1" R
[ "$(nodes "$j1")" = "node04 node05" ] || fail "2-node job on $(nodes "$j1"), want leaf2's node04 node05"
echo "ok: a 2-node job took leaf2, which it fills exactly ($(nodes "$j1"))"

# 2. leaf1 now: node01-03 free.  Take two of them, leaving node03 and node07
# as the only free nodes, on two leaves.
submit -l select=2:ncpus=2 -l place=scatter -- /bin/sleep 300
j2=$JOBID
wait_job "$j2" R
[ "$(nodes "$j2")" = "node01 node02" ] || fail "second 2-node job on $(nodes "$j2")"

# 3. group=switch waits rather than span; the same job without it spans.
# (The waiting job holds the EASY reservation, at the first running job's
# expected end; the spanning one is short, so it may start before then
# wherever it fits.)
submit -l select=2:ncpus=2 -l place=scatter:group=switch -- /bin/true
grouped=$JOBID
submit -l select=2:ncpus=2 -l place=scatter -l walltime=01:00:00 -- /bin/sleep 300
spanning=$JOBID
wait_job "$spanning" R
[ "$(nodes "$spanning")" = "node03 node07" ] || fail "spanning job on $(nodes "$spanning")"
job_is "$grouped" Q || fail "group=switch job is $(job_state "$grouped"), want Q"
job_attr "$grouped" comment | grep -qi "switch" || fail "group=switch job's comment: $(job_attr "$grouped" comment)"
echo "ok: group=switch waits ($(job_attr "$grouped" comment)); without it the job spans leaf1 and leaf3"

# 4. leaf2 frees: the waiting job runs there.
qdel "$j1" || fail "qdel $j1"
wait_job "$grouped" F 30
[ "$(nodes "$grouped")" = "node04 node05" ] || fail "group=switch job ran on $(nodes "$grouped")"
echo "ok: once leaf2 was free the group=switch job ran on it"
qdel "$busy" "$j2" "$spanning"
for j in "$busy" "$j2" "$spanning"; do wait_job "$j" F 30; done

# 5. switches=1@3 on a quiet cluster: one free node per leaf, so it waits
# for one leaf; once the 3 s are over the controller wakes itself up and
# starts it on two leaves, though nothing else happens on the cluster.
for n in 01 02 04 06; do
    submit -l select=1:ncpus=2:host=node$n -- /bin/sleep 300
    eval "b$n=\$JOBID"
    wait_job "$JOBID" R
done
submit -l select=2:ncpus=2 -l place=scatter -l switches=1@3 -- /bin/sleep 300
sw=$JOBID
wait_job "$sw" R 15
case "$(job_attr "$sw" comment)" in
    *"switches=1 not met within the wait: 2 leaf switches") ;;
    *) fail "switches=1@3 job's comment: $(job_attr "$sw" comment)" ;;
esac
echo "ok: a switches=1@3 job took two leaves once its wait ran out, on a quiet cluster"
qdel "$b01" "$b02" "$b04" "$b06" "$sw"
exit 0
