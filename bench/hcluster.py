"""hcluster - drive a huddle-cluster from a benchmark script (python3)

A namespace cluster (or a loopback one) brought up with cli/huddle-cluster,
the PBS commands run against it with the environment `up` printed, and
jobs waited for through `qstat -x -F json`.  Used by bench/mpi_placement
and bench/launch_overhead; everything a script starts is stopped by
Cluster.down(), which the scripts call in a finally clause.
"""
import json
import os
import shlex
import subprocess
import sys
import time

SRCDIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def builddir():
    """The build tree: $HUDDLE_BUILDDIR, else the current directory."""
    d = os.environ.get("HUDDLE_BUILDDIR") or os.getcwd()
    if not os.path.exists(os.path.join(d, "cli", "qsub")):
        sys.exit("%s is not a huddle build tree (no cli/qsub): run from it or set "
                 "HUDDLE_BUILDDIR" % d)
    return os.path.abspath(d)


def note(msg):
    print(msg, file=sys.stderr, flush=True)


class Cluster:
    def __init__(self, directory):
        self.dir = directory
        self.build = builddir()
        self.tool = os.path.join(SRCDIR, "cli", "huddle-cluster")
        self.env = dict(os.environ, HUDDLE_BUILDDIR=self.build)
        self.started = False

    def up(self, *args):
        cmd = [self.tool, "up", "--dir", self.dir] + list(args)
        out = subprocess.run(cmd, env=self.env, stdout=subprocess.PIPE, text=True)
        self.started = True
        if out.returncode != 0:
            raise RuntimeError("huddle-cluster up failed (exit %d)" % out.returncode)
        for line in out.stdout.splitlines():  # export NAME='value'; ...
            for part in line.split(";"):
                part = part.strip()
                if part.startswith("export "):
                    name, _, value = part[len("export "):].partition("=")
                    value = shlex.split(value)[0] if value else ""
                    self.env[name] = value.replace("$PATH", self.env.get("PATH", ""))
        return self

    def down(self):
        if self.started:
            subprocess.run([self.tool, "down", "--dir", self.dir], env=self.env,
                           stdout=subprocess.DEVNULL)
            self.started = False

    def run(self, *cmd, check=True):
        out = subprocess.run(list(cmd), env=self.env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        if check and out.returncode != 0:
            raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), out.returncode,
                                                    out.stderr.strip()))
        return out.stdout

    def json(self, *cmd, check=True):
        return json.loads(self.run(*cmd, check=check))

    def qsub(self, *args):
        return self.run("qsub", *args).strip()

    def job(self, jobid):
        """The job's qstat -f attributes, {} when unknown."""
        jobs = self.json("qstat", "-x", "-f", "-F", "json", jobid).get("Jobs", {})
        return next(iter(jobs.values()), {})

    def wait_job(self, jobid, state="F", timeout=120, poll=0.005):
        """Wait until the job is in STATE; the time it was first seen so."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            out = subprocess.run(["qstat", "-x", "-F", "json", jobid], env=self.env,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            if '"job_state":"%s"' % state in out.stdout.replace(" ", ""):
                return time.monotonic()
            time.sleep(poll)
        raise RuntimeError("job %s not in state %s after %d s" % (jobid, state, timeout))

    def wait_links(self, pairs, timeout=120):
        """Wait until the probes measured PAIRS pairs; the links."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            links = self.json("qtopo", "--links", "--json").get("links", [])
            if len(links) >= pairs:
                return links
            time.sleep(0.5)
        raise RuntimeError("fewer than %d measured links after %d s" % (pairs, timeout))

    def exec(self, node, *cmd):
        return self.run(self.tool, "exec", node, "--dir", self.dir, "--", *cmd)

    def shell_agent(self):
        """Open MPI's plm_rsh_agent for a bare mpirun between the nodes."""
        return "%s shell --dir %s" % (self.tool, self.dir)


def need_root_and_netns():
    """Exit 77 (skip) with a message when a namespace cluster cannot be built."""
    if os.geteuid() != 0:
        note("needs root: a namespace cluster (huddle-cluster up --netns)")
        sys.exit(77)
    for tool in ("ip", "tc", "nsenter", "unshare", "mpirun"):
        if not any(os.access(os.path.join(p, tool), os.X_OK)
                   for p in os.environ.get("PATH", "").split(":") + ["/usr/sbin", "/sbin"]):
            note("needs %s" % tool)
            sys.exit(77)


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
