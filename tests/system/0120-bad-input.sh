#!/bin/sh
# Garbage at the controller: truncated frames, oversized and undersized
# lengths, invalid JSON, a request before the hello, a bad credential, deep
# nesting, random bytes and a stalled half frame.  Each gets the answer
# docs/protocol.md promises (an error and/or a close); other clients are
# served throughout (also while a half frame stalls); afterwards a job runs
# normally and the controller is the same live process.  Agents listen on
# no port (they only connect out), so the controller is the only target.
. "$top_srcdir/tests/system/lib.sh"

need_root
command -v python3 >/dev/null 2>&1 || skip "no python3"
cluster_up --nodes 2 --ctld-opt kill_grace=2 --ctld-opt heartbeat_interval=1 \
    --ctld-opt heartbeat_timeout=10
work="$TEST_TMP/work"
mkdir -p "$work" && cd "$work" || fail "cannot make $work"

cat >"$TEST_TMP/garbage.py" <<'EOF'
"""Throw malformed frames at the controller; exit 1 naming the first surprise."""
import json, os, socket, struct, subprocess, sys, time

sys.path.insert(0, os.environ["RAW_CLIENT_DIR"])
from rawclient import cred, frame, read_frame, recv_exact  # noqa: E402

host, port = os.environ["HUDDLE_SERVER"].rsplit(":", 1)
port = int(port)
slow = int(os.environ.get("SLOW", "1"))


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def conn():
    s = socket.create_connection((host, port), timeout=10 * slow)
    return s


def expect_error(s, what, contains=None):
    try:
        m = read_frame(s)
    except socket.timeout:
        fail(what + ": no answer")
    if m is None or m.get("type") != "error":
        fail(what + ": want an error, got " + repr(m))
    if contains and contains not in m.get("error", ""):
        fail(what + ": error %r lacks %r" % (m.get("error"), contains))
    print("ok: %s -> error %r" % (what, m.get("error")))
    return m


def expect_close(s, what):
    s.settimeout(15 * slow)
    try:
        while True:
            m = read_frame(s)
            if m is None:
                break
            if m.get("type") != "error":
                fail(what + ": want a close, got " + repr(m))
    except (ConnectionResetError, BrokenPipeError):
        pass
    except socket.timeout:
        fail(what + ": the controller kept the connection open")
    print("ok: %s -> closed" % what)


def hello(s, role="client"):
    s.sendall(frame({"type": "hello", "version": 1, "role": role, "cred": cred(role)}))
    m = read_frame(s)
    if m is None or m.get("type") != "hello.ok":
        fail("hello: got " + repr(m))
    return m


def served():
    """Another client gets its answer meanwhile (qstat through the CLI)."""
    r = subprocess.run(["qstat", "-x"], capture_output=True, text=True, timeout=10 * slow)
    if r.returncode != 0:
        fail("qstat while under attack: exit %d: %s" % (r.returncode, r.stderr))


# 1. A truncated frame, then close.
s = conn()
s.sendall(struct.pack(">I", 100) + b'{"type":"hel')
s.close()
served()
print("ok: truncated frame and close")

# 2. A length over 16 MiB: an error, the connection closed, the body unread.
s = conn()
s.sendall(struct.pack(">I", 16 * 1024 * 1024 + 1))
expect_error(s, "length 16 MiB + 1")
expect_close(s, "length 16 MiB + 1")

# 3. A length below 2.
s = conn()
s.sendall(struct.pack(">I", 0))
expect_error(s, "length 0")
expect_close(s, "length 0")

# 4. Invalid JSON as the first frame.
s = conn()
s.sendall(frame(b"{not json"))
expect_error(s, "invalid JSON before hello")
expect_close(s, "invalid JSON before hello")

# 5. A valid message without a hello: refused and closed.
s = conn()
s.sendall(frame({"type": "job.query", "id": 7}))
expect_error(s, "job.query before hello", "expected hello")
expect_close(s, "job.query before hello")

# 6. A hello with a credential that is not one.
s = conn()
s.sendall(frame({"type": "hello", "version": 1, "role": "client", "cred": "MUNGE:garbage"}))
expect_error(s, "bad credential", "authentication failed")
expect_close(s, "bad credential")

# 7. Random bytes.
s = conn()
s.sendall(os.urandom(4096))
s.close()
served()
print("ok: random bytes")

# 8. After a good hello: invalid JSON, a non-object, a missing member, deep
# nesting, an unknown type are answered with an error and the connection
# stays usable.
have_munge = subprocess.run(["sh", "-c", "command -v munge"], capture_output=True).returncode == 0
if have_munge:
    s = conn()
    hello(s)
    s.sendall(frame(b"{not json"))
    expect_error(s, "invalid JSON after hello")
    s.sendall(frame(b"[1,2,3]"))
    expect_error(s, "a JSON array")
    s.sendall(frame({"type": "job.delete", "id": 3}))
    m = expect_error(s, "job.delete without seq", "seq")
    if m.get("id") != 3:
        fail("job.delete without seq: id not copied: " + repr(m))
    s.sendall(frame(b'{"type":"job.query","x":' + b"[" * 3000 + b"]" * 3000 + b"}"))
    expect_error(s, "nesting 3000 deep")
    s.sendall(frame({"type": "no.such.type", "id": 4}))
    expect_error(s, "unknown type")
    s.sendall(frame({"type": "job.query", "id": 5}))
    m = read_frame(s)
    if m is None or m.get("type") != "job.query.ok" or m.get("id") != 5:
        fail("job.query after errors: got " + repr(m))
    print("ok: the connection still serves after in-frame errors")
    # then half a frame and close
    s.sendall(struct.pack(">I", 50) + b'{"type"')
    s.close()
    # a client connection claiming to be an agent's node.register: refused
    s = conn()
    hello(s)
    s.sendall(frame({"type": "node.heartbeat", "name": "node01"}))
    m = read_frame(s)
    if m is not None and m.get("type") != "error":
        fail("node.heartbeat from a client: got " + repr(m))
    s.close()
    print("ok: node message from a client refused")
else:
    print("note: no munge client, authenticated garbage not sent")

# 9. A stalled half frame: others are served meanwhile, and the stalled
# connection is closed by the per-frame deadline (10 s).
s = conn()
s.sendall(struct.pack(">I", 200) + b'{"type":"hello"')
t0 = time.time()
for _ in range(3):
    served()
print("ok: other clients served during a stall")
expect_close(s, "stalled half frame")
print("   closed after %.1fs" % (time.time() - t0))
if time.time() - t0 < 5:
    fail("the stalled connection was closed after %.1fs, before its 10 s deadline" % (time.time() - t0))

# 10. Many connections at once, dropped.
socks = [conn() for _ in range(100)]
for s in socks:
    s.close()
served()
print("ok: 100 connections opened and dropped")
EOF

RAW_CLIENT_DIR="$top_srcdir/tests/system" SLOW=$SLOW python3 "$TEST_TMP/garbage.py" || fail "garbage.py"

# The controller is the same live process and still runs jobs.
kill -0 "$CTLD_PID" 2>/dev/null || fail "huddle-ctld (pid $CTLD_PID) died"
[ "$(cat "$CLUSTER_DIR/huddle-ctld.pid")" = "$CTLD_PID" ] || fail "huddle-ctld was restarted"
submit -- /bin/echo still-alive
seq=${JOBID%%.*}
wait_job "$JOBID" F
[ "$(cat "$work/STDIN.o$seq" 2>/dev/null)" = still-alive ] || fail "the job after the garbage did not run"
[ "$(job_attr "$JOBID" Exit_status)" = 0 ] || fail "the job after the garbage: Exit_status $(job_attr "$JOBID" Exit_status)"
for n in node01 node02; do node_is "$n" free || fail "$n is $(node_state "$n") after the garbage"; done
echo "ok: a job runs normally afterwards; huddle-ctld (pid $CTLD_PID) alive"
exit 0
