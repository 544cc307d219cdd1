#!/bin/sh
# Placement groups (qpg): any user creates one, the owner or root deletes
# it, another user may not; bad strategies and names are refused with the
# usage/error statuses of the other commands; qsub -l pgroup=NAME is
# refused for a group that does not exist, and a group in use cannot be
# deleted; the groups survive a controller restart (they are in the
# store, not only in memory).
. "$top_srcdir/tests/system/lib.sh"

need_root
need_users
ensure_user hu0600a
ensure_user hu0600b
fab="$TEST_TMP/fabric.conf"
cat >"$fab" <<'EOC'
SwitchName=leaf1 Nodes=node[01-02]
SwitchName=leaf2 Nodes=node[03-04]
SwitchName=leaf3 Nodes=node[05-06]
SwitchName=spine Switches=leaf[1-3]
EOC
cluster_up --nodes 6 --synthetic "pack:1 core:2 pu:1" --fabric "$fab"

as_user hu0600a qpg create wide --strategy spread || fail "qpg create wide (spread) as hu0600a"
qpg create close --strategy cluster || fail "qpg create close (cluster)"
qpg create parts --strategy partition --partitions 3 || fail "qpg create parts (partition)"
expect_fail 1 "already exists" qpg create wide --strategy cluster
expect_fail 1 "unknown strategy" qpg create odd --strategy round
expect_fail 1 "only for the partition" qpg create odd --strategy spread --partitions 2
expect_fail 1 "illegal placement group name" qpg create "a/b" --strategy spread
expect_fail 2 "usage" qpg create nostrategy
expect_fail 2 "usage" qpg frobnicate

qpg list >"$TEST_TMP/list" || fail "qpg list"
cat "$TEST_TMP/list"
grep -Eq '^wide +spread +-- +hu0600a +0$' "$TEST_TMP/list" || fail "qpg list: no spread group wide of hu0600a"
grep -Eq '^parts +partition +3 ' "$TEST_TMP/list" || fail "qpg list: no partition group parts with 3"

# Only the owner (or root) deletes.
expect_fail 159 "Unauthorized Request" as_user hu0600b qpg delete wide
expect_fail 1 "Unknown placement group" qpg delete nosuch
qpg delete close || fail "root could not delete close"

# Jobs name a group with -l pgroup; an unknown one is refused at submit,
# and a group a job still uses cannot be deleted.
expect_fail any "Unknown placement group nosuch" qsub -l pgroup=nosuch -- /bin/true
# a group is its owner's: another user's job may not join it (root may)
expect_fail any "placement group wide belongs to another user" \
    as_user hu0600b qsub -l pgroup=wide -- /bin/true
submit -l pgroup=parts -- /bin/sleep 300
inuse=$JOBID
expect_fail 1 "in use by job $inuse" qpg delete parts
qpg list | grep -Eq '^parts +partition +3 +root +1$' || fail "qpg list does not count parts' job: $(qpg list)"
qdel "$inuse" || fail "qdel $inuse"
wait_job "$inuse" F 30

# A restart keeps them.
kill "$CTLD_PID" || fail "kill $CTLD_PID"
wait_for 30 "huddle-ctld to stop" sh -c "! kill -0 $CTLD_PID 2>/dev/null"
"$HUDDLE_CLUSTER" restart-ctld --dir "$CLUSTER_DIR" || fail "restart-ctld failed"
CTLD_PID=$(cat "$CLUSTER_DIR/huddle-ctld.pid")
qpg list -F json >"$TEST_TMP/after.json" || fail "qpg list -F json after the restart"
cat "$TEST_TMP/after.json"
grep -q '"name": "wide"' "$TEST_TMP/after.json" || fail "group wide lost across the restart"
grep -q '"partitions": 3' "$TEST_TMP/after.json" || fail "group parts lost its partitions"
! grep -q '"name": "close"' "$TEST_TMP/after.json" || fail "deleted group close came back"
echo "ok: the groups survived a controller restart"
as_user hu0600a qpg delete wide || fail "the owner could not delete wide"
qpg delete parts || fail "parts still refused once its job finished"
exit 0
