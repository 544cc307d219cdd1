#!/bin/sh
# A job's result reaches the controller whatever its text: a job that cannot
# open its output file ends with Exit_status -2 (JOB_EXEC_FAIL2) and says
# why, also when the reason, cut to the result's error buffer, ends inside a
# UTF-8 character.  (The shepherd's result file is JSON: its writer used to
# fail on the cut character and write nothing, and the job was reported
# lost, Exit_status -4.)
. "$top_srcdir/tests/system/lib.sh"

cluster_up --nodes 1

# /nonexistent/x then 150 two-byte characters: "cannot open output file "
# plus this path crosses the 255 bytes of the error text in mid-character.
long=/nonexistent/x
i=0
while [ $i -lt 150 ]; do
    long="$long$(printf '\303\251')"
    i=$((i + 1))
done
submit -o "$long/o" -j oe -- /bin/true
wait_job "$JOBID" F
status=$(job_attr "$JOBID" Exit_status)
comment=$(job_attr "$JOBID" comment)
[ "$status" = -2 ] || fail "Exit_status $status, want -2 (comment: $comment)"
case $comment in
*"cannot open output file /nonexistent/x"*) ;;
*) fail "comment does not say why: $comment" ;;
esac
echo "ok: Exit_status -2, comment says why"

# The same job with an output path that is not cut still ends the same way.
submit -o /nonexistent/short/o -j oe -- /bin/true
wait_job "$JOBID" F
status=$(job_attr "$JOBID" Exit_status)
[ "$status" = -2 ] || fail "short path: Exit_status $status, want -2"
echo "ok: short path, Exit_status -2"
