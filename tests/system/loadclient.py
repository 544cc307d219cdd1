"""Many PBS commands at once, for the load and fault tests (0860, 0861).

Runs the real commands (qsub, qstat, qdel from PATH, against
$HUDDLE_SERVER) from many threads, and records what each one answered, so
that a test can compare what clients were told with what the controller
recorded.

    loadclient.py mix SECONDS THREADS OUT
        THREADS threads for SECONDS, each in a loop: qsub -- /bin/true
        (the job runs), qsub -h -- /bin/true (held), qstat, qdel of one of
        its own held jobs.  Writes OUT.acked (every job id a qsub printed,
        with exit status 0), OUT.failed (the stderr of every qsub that
        failed, one line each); prints a JSON summary.
    loadclient.py burst N THREADS OUT
        N submits of qsub -h -- /bin/true, THREADS at a time; writes
        OUT.acked as above and OUT.failed as "STATUS<TAB>STDERR" lines;
        OUT.progress gets a line per answered qsub (a test waits on it to
        kill the controller in the middle).  Prints a JSON summary.
    loadclient.py probe SECONDS OUT [STOPFILE]
        qstat every 50 ms for SECONDS (or until STOPFILE exists); writes
        {"n", "failures", "p50_ms", "p99_ms", "max_ms", "errors"} to OUT.
    loadclient.py trickle SECONDS
        a client that passes its hello and then sends a job.submit frame
        one byte a second; prints {"sent", "closed_after", "closed_by_server"}
        as JSON (the controller should close it: a frame has a deadline).
"""
import json
import os
import random
import resource
import subprocess
import sys
import threading
import time


def raise_fd_limit():
    """Hundreds of commands at once need two pipes each: take the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def run(argv):
    # A command this process cannot start (out of descriptors or processes
    # for a moment) is the harness's trouble, not an answer of the
    # controller: try again rather than count it either way.
    for attempt in range(100):
        try:
            p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            return p.returncode, p.stdout, p.stderr
        except OSError:
            if attempt == 99:
                raise
            time.sleep(0.05)


class Record:
    def __init__(self, out):
        self.lock = threading.Lock()
        self.acked = open(out + ".acked", "w")
        self.failed = open(out + ".failed", "w")
        self.counts = {"qsub": 0, "qsub_failed": 0, "qstat": 0, "qstat_failed": 0,
                       "qdel": 0, "qdel_failed": 0}
        self.errors = []

    def count(self, what, err=None):
        with self.lock:
            self.counts[what] += 1
            if err and len(self.errors) < 5:
                self.errors.append(err.strip()[:300])

    def qsub(self, args):
        rc, out, err = run(["qsub"] + args)
        with self.lock:
            if rc == 0 and out.strip():
                self.counts["qsub"] += 1
                self.acked.write(out.strip() + "\n")
                self.acked.flush()
                return out.strip()
            self.counts["qsub_failed"] += 1
            self.failed.write("%d\t%s\n" % (rc, " ".join(err.split())))
            self.failed.flush()
            if len(self.errors) < 5:
                self.errors.append(err.strip()[:300])
        return None

    def close(self):
        self.acked.close()
        self.failed.close()


def mix(seconds, nthreads, out):
    rec = Record(out)
    end = time.time() + seconds

    def worker(k):
        rnd = random.Random(k)
        held = []
        while time.time() < end:
            r = rnd.random()
            if r < 0.45:
                rec.qsub(["--", "/bin/true"])
            elif r < 0.65:
                jobid = rec.qsub(["-h", "--", "/bin/true"])
                if jobid:
                    held.append(jobid)
            elif r < 0.85 or not held:
                rc, _, err = run(["qstat"])
                rec.count("qstat" if rc == 0 else "qstat_failed", err if rc else None)
            else:
                rc, _, err = run(["qdel", held.pop(rnd.randrange(len(held)))])
                rec.count("qdel" if rc == 0 else "qdel_failed", err if rc else None)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rec.close()
    print(json.dumps(dict(rec.counts, errors=rec.errors)))


def burst(n, nthreads, out):
    rec = Record(out)
    progress = open(out + ".progress", "w")
    todo = list(range(n))
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                todo.pop()
            rec.qsub(["-h", "--", "/bin/true"])
            with lock:
                progress.write(".\n")
                progress.flush()

    threads = [threading.Thread(target=worker) for _ in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rec.close()
    progress.close()
    print(json.dumps(dict(rec.counts, errors=rec.errors)))


def probe(seconds, out, stopfile=None):
    lat, errors, failures = [], [], 0
    end = time.time() + seconds
    while time.time() < end and not (stopfile and os.path.exists(stopfile)):
        t = time.time()
        rc, _, err = run(["qstat"])
        if rc == 0:
            lat.append((time.time() - t) * 1000)
        else:
            failures += 1
            if len(errors) < 5:
                errors.append(err.strip()[:300])
        time.sleep(0.05)
    lat.sort()
    res = {"n": len(lat), "failures": failures, "errors": errors}
    if lat:
        res.update(p50_ms=round(lat[len(lat) // 2], 1),
                   p99_ms=round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 1),
                   max_ms=round(lat[-1], 1))
    with open(out, "w") as f:
        f.write(json.dumps(res) + "\n")


def trickle(seconds):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import rawclient

    s, hello = rawclient.connect()
    if not hello or hello.get("type") != "hello.ok":
        print(json.dumps({"error": "hello refused: %s" % hello}))
        return
    data = rawclient.frame({"type": "job.submit", "id": 1, "job": {"argv": ["/bin/true"]}})
    start, sent, closed = time.time(), 0, False
    s.settimeout(1.0)
    while time.time() - start < seconds and sent < len(data):
        try:
            s.sendall(data[sent:sent + 1])
            sent += 1
        except OSError:
            closed = True
            break
        try:
            if s.recv(4096) == b"":
                closed = True
                break
        except TimeoutError:
            pass
        except OSError:
            closed = True
            break
    s.close()
    print(json.dumps({"sent": sent, "closed_by_server": closed,
                      "closed_after": round(time.time() - start, 1)}))


def main():
    raise_fd_limit()
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "mix":
        mix(float(a[1]), int(a[2]), a[3])
    elif len(a) == 4 and a[0] == "burst":
        burst(int(a[1]), int(a[2]), a[3])
    elif len(a) in (3, 4) and a[0] == "probe":
        probe(float(a[1]), a[2], a[3] if len(a) == 4 else None)
    elif len(a) == 2 and a[0] == "trickle":
        trickle(float(a[1]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
