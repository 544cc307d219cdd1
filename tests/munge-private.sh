#!/bin/sh
# munge-private.sh - run a throw-away munged for tests
#
#   munge-private.sh start DIR   make DIR, a fresh key in it, start munged on
#                                DIR/munge.sock; print the socket path and
#                                exit 0 once the socket answers
#   munge-private.sh stop DIR    kill that munged (by its pid file) and wait
#
# Exit status 77 (automake's "skip") when munged or mungekey is missing or
# the daemon does not come up, so callers can skip cleanly.  Point huddle at
# the daemon with HUDDLE_MUNGE_SOCKET=$(munge-private.sh start DIR).
set -u

PATH="$PATH:/usr/sbin:/sbin"

usage () {
    echo "usage: $0 start DIR | stop DIR" >&2
    exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2

start () {
    command -v munged >/dev/null 2>&1 || { echo "munge-private: munged not installed" >&2; exit 77; }
    mkdir -p "$dir" || exit 77
    dir=$(cd "$dir" && pwd)
    chmod 0755 "$dir" # others (job users, huddle-rsh) must reach the socket
    key="$dir/munge.key"
    if [ ! -s "$key" ]; then
        if command -v mungekey >/dev/null 2>&1; then
            mungekey -c -f -k "$key" >/dev/null 2>&1
        fi
        if [ ! -s "$key" ]; then
            dd if=/dev/urandom of="$key" bs=1024 count=1 2>/dev/null || exit 77
        fi
        chmod 0400 "$key"
    fi
    sock="$dir/munge.sock"
    force=""
    [ "$(id -u)" -eq 0 ] && force="--force"
    if ! munged $force --socket="$sock" --key-file="$key" --pid-file="$dir/munged.pid" \
        --log-file="$dir/munged.log" --seed-file="$dir/munged.seed" >"$dir/munged.out" 2>&1; then
        echo "munge-private: munged failed to start:" >&2
        cat "$dir/munged.out" "$dir/munged.log" >&2 2>/dev/null
        exit 77
    fi
    # Wait for readiness (a credential round trip), not for a fixed time.
    i=0
    while [ $i -lt 100 ]; do
        if [ -S "$sock" ] && command -v munge >/dev/null 2>&1 &&
            munge -S "$sock" -n 2>/dev/null | unmunge -S "$sock" >/dev/null 2>&1; then
            echo "$sock"
            exit 0
        fi
        if [ -S "$sock" ] && ! command -v munge >/dev/null 2>&1; then
            echo "$sock"
            exit 0
        fi
        sleep 0.05
        i=$((i + 1))
    done
    echo "munge-private: munged on $sock did not answer" >&2
    stop
    exit 77
}

stop () {
    pidfile="$dir/munged.pid"
    [ -s "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    kill -9 "$pid" 2>/dev/null
    rm -f "$pidfile"
    return 0
}

case "$cmd" in
start) start ;;
stop) stop; exit 0 ;;
*) usage ;;
esac
