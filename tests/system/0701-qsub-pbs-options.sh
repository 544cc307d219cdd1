#!/bin/sh
# What qsub and the controller do with the PBS options that used to be
# refused or ignored: -z prints no job id; -W block=true waits and exits
# with the job's status; -a defers the start (state W until then); -u
# another user is refused unless root, for whom the job runs as that user;
# -W group_list sets the job's group if the user is a member, else it is
# refused; a CRLF script is refused with PBS's message; indented #PBS,
# PBS_DPREFIX and -C are honoured; -I, -X, -J, -t are refused with a
# sentence; node labels (node_labels) place select=...:a100=True and
# nodes=1:ppn=1:a100 on the labelled node and unknown ones are refused;
# -m/-M mail goes through mail_command.
. "$top_srcdir/tests/system/lib.sh"

need_users
ensure_user hu0701a
ensure_user hu0701b
ensure_group hu0701g hu0701a

mail="$TEST_TMP/mail"
mkdir -p "$mail" && chmod 0777 "$mail"
cat >"$TEST_TMP/mailer" <<EOF2
#!/bin/sh
# records each message: its arguments, then its text
f="$mail/msg.\$\$"
printf '%s\n' "\$*" >"\$f"
cat >>"\$f"
EOF2
chmod 0755 "$TEST_TMP/mailer"
cluster_up --nodes 2 --synthetic "pack:1 core:2 pu:1" \
    --ctld-opt "node_labels=node02:a100,gpu_type=a100" --ctld-opt "mail_command=$TEST_TMP/mailer"
work="$TEST_TMP/work"
mkdir -p "$work" && chmod 0777 "$work" && cd "$work" || fail "cannot make $work"
as_user hu0701a test -x "$top_builddir/cli/qsub" ||
    skip "hu0701a cannot run $top_builddir/cli/qsub (build tree not reachable)"

# refused WHAT WANT CMD...: CMD fails (any non-zero status) saying WANT (grep -E).
refused () {
    _what=$1
    shift
    expect_fail any "$@"
    echo "ok: $_what refused: $(head -c 200 "$TEST_TMP/expect.out")"
}

# 1. -z: no job id, the job is queued all the same.
out=$(qsub -z -N quiet -- /bin/true) || fail "qsub -z failed"
[ -z "$out" ] || fail "qsub -z printed $out"
wait_for 10 "the -z job" sh -c 'qstat -x | grep -q quiet'
echo "ok: -z printed nothing and the job was queued"

# 2. -W block=true: waits, prints the id, exits with the job's status.
start=$(date +%s)
out=$(qsub -W block=true -- /bin/sh -c 'sleep 1; exit 7')
rc=$?
[ "$rc" = 7 ] || fail "qsub -W block=true exited $rc, want 7"
case $out in *.*) ;; *) fail "qsub -W block=true printed \"$out\", want the job id" ;; esac
job_is "$out" F || fail "after qsub -W block=true the job is $(job_state "$out")"
echo "ok: -W block=true waited $(($(date +%s) - start)) s and exited 7"

# 3. -a: W until then, started no earlier.
at=$(($(date +%s) + 4))
submit -a "$(date -d "@$at" +%Y%m%d%H%M.%S)" -N later -- /bin/true
later=$JOBID
job_is "$later" W || fail "-a job is $(job_state "$later"), want W"
qstat | grep -q " W " || fail "qstat does not show W: $(qstat)"
job_attr "$later" Execution_Time | grep -q "$(TZ= date -d "@$at" +%H:%M:%S)" ||
    fail "Execution_Time: $(job_attr "$later" Execution_Time)"
wait_job "$later" F 20
stime=$(qstat -xf -F json "$later" | sed -n 's/.*"stime":"\([^"]*\)".*/\1/p')
[ "$(date -d "$stime" +%s)" -ge "$at" ] || fail "-a job started at $stime, before $(date -d "@$at")"
echo "ok: -a job was W, then ran at $stime (not before $(date -d "@$at" +%T))"

# 4. -u: another user only for root; then the job runs as that user.
refused "-u root by hu0701a" "Bad UID for job execution" as_user hu0701a qsub -u root -- /bin/true
submit -u hu0701a -N as_a -- /bin/sh -c 'id -un'
wait_job "$JOBID" F
grep -qx hu0701a "$work/as_a.o${JOBID%%.*}" || fail "-u hu0701a job ran as $(cat "$work/as_a.o${JOBID%%.*}")"
job_attr "$JOBID" User_List | grep -qx hu0701a || fail "User_List: $(job_attr "$JOBID" User_List)"
echo "ok: root's -u hu0701a job ran as hu0701a"
# entries that all name a host: the first one's user
submit -u hu0701a@login9,hu0701b@login8 -N as_first -- /bin/sh -c 'id -un'
wait_job "$JOBID" F
grep -qx hu0701a "$work/as_first.o${JOBID%%.*}" || fail "-u a@h1,b@h2 ran as $(cat "$work/as_first.o${JOBID%%.*}")"

# 5. -W group_list: a member's group is the job's; a non-member is refused.
id=$(as_user hu0701a sh -c "cd $work && qsub -W group_list=hu0701g -N grp -- /bin/sh -c 'id -gn'") ||
    fail "qsub -W group_list=hu0701g as hu0701a"
wait_job "$id" F
grep -qx hu0701g "$work/grp.o${id%%.*}" || fail "group_list job ran with group $(cat "$work/grp.o${id%%.*}")"
[ "$(stat -c %G "$work/grp.o${id%%.*}")" = hu0701g ] || fail "output file group $(stat -c %G "$work/grp.o${id%%.*}")"
echo "ok: -W group_list=hu0701g ran with group hu0701g"
refused "-W group_list of a group hu0701b is not in" "Bad GID for job execution" \
    as_user hu0701b qsub -W group_list=hu0701g -- /bin/true

# 6. Scripts: CRLF refused; indented directives, PBS_DPREFIX and -C honoured.
printf '#!/bin/sh\r\n#PBS -N dos\r\necho hi\r\n' >dos.sh
refused "a CRLF script" "qsub: script is written in DOS/Windows text format" qsub dos.sh
printf '#!/bin/sh\n   #PBS -N indented\necho hi\n' >ind.sh
submit -h ind.sh
[ "$(job_attr "$JOBID" Job_Name)" = indented ] || fail "indented #PBS: name $(job_attr "$JOBID" Job_Name)"
printf '#!/bin/sh\n#PBS -N pbs_prefix\n#SITE -N site_prefix\necho hi\n' >pre.sh
submit -h -C '#SITE' pre.sh
[ "$(job_attr "$JOBID" Job_Name)" = site_prefix ] || fail "-C: name $(job_attr "$JOBID" Job_Name)"
JOBID=$(PBS_DPREFIX='#SITE' qsub -h pre.sh) || fail "qsub with PBS_DPREFIX"
[ "$(job_attr "$JOBID" Job_Name)" = site_prefix ] || fail "PBS_DPREFIX: name $(job_attr "$JOBID" Job_Name)"
JOBID=$(PBS_DPREFIX='#SITE' qsub -h -C '' pre.sh) || fail "qsub -C ''"
[ "$(job_attr "$JOBID" Job_Name)" = pre.sh ] || fail "-C '': name $(job_attr "$JOBID" Job_Name)"
echo "ok: indented #PBS, -C and PBS_DPREFIX as PBS reads them"

# 7. What this server cannot do is refused saying so.
refused "-X without -I" "only valid with -I" qsub -X -- /bin/true
refused "-I -X without DISPLAY" "DISPLAY is not set" env -u DISPLAY qsub -I -X
refused "-I -X with DISPLAY" "does not forward X11" env DISPLAY=:0 qsub -I -X
refused "-J" "job arrays are not supported yet" qsub -J 1-4 -- /bin/true
refused "-t" "job arrays are not supported yet" qsub -t 1-4 -- /bin/true
refused "-W stagein" "file staging is not supported" qsub -W stagein=a@h:/b -- /bin/true

# 8. Node labels: only node02 has a100.
for req in "select=1:ncpus=1:a100=True" "nodes=1:ppn=1:a100" "select=1:ncpus=1:gpu_type=a100"; do
    submit -l "$req" -- /bin/true
    wait_job "$JOBID" F
    [ "$(job_attr "$JOBID" exec_host | sed 's,/.*,,')" = node02 ] ||
        fail "$req ran on $(job_attr "$JOBID" exec_host), want node02"
    echo "ok: -l $req ran on the labelled node02"
done
refused "an unknown label" "Unknown resource: gpu_model" qsub -l select=1:gpu_model=h100 -- /bin/true
refused "a label value no node has" "no node has gpu_type=h100" \
    qsub -l select=1:ncpus=1:gpu_type=h100 -- /bin/true
refused "a Torque property no node has" "Unknown resource: bigmem" qsub -l nodes=1:bigmem -- /bin/true

# 9. Mail: -m be to -M, through mail_command.
submit -m be -M ops@example.com -N mailed -- /bin/true
mailed=$JOBID
wait_job "$mailed" F
wait_for 10 "two mails" sh -c '[ "$(cat "$1"/msg.* 2>/dev/null | grep -c "^PBS Job Id: $2")" -ge 2 ]' sh "$mail" "$mailed"
grep -l "Begun execution" "$mail"/msg.* | xargs grep -q "^-s PBS JOB $mailed ops@example.com" ||
    fail "begin mail: $(cat "$mail"/msg.*)"
grep -q "Execution terminated" "$mail"/msg.* || fail "end mail: $(cat "$mail"/msg.*)"
echo "ok: -m be mailed ops@example.com at begin and end"
exit 0
