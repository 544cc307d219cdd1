#!/bin/sh
# A batch script's "#!" first line names its interpreter, as under PBS: a
# python3 script runs under python3 and a bash script under bash, whatever
# the owner's login shell (here /bin/sh); a script without "#!" is run by
# that shell; a "#!" interpreter that does not exist fails the job with a
# message naming it, in the job's comment and its error file.
. "$top_srcdir/tests/system/lib.sh"

need_users
[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
[ -x /bin/bash ] || skip "no /bin/bash"
ensure_user hu0391a
cluster_up --nodes 1 --ctld-opt heartbeat_interval=1 --ctld-opt heartbeat_timeout=10
as_user hu0391a test -x "$top_builddir/cli/qsub" ||
    skip "hu0391a cannot run $top_builddir/cli/qsub (build tree not reachable)"
login_shell=$(getent passwd hu0391a | cut -d: -f7)
echo "hu0391a's login shell: $login_shell"

work="$TEST_TMP/work-hu0391a"
mkdir -p "$work" && chown hu0391a "$work" || fail "cannot make $work"
cat >"$work/py.job" <<'EOS'
#!/usr/bin/python3
#PBS -N pyjob
import os, sys
print("python", sys.version_info[0], sum(x * x for x in range(4)), os.environ["PBS_JOBNAME"])
EOS
cat >"$work/bash.job" <<'EOS'
#!/bin/bash -e
#PBS -N bashjob
declare -A seen=([a]=1)
[[ -n ${BASH_VERSION} && ${seen[a]} == 1 ]] && echo "bash $-"
EOS
cat >"$work/sh.job" <<'EOS'
#!/bin/sh
echo "sh $((6 * 7))"
EOS
cat >"$work/plain.job" <<'EOS'
# no interpreter line: the login shell runs it
echo "plain $((1 + 2)) $SHELL"
EOS
cat >"$work/missing.job" <<'EOS'
#!/nonexistent/hu0391/interp
print("never")
EOS
chown hu0391a "$work"/*.job
as_owner () {
    as_user hu0391a sh -c 'cd "$1" && shift && exec "$@"' sh "$work" "$@"
}

for name in py bash sh plain missing; do
    id=$(as_owner qsub "$name.job" 2>"$TEST_TMP/err") || fail "qsub $name.job: $(cat "$TEST_TMP/err")"
    eval "id_$name=\$id"
done
for name in py bash sh plain missing; do
    eval "id=\$id_$name"
    wait_job "$id" F
done

# expect NAME EXIT_STATUS OUTPUT_FILE LINE
expect () {
    eval "id=\$id_$1"
    [ "$(job_attr "$id" Exit_status)" = "$2" ] ||
        fail "$1.job ($id): Exit_status $(job_attr "$id" Exit_status), want $2: $(job_attr "$id" comment); $(cat "$work/$3" "$(echo "$work/$3" | sed 's/\.o\([0-9]*\)$/.e\1/')" 2>&1)"
    grep -qx "$4" "$work/$3" || fail "$1.job ($id): $work/$3 lacks \"$4\": $(cat "$work/$3" 2>&1)"
}
expect py 0 "pyjob.o${id_py%%.*}" "python 3 14 pyjob"
expect bash 0 "bashjob.o${id_bash%%.*}" "bash .*e.*"
expect sh 0 "sh.job.o${id_sh%%.*}" "sh 42"
expect plain 0 "plain.job.o${id_plain%%.*}" "plain 3 $login_shell"
echo "ok: #!/usr/bin/python3, #!/bin/bash -e, #!/bin/sh and a script without #! all run"

s=${id_missing%%.*}
status=$(job_attr "$id_missing" Exit_status)
[ "$status" != 0 ] || fail "missing.job ($id_missing) succeeded"
job_attr "$id_missing" comment | grep -q "/nonexistent/hu0391/interp" ||
    fail "missing.job: the comment does not name the interpreter: $(job_attr "$id_missing" comment)"
grep -q "/nonexistent/hu0391/interp" "$work/missing.job.e$s" ||
    fail "missing.job: its error file does not name the interpreter: $(cat "$work/missing.job.e$s" 2>&1)"
echo "ok: a missing interpreter is named (Exit_status $status): $(job_attr "$id_missing" comment)"
exit 0
