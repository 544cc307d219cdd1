#!/bin/sh
# How the agent runs what the PBS options ask: output files are created
# under umask 077 (mode 0600) unless -W umask says otherwise, as PBS does
# (they were 0644); -S picks the shell; -l cput, vmem, file become the job's
# rlimits and cput kills a CPU-bound job; -k o keeps stdout in the owner's
# home on the execution host; -l nice sets the job's niceness; chunk
# ompthreads sets OMP_NUM_THREADS; Torque's -d runs the job there while its
# output stays in the submit directory; a job asking for mail on a server
# with no mail_command is said once in the log.
. "$top_srcdir/tests/system/lib.sh"

need_users
ensure_user hu0702a
cluster_up --nodes 1 --synthetic "pack:1 core:2 pu:1" --ctld-opt kill_grace=1
work="$TEST_TMP/work"
mkdir -p "$work/run" && chmod 0777 "$work" "$work/run" && cd "$work" || fail "cannot make $work"
as_user hu0702a test -x "$top_builddir/cli/qsub" ||
    skip "hu0702a cannot run $top_builddir/cli/qsub (build tree not reachable)"

# run_job NAME ARGS...: submit as hu0702a from $work, wait for the end;
# SEQ and JOBID are set.
run_job () {
    _n=$1
    shift
    JOBID=$(as_user hu0702a sh -c 'cd "$1" && shift && exec qsub "$@"' sh "$work" -N "$_n" "$@" \
        2>"$TEST_TMP/err") || fail "qsub $*: $(cat "$TEST_TMP/err")"
    SEQ=${JOBID%%.*}
    wait_job "$JOBID" F 30
}

# 1. umask: 077 by default, -W umask=022 gives 0644, for the .o file and
# for what the job makes.
run_job um_default -- /bin/sh -c 'echo hi; touch made_default'
[ "$(stat -c %a "$work/um_default.o$SEQ")" = 600 ] ||
    fail "default .o mode $(stat -c %a "$work/um_default.o$SEQ"), want 600"
[ "$(stat -c %a "$work/made_default")" = 600 ] || fail "job's file mode $(stat -c %a "$work/made_default")"
run_job um_022 -W umask=022 -- /bin/sh -c 'echo hi; touch made_022'
[ "$(stat -c %a "$work/um_022.o$SEQ")" = 644 ] || fail "-W umask=022 .o mode $(stat -c %a "$work/um_022.o$SEQ")"
[ "$(stat -c %a "$work/made_022")" = 644 ] || fail "-W umask=022 job's file mode $(stat -c %a "$work/made_022")"
echo "ok: output 0600 under PBS's default umask, 0644 with -W umask=022"

# 2. -S: the script is run by that shell.
cat >"$work/myshell" <<'EOS'
#!/bin/sh
echo "myshell ran $1"
exec /bin/sh "$@"
EOS
chmod 0755 "$work/myshell"
printf '#PBS -S %s\necho "body ran"\n' "$work/myshell" >"$work/shell.sh"
chmod 0644 "$work/shell.sh"
run_job shell "$work/shell.sh"
grep -q "^myshell ran " "$work/shell.o$SEQ" || fail "-S: $(cat "$work/shell.o$SEQ" "$work/shell.e$SEQ")"
grep -qx "body ran" "$work/shell.o$SEQ" || fail "-S: script body: $(cat "$work/shell.o$SEQ")"
job_attr "$JOBID" Shell_Path_List | grep -qx "$work/myshell" || fail "Shell_Path_List: $(job_attr "$JOBID" Shell_Path_List)"
echo "ok: -S $work/myshell ran the script"

# 3. Limits: they are the job's rlimits; cput ends a CPU-bound job.
run_job limits -l cput=00:05:00,vmem=200mb,file=1mb,nice=7 -- /bin/sh -c 'ulimit -t; ulimit -v; ulimit -f; nice'
[ "$(cat "$work/limits.o$SEQ" | tr '\n' ' ')" = "300 204800 2048 7 " ] ||
    fail "limits seen by the job: $(cat "$work/limits.o$SEQ" "$work/limits.e$SEQ")"
start=$(date +%s)
run_job spin -l cput=2 -l walltime=60 -- /bin/sh -c 'while :; do :; done'
took=$(($(date +%s) - start))
[ "$took" -lt 30 ] || fail "cput=2 job ran $took s"
[ "$(job_attr "$JOBID" Exit_status)" != 0 ] || fail "cput=2 job exited 0"
echo "ok: the job's rlimits are cput/vmem/file; cput=2 ended a spinning job after $took s (exit $(job_attr "$JOBID" Exit_status))"

# 4. -k o: stdout stays in the owner's home, not delivered to the workdir.
home=$(getent passwd hu0702a | cut -d: -f6)
run_job kept -k o -- /bin/echo kept-output
[ -f "$home/kept.o$SEQ" ] || fail "-k o: no $home/kept.o$SEQ"
grep -qx kept-output "$home/kept.o$SEQ" || fail "-k o: $(cat "$home/kept.o$SEQ")"
[ ! -e "$work/kept.o$SEQ" ] || fail "-k o: output was delivered to $work too"
echo "ok: -k o kept stdout in $home"

# 5. ompthreads: OMP_NUM_THREADS of the job, instead of its ncpus.
run_job omp -l select=1:ncpus=2:ompthreads=1 -- /bin/sh -c 'echo "$OMP_NUM_THREADS $NCPUS"'
[ "$(cat "$work/omp.o$SEQ")" = "1 2" ] || fail "ompthreads=1: $(cat "$work/omp.o$SEQ")"
run_job omp_default -l select=1:ncpus=2 -- /bin/sh -c 'echo "$OMP_NUM_THREADS"'
[ "$(cat "$work/omp_default.o$SEQ")" = 2 ] || fail "no ompthreads: $(cat "$work/omp_default.o$SEQ")"
echo "ok: ompthreads=1 gives OMP_NUM_THREADS=1 on 2 cpus"

# 6. Torque's -d: the job runs there, its output stays in the submit directory.
run_job initdir -d "$work/run" -- /bin/sh -c 'pwd; echo "$PBS_O_INITDIR"'
[ "$(cat "$work/initdir.o$SEQ" | tr '\n' ' ')" = "$work/run $work/run " ] ||
    fail "-d: $(cat "$work/initdir.o$SEQ" "$work/run/initdir.o$SEQ" 2>&1)"
echo "ok: -d ran the job in $work/run, output in $work"

# 7. No mail_command: a job asking for mail is said once in the log.
run_job mail1 -m e -- /bin/true
run_job mail2 -m abe -- /bin/true
log="$CLUSTER_DIR/huddle-ctld.log"
[ "$(grep -c "asks for mail" "$log")" = 1 ] || fail "log: $(grep "mail" "$log")"
echo "ok: $(grep "asks for mail" "$log" | sed 's/^.*: job/job/')"
exit 0
