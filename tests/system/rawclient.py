"""A raw huddle client for system tests: the wire protocol by hand.

Speaks docs/protocol.md directly (length-prefixed JSON frames, a MUNGE
hello), so a test can send what the PBS commands never would: a job.query
for another user's script, an error frame, hundreds of idle connections.
The controller is $HUDDLE_SERVER; MUNGE credentials come from the munge
command (socket $HUDDLE_MUNGE_SOCKET when set).

    rawclient.py request JSON       one request; prints the reply (JSON)
    rawclient.py send-error JSON    an error frame, then JSON; prints the
                                    first frame that comes back
    rawclient.py hold N SECONDS [STOPFILE]
                                    opens N connections with a hello each,
                                    holds them idle for at most SECONDS
                                    (or until STOPFILE exists);
                                    prints {"accepted", "refused",
                                    "errors": [first few texts],
                                    "closed_by_server", "closed_after"}
"""
import concurrent.futures
import json
import os
import resource
import socket
import struct
import subprocess
import sys
import time

HOST, PORT = os.environ["HUDDLE_SERVER"].rsplit(":", 1)
PORT = int(PORT)
MUNGE_SOCKET = os.environ.get("HUDDLE_MUNGE_SOCKET")


def cred(role):
    cmd = ["munge", "-s", "huddle-hello:" + role]
    if MUNGE_SOCKET:
        cmd += ["-S", MUNGE_SOCKET]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def frame(obj_or_bytes):
    """A frame around a message (or around raw bytes, for garbage tests)."""
    if isinstance(obj_or_bytes, bytes):
        body = obj_or_bytes
    else:
        body = json.dumps(obj_or_bytes).encode()
    return struct.pack(">I", len(body)) + body


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def read_frame(s):
    """The next frame as a dict, or None at EOF."""
    head = recv_exact(s, 4)
    if head is None:
        return None
    (n,) = struct.unpack(">I", head)
    body = recv_exact(s, n)
    if body is None:
        raise ConnectionError("reply frame truncated")
    return json.loads(body)


def connect(role="client", timeout=30, credential=None):
    """A connection after its hello: (socket, hello.ok or error reply)."""
    s = socket.create_connection((HOST, PORT), timeout=timeout)
    credential = credential or cred(role)
    s.sendall(frame({"type": "hello", "version": 1, "role": role, "cred": credential}))
    return s, read_frame(s)


def request(obj):
    s, hello = connect()
    if not hello or hello.get("type") != "hello.ok":
        return hello
    s.sendall(frame(obj))
    reply = read_frame(s)
    s.close()
    return reply


def send_error(obj):
    s, hello = connect()
    if not hello or hello.get("type") != "hello.ok":
        return hello
    s.sendall(frame({"type": "error", "id": 7, "error": "a client's error"}))
    s.sendall(frame(obj))
    reply = read_frame(s)
    s.close()
    return reply


def hold(n, seconds, stopfile=None):
    conns, errors, refused = [], [], 0
    # A descriptor for each connection, and some to spare.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 64 if hard == resource.RLIM_INFINITY else min(hard, n + 64)
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    # Credentials first: the connections then open within a moment, well
    # inside any idle timeout the test sets.  Several munge commands at a
    # time: thousands of them one by one take long.
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        creds = list(pool.map(cred, ["client"] * n))
    for c in creds:
        try:
            s, hello = connect(timeout=10, credential=c)
        except OSError as e:
            refused += 1
            if len(errors) < 3:
                errors.append("connect: " + str(e))
            continue
        if hello and hello.get("type") == "hello.ok":
            conns.append(s)
        else:
            refused += 1
            if len(errors) < 3:
                errors.append(hello.get("error") if hello else "closed without an answer")
            s.close()
    accepted = len(conns)
    print(json.dumps({"accepted": accepted, "refused": refused, "errors": errors}), flush=True)
    start = time.time()
    open_conns = list(conns)
    while (open_conns and time.time() - start < seconds and
           not (stopfile and os.path.exists(stopfile))):
        still = []
        for s in open_conns:
            s.settimeout(0)
            try:
                if s.recv(1) == b"":
                    s.close()
                    continue
            except BlockingIOError:
                pass
            except OSError:
                s.close()
                continue
            still.append(s)
        open_conns = still
        time.sleep(0.2)
    closed = accepted - len(open_conns)
    for s in open_conns:
        s.close()
    return {"accepted": accepted, "refused": refused, "errors": errors,
            "closed_by_server": closed, "closed_after": round(time.time() - start, 1)}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "request":
        print(json.dumps(request(json.loads(sys.argv[2]))))
    elif len(sys.argv) == 3 and sys.argv[1] == "send-error":
        print(json.dumps(send_error(json.loads(sys.argv[2]))))
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "hold":
        stopfile = sys.argv[4] if len(sys.argv) == 5 else None
        print(json.dumps(hold(int(sys.argv[2]), float(sys.argv[3]), stopfile)))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
