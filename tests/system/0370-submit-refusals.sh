#!/bin/sh
# What qsub cannot send faithfully it refuses, saying where, and nothing is
# queued: a script with a NUL byte (it used to be cut there silently),
# text that is not UTF-8 (it used to be "out of memory"), job dependencies
# (accepted and ignored before: the job ran at once).  A 100 KB -N gets a
# short error.  A job id of another server names no job here: "qdel
# SEQ.otherserver" used to delete local job SEQ.  The controller refuses the
# same things in a raw job.submit / job.delete.
. "$top_srcdir/tests/system/lib.sh"

cluster_up --nodes 1
work="$TEST_TMP/work"
mkdir -p "$work" && cd "$work" || fail "cannot make $work"

# refused WHAT WANT CMD...: CMD fails, prints no job id, and its stderr has
# WANT (a fixed string) and never "out of memory".
refused () {
    _what=$1
    _want=$2
    shift 2
    "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" && fail "$_what: accepted ($(cat "$TEST_TMP/out"))"
    [ -s "$TEST_TMP/out" ] && fail "$_what: printed $(cat "$TEST_TMP/out")"
    grep -q "out of memory" "$TEST_TMP/err" && fail "$_what: $(cat "$TEST_TMP/err")"
    grep -qF -- "$_want" "$TEST_TMP/err" || fail "$_what: want \"$_want\", got: $(cat "$TEST_TMP/err")"
    printf "ok: %s: %s\n" "$_what" "$(head -c 300 "$TEST_TMP/err")"
}

# A held job: the first seq, and the job the qdel checks act on.
submit -h -N keeper -- /bin/sleep 300
held=$JOBID
seq=${held%%.*}
server=${held#*.}

# 1. A NUL byte in line 2: refused naming the line; line 3 never runs.
printf '#!/bin/sh\n# c \000 x\necho line3 >"%s/ran"\n' "$work" >nul.sh
refused "script with a NUL byte" "qsub: script line 2: contains a NUL byte" qsub nul.sh
refused "NUL byte on standard input" "qsub: script line 2: contains a NUL byte" \
    sh -c 'qsub <nul.sh'

# 2. Not UTF-8: a Latin-1 script, a -v value, a command argument, an -o path.
printf '#!/bin/sh\necho ok\necho caf\351\n' >latin1.sh
refused "Latin-1 script" "qsub: script line 3: not valid UTF-8" qsub latin1.sh
ff=$(printf '\377')
refused "-v X=\\377" "the value of X is not valid UTF-8" qsub -v "X=$ff" -- /bin/true
refused "-- echo \\377" "qsub: argument 2 of the command (after \"--\") is not valid UTF-8" \
    qsub -- /bin/echo "$ff"
refused "-o /tmp/\\377" "the path is not valid UTF-8" qsub -o "/tmp/$ff" -- /bin/true
refused "-V with X=\\377" "the environment variable X is not valid UTF-8" \
    env "X=$ff" qsub -V -- /bin/true
mkdir "$work/dir$ff" || fail "cannot make a Latin-1 directory"
refused "submit directory not UTF-8" "the submit directory's path is not valid UTF-8" \
    sh -c 'cd "$1" && qsub -- /bin/true' sh "$work/dir$ff"
# UTF-8 itself goes through, byte for byte.
printf '#!/bin/sh\necho "caf\303\251 \342\202\254"\n' >utf8.sh
submit -N utf8 utf8.sh
wait_job "$JOBID" F
grep -qx "$(printf 'caf\303\251 \342\202\254')" "$work/utf8.o${JOBID%%.*}" ||
    fail "utf8 job output: $(cat "$work/utf8.o${JOBID%%.*}" 2>&1)"
echo "ok: a UTF-8 script runs"
utf8_seq=${JOBID%%.*}

# 3. Dependencies on jobs that do not exist: refused, on the command line
# and as a directive (tests/system/0920-depend.sh has the rest).
refused "-W depend on no job" "qsub: Unknown Job Id 424242." \
    qsub -W depend=afterok:424242 -- /bin/true
printf '#!/bin/sh\n#PBS -W depend=afterok:424243\necho dep\n' >dep.sh
refused "#PBS -W depend on no job" "qsub: Unknown Job Id 424243." qsub dep.sh

# 4. A 100 KB job name: the error names the option and the limit, briefly.
long=$(head -c 102400 /dev/zero | tr '\0' a)
refused "100 KB -N" "a job name has at most 236 characters" qsub -N "$long" -- /bin/true
[ "$(wc -c <"$TEST_TMP/err")" -lt 200 ] || fail "100 KB -N: error of $(wc -c <"$TEST_TMP/err") bytes"

# Nothing refused took a seq or queued a job: the next job is the next seq.
submit -N after -- /bin/true
[ "${JOBID%%.*}" -eq $((utf8_seq + 1)) ] || fail "next job is $JOBID, want $((utf8_seq + 1))"
wait_job "$JOBID" F
[ ! -e "$work/ran" ] || fail "the NUL script ran"
njobs=$(qstat -x | grep -c "^[0-9]")
[ "$njobs" -eq 3 ] || fail "$njobs jobs known, want 3: $(qstat -x)"
echo "ok: nothing refused was queued"

# 5. Job ids of another server: Unknown Job Id, exit 153, the job untouched.
for cmd in qdel qhold qrls qstat; do
    $cmd "$seq.otherserver" >/dev/null 2>"$TEST_TMP/err"
    rc=$?
    [ $rc -eq 153 ] || fail "$cmd $seq.otherserver: exit $rc: $(cat "$TEST_TMP/err")"
    grep -qx "$cmd: Unknown Job Id $seq.otherserver" "$TEST_TMP/err" ||
        fail "$cmd $seq.otherserver: $(cat "$TEST_TMP/err")"
done
[ "$(job_state "$held")" = H ] || fail "$held is $(job_state "$held") after qdel $seq.otherserver"
echo "ok: $seq.otherserver is unknown, $held stays held"
# A longer domain name of the server is the server, as in PBS.
qstat "$seq.$server.example.com" >/dev/null 2>"$TEST_TMP/err" ||
    fail "qstat $seq.$server.example.com: $(cat "$TEST_TMP/err")"
# An unknown job: the controller's id, once, and exit 153.
qdel 424242 2>"$TEST_TMP/err"
rc=$?
[ $rc -eq 153 ] || fail "qdel 424242: exit $rc"
grep -qx "qdel: Unknown Job Id 424242.$server" "$TEST_TMP/err" || fail "qdel 424242: $(cat "$TEST_TMP/err")"

# 6. The controller refuses the same in raw requests (when python3 and a
# munge client are here to send them).
if command -v python3 >/dev/null 2>&1 && command -v munge >/dev/null 2>&1; then
    cat >"$TEST_TMP/raw.py" <<'EOP'
import json, os, socket, struct, subprocess, sys

host, port = os.environ["HUDDLE_SERVER"].rsplit(":", 1)
seq = int(sys.argv[1])


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def send(s, body):
    s.sendall(struct.pack(">I", len(body)) + body)


def recv(s):
    def exact(n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                fail("connection closed")
            buf += chunk
        return buf
    (n,) = struct.unpack(">I", exact(4))
    return json.loads(exact(n))


def connect():
    s = socket.create_connection((host, int(port)), timeout=30)
    cmd = ["munge", "-s", "huddle-hello:client"]
    if os.environ.get("HUDDLE_MUNGE_SOCKET"):
        cmd += ["-S", os.environ["HUDDLE_MUNGE_SOCKET"]]
    cred = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()
    send(s, json.dumps({"type": "hello", "version": 1, "role": "client", "cred": cred}).encode())
    m = recv(s)
    if m.get("type") != "hello.ok":
        fail("hello: " + repr(m))
    return s


def job(**changes):
    j = {"name": "raw", "script": "#!/bin/sh\ntrue\n", "workdir": "/tmp", "submit_host": "h",
         "env": {}, "export_all": False,
         "chunks": [{"count": 1, "ncpus": 1, "mpiprocs": 1, "ngpus": 0, "mem": 0}],
         "place": {"arrangement": "free", "sharing": "shared"}, "walltime": 0, "priority": 0,
         "hold": True, "rerunnable": True, "join": "n"}
    j.update(changes)
    return j


def request(body, what, want_error=None):
    s = connect()
    send(s, body)
    m = recv(s)
    s.close()
    if want_error is None:
        if m.get("type", "").endswith(".ok"):
            print("ok: %s accepted" % what)
            return m
        fail("%s: refused: %r" % (what, m))
    if m.get("type") != "error" or want_error not in m.get("error", ""):
        fail("%s: want an error with %r, got %r" % (what, want_error, m))
    print("ok: %s -> %r" % (what, m["error"]))
    return m


def submit(j):
    return json.dumps({"type": "job.submit", "job": j}).encode()


# The control: this request is accepted as it is.
ok = request(submit(job()), "raw job.submit")
request(json.dumps({"type": "job.delete", "seq": ok["seq"]}).encode(), "raw job.delete")
request(submit(job(depend="afterok:424242")), "raw depend", "Unknown Job Id 424242.")
request(submit(job(script="#!/bin/sh\n# \u0000\ntrue\n")), "raw script with \\u0000", "")
request(submit(job()).replace(b"raw", b"r\xffw"), "raw bytes not UTF-8", "")
for t in ("job.delete", "job.hold", "job.release"):
    request(json.dumps({"type": t, "seq": seq, "server": "otherserver"}).encode(),
            t + " of another server", "Unknown Job Id %d.otherserver" % seq)
EOP
    python3 "$TEST_TMP/raw.py" "$seq" || fail "raw requests"
    [ "$(job_state "$held")" = H ] || fail "$held is $(job_state "$held") after the raw requests"
    njobs=$(qstat -x | grep -c "^[0-9]")
    [ "$njobs" -eq 4 ] || fail "$njobs jobs known after the raw requests, want 4: $(qstat -x)"
else
    echo "note: no python3 or munge client: raw requests not sent"
fi

# 7. This server's ids still work, with the server part and without.
qdel "$seq.$server" || fail "qdel $seq.$server"
wait_job "$held" F
submit -h -- /bin/sleep 300
qdel "${JOBID%%.*}" || fail "qdel ${JOBID%%.*}"
wait_job "$JOBID" F
echo "ok: qdel SEQ.SERVER and qdel SEQ"
