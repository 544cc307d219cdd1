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
#
# The logic lives in cli/huddle-cluster (munge-start / munge-stop), which
# starts the same private munged for one-machine clusters.
[ $# -eq 2 ] || { echo "usage: $0 start DIR | stop DIR" >&2; exit 2; }
case "$1" in
start | stop) exec "$(dirname "$0")/../cli/huddle-cluster" "munge-$1" "$2" ;;
*) echo "usage: $0 start DIR | stop DIR" >&2; exit 2 ;;
esac
