#!/bin/sh
# qmsg [-E] [-O] MESSAGE JOBID...: the line lands in the running job's
# error file (default, -E) and/or output file (-O) on its first node, after
# what the job wrote and before what it writes next (the files are opened
# for appending, as PBS's mom opens them); written as the job's owner;
# only the owner or root; a job that does not run is refused in PBS's
# words (finished: "Job has finished"); it still works after a controller
# restart (the files are in the stored job).
. "$top_srcdir/tests/system/lib.sh"

need_users
cluster_up --nodes 1 --synthetic "pack:1 core:2 pu:1"
ensure_user hu0830a
ensure_user hu0830b
chown hu0830a "$TEST_TMP"

cat >talk.sh <<EOS
#!/bin/sh
echo "out: start"
echo "err: start" >&2
touch "$TEST_TMP/started.\$PBS_JOBID"
while [ ! -e "$TEST_TMP/go.\$PBS_JOBID" ]; do sleep 0.1; done
echo "out: end"
echo "err: end" >&2
EOS
chmod 0755 talk.sh
seqof () { echo "${1%%.*}"; }

job=$(as_user hu0830a qsub -o "$TEST_TMP/o.txt" -e "$TEST_TMP/e.txt" -- "$TEST_TMP/talk.sh") ||
    fail "qsub as hu0830a"
wait_job "$job" R
wait_for 20 "the job to start writing" test -e "started.$job"
as_user hu0830a qmsg "to the error file" "$job" || fail "qmsg as the owner"
as_user hu0830a qmsg -O "to the output file" "$job" || fail "qmsg -O as the owner"
qmsg -E -O "from root" "$job" || fail "qmsg -E -O as root"
expect_fail 159 "Unauthorized Request" as_user hu0830b qmsg "not yours" "$job"

"$HUDDLE_CLUSTER" restart-ctld --dir "$CLUSTER_DIR" || fail "restart-ctld failed"
CTLD_PID=$(cat "$CLUSTER_DIR/huddle-ctld.pid")
wait_node node01 free 30
qmsg -O "after a restart" "$job" || fail "qmsg after a controller restart"

touch "go.$job"
wait_job "$job" F
printf 'out: start\nto the output file\nfrom root\nafter a restart\nout: end\n' >want.o
printf 'err: start\nto the error file\nfrom root\nerr: end\n' >want.e
diff want.o o.txt || fail "the output file is not what qmsg and the job wrote"
diff want.e e.txt || fail "the error file is not what qmsg and the job wrote"
[ "$(stat -c %U o.txt)" = hu0830a ] || fail "o.txt is $(stat -c %U o.txt)'s"
echo "ok: qmsg lines between the job's own, in both files"

expect_fail 35 "Job has finished" qmsg "too late" "$job"
expect_fail 153 "Unknown Job Id 999" qmsg "nobody" 999
expect_fail 2 "usage: qmsg" qmsg "no job id"
expect_fail 2 "usage: qmsg" qmsg -X "bad option" "$job"
submit -h -- /bin/true
held=$JOBID
expect_fail 168 "Request invalid for state of job" qmsg "held" "$held"
qdel "$held"
echo "ok: refusals in PBS's words"

# joined output: one file, the line once; PBS keeps 256 bytes of a message
long=$(printf '%0300d' 0)
job=$(as_user hu0830a qsub -j oe -o "$TEST_TMP/j.txt" -- "$TEST_TMP/talk.sh") || fail "qsub -j oe"
wait_for 20 "the joined job to start writing" test -e "started.$job"
qmsg -E -O "once" "$job" || fail "qmsg -E -O on a joined job"
qmsg "$long" "$job" || fail "qmsg of 300 bytes"
touch "go.$job"
wait_job "$job" F
[ "$(grep -c '^once$' j.txt)" = 1 ] || fail "joined: 'once' $(grep -c '^once$' j.txt) times: $(cat j.txt)"
[ "$(grep -c "^$(printf '%0256d' 0)\$" j.txt)" = 1 ] || fail "the long message was not cut at 256 bytes: $(cat j.txt)"
echo "ok: a joined file gets the line once; a long message is cut at 256 bytes"
exit 0
