#!/bin/sh
# qstat -f's session_id and jobdir: the session of the job's process on its
# first node and the directory it runs in, as the job itself sees them,
# reported by the agent when the job starts and kept across a controller
# restart.  A job whose working directory is gone runs in its owner's home
# directory, and jobdir says so.
. "$top_srcdir/tests/system/lib.sh"

need_root
cluster_up --nodes 1 --synthetic "pack:1 core:2 pu:1"

mkdir -p work
cat >self.sh <<EOS
#!/bin/sh
# field 6 of /proc/PID/stat is the session ("sh" has no blank in its name)
cut -d' ' -f6 /proc/\$\$/stat >"$TEST_TMP/sid.tmp"
pwd >>"$TEST_TMP/sid.tmp"
mv "$TEST_TMP/sid.tmp" "$TEST_TMP/sid"
exec sleep 300
EOS
chmod +x self.sh
(cd work && qsub -N self -l select=1:ncpus=1 -- "$TEST_TMP/self.sh") >jobid || fail "qsub"
job=$(cat jobid)
wait_job "$job" R
wait_for 20 "the job to write its session" test -s sid
want_sid=$(sed -n 1p sid)
want_dir=$(sed -n 2p sid)
[ "$want_dir" = "$TEST_TMP/work" ] || fail "the job ran in $want_dir, want $TEST_TMP/work"
have_sid () { WAIT_SEEN=$(job_attr "$job" session_id); [ "$WAIT_SEEN" = "$want_sid" ]; }
wait_for 10 "session_id $want_sid" have_sid
[ "$(job_attr "$job" jobdir)" = "$want_dir" ] || fail "jobdir: '$(job_attr "$job" jobdir)', want $want_dir"
qstat -f -F json "$job" | grep -q "\"session_id\":$want_sid," || fail "qstat -f -F json: no session_id"
echo "ok: session_id $want_sid and jobdir $want_dir"

"$HUDDLE_CLUSTER" restart-ctld --dir "$CLUSTER_DIR" || fail "restart-ctld failed"
CTLD_PID=$(cat "$CLUSTER_DIR/huddle-ctld.pid")
wait_job "$job" R
[ "$(job_attr "$job" session_id)" = "$want_sid" ] || fail "after a restart: session_id '$(job_attr "$job" session_id)'"
[ "$(job_attr "$job" jobdir)" = "$want_dir" ] || fail "after a restart: jobdir '$(job_attr "$job" jobdir)'"
qdel "$job"
wait_job "$job" F
[ "$(job_attr "$job" session_id)" = "$want_sid" ] || fail "finished: session_id '$(job_attr "$job" session_id)'"
echo "ok: kept across a controller restart and in the history"

# a working directory gone by the time the job starts: it runs in home
mkdir gone
rm -f sid
(cd gone && qsub -h -l select=1:ncpus=1 -- "$TEST_TMP/self.sh") >jobid || fail "qsub -h"
job=$(cat jobid)
rmdir gone
qrls "$job"
wait_for 20 "the job to write its session" test -s sid
home=$(getent passwd root | cut -d: -f6)
[ "$(sed -n 2p sid)" = "$home" ] || fail "the job ran in $(sed -n 2p sid), want $home"
have_dir () { WAIT_SEEN=$(job_attr "$job" jobdir); [ "$WAIT_SEEN" = "$home" ]; }
wait_for 10 "jobdir $home" have_dir
qdel "$job"
echo "ok: jobdir is the home directory the job fell back to"
exit 0
