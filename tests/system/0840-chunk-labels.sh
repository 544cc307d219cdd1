#!/bin/sh
# Chunks asking for different node labels
# (select=1:ncpus=1:gpu_type=a100+1:ncpus=1:gpu_type=h100) each land on a
# node having their own: the a100 chunk on node02 or node04, the h100 one
# on node03, never on the unlabelled node01 that comes first; with
# place=pack the one node must have every chunk's labels.
. "$top_srcdir/tests/system/lib.sh"

need_root
cluster_up --nodes 4 --synthetic "pack:1 core:2 pu:1" \
    --ctld-opt "node_labels=node02:gpu_type=a100 node03:gpu_type=h100 node04:gpu_type=a100,ib"

submit -l select=1:ncpus=1:gpu_type=a100+1:ncpus=1:gpu_type=h100 -l place=scatter -- /bin/sleep 300
job=$JOBID
wait_job "$job" R
vnode=$(job_attr "$job" exec_vnode)
echo "exec_vnode = $vnode"
case "$vnode" in
*node03:*) ;;
*) fail "the h100 chunk is not on node03: $vnode" ;;
esac
case "$vnode" in
*node01*) fail "a chunk landed on the unlabelled node01: $vnode" ;;
*node02:* | *node04:*) ;;
*) fail "the a100 chunk is not on an a100 node: $vnode" ;;
esac
qdel "$job"
echo "ok: each chunk on a node with its own labels"

# place=pack: the one node must have every chunk's labels (node04)
submit -l select=1:ncpus=1:gpu_type=a100+1:ncpus=1:ib=True -l place=pack -- /bin/sleep 300
job=$JOBID
wait_job "$job" R
[ "$(job_attr "$job" exec_host)" = "node04/0*2" ] || [ "$(job_attr "$job" exec_host)" = "node04/0+node04/1" ] ||
    fail "pack: exec_host $(job_attr "$job" exec_host), want node04 only"
qdel "$job"
echo "ok: place=pack on the one node with both chunks' labels"
exit 0
