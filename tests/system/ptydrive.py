"""Drive a program on a pseudo-terminal, as a user at a terminal would.

    ptydrive.py SCRIPT -- COMMAND [ARG...]

runs COMMAND with its stdin, stdout and stderr on a new terminal of
24 rows and 80 columns, then follows SCRIPT (a file, one step a line):

    expect REGEX [SECONDS]   wait until the output (since the last match)
                             matches; its groups, if any, become $1,
                             $2 ... of later steps (default 30 s)
    send TEXT                type TEXT, then Enter (\\r); $1 ... replaced
    key HEX                  type one byte (03 is ^C)
    winsize ROWS COLS        resize the terminal (the kernel signals the
                             foreground process with SIGWINCH)
    sleep SECONDS
    run SHELL-COMMAND        run it here ($1 ... replaced), for qdel
    kill SIGNAL              send SIGNAL (a number) to COMMAND's process
                             group (it runs in a session of its own)
    exit                     wait for COMMAND to end (at most 60 s)

Prints everything COMMAND wrote (after "---- output") and ends with
COMMAND's exit status, or 124 when a step timed out (naming it).
"""
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main():
    script = open(sys.argv[1]).read().splitlines()
    cmd = sys.argv[sys.argv.index("--") + 1:]
    master, slave = os.openpty()
    set_size(slave, 24, 80)
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True,
                            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(slave)
    out = b""
    seen = 0  # output before this offset has been matched already
    groups = []

    def subst(text):
        for i, g in enumerate(groups, 1):
            text = text.replace("$%d" % i, g)
        return text

    def pump(timeout):
        nonlocal out
        r, _, _ = select.select([master], [], [], timeout)
        if r:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b""
            if not data:
                return False
            out += data
        return True

    def finish(status, why=""):
        sys.stdout.write("---- output\n" + out.decode("utf-8", "replace") + "\n")
        if why:
            sys.stdout.write("---- %s\n" % why)
        sys.stdout.flush()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        sys.exit(status)

    for line in script:
        if not line.strip() or line.startswith("#"):
            continue
        op, _, arg = line.partition(" ")
        if op == "expect":
            m = re.match(r"(.*?)(?:\s+(\d+))?$", arg)
            regex, secs = subst(m.group(1)), int(m.group(2) or 30)
            end = time.time() + secs
            while True:
                found = re.search(regex.encode(), out[seen:])
                if found:
                    if found.groups():
                        groups = [g.decode() for g in found.groups()]
                    seen += found.end()
                    break
                if time.time() >= end or not pump(end - time.time()):
                    if not found:
                        finish(124, "timed out: %s" % line)
        elif op == "send":
            os.write(master, subst(arg).encode() + b"\r")
        elif op == "key":
            os.write(master, bytes([int(arg, 16)]))
        elif op == "winsize":
            rows, cols = arg.split()
            set_size(master, int(rows), int(cols))
        elif op == "sleep":
            end = time.time() + float(arg)
            while time.time() < end:
                pump(end - time.time())
        elif op == "run":
            subprocess.run(subst(arg), shell=True)
        elif op == "kill":
            os.killpg(proc.pid, int(arg))
        elif op == "exit":
            end = time.time() + 60
            while proc.poll() is None and time.time() < end:
                pump(0.1)
            while pump(0.1):
                pass
            if proc.poll() is None:
                finish(124, "timed out: exit")
            finish(proc.returncode)
    finish(proc.wait())


main()
