#!/bin/sh
# A job's script and environment are its owner's (and root's): another user
# gets neither, whatever job.query asks for (the raw protocol, not only what
# qstat asks); the owner gets the environment when asking for it and the
# script of one named job; a default query carries neither.  A client's
# error frame is not answered.
. "$top_srcdir/tests/system/lib.sh"

need_users
need_raw_client
ensure_user hu0300a
ensure_user hu0300b
cluster_up --nodes 1
raw=$RAW_CLIENT

work="$TEST_TMP/work-a"
mkdir -p "$work" && chown hu0300a "$work" || fail "cannot make $work"
printf '#!/bin/sh\n# SECRET-SCRIPT-TEXT-0300\necho hi\n' >"$work/job.sh"
id=$(as_user hu0300a sh -c 'cd "$1" && qsub -h -v HUDDLE_SECRET=s3cret job.sh' sh "$work" 2>"$TEST_TMP/err") ||
    fail "qsub as hu0300a: $(cat "$TEST_TMP/err")"
seq=${id%%.*}

# query USER JSON: the raw reply to one request as USER (root: "root").
query () {
    if [ "$1" = root ]; then
        python3 "$raw" request "$2"
    else
        as_user "$1" python3 "$raw" request "$2"
    fi
}

# 1. Another user: nothing private, whatever it asks for.
for req in "{\"type\":\"job.query\",\"seqs\":[$seq],\"full\":true}" \
    "{\"type\":\"job.query\",\"seqs\":[$seq],\"full\":true,\"script\":true}" \
    "{\"type\":\"job.query\",\"full\":true}" \
    "{\"type\":\"job.query\",\"seqs\":[$seq]}"; do
    query hu0300b "$req" >"$TEST_TMP/b.json" || fail "hu0300b's $req failed"
    [ "$(jq -r .type "$TEST_TMP/b.json")" = job.query.ok ] || fail "hu0300b's $req: $(cat "$TEST_TMP/b.json")"
    [ "$(jq ".jobs | map(select(.seq == $seq)) | length" "$TEST_TMP/b.json")" = 1 ] ||
        fail "hu0300b's $req does not list job $seq: $(cat "$TEST_TMP/b.json")"
    grep -q -e SECRET-SCRIPT-TEXT -e s3cret "$TEST_TMP/b.json" &&
        fail "hu0300b's $req got another user's script or environment: $(cut -c1-400 "$TEST_TMP/b.json")"
done
echo "ok: another user gets neither script nor environment"
as_user hu0300b qstat -f "$id" >"$TEST_TMP/qstat-b" 2>&1 || fail "qstat -f by hu0300b: $(cat "$TEST_TMP/qstat-b")"
grep -q -e Variable_List -e SECRET "$TEST_TMP/qstat-b" && fail "qstat -f by hu0300b: $(cat "$TEST_TMP/qstat-b")"

# 2. The owner and root get them when they ask, and only then.
for who in hu0300a root; do
    query $who "{\"type\":\"job.query\",\"seqs\":[$seq],\"script\":true}" >"$TEST_TMP/a.json"
    jq -r '.jobs[0].script' "$TEST_TMP/a.json" | grep -q SECRET-SCRIPT-TEXT-0300 ||
        fail "$who does not get the script of $id: $(cat "$TEST_TMP/a.json")"
    query $who "{\"type\":\"job.query\",\"seqs\":[$seq],\"full\":true}" >"$TEST_TMP/a.json"
    [ "$(jq -r '.jobs[0].env.HUDDLE_SECRET' "$TEST_TMP/a.json")" = s3cret ] ||
        fail "$who does not get the environment of $id: $(cat "$TEST_TMP/a.json")"
    query $who "{\"type\":\"job.query\"}" >"$TEST_TMP/a.json"
    grep -q -e SECRET-SCRIPT-TEXT -e s3cret "$TEST_TMP/a.json" &&
        fail "a plain job.query by $who carries script or environment: $(cut -c1-400 "$TEST_TMP/a.json")"
done
query hu0300a '{"type":"job.query","script":true}' >"$TEST_TMP/a.json"
[ "$(jq -r .type "$TEST_TMP/a.json")" = error ] || fail "script without one job: $(cat "$TEST_TMP/a.json")"
as_user hu0300a qstat -f "$id" | grep -q "HUDDLE_SECRET=s3cret" || fail "the owner's qstat -f lacks Variable_List"
echo "ok: the owner and root get script and environment when they ask"

# 3. An error frame is never answered: the first frame back answers the query.
as_user hu0300b python3 "$raw" send-error '{"type":"job.query","id":8}' >"$TEST_TMP/e.json"
[ "$(jq -r .type "$TEST_TMP/e.json")" = job.query.ok ] && [ "$(jq -r .id "$TEST_TMP/e.json")" = 8 ] ||
    fail "after an error frame the controller answered $(cat "$TEST_TMP/e.json")"
echo "ok: an error frame is not answered"

qdel "$id" || fail "qdel $id"
kill -0 "$CTLD_PID" || fail "the controller died"
exit 0
